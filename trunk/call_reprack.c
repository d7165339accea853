/*
 * An offer in a reliable 18x answering an offerless re-INVITE (RFC 3262
 * 5, RFC 6337 3.1 and 5.2; SDP-1 for re-INVITEs, XFR-2).
 *
 * A re-INVITE without SDP from the asker (leg F) is relayed without SDP
 * to the other leg (X, call_dialog.c). X's offer then comes in its 2xx
 * (answered in the ACKs, call_dialog.c), or in a reliable 18x, answered
 * in the PRACK. The latter, as for the initial INVITE (prack.c), keeps
 * each leg's 100rel of its own (RSeq, RAck, PRACK transactions); what
 * crosses is the offer and its answer:
 *
 *   F's re-INVITE        our re-INVITE to X        X's reliable 18x
 *   (no SDP)                                       with an offer
 *   ------------------   -----------------------   -----------------------
 *   Supported or         Supported: 100rel         our reliable 18x to F
 *   Require: 100rel                                with the offer (our o=
 *                                                  line, higher version:
 *                                                  SDP-3); F's PRACK with
 *                                                  the answer: our PRACK
 *                                                  to X with it rewritten;
 *                                                  X's answer to our PRACK
 *                                                  answers F's
 *   without 100rel       nothing of 100rel         (X should not send
 *                                                  one) answered here, in
 *                                                  our PRACK, with F's
 *                                                  session as X had it
 *                                                  (below); F gets the
 *                                                  18x unreliable, without
 *                                                  SDP
 *
 * Without 100rel on F's side the offer cannot reach F before the 2xx, and
 * X does not wait: a carrier-facing gateway keeps the call as it is
 * rather than fail a re-INVITE that X accepted. X's offer is answered in
 * our PRACK with the session F has (what we last described to X, the
 * codecs X offers among those agreed: an answer that changes nothing for
 * F); the relay learns X's new address. F's offerless re-INVITE then gets
 * in the 2xx our SDP toward F as it stands (unchanged: the same o=
 * version, SDP-2), and F's answer in its ACK is learnt by the relay and
 * stays on F's leg (X's offer/answer is complete). When X offers no codec
 * that was agreed, the legs cannot agree: both get a BYE.
 *
 * Either way the offer/answer is done once the PRACK is answered: X's 2xx
 * carries no new offer (RFC 3262 5; a body there repeats the offer and
 * does not cross) and the ACKs carry none. A re-INVITE that fails after
 * it takes it back (RFC 6141 5): both legs' SDP state goes back to what it
 * was, as after a failed re-INVITE with an offer (call_reoffer.c), and a
 * 2xx of X's that crossed F's CANCEL gets X a re-INVITE with F's session. An unreliable 18x with a body
 * to an offerless re-INVITE is no offer (RFC 6337 3.1): call_dialog.c
 * relays its status only.
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

#define SUBSYS "trunk.reprack"

static char leg_name(const struct trunk_call *call, const struct call_leg *l)
{
	return l == &call->a ? 'A' : 'B';
}

void call_reprack_start(struct call_txn *t, sip_t const *sip)
{
	t->rel100 = !sip->sip_payload &&
		    (sip_has_feature(sip->sip_supported, "100rel") ||
		     sip_has_feature(sip->sip_require, "100rel"));
}

/* X's answer to our PRACK: F's PRACK (if we relayed one) gets it. */
static int reprack_x_response(struct trunk_call *call, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	struct call_txn *t = &call->reinvite;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	nta_outgoing_t *again;

	if (status < 200 || orq != t->prack_out)
		return 0;
	/* A carrier's challenge: the same PRACK (answer included) again
	 * with credentials, once (REG-4, STA-6). */
	if ((again = call_auth_retry(call, call_peer(t->from), orq, sip,
				     reprack_x_response))) {
		nta_outgoing_destroy(orq);
		t->prack_out = again;
		return 0;
	}
	t->prack_out = NULL;
	if (status >= 300)
		LOGW(SUBSYS, call->ctx, "leg %c answered our PRACK with %d",
		     leg_name(call, call_peer(t->from)), status);
	if (!t->prack) {
		nta_outgoing_destroy(orq);
		return 0;
	}
	if (status == 401 || status == 407) /* ours, never relayed bare */
		status = 403, sip = NULL;
	nta_incoming_treply(t->prack, status,
			    sip ? sip->sip_status->st_phrase : NULL, TAG_END());
	nta_incoming_destroy(t->prack);
	t->prack = NULL;
	nta_outgoing_destroy(orq); /* after sip's last use */
	return 0;
}

/* Our PRACK of X's reliable 18x (RSeq t->rseq, to our re-INVITE CSeq
 * t->x_cseq), with the answer. */
static int reprack_send(struct trunk_call *call, struct call_txn *t,
			const struct call_body *body)
{
	struct call_leg *x = call_peer(t->from);
	char rack[48];

	snprintf(rack, sizeof(rack), "%u %u INVITE", t->rseq, t->x_cseq);
	t->prack_out = nta_outgoing_tcreate(
		x->leg, reprack_x_response, call, CALL_HOP(x), SIP_METHOD_PRACK,
		NULL, CALL_TPORT_TAG(x), SIPTAG_RACK_STR(rack),
		SIPTAG_HEADER(
			(sip_header_t *)call_auth(call, x, "PRACK", body->pl)),
		CALL_BODY_TAGS(body), TAG_END());
	if (t->prack_out)
		return 0;
	LOGW(SUBSYS, call->ctx, "cannot PRACK leg %c's RSeq %u",
	     leg_name(call, x), t->rseq);
	return 500;
}

/* F's PRACK of our reliable 18x with X's offer: its answer goes to X in
 * our PRACK, and X's answer to that answers it. prack NULL: nta dropped
 * our 18x (a final response went first, or F never PRACKed it). */
static int reprack_f_prack(struct trunk_call *call, nta_reliable_t *rel,
			   nta_incoming_t *prack, sip_t const *sip)
{
	struct call_txn *t = &call->reinvite;
	struct call_body body;
	int rc;

	if (rel == t->rel)
		t->rel = NULL;
	nta_reliable_destroy(rel);
	if (!prack)
		return 0;
	if (!t->irq || t->prack || t->prack_out)
		return 200; /* nothing (left) to acknowledge on X */
	if (!sip->sip_payload)
		LOGW(SUBSYS, call->ctx,
		     "leg %c's PRACK has no answer to the offer in our 18x",
		     leg_name(call, t->from));
	rc = call_sdp_cross(call, t->from, sip->sip_payload,
			    sip->sip_content_type, &body);
	if (!rc)
		rc = reprack_send(call, t, &body);
	if (rc) {
		nta_incoming_treply(prack, rc, NULL, TAG_END());
		nta_incoming_destroy(prack);
		return 0;
	}
	t->prack = prack;
	return 0;
}

/* F cannot take the offer before the 2xx: X's offer is answered here
 * with F's session as X had it (call_realign_sdp); the relay sends X
 * what was agreed. false when nothing of it can be agreed. */
static bool reprack_local_answer(struct trunk_call *call, struct call_txn *t,
				 sip_t const *sip, struct call_body *body)
{
	struct call_leg *x = call_peer(t->from);
	struct trunk_sdp_leg *xl = &call->sdp[x == &call->a ? 0 : 1];
	char *last = xl->last ? su_strdup(trunk_scratch_get(call->gw), xl->last)
			      : NULL;
	struct trunk_sdp_remote rs;

	if (trunk_sdp_remote(sip->sip_payload->pl_data,
			     sip->sip_payload->pl_len, &rs, NULL, 0) ||
	    !rs.nstreams ||
	    call_realign_sdp(call, x, last, &rs,
			     su_strndup(trunk_scratch_get(call->gw),
					sip->sip_payload->pl_data,
					sip->sip_payload->pl_len),
			     body))
		return false;
	xl->peer_answered = false; /* X's SDP was an offer */
	xl->peer_o_id = rs.o_id;
	xl->peer_o_version = rs.o_version;
	trunk_sdp_negotiated(&rs.s[0], xl);
	call_sdp_remote(call, x, &rs.s[0]);
	return true;
}

bool call_reprack_provisional(struct trunk_call *call, sip_t const *sip)
{
	struct call_txn *t = &call->reinvite;
	struct call_leg *x = call_peer(t->from);
	int status = sip->sip_status->st_status;
	const char *phrase = sip->sip_status->st_phrase;
	struct call_body body = { 0 };

	/* Only the first offer of X's, in a reliable 18x, to a re-INVITE
	 * that had none; the rest goes as before (call_dialog.c). */
	if (t->offer || t->early_oa || !sip->sip_payload || !sip->sip_rseq ||
	    !sip_has_feature(sip->sip_require, "100rel") ||
	    (t->rseq && sip->sip_rseq->rs_response <= t->rseq) ||
	    (sip->sip_content_type && sip->sip_content_type->c_type &&
	     strcasecmp(sip->sip_content_type->c_type, "application/sdp")))
		return false;
	t->rseq = sip->sip_rseq->rs_response;
	t->x_cseq = sip->sip_cseq->cs_seq;
	t->early_oa = true;
	/* Should the re-INVITE fail after all, the offer/answer in it goes
	 * too (RFC 6141 5): the SDP state as it was (call_reinvite_undo). */
	call_reinvite_keep(call, t, t->from);
	if (t->rel100) {
		bool crossed =
			call_sdp_cross(call, x, sip->sip_payload,
				       sip->sip_content_type, &body) == 0;

		if (crossed)
			t->rel = nta_reliable_treply(
				t->irq, reprack_f_prack, call, status, phrase,
				SIPTAG_CONTACT(call_leg_contact(call, t->from)),
				CALL_BODY_TAGS(&body), TAG_END());
		if (crossed && !t->rel) { /* F never saw it: as it was */
			call_reinvite_undo(call, t);
			call_reinvite_keep(call, t, t->from);
		}
		if (t->rel) {
			LOGI(SUBSYS, call->ctx,
			     "leg %c's offer in a reliable %d relayed to leg "
			     "%c, answer in the PRACK",
			     leg_name(call, x), status,
			     leg_name(call, t->from));
			return true;
		}
		LOGW(SUBSYS, call->ctx,
		     "cannot relay leg %c's offer in a reliable %d: answering "
		     "it here",
		     leg_name(call, x), status);
	}
	t->local_oa = true;
	if (!reprack_local_answer(call, t, sip, &body)) {
		LOGW(SUBSYS, call->ctx,
		     "leg %c offered in a reliable %d no codec agreed with "
		     "leg %c: ending the call",
		     leg_name(call, x), status, leg_name(call, t->from));
		memset(&body, 0, sizeof(body));
		reprack_send(call, t, &body);
		call_hangup(call, "legs disagree on the media");
		return true;
	}
	LOGI(SUBSYS, call->ctx,
	     "leg %c's offer in a reliable %d answered with the session leg "
	     "%c has (no 100rel there)",
	     leg_name(call, x), status, leg_name(call, t->from));
	if (reprack_send(call, t, &body))
		return true;
	nta_incoming_treply(t->irq, status, phrase,
			    SIPTAG_CONTACT(call_leg_contact(call, t->from)),
			    TAG_END());
	return true;
}

bool call_reprack_final_body(struct trunk_call *call, struct call_txn *t,
			     int status, struct call_body *body)
{
	struct trunk_sdp_leg *fl = &call->sdp[t->from == &call->a ? 0 : 1];
	su_home_t *scratch = trunk_scratch_get(call->gw);

	memset(body, 0, sizeof(*body));
	if (t != &call->reinvite || !t->early_oa)
		return false;
	if (status >= 300 || !t->local_oa || !fl->last)
		return true;
	/* F's offerless re-INVITE: our SDP toward F as it stands. */
	body->pl = sip_payload_make(scratch, fl->last);
	body->ct = sip_content_type_make(scratch, "application/sdp");
	if (!body->pl || !body->ct) {
		memset(body, 0, sizeof(*body));
		return true;
	}
	fl->offer_out = true;
	call->ack_local = t->from;
	return true;
}

bool call_reprack_offer_in_2xx(const struct call_txn *t)
{
	return !t->offer && !t->early_oa;
}

void call_reprack_ack(struct call_leg *cl, sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	struct trunk_sdp_leg *l = &call->sdp[cl == &call->a ? 0 : 1];
	struct trunk_sdp_leg none = { 0 };
	struct trunk_sdp_remote rs;

	if (call->ack_local != cl)
		return;
	call->ack_local = NULL;
	l->offer_out = false;
	if (!sip->sip_payload ||
	    trunk_sdp_remote(sip->sip_payload->pl_data,
			     sip->sip_payload->pl_len, &rs, NULL, 0) ||
	    !rs.nstreams) {
		LOGW(SUBSYS, call->ctx,
		     "leg %c's ACK has no answer to the SDP of our 2xx",
		     leg_name(call, cl));
		return;
	}
	trunk_sdp_note(l, &none, &rs);
	call_sdp_learn(call, cl, sip->sip_payload);
}

void call_reprack_free(struct call_txn *t)
{
	int st = t->irq ? nta_incoming_status(t->irq) : 0;

	if (t->rel)
		nta_reliable_destroy(t->rel);
	t->rel = NULL;
	if (t->prack) {
		/* X's 2xx came before its answer to our PRACK: it took the
		 * answer F's PRACK carried. */
		if (st >= 200 && st < 300)
			nta_incoming_treply(t->prack, SIP_200_OK, TAG_END());
		else
			nta_incoming_treply(t->prack, SIP_481_NO_TRANSACTION,
					    TAG_END());
		nta_incoming_destroy(t->prack);
	}
	t->prack = NULL;
	if (t->prack_out)
		nta_outgoing_destroy(t->prack_out);
	t->prack_out = NULL;
}
