/*
 * Overload control, pure logic: the call-rate token bucket and the
 * standing-queue detector (see overload.h for the model). Integer
 * arithmetic only; time comes from the caller.
 */
#include "overload.h"

#define MICRO 1000000LL
/* Longest idle time credited at once: more only overflows, never adds
 * tokens (the bucket is full long before). */
#define BUCKET_IDLE_MAX_US (1000LL * MICRO)

/* Credit the tokens earned since last_us. */
static void bucket_refill(struct trunk_bucket *b, int64_t now_us)
{
	int64_t idle = now_us - b->last_us, cap = (int64_t)b->burst * MICRO;

	if (idle <= 0)
		return;
	if (idle > BUCKET_IDLE_MAX_US)
		idle = BUCKET_IDLE_MAX_US;
	b->tokens_u += idle * b->rate;
	if (b->tokens_u > cap)
		b->tokens_u = cap;
	b->last_us = now_us;
}

void trunk_bucket_set(struct trunk_bucket *b, uint32_t rate, uint32_t burst,
		      int64_t now_us)
{
	int64_t cap;

	if (!burst)
		burst = rate;
	cap = (int64_t)burst * MICRO;
	/* A bucket that was not limiting starts full; one that was keeps
	 * what it holds, so a reload cannot hand out a fresh burst. */
	if (b->rate)
		bucket_refill(b, now_us);
	if (!b->rate || b->tokens_u > cap)
		b->tokens_u = cap;
	b->rate = rate;
	b->burst = burst;
	b->last_us = now_us;
}

bool trunk_bucket_take(struct trunk_bucket *b, int64_t now_us)
{
	if (!b->rate)
		return true;
	bucket_refill(b, now_us);
	if (b->tokens_u < MICRO)
		return false;
	b->tokens_u -= MICRO;
	return true;
}

void trunk_bucket_give(struct trunk_bucket *b)
{
	int64_t cap = (int64_t)b->burst * MICRO;

	if (!b->rate)
		return;
	b->tokens_u += MICRO;
	if (b->tokens_u > cap)
		b->tokens_u = cap;
}

void trunk_lag_set(struct trunk_lag *l, int64_t target_us)
{
	l->target_us = target_us > 0 ? target_us : 0;
	if (!l->admit || !l->target_us)
		l->admit = 1000;
	l->window_start = 0;
	l->samples = 0;
}

/* Close the window that ended: AIMD on the admitted share. */
static void lag_close(struct trunk_lag *l)
{
	if (l->samples >= TRUNK_LAG_MIN_SAMPLES &&
	    l->window_min > l->target_us) {
		l->windows_overloaded++;
		l->admit = l->admit * 7 / 10;
		if (l->admit < TRUNK_LAG_ADMIT_MIN)
			l->admit = TRUNK_LAG_ADMIT_MIN;
	} else if (l->admit < 1000) {
		l->admit = l->admit + 100 > 1000 ? 1000 : l->admit + 100;
	}
}

/* Move the windows on to now: close the current one, count the empty
 * ones after it as not overloaded. */
static void lag_roll(struct trunk_lag *l, int64_t now_us)
{
	int64_t n;

	if (!l->window_start || now_us < l->window_start) {
		l->window_start = now_us ? now_us : 1;
		l->samples = 0;
		return;
	}
	n = (now_us - l->window_start) / TRUNK_LAG_WINDOW_US;
	if (n <= 0)
		return;
	lag_close(l);
	l->samples = 0;
	for (int64_t i = 1; i < n && l->admit < 1000; i++)
		lag_close(l); /* an empty window: + 10 % */
	l->window_start += n * TRUNK_LAG_WINDOW_US;
}

void trunk_lag_sample(struct trunk_lag *l, int64_t wait_us, int64_t now_us)
{
	if (!l->target_us)
		return;
	lag_roll(l, now_us);
	if (wait_us < 0)
		return;
	if (!l->samples || wait_us < l->window_min)
		l->window_min = wait_us;
	l->samples++;
}

void trunk_lag_tick(struct trunk_lag *l, int64_t now_us)
{
	if (l->target_us && l->window_start)
		lag_roll(l, now_us);
}

bool trunk_lag_admit(struct trunk_lag *l)
{
	if (!l->target_us || l->admit >= 1000)
		return true;
	l->credit += l->admit;
	if (l->credit < 1000)
		return false;
	l->credit -= 1000;
	return true;
}

uint32_t trunk_lag_share(const struct trunk_lag *l)
{
	return l->target_us ? l->admit : 1000;
}

uint64_t trunk_refused_key(const char *const *parts, unsigned n)
{
	uint64_t h = 1469598103934665603ULL;

	for (unsigned i = 0; i < n; i++) {
		for (const char *p = parts[i]; p && *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL; /* separator */
	}
	return h ? h : 1; /* 0 marks a free slot */
}

void trunk_refused_add(struct trunk_refused *r, uint64_t key, int64_t now_us,
		       int64_t ttl_us)
{
	struct trunk_refused_slot *s = &r->slots[key % TRUNK_REFUSED_SLOTS];

	s->key = key;
	s->until_us = now_us + ttl_us;
}

bool trunk_refused_seen(const struct trunk_refused *r, uint64_t key,
			int64_t now_us)
{
	const struct trunk_refused_slot *s =
		&r->slots[key % TRUNK_REFUSED_SLOTS];

	return s->key == key && now_us < s->until_us;
}
