/*
 * Registration mode (SIPconnect 16.4, RFC 6140): one REGISTER per trunk
 * covers all its Enterprise Public Identities (REG-1), with the
 * Registration AOR in To/From, a Contact without user part carrying
 * "bnc", +sip.instance and reg-id, and the GIN option tags (REG-2, OB-1).
 *
 *            start / timer
 *   IDLE ──────────────────▶ REGISTERING ──2xx──▶ REGISTERED
 *                              ▲   │  │  ▲           │ refresh timer (REG-12)
 *           401/407 (REG-4)    └───┘  │  └───────────┘
 *                                     │ 3 x 401/407/403 (REG-7), 480 (REG-8),
 *                                     │ 5xx (REG-9), other (REG-10), no answer
 *                                     ▼ or transport error (REG-5)
 *   FAILED (420 gin: no retry) ◀── BACKOFF ── timer: 30 s doubling to
 *                                             960 s (REG-6) ──▶ REGISTERING
 *   REGISTERED ── flow failed (OB-5): at once the first time, then
 *                 after min(1800, base x 2^n) x 50-100 % ──▶ REGISTERING
 *   REGISTERED ── 403, Timer B/F or transport error on another request of
 *                 the trunk: presumed lost (REG-11) ──▶ REGISTERING
 *
 * Each 2xx binds the registration's flow (flow.c) to the transport it came
 * over, with the keep-alive interval from its Flow-Timer or the keep
 * value of its Via (OB-4, KEEP-2), renegotiated on every refresh (KEEP-4);
 * every REGISTER offers keep in its Via (KEEP-1).
 *
 * Sofia's own retry/refresh logic is not used: nta sends one REGISTER per
 * transaction and this file decides everything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTA_OUTGOING_MAGIC_T struct trunk_reg
#define NTA_LEG_MAGIC_T	     struct trunk_reg
#define SU_TIMER_ARG_T	     struct trunk_reg

#include "flow.h"
#include "gateway.h"
#include "tls.h"
#include "registration.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/tport.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.reg"

const char *const trunk_reg_state_names[] = {
	[TRUNK_REG_IDLE] = "idle",
	[TRUNK_REG_REGISTERING] = "registering",
	[TRUNK_REG_REGISTERED] = "registered",
	[TRUNK_REG_BACKOFF] = "backoff",
	[TRUNK_REG_FAILED] = "failed",
};

struct trunk_reg {
	struct trunk_gateway *gw; /* borrowed */
	struct trunk_reg *next;
	su_home_t home[1];
	char trunk[64];
	char ctx[80];
	enum trunk_reg_state state;
	nta_leg_t *leg;	     /* keeps Call-ID and CSeq across refreshes */
	nta_outgoing_t *orq; /* REGISTER in flight */
	su_timer_t *timer;   /* refresh or retry */
	char ruri[300], route[360], contact[600];
	char aor[300];	    /* registration_aor (To, From) */
	char tls_name[256]; /* what the SP-SSE must prove; "" no TLS */
	long long expires;  /* asked for (s) */
	long long granted;  /* by the SP-SSE (s) */
	unsigned failures;  /* delivery failures in a row (REG-6) */
	unsigned refusals;  /* 401/407/403 in a row (REG-7) */
	time_t registered_at;
	struct trunk_flow *flow; /* owned: the registered flow */
	unsigned flow_failures;	 /* in a row, for OB-5 */
	bool reforming;		 /* re-forming a failed flow (OB-5) */
	bool failed_here;	 /* a REGISTER's own failure failed the flow */
	bool reconnected;	 /* REG-5's one immediate retry spent */
	bool lost_conn; /* the failed REGISTER's connection was up (REG-5) */
	/* The configured SP-SSEs (REG-5, REG-9 alternates); route and
	 * tls_name above are those of alt[cur]. */
	struct reg_alt {
		char route[360];
		char tls_name[256];
		time_t blocked_until; /* a long Retry-After (REG-9) */
	} alt[8];
	unsigned nalt, cur;
	unsigned alt_tries;	      /* alternates tried in this outage */
	struct trunk_flow_backoff fb; /* OB-5 bases */
	unsigned retry_base_s, retry_max_s; /* REG-6 */
	unsigned min_refresh_s;		    /* register_min_refresh */
	char instance[80];		 /* our +sip.instance value, quoted */
	char own_host[256], own_port[8]; /* of our Contact URI */
	time_t next_attempt;		 /* BACKOFF/REGISTERED: when */
	char via[340];			 /* our Via with keep (KEEP-1) */
	bool retiring;	  /* un-REGISTERing after a reload, then freed */
	char last[96];	  /* last final response, "" if none */
	char reason[160]; /* of the last state change */
};

/* REG-6, REG-10: 30 s, doubling per further failure, capped at 960 s; a
 * longer Retry-After wins (REG-10). Pure: unit-tested. */
unsigned trunk_reg_backoff(unsigned failures, unsigned retry_after)
{
	return trunk_reg_backoff_from(30, 960, failures, retry_after);
}

/* The same with configurable base and cap (tests run it fast). */
unsigned trunk_reg_backoff_from(unsigned base, unsigned max, unsigned failures,
				unsigned retry_after)
{
	unsigned s = base ? base : 1;

	while (failures > 1 && s < max) {
		s *= 2;
		failures--;
	}
	if (s > max)
		s = max;
	return retry_after > s ? retry_after : s;
}

/* REG-12: refresh well before the granted expiry lapses. Pure. */
unsigned trunk_reg_refresh_after(unsigned granted)
{
	return granted > 120 ? granted - 60 : (granted + 1) / 2;
}

static void reg_set_state(struct trunk_reg *r, enum trunk_reg_state next,
			  const char *why)
{
	if (r->state != next) {
		LOG_AT(next == TRUNK_REG_FAILED ? LOG_LEVEL_ERROR
						: LOG_LEVEL_INFO,
		       SUBSYS, r->ctx, "%s -> %s (%s)",
		       trunk_reg_state_names[r->state],
		       trunk_reg_state_names[next], why);
		trunk_hook_run(r->gw, "registration", r->trunk,
			       trunk_reg_state_names[next], why);
		/* A long reason is cut: trunkctl shows it, the log above has
		 * it whole. */
		if (snprintf(r->reason, sizeof(r->reason), "%s", why) >=
		    (int)sizeof(r->reason))
			r->reason[sizeof(r->reason) - 1] = '\0';
	}
	r->state = next;
	if (next != TRUNK_REG_BACKOFF && next != TRUNK_REG_REGISTERED)
		r->next_attempt = 0;
}

static void reg_send(struct trunk_reg *r, long long expires);

/* Timer F or a transport error: nta's own 408/503 (or none at all). */
static bool reg_is_transport_failure(int status, sip_t const *sip)
{
	return (status == 408 || status == 503) &&
	       (!sip || nta_sip_is_internal(sip));
}

static void reg_timer_fired(su_root_magic_t *m, su_timer_t *t,
			    struct trunk_reg *r)
{
	(void)m;
	(void)t;
	reg_send(r, r->expires);
}

/* Wait s seconds in BACKOFF, then REGISTER again. */
static void reg_wait(struct trunk_reg *r, unsigned s, const char *why)
{
	char text[200];

	snprintf(text, sizeof(text), "%s, retry in %u s", why, s);
	if (r->state == TRUNK_REG_BACKOFF) /* no transition to log */
		LOGI(SUBSYS, r->ctx, "backoff: %s", text);
	reg_set_state(r, TRUNK_REG_BACKOFF, text);
	r->next_attempt = time(NULL) + s;
	su_timer_set_interval(r->timer, reg_timer_fired, r,
			      (su_duration_t)s * 1000);
}

/* A failed attempt: REG-6 doubling, or RFC 5626 4.5 while re-forming a
 * failed flow (OB-5: from the flow's failure until a REGISTER succeeds
 * again); a longer Retry-After wins (REG-10). */
static void reg_backoff(struct trunk_reg *r, unsigned retry_after,
			const char *why)
{
	unsigned s;

	r->alt_tries = 0; /* the next cycle may try the alternates again */
	++r->failures;
	if (r->reforming && r->flow_failures) {
		s = trunk_flow_backoff_s(&r->fb, r->flow_failures++, true,
					 trunk_random());
		if (retry_after > s)
			s = retry_after;
	} else {
		s = trunk_reg_backoff_from(r->retry_base_s, r->retry_max_s,
					   r->failures, retry_after);
	}
	reg_wait(r, s, why);
}

/* A delta-seconds value as a registrar sent it: digits only, at most
 * 2^31 - 1 (RFC 3261 25.1); -1 when unusable. Pure. */
long long trunk_reg_parse_delta(const char *text)
{
	long long v = 0;
	const char *c = text;

	if (!c)
		return -1;
	while (*c == ' ' || *c == '\t')
		c++;
	if (*c < '0' || *c > '9')
		return -1;
	for (; *c >= '0' && *c <= '9'; c++)
		if ((v = v * 10 + (*c - '0')) > 2147483647LL)
			return -1;
	while (*c == ' ' || *c == '\t')
		c++;
	return *c ? -1 : v;
}

/* Is Contact m the binding we asked for: our +sip.instance, or (when it
 * names no instance) an RFC 6140 bnc URI without user part, wherever its
 * host (a registrar behind NAT handling may rewrite it; a note in the
 * log then names both). */
static bool reg_contact_is_ours(const struct trunk_reg *r,
				sip_contact_t const *m)
{
	const char *inst;

	if (!m->m_url->url_host)
		return false;
	inst = msg_header_find_param(m->m_common, "+sip.instance");
	if (inst)
		return su_casematch(inst, r->instance);
	if (m->m_url->url_user || !url_has_param(m->m_url, "bnc"))
		return false;
	if (!su_casematch(m->m_url->url_host, r->own_host) ||
	    strcmp(url_port(m->m_url), r->own_port))
		LOGI(SUBSYS, r->ctx,
		     "the 2xx's bnc Contact names %.80s:%s, we sent %s:%s: "
		     "taken as ours (no +sip.instance to tell)",
		     m->m_url->url_host, url_port(m->m_url), r->own_host,
		     r->own_port);
	return true;
}

/*
 * The expiry a 2xx grants our Contact (REG-12): its expires parameter,
 * else the Expires header, else what we asked for. Bad answers (issue 6,
 * "Bad input"): -1 with why set when our Contact is not among the
 * bindings (none at all, or only others': the registrar did not bind us),
 * 0 when granted 0 s; a grant longer than asked is cut to what we asked
 * for (RFC 3261 10.3 lets the registrar only shorten it), with a warning.
 */
static long long reg_granted(struct trunk_reg *r, sip_t const *sip,
			     const char **why)
{
	sip_contact_t const *m;
	long long v = -1;

	for (m = sip->sip_contact; m; m = m->m_next)
		if (reg_contact_is_ours(r, m))
			break;
	if (!m) {
		*why = sip->sip_contact ? "2xx without our Contact (another "
					  "binding only)"
					: "2xx without a Contact";
		return -1;
	}
	if (m->m_expires) {
		v = trunk_reg_parse_delta(m->m_expires);
		if (v < 0)
			LOGW(SUBSYS, r->ctx,
			     "ignoring unusable expires=%.40s in the 2xx's "
			     "Contact",
			     m->m_expires);
	}
	if (v < 0 && sip->sip_expires && !sip->sip_expires->ex_date)
		v = sip->sip_expires->ex_delta > 2147483647UL
			    ? -1
			    : (long long)sip->sip_expires->ex_delta;
	if (v < 0)
		v = r->expires;
	if (v == 0) {
		*why = "2xx granting our Contact 0 s (not bound)";
		return 0;
	}
	if (v > r->expires) {
		LOGW(SUBSYS, r->ctx,
		     "granted %lld s, more than the %lld s asked for: "
		     "refreshing as for %lld s",
		     v, r->expires, r->expires);
		v = r->expires;
	}
	return v;
}

/* Seconds after a grant of `granted` s to refresh it: REG-12, but never
 * sooner than register_min_refresh (a grant of 1 s is not a reason to
 * REGISTER every second; the binding may then lapse in between). */
static unsigned reg_refresh_in(struct trunk_reg *r, long long granted)
{
	unsigned s = trunk_reg_refresh_after((unsigned)granted);

	if (s < r->min_refresh_s) {
		LOGW(SUBSYS, r->ctx,
		     "granted only %lld s: refreshing after "
		     "register_min_refresh (%u s), not %u s",
		     granted, r->min_refresh_s, s);
		s = r->min_refresh_s;
	}
	return s;
}

static void reg_success(struct trunk_reg *r, long long granted)
{
	char why[80];
	unsigned s;

	r->failures = r->refusals = 0;
	r->reconnected = r->reforming = false;
	r->alt_tries = 0;
	r->granted = granted;
	if (r->expires == 0) { /* our un-REGISTER was answered */
		trunk_flow_close(r->flow);
		reg_set_state(r, TRUNK_REG_IDLE, "unregistered");
		return;
	}
	r->registered_at = time(NULL);
	snprintf(why, sizeof(why), "granted %lld s", r->granted);
	reg_set_state(r, TRUNK_REG_REGISTERED, why);
	s = reg_refresh_in(r, granted);
	r->next_attempt = r->registered_at + s;
	su_timer_set_interval(r->timer, reg_timer_fired, r,
			      (su_duration_t)s * 1000);
}

/* The server's keep-alive value: Flow-Timer (RFC 5626 4.4.1), else keep=
 * in the top Via (RFC 6223, KEEP-2). Unusable values: one WARN line, the
 * default interval. */
static unsigned reg_server_keepalive(struct trunk_reg *r, sip_t const *sip,
				     enum trunk_flow_source *src)
{
	sip_unknown_t const *u;
	const char *keep = NULL, *bad;
	unsigned v;

	for (u = sip->sip_unknown; u; u = u->un_next) {
		if (!u->un_name || !su_casematch(u->un_name, "Flow-Timer"))
			continue;
		v = trunk_flow_server_value(u->un_value, &bad);
		if (v) {
			*src = TRUNK_FLOW_SRC_FLOW_TIMER;
			return v;
		}
		LOGW(SUBSYS, r->ctx,
		     "ignoring Flow-Timer \"%.40s\" (%s): default interval",
		     u->un_value ? u->un_value : "", bad);
		break;
	}
	if (sip->sip_via)
		keep = msg_header_find_param(sip->sip_via->v_common, "keep");
	if (keep && *keep) {
		v = trunk_flow_server_value(keep, &bad);
		if (v) {
			*src = TRUNK_FLOW_SRC_KEEP;
			return v;
		}
		LOGW(SUBSYS, r->ctx,
		     "ignoring keep=%.40s in the Via (%s): default interval",
		     keep, bad);
	}
	return 0;
}

/* Bind the flow to the transport this 2xx came over (OB-4, KEEP-2). */
static void reg_flow_bind(struct trunk_reg *r, nta_outgoing_t *orq,
			  sip_t const *sip)
{
	enum trunk_flow_source src = TRUNK_FLOW_SRC_DEFAULT;
	unsigned server_s = reg_server_keepalive(r, sip, &src);

	trunk_flow_bind_orq(r->flow, orq, server_s, src);
}

/* OB-5: the flow failed: re-form it with the same reg-id, at once the
 * first time (a flow that lived long enough resets the count), then after
 * the RFC 5626 4.5 back-off. */
static void reg_flow_failed(struct trunk_flow *f, const char *why, void *arg)
{
	struct trunk_reg *r = arg;
	struct trunk_flow_info fi;
	char text[220];

	(void)f;
	if (r->state != TRUNK_REG_REGISTERED &&
	    r->state != TRUNK_REG_REGISTERING) {
		r->failed_here = false;
		return; /* nothing registered on it, or already waiting */
	}
	trunk_flow_info(r->flow, &fi);
	if (fi.up_for >= (long long)r->fb.all_failed_s)
		r->flow_failures = 0;
	r->reforming = true;
	if (r->failed_here) {
		/* REG-5 already retries the REGISTER that failed it: one
		 * REGISTER at once, not two. */
		r->failed_here = false;
		r->flow_failures++;
		return;
	}
	snprintf(text, sizeof(text), "flow failed: %s", why);
	if (r->flow_failures++ == 0) {
		reg_set_state(r, TRUNK_REG_REGISTERING, text);
		reg_send(r, r->expires);
		return;
	}
	reg_wait(r,
		 trunk_flow_backoff_s(&r->fb, r->flow_failures - 1, true,
				      trunk_random()),
		 text);
}

/* 401/407/403: answer a challenge, or give up after the fourth (REG-7). */
static void reg_refused(struct trunk_reg *r, int status, sip_t const *sip)
{
	if (++r->refusals > 3) {
		LOGE(SUBSYS, r->ctx,
		     "registration refused %u times in a row: check username "
		     "and password",
		     r->refusals);
		r->refusals = 0;
		reg_backoff(r, 0, "credentials refused (REG-7)");
		return;
	}
	if (status != 403 &&
	    !trunk_auth_challenge(r->gw, r->trunk, sip, r->refusals == 1)) {
		reg_send(r, r->expires);
		return;
	}
	reg_backoff(r, 0, status == 403 ? "403 Forbidden" : "no credentials");
}

static unsigned reg_retry_after(sip_t const *sip)
{
	return sip && sip->sip_retry_after
		       ? (unsigned)sip->sip_retry_after->af_delta
		       : 0;
}

/* Move to the next SP-SSE that no long Retry-After blocks (REG-5,
 * REG-9); false when there is none left to try in this outage. */
static bool reg_next_alternate(struct trunk_reg *r, const char *why)
{
	time_t now = time(NULL);
	unsigned i, n;

	if (r->nalt < 2 || r->alt_tries + 1 >= r->nalt)
		return false;
	for (i = 1; i < r->nalt; i++) {
		n = (r->cur + i) % r->nalt;
		if (r->alt[n].blocked_until > now)
			continue;
		r->alt_tries++;
		LOGI(SUBSYS, r->ctx, "%s: trying the alternate SP-SSE %s", why,
		     r->alt[n].route);
		r->cur = n;
		snprintf(r->route, sizeof(r->route), "%s", r->alt[n].route);
		snprintf(r->tls_name, sizeof(r->tls_name), "%s",
			 r->alt[n].tls_name);
		r->reconnected = false;
		su_timer_set_interval(r->timer, reg_timer_fired, r, 0);
		return true;
	}
	return false;
}

static void reg_failure(struct trunk_reg *r, int status, sip_t const *sip)
{
	unsigned ra = reg_retry_after(sip);
	char why[160];
	bool lost;

	snprintf(why, sizeof(why), "%d %s", status,
		 sip && sip->sip_status ? sip->sip_status->st_phrase : "");
	if (status == 420) { /* the SP-SSE has no GIN: do not hammer it */
		reg_set_state(r, TRUNK_REG_FAILED,
			      "SP-SSE does not support gin (RFC 6140)");
		return;
	}
	if (status == 423 && sip && sip->sip_min_expires) {
		r->expires = (long long)sip->sip_min_expires->me_delta;
		reg_send(r, r->expires);
		return;
	}
	/* REG-5: no answer or a transport error on an established
	 * connection (TCP, TLS): reconnect and retry the same SP-SSE once at
	 * once. A connection that could not be made, or UDP, makes the
	 * SP-SSE unreachable at once. */
	lost = r->lost_conn;
	r->lost_conn = false;
	if (reg_is_transport_failure(status, sip) && lost && !r->reconnected &&
	    r->expires) {
		r->reconnected = true;
		LOGI(SUBSYS, r->ctx,
		     "%s (no answer/transport): reconnecting once (REG-5)",
		     why);
		reg_set_state(r, TRUNK_REG_REGISTERING,
			      "no answer or transport error: reconnecting "
			      "once (REG-5)");
		/* From the loop, not from inside nta's callback. */
		su_timer_set_interval(r->timer, reg_timer_fired, r, 0);
		return;
	}
	/* REG-5: the reconnect failed too: the SP-SSE is unreachable, try
	 * the alternates (each once per outage). */
	if (reg_is_transport_failure(status, sip) && r->expires &&
	    reg_next_alternate(r, why))
		return;
	/* REG-9: a long Retry-After: remember it for this SP-SSE and try
	 * an alternate. */
	if ((status == 503 || status == 500) && ra > 32 && r->expires &&
	    r->cur < r->nalt) {
		r->alt[r->cur].blocked_until = time(NULL) + ra;
		if (reg_next_alternate(r, why))
			return;
	}
	/* REG-9: a short Retry-After: wait exactly that, then retry the
	 * same SP-SSE (not a delivery failure: no REG-6 count). */
	if ((status == 503 || status == 500) && ra && ra <= 32) {
		reg_wait(r, ra, why);
		return;
	}
	/* REG-5/6/8/10/14: delivery failure, back off (a 302 is not a
	 * redirect to another SP-SSE: REG-14). */
	reg_backoff(r, ra, why);
}

static int reg_retired(struct trunk_reg *r, nta_outgoing_t *orq, int status);

/* A REGISTER failed by transport (REG-5): the flow it went over failed
 * (its connection closed); reg_failure() decides (a reconnect when the
 * flow was an established connection), the flow's notice
 * (reg_flow_failed) only counts. */
static void reg_fail_flow(struct trunk_reg *r, const char *why)
{
	struct trunk_flow_info fi;
	tport_t *tp = NULL;

	trunk_flow_info(r->flow, &fi);
	r->lost_conn = fi.state == TRUNK_FLOW_UP && strcmp(fi.transport, "udp");
	if (fi.state == TRUNK_FLOW_UP)
		r->failed_here = true;
	if (r->lost_conn && trunk_flow_tport(r->flow))
		tp = tport_ref(trunk_flow_tport(r->flow));
	trunk_flow_fail(r->flow, why);
	/* A silent but open connection: closed, so that REG-5's retry
	 * re-establishes one instead of reusing it. */
	if (tp) {
		tport_shutdown(tp, 2);
		tport_unref(tp);
	}
}

/* A 2xx that binds nothing of ours (issue 6, "Bad input"): one WARN
 * line, then a delivery failure with back-off (REG-10). */
static void reg_unbound(struct trunk_reg *r, const char *why)
{
	LOGW(SUBSYS, r->ctx, "REGISTER failed: %s", why);
	reg_backoff(r, 0, why);
}

static int reg_response(struct trunk_reg *r, nta_outgoing_t *orq,
			sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status
					    : nta_outgoing_status(orq);
	const char *unbound = "2xx without a Contact";
	long long granted = 0;

	LOGD(SUBSYS, r->ctx, "REGISTER answered %d%s", status,
	     sip && nta_sip_is_internal(sip) ? " (internal)" : "");
	if (status < 200)
		return 0;
	if (r->retiring)
		return reg_retired(r, orq, status);
	if (status != 401 && status != 407 && status != 403)
		r->refusals = 0;
	snprintf(r->last, sizeof(r->last), "%d %s", status,
		 sip && sip->sip_status ? sip->sip_status->st_phrase : "");
	if (status < 300 && sip && r->expires) {
		granted = reg_granted(r, sip, &unbound);
		if (granted > 0)
			reg_flow_bind(r, orq, sip);
	} else if (status >= 300 && reg_is_transport_failure(status, sip))
		/* Timer F or a transport error on the flow (REG-5). */
		reg_fail_flow(r, status == 408 ? "REGISTER timed out (Timer F)"
					       : "transport error");
	/* sip lives in orq's response: destroy orq only when done with it
	 * (an internal 503 is freed with its transaction). */
	if (r->orq == orq)
		r->orq = NULL;
	if (status < 300 && r->expires && granted <= 0)
		reg_unbound(r, unbound);
	else if (status < 300)
		reg_success(r, granted);
	else if ((status == 401 || status == 407 || status == 403) && sip)
		reg_refused(r, status, sip);
	else
		reg_failure(r, status, sip);
	trunk_tls_orq_destroy(r->gw, orq);
	return 0;
}

/* The REGISTER's TLS connection failed (tls_watch.c): a transport
 * error (REG-5). */
static void reg_tls_failed(void *arg, int err)
{
	struct trunk_reg *r = arg;

	(void)err;
	if (r->retiring) {
		reg_retired(r, r->orq, 503);
		return;
	}
	trunk_tls_orq_destroy(r->gw, r->orq);
	r->orq = NULL;
	reg_fail_flow(r, "TLS connection failed");
	reg_failure(r, 503, NULL);
}

static void reg_send(struct trunk_reg *r, long long expires)
{
	msg_header_t *auth = NULL;
	url_t *url = url_make(r->home, r->ruri);
	char exp[24];

	su_timer_reset(r->timer);
	if (r->orq)
		trunk_tls_orq_destroy(r->gw, r->orq);
	r->orq = NULL;
	snprintf(exp, sizeof(exp), "%lld", expires);
	if (url)
		trunk_auth_headers(r->gw, r->trunk, r->home, "REGISTER", url,
				   NULL, &auth);
	r->orq = nta_outgoing_tcreate(
		r->leg, reg_response, r,
		r->route[0] ? URL_STRING_MAKE(r->route) : NULL,
		SIP_METHOD_REGISTER, URL_STRING_MAKE(r->ruri),
		NTATAG_USER_VIA(1), SIPTAG_VIA_STR(r->via),
		SIPTAG_CONTACT_STR(r->contact), SIPTAG_EXPIRES_STR(exp),
		SIPTAG_REQUIRE_STR("gin"), SIPTAG_PROXY_REQUIRE_STR("gin"),
		SIPTAG_SUPPORTED_STR("path, outbound, gin"),
		SIPTAG_HEADER((sip_header_t *)auth), TAG_END());
	if (r->orq && r->tls_name[0])
		trunk_tls_orq_watch(r->gw, r->orq, r->ctx, r->tls_name,
				    reg_tls_failed, r);
	if (r->state != TRUNK_REG_REGISTERED || expires == 0)
		reg_set_state(r, TRUNK_REG_REGISTERING,
			      expires ? "REGISTER sent" : "un-REGISTER sent");
	if (!r->orq)
		reg_backoff(r, 0, "cannot send REGISTER");
}

/* ---------------------------------------------------------------------- */
/* The persistent instance-id (OB-1)                                       */

/* Read the UUID from file, or make one and keep it there. */
static int reg_instance_id(const char *file, char out[37])
{
	unsigned char b[16];
	char buf[64] = "";
	FILE *f = fopen(file, "r");
	int fd, i;

	if (f) {
		if (fgets(buf, sizeof(buf), f) && strlen(buf) >= 36) {
			memcpy(out, buf, 36);
			out[36] = '\0';
			fclose(f);
			return 0;
		}
		fclose(f);
	}
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		if (fd >= 0)
			close(fd);
		return EIO;
	}
	close(fd);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i + (i >= 4) + (i >= 6) + (i >= 8) +
				 (i >= 10),
			 3, "%02x", b[i]);
	out[8] = out[13] = out[18] = out[23] = '-';
	out[36] = '\0';
	f = fopen(file, "w");
	if (!f || fprintf(f, "%s\n", out) < 0) {
		if (f)
			fclose(f);
		LOGE(SUBSYS, NULL, "cannot keep the instance-id in %s: %s",
		     file, strerror(errno));
		return errno ? errno : EIO;
	}
	fclose(f);
	LOGI(SUBSYS, NULL, "new instance-id urn:uuid:%s in %s", out, file);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                              */

static void reg_free(struct trunk_reg *r)
{
	if (r->orq)
		trunk_tls_orq_destroy(r->gw, r->orq);
	if (r->timer)
		su_timer_destroy(r->timer);
	if (r->leg)
		nta_leg_destroy(r->leg);
	trunk_flow_free(r->flow);
	su_home_deinit(r->home);
	free(r);
}

/* Contact: our trunk-side address without user part, "bnc", the instance
 * and reg-id 1 (REG-2, OB-1). */
static void reg_contact(struct trunk_reg *r, const struct config_section *t,
			const char *uuid, const char *transport)
{
	const struct trunk_agent *agent = r->gw->agents[TRUNK_SIDE_TRUNK];
	int family = trunk_config_family(t); /* SC-15-2 */
	sip_contact_t *own;
	char hp[300];

	/* The TLS port over TLS (TLS-9), else the first address bound, of
	 * the trunk's address family. */
	if ((strcmp(transport, "tls") ||
	     !trunk_agent_hostport(agent, family, true, hp, sizeof(hp))) &&
	    !trunk_agent_hostport(agent, family, false, hp, sizeof(hp)))
		snprintf(hp, sizeof(hp), "invalid");
	snprintf(r->contact, sizeof(r->contact),
		 "<sip:%s;transport=%s;bnc>;+sip.instance="
		 "\"<urn:uuid:%s>\";reg-id=1",
		 hp, transport, uuid);
	snprintf(r->instance, sizeof(r->instance), "\"<urn:uuid:%s>\"", uuid);
	own = sip_contact_make(r->home, r->contact);
	if (own && own->m_url->url_host) { /* to find our binding in 2xx */
		snprintf(r->own_host, sizeof(r->own_host), "%s",
			 own->m_url->url_host);
		snprintf(r->own_port, sizeof(r->own_port), "%s",
			 url_port(own->m_url));
	}
	/* KEEP-1: offer keep-alives in our Via; nta sets the protocol of
	 * the transport it uses and adds rport and branch. */
	snprintf(r->via, sizeof(r->via), "SIP/2.0/%s %s;keep",
		 !strcmp(transport, "tls")   ? "TLS"
		 : !strcmp(transport, "tcp") ? "TCP"
					     : "UDP",
		 hp);
}

/* Keep-alive and back-off settings of trunk section t. */
static void reg_flow_params(struct trunk_reg *r, const struct config_section *t,
			    struct trunk_flow_params *fp)
{
	const char *ka = config_get_str(t, "keepalive");

	fp->call = NULL; /* a registration's flow */
	fp->enabled = strcmp(ka, "off") && strcmp(ka, "options");
	fp->default_ms =
		config_is_set(t, "keepalive_interval")
			? (unsigned)config_get_int(t, "keepalive_interval")
			: 0;
	fp->timeout_ms = (unsigned)config_get_int(t, "keepalive_timeout");
	fp->probe_every = (unsigned)config_get_int(t, "keepalive_probe_every");
	r->fb.all_failed_s =
		(unsigned)(config_get_int(t, "flow_retry_all_failed") / 1000);
	r->fb.some_failed_s =
		(unsigned)(config_get_int(t, "flow_retry_some_failed") / 1000);
	r->fb.max_s = (unsigned)(config_get_int(t, "flow_retry_max") / 1000);
	r->retry_base_s =
		(unsigned)(config_get_int(t, "register_retry_base") / 1000);
	r->retry_max_s =
		(unsigned)(config_get_int(t, "register_retry_max") / 1000);
	r->min_refresh_s =
		(unsigned)(config_get_int(t, "register_min_refresh") / 1000);
}

static struct trunk_reg *reg_alloc(struct trunk_gateway *gw,
				   const struct config_section *t,
				   const char *uuid)
{
	struct trunk_reg *r = calloc(1, sizeof(*r));
	const char *const *px;
	const char *tp = config_get_str(t, "transport");
	struct config_addr a = { { 0 } };
	struct trunk_flow_params fp;
	size_t np, i;

	if (!r || su_home_init(r->home)) {
		free(r);
		return NULL;
	}
	r->gw = gw;
	snprintf(r->trunk, sizeof(r->trunk), "%s", config_section_name(t));
	snprintf(r->ctx, sizeof(r->ctx), "trunk %s", r->trunk);
	r->expires = config_get_int(t, "register_expires") / 1000;
	snprintf(r->aor, sizeof(r->aor), "%s",
		 config_get_str(t, "registration_aor"));
	snprintf(r->ruri, sizeof(r->ruri), "sip:%s",
		 config_is_set(t, "domain") ? config_get_str(t, "domain")
					    : "invalid");
	/* The configured SP-SSEs in order (alternates: REG-5, REG-9), else
	 * RFC 3263 on the domain (REG-3). */
	np = config_get_list(t, "proxy", &px);
	for (i = 0; i < np && r->nalt < 8; i++) {
		memset(&a, 0, sizeof(a));
		if (config_addr_parse(px[i], &a))
			continue;
		trunk_tls_route(t, &a, r->alt[r->nalt].route,
				sizeof(r->alt[r->nalt].route));
		if (trunk_tls_trunk_uses_tls(t))
			snprintf(r->alt[r->nalt].tls_name,
				 sizeof(r->alt[r->nalt].tls_name), "%s",
				 trunk_tls_verify_name(t, a.host));
		r->nalt++;
	}
	if (r->nalt) {
		snprintf(r->route, sizeof(r->route), "%s", r->alt[0].route);
		snprintf(r->tls_name, sizeof(r->tls_name), "%s",
			 r->alt[0].tls_name);
	} else if (trunk_tls_trunk_uses_tls(t) && config_is_set(t, "domain")) {
		/* Only TLS targets of the domain (TLS-8, TLS-9). */
		trunk_tls_route(t, NULL, r->route, sizeof(r->route));
		snprintf(r->tls_name, sizeof(r->tls_name), "%s",
			 trunk_tls_verify_name(t, NULL));
	}
	reg_contact(r, t, uuid, tp);
	reg_flow_params(r, t, &fp);
	r->flow = trunk_flow_alloc(gw, r->trunk, &fp, reg_flow_failed, r);
	r->timer = su_timer_create(su_root_task(gw->root), 0);
	r->leg = nta_leg_tcreate(
		trunk_agent_nta(gw->agents[TRUNK_SIDE_TRUNK]), NULL, r,
		SIPTAG_FROM_STR(config_get_str(t, "registration_aor")),
		SIPTAG_TO_STR(config_get_str(t, "registration_aor")),
		TAG_END());
	if (!r->flow || !r->timer || !r->leg || !nta_leg_tag(r->leg, NULL)) {
		reg_free(r);
		return NULL;
	}
	return r;
}

/* The registration of trunk section t of cfg, with the persistent
 * instance-id (OB-1), read from instance_id_file once per process (the
 * key is restart-only: a reload keeps the running one); NULL with *rc an
 * errno value. */
static struct trunk_reg *reg_make(struct trunk_gateway *gw,
				  const struct config *cfg,
				  const struct config_section *t, int *rc)
{
	struct trunk_reg *r;

	*rc = gw->instance_id[0]
		      ? 0
		      : reg_instance_id(
				config_get_str(
					config_section_get(cfg, "global", NULL),
					"instance_id_file"),
				gw->instance_id);
	if (*rc) {
		gw->instance_id[0] = '\0';
		return NULL;
	}
	r = reg_alloc(gw, t, gw->instance_id);
	if (!r)
		*rc = ENOMEM;
	return r;
}

int trunk_regs_apply(struct trunk_gateway *gw, const struct config *cfg)
{
	const struct config_section *t = NULL;
	struct trunk_reg *r;
	int rc;

	/* At start, when there are none; a reload goes through
	 * trunk_regs_reload(). */
	if (gw->regs)
		return 0;
	while ((t = config_section_next(cfg, "trunk", t))) {
		if (strcmp(config_get_str(t, "mode"), "registration"))
			continue;
		r = reg_make(gw, cfg, t, &rc);
		if (!r)
			return rc;
		r->next = gw->regs;
		gw->regs = r;
		reg_send(r, r->expires);
	}
	return 0;
}

/* Un-REGISTER on shutdown, best effort (the answer may come during the
 * drain or not at all). */
void trunk_regs_unregister(struct trunk_gateway *gw)
{
	struct trunk_reg *r;

	for (r = gw->regs; r; r = r->next)
		if (r->state == TRUNK_REG_REGISTERED) {
			r->expires = 0;
			reg_send(r, 0);
		}
}

void trunk_regs_free(struct trunk_gateway *gw)
{
	struct trunk_reg *r;

	while ((r = gw->regs)) {
		gw->regs = r->next;
		reg_free(r);
	}
	while ((r = gw->regs_retiring)) {
		gw->regs_retiring = r->next;
		reg_free(r);
	}
}

void trunk_reg_get_info(const struct trunk_reg *r, struct trunk_reg_info *info)
{
	time_t now = time(NULL);

	info->trunk = r->trunk;
	info->state = r->state;
	info->expires_in = r->state == TRUNK_REG_REGISTERED
				   ? r->granted - (now - r->registered_at)
				   : 0;
	info->next_attempt_in =
		r->next_attempt ? (long long)(r->next_attempt - now) : -1;
	if (info->next_attempt_in < -1)
		info->next_attempt_in = 0;
	info->failures = r->failures;
	info->flow_failures = r->flow_failures;
	info->last_response = r->last;
	info->reason = r->reason;
	info->route = r->route;
	info->flow = r->flow;
	info->aor = r->aor;
	info->expires_asked = r->expires;
	info->retry_base_s = r->retry_base_s;
	info->retry_max_s = r->retry_max_s;
	info->fb = r->fb;
}

bool trunk_reg_info(const struct trunk_gateway *gw, const char *trunk,
		    struct trunk_reg_info *info)
{
	const struct trunk_reg *r;

	for (r = gw->regs; r; r = r->next) {
		if (!strcmp(r->trunk, trunk)) {
			trunk_reg_get_info(r, info);
			return true;
		}
	}
	return false;
}

const struct trunk_reg *trunk_reg_next(const struct trunk_gateway *gw,
				       const struct trunk_reg *prev)
{
	return prev ? prev->next : gw->regs;
}

void trunk_reg_presumed_lost(struct trunk_gateway *gw, const char *trunk,
			     const char *why)
{
	struct trunk_reg *r;
	char text[200];

	for (r = gw->regs; r; r = r->next) {
		if (strcmp(r->trunk, trunk) || r->state != TRUNK_REG_REGISTERED)
			continue;
		snprintf(text, sizeof(text),
			 "%s: registration presumed lost (REG-11)", why);
		LOGW(SUBSYS, r->ctx, "%s", text);
		reg_set_state(r, TRUNK_REG_REGISTERING, text);
		reg_send(r, r->expires);
	}
}

/* ---------------------------------------------------------------------- */
/* Reload                                                                  */

/* A retired registration is done: unlink and free it, from the loop. */
static void reg_retire_fired(su_root_magic_t *m, su_timer_t *t,
			     struct trunk_reg *r)
{
	struct trunk_reg **pp;

	(void)m;
	(void)t;
	for (pp = &r->gw->regs_retiring; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	reg_free(r);
}

/* The un-REGISTER of a retired registration was answered (or failed):
 * no retry, no challenge (its credentials may be gone); freed from the
 * loop. */
static int reg_retired(struct trunk_reg *r, nta_outgoing_t *orq, int status)
{
	if (status < 300)
		LOGI(SUBSYS, r->ctx, "unregistered (removed by a reload)");
	else
		LOGI(SUBSYS, r->ctx,
		     "un-REGISTER after a reload answered %d: the old binding "
		     "expires by itself",
		     status);
	trunk_hook_run(r->gw, "registration", r->trunk, "removed",
		       status < 300 ? "unregistered after a reload"
				    : "un-REGISTER failed after a reload");
	if (r->orq == orq)
		r->orq = NULL;
	trunk_tls_orq_destroy(r->gw, orq);
	trunk_flow_close(r->flow);
	su_timer_set_interval(r->timer, reg_retire_fired, r, 0);
	return 0;
}

/* Take r out of service: un-REGISTER it (when something is registered)
 * and free it when answered. */
static void reg_retire(struct trunk_reg *r, const char *why)
{
	LOGI(SUBSYS, r->ctx, "%s", why);
	/* Its successor may run under the same name: tell them apart. */
	snprintf(r->ctx, sizeof(r->ctx), "trunk %s (old)", r->trunk);
	r->retiring = true;
	r->next = r->gw->regs_retiring;
	r->gw->regs_retiring = r;
	if (r->state == TRUNK_REG_REGISTERED) {
		r->expires = 0;
		reg_send(r, 0); /* its answer frees r (reg_retired) */
		if (r->orq)
			return;
	}
	if (r->orq)
		trunk_tls_orq_destroy(r->gw, r->orq);
	r->orq = NULL;
	trunk_flow_close(r->flow);
	trunk_hook_run(r->gw, "registration", r->trunk, "removed", why);
	su_timer_set_interval(r->timer, reg_retire_fired, r, 0);
}

static bool reg_str_changed(const struct config_section *a,
			    const struct config_section *b, const char *key)
{
	const char *x = config_is_set(a, key) ? config_get_str(a, key) : "";
	const char *y = config_is_set(b, key) ? config_get_str(b, key) : "";

	return strcmp(x, y) != 0;
}

/* What the REGISTER is and where it goes: a change re-forms the
 * registration (un-REGISTER the old binding, REGISTER the new one). */
static bool reg_identity_changed(const struct trunk_reg *a,
				 const struct trunk_reg *b)
{
	unsigned i;

	if (strcmp(a->ruri, b->ruri) || strcmp(a->contact, b->contact) ||
	    strcmp(a->via, b->via) || a->nalt != b->nalt ||
	    strcmp(a->aor, b->aor))
		return true;
	if (!a->nalt)
		return strcmp(a->route, b->route) ||
		       strcmp(a->tls_name, b->tls_name);
	for (i = 0; i < a->nalt; i++)
		if (strcmp(a->alt[i].route, b->alt[i].route) ||
		    strcmp(a->alt[i].tls_name, b->alt[i].tls_name))
			return true;
	return false;
}

/* The same registration under the new section: timers and back-off
 * bases (next cycle), the expiry asked for (next REGISTER), the flow's
 * keep-alive settings (at once), a new attempt when the credentials
 * changed. */
static void reg_update(struct trunk_reg *r, const struct config_section *told,
		       const struct config_section *tnew)
{
	struct trunk_flow_params fp;

	reg_flow_params(r, tnew, &fp);
	trunk_flow_set_params(r->flow, &fp);
	if (config_get_int(told, "register_expires") !=
	    config_get_int(tnew, "register_expires"))
		r->expires = config_get_int(tnew, "register_expires") / 1000;
	if (!reg_str_changed(told, tnew, "username") &&
	    !reg_str_changed(told, tnew, "password"))
		return;
	LOGI(SUBSYS, r->ctx, "credentials changed: registering again");
	trunk_auth_forget(r->gw, r->trunk);
	r->refusals = r->failures = 0;
	r->flow_failures = 0;
	su_timer_set_interval(r->timer, reg_timer_fired, r, 0);
}

int trunk_regs_reload(struct trunk_gateway *gw, const struct config *old,
		      const struct config *cfg)
{
	struct trunk_reg **pp, *r, *fresh, *added = NULL, *last;
	const struct config_section *t, *told;
	int rc;

	/* Trunks gone from registration mode: un-REGISTER them. */
	for (pp = &gw->regs; (r = *pp);) {
		t = trunk_config_trunk(cfg, r->trunk);
		if (t && !strcmp(config_get_str(t, "mode"), "registration")) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		reg_retire(r, "trunk removed or no longer in registration "
			      "mode: unregistering");
	}
	t = NULL;
	while ((t = config_section_next(cfg, "trunk", t))) {
		if (strcmp(config_get_str(t, "mode"), "registration"))
			continue;
		fresh = reg_make(gw, cfg, t, &rc);
		if (!fresh)
			return rc;
		for (pp = &gw->regs; (r = *pp); pp = &r->next)
			if (!strcmp(r->trunk, fresh->trunk))
				break;
		told = r ? trunk_config_trunk(old, r->trunk) : NULL;
		if (r && told && !reg_identity_changed(r, fresh)) {
			reg_free(fresh); /* the same registration */
			reg_update(r, told, t);
			continue;
		}
		if (r) { /* re-formed: the new one takes r's place */
			fresh->next = r->next;
			*pp = fresh;
			reg_retire(r, "registration changed by a reload: "
				      "unregistering the old binding");
		} else {
			LOGI(SUBSYS, fresh->ctx,
			     "trunk added by a reload: registering");
			fresh->next = added;
			added = fresh;
		}
		/* From the loop: after the reload is complete. */
		su_timer_set_interval(fresh->timer, reg_timer_fired, fresh, 0);
	}
	if (added) {
		for (last = added; last->next; last = last->next)
			;
		last->next = gw->regs;
		gw->regs = added;
	}
	return 0;
}
