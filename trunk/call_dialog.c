/*
 * Requests inside the two dialogs of a call (see call.c for the call
 * itself): BYE ends both, re-INVITE, UPDATE and INFO are relayed to the
 * other leg and their answers brought back, OPTIONS is answered here,
 * REFER refused (XFR-1: transfer is 3pcc). A re-INVITE or UPDATE also
 * refreshes the session timer of each leg it crosses (RFC 4028 10,
 * call_timer.c); a bodiless UPDATE is a pure refresh and stays on its leg.
 * An UPDATE reaches the other leg as UPDATE only when that peer allows
 * it, else as a re-INVITE (see call_relay_other; docs/calls.md).
 * call_auth() gives the digest for our requests toward a carrier that
 * challenged us, the initial INVITE included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"
#include "flow.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport.h>

tport_t *call_leg_tport(const struct call_leg *leg)
{
	return trunk_tport_open(leg->tport);
}

struct call_leg *call_peer(struct call_leg *cl)
{
	return cl == &cl->call->a ? &cl->call->b : &cl->call->a;
}

bool call_invite_busy(const struct trunk_call *call)
{
	return call->reinvite.irq || call->ack_to || call->reoffer ||
	       (call->other.irq && call->other.as_invite) ||
	       call_timer_inviting(&call->a) || call_timer_inviting(&call->b);
}

static int call_leg_bye(struct call_leg *cl, nta_incoming_t *irq)
{
	struct trunk_call *call = cl->call;

	if (call_xfer_bye(cl, irq)) /* the transferor leaves: that's all */
		return 0;
	/* A re-INVITE or UPDATE we relay, from either leg, ends unanswered
	 * with the dialogs: 487 first (RFC 3261 15.1.2). */
	call_txns_terminated(call);
	nta_incoming_treply(irq, SIP_200_OK, TAG_END());
	if (call->state == CALL_CONFIRMED)
		call_send_bye(call, call_peer(cl));
	else if (call->state != CALL_TERMINATED) {
		/* An early dialog ended by BYE: A's INVITE gets 487, whoever
		 * hung up (B: the failed call; A: RFC 3261 15.1.2, its
		 * pending INVITE still answered, before nta's 500 at the
		 * call's free). */
		nta_incoming_treply(call->invite_a, SIP_487_REQUEST_TERMINATED,
				    TAG_END());
	}
	call_end(call, cl == &call->a ? "BYE from A" : "BYE from B");
	return 0;
}

/* The answer to our BYE changes nothing: the call is already ending;
 * a carrier's challenge gets the BYE again with credentials (usually
 * after the call was freed: auth.c). (A callback is needed: nta frees
 * callback-less requests by itself.) */
static int call_bye_response(struct trunk_call *call, nta_outgoing_t *orq,
			     sip_t const *sip)
{
	struct call_leg *to = orq == call->a.bye   ? &call->a
			      : orq == call->b.bye ? &call->b
						   : NULL;
	nta_outgoing_t *again;

	if (to &&
	    (again = call_auth_retry(call, to, orq, sip, call_bye_response))) {
		nta_outgoing_destroy(orq);
		to->bye = again;
	}
	return 0;
}

void call_send_bye(struct trunk_call *call, struct call_leg *to)
{
	if (to->bye)
		return;
	to->bye = nta_outgoing_tcreate(
		to->leg, call_bye_response, call, CALL_HOP(to), SIP_METHOD_BYE,
		NULL, CALL_TPORT_TAG(to),
		SIPTAG_HEADER((sip_header_t *)call_auth(call, to, "BYE", NULL)),
		TAG_END());
}

/* The peer's answer to a relayed in-dialog request: final ones go back
 * to the leg that asked, with our own Contact on that leg. */
static void call_txn_answer(struct trunk_call *call, struct call_txn *t,
			    sip_t const *sip, int status)
{
	struct call_body body = { 0 };
	const char *st = NULL;

	/* A 401/407 left is a challenge to us (refused credentials, or a
	 * peer we hold none for): its challenge header is not relayed, so
	 * the asker gets 403 (docs/calls.md). */
	if (status == 401 || status == 407) {
		status = 403;
		sip = NULL;
	}
	if (sip && !call_reprack_final_body(call, t, status, &body))
		call_sdp_cross(call, call_peer(t->from), sip->sip_payload,
			       sip->sip_content_type, &body);
	/* A successful refresh restarts the session timer of both legs,
	 * each with what was agreed on it (RFC 4028 10). */
	if (t->refresh && status < 300) {
		if (sip)
			call_timer_response_in(call_peer(t->from), sip);
		call_timer_restart(t->from, &t->st);
		st = call_timer_response_headers(call, t->from);
	}
	nta_incoming_treply(t->irq, status,
			    sip ? sip->sip_status->st_phrase : NULL,
			    SIPTAG_CONTACT(call_leg_contact(call, t->from)),
			    TAG_IF(st, SIPTAG_HEADER_STR(st)),
			    CALL_BODY_TAGS(&body), TAG_END());
}

/* The answer to call_txn_prack's PRACK: a carrier's challenge gets it
 * again with credentials (once); anything else ends it. */
static int call_txn_prack_response(struct trunk_call *call, nta_outgoing_t *orq,
				   sip_t const *sip)
{
	struct call_txn *t = orq == call->reinvite.prack_bare ? &call->reinvite
			     : orq == call->other.prack_bare  ? &call->other
							      : NULL;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	nta_outgoing_t *again;

	if (!t || status < 200)
		return 0;
	if ((again = call_auth_retry(call, call_peer(t->from), orq, sip,
				     call_txn_prack_response))) {
		nta_outgoing_destroy(orq);
		t->prack_bare = again;
		return 0;
	}
	if (status >= 300)
		LOGW("trunk.call", call->ctx,
		     "leg %c answered our PRACK with %d",
		     t->from == &call->a ? 'B' : 'A', status);
	nta_outgoing_destroy(orq);
	t->prack_bare = NULL;
	return 0;
}

/* PRACK a reliable 18x to the INVITE t sent; false for a retransmission
 * (each RSeq once: nta drops what it saw PRACKed; this guards the relay
 * too). With the digest of a carrier that challenged us before. */
static bool call_txn_prack(struct trunk_call *call, struct call_txn *t,
			   nta_outgoing_t *orq, sip_t const *sip)
{
	struct call_leg *to = call_peer(t->from);

	if (!sip->sip_rseq || !sip_has_feature(sip->sip_require, "100rel"))
		return true;
	if (t->rseq && sip->sip_rseq->rs_response <= t->rseq)
		return false;
	t->rseq = sip->sip_rseq->rs_response;
	if (t->prack_bare) /* the last one's answer no longer matters */
		nta_outgoing_destroy(t->prack_bare);
	t->prack_bare =
		nta_outgoing_prack(to->leg, orq, call_txn_prack_response, call,
				   CALL_HOP(to), sip, CALL_TPORT_TAG(to),
				   SIPTAG_HEADER((sip_header_t *)call_auth(
					   call, to, "PRACK", NULL)),
				   TAG_END());
	if (!t->prack_bare)
		LOGW("trunk.call", call->ctx,
		     "cannot PRACK a reliable %u to a re-INVITE",
		     sip->sip_status->st_status);
	return true;
}

/*
 * A provisional response to a re-INVITE we relayed (not 100, which is
 * hop by hop): 180/183 reach the asker, as for the initial INVITE, so a
 * far end that alerts or plays an announcement before it decides is seen
 * doing so, and a proxy on the asker's side keeps its timer C running.
 * What crosses is the status and phrase, and the SDP answer to the
 * asker's offer when the 18x has one (rewritten like any SDP: early media
 * of the new session, e.g. an announcement, reaches the asker through the
 * relay; the 2xx repeats that answer, RFC 3261 13.2.1, so it crosses there
 * as the same SDP, same o= version). To an offerless re-INVITE, an offer
 * in a reliable 18x is call_reprack.c's (relayed reliably when the asker
 * supports 100rel, else answered in our PRACK); a body in an unreliable
 * 18x is no offer (RFC 6337 3.1) and does not cross: the offer comes in
 * the 2xx. Each leg keeps its own 100rel: when the
 * asker's re-INVITE requires it, nta sends our 18x reliably with an RSeq of
 * ours and answers its PRACK; when the answerer sends a reliable one
 * (although our re-INVITE does not offer 100rel), we PRACK it here,
 * without a body, or it would retransmit it and fail the re-INVITE after
 * 64 x T1 (RFC 3262 3); a carrier that challenges that PRACK gets it
 * again with credentials (call_txn_prack_response).
 */
static void call_reinvite_provisional(struct trunk_call *call,
				      nta_outgoing_t *orq, sip_t const *sip)
{
	struct call_txn *t = &call->reinvite;
	struct call_body body = { 0 };

	if (call_reprack_provisional(call, sip) ||
	    !call_txn_prack(call, t, orq, sip))
		return;
	if (t->offer && sip->sip_payload &&
	    call_sdp_cross(call, call_peer(t->from), sip->sip_payload,
			   sip->sip_content_type, &body))
		memset(&body, 0, sizeof(body)); /* unusable: the 2xx decides */
	nta_incoming_treply(t->irq, sip->sip_status->st_status,
			    sip->sip_status->st_phrase,
			    SIPTAG_CONTACT(call_leg_contact(call, t->from)),
			    CALL_BODY_TAGS(&body), TAG_END());
}

static int call_reinvite_response(struct trunk_call *call, nta_outgoing_t *orq,
				  sip_t const *sip)
{
	struct call_txn *t = &call->reinvite;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	uint32_t cseq = nta_outgoing_cseq(orq);
	nta_outgoing_t *again;

	if (status > 100 && status < 200 && sip && t->irq)
		call_reinvite_provisional(call, orq, sip);
	if (status < 200 || !t->irq)
		return 0;
	if (!t->cancelled && orq == t->orq &&
	    (again = call_auth_retry(call, call_peer(t->from), orq, sip,
				     call_reinvite_response))) {
		nta_outgoing_destroy(orq);
		t->orq = again;
		return 0;
	}
	if (t->cancelled && status < 300) {
		/* The 2xx crossed our CANCEL; the asker has nta's 487 and its
		 * old session: the answerer's dialog gets its ACK (RFC 3261
		 * 9.1) and that session back (call_reoffer.c). */
		call_reinvite_crossed(call, t, cseq, sip);
	} else if (status < 300 &&
		   call_reinvite_2xx_unusable(call, t, cseq, sip)) {
		/* 488 to the asker; the answerer ACKed, realigned. */
	} else {
		if (status >= 300) /* the offer that crossed is void */
			call_reinvite_undo(call, t);
		call_txn_answer(call, t, sip, status);
		if (status < 300) {
			/* Ours to the asker, until its ACK (RFC 3261 14.2). */
			call_retx_start(call, t->from, t->irq);
			call_ack_or_defer(call, call_peer(t->from), cseq,
					  call_reprack_offer_in_2xx(t));
		}
	}
	call_txn_clear(t);
	return 0;
}

/* A CANCEL of a re-INVITE we relay: nta answers it and the re-INVITE
 * (487); the other leg's re-INVITE is cancelled too, and its answer (487,
 * or a 2xx that crossed) ends our transaction there. No request: the
 * asker never PRACKed our reliable 18x (RFC 3262 3: with an offer,
 * call_reprack.c) and nta failed its re-INVITE (503) itself; the other
 * leg's goes the same way. */
static int call_reinvite_cancel(struct trunk_call *call, nta_incoming_t *irq,
				sip_t const *sip)
{
	struct call_txn *t = &call->reinvite;

	if (!sip && irq == t->irq && t->orq && !t->cancelled)
		LOGW("trunk.call", call->ctx,
		     "leg %c never PRACKed our reliable 18x to its re-INVITE: "
		     "cancelling it on leg %c",
		     t->from == &call->a ? 'A' : 'B',
		     t->from == &call->a ? 'B' : 'A');
	else if (!sip || sip->sip_request->rq_method != sip_method_cancel ||
		 irq != t->irq || !t->orq || t->cancelled)
		return 0;
	t->cancelled = true;
	nta_outgoing_cancel(t->orq);
	return 0;
}

static int call_other_response(struct trunk_call *call, nta_outgoing_t *orq,
			       sip_t const *sip)
{
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	nta_outgoing_t *again;

	/* An UPDATE's re-INVITE: its 18x stay here (an UPDATE is answered
	 * once), a reliable one PRACKed. */
	if (status > 100 && status < 200 && sip && call->other.as_invite)
		call_txn_prack(call, &call->other, orq, sip);
	if (status < 200 || !call->other.irq)
		return 0;
	if (orq == call->other.orq &&
	    (again = call_auth_retry(call, call_peer(call->other.from), orq,
				     sip, call_other_response))) {
		nta_outgoing_destroy(orq);
		call->other.orq = again;
		return 0;
	}
	/* An UPDATE's answer that cannot be parsed: 488 to the asker, the
	 * answerer given back the session the asker kept (call_answer.c). */
	if (status < 300 &&
	    call_reinvite_2xx_unusable(call, &call->other,
				       nta_outgoing_cseq(orq), sip)) {
		call_txn_clear(&call->other);
		return 0;
	}
	if (status >= 300) /* the offer that crossed is void */
		call_reinvite_undo(call, &call->other);
	call_txn_answer(call, &call->other, sip, status);
	/* An UPDATE sent on as a re-INVITE: its offer went in the INVITE,
	 * so the ACK carries nothing. */
	if (call->other.as_invite && status < 300)
		call_send_ack(call, call_peer(call->other.from),
			      nta_outgoing_cseq(orq), NULL);
	call_txn_clear(&call->other);
	return 0;
}

/* Start relaying an in-dialog request to the peer leg. */
static int call_txn_start(struct call_leg *cl, struct call_txn *t,
			  nta_incoming_t *irq, sip_t const *sip,
			  nta_response_f *cb)
{
	struct trunk_call *call = cl->call;
	struct call_leg *peer = call_peer(cl);
	struct call_body body;
	bool refresh = call->state == CALL_CONFIRMED &&
		       (sip->sip_request->rq_method == sip_method_invite ||
			sip->sip_request->rq_method == sip_method_update);
	struct trunk_st st = { 0, false };
	int rc;

	/* Too small a Session-Expires: 422, nothing relayed. */
	if (refresh && call_timer_request_in(cl, irq, sip, &st))
		return 0;
	/* The SDP state an offer changes, to go back to if it fails. */
	if ((t == &call->reinvite ||
	     sip->sip_request->rq_method == sip_method_update) &&
	    sip->sip_payload)
		call_reinvite_keep(call, t, cl);
	if (t == &call->reinvite)
		call_reprack_start(t, sip);
	rc = call_sdp_cross(call, cl, sip->sip_payload, sip->sip_content_type,
			    &body);
	if (rc) {
		call_reinvite_undo(call, t);
		return rc;
	}
	t->orq = nta_outgoing_tcreate(
		peer->leg, cb, call, CALL_HOP(peer),
		t->as_invite ? sip_method_invite : sip->sip_request->rq_method,
		t->as_invite ? "INVITE" : sip->sip_request->rq_method_name,
		NULL, CALL_TPORT_TAG(peer),
		SIPTAG_CONTACT(call_leg_contact(call, peer)),
		TAG_IF(refresh, SIPTAG_HEADER_STR(call_timer_request_headers(
					call, peer))),
		TAG_IF(t->rel100, SIPTAG_SUPPORTED_STR("100rel")),
		SIPTAG_HEADER((sip_header_t *)call_auth(
			call, peer,
			t->as_invite ? "INVITE"
				     : sip->sip_request->rq_method_name,
			body.pl)),
		CALL_BODY_TAGS(&body), TAG_END());
	if (!t->orq) {
		call_reinvite_undo(call, t);
		t->rel100 = false;
		return 500;
	}
	t->from = cl;
	t->irq = irq;
	t->offer = sip->sip_payload != NULL;
	t->refresh = refresh;
	t->st = st;
	return 0;
}

/* re-INVITE with or without an offer, from either side (XFR-2, SDP-2). */
static int call_relay_reinvite(struct call_leg *cl, nta_incoming_t *irq,
			       sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	int rc;

	if (call->state != CALL_CONFIRMED)
		return 491;
	/* Glare (RFC 3261 14.2): an INVITE is already under way, ours on
	 * the asker's dialog, or one that would be a second INVITE on the
	 * other (14.1; our session refresh included). */
	if (call_invite_busy(call))
		return 491;
	if (call_reoffer_unchanged(cl, irq, sip)) /* SDP-2 */
		return 0;
	rc = call_txn_start(cl, &call->reinvite, irq, sip,
			    call_reinvite_response);
	if (!rc && call->reinvite.irq == irq)
		nta_incoming_bind(irq, call_reinvite_cancel, call);
	return rc;
}

/*
 * UPDATE (SDP-4, RFC 3311) and INFO, in early or confirmed dialogs. An
 * UPDATE goes on as an UPDATE only to a peer that advertised it (its
 * Allow lists UPDATE: RFC 3311 4, SC-6-2). To one that did not:
 *
 *   no body            confirmed: a refresh of its own leg (RFC 4028 10);
 *                      early: nothing to carry, 200 here
 *   offer, confirmed   sent on as a re-INVITE with the offer; its 2xx's
 *                      answer answers the UPDATE, its ACK goes at once,
 *                      a failure is relayed as it is
 *   offer, early       500 with Retry-After: no re-INVITE is possible in
 *                      an early dialog and the other side has not agreed
 *                      to this change; once the call is up it can be
 *                      retried (and then goes as a re-INVITE)
 *
 * An UPDATE's offer while a re-INVITE is under way (relayed, or our own
 * re-offer or session refresh) meets 491 (RFC 3311 5.2: an offer of
 * ours, or one we relayed, is outstanding).
 */
static int call_relay_other(struct call_leg *cl, nta_incoming_t *irq,
			    sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	bool update = sip->sip_request->rq_method == sip_method_update;
	int rc;

	if (call->state != CALL_CONFIRMED && call->state != CALL_EARLY)
		return 481;
	if (call->other.irq)
		return update ? 491 : 500;
	if (update && sip->sip_payload && call_invite_busy(call))
		return 491;
	/* An UPDATE without a body changes nothing but the session timer
	 * of its own leg (RFC 4028 10): answered here. */
	if (update && !sip->sip_payload && call->state == CALL_CONFIRMED)
		return call_timer_update_local(cl, irq, sip);
	/* Nor does one whose SDP repeats the last (SDP-2). */
	if (update && call_reoffer_unchanged(cl, irq, sip))
		return 0;
	if (update && !call_peer(cl)->allows_update) {
		if (!sip->sip_payload)
			return 200; /* early: nothing to tell the other side */
		if (call->state != CALL_CONFIRMED) {
			/* RFC 3311 5.2: Retry-After 0-10 s, at random, so
			 * that two UAs refused alike do not retry together. */
			char ra[4];

			snprintf(ra, sizeof(ra), "%u",
				 (unsigned)(trunk_random() % 11));
			nta_incoming_treply(irq, 500, "Not Now",
					    SIPTAG_RETRY_AFTER_STR(ra),
					    TAG_END());
			return 0;
		}
		call->other.as_invite = true;
	}
	rc = call_txn_start(cl, &call->other, irq, sip, call_other_response);
	/* Not started (422, 488, 500): the next one decides anew. */
	if (call->other.irq != irq)
		call->other.as_invite = false;
	return rc;
}

static int call_leg_dispatch(struct call_leg *cl, nta_incoming_t *irq,
			     sip_t const *sip)
{
	struct trunk_call *call = cl->call;

	/* 416, 400, 420 before anything else (RFC 3261 8.2.2). */
	if (trunk_agent_check_request(irq, sip))
		return 0;
	/* What the peer supports may change with a re-INVITE or UPDATE
	 * (SC-6-2: learn it from Allow). */
	if (sip->sip_allow &&
	    (sip->sip_request->rq_method == sip_method_invite ||
	     sip->sip_request->rq_method == sip_method_update))
		cl->allows_update = sip_is_allowed(sip->sip_allow,
						   sip_method_update, "UPDATE");
	switch (sip->sip_request->rq_method) {
	case sip_method_ack:
		call_retx_ack(cl, sip);
		call_reprack_ack(cl, sip);
		if (call->ack_to && call->ack_to == call_peer(cl)) {
			call_send_ack(call, call->ack_to, call->ack_cseq, sip);
			call->ack_to = NULL;
		}
		return 0;
	case sip_method_bye:
		return call_leg_bye(cl, irq);
	case sip_method_invite:
		return call_relay_reinvite(cl, irq, sip);
	case sip_method_update:
	case sip_method_info:
		return call_relay_other(cl, irq, sip);
	case sip_method_options:
		return 200;
	case sip_method_refer:
		/* SIPconnect 12 / XFR-1: an enterprise REFER becomes a
		 * 3pcc transfer; toward or from the trunk, never REFER. */
		return call_xfer_refer(cl, irq, sip);
	case sip_method_prack:
		/* PRACKs of our reliable 18x go to prack.c through nta; one
		 * that acknowledges nothing we sent (RFC 3262 3): 481. */
		return 481;
	default:
		/* MESSAGE, NOTIFY...: not relayed. */
		return 501;
	}
}

/* Our INVITE (or re-INVITE) on leg `to` with CSeq cseq_n while we still
 * hold it, else NULL. */
static nta_outgoing_t *call_ack_invite(struct trunk_call *call,
				       struct call_leg *to, uint32_t cseq_n)
{
	nta_outgoing_t *const c[] = {
		to == &call->b ? call->invite_b : NULL,
		call->reinvite.from && call_peer(call->reinvite.from) == to
			? call->reinvite.orq
			: NULL,
		call->other.from && call_peer(call->other.from) == to
			? call->other.orq
			: NULL,
		call->reoffer_to == to ? call->reoffer : NULL,
		to == &call->a || to == &call->b ? to->st_refresh : NULL,
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (c[i] && nta_outgoing_method(c[i]) == sip_method_invite &&
		    nta_outgoing_cseq(c[i]) == cseq_n)
			return c[i];
	return NULL;
}

/*
 * The ACK of a 2xx (RFC 3261 13.2.2.4), sent statelessly: nta keeps no
 * transaction for it. One made with nta_outgoing_tcreate() stayed in
 * nta's queue for timer F (64*T1) with its message, ~3.4 KB of every
 * call's first 32 s, though nta never uses it again (an ACK gets no
 * answer; a retransmitted 2xx reaches the call, which ACKs again). A
 * stateless request is what a proxy forwards: nta sends it at once (or
 * once resolved) and frees it; its Via branch comes from the message, so
 * an ACK sent again for the same 2xx carries the same branch.
 */
void call_ack_leg(struct trunk_call *call, nta_leg_t *leg, struct call_leg *to,
		  uint32_t cseq_n, struct call_body *body)
{
	sip_cseq_t *cseq = sip_cseq_create(trunk_scratch_get(call->gw), cseq_n,
					   sip_method_ack, "ACK");
	nta_outgoing_t *invite = call_ack_invite(call, to, cseq_n);
	msg_t *req = invite ? nta_outgoing_getrequest(invite) : NULL;
	bool deferred = call->ack_to == to && call->ack_cseq == cseq_n;

	if (!req && deferred && call->ack_invite)
		req = msg_ref_create(call->ack_invite);
	if (cseq)
		trunk_ack_send(leg, CALL_HOP(to), call_leg_tport(to), cseq,
			       sip_object(req), body ? body->pl : NULL,
			       body ? body->ct : NULL);
	msg_destroy(req);
	if (deferred) { /* the ACK we owed: its INVITE is needed no more */
		msg_destroy(call->ack_invite);
		call->ack_invite = NULL;
	}
}

void call_ack_defer(struct trunk_call *call, struct call_leg *to,
		    uint32_t cseq_n)
{
	nta_outgoing_t *invite = call_ack_invite(call, to, cseq_n);

	msg_destroy(call->ack_invite);
	call->ack_invite = invite ? nta_outgoing_getrequest(invite) : NULL;
	call->ack_to = to;
	call->ack_cseq = cseq_n;
}

void trunk_ack_send(struct nta_leg_s *leg, url_string_t const *hop,
		    struct tport_s *tport, sip_cseq_t const *cseq,
		    sip_t const *invite, sip_payload_t const *pl,
		    sip_content_type_t const *ct)
{
	sip_authorization_t const *wa =
		invite ? invite->sip_authorization : NULL;
	sip_proxy_authorization_t const *pa =
		invite ? invite->sip_proxy_authorization : NULL;

	nta_outgoing_tcreate(leg, NULL, NULL, hop, SIP_METHOD_ACK, NULL,
			     NTATAG_TPORT(tport), NTATAG_STATELESS(1),
			     SIPTAG_CSEQ(cseq),
			     TAG_IF(wa, SIPTAG_AUTHORIZATION(wa)),
			     TAG_IF(pa, SIPTAG_PROXY_AUTHORIZATION(pa)),
			     TAG_IF(pl, SIPTAG_CONTENT_TYPE(ct)),
			     TAG_IF(pl, SIPTAG_PAYLOAD(pl)), TAG_END());
}

const char *call_leg_trunk(const struct trunk_call *call,
			   const struct call_leg *leg)
{
	const char *name = leg == &call->a ? call->a_trunk : call->trunk;

	if (leg != &call->a && leg != &call->b)
		return call_xfer_trunk(call, leg);
	return leg->side == TRUNK_SIDE_TRUNK && name[0] ? name : NULL;
}

/* Authorization for a request toward a leg's carrier that challenged
 * this trunk before (the nonce is reused: REG-4; on the scratch home), or
 * NULL. The digest covers the request's own R-URI: the initial one for
 * our INVITE on leg B, the remote target inside the dialog (either leg:
 * leg A faces the trunk a call came from). */
msg_header_t *call_auth(struct trunk_call *call, struct call_leg *to,
			const char *method, msg_payload_t const *body)
{
	sip_contact_t const *target = NULL;
	sip_route_t const *route = NULL;
	msg_header_t *h = NULL;
	const char *trunk = call_leg_trunk(call, to);
	url_t const *url;

	if (!trunk)
		return NULL;
	if (to == &call->b && call->state == CALL_CALLING && call->route) {
		url = url_make(trunk_scratch_get(call->gw), call->route->ruri);
	} else {
		nta_leg_get_route(to->leg, &route, &target);
		url = target ? target->m_url : NULL;
	}
	if (!url ||
	    trunk_auth_headers(call->gw, trunk, trunk_scratch_get(call->gw),
			       method, url, body, &h))
		return NULL;
	return h;
}

/* Our in-dialog requests already sent again for a challenge
 * (call_auth_retry): compared, never dereferenced. nta reuses a freed
 * transaction's address for the next one, so the leg and the CSeq (unique
 * per leg for a new request) take part. */
struct call_auth_retried {
	struct {
		const nta_outgoing_t *orq;
		const struct call_leg *leg;
		uint32_t cseq;
	} r[4];
	unsigned next;
};

static bool call_auth_was_retry(struct trunk_call *call,
				const struct call_leg *to,
				const nta_outgoing_t *orq)
{
	uint32_t cseq = nta_outgoing_cseq(orq);
	const struct call_auth_retried *ar = call->auth_retried;

	for (unsigned i = 0; ar && i < 4; i++)
		if (ar->r[i].orq == orq && ar->r[i].leg == to &&
		    ar->r[i].cseq == cseq)
			return true;
	return false;
}

nta_outgoing_t *call_auth_retry(struct trunk_call *call, struct call_leg *to,
				nta_outgoing_t *orq, sip_t const *sip,
				nta_response_f *cb)
{
	int status = sip ? sip->sip_status->st_status : 0;
	const char *trunk = call_leg_trunk(call, to);
	nta_outgoing_t *again;
	unsigned i;
	msg_t *msg;

	if ((status != 401 && status != 407) || !trunk || !to->leg)
		return NULL;
	if (call_auth_was_retry(call, to, orq)) {
		LOGE("trunk.call", call->ctx,
		     "trunk %s refused our credentials for %s on leg %c (%d): "
		     "check username and password",
		     trunk, nta_outgoing_method_name(orq),
		     to == &call->a ? 'A' : 'B', status);
		return NULL;
	}
	if (!call->auth_retried &&
	    !(call->auth_retried = calloc(1, sizeof(*call->auth_retried))))
		return NULL;
	msg = trunk_auth_request_again(call->gw, trunk, to->leg, orq, sip);
	if (!msg)
		return NULL;
	again = nta_outgoing_mcreate(
		trunk_agent_nta(call->gw->agents[to->side]), cb, call,
		CALL_HOP(to), msg, CALL_TPORT_TAG(to), TAG_END());
	if (!again) {
		msg_destroy(msg);
		return NULL;
	}
	i = call->auth_retried->next++ % 4;
	call->auth_retried->r[i].orq = again;
	call->auth_retried->r[i].leg = to;
	call->auth_retried->r[i].cseq = nta_outgoing_cseq(again);
	LOGI("trunk.call", call->ctx,
	     "%s on leg %c challenged by the carrier (%d): sent again with "
	     "credentials",
	     nta_outgoing_method_name(orq), to == &call->a ? 'A' : 'B', status);
	return again;
}

void call_auth_bye_release(struct trunk_call *call, struct call_leg *leg)
{
	const char *trunk = call_leg_trunk(call, leg);

	if (!leg->bye)
		return;
	if (!trunk ||
	    !trunk_auth_bye_adopt(call->gw, trunk,
				  trunk_agent_nta(call->gw->agents[leg->side]),
				  leg->bye, leg->hop, leg->tport,
				  call_auth_was_retry(call, leg, leg->bye)))
		nta_outgoing_destroy(leg->bye);
	leg->bye = NULL;
}

/* nta's leg callback. A 0 return leaves the transaction to us: one the
 * handler answered finally (an ACK counts as answered) and did not keep
 * for a later answer is handed back with nta_incoming_destroy(). nta then
 * still absorbs retransmissions with the stored response until timer J
 * (64*T1 on UDP) and frees it; without this, every BYE, ACK and rejected
 * request stayed in nta's terminated queue for good, which nta walks on
 * every timer tick (CPU and memory per call growing over a run). */
int call_leg_request(struct call_leg *cl, nta_leg_t *leg, nta_incoming_t *irq,
		     sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	int rc;

	(void)leg;
	rc = call_leg_dispatch(cl, irq, sip);
	if (rc == 0 && nta_incoming_status(irq) >= 200 &&
	    irq != call->reinvite.irq && irq != call->other.irq)
		nta_incoming_destroy(irq);
	return rc;
}
