/*
 * trunk/sofia_udp.c: Sofia's UDP receive without ioctl(FIONREAD) and its
 * send without getsockopt(SO_ERROR), on real loopback sockets (linked
 * like trunkd, so the definitions are the ones libsofia-sip-ua calls).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unit_test.h"
#include "trunk/gateway.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>

/* A UDP socket bound to 127.0.0.1, any port; *a gets its address. */
static int udp_bound(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0)
		return -1;
	return fd;
}

static int to(int fd, const struct sockaddr_in *a, const char *s)
{
	return (int)sendto(fd, s, strlen(s), 0, (const struct sockaddr *)a,
			   sizeof(*a));
}

/* Wait (bounded, 2 s) until fd has what events asks. */
static bool ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 2000) == 1 && (p.revents & events);
}

/* In the receive scope su_getmsgsize() reads the datagram once (asking
 * again gives the same size, nothing more is read), su_vrecv() gets it
 * with its sender and (from the socket's second on) its receive time,
 * across two buffers; a zero-length datagram is read past; an empty
 * socket gives a size, then EAGAIN from su_vrecv(). Outside it, Sofia's own ioctl leaves
 * the datagram where it is. */
static int recv_reads_once(void)
{
	struct sockaddr_in a, b;
	su_sockaddr_t from;
	socklen_t fromlen = sizeof(from);
	char x[3] = "", y[16] = "";
	su_iovec_t iov[2] = { { .siv_base = x, .siv_len = sizeof(x) },
			      { .siv_base = y, .siv_len = sizeof(y) } };
	int ra = udp_bound(&a), sb = udp_bound(&b);
	struct timespec ts, now;

	CHECK(trunk_sofia_udp_check());
	CHECK(ra >= 0 && sb >= 0);
	CHECK(to(sb, &a, "hello") == 5);
	CHECK(sendto(sb, "", 0, 0, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(to(sb, &a, "world!") == 6);
	CHECK(ready(ra, POLLIN));

	trunk_sofia_udp_scope(TRUNK_UDP_RECV);
	CHECK(su_getmsgsize(ra) == 5);
	CHECK(su_getmsgsize(ra) == 5);
	CHECK(su_vrecv(ra, iov, 2, 0, &from, &fromlen) == 5);
	CHECK(memcmp(x, "hel", 3) == 0 && memcmp(y, "lo", 2) == 0);
	CHECK(fromlen == sizeof(struct sockaddr_in));
	CHECK(from.su_sin.sin_port == b.sin_port &&
	      from.su_sin.sin_addr.s_addr == b.sin_addr.s_addr);
	/* A socket's first datagram has no receive time (it turns the
	 * stamps on for the next). */
	CHECK(!trunk_sofia_udp_stamp(ra, &ts));
	trunk_sofia_udp_scope(0);

	trunk_sofia_udp_scope(TRUNK_UDP_RECV);
	CHECK(su_getmsgsize(ra) == 6); /* the empty one read past */
	memset(y, 0, sizeof(y));
	CHECK(su_vrecv(ra, iov, 2, 0, &from, &fromlen) == 6);
	CHECK(memcmp(x, "wor", 3) == 0 && strcmp(y, "ld!") == 0);
	clock_gettime(CLOCK_REALTIME, &now);
	CHECK(trunk_sofia_udp_stamp(ra, &ts) &&
	      !trunk_sofia_udp_stamp(sb, &ts));
	CHECK(ts.tv_sec <= now.tv_sec && ts.tv_sec >= now.tv_sec - 10);
	/* Nothing left: a size, then EAGAIN from su_vrecv() (Sofia logs
	 * a failed su_getmsgsize() at its level 1, not a blocking read). */
	errno = 0;
	CHECK(su_getmsgsize(ra) == 1);
	CHECK(su_vrecv(ra, iov, 2, 0, &from, &fromlen) == -1 &&
	      errno == EAGAIN);
	trunk_sofia_udp_scope(0);

	/* Only a datagram of no bytes queued: the same. */
	CHECK(sendto(sb, "", 0, 0, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(ready(ra, POLLIN));
	trunk_sofia_udp_scope(TRUNK_UDP_RECV);
	CHECK(su_getmsgsize(ra) == 1);
	errno = 0;
	CHECK(su_vrecv(ra, iov, 2, 0, &from, &fromlen) == -1 &&
	      errno == EAGAIN);
	trunk_sofia_udp_scope(0);

	/* Not taken in the scope: dropped when it ends. */
	CHECK(to(sb, &a, "lost") == 4);
	CHECK(ready(ra, POLLIN));
	trunk_sofia_udp_scope(TRUNK_UDP_RECV);
	CHECK(su_getmsgsize(ra) == 4);
	trunk_sofia_udp_scope(0);
	trunk_sofia_udp_scope(TRUNK_UDP_RECV);
	CHECK(su_getmsgsize(ra) == 1);
	CHECK(su_vrecv(ra, iov, 2, 0, &from, &fromlen) == -1 &&
	      errno == EAGAIN);
	trunk_sofia_udp_scope(0);

	/* Outside: Sofia's FIONREAD, the datagram stays. */
	CHECK(to(sb, &a, "abc") == 3);
	CHECK(ready(ra, POLLIN));
	CHECK(su_getmsgsize(ra) == 3);
	CHECK(recv(ra, y, sizeof(y), 0) == 3);
	close(ra);
	close(sb);
	return 0;
}

/* An ICMP port unreachable left on a socket (IP_RECVERR, as Sofia sets
 * it) fails the next send: Sofia's su_soerror() before each send cleared
 * it. In the send scope su_soerror() does nothing and su_vsend() sends
 * again after the failure: the datagram goes out. */
static int send_after_icmp_error(void)
{
	struct sockaddr_in a, b, gone;
	su_iovec_t iov = { .siv_base = "x", .siv_len = 1 };
	int sa = udp_bound(&a), rb = udp_bound(&b), g = udp_bound(&gone);
	int on = 1;
	char buf[8];

	CHECK(sa >= 0 && rb >= 0 && g >= 0);
	close(g); /* nothing listens on gone's port any more */
	CHECK(setsockopt(sa, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) == 0);

	/* Sofia's own (outside the scope), without su_soerror(): fails. */
	CHECK(to(sa, &gone, "?") == 1);
	CHECK(ready(sa, POLLERR));
	errno = 0;
	CHECK(su_vsend(sa, &iov, 1, MSG_NOSIGNAL, (su_sockaddr_t *)&b,
		       sizeof(b)) == -1);
	CHECK(errno == ECONNREFUSED);
	CHECK(recv(rb, buf, sizeof(buf), MSG_DONTWAIT) < 0); /* none sent */

	/* In the scope: sent. */
	CHECK(to(sa, &gone, "?") == 1);
	CHECK(ready(sa, POLLERR));
	trunk_sofia_udp_scope(TRUNK_UDP_SEND);
	CHECK(su_soerror(sa) == 0);
	CHECK(su_vsend(sa, &iov, 1, MSG_NOSIGNAL, (su_sockaddr_t *)&b,
		       sizeof(b)) == 1);
	trunk_sofia_udp_scope(0);
	CHECK(ready(rb, POLLIN));
	CHECK(recv(rb, buf, sizeof(buf), 0) == 1 && buf[0] == 'x');
	close(sa);
	close(rb);
	return 0;
}

/* What the agent of batch_reads saw. */
static struct {
	int fd;		       /* its UDP socket */
	unsigned seen;	       /* requests so far */
	unsigned cseq[16];     /* their CSeq numbers, in order */
	bool stamped[16];      /* each had its receive time */
	unsigned timer_before; /* requests before the 0 ms timer ran */
	su_timer_t *timer;
} b;

static void batch_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	b.timer_before = b.seen;
}

static int batch_request(nta_leg_magic_t *m, nta_leg_t *leg,
			 nta_incoming_t *irq, sip_t const *sip)
{
	struct timespec ts;

	(void)m;
	(void)leg;
	(void)irq;
	if (b.seen < 16) {
		b.cseq[b.seen] = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
		b.stamped[b.seen] = trunk_sofia_udp_stamp(b.fd, &ts);
	}
	/* The first of a batch arms a 0 ms timer: it runs before the next
	 * datagram of the batch, as between two callbacks. */
	if (b.seen++ == 1)
		su_timer_set_interval(b.timer, batch_timer, NULL, 0);
	return 200;
}

static unsigned via; /* the sender's port */

static int options(int fd, const struct sockaddr_in *a, unsigned cseq,
		   size_t body)
{
	static char m[61000];
	int n = snprintf(m, sizeof(m),
			 "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-b%u\r\n"
			 "From: <sip:t@127.0.0.1>;tag=b\r\n"
			 "To: <sip:x@127.0.0.1>\r\n"
			 "Call-ID: batch-%u\r\nCSeq: %u OPTIONS\r\n"
			 "Max-Forwards: 70\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 via, cseq, cseq, cseq, body);

	memset(m + n, 'x', body);
	return sendto(fd, m, (size_t)n + body, 0, (const struct sockaddr *)a,
		      sizeof(*a)) == (ssize_t)((size_t)n + body)
		       ? 0
		       : -1;
}

/* The CSeq numbers of the responses waiting on fd, in order, into
 * got[] (at most max); how many. */
static unsigned responses(int fd, unsigned *got, unsigned max)
{
	static char m[2048];
	unsigned n = 0;
	ssize_t k;
	char *c;

	while ((k = recv(fd, m, sizeof(m) - 1, MSG_DONTWAIT)) > 0) {
		m[k] = 0;
		c = strstr(m, "\r\nCSeq: ");
		if (n < max)
			got[n] = c ? (unsigned)atoi(c + 8) : 0;
		n++;
	}
	return n;
}

/* A real nta agent on 127.0.0.1 with 14 datagrams queued: OPTIONS 1-8
 * (the third of 60 KB), a datagram of no bytes, a STUN Binding success
 * response, OPTIONS 9-12. One reactor step reads 8 (one recvmmsg) and
 * answers OPTIONS 1-8 in order, each with its receive time, running the
 * due timers between two; the next answers 9-12 (the empty datagram and
 * the STUN response dropped, as Sofia does). */
/* OPTIONS 1-8 (the third of 60 KB), a datagram of no bytes, a STUN
 * Binding success response, OPTIONS 9-12, from fd to a. */
static int batch_send(int fd, const struct sockaddr_in *a)
{
	static const unsigned char stun[20] = { 0x01, 0x01, 0,	  0,  0x21,
						0x12, 0xa4, 0x42, 1,  2,
						3,    4,    5,	  6,  7,
						8,    9,    10,	  11, 12 };
	unsigned i;

	for (i = 1; i <= 8; i++)
		CHECK(options(fd, a, i, i == 3 ? 60000 : 0) == 0);
	CHECK(sendto(fd, "", 0, 0, (const struct sockaddr *)a, sizeof(*a)) ==
	      0);
	CHECK(sendto(fd, stun, sizeof(stun), 0, (const struct sockaddr *)a,
		     sizeof(*a)) == sizeof(stun));
	for (i = 9; i <= 12; i++)
		CHECK(options(fd, a, i, 0) == 0);
	return 0;
}

/* The UDP socket of this process bound to port (network order), -1. */
static int udp_fd_bound_to(in_port_t port)
{
	struct sockaddr_in x;
	socklen_t len;
	int fd, type;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(x);
		if (getsockname(fd, (struct sockaddr *)&x, &len) == 0 &&
		    x.sin_family == AF_INET && x.sin_port == port) {
			len = sizeof(type);
			if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ==
				    0 &&
			    type == SOCK_DGRAM)
				return fd;
		}
	}
	return -1;
}

/* The address of agent's UDP transport on 127.0.0.1 into *a; its
 * socket (this process's descriptor), -1 if none. */
static int agent_udp(nta_agent_t *agent, struct sockaddr_in *a)
{
	tport_t *tp;
	unsigned port = 0;

	for (tp = tport_primaries(nta_agent_tports(agent)); tp;
	     tp = tport_next(tp))
		if (!strcasecmp(tport_name(tp)->tpn_proto, "udp"))
			port = (unsigned)atoi(tport_name(tp)->tpn_port);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons((uint16_t)port);
	return port ? udp_fd_bound_to(a->sin_port) : -1;
}

static int batch_reads(void)
{
	struct sockaddr_in a, s;
	su_root_t *root;
	nta_agent_t *agent;
	nta_leg_t *leg;
	unsigned got[16], i;
	unsigned long long r0, d0, f0, r1, d1, f1, h0, hd0, h1, hd1;
	int sb = udp_bound(&s), rcv = 1 << 20;

	CHECK(sb >= 0);
	via = ntohs(s.sin_port);
	CHECK(setsockopt(sb, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) == 0);
	memset(&b, 0, sizeof(b));
	root = su_root_create(NULL);
	CHECK(root);
	trunk_sofia_udp_root(root);
	agent = nta_agent_create(
		root, URL_STRING_MAKE("sip:127.0.0.1:*;transport=udp"), NULL,
		NULL, TAG_END());
	CHECK(agent);
	leg = nta_leg_tcreate(agent, batch_request, NULL, NTATAG_NO_DIALOG(1),
			      TAG_END());
	CHECK(leg);
	b.timer = su_timer_create(su_root_task(root), 0);
	CHECK(b.timer);
	b.fd = agent_udp(agent, &a); /* for the receive times */
	CHECK(b.fd >= 0);

	/* A first request alone: its read turns the receive times on. */
	CHECK(options(sb, &a, 100, 0) == 0);
	CHECK(ready(b.fd, POLLIN));
	su_root_step(root, 1000);
	CHECK(ready(sb, POLLIN));
	CHECK(responses(sb, got, 16) == 1 && got[0] == 100);
	CHECK(b.seen == 1);

	trunk_sofia_udp_stats(&r0, &d0, &f0);
	trunk_sofia_udp_send_stats(&h0, &hd0);
	b.seen = 0;
	CHECK(batch_send(sb, &a) == 0);
	CHECK(ready(b.fd, POLLIN));

	su_root_step(root, 1000);
	CHECK(ready(sb, POLLIN));
	CHECK(responses(sb, got, 16) == 8);
	CHECK(b.seen == 8);
	for (i = 0; i < 8; i++)
		CHECK(got[i] == i + 1 && b.cseq[i] == i + 1 && b.stamped[i]);
	CHECK(b.timer_before == 2); /* between the 2nd and the 3rd */
	trunk_sofia_udp_stats(&r1, &d1, &f1);
	CHECK(r1 == r0 + 1 && d1 == d0 + 8 && f1 == f0 + 1);
	/* The answers to 1-7 were held while more of the batch waited and
	 * went out with one sendmmsg() before the 8th's, sent at once. */
	trunk_sofia_udp_send_stats(&h1, &hd1);
	CHECK(h1 == h0 + 1 && hd1 == hd0 + 7);

	su_root_step(root, 1000);
	CHECK(ready(sb, POLLIN));
	CHECK(responses(sb, got, 16) == 4);
	CHECK(b.seen == 12);
	for (i = 0; i < 4; i++)
		CHECK(got[i] == i + 9 && b.cseq[i + 8] == i + 9 &&
		      b.stamped[i + 8]);
	trunk_sofia_udp_stats(&r0, &d0, &f0);
	/* 6 read: the empty one read past, the STUN response dropped. */
	CHECK(r0 == r1 + 1 && d0 == d1 + 5 && f0 == f1);
	trunk_sofia_udp_send_stats(&h0, &hd0);
	CHECK(h0 == h1 + 1 && hd0 == hd1 + 3); /* 9-11 held */

	su_timer_destroy(b.timer);
	nta_leg_destroy(leg);
	nta_agent_destroy(agent);
	trunk_sofia_udp_root(NULL);
	su_root_destroy(root);
	close(sb);
	return 0;
}

/* What the two agents of batch_yield saw. */
static struct {
	su_root_t *root;
	su_timer_t *timer;
	unsigned seen[2]; /* requests each agent got */
	unsigned yields;  /* the timer's runs of the reactor */
	unsigned before;  /* agent 1's requests when the timer ran */
} y;

/* As nta's timer after 5 retransmissions: the reactor run from a timer,
 * here between two datagrams of a batch. */
static void yield_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	y.yields++;
	y.before = y.seen[1];
	su_root_yield(y.root);
}

static int yield_request(nta_leg_magic_t *m, nta_leg_t *leg,
			 nta_incoming_t *irq, sip_t const *sip)
{
	unsigned i = (unsigned)(uintptr_t)m;

	(void)leg;
	(void)irq;
	(void)sip;
	/* The first of agent 0's batch arms the timer: it runs before the
	 * batch's second datagram, while agent 1's socket is readable. */
	if (y.seen[i]++ == 0 && i == 0)
		su_timer_set_interval(y.timer, yield_timer, NULL, 0);
	return 200;
}

/* Two agents on one reactor, three OPTIONS queued on the first one's
 * socket and two on the second's; a timer that runs between the first
 * batch's datagrams runs the reactor (su_root_yield(), as nta's timer
 * does every 5 retransmissions), which then wakes for the second socket.
 * Nothing is lost: that wake-up reads nothing during the batch, the
 * second socket is read after it, and all five get their 200 (the read
 * in the middle of the batch took the ring and lost three).
 * REQ: SC-6-1 */
static int batch_yield(void)
{
	struct sockaddr_in a[2], s;
	nta_agent_t *agent[2];
	nta_leg_t *leg[2];
	unsigned got[8], n = 0, i, steps;
	int sb = udp_bound(&s), fd[2];

	CHECK(sb >= 0);
	via = ntohs(s.sin_port);
	memset(&y, 0, sizeof(y));
	y.root = su_root_create(NULL);
	CHECK(y.root);
	trunk_sofia_udp_root(y.root);
	for (i = 0; i < 2; i++) {
		agent[i] = nta_agent_create(
			y.root,
			URL_STRING_MAKE("sip:127.0.0.1:*;transport=udp"), NULL,
			NULL, TAG_END());
		CHECK(agent[i]);
		leg[i] = nta_leg_tcreate(agent[i], yield_request,
					 (nta_leg_magic_t *)(uintptr_t)i,
					 NTATAG_NO_DIALOG(1), TAG_END());
		CHECK(leg[i]);
		fd[i] = agent_udp(agent[i], &a[i]);
		CHECK(fd[i] >= 0);
	}
	y.timer = su_timer_create(su_root_task(y.root), 0);
	CHECK(y.timer);

	for (i = 1; i <= 3; i++)
		CHECK(options(sb, &a[0], i, 0) == 0);
	for (i = 4; i <= 5; i++)
		CHECK(options(sb, &a[1], i, 0) == 0);
	CHECK(ready(fd[0], POLLIN) && ready(fd[1], POLLIN));
	/* One reactor step wakes for both sockets (in either order); the
	 * second socket, if skipped in the batch, at the next. */
	for (steps = 0; steps < 4 && y.seen[0] + y.seen[1] < 5; steps++)
		su_root_step(y.root, 100);
	/* The timer ran in agent 0's batch, agent 1's datagrams waiting
	 * (epoll reports the sockets in the order their data came). */
	CHECK(y.yields == 1 && y.before == 0);
	CHECK(y.seen[0] == 3 && y.seen[1] == 2);
	while (n < 5 && ready(sb, POLLIN))
		n += responses(sb, got + n, 8 - n);
	CHECK(n == 5);

	su_timer_destroy(y.timer);
	for (i = 0; i < 2; i++) {
		nta_leg_destroy(leg[i]);
		nta_agent_destroy(agent[i]);
	}
	trunk_sofia_udp_root(NULL);
	su_root_destroy(y.root);
	close(sb);
	return 0;
}

/* What the agent of held_send_error saw. */
static struct {
	nta_agent_t *agent;
	nta_outgoing_t *orq[4];
	unsigned n;    /* requests sent toward the broadcast address */
	int status[4]; /* final status of each, 0: none yet */
	unsigned seen; /* requests received */
} e;

static int held_answer(nta_outgoing_magic_t *m, nta_outgoing_t *orq,
		       sip_t const *sip)
{
	unsigned i = (unsigned)(uintptr_t)m;

	(void)orq;
	if (i < 4 && sip && sip->sip_status &&
	    sip->sip_status->st_status >= 200)
		e.status[i] = sip->sip_status->st_status;
	else if (i < 4 && !sip)
		e.status[i] = -1;
	return 0;
}

/* Each odd CSeq sends an OPTIONS to 127.255.255.255 (the loopback
 * network's broadcast address: the kernel refuses a datagram to it
 * without SO_BROADCAST, EACCES, and nothing leaves). */
static int held_request(nta_leg_magic_t *m, nta_leg_t *leg, nta_incoming_t *irq,
			sip_t const *sip)
{
	(void)m;
	(void)irq;
	e.seen++;
	if (sip->sip_cseq && sip->sip_cseq->cs_seq % 2 && e.n < 4) {
		e.orq[e.n] = nta_outgoing_tcreate(
			leg, held_answer,
			(nta_outgoing_magic_t *)(uintptr_t)e.n, NULL,
			SIP_METHOD_OPTIONS,
			URL_STRING_MAKE("sip:x@127.255.255.255:5060"),
			SIPTAG_FROM_STR("<sip:t@127.0.0.1>;tag=h"),
			SIPTAG_TO_STR("<sip:x@127.255.255.255>"),
			SIPTAG_CALL_ID_STR("held-error"),
			SIPTAG_CSEQ_STR("1 OPTIONS"), TAG_END());
		e.n++;
	}
	return 200;
}

/* A request sent while more of a batch waits is held; when the kernel
 * then refuses it, nta hears of it at once (tport_error_report(), as for
 * Sofia's own failed send): the request fails with 503 in the same
 * reactor step, not after Timer F. A request sent alone (nothing held)
 * fails the same way, through Sofia's own send. */
static int held_send_error(void)
{
	struct sockaddr_in a, s;
	su_root_t *root;
	nta_leg_t *leg;
	unsigned got[8], i;
	unsigned long long h0, hd0, h1, hd1;
	int sb = udp_bound(&s), fd;

	CHECK(sb >= 0);
	via = ntohs(s.sin_port);
	memset(&e, 0, sizeof(e));
	root = su_root_create(NULL);
	CHECK(root);
	trunk_sofia_udp_root(root);
	e.agent = nta_agent_create(
		root, URL_STRING_MAKE("sip:127.0.0.1:*;transport=udp"), NULL,
		NULL, TAG_END());
	CHECK(e.agent);
	leg = nta_leg_tcreate(e.agent, held_request, NULL, NTATAG_NO_DIALOG(1),
			      TAG_END());
	CHECK(leg);
	fd = agent_udp(e.agent, &a);
	CHECK(fd >= 0);

	/* Alone: Sofia's own send fails, nta answers 503. */
	CHECK(options(sb, &a, 1, 0) == 0);
	CHECK(ready(fd, POLLIN));
	su_root_step(root, 1000);
	CHECK(e.seen == 1 && e.n == 1);
	CHECK(e.status[0] == 503);
	CHECK(ready(sb, POLLIN));
	CHECK(responses(sb, got, 8) == 1 && got[0] == 1);

	/* 3 then 4 in one batch: 3's OPTIONS and 200 are held while 4
	 * waits; the OPTIONS fails when sent, 503 before the step ends. */
	trunk_sofia_udp_send_stats(&h0, &hd0);
	CHECK(options(sb, &a, 3, 0) == 0);
	CHECK(options(sb, &a, 4, 0) == 0);
	CHECK(ready(fd, POLLIN)); /* both queued: loopback delivers at once */
	su_root_step(root, 1000);
	CHECK(e.seen == 3 && e.n == 2);
	trunk_sofia_udp_send_stats(&h1, &hd1);
	CHECK(h1 == h0 + 1 && hd1 == hd0 + 2);
	CHECK(e.status[1] == 503);
	CHECK(ready(sb, POLLIN));
	CHECK(responses(sb, got, 8) == 2 && got[0] == 3 && got[1] == 4);

	for (i = 0; i < e.n; i++)
		nta_outgoing_destroy(e.orq[i]);
	nta_leg_destroy(leg);
	nta_agent_destroy(e.agent);
	trunk_sofia_udp_root(NULL);
	su_root_destroy(root);
	close(sb);
	return 0;
}

static const struct unit_case cases[] = {
	{ "recv_reads_once", recv_reads_once },
	{ "send_after_icmp_error", send_after_icmp_error },
	{ "batch_reads", batch_reads },
	{ "batch_yield", batch_yield },
	{ "held_send_error", held_send_error },
};

UNIT_MAIN(cases)
