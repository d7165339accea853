/*
 * Two fewer system calls per SIP datagram in Sofia's UDP transport.
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
 * - receive: su_getmsgsize() reads the datagram itself (one recvmsg()
 *   into a per-thread buffer, source address kept) and returns its size;
 *   su_vrecv() (stun.c) then copies it out instead of reading the socket.
 *   A zero-length datagram is read past (Sofia would drop it); when
 *   nothing is left, su_vrecv() fails with EAGAIN, which Sofia takes
 *   without a word, where a failed su_getmsgsize() is logged. The
 *   same recvmsg() brings the datagram's receive time (SO_TIMESTAMPNS,
 *   turned on at a socket's first datagram), which the overload detector
 *   (admission.c) read with one more ioctl(SIOCGSTAMPNS). Whatever
 *   Sofia did not take by the end of tport_recv_dgram() (it failed to
 *   allocate the message) is dropped, as a datagram lost.
 * - send: su_soerror() does nothing. It was there to clear an error an
 *   ICMP message left on the socket (sk_err), which would make the next
 *   send fail instead of sending; su_vsend() now sends, and when the
 *   send fails it sends once more: the failure cleared the pending error
 *   as the getsockopt() did, and a genuine failure fails again the same
 *   way. The ICMP error itself still reaches Sofia through the error
 *   queue (IP_RECVERR), as before.
 *
 * Elsewhere (TCP, TLS, Sofia's other users of these functions) all four
 * are Sofia's own. trunk_sofia_udp_check() tells whether they are
 * interposed; when su_vrecv() is not (stun.c's), nothing is read ahead.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/tport.h>

typedef int recv_dgram_f(tport_t *self);
typedef ssize_t send_dgram_f(tport_t const *self, msg_t *msg, msg_iovec_t iov[],
			     size_t iovused);
typedef issize_t getmsgsize_f(su_socket_t s);
typedef int soerror_f(su_socket_t s);
typedef issize_t vsend_f(su_socket_t s, su_iovec_t const iov[], isize_t len,
			 int flags, su_sockaddr_t const *su, socklen_t sulen);

/* The datagram read ahead by su_getmsgsize(), per thread (each thread
 * running a Sofia reactor has its own). All zero at a thread's start, so
 * that it costs a thread only its .tbss share (a few hundred bytes, no
 * initialised image to copy): the 64 KB buffer is malloc'd at the
 * thread's first receive scope (the reactor threads only) and kept. */
static _Thread_local struct {
	int scope;  /* TRUNK_UDP_RECV / TRUNK_UDP_SEND, or 0 */
	bool held;  /* a stash from fd (len 0: none was left) */
	int fd;	    /* the socket the stash came from */
	size_t len; /* 0: nothing was left (su_vrecv() says EAGAIN) */
	struct sockaddr_storage from;
	socklen_t fromlen;
	bool stamped; /* the kernel's receive time of the stash */
	struct timespec stamp;
	bool taken;   /* taken_fd's last datagram taken had a time */
	int taken_fd; /* the socket of the last datagram taken */
	struct timespec taken_stamp; /* its receive time */
	unsigned char *buf;	     /* UDP_BUF bytes, or NULL: not yet */
} udp;

enum { UDP_BUF = 65536 }; /* the largest UDP payload fits */

static pthread_key_t udp_key;
static pthread_once_t udp_key_once = PTHREAD_ONCE_INIT;

static void udp_key_make(void)
{
	(void)pthread_key_create(&udp_key, free); /* at a thread's exit */
}

/* This thread's buffer, malloc'd once; NULL when out of memory. */
static unsigned char *udp_buf(void)
{
	if (!udp.buf) {
		udp.buf = malloc(UDP_BUF);
		if (udp.buf) {
			(void)pthread_once(&udp_key_once, udp_key_make);
			(void)pthread_setspecific(udp_key, udp.buf);
		}
	}
	return udp.buf;
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
 * fails, daemon.c warns). Looked up once. */
static bool read_ahead(void)
{
	static int known; /* 0: not yet, 1: ours, -1: Sofia's */
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (!v) {
		v = dlsym(RTLD_DEFAULT, "su_vrecv") == (void *)su_vrecv ? 1
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
	n = f(self, msg, iov, iovused);
	trunk_sofia_udp_scope(0);
	return n;
}

issize_t su_getmsgsize(su_socket_t s)
{
	static void *sofia;
	struct iovec v = { NULL, UDP_BUF };
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;
	int one = 1;

	if (udp.scope != TRUNK_UDP_RECV || !read_ahead()) {
		getmsgsize_f *f =
			(getmsgsize_f *)sofia_sym(&sofia, "su_getmsgsize");

		if (!f) {
			errno = ENOSYS;
			return -1;
		}
		return f(s);
	}
	if (udp.held && udp.fd == s)
		return (issize_t)udp.len;
	udp.held = false;
	v.iov_base = udp_buf();
	if (!v.iov_base) {
		errno = ENOMEM;
		return -1;
	}
	do {
		mh.msg_name = &udp.from;
		mh.msg_namelen = sizeof(udp.from);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(s, &mh, MSG_DONTWAIT);
		/* A signal is no error (as Sofia's su_vrecv); a datagram of
		 * no bytes is read past, as Sofia would drop it. */
	} while ((n < 0 && errno == EINTR) || n == 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* Nothing left (a datagram of no bytes, or a wake-up for a
		 * datagram the kernel then dropped): Sofia's -1 here would
		 * log at its level 1 for each one, a log line per empty
		 * datagram anyone can send. Sofia gets a size, then
		 * su_vrecv() says EAGAIN, which it takes quietly. */
		udp.held = true;
		udp.fd = s;
		udp.len = 0;
		return 1;
	}
	if (n < 0)
		return -1;
	udp.held = true;
	udp.fd = s;
	udp.len = (size_t)n;
	udp.fromlen = mh.msg_namelen;
	udp.stamped = false;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&udp.stamp, CMSG_DATA(c), sizeof(udp.stamp));
			udp.stamped = true;
		}
	/* The socket's first datagram: the next ones have their time. */
	if (!udp.stamped)
		(void)setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one,
				 sizeof(one));
	return (issize_t)n;
}

issize_t trunk_sofia_udp_take(su_socket_t s, su_iovec_t iov[], isize_t len,
			      su_sockaddr_t *su, socklen_t *sulen)
{
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
	for (i = 0; i < len && got < udp.len; i++) {
		k = iov[i].siv_len;
		if (k > udp.len - got)
			k = udp.len - got;
		memcpy(iov[i].siv_base, udp.buf + got, k);
		got += k;
	}
	if (su && sulen) {
		k = udp.fromlen < *sulen ? udp.fromlen : *sulen;
		memcpy(su, &udp.from, k);
		*sulen = udp.fromlen;
	}
	udp.held = false;
	udp.taken = udp.stamped;
	udp.taken_fd = s;
	udp.taken_stamp = udp.stamp;
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
	       dlsym(RTLD_DEFAULT, "tport_recv_dgram") ==
		       (void *)tport_recv_dgram &&
	       dlsym(RTLD_DEFAULT, "tport_send_dgram") ==
		       (void *)tport_send_dgram &&
	       dlsym(RTLD_DEFAULT, "su_soerror") == (void *)su_soerror &&
	       dlsym(RTLD_DEFAULT, "su_vsend") == (void *)su_vsend;
}
