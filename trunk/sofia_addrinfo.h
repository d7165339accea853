/*
 * su_getaddrinfo() for dotted IPv4 hosts without glibc's getaddrinfo()
 * (sofia_addrinfo.c): the tport resolution of every message sent.
 */
#ifndef TRUNKD_SOFIA_ADDRINFO_H
#define TRUNKD_SOFIA_ADDRINFO_H

#include <stdbool.h>

struct addrinfo;

/* getaddrinfo()'s result for a dotted-quad NODE (decimal parts 0-255, no
 * leading zeros), a decimal SERVICE up to 65535 and HINTS of IPv4 or
 * either family, UDP or TCP, flags at most AI_NUMERICHOST|AI_NUMERICSERV:
 * 0 and *RES (free it with freeaddrinfo()); -1 for anything else, which
 * the caller hands to getaddrinfo(). */
int trunk_addrinfo_ipv4(const char *node, const char *service,
			const struct addrinfo *hints, struct addrinfo **res);

/* Do libsofia-sip-ua's calls of su_getaddrinfo(), inet_pton() and
 * strtoul() reach sofia_addrinfo.c? (the last two are not interposed under
 * ASan) */
bool trunk_sofia_addrinfo_check(void);

#endif
