/*
 * Unit tests of the port pool's logic (media/pool.c) with a clock of
 * the test's own: the order cold and warm pairs are taken in, the rest
 * of a warm pair, the cap on warm pairs, the cap on bound pairs,
 * exhaustion.
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

	CHECK(media_pool_init(&p, 1001, 1010, 2, 8, 8, 2000) == EINVAL);
	CHECK(media_pool_init(&p, 1000, 1010, 0, 8, 8, 2000) == EINVAL);
	/* 4 pairs, 2 rings, at most 2 warm, a rest of 2 s. */
	CHECK(media_pool_init(&p, 1000, 1007, 2, 2, 4, 2000) == 0);
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

/* Idle pairs give way to live ones: a pair is kept warm only while at
 * most bound_cap pairs (live and warm, itself counted) hold sockets. */
int t_pool_bound_cap(void)
{
	struct media_pool p;
	bool warm;
	int i;

	/* 6 pairs, 1 ring, up to 4 warm, at most 3 bound. */
	CHECK(media_pool_init(&p, 2000, 2011, 1, 4, 3, 2000) == 0);
	for (i = 0; i < 4; i++)
		CHECK(take(&p, 0, 0, &warm) == 2000 + 2 * i && !warm);
	/* 4 live, all holding sockets (this one counted): over 3, closed. */
	CHECK(!media_pool_put_warm(&p, 0, 2000, 100, false));
	media_pool_put_cold(&p, 2000);
	/* 3 bound (2002, 2004, 2006 live): kept. */
	CHECK(media_pool_put_warm(&p, 0, 2002, 100, false));
	CHECK(media_pool_warm_count(&p) == 1);
	/* Still 3 bound (one warm, two live) when 2004 ends: kept. */
	CHECK(media_pool_put_warm(&p, 0, 2004, 100, false));
	CHECK(media_pool_warm_count(&p) == 2);
	/* A new call takes a cold pair (the warm ones rest): 4 bound; the
	 * next to end is closed, whatever warm_cap allows. */
	CHECK(take(&p, 0, 200, &warm) == 2008 && !warm);
	CHECK(!media_pool_put_warm(&p, 0, 2006, 300, false));
	media_pool_put_cold(&p, 2006);
	/* Forced (its sockets are in an epoll set): always kept. */
	CHECK(media_pool_put_warm(&p, 0, 2008, 300, true));
	CHECK(media_pool_warm_count(&p) == 3);
	CHECK(media_pool_free_count(&p) == 6);
	media_pool_fini(&p);
	return 0;
}
