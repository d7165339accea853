/*
 * The RTP/RTCP port pool: every even port p of [port_min, port_max - 1]
 * is a pair (p RTP, p + 1 RTCP). A free pair waits in one of several
 * FIFO rings, oldest first:
 *
 *   cold        pairs without sockets (never used, or closed): taking
 *               one means socket() + bind() twice;
 *   warm[r]     pairs whose two sockets stayed bound when their session
 *               ended, one ring per owner r (the engine's media thread
 *               and bind address whose epoll set holds them): taking one
 *               costs no system call at all.
 *
 * take(r) prefers the oldest warm pair of ring r that has rested rest_ms
 * since its release; then, when the caps below are reached (a cold pair
 * bound now would make a later release close its sockets), that pair if
 * it has rested min_rest_ms; then the oldest cold pair; then (nothing
 * else left) the oldest warm pair of r however short its rest. So a pair
 * is reused as late as the range allows when it is cold (a late packet
 * of the old call then reaches no one), and when warm not before rest_ms
 * unless descriptors are short (its idle sockets drop whatever arrives
 * while it rests, engine.c); reused earlier, its sockets' ward keeps the
 * old peer from being latched (relay.c). put_warm(r)
 * keeps a pair warm while fewer than warm_cap pairs are warm (each costs
 * two file descriptors) and at most bound_cap pairs hold sockets (live
 * calls' and warm ones: the descriptors of live calls come first);
 * otherwise the caller closes its sockets first, then put_cold() (in
 * that order: a cold pair may be bound again at once).
 * O(1), one mutex: sessions are created by the signalling thread and
 * released by media threads, a few times per call.
 */
#include <errno.h>
#include <stdlib.h>

#include "media_private.h"

static int media_ring_init(struct media_ring *r, unsigned size)
{
	r->port = calloc(size, sizeof(*r->port));
	r->since = calloc(size, sizeof(*r->since));
	r->head = r->count = 0;
	return r->port && r->since ? 0 : ENOMEM;
}

static void media_ring_fini(struct media_ring *r)
{
	free(r->port);
	free(r->since);
	r->port = NULL;
	r->since = NULL;
}

/* Never more than size in a ring: each pair is in at most one. */
static void media_ring_push(struct media_pool *pool, struct media_ring *r,
			    uint16_t port, uint64_t now_ms)
{
	unsigned i = (r->head + r->count) % pool->size;

	r->port[i] = port;
	r->since[i] = (uint32_t)now_ms;
	r->count++;
}

static uint16_t media_ring_pop(struct media_pool *pool, struct media_ring *r)
{
	uint16_t port = r->port[r->head];

	r->head = (r->head + 1) % pool->size;
	r->count--;
	return port;
}

int media_pool_init(struct media_pool *pool, uint16_t port_min,
		    uint16_t port_max, unsigned nrings, unsigned warm_cap,
		    unsigned bound_cap, unsigned rest_ms, unsigned min_rest_ms)
{
	unsigned n, i;
	int err;

	if (port_min % 2 || port_max <= port_min || !nrings ||
	    min_rest_ms > rest_ms)
		return EINVAL;
	n = ((unsigned)port_max - port_min + 1) / 2;
	*pool = (struct media_pool){ .size = n,
				     .nrings = nrings,
				     .warm_cap = warm_cap,
				     .bound_cap = bound_cap,
				     .rest_ms = rest_ms,
				     .min_rest_ms = min_rest_ms };
	pool->warm = calloc(nrings, sizeof(*pool->warm));
	err = pool->warm ? media_ring_init(&pool->cold, n) : ENOMEM;
	for (i = 0; !err && i < nrings; i++)
		err = media_ring_init(&pool->warm[i], n);
	if (err) {
		pool->nrings = pool->warm ? i : 0;
		media_pool_fini(pool);
		return err;
	}
	for (i = 0; i < n; i++)
		media_ring_push(pool, &pool->cold, (uint16_t)(port_min + 2 * i),
				0);
	pthread_mutex_init(&pool->lock, NULL);
	pool->ready = true;
	return 0;
}

void media_pool_fini(struct media_pool *pool)
{
	unsigned i;

	if (pool->ready)
		pthread_mutex_destroy(&pool->lock);
	pool->ready = false;
	media_ring_fini(&pool->cold);
	for (i = 0; pool->warm && i < pool->nrings; i++)
		media_ring_fini(&pool->warm[i]);
	free(pool->warm);
	pool->warm = NULL;
}

/* Would a pair released now be closed (put_warm's caps)? Then one that
 * is bound now takes the place of one that stays warm. */
static bool media_pool_full(const struct media_pool *pool)
{
	return pool->warm_count >= pool->warm_cap ||
	       pool->size - pool->cold.count >= pool->bound_cap;
}

int media_pool_take(struct media_pool *pool, unsigned ring, uint64_t now_ms,
		    uint16_t *port, bool *warm)
{
	struct media_ring *w = &pool->warm[ring];
	uint32_t rested;
	int err = 0;

	pthread_mutex_lock(&pool->lock);
	/* Unsigned 32-bit difference: right across the wrap (49 days).
	 * Meaningless, and not looked at, when the ring is empty. */
	rested = (uint32_t)now_ms - w->since[w->head];
	if (w->count &&
	    (rested >= pool->rest_ms ||
	     (rested >= pool->min_rest_ms && media_pool_full(pool)))) {
		*warm = true;
	} else if (pool->cold.count) {
		*warm = false;
	} else if (w->count) {
		*warm = true; /* the range is exhausted otherwise */
	} else {
		err = ENOSPC;
	}
	if (!err) {
		*port = media_ring_pop(pool, *warm ? w : &pool->cold);
		pool->warm_count -= *warm;
	}
	pthread_mutex_unlock(&pool->lock);
	return err;
}

bool media_pool_put_warm(struct media_pool *pool, unsigned ring, uint16_t port,
			 uint64_t now_ms, bool force)
{
	bool warm;

	pthread_mutex_lock(&pool->lock);
	/* Every pair not cold holds its sockets: those of live calls, the
	 * warm ones and this one. */
	warm = force || (pool->warm_count < pool->warm_cap &&
			 pool->size - pool->cold.count <= pool->bound_cap);
	if (warm) {
		media_ring_push(pool, &pool->warm[ring], port, now_ms);
		pool->warm_count++;
	}
	pthread_mutex_unlock(&pool->lock);
	return warm;
}

void media_pool_put_cold(struct media_pool *pool, uint16_t port)
{
	pthread_mutex_lock(&pool->lock);
	media_ring_push(pool, &pool->cold, port, 0);
	pthread_mutex_unlock(&pool->lock);
}

unsigned media_pool_free_count(struct media_pool *pool)
{
	unsigned n, i;

	pthread_mutex_lock(&pool->lock);
	n = pool->cold.count;
	for (i = 0; i < pool->nrings; i++)
		n += pool->warm[i].count;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

unsigned media_pool_warm_count(struct media_pool *pool)
{
	unsigned n;

	pthread_mutex_lock(&pool->lock);
	n = pool->warm_count;
	pthread_mutex_unlock(&pool->lock);
	return n;
}
