/*
 * RFC 4028 session-timer negotiation (see session_timer.h). Pure: no
 * Sofia, no clock.
 */
#include <strings.h>

#include "session_timer.h"

static unsigned st_max(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

uint16_t trunk_st_uas(const struct trunk_st_conf *c,
		      const struct trunk_st_msg *req, struct trunk_st *out,
		      unsigned *min_se)
{
	unsigned floor = st_max(c->min_se, req->min_se);
	struct trunk_st st = { 0, false };

	if (req->se) {
		/* RFC 4028 8.1/9: below our minimum -> 422 with ours. */
		if (req->se < c->min_se) {
			*min_se = c->min_se;
			return 422;
		}
		st.interval = req->se;
		/* We may shorten it, never below either Min-SE (9). */
		if (c->se && c->se < st.interval)
			st.interval = st_max(c->se, floor);
		if (req->refresher)
			st.we_refresh = !strcasecmp(req->refresher, "uas");
		else
			st.we_refresh = !req->supported;
	} else if (c->se) {
		/* The peer asked for nothing; we impose our interval and
		 * let the peer refresh only if it understands timers. */
		st.interval = st_max(c->se, floor);
		st.we_refresh = !req->supported;
	}
	*out = st;
	return 0;
}

void trunk_st_uac_2xx(const struct trunk_st_msg *resp, struct trunk_st *out)
{
	struct trunk_st st = { 0, false };

	if (resp->se) {
		st.interval = resp->se;
		/* The UAS must name the refresher; without it we refresh,
		 * which is safe whatever the peer meant. */
		st.we_refresh =
			!resp->refresher || !strcasecmp(resp->refresher, "uac");
	}
	*out = st;
}

unsigned trunk_st_uac_422(unsigned asked, unsigned resp_min_se)
{
	return resp_min_se > asked ? resp_min_se : 0;
}

const char *trunk_st_refresher_uas(const struct trunk_st *st)
{
	return st->we_refresh ? "uas" : "uac";
}

const char *trunk_st_refresher_uac(const struct trunk_st *st)
{
	return st->we_refresh ? "uac" : "uas";
}

uint64_t trunk_st_due_ms(const struct trunk_st *st)
{
	uint64_t ms = (uint64_t)st->interval * 1000;
	uint64_t margin = ms / 3 < 32000 ? ms / 3 : 32000;

	if (!st->interval)
		return 0;
	return st->we_refresh ? ms / 2 : ms - margin;
}

uint32_t trunk_st_glare_ms(bool call_id_owner, uint32_t rnd)
{
	/* 10 ms units: 210-400 for the owner, 0-200 for the other side. */
	return call_id_owner ? (210 + rnd % 191) * 10 : (rnd % 201) * 10;
}
