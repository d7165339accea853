/*
 * Call transfer by third-party call control (SIPconnect 12, XFR-1): the
 * carrier never sees a REFER. An enterprise phone's REFER (blind: a
 * Refer-To naming a user or number) or `trunkctl transfer CALL TARGET`
 * makes trunkd call the target on the enterprise side with an INVITE of
 * its own; when the target answers, it takes the place of the enterprise
 * leg and the old one is released:
 *
 *   REFER(X) ─202, NOTIFY 100──▶ CALLING TARGET ──2xx──▶ swap legs, ACK,
 *                                      │              NOTIFY 200, BYE X
 *                                      └─3xx-6xx──▶ NOTIFY <status>; X keeps
 *                                                   the call
 *
 * The trunk leg stays as it is: media is anchored on our relay, so the
 * carrier keeps sending to the same address and port while the relay now
 * forwards to the target (its answer re-points the enterprise side of the
 * media session). Only when the target answers with codecs other than
 * those agreed with the carrier is the carrier re-INVITEd with them
 * (call_reoffer.c). The target's offer is the SDP we last sent on the
 * enterprise leg. A BYE from X while the target is being called releases
 * X only (phones often hang up right after a blind REFER).
 *
 * Attended transfer: X, in a consultation call with extension Y through
 * trunkd (both legs on the enterprise side), REFERs the first call with
 * Refer-To: <Y?Replaces=(X's dialog of the consultation)>. trunkd
 * re-INVITEs Y in the consultation dialog with the relay port of the
 * first call (o= continued in Y's dialog); when Y answers, Y's leg moves
 * into the first call in place of X, X gets NOTIFY 200 and BYE on the
 * first call and BYE on the consultation. A Replaces naming no call of
 * ours gets 481; a consultation whose far end is the trunk gets 488 (no
 * trunk-to-trunk calls).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.xfer"

struct call_xfer {
	struct call_leg *old;	/* borrowed: &call->a or &call->b */
	struct call_leg next;	/* the target's leg until it answers */
	struct call_leg gone;	/* X's leg once replaced, until its BYE */
	nta_outgoing_t *invite; /* our INVITE to the target */
	bool notify;		/* X asked by REFER: NOTIFY it */
	bool old_left;		/* X sent BYE meanwhile */
	char target[512];	/* the target's Request-URI */
	/* Attended: the consultation call whose far leg joins this one,
	 * and on that call, the call it joins (borrowed; each side clears
	 * the other's pointer when it goes: xfer_unlink). */
	struct trunk_call *other, *into;
	struct call_leg *y; /* borrowed: the consultation's far leg */
};

/* X's dialog after the swap: only its BYE is expected. */
static int xfer_gone_request(struct call_leg *cl, nta_leg_t *leg,
			     nta_incoming_t *irq, sip_t const *sip)
{
	(void)cl;
	(void)leg;
	(void)irq;
	switch (sip->sip_request->rq_method) {
	case sip_method_ack:
		return 0;
	case sip_method_bye:
		return 200;
	default:
		return 481;
	}
}

/* NOTIFY X of the transfer's progress (RFC 3515 2.4.5). */
static void xfer_notify(struct trunk_call *call, struct call_leg *to,
			int status, const char *phrase)
{
	struct call_xfer *x = call->xfer;
	char frag[96];
	nta_outgoing_t *orq;

	if (!x->notify || x->old_left)
		return;
	snprintf(frag, sizeof(frag), "SIP/2.0 %d %s\r\n", status,
		 phrase ? phrase : "");
	/* No callback: nta frees the transaction when it completes. */
	orq = nta_outgoing_tcreate(
		to->leg, NULL, NULL, NULL, SIP_METHOD_NOTIFY, NULL,
		SIPTAG_EVENT_STR("refer"),
		SIPTAG_SUBSCRIPTION_STATE_STR(status < 200
						      ? "active;expires=60"
						      : "terminated;reason="
							"noresource"),
		SIPTAG_CONTACT(call_leg_contact(call, to)),
		SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
		SIPTAG_PAYLOAD_STR(frag), TAG_END());
	if (!orq)
		LOGW(SUBSYS, call->ctx, "cannot NOTIFY the transferor");
}

/* The target answered: it becomes the enterprise leg. */
static void xfer_swap(struct trunk_call *call, sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	struct call_leg *slot = x->old;
	int idx = slot == &call->a ? 0 : 1;

	call_timer_free(slot);
	x->gone = *slot;
	x->gone.st_timer = NULL;
	x->gone.st_refresh = NULL;
	nta_leg_bind(x->gone.leg, xfer_gone_request, &x->gone);
	*slot = x->next;
	memset(&x->next, 0, sizeof(x->next));
	nta_leg_bind(slot->leg, call_leg_request, slot);
	call_str_set(&call->call_id[idx], sip->sip_call_id->i_id);
	if (idx == 1)
		call_str_set(&call->target, x->target);
	call_sdp_learn(call, slot, sip->sip_payload);
	call_timer_response_in(slot, sip);
	LOGI(SUBSYS, call->ctx, "leg %c transferred to %s", idx ? 'B' : 'A',
	     x->target);
	call_reoffer(call, slot, sip); /* its codecs to the other leg */
	xfer_notify(call, &x->gone, sip->sip_status->st_status,
		    sip->sip_status->st_phrase);
	if (!x->old_left)
		call_send_bye(call, &x->gone);
	x->old = NULL; /* done */
}

static int xfer_invite_response(struct trunk_call *call, nta_outgoing_t *orq,
				sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);

	if (!x || orq != x->invite || status < 200 ||
	    call->state == CALL_TERMINATED)
		return 0;
	if (status < 300 && sip) {
		nta_leg_rtag(x->next.leg, sip->sip_to->a_tag);
		nta_leg_client_route(x->next.leg, sip->sip_record_route,
				     sip->sip_contact);
		call_send_ack(call, &x->next, nta_outgoing_cseq(orq), NULL);
		x->invite = NULL;
		xfer_swap(call, sip);
		nta_outgoing_destroy(orq); /* frees sip over TCP/TLS */
		return 0;
	}
	LOGI(SUBSYS, call->ctx, "transfer to %s failed: %d", x->target, status);
	x->invite = NULL;
	xfer_notify(call, x->old, status,
		    sip ? sip->sip_status->st_phrase : NULL);
	nta_outgoing_destroy(orq); /* after sip's last use */
	if (x->old_left)	   /* nobody left on the enterprise side */
		call_hangup(call, "transfer failed after the transferor left");
	else
		x->old = NULL;
	return 0;
}

/* Forget an earlier transfer: its old leg is released by now. */
static void xfer_reset(struct call_xfer *x)
{
	if (x->gone.bye)
		nta_outgoing_destroy(x->gone.bye);
	if (x->gone.leg)
		nta_leg_destroy(x->gone.leg);
	memset(x, 0, sizeof(*x));
}

/* Call TARGET (a user or number of the enterprise) for the enterprise leg
 * `old`. 0, or a SIP status. */
static int xfer_start(struct trunk_call *call, struct call_leg *old,
		      const char *user, bool notify)
{
	struct call_xfer *x = call->xfer;
	const char *last = call->sdp[old == &call->a ? 0 : 1].last;
	nta_agent_t *nta = trunk_agent_nta(call->gw->agents[old->side]);
	sip_call_id_t *cid = sip_call_id_create(call->home, NULL);
	struct call_route r;
	char to[600];
	int status;

	if (call->state != CALL_CONFIRMED || (x && (x->old || x->into)))
		return 491;
	if (!user || !*user || !cid || !last)
		return !last ? 488 : 400;
	status = call_route_enterprise(call->gw, user, &r);
	if (status)
		return status;
	if (!x && !(x = call->xfer = su_zalloc(call->home, sizeof(*x))))
		return 500;
	xfer_reset(x);
	snprintf(x->target, sizeof(x->target), "%s", r.ruri);
	snprintf(to, sizeof(to), "<%s>", r.ruri);
	x->next.call = call;
	x->next.side = old->side;
	snprintf(x->next.transport, sizeof(x->next.transport), "%s",
		 strstr(r.ruri, "transport=tcp") ? "tcp" : "udp");
	x->next.leg = nta_leg_tcreate(
		nta, call_leg_request, &x->next, SIPTAG_CALL_ID(cid),
		SIPTAG_FROM_STR(call->party[old == &call->a ? 0 : 1]),
		SIPTAG_TO_STR(to), TAG_END());
	if (!x->next.leg || !nta_leg_tag(x->next.leg, NULL))
		return 500;
	x->invite = nta_outgoing_tcreate(
		x->next.leg, xfer_invite_response, call, NULL,
		SIP_METHOD_INVITE, URL_STRING_MAKE(r.ruri),
		SIPTAG_CONTACT(call_leg_contact(call, &x->next)),
		SIPTAG_SUPPORTED_STR("timer"), SIPTAG_ALLOW_STR(TRUNK_ALLOW),
		SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		SIPTAG_PAYLOAD_STR(last), TAG_END());
	if (!x->invite) {
		nta_leg_destroy(x->next.leg);
		x->next.leg = NULL;
		return 500;
	}
	x->old = old;
	x->notify = notify;
	LOGI(SUBSYS, call->ctx, "transferring leg %c to %s",
	     old == &call->a ? 'A' : 'B', r.ruri);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Attended transfer                                                       */

/* The Replaces header in a Refer-To URI's headers, or NULL. */
static sip_replaces_t *xfer_replaces(su_home_t *home, url_t const *url)
{
	char *h = url_query_as_header_string(home, url->url_headers);
	char *v = h ? strcasestr(h, "Replaces:") : NULL;

	if (!v)
		return NULL;
	v += strlen("Replaces:");
	v += strspn(v, " \t");
	v[strcspn(v, "\r\n")] = '\0';
	return sip_replaces_make(home, v);
}

/* The leg of another established call whose dialog rp names (either tag
 * order: X may be UAC or UAS of it), or NULL. */
static struct call_leg *xfer_find_replaced(struct trunk_call *self,
					   sip_replaces_t const *rp)
{
	struct trunk_call *c;
	const char *lt, *rt;
	int i;

	if (!rp->rp_call_id || !rp->rp_to_tag || !rp->rp_from_tag)
		return NULL;
	for (c = self->gw->calls; c; c = c->next) {
		for (i = 0; c != self && c->state == CALL_CONFIRMED && i < 2;
		     i++) {
			struct call_leg *l = i ? &c->b : &c->a;

			if (!l->leg || strcmp(c->call_id[i], rp->rp_call_id))
				continue;
			lt = nta_leg_get_tag(l->leg);
			rt = nta_leg_get_rtag(l->leg);
			if (lt && rt &&
			    ((!strcasecmp(lt, rp->rp_to_tag) &&
			      !strcasecmp(rt, rp->rp_from_tag)) ||
			     (!strcasecmp(lt, rp->rp_from_tag) &&
			      !strcasecmp(rt, rp->rp_to_tag))))
				return l;
		}
	}
	return NULL;
}

/* Forget the link between a transfer and its consultation call. */
static void xfer_unlink(struct trunk_call *call)
{
	struct call_xfer *x = call->xfer;

	if (x->other && x->other->xfer)
		x->other->xfer->into = NULL;
	if (x->into && x->into->xfer)
		x->into->xfer->other = NULL;
	x->other = x->into = NULL;
}

static struct call_xfer *xfer_get(struct trunk_call *call)
{
	if (!call->xfer)
		call->xfer = su_zalloc(call->home, sizeof(*call->xfer));
	return call->xfer;
}

/* Y answered our re-INVITE: Y's leg leaves the consultation call `c2`
 * and takes X's place in `call`; X is released from both. */
static void xfer_join(struct trunk_call *call, struct trunk_call *c2,
		      struct call_leg *y, sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	struct call_leg *slot = x->old, *x2 = call_peer(y);
	int idx = slot == &call->a ? 0 : 1, yidx = y == &c2->a ? 0 : 1;

	call_timer_free(slot);
	call_timer_free(y);
	x->gone = *slot;
	nta_leg_bind(x->gone.leg, xfer_gone_request, &x->gone);
	*slot = *y;
	slot->call = call;
	slot->contact =
		y->contact ? sip_contact_dup(call->home, y->contact) : NULL;
	slot->hop = y->hop ? su_strdup(call->home, y->hop) : NULL;
	nta_leg_bind(slot->leg, call_leg_request, slot);
	y->leg = NULL; /* c2 no longer owns Y's dialog */
	/* Y's dialog keeps its o= session (RFC 3264 8). */
	su_free(NULL, call->sdp[idx].last);
	call->sdp[idx] = c2->sdp[yidx];
	call->sdp[idx].last = su_strdup(NULL, c2->sdp[yidx].last);
	call_str_set(&call->call_id[idx], c2->call_id[yidx]);
	call_sdp_learn(call, slot, sip->sip_payload);
	call_timer_response_in(slot, sip);
	LOGI(SUBSYS, call->ctx, "leg %c replaced by the far end of %s",
	     idx ? 'B' : 'A', c2->ctx);
	call_reoffer(call, slot, sip);
	xfer_notify(call, &x->gone, 200, "OK");
	if (!x->old_left)
		call_send_bye(call, &x->gone);
	x->old = NULL;
	xfer_unlink(call);
	call_send_bye(c2, x2);
	call_end(c2, "attended transfer: joined to another call");
}

static int xfer_join_response(struct trunk_call *call, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	struct trunk_call *c2 = x ? x->other : NULL;
	struct call_leg *y = c2 && x->old ? x->y : NULL;
	uint32_t cseq = nta_outgoing_cseq(orq);

	if (!x || orq != x->invite || status < 200)
		return 0;
	/* Destroyed after sip's last use: over TCP/TLS nta has ended the
	 * transaction and frees its response with it. */
	x->invite = NULL;
	if (y && status < 300)
		call_send_ack(c2, y, cseq, NULL);
	if (y && status < 300 && sip && call->state == CALL_CONFIRMED) {
		xfer_join(call, c2, y, sip);
		nta_outgoing_destroy(orq);
		return 0;
	}
	LOGI(SUBSYS, call->ctx, "attended transfer failed: %d", status);
	if (x->old)
		xfer_notify(call, x->old, status < 300 ? 500 : status,
			    sip && status >= 300 ? sip->sip_status->st_phrase
						 : "Transfer Failed");
	nta_outgoing_destroy(orq);
	xfer_unlink(call);
	if (x->old_left)
		call_hangup(call, "transfer failed after the transferor left");
	x->old = NULL;
	return 0;
}

/* X (cl) asks to join this call's far end with the far end of the call
 * that Replaces names. 0 (re-INVITE sent) or a SIP status. */
static int xfer_attended(struct trunk_call *call, struct call_leg *cl,
			 sip_replaces_t const *rp)
{
	struct call_leg *xl = xfer_find_replaced(call, rp), *y;
	const char *last = call->sdp[cl == &call->a ? 0 : 1].last, *addr;
	uint16_t ports[TRUNK_SDP_MAX_MEDIA] = { 0 };
	struct trunk_call *c2;
	struct call_xfer *x, *x2;
	char why[120], *text;

	if (!xl)
		return 481;
	c2 = xl->call;
	y = call_peer(xl);
	if (y->side != TRUNK_SIDE_ENTERPRISE || !last || !call->media)
		return 488;
	if (call->state != CALL_CONFIRMED ||
	    (call->xfer && (call->xfer->old || call->xfer->into)) ||
	    call_invite_busy(c2) ||
	    (c2->xfer && (c2->xfer->old || c2->xfer->into)))
		return 491;
	/* The first call's relay port toward X, in Y's own o= session. */
	ports[0] = media_session_port(
		call->media, cl == &call->a ? MEDIA_LEG_A : MEDIA_LEG_B);
	addr = media_session_addr(call->media,
				  cl == &call->a ? MEDIA_LEG_A : MEDIA_LEG_B);
	if (trunk_sdp_rewrite(NULL, &c2->sdp[y == &c2->a ? 0 : 1], last,
			      strlen(last), addr, strchr(addr, ':'), ports,
			      TRUNK_SDP_MAX_MEDIA, &text, why, sizeof(why)))
		return 488;
	if (!(x = xfer_get(call)) || !(x2 = xfer_get(c2))) {
		free(text);
		return 500;
	}
	xfer_reset(x);
	x->invite = nta_outgoing_tcreate(
		y->leg, xfer_join_response, call, NULL, SIP_METHOD_INVITE, NULL,
		SIPTAG_CONTACT(call_leg_contact(c2, y)),
		SIPTAG_HEADER_STR(call_timer_request_headers(c2, y)),
		SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		SIPTAG_PAYLOAD_STR(text), TAG_END());
	free(text); /* kept as c2's sdp[].last */
	if (!x->invite)
		return 500;
	x->old = cl;
	x->y = y;
	x->notify = true;
	x->old_left = false;
	x->other = c2;
	x2->into = call;
	snprintf(x->target, sizeof(x->target), "the far end of %s", c2->ctx);
	LOGI(SUBSYS, call->ctx, "attended transfer: joining %s", x->target);
	return 0;
}

int call_xfer_refer(struct call_leg *cl, nta_incoming_t *irq, sip_t const *sip)
{
	struct trunk_call *call = cl->call;
	sip_refer_to_t const *rt = sip->sip_refer_to;
	int status;

	/* SIPconnect 12 / XFR-1: never from (or toward) the carrier. */
	if (cl->side != TRUNK_SIDE_ENTERPRISE)
		return 405;
	if (!rt || !rt->r_url->url_user)
		return 400;
	if (rt->r_url->url_headers &&
	    strcasestr(rt->r_url->url_headers, "Replaces")) {
		sip_replaces_t *rp = xfer_replaces(call->home, rt->r_url);

		status = rp ? xfer_attended(call, cl, rp) : 400;
	} else {
		status = xfer_start(call, cl, rt->r_url->url_user, true);
	}
	if (status)
		return status;
	nta_incoming_treply(irq, SIP_202_ACCEPTED,
			    SIPTAG_CONTACT(call_leg_contact(call, cl)),
			    TAG_END());
	xfer_notify(call, cl, 100, "Trying");
	return 0;
}

bool call_xfer_bye(struct call_leg *cl, nta_incoming_t *irq)
{
	struct call_xfer *x = cl->call->xfer;

	if (!x || x->old != cl || x->old_left)
		return false;
	x->old_left = true;
	nta_incoming_treply(irq, SIP_200_OK, TAG_END());
	LOGI(SUBSYS, cl->call->ctx, "the transferor left; still calling %s",
	     x->target);
	return true;
}

int trunk_call_transfer(struct trunk_gateway *gw, unsigned long long id,
			const char *target)
{
	struct trunk_call *call;

	for (call = gw->calls; call; call = call->next) {
		if (call->id != id || call->state == CALL_TERMINATED)
			continue;
		/* The enterprise leg (B when both are: an internal call). */
		if (call->b.side == TRUNK_SIDE_ENTERPRISE)
			return xfer_start(call, &call->b, target, false);
		if (call->a.side == TRUNK_SIDE_ENTERPRISE)
			return xfer_start(call, &call->a, target, false);
		return 488;
	}
	return 404;
}

void call_xfer_free(struct trunk_call *call)
{
	struct call_xfer *x = call->xfer;

	call_reoffer_free(call);
	if (!x)
		return;
	xfer_unlink(call);
	if (x->invite) {
		/* The call ended while the target rang: stop it. */
		nta_outgoing_tcancel(x->invite, NULL, NULL, TAG_END());
		nta_outgoing_destroy(x->invite);
	}
	if (x->next.leg)
		nta_leg_destroy(x->next.leg);
	if (x->gone.bye)
		nta_outgoing_destroy(x->gone.bye);
	if (x->gone.leg)
		nta_leg_destroy(x->gone.leg);
	call->xfer = NULL;
}
