/*
 * trunk/nonce.c: trunkd's digest nonces as a UAS. Each verified digest
 * uses up its nonce count (a replay is refused, counts crossing on UDP
 * are not), a nonce without qop is good once, an expired or forgotten
 * one is stale, a forged or foreign one is not ours; the table is
 * bounded, and only digests that verify take its slots (a flood of
 * challenges pushes out nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_test.h"
#include "trunk/nonce.h"

#define REALM "trunkd.local"
#define T0    1795340000

static struct trunk_nonces *fresh(void)
{
	struct trunk_nonces *n = malloc(sizeof(*n));

	if (n && trunk_nonces_init(n)) {
		free(n);
		return NULL;
	}
	return n;
}

/* k nonces issued at T0 (a flood of challenges); the last into last. */
static void issue_many(struct trunk_nonces *n, unsigned k,
		       char last[TRUNK_NONCE_LEN])
{
	while (k--)
		trunk_nonce_issue(n, T0, REALM, last);
}

static enum trunk_nonce_verdict use(struct trunk_nonces *n, const char *nonce,
				    const char *nc)
{
	return trunk_nonce_use(n, T0 + 1, REALM, nonce, nc);
}

static int count_used_once(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN], b[TRUNK_NONCE_LEN];

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	trunk_nonce_issue(n, T0, REALM, b);
	CHECK(strcmp(a, b) != 0);
	CHECK(strlen(a) < TRUNK_NONCE_LEN - 1);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	/* The same Authorization again: a replay. */
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_REPLAY);
	/* Counts are per nonce. */
	CHECK(use(n, b, "00000001") == TRUNK_NONCE_OK);
	/* Hex, either case. */
	CHECK(use(n, a, "0000000A") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "0000000a") == TRUNK_NONCE_REPLAY);
	free(n);
	return 0;
}

/* Requests of one client cross on UDP: a skipped count below the highest
 * is still good once, within 32 of it. */
static int counts_out_of_order(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN];

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	CHECK(use(n, a, "00000003") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, a, "00000003") == TRUNK_NONCE_REPLAY);
	/* A jump of exactly 32 keeps the old highest, 3 (1 ages out). */
	CHECK(use(n, a, "00000023") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000003") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, a, "00000004") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_REPLAY); /* too old */
	/* Further than 32 below the highest: refused, never accepted. */
	CHECK(use(n, a, "00000100") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "000000df") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, a, "000000e0") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "000000ff") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "000000ff") == TRUNK_NONCE_REPLAY);
	free(n);
	return 0;
}

/* Without qop there is no count: the nonce is good for one request. */
static int no_qop_once(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN];

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	CHECK(use(n, a, NULL) == TRUNK_NONCE_OK);
	CHECK(use(n, a, NULL) == TRUNK_NONCE_REPLAY);
	free(n);
	return 0;
}

static int bad_counts(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN];

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	CHECK(use(n, a, "") == TRUNK_NONCE_BAD_NC);
	CHECK(use(n, a, "00000000") == TRUNK_NONCE_BAD_NC);
	CHECK(use(n, a, "1") == TRUNK_NONCE_BAD_NC);
	CHECK(use(n, a, "000000001") == TRUNK_NONCE_BAD_NC);
	CHECK(use(n, a, "0000000g") == TRUNK_NONCE_BAD_NC);
	CHECK(use(n, a, " 0000001") == TRUNK_NONCE_BAD_NC);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	free(n);
	return 0;
}

static int expired_is_stale(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN], b[TRUNK_NONCE_LEN];

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	trunk_nonce_issue(n, T0, REALM, b);
	CHECK(trunk_nonce_use(n, T0 + TRUNK_NONCE_TTL, REALM, a, "00000001") ==
	      TRUNK_NONCE_OK);
	CHECK(trunk_nonce_use(n, T0 + TRUNK_NONCE_TTL + 1, REALM, a,
			      "00000002") == TRUNK_NONCE_STALE);
	CHECK(trunk_nonce_use(n, T0 + TRUNK_NONCE_TTL + 1, REALM, b, NULL) ==
	      TRUNK_NONCE_STALE);
	free(n);
	return 0;
}

/* The table is bounded: a used nonce is forgotten (stale) once a later
 * nonce of its slot (TRUNK_NONCE_SLOTS serials on) is used; it and its
 * counts are never accepted again. */
static int bounded_table(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN], b[TRUNK_NONCE_LEN], x[TRUNK_NONCE_LEN];

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	trunk_nonce_issue(n, T0, REALM, b);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	issue_many(n, TRUNK_NONCE_SLOTS - 1, x);
	/* x has a's slot: once it is used, a is forgotten; b is still
	 * known (its counts too). */
	CHECK(use(n, x, "00000001") == TRUNK_NONCE_OK);
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_STALE);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_STALE);
	CHECK(use(n, b, "00000001") == TRUNK_NONCE_OK);
	CHECK(use(n, b, "00000001") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, x, "00000001") == TRUNK_NONCE_REPLAY);
	free(n);
	return 0;
}

/* Challenges answered by nobody (a flood of unauthenticated requests)
 * push out nothing: a phone's nonce not used yet and one in use, with
 * its counts, are still known after 10 * TRUNK_NONCE_SLOTS were issued. */
static int flood_keeps_nonces(void)
{
	struct trunk_nonces *n = fresh();
	char p[TRUNK_NONCE_LEN], q[TRUNK_NONCE_LEN], x[TRUNK_NONCE_LEN], nc[9];
	unsigned round;

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, p);
	trunk_nonce_issue(n, T0, REALM, q);
	/* q counts on between floods of a table's worth each. */
	for (round = 1; round <= 10; round++) {
		snprintf(nc, sizeof nc, "%08x", round);
		CHECK(use(n, q, nc) == TRUNK_NONCE_OK);
		issue_many(n, TRUNK_NONCE_SLOTS, x);
	}
	CHECK(use(n, q, "00000001") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, p, "00000001") == TRUNK_NONCE_OK);
	CHECK(use(n, x, NULL) == TRUNK_NONCE_OK);
	free(n);
	return 0;
}

/* A nonce issued before the one that holds its slot may have been used
 * and pushed out: stale, even if it was never used. Serials wrap: later
 * is serial arithmetic, and a holder that expired frees its slot for any
 * fresh nonce, however far its serial. */
static int earlier_than_holder(void)
{
	char a[TRUNK_NONCE_LEN], x[TRUNK_NONCE_LEN];
	struct trunk_nonces *n = fresh();

	CHECK(n != NULL);
	/* a: serial 0xfffffffe; x, TRUNK_NONCE_SLOTS on: 0xffe, a's slot. */
	n->next = UINT32_MAX - 1;
	trunk_nonce_issue(n, T0, REALM, a);
	issue_many(n, TRUNK_NONCE_SLOTS, x);
	CHECK(use(n, x, "00000001") == TRUNK_NONCE_OK &&
	      use(n, a, "00000001") == TRUNK_NONCE_STALE);
	/* The other way round across the wrap (0xfffffffd, then 0xffd):
	 * the later one takes the slot. */
	n->next = UINT32_MAX - 2;
	trunk_nonce_issue(n, T0, REALM, a);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	issue_many(n, TRUNK_NONCE_SLOTS, x);
	CHECK(use(n, x, "00000001") == TRUNK_NONCE_OK &&
	      use(n, a, "00000002") == TRUNK_NONCE_STALE);
	/* 2^31 serials on, a's slot, its holder x expired: taken. */
	n->next += 0x80000000u - 1;
	trunk_nonce_issue(n, T0 + TRUNK_NONCE_TTL + 1, REALM, a);
	CHECK(trunk_nonce_use(n, T0 + TRUNK_NONCE_TTL + 2, REALM, a,
			      "00000001") == TRUNK_NONCE_OK);
	CHECK(trunk_nonce_use(n, T0 + TRUNK_NONCE_TTL + 2, REALM, a,
			      "00000001") == TRUNK_NONCE_REPLAY);
	free(n);
	return 0;
}

/* Only trunkd makes nonces: another realm, another secret (another
 * process), a changed character, garbage: not ours. */
static int foreign(void)
{
	struct trunk_nonces *n = fresh(), *other = fresh();
	char a[TRUNK_NONCE_LEN], o[TRUNK_NONCE_LEN], t[TRUNK_NONCE_LEN];
	size_t len;

	CHECK(n != NULL && other != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	CHECK(strlen(a) < TRUNK_NONCE_LEN - 1);
	trunk_nonce_issue(other, T0, REALM, o);
	CHECK(trunk_nonce_use(n, T0, "other.realm", a, "00000001") ==
	      TRUNK_NONCE_FOREIGN);
	CHECK(use(n, o, "00000001") == TRUNK_NONCE_FOREIGN);
	memcpy(t, a, sizeof(t));
	len = strlen(t);
	t[len - 1] = t[len - 1] == '0' ? '1' : '0';
	CHECK(use(n, t, "00000001") == TRUNK_NONCE_FOREIGN);
	/* The same fields written otherwise are not the nonce issued. */
	t[0] = '0';
	memcpy(t + 1, a, strlen(a) + 1); /* a is shorter than 63 */
	CHECK(use(n, t, "00000001") == TRUNK_NONCE_FOREIGN);
	CHECK(use(n, "", "00000001") == TRUNK_NONCE_FOREIGN);
	CHECK(use(n, NULL, "00000001") == TRUNK_NONCE_FOREIGN);
	CHECK(use(n, "ffffffffffffffffffff.1.x", "00000001") ==
	      TRUNK_NONCE_FOREIGN);
	CHECK(use(n, "-1.-1.0", "00000001") == TRUNK_NONCE_FOREIGN);
	/* Nothing was used up by those: a's first count is still good. */
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	free(n);
	free(other);
	return 0;
}

static const struct unit_case cases[] = {
	{ "count_used_once", count_used_once },
	{ "counts_out_of_order", counts_out_of_order },
	{ "no_qop_once", no_qop_once },
	{ "bad_counts", bad_counts },
	{ "expired_is_stale", expired_is_stale },
	{ "bounded_table", bounded_table },
	{ "flood_keeps_nonces", flood_keeps_nonces },
	{ "earlier_than_holder", earlier_than_holder },
	{ "foreign", foreign },
};

UNIT_MAIN(cases)
