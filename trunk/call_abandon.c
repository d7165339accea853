/*
 * Our INVITEs that a call leaves before their final response: the INVITE
 * to SP-SSE n when invite_timeout moves the call to SP-SSE n+1 (STA-1,
 * call_sse.c), or leg B's when the call ends while it is still ringing
 * (trunkctl hangup, shutdown, the early dialog's BYE). Also leg B's INVITE
 * whose 2xx comes after its call ended but before it was freed (the 2xx
 * crossed the BYE or hangup that ended it): taken with that 2xx, at
 * "2xx" below.
 *
 * nta would forget such an INVITE at once when destroyed (no CANCEL ever,
 * and its late responses match nothing), yet SP-SSE n may be slow rather
 * than dead (its 100 Trying lost, an overloaded SBC): its network may ring
 * the callee and answer. So the INVITE is CANCELled and kept here, on the
 * gateway, for as long as that transaction lives, whatever becomes of the
 * call; its responses never reach the call:
 *
 *   CANCEL pending: nta sends it with the first provisional (RFC 3261 9.1:
 *   none before one), or at once when there was one
 *     │ 3xx-6xx (487): ACKed by nta ──────────────┐
 *     │ no answer at all (Timer B) ───────────────┤
 *     │ 2xx (crossed the CANCEL, or came first)   ▼
 *     ▼                                         freed
 *   ACK, then BYE in that 2xx's dialog (RFC 3261 13.2.2.4, 15; each
 *   dialog of a forked INVITE on its own); a retransmitted 2xx is ACKed
 *   again; a carrier's 401/407 to a BYE gets it once more with the
 *   trunk's credentials (REG-4, STA-6: auth.c), a second one is final;
 *   freed once every BYE is answered
 *
 * A late fork's 2xx (call_fork.c: after leg B's dialog was confirmed with
 * another fork, RFC 3261 13.2.2.4) is ACKed by its call, which keeps that
 * dialog; its BYE is sent and kept here (trunk_bye_abandon), a record
 * without an INVITE, so that a challenge to it is answered as above,
 * whatever becomes of the call.
 *
 * A bound (3 x 64 x T1: Timer B, the CANCEL's wait and a BYE's Timer F)
 * frees a record whatever nta still owes it.
 */
#define SU_TIMER_ARG_T	     struct trunk_abandoned
#define NTA_LEG_MAGIC_T	     struct trunk_abandoned
#define NTA_OUTGOING_MAGIC_T struct trunk_abandoned

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.call"

/* Dialogs of one INVITE answered 2xx (forks beyond: see abandoned_2xx). */
#define ABANDONED_DIALOGS 4

struct abandoned_dialog {
	nta_leg_t *leg;	     /* ours; NULL: a late fork's (its call's) */
	nta_outgoing_t *bye; /* our BYE, until its final response */
	bool retried;	     /* bye answers a challenge: no other */
	char tag[48];	     /* its remote tag, for the log; "": unused */
};

struct trunk_abandoned {
	struct trunk_abandoned *next, **prevp;
	struct trunk_gateway *gw; /* borrowed */
	nta_agent_t *nta;	  /* borrowed */
	nta_outgoing_t *invite;	  /* ours: the INVITE left behind */
	char *hop;		  /* owned: a TLS trunk's next hop, or NULL */
	char trunk[64]; /* whose credentials answer a challenge, or "" */
	char ctx[48];
	const char *what;  /* its dialogs in the log (static) */
	su_timer_t *timer; /* the bound, then zero-delay: freed */
	bool final;	   /* the INVITE got its final response */
	uint32_t seq;	   /* highest CSeq of the call's early dialogs */
	struct abandoned_dialog d[ABANDONED_DIALOGS];
};

static void abandoned_free(struct trunk_abandoned *a)
{
	*a->prevp = a->next;
	if (a->next)
		a->next->prevp = a->prevp;
	for (unsigned i = 0; i < ABANDONED_DIALOGS; i++) {
		if (a->d[i].bye)
			nta_outgoing_destroy(a->d[i].bye);
		if (a->d[i].leg)
			nta_leg_destroy(a->d[i].leg);
	}
	if (a->invite)
		nta_outgoing_destroy(a->invite);
	if (a->timer)
		su_timer_destroy(a->timer);
	free(a->hop);
	free(a);
}

static void abandoned_timer(su_root_magic_t *m, su_timer_t *t,
			    struct trunk_abandoned *a)
{
	(void)m;
	(void)t;
	abandoned_free(a);
}

/* Done when the INVITE is final and no BYE waits: freed once nta's
 * callback has returned (STYLE 6). */
static void abandoned_check(struct trunk_abandoned *a)
{
	for (unsigned i = 0; i < ABANDONED_DIALOGS; i++)
		if (a->d[i].bye)
			return;
	if (a->final && a->timer)
		su_timer_set_interval(a->timer, abandoned_timer, a, 0);
}

/* A request of the callee in a dialog of ours here: its BYE crossed ours
 * (200), anything else has no dialog to go to (RFC 3261 12.2.2). */
static int abandoned_request(struct trunk_abandoned *a, nta_leg_t *leg,
			     nta_incoming_t *irq, sip_t const *sip)
{
	(void)irq;
	(void)leg;
	if (sip->sip_request->rq_method == sip_method_ack)
		return 0;
	LOGI(SUBSYS, a->ctx, "%s in an abandoned INVITE's dialog: %s",
	     sip->sip_request->rq_method_name,
	     sip->sip_request->rq_method == sip_method_bye ? "200" : "481");
	return sip->sip_request->rq_method == sip_method_bye ? 200 : 481;
}

static int abandoned_bye_response(struct trunk_abandoned *a,
				  nta_outgoing_t *orq, sip_t const *sip);

/* A carrier's first 401/407 to the BYE of dialog d: the BYE again with
 * the trunk's credentials (auth.c: the leg's next CSeq, or the BYE's + 1
 * in a late fork's dialog; the challenge's realm and nonce). The trunk is
 * looked up anew: a reload may have removed it. False: no retry (none
 * owed, or it cannot be sent). */
static bool abandoned_bye_again(struct trunk_abandoned *a,
				struct abandoned_dialog *d, nta_outgoing_t *orq,
				sip_t const *sip)
{
	int status = sip ? sip->sip_status->st_status : 0;
	nta_outgoing_t *again;
	msg_t *msg;

	if ((status != 401 && status != 407) || !a->trunk[0])
		return false;
	if (d->retried) {
		LOGE(SUBSYS, a->ctx,
		     "trunk %s refused our credentials for the BYE of %s %s "
		     "(%d): check username and password",
		     a->trunk, a->what, d->tag, status);
		return false;
	}
	if (!trunk_config_trunk(a->gw->cfg, a->trunk)) {
		LOGW(SUBSYS, a->ctx,
		     "BYE of %s %s challenged (%d), trunk %s no longer "
		     "configured: not answered",
		     a->what, d->tag, status, a->trunk);
		return false;
	}
	msg = trunk_auth_request_again(a->gw, a->trunk, d->leg, orq, sip);
	if (!msg)
		return false;
	again = nta_outgoing_mcreate(a->nta, abandoned_bye_response, a,
				     a->hop ? URL_STRING_MAKE(a->hop) : NULL,
				     msg, TAG_END());
	if (!again) {
		msg_destroy(msg);
		return false;
	}
	LOGI(SUBSYS, a->ctx,
	     "BYE of %s %s challenged (%d): sent again with credentials",
	     a->what, d->tag, status);
	nta_outgoing_destroy(orq);
	d->bye = again;
	d->retried = true;
	return true;
}

static int abandoned_bye_response(struct trunk_abandoned *a,
				  nta_outgoing_t *orq, sip_t const *sip)
{
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);

	if (status < 200)
		return 0;
	for (unsigned i = 0; i < ABANDONED_DIALOGS; i++) {
		if (a->d[i].bye != orq)
			continue;
		if (abandoned_bye_again(a, &a->d[i], orq, sip))
			return 0;
		LOGI(SUBSYS, a->ctx, "BYE of %s %s: %d", a->what, a->d[i].tag,
		     status);
		nta_outgoing_destroy(orq);
		a->d[i].bye = NULL;
	}
	abandoned_check(a);
	return 0;
}

/* The ACK of a 2xx, as call_ack_leg() sends them: with our INVITE's
 * credentials (RFC 3261 13.2.2.4). */
static void abandoned_ack(struct trunk_abandoned *a, nta_leg_t *leg,
			  sip_t const *sip)
{
	sip_cseq_t *cseq =
		sip_cseq_create(trunk_scratch_get(a->gw), sip->sip_cseq->cs_seq,
				sip_method_ack, "ACK");
	msg_t *req = nta_outgoing_getrequest(a->invite);

	if (cseq)
		trunk_ack_send(leg, a->hop ? URL_STRING_MAKE(a->hop) : NULL,
			       NULL, cseq, sip_object(req), NULL, NULL);
	msg_destroy(req);
}

/* Credentials for a BYE in leg toward a trunk that challenged us
 * before (the nonce reused, as for a call's BYE: call_auth()), on the
 * scratch home; or NULL. */
static msg_header_t *abandoned_auth(struct trunk_abandoned *a, nta_leg_t *leg)
{
	sip_contact_t const *target = NULL;
	sip_route_t const *route = NULL;
	msg_header_t *h = NULL;

	if (!a->trunk[0])
		return NULL;
	nta_leg_get_route(leg, &route, &target);
	if (!target ||
	    trunk_auth_headers(a->gw, a->trunk, trunk_scratch_get(a->gw), "BYE",
			       target->m_url, NULL, &h))
		return NULL;
	return h;
}

/* Our BYE in leg (d's own, or a late fork's), with the trunk's cached
 * credentials as a call's BYE has them (call_auth()); NULL: not sent. */
static nta_outgoing_t *abandoned_bye(struct trunk_abandoned *a, nta_leg_t *leg)
{
	return nta_outgoing_tcreate(
		leg, abandoned_bye_response, a,
		a->hop ? URL_STRING_MAKE(a->hop) : NULL, SIP_METHOD_BYE, NULL,
		SIPTAG_HEADER((sip_header_t *)abandoned_auth(a, leg)),
		TAG_END());
}

/* A 2xx: its dialog made from it (our From and tag, its To, target and
 * route set), ACKed and ended with a BYE whose CSeq follows the INVITE's
 * and any PRACK the call sent in its early dialogs (RFC 3261 12.2.1.1:
 * a BYE at the PRACK's CSeq would be refused as out of order); the same
 * 2xx again (our ACK was lost) gets the ACK again. */
static void abandoned_2xx(struct trunk_abandoned *a, sip_t const *sip)
{
	const char *tag = sip->sip_to ? sip->sip_to->a_tag : NULL;
	struct abandoned_dialog *d = NULL;
	char cs[32];
	unsigned i;

	if (!tag || !sip->sip_cseq)
		return;
	for (i = 0; i < ABANDONED_DIALOGS; i++)
		if (a->d[i].leg &&
		    !strcasecmp(nta_leg_get_rtag(a->d[i].leg), tag)) {
			abandoned_ack(a, a->d[i].leg, sip);
			return;
		}
	for (i = 0; i < ABANDONED_DIALOGS && !d; i++)
		if (!a->d[i].tag[0])
			d = &a->d[i];
	if (!d) {
		LOGW(SUBSYS, a->ctx,
		     "abandoned INVITE answered by too many forks: %s ignored",
		     tag);
		return;
	}
	snprintf(cs, sizeof(cs), "%u INVITE",
		 sip->sip_cseq->cs_seq > a->seq ? sip->sip_cseq->cs_seq
						: a->seq);
	d->leg = nta_leg_tcreate(
		a->nta, abandoned_request, a, SIPTAG_CALL_ID(sip->sip_call_id),
		SIPTAG_FROM(sip->sip_from), SIPTAG_TO(sip->sip_to),
		SIPTAG_CSEQ_STR(cs), TAG_END());
	if (!d->leg)
		return;
	nta_leg_client_route(d->leg, sip->sip_record_route, sip->sip_contact);
	snprintf(d->tag, sizeof(d->tag), "%s", tag);
	LOGW(SUBSYS, a->ctx,
	     "abandoned INVITE answered %u (dialog %s): ACK "
	     "and BYE",
	     sip->sip_status->st_status, tag);
	abandoned_ack(a, d->leg, sip);
	d->bye = abandoned_bye(a, d->leg);
}

static int abandoned_response(struct trunk_abandoned *a, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);

	if (status < 200)
		return 0; /* nta sends the pending CANCEL with it */
	if (status < 300 && sip)
		abandoned_2xx(a, sip);
	else if (!a->final)
		LOGI(SUBSYS, a->ctx, "abandoned INVITE ended: %d", status);
	a->final = true;
	abandoned_check(a);
	return 0;
}

/* A record on gw's list, its bound armed; NULL: out of memory. */
static struct trunk_abandoned *
abandoned_new(struct trunk_gateway *gw, nta_agent_t *nta,
	      const struct trunk_abandon_from *from, const char *what)
{
	const struct config_section *g =
		config_section_get(gw->cfg, "global", NULL);
	struct trunk_abandoned *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->hop = from->hop ? strdup(from->hop) : NULL;
	a->timer = su_timer_create(
		su_root_task(gw->root),
		(su_duration_t)(3 * 64 * config_get_int(g, "sip_t1")));
	if ((from->hop && !a->hop) || !a->timer ||
	    su_timer_set(a->timer, abandoned_timer, a) < 0) {
		if (a->timer)
			su_timer_destroy(a->timer);
		free(a->hop);
		free(a);
		return NULL;
	}
	a->gw = gw;
	a->nta = nta;
	a->what = what;
	snprintf(a->trunk, sizeof(a->trunk), "%s",
		 from->trunk ? from->trunk : "");
	snprintf(a->ctx, sizeof(a->ctx), "%s", from->ctx);
	a->seq = from->seq;
	a->next = gw->abandoned;
	if (a->next)
		a->next->prevp = &a->next;
	a->prevp = &gw->abandoned;
	gw->abandoned = a;
	return a;
}

bool trunk_invite_abandon(struct trunk_gateway *gw, nta_agent_t *nta,
			  nta_outgoing_t *orq, sip_t const *answer,
			  const struct trunk_abandon_from *from)
{
	struct trunk_abandoned *a;

	if (!orq || !nta ||
	    (answer ? !answer->sip_status ||
			      answer->sip_status->st_status < 200 ||
			      answer->sip_status->st_status >= 300
		    : nta_outgoing_status(orq) >= 200) ||
	    !(a = abandoned_new(gw, nta, from,
				"the abandoned INVITE's dialog")))
		return false;
	a->invite = orq;
	/* Bound first: nta may answer a cancelled INVITE itself (487) from
	 * inside nta_outgoing_cancel() (one it has not resolved yet). */
	nta_outgoing_bind(orq, abandoned_response, a);
	if (answer) { /* inside orq's callback: its retransmissions come here */
		LOGI(SUBSYS, a->ctx, "INVITE answered after its call ended");
		abandoned_response(a, orq, answer);
		return true;
	}
	nta_outgoing_cancel(orq);
	LOGI(SUBSYS, a->ctx, "INVITE left behind: CANCELled%s",
	     nta_outgoing_status(orq) < 100 ? " with its first provisional"
					    : "");
	return true;
}

bool trunk_bye_abandon(struct trunk_gateway *gw, nta_agent_t *nta,
		       nta_leg_t *leg, const struct trunk_abandon_from *from)
{
	struct trunk_abandoned *a;

	if (!leg || !nta ||
	    !(a = abandoned_new(gw, nta, from, "the late fork's dialog")))
		return false;
	a->final = true; /* no INVITE of its own */
	snprintf(a->d[0].tag, sizeof(a->d[0].tag), "%s",
		 nta_leg_get_rtag(leg) ? nta_leg_get_rtag(leg) : "-");
	a->d[0].bye = abandoned_bye(a, leg);
	if (!a->d[0].bye) {
		abandoned_free(a);
		return false;
	}
	return true;
}

void trunk_invite_abandon_free_all(struct trunk_gateway *gw)
{
	while (gw->abandoned)
		abandoned_free(gw->abandoned);
}
