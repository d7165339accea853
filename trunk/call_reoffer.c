/*
 * A new offer to the leg that stayed, after a transfer changed the party
 * on the other one (transfer.c: blind and attended, SIPconnect 12).
 *
 * Media is anchored, so the remaining peer keeps sending to the same relay
 * port whoever is on the other side: a transfer needs no re-INVITE while
 * the new party uses what was agreed on the remaining leg. It does when
 * the new party answered with other codecs (the carrier offered PCMU and
 * PCMA, the first phone took PCMU, the target takes only PCMA): the relay
 * never transcodes (docs/media.md), so the remaining leg must be told. The
 * new party's answer then crosses as our offer there, in a re-INVITE with
 * our o= line at a higher version (SDP-3), and the answer to it re-points
 * the relay:
 *
 *   target's 2xx ──codecs agreed on the remaining leg?──▶ yes: nothing
 *                        │ no
 *                        ▼
 *   re-INVITE(our offer: the target's codecs) ──2xx──▶ ACK, relay learns
 *                        │                              the answer
 *                        └──3xx-6xx / no answer──▶ WARN; the call stays
 *
 * While it is under way a re-INVITE from either peer gets 491 (glare,
 * call_dialog.c).
 *
 * The same re-INVITE of ours puts the legs back in agreement after a
 * relayed re-INVITE failed on one side only: the asker (leg F) CANCELled
 * it, got 487 and kept its session, while the other leg (X) accepted it
 * with a 2xx that crossed our CANCEL (RFC 3261 9.1: the 2xx stands). X's
 * 2xx is ACKed, then X gets a re-INVITE whose offer is the SDP it had
 * before (F's session as we last described it to X, at a higher o=
 * version); if X refuses it, both legs get a BYE. When F's re-INVITE had no
 * offer, X's 2xx carries one: the ACK answers it with F's session (only
 * the codecs X offers; none in common: ACK, then BYE on both legs); when X
 * offered in a reliable 18x instead (call_reprack.c), as with an offer.
 * Either SDP of ours keeps every m-line (trunk_sdp_shape(): an answer has
 * the offer's, an offer never fewer than the last exchanged, RFC 3264).
 *
 *   re-INVITE(F) relayed ──CANCEL(F)──▶ CANCEL(X) ──487──▶ F's state back
 *                                            │ 2xx crossed
 *                                            ▼
 *          with offer: ACK(X), re-INVITE(X, F's SDP) ──2xx──▶ ACK, agreed
 *          offerless:  ACK(X, answer from F's SDP)       └─fail──▶ BYE both
 *
 * An UPDATE with an offer (RFC 3311) goes the same way: when X's 2xx
 * answers it with SDP that cannot be parsed, F gets 488, and X (not
 * ACKed: an UPDATE has no ACK, unless it was sent on as a re-INVITE) gets
 * our re-INVITE with F's session.
 *
 * Whatever failed (487, 488...), the offer of F's that crossed when the
 * re-INVITE (or UPDATE) was relayed no longer holds: the offer/answer
 * state of both legs and the relay's idea of F's (and X's) peer go back
 * to what they were (call_reinvite_undo).
 */
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.reoffer"

static int reoffer_response(struct trunk_call *call, nta_outgoing_t *orq,
			    sip_t const *sip)
{
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	struct call_leg *to = call->reoffer_to;
	struct trunk_sdp_leg *tl = &call->sdp[to == &call->a ? 0 : 1];
	struct trunk_sdp_leg none = { 0 };
	struct trunk_sdp_remote rs;
	nta_outgoing_t *again;

	if (orq != call->reoffer || status < 200)
		return 0;
	/* A carrier's challenge: the same re-INVITE with credentials. */
	if ((again = call_auth_retry(call, to, orq, sip, reoffer_response))) {
		nta_outgoing_destroy(orq);
		call->reoffer = again;
		return 0;
	}
	call->reoffer = NULL;
	if (status >= 300 || !sip) {
		nta_outgoing_destroy(orq);
		tl->offer_out = false;
		LOGW(SUBSYS, call->ctx, "leg %c refused our re-INVITE (%s): %d",
		     to == &call->a ? 'A' : 'B',
		     call->realign ? "the media the other leg kept"
				   : "the new media after the transfer",
		     status);
		if (call->realign) /* the legs disagree for good */
			call_hangup(call, "legs disagree on the media");
		else if (call->reoffer_moved) /* it sends to a freed port */
			call_hangup(call, "the transferee's media could not "
					  "move to its new relay port");
		call->realign = call->reoffer_moved = false;
		return 0;
	}
	call_send_ack(call, to, nta_outgoing_cseq(orq), NULL);
	/* The answer: recorded as the leg's (offer/answer state, its peer's
	 * codecs), and where and what the relay sends there now. */
	if (sip->sip_payload &&
	    !trunk_sdp_remote(sip->sip_payload->pl_data,
			      sip->sip_payload->pl_len, &rs, NULL, 0) &&
	    rs.nstreams) {
		trunk_sdp_note(tl, &none, &rs);
		call_sdp_learn(call, to, sip->sip_payload);
	}
	call_timer_response_in(to, sip);
	nta_outgoing_destroy(orq); /* frees sip over TCP/TLS */
	LOGI(SUBSYS, call->ctx, "leg %c took %s", to == &call->a ? 'A' : 'B',
	     call->realign ? "the media the other leg kept"
			   : "the new media after the transfer");
	call->realign = call->reoffer_moved = false;
	return 0;
}

/* Our re-INVITE to `to` with body (reoffer_response() takes its answer). */
static void reoffer_send(struct trunk_call *call, struct call_leg *to,
			 struct call_body *body)
{
	const char *st = call_timer_request_headers(call, to);

	call->reoffer_to = to;
	call->reoffer = nta_outgoing_tcreate(
		to->leg, reoffer_response, call, CALL_HOP(to),
		SIP_METHOD_INVITE, NULL, CALL_TPORT_TAG(to),
		SIPTAG_CONTACT(call_leg_contact(call, to)),
		TAG_IF(st, SIPTAG_HEADER_STR(st)),
		SIPTAG_HEADER((sip_header_t *)call_auth(call, to, "INVITE",
							body->pl)),
		CALL_BODY_TAGS(body), TAG_END());
	if (!call->reoffer)
		call->sdp[to == &call->a ? 0 : 1].offer_out = false;
}

bool call_reoffer(struct trunk_call *call, struct call_leg *from,
		  sip_t const *sip, bool moved)
{
	struct call_leg *to = call_peer(from);
	struct trunk_sdp_leg *tl = &call->sdp[to == &call->a ? 0 : 1];
	struct trunk_sdp_remote rs;
	struct call_body body;

	if (!sip->sip_payload || !call->media || call->reoffer ||
	    trunk_sdp_remote(sip->sip_payload->pl_data,
			     sip->sip_payload->pl_len, &rs, NULL, 0) ||
	    !rs.nstreams || (!moved && trunk_sdp_same_codecs(&rs.s[0], tl)))
		return false;
	/* An INVITE under way (a peer's, our session refresh): ours would
	 * meet 491. */
	if (call_invite_busy(call)) {
		LOGW(SUBSYS, call->ctx,
		     "new %s after the transfer not offered to leg %c: a "
		     "re-INVITE is under way",
		     moved ? "relay port" : "codecs",
		     to == &call->a ? 'A' : 'B');
		return false;
	}
	if (call_sdp_cross(call, from, sip->sip_payload, sip->sip_content_type,
			   &body))
		return false;
	LOGI(SUBSYS, call->ctx, "leg %c: re-INVITE with the new party's %s",
	     to == &call->a ? 'A' : 'B',
	     moved ? "media on a new relay port" : "codecs");
	reoffer_send(call, to, &body);
	call->reoffer_moved = moved && call->reoffer;
	return call->reoffer != NULL;
}

void call_reoffer_free(struct trunk_call *call)
{
	if (call->reoffer)
		nta_outgoing_destroy(call->reoffer);
	call->reoffer = NULL;
}

/* ---------------------------------------------------------------------- */
/* A relayed re-INVITE that failed on one side only                        */

/* Both legs' offer/answer state before an offer of F's crossed to X, and
 * the SDP X had from us then (on the heap while the re-INVITE lasts). */
struct call_sdp_undo {
	struct trunk_sdp_leg leg[2]; /* sdp[0], sdp[1] then (last: stale) */
	char *x_last;		     /* sdp[X].last then, a copy */
};

static int leg_idx(const struct trunk_call *call, const struct call_leg *leg)
{
	return leg == &call->a ? 0 : 1;
}

void call_reinvite_keep(struct trunk_call *call, struct call_txn *t,
			struct call_leg *from)
{
	struct call_sdp_undo *u;
	const char *last = call->sdp[!leg_idx(call, from)].last;

	call_reinvite_undo_free(t);
	if (!(u = calloc(1, sizeof(*u))))
		return;
	memcpy(u->leg, call->sdp, sizeof(u->leg));
	u->x_last = last ? strdup(last) : NULL;
	t->undo = u;
}

void call_reinvite_undo_free(struct call_txn *t)
{
	if (!t->undo)
		return;
	free(t->undo->x_last);
	free(t->undo);
	t->undo = NULL;
}

/* The offer/answer state of leg i as it was, but for what its peer saw of
 * ours since (session, version, last body: an o= version only rises). */
static void undo_leg(struct trunk_call *call, const struct call_sdp_undo *u,
		     int i)
{
	struct trunk_sdp_leg keep = call->sdp[i];

	call->sdp[i] = u->leg[i];
	call->sdp[i].sess_id = keep.sess_id;
	call->sdp[i].version = keep.version;
	call->sdp[i].last = keep.last;
}

/* The relay sends leg i's peer what was agreed before: its stream then,
 * with the payload types both our last SDPs named (the answer's). */
static void undo_remote(struct trunk_call *call, int i)
{
	const struct trunk_sdp_leg *l = &call->sdp[i], *o = &call->sdp[!i];
	struct trunk_sdp_stream st = l->peer;
	unsigned j, k;

	if (!l->peer_known || !call->media)
		return;
	st.npt = 0;
	for (j = 0; j < l->npt; j++)
		for (k = 0; k < o->npt; k++)
			if (l->pt[j] == o->pt[k]) {
				st.pt[st.npt++] = l->pt[j];
				break;
			}
	call_sdp_remote(call, i ? &call->b : &call->a, &st);
}

void call_reinvite_undo(struct trunk_call *call, struct call_txn *t)
{
	if (!t->undo)
		return;
	undo_leg(call, t->undo, 0);
	undo_leg(call, t->undo, 1);
	undo_remote(call, 0);
	undo_remote(call, 1);
	call_reinvite_undo_free(t);
}

static bool has_pt(const uint8_t *pt, unsigned n, uint8_t want)
{
	while (n--)
		if (pt[n] == want)
			return true;
	return false;
}

/*
 * F's session as we last described it to X (text), for X at a higher o=
 * version of ours: an offer, or the answer to X's offer `offered`. Only
 * the codecs agreed before are named (those both our last SDPs named, and
 * X offers now): the relay never transcodes. On the scratch home in
 * *body; 0, or EINVAL when nothing is left.
 */
int call_realign_sdp(struct trunk_call *call, struct call_leg *x,
		     const char *text,
		     const struct trunk_sdp_remote *offered_rs,
		     const char *offer, struct call_body *body)
{
	const struct trunk_sdp_stream *offered =
		offered_rs ? &offered_rs->s[0] : NULL;
	struct trunk_sdp_leg *xl = &call->sdp[leg_idx(call, x)];
	const struct trunk_sdp_leg *fl = &call->sdp[!leg_idx(call, x)];
	uint16_t ports[TRUNK_SDP_MAX_MEDIA] = { 0 };
	const char *addr, *model;
	char why[120], *out, *shaped = NULL;
	unsigned i;

	memset(body, 0, sizeof(*body));
	if (!text || !call->media)
		return EINVAL;
	/* Every m-line: an answer has those of X's offer, an offer at least
	 * those of the last SDP exchanged with X (RFC 3264 6, 8). */
	model = offered_rs ? offer : xl->last;
	if (model && trunk_sdp_shape(trunk_scratch_get(call->gw), text, model,
				     offered_rs != NULL, &shaped))
		return EINVAL;
	if (shaped)
		text = shaped;
	/* The rewrite of an answer keeps only what xl->peer lists. */
	if (offered)
		xl->peer = *offered;
	xl->peer.npt = 0;
	for (i = 0; i < fl->npt; i++)
		if (has_pt(xl->pt, xl->npt, fl->pt[i]) &&
		    (!offered || has_pt(offered->pt, offered->npt, fl->pt[i])))
			xl->peer.pt[xl->peer.npt++] = fl->pt[i];
	xl->peer_known = true;
	xl->answer = true;
	ports[0] = media_session_port(call->media, x == &call->a ? MEDIA_LEG_A
								 : MEDIA_LEG_B);
	addr = media_engine_side_addr(call->gw->media,
				      (enum media_side)x->side);
	if (!xl->peer.npt ||
	    trunk_sdp_rewrite(NULL, xl, text, strlen(text), addr,
			      strchr(addr, ':'), ports, TRUNK_SDP_MAX_MEDIA,
			      &out, why, sizeof(why)))
		return EINVAL;
	body->pl = sip_payload_make(trunk_scratch_get(call->gw), out);
	free(out); /* kept as xl->last */
	body->ct = sip_content_type_make(trunk_scratch_get(call->gw),
					 "application/sdp");
	xl->offer_out = !offered;
	return body->pl && body->ct && xl->npt ? 0 : EINVAL;
}

/* X's 2xx to an offerless re-INVITE: its offer, answered in the ACK with
 * F's session; the relay sends X what was agreed. */
static bool realign_answer(struct trunk_call *call, struct call_leg *x,
			   uint32_t cseq, sip_t const *sip)
{
	struct trunk_sdp_leg *xl = &call->sdp[leg_idx(call, x)];
	struct trunk_sdp_remote rs;
	struct call_body body;
	char *last = xl->last ? su_strdup(trunk_scratch_get(call->gw), xl->last)
			      : NULL;

	if (!sip->sip_payload ||
	    trunk_sdp_remote(sip->sip_payload->pl_data,
			     sip->sip_payload->pl_len, &rs, NULL, 0) ||
	    !rs.nstreams ||
	    call_realign_sdp(call, x, last, &rs,
			     su_strndup(trunk_scratch_get(call->gw),
					sip->sip_payload->pl_data,
					sip->sip_payload->pl_len),
			     &body))
		return false;
	xl->peer_answered = false; /* X's SDP was an offer */
	xl->peer_o_id = rs.o_id;
	xl->peer_o_version = rs.o_version;
	call_ack_leg(call, x->leg, x, cseq, &body);
	rs.s[0].npt = xl->npt;
	memcpy(rs.s[0].pt, xl->pt, xl->npt);
	call_sdp_remote(call, x, &rs.s[0]);
	return true;
}

void call_reinvite_crossed(struct trunk_call *call, struct call_txn *t,
			   uint32_t cseq, sip_t const *sip)
{
	struct call_leg *x = call_peer(t->from);
	struct call_body body;
	char c = x == &call->a ? 'A' : 'B';
	char *x_last = t->undo && t->undo->x_last
			       ? su_strdup(trunk_scratch_get(call->gw),
					   t->undo->x_last)
			       : NULL;

	LOGW(SUBSYS, call->ctx,
	     "leg %c accepted a re-INVITE or UPDATE that failed for leg %c "
	     "(its CANCEL, or SDP that cannot be parsed): giving leg %c back "
	     "the media leg %c kept",
	     c, c == 'A' ? 'B' : 'A', c, c == 'A' ? 'B' : 'A');
	if (call_reprack_offer_in_2xx(t)) { /* the ACK answers it */
		if (realign_answer(call, x, cseq, sip))
			return;
		call_send_ack(call, x, cseq, NULL);
	} else {
		/* Its 2xx answered F's offer: agreed on X until our offer
		 * (an UPDATE's 2xx gets no ACK). */
		if (t != &call->other || t->as_invite)
			call_send_ack(call, x, cseq, NULL);
		call_reinvite_undo(call, t);
		call_sdp_learn(call, x, sip->sip_payload);
		if (!call->reoffer &&
		    !call_realign_sdp(call, x, x_last, NULL, NULL, &body)) {
			call->realign = true;
			reoffer_send(call, x, &body);
			if (call->reoffer)
				return;
			call->realign = false;
		}
	}
	LOGW(SUBSYS, call->ctx, "cannot realign leg %c: ending the call", c);
	call_hangup(call, "legs disagree on the media");
}

/* ---------------------------------------------------------------------- */
/* An offer that changes nothing (SDP-2)                                   */

/* Does sip's SDP repeat the last SDP of cl's peer (same o= id and
 * version: unchanged, RFC 3264 8), with no offer of either leg under way?
 * Its parse in *rs when so. */
static bool unchanged_offer(struct trunk_call *call, struct call_leg *cl,
			    sip_t const *sip, struct trunk_sdp_remote *rs)
{
	const struct trunk_sdp_leg *fl = &call->sdp[leg_idx(call, cl)];
	const struct trunk_sdp_leg *ol = &call->sdp[!leg_idx(call, cl)];
	sip_content_type_t const *ct = sip->sip_content_type;

	return call->state == CALL_CONFIRMED && sip->sip_payload &&
	       call->media && fl->peer_known && fl->last && !fl->offer_out &&
	       !ol->offer_out &&
	       (!ct ||
		(ct->c_type && !strcasecmp(ct->c_type, "application/sdp"))) &&
	       !trunk_sdp_remote(sip->sip_payload->pl_data,
				 sip->sip_payload->pl_len, rs, NULL, 0) &&
	       rs->nstreams && rs->o_id == fl->peer_o_id &&
	       rs->o_version == fl->peer_o_version;
}

bool call_reoffer_unchanged(struct call_leg *cl, nta_incoming_t *irq,
			    sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	su_home_t *scratch = trunk_scratch_get(call->gw);
	struct trunk_sdp_leg *fl = &call->sdp[leg_idx(call, cl)];
	bool invite = sip->sip_request->rq_method == sip_method_invite;
	struct trunk_sdp_remote rs;
	struct trunk_st st;
	struct call_body body;
	const char *hdrs;

	if (!unchanged_offer(call, cl, sip, &rs))
		return false;
	/* A refresh (RFC 4028 10) of cl's own leg, as a bodiless UPDATE
	 * would be: too short an interval gets 422 here. */
	if (call_timer_request_in(cl, irq, sip, &st))
		return true;
	/* Our side as cl's peer last had it, answering its offer: the same
	 * text and o= version when nothing changed (SDP-3 otherwise). */
	if (call_realign_sdp(call, cl, su_strdup(scratch, fl->last), &rs,
			     su_strndup(scratch, sip->sip_payload->pl_data,
					sip->sip_payload->pl_len),
			     &body))
		return false;	   /* relayed, as any offer */
	fl->peer_answered = false; /* its SDP was an offer */
	call_timer_restart(cl, &st);
	hdrs = call_timer_response_headers(call, cl);
	LOGI(SUBSYS, call->ctx,
	     "leg %c's %s repeats its SDP (o= version %llu): answered here, "
	     "nothing to tell leg %c (SDP-2)",
	     cl == &call->a ? 'A' : 'B', invite ? "re-INVITE" : "UPDATE",
	     (unsigned long long)rs.o_version, cl == &call->a ? 'B' : 'A');
	nta_incoming_treply(irq, SIP_200_OK,
			    SIPTAG_CONTACT(call_leg_contact(call, cl)),
			    TAG_IF(hdrs, SIPTAG_HEADER_STR(hdrs)),
			    CALL_BODY_TAGS(&body), TAG_END());
	if (invite) /* until its ACK (RFC 3261 13.3.1.4) */
		call_retx_start(call, cl, irq);
	nta_incoming_destroy(irq);
	return true;
}
