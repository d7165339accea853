/*
 * dialplan internals shared by the compiler (parse.c, pattern.c) and the
 * matcher (match.c). Not part of the module's API.
 *
 * A compiled context is a trie over pattern elements. Every element is a
 * set of symbols (a bit mask over 0-9 * # +); the edges of a node are
 * unique per mask, so "_2XX" and "_2X5" share their first two edges. A node
 * lists the rules whose pattern ends there, in rule order, split by how the
 * pattern ends: exactly here, '.' (one or more symbols left) or '!' (zero
 * or more). Matching walks the trie depth first with branch and bound on
 * the rule position: a subtree whose smallest position is not below the
 * best match found so far is skipped, so "first match wins" costs a few
 * node visits even with 10,000 rules.
 */
#ifndef TRUNKD_DIALPLAN_PRIVATE_H
#define TRUNKD_DIALPLAN_PRIVATE_H

#include <stdint.h>

#include "dialplan.h"

#define DP_SUBSYS "dialplan"

/* Symbols: '0'-'9' are 0-9, then these. */
enum { DP_SYM_STAR = 10, DP_SYM_HASH = 11, DP_SYM_PLUS = 12, DP_SYMS = 13 };
#define DP_MASK_DIGITS 0x3ffu
/* What '.' and '!' match: '+' only ever comes first. */
#define DP_MASK_ANY  (DP_MASK_DIGITS | 1u << DP_SYM_STAR | 1u << DP_SYM_HASH)
#define DP_MASK_PLUS (1u << DP_SYM_PLUS)

enum dp_tail {
	DP_TAIL_NONE, /* the number ends with the last element */
	DP_TAIL_ONE,  /* '.': one or more symbols follow */
	DP_TAIL_ZERO, /* '!': zero or more symbols follow */
};

/* One alternative of a pattern: masks of its symbols, then a tail. */
struct dp_seq {
	uint16_t el[DIALPLAN_DIGITS_MAX];
	uint8_t n;
	uint8_t tail; /* enum dp_tail */
};

/* A pattern: a literal, "_" pattern or range is one or more sequences
 * (a range "100-199" is split into "1XX"-like pieces). */
struct dp_pattern {
	struct dp_seq *alt;
	unsigned n_alt;
};

enum dp_op_kind { DP_OP_STRIP, DP_OP_KEEP, DP_OP_PREPEND, DP_OP_SET };
#define DP_OPS_MAX 8
struct dp_op {
	enum dp_op_kind kind;
	unsigned n;	  /* STRIP, KEEP */
	const char *text; /* PREPEND, SET */
};

struct dp_rule {
	const char *file; /* borrowed from the plan's file list */
	unsigned line;
	struct dp_pattern called;
	struct dp_pattern caller; /* n_alt 0: any caller, even unknown */
	struct dp_op ops[DP_OPS_MAX];
	unsigned n_ops;
	bool routes; /* false: only sets identity or presentation */
	enum dialplan_action action;
	const char *targets[DIALPLAN_TARGETS_MAX];
	unsigned n_targets;
	uint16_t code;
	const char *reason;
	bool emergency;
	enum dialplan_presentation presentation;
	const char *identity;	/* fixed part; NULL: not set */
	bool identity_caller;	/* then the caller's digits follow */
	unsigned identity_last; /* only the last N of them (0: all) */
};

struct dp_node {
	uint32_t *edge_child; /* parallel arrays, n_edges long */
	uint16_t *edge_mask;
	uint32_t n_edges;
	uint32_t *end, *one, *zero; /* rule positions, ascending */
	uint32_t n_end, n_one, n_zero;
	uint32_t min_pos, max_pos; /* over the subtree (UINT32_MAX, 0: none) */
};

/* A context entry before expansion: a rule or "include NAME". */
struct dp_item {
	const struct dp_rule *rule; /* NULL: include */
	const char *include;
	const char *file;
	unsigned line;
};

struct dp_context {
	const char *name;
	const char *file;
	unsigned line;
	struct dp_item *items;
	unsigned n_items, cap_items;
	/* compiled */
	const struct dp_rule **rules; /* position -> rule */
	uint32_t n_rules, cap_rules;
	struct dp_node *nodes; /* nodes[0] is the root */
	uint32_t n_nodes, cap_nodes;
	int state; /* expansion: 0 new, 1 in progress, 2 done */
};

/* Bump allocator for everything that lives as long as the plan. */
struct dp_chunk;

struct dialplan {
	struct dp_chunk *chunks;
	struct dp_context **ctx;
	unsigned n_ctx, cap_ctx;
	const char *file;
};

void *dp_alloc(struct dialplan *plan, size_t size);
char *dp_strdup(struct dialplan *plan, const char *s);

/* pattern.c */
int dp_symbol(char c); /* 0..12, or -1 */
/* Parse a literal, "_pattern" or "lo-hi" range into *pat (allocated on
 * plan). Returns NULL or a static reason. */
const char *dp_pattern_parse(struct dialplan *plan, const char *text,
			     struct dp_pattern *pat);
void dp_pattern_any(struct dialplan *plan, struct dp_pattern *pat);
/* Shortest and longest number the pattern matches. */
void dp_pattern_lengths(const struct dp_pattern *pat, unsigned *min,
			unsigned *max);
bool dp_pattern_may_start_plus(const struct dp_pattern *pat);
bool dp_seq_match(const struct dp_seq *seq, const uint8_t *sym, size_t len);
/* Add the rule at position POS to the context's trie. Returns 0/ENOMEM. */
int dp_trie_add(struct dp_context *ctx, const struct dp_pattern *pat,
		uint32_t pos);
void dp_trie_free(struct dp_context *ctx);

/* rule.c: one rule line, tokens T[0..N) (a "=>" among them). Returns 0,
 * EINVAL with the reason in WHY, or ENOMEM. FILE and LINE are stored. */
struct dp_tok {
	const char *s;
	bool quoted; /* was "quoted" */
};
/* A context or trunk name: 1-63 of letters, digits, '_', '.', '-'. */
bool dp_name_ok(const char *s);
int dp_rule_parse(struct dialplan *plan, const struct dp_tok *t, unsigned n,
		  struct dp_rule *r, char *why, size_t whylen);

struct dp_context *dp_context_find(const struct dialplan *plan,
				   const char *name);

/* parse.c, the compiler; NAME is used for errors and to resolve includes. */
int dp_compile_buffer(const char *name, const char *text, size_t len,
		      bool allow_includes, struct dialplan **out,
		      config_error_h *eh, void *arg);

#endif /* TRUNKD_DIALPLAN_PRIVATE_H */
