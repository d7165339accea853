/*
 * trunk/sofia_time.c: su_duration() rounded up, and Sofia's reactor
 * sleeping until its timers instead of spinning (the installed
 * libsofia-sip-ua, linked like trunkd).
 */
#define SU_TIMER_ARG_T	   struct spin
#define SU_PREPOLL_MAGIC_T struct spin
struct spin;

#include "unit_test.h"
#include "trunk/gateway.h"

static su_time_t at(long sec, long usec)
{
	su_time_t t = { .tv_sec = sec, .tv_usec = usec };

	return t;
}

/* A positive remainder rounds up; whole milliseconds stay; negative
 * durations truncate toward zero; the clamps are Sofia's. */
static int rounds_up(void)
{
	CHECK(su_duration(at(10, 300), at(10, 0)) == 1);
	CHECK(su_duration(at(10, 1000), at(10, 0)) == 1);
	CHECK(su_duration(at(10, 1001), at(10, 0)) == 2);
	CHECK(su_duration(at(11, 0), at(10, 999999)) == 1);
	CHECK(su_duration(at(12, 500000), at(10, 0)) == 2500);
	CHECK(su_duration(at(10, 0), at(10, 0)) == 0);
	CHECK(su_duration(at(10, 0), at(10, 300)) == 0);
	CHECK(su_duration(at(10, 0), at(11, 500)) == -1000);
	CHECK(su_duration(at(4000000, 0), at(0, 0)) == SU_DURATION_MAX);
	CHECK(su_duration(at(0, 0), at(4000000, 0)) == -SU_DURATION_MAX);
	return 0;
}

struct spin {
	su_root_t *root;
	unsigned polls; /* reactor iterations */
	unsigned fired;
};

static void spin_prepoll(struct spin *s, su_root_t *root)
{
	(void)root;
	s->polls++;
}

static void spin_timer(su_root_magic_t *m, su_timer_t *t, struct spin *s)
{
	(void)m;
	(void)t;
	if (++s->fired == 20)
		su_root_break(s->root);
}

/* Twenty timers 2.6 ms apart, each 0.6 ms off a millisecond: the reactor
 * wakes about once per timer. With Sofia's truncating su_duration() it
 * spun on epoll_wait(0) for the last 0.6 ms before each (hundreds of
 * iterations per timer); the check also proves the executable's
 * definition is the one libsofia-sip-ua calls. */
static int reactor_sleeps(void)
{
	struct spin s = { 0 };
	su_timer_t *timers[20];
	su_time_t now;

	CHECK(trunk_sofia_time_check());
	su_init();
	s.root = su_root_create(NULL);
	CHECK(s.root != NULL);
	CHECK(su_root_add_prepoll(s.root, spin_prepoll, &s) == 0);
	now = su_now();
	for (int i = 0; i < 20; i++) {
		su_time_t when = now;
		long usec = (long)when.tv_usec + 5000 + i * 2600 + 600;

		when.tv_sec += usec / 1000000;
		when.tv_usec = usec % 1000000;
		timers[i] = su_timer_create(su_root_task(s.root), 0);
		CHECK(timers[i] != NULL);
		CHECK(su_timer_set_at(timers[i], spin_timer, &s, when) == 0);
	}
	su_root_run(s.root);
	CHECK(s.fired == 20);
	printf("reactor iterations for 20 timers: %u\n", s.polls);
	CHECK(s.polls <= 80);
	for (int i = 0; i < 20; i++)
		su_timer_destroy(timers[i]);
	su_root_destroy(s.root);
	su_deinit();
	return 0;
}

static const struct unit_case cases[] = {
	{ "rounds_up", rounds_up },
	{ "reactor_sleeps", reactor_sleeps },
};

UNIT_MAIN(cases)
