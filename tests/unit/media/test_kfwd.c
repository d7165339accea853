/*
 * Unit tests of kernel forwarding's pure logic (media/forward.c,
 * engine.c): which directions of a session the tc program may carry and
 * the map entry it gets, and the kernel_forwarding setting. The program
 * itself is tested on the wire (integration 159), in a network namespace.
 */
#include <arpa/inet.h>
#include <string.h>

#include "media/media_private.h"
#include "test_media.h"
#include "unit_test.h"

/* A session of two latched IPv4 legs: A on 127.0.0.1:20000 (side
 * enterprise, lo) whose peer is 127.0.0.2:40000, B on 127.0.0.1:20002
 * (side trunk, interface 7) whose peer is 127.0.0.3:50000; both
 * sendrecv. */
static struct media_engine fx_engine;
static struct media_session fx;
static struct media_slot fx_slot[2];
static struct media_fwd_side fx_sides[MEDIA_SIDES] = {
	[MEDIA_SIDE_ENTERPRISE] = { .ifindex = 1, .loopback = true },
	[MEDIA_SIDE_TRUNK] = { .ifindex = 7, .loopback = false },
};

static void fx_latch(struct media_endpoint *ep, const char *ip, uint16_t port)
{
	struct media_latch *l = &ep->latch[MEDIA_SOCK_RTP];

	media_addr_parse(ip, port, &l->src);
	l->latched = true;
}

static void fx_init(void)
{
	int leg;

	memset(&fx_engine, 0, sizeof(fx_engine));
	memset(&fx, 0, sizeof(fx));
	media_addr_parse("127.0.0.1", 0, &fx_engine.bind[0]);
	media_addr_parse("127.0.0.1", 0, &fx_engine.bind[1]);
	fx.engine = &fx_engine;
	fx.live = true;
	for (leg = 0; leg < 2; leg++) {
		struct media_endpoint *ep = &fx.ep[leg];

		ep->session = &fx;
		ep->leg = (enum media_leg)leg;
		ep->side = leg ? MEDIA_SIDE_TRUNK : MEDIA_SIDE_ENTERPRISE;
		ep->slot = &fx_slot[leg];
		ep->port = (uint16_t)(20000 + 2 * leg);
		ep->has_addr = ep->may_send = true;
		ep->dir = MEDIA_DIR_SENDRECV;
		ep->pt_mask[0] = ep->pt_mask[1] = ~(uint64_t)0;
	}
	fx_latch(&fx.ep[0], "127.0.0.2", 40000);
	fx_latch(&fx.ep[1], "127.0.0.3", 50000);
}

static bool fx_plan(enum media_leg from, struct media_kfwd_val *val)
{
	struct media_kfwd_key key;

	return media_fwd_plan(&fx, from, fx_sides, &key, val);
}

/* Both legs latched, sendrecv: both directions, rewritten as the relay
 * sends (from the other leg's socket to its latched peer). */
int t_kfwd_plan(void)
{
	struct media_kfwd_key key;
	struct media_kfwd_val v;

	fx_init();
	fx.ep[0].pt_mask[0] = 1; /* PCMU only */
	fx.ep[0].pt_mask[1] = 0;
	CHECK(media_fwd_plan(&fx, MEDIA_LEG_A, fx_sides, &key, &v));
	CHECK(key.addr == inet_addr("127.0.0.1") && key.port == htons(20000));
	CHECK(key.pad == 0);
	CHECK(v.peer_addr == inet_addr("127.0.0.2") &&
	      v.peer_port == htons(40000));
	CHECK(v.src_addr == inet_addr("127.0.0.1") &&
	      v.src_port == htons(20002));
	CHECK(v.dst_addr == inet_addr("127.0.0.3") &&
	      v.dst_port == htons(50000));
	/* Out on B's side: interface 7, not loopback (FIB lookup); its
	 * subnet (no mask set: 0.0.0.0/0) holds B's peer: on-link. */
	CHECK(v.ifindex == 7 && v.flags == MEDIA_KFWD_F_ONLINK);
	/* B's peer beyond the interface's subnet: the FIB's next hop only. */
	fx_sides[MEDIA_SIDE_TRUNK].net = inet_addr("10.9.0.0");
	fx_sides[MEDIA_SIDE_TRUNK].mask = inet_addr("255.255.255.0");
	CHECK(media_fwd_plan(&fx, MEDIA_LEG_A, fx_sides, &key, &v));
	CHECK(v.ifindex == 7 && v.flags == 0);
	fx_latch(&fx.ep[1], "10.9.0.3", 50000);
	CHECK(media_fwd_plan(&fx, MEDIA_LEG_A, fx_sides, &key, &v));
	CHECK(v.flags == MEDIA_KFWD_F_ONLINK);
	fx_sides[MEDIA_SIDE_TRUNK].net = fx_sides[MEDIA_SIDE_TRUNK].mask = 0;
	fx_latch(&fx.ep[1], "127.0.0.3", 50000);
	CHECK(v.pt_mask[0] == 1 && v.pt_mask[1] == 0);
	CHECK(v.packets == 0 && v.bytes == 0 && v.last_ns == 0);
	CHECK(media_fwd_plan(&fx, MEDIA_LEG_B, fx_sides, &key, &v));
	CHECK(key.port == htons(20002) &&
	      v.peer_addr == inet_addr("127.0.0.3"));
	CHECK(v.src_port == htons(20000) && v.dst_port == htons(40000));
	CHECK(v.ifindex == 1 && v.flags == MEDIA_KFWD_F_LOOPBACK);
	CHECK(v.pt_mask[0] == ~(uint64_t)0);
	return 0;
}

/* What keeps a direction with the relay. */
int t_kfwd_plan_not(void)
{
	struct media_kfwd_val v;
	struct media_fwd_side sides[MEDIA_SIDES];

	/* A leg not latched yet: neither direction. */
	fx_init();
	fx.ep[1].latch[MEDIA_SOCK_RTP].latched = false;
	CHECK(!fx_plan(MEDIA_LEG_A, &v) && !fx_plan(MEDIA_LEG_B, &v));
	/* RTCP latched does not count. */
	fx.ep[1].latch[MEDIA_SOCK_RTCP].latched = true;
	CHECK(!fx_plan(MEDIA_LEG_A, &v));
	/* B on hold (may not be sent to): A->B stays, B->A goes on. */
	fx_init();
	fx.ep[1].may_send = false;
	CHECK(!fx_plan(MEDIA_LEG_A, &v) && fx_plan(MEDIA_LEG_B, &v));
	/* Both inactive: none. */
	fx.ep[0].may_send = false;
	CHECK(!fx_plan(MEDIA_LEG_A, &v) && !fx_plan(MEDIA_LEG_B, &v));
	/* A side the program is not attached on: neither direction. */
	fx_init();
	memcpy(sides, fx_sides, sizeof(sides));
	sides[MEDIA_SIDE_TRUNK].ifindex = 0;
	CHECK(!media_fwd_plan(&fx, MEDIA_LEG_A, sides,
			      &(struct media_kfwd_key){ 0 }, &v));
	CHECK(!media_fwd_plan(&fx, MEDIA_LEG_B, sides,
			      &(struct media_kfwd_key){ 0 }, &v));
	/* A wildcard bind address names no socket for the key. */
	fx_init();
	media_addr_parse("0.0.0.0", 0, &fx_engine.bind[1]);
	CHECK(!fx_plan(MEDIA_LEG_A, &v) && !fx_plan(MEDIA_LEG_B, &v));
	/* IPv6: the relay. */
	fx_init();
	media_addr_parse("::1", 0, &fx_engine.bind[0]);
	fx_latch(&fx.ep[0], "::1", 40000);
	CHECK(!fx_plan(MEDIA_LEG_A, &v) && !fx_plan(MEDIA_LEG_B, &v));
	/* A session without its pairs (given back): none. */
	fx_init();
	fx.ep[0].slot = NULL;
	CHECK(!fx_plan(MEDIA_LEG_A, &v) && !fx_plan(MEDIA_LEG_B, &v));
	return 0;
}

/* The setting: off by default, a bad value refused at its line. */
int t_kfwd_conf(void)
{
	struct media_conf conf = { 0 };
	struct config *cfg;

	CHECK(media_kfwd_mode_parse("on") == MEDIA_KFWD_ON);
	CHECK(media_kfwd_mode_parse("auto") == MEDIA_KFWD_AUTO);
	CHECK(media_kfwd_mode_parse("off") == MEDIA_KFWD_OFF);
	CHECK(media_kfwd_mode_parse(NULL) == MEDIA_KFWD_OFF);
	CHECK(unit_load("", test_media_schema, &cfg) == 0);
	media_conf_read(&conf, config_section_get(cfg, "media", NULL));
	CHECK(conf.kernel_forwarding == MEDIA_KFWD_OFF);
	config_free(cfg);
	CHECK(unit_load("[media]\nkernel_forwarding = auto\n",
			test_media_schema, &cfg) == 0);
	media_conf_read(&conf, config_section_get(cfg, "media", NULL));
	CHECK(conf.kernel_forwarding == MEDIA_KFWD_AUTO);
	config_free(cfg);
	CHECK(unit_load("[media]\n\nkernel_forwarding = yes\n",
			test_media_schema, &cfg) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "kernel_forwarding"));
	CHECK(unit_has_err(3, "off|auto|on"));
	return 0;
}
