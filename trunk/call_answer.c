/*
 * ACKs of the 2xx we get, and what happens when the SDP that answers (or
 * offers) in a 2xx or an ACK cannot cross to the other leg (issue 3: "an
 * SDP that cannot be parsed gets 488 and the other leg is cleaned up").
 *
 * call_sdp_cross() refuses an SDP body it cannot parse (488) or anchor
 * (503: no media ports). A request carrying one is answered with that
 * status and never relayed; a response cannot be refused that way:
 *
 *   B's 2xx to the initial INVITE, SDP unusable
 *       ──▶ ACK(B) (a UAC cannot reject a 2xx, RFC 3261 13.2.2.4),
 *           BYE(B), A's INVITE answered 502 Bad Gateway (an invalid
 *           response from the next hop, RFC 3261 21.5.3; 500 when our
 *           media ports ran out), the call ends (docs/calls.md)
 *   A's ACK answering B's offer (late offer, offerless re-INVITE),
 *   SDP unusable or missing
 *       ──▶ ACK(B) without a body, then BYE on both legs (RFC 3261
 *           13.3.1.4: the session cannot be set up)
 *   a 18x with unusable SDP (prack.c) crosses without its body: the 2xx
 *       (or a later 18x) still brings the answer; a warning is logged by
 *       call_sdp_cross().
 *   B's 2xx to the initial INVITE without SDP where SDP was due
 *   (call_b_2xx_no_sdp(), RFC 3261 13.2.1, RFC 3262 5, RFC 6337 2.1):
 *       A's INVITE had no offer and no reliable 18x brought B's, so the
 *       2xx had to offer; or A's offer was never answered in an 18x, so
 *       the 2xx had to answer: as for an unusable SDP, ACK(B), BYE(B),
 *       502 to A. B answered in an 18x that reached A unreliably (an
 *       unreliable 18x, or a reliable one of B's that A, without 100rel,
 *       got unreliably): that answer is no answer for A until a 2xx
 *       carries it (RFC 3261 13.2.1), so A's 2xx repeats it.
 *
 * The same holds in both directions: leg B is the callee's, whether the
 * carrier (outbound) or the PBX (inbound).
 */
#include "call.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.call"

/* ACK a 2xx on leg `to` (CSeq number of its INVITE), with the body of
 * `with` (the other leg's ACK carrying an answer) if given. */
void call_send_ack(struct trunk_call *call, struct call_leg *to,
		   uint32_t cseq_n, sip_t const *with)
{
	struct call_body body = { 0 };
	/* The ACK's sender has our offer (in the 2xx we relayed) to answer. */
	bool owed = call->sdp[to == &call->a ? 1 : 0].offer_out;

	/* The answer in the other leg's ACK crosses like any SDP; one that
	 * cannot, or none where our 2xx offered (RFC 3261 13.2.2.4: the ACK
	 * answers it): `to` is ACKed all the same, then both legs get a
	 * BYE. */
	if (with && ((owed && !with->sip_payload) ||
		     call_sdp_cross(call, to == &call->a ? &call->b : &call->a,
				    with->sip_payload, with->sip_content_type,
				    &body))) {
		memset(&body, 0, sizeof(body));
		call_ack_leg(call, to->leg, to, cseq_n, &body);
		LOGW(SUBSYS, call->ctx,
		     "the answer in leg %c's ACK cannot cross: hanging up",
		     to == &call->a ? 'B' : 'A');
		call_hangup(call, "unusable SDP in an ACK");
		return;
	}
	call_ack_leg(call, to->leg, to, cseq_n, &body);
}

/* A 2xx was relayed to the other leg: ACK `to` now, or (offer in the 2xx)
 * when the other leg's ACK brings the answer. */
void call_ack_or_defer(struct trunk_call *call, struct call_leg *to,
		       uint32_t cseq_n, bool offer_in_2xx)
{
	if (offer_in_2xx) {
		call_ack_defer(call, to, cseq_n);
	} else {
		call_send_ack(call, to, cseq_n, NULL);
	}
}

/* B's 2xx cannot make the call: ACK and BYE to B, status to A. */
static void call_b_2xx_refuse(struct trunk_call *call, int status)
{
	call_send_ack(call, &call->b, call->invite_b_cseq, NULL);
	call_send_bye(call, &call->b);
	nta_incoming_treply(call->invite_a, status,
			    status == 502 ? "Bad Gateway"
					  : "Internal Server Error",
			    TAG_END());
	call_end(call, "unusable SDP in B's 2xx");
}

void call_b_answer_unusable(struct trunk_call *call, int rc)
{
	int status = rc == 488 ? 502 : 500;

	LOGW(SUBSYS, call->ctx,
	     "leg B answered with SDP that cannot cross (%d): ACK and BYE "
	     "there, %d to leg A",
	     rc, status);
	call_b_2xx_refuse(call, status);
}

bool call_b_2xx_no_sdp(struct trunk_call *call, struct call_body *body)
{
	const char *last = call->sdp[0].last;

	if (call->late_offer || call->sdp[1].offer_out) {
		LOGW(SUBSYS, call->ctx,
		     "leg B's 2xx has no SDP %s: ACK and BYE there, 502 to "
		     "leg A",
		     call->late_offer ? "offer (our INVITE had none)"
				      : "answer (it never answered our offer)");
		call_b_2xx_refuse(call, 502);
		return true;
	}
	/* Answered in an 18x: A's 2xx carries our last SDP on A, that
	 * answer, unless A got it in a reliable 18x already. */
	if (call->a_sdp_rel || !last)
		return false;
	body->pl = sip_payload_make(trunk_scratch_get(call->gw), last);
	body->ct = sip_content_type_make(trunk_scratch_get(call->gw),
					 "application/sdp");
	if (!body->pl || !body->ct)
		memset(body, 0, sizeof(*body));
	return false;
}

/*
 * A 2xx to a relayed re-INVITE, or to an UPDATE with an offer (sent on as
 * an UPDATE or as a re-INVITE), whose SDP cannot be parsed (a body that
 * only repeats an offer of a reliable 18x never crosses: not checked).
 * The re-INVITE fails for the asker (488: it keeps its session, RFC 3261
 * 14.1); the answerer, whose 2xx cannot be refused, is ACKed and given the
 * session the asker kept, as when its 2xx crosses the asker's CANCEL
 * (call_reinvite_crossed(): our re-INVITE with the SDP it had; for an
 * offerless re-INVITE, whose 2xx offers, there is no answer to give: ACK
 * and BYE on both legs). True when so handled.
 */
bool call_reinvite_2xx_unusable(struct trunk_call *call, struct call_txn *t,
				uint32_t cseq, sip_t const *sip)
{
	sip_content_type_t const *ct = sip ? sip->sip_content_type : NULL;
	struct trunk_sdp_remote rs;
	char why[160];

	if ((t != &call->reinvite && !(t == &call->other && t->offer)) ||
	    t->early_oa || !sip || !sip->sip_payload ||
	    (ct && ct->c_type && strcasecmp(ct->c_type, "application/sdp")) ||
	    (!trunk_sdp_remote(sip->sip_payload->pl_data,
			       sip->sip_payload->pl_len, &rs, why,
			       sizeof(why)) &&
	     rs.nstreams))
		return false;
	LOGW(SUBSYS, call->ctx,
	     "leg %c's 2xx to a re-INVITE or UPDATE has SDP that cannot be "
	     "parsed: 488 to leg %c, which keeps its session",
	     t->from == &call->a ? 'B' : 'A', t->from == &call->a ? 'A' : 'B');
	nta_incoming_treply(t->irq, SIP_488_NOT_ACCEPTABLE, TAG_END());
	/* An early dialog's UPDATE: no re-INVITE may give the answerer the
	 * session back while the INVITE is pending (RFC 3261 14.1). */
	if (call->state != CALL_CONFIRMED)
		call_hangup(call, "unusable SDP in an early UPDATE's 2xx");
	else
		call_reinvite_crossed(call, t, cseq, sip);
	return true;
}
