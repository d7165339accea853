/*
 * The control interface (docs/control.md): a UNIX stream socket served on
 * the signalling thread. A client writes one command per line ("status",
 * "reload", ...) and reads one JSON object per line back:
 *   {"ok":true,...}  or  {"ok":false,"error":"why"}
 * Requests are tiny and answered at once. An answer the socket cannot
 * take at once (`calls` with thousands of calls: no size limit but
 * CONTROL_REPLY_MAX) is kept and sent as the client reads it, without
 * blocking the thread; meanwhile that client's next commands wait.
 * Access is by file permissions: 0600, or 0660 and group-owned by
 * control_group.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cdr.h"
#include "gateway.h"
#include "tls.h"
#include "flow.h"
#include "registration.h"
#include "sofia_home.h"
#include "dialtest.h"

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>

#define SUBSYS		 "trunk.control"
#define CONTROL_LINE_MAX 4096
/* A reply larger than this is an error (a runaway, not a call list:
 * 100,000 calls take about 30 MB). */
#define CONTROL_REPLY_MAX (64u << 20)

struct trunk_control_client {
	struct trunk_control *ctl; /* borrowed */
	struct trunk_control_client *next;
	int fd;
	int reg;
	su_wait_t wait[1];
	/* The rest of an answer the socket did not take yet (malloc'd). */
	char *out;
	size_t out_len, out_off;
	size_t used;
	char buf[CONTROL_LINE_MAX];
};

struct trunk_control {
	struct trunk_gateway *gw; /* borrowed */
	char *path;
	int fd;
	bool bound; /* the socket file is ours to unlink */
	int reg;
	su_wait_t wait[1];
	struct trunk_control_client *clients;
};

/* A growing reply buffer (malloc'd); beyond CONTROL_REPLY_MAX or out of
 * memory the reply becomes an error. */
struct trunk_reply {
	size_t len, cap;
	bool overflow;
	char *buf;
};

/* Room for n more bytes and a NUL; false (overflow) if none. */
static bool reply_room(struct trunk_reply *r, size_t n)
{
	size_t cap = r->cap ? r->cap : 4096;
	char *b;

	if (r->len + n + 1 <= r->cap)
		return true;
	while (cap < r->len + n + 1)
		cap *= 2;
	if (cap > CONTROL_REPLY_MAX || !(b = realloc(r->buf, cap))) {
		r->overflow = true;
		return false;
	}
	r->buf = b;
	r->cap = cap;
	return true;
}

static void reply_add(struct trunk_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply_add(struct trunk_reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reply_room(r, (size_t)n)) {
		r->overflow = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	r->len += (size_t)n;
}

/* A JSON string literal, escaped per RFC 8259. */
static void reply_str(struct trunk_reply *r, const char *s)
{
	reply_add(r, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			reply_add(r, "\\%c", c);
		else if (c < 0x20)
			reply_add(r, "\\u%04x", c);
		else
			reply_add(r, "%c", c);
	}
	reply_add(r, "\"");
}

/* A held TLS connection to an SP-SSE: what certs/ saw of it. */
static void control_tls_state(struct trunk_reply *r,
			      const struct trunk_tls_state *t)
{
	reply_add(r, ",\"tls\":{\"connected\":%s,\"verified\":%s",
		  t->connected ? "true" : "false",
		  t->verified ? "true" : "false");
	if (t->version[0]) {
		reply_add(r, ",\"version\":");
		reply_str(r, t->version);
		reply_add(r, ",\"cipher\":");
		reply_str(r, t->cipher);
		reply_add(r, ",\"identity\":");
		reply_str(r, t->identity);
		reply_add(r, ",\"expiry\":%lld,\"ocsp\":", t->expiry);
		reply_str(r, t->ocsp);
	}
	reply_add(r, "}");
}

/* A trunk is up when one SP-SSE answers, down when all fail, unknown
 * before the first answer or without pings (registration flows: issue 6). */
static void control_status_peers(struct trunk_control *ctl, const char *trunk,
				 struct trunk_reply *r)
{
	const struct trunk_peer *p = NULL;
	enum trunk_peer_state best = TRUNK_PEER_UNKNOWN;
	struct trunk_peer_info pi;
	struct trunk_reg_info ri;
	const char *sep = "";
	bool all_down = true, any = false;
	struct trunk_dns_info di;

	if (trunk_dns_info(ctl->gw, trunk, &di)) { /* RFC 3263 (peer_dns.c) */
		reply_add(r, ",\"dns\":{\"domain\":");
		reply_str(r, di.domain);
		reply_add(r, ",\"state\":\"%s\"", di.state);
		reply_add(r, ",\"srv\":");
		reply_str(r, di.srv);
		reply_add(r,
			  ",\"addresses\":%zu,\"lookups\":%lu,"
			  "\"failed\":%lu,\"refused\":%lu,"
			  "\"next_lookup_in\":%lld}",
			  di.addrs, di.lookups, di.failed, di.refused,
			  di.next_ms / 1000);
	}
	reply_add(r, ",\"sse\":[");
	while ((p = trunk_peer_next(ctl->gw, trunk, p))) {
		trunk_peer_info(p, &pi);
		reply_add(r, "%s{\"address\":", sep);
		reply_str(r, pi.addr);
		reply_add(r,
			  ",\"state\":\"%s\",\"pings\":%lu,"
			  "\"failures\":%lu",
			  trunk_peer_state_name(pi.state), pi.pings,
			  pi.failures);
		if (pi.dns) { /* found by RFC 3263 (peer_dns.c) */
			reply_add(r, ",\"target\":");
			reply_str(r, pi.dns->host);
			reply_add(r, ",\"priority\":%u,\"weight\":%u",
				  pi.dns->prio, pi.dns->weight);
		}
		if (pi.tls) /* the held connection (TLS-11, docs/tls.md) */
			control_tls_state(r, &pi.tls_state);
		reply_add(r, "}");
		any = true;
		if (pi.state == TRUNK_PEER_UP)
			best = TRUNK_PEER_UP;
		if (pi.state != TRUNK_PEER_DOWN)
			all_down = false;
		sep = ",";
	}
	if (any && all_down)
		best = TRUNK_PEER_DOWN;
	if (trunk_reg_info(ctl->gw, trunk, &ri)) {
		/* Registration mode: the trunk is what its registration is. */
		reply_add(r,
			  "],\"registration\":{\"state\":\"%s\","
			  "\"expires_in\":%lld,\"failures\":%u},"
			  "\"state\":\"%s\"",
			  trunk_reg_state_names[ri.state], ri.expires_in,
			  ri.failures,
			  ri.state == TRUNK_REG_REGISTERED ? "up" : "down");
		return;
	}
	reply_add(r, "],\"state\":\"%s\"", trunk_peer_state_name(best));
}

static void control_status_trunks(struct trunk_control *ctl,
				  struct trunk_reply *r)
{
	const struct config_section *sec = NULL;
	const char *sep = "";

	reply_add(r, ",\"trunks\":[");
	while ((sec = config_section_next(ctl->gw->cfg, "trunk", sec))) {
		reply_add(r, "%s{\"name\":", sep);
		reply_str(r, config_section_name(sec));
		reply_add(r, ",\"mode\":");
		reply_str(r, config_get_str(sec, "mode"));
		reply_add(r, ",\"transport\":");
		reply_str(r, config_get_str(sec, "transport"));
		control_status_peers(ctl, config_section_name(sec), r);
		reply_add(r, "}");
		sep = ",";
	}
	reply_add(r, "]");
}

/* TLS connections toward carriers that failed (tls_watch.c). */
static void control_status_tls(struct trunk_control *ctl, struct trunk_reply *r)
{
	const char *last;
	unsigned long n = trunk_tls_failures(ctl->gw, &last);

	reply_add(r, ",\"tls\":{\"failures\":%lu,\"last_failure\":", n);
	reply_str(r, last ? last : "");
	reply_add(r, "}");
}

/* New INVITEs refused before any transaction (admission.c), the UDP
 * datagrams read per wake-up (sofia_udp.c: reads of up to 8, the
 * datagrams they brought, the reads that brought 8), and nta's
 * own transaction counts per side: a refused INVITE creates none. The
 * transactions held include those nta keeps after their end for the RFC
 * 3261 timers: none, server or client, once the signalling has been
 * quiet for those timers (tests/integration/093). */
static void control_status_admission(struct trunk_control *ctl,
				     struct trunk_reply *r)
{
	struct trunk_admission_info ai;
	unsigned long long reads, dgrams, full, sends, sent;
	enum trunk_side side;

	trunk_admission_info(ctl->gw, &ai);
	reply_add(
		r,
		",\"admission\":{\"admitted\":%llu,\"refused\":{"
		"\"overload\":%llu,\"max_calls\":%llu,"
		"\"max_call_rate\":%llu},\"refused_again\":%llu,"
		"\"emergency_exempt\":%llu,"
		"\"share_admitted_pct\":%u.%u,\"windows_overloaded\":%llu,"
		"\"last_wait_us\":%lld,\"max_calls\":%u,"
		"\"max_call_rate\":%u,\"overload_delay_ms\":%lld}",
		ai.admitted, ai.refused[TRUNK_ADMIT_OVERLOAD],
		ai.refused[TRUNK_ADMIT_MAX_CALLS], ai.refused[TRUNK_ADMIT_RATE],
		ai.refused_again, ai.emergency_exempt, ai.share_per_mille / 10,
		ai.share_per_mille % 10, ai.windows_overloaded, ai.last_wait_us,
		ai.max_calls, ai.max_call_rate, ai.overload_delay_ms);
	trunk_sofia_udp_stats(&reads, &dgrams, &full);
	trunk_sofia_udp_send_stats(&sends, &sent);
	reply_add(r,
		  ",\"udp_batch\":{\"reads\":%llu,\"datagrams\":%llu,"
		  "\"full\":%llu,\"held_sends\":%llu,"
		  "\"held_datagrams\":%llu}",
		  reads, dgrams, full, sends, sent);
	reply_add(r, ",\"sip\":{");
	for (side = 0; side < TRUNK_SIDE_COUNT; side++) {
		usize_t held = 0, created = 0, trless = 0, client = 0;

		if (ctl->gw->agents[side])
			nta_agent_get_stats(
				trunk_agent_nta(ctl->gw->agents[side]),
				NTATAG_S_IRQ_HASH_USED_REF(held),
				NTATAG_S_SERVER_TR_REF(created),
				NTATAG_S_TRLESS_REQUEST_REF(trless),
				NTATAG_S_ORQ_HASH_USED_REF(client), TAG_END());
		reply_add(r,
			  "%s\"%s\":{\"server_transactions\":%zu,"
			  "\"server_transactions_created\":%zu,"
			  "\"requests_without_transaction\":%zu,"
			  "\"client_transactions\":%zu}",
			  side ? "," : "", trunk_side_names[side], (size_t)held,
			  (size_t)created, (size_t)trless, (size_t)client);
	}
	reply_add(r, "}");
}

/* The RTP relay: RTP/RTCP pairs free in the port range (a new call needs
 * one per leg; none: 503), datagrams dropped on pairs no call had, the
 * media threads' CPU time, kernel forwarding (docs/media.md). */
static void control_status_media(struct trunk_control *ctl,
				 struct trunk_reply *r)
{
	const struct media_engine *e = ctl->gw->media;
	struct media_kfwd_status k;

	if (!e)
		return;
	media_engine_kfwd_status(e, &k);
	reply_add(r,
		  ",\"media\":{\"pairs_free\":%u,\"stray_drops\":%llu,"
		  "\"cpu_ms\":%llu,\"kernel_forwarding\":{\"active\":%s,"
		  "\"attach\":\"%s\",\"entries\":%u,\"packets\":%llu,"
		  "\"map_id\":%u}}",
		  media_engine_ports_free(e),
		  (unsigned long long)media_engine_stray_drops(e),
		  (unsigned long long)(media_engine_cpu_ns(e) / 1000000),
		  k.active ? "true" : "false", k.attach, k.entries,
		  (unsigned long long)k.packets, k.map_id);
}

/* "heap": the heap in use (trunk_heap_in_use(): blocks allocated, not
 * what malloc keeps freed), without the freed preload areas this thread
 * keeps for reuse (sofia_alloc.c), and the allocator: memory per call
 * (tests/bench/calls, tests 093 and 125). Only on request: with glibc's
 * malloc, mallinfo2() walks every free chunk of every arena on this
 * thread, 10-20 ms on the heap of a few hundred calls/s (190 MB), during
 * which no SIP message is read; a monitor that polls `trunkctl status`
 * must not pay that. */
static void control_status_heap(struct trunk_reply *r)
{
	struct timespec t0, t1;
	size_t bytes, kept;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	bytes = trunk_heap_in_use();
	kept = trunk_home_area_cached();
	bytes -= kept < bytes ? kept : bytes;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	reply_add(r,
		  ",\"heap_bytes\":%zu,\"heap_walk_us\":%lld,"
		  "\"allocator\":\"%s\"",
		  bytes,
		  (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
			  (t1.tv_nsec - t0.tv_nsec) / 1000,
		  trunk_malloc_name());
}

/* Call detail records (cdr.c): rows written, dropped (queue full or lost
 * at shutdown), failed transactions, rows waiting, rows deleted after
 * cdr_keep_days; absent with cdr = off. */
static void control_status_cdr(struct trunk_control *ctl, struct trunk_reply *r)
{
	struct trunk_cdr_stats st;

	if (!ctl->gw->cdr)
		return;
	trunk_cdr_writer_get_stats(ctl->gw->cdr, &st);
	reply_add(r,
		  ",\"cdr\":{\"written\":%llu,\"dropped\":%llu,"
		  "\"failures\":%llu,\"queued\":%u,\"purged\":%llu}",
		  st.written, st.dropped, st.failures, st.queued, st.purged);
}

static void control_status(struct trunk_control *ctl, bool heap,
			   struct trunk_reply *r)
{
	struct trunk_gateway *gw = ctl->gw;

	reply_add(r,
		  "{\"ok\":true,\"version\":\"%s\",\"pid\":%ld,"
		  "\"uptime_s\":%lld,\"config\":",
		  TRUNKD_VERSION, (long)getpid(),
		  (long long)(time(NULL) - gw->started));
	reply_str(r, config_file(gw->cfg));
	reply_add(r, ",\"generation\":%u,\"draining\":%s,\"calls\":%u",
		  gw->generation, gw->draining ? "true" : "false", gw->ncalls);
	/* served on the signalling thread: its own slice (sched.c) */
	reply_add(r, ",\"signalling_slice_us\":%llu",
		  (unsigned long long)(trunk_sched_slice_ns() / 1000));
	if (heap)
		control_status_heap(r);
	control_status_trunks(ctl, r);
	control_status_tls(ctl, r);
	control_status_admission(ctl, r);
	control_status_media(ctl, r);
	control_status_cdr(ctl, r);
	reply_add(r, "}");
}

static void control_reload(struct trunk_control *ctl, struct trunk_reply *r)
{
	char errs[2048];

	if (trunk_gateway_reload(ctl->gw, errs, sizeof(errs)) == 0) {
		reply_add(r, "{\"ok\":true,\"generation\":%u}",
			  ctl->gw->generation);
		return;
	}
	reply_add(r, "{\"ok\":false,\"error\":");
	reply_str(r, errs);
	reply_add(r, "}");
}

static void control_calls(struct trunk_control *ctl, struct trunk_reply *r)
{
	const struct trunk_call *call = NULL;
	struct trunk_call_info ci;
	const char *sep = "";

	reply_add(r, "{\"ok\":true,\"calls\":[");
	while ((call = trunk_call_next(ctl->gw, call))) {
		trunk_call_info(call, &ci);
		reply_add(r,
			  "%s{\"id\":%llu,\"state\":\"%s\",\"from\":\"%s\","
			  "\"to\":\"%s\",\"duration_s\":%lld,\"target\":",
			  sep, ci.id, ci.state, trunk_side_names[ci.from],
			  trunk_side_names[ci.to], ci.duration_s);
		reply_str(r, ci.target);
		reply_add(r, ",\"emergency\":%s,\"legs\":[",
			  ci.emergency ? "true" : "false");
		for (int i = 0; i < 2; i++) {
			reply_add(r, "%s{\"call_id\":", i ? "," : "");
			reply_str(r, ci.call_id[i]);
			if (ci.media)
				reply_add(
					r,
					",\"media_port\":%u,\"rtp_in\":%llu,"
					"\"rtp_out\":%llu,\"rtcp_in\":%llu,"
					"\"rtcp_out\":%llu,\"drop_hold\":%llu",
					ci.media_port[i],
					(unsigned long long)ci.rtp_in[i],
					(unsigned long long)ci.rtp_out[i],
					(unsigned long long)ci.rtcp_in[i],
					(unsigned long long)ci.rtcp_out[i],
					(unsigned long long)ci.drop_hold[i]);
			reply_add(r, "}");
		}
		reply_add(r, "]}");
		sep = ",";
	}
	reply_add(r, "]}");
}

/* The trunks' own registrations (Registration mode, REG-*): state,
 * reason, last response, next attempt and back-off counts. */
static void control_trunk_registrations(struct trunk_control *ctl,
					struct trunk_reply *r)
{
	const struct trunk_reg *g = NULL;
	struct trunk_reg_info ri;
	const char *sep = "";

	reply_add(r, ",\"trunks\":[");
	while ((g = trunk_reg_next(ctl->gw, g))) {
		trunk_reg_get_info(g, &ri);
		reply_add(r, "%s{\"trunk\":", sep);
		reply_str(r, ri.trunk);
		reply_add(r,
			  ",\"state\":\"%s\",\"expires_in\":%lld,"
			  "\"next_attempt_in\":%lld,\"failures\":%u,"
			  "\"flow_failures\":%u,\"last_response\":",
			  trunk_reg_state_names[ri.state], ri.expires_in,
			  ri.next_attempt_in, ri.failures, ri.flow_failures);
		reply_str(r, ri.last_response);
		reply_add(r, ",\"reason\":");
		reply_str(r, ri.reason);
		reply_add(r, ",\"sse\":");
		reply_str(r, ri.route);
		/* The settings in force (a reload changes them, issue 6). */
		reply_add(r, ",\"aor\":");
		reply_str(r, ri.aor);
		reply_add(r,
			  ",\"expires_asked\":%lld,"
			  "\"register_retry_s\":[%u,%u],"
			  "\"flow_retry_s\":[%u,%u,%u]}",
			  ri.expires_asked, ri.retry_base_s, ri.retry_max_s,
			  ri.fb.all_failed_s, ri.fb.some_failed_s, ri.fb.max_s);
		sep = ",";
	}
	reply_add(r, "]");
}

static void control_registrations(struct trunk_control *ctl,
				  struct trunk_reply *r)
{
	const struct trunk_binding *b = NULL;
	struct trunk_binding_info bi;
	const char *sep = "";

	reply_add(r, "{\"ok\":true,\"registrations\":[");
	while ((b = trunk_binding_next(ctl->gw, NULL, b))) {
		trunk_binding_info(b, &bi);
		reply_add(r, "%s{\"phone\":", sep);
		reply_str(r, bi.phone);
		reply_add(r, ",\"contact\":");
		reply_str(r, bi.contact);
		reply_add(r, ",\"expires_in\":%lld}", bi.expires_in);
		sep = ",";
	}
	reply_add(r, "]");
	control_trunk_registrations(ctl, r);
	reply_add(r, "}");
}

/* One flow as JSON (issue 6 item 5). */
static void control_flow(const struct trunk_flow *f, struct trunk_reply *r)
{
	struct trunk_flow_info fi;

	trunk_flow_info(f, &fi);
	reply_add(r, "{\"trunk\":");
	reply_str(r, fi.trunk);
	/* A registration's flow, or a call's dialog (RFC 6223 keep). */
	reply_add(r, ",\"owner\":\"%s\",\"call\":",
		  fi.call[0] ? "dialog" : "registration");
	reply_str(r, fi.call);
	reply_add(r,
		  ",\"id\":%u,\"state\":\"%s\",\"transport\":\"%s\","
		  "\"local\":",
		  fi.id, trunk_flow_state_names[fi.state], fi.transport);
	reply_str(r, fi.local);
	reply_add(r, ",\"remote\":");
	reply_str(r, fi.remote);
	reply_add(r,
		  ",\"keepalive\":\"%s\",\"interval_ms\":%u,"
		  "\"server_value_s\":%u,\"interval_source\":\"%s\","
		  "\"pings\":%lu,\"last_ping_ago_s\":%lld,"
		  "\"last_pong_ago_s\":%lld,\"up_for_s\":%lld,"
		  "\"failures\":%lu,\"reason\":",
		  fi.keepalive, fi.interval_ms, fi.server_s,
		  trunk_flow_source_names[fi.source], fi.pings,
		  fi.last_ping_ago, fi.last_pong_ago, fi.up_for, fi.failures);
	reply_str(r, fi.reason);
	reply_add(r, ",\"mapped\":");
	reply_str(r, fi.mapped);
	reply_add(r, ",\"keepalive_timeout_ms\":%u,\"probe_every\":%u",
		  fi.timeout_ms, fi.probe_every);
	if (!strcmp(fi.transport, "tls") && fi.state == TRUNK_FLOW_UP) {
		struct trunk_tls_state ts;

		/* What certs/ saw of the connection (issue 5 item 5). */
		trunk_tls_conn_state(fi.remote, &ts);
		control_tls_state(r, &ts);
	}
	reply_add(r, "}");
}

static void control_flows(struct trunk_control *ctl, struct trunk_reply *r)
{
	const struct trunk_reg *g = NULL;
	const struct trunk_flow *f = NULL;
	struct trunk_reg_info ri;
	struct trunk_flow_info fi;
	const char *sep = "";

	reply_add(r, "{\"ok\":true,\"flows\":[");
	/* The registrations' flows first, then the dialogs' (KEEP-2). */
	while ((g = trunk_reg_next(ctl->gw, g))) {
		trunk_reg_get_info(g, &ri);
		if (!ri.flow)
			continue;
		reply_add(r, "%s", sep);
		control_flow(ri.flow, r);
		sep = ",";
	}
	while ((f = trunk_flow_next(f))) {
		trunk_flow_info(f, &fi);
		if (!fi.call[0])
			continue;
		reply_add(r, "%s", sep);
		control_flow(f, r);
		sep = ",";
	}
	reply_add(r, "]}");
}

static void control_error(struct trunk_reply *r, const char *why,
			  const char *cmd);

/* The dial plan's decision in a dialplan test answer. */
static void control_dialplan_result(const struct dialplan_result *res,
				    struct trunk_reply *r)
{
	size_t i;

	reply_add(r, ",\"rule\":");
	if (res->rule.file)
		reply_add(r, "\"%s:%u\"", res->rule.file, res->rule.line);
	else
		reply_add(r, "null");
	reply_add(r, ",\"context\":");
	reply_str(r, res->context);
	reply_add(r, ",\"action\":\"%s\",\"targets\":[",
		  dialplan_action_name(res->action));
	for (i = 0; i < res->n_targets; i++) {
		reply_add(r, "%s", i ? "," : "");
		reply_str(r, res->targets[i]);
	}
	reply_add(r, "],\"number\":");
	reply_str(r, res->number);
	reply_add(r,
		  ",\"e164\":%s,\"presentation\":\"%s\","
		  "\"identity\":",
		  res->e164 ? "true" : "false",
		  dialplan_presentation_name(res->presentation));
	reply_str(r, res->identity);
	if (res->action == DIALPLAN_ACTION_REJECT)
		reply_add(r, ",\"code\":%u", res->code);
}

/* "dialplan test NUMBER [caller=N] [direction=outbound|inbound]
 * [context=C] [from=SECTION] [privacy=id]": what a call would do, leg B's
 * INVITE included, without placing it (issue 4 item 3, dialtest.c). */
static void control_dialplan_test(struct trunk_control *ctl,
				  struct trunk_reply *r)
{
	struct trunk_dialtest q = { 0 };
	struct dialtest_report *rep;
	char *arg, why[256];
	size_t i;
	int rc;

	arg = strtok(NULL, " \t");
	if (!arg || strcmp(arg, "test") || !(q.number = strtok(NULL, " \t"))) {
		control_error(r,
			      "usage: dialplan test NUMBER [caller=N] "
			      "[direction=outbound|inbound] [context=NAME] "
			      "[from=SECTION] [privacy=id]",
			      "dialplan");
		return;
	}
	while ((arg = strtok(NULL, " \t"))) {
		if (!strncmp(arg, "caller=", 7))
			q.caller = arg + 7;
		else if (!strncmp(arg, "context=", 8))
			q.context = arg + 8;
		else if (!strncmp(arg, "from=", 5))
			q.from = arg + 5;
		else if (!strcmp(arg, "privacy=id"))
			q.privacy = true;
		else if (!strcmp(arg, "direction=inbound"))
			q.inbound = true;
		else if (strcmp(arg, "direction=outbound")) {
			control_error(r, "unknown argument", arg);
			return;
		}
	}
	if (!ctl->gw->plan) {
		control_error(r, "no [dialplan] file is configured",
			      "dialplan");
		return;
	}
	rep = calloc(1, sizeof(*rep));
	rc = rep ? dialtest_run(ctl->gw, &q, rep, why, sizeof(why)) : ENOMEM;
	if (rc) {
		control_error(r, rc == ENOMEM ? "out of memory" : why,
			      "dialplan");
		free(rep);
		return;
	}
	reply_add(r, "{\"ok\":true");
	control_dialplan_result(&rep->res, r);
	reply_add(r, ",\"emergency\":%s,\"status\":%d,\"to\":\"%s\",",
		  rep->emergency || rep->res.emergency ? "true" : "false",
		  rep->status, rep->status ? "" : trunk_side_names[rep->side]);
	reply_add(r, "\"peer\":");
	reply_str(r, rep->peer);
	reply_add(r, ",\"peer_kind\":");
	reply_str(r, rep->peer_kind);
	reply_add(r, ",\"request_uri\":");
	reply_str(r, rep->status ? "" : rep->ruri);
	reply_add(r, ",\"to_header\":");
	reply_str(r, rep->status ? "" : rep->to);
	reply_add(r, ",\"from\":");
	reply_str(r, rep->status ? "" : rep->from);
	reply_add(r, ",\"headers\":[");
	for (i = 0; !rep->status && i < rep->nheaders; i++) {
		reply_add(r, "%s{\"name\":", i ? "," : "");
		reply_str(r, rep->hname[i]);
		reply_add(r, ",\"value\":");
		reply_str(r, rep->hvalue[i]);
		reply_add(r, "}");
	}
	reply_add(r, "],\"location\":");
	reply_str(r, !rep->status && rep->location ? rep->location : "");
	reply_add(r, "}");
	free(rep);
}

static void control_hangup(struct trunk_control *ctl, const char *arg,
			   struct trunk_reply *r)
{
	char *end;
	unsigned long long id = arg ? strtoull(arg, &end, 10) : 0;

	if (!arg || *end || !id) {
		control_error(r, "usage: hangup CALL-ID (see: calls)",
			      "hangup");
		return;
	}
	if (trunk_call_hangup(ctl->gw, id)) {
		control_error(r, "no such call", "hangup");
		return;
	}
	reply_add(r, "{\"ok\":true}");
}

/* Why a transfer or a join failed, for its `error`: "reason (status)". */
static void control_xfer_why(int status, char *why, size_t len)
{
	snprintf(why, len, "%s (%d)",
		 status == 404	 ? "no such call or target"
		 : status == 491 ? "a call is not up, or a transfer or "
				   "re-INVITE is under way"
		 : status == 480 ? "the target phone is not registered"
		 : status == 403 ? "not transferred to an emergency number"
		 : status == 484 ? "the number makes no address on the trunk"
		 : status == 488 ? "no enterprise leg, or no offer for the "
				   "new party"
		 : status == 503 ? "the trunk is full or unresolved, or no "
				   "media ports"
				 : "cannot call the new party",
		 status);
}

/* transfer CALL TARGET: 3pcc transfer of the call's enterprise leg. */
static void control_transfer(struct trunk_control *ctl, const char *arg,
			     const char *target, struct trunk_reply *r)
{
	char *end, why[96];
	unsigned long long id = arg ? strtoull(arg, &end, 10) : 0;
	int status;

	if (!arg || *end || !id || !target) {
		control_error(r, "usage: transfer CALL-ID TARGET (see: calls)",
			      "transfer");
		return;
	}
	status = trunk_call_transfer(ctl->gw, id, target);
	if (status) {
		control_xfer_why(status, why, sizeof(why));
		control_error(r, why, "transfer");
		return;
	}
	reply_add(r, "{\"ok\":true}");
}

/* join CALL OTHER: attended transfer, OTHER's far end into CALL. */
static void control_join(struct trunk_control *ctl, const char *a,
			 const char *b, struct trunk_reply *r)
{
	char *end1 = NULL, *end2 = NULL, why[96];
	unsigned long long id = a ? strtoull(a, &end1, 10) : 0;
	unsigned long long other = b ? strtoull(b, &end2, 10) : 0;
	int status;

	if (!a || !b || *end1 || *end2 || !id || !other || id == other) {
		control_error(r,
			      "usage: join CALL-ID OTHER-CALL-ID (see: calls)",
			      "join");
		return;
	}
	status = trunk_call_join(ctl->gw, id, other);
	if (status) {
		control_xfer_why(status, why, sizeof(why));
		control_error(r, why, "join");
		return;
	}
	reply_add(r, "{\"ok\":true}");
}

static void control_error(struct trunk_reply *r, const char *why,
			  const char *cmd)
{
	char text[256];

	snprintf(text, sizeof(text), "%s: %s", cmd, why);
	reply_add(r, "{\"ok\":false,\"error\":");
	reply_str(r, text);
	reply_add(r, "}");
}

/* Commands that later issues fill in; named so clients get a clear answer. */
static const char *const control_later[] = {
	"metrics",
	"trace",
	NULL,
};

static void control_dispatch(struct trunk_control *ctl, char *line,
			     struct trunk_reply *r)
{
	char *cmd = strtok(line, " \t");
	size_t i;

	if (!cmd) {
		control_error(r, "empty command", "");
		return;
	}
	if (!strcmp(cmd, "status")) {
		char *arg = strtok(NULL, " \t");

		if (arg && strcmp(arg, "heap"))
			control_error(r, "unknown argument (try: status heap)",
				      arg);
		else
			control_status(ctl, arg != NULL, r);
		return;
	}
	if (!strcmp(cmd, "reload")) {
		control_reload(ctl, r);
		return;
	}
	if (!strcmp(cmd, "calls")) {
		control_calls(ctl, r);
		return;
	}
	if (!strcmp(cmd, "dialplan")) {
		control_dialplan_test(ctl, r);
		return;
	}
	if (!strcmp(cmd, "flows")) {
		control_flows(ctl, r);
		return;
	}
	if (!strcmp(cmd, "registrations")) {
		control_registrations(ctl, r);
		return;
	}
	if (!strcmp(cmd, "hangup")) {
		control_hangup(ctl, strtok(NULL, " \t"), r);
		return;
	}
	if (!strcmp(cmd, "transfer")) {
		char *id = strtok(NULL, " \t");

		control_transfer(ctl, id, strtok(NULL, " \t"), r);
		return;
	}
	if (!strcmp(cmd, "join")) {
		char *id = strtok(NULL, " \t");

		control_join(ctl, id, strtok(NULL, " \t"), r);
		return;
	}
	for (i = 0; control_later[i]; i++) {
		if (!strcmp(cmd, control_later[i])) {
			control_error(r, "not available in this version", cmd);
			return;
		}
	}
	control_error(r,
		      "unknown command (try: status, reload, calls, hangup, "
		      "transfer, join)",
		      cmd);
}

static void control_client_free(struct trunk_control_client *cl)
{
	struct trunk_control_client **pp;

	for (pp = &cl->ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	}
	if (cl->reg)
		su_root_deregister(cl->ctl->gw->root, cl->reg);
	su_wait_destroy(cl->wait);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

/* Send what the socket takes of the pending answer; when some is left,
 * wait until it can take more (and read no command meanwhile). False if
 * the client must be dropped. */
static bool control_client_flush(struct trunk_control_client *cl)
{
	ssize_t n;

	while (cl->out_off < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_off,
			 cl->out_len - cl->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			su_root_eventmask(cl->ctl->gw->root, cl->reg, cl->fd,
					  SU_WAIT_OUT | SU_WAIT_HUP);
			return true;
		}
		if (n <= 0)
			return false;
		cl->out_off += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->out_len = cl->out_off = 0;
	su_root_eventmask(cl->ctl->gw->root, cl->reg, cl->fd,
			  SU_WAIT_IN | SU_WAIT_HUP);
	return true;
}

/* Answer one line; false if the client must be dropped. */
static bool control_client_line(struct trunk_control_client *cl, char *line)
{
	struct trunk_reply r = { 0 };

	if (line[0] && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	control_dispatch(cl->ctl, line, &r);
	if (r.overflow) {
		r.len = 0;
		r.overflow = false;
		control_error(&r, "reply too large", line);
	}
	reply_add(&r, "\n");
	if (r.overflow) { /* out of memory even for the error */
		free(r.buf);
		return false;
	}
	cl->out = r.buf;
	cl->out_len = r.len;
	cl->out_off = 0;
	return control_client_flush(cl);
}

static int control_client_readable(struct trunk_gateway *gw, su_wait_t *w,
				   void *arg)
{
	struct trunk_control_client *cl = arg;
	char *nl;
	ssize_t n;

	(void)gw;
	(void)w;
	if (cl->out) { /* writable again: the rest of an answer first */
		if (!control_client_flush(cl)) {
			control_client_free(cl);
			return 0;
		}
		if (cl->out || !cl->used)
			return 0;
	} else {
		n = recv(cl->fd, cl->buf + cl->used,
			 sizeof(cl->buf) - 1 - cl->used, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			control_client_free(cl);
			return 0;
		}
		cl->used += (size_t)n;
		cl->buf[cl->used] = '\0';
	}
	while (!cl->out && (nl = strchr(cl->buf, '\n'))) {
		*nl = '\0';
		if (!control_client_line(cl, cl->buf)) {
			control_client_free(cl);
			return 0;
		}
		cl->used -= (size_t)(nl + 1 - cl->buf);
		memmove(cl->buf, nl + 1, cl->used + 1);
	}
	if (cl->used == sizeof(cl->buf) - 1) {
		LOGW(SUBSYS, NULL, "client sent a line over %d bytes; dropped",
		     CONTROL_LINE_MAX);
		control_client_free(cl);
	}
	return 0;
}

static int control_accept(struct trunk_gateway *gw, su_wait_t *w, void *arg)
{
	struct trunk_control *ctl = arg;
	struct trunk_control_client *cl;
	int fd;

	(void)w;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	cl = calloc(1, sizeof(*cl));
	if (!cl || su_wait_create(cl->wait, fd, SU_WAIT_IN | SU_WAIT_HUP)) {
		free(cl);
		close(fd);
		return 0;
	}
	cl->ctl = ctl;
	cl->fd = fd;
	cl->reg = su_root_register(gw->root, cl->wait, control_client_readable,
				   cl, 0);
	if (cl->reg <= 0) {
		cl->reg = 0;
		su_wait_destroy(cl->wait);
		close(fd);
		free(cl);
		return 0;
	}
	cl->next = ctl->clients;
	ctl->clients = cl;
	return 0;
}

/* A socket file left by a dead daemon is removed; a live one is an error. */
static int control_claim_path(const char *path, const struct sockaddr_un *sa)
{
	int fd, rc;

	if (access(path, F_OK) != 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		LOGE(SUBSYS, NULL,
		     "control socket %s is in use: is trunkd already running?",
		     path);
		return EADDRINUSE;
	}
	if (unlink(path) != 0 && errno != ENOENT)
		return errno;
	return 0;
}

static int control_set_perms(const char *path, const char *group)
{
	struct group *gr;

	if (!group)
		return chmod(path, 0600) ? errno : 0;
	gr = getgrnam(group);
	if (!gr) {
		LOGE(SUBSYS, NULL, "control_group %s: no such group", group);
		return ENOENT;
	}
	if (chown(path, (uid_t)-1, gr->gr_gid) != 0 || chmod(path, 0660) != 0)
		return errno;
	return 0;
}

static int control_open(struct trunk_control *ctl, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int rc;

	if (strlen(ctl->path) >= sizeof(sa.sun_path)) {
		LOGE(SUBSYS, NULL, "control socket path too long: %s",
		     ctl->path);
		return ENAMETOOLONG;
	}
	strcpy(sa.sun_path, ctl->path);
	rc = trunk_mkdir_parents(ctl->path);
	if (!rc)
		rc = control_claim_path(ctl->path, &sa);
	if (rc)
		return rc;
	ctl->fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0)
		return errno;
	old = umask(0177); /* never world-accessible, even for a moment */
	rc = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0)
		return errno;
	ctl->bound = true;
	if (listen(ctl->fd, 16) != 0)
		return errno;
	return control_set_perms(ctl->path, group);
}

int trunk_control_alloc(struct trunk_gateway *gw, const char *path,
			const char *group, struct trunk_control **out)
{
	struct trunk_control *ctl = calloc(1, sizeof(*ctl));
	int rc;

	if (!ctl)
		return ENOMEM;
	ctl->gw = gw;
	ctl->fd = -1;
	ctl->path = strdup(path);
	rc = ctl->path ? control_open(ctl, group) : ENOMEM;
	if (rc) {
		LOGE(SUBSYS, NULL, "cannot open control socket %s: %s", path,
		     strerror(rc));
		goto out;
	}
	if (su_wait_create(ctl->wait, ctl->fd, SU_WAIT_ACCEPT) ||
	    (ctl->reg = su_root_register(gw->root, ctl->wait, control_accept,
					 ctl, 0)) <= 0) {
		ctl->reg = 0;
		rc = ENOMEM;
		goto out;
	}
	LOGI(SUBSYS, NULL, "control socket %s", path);
	*out = ctl;
	return 0;
out:
	trunk_control_free(ctl);
	return rc;
}

void trunk_control_free(struct trunk_control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		control_client_free(ctl->clients);
	if (ctl->reg)
		su_root_deregister(ctl->gw->root, ctl->reg);
	if (ctl->fd >= 0) {
		su_wait_destroy(ctl->wait);
		close(ctl->fd);
	}
	if (ctl->bound)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
