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

	CHECK(media_pool_init(&p, 1001, 1010, 2, 8, 8, 2000, 2000) == EINVAL);
	CHECK(media_pool_init(&p, 1000, 1010, 0, 8, 8, 2000, 2000) == EINVAL);
	CHECK(media_pool_init(&p, 1000, 1010, 2, 8, 8, 2000, 2001) == EINVAL);
	/* 4 pairs, 2 rings, at most 2 warm, a rest of 2 s. */
	CHECK(media_pool_init(&p, 1000, 1007, 2, 2, 4, 2000, 2000) == 0);
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
	CHECK(media_pool_init(&p, 2000, 2011, 1, 4, 3, 2000, 2000) == 0);
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

/* Descriptors short: once a cold pair bound now would make a later
 * release close its sockets (a cap reached), a warm pair that rested
 * min_rest_ms goes before it; below the caps the full rest holds. */
int t_pool_short_rest(void)
{
	struct media_pool p;
	bool warm;

	/* 5 pairs, 1 ring, up to 2 warm, at most 4 bound; 2 s, 0.5 s. */
	CHECK(media_pool_init(&p, 1000, 1009, 1, 2, 4, 2000, 500) == 0);
	CHECK(take(&p, 0, 0, &warm) == 1000 && !warm);
	CHECK(take(&p, 0, 0, &warm) == 1002 && !warm);
	CHECK(take(&p, 0, 0, &warm) == 1004 && !warm);
	CHECK(media_pool_put_warm(&p, 0, 1000, 10000, false));
	/* 3 bound, 1 warm: below both caps, a cold one (1000 rests). */
	CHECK(take(&p, 0, 10600, &warm) == 1006 && !warm);
	CHECK(media_pool_put_warm(&p, 0, 1002, 10600, false));
	/* 2 warm (warm_cap): 1000 has rested 900 ms, before cold 1008. */
	CHECK(take(&p, 0, 10900, &warm) == 1000 && warm);
	/* 1002 only 300 ms: the cold one. */
	CHECK(take(&p, 0, 10900, &warm) == 1008 && !warm);
	/* Nothing cold left: 1002 however short its rest. */
	CHECK(take(&p, 0, 11000, &warm) == 1002 && warm);
	CHECK(take(&p, 0, 11000, &warm) == -1);
	/* The bound cap alone: 1008 closed, 1002 back warm (4 bound: 1000,
	 * 1004, 1006 live); 1002 not yet 500 ms: cold 1008 (5 bound). */
	media_pool_put_cold(&p, 1008);
	CHECK(media_pool_put_warm(&p, 0, 1002, 12000, false));
	CHECK(take(&p, 0, 12499, &warm) == 1008 && !warm);
	/* 1004 ends: closed (over the cap); then 4 bound, 1 warm: 1002
	 * has rested 500 ms, before cold 1004. */
	CHECK(media_pool_put_warm(&p, 0, 1004, 12499, false) == false);
	media_pool_put_cold(&p, 1004);
	CHECK(take(&p, 0, 12500, &warm) == 1002 && warm);
	media_pool_fini(&p);
	return 0;
}
