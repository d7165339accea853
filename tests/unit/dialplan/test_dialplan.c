/*
 * Unit tests of dialplan/ (STYLE.md 16): the [dialplan] config table, the
 * language (every action, every error with its line, includes, contexts,
 * ranges, patterns, precedence, bad input), the pure helpers, and the
 * shipped plans (dialplan/plans/, found through $DIALPLAN_PLANS) with a
 * table of dialled strings per country. Cases name the requirement IDs
 * they prove; the config-table cases prove none.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialplan/dialplan.h"
#include "unit_test.h"

static const struct config_section_def *const schema[] = {
	&dialplan_config_section, NULL
};

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static struct dialplan *plan;
static char plan_path[400];

static void collect(const char *file, unsigned line, const char *reason,
		    void *arg)
{
	struct unit_errors *e = arg;

	if (e->n == UNIT_MAX_ERRS)
		return;
	e->line[e->n] = line;
	snprintf(e->text[e->n++], sizeof(e->text[0]), "%s: %s", file, reason);
}

static char *path_of(const char *name)
{
	static char p[4][400];
	static unsigned k;
	char *s = p[k++ % 4];

	snprintf(s, sizeof(p[0]), "%s/%s", unit_dir, name);
	return s;
}

static void free_plan(void);

static int load_path(const char *path)
{
	static bool registered;

	if (!registered)
		registered = !atexit(free_plan);
	memset(&unit_errs, 0, sizeof(unit_errs));
	dialplan_free(plan);
	plan = NULL;
	return dialplan_load(path, &plan, collect, &unit_errs);
}

/* Write TEXT as NAME in the case's directory. */
static void write_plan(const char *name, const char *text)
{
	unit_write_file(path_of(name), text);
}

static int load(const char *text)
{
	snprintf(plan_path, sizeof(plan_path), "%s", path_of("test.dialplan"));
	unit_write_file(plan_path, text);
	return load_path(plan_path);
}

/*
 * A result in one line, for tables: "LINE ACTION[:t1,t2] NUMBER [e164]
 * [emergency] [allowed|restricted] [id=+...]", or "LINE reject CODE".
 * LINE is left out when with_line is false (shipped plans change).
 */
static const char *summary(const struct dialplan_result *r, bool with_line)
{
	static char s[400];
	size_t n = 0, i;

#define ADD(...) n += (size_t)snprintf(s + n, sizeof(s) - n, __VA_ARGS__)
	s[0] = 0;
	if (with_line)
		ADD("%u ", r->rule.line);
	ADD("%s", dialplan_action_name(r->action));
	if (r->action == DIALPLAN_ACTION_REJECT) {
		ADD(" %u", r->code);
		return s;
	}
	for (i = 0; i < r->n_targets; i++)
		ADD("%c%s", i ? ',' : ':', r->targets[i]);
	ADD(" %s", r->number);
	if (r->e164)
		ADD(" e164");
	if (r->emergency)
		ADD(" emergency");
	if (r->presentation)
		ADD(" %s", dialplan_presentation_name(r->presentation));
	if (r->identity[0])
		ADD(" id=%s", r->identity);
#undef ADD
	return s;
}

static struct dialplan_result res;

/* Match and compare the summary; prints what it got when it differs. */
static bool expect_in(enum dialplan_direction dir, const char *ctx,
		      const char *caller, const char *dialled, const char *want,
		      bool with_line)
{
	struct dialplan_query q = { dir, ctx, caller, dialled };
	const char *got;
	int err = dialplan_match(plan, &q, &res);

	if (err) {
		fprintf(stderr, "  match(%s, %s) = %d\n", ctx ? ctx : "-",
			dialled ? dialled : "NULL", err);
		return false;
	}
	got = summary(&res, with_line);
	if (strcmp(got, want)) {
		fprintf(stderr, "  %s from %s: got '%s', want '%s'\n",
			dialled ? dialled : "NULL", caller ? caller : "-", got,
			want);
		return false;
	}
	return true;
}

#define EXPECT(ctx, caller, dialled, want)                                     \
	CHECK(expect_in(DIALPLAN_OUTBOUND, ctx, caller, dialled, want, true))

/* ---------------------------------------------------------------------- */
/* [dialplan] config table                                                 */

static int t_defaults(void)
{
	const struct config_section *d;
	struct config *cfg;

	CHECK(unit_load("", schema, &cfg) == 0);
	d = config_section_get(cfg, "dialplan", NULL);
	CHECK(config_get_str(d, "file") == NULL);
	CHECK(!strcmp(config_get_str(d, "default_context"), "default"));
	CHECK(!config_is_set(d, "default_context"));
	config_free(cfg);
	return 0;
}

static int t_file_relative(void)
{
	char path[300];
	struct config *cfg;

	snprintf(path, sizeof(path), "%s/plan.conf", unit_dir);
	unit_write_file(path, "# empty plan\n");
	CHECK(unit_load("[dialplan]\nfile = plan.conf\ndefault_context = in\n",
			schema, &cfg) == 0);
	CHECK(!strcmp(config_get_str(config_section_get(cfg, "dialplan", NULL),
				     "file"),
		      path));
	config_free(cfg);
	return 0;
}

static int t_file_missing(void)
{
	struct config *cfg;

	CHECK(unit_load("[dialplan]\nfile = nowhere.conf\nextra = 1\n", schema,
			&cfg) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(2, "file: cannot read "));
	CHECK(unit_has_err(2, "nowhere.conf: No such file or directory"));
	CHECK(unit_has_err(3, "unknown key 'extra' in [dialplan]"));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Patterns, ranges, precedence                                            */

static int t_literal(void)
{
	CHECK(load("context c {\n"
		   "  911 => trunk a\n"
		   "  *97 => extension 8000\n"
		   "  #31# => trunk a\n"
		   "  +4930123400 => trunk a\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "911", "2 trunk:a 911");
	EXPECT("c", NULL, "*97", "3 extension 8000");
	EXPECT("c", NULL, "#31#", "4 trunk:a #31#");
	EXPECT("c", NULL, "+4930123400", "5 trunk:a +4930123400 e164");
	EXPECT("c", NULL, "9111", "0 reject 404");
	EXPECT("c", NULL, "91", "0 reject 404");
	return 0;
}

static int t_pattern_classes(void)
{
	CHECK(load("context c {\n"
		   "  _X => trunk x\n"
		   "  _1Z => trunk z\n"
		   "  _1N => trunk n\n"
		   "  _2[1-37] => trunk set\n"
		   "  _3[*#] => trunk sym\n"
		   "  _4. => trunk dot\n"
		   "  _5! => trunk bang\n"
		   "  _x6n => trunk lower\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "0", "2 trunk:x 0");
	EXPECT("c", NULL, "11", "3 trunk:z 11");
	EXPECT("c", NULL, "10", "0 reject 404");
	EXPECT("c", NULL, "12", "3 trunk:z 12"); /* Z before N */
	EXPECT("c", NULL, "21", "5 trunk:set 21");
	EXPECT("c", NULL, "27", "5 trunk:set 27");
	EXPECT("c", NULL, "24", "0 reject 404");
	EXPECT("c", NULL, "3#", "6 trunk:sym 3#");
	EXPECT("c", NULL, "4", "2 trunk:x 4"); /* '.' needs one more */
	EXPECT("c", NULL, "4*1#", "7 trunk:dot 4*1#");
	EXPECT("c", NULL, "5", "2 trunk:x 5"); /* first match wins */
	EXPECT("c", NULL, "5123", "8 trunk:bang 5123");
	EXPECT("c", NULL, "062", "9 trunk:lower 062");
	EXPECT("c", NULL, "061", "0 reject 404");
	CHECK(load("context c {\n  _5! => trunk bang\n  _[*#]. => trunk "
		   "t\n}\n") == 0);
	EXPECT("c", NULL, "5", "2 trunk:bang 5");
	EXPECT("c", NULL, "5#", "2 trunk:bang 5#");
	EXPECT("c", NULL, "#", "0 reject 404");
	EXPECT("c", NULL, "#1", "3 trunk:t #1");
	return 0;
}

static int t_ranges(void)
{
	CHECK(load("context c {\n"
		   "  200-299 => trunk a\n"
		   "  1995-2013 => trunk b\n"
		   "  +4930123400-+4930123449 => trunk c\n"
		   "  0-9 => trunk d\n"
		   "  555-555 => trunk e\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "200", "2 trunk:a 200");
	EXPECT("c", NULL, "250", "2 trunk:a 250");
	EXPECT("c", NULL, "299", "2 trunk:a 299");
	EXPECT("c", NULL, "300", "0 reject 404");
	EXPECT("c", NULL, "1994", "0 reject 404");
	EXPECT("c", NULL, "1995", "3 trunk:b 1995");
	EXPECT("c", NULL, "1999", "3 trunk:b 1999");
	EXPECT("c", NULL, "2000", "3 trunk:b 2000");
	EXPECT("c", NULL, "2009", "3 trunk:b 2009");
	EXPECT("c", NULL, "2013", "3 trunk:b 2013");
	EXPECT("c", NULL, "2014", "0 reject 404");
	EXPECT("c", NULL, "+4930123400", "4 trunk:c +4930123400 e164");
	EXPECT("c", NULL, "+4930123449", "4 trunk:c +4930123449 e164");
	EXPECT("c", NULL, "+4930123450", "0 reject 404");
	EXPECT("c", NULL, "4930123420", "0 reject 404");
	EXPECT("c", NULL, "7", "5 trunk:d 7");
	EXPECT("c", NULL, "555", "6 trunk:e 555");
	/* A wide range splits into many pieces (found by the fuzzer). */
	CHECK(load("context c {\n"
		   "  +49301234567200-+59301234567299 => trunk w\n"
		   "  11111111111111111111111111111111-"
		   "88888888888888888888888888888888 => trunk x\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "+49301234567200", "2 trunk:w +49301234567200 e164");
	EXPECT("c", NULL, "+49301234567199", "0 reject 404");
	EXPECT("c", NULL, "+50000000000000", "2 trunk:w +50000000000000 e164");
	EXPECT("c", NULL, "+59301234567299", "2 trunk:w +59301234567299 e164");
	EXPECT("c", NULL, "+59301234567300", "0 reject 404");
	EXPECT("c", NULL, "11111111111111111111111111111110", "0 reject 404");
	EXPECT("c", NULL, "11111111111111111111111111111111",
	       "3 trunk:x 11111111111111111111111111111111");
	EXPECT("c", NULL, "55555555555555555555555555555555",
	       "3 trunk:x 55555555555555555555555555555555");
	EXPECT("c", NULL, "88888888888888888888888888888888",
	       "3 trunk:x 88888888888888888888888888888888");
	EXPECT("c", NULL, "88888888888888888888888888888889", "0 reject 404");
	return 0;
}

/* First match wins, in file order, whatever the specificity. */
static int t_precedence(void)
{
	CHECK(load("context c {\n"
		   "  _1X. => trunk general\n"
		   "  1234 => trunk specific\n"
		   "  _5XXX => trunk five\n"
		   "  5000-5999 => trunk never\n"
		   "  _6XXX from 100 => trunk caller100\n"
		   "  _6XXX => trunk others\n"
		   "  default => trunk rest\n"
		   "  777 => trunk unreachable\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "1234", "2 trunk:general 1234");
	EXPECT("c", NULL, "5555", "4 trunk:five 5555");
	EXPECT("c", "100", "6000", "6 trunk:caller100 6000");
	EXPECT("c", "101", "6000", "7 trunk:others 6000");
	EXPECT("c", NULL, "6000", "7 trunk:others 6000");
	EXPECT("c", NULL, "777", "8 trunk:rest 777");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

/* REQ: ID-1 */
static int t_action_normalize(void)
{
	CHECK(load("context c {\n"
		   "  _90NXXXXXXX. => strip 2, prepend +44, trunk a\n"
		   "  _9X. => strip 1, trunk a\n"
		   "  _8X. => keep 4, prepend 55, trunk a\n"
		   "  _7X => set +4930123400, trunk a\n"
		   "  _6X => strip 1, prepend 0, prepend +49, trunk a\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "902079460123", "2 trunk:a +442079460123 e164");
	EXPECT("c", NULL, "9123", "3 trunk:a 123");
	EXPECT("c", NULL, "8123456", "4 trunk:a 553456");
	EXPECT("c", NULL, "812", "4 trunk:a 55812");
	EXPECT("c", NULL, "71", "5 trunk:a +4930123400 e164");
	EXPECT("c", NULL, "61", "6 trunk:a +4901 e164");
	CHECK(!strcmp(res.rule.file, plan_path));
	return 0;
}

static int t_action_trunk(void)
{
	CHECK(load("context c {\n"
		   "  1 => trunk a b c d e f g h\n"
		   "  2 => trunk itsp-1 itsp_2.backup\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "1", "2 trunk:a,b,c,d,e,f,g,h 1");
	EXPECT("c", NULL, "2", "3 trunk:itsp-1,itsp_2.backup 2");
	CHECK(res.n_targets == 2 && res.action == DIALPLAN_ACTION_TRUNK);
	return 0;
}

/* The trunk names of every routing rule with its line, each rule once
 * even when included by several contexts (the plan is checked against
 * the configuration with this; issue 4). */
struct refs {
	char text[8][48];
	unsigned n;
};

static bool ref_collect(const char *trunk, const struct dialplan_source *w,
			void *arg)
{
	struct refs *r = arg;

	if (r->n < 8)
		snprintf(r->text[r->n++], sizeof(r->text[0]), "%u:%s", w->line,
			 trunk);
	return strcmp(trunk, "b") == 0;
}

static int t_trunk_refs(void)
{
	struct refs r = { .n = 0 };

	CHECK(load("context a {\n"
		   "  1 => trunk a b\n"
		   "  include c\n"
		   "  2 => extension 200\n"
		   "}\n"
		   "context c {\n"
		   "  3 => emergency, trunk c\n"
		   "  default from 2 => identity +1555\n"
		   "  4 => reject 404\n"
		   "}\n"
		   "context d {\n"
		   "  include c\n"
		   "}\n") == 0);
	CHECK(dialplan_trunk_refs(plan, ref_collect, &r) == 1);
	CHECK(r.n == 3);
	CHECK(!strcmp(r.text[0], "2:a"));
	CHECK(!strcmp(r.text[1], "2:b"));
	CHECK(!strcmp(r.text[2], "7:c"));
	CHECK(dialplan_trunk_refs(NULL, ref_collect, &r) == 0);
	return 0;
}

static int t_action_extension(void)
{
	CHECK(load("context c {\n"
		   "  _2XX => extension\n"
		   "  0 => extension 200\n"
		   "  _+4930123XXXX => keep 3, extension\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "201", "2 extension 201");
	EXPECT("c", NULL, "0", "3 extension 200");
	EXPECT("c", NULL, "+49301234567", "4 extension 567");
	CHECK(res.n_targets == 0 && !res.e164);
	return 0;
}

static int t_action_hunt(void)
{
	CHECK(load("context c {\n"
		   "  0 => hunt 200 201 202\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "0", "2 hunt:200,201,202 0");
	return 0;
}

static int t_action_reject(void)
{
	CHECK(load("context c {\n"
		   "  900 => reject 403 \"Premium numbers are barred\"\n"
		   "  901 => reject 603\n"
		   "  902 => reject 499\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "900", "2 reject 403");
	CHECK(!strcmp(res.reason, "Premium numbers are barred"));
	EXPECT("c", NULL, "901", "3 reject 603");
	CHECK(!strcmp(res.reason, "Decline"));
	EXPECT("c", NULL, "902", "4 reject 499");
	CHECK(!strcmp(res.reason, "Rejected"));
	return 0;
}

/* REQ: EM-1, EM-2 */
static int t_action_emergency(void)
{
	CHECK(load("context c {\n"
		   "  112 => emergency, trunk a b\n"
		   "  9112 => emergency, strip 1, trunk a\n"
		   "  _0X. => strip 1, prepend +49, trunk a\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "112", "2 trunk:a,b 112 emergency");
	EXPECT("c", NULL, "9112", "3 trunk:a 112 emergency");
	CHECK(!res.e164);
	EXPECT("c", NULL, "0301234", "4 trunk:a +49301234 e164");
	CHECK(!res.emergency);
	return 0;
}

static int t_action_presentation(void)
{
	CHECK(load("context c {\n"
		   "  1 => presentation restricted, trunk a\n"
		   "  2 => presentation allowed, trunk a\n"
		   "  3 => trunk a\n"
		   "  112 => emergency, presentation restricted, trunk a\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "1", "2 trunk:a 1 restricted");
	CHECK(res.presentation_from.line == 2);
	EXPECT("c", NULL, "2", "3 trunk:a 2 allowed");
	EXPECT("c", NULL, "3", "4 trunk:a 3");
	CHECK(res.presentation == DIALPLAN_PRES_DEFAULT);
	/* EM-3 is trunk/identity's: the plan's wish is recorded apart. */
	EXPECT("c", NULL, "112", "5 trunk:a 112 emergency restricted");
	return 0;
}

/* REQ: ID-1 */
static int t_action_identity(void)
{
	CHECK(load("context c {\n"
		   "  1 => identity +4930123400, trunk a\n"
		   "  _2X from _2XX => identity +4930123{caller}, trunk a\n"
		   "  _3X from _X. => identity +49301234{caller:2}, trunk a\n"
		   "  _4X from _+X. => identity {caller}, trunk a\n"
		   "  _5X from _X. => identity +123456789012{caller}, trunk a\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "1", "2 trunk:a 1 id=+4930123400");
	CHECK(res.identity_from.line == 2);
	EXPECT("c", "201", "21", "3 trunk:a 21 id=+4930123201");
	EXPECT("c", "1234567", "31", "4 trunk:a 31 id=+4930123467");
	EXPECT("c", "7", "31", "0 reject 404"); /* too short: no match */
	EXPECT("c", "+4930555", "41", "5 trunk:a 41 id=+4930555");
	/* Too long for E.164: no identity rather than a bad one. */
	EXPECT("c", "5678", "51", "6 trunk:a 51");
	CHECK(!res.identity_from.line);
	return 0;
}

/* Rules without a route contribute identity and presentation; the first
 * value set wins; the routing rule ends the search. */
static int t_modifier_rules(void)
{
	CHECK(load("context c {\n"
		   "  default from 250 => presentation restricted\n"
		   "  default from 200 => identity +4930123400\n"
		   "  default from 200-299 => identity +4930123{caller}\n"
		   "  _0X. => strip 1, prepend +49, trunk a\n"
		   "  default from 260 => identity +4930999999\n"
		   "  _2XX => identity +4911, extension\n"
		   "}\n") == 0);
	EXPECT("c", "200", "030", "5 trunk:a +4930 e164 id=+4930123400");
	EXPECT("c", "250", "030",
	       "5 trunk:a +4930 e164 restricted id=+4930123250");
	CHECK(res.presentation_from.line == 2 && res.identity_from.line == 4);
	EXPECT("c", "300", "030", "5 trunk:a +4930 e164");
	EXPECT("c", NULL, "030", "5 trunk:a +4930 e164");
	EXPECT("c", "260", "201", "7 extension 201 id=+4930123260");
	EXPECT("c", "300", "201", "7 extension 201 id=+4911");
	/* Nothing routes: 404, the collected identity stays visible. */
	EXPECT("c", "260", "999", "0 reject 404");
	CHECK(!strcmp(res.identity, "+4930123260"));
	return 0;
}

static int t_caller_condition(void)
{
	CHECK(load("context c {\n"
		   "  1 from 200-209 => trunk range\n"
		   "  1 from _3XX => trunk pattern\n"
		   "  1 from +4930123400 => trunk literal\n"
		   "  1 => trunk any\n"
		   "}\n") == 0);
	EXPECT("c", "205", "1", "2 trunk:range 1");
	EXPECT("c", "210", "1", "5 trunk:any 1");
	EXPECT("c", "301", "1", "3 trunk:pattern 1");
	EXPECT("c", "+49 30 123400", "1", "4 trunk:literal 1");
	EXPECT("c", "", "1", "5 trunk:any 1");
	EXPECT("c", "anonymous", "1", "5 trunk:any 1");
	return 0;
}

static int t_default_rule(void)
{
	CHECK(load("context c {\n"
		   "  1 => trunk a\n"
		   "  default => reject 404 \"No route\"\n"
		   "}\n"
		   "context d {\n"
		   "  default => extension 200\n"
		   "}\n") == 0);
	EXPECT("c", NULL, "1", "2 trunk:a 1");
	EXPECT("c", NULL, "*#123", "3 reject 404");
	CHECK(!strcmp(res.reason, "No route"));
	EXPECT("d", NULL, "+4930", "6 extension 200");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Contexts and includes                                                   */

static int t_contexts(void)
{
	struct dialplan_query q = { DIALPLAN_OUTBOUND, "nope", NULL, "1" };

	CHECK(load("context inbound {\n"
		   "  1 => extension 100\n"
		   "}\n"
		   "context default {\n"
		   "  1 => extension 200\n"
		   "}\n"
		   "context site-2.b {\n"
		   "  1 => extension 300\n"
		   "}\n") == 0);
	CHECK(expect_in(DIALPLAN_INBOUND, NULL, NULL, "1", "2 extension 100",
			true));
	CHECK(!strcmp(res.context, "inbound"));
	CHECK(expect_in(DIALPLAN_OUTBOUND, NULL, NULL, "1", "5 extension 200",
			true));
	CHECK(!strcmp(res.context, "default"));
	CHECK(expect_in(DIALPLAN_INTERNAL, "", NULL, "1", "5 extension 200",
			true));
	CHECK(expect_in(DIALPLAN_INBOUND, "site-2.b", NULL, "1",
			"8 extension 300", true));
	CHECK(dialplan_match(plan, &q, &res) == ENOENT);
	CHECK(dialplan_has_context(plan, "site-2.b"));
	CHECK(!dialplan_has_context(plan, "nope"));
	/* Without a "default" context, an unnamed query finds nothing. */
	CHECK(load("context x {\n}\n") == 0);
	q.context = NULL;
	CHECK(dialplan_match(plan, &q, &res) == ENOENT);
	q.context = "x";
	CHECK(dialplan_match(plan, &q, &res) == 0);
	CHECK(res.action == DIALPLAN_ACTION_REJECT && res.code == 404);
	return 0;
}

/* An included context's rules stand where the include is; a context may
 * be included before it is defined and by several contexts. */
static int t_context_include(void)
{
	CHECK(load("context a {\n"
		   "  1 => trunk a\n"
		   "  include b\n"
		   "  2 => trunk a\n"
		   "  3 => trunk a\n"
		   "}\n"
		   "context b {\n"
		   "  2 => trunk b\n"
		   "  include c\n"
		   "}\n"
		   "context c {\n"
		   "  3 => trunk c\n"
		   "  1 => trunk c\n"
		   "}\n"
		   "context d {\n"
		   "  include c\n"
		   "  include b\n"
		   "}\n") == 0);
	EXPECT("a", NULL, "1", "2 trunk:a 1");
	EXPECT("a", NULL, "2", "8 trunk:b 2");
	EXPECT("a", NULL, "3", "12 trunk:c 3");
	EXPECT("d", NULL, "1", "13 trunk:c 1");
	EXPECT("d", NULL, "2", "8 trunk:b 2");
	return 0;
}

static int t_context_include_errors(void)
{
	CHECK(load("context a {\n"
		   "  include b\n"
		   "}\n"
		   "context b {\n"
		   "  include a\n"
		   "}\n"
		   "context c {\n"
		   "  include nowhere\n"
		   "  include c\n"
		   "  include \"file\"\n"
		   "}\n") == EINVAL);
	CHECK(unit_has_err(5, "including context 'a' here makes a cycle"));
	CHECK(unit_has_err(8, "no context 'nowhere'"));
	CHECK(unit_has_err(9, "context 'c' includes itself"));
	CHECK(unit_has_err(10, "'include NAME' includes a context"));
	CHECK(plan == NULL);
	return 0;
}

static int t_file_include(void)
{
	CHECK(!mkdir(path_of("common"), 0700));
	write_plan("common/emergency.dialplan",
		   "context emergency {\n"
		   "  112 => emergency, trunk a\n"
		   "}\n"
		   "include \"../shared.dialplan\"\n");
	write_plan("shared.dialplan", "include \"common/emergency.dialplan\"\n"
				      "context shared {\n"
				      "  _0X. => trunk shared\n"
				      "}\n");
	CHECK(load("include \"common/emergency.dialplan\"\n"
		   "include \"shared.dialplan\"\n"
		   "context out {\n"
		   "  include emergency\n"
		   "  include shared\n"
		   "}\n") == EINVAL);
	/* shared -> common/emergency -> shared is a cycle... */
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(1, "include cycle"));
	CHECK(strstr(unit_errs.text[0], "/shared.dialplan: "));
	/* ...a diamond is not: each file is read once. */
	write_plan("common/emergency.dialplan", "context emergency {\n"
						"  112 => emergency, trunk a\n"
						"}\n");
	CHECK(load("include \"common/emergency.dialplan\"\n"
		   "include \"shared.dialplan\"\n"
		   "context out {\n"
		   "  include emergency\n"
		   "  include shared\n"
		   "}\n") == 0);
	EXPECT("out", NULL, "112", "2 trunk:a 112 emergency");
	CHECK(strstr(res.rule.file, "common/emergency.dialplan"));
	EXPECT("out", NULL, "0301", "3 trunk:shared 0301");
	CHECK(strstr(res.rule.file, "/shared.dialplan"));
	return 0;
}

static int t_file_include_errors(void)
{
	char text[64];
	int i;

	/* A chain deeper than DIALPLAN_INCLUDE_DEPTH. */
	for (i = 0; i < 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d%d.dialplan", i);
		snprintf(text, sizeof(text), "include \"d%d.dialplan\"\n",
			 i + 1);
		write_plan(name, text);
	}
	write_plan("d10.dialplan", "");
	CHECK(load("include \"d0.dialplan\"\n") == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_any_err("includes nested deeper than 8"));
	CHECK(load("\n\ninclude \"missing.dialplan\"\n"
		   "include missing\n"
		   "include \"self/..\"\n"
		   "include \"test.dialplan\"\n") == EINVAL);
	CHECK(unit_has_err(3, "cannot read"));
	CHECK(unit_has_err(3, "missing.dialplan\": No such file"));
	CHECK(unit_has_err(4, "expected include \"FILE\""));
	CHECK(unit_has_err(6, "include cycle"));
	return 0;
}

static int t_load_errors(void)
{
	CHECK(load_path(path_of("nowhere.dialplan")) == ENOENT);
	CHECK(unit_errs.n == 1 && unit_has_err(0, "No such file"));
	CHECK(load_path(unit_dir) == EISDIR);
	CHECK(dialplan_load(NULL, &plan, NULL, NULL) == EINVAL);
	/* An empty plan compiles and has no context. */
	CHECK(load("; nothing\n") == 0);
	CHECK(!dialplan_has_context(plan, "default"));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Errors: each names its line                                             */

static const struct bad_rule {
	const char *rule;
	const char *reason;
} bad_rules[] = {
	{ "_9NXXQ => trunk a", "bad pattern '_9NXXQ': bad character" },
	{ "9NXX => trunk a", "X, Z and N are classes only in a '_' pattern" },
	{ "_9. => trunk a", NULL },
	{ "_9.1 => trunk a", "'.' and '!' may only end a pattern" },
	{ "9. => trunk a", "need a '_' pattern" },
	{ "_[ => trunk a", "'[' without ']'" },
	{ "_[] => trunk a", "empty [] set" },
	{ "_[5-1] => trunk a", "bad range in [...] set" },
	{ "_[a] => trunk a", "bad character in [...] set" },
	{ "_ => trunk a", "empty pattern" },
	{ "_1+ => trunk a", "'+' only at the start" },
	{ "_123456789012345678901234567890123 => trunk a",
	  "longer than 32 symbols" },
	{ "200-2999 => trunk a", "same number of digits" },
	{ "299-200 => trunk a", "range ends below its start" },
	{ "+200-299 => trunk a", "both with or without '+'" },
	{ "\"911\" => trunk a", "a pattern is not quoted" },
	{ "911 trunk a", "no '=>'" },
	{ "911 =>", "no action after '=>'" },
	{ "=> trunk a", "a rule starts with a pattern or 'default'" },
	{ "911 to 2 => trunk a", "expected '[from PATTERN] =>'" },
	{ "911 from 2Q => trunk a", "bad caller pattern '2Q'" },
	{ "911 => trunk a => trunk b", "a second '=>'" },
	{ "911 => trunk a,, emergency", "empty action" },
	{ "911 => trunk a,", "empty action" },
	{ "911 => dial a", "unknown action 'dial'" },
	{ "911 => trunk", "'trunk' takes one or more arguments" },
	{ "911 => trunk a b c d e f g h i", "at most 8 names" },
	{ "911 => trunk a/b", "bad trunk name 'a/b'" },
	{ "911 => trunk a, trunk b", "'trunk' given twice" },
	{ "911 => trunk a, extension", "a rule routes once" },
	{ "911 => reject 404, trunk a", "a rule routes once" },
	{ "911 => strip, trunk a", "'strip' takes one argument" },
	{ "911 => strip 0, trunk a", "strip needs a count from 1 to 32" },
	{ "911 => strip x, trunk a", "not 'x'" },
	{ "911 => strip 3, trunk a", "strip 3 can leave no digits" },
	{ "_9X => strip 1, strip 1, trunk a", "strip 1 can leave no digits" },
	{ "911 => prepend 1a, trunk a", "prepend needs digits" },
	{ "911 => prepend 1+, trunk a", "prepend needs digits" },
	{ "_X. => prepend 12345678901234567890123456789012, trunk a",
	  "numbers can grow beyond 63" },
	{ "911 => set, trunk a", "'set' takes one argument" },
	{ "911 => extension 2 3", "'extension' takes at most one argument" },
	{ "911 => extension abc", "bad extension 'abc'" },
	{ "911 => strip 1, extension 200", "'extension NUMBER' replaces" },
	{ "911 => hunt 200 x", "bad extension 'x' after hunt" },
	{ "911 => reject", "'reject' takes one or more arguments" },
	{ "911 => reject 200", "SIP code from 400 to 699" },
	{ "911 => reject 700", "SIP code from 400 to 699" },
	{ "911 => reject 404 Busy", "is \"quoted\" text" },
	{ "911 => reject 404 \"\"", "is \"quoted\" text" },
	{ "911 => reject 404, emergency", "reject takes no other action" },
	{ "911 => emergency, reject 404", "reject takes no other action" },
	{ "911 => presentation restricted, reject 404",
	  "reject takes no other action" },
	{ "911 => emergency", "emergency needs a trunk route" },
	{ "911 => emergency, extension", "emergency needs a trunk route" },
	{ "911 => emergency x, trunk a", "'emergency' takes no arguments" },
	{ "_+911 => emergency, trunk a", "not '+' numbers (EM-2)" },
	{ "911 => emergency, prepend +1, trunk a", "stays a dial string" },
	{ "911 => emergency, set +1911, trunk a", "stays a dial string" },
	{ "911 => presentation hidden, trunk a",
	  "'allowed' or 'restricted', not 'hidden'" },
	{ "911 => identity 4930, trunk a", "E.164 number '+<digits>'" },
	{ "911 => identity +, trunk a", "not 1 to 15 digits" },
	{ "911 => identity +1234567890123456, trunk a", "not 1 to 15 digits" },
	{ "911 => identity +49{callee}, trunk a", "{caller} or {caller:N}" },
	{ "911 from 2 => identity +49{caller:0}, trunk a", "{caller:N}" },
	{ "911 from 2 => identity +4930123456{caller:9}, trunk a",
	  "not 1 to 15 digits" },
	{ "911 => identity +49{caller}, trunk a", "needs a 'from' condition" },
	{ "911 => strip 1", "may only set identity or presentation" },
	{ "911 => emergency, identity +1", "emergency needs a trunk route" },
	{ "911 => identity +1, identity +2, trunk a", "given twice" },
	{ "911 => trunk a \"b\"", "bad trunk name 'b'" },
};

/* Every error reports its own line: the bad rule sits on line 7 of a file
 * whose other lines are fine. */
static int t_errors_rules(void)
{
	char text[600];
	size_t i;

	for (i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		const struct bad_rule *b = &bad_rules[i];

		snprintf(text, sizeof(text),
			 "; line 1\ncontext c {\n  1 => trunk a\n\n"
			 "  ; line 5\n  2 => trunk a\n  %s\n  3 => trunk a\n"
			 "}\n",
			 b->rule);
		if (!b->reason) {
			CHECK(load(text) == 0);
			continue;
		}
		if (load(text) != EINVAL || unit_errs.n != 1 ||
		    !unit_has_err(7, b->reason)) {
			fprintf(stderr, "  rule '%s', want '%s'\n", b->rule,
				b->reason);
			CHECK(!"error at line 7");
		}
		CHECK(plan == NULL);
	}
	return 0;
}

static int t_errors_structure(void)
{
	CHECK(load("911 => trunk a\n"		   /* 1 */
		   "}\n"			   /* 2 */
		   "context {\n"		   /* 3 */
		   "context a b {\n"		   /* 4 */
		   "context a/b {\n"		   /* 5 */
		   "context a {\n"		   /* 6 */
		   "  context b {\n"		   /* 7 */
		   "  1 => trunk a\n"		   /* 8 */
		   "} extra\n"			   /* 9 */
		   "context a {\n"		   /* 10 */
		   "}\n"			   /* 11 */
		   "context q {\n"		   /* 12 */
		   "  1 => reject 404 \"open\n"	   /* 13 */
		   "  include\n"		   /* 14 */
		   "  1 => trunk a ; a comment\n"  /* 15 */
		   "  2 => trunk a # a comment\n"  /* 16 */
		   "  3 => trunk a #comment\n"	   /* 17 */
		   "}\n"			   /* 18 */
		   "context unclosed {\n"	   /* 19 */
		   "  1 => trunk a\n") == EINVAL); /* 20 */
	CHECK(unit_has_err(1, "rules go inside a context"));
	CHECK(unit_has_err(2, "'}' without an open context"));
	CHECK(unit_has_err(3, "expected 'context NAME {'"));
	CHECK(unit_has_err(4, "expected 'context NAME {'"));
	CHECK(unit_has_err(5, "bad context name 'a/b'"));
	CHECK(unit_has_err(7, "contexts do not nest: close 'a' (line 6)"));
	CHECK(unit_has_err(9, "unexpected 'extra' after '}'"));
	CHECK(unit_has_err(10, "context 'a' already defined at "));
	CHECK(unit_has_err(13, "without its closing"));
	CHECK(unit_has_err(14, "'include NAME' includes a context"));
	CHECK(unit_has_err(11, "'}' without an open context"));
	CHECK(unit_has_err(19, "context 'unclosed' is not closed"));
	CHECK(unit_errs.n == 12);
	return 0;
}

static int t_errors_lines(void)
{
	char big[5000];

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	write_plan("nul.dialplan", "context a {\n}\n");
	{
		FILE *f = fopen(path_of("nul.dialplan"), "a");

		CHECK(f && fwrite("x\0y\n", 1, 4, f) == 4 && !fclose(f));
	}
	CHECK(load_path(path_of("nul.dialplan")) == EINVAL);
	CHECK(unit_has_err(3, "NUL character"));
	{
		char *text = malloc(sizeof(big) + 64);

		CHECK(text);
		snprintf(text, sizeof(big) + 64, "context a {\n%s\n}\n", big);
		CHECK(load(text) == EINVAL);
		free(text);
	}
	CHECK(unit_has_err(2, "line longer than 4096"));
	CHECK(load("context a {\n 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		   "19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 "
		   "38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 "
		   "57 58 59 60 61 62 63 64 65\n}\n") == EINVAL);
	CHECK(unit_has_err(2, "too many words"));
	/* CRLF files and a missing final newline are fine. */
	CHECK(load("context a {\r\n  1 => trunk a\r\n}") == 0);
	EXPECT("a", NULL, "1", "2 trunk:a 1");
	return 0;
}

/* Reason, comments and quoting details. */
static int t_syntax(void)
{
	CHECK(load("; comment\n"
		   "# comment\n"
		   "#comment\n"
		   "context a {   ; trailing\n"
		   "  #31#=>trunk a,emergency\n"
		   "  1=>reject 486 \"Busy \\\"here\\\" \\\\ now\" ; c\n"
		   "  2 => trunk a # comment\n"
		   "}\n") == 0);
	EXPECT("a", NULL, "#31#", "5 trunk:a #31# emergency");
	EXPECT("a", NULL, "1", "6 reject 486");
	CHECK(!strcmp(res.reason, "Busy \"here\" \\ now"));
	EXPECT("a", NULL, "2", "7 trunk:a 2");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Bad input                                                               */

static int t_bad_input(void)
{
	char forty[41];

	memset(forty, '5', 40);
	forty[40] = 0;
	CHECK(load("context a {\n"
		   "  _X. => trunk a\n"
		   "  _*X. => trunk star\n"
		   "  _+X. => trunk plus\n"
		   "  default => trunk any\n"
		   "}\n") == 0);
	EXPECT("a", NULL, "", "0 reject 484");
	EXPECT("a", NULL, NULL, "0 reject 484");
	EXPECT("a", NULL, " - ", "0 reject 484");
	EXPECT("a", NULL, "12ab", "0 reject 404");
	CHECK(!strcmp(res.reason, "Not Found (invalid number)"));
	CHECK(!res.number[0]);
	EXPECT("a", NULL, "alice", "0 reject 404");
	EXPECT("a", NULL, "1+2", "0 reject 404");
	EXPECT("a", NULL, "1;phone-context=x", "0 reject 404");
	EXPECT("a", NULL, "12\xff", "0 reject 404");
	EXPECT("a", NULL, forty, "0 reject 404");
	CHECK(!strcmp(res.reason, "Not Found (number too long)"));
	forty[32] = 0;
	EXPECT("a", NULL, forty, "2 trunk:a 55555555555555555555555555555555");
	return 0;
}

static int t_bad_input_symbols(void)
{
	struct dialplan_query q = { 7, "a", NULL, "1" };

	CHECK(load("context a {\n"
		   "  _X. => trunk a\n"
		   "  _*X. => trunk star\n"
		   "  _+X. => trunk plus\n"
		   "  default => trunk any\n"
		   "}\n") == 0);
	EXPECT("a", NULL, "+49 (30) 123-45.67",
	       "4 trunk:plus +49301234567 e164");
	EXPECT("a", NULL, "*21#", "3 trunk:star *21#");
	EXPECT("a", NULL, "*21", "3 trunk:star *21");
	EXPECT("a", NULL, "#", "5 trunk:any #");
	EXPECT("a", NULL, "+", "5 reject 404"); /* not E.164 */
	CHECK(dialplan_match(plan, &q, &res) == EINVAL);
	q.direction = DIALPLAN_OUTBOUND;
	CHECK(dialplan_match(NULL, &q, &res) == EINVAL);
	CHECK(dialplan_match(plan, NULL, &res) == EINVAL);
	CHECK(dialplan_match(plan, &q, NULL) == EINVAL);
	return 0;
}

/* REQ: ID-1 */
static int t_e164_check(void)
{
	CHECK(load("context a {\n"
		   "  _00X. => strip 2, prepend +, trunk a\n"
		   "  _0X. => strip 1, prepend +0, trunk a\n"
		   "}\n") == 0);
	EXPECT("a", NULL, "00123456789012345",
	       "2 trunk:a +123456789012345 e164");
	EXPECT("a", NULL, "001234567890123456", "2 reject 404");
	CHECK(res.rule.line == 2);
	CHECK(!strcmp(res.reason, "Not Found (not an E.164 number)"));
	EXPECT("a", NULL, "012", "3 reject 404"); /* +0...: no country */
	CHECK(dialplan_is_e164("+1") && dialplan_is_e164("+123456789012345"));
	CHECK(!dialplan_is_e164("+1234567890123456") && !dialplan_is_e164("+"));
	CHECK(!dialplan_is_e164("49") && !dialplan_is_e164("+49 30"));
	CHECK(!dialplan_is_e164(NULL) && !dialplan_is_e164("+49#"));
	CHECK(!dialplan_is_e164("+0123"));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Helpers: URI and report                                                 */

/* REQ: ID-6, EM-2, ID-1 */
static int t_uri_encode(void)
{
	char b[128];

	CHECK(!dialplan_uri_encode("+12125550123", "sp.example.com", b,
				   sizeof(b)));
	CHECK(!strcmp(b, "sip:+12125550123@sp.example.com;user=phone"));
	CHECK(!dialplan_uri_encode("911", "sp.example.com:5060", b, sizeof(b)));
	CHECK(!strcmp(b, "sip:911@sp.example.com:5060"));
	CHECK(!dialplan_uri_encode("*31#1", "2001:db8::1", b, sizeof(b)));
	CHECK(!strcmp(b, "sip:*31%231@[2001:db8::1]"));
	CHECK(!dialplan_uri_encode("112", "[2001:db8::1]:5061", b, sizeof(b)));
	CHECK(!strcmp(b, "sip:112@[2001:db8::1]:5061"));
	CHECK(dialplan_uri_encode("+1234567890123456", "x", b, sizeof(b)) ==
	      EINVAL);
	CHECK(dialplan_uri_encode("12a", "x", b, sizeof(b)) == EINVAL);
	CHECK(dialplan_uri_encode("", "x", b, sizeof(b)) == EINVAL);
	CHECK(dialplan_uri_encode("1", "a b", b, sizeof(b)) == EINVAL);
	CHECK(dialplan_uri_encode("1", "", b, sizeof(b)) == EINVAL);
	CHECK(dialplan_uri_encode("1", "a@b", b, sizeof(b)) == EINVAL);
	CHECK(dialplan_uri_encode("+12125550123", "sp.example.com", b, 20) ==
	      ENOSPC);
	CHECK(!b[0]);
	return 0;
}

/* REQ: EM-1, EM-2 */
static int t_result_format(void)
{
	char b[1024], small[40];

	CHECK(load("context out {\n"
		   "  default from 200 => identity +4930123400\n"
		   "  911 => emergency, presentation restricted, trunk a b\n"
		   "  _0X. => strip 1, prepend +49, trunk a\n"
		   "  1 => reject 403 \"Barred\"\n"
		   "}\n") == 0);
	EXPECT("out", "200", "911",
	       "3 trunk:a,b 911 emergency restricted id=+4930123400");
	CHECK(!dialplan_result_format(&res, "sp.example.com", b, sizeof(b)));
	{
		char want[1536];

		snprintf(want, sizeof(want),
			 "rule: %s:3\n"
			 "context: out\n"
			 "action: trunk a b\n"
			 "number: 911 (dial string)\n"
			 "request-uri: sip:911@sp.example.com\n"
			 "emergency: yes\n"
			 "presentation: restricted (%s:3)\n"
			 "identity: +4930123400 (%s:2)\n",
			 plan_path, plan_path, plan_path);
		if (strcmp(b, want))
			fprintf(stderr, "got:\n%s\nwant:\n%s", b, want);
		CHECK(!strcmp(b, want));
	}
	EXPECT("out", NULL, "030", "4 trunk:a +4930 e164");
	CHECK(!dialplan_result_format(&res, "sp.example.com", b, sizeof(b)));
	CHECK(strstr(b, "number: +4930 (E.164)\n"));
	CHECK(strstr(b, "request-uri: sip:+4930@sp.example.com;user=phone\n"));
	CHECK(strstr(b, "emergency: no\npresentation: default\n"
			"identity: default\n"));
	EXPECT("out", NULL, "1", "5 reject 403");
	CHECK(!dialplan_result_format(&res, NULL, b, sizeof(b)));
	CHECK(strstr(b, "action: reject 403 Barred\n"));
	CHECK(!strstr(b, "request-uri"));
	EXPECT("out", NULL, "x", "0 reject 404");
	CHECK(!dialplan_result_format(&res, NULL, b, sizeof(b)));
	CHECK(strstr(b, "rule: none (built-in outcome)\n"));
	CHECK(dialplan_result_format(&res, NULL, small, sizeof(small)) ==
	      ENOSPC);
	CHECK(strlen(small) == sizeof(small) - 1);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Threads: one plan, many matchers                                        */

static void free_plan(void)
{
	dialplan_free(plan);
	plan = NULL;
}

static void *matcher(void *arg)
{
	struct dialplan_query q = { DIALPLAN_OUTBOUND, "a", "205", NULL };
	struct dialplan_result r;
	char num[16];
	long i, bad = 0;

	(void)arg;
	for (i = 0; i < 20000; i++) {
		snprintf(num, sizeof(num), "0%ld", 300000 + i);
		q.dialled = num;
		if (dialplan_match(plan, &q, &r) ||
		    strcmp(r.number + 3, num + 1) ||
		    strcmp(r.identity, "+4930123205"))
			bad++;
	}
	return (void *)bad;
}

static int t_threads(void)
{
	pthread_t th[4];
	void *bad;
	int i, fails = 0;

	CHECK(load("context a {\n"
		   "  default from 200-299 => identity +4930123{caller}\n"
		   "  _0X. => strip 1, prepend +49, trunk a\n"
		   "}\n") == 0);
	for (i = 0; i < 4; i++)
		CHECK(!pthread_create(&th[i], NULL, matcher, NULL));
	for (i = 0; i < 4; i++) {
		CHECK(!pthread_join(th[i], &bad));
		fails += bad != NULL;
	}
	CHECK(!fails);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Shipped plans                                                           */

struct country_case {
	enum dialplan_direction dir;
	const char *caller;
	const char *dialled;
	const char *want; /* summary() without the line */
};

static int shipped(const char *name, const struct country_case *cases, size_t n)
{
	const char *dir = getenv("DIALPLAN_PLANS");
	char path[400];
	size_t i;
	int fails = 0;

	CHECK(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(load_path(path) == 0);
	CHECK(dialplan_has_context(plan, "outbound"));
	CHECK(dialplan_has_context(plan, "inbound"));
	for (i = 0; i < n; i++)
		fails += !expect_in(cases[i].dir, NULL, cases[i].caller,
				    cases[i].dialled, cases[i].want, false);
	CHECK(!fails);
	return 0;
}

#define OUT DIALPLAN_OUTBOUND
#define IN  DIALPLAN_INBOUND

static const struct country_case nanp_cases[] = {
	{ OUT, "201", "911",
	  "trunk:itsp1,itsp2 911 emergency id=+12125550201" },
	{ OUT, "201", "9911",
	  "trunk:itsp1,itsp2 911 emergency id=+12125550201" },
	{ OUT, "250", "911",
	  "trunk:itsp1,itsp2 911 emergency restricted id=+12125550250" },
	{ OUT, "201", "933",
	  "trunk:itsp1,itsp2 933 emergency id=+12125550201" },
	{ OUT, "201", "9933",
	  "trunk:itsp1,itsp2 933 emergency id=+12125550201" },
	{ OUT, "201", "12125550123",
	  "trunk:itsp1,itsp2 +12125550123 e164 id=+12125550201" },
	{ OUT, "200", "912125550123",
	  "trunk:itsp1,itsp2 +12125550123 e164 id=+12125550100" },
	{ OUT, NULL, "2125550123", "trunk:itsp1,itsp2 +12125550123 e164" },
	{ OUT, NULL, "(212) 555-0123", "trunk:itsp1,itsp2 +12125550123 e164" },
	{ OUT, NULL, "92125550123", "trunk:itsp1,itsp2 +12125550123 e164" },
	{ OUT, NULL, "011442079460123",
	  "trunk:itsp1,itsp2 +442079460123 e164" },
	{ OUT, NULL, "9011493012345678",
	  "trunk:itsp1,itsp2 +493012345678 e164" },
	{ OUT, NULL, "0114420794601234567", "reject 404" },
	{ OUT, NULL, "+442079460123", "trunk:itsp1,itsp2 +442079460123 e164" },
	{ OUT, NULL, "411", "trunk:itsp1 411" },
	{ OUT, NULL, "9211", "trunk:itsp1 211" },
	{ OUT, NULL, "202", "extension 202" },
	{ OUT, NULL, "1125550123", "reject 404" },
	{ OUT, NULL, "555", "reject 404" },
	{ OUT, NULL, "*69", "reject 404" },
	{ IN, NULL, "+12125550100", "hunt:200,201,202 +12125550100 e164" },
	{ IN, NULL, "+12125550234", "extension 234" },
	{ IN, NULL, "2125550234", "extension 234" },
	{ IN, NULL, "+12125550300", "reject 404" },
};

/* REQ: EM-1, EM-2, ID-1 */
static int t_plan_nanp(void)
{
	return shipped("nanp.dialplan", nanp_cases,
		       sizeof(nanp_cases) / sizeof(nanp_cases[0]));
}

static const struct country_case uk_cases[] = {
	{ OUT, "201", "999",
	  "trunk:itsp1,itsp2 999 emergency id=+442079460201" },
	{ OUT, "201", "112",
	  "trunk:itsp1,itsp2 112 emergency id=+442079460201" },
	{ OUT, "201", "02079460123",
	  "trunk:itsp1,itsp2 +442079460123 e164 id=+442079460201" },
	{ OUT, "200", "01632960123",
	  "trunk:itsp1,itsp2 +441632960123 e164 id=+442079460100" },
	{ OUT, NULL, "0800123456", "trunk:itsp1,itsp2 +44800123456 e164" },
	{ OUT, NULL, "14102079460123",
	  "trunk:itsp1,itsp2 +442079460123 e164 restricted" },
	{ OUT, NULL, "0012125550123", "trunk:itsp1,itsp2 +12125550123 e164" },
	{ OUT, NULL, "+12125550123", "trunk:itsp1,itsp2 +12125550123 e164" },
	{ OUT, NULL, "101", "trunk:itsp1 101" },
	{ OUT, NULL, "111", "trunk:itsp1 111" },
	{ OUT, NULL, "118500", "trunk:itsp1 118500" },
	{ OUT, NULL, "201", "extension 201" },
	{ OUT, NULL, "020794", "reject 404" },
	{ IN, NULL, "+442079460100", "hunt:200,201 +442079460100 e164" },
	{ IN, NULL, "+442079460299", "extension 299" },
	{ IN, NULL, "02079460212", "extension 212" },
	{ IN, NULL, "+442079460300", "reject 404" },
};

/* REQ: EM-1, EM-2, ID-1 */
static int t_plan_uk(void)
{
	return shipped("uk.dialplan", uk_cases,
		       sizeof(uk_cases) / sizeof(uk_cases[0]));
}

static const struct country_case germany_cases[] = {
	{ OUT, "201", "110",
	  "trunk:itsp1,itsp2 110 emergency id=+49301234567201" },
	{ OUT, "201", "112",
	  "trunk:itsp1,itsp2 112 emergency id=+49301234567201" },
	{ OUT, "201", "030123456",
	  "trunk:itsp1,itsp2 +4930123456 e164 id=+49301234567201" },
	{ OUT, "200", "08912345678",
	  "trunk:itsp1,itsp2 +498912345678 e164 id=+49301234567" },
	{ OUT, NULL, "0041441234567", "trunk:itsp1,itsp2 +41441234567 e164" },
	{ OUT, NULL, "+493012345", "trunk:itsp1,itsp2 +493012345 e164" },
	{ OUT, NULL, "116117", "trunk:itsp1 116117" },
	{ OUT, NULL, "115", "trunk:itsp1 115" },
	{ OUT, NULL, "230", "extension 230" },
	{ OUT, NULL, "03012", "reject 404" },
	{ IN, NULL, "+493012345670", "hunt:200,201 +493012345670 e164" },
	{ IN, NULL, "+49301234567250", "extension 250" },
	{ IN, NULL, "0301234567250", "extension 250" },
	{ IN, NULL, "+49301234567350", "reject 404" },
};

/* REQ: EM-1, EM-2, ID-1 */
static int t_plan_germany(void)
{
	return shipped("germany.dialplan", germany_cases,
		       sizeof(germany_cases) / sizeof(germany_cases[0]));
}

static const struct country_case france_cases[] = {
	{ OUT, "201", "15", "trunk:itsp1,itsp2 15 emergency id=+33199000201" },
	{ OUT, "201", "17", "trunk:itsp1,itsp2 17 emergency id=+33199000201" },
	{ OUT, "201", "18", "trunk:itsp1,itsp2 18 emergency id=+33199000201" },
	{ OUT, "201", "112",
	  "trunk:itsp1,itsp2 112 emergency id=+33199000201" },
	{ OUT, "201", "114",
	  "trunk:itsp1,itsp2 114 emergency id=+33199000201" },
	{ OUT, "201", "116000",
	  "trunk:itsp1,itsp2 116000 emergency id=+33199000201" },
	{ OUT, "201", "0199001234",
	  "trunk:itsp1,itsp2 +33199001234 e164 id=+33199000201" },
	{ OUT, "200", "0612345678",
	  "trunk:itsp1,itsp2 +33612345678 e164 id=+33199000100" },
	{ OUT, NULL, "#31#0612345678",
	  "trunk:itsp1,itsp2 +33612345678 e164 restricted" },
	{ OUT, NULL, "0044201234567", "trunk:itsp1,itsp2 +44201234567 e164" },
	{ OUT, NULL, "3949", "trunk:itsp1 3949" },
	{ OUT, NULL, "220", "extension 220" },
	{ OUT, NULL, "06123", "reject 404" },
	{ IN, NULL, "+33199000100", "hunt:200,201 +33199000100 e164" },
	{ IN, NULL, "+33199000245", "extension 245" },
	{ IN, NULL, "0199000245", "extension 245" },
	{ IN, NULL, "+33199000345", "reject 404" },
};

/* REQ: EM-1, EM-2, ID-1 */
static int t_plan_france(void)
{
	return shipped("france.dialplan", france_cases,
		       sizeof(france_cases) / sizeof(france_cases[0]));
}

static const struct unit_case cases[] = {
	{ "defaults", t_defaults },
	{ "file_relative", t_file_relative },
	{ "file_missing", t_file_missing },
	{ "literal", t_literal },
	{ "pattern_classes", t_pattern_classes },
	{ "ranges", t_ranges },
	{ "precedence", t_precedence },
	{ "action_normalize", t_action_normalize },
	{ "action_trunk", t_action_trunk },
	{ "trunk_refs", t_trunk_refs },
	{ "action_extension", t_action_extension },
	{ "action_hunt", t_action_hunt },
	{ "action_reject", t_action_reject },
	{ "action_emergency", t_action_emergency },
	{ "action_presentation", t_action_presentation },
	{ "action_identity", t_action_identity },
	{ "modifier_rules", t_modifier_rules },
	{ "caller_condition", t_caller_condition },
	{ "default_rule", t_default_rule },
	{ "contexts", t_contexts },
	{ "context_include", t_context_include },
	{ "context_include_errors", t_context_include_errors },
	{ "file_include", t_file_include },
	{ "file_include_errors", t_file_include_errors },
	{ "load_errors", t_load_errors },
	{ "errors_rules", t_errors_rules },
	{ "errors_structure", t_errors_structure },
	{ "errors_lines", t_errors_lines },
	{ "syntax", t_syntax },
	{ "bad_input", t_bad_input },
	{ "bad_input_symbols", t_bad_input_symbols },
	{ "e164_check", t_e164_check },
	{ "uri_encode", t_uri_encode },
	{ "result_format", t_result_format },
	{ "threads", t_threads },
	{ "plan_nanp", t_plan_nanp },
	{ "plan_uk", t_plan_uk },
	{ "plan_germany", t_plan_germany },
	{ "plan_france", t_plan_france },
};

UNIT_MAIN(cases)
