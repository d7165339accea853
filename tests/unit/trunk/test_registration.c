/*
 * trunk/registration.c: the retry and refresh intervals (pure functions).
 * REQ: REG-6, REG-10, REG-12
 */
#include "unit_test.h"
#include "trunk/registration.h"

/* REG-6: 30 s after the first failure, doubling, capped at 960 s. */
static int backoff_doubles_to_960(void)
{
	static const unsigned want[] = { 30, 60, 120, 240, 480, 960, 960, 960 };
	unsigned i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(trunk_reg_backoff(i + 1, 0) == want[i]);
	CHECK(trunk_reg_backoff(1000, 0) == 960);
	return 0;
}

/* REG-10: a longer Retry-After wins; a shorter one does not shorten. */
static int backoff_retry_after(void)
{
	CHECK(trunk_reg_backoff(1, 3600) == 3600);
	CHECK(trunk_reg_backoff(6, 1200) == 1200);
	CHECK(trunk_reg_backoff(3, 10) == 120);
	return 0;
}

/* REG-12: refresh before the grant lapses: a minute early for long
 * grants, half-way for short ones, never at or after the expiry. */
static int refresh_before_expiry(void)
{
	unsigned g;

	CHECK(trunk_reg_refresh_after(3600) == 3540);
	CHECK(trunk_reg_refresh_after(4) == 2);
	CHECK(trunk_reg_refresh_after(120) == 60);
	for (g = 1; g < 5000; g++)
		CHECK(trunk_reg_refresh_after(g) < g || g == 1);
	return 0;
}

/* REG-6 with configured bases (register_retry_base/max: tests). */
static int backoff_configured(void)
{
	CHECK(trunk_reg_backoff_from(2, 8, 1, 0) == 2);
	CHECK(trunk_reg_backoff_from(2, 8, 2, 0) == 4);
	CHECK(trunk_reg_backoff_from(2, 8, 3, 0) == 8);
	CHECK(trunk_reg_backoff_from(2, 8, 100, 0) == 8);
	CHECK(trunk_reg_backoff_from(2, 8, 100, 20) == 20);
	CHECK(trunk_reg_backoff_from(0, 8, 1, 0) == 1);
	return 0;
}

/* REG-12, issue 6 bad input: a registrar's expires value is digits
 * only and at most 2^31 - 1 (RFC 3261 25.1); anything else is unusable
 * (-1), never wrapped to a small number (2^32 would be 0 in 32 bits). */
static int parse_delta_bad_values(void)
{
	CHECK(trunk_reg_parse_delta("3600") == 3600);
	CHECK(trunk_reg_parse_delta(" 0 ") == 0);
	CHECK(trunk_reg_parse_delta("1") == 1);
	CHECK(trunk_reg_parse_delta("2147483647") == 2147483647LL);
	CHECK(trunk_reg_parse_delta("2147483648") == -1);
	CHECK(trunk_reg_parse_delta("4294967296") == -1);
	CHECK(trunk_reg_parse_delta("99999999999999999999999") == -1);
	CHECK(trunk_reg_parse_delta("-1") == -1);
	CHECK(trunk_reg_parse_delta("12ab") == -1);
	CHECK(trunk_reg_parse_delta("") == -1);
	CHECK(trunk_reg_parse_delta(NULL) == -1);
	return 0;
}

static const struct unit_case cases[] = {
	{ "backoff_configured", backoff_configured },
	{ "backoff_doubles_to_960", backoff_doubles_to_960 },
	{ "backoff_retry_after", backoff_retry_after },
	{ "parse_delta_bad_values", parse_delta_bad_values },
	{ "refresh_before_expiry", refresh_before_expiry },
};

UNIT_MAIN(cases)
