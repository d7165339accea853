/*
 * trunk/sofia_udp.c: Sofia's UDP receive without ioctl(FIONREAD) and its
 * send without getsockopt(SO_ERROR), on real loopback sockets (linked
 * like trunkd, so the definitions are the ones libsofia-sip-ua calls).
 */
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unit_test.h"
#include "trunk/gateway.h"

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

static const struct unit_case cases[] = {
	{ "recv_reads_once", recv_reads_once },
	{ "send_after_icmp_error", send_after_icmp_error },
};

UNIT_MAIN(cases)
