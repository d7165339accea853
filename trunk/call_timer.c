/*
 * Session timers (RFC 4028) on each leg of a call. The legs negotiate
 * independently: A's interval and refresher are agreed in our answers to
 * A, B's in B's answers to us, with session_timer.c's rules and our
 * [global] session_expires / min_se. Per leg:
 *
 *            2xx to INVITE, re-INVITE or UPDATE (either direction)
 *        ┌──────────────────────────────────────────────┐
 *        ▼                                              │
 *     ARMED ──we refresh, interval/2──▶ REFRESHING ──2xx┘
 *      ▲  │                                │  │ 408/481/no answer
 *      │  │ peer refreshes: no refresh by  │  ▼
 *      │  └─ interval - min(32 s, 1/3) ────┼─▶ BYE on both legs
 *      └────────── 491 (glare) ────────────┘
 *        again in 2.1-4 s on leg B, 0-2 s on leg A (RFC 3261 14.1),
 *        3 times at most in a row
 *
 * Our refresh by re-INVITE waits while another INVITE is under way in the
 * call (a relayed re-INVITE, our re-offer: call_invite_busy), and while it
 * is under way a peer's re-INVITE or UPDATE with an offer gets 491
 * (call_dialog.c), so that no dialog ever has two INVITEs at once.
 *
 * Our refresh is an UPDATE without a body when the peer allows UPDATE,
 * else a re-INVITE carrying the last SDP we sent on that leg (unchanged
 * version, SDP-2); it stays on its leg. A relayed re-INVITE or UPDATE
 * refreshes both legs it crosses; a bodiless UPDATE from a peer is a pure
 * refresh and is answered here (call_dialog.c).
 */
#include <stdio.h>
#include <string.h>

#define SU_TIMER_ARG_T struct call_leg

#include "call.h"
#include "flow.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.timer"

static void timer_conf(struct trunk_gateway *gw, struct trunk_st_conf *c)
{
	const struct config_section *g =
		config_section_get(gw->cfg, "global", NULL);
	long long min_ms = config_get_int(g, "min_se");

	c->se = (unsigned)(config_get_int(g, "session_expires") / 1000);
	c->min_se = min_ms >= 1000 ? (unsigned)(min_ms / 1000) : 1;
	if (c->se && c->se < c->min_se)
		c->se = c->min_se;
}

static void timer_msg(sip_t const *sip, struct trunk_st_msg *m)
{
	sip_session_expires_t const *x = sip->sip_session_expires;

	m->se = x ? (unsigned)x->x_delta : 0;
	m->refresher = x ? x->x_refresher : NULL;
	m->min_se = sip->sip_min_se ? (unsigned)sip->sip_min_se->min_delta : 0;
	m->supported = sip_has_feature(sip->sip_supported, "timer") ||
		       sip_has_feature(sip->sip_require, "timer");
}

static char timer_leg_name(struct call_leg *leg)
{
	return leg == &leg->call->a ? 'A' : 'B';
}

/* Answer irq with 422 and our Min-SE (RFC 4028 8.1). */
static void timer_422(nta_incoming_t *irq, unsigned min_se)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", min_se);
	nta_incoming_treply(irq, 422, "Session Interval Too Small",
			    SIPTAG_MIN_SE_STR(buf), TAG_END());
}

/* As UAS of a request on a leg (ctx, leg: for the log): 0 with the leg's
 * timer in *st, or 422 after answering irq (RFC 4028 8.1). */
static int timer_uas(struct trunk_gateway *gw, const char *ctx, char leg,
		     nta_incoming_t *irq, sip_t const *sip, struct trunk_st *st)
{
	struct trunk_st_conf c;
	struct trunk_st_msg m;
	unsigned min_se = 0;

	timer_conf(gw, &c);
	timer_msg(sip, &m);
	if (trunk_st_uas(&c, &m, st, &min_se) != 422)
		return 0;
	LOGI(SUBSYS, ctx, "%s from leg %c with Session-Expires %u < %u: 422",
	     sip->sip_request->rq_method_name, leg, m.se, min_se);
	timer_422(irq, min_se);
	return 422;
}

int call_timer_invite_a(struct trunk_gateway *gw, nta_incoming_t *irq,
			sip_t const *sip, struct trunk_st *st)
{
	return timer_uas(gw, NULL, 'A', irq, sip, st);
}

int call_timer_request_in(struct call_leg *cl, nta_incoming_t *irq,
			  sip_t const *sip, struct trunk_st *st)
{
	return timer_uas(cl->call->gw, cl->call->ctx, timer_leg_name(cl), irq,
			 sip, st);
}

/* Parsed once for every call (the same headers as the text, without
 * parsing it per INVITE). */
void call_timer_invite_b_headers(struct trunk_call *call,
				 struct call_invite_b_headers *h)
{
	struct trunk_st_conf c;

	timer_conf(call->gw, &c);
	/* A 422 raised what we ask for (RFC 4028 7.4); else our policy. */
	if (!call->st_422_tries)
		call->b_se = c.se;
	h->supported = strcmp(call_prack_supported_b(call), TRUNK_SUPPORTED)
			       ? trunk_agent_supported_timer()
			       : trunk_agent_supported();
	h->allow = trunk_agent_allow();
	h->timer = call->b_se != 0;
	sip_session_expires_init(h->x);
	h->x->x_delta = call->b_se;
	sip_min_se_init(h->min);
	h->min->min_delta = call->st_422_tries ? call->b_se : c.min_se;
}

bool call_timer_b_422(struct trunk_call *call, sip_t const *sip)
{
	unsigned asked = call->b_se, next;

	next = trunk_st_uac_422(
		asked,
		sip->sip_min_se ? (unsigned)sip->sip_min_se->min_delta : 0);
	if (!next || call->st_422_tries >= 2)
		return false;
	call->st_422_tries++;
	call->b_se = next;
	LOGI(SUBSYS, call->ctx, "422 from B: asking for %u s instead of %u s",
	     next, asked);
	return call_b_send_invite(call) == 0;
}

const char *call_timer_response_headers(struct trunk_call *call,
					struct call_leg *leg)
{
	if (!leg->st.interval)
		return NULL;
	/* The peer refreshes: it must know it has to (RFC 4028 9). */
	return su_sprintf(trunk_scratch_get(call->gw),
			  "Session-Expires: %u;refresher=%s\r\n%s",
			  leg->st.interval, trunk_st_refresher_uas(&leg->st),
			  leg->st.we_refresh ? "" : "Require: timer\r\n");
}

void call_timer_response_parsed(struct call_leg *leg, struct call_timer_2xx *h)
{
	/* Parsed once, lives as long as the process. */
	static su_home_t home[1] = { SU_HOME_INIT(home) };
	static sip_require_t *timer;

	h->timer = leg->st.interval != 0;
	h->require = NULL;
	if (!h->timer)
		return;
	sip_session_expires_init(h->x);
	h->x->x_delta = leg->st.interval;
	/* As call_timer_response_headers()' text: the peer refreshes, it
	 * must know it has to (RFC 4028 9). */
	h->params[0] = leg->st.we_refresh ? "refresher=uas" : "refresher=uac";
	h->params[1] = NULL;
	h->x->x_params = h->params;
	if (!leg->st.we_refresh) {
		if (!timer)
			timer = sip_require_make(home, "timer");
		h->require = timer;
	}
}

const char *call_timer_request_headers(struct trunk_call *call,
				       struct call_leg *leg)
{
	struct trunk_st_conf c;

	timer_conf(call->gw, &c);
	if (leg->st.interval)
		return su_sprintf(trunk_scratch_get(call->gw),
				  "Session-Expires: %u;refresher=%s\r\n"
				  "Min-SE: %u\r\nSupported: timer\r\n",
				  leg->st.interval,
				  trunk_st_refresher_uac(&leg->st), c.min_se);
	if (c.se)
		return su_sprintf(trunk_scratch_get(call->gw),
				  "Session-Expires: %u\r\nMin-SE: %u\r\n"
				  "Supported: timer\r\n",
				  c.se, c.min_se);
	return "Supported: timer\r\n";
}

/* ---------------------------------------------------------------------- */
/* The timer of a leg                                                      */

static void timer_fire(su_root_magic_t *magic, su_timer_t *t,
		       struct call_leg *leg);

/* From our refresh, sent at half the interval, to the moment the other
 * side would send BYE had it not come (RFC 4028 10). */
static uint64_t timer_grace_ms(const struct trunk_st *st)
{
	struct trunk_st peer = { st->interval, false };
	uint64_t half = (uint64_t)st->interval * 500;
	uint64_t bye = trunk_st_due_ms(&peer);

	return bye > half ? bye - half : 0;
}

static void timer_arm(struct call_leg *leg, uint64_t ms)
{
	struct trunk_call *call = leg->call;

	if (!leg->st_timer)
		leg->st_timer =
			su_timer_create(su_root_task(call->gw->root), 0);
	if (leg->st_timer)
		su_timer_set_interval(leg->st_timer, timer_fire, leg,
				      (su_duration_t)ms);
}

void call_timer_restart(struct call_leg *leg, const struct trunk_st *st)
{
	leg->st = *st;
	leg->st_glare = 0;
	if (leg->st_timer)
		su_timer_reset(leg->st_timer);
	if (!st->interval || leg->call->state == CALL_TERMINATED)
		return;
	LOGD(SUBSYS, leg->call->ctx, "leg %c: session %u s, %s refreshes",
	     timer_leg_name(leg), st->interval,
	     st->we_refresh ? "we" : "the peer");
	timer_arm(leg, trunk_st_due_ms(st));
}

void call_timer_response_in(struct call_leg *leg, sip_t const *sip)
{
	struct trunk_st_msg m;
	struct trunk_st st;

	timer_msg(sip, &m);
	trunk_st_uac_2xx(&m, &st);
	if (sip->sip_allow)
		leg->allows_update = sip_is_allowed(
			sip->sip_allow, sip_method_update, "UPDATE");
	call_timer_restart(leg, &st);
}

void call_timer_confirmed(struct trunk_call *call, sip_t const *b_2xx)
{
	call_timer_restart(&call->a, &call->a.st);
	call_timer_response_in(&call->b, b_2xx);
}

int call_timer_update_local(struct call_leg *cl, nta_incoming_t *irq,
			    sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	struct trunk_st st;

	if (call_timer_request_in(cl, irq, sip, &st))
		return 0;
	call_timer_restart(cl, &st);
	nta_incoming_treply(
		irq, SIP_200_OK, SIPTAG_CONTACT(call_leg_contact(call, cl)),
		TAG_IF(st.interval,
		       SIPTAG_HEADER_STR(
			       call_timer_response_headers(call, cl))),
		TAG_END());
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Our refreshes                                                           */

static int timer_refresh_send(struct call_leg *leg, bool update);

static int timer_refresh_response(struct trunk_call *call, nta_outgoing_t *orq,
				  sip_t const *sip)
{
	struct call_leg *leg = orq == call->a.st_refresh ? &call->a : &call->b;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	bool update = nta_outgoing_method(orq) == sip_method_update;
	uint64_t grace = timer_grace_ms(&leg->st);
	nta_outgoing_t *again;

	if (orq != leg->st_refresh || status < 200)
		return 0;
	if ((again = call_auth_retry(call, leg, orq, sip,
				     timer_refresh_response))) {
		nta_outgoing_destroy(orq);
		leg->st_refresh = again;
		return 0;
	}
	leg->st_refresh = NULL;
	/* Glare: the peer's INVITE crossed ours (RFC 3261 14.1). Sent
	 * again after a random wait, a few times; the peer's own re-INVITE,
	 * once through, refreshes the session meanwhile. */
	if (status == 491 && leg->st_glare < 3) {
		uint32_t ms =
			trunk_st_glare_ms(leg == &call->b, trunk_random());

		nta_outgoing_destroy(orq);
		leg->st_glare++;
		LOGI(SUBSYS, call->ctx,
		     "leg %c: session refresh met glare (491): again in %u ms",
		     timer_leg_name(leg), (unsigned)ms);
		leg->st.we_refresh = true;
		timer_arm(leg, ms);
		return 0;
	}
	if (status < 300) {
		if (!update) {
			call_send_ack(call, leg, nta_outgoing_cseq(orq), NULL);
			/* The answer to our unchanged offer: the peer may
			 * still have moved its media. */
			if (sip && sip->sip_payload)
				call_sdp_learn(call, leg, sip->sip_payload);
		}
		call_timer_response_in(leg, sip);
		nta_outgoing_destroy(orq); /* frees sip over TCP/TLS */
		return 0;
	}
	nta_outgoing_destroy(orq);
	LOGW(SUBSYS, call->ctx, "leg %c: session refresh got %d",
	     timer_leg_name(leg), status);
	if (update && (status == 405 || status == 501)) {
		leg->allows_update = false; /* try again by re-INVITE */
		if (!timer_refresh_send(leg, false))
			return 0;
	}
	/* RFC 4028 10: 408/481 (or no answer) ends the session; otherwise
	 * it lives until it expires, and we BYE just before that. */
	if (status == 408 || status == 481 || !sip || !grace) {
		call_hangup(call, "session refresh failed");
		return 0;
	}
	leg->st.we_refresh = false; /* the grace timer (timer_fire) runs */
	return 0;
}

/* A refresh on leg: UPDATE without a body, or a re-INVITE with the last
 * SDP we sent there. 0 or EIO. */
static int timer_refresh_send(struct call_leg *leg, bool update)
{
	struct trunk_call *call = leg->call;
	char const *last = call->sdp[leg == &call->a ? 0 : 1].last;
	sip_payload_t *pl = NULL;

	if (!update && last)
		pl = sip_payload_make(trunk_scratch_get(call->gw), last);
	update = update || !pl;
	leg->st_refresh = nta_outgoing_tcreate(
		leg->leg, timer_refresh_response, call, CALL_HOP(leg),
		update ? sip_method_update : sip_method_invite,
		update ? "UPDATE" : "INVITE", NULL, CALL_TPORT_TAG(leg),
		SIPTAG_CONTACT(call_leg_contact(call, leg)),
		SIPTAG_HEADER_STR(call_timer_request_headers(call, leg)),
		SIPTAG_HEADER((sip_header_t *)call_auth(
			call, leg, update ? "UPDATE" : "INVITE", pl)),
		TAG_IF(pl, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		TAG_IF(pl, SIPTAG_PAYLOAD(pl)), TAG_END());
	LOGI(SUBSYS, call->ctx, "leg %c: session refresh by %s",
	     timer_leg_name(leg), update ? "UPDATE" : "re-INVITE");
	return leg->st_refresh ? 0 : EIO;
}

static void timer_fire(su_root_magic_t *magic, su_timer_t *t,
		       struct call_leg *leg)
{
	struct trunk_call *call = leg->call;

	(void)magic;
	(void)t;
	if (call->state != CALL_CONFIRMED)
		return;
	if (!leg->st.we_refresh || leg->st_refresh) {
		LOGW(SUBSYS, call->ctx,
		     "leg %c: session not refreshed in time (%u s): ending "
		     "the call",
		     timer_leg_name(leg), leg->st.interval);
		call_hangup(call, "session expired");
		return;
	}
	/* An INVITE of ours or relayed is under way on this dialog: a
	 * second one would meet 491. Try again in a second. */
	if (!leg->allows_update && call_invite_busy(call)) {
		timer_arm(leg, 1000);
		return;
	}
	if (timer_refresh_send(leg, leg->allows_update)) {
		call_hangup(call, "cannot send a session refresh");
		return;
	}
	/* Unanswered by the time the session would expire: BYE (above). */
	timer_arm(leg, timer_grace_ms(&leg->st));
	leg->st.we_refresh = false;
}

bool call_timer_inviting(const struct call_leg *leg)
{
	return leg->st_refresh &&
	       nta_outgoing_method(leg->st_refresh) == sip_method_invite;
}

void call_timer_free(struct call_leg *leg)
{
	if (leg->st_timer)
		su_timer_destroy(leg->st_timer);
	leg->st_timer = NULL;
	if (leg->st_refresh)
		nta_outgoing_destroy(leg->st_refresh);
	leg->st_refresh = NULL;
}
