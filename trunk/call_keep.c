/*
 * RFC 6223 keep on the dialogs trunkd forms toward a trunk (KEEP-1,
 * KEEP-2, KEEP-4). Our INVITE to the trunk offers `keep` in its top Via
 * (nta's own Via, so never in the ACK of a 2xx or any other request of the
 * dialog); when the 2xx's Via answers keep=<n>, a flow (flow.c) sends
 * keep-alives toward that hop every 80-100 % of n, over the transport the
 * 2xx came on, until the call is freed. The value is taken once, from the
 * first 2xx: nothing in the dialog renegotiates it (KEEP-4).
 *
 * Offered only when the trunk's keepalive is not off (offering means
 * promising to send keep-alives). A failed keep-alive flow is logged; the
 * call itself goes on (its own transactions notice a dead peer).
 */
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "flow.h"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#define SUBSYS "trunk.call"

static const struct config_section *call_keep_trunk(struct trunk_call *call,
						    struct call_leg *leg)
{
	const char *name = call_leg_trunk(call, leg);
	const struct config_section *t =
		name ? trunk_config_trunk(call->gw->cfg, name) : NULL;

	return t && strcmp(config_get_str(t, "keepalive"), "off") ? t : NULL;
}

const char *call_keep_via(struct trunk_call *call, struct call_leg *leg)
{
	sip_contact_t const *m;
	char tp[8] = "";

	if (!call_keep_trunk(call, leg))
		return NULL;
	m = call_leg_contact(call, leg);
	if (!m || !m->m_url->url_host)
		return NULL;
	url_param(m->m_url->url_params, "transport", tp, sizeof(tp));
	/* KEEP-1: nta keeps this sent-by, fixes the protocol to the
	 * transport it uses and adds rport and a branch (../notes 4.4). */
	return su_sprintf(trunk_scratch_get(call->gw), "SIP/2.0/%s %s%s%s;keep",
			  !strcasecmp(tp, "tls")   ? "TLS"
			  : !strcasecmp(tp, "tcp") ? "TCP"
						   : "UDP",
			  m->m_url->url_host, m->m_url->url_port ? ":" : "",
			  m->m_url->url_port ? m->m_url->url_port : "");
}

static void call_keep_failed(struct trunk_flow *f, const char *why, void *arg)
{
	struct trunk_call *call = arg;

	(void)f;
	LOGW(SUBSYS, call->ctx, "keep-alives toward the trunk failed: %s", why);
}

void call_keep_start(struct trunk_call *call, struct call_leg *leg,
		     nta_outgoing_t *orq, sip_t const *sip)
{
	const struct config_section *t = call_keep_trunk(call, leg);
	const char *keep, *bad = NULL;
	struct trunk_flow_params fp = { .enabled = true, .call = call->ctx };
	unsigned server_s;

	if (!t || leg->keep_flow || !orq || !sip->sip_via)
		return;
	keep = msg_header_find_param(sip->sip_via->v_common, "keep");
	if (!keep || !*keep)
		return; /* not answered: the peer wants none (RFC 6223 4.3) */
	server_s = trunk_flow_server_value(keep, &bad);
	if (!server_s && strcmp(keep, "0"))
		LOGW(SUBSYS, call->ctx,
		     "ignoring keep=%.40s in the 2xx's Via (%s): default "
		     "interval",
		     keep, bad ? bad : "unusable");
	if (config_is_set(t, "keepalive_interval"))
		fp.default_ms =
			(unsigned)config_get_int(t, "keepalive_interval");
	fp.timeout_ms = (unsigned)config_get_int(t, "keepalive_timeout");
	/* No OPTIONS probes: a failure would change nothing for the call. */
	leg->keep_flow = trunk_flow_alloc(call->gw, config_section_name(t), &fp,
					  call_keep_failed, call);
	if (!leg->keep_flow) {
		LOGW(SUBSYS, call->ctx, "no memory for the keep-alive flow");
		return;
	}
	trunk_flow_bind_orq(leg->keep_flow, orq, server_s, TRUNK_FLOW_SRC_KEEP);
}

void call_keep_stop(struct call_leg *leg)
{
	if (!leg->keep_flow)
		return;
	trunk_flow_close(leg->keep_flow);
	trunk_flow_free(leg->keep_flow);
	leg->keep_flow = NULL;
}
