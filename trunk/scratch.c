/*
 * The gateway's scratch home: memory for what one callback builds only to
 * hand it to nta (relayed SDP bodies, Session-Expires and Authorization
 * headers, an ACK's CSeq...). nta copies everything it is given into its
 * own message, so none of it outlives the callback; on the call's home it
 * stayed until the call ended (~1 KB per established call, and more with
 * every re-INVITE, UPDATE or session refresh).
 *
 * The first use in a loop iteration arms a zero-delay timer; it empties
 * the home before the loop waits again (timers run between callbacks,
 * never inside one). The rule for callers: never keep a pointer into
 * scratch memory past the callback that allocated it; what must stay goes
 * on the call's home.
 *
 * The home lives in the gateway's scratch_area (su_home_auto()): its first
 * TRUNK_SCRATCH_AREA bytes of an iteration come from there, without a
 * malloc() and free() each (the SDP bodies, headers and contacts of a
 * call's messages: docs/benchmarks.md "instructions per call, fourth pass"); what
 * does not fit is malloc'd as before, and freed by the same emptying.
 */
#include "gateway.h"

#include <string.h>

#include <sofia-sip/su_alloc.h>

/* A fresh scratch home in gw->scratch_area; under ASan a malloc'd one, so
 * that each block is checked on its own (as agent.c's messages). */
static su_home_t *scratch_home(struct trunk_gateway *gw)
{
#if defined(__SANITIZE_ADDRESS__)
	su_home_t *home = (su_home_t *)gw->scratch_area;

	memset(home, 0, sizeof(*home));
	su_home_init(home); /* without its table, su_alloc() makes one */
	return home;
#else
	return su_home_auto(gw->scratch_area, sizeof(gw->scratch_area));
#endif
}

static void scratch_empty(su_root_magic_t *magic, su_timer_t *t,
			  struct trunk_gateway *gw)
{
	(void)magic;
	(void)t;
	gw->scratch_armed = false;
	su_home_deinit(gw->scratch);
	gw->scratch = scratch_home(gw);
}

su_home_t *trunk_scratch_get(struct trunk_gateway *gw)
{
	if (!gw->scratch_ready) {
		gw->scratch = scratch_home(gw);
		gw->scratch_ready = true;
	}
	if (gw->scratch_armed || !gw->root)
		return gw->scratch;
	if (!gw->scratch_timer)
		gw->scratch_timer = su_timer_create(su_root_task(gw->root), 0);
	/* Unarmed (no memory for the timer): emptied at a later use. */
	gw->scratch_armed = gw->scratch_timer &&
			    su_timer_set_interval(gw->scratch_timer,
						  scratch_empty, gw, 0) == 0;
	return gw->scratch;
}

void trunk_scratch_free(struct trunk_gateway *gw)
{
	if (gw->scratch_timer)
		su_timer_destroy(gw->scratch_timer);
	gw->scratch_timer = NULL;
	gw->scratch_armed = false;
	if (gw->scratch_ready)
		su_home_deinit(gw->scratch);
	gw->scratch = NULL;
	gw->scratch_ready = false;
}
