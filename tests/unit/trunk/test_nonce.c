/*
 * trunk/nonce.c: trunkd's digest nonces as a UAS. Each verified digest
 * uses up its nonce count (a replay is refused, counts crossing on UDP
 * are not), a nonce without qop is good once, an expired or forgotten
 * one is stale, a forged or foreign one is not ours; the table is
 * bounded.
 */
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

/* The table is bounded: the oldest nonce is forgotten (stale) once
 * TRUNK_NONCE_SLOTS newer ones were issued, whatever its age. */
static int bounded_table(void)
{
	struct trunk_nonces *n = fresh();
	char a[TRUNK_NONCE_LEN], b[TRUNK_NONCE_LEN], x[TRUNK_NONCE_LEN];
	unsigned i;

	CHECK(n != NULL);
	trunk_nonce_issue(n, T0, REALM, a);
	trunk_nonce_issue(n, T0, REALM, b);
	CHECK(use(n, a, "00000001") == TRUNK_NONCE_OK);
	for (i = 0; i < TRUNK_NONCE_SLOTS - 1; i++)
		trunk_nonce_issue(n, T0, REALM, x);
	/* a's slot went to the last one; b is still known (its counts too). */
	CHECK(use(n, a, "00000002") == TRUNK_NONCE_STALE);
	CHECK(use(n, b, "00000001") == TRUNK_NONCE_OK);
	CHECK(use(n, b, "00000001") == TRUNK_NONCE_REPLAY);
	CHECK(use(n, x, "00000001") == TRUNK_NONCE_OK);
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
	{ "foreign", foreign },
};

UNIT_MAIN(cases)
