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

/* Do libsofia-sip-ua's calls of su_home_clone() reach sofia_home.c? */
bool trunk_sofia_home_check(void);

#endif
