/*
 * Unit tests of the port pool's logic (media/pool.c) with a clock of
 * the test's own: the order cold and warm pairs are taken in, the rest
 * of a warm pair, the cap on warm pairs, exhaustion.
 */
#include <errno.h>
#include <stdbool.h>

#include "media/media_private.h"
#include "test_media.h"
#include "unit_test.h"

/* Take for ring r at now: the port, warm or not; -1 on ENOSPC. */
static int take(struct media_pool *p, unsigned r, uint64_t now, bool *warm)
{
	uint16_t port;

	return media_pool_take(p, r, now, &port, warm) ? -1 : port;
}

int t_pool_rings(void)
{
	struct media_pool p;
	bool warm;

	CHECK(media_pool_init(&p, 1001, 1010, 2, 8, 2000) == EINVAL);
	CHECK(media_pool_init(&p, 1000, 1010, 0, 8, 2000) == EINVAL);
	/* 4 pairs, 2 rings, at most 2 warm, a rest of 2 s. */
	CHECK(media_pool_init(&p, 1000, 1007, 2, 2, 2000) == 0);
	CHECK(media_pool_free_count(&p) == 4);
	/* Cold pairs oldest first. */
	CHECK(take(&p, 0, 0, &warm) == 1000 && !warm);
	CHECK(take(&p, 0, 0, &warm) == 1002 && !warm);
	CHECK(take(&p, 1, 0, &warm) == 1004 && !warm);
	/* 1000 back warm in ring 0 at t = 10 s: while it rests, the last
	 * cold pair goes first. */
	CHECK(media_pool_put_warm(&p, 0, 1000, 10000, false));
	CHECK(media_pool_warm_count(&p) == 1);
	CHECK(take(&p, 0, 11999, &warm) == 1006 && !warm);
	/* Nothing cold left: the resting one rather than nothing... */
	CHECK(take(&p, 0, 11999, &warm) == 1000 && warm);
	CHECK(media_pool_warm_count(&p) == 0);
	/* ...but only for its own ring. */
	CHECK(media_pool_put_warm(&p, 0, 1000, 12000, false));
	CHECK(take(&p, 1, 12000, &warm) == -1);
	CHECK(media_pool_free_count(&p) == 1);
	/* Rested: before any cold one. */
	media_pool_put_cold(&p, 1002);
	CHECK(take(&p, 0, 14000, &warm) == 1000 && warm);
	CHECK(take(&p, 0, 14000, &warm) == 1002 && !warm);
	/* At most 2 warm: a third is refused (the caller closes it), unless
	 * forced (its sockets are in an epoll set the caller cannot
	 * close). */
	CHECK(media_pool_put_warm(&p, 1, 1004, 15000, false));
	CHECK(media_pool_put_warm(&p, 1, 1006, 15000, false));
	CHECK(!media_pool_put_warm(&p, 0, 1000, 15000, false));
	CHECK(media_pool_warm_count(&p) == 2);
	CHECK(media_pool_put_warm(&p, 0, 1000, 15000, true));
	CHECK(media_pool_warm_count(&p) == 3);
	media_pool_put_cold(&p, 1002);
	CHECK(media_pool_free_count(&p) == 4);
	/* Ring 1 takes its warm pairs in the order they came back. */
	CHECK(take(&p, 1, 17000, &warm) == 1004 && warm);
	CHECK(take(&p, 1, 17000, &warm) == 1006 && warm);
	CHECK(take(&p, 1, 17000, &warm) == 1002 && !warm);
	CHECK(take(&p, 1, 17000, &warm) == -1);
	CHECK(take(&p, 0, 17000, &warm) == 1000 && warm);
	CHECK(media_pool_free_count(&p) == 0);
	media_pool_fini(&p);
	return 0;
}
