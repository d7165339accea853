/*
 * SP-SSE supervision for Static-mode trunks (SIPconnect 17, STA-4, STA-5):
 * every configured SP-SSE address of a trunk is a peer that trunkd pings
 * with OPTIONS every keepalive_interval. Any response but 503 means the
 * peer is up (a 404 or 405 still proves a live SIP stack); 503, a
 * transport error or no final answer within keepalive_timeout means down.
 * Calls prefer peers that are up, in configured order (call.c).
 *
 *             any response (not 503)
 *   UNKNOWN ─────────────────────────▶ UP ◀──┐
 *      │                               │     │ any response (not 503)
 *      │ 503 / timeout / transport     ▼     │
 *      └─────────────────────────────▶ DOWN ─┘
 *
 * Peers are rebuilt from the configuration at start and on every reload;
 * a peer whose trunk and address are unchanged keeps its state.
 *
 * An SP-SSE configured by host name is resolved (A/AAAA, the system
 * resolver) when the peers are built, at start and on reload: inbound
 * calls are accepted from those addresses (trunk_find_trunk_src). The
 * lookup blocks the signalling thread once per name and reload, which is
 * why it is done there and never per call; a carrier that renumbers needs
 * a reload.
 *
 * A Static-mode trunk configured by domain only has the addresses RFC 3263
 * gives for its domain as peers, in SRV order (peer_dns.c): supervised,
 * shown and used for calls the same way, rebuilt when a lookup (start,
 * reload, TTL over: all on the resolver thread, answered later) changes
 * them. Registration-mode trunks by domain have none:
 * nta resolves their requests (and they follow the registration's flow).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTA_OUTGOING_MAGIC_T struct trunk_peer
#define SU_TIMER_ARG_T	     struct trunk_peer

#include "gateway.h"
#include "tls.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.peer"

/* Addresses kept per SP-SSE host name. */
#define PEER_MAX_IPS 8

static const char *const peer_state_names[] = {
	[TRUNK_PEER_UNKNOWN] = "unknown",
	[TRUNK_PEER_UP] = "up",
	[TRUNK_PEER_DOWN] = "down",
};

struct trunk_peer {
	struct trunk_gateway *gw; /* borrowed */
	struct trunk_peer *next;
	char trunk[64];	 /* the [trunk NAME] it belongs to */
	char addr[300];	 /* as configured: "host:port" */
	char route[360]; /* next-hop URL: "sip:host:port;transport=udp;lr" */
	char ruri[360];	 /* OPTIONS Request-URI */
	char ctx[400];
	char tls_name[256]; /* what its certificate must name; "" no TLS */
	/* Ours over TLS (the TLS port) or in the trunk's address family
	 * when the first listen address is of the other (SC-15-2); ""
	 * nta's default. */
	char contact[340];
	enum trunk_peer_state state;
	bool ping; /* keepalive = options (or auto in static mode) */
	long long interval_ms, timeout_ms;
	su_timer_t *timer;   /* next ping */
	su_timer_t *timeout; /* pong deadline */
	nta_outgoing_t *orq; /* ping in flight */
	unsigned long pings, failures;
	/* Static mode over TLS: the connection is held open and re-opened
	 * as soon as it is lost (TLS-11, TLS-12). */
	bool keep_flow;
	struct trunk_tls_flow *flow;
	/* Configured by host name: its addresses when the peers were built
	 * (inbound calls are accepted from them). */
	char ips[PEER_MAX_IPS][64];
	unsigned nips;
	/* Found by RFC 3263 for a trunk by domain only (peer_dns.c): the
	 * SRV target whose address it is. */
	bool by_dns;
	struct trunk_dns_target dns;
};

const char *trunk_peer_state_name(enum trunk_peer_state s)
{
	return peer_state_names[s];
}

static void peer_set_state(struct trunk_peer *p, enum trunk_peer_state next,
			   const char *why)
{
	if (p->state == next)
		return;
	if (next == TRUNK_PEER_DOWN)
		LOGW(SUBSYS, p->ctx, "%s -> %s (%s)",
		     peer_state_names[p->state], peer_state_names[next], why);
	else
		LOGI(SUBSYS, p->ctx, "%s -> %s (%s)",
		     peer_state_names[p->state], peer_state_names[next], why);
	p->state = next;
}

static void peer_ping_done(struct trunk_peer *p)
{
	if (p->orq)
		trunk_tls_orq_destroy(p->gw, p->orq);
	p->orq = NULL;
	su_timer_reset(p->timeout);
}

static void peer_ping(su_root_magic_t *m, su_timer_t *t, struct trunk_peer *p);

/* The held TLS connection closed: open a new one at once (TLS-11). */
static void peer_flow_lost(void *arg)
{
	struct trunk_peer *p = arg;

	trunk_tls_flow_release(&p->flow);
	peer_ping(NULL, NULL, p);
}

static int peer_ping_response(struct trunk_peer *p, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status
					    : nta_outgoing_status(orq);
	/* nta reports transport errors and its own timeouts as responses
	 * of its own making (408, 503). Decided before peer_ping_done():
	 * destroying the request frees its response at once over TCP and
	 * TLS (nta ends a non-INVITE transaction with its final response
	 * there; UDP keeps it for Timer K), and the freed sip_flags could
	 * read as NTA_INTERNAL_MSG: an SP-SSE's 200 over TLS counted as
	 * down at every ping (test 181). */
	bool internal = !sip || nta_sip_is_internal(sip);
	char why[64];

	if (status < 200)
		return 0;
	if (p->keep_flow && !internal)
		trunk_tls_flow_hold(p->gw, orq, p->ctx, peer_flow_lost, p,
				    &p->flow);
	peer_ping_done(p);
	snprintf(why, sizeof(why), "OPTIONS answered %d", status);
	if (status == 503 || internal) {
		p->failures++;
		peer_set_state(p, TRUNK_PEER_DOWN, why);
	} else {
		peer_set_state(p, TRUNK_PEER_UP, why);
	}
	return 0;
}

static void peer_ping_timeout(su_root_magic_t *m, su_timer_t *t,
			      struct trunk_peer *p)
{
	(void)m;
	(void)t;
	peer_ping_done(p);
	p->failures++;
	peer_set_state(p, TRUNK_PEER_DOWN, "no answer to OPTIONS");
}

/* The OPTIONS' TLS connection failed (tls_watch.c). */
static void peer_ping_tls_failed(void *arg, int err)
{
	struct trunk_peer *p = arg;

	(void)err;
	peer_ping_done(p);
	p->failures++;
	peer_set_state(p, TRUNK_PEER_DOWN, "TLS connection failed");
}

static void peer_ping(su_root_magic_t *m, su_timer_t *t, struct trunk_peer *p)
{
	nta_agent_t *nta = trunk_agent_nta(p->gw->agents[TRUNK_SIDE_TRUNK]);
	sip_contact_t const *me = nta_agent_contact(nta);
	char from[300], to[400];

	(void)m;
	(void)t;
	if (p->orq) /* the previous ping is still out: its timeout decides */
		return;
	if (p->contact[0])
		me = sip_contact_make(p->gw->home, p->contact);
	snprintf(from, sizeof(from), "<sip:trunkd@%s>",
		 me ? me->m_url->url_host : "invalid");
	snprintf(to, sizeof(to), "<%s>", p->ruri);
	p->orq = nta_outgoing_tcreate(
		trunk_agent_out_leg(p->gw->agents[TRUNK_SIDE_TRUNK]),
		peer_ping_response, p, URL_STRING_MAKE(p->route),
		SIP_METHOD_OPTIONS, URL_STRING_MAKE(p->ruri),
		SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), SIPTAG_CONTACT(me),
		TAG_END());
	if (p->contact[0] && me)
		su_free(p->gw->home, (void *)me);
	p->pings++;
	if (p->orq && p->tls_name[0])
		trunk_tls_orq_watch(p->gw, p->orq, p->ctx, p->tls_name,
				    peer_ping_tls_failed, p);
	if (!p->orq) {
		p->failures++;
		peer_set_state(p, TRUNK_PEER_DOWN, "cannot send OPTIONS");
		return;
	}
	su_timer_set_interval(p->timeout, peer_ping_timeout, p,
			      (su_duration_t)p->timeout_ms);
}

static void peer_free(struct trunk_peer *p)
{
	peer_ping_done(p);
	trunk_tls_flow_release(&p->flow);
	su_timer_destroy(p->timer);
	su_timer_destroy(p->timeout);
	free(p);
}

/* An SP-SSE by host name: its addresses into p->ips (blocking lookup;
 * see the top of the file). Literals need none. */
static void peer_resolve(struct trunk_peer *p, const char *host)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res, *ai;
	unsigned char buf[16];
	int rc;

	if (inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1)
		return;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		LOGW(SUBSYS, p->ctx,
		     "cannot resolve %s (%s): no inbound calls from it until a "
		     "reload resolves it",
		     host, gai_strerror(rc));
		return;
	}
	for (ai = res; ai && p->nips < PEER_MAX_IPS; ai = ai->ai_next) {
		const void *a =
			ai->ai_family == AF_INET
				? (const void *)&(
					  (struct sockaddr_in *)ai->ai_addr)
					  ->sin_addr
				: (const void *)&(
					  (struct sockaddr_in6 *)ai->ai_addr)
					  ->sin6_addr;

		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    inet_ntop(ai->ai_family, a, p->ips[p->nips],
			      sizeof(p->ips[0])))
			p->nips++;
	}
	freeaddrinfo(res);
	LOGI(SUBSYS, p->ctx, "%s is %u address(es), first %s", host, p->nips,
	     p->nips ? p->ips[0] : "-");
}

const struct config_section *trunk_find_trunk_src(struct trunk_gateway *gw,
						  const char *ip)
{
	const struct config_section *t = trunk_find_trunk(gw->cfg, ip);
	const struct trunk_peer *p;
	unsigned i;

	for (p = gw->peers; p && !t; p = p->next)
		for (i = 0; i < p->nips && !t; i++)
			if (!strcmp(p->ips[i], ip))
				t = config_section_get(gw->cfg, "trunk",
						       p->trunk);
	return t ? t : trunk_dns_src_trunk(gw, ip);
}

static struct trunk_peer *peer_alloc(struct trunk_gateway *gw,
				     const struct config_section *t,
				     const char *addr)
{
	struct trunk_peer *p = calloc(1, sizeof(*p));
	const char *ka = config_get_str(t, "keepalive");
	const char *tp = config_get_str(t, "transport");
	struct config_addr a;
	char hp[300], me[300], first[300];

	if (!p || config_addr_parse(addr, &a)) {
		free(p);
		return NULL;
	}
	trunk_addr_hostport(&a, hp, sizeof(hp));
	p->gw = gw;
	snprintf(p->trunk, sizeof(p->trunk), "%s", config_section_name(t));
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	trunk_tls_route(t, &a, p->route, sizeof(p->route));
	if (trunk_tls_trunk_uses_tls(t)) {
		snprintf(p->tls_name, sizeof(p->tls_name), "%s",
			 trunk_tls_verify_name(t, a.host));
		if (trunk_agent_hostport(gw->agents[TRUNK_SIDE_TRUNK],
					 trunk_config_family(t), true, me,
					 sizeof(me)))
			snprintf(p->contact, sizeof(p->contact),
				 "<sip:%s;transport=tls>", me);
	} else if (trunk_agent_hostport(gw->agents[TRUNK_SIDE_TRUNK],
					trunk_config_family(t), false, me,
					sizeof(me)) &&
		   trunk_agent_hostport(gw->agents[TRUNK_SIDE_TRUNK], 0, false,
					first, sizeof(first)) &&
		   strcmp(me, first)) {
		snprintf(p->contact, sizeof(p->contact),
			 "<sip:%s;transport=%s>", me, tp);
	}
	snprintf(p->ruri, sizeof(p->ruri), "sip:%s;transport=%s", hp, tp);
	snprintf(p->ctx, sizeof(p->ctx), "trunk %s sse %s", p->trunk, addr);
	p->ping = !strcmp(ka, "options") ||
		  (!strcmp(ka, "auto") &&
		   !strcmp(config_get_str(t, "mode"), "static"));
	p->keep_flow = p->ping && p->tls_name[0] &&
		       !strcmp(config_get_str(t, "mode"), "static");
	p->interval_ms = config_get_int(t, "keepalive_interval");
	p->timeout_ms = config_get_int(t, "keepalive_timeout");
	/* The ping timer repeats at the interval it is created with. */
	p->timer = su_timer_create(su_root_task(gw->root),
				   (su_duration_t)p->interval_ms);
	p->timeout = su_timer_create(su_root_task(gw->root), 0);
	if (!p->timer || !p->timeout) {
		peer_free(p);
		return NULL;
	}
	peer_resolve(p, a.host);
	return p;
}

/* Take the state of the same trunk+address from the old list. */
static void peer_inherit(struct trunk_peer *p, struct trunk_peer *old)
{
	for (; old; old = old->next) {
		if (!strcmp(old->trunk, p->trunk) &&
		    !strcmp(old->addr, p->addr)) {
			p->state = old->state;
			p->pings = old->pings;
			p->failures = old->failures;
			return;
		}
	}
}

static void peer_start(struct trunk_peer *p)
{
	if (!p->ping)
		return;
	/* The first ping at once, then every interval (STA-5). */
	su_timer_set_for_ever(p->timer, peer_ping, p);
	peer_ping(NULL, NULL, p);
}

/* A trunk by domain's SP-SSE at DNS address x (peer_dns.c): reached at
 * its IP (over TLS the route still names the domain: trunk_tls_route()),
 * shown with its SRV target. */
static struct trunk_peer *peer_alloc_dns(struct trunk_gateway *gw,
					 const struct config_section *t,
					 const struct trunk_dns_target *x)
{
	bool v6 = strchr(x->ip, ':') != NULL;
	char addr[100], port[12] = "";
	struct trunk_peer *p;

	if (x->port)
		snprintf(port, sizeof(port), ":%u", x->port);
	snprintf(addr, sizeof(addr), "%s%s%s%s", v6 ? "[" : "", x->ip,
		 v6 ? "]" : "", port);
	p = peer_alloc(gw, t, addr);
	if (!p)
		return NULL;
	p->by_dns = true;
	p->dns = *x;
	snprintf(p->ctx, sizeof(p->ctx), "trunk %s sse %s%s (%s)", p->trunk,
		 x->host, port, x->ip);
	return p;
}

static void peers_free(struct trunk_peer *list)
{
	struct trunk_peer *p;

	while ((p = list)) {
		list = p->next;
		peer_free(p);
	}
}

/* The peers of trunk t onto *tail: its proxy list, else the addresses
 * DNS gave for its domain (ans, or NULL); each keeps the state it had in
 * old. */
static int peers_of_trunk(struct trunk_gateway *gw,
			  const struct config_section *t,
			  const struct trunk_dns_answer *ans,
			  struct trunk_peer *old, struct trunk_peer ***tail)
{
	const char *const *px;
	size_t n = config_get_list(t, "proxy", &px), i;
	struct trunk_peer *p;

	if (n)
		ans = NULL;
	else
		n = ans ? ans->n : 0;
	for (i = 0; i < n; i++) {
		p = ans ? peer_alloc_dns(gw, t, &ans->v[i])
			: peer_alloc(gw, t, px[i]);
		if (!p)
			return ENOMEM;
		peer_inherit(p, old);
		**tail = p;
		*tail = &p->next;
	}
	return 0;
}

int trunk_peers_apply(struct trunk_gateway *gw, const struct config *cfg)
{
	const struct config_section *t = NULL;
	struct trunk_peer *list = NULL, **tail = &list, *p, *old;

	/* The peers first, a trunk by domain's from the answer it keeps
	 * (the same question), then the DNS list: either failing (out of
	 * memory) leaves both as they were, so that a failed reload keeps
	 * the old configuration whole (daemon.c). */
	while ((t = config_section_next(cfg, "trunk", t))) {
		if (peers_of_trunk(gw, t, trunk_dns_peers_of(gw, t), gw->peers,
				   &tail)) {
			peers_free(list);
			return ENOMEM;
		}
	}
	if (trunk_dns_apply(gw, cfg)) {
		LOGW(SUBSYS, NULL, "out of memory resolving trunks by domain");
		peers_free(list);
		return ENOMEM;
	}
	old = gw->peers;
	gw->peers = list;
	peers_free(old);
	for (p = gw->peers; p; p = p->next)
		peer_start(p);
	return 0;
}

void trunk_peers_dns_changed(struct trunk_gateway *gw, const char *trunk)
{
	const struct config_section *t = trunk_config_trunk(gw->cfg, trunk);
	struct trunk_peer *list = NULL, **tail = &list, **pp, *p, *gone = NULL;

	if (!t || peers_of_trunk(gw, t, trunk_dns_peers(gw, trunk), gw->peers,
				 &tail)) {
		peers_free(list);
		LOGW(SUBSYS, trunk, "out of memory: its SP-SSEs are unchanged");
		return;
	}
	for (pp = &gw->peers; (p = *pp);) { /* unlink the old ones */
		if (strcmp(p->trunk, trunk)) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		p->next = gone;
		gone = p;
	}
	*pp = list; /* the new ones last, in DNS order */
	peers_free(gone);
	for (p = list; p; p = p->next)
		peer_start(p);
}

void trunk_peers_free(struct trunk_gateway *gw)
{
	struct trunk_peer *p;

	while ((p = gw->peers)) {
		gw->peers = p->next;
		peer_free(p);
	}
	trunk_dns_free(gw);
}

const struct trunk_peer *trunk_peer_next(const struct trunk_gateway *gw,
					 const char *trunk,
					 const struct trunk_peer *prev)
{
	const struct trunk_peer *p = prev ? prev->next : gw->peers;

	while (p && trunk && strcmp(p->trunk, trunk))
		p = p->next;
	return p;
}

void trunk_peer_info(const struct trunk_peer *p, struct trunk_peer_info *info)
{
	info->trunk = p->trunk;
	info->addr = p->addr;
	info->route = p->route;
	info->dns = p->by_dns ? &p->dns : NULL;
	info->state = p->state;
	info->pings = p->pings;
	info->failures = p->failures;
	info->tls = p->tls_name[0] != '\0';
	trunk_tls_flow_info(p->flow, &info->tls_state);
}

void trunk_peer_report(struct trunk_gateway *gw, const char *route, bool ok,
		       const char *why)
{
	struct trunk_peer *p;

	for (p = gw->peers; p; p = p->next) {
		if (strcmp(p->route, route))
			continue;
		if (!ok)
			p->failures++;
		peer_set_state(p, ok ? TRUNK_PEER_UP : TRUNK_PEER_DOWN, why);
	}
}
