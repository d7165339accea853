/*
 * trunk/call_cdr.c: a call's detail record (trunk/cdr.h, docs/cdr.md).
 * What the record needs that the call does not keep otherwise is taken at
 * its start (A's From and Request-URI, the time); the row goes to the
 * writer thread when the call is freed, after every response to A's
 * INVITE was sent, with the media counters read before the session goes.
 */
#include "call.h"

#include <stdio.h>
#include <string.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include "cdr.h"
#include "media/media.h"

static char *call_cdr_url_text(struct trunk_gateway *gw, url_t const *url)
{
	return url ? url_as_string(trunk_scratch_get(gw), url) : NULL;
}

/* Out of memory, the field stays "": the call goes on. */
static void call_cdr_url(struct trunk_call *call, const char **field,
			 url_t const *url)
{
	(void)call_str_set(field, call_cdr_url_text(call->gw, url));
}

void call_cdr_start(struct trunk_call *call, sip_t const *sip)
{
	call->start_ms = trunk_cdr_now_ms();
	if (!call->gw->cdr) /* cdr = off: nothing more to keep */
		return;
	call_cdr_url(call, &call->from_a,
		     sip->sip_from ? sip->sip_from->a_url : NULL);
	call_cdr_url(call, &call->ruri_a,
		     sip->sip_request ? sip->sip_request->rq_url : NULL);
}

/* outbound: enterprise to carrier; inbound: carrier to enterprise;
 * internal: between enterprise users; transit: carrier to carrier. */
static const char *call_cdr_direction(const struct trunk_call *call)
{
	bool from_trunk = call->a.side == TRUNK_SIDE_TRUNK;
	bool to_trunk = call->b.side == TRUNK_SIDE_TRUNK;

	if (from_trunk)
		return to_trunk ? "transit" : "inbound";
	return to_trunk ? "outbound" : "internal";
}

void call_cdr_write(struct trunk_call *call)
{
	struct trunk_cdr r = { 0 };
	struct media_stats st;
	int i;

	if (!call->gw->cdr)
		return;
	r.call = call->id;
	r.direction = call_cdr_direction(call);
	r.trunk = call->trunk[0] ? call->trunk : call->a_trunk;
	r.from_a = call->from_a;
	r.ruri_a = call->ruri_a;
	r.from_b = call->party[1];
	r.ruri_b = call->target;
	r.call_id_a = call->call_id[0];
	r.call_id_b = call->call_id[1];
	r.emergency = call->emergency;
	r.start_ms = call->start_ms;
	r.answer_ms = call->answer_ms;
	r.end_ms = call->end_ms ? call->end_ms : trunk_cdr_now_ms();
	r.status = call->invite_a ? nta_incoming_status(call->invite_a)
				  : call->a_status;
	r.reason = call->end_why;
	for (i = 0; call->media && i < 2; i++) {
		media_session_get_stats(call->media, (enum media_leg)i, &st);
		*(i ? &r.rtp_b : &r.rtp_a) = st.rtp_in_packets;
	}
	trunk_cdr_write(call->gw->cdr, &r);
}

void call_cdr_refused(struct trunk_gateway *gw, enum trunk_side side,
		      sip_t const *sip, const struct call_route *r, int status)
{
	struct trunk_cdr row = { 0 };
	char reason[64];
	const char *s;

	if (!gw->cdr)
		return;
	if (side == TRUNK_SIDE_TRUNK)
		row.direction = "inbound";
	else /* a phone of ours as the target (480: not registered) */
		row.direction = r->b_phone[0] ? "internal" : "outbound";
	row.trunk = side == TRUNK_SIDE_TRUNK ? r->a_trunk : r->trunk;
	s = call_cdr_url_text(gw, sip->sip_from ? sip->sip_from->a_url : NULL);
	row.from_a = s ? s : "";
	s = call_cdr_url_text(gw, sip->sip_request->rq_url);
	row.ruri_a = s ? s : "";
	row.from_b = row.ruri_b = row.call_id_b = "";
	row.call_id_a = sip->sip_call_id->i_id;
	row.emergency = r->emergency;
	row.start_ms = row.end_ms = trunk_cdr_now_ms();
	row.status = (unsigned)status;
	snprintf(reason, sizeof(reason), "refused: %d %s", status,
		 sip_status_phrase(status) ? sip_status_phrase(status) : "");
	row.reason = reason;
	trunk_cdr_write(gw->cdr, &row);
}
