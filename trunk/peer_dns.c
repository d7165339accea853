/*
 * Inbound sources of a trunk configured by domain only (no `proxy`):
 * the addresses RFC 3263 gives for its domain and transport, so that the
 * carrier's INVITEs from any of its SP-SSEs are accepted (STA-1), as they
 * are from the addresses of a `proxy` list (peer.c).
 *
 * The lookup follows RFC 3263 4.1 and 4.2 for the trunk's configured
 * transport: NAPTR records of the domain whose service is that transport
 * (SIP+D2U, SIP+D2T, SIPS+D2T) name the SRV records to use; without a
 * matching NAPTR, the default SRV name (_sip._udp, _sip._tcp,
 * _sips._tcp); every SRV target's A/AAAA addresses; without SRV records,
 * the domain's own. Outbound requests are resolved by nta per request;
 * this list only admits inbound ones.
 *
 * Like a `proxy` host name (peer.c) it is resolved when the trunks are
 * applied, at start and on every reload, with blocking lookups on the
 * signalling thread (never per call): a carrier that renumbers needs a
 * reload. A lookup that fails (no answer, SERVFAIL: the resolver's
 * TRY_AGAIN) keeps the trunk's previous addresses and stops that trunk's
 * other lookups, so a DNS outage during a reload neither drops a working
 * carrier nor blocks the thread for every target; the resolver's timeout
 * and retries are capped for the same reason. An answer that says there
 * is nothing (NXDOMAIN, no records) is taken as it is.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define SUBSYS "trunk.peer"

#define DNS_MAX_TARGETS 8  /* SRV targets per trunk */
#define DNS_MAX_IPS	16 /* addresses per trunk */
#define DNS_TIMEOUT	2  /* seconds per try, at most */
#define DNS_TRIES	2  /* tries per server, at most */

struct trunk_dns_src {
	char trunk[64];
	char ip[INET6_ADDRSTRLEN];
};

struct trunk_dns_srcs {
	size_t n, cap;
	struct trunk_dns_src *v;
};

/* One lookup pass: the resolver, an answer buffer the size of the largest
 * DNS message (a TCP answer can exceed any smaller one), and whether a
 * lookup of the current trunk failed rather than found nothing. */
struct dns_ctx {
	struct __res_state rs;
	bool failed;
	unsigned char buf[65536];
};

/* One DNS query of NAME for TYPE; its parsed answer in *msg. The number of
 * answer records, or -1 (ctx->failed set when the server gave no answer). */
static int dns_query(struct dns_ctx *ctx, const char *name, int type,
		     ns_msg *msg)
{
	int n;

	if (ctx->failed)
		return -1;
	n = res_nquery(&ctx->rs, name, ns_c_in, type, ctx->buf,
		       sizeof(ctx->buf));
	if (n < 0) {
		ctx->failed = ctx->rs.res_h_errno == TRY_AGAIN;
		return -1;
	}
	/* glibc returns the full length of an answer it had to truncate */
	if (n > (int)sizeof(ctx->buf))
		n = sizeof(ctx->buf);
	if (ns_initparse(ctx->buf, n, msg) < 0)
		return -1;
	return ns_msg_count(*msg, ns_s_an);
}

/* NAPTR (RFC 3403) of the domain: the SRV name of the best record whose
 * service is SERVICE and flag "S", into srv. 0 found, -1 none. */
static int dns_naptr(struct dns_ctx *ctx, const char *domain,
		     const char *service, char *srv, size_t len)
{
	ns_msg msg;
	ns_rr rr;
	int n = dns_query(ctx, domain, ns_t_naptr, &msg);
	unsigned long best = 0;
	bool found = false;

	for (int i = 0; i < n; i++) {
		const unsigned char *p, *end;
		char field[3][256], name[NS_MAXDNAME];
		unsigned long order;

		if (ns_parserr(&msg, ns_s_an, i, &rr) ||
		    ns_rr_type(rr) != ns_t_naptr || ns_rr_rdlen(rr) < 7)
			continue;
		p = ns_rr_rdata(rr);
		end = p + ns_rr_rdlen(rr);
		order = (unsigned long)(p[0] << 8 | p[1]) << 16 |
			(unsigned long)(p[2] << 8 | p[3]);
		p += 4;
		for (int f = 0; f < 3; f++) { /* flags, services, regexp */
			unsigned flen = p < end ? *p++ : 256;

			if (flen > 255 || flen > (size_t)(end - p))
				goto next;
			memcpy(field[f], p, flen);
			field[f][flen] = '\0';
			p += flen;
		}
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), p, name,
			      sizeof(name)) < 0)
			continue;
		if (strcasecmp(field[0], "s") ||
		    strcasecmp(field[1], service) || (found && order >= best))
			continue;
		best = order;
		found = true;
		snprintf(srv, len, "%s", name);
	next:;
	}
	return found ? 0 : -1;
}

/* 0 added, 1 already there, -1 no memory. */
static int dns_add(struct trunk_dns_srcs *s, const char *trunk, const char *ip)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].trunk, trunk) && !strcmp(s->v[i].ip, ip))
			return 1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct trunk_dns_src *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n].trunk, sizeof(s->v[0].trunk), "%s", trunk);
	snprintf(s->v[s->n].ip, sizeof(s->v[0].ip), "%s", ip);
	s->n++;
	return 0;
}

/* HOST's A/AAAA addresses as sources of TRUNK; how many were added. */
static unsigned dns_host(struct dns_ctx *ctx, struct trunk_dns_srcs *s,
			 const char *trunk, const char *host, unsigned room)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res, *ai;
	char ip[INET6_ADDRSTRLEN];
	unsigned added = 0;
	int rc;

	if (ctx->failed)
		return 0;
	if ((rc = getaddrinfo(host, NULL, &hints, &res))) {
		ctx->failed = rc == EAI_AGAIN;
		return 0;
	}
	for (ai = res; ai && added < room; ai = ai->ai_next) {
		const void *a;

		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, ip, sizeof(ip)) &&
		    dns_add(s, trunk, ip) == 0)
			added++;
	}
	freeaddrinfo(res);
	return added;
}

/* The SRV targets of NAME as sources of TRUNK: how many addresses in
 * *ips; the number of SRV records (targets "." included), -1 none. */
static int dns_srv(struct dns_ctx *ctx, struct trunk_dns_srcs *s,
		   const char *trunk, const char *name, unsigned *ips)
{
	ns_msg msg;
	ns_rr rr;
	int n = dns_query(ctx, name, ns_t_srv, &msg), records = 0;
	unsigned targets = 0;

	*ips = 0;
	for (int i = 0; i < n && targets < DNS_MAX_TARGETS; i++) {
		char target[NS_MAXDNAME];

		if (ns_parserr(&msg, ns_s_an, i, &rr) ||
		    ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7 ||
		    dn_expand(ns_msg_base(msg), ns_msg_end(msg),
			      ns_rr_rdata(rr) + 6, target, sizeof(target)) < 0)
			continue;
		records++;
		if (!strcmp(target, "") || !strcmp(target, "."))
			continue; /* RFC 2782: not available at this domain */
		targets++;
		*ips += dns_host(ctx, s, trunk, target, DNS_MAX_IPS - *ips);
	}
	return records ? records : -1;
}

/* What the trunk had before this lookup failed, into s; how many. */
static unsigned dns_keep(struct trunk_dns_srcs *s,
			 const struct trunk_dns_srcs *old, const char *trunk)
{
	unsigned kept = 0;

	for (size_t i = 0; old && i < old->n; i++)
		if (!strcmp(old->v[i].trunk, trunk) &&
		    dns_add(s, trunk, old->v[i].ip) == 0)
			kept++;
	return kept;
}

static void dns_trunk(struct dns_ctx *ctx, struct trunk_dns_srcs *s,
		      const struct trunk_dns_srcs *old,
		      const struct config_section *t)
{
	const char *trunk = config_section_name(t);
	const char *domain = config_get_str(t, "domain");
	const char *tp = config_get_str(t, "transport");
	const char *service = !strcmp(tp, "tls")   ? "SIPS+D2T"
			      : !strcmp(tp, "tcp") ? "SIP+D2T"
						   : "SIP+D2U";
	const char *prefix = !strcmp(tp, "tls")	  ? "_sips._tcp"
			     : !strcmp(tp, "tcp") ? "_sip._tcp"
						  : "_sip._udp";
	char srv[NS_MAXDNAME];
	size_t mark = s->n;
	unsigned ips = 0;
	bool naptr;

	ctx->failed = false;
	naptr = !dns_naptr(ctx, domain, service, srv, sizeof(srv));
	if (!naptr)
		snprintf(srv, sizeof(srv), "%s.%s", prefix, domain);
	/* RFC 3263 4.2: the domain's own addresses only without SRV records */
	if (dns_srv(ctx, s, trunk, srv, &ips) < 0 && !ctx->failed)
		ips = dns_host(ctx, s, trunk, domain, DNS_MAX_IPS);
	if (ctx->failed) {
		s->n = mark; /* a partial answer is no better than none */
		ips = dns_keep(s, old, trunk);
		LOGW(SUBSYS, NULL,
		     "trunk %s: DNS lookup of %s failed (no answer from the "
		     "server): kept its %u previous inbound address(es)",
		     trunk, domain, ips);
	} else if (ips)
		LOGI(SUBSYS, NULL,
		     "trunk %s: inbound accepted from %u address(es) of %s "
		     "(%s%s)",
		     trunk, ips, domain, naptr ? "NAPTR, " : "", srv);
	else
		LOGW(SUBSYS, NULL,
		     "trunk %s: %s resolves to no address: no inbound calls "
		     "from it until a reload resolves it",
		     trunk, domain);
}

int trunk_dns_srcs_apply(struct trunk_gateway *gw, const struct config *cfg)
{
	const struct config_section *t = NULL;
	struct trunk_dns_srcs *s = calloc(1, sizeof(*s));
	struct dns_ctx *ctx = NULL;
	const char *const *px;

	if (!s)
		return -1;
	while ((t = config_section_next(cfg, "trunk", t))) {
		const char *domain = config_get_str(t, "domain");

		if (config_get_list(t, "proxy", &px) || !domain || !*domain)
			continue;
		if (!ctx) {
			if (!(ctx = calloc(1, sizeof(*ctx)))) {
				free(s);
				return -1;
			}
			if (res_ninit(&ctx->rs)) {
				LOGW(SUBSYS, NULL,
				     "no DNS resolver (res_ninit "
				     "failed): trunks by domain "
				     "take no inbound calls");
				free(ctx);
				ctx = NULL;
				break;
			}
			if (ctx->rs.retrans > DNS_TIMEOUT)
				ctx->rs.retrans = DNS_TIMEOUT;
			if (ctx->rs.retry > DNS_TRIES)
				ctx->rs.retry = DNS_TRIES;
		}
		dns_trunk(ctx, s, gw->dns_srcs, t);
	}
	if (ctx) {
		res_nclose(&ctx->rs); /* glibc: frees and detaches all */
		free(ctx);
	}
	trunk_dns_srcs_free(gw);
	gw->dns_srcs = s;
	return 0;
}

const struct config_section *trunk_dns_src_trunk(struct trunk_gateway *gw,
						 const char *ip)
{
	const struct trunk_dns_srcs *s = gw->dns_srcs;

	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i].ip, ip))
			return config_section_get(gw->cfg, "trunk",
						  s->v[i].trunk);
	return NULL;
}

void trunk_dns_srcs_free(struct trunk_gateway *gw)
{
	if (!gw->dns_srcs)
		return;
	free(gw->dns_srcs->v);
	free(gw->dns_srcs);
	gw->dns_srcs = NULL;
}
