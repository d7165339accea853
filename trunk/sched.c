/*
 * [global] signalling_slice: the signalling thread's scheduler time slice.
 *
 * Linux's EEVDF scheduler (6.6 and later) gives a waking task the CPU
 * ahead of the running one only when its virtual deadline is earlier;
 * a deadline is the task's slice ahead, 1.4 ms by default on a 2-CPU
 * machine. From Linux 6.12 a task may ask for a shorter slice through
 * sched_setattr()'s sched_runtime (SCHED_OTHER, 0.1-100 ms, no privilege
 * needed): it is then let in sooner when woken, and preempted sooner
 * when it runs long, for the same share of the CPU. An INVITE that
 * arrives while a SIPp, a PBX or a capture runs on trunkd's CPU waited
 * for that task's slice; with 100 us the median of the INVITE's added
 * latency fell by ~60 us at 100 calls/s and ~110 us at 300 on the
 * benchmark's VM (docs/benchmarks.md).
 *
 * Only the thread that calls trunk_sched_apply() changes (the signalling
 * thread, at start and on reload); the media threads keep the kernel's
 * slice. Threads created afterwards inherit it (clone copies it): a
 * helper that must not have it calls trunk_sched_slice_reset(). Older
 * kernels accept the call and ignore the value; sched_getattr() then
 * reports 0, and trunkd says so once.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gateway.h"

#define SUBSYS "sched"

/* struct sched_attr (linux/sched/types.h), its first version: glibc 2.36
 * has neither it nor a wrapper, and its <sched.h> clashes with the
 * kernel's header. */
struct sched_attr0 {
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime; /* SCHED_OTHER/BATCH/IDLE: the slice, ns */
	uint64_t deadline;
	uint64_t period;
};

static int sched_get(struct sched_attr0 *a)
{
	memset(a, 0, sizeof(*a));
	return syscall(SYS_sched_getattr, 0, a, (unsigned)sizeof(*a), 0U)
		       ? errno
		       : 0;
}

/* Set the calling thread's slice (0: the kernel's own), keeping its
 * policy and nice value: 0, an errno, or -1 for a thread under a
 * real-time policy (chrt), which has no slice. */
static int sched_slice_set(uint64_t ns)
{
	struct sched_attr0 a;
	int rc = sched_get(&a);

	if (rc)
		return rc;
	if (a.policy != SCHED_OTHER && a.policy != SCHED_BATCH &&
	    a.policy != SCHED_IDLE)
		return -1;
	a.size = sizeof(a);
	a.flags = 0;
	a.runtime = ns;
	a.deadline = a.period = 0;
	return syscall(SYS_sched_setattr, 0, &a, 0U) ? errno : 0;
}

uint64_t trunk_sched_slice_ns(void)
{
	struct sched_attr0 a;

	return sched_get(&a) ? 0 : a.runtime;
}

void trunk_sched_slice_reset(void)
{
	/* nothing to undo where slices are not the thread's own */
	(void)sched_slice_set(0);
}

void trunk_sched_apply(struct trunk_gateway *gw, const struct config *cfg)
{
	long long us = config_get_int(config_section_get(cfg, "global", NULL),
				      "signalling_slice");
	uint64_t got;
	int rc;

	rc = sched_slice_set((uint64_t)us * 1000);
	if (rc) {
		if (us) /* 0 asked for nothing */
			LOGW(SUBSYS, NULL,
			     "signalling_slice %lld us not applied: %s", us,
			     rc < 0 ? "the thread runs under a real-time policy"
				    : strerror(rc));
	} else if (!(got = trunk_sched_slice_ns())) {
		if (us && !gw->slice_said)
			LOGI(SUBSYS, NULL,
			     "signalling_slice: this kernel has no "
			     "per-thread time slices (Linux 6.12 and later "
			     "do); the scheduler's own applies");
		gw->slice_said = gw->slice_said || us;
	} else if (us) {
		LOGI(SUBSYS, NULL,
		     "signalling thread's time slice %llu us (asked %lld)",
		     (unsigned long long)(got / 1000), us);
	}
}
