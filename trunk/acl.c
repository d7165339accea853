/*
 * Who may send us calls (issue 3 item 2 and 4): PBXs by source address or
 * CIDR (their acl, else their address), carriers by their SP-SSE
 * addresses. Pure lookups over the configuration, plus the source address
 * of a received request.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/su.h>

/* Does ip (text) match an ACL item "1.2.3.4" or "1.2.3.0/24" (or v6)? */
static bool acl_match(const char *item, const char *ip)
{
	unsigned char net[16], addr[16];
	char buf[64];
	const char *slash = strchr(item, '/');
	int af = strchr(item, ':') ? AF_INET6 : AF_INET;
	int bits = af == AF_INET ? 32 : 128, i;

	snprintf(buf, sizeof(buf), "%.*s",
		 (int)(slash ? (size_t)(slash - item) : strlen(item)), item);
	if (inet_pton(af, buf, net) != 1 || inet_pton(af, ip, addr) != 1)
		return false;
	if (slash)
		bits = atoi(slash + 1);
	for (i = 0; i < bits; i++) {
		int m = 0x80 >> (i % 8);

		if ((net[i / 8] & m) != (addr[i / 8] & m))
			return false;
	}
	return true;
}

/* The [pbx] whose acl (or address) covers ip, or NULL. */
const struct config_section *trunk_find_pbx(const struct config *cfg,
					    const char *ip)
{
	const struct config_section *sec = NULL;
	const char *const *acl;
	struct config_addr a;
	size_t n, i;

	while ((sec = config_section_next(cfg, "pbx", sec))) {
		n = config_get_list(sec, "acl", &acl);
		for (i = 0; i < n; i++)
			if (acl_match(acl[i], ip))
				return sec;
		if (!n && config_get_addr(sec, "address", &a) &&
		    acl_match(a.host, ip))
			return sec;
	}
	return NULL;
}

/* The [trunk] one of whose SP-SSE addresses is ip, or NULL. Host names
 * are not resolved here (pure lookup): their addresses are the peers'
 * (peer.c, trunk_find_trunk_src). */
const struct config_section *trunk_find_trunk(const struct config *cfg,
					      const char *ip)
{
	const struct config_section *sec = NULL;
	const char *const *px;
	struct config_addr a;
	size_t n, i;

	while ((sec = config_section_next(cfg, "trunk", sec))) {
		n = config_get_list(sec, "proxy", &px);
		for (i = 0; i < n; i++)
			if (!config_addr_parse(px[i], &a) &&
			    acl_match(a.host, ip))
				return sec;
	}
	return NULL;
}

bool trunk_source_ip(nta_incoming_t *irq, char *ip, size_t len)
{
	msg_t *msg = nta_incoming_getrequest(irq);
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
	bool ok = false;

	if (ai && ai->ai_addr) {
		su_sockaddr_t *su = (su_sockaddr_t *)ai->ai_addr;

		ok = su_inet_ntop(su->su_family, SU_ADDR(su), ip, len) != NULL;
	}
	msg_destroy(msg);
	return ok;
}
