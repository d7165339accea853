/*
 * RTP forwarded in the kernel ([media] kernel_forwarding, docs/media.md):
 * which directions of a session the tc program (kfwd.bpf.c) may carry,
 * the map entries that say so, and what the kernel forwarded, brought
 * back into the session's counters and RTP timeout. Media thread only,
 * like the latches and SDP state it reads.
 *
 * A direction (from leg X to leg Y) is the kernel's while relay.c would
 * send every RTP packet of X's latched peer, unchanged, to Y's latched
 * peer: both legs' RTP latched, Y's peer receives (not on hold), both
 * legs' sockets on IPv4 addresses of interfaces the program is attached
 * to. Every change of any of that (new SDP, direction, a latch or
 * re-latch, the session's end) removes the session's entries first and
 * installs what still holds: an entry never outlives the state it was
 * made from, so a pair back in the pool has none. RTCP, IPv6 and
 * whatever the program does not forward reach the sockets as before.
 */
#include <errno.h>
#include <string.h>

#include "media_private.h"

#define SUB "media.kfwd"

static const char *const leg_names[] = { "A", "B" };

bool media_fwd_plan(const struct media_session *s, enum media_leg from,
		    const struct media_fwd_side side[MEDIA_SIDES],
		    struct media_kfwd_key *key, struct media_kfwd_val *val)
{
	const struct media_endpoint *x = &s->ep[from], *y = &s->ep[!from];
	const struct media_engine *e = s->engine;
	const struct media_latch *lx = &x->latch[MEDIA_SOCK_RTP];
	const struct media_latch *ly = &y->latch[MEDIA_SOCK_RTP];
	const union media_addr *bx = &e->bind[x->side], *by = &e->bind[y->side];

	if (!lx->latched || !ly->latched || !y->may_send || !x->slot ||
	    !y->slot || !side[x->side].ifindex || !side[y->side].ifindex)
		return false;
	if (bx->sa.sa_family != AF_INET || by->sa.sa_family != AF_INET ||
	    lx->src.sa.sa_family != AF_INET ||
	    ly->src.sa.sa_family != AF_INET || media_addr_is_any(bx) ||
	    media_addr_is_any(by))
		return false;
	memset(key, 0, sizeof(*key));
	memset(val, 0, sizeof(*val));
	key->addr = bx->in.sin_addr.s_addr;
	key->port = htons(x->port);
	val->peer_addr = lx->src.in.sin_addr.s_addr;
	val->peer_port = lx->src.in.sin_port;
	val->src_addr = by->in.sin_addr.s_addr;
	val->src_port = htons(y->port);
	val->dst_addr = ly->src.in.sin_addr.s_addr;
	val->dst_port = ly->src.in.sin_port;
	val->ifindex = side[y->side].ifindex;
	if (side[y->side].loopback)
		val->flags = MEDIA_KFWD_F_LOOPBACK;
	else if ((val->dst_addr & side[y->side].mask) == side[y->side].net)
		val->flags = MEDIA_KFWD_F_ONLINK;
	val->pt_mask[0] = x->pt_mask[0];
	val->pt_mask[1] = x->pt_mask[1];
	return true;
}

/* What the kernel forwarded from ep's peer since the last look (total:
 * the entry's counters now), as if the relay had: ep's RTP in, the other
 * leg's RTP out, and activity for the RTP timeout at the time of the last
 * packet (CLOCK_MONOTONIC, as media_now_ms(); not after now_ms, which the
 * coarse clock may trail). */
static void media_fwd_account(struct media_thread *t, struct media_endpoint *ep,
			      const struct media_kfwd_val *total)
{
	struct media_endpoint *peer = &ep->session->ep[!ep->leg];
	uint64_t n = total->packets - ep->kfwd_packets;
	uint64_t bytes = total->bytes - ep->kfwd_bytes;
	uint64_t last_ms = total->last_ns / 1000000;

	if (!n)
		return;
	ep->kfwd_packets = total->packets;
	ep->kfwd_bytes = total->bytes;
	MEDIA_ADD(&ep->stats, rtp_in_packets, n);
	MEDIA_ADD(&ep->stats, rtp_in_bytes, bytes);
	MEDIA_ADD(&ep->stats, kfwd_packets, n);
	MEDIA_ADD(&peer->stats, rtp_out_packets, n);
	MEDIA_ADD(&peer->stats, rtp_out_bytes, bytes);
	atomic_fetch_add_explicit(&t->engine->kfwd_packets, n,
				  memory_order_relaxed);
	if (last_ms > t->now_ms)
		last_ms = t->now_ms;
	if (last_ms > ep->last_rx_ms)
		ep->last_rx_ms = last_ms;
	ep->timeout_sent = false; /* re-armed, as by a relayed batch */
	/* The latched source sent: a candidate's run is broken (relay.c). */
	ep->latch[MEDIA_SOCK_RTP].candidate_n = 0;
}

static void media_fwd_key(const struct media_endpoint *ep,
			  struct media_kfwd_key *key)
{
	memset(key, 0, sizeof(*key));
	key->addr = ep->session->engine->bind[ep->side].in.sin_addr.s_addr;
	key->port = htons(ep->port);
}

/* Read ep's entry's counters into the session. */
void media_fwd_read(struct media_thread *t, struct media_endpoint *ep)
{
	struct media_kfwd_key key;
	struct media_kfwd_val val;

	media_fwd_key(ep, &key);
	if (!media_kfwd_get(t->engine->kfwd, &key, &val))
		media_fwd_account(t, ep, &val);
}

void media_fwd_remove(struct media_thread *t, struct media_session *s)
{
	struct media_engine *e = t->engine;
	struct media_endpoint *ep;
	struct media_kfwd_key key;
	int leg, err;

	for (leg = 0; leg < 2; leg++) {
		ep = &s->ep[leg];
		if (!ep->kfwd_on)
			continue;
		media_fwd_key(ep, &key);
		/* Counted up to its removal (a packet between the read and
		 * the removal is relayed, uncounted: a few at most). */
		media_fwd_read(t, ep);
		err = media_kfwd_del(e->kfwd, &key);
		if (err && err != ENOENT)
			LOGE(SUB, s->ctx, "leg %s: removing the entry: %s",
			     leg_names[leg], strerror(err));
		ep->kfwd_on = false;
		atomic_fetch_sub_explicit(&e->kfwd_entries, 1,
					  memory_order_relaxed);
		LOGD(SUB, s->ctx, "leg %s: RTP back to the relay",
		     leg_names[leg]);
	}
}

void media_fwd_session(struct media_thread *t, struct media_session *s)
{
	struct media_engine *e = t->engine;
	struct media_endpoint *ep;
	struct media_kfwd_key key;
	struct media_kfwd_val val;
	int leg, err;

	if (!e->kfwd)
		return;
	media_fwd_remove(t, s);
	if (!s->live)
		return;
	for (leg = 0; leg < 2; leg++) {
		ep = &s->ep[leg];
		if (!media_fwd_plan(s, (enum media_leg)leg, e->kfwd_side, &key,
				    &val))
			continue;
		err = media_kfwd_put(e->kfwd, &key, &val);
		if (err) { /* the map is full: the relay carries it */
			LOGW(SUB, s->ctx, "leg %s: no kernel entry: %s",
			     leg_names[leg], strerror(err));
			continue;
		}
		ep->kfwd_on = true;
		ep->kfwd_packets = ep->kfwd_bytes = 0;
		atomic_fetch_add_explicit(&e->kfwd_entries, 1,
					  memory_order_relaxed);
		LOGD(SUB, s->ctx, "leg %s: RTP forwarded in the kernel",
		     leg_names[leg]);
	}
}

void media_fwd_poll(struct media_thread *t)
{
	struct media_session *s;
	int leg;

	if (!t->engine->kfwd)
		return;
	for (s = t->sessions; s; s = s->next)
		for (leg = 0; leg < 2; leg++)
			if (s->ep[leg].kfwd_on)
				media_fwd_read(t, &s->ep[leg]);
}
