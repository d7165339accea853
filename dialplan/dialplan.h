/*
 * dialplan: dial-plan files compiled at load into an immutable structure;
 * matching is pure (DESIGN.md 6, STYLE.md 14). The language is described in
 * docs/dialplan.md.
 *
 * Life cycle: dialplan_load() reads a file (and what it includes), reports
 * every error as file:line: reason and either returns a complete plan or
 * nothing, so a reload that fails keeps the running plan. A plan is never
 * modified after load: any number of threads may call dialplan_match() on
 * it at once. dialplan_match() does no I/O and allocates nothing; its result
 * is a plain struct that borrows names (files, trunks, extensions) from the
 * plan.
 *
 * What the result means on the wire (R-URI, To, PAI, Privacy) is decided by
 * trunk/identity; in particular the emergency flag and the presentation are
 * kept apart here, because EM-3 (never anonymize an emergency caller) is
 * enforced there, whatever the plan says.
 */
#ifndef TRUNKD_DIALPLAN_H
#define TRUNKD_DIALPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* The [dialplan] section. */
extern const struct config_section_def dialplan_config_section;

/* Longest dialled or caller string accepted (after visual separators are
 * removed); longer input is rejected with 404 by dialplan_match(). */
#define DIALPLAN_DIGITS_MAX 32
/* Longest number a rule can produce (checked when the plan compiles). */
#define DIALPLAN_NUMBER_MAX 63
/* Most trunks of a fallback list or extensions of a hunt list. */
#define DIALPLAN_TARGETS_MAX 8
/* Most nested includes below the top file. */
#define DIALPLAN_INCLUDE_DEPTH 8

struct dialplan;

enum dialplan_direction {
	DIALPLAN_INBOUND, /* trunk -> enterprise: dialled = R-URI user (ID-2) */
	DIALPLAN_OUTBOUND, /* enterprise -> trunk */
	DIALPLAN_INTERNAL, /* enterprise -> enterprise */
};

enum dialplan_action {
	DIALPLAN_ACTION_TRUNK,	   /* targets: trunks in fallback order */
	DIALPLAN_ACTION_EXTENSION, /* number: the extension */
	DIALPLAN_ACTION_HUNT,	   /* targets: extensions in hunt order */
	DIALPLAN_ACTION_REJECT,	   /* code, reason */
};

enum dialplan_presentation {
	DIALPLAN_PRES_DEFAULT,	  /* the plan says nothing */
	DIALPLAN_PRES_ALLOWED,	  /* show the identity (ID-10: Privacy: none) */
	DIALPLAN_PRES_RESTRICTED, /* withhold it (ID-10: Privacy: id) */
};

/* What to match. All strings are borrowed for the call only. */
struct dialplan_query {
	enum dialplan_direction direction;
	/* Context name; NULL or "": the context named after the direction
	 * ("inbound", "outbound", "internal") if the plan has it, else
	 * "default". */
	const char *context;
	/* Extension or E.164 number of the caller; NULL or "": unknown
	 * (anonymous), then rules with a "from" condition do not match. */
	const char *caller;
	/* Dialled digits (outbound, internal) or the R-URI user part
	 * (inbound). Visual separators (blank - . ( )) are removed first. */
	const char *dialled;
};

/* Where a decision comes from: a rule (file borrowed from the plan) or,
 * file NULL and line 0, dialplan_match() itself (bad input, no rule). */
struct dialplan_source {
	const char *file;
	unsigned line;
};

/*
 * The decision for one query. Pointers are borrowed from the plan and valid
 * until dialplan_free(); the arrays are inside the struct, so it can be
 * copied freely.
 */
struct dialplan_result {
	struct dialplan_source rule; /* the rule that chose the action */
	const char *context;	     /* the context matched (borrowed) */
	enum dialplan_action action;
	const char *targets[DIALPLAN_TARGETS_MAX]; /* TRUNK, HUNT */
	size_t n_targets;
	/* The number after the rule's rewriting: "+<digits>" when e164 is
	 * true (ID-1 form, 1-15 digits), otherwise a dial string of digits,
	 * '*' and '#' (always the case for emergency calls, EM-2). */
	char number[DIALPLAN_NUMBER_MAX + 1];
	bool e164;
	bool emergency; /* EM-1: the dial plan recognised an emergency number */
	enum dialplan_presentation presentation;
	struct dialplan_source presentation_from; /* line 0: not set */
	/* Asserted identity in ID-1 form "+<digits>", "" when no rule set
	 * one (trunk/identity then uses the configured default). */
	char identity[DIALPLAN_NUMBER_MAX + 1];
	struct dialplan_source identity_from; /* line 0: not set */
	uint16_t code;	    /* REJECT: SIP status code (400-699) */
	const char *reason; /* REJECT: reason phrase (borrowed) */
};

/*
 * Compile FILE (and the files it includes) into a new plan. On success
 * *out is the plan, owned by the caller (dialplan_free()). Errors are
 * reported through eh, in file order, as (file, line, reason), file being
 * the file that holds the error (an included one, perhaps); a file that
 * cannot be read is reported at the line of its include (line 0 for FILE
 * itself). Returns 0, EINVAL (after reporting every error, *out untouched),
 * the errno of reading FILE, or ENOMEM.
 */
int dialplan_load(const char *file, struct dialplan **out, config_error_h *eh,
		  void *arg);

/* Release a plan (NULL is allowed). Results borrowing from it die with it. */
void dialplan_free(struct dialplan *plan);

/* Does the plan define context NAME? */
bool dialplan_has_context(const struct dialplan *plan, const char *name);

/*
 * Call fn once per trunk a rule routes to (action `trunk T1 T2...`), with
 * the rule's file and line, each rule once (in the context it is
 * written in, whoever includes it). For checking the names against the configuration when a
 * plan is loaded (a plan naming an unknown trunk is refused). Pure.
 * Returns the number of calls for which fn returned true.
 */
typedef bool(dialplan_trunk_ref_h)(const char *trunk,
				   const struct dialplan_source *where,
				   void *arg);
unsigned dialplan_trunk_refs(const struct dialplan *plan,
			     dialplan_trunk_ref_h *fn, void *arg);

/*
 * Decide what to do with a call: the first rule of the context that matches
 * the dialled string and the caller and routes (trunk, extension, hunt,
 * reject) gives the action and the number; rules before it that only set
 * identity or presentation contribute those (the first one set wins).
 *
 * Bad input has defined outcomes, written to *res with source line 0:
 * an empty dialled string is rejected with 484, one with other characters
 * than digits, '*', '#', a leading '+' and visual separators or longer than
 * DIALPLAN_DIGITS_MAX with 404; no matching rule gives 404 too. A rule that
 * makes a number starting with '+' that is not a valid E.164 number gives
 * 404 naming that rule.
 *
 * Returns 0 with *res written, EINVAL for a NULL argument or a bad
 * direction, ENOENT when the named context does not exist (*res untouched).
 * Pure: no I/O, no allocation, thread-safe on a loaded plan.
 */
int dialplan_match(const struct dialplan *plan,
		   const struct dialplan_query *query,
		   struct dialplan_result *res);

/* Is TEXT "+" followed by 1 to 15 digits (ID-1 form)? */
bool dialplan_is_e164(const char *text);

/*
 * Encode the Request-URI of ID-6 / EM-2 for NUMBER toward DOMAIN (host or
 * host:port; an IPv6 literal gets brackets): "sip:+E164@DOMAIN;user=phone"
 * when NUMBER is E.164, else the dial-string URI "sip:DIGITS@DOMAIN" ('#'
 * escaped as %23). Returns 0, EINVAL (empty or bad number or domain) or
 * ENOSPC (buf too small; buf then holds "").
 */
int dialplan_uri_encode(const char *number, const char *domain, char *buf,
			size_t len);

/*
 * Write a human-readable report of RES (for trunkd --dialplan-test and
 * trunkctl dialplan test): the rule (file:line, context), the action and
 * targets, the number and whether it is E.164 or a dial string, the
 * Request-URI when DOMAIN is not NULL, emergency, presentation, identity.
 * One "name: value" line per item. Returns 0 or ENOSPC (buf holds a cut
 * but NUL-terminated report).
 */
int dialplan_result_format(const struct dialplan_result *res,
			   const char *domain, char *buf, size_t len);

/* Names for reports and logs: "inbound", "trunk", "restricted", ... */
const char *dialplan_direction_name(enum dialplan_direction dir);
const char *dialplan_action_name(enum dialplan_action action);
const char *dialplan_presentation_name(enum dialplan_presentation pres);

#endif /* TRUNKD_DIALPLAN_H */
