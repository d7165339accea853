/*
 * Unit tests of config/: file syntax, every value type, sections, error
 * reporting, the logger and the Markdown reference (STYLE.md 16).
 *
 *   test_config CASE    run one case: exit 0 pass, 1 fail (reason on stderr)
 *   test_config         list the cases
 *
 * Config files are written to a mkdtemp() directory, removed at exit
 * (tests/unit/common/unit_test.h).
 * REQ: none (config has no requirement IDs of its own).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "config/outbuf.h"
#include "unit_test.h"

/* ---------------------------------------------------------------------- */
/* Schema under test: one key of every type, a named kind, a required one */

static int validate_calls;

static int t_global_validate(const struct config_section *sec,
			     config_error_h *eh, void *arg)
{
	validate_calls++;
	if (config_is_set(sec, "s") && !strcmp(config_get_str(sec, "s"), "x")) {
		eh(config_section_file(sec), config_key_line(sec, "s"),
		   "s: must not be x", arg);
		return 1;
	}
	return 0;
}

static const struct config_key t_keys[] = {
	{ "s", CONFIG_STRING, 0, 0, NULL, NULL, 0, "a string" },
	{ "i", CONFIG_INT, 1, 100, NULL, "7", 0, "bounded | integer" },
	{ "u", CONFIG_INT, 0, 0, NULL, NULL, 0, "unbounded integer" },
	{ "b", CONFIG_BOOL, 0, 0, NULL, "no", 0, "boolean" },
	{ "e", CONFIG_ENUM, 0, 0, "udp|tcp|tls", "udp", 0, "enum" },
	{ "d", CONFIG_DURATION, 1000, 3600000, NULL, "30s", 0, "duration" },
	{ "p", CONFIG_PATH, 0, 0, NULL, NULL, 0, "path" },
	{ "pe", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_MUST_EXIST, "file" },
	{ NULL },
};

static const struct config_key t_keys2[] = {
	{ "a", CONFIG_ADDR, 0, 0, NULL, NULL, 0, "address" },
	{ "l", CONFIG_LIST, 0, 3, "x|y|z|w", "x,y", 0, "list" },
	{ "fl", CONFIG_LIST, 0, 0, NULL, NULL, 0, "free list" },
	{ "n", CONFIG_E164_LIST, 0, 0, NULL, NULL, 0, "numbers" },
	{ "al", CONFIG_ADDR_LIST, 0, 2, NULL, NULL, 0, "addresses" },
	{ "lv", CONFIG_LOG_LEVELS, 0, 0, NULL, "info", CONFIG_F_RESTART,
	  "levels" },
	{ "pw", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_SECRET, "secret" },
	{ "pwi", CONFIG_INT, 0, 10, NULL, NULL, CONFIG_F_SECRET, "secret" },
	{ NULL },
};

static const struct config_key t_peer_keys[] = {
	{ "mode", CONFIG_ENUM, 0, 0, "a|b", NULL, CONFIG_F_REQUIRED, "mode" },
	{ "host", CONFIG_STRING, 0, 0, NULL, NULL, 0, "host" },
	{ "port", CONFIG_INT, 1, 65535, NULL, "5060", 0, "port" },
	{ NULL },
};

static int t_peer_validate(const struct config_section *sec, config_error_h *eh,
			   void *arg)
{
	validate_calls++;
	if (!strcmp(config_get_str(sec, "mode"), "b") &&
	    !config_is_set(sec, "host")) {
		eh(config_section_file(sec), config_key_line(sec, "mode"),
		   "mode = b needs host", arg);
		return 1;
	}
	return 0;
}

static const struct config_section_def t_global = {
	.name = "global",
	.help = "Global settings.",
	.keys = { t_keys, t_keys2, NULL },
	.validate = t_global_validate,
};

static const struct config_section_def t_peer = {
	.name = "peer",
	.named = true,
	.help = "[peer NAME]: a peer.",
	.keys = { t_peer_keys, NULL },
	.validate = t_peer_validate,
};

static const struct config_section_def t_need = {
	.name = "need",
	.required = true,
	.help = "Must be there.",
	.keys = { t_peer_keys + 1, NULL },
};

static const struct config_section_def *const t_schema[] = { &t_global, &t_peer,
							     NULL };

static const struct config_section_def *const t_schema_need[] = { &t_global,
								  &t_need,
								  NULL };

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static int load_schema(const char *text,
		       const struct config_section_def *const *schema,
		       struct config **cfg)
{
	validate_calls = 0;
	return unit_load(text, schema, cfg);
}

static int load(const char *text, struct config **cfg)
{
	return load_schema(text, t_schema, cfg);
}

static const struct config_section *global(const struct config *cfg)
{
	return config_section_get(cfg, "global", NULL);
}

static const struct config_key *t_key(const char *name)
{
	const struct config_key *k;

	for (k = t_keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	for (k = t_keys2; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

/* The parsed value of KEY as text: "42", "str", "host|port|6", "a|b". */
static void repr(const struct config_section *sec, const char *key, char *buf,
		 size_t size)
{
	const char *const *items;
	struct config_addr a;
	size_t n, i, o = 0;

	switch (t_key(key)->type) {
	case CONFIG_INT:
	case CONFIG_DURATION:
		snprintf(buf, size, "%lld", config_get_int(sec, key));
		return;
	case CONFIG_BOOL:
		snprintf(buf, size, "%d", config_get_bool(sec, key));
		return;
	case CONFIG_STRING:
	case CONFIG_ENUM:
	case CONFIG_PATH:
		snprintf(buf, size, "%s", config_get_str(sec, key));
		return;
	case CONFIG_ADDR:
		config_get_addr(sec, key, &a);
		snprintf(buf, size, "%s|%u|%d", a.host, a.port, a.ipv6);
		return;
	case CONFIG_LIST:
	case CONFIG_E164_LIST:
	case CONFIG_ADDR_LIST:
	case CONFIG_LOG_LEVELS:
		break;
	}
	n = config_get_list(sec, key, &items);
	buf[0] = 0;
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "|" : "",
				      items[i]);
}

/* One value of [global]: err NULL means it must parse to expect. */
struct vcase {
	const char *key, *value, *err, *expect;
};

static int run_values(const struct vcase *vc, size_t n)
{
	struct config *cfg;
	char text[512], got[512];
	size_t i;
	int rc;

	for (i = 0; i < n; i++, config_free(cfg)) {
		snprintf(text, sizeof(text), "[global]\n%s = %s\n", vc[i].key,
			 vc[i].value);
		rc = load(text, &cfg);
		if (vc[i].err &&
		    (rc != EINVAL || !unit_has_err(2, vc[i].err))) {
			fprintf(stderr, "%s = %s: want error '%s'\n", vc[i].key,
				vc[i].value, vc[i].err);
			CHECK(0);
		}
		if (vc[i].err)
			continue;
		if (rc) {
			fprintf(stderr, "%s = %s: rc %d\n", vc[i].key,
				vc[i].value, rc);
			CHECK(0);
		}
		repr(global(cfg), vc[i].key, got, sizeof(got));
		if (strcmp(got, vc[i].expect)) {
			fprintf(stderr, "%s = %s: got '%s', want '%s'\n",
				vc[i].key, vc[i].value, got, vc[i].expect);
			CHECK(0);
		}
	}
	return 0;
}

#define RUN_VALUES(t) run_values(t, sizeof(t) / sizeof(t[0]))

/* ---------------------------------------------------------------------- */
/* Value types                                                             */

static int t_type_string(void)
{
	static const struct vcase vc[] = {
		{ "s", "hello world", NULL, "hello world" },
		{ "s", "\"\"", "s: value is empty", NULL },
		{ "s", "", "s: value is empty", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_int(void)
{
	static const struct vcase vc[] = {
		{ "i", "1", NULL, "1" },
		{ "i", "100", NULL, "100" },
		{ "i", "0", "i: 0 is out of range 1..100", NULL },
		{ "i", "101", "i: 101 is out of range 1..100", NULL },
		{ "i", "12abc", "i: '12abc' is not an integer", NULL },
		{ "i", "+5", "is not an integer", NULL },
		{ "i", "0x10", "is not an integer", NULL },
		{ "u", "-42", NULL, "-42" },
		{ "u", "9223372036854775807", NULL, "9223372036854775807" },
		{ "u", "99999999999999999999", "is too large", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_bool(void)
{
	static const struct vcase vc[] = {
		{ "b", "yes", NULL, "1" },
		{ "b", "no", NULL, "0" },
		{ "b", "true", NULL, "1" },
		{ "b", "false", NULL, "0" },
		{ "b", "on", NULL, "1" },
		{ "b", "off", NULL, "0" },
		{ "b", "1", NULL, "1" },
		{ "b", "0", NULL, "0" },
		{ "b", "YES", NULL, "1" },
		{ "b", "maybe", "b: 'maybe' is not a boolean", NULL },
		{ "b", "2", "is not a boolean", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_enum(void)
{
	static const struct vcase vc[] = {
		{ "e", "udp", NULL, "udp" },
		{ "e", "tls", NULL, "tls" },
		{ "e", "sctp", "e: 'sctp' is not one of udp|tcp|tls", NULL },
		{ "e", "UDP", "is not one of", NULL },
		{ "e", "ud", "is not one of", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_duration(void)
{
	static const struct vcase vc[] = {
		{ "d", "1000ms", NULL, "1000" },
		{ "d", "30s", NULL, "30000" },
		{ "d", "5m", NULL, "300000" },
		{ "d", "1h", NULL, "3600000" },
		{ "d", "45", NULL, "45000" },
		{ "d", "999ms", "d: 999ms is out of range 1s..1h", NULL },
		{ "d", "61m", "d: 61m is out of range 1s..1h", NULL },
		{ "d", "2d", "d: '2d' is not a duration", NULL },
		{ "d", "-5s", "is not a duration", NULL },
		{ "d", "1.5s", "is not a duration", NULL },
		{ "d", "99999999999999999h", "is too long", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_addr(void)
{
	static const struct vcase vc[] = {
		{ "a", "192.0.2.1:5060", NULL, "192.0.2.1|5060|0" },
		{ "a", "192.0.2.1", NULL, "192.0.2.1|0|0" },
		{ "a", "[2001:db8::1]:5061", NULL, "2001:db8::1|5061|1" },
		{ "a", "[2001:db8::1]", NULL, "2001:db8::1|0|1" },
		{ "a", "2001:db8::1", NULL, "2001:db8::1|0|1" },
		{ "a", "sip.example.com:5061", NULL, "sip.example.com|5061|0" },
		{ "a", "localhost", NULL, "localhost|0|0" },
		{ "a", "192.0.2.1:0", "bad port", NULL },
		{ "a", "192.0.2.1:65536", "bad port", NULL },
		{ "a", "192.0.2.1:", "bad port", NULL },
		{ "a", "192.0.2.300", "bad IPv4 address", NULL },
		{ "a", "2001:db8::1:5060x", "bad IPv6 address", NULL },
		{ "a", "[2001:db8::1", "missing ']'", NULL },
		{ "a", "[192.0.2.1]:5060", "bad IPv6 address", NULL },
		{ "a", "[::1]x", "unexpected text after ']'", NULL },
		{ "a", "bad_host", "bad host name", NULL },
		{ "a", "-a.example", "bad host name", NULL },
		{ "a", "a..example", "bad host name", NULL },
		{ "a", ":5060", "the host is missing", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_addr_parse(void)
{
	struct config_addr a = { "unchanged", 7, false };

	CHECK(config_addr_parse("[::1]:5061", &a) == 0);
	CHECK(!strcmp(a.host, "::1") && a.port == 5061 && a.ipv6);
	CHECK(config_addr_parse("x:y", &a) == EINVAL);
	CHECK(!strcmp(a.host, "::1")); /* not written on error */
	return 0;
}

static int t_type_list(void)
{
	static const struct vcase vc[] = {
		{ "l", "x", NULL, "x" },
		{ "l", " z , x,y ", NULL, "z|x|y" },
		{ "l", "x,q", "l: 'q' is not one of x|y|z|w", NULL },
		{ "l", "x,y,z,w", "l: 4 items, at most 3", NULL },
		{ "l", "x,,y", "l: item 2 is empty", NULL },
		{ "l", "x,", "l: item 2 is empty", NULL },
		{ "l", "x,y,x", "l: 'x' is listed twice", NULL },
		{ "fl", "a,b,c,d,e,f", NULL, "a|b|c|d|e|f" },
	};
	return RUN_VALUES(vc);
}

static int t_type_e164(void)
{
	static const struct vcase vc[] = {
		{ "n", "+4930123450", NULL, "+4930123450" },
		{ "n", "+4930123400-+4930123499, +1", NULL,
		  "+4930123400-+4930123499|+1" },
		{ "n", "+123456789012345", NULL, "+123456789012345" },
		{ "n", "+1234567890123456", "is not an E.164 number", NULL },
		{ "n", "4930123450", "is not an E.164 number", NULL },
		{ "n", "+49 30 12345", "is not an E.164 number", NULL },
		{ "n", "+49-+301", "same number of digits", NULL },
		{ "n", "+49-30", "is not an E.164 number", NULL },
		{ "n", "+4939-+4930", "start is above end", NULL },
		{ "n", "+", "is not an E.164 number", NULL },
		{ "n", "+4930-+4939,+4935", "'+4935' overlaps '+4930-+4939'",
		  NULL },
		{ "n", "+1,+1", "'+1' is listed twice", NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_addr_list(void)
{
	static const struct vcase vc[] = {
		{ "al", "192.0.2.1:5060, [2001:db8::1]:5060", NULL,
		  "192.0.2.1:5060|[2001:db8::1]:5060" },
		{ "al", "192.0.2.1:5060,192.0.2.2,192.0.2.3",
		  "al: 3 items, at most 2", NULL },
		{ "al", "192.0.2.1:99999",
		  "al: '192.0.2.1:99999' is not an "
		  "address: bad port",
		  NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_log_levels(void)
{
	static const struct vcase vc[] = {
		{ "lv", "debug", NULL, "debug" },
		{ "lv", "info, trunk.reg=debug, sofia = warn", NULL,
		  "info|trunk.reg=debug|sofia = warn" },
		{ "lv", "loud", "unknown level 'loud'", NULL },
		{ "lv", "info, warn", "only one default level", NULL },
		{ "lv", "Trunk=debug", "a subsystem is [a-z0-9_.]+", NULL },
		{ "lv", "trunk..x=debug", "a subsystem is", NULL },
		{ "lv", "=debug", "a subsystem is", NULL },
		{ "lv", "trunk=debug,trunk=info", "'trunk' is listed twice",
		  NULL },
	};
	return RUN_VALUES(vc);
}

static int t_type_path(void)
{
	struct config *cfg;
	char want[512], text[600];

	CHECK(load("[global]\np = sub/x.pem\n", &cfg) == 0);
	snprintf(want, sizeof(want), "%s/sub/x.pem", unit_dir);
	CHECK(!strcmp(config_get_str(global(cfg), "p"), want));
	config_free(cfg);
	CHECK(load("[global]\np = /etc/abs\n", &cfg) == 0);
	CHECK(!strcmp(config_get_str(global(cfg), "p"), "/etc/abs"));
	config_free(cfg);
	snprintf(want, sizeof(want), "%s/there.pem", unit_dir);
	unit_write_file(want, "x");
	CHECK(load("[global]\npe = there.pem\n", &cfg) == 0);
	CHECK(!strcmp(config_get_str(global(cfg), "pe"), want));
	config_free(cfg);
	snprintf(text, sizeof(text), "[global]\npe = %s/missing.pem\n",
		 unit_dir);
	CHECK(load(text, &cfg) == EINVAL);
	snprintf(want, sizeof(want),
		 "pe: cannot read %s/missing.pem: No such file or directory",
		 unit_dir);
	CHECK(unit_has_err(2, want));
	CHECK(load("[global]\npe = .\n", &cfg) == EINVAL);
	CHECK(unit_has_err(2, "Is a directory"));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Syntax and sections                                                     */

static int t_defaults(void)
{
	const struct config_section *g;
	const char *const *items;
	struct config_addr a;
	struct config *cfg;

	CHECK(load("# nothing but a comment\n", &cfg) == 0);
	g = global(cfg);
	CHECK(g && config_section_line(g) == 0);
	CHECK(config_get_int(g, "i") == 7 && !config_is_set(g, "i"));
	CHECK(config_key_line(g, "i") == 0);
	CHECK(config_get_int(g, "d") == 30000);
	CHECK(!strcmp(config_get_str(g, "e"), "udp"));
	CHECK(!config_get_bool(g, "b"));
	CHECK(config_get_list(g, "l", &items) == 2 && items[2] == NULL);
	CHECK(config_get_str(g, "s") == NULL);
	CHECK(config_get_int(g, "u") == 0);
	CHECK(!config_get_addr(g, "a", &a));
	CHECK(config_get_list(g, "n", &items) == 0 && items && !items[0]);
	CHECK(config_section_get(cfg, "peer", NULL) == NULL);
	CHECK(validate_calls == 0); /* only sections in the file */
	config_free(cfg);
	return 0;
}

static int t_comments_quotes(void)
{
	static const char text[] = "; semicolon comment\n"
				   "  # indented comment\n"
				   "[global] # header comment\n"
				   "s = a#b # trailing comment\n"
				   "pw = \"  x # \\\"y\\\" \\\\ \"  # c\n"
				   "fl = a;b , c ; d\n"
				   "u=5\n"
				   "\n";
	const char *const *items;
	const struct config_section *g;
	struct config *cfg;

	CHECK(load(text, &cfg) == 0);
	g = global(cfg);
	CHECK(!strcmp(config_get_str(g, "s"), "a#b"));
	CHECK(!strcmp(config_get_str(g, "pw"), "  x # \"y\" \\ "));
	CHECK(config_get_list(g, "fl", &items) == 2);
	CHECK(!strcmp(items[0], "a;b") && !strcmp(items[1], "c ; d"));
	CHECK(config_get_int(g, "u") == 5 && config_key_line(g, "u") == 7);
	CHECK(config_is_set(g, "s") && config_key_line(g, "s") == 4);
	config_free(cfg);
	return 0;
}

static int t_quote_errors(void)
{
	static const char text[] = "[global]\n"
				   "s = \"open\n"
				   "s = \"a\\nb\"\n"
				   "s = \"a\" b\n"
				   "no equals sign\n"
				   " = 5\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 5);
	CHECK(unit_has_err(2, "s: unterminated quoted value"));
	CHECK(unit_has_err(3, "escapes"));
	CHECK(unit_has_err(4, "unexpected text after the closing quote"));
	CHECK(unit_has_err(5, "expected 'key = value'"));
	CHECK(unit_has_err(6, "missing key name"));
	CHECK(!unit_errs.wrong_file);
	return 0;
}

static int t_unknown_key_section(void)
{
	static const char text[] = "[global]\n"
				   "foo = 1\n"
				   "[bogus]\n"
				   "x = 1\n"
				   "y = 2\n"
				   "[peer p1]\n"
				   "mode = a\n"
				   "bar = 2\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 3);
	CHECK(unit_has_err(2, "unknown key 'foo' in [global]"));
	CHECK(unit_has_err(3, "unknown section [bogus]"));
	CHECK(unit_has_err(8, "unknown key 'bar' in [peer p1]"));
	return 0;
}

static int t_key_outside_section(void)
{
	struct config *cfg;

	CHECK(load("s = 1\ni = 2\n[global]\ni = 3\n", &cfg) == EINVAL);
	CHECK(unit_errs.n == 1 &&
	      unit_has_err(1, "key outside of any section"));
	return 0;
}

static int t_duplicates(void)
{
	static const char text[] = "[peer itsp1]\n"
				   "mode = a\n"
				   "mode = b\n"
				   "[global]\n"
				   "[peer itsp1]\n"
				   "mode = a\n"
				   "[global]\n"
				   "[peer itsp2]\n"
				   "mode = a\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 3);
	CHECK(unit_has_err(3, "duplicate key 'mode' in [peer itsp1] (first at "
			      "line 2)"));
	CHECK(unit_has_err(5, "duplicate [peer itsp1] (first at line 1)"));
	CHECK(unit_has_err(7, "duplicate [global] (first at line 4)"));
	return 0;
}

static int t_header_errors(void)
{
	static const char text[] = "[peer]\n"
				   "mode = a\n"
				   "[global x]\n"
				   "[peer a b]\n"
				   "[peer a/b]\n"
				   "[]\n"
				   "[peer c\n"
				   "[peer d] junk\n";
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 7);
	CHECK(unit_has_err(1, "[peer] needs a name"));
	CHECK(unit_has_err(3, "[global] takes no name"));
	CHECK(unit_has_err(4, "a name has no blanks"));
	CHECK(unit_has_err(5, "a name is 1-63 letters"));
	CHECK(unit_has_err(6, "empty section header"));
	CHECK(unit_has_err(7, "without ']'"));
	CHECK(unit_has_err(8, "unexpected text after ']'"));
	return 0;
}

static int t_missing_required(void)
{
	struct config *cfg;

	CHECK(load("[global]\n[peer x]\nhost = h\n", &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(2, "missing required key 'mode' in [peer x]"));
	CHECK(validate_calls == 1); /* [global] only */
	return 0;
}

static int t_required_section(void)
{
	struct config *cfg;

	CHECK(load_schema("[global]\n", t_schema_need, &cfg) == EINVAL);
	CHECK(unit_errs.n == 1 &&
	      unit_has_err(0, "required section [need] missing"));
	CHECK(load_schema("[need]\n", t_schema_need, &cfg) == 0);
	config_free(cfg);
	return 0;
}

static int t_error_order(void)
{
	static const char text[] = "[peer x]\n"	   /* 1: mode missing */
				   "port = 0\n"	   /* 2: out of range */
				   "[global]\n"	   /* 3 */
				   "s = x\n"	   /* 4: validate */
				   "i = 5\n"	   /* 5 */
				   "b = perhaps\n" /* 6: bad */
				   "[peer y]\n"	   /* 7 */
				   "mode = b\n";   /* 8: validate */
	struct config *cfg;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 4);
	CHECK(unit_errs.line[0] == 1 && strstr(unit_errs.text[0], "'mode'"));
	CHECK(unit_errs.line[1] == 2 &&
	      strstr(unit_errs.text[1], "port: 0 is out"));
	CHECK(unit_errs.line[2] == 6 &&
	      strstr(unit_errs.text[2], "b: 'perhaps'"));
	CHECK(unit_errs.line[3] == 8 &&
	      strstr(unit_errs.text[3], "needs host"));
	/* [global] had a bad key: not validated (no "must not be x"). */
	CHECK(validate_calls == 1);
	return 0;
}

static int t_validate(void)
{
	struct config *cfg;

	CHECK(load("[global]\n\ns = x\n[peer a]\nmode = a\n", &cfg) == EINVAL);
	CHECK(unit_errs.n == 1 && unit_has_err(3, "s: must not be x"));
	CHECK(validate_calls == 2);
	CHECK(load("[global]\ns = y\n[peer a]\nmode = a\n", &cfg) == 0);
	CHECK(validate_calls == 2);
	config_free(cfg);
	return 0;
}

static int t_secrets(void)
{
	static const char text[] = "[global]\n"
				   "pw = \"\"\n"
				   "pwi = s3cr3t\n"
				   "pw = topsecret\n"
				   "[global]\n"
				   "pwi = 123456\n";
	struct config *cfg;
	size_t i;

	CHECK(load(text, &cfg) == EINVAL);
	CHECK(unit_errs.n == 4);
	CHECK(unit_has_err(2, "pw: value is empty"));
	CHECK(unit_has_err(3, "pwi: the value is not an integer"));
	CHECK(unit_has_err(4, "duplicate key 'pw'"));
	CHECK(load("[global]\npwi = 123456\n", &cfg) == EINVAL);
	CHECK(unit_has_err(2, "pwi: the value is out of range 0..10"));
	for (i = 0; i < unit_errs.n; i++)
		CHECK(!strstr(unit_errs.text[i], "123456"));
	CHECK(load(text, &cfg) == EINVAL);
	for (i = 0; i < unit_errs.n; i++)
		CHECK(!strstr(unit_errs.text[i], "s3cr3t") &&
		      !strstr(unit_errs.text[i], "topsecret") &&
		      !strstr(unit_errs.text[i], "123456"));
	return 0;
}

static int t_sections(void)
{
	static const char text[] = "[peer b]\nmode = a\n"
				   "[global]\n"
				   "[peer a]\nmode = b\nhost = h\n";
	const struct config_section *s;
	struct config *cfg;
	char abs[PATH_MAX];

	CHECK(load(text, &cfg) == 0);
	s = config_section_next(cfg, "peer", NULL);
	CHECK(s && !strcmp(config_section_name(s), "b"));
	CHECK(config_section_line(s) == 1);
	CHECK(!strcmp(config_section_kind(s), "peer"));
	CHECK(config_get_int(s, "port") == 5060);
	s = config_section_next(cfg, "peer", s);
	CHECK(s && !strcmp(config_section_name(s), "a"));
	CHECK(config_section_next(cfg, "peer", s) == NULL);
	CHECK(config_section_get(cfg, "peer", "a") == s);
	CHECK(config_section_get(cfg, "peer", "zz") == NULL);
	CHECK(config_section_name(global(cfg)) == NULL);
	CHECK(!strcmp(config_section_file(s), unit_conf));
	CHECK(realpath(unit_conf, abs) && !strcmp(config_file(cfg), abs));
	config_free(cfg);
	return 0;
}

static int t_open_error(void)
{
	struct config *cfg = NULL;
	char path[300];

	snprintf(path, sizeof(path), "%s/none.conf", unit_dir);
	CHECK(unit_load_path(path, t_schema, &cfg) == ENOENT);
	CHECK(unit_errs.n == 1 && unit_has_err(0, "No such file or directory"));
	CHECK(cfg == NULL);
	return 0;
}

/* Run f in a child; true if it died of SIGABRT. */
static bool aborts(void (*f)(const struct config *), const struct config *cfg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		/* Keep the abort message out of the test log. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		f(cfg);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
	       WTERMSIG(st) == SIGABRT;
}

static void get_undeclared(const struct config *cfg)
{
	config_get_int(config_section_get(cfg, "global", NULL), "nope");
}

static void get_wrong_type(const struct config *cfg)
{
	config_get_str(config_section_get(cfg, "global", NULL), "i");
}

static void get_null_section(const struct config *cfg)
{
	config_get_bool(config_section_get(cfg, "peer", NULL), "b");
}

static int t_getter_abort(void)
{
	struct config *cfg;

	CHECK(load("[global]\n", &cfg) == 0);
	CHECK(aborts(get_undeclared, cfg));
	CHECK(aborts(get_wrong_type, cfg));
	CHECK(aborts(get_null_section, cfg));
	config_free(cfg);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Logger                                                                  */

static void log_two(void *arg)
{
	(void)arg;
	config_log_write("trunk.reg", LOG_LEVEL_INFO, "trunk itsp1",
			 "registered %d", 3);
	config_log_write("media", LOG_LEVEL_WARN, NULL, "no ctx");
}

static int t_log_format(void)
{
	static const char re[] =
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
		"\\.[0-9]{3}Z INFO  trunk\\.reg \\[trunk itsp1\\] registered "
		"3\n"
		"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z "
		"WARN  media no ctx\n$";
	char buf[1024];
	regex_t rx;
	int rc;

	CHECK(unit_capture(buf, sizeof(buf), log_two, NULL) > 0);
	CHECK(regcomp(&rx, re, REG_EXTENDED) == 0);
	rc = regexec(&rx, buf, 0, NULL, 0);
	regfree(&rx);
	if (rc)
		fprintf(stderr, "got: %s", buf);
	CHECK(rc == 0);
	return 0;
}

static void log_control(void *arg)
{
	(void)arg;
	config_log_write("x", LOG_LEVEL_ERROR, "c\nd", "a\nb\rc\x1b[2J\t%s",
			 "e\n");
}

static int t_log_control_chars(void)
{
	char buf[512], *text;

	CHECK(unit_capture(buf, sizeof(buf), log_control, NULL) > 0);
	CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1);
	CHECK(!strchr(buf, '\r') && !strchr(buf, '\x1b') && !strchr(buf, '\t'));
	text = strstr(buf, "ERROR x [c d] ");
	CHECK(text && !strcmp(text, "ERROR x [c d] a b c [2J e \n"));
	return 0;
}

static void log_long(void *arg)
{
	(void)arg;
	static char big[10000];

	memset(big, 'a', sizeof(big) - 1);
	config_log_write("x", LOG_LEVEL_INFO, NULL, "%s", big);
}

static int t_log_truncate(void)
{
	char buf[16384];
	ssize_t n = unit_capture(buf, sizeof(buf), log_long, NULL);

	CHECK(n > 4000 && n <= 4096);
	CHECK(!strcmp(buf + n - 4, "...\n"));
	CHECK(strchr(buf, '\n') == buf + n - 1);
	return 0;
}

static int t_log_levels(void)
{
	static const char *const items[] = { "error", "media=debug" };

	CHECK(config_log_enabled("anything", LOG_LEVEL_INFO));
	CHECK(!config_log_enabled("anything", LOG_LEVEL_DEBUG));
	CHECK(config_log_set_levels("warn, trunk=debug, trunk.reg=error") == 0);
	CHECK(config_log_enabled("trunk", LOG_LEVEL_DEBUG));
	CHECK(config_log_enabled("trunk.flow", LOG_LEVEL_DEBUG));
	CHECK(!config_log_enabled("trunkx", LOG_LEVEL_INFO));
	CHECK(config_log_enabled("trunkx", LOG_LEVEL_WARN));
	CHECK(!config_log_enabled("trunk.reg", LOG_LEVEL_WARN));
	CHECK(!config_log_enabled("trunk.reg.sub", LOG_LEVEL_WARN));
	CHECK(config_log_enabled("trunk.reg.sub", LOG_LEVEL_ERROR));
	CHECK(config_log_enabled("trunk.regx", LOG_LEVEL_DEBUG));
	CHECK(!config_log_enabled("sofia", LOG_LEVEL_INFO));
	/* Bad specs leave the levels alone. */
	CHECK(config_log_set_levels("info,,x=debug") == EINVAL);
	CHECK(config_log_set_levels("verbose") == EINVAL);
	CHECK(config_log_set_levels("") == EINVAL);
	CHECK(!config_log_enabled("sofia", LOG_LEVEL_INFO));
	CHECK(config_log_set_level_items(items, 2) == 0);
	CHECK(!config_log_enabled("sofia", LOG_LEVEL_WARN));
	CHECK(config_log_enabled("media.srtp", LOG_LEVEL_DEBUG));
	/* Without a bare level the default is info again. */
	CHECK(config_log_set_levels("media=error") == 0);
	CHECK(config_log_enabled("sofia", LOG_LEVEL_INFO));
	CHECK(config_log_level_parse("warn") == LOG_LEVEL_WARN);
	CHECK(config_log_level_parse("WARN") == -1);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Markdown                                                                */

static int t_markdown(void)
{
	const struct config_key *const tables[] = { t_keys, t_keys2,
						    t_peer_keys };
	const struct config_key *k;
	char path[300], buf[16384], want[80];
	ssize_t n;
	size_t t;
	int fd;

	snprintf(path, sizeof(path), "%s/ref.md", unit_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(config_schema_write_markdown(t_schema, fd) == 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	CHECK(n > 0 && (size_t)n < sizeof(buf) - 1);
	buf[n] = 0;
	CHECK(strstr(buf, "\n## [global]\n\nGlobal settings.\n"));
	CHECK(strstr(buf, "\n## [peer NAME]\n"));
	CHECK(strstr(buf, "| key | type | default | range/choices | restart "
			  "| description |"));
	for (t = 0; t < 3; t++) {
		for (k = tables[t]; k->name; k++) {
			snprintf(want, sizeof(want), "| `%s`", k->name);
			CHECK(strstr(buf, want));
		}
	}
	CHECK(strstr(buf, "| `i` | integer | `7` | 1..100 |  | bounded \\| "
			  "integer |"));
	CHECK(strstr(buf, "| `d` | duration | `30s` | 1s..1h |"));
	CHECK(strstr(buf, "`mode` (required) | enum |  | `a` \\| `b` |"));
	CHECK(strstr(buf, "`pw` (secret) |"));
	CHECK(strstr(buf, "| `lv` | log levels | `info` |  | yes |"));
	return 0;
}

/* outbuf: pieces that fit are appended; the first that does not is kept
 * as far as it fits, sets cut, and every later piece is ignored. */
static int t_outbuf(void)
{
	char buf[8];
	struct outbuf o = { .p = buf, .len = sizeof(buf) };
	char none[1];
	struct outbuf z = { .p = none, .len = 0 };

	outbuf_put(&o, "%s", "abc");
	outbuf_put(&o, "%d", 12);
	CHECK(!o.cut && o.used == 5 && !strcmp(buf, "abc12"));
	outbuf_put(&o, "%s", "xyz");
	CHECK(o.cut && o.used == 7 && !strcmp(buf, "abc12xy"));
	outbuf_put(&o, "q");
	CHECK(o.cut && !strcmp(buf, "abc12xy"));
	outbuf_put(&z, "a");
	CHECK(z.cut && z.used == 0);
	return 0;
}

/* outbuf_puts/putn: the same as outbuf_put(o, "%s", ...), cut included. */
static int t_outbuf_puts(void)
{
	char buf[8], ref[8];
	struct outbuf o = { .p = buf, .len = sizeof(buf) };
	struct outbuf r = { .p = ref, .len = sizeof(ref) };
	char none[1];
	struct outbuf z = { .p = none, .len = 0 };

	outbuf_puts(&o, "abc");
	outbuf_putn(&o, "12345", 2);
	outbuf_puts(&o, "");
	CHECK(!o.cut && o.used == 5 && !strcmp(buf, "abc12"));
	outbuf_puts(&o, "xy"); /* fills the buffer: not cut */
	CHECK(!o.cut && o.used == 7 && !strcmp(buf, "abc12xy"));
	o.used = 5;
	outbuf_puts(&o, "xyz"); /* one too many: cut, as outbuf_put */
	outbuf_put(&r, "%s", "abc12");
	outbuf_put(&r, "%s", "xyz");
	CHECK(o.cut == r.cut && o.used == r.used && !strcmp(buf, ref));
	CHECK(o.cut && o.used == 7 && !strcmp(buf, "abc12xy"));
	outbuf_puts(&o, "q");
	CHECK(o.cut && !strcmp(buf, "abc12xy"));
	outbuf_puts(&z, "a");
	CHECK(z.cut && z.used == 0);
	return 0;
}

/* ---------------------------------------------------------------------- */

static const struct unit_case cases[] = {
	{ "type_string", t_type_string },
	{ "type_int", t_type_int },
	{ "type_bool", t_type_bool },
	{ "type_enum", t_type_enum },
	{ "type_duration", t_type_duration },
	{ "type_path", t_type_path },
	{ "type_addr", t_type_addr },
	{ "addr_parse", t_addr_parse },
	{ "type_list", t_type_list },
	{ "type_e164", t_type_e164 },
	{ "type_addr_list", t_type_addr_list },
	{ "type_log_levels", t_type_log_levels },
	{ "defaults", t_defaults },
	{ "comments_quotes", t_comments_quotes },
	{ "quote_errors", t_quote_errors },
	{ "unknown_key_section", t_unknown_key_section },
	{ "key_outside_section", t_key_outside_section },
	{ "duplicates", t_duplicates },
	{ "header_errors", t_header_errors },
	{ "missing_required", t_missing_required },
	{ "required_section", t_required_section },
	{ "error_order", t_error_order },
	{ "validate", t_validate },
	{ "secrets", t_secrets },
	{ "sections", t_sections },
	{ "open_error", t_open_error },
	{ "getter_abort", t_getter_abort },
	{ "log_format", t_log_format },
	{ "log_control_chars", t_log_control_chars },
	{ "log_truncate", t_log_truncate },
	{ "log_levels", t_log_levels },
	{ "markdown", t_markdown },
	{ "outbuf", t_outbuf },
	{ "outbuf_puts", t_outbuf_puts },
};

UNIT_MAIN(cases)
