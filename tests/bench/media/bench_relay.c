/*
 * Stand-in relays for bench_media (bench_relay.h): what docs/benchmarks.md's
 * "Media relay load" compares I/O paths with. Every mode does the same
 * per packet as media/relay.c's common case: receive, check the RTP
 * header, compare the source with the latched one (latch the first),
 * send from the other leg's socket to that leg's latched source.
 *
 *   epoll       edge-triggered epoll, recvmmsg() until a short batch,
 *               sendmmsg() with a destination (trunkd's path)
 *   epoll-conn  the same, each socket connect()ed to its peer: no
 *               destination, the route cached in the socket
 *   uring       io_uring (raw system calls, <linux/io_uring.h>): a
 *               multishot IORING_OP_RECVMSG per socket into a provided
 *               buffer ring, registered files, one IORING_OP_SENDMSG per
 *               packet, all the sends of a wake-up submitted by the
 *               io_uring_enter() that waits for the next completions;
 *               SINGLE_ISSUER | DEFER_TASKRUN so completions are reaped
 *               in batches, in this thread
 *   uring-conn  the same with connect()ed sockets and IORING_OP_SEND
 *   uring-sendto  uring with IORING_OP_SEND and a destination address
 *               (sqe->addr2, Linux 6.1): no msghdr to copy in
 *   tc          epoll until both legs of a session have latched, then
 *               the session's two entries in relay_tc.bpf.c's map: the
 *               kernel forwards the rest at lo's ingress, and only
 *               packets from another source reach the sockets
 *               (bench_relay_tc.c; built with libbpf and clang only)
 *   null        no relay: the generator sends to the generator socket
 *               the relay would send to (the generator's own cost)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_relay.h"
#ifdef BENCH_RELAY_TC_OBJ
#include "relay_tc.h"
#endif

#define BATCH	32   /* as MEDIA_BATCH */
#define MAX_PKT 2048 /* as MEDIA_MAX_PACKET */
#define NBUF	4096 /* provided buffers (power of 2) */
#define SQ_SIZE 1024
#define CQ_SIZE 16384
#define BGID	1
/* a provided buffer: io_uring_recvmsg_out, the source, the datagram */
#define BUF_SIZE                                                               \
	(sizeof(struct io_uring_recvmsg_out) + sizeof(union addr) + MAX_PKT)
#define TAG_STOP (~0ull)
#define TAG_SEND (1ull << 62) /* | buffer id */

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6; /* as union media_addr: its size */
};

struct relay_sock {
	int fd;
	unsigned index; /* 2 * session + leg */
	uint16_t port;
	bool latched;
	bool in_kernel;	 /* tc: the session's map entries are written */
	union addr peer; /* latched source, else where the SDP says */
};

struct uring {
	int fd;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_ring, *cq_ring;
	size_t sq_ring_len, cq_ring_len, sqes_len;
	unsigned sq_local; /* our tail, published at enter */
	unsigned to_submit;
	struct io_uring_buf_ring *br;
	unsigned br_tail;
	unsigned char *bufs;
	struct msghdr recv_tmpl;
	struct msghdr send_msg[NBUF]; /* per buffer in flight */
	struct iovec send_iov[NBUF];
	uint64_t stop_val;
};

struct bench_relay {
	enum bench_relay_mode mode;
	unsigned n; /* sockets: 2 per session */
	struct relay_sock *sock;
	int stop_fd, epfd;
	pthread_t tid;
	bool started;
	struct uring u;
	uint16_t *remote;	  /* null: where each leg would send */
	_Atomic uint64_t relayed; /* by the thread (relaxed: one writer) */
#ifdef BENCH_RELAY_TC_OBJ
	struct relay_tc *tc;
#endif
	/* epoll batch vectors */
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rx_iov[BATCH], tx_iov[BATCH];
	union addr rx_addr[BATCH];
	unsigned char buf[BATCH][MAX_PKT];
};

int bench_relay_mode_parse(const char *name, enum bench_relay_mode *mode)
{
	static const char *const names[] = { "epoll",	     "epoll-conn",
					     "uring",	     "uring-conn",
					     "uring-sendto", "tc",
					     "null" };
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			*mode = (enum bench_relay_mode)i;
			return 0;
		}
	return EINVAL;
}

static bool conn_mode(enum bench_relay_mode m)
{
	return m == BENCH_RELAY_EPOLL_CONN || m == BENCH_RELAY_URING_CONN;
}

/* RFC 3550 5.1: version 2 and a fixed header (relay.c also checks the
 * CSRC count and the payload type: a few instructions more). */
static bool rtp_valid(const unsigned char *b, unsigned len)
{
	return len >= 12 && (b[0] & 0xc0) == 0x80;
}

static bool addr_equal(const union addr *a, const union addr *b)
{
	return a->in.sin_family == b->in.sin_family &&
	       a->in.sin_port == b->in.sin_port &&
	       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/* Relay this packet from sock? Latches the first source. */
static bool relay_accept(struct relay_sock *s, const unsigned char *b,
			 unsigned len, const union addr *src)
{
	if (!rtp_valid(b, len))
		return false;
	if (!s->latched) {
		s->peer = *src;
		s->latched = true;
		return true;
	}
	return addr_equal(&s->peer, src);
}

static void relayed_add(struct bench_relay *r, unsigned k)
{
	atomic_store_explicit(
		&r->relayed,
		atomic_load_explicit(&r->relayed, memory_order_relaxed) + k,
		memory_order_relaxed);
}

/* tc: once both legs of the session have latched, the kernel forwards
 * the rest of its packets. */
static void tc_latched(struct bench_relay *r, struct relay_sock *s,
		       struct relay_sock *o)
{
#ifdef BENCH_RELAY_TC_OBJ
	union addr a = { .in = { .sin_family = AF_INET } }, b;

	if (!r->tc || s->in_kernel || !s->latched || !o->latched)
		return;
	a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b = a;
	a.in.sin_port = htons(s->port);
	b.in.sin_port = htons(o->port);
	s->in_kernel = o->in_kernel = !relay_tc_install(
		r->tc, &a.in, &s->peer.in, &b.in, &o->peer.in);
#else
	(void)r, (void)s, (void)o;
#endif
}

/* ---------------------------------------------------------------------- */
/* epoll, recvmmsg, sendmmsg                                               */

static void epoll_batch(struct bench_relay *r, struct relay_sock *s, unsigned n)
{
	struct relay_sock *o = &r->sock[s->index ^ 1];
	bool conn = conn_mode(r->mode);
	unsigned i, k = 0;
	int sent;

	for (i = 0; i < n; i++) {
		if (!relay_accept(s, r->buf[i], r->rx[i].msg_len,
				  &r->rx_addr[i]))
			continue;
		r->tx_iov[k].iov_base = r->buf[i];
		r->tx_iov[k].iov_len = r->rx[i].msg_len;
		r->tx[k].msg_hdr.msg_name = conn ? NULL : &o->peer;
		r->tx[k].msg_hdr.msg_namelen = conn ? 0 : sizeof(o->peer.in);
		k++;
	}
	relayed_add(r, k);
	if (k && !s->in_kernel)
		tc_latched(r, s, o);
	for (i = 0; i<k; i += sent> 0 ? (unsigned)sent : 1) {
		sent = sendmmsg(o->fd, r->tx + i, k - i, MSG_DONTWAIT);
		if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS))
			break;
	}
}

static void epoll_readable(struct bench_relay *r, struct relay_sock *s)
{
	unsigned i;
	int n;

	do {
		for (i = 0; i < BATCH; i++)
			r->rx[i].msg_hdr.msg_namelen = sizeof(r->rx_addr[i]);
		n = recvmmsg(s->fd, r->rx, BATCH, MSG_DONTWAIT, NULL);
		if (n > 0)
			epoll_batch(r, s, (unsigned)n);
	} while (n == BATCH);
}

static void *epoll_main(void *arg)
{
	struct bench_relay *r = arg;
	struct epoll_event evs[64];
	int n, i;

	for (;;) {
		n = epoll_wait(r->epfd, evs, 64, -1);
		for (i = 0; i < n; i++) {
			if (!evs[i].data.ptr)
				return NULL; /* stop */
			epoll_readable(r, evs[i].data.ptr);
		}
	}
}

static int epoll_init(struct bench_relay *r)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned i;

	for (i = 0; i < BATCH; i++) {
		r->rx_iov[i] = (struct iovec){ r->buf[i], MAX_PKT };
		r->rx[i].msg_hdr.msg_iov = &r->rx_iov[i];
		r->rx[i].msg_hdr.msg_iovlen = 1;
		r->rx[i].msg_hdr.msg_name = &r->rx_addr[i];
		r->tx[i].msg_hdr.msg_iov = &r->tx_iov[i];
		r->tx[i].msg_hdr.msg_iovlen = 1;
	}
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return errno;
	ev.data.ptr = NULL;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->stop_fd, &ev))
		return errno;
	for (i = 0; i < r->n; i++) {
		ev.events = EPOLLIN | EPOLLET;
		ev.data.ptr = &r->sock[i];
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->sock[i].fd, &ev))
			return errno;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* io_uring                                                                */

static int uring_enter(struct uring *u, unsigned submit, unsigned wait)
{
	int ret;

	ret = (int)syscall(__NR_io_uring_enter, u->fd, submit, wait,
			   wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
	return ret < 0 ? errno : 0;
}

/* A free SQE, submitting what is queued when the ring is full. */
static struct io_uring_sqe *uring_sqe(struct uring *u)
{
	struct io_uring_sqe *sqe;
	unsigned head = atomic_load_explicit((_Atomic unsigned *)u->sq_head,
					     memory_order_acquire);

	if (u->sq_local - head >= SQ_SIZE) {
		atomic_store_explicit((_Atomic unsigned *)u->sq_tail,
				      u->sq_local, memory_order_release);
		uring_enter(u, u->to_submit, 0);
		u->to_submit = 0;
	}
	sqe = &u->sqes[u->sq_local & *u->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	u->sq_array[u->sq_local & *u->sq_mask] = u->sq_local & *u->sq_mask;
	u->sq_local++;
	u->to_submit++;
	return sqe;
}

static unsigned char *uring_buf(struct uring *u, unsigned bid)
{
	return u->bufs + (size_t)bid * BUF_SIZE;
}

static void uring_buf_put(struct uring *u, unsigned bid)
{
	struct io_uring_buf *b = &u->br->bufs[u->br_tail & (NBUF - 1)];

	b->addr = (uint64_t)(uintptr_t)uring_buf(u, bid);
	b->len = BUF_SIZE;
	b->bid = (uint16_t)bid;
	u->br_tail++;
	atomic_store_explicit((_Atomic uint16_t *)&u->br->tail,
			      (uint16_t)u->br_tail, memory_order_release);
}

static void uring_arm_recv(struct uring *u, struct relay_sock *s)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	sqe->opcode = IORING_OP_RECVMSG;
	sqe->fd = (int)s->index; /* registered file */
	sqe->flags = IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->addr = (uint64_t)(uintptr_t)&u->recv_tmpl;
	sqe->buf_group = BGID;
	sqe->user_data = s->index;
}

static void uring_arm_stop(struct uring *u, int fd)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)&u->stop_val;
	sqe->len = sizeof(u->stop_val);
	sqe->user_data = TAG_STOP;
}

/* One received datagram in buffer bid: queue its send or drop it. */
static void uring_recv(struct bench_relay *r, struct relay_sock *s,
		       unsigned bid)
{
	struct uring *u = &r->u;
	unsigned char *b = uring_buf(u, bid);
	struct io_uring_recvmsg_out *out = (void *)b;
	union addr src;
	unsigned char *pl = b + sizeof(*out) + sizeof(union addr);
	struct relay_sock *o = &r->sock[s->index ^ 1];
	struct io_uring_sqe *sqe;

	memcpy(&src, b + sizeof(*out), sizeof(src));
	if (out->flags & MSG_TRUNC ||
	    !relay_accept(s, pl, out->payloadlen, &src)) {
		uring_buf_put(u, bid);
		return;
	}
	relayed_add(r, 1);
	sqe = uring_sqe(u);
	sqe->fd = (int)o->index;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->msg_flags = MSG_DONTWAIT;
	sqe->user_data = TAG_SEND | bid;
	if (r->mode != BENCH_RELAY_URING) {
		sqe->opcode = IORING_OP_SEND;
		sqe->addr = (uint64_t)(uintptr_t)pl;
		sqe->len = out->payloadlen;
		if (r->mode == BENCH_RELAY_URING_SENDTO) {
			sqe->addr2 = (uint64_t)(uintptr_t)&o->peer;
			sqe->addr_len = sizeof(o->peer.in);
		}
		return;
	}
	u->send_iov[bid] = (struct iovec){ pl, out->payloadlen };
	u->send_msg[bid] = (struct msghdr){ .msg_name = &o->peer,
					    .msg_namelen = sizeof(o->peer.in),
					    .msg_iov = &u->send_iov[bid],
					    .msg_iovlen = 1 };
	sqe->opcode = IORING_OP_SENDMSG;
	sqe->addr = (uint64_t)(uintptr_t)&u->send_msg[bid];
}

/* Reap every completion there is: false on stop. */
static bool uring_reap(struct bench_relay *r)
{
	struct uring *u = &r->u;
	unsigned head = *u->cq_head, tail, bid;
	struct io_uring_cqe *cqe;

	tail = atomic_load_explicit((_Atomic unsigned *)u->cq_tail,
				    memory_order_acquire);
	for (; head != tail; head++) {
		cqe = &u->cqes[head & *u->cq_mask];
		if (cqe->user_data == TAG_STOP)
			return false;
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (cqe->user_data & TAG_SEND) {
			uring_buf_put(u, (unsigned)(cqe->user_data & 0xffff));
			continue;
		}
		if (cqe->res > 0 && cqe->flags & IORING_CQE_F_BUFFER)
			uring_recv(r, &r->sock[cqe->user_data], bid);
		else if (cqe->flags & IORING_CQE_F_BUFFER)
			uring_buf_put(u, bid);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			uring_arm_recv(u,
				       &r->sock[cqe->user_data]); /* ENOBUFS */
	}
	atomic_store_explicit((_Atomic unsigned *)u->cq_head, head,
			      memory_order_release);
	return true;
}

static void *uring_main(void *arg)
{
	struct bench_relay *r = arg;
	struct uring *u = &r->u;

	for (;;) {
		atomic_store_explicit((_Atomic unsigned *)u->sq_tail,
				      u->sq_local, memory_order_release);
		if (uring_enter(u, u->to_submit, 1) == EINTR)
			continue;
		u->to_submit = 0;
		if (!uring_reap(r))
			return NULL;
	}
}

static int uring_map(struct uring *u, struct io_uring_params *p)
{
	u->sq_ring_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	u->cq_ring_len =
		p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	u->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	u->sq_ring = mmap(NULL, u->sq_ring_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	u->cq_ring = mmap(NULL, u->cq_ring_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sq_ring == MAP_FAILED || u->cq_ring == MAP_FAILED ||
	    u->sqes == MAP_FAILED)
		return errno;
	u->sq_head = (unsigned *)((char *)u->sq_ring + p->sq_off.head);
	u->sq_tail = (unsigned *)((char *)u->sq_ring + p->sq_off.tail);
	u->sq_mask = (unsigned *)((char *)u->sq_ring + p->sq_off.ring_mask);
	u->sq_array = (unsigned *)((char *)u->sq_ring + p->sq_off.array);
	u->cq_head = (unsigned *)((char *)u->cq_ring + p->cq_off.head);
	u->cq_tail = (unsigned *)((char *)u->cq_ring + p->cq_off.tail);
	u->cq_mask = (unsigned *)((char *)u->cq_ring + p->cq_off.ring_mask);
	u->cqes = (void *)((char *)u->cq_ring + p->cq_off.cqes);
	return 0;
}

static void uring_unmap(struct uring *u)
{
	if (u->sq_ring && u->sq_ring != MAP_FAILED)
		munmap(u->sq_ring, u->sq_ring_len);
	if (u->cq_ring && u->cq_ring != MAP_FAILED)
		munmap(u->cq_ring, u->cq_ring_len);
	if (u->sqes && u->sqes != MAP_FAILED)
		munmap(u->sqes, u->sqes_len);
	if (u->br && u->br != MAP_FAILED)
		munmap(u->br, NBUF * sizeof(struct io_uring_buf));
	if (u->bufs && u->bufs != MAP_FAILED)
		munmap(u->bufs, (size_t)NBUF * BUF_SIZE);
}

static int uring_register(struct uring *u, unsigned op, void *arg, unsigned n)
{
	return syscall(__NR_io_uring_register, u->fd, op, arg, n) < 0 ? errno
								      : 0;
}

static int uring_buffers(struct uring *u)
{
	struct io_uring_buf_reg reg = { .ring_entries = NBUF, .bgid = BGID };
	size_t len = (size_t)NBUF * BUF_SIZE;
	unsigned i;
	int err;

	u->br = mmap(NULL, NBUF * sizeof(struct io_uring_buf),
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		     0);
	u->bufs = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (u->br == MAP_FAILED || u->bufs == MAP_FAILED)
		return errno;
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	err = uring_register(u, IORING_REGISTER_PBUF_RING, &reg, 1);
	for (i = 0; !err && i < NBUF; i++)
		uring_buf_put(u, i);
	u->recv_tmpl.msg_namelen = sizeof(union addr);
	return err;
}

static int uring_init(struct bench_relay *r)
{
	struct io_uring_params p = { 0 };
	struct uring *u = &r->u;
	int *fds, err;
	unsigned i;

	/* R_DISABLED: enabled by the relay thread, which SINGLE_ISSUER
	 * then makes the ring's only submitter. */
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
	p.cq_entries = CQ_SIZE;
	u->fd = (int)syscall(__NR_io_uring_setup, SQ_SIZE, &p);
	if (u->fd < 0)
		return errno;
	err = uring_map(u, &p);
	if (!err)
		err = uring_buffers(u);
	fds = calloc(r->n, sizeof(*fds));
	if (!fds)
		return ENOMEM;
	for (i = 0; i < r->n; i++)
		fds[i] = r->sock[i].fd;
	if (!err)
		err = uring_register(u, IORING_REGISTER_FILES, fds, r->n);
	free(fds);
	return err;
}

static void *uring_start(void *arg)
{
	struct bench_relay *r = arg;
	unsigned i;

	if (uring_register(&r->u, IORING_REGISTER_ENABLE_RINGS, NULL, 0))
		return NULL;

	for (i = 0; i < r->n; i++)
		uring_arm_recv(&r->u, &r->sock[i]);
	uring_arm_stop(&r->u, r->stop_fd);
	return uring_main(r);
}

/* ---------------------------------------------------------------------- */

static int sock_open(struct relay_sock *s, uint16_t remote, bool conn)
{
	union addr a = { .in = { .sin_family = AF_INET } };
	socklen_t len = sizeof(a.in);

	a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, &a.sa, sizeof(a.in)) ||
	    getsockname(s->fd, &a.sa, &len))
		return errno;
	s->port = ntohs(a.in.sin_port);
	s->peer = a;
	s->peer.in.sin_port = htons(remote);
	if (conn && connect(s->fd, &s->peer.sa, sizeof(s->peer.in)))
		return errno;
	return 0;
}

/* null: no sockets, no thread; the ports are the generator's. */
static int relay_null(struct bench_relay *r, const uint16_t *remote,
		      struct bench_relay **out)
{
	r->stop_fd = -1;
	r->remote = malloc(r->n * sizeof(*remote));
	if (!r->remote) {
		bench_relay_stop(r);
		return ENOMEM;
	}
	memcpy(r->remote, remote, r->n * sizeof(*remote));
	*out = r;
	return 0;
}

static int tc_open(struct bench_relay *r)
{
#ifdef BENCH_RELAY_TC_OBJ
	const char *path = getenv("BENCH_RELAY_TC_OBJ");

	return relay_tc_open(path && *path ? path : BENCH_RELAY_TC_OBJ, &r->tc);
#else
	(void)r;
	fprintf(stderr, "tc: not built (meson found no libbpf or no clang)\n");
	return ENOTSUP;
#endif
}

int bench_relay_start(enum bench_relay_mode mode, unsigned sessions,
		      const uint16_t *remote, struct bench_relay **out)
{
	struct bench_relay *r = calloc(1, sizeof(*r));
	bool uring =
		mode >= BENCH_RELAY_URING && mode <= BENCH_RELAY_URING_SENDTO;
	unsigned i;
	int err = 0;

	if (!r)
		return ENOMEM;
	r->mode = mode;
	r->n = 2 * sessions;
	r->epfd = r->u.fd = -1;
	if (mode == BENCH_RELAY_NULL)
		return relay_null(r, remote, out);
	if (mode == BENCH_RELAY_TC)
		err = tc_open(r);
	r->sock = calloc(r->n, sizeof(*r->sock));
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!err && (!r->sock || r->stop_fd < 0))
		err = r->sock ? errno : ENOMEM;
	for (i = 0; !err && i < r->n; i++) {
		r->sock[i].index = i;
		err = sock_open(&r->sock[i], remote[i], conn_mode(mode));
	}
	if (!err)
		err = uring ? uring_init(r) : epoll_init(r);
	if (!err)
		err = pthread_create(&r->tid, NULL,
				     uring ? uring_start : epoll_main, r);
	r->started = !err;
	if (!err) /* for perf: `perf report --comm bench-relay` */
		pthread_setname_np(r->tid, "bench-relay");
	if (err) {
		bench_relay_stop(r);
		return err;
	}
	*out = r;
	return 0;
}

uint16_t bench_relay_port(const struct bench_relay *r, unsigned session,
			  unsigned leg)
{
	if (r->remote)
		return r->remote[2 * session + (leg ^ 1)];
	return r->sock[2 * session + leg].port;
}

uint64_t bench_relay_packets(const struct bench_relay *r)
{
	return atomic_load_explicit(&r->relayed, memory_order_relaxed);
}

uint64_t bench_relay_kernel_packets(const struct bench_relay *r)
{
#ifdef BENCH_RELAY_TC_OBJ
	if (r->tc)
		return relay_tc_packets(r->tc);
#endif
	(void)r;
	return 0;
}

uint64_t bench_relay_cpu_ns(const struct bench_relay *r)
{
	struct timespec ts;
	clockid_t clk;

	if (!r->started || pthread_getcpuclockid(r->tid, &clk) ||
	    clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_relay_stop(struct bench_relay *r)
{
	uint64_t one = 1;
	unsigned i;

	if (r->started && write(r->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(r->tid, NULL);
	if (r->u.fd >= 0)
		close(r->u.fd);
	uring_unmap(&r->u);
	if (r->epfd >= 0)
		close(r->epfd);
	for (i = 0; r->sock && i < r->n; i++)
		if (r->sock[i].fd > 0)
			close(r->sock[i].fd);
	if (r->stop_fd >= 0)
		close(r->stop_fd);
#ifdef BENCH_RELAY_TC_OBJ
	relay_tc_close(r->tc);
#endif
	free(r->remote);
	free(r->sock);
	free(r);
}
