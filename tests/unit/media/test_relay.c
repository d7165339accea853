/*
 * Unit tests of the media relay engine (media/engine.c, session.c,
 * relay.c, pool.c) with real UDP sockets on loopback: the test plays both
 * call legs' peers. Nothing sleeps: every wait is a poll() on a socket or
 * on the engine's event fd, bounded by WAIT_MS; a condition that takes
 * the media thread's time (counters) is polled in 2 ms steps up to the
 * same bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/media_private.h" /* MEDIA_BATCH, MEDIA_ROUNDS */
#include "test_media.h"
#include "unit_test.h"

#define WAIT_MS 2000

/* ---------------------------------------------------------------------- */
/* Fixture                                                                 */

struct ev_log {
	unsigned n;
	struct media_event ev[64];
};
static struct ev_log evlog;

static void on_event(const struct media_event *ev, void *arg)
{
	struct ev_log *log = arg;

	if (log->n < 64)
		log->ev[log->n++] = *ev;
}

/*
 * As root, the test process runs in a network namespace of its own with
 * its loopback up, before any socket exists: no other program's socket can
 * hold a port of the range below (on a shared machine other tests and
 * daemons did). Without the privilege, the pid-derived range alone.
 */
__attribute__((constructor)) static void private_network(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0 ||
	    (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		(void)ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

/*
 * A small port range of its own per test process (cases run in
 * parallel): PAIRS pairs from a pid-derived base in 61000-65535, above
 * Linux's default ephemeral range (32768-60999), so that the peers'
 * sockets (port 0) never take a port the pool counts on.
 */
static uint16_t range_base(unsigned pairs)
{
	unsigned slots = 4500 / (2 * pairs);

	return (uint16_t)(61000 + (unsigned)getpid() % slots * 2 * pairs);
}

static int engine_new(const char *addr, unsigned pairs, unsigned timeout_ms,
		      struct media_engine **e)
{
	struct media_conf conf = { 0 };

	conf.port_min = range_base(pairs);
	conf.port_max = (uint16_t)(conf.port_min + 2 * pairs - 1);
	conf.addr[MEDIA_SIDE_ENTERPRISE] = addr;
	conf.addr[MEDIA_SIDE_TRUNK] = addr;
	conf.rtp_timeout_ms = timeout_ms;
	conf.threads = 2;
	memset(&evlog, 0, sizeof(evlog));
	return media_engine_alloc(&conf, on_event, &evlog, e);
}

/* A UDP socket on addr, port 0 (v6 when addr has a ':'); -1 on error. */
static int udp_open(const char *addr)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	int fd, v6 = strchr(addr, ':') != NULL;

	if (v6) {
		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
	} else {
		in->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &in->sin_addr);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, v6 ? sizeof(*in6) : sizeof(*in))) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t udp_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	getsockname(fd, (struct sockaddr *)&ss, &len);
	return ntohs(ss.ss_family == AF_INET6
			     ? ((struct sockaddr_in6 *)&ss)->sin6_port
			     : ((struct sockaddr_in *)&ss)->sin_port);
}

/* Send len bytes of buf from fd to addr:port. */
static int udp_send(int fd, const char *addr, uint16_t port, const void *buf,
		    size_t len)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = sizeof(*in);

	if (strchr(addr, ':')) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		sl = sizeof(*in6);
	} else {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, addr, &in->sin_addr);
	}
	return sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) ==
			       (ssize_t)len
		       ? 0
		       : -1;
}

/* Wait up to ms for a datagram: its length (and source port), or -1. */
static ssize_t udp_recv(int fd, void *buf, size_t len, uint16_t *src_port,
			int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
	if (n >= 0 && src_port)
		*src_port =
			ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	return n;
}

/* Is nothing waiting on fd (a socket, the event fd) right now? */
static bool udp_empty(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* An RTP packet of len bytes (>= 12): version 2, pt, seq. */
static size_t rtp_make(unsigned char *b, size_t len, unsigned pt, unsigned seq)
{
	memset(b, 0xd5, len);
	b[0] = 0x80;
	b[1] = (unsigned char)pt;
	b[2] = (unsigned char)(seq >> 8);
	b[3] = (unsigned char)seq;
	memset(b + 4, 0, 8);
	return len;
}

/* Dispatch events until one of type (on leg, -1: any) shows up. */
static const struct media_event *
event_wait(struct media_engine *e, enum media_event_type type, int leg, int ms)
{
	struct pollfd p = { .fd = media_engine_fd(e), .events = POLLIN };
	unsigned i, seen = 0;

	for (;;) {
		for (i = seen; i < evlog.n; i++)
			if (evlog.ev[i].type == type &&
			    (leg < 0 || (int)evlog.ev[i].leg == leg))
				return &evlog.ev[i];
		seen = evlog.n;
		if (poll(&p, 1, ms) != 1)
			return NULL;
		media_engine_dispatch(e);
	}
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Dispatch until the engine holds want sessions (destroys finished). */
static bool sessions_wait(struct media_engine *e, unsigned want)
{
	struct pollfd p = { .fd = media_engine_fd(e), .events = POLLIN };

	while (media_engine_sessions(e) != want) {
		if (poll(&p, 1, WAIT_MS) != 1)
			return false;
		media_engine_dispatch(e);
	}
	return true;
}

/* Poll a leg's counter until it reaches want (2 ms steps, bounded). */
#define STAT_OFF(f) offsetof(struct media_stats, f)
static bool stat_wait(struct media_session *s, enum media_leg leg, size_t off,
		      uint64_t want)
{
	uint64_t end = ms_now() + WAIT_MS;
	struct media_stats st;

	for (;;) {
		media_session_get_stats(s, leg, &st);
		if (*(uint64_t *)((char *)&st + off) >= want)
			return true;
		if (ms_now() > end)
			return false;
		poll(NULL, 0, 2);
	}
}

/* Both legs' peers: an RTP and an RTCP socket each. */
struct peers {
	int rtp[2], rtcp[2];
};

static int peers_open(struct peers *p, const char *addr)
{
	int i;

	for (i = 0; i < 2; i++) {
		p->rtp[i] = udp_open(addr);
		p->rtcp[i] = udp_open(addr);
		if (p->rtp[i] < 0 || p->rtcp[i] < 0)
			return -1;
	}
	return 0;
}

static void peers_close(struct peers *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		close(p->rtp[i]);
		close(p->rtcp[i]);
	}
}

/* Tell the session where leg's peer is (its real sockets), sendrecv. */
static int remote_set(struct media_session *s, enum media_leg leg,
		      const char *addr, const struct peers *p,
		      enum media_dir dir)
{
	struct media_remote r = {
		.addr = addr,
		.rtp_port = udp_port(p->rtp[leg]),
		.rtcp_port = udp_port(p->rtcp[leg]),
		.dir = dir,
	};

	return media_session_set_remote(s, leg, &r);
}

/*
 * The usual fixture: leg peers on addr, an engine of 4 pairs, a session
 * (arg p) whose leg A is sendrecv and leg B dir_b.
 */
static int call_open(struct peers *p, struct media_engine **e,
		     struct media_session **s, const char *addr,
		     unsigned timeout_ms, enum media_dir dir_b)
{
	CHECK(peers_open(p, addr) == 0);
	CHECK(engine_new(addr, 4, timeout_ms, e) == 0);
	CHECK(media_session_alloc(*e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  p, s) == 0);
	CHECK(remote_set(*s, MEDIA_LEG_A, addr, p, MEDIA_DIR_SENDRECV) == 0);
	CHECK(remote_set(*s, MEDIA_LEG_B, addr, p, dir_b) == 0);
	return 0;
}

/* Send one RTP packet from leg's peer to the relay; expect it at the
 * other leg's peer, from the other endpoint's port (RTP-1). */
static int relay_one(struct media_session *s, const char *addr,
		     const struct peers *p, enum media_leg from, unsigned seq)
{
	unsigned char out[172], in[2048];
	enum media_leg to = !from;
	uint16_t src = 0;
	ssize_t n;

	rtp_make(out, sizeof(out), 0, seq);
	CHECK(udp_send(p->rtp[from], addr, media_session_port(s, from), out,
		       sizeof(out)) == 0);
	n = udp_recv(p->rtp[to], in, sizeof(in), &src, WAIT_MS);
	CHECK(n == (ssize_t)sizeof(out) && !memcmp(in, out, sizeof(out)));
	CHECK(src == media_session_port(s, to));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                   */

int t_pool(void)
{
	struct media_session *s[4];
	struct media_engine *e;
	struct sockaddr_in in = { .sin_family = AF_INET };
	uint16_t base = range_base(6), seen[6];
	int i, j, held;

	/* A port of the range held by another program: its pair is
	 * skipped, and the pool keeps going with the next. */
	held = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in.sin_port = htons(base + 1); /* RTCP of the first pair */
	CHECK(bind(held, (struct sockaddr *)&in, sizeof(in)) == 0);
	CHECK(engine_new("127.0.0.1", 6, 0, &e) == 0);
	CHECK(media_engine_ports_free(e) == 6);
	for (i = 0; i < 2; i++)
		CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE,
					  MEDIA_SIDE_TRUNK, NULL, &s[i]) == 0);
	CHECK(media_session_port(s[0], MEDIA_LEG_A) == base + 2);
	/* Left: the blocked pair and one more; B cannot get a second. */
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s[2]) == EADDRINUSE);
	CHECK(media_engine_ports_free(e) == 2);
	close(held);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s[2]) == 0);
	for (i = 0; i < 6; i++) {
		seen[i] = media_session_port(s[i / 2], i % 2);
		CHECK(seen[i] % 2 == 0 && seen[i] >= base &&
		      seen[i] + 1 <= base + 11);
		for (j = 0; j < i; j++)
			CHECK(seen[j] != seen[i]);
		/* Both of the pair are ours (bound): RTP and RTCP. */
		in.sin_port = htons(seen[i] + i % 2);
		held = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		CHECK(bind(held, (struct sockaddr *)&in, sizeof(in)) < 0 &&
		      errno == EADDRINUSE);
		close(held);
	}
	/* Exhausted: ENOSPC, which the B2BUA maps to 503. */
	CHECK(media_engine_ports_free(e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s[3]) == ENOSPC);
	/* Released on destroy (by the media thread, then dispatch). */
	media_session_free(s[1]);
	CHECK(sessions_wait(e, 2));
	CHECK(media_engine_ports_free(e) == 2);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s[1]) == 0);
	CHECK(media_session_port(s[1], MEDIA_LEG_A) == seen[2]);
	CHECK(media_session_port(s[1], MEDIA_LEG_B) == seen[3]);
	media_engine_free(e);
	return 0;
}

int t_bad_args(void)
{
	struct media_conf conf = { .port_min = 40001, .port_max = 40010 };
	struct media_remote r = { .addr = "::1", .rtp_port = 4000 };
	struct media_session *s;
	struct media_engine *e;

	CHECK(media_engine_alloc(&conf, on_event, &evlog, &e) == EINVAL);
	conf.port_min = 40000;
	conf.addr[0] = "localhost";
	CHECK(media_engine_alloc(&conf, on_event, &evlog, &e) == EINVAL);
	conf.port_max = 40000;
	conf.addr[0] = "127.0.0.1";
	CHECK(media_engine_alloc(&conf, on_event, &evlog, &e) == EINVAL);
	CHECK(engine_new("127.0.0.1", 2, 0, &e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s) == 0);
	CHECK(media_session_set_remote(s, MEDIA_LEG_A, &r) == EAFNOSUPPORT);
	r.addr = "pbx.example.com";
	CHECK(media_session_set_remote(s, MEDIA_LEG_A, &r) == EINVAL);
	r.addr = "192.0.2.1";
	r.npt = 1;
	r.pt = (const uint8_t[]){ 200 };
	CHECK(media_session_set_remote(s, MEDIA_LEG_A, &r) == EINVAL);
	media_session_free(s);
	media_engine_free(e);
	return 0;
}

static int relay_both_ways(const char *addr)
{
	struct media_session *s;
	struct media_engine *e;
	struct peers p;
	int i;

	CHECK(call_open(&p, &e, &s, addr, 0, MEDIA_DIR_SENDRECV) == 0);
	for (i = 0; i < 5; i++) {
		CHECK(relay_one(s, addr, &p, MEDIA_LEG_A, 2 * i) == 0);
		CHECK(relay_one(s, addr, &p, MEDIA_LEG_B, 2 * i + 1) == 0);
	}
	media_session_free(s);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

int t_relay(void)
{
	return relay_both_ways("127.0.0.1");
}

int t_relay_ipv6(void)
{
	int fd = udp_open("::1");

	if (fd < 0) {
		printf("skipped: no ::1 here\n");
		return 0;
	}
	close(fd);
	return relay_both_ways("::1");
}

int t_latching(void)
{
	unsigned char pkt[172], in[2048];
	struct media_session *s;
	struct media_engine *e;
	struct media_stats st;
	struct peers p;
	int nat, moved, i;

	/* Leg A's SDP names a port nobody sends from (a NATed phone):
	 * its packets come from p.rtp[A]; replies must go there. */
	nat = udp_open("127.0.0.1");
	moved = udp_open("127.0.0.1");
	CHECK(peers_open(&p, "127.0.0.1") == 0 && nat >= 0 && moved >= 0);
	CHECK(engine_new("127.0.0.1", 4, 0, &e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s) == 0);
	CHECK(media_session_set_remote(
		      s, MEDIA_LEG_A,
		      &(struct media_remote){ .addr = "127.0.0.1",
					      .rtp_port = udp_port(nat),
					      .dir = MEDIA_DIR_SENDRECV }) ==
	      0);
	CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 2) == 0);
	CHECK(udp_empty(nat));
	/* Another source: dropped until MEDIA_RELATCH_PACKETS in a row. */
	rtp_make(pkt, sizeof(pkt), 0, 3);
	for (i = 1; i < MEDIA_RELATCH_PACKETS; i++)
		CHECK(udp_send(moved, "127.0.0.1",
			       media_session_port(s, MEDIA_LEG_A), pkt,
			       sizeof(pkt)) == 0);
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(drop_source),
			MEDIA_RELATCH_PACKETS - 1));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_B]));
	CHECK(udp_send(moved, "127.0.0.1", media_session_port(s, MEDIA_LEG_A),
		       pkt, sizeof(pkt)) == 0);
	CHECK(udp_recv(p.rtp[MEDIA_LEG_B], in, sizeof(in), NULL, WAIT_MS) ==
	      sizeof(pkt));
	media_session_get_stats(s, MEDIA_LEG_A, &st);
	CHECK(st.drop_source == MEDIA_RELATCH_PACKETS - 1);
	/* Re-latched: B's packets now go to the new source. */
	rtp_make(pkt, sizeof(pkt), 0, 4);
	CHECK(udp_send(p.rtp[MEDIA_LEG_B], "127.0.0.1",
		       media_session_port(s, MEDIA_LEG_B), pkt,
		       sizeof(pkt)) == 0);
	CHECK(udp_recv(moved, in, sizeof(in), NULL, WAIT_MS) == sizeof(pkt));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_A]) && udp_empty(nat));
	media_engine_free(e);
	peers_close(&p);
	close(nat);
	close(moved);
	return 0;
}

int t_rtcp(void)
{
	unsigned char sr[28] = { 0x80, 200, 0, 6 }, in[2048], bad[8] = { 0 };
	struct media_session *s;
	struct media_engine *e;
	struct media_stats st;
	uint16_t src = 0;
	struct peers p;
	int from;

	CHECK(call_open(&p, &e, &s, "127.0.0.1", 0, MEDIA_DIR_SENDRECV) == 0);
	for (from = 0; from < 2; from++) {
		/* Not RTCP (version 0) on the RTCP port: dropped. */
		CHECK(udp_send(p.rtcp[from], "127.0.0.1",
			       media_session_port(s, from) + 1, bad,
			       sizeof(bad)) == 0);
		CHECK(udp_send(p.rtcp[from], "127.0.0.1",
			       media_session_port(s, from) + 1, sr,
			       sizeof(sr)) == 0);
		CHECK(udp_recv(p.rtcp[!from], in, sizeof(in), &src, WAIT_MS) ==
		      sizeof(sr));
		CHECK(!memcmp(in, sr, sizeof(sr)));
		CHECK(src == media_session_port(s, !from) + 1);
	}
	CHECK(udp_empty(p.rtp[0]) && udp_empty(p.rtp[1]));
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(rtcp_out_packets), 1));
	media_session_get_stats(s, MEDIA_LEG_A, &st);
	CHECK(st.rtcp_in_packets == 2 && st.rtcp_out_packets == 1);
	CHECK(st.drop_malformed == 1 && st.rtp_in_packets == 0);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* Leg A holds (A's re-INVITE said `dir`, or c=0.0.0.0): nothing goes to
 * A, A's music on hold still reaches B; resume restores both ways. */
static int hold_case(enum media_dir dir, bool c_zero)
{
	unsigned char pkt[172];
	struct media_session *s;
	struct media_engine *e;
	struct peers p;

	CHECK(call_open(&p, &e, &s, "127.0.0.1", 0, MEDIA_DIR_SENDRECV) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 2) == 0);
	CHECK(remote_set(s, MEDIA_LEG_A, c_zero ? "0.0.0.0" : "127.0.0.1", &p,
			 dir) == 0);
	rtp_make(pkt, sizeof(pkt), 0, 3);
	CHECK(udp_send(p.rtp[MEDIA_LEG_B], "127.0.0.1",
		       media_session_port(s, MEDIA_LEG_B), pkt,
		       sizeof(pkt)) == 0);
	CHECK(stat_wait(s, MEDIA_LEG_B, STAT_OFF(drop_hold), 1));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_A]));
	/* The holder's packets (music on hold) still reach B. */
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 4) == 0);
	/* Resume. */
	CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 5) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 6) == 0);
	media_session_free(s);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

int t_hold_sendonly(void)
{
	return hold_case(MEDIA_DIR_SENDONLY, false);
}

int t_hold_inactive(void)
{
	return hold_case(MEDIA_DIR_INACTIVE, false);
}

int t_hold_c_zero(void)
{
	return hold_case(MEDIA_DIR_SENDRECV, true);
}

int t_hold_set_dir(void)
{
	unsigned char pkt[172];
	struct media_session *s;
	struct media_engine *e;
	struct peers p;

	CHECK(call_open(&p, &e, &s, "127.0.0.1", 0, MEDIA_DIR_SENDRECV) == 0);
	CHECK(media_session_set_dir(s, MEDIA_LEG_B, MEDIA_DIR_INACTIVE) == 0);
	rtp_make(pkt, sizeof(pkt), 0, 1);
	CHECK(udp_send(p.rtp[MEDIA_LEG_A], "127.0.0.1",
		       media_session_port(s, MEDIA_LEG_A), pkt,
		       sizeof(pkt)) == 0);
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(drop_hold), 1));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_B]));
	CHECK(media_session_set_dir(s, MEDIA_LEG_B, MEDIA_DIR_RECVONLY) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 2) == 0);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* No RTP_TIMEOUT (on any leg) for ms, dispatching what comes. */
static bool no_timeout(struct media_engine *e, int ms)
{
	return !event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, -1, ms);
}

int t_timeout(void)
{
	const struct media_event *ev;
	struct media_session *s;
	struct media_engine *e;
	uint64_t t0;
	struct peers p;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 4, 200, &e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  &p, &s) == 0);
	CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	/* B only receives: it is not expected to send. */
	CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", &p, MEDIA_DIR_RECVONLY) ==
	      0);
	/* Not watched yet (a ringing call): silence is never reported,
	 * here for three periods. */
	CHECK(no_timeout(e, 600));
	t0 = ms_now();
	media_session_watch(s);
	media_session_watch(s); /* idempotent */
	/* The same SDP again every 50 ms (session refreshes) does not reset
	 * the clock: the timeout comes all the same. */
	while (!(ev = event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, -1, 50)) &&
	       ms_now() - t0 < WAIT_MS)
		CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p,
				 MEDIA_DIR_SENDRECV) == 0);
	CHECK(ev && ev->leg == MEDIA_LEG_A && ev->session == s &&
	      ev->session_arg == &p);
	CHECK(ms_now() - t0 >= 190);
	/* Reported once; B never: wait three more periods for proof. */
	CHECK(!event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_B, 600));
	CHECK(evlog.n == 1);
	/* A packet re-arms it. */
	evlog.n = 0;
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	CHECK(event_wait(e, MEDIA_EVENT_FIRST_PACKET, MEDIA_LEG_A, WAIT_MS));
	CHECK(event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_A, WAIT_MS));
	media_session_free(s);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* Set both legs' directions (and A's address), then: no timeout for three
 * periods. */
static int hold_quiet(struct media_engine *e, struct media_session *s,
		      const struct peers *p, const char *a_addr,
		      enum media_dir a, enum media_dir b)
{
	struct media_remote r = {
		.addr = a_addr,
		.rtp_port = udp_port(p->rtp[MEDIA_LEG_A]),
		.dir = a,
	};

	CHECK(media_session_set_remote(s, MEDIA_LEG_A, &r) == 0);
	CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", p, b) == 0);
	CHECK(no_timeout(e, 600));
	return 0;
}

int t_timeout_hold(void)
{
	struct media_session *s;
	struct media_engine *e;
	struct peers p;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 4, 200, &e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  &p, &s) == 0);
	media_session_watch(s);
	/* A holds with sendonly and plays no music (HOLD-1), B answers
	 * recvonly: neither is expected to send. */
	CHECK(hold_quiet(e, s, &p, "127.0.0.1", MEDIA_DIR_SENDONLY,
			 MEDIA_DIR_RECVONLY) == 0);
	/* B's SDP says sendrecv (an answer ignoring the offer's direction,
	 * or not given yet): it must not send to a sendonly A either. */
	CHECK(hold_quiet(e, s, &p, "127.0.0.1", MEDIA_DIR_SENDONLY,
			 MEDIA_DIR_SENDRECV) == 0);
	/* inactive hold. */
	CHECK(hold_quiet(e, s, &p, "127.0.0.1", MEDIA_DIR_INACTIVE,
			 MEDIA_DIR_INACTIVE) == 0);
	/* RFC 2543 hold: c=0.0.0.0, sendrecv on both (HOLD-2). */
	CHECK(hold_quiet(e, s, &p, "0.0.0.0", MEDIA_DIR_SENDRECV,
			 MEDIA_DIR_SENDRECV) == 0);
	/* Resumed: both are expected again, the clock starting now. */
	CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_A, WAIT_MS));
	CHECK(event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_B, WAIT_MS));
	CHECK(evlog.n == 2);
	media_session_free(s);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

int t_timeout_rtcp(void)
{
	/* An RTCP receiver report (RFC 3550 6.4.2), no report block. */
	static const unsigned char rr[8] = { 0x80, 201, 0, 1, 1, 2, 3, 4 };
	struct media_session *s;
	struct media_engine *e;
	struct peers p;
	uint64_t end;

	CHECK(call_open(&p, &e, &s, "127.0.0.1", 200, MEDIA_DIR_SENDRECV) == 0);
	media_session_watch(s);
	/* A's peer sends RTCP only, every 50 ms for 4 periods: it is alive.
	 * B sends nothing: its timeout comes. */
	for (end = ms_now() + 800; ms_now() < end;) {
		CHECK(udp_send(p.rtcp[MEDIA_LEG_A], "127.0.0.1",
			       media_session_port(s, MEDIA_LEG_A) + 1, rr,
			       sizeof(rr)) == 0);
		CHECK(!event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_A, 50));
	}
	CHECK(event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_B, 0));
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(rtcp_in_packets), 10));
	/* A stops too. */
	CHECK(event_wait(e, MEDIA_EVENT_RTP_TIMEOUT, MEDIA_LEG_A, WAIT_MS));
	media_session_free(s);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

int t_first_packet(void)
{
	const struct media_event *ev;
	struct media_session *s;
	struct media_engine *e;
	struct peers p;
	char want[32];
	int i;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 4, 0, &e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_TRUNK, MEDIA_SIDE_ENTERPRISE,
				  &p, &s) == 0);
	CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	for (i = 0; i < 3; i++)
		CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, i) == 0);
	ev = event_wait(e, MEDIA_EVENT_FIRST_PACKET, -1, WAIT_MS);
	snprintf(want, sizeof(want), "127.0.0.1:%u", udp_port(p.rtp[1]));
	CHECK(ev && ev->leg == MEDIA_LEG_B && ev->session_arg == &p);
	CHECK(!strcmp(ev->src, want));
	CHECK(!strcmp(media_event_name(ev->type), "FIRST_PACKET"));
	/* Once per endpoint: now A's. */
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 9) == 0);
	CHECK(event_wait(e, MEDIA_EVENT_FIRST_PACKET, MEDIA_LEG_A, WAIT_MS));
	CHECK(evlog.n == 2);
	/* No event after media_session_free(), even if already queued. */
	media_session_free(s);
	media_engine_dispatch(e);
	CHECK(evlog.n == 2);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

int t_garbage(void)
{
	unsigned char big[3000], b[172], in[2048];
	struct media_remote r = { .addr = "127.0.0.1",
				  .dir = MEDIA_DIR_SENDRECV,
				  .npt = 3,
				  .pt = (const uint8_t[]){ 0, 8, 101 } };
	struct media_session *s;
	struct media_engine *e;
	struct media_stats st;
	uint16_t port;
	struct peers p;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 4, 0, &e) == 0);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s) == 0);
	r.rtp_port = udp_port(p.rtp[MEDIA_LEG_A]);
	CHECK(media_session_set_remote(s, MEDIA_LEG_A, &r) == 0);
	CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	port = media_session_port(s, MEDIA_LEG_A);
	/* version 0; too short; CSRC count past the end; over
	 * MEDIA_MAX_PACKET; an RTCP-like PT; empty datagram. */
	memset(b, 0, sizeof(b));
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, sizeof(b)) == 0);
	rtp_make(b, 12, 0, 1);
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, 11) == 0);
	b[0] = 0x8f;
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, 40) == 0);
	rtp_make(big, sizeof(big), 0, 2);
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, big, sizeof(big)) == 0);
	rtp_make(b, sizeof(b), 72, 3);
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, sizeof(b)) == 0);
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, 0) == 0);
	/* Valid RTP, a payload type A did not negotiate (18: G.729). */
	rtp_make(b, sizeof(b), 18, 4);
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, sizeof(b)) == 0);
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(drop_pt), 1));
	media_session_get_stats(s, MEDIA_LEG_A, &st);
	CHECK(st.drop_malformed == 6 && st.rtp_in_packets == 7);
	/* Garbage did not latch: A's good packet does, and is the first
	 * thing B's peer gets. */
	rtp_make(b, sizeof(b), 8, 5);
	CHECK(udp_send(p.rtp[0], "127.0.0.1", port, b, sizeof(b)) == 0);
	CHECK(udp_recv(p.rtp[1], in, sizeof(in), NULL, WAIT_MS) == sizeof(b));
	CHECK(in[1] == 8 && in[3] == 5);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 6) == 0);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* RTP-2: sizes of 10, 20, 30 and 60 ms G.711 packets are all relayed
 * as they came, and counted exactly. */
int t_stats(void)
{
	static const size_t sizes[] = { 92, 172, 252, 492, 172, 172 };
	unsigned char b[512], in[2048];
	uint64_t bytes = 0;
	struct media_session *s;
	struct media_engine *e;
	struct media_stats a, bs;
	struct peers p;
	size_t i;

	CHECK(call_open(&p, &e, &s, "127.0.0.1", 0, MEDIA_DIR_SENDRECV) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		rtp_make(b, sizes[i], 0, (unsigned)i);
		CHECK(udp_send(p.rtp[0], "127.0.0.1",
			       media_session_port(s, MEDIA_LEG_A), b,
			       sizes[i]) == 0);
		CHECK(udp_recv(p.rtp[1], in, sizeof(in), NULL, WAIT_MS) ==
		      (ssize_t)sizes[i]);
		bytes += sizes[i];
	}
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 7) == 0);
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(rtp_out_packets), 1));
	media_session_get_stats(s, MEDIA_LEG_A, &a);
	media_session_get_stats(s, MEDIA_LEG_B, &bs);
	CHECK(a.rtp_in_packets == 6 && a.rtp_in_bytes == bytes);
	CHECK(bs.rtp_out_packets == 6 && bs.rtp_out_bytes == bytes);
	CHECK(bs.rtp_in_packets == 1 && bs.rtp_in_bytes == 172);
	CHECK(a.rtp_out_packets == 1 && a.rtp_out_bytes == 172);
	CHECK(a.drop_malformed + a.drop_source + a.drop_pt + a.drop_hold +
		      a.drop_send ==
	      0);
	media_session_free(s);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

struct blaster {
	int fd;
	uint16_t port[2];
	atomic_bool stop;
	unsigned sent;
};

/* Send RTP at both endpoints as fast as possible until told to stop. */
static void *blast(void *arg)
{
	struct blaster *b = arg;
	unsigned char pkt[172];

	rtp_make(pkt, sizeof(pkt), 0, 0);
	while (!atomic_load(&b->stop)) {
		udp_send(b->fd, "127.0.0.1", b->port[b->sent % 2], pkt,
			 sizeof(pkt));
		b->sent++;
	}
	return NULL;
}

int t_destroy_under_traffic(void)
{
	struct blaster b = { 0 };
	struct media_session *s;
	struct media_engine *e;
	struct peers p;
	pthread_t tid;
	int round;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 4, 0, &e) == 0);
	b.fd = udp_open("127.0.0.1");
	CHECK(b.fd >= 0);
	for (round = 0; round < 20; round++) {
		CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE,
					  MEDIA_SIDE_TRUNK, NULL, &s) == 0);
		CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p,
				 MEDIA_DIR_SENDRECV) == 0);
		CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", &p,
				 MEDIA_DIR_SENDRECV) == 0);
		b.port[0] = media_session_port(s, MEDIA_LEG_A);
		b.port[1] = media_session_port(s, MEDIA_LEG_B);
		atomic_store(&b.stop, false);
		CHECK(pthread_create(&tid, NULL, blast, &b) == 0);
		CHECK(stat_wait(s, MEDIA_LEG_B, STAT_OFF(rtp_in_packets), 20));
		media_session_free(s); /* while packets are in flight */
		/* The ports come back once the destroy is dispatched. */
		CHECK(sessions_wait(e, 0));
		atomic_store(&b.stop, true);
		pthread_join(tid, NULL);
		CHECK(media_engine_ports_free(e) == 4);
	}
	close(b.fd);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

int t_shutdown_live(void)
{
	struct media_session *s[4];
	struct media_engine *e;
	struct peers p;
	int i;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 8, 200, &e) == 0);
	for (i = 0; i < 4; i++) {
		CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE,
					  MEDIA_SIDE_TRUNK, NULL, &s[i]) == 0);
		CHECK(remote_set(s[i], MEDIA_LEG_A, "127.0.0.1", &p,
				 MEDIA_DIR_SENDRECV) == 0);
		CHECK(remote_set(s[i], MEDIA_LEG_B, "127.0.0.1", &p,
				 MEDIA_DIR_SENDRECV) == 0);
		CHECK(relay_one(s[i], "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	}
	/* One destroyed but not dispatched, one with a command pending,
	 * events queued, the rest live: the engine frees them all. */
	media_session_free(s[0]);
	CHECK(media_session_set_dir(s[1], MEDIA_LEG_A, MEDIA_DIR_INACTIVE) ==
	      0);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* media_engine_defer()'s hooks: how often each was called. */
static unsigned defer_requests, late_requests;

/* media_engine_first_packet_wanted()'s answer (media threads read it). */
static atomic_bool first_wanted;

static bool first_wanted_get(void *arg)
{
	(void)arg;
	return atomic_load(&first_wanted);
}

static void defer_request(void *arg)
{
	(void)arg;
	defer_requests++;
}

static void defer_late(void *arg)
{
	(void)arg;
	late_requests++;
}

/* media_engine_defer() without a late hook: a new session's commands (its
 * CREATE on cold pairs too: they are in the thread's epoll set since they
 * were bound) ask for no flush, and a packet sent before any flush is
 * relayed (it wakes the thread, which runs them first); DESTROY waits for
 * media_engine_flush() and asks for it once; leaving defer mode flushes
 * it. */

int t_deferred(void)
{
	unsigned char out[172], in[2048];
	struct media_session *s;
	struct media_engine *e;
	struct peers p;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 4, 0, &e) == 0);
	defer_requests = 0;
	media_engine_defer(e, defer_request, NULL, NULL);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  &p, &s) == 0);
	CHECK(remote_set(s, MEDIA_LEG_A, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(remote_set(s, MEDIA_LEG_B, "127.0.0.1", &p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(defer_requests == 0); /* three commands, all lazy */
	rtp_make(out, sizeof(out), 0, 1);
	CHECK(udp_send(p.rtp[MEDIA_LEG_A], "127.0.0.1",
		       media_session_port(s, MEDIA_LEG_A), out,
		       sizeof(out)) == 0);
	CHECK(udp_recv(p.rtp[MEDIA_LEG_B], in, sizeof(in), NULL, WAIT_MS) ==
	      (ssize_t)sizeof(out));
	CHECK(!memcmp(in, out, sizeof(out)));
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 2) == 0);
	CHECK(defer_requests == 0);
	/* DESTROY asks (no late hook); leaving deferral flushes it. */
	media_session_free(s);
	CHECK(defer_requests == 1);
	media_engine_defer(e, NULL, NULL, NULL);
	CHECK(sessions_wait(e, 0));
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* Poll until the engine dropped want datagrams on idle pairs. */
static bool stray_wait(struct media_engine *e, uint64_t want)
{
	uint64_t end = ms_now() + WAIT_MS;

	while (media_engine_stray_drops(e) < want) {
		if (ms_now() > end)
			return false;
		poll(NULL, 0, 2);
	}
	return media_engine_stray_drops(e) == want;
}

/*
 * A pair kept bound between calls: what the previous call's peer sends
 * to it after that call ended never reaches the next call on the same
 * ports, and the next call latches to its own peer (RTP-1).
 */
int t_pool_stray(void)
{
	unsigned char out[172], in[2048];
	const struct media_event *ev;
	struct media_session *s1, *s2;
	struct media_engine *e;
	struct media_stats st;
	struct peers p, q;
	uint16_t a, b, src = 0;
	char want[64];
	unsigned i;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(peers_open(&q, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 2, 0, &e) == 0); /* one session */
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  &p, &s1) == 0);
	CHECK(remote_set(s1, MEDIA_LEG_A, "127.0.0.1", &p,
			 MEDIA_DIR_SENDRECV) == 0);
	CHECK(remote_set(s1, MEDIA_LEG_B, "127.0.0.1", &p,
			 MEDIA_DIR_SENDRECV) == 0);
	CHECK(relay_one(s1, "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	a = media_session_port(s1, MEDIA_LEG_A);
	b = media_session_port(s1, MEDIA_LEG_B);
	media_session_free(s1);
	CHECK(sessions_wait(e, 0));

	/* The old call's peer A goes on sending, RTP and RTCP. */
	for (i = 0; i < 5; i++) {
		rtp_make(out, sizeof(out), 0, 100 + i);
		CHECK(udp_send(p.rtp[MEDIA_LEG_A], "127.0.0.1", a, out,
			       sizeof(out)) == 0);
	}
	out[1] = 200; /* RTCP SR */
	CHECK(udp_send(p.rtcp[MEDIA_LEG_A], "127.0.0.1", a + 1, out, 28) == 0);
	CHECK(stray_wait(e, 6));

	/* The next call gets the same ports (the only pairs), warm. Its
	 * commands reach the media thread in one wake-up (as trunkd sends
	 * them), so anything stale still queued would now be relayed to
	 * q's B. */
	media_engine_defer(e, defer_request, NULL, NULL);
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  &q, &s2) == 0);
	CHECK(media_session_port(s2, MEDIA_LEG_A) == a);
	CHECK(media_session_port(s2, MEDIA_LEG_B) == b);
	CHECK(remote_set(s2, MEDIA_LEG_A, "127.0.0.1", &q,
			 MEDIA_DIR_SENDRECV) == 0);
	CHECK(remote_set(s2, MEDIA_LEG_B, "127.0.0.1", &q,
			 MEDIA_DIR_SENDRECV) == 0);
	media_engine_defer(e, NULL, NULL, NULL); /* flushes */
	/* Its own peer's packet is the first B sees: nothing stale. */
	rtp_make(out, sizeof(out), 0, 7);
	CHECK(udp_send(q.rtp[MEDIA_LEG_A], "127.0.0.1", a, out, sizeof(out)) ==
	      0);
	CHECK(udp_recv(q.rtp[MEDIA_LEG_B], in, sizeof(in), &src, WAIT_MS) ==
	      (ssize_t)sizeof(out));
	CHECK(!memcmp(in, out, sizeof(out)) && src == b);
	CHECK(udp_empty(q.rtp[MEDIA_LEG_B]) && udp_empty(q.rtcp[MEDIA_LEG_B]));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_B]) && udp_empty(p.rtcp[MEDIA_LEG_B]));
	/* Latched to the new peer, counted once. */
	ev = event_wait(e, MEDIA_EVENT_FIRST_PACKET, MEDIA_LEG_A, WAIT_MS);
	CHECK(ev && ev->session == s2);
	snprintf(want, sizeof(want), "127.0.0.1:%u", udp_port(q.rtp[0]));
	CHECK(!strcmp(ev->src, want));
	CHECK(stat_wait(s2, MEDIA_LEG_A, STAT_OFF(rtp_in_packets), 1));
	media_session_get_stats(s2, MEDIA_LEG_A, &st);
	CHECK(st.rtp_in_packets == 1 && st.drop_source == 0 &&
	      st.drop_hold == 0);
	CHECK(relay_one(s2, "127.0.0.1", &q, MEDIA_LEG_B, 8) == 0);
	media_session_free(s2);
	CHECK(sessions_wait(e, 0));
	media_engine_free(e);
	peers_close(&p);
	peers_close(&q);
	return 0;
}

/* Flush until the engine holds want sessions (2 ms steps, bounded); false
 * also when the event fd became readable meanwhile. */
static bool reap_wait_n(struct media_engine *e, unsigned want)
{
	struct pollfd p = { .fd = media_engine_fd(e), .events = POLLIN };
	uint64_t end = ms_now() + WAIT_MS;

	while (media_engine_sessions(e) != want) {
		if (poll(&p, 1, 0) != 0 || ms_now() > end)
			return false;
		poll(NULL, 0, 2);
		media_engine_flush(e);
	}
	return poll(&p, 1, 0) == 0;
}

static bool reap_wait(struct media_engine *e)
{
	return reap_wait_n(e, 0);
}

/* A session on e with both legs' peers p, sendrecv. */
static int call_new(struct media_engine *e, const struct peers *p,
		    struct media_session **s)
{
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  (void *)p, s) == 0);
	CHECK(remote_set(*s, MEDIA_LEG_A, "127.0.0.1", p, MEDIA_DIR_SENDRECV) ==
	      0);
	CHECK(remote_set(*s, MEDIA_LEG_B, "127.0.0.1", p, MEDIA_DIR_SENDRECV) ==
	      0);
	return 0;
}

/* Send n RTP packets from fd to the relay's port. */
static int rtp_send_n(int fd, uint16_t port, unsigned n, unsigned seq)
{
	unsigned char out[172];
	unsigned i;

	for (i = 0; i < n; i++) {
		rtp_make(out, sizeof(out), 0, seq + i);
		CHECK(udp_send(fd, "127.0.0.1", port, out, sizeof(out)) == 0);
	}
	return 0;
}

/*
 * A pair reused before MEDIA_PAIR_REST_MS (here the only pairs; in
 * trunkd when descriptors are short, pool.c): the previous call's peer,
 * still sending, is neither latched by the next call nor re-latched to
 * (on leg A where it latched, on leg B where it never sent: its SDP
 * address); the next call's own peer is, also when it is the previous
 * one's (its SDP names the warded address).
 */
int t_pool_ward(void)
{
	const unsigned n = MEDIA_RELATCH_PACKETS;
	struct media_session *s1, *s2, *s3;
	struct media_engine *e;
	struct media_stats st;
	struct peers p, q;
	uint16_t a, b;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(peers_open(&q, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 2, 0, &e) == 0); /* one session */
	CHECK(call_new(e, &p, &s1) == 0);
	CHECK(relay_one(s1, "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	a = media_session_port(s1, MEDIA_LEG_A);
	b = media_session_port(s1, MEDIA_LEG_B);
	media_session_free(s1);
	CHECK(sessions_wait(e, 0));

	/* The next call, peers q, on the same ports at once. p goes on
	 * sending to both: dropped, none relayed, nothing latched. */
	CHECK(call_new(e, &q, &s2) == 0);
	CHECK(media_session_port(s2, MEDIA_LEG_A) == a);
	CHECK(media_session_port(s2, MEDIA_LEG_B) == b);
	CHECK(rtp_send_n(p.rtp[MEDIA_LEG_A], a, n, 100) == 0);
	CHECK(rtp_send_n(p.rtp[MEDIA_LEG_B], b, n, 200) == 0);
	CHECK(stat_wait(s2, MEDIA_LEG_A, STAT_OFF(drop_source), n));
	CHECK(stat_wait(s2, MEDIA_LEG_B, STAT_OFF(drop_source), n));
	CHECK(udp_empty(q.rtp[MEDIA_LEG_A]) && udp_empty(q.rtp[MEDIA_LEG_B]));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_A]) && udp_empty(p.rtp[MEDIA_LEG_B]));
	/* q's packets latch both legs and are relayed both ways. */
	CHECK(relay_one(s2, "127.0.0.1", &q, MEDIA_LEG_A, 2) == 0);
	CHECK(relay_one(s2, "127.0.0.1", &q, MEDIA_LEG_B, 3) == 0);
	/* Enough of p's in a row to move a latch: it stays with q. */
	CHECK(rtp_send_n(p.rtp[MEDIA_LEG_A], a, n, 300) == 0);
	CHECK(stat_wait(s2, MEDIA_LEG_A, STAT_OFF(drop_source), 2 * n));
	CHECK(relay_one(s2, "127.0.0.1", &q, MEDIA_LEG_B, 4) == 0);
	CHECK(udp_empty(q.rtp[MEDIA_LEG_B]) && udp_empty(p.rtp[MEDIA_LEG_A]));
	media_session_get_stats(s2, MEDIA_LEG_A, &st);
	CHECK(st.drop_source == 2 * n);
	media_session_free(s2);
	CHECK(sessions_wait(e, 0));

	/* The same peer again (a phone that calls back at once): the ward
	 * names it, and so does the new SDP. Latched at its first packet. */
	CHECK(call_new(e, &q, &s3) == 0);
	CHECK(media_session_port(s3, MEDIA_LEG_A) == a);
	CHECK(relay_one(s3, "127.0.0.1", &q, MEDIA_LEG_A, 5) == 0);
	CHECK(relay_one(s3, "127.0.0.1", &q, MEDIA_LEG_B, 6) == 0);
	media_session_get_stats(s3, MEDIA_LEG_A, &st);
	CHECK(st.drop_source == 0);
	media_session_free(s3);
	CHECK(sessions_wait(e, 0));
	media_engine_free(e);
	peers_close(&p);
	peers_close(&q);
	return 0;
}

/*
 * Commands that only a packet can show (CREATE, on cold pairs as on warm
 * ones, REMOTE, DIR) wake no media thread: no flush is requested for
 * them, and still the next packet sees every one of them. In trunkd's
 * mode (a late hook) DESTROY asks only for the late flush.
 */
int t_lazy_commands(void)
{
	unsigned char out[172], in[2048];
	struct media_session *s;
	struct media_engine *e;
	struct media_stats st;
	struct peers p;
	struct pollfd evp = { .events = POLLIN };
	unsigned late;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 2, 0, &e) == 0); /* one session */
	evp.fd = media_engine_fd(e);
	defer_requests = late_requests = 0;
	media_engine_defer(e, defer_request, defer_late, NULL);
	atomic_store(&first_wanted, false);
	media_engine_first_packet_wanted(e, first_wanted_get, NULL);
	/* First use: cold pairs, bound now (and put in the epoll set). */
	CHECK(call_new(e, &p, &s) == 0);
	CHECK(defer_requests == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 1) == 0);
	/* FIRST_PACKET A waits quietly: a flush delivers it. */
	CHECK(udp_empty(media_engine_fd(e)) && evlog.n == 0);
	media_engine_flush(e);
	CHECK(evlog.n == 1 && evlog.ev[0].type == MEDIA_EVENT_FIRST_PACKET &&
	      evlog.ev[0].leg == MEDIA_LEG_A && evlog.ev[0].session == s);
	media_session_free(s);
	CHECK(defer_requests == 0 && late_requests == 1);
	media_engine_flush(e); /* the late flush, which asks for one more */
	CHECK(late_requests == 2);
	CHECK(reap_wait(e));

	CHECK(call_new(e, &p, &s) == 0); /* the same pairs, warm */
	CHECK(defer_requests == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 2) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 3) == 0);
	/* B holds (sendonly toward us: B does not receive): A's next packet
	 * is not sent to B, with no wake-up asked for. */
	CHECK(media_session_set_dir(s, MEDIA_LEG_B, MEDIA_DIR_SENDONLY) == 0);
	CHECK(defer_requests == 0);
	rtp_make(out, sizeof(out), 0, 4);
	CHECK(udp_send(p.rtp[MEDIA_LEG_A], "127.0.0.1",
		       media_session_port(s, MEDIA_LEG_A), out,
		       sizeof(out)) == 0);
	CHECK(stat_wait(s, MEDIA_LEG_A, STAT_OFF(drop_hold), 1));
	CHECK(udp_recv(p.rtp[MEDIA_LEG_B], in, sizeof(in), NULL, 100) < 0);
	media_session_get_stats(s, MEDIA_LEG_A, &st);
	CHECK(st.rtp_in_packets == 2 && st.drop_hold == 1);
	/* Freeing wakes nobody either: the late flush does. */
	CHECK(udp_empty(media_engine_fd(e)));
	CHECK(media_engine_dispatch(e) == 2); /* FIRST_PACKET A and B */
	/* reap_wait() above flushed until the memory was back, asking for
	 * one more late flush each time the media thread had not run the
	 * DESTROY yet (how often depends on the scheduler): count from
	 * here. */
	late = late_requests;
	media_session_free(s);
	CHECK(defer_requests == 0 && late_requests == late + 1);
	media_engine_flush(e);
	/* The session's memory is freed by a later flush, without a
	 * wake-up of ours (the event fd stays quiet). */
	CHECK(reap_wait(e));
	CHECK(defer_requests == 0);

	/* Wanted (trunkd: when its debug line is logged), a FIRST_PACKET
	 * wakes the signalling thread at once, in defer mode too. */
	atomic_store(&first_wanted, true);
	CHECK(call_new(e, &p, &s) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 5) == 0);
	CHECK(poll(&evp, 1, WAIT_MS) == 1);
	CHECK(media_engine_dispatch(e) == 1); /* FIRST_PACKET A */
	media_session_free(s);
	media_engine_flush(e);
	CHECK(reap_wait(e));
	media_engine_defer(e, NULL, NULL, NULL);
	CHECK(media_engine_sessions(e) == 0);
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Bursts: sockets are edge-triggered (relay.c)                           */

/* The edges of a batch and of what one readable event reads (MEDIA_ROUNDS
 * batches), and more than that. */
static const unsigned burst_sizes[] = {
	1,
	MEDIA_BATCH - 1,
	MEDIA_BATCH,
	MEDIA_BATCH + 1,
	MEDIA_BATCH *MEDIA_ROUNDS,
	MEDIA_BATCH *MEDIA_ROUNDS + MEDIA_BATCH / 2 + 1,
};
#define BURST_KINDS (sizeof(burst_sizes) / sizeof(burst_sizes[0]))

/* n small RTP packets (seq 0..n-1) from leg A's peer to port, at once. */
static int burst_send(const struct peers *p, uint16_t port, unsigned n)
{
	unsigned char out[20];
	unsigned i;

	for (i = 0; i < n; i++) {
		rtp_make(out, sizeof(out), 0, i);
		CHECK(udp_send(p->rtp[MEDIA_LEG_A], "127.0.0.1", port, out,
			       sizeof(out)) == 0);
	}
	return 0;
}

/*
 * A burst at a new session's socket, sent at once (its cold pair is in
 * the thread's epoll set since it was bound; the first datagram wakes the
 * thread, which runs the session's lazy CREATE before it reads): every
 * datagram is relayed, in order, with no later packet to announce the
 * rest. An edge-triggered socket is reported once per arrival, so it must
 * be read until empty, or re-armed when it yields after MEDIA_ROUNDS
 * batches.
 */
int t_burst(void)
{
	unsigned char in[2048];
	struct media_session *s;
	struct media_engine *e;
	struct media_stats st;
	struct peers p;
	unsigned i, k, n;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	/* Two cold pairs for every size (warm ones rest meanwhile). */
	CHECK(engine_new("127.0.0.1", 2 * BURST_KINDS, 0, &e) == 0);
	for (k = 0; k < BURST_KINDS; k++) {
		n = burst_sizes[k];
		CHECK(call_new(e, &p, &s) == 0);
		CHECK(burst_send(&p, media_session_port(s, MEDIA_LEG_A), n) ==
		      0);
		for (i = 0; i < n; i++) {
			CHECK(udp_recv(p.rtp[MEDIA_LEG_B], in, sizeof(in), NULL,
				       WAIT_MS) == 20);
			CHECK((unsigned)(in[2] << 8 | in[3]) == i);
		}
		CHECK(stat_wait(s, MEDIA_LEG_B, STAT_OFF(rtp_out_packets), n));
		media_session_get_stats(s, MEDIA_LEG_A, &st);
		CHECK(st.rtp_in_packets == n && st.drop_source == 0 &&
		      st.drop_send == 0);
		CHECK(udp_empty(p.rtp[MEDIA_LEG_B]));
		media_session_free(s);
		CHECK(sessions_wait(e, 0));
	}
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/*
 * The same on an idle socket: a burst at a session freed before its
 * thread ran anything of it (trunkd's lazy DESTROY: only a packet or the
 * late flush wakes the thread) wakes the thread, which runs CREATE and
 * DESTROY first; all of it is dropped and counted, nothing relayed.
 */
int t_stray_burst(void)
{
	unsigned n = burst_sizes[BURST_KINDS - 1];
	struct media_session *s;
	struct media_engine *e;
	struct peers p;

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 2, 0, &e) == 0);
	media_engine_defer(e, defer_request, defer_late, NULL);
	CHECK(call_new(e, &p, &s) == 0);
	media_session_free(s);
	CHECK(burst_send(&p, media_session_port(s, MEDIA_LEG_A), n) == 0);
	CHECK(stray_wait(e, n));
	media_engine_defer(e, NULL, NULL, NULL); /* flushes */
	CHECK(sessions_wait(e, 0));
	CHECK(stray_wait(e, n));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_B]));
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

/* Poll until the engine's pool holds want free pairs (2 ms steps,
 * bounded). */
bool ports_wait(struct media_engine *e, unsigned want)
{
	uint64_t end = ms_now() + WAIT_MS;

	while (media_engine_ports_free(e) != want) {
		if (ms_now() > end)
			return false;
		poll(NULL, 0, 2);
	}
	return true;
}

/*
 * trunkd's defer mode (a late hook): media_session_free() wakes no media
 * thread. A packet that reaches the freed session's ports is never
 * relayed (it wakes the thread, which runs the DESTROY before it reads);
 * otherwise the pairs come back at the late flush, or when
 * MEDIA_DESTROY_BATCH DESTROYs wait for one thread (then a flush is asked
 * for). Sessions go round robin over the 2 threads, from thread 0.
 */
int t_lazy_destroy(void)
{
	enum { N = 2 * MEDIA_DESTROY_BATCH + 6 };
	static struct media_session *s[N];
	unsigned char out[172];
	struct media_engine *e;
	struct media_thread *t;
	struct peers p;
	unsigned i, last, late, wakes[2];

	CHECK(peers_open(&p, "127.0.0.1") == 0);
	CHECK(engine_new("127.0.0.1", 2 * N + 2, 0, &e) == 0);
	CHECK(e->threads[1].cmd_fd < 64); /* test_fd_writes() */
	defer_requests = late_requests = 0;
	media_engine_defer(e, defer_request, defer_late, NULL);
	for (i = 0; i < N; i++)
		CHECK(call_new(e, &p, &s[i]) == 0);
	CHECK(media_engine_ports_free(e) == 2);
	CHECK(defer_requests == 0 && late_requests == 0);

	/* A packet after the free: dropped, and it brought the pairs back. */
	media_session_free(s[0]);
	CHECK(defer_requests == 0 && late_requests == 1);
	rtp_make(out, sizeof(out), 0, 1);
	CHECK(udp_send(p.rtp[MEDIA_LEG_A], "127.0.0.1",
		       media_session_port(s[0], MEDIA_LEG_A), out,
		       sizeof(out)) == 0);
	CHECK(stray_wait(e, 1));
	CHECK(ports_wait(e, 4));
	CHECK(udp_empty(p.rtp[MEDIA_LEG_B]) && udp_empty(p.rtcp[MEDIA_LEG_B]));

	/* Two frees on both threads: nobody runs them (no packet, no
	 * timer: rtp_timeout 0) until the late flush, asked for once. No
	 * thread was woken: its eventfd was not written (audit11 L6: the
	 * pool alone would not show an eager DESTROY yet). */
	wakes[0] = test_fd_writes(e->threads[0].cmd_fd);
	wakes[1] = test_fd_writes(e->threads[1].cmd_fd);
	media_session_free(s[1]);
	media_session_free(s[2]);
	CHECK(defer_requests == 0 && late_requests == 1);
	CHECK(test_fd_writes(e->threads[0].cmd_fd) == wakes[0]);
	CHECK(test_fd_writes(e->threads[1].cmd_fd) == wakes[1]);
	CHECK(media_engine_ports_free(e) == 4);
	media_engine_flush(e);
	CHECK(late_requests == 2); /* the next one frees their memory */
	CHECK(ports_wait(e, 8));
	CHECK(reap_wait_n(e, N - 3));

	/* A batch: the MEDIA_DESTROY_BATCH-th DESTROY queued for one thread
	 * (thread 1: s[3], s[5], ...) asks for a flush. */
	last = 3 + 2 * (MEDIA_DESTROY_BATCH - 1);
	late = late_requests; /* reap_wait_n() may have asked for more */
	for (i = 3; i < last; i++)
		media_session_free(s[i]);
	CHECK(defer_requests == 0 && late_requests == late + 1);
	CHECK(media_engine_ports_free(e) == 8);
	media_session_free(s[last]);
	CHECK(defer_requests == 1);
	media_engine_flush(e); /* as trunkd's zero-delay timer */
	CHECK(ports_wait(e, 8 + 2 * (last - 2)));

	/* A late flush that comes before a media thread has run a DESTROY
	 * an earlier flush signalled (the thread held off by its command
	 * lock here) asks for one more: otherwise that session's memory
	 * waits in the event queue until another call ends (audit11 L2). */
	t = s[last + 1]->thread;
	CHECK(reap_wait_n(e, N - last - 1));
	media_session_free(s[last + 1]);
	pthread_mutex_lock(&t->cmd_lock);
	media_engine_flush(e); /* the batch's flush, say */
	late = late_requests;
	media_engine_flush(e); /* the late flush: nothing to reap yet */
	pthread_mutex_unlock(&t->cmd_lock);
	CHECK(late_requests == late + 1);
	CHECK(reap_wait_n(e, N - last - 2));

	/* Leaving defer mode runs what waits. */
	for (i = last + 2; i < N; i++)
		media_session_free(s[i]);
	media_engine_defer(e, NULL, NULL, NULL);
	CHECK(ports_wait(e, 2 * N + 2));
	CHECK(sessions_wait(e, 0));
	media_engine_free(e);
	peers_close(&p);
	return 0;
}

#ifdef TEST_COUNTING
#include "test_counting.h"

/* n datagrams of len bytes from leg's peer socket fds[leg] to port (the
 * session's, + rtcp), each received at the other leg's peer. */
static int relay_burst(const int *fds, enum media_leg leg, uint16_t port,
		       const unsigned char *out, size_t len, unsigned n)
{
	unsigned char in[2048];
	unsigned j;

	for (j = 0; j < n; j++)
		CHECK(udp_send(fds[leg], "127.0.0.1", port, out, len) == 0);
	for (j = 0; j < n; j++)
		CHECK(udp_recv(fds[!leg], in, sizeof(in), NULL, WAIT_MS) ==
		      (ssize_t)len);
	return 0;
}

/*
 * issue 3, "no allocation and no lock per packet": 4,000 RTP and 400
 * RTCP datagrams relayed both ways through a session whose peers are
 * latched, in bursts of 40 RTP and 4 RTCP (each burst received before the
 * next: nothing dropped), while test_counting.c counts the media threads'
 * malloc family and pthread_mutex_lock calls: there must be none.
 */
int t_per_packet(void)
{
	unsigned char rtp[172], sr[28] = { 0x80, 200, 0, 6 };
	unsigned long allocs, locks;
	struct media_session *s;
	struct media_engine *e;
	struct media_stats st;
	unsigned i, seq = 2;
	struct peers p;
	int leg;

	CHECK(call_open(&p, &e, &s, "127.0.0.1", 0, MEDIA_DIR_SENDRECV) == 0);
	/* Both peers latched, the session's lazy commands run. */
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_A, 0) == 0);
	CHECK(relay_one(s, "127.0.0.1", &p, MEDIA_LEG_B, 1) == 0);
	for (leg = 0; leg < 2; leg++)
		CHECK(relay_burst(p.rtcp, leg, media_session_port(s, leg) + 1,
				  sr, sizeof(sr), 1) == 0);
	counting_start();
	for (i = 0; i < 50; i++) {
		for (leg = 0; leg < 2; leg++) {
			rtp_make(rtp, sizeof(rtp), 0, seq++);
			CHECK(relay_burst(p.rtp, leg,
					  media_session_port(s, leg), rtp,
					  sizeof(rtp), 40) == 0);
			CHECK(relay_burst(p.rtcp, leg,
					  media_session_port(s, leg) + 1, sr,
					  sizeof(sr), 4) == 0);
		}
	}
	counting_stop(&allocs, &locks);
	media_session_get_stats(s, MEDIA_LEG_B, &st);
	fprintf(stderr,
		"per_packet: 4,400 datagrams relayed (leg B's peer got %llu "
		"RTP); media threads meanwhile: %lu allocations, %lu mutex "
		"locks\n",
		(unsigned long long)st.rtp_out_packets, allocs, locks);
	CHECK(allocs == 0);
	CHECK(locks == 0);
	media_session_free(s);
	CHECK(sessions_wait(e, 0));
	media_engine_free(e);
	peers_close(&p);
	return 0;
}
#endif
