/*
 * The packet path: one readable socket -> recvmmsg() a batch -> check,
 * latch, pick the destination -> sendmmsg() the batch from the other
 * leg's socket of the same kind (symmetric RTP, RTP-1: we send from the
 * port the peer sends to). No lock, no allocation: the buffers are the
 * thread's, the transmit vector points into them, counters are published
 * once per batch with relaxed stores (one writer: this thread).
 *
 * Latching (docs/media.md):
 *   - unlatched: the first valid packet latches its source (RTP and RTCP
 *     apart), wherever it comes from (NAT: the SDP address is often not
 *     where packets come from); RTP's first one raises FIRST_PACKET;
 *   - latched: packets from elsewhere are dropped, unless
 *     MEDIA_RELATCH_PACKETS in a row come from one new source with none
 *     from the latched one in between: then the latch moves;
 *   - a new SDP address (media_session_set_remote) unlatches;
 *   - a pair reused within MEDIA_PAIR_REST_MS of its release: its previous
 *     peer neither latches nor re-latches (the ward, media_warded()).
 * We send to the latched source, else to the SDP address, and not at all
 * when the peer's SDP says it does not receive (HOLD-1, HOLD-2).
 *
 * RTP-2: nothing here depends on packet size or packetization time; a
 * datagram of up to MEDIA_MAX_PACKET bytes is relayed as it is.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "media_private.h"

#define SUB "media.relay"

static const char *const leg_names[] = { "A", "B" };
static const char *const kind_names[] = { "RTP", "RTCP" };

void media_relay_init(struct media_thread *t)
{
	unsigned i;

	for (i = 0; i < MEDIA_BATCH; i++) {
		t->rx_iov[i].iov_base = t->buf[i];
		t->rx_iov[i].iov_len = MEDIA_MAX_PACKET;
		t->rx[i].msg_hdr.msg_iov = &t->rx_iov[i];
		t->rx[i].msg_hdr.msg_iovlen = 1;
		t->rx[i].msg_hdr.msg_name = &t->rx_addr[i];
		t->tx[i].msg_hdr.msg_iov = &t->tx_iov[i];
		t->tx[i].msg_hdr.msg_iovlen = 1;
	}
}

/*
 * Is media expected from ep's peer, so that silence ends the call
 * (docs/media.md, "RTP timeout")? Only once the call is confirmed
 * (WATCH), and only when RFC 3264 says the peer sends for sure:
 *   - it wrote sendrecv: sendonly is a hold (RFC 3264 8.4), whose music
 *     is optional (HOLD-1); recvonly and inactive do not send;
 *   - it has an address and a port: c=0.0.0.0 is an RFC 2543 hold
 *     (HOLD-2), port 0 a refused stream;
 *   - the other leg's peer receives (we may send to it): a peer must not
 *     send to one that said sendonly or inactive, or holds with
 *     c=0.0.0.0, even if its own SDP still says sendrecv (an answer not
 *     given yet, or one that ignored the offer's direction).
 * RTCP counts as activity as RTP does (relay batch).
 */
static bool media_expects(const struct media_session *s,
			  const struct media_endpoint *ep)
{
	return s->watched && ep->has_addr && ep->dir == MEDIA_DIR_SENDRECV &&
	       s->ep[!ep->leg].may_send;
}

void media_endpoint_update(struct media_session *s, struct media_endpoint *ep,
			   bool moved, uint64_t now_ms)
{
	struct media_endpoint *e;
	bool expect;
	int leg;

	if (ep) /* has_addr is false for c=0.0.0.0 (HOLD-2) and port 0 */
		ep->may_send = ep->has_addr && (ep->dir == MEDIA_DIR_SENDRECV ||
						ep->dir == MEDIA_DIR_RECVONLY);
	for (leg = 0; leg < 2; leg++) {
		e = &s->ep[leg];
		expect = media_expects(s, e);
		/* A new period where the timeout starts to apply or the peer
		 * moved; an SDP that changes neither (a session refresh)
		 * does not reset the clock, so a dead call still ends. */
		if (expect && (!e->expect_rx || (e == ep && moved))) {
			e->last_rx_ms = now_ms;
			e->timeout_sent = false;
		}
		e->expect_rx = expect;
	}
}

/* RFC 3550 5.1: version 2, the fixed header and the CSRCs present;
 * payload types 72-76 would be RTCP (RFC 5761 4), not negotiated here. */
static bool media_rtp_valid(const unsigned char *b, unsigned len)
{
	unsigned pt;

	if (len < 12 || (b[0] & 0xc0) != 0x80 || len < 12u + 4u * (b[0] & 0x0f))
		return false;
	pt = b[1] & 0x7f;
	return pt < 72 || pt > 76;
}

/* RFC 3550 6.4: version 2, a header, a packet type of 192-223. */
static bool media_rtcp_valid(const unsigned char *b, unsigned len)
{
	return len >= 8 && (b[0] & 0xc0) == 0x80 && b[1] >= 192 && b[1] <= 223;
}

static bool media_pt_allowed(const struct media_endpoint *ep,
			     const unsigned char *b)
{
	unsigned pt = b[1] & 0x7f;

	return ep->pt_mask[pt / 64] >> (pt % 64) & 1;
}

static void media_latch(struct media_sock *sock, const union media_addr *src,
			bool relatch)
{
	struct media_endpoint *ep = sock->ep;
	struct media_latch *l = &ep->latch[sock->kind];
	struct media_session *s = ep->session;
	char buf[64];

	l->latched = true;
	l->src = *src;
	l->candidate_n = 0;
	if (config_log_enabled(SUB,
			       relatch ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG)) {
		media_addr_format(src, buf, sizeof(buf));
		config_log_write(
			SUB, relatch ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, s->ctx,
			"leg %s %s %slatched to %s", leg_names[ep->leg],
			kind_names[sock->kind], relatch ? "re-" : "", buf);
	}
	if (sock->kind == MEDIA_SOCK_RTP && !ep->heard) {
		ep->heard = true;
		ep->ev_first.src = *src;
		media_event_post(s->engine, &ep->ev_first);
	}
	/* A new RTP latch: the kernel's entries change with it. */
	if (sock->kind == MEDIA_SOCK_RTP && s->engine->kfwd)
		media_fwd_session(s->thread, s);
}

/* Is src the previous session's peer on these ports, within its ward
 * (a pair reused early, pool.c), and not this session's peer by its SDP?
 * Then it neither latches nor counts toward a re-latch. */
static bool media_warded(const struct media_thread *t,
			 const struct media_sock *sock,
			 const union media_addr *src)
{
	const struct media_endpoint *ep = sock->ep;

	if (t->now_ms >= sock->ward_until ||
	    !media_addr_equal(&sock->ward, src))
		return false;
	return !ep->has_addr ||
	       !media_addr_equal(src, media_sdp_addr(ep, sock->kind));
}

/* Is a packet from src to be relayed? Latches and re-latches. */
static bool media_accept(const struct media_thread *t, struct media_sock *sock,
			 const union media_addr *src)
{
	struct media_latch *l = &sock->ep->latch[sock->kind];

	if (l->latched && media_addr_equal(&l->src, src)) {
		l->candidate_n = 0;
		return true;
	}
	if (media_warded(t, sock, src))
		return false;
	if (!l->latched) {
		media_latch(sock, src, false);
		return true;
	}
	/* The kernel carries the latched source's packets: did it send
	 * since (that breaks the run, as above)? */
	if (sock->kind == MEDIA_SOCK_RTP && sock->ep->kfwd_on)
		media_fwd_read(sock->ep->session->thread, sock->ep);
	if (l->candidate_n && media_addr_equal(&l->candidate, src)) {
		l->candidate_n++;
	} else {
		l->candidate = *src;
		l->candidate_n = 1;
	}
	if (l->candidate_n < MEDIA_RELATCH_PACKETS)
		return false;
	media_latch(sock, src, true);
	return true;
}

/* Where packets of kind leave for peer's far end, or NULL: not at all. */
static const union media_addr *media_dest(const struct media_endpoint *peer,
					  enum media_sock_kind kind)
{
	const struct media_latch *l = &peer->latch[kind];

	if (!peer->may_send)
		return NULL;
	if (l->latched)
		return &l->src;
	return media_sdp_addr(peer, kind);
}

/* sendmmsg() the whole vector; a message the kernel refuses is skipped,
 * a full socket buffer drops the rest. Returns the packets sent. */
static unsigned media_send(int fd, struct mmsghdr *tx, unsigned k,
			   uint64_t *bytes)
{
	unsigned i = 0, sent = 0, j;
	int r;

	while (i < k) {
		r = sendmmsg(fd, tx + i, k - i, MSG_DONTWAIT);
		if (r > 0) {
			for (j = i; j < i + (unsigned)r; j++)
				*bytes += tx[j].msg_hdr.msg_iov->iov_len;
			sent += (unsigned)r;
			i += (unsigned)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			break;
		} else {
			i++; /* this one cannot be sent (EPERM, EINVAL...) */
		}
	}
	return sent;
}

/* What one batch did, published once. */
struct media_tally {
	uint64_t in, in_bytes, accepted, malformed, source, pt, hold;
	uint64_t queued, sent, sent_bytes;
};

static void media_publish(struct media_endpoint *ep,
			  struct media_endpoint *peer,
			  enum media_sock_kind kind,
			  const struct media_tally *c)
{
	struct media_stats_atomic *in = &ep->stats, *out = &peer->stats;

	if (kind == MEDIA_SOCK_RTP) {
		MEDIA_ADD(in, rtp_in_packets, c->in);
		MEDIA_ADD(in, rtp_in_bytes, c->in_bytes);
		MEDIA_ADD(out, rtp_out_packets, c->sent);
		MEDIA_ADD(out, rtp_out_bytes, c->sent_bytes);
	} else {
		MEDIA_ADD(in, rtcp_in_packets, c->in);
		MEDIA_ADD(out, rtcp_out_packets, c->sent);
	}
	if (c->malformed)
		MEDIA_ADD(in, drop_malformed, c->malformed);
	if (c->source)
		MEDIA_ADD(in, drop_source, c->source);
	if (c->pt)
		MEDIA_ADD(in, drop_pt, c->pt);
	if (c->hold)
		MEDIA_ADD(in, drop_hold, c->hold);
	if (c->queued != c->sent)
		MEDIA_ADD(in, drop_send, c->queued - c->sent);
}

/* Check one received datagram: NULL to relay it, else the drop counter
 * to count it in. */
static uint64_t *media_check(struct media_thread *t, struct media_sock *sock,
			     unsigned i, struct media_tally *c)
{
	const unsigned char *b = t->buf[i];
	unsigned len = t->rx[i].msg_len;
	bool valid;

	if (t->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
		return &c->malformed; /* over MEDIA_MAX_PACKET */
	valid = sock->kind == MEDIA_SOCK_RTP ? media_rtp_valid(b, len)
					     : media_rtcp_valid(b, len);
	if (!valid)
		return &c->malformed;
	if (sock->kind == MEDIA_SOCK_RTP && !media_pt_allowed(sock->ep, b))
		return &c->pt;
	if (!media_accept(t, sock, &t->rx_addr[i]))
		return &c->source;
	c->accepted++;
	return NULL;
}

static void media_relay_batch(struct media_thread *t, struct media_sock *sock,
			      unsigned n)
{
	struct media_endpoint *ep = sock->ep;
	struct media_endpoint *peer = &ep->session->ep[!ep->leg];
	const union media_addr *dst = media_dest(peer, sock->kind);
	struct media_tally c = { .in = n };
	uint64_t *drop;
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		c.in_bytes += t->rx[i].msg_len;
		drop = media_check(t, sock, i, &c);
		if (!drop && !dst)
			drop = &c.hold;
		if (drop) {
			(*drop)++;
			continue;
		}
		t->tx_iov[k].iov_base = t->buf[i];
		t->tx_iov[k].iov_len = t->rx[i].msg_len;
		t->tx[k].msg_hdr.msg_name = (void *)dst;
		t->tx[k].msg_hdr.msg_namelen = media_addr_len(dst);
		k++;
	}
	c.queued = k;
	if (k)
		c.sent = media_send(peer->sock[sock->kind]->fd, t->tx, k,
				    &c.sent_bytes);
	/* RTCP is activity too: a peer's stack that still sends reports
	 * (RFC 3550 6.2: also while it sends no RTP) has the session. */
	if (c.accepted) {
		ep->last_rx_ms = t->now_ms;
		ep->timeout_sent = false; /* re-armed */
	}
	media_publish(ep, peer, sock->kind, &c);
}

/* recvmmsg() up to MEDIA_BATCH datagrams: how many, or -1 (errno). */
static int media_recv(struct media_thread *t, int fd)
{
	unsigned i;

	for (i = 0; i < MEDIA_BATCH; i++)
		t->rx[i].msg_hdr.msg_namelen = sizeof(t->rx_addr[i]);
	return recvmmsg(fd, t->rx, MEDIA_BATCH, MSG_DONTWAIT, NULL);
}

/*
 * Sockets are edge-triggered (session.c): epoll reports one once per
 * arrival, not again while it stays readable, so it must be read until
 * it is empty: a batch of fewer than MEDIA_BATCH means so (recvmmsg()
 * stopped at EAGAIN). A socket still full after MEDIA_ROUNDS batches
 * (a flood) yields to the others: re-armed with EPOLL_CTL_MOD, which
 * puts it back in the ready list, so it is reported again at the next
 * epoll_wait(). Level-triggered epoll polled every socket it reported a
 * second time, at the next epoll_wait(), only to find it empty.
 */
static void media_read_rest(struct media_thread *t, struct media_sock *sock)
{
	struct epoll_event ev = { .events = MEDIA_SOCK_EVENTS,
				  .data.ptr = sock };

	if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, sock->fd, &ev))
		LOGE(SUB, NULL, "epoll_ctl(MOD): %s", strerror(errno));
}

void media_relay_readable(struct media_thread *t, struct media_sock *sock)
{
	unsigned round;
	int n;

	for (round = 0; round < MEDIA_ROUNDS; round++) {
		n = media_recv(t, sock->fd);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			continue; /* an error, reported once: read on */
		if (n <= 0)
			return; /* empty */
		media_relay_batch(t, sock, (unsigned)n);
		if (n < MEDIA_BATCH)
			return; /* empty */
	}
	media_read_rest(t, sock);
}

void media_relay_drain(struct media_thread *t, struct media_sock *sock)
{
	unsigned round, dropped = 0;
	int n;

	/* Bounded like a relay: the rest of a flood comes back later. */
	for (round = 0; round < MEDIA_ROUNDS; round++) {
		n = media_recv(t, sock->fd);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			continue;
		if (n <= 0)
			break;
		dropped += (unsigned)n;
		if (n < MEDIA_BATCH)
			break;
	}
	if (round == MEDIA_ROUNDS)
		media_read_rest(t, sock);
	if (!dropped)
		return;
	atomic_fetch_add_explicit(&t->engine->stray_drops, dropped,
				  memory_order_relaxed);
	LOGD(SUB, NULL, "%u stray datagrams dropped on an idle %s socket",
	     dropped, kind_names[sock->kind]);
}

void media_relay_timeouts(struct media_thread *t)
{
	unsigned timeout = t->engine->rtp_timeout_ms;
	struct media_session *s;
	struct media_endpoint *ep;
	int leg;

	for (s = t->sessions; s; s = s->next) {
		for (leg = 0; leg < 2; leg++) {
			ep = &s->ep[leg];
			if (!ep->expect_rx || ep->timeout_sent ||
			    t->now_ms - ep->last_rx_ms < timeout)
				continue;
			ep->timeout_sent = true;
			LOGI(SUB, s->ctx, "leg %s: no RTP or RTCP for %u ms",
			     leg_names[leg], timeout);
			media_event_post(s->engine, &ep->ev_timeout);
		}
	}
}
