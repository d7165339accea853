/*
 * A preload for the next home cloned on this thread, and the check that
 * libsofia's memory homes are trunkd's (trunk/sofia_alloc.c).
 *
 * Sofia's sdp_parse() clones a home for its parser and then allocates the
 * parsed session, its lines and a copy of the text on it, block by block,
 * about 10 per SDP and two SDPs per call (docs/benchmarks.md "instructions per call,
 * fourth pass"). The caller cannot preload that home: it is made and used
 * inside sdp_parse().
 *
 * trunk_home_preload_next(SIZE) asks for it: the next su_home_clone() of
 * this thread (sofia_alloc.c; libsofia's calls land there through its
 * PLT) gives the new home SIZE bytes of preload (su_home_preload()), so
 * that its blocks come from one area, freed with the home. The request is
 * taken by that one clone and cleared by trunk_home_preload_next(0). Not
 * under ASan, which checks each block on its own (as agent.c's message
 * preload); unit tests in tests/unit/trunk/test_sofia_home.c.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "sofia_home.h"

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_alloc_stat.h>

#undef su_home_desctructor

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

size_t trunk_home_preload_take(void)
{
	size_t size = preload_next;

	preload_next = 0;
	return size;
}

#define FN(name)                                                               \
	{                                                                      \
#name, (void *)name                                            \
	}

static const struct {
	const char *name;
	void *fn;
} replaced[] = {
	FN(su_alloc),
	FN(su_free),
	FN(su_home_auto),
	FN(su_home_check),
	FN(su_home_check_alloc),
	FN(su_home_clone),
	FN(su_home_create),
	FN(su_home_deinit),
	FN(su_home_desctructor),
	FN(su_home_destroy),
	FN(su_home_destructor),
	FN(su_home_get_stats),
	FN(su_home_has_parent),
	FN(su_home_init),
	FN(su_home_init_stats),
	FN(su_home_is_threadsafe),
	FN(su_home_lock),
	FN(su_home_move),
	FN(su_home_mutex_lock),
	FN(su_home_mutex_unlock),
	FN(su_home_new),
	FN(su_home_parent),
	FN(su_home_preload),
	FN(su_home_ref),
	FN(su_home_refcount),
	FN(su_home_stat_add),
	FN(su_home_threadsafe),
	FN(su_home_trylock),
	FN(su_home_unlock),
	FN(su_home_unref),
	FN(su_in_home),
	FN(su_realloc),
	FN(su_salloc),
	FN(su_zalloc),
};

const char *trunk_sofia_alloc_missing(void)
{
	for (size_t i = 0; i < sizeof(replaced) / sizeof(replaced[0]); i++)
		if (dlsym(RTLD_DEFAULT, replaced[i].name) != replaced[i].fn)
			return replaced[i].name;
	return NULL;
}

bool trunk_sofia_home_check(void)
{
	return trunk_sofia_alloc_missing() == NULL;
}
