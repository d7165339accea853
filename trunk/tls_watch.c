/*
 * Fail a request at once when its TLS connection dies in the handshake.
 *
 * Sofia 1.12.11 closes a TLS connection whose handshake or certificate
 * check fails and reports it to the requests queued on it as a plain
 * "stream closed" (error 0), which nta ignores (RFC 3261: no coupling of
 * connection and transaction); Debian's build then refuses any further
 * error report on that connection. nta waits for Timer B/F, 32 s, before
 * it answers with 408 (sofia notes 4.5, 5.2), and a stalled handshake is
 * bounded by nothing shorter.
 *
 * So each request trunkd sends toward a TLS trunk is watched until its
 * connection is up: while it is connecting, a short timer looks at the
 * connection. When it was closed before the handshake completed, or the
 * handshake takes longer than TLS_HANDSHAKE_MS, we log one line and call
 * the owner's failure handler, which treats it like nta's own 503 for a
 * transport error (peer down, failover, registration back-off) and
 * destroys the request.
 *
 *   watch ─▶ UNSENT ──transport known──▶ CONNECTING ──connected──▶ (freed)
 *              │  not TLS / reused connection ─────────────────────▶ (freed)
 *              │                          │ closed unverified / too slow
 *              │                          ▼
 *              │                     log, owner's handler ─────────▶ (freed)
 *              └── owner's trunk_tls_orq_destroy() at any point ───▶ (freed)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct trunk_tls_watches

#include "gateway.h"
#include "tls.h"
#include "certs/certs.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.tls"

/* Poll period while a handshake is under way (loopback: a few ms). */
#define TLS_POLL_MS 20
/* A handshake still not complete after this is abandoned. */
#define TLS_HANDSHAKE_MS 10000

struct tls_watch {
	struct tls_watch *next;
	nta_outgoing_t *orq; /* borrowed: its owner destroys it */
	tport_t *tp;	     /* ref, once known */
	trunk_tls_fail_h *fail;
	void *arg;
	long long waited_ms;
	char ctx[120];
	char name[200]; /* the name the certificate must carry */
};

struct trunk_tls_watches {
	struct trunk_gateway *gw; /* borrowed */
	struct tls_watch *list;
	su_timer_t *timer;
	bool running;
	unsigned long failures;
	char last_failure[600];
	/* The last handshakes certs/ refused, newest at [next - 1]. */
	struct {
		char peer[64];
		char why[400];
	} refused[8];
	unsigned next;
};

void trunk_tls_hostport(const char *host, const char *port, char *buf,
			size_t len)
{
	bool v6 = host[0] != '[' && strchr(host, ':');

	snprintf(buf, len, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
		 port);
}

/* certs/: a handshake ended. Keep the reasons of refusals. */
static void watches_conn(const struct certs_conn_info *ci, void *arg)
{
	struct trunk_tls_watches *ws = arg;
	unsigned i = ws->next++ % 8;

	if (ci->state != CERTS_CONN_FAILED) {
		ws->next--;
		return;
	}
	snprintf(ws->refused[i].peer, sizeof(ws->refused[i].peer), "%s",
		 ci->peer);
	snprintf(ws->refused[i].why, sizeof(ws->refused[i].why), "%s",
		 ci->failure);
}

/* certs/' reason for the last refusal of peer ("host:port"), or NULL. */
static const char *watches_refusal(const struct trunk_tls_watches *ws,
				   const char *peer)
{
	unsigned k, i;

	for (k = 1; k <= 8 && k <= ws->next; k++) {
		i = (ws->next - k) % 8;
		if (!strcmp(ws->refused[i].peer, peer))
			return ws->refused[i].why;
	}
	return NULL;
}

static void watch_free(struct tls_watch *w)
{
	if (w->tp)
		tport_unref(w->tp);
	free(w);
}

static void watch_unlink(struct trunk_tls_watches *ws, struct tls_watch *w)
{
	struct tls_watch **pp;

	for (pp = &ws->list; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* The connection of w failed: one line, then fail what waits on it. */
static void watch_fail(struct trunk_tls_watches *ws, struct tls_watch *w,
		       const char *why, int err)
{
	tp_name_t const *tpn = tport_name(w->tp);
	const char *refusal;
	char peer[200];

	trunk_tls_hostport(tpn->tpn_host, tpn->tpn_port, peer, sizeof(peer));
	refusal = err == ETIMEDOUT ? NULL : watches_refusal(ws, peer);
	ws->failures++;
	if (refusal) {
		/* certs/ has logged the refusal (WARN certs.tls): say what
		 * it does to the request. */
		snprintf(ws->last_failure, sizeof(ws->last_failure), "%s: %s",
			 peer, refusal);
		LOGI(SUBSYS, w->ctx,
		     "TLS to %s refused: failing the request now", peer);
	} else {
		snprintf(ws->last_failure, sizeof(ws->last_failure),
			 "%s: %s (certificate must chain to the trunk's CA "
			 "and name %s)",
			 peer, why, w->name);
		LOGW(SUBSYS, w->ctx, "TLS to %s", ws->last_failure);
	}
	/* Unlinked first: the owner's handler destroys its request through
	 * trunk_tls_orq_destroy(). */
	watch_unlink(ws, w);
	if (!tport_is_closed(w->tp))
		tport_shutdown(w->tp, 2);
	if (nta_outgoing_status(w->orq) < 200)
		w->fail(w->arg, err);
	watch_free(w);
}

/* One look at w; true when w is done (and freed). */
static bool watch_check(struct trunk_tls_watches *ws, struct tls_watch *w)
{
	/* The request's connection now: nta may have moved it to another
	 * RFC 3263 target after a transport error of its own. */
	tport_t *tp = nta_outgoing_transport(w->orq);

	if (tp && tp != w->tp) {
		if (w->tp)
			tport_unref(w->tp);
		w->tp = tp;
		w->waited_ms = 0;
		if (!tport_is_secondary(tp) || tport_is_connected(tp) ||
		    strcmp(tport_name(tp)->tpn_proto, "tls")) {
			watch_unlink(ws, w);
			watch_free(w);
			return true;
		}
	} else if (tp) {
		tport_unref(tp);
	}
	if (!w->tp)
		return false; /* still resolving */
	if (tport_is_connected(w->tp)) {
		watch_unlink(ws, w);
		watch_free(w);
		return true;
	}
	if (tport_is_closed(w->tp)) {
		watch_fail(ws, w, "handshake failed or certificate refused",
			   ECONNABORTED);
		return true;
	}
	if ((w->waited_ms += TLS_POLL_MS) >= TLS_HANDSHAKE_MS) {
		watch_fail(ws, w, "handshake not complete after 10 s",
			   ETIMEDOUT);
		return true;
	}
	return false;
}

static void watches_tick(su_root_magic_t *m, su_timer_t *t,
			 struct trunk_tls_watches *ws)
{
	struct tls_watch *w, *next;

	(void)m;
	(void)t;
	for (w = ws->list; w; w = next) {
		unsigned long failures = ws->failures;

		next = w->next;
		/* A failure may destroy other watches of the same
		 * connection (their owners' requests fail with it): the
		 * rest waits for the next tick. */
		if (watch_check(ws, w) && ws->failures != failures)
			break;
	}
	if (!ws->list && ws->running) {
		su_timer_reset(ws->timer);
		ws->running = false;
	}
}

int trunk_tls_watches_alloc(struct trunk_gateway *gw,
			    struct trunk_tls_watches **out)
{
	struct trunk_tls_watches *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return ENOMEM;
	ws->gw = gw;
	ws->timer = su_timer_create(su_root_task(gw->root), TLS_POLL_MS);
	if (!ws->timer) {
		free(ws);
		return ENOMEM;
	}
	certs_set_conn_handler(watches_conn, ws);
	/* Every handshake, ours or a peer's, incoming or outgoing, is bounded
	 * by certs/ too (a stalled peer is cut off with one line). */
	if (certs_set_handshake_timeout(gw->root, TLS_HANDSHAKE_MS))
		LOGW(SUBSYS, NULL,
		     "no bound on TLS handshakes (out of memory)");
	*out = ws;
	return 0;
}

void trunk_tls_watches_free(struct trunk_tls_watches *ws)
{
	struct tls_watch *w;

	if (!ws)
		return;
	certs_set_conn_handler(NULL, NULL);
	certs_set_handshake_timeout(NULL, 0);
	while ((w = ws->list)) {
		ws->list = w->next;
		watch_free(w);
	}
	su_timer_destroy(ws->timer);
	free(ws);
}

void trunk_tls_orq_watch(struct trunk_gateway *gw, nta_outgoing_t *orq,
			 const char *ctx, const char *name,
			 trunk_tls_fail_h *fail, void *arg)
{
	struct trunk_tls_watches *ws = gw->tls_watches;
	struct tls_watch *w;

	if (!ws || !orq)
		return;
	w = calloc(1, sizeof(*w));
	if (!w)
		return; /* Timer F still bounds it */
	w->orq = orq;
	w->fail = fail;
	w->arg = arg;
	snprintf(w->ctx, sizeof(w->ctx), "%s", ctx ? ctx : "");
	snprintf(w->name, sizeof(w->name), "%s", name ? name : "?");
	w->next = ws->list;
	ws->list = w;
	/* Sent already over a reused connection or not TLS: done now. */
	if (watch_check(ws, w))
		return;
	if (!ws->running) {
		su_timer_set_for_ever(ws->timer, watches_tick, ws);
		ws->running = true;
	}
}

const char *trunk_tls_watches_name(struct trunk_tls_watches *ws,
				   const struct sockaddr *peer, char *buf,
				   size_t len)
{
	struct tls_watch *w;

	for (w = ws->list; w; w = w->next) {
		tport_t *tp = nta_outgoing_transport(w->orq);
		const su_addrinfo_t *ai;
		bool hit = false;

		if (tp && tport_is_secondary(tp) && !tport_is_connected(tp) &&
		    (ai = tport_get_address(tp)) &&
		    trunk_tls_same_addr(ai->ai_addr, peer, false) &&
		    tport_name(tp)->tpn_canon) {
			snprintf(buf, len, "%s", tport_name(tp)->tpn_canon);
			hit = true;
		}
		if (tp)
			tport_unref(tp);
		if (hit)
			return buf;
	}
	return NULL;
}

void trunk_tls_orq_unwatch(struct trunk_gateway *gw, nta_outgoing_t *orq)
{
	struct trunk_tls_watches *ws = gw->tls_watches;
	struct tls_watch *w, *next;

	for (w = ws ? ws->list : NULL; w; w = next) {
		next = w->next;
		if (w->orq == orq) {
			watch_unlink(ws, w);
			watch_free(w);
		}
	}
}

void trunk_tls_orq_destroy(struct trunk_gateway *gw, nta_outgoing_t *orq)
{
	trunk_tls_orq_unwatch(gw, orq);
	if (orq)
		nta_outgoing_destroy(orq);
}

unsigned long trunk_tls_failures(const struct trunk_gateway *gw,
				 const char **last)
{
	const struct trunk_tls_watches *ws = gw->tls_watches;

	*last = ws && ws->last_failure[0] ? ws->last_failure : NULL;
	return ws ? ws->failures : 0;
}
