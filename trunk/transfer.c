/*
 * Call transfer by third-party call control (SIPconnect 12, XFR-1): the
 * carrier never sees a REFER. An enterprise phone's REFER (blind: a
 * Refer-To naming a user or number) or `trunkctl transfer CALL TARGET`
 * makes trunkd call the target with an INVITE of its own, routed as the
 * transferor would call it (call_route_transfer(): a phone, a PBX user,
 * or a number across the trunk, SIPconnect 12.1.1); when the target
 * answers, it takes the place of the transferor's leg and the old one is
 * released:
 *
 *   REFER(X) ─202, NOTIFY 100──▶ CALLING TARGET ──2xx──▶ swap legs, ACK,
 *                                  │   ▲                NOTIFY 200, BYE X
 *                 across the trunk:│   │ next SP-SSE (503, timeout,
 *                                  │   │ transport), credentials (401/407)
 *                                  │   └───────────────┘
 *                                  └─3xx-6xx──▶ NOTIFY <status>; X keeps
 *                                               the call
 *
 * The other leg stays as it is: media is anchored on our relay, so the
 * transferee keeps sending to the same address and port while the relay
 * now forwards to the target (its answer re-points that side of the
 * media session). Only when the target answers with codecs other than
 * those agreed with the transferee is it re-INVITEd with them
 * (call_reoffer.c). The target's offer is the SDP we last sent on the
 * transferor's leg. A target across the trunk gets the outbound call's
 * treatment (policy.c's identity from the transferor, the trunk's
 * SP-SSEs with failover, its digest, RFC 6223 keep, an offer with the
 * trunk's codecs, on a new media session when the enterprise and trunk
 * media addresses differ: xfer_offer()); when it answers, the slot it
 * takes carries the trunk's name (call_leg_trunk()). A BYE from X
 * while the target is being called releases X only (phones often hang up
 * right after a blind REFER).
 *
 * Attended transfer: X, in a consultation call with Y through trunkd (an
 * extension, or a party across the trunk: SIPconnect 12.1.2), REFERs the
 * first call with
 * Refer-To: <Y?Replaces=(X's dialog of the consultation)>. trunkd
 * re-INVITEs Y in the consultation dialog with the relay port of the
 * first call (o= continued in Y's dialog); when Y answers, Y's leg moves
 * into the first call in place of X, X gets NOTIFY 200 and BYE on the
 * first call and BYE on the consultation. A Replaces naming no call of
 * ours gets 481. Y across the trunk is re-INVITEd through its carrier's
 * hop and connection with the trunk's digest, and its slot takes the
 * trunk's name; when the enterprise and trunk media addresses differ, Y
 * gets a relay port of its own on a new media session, and the
 * transferee is moved to it when Y answered, as for a blind transfer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_call

#include "call.h"
#include "dialtest.h"
#include "tls.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_extra.h>
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
	/* A target across the trunk (SIPconnect 12.1.1): its [trunk], the
	 * route of our INVITE (SP-SSEs to try in order, identity headers:
	 * malloc'd while it is under way), the SP-SSE being tried, the
	 * challenges answered, and whether that SP-SSE answered (reported
	 * up) or sent a 1xx beyond 100 (no failover any more). */
	char trunk[64];
	char who[160]; /* an enterprise target's "kind:name" (call->who) */
	struct call_route *route;
	unsigned route_idx, auth_tries;
	bool heard, early;
	/* Our offer to a target across the trunk (the trunk's codecs, its
	 * relay endpoint) and the o= version it has, malloc'd; and when the
	 * enterprise and trunk media addresses differ, the new media session
	 * it is on (xfer_media_anew()). NULL: none. */
	char *offer;
	uint64_t offer_version;
	struct media_session *media;
};

/* Forget the target's own offer and media session (not taken). */
static void xfer_media_drop(struct call_xfer *x)
{
	su_free(NULL, x->offer);
	x->offer = NULL;
	media_session_free(x->media);
	x->media = NULL;
}

/* A new media session for the call (the enterprise and trunk media
 * addresses differ): the endpoint of `old`'s slot on side `mine`, for
 * the party that replaces it, the other on the side it is on now. 0 or
 * 503 (no ports). */
static int xfer_media_new(struct trunk_call *call, struct call_leg *old,
			  enum media_side mine)
{
	struct call_xfer *x = call->xfer;
	enum media_side theirs = call_media_side(call, call_peer(old));
	int idx = old == &call->a ? 0 : 1;

	if (media_session_alloc(call->gw->media, idx ? theirs : mine,
				idx ? mine : theirs, call, &x->media)) {
		LOGW(SUBSYS, call->ctx,
		     "no media ports for the transfer's new party: 503");
		return 503;
	}
	LOGI(SUBSYS, call->ctx,
	     "transfer: the new party gets a relay port on %s; the "
	     "transferee is moved to a new one when it answers",
	     media_session_addr(x->media, call_media_leg(call, old)));
	return 0;
}

/* The new party answered: the call moves to its session, if it has one
 * (x->media), where the other leg's peer still receives where it did.
 * The old session is returned, to be freed once the other leg was
 * offered its new relay port; NULL when nothing moved. */
static struct media_session *xfer_media_take(struct trunk_call *call,
					     struct call_leg *slot)
{
	struct call_xfer *x = call->xfer;
	struct trunk_sdp_leg *ol = &call->sdp[slot == &call->a ? 1 : 0];
	struct media_session *gone = call->media;

	if (!x->media)
		return NULL;
	call->media = x->media;
	x->media = NULL;
	if (ol->peer_known)
		call_sdp_remote(call, call_peer(slot), &ol->peer);
	return gone;
}

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

/* The target answered: it takes the transferor's place. */
static void xfer_swap(struct trunk_call *call, sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	struct call_leg *slot = x->old;
	int idx = slot == &call->a ? 0 : 1;
	struct media_session *gone_media = NULL;
	bool stuck;

	call_timer_free(slot);
	call_retx_free(slot); /* its 2xx's timer would outlive the copy */
	x->gone = *slot;
	x->gone.st_timer = NULL;
	x->gone.st_refresh = NULL;
	nta_leg_bind(x->gone.leg, xfer_gone_request, &x->gone);
	*slot = x->next;
	memset(&x->next, 0, sizeof(x->next));
	nta_leg_bind(slot->leg, call_leg_request, slot);
	call_str_set(&call->call_id[idx], sip->sip_call_id->i_id);
	/* The slot's carrier from now on (call_leg_trunk(): its digest, its
	 * TLS hop, its codecs), "" for an enterprise target. */
	call_str_set(idx ? &call->trunk : &call->a_trunk, x->trunk);
	call_str_set(&call->who[idx], x->who);
	if (x->trunk[0])
		call->sdp[idx].codecs =
			trunk_sdp_trunk_codecs(call->gw->cfg, x->trunk);
	if (idx == 1)
		call_str_set(&call->target, x->target);
	if (x->offer) { /* what the target got is our last SDP there */
		su_free(NULL, call->sdp[idx].last);
		call->sdp[idx].last = x->offer;
		call->sdp[idx].version = x->offer_version;
		x->offer = NULL;
	}
	gone_media = xfer_media_take(call, slot);
	call_sdp_learn(call, slot, sip->sip_payload);
	call_timer_response_in(slot, sip);
	LOGI(SUBSYS, call->ctx, "leg %c transferred to %s", idx ? 'B' : 'A',
	     x->target);
	/* Its codecs to the other leg, or that leg's new relay port. */
	stuck = !call_reoffer(call, slot, sip, gone_media != NULL) &&
		gone_media;
	media_session_free(gone_media);
	xfer_notify(call, &x->gone, sip->sip_status->st_status,
		    sip->sip_status->st_phrase);
	if (!x->old_left)
		call_send_bye(call, &x->gone);
	x->old = NULL; /* done */
	free(x->route);
	x->route = NULL;
	if (stuck) /* the transferee would send to a freed port */
		call_hangup(call, "the transferee's media could not move to "
				  "its new relay port");
}

static int xfer_send_invite(struct trunk_call *call);

/* Our INVITE to a target across the trunk got `status` (sip: the
 * response, NULL for a failure of our own): true when it went again, to
 * the next SP-SSE (503, timeout or transport error before any 1xx: STA-1,
 * as for leg B) or with the trunk's credentials (401/407: STA-6). */
static bool xfer_trunk_again(struct trunk_call *call, int status,
			     sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	struct call_route *r = x->route;
	bool local = !sip || nta_sip_is_internal(sip);
	char why[80];

	if (!local && status != 503 && !x->heard && x->route_idx < r->nroutes) {
		x->heard = true;
		trunk_peer_report(call->gw, r->routes[x->route_idx], true,
				  "answered an INVITE");
	}
	if (status < 200)
		return false;
	if (!x->early && x->route_idx < r->nroutes &&
	    (status == 503 || (local && (status == 408 || status >= 500)))) {
		snprintf(why, sizeof(why), "INVITE got %d%s", status,
			 local ? " (no answer / transport)" : "");
		trunk_peer_report(call->gw, r->routes[x->route_idx], false,
				  why);
		if (++x->route_idx < r->nroutes) {
			LOGI(SUBSYS, call->ctx, "transfer: %s; trying %s", why,
			     r->routes[x->route_idx]);
			x->heard = false;
			return xfer_send_invite(call) == 0;
		}
		return false;
	}
	if (status != 401 && status != 407)
		return false;
	if (x->auth_tries < 2 && !trunk_auth_challenge(call->gw, x->trunk, sip,
						       x->auth_tries++ == 0)) {
		LOGD(SUBSYS, call->ctx, "transfer: answered the carrier's %d",
		     status);
		return xfer_send_invite(call) == 0;
	}
	LOGE(SUBSYS, call->ctx,
	     "trunk %s refused our credentials (%d): check username and "
	     "password",
	     x->trunk, status);
	return false;
}

/* ACK a 2xx to our INVITE orq on `to` (the target's leg, or Y's for an
 * attended transfer), with orq's credentials when the carrier challenged
 * it (RFC 3261 22.1: the ACK carries the INVITE's). */
static void xfer_ack(struct trunk_call *call, struct call_leg *to,
		     nta_outgoing_t *orq)
{
	sip_cseq_t *cseq =
		sip_cseq_create(trunk_scratch_get(call->gw),
				nta_outgoing_cseq(orq), sip_method_ack, "ACK");
	msg_t *req = nta_outgoing_getrequest(orq);

	if (cseq)
		trunk_ack_send(to->leg, CALL_HOP(to), call_leg_tport(to), cseq,
			       req ? sip_object(req) : NULL, NULL, NULL);
	msg_destroy(req);
}

/* Our INVITE to the target got its final status (sip NULL: none came). */
static void xfer_invite_final(struct trunk_call *call, nta_outgoing_t *orq,
			      int status, sip_t const *sip)
{
	struct call_xfer *x = call->xfer;

	if (x->route && xfer_trunk_again(call, status, sip)) {
		trunk_tls_orq_destroy(call->gw, orq);
		return;
	}
	if (status < 300 && sip) {
		nta_leg_rtag(x->next.leg, sip->sip_to->a_tag);
		nta_leg_client_route(x->next.leg, sip->sip_record_route,
				     sip->sip_contact);
		xfer_ack(call, &x->next, orq);
		if (x->route) /* KEEP-2: the dialog's keep-alives */
			call_keep_start(call, &x->next, orq, sip);
		x->invite = NULL;
		xfer_swap(call, sip);
		trunk_tls_orq_destroy(call->gw, orq); /* frees sip (TCP/TLS) */
		return;
	}
	LOGI(SUBSYS, call->ctx, "transfer to %s failed: %d", x->target, status);
	x->invite = NULL;
	xfer_notify(call, x->old, status,
		    sip ? sip->sip_status->st_phrase : NULL);
	trunk_tls_orq_destroy(call->gw, orq); /* after sip's last use */
	nta_leg_destroy(x->next.leg);	      /* then its leg */
	x->next.leg = NULL;
	free(x->route);
	x->route = NULL;
	xfer_media_drop(x);
	if (x->old_left) /* nobody left on the transferor's side */
		call_hangup(call, "transfer failed after the transferor left");
	else
		x->old = NULL;
}

static bool xfer_invite_leave(struct trunk_call *call, nta_outgoing_t *orq,
			      sip_t const *answer);

static int xfer_invite_response(struct trunk_call *call, nta_outgoing_t *orq,
				sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);

	if (!x || orq != x->invite)
		return 0;
	if (call->state == CALL_TERMINATED) {
		/* A 2xx that crossed the call's end: ACKed and BYEd. */
		if (sip && status >= 200 && status < 300 &&
		    xfer_invite_leave(call, orq, sip))
			x->invite = NULL;
		return 0;
	}
	if (status < 200) {
		if (x->route && sip)
			xfer_trunk_again(call, status, sip); /* reports up */
		if (status > 100)
			x->early = true;
		return 0;
	}
	xfer_invite_final(call, orq, status, sip);
	return 0;
}

/* The TLS connection of our INVITE to a carrier failed (tls_watch.c):
 * as a transport error (503). */
static void xfer_tls_failed(void *arg, int err)
{
	struct trunk_call *call = arg;
	struct call_xfer *x = call->xfer;

	(void)err;
	if (x && x->invite && call->state != CALL_TERMINATED)
		xfer_invite_final(call, x->invite, 503, NULL);
}

/* (Re)send our INVITE to the target: to the next SP-SSE of x->route
 * with its identity headers and the trunk's credentials when it crosses
 * the trunk. The offer is the SDP we last sent the transferor: the relay
 * port the transferee's media reaches. 0 or EIO. */
static int xfer_send_invite(struct trunk_call *call)
{
	struct call_xfer *x = call->xfer;
	struct call_route *r = x->route;
	const char *last = x->offer
				   ? x->offer
				   : call->sdp[x->old == &call->a ? 0 : 1].last;
	const char *route =
		r && x->route_idx < r->nroutes ? r->routes[x->route_idx] : NULL;
	su_home_t *scratch = trunk_scratch_get(call->gw);
	sip_payload_t *pl = sip_payload_make(scratch, last);
	const char *via = r ? call_keep_via(call, &x->next) : NULL; /* KEEP-1 */
	const char *hdrs = r && r->headers[0] ? r->headers : NULL;
	msg_header_t *auth = NULL;
	sip_max_forwards_t mf[1];
	url_t *url;

	sip_max_forwards_init(mf);
	mf->mf_count = 70; /* a request of our own (RFC 3261 8.1.1.6) */
	if (r && (url = url_make(scratch, x->target)))
		trunk_auth_headers(call->gw, x->trunk, scratch, "INVITE", url,
				   pl, &auth);
	x->invite = nta_outgoing_tcreate(
		x->next.leg, xfer_invite_response, call,
		route ? URL_STRING_MAKE(route) : NULL, SIP_METHOD_INVITE,
		URL_STRING_MAKE(x->target),
		SIPTAG_CONTACT(call_leg_contact(call, &x->next)),
		TAG_IF(via, NTATAG_USER_VIA(1)),
		TAG_IF(via, SIPTAG_VIA_STR(via)), SIPTAG_MAX_FORWARDS(mf),
		/* Identity and passed headers (policy.c: ID-8..ID-11). */
		TAG_IF(hdrs, SIPTAG_HEADER_STR(hdrs)),
		SIPTAG_SUPPORTED_STR("timer"), SIPTAG_ALLOW_STR(TRUNK_ALLOW),
		SIPTAG_HEADER((sip_header_t *)auth),
		SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD(pl),
		TAG_END());
	if (!x->invite)
		return EIO;
	if (r) {
		/* The hop first: a watch may fail the INVITE at once
		 * (xfer_tls_failed frees the route). */
		call_hop_set(call, &x->next, x->trunk, route);
		trunk_tls_watch_trunk(call->gw, x->invite, call->ctx, x->trunk,
				      xfer_tls_failed, call);
	}
	return 0;
}

/* Our INVITE to the target, given up: CANCELled and kept until its
 * final response, a 2xx ACKed and ended with a BYE (call_abandon.c; at
 * once for answer, a 2xx that came after the call ended). False: it has
 * its final response already, its owner destroys it. */
static bool xfer_invite_leave(struct trunk_call *call, nta_outgoing_t *orq,
			      sip_t const *answer)
{
	struct call_xfer *x = call->xfer;
	struct trunk_abandon_from from = { x->next.hop,
					   x->trunk[0] ? x->trunk : NULL,
					   call->ctx, 0 };

	trunk_tls_orq_unwatch(call->gw, orq);
	return trunk_invite_abandon(
		call->gw, trunk_agent_nta(call->gw->agents[x->next.side]), orq,
		answer, &from);
}

/* The call ends while the target is being called. */
static void xfer_invite_abandon(struct trunk_call *call)
{
	struct call_xfer *x = call->xfer;
	nta_outgoing_t *orq = x->invite;

	x->invite = NULL;
	if (orq && !xfer_invite_leave(call, orq, NULL))
		nta_outgoing_destroy(orq);
}

/* Forget an earlier transfer: its old leg is released by now. */
static void xfer_reset(struct call_xfer *x)
{
	if (x->next.leg) /* a target's that never answered */
		nta_leg_destroy(x->next.leg);
	if (x->gone.bye)
		nta_outgoing_destroy(x->gone.bye);
	if (x->gone.leg)
		nta_leg_destroy(x->gone.leg);
	free(x->route);
	xfer_media_drop(x);
	memset(x, 0, sizeof(*x));
}

/* The INVITE the transferor would send to call the target (policy.c and
 * the dial plan read it: call_route_transfer()): its From and identity
 * headers from its REFER, else the transferor's end of its dialog. On
 * Sofia's parser like a received one; NULL when it makes no request. */
static msg_t *xfer_invite_as(struct trunk_call *call, struct call_leg *old,
			     const char *user, sip_t const *refer)
{
	su_home_t *home = trunk_scratch_get(call->gw);
	sip_p_asserted_identity_t const *pai =
		refer ? sip_p_asserted_identity(refer) : NULL;
	sip_p_preferred_identity_t const *ppi =
		refer ? sip_p_preferred_identity(refer) : NULL;
	const char *from = NULL, *x_uri;
	char text[4096];
	size_t n;

	if (refer && refer->sip_from)
		from = sip_header_as_string(
			home, (sip_header_t const *)refer->sip_from);
	if (!from && old == &call->a && call->from_a[0]) /* as received */
		from = su_sprintf(home, "<%s>;tag=xfer", call->from_a);
	if (!from) {
		/* Who the transferor is to the other side (leg A: our From
		 * on leg B; leg B: our R-URI there). */
		x_uri = call->party[old == &call->a ? 1 : 0];
		from = su_sprintf(home, "%s;tag=xfer",
				  x_uri && *x_uri ? x_uri
						  : "<sip:trunkd.invalid>");
	}
	n = (size_t)snprintf(
		text, sizeof(text),
		"INVITE sip:%s@trunkd.invalid SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-xfer\r\n"
		"From: %s\r\n"
		"To: <sip:%s@trunkd.invalid>\r\n"
		"Call-ID: xfer-%llu@trunkd.invalid\r\n"
		"CSeq: 1 INVITE\r\n"
		"Max-Forwards: 70\r\n",
		user, from ? from : "<sip:trunkd.invalid>", user, call->id);
	for (; pai && n < sizeof(text); pai = pai->paid_next)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "P-Asserted-Identity: <%s>\r\n",
				      url_as_string(home, pai->paid_url));
	for (; ppi && n < sizeof(text); ppi = ppi->ppid_next)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "P-Preferred-Identity: <%s>\r\n",
				      url_as_string(home, ppi->ppid_url));
	if (refer && refer->sip_privacy && n < sizeof(text))
		n += (size_t)snprintf(
			text + n, sizeof(text) - n, "Privacy: %s\r\n",
			sip_header_as_string(
				home,
				(sip_header_t const *)refer->sip_privacy));
	if (n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "Content-Length: 0\r\n\r\n");
	if (n >= sizeof(text))
		return NULL;
	return msg_make(sip_default_mclass(), 0, text, (ssize_t)n);
}

/* Where the target of the transferor `old` is reached (call.c). */
static int xfer_route(struct trunk_call *call, struct call_leg *old,
		      const char *user, sip_t const *refer,
		      struct call_route *r)
{
	msg_t *msg = xfer_invite_as(call, old, user, refer);
	sip_t const *sip = msg ? sip_object(msg) : NULL;
	const struct config_section *who =
		call_leg_who(call, old == &call->a ? 0 : 1);
	int status;

	if (!sip || !sip->sip_request || !sip->sip_from || sip->sip_error ||
	    !sip->sip_request->rq_url->url_user) {
		msg_destroy(msg);
		return 400;
	}
	/* Decided first without a word at INFO: an emergency number is
	 * refused before the policy logs a call to it. */
	status = call_route_transfer(call->gw, who, sip, true, r);
	if (!status && r->emergency) {
		/* No location would go with it (EM-5): the caller must dial
		 * the emergency number. */
		LOGW(SUBSYS, call->ctx,
		     "transfer to the emergency number %s refused: 403",
		     r->ruri);
		status = 403;
	}
	if (!status)
		status = call_route_transfer(call->gw, who, sip, false, r);
	msg_destroy(msg);
	return status;
}

/*
 * Our offer to a target across the trunk: the SDP we last sent the
 * transferor, with only the trunk's codecs ([trunk] codecs), on the
 * relay endpoint the target will use. That is the transferor's endpoint
 * when it is bound on the address the trunk side uses; when the
 * enterprise and trunk media addresses differ (two networks), the carrier
 * could not reach it, so the target gets an endpoint of its own, on the
 * trunk's address, in a new media session whose other endpoint the
 * transferee moves to once the target answered (our re-INVITE to it:
 * SIPconnect 12.1.1's "re-INVITE request ... to the transferee").
 * 0, or a SIP status.
 */
static int xfer_offer(struct trunk_call *call, struct call_leg *old)
{
	struct call_xfer *x = call->xfer;
	int idx = old == &call->a ? 0 : 1, rc;
	enum media_leg ml = call_media_leg(call, old);
	enum media_side mine = call_media_side(call, &x->next);
	const char *want = media_engine_side_addr(call->gw->media, mine);
	const char *addr = media_session_addr(call->media, ml);
	struct media_session *m = call->media;
	struct trunk_sdp_leg tl = call->sdp[idx];
	uint16_t ports[TRUNK_SDP_MAX_MEDIA] = { 0 };
	char why[120];

	if (!want || !addr)
		return 488;
	if (strcmp(want, addr)) {
		if ((rc = xfer_media_new(call, old, mine)))
			return rc;
		m = x->media;
		addr = media_session_addr(m, ml);
	}
	ports[0] = media_session_port(m, ml);
	tl.codecs = trunk_sdp_trunk_codecs(call->gw->cfg, x->trunk);
	tl.answer = false;
	tl.last = su_strdup(NULL, call->sdp[idx].last);
	rc = tl.last ? trunk_sdp_rewrite(NULL, &tl, call->sdp[idx].last,
					 strlen(call->sdp[idx].last), addr,
					 strchr(addr, ':'), ports,
					 TRUNK_SDP_MAX_MEDIA, &x->offer, why,
					 sizeof(why))
		     : ENOMEM;
	su_free(NULL, tl.last); /* the same text as x->offer */
	x->offer_version = tl.version;
	if (rc) {
		LOGW(SUBSYS, call->ctx,
		     "transfer: no offer for the target (%s)",
		     rc == ENOMEM ? "out of memory" : why);
		xfer_media_drop(x);
		return rc == ENOMEM ? 500 : 488;
	}
	return 0;
}

/* Call the target (user: a URI user as on the wire) for the transferor's
 * leg `old`, with its REFER (NULL: trunkctl). 0, or a SIP status. */
static int xfer_start(struct trunk_call *call, struct call_leg *old,
		      const char *user, sip_t const *refer, bool notify)
{
	struct call_xfer *x = call->xfer;
	const char *last = call->sdp[old == &call->a ? 0 : 1].last;
	nta_agent_t *nta;
	sip_call_id_t *cid = sip_call_id_create(call->home, NULL);
	struct call_route *r;
	char to[600];
	int status;

	if (call->state != CALL_CONFIRMED || (x && (x->old || x->into)))
		return 491;
	if (!user || !*user || !cid || !last || !call->media)
		return !last || !call->media ? 488 : 400;
	if (!(r = malloc(sizeof(*r))))
		return 500;
	status = xfer_route(call, old, user, refer, r);
	if (status) {
		free(r);
		return status;
	}
	if (!x && !(x = call->xfer = su_zalloc(call->home, sizeof(*x)))) {
		free(r);
		return 500;
	}
	xfer_reset(x);
	snprintf(x->target, sizeof(x->target), "%s", r->ruri);
	snprintf(to, sizeof(to), "<%s>", r->ruri);
	x->next.call = call;
	x->next.side = r->to;
	x->old = old; /* for xfer_send_invite() and call_media_side() */
	if (r->to == TRUNK_SIDE_TRUNK) {
		snprintf(x->trunk, sizeof(x->trunk), "%s", r->trunk);
		x->route = r;
		call_transport_set(&x->next,
				   strstr(r->nroutes ? r->routes[0] : r->ruri,
					  "transport="));
		if ((status = xfer_offer(call, old))) {
			x->old = NULL;
			xfer_reset(x);
			return status;
		}
	} else {
		call_who_name(call_route_b_who(call->gw, r), x->who,
			      sizeof(x->who));
		snprintf(x->next.transport, sizeof(x->next.transport), "%s",
			 strstr(r->ruri, "transport=tcp") ? "tcp" : "udp");
	}
	nta = trunk_agent_nta(call->gw->agents[r->to]);
	/* Toward the trunk the policy's From (the transferor's identity);
	 * toward the enterprise who the transferee was to the transferor. */
	x->next.leg = nta_leg_tcreate(
		nta, call_leg_request, &x->next, SIPTAG_CALL_ID(cid),
		TAG_IF(r->to == TRUNK_SIDE_TRUNK, SIPTAG_FROM_STR(r->from)),
		TAG_IF(r->to != TRUNK_SIDE_TRUNK,
		       SIPTAG_FROM_STR(call->party[old == &call->a ? 0 : 1])),
		SIPTAG_TO_STR(to), TAG_END());
	if (x->route != r)
		free(r);
	if (!x->next.leg || !nta_leg_tag(x->next.leg, NULL) ||
	    xfer_send_invite(call)) {
		if (x->next.leg)
			nta_leg_destroy(x->next.leg);
		x->next.leg = NULL;
		x->old = NULL;
		free(x->route); /* and the ports an offer held */
		x->route = NULL;
		xfer_media_drop(x);
		return 500;
	}
	x->notify = notify;
	LOGI(SUBSYS, call->ctx, "transferring leg %c to %s%s%s",
	     old == &call->a ? 'A' : 'B', x->target,
	     x->trunk[0] ? " across trunk " : "", x->trunk);
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
	const char *ytrunk = call_leg_trunk(c2, y);
	struct media_session *gone_media;
	char trunk[64];
	bool stuck;

	snprintf(trunk, sizeof(trunk), "%s", ytrunk ? ytrunk : "");
	call_timer_free(slot);
	call_timer_free(y);
	/* Our 2xx's retransmission timers belong to their calls. */
	call_retx_free(slot);
	call_retx_free(y);
	if (y->keep_flow) { /* its owner, c2, goes: so do its keep-alives */
		LOGI(SUBSYS, call->ctx,
		     "the joined dialog's RFC 6223 keep-alives stop");
		call_keep_stop(y);
	}
	x->gone = *slot;
	nta_leg_bind(x->gone.leg, xfer_gone_request, &x->gone);
	*slot = *y;
	y->tport = NULL; /* the carrier's connection: ours now */
	slot->call = call;
	/* Y's carrier, if any, is the slot's now (call_leg_trunk()). */
	call_str_set(idx ? &call->trunk : &call->a_trunk, trunk);
	call_str_set(&call->who[idx], c2->who[yidx]);
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
	gone_media = xfer_media_take(call, slot);
	call_sdp_learn(call, slot, sip->sip_payload);
	call_timer_response_in(slot, sip);
	LOGI(SUBSYS, call->ctx, "leg %c replaced by the far end of %s",
	     idx ? 'B' : 'A', c2->ctx);
	/* Its codecs to the other leg, or that leg's new relay port. */
	stuck = !call_reoffer(call, slot, sip, gone_media != NULL) &&
		gone_media;
	media_session_free(gone_media);
	xfer_notify(call, &x->gone, 200, "OK");
	if (!x->old_left)
		call_send_bye(call, &x->gone);
	x->old = NULL;
	xfer_unlink(call);
	call_send_bye(c2, x2);
	call_end(c2, "attended transfer: joined to another call");
	if (stuck) /* the transferee would send to a freed port */
		call_hangup(call, "the transferee's media could not move to "
				  "its new relay port");
}

static int xfer_join_response(struct trunk_call *call, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	struct call_xfer *x = call->xfer;
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	struct trunk_call *c2 = x ? x->other : NULL;
	struct call_leg *y = c2 && x->old ? x->y : NULL;
	nta_outgoing_t *again;

	if (!x || orq != x->invite || status < 200)
		return 0;
	/* Y's carrier challenged: the same re-INVITE with credentials. */
	if (y &&
	    (again = call_auth_retry(call, y, orq, sip, xfer_join_response))) {
		nta_outgoing_destroy(orq);
		x->invite = again;
		return 0;
	}
	/* Destroyed after sip's last use: over TCP/TLS nta has ended the
	 * transaction and frees its response with it. */
	x->invite = NULL;
	if (y && status < 300)
		xfer_ack(call, y, orq);
	if (y && status < 300 && sip && call->state == CALL_CONFIRMED) {
		xfer_join(call, c2, y, sip);
		nta_outgoing_destroy(orq);
		return 0;
	}
	LOGI(SUBSYS, call->ctx, "attended transfer failed: %d", status);
	xfer_media_drop(x);
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
			 struct call_leg *xl, bool notify)
{
	struct call_leg *y;
	const char *last = call->sdp[cl == &call->a ? 0 : 1].last, *addr, *want;
	enum media_leg ml = call_media_leg(call, cl);
	uint16_t ports[TRUNK_SDP_MAX_MEDIA] = { 0 };
	struct media_session *m = call->media;
	struct trunk_call *c2;
	struct call_xfer *x, *x2;
	char why[120], *text;
	sip_payload_t *pl;
	int status;

	if (!xl)
		return 481;
	c2 = xl->call;
	y = call_peer(xl);
	if (!last || !m)
		return 488;
	if (call->state != CALL_CONFIRMED || c2->state != CALL_CONFIRMED ||
	    (call->xfer && (call->xfer->old || call->xfer->into)) ||
	    call_invite_busy(c2) ||
	    (c2->xfer && (c2->xfer->old || c2->xfer->into)))
		return 491;
	if (!(x = xfer_get(call)) || !(x2 = xfer_get(c2)))
		return 500;
	xfer_reset(x);
	/* Y gets the first call's relay endpoint toward X, or (Y across the
	 * trunk, the media addresses apart) one of its own on a new session
	 * the transferee moves to when Y answers (as xfer_offer()). */
	addr = media_session_addr(m, ml);
	want = media_engine_side_addr(call->gw->media, call_media_side(c2, y));
	if (!addr || !want)
		return 488;
	if (strcmp(addr, want)) {
		if ((status = xfer_media_new(call, cl, call_media_side(c2, y))))
			return status;
		m = x->media;
		addr = media_session_addr(m, ml);
	}
	/* That port, in Y's own o= session. */
	ports[0] = media_session_port(m, ml);
	if (trunk_sdp_rewrite(NULL, &c2->sdp[y == &c2->a ? 0 : 1], last,
			      strlen(last), addr, strchr(addr, ':'), ports,
			      TRUNK_SDP_MAX_MEDIA, &text, why, sizeof(why))) {
		xfer_media_drop(x);
		return 488;
	}
	pl = sip_payload_make(trunk_scratch_get(call->gw), text);
	free(text); /* kept as c2's sdp[].last */
	/* Toward a carrier: its hop, its connection, its digest (c2's). */
	x->invite = nta_outgoing_tcreate(
		y->leg, xfer_join_response, call, CALL_HOP(y),
		SIP_METHOD_INVITE, NULL, CALL_TPORT_TAG(y),
		SIPTAG_CONTACT(call_leg_contact(c2, y)),
		SIPTAG_HEADER_STR(call_timer_request_headers(c2, y)),
		SIPTAG_HEADER((sip_header_t *)call_auth(c2, y, "INVITE", pl)),
		SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD(pl),
		TAG_END());
	if (!x->invite) {
		xfer_media_drop(x);
		return 500;
	}
	x->old = cl;
	x->y = y;
	x->notify = notify;
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
		struct call_leg *xl = rp ? xfer_find_replaced(call, rp) : NULL;

		status = !rp   ? 400
			 : !xl ? 481
			       : xfer_attended(call, cl, xl, true);
	} else {
		status = xfer_start(call, cl, rt->r_url->url_user, sip, true);
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

/* The enterprise leg of a call (B when both are: an internal call), or
 * NULL. */
static struct call_leg *xfer_enterprise_leg(struct trunk_call *call)
{
	if (call->b.side == TRUNK_SIDE_ENTERPRISE)
		return &call->b;
	return call->a.side == TRUNK_SIDE_ENTERPRISE ? &call->a : NULL;
}

int trunk_call_transfer(struct trunk_gateway *gw, unsigned long long id,
			const char *target)
{
	struct trunk_call *call;
	struct call_leg *leg;
	char user[400] = "";

	trunk_uri_user_escape(target, user, sizeof(user));
	for (call = gw->calls; call; call = call->next) {
		if (call->id != id || call->state == CALL_TERMINATED)
			continue;
		leg = xfer_enterprise_leg(call);
		return leg ? xfer_start(call, leg, user, NULL, false) : 488;
	}
	return 404;
}

int trunk_call_join(struct trunk_gateway *gw, unsigned long long id,
		    unsigned long long other)
{
	struct trunk_call *call, *c1 = NULL, *c2 = NULL;
	struct call_leg *x1, *x2;

	for (call = gw->calls; call; call = call->next) {
		if (call->state == CALL_TERMINATED)
			continue;
		if (call->id == id)
			c1 = call;
		else if (call->id == other)
			c2 = call;
	}
	if (!c1 || !c2)
		return 404;
	x1 = xfer_enterprise_leg(c1);
	x2 = xfer_enterprise_leg(c2);
	if (!x1 || !x2)
		return 488;
	return xfer_attended(c1, x1, x2, false);
}

const char *call_xfer_trunk(const struct trunk_call *call,
			    const struct call_leg *leg)
{
	const struct call_xfer *x = call->xfer;

	if (x && x->other && leg == x->y) /* attended: Y, still c2's */
		return call_leg_trunk(x->other, leg);
	return x && leg == &x->next && x->trunk[0] ? x->trunk : NULL;
}

void call_xfer_free(struct trunk_call *call)
{
	struct call_xfer *x = call->xfer;

	call_reoffer_free(call);
	if (!x)
		return;
	xfer_unlink(call);
	xfer_invite_abandon(call); /* the call ended while the target rang */
	if (x->next.leg)
		nta_leg_destroy(x->next.leg);
	if (x->gone.bye)
		nta_outgoing_destroy(x->gone.bye);
	if (x->gone.leg)
		nta_leg_destroy(x->gone.leg);
	free(x->route);
	xfer_media_drop(x);
	call->xfer = NULL;
}
