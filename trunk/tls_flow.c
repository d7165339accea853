/*
 * A TLS connection to an SP-SSE held open by its owner (TLS-11, TLS-12):
 * after a request answered over it, the owner (peer.c's OPTIONS
 * supervision) holds the connection and is told as soon as it closes, so
 * that it can open a new one at once instead of at the next ping.
 *
 * Sofia tells every request registered as pending on a connection when
 * that connection closes (tport_pend(); Debian's tport_close() reports
 * "stream closed" to them). We register one pseudo-request of our own and
 * keep it pending for the life of the hold; the report comes from inside
 * the transport, so the owner hears of it from a zero-delay timer.
 *
 *   hold ─▶ HELD ──closed (tport report)──▶ timer ──▶ owner's lost()
 *             └── trunk_tls_flow_release() ──▶ (freed)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_tls_flow
#define TP_CLIENT_T    struct trunk_tls_flow

#include "gateway.h"
#include "tls.h"
#include "certs/certs.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.tls"

struct trunk_tls_flow {
	tport_t *tp; /* ref */
	msg_t *msg;  /* our pending pseudo-request */
	int pendd;   /* tport_pend() handle, 0: none */
	su_timer_t *timer;
	trunk_tls_lost_h *lost;
	void *arg;
	char ctx[120];
	char peer[200];	    /* "tls/host:port" */
	char hostport[200]; /* "host:port", "[v6]:port" (certs/' form) */
};

static void flow_lost_now(su_root_magic_t *m, su_timer_t *t,
			  struct trunk_tls_flow *f)
{
	(void)m;
	(void)t;
	LOGW(SUBSYS, f->ctx, "TLS connection to %s lost: opening a new one now",
	     f->peer);
	f->lost(f->arg); /* releases f */
}

/* From inside the transport: the connection closed. */
static void flow_closed(tp_stack_t *stack, struct trunk_tls_flow *f,
			tport_t *tp, msg_t *msg, int error)
{
	(void)stack;
	(void)msg;
	(void)error;
	if (f->pendd)
		tport_release(tp, f->pendd, f->msg, NULL, f, 0);
	f->pendd = 0;
	su_timer_set_interval(f->timer, flow_lost_now, f, 0);
}

void trunk_tls_flow_release(struct trunk_tls_flow **fp)
{
	struct trunk_tls_flow *f = *fp;

	if (!f)
		return;
	*fp = NULL;
	if (f->pendd)
		tport_release(f->tp, f->pendd, f->msg, NULL, f, 0);
	if (f->tp)
		tport_unref(f->tp);
	if (f->msg)
		msg_destroy(f->msg);
	su_timer_destroy(f->timer);
	free(f);
}

int trunk_tls_flow_hold(struct trunk_gateway *gw, struct nta_outgoing_s *orq,
			const char *ctx, trunk_tls_lost_h *lost, void *arg,
			struct trunk_tls_flow **fp)
{
	tport_t *tp = nta_outgoing_transport(orq);
	struct trunk_tls_flow *f;
	struct trunk_tls_state st;
	tp_name_t const *tpn;

	if (!tp)
		return ENOENT;
	if (*fp && (*fp)->tp == tp) { /* the one we hold already */
		tport_unref(tp);
		return 0;
	}
	tpn = tport_name(tp);
	if (!tport_is_secondary(tp) || !tport_is_connected(tp) ||
	    strcmp(tpn->tpn_proto, "tls") || !(f = calloc(1, sizeof(*f)))) {
		tport_unref(tp);
		return EINVAL;
	}
	trunk_tls_flow_release(fp);
	f->tp = tp;
	f->lost = lost;
	f->arg = arg;
	snprintf(f->ctx, sizeof(f->ctx), "%s", ctx);
	snprintf(f->peer, sizeof(f->peer), "tls/%s:%s", tpn->tpn_host,
		 tpn->tpn_port);
	trunk_tls_hostport(tpn->tpn_host, tpn->tpn_port, f->hostport,
			   sizeof(f->hostport));
	f->msg = nta_msg_create(trunk_agent_nta(gw->agents[TRUNK_SIDE_TRUNK]),
				0);
	f->timer = su_timer_create(su_root_task(gw->root), 0);
	if (f->msg && f->timer)
		f->pendd = tport_pend(tp, f->msg, flow_closed, f);
	if (f->pendd <= 0) {
		f->pendd = 0;
		trunk_tls_flow_release(&f);
		return ENOMEM;
	}
	*fp = f;
	/* certs/' verdict (Sofia's own tport_is_verified() is false on a
	 * connection certs/ verified by the domain: RFC 5922). */
	trunk_tls_flow_info(f, &st);
	LOGI(SUBSYS, f->ctx, "TLS connection to %s held open (%s%s)", f->peer,
	     st.verified ? "certificate verified as "
			 : "certificate not verified",
	     st.verified ? st.identity : "");
	return 0;
}

/* certs/' snapshot of the connection to want (outgoing, up). */
struct flow_find {
	const char *want; /* "host:port" */
	struct trunk_tls_state *out;
};

static void flow_find_conn(const struct certs_conn_info *ci, void *arg)
{
	struct flow_find *ff = arg;

	if (!ci->outgoing || ci->state != CERTS_CONN_UP ||
	    strcmp(ci->peer, ff->want))
		return;
	ff->out->verified = true;
	snprintf(ff->out->version, sizeof(ff->out->version), "%s", ci->version);
	snprintf(ff->out->cipher, sizeof(ff->out->cipher), "%s", ci->cipher);
	snprintf(ff->out->identity, sizeof(ff->out->identity), "%s",
		 ci->identity);
	ff->out->expiry = (long long)ci->peer_expiry;
	snprintf(ff->out->ocsp, sizeof(ff->out->ocsp), "%s",
		 certs_ocsp_status_name(ci->ocsp));
}

void trunk_tls_conn_state(const char *hostport, struct trunk_tls_state *out)
{
	struct flow_find ff = { hostport, out };

	memset(out, 0, sizeof(*out));
	certs_conn_foreach(flow_find_conn, &ff);
	out->connected = out->verified;
}

void trunk_tls_flow_info(const struct trunk_tls_flow *f,
			 struct trunk_tls_state *out)
{
	struct flow_find ff = { f ? f->hostport : "", out };

	memset(out, 0, sizeof(*out));
	if (!f || tport_is_closed(f->tp))
		return;
	out->connected = true;
	/* Without certs/' repair, Sofia's own verdict. */
	out->verified = tport_is_verified(f->tp);
	certs_conn_foreach(flow_find_conn, &ff);
}
