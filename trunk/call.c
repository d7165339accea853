/*
 * The B2BUA call (DESIGN.md 5): one call object, two legs, two independent
 * dialogs. Leg A is the side that sent the INVITE (we are its UAS), leg B
 * the side we call (we are its UAC). Each leg has its own Call-ID, tags,
 * CSeq, Via and Contact; nothing of one side's topology is copied to the
 * other (the SIP headers are built anew; see "SDP" below for the body).
 *
 *        INVITE(A)                                    2xx(B) relayed
 *   INIT ─────────▶ CALLING ──1xx(B)──▶ EARLY ───────────────────────▶ CONFIRMED
 *                     │  │                │                               │
 *                     │  └─CANCEL(A)──────┴──▶ CANCELLING ──final(B)──┐   │ BYE either side
 *                     │     (487 to A)                                ▼   ▼
 *                     └──── 3xx-6xx(B) relayed to A ──────────────▶ TERMINATED
 *                                                                 (freed from a
 *                                                                  zero-delay timer)
 *
 * SDP is anchored and rewritten on each leg (call_sdp_cross, media/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"
#include "cdr.h"
#include "config/outbuf.h"
#include "location.h"
#include "policy.h"
#include "tls.h"
#include "flow.h"
#include "registration.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.call"

static const char *const call_state_names[] = {
	[CALL_CALLING] = "CALLING",	  [CALL_EARLY] = "EARLY",
	[CALL_CANCELLING] = "CANCELLING", [CALL_CONFIRMED] = "CONFIRMED",
	[CALL_TERMINATED] = "TERMINATED",
};

static int call_route_phone(struct trunk_gateway *gw,
			    const struct config_section *ph,
			    struct call_route *r);
static const char *call_context(struct trunk_gateway *gw,
				const struct config_section *who);
static bool call_trunk_full(struct trunk_gateway *gw,
			    const struct config_section *t);

void call_txn_clear(struct call_txn *t)
{
	call_reprack_free(t);
	if (t->irq)
		nta_incoming_destroy(t->irq);
	if (t->orq)
		nta_outgoing_destroy(t->orq);
	if (t->prack_bare)
		nta_outgoing_destroy(t->prack_bare);
	call_reinvite_undo_free(t);
	memset(t, 0, sizeof(*t));
}

void call_set_state(struct trunk_call *call, enum call_state next,
		    const char *why)
{
	if (call->state == next)
		return;
	LOGI(SUBSYS, call->ctx, "%s -> %s (%s)", call_state_names[call->state],
	     call_state_names[next], why);
	if (next == CALL_CONFIRMED && !call->answer_ms)
		call->answer_ms = trunk_cdr_now_ms();
	call->state = next;
	call_media_state(call);
}

/* ---------------------------------------------------------------------- */
/* Lifetime                                                                */

/* Our INVITE to B given to call_abandon.c: without its final response
 * (failover, the call ends while it rings) CANCELled and kept until its
 * end; with answer, a 2xx that came after the call ended, ACKed and
 * BYEd now. */
static bool call_b_invite_leave(struct trunk_call *call, nta_outgoing_t *orq,
				sip_t const *answer)
{
	struct trunk_abandon_from from = { call->b.hop,
					   call_leg_trunk(call, &call->b),
					   call->ctx, call_fork_seq(call) };

	trunk_tls_orq_unwatch(call->gw, orq);
	return trunk_invite_abandon(
		call->gw, trunk_agent_nta(call->gw->agents[call->b.side]), orq,
		answer, &from);
}

/* Our INVITE to B goes there, else back to nta. */
static void call_b_invite_drop(struct trunk_call *call)
{
	nta_outgoing_t *orq = call->invite_b;

	call->invite_b = NULL;
	if (orq && !call_b_invite_leave(call, orq, NULL))
		nta_outgoing_destroy(orq);
}

/* The call's strings before they are known: not malloc'd. */
static const char call_str_none[] = "";

int call_str_set(const char **field, const char *value)
{
	char *copy = value && *value ? strdup(value) : NULL;

	if (*field != call_str_none)
		free((char *)*field);
	*field = copy ? copy : call_str_none;
	return copy || !value || !*value ? 0 : ENOMEM;
}

static void call_free(struct trunk_call *call)
{
	int i;

	call_cdr_write(call); /* before the media session goes */
	*call->prevp = call->next;
	if (call->next)
		call->next->prevp = call->prevp;
	call->gw->ncalls--;
	if (call->reaper)
		su_timer_destroy(call->reaper);
	if (call->fwd_timer)
		su_timer_destroy(call->fwd_timer);
	call_sse_free(call);
	if (call->b_release)
		su_timer_destroy(call->b_release);
	call_keep_stop(&call->a);
	call_keep_stop(&call->b);
	call_fork_free(call);
	call_prack_free(call);
	call_xfer_free(call);
	call_timer_free(&call->a);
	call_timer_free(&call->b);
	call_retx_free(&call->a);
	call_retx_free(&call->b);
	if (call->invite_a)
		nta_incoming_destroy(call->invite_a);
	call_b_invite_drop(call);
	call_txn_clear(&call->reinvite);
	call_txn_clear(&call->other);
	msg_destroy(call->ack_invite);
	media_session_free(call->media);
	call_auth_bye_release(call, &call->a);
	call_auth_bye_release(call, &call->b);
	if (call->a.leg)
		nta_leg_destroy(call->a.leg);
	if (call->b.leg)
		nta_leg_destroy(call->b.leg);
	if (call->a.tport)
		tport_unref(call->a.tport);
	if (call->b.tport) /* a carrier's joined by an attended transfer */
		tport_unref(call->b.tport);
	free(call->route);
	su_free(NULL, call->body);
	su_free(NULL, call->body_type);
	for (i = 0; i < 2; i++) {
		call_str_set(&call->call_id[i], NULL);
		call_str_set(&call->party[i], NULL);
		call_str_set(&call->who[i], NULL);
		su_free(NULL, call->sdp[i].last);
	}
	call_str_set(&call->target, NULL);
	call_str_set(&call->trunk, NULL);
	call_str_set(&call->a_trunk, NULL);
	call_str_set(&call->from_a, NULL);
	call_str_set(&call->ruri_a, NULL);
	call_str_set(&call->end_why, NULL);
	free(call->auth_retried);
	su_home_deinit(call->home);
	free(call);
}

static void call_reap(su_root_magic_t *magic, su_timer_t *t,
		      struct trunk_call *call)
{
	struct trunk_gateway *gw = call->gw;

	(void)magic;
	(void)t;
	call_free(call);
	/* A drain waits for the last call (daemon.c); after the grace
	 * period the linger timer ends the loop instead. */
	if (gw->draining && !gw->lingering && !gw->ncalls)
		su_root_break(gw->root);
}

/* A request relayed in t (re-INVITE, UPDATE, INFO) still unanswered when
 * its call ends: 487 (RFC 3261 15.1.2; nta would answer it 500 when the
 * call is freed). */
static void call_txn_terminated(struct call_txn *t)
{
	if (t->irq && nta_incoming_status(t->irq) < 200)
		nta_incoming_treply(t->irq, SIP_487_REQUEST_TERMINATED,
				    TAG_END());
}

void call_txns_terminated(struct trunk_call *call)
{
	call_txn_terminated(&call->reinvite);
	call_txn_terminated(&call->other);
}

/* Enter TERMINATED; the call is freed once the current callback returns. */
void call_end(struct trunk_call *call, const char *why)
{
	if (call->state == CALL_TERMINATED)
		return;
	call_txns_terminated(call);
	call_set_state(call, CALL_TERMINATED, why);
	call->end_ms = trunk_cdr_now_ms();
	if (call->gw->cdr)
		(void)call_str_set(&call->end_why, why);
	LOGI(SUBSYS, call->ctx, "ended after %lld s: %s%s",
	     (long long)(time(NULL) - call->started), why,
	     call->emergency ? " (emergency call)" : "");
	if (!call->reaper)
		call->reaper = su_timer_create(su_root_task(call->gw->root), 0);
	if (call->reaper)
		su_timer_set_interval(call->reaper, call_reap, call, 0);
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static bool call_is_sdp(sip_content_type_t const *ct)
{
	return !ct ||
	       (ct->c_type && !strcasecmp(ct->c_type, "application/sdp"));
}

/*
 * Media anchoring (RTP-1, DESIGN.md 5): an SDP body from leg `from` never
 * crosses as it is. Its first stream is anchored on the call's media
 * session (the relay learns the peer's address, direction and payload
 * types), and the SDP the other leg gets names the relay's address and
 * port there, with our own o= line (SDP-3); further streams are refused
 * (port 0). Other bodies cross unchanged. *out is on the scratch home
 * (this callback only). Returns 0, 488 (SDP that cannot be parsed) or 503
 * (no media ports).
 */
int call_sdp_cross(struct trunk_call *call, struct call_leg *from,
		   sip_payload_t const *pl, sip_content_type_t const *ct,
		   struct call_body *out)
{
	struct call_leg *to = from == &call->a ? &call->b : &call->a;
	struct trunk_sdp_leg *tl = &call->sdp[to == &call->a ? 0 : 1];
	struct trunk_sdp_remote rs;
	uint16_t ports[TRUNK_SDP_MAX_MEDIA] = { 0 };
	const char *addr;
	char why[160], *text;
	sip_payload_t *part;
	bool answer;
	struct trunk_sdp_text *sdp;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!pl)
		return 0;
	/* RFC 4475 3.1.1.11: a multipart's SDP alone, anchored like any. */
	if (!call_is_sdp(ct) &&
	    (part = trunk_sdp_multipart(trunk_scratch_get(call->gw), ct, pl)))
		pl = part, ct = NULL;
	if (!call_is_sdp(ct)) { /* on the scratch home, like an SDP */
		out->pl = sip_payload_dup(trunk_scratch_get(call->gw), pl);
		out->ct = sip_content_type_dup(trunk_scratch_get(call->gw), ct);
		return 0;
	}
	/* One parse: read here, rewritten below (trunk_sdp_open). */
	sdp = trunk_sdp_open(pl->pl_data, pl->pl_len, &rs, why, sizeof(why));
	if (!sdp || !rs.nstreams) {
		trunk_sdp_close(sdp);
		LOGW(SUBSYS, call->ctx, "SDP from leg %c refused: %s",
		     from == &call->a ? 'A' : 'B', why);
		return 488;
	}
	/* Endpoint A on leg A's side, B on leg B's (in its trunk's address
	 * family on the trunk side). */
	if (!call->media && media_session_alloc(call->gw->media,
						call_media_side(call, &call->a),
						call_media_side(call, &call->b),
						call, &call->media)) {
		trunk_sdp_close(sdp);
		return 503;
	}
	call_sdp_remote(call, from, &rs.s[0]);
	ports[0] = media_session_port(call->media, call_media_leg(call, to));
	addr = media_session_addr(call->media, call_media_leg(call, to));
	answer = trunk_sdp_note(&call->sdp[from == &call->a ? 0 : 1], tl, &rs);
	rc = trunk_sdp_rewrite_text(NULL, tl, sdp, addr, strchr(addr, ':'),
				    ports, rs.nstreams, &text);
	trunk_sdp_close(sdp);
	if (rc)
		return 488;
	if (answer && tl->peer_known) { /* codec policy: what was agreed */
		trunk_sdp_negotiated(&rs.s[0], tl);
		call_sdp_remote(call, from, &rs.s[0]);
		rs.s[0] = tl->peer;
		trunk_sdp_negotiated(&rs.s[0], tl);
		call_sdp_remote(call, to, &rs.s[0]);
	}
	out->pl = sip_payload_make(trunk_scratch_get(call->gw), text);
	free(text); /* the SDP stays as sdp[].last */
	out->ct = sip_content_type_make(trunk_scratch_get(call->gw),
					"application/sdp");
	call->a_sdp |= to == &call->a; /* no forward after this (FWD-1) */
	return out->pl && out->ct ? 0 : 503;
}

/* ---------------------------------------------------------------------- */
/* Responses from B to our INVITE                                          */

/* 18x from B: relayed to A, reliably or not (prack.c, RFC 3262). */
static void call_b_provisional(struct trunk_call *call, sip_t const *sip)
{
	int status = sip->sip_status->st_status;

	if (status == 100 || call->state == CALL_CANCELLING)
		return;
	call_prack_b_provisional(call, sip);
}

static void call_b_success(struct trunk_call *call, sip_t const *sip)
{
	struct call_body body;
	struct call_timer_2xx st;
	int rc;

	if (call->b_acked) { /* a retransmitted 2xx: our ACK got lost */
		if (call->ack_to != &call->b)
			call_send_ack(call, &call->b, call->invite_b_cseq,
				      NULL);
		return;
	}
	call->b_acked = true;
	nta_leg_rtag(call->b.leg, sip->sip_to->a_tag);
	nta_leg_client_route(call->b.leg, sip->sip_record_route,
			     sip->sip_contact);
	if (call->state == CALL_CANCELLING) {
		/* 2xx crossed our CANCEL: confirm, then hang up (RFC 3261
		 * 9.1). A already has its 487. */
		call_send_ack(call, &call->b, call->invite_b_cseq, NULL);
		call_send_bye(call, &call->b);
		call_end(call, "answered after CANCEL");
		return;
	}
	if ((rc = call_sdp_cross(call, &call->b, sip->sip_payload,
				 sip->sip_content_type, &body))) {
		call_b_answer_unusable(call, rc); /* ACK, BYE, A's error */
		return;
	}
	if (!body.pl && call_b_2xx_no_sdp(call, &body))
		return; /* no offer or no answer where one was due */
	/* Session timers start on both legs, each as agreed there. */
	call_timer_confirmed(call, sip);
	call_timer_response_parsed(&call->a, &st);
	nta_incoming_treply(
		call->invite_a, sip->sip_status->st_status,
		sip->sip_status->st_phrase,
		SIPTAG_CONTACT(call_leg_contact(call, &call->a)),
		SIPTAG_ALLOW(trunk_agent_allow()),
		SIPTAG_SUPPORTED(trunk_agent_supported()),
		TAG_IF(st.timer, SIPTAG_SESSION_EXPIRES(st.x)),
		TAG_IF(st.require, SIPTAG_REQUIRE(st.require)),
		/* KEEP-3: a keep offer is answered in the reliable 2xx. */
		SIPTAG_VIA(trunk_keep_answer_irq(call->gw, call->invite_a)),
		CALL_BODY_TAGS(&body), TAG_END());
	call_retx_start(call, &call->a, call->invite_a); /* until A's ACK */
	/* With an offer in the 2xx (late offer) the answer comes in A's ACK,
	 * which we relay; otherwise B gets its ACK now. */
	call_ack_or_defer(call, &call->b, call->invite_b_cseq,
			  call->late_offer);
	call_set_state(call, CALL_CONFIRMED, "2xx from B");
	/* Up: no failover, redirect or forward any more. A's INVITE goes
	 * back to nta, which answers a retransmitted INVITE with our 2xx
	 * until its timer frees it. Kept while a reliable 18x or a PRACK of
	 * A's still hangs on it (prack.c), and while nta holds our 2xx back
	 * behind a reliable 18x of its own with SDP that A has not PRACKed
	 * (A requires 100rel, B's 18x was not reliable: RFC 3262 3); given
	 * back then, nta would answer the INVITE 500 instead (test 109). */
	free(call->route);
	call->route = NULL;
	su_free(NULL, call->body); /* A's offer, kept for failover */
	su_free(NULL, call->body_type);
	call->body = NULL;
	call->body_type = NULL;
	if (!call->rel_a && !call->prack_a &&
	    nta_incoming_status(call->invite_a) >= 200) {
		call->a_status = (uint16_t)nta_incoming_status(call->invite_a);
		nta_incoming_destroy(call->invite_a);
		call->invite_a = NULL;
	}
	call_fork_confirmed(call); /* ours to B, after 64*T1 */
}

/*
 * Before any provisional response, a 503, a 408 or a transport error
 * (nta reports both as responses of its own: nta_sip_is_internal()) means
 * this SP-SSE cannot take the call: mark it down and try the next one (STA-1,
 * SIPconnect 17: several SP-SSE addresses with failover).
 */
bool call_b_failover(struct trunk_call *call, int status, sip_t const *sip)
{
	const char *route;
	bool local = !sip || nta_sip_is_internal(sip);
	char why[80];

	if (call->state != CALL_CALLING || !call->route ||
	    call->route_idx >= call->route->nroutes)
		return false;
	if (status != 503 && !(local && (status == 408 || status >= 500)))
		return false;
	route = call->route->routes[call->route_idx];
	snprintf(why, sizeof(why), "INVITE got %d%s", status,
		 local ? " (no answer / transport)" : "");
	trunk_peer_report(call->gw, route, false, why);
	if (++call->route_idx >= call->route->nroutes)
		return false;
	LOGI(SUBSYS, call->ctx, "%s from %s: trying %s", why, route,
	     call->route->routes[call->route_idx]);
	return call_b_send_invite(call) == 0;
}

/*
 * 401/407 from the carrier (REG-4, STA-6): answer with the trunk's
 * credentials, at most twice per call. The carrier's challenge is never
 * relayed to the enterprise, which cannot answer it: refused credentials
 * become 403 toward the caller and an ERROR for the operator.
 */
static bool call_b_challenged(struct trunk_call *call, int status,
			      sip_t const *sip)
{
	if ((status != 401 && status != 407) || !call->trunk[0] ||
	    call->state != CALL_CALLING)
		return false;
	if (call->auth_tries < 2 &&
	    !trunk_auth_challenge(call->gw, call->trunk, sip,
				  call->auth_tries++ == 0) &&
	    !call_b_send_invite(call)) {
		LOGD(SUBSYS, call->ctx, "answered the carrier's %d", status);
		return true;
	}
	LOGE(SUBSYS, call->ctx,
	     "trunk %s refused our credentials (%d): check username and "
	     "password",
	     call->trunk, status);
	nta_incoming_treply(call->invite_a, SIP_403_FORBIDDEN, TAG_END());
	call_end(call, "carrier authentication failed");
	return true;
}

/* A carrier's 3xx with redirect = follow: call its first Contact instead,
 * at most 3 times per call. A 302 to a REGISTER is never followed (REG-14,
 * issue 6); this is INVITE only. */
static bool call_b_redirect(struct trunk_call *call, int status,
			    sip_t const *sip)
{
	const struct config_section *t;
	char target[300];

	if (status < 300 || status >= 400 || !call->trunk[0] ||
	    !sip->sip_contact || call->state != CALL_CALLING || !call->route ||
	    call->redirects >= 3)
		return false;
	t = trunk_config_trunk(call->gw->cfg, call->trunk);
	if (!t || strcmp(config_get_str(t, "redirect"), "follow"))
		return false;
	url_e(target, sizeof(target), sip->sip_contact->m_url);
	target[sizeof(target) - 1] = '\0';
	LOGI(SUBSYS, call->ctx, "%d from the carrier: following to %s", status,
	     target);
	call->redirects++;
	snprintf(call->route->ruri, sizeof(call->route->ruri), "%s", target);
	call->route->nroutes = 0; /* the Contact itself is the next hop */
	call->route_idx = 0;
	return call_b_send_invite(call) == 0;
}

/* The Contact of a 3xx relayed to leg A. Toward a carrier (FWD-2
 * deflection) only the target's user part crosses, at the carrier's
 * domain: never an address of the enterprise. NULL: nothing to send. */
static sip_contact_t *call_3xx_contact(struct trunk_call *call,
				       sip_t const *sip)
{
	const char *user;
	char buf[400];

	if (!sip->sip_contact)
		return NULL;
	if (call->a.side != TRUNK_SIDE_TRUNK)
		return sip_contact_dup(trunk_scratch_get(call->gw),
				       sip->sip_contact);
	user = sip->sip_contact->m_url->url_user;
	if (!user || !call->route || !call->route->a_domain[0])
		return NULL;
	snprintf(buf, sizeof(buf), "<sip:%s@%s%s>", user, call->route->a_domain,
		 dialplan_is_e164(user) ? ";user=phone" : "");
	return sip_contact_make(trunk_scratch_get(call->gw), buf);
}

static int call_route_trunk(struct trunk_gateway *gw, sip_t const *sip,
			    const struct config_section *t,
			    const struct dialplan_result *res,
			    struct call_route *r);
static int call_leg_b_start(struct trunk_call *call, sip_t const *sip,
			    const struct call_route *r);

/* Where a call from trunk t is forwarded after B's final status: the 3xx
 * Contact's user with enterprise_3xx = forward, a busy phone's
 * forward_busy (486, 600), after our no-answer CANCEL the phone's
 * forward_no_answer; else NULL. */
static const char *call_b_forward_target(struct trunk_call *call,
					 const struct config_section *t,
					 int status, sip_t const *sip)
{
	const struct config_section *ph =
		call->route && call->route->b_phone[0]
			? trunk_phone_find(call->gw->cfg, call->route->b_phone)
			: NULL;

	if (call->fwd_no_answer)
		return ph && config_is_set(ph, "forward_no_answer")
			       ? config_get_str(ph, "forward_no_answer")
			       : NULL;
	if (status < 400)
		return sip->sip_contact && !strcmp(config_get_str(
							   t, "enterprise_3xx"),
						   "forward")
			       ? sip->sip_contact->m_url->url_user
			       : NULL;
	return (status == 486 || status == 600) && ph &&
			       config_is_set(ph, "forward_busy")
		       ? config_get_str(ph, "forward_busy")
		       : NULL;
}

/* Forward by new INVITE (FWD-1) on the trunk the call came from: the
 * target of call_b_forward_target() (policy.c: History-Info, cause = B's
 * status or 408 for no answer), leg B and its media made anew from A's
 * INVITE; only while no SDP and no reliable 18x has reached A. */
static bool call_b_replaceable(const struct trunk_call *call)
{
	return (call->state == CALL_CALLING || call->state == CALL_EARLY) &&
	       !call->a_sdp && !call->rel_a && !call->prack_a && !call->prack_b;
}

static bool call_b_forward(struct trunk_call *call, int status,
			   sip_t const *sip)
{
	const struct config_section *t =
		call->a.side == TRUNK_SIDE_TRUNK && call->route
			? trunk_config_trunk(call->gw->cfg, call->a_trunk)
			: NULL;
	const char *user =
		t ? call_b_forward_target(call, t, status, sip) : NULL;
	struct dialplan_result res = { .action = DIALPLAN_ACTION_TRUNK };
	struct call_route r = { .fwd_cause = call->fwd_no_answer
						     ? 408
						     : (uint16_t)status };
	msg_t *msg;
	int rc;

	if (!user || !call_b_replaceable(call) ||
	    strlen(user) >= sizeof(res.number))
		return false;
	snprintf(res.number, sizeof(res.number), "%s", user);
	snprintf(r.a_trunk, sizeof(r.a_trunk), "%s", call->a_trunk);
	snprintf(r.a_domain, sizeof(r.a_domain), "%s", call->route->a_domain);
	msg = nta_incoming_getrequest(call->invite_a);
	rc = msg ? call_route_trunk(call->gw, sip_object(msg), t, &res, &r)
		 : 500;
	if (!rc) {
		call_b_invite_drop(call);
		call_fork_free(call);
		nta_leg_destroy(call->b.leg);
		media_session_free(call->media);
		call->media = NULL;
		call->b.contact = NULL;
		call->route_idx = call->auth_tries = call->b_rseq = 0;
		call->b_heard = call->fwd_no_answer = false;
		rc = call_leg_b_start(call, sip_object(msg), &r);
		if (rc) {
			nta_incoming_treply(call->invite_a,
					    SIP_500_INTERNAL_SERVER_ERROR,
					    TAG_END());
			call_end(call, "cannot forward");
		}
	}
	msg_destroy(msg);
	return rc == 0 || call->state == CALL_TERMINATED;
}

static void call_b_failure(struct trunk_call *call, sip_t const *sip)
{
	int status = sip->sip_status->st_status;
	sip_contact_t *m = NULL;
	bool mapped;

	if (call_b_failover(call, status, sip))
		return;
	if (call_b_challenged(call, status, sip))
		return;
	if (status == 422 && call->state == CALL_CALLING &&
	    call_timer_b_422(call, sip))
		return;
	if (call_b_redirect(call, status, sip) ||
	    call_b_forward(call, status, sip))
		return; /* a 3xx followed, or a forward by new INVITE */
	if (call->fwd_no_answer && status == 487)
		status = 480; /* our no-answer CANCEL, yet no forward */
	if (status < 400) {
		m = call_3xx_contact(call, sip);
		if (!m) /* a redirect without a usable target */
			status = 480;
	}
	/* The next hop's 503 (every SP-SSE tried) is not relayed: its
	 * Retry-After would stop all the caller's calls to us (RFC 3261 16.7
	 * step 6, 21.5.4; docs/calls.md). */
	if ((mapped = status == 503 && !nta_sip_is_internal(sip)))
		status = 500;
	if (call->state != CALL_CANCELLING)
		nta_incoming_treply(
			call->invite_a, status,
			mapped		     ? sip_500_Internal_server_error
			: m || status >= 400 ? sip->sip_status->st_phrase
					     : NULL,
			TAG_IF(m, SIPTAG_CONTACT(m)),
			TAG_IF(!mapped && sip->sip_retry_after,
			       SIPTAG_RETRY_AFTER(sip->sip_retry_after)),
			TAG_END());
	call_end(call, sip->sip_status->st_phrase);
}

/* REG-11: 403, Timer B or a transport error toward a registration-mode
 * trunk: its registration is presumed lost (registration.c renews it). */
static void call_b_reg_check(struct trunk_call *call, int status,
			     sip_t const *sip)
{
	bool local = !sip || nta_sip_is_internal(sip);

	if (call->trunk[0] &&
	    (status == 403 || (local && (status == 408 || status == 503))))
		trunk_reg_presumed_lost(call->gw, call->trunk,
					status == 403 ? "INVITE got 403"
						      : "INVITE failed "
							"(Timer B/transport)");
}

/* B's INVITE ended without a response: nta's own failure, or its TLS
 * connection failed (tls_watch.c, as 503). */
static void call_b_lost(struct trunk_call *call, int status)
{
	if (call_b_failover(call, status, NULL))
		return;
	if (call->state != CALL_CANCELLING)
		nta_incoming_treply(call->invite_a, status, NULL, TAG_END());
	call_end(call, "no response from B");
}

static void call_b_tls_failed(void *arg, int err)
{
	struct trunk_call *call = arg;

	(void)err;
	if (call->state == CALL_TERMINATED)
		return;
	call_b_reg_check(call, 503, NULL);
	call_b_lost(call, 503);
}

static int call_b_invite_response(struct trunk_call *call, nta_outgoing_t *orq,
				  sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status
					    : nta_outgoing_status(orq);

	if (call->state == CALL_TERMINATED) {
		/* A 2xx that crossed what ended the call (a BYE, a hangup):
		 * ACKed and BYEd all the same (RFC 3261 13.2.2.4, 15). */
		if (sip && status >= 200 && status < 300 && !call->b_acked &&
		    orq == call->invite_b &&
		    call_b_invite_leave(call, orq, sip))
			call->invite_b = NULL;
		return 0;
	}
	call_b_reg_check(call, status, sip);
	if (!sip || !sip->sip_status) { /* internal failure without a message */
		if (status >= 200)
			call_b_lost(call, status);
		return 0;
	}
	/* A response from the SP-SSE itself proves it is alive. */
	if (!nta_sip_is_internal(sip))
		call_sse_disarm(call);
	if (!call->b_heard && !nta_sip_is_internal(sip) && status != 503 &&
	    call->route && call->route_idx < call->route->nroutes) {
		call->b_heard = true;
		trunk_peer_report(call->gw,
				  call->route->routes[call->route_idx], true,
				  "answered an INVITE");
	}
	if (call_fork_b_response(call, sip)) /* another fork's dialog */
		return 0;
	if (status < 200)
		call_b_provisional(call, sip);
	else if (status < 300) {
		/* first 2xx only: KEEP-4 */
		call_keep_start(call, &call->b, orq, sip);
		call_b_success(call, sip);
	} else
		call_b_failure(call, sip);
	return 0;
}

/* CANCEL (or ACK of a non-2xx) for A's INVITE. nta answers the CANCEL
 * with 200 and the INVITE with 487 itself (NTATAG_CANCEL_487). */
static int call_a_cancel(struct trunk_call *call, nta_incoming_t *irq,
			 sip_t const *sip)
{
	(void)irq;
	/* No request: A never PRACKed our reliable 18x (RFC 3262 3); nta
	 * fails A's INVITE itself, and B's must go too. */
	if (!sip &&
	    (call->state == CALL_CALLING || call->state == CALL_EARLY)) {
		call_set_state(call, CALL_CANCELLING, "no PRACK from A");
		nta_outgoing_cancel(call->invite_b);
		return 0;
	}
	if (!sip || sip->sip_request->rq_method != sip_method_cancel)
		return 0;
	if (call->state == CALL_CALLING || call->state == CALL_EARLY) {
		call_set_state(call, CALL_CANCELLING, "CANCEL from A");
		nta_outgoing_cancel(call->invite_b);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Routing a new INVITE                                                    */

/* The trunk's SP-SSEs: those up or not yet known first, then those down
 * (a down peer may be back; trying it beats failing the call). */
static void call_route_peers(struct trunk_gateway *gw, const char *trunk,
			     struct call_route *r)
{
	const struct trunk_peer *p;
	struct trunk_peer_info pi;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (p = NULL; (p = trunk_peer_next(gw, trunk, p));) {
			trunk_peer_info(p, &pi);
			if ((pi.state == TRUNK_PEER_DOWN) != (pass == 1) ||
			    r->nroutes == CALL_MAX_ROUTES)
				continue;
			snprintf(r->routes[r->nroutes++], sizeof(r->routes[0]),
				 "%s", pi.route);
		}
	}
}

/* A Static-mode trunk by domain whose first DNS lookup has no answer yet
 * (peer_dns.c) has no SP-SSE to send to: refused with 503, a Retry-After
 * of about the lookup's remaining time (at most 10 s: peer_dns.c) and a
 * Warning naming the lookup, for the PBX's route advance and whoever
 * reads its trace. Never a long
 * Retry-After: it would stop the PBX's calls to every trunk (RFC 3261
 * 21.5.4). Emergency calls go anyway, to nta's own RFC 3263 lookup. */
static bool call_route_dns_pending(struct trunk_gateway *gw,
				   struct call_route *r)
{
	struct trunk_dns_info di;

	if (!trunk_dns_info(gw, r->trunk, &di) || !di.waiting || r->emergency)
		return false;
	snprintf(r->warning, sizeof(r->warning),
		 "399 trunkd \"trunk %s: DNS lookup of %s pending (RFC "
		 "3263), no SP-SSE known yet\"",
		 r->trunk, di.domain);
	r->retry_after = di.retry_after;
	if (!r->dry_run)
		trunk_dns_refused(gw, r->trunk);
	return true;
}

/* Calls up on trunk t, in either direction. */
static unsigned call_trunk_load(struct trunk_gateway *gw, const char *trunk)
{
	const struct trunk_call *c;
	unsigned n = 0;

	for (c = gw->calls; c; c = c->next)
		if (c->state != CALL_TERMINATED &&
		    (!strcmp(c->trunk, trunk) || !strcmp(c->a_trunk, trunk)))
			n++;
	return n;
}

/* Is trunk t at its max_calls? (0: no limit.) */
static bool call_trunk_full(struct trunk_gateway *gw,
			    const struct config_section *t)
{
	long long max = config_get_int(t, "max_calls");

	if (!max || call_trunk_load(gw, config_section_name(t)) < max)
		return false;
	LOGW(SUBSYS, config_section_name(t), "max_calls (%lld) reached: 503",
	     max);
	return true;
}

/* Enterprise -> trunk t, or a DID forwarded back to a trunk (FWD-1):
 * R-URI, To, From and identity headers by policy.c from the dial plan's
 * decision (res, NULL without a plan), leg A's INVITE and the config. */
static int call_route_trunk(struct trunk_gateway *gw, sip_t const *sip,
			    const struct config_section *t,
			    const struct dialplan_result *res,
			    struct call_route *r)
{
	struct trunk_policy_in in = { .cfg = gw->cfg,
				      .peer = r->a_peer,
				      .trunk = t,
				      .forward = r->a_trunk[0] != '\0',
				      .cause = r->fwd_cause,
				      .res = res,
				      .dry_run = r->dry_run,
				      .sip = sip };
	struct trunk_policy_out out;

	if (trunk_policy_outbound(&in, &out))
		return 484; /* Address Incomplete: no usable number */
	/* EM-4: the gateway's own limits never stop an emergency call. */
	if (!out.emergency && call_trunk_full(gw, t))
		return 503;
	r->to = TRUNK_SIDE_TRUNK;
	r->emergency = out.emergency;
	outbuf_copy(r->trunk, sizeof(r->trunk), config_section_name(t));
	if (call_route_dns_pending(gw, r))
		return 503;
	call_route_peers(gw, r->trunk, r);
	if (!r->nroutes && trunk_tls_trunk_uses_tls(t)) /* TLS-8 */
		trunk_tls_route(t, NULL, r->routes[r->nroutes++],
				sizeof(r->routes[0]));
	outbuf_copy(r->ruri, sizeof(r->ruri), out.ruri);
	outbuf_copy(r->from, sizeof(r->from), out.from);
	outbuf_copy(r->headers, sizeof(r->headers), out.headers);
	r->location = out.location;
	outbuf_copy(r->loc_cid, sizeof(r->loc_cid), out.location_cid);
	outbuf_copy(r->loc_entity, sizeof(r->loc_entity), out.location_entity);
	return 0;
}

/* Enterprise -> trunk: the dial plan decides when there is one (routes,
 * numbers, identity); else the first trunk gets the dialled digits. */
static int call_route_out(struct trunk_gateway *gw, sip_t const *sip,
			  const char *dialled, const char *caller,
			  const char *context, struct call_route *r,
			  struct dialplan_result *res)
{
	struct dialplan_query q = {
		.direction = DIALPLAN_OUTBOUND,
		.context = context,
		.caller = caller,
		.dialled = dialled,
	};
	const struct config_section *t = NULL, *ph;
	size_t i;

	if (!gw->plan)
		return (t = trunk_config_trunk(gw->cfg, NULL))
			       ? call_route_trunk(gw, sip, t, NULL, r)
			       : 404;
	if (!q.dialled)
		return 404;
	if (dialplan_match(gw->plan, &q, res)) {
		LOGW(SUBSYS, NULL, "dial plan has no context %s: 404",
		     q.context ? q.context : "(none)");
		return 404;
	}
	switch (res->action) {
	case DIALPLAN_ACTION_REJECT:
		return res->code;
	case DIALPLAN_ACTION_EXTENSION:
	case DIALPLAN_ACTION_HUNT:
		ph = trunk_phone_find(gw->cfg,
				      res->action == DIALPLAN_ACTION_HUNT
					      ? res->targets[0]
					      : res->number);
		return ph ? call_route_phone(gw, ph, r) : 404;
	case DIALPLAN_ACTION_TRUNK:
		/* Fallback order: the first trunk the config has. */
		for (i = 0; i < res->n_targets && !t; i++)
			t = trunk_config_trunk(gw->cfg, res->targets[i]);
		return t ? call_route_trunk(gw, sip, t, res, r) : 503;
	}
	return 500;
}

/* Trunk -> enterprise without a dial plan: to the first PBX, on the
 * R-URI user (ID-2). */
static int call_route_pbx(const struct config *cfg, const char *user,
			  struct call_route *r)
{
	const struct config_section *p = config_section_next(cfg, "pbx", NULL);
	struct config_addr a;
	char hp[300];

	if (!p || !user || !config_get_addr(p, "address", &a))
		return 404;
	r->to = TRUNK_SIDE_ENTERPRISE;
	r->b_peer = p;
	trunk_addr_hostport(&a, hp, sizeof(hp));
	snprintf(r->ruri, sizeof(r->ruri), "sip:%s@%s;transport=%s", user, hp,
		 config_get_str(p, "transport"));
	return 0;
}

/*
 * Trunk -> enterprise: the dial plan maps the DID (the R-URI user, never
 * To: ID-2, REG-13) to an extension or hunt list; an extension that is a
 * registered phone rings it, any other goes to the PBX.
 */
static int call_route_in(struct trunk_gateway *gw, sip_t const *sip,
			 const char *dialled, const char *context,
			 struct call_route *r, struct dialplan_result *res)
{
	struct dialplan_query q = {
		.direction = DIALPLAN_INBOUND,
		.context = context,
		.caller = trunk_policy_asserted_number(sip),
		.dialled = dialled,
	};
	const struct config_section *ph, *t = NULL;
	const char *ext, *user = sip->sip_request->rq_url->url_user;

	if (!user) /* our Contact: the trunk's main number (STA-3) */
		user = dialled;
	if ((ph = trunk_phone_find(gw->cfg, user)))
		return call_route_phone(gw, ph, r);
	if (!gw->plan)
		return call_route_pbx(gw->cfg, user, r);
	if (!q.dialled || dialplan_match(gw->plan, &q, res))
		return 404;
	switch (res->action) {
	case DIALPLAN_ACTION_REJECT:
		return res->code;
	case DIALPLAN_ACTION_EXTENSION:
	case DIALPLAN_ACTION_HUNT:
		ext = res->action == DIALPLAN_ACTION_HUNT ? res->targets[0]
							  : res->number;
		ph = trunk_phone_find(gw->cfg, ext);
		return ph ? call_route_phone(gw, ph, r)
			  : call_route_pbx(gw->cfg, ext, r);
	case DIALPLAN_ACTION_TRUNK: /* a DID forwarded out (FWD-1) */
		for (size_t i = 0; i < res->n_targets && !t; i++)
			t = trunk_config_trunk(gw->cfg, res->targets[i]);
		return t ? call_route_trunk(gw, sip, t, res, r) : 503;
	}
	return 500;
}

/* A registered phone as the target: its most recent binding. 480 when
 * it is not registered (RFC 3261 21.4.18). */
int call_route_enterprise(struct trunk_gateway *gw, const char *user,
			  struct call_route *r)
{
	const struct config_section *ph = trunk_phone_find(gw->cfg, user);

	memset(r, 0, sizeof(*r));
	return ph ? call_route_phone(gw, ph, r)
		  : call_route_pbx(gw->cfg, user, r);
}

int call_route_transfer(struct trunk_gateway *gw,
			const struct config_section *who, sip_t const *sip,
			bool dry_run, struct call_route *r)
{
	const char *user = sip->sip_request->rq_url->url_user;
	const struct config_section *t;
	struct dialplan_result res;
	int status;

	if (!user)
		return 400;
	if (trunk_phone_find(gw->cfg, user))
		return call_route_enterprise(gw, user, r);
	if (!gw->plan) {
		if (user[0] != '+' && config_section_next(gw->cfg, "pbx", NULL))
			return call_route_enterprise(gw, user, r);
		memset(r, 0, sizeof(*r));
		r->a_peer = who;
		r->dry_run = dry_run;
		t = trunk_config_trunk(gw->cfg, NULL);
		return t ? call_route_trunk(gw, sip, t, NULL, r) : 404;
	}
	status = call_route_decide(gw, TRUNK_SIDE_ENTERPRISE, who, sip, NULL,
				   dry_run, r, &res);
	/* An extension of the plan that no phone has: the PBX's user. */
	if (status == 404 && res.context &&
	    (res.action == DIALPLAN_ACTION_EXTENSION ||
	     res.action == DIALPLAN_ACTION_HUNT))
		status = call_route_enterprise(
			gw,
			res.action == DIALPLAN_ACTION_HUNT ? res.targets[0]
							   : res.number,
			r);
	return status;
}

void call_who_name(const struct config_section *sec, char *buf, size_t len)
{
	if (sec)
		snprintf(buf, len, "%s:%s", config_section_kind(sec),
			 config_section_name(sec));
	else if (len)
		buf[0] = '\0';
}

const struct config_section *call_route_b_who(struct trunk_gateway *gw,
					      const struct call_route *r)
{
	return r->b_peer       ? r->b_peer
	       : r->b_phone[0] ? trunk_phone_find(gw->cfg, r->b_phone)
			       : NULL;
}

int call_who_set(struct trunk_call *call, int idx,
		 const struct config_section *sec)
{
	char buf[160];

	call_who_name(sec, buf, sizeof(buf));
	return call_str_set(&call->who[idx], buf);
}

const struct config_section *call_leg_who(const struct trunk_call *call,
					  int idx)
{
	const char *w = call->who[idx], *colon = w ? strchr(w, ':') : NULL;
	char kind[16];

	if (!colon || (size_t)(colon - w) >= sizeof(kind))
		return NULL;
	snprintf(kind, sizeof(kind), "%.*s", (int)(colon - w), w);
	return config_section_get(call->gw->cfg, kind, colon + 1);
}

static int call_route_phone(struct trunk_gateway *gw,
			    const struct config_section *ph,
			    struct call_route *r)
{
	const struct trunk_binding *b =
		trunk_binding_next(gw, config_section_name(ph), NULL);
	struct trunk_binding_info bi;

	snprintf(r->b_phone, sizeof(r->b_phone), "%s", config_section_name(ph));
	if (!b)
		return 480;
	trunk_binding_info(b, &bi);
	r->to = TRUNK_SIDE_ENTERPRISE;
	r->b_peer = ph;
	snprintf(r->ruri, sizeof(r->ruri), "%s", bi.contact);
	return 0;
}

/*
 * Who may call from the enterprise side: a PBX by its source address
 * (acl; with a username, then digest too), or a phone that proves its
 * identity with digest (407, 403; answers irq: TRUNK_CALL_ANSWERED).
 */
#define TRUNK_CALL_ANSWERED (-1)
static int call_admit_enterprise(struct trunk_gateway *gw, nta_incoming_t *irq,
				 sip_t const *sip, const char *ip,
				 const struct config_section **who)
{
	tport_t *tp = nta_incoming_transport(
		trunk_agent_nta(gw->agents[TRUNK_SIDE_ENTERPRISE]), irq, NULL);
	const char *proto = trunk_tport_proto(tp);
	bool by_addr;

	tport_decref(&tp);
	*who = trunk_find_pbx(gw->cfg, ip, proto, &by_addr);
	if (*who)
		return trunk_registrar_auth_pbx(gw, irq, sip, *who)
			       ? 0
			       : TRUNK_CALL_ANSWERED;
	/* Not a PBX's: a phone proves itself by digest, anyone else gets
	 * 403 (a PBX's address over a transport not in its
	 * acl_transports too: the log says which). */
	if (!trunk_phone_find(gw->cfg, sip->sip_from->a_url->url_user)) {
		if (by_addr)
			LOGW(SUBSYS, "enterprise",
			     "INVITE from %s over %s: no [pbx] takes that "
			     "transport from it (acl_transports): 403",
			     ip, proto ? proto : "an unknown transport");
		else
			LOGW(SUBSYS, "enterprise",
			     "INVITE from unknown source %s: 403", ip);
		return 403;
	}
	*who = trunk_registrar_auth(gw, irq, sip);
	return *who ? 0 : TRUNK_CALL_ANSWERED;
}

/* The dial-plan context of a caller: its own, else [dialplan]
 * default_context when set, else NULL (the plan picks the context named
 * after the direction). */
static const char *call_context(struct trunk_gateway *gw,
				const struct config_section *who)
{
	const struct config_section *d =
		config_section_get(gw->cfg, "dialplan", NULL);

	if (who && config_is_set(who, "context"))
		return config_get_str(who, "context");
	return config_is_set(d, "default_context")
		       ? config_get_str(d, "default_context")
		       : NULL;
}

/* A phone with forward_always: its calls from trunk t leave again on t
 * at once, by new INVITE (FWD-1, cause 302), registered or not. */
static int call_route_forward_always(struct trunk_gateway *gw, sip_t const *sip,
				     const struct config_section *t,
				     struct call_route *r, int status)
{
	const struct config_section *ph = trunk_phone_find(gw->cfg, r->b_phone);
	struct dialplan_result res = { .action = DIALPLAN_ACTION_TRUNK };

	if (!ph || !config_is_set(ph, "forward_always"))
		return status;
	snprintf(res.number, sizeof(res.number), "%s",
		 config_get_str(ph, "forward_always"));
	r->fwd_cause = 302;
	r->b_phone[0] = '\0';
	return call_route_trunk(gw, sip, t, &res, r);
}

/* Our host on SIDE, as the other end sees it in our From: the agent's
 * Contact, else (no agent: trunkd --dialplan-test) the first listen
 * address of the side's configuration. */
static void call_own_host(struct trunk_gateway *gw, enum trunk_side side,
			  char *buf, size_t len)
{
	const struct config_section *g =
		config_section_get(gw->cfg, "global", NULL);
	sip_contact_t const *m =
		gw->agents[side]
			? nta_agent_contact(trunk_agent_nta(gw->agents[side]))
			: NULL;
	const char *const *addrs;
	struct config_addr a = { { 0 } };
	char key[64];

	snprintf(buf, len, "invalid");
	if (m && m->m_url->url_host) {
		snprintf(buf, len, "%s", m->m_url->url_host);
		return;
	}
	snprintf(key, sizeof(key), "%s_listen", trunk_side_names[side]);
	if (config_get_list(g, key, &addrs) && !config_addr_parse(addrs[0], &a))
		snprintf(buf, len, strchr(a.host, ':') ? "[%s]" : "%s", a.host);
}

int call_route_decide(struct trunk_gateway *gw, enum trunk_side side,
		      const struct config_section *who, sip_t const *sip,
		      const char *context, bool dry_run, struct call_route *r,
		      struct dialplan_result *res)
{
	const char *user = sip->sip_request->rq_url->url_user;
	const struct config_section *ph;
	const char *caller, *dialled = user;
	char buf[3 * DIALPLAN_DIGITS_MAX + 1], host[300];
	int status;

	memset(res, 0, sizeof(*res));
	memset(r, 0, sizeof(*r));
	r->dry_run = dry_run;
	if (side == TRUNK_SIDE_ENTERPRISE)
		r->a_peer = who;
	if (side == TRUNK_SIDE_TRUNK && who) {
		snprintf(r->a_trunk, sizeof(r->a_trunk), "%s",
			 config_section_name(who));
		if (config_is_set(who, "domain"))
			snprintf(r->a_domain, sizeof(r->a_domain), "%s",
				 config_get_str(who, "domain"));
	}
	/* The plan sees the dialled string unescaped (a phone's "%23" is
	 * '#', "%20" a blank, removed as a separator). */
	if (user && strlen(user) < sizeof(buf))
		dialled = url_unescape(buf, user);
	if (!context)
		context = call_context(gw, who);
	if (side == TRUNK_SIDE_TRUNK && !user) { /* STA-3: our Contact */
		call_own_host(gw, side, host, sizeof(host));
		dialled = trunk_policy_contact_target(
			who, sip->sip_request->rq_url, host, buf, sizeof(buf));
	}
	/* An extension (or, from the trunk, a DID equal to one) reaches the
	 * phone: routing is on the R-URI, never on To (ID-2). */
	if (side == TRUNK_SIDE_TRUNK &&
	    !trunk_policy_inbound_epi(who, dialled)) {
		status = 404; /* STA-3: not a DID of this trunk */
	} else if (side == TRUNK_SIDE_TRUNK) {
		status = call_route_in(gw, sip, dialled, context, r, res);
		if ((!status || status == 480) && r->b_phone[0])
			status = call_route_forward_always(gw, sip, who, r,
							   status);
		if (!status && r->to == TRUNK_SIDE_ENTERPRISE)
			trunk_policy_inbound(r->b_peer, sip, r->headers,
					     sizeof(r->headers));
	} else if ((ph = trunk_phone_find(gw->cfg, user))) {
		status = call_route_phone(gw, ph, r);
	} else {
		/* A phone's identity is its extension; a PBX's caller its
		 * From. */
		caller = who && !strcmp(config_section_kind(who), "phone")
				 ? config_get_str(who, "extension")
				 : sip->sip_from->a_url->url_user;
		status = call_route_out(gw, sip, dialled, caller, context, r,
					res);
	}
	/* Toward the enterprise, B's From is A's caller at our host (ID-3,
	 * ID-4, ID-5: policy.c). */
	if (!status && r->to == TRUNK_SIDE_ENTERPRISE && !r->from[0]) {
		call_own_host(gw, r->to, host, sizeof(host));
		trunk_policy_enterprise_from(sip, side == TRUNK_SIDE_TRUNK,
					     host, r->from, sizeof(r->from));
	}
	return status;
}

/* Decide where an INVITE goes: 0, a SIP status if nowhere, or
 * TRUNK_CALL_ANSWERED when irq was answered (digest challenge).
 * *admitted: its sender passed (a status then is a refusal of the call,
 * with *r filled, not of the sender). */
static int call_route(struct trunk_gateway *gw, enum trunk_side side,
		      nta_incoming_t *irq, sip_t const *sip,
		      struct call_route *r, bool *admitted)
{
	const struct config_section *who = NULL;
	struct dialplan_result res;
	char ip[64];
	int status;

	r->warning[0] = '\0';
	if (!trunk_source_ip(irq, ip, sizeof(ip)))
		return 403;
	if (side == TRUNK_SIDE_ENTERPRISE)
		status = call_admit_enterprise(gw, irq, sip, ip, &who);
	else if (!(who = trunk_find_trunk_src(gw, ip))) {
		LOGW(SUBSYS, "trunk", "INVITE from unknown source %s: 403", ip);
		status = 403;
	} else
		status = 0;
	if (status)
		return status;
	*admitted = true;
	if (side == TRUNK_SIDE_TRUNK && call_trunk_full(gw, who)) {
		memset(r, 0, sizeof(*r));
		snprintf(r->a_trunk, sizeof(r->a_trunk), "%s",
			 config_section_name(who));
		return 503;
	}
	return call_route_decide(gw, side, who, sip, NULL, false, r, &res);
}

/* ---------------------------------------------------------------------- */
/* Setting up the two legs                                                 */

static int call_leg_a_create(struct trunk_call *call, enum trunk_side side,
			     nta_incoming_t *irq, sip_t const *sip)
{
	nta_agent_t *nta = trunk_agent_nta(call->gw->agents[side]);
	const char *proto = sip->sip_via ? sip->sip_via->v_protocol : NULL;

	call->a.call = call;
	call->a.side = side;
	/* "SIP/2.0/TCP" -> "tcp": answer on the transport A used. */
	call_transport_set(&call->a, proto ? strrchr(proto, '/') : NULL);
	call->a.leg = CALL_LEG_TCREATE(
		nta, call_leg_request, &call->a,
		SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_FROM(sip->sip_to),
		SIPTAG_TO(sip->sip_from),
		NTATAG_REMOTE_CSEQ(sip->sip_cseq->cs_seq), TAG_END());
	if (!call->a.leg || !nta_leg_tag(call->a.leg, NULL))
		return ENOMEM;
	nta_leg_server_route(call->a.leg, sip->sip_record_route,
			     sip->sip_contact);
	/* A carrier's own TLS connection: kept for our requests in this
	 * dialog (call_leg_tport()). */
	if (side == TRUNK_SIDE_TRUNK && !strcmp(call->a.transport, "tls"))
		call->a.tport = nta_incoming_transport(nta, irq, NULL);
	nta_incoming_tag(irq, nta_leg_get_tag(call->a.leg));
	if (call_str_set(&call->call_id[0], sip->sip_call_id->i_id))
		return ENOMEM;
	nta_incoming_bind(irq, call_a_cancel, call);
	call->invite_a = irq;
	return 0;
}

/* (Re)send our INVITE to the next SP-SSE in call->route (failover). */
int call_b_send_invite(struct trunk_call *call)
{
	const char *route;

	msg_header_t *auth = call_auth(call, &call->b, "INVITE", call->body);
	const char *via = call_keep_via(call, &call->b); /* KEEP-1 */
	struct call_invite_b_headers h;
	sip_max_forwards_t mf[1];

	if (!call->route)
		return EINVAL;
	route = call->route_idx < call->route->nroutes
			? call->route->routes[call->route_idx]
			: NULL;
	/* NTATAG_MAX_FORWARDS sets nta's default, not this request's. */
	sip_max_forwards_init(mf);
	mf->mf_count = call->max_forwards;
	call_timer_invite_b_headers(call, &h);

	call_b_invite_drop(call); /* the SP-SSE before (failover) */
	call->invite_b = nta_outgoing_tcreate(
		call->b.leg, call_b_invite_response, call,
		route ? URL_STRING_MAKE(route) : NULL, SIP_METHOD_INVITE,
		URL_STRING_MAKE(call->route->ruri),
		SIPTAG_CONTACT(call_leg_contact(call, &call->b)),
		TAG_IF(via, NTATAG_USER_VIA(1)),
		TAG_IF(via, SIPTAG_VIA_STR(via)), SIPTAG_MAX_FORWARDS(mf),
		/* Identity and passed headers (policy.c: ID-8..ID-11). */
		TAG_IF(call->route->headers[0],
		       SIPTAG_HEADER_STR(call->route->headers)),
		SIPTAG_SUPPORTED(h.supported), SIPTAG_ALLOW(h.allow),
		TAG_IF(h.timer, SIPTAG_SESSION_EXPIRES(h.x)),
		TAG_IF(h.timer, SIPTAG_MIN_SE(h.min)),
		SIPTAG_HEADER((sip_header_t *)auth),
		TAG_IF(call->body, SIPTAG_CONTENT_TYPE(call->body_type)),
		TAG_IF(call->body, SIPTAG_PAYLOAD(call->body)), TAG_END());
	if (!call->invite_b)
		return EIO;
	trunk_tls_watch_trunk(call->gw, call->invite_b, call->ctx, call->trunk,
			      call_b_tls_failed, call);
	call_hop_set(call, &call->b, call->trunk, route);
	call->invite_b_cseq = nta_outgoing_cseq(call->invite_b);
	call_sse_arm(call); /* invite_timeout: call_sse.c */
	return 0;
}

/* A phone's forward_no_answer timer fired (FWD-1): CANCEL it while
 * leg B can still be replaced; its 487 then forwards the call. */
static void call_fwd_timeout(su_root_magic_t *magic, su_timer_t *t,
			     struct trunk_call *call)
{
	(void)magic;
	(void)t;
	if (!call_b_replaceable(call))
		return;
	LOGI(SUBSYS, call->ctx, "no answer from %s: forwarding",
	     call->route->b_phone);
	call->fwd_no_answer = true;
	nta_outgoing_cancel(call->invite_b);
}

/* Arm the no-answer timer of a call from a trunk to a phone with
 * forward_no_answer. */
static void call_fwd_arm(struct trunk_call *call)
{
	const struct config_section *ph =
		call->a.side == TRUNK_SIDE_TRUNK && call->route &&
				call->route->b_phone[0]
			? trunk_phone_find(call->gw->cfg, call->route->b_phone)
			: NULL;

	if (!ph || !config_is_set(ph, "forward_no_answer") || call->fwd_timer)
		return;
	call->fwd_timer = su_timer_create(
		su_root_task(call->gw->root),
		(su_duration_t)config_get_int(ph, "forward_no_answer_after"));
	if (call->fwd_timer)
		su_timer_set(call->fwd_timer, call_fwd_timeout, call);
}

static int call_leg_b_start(struct trunk_call *call, sip_t const *sip,
			    const struct call_route *r)
{
	nta_agent_t *nta = trunk_agent_nta(call->gw->agents[r->to]);
	sip_call_id_t *cid =
		sip_call_id_create(trunk_scratch_get(call->gw), NULL);
	char from[600], to[600];
	struct call_body body;
	int rc;

	if (!cid)
		return ENOMEM;
	if (!call->route && !(call->route = malloc(sizeof(*call->route))))
		return ENOMEM;
	*call->route = *r;
	if (call_str_set(&call->trunk, r->trunk) ||
	    call_str_set(&call->a_trunk, r->a_trunk))
		return ENOMEM;
	call->emergency = r->emergency;
	if (call_str_set(&call->target, r->ruri))
		return ENOMEM;
	call->max_forwards =
		(sip->sip_max_forwards ? sip->sip_max_forwards->mf_count : 70) -
		1;
	call->b.call = call;
	call->b.side = r->to;
	if (call_who_set(call, 1, call_route_b_who(call->gw, r)))
		return ENOMEM;
	call->sdp[0].codecs = call->sdp[1].codecs = trunk_sdp_trunk_codecs(
		call->gw->cfg, r->trunk[0] ? r->trunk : r->a_trunk);
	/* A's offer, anchored: kept for failover and redirects. */
	rc = call_sdp_cross(call, &call->a, sip->sip_payload,
			    sip->sip_content_type, &body);
	/* EM-5, EM-6: the PIDF-LO joins the SDP in a multipart body. */
	if (!rc && r->location && r->loc_cid[0]) /* by value */
		rc = trunk_location_wrap(trunk_scratch_get(call->gw),
					 r->location, r->loc_entity, r->loc_cid,
					 &body.pl, &body.ct)
			     ? 503
			     : 0;
	if (rc)
		return rc;
	/* Off the scratch home: it outlives this callback. */
	su_free(NULL, call->body); /* a leg B before (forward) */
	su_free(NULL, call->body_type);
	call->body = sip_payload_dup(NULL, body.pl);
	call->body_type = sip_content_type_dup(NULL, body.ct);
	if (body.pl && (!call->body || !call->body_type))
		return ENOMEM;
	/* The next hop's transport: in the route, else the R-URI. */
	call_transport_set(&call->b, strstr(r->nroutes ? r->routes[0] : r->ruri,
					    "transport="));
	outbuf_copy(from, sizeof(from), r->from);
	snprintf(to, sizeof(to), "<%s>", r->ruri); /* ID-7: To = R-URI */
	/* Who each side sees at the other end (a transfer target, too). */
	if (call_str_set(&call->party[0], to) ||
	    call_str_set(&call->party[1], from) ||
	    call_str_set(&call->call_id[1], cid->i_id)) /* only now: its CDR */
		return ENOMEM;
	call->b.leg = CALL_LEG_TCREATE(
		nta, call_leg_request, &call->b, SIPTAG_CALL_ID(cid),
		SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
	if (!call->b.leg || !nta_leg_tag(call->b.leg, NULL))
		return ENOMEM;
	call->late_offer = !sip->sip_payload;
	call_fwd_arm(call);
	return call_b_send_invite(call);
}

int trunk_call_invite(struct trunk_gateway *gw, enum trunk_side side,
		      nta_incoming_t *irq, sip_t const *sip)
{
	struct trunk_call *call;
	struct call_route r;
	struct trunk_st st;
	bool admitted = false;
	int status;

	if (gw->draining)
		return 503;
	if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0)
		return 483;
	status = call_route(gw, side, irq, sip, &r, &admitted);
	if (status == TRUNK_CALL_ANSWERED)
		return 0;
	if (status && admitted)
		call_cdr_refused(gw, side, sip, &r, status);
	if (status == 503 && r.warning[0]) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%u", r.retry_after);
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
				    SIPTAG_RETRY_AFTER_STR(ra),
				    SIPTAG_WARNING_STR(r.warning), TAG_END());
		return 0;
	}
	if (status)
		return status;
	/* RFC 4028: a Session-Expires below our Min-SE gets 422. */
	if (call_timer_invite_a(gw, irq, sip, &st))
		return 0;
	call = calloc(1, sizeof(*call));
	if (!call)
		return 503;
	call->gw = gw;
	call->target = call->call_id[0] = call->call_id[1] = call_str_none;
	call->trunk = call->a_trunk = call_str_none;
	call->from_a = call->ruri_a = call->end_why = call_str_none;
	call->id = ++gw->call_seq;
	call->started = time(NULL);
	/* Our o= lines (RFC 4566: an NTP-style id; the version rises with
	 * every change of our SDP, SDP-3). */
	call->sdp[0].sess_id = call->sdp[1].sess_id =
		(uint64_t)call->started * 1000 + call->id % 1000;
	call->sdp[0].version = call->sdp[1].version = 1;
	snprintf(call->ctx, sizeof(call->ctx), "call %llu", call->id);
	call->next = gw->calls;
	if (gw->calls)
		gw->calls->prevp = &call->next;
	call->prevp = &gw->calls;
	gw->calls = call;
	gw->ncalls++;
	call_cdr_start(call, sip);
	call->a.st = st;
	call->a.allows_update =
		sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE");
	call->a_100rel = sip_has_feature(sip->sip_supported, "100rel") ||
			 sip_has_feature(sip->sip_require, "100rel");
	call->b.side = r.to; /* its record's direction, if leg B fails */
	status = call_leg_a_create(call, side, irq, sip);
	if (!status && side == TRUNK_SIDE_ENTERPRISE)
		status = call_who_set(call, 0, r.a_peer);
	call_hop_set(call, &call->a, r.a_trunk, NULL);
	if (!status)
		status = call_leg_b_start(call, sip, &r);
	if (status) {
		/* 488: A's SDP unusable; 503: no media ports (try later, as
		 * for the other 503s of agent.c); else 500. */
		nta_incoming_treply(
			irq, status == 488 || status == 503 ? status : 500,
			NULL,
			TAG_IF(status == 503, SIPTAG_RETRY_AFTER_STR("60")),
			TAG_END());
		call_end(call, "cannot set up leg B");
		return 0;
	}
	/* The 100 Trying after the INVITE toward B (when it could be sent
	 * at once): its sendmsg() is not on the INVITE's path. */
	if (nta_incoming_status(irq) < 100)
		nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
	LOGI(SUBSYS, call->ctx, "%s -> %s: %s%s", trunk_side_names[side],
	     trunk_side_names[r.to], r.ruri,
	     r.emergency ? " (emergency call)" : "");
	return 0;
}

/* BYE both legs of an established call, or fail and cancel a new one. */
void call_hangup(struct trunk_call *call, const char *why)
{
	call_txns_terminated(call); /* before the BYEs */
	if (call->state == CALL_CONFIRMED) {
		call_send_bye(call, &call->a);
		call_send_bye(call, &call->b);
	} else if (call->state != CALL_TERMINATED) {
		nta_incoming_treply(call->invite_a, SIP_503_SERVICE_UNAVAILABLE,
				    TAG_END());
		nta_outgoing_cancel(call->invite_b);
	}
	call_end(call, why);
}

void trunk_call_free_all(struct trunk_gateway *gw)
{
	while (gw->calls)
		call_free(gw->calls);
}

void trunk_call_hangup_all(struct trunk_gateway *gw, const char *why)
{
	struct trunk_call *call;

	for (call = gw->calls; call; call = call->next)
		call_hangup(call, why);
}

int trunk_call_hangup(struct trunk_gateway *gw, unsigned long long id)
{
	struct trunk_call *call;

	for (call = gw->calls; call; call = call->next) {
		if (call->id == id && call->state != CALL_TERMINATED) {
			call_hangup(call, "hangup by trunkctl");
			return 0;
		}
	}
	return ENOENT;
}

const struct trunk_call *trunk_call_next(const struct trunk_gateway *gw,
					 const struct trunk_call *prev)
{
	return prev ? prev->next : gw->calls;
}

void trunk_call_info(const struct trunk_call *call,
		     struct trunk_call_info *info)
{
	info->id = call->id;
	info->state = call_state_names[call->state];
	info->from = call->a.side;
	info->to = call->b.side;
	info->duration_s = (long long)(time(NULL) - call->started);
	info->call_id[0] = call->call_id[0];
	info->call_id[1] = call->call_id[1];
	info->media = call->media != NULL;
	for (int i = 0; call->media && i < 2; i++) {
		struct media_stats st;

		media_session_get_stats(call->media, (enum media_leg)i, &st);
		info->media_port[i] =
			media_session_port(call->media, (enum media_leg)i);
		info->rtp_in[i] = st.rtp_in_packets;
		info->rtp_out[i] = st.rtp_out_packets;
		info->rtcp_in[i] = st.rtcp_in_packets;
		info->rtcp_out[i] = st.rtcp_out_packets;
		info->drop_hold[i] = st.drop_hold;
	}
	info->target = call->target;
	info->emergency = call->emergency;
}
