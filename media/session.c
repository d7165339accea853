/*
 * Media sessions: the signalling thread's calls (alloc, set_remote,
 * free, stats) and the commands they become on the session's media
 * thread.
 *
 *   session life (one owner at a time for each field, media_private.h)
 *
 *   alloc ── CREATE ──▶ LIVE ── REMOTE/DIR ... ──▶ DESTROY ──▶ closed,
 *   (caller binds       (relay,                    (ports back)   │
 *    the sockets into    events)                                  ▼
 *    the thread's epoll set)
 *                                       dispatch: DESTROYED ──▶ memory freed
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "media_private.h"

#define SUB "media"

/* Pairs tried when another program holds some ports of our range. */
#define MEDIA_BIND_TRIES 8

static const char *const media_leg_names[] = { "A", "B" };

/* ---------------------------------------------------------------------- */
/* Signalling thread                                                       */

static int media_sock_open(const union media_addr *bind_addr, uint16_t port,
			   int *fd_out)
{
	union media_addr a = *bind_addr;
	int fd, err = 0;

	if (a.sa.sa_family == AF_INET)
		a.in.sin_port = htons(port);
	else
		a.in6.sin6_port = htons(port);
	fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return errno;
	if (bind(fd, &a.sa, media_addr_len(&a))) {
		err = errno;
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

/* Bind a cold pair's two sockets (in no epoll set yet). */
static int media_slot_open(struct media_slot *slot, const union media_addr *b,
			   uint16_t port, unsigned ring)
{
	int err, k;

	for (k = 0, err = 0; k < 2 && !err; k++)
		err = media_sock_open(b, (uint16_t)(port + k),
				      &slot->sock[k].fd);
	if (err) {
		media_slot_close(slot);
		return err;
	}
	for (k = 0; k < 2; k++) {
		slot->sock[k].kind = (enum media_sock_kind)k;
		slot->sock[k].ep = NULL;
	}
	slot->thread = -1;
	slot->ring = (int)ring;
	return 0;
}

void media_slot_close(struct media_slot *slot)
{
	int k;

	/* close() also leaves the epoll set. */
	for (k = 0; k < 2; k++) {
		if (slot->sock[k].fd >= 0)
			close(slot->sock[k].fd);
		slot->sock[k].fd = -1;
	}
	slot->thread = -1;
}

/*
 * A cold pair's sockets join thread t's epoll set once the session has
 * both pairs, idle (ep NULL: what arrives before CREATE is dropped), so
 * that CREATE needs no wake-up of t: the first packet wakes it, and it
 * runs CREATE before it reads. From then on only t closes them (it may
 * be reading them). Should the RTCP socket's join fail after the RTP
 * socket's, the RTP socket leaves the set again, but t may still hold an
 * event of it from an epoll_wait() before that: *half is set, and the
 * pair must go to t to be closed (media_slot_hand_over()). An error of
 * epoll_ctl() is never ENOSPC, which callers take for an exhausted
 * range: the watch limit (fs.epoll.max_user_watches) is EMFILE, a
 * per-user limit as that of open files.
 */
static int media_slot_join(struct media_slot *slot, struct media_thread *t,
			   bool *half)
{
	struct epoll_event ev = { .events = MEDIA_SOCK_EVENTS };
	int k, err;

	*half = false;
	for (k = 0; k < 2; k++) {
		ev.data.ptr = &slot->sock[k];
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, slot->sock[k].fd, &ev)) {
			err = errno == ENOSPC ? EMFILE : errno;
			if (k) {
				if (epoll_ctl(t->epfd, EPOLL_CTL_DEL,
					      slot->sock[0].fd, &ev))
					LOGE(SUB, NULL, "epoll_ctl DEL: %s",
					     strerror(errno));
				*half = true;
			}
			return err;
		}
	}
	slot->thread = (int)t->index;
	return 0;
}

/* A half-joined pair (media_slot_join()) to thread t, which closes it
 * and gives it back cold at the end of its next wake-up. Without memory
 * for the command it is closed here, as before: a stale event of t could
 * then read a reused descriptor number, which needs a datagram on a port
 * in no SDP yet within microseconds of an epoll_ctl() failure. */
static void media_slot_hand_over(struct media_engine *e,
				 struct media_slot *slot, uint16_t port,
				 struct media_thread *t)
{
	struct media_cmd_close *c = calloc(1, sizeof(*c));

	if (!c) {
		media_slot_close(slot);
		media_pool_put_cold(&e->pool, port);
		return;
	}
	c->cmd.type = MEDIA_CMD_CLOSE;
	c->slot = slot;
	media_cmd_post(t, &c->cmd);
}

/* The warm ring of the sockets of thread's sessions on side. */
static unsigned media_ring_of(const struct media_engine *e, unsigned thread,
			      enum media_side side)
{
	return thread * MEDIA_SIDES + e->bind_group[side];
}

/* Take a pair from the pool: a warm one comes with its sockets bound and
 * in the session's thread's epoll set, a cold one is bound here (and
 * joins the set in media_session_join()). */
static int media_endpoint_bind(struct media_engine *e,
			       struct media_endpoint *ep)
{
	const union media_addr *b = &e->bind[ep->side];
	unsigned ring = media_ring_of(e, ep->session->thread->index, ep->side);
	struct media_slot *slot;
	uint16_t port;
	bool warm;
	int err = EADDRINUSE, tries;

	for (tries = 0; tries < MEDIA_BIND_TRIES; tries++) {
		err = media_pool_take(&e->pool, ring, media_now_ms(), &port,
				      &warm);
		if (err)
			return err; /* ENOSPC */
		slot = &e->slots[(port - e->port_min) / 2];
		err = warm ? 0 : media_slot_open(slot, b, port, ring);
		if (!err) {
			ep->slot = slot;
			ep->sock[MEDIA_SOCK_RTP] = &slot->sock[MEDIA_SOCK_RTP];
			ep->sock[MEDIA_SOCK_RTCP] =
				&slot->sock[MEDIA_SOCK_RTCP];
			ep->port = port;
			return 0;
		}
		/* Someone else's: to the end of the line, try the next. */
		media_pool_put_cold(&e->pool, port);
		if (err != EADDRINUSE)
			break;
		LOGW(SUB, NULL, "port %u or %u in use by another program", port,
		     port + 1);
	}
	return err;
}

/* The session's cold pairs join its thread's epoll set: only once it has
 * both (a session that cannot get its second pair gives the first back
 * as it was: a cold one cold, to any thread). */
static int media_session_join(struct media_session *s)
{
	struct media_endpoint *ep;
	bool half;
	int leg, err;

	for (leg = 0; leg < 2; leg++) {
		ep = &s->ep[leg];
		if (ep->slot->thread >= 0)
			continue;
		err = media_slot_join(ep->slot, s->thread, &half);
		if (err) {
			LOGE(SUB, s->ctx, "epoll_ctl: %s%s", strerror(err),
			     err == EMFILE ? " (open files or "
					     "fs.epoll.max_user_watches)"
					   : "");
			if (half) {
				media_slot_hand_over(s->engine, ep->slot,
						     ep->port, s->thread);
				ep->slot = NULL;
				ep->sock[0] = ep->sock[1] = NULL;
			}
			return err;
		}
	}
	return 0;
}

static void media_endpoint_init(struct media_session *s, enum media_leg leg,
				enum media_side side)
{
	struct media_endpoint *ep = &s->ep[leg];

	ep->session = s;
	ep->leg = leg;
	ep->side = side;
	ep->pt_mask[0] = ep->pt_mask[1] = ~(uint64_t)0;
	ep->ev_first.session = ep->ev_timeout.session = s;
	ep->ev_first.leg = ep->ev_timeout.leg = leg;
	ep->ev_first.kind = MEDIA_EV_FIRST_PACKET;
	ep->ev_timeout.kind = MEDIA_EV_RTP_TIMEOUT;
}

static struct media_session *media_session_new(struct media_engine *e,
					       enum media_side side_a,
					       enum media_side side_b)
{
	struct media_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->engine = e;
	s->id = ++e->next_id;
	snprintf(s->ctx, sizeof(s->ctx), "media %u", s->id);
	media_endpoint_init(s, MEDIA_LEG_A, side_a);
	media_endpoint_init(s, MEDIA_LEG_B, side_b);
	s->thread =
		&e->threads[atomic_fetch_add(&e->next_thread, 1) % e->nthreads];
	/* Its pairs are in the thread's epoll set from the start: the first
	 * packet wakes it, and it runs CREATE first. */
	s->cmd_create = (struct media_cmd){ .type = MEDIA_CMD_CREATE,
					    .embedded = true,
					    .lazy = true,
					    .session = s };
	s->cmd_watch = (struct media_cmd){ .type = MEDIA_CMD_WATCH,
					   .embedded = true,
					   .lazy = true,
					   .session = s };
	s->cmd_destroy = (struct media_cmd){ .type = MEDIA_CMD_DESTROY,
					     .embedded = true,
					     .session = s };
	s->ev_destroyed.session = s;
	s->ev_destroyed.kind = MEDIA_EV_DESTROYED;
	return s;
}

int media_session_alloc(struct media_engine *e, enum media_side side_a,
			enum media_side side_b, void *arg,
			struct media_session **out)
{
	struct media_session *s;
	unsigned i;
	int err = ENOSPC;

	if (!e->has_side[side_a] || !e->has_side[side_b])
		return EAFNOSUPPORT;
	s = media_session_new(e, side_a, side_b);
	if (!s)
		return ENOMEM;
	s->arg = arg;
	/* Warm pairs are per thread: when the round-robin thread has no
	 * free pair left (the range is nearly exhausted), the others. */
	for (i = 0; i < e->nthreads; i++) {
		err = media_endpoint_bind(e, &s->ep[MEDIA_LEG_A]);
		if (!err)
			err = media_endpoint_bind(e, &s->ep[MEDIA_LEG_B]);
		if (!err)
			err = media_session_join(s);
		if (err != ENOSPC)
			break;
		media_session_close(s, false);
		s->thread = &e->threads[(s->thread->index + 1) % e->nthreads];
	}
	if (err) {
		media_session_close(s, false);
		free(s);
		LOGW(SUB, NULL, "no media session: %s (%u pairs free)",
		     strerror(err), media_pool_free_count(&e->pool));
		return err;
	}
	atomic_fetch_add(&e->nsessions, 1);
	LOGD(SUB, s->ctx, "ports A %u B %u on thread %u", s->ep[0].port,
	     s->ep[1].port, s->thread->index);
	media_cmd_post(s->thread, &s->cmd_create);
	*out = s;
	return 0;
}

void media_session_free(struct media_session *s)
{
	if (!s || s->freed)
		return;
	s->freed = true;
	media_cmd_post(s->thread, &s->cmd_destroy);
}

void media_session_release(struct media_session *s)
{
	atomic_fetch_sub(&s->engine->nsessions, 1);
	free(s);
}

uint16_t media_session_port(const struct media_session *s, enum media_leg leg)
{
	return s->ep[leg].port;
}

const char *media_session_addr(const struct media_session *s,
			       enum media_leg leg)
{
	return s->engine->addr[s->ep[leg].side];
}

unsigned media_session_id(const struct media_session *s)
{
	return s->id;
}

static int media_remote_parse(const struct media_endpoint *ep,
			      const union media_addr *bind_addr,
			      const struct media_remote *r,
			      struct media_cmd_remote *c)
{
	unsigned i;

	c->pt_mask[0] = c->pt_mask[1] = r->npt ? 0 : ~(uint64_t)0;
	for (i = 0; i < r->npt; i++) {
		if (r->pt[i] > 127)
			return EINVAL;
		c->pt_mask[r->pt[i] / 64] |= (uint64_t)1 << (r->pt[i] % 64);
	}
	if (!r->addr || !r->addr[0])
		return 0;
	if (media_addr_parse(r->addr, r->rtp_port, &c->rtp))
		return EINVAL;
	if (c->rtp.sa.sa_family != bind_addr->sa.sa_family) {
		LOGW(SUB, ep->session->ctx, "leg %s: %s is not of family of %s",
		     media_leg_names[ep->leg], r->addr,
		     ep->session->engine->addr[ep->side]);
		return EAFNOSUPPORT;
	}
	media_addr_parse(r->addr, r->rtcp_port ?: r->rtp_port + 1, &c->rtcp);
	/* c=0.0.0.0 (HOLD-2) and port 0 (rejected): nowhere to send. */
	c->hold_2543 = media_addr_is_any(&c->rtp);
	c->has_addr = !c->hold_2543 && r->rtp_port;
	return 0;
}

int media_session_set_remote(struct media_session *s, enum media_leg leg,
			     const struct media_remote *remote)
{
	struct media_endpoint *ep = &s->ep[leg];
	struct media_cmd_remote *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return ENOMEM;
	c->cmd.type = MEDIA_CMD_REMOTE;
	/* Lazy: the next packet runs it. Not when the kernel may forward
	 * the packets (which then wake nobody): a hold must take the
	 * entries away now, not at the next tick. */
	c->cmd.lazy = !s->engine->kfwd;
	c->cmd.session = s;
	c->cmd.leg = leg;
	c->cmd.dir = remote->dir;
	err = media_remote_parse(ep, &s->engine->bind[ep->side], remote, c);
	if (err) {
		free(c);
		return err;
	}
	media_cmd_post(s->thread, &c->cmd);
	return 0;
}

void media_session_watch(struct media_session *s)
{
	if (s->watch_posted)
		return;
	s->watch_posted = true;
	media_cmd_post(s->thread, &s->cmd_watch);
}

int media_session_set_dir(struct media_session *s, enum media_leg leg,
			  enum media_dir dir)
{
	struct media_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return ENOMEM;
	c->type = MEDIA_CMD_DIR;
	c->lazy = !s->engine->kfwd; /* as REMOTE's */
	c->session = s;
	c->leg = leg;
	c->dir = dir;
	media_cmd_post(s->thread, c);
	return 0;
}

#define MEDIA_LOAD(f) atomic_load_explicit(&in->f, memory_order_acquire)

void media_session_get_stats(const struct media_session *s, enum media_leg leg,
			     struct media_stats *out)
{
	const struct media_stats_atomic *in = &s->ep[leg].stats;

	out->rtp_in_packets = MEDIA_LOAD(rtp_in_packets);
	out->rtp_in_bytes = MEDIA_LOAD(rtp_in_bytes);
	out->rtp_out_packets = MEDIA_LOAD(rtp_out_packets);
	out->rtp_out_bytes = MEDIA_LOAD(rtp_out_bytes);
	out->rtcp_in_packets = MEDIA_LOAD(rtcp_in_packets);
	out->rtcp_out_packets = MEDIA_LOAD(rtcp_out_packets);
	out->drop_malformed = MEDIA_LOAD(drop_malformed);
	out->drop_source = MEDIA_LOAD(drop_source);
	out->drop_pt = MEDIA_LOAD(drop_pt);
	out->drop_hold = MEDIA_LOAD(drop_hold);
	out->drop_send = MEDIA_LOAD(drop_send);
	out->kfwd_packets = MEDIA_LOAD(kfwd_packets);
}

/* ---------------------------------------------------------------------- */
/* Media thread                                                            */

/* The media thread gives ep's pair back: its sockets ward off ep's peer
 * (where its packets came from, else where ours went) for the rest of
 * MEDIA_PAIR_REST_MS, in case the pair is reused before. */
static void media_endpoint_ward(struct media_endpoint *ep, uint64_t now_ms)
{
	const union media_addr *peer;
	int k;

	for (k = 0; k < 2; k++) {
		peer = ep->latch[k].latched ? &ep->latch[k].src
		       : ep->has_addr	    ? media_sdp_addr(ep, k)
					    : NULL;
		ep->sock[k]->ward_until =
			peer ? now_ms + MEDIA_PAIR_REST_MS : 0;
		if (peer)
			ep->sock[k]->ward = *peer;
	}
}

void media_session_close(struct media_session *s, bool in_epoll)
{
	struct media_pool *pool = &s->engine->pool;
	struct media_endpoint *ep;
	int leg;

	for (leg = 0; leg < 2; leg++) {
		ep = &s->ep[leg];
		if (!ep->slot)
			continue;
		/* Only the media thread reads and writes the ward; a session
		 * closed elsewhere (!in_epoll) never had a peer. */
		if (in_epoll)
			media_endpoint_ward(ep, media_now_ms());
		/* Kept bound and in the epoll set, idle (ep NULL: CREATE
		 * of the next session sets it). A slot in a thread's set
		 * is closed only by that thread (in_epoll): another could
		 * still be reading it, so a session that could not be made
		 * gives such a pair back warm, whatever the caps (!in_epoll:
		 * forced). One in no set (a cold pair bound for a session
		 * that could not get its second) goes back cold. */
		if (ep->slot->thread < 0 ||
		    !media_pool_put_warm(pool, (unsigned)ep->slot->ring,
					 ep->port, media_now_ms(), !in_epoll)) {
			media_slot_close(ep->slot);
			media_pool_put_cold(pool, ep->port);
		}
		ep->slot = NULL;
		ep->sock[0] = ep->sock[1] = NULL;
	}
}

/* A pair starts a session (its sockets are in this thread's epoll set
 * since they were bound, session.c); the endpoint's latches are new.
 * What arrived while it was idle has been dropped as it came (engine.c):
 * a warm pair rested MEDIA_PAIR_REST_MS, so a late packet of its
 * previous call is long gone, or at least MEDIA_PAIR_MIN_REST_MS and
 * the old peer is warded off until then (relay.c); what arrives now is
 * treated as this call's (a packet that came a moment before CREATE
 * cannot be told from one that came after, and the peer may already
 * have our SDP). */
static void media_cmd_create(struct media_thread *t, struct media_session *s)
{
	int leg, k;

	for (leg = 0; leg < 2; leg++) {
		s->ep[leg].last_rx_ms = t->now_ms;
		for (k = 0; k < 2; k++)
			s->ep[leg].sock[k]->ep = &s->ep[leg];
	}
	s->live = true;
	s->prev = NULL;
	s->next = t->sessions;
	if (t->sessions)
		t->sessions->prev = s;
	t->sessions = s;
}

static void media_cmd_destroy(struct media_thread *t, struct media_session *s)
{
	int leg, k;

	if (s->prev)
		s->prev->next = s->next;
	else
		t->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->live = false;
	/* No entry may outlive the session: its pairs go back to the pool,
	 * and a stale entry would forward a later call's packets. */
	media_fwd_remove(t, s);
	/* Idle from now on; the pairs go back to the pool at the end of
	 * this wake-up (engine.c), when no event of it names them. */
	for (leg = 0; leg < 2; leg++)
		for (k = 0; k < 2; k++)
			s->ep[leg].sock[k]->ep = NULL;
	LOGD(SUB, s->ctx, "destroyed");
	/* To the dispatcher at the end of this wake-up (engine.c). */
	s->next = t->graveyard;
	t->graveyard = s;
}

static void media_cmd_remote(struct media_thread *t,
			     const struct media_cmd_remote *c)
{
	struct media_endpoint *ep = &c->cmd.session->ep[c->cmd.leg];
	bool moved = c->has_addr != ep->has_addr ||
		     (c->has_addr && !media_addr_equal(&c->rtp, &ep->sdp_rtp));
	int k;

	if (moved && c->has_addr) {
		/* The peer moved (or we learn where it is): latch anew. */
		for (k = 0; k < 2; k++) {
			ep->latch[k].latched = false;
			ep->latch[k].candidate_n = 0;
		}
	}
	ep->has_addr = c->has_addr;
	ep->hold_2543 = c->hold_2543;
	ep->sdp_rtp = c->rtp;
	ep->sdp_rtcp = c->rtcp;
	ep->pt_mask[0] = c->pt_mask[0];
	ep->pt_mask[1] = c->pt_mask[1];
	ep->dir = c->cmd.dir;
	media_endpoint_update(c->cmd.session, ep, moved && c->has_addr,
			      t->now_ms);
	media_fwd_session(t, c->cmd.session);
}

static void media_cmd_run(struct media_thread *t, struct media_cmd *c)
{
	struct media_endpoint *ep;

	switch (c->type) {
	case MEDIA_CMD_CREATE:
		media_cmd_create(t, c->session);
		break;
	case MEDIA_CMD_REMOTE:
		media_cmd_remote(t, (const struct media_cmd_remote *)c);
		break;
	case MEDIA_CMD_DIR:
		ep = &c->session->ep[c->leg];
		ep->dir = c->dir;
		media_endpoint_update(c->session, ep, false, t->now_ms);
		media_fwd_session(t, c->session);
		break;
	case MEDIA_CMD_WATCH:
		c->session->watched = true;
		media_endpoint_update(c->session, NULL, false, t->now_ms);
		break;
	case MEDIA_CMD_DESTROY:
		media_cmd_destroy(t, c->session);
		break;
	case MEDIA_CMD_STOP:
		t->stop = true;
		break;
	case MEDIA_CMD_CLOSE:
		/* Closed at the end of this wake-up (engine.c), when no event
		 * of it names the sockets any more. */
		((struct media_cmd_close *)c)->slot->next_close = t->closing;
		t->closing = ((struct media_cmd_close *)c)->slot;
		break;
	}
}

void media_thread_run_cmds(struct media_thread *t)
{
	struct media_cmd *c, *next;

	/* Nothing queued (a packet's wake-up): no lock. A command queued
	 * just after this read is found at the next wake-up; one that is not
	 * lazy makes that wake-up itself (its cmd_fd). */
	if (!atomic_load_explicit(&t->cmd_queued, memory_order_acquire))
		return;
	pthread_mutex_lock(&t->cmd_lock);
	c = t->cmd_head;
	t->cmd_head = t->cmd_tail = NULL;
	atomic_store_explicit(&t->cmd_queued, false, memory_order_relaxed);
	pthread_mutex_unlock(&t->cmd_lock);
	for (; c; c = next) {
		/* Read before running: an embedded DESTROY hands its session
		 * (and so c) to the dispatcher, which may free it at once. */
		bool own = !c->embedded;

		next = c->next;
		media_cmd_run(t, c);
		if (own)
			free(c);
	}
}
