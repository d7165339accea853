/*
 * The map shared by relay_tc.bpf.c (in the kernel) and bench_relay.c's
 * `tc` mode (userspace): one entry per latched relay socket, keyed by
 * that socket's address, all fields in network byte order except the
 * counters.
 */
#ifndef TRUNKD_RELAY_TC_H
#define TRUNKD_RELAY_TC_H

#include <linux/types.h>

#define RELAY_TC_MAX_ENTRIES 65536

struct relay_tc_key {
	__u32 addr; /* the relay socket's (the packet's destination) */
	__u16 port;
	__u16 pad; /* 0 */
};

struct relay_tc_val {
	__u32 peer_addr; /* the latched source: others go to userspace */
	__u16 peer_port;
	__u16 src_port; /* rewritten: the other leg's socket */
	__u32 src_addr;
	__u32 dst_addr; /* rewritten: the other leg's latched peer */
	__u16 dst_port;
	__u16 pad;
	__u32 ifindex; /* redirected to its egress */
	__u64 packets; /* forwarded by the kernel */
	__u64 bytes;   /* their UDP length */
	__u64 last_ns; /* bpf_ktime_get_ns() of the last one */
};

#ifndef __bpf__ /* userspace: bench_relay_tc.c, built with libbpf */
#include <netinet/in.h>
#include <stdint.h>

struct relay_tc;

/* Load the program (the object file at path), attach it to lo's clsact
 * ingress hook: 0 or an errno value, with the reason on stderr. Refuses
 * the initial network namespace (the filter would stay on the host's lo
 * after a crash). */
int relay_tc_open(const char *path, struct relay_tc **out);
/* The two entries of a session whose legs a and b (their sockets'
 * addresses) have latched their peers: 0 or an errno value. */
int relay_tc_install(struct relay_tc *t, const struct sockaddr_in *a,
		     const struct sockaddr_in *peer_a,
		     const struct sockaddr_in *b,
		     const struct sockaddr_in *peer_b);
/* Packets the kernel forwarded, the sum over the map's entries. */
uint64_t relay_tc_packets(struct relay_tc *t);
/* Detach, unload, free. */
void relay_tc_close(struct relay_tc *t);
#endif

#endif
