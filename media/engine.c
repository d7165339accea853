/*
 * The media engine: N media threads, each an epoll loop that owns its
 * sessions, fed by a command queue; events flow back to the signalling
 * thread through one queue and an eventfd (DESIGN.md 7, 10).
 *
 *   media thread loop
 *     epoll_wait ──▶ RTP/RTCP socket readable ─▶ relay.c (no lock, no malloc)
 *                ├─▶ command eventfd  ─▶ run the queued commands (after
 *                │                       the sockets: a DESTROY must not
 *                │                       free what this batch still names)
 *                └─▶ timerfd tick     ─▶ RTP timeout scan
 *
 * Queues are mutex-protected lists: a command or an event is a few per
 * call, never one per packet, and an uncontended mutex costs less than
 * the eventfd write that wakes the other side. Most commands wake nobody
 * (lazy: the next packet shows them, and it runs them first). With
 * media_engine_defer() the others wait for media_engine_flush(): one
 * wake-up per thread for a batch; with its late hook too, DESTROYs wait
 * for MEDIA_DESTROY_BATCH others or for the late flush, so a call costs
 * its media thread no wake-up at all in the common case.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "media_private.h"

#define SUB "media"

/* epoll data.ptr of the thread's own fds; sockets point at media_sock. */
static char media_tag_cmd, media_tag_timer;

const char *media_event_name(enum media_event_type type)
{
	switch (type) {
	case MEDIA_EVENT_FIRST_PACKET:
		return "FIRST_PACKET";
	case MEDIA_EVENT_RTP_TIMEOUT:
		return "RTP_TIMEOUT";
	}
	return "?";
}

void media_conf_read(struct media_conf *conf,
		     const struct config_section *media)
{
	conf->port_min = (uint16_t)config_get_int(media, "rtp_port_min");
	conf->port_max = (uint16_t)config_get_int(media, "rtp_port_max");
	conf->rtp_timeout_ms = (unsigned)config_get_int(media, "rtp_timeout");
	conf->threads = (unsigned)config_get_int(media, "media_threads");
	conf->kernel_forwarding = media_kfwd_mode_parse(
		config_get_str(media, "kernel_forwarding"));
}

/* ---------------------------------------------------------------------- */
/* Queues                                                                  */

static void media_fd_signal(int fd)
{
	uint64_t one = 1;

	/* An eventfd write fails only when the counter would overflow,
	 * which means it is readable anyway. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static void media_fd_drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return; /* EAGAIN: nothing was signalled */
}

void media_cmd_post(struct media_thread *t, struct media_cmd *cmd)
{
	struct media_engine *e = t->engine;
	/* Read before it is queued: once the lock is released, an awake
	 * media thread may run the command and free it. */
	const bool lazy = cmd->lazy;
	const enum media_cmd_type type = cmd->type;

	cmd->next = NULL;
	pthread_mutex_lock(&t->cmd_lock);
	if (t->cmd_tail)
		t->cmd_tail->next = cmd;
	else
		t->cmd_head = cmd;
	t->cmd_tail = cmd;
	atomic_store_explicit(&t->cmd_queued, true, memory_order_release);
	pthread_mutex_unlock(&t->cmd_lock);
	if (type == MEDIA_CMD_DESTROY)
		e->destroys_out++;
	/* No wake-up: the thread runs it before it looks at any socket
	 * (media_thread_wake), the only place its effect can be seen. */
	if (lazy)
		return;
	if (e->defer && type != MEDIA_CMD_STOP) {
		/* A DESTROY is seen by a packet too (which it turns into a
		 * stray), and otherwise only by the pool and the memory:
		 * those wait for a batch, or for the late flush. */
		if (type == MEDIA_CMD_DESTROY && e->defer_late &&
		    ++t->destroys < MEDIA_DESTROY_BATCH) {
			if (!e->late_requested) {
				e->late_requested = true;
				e->defer_late(e->defer_arg);
			}
			return;
		}
		t->cmd_deferred = true;
		if (!e->flush_requested) {
			e->flush_requested = true;
			e->defer(e->defer_arg);
		}
		return;
	}
	/* A non-empty queue does not mean a wake-up is on its way (lazy
	 * commands): signal every time. */
	media_fd_signal(t->cmd_fd);
	t->cmd_deferred = false;
}

void media_engine_defer(struct media_engine *e, void (*request)(void *arg),
			void (*late)(void *arg), void *arg)
{
	bool signal;

	media_engine_flush(e);
	e->defer = request;
	e->defer_late = request ? late : NULL;
	e->defer_arg = arg;
	e->late_requested = false;
	pthread_mutex_lock(&e->ev_lock);
	atomic_store_explicit(&e->quiet_events, request != NULL,
			      memory_order_relaxed);
	/* Leaving defer mode: what waits without a wake-up gets one (a post
	 * after this sees quiet_events off: the lock orders them). */
	signal = !request && e->ev_head && !e->ev_signalled;
	e->ev_signalled |= signal;
	pthread_mutex_unlock(&e->ev_lock);
	if (signal)
		media_fd_signal(e->ev_fd);
}

/* Events that need no wake-up of the signalling thread in defer mode: a
 * DESTROYED (its memory), a FIRST_PACKET (trunkd only logs it: quiet
 * when its line would not be logged, or it would come at the call's end
 * at best). */
static bool media_event_quiet(enum media_event_kind kind)
{
	return kind != MEDIA_EV_RTP_TIMEOUT;
}

void media_engine_first_packet_wanted(struct media_engine *e,
				      bool (*wanted)(void *arg), void *arg)
{
	e->first_wanted = wanted;
	e->first_wanted_arg = arg;
}

/*
 * One eventfd write per dispatch at most (ev_signalled). In defer mode a
 * quiet event wakes nobody until MEDIA_REAP_BATCH events wait: the
 * signalling thread handles them in media_engine_flush(), which runs
 * after every wake-up of a media thread for DESTROYs (their batch, or the
 * late flush, which asks for one more), so a destroyed session's memory
 * waits at most for the next flush, about MEDIA_LATE_FLUSH_MS, or for
 * that many others (its ports are back in the pool already), and a
 * FIRST_PACKET for the next call's end, or a dispatch.
 */
void media_event_post(struct media_engine *e, struct media_event_node *node)
{
	bool signal = false;
	/* Asked outside the lock: it may take the log's. */
	const bool wanted = node->kind == MEDIA_EV_FIRST_PACKET &&
			    e->first_wanted &&
			    e->first_wanted(e->first_wanted_arg);

	pthread_mutex_lock(&e->ev_lock);
	if (!node->queued) {
		node->queued = true;
		node->next = NULL;
		if (e->ev_tail)
			e->ev_tail->next = node;
		else
			e->ev_head = node;
		e->ev_tail = node;
		e->ev_len++;
		signal = !e->ev_signalled &&
			 (!media_event_quiet(node->kind) || wanted ||
			  !atomic_load_explicit(&e->quiet_events,
						memory_order_relaxed) ||
			  e->ev_len >= MEDIA_REAP_BATCH);
		e->ev_signalled |= signal;
	}
	pthread_mutex_unlock(&e->ev_lock);
	if (signal)
		media_fd_signal(e->ev_fd);
}

/* Take up to max events off the queue (quiet: up to the first that is
 * not), copied (a node may be queued again by its media thread as soon as
 * the lock is released). */
static unsigned media_event_take(struct media_engine *e,
				 struct media_event_node *out, unsigned max,
				 bool quiet)
{
	struct media_event_node *n;
	unsigned i = 0;

	pthread_mutex_lock(&e->ev_lock);
	while (i < max && (n = e->ev_head) &&
	       (!quiet || media_event_quiet(n->kind))) {
		e->ev_head = n->next;
		if (!e->ev_head)
			e->ev_tail = NULL;
		n->queued = false;
		e->ev_len--;
		out[i++] = *n;
	}
	pthread_mutex_unlock(&e->ev_lock);
	return i;
}

static void media_event_deliver(struct media_engine *e,
				const struct media_event_node *n)
{
	struct media_event ev = {
		.session = n->session,
		.session_arg = n->session->arg,
		.leg = n->leg,
	};

	ev.type = n->kind == MEDIA_EV_FIRST_PACKET ? MEDIA_EVENT_FIRST_PACKET
						   : MEDIA_EVENT_RTP_TIMEOUT;
	if (n->kind == MEDIA_EV_FIRST_PACKET)
		media_addr_format(&n->src, ev.src, sizeof(ev.src));
	e->handler(&ev, e->arg);
}

/* Events of a session come before its DESTROYED (one producer per
 * session, FIFO), so the memory is still there when they are looked at.
 * 1: delivered. */
static unsigned media_event_handle(struct media_engine *e,
				   const struct media_event_node *n)
{
	if (n->kind == MEDIA_EV_DESTROYED) {
		if (e->destroys_out)
			e->destroys_out--;
		media_session_release(n->session);
		return 0;
	}
	if (n->session->freed)
		return 0;
	media_event_deliver(e, n);
	return 1;
}

unsigned media_engine_dispatch(struct media_engine *e)
{
	struct media_event_node batch[32];
	unsigned n, i, delivered = 0;

	/* Drained before the flag is cleared: a post in between finds it
	 * set (no write), and its node is taken below. */
	media_fd_drain(e->ev_fd);
	pthread_mutex_lock(&e->ev_lock);
	e->ev_signalled = false;
	pthread_mutex_unlock(&e->ev_lock);
	while ((n = media_event_take(e, batch, 32, false)) > 0)
		for (i = 0; i < n; i++)
			delivered += media_event_handle(e, &batch[i]);
	return delivered;
}

/* Handle the quiet events at the head of the event queue (those that
 * need no wake-up of ours in defer mode): free the destroyed sessions,
 * deliver FIRST_PACKET. Only a prefix: the order of a session's events
 * is kept, and an RTP_TIMEOUT has woken us for dispatch already. */
static void media_engine_reap(struct media_engine *e)
{
	struct media_event_node batch[MEDIA_REAP_BATCH];
	unsigned n, i;

	n = media_event_take(e, batch, MEDIA_REAP_BATCH, true);
	for (i = 0; i < n; i++)
		media_event_handle(e, &batch[i]);
}

/* Wakes every thread with commands that wait for a wake-up, lazy DESTROYs
 * included (the late flush, leaving defer mode, a batch of another
 * thread's: all of them at once). */
void media_engine_flush(struct media_engine *e)
{
	struct media_thread *t;
	unsigned i;

	media_engine_reap(e);
	e->flush_requested = false;
	e->late_requested = false;
	for (i = 0; i < e->nthreads; i++) {
		t = &e->threads[i];
		if (t->cmd_deferred || t->destroys) {
			t->cmd_deferred = false;
			t->destroys = 0;
			media_fd_signal(t->cmd_fd);
		}
	}
	/* The DESTROYED of every DESTROY signalled now or earlier and not
	 * reaped above (a media thread that has not run it yet) comes
	 * later: the next late flush frees them, and asks again while any
	 * is still out (when no call comes to flush them earlier). */
	if (e->destroys_out && e->defer_late) {
		e->late_requested = true;
		e->defer_late(e->defer_arg);
	}
}

/* ---------------------------------------------------------------------- */
/* Media thread                                                            */

static void media_thread_tick(struct media_thread *t)
{
	media_fd_drain(t->timer_fd);
	media_fwd_poll(t); /* what the kernel forwarded is activity too */
	media_relay_timeouts(t);
}

/*
 * Commands run before the sockets of the same wake-up, so a packet that
 * arrives after a command returned sees its effect (a hold is a hold
 * from the next packet on). A session destroyed here stays in memory
 * until the batch is done (its sockets may still be named in evs[]: they
 * are idle then, ep NULL, and what they hold is dropped), then its pairs
 * go back to the pool and it goes to the dispatcher. A socket closed in
 * this batch has fd -1. */
static void media_thread_wake(struct media_thread *t,
			      const struct epoll_event *evs, int n)
{
	struct media_session *s;
	struct media_slot *slot;
	bool tick = false;
	int i;

	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == &media_tag_cmd)
			media_fd_drain(t->cmd_fd);
		else if (evs[i].data.ptr == &media_tag_timer)
			tick = true;
	}
	/* Every wake-up: lazy commands come without one. */
	media_thread_run_cmds(t);
	for (i = 0; i < n; i++) {
		struct media_sock *sock = evs[i].data.ptr;

		if (evs[i].data.ptr == &media_tag_cmd ||
		    evs[i].data.ptr == &media_tag_timer || sock->fd < 0)
			continue;
		if (sock->ep)
			media_relay_readable(t, sock);
		else
			media_relay_drain(t, sock); /* idle: no session */
	}
	while ((s = t->graveyard)) {
		t->graveyard = s->next;
		/* No event of this batch names its sockets any more. */
		media_session_close(s, true);
		/* The last thing this thread does with s. */
		media_event_post(t->engine, &s->ev_destroyed);
	}
	while ((slot = t->closing)) { /* MEDIA_CMD_CLOSE, likewise */
		t->closing = slot->next_close;
		media_slot_close(slot);
		media_pool_put_cold(&t->engine->pool,
				    (uint16_t)(t->engine->port_min +
					       2 * (slot - t->engine->slots)));
	}
	if (tick)
		media_thread_tick(t);
}

static void *media_thread_main(void *arg)
{
	struct media_thread *t = arg;
	struct epoll_event evs[64];
	int n;

	while (!t->stop) {
		n = epoll_wait(t->epfd, evs, 64, -1);
		if (n < 0 && errno != EINTR) {
			LOGE(SUB, NULL, "thread %u: epoll_wait: %s", t->index,
			     strerror(errno));
			break;
		}
		t->now_ms = media_now_ms();
		media_thread_wake(t, evs, n);
	}
	return NULL;
}

static int media_epoll_add(int epfd, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? errno : 0;
}

/* The timeout scan runs 4 times per rtp_timeout, 20 ms to 1 s apart;
 * with kernel forwarding and no timeout, every second (its counters). */
static int media_thread_timer(struct media_thread *t, unsigned timeout_ms)
{
	struct itimerspec its;
	unsigned tick = timeout_ms ? timeout_ms / 4 : 1000;

	if (!timeout_ms && !t->engine->kfwd)
		return 0;
	tick = tick < 20 ? 20 : tick > 1000 ? 1000 : tick;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = tick / 1000;
	its.it_interval.tv_nsec = (long)(tick % 1000) * 1000000;
	its.it_value = its.it_interval;
	t->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->timer_fd < 0 || timerfd_settime(t->timer_fd, 0, &its, NULL))
		return errno;
	return media_epoll_add(t->epfd, t->timer_fd, &media_tag_timer);
}

static int media_thread_init(struct media_engine *e, struct media_thread *t,
			     unsigned index)
{
	int err;

	t->engine = e;
	t->index = index;
	t->epfd = t->cmd_fd = t->timer_fd = -1;
	media_relay_init(t);
	pthread_mutex_init(&t->cmd_lock, NULL);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->epfd < 0 || t->cmd_fd < 0)
		return errno;
	err = media_epoll_add(t->epfd, t->cmd_fd, &media_tag_cmd);
	if (!err)
		err = media_thread_timer(t, e->rtp_timeout_ms);
	if (!err)
		err = pthread_create(&t->tid, NULL, media_thread_main, t);
	t->started = !err;
	return err;
}

/* Stop a started thread and wait for it. */
static void media_thread_stop(struct media_thread *t)
{
	struct media_cmd stop = { .type = MEDIA_CMD_STOP, .embedded = true };

	if (!t->started)
		return;
	media_cmd_post(t, &stop);
	pthread_join(t->tid, NULL);
	t->started = false;
}

/* Close a stopped thread's fds, free the sessions it still owns. */
static void media_thread_fini(struct media_thread *t)
{
	struct media_session *s;

	/* Their sockets are closed with every slot's (engine free). */
	while ((s = t->sessions)) {
		t->sessions = s->next;
		media_session_release(s);
	}
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	if (t->cmd_fd >= 0)
		close(t->cmd_fd);
	if (t->epfd >= 0)
		close(t->epfd);
	pthread_mutex_destroy(&t->cmd_lock);
}

/* ---------------------------------------------------------------------- */
/* Engine                                                                  */

static int media_engine_conf(struct media_engine *e,
			     const struct media_conf *conf)
{
	int side;

	if (conf->port_min % 2 || conf->port_max < conf->port_min + 1u) {
		LOGE(SUB, NULL, "port range %u-%u holds no even RTP/RTCP pair",
		     conf->port_min, conf->port_max);
		return EINVAL;
	}
	for (side = 0; side < MEDIA_SIDES; side++) {
		if (!conf->addr[side])
			continue;
		if (media_addr_parse(conf->addr[side], 0, &e->bind[side])) {
			LOGE(SUB, NULL,
			     "media address '%s' is not an IP literal",
			     conf->addr[side]);
			return EINVAL;
		}
		snprintf(e->addr[side], sizeof(e->addr[side]), "%s",
			 conf->addr[side]);
		e->has_side[side] = true;
	}
	/* Sides bound to one address share warm pairs: a side's group is
	 * the first side with its address. */
	for (side = 0; side < MEDIA_SIDES; side++) {
		int s;

		e->bind_group[side] = (unsigned)side;
		for (s = 0; s < side; s++)
			if (e->has_side[s] && e->has_side[side] &&
			    media_addr_equal(&e->bind[s], &e->bind[side])) {
				e->bind_group[side] = (unsigned)s;
				break;
			}
	}
	e->rtp_timeout_ms = conf->rtp_timeout_ms;
	e->nthreads = conf->threads;
	if (!e->nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		e->nthreads = n > 0 ? (unsigned)n : 1;
	}
	return 0;
}

enum media_kfwd_mode media_kfwd_mode_parse(const char *text)
{
	if (text && !strcmp(text, "on"))
		return MEDIA_KFWD_ON;
	if (text && !strcmp(text, "auto"))
		return MEDIA_KFWD_AUTO;
	return MEDIA_KFWD_OFF;
}

/* kernel_forwarding: on refuses to start without the program, auto says
 * once why it goes without. */
static int media_engine_kfwd_start(struct media_engine *e,
				   enum media_kfwd_mode mode)
{
	char why[256];
	int err;

	if (mode == MEDIA_KFWD_OFF)
		return 0;
	err = media_kfwd_open(e, &e->kfwd, why, sizeof(why));
	if (!err) {
		LOGI(SUB, NULL,
		     "kernel forwarding: %s (tc program attached with %s)",
		     mode == MEDIA_KFWD_ON ? "on" : "auto",
		     media_kfwd_attach(e->kfwd));
		return 0;
	}
	if (mode == MEDIA_KFWD_ON) {
		LOGE(SUB, NULL, "kernel_forwarding = on: %s", why);
		return err;
	}
	LOGW(SUB, NULL,
	     "kernel_forwarding = auto: %s; the relay carries every packet",
	     why);
	return 0;
}

/*
 * How many idle pairs may stay bound (two descriptors each): at most a
 * quarter of the descriptor limit (half of it), and only while all bound
 * pairs, live calls' and idle ones, hold at most 3/4 of it: idle pairs
 * give way to live calls, so a high call rate against a low limit does
 * not run out of descriptors (before, at 2,000 calls/s of 1 s calls under
 * a limit of 20,000, live calls plus a full idle quarter needed more,
 * and new calls got "no media session: Too many open files"). The last
 * quarter is for SIP connections, files and the rest. Beyond either cap
 * a released pair is closed as before pooling.
 */
static void media_warm_caps(unsigned *warm_cap, unsigned *bound_cap)
{
	struct rlimit rl;
	rlim_t n = 65536;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n > 1u << 22)
		n = 1u << 22;
	*warm_cap = (unsigned)(n / 4);
	*bound_cap = (unsigned)(n * 3 / 8);
}

static int media_slots_alloc(struct media_engine *e, uint16_t port_min)
{
	unsigned i;
	int k;

	e->port_min = port_min;
	e->slots = calloc(e->pool.size, sizeof(*e->slots));
	if (!e->slots)
		return ENOMEM;
	for (i = 0; i < e->pool.size; i++) {
		e->slots[i].thread = -1;
		for (k = 0; k < 2; k++)
			e->slots[i].sock[k].fd = -1;
	}
	return 0;
}

int media_engine_alloc(const struct media_conf *conf, media_event_h *handler,
		       void *arg, struct media_engine **out)
{
	struct media_engine *e = calloc(1, sizeof(*e));
	unsigned i, warm_cap, bound_cap;
	int err;

	if (!e)
		return ENOMEM;
	e->handler = handler;
	e->arg = arg;
	e->ev_fd = -1;
	pthread_mutex_init(&e->ev_lock, NULL);
	err = media_engine_conf(e, conf);
	media_warm_caps(&warm_cap, &bound_cap);
	if (!err)
		err = media_pool_init(&e->pool, conf->port_min, conf->port_max,
				      e->nthreads * MEDIA_SIDES, warm_cap,
				      bound_cap, MEDIA_PAIR_REST_MS,
				      MEDIA_PAIR_MIN_REST_MS);
	if (!err)
		err = media_slots_alloc(e, conf->port_min);
	if (!err)
		err = media_engine_kfwd_start(e, conf->kernel_forwarding);
	if (err)
		goto out;
	e->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->threads = calloc(e->nthreads, sizeof(*e->threads));
	if (e->ev_fd < 0 || !e->threads) {
		err = e->ev_fd < 0 ? errno : ENOMEM;
		goto out;
	}
	for (i = 0; i < e->nthreads && !err; i++)
		err = media_thread_init(e, &e->threads[i], i);
	if (err)
		LOGE(SUB, NULL, "cannot start media thread: %s", strerror(err));
out:
	if (err) {
		media_engine_free(e);
		return err;
	}
	LOGI(SUB, NULL,
	     "%u media threads, ports %u-%u (%u pairs, up to %u kept bound "
	     "between calls while at most %u are bound)",
	     e->nthreads, conf->port_min, conf->port_max, e->pool.size,
	     e->pool.warm_cap, e->pool.bound_cap);
	*out = e;
	return 0;
}

void media_engine_free(struct media_engine *e)
{
	struct media_event_node n;
	unsigned i;

	if (!e)
		return;
	for (i = 0; e->threads && i < e->nthreads; i++)
		media_thread_stop(&e->threads[i]);
	/* The threads are gone: what is queued is ours. Sessions destroyed
	 * but not dispatched go first (the nodes of live ones are in their
	 * memory), then the live ones. */
	while (media_event_take(e, &n, 1, false))
		if (n.kind == MEDIA_EV_DESTROYED)
			media_session_release(n.session);
	for (i = 0; e->threads && i < e->nthreads; i++)
		if (e->threads[i].engine)
			media_thread_fini(&e->threads[i]);
	free(e->threads);
	if (e->ev_fd >= 0)
		close(e->ev_fd);
	pthread_mutex_destroy(&e->ev_lock);
	/* Detached, the map freed: no entry outlives the engine. */
	media_kfwd_close(e->kfwd);
	for (i = 0; e->slots && i < e->pool.size; i++)
		media_slot_close(&e->slots[i]);
	free(e->slots);
	media_pool_fini(&e->pool);
	free(e);
}

int media_engine_fd(const struct media_engine *e)
{
	return e->ev_fd;
}

const char *media_engine_side_addr(const struct media_engine *e,
				   enum media_side side)
{
	return e->has_side[side] ? e->addr[side] : NULL;
}

unsigned media_engine_ports_free(const struct media_engine *e)
{
	/* The pool's mutex is the only thing written. */
	return media_pool_free_count((struct media_pool *)&e->pool);
}

unsigned media_engine_sessions(const struct media_engine *e)
{
	return atomic_load_explicit(&e->nsessions, memory_order_relaxed);
}

uint64_t media_engine_stray_drops(const struct media_engine *e)
{
	return atomic_load_explicit(&e->stray_drops, memory_order_relaxed);
}

void media_engine_kfwd_status(const struct media_engine *e,
			      struct media_kfwd_status *out)
{
	out->active = e->kfwd != NULL;
	out->entries =
		atomic_load_explicit(&e->kfwd_entries, memory_order_relaxed);
	out->packets =
		atomic_load_explicit(&e->kfwd_packets, memory_order_relaxed);
	out->map_id = e->kfwd ? media_kfwd_map_id(e->kfwd) : 0;
	out->attach = e->kfwd ? media_kfwd_attach(e->kfwd) : "none";
}

uint64_t media_engine_cpu_ns(const struct media_engine *e)
{
	struct timespec ts;
	uint64_t sum = 0;
	clockid_t clk;
	unsigned i;

	for (i = 0; i < e->nthreads; i++) {
		if (!e->threads[i].started ||
		    pthread_getcpuclockid(e->threads[i].tid, &clk) ||
		    clock_gettime(clk, &ts))
			continue;
		sum += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	return sum;
}
