/*
 * trunk/overload.c: the call-rate token bucket, the standing-queue
 * detector and the memory of refused INVITEs behind the stateless 503s
 * (pure functions, time given in microseconds).
 */
#include "unit_test.h"
#include "trunk/overload.h"

#define MS 1000LL
#define S  1000000LL

/* A full bucket lets `burst` calls through at once, then one per 1/rate
 * seconds; it never holds more than burst however long it was idle. */
static int bucket_burst_then_rate(void)
{
	struct trunk_bucket b = { 0 };
	int64_t t = 5 * S;
	int ok = 0;

	trunk_bucket_set(&b, 10, 3, t);
	for (int i = 0; i < 5; i++)
		ok += trunk_bucket_take(&b, t);
	CHECK(ok == 3);
	CHECK(!trunk_bucket_take(&b, t + 99 * MS)); /* 0.99 token */
	CHECK(trunk_bucket_take(&b, t + 100 * MS)); /* refilled: 1 */
	CHECK(!trunk_bucket_take(&b, t + 100 * MS));
	/* One hour idle: still only 3. */
	t += 3600 * S;
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += trunk_bucket_take(&b, t);
	CHECK(ok == 3);
	/* A steady 20/s offered for 10 s against 10/s: ~100 through. */
	ok = 0;
	for (int i = 1; i <= 200; i++)
		ok += trunk_bucket_take(&b, t + i * 50 * MS);
	CHECK(ok >= 99 && ok <= 101);
	return 0;
}

/* rate 0: no limit; burst 0 means one second's worth; a reload keeps
 * what a limiting bucket holds (no fresh burst), capped at the new size. */
static int bucket_unlimited_and_reload(void)
{
	struct trunk_bucket b = { 0 };
	int ok = 0;

	trunk_bucket_set(&b, 0, 0, 0);
	for (int i = 0; i < 1000; i++)
		CHECK(trunk_bucket_take(&b, 0));
	trunk_bucket_set(&b, 4, 0, S); /* was unlimited: starts full, 4 */
	CHECK(b.burst == 4);
	for (int i = 0; i < 10; i++)
		ok += trunk_bucket_take(&b, S);
	CHECK(ok == 4);
	trunk_bucket_set(&b, 100, 50, S); /* empty stays empty */
	CHECK(!trunk_bucket_take(&b, S));
	CHECK(trunk_bucket_take(&b, S + 10 * MS));
	trunk_bucket_set(&b, 100, 2, 10 * S); /* full 50 capped at 2 */
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += trunk_bucket_take(&b, 10 * S);
	CHECK(ok == 2);
	return 0;
}

/* Feed n INVITEs evenly over one 100 ms window starting at t, each having
 * waited wait_us; return how many were admitted. */
static int window(struct trunk_lag *l, int64_t t, int n, int64_t wait_us)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		trunk_lag_sample(l, wait_us, t + i * TRUNK_LAG_WINDOW_US / n);
		ok += trunk_lag_admit(l);
	}
	return ok;
}

/* A standing queue (every INVITE of a full window waited over the target)
 * cuts the admitted share by 30 % per window down to 5 %; the share
 * is spread evenly over the INVITEs. */
static int lag_standing_queue_sheds(void)
{
	struct trunk_lag l = { 0 };
	int64_t t = 10 * S;

	trunk_lag_set(&l, 10 * MS);
	CHECK(window(&l, t, 100, 30 * MS) == 100); /* judged at its end */
	CHECK(trunk_lag_share(&l) == 1000);
	t += TRUNK_LAG_WINDOW_US;
	/* The first INVITE of this window closes the last: 70 %. */
	CHECK(window(&l, t, 100, 30 * MS) == 70);
	CHECK(trunk_lag_share(&l) == 700);
	t += TRUNK_LAG_WINDOW_US;
	CHECK(window(&l, t, 100, 30 * MS) == 49);
	for (int i = 0; i < 20; i++) {
		t += TRUNK_LAG_WINDOW_US;
		window(&l, t, 100, 30 * MS);
	}
	CHECK(trunk_lag_share(&l) == TRUNK_LAG_ADMIT_MIN);
	CHECK(l.windows_overloaded >= 20);
	return 0;
}

/* Not overload: a burst where some INVITEs wait long but one did not (the
 * queue emptied), a quiet window (under TRUNK_LAG_MIN_SAMPLES), waits
 * that cannot be measured (TCP), and the detector switched off. */
static int lag_bursts_and_quiet_are_not_overload(void)
{
	struct trunk_lag l = { 0 };
	int64_t t = S;

	trunk_lag_set(&l, 10 * MS);
	for (int w = 0; w < 5; w++, t += TRUNK_LAG_WINDOW_US) {
		window(&l, t, 99, 200 * MS);
		trunk_lag_sample(&l, 1 * MS, t + 99 * MS); /* one quick one */
		CHECK(trunk_lag_admit(&l));
	}
	CHECK(trunk_lag_share(&l) == 1000);
	for (int w = 0; w < 5; w++, t += TRUNK_LAG_WINDOW_US)
		CHECK(window(&l, t, TRUNK_LAG_MIN_SAMPLES - 1, 500 * MS) ==
		      TRUNK_LAG_MIN_SAMPLES - 1);
	CHECK(window(&l, t, 100, -1) == 100);
	t += TRUNK_LAG_WINDOW_US;
	CHECK(window(&l, t, 100, -1) == 100);
	CHECK(l.windows_overloaded == 0);
	trunk_lag_set(&l, 0);
	for (int w = 0; w < 5; w++, t += TRUNK_LAG_WINDOW_US)
		CHECK(window(&l, t, 100, 900 * MS) == 100);
	CHECK(trunk_lag_share(&l) == 1000);
	return 0;
}

/* Recovery: +10 % per window without a standing queue, and idle windows
 * count as such, so from the floor every INVITE is admitted again at
 * most 1 s after the load went away (DESIGN.md: within 10 s). */
static int lag_recovers_within_a_second(void)
{
	struct trunk_lag l = { 0 };
	int64_t t = S;

	trunk_lag_set(&l, 10 * MS);
	for (int w = 0; w < 30; w++, t += TRUNK_LAG_WINDOW_US)
		window(&l, t, 200, 50 * MS);
	CHECK(trunk_lag_share(&l) == TRUNK_LAG_ADMIT_MIN);
	/* Load gone: nothing at all for 1 s; the share reported (tick) is
	 * back at 100 % without waiting for the next INVITE. */
	t += S;
	trunk_lag_tick(&l, t - 500 * MS);
	CHECK(trunk_lag_share(&l) < 1000);
	trunk_lag_tick(&l, t);
	CHECK(trunk_lag_share(&l) == 1000);
	trunk_lag_sample(&l, 0, t);
	CHECK(trunk_lag_share(&l) == 1000);
	CHECK(trunk_lag_admit(&l));
	/* Shed again, then a load the thread keeps up with: back to all
	 * within ten windows. */
	for (int w = 0; w < 30; w++, t += TRUNK_LAG_WINDOW_US)
		window(&l, t, 200, 50 * MS);
	for (int w = 0; w < 10; w++, t += TRUNK_LAG_WINDOW_US)
		window(&l, t, 200, 100);
	trunk_lag_sample(&l, 100, t);
	CHECK(trunk_lag_share(&l) == 1000);
	return 0;
}

/* A refused INVITE is remembered by its key for the TTL (a retransmission
 * is refused again), not after; another key only replaces it when it
 * lands in the same slot. */
static int refused_remembered(void)
{
	static struct trunk_refused r; /* 1 MB: not on the stack */
	const char *a[] = { "call-1@pbx", "tag-a", "z9hG4bK-1", "1" };
	const char *b[] = { "call-1@pbx", "tag-a", "z9hG4bK-2", "1" };
	uint64_t ka = trunk_refused_key(a, 4), kb = trunk_refused_key(b, 4);
	int64_t t = 100 * S;

	CHECK(ka != kb && ka != 0);
	CHECK(ka == trunk_refused_key(a, 4));
	CHECK(!trunk_refused_seen(&r, ka, t));
	trunk_refused_add(&r, ka, t, 32 * S);
	CHECK(trunk_refused_seen(&r, ka, t + 500 * MS));
	CHECK(trunk_refused_seen(&r, ka, t + 31 * S));
	CHECK(!trunk_refused_seen(&r, ka, t + 32 * S));
	CHECK(!trunk_refused_seen(&r, kb, t + 1 * S));
	/* Same slot, other key: the newer one wins. */
	trunk_refused_add(&r, ka + TRUNK_REFUSED_SLOTS, t, 32 * S);
	CHECK(!trunk_refused_seen(&r, ka, t + 1 * S));
	CHECK(trunk_refused_seen(&r, ka + TRUNK_REFUSED_SLOTS, t + 1 * S));
	return 0;
}

/* A token given back (the INVITE did not become a call) is there for
 * the next; never more than the burst; nothing with no limit. */
static int bucket_give_back(void)
{
	struct trunk_bucket b = { 0 };
	int64_t t = 5 * S;

	trunk_bucket_set(&b, 1, 1, t);
	CHECK(trunk_bucket_take(&b, t));
	CHECK(!trunk_bucket_take(&b, t + 10 * MS));
	trunk_bucket_give(&b);
	CHECK(trunk_bucket_take(&b, t + 10 * MS));
	CHECK(!trunk_bucket_take(&b, t + 20 * MS));
	/* Full: a give adds nothing beyond the burst. */
	trunk_bucket_give(&b);
	trunk_bucket_give(&b);
	CHECK(trunk_bucket_take(&b, t + 20 * MS));
	CHECK(!trunk_bucket_take(&b, t + 20 * MS));
	trunk_bucket_set(&b, 0, 0, t);
	trunk_bucket_give(&b);
	CHECK(b.tokens_u == 0);
	CHECK(trunk_bucket_take(&b, t));
	return 0;
}

static const struct unit_case cases[] = {
	{ "bucket_give_back", bucket_give_back },
	{ "bucket_burst_then_rate", bucket_burst_then_rate },
	{ "bucket_unlimited_and_reload", bucket_unlimited_and_reload },
	{ "lag_standing_queue_sheds", lag_standing_queue_sheds },
	{ "lag_bursts_and_quiet_are_not_overload",
	  lag_bursts_and_quiet_are_not_overload },
	{ "lag_recovers_within_a_second", lag_recovers_within_a_second },
	{ "refused_remembered", refused_remembered },
};

UNIT_MAIN(cases)
