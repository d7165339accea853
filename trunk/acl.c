/*
 * Who may send us calls (issue 3 item 2 and 4): PBXs by source address or
 * CIDR (their acl, else their address) and transport (acl_transports),
 * carriers by their SP-SSE addresses. Pure lookups over the
 * configuration, plus the source address and transport of a received
 * request.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/tport.h>

/* An ACL item "1.2.3.4" or "1.2.3.0/24" (or v6) as address family,
 * network and prefix length; false if it is none. */
static bool acl_parse(const char *item, int *af, unsigned char net[16],
		      int *bits)
{
	char buf[64];
	const char *slash = strchr(item, '/');
	size_t len = slash ? (size_t)(slash - item) : strlen(item);
	char *end;
	long b;

	*af = strchr(item, ':') ? AF_INET6 : AF_INET;
	*bits = *af == AF_INET ? 32 : 128;
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, item, len);
	buf[len] = '\0';
	if (inet_pton(*af, buf, net) != 1)
		return false;
	if (!slash)
		return true;
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	b = strtol(slash + 1, &end, 10);
	if (*end || b > *bits)
		return false;
	*bits = (int)b;
	return true;
}

bool trunk_acl_item_ok(const char *item)
{
	unsigned char net[16];
	int af, bits;

	return acl_parse(item, &af, net, &bits);
}

/* Does ip (text) match an ACL item? */
static bool acl_match(const char *item, const char *ip)
{
	unsigned char net[16], addr[16];
	int af, bits, i;

	if (!acl_parse(item, &af, net, &bits) || inet_pton(af, ip, addr) != 1)
		return false;
	for (i = 0; i < bits; i++) {
		int m = 0x80 >> (i % 8);

		if ((net[i / 8] & m) != (addr[i / 8] & m))
			return false;
	}
	return true;
}

/* The transports acl_transports names, as trunk_tport_proto() gives them. */
static const char *const acl_transports[] = { "udp", "tcp", "tls" };
#define ACL_NTRANSPORTS (sizeof(acl_transports) / sizeof(acl_transports[0]))

bool trunk_acl_transport_ok(const char *name)
{
	size_t i;

	for (i = 0; i < ACL_NTRANSPORTS; i++)
		if (!strcmp(name, acl_transports[i]))
			return true;
	return false;
}

const char *trunk_tport_proto(tport_t const *tp)
{
	const tp_name_t *tpn = tp ? tport_name(tp) : NULL;
	size_t i;

	for (i = 0; tpn && tpn->tpn_proto && i < ACL_NTRANSPORTS; i++)
		if (su_casematch(tpn->tpn_proto, acl_transports[i]))
			return acl_transports[i];
	return NULL;
}

/* Does sec's acl (or address) cover ip? */
static bool pbx_covers(const struct config_section *sec, const char *ip)
{
	const char *const *acl;
	struct config_addr a;
	size_t n, i;

	n = config_get_list(sec, "acl", &acl);
	for (i = 0; i < n; i++)
		if (acl_match(acl[i], ip))
			return true;
	return !n && config_get_addr(sec, "address", &a) &&
	       acl_match(a.host, ip);
}

/* Does sec take requests over proto (NULL: unknown)? */
static bool pbx_takes(const struct config_section *sec, const char *proto)
{
	const char *const *tp;
	size_t n = config_get_list(sec, "acl_transports", &tp), i;

	for (i = 0; i < n && proto; i++)
		if (!strcmp(tp[i], proto))
			return true;
	return n == 0;
}

const struct config_section *trunk_find_pbx(const struct config *cfg,
					    const char *ip, const char *proto,
					    bool *by_addr)
{
	const struct config_section *sec = NULL;

	if (by_addr)
		*by_addr = false;
	while ((sec = config_section_next(cfg, "pbx", sec))) {
		if (!pbx_covers(sec, ip))
			continue;
		if (by_addr)
			*by_addr = true;
		if (pbx_takes(sec, proto))
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
