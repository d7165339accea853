/*
 * Private to trunk/: TLS wiring of the sides and of the requests toward
 * the carriers (tls.c, tls_watch.c). certs/ owns the TLS policy itself.
 * Include after gateway.h.
 */
#ifndef TRUNKD_TRUNK_TLS_H
#define TRUNKD_TRUNK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <sofia-sip/su_tag.h>

#include "config/config.h"

struct trunk_gateway;
struct nta_outgoing_s;

/* Checks across [global], [enterprise] and [trunk] sections: TLS
 * transports without the certificate they need, trunks over TLS without
 * a TLS listener, two certificates for the one trunk-side listener.
 * Errors through eh (file:line); returns how many. */
int trunk_tls_config_check(const struct config *cfg, config_error_h *eh,
			   void *arg);

bool trunk_tls_trunk_uses_tls(const struct config_section *t);
/* The name an SP-SSE of trunk t must prove (tls_verify_name, domain, or
 * proxy_host); borrowed. */
const char *trunk_tls_verify_name(const struct config_section *t,
				  const char *proxy_host);
/* The next-hop URL of trunk t's requests toward SP-SSE a (NULL: RFC 3263
 * on the domain), with ";lr". */
void trunk_tls_route(const struct config_section *t,
		     const struct config_addr *a, char *buf, size_t len);

/* The next hop of in-dialog requests toward [trunk NAME] when it uses TLS
 * (route, or its first SP-SSE's, or RFC 3263 on its domain); "" else. */
void trunk_tls_trunk_hop(const struct config *cfg, const char *trunk,
			 const char *route, char *buf, size_t len);

/* A side's TLS listener settings: certificate directory, verification. */
struct trunk_tls_side;
int trunk_tls_side_alloc(enum trunk_side side, const struct config *cfg,
			 struct trunk_tls_side **out);
/* Tags for nta_agent_create()/nta_agent_add_tport() of a tls URL. */
const tagi_t *trunk_tls_side_tags(const struct trunk_tls_side *s);
/* Sofia has read the files: remove the directory. */
void trunk_tls_side_loaded(struct trunk_tls_side *s);
void trunk_tls_side_free(struct trunk_tls_side *s);
/* The listeners are bound: what tls_peer() needs to tell which listener
 * took a connection (tports: the side's master transport) and the name
 * our requests connect to (ws); both borrowed, for the side's life. */
struct tport_s;
void trunk_tls_side_set_peers(struct trunk_tls_side *s,
			      struct trunk_tls_watches *ws,
			      struct tport_s *tports);
/* Same address and port (any_ip: a wildcard a matches any IP). */
bool trunk_tls_same_addr(const struct sockaddr *a, const struct sockaddr *b,
			 bool any_ip);

/* "host:port" as certs/ names peers ("[v6]:port" for IPv6). */
void trunk_tls_hostport(const char *host, const char *port, char *buf,
			size_t len);

/* tls_watch.c: fail requests at once when their TLS handshake fails. */
struct trunk_tls_watches;
int trunk_tls_watches_alloc(struct trunk_gateway *gw,
			    struct trunk_tls_watches **out);
void trunk_tls_watches_free(struct trunk_tls_watches *ws);
/* The TLS connection of a watched request failed (err: ECONNABORTED,
 * ETIMEDOUT): handle it like a transport error and destroy the request
 * with trunk_tls_orq_destroy(). Called from a timer, never from nta. */
typedef void(trunk_tls_fail_h)(void *arg, int err);
/* Watch orq (just created) until its connection is up; ctx names the
 * owner in the log line, name what the certificate must carry. */
void trunk_tls_orq_watch(struct trunk_gateway *gw, struct nta_outgoing_s *orq,
			 const char *ctx, const char *name,
			 trunk_tls_fail_h *fail, void *arg);
/* The same for a request toward [trunk NAME] when it uses TLS. */
void trunk_tls_watch_trunk(struct trunk_gateway *gw, struct nta_outgoing_s *orq,
			   const char *ctx, const char *trunk,
			   trunk_tls_fail_h *fail, void *arg);
/* Stop watching orq (its owner hands it to another, which keeps it). */
void trunk_tls_orq_unwatch(struct trunk_gateway *gw,
			   struct nta_outgoing_s *orq);
/* nta_outgoing_destroy() for watched requests. */
void trunk_tls_orq_destroy(struct trunk_gateway *gw,
			   struct nta_outgoing_s *orq);
/* The name (Sofia's tpn_canon: the host of the route) a watched request
 * is connecting to peer for, copied to buf; NULL when none is. */
const char *trunk_tls_watches_name(struct trunk_tls_watches *ws,
				   const struct sockaddr *peer, char *buf,
				   size_t len);
/* TLS connections failed so far, and the last reason (NULL: none). */
unsigned long trunk_tls_failures(const struct trunk_gateway *gw,
				 const char **last);

/* tls_flow.c: a TLS connection held open by its owner (TLS-11/12). */
struct trunk_tls_flow;
/* The held connection closed: release it, open a new one. From a timer. */
typedef void(trunk_tls_lost_h)(void *arg);
/* Hold the TLS connection orq (answered) went over, in *fp (the one held
 * before is released unless it is the same). 0, ENOENT (no connection),
 * EINVAL (not a connected TLS connection) or ENOMEM. */
int trunk_tls_flow_hold(struct trunk_gateway *gw, struct nta_outgoing_s *orq,
			const char *ctx, trunk_tls_lost_h *lost, void *arg,
			struct trunk_tls_flow **fp);
void trunk_tls_flow_release(struct trunk_tls_flow **fp);
/* certs/' view of our open TLS connection to hostport ("host:port"). */
void trunk_tls_conn_state(const char *hostport, struct trunk_tls_state *out);
/* The held connection's state (all zero when none is held). */
void trunk_tls_flow_info(const struct trunk_tls_flow *f,
			 struct trunk_tls_state *out);

#endif /* TRUNKD_TRUNK_TLS_H */
