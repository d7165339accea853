/*
 * Digest nonces of trunkd as a UAS (the registrar's 401 to phones, the
 * 407 to a [pbx] with a username: registrar.c), with replay protection.
 *
 * A nonce is "<issue time hex>.<serial hex>.<md5(secret:time:serial:
 * realm) hex>": only trunkd can make one (a random secret per process).
 * Issuing one keeps no state: a flood of requests that are challenged
 * cannot push anything out. The nonces in use are tracked in a table
 * (slot: serial modulo TRUNK_NONCE_SLOTS) from the first digest that
 * verifies with them; such a digest is accepted once per nonce count:
 *
 *   qop=auth   nc must be new for the nonce: above the highest seen, or
 *              one of the 32 below it not seen yet (requests of one
 *              client may cross on UDP); a count seen before is a replay
 *   no qop     the nonce is good for one request (no count to tell a
 *              replay from the next request)
 *
 * A slot passes only to a nonce issued later than its holder (or when
 * its holder expired), so a nonce earlier than the holder of its slot
 * may have been used and forgotten: it is stale, and so is an expired
 * one (older than TRUNK_NONCE_TTL). The client gets a new challenge with
 * stale=true and answers it without asking its user. Only digests that
 * verify, i.e. clients that know a password, take slots: a phone's
 * nonce, used or not yet, is pushed out only by another authenticated
 * client's newer nonce of the same slot. One trunkd cannot vindicate (an
 * earlier run's: the secret differs) is foreign; the registrar treats it
 * as stale when the digest is right for it (RFC 7616 3.3). Memory is the
 * table, allocated once (about 96 KB); nothing per request.
 */
#ifndef TRUNKD_TRUNK_NONCE_H
#define TRUNKD_TRUNK_NONCE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define TRUNK_NONCE_TTL	  300
#define TRUNK_NONCE_SLOTS 4096
#define TRUNK_NONCE_LEN	  64 /* with the NUL */

enum trunk_nonce_verdict {
	TRUNK_NONCE_OK,	     /* fresh, and this count unused (now used) */
	TRUNK_NONCE_STALE,   /* ours but expired or pushed out: stale=true */
	TRUNK_NONCE_REPLAY,  /* ours and fresh, this count already used */
	TRUNK_NONCE_FOREIGN, /* not ours (or not for this realm) */
	TRUNK_NONCE_BAD_NC,  /* qop=auth with an nc that is no 8LHEX > 0 */
};

struct trunk_nonce_slot {
	uint32_t serial; /* of the nonce that has the slot */
	uint32_t max_nc; /* highest count accepted, 0: none yet */
	uint32_t window; /* bit k: count max_nc - 1 - k accepted */
	bool used;	 /* accepted without qop */
	time_t issued;	 /* of the nonce that has the slot; 0: free */
};

struct trunk_nonces {
	char secret[33]; /* hex; "" until trunk_nonces_init() */
	uint32_t next;	 /* serial of the next nonce */
	struct trunk_nonce_slot slot[TRUNK_NONCE_SLOTS];
};

/* A random secret from /dev/urandom: 0, or -1 without randomness (then
 * no nonce may be issued: they would be guessable). */
int trunk_nonces_init(struct trunk_nonces *n);
/* A new nonce for realm at time now, into out. */
void trunk_nonce_issue(struct trunk_nonces *n, time_t now, const char *realm,
		       char out[TRUNK_NONCE_LEN]);
/* What nonce is worth at time now with nc, the digest's nonce count
 * (NULL without qop); on TRUNK_NONCE_OK that count (or the nonce, without
 * qop) is used up. Only for a digest that verified: a forged one must not
 * spend the counts of the real client. */
enum trunk_nonce_verdict trunk_nonce_use(struct trunk_nonces *n, time_t now,
					 const char *realm, const char *nonce,
					 const char *nc);

#endif /* TRUNKD_TRUNK_NONCE_H */
