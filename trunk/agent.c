/*
 * One nta agent per side (DESIGN.md 1). Each agent binds the side's
 * addresses with the side's transports and receives every request that no
 * transaction or dialog claims through its message callback, where nta
 * has not created a server transaction yet: admission.c may refuse a new
 * INVITE there statelessly (503, overload control); everything else gets
 * its transaction (nta_incoming_create) and is handled as a default leg's
 * request would be. Out-of-dialog requests are answered here: OPTIONS
 * locally with 200 (peers use it as a keep-alive, STA-4), INVITE by the
 * B2BUA, REGISTER by the registrar, the rest with a defined final
 * response.
 *
 * There is deliberately no default leg (nta would create a transaction
 * for every request before we see it); our out-of-dialog requests go
 * through out_leg, a dialogless leg bound to a destination no request
 * names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway.h"
#include "sofia_home.h"
#include "tls.h"
#include "flow.h"
#include "stun.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url_tag.h>

/* Each SIP message's parsed headers (and a received message's text) in one
 * malloc'd area of this many bytes past the text instead of one malloc per
 * header (su_home_preload()). 1024 used the least heap while nta keeps the
 * set-up's transactions (docs/benchmarks.md); 2048 leaves fewer headers
 * to malloc(): 10,000 fewer instructions per call for ~0.6 KB more heap
 * per call in those 32 s (test 125), nothing once they end
 * (docs/benchmarks.md "instructions per call, third pass"; 4096: -17,000
 * for ~5 KB); 3072 another ~6,000 fewer for ~2 KB more in those 32 s,
 * nothing settled (docs/benchmarks.md "fourth pass": a choice of memory
 * for CPU). Not under ASan, which checks each header on its own. */
#if defined(__SANITIZE_ADDRESS__)
#define AGENT_MSG_PRELOAD 0
#else
#define AGENT_MSG_PRELOAD 3072
#endif

/* The preload areas the signalling thread keeps for reuse (sofia_alloc.c:
 * the messages', the SDP parser's, the legs'), at most this many bytes.
 * Not under ASan, whose use-after-free checks a reused area would evade. */
#if defined(__SANITIZE_ADDRESS__)
#define AGENT_AREA_CACHE 0
#else
#define AGENT_AREA_CACHE (512 * 1024)
#endif

#define SUBSYS "trunk.agent"

#define TRUNK_ACCEPT "application/sdp, multipart/mixed"

const char *const trunk_side_names[TRUNK_SIDE_COUNT] = {
	[TRUNK_SIDE_ENTERPRISE] = "enterprise",
	[TRUNK_SIDE_TRUNK] = "trunk",
};

struct trunk_agent {
	struct trunk_gateway *gw; /* borrowed */
	enum trunk_side side;
	nta_agent_t *nta;
	nta_leg_t *out_leg; /* for nta_outgoing_tcreate() outside dialogs */
	struct trunk_tls_side *tls; /* owned; NULL without a TLS listener */
	char tls_hostport[300];	    /* the first TLS listener, "" none */
	/* SC-15-2: the first listen address's family, and the first address
	 * of the other family and its TLS listener ("" none). */
	int family;
	char alt_hostport[300], alt_tls_hostport[300];
	char ctx[32];	 /* log context: "side enterprise" */
	unsigned sip_t2; /* nta's T2 (ms), read once: 0 until asked */
};

/* "127.0.0.1:5060" / "[::1]:5060" / "::1" -> "sip:...;transport=udp".
 * ENAMETOOLONG when it does not fit in buf. */
static int trunk_agent_url(char *buf, size_t len, const char *addr,
			   const char *transport)
{
	bool bare_v6 = addr[0] != '[' && strchr(addr, ':') &&
		       strchr(addr, ':') != strrchr(addr, ':');

	/* nta binds tls only for a sips: URL (its transport list of sip:
	 * has no tls). */
	int n = snprintf(buf, len, "%s:%s%s%s;transport=%s",
			 strcmp(transport, "tls") ? "sip" : "sips",
			 bare_v6 ? "[" : "", addr, bare_v6 ? "]" : "",
			 transport);

	if (n < 0 || (size_t)n >= len) {
		LOGE(SUBSYS, NULL, "listen address too long: %s", addr);
		return ENAMETOOLONG;
	}
	return 0;
}

static int trunk_agent_options(struct trunk_agent *agent, nta_incoming_t *irq,
			       sip_t const *sip)
{
	const char *ua = config_get_str(
		config_section_get(agent->gw->cfg, "global", NULL),
		"user_agent");
	su_home_t home[1] = { SU_HOME_INIT(home) };

	nta_incoming_treply(
		irq, SIP_200_OK, SIPTAG_ALLOW_STR(TRUNK_ALLOW),
		SIPTAG_ACCEPT_STR(TRUNK_ACCEPT),
		SIPTAG_SUPPORTED_STR(TRUNK_SUPPORTED), SIPTAG_SERVER_STR(ua),
		SIPTAG_VIA(trunk_keep_answer_via(agent->gw, home, sip)),
		TAG_END());
	su_home_deinit(home);
	return 0;
}

static int trunk_agent_invite(struct trunk_agent *agent, nta_incoming_t *irq,
			      sip_t const *sip)
{
	int status = trunk_call_invite(agent->gw, agent->side, irq, sip);

	if (status == 503)
		/* Draining (SIGTERM) or out of resources: no new calls. */
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
				    SIPTAG_RETRY_AFTER_STR("60"), TAG_END());
	else if (status)
		return status;
	return 0;
}

/* Headers we act on: one that fails to parse makes the request bad. */
static const char *const trunk_agent_vital[] = {
	"Max-Forwards", "Content-Length", "Contact",   "Session-Expires",
	"Min-SE",	"Require",	  "Supported", "RAck",
	"RSeq",		"Content-Type",	  "Refer-To",  "Replaces",
};

/* A Request-URI host: an IPv6 reference must be an IPv6 address. */
static bool trunk_agent_host_ok(const char *host)
{
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN + 8];
	size_t n;

	if (!host || host[0] != '[')
		return true;
	n = strlen(host);
	if (n < 3 || n - 2 >= sizeof(buf) || host[n - 1] != ']')
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/* Whether a URI part holds a character no URI has unescaped (RFC 3261
 * 25.1, RFC 3986 2): a control octet, SP, '"', '<', '>', '\\'. Sofia
 * keeps them ("From: sip:ab>cd@host" is user "ab>cd"); in the other
 * leg's "<...>" they would end it early or break the header. */
static bool trunk_agent_uri_part_bad(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f ||
		    strchr("\"<>\\", *s))
			return true;
	return false;
}

/* A From or To URI trunkd can use: one Sofia could read, absolute (with
 * a scheme: "From: 1.100.20>" is none), a sip: or sips: one with a host
 * and no path, and no part of it holding what no URI holds unescaped. */
static bool trunk_agent_uri_ok(url_t const *u)
{
	if (!u)
		return true;
	if (u->url_type == url_invalid || !u->url_scheme)
		return false;
	/* A path with no host, in any scheme ("cid:caller/x"): Sofia prints
	 * it without the "/" ("cid:callerx"), another URI (found by the
	 * sipmsg fuzz target: tests/fuzz/sipmsg/corpus/
	 * reg-from-cid-path-fuzzed). */
	if (u->url_path && !u->url_host)
		return false;
	if (trunk_agent_uri_part_bad(u->url_user) ||
	    trunk_agent_uri_part_bad(u->url_password) ||
	    trunk_agent_uri_part_bad(u->url_host) ||
	    trunk_agent_uri_part_bad(u->url_port) ||
	    trunk_agent_uri_part_bad(u->url_path) ||
	    trunk_agent_uri_part_bad(u->url_params) ||
	    trunk_agent_uri_part_bad(u->url_headers) ||
	    trunk_agent_uri_part_bad(u->url_fragment))
		return false;
	if (u->url_type != url_sip && u->url_type != url_sips)
		return true;
	/* No SIP URI has a path (RFC 3261 25.1), yet Sofia keeps
	 * "sip:a@host/:5o60" as one and prints it without the "/"
	 * ("sip:a@host:5o60"): another host or port, or none that parses
	 * (tests/fuzz/sipmsg/corpus/reg-from-path-fuzzed). */
	return u->url_host && *u->url_host && !u->url_path;
}

/* Requests whose body is an SDP offer or answer (RFC 3264, 3262, 3311). */
static bool trunk_agent_offers(sip_t const *sip)
{
	sip_method_t m = sip->sip_request->rq_method;

	return m == sip_method_invite || m == sip_method_update ||
	       m == sip_method_prack;
}

/* A body type trunkd reads in an offer/answer request: SDP, or a
 * multipart holding it (with a PIDF-LO, EM-5). */
static bool trunk_agent_body_known(sip_content_type_t const *ct)
{
	return !ct || !ct->c_type ||
	       !strcasecmp(ct->c_type, "application/sdp") ||
	       !strncasecmp(ct->c_type, "multipart/", 10);
}

/* Whether an Accept list takes an SDP answer (application/sdp,
 * application/ *, * / *); no Accept at all means SDP (RFC 3261 20.1). */
static bool trunk_agent_accepts_sdp(sip_accept_t const *ac)
{
	if (!ac)
		return true;
	for (; ac; ac = ac->ac_next) {
		if (!ac->ac_type ||
		    !strcasecmp(ac->ac_type, "application/sdp") ||
		    !strcasecmp(ac->ac_type, "application/*") ||
		    !strcasecmp(ac->ac_type, "*/*"))
			return true;
	}
	return false;
}

/*
 * What a UAS checks before anything else (RFC 3261 8.2.2, 8.2.3, 8.1.1,
 * 18.3): a Request-URI scheme we cannot route (only sip: and sips:; tel:
 * and the rest get 416), a header we act on that does not parse, a body
 * shorter than its Content-Length (400), an unsupported extension in
 * Require (420); then, for requests carrying offers and answers, a body
 * of a type we cannot read (415, unless handling=optional) and an INVITE
 * whose Accept rules out an SDP answer (406). Pure: the fuzz target
 * tests/fuzz/sipmsg runs it on any message Sofia parses.
 */
uint16_t trunk_agent_request_verdict(sip_t const *sip, char *phrase, size_t len)
{
	enum url_type_e t = sip->sip_request->rq_url->url_type;
	size_t got = sip->sip_payload ? sip->sip_payload->pl_len : 0;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_header_t const *h;
	bool unsupported,
		invite = sip->sip_request->rq_method == sip_method_invite;
	size_t i;

	if (len)
		phrase[0] = '\0';
	if (sip->sip_request->rq_method == sip_method_ack)
		return 0; /* nothing can be answered */
	if (t != url_sip && t != url_sips)
		return 416;
	/* RFC 5118 4.10: Sofia takes any text in brackets for an IPv6
	 * reference ("[2001:db8:::192.0.2.1]"). */
	if (!trunk_agent_host_ok(sip->sip_request->rq_url->url_host)) {
		snprintf(phrase, len, "Bad Request-URI");
		return 400;
	}
	/* Sofia's error list holds the headers that did not parse (as
	 * sip_error_t) and the repeats of single headers, of their own class
	 * ("Max-Forwards: 70" twice): walk it by sh_next and name each by
	 * its class, as nta does (a repeat read as a sip_error_t crashed:
	 * tests/fuzz/sipmsg/corpus/reg-duplicate-max-forwards). */
	for (h = (sip_header_t const *)sip->sip_error; h; h = h->sh_next) {
		const char *name = h->sh_class == sip_error_class
					   ? h->sh_error->er_name
					   : h->sh_class->hc_name;

		for (i = 0;
		     name && i < sizeof(trunk_agent_vital) /
					     sizeof(trunk_agent_vital[0]);
		     i++) {
			if (strcasecmp(name, trunk_agent_vital[i]))
				continue;
			snprintf(phrase, len, "Bad %s Header",
				 trunk_agent_vital[i]);
			return 400;
		}
	}
	/* An INVITE's From or To URI that is none (RFC 3261 25.1), which
	 * the call's other leg would be made from (other requests use
	 * neither; 117's badaspec OPTIONS keeps its 200): Sofia keeps
	 * "From: \x04sip:2001@host>" as an invalid URL without host (user
	 * "2001@host>"), which made a From for the other leg that nta could
	 * not send (500; tests/fuzz/sipmsg/corpus/reg-from-without-host);
	 * "F: sip:ab>cd@host" is a SIP URL with user "ab>cd" (500 too: 147's
	 * case fz7). */
	if (invite &&
	    !trunk_agent_uri_ok(sip->sip_from ? sip->sip_from->a_url : NULL)) {
		snprintf(phrase, len, "Bad From Header");
		return 400;
	}
	if (invite &&
	    !trunk_agent_uri_ok(sip->sip_to ? sip->sip_to->a_url : NULL)) {
		snprintf(phrase, len, "Bad To Header");
		return 400;
	}
	if (sip->sip_content_length &&
	    sip->sip_content_length->l_length > got) {
		snprintf(phrase, len, "Body Shorter Than Content-Length");
		return 400;
	}
	/* An extension we do not support in Require: 420 with Unsupported
	 * (RFC 3261 8.2.2.3). 100rel (RFC 3262) and timer (RFC 4028) are
	 * ours: prack.c and call_timer.c honour them. */
	unsupported = sip->sip_require &&
		      sip_has_unsupported(home, trunk_agent_supported(),
					  sip->sip_require);
	su_home_deinit(home);
	if (unsupported)
		return 420;
	if (!trunk_agent_offers(sip))
		return 0;
	/* RFC 4475 3.3.6: an INVITE with a body of an unknown type. */
	if (got && !trunk_agent_body_known(sip->sip_content_type) &&
	    !(sip->sip_content_disposition &&
	      sip->sip_content_disposition->cd_optional))
		return 415;
	/* RFC 4475 3.3.15: no answer we could give is acceptable. */
	if (sip->sip_request->rq_method == sip_method_invite &&
	    !trunk_agent_accepts_sdp(sip->sip_accept))
		return 406;
	return 0;
}

/* trunk_agent_request_verdict(), its status sent: 0 fine (and for ACK),
 * else the status that was sent. */
int trunk_agent_check_request(nta_incoming_t *irq, sip_t const *sip)
{
	char phrase[64];
	uint16_t status =
		trunk_agent_request_verdict(sip, phrase, sizeof(phrase));

	switch (status) {
	case 0:
		break;
	case 420: /* with Unsupported and Supported */
		nta_check_required(irq, sip, trunk_agent_supported(),
				   TAG_END());
		break;
	case 415:
		nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
				    SIPTAG_ACCEPT_STR(TRUNK_ACCEPT), TAG_END());
		break;
	case 406:
		nta_incoming_treply(
			irq, SIP_406_NOT_ACCEPTABLE,
			SIPTAG_ACCEPT_STR(TRUNK_ACCEPT),
			SIPTAG_WARNING_STR("399 trunkd \"answers are SDP\""),
			TAG_END());
		break;
	default:
		nta_incoming_treply(irq, status, phrase[0] ? phrase : NULL,
				    TAG_END());
		break;
	}
	return status;
}

/*
 * Requests outside any dialog. Returning a status code >= 100 makes nta
 * answer with it; 0 means we answered (or, for ACK, nothing is due).
 */
static int trunk_agent_dispatch(struct trunk_agent *agent, nta_incoming_t *irq,
				sip_t const *sip)
{
	LOGD(SUBSYS, agent->ctx, "%s %s from %s",
	     sip->sip_request->rq_method_name,
	     sip->sip_call_id ? sip->sip_call_id->i_id : "-",
	     sip->sip_from && sip->sip_from->a_url->url_host
		     ? sip->sip_from->a_url->url_host
		     : "-");
	/* Only ACK (of a final response nta already handled) may come here
	 * with a To tag: anything else names a dialog that does not exist
	 * (RFC 3261 12.2.2), never a new call. OPTIONS may probe with one. */
	if (sip->sip_to && sip->sip_to->a_tag &&
	    sip->sip_request->rq_method != sip_method_ack &&
	    sip->sip_request->rq_method != sip_method_options)
		return 481;
	/* 416, 400, 420 before anything else (RFC 3261 8.2.2). */
	if (trunk_agent_check_request(irq, sip))
		return 0;
	switch (sip->sip_request->rq_method) {
	case sip_method_options:
		return trunk_agent_options(agent, irq, sip);
	case sip_method_ack:
		return 0;
	case sip_method_invite:
		return trunk_agent_invite(agent, irq, sip);
	case sip_method_register:
		/* Phones register on the enterprise side only. */
		if (agent->side != TRUNK_SIDE_ENTERPRISE)
			return 403;
		return trunk_registrar_register(agent->gw, irq, sip);
	default:
		return 501;
	}
}

/* nta's callback for them. A 0 return leaves the transaction to us: one
 * answered here (OPTIONS, REGISTER, a rejected request, an ACK) goes back
 * with nta_incoming_destroy(), after which nta still absorbs
 * retransmissions with the stored response until timer J and frees it
 * (call_leg_request in call_dialog.c does the same in dialogs). An INVITE
 * belongs to its call (call_free destroys it). */
static int trunk_agent_request(struct trunk_agent *agent, nta_leg_t *leg,
			       nta_incoming_t *irq, sip_t const *sip)
{
	int rc = trunk_agent_dispatch(agent, irq, sip);

	(void)leg;
	if (rc == 0 && sip->sip_request->rq_method != sip_method_invite &&
	    nta_incoming_status(irq) >= 200)
		nta_incoming_destroy(irq);
	return rc;
}

/* Parsed once; they live as long as the process (like the mclass). */
static su_home_t agent_const_home[1] = { SU_HOME_INIT(agent_const_home) };

sip_supported_t const *trunk_agent_supported(void)
{
	static sip_supported_t *k;

	if (!k)
		k = sip_supported_make(agent_const_home, TRUNK_SUPPORTED);
	return k;
}

sip_supported_t const *trunk_agent_supported_timer(void)
{
	static sip_supported_t *k;

	if (!k)
		k = sip_supported_make(agent_const_home, "timer");
	return k;
}

sip_allow_t const *trunk_agent_allow(void)
{
	static sip_allow_t *k;

	if (!k)
		k = sip_allow_make(agent_const_home, TRUNK_ALLOW);
	return k;
}

/*
 * A request that matches no transaction and no dialog, before nta keeps
 * any state of it. A new INVITE may be refused first (admission.c, in
 * trunk_agent_new_request below); an ACK with nothing to acknowledge any more (the 2xx's transaction is
 * gone, or the 503 was stateless) is dropped; the rest get a server
 * transaction and go to trunk_agent_request(), with what nta's
 * leg_recv() does for a default leg: a status returned is sent, and a
 * final one hands the transaction back.
 */
static void trunk_agent_take_request(struct trunk_agent *agent, msg_t *msg,
				     sip_t *sip)
{
	nta_incoming_t *irq;
	int rc;

	if (sip->sip_request->rq_method == sip_method_ack) {
		msg_destroy(msg);
		return;
	}
	irq = nta_incoming_create(agent->nta, NULL, msg, sip, TAG_END());
	if (!irq) { /* msg is gone too */
		LOGW(SUBSYS, agent->ctx,
		     "no memory for a transaction: dropped");
		return;
	}
	rc = trunk_agent_request(agent, NULL, irq, sip);
	if (rc == 0)
		return; /* answered (and handed back) or kept by a call */
	if (rc < 100 || rc > 699 ||
	    (sip->sip_request->rq_method == sip_method_invite && rc < 300 &&
	     rc >= 200))
		rc = 500;
	if (nta_incoming_status(irq) < 200)
		nta_incoming_treply(irq, rc, NULL, TAG_END());
	if (rc >= 200)
		nta_incoming_destroy(irq);
}

static void trunk_agent_new_request(struct trunk_agent *agent, msg_t *msg,
				    sip_t *sip)
{
	unsigned long long calls = agent->gw->call_seq;

	if (trunk_admission_refuse(agent, agent->gw, agent->side, msg, sip))
		return;
	trunk_agent_take_request(agent, msg, sip);
	/* max_call_rate counts calls (admission.c): a new INVITE that did
	 * not become one gives its token back. */
	trunk_admission_settle(agent->gw, agent->gw->call_seq != calls);
}

/* nta's message callback: requests that nothing claimed (above) and
 * stray responses. */
static int trunk_agent_message(struct trunk_agent *agent, nta_agent_t *nta,
			       msg_t *msg, sip_t *sip)
{
	if (sip && sip->sip_request) {
		trunk_agent_new_request(agent, msg, sip);
		return 0;
	}
	if (sip && sip->sip_status &&
	    trunk_call_stray_2xx(agent->gw, nta, sip)) {
		msg_destroy(msg);
		return 0;
	}
	LOGD(SUBSYS, agent->ctx, "dropped stray %s",
	     sip && sip->sip_status ? "response" : "message");
	msg_destroy(msg);
	return 0;
}

/* Bind one more address/transport (the first one creates the agent);
 * tags: the TLS listener's (tls.c), or NULL. */
static int trunk_agent_bind(struct trunk_agent *agent, const char *url,
			    const tagi_t *tags)
{
	const struct config_section *g =
		config_section_get(agent->gw->cfg, "global", NULL);
	unsigned t1 = (unsigned)config_get_int(g, "sip_t1");
	/* Bursts outlast the default 208 KB (~90 messages) at a few
	 * hundred calls/s: lost requests, retransmitted 500 ms later. */
	unsigned rmem =
		(unsigned)config_get_int(g, "udp_receive_buffer") * 1024;
	int rc;

	if (!agent->nta) {
		/* P-Asserted-Identity and friends as typed headers (ID-3):
		 * process-wide, once (the class lives as long as the
		 * process), before any agent parses a message. */
		static bool extended;

		if (!extended)
			extended = sip_update_default_mclass(
					   sip_extend_mclass(NULL)) == 0;
		/* Flows (OB-6): pong a peer's CRLFCRLF on TCP, answer STUN
		 * Binding on every SIP UDP socket (trunk/stun.c). */
		trunk_stun_server_install();
		agent->nta = nta_agent_create(
			agent->gw->root, URL_STRING_MAKE(url),
			trunk_agent_message, agent, NTATAG_SERVER_RPORT(1),
			NTATAG_CLIENT_RPORT(1), NTATAG_UA(0),
			/* RFC 3261 8.2.2.2: a request that reached us twice
			 * by different paths (same From tag, Call-ID and
			 * CSeq, another branch) gets 482 from nta. */
			NTATAG_MERGE_482(1),
			/* nta derives nothing from T1: Timers B, F, H, J
			 * and the PRACK timer (RFC 3262 3) are T1X64 and
			 * stay 32 s unless it is set too. */
			NTATAG_SIP_T1(t1), NTATAG_SIP_T1X64(64 * t1),
			NTATAG_PRELOAD(AGENT_MSG_PRELOAD),
			NTATAG_MAXSIZE(
				(usize_t)config_get_int(g, "max_message_size")),
			TPTAG_PONG2PING(1), TPTAG_STUN_SERVER(1),
			TPTAG_UDP_RMEM(rmem),
			/* A TCP peer that stops in the middle of a message:
			 * Sofia's default waits for ever (no idle timeout
			 * either while a message is half read). After 64*T1
			 * without a byte the half message is given up and
			 * the connection closed (sofia_stream.c). nta sets
			 * its own value on UDP. */
			TPTAG_TIMEOUT(64 * t1), TAG_NEXT(tags));
		rc = agent->nta ? 0 : -1;
		/* nta preloads every message home: this thread keeps the
		 * preload areas it frees (AGENT_AREA_CACHE) */
		trunk_home_area_cache(AGENT_AREA_CACHE);
	} else {
		rc = nta_agent_add_tport(
			agent->nta, URL_STRING_MAKE(url), TPTAG_UDP_RMEM(rmem),
			TPTAG_TIMEOUT(64 * t1), TAG_NEXT(tags));
	}
	if (rc < 0) {
		/* Sofia's errno is not reliable here (it may be EFAULT after a
		 * failed bind); its own sofia.nta line above names the cause. */
		LOGE(SUBSYS, agent->ctx,
		     "cannot listen on %s (address in use or not local?)", url);
		return EADDRNOTAVAIL;
	}
	LOGI(SUBSYS, agent->ctx, "listening on %s", url);
	return 0;
}

/* The TLS listener's address for listen address addr: the side's
 * *_tls_listen item i if set, else addr itself when TLS is the side's
 * only transport, else addr with its port + 1 (5060 -> 5061). */
static void trunk_agent_tls_addr(const struct config_section *g,
				 const char *side, const char *addr, size_t i,
				 bool only_tls, char *buf, size_t len)
{
	const char *const *tl;
	struct config_addr a;
	char key[64];
	size_t n;

	snprintf(key, sizeof(key), "%s_tls_listen", side);
	n = config_get_list(g, key, &tl);
	if (n) {
		snprintf(buf, len, "%s", tl[i < n ? i : n - 1]);
		return;
	}
	if (only_tls || config_addr_parse(addr, &a)) {
		snprintf(buf, len, "%s", addr);
		return;
	}
	a.port = (uint16_t)((a.port ? a.port : 5060) + 1);
	trunk_addr_hostport(&a, buf, len);
}

/* Whether listen address addr is of the other family than the side's
 * first (SC-15-2); the first address seen sets the family, the first of
 * the other its hostport. */
static bool trunk_agent_alt(struct trunk_agent *agent, const char *addr)
{
	struct config_addr a;
	int af;

	if (config_addr_parse(addr, &a))
		return false;
	af = a.ipv6 ? AF_INET6 : AF_INET;
	if (!agent->family)
		agent->family = af;
	if (af == agent->family)
		return false;
	if (!agent->alt_hostport[0])
		trunk_addr_hostport(&a, agent->alt_hostport,
				    sizeof(agent->alt_hostport));
	return true;
}

static int trunk_agent_listen(struct trunk_agent *agent,
			      const struct config *cfg)
{
	const struct config_section *g =
		config_section_get(cfg, "global", NULL);
	const char *side = trunk_side_names[agent->side];
	const char *const *addrs, *const *tps;
	char key[64], url[320], tls_addr[300];
	size_t na, nt, i, j;
	int rc;

	snprintf(key, sizeof(key), "%s_listen", side);
	na = config_get_list(g, key, &addrs);
	snprintf(key, sizeof(key), "%s_transports", side);
	nt = config_get_list(g, key, &tps);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nt; j++) {
			if (!strcmp(tps[j], "tls"))
				continue; /* below, on its own port */
			trunk_agent_alt(agent, addrs[i]);
			rc = trunk_agent_url(url, sizeof(url), addrs[i],
					     tps[j]);
			if (!rc)
				rc = trunk_agent_bind(agent, url, NULL);
			if (rc)
				return rc;
		}
	}
	for (j = 0; j < nt && strcmp(tps[j], "tls"); j++)
		;
	if (j == nt)
		return 0;
	rc = trunk_tls_side_alloc(agent->side, cfg, &agent->tls);
	for (i = 0; i < na && !rc; i++) {
		trunk_agent_tls_addr(g, side, addrs[i], i, nt == 1, tls_addr,
				     sizeof(tls_addr));
		rc = trunk_agent_url(url, sizeof(url), tls_addr, "tls");
		if (!rc)
			rc = trunk_agent_bind(agent, url,
					      trunk_tls_side_tags(agent->tls));
		if (!rc && !agent->tls_hostport[0])
			snprintf(agent->tls_hostport,
				 sizeof(agent->tls_hostport), "%s", tls_addr);
		else if (!rc && trunk_agent_alt(agent, addrs[i]) &&
			 !agent->alt_tls_hostport[0])
			snprintf(agent->alt_tls_hostport,
				 sizeof(agent->alt_tls_hostport), "%s",
				 tls_addr);
	}
	/* Sofia has read the certificate files: remove our copies. */
	if (agent->tls) {
		trunk_tls_side_loaded(agent->tls);
		trunk_tls_side_set_peers(agent->tls, agent->gw->tls_watches,
					 nta_agent_tports(agent->nta));
	}
	return rc;
}

int trunk_agent_alloc(struct trunk_gateway *gw, enum trunk_side side,
		      const struct config *cfg, struct trunk_agent **out)
{
	struct trunk_agent *agent = su_zalloc(gw->home, sizeof(*agent));
	int rc;

	if (!agent)
		return ENOMEM;
	agent->gw = gw;
	agent->side = side;
	snprintf(agent->ctx, sizeof(agent->ctx), "side %s",
		 trunk_side_names[side]);
	rc = trunk_agent_listen(agent, cfg);
	if (rc)
		goto out;
	/* A dialogless leg with a destination (.invalid, RFC 2606) and a
	 * method no peer uses: nta's requests need a leg, and this one
	 * never takes a request away from trunk_agent_message(). */
	agent->out_leg = nta_leg_tcreate(
		agent->nta, trunk_agent_request, agent, NTATAG_NO_DIALOG(1),
		NTATAG_METHOD("X-TRUNKD-NONE"),
		URLTAG_URL(URL_STRING_MAKE("sip:out-of-dialog.invalid")),
		TAG_END());
	if (!agent->out_leg) {
		LOGE(SUBSYS, agent->ctx, "cannot create the out-of-dialog leg");
		rc = ENOMEM;
		goto out;
	}
	*out = agent;
	return 0;
out:
	trunk_agent_free(agent);
	return rc;
}

const char *trunk_agent_hostport(const struct trunk_agent *agent, int family,
				 bool tls, char *buf, size_t len)
{
	sip_contact_t const *m;
	const char *hp;

	if (!agent)
		return NULL;
	if (family && agent->family && family != agent->family) {
		hp = tls ? agent->alt_tls_hostport : agent->alt_hostport;
		if (!hp[0])
			return NULL;
		snprintf(buf, len, "%s", hp);
		return buf;
	}
	if (tls) {
		if (!agent->tls_hostport[0])
			return NULL;
		snprintf(buf, len, "%s", agent->tls_hostport);
		return buf;
	}
	m = nta_agent_contact(agent->nta);
	if (!m || !m->m_url->url_host)
		return NULL;
	snprintf(buf, len, "%s%s%s", m->m_url->url_host,
		 m->m_url->url_port ? ":" : "",
		 m->m_url->url_port ? m->m_url->url_port : "");
	return buf;
}

nta_agent_t *trunk_agent_nta(const struct trunk_agent *agent)
{
	return agent->nta;
}

unsigned trunk_agent_sip_t2(struct trunk_agent *agent)
{
	/* nta's default: trunkd never sets it (nta_agent_get_params() and
	 * its tag list cost ~2,500 instructions a call). */
	if (!agent->sip_t2)
		nta_agent_get_params(agent->nta,
				     NTATAG_SIP_T2_REF(agent->sip_t2),
				     TAG_END());
	return agent->sip_t2;
}

nta_leg_t *trunk_agent_out_leg(const struct trunk_agent *agent)
{
	return agent->out_leg;
}

void trunk_agent_free(struct trunk_agent *agent)
{
	if (!agent)
		return;
	if (agent->out_leg)
		nta_leg_destroy(agent->out_leg);
	if (agent->nta)
		nta_agent_destroy(agent->nta);
	trunk_tls_side_free(agent->tls);
	su_free(agent->gw->home, agent);
}
