/*
 * Media relay load tool (issue 3, performance; notes in docs/media.md):
 * N sessions, each a G.711 call with 172-byte RTP at 50 packets/s in
 * both directions, through the media engine on loopback for a bounded
 * time. Reports loss, relay delay p50/p99/max and the CPU time of the
 * media threads per 1,000 calls, plus what creating a session costs the
 * signalling thread.
 *
 *   bench_media [SESSIONS [SECONDS [THREADS [PORT_MIN]]]]
 *   (defaults 200 5 1 30000)
 *
 * The generator plays every phone and every carrier from a few sockets
 * per side (the relay latches to them like to any peer; its own work per
 * packet is the same as with one socket per peer, and the generator
 * stays cheap enough to share the machine). Each packet carries its
 * send time (CLOCK_REALTIME just before sendmmsg()); the delay is the
 * kernel's receive timestamp (SO_TIMESTAMPNS) minus that, so the
 * generator's own scheduling on the receive side does not count.
 * Exits 1 on a gross regression: more than 1 % loss.
 *
 * BENCH_MEDIA_RELAY=epoll|epoll-conn|uring|uring-conn|uring-sendto|tc|
 * null in the environment puts a stand-in relay (bench_relay.c) in the
 * engine's place, for comparing I/O paths under the same generator (tc:
 * forwarded in the kernel once latched; null: none, the generator's own
 * cost); unset or "engine": trunkd's media engine. The last lines give
 * the CPU of the whole process and of the ksoftirqd threads: with
 * forwarding in the kernel, the work is done in the softirq of the
 * sender (here the generator), which no relay thread's clock sees.
 * BENCH_MEDIA_KFWD=on with the engine: its kernel forwarding
 * ([media] kernel_forwarding = on; CAP_BPF and CAP_NET_ADMIN, netns.sh).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_relay.h"
#include "media/media.h"

#define GEN_SOCKS 8   /* generator sockets per side */
#define PKT_LEN	  172 /* 12 RTP + 160 G.711 (20 ms) */
#define PTIME_NS  20000000ull
#define HIST_US	  100000 /* delay histogram: 1 µs buckets to 100 ms */
#define BATCH	  64

struct payload {
	uint32_t session;
	uint32_t dir; /* 0: A -> B, 1: B -> A */
	uint32_t seq;
	uint64_t sent_ns; /* CLOCK_REALTIME */
} __attribute__((packed));

struct bench {
	unsigned n, seconds, threads;
	uint16_t port_min;
	struct media_engine *engine;
	struct bench_relay *relay; /* instead of engine: BENCH_MEDIA_RELAY */
	struct media_session **s;
	int gen[2][GEN_SOCKS]; /* [leg][k]: the peers of leg A and leg B */
	uint16_t gen_port[2][GEN_SOCKS];
	uint32_t *seq; /* per flow */
	uint64_t sent, received, bad;
	uint32_t *hist;
	uint64_t hist_over;
	/* packets sent per round of the generator, weighted by packet: the
	 * packets of a round reach the relay at once, and the last of a
	 * round waits for the relay to get through the others */
	uint64_t round_hist[GEN_SOCKS * BATCH + 1];
};

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_event(const struct media_event *ev, void *arg)
{
	(void)arg;
	if (ev->type == MEDIA_EVENT_RTP_TIMEOUT)
		fprintf(stderr, "unexpected RTP timeout on session %u\n",
			media_session_id(ev->session));
}

static int gen_open(uint16_t *port)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	socklen_t len = sizeof(in);
	int fd, size = 8 << 20, on = 1;

	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof(in)) ||
	    getsockname(fd, (struct sockaddr *)&in, &len))
		return -1;
	/* Root may exceed rmem_max; otherwise take what we get. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	*port = ntohs(in.sin_port);
	return fd;
}

static uint16_t bench_port(const struct bench *b, unsigned i, unsigned leg)
{
	return b->relay ? bench_relay_port(b->relay, i, leg)
			: media_session_port(b->s[i], leg);
}

static uint64_t bench_cpu_ns(const struct bench *b)
{
	return b->relay ? bench_relay_cpu_ns(b->relay)
			: media_engine_cpu_ns(b->engine);
}

/* The stand-in relay of BENCH_MEDIA_RELAY: 0 (none wanted) or errno. */
static int bench_setup_relay(struct bench *b)
{
	const char *name = getenv("BENCH_MEDIA_RELAY");
	enum bench_relay_mode mode;
	uint16_t *remote;
	unsigned i;
	int err;

	if (!name || !*name || !strcmp(name, "engine"))
		return 0;
	if (bench_relay_mode_parse(name, &mode)) {
		fprintf(stderr,
			"BENCH_MEDIA_RELAY=%s: not engine, epoll, "
			"epoll-conn, uring, uring-conn, uring-sendto, tc "
			"or null\n",
			name);
		return EINVAL;
	}
	remote = calloc(2 * b->n, sizeof(*remote));
	if (!remote)
		return ENOMEM;
	for (i = 0; i < 2 * b->n; i++)
		remote[i] = b->gen_port[i % 2][i / 2 % GEN_SOCKS];
	err = bench_relay_start(mode, b->n, remote, &b->relay);
	free(remote);
	if (!err)
		printf("relay: stand-in %s (bench_relay.c)\n", name);
	return err;
}

static int bench_setup(struct bench *b)
{
	struct media_conf conf = { 0 };
	struct media_remote r = { .addr = "127.0.0.1",
				  .dir = MEDIA_DIR_SENDRECV };
	uint64_t t0, t1, c0, c1;
	unsigned i, leg, k;
	int err;

	for (leg = 0; leg < 2; leg++)
		for (k = 0; k < GEN_SOCKS; k++)
			if ((b->gen[leg][k] = gen_open(&b->gen_port[leg][k])) <
			    0)
				return errno;
	err = bench_setup_relay(b);
	if (err || b->relay)
		return err;
	conf.port_min = b->port_min;
	conf.port_max = (uint16_t)(b->port_min + 4 * b->n + 63 > 65535
					   ? 65535
					   : b->port_min + 4 * b->n + 63);
	conf.addr[MEDIA_SIDE_ENTERPRISE] = conf.addr[MEDIA_SIDE_TRUNK] =
		"127.0.0.1";
	conf.rtp_timeout_ms = 10000;
	conf.threads = b->threads;
	conf.kernel_forwarding =
		media_kfwd_mode_parse(getenv("BENCH_MEDIA_KFWD"));
	err = media_engine_alloc(&conf, on_event, NULL, &b->engine);
	if (err)
		return err;
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < b->n; i++) {
		err = media_session_alloc(b->engine, MEDIA_SIDE_ENTERPRISE,
					  MEDIA_SIDE_TRUNK, NULL, &b->s[i]);
		for (leg = 0; !err && leg < 2; leg++) {
			r.rtp_port = b->gen_port[leg][i % GEN_SOCKS];
			err = media_session_set_remote(b->s[i], leg, &r);
		}
		if (err)
			return err;
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("setup per session (alloc: 4 sockets bound, 2 x set_remote): "
	       "%.1f us CPU of the calling thread, %.1f us wall\n",
	       (double)(c1 - c0) / 1e3 / b->n, (double)(t1 - t0) / 1e3 / b->n);
	return 0;
}

/* Flow f = 2 * session + dir; packet k of the run is flow k % (2n). */
static void bench_send(struct bench *b, uint64_t from, uint64_t to)
{
	static struct mmsghdr msgs[2][GEN_SOCKS][BATCH];
	static struct iovec iov[2][GEN_SOCKS][BATCH];
	static unsigned char buf[2][GEN_SOCKS][BATCH][PKT_LEN];
	static struct sockaddr_in dst[2][GEN_SOCKS][BATCH];
	unsigned cnt[2][GEN_SOCKS] = { { 0 } };
	unsigned leg, k, j, flows = 2 * b->n;
	struct payload pl;
	uint64_t p, now;
	unsigned char *pkt;

	for (p = from; p < to; p++) {
		unsigned f = (unsigned)(p % flows), i = f / 2;

		leg = f % 2;
		k = i % GEN_SOCKS;
		j = cnt[leg][k];
		if (j == BATCH)
			continue; /* cannot happen at sane rates */
		pkt = buf[leg][k][j];
		memset(pkt, 0xd5, PKT_LEN);
		pkt[0] = 0x80;
		pkt[1] = 0;
		pl = (struct payload){ i, leg, b->seq[f]++, 0 };
		memcpy(pkt + 12, &pl, sizeof(pl));
		dst[leg][k][j] = (struct sockaddr_in){
			.sin_family = AF_INET,
			.sin_port = htons(bench_port(b, i, leg)),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};
		iov[leg][k][j] = (struct iovec){ pkt, PKT_LEN };
		msgs[leg][k][j].msg_hdr = (struct msghdr){
			.msg_name = &dst[leg][k][j],
			.msg_namelen = sizeof(dst[0][0][0]),
			.msg_iov = &iov[leg][k][j],
			.msg_iovlen = 1,
		};
		cnt[leg][k]++;
	}
	for (leg = 0; leg < 2; leg++) {
		for (k = 0; k < GEN_SOCKS; k++) {
			if (!cnt[leg][k])
				continue;
			now = clock_ns(CLOCK_REALTIME);
			for (j = 0; j < cnt[leg][k]; j++)
				memcpy(buf[leg][k][j] + 12 +
					       offsetof(struct payload,
							sent_ns),
				       &now, sizeof(now));
			int r = sendmmsg(b->gen[leg][k], msgs[leg][k],
					 cnt[leg][k], 0);
			b->sent += r > 0 ? (unsigned)r : 0;
		}
	}
}

static void bench_account(struct bench *b, const unsigned char *pkt,
			  unsigned len, const struct msghdr *h)
{
	struct cmsghdr *c;
	struct payload pl;
	struct timespec ts = { 0 };
	uint64_t rx, us;

	if (len != PKT_LEN) {
		b->bad++;
		return;
	}
	memcpy(&pl, pkt + 12, sizeof(pl));
	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS)
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
	rx = ts.tv_sec ? (uint64_t)ts.tv_sec * 1000000000ull +
				 (uint64_t)ts.tv_nsec
		       : clock_ns(CLOCK_REALTIME);
	b->received++;
	us = rx > pl.sent_ns ? (rx - pl.sent_ns) / 1000 : 0;
	if (us < HIST_US)
		b->hist[us]++;
	else
		b->hist_over++;
}

static void bench_recv(struct bench *b, int fd)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static unsigned char buf[BATCH][2048];
	static char ctl[BATCH][CMSG_SPACE(sizeof(struct timespec)) + 64];
	int n, i;

	do {
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			msgs[i].msg_hdr = (struct msghdr){
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
				.msg_control = ctl[i],
				.msg_controllen = sizeof(ctl[i]),
			};
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++)
			bench_account(b, buf[i], msgs[i].msg_len,
				      &msgs[i].msg_hdr);
	} while (n == BATCH);
}

/* Send on schedule for `seconds`, receiving in between; then drain. */
static void bench_run(struct bench *b, uint64_t *elapsed_ns)
{
	uint64_t interval = PTIME_NS / (2 * b->n), start, now, due, next = 0;
	uint64_t end_ns = (uint64_t)b->seconds * 1000000000ull;
	struct epoll_event evs[2 * GEN_SOCKS];
	int ep = epoll_create1(0), n, i, leg, k;

	for (leg = 0; leg < 2; leg++)
		for (k = 0; k < GEN_SOCKS; k++) {
			struct epoll_event ev = { .events = EPOLLIN };
			ev.data.fd = b->gen[leg][k];
			epoll_ctl(ep, EPOLL_CTL_ADD, b->gen[leg][k], &ev);
		}
	start = clock_ns(CLOCK_MONOTONIC);
	for (;;) {
		now = clock_ns(CLOCK_MONOTONIC) - start;
		if (now >= end_ns + 500000000ull)
			break; /* 0.5 s to drain */
		due = now < end_ns ? now / interval + 1 : end_ns / interval;
		if (due > next) {
			/* At most BATCH per socket per call: chunk. */
			uint64_t chunk = (uint64_t)GEN_SOCKS * BATCH;
			uint64_t to = due - next > chunk ? next + chunk : due;
			bench_send(b, next, to);
			b->round_hist[to - next] += to - next;
			next = to;
		}
		n = epoll_wait(ep, evs, 2 * GEN_SOCKS, 1);
		for (i = 0; i < n; i++)
			bench_recv(b, evs[i].data.fd);
	}
	*elapsed_ns = end_ns;
	close(ep);
}

static unsigned hist_pct(const struct bench *b, double pct)
{
	uint64_t want = (uint64_t)(pct / 100.0 * (double)b->received), sum = 0;
	unsigned us;

	for (us = 0; us < HIST_US; us++) {
		sum += b->hist[us];
		if (sum > want)
			return us;
	}
	return HIST_US;
}

static unsigned hist_max(const struct bench *b)
{
	unsigned us = HIST_US;

	if (b->hist_over)
		return HIST_US;
	while (us > 0 && !b->hist[us - 1])
		us--;
	return us ? us - 1 : 0;
}

/* The round size that pct % of the packets went out in or below. */
static unsigned round_pct(const struct bench *b, double pct)
{
	uint64_t total = 0, sum = 0;
	unsigned k;

	for (k = 0; k <= GEN_SOCKS * BATCH; k++)
		total += b->round_hist[k];
	for (k = 0; k <= GEN_SOCKS * BATCH; k++) {
		sum += b->round_hist[k];
		if ((double)sum >= pct / 100.0 * (double)total)
			return k;
	}
	return GEN_SOCKS * BATCH;
}

static int bench_report(struct bench *b, uint64_t elapsed_ns, uint64_t cpu_ns,
			uint64_t gen_cpu_ns)
{
	double secs = (double)elapsed_ns / 1e9;
	double cores = (double)cpu_ns / (double)elapsed_ns;
	double loss = b->sent ? 100.0 * (double)(b->sent - b->received) /
					(double)b->sent
			      : 100.0;

	printf("media bench: %u sessions, %u s, %u media thread(s), "
	       "%d-byte RTP at 50 pps each way\n",
	       b->n, b->seconds, b->threads, PKT_LEN);
	printf("packets: scheduled %llu, sent %llu, received %llu, loss %.3f "
	       "%%, bad %llu\n",
	       (unsigned long long)(100ull * b->n * b->seconds),
	       (unsigned long long)b->sent, (unsigned long long)b->received,
	       loss, (unsigned long long)b->bad);
	printf("relay delay: p50 %u us, p99 %u us, p99.9 %u us, max %u us\n",
	       hist_pct(b, 50), hist_pct(b, 99), hist_pct(b, 99.9),
	       hist_max(b));
	printf("relay CPU: %.3f s in %.1f s = %.3f cores; per 1,000 calls: "
	       "%.3f CPU-s per second (%.2f us per relayed packet)\n",
	       (double)cpu_ns / 1e9, secs, cores, cores * 1000.0 / b->n,
	       b->received ? (double)cpu_ns / 1e3 / (double)b->received : 0);
	printf("generator CPU: %.3f s (its own, not counted above); a packet "
	       "went out in a round of p50 %u, p99 %u packets\n",
	       (double)gen_cpu_ns / 1e9, round_pct(b, 50), round_pct(b, 99));
	if (!b->received || loss > 1.0) {
		printf("FAIL: loss over 1 %%\n");
		return 1;
	}
	return 0;
}

/* The engine's kernel forwarding (BENCH_MEDIA_KFWD), at its last tick. */
static void bench_report_kfwd(const struct media_engine *e)
{
	struct media_kfwd_status k;

	media_engine_kfwd_status(e, &k);
	if (k.active)
		printf("engine: %llu packets forwarded in the kernel (%s), "
		       "%u entries\n",
		       (unsigned long long)k.packets, k.attach, k.entries);
}

/* CPU of the ksoftirqd threads (the softirq work deferred from the
 * tasks that raised it) and /proc/stat's softirq column, machine-wide:
 * this kernel has no CONFIG_IRQ_TIME_ACCOUNTING, so softirq work done on
 * the way out of a system call is charged to the calling thread, and
 * the column only samples ticks. Other processes' traffic counts too. */
struct kcpu {
	uint64_t ksoftirqd_ns, softirq_ns;
};

static uint64_t ticks_ns(unsigned long long t)
{
	return t * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

static void kernel_cpu(struct kcpu *k)
{
	char path[300], line[512], *p;
	unsigned long long ut, st, v[7];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	FILE *f;

	memset(k, 0, sizeof(*k));
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		/* after "(comm)": state and 11 fields, then utime stime */
		if (p && strstr(line, "(ksoftirqd/") &&
		    sscanf(p + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			   "%llu %llu",
			   &ut, &st) == 2)
			k->ksoftirqd_ns += ticks_ns(ut + st);
		fclose(f);
	}
	if (dir)
		closedir(dir);
	f = fopen("/proc/stat", "r");
	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			&v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 7)
		k->softirq_ns = ticks_ns(v[6]);
	if (f)
		fclose(f);
}

/* CPU of the whole process (every thread, io_uring's workers too). */
static uint64_t process_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		       1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static void raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max > need ? need : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int main(int argc, char **argv)
{
	struct bench b = {
		.n = 200, .seconds = 5, .threads = 1, .port_min = 30000
	};
	uint64_t cpu0, gen0, proc0, elapsed, t0, proc, gen;
	struct kcpu k0, k1;
	unsigned i;
	int err, rc;

	if (argc > 1)
		b.n = (unsigned)atoi(argv[1]);
	if (argc > 2)
		b.seconds = (unsigned)atoi(argv[2]);
	if (argc > 3)
		b.threads = (unsigned)atoi(argv[3]);
	if (argc > 4)
		b.port_min = (uint16_t)(atoi(argv[4]) & ~1);
	if (!b.n || !b.seconds || b.port_min + 4ull * b.n > 65535) {
		fprintf(stderr, "usage: bench_media [SESSIONS [SECONDS "
				"[THREADS [PORT_MIN]]]]\n");
		return 2;
	}
	raise_nofile(4 * b.n + 256);
	b.s = calloc(b.n, sizeof(*b.s));
	b.seq = calloc(2 * b.n, sizeof(*b.seq));
	b.hist = calloc(HIST_US, sizeof(*b.hist));
	err = bench_setup(&b);
	if (err) {
		fprintf(stderr, "setup: %s\n", strerror(err));
		return 1;
	}
	cpu0 = bench_cpu_ns(&b);
	gen0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	proc0 = process_cpu_ns();
	kernel_cpu(&k0);
	bench_run(&b, &elapsed);
	kernel_cpu(&k1);
	fflush(stdout);
	rc = bench_report(&b, elapsed, bench_cpu_ns(&b) - cpu0,
			  clock_ns(CLOCK_THREAD_CPUTIME_ID) - gen0);
	/* What the thread clocks above may miss: work the kernel does for
	 * the relay in threads of their own (io_uring's io-wq workers), or
	 * in the sender's softirq (tc). */
	gen = clock_ns(CLOCK_THREAD_CPUTIME_ID) - gen0;
	proc = process_cpu_ns() - proc0;
	printf("process CPU less the generator's: %.3f s\n",
	       proc > gen ? (double)(proc - gen) / 1e9 : 0);
	printf("total CPU: process %.3f s, ksoftirqd %.3f s; per received "
	       "packet %.2f us; /proc/stat softirq %.2f s (all CPUs, ticks)\n",
	       (double)proc / 1e9,
	       (double)(k1.ksoftirqd_ns - k0.ksoftirqd_ns) / 1e9,
	       b.received ? (double)(proc + k1.ksoftirqd_ns - k0.ksoftirqd_ns) /
				    1e3 / (double)b.received
			  : 0,
	       (double)(k1.softirq_ns - k0.softirq_ns) / 1e9);
	if (b.relay)
		printf("stand-in relayed: %llu packets by its thread, %llu in "
		       "the kernel (tc)\n",
		       (unsigned long long)bench_relay_packets(b.relay),
		       (unsigned long long)bench_relay_kernel_packets(b.relay));
	if (b.relay) {
		bench_relay_stop(b.relay);
		goto out;
	}
	bench_report_kfwd(b.engine);
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < b.n; i++)
		media_session_free(b.s[i]);
	while (media_engine_sessions(b.engine)) {
		struct pollfd p = { media_engine_fd(b.engine), POLLIN, 0 };
		if (poll(&p, 1, 2000) != 1)
			break;
		media_engine_dispatch(b.engine);
	}
	printf("teardown: %.1f us per session (wall, until dispatched)\n",
	       (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e3 / b.n);
	media_engine_free(b.engine);
out:
	free(b.s);
	free(b.seq);
	free(b.hist);
	return rc;
}
