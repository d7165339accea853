/*
 * Private to trunk/: Sofia's url_d() done in fewer instructions
 * (sofia_url.c); libsofia-sip-ua's own calls reach it through the
 * executable's exported url_d().
 */
#ifndef TRUNKD_TRUNK_SOFIA_URL_H
#define TRUNKD_TRUNK_SOFIA_URL_H

#include <stdbool.h>

#include <sofia-sip/url.h>

/* url_d(): the same fields, return value and bytes written into s as
 * libsofia-sip-ua 1.12.11's. */
int trunk_url_d(url_t *url, char *s);

/* Do libsofia's url_d() calls land in sofia_url.c? */
bool trunk_sofia_url_check(void);

#endif
