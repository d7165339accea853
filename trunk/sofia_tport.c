/*
 * tport_primary_by_name() that sees the family of a bracketed IPv6 host.
 *
 * nta picks the transport of a request by tport_by_name(), which asks
 * tport_primary_by_name() for a listening transport of the protocol.
 * That one keeps to the destination's address family only when the host
 * is a bare IPv6 address ("::1"); for the host of a URI, an IPv6
 * reference ("[::1]"), it takes the first transport of the protocol,
 * whatever its family (Sofia-SIP 1.12.11; 1.13 has the same code). With
 * listen addresses of both families on a side, a request to an IPv6
 * SP-SSE left from the IPv4 socket and failed with EAFNOSUPPORT (a trunk
 * with address_family = ipv6, SC-15-2).
 *
 * The trunkd executable exports this definition (trunk/meson.build:
 * --export-dynamic-symbol), so libsofia-sip-ua's own call, which goes
 * through its PLT, lands here, like su_duration() (sofia_time.c): it
 * gives Sofia's function a copy of the name without the brackets and
 * changes nothing else. trunk_sofia_tport_check() tells whether the calls
 * land here.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <string.h>

#include "gateway.h"

#include <sofia-sip/tport.h>

typedef tport_t *(primary_by_name_f)(tport_t const *, tp_name_t const *);

tport_t *tport_primary_by_name(tport_t const *tp, tp_name_t const *tpn)
{
	static primary_by_name_f *sofia;
	const char *h = tpn ? tpn->tpn_host : NULL;
	size_t len = h ? strlen(h) : 0;

	if (!sofia) {
		sofia = (primary_by_name_f *)dlsym(RTLD_NEXT,
						   "tport_primary_by_name");
		if (!sofia)
			return NULL;
	}
	if (len > 2 && len - 2 < INET6_ADDRSTRLEN && h[0] == '[' &&
	    h[len - 1] == ']') {
		tp_name_t bare = *tpn;
		char host[INET6_ADDRSTRLEN];

		memcpy(host, h + 1, len - 2);
		host[len - 2] = '\0';
		bare.tpn_host = host;
		return sofia(tp, &bare);
	}
	return sofia(tp, tpn);
}

bool trunk_sofia_tport_check(void)
{
	return dlsym(RTLD_DEFAULT, "tport_primary_by_name") ==
	       (void *)tport_primary_by_name;
}
