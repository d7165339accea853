/*
 * Unit tests of trunk/tls.c's pure parts: the next hop toward a TLS
 * trunk's SP-SSE (the name Sofia verifies is the route's host, maddr says
 * where to connect) and the checks across [global], [enterprise] and
 * [trunk] sections (STYLE.md 16).
 */
#include <stdio.h>
#include <string.h>

#include "trunk/gateway.h"
#include "trunk/tls.h"
#include "unit_test.h"

static unsigned n_errs, err_line[8];
static char err_text[8][300];

static void collect(const char *file, unsigned line, const char *why, void *arg)
{
	(void)file;
	(void)arg;
	if (n_errs < 8) {
		err_line[n_errs] = line;
		snprintf(err_text[n_errs], sizeof(err_text[0]), "%s", why);
	}
	n_errs++;
}

static bool has_err(unsigned line, const char *text)
{
	unsigned i;

	for (i = 0; i < n_errs && i < 8; i++)
		if (err_line[i] == line && strstr(err_text[i], text))
			return true;
	return false;
}

/* The route of trunk t of TEXT toward its first proxy (or DNS) == want. */
static int route_is(const char *text, const char *want)
{
	const char *const *px;
	const struct config_section *t;
	struct config_addr a;
	struct config *cfg;
	char buf[400];

	CHECK(unit_load(text, trunk_config_schema, &cfg) == 0);
	t = config_section_get(cfg, "trunk", "t");
	CHECK(t);
	if (config_get_list(t, "proxy", &px)) {
		CHECK(config_addr_parse(px[0], &a) == 0);
		trunk_tls_route(t, &a, buf, sizeof(buf));
	} else {
		trunk_tls_route(t, NULL, buf, sizeof(buf));
	}
	if (strcmp(buf, want))
		fprintf(stderr, "route %s, want %s\n", buf, want);
	CHECK(!strcmp(buf, want));
	config_free(cfg);
	return 0;
}

#define TLS_GLOBAL "[global]\ntrunk_transports = udp, tls\n"

/* REQ: TLS-6 */
static int t_route_ip_maddr(void)
{
	/* Configured by IP: connect there, verify the domain. */
	return route_is(TLS_GLOBAL "[trunk t]\nmode = static\n"
				   "proxy = 192.0.2.10:5061\n"
				   "domain = carrier.example\n",
			"sip:carrier.example:5061;transport=tls;"
			"maddr=192.0.2.10;lr");
}

static int t_route_v6(void)
{
	return route_is(TLS_GLOBAL "[trunk t]\nmode = static\n"
				   "proxy = [2001:db8::1]:5061\n"
				   "domain = carrier.example\n",
			"sip:carrier.example:5061;transport=tls;"
			"maddr=[2001:db8::1];lr");
}

static int t_route_host_is_name(void)
{
	CHECK(route_is(TLS_GLOBAL "[trunk t]\nmode = static\n"
				  "proxy = sbc.carrier.example:5061\n",
		       "sip:sbc.carrier.example:5061;transport=tls;lr") == 0);
	/* tls_verify_name wins over the domain. */
	return route_is(TLS_GLOBAL "[trunk t]\nmode = static\n"
				   "proxy = sbc.carrier.example:5061\n"
				   "domain = carrier.example\n"
				   "tls_verify_name = sbc.carrier.example\n",
			"sip:sbc.carrier.example:5061;transport=tls;lr");
}

/* REQ: TLS-8 */
static int t_route_dns(void)
{
	/* Only TLS targets of the domain (SRV _sips._tcp), never UDP/TCP. */
	CHECK(route_is(TLS_GLOBAL "[trunk t]\nmode = static\n"
				  "domain = carrier.example\n",
		       "sip:carrier.example;transport=tls;lr") == 0);
	return route_is(TLS_GLOBAL "[trunk t]\nmode = static\n"
				   "domain = carrier.example\n"
				   "tls_verify_name = sse.carrier.example\n",
			"sip:sse.carrier.example;transport=tls;"
			"maddr=carrier.example;lr");
}

static int t_route_udp(void)
{
	return route_is("[trunk t]\nmode = static\nproxy = 192.0.2.10:5060\n"
			"domain = carrier.example\ntransport = udp\n",
			"sip:192.0.2.10:5060;transport=udp;lr");
}

static int t_config_check(void)
{
	static const char text[] =
		"[global]\n"					 /* 1 */
		"enterprise_transports = udp, tls\n"		 /* 2 */
		"[enterprise]\n"				 /* 3 */
		"[trunk a]\nmode = static\ndomain = a.example\n" /* 4-6 */
		"tls_certificate = /dev/null\n"			 /* 7 */
		"tls_key = /dev/null\n"				 /* 8 */
		"[trunk b]\nmode = static\ndomain = b.example\n" /* 9-11 */
		"transport = tls\n"				 /* 12 */
		"tls_certificate = /etc/hostname\n"		 /* 13 */
		"tls_key = /dev/null\n";			 /* 14 */
	struct config *cfg;

	CHECK(unit_load(text, trunk_config_schema, &cfg) == 0);
	n_errs = 0;
	CHECK(trunk_tls_config_check(cfg, collect, NULL) == 4);
	CHECK(has_err(2, "enterprise_transports has tls but [enterprise] has "
			 "no tls_certificate"));
	CHECK(has_err(4, "trunk a: transport = tls (the default) but [global] "
			 "trunk_transports has no tls"));
	CHECK(has_err(12, "trunk b: transport = tls but [global] "
			  "trunk_transports has no tls"));
	CHECK(has_err(13, "one certificate; trunk b names another than "
			  "trunk a"));
	config_free(cfg);
	return 0;
}

static const struct unit_case cases[] = {
	{ "route_ip_maddr", t_route_ip_maddr },
	{ "route_v6", t_route_v6 },
	{ "route_host_is_name", t_route_host_is_name },
	{ "route_dns", t_route_dns },
	{ "route_udp", t_route_udp },
	{ "config_check", t_config_check },
};

UNIT_MAIN(cases)
