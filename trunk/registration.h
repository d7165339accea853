/*
 * Private to trunk/: Registration mode (registration.c). The interval
 * functions are pure (STYLE.md 12) and unit-tested.
 */
#ifndef TRUNKD_TRUNK_REGISTRATION_H
#define TRUNKD_TRUNK_REGISTRATION_H

#include <stdbool.h>

#include "flow.h"

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
/* The same with a configurable base and cap (register_retry_base/max). */
unsigned trunk_reg_backoff_from(unsigned base, unsigned max, unsigned failures,
				unsigned retry_after);
/* Seconds after a grant of `granted` s to refresh it (REG-12). */
unsigned trunk_reg_refresh_after(unsigned granted);
/* A registrar's delta-seconds (expires=, Expires): digits only, at most
 * 2^31 - 1; -1 when unusable (junk, negative, 2^32). */
long long trunk_reg_parse_delta(const char *text);

struct trunk_gateway;
struct config;
/* Start the registrations of every registration-mode trunk. */
int trunk_regs_apply(struct trunk_gateway *gw, const struct config *cfg);
/*
 * A reload (old: the running config, cfg: the new one, not yet in gw):
 * trunks added to registration mode register, trunks removed un-REGISTER;
 * a trunk whose REGISTER changes (domain, proxy, transport, AOR, TLS name,
 * Contact) un-REGISTERs the old binding and registers the new one; other
 * registration and flow keys apply in place (keep-alive settings at once,
 * expiry and back-off bases from the next REGISTER or failure); changed
 * credentials register again at once. 0, ENOMEM or the instance-id error.
 */
int trunk_regs_reload(struct trunk_gateway *gw, const struct config *old,
		      const struct config *cfg);
void trunk_regs_unregister(struct trunk_gateway *gw);
void trunk_regs_free(struct trunk_gateway *gw);

struct trunk_reg_info {
	const char *trunk;
	enum trunk_reg_state state;
	long long expires_in;
	long long next_attempt_in; /* s until the next REGISTER; -1: none */
	unsigned failures;	   /* REG-6 count */
	unsigned flow_failures;	   /* OB-5 count */
	const char *last_response; /* "200 OK", "" if none yet */
	const char *reason;	   /* of the last state change */
	const char *route;	   /* the SP-SSE in use ("" : RFC 3263) */
	const struct trunk_flow *flow;
	/* The settings in force (reload, issue 6). */
	const char *aor;		    /* registration_aor */
	long long expires_asked;	    /* s, the next REGISTER's Expires */
	unsigned retry_base_s, retry_max_s; /* REG-6 */
	struct trunk_flow_backoff fb;	    /* OB-5 */
};
bool trunk_reg_info(const struct trunk_gateway *gw, const char *trunk,
		    struct trunk_reg_info *info);
/* Iterate the registrations (prev NULL: first); NULL at the end. */
const struct trunk_reg *trunk_reg_next(const struct trunk_gateway *gw,
				       const struct trunk_reg *prev);
void trunk_reg_get_info(const struct trunk_reg *r, struct trunk_reg_info *info);
/*
 * REG-11: another request of TRUNK failed with 403, Timer B/F or a
 * transport error: the registration is presumed lost and renewed now
 * (once: only from REGISTERED). No effect on other trunks' modes.
 */
void trunk_reg_presumed_lost(struct trunk_gateway *gw, const char *trunk,
			     const char *why);

#endif /* TRUNKD_TRUNK_REGISTRATION_H */
