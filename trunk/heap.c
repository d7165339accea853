/*
 * [global] heap_reserve: the signalling thread's heap grown and touched
 * at start-up, and kept mapped when freed.
 *
 * nta keeps each call's transactions for 32 s (RFC 3261 timers on UDP),
 * so under a rising call rate trunkd's heap grows by ~28 KB per call and
 * every new page costs a page fault on the signalling thread: 2.6-3 us
 * each on the benchmark's VM, 12 us for memory its guest had handed back
 * to the host (README "Benchmarks"). With a reserve, those pages are
 * faulted in before the first call, and glibc no longer gives freed heap
 * back to the kernel below that size (M_TRIM_THRESHOLD), so a burst after
 * a quiet spell finds its memory mapped too. The price is the reserve's
 * resident memory from the start (as Kamailio's shm_force_alloc).
 */
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "trunk.h"

/* Below glibc's default mmap threshold (128 KB): these come from the
 * heap, not from mmap(), and coalesce into its top when freed. */
#define RESERVE_STEP (64u * 1024u - 64u)

size_t trunk_heap_reserve(size_t mb)
{
	size_t bytes = mb << 20, i, done = 0;
	size_t n = (bytes + RESERVE_STEP - 1) / RESERVE_STEP;
	void **blocks;

	if (!n)
		return 0;
	/* trimming stops at the reserve (and the mmap threshold, no longer
	 * dynamic once the trim threshold is set, keeps glibc's default) */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD,
		bytes < INT_MAX - (1 << 20) ? (int)bytes + (1 << 20) : INT_MAX);
	blocks = calloc(n, sizeof(*blocks));
	if (!blocks)
		return 0;
	for (i = 0; i < n; i++) {
		blocks[i] = malloc(RESERVE_STEP);
		if (!blocks[i])
			break;
		/* not memset(): the compiler may drop a store before free() */
		explicit_bzero(blocks[i], RESERVE_STEP);
	}
	done = i;
	while (i--)
		free(blocks[i]);
	free(blocks);
	return done * RESERVE_STEP;
}
