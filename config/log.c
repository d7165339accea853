/*
 * The one logger of trunkd (STYLE.md 9).
 *
 * Every line is built whole in a stack buffer and leaves in one write(2):
 * media threads log too, and lines must not interleave. The buffer is
 * PIPE_BUF long, so a line stays atomic even when the sink is a pipe.
 *
 * Levels: a default plus up to CONFIG_LOG_MAX_PREFIXES "prefix=level"
 * overrides, the longest dotted prefix winning. The table is swapped whole
 * under a rwlock; config_log_enabled() first checks the lowest and highest
 * level in force without the lock, which settles the common cases (debug
 * off everywhere, errors on everywhere) with two atomic loads.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config_private.h"

#define CONFIG_LOG_LINE_MAX 4096 /* PIPE_BUF on Linux */

static pthread_rwlock_t log_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct config_log_table log_table = { .def = LOG_LEVEL_INFO };
static atomic_int log_lo = LOG_LEVEL_INFO; /* lowest level in log_table */
static atomic_int log_hi = LOG_LEVEL_INFO; /* highest level in log_table */
static atomic_int log_fd = -1;		   /* -1: stderr */

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const char *const log_tags[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };
#define LOG_NLEVELS (sizeof(log_names) / sizeof(log_names[0]))

int config_log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < LOG_NLEVELS; i++)
		if (!strcmp(name, log_names[i]))
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Level tables                                                            */

/* Copy [s, s + len) trimmed into buf; false if it does not fit. */
static bool log_trim_copy(char *buf, size_t size, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= size)
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	return true;
}

/* [a-z0-9_]+ segments joined by single dots. */
static bool log_subsys_ok(const char *s)
{
	size_t i;

	if (!s[0] || s[0] == '.')
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] == '.' && (s[i + 1] == '.' || !s[i + 1]))
			return false;
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

static int log_level_of(const char *name, const char *item, char *why,
			size_t why_len)
{
	int level = config_log_level_parse(name);

	if (level < 0)
		snprintf(why, why_len,
			 "'%.64s': unknown level '%.16s' "
			 "(error|warn|info|debug)",
			 item, name);
	return level;
}

static int log_entry_add(struct config_log_table *t, const char *item,
			 const char *eq, char *why, size_t why_len)
{
	struct config_log_entry *e = &t->e[t->n];
	char level[16];
	size_t i;

	if (!log_trim_copy(e->prefix, sizeof(e->prefix), item,
			   (size_t)(eq - item)) ||
	    !log_subsys_ok(e->prefix)) {
		snprintf(why, why_len,
			 "'%.64s': a subsystem is [a-z0-9_.]+, at most %d "
			 "characters",
			 item, CONFIG_LOG_PREFIX_MAX - 1);
		return -1;
	}
	if (!log_trim_copy(level, sizeof(level), eq + 1, strlen(eq + 1)))
		level[0] = 0;
	e->level = log_level_of(level, item, why, why_len);
	if (e->level < 0)
		return -1;
	e->len = strlen(e->prefix);
	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->e[i].prefix, e->prefix)) {
			snprintf(why, why_len, "'%s' is listed twice",
				 e->prefix);
			return -1;
		}
	}
	t->n++;
	return 0;
}

static int log_item_add(struct config_log_table *t, const char *item,
			bool *have_def, char *why, size_t why_len)
{
	const char *eq = strchr(item, '=');
	char name[16];

	if (eq) {
		if (t->n < CONFIG_LOG_MAX_PREFIXES)
			return log_entry_add(t, item, eq, why, why_len);
		snprintf(why, why_len, "more than %d subsystem levels",
			 CONFIG_LOG_MAX_PREFIXES);
		return -1;
	}
	if (!log_trim_copy(name, sizeof(name), item, strlen(item)))
		name[0] = 0;
	if (*have_def) {
		snprintf(why, why_len, "'%.64s': only one default level", item);
		return -1;
	}
	*have_def = true;
	t->def = log_level_of(name, item, why, why_len);
	return t->def < 0 ? -1 : 0;
}

int config_log_table_build(struct config_log_table *t, const char *const *items,
			   size_t n, char *why, size_t why_len)
{
	bool have_def = false;
	size_t i;

	t->def = LOG_LEVEL_INFO;
	t->n = 0;
	if (!n) {
		snprintf(why, why_len, "no levels given");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (log_item_add(t, items[i], &have_def, why, why_len))
			return -1;
	return 0;
}

static void log_table_install(const struct config_log_table *t)
{
	int lo = t->def, hi = t->def;
	size_t i;

	for (i = 0; i < t->n; i++) {
		lo = t->e[i].level < lo ? t->e[i].level : lo;
		hi = t->e[i].level > hi ? t->e[i].level : hi;
	}
	pthread_rwlock_wrlock(&log_lock);
	log_table = *t;
	atomic_store(&log_lo, lo);
	atomic_store(&log_hi, hi);
	pthread_rwlock_unlock(&log_lock);
}

int config_log_set_level_items(const char *const *items, size_t n)
{
	struct config_log_table *t = malloc(sizeof(*t));
	char why[160];
	int rc = 0;

	if (!t)
		return ENOMEM;
	if (config_log_table_build(t, items, n, why, sizeof(why)))
		rc = EINVAL;
	else
		log_table_install(t);
	free(t);
	return rc;
}

int config_log_set_levels(const char *spec)
{
	const char **items = NULL;
	char *copy = spec ? strdup(spec) : NULL;
	char *s, *save = NULL;
	size_t n = 0, max = 1;
	int rc = EINVAL;

	if (!copy)
		return spec ? ENOMEM : EINVAL;
	for (s = copy; (s = strchr(s, ',')); s++)
		max++;
	items = calloc(max, sizeof(*items));
	if (!items) {
		rc = ENOMEM;
		goto out;
	}
	/* strtok_r would skip empty items; "info,,x=debug" is an error. */
	for (s = copy; n < max; s = save + 1) {
		save = strchr(s, ',');
		if (save)
			*save = 0;
		items[n++] = s;
		if (strspn(s, " \t") == strlen(s))
			goto out;
		if (!save)
			break;
	}
	rc = config_log_set_level_items(items, n);
out:
	free(items);
	free(copy);
	return rc;
}

/* The level of SUBSYS: the longest dotted prefix listed, else the default. */
static int log_table_lookup(const struct config_log_table *t,
			    const char *subsys)
{
	size_t best = 0, i;
	int level = t->def;

	for (i = 0; i < t->n; i++) {
		const struct config_log_entry *e = &t->e[i];

		if (e->len > best && !strncmp(subsys, e->prefix, e->len) &&
		    (subsys[e->len] == 0 || subsys[e->len] == '.')) {
			best = e->len;
			level = e->level;
		}
	}
	return level;
}

bool config_log_enabled(const char *subsys, enum config_log_level level)
{
	int l;

	if ((int)level > atomic_load_explicit(&log_hi, memory_order_relaxed))
		return false;
	if ((int)level <= atomic_load_explicit(&log_lo, memory_order_relaxed))
		return true;
	pthread_rwlock_rdlock(&log_lock);
	l = log_table_lookup(&log_table, subsys ? subsys : "");
	pthread_rwlock_unlock(&log_lock);
	return (int)level <= l;
}

/* ---------------------------------------------------------------------- */
/* Lines                                                                   */

void config_log_set_fd(int fd)
{
	atomic_store(&log_fd, fd);
}

/* "2026-11-21T18:11:00.123Z INFO  trunk.reg [ctx] " into line. */
static size_t log_head(char *line, size_t size, const char *subsys,
		       enum config_log_level level, const char *ctx)
{
	const char *tag =
		(unsigned)level < LOG_NLEVELS ? log_tags[level] : "?????";
	struct timespec ts;
	struct tm tm;
	size_t len;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(line, size, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + len, size - len, ".%03ldZ %s %.64s%s%.256s%s ",
		     ts.tv_nsec / 1000000, tag, subsys ? subsys : "-",
		     ctx ? " [" : "", ctx ? ctx : "", ctx ? "]" : "");
	return n < 0 ? len : len + (size_t)n;
}

/* One call is one line: no control character may start another or
 * rewrite this one on a terminal (log injection). */
static void log_clean(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
}

static void log_emit(const char *line, size_t len)
{
	int fd = atomic_load(&log_fd);
	ssize_t n;

	if (fd < 0)
		fd = STDERR_FILENO;
	do
		n = write(fd, line, len);
	while (n < 0 && errno == EINTR);
}

void config_log_vwrite(const char *subsys, enum config_log_level level,
		       const char *ctx, const char *fmt, va_list ap)
{
	char line[CONFIG_LOG_LINE_MAX];
	size_t room, len = log_head(line, sizeof(line), subsys, level, ctx);
	int n;

	/* log_head() cuts subsys and ctx short, so room stays large. */
	room = sizeof(line) - len - 1; /* keep one byte for '\n' */
	n = vsnprintf(line + len, room, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= room) {
		n = (int)room - 1;
		memcpy(line + len + n - 3, "...", 3);
	}
	len += (size_t)n;
	log_clean(line, len);
	line[len++] = '\n';
	log_emit(line, len);
}

void config_log_write(const char *subsys, enum config_log_level level,
		      const char *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_log_vwrite(subsys, level, ctx, fmt, ap);
	va_end(ap);
}
