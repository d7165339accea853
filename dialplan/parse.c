/*
 * dialplan.parse: the dial-plan compiler. Reads a file and its includes
 * line by line, builds contexts of rules, then expands context includes and
 * builds one trie per context (pattern.c). Every error is reported as
 * file:line: reason and compiling goes on, so one load shows all of them;
 * any error and nothing is returned (a reload keeps the running plan).
 *
 * Grammar (docs/dialplan.md):
 *
 *   file    := { include "FILE" | context NAME { ... } }
 *   context := { RULE | include NAME | }
 *   RULE    := (PATTERN | default) [from PATTERN] => ACTION {, ACTION}
 *
 * Plans are plain heap objects, not su_home ones: like the config they
 * outlive any signalling-thread home and are swapped whole on reload.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dialplan_private.h"

#define LINE_MAX_LEN  4096
#define TOKS_MAX      64
#define FILE_MAX_SIZE (16u << 20)
#define NAME_MAX_LEN  63
/* Context includes repeat rules; bound what a plan can expand to. */
#define CONTEXT_RULES_MAX 1000000u

/* ---------------------------------------------------------------------- */
/* Arena                                                                   */

struct dp_chunk {
	struct dp_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *dp_alloc(struct dialplan *plan, size_t size)
{
	struct dp_chunk *c = plan->chunks;
	size_t a = sizeof(max_align_t);
	void *p;

	size = (size + a - 1) / a * a;
	if (!c || c->size - c->used < size) {
		size_t cs = size > 65536 ? size : 65536;

		c = malloc(sizeof(*c) + cs);
		if (!c)
			return NULL;
		c->size = cs;
		c->used = 0;
		c->next = plan->chunks;
		plan->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

char *dp_strdup(struct dialplan *plan, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = dp_alloc(plan, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---------------------------------------------------------------------- */
/* Compiler state and errors                                               */

struct compiler {
	struct dialplan *plan;
	config_error_h *eh;
	void *arg;
	unsigned errors;
	bool oom;
	bool allow_includes;
	const char *stack[DIALPLAN_INCLUDE_DEPTH + 1]; /* canonical names */
	unsigned depth;
	const char **seen; /* canonical names of files read (include once) */
	unsigned n_seen;
};

/* Where a statement is, while a file is read. */
struct where {
	const char *file; /* as reported (owned by the plan) */
	unsigned line;
	struct dp_context *ctx; /* open context, or NULL */
};

static void error_at(struct compiler *c, const char *file, unsigned line,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void error_at(struct compiler *c, const char *file, unsigned line,
		     const char *fmt, ...)
{
	char reason[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	c->errors++;
	if (c->eh)
		c->eh(file, line, reason, c->arg);
}

#define ERR(c, w, ...) error_at((c), (w)->file, (w)->line, __VA_ARGS__)

static void *alloc_or_fail(struct compiler *c, size_t size)
{
	void *p = dp_alloc(c->plan, size);

	if (!p)
		c->oom = true;
	return p;
}

static const char *strdup_or_fail(struct compiler *c, const char *s)
{
	const char *d = dp_strdup(c->plan, s);

	if (!d)
		c->oom = true;
	return d;
}

/* ---------------------------------------------------------------------- */
/* Tokens                                                                  */

struct line {
	char out[2 * LINE_MAX_LEN + 2 * TOKS_MAX];
	struct dp_tok t[TOKS_MAX];
	unsigned n;
};

/* '#' starts a comment unless a number follows ("#31#" is a code). */
static bool comment_start(const char *p)
{
	return *p == ';' ||
	       (*p == '#' && !(p[1] && (dp_symbol(p[1]) >= 0 && p[1] != '+')));
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/* Split TEXT (NUL-terminated) into words, "quoted strings", ',' and '=>'.
 * Returns NULL or the reason it cannot. */
static const char *tokenize(const char *p, struct line *l)
{
	char *o = l->out;

	l->n = 0;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p || comment_start(p))
			return NULL;
		if (l->n == TOKS_MAX)
			return "too many words on one line";
		l->t[l->n].s = o;
		l->t[l->n].quoted = *p == '"';
		l->n++;
		if (*p == ',' || (p[0] == '=' && p[1] == '>')) {
			*o++ = *p++;
			if (p[-1] == '=')
				*o++ = *p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*o++ = *p;
			}
			if (*p != '"')
				return "'\"' without its closing '\"'";
			p++;
		} else {
			while (*p && !is_blank(*p) && *p != ',' && *p != '"' &&
			       *p != ';' && !(p[0] == '=' && p[1] == '>'))
				*o++ = *p++;
		}
		*o++ = 0;
	}
}

static bool word_is(const struct dp_tok *t, const char *w)
{
	return !t->quoted && !strcmp(t->s, w);
}

/* ---------------------------------------------------------------------- */
/* Contexts                                                                */

struct dp_context *dp_context_find(const struct dialplan *plan,
				   const char *name)
{
	unsigned i;

	for (i = 0; i < plan->n_ctx; i++)
		if (!strcmp(plan->ctx[i]->name, name))
			return plan->ctx[i];
	return NULL;
}

static void open_context(struct compiler *c, struct where *w,
			 const struct line *l)
{
	struct dp_context *ctx, *old;
	struct dialplan *plan = c->plan;

	if (l->n != 3 || l->t[1].quoted || !word_is(&l->t[2], "{")) {
		ERR(c, w, "expected 'context NAME {'");
		return;
	}
	if (!dp_name_ok(l->t[1].s)) {
		ERR(c, w, "bad context name '%s' (letters, digits, _ . -)",
		    l->t[1].s);
		return;
	}
	old = dp_context_find(plan, l->t[1].s);
	if (old) {
		ERR(c, w, "context '%s' already defined at %s:%u", old->name,
		    old->file, old->line);
		return;
	}
	if (plan->n_ctx == plan->cap_ctx) {
		unsigned cap = plan->cap_ctx ? 2 * plan->cap_ctx : 8;
		struct dp_context **n = realloc(plan->ctx, cap * sizeof(*n));

		if (!n) {
			c->oom = true;
			return;
		}
		plan->ctx = n;
		plan->cap_ctx = cap;
	}
	ctx = alloc_or_fail(c, sizeof(*ctx));
	if (!ctx)
		return;
	memset(ctx, 0, sizeof(*ctx));
	ctx->name = strdup_or_fail(c, l->t[1].s);
	ctx->file = w->file;
	ctx->line = w->line;
	plan->ctx[plan->n_ctx++] = ctx;
	w->ctx = ctx;
}

static void add_item(struct compiler *c, struct where *w,
		     const struct dp_rule *rule, const char *include)
{
	struct dp_context *ctx = w->ctx;

	if (ctx->n_items == ctx->cap_items) {
		unsigned cap = ctx->cap_items ? 2 * ctx->cap_items : 16;
		struct dp_item *n = realloc(ctx->items, cap * sizeof(*n));

		if (!n) {
			c->oom = true;
			return;
		}
		ctx->items = n;
		ctx->cap_items = cap;
	}
	ctx->items[ctx->n_items++] = (struct dp_item){ .rule = rule,
						       .include = include,
						       .file = w->file,
						       .line = w->line };
}

static void include_context(struct compiler *c, struct where *w,
			    const struct line *l)
{
	if (l->n != 2 || l->t[1].quoted) {
		ERR(c, w,
		    "inside a context, 'include NAME' includes a context; "
		    "files are included at top level with include \"FILE\"");
		return;
	}
	if (!dp_name_ok(l->t[1].s)) {
		ERR(c, w, "bad context name '%s'", l->t[1].s);
		return;
	}
	if (!strcmp(l->t[1].s, w->ctx->name)) {
		ERR(c, w, "context '%s' includes itself", w->ctx->name);
		return;
	}
	add_item(c, w, NULL, strdup_or_fail(c, l->t[1].s));
}

/* ---------------------------------------------------------------------- */
/* Statements                                                              */

static void rule_line(struct compiler *c, struct where *w, const struct line *l)
{
	struct dp_rule *r = alloc_or_fail(c, sizeof(*r));
	char why[300];
	int err;

	if (!r)
		return;
	err = dp_rule_parse(c->plan, l->t, l->n, r, why, sizeof(why));
	if (err == ENOMEM)
		c->oom = true;
	if (err) {
		if (err != ENOMEM)
			ERR(c, w, "%s", why);
		return;
	}
	r->file = w->file;
	r->line = w->line;
	add_item(c, w, r, NULL);
}

static void include_file(struct compiler *c, struct where *w,
			 const struct line *l);

static void statement(struct compiler *c, struct where *w, const struct line *l)
{
	const struct dp_tok *t0 = &l->t[0];

	if (!w->ctx) {
		if (word_is(t0, "include"))
			include_file(c, w, l);
		else if (word_is(t0, "context"))
			open_context(c, w, l);
		else if (word_is(t0, "}"))
			ERR(c, w, "'}' without an open context");
		else
			ERR(c, w,
			    "expected 'context NAME {' or 'include \"FILE\"' "
			    "(rules go inside a context)");
		return;
	}
	if (word_is(t0, "}")) {
		if (l->n > 1)
			ERR(c, w, "unexpected '%s' after '}'", l->t[1].s);
		w->ctx = NULL;
	} else if (word_is(t0, "include")) {
		include_context(c, w, l);
	} else if (word_is(t0, "context")) {
		ERR(c, w,
		    "contexts do not nest: close '%s' (line %u) with '}' "
		    "first",
		    w->ctx->name, w->ctx->line);
	} else {
		rule_line(c, w, l);
	}
}

/* Compile the text of one file; FILE is its reported name. */
static void compile_text(struct compiler *c, const char *file, const char *text,
			 size_t len)
{
	struct where w = { .file = file };
	/* On the heap: includes nest and a line is ~13 KB. */
	struct line *l = malloc(sizeof(*l));
	char *buf = malloc(LINE_MAX_LEN + 1);
	size_t pos = 0, n;
	const char *why;

	if (!l || !buf)
		c->oom = true;
	while (pos < len && !c->oom) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		n = end - pos;
		w.line++;
		if (n > LINE_MAX_LEN) {
			ERR(c, &w, "line longer than %d characters",
			    LINE_MAX_LEN);
		} else if (memchr(text + pos, 0, n)) {
			ERR(c, &w, "NUL character in line");
		} else {
			memcpy(buf, text + pos, n);
			buf[n] = 0;
			why = tokenize(buf, l);
			if (why)
				ERR(c, &w, "%s", why);
			else if (l->n)
				statement(c, &w, l);
		}
		pos = end + 1;
	}
	free(l);
	free(buf);
	if (w.ctx)
		error_at(c, file, w.ctx->line,
			 "context '%s' is not closed with '}' by the end of "
			 "the file",
			 w.ctx->name);
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */

/* Read all of FILE; returns 0 or an errno (EFBIG: too large). */
static int read_file(const char *file, char **text, size_t *len)
{
	FILE *f = fopen(file, "rb");
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int err = 0;

	if (!f)
		return errno;
	if (fstat(fileno(f), &st)) {
		err = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto out;
	}
	if (st.st_size > (off_t)FILE_MAX_SIZE) {
		err = EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	n = fread(buf, 1, (size_t)st.st_size + 1, f);
	if (ferror(f) || n > (size_t)st.st_size)
		err = ferror(f) ? EIO : EFBIG;
out:
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*text = buf;
	*len = n;
	return 0;
}

static const char *read_error(int err)
{
	return err == EFBIG ? "larger than 16 MB" : strerror(err);
}

/* The canonical name of FILE (for cycles and include-once), or FILE. */
static const char *canonical(struct compiler *c, const char *file)
{
	char *rp = realpath(file, NULL);
	const char *d = strdup_or_fail(c, rp ? rp : file);

	free(rp);
	return d;
}

static bool seen_before(struct compiler *c, const char *canon)
{
	unsigned i;

	for (i = 0; i < c->n_seen; i++)
		if (!strcmp(c->seen[i], canon))
			return true;
	return false;
}

static void mark_seen(struct compiler *c, const char *canon)
{
	const char **n;

	if (!(c->n_seen & (c->n_seen - 1))) {
		n = realloc(c->seen,
			    (c->n_seen ? 2 * c->n_seen : 1) * sizeof(*n));
		if (!n) {
			c->oom = true;
			return;
		}
		c->seen = n;
	}
	c->seen[c->n_seen++] = canon;
}

/* NAME relative to the directory of FROM, unless absolute. */
static const char *resolve(struct compiler *c, const char *from,
			   const char *name)
{
	const char *slash = strrchr(from, '/');
	size_t dn = slash ? (size_t)(slash - from) + 1 : 0;
	char *p;

	if (name[0] == '/' || !dn)
		return strdup_or_fail(c, name);
	p = alloc_or_fail(c, dn + strlen(name) + 1);
	if (p) {
		memcpy(p, from, dn);
		strcpy(p + dn, name);
	}
	return p;
}

static void include_file(struct compiler *c, struct where *w,
			 const struct line *l)
{
	const char *file, *canon;
	char *text;
	size_t len;
	unsigned i;
	int err;

	if (l->n != 2 || !l->t[1].quoted || !*l->t[1].s) {
		ERR(c, w, "expected include \"FILE\"");
		return;
	}
	if (!c->allow_includes) {
		ERR(c, w, "includes are not allowed here");
		return;
	}
	file = resolve(c, w->file, l->t[1].s);
	canon = file ? canonical(c, file) : NULL;
	if (!canon)
		return;
	for (i = 0; i < c->depth; i++)
		if (!strcmp(c->stack[i], canon)) {
			ERR(c, w, "include cycle: \"%s\" includes itself",
			    l->t[1].s);
			return;
		}
	if (seen_before(c, canon))
		return; /* included once already: a diamond, not a cycle */
	if (c->depth > DIALPLAN_INCLUDE_DEPTH) { /* stack[0] is the top file */
		ERR(c, w, "includes nested deeper than %d",
		    DIALPLAN_INCLUDE_DEPTH);
		return;
	}
	err = read_file(file, &text, &len);
	if (err) {
		ERR(c, w, "cannot read \"%s\": %s", file, read_error(err));
		return;
	}
	mark_seen(c, canon);
	c->stack[c->depth++] = canon;
	compile_text(c, file, text, len);
	c->depth--;
	free(text);
}

/* ---------------------------------------------------------------------- */
/* Context expansion and tries                                             */

static int append_rule(struct compiler *c, struct dp_context *ctx,
		       const struct dp_rule *r)
{
	if (ctx->n_rules == CONTEXT_RULES_MAX) {
		error_at(c, ctx->file, ctx->line,
			 "context '%s' expands to more than %u rules",
			 ctx->name, CONTEXT_RULES_MAX);
		return EINVAL;
	}
	if (ctx->n_rules == ctx->cap_rules) {
		uint32_t cap = ctx->cap_rules ? 2 * ctx->cap_rules : 16;
		const struct dp_rule **n =
			realloc(ctx->rules, cap * sizeof(*n));

		if (!n) {
			c->oom = true;
			return ENOMEM;
		}
		ctx->rules = n;
		ctx->cap_rules = cap;
	}
	ctx->rules[ctx->n_rules++] = r;
	return 0;
}

/* Flatten CTX: an included context's rules take the place of the include
 * (so "first match wins" reads top to bottom, includes expanded). */
static int expand(struct compiler *c, struct dp_context *ctx)
{
	const struct dp_item *it;
	struct dp_context *inc;
	unsigned i;
	uint32_t k;
	int err = 0;

	ctx->state = 1;
	for (i = 0; !err && i < ctx->n_items; i++) {
		it = &ctx->items[i];
		if (it->rule) {
			err = append_rule(c, ctx, it->rule);
			continue;
		}
		inc = dp_context_find(c->plan, it->include);
		if (!inc) {
			error_at(c, it->file, it->line, "no context '%s'",
				 it->include);
			continue;
		}
		if (inc->state == 1) {
			error_at(c, it->file, it->line,
				 "including context '%s' here makes a cycle",
				 inc->name);
			err = EINVAL;
			break;
		}
		if (inc->state == 0)
			err = expand(c, inc);
		for (k = 0; !err && k < inc->n_rules; k++)
			err = append_rule(c, ctx, inc->rules[k]);
	}
	ctx->state = 2;
	return err;
}

static void build(struct compiler *c)
{
	struct dp_context *ctx;
	unsigned i;
	uint32_t k;

	for (i = 0; i < c->plan->n_ctx && !c->oom; i++)
		if (c->plan->ctx[i]->state == 0)
			expand(c, c->plan->ctx[i]); /* errors counted in c */
	if (c->errors)
		return;
	for (i = 0; i < c->plan->n_ctx && !c->oom; i++) {
		ctx = c->plan->ctx[i];
		/* An empty context still gets a root: matching needs one. */
		if (dp_trie_add(ctx, &(struct dp_pattern){ 0 }, 0))
			c->oom = true;
		for (k = 0; k < ctx->n_rules && !c->oom; k++)
			if (dp_trie_add(ctx, &ctx->rules[k]->called, k))
				c->oom = true;
	}
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                            */

void dialplan_free(struct dialplan *plan)
{
	struct dp_chunk *ch, *next;
	unsigned i;

	if (!plan)
		return;
	for (i = 0; i < plan->n_ctx; i++) {
		dp_trie_free(plan->ctx[i]);
		free(plan->ctx[i]->items);
		free(plan->ctx[i]->rules);
	}
	free(plan->ctx);
	for (ch = plan->chunks; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(plan);
}

int dp_compile_buffer(const char *name, const char *text, size_t len,
		      bool allow_includes, struct dialplan **out,
		      config_error_h *eh, void *arg)
{
	struct compiler c = { .eh = eh,
			      .arg = arg,
			      .allow_includes = allow_includes };
	const char *file, *canon;
	int err = 0;

	c.plan = calloc(1, sizeof(*c.plan));
	if (!c.plan)
		return ENOMEM;
	file = strdup_or_fail(&c, name);
	canon = file ? canonical(&c, file) : NULL;
	if (canon) {
		c.plan->file = file;
		mark_seen(&c, canon);
		c.stack[c.depth++] = canon;
		compile_text(&c, file, text, len);
	}
	if (!c.oom)
		build(&c); /* expands even after errors, to report its own */
	if (c.oom)
		err = ENOMEM;
	else if (c.errors)
		err = EINVAL;
	free(c.seen);
	if (err) {
		dialplan_free(c.plan);
		return err;
	}
	*out = c.plan;
	return 0;
}

static unsigned count_rules(const struct dialplan *plan)
{
	unsigned i, k, n = 0;

	for (i = 0; i < plan->n_ctx; i++)
		for (k = 0; k < plan->ctx[i]->n_items; k++)
			n += plan->ctx[i]->items[k].rule != NULL;
	return n;
}

int dialplan_load(const char *file, struct dialplan **out, config_error_h *eh,
		  void *arg)
{
	char *text;
	size_t len;
	int err;

	if (!file || !out)
		return EINVAL;
	err = read_file(file, &text, &len);
	if (err) {
		if (eh)
			eh(file, 0, read_error(err), arg);
		return err == EFBIG ? EINVAL : err;
	}
	err = dp_compile_buffer(file, text, len, true, out, eh, arg);
	free(text);
	if (err == ENOMEM)
		LOGE(DP_SUBSYS, NULL, "%s: out of memory", file);
	if (!err)
		LOGI(DP_SUBSYS, NULL, "loaded %s: %u contexts, %u rules", file,
		     (*out)->n_ctx, count_rules(*out));
	return err;
}

bool dialplan_has_context(const struct dialplan *plan, const char *name)
{
	return plan && name && dp_context_find(plan, name);
}
