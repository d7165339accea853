/*
 * trunk/scratch.c: the gateway's scratch home is emptied by the next
 * loop iteration after a use (a zero-delay timer), not before, and armed
 * again by the next use; without a root it waits for trunk_scratch_free().
 */
#include "unit_test.h"
#include "trunk/gateway.h"

static unsigned freed;

static void on_free(void *arg)
{
	(void)arg;
	freed++;
}

/* Something on the scratch home that says when it is freed. */
static int put(struct trunk_gateway *gw)
{
	su_home_t *sub = su_home_clone(trunk_scratch_get(gw), sizeof(*sub));

	return sub && su_home_destructor(sub, on_free) == 0 ? 0 : -1;
}

static int emptied_next_iteration(void)
{
	struct trunk_gateway gw = { 0 };

	su_init();
	gw.root = su_root_create(NULL);
	CHECK(gw.root != NULL);
	freed = 0;
	CHECK(put(&gw) == 0);
	CHECK(put(&gw) == 0);
	CHECK(gw.scratch_armed);
	CHECK(freed == 0); /* still ours in this callback */
	su_root_step(gw.root, 100);
	CHECK(freed == 2);
	CHECK(!gw.scratch_armed);
	su_root_step(gw.root, 10); /* nothing used: nothing armed */
	CHECK(!gw.scratch_armed);
	CHECK(put(&gw) == 0); /* a later use arms it again */
	CHECK(gw.scratch_armed);
	su_root_step(gw.root, 100);
	CHECK(freed == 3);
	trunk_scratch_free(&gw);
	CHECK(gw.scratch_timer == NULL);
	su_root_destroy(gw.root);
	su_deinit();
	return 0;
}

static int freed_at_the_end(void)
{
	struct trunk_gateway gw = { 0 };

	su_init();
	freed = 0;
	CHECK(put(&gw) == 0); /* no root (yet): nothing to arm */
	CHECK(!gw.scratch_armed);
	gw.root = su_root_create(NULL);
	CHECK(gw.root != NULL);
	CHECK(put(&gw) == 0);
	CHECK(freed == 0);
	trunk_scratch_free(&gw); /* the gateway's end, loop or not */
	CHECK(freed == 2);
	su_root_destroy(gw.root);
	su_deinit();
	return 0;
}

static const struct unit_case cases[] = {
	{ "emptied_next_iteration", emptied_next_iteration },
	{ "freed_at_the_end", freed_at_the_end },
};

UNIT_MAIN(cases)
