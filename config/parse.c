/*
 * The configuration file: syntax, sections, and the typed getters.
 *
 * One pass reads the file line by line into sections whose keys come from
 * the schema's tables; value.c parses each value by type. Errors are
 * collected rather than reported at once, because some are only known
 * later (a required key missing is found at the end of its section but
 * reported at its header line, a validate hook reports at any line): at the
 * end they are sorted by line and reported in file order, whole-file
 * errors (line 0) last.
 *
 * To report every real error without cascades, a bad section header
 * silences the keys below it (they belong to nothing we know), a key with
 * a bad value still counts as present (no "missing required key" for it),
 * and a section with a bad key is not validated as a whole.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_private.h"

struct config_section {
	struct config_section *next;	      /* file order */
	const struct config_section_def *def; /* borrowed from the schema */
	const struct config *cfg;	      /* borrowed: the owner */
	char *name;			      /* NULL: unnamed kind */
	unsigned line;			      /* of the header; 0: absent */
	bool bad;			      /* a key was bad or missing */
	size_t nvals;
	struct config_value vals[]; /* one per declared key */
};

struct config {
	char *path; /* as given: error messages */
	char *abs;  /* realpath(): config_file() */
	char *dir;  /* directory of abs: relative PATH values */
	struct config_section *first, *last;
};

struct config_error {
	unsigned line;
	size_t seq; /* keeps equal lines in the order found */
	char *reason;
};

struct config_parser {
	struct config *cfg;
	const struct config_section_def *const *schema;
	struct config_section *cur; /* receives keys; NULL: none */
	bool skipping;		    /* ignore keys until the next header */
	unsigned line;
	struct config_error *errs;
	size_t nerrs, cap;
	bool oom;
};

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

static void config_error_add(struct config_parser *p, unsigned line,
			     const char *reason)
{
	struct config_error *e;

	if (p->nerrs == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;

		e = realloc(p->errs, cap * sizeof(*e));
		if (!e) {
			p->oom = true;
			return;
		}
		p->errs = e;
		p->cap = cap;
	}
	e = &p->errs[p->nerrs];
	e->reason = strdup(reason);
	if (!e->reason) {
		p->oom = true;
		return;
	}
	e->line = line;
	e->seq = p->nerrs++;
}

static void config_perr_at(struct config_parser *p, unsigned line,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void config_perr_at(struct config_parser *p, unsigned line,
			   const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	config_error_add(p, line, reason);
}

/* config_error_h for validate hooks: their errors join the others. */
static void config_collect(const char *file, unsigned line, const char *reason,
			   void *arg)
{
	(void)file;
	config_error_add(arg, line, reason);
}

static int config_error_cmp(const void *a, const void *b)
{
	const struct config_error *x = a, *y = b;
	unsigned lx = x->line ? x->line : UINT_MAX;
	unsigned ly = y->line ? y->line : UINT_MAX;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void config_errors_emit(struct config_parser *p, config_error_h *eh,
			       void *arg)
{
	size_t i;

	if (p->oom)
		config_perr_at(p, 0, "out of memory");
	if (p->nerrs) /* qsort(NULL, 0) is undefined */
		qsort(p->errs, p->nerrs, sizeof(*p->errs), config_error_cmp);
	for (i = 0; eh && i < p->nerrs; i++)
		eh(p->cfg->path, p->errs[i].line, p->errs[i].reason, arg);
}

static void config_errors_free(struct config_parser *p)
{
	size_t i;

	for (i = 0; i < p->nerrs; i++)
		free(p->errs[i].reason);
	free(p->errs);
}

/* ---------------------------------------------------------------------- */
/* Sections                                                                */

/* "[trunk itsp1]" or "[global]" */
static const char *config_label(const char *kind, const char *name, char *buf,
				size_t size)
{
	snprintf(buf, size, "[%s%s%s]", kind, name ? " " : "",
		 name ? name : "");
	return buf;
}

static size_t config_def_nkeys(const struct config_section_def *def)
{
	const struct config_key *k;
	size_t i, n = 0;

	for (i = 0; i < CONFIG_MAX_TABLES && def->keys[i]; i++)
		for (k = def->keys[i]; k->name; k++)
			n++;
	return n;
}

static struct config_section *
config_section_alloc(struct config *cfg, const struct config_section_def *def,
		     const char *name, unsigned line)
{
	size_t n = config_def_nkeys(def), i, t;
	struct config_section *sec;
	const struct config_key *k;

	sec = calloc(1, sizeof(*sec) + n * sizeof(sec->vals[0]));
	if (!sec)
		return NULL;
	if (name && !(sec->name = strdup(name))) {
		free(sec);
		return NULL;
	}
	sec->def = def;
	sec->cfg = cfg;
	sec->line = line;
	sec->nvals = n;
	for (i = 0, t = 0; t < CONFIG_MAX_TABLES && def->keys[t]; t++)
		for (k = def->keys[t]; k->name; k++)
			sec->vals[i++].key = k;
	if (cfg->last)
		cfg->last->next = sec;
	else
		cfg->first = sec;
	cfg->last = sec;
	return sec;
}

static void config_section_free(struct config_section *sec)
{
	size_t i;

	for (i = 0; i < sec->nvals; i++)
		config_value_clear(&sec->vals[i]);
	free(sec->name);
	free(sec);
}

static struct config_value *config_value_find(struct config_section *sec,
					      const char *key)
{
	size_t i;

	for (i = 0; i < sec->nvals; i++)
		if (sec->vals[i].key->name[0] == key[0] &&
		    !strcmp(sec->vals[i].key->name, key))
			return &sec->vals[i];
	return NULL;
}

static const struct config_section_def *
config_def_find(const struct config_section_def *const *schema,
		const char *kind)
{
	for (; *schema; schema++)
		if (!strcmp((*schema)->name, kind))
			return *schema;
	return NULL;
}

static struct config_section *config_find(const struct config *cfg,
					  const struct config_section_def *def,
					  const char *name)
{
	struct config_section *sec;

	for (sec = cfg->first; sec; sec = sec->next)
		if (sec->def == def &&
		    (!name || !def->named ||
		     (sec->name && !strcmp(sec->name, name))))
			return sec;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Syntax                                                                  */

static char *config_skip_ws(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static void config_rtrim(char *s)
{
	size_t len = strlen(s);

	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = 0;
}

/* Names of named sections show up in logs as context: keep them plain. */
static bool config_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    !strchr("_.-+", name[i]))
			return false;
	return i > 0 && i < 64;
}

/* Split "kind name" inside the brackets; report what is wrong. */
static int config_header_split(struct config_parser *p, char *in, char **kind,
			       char **name)
{
	char *end;

	*kind = config_skip_ws(in);
	end = *kind + strcspn(*kind, " \t");
	*name = config_skip_ws(end);
	*end = 0;
	if (!**kind) {
		config_perr_at(p, p->line, "empty section header");
		return -1;
	}
	if (!**name)
		*name = NULL;
	else if ((*name)[strcspn(*name, " \t")]) {
		config_perr_at(p, p->line,
			       "section header [%.64s %.64s]: a name has no "
			       "blanks",
			       *kind, *name);
		return -1;
	}
	return 0;
}

static int config_header_check(struct config_parser *p,
			       const struct config_section_def *def,
			       const char *name)
{
	struct config_section *first;
	char label[160];

	if (def->named && !name) {
		config_perr_at(p, p->line, "[%s] needs a name: [%s NAME]",
			       def->name, def->name);
		return -1;
	}
	if (!def->named && name) {
		config_perr_at(p, p->line, "[%s] takes no name (found '%.64s')",
			       def->name, name);
		return -1;
	}
	if (name && !config_name_ok(name)) {
		config_perr_at(p, p->line,
			       "[%s %.64s]: a name is 1-63 letters, digits, "
			       "'_', '.', '-' or '+'",
			       def->name, name);
		return -1;
	}
	first = config_find(p->cfg, def, name);
	if (first) {
		config_perr_at(
			p, p->line, "duplicate %s (first at line %u)",
			config_label(def->name, name, label, sizeof(label)),
			first->line);
		return -1;
	}
	return 0;
}

static void config_header(struct config_parser *p, char *s)
{
	const struct config_section_def *def;
	char *close = strchr(s, ']'), *rest, *kind, *name;

	p->cur = NULL;
	p->skipping = true;
	if (!close) {
		config_perr_at(p, p->line, "section header without ']'");
		return;
	}
	*close = 0;
	rest = config_skip_ws(close + 1);
	if (*rest && *rest != '#' && *rest != ';') {
		config_perr_at(p, p->line, "unexpected text after ']'");
		return;
	}
	if (config_header_split(p, s + 1, &kind, &name))
		return;
	def = config_def_find(p->schema, kind);
	if (!def) {
		config_perr_at(p, p->line, "unknown section [%.64s]", kind);
		return;
	}
	if (config_header_check(p, def, name))
		return;
	p->cur = config_section_alloc(p->cfg, def, name, p->line);
	if (!p->cur)
		p->oom = true;
	p->skipping = false;
}

/* A quoted value, decoded in place: \" and \\ are the only escapes. */
static const char *config_unquote(char *s, char **out)
{
	char *r, *w = s;

	for (r = s + 1; *r != '"'; r++) {
		if (!*r)
			return "unterminated quoted value";
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		else if (*r == '\\')
			return "only \\\" and \\\\ escapes are allowed in "
			       "quotes";
		*w++ = *r;
	}
	*w = 0;
	r = config_skip_ws(r + 1);
	if (*r && *r != '#' && *r != ';')
		return "unexpected text after the closing quote";
	*out = s;
	return NULL;
}

/* The value after '=': unquoted, without a trailing comment or blanks.
 * Returns the reason it is malformed, or NULL. */
static const char *config_value_text(char *s, char **out)
{
	size_t i;

	s = config_skip_ws(s);
	if (*s == '"')
		return config_unquote(s, out);
	/* " # comment" ends a value; "a#b" is part of it. */
	for (i = 0; s[i]; i++) {
		if (s[i] == '#' &&
		    (i == 0 || isspace((unsigned char)s[i - 1]))) {
			s[i] = 0;
			break;
		}
	}
	config_rtrim(s);
	*out = s;
	return NULL;
}

static void config_set_key(struct config_parser *p, const char *key,
			   const char *text)
{
	struct config_section *sec = p->cur;
	struct config_value *v = config_value_find(sec, key);
	char why[400], label[160];

	if (!v) {
		config_perr_at(p, p->line, "unknown key '%.64s' in %s", key,
			       config_label(sec->def->name, sec->name, label,
					    sizeof(label)));
		sec->bad = true;
		return;
	}
	if (v->line) {
		config_perr_at(p, p->line,
			       "duplicate key '%s' in %s (first at line %u)",
			       key,
			       config_label(sec->def->name, sec->name, label,
					    sizeof(label)),
			       v->line);
		sec->bad = true;
		return;
	}
	v->line = p->line;
	if (config_value_parse(v, text, p->cfg->dir, true, why, sizeof(why))) {
		config_perr_at(p, p->line, "%s: %s", key, why);
		sec->bad = true;
	}
}

static void config_assign(struct config_parser *p, char *s)
{
	char *eq = strchr(s, '='), *text;
	const char *why;

	if (!eq) {
		config_perr_at(p, p->line, "expected 'key = value'");
		return;
	}
	*eq = 0;
	config_rtrim(s);
	if (!*s) {
		config_perr_at(p, p->line, "missing key name before '='");
		return;
	}
	why = config_value_text(eq + 1, &text);
	if (why)
		config_perr_at(p, p->line, "%.64s: %s", s, why);
	else if (!p->cur && !p->skipping)
		config_perr_at(p, p->line, "key outside of any section");
	else if (p->cur)
		config_set_key(p, s, text);
	if (why && p->cur)
		p->cur->bad = true;
	/* One "outside of any section" is enough for a missing header. */
	if (!p->cur)
		p->skipping = true;
}

static void config_line(struct config_parser *p, char *s)
{
	s = config_skip_ws(s);
	config_rtrim(s);
	if (!*s || *s == '#' || *s == ';')
		return;
	if (*s == '[')
		config_header(p, s);
	else
		config_assign(p, s);
}

static int config_read(struct config_parser *p, FILE *f)
{
	size_t cap = 0;
	char *buf = NULL;
	ssize_t len;
	int rc = 0;

	while ((len = getline(&buf, &cap, f)) >= 0) {
		p->line++;
		if (strlen(buf) != (size_t)len)
			config_perr_at(p, p->line, "line contains a NUL byte");
		else
			config_line(p, buf);
		/* The line may have held a password. */
		explicit_bzero(buf, cap);
	}
	if (ferror(f)) {
		rc = errno ? errno : EIO;
		config_perr_at(p, 0, "read error: %s", strerror(rc));
	}
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* End of file: defaults, required keys and sections, validate hooks      */

static void config_default(struct config_parser *p, struct config_section *sec,
			   struct config_value *v)
{
	char why[400];

	if (!config_value_parse(v, v->key->def, p->cfg->dir, false, why,
				sizeof(why)))
		return;
	if (!strcmp(why, "out of memory")) {
		p->oom = true;
		return;
	}
	fprintf(stderr, "config: schema bug: default of %s in [%s]: %s\n",
		v->key->name, sec->def->name, why);
	abort();
}

static void config_section_finish(struct config_parser *p,
				  struct config_section *sec, bool required)
{
	char label[160];
	size_t i;

	for (i = 0; i < sec->nvals; i++) {
		struct config_value *v = &sec->vals[i];

		if (v->line)
			continue;
		if (v->key->def) {
			config_default(p, sec, v);
		} else if (required && (v->key->flags & CONFIG_F_REQUIRED)) {
			config_perr_at(p, sec->line,
				       "missing required key '%s' in %s",
				       v->key->name,
				       config_label(sec->def->name, sec->name,
						    label, sizeof(label)));
			sec->bad = true;
		}
	}
}

/* Sections the file lacks: an error if required; an unnamed kind gets an
 * empty instance so that its defaults can be read. */
static void config_absent_sections(struct config_parser *p)
{
	const struct config_section_def *const *d;
	struct config_section *sec;

	for (d = p->schema; *d; d++) {
		if (config_find(p->cfg, *d, NULL))
			continue;
		if ((*d)->required)
			config_perr_at(p, 0, "required section [%s%s] missing",
				       (*d)->name, (*d)->named ? " NAME" : "");
		if ((*d)->named)
			continue;
		sec = config_section_alloc(p->cfg, *d, NULL, 0);
		if (!sec) {
			p->oom = true;
			return;
		}
		config_section_finish(p, sec, !(*d)->required);
	}
}

static void config_finish(struct config_parser *p)
{
	struct config_section *sec;

	for (sec = p->cfg->first; sec; sec = sec->next)
		config_section_finish(p, sec, true);
	config_absent_sections(p);
	if (p->oom)
		return;
	for (sec = p->cfg->first; sec; sec = sec->next)
		if (sec->line && !sec->bad && sec->def->validate)
			sec->def->validate(sec, config_collect, p);
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

static int config_alloc(const char *file, struct config **out)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	char *slash;

	if (!cfg)
		return ENOMEM;
	cfg->path = strdup(file);
	cfg->abs = realpath(file, NULL);
	if (!cfg->path || !cfg->abs) {
		int rc = cfg->path ? errno : ENOMEM;

		config_free(cfg);
		return rc;
	}
	cfg->dir = strdup(cfg->abs);
	if (!cfg->dir) {
		config_free(cfg);
		return ENOMEM;
	}
	slash = strrchr(cfg->dir, '/');
	slash[slash == cfg->dir] = 0; /* "/x.conf" -> "/" */
	*out = cfg;
	return 0;
}

static int config_open(const char *file, FILE **f, struct config **cfg,
		       config_error_h *eh, void *arg)
{
	char why[160];
	int rc;

	*f = fopen(file, "re");
	if (!*f) {
		rc = errno;
		snprintf(why, sizeof(why), "cannot open: %s", strerror(rc));
		if (eh)
			eh(file, 0, why, arg);
		return rc;
	}
	rc = config_alloc(file, cfg);
	if (rc) {
		fclose(*f);
		snprintf(why, sizeof(why), "cannot resolve the path: %s",
			 strerror(rc));
		if (eh)
			eh(file, 0, why, arg);
	}
	return rc;
}

int config_load(const char *file,
		const struct config_section_def *const *schema,
		struct config **out, config_error_h *eh, void *arg)
{
	struct config_parser p = { .schema = schema };
	FILE *f;
	int rc;

	rc = config_open(file, &f, &p.cfg, eh, arg);
	if (rc)
		return rc;
	rc = config_read(&p, f);
	fclose(f);
	if (!rc)
		config_finish(&p);
	if (!rc && p.oom)
		rc = ENOMEM;
	if (!rc && p.nerrs)
		rc = EINVAL;
	config_errors_emit(&p, eh, arg);
	config_errors_free(&p);
	if (rc)
		config_free(p.cfg);
	else
		*out = p.cfg;
	return rc;
}

void config_free(struct config *cfg)
{
	struct config_section *sec, *next;

	if (!cfg)
		return;
	for (sec = cfg->first; sec; sec = next) {
		next = sec->next;
		config_section_free(sec);
	}
	free(cfg->path);
	free(cfg->abs);
	free(cfg->dir);
	free(cfg);
}

const char *config_file(const struct config *cfg)
{
	return cfg->abs;
}

/* ---------------------------------------------------------------------- */
/* Reading                                                                 */

const struct config_section *config_section_get(const struct config *cfg,
						const char *kind,
						const char *instance)
{
	const struct config_section *sec;

	for (sec = cfg->first; sec; sec = sec->next)
		if (!strcmp(sec->def->name, kind) &&
		    (!instance || (sec->name && !strcmp(sec->name, instance))))
			return sec;
	return NULL;
}

const struct config_section *
config_section_next(const struct config *cfg, const char *kind,
		    const struct config_section *prev)
{
	const struct config_section *sec = prev ? prev->next : cfg->first;

	for (; sec; sec = sec->next)
		if (!strcmp(sec->def->name, kind))
			return sec;
	return NULL;
}

const char *config_section_kind(const struct config_section *sec)
{
	return sec->def->name;
}

const char *config_section_name(const struct config_section *sec)
{
	return sec->name;
}

const char *config_section_file(const struct config_section *sec)
{
	return sec->cfg->path;
}

unsigned config_section_line(const struct config_section *sec)
{
	return sec->line;
}

#define CONFIG_T(t)  (1u << (t))
#define CONFIG_T_ANY (~0u)
#define CONFIG_T_STR                                                           \
	(CONFIG_T(CONFIG_STRING) | CONFIG_T(CONFIG_ENUM) |                     \
	 CONFIG_T(CONFIG_PATH))
#define CONFIG_T_INT (CONFIG_T(CONFIG_INT) | CONFIG_T(CONFIG_DURATION))
#define CONFIG_T_LIST                                                          \
	(CONFIG_T(CONFIG_LIST) | CONFIG_T(CONFIG_E164_LIST) |                  \
	 CONFIG_T(CONFIG_ADDR_LIST) | CONFIG_T(CONFIG_LOG_LEVELS))

/* The value of KEY in SEC; a programming error (abort) if SEC is NULL, or
 * KEY is undeclared or not of one of TYPES. */
static const struct config_value *
config_lookup(const struct config_section *sec, const char *key, unsigned types,
	      const char *fn)
{
	const struct config_value *v;

	if (!sec) {
		fprintf(stderr, "config: %s(NULL, \"%s\"): no section\n", fn,
			key);
		abort();
	}
	v = config_value_find((struct config_section *)sec, key);
	if (!v) {
		fprintf(stderr, "config: %s: [%s] declares no key '%s'\n", fn,
			sec->def->name, key);
		abort();
	}
	if (!(types & CONFIG_T(v->key->type))) {
		fprintf(stderr, "config: %s: key '%s' of [%s] is a %s\n", fn,
			key, sec->def->name, config_type_name(v->key->type));
		abort();
	}
	return v;
}

bool config_is_set(const struct config_section *sec, const char *key)
{
	return config_lookup(sec, key, CONFIG_T_ANY, __func__)->line != 0;
}

unsigned config_key_line(const struct config_section *sec, const char *key)
{
	return config_lookup(sec, key, CONFIG_T_ANY, __func__)->line;
}

const char *config_get_str(const struct config_section *sec, const char *key)
{
	return config_lookup(sec, key, CONFIG_T_STR, __func__)->str;
}

long long config_get_int(const struct config_section *sec, const char *key)
{
	return config_lookup(sec, key, CONFIG_T_INT, __func__)->num;
}

bool config_get_bool(const struct config_section *sec, const char *key)
{
	return config_lookup(sec, key, CONFIG_T(CONFIG_BOOL), __func__)->num;
}

bool config_get_addr(const struct config_section *sec, const char *key,
		     struct config_addr *out)
{
	const struct config_value *v =
		config_lookup(sec, key, CONFIG_T(CONFIG_ADDR), __func__);

	if (!v->set)
		return false;
	*out = *v->addr;
	return true;
}

size_t config_get_list(const struct config_section *sec, const char *key,
		       const char *const **items)
{
	static const char *const none[] = { NULL };
	const struct config_value *v =
		config_lookup(sec, key, CONFIG_T_LIST, __func__);

	*items = v->set ? (const char *const *)v->items : none;
	return v->set ? v->n : 0;
}
