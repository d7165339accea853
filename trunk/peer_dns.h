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

/*
 * glibc's longest wait in ms for one query that no server answers
 * (res_send.c, send_dg): `retry` rounds over the `nscount` servers,
 * server ns (0 first) waiting retrans << ns seconds, divided by nscount
 * past the first, at least 1 s each. retrans 2, retry 2: 4 s with one
 * server, 8 s with two, 10 s with three.
 */
long long trunk_dns_query_worst_ms(unsigned retrans, unsigned retry,
				   unsigned nscount);

/*
 * The Retry-After (seconds) of a call refused while a lookup may take
 * left_ms more: rounded up, at least 1, at most max_s.
 */
unsigned trunk_dns_retry_after(long long left_ms, unsigned max_s);

/* The WARNs of one trunk's refused calls (zeroed: none yet). */
struct trunk_dns_warn {
	long long last_ms;  /* the last WARN's time */
	unsigned long held; /* calls refused since, not logged at WARN */
	bool warned;	    /* there was one */
};

/*
 * A call refused at now_ms: true when it is logged at WARN (the first
 * one, or the first interval_ms or more after the last WARN), *held then
 * the calls refused since that last WARN without one (0 for the first);
 * false: counted for the next WARN.
 */
bool trunk_dns_warn_take(struct trunk_dns_warn *w, long long now_ms,
			 long long interval_ms, unsigned long *held);

#endif
