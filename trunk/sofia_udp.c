/*
 * Fewer system calls per SIP datagram in Sofia's UDP transport.
 *
 * tport_recv_dgram() (libsofia-sip-ua 1.12.11, unchanged in 1.13) sizes
 * each datagram with su_getmsgsize(), an ioctl(FIONREAD), before it reads
 * it with su_vrecv(); tport_send_dgram() calls su_soerror(), a
 * getsockopt(SO_ERROR) whose result it ignores, before each su_vsend().
 * That is 13 of the ~36 system calls of a call in the benchmark.
 *
 * Here, only inside those two functions (the executable exports
 * wrappers of both, trunk/meson.build: --export-dynamic-symbol; Sofia's
 * UDP vtables point at them through symbol relocations, so they land
 * here, and the libraries' own calls of su_getmsgsize(), su_soerror(),
 * su_vsend() go through their PLT):
 *
 * - receive: su_getmsgsize() reads the datagram itself (recvmmsg() into
 *   a per-thread ring, source address kept) and returns its size;
 *   su_vrecv() (stun.c) then copies it out instead of reading the socket.
 *   Inside tport_recv_event() (also exported, called through Sofia's PLT
 *   from its wake-up) for a UDP transport one recvmmsg() reads up to
 *   UDP_BATCH datagrams, and Sofia's own tport_recv_event() is called
 *   once per datagram, the reactor's due timers run between two, as
 *   between two callbacks (Sofia read one datagram per epoll_wait());
 *   a UDP wake-up that those timers bring (nta's su_root_yield()) reads
 *   nothing until the batch is over; elsewhere one datagram is read. At low load that is one system call
 *   per wake-up as before.
 *   A zero-length datagram is read past (Sofia would drop it); when
 *   nothing is left, su_vrecv() fails with EAGAIN, which Sofia takes
 *   without a word, where a failed su_getmsgsize() is logged. The
 *   same read brings each datagram's receive time (SO_TIMESTAMPNS,
 *   turned on at a socket's first datagram), which the overload detector
 *   (admission.c) read with one more ioctl(SIOCGSTAMPNS). Whatever
 *   Sofia did not take by the end of tport_recv_dgram() (it failed to
 *   allocate the message), or left in the ring when the tport closed,
 *   is dropped, as a datagram lost.
 * - send: su_soerror() does nothing. It was there to clear an error an
 *   ICMP message left on the socket (sk_err), which would make the next
 *   send fail instead of sending; su_vsend() now sends, and when the
 *   send fails it sends once more: the failure cleared the pending error
 *   as the getsockopt() did, and a genuine failure fails again the same
 *   way. The ICMP error itself still reaches Sofia through the error
 *   queue (IP_RECVERR), as before.
 * - send during a batch: while more datagrams of the batch wait to be
 *   handled, su_vsend() holds a copy of each datagram Sofia sends (and
 *   tells Sofia it was sent); the first send after the last datagram was
 *   taken, and the batch's end, send what is held with one sendmmsg()
 *   per socket, in the order held. Peers are woken once for several
 *   datagrams instead of once each (the larger part of the saving), and
 *   fewer system calls. A datagram the kernel refuses is lost, as on the
 *   wire, and its tport told at the batch's end (tport_error_report(),
 *   as Sofia's error event would: nta fails a request waiting on that
 *   destination). At low load (one datagram per read) nothing is held.
 *
 * Elsewhere (TCP, TLS, Sofia's other users of these functions) all four
 * are Sofia's own. trunk_sofia_udp_check() tells whether they are
 * interposed; when su_vrecv() is not (stun.c's), nothing is read ahead.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "gateway.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>

/* libsofia-sip-ua exports it; no public header declares it. */
void tport_error_report(tport_t *self, int errcode, su_sockaddr_t const *addr);

typedef int recv_dgram_f(tport_t *self);
typedef void recv_event_f(tport_t *self);
typedef ssize_t send_dgram_f(tport_t const *self, msg_t *msg, msg_iovec_t iov[],
			     size_t iovused);
typedef issize_t getmsgsize_f(su_socket_t s);
typedef int soerror_f(su_socket_t s);
typedef issize_t vsend_f(su_socket_t s, su_iovec_t const iov[], isize_t len,
			 int flags, su_sockaddr_t const *su, socklen_t sulen);

/* Up to UDP_BATCH datagrams read with one recvmmsg(), per thread: their
 * payloads, senders and receive times. Mapped at the thread's first
 * receive scope (the reactor threads only) and kept: UDP_BATCH buffers
 * of the largest UDP payload, of which only the bytes received are ever
 * touched. */
enum { UDP_BATCH = 8, UDP_BUF = 65536 };

struct udp_ring {
	int fd;		  /* the socket of the datagrams in it */
	unsigned n, next; /* datagrams in it, the next one to give */
	struct udp_dgram {
		unsigned slot; /* its buffer */
		size_t len;
		struct sockaddr_storage from;
		socklen_t fromlen;
		bool stamped; /* the kernel's receive time */
		struct timespec stamp;
	} m[UDP_BATCH];
	unsigned char buf[UDP_BATCH][UDP_BUF];
};

/* Datagrams Sofia sent while more of a batch waited (su_vsend()
 * below), held until the batch's last datagram is handled and then sent
 * with one sendmmsg() per socket: copies of their bytes, their
 * destinations and whom to tell if the kernel refuses one. Mapped at
 * the thread's first such send and kept, as the ring. */
enum { OUT_BATCH = 32, OUT_BUF = 256 * 1024 };

/* Whom a refused datagram is reported to: the tport that sent it
 * (referenced) and the message's destination (nta matches its pending
 * requests by it; dstlen 0: none). */
struct udp_whom {
	tport_t *tp;
	su_sockaddr_t dst;
	socklen_t dstlen;
};

struct udp_out {
	unsigned n;  /* datagrams held */
	size_t used; /* bytes of buf they use */
	struct udp_held {
		int fd;
		size_t off, len; /* in buf */
		struct sockaddr_storage to;
		socklen_t tolen;
		struct udp_whom whom;
	} m[OUT_BATCH];
	unsigned nfailed; /* refused by the kernel, to report */
	struct udp_failed {
		struct udp_whom whom;
		int error;
	} failed[OUT_BATCH];
	unsigned char buf[OUT_BUF];
};

/* The datagram su_getmsgsize() gave Sofia (in the ring), per thread
 * (each thread running a Sofia reactor has its own). All zero at a
 * thread's start, so that it costs a thread only a few bytes of .tbss
 * (no initialised image to copy at each pthread_create()). */
static _Thread_local struct {
	int scope;  /* TRUNK_UDP_RECV / TRUNK_UDP_SEND, or 0 */
	bool held;  /* a datagram given for fd (len 0: none was left) */
	bool batch; /* inside tport_recv_event() for a UDP socket */
	int fd;
	size_t len;		     /* 0: nothing was left (EAGAIN) */
	struct udp_dgram *cur;	     /* the datagram given, if len */
	bool taken;		     /* the last one taken had a time */
	int taken_fd;		     /* the socket of the last one taken */
	struct timespec taken_stamp; /* its receive time */
	struct udp_ring *ring;	     /* NULL: not yet */
	su_root_t *root;	     /* its timers run between datagrams */
	tport_t *send_tp;	     /* in tport_send_dgram(): its tport */
	msg_t *send_msg;	     /* and the message it sends */
	struct udp_out *out;	     /* NULL: not yet */
} udp;

static pthread_key_t udp_key;
static pthread_once_t udp_key_once = PTHREAD_ONCE_INIT;

/* Datagrams per batch read (trunkctl status). */
static unsigned long long udp_reads, udp_dgrams, udp_full;

static pthread_key_t out_key;

/* Datagrams sent by held batches (trunkctl status). */
static unsigned long long out_flushes, out_dgrams;

static void ring_unmap(void *ring)
{
	munmap(ring, sizeof(struct udp_ring));
}

static void out_unmap(void *out)
{
	munmap(out, sizeof(struct udp_out));
}

static void udp_key_make(void)
{
	/* at thread exit */
	(void)pthread_key_create(&udp_key, ring_unmap);
	(void)pthread_key_create(&out_key, out_unmap);
}

/* A thread's own zeroed mapping of size bytes, unmapped at its exit
 * through key (the ring's, the send queue's); NULL when out of memory.
 * Its own mapping, not the heap's: a block of half a megabyte or more
 * there would count as heap in use and could pin the arena's top; only
 * the pages datagrams reach are ever touched. */
static void *udp_map(size_t size, pthread_key_t *key)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)pthread_once(&udp_key_once, udp_key_make);
	(void)pthread_setspecific(*key, p);
	return p;
}

/* This thread's ring, mapped once (empty: zeroed); NULL when out of
 * memory. */
static struct udp_ring *udp_ring(void)
{
	if (!udp.ring)
		udp.ring = udp_map(sizeof(*udp.ring), &udp_key);
	return udp.ring;
}

static bool ring_pending(void)
{
	return udp.ring && udp.ring->next < udp.ring->n;
}

/* Forget what the ring holds (not given to Sofia: lost). */
static void ring_clear(void)
{
	if (udp.ring)
		udp.ring->n = udp.ring->next = 0;
}

/* libsofia-sip-ua's definition of name, looked up once (any thread finds
 * the same, as sofia_home.c). */
static void *sofia_sym(void **cache, const char *name)
{
	void *sym = __atomic_load_n(cache, __ATOMIC_RELAXED);

	if (!sym) {
		sym = dlsym(RTLD_NEXT, name);
		__atomic_store_n(cache, sym, __ATOMIC_RELAXED);
	}
	return sym;
}

/* Whether su_vrecv() is stun.c's, which takes the datagram read ahead:
 * else Sofia's own would read the next one and every other datagram be
 * lost, so su_getmsgsize() stays Sofia's (trunk_sofia_udp_check() then
 * fails, daemon.c warns). The one everybody calls must be this
 * executable's, not the next one (libsofia's: what both would name if
 * stun.c were not linked in, audit11 L4). Looked up once. */
static bool read_ahead(void)
{
	static int known; /* 0: not yet, 1: ours, -1: Sofia's */
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
	void *global;

	if (!v) {
		global = dlsym(RTLD_DEFAULT, "su_vrecv");
		v = global == (void *)su_vrecv &&
				    global != dlsym(RTLD_NEXT, "su_vrecv")
			    ? 1
			    : -1;
		__atomic_store_n(&known, v, __ATOMIC_RELAXED);
	}
	return v > 0;
}

void trunk_sofia_udp_scope(int scope)
{
	udp.scope = scope;
	if (!scope)
		udp.held = false; /* not taken: dropped */
}

int tport_recv_dgram(tport_t *self)
{
	static void *sofia;
	recv_dgram_f *f = (recv_dgram_f *)sofia_sym(&sofia, "tport_recv_dgram");
	int n;

	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	trunk_sofia_udp_scope(TRUNK_UDP_RECV);
	n = f(self);
	trunk_sofia_udp_scope(0);
	return n;
}

void trunk_sofia_udp_root(su_root_t *root)
{
	udp.root = root;
}

/* Between two datagrams of a batch, what runs between two callbacks of
 * the reactor: its due timers (the scratch home's emptying, scratch.c;
 * call.c's reaper...). */
static void udp_between(void)
{
	su_duration_t tout = SU_DURATION_MAX;

	if (udp.root)
		(void)su_timer_expire(su_task_timers(su_root_task(udp.root)),
				      &tout, su_now());
}

static void out_flush(void);
static void out_report(void);

void tport_recv_event(tport_t *self)
{
	static void *sofia;
	recv_event_f *f = (recv_event_f *)sofia_sym(&sofia, "tport_recv_event");
	tport_t *ref;

	if (!f)
		return;
	if (udp.batch && tport_is_udp(self) && read_ahead()) {
		/* A wake-up in the middle of a batch: the reactor run from
		 * a timer between two of its datagrams (nta's timer calls
		 * su_root_yield() after every 5 retransmissions). Reading
		 * now would refill the ring and lose the datagrams of the
		 * batch still in it; this socket stays readable (the
		 * reactor's waits are level-triggered) and is read at its
		 * next wake-up. */
		return;
	}
	if (udp.batch || !tport_is_udp(self) || !read_ahead()) {
		f(self);
		return;
	}
	/* The first datagram's su_getmsgsize() reads up to UDP_BATCH (one
	 * recvmmsg()); Sofia's tport_recv_event() handles one datagram a
	 * call: called again while the ring holds more of this socket. */
	udp.batch = true;
	ring_clear();
	ref = tport_incref(self);
	f(self);
	while (ring_pending() && !tport_is_closed(self)) {
		udp_between();
		f(self);
	}
	ring_clear();
	udp.batch = false;
	out_flush();
	out_report();
	tport_decref(&ref);
}

void trunk_sofia_udp_send_stats(unsigned long long *sends,
				unsigned long long *datagrams)
{
	*sends = __atomic_load_n(&out_flushes, __ATOMIC_RELAXED);
	*datagrams = __atomic_load_n(&out_dgrams, __ATOMIC_RELAXED);
}

void trunk_sofia_udp_stats(unsigned long long *reads,
			   unsigned long long *datagrams,
			   unsigned long long *full)
{
	*reads = __atomic_load_n(&udp_reads, __ATOMIC_RELAXED);
	*datagrams = __atomic_load_n(&udp_dgrams, __ATOMIC_RELAXED);
	*full = __atomic_load_n(&udp_full, __ATOMIC_RELAXED);
}

ssize_t tport_send_dgram(tport_t const *self, msg_t *msg, msg_iovec_t iov[],
			 size_t iovused)
{
	static void *sofia;
	send_dgram_f *f = (send_dgram_f *)sofia_sym(&sofia, "tport_send_dgram");
	ssize_t n;

	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	trunk_sofia_udp_scope(TRUNK_UDP_SEND);
	udp.send_tp = (tport_t *)self;
	udp.send_msg = msg;
	n = f(self, msg, iov, iovused);
	udp.send_tp = NULL;
	udp.send_msg = NULL;
	trunk_sofia_udp_scope(0);
	return n;
}

/* Reads what socket s has, up to UDP_BATCH datagrams in a batch (one in
 * a lone receive scope), into the empty ring with one recvmmsg(): 0 (the
 * ring holds what came; none: nothing was left), -1 on an error. */
static int ring_fill(struct udp_ring *r, su_socket_t s)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
	struct iovec v[UDP_BATCH];
	struct mmsghdr mm[UDP_BATCH];
	unsigned vlen = udp.batch ? UDP_BATCH : 1, k;
	struct cmsghdr *c;
	int n, one = 1;

	r->fd = s;
	r->n = r->next = 0;
	do {
		for (k = 0; k < vlen; k++) {
			v[k].iov_base = r->buf[k];
			v[k].iov_len = UDP_BUF;
			memset(&mm[k], 0, sizeof(mm[k]));
			mm[k].msg_hdr.msg_iov = &v[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_name = &r->m[k].from;
			mm[k].msg_hdr.msg_namelen = sizeof(r->m[k].from);
			mm[k].msg_hdr.msg_control = ctl[k].buf;
			mm[k].msg_hdr.msg_controllen = sizeof(ctl[k].buf);
		}
		n = recvmmsg(s, mm, vlen, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == EINTR)
			continue; /* a signal is no error (as Sofia's) */
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		/* A datagram of no bytes is read past, as Sofia would drop
		 * it; a full read of them only: read on. */
		for (k = 0; k < (unsigned)n; k++) {
			struct udp_dgram *d = &r->m[r->n];

			if (!mm[k].msg_len)
				continue;
			if (d != &r->m[k])
				memcpy(&d->from, &r->m[k].from,
				       sizeof(d->from));
			d->slot = k;
			d->len = mm[k].msg_len;
			d->fromlen = mm[k].msg_hdr.msg_namelen;
			d->stamped = false;
			for (c = CMSG_FIRSTHDR(&mm[k].msg_hdr); c;
			     c = CMSG_NXTHDR(&mm[k].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET &&
				    c->cmsg_type == SCM_TIMESTAMPNS &&
				    c->cmsg_len >=
					    CMSG_LEN(sizeof(struct timespec))) {
					memcpy(&d->stamp, CMSG_DATA(c),
					       sizeof(d->stamp));
					d->stamped = true;
				}
			r->n++;
		}
	} while (!r->n && (n < 0 || (unsigned)n == vlen));
	if (!r->n)
		return 0;
	/* The socket's first datagram: the next ones have their time. */
	if (!r->m[0].stamped)
		(void)setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one,
				 sizeof(one));
	if (udp.batch) {
		__atomic_add_fetch(&udp_reads, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&udp_dgrams, r->n, __ATOMIC_RELAXED);
		if ((unsigned)n == UDP_BATCH)
			__atomic_add_fetch(&udp_full, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

issize_t su_getmsgsize(su_socket_t s)
{
	static void *sofia;
	struct udp_ring *r = NULL;

	if (udp.scope == TRUNK_UDP_RECV && read_ahead()) {
		if (udp.held && udp.fd == s)
			return (issize_t)udp.len;
		udp.held = false;
		/* Without a ring (out of memory), Sofia's way for this one:
		 * nothing held, so su_vrecv() reads the socket itself. */
		r = udp_ring();
	}
	if (!r) {
		getmsgsize_f *f =
			(getmsgsize_f *)sofia_sym(&sofia, "su_getmsgsize");

		if (!f) {
			errno = ENOSYS;
			return -1;
		}
		return f(s);
	}
	/* Read the socket only when the ring has nothing of it left. */
	if ((r->fd != s || r->next >= r->n) && ring_fill(r, s) < 0)
		return -1;
	udp.held = true;
	udp.fd = s;
	if (r->next >= r->n) {
		/* Nothing left (a datagram of no bytes, or a wake-up for a
		 * datagram the kernel then dropped): Sofia's -1 here would
		 * log at its level 1 for each one, a log line per empty
		 * datagram anyone can send. Sofia gets a size, then
		 * su_vrecv() says EAGAIN, which it takes quietly. */
		udp.len = 0;
		return 1;
	}
	udp.cur = &r->m[r->next++];
	udp.len = udp.cur->len;
	return (issize_t)udp.len;
}

issize_t trunk_sofia_udp_take(su_socket_t s, su_iovec_t iov[], isize_t len,
			      su_sockaddr_t *su, socklen_t *sulen)
{
	const unsigned char *buf;
	size_t got = 0, k;
	isize_t i;

	if (udp.scope != TRUNK_UDP_RECV || !udp.held || udp.fd != s) {
		udp.taken = false; /* su_vrecv() reads it: no time */
		return -2;
	}
	if (!udp.len) {
		udp.held = false;
		udp.taken = false;
		errno = EAGAIN;
		return -1;
	}
	buf = udp.ring->buf[udp.cur->slot];
	for (i = 0; i < len && got < udp.len; i++) {
		k = iov[i].siv_len;
		if (k > udp.len - got)
			k = udp.len - got;
		memcpy(iov[i].siv_base, buf + got, k);
		got += k;
	}
	if (su && sulen) {
		k = udp.cur->fromlen < *sulen ? udp.cur->fromlen : *sulen;
		memcpy(su, &udp.cur->from, k);
		*sulen = udp.cur->fromlen;
	}
	udp.held = false;
	udp.taken = udp.cur->stamped;
	udp.taken_fd = s;
	udp.taken_stamp = udp.cur->stamp;
	return (issize_t)got; /* as recvmsg(): what fitted */
}

bool trunk_sofia_udp_stamp(int fd, struct timespec *ts)
{
	if (fd < 0 || !udp.taken || udp.taken_fd != fd)
		return false;
	*ts = udp.taken_stamp;
	return true;
}

int su_soerror(su_socket_t s)
{
	static void *sofia;
	soerror_f *f;

	if (udp.scope == TRUNK_UDP_SEND)
		return 0; /* su_vsend() below */
	f = (soerror_f *)sofia_sym(&sofia, "su_soerror");
	return f ? f(s) : 0;
}

/* This thread's send queue, mapped once (empty: zeroed); NULL when out
 * of memory. */
static struct udp_out *udp_out(void)
{
	if (!udp.out)
		udp.out = udp_map(sizeof(*udp.out), &out_key);
	return udp.out;
}

/* Sends held datagrams k.. of socket fd's with one sendmmsg() (fewer
 * while they fail), then the next socket's; in the order held, per
 * socket. A datagram the kernel refuses is tried once more on its own
 * (the refusal cleared an error an ICMP message left on the socket, as
 * su_vsend() below); refused again, it is lost as a datagram on the
 * wire would be, and kept for out_report() to tell its tport. */
static void out_flush(void)
{
	struct udp_out *o = udp.out;
	struct mmsghdr mm[OUT_BATCH];
	struct iovec v[OUT_BATCH];
	unsigned idx[OUT_BATCH];
	bool done[OUT_BATCH] = { false };
	unsigned i, j, cnt, k;
	int r;

	if (!o || !o->n)
		return;
	for (i = 0; i < o->n; i++) {
		if (done[i])
			continue;
		for (cnt = 0, j = i; j < o->n; j++) {
			struct udp_held *h = &o->m[j];

			if (done[j] || h->fd != o->m[i].fd)
				continue;
			v[cnt].iov_base = o->buf + h->off;
			v[cnt].iov_len = h->len;
			memset(&mm[cnt], 0, sizeof(mm[cnt]));
			mm[cnt].msg_hdr.msg_iov = &v[cnt];
			mm[cnt].msg_hdr.msg_iovlen = 1;
			mm[cnt].msg_hdr.msg_name = &h->to;
			mm[cnt].msg_hdr.msg_namelen = h->tolen;
			idx[cnt++] = j;
			done[j] = true;
		}
		for (k = 0; k < cnt;) {
			r = sendmmsg(o->m[i].fd, mm + k, cnt - k,
				     MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0) {
				k += (unsigned)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			/* A full socket buffer is not the destination's
			 * fault: lost, nta sends it again (Sofia's own send
			 * fails no request for it either). */
			if (sendmsg(o->m[i].fd, &mm[k].msg_hdr,
				    MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			    errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ENOBUFS && o->nfailed < OUT_BATCH) {
				struct udp_held *h = &o->m[idx[k]];
				struct udp_failed *f = &o->failed[o->nfailed++];

				f->whom = h->whom; /* its reference, too */
				h->whom.tp = NULL;
				f->error = errno;
			}
			k++;
		}
		__atomic_add_fetch(&out_flushes, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&out_dgrams, cnt, __ATOMIC_RELAXED);
	}
	for (i = 0; i < o->n; i++)
		tport_decref(&o->m[i].whom.tp); /* (NULL: none) */
	o->n = 0;
	o->used = 0;
}

/* Tells each tport of its refused datagrams (out_flush()), once the
 * batch is over: not from inside a send of Sofia's (out_flush() may run
 * in one), where nta would be called back in the middle of its own
 * send; here as from Sofia's own error event. A request waiting on
 * that destination fails then (nta: 503, or the next address). */
static void out_report(void)
{
	struct udp_out *o = udp.out;
	struct udp_failed f;

	while (o && o->nfailed) {
		f = o->failed[--o->nfailed];
		tport_error_report(f.whom.tp, f.error,
				   f.whom.dstlen ? &f.whom.dst : NULL);
		tport_decref(&f.whom.tp);
	}
}

/* Holds a datagram Sofia sends during a batch: its size (sent, as far
 * as Sofia can tell), or -1 to send it now (no queue, too large, an
 * address that does not fit). */
static issize_t out_hold(su_socket_t s, su_iovec_t const iov[], isize_t len,
			 su_sockaddr_t const *su, socklen_t sulen)
{
	struct udp_out *o;
	struct udp_held *h;
	size_t total = 0;
	isize_t i;

	for (i = 0; i < len; i++)
		total += iov[i].siv_len;
	if (!su || !sulen || sulen > sizeof(h->to) || !total ||
	    total > OUT_BUF || !(o = udp_out())) {
		out_flush(); /* what was held goes first */
		return -1;
	}
	if (o->n == OUT_BATCH || o->used + total > OUT_BUF)
		out_flush();
	h = &o->m[o->n++];
	h->fd = s;
	h->off = o->used;
	h->len = total;
	memcpy(&h->to, su, sulen);
	h->tolen = sulen;
	h->whom.tp = tport_incref(udp.send_tp);
	/* The address nta's pending requests are matched by: the
	 * message's (Sofia sends to its v4-mapped form from an IPv6
	 * socket). */
	h->whom.dstlen = sizeof(h->whom.dst);
	if (!udp.send_msg ||
	    msg_get_address(udp.send_msg, &h->whom.dst, &h->whom.dstlen) < 0 ||
	    h->whom.dstlen > sizeof(h->whom.dst))
		h->whom.dstlen = 0;
	for (i = 0; i < len; i++) {
		memcpy(o->buf + o->used, iov[i].siv_base, iov[i].siv_len);
		o->used += iov[i].siv_len;
	}
	return (issize_t)total;
}

issize_t su_vsend(su_socket_t s, su_iovec_t const iov[], isize_t len, int flags,
		  su_sockaddr_t const *su, socklen_t sulen)
{
	static void *sofia;
	vsend_f *f = (vsend_f *)sofia_sym(&sofia, "su_vsend");
	issize_t n;

	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	/* Held only while more datagrams of the batch wait to be handled:
	 * one alone (low load) goes out at once, as before. */
	if (udp.scope == TRUNK_UDP_SEND && udp.batch && udp.send_tp) {
		if (!ring_pending())
			out_flush(); /* what was held goes first */
		else if ((n = out_hold(s, iov, len, su, sulen)) >= 0)
			return n;
	}
	n = f(s, iov, len, flags, su, sulen);
	if (n < 0 && udp.scope == TRUNK_UDP_SEND)
		n = f(s, iov, len, flags, su, sulen);
	return n;
}

bool trunk_sofia_udp_check(void)
{
	/* su_vrecv() (stun.c) takes what su_getmsgsize() read ahead:
	 * without it every other datagram would be lost. */
	return dlsym(RTLD_DEFAULT, "su_getmsgsize") == (void *)su_getmsgsize &&
	       read_ahead() &&
	       dlsym(RTLD_DEFAULT, "tport_recv_event") ==
		       (void *)tport_recv_event &&
	       dlsym(RTLD_DEFAULT, "tport_recv_dgram") ==
		       (void *)tport_recv_dgram &&
	       dlsym(RTLD_DEFAULT, "tport_send_dgram") ==
		       (void *)tport_send_dgram &&
	       dlsym(RTLD_DEFAULT, "su_soerror") == (void *)su_soerror &&
	       dlsym(RTLD_DEFAULT, "su_vsend") == (void *)su_vsend;
}
