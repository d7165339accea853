/*
 * Unit tests of the full trunkd.conf schema (trunk_config_schema) and the
 * cross-key rules of [trunk NAME] and [pbx NAME] (STYLE.md 16).
 * These check configuration rules that REG-2 and TLS-8 rely on; they do not
 * prove the requirements, which the integration tests do.
 * REQ: none (configuration validation)
 */
#include <stdio.h>
#include <string.h>

#include "trunk/gateway.h"
#include "trunk/trunk.h"
#include "unit_test.h"

static int load(const char *text, struct config **cfg)
{
	return unit_load(text, trunk_config_schema, cfg);
}

/* A static trunk with a domain is the smallest valid file; every other
 * section is absent and reads as its defaults. */
static int t_minimal(void)
{
	const struct config_section *g, *t;
	const char *const *items;
	struct config *cfg;

	CHECK(load("[trunk itsp1]\nmode = static\ndomain = sip.example.net\n",
		   &cfg) == 0);
	g = config_section_get(cfg, "global", NULL);
	CHECK(config_get_list(g, "enterprise_listen", &items) == 1);
	CHECK(!strcmp(items[0], "127.0.0.1:5060"));
	CHECK(config_section_get(cfg, "media", NULL));
	CHECK(config_section_get(cfg, "dialplan", NULL));
	t = config_section_get(cfg, "trunk", "itsp1");
	CHECK(t && !strcmp(config_get_str(t, "transport"), "tls"));
	CHECK(config_get_int(t, "register_expires") == 3600000);
	config_free(cfg);
	return 0;
}

static int t_registration_needs_aor(void)
{
	static const char text[] = "[trunk itsp1]\n"
				   "domain = sip.example.net\n"
				   "mode = registration\n"
				   "identities = +4930123450\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "needs registration_aor"));
	return 0;
}

static int t_needs_domain_or_proxy(void)
{
	struct config *cfg;

	CHECK(load("[global]\n[trunk t]\nmode = static\n", &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(2, "trunk needs domain"));
	CHECK(load("[trunk t]\nmode = static\nproxy = 192.0.2.10:5061\n",
		   &cfg) == 0);
	config_free(cfg);
	return 0;
}

static int t_tls_required_udp(void)
{
	static const char text[] = "[trunk t]\n"
				   "mode = static\n"
				   "domain = sip.example.net\n"
				   "transport = udp\n"
				   "tls_required = yes\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(5, "tls_required = yes but transport is not tls"));
	return 0;
}

static int t_secret_not_echoed(void)
{
	static const char text[] = "[trunk t]\n"
				   "mode = static\n"
				   "domain = sip.example.net\n"
				   "password = Hunter2secret\n"
				   "[phone alice]\n"
				   "extension = 100\n"
				   "[pbx p]\n"
				   "address = 192.0.2.20\n"
				   "username = pbx\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 3);
	CHECK(unit_has_err(4, "password without username"));
	CHECK(unit_has_err(5, "missing required key 'password' in "
			      "[phone alice]"));
	CHECK(unit_has_err(9, "username and password go together"));
	CHECK(!unit_any_err("Hunter2secret"));
	return 0;
}

/* pass_headers: a policed header or a non-token is refused at its line;
 * ordinary extension headers are accepted. */
static int t_pass_headers(void)
{
	static const char bad[] = "[trunk t]\n"
				  "mode = static\n"
				  "domain = sip.example.net\n"
				  "pass_headers = X-Account, History-Info, "
				  "a b\n";
	struct config *cfg;

	CHECK(load(bad, &cfg) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(4, "History-Info is built or policed by trunkd"));
	CHECK(unit_has_err(4, "a b is not a header name"));
	CHECK(load("[trunk t]\nmode = static\ndomain = d.example\n"
		   "pass_headers = User-to-User, X-Account\n",
		   &cfg) == 0);
	config_free(cfg);
	return 0;
}

/* [phone] forward_*: E.164 or a dial string, nothing else. */
static int t_phone_forward(void)
{
	struct config *cfg;

	CHECK(load("[phone a]\nextension = 200\npassword = x\n"
		   "forward_busy = +1 212 555\nforward_always = 12ab\n"
		   "forward_no_answer = +\n",
		   &cfg) == EINVAL);
	CHECK(unit_errs.n == 3);
	CHECK(unit_has_err(4, "forward_busy: not an E.164 number"));
	CHECK(unit_has_err(5, "forward_always: not an E.164 number"));
	CHECK(unit_has_err(6, "forward_no_answer: not an E.164 number"));
	CHECK(load("[phone a]\nextension = 200\npassword = x\n"
		   "forward_busy = +12125550000\nforward_always = *97\n",
		   &cfg) == 0);
	config_free(cfg);
	return 0;
}

/* [global] call limits and overload control (docs/operations.md): off by
 * default but for the automatic detector; a burst without a rate, a
 * Retry-After in fractions of a second and values out of range are
 * refused with their line. */
static int t_overload_limits(void)
{
	static const char trunk[] = "[trunk t]\nmode = static\n"
				    "domain = sip.example.net\n";
	const struct config_section *g;
	char text[512];
	struct config *cfg;

	CHECK(load(trunk, &cfg) == 0);
	g = config_section_get(cfg, "global", NULL);
	CHECK(config_get_int(g, "max_calls") == 0);
	CHECK(config_get_int(g, "max_call_rate") == 0);
	CHECK(config_get_int(g, "max_call_burst") == 0);
	CHECK(config_get_int(g, "overload_delay") == 5);
	CHECK(config_get_int(g, "overload_retry_after") == 5000);
	config_free(cfg);
	snprintf(text, sizeof(text),
		 "[global]\nmax_call_rate = 50\nmax_call_burst = 200\n"
		 "max_calls = 3000\noverload_delay = 0\n"
		 "overload_retry_after = 2s\n%s",
		 trunk);
	CHECK(load(text, &cfg) == 0);
	config_free(cfg);
	snprintf(text, sizeof(text), "[global]\nmax_call_burst = 10\n%s",
		 trunk);
	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_has_err(2, "max_call_burst needs max_call_rate"));
	snprintf(text, sizeof(text),
		 "[global]\noverload_retry_after = 1500ms\n%s", trunk);
	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_has_err(2, "whole seconds"));
	snprintf(text, sizeof(text),
		 "[global]\nmax_call_rate = -1\noverload_delay = 20s\n%s",
		 trunk);
	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(2, "max_call_rate"));
	CHECK(unit_has_err(3, "overload_delay"));
	return 0;
}

/* [pbx] acl and acl_transports: items that are no address, prefix or
 * transport are refused at their line; a PBX is found by source address
 * and transport (trunk_find_pbx), the next [pbx] covering the address
 * when the first does not take the transport. */
static int t_pbx_acl(void)
{
	static const char good[] = "[pbx tls]\n"
				   "address = 192.0.2.20\n"
				   "acl = 192.0.2.0/24, 2001:db8::/32\n"
				   "acl_transports = tls\n"
				   "[pbx any]\n"
				   "address = 192.0.2.21\n"
				   "acl = 192.0.2.21\n"
				   "[pbx udp]\n"
				   "address = 198.51.100.7\n"
				   "acl_transports = udp, tcp\n";
	const struct config_section *sec;
	struct config *cfg;
	bool by_addr;

	CHECK(load("[pbx p]\naddress = 192.0.2.20\n"
		   "acl = 192.0.2.0/33, pbx.example, 192.0.2.1/, ::1/128\n"
		   "acl_transports = udp, sctp\n",
		   &cfg) == EINVAL);
	CHECK(unit_errs.n == 4);
	CHECK(unit_has_err(3, "acl: \"192.0.2.0/33\" is no IP address"));
	CHECK(unit_has_err(3, "acl: \"pbx.example\" is no IP address"));
	CHECK(unit_has_err(3, "acl: \"192.0.2.1/\" is no IP address"));
	CHECK(unit_has_err(4, "acl_transports: \"sctp\" is none of udp"));
	CHECK(load(good, &cfg) == 0);
	sec = trunk_find_pbx(cfg, "192.0.2.99", "tls", &by_addr);
	CHECK(sec && !strcmp(config_section_name(sec), "tls") && by_addr);
	sec = trunk_find_pbx(cfg, "2001:db8::5", "tls", NULL);
	CHECK(sec && !strcmp(config_section_name(sec), "tls"));
	/* Over UDP the first does not take it; "any" covers .21 only. */
	CHECK(!trunk_find_pbx(cfg, "192.0.2.99", "udp", &by_addr) && by_addr);
	CHECK(!trunk_find_pbx(cfg, "192.0.2.99", NULL, &by_addr) && by_addr);
	sec = trunk_find_pbx(cfg, "192.0.2.21", "udp", NULL);
	CHECK(sec && !strcmp(config_section_name(sec), "any"));
	sec = trunk_find_pbx(cfg, "192.0.2.21", NULL, NULL);
	CHECK(sec && !strcmp(config_section_name(sec), "any"));
	sec = trunk_find_pbx(cfg, "198.51.100.7", "tcp", NULL);
	CHECK(sec && !strcmp(config_section_name(sec), "udp"));
	CHECK(!trunk_find_pbx(cfg, "198.51.100.7", "tls", &by_addr) && by_addr);
	CHECK(!trunk_find_pbx(cfg, "203.0.113.1", "udp", &by_addr) && !by_addr);
	config_free(cfg);
	return 0;
}

static const struct unit_case cases[] = {
	{ "pbx_acl", t_pbx_acl },
	{ "overload_limits", t_overload_limits },
	{ "phone_forward", t_phone_forward },
	{ "pass_headers", t_pass_headers },
	{ "minimal", t_minimal },
	{ "registration_needs_aor", t_registration_needs_aor },
	{ "needs_domain_or_proxy", t_needs_domain_or_proxy },
	{ "tls_required_udp", t_tls_required_udp },
	{ "secret_not_echoed", t_secret_not_echoed },
};

UNIT_MAIN(cases)
