/*
 * Overload control, pure logic (trunk/overload.c): a token bucket for
 * the configured call rate and the detector of a standing queue in front
 * of the signalling thread. No I/O, no clock of their own: the caller
 * passes the time in microseconds, so unit tests drive them exactly.
 * Used by trunk/admission.c before nta keeps any state of a new INVITE
 * (docs/operations.md "Overload").
 */
#ifndef TRUNKD_TRUNK_OVERLOAD_H
#define TRUNKD_TRUNK_OVERLOAD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Token bucket: `rate` tokens per second, at most `burst` held; a new call
 * takes one. Starts full. rate 0: no limit (every take succeeds).
 */
struct trunk_bucket {
	uint32_t rate, burst;
	int64_t tokens_u; /* tokens x 1,000,000 (integer: no float drift) */
	int64_t last_us;  /* when tokens_u was last brought up to date */
};

/* (Re)configure; a bucket that was limited keeps its tokens (capped at
 * the new burst), a new one starts full. burst 0 means rate. */
void trunk_bucket_set(struct trunk_bucket *b, uint32_t rate, uint32_t burst,
		      int64_t now_us);
/* Take one token at now_us: true when there was one (or no limit). */
bool trunk_bucket_take(struct trunk_bucket *b, int64_t now_us);
/* Give back the token just taken (what it was taken for did not
 * happen); never above the burst. */
void trunk_bucket_give(struct trunk_bucket *b);

/*
 * Standing-queue detector (the CoDel idea, RFC 8289, applied to new
 * INVITEs): every new INVITE reports how long it waited in the socket
 * before the signalling thread read it. A window of TRUNK_LAG_WINDOW_US
 * whose *smallest* wait exceeds the target, with at least
 * TRUNK_LAG_MIN_SAMPLES INVITEs in it, means the thread never caught up
 * during the window: overloaded. A burst or a scheduling hiccup raises
 * some waits but not the smallest, and a quiet window proves nothing.
 *
 * The share of new INVITEs admitted then follows AIMD: x 0.7 after each
 * overloaded window (never below TRUNK_LAG_ADMIT_MIN), + 0.1 after each
 * window that was not (an empty one too), so it is back at 100 % at
 * most 1 s after the load is gone. Admission spreads the share evenly
 * (a credit counter, no randomness).
 */
#define TRUNK_LAG_WINDOW_US   100000 /* 100 ms */
#define TRUNK_LAG_MIN_SAMPLES 10     /* 100 new INVITEs/s */
#define TRUNK_LAG_ADMIT_MIN   50     /* per mille: 5 % */

struct trunk_lag {
	int64_t target_us;	     /* 0: detector off (admits everything) */
	int64_t window_start;	     /* microseconds; 0: no window yet */
	int64_t window_min;	     /* smallest wait in the current window */
	uint32_t samples;	     /* INVITEs in the current window */
	uint32_t admit;		     /* per mille admitted, 50..1000 */
	uint32_t credit;	     /* per mille, for spreading */
	uint64_t windows_overloaded; /* how many windows were */
};

void trunk_lag_set(struct trunk_lag *l, int64_t target_us);
/* One new INVITE at now_us that waited wait_us (< 0: not measurable,
 * e.g. over TCP: only moves the windows on). */
void trunk_lag_sample(struct trunk_lag *l, int64_t wait_us, int64_t now_us);
/* Move the windows on to now without a sample (reporting: the share
 * otherwise only changes when INVITEs arrive). */
void trunk_lag_tick(struct trunk_lag *l, int64_t now_us);
/* Admit this new INVITE? (After trunk_lag_sample() for it.) */
bool trunk_lag_admit(struct trunk_lag *l);
/* The share admitted now, per mille (1000 when not overloaded). */
uint32_t trunk_lag_share(const struct trunk_lag *l);

/*
 * The INVITEs refused lately, so that a retransmission of one is refused
 * again whatever the load is when it arrives (a UAC retransmits when our
 * 503 crossed its retransmission or was lost; admitting the copy would
 * give it a call after it had ACKed the 503). Not a transaction: a fixed
 * table of request keys (a hash of Call-ID, From tag, CSeq and branch)
 * with an expiry, direct-mapped; a newer key may take an older one's
 * slot (that copy is then judged afresh).
 */
#define TRUNK_REFUSED_SLOTS 65536 /* 1 MB: ~20 s of refusals at 3,000/s */

struct trunk_refused {
	struct trunk_refused_slot {
		uint64_t key;
		int64_t until_us;
	} slots[TRUNK_REFUSED_SLOTS];
};

/* The key of a request: FNV-1a over the NUL-terminated parts. */
uint64_t trunk_refused_key(const char *const *parts, unsigned n);
void trunk_refused_add(struct trunk_refused *r, uint64_t key, int64_t now_us,
		       int64_t ttl_us);
bool trunk_refused_seen(const struct trunk_refused *r, uint64_t key,
			int64_t now_us);

#endif
