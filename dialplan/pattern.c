/*
 * dialplan.pattern: the three ways to write a number condition and the trie
 * they compile into (see dialplan_private.h).
 *
 *   911, *97, +4930123400      literal: exactly this string
 *   _9NXXNXXXXXX, _0[1-9]X.    pattern: X 0-9, Z 1-9, N 2-9, [1-57] a set,
 *                              '.' one or more, '!' zero or more (last only)
 *   200-299, +4930123400-+4930123499
 *                              range of same-length numbers, split into
 *                              patterns ("2XX", or "4930123[4-9]XX" ...)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dialplan_private.h"

int dp_symbol(char c)
{
	switch (c) {
	case '*':
		return DP_SYM_STAR;
	case '#':
		return DP_SYM_HASH;
	case '+':
		return DP_SYM_PLUS;
	default:
		return c >= '0' && c <= '9' ? c - '0' : -1;
	}
}

static uint16_t digit_span(int lo, int hi)
{
	return (uint16_t)(((1u << (hi + 1)) - 1) & ~((1u << lo) - 1));
}

/* "[1-57*]" at *p (after '['); advances *p past ']'. */
static const char *parse_set(const char **p, uint16_t *mask)
{
	const char *s = *p;

	*mask = 0;
	for (; *s && *s != ']'; s++) {
		int a = dp_symbol(*s);

		if (a < 0 || a == DP_SYM_PLUS)
			return "bad character in [...] set";
		if (s[1] == '-') {
			int b = dp_symbol(s[2]);

			if (a > 9 || b < 0 || b > 9 || b < a)
				return "bad range in [...] set (write [1-5])";
			*mask |= digit_span(a, b);
			s += 2;
			continue;
		}
		*mask |= (uint16_t)(1u << a);
	}
	if (*s != ']')
		return "'[' without ']'";
	if (!*mask)
		return "empty [] set";
	*p = s + 1;
	return NULL;
}

static uint16_t class_mask(char c)
{
	switch (c) {
	case 'X':
	case 'x':
		return DP_MASK_DIGITS;
	case 'Z':
	case 'z':
		return digit_span(1, 9);
	case 'N':
	case 'n':
		return digit_span(2, 9);
	default:
		return 0;
	}
}

/* One element of a "_" pattern (or of a literal when classes is false). */
static const char *parse_element(const char **p, bool classes, bool first,
				 struct dp_seq *seq)
{
	const char *s = *p;
	uint16_t m;
	int sym = dp_symbol(*s);
	const char *why;

	if (*s == '.' || *s == '!') {
		if (!classes)
			return "'.' and '!' need a '_' pattern";
		if (s[1])
			return "'.' and '!' may only end a pattern";
		seq->tail = *s == '.' ? DP_TAIL_ONE : DP_TAIL_ZERO;
		*p = s + 1;
		return NULL;
	}
	if (seq->n == DIALPLAN_DIGITS_MAX)
		return "pattern longer than 32 symbols";
	if (sym == DP_SYM_PLUS && !first)
		return "'+' only at the start";
	if (sym >= 0) {
		seq->el[seq->n++] = (uint16_t)(1u << sym);
		*p = s + 1;
		return NULL;
	}
	if (classes && *s == '[') {
		*p = s + 1;
		why = parse_set(p, &m);
		if (!why)
			seq->el[seq->n++] = m;
		return why;
	}
	if (classes && (m = class_mask(*s))) {
		seq->el[seq->n++] = m;
		*p = s + 1;
		return NULL;
	}
	if (!classes && class_mask(*s))
		return "X, Z and N are classes only in a '_' pattern";
	return "bad character in pattern";
}

static const char *parse_seq(const char *text, bool classes, struct dp_seq *seq)
{
	const char *p = text;
	const char *why;

	memset(seq, 0, sizeof(*seq));
	if (!*p)
		return "empty pattern";
	while (*p) {
		why = parse_element(&p, classes, p == text, seq);
		if (why)
			return why;
	}
	if (!seq->n && seq->tail == DP_TAIL_NONE)
		return "empty pattern";
	return NULL;
}

/* Pieces of a range: the low and the high edge each add at most two per
 * digit (an edge digit and a middle span), so 4 per digit bound them. */
#define RANGE_PIECES_MAX (4 * DIALPLAN_DIGITS_MAX + 2)
struct pieces {
	struct dp_seq alt[RANGE_PIECES_MAX];
	unsigned n_alt;
};

/*
 * Split the same-length digit range [lo, hi] into sequences appended to
 * pat->alt: equal leading digits become literals, then the low edge, the
 * full middle and the high edge.
 */
static void split_range(const char *lo, const char *hi, struct dp_seq *pre,
			struct pieces *pat)
{
	struct dp_seq s = *pre;
	size_t n = strlen(lo), i;
	bool all_lo = true, all_hi = true;
	char zeros[DIALPLAN_DIGITS_MAX + 1], nines[DIALPLAN_DIGITS_MAX + 1];

	for (i = 0; i < n; i++) {
		all_lo &= lo[i] == '0';
		all_hi &= hi[i] == '9';
	}
	if (pat->n_alt + 2 > RANGE_PIECES_MAX)
		return; /* cannot happen (see RANGE_PIECES_MAX); never overrun */
	if (!n || (all_lo && all_hi)) {
		for (i = 0; i < n; i++)
			s.el[s.n++] = DP_MASK_DIGITS;
		pat->alt[pat->n_alt++] = s;
		return;
	}
	if (lo[0] == hi[0]) {
		s.el[s.n++] = (uint16_t)(1u << (lo[0] - '0'));
		split_range(lo + 1, hi + 1, &s, pat);
		return;
	}
	memset(zeros, '0', n - 1);
	memset(nines, '9', n - 1);
	zeros[n - 1] = nines[n - 1] = 0;
	s.el[s.n++] = (uint16_t)(1u << (lo[0] - '0'));
	split_range(lo + 1, nines, &s, pat);
	if (hi[0] - lo[0] > 1) {
		s = *pre;
		s.el[s.n++] = digit_span(lo[0] - '0' + 1, hi[0] - '0' - 1);
		for (i = 1; i < n; i++)
			s.el[s.n++] = DP_MASK_DIGITS;
		pat->alt[pat->n_alt++] = s;
	}
	s = *pre;
	s.el[s.n++] = (uint16_t)(1u << (hi[0] - '0'));
	split_range(zeros, hi + 1, &s, pat);
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static const char *parse_range(struct dialplan *plan, const char *text,
			       const char *dash, struct dp_pattern *pat)
{
	const char *lo = text, *hi = dash + 1;
	size_t nlo = (size_t)(dash - text), nhi = strlen(hi);
	struct dp_seq pre = { .n = 0 };
	char a[DIALPLAN_DIGITS_MAX + 1], b[DIALPLAN_DIGITS_MAX + 1];
	/* ~9 KB: ranges are parsed at load, on the loading thread. */
	static __thread struct pieces pieces;

	if (*lo == '+' && *hi == '+') {
		pre.el[pre.n++] = DP_MASK_PLUS;
		lo++, hi++, nlo--, nhi--;
	}
	if (!all_digits(lo, nlo) || !all_digits(hi, nhi))
		return "a range is digits-digits (both with or without '+')";
	if (nlo != nhi)
		return "both ends of a range need the same number of digits";
	if (nlo + pre.n > DIALPLAN_DIGITS_MAX)
		return "range longer than 32 symbols";
	if (strncmp(lo, hi, nlo) > 0)
		return "range ends below its start";
	memcpy(a, lo, nlo);
	memcpy(b, hi, nlo);
	a[nlo] = b[nlo] = 0;
	pieces.n_alt = 0;
	split_range(a, b, &pre, &pieces);
	pat->alt = dp_alloc(plan, pieces.n_alt * sizeof(*pat->alt));
	if (!pat->alt)
		return "out of memory";
	memcpy(pat->alt, pieces.alt, pieces.n_alt * sizeof(*pat->alt));
	pat->n_alt = pieces.n_alt;
	return NULL;
}

const char *dp_pattern_parse(struct dialplan *plan, const char *text,
			     struct dp_pattern *pat)
{
	const char *dash = strchr(text, '-');
	struct dp_seq seq;
	const char *why;

	if (*text != '_' && dash)
		return parse_range(plan, text, dash, pat);
	why = parse_seq(*text == '_' ? text + 1 : text, *text == '_', &seq);
	if (why)
		return why;
	pat->alt = dp_alloc(plan, sizeof(*pat->alt));
	if (!pat->alt)
		return "out of memory";
	pat->alt[0] = seq;
	pat->n_alt = 1;
	return NULL;
}

void dp_pattern_any(struct dialplan *plan, struct dp_pattern *pat)
{
	pat->alt = dp_alloc(plan, sizeof(*pat->alt));
	pat->n_alt = pat->alt ? 1 : 0;
	if (pat->alt) {
		memset(pat->alt, 0, sizeof(*pat->alt));
		pat->alt[0].tail = DP_TAIL_ZERO;
	}
}

void dp_pattern_lengths(const struct dp_pattern *pat, unsigned *min,
			unsigned *max)
{
	unsigned i, lo = UINT32_MAX, hi = 0, a, b;

	for (i = 0; i < pat->n_alt; i++) {
		a = pat->alt[i].n + (pat->alt[i].tail == DP_TAIL_ONE);
		b = pat->alt[i].tail == DP_TAIL_NONE ? pat->alt[i].n
						     : DIALPLAN_DIGITS_MAX;
		lo = a < lo ? a : lo;
		hi = b > hi ? b : hi;
	}
	*min = pat->n_alt ? lo : 0;
	*max = hi;
}

bool dp_pattern_may_start_plus(const struct dp_pattern *pat)
{
	unsigned i;

	for (i = 0; i < pat->n_alt; i++)
		if (pat->alt[i].n && (pat->alt[i].el[0] & DP_MASK_PLUS))
			return true;
	return false;
}

bool dp_seq_match(const struct dp_seq *seq, const uint8_t *sym, size_t len)
{
	size_t i;

	if (len < seq->n)
		return false;
	for (i = 0; i < seq->n; i++)
		if (!(seq->el[i] & (1u << sym[i])))
			return false;
	switch ((enum dp_tail)seq->tail) {
	case DP_TAIL_NONE:
		return len == seq->n;
	case DP_TAIL_ONE:
		return len > seq->n;
	case DP_TAIL_ZERO:
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------------- */
/* Trie                                                                    */

static int grow(void **p, uint32_t n, size_t size)
{
	void *q;

	/* Grow at powers of two: n is the count before the append. */
	if (n & (n - 1))
		return 0;
	q = realloc(*p, (n ? 2 * (size_t)n : 1) * size);
	if (!q)
		return ENOMEM;
	*p = q;
	return 0;
}

static int new_node(struct dp_context *ctx, uint32_t *id)
{
	if (ctx->n_nodes == ctx->cap_nodes) {
		uint32_t cap = ctx->cap_nodes ? 2 * ctx->cap_nodes : 16;
		struct dp_node *n = realloc(ctx->nodes, cap * sizeof(*n));

		if (!n)
			return ENOMEM;
		ctx->nodes = n;
		ctx->cap_nodes = cap;
	}
	*id = ctx->n_nodes++;
	memset(&ctx->nodes[*id], 0, sizeof(ctx->nodes[*id]));
	ctx->nodes[*id].min_pos = UINT32_MAX;
	return 0;
}

/* The child of node ID over MASK, made if missing. */
static int child(struct dp_context *ctx, uint32_t id, uint16_t mask,
		 uint32_t *out)
{
	struct dp_node *n = &ctx->nodes[id];
	uint32_t i, c;
	int err;

	for (i = 0; i < n->n_edges; i++)
		if (n->edge_mask[i] == mask) {
			*out = n->edge_child[i];
			return 0;
		}
	err = new_node(ctx, &c); /* may move ctx->nodes */
	n = &ctx->nodes[id];
	if (err || (err = grow((void **)&n->edge_mask, n->n_edges, 2)) ||
	    (err = grow((void **)&n->edge_child, n->n_edges, 4)))
		return err;
	n->edge_mask[n->n_edges] = mask;
	n->edge_child[n->n_edges++] = c;
	*out = c;
	return 0;
}

static int append_pos(uint32_t **list, uint32_t *n, uint32_t pos)
{
	int err;

	/* Positions arrive ascending; a range may add the same rule twice
	 * to one node only if its pieces overlapped, which they do not. */
	if (*n && (*list)[*n - 1] == pos)
		return 0;
	err = grow((void **)list, *n, sizeof(**list));
	if (!err)
		(*list)[(*n)++] = pos;
	return err;
}

static int trie_add_seq(struct dp_context *ctx, const struct dp_seq *seq,
			uint32_t pos)
{
	uint32_t id = 0, path[DIALPLAN_DIGITS_MAX + 1];
	struct dp_node *n;
	unsigned i;
	int err;

	path[0] = 0;
	for (i = 0; i < seq->n; i++) {
		err = child(ctx, id, seq->el[i], &id);
		if (err)
			return err;
		path[i + 1] = id;
	}
	n = &ctx->nodes[id];
	switch ((enum dp_tail)seq->tail) {
	case DP_TAIL_NONE:
		err = append_pos(&n->end, &n->n_end, pos);
		break;
	case DP_TAIL_ONE:
		err = append_pos(&n->one, &n->n_one, pos);
		break;
	case DP_TAIL_ZERO:
		err = append_pos(&n->zero, &n->n_zero, pos);
		break;
	default:
		err = EINVAL;
	}
	for (i = 0; !err && i <= seq->n; i++) {
		n = &ctx->nodes[path[i]];
		n->min_pos = pos < n->min_pos ? pos : n->min_pos;
		n->max_pos = pos > n->max_pos ? pos : n->max_pos;
	}
	return err;
}

int dp_trie_add(struct dp_context *ctx, const struct dp_pattern *pat,
		uint32_t pos)
{
	unsigned i;
	int err = 0;

	if (!ctx->n_nodes && (err = new_node(ctx, &(uint32_t){ 0 })))
		return err;
	for (i = 0; !err && i < pat->n_alt; i++)
		err = trie_add_seq(ctx, &pat->alt[i], pos);
	return err;
}

void dp_trie_free(struct dp_context *ctx)
{
	uint32_t i;

	for (i = 0; i < ctx->n_nodes; i++) {
		free(ctx->nodes[i].edge_child);
		free(ctx->nodes[i].edge_mask);
		free(ctx->nodes[i].end);
		free(ctx->nodes[i].one);
		free(ctx->nodes[i].zero);
	}
	free(ctx->nodes);
	ctx->nodes = NULL;
	ctx->n_nodes = ctx->cap_nodes = 0;
}
