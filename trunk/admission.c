/*
 * Admission of new calls before nta keeps any state of them (DESIGN.md
 * "Performance goals": excess INVITEs get 503 before any transaction
 * state is kept). agent.c hands every out-of-dialog request here first,
 * from nta's message callback, where it is still a bare message: no
 * server transaction exists yet. A new INVITE that trunkd will not take
 * is answered 503 with Retry-After by nta_msg_treply() (stateless, RFC
 * 3261 8.2.7). Only its key is remembered, for 64*T1 in a fixed table
 * (overload.h, struct trunk_refused): a retransmission of it gets the
 * same 503 again, with the same To tag, even when the load has gone
 * meanwhile (admitting the copy would start a call the UAC already
 * ended with its ACK of our 503).
 *
 * Refused, in this order (docs/operations.md "Overload"):
 *   1. the signalling thread has a standing queue (overload.h: new
 *      INVITEs wait in the socket longer than overload_delay for a whole
 *      window): a falling share of new INVITEs is admitted;
 *   2. [global] max_calls calls are up;
 *   3. [global] max_call_rate: the token bucket is empty.
 * max_call_rate counts calls: an admitted INVITE that does not become one
 * (trunkd answers it 403 from an unknown source, 407 for a digest, 404,
 * 483...) gives its token back at once (trunk_admission_settle), so that a
 * challenged call costs one token, not two, and INVITEs from scanners
 * never take the real calls' tokens. The standing-queue detector (1) sees
 * every new INVITE: it measures load, whoever sends it.
 * Emergency calls (the dial plan says so) are exempt from all three
 * (EM-4). Everything else (in-dialog requests, ACK, CANCEL, OPTIONS,
 * REGISTER, INVITEs admitted here) goes on to the transaction layer as
 * before.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "call.h"
#include "certs/certs.h"
#include "overload.h"
#include "stun.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.admission"

struct trunk_admission {
	/* Settings in force (start and every reload). */
	uint32_t max_calls;
	char retry_after[24];
	int64_t remember_us; /* how long a refusal is remembered: 64*T1 */
	struct trunk_bucket bucket;
	struct trunk_lag lag;
	struct trunk_admission_info info;
	bool overloaded; /* as last logged */
	/* The new INVITE being handled took a max_call_rate token (until
	 * trunk_admission_settle()). */
	bool charged;
	struct trunk_refused refused; /* last: 1 MB */
};

static const char *const admission_reason_names[TRUNK_ADMIT_COUNT] = {
	[TRUNK_ADMIT_OK] = "admitted",
	[TRUNK_ADMIT_OVERLOAD] = "overload",
	[TRUNK_ADMIT_MAX_CALLS] = "max_calls",
	[TRUNK_ADMIT_RATE] = "max_call_rate",
};

const char *trunk_admission_reason_name(enum trunk_admit reason)
{
	return reason < TRUNK_ADMIT_COUNT ? admission_reason_names[reason]
					  : "?";
}

static int64_t admission_now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int trunk_admission_apply(struct trunk_gateway *gw, const struct config *cfg)
{
	const struct config_section *g =
		config_section_get(cfg, "global", NULL);
	struct trunk_admission *a = gw->admission;
	int64_t now = admission_now_us(CLOCK_MONOTONIC);

	if (!a) {
		a = su_zalloc(gw->home, sizeof(*a));
		if (!a)
			return ENOMEM;
		gw->admission = a;
	}
	a->max_calls = (uint32_t)config_get_int(g, "max_calls");
	/* A UAC retransmits an INVITE for 64*T1 at most (Timer B). */
	a->remember_us = config_get_int(g, "sip_t1") * 64 * 1000;
	snprintf(a->retry_after, sizeof(a->retry_after), "%lld",
		 config_get_int(g, "overload_retry_after") / 1000);
	trunk_bucket_set(&a->bucket,
			 (uint32_t)config_get_int(g, "max_call_rate"),
			 (uint32_t)config_get_int(g, "max_call_burst"), now);
	trunk_lag_set(&a->lag, config_get_int(g, "overload_delay") * 1000);
	return 0;
}

/*
 * How long the request just read waited in the kernel: over UDP from the
 * receive time of the last datagram read on its socket (sofia_udp.c's,
 * else SIOCGSTAMPNS; the first call on a socket turns the time stamps on
 * and has none), over
 * TCP from that of the last segment of the read that completed it
 * (stun.c), over TLS from that of the oldest data waiting when OpenSSL
 * read it (certs/' SSL_read()), to now. -1 when it cannot be known (a TCP
 * connection's first read).
 */
static int64_t admission_wait_us(struct trunk_agent *agent, msg_t *msg)
{
	tport_t *tp = tport_delivered_by(
		nta_agent_tports(trunk_agent_nta(agent)), msg);
	int fd = trunk_stun_last_recv_fd();
	struct timespec ts;
	int64_t w;

	if (!tp)
		return -1;
	if (tport_is_dgram(tp)) {
		if (fd < 0 || (!trunk_sofia_udp_stamp(fd, &ts) &&
			       ioctl(fd, SIOCGSTAMPNS, &ts) < 0))
			return -1;
	} else if (tport_has_tls(tp)) {
		if (!certs_tls_last_read_stamp(&ts))
			return -1;
	} else if (!tport_is_tcp(tp) || !trunk_stun_last_stream_stamp(&ts)) {
		return -1;
	}
	w = admission_now_us(CLOCK_REALTIME) -
	    ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	return w < 0 ? 0 : w;
}

/*
 * EM-4: would the dial plan make this an emergency call? Only asked for
 * an INVITE about to be refused, only on the enterprise side and with a
 * plan (without one nothing is an emergency number). The sender is
 * taken at its word here (a PBX by source address, else the phone its
 * From names): it only spares the INVITE the limits; the call itself is
 * still admitted, authenticated and routed as any other.
 */
static bool admission_emergency(struct trunk_gateway *gw, enum trunk_side side,
				msg_t *msg, sip_t const *sip)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	const struct config_section *who = NULL;
	struct dialplan_result res;
	struct call_route r;
	char ip[64] = "";

	if (side != TRUNK_SIDE_ENTERPRISE || !gw->plan)
		return false;
	if (ai && ai->ai_addr) {
		su_sockaddr_t *su = (su_sockaddr_t *)ai->ai_addr;

		su_inet_ntop(su->su_family, SU_ADDR(su), ip, sizeof(ip));
	}
	who = trunk_find_pbx(
		gw->cfg, ip,
		trunk_tport_proto(tport_delivered_by(
			nta_agent_tports(trunk_agent_nta(gw->agents[side])),
			msg)),
		NULL);
	if (!who && sip->sip_from)
		who = trunk_phone_find(gw->cfg, sip->sip_from->a_url->url_user);
	return call_route_decide(gw, side, who, sip, NULL, true, &r, &res) ==
		       0 &&
	       r.emergency;
}

/* The decision, without the exemption (counted by the caller). */
static enum trunk_admit admission_decide(struct trunk_gateway *gw,
					 struct trunk_admission *a,
					 int64_t wait_us)
{
	int64_t now = admission_now_us(CLOCK_MONOTONIC);

	trunk_lag_sample(&a->lag, wait_us, now);
	if (!trunk_lag_admit(&a->lag))
		return TRUNK_ADMIT_OVERLOAD;
	if (a->max_calls && gw->ncalls >= a->max_calls)
		return TRUNK_ADMIT_MAX_CALLS;
	if (!trunk_bucket_take(&a->bucket, now))
		return TRUNK_ADMIT_RATE;
	return TRUNK_ADMIT_OK;
}

/* One log line per change between admitting all and shedding. */
static void admission_log_share(struct trunk_admission *a)
{
	uint32_t share = trunk_lag_share(&a->lag);

	if ((share < 1000) == a->overloaded)
		return;
	a->overloaded = share < 1000;
	if (a->overloaded)
		LOGW(SUBSYS, NULL,
		     "overload: new INVITEs wait in the socket over %lld ms; "
		     "admitting %u.%u %%, 503 to the rest",
		     (long long)(a->lag.target_us / 1000), share / 10,
		     share % 10);
	else
		LOGI(SUBSYS, NULL, "overload over: admitting every new INVITE");
}

/*
 * The request's key: Call-ID, From tag, CSeq and the top Via's branch,
 * the same for a retransmission. It names the refused-INVITE memory's
 * entry and makes the 503's To tag (RFC 3261 8.2.7: a stateless UAS gives
 * the same request the same tag).
 */
static uint64_t admission_key(sip_t const *sip)
{
	char cseq[16];
	const char *parts[4] = {
		sip->sip_call_id->i_id,
		sip->sip_from->a_tag,
		sip->sip_via ? sip->sip_via->v_branch : NULL,
		cseq,
	};

	snprintf(cseq, sizeof(cseq), "%u", sip->sip_cseq->cs_seq);
	return trunk_refused_key(parts, 4);
}

static void admission_reply_503(struct trunk_agent *agent,
				struct trunk_admission *a, msg_t *msg,
				sip_t const *sip, uint64_t key)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_to_t *to = sip_to_dup(home, sip->sip_to);
	char tag[24];

	snprintf(tag, sizeof(tag), "ovl%016llx", (unsigned long long)key);
	if (to)
		sip_to_tag(home, to, tag);
	/* nta_msg_treply() takes msg (also when it fails) and answers on
	 * the transport it came by. */
	nta_msg_treply(trunk_agent_nta(agent), msg, SIP_503_SERVICE_UNAVAILABLE,
		       SIPTAG_TO(to), SIPTAG_RETRY_AFTER_STR(a->retry_after),
		       TAG_END());
	su_home_deinit(home);
}

bool trunk_admission_refuse(struct trunk_agent *agent, struct trunk_gateway *gw,
			    enum trunk_side side, msg_t *msg, sip_t const *sip)
{
	struct trunk_admission *a = gw->admission;
	enum trunk_admit why;
	uint64_t key;
	int64_t wait;

	if (a)
		a->charged = false;
	if (!a || sip->sip_request->rq_method != sip_method_invite ||
	    (sip->sip_to && sip->sip_to->a_tag) || !sip->sip_call_id ||
	    !sip->sip_cseq || !sip->sip_from || !sip->sip_to)
		return false;
	wait = admission_wait_us(agent, msg);
	if (wait >= 0)
		a->info.last_wait_us = wait;
	key = admission_key(sip);
	if (trunk_refused_seen(&a->refused, key,
			       admission_now_us(CLOCK_MONOTONIC))) {
		/* Refused before: the same answer, whatever the load now. */
		a->info.refused_again++;
		admission_reply_503(agent, a, msg, sip, key);
		return true;
	}
	why = admission_decide(gw, a, wait);
	admission_log_share(a);
	if (why == TRUNK_ADMIT_OK) {
		a->info.admitted++;
		a->charged = a->bucket.rate != 0;
		return false;
	}
	if (admission_emergency(gw, side, msg, sip)) {
		a->info.emergency_exempt++; /* EM-4 */
		return false;
	}
	a->info.refused[why]++;
	trunk_refused_add(&a->refused, key, admission_now_us(CLOCK_MONOTONIC),
			  a->remember_us);
	LOGD(SUBSYS, trunk_side_names[side], "INVITE %s: 503 (%s)",
	     sip->sip_call_id->i_id, trunk_admission_reason_name(why));
	admission_reply_503(agent, a, msg, sip, key);
	return true;
}

void trunk_admission_settle(struct trunk_gateway *gw, bool became_call)
{
	struct trunk_admission *a = gw->admission;

	if (!a || !a->charged)
		return;
	a->charged = false;
	if (!became_call)
		trunk_bucket_give(&a->bucket);
}

void trunk_admission_info(struct trunk_gateway *gw,
			  struct trunk_admission_info *out)
{
	struct trunk_admission *a = gw->admission;

	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	/* Windows without INVITEs count too: the share shown is now's. */
	trunk_lag_tick(&a->lag, admission_now_us(CLOCK_MONOTONIC));
	admission_log_share(a);
	*out = a->info;
	out->share_per_mille = trunk_lag_share(&a->lag);
	out->windows_overloaded = a->lag.windows_overloaded;
	out->max_calls = a->max_calls;
	out->max_call_rate = a->bucket.rate;
	out->overload_delay_ms = a->lag.target_us / 1000;
}
