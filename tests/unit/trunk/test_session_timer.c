/*
 * trunk/session_timer.c: RFC 4028 session-timer negotiation, one leg at a
 * time (pure functions).
 * REQ: SC-6-2
 */
#include <string.h>

#include "unit_test.h"
#include "trunk/session_timer.h"

static const struct trunk_st_conf conf = { .se = 1800, .min_se = 90 };

/* RFC 4028 8.1/9: a Session-Expires below our Min-SE gets 422 with ours;
 * one at the minimum is taken. */
static int uas_422_below_min_se(void)
{
	struct trunk_st_msg req = { .se = 60, .supported = true };
	struct trunk_st st;
	unsigned min_se = 0;

	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 422);
	CHECK(min_se == 90);
	req.se = 90;
	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0);
	CHECK(st.interval == 90);
	return 0;
}

/* The peer's refresher parameter decides; without one, a peer that
 * supports timers refreshes, else we do (RFC 4028 9). */
static int uas_refresher(void)
{
	struct trunk_st_msg req = { .se = 600, .refresher = "uac" };
	struct trunk_st st;
	unsigned min_se;

	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0);
	CHECK(st.interval == 600 && !st.we_refresh);
	CHECK(!strcmp(trunk_st_refresher_uas(&st), "uac"));
	req.refresher = "uas";
	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0 && st.we_refresh);
	CHECK(!strcmp(trunk_st_refresher_uas(&st), "uas"));
	CHECK(!strcmp(trunk_st_refresher_uac(&st), "uac"));
	req.refresher = NULL;
	req.supported = true;
	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0 && !st.we_refresh);
	req.supported = false;
	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0 && st.we_refresh);
	return 0;
}

/* No Session-Expires in the request: we impose ours (never below the
 * peer's Min-SE); with session_expires 0 there is no timer. */
static int uas_no_se_imposes_ours(void)
{
	struct trunk_st_conf off = { .se = 0, .min_se = 90 };
	struct trunk_st_msg req = { .min_se = 2000, .supported = true };
	struct trunk_st st;
	unsigned min_se;

	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0);
	CHECK(st.interval == 2000 && !st.we_refresh);
	req.min_se = 0;
	req.supported = false;
	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0);
	CHECK(st.interval == 1800 && st.we_refresh);
	CHECK(trunk_st_uas(&off, &req, &st, &min_se) == 0 && !st.interval);
	return 0;
}

/* We may shorten a long interval to ours, never below a Min-SE. */
static int uas_shortens_to_ours(void)
{
	struct trunk_st_msg req = { .se = 7200, .min_se = 3600 };
	struct trunk_st st;
	unsigned min_se;

	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0);
	CHECK(st.interval == 3600);
	req.min_se = 0;
	CHECK(trunk_st_uas(&conf, &req, &st, &min_se) == 0);
	CHECK(st.interval == 1800);
	return 0;
}

/* RFC 4028 7.2: the 2xx decides as UAC; no Session-Expires, no timer. */
static int uac_2xx(void)
{
	struct trunk_st_msg resp = { .se = 900, .refresher = "uas" };
	struct trunk_st st;

	trunk_st_uac_2xx(&resp, &st);
	CHECK(st.interval == 900 && !st.we_refresh);
	resp.refresher = "uac";
	trunk_st_uac_2xx(&resp, &st);
	CHECK(st.we_refresh);
	resp.refresher = NULL;
	trunk_st_uac_2xx(&resp, &st);
	CHECK(st.we_refresh);
	resp.se = 0;
	trunk_st_uac_2xx(&resp, &st);
	CHECK(!st.interval);
	return 0;
}

/* RFC 4028 7.4: retry with the 422's Min-SE, only if it is larger. */
static int uac_422_retry(void)
{
	CHECK(trunk_st_uac_422(90, 600) == 600);
	CHECK(trunk_st_uac_422(0, 120) == 120);
	CHECK(trunk_st_uac_422(600, 600) == 0);
	CHECK(trunk_st_uac_422(600, 0) == 0);
	return 0;
}

/* RFC 4028 10: refresh at half the interval; the other side's BYE at the
 * interval minus min(32 s, a third). */
static int due_times(void)
{
	struct trunk_st st = { .interval = 1800, .we_refresh = true };

	CHECK(trunk_st_due_ms(&st) == 900000);
	st.we_refresh = false;
	CHECK(trunk_st_due_ms(&st) == 1768000);
	st.interval = 90;
	CHECK(trunk_st_due_ms(&st) == 60000);
	st.interval = 6;
	CHECK(trunk_st_due_ms(&st) == 4000);
	st.interval = 0;
	CHECK(trunk_st_due_ms(&st) == 0);
	return 0;
}

/* RFC 3261 14.1: after a 491 the owner of the Call-ID waits 2.1-4 s, the
 * other side 0-2 s, in units of 10 ms. */
/* REQ: SC-6-1 */
static int glare_retry(void)
{
	CHECK(trunk_st_glare_ms(true, 0) == 2100);
	CHECK(trunk_st_glare_ms(true, 190) == 4000);
	CHECK(trunk_st_glare_ms(true, 191) == 2100);
	CHECK(trunk_st_glare_ms(false, 0) == 0);
	CHECK(trunk_st_glare_ms(false, 200) == 2000);
	CHECK(trunk_st_glare_ms(false, 201) == 0);
	for (uint32_t r = 0; r < 100000; r += 7) {
		uint32_t o = trunk_st_glare_ms(true, r * 2654435761u);
		uint32_t n = trunk_st_glare_ms(false, r * 2654435761u);

		CHECK(o >= 2100 && o <= 4000 && o % 10 == 0);
		CHECK(n <= 2000 && n % 10 == 0);
	}
	return 0;
}

static const struct unit_case cases[] = {
	{ "uas_422_below_min_se", uas_422_below_min_se },
	{ "uas_refresher", uas_refresher },
	{ "uas_no_se_imposes_ours", uas_no_se_imposes_ours },
	{ "uas_shortens_to_ours", uas_shortens_to_ours },
	{ "uac_2xx", uac_2xx },
	{ "uac_422_retry", uac_422_retry },
	{ "due_times", due_times },
	{ "glare_retry", glare_retry },
};

UNIT_MAIN(cases)
