/*
 * The RTP/RTCP port pool: every even port p of [port_min, port_max - 1]
 * is a pair (p RTP, p + 1 RTCP). Free pairs wait in a ring, oldest first:
 * take() pops the head, put() appends, so a released pair goes to the end
 * of the line and is reused as late as possible (a late packet of the old
 * call then reaches no one). O(1), one mutex: sessions are created by the
 * signalling thread and released by media threads, a few times per call.
 */
#include <errno.h>
#include <stdlib.h>

#include "media_private.h"

int media_pool_init(struct media_pool *pool, uint16_t port_min,
		    uint16_t port_max)
{
	unsigned n, i;

	if (port_min % 2 || port_max <= port_min)
		return EINVAL;
	n = ((unsigned)port_max - port_min + 1) / 2;
	pool->ring = calloc(n, sizeof(*pool->ring));
	if (!pool->ring)
		return ENOMEM;
	for (i = 0; i < n; i++)
		pool->ring[i] = (uint16_t)(port_min + 2 * i);
	pool->size = pool->count = n;
	pool->head = 0;
	pthread_mutex_init(&pool->lock, NULL);
	return 0;
}

void media_pool_fini(struct media_pool *pool)
{
	if (!pool->ring)
		return;
	pthread_mutex_destroy(&pool->lock);
	free(pool->ring);
	pool->ring = NULL;
}

int media_pool_take(struct media_pool *pool, uint16_t *port)
{
	int err = ENOSPC;

	pthread_mutex_lock(&pool->lock);
	if (pool->count) {
		*port = pool->ring[pool->head];
		pool->head = (pool->head + 1) % pool->size;
		pool->count--;
		err = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	return err;
}

void media_pool_put(struct media_pool *pool, uint16_t port)
{
	pthread_mutex_lock(&pool->lock);
	/* Never more than size: each pair is taken before it is put. */
	pool->ring[(pool->head + pool->count) % pool->size] = port;
	pool->count++;
	pthread_mutex_unlock(&pool->lock);
}

unsigned media_pool_free_count(struct media_pool *pool)
{
	unsigned n;

	pthread_mutex_lock(&pool->lock);
	n = pool->count;
	pthread_mutex_unlock(&pool->lock);
	return n;
}
