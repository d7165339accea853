/*
 * STUN Binding (RFC 5389) for SIP Outbound (RFC 5626 4.4.2, 8): requests
 * as UDP keep-alives (OB-3) and a server answering every Binding request
 * that reaches a SIP UDP socket (OB-6).
 *
 * Sofia-SIP demultiplexes STUN on its UDP sockets itself: a datagram whose
 * first byte is 0 (request) goes to the process's STUN server plug-in
 * (tport_plugins.h), whose default "mini" server speaks only RFC 3489. We
 * plug in our own that answers RFC 5389 requests with XOR-MAPPED-ADDRESS
 * (and RFC 3489 ones with MAPPED-ADDRESS) by sendto() on the same socket.
 *
 * A datagram whose first byte is 1 (a response: the answer to our own
 * keep-alive) Sofia drops: its UDP transport has no vtp_stun_response. To
 * compare XOR-MAPPED-ADDRESS (OB-3) we see the datagram first: the
 * executable defines su_vrecv(), the call tport_recv_dgram() reads every
 * datagram with (through libsofia-sip-ua's PLT, like certs/' OpenSSL
 * functions), passes it to libsofia's own and shows Binding success
 * responses to flow.c before Sofia drops them.
 */
#define TPORT_STUN_SERVER_T struct trunk_stun_server
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "gateway.h"
#include "stun.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_plugins.h>

#define SUBSYS "trunk.stun"

enum {
	STUN_BINDING_REQUEST = 0x0001,
	STUN_BINDING_SUCCESS = 0x0101,
	STUN_MAPPED_ADDRESS = 0x0001,
	STUN_XOR_MAPPED_ADDRESS = 0x0020,
};

static void put16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *b)
{
	return (unsigned)b[0] << 8 | b[1];
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)get16(b) << 16 | get16(b + 2);
}

void trunk_stun_binding_request(uint8_t out[TRUNK_STUN_HEADER],
				const uint8_t txid[12])
{
	put16(out, STUN_BINDING_REQUEST);
	put16(out + 2, 0);
	put32(out + 4, TRUNK_STUN_COOKIE);
	memcpy(out + 8, txid, 12);
}

/* The (XOR-)MAPPED-ADDRESS value for from: family, port, address. */
static size_t stun_address(uint8_t *v, const struct sockaddr *from,
			   const uint8_t *hdr, bool xor)
{
	uint8_t mask[16];
	const uint8_t *addr;
	unsigned port, i, n;

	memcpy(mask, hdr + 4, 16); /* cookie + transaction id */
	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)from;

		addr = (const uint8_t *)&s->sin_addr;
		port = ntohs(s->sin_port);
		n = 4;
		v[1] = 0x01;
	} else if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)from;

		addr = (const uint8_t *)&s->sin6_addr;
		port = ntohs(s->sin6_port);
		n = 16;
		v[1] = 0x02;
	} else {
		return 0;
	}
	v[0] = 0;
	put16(v + 2, xor? port ^ (TRUNK_STUN_COOKIE >> 16) : port);
	for (i = 0; i < n; i++)
		v[4 + i] = xor? addr[i] ^ mask[i] : addr[i];
	return 4 + n;
}

size_t trunk_stun_binding_answer(const uint8_t *req, size_t len,
				 const struct sockaddr *from, uint8_t *out,
				 size_t outlen)
{
	bool rfc5389;
	size_t alen;

	if (len < TRUNK_STUN_HEADER || outlen < TRUNK_STUN_HEADER + 24 ||
	    get16(req) != STUN_BINDING_REQUEST ||
	    get16(req + 2) != len - TRUNK_STUN_HEADER || (get16(req + 2) & 3))
		return 0;
	rfc5389 = get16(req + 4) == TRUNK_STUN_COOKIE >> 16 &&
		  get16(req + 6) == (TRUNK_STUN_COOKIE & 0xffff);
	memcpy(out, req, TRUNK_STUN_HEADER); /* cookie/transaction id */
	put16(out, STUN_BINDING_SUCCESS);
	alen = stun_address(out + TRUNK_STUN_HEADER + 4, from, req, rfc5389);
	if (!alen)
		return 0;
	put16(out + TRUNK_STUN_HEADER,
	      rfc5389 ? STUN_XOR_MAPPED_ADDRESS : STUN_MAPPED_ADDRESS);
	put16(out + TRUNK_STUN_HEADER + 2, (unsigned)alen);
	put16(out + 2, (unsigned)(4 + alen));
	return TRUNK_STUN_HEADER + 4 + alen;
}

/* An address attribute's value (v, vlen bytes) into out; xor: undo the
 * XOR with the cookie and transaction id of hdr (RFC 5389 15.2). */
static int stun_read_address(const uint8_t *v, size_t vlen, const uint8_t *hdr,
			     bool xor, struct sockaddr_storage *out)
{
	unsigned port, i, n;
	uint8_t *addr;

	if (vlen < 8)
		return -1;
	memset(out, 0, sizeof(*out));
	port = get16(v + 2) ^ (xor? TRUNK_STUN_COOKIE >> 16 : 0);
	if (v[1] == 0x01 && vlen == 8) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		addr = (uint8_t *)&s->sin_addr;
		n = 4;
	} else if (v[1] == 0x02 && vlen == 20) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		addr = (uint8_t *)&s->sin6_addr;
		n = 16;
	} else {
		return -1;
	}
	for (i = 0; i < n; i++)
		addr[i] = xor? v[4 + i] ^ hdr[4 + i] : v[4 + i];
	return 0;
}

int trunk_stun_binding_mapped(const uint8_t *msg, size_t len, uint8_t txid[12],
			      struct sockaddr_storage *mapped)
{
	size_t off, alen;
	unsigned type;
	int found = -1;

	if (len < TRUNK_STUN_HEADER || get16(msg) != STUN_BINDING_SUCCESS ||
	    get32(msg + 4) != TRUNK_STUN_COOKIE || (get16(msg + 2) & 3) ||
	    get16(msg + 2) > len - TRUNK_STUN_HEADER)
		return -1;
	len = TRUNK_STUN_HEADER + get16(msg + 2);
	for (off = TRUNK_STUN_HEADER; off + 4 <= len;
	     off += 4 + ((alen + 3) & ~(size_t)3)) {
		type = get16(msg + off);
		alen = get16(msg + off + 2);
		if (off + 4 + alen > len)
			return -1; /* an attribute past the end */
		if (type == STUN_XOR_MAPPED_ADDRESS)
			/* It wins over MAPPED-ADDRESS wherever it is. */
			return stun_read_address(msg + off + 4, alen, msg, true,
						 mapped)
				       ? -1
				       : (memcpy(txid, msg + 8, 12), 0);
		if (type == STUN_MAPPED_ADDRESS && found < 0)
			found = stun_read_address(msg + off + 4, alen, msg,
						  false, mapped);
	}
	if (found == 0)
		memcpy(txid, msg + 8, 12);
	return found;
}

/* ---------------------------------------------------------------------- */
/* Binding responses on the SIP sockets (OB-3)                             */

static trunk_stun_response_h *stun_watcher;
static pthread_t stun_watch_thread;
static _Thread_local int stun_recv_fd = -1;
/* The kernel's receive time of the data of the last stream read (valid
 * false: none, e.g. the connection's first read). */
static _Thread_local struct {
	bool valid;
	struct timespec ts;
} stun_stream_stamp;
static issize_t (*real_su_vrecv)(su_socket_t, su_iovec_t[], isize_t, int,
				 su_sockaddr_t *, socklen_t *);

/*
 * A stream read (Sofia's TCP transport passes no address): the same
 * recvmsg() as Sofia's own su_vrecv(), plus the time stamp of the data
 * read, so that the overload detector (admission.c) sees how long a TCP
 * request waited in the kernel, as it does for UDP. Linux gives a TCP
 * read the receive time of its last segment once the socket asked for
 * stamps (SO_TIMESTAMPNS): a read without one (a connection's first)
 * asks, so that the next has it.
 */
static issize_t stun_vrecv_stream(su_socket_t s, su_iovec_t iov[], isize_t len,
				  int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov,
			     .msg_iovlen = (size_t)len,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n;
	int one = 1;

	do /* as Sofia's: a signal is no error */
		n = recvmsg(s, &mh, flags);
	while (n < 0 && errno == EINTR);
	stun_stream_stamp.valid = false;
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&stun_stream_stamp.ts, CMSG_DATA(c),
			       sizeof(struct timespec));
			stun_stream_stamp.valid = true;
		}
	if (!stun_stream_stamp.valid)
		(void)setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one,
				 sizeof(one));
	return n;
}

issize_t su_vrecv(su_socket_t s, su_iovec_t iov[], isize_t len, int flags,
		  su_sockaddr_t *su, socklen_t *sulen)
{
	uint8_t head[576]; /* RFC 5389 7.1: at most 576 over UDP */
	issize_t n;
	size_t got = 0, k;
	isize_t i;

	if (!real_su_vrecv)
		*(void **)&real_su_vrecv = dlsym(RTLD_NEXT, "su_vrecv");
	if (!real_su_vrecv) {
		errno = ENOSYS;
		return -1;
	}
	if (!su) { /* a stream: no STUN here */
		n = stun_vrecv_stream(s, iov, len, flags);
		stun_recv_fd = n >= 0 ? -1 : stun_recv_fd;
		return n;
	}
	stun_stream_stamp.valid = false;
	n = trunk_sofia_udp_take(s, iov, len, su, sulen); /* read ahead */
	if (n == -2)
		n = real_su_vrecv(s, iov, len, flags, su, sulen);
	if (n >= 0)
		stun_recv_fd = s;
	/* Only Binding success responses (0x0101 + the cookie), only on the
	 * thread the watcher lives on: everything else passes untouched. */
	if (n < TRUNK_STUN_HEADER || !stun_watcher || len < 1 ||
	    iov[0].siv_len < 2 || ((uint8_t *)iov[0].siv_base)[0] != 0x01 ||
	    ((uint8_t *)iov[0].siv_base)[1] != 0x01 ||
	    !pthread_equal(pthread_self(), stun_watch_thread))
		return n;
	for (i = 0; i < len && got < (size_t)n && got < sizeof(head); i++) {
		k = iov[i].siv_len;
		if (k > (size_t)n - got)
			k = (size_t)n - got;
		if (k > sizeof(head) - got)
			k = sizeof(head) - got;
		memcpy(head + got, iov[i].siv_base, k);
		got += k;
	}
	stun_watcher(head, got, su ? &su->su_sa : NULL);
	return n;
}

int trunk_stun_last_recv_fd(void)
{
	return stun_recv_fd;
}

bool trunk_stun_last_stream_stamp(struct timespec *ts)
{
	if (!stun_stream_stamp.valid)
		return false;
	*ts = stun_stream_stamp.ts;
	return true;
}

bool trunk_stun_watch_responses(trunk_stun_response_h *h)
{
	stun_watcher = h;
	stun_watch_thread = pthread_self();
	return dlsym(RTLD_DEFAULT, "su_vrecv") == (void *)su_vrecv;
}

/* ---------------------------------------------------------------------- */
/* The Sofia plug-in: stateless, one static object                         */

struct trunk_stun_server {
	unsigned long answered;
};

static struct trunk_stun_server stun_server;

static struct trunk_stun_server *stun_create(su_root_t *root,
					     tagi_t const *tags)
{
	(void)root;
	(void)tags;
	return &stun_server;
}

static void stun_destroy(struct trunk_stun_server *s)
{
	(void)s;
}

static int stun_socket(struct trunk_stun_server *s, su_socket_t fd)
{
	(void)s;
	(void)fd;
	return 0;
}

static void stun_request(struct trunk_stun_server *s, su_socket_t fd, void *msg,
			 ssize_t len, void *addr, socklen_t alen)
{
	uint8_t out[TRUNK_STUN_HEADER + 24];
	size_t n;

	if (len <= 0 || alen < (socklen_t)sizeof(struct sockaddr_in))
		return;
	n = trunk_stun_binding_answer(msg, (size_t)len, addr, out, sizeof(out));
	if (!n) {
		LOGD(SUBSYS, NULL,
		     "ignored a STUN message that is not a "
		     "Binding request");
		return;
	}
	if (sendto(fd, out, n, MSG_DONTWAIT | MSG_NOSIGNAL, addr, alen) ==
	    (ssize_t)n)
		s->answered++;
}

/* Sofia's tport_plug_in_stun_server() refuses a vtable whose vst_size is
 * not larger than the struct (an off-by-one in 1.12/1.13): say one more. */
static const tport_stun_server_vtable_t stun_vtable = {
	.vst_size = sizeof(tport_stun_server_vtable_t) + 1,
	.vst_create = stun_create,
	.vst_destroy = stun_destroy,
	.vst_add_socket = stun_socket,
	.vst_remove_socket = stun_socket,
	.vst_request = stun_request,
};

int trunk_stun_server_install(void)
{
	static bool installed;

	if (installed)
		return 0;
	if (tport_plug_in_stun_server(&stun_vtable) < 0) {
		LOGW(SUBSYS, NULL,
		     "cannot plug in the STUN server (%s): STUN Binding "
		     "requests get Sofia's RFC 3489 answers",
		     strerror(errno));
		return errno ? errno : EEXIST;
	}
	installed = true;
	return 0;
}
