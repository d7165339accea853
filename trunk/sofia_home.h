/*
 * su_home_clone() with a preload for the next clone of this thread
 * (sofia_home.c): the homes Sofia's sdp_parse() makes for its parsers.
 */
#ifndef TRUNKD_SOFIA_HOME_H
#define TRUNKD_SOFIA_HOME_H

#include <stdbool.h>
#include <stddef.h>

/* The next su_home_clone() of this thread (Sofia's included) gives the new
 * home SIZE bytes of preload (at most 65535); 0 clears the request. A
 * no-op under ASan. */
void trunk_home_preload_next(size_t size);

/* The request not yet taken by a clone (0: none). */
size_t trunk_home_preload_pending(void);

/* Takes the request (sofia_alloc.c's su_home_clone()). */
size_t trunk_home_preload_take(void);

/* This thread keeps freed preload areas of up to 8 KB, MAX bytes in all,
 * for its next preloads of the same size instead of free() and malloc():
 * while it does, preload sizes are rounded up to 256 bytes, and at most
 * 16 areas of each such size are kept. The areas kept before are freed. 0: none kept (frees
 * them; the thread's last call before it ends). */
void trunk_home_area_cache(size_t max);

/* The bytes of the areas this thread keeps: free memory that malloc()
 * counts as in use (`trunkctl status heap` leaves them out). */
size_t trunk_home_area_cached(void);

/* The first of Sofia's allocator functions (su_alloc.c, su_alloc_lock.c)
 * that libsofia-sip-ua's calls would not find in sofia_alloc.c, or NULL
 * when all of them do. Mixed allocators corrupt memory: trunkd refuses to
 * start unless this is NULL. */
const char *trunk_sofia_alloc_missing(void);

/* trunk_sofia_alloc_missing() == NULL. */
bool trunk_sofia_home_check(void);

#endif
