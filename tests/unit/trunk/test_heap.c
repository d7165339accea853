/*
 * trunk/heap.c: the allocator behind malloc() is the one the build chose
 * (meson passes it as TRUNK_EXPECT_ALLOCATOR: jemalloc, glibc or
 * sanitizer), it serves the blocks other shared objects allocate (libc's
 * strdup()), and the heap in use follows what the program
 * holds: up by what it allocates, down by what it frees (for jemalloc:
 * the blocks freed into this thread's cache no longer count), a block of
 * a Sofia home included.
 */
#include <stdlib.h>
#include <string.h>

#include "unit_test.h"
#include "trunk/trunk.h"

#include <sofia-sip/su_alloc.h>

#define N    2000
#define SIZE 200

static int allocator_as_built(void)
{
	const char *want = getenv("TRUNK_EXPECT_ALLOCATOR");
	const char *name = trunk_malloc_name();

	CHECK(want && *want);
	fprintf(stderr, "allocator: %s (expected %s)\n", name, want);
	CHECK(strncmp(name, want, strlen(want)) == 0);
	CHECK(name[strlen(want)] == '\0' || name[strlen(want)] == ' ');
	CHECK(trunk_malloc_check());
	return 0;
}

static int in_use_follows(void)
{
	static void *p[N];
	char text[SIZE];
	size_t before, held, after;
	int i;

	memset(text, 'x', SIZE - 1);
	text[SIZE - 1] = '\0';
	before = trunk_heap_in_use();
	/* libc's own calls to malloc() (another shared object) */
	for (i = 0; i < N; i++) {
		p[i] = strdup(text);
		CHECK(p[i] != NULL);
	}
	held = trunk_heap_in_use();
	for (i = 0; i < N; i++)
		free(p[i]);
	after = trunk_heap_in_use();
	fprintf(stderr, "in use: %zu, %zu with %d blocks of %d, %zu freed\n",
		before, held, N, SIZE, after);
	CHECK(held >= before + (size_t)N * SIZE);
	CHECK(held - before <= (size_t)N * SIZE * 2);
	/* all of it back: without jemalloc's cache flushed, ~N blocks
	 * would still count (its cache keeps up to hundreds per size) */
	CHECK(after + (size_t)N * SIZE / 2 <= held);
	CHECK(after <= before + (size_t)N * SIZE / 10);
	return 0;
}

static int sofia_blocks(void)
{
	size_t before = trunk_heap_in_use(), held;
	su_home_t *home = su_home_new(sizeof(*home));
	char *copy;

	CHECK(home != NULL);
	/* a block of Sofia's homes larger than any preload */
	copy = su_alloc(home, 64 * 1024);
	CHECK(copy != NULL);
	memset(copy, 1, 64 * 1024);
	held = trunk_heap_in_use();
	CHECK(held >= before + 64 * 1024);
	su_home_unref(home);
	CHECK(trunk_heap_in_use() + 60 * 1024 <= held);
	return 0;
}

static const struct unit_case cases[] = {
	{ "allocator_as_built", allocator_as_built },
	{ "in_use_follows", in_use_follows },
	{ "sofia_blocks", sofia_blocks },
};

UNIT_MAIN(cases)
