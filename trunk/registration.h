/*
 * Private to trunk/: Registration mode (registration.c). The interval
 * functions are pure (STYLE.md 12) and unit-tested.
 */
#ifndef TRUNKD_TRUNK_REGISTRATION_H
#define TRUNKD_TRUNK_REGISTRATION_H

#include <stdbool.h>

enum trunk_reg_state {
	TRUNK_REG_IDLE = 0,    /* not started, or unregistered */
	TRUNK_REG_REGISTERING, /* a REGISTER is out */
	TRUNK_REG_REGISTERED,  /* granted; the refresh timer runs */
	TRUNK_REG_BACKOFF,     /* waiting to retry (REG-6..REG-10) */
	TRUNK_REG_FAILED,      /* no retry: the SP-SSE cannot do GIN */
};
extern const char *const trunk_reg_state_names[];

/* Seconds before the next attempt after `failures` delivery failures in a
 * row (>= 1): 30, 60, ... 960 (REG-6); a longer Retry-After wins (REG-10). */
unsigned trunk_reg_backoff(unsigned failures, unsigned retry_after);
/* Seconds after a grant of `granted` s to refresh it (REG-12). */
unsigned trunk_reg_refresh_after(unsigned granted);

struct trunk_gateway;
struct config;
/* Start the registrations of every registration-mode trunk. */
int trunk_regs_apply(struct trunk_gateway *gw, const struct config *cfg);
void trunk_regs_unregister(struct trunk_gateway *gw);
void trunk_regs_free(struct trunk_gateway *gw);

struct trunk_reg_info {
	enum trunk_reg_state state;
	long long expires_in;
	unsigned failures;
};
bool trunk_reg_info(const struct trunk_gateway *gw, const char *trunk,
		    struct trunk_reg_info *info);

#endif /* TRUNKD_TRUNK_REGISTRATION_H */
