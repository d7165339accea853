/*
 * Stand-in relays for bench_media (bench_relay.c): the packet path of
 * media/relay.c reduced to what every relayed packet costs (receive,
 * RTP check, source latch, send from the other leg's socket), with
 * interchangeable I/O so that one I/O path can be measured against
 * another under the same generator. Not a relay for trunkd: no RTCP, no
 * commands, no counters.
 */
#ifndef TRUNKD_BENCH_RELAY_H
#define TRUNKD_BENCH_RELAY_H

#include <stdint.h>

enum bench_relay_mode {
	BENCH_RELAY_EPOLL,	  /* epoll (edge), recvmmsg, sendmmsg to */
	BENCH_RELAY_EPOLL_CONN,	  /* the same, sockets connect()ed: send */
	BENCH_RELAY_URING,	  /* io_uring: multishot recvmsg, sendmsg */
	BENCH_RELAY_URING_CONN,	  /* io_uring, sockets connect()ed: send */
	BENCH_RELAY_URING_SENDTO, /* io_uring, IORING_OP_SEND with an address */
	BENCH_RELAY_TC,	  /* epoll until latched, then tc BPF in the kernel */
	BENCH_RELAY_NULL, /* no relay: the generator's baseline */
};

struct bench_relay;

/* Parse "epoll", "epoll-conn", "uring", "uring-conn", "uring-sendto",
 * "tc", "null": 0 or EINVAL. */
int bench_relay_mode_parse(const char *name, enum bench_relay_mode *mode);

/* Open 2 sockets per session on 127.0.0.1 (ephemeral ports), leg l of
 * session i sending to 127.0.0.1:remote[2 * i + l] until it latches a
 * source, and start the relay thread. 0 or an errno value (ENOTSUP: tc
 * in a build without libbpf and clang). `null` opens nothing: the port
 * of leg l is remote[2 * i + (l ^ 1)], where the relay would send. */
int bench_relay_start(enum bench_relay_mode mode, unsigned sessions,
		      const uint16_t *remote, struct bench_relay **out);
uint16_t bench_relay_port(const struct bench_relay *r, unsigned session,
			  unsigned leg);
/* CPU time of the relay thread so far (its thread clock). */
uint64_t bench_relay_cpu_ns(const struct bench_relay *r);
/* Packets relayed by the thread, and (tc) by the kernel. */
uint64_t bench_relay_packets(const struct bench_relay *r);
uint64_t bench_relay_kernel_packets(const struct bench_relay *r);
/* Stop the thread, close the sockets, free. */
void bench_relay_stop(struct bench_relay *r);

#endif
