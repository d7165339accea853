/*
 * Unit tests of media/: its configuration table and spandsp log bridge
 * (here; the schema holds [media] alone, so they need only media/ and
 * config/), and the relay engine over loopback UDP (test_relay.c).
 */
#include <stdio.h>
#include <string.h>
#include <spandsp.h>

#include "media/media.h"
#include "test_media.h"
#include "unit_test.h"

const struct config_section_def *const test_media_schema[] = {
	&media_config_section, NULL
};
#define schema test_media_schema

static int t_defaults(void)
{
	const struct config_section *m;
	const char *const *codecs;
	struct config *cfg;

	CHECK(unit_load("", schema, &cfg) == 0);
	m = config_section_get(cfg, "media", NULL);
	CHECK(config_get_int(m, "rtp_port_min") == 20000);
	CHECK(config_get_int(m, "rtp_port_max") == 29999);
	/* Unset: trunks without their own list take any codec. */
	CHECK(config_get_list(m, "codecs", &codecs) == 0);
	CHECK(!config_is_set(m, "dtmf_payload_type"));
	CHECK(config_get_int(m, "rtp_timeout") == 60000);
	CHECK(!strcmp(config_get_str(m, "srtp_trunk"), "optional"));
	config_free(cfg);
	return 0;
}

static int t_odd_port(void)
{
	struct config *cfg;

	CHECK(unit_load("[media]\n# RTP\nrtp_port_min = 20001\n", schema,
			&cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "rtp_port_min: 20001 is odd"));
	return 0;
}

static int t_range_too_small(void)
{
	struct config *cfg;

	CHECK(unit_load("[media]\nrtp_port_min = 30000\nrtp_port_max = 30002\n",
			schema, &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "rtp_port_max: range 30000-30002"));
	/* Only rtp_port_min set: reported at the section header. */
	CHECK(unit_load("[media]\nrtp_port_min = 29998\n", schema, &cfg) ==
	      EINVAL);
	CHECK(unit_has_err(1, "holds no RTP/RTCP pair"));
	CHECK(unit_load("[media]\nrtp_port_min = 30000\nrtp_port_max = 30003\n",
			schema, &cfg) == 0);
	config_free(cfg);
	return 0;
}

static int t_bad_codec(void)
{
	struct config *cfg;

	CHECK(unit_load("[media]\ncodecs = PCMU, G722\n", schema, &cfg) ==
	      EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(2, "codecs: 'G722' is not one of PCMU|PCMA|G729"));
	CHECK(unit_load("[media]\nrtp_port_min = 80\n", schema, &cfg) ==
	      EINVAL);
	CHECK(unit_has_err(2, "rtp_port_min: 80 is out of range 1024..65534"));
	return 0;
}

/* Accepted and ignored would mislead: refused, at its line, until the
 * RFC 4733 relay exists. */
static int t_dtmf_payload_type(void)
{
	struct config *cfg;

	CHECK(unit_load("[media]\ncodecs = PCMA\n\ndtmf_payload_type = 101\n",
			schema, &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(4, "dtmf_payload_type: not supported yet"));
	return 0;
}

static int t_conf_read(void)
{
	struct media_conf conf = { .addr = { "192.0.2.1", NULL } };
	struct config *cfg;

	CHECK(unit_load("[media]\nrtp_port_min = 30000\nrtp_port_max = "
			"30999\nrtp_timeout = 250ms\nmedia_threads = 3\n",
			schema, &cfg) == 0);
	media_conf_read(&conf, config_section_get(cfg, "media", NULL));
	CHECK(conf.port_min == 30000 && conf.port_max == 30999);
	CHECK(conf.rtp_timeout_ms == 250 && conf.threads == 3);
	CHECK(!strcmp(conf.addr[0], "192.0.2.1") && !conf.addr[1]);
	config_free(cfg);
	return 0;
}

static void spandsp_log(void *arg)
{
	logging_state_t *s = span_log_init(NULL, SPAN_LOG_DEBUG, "test");

	(void)arg;
	span_log(s, SPAN_LOG_ERROR, "decoder lost sync\n");
	span_log(s, SPAN_LOG_WARNING, "odd frame\n");
	span_log(s, SPAN_LOG_FLOW, "flow detail\n");
	span_log_free(s);
}

static int t_spandsp_bridge(void)
{
	char buf[2048], *e, *w;

	media_log_bridge_init();
	CHECK(unit_capture(buf, sizeof(buf), spandsp_log, NULL) > 0);
	e = strstr(buf, "Z ERROR media.spandsp ");
	w = strstr(buf, "Z WARN  media.spandsp ");
	if (!e || !w)
		fprintf(stderr, "got:\n%s", buf);
	CHECK(e && strstr(e, "decoder lost sync\n"));
	CHECK(w && strstr(w, "odd frame\n"));
	/* Flow detail maps to debug, off at the default level. */
	CHECK(!strstr(buf, "flow detail"));
	/* spandsp's own newline is dropped: one line per message. */
	CHECK(!strstr(buf, "\n\n"));
	return 0;
}

static const struct unit_case cases[] = {
	{ "defaults", t_defaults },
	{ "odd_port", t_odd_port },
	{ "range_too_small", t_range_too_small },
	{ "bad_codec", t_bad_codec },
	{ "dtmf_payload_type", t_dtmf_payload_type },
	{ "spandsp_bridge", t_spandsp_bridge },
	{ "conf_read", t_conf_read },
	/* Port pool: even pairs, skip ports others hold, ENOSPC, release. */
	{ "pool", t_pool },
	{ "pool_rings", t_pool_rings },
	{ "pool_bound_cap", t_pool_bound_cap },
	/* REQ: RTP-1 */
	{ "pool_stray", t_pool_stray },
	{ "pool_short_rest", t_pool_short_rest },
	/* REQ: RTP-1 */
	{ "pool_ward", t_pool_ward },
	/* REQ: HOLD-1 */
	{ "lazy_commands", t_lazy_commands },
	{ "bad_args", t_bad_args },
	/* REQ: RTP-1 */
	{ "relay", t_relay },
	/* REQ: RTP-1 */
	{ "relay_ipv6", t_relay_ipv6 },
	/* REQ: RTP-1 */
	{ "latching", t_latching },
	/* REQ: RTP-1 */
	{ "rtcp", t_rtcp },
	/* REQ: HOLD-1 */
	{ "hold_sendonly", t_hold_sendonly },
	/* REQ: HOLD-1 */
	{ "hold_inactive", t_hold_inactive },
	/* REQ: HOLD-2 */
	{ "hold_c_zero", t_hold_c_zero },
	/* REQ: HOLD-1 */
	{ "hold_set_dir", t_hold_set_dir },
	{ "timeout", t_timeout },
	/* REQ: HOLD-1 HOLD-2 */
	{ "timeout_hold", t_timeout_hold },
	{ "timeout_rtcp", t_timeout_rtcp },
	{ "first_packet", t_first_packet },
	{ "garbage", t_garbage },
	/* REQ: RTP-2 */
	{ "stats", t_stats },
	{ "destroy_under_traffic", t_destroy_under_traffic },
	{ "shutdown_live", t_shutdown_live },
	{ "deferred", t_deferred },
	{ "burst", t_burst },
	{ "stray_burst", t_stray_burst },
	{ "lazy_destroy", t_lazy_destroy },
	{ "join_limit", t_join_limit },
	{ "join_half", t_join_half },
	{ "kfwd_plan", t_kfwd_plan },
	{ "kfwd_plan_not", t_kfwd_plan_not },
	{ "kfwd_conf", t_kfwd_conf },
#ifdef TEST_COUNTING
	{ "per_packet", t_per_packet },
#endif
};

UNIT_MAIN(cases)
