/*
 * su_duration() rounded up to the next millisecond.
 *
 * Sofia-SIP's reactor (su_base_port_run/step in 1.12.11, unchanged in
 * 1.13) takes its epoll timeout from su_timer_expire(), which measures the
 * time to the next timer with su_duration(): whole milliseconds, truncated.
 * A timer due in 0.7 ms gives a timeout of 0, and the loop spins on
 * epoll_wait(..., 0) until the timer is due. With nta's transaction timers
 * and our per-call timers there is nearly always one less than 1 ms away
 * under load: trunkd made ~900 epoll_wait calls per call at 300 calls/s,
 * most of its CPU, and more the more transactions nta held (the CPU per
 * call that grew over a run).
 *
 * Rounding a positive remainder up makes the reactor sleep until the
 * timer is due (at most 1 ms late; RFC 3261 timers are 500 ms and up).
 * The trunkd executable exports this definition (trunk/meson.build:
 * --export-dynamic-symbol), so libsofia-sip-ua's own calls, which go
 * through its PLT, land here; trunk_sofia_time_check() tells whether they
 * do. Everything else about the function is Sofia's: the same clamping to
 * SU_DURATION_MAX, negative durations truncated toward zero.
 */
#include <dlfcn.h>

#include <sofia-sip/su_time.h>

#include "gateway.h"

su_duration_t su_duration(su_time_t const t1, su_time_t const t2)
{
	long long us = ((long long)t1.tv_sec - (long long)t2.tv_sec) * 1000000 +
		       ((long long)t1.tv_usec - (long long)t2.tv_usec);
	long long ms = us > 0 ? (us + 999) / 1000 : us / 1000;

	if (ms > SU_DURATION_MAX)
		return SU_DURATION_MAX;
	if (ms < -SU_DURATION_MAX)
		return -SU_DURATION_MAX;
	return (su_duration_t)ms;
}

bool trunk_sofia_time_check(void)
{
	void *sym = dlsym(RTLD_DEFAULT, "su_duration");

	return sym == (void *)su_duration;
}
