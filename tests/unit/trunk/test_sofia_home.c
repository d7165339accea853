/*
 * trunk/sofia_home.c: the next su_home_clone() of the thread after
 * trunk_home_preload_next() gives its home a preload (its blocks come
 * from one area), and only that one; Sofia's sdp_parse() reaches it. The
 * installed libsofia-sip-ua, linked like trunkd.
 */
#include <stdint.h>
#include <string.h>

#include "unit_test.h"
#include "trunk/sofia_home.h"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

static unsigned freed;

static void on_free(void *arg)
{
	(void)arg;
	freed++;
}

/* Do two small blocks of HOME come one after the other from a preload
 * area? (16 bytes of header each there; malloc'd ones have a 32-byte
 * header and a chunk header: 64 bytes apart or more) */
static bool preloaded(su_home_t *home)
{
	char *a = su_alloc(home, 16), *b = su_alloc(home, 16);

	return a && b && b > a && b - a < 48;
}

#if defined(__SANITIZE_ADDRESS__)
#define EXPECT_PRELOAD false /* a no-op under ASan */
#else
#define EXPECT_PRELOAD true
#endif

static int next_clone_only(void)
{
	su_home_t parent[1] = { SU_HOME_INIT(parent) };
	su_home_t *h;

	CHECK(trunk_home_preload_pending() == 0);
	h = su_home_clone(NULL, sizeof(*h));
	CHECK(h != NULL && !preloaded(h)); /* Sofia's as it is */
	su_home_unref(h);

	trunk_home_preload_next(1024);
	CHECK(trunk_home_preload_pending() == (EXPECT_PRELOAD ? 1024 : 0));
	h = su_home_clone(NULL, sizeof(*h));
	CHECK(trunk_home_preload_pending() == 0); /* taken */
	CHECK(h != NULL && preloaded(h) == EXPECT_PRELOAD);
	CHECK(su_home_destructor(h, on_free) == 0);
	freed = 0;
	su_home_unref(h);
	CHECK(freed == 1);

	h = su_home_clone(NULL, sizeof(*h)); /* the next one: Sofia's */
	CHECK(h != NULL && !preloaded(h));
	su_home_unref(h);

	/* A clone of a parent: freed with it, or on its own. */
	trunk_home_preload_next(512);
	h = su_home_clone(parent, sizeof(*h));
	CHECK(h != NULL && preloaded(h) == EXPECT_PRELOAD);
	CHECK(su_strdup(h, "a string past the small blocks") != NULL);
	su_home_unref(h);
	trunk_home_preload_next(512);
	h = su_home_clone(parent, sizeof(*h));
	CHECK(h != NULL && su_home_destructor(h, on_free) == 0);
	freed = 0;
	su_home_deinit(parent);
	CHECK(freed == 1);
	return 0;
}

static int cleared(void)
{
	su_home_t *h;

	trunk_home_preload_next(512);
	trunk_home_preload_next(0);
	CHECK(trunk_home_preload_pending() == 0);
	h = su_home_clone(NULL, sizeof(*h));
	CHECK(h != NULL && !preloaded(h));
	su_home_unref(h);
	return 0;
}

/* More blocks than the preload holds: the rest is malloc'd, all freed. */
static int overflow(void)
{
	su_home_t *h;

	trunk_home_preload_next(64);
	h = su_home_clone(NULL, sizeof(*h));
	CHECK(h != NULL);
	for (int i = 0; i < 100; i++) {
		char *s = su_alloc(h, 40);

		CHECK(s != NULL);
		memset(s, 'x', 40);
	}
	su_home_unref(h);
	return 0;
}

static int sofia_reaches_it(void)
{
	static const char sdp[] = "v=0\r\n"
				  "o=- 1 1 IN IP4 192.0.2.1\r\n"
				  "s=-\r\n"
				  "c=IN IP4 192.0.2.1\r\n"
				  "t=0 0\r\n"
				  "m=audio 4000 RTP/AVP 0 8\r\n"
				  "a=rtpmap:0 PCMU/8000\r\n";
	sdp_parser_t *p;

	CHECK(trunk_sofia_home_check());
	trunk_home_preload_next(2048);
	p = sdp_parse(NULL, sdp, (issize_t)strlen(sdp), sdp_f_strict);
	CHECK(trunk_home_preload_pending() == 0); /* sdp_parse() cloned */
	CHECK(p != NULL && sdp_session(p) != NULL);
	CHECK(sdp_session(p)->sdp_media->m_port == 4000);
	sdp_parser_free(p);
	return 0;
}

static const struct unit_case cases[] = {
	{ "next_clone_only", next_clone_only },
	{ "cleared", cleared },
	{ "overflow", overflow },
	{ "sofia_reaches_it", sofia_reaches_it },
};

UNIT_MAIN(cases)
