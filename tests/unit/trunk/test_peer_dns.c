/*
 * trunk/peer_dns.c: the order of a trunk's SRV targets (RFC 2782), with
 * the random draws fixed by the test; the worst case of an unanswered
 * query, the Retry-After of a call refused while a lookup is out and
 * the rate of the WARNs of such refusals.
 * REQ: STA-1
 */
#include <string.h>

#include "unit_test.h"
#include "trunk/peer_dns.h"

static void srv(struct trunk_dns_srv *r, const char *target, unsigned prio,
		unsigned weight)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->target, target);
	r->prio = prio;
	r->weight = weight;
	r->port = 5060;
}

/* Draws returned in turn from the array arg points at. */
struct draws {
	const unsigned long *v;
	size_t i;
};

static unsigned long draw(void *arg)
{
	struct draws *d = arg;

	return d->v[d->i++];
}

/* Lower priority first, whatever the weights and the draws. */
static int priority_first(void)
{
	static const unsigned long r[] = { 0, 0, 0, 0 };
	struct draws d = { r, 0 };
	struct trunk_dns_srv v[4];

	srv(&v[0], "c", 30, 50);
	srv(&v[1], "a", 10, 0);
	srv(&v[2], "d", 40, 1);
	srv(&v[3], "b", 20, 100);
	trunk_dns_srv_order(v, 4, draw, &d);
	CHECK(!strcmp(v[0].target, "a") && !strcmp(v[1].target, "b") &&
	      !strcmp(v[2].target, "c") && !strcmp(v[3].target, "d"));
	return 0;
}

/* Within a priority, the draw picks by running sums of the weights:
 * weights 10, 30, 60 -> sums 10, 40, 100; a draw of 50 picks the third,
 * then of the remaining 10, 30 (sums 10, 40) a draw of 5 the first. */
static int weighted_draw(void)
{
	static const unsigned long r[] = { 50, 5, 0 };
	struct draws d = { r, 0 };
	struct trunk_dns_srv v[3];

	srv(&v[0], "w10", 10, 10);
	srv(&v[1], "w30", 10, 30);
	srv(&v[2], "w60", 10, 60);
	trunk_dns_srv_order(v, 3, draw, &d);
	CHECK(!strcmp(v[0].target, "w60"));
	CHECK(!strcmp(v[1].target, "w10"));
	CHECK(!strcmp(v[2].target, "w30"));
	/* The draw is taken modulo the sum + 1: 101 is 0 for sum 100. */
	static const unsigned long r2[] = { 101, 0, 0 };
	struct draws d2 = { r2, 0 };

	srv(&v[0], "w10", 10, 10);
	srv(&v[1], "w30", 10, 30);
	srv(&v[2], "w60", 10, 60);
	trunk_dns_srv_order(v, 3, draw, &d2);
	CHECK(!strcmp(v[0].target, "w10"));
	return 0;
}

/* Weight 0 records come first among their priority and win a draw of
 * 0 only; a record with weight keeps priority over them otherwise. */
static int zero_weight(void)
{
	static const unsigned long r[] = { 7, 0 };
	struct draws d = { r, 0 };
	struct trunk_dns_srv v[2];

	srv(&v[0], "heavy", 10, 10);
	srv(&v[1], "zero", 10, 0);
	trunk_dns_srv_order(v, 2, draw, &d);
	CHECK(!strcmp(v[0].target, "heavy") && !strcmp(v[1].target, "zero"));

	static const unsigned long r0[] = { 0, 0 };
	struct draws d0 = { r0, 0 };

	srv(&v[0], "heavy", 10, 10);
	srv(&v[1], "zero", 10, 0);
	trunk_dns_srv_order(v, 2, draw, &d0);
	CHECK(!strcmp(v[0].target, "zero") && !strcmp(v[1].target, "heavy"));
	return 0;
}

/* No records, one record: nothing to do, no draw taken. */
static int trivial(void)
{
	struct draws d = { NULL, 0 };
	struct trunk_dns_srv v[1];

	trunk_dns_srv_order(v, 0, draw, &d);
	srv(&v[0], "only", 10, 0);
	trunk_dns_srv_order(v, 1, draw, &d);
	CHECK(!strcmp(v[0].target, "only") && d.i == 0);
	return 0;
}

/* glibc's send_dg: per try, server ns waits retrans << ns, divided by
 * nscount past the first, at least 1 s; retry tries. */
static int query_worst(void)
{
	CHECK(trunk_dns_query_worst_ms(2, 2, 1) == 4000);  /* 2 + 2 */
	CHECK(trunk_dns_query_worst_ms(2, 2, 2) == 8000);  /* (2 + 2) x 2 */
	CHECK(trunk_dns_query_worst_ms(2, 2, 3) == 10000); /* (2+1+2) x 2 */
	CHECK(trunk_dns_query_worst_ms(2, 2, 0) == 4000);  /* as one */
	/* 4 / 3 rounds to 1, 2 / 3 to 0: at least 1 s. */
	CHECK(trunk_dns_query_worst_ms(1, 1, 3) == 3000);
	CHECK(trunk_dns_query_worst_ms(2, 0, 1) == 2000); /* one try */
	return 0;
}

/* Rounded up, at least 1 s, at most the cap. */
static int retry_after(void)
{
	CHECK(trunk_dns_retry_after(8000, 10) == 8);
	CHECK(trunk_dns_retry_after(7001, 10) == 8);
	CHECK(trunk_dns_retry_after(7000, 10) == 7);
	CHECK(trunk_dns_retry_after(1, 10) == 1);
	CHECK(trunk_dns_retry_after(0, 10) == 1);
	CHECK(trunk_dns_retry_after(-3000, 10) == 1);
	CHECK(trunk_dns_retry_after(10001, 10) == 10);
	CHECK(trunk_dns_retry_after(86400000LL, 10) == 10);
	return 0;
}

/* The first refusal is logged; the next ones within the interval only
 * counted; the first one at or past the interval logged with that
 * count, which starts again from 0. */
static int warn_rate(void)
{
	struct trunk_dns_warn w = { 0 };
	unsigned long held = 99;

	CHECK(trunk_dns_warn_take(&w, 5000, 10000, &held) && held == 0);
	held = 99;
	CHECK(!trunk_dns_warn_take(&w, 5000, 10000, &held) && held == 99);
	CHECK(!trunk_dns_warn_take(&w, 9000, 10000, &held));
	CHECK(!trunk_dns_warn_take(&w, 14999, 10000, &held));
	CHECK(trunk_dns_warn_take(&w, 15000, 10000, &held) && held == 3);
	CHECK(!trunk_dns_warn_take(&w, 15001, 10000, &held));
	/* A long quiet time: the next one is logged, with the one held. */
	CHECK(trunk_dns_warn_take(&w, 90000, 10000, &held) && held == 1);
	CHECK(trunk_dns_warn_take(&w, 200000, 10000, &held) && held == 0);
	/* A first refusal at time 0 (a clock that starts there) is logged
	 * too, and the next one at 0 is not. */
	struct trunk_dns_warn z = { 0 };

	CHECK(trunk_dns_warn_take(&z, 0, 10000, &held) && held == 0);
	CHECK(!trunk_dns_warn_take(&z, 0, 10000, &held));
	return 0;
}

static const struct unit_case cases[] = {
	{ "priority_first", priority_first },
	{ "query_worst", query_worst },
	{ "retry_after", retry_after },
	{ "trivial", trivial },
	{ "warn_rate", warn_rate },
	{ "weighted_draw", weighted_draw },
	{ "zero_weight", zero_weight },
};

UNIT_MAIN(cases)
