/*
 * Sofia-SIP logs through su_log_t objects, one per library part, each with
 * a level 0..9 and a printf-style sink that receives fragments, not lines.
 * We redirect each into the trunkd logger as subsystem "sofia.<part>",
 * buffering fragments until a newline, and derive Sofia's own level from
 * ours so that Sofia does not even format what we would drop.
 */
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_log.h>

#include "gateway.h"

/* Exported by libsofia-sip-ua but declared only in its private headers. */
extern su_log_t nta_log[];
extern su_log_t tport_log[];
extern su_log_t sresolv_log[];
extern su_log_t stun_log[];

struct trunk_sofia_log {
	su_log_t *log;
	const char *subsys;
	size_t used;
	char line[1024];
};

static struct trunk_sofia_log trunk_sofia_logs[] = {
	{ su_log_default, "sofia" },  { nta_log, "sofia.nta" },
	{ tport_log, "sofia.tport" }, { sresolv_log, "sofia.sres" },
	{ stun_log, "sofia.stun" },
};

#define N_LOGS (sizeof(trunk_sofia_logs) / sizeof(trunk_sofia_logs[0]))

/* The level a Sofia line is logged at: the lowest our config lets through
 * (Sofia has already filtered by its own level, derived from ours). */
static enum config_log_level trunk_sofia_level(const char *subsys)
{
	enum config_log_level l;

	for (l = LOG_LEVEL_DEBUG; l > LOG_LEVEL_ERROR; l--)
		if (config_log_enabled(subsys, l))
			break;
	return l;
}

static void trunk_sofia_flush(struct trunk_sofia_log *sl)
{
	while (sl->used && (sl->line[sl->used - 1] == '\n' ||
			    sl->line[sl->used - 1] == '\r'))
		sl->used--;
	if (sl->used)
		config_log_write(sl->subsys, trunk_sofia_level(sl->subsys),
				 NULL, "%.*s", (int)sl->used, sl->line);
	sl->used = 0;
}

/* Sofia's format strings (clang's -Wformat-nonliteral wants to know). */
static void trunk_sofia_logger(void *stream, char const *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void trunk_sofia_logger(void *stream, char const *fmt, va_list ap)
{
	struct trunk_sofia_log *sl = stream;
	char frag[1024];
	const char *p, *nl;
	int n = vsnprintf(frag, sizeof(frag), fmt, ap);

	if (n < 0)
		return;
	for (p = frag; *p; p = nl + 1) {
		size_t len, room = sizeof(sl->line) - sl->used;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > room)
			len = room;
		memcpy(sl->line + sl->used, p, len);
		sl->used += len;
		if (nl || sl->used == sizeof(sl->line))
			trunk_sofia_flush(sl);
		if (!nl)
			break;
	}
}

/* Our level -> Sofia's 0..9 (1 serious errors, 3 notable events, 5 details,
 * 7 protocol traces, 9 everything). */
static unsigned trunk_sofia_level_map(const char *subsys)
{
	if (config_log_enabled(subsys, LOG_LEVEL_DEBUG))
		return 7;
	if (config_log_enabled(subsys, LOG_LEVEL_INFO))
		return 3;
	if (config_log_enabled(subsys, LOG_LEVEL_WARN))
		return 2;
	return 1;
}

void trunk_sofia_log_levels_apply(void)
{
	size_t i;

	for (i = 0; i < N_LOGS; i++)
		su_log_set_level(
			trunk_sofia_logs[i].log,
			trunk_sofia_level_map(trunk_sofia_logs[i].subsys));
}

void trunk_sofia_log_init(void)
{
	size_t i;

	for (i = 0; i < N_LOGS; i++)
		su_log_redirect(trunk_sofia_logs[i].log, trunk_sofia_logger,
				&trunk_sofia_logs[i]);
	trunk_sofia_log_levels_apply();
}
