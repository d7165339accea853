/*
 * dialplan.rule: one rule line,
 *
 *   PATTERN|default [from PATTERN] => ACTION {, ACTION}
 *
 * and the checks that make a compiled rule safe to apply without any check
 * at match time: numbers it produces fit DIALPLAN_NUMBER_MAX, a strip never
 * eats more than the pattern guarantees, an emergency number stays a dial
 * string (EM-2), one rule routes at most once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialplan_private.h"

struct rp {
	struct dialplan *plan;
	struct dp_rule *r;
	char *why;
	size_t whylen;
	const char *route_word; /* the routing action seen, or NULL */
	bool ext_fixed;		/* "extension NUMBER" */
	unsigned n_mod;		/* emergency, presentation, identity */
};

static int fail(struct rp *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct rp *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, p->whylen, fmt, ap);
	va_end(ap);
	return EINVAL;
}

static int store(struct rp *p, const char *s, const char **out)
{
	*out = dp_strdup(p->plan, s);
	return *out ? 0 : ENOMEM;
}

static bool number_ok(const char *s, bool plus)
{
	size_t i, n = strlen(s);

	if (!n || n > DIALPLAN_DIGITS_MAX)
		return false;
	for (i = 0; i < n; i++) {
		int sym = dp_symbol(s[i]);

		if (sym < 0 || (sym == DP_SYM_PLUS && (i || !plus)))
			return false;
	}
	return true;
}

static bool word_eq(const struct dp_tok *t, const char *w)
{
	return !t->quoted && !strcmp(t->s, w);
}

bool dp_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.-", s[i])))
			return false;
	return n && n <= 63;
}

/* A count 1..32. */
static int count_arg(struct rp *p, const char *w, const struct dp_tok *a,
		     unsigned *out)
{
	char *end;
	long v = strtol(a->s, &end, 10);

	if (a->quoted || *end || end == a->s || v < 1 ||
	    v > DIALPLAN_DIGITS_MAX)
		return fail(p, "%s needs a count from 1 to %d, not '%s'", w,
			    DIALPLAN_DIGITS_MAX, a->s);
	*out = (unsigned)v;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

static int add_op(struct rp *p, enum dp_op_kind kind, struct dp_op **op)
{
	if (p->r->n_ops == DP_OPS_MAX)
		return fail(p, "more than %d strip/keep/prepend/set",
			    DP_OPS_MAX);
	*op = &p->r->ops[p->r->n_ops++];
	(*op)->kind = kind;
	return 0;
}

static int act_count(struct rp *p, const char *w, const struct dp_tok *a,
		     unsigned na)
{
	struct dp_op *op = NULL;
	int err;

	(void)na;
	err = add_op(p, !strcmp(w, "strip") ? DP_OP_STRIP : DP_OP_KEEP, &op);
	return err ? err : count_arg(p, w, a, &op->n);
}

static int act_text(struct rp *p, const char *w, const struct dp_tok *a,
		    unsigned na)
{
	struct dp_op *op = NULL;
	int err;

	(void)na;
	if (a->quoted || !number_ok(a->s, true))
		return fail(p,
			    "%s needs digits, '*' or '#' (and a leading '+'), "
			    "at most %d, not '%s'",
			    w, DIALPLAN_DIGITS_MAX, a->s);
	err = add_op(p, !strcmp(w, "set") ? DP_OP_SET : DP_OP_PREPEND, &op);
	return err ? err : store(p, a->s, &op->text);
}

static int set_route(struct rp *p, const char *w, enum dialplan_action act)
{
	if (p->route_word)
		return fail(p, "a rule routes once: '%s' and '%s'",
			    p->route_word, w);
	p->route_word = w;
	p->r->routes = true;
	p->r->action = act;
	return 0;
}

static int targets(struct rp *p, const char *w, const struct dp_tok *a,
		   unsigned na, bool names)
{
	unsigned i;
	int err = 0;

	if (na > DIALPLAN_TARGETS_MAX)
		return fail(p, "%s takes at most %d names", w,
			    DIALPLAN_TARGETS_MAX);
	for (i = 0; !err && i < na; i++) {
		if (a[i].quoted ||
		    (names ? !dp_name_ok(a[i].s) : !number_ok(a[i].s, false)))
			return fail(p, "bad %s '%s' after %s",
				    names ? "trunk name" : "extension", a[i].s,
				    w);
		err = store(p, a[i].s, &p->r->targets[i]);
	}
	p->r->n_targets = na;
	return err;
}

static int act_trunk(struct rp *p, const char *w, const struct dp_tok *a,
		     unsigned na)
{
	int err = set_route(p, w, DIALPLAN_ACTION_TRUNK);

	return err ? err : targets(p, w, a, na, true);
}

static int act_hunt(struct rp *p, const char *w, const struct dp_tok *a,
		    unsigned na)
{
	int err = set_route(p, w, DIALPLAN_ACTION_HUNT);

	return err ? err : targets(p, w, a, na, false);
}

static int act_extension(struct rp *p, const char *w, const struct dp_tok *a,
			 unsigned na)
{
	struct dp_op *op = NULL;
	int err = set_route(p, w, DIALPLAN_ACTION_EXTENSION);

	if (err || !na)
		return err;
	if (a->quoted || !number_ok(a->s, false))
		return fail(p, "bad extension '%s'", a->s);
	p->ext_fixed = true;
	err = add_op(p, DP_OP_SET, &op);
	return err ? err : store(p, a->s, &op->text);
}

static const char *default_reason(uint16_t code)
{
	static const struct {
		uint16_t code;
		const char *reason;
	} tab[] = {
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 480, "Temporarily Unavailable" },
		{ 484, "Address Incomplete" },
		{ 486, "Busy Here" },
		{ 488, "Not Acceptable Here" },
		{ 500, "Server Internal Error" },
		{ 503, "Service Unavailable" },
		{ 603, "Decline" },
		{ 604, "Does Not Exist Anywhere" },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].code == code)
			return tab[i].reason;
	return "Rejected";
}

static int act_reject(struct rp *p, const char *w, const struct dp_tok *a,
		      unsigned na)
{
	char *end;
	long v = strtol(a->s, &end, 10);
	int err = set_route(p, w, DIALPLAN_ACTION_REJECT);
	size_t i;

	if (err)
		return err;
	if (a->quoted || *end || end == a->s || v < 400 || v > 699)
		return fail(p,
			    "reject needs a SIP code from 400 to 699, not "
			    "'%s'",
			    a->s);
	p->r->code = (uint16_t)v;
	if (na == 1) {
		p->r->reason = default_reason(p->r->code);
		return 0;
	}
	if (!a[1].quoted || !*a[1].s || strlen(a[1].s) > 100)
		return fail(p,
			    "the reason after reject %ld is \"quoted\" text "
			    "(1 to 100 characters)",
			    v);
	for (i = 0; a[1].s[i]; i++)
		if ((unsigned char)a[1].s[i] < 0x20 || a[1].s[i] == 0x7f)
			return fail(p, "control character in reason");
	return store(p, a[1].s, &p->r->reason);
}

static int act_emergency(struct rp *p, const char *w, const struct dp_tok *a,
			 unsigned na)
{
	(void)w, (void)a, (void)na;
	p->r->emergency = true;
	p->n_mod++;
	return 0;
}

static int act_presentation(struct rp *p, const char *w, const struct dp_tok *a,
			    unsigned na)
{
	(void)na;
	p->n_mod++;
	if (word_eq(a, "allowed"))
		p->r->presentation = DIALPLAN_PRES_ALLOWED;
	else if (word_eq(a, "restricted"))
		p->r->presentation = DIALPLAN_PRES_RESTRICTED;
	else
		return fail(p, "%s is 'allowed' or 'restricted', not '%s'", w,
			    a->s);
	return 0;
}

/* "+4930123400", "+4930123{caller}", "+49301234{caller:2}", "{caller}":
 * the caller's digits (or the last N of them) follow the fixed part. */
static int act_identity(struct rp *p, const char *w, const struct dp_tok *a,
			unsigned na)
{
	const char *s = a->s, *brace = strchr(s, '{');
	size_t fixed = brace ? (size_t)(brace - s) : strlen(s), i;
	struct dp_rule *r = p->r;
	char *d;

	(void)na;
	p->n_mod++;
	if (a->quoted)
		return fail(p, "%s is not quoted", w);
	if (brace) {
		unsigned last = 0;
		int used = 0;

		if (strcmp(brace, "{caller}") &&
		    !(sscanf(brace, "{caller:%u}%n", &last, &used) == 1 &&
		      !brace[used] && last >= 1 && last <= 15))
			return fail(p,
				    "identity placeholder is {caller} or "
				    "{caller:N} (N 1-15) at the end, not '%s'",
				    brace);
		r->identity_caller = true;
		r->identity_last = last;
	}
	for (i = 0; i < fixed; i++)
		if (!(i == 0 ? s[i] == '+' : s[i] >= '0' && s[i] <= '9'))
			return fail(p,
				    "identity is an E.164 number '+<digits>' "
				    "(ID-1), not '%s'",
				    s);
	if (fixed + r->identity_last > 16 || (!brace && fixed < 2))
		return fail(p, "identity '%s' is not 1 to 15 digits after '+'",
			    s);
	d = dp_alloc(p->plan, fixed + 1);
	if (!d)
		return ENOMEM;
	memcpy(d, s, fixed);
	d[fixed] = 0;
	r->identity = d;
	return 0;
}

typedef int(act_h)(struct rp *p, const char *w, const struct dp_tok *a,
		   unsigned na);

static const struct action {
	const char *word;
	unsigned min, max; /* arguments */
	act_h *parse;
	bool once;
} actions[] = {
	{ "strip", 1, 1, act_count, false },
	{ "keep", 1, 1, act_count, false },
	{ "prepend", 1, 1, act_text, false },
	{ "set", 1, 1, act_text, false },
	{ "trunk", 1, 64, act_trunk, true },
	{ "extension", 0, 1, act_extension, true },
	{ "hunt", 1, 64, act_hunt, true },
	{ "reject", 1, 2, act_reject, true },
	{ "emergency", 0, 0, act_emergency, true },
	{ "presentation", 1, 1, act_presentation, true },
	{ "identity", 1, 1, act_identity, true },
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

/* One action: tokens a[0..n), a[0] its word. */
static int action(struct rp *p, const struct dp_tok *a, unsigned n, bool *seen)
{
	const struct action *ac = NULL;
	size_t i;

	if (!n)
		return fail(p, "empty action (two ',' or a ',' at the end)");
	for (i = 0; i < N_ACTIONS && !ac; i++)
		if (word_eq(a, actions[i].word))
			ac = &actions[i];
	if (!ac)
		return fail(p, "unknown action '%s'", a->s);
	if (ac->once && seen[ac - actions])
		return fail(p, "'%s' given twice", ac->word);
	seen[ac - actions] = true;
	if (n - 1 < ac->min || n - 1 > ac->max)
		return fail(p, "'%s' takes %s", ac->word,
			    ac->min == ac->max ? (ac->min ? "one argument"
							  : "no arguments")
			    : ac->min	       ? "one or more arguments"
					       : "at most one argument");
	return ac->parse(p, ac->word, a + 1, n - 1);
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */

/* Follow the number through the ops: it never gets empty by a strip that
 * the pattern does not allow for, and never longer than the result holds. */
static int check_lengths(struct rp *p)
{
	const struct dp_rule *r = p->r;
	unsigned lo, hi, i, n;

	dp_pattern_lengths(&r->called, &lo, &hi);
	lo = lo ? lo : 1; /* empty dialled strings never reach rules */
	for (i = 0; i < r->n_ops; i++) {
		const struct dp_op *op = &r->ops[i];

		switch (op->kind) {
		case DP_OP_STRIP:
			if (op->n >= lo)
				return fail(p,
					    "strip %u can leave no digits: "
					    "the pattern matches numbers of "
					    "%u",
					    op->n, lo);
			lo -= op->n;
			hi = hi > op->n ? hi - op->n : 0;
			break;
		case DP_OP_KEEP:
			lo = lo < op->n ? lo : op->n;
			hi = hi < op->n ? hi : op->n;
			break;
		case DP_OP_PREPEND:
			n = (unsigned)strlen(op->text);
			lo += n;
			hi += n;
			break;
		case DP_OP_SET:
			lo = hi = (unsigned)strlen(op->text);
			break;
		}
		if (hi > DIALPLAN_NUMBER_MAX)
			return fail(p, "numbers can grow beyond %d characters",
				    DIALPLAN_NUMBER_MAX);
	}
	return 0;
}

/* EM-1/EM-2: an emergency call goes to a trunk with the national emergency
 * number as dial string, so nothing in the rule may make it E.164. */
static int check_emergency(struct rp *p)
{
	const struct dp_rule *r = p->r;
	unsigned i;

	if (!r->emergency)
		return 0;
	if (!r->routes || r->action != DIALPLAN_ACTION_TRUNK)
		return fail(p, "emergency needs a trunk route (EM-1)");
	if (dp_pattern_may_start_plus(&r->called))
		return fail(p, "an emergency pattern matches dial strings, not "
			       "'+' numbers (EM-2)");
	for (i = 0; i < r->n_ops; i++)
		if (r->ops[i].text && r->ops[i].text[0] == '+')
			return fail(p,
				    "an emergency number stays a dial string "
				    "(EM-2): no '+'");
	return 0;
}

static int check(struct rp *p)
{
	const struct dp_rule *r = p->r;
	int err;

	if (r->routes && r->action == DIALPLAN_ACTION_REJECT &&
	    (r->n_ops || p->n_mod))
		return fail(p, "reject takes no other action");
	err = check_emergency(p);
	if (err)
		return err;
	if (!r->routes && r->n_ops)
		return fail(p, "a rule without trunk, extension, hunt or "
			       "reject may only set identity or presentation");
	if (p->ext_fixed && r->n_ops > 1)
		return fail(p, "'extension NUMBER' replaces the number: drop "
			       "strip, keep, prepend and set");
	if (r->identity_caller && !r->caller.n_alt)
		return fail(p, "identity with {caller} needs a 'from' "
			       "condition");
	return check_lengths(p);
}

/* ---------------------------------------------------------------------- */
/* The rule                                                                */

static int conditions(struct rp *p, const struct dp_tok *t, unsigned n)
{
	const char *why;

	if (!n)
		return fail(p, "a rule starts with a pattern or 'default'");
	if (t[0].quoted)
		return fail(p, "a pattern is not quoted");
	if (word_eq(&t[0], "default")) {
		dp_pattern_any(p->plan, &p->r->called);
		if (!p->r->called.n_alt)
			return ENOMEM;
	} else if ((why = dp_pattern_parse(p->plan, t[0].s, &p->r->called))) {
		return fail(p, "bad pattern '%s': %s", t[0].s, why);
	}
	if (n == 1)
		return 0;
	if (n != 3 || !word_eq(&t[1], "from") || t[2].quoted)
		return fail(p, "expected '[from PATTERN] =>' after '%s'",
			    t[0].s);
	if ((why = dp_pattern_parse(p->plan, t[2].s, &p->r->caller)))
		return fail(p, "bad caller pattern '%s': %s", t[2].s, why);
	return 0;
}

int dp_rule_parse(struct dialplan *plan, const struct dp_tok *t, unsigned n,
		  struct dp_rule *r, char *why, size_t whylen)
{
	struct rp p = { .plan = plan, .r = r, .why = why, .whylen = whylen };
	bool seen[N_ACTIONS] = { false };
	unsigned arrow, i, start;
	int err;

	memset(r, 0, sizeof(*r));
	for (arrow = 0; arrow < n && !word_eq(&t[arrow], "=>"); arrow++)
		;
	if (arrow == n)
		return fail(&p, "expected 'PATTERN => ACTION' (no '=>')");
	err = conditions(&p, t, arrow);
	if (err)
		return err;
	if (arrow + 1 == n)
		return fail(&p, "no action after '=>'");
	for (i = start = arrow + 1; i <= n && !err; i++)
		if (i == n || word_eq(&t[i], ",")) {
			err = action(&p, t + start, i - start, seen);
			start = i + 1;
		} else if (word_eq(&t[i], "=>")) {
			err = fail(&p, "a second '=>'");
		}
	return err ? err : check(&p);
}
