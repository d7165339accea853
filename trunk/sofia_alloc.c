/*
 * Sofia-SIP's memory homes (su_alloc.h), the whole allocator replaced.
 *
 * libsofia-sip-ua's su_alloc.c keeps, per home, a hash table of its blocks
 * (open addressing, grown 31 -> 127 entries with a calloc and a rehash);
 * about a fifth of trunkd's instructions per call went to it (docs/benchmarks.md,
 * "instructions per call, fourth pass"). Here every block carries a small
 * header in front of its data instead: a malloc'd block is on a doubly
 * linked list of its home (freed in O(1), the home's destruction walks
 * the list), a block carved from the home's preload area has only its
 * size and flags in front of it (the bump pointer rolls back when the
 * last one is freed or shrunk).
 *
 * libsofia reaches these functions through its PLT (the trunkd executable
 * exports them all, trunk/meson.build): every function su_alloc.c and
 * su_alloc_lock.c export is defined here, because a home touched by both
 * allocators would corrupt memory; trunk_sofia_alloc_check() tells
 * whether all of them resolve here and trunkd refuses to start if not.
 *
 * su_home_t keeps Sofia's public layout: suh_blocks points to this file's
 * struct su_block_s, suh_lock to a pair of mutexes (memory operations,
 * explicit locking). Semantics follow Sofia's documentation: a NULL home
 * is plain malloc()/free()/realloc(); a zeroed home (SU_HOME_INIT) works
 * without su_home_init(); a clone is a block of its parent.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sofia_home.h"

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_alloc_stat.h>

#undef su_home_desctructor

#define ALIGN16(n)  (((size_t)(n) + 15) & ~(size_t)15)
#define MAGIC	    0x5ab10c4eu
#define REF_MAX	    SIZE_MAX
#define PRELOAD_MAX 65535 /* as Sofia's 16-bit preload size */

enum { B_PRELOAD = 1, B_HOME = 2, B_AREA = 4, B_FREED = 8 };

struct link {
	struct link *prev, *next;
};

/* Right in front of every block's data. */
struct tail {
	size_t size;
	uint32_t flags;
	uint32_t magic;
};

/* A malloc'd block: on its home's list. */
struct blk {
	struct link link;
	struct tail t;
};

struct su_block_s {
	struct link list; /* malloc'd blocks, oldest first */
	su_home_t *parent;
	void (*destructor)(void *);
	size_t ref;
	char *preload; /* 16-aligned; its blocks: tail + data */
	size_t prsize, prused;
	unsigned hauto : 1;    /* the home is not ours to free */
	unsigned embedded : 1; /* this struct is not malloc'd on its own */
	unsigned preauto : 1;  /* the preload is the caller's area */
};

struct home_lock {
	pthread_mutex_t mem, user;
};

/* Freed preload areas kept by the thread that freed them, for its next
 * su_home_preload() of about that size (trunk_home_area_cache()). nta
 * preloads every message home: those it makes with AGENT_MSG_PRELOAD
 * bytes, a received message's with its length more; the SDP parser's
 * homes and the call legs have preloads too, 12-13 areas of 1-5 KB per
 * call. glibc's malloc() and free() of such a block (above its
 * per-thread cache) cost ~450 instructions together, and malloc() hands
 * out the oldest free chunk of its bin, memory freed long ago; a kept
 * area is the one freed last. While the cache is on, an area's size is
 * rounded up to a multiple of AREA_STEP, its class; up to AREA_PER_CLASS
 * areas per class and `max` bytes in all are kept. */
#define AREA_STEP      256
#define AREA_CLASSES   32 /* areas of up to 8 KB */
#define AREA_PER_CLASS 16
static _Thread_local struct {
	size_t max;   /* bytes kept at most (with their headers); 0: off */
	size_t bytes; /* kept now */
	uint8_t n[AREA_CLASSES];
	struct blk *b[AREA_CLASSES][AREA_PER_CLASS];
} area_cache;

/* Sofia's sizes are isize_t (int here): a negative one is too large. */
static size_t usize(isize_t n)
{
	return n < 0 ? SIZE_MAX : (size_t)n;
}

static struct tail *tail_of(void const *data)
{
	return (struct tail *)data - 1;
}

static struct blk *blk_of(void const *data)
{
	return (struct blk *)((char *)data - sizeof(struct blk));
}

/* The class of a preload area of SIZE bytes; -1: none (not kept, its
 * size as asked). */
static int area_class(size_t size)
{
	if (!area_cache.max || !size || size > AREA_STEP * AREA_CLASSES)
		return -1;
	return (int)((size - 1) / AREA_STEP);
}

/* Keep freed area B (its magic cleared) for the next preload of its
 * class; false: free() it. */
static bool area_keep(struct blk *b)
{
	int c = area_class(b->t.size);
	size_t bytes = sizeof(*b) + b->t.size;

	if (c < 0 || b->t.size != (size_t)(c + 1) * AREA_STEP ||
	    area_cache.n[c] >= AREA_PER_CLASS ||
	    area_cache.bytes + bytes > area_cache.max)
		return false;
	area_cache.b[c][area_cache.n[c]++] = b;
	area_cache.bytes += bytes;
	return true;
}

/* A kept area of class C, or NULL. */
static struct blk *area_take(int c)
{
	struct blk *b;

	if (c < 0 || !area_cache.n[c])
		return NULL;
	b = area_cache.b[c][--area_cache.n[c]];
	area_cache.bytes -= sizeof(*b) + b->t.size;
	return b;
}

static struct su_block_s *memlock(su_home_t const *home)
{
	if (home->suh_lock)
		pthread_mutex_lock(&((struct home_lock *)home->suh_lock)->mem);
	return home->suh_blocks;
}

static void unlock(su_home_t const *home)
{
	if (home->suh_lock)
		pthread_mutex_unlock(
			&((struct home_lock *)home->suh_lock)->mem);
}

static void sub_init(struct su_block_s *sub)
{
	memset(sub, 0, sizeof(*sub));
	sub->list.prev = sub->list.next = &sub->list;
	sub->ref = 1;
}

/* The home's control structure, made on first use (SU_HOME_INIT). */
static struct su_block_s *sub_get(su_home_t *home)
{
	struct su_block_s *sub = home->suh_blocks;

	if (sub)
		return sub;
	sub = malloc(sizeof(*sub));
	if (!sub)
		return NULL;
	sub_init(sub);
	sub->hauto = 1;
	home->suh_blocks = sub;
	return sub;
}

static void link_tail(struct su_block_s *sub, struct blk *b)
{
	b->link.prev = sub->list.prev;
	b->link.next = &sub->list;
	sub->list.prev->next = &b->link;
	sub->list.prev = &b->link;
}

static void unlink_blk(struct blk *b)
{
	b->link.prev->next = b->link.next;
	b->link.next->prev = b->link.prev;
}

static void *preload_take(struct su_block_s *sub, size_t size)
{
	size_t need = ALIGN16(sizeof(struct tail) + size);
	struct tail *t;

	if (!sub->preload || need > sub->prsize - sub->prused)
		return NULL;
	t = (struct tail *)(sub->preload + sub->prused);
	sub->prused += need;
	t->size = size;
	t->flags = B_PRELOAD;
	t->magic = MAGIC;
	return t + 1;
}

static bool in_preload(struct su_block_s const *sub, void const *data)
{
	char const *p = data;

	return sub->preload && p > sub->preload &&
	       p < sub->preload + sub->prsize;
}

/* The end of preloaded block T is the bump pointer of SUB? */
static bool preload_last(struct su_block_s const *sub, struct tail const *t,
			 size_t size)
{
	return in_preload(sub, t + 1) &&
	       (char const *)t + ALIGN16(sizeof(*t) + size) ==
		       sub->preload + sub->prused;
}

static void *blk_new(struct su_block_s *sub, size_t size, size_t extra,
		     unsigned flags, bool zero)
{
	size_t n = sizeof(struct blk) + size + extra;
	struct blk *b = zero ? calloc(1, n) : malloc(n);

	if (!b)
		return NULL;
	b->t.size = size;
	b->t.flags = flags;
	b->t.magic = MAGIC;
	link_tail(sub, b);
	return b + 1;
}

static void *sub_alloc(struct su_block_s *sub, size_t size, bool zero)
{
	void *data;

	if (!sub || !size)
		return NULL;
	if (size > (size_t)INT_MAX * 64)
		return (void)(errno = ENOMEM), NULL;
	data = preload_take(sub, size);
	if (data)
		return zero ? memset(data, 0, size) : data;
	return blk_new(sub, size, 0, 0, zero);
}

static void home_deinit(su_home_t *home);

/* Frees block DATA of SUB (the home locked). */
static void blk_release(struct su_block_s *sub, void *data)
{
	struct tail *t = tail_of(data);

	if (t->magic != MAGIC || (t->flags & B_FREED))
		return; /* not a block of a home: leave it */
	if (t->flags & B_HOME) {
		su_home_t *child = data;

		if (child->suh_blocks)
			((struct su_block_s *)child->suh_blocks)->ref = 0;
		home_deinit(child);
	}
	if (t->flags & B_PRELOAD) {
		if (preload_last(sub, t, t->size))
			sub->prused = (size_t)((char *)t - sub->preload);
		t->flags |= B_FREED;
		return;
	}
	unlink_blk(blk_of(data));
	t->magic = 0;
	free(blk_of(data));
}

static void home_deinit(su_home_t *home)
{
	struct su_block_s *sub = home->suh_blocks;
	struct home_lock *lock = (struct home_lock *)home->suh_lock;
	struct link *l, *next;

	if (!sub)
		return;
	home->suh_lock = NULL;
	if (sub->destructor) {
		void (*destructor)(void *) = sub->destructor;

		sub->destructor = NULL;
		destructor(home);
	}
	for (l = sub->list.next; l != &sub->list; l = next) {
		struct blk *b = (struct blk *)l;

		next = l->next;
		if (b->t.flags & B_HOME) {
			su_home_t *child = (su_home_t *)(b + 1);

			if (child->suh_blocks)
				((struct su_block_s *)child->suh_blocks)->ref =
					0;
			home_deinit(child);
		}
		b->t.magic = 0;
		if ((b->t.flags & B_AREA) && area_keep(b))
			continue;
		free(b);
	}
	if (!sub->embedded)
		free(sub);
	home->suh_blocks = NULL;
	if (lock) {
		pthread_mutex_destroy(&lock->mem);
		pthread_mutex_destroy(&lock->user);
		free(lock);
	}
}

void *su_home_new(isize_t size)
{
	su_home_t *home;
	struct su_block_s *sub;

	if (usize(size) < sizeof(*home))
		return (void)(errno = EINVAL), NULL;
	if (usize(size) > INT_MAX)
		return (void)(errno = ENOMEM), NULL;
	home = calloc(1, ALIGN16(size) + sizeof(*sub));
	if (!home)
		return NULL;
	sub = (struct su_block_s *)((char *)home + ALIGN16(size));
	sub_init(sub);
	sub->embedded = 1;
	home->suh_size = (int)size;
	home->suh_blocks = sub;
	return home;
}

int su_home_destructor(su_home_t *home, void (*destructor)(void *))
{
	int retval = -1;

	if (home) {
		struct su_block_s *sub = memlock(home);

		if (sub && !sub->destructor) {
			sub->destructor = destructor;
			retval = 0;
		}
		unlock(home);
	}
	return retval;
}

int su_home_desctructor(su_home_t *home, void (*destructor)(void *))
{
	return su_home_destructor(home, destructor);
}

void *su_home_ref(su_home_t const *home)
{
	struct su_block_s *sub;

	if (!home)
		return NULL;
	sub = memlock(home);
	if (!sub || sub->ref == 0) {
		unlock(home);
		return NULL;
	}
	if (sub->ref != REF_MAX)
		sub->ref++;
	unlock(home);
	return (void *)home;
}

int su_home_unref(su_home_t *home)
{
	struct su_block_s *sub;
	su_home_t *parent;
	bool hauto;

	if (!home)
		return 0;
	sub = memlock(home);
	if (!sub || sub->ref == REF_MAX || --sub->ref > 0) {
		unlock(home);
		return 0;
	}
	parent = sub->parent;
	hauto = sub->hauto;
	unlock(home);
	if (parent) {
		su_free(parent, home);
		return 1;
	}
	home_deinit(home);
	if (!hauto)
		free(home);
	return 1;
}

size_t su_home_refcount(su_home_t *home)
{
	size_t count = 0;

	if (home) {
		struct su_block_s *sub = memlock(home);

		if (sub)
			count = sub->ref;
		unlock(home);
	}
	return count;
}

static su_home_t *clone_of(su_home_t *parent, size_t size)
{
	struct su_block_s *psub, *sub;
	su_home_t *home = NULL;

	memlock(parent);
	psub = sub_get(parent);
	if (psub)
		home = blk_new(psub, ALIGN16(size), sizeof(*sub), B_HOME, true);
	unlock(parent);
	if (!home)
		return NULL;
	sub = (struct su_block_s *)((char *)home + ALIGN16(size));
	sub_init(sub);
	sub->embedded = 1;
	sub->parent = parent;
	home->suh_size = (int)size;
	home->suh_blocks = sub;
	return home;
}

void *su_home_clone(su_home_t *parent, isize_t size)
{
	su_home_t *home;
	size_t preload;

	if (usize(size) < sizeof(*home))
		return (void)(errno = EINVAL), NULL;
	if (usize(size) > INT_MAX)
		return (void)(errno = ENOMEM), NULL;
	home = parent ? clone_of(parent, size) : su_home_new(size);
	preload = trunk_home_preload_take();
	if (home && preload)
		su_home_preload(home, 1, preload);
	return home;
}

su_home_t *su_home_parent(su_home_t const *home)
{
	su_home_t *parent = NULL;

	if (home && home->suh_blocks) {
		struct su_block_s *sub = memlock(home);

		parent = sub->parent;
		unlock(home);
	}
	return parent;
}

int su_home_has_parent(su_home_t const *home)
{
	return su_home_parent(home) != NULL;
}

/* The common case of su_alloc(): a home without a lock whose preload
 * area has room (Sofia's parser and encoders, ~230 times per call), in
 * about half the instructions of the general path (memlock(), sub_get(),
 * sub_alloc()); NULL: take that path. */
static inline void *preload_fast(su_home_t *home, isize_t size)
{
	struct su_block_s *sub = home->suh_blocks;

	if (home->suh_lock || !sub || size <= 0)
		return NULL;
	return preload_take(sub, (size_t)size);
}

void *su_alloc(su_home_t *home, isize_t size)
{
	void *data;

	if (!home)
		return malloc(usize(size));
	data = preload_fast(home, size);
	if (data)
		return data;
	memlock(home);
	data = sub_alloc(sub_get(home), usize(size), false);
	unlock(home);
	return data;
}

void *su_zalloc(su_home_t *home, isize_t size)
{
	void *data;

	if (!home)
		return calloc(1, usize(size));
	memlock(home);
	data = sub_alloc(sub_get(home), usize(size), true);
	unlock(home);
	return data;
}

void *su_salloc(su_home_t *home, isize_t size)
{
	int *retval;

	if (usize(size) < sizeof(int))
		size = (isize_t)sizeof(int);
	if (usize(size) > INT_MAX)
		return (void)(errno = ENOMEM), NULL;
	retval = su_zalloc(home, size);
	if (retval)
		*retval = (int)size;
	return retval;
}

void su_free(su_home_t *home, void *data)
{
	struct su_block_s *sub;

	if (!data)
		return;
	if (!home) {
		free(data);
		return;
	}
	sub = memlock(home);
	if (sub)
		blk_release(sub, data);
	unlock(home);
}

/* su_realloc() of a block in the preload area (the home locked). */
static void *realloc_preloaded(struct su_block_s *sub, void *data, size_t size)
{
	struct tail *t = tail_of(data);
	void *ndata;

	if (preload_last(sub, t, t->size)) {
		size_t end = (size_t)((char *)t - sub->preload) +
			     ALIGN16(sizeof(*t) + size);

		if (end <= sub->prsize) {
			sub->prused = end;
			t->size = size;
			return data;
		}
	} else if (size <= t->size) {
		t->size = size;
		return data;
	}
	ndata = blk_new(sub, size, 0, 0, false);
	if (!ndata)
		return NULL;
	memcpy(ndata, data, t->size < size ? t->size : size);
	blk_release(sub, data);
	return ndata;
}

static void *realloc_malloced(void *data, size_t size)
{
	struct blk *b = blk_of(data), *nb;
	struct link *prev = b->link.prev, *next = b->link.next;

	nb = realloc(b, sizeof(*b) + size);
	if (!nb)
		return NULL;
	prev->next = &nb->link;
	next->prev = &nb->link;
	nb->t.size = size;
	return nb + 1;
}

void *su_realloc(su_home_t *home, void *data, isize_t size)
{
	struct su_block_s *sub;
	struct tail *t;
	void *ndata = NULL;

	if (!home)
		return realloc(data, usize(size));
	if (size == 0) {
		su_free(home, data);
		return NULL;
	}
	if (!data)
		return su_alloc(home, size);
	sub = memlock(home);
	t = tail_of(data);
	if (!sub || t->magic != MAGIC || (t->flags & (B_HOME | B_FREED)))
		; /* not a block of this home */
	else if (t->flags & B_PRELOAD)
		ndata = realloc_preloaded(sub, data, usize(size));
	else
		ndata = realloc_malloced(data, usize(size));
	unlock(home);
	return ndata;
}

/* Is DATA a live block of SUB? (Walks the list: not on a hot path.) */
static bool sub_has(struct su_block_s const *sub, void const *data)
{
	struct link const *l;

	if (in_preload(sub, data)) {
		struct tail const *t = tail_of(data);

		return (char const *)data < sub->preload + sub->prused &&
		       t->magic == MAGIC && !(t->flags & B_FREED);
	}
	for (l = sub->list.next; l != &sub->list; l = l->next)
		if ((void const *)((struct blk const *)l + 1) == data)
			return !(((struct blk const *)l)->t.flags & B_AREA);
	return false;
}

int su_in_home(su_home_t *home, void const *data)
{
	return su_home_check_alloc(home, data);
}

int su_home_check_alloc(su_home_t const *home, void const *data)
{
	int retval = 0;

	if (home && data) {
		if (memlock(home))
			retval = sub_has(home->suh_blocks, data);
		unlock(home);
	}
	return retval;
}

void su_home_check(su_home_t const *home)
{
	struct su_block_s const *sub;
	struct link const *l;

	if (!home)
		return;
	sub = memlock(home);
	for (l = sub ? sub->list.next : NULL; l && l != &sub->list; l = l->next)
		if (l->next->prev != l ||
		    ((struct blk const *)l)->t.magic != MAGIC)
			abort(); /* the list is corrupt */
	unlock(home);
}

su_home_t *su_home_create(void)
{
	return su_home_new(sizeof(su_home_t));
}

void su_home_destroy(su_home_t *home)
{
	if (home && home->suh_blocks) {
		((struct su_block_s *)home->suh_blocks)->hauto = 1;
		home_deinit(home);
	}
}

int su_home_init(su_home_t *home)
{
	struct su_block_s *sub;

	if (!home)
		return -1;
	home->suh_lock = NULL;
	home->suh_blocks = NULL;
	sub = sub_get(home);
	return sub ? 0 : -1;
}

void su_home_deinit(su_home_t *home)
{
	if (home)
		home_deinit(home);
}

/* Moves SRC's blocks to DST's list (both locked); a NULL DST forgets
 * them, as Sofia does (they are leaked). */
static void move_blocks(su_home_t *dst, struct su_block_s *d,
			struct su_block_s *s)
{
	struct link *l;

	for (l = s->list.next; l != &s->list; l = l->next) {
		struct blk *b = (struct blk *)l;

		if (b->t.flags & B_HOME) {
			su_home_t *child = (su_home_t *)(b + 1);
			struct su_block_s *c = child->suh_blocks;

			if (c) {
				c->parent = dst;
				if (!dst)
					c->hauto = 1; /* not free()able */
			}
		}
	}
	if (d && s->list.next != &s->list) {
		s->list.next->prev = d->list.prev;
		d->list.prev->next = s->list.next;
		s->list.prev->next = &d->list;
		d->list.prev = s->list.prev;
	}
	s->list.prev = s->list.next = &s->list;
	/* The preload area went with the list (a B_AREA block): its blocks
	 * now belong to DST, SRC carves no more from it. */
	if (!s->preauto) {
		s->preload = NULL;
		s->prsize = s->prused = 0;
	}
}

int su_home_move(su_home_t *dst, su_home_t *src)
{
	struct su_block_s *s, *d = NULL;

	if (!src || dst == src)
		return 0;
	s = memlock(src);
	if (dst) {
		memlock(dst);
		d = sub_get(dst);
		if (!d) {
			unlock(dst);
			unlock(src);
			return -1;
		}
	}
	if (s) {
		if (s->destructor && dst) {
			void (*destructor)(void *) = s->destructor;

			s->destructor = NULL;
			destructor(src);
		}
		move_blocks(dst, d, s);
	}
	if (dst)
		unlock(dst);
	unlock(src);
	return 0;
}

void su_home_preload(su_home_t *home, isize_t n, isize_t isize)
{
	struct su_block_s *sub;
	struct blk *b;
	size_t size;
	int c;

	if (!home)
		return;
	memlock(home);
	sub = sub_get(home);
	if (sub && !sub->preload) {
		size = usize(n) * ALIGN16(usize(isize));
		if (size > PRELOAD_MAX)
			size = PRELOAD_MAX & ~(size_t)15;
		c = area_class(size);
		b = area_take(c);
		if (c >= 0)
			size = (size_t)(c + 1) * AREA_STEP;
		if (b) {
			b->t.size = size;
			b->t.flags = B_AREA;
			b->t.magic = MAGIC;
			link_tail(sub, b);
			sub->preload = (char *)(b + 1);
		} else {
			sub->preload = blk_new(sub, size, 0, B_AREA, false);
		}
		if (sub->preload)
			sub->prsize = size, sub->prused = 0;
	}
	unlock(home);
}

su_home_t *su_home_auto(void *area, isize_t size)
{
	char *p = area, *start;
	su_home_t *home;
	struct su_block_s *sub;
	size_t prep;

	if (!area)
		return NULL;
	start = (char *)ALIGN16((uintptr_t)p);
	prep = (size_t)(start - p) + ALIGN16(sizeof(*home)) +
	       ALIGN16(sizeof(*sub));
	if (usize(size) < prep)
		return NULL;
	if (usize(size) > INT_MAX)
		size = INT_MAX;
	home = memset(start, 0, sizeof(*home));
	home->suh_size = (int)size;
	sub = (struct su_block_s *)(start + ALIGN16(sizeof(*home)));
	sub_init(sub);
	sub->hauto = sub->embedded = sub->preauto = 1;
	sub->preload = p + prep;
	sub->prsize = usize(size) - prep;
	if (sub->prsize > PRELOAD_MAX)
		sub->prsize = PRELOAD_MAX;
	sub->prsize &= ~(size_t)15;
	home->suh_blocks = sub;
	return home;
}

int su_home_threadsafe(su_home_t *home)
{
	struct home_lock *lock;

	if (!home)
		return (void)(errno = EFAULT), -1;
	if (home->suh_lock)
		return 0;
	lock = calloc(1, sizeof(*lock));
	if (!lock)
		return -1;
	pthread_mutex_init(&lock->mem, NULL);
	pthread_mutex_init(&lock->user, NULL);
	home->suh_lock = (su_alock_t *)lock;
	return 0;
}

int su_home_is_threadsafe(su_home_t const *home)
{
	return home && home->suh_lock;
}

int su_home_mutex_lock(su_home_t *home)
{
	int error;

	if (!home)
		return (void)(errno = EFAULT), -1;
	if (!home->suh_blocks || !su_home_ref(home))
		return (void)(errno = EINVAL), -1;
	if (!home->suh_lock)
		return 0;
	error = pthread_mutex_lock(&((struct home_lock *)home->suh_lock)->user);
	if (error)
		return (void)(errno = error), -1;
	return 0;
}

int su_home_mutex_unlock(su_home_t *home)
{
	if (!home)
		return (void)(errno = EFAULT), -1;
	if (home->suh_lock) {
		int error = pthread_mutex_unlock(
			&((struct home_lock *)home->suh_lock)->user);

		if (error)
			return (void)(errno = error), -1;
	}
	if (!home->suh_blocks)
		return (void)(errno = EINVAL), -1;
	su_home_unref(home);
	return 0;
}

/* The explicit-locking mutex of a threadsafe home, NULL for any other. */
static pthread_mutex_t *user_mutex(su_home_t const *home)
{
	return home->suh_lock ? &((struct home_lock *)home->suh_lock)->user
			      : NULL;
}

int su_home_lock(su_home_t *home)
{
	if (!home)
		return EFAULT;
	return user_mutex(home) ? pthread_mutex_lock(user_mutex(home)) : -1;
}

int su_home_trylock(su_home_t *home)
{
	if (!home)
		return EFAULT;
	return user_mutex(home) ? pthread_mutex_trylock(user_mutex(home)) : -1;
}

int su_home_unlock(su_home_t *home)
{
	if (!home)
		return EFAULT;
	return user_mutex(home) ? pthread_mutex_unlock(user_mutex(home)) : -1;
}

/* No statistics are kept: the functions are safe and report zeros. */
void su_home_init_stats(su_home_t *home)
{
	(void)home;
}

void su_home_get_stats(su_home_t *home, int include_clones, su_home_stat_t *hs,
		       isize_t size)
{
	(void)home;
	(void)include_clones;
	if (!hs || usize(size) < sizeof(hs->hs_size))
		return;
	if (usize(size) > sizeof(*hs))
		size = (isize_t)sizeof(*hs);
	memset(hs, 0, usize(size));
	hs->hs_size = (int)size;
}

void su_home_stat_add(su_home_stat_t *total, su_home_stat_t const *hs)
{
	(void)total;
	(void)hs;
}

void trunk_home_area_cache(size_t max)
{
	int c;

	for (c = 0; c < AREA_CLASSES; c++)
		while (area_cache.n[c])
			free(area_cache.b[c][--area_cache.n[c]]);
	area_cache.bytes = 0;
	area_cache.max = max;
}

size_t trunk_home_area_cached(void)
{
	return area_cache.bytes;
}
