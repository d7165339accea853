/*
 * trunk/sofia_alloc.c: Sofia's memory homes (su_alloc.h) replaced, linked
 * like trunkd so that libsofia-sip-ua's own calls land there too. Each
 * case breaks if the semantics it names do (README of su_alloc.h: NULL
 * home, zeroed home, clones, destructors, preload, auto homes, move,
 * threadsafe homes).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit_test.h"
#include "trunk/sofia_home.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_alloc_stat.h>
#include <sofia-sip/url.h>

static char order[16];
static size_t norder;

static void mark_a(void *home)
{
	(void)home;
	order[norder++] = 'a';
}

static void mark_b(void *home)
{
	(void)home;
	order[norder++] = 'b';
}

/* Every function of su_alloc.c and su_alloc_lock.c resolves here, and
 * libsofia's own allocations use it (url_hdup() on a clone). */
static int all_interposed(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *u;

	CHECK(trunk_sofia_alloc_missing() == NULL);
	CHECK(trunk_sofia_home_check());
	u = url_hdup(home,
		     (url_t *)URL_STRING_MAKE("sip:a@192.0.2.1:5060")->us_url);
	CHECK(u != NULL && strcmp(u->url_host, "192.0.2.1") == 0);
	CHECK(su_in_home(home, u));
	su_home_deinit(home);
	return 0;
}

/* A NULL home is malloc()/free()/realloc(). */
static int null_home(void)
{
	char *p = su_alloc(NULL, 10), *q;

	CHECK(p != NULL);
	strcpy(p, "123456789");
	q = su_realloc(NULL, p, 4000);
	CHECK(q != NULL && strcmp(q, "123456789") == 0);
	free(q); /* Sofia frees such memory with free() */
	q = su_zalloc(NULL, 64);
	CHECK(q != NULL && q[63] == 0);
	su_free(NULL, q);
	CHECK(su_in_home(NULL, "x") == 0);
	return 0;
}

/* A zeroed home works without su_home_init(); freeing in the middle
 * leaves the others intact; deinit frees the rest. */
static int free_middle(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	char *b[5];

	for (int i = 0; i < 5; i++) {
		b[i] = su_alloc(home, 100);
		CHECK(b[i] != NULL);
		memset(b[i], 'a' + i, 100);
	}
	su_free(home, b[2]);
	CHECK(!su_in_home(home, b[2]));
	for (int i = 0; i < 5; i++)
		if (i != 2)
			CHECK(su_in_home(home, b[i]) && b[i][99] == 'a' + i);
	su_free(home, b[0]);
	su_free(home, b[4]);
	CHECK(su_in_home(home, b[1]) && su_in_home(home, b[3]));
	CHECK(su_alloc(home, 0) == NULL);
	su_home_check(home);
	su_home_deinit(home);
	CHECK(home->suh_blocks == NULL);
	return 0;
}

static int realloc_preload(void)
{
	su_home_t *home = su_home_new(sizeof(*home));
	char *a, *b, *c, *d;

	CHECK(home != NULL);
	su_home_preload(home, 1, 1024);
	a = su_alloc(home, 32);
	b = su_alloc(home, 32);
	CHECK(a && b && b - a < 64); /* both from the area */
	memset(b, 'b', 32);
	c = su_realloc(home, b, 200); /* the last one: grows in place */
	CHECK(c == b && c[31] == 'b');
	d = su_realloc(home, a, 16); /* not the last: shrinks in place */
	CHECK(d == a);
	d = su_realloc(home, a, 300); /* not the last: moves out */
	CHECK(d != NULL && d != a && !su_in_home(home, a) &&
	      su_in_home(home, d));
	c = su_realloc(home, c, 5000); /* out of the area */
	CHECK(c != NULL && c[0] == 'b' && c[31] == 'b');
	memset(c, 'c', 5000);
	c = su_realloc(home, c, 9000); /* malloc'd: realloc() */
	CHECK(c != NULL && c[4999] == 'c' && su_in_home(home, c));
	CHECK(su_realloc(home, c, 0) == NULL && !su_in_home(home, c));
	a = su_realloc(home, NULL, 10);
	CHECK(a != NULL && su_in_home(home, a));
	su_home_check(home);
	CHECK(su_home_unref(home) == 1);
	return 0;
}

/* su_alloc() of a home without a lock takes its preload area's room
 * without the home's general path (sofia_alloc.c preload_fast()); a
 * threadsafe home takes the general one. Both must carve the same blocks:
 * same offsets into the area, the last one freed rolls the area back,
 * what does not fit is malloc'd. */
static int preload_paths(void)
{
	static const int sizes[] = { 1, 15, 16, 17, 100, 7, 300, 64 };
	su_home_t *fast = su_home_new(sizeof(*fast));
	su_home_t *slow = su_home_new(sizeof(*slow));
	char *f0, *s0, *f, *s;

	CHECK(fast && slow && su_home_threadsafe(slow) == 0);
	su_home_preload(fast, 1, 1024);
	su_home_preload(slow, 1, 1024);
	f0 = su_alloc(fast, 8);
	s0 = su_alloc(slow, 8);
	CHECK(f0 && s0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		f = su_alloc(fast, sizes[i]);
		s = su_alloc(slow, sizes[i]);
		CHECK(f && s && f - f0 == s - s0);
		memset(f, 'f', (size_t)sizes[i]);
		su_free(fast, f); /* the last one: the area rolls back */
		su_free(slow, s);
		CHECK(su_alloc(fast, sizes[i]) == f);
		CHECK(su_alloc(slow, sizes[i]) == s);
	}
	/* 784 of the 1,024 bytes are taken: 300 more do not fit */
	f = su_alloc(fast, 300);
	CHECK(f && su_in_home(fast, f) && !(f > f0 && f - f0 < 1024));
	su_free(fast, f);
	CHECK(!su_in_home(fast, f));
	CHECK(su_alloc(fast, 0) == NULL && su_alloc(slow, 0) == NULL);
	su_home_check(fast);
	CHECK(su_home_unref(fast) == 1 && su_home_unref(slow) == 1);
	return 0;
}

static int clone_parent(void)
{
	su_home_t parent[1] = { SU_HOME_INIT(parent) };
	su_home_t *c1, *c2, *gc;

	c1 = su_home_clone(parent, sizeof(*c1));
	c2 = su_home_clone(parent, sizeof(*c2));
	CHECK(c1 && c2 && su_home_parent(c1) == parent);
	CHECK(su_home_has_parent(c2) && !su_home_has_parent(parent));
	gc = su_home_clone(c2, sizeof(*gc));
	CHECK(gc && su_strdup(gc, "grandchild") && su_strdup(c1, "c1"));
	CHECK(su_home_destructor(c1, mark_a) == 0);
	CHECK(su_home_destructor(c1, mark_b) == -1); /* one only */
	CHECK(su_home_destructor(gc, mark_b) == 0);
	CHECK(su_home_ref(c1) == c1 && su_home_refcount(c1) == 2);
	norder = 0;
	CHECK(su_home_unref(c1) == 0 && norder == 0);
	CHECK(su_home_unref(c1) == 1 && norder == 1); /* freed from parent */
	CHECK(!su_in_home(parent, c1) && su_in_home(parent, c2));
	su_home_deinit(parent); /* c2 and its child go with it */
	CHECK(norder == 2 && strncmp(order, "ab", 2) == 0);
	return 0;
}

static int destructor_first(void)
{
	su_home_t *home = su_home_new(sizeof(*home) + 64);
	char *kept;

	CHECK(home != NULL && home->suh_size == (int)sizeof(*home) + 64);
	kept = su_strdup(home, "still there");
	order[0] = 0;
	CHECK(su_home_destructor(home, mark_a) == 0);
	/* the destructor runs before the blocks go: check it by a clone
	 * whose destructor must come after the parent's */
	CHECK(su_home_destructor(su_home_clone(home, sizeof(su_home_t)),
				 mark_b) == 0);
	norder = 0;
	CHECK(kept != NULL);
	CHECK(su_home_unref(home) == 1);
	CHECK(norder == 2 && order[0] == 'a' && order[1] == 'b');
	return 0;
}

static int move(void)
{
	su_home_t src[1] = { SU_HOME_INIT(src) },
		  dst[1] = { SU_HOME_INIT(dst) };
	su_home_t *child;
	char *p, *q;

	su_home_preload(src, 1, 256);
	p = su_strdup(src, "preloaded");
	q = su_alloc(src, 4096);
	child = su_home_clone(src, sizeof(*child));
	CHECK(p && q && child && su_home_destructor(src, mark_a) == 0);
	norder = 0;
	CHECK(su_home_move(dst, src) == 0);
	CHECK(norder == 1); /* src's destructor ran */
	CHECK(su_in_home(dst, q) && !su_in_home(src, q));
	CHECK(su_home_parent(child) == dst);
	su_home_deinit(src);
	CHECK(strcmp(p, "preloaded") == 0); /* went with dst */
	su_free(dst, p);
	q = su_realloc(dst, q, 10);
	CHECK(q != NULL);
	su_home_deinit(dst);
	CHECK(su_home_move(dst, NULL) == 0);
	return 0;
}

static int auto_home(void)
{
	su_home_t area[SU_HOME_AUTO_SIZE(256)];
	su_home_t *home = su_home_auto(area, sizeof(area));
	char *p[20];

	CHECK(home != NULL);
	CHECK(su_home_auto(area, 16) == NULL);
	p[0] = su_alloc(home, 64);
	CHECK((char *)p[0] > (char *)area &&
	      (char *)p[0] < (char *)area + sizeof(area));
	for (int i = 1; i < 20; i++) { /* overflows to malloc */
		p[i] = su_alloc(home, 64);
		CHECK(p[i] != NULL);
		memset(p[i], 'x', 64);
	}
	CHECK((char *)p[19] < (char *)area ||
	      (char *)p[19] >= (char *)area + sizeof(area));
	CHECK(su_in_home(home, p[19]) && su_in_home(home, p[0]));
	su_home_deinit(home); /* frees the malloc'd ones, not the area */
	return 0;
}

static su_home_t *shared;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		char *p = su_alloc(shared, 24 + (size_t)(i % 40));

		if (!p)
			return (void *)1;
		if (i % 3)
			su_free(shared, p);
		if (i % 1000 == 0 && su_home_mutex_lock(shared) == 0)
			su_home_mutex_unlock(shared);
	}
	return NULL;
}

static int threadsafe(void)
{
	pthread_t t1, t2;
	void *r1, *r2;

	shared = su_home_new(sizeof(*shared));
	CHECK(shared && !su_home_is_threadsafe(shared));
	CHECK(su_home_lock(shared) == -1); /* no lock: a no-op */
	CHECK(su_home_threadsafe(shared) == 0 && su_home_is_threadsafe(shared));
	CHECK(su_home_threadsafe(NULL) == -1);
	CHECK(su_home_lock(shared) == 0 && su_home_trylock(shared) != 0);
	CHECK(su_home_unlock(shared) == 0);
	CHECK(pthread_create(&t1, NULL, hammer, NULL) == 0);
	CHECK(pthread_create(&t2, NULL, hammer, NULL) == 0);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	CHECK(r1 == NULL && r2 == NULL);
	su_home_check(shared);
	CHECK(su_home_refcount(shared) == 1);
	CHECK(su_home_unref(shared) == 1);
	return 0;
}

static int salloc_stats(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	su_home_stat_t hs[1];
	int *s = su_salloc(home, 32);

	CHECK(s != NULL && *s == 32);
	su_home_init_stats(home);
	su_home_get_stats(home, 1, hs, sizeof(hs));
	CHECK(hs->hs_size == (int)sizeof(hs));
	su_home_stat_add(hs, hs);
	su_home_deinit(home);
	CHECK(su_home_init(home) == 0 && home->suh_blocks != NULL);
	CHECK(su_home_ref(home) == home && su_home_unref(home) == 0);
	su_home_deinit(home);
	home[0] = (su_home_t){ 0 };
	su_home_deinit(home); /* never used: nothing to do */
	return 0;
}

/* A SIP message parsed and copied: Sofia's msg homes and headers. */
static int sofia_msg(void)
{
	static char const text[] =
		"INVITE sip:b@192.0.2.2 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
		"From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>\r\n"
		"Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"Content-Length: 0\r\n\r\n";
	msg_t *msg = msg_make(sip_default_mclass(), 0, text, sizeof(text) - 1);
	sip_t *sip = sip_object(msg);
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_from_t *f;

	CHECK(msg != NULL && sip != NULL && sip->sip_call_id != NULL);
	f = sip_from_dup(home, sip->sip_from);
	msg_destroy(msg);
	CHECK(f != NULL && strcmp(f->a_tag, "1") == 0);
	su_home_deinit(home);
	return 0;
}

/* A home with a preload of SIZE and one block of 10 bytes: *block. */
static su_home_t *area_home(size_t size, char **block)
{
	su_home_t *h = su_home_new(sizeof(*h));

	if (!h)
		return NULL;
	su_home_preload(h, 1, (isize_t)size);
	*block = su_alloc(h, 10);
	return h;
}

/* trunk_home_area_cache(): a freed home's preload area serves this
 * thread's next preload of its size class (sizes rounded up to 256 bytes:
 * the same memory, its blocks fresh, room for the rounded size), other
 * classes and areas over 8 KB are malloc()'d and free()d as before, at
 * most 16 of a class and MAX bytes in all are kept and counted by
 * trunk_home_area_cached(), 0 frees them (LeakSanitizer checks that in
 * the ASan build). */
static int area_cache(void)
{
	su_home_t *h[70];
	char *a, *b, *c;
	void *blocker;
	size_t one;

	trunk_home_area_cache(64 * 1024);
	CHECK(trunk_home_area_cached() == 0);
	h[0] = area_home(1000, &a); /* class 769..1024 */
	CHECK(h[0] != NULL && a != NULL);
	memset(a, 'a', 10);
	CHECK(su_home_unref(h[0]) == 1);
	one = trunk_home_area_cached();
	CHECK(one > 1024 && one < 1024 + 64);
	/* a malloc() of the area's size now would get the area back, were
	 * it freed: it must not */
	blocker = malloc(1024 + 32);
	CHECK(blocker != NULL && (char *)blocker + 48 != a);

	h[1] = area_home(2048, &b); /* another class: not the kept one */
	CHECK(h[1] != NULL && b != NULL && b != a);
	CHECK(trunk_home_area_cached() == one);
	h[2] = area_home(800, &c);     /* the same class */
	CHECK(h[2] != NULL && c == a); /* the kept area, its first block */
	CHECK(trunk_home_area_cached() == 0);
	c = su_alloc(h[2], 900); /* 800 asked, 1024 given: still in it */
	CHECK(c != NULL && c < a + 1024);
	memset(c, 'c', 900);
	su_home_check(h[2]);
	CHECK(su_home_unref(h[1]) == 1 && su_home_unref(h[2]) == 1);
	CHECK(trunk_home_area_cached() == 2 * one + 1024);
	free(blocker);

	h[0] = area_home(9000, &a); /* over 8 KB: never kept */
	CHECK(h[0] != NULL && a != NULL);
	CHECK(su_home_unref(h[0]) == 1);
	CHECK(trunk_home_area_cached() == 2 * one + 1024);

	for (int i = 0; i < 70; i++) {
		h[i] = area_home(1024, &a);
		CHECK(h[i] != NULL && a != NULL);
	}
	for (int i = 0; i < 70; i++) /* 16 kept, 54 freed */
		CHECK(su_home_unref(h[i]) == 1);
	CHECK(trunk_home_area_cached() == 16 * one + one + 1024);

	trunk_home_area_cache(3 * one); /* frees them; three at most now */
	CHECK(trunk_home_area_cached() == 0);
	for (int i = 0; i < 5; i++)
		CHECK((h[i] = area_home(1024, &a)) != NULL && a != NULL);
	for (int i = 0; i < 5; i++)
		CHECK(su_home_unref(h[i]) == 1);
	CHECK(trunk_home_area_cached() == 3 * one);

	trunk_home_area_cache(0);
	CHECK(trunk_home_area_cached() == 0);
	h[0] = area_home(1024, &a); /* none kept: malloc() */
	CHECK(h[0] != NULL && a != NULL);
	CHECK(su_home_unref(h[0]) == 1);
	CHECK(trunk_home_area_cached() == 0);
	return 0;
}

static const struct unit_case cases[] = {
	{ "all_interposed", all_interposed },
	{ "null_home", null_home },
	{ "free_middle", free_middle },
	{ "realloc_preload", realloc_preload },
	{ "clone_parent", clone_parent },
	{ "destructor_first", destructor_first },
	{ "move", move },
	{ "auto_home", auto_home },
	{ "threadsafe", threadsafe },
	{ "preload_paths", preload_paths },
	{ "salloc_stats", salloc_stats },
	{ "sofia_msg", sofia_msg },
	{ "area_cache", area_cache },
};

UNIT_MAIN(cases)
