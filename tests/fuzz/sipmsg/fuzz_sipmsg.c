/*
 * Fuzz target for what trunkd does with a received SIP message before any
 * call exists (issue 3: "Malformed requests get the right 4xx and never
 * crash"). The input is the message's bytes, parsed by Sofia as nta
 * parses a datagram (the daemon's extended mclass: P-Asserted-Identity
 * and P-Preferred-Identity typed). What nta itself refuses before our
 * callback sees the message (a fatal parse error, a bad header in nta's
 * request mask, no From/To/Call-ID/CSeq/Via, not SIP/2.0) is skipped, as
 * nta answers it. The rest runs:
 *
 *  - the checks of every request (agent.c trunk_agent_request_verdict:
 *    416, 400 for a bad vital header or a short body, 420, 415, 406);
 *  - for an INVITE that passes them, the checks trunk_call_invite() makes
 *    before a call exists: Max-Forwards 0 (483), the session timer
 *    (RFC 4028, 422), and the routing decision with the identity policy
 *    (call_route_decide, the function live calls and `trunkctl dialplan
 *    test` use, dry run): R-URI user unescaping and the dial plan, E.164
 *    and Enterprise Public Identity checks, From / P-Asserted-Identity /
 *    P-Preferred-Identity / Privacy toward the carrier (policy.c), the
 *    From toward the enterprise; once as if from the trunk (its R-URI a
 *    DID), once from a trusted PBX and once from a phone;
 *  - for any message with a body (requests and responses), the SDP path
 *    of call_sdp_cross(): the multipart's SDP part, then trunk_sdp_open.
 *
 * The gateway is the one `trunkd --dialplan-test` builds: a configuration
 * (written to a temporary file once, loaded by the daemon's own loader)
 * and the shipped NANP dial plan, no agents, no registrations.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_mime.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_util.h>

#include "trunk/call.h"
#include "trunk/sdp.h"
#include "trunk/session_timer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_conf[] =
	"[global]\n"
	"enterprise_listen = 192.0.2.10:5060\n"
	"trunk_listen = 198.51.100.10:5080\n"
	"log_levels = error\n"
	"[phone alice]\n"
	"extension = 201\n"
	"password = fuzz-201\n"
	"trust_identity = yes\n"
	"forward_busy = 2125550199\n"
	"[phone bob]\n"
	"extension = 202\n"
	"password = fuzz-202\n"
	"forward_always = 2125550188\n"
	"[pbx site]\n"
	"address = 192.0.2.20\n"
	"trust_identity = yes\n"
	"accept_preferred_identity = yes\n"
	"location = hq\n"
	"[location hq]\n"
	"geodetic = 40.7 -74.0\n"
	"routing = yes\n"
	"[dialplan]\n"
	"file = " FUZZ_SRCDIR "/dialplan/plans/nanp.dialplan\n"
	"[trunk itsp1]\n"
	"mode = static\n"
	"transport = udp\n"
	"domain = sp.example\n"
	"proxy = 198.51.100.20:5060\n"
	"identities = +12125550100, +12125550200-+12125550299\n"
	"send_preferred_identity = yes\n"
	"pass_headers = X-Account, Call-Info\n"
	"[trunk itsp2]\n"
	"mode = static\n"
	"transport = tcp\n"
	"proxy = 198.51.100.21\n";

static struct trunk_gateway gw;
static msg_mclass_t *mclass;

/* The daemon's configuration and dial plan, once. */
static bool fuzz_init(void)
{
	static int done;
	char path[] = "/tmp/fuzz-sipmsg.XXXXXX";
	int fd, rc;

	if (done)
		return done > 0;
	done = -1;
	config_log_set_levels("error");
	mclass = sip_extend_mclass(NULL);
	fd = mkstemp(path);
	if (!mclass || fd < 0 ||
	    write(fd, fuzz_conf, sizeof(fuzz_conf) - 1) !=
		    (ssize_t)(sizeof(fuzz_conf) - 1)) {
		perror("fuzz_sipmsg: config");
		abort();
	}
	close(fd);
	rc = trunk_config_load_all(path, &gw.cfg, &gw.plan);
	unlink(path);
	if (rc || !gw.plan) {
		fprintf(stderr, "fuzz_sipmsg: the built-in config is bad\n");
		abort();
	}
	done = 1;
	return true;
}

/* What nta answers itself before our message callback (nta.c
 * agent_recv_request with its default request mask). */
static bool fuzz_nta_takes(msg_t *msg, sip_t const *sip)
{
	unsigned bad = ~(unsigned)(sip_mask_response | sip_mask_proxy |
				   sip_mask_registrar | sip_mask_pref |
				   sip_mask_privacy);

	if ((sip->sip_flags & (MSG_FLG_ERROR | MSG_FLG_TOOLARGE)) ||
	    (msg_extract_errors(msg) & bad) || sip_sanity_check(sip) < 0)
		return false;
	return !sip->sip_request ||
	       !strcasecmp(sip->sip_request->rq_version, "SIP/2.0");
}

/* call_sdp_cross()'s reading of a body. */
static void fuzz_body(sip_t const *sip)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_content_type_t const *ct = sip->sip_content_type;
	sip_payload_t const *pl = sip->sip_payload;
	struct trunk_sdp_remote rs;
	struct trunk_sdp_text *t;
	sip_payload_t *part;
	char why[160];

	if (ct && ct->c_type && strcasecmp(ct->c_type, "application/sdp")) {
		part = trunk_sdp_multipart(home, ct, pl);
		if (!part) {
			su_home_deinit(home);
			return;
		}
		pl = part;
	}
	t = trunk_sdp_open(pl->pl_data, pl->pl_len, &rs, why, sizeof(why));
	trunk_sdp_close(t);
	su_home_deinit(home);
}

/* call_timer.c timer_uas(): the INVITE's session timer against ours. */
static void fuzz_session_timer(sip_t const *sip)
{
	struct trunk_st_conf c = { .se = 1800, .min_se = 90 };
	struct trunk_st_msg m = { 0 };
	struct trunk_st st;
	unsigned min_se = 0;

	if (sip->sip_session_expires) {
		m.se = (unsigned)sip->sip_session_expires->x_delta;
		m.refresher = sip->sip_session_expires->x_refresher;
	}
	m.min_se = sip->sip_min_se ? (unsigned)sip->sip_min_se->min_delta : 0;
	m.supported = sip_has_feature(sip->sip_supported, "timer") ||
		      sip_has_feature(sip->sip_require, "timer");
	(void)trunk_st_uas(&c, &m, &st, &min_se);
}

/* A call that would be placed: leg B's From and Request-URI, which
 * trunkd builds from leg A's INVITE, must be what Sofia parses back as
 * such (a From of A's that Sofia half-parsed once made a From nta could
 * not send: 500 instead of 400). */
static void fuzz_check_leg_b(const struct call_route *r)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_from_t *f = r->from[0] ? sip_from_make(home, r->from) : NULL;
	url_t *u = url_make(home, r->ruri);

	char *enc = f ? url_as_string(home, f->a_url) : NULL;
	const char *gt = strrchr(r->from, '>');
	size_t n = enc ? strlen(enc) : 0;

	/* ... and the URI Sofia reads back is the whole of the <...>: "<sip:
	 * ab>cd@host>" reads as <sip:ab> (147's case fz7). */
	if (r->from[0] && enc &&
	    (!gt || (size_t)(gt - r->from) < n + 1 ||
	     gt[-(ptrdiff_t)n - 1] != '<' || strncmp(gt - n, enc, n)))
		f = NULL;
	if ((r->from[0] && (!f || !f->a_url->url_host)) || !u || !u->url_host) {
		fprintf(stderr,
			"fuzz_sipmsg: leg B's From <%s> or R-URI <%s> "
			"does not parse\n",
			r->from, r->ruri);
		abort();
	}
	su_home_deinit(home);
}

/* trunk_call_invite() up to the point a call is created. */
static void fuzz_invite(sip_t const *sip)
{
	const struct config_section *from[3] = {
		config_section_get(gw.cfg, "trunk", "itsp1"),
		config_section_get(gw.cfg, "pbx", "site"),
		config_section_get(gw.cfg, "phone", "alice"),
	};
	struct dialplan_result res;
	struct call_route *r = malloc(sizeof(*r));
	int i;

	if (!r)
		return;
	if (!sip->sip_max_forwards || sip->sip_max_forwards->mf_count) {
		fuzz_session_timer(sip);
		for (i = 0; i < 3; i++)
			if (!call_route_decide(&gw,
					       i ? TRUNK_SIDE_ENTERPRISE
						 : TRUNK_SIDE_TRUNK,
					       from[i], sip, NULL, true, r,
					       &res))
				fuzz_check_leg_b(r);
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char phrase[64];
	msg_t *msg;
	sip_t const *sip;

	if (!size || !fuzz_init())
		return 0;
	msg = msg_make(mclass, MSG_DO_CANONIC, data, (ssize_t)size);
	sip = msg ? sip_object(msg) : NULL;
	if (!sip || !fuzz_nta_takes(msg, sip)) {
		msg_destroy(msg);
		return 0;
	}
	if (sip->sip_request &&
	    !trunk_agent_request_verdict(sip, phrase, sizeof(phrase)) &&
	    sip->sip_request->rq_method == sip_method_invite &&
	    !(sip->sip_to && sip->sip_to->a_tag))
		fuzz_invite(sip);
	if (sip->sip_payload)
		fuzz_body(sip);
	msg_destroy(msg);
	return 0;
}
