/*
 * The server side of flows on TLS (RFC 5626 3.5.1, 4.4.1; OB-6): a peer's
 * CRLFCRLF ping on a TLS connection, which Sofia's TLS transport feeds to
 * its SIP parser as leading white space and never answers (../notes 4.3),
 * gets a CRLF pong; and whatever a TLS connection receives is shown to the
 * flows (flow.c), so that a TLS flow sees its own pongs (OB-2).
 *
 * certs/ shows us the plaintext of every SSL_read() on a Sofia connection
 * (certs_set_read_handler) from inside Sofia's receive. A read that is
 * nothing but CRLF pairs, at least two (the ping, possibly repeated), is a
 * ping: the connection (local and peer address) is queued and a zero-delay
 * timer sends the pong from the loop, over Sofia's own connection found by
 * its addresses (tport_by_name() under the TLS primaries) as one
 * pre-encoded 2-byte message: a TLS record of exactly CRLF. Connections
 * trunkd opened are answered too, though a peer has no reason to ping
 * them. TCP needs none of this: Sofia pongs there itself
 * (TPTAG_PONG2PING, agent.c).
 */
#define SU_TIMER_ARG_T void
#include <stdio.h>
#include <string.h>

#include "flow.h"
#include "gateway.h"
#include "certs/certs.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.flow"

/* Pings waiting for their pong (a burst larger than this loses some). */
#define PONG_QUEUE 32

static struct {
	struct trunk_gateway *gw; /* borrowed; NULL: stopped */
	su_timer_t *timer;
	struct {
		char local[64], peer[64];
	} q[PONG_QUEUE];
	unsigned n;
	unsigned long pongs, lost;
} fs;

/* A read of only CRLF pairs, at least two: RFC 5626 3.5.1's ping. */
static bool fs_is_ping(const unsigned char *d, size_t n)
{
	size_t i;

	if (n < 4 || n % 2)
		return false;
	for (i = 0; i < n; i += 2)
		if (d[i] != '\r' || d[i + 1] != '\n')
			return false;
	return true;
}

/* "host:port" / "[v6]:port" into host (no brackets) and port. */
static bool fs_split(const char *hp, char *host, size_t hlen, const char **port)
{
	const char *c = strrchr(hp, ':');
	size_t n;

	if (!c || c == hp)
		return false;
	*port = c + 1;
	if (*hp == '[') {
		hp++;
		c--; /* the ']' */
	}
	n = (size_t)(c - hp);
	if (n >= hlen)
		return false;
	memcpy(host, hp, n);
	host[n] = '\0';
	return true;
}

/* Sofia's TLS connection from local ("ip:port") to peer, or NULL; *nta
 * its agent. An accepted connection hangs under the TLS listener on the
 * local port (tried first); one we opened, under a TLS primary whose port
 * is not that of the connection. */
static tport_t *fs_connection(const char *local, const char *peer,
			      nta_agent_t **nta)
{
	char lhost[64], phost[64];
	const char *lport, *pport;
	tp_name_t tpn = { 0 };
	tport_t *pri, *tp;
	enum trunk_side side;
	int pass;

	if (!fs_split(local, lhost, sizeof(lhost), &lport) ||
	    !fs_split(peer, phost, sizeof(phost), &pport))
		return NULL;
	tpn.tpn_proto = "tls";
	tpn.tpn_host = tpn.tpn_canon = phost;
	tpn.tpn_port = pport;
	for (pass = 0; pass < 2; pass++)
		for (side = 0; side < TRUNK_SIDE_COUNT; side++) {
			*nta = fs.gw->agents[side]
				       ? trunk_agent_nta(fs.gw->agents[side])
				       : NULL;
			if (!*nta)
				continue;
			for (pri = tport_primaries(nta_agent_tports(*nta)); pri;
			     pri = tport_next(pri)) {
				tp_name_t const *n = tport_name(pri);
				bool here = n->tpn_port &&
					    !strcmp(n->tpn_port, lport);

				if (!su_casematch(n->tpn_proto, "tls") ||
				    here != (pass == 0))
					continue;
				tp = tport_by_name(pri, &tpn);
				if (tp && tport_is_secondary(tp))
					return tp;
			}
		}
	return NULL;
}

static void fs_send_pongs(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	static const char crlf[] = "\r\n";
	nta_agent_t *nta = NULL;
	tport_t *tp;
	unsigned i;

	(void)m;
	(void)t;
	(void)arg;
	for (i = 0; i < fs.n && fs.gw; i++) {
		tp = fs_connection(fs.q[i].local, fs.q[i].peer, &nta);
		if (!tp) {
			LOGD(SUBSYS, NULL,
			     "CRLFCRLF ping from %s: its connection is gone",
			     fs.q[i].peer);
			continue;
		}
		if (trunk_tport_send_raw(nta, tp, crlf, 2)) {
			LOGW(SUBSYS, NULL, "cannot pong %s over TLS",
			     fs.q[i].peer);
			continue;
		}
		fs.pongs++;
		LOGD(SUBSYS, NULL, "CRLF pong to %s over TLS (OB-6)",
		     fs.q[i].peer);
	}
	fs.n = 0;
}

/* certs/' read handler: inside Sofia's receive, so only record. */
static void fs_read(const struct certs_conn_info *info, const void *data,
		    size_t n, void *arg)
{
	unsigned i;

	(void)arg;
	if (!fs.gw)
		return;
	trunk_flow_tls_received(info->peer, data, n);
	if (!fs_is_ping(data, n))
		return;
	for (i = 0; i < fs.n; i++)
		if (!strcmp(fs.q[i].peer, info->peer) &&
		    !strcmp(fs.q[i].local, info->local))
			return; /* one pong per burst */
	if (fs.n == PONG_QUEUE) {
		fs.lost++;
		return;
	}
	snprintf(fs.q[fs.n].local, sizeof(fs.q[fs.n].local), "%s", info->local);
	snprintf(fs.q[fs.n].peer, sizeof(fs.q[fs.n].peer), "%s", info->peer);
	if (fs.n++ == 0)
		su_timer_set_interval(fs.timer, fs_send_pongs, NULL, 0);
}

int trunk_flow_server_start(struct trunk_gateway *gw)
{
	fs.timer = su_timer_create(su_root_task(gw->root), 0);
	if (!fs.timer)
		return ENOMEM;
	fs.gw = gw;
	fs.n = 0;
	certs_set_read_handler(fs_read, NULL);
	return 0;
}

void trunk_flow_server_stop(void)
{
	certs_set_read_handler(NULL, NULL);
	if (fs.timer)
		su_timer_destroy(fs.timer);
	fs.timer = NULL;
	fs.gw = NULL;
	fs.n = 0;
}
