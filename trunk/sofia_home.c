/*
 * su_home_clone() with a preload for the next home cloned on this thread.
 *
 * Sofia's sdp_parse() clones a home for its parser and then allocates the
 * parsed session, its lines and a copy of the text on it, block by block:
 * each one a malloc() (a clone has no preload), a registration in the
 * home's table and a free() when the parser goes, about 10 per SDP and two
 * SDPs per call (README "instructions per call, fourth pass"). The caller
 * cannot preload that home: it is made and used inside sdp_parse().
 *
 * trunk_home_preload_next(SIZE) asks for it: the next su_home_clone() of
 * this thread (libsofia's calls land here through its PLT, the trunkd
 * executable exports the symbol, like su_duration() in sofia_time.c)
 * clones as Sofia does and then gives the new home SIZE bytes of preload
 * (su_home_preload()), so that its blocks come from one malloc'd area,
 * freed with the home. Every other clone is Sofia's own, untouched. The
 * request is taken by that one clone and cleared by
 * trunk_home_preload_next(0). Not under ASan, which checks each block on
 * its own (as agent.c's message preload); unit tests in
 * tests/unit/trunk/test_sofia_home.c.
 */
#include <dlfcn.h>
#include <stddef.h>

#include "sofia_home.h"

#include <sofia-sip/su_alloc.h>

static _Thread_local size_t preload_next;

void trunk_home_preload_next(size_t size)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)size;
#else
	preload_next = size;
#endif
}

size_t trunk_home_preload_pending(void)
{
	return preload_next;
}

typedef void *(clone_f)(su_home_t *, isize_t);

static void *next_clone; /* libsofia-sip-ua's */

void *su_home_clone(su_home_t *parent, isize_t size)
{
	clone_f *next;
	void *sym, *home;
	size_t preload = preload_next;

	sym = __atomic_load_n(&next_clone, __ATOMIC_RELAXED);
	if (!sym) { /* any thread: the same value */
		sym = dlsym(RTLD_NEXT, "su_home_clone");
		__atomic_store_n(&next_clone, sym, __ATOMIC_RELAXED);
	}
	if (!sym)
		return NULL;
	*(void **)&next = sym;
	home = next(parent, size);
	if (preload) {
		preload_next = 0;
		if (home)
			su_home_preload(home, 1, preload);
	}
	return home;
}

bool trunk_sofia_home_check(void)
{
	return dlsym(RTLD_DEFAULT, "su_home_clone") == (void *)su_home_clone;
}
