/*
 * config: the bottom module of trunkd. It owns two things every other module
 * needs and that depend on nothing of ours:
 *
 *  1. The configuration file: one strict, table-driven INI-style format
 *     (docs/configuration.md). Each module declares its own settings as
 *     tables of struct config_key; main() hands the tables to config_load(),
 *     which parses, type-checks and bounds-checks the whole file and returns
 *     an immutable struct config, or reports every error as file:line: reason
 *     and returns an error. Unknown sections and keys are errors.
 *
 *  2. The one logger of the program (STYLE.md 9): per-subsystem levels
 *     ("trunk.reg=debug"), object context on every line, one write(2) per
 *     line so media threads may log too. Foreign logs (Sofia-SIP, spandsp,
 *     OpenSSL) are bridged into it by the module that owns that library.
 *
 * Nothing here allocates on a hot path; config objects are plain heap
 * objects because they outlive any su_home of the signalling thread and are
 * swapped whole on reload.
 */
#ifndef TRUNKD_CONFIG_H
#define TRUNKD_CONFIG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRUNKD_VERSION "0.1.0"

/* ---------------------------------------------------------------------- */
/* Key tables                                                              */

enum config_type {
	CONFIG_STRING,	   /* any non-empty text */
	CONFIG_INT,	   /* decimal integer in [min, max] */
	CONFIG_BOOL,	   /* yes/no, true/false, on/off, 1/0 */
	CONFIG_ENUM,	   /* one of choices ("udp|tcp|tls") */
	CONFIG_DURATION,   /* "250ms", "30s", "5m", "1h", or bare seconds;
			    stored in milliseconds; bounds in milliseconds */
	CONFIG_PATH,	   /* a file name; relative names are resolved against
			    the directory of the config file. With
			    CONFIG_F_MUST_EXIST the file must be readable */
	CONFIG_ADDR,	   /* "host:port", "[v6]:port", or "host" (port 0);
			    host is an IP literal or a DNS name */
	CONFIG_LIST,	   /* comma-separated non-empty strings; max = most
			    items (0: unlimited); with choices ("a|b"),
			    every item must be one of them */
	CONFIG_E164_LIST,  /* comma-separated "+<digits>" (ID-1 form, 1-15
			     digits), or ranges "+4930123400-+4930123499" */
	CONFIG_ADDR_LIST,  /* comma-separated CONFIG_ADDR values */
	CONFIG_LOG_LEVELS, /* "subsys=level, subsys=level" (see below) */
};

enum config_key_flag {
	CONFIG_F_REQUIRED = 1u << 0,   /* no default: must be set */
	CONFIG_F_SECRET = 1u << 1,     /* never echoed in errors or logs */
	CONFIG_F_MUST_EXIST = 1u << 2, /* CONFIG_PATH: must be readable */
	CONFIG_F_RESTART = 1u << 3,    /* a reload cannot change it */
};

/*
 * One setting. Tables end with an entry whose name is NULL.
 * def is the default as it would be written in the file (NULL: unset;
 * config_get_* then returns 0/NULL/false and config_is_set() false).
 */
struct config_key {
	const char *name;
	enum config_type type;
	long long min, max;  /* INT and DURATION bounds; LIST: max items */
	const char *choices; /* ENUM: "a|b|c" */
	const char *def;
	unsigned flags;
	const char *help;
};

/*
 * One section kind: "[global]" (instance == NULL) or "[trunk itsp1]"
 * (named: every instance needs a name, unique within the kind). A section
 * kind may draw its keys from several modules' tables (e.g. [trunk] = the
 * trunk module's keys + the certs module's TLS keys): keys[] ends with NULL.
 */
struct config_section;
typedef void(config_error_h)(const char *file, unsigned line,
			     const char *reason, void *arg);
/*
 * Cross-key checks of one section ("mode = registration needs
 * registration_aor"), run after the section's keys parsed cleanly. Report
 * each problem through eh (file from config_section_file(), line from
 * config_key_line() or config_section_line()) and return how many.
 */
typedef int(config_validate_h)(const struct config_section *sec,
			       config_error_h *eh, void *arg);

#define CONFIG_MAX_TABLES 4
struct config_section_def {
	const char *name;
	bool named;
	bool required; /* must appear at least once */
	const char *help;
	const struct config_key *keys[CONFIG_MAX_TABLES + 1];
	config_validate_h *validate; /* may be NULL */
};

/*
 * config's own keys, part of [global]: log levels, control socket, state
 * paths. The other modules add theirs (listen addresses: trunk); the full
 * schema is assembled by the top module (trunk_config_schema).
 */
extern const struct config_key config_global_keys[];

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

struct config;

/*
 * config_error_h (above) is called once per error, in file order; reason
 * names the key and what is wrong, and never contains the value of a
 * CONFIG_F_SECRET key.
 */

/*
 * Parse and validate FILE against the NULL-terminated schema. On success
 * *out is a new config owned by the caller (config_free()). Returns 0, or
 * EINVAL after reporting every error through eh, or the errno of opening
 * the file (also reported, with line 0).
 *
 * Syntax: '#' or ';' comments; "[kind]" or "[kind name]" headers;
 * "key = value" lines; values may be "double quoted" (\" and \\ escapes)
 * to keep leading/trailing blanks or a '#'; "include = path" at top level
 * is not supported (one file is one truth).
 */
int config_load(const char *file,
		const struct config_section_def *const *schema,
		struct config **out, config_error_h *eh, void *arg);

void config_free(struct config *cfg);

/* The absolute path of the loaded file. */
const char *config_file(const struct config *cfg);

/* ---------------------------------------------------------------------- */
/* Reading (all borrowed pointers, valid until config_free())             */

/*
 * The first section of a kind (instance NULL: any), or NULL. A kind that is
 * not named is always present: when the file lacks it, config_load() adds
 * an empty instance (line 0) so that its defaults can be read.
 */
const struct config_section *config_section_get(const struct config *cfg,
						const char *kind,
						const char *instance);

/* Iterate all sections of a kind in file order: prev NULL starts. */
const struct config_section *
config_section_next(const struct config *cfg, const char *kind,
		    const struct config_section *prev);

const char *config_section_kind(const struct config_section *sec);
const char *config_section_name(const struct config_section *sec);
/* The file as given to config_load(), for error messages. */
const char *config_section_file(const struct config_section *sec);
unsigned config_section_line(const struct config_section *sec);

/*
 * Typed getters. A key the file does not set yields its default (and
 * config_is_set() false, config_key_line() 0). Asking for a key the
 * section's tables do not declare, with the wrong type, or of a NULL
 * section is a programming error and aborts: unnamed kinds always have a
 * section (config_section_get()), named ones are found by iterating.
 */
bool config_is_set(const struct config_section *sec, const char *key);
unsigned config_key_line(const struct config_section *sec, const char *key);
const char *config_get_str(const struct config_section *sec,
			   const char *key); /* STRING ENUM PATH */
long long config_get_int(const struct config_section *sec,
			 const char *key); /* INT, DURATION (ms) */
bool config_get_bool(const struct config_section *sec, const char *key);

struct config_addr {
	char host[256]; /* without brackets */
	uint16_t port;	/* 0: not given */
	bool ipv6;	/* host is an IPv6 literal */
};
/* CONFIG_ADDR: out written when set; returns false when unset. */
bool config_get_addr(const struct config_section *sec, const char *key,
		     struct config_addr *out);

/*
 * Parse TEXT by the CONFIG_ADDR rules (for the items of a CONFIG_ADDR_LIST).
 * Returns 0 with *out written, or EINVAL.
 */
int config_addr_parse(const char *text, struct config_addr *out);

/* CONFIG_LIST, CONFIG_E164_LIST (ranges stay as written), CONFIG_ADDR_LIST,
 * CONFIG_LOG_LEVELS: number of items, *items borrowed and NULL-terminated
 * (unset: 0 and an empty array). */
size_t config_get_list(const struct config_section *sec, const char *key,
		       const char *const **items);

/* ---------------------------------------------------------------------- */
/* Documentation                                                           */

/* Write the Markdown reference of a schema (docs/configuration.md). */
int config_schema_write_markdown(const struct config_section_def *const *schema,
				 int fd);

/* ---------------------------------------------------------------------- */
/* Logger                                                                  */

enum config_log_level {
	LOG_LEVEL_ERROR = 0, /* an operator must act */
	LOG_LEVEL_WARN,	     /* a peer misbehaved and we recovered */
	LOG_LEVEL_INFO,	     /* one line per state change or call */
	LOG_LEVEL_DEBUG,     /* message detail */
};

/* "error" "warn" "info" "debug" -> level; -1 if unknown. */
int config_log_level_parse(const char *name);

/*
 * Levels per subsystem: spec is "info" (default for all) or a list
 * "info, trunk=debug, sofia.tport=warn". A subsystem's level is that of the
 * longest dotted prefix listed ("trunk" covers "trunk.reg"); without a bare
 * level the default is info. Returns 0 or EINVAL (levels unchanged).
 * Thread-safe against concurrent logging.
 */
int config_log_set_levels(const char *spec);
/* Same, from the items of a CONFIG_LOG_LEVELS value. */
int config_log_set_level_items(const char *const *items, size_t n);

bool config_log_enabled(const char *subsys, enum config_log_level level);

/*
 * One line to the log sink (stderr by default), in one write(2):
 *   2026-11-21T18:11:00.123Z INFO  trunk.reg [trunk itsp1] text
 * ctx may be NULL. Control characters become blanks (one call, one line);
 * lines over 4 KB are cut and end in "...". The level is not checked here
 * (LOG_AT does). The caller is responsible for never passing secrets.
 */
void config_log_write(const char *subsys, enum config_log_level level,
		      const char *ctx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void config_log_vwrite(const char *subsys, enum config_log_level level,
		       const char *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Redirect the sink to fd (tests); -1 restores stderr. */
void config_log_set_fd(int fd);

#define LOG_AT(lvl, sub, ctx, ...)                                             \
	do {                                                                   \
		if (config_log_enabled((sub), (lvl)))                          \
			config_log_write((sub), (lvl), (ctx), __VA_ARGS__);    \
	} while (0)
#define LOGE(sub, ctx, ...) LOG_AT(LOG_LEVEL_ERROR, sub, ctx, __VA_ARGS__)
#define LOGW(sub, ctx, ...) LOG_AT(LOG_LEVEL_WARN, sub, ctx, __VA_ARGS__)
#define LOGI(sub, ctx, ...) LOG_AT(LOG_LEVEL_INFO, sub, ctx, __VA_ARGS__)
#define LOGD(sub, ctx, ...) LOG_AT(LOG_LEVEL_DEBUG, sub, ctx, __VA_ARGS__)

#endif /* TRUNKD_CONFIG_H */
