/*
 * dialplan.match: the pure half of the module. A query is normalized into
 * symbols, the context's trie is searched for the first rule (in expanded
 * order) that matches dialled string and caller, rules that only set
 * identity or presentation contribute and the search goes on after them,
 * and the routing rule's rewriting is applied. No I/O, no allocation, no
 * shared state: a loaded plan serves any number of threads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dialplan_private.h"

/* A query's strings as symbols (visual separators removed). */
struct input {
	uint8_t sym[DIALPLAN_DIGITS_MAX];
	char text[DIALPLAN_DIGITS_MAX + 1];
	size_t len;
};

enum input_status { INPUT_OK, INPUT_EMPTY, INPUT_BAD, INPUT_LONG };

/* RFC 3966 visual separators, and blanks that phones and users add. */
static bool visual_separator(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')' || c == ' ' ||
	       c == '\t';
}

static enum input_status input_read(const char *s, struct input *in)
{
	int sym;

	in->len = 0;
	for (; s && *s; s++) {
		if (visual_separator(*s))
			continue;
		sym = dp_symbol(*s);
		if (sym < 0 || (sym == DP_SYM_PLUS && in->len))
			return INPUT_BAD;
		if (in->len == DIALPLAN_DIGITS_MAX)
			return INPUT_LONG;
		in->sym[in->len] = (uint8_t)sym;
		in->text[in->len++] = *s;
	}
	in->text[in->len] = 0;
	return in->len ? INPUT_OK : INPUT_EMPTY;
}

/* ---------------------------------------------------------------------- */
/* Search                                                                  */

struct search {
	const struct dp_context *ctx;
	const struct input *dialled;
	const struct input *caller; /* NULL: unknown */
	uint32_t from;		    /* positions before this are done */
	uint32_t best;		    /* UINT32_MAX: nothing yet */
};

static bool caller_ok(const struct search *s, const struct dp_rule *r)
{
	unsigned i;

	if (!r->caller.n_alt)
		return true;
	if (!s->caller)
		return false;
	for (i = 0; i < r->caller.n_alt; i++)
		if (dp_seq_match(&r->caller.alt[i], s->caller->sym,
				 s->caller->len))
			return true;
	return false;
}

/* The first position in LIST (ascending) in [from, best) whose caller
 * condition holds becomes the best. */
static void scan(struct search *s, const uint32_t *list, uint32_t n)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (list[mid] < s->from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && list[lo] < s->best; lo++)
		if (caller_ok(s, s->ctx->rules[list[lo]])) {
			s->best = list[lo];
			return;
		}
}

/* Depth first with branch and bound: a subtree that cannot hold a
 * position in [from, best) is skipped. Depth <= DIALPLAN_DIGITS_MAX. */
static void visit(struct search *s, uint32_t id, size_t i)
{
	const struct dp_node *n = &s->ctx->nodes[id];
	const struct input *d = s->dialled;
	uint32_t e, bit;

	if (n->min_pos >= s->best || n->max_pos < s->from)
		return;
	if (i == d->len)
		scan(s, n->end, n->n_end);
	else
		scan(s, n->one, n->n_one);
	scan(s, n->zero, n->n_zero);
	if (i == d->len)
		return;
	bit = 1u << d->sym[i];
	for (e = 0; e < n->n_edges; e++)
		if (n->edge_mask[e] & bit)
			visit(s, n->edge_child[e], i + 1);
}

/* ---------------------------------------------------------------------- */
/* Applying a rule                                                         */

bool dialplan_is_e164(const char *t)
{
	size_t n;

	if (!t || t[0] != '+')
		return false;
	for (n = 1; t[n] >= '0' && t[n] <= '9'; n++)
		;
	/* No country code starts with 0. */
	return !t[n] && n >= 2 && n <= 16 && t[1] != '0';
}

/* Rewrite NUM (length *len) by the rule's ops; compile-time checks keep
 * the number within DIALPLAN_NUMBER_MAX, the bounds here are defensive. */
static void apply_ops(const struct dp_rule *r, char *num, size_t *len)
{
	size_t n, i;

	for (i = 0; i < r->n_ops; i++) {
		const struct dp_op *op = &r->ops[i];

		switch (op->kind) {
		case DP_OP_STRIP:
			n = op->n < *len ? op->n : *len;
			memmove(num, num + n, *len - n + 1);
			*len -= n;
			break;
		case DP_OP_KEEP:
			n = op->n < *len ? *len - op->n : 0;
			memmove(num, num + n, *len - n + 1);
			*len -= n;
			break;
		case DP_OP_PREPEND:
			n = strlen(op->text);
			if (*len + n > DIALPLAN_NUMBER_MAX)
				break;
			memmove(num + n, num, *len + 1);
			memcpy(num, op->text, n);
			*len += n;
			break;
		case DP_OP_SET:
			*len = strlen(op->text);
			memcpy(num, op->text, *len + 1);
			break;
		}
	}
}

/* The rule's identity: fixed part + the caller's (last N) digits; set only
 * when the outcome is in ID-1 form, so a rule never asserts garbage. */
static void apply_identity(const struct dp_rule *r, const struct input *caller,
			   struct dialplan_result *res)
{
	char id[DIALPLAN_NUMBER_MAX + 1];
	const char *tail = "";
	size_t n;

	if (!r->identity || res->identity_from.line)
		return;
	if (r->identity_caller) {
		n = r->identity_last;
		if (!caller || (n && caller->len < n))
			return;
		tail = caller->text + (n ? caller->len - n : 0);
	}
	if ((size_t)snprintf(id, sizeof(id), "%s%s", r->identity, tail) >=
		    sizeof(id) ||
	    !dialplan_is_e164(id))
		return;
	memcpy(res->identity, id, sizeof(id));
	res->identity_from = (struct dialplan_source){ r->file, r->line };
}

static void builtin_reject(struct dialplan_result *res, uint16_t code,
			   const char *reason)
{
	res->action = DIALPLAN_ACTION_REJECT;
	res->code = code;
	res->reason = reason;
	res->n_targets = 0;
	res->e164 = false;
	res->emergency = false;
}

static void apply_route(const struct dp_rule *r, const struct input *dialled,
			struct dialplan_result *res)
{
	size_t len = dialled->len, i;

	res->rule = (struct dialplan_source){ r->file, r->line };
	memcpy(res->number, dialled->text, len + 1);
	if (r->action == DIALPLAN_ACTION_REJECT) {
		builtin_reject(res, r->code, r->reason);
		return;
	}
	apply_ops(r, res->number, &len);
	res->action = r->action;
	res->emergency = r->emergency;
	res->n_targets = r->n_targets;
	for (i = 0; i < r->n_targets; i++)
		res->targets[i] = r->targets[i];
	res->e164 = dialplan_is_e164(res->number);
	if (!len)
		builtin_reject(res, 484, "Address Incomplete");
	else if (res->number[0] == '+' && !res->e164)
		builtin_reject(res, 404, "Not Found (not an E.164 number)");
}

/* ---------------------------------------------------------------------- */
/* The query                                                               */

static const struct dp_context *select_context(const struct dialplan *plan,
					       const struct dialplan_query *q)
{
	const struct dp_context *ctx;

	if (q->context && *q->context)
		return dp_context_find(plan, q->context);
	ctx = dp_context_find(plan, dialplan_direction_name(q->direction));
	return ctx ? ctx : dp_context_find(plan, "default");
}

int dialplan_match(const struct dialplan *plan,
		   const struct dialplan_query *query,
		   struct dialplan_result *res)
{
	struct search s = { .from = 0 };
	struct input dialled, caller;
	const struct dp_context *ctx;
	const struct dp_rule *r;
	enum input_status st;

	if (!plan || !query || !res || query->direction > DIALPLAN_INTERNAL)
		return EINVAL;
	ctx = select_context(plan, query);
	if (!ctx)
		return ENOENT;
	memset(res, 0, sizeof(*res));
	res->context = ctx->name;
	st = input_read(query->dialled, &dialled);
	if (st != INPUT_OK) {
		builtin_reject(res, st == INPUT_EMPTY ? 484 : 404,
			       st == INPUT_EMPTY ? "Address Incomplete"
			       : st == INPUT_BAD
				       ? "Not Found (invalid number)"
				       : "Not Found (number too long)");
		return 0;
	}
	s.ctx = ctx;
	s.dialled = &dialled;
	s.caller =
		input_read(query->caller, &caller) == INPUT_OK ? &caller : NULL;
	for (;;) {
		s.best = UINT32_MAX;
		if (ctx->n_rules)
			visit(&s, 0, 0);
		if (s.best == UINT32_MAX) {
			memcpy(res->number, dialled.text, dialled.len + 1);
			builtin_reject(res, 404, "Not Found (no route)");
			return 0;
		}
		r = ctx->rules[s.best];
		if (r->presentation && !res->presentation_from.line) {
			res->presentation = r->presentation;
			res->presentation_from =
				(struct dialplan_source){ r->file, r->line };
		}
		apply_identity(r, s.caller, res);
		if (r->routes)
			break;
		s.from = s.best + 1;
	}
	apply_route(r, &dialled, res);
	return 0;
}

unsigned dialplan_trunk_refs(const struct dialplan *plan,
			     dialplan_trunk_ref_h *fn, void *arg)
{
	unsigned i, k, t, n = 0;

	for (i = 0; plan && i < plan->n_ctx; i++) {
		const struct dp_context *ctx = plan->ctx[i];

		/* Items are the rules written in this context (includes are
		 * items without a rule): each rule is seen once. */
		for (k = 0; k < ctx->n_items; k++) {
			const struct dp_rule *r = ctx->items[k].rule;
			struct dialplan_source where;

			if (!r || !r->routes ||
			    r->action != DIALPLAN_ACTION_TRUNK)
				continue;
			where.file = r->file;
			where.line = r->line;
			for (t = 0; t < r->n_targets; t++)
				n += fn(r->targets[t], &where, arg);
		}
	}
	return n;
}
