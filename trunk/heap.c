/*
 * trunkd's malloc: which allocator serves it, how much heap is in use,
 * and [global] heap_reserve.
 *
 * trunkd links jemalloc (Debian's libjemalloc2; meson -Dallocator=glibc
 * builds without it, the sanitizer builds use their own). At 2,000
 * calls/s glibc's malloc and free were ~22 % of trunkd's CPU samples
 * (chunks freed 32 s after nta kept them, merged and sorted through
 * glibc's bins on the signalling thread); with jemalloc's size classes
 * and per-thread caches the CPU per call fell by a fifth (docs/benchmarks.md
 * "Benchmarks", session 17). Linked, its malloc() and free() are found
 * before glibc's for every object of the process, libsofia-sip-ua's and
 * libc's own calls included; trunk_malloc_check() proves it at start.
 *
 * heap_reserve: the heap grown and touched at start-up, and kept mapped
 * when freed. nta keeps each call's transactions for 32 s (RFC 3261
 * timers on UDP), so under a rising call rate trunkd's heap grows by
 * ~28 KB per call and every new page costs a page fault on the signalling
 * thread: 2.6-3 us each on the benchmark's VM, 12 us for memory its guest
 * had handed back to the host (docs/benchmarks.md). With a reserve,
 * those pages are faulted in before the first call, and freed memory is
 * no longer given back to the kernel (glibc: below the reserve's size,
 * M_TRIM_THRESHOLD; jemalloc: never, dirty_decay_ms -1), so a burst after
 * a quiet spell finds its memory mapped too. The price is the reserve's
 * resident memory from the start (as Kamailio's shm_force_alloc).
 */
#include <gnu/libc-version.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* meson defines TRUNK_JEMALLOC only outside the sanitizer builds */
#if TRUNK_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "trunk.h"

/* 64 KB less malloc's overhead: glibc serves these from the heap, not
 * from mmap() (threshold 128 KB), and coalesces them into its top when
 * freed; jemalloc from one extent each, kept dirty when freed. */
#define RESERVE_STEP (64u * 1024u - 64u)

#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

const char *trunk_malloc_name(void)
{
	static char buf[64];

	if (buf[0])
		return buf;
#if defined(__SANITIZE_ADDRESS__)
	snprintf(buf, sizeof(buf), "sanitizer");
#elif TRUNK_JEMALLOC
	{
		const char *v = NULL;
		size_t sz = sizeof(v), n;

		if (mallctl("version", &v, &sz, NULL, 0) || !v)
			v = "?";
		n = strcspn(v, "-"); /* "5.3.0-0-g54eaed1d..." */
		snprintf(buf, sizeof(buf), "jemalloc %.*s", (int)n, v);
	}
#else
	snprintf(buf, sizeof(buf), "glibc %s", gnu_get_libc_version());
#endif
	return buf;
}

bool trunk_malloc_check(void)
{
#if TRUNK_JEMALLOC
	/* A block of libc's strdup(): malloc() as another shared object
	 * resolves it. jemalloc knows its arena only if it made the block. */
	char *p = strdup("trunkd");
	unsigned arena = UINT_MAX;
	size_t sz = sizeof(arena);
	bool ok = p && !mallctl("arenas.lookup", &arena, &sz, &p, sizeof(p)) &&
		  arena != UINT_MAX;

	free(p);
	return ok;
#else
	return true;
#endif
}

/*
 * glibc's fastbins off. A small freed chunk waits in a fastbin, unmerged,
 * until the next malloc of 1 KB or more or a free of 64 KB or more, which
 * then merges every waiting chunk of the heap (malloc_consolidate). Sofia
 * frees thousands of small headers whenever nta's timers end transactions
 * together, so under load one such merge walked hundreds of MB of heap:
 * 80,000 merges per 20 s at 1,000 calls/s, the longest 73 ms, and one of
 * 365 ms after a failing step, all of it on the signalling thread. Without
 * fastbins a small chunk is merged when freed (or kept in the per-thread
 * cache); the CPU per call was the same in the bench (docs/benchmarks.md).
 * jemalloc has nothing of the kind.
 */
void trunk_malloc_tune(void)
{
#if !TRUNK_JEMALLOC && !defined(__SANITIZE_ADDRESS__)
	mallopt(M_MXFAST, 0);
#endif
}

size_t trunk_heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* what the program holds, without allocator overhead, so that the
	 * memory tests (093, 125) measure something in this build too */
	return __sanitizer_get_current_allocated_bytes();
#elif TRUNK_JEMALLOC
	uint64_t epoch = 1;
	size_t bytes = 0, sz = sizeof(bytes);

	/* The blocks this thread freed into its cache count as allocated
	 * until flushed; other threads' caches are small (media threads). */
	mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch));
	if (mallctl("stats.allocated", &bytes, &sz, NULL, 0))
		return 0;
	return bytes;
#else
	/* walks every free chunk of every arena: 10-20 ms on the heap of a
	 * few hundred calls/s (callers ask only on request) */
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#endif
}

/* Freed memory never handed back to the kernel from now on. */
static void trunk_heap_keep(size_t bytes)
{
#if TRUNK_JEMALLOC
	ssize_t never = -1;
	unsigned n = 0, i;
	size_t sz = sizeof(n);
	char name[48];

	(void)bytes;
	/* arenas.*: those made from now on; then each arena there is (those
	 * not yet in use refuse, and get the new default when they are) */
	mallctl("arenas.dirty_decay_ms", NULL, NULL, &never, sizeof(never));
	if (mallctl("arenas.narenas", &n, &sz, NULL, 0))
		n = 0;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
		mallctl(name, NULL, NULL, &never, sizeof(never));
	}
#else
	/* trimming stops at the reserve (and the mmap threshold, no longer
	 * dynamic once the trim threshold is set, keeps glibc's default) */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD,
		bytes < INT_MAX - (1 << 20) ? (int)bytes + (1 << 20) : INT_MAX);
#endif
}

size_t trunk_heap_reserve(size_t mb)
{
	size_t bytes = mb << 20, i, done = 0;
	size_t n = (bytes + RESERVE_STEP - 1) / RESERVE_STEP;
	void **blocks;

	if (!n)
		return 0;
	trunk_heap_keep(bytes);
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
