/*
 * Forked early dialogs on leg B (RFC 3261 12.1.2, 13.2.2.4).
 *
 * A forking proxy in front of the carrier (or an enterprise target with
 * several contacts) answers our one INVITE from several UASs: each 18x or
 * 2xx with a new To-tag is a dialog of its own. nta keeps a dialog's
 * remote tag once set, so leg B's nta_leg can serve one fork only; every
 * other fork gets an nta_leg of its own here, with our local tag, the same
 * Call-ID and that fork's tag, target and route set.
 *
 *   fork's response         leg B confirmed?   what happens
 *   ---------------------   ----------------   ------------------------------
 *   18x, new To-tag         no                 that fork becomes leg B (its
 *                                              PRACK, UPDATE, SDP go there);
 *                                              the one before waits here
 *   2xx, tag of a fork      no                 that fork becomes leg B and
 *   waiting here                               the call is confirmed with it
 *   2xx, another tag        yes                ACK, then BYE, in that fork's
 *                                              own dialog (13.2.2.4); it
 *                                              never reaches leg A; the BYE
 *                                              is call_abandon.c's (a
 *                                              carrier's challenge)
 *   request in a fork       -                  BYE: 200 (it gives up), else
 *   waiting here                               481; leg A never sees it
 *
 * Leg A sees a single early dialog (our one To-tag toward it), whatever
 * the number of forks, and exactly one confirmed dialog: a B2BUA collapses
 * the forks (../shared/notes/sofia-sip.md 1.4, pitfall 3). The relay takes
 * the latest fork's SDP, so early media follows the fork that sent the
 * latest 18x, and the media of the call is that of the fork that answered.
 *
 * Reliable 18x (RFC 3262) are taken per fork: each fork's dialog has its
 * own RSeq space, kept here for the waiting forks and in call->b_rseq for
 * leg B's; every fork's reliable 18x is PRACKed in its own dialog (when
 * leg A PRACKs our relayed one, or at once: prack.c), and a retransmission
 * of one already taken changes nothing. (nta's own PRACK helper would
 * keep one RSeq space for the whole INVITE and drop a second fork's
 * reliable 18x unseen: prack.c sends its PRACKs itself.)
 */
#include <string.h>
#include <strings.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"
#include "tls.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.fork"

/* Forks beyond this many are left to time out (a forking proxy rarely
 * rings more than a handful of UASs, and each costs a dialog here). */
#define CALL_MAX_FORKS 8

struct call_fork {
	nta_leg_t *leg; /* that fork's dialog; NULL: slot unused */
	uint32_t rseq;	/* its last reliable 18x's RSeq we took */
	bool answered;	/* its 2xx came after leg B was confirmed */
};

struct call_forks {
	struct call_fork f[CALL_MAX_FORKS];
};

static int fork_request(struct call_leg *cl, nta_leg_t *leg,
			nta_incoming_t *irq, sip_t const *sip)
{
	(void)irq;
	if (sip->sip_request->rq_method == sip_method_ack)
		return 0; /* nothing to answer */
	/* A fork that is not leg B: a BYE ends only that early dialog. */
	LOGI(SUBSYS, cl->call->ctx, "%s in fork %s: %s",
	     sip->sip_request->rq_method_name, nta_leg_get_rtag(leg),
	     sip->sip_request->rq_method == sip_method_bye ? "200" : "481");
	if (sip->sip_request->rq_method == sip_method_bye)
		return 200;
	return 481;
}

static struct call_fork *fork_find(struct trunk_call *call, const char *tag)
{
	struct call_forks *fs = call->forks;
	unsigned i;

	for (i = 0; fs && i < CALL_MAX_FORKS; i++)
		if (fs->f[i].leg &&
		    !strcasecmp(nta_leg_get_rtag(fs->f[i].leg), tag))
			return &fs->f[i];
	return NULL;
}

/* A slot for a new fork of tag `tag` (a response's To), its dialog made
 * from that response (our From and tag, its To, target and route set, our
 * INVITE's CSeq). NULL when full or out of memory. */
static struct call_fork *fork_new(struct trunk_call *call, sip_t const *sip)
{
	nta_agent_t *nta = trunk_agent_nta(call->gw->agents[call->b.side]);
	struct call_fork *f = NULL;
	unsigned i;

	if (!call->forks)
		call->forks = su_zalloc(call->home, sizeof(*call->forks));
	for (i = 0; call->forks && i < CALL_MAX_FORKS && !f; i++)
		if (!call->forks->f[i].leg)
			f = &call->forks->f[i];
	if (!f) {
		LOGW(SUBSYS, call->ctx, "fork %s ignored: too many forks",
		     sip->sip_to->a_tag);
		return NULL;
	}
	f->leg = nta_leg_tcreate(
		nta, fork_request, &call->b, SIPTAG_CALL_ID(sip->sip_call_id),
		SIPTAG_FROM(sip->sip_from), SIPTAG_TO(sip->sip_to),
		SIPTAG_CSEQ(sip->sip_cseq), TAG_END());
	if (!f->leg)
		return NULL;
	nta_leg_client_route(f->leg, sip->sip_record_route, sip->sip_contact);
	return f;
}

/* Make fork f leg B's dialog; leg B's dialog so far waits in f. */
static void fork_take(struct trunk_call *call, struct call_fork *f)
{
	nta_leg_t *prev = call->b.leg;
	uint32_t rseq = call->b_rseq;

	LOGI(SUBSYS, call->ctx, "leg B: fork %s takes over from fork %s",
	     nta_leg_get_rtag(f->leg), nta_leg_get_rtag(prev));
	call->b.leg = f->leg;
	nta_leg_bind(call->b.leg, call_leg_request, &call->b);
	f->leg = prev;
	/* RSeq is per dialog (RFC 3262 3): leg B's is the new fork's. */
	call->b_rseq = f->rseq;
	f->rseq = rseq;
	nta_leg_bind(prev, fork_request, &call->b);
	/* Each fork answers our INVITE's offer on its own: the next SDP from
	 * leg B is an answer again, not an offer (RFC 3264 on each of the
	 * early dialogs), with a new peer behind it. */
	if (call->body) {
		call->sdp[1].offer_out = true;
		call->sdp[1].peer_known = false;
	}
}

/* ACK a fork's 2xx in its dialog (our INVITE's CSeq). */
static void fork_ack(struct trunk_call *call, struct call_fork *f)
{
	call_ack_leg(call, f->leg, &call->b, call->invite_b_cseq, NULL);
}

/* A 2xx from a fork after leg B was confirmed with another (RFC 3261
 * 13.2.2.4): ACK it and end that dialog with a BYE, which call_abandon.c
 * sends and keeps (a carrier may challenge it: REG-4, STA-6; the call may
 * end first). A retransmission of that 2xx (our ACK was lost) gets the
 * ACK again. */
static void fork_stray_2xx(struct trunk_call *call, sip_t const *sip)
{
	struct call_fork *f = fork_find(call, sip->sip_to->a_tag);
	struct trunk_abandon_from from = { call->b.hop,
					   call_leg_trunk(call, &call->b),
					   call->ctx, 0 };

	if (f && f->answered) {
		fork_ack(call, f);
		return;
	}
	if (!f && !(f = fork_new(call, sip)))
		return;
	/* Its 2xx names its target and route set for good (12.1.2). */
	nta_leg_client_reroute(f->leg, sip->sip_record_route, sip->sip_contact,
			       1);
	f->answered = true;
	LOGI(SUBSYS, call->ctx,
	     "fork %s answered %u after leg B was confirmed: ACK and BYE",
	     sip->sip_to->a_tag, sip->sip_status->st_status);
	fork_ack(call, f);
	/* Leg B's requests go by CALL_HOP only: it has no tport of its own
	 * (call_leg_tport(): a carrier's connection is leg A's). */
	if (!trunk_bye_abandon(call->gw,
			       trunk_agent_nta(call->gw->agents[call->b.side]),
			       f->leg, &from))
		LOGW(SUBSYS, call->ctx, "fork %s: no BYE (out of memory)",
		     sip->sip_to->a_tag);
}

bool call_fork_b_response(struct trunk_call *call, sip_t const *sip)
{
	int status = sip->sip_status->st_status;
	const char *tag = sip->sip_to ? sip->sip_to->a_tag : NULL;
	const char *cur = nta_leg_get_rtag(call->b.leg);
	struct call_fork *f;

	if (!tag || !cur || !strcasecmp(tag, cur) || status <= 100 ||
	    status >= 300)
		return false; /* leg B's own dialog, or no dialog at all */
	if (call->b_acked) {
		if (status >= 200)
			fork_stray_2xx(call, sip);
		return true; /* a late 18x of another fork: nothing to do */
	}
	f = fork_find(call, tag);
	/* A retransmitted reliable 18x of a waiting fork (RFC 3262 3): it
	 * was taken (and PRACKed) before; it changes nothing. */
	if (f && status < 200 && sip->sip_rseq && f->rseq &&
	    sip->sip_rseq->rs_response <= f->rseq)
		return true;
	if (!f && !(f = fork_new(call, sip)))
		return true;
	fork_take(call, f);
	return false; /* relayed as leg B's, in its dialog */
}

uint32_t call_fork_seq(const struct trunk_call *call)
{
	const struct call_forks *fs = call->forks;
	uint32_t seq = call->b.leg ? nta_leg_get_seq(call->b.leg) : 0, s;
	unsigned i;

	for (i = 0; fs && i < CALL_MAX_FORKS; i++)
		if (fs->f[i].leg && (s = nta_leg_get_seq(fs->f[i].leg)) > seq)
			seq = s;
	return seq;
}

void call_fork_free(struct trunk_call *call)
{
	struct call_forks *fs = call->forks;
	unsigned i;

	for (i = 0; fs && i < CALL_MAX_FORKS; i++)
		if (fs->f[i].leg)
			nta_leg_destroy(fs->f[i].leg);
	if (fs)
		su_free(call->home, fs);
	call->forks = NULL;
}

/* Other forks may answer our INVITE for 64*T1 after leg B's 2xx (RFC 3261
 * 13.2.2.4: timer D), each 2xx then reaching call_fork_b_response()
 * through it. After that it goes back to nta, which frees it: its request
 * and B's 2xx would otherwise stay for the call's life (~10 KB of the
 * memory per established call). */
static void fork_release(su_root_magic_t *m, su_timer_t *t,
			 struct trunk_call *call)
{
	(void)m;
	trunk_tls_orq_destroy(call->gw, call->invite_b);
	call->invite_b = NULL;
	/* Done for good (a one-shot timer may go in its own callback, as
	 * the reaper does): not kept for the rest of the call. */
	su_timer_destroy(t);
	call->b_release = NULL;
}

/* Our INVITE went over TCP or TLS. There nta ends it with its 2xx (no
 * timer D on a reliable transport, RFC 3261 17.1.1.2) and matches no
 * later 2xx to it: those reach the agent (trunk_call_stray_2xx()) while
 * nta still holds the ended transaction, with our INVITE and B's 2xx,
 * until it is handed back. */
static bool fork_invite_reliable(struct trunk_call *call)
{
	tport_t *tp = nta_outgoing_transport(call->invite_b);
	bool reliable = tp && tport_is_reliable(tp);

	if (tp)
		tport_unref(tp);
	return reliable;
}

void call_fork_confirmed(struct trunk_call *call)
{
	su_duration_t t1 = (su_duration_t)config_get_int(
		config_section_get(call->gw->cfg, "global", NULL), "sip_t1");

	if (call->b_release || !call->invite_b)
		return;
	/* Over UDP nta keeps it for timer D (32 s) whatever we do: handed
	 * back 64*T1 later, so that the forks' 2xx still come through it.
	 * Over TCP/TLS 1 ms later (su_timer wants more than 0): not inside
	 * nta's callback of the 2xx, which nta frees with the transaction. */
	call->b_release =
		su_timer_create(su_root_task(call->gw->root),
				fork_invite_reliable(call) ? 1 : 64 * t1);
	if (call->b_release)
		su_timer_set(call->b_release, fork_release, call);
}

/* A 2xx with a To-tag that no dialog of ours has: a fork that answered
 * after leg B's 2xx, once our INVITE is no longer nta's to match (over
 * TCP/TLS at once, over UDP after 64*T1). Its call by leg B's Call-ID and
 * our From-tag; NULL: none. */
static struct trunk_call *fork_call_of(struct trunk_gateway *gw,
				       sip_t const *sip)
{
	struct trunk_call *call;

	if (!sip->sip_from->a_tag)
		return NULL;
	for (call = gw->calls; call; call = call->next)
		if (call->b.leg &&
		    !strcmp(call->call_id[1], sip->sip_call_id->i_id) &&
		    !strcasecmp(nta_leg_get_tag(call->b.leg)
					? nta_leg_get_tag(call->b.leg)
					: "",
				sip->sip_from->a_tag))
			return call;
	return NULL;
}

/* After that nta hands a 2xx to our INVITE to the agent: a retransmission
 * because our ACK got lost, from leg B's dialog or a fork's (RFC 3261
 * 13.2.2.4). ACK it again (unless leg B's ACK waits for A's: an offer in
 * its 2xx); a fork's also through call_fork_b_response(), which ACKs and
 * ends a fork not seen before. */
bool trunk_call_stray_2xx(struct trunk_gateway *gw, nta_agent_t *nta,
			  sip_t const *sip)
{
	struct trunk_call *call;
	struct call_leg *cl = NULL;
	nta_leg_t *leg;

	if (sip->sip_status->st_status >= 300 ||
	    sip->sip_status->st_status < 200 || !sip->sip_cseq ||
	    sip->sip_cseq->cs_method != sip_method_invite || !sip->sip_to ||
	    !sip->sip_from || !sip->sip_call_id)
		return false;
	leg = nta_leg_by_dialog(nta, NULL, sip->sip_call_id, sip->sip_to->a_tag,
				sip->sip_to->a_url, sip->sip_from->a_tag,
				sip->sip_from->a_url);
	if (leg && !(cl = nta_leg_magic(leg, call_leg_request)))
		cl = nta_leg_magic(leg, fork_request);
	if (!leg) {
		call = fork_call_of(gw, sip);
		cl = call ? &call->b : NULL;
	}
	if (!cl || cl != &cl->call->b)
		return false;
	call = cl->call;
	if (call->invite_b || !call->b_acked || call->state != CALL_CONFIRMED ||
	    sip->sip_cseq->cs_seq != call->invite_b_cseq)
		return false;
	if (call_fork_b_response(call, sip))
		return true;
	if (call->ack_to != cl)
		call_send_ack(call, cl, call->invite_b_cseq, NULL);
	return true;
}
