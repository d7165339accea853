/*
 * Private to trunk/: the session-timer rules of RFC 4028, as pure
 * functions over numbers (unit-tested in tests/unit/trunk/test_session_timer.c).
 * call_timer.c applies them to each leg of a call: the two legs negotiate
 * independently (a B2BUA is a UA on each side), so one side's interval or
 * refresher never crosses to the other.
 *
 * Roles: in a request, refresher=uac names its sender; in the response,
 * the same words keep their meaning for that transaction. A leg's
 * negotiated state is kept as "we refresh" / "the peer refreshes".
 */
#ifndef TRUNKD_TRUNK_SESSION_TIMER_H
#define TRUNKD_TRUNK_SESSION_TIMER_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 4028 4: the smallest Min-SE a UA may demand, and the defaults. */
#define TRUNK_ST_RFC_MIN_SE 90
#define TRUNK_ST_DEFAULT_SE 1800

/* Our policy, from the configuration. */
struct trunk_st_conf {
	unsigned se;	 /* Session-Expires we ask for, s; 0: ask for none */
	unsigned min_se; /* the smallest interval we accept, s (>= 1) */
};

/* One leg's negotiated session timer. */
struct trunk_st {
	unsigned interval; /* s; 0: no session timer on this leg */
	bool we_refresh;   /* we send the refreshes (else the peer does) */
};

/* What a request or response said about session timers. */
struct trunk_st_msg {
	unsigned se;	       /* Session-Expires delta, 0: absent */
	const char *refresher; /* its refresher parameter, or NULL */
	unsigned min_se;       /* Min-SE, 0: absent */
	bool supported;	       /* "timer" in Supported or Require */
};

/*
 * As the UAS of an INVITE, re-INVITE or UPDATE from the leg's peer
 * (RFC 4028 9): 0 with *out set, or 422 when the peer's Session-Expires is
 * below our minimum (*min_se: the Min-SE to answer with). With no
 * Session-Expires in the request we still run a timer of our own interval
 * (the peer refreshes when it supports timers, else we do), unless our
 * policy asks for none.
 */
uint16_t trunk_st_uas(const struct trunk_st_conf *c,
		      const struct trunk_st_msg *req, struct trunk_st *out,
		      unsigned *min_se);

/* As the UAC, the 2xx to our request (RFC 4028 7.2): no Session-Expires
 * in it means no timer on the leg. */
void trunk_st_uac_2xx(const struct trunk_st_msg *resp, struct trunk_st *out);

/* A 422 to our request asking for `asked` seconds (RFC 4028 7.4): the
 * interval to retry with, or 0 when a retry cannot help. */
unsigned trunk_st_uac_422(unsigned asked, unsigned resp_min_se);

/* The refresher parameter we write for st: in our response (we are UAS)
 * or in our request (we are UAC). */
const char *trunk_st_refresher_uas(const struct trunk_st *st);
const char *trunk_st_refresher_uac(const struct trunk_st *st);

/*
 * Milliseconds from a (re)negotiation until we must act on the leg: the
 * refresher refreshes at half the interval (RFC 4028 10); the other side
 * sends BYE when no refresh came by the interval minus the smaller of 32 s
 * and a third of it. 0 when st has no timer.
 */
uint64_t trunk_st_due_ms(const struct trunk_st *st);

/*
 * Our refresh re-INVITE got 491 (glare, RFC 3261 14.1): milliseconds until
 * it is sent again, from a random value rnd: 2.1-4 s when we chose the
 * dialog's Call-ID (leg B), 0-2 s otherwise (leg A), in steps of 10 ms.
 */
uint32_t trunk_st_glare_ms(bool call_id_owner, uint32_t rnd);

#endif /* TRUNKD_TRUNK_SESSION_TIMER_H */
