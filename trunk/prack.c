/*
 * Reliable provisional responses across the B2BUA (RFC 3262, SDP-1).
 *
 * Each leg runs its own 100rel: the RSeq numbers, the PRACK transactions
 * and the Require/RSeq headers are per dialog, never copied. What crosses
 * is the meaning:
 *
 *   B's 18x               A supports 100rel          A does not
 *   ------------------    -----------------------    ---------------------
 *   reliable (RSeq,       reliable 18x to A (our     unreliable 18x to A;
 *   Require: 100rel)      RSeq); A's PRACK relayed   we PRACK B at once
 *                         to B with its body (the
 *                         answer to an offer in the
 *                         18x), B's 2xx to it back
 *   unreliable            unreliable to A, unless A requires 100rel: then
 *                         nta sends it reliably and answers A's PRACK
 *
 * So an offer in a reliable 18x (INVITE without SDP, SDP-1) reaches A in a
 * reliable 18x and A's answer reaches B in our PRACK; an answer in a
 * reliable 18x crosses the same way with bodiless PRACKs. We advertise
 * 100rel to B only when that is true: when A cannot answer an offer in a
 * PRACK (late offer, A without 100rel) our INVITE says nothing of 100rel.
 *
 * nta matches A's PRACK to our reliable response by RAck and calls
 * prack_a_recv(); a PRACK matching nothing reaches the dialog and gets 481
 * (call_dialog.c). nta keeps a queue of reliable responses per INVITE and
 * sends the next only after the previous one is PRACKed and unlinked, so
 * every nta_reliable_t of ours is destroyed as soon as it is PRACKed.
 */
#include <stdio.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.prack"

const char *call_prack_supported_b(const struct trunk_call *call)
{
	return call->late_offer && !call->a_100rel ? "timer" : TRUNK_SUPPORTED;
}

/* B's answer to our PRACK: A's PRACK (if we relayed one) gets it. */
static int prack_b_response(struct trunk_call *call, nta_outgoing_t *orq,
			    sip_t const *sip)
{
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	struct call_body body = { 0 };
	nta_outgoing_t *again, *done;

	if (status < 200)
		return 0;
	if (orq == call->prack_b &&
	    (again = call_auth_retry(call, &call->b, orq, sip,
				     prack_b_response))) {
		nta_outgoing_destroy(orq);
		call->prack_b = again;
		return 0;
	}
	/* Destroyed after sip's last use: over TCP/TLS nta has ended the
	 * transaction and frees its response with it. */
	done = orq == call->prack_b ? orq : NULL;
	if (done)
		call->prack_b = NULL;
	if (status >= 300)
		LOGW(SUBSYS, call->ctx, "B answered our PRACK with %d", status);
	if (!call->prack_a) {
		nta_outgoing_destroy(done);
		return 0;
	}
	if (sip && status < 300)
		call_sdp_cross(call, &call->b, sip->sip_payload,
			       sip->sip_content_type, &body);
	if (status == 401 || status == 407) /* ours, never relayed bare */
		status = 403, sip = NULL;
	nta_incoming_treply(call->prack_a, status,
			    sip ? sip->sip_status->st_phrase : NULL,
			    CALL_BODY_TAGS(&body), TAG_END());
	nta_incoming_destroy(call->prack_a);
	call->prack_a = NULL;
	nta_outgoing_destroy(done);
	return 0;
}

/*
 * PRACK B's latest reliable 18x (call->b_rseq), with body if given, in leg
 * B's dialog (the fork that sent it: call_fork.c).
 *
 * Not by nta_outgoing_prack(): that records the RSeq on our INVITE's
 * transaction, one RSeq space for all its forks, and nta then drops every
 * reliable 18x of another fork (its RSeq, chosen by that UAS, is not the
 * next of ours: RFC 3262 3) before we see it, so that fork would
 * retransmit it unPRACKed and give up on the call. Our own PRACK leaves
 * nta's record at 0 and every reliable 18x reaches us; we keep the RSeq
 * per fork (b_rseq, and call_fork.c's for the others).
 */
static int prack_b_send(struct trunk_call *call, struct call_body *with)
{
	struct call_body none = { 0 }, *body = with ? with : &none;
	char rack[48];

	if (call->prack_b)
		nta_outgoing_destroy(call->prack_b);
	snprintf(rack, sizeof(rack), "%u %u INVITE", call->b_rseq,
		 call->invite_b_cseq);
	call->prack_b = nta_outgoing_tcreate(
		call->b.leg, prack_b_response, call, CALL_HOP(&call->b),
		SIP_METHOD_PRACK, NULL, CALL_TPORT_TAG(&call->b),
		SIPTAG_RACK_STR(rack),
		SIPTAG_HEADER((sip_header_t *)call_auth(call, &call->b, "PRACK",
							body->pl)),
		CALL_BODY_TAGS(body), TAG_END());
	if (!call->prack_b) {
		LOGW(SUBSYS, call->ctx, "cannot PRACK B's RSeq %u",
		     call->b_rseq);
		return 500;
	}
	return 0;
}

/*
 * A's PRACK answered B's offer in our reliable 18x with SDP that cannot
 * be parsed (the PRACK got 488): B's offer is left without an answer, and
 * we have none to give (a PRACK without one would break RFC 3262 5), so
 * no session can be set up: B's INVITE is CANCELled (it never gets our
 * PRACK) and A's INVITE fails with 488, its SDP not acceptable, as its
 * PRACK did. The same for a late offer from either side.
 */
static void prack_answer_unusable(struct trunk_call *call)
{
	LOGW(SUBSYS, call->ctx,
	     "leg A's PRACK cannot answer leg B's offer: CANCEL to leg B, "
	     "488 to leg A");
	nta_incoming_treply(call->invite_a, SIP_488_NOT_ACCEPTABLE, TAG_END());
	nta_outgoing_cancel(call->invite_b);
	call_end(call, "unusable SDP in A's PRACK");
}

/*
 * A's PRACK of our reliable 18x (prack NULL: nta flushed the response,
 * because a final response went first or A never PRACKed). Returning 200
 * makes nta answer it; 0 means we answer later, when B answers ours.
 */
static int prack_a_recv(struct trunk_call *call, nta_reliable_t *rel,
			nta_incoming_t *prack, sip_t const *sip)
{
	struct call_body body;
	int rc;

	if (rel == call->rel_a)
		call->rel_a = NULL;
	nta_reliable_destroy(rel);
	if (!prack)
		return 0;
	/* B's INVITE is already answered (or the call gone): nothing left
	 * to acknowledge there; the PRACK ends here. */
	if (call->state != CALL_EARLY || call->prack_a)
		return 200;
	rc = call_sdp_cross(call, &call->a, sip->sip_payload,
			    sip->sip_content_type, &body);
	if (!rc)
		rc = prack_b_send(call, &body);
	if (rc) {
		nta_incoming_treply(prack, rc, NULL, TAG_END());
		nta_incoming_destroy(prack);
		if (rc == 488 && call->sdp[0].offer_out)
			prack_answer_unusable(call);
		return 0;
	}
	call->prack_a = prack;
	return 0;
}

static bool prack_is_reliable(sip_t const *sip)
{
	return sip->sip_rseq && sip->sip_to->a_tag &&
	       sip_has_feature(sip->sip_require, "100rel");
}

void call_prack_b_provisional(struct trunk_call *call, sip_t const *sip)
{
	int status = sip->sip_status->st_status;
	const char *phrase = sip->sip_status->st_phrase;
	bool reliable = prack_is_reliable(sip);
	struct call_body body;

	if (reliable) {
		/* B retransmits its 18x until we PRACK it, and we PRACK only
		 * when A does: take each RSeq once (RFC 3262 4). */
		if (call->b_rseq && sip->sip_rseq->rs_response <= call->b_rseq)
			return;
		call->b_rseq = sip->sip_rseq->rs_response;
	}
	/* RFC 3311 4: an 18x's Allow says whether B takes UPDATE in the
	 * early dialog. */
	if (sip->sip_allow)
		call->b.allows_update = sip_is_allowed(
			sip->sip_allow, sip_method_update, "UPDATE");
	if (sip->sip_to->a_tag) {
		/* The early dialog (RFC 3261 12.1.2): its remote target
		 * carries PRACK and UPDATE before the 2xx. */
		nta_leg_rtag(call->b.leg, sip->sip_to->a_tag);
		nta_leg_client_route(call->b.leg, sip->sip_record_route,
				     sip->sip_contact);
	}
	if (call_sdp_cross(call, &call->b, sip->sip_payload,
			   sip->sip_content_type, &body) == 0 &&
	    reliable && body.pl && call->late_offer && call->a_100rel)
		/* The offer came in a reliable 18x: the answer travels in
		 * PRACK, and B's 2xx carries no new offer (RFC 3262 5). */
		call->late_offer = false;
	call_set_state(call, CALL_EARLY, "1xx from B");
	if (reliable && call->a_100rel && !call->rel_a) {
		call->rel_a = nta_reliable_treply(
			call->invite_a, prack_a_recv, call, status, phrase,
			SIPTAG_CONTACT(call_leg_contact(call, &call->a)),
			CALL_BODY_TAGS(&body), TAG_END());
		if (call->rel_a) {
			call->a_sdp_rel |= body.pl != NULL;
			return;
		}
		LOGW(SUBSYS, call->ctx, "cannot send %d reliably to A", status);
	}
	/* Unreliable toward A (nta makes it reliable itself when A's INVITE
	 * requires 100rel, and answers that PRACK). */
	nta_incoming_treply(call->invite_a, status, phrase,
			    SIPTAG_CONTACT(call_leg_contact(call, &call->a)),
			    CALL_BODY_TAGS(&body), TAG_END());
	if (reliable)
		prack_b_send(call, NULL);
}

void call_prack_free(struct trunk_call *call)
{
	if (call->rel_a)
		nta_reliable_destroy(call->rel_a);
	call->rel_a = NULL;
	if (call->prack_a) {
		nta_incoming_treply(call->prack_a, SIP_481_NO_TRANSACTION,
				    TAG_END());
		nta_incoming_destroy(call->prack_a);
	}
	call->prack_a = NULL;
	if (call->prack_b)
		nta_outgoing_destroy(call->prack_b);
	call->prack_b = NULL;
}
