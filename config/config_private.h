/*
 * Private to config/: what the parser, the value parsers, the logger and
 * the Markdown writer share. Nothing outside config/ includes this.
 */
#ifndef TRUNKD_CONFIG_PRIVATE_H
#define TRUNKD_CONFIG_PRIVATE_H

#include "config.h"

/* ---------------------------------------------------------------------- */
/* Values (value.c)                                                        */

/* One key of one section: set from the file, from the default, or unset. */
struct config_value {
	const struct config_key *key; /* borrowed from the schema */
	unsigned line;		      /* where the file set it; 0: not */
	bool set;		      /* holds a valid value */
	char *str;		      /* STRING ENUM PATH */
	long long num;		      /* INT DURATION (ms) BOOL */
	struct config_addr *addr;     /* ADDR */
	char **items;		      /* list types, NULL-terminated */
	size_t n;		      /* items */
};

/*
 * Parse TEXT (already unquoted) as v->key's type into v, replacing what v
 * held. Relative PATHs are resolved against DIR; check_exists applies
 * CONFIG_F_MUST_EXIST. Returns 0, or -1 with the reason (without the key
 * name, never showing a secret) in why; v is then unset.
 */
int config_value_parse(struct config_value *v, const char *text,
		       const char *dir, bool check_exists, char *why,
		       size_t why_len);

/* Free what v holds (wiping secrets) and mark it unset; v->line stays. */
void config_value_clear(struct config_value *v);

/* 3600000 -> "1h", 1500 -> "1500ms": the largest exact unit. */
void config_duration_format(long long ms, char *buf, size_t size);

/* "integer", "duration", ... as the reference names the types. */
const char *config_type_name(enum config_type type);

/* ---------------------------------------------------------------------- */
/* Log levels (log.c)                                                      */

#define CONFIG_LOG_MAX_PREFIXES 64
#define CONFIG_LOG_PREFIX_MAX	64

struct config_log_entry {
	char prefix[CONFIG_LOG_PREFIX_MAX]; /* "trunk.reg" */
	size_t len;
	int level;
};

/* The levels in force: a default plus per-prefix overrides. */
struct config_log_table {
	int def;
	size_t n;
	struct config_log_entry e[CONFIG_LOG_MAX_PREFIXES];
};

/*
 * Build a table from LOG_LEVELS items ("info", "trunk.reg=debug"). Used by
 * the parser to check a value and by the logger to install it, so both
 * accept exactly the same. Returns 0, or -1 with the reason in why.
 */
int config_log_table_build(struct config_log_table *t, const char *const *items,
			   size_t n, char *why, size_t why_len);

#endif /* TRUNKD_CONFIG_PRIVATE_H */
