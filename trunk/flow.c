/*
 * Flows (RFC 5626 3.5, 4.4; SIPconnect 16.4): the transport a
 * registration was granted over, kept alive and watched.
 *
 *            bind: 2xx to REGISTER over transport T
 *   IDLE ─────────────────────────────────────────▶ UP ◀─┐ bind again on
 *     ▲                                             │    │ each refresh:
 *     │ bind (a new transport after a failure:      │    │ interval renego-
 *     │ OB-5, same reg-id)                          │    │ tiated (KEEP-4)
 *     │                                             ├────┘
 *     │        connection closed, pong missing (OB-2),
 *     │        send error, transaction failure      │
 *   FAILED ◀────────────────────────────────────────┘
 *   any ── close (un-REGISTER, shutdown) ──▶ CLOSED
 *
 * Keep-alives per transport (interval OB-4, KEEP-2):
 *  - TCP: Sofia's own CRLFCRLF ping and pong timer on the connection
 *    (TPTAG_KEEPALIVE, TPTAG_PINGPONG; ../notes 4.1): it pings after the
 *    interval without sending and closes the connection when no byte comes
 *    back within the pong timeout; the close reaches us through tport_pend().
 *  - TLS: Sofia's TLS has no timers, so our timer sends CRLFCRLF as a
 *    pre-encoded pseudo-message (one 4-byte record). The pong cannot be
 *    observed through tport (no callback), so after every Nth keep-alive
 *    (probe_every) an OPTIONS goes over the flow: any answer from the peer
 *    stands for the pong; none within the pong timeout (or nta's own
 *    timeout/transport error) is the missing pong: FAILED (OB-2). Failure
 *    also comes from the connection closing or a send error.
 *  - UDP: a STUN Binding request (RFC 5389) from the SIP socket to the
 *    SP-SSE (OB-3). Sofia drops STUN responses on a SIP socket
 *    (tport_recv_stun_dgram: no vtp_stun_response for UDP); stun.c sees
 *    them first (its su_vrecv()) and hands them to flow_stun_seen(). The
 *    first answer on a flow sets its mapped address; a different
 *    XOR-MAPPED-ADDRESS later = FAILED. Once the SP-SSE has answered STUN
 *    on this flow, a request is retransmitted once at half the pong
 *    timeout and no answer within the timeout = FAILED (one that never
 *    answers may not speak STUN: then only the OPTIONS probe, as on TLS,
 *    detects a silent peer).
 */
#define TP_CLIENT_T	     struct trunk_flow
#define SU_TIMER_ARG_T	     struct trunk_flow
#define NTA_LEG_MAGIC_T	     struct trunk_flow
#define NTA_OUTGOING_MAGIC_T struct trunk_flow
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow.h"
#include "gateway.h"
#include "stun.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

#define SUBSYS "trunk.flow"

const char *const trunk_flow_state_names[] = {
	[TRUNK_FLOW_IDLE] = "idle",
	[TRUNK_FLOW_UP] = "up",
	[TRUNK_FLOW_FAILED] = "failed",
	[TRUNK_FLOW_CLOSED] = "closed",
};

const char *const trunk_flow_source_names[] = {
	[TRUNK_FLOW_SRC_DEFAULT] = "default",
	[TRUNK_FLOW_SRC_FLOW_TIMER] = "Flow-Timer",
	[TRUNK_FLOW_SRC_KEEP] = "keep",
};

enum flow_transport { FLOW_TP_NONE, FLOW_TP_UDP, FLOW_TP_TCP, FLOW_TP_TLS };
static const char *const flow_transport_names[] = {
	[FLOW_TP_NONE] = "-",
	[FLOW_TP_UDP] = "udp",
	[FLOW_TP_TCP] = "tcp",
	[FLOW_TP_TLS] = "tls",
};

struct trunk_flow {
	struct trunk_gateway *gw; /* borrowed */
	trunk_flow_failed_h *failed;
	void *arg; /* the owner, borrowed */
	struct trunk_flow_params p;
	char trunk[64];
	char ctx[160];
	unsigned id; /* 1, 2, ...: a new one per bound transport */
	enum trunk_flow_state state;
	enum flow_transport transport;
	tport_t *tp; /* referenced while bound */
	int pendd;   /* tport_pend() handle on a connection, 0: none */
	char local[80], remote[80];
	unsigned server_s, interval_ms;
	enum trunk_flow_source source;
	su_timer_t *ka_timer;	  /* our keep-alives (TLS, UDP) */
	su_timer_t *notify_timer; /* failure reported outside Sofia */
	nta_outgoing_t *probe;	  /* OPTIONS over the flow (TLS, UDP) */
	su_timer_t *probe_timer;  /* its pong timeout */
	unsigned since_probe;	  /* keep-alives since the last probe */
	time_t up_since, last_ping, last_pong;
	unsigned long pings, failures;
	uint8_t stun_txid[12];
	su_timer_t *pong_timer;	 /* STUN answer (OB-3), TLS pong deadline */
	unsigned stun_sent;	 /* sends of the outstanding request, 0: none */
	bool stun_retransmitted; /* its deadline is the final one */
	bool stun_answered;	 /* the peer answered STUN on this flow */
	bool tls_ponged;	 /* TLS: the peer answered a ping with CRLF */
	bool tls_ping_out;	 /* TLS: a ping waits for data back */
	bool stun_silent_logged;
	char mapped[80]; /* the first answer's mapped address, "" none */
	char reason[160];
	char call[64]; /* a dialog's flow: its call; "" registration's */
	struct trunk_flow *next; /* every flow of the process (flow_list) */
};

/* Every flow, for STUN answers (which name no flow) and `trunkctl flows`;
 * touched only on the signalling thread. */
static struct trunk_flow *flow_list;
static bool flow_watching; /* stun.c shows us STUN answers */

/* ---------------------------------------------------------------------- */
/* Pure functions (STYLE.md 12)                                           */

static unsigned flow_between(unsigned lo, unsigned hi, uint32_t rnd)
{
	return hi <= lo ? lo : lo + (unsigned)(rnd % (uint64_t)(hi - lo + 1));
}

unsigned trunk_flow_keepalive_ms(unsigned server_s, bool stream,
				 unsigned default_ms, uint32_t rnd)
{
	if (server_s)
		return flow_between(server_s * 800u, server_s * 1000u, rnd);
	if (default_ms)
		return flow_between(default_ms / 10 * 8, default_ms, rnd);
	/* RFC 5626 4.4.1: no Flow-Timer. */
	return stream ? flow_between(95000, 120000, rnd)
		      : flow_between(24000, 29000, rnd);
}

unsigned trunk_flow_backoff_s(const struct trunk_flow_backoff *b,
			      unsigned failures, bool all_failed, uint32_t rnd)
{
	unsigned long long wait =
		all_failed ? b->all_failed_s : b->some_failed_s;
	unsigned s;

	while (failures-- > 0 && wait < b->max_s)
		wait *= 2;
	if (wait > b->max_s)
		wait = b->max_s;
	/* a uniform 50-100 % of wait-time */
	s = flow_between((unsigned)(wait / 2), (unsigned)wait, rnd);
	return s ? s : 1;
}

unsigned trunk_flow_server_value(const char *text, const char **bad)
{
	unsigned long v = 0;
	const char *c;

	*bad = NULL;
	if (!text)
		return 0;
	for (c = text; *c == ' ' || *c == '\t'; c++)
		;
	if (!*c) {
		*bad = "no value";
		return 0;
	}
	for (; *c >= '0' && *c <= '9'; c++)
		if ((v = v * 10 + (unsigned long)(*c - '0')) > 1000000)
			break;
	while (*c == ' ' || *c == '\t')
		c++;
	if (*c)
		*bad = "not a number";
	else if (v == 0)
		*bad = "zero";
	else if (v > 3600)
		*bad = "above 3600 s";
	return *bad ? 0 : (unsigned)v;
}

/* xorshift32: the process's one random source for intervals. */
static uint32_t flow_rnd_state;

void trunk_random_seed(uint32_t seed)
{
	if (!seed)
		seed = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	flow_rnd_state = seed ? seed : 2463534242u;
}

uint32_t trunk_random(void)
{
	uint32_t x = flow_rnd_state;

	if (!x) {
		trunk_random_seed(0);
		x = flow_rnd_state;
	}
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return flow_rnd_state = x;
}

/* ---------------------------------------------------------------------- */
/* State machine                                                          */

static void flow_notify_fired(su_root_magic_t *m, su_timer_t *t,
			      struct trunk_flow *f)
{
	(void)m;
	(void)t;
	if (f->state == TRUNK_FLOW_FAILED && f->failed)
		f->failed(f, f->reason, f->arg);
}

static void flow_probe_done(struct trunk_flow *f)
{
	su_timer_reset(f->probe_timer);
	if (f->probe)
		nta_outgoing_destroy(f->probe);
	f->probe = NULL;
}

/* Release the transport: pending registration, reference, timers. */
static void flow_unbind(struct trunk_flow *f)
{
	su_timer_reset(f->ka_timer);
	su_timer_reset(f->pong_timer);
	f->stun_sent = 0;
	f->tls_ping_out = false;
	flow_probe_done(f);
	f->since_probe = 0;
	if (!f->tp)
		return;
	if (f->pendd > 0)
		tport_release(f->tp, f->pendd, NULL, NULL, f, 0);
	f->pendd = 0;
	tport_unref(f->tp);
	f->tp = NULL;
}

static void flow_ka_arm(struct trunk_flow *f);

/* The only writer of f->state (STYLE.md 10): logs, runs entry actions. */
static void flow_set_state(struct trunk_flow *f, enum trunk_flow_state next,
			   const char *why)
{
	enum trunk_flow_state prev = f->state;
	char name[140];

	if (prev != next) {
		LOGI(SUBSYS, f->ctx, "%s -> %s (%s)",
		     trunk_flow_state_names[prev], trunk_flow_state_names[next],
		     why);
		/* A dialog's flow: "TRUNK CALL" (call_keep.c). */
		snprintf(name, sizeof(name), "%s%s%s", f->trunk,
			 f->call[0] ? " " : "", f->call);
		trunk_hook_run(f->gw, "flow", name,
			       trunk_flow_state_names[next], why);
	}
	f->state = next;
	switch (next) {
	case TRUNK_FLOW_IDLE:
		break;
	case TRUNK_FLOW_UP:
		flow_ka_arm(f);
		break;
	case TRUNK_FLOW_FAILED:
		/* Tell the owner from the loop, not from inside tport. */
		snprintf(f->reason, sizeof(f->reason), "%s", why);
		f->failures++;
		flow_unbind(f);
		su_timer_set_interval(f->notify_timer, flow_notify_fired, f, 0);
		break;
	case TRUNK_FLOW_CLOSED:
		su_timer_reset(f->notify_timer);
		flow_unbind(f);
		break;
	}
}

/* ---------------------------------------------------------------------- */
/* Keep-alives                                                            */

/* Send raw bytes over the flow as one pre-encoded pseudo-message (../notes
 * 4.3): msg_prepare() keeps pre-encoded header data, so the wire image is
 * exactly these bytes (binary-safe, length-based). */
static int tport_send_raw(nta_agent_t *nta, tport_t *tp, const void *data,
			  size_t len, tp_name_t const *tpn)
{
	msg_t *m = nta_msg_create(nta, 0);
	sip_t *sip = sip_object(m);
	sip_request_t *rq;
	sip_separator_t *sep;
	int rc = EIO;

	if (!m)
		return ENOMEM;
	rq = sip_request_create(msg_home(m), SIP_METHOD_OPTIONS,
				(url_string_t *)"sip:invalid", NULL);
	sep = sip_separator_create(msg_home(m));
	if (rq && sep) {
		char *copy = su_alloc(msg_home(m), len);

		if (copy) {
			memcpy(copy, data, len);
			rq->rq_common->h_data = copy;
			rq->rq_common->h_len = len;
			sep->sep_common->h_data = "";
			sep->sep_common->h_len = 0;
			if (!msg_header_insert(m, (msg_pub_t *)sip,
					       (msg_header_t *)rq) &&
			    !msg_header_insert(m, (msg_pub_t *)sip,
					       (msg_header_t *)sep) &&
			    msg_serialize(m, (msg_pub_t *)sip) == 0 &&
			    msg_prepare(m) >= 0 &&
			    tport_tsend(tp, m, tpn, TAG_END()))
				rc = 0;
		}
	}
	msg_destroy(m);
	return rc;
}

int trunk_tport_send_raw(nta_agent_t *nta, tport_t *tp, const void *data,
			 size_t len)
{
	return tport_send_raw(nta, tp, data, len, tport_name(tp));
}

static int flow_send_raw(struct trunk_flow *f, const void *data, size_t len,
			 tp_name_t const *tpn)
{
	return tport_send_raw(trunk_agent_nta(f->gw->agents[TRUNK_SIDE_TRUNK]),
			      f->tp, data, len, tpn);
}

/* "ip:port" -> a resolved tport name for a UDP send. */
static bool flow_udp_name(struct trunk_flow *f, tp_name_t *tpn, char *host,
			  size_t len, char **port)
{
	char *c;

	snprintf(host, len, "%s",
		 f->remote[0] == '[' ? f->remote + 1 : f->remote);
	c = strrchr(host, ':');
	if (!c)
		return false;
	*c = '\0';
	*port = c + 1;
	if ((c = strchr(host, ']')))
		*c = '\0';
	memset(tpn, 0, sizeof(*tpn));
	tpn->tpn_proto = "udp";
	tpn->tpn_host = tpn->tpn_canon = host;
	tpn->tpn_port = *port;
	return true;
}

/* A dead but open connection: FAILED, and closed so that the owner's
 * next request opens a new one instead of reusing it (OB-5). */
static void flow_probe_failed(struct trunk_flow *f, const char *why)
{
	tport_t *tp;

	if (f->state != TRUNK_FLOW_UP || !f->tp)
		return;
	tp = tport_ref(f->tp);
	flow_set_state(f, TRUNK_FLOW_FAILED, why);
	if (f->transport != FLOW_TP_UDP)
		tport_shutdown(tp, 2);
	tport_unref(tp);
}

/* The probe's answer: from the peer (any status) = the pong; nta's own
 * (timeout, transport error) = missing. */
static int flow_probe_response(struct trunk_flow *f, nta_outgoing_t *orq,
			       sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status
					    : nta_outgoing_status(orq);
	char why[120];

	if (status < 200 && sip && !nta_sip_is_internal(sip)) {
		f->last_pong = time(NULL); /* a 1xx from the peer will do */
		su_timer_reset(f->probe_timer);
		return 0;
	}
	if (status < 200)
		return 0;
	if (sip && !nta_sip_is_internal(sip)) {
		f->last_pong = time(NULL);
		LOGD(SUBSYS, f->ctx, "OPTIONS probe answered %d", status);
		flow_probe_done(f);
		return 0;
	}
	snprintf(why, sizeof(why), "OPTIONS probe failed (%d): no pong (OB-2)",
		 status);
	flow_probe_done(f);
	flow_probe_failed(f, why);
	return 0;
}

static void flow_probe_timeout(su_root_magic_t *m, su_timer_t *t,
			       struct trunk_flow *f)
{
	char why[120];

	(void)m;
	(void)t;
	snprintf(why, sizeof(why),
		 "no answer to an OPTIONS probe within %u ms: no pong (OB-2)",
		 f->p.timeout_ms);
	flow_probe_done(f);
	flow_probe_failed(f, why);
}

/* TLS and UDP: Sofia shows no pong, so ask the peer for an answer over
 * this very transport (OB-2). */
static void flow_probe_send(struct trunk_flow *f)
{
	char ruri[120], from[140], to[140];

	f->since_probe = 0;
	if (f->probe)
		return; /* the previous one is still out: its timeout decides */
	snprintf(ruri, sizeof(ruri), "sip:%s;transport=%s", f->remote,
		 flow_transport_names[f->transport]);
	snprintf(from, sizeof(from), "<sip:trunkd@%s>", f->local);
	snprintf(to, sizeof(to), "<sip:%s>", f->remote);
	f->probe = nta_outgoing_tcreate(
		trunk_agent_out_leg(f->gw->agents[TRUNK_SIDE_TRUNK]),
		flow_probe_response, f, NULL, SIP_METHOD_OPTIONS,
		URL_STRING_MAKE(ruri), NTATAG_TPORT(f->tp),
		SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
	if (!f->probe) {
		flow_set_state(f, TRUNK_FLOW_FAILED,
			       "cannot send OPTIONS probe");
		return;
	}
	su_timer_set_interval(f->probe_timer, flow_probe_timeout, f,
			      (su_duration_t)f->p.timeout_ms);
}

/* ---------------------------------------------------------------------- */
/* STUN keep-alives on UDP (OB-3)                                          */

static void flow_stun_timeout(su_root_magic_t *m, su_timer_t *t,
			      struct trunk_flow *f);

/* Send the outstanding Binding request, or a new one (a fresh
 * transaction id and answer deadline) when none is out. */
static int flow_stun_send(struct trunk_flow *f)
{
	uint8_t req[TRUNK_STUN_HEADER];
	tp_name_t tpn;
	char host[80], *port;
	uint32_t r;
	int i;

	if (!f->stun_sent) {
		f->stun_retransmitted = false;
		for (i = 0; i < 12; i += 4) {
			r = trunk_random();
			memcpy(f->stun_txid + i, &r, 4);
		}
		/* RFC 5389 7.2.1: one retransmission at half the timeout. */
		su_timer_set_interval(f->pong_timer, flow_stun_timeout, f,
				      (su_duration_t)(f->p.timeout_ms / 2));
	}
	f->stun_sent++;
	trunk_stun_binding_request(req, f->stun_txid);
	if (!flow_udp_name(f, &tpn, host, sizeof(host), &port))
		return EINVAL;
	return flow_send_raw(f, req, sizeof(req), &tpn);
}

static void flow_stun_timeout(su_root_magic_t *m, su_timer_t *t,
			      struct trunk_flow *f)
{
	char why[160];

	(void)m;
	(void)t;
	if (f->state != TRUNK_FLOW_UP || !f->stun_sent)
		return;
	if (!f->stun_retransmitted) { /* half the timeout: send it again */
		f->stun_retransmitted = true;
		/* (not to a peer that never answered: it may not speak STUN) */
		if (f->stun_answered && flow_stun_send(f))
			flow_set_state(f, TRUNK_FLOW_FAILED,
				       "keep-alive send failed");
		else
			su_timer_set_interval(
				f->pong_timer, flow_stun_timeout, f,
				(su_duration_t)(f->p.timeout_ms -
						f->p.timeout_ms / 2));
		return;
	}
	f->stun_sent = 0;
	if (!f->stun_answered) {
		/* A peer that never answers STUN may not speak it. */
		if (!f->stun_silent_logged)
			LOGI(SUBSYS, f->ctx,
			     "the SP-SSE does not answer STUN Binding: "
			     "no XOR-MAPPED-ADDRESS check; %s",
			     f->p.probe_every ? "OPTIONS probes watch the flow"
					      : "nothing watches the flow");
		f->stun_silent_logged = true;
		return;
	}
	snprintf(why, sizeof(why),
		 "no STUN Binding response within %u ms (OB-3)",
		 f->p.timeout_ms);
	flow_set_state(f, TRUNK_FLOW_FAILED, why);
}

/* "ip:port" ("[v6]:port") of sa; v4-mapped IPv6 as IPv4. */
static void flow_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[64] = "?";
	unsigned port = 0;
	bool v6 = false;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			inet_ntop(AF_INET, s->sin6_addr.s6_addr + 12, host,
				  sizeof(host));
		} else {
			inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
			v6 = true;
		}
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		 port);
}

/* stun.c's watcher: a Binding success response reached a SIP UDP socket
 * (inside Sofia's receive: no tport calls but flow_set_state()'s). */
static void flow_stun_seen(const uint8_t *msg, size_t len,
			   const struct sockaddr *from)
{
	struct sockaddr_storage mapped;
	uint8_t txid[12];
	char src[80], addr[80], why[220];
	struct trunk_flow *f;

	if (!from || trunk_stun_binding_mapped(msg, len, txid, &mapped))
		return;
	flow_addr_str(from, src, sizeof(src));
	for (f = flow_list; f; f = f->next)
		if (f->state == TRUNK_FLOW_UP && f->transport == FLOW_TP_UDP &&
		    f->stun_sent && !memcmp(f->stun_txid, txid, 12) &&
		    !strcmp(f->remote, src))
			break;
	if (!f) {
		LOGD(SUBSYS, NULL, "STUN answer from %s for no flow", src);
		return;
	}
	flow_addr_str((const struct sockaddr *)&mapped, addr, sizeof(addr));
	f->stun_sent = 0;
	su_timer_reset(f->pong_timer);
	f->last_pong = time(NULL);
	f->stun_answered = true;
	if (!f->mapped[0]) {
		snprintf(f->mapped, sizeof(f->mapped), "%s", addr);
		LOGI(SUBSYS, f->ctx, "STUN: the SP-SSE sees us as %s", addr);
		return;
	}
	if (!strcmp(f->mapped, addr)) {
		LOGD(SUBSYS, f->ctx, "STUN answer: %s", addr);
		return;
	}
	snprintf(why, sizeof(why),
		 "XOR-MAPPED-ADDRESS changed from %s to %s (OB-3)", f->mapped,
		 addr);
	flow_set_state(f, TRUNK_FLOW_FAILED, why);
}

/* ---------------------------------------------------------------------- */
/* Pongs on TLS (OB-2): certs/ shows what a TLS connection received        */

static void flow_tls_pong_timeout(su_root_magic_t *m, su_timer_t *t,
				  struct trunk_flow *f)
{
	char why[120];

	(void)m;
	(void)t;
	if (!f->tls_ping_out)
		return;
	f->tls_ping_out = false;
	if (!f->tls_ponged)
		return; /* a peer that never pongs: the OPTIONS probe decides */
	snprintf(why, sizeof(why),
		 "no pong to a CRLFCRLF ping within %u ms (OB-2)",
		 f->p.timeout_ms);
	flow_probe_failed(f, why);
}

void trunk_flow_tls_received(const char *peer, const void *data, size_t n)
{
	struct trunk_flow *f;
	bool pong = n == 2 && !memcmp(data, "\r\n", 2);

	for (f = flow_list; f; f = f->next) {
		if (f->state != TRUNK_FLOW_UP || f->transport != FLOW_TP_TLS ||
		    strcmp(f->remote, peer))
			continue;
		/* Any data shows the peer alive; only a CRLF is a pong. */
		f->last_pong = time(NULL);
		if (pong && !f->tls_ponged) {
			f->tls_ponged = true;
			LOGI(SUBSYS, f->ctx,
			     "the SP-SSE pongs: a ping without answer within "
			     "%u ms fails the flow",
			     f->p.timeout_ms);
		}
		if (f->tls_ping_out) {
			f->tls_ping_out = false;
			su_timer_reset(f->pong_timer);
		}
	}
}

static void flow_ka_fired(su_root_magic_t *m, su_timer_t *t,
			  struct trunk_flow *f)
{
	static const char crlf2[] = "\r\n\r\n";
	int rc;

	(void)m;
	(void)t;
	if (f->state != TRUNK_FLOW_UP || !f->tp)
		return;
	if (f->transport == FLOW_TP_UDP) {
		rc = flow_stun_send(f);
	} else {
		rc = flow_send_raw(f, crlf2, 4, tport_name(f->tp));
		if (!rc && !f->tls_ping_out) {
			/* OB-2: data must come back within the timeout. */
			f->tls_ping_out = true;
			su_timer_set_interval(f->pong_timer,
					      flow_tls_pong_timeout, f,
					      (su_duration_t)f->p.timeout_ms);
		}
	}
	if (rc) {
		flow_set_state(f, TRUNK_FLOW_FAILED, "keep-alive send failed");
		return;
	}
	f->pings++;
	f->last_ping = time(NULL);
	LOGD(SUBSYS, f->ctx, "%s keep-alive sent",
	     f->transport == FLOW_TP_UDP ? "STUN" : "CRLFCRLF");
	flow_ka_arm(f);
	if (f->p.probe_every && ++f->since_probe >= f->p.probe_every)
		flow_probe_send(f);
}

/* Entry action of UP: (re)start the keep-alives at a fresh 80-100 %. */
static void flow_ka_arm(struct trunk_flow *f)
{
	bool stream = f->transport != FLOW_TP_UDP;

	su_timer_reset(f->ka_timer);
	if (!f->p.enabled || !f->tp) {
		f->interval_ms = 0;
		return;
	}
	f->interval_ms = trunk_flow_keepalive_ms(
		f->server_s, stream, f->p.default_ms, trunk_random());
	if (f->transport == FLOW_TP_TCP) {
		/* Sofia pings after interval_ms without sending and closes
		 * after timeout_ms without a byte back (OB-2). */
		if (tport_set_params(f->tp, TPTAG_KEEPALIVE(f->interval_ms),
				     TPTAG_PINGPONG(f->p.timeout_ms),
				     TPTAG_PONG2PING(1), TAG_END()) < 0)
			LOGW(SUBSYS, f->ctx,
			     "cannot set keep-alive on the connection");
		return;
	}
	su_timer_set_interval(f->ka_timer, flow_ka_fired, f, f->interval_ms);
}

/* tport_pend() callback: the connection closed or failed (pong timeout:
 * EPIPE). Runs inside tport; the owner hears of it from a timer. */
static void flow_tport_error(tp_stack_t *stack, struct trunk_flow *f,
			     tport_t *tp, msg_t *msg, int error)
{
	char why[120];

	(void)stack;
	(void)msg;
	LOGD(SUBSYS, f->ctx, "transport error %d on %p (flow's %p, %s)", error,
	     (void *)tp, (void *)f->tp, trunk_flow_state_names[f->state]);
	if (tp != f->tp || f->state != TRUNK_FLOW_UP)
		return;
	if (error == EPIPE)
		snprintf(why, sizeof(why),
			 "no pong within %u ms, connection closed (OB-2)",
			 f->p.timeout_ms);
	else if (error)
		snprintf(why, sizeof(why), "connection error: %s",
			 strerror(error));
	else
		snprintf(why, sizeof(why), "connection closed by the peer");
	/* Release our pending entry now (safe inside the report: tport
	 * reads nothing of it after the callback): a later report on this
	 * connection must not reach a flow that may be gone by then. */
	if (f->pendd > 0)
		tport_release(tp, f->pendd, NULL, NULL, f, 0);
	f->pendd = 0;
	flow_set_state(f, TRUNK_FLOW_FAILED, why);
}

/* ---------------------------------------------------------------------- */
/* API                                                                    */

struct trunk_flow *trunk_flow_alloc(struct trunk_gateway *gw, const char *trunk,
				    const struct trunk_flow_params *p,
				    trunk_flow_failed_h *failed, void *arg)
{
	struct trunk_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->gw = gw;
	f->p = *p;
	f->failed = failed;
	f->arg = arg;
	snprintf(f->trunk, sizeof(f->trunk), "%s", trunk);
	snprintf(f->call, sizeof(f->call), "%s", p->call ? p->call : "");
	f->p.call = NULL; /* not kept: f->call is the copy */
	snprintf(f->ctx, sizeof(f->ctx), "trunk %s%s%s flow -", trunk,
		 f->call[0] ? " " : "", f->call);
	f->ka_timer = su_timer_create(su_root_task(gw->root), 0);
	f->notify_timer = su_timer_create(su_root_task(gw->root), 0);
	f->probe_timer = su_timer_create(su_root_task(gw->root), 0);
	f->pong_timer = su_timer_create(su_root_task(gw->root), 0);
	f->next = flow_list;
	flow_list = f;
	if (!f->ka_timer || !f->notify_timer || !f->probe_timer ||
	    !f->pong_timer) {
		trunk_flow_free(f);
		return NULL;
	}
	if (!flow_watching) {
		flow_watching = true;
		if (!trunk_stun_watch_responses(flow_stun_seen))
			LOGW(SUBSYS, NULL,
			     "STUN answers on SIP sockets are not visible "
			     "(su_vrecv not interposed): no XOR-MAPPED-ADDRESS "
			     "check (OB-3)");
	}
	return f;
}

void trunk_flow_free(struct trunk_flow *f)
{
	struct trunk_flow **pp;

	if (!f)
		return;
	flow_unbind(f);
	if (f->ka_timer)
		su_timer_destroy(f->ka_timer);
	if (f->notify_timer)
		su_timer_destroy(f->notify_timer);
	if (f->probe_timer)
		su_timer_destroy(f->probe_timer);
	if (f->pong_timer)
		su_timer_destroy(f->pong_timer);
	for (pp = &flow_list; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	free(f);
}

sip_via_t *trunk_keep_answer_via(struct trunk_gateway *gw, void *home,
				 sip_t const *sip)
{
	long long ms = config_get_int(
		config_section_get(gw->cfg, "global", NULL), "keep_answer");
	sip_via_t *v;
	char param[40];

	if (ms <= 0 || !sip->sip_via ||
	    !msg_header_find_param(sip->sip_via->v_common, "keep"))
		return NULL;
	/* The whole list (a proxy's response carries every Via); nta's
	 * received/rport are already in the request's top entry. */
	v = sip_via_dup(home, sip->sip_via);
	snprintf(param, sizeof(param), "keep=%lld", ms / 1000);
	/* The header keeps a pointer to the parameter: it lives on home. */
	if (!v || msg_header_replace_param(home, v->v_common,
					   su_strdup(home, param)) < 0)
		return NULL;
	return v;
}

sip_via_t *trunk_keep_answer_irq(struct trunk_gateway *gw, nta_incoming_t *irq)
{
	msg_t *msg = nta_incoming_getrequest(irq); /* a reference */
	sip_via_t *v = NULL;

	if (msg && sip_object(msg))
		v = trunk_keep_answer_via(gw, msg_home(msg), sip_object(msg));
	msg_destroy(msg); /* irq keeps the message (and v) alive */
	return v;
}

static enum flow_transport flow_transport_of(tport_t *tp)
{
	const char *proto = tport_name(tp)->tpn_proto;

	if (!proto)
		return FLOW_TP_NONE;
	if (!strcasecmp(proto, "udp"))
		return FLOW_TP_UDP;
	if (!strcasecmp(proto, "tls"))
		return FLOW_TP_TLS;
	return FLOW_TP_TCP;
}

/* A new transport: a new flow id, a reference, failure notification. */
static void flow_attach(struct trunk_flow *f, tport_t *tp, const char *remote)
{
	tp_name_t const *self =
		tport_name(tport_parent(tp) ? tport_parent(tp) : tp);

	flow_unbind(f);
	f->id++;
	f->tp = tport_ref(tp);
	f->transport = flow_transport_of(tp);
	snprintf(f->ctx, sizeof(f->ctx), "trunk %s%s%s flow %u", f->trunk,
		 f->call[0] ? " " : "", f->call, f->id);
	snprintf(f->remote, sizeof(f->remote), "%s", remote);
	snprintf(f->local, sizeof(f->local), "%s%s%s:%s",
		 strchr(self->tpn_host, ':') ? "[" : "", self->tpn_host,
		 strchr(self->tpn_host, ':') ? "]" : "", self->tpn_port);
	f->last_ping = f->last_pong = 0;
	f->up_since = time(NULL);
	f->pings = 0;
	f->mapped[0] = '\0';
	f->stun_answered = f->stun_silent_logged = false;
	f->tls_ponged = false;
	if (f->transport != FLOW_TP_UDP) {
		/* nta creates connections without TPTAG_SDWN_ERROR: without
		 * it a close by the peer reaches no pending client. */
		tport_set_params(f->tp, TPTAG_SDWN_ERROR(1), TAG_END());
		f->pendd = tport_pend(f->tp, NULL, flow_tport_error, f);
		if (f->pendd < 0) {
			LOGW(SUBSYS, f->ctx,
			     "cannot watch the connection for errors");
			f->pendd = 0;
		}
	}
}

void trunk_flow_bind(struct trunk_flow *f, tport_t *tp, const char *remote,
		     unsigned server_s, enum trunk_flow_source src)
{
	char why[200];
	bool same = tp && f->tp == tp && f->state == TRUNK_FLOW_UP &&
		    !strcmp(f->remote, remote);

	if (!tp)
		return;
	if (!same)
		flow_attach(f, tp, remote);
	f->server_s = server_s;
	f->source = server_s ? src : TRUNK_FLOW_SRC_DEFAULT;
	if (same) {
		/* KEEP-4: every refresh renegotiates the interval. */
		flow_ka_arm(f);
		LOGD(SUBSYS, f->ctx, "keep-alive every %u ms (%s)",
		     f->interval_ms, trunk_flow_source_names[f->source]);
		return;
	}
	snprintf(why, sizeof(why), "%s %s -> %s",
		 flow_transport_names[f->transport], f->local, f->remote);
	if (f->state == TRUNK_FLOW_UP) /* the transport changed under us */
		LOGI(SUBSYS, f->ctx, "new transport: %s", why);
	flow_set_state(f, TRUNK_FLOW_UP, why);
	if (f->interval_ms)
		LOGI(SUBSYS, f->ctx, "keep-alive every %u ms (%s %u s)",
		     f->interval_ms, trunk_flow_source_names[f->source],
		     f->server_s);
}

void trunk_flow_bind_orq(struct trunk_flow *f, nta_outgoing_t *orq,
			 unsigned server_s, enum trunk_flow_source src)
{
	tport_t *tp = nta_outgoing_transport(orq);
	msg_t *resp = nta_outgoing_getresponse(orq);
	su_addrinfo_t *ai = resp ? msg_addrinfo(resp) : NULL;
	char remote[80] = "", host[64];
	su_sockaddr_t const *su;

	if (ai && ai->ai_addr) {
		su = (su_sockaddr_t const *)ai->ai_addr;
		su_inet_ntop(su->su_family, SU_ADDR(su), host, sizeof(host));
		snprintf(remote, sizeof(remote), "%s%s%s:%u",
			 su->su_family == AF_INET6 ? "[" : "", host,
			 su->su_family == AF_INET6 ? "]" : "",
			 ntohs(su->su_port));
	}
	if (tp && remote[0])
		trunk_flow_bind(f, tp, remote, server_s, src);
	if (tp)
		tport_unref(tp);
	if (resp)
		msg_destroy(resp);
}

const struct trunk_flow *trunk_flow_next(const struct trunk_flow *prev)
{
	return prev ? prev->next : flow_list;
}

void trunk_flow_set_params(struct trunk_flow *f,
			   const struct trunk_flow_params *p)
{
	bool changed = f->p.default_ms != p->default_ms ||
		       f->p.timeout_ms != p->timeout_ms ||
		       f->p.probe_every != p->probe_every ||
		       f->p.enabled != p->enabled;

	f->p = *p;
	f->p.call = NULL;
	if (!changed || f->state != TRUNK_FLOW_UP)
		return;
	LOGI(SUBSYS, f->ctx, "new keep-alive settings (reload)");
	flow_ka_arm(f);
	if (f->interval_ms)
		LOGI(SUBSYS, f->ctx, "keep-alive every %u ms (%s %u s)",
		     f->interval_ms, trunk_flow_source_names[f->source],
		     f->server_s);
}

void trunk_flow_fail(struct trunk_flow *f, const char *why)
{
	if (f->state == TRUNK_FLOW_UP)
		flow_set_state(f, TRUNK_FLOW_FAILED, why);
}

void trunk_flow_close(struct trunk_flow *f)
{
	if (f->state != TRUNK_FLOW_CLOSED && f->state != TRUNK_FLOW_IDLE)
		flow_set_state(f, TRUNK_FLOW_CLOSED, "released");
	else
		flow_unbind(f);
}

tport_t *trunk_flow_tport(const struct trunk_flow *f)
{
	return f->state == TRUNK_FLOW_UP ? f->tp : NULL;
}

enum trunk_flow_state trunk_flow_state(const struct trunk_flow *f)
{
	return f->state;
}

void trunk_flow_info(const struct trunk_flow *f, struct trunk_flow_info *i)
{
	time_t now = time(NULL);

	memset(i, 0, sizeof(*i));
	i->trunk = f->trunk;
	i->call = f->call;
	i->id = f->id;
	i->state = f->state;
	i->transport = flow_transport_names[f->transport];
	i->local = f->local;
	i->remote = f->remote;
	i->interval_ms = f->state == TRUNK_FLOW_UP ? f->interval_ms : 0;
	i->server_s = f->server_s;
	i->source = f->source;
	if (!f->p.enabled || f->transport == FLOW_TP_NONE)
		i->keepalive = "off";
	else if (f->transport == FLOW_TP_TCP)
		i->keepalive = "crlf (tport)";
	else
		i->keepalive = f->transport == FLOW_TP_UDP ? "stun" : "crlf";
	i->last_ping_ago = f->last_ping ? (long long)(now - f->last_ping) : -1;
	i->last_pong_ago = f->last_pong ? (long long)(now - f->last_pong) : -1;
	i->up_for = f->state == TRUNK_FLOW_UP || f->state == TRUNK_FLOW_FAILED
			    ? (long long)(now - f->up_since)
			    : 0;
	i->pings = f->pings;
	i->failures = f->failures;
	i->reason = f->reason;
	i->mapped = f->mapped;
	i->timeout_ms = f->p.timeout_ms;
	i->probe_every = f->p.probe_every;
}
