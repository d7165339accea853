/*
 * Private to trunk/: the pure part of peer_dns.c, for unit tests.
 */
#ifndef TRUNKD_TRUNK_PEER_DNS_H
#define TRUNKD_TRUNK_PEER_DNS_H

#include <stddef.h>

/* One SRV record (RFC 2782). */
struct trunk_dns_srv {
	unsigned prio, weight, port;
	char target[1025];
};

/* A random number for the weighted draw; arg is the caller's. */
typedef unsigned long trunk_dns_rnd_h(void *arg);

/*
 * Put v[0..n) in RFC 2782 order: by priority, lowest first; within one
 * priority, repeated draws: r = rnd() mod (sum of the remaining weights
 * + 1), the first record (weight 0 ones first) whose running sum of
 * weights reaches r is next.
 */
void trunk_dns_srv_order(struct trunk_dns_srv *v, size_t n,
			 trunk_dns_rnd_h *rnd, void *arg);

#endif
