/*
 * issue 3: "no allocation and no lock per packet" on the media threads,
 * counted. This executable (test_media_counted, not built with a
 * sanitizer, whose allocator must stay first) interposes malloc, calloc,
 * realloc, aligned_alloc, posix_memalign and pthread_mutex_lock: each
 * forwards to the next definition (jemalloc or glibc, found by dlsym at
 * load) and, while counting is on, counts the calls made by any thread
 * but the test's own. t_per_packet relays thousands of RTP and RTCP
 * packets both ways through a session whose peers are latched, with the
 * count on: the media threads must make no such call at all. A relay that
 * allocated or locked once per packet (or per batch) fails it.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "test_counting.h"

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void (*next_free)(void *);
static int (*next_mutex_lock)(pthread_mutex_t *);

static atomic_bool counting;
static atomic_ulong n_alloc, n_lock;
static _Thread_local bool test_thread;

/* dlsym() may allocate before the next calloc is known: from here. */
static _Alignas(16) char boot[8192];
static size_t boot_used;

static void *boot_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof(boot))
		return NULL;
	p = boot + boot_used;
	boot_used += n;
	return p;
}

static bool from_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof(boot);
}

__attribute__((constructor)) static void counting_resolve(void)
{
	next_calloc = dlsym(RTLD_NEXT, "calloc");
	next_malloc = dlsym(RTLD_NEXT, "malloc");
	next_realloc = dlsym(RTLD_NEXT, "realloc");
	next_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	next_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	next_free = dlsym(RTLD_NEXT, "free");
	next_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
	test_thread = true; /* the loader runs constructors on main's */
}

static void count(atomic_ulong *n)
{
	if (atomic_load_explicit(&counting, memory_order_relaxed) &&
	    !test_thread)
		atomic_fetch_add_explicit(n, 1, memory_order_relaxed);
}

void *malloc(size_t n)
{
	if (!next_malloc)
		return boot_alloc(n);
	count(&n_alloc);
	return next_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	if (!next_calloc)
		return boot_alloc(k * n); /* static: zeroed */
	count(&n_alloc);
	return next_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	void *q;

	if (!from_boot(p) && next_realloc) {
		count(&n_alloc);
		return next_realloc(p, n);
	}
	q = malloc(n);
	if (q && p)
		memcpy(q, p, n); /* boot blocks are few and small */
	return q;
}

void *aligned_alloc(size_t a, size_t n)
{
	count(&n_alloc);
	return next_aligned_alloc(a, n);
}

int posix_memalign(void **p, size_t a, size_t n)
{
	count(&n_alloc);
	return next_posix_memalign(p, a, n);
}

void free(void *p)
{
	if (p && !from_boot(p) && next_free)
		next_free(p);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	count(&n_lock);
	return next_mutex_lock(m);
}

void counting_start(void)
{
	atomic_store(&n_alloc, 0);
	atomic_store(&n_lock, 0);
	atomic_store(&counting, true);
}

void counting_stop(unsigned long *allocs, unsigned long *locks)
{
	atomic_store(&counting, false);
	*allocs = atomic_load(&n_alloc);
	*locks = atomic_load(&n_lock);
}
