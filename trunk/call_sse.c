/*
 * The per-trunk INVITE timeout (`invite_timeout`): how long an SP-SSE may
 * stay silent after our INVITE before the next SP-SSE of the trunk gets
 * it (STA-1 failover; SIPconnect 17: several SP-SSE addresses).
 *
 * Without it a silent SP-SSE is left only by Timer B (64 x T1, 32 s by
 * default: nta's own 408), far beyond what a caller waits and what
 * carriers' certification expects (failover within a few seconds). Any
 * response from the SP-SSE, 100 Trying included, proves it alive and
 * stops the timer; from then on the call is that SP-SSE's.
 *
 *   INVITE to SP-SSE n ──any response──▶ disarmed
 *        │ invite_timeout, nothing heard, SP-SSE n+1 exists
 *        ▼
 *   SP-SSE n marked down (tried last by later calls: call_route_peers),
 *   our INVITE there CANCELled and kept (call_abandon.c: the CANCEL goes
 *   with n's first provisional, RFC 3261 9.1; a late 2xx of n gets ACK
 *   and BYE), the INVITE to SP-SSE n+1 (timer again)
 *
 * The last SP-SSE of the list has no timer: Timer B ends that attempt.
 */
#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"

#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.call"

static void call_sse_timeout(su_root_magic_t *magic, su_timer_t *t,
			     struct trunk_call *call)
{
	(void)magic;
	(void)t;
	if (call->state != CALL_CALLING)
		return;
	LOGW(SUBSYS, call->ctx,
	     "no response from SP-SSE %s to the INVITE within invite_timeout",
	     call->route->routes[call->route_idx]);
	if (call_b_failover(call, 408, NULL))
		return;
	if (call->invite_b) { /* nothing changed */
		LOGW(SUBSYS, call->ctx, "no other SP-SSE: waiting for Timer B");
		return;
	}
	/* Our INVITE there is gone and none went to the next one. */
	nta_incoming_treply(call->invite_a, SIP_500_INTERNAL_SERVER_ERROR,
			    TAG_END());
	call_end(call, "cannot send the INVITE to the next SP-SSE");
}

void call_sse_arm(struct trunk_call *call)
{
	const struct config_section *t;
	int64_t ms;

	call_sse_disarm(call);
	if (!call->trunk[0] || !call->route ||
	    call->route_idx + 1 >= call->route->nroutes ||
	    !(t = trunk_config_trunk(call->gw->cfg, call->trunk)) ||
	    (ms = config_get_int(t, "invite_timeout")) <= 0)
		return;
	if (!call->sse_timer)
		call->sse_timer = su_timer_create(su_root_task(call->gw->root),
						  (su_duration_t)ms);
	if (call->sse_timer)
		su_timer_set_interval(call->sse_timer, call_sse_timeout, call,
				      (su_duration_t)ms);
}

void call_sse_disarm(struct trunk_call *call)
{
	if (call->sse_timer)
		su_timer_reset(call->sse_timer);
}

void call_sse_free(struct trunk_call *call)
{
	if (call->sse_timer)
		su_timer_destroy(call->sse_timer);
	call->sse_timer = NULL;
}
