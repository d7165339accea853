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
 */
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

	if (orq != call->reoffer || status < 200)
		return 0;
	call->reoffer = NULL;
	if (status >= 300 || !sip) {
		nta_outgoing_destroy(orq);
		tl->offer_out = false;
		LOGW(SUBSYS, call->ctx,
		     "leg %c refused the new media after the transfer: %d",
		     to == &call->a ? 'A' : 'B', status);
		return 0;
	}
	call_send_ack(call, to, nta_outgoing_cseq(orq), NULL);
	nta_outgoing_destroy(orq);
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
	LOGI(SUBSYS, call->ctx, "leg %c took the new media after the transfer",
	     to == &call->a ? 'A' : 'B');
	return 0;
}

void call_reoffer(struct trunk_call *call, struct call_leg *from,
		  sip_t const *sip)
{
	struct call_leg *to = call_peer(from);
	struct trunk_sdp_leg *tl = &call->sdp[to == &call->a ? 0 : 1];
	struct trunk_sdp_remote rs;
	struct call_body body;
	const char *st;

	if (!sip->sip_payload || !call->media || call->reoffer ||
	    trunk_sdp_remote(sip->sip_payload->pl_data,
			     sip->sip_payload->pl_len, &rs, NULL, 0) ||
	    !rs.nstreams || trunk_sdp_same_codecs(&rs.s[0], tl))
		return;
	/* A re-INVITE of a peer's under way: ours would meet 491. */
	if (call->reinvite.irq || call->ack_to) {
		LOGW(SUBSYS, call->ctx,
		     "new codecs after the transfer not offered to leg %c: a "
		     "re-INVITE is under way",
		     to == &call->a ? 'A' : 'B');
		return;
	}
	if (call_sdp_cross(call, from, sip->sip_payload, sip->sip_content_type,
			   &body))
		return;
	st = call_timer_request_headers(call, to);
	call->reoffer_to = to;
	call->reoffer = nta_outgoing_tcreate(
		to->leg, reoffer_response, call, CALL_HOP(to),
		SIP_METHOD_INVITE, NULL, CALL_TPORT_TAG(to),
		SIPTAG_CONTACT(call_leg_contact(call, to)),
		TAG_IF(st, SIPTAG_HEADER_STR(st)),
		SIPTAG_HEADER(
			(sip_header_t *)call_auth(call, to, "INVITE", body.pl)),
		CALL_BODY_TAGS(&body), TAG_END());
	LOGI(SUBSYS, call->ctx, "leg %c: re-INVITE with the new party's codecs",
	     to == &call->a ? 'A' : 'B');
	if (!call->reoffer)
		tl->offer_out = false;
}

void call_reoffer_free(struct trunk_call *call)
{
	if (call->reoffer)
		nta_outgoing_destroy(call->reoffer);
	call->reoffer = NULL;
}
