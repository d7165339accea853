/* The cases of test_relay.c, listed in test_media.c's table. */
#ifndef TRUNKD_TEST_MEDIA_H
#define TRUNKD_TEST_MEDIA_H

#include <stdbool.h>

int t_pool(void);
int t_pool_rings(void);
int t_pool_bound_cap(void);
int t_pool_stray(void);
int t_pool_ward(void);
int t_pool_short_rest(void);
int t_lazy_commands(void);
int t_bad_args(void);
int t_relay(void);
int t_relay_ipv6(void);
int t_latching(void);
int t_rtcp(void);
int t_hold_sendonly(void);
int t_hold_inactive(void);
int t_hold_c_zero(void);
int t_hold_set_dir(void);
int t_timeout(void);
int t_timeout_hold(void);
int t_timeout_rtcp(void);
int t_first_packet(void);
int t_garbage(void);
int t_stats(void);
int t_destroy_under_traffic(void);
int t_shutdown_live(void);
int t_deferred(void);
int t_burst(void);
int t_stray_burst(void);
int t_lazy_destroy(void);
#ifdef TEST_COUNTING
int t_per_packet(void);
#endif

/* test_relay.c: poll until the engine's pool holds want free pairs (2 ms
 * steps, bounded). */
struct media_engine;
bool ports_wait(struct media_engine *e, unsigned want);

/* test_join.c: writes to descriptor fd so far (< 64, else 0). */
unsigned test_fd_writes(int fd);

/* test_kfwd.c */
int t_kfwd_plan(void);
int t_kfwd_plan_not(void);
int t_kfwd_conf(void);
/* test_media.c: the schema of [media] alone */
struct config_section_def;
extern const struct config_section_def *const test_media_schema[];

/* test_join.c */
int t_join_limit(void);
int t_join_half(void);

#endif
