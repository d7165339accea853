/*
 * The trunk module's settings and the full schema of trunkd.conf. trunk/ is
 * the top module, so it assembles every module's tables into one schema;
 * docs/configuration.md is generated from it (trunkd --config-reference).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "trunk.h"
#include "identity.h"
#include "location.h"
#include "certs/certs.h"
#include "dialplan/dialplan.h"
#include "media/media.h"

static const struct config_key trunk_listen_keys[] = {
	{ "enterprise_listen", CONFIG_ADDR_LIST, 0, 8, NULL, "127.0.0.1:5060",
	  CONFIG_F_RESTART,
	  "Addresses (IP:port) where phones and PBXs reach trunkd." },
	{ "enterprise_transports", CONFIG_LIST, 1, 3, "udp|tcp|tls", "udp,tcp",
	  CONFIG_F_RESTART,
	  "Transports on the enterprise addresses (TLS needs the "
	  "[enterprise] tls_certificate)." },
	{ "trunk_listen", CONFIG_ADDR_LIST, 0, 8, NULL, "127.0.0.1:5080",
	  CONFIG_F_RESTART,
	  "Addresses (IP:port) used toward the carriers; kept apart from the "
	  "enterprise side so nothing of one topology reaches the other." },
	{ "trunk_transports", CONFIG_LIST, 1, 3, "udp|tcp|tls", "udp,tcp",
	  CONFIG_F_RESTART,
	  "Transports on the trunk-side addresses; tls is needed by every "
	  "trunk whose transport is tls (the default)." },
	{ "udp_receive_buffer", CONFIG_INT, 0, 1048576, NULL, "8192",
	  CONFIG_F_RESTART,
	  "Receive buffer of each SIP UDP socket, in KB (0: the system's "
	  "default, net.core.rmem_default, 208 KB on Linux). A datagram "
	  "that arrives while it is full is lost and costs a retransmission "
	  "500 ms later: 208 KB hold about 90 SIP messages, a few "
	  "milliseconds of a busy trunk; 8 MB hold several thousand. The "
	  "kernel counts only what is queued. Beyond net.core.rmem_max the "
	  "size needs CAP_NET_ADMIN (SO_RCVBUFFORCE); without it Linux "
	  "caps it at rmem_max." },
	{ "heap_reserve", CONFIG_INT, 0, 2047, NULL, "0", CONFIG_F_RESTART,
	  "Megabytes of heap trunkd's signalling thread takes and touches at "
	  "start-up and keeps when freed (0: none). nta keeps every call's "
	  "transactions for 32 s, so a rising call rate grows the heap by "
	  "~28 KB per call, a page fault per new page on the signalling "
	  "thread; with a reserve they are taken before the first call and "
	  "freed memory stays mapped for the next burst (jemalloc: all "
	  "freed memory, the heap stays at its peak), for that much "
	  "resident memory from the start (as Kamailio's shm_force_alloc). "
	  "A finished call holds ~22 KB for those 32 s: about 700 MB per "
	  "1,000 calls/s of sustained rate." },
	{ "signalling_slice", CONFIG_INT, 0, 100000, NULL, "100", 0,
	  "Scheduler time slice of trunkd's signalling thread, in "
	  "microseconds (0: the kernel's own, 0.7-3 ms). Linux 6.12 and "
	  "later let a thread with a shorter slice in sooner when it wakes, "
	  "ahead of a task that was running on its CPU: an INVITE waits "
	  "less for other processes on a shared machine, for the same share "
	  "of the CPU (the thread is also preempted sooner when it runs "
	  "long). The kernel takes 100 to 100000 (smaller values become "
	  "100); older kernels ignore it (logged once). The media threads "
	  "keep the kernel's slice." },
	{ "max_message_size", CONFIG_INT, 4096, 16777216, NULL, "2097152",
	  CONFIG_F_RESTART,
	  "Largest SIP message trunkd reads, in bytes, on every transport "
	  "and side. A larger request gets 413 Request Entity Too Large "
	  "when its head can be read (its Content-Length is over the limit, "
	  "or the head grew past it after the request line, Via, From, To, "
	  "Call-ID and CSeq), and its TCP or TLS connection is closed; "
	  "without them it is closed unanswered. Memory per connection is "
	  "bounded by it." },
	{ "enterprise_tls_listen", CONFIG_ADDR_LIST, 0, 8, NULL, NULL,
	  CONFIG_F_RESTART,
	  "Where the enterprise side's TLS listener binds, one per "
	  "enterprise_listen address (default: that address, with its port "
	  "+ 1 when the side has other transports too, e.g. "
	  "127.0.0.1:5061)." },
	{ "trunk_tls_listen", CONFIG_ADDR_LIST, 0, 8, NULL, NULL,
	  CONFIG_F_RESTART,
	  "Where the trunk side's TLS listener binds, one per trunk_listen "
	  "address (default: that address, with its port + 1 when the side "
	  "has other transports too, e.g. 127.0.0.1:5081). One listener "
	  "serves every trunk (docs/tls.md)." },
	{ "user_agent", CONFIG_STRING, 0, 0, NULL, "trunkd/" TRUNKD_VERSION, 0,
	  "User-Agent and Server header value." },
	{ "sip_t1", CONFIG_DURATION, 50, 10000, NULL, "500ms", CONFIG_F_RESTART,
	  "SIP timer T1 (RFC 3261 17): retransmissions, and the 64 x T1 "
	  "timers (32 s by default): B and F (REG-5, REG-11), H, J and the "
	  "wait for a PRACK (RFC 3262 3). Shorter only for tests." },
	{ "keep_answer", CONFIG_DURATION, 0, 3600000, NULL, "30s", 0,
	  "RFC 6223 keep value (seconds) put in the Via of our 200 to an "
	  "OPTIONS, REGISTER or INVITE whose Via offers keep (KEEP-3): how "
	  "often the "
	  "peer should send keep-alives, which trunkd answers (CRLF pong, "
	  "STUN). 0: never offered." },
	{ "event_hook", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Program run on every registration and flow state change with the "
	  "arguments KIND (registration|flow) TRUNK STATE REASON, detached "
	  "(e.g. to alert an operator)." },
	{ "random_seed", CONFIG_INT, 0, 2147483647, NULL, "0", CONFIG_F_RESTART,
	  "Seed of the random source for keep-alive and back-off jitter "
	  "(OB-4, OB-5); 0 seeds from the clock. Fixed only by tests." },
	{ NULL },
};

/* RFC 4028 session timers, per call leg (call_timer.c). The RFC's floor
 * is 90 s; shorter values exist for tests. */
static const struct config_key trunk_session_keys[] = {
	{ "session_expires", CONFIG_DURATION, 0, 86400000, NULL, "1800s", 0,
	  "Session-Expires (RFC 4028) we ask for on each call leg, and impose "
	  "on a leg whose peer asks for none; 0 asks for none (a peer's "
	  "request is still honoured). Whoever refreshes does so at half "
	  "the interval; a leg not refreshed in time is hung up with BYE on "
	  "both legs." },
	{ "min_se", CONFIG_DURATION, 1000, 86400000, NULL, "90s", 0,
	  "Smallest session interval we accept (Min-SE): a shorter "
	  "Session-Expires gets 422. RFC 4028 says at least 90 s; smaller "
	  "values are for tests." },
	{ NULL },
};

static const struct config_key trunk_enterprise_keys[] = {
	{ "realm", CONFIG_STRING, 0, 0, NULL, "trunkd", 0,
	  "Digest realm for phones and PBXs that authenticate." },
	{ "min_expires", CONFIG_DURATION, 1000, 86400000, NULL, "60s", 0,
	  "Shortest registration a phone may ask for (423 below it)." },
	{ "max_expires", CONFIG_DURATION, 1000, 86400000, NULL, "3600s", 0,
	  "Longest registration granted to a phone." },
	{ NULL },
};

static const struct config_key trunk_phone_keys[] = {
	{ "extension", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	  "The phone's extension number (digits)." },
	{ "password", CONFIG_STRING, 0, 0, NULL, NULL,
	  CONFIG_F_REQUIRED | CONFIG_F_SECRET,
	  "Digest password; the section name is the user name." },
	{ "display_name", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Display name shown on internal calls." },
	{ "max_contacts", CONFIG_INT, 1, 100, NULL, "5", 0,
	  "How many devices may register for this phone. A REGISTER that "
	  "would leave more bindings gets 403 Too Many Registered Contacts "
	  "(with a Warning naming the limit) and changes none." },
	{ "context", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Dial-plan context of the phone's calls (default: [dialplan] "
	  "default_context)." },
	{ NULL },
};

static const struct config_key trunk_pbx_keys[] = {
	{ "address", CONFIG_ADDR, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	  "Where the PBX receives SIP (IP or host name, optional :port)." },
	{ "transport", CONFIG_ENUM, 0, 0, "udp|tcp|tls", "udp", 0,
	  "Transport toward the PBX." },
	{ "acl", CONFIG_LIST, 0, 32, NULL, NULL, 0,
	  "Source addresses or CIDR prefixes the PBX sends from (default: "
	  "address). Everyone else gets 403." },
	{ "acl_transports", CONFIG_LIST, 0, 3, NULL, NULL, 0,
	  "Transports the PBX's requests may come over: udp, tcp, tls "
	  "(default: all three). A request from the PBX's acl over another "
	  "transport is not the PBX's: it is taken as from anyone else (a "
	  "phone's with its digest, else 403), unless another [pbx] covers "
	  "it. For a PBX that talks TLS, acl_transports = tls: then its "
	  "address, which anyone can put on a UDP datagram, admits nothing "
	  "by itself." },
	{ "username", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "If set, the PBX must also pass digest authentication: after "
	  "the acl, its INVITEs are challenged with 407 "
	  "(Proxy-Authenticate, realm [enterprise] realm, RFC 3261 22.3); "
	  "a wrong digest gets 403. OPTIONS is not challenged." },
	{ "password", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_SECRET,
	  "Digest password for username." },
	{ "context", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Dial-plan context of the PBX's calls." },
	{ NULL },
};

static const struct config_key trunk_trunk_keys[] = {
	{ "mode", CONFIG_ENUM, 0, 0, "static|registration", NULL,
	  CONFIG_F_REQUIRED,
	  "static: peer by address (SIPconnect 17); registration: RFC 6140 "
	  "bulk registration of all identities (SIPconnect 16)." },
	{ "domain", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "The carrier's SIP domain: host part of R-URIs and, without "
	  "proxy, looked up by RFC 3263 (REG-3, STA-1: NAPTR, SRV, A/AAAA "
	  "for the trunk's transport; a DNS server that refuses NAPTR "
	  "queries has none) at start, on each reload and when "
	  "the answer's TTL runs out (dns_min_ttl), on a resolver thread: "
	  "start and reload never wait for DNS. Until the first answer "
	  "(trunkctl: dns.state pending) calls toward a static-mode trunk "
	  "get 503 with Retry-After (at most 10 s) and a Warning naming "
	  "the lookup; a failed lookup of such a trunk is retried after "
	  "2 s, doubling to 30 s (at most dns_min_ttl). Inbound calls are "
	  "accepted from every address found. In static mode each address "
	  "is an SP-SSE, in SRV order: pinged with OPTIONS like a proxy "
	  "(keepalive), shown by trunkctl, and outbound calls go to those "
	  "up first, with failover; over TLS the certificate must name "
	  "the domain (RFC 5922). No address found: nta resolves each "
	  "request. In registration mode nta resolves the requests." },
	{ "dns_min_ttl", CONFIG_DURATION, 1000, 86400000, NULL, "30s", 0,
	  "Shortest time the DNS answer of a trunk by domain is kept before "
	  "it is looked up again: a smaller TTL (0 is common for local "
	  "records) counts as this, and a lookup the server does not answer "
	  "is retried after it (the known SP-SSEs are kept meanwhile; a "
	  "trunk that never had an answer retries sooner: 2 s doubling to "
	  "at most 30 s or this)." },
	{ "proxy", CONFIG_ADDR_LIST, 0, 8, NULL, NULL, 0,
	  "SP-SSE addresses in order of preference (host or IP, :port); "
	  "used instead of DNS. Failover on error, timeout or 503. Inbound "
	  "calls are accepted from these addresses only; a host name is "
	  "resolved at start and on each reload (a renumbered SP-SSE needs "
	  "a reload)." },
	{ "transport", CONFIG_ENUM, 0, 0, "udp|tcp|tls", "tls", 0,
	  "Transport toward the SP-SSE; SIPconnect requires TLS." },
	{ "address_family", CONFIG_ENUM, 0, 0, "ipv4|ipv6", "ipv4", 0,
	  "The trunk's one address family for signalling and media "
	  "(SC-15-2): its Contact, Via and RTP use the first trunk_listen "
	  "address of this family, which must exist. A proxy IP literal "
	  "must be of it; with trunk_listen addresses of both families "
	  "the SP-SSEs must be IP literals (a name could resolve to "
	  "either)." },
	{ "username", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Digest user name for the carrier's challenges (REG-4, STA-6)." },
	{ "password", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_SECRET,
	  "Digest password." },
	{ "registration_aor", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Registration AOR in To/From of REGISTER (REG-2); required in "
	  "registration mode." },
	{ "register_expires", CONFIG_DURATION, 60000, 86400000, NULL, "3600s",
	  0, "Expiry we ask for; the SP-SSE's grant is honoured (REG-12)." },
	{ "identities", CONFIG_E164_LIST, 0, 0, NULL, NULL, 0,
	  "Enterprise Public Identities (DIDs) served by this trunk, E.164: "
	  "\"+4930123450, +4930123460-+4930123469\". When set, a call from "
	  "the trunk to any other number gets 404 (STA-3)." },
	{ "keepalive", CONFIG_ENUM, 0, 0, "auto|options|crlf|off", "auto", 0,
	  "Peer liveness: OPTIONS pings (STA-4), RFC 5626 keep-alives on the "
	  "registration's flow (CRLFCRLF on TCP/TLS, STUN Binding on UDP), "
	  "or off. auto: flow keep-alives in registration mode, OPTIONS in "
	  "static mode; crlf: flow keep-alives." },
	{ "keepalive_interval", CONFIG_DURATION, 5000, 3600000, NULL, "30s", 0,
	  "Interval of OPTIONS pings. For flow keep-alives it applies only "
	  "when set and the SP-SSE names no Flow-Timer or keep value; "
	  "otherwise RFC 5626 4.4.1: UDP 24-29 s, TCP/TLS 95-120 s (OB-4)." },
	{ "keepalive_timeout", CONFIG_DURATION, 1000, 120000, NULL, "10s", 0,
	  "How long to wait for a pong, STUN answer or OPTIONS answer before "
	  "the SP-SSE or flow counts as failed (OB-2, OB-3); a STUN request "
	  "is sent again at half of it." },
	{ "invite_timeout", CONFIG_DURATION, 0, 300000, NULL, "0s", 0,
	  "How long an SP-SSE may stay silent (not even 100 Trying) after "
	  "our INVITE before it is marked down and the next SP-SSE of the "
	  "trunk gets the INVITE (STA-1 failover). 0: only Timer B (64 x "
	  "sip_t1, 32 s by default) ends the attempt. Carriers commonly "
	  "expect failover within a few seconds, e.g. 4s. The last SP-SSE "
	  "is always left to Timer B." },
	{ "keepalive_probe_every", CONFIG_INT, 0, 1000, NULL, "4", 0,
	  "On TLS and UDP flows: every Nth keep-alive is followed by an "
	  "OPTIONS over the flow; no answer within keepalive_timeout = the "
	  "pong is missing, the flow failed (OB-2). For an SP-SSE that "
	  "sends no CRLF pongs (TLS) or STUN answers (UDP), the only check "
	  "of a silent peer. 0: never." },
	{ "flow_retry_all_failed", CONFIG_DURATION, 1000, 3600000, NULL, "30s",
	  0,
	  "RFC 5626 4.5 base-time when every flow failed: a new flow is "
	  "tried after min(max, base x 2^failures) x 50-100 % (OB-5)." },
	{ "flow_retry_some_failed", CONFIG_DURATION, 1000, 3600000, NULL, "90s",
	  0,
	  "RFC 5626 4.5 base-time while other flows are up (OB-5; one flow "
	  "per trunk today, so reserved)." },
	{ "flow_retry_max", CONFIG_DURATION, 1000, 86400000, NULL, "1800s", 0,
	  "RFC 5626 4.5 max-time of the flow back-off (OB-5)." },
	{ "register_retry_base", CONFIG_DURATION, 1000, 3600000, NULL, "30s", 0,
	  "First wait after a failed REGISTER, doubling per failure (REG-6)." },
	{ "register_retry_max", CONFIG_DURATION, 1000, 86400000, NULL, "960s",
	  0, "Cap of the REGISTER back-off (REG-6)." },
	{ "register_min_refresh", CONFIG_DURATION, 1000, 3600000, NULL, "30s",
	  0,
	  "Shortest wait before refreshing a registration: a registrar "
	  "granting less (say 1 s) is refreshed after this, not hammered "
	  "(REG-12). Shorter only for tests." },
	{ "max_calls", CONFIG_INT, 0, 1000000, NULL, "0", 0,
	  "Concurrent calls on this trunk (0: unlimited); emergency calls "
	  "are exempt (EM-4)." },
	{ "codecs", CONFIG_LIST, 1, 3, "PCMU|PCMA|G729", NULL, 0,
	  "The only codecs on this trunk's calls, both ways (overrides the "
	  "codec policy of docs/media.md for them: an offer to or from the "
	  "carrier keeps just these, in the offerer's order; G.711 is not "
	  "added). telephone-event and CN are not codecs and still cross. "
	  "Unset: [media] codecs, and without that every codec both peers "
	  "list." },
	{ "redirect", CONFIG_ENUM, 0, 0, "relay|follow", "relay", 0,
	  "A 3xx from the carrier is relayed to the caller or followed." },
	{ "context", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Dial-plan context for calls arriving on this trunk." },
	{ NULL },
};

/*
 * Identity and header policing (issue 4 item 4, ID-8, ID-11): what trunkd
 * believes of an enterprise peer and what of a call crosses to the trunk.
 * Applied by trunk/policy.c; documented in docs/identity.md.
 */
static const struct config_key trunk_identity_peer_keys[] = {
	{ "trust_identity", CONFIG_BOOL, 0, 0, NULL, "no", 0,
	  "yes: this peer's P-Asserted-Identity names the caller toward the "
	  "carrier when it is an Enterprise Public Identity of the trunk, and "
	  "the carrier's P-Asserted-Identity and Privacy reach this peer on "
	  "inbound calls (never a phone's when Privacy: id, ID-4). no: its "
	  "P-Asserted-Identity is removed and trunkd asserts its own; the "
	  "carrier's never reaches it." },
	{ "accept_preferred_identity", CONFIG_BOOL, 0, 0, NULL, "no", 0,
	  "yes: this peer's P-Preferred-Identity chooses the asserted "
	  "identity when it is an Enterprise Public Identity of the trunk "
	  "(RFC 3325; a trusted P-Asserted-Identity still comes first)." },
	{ "location", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "The [location NAME] of this phone or PBX site, sent by value "
	  "with its emergency calls (EM-5)." },
	{ NULL },
};

/* Per-extension forwarding of calls from a trunk (FWD-1). */
static const struct config_key trunk_forward_keys[] = {
	{ "forward_always", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Number (E.164 \"+...\" or digits) that calls from a trunk to "
	  "this phone are forwarded to at once, by new INVITE on that trunk "
	  "with History-Info (FWD-1), registered or not." },
	{ "forward_busy", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Number that calls from a trunk are forwarded to when the phone "
	  "answers busy (486 or 600) before any SDP reached the caller "
	  "(FWD-1)." },
	{ "forward_no_answer", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Number that calls from a trunk are forwarded to when the phone "
	  "does not answer within forward_no_answer_after (FWD-1; trunkd "
	  "cancels the phone's call)." },
	{ "forward_no_answer_after", CONFIG_DURATION, 1000, 300000, NULL, "20s",
	  0, "How long the phone rings before forward_no_answer." },
	{ NULL },
};

/* forward_*: an E.164 number or a dial string of digits, '*', '#'. */
static int trunk_phone_validate(const struct config_section *sec,
				config_error_h *eh, void *arg)
{
	static const char *const keys[] = { "forward_always", "forward_busy",
					    "forward_no_answer", NULL };
	int bad = 0;

	for (const char *const *k = keys; *k; k++) {
		const char *v =
			config_is_set(sec, *k) ? config_get_str(sec, *k) : NULL;
		char why[160];

		if (!v || dialplan_is_e164(v) ||
		    (strlen(v) <= DIALPLAN_DIGITS_MAX &&
		     v[strspn(v, "0123456789*#")] == '\0'))
			continue;
		snprintf(why, sizeof(why),
			 "%s: not an E.164 number (+ and 1-15 digits) or a "
			 "dial string",
			 *k);
		eh(config_section_file(sec), config_key_line(sec, *k), why,
		   arg);
		bad++;
	}
	return bad;
}

static const struct config_key trunk_identity_trunk_keys[] = {
	{ "send_preferred_identity", CONFIG_BOOL, 0, 0, NULL, "no", 0,
	  "Also send P-Preferred-Identity (the asserted identity) on calls "
	  "to this trunk (ID-11, SIPconnect 10.2.6)." },
	{ "enterprise_3xx", CONFIG_ENUM, 0, 0, "deflect|forward", "deflect", 0,
	  "A 3xx from the enterprise on a call from this trunk. deflect: "
	  "302 to the carrier with the target at its domain (FWD-2). "
	  "forward: trunkd calls the target on this trunk itself, by new "
	  "INVITE with History-Info (FWD-1)." },
	{ "pass_headers", CONFIG_LIST, 0, 32, NULL, NULL, 0,
	  "Headers of the enterprise's INVITE copied to this trunk's "
	  "INVITE (e.g. \"User-to-User, X-Account\"). Every other header "
	  "is dropped. Headers trunkd builds or polices itself (Via, "
	  "Contact, P-Asserted-Identity, Privacy, History-Info, "
	  "Remote-Party-ID, Diversion, Geolocation...) cannot be listed." },
	{ NULL },
};

/* pass_headers: header names (RFC 3261 token) that trunkd does not build
 * or police itself. */
static int trunk_identity_validate(const struct config_section *sec,
				   config_error_h *eh, void *arg)
{
	const char *const *h;
	size_t i, n = config_get_list(sec, "pass_headers", &h);
	char why[200];
	int bad = 0;

	for (i = 0; i < n; i++) {
		bool token = h[i][strspn(h[i], "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789-.!%*_+`'~")] == '\0';

		if (token && !trunk_identity_header_policed(h[i]))
			continue;
		snprintf(why, sizeof(why),
			 token ? "pass_headers: %.64s is built or policed by "
				 "trunkd and cannot be passed"
			       : "pass_headers: %.64s is not a header name",
			 h[i]);
		eh(config_section_file(sec),
		   config_key_line(sec, "pass_headers"), why, arg);
		bad++;
	}
	return bad;
}

static void trunk_config_err(const struct config_section *sec, const char *key,
			     const char *why, config_error_h *eh, void *arg)
{
	unsigned line = key ? config_key_line(sec, key) : 0;

	eh(config_section_file(sec), line ? line : config_section_line(sec),
	   why, arg);
}

static int trunk_trunk_validate(const struct config_section *sec,
				config_error_h *eh, void *arg)
{
	bool reg = !strcmp(config_get_str(sec, "mode"), "registration");
	int n = certs_config_validate(sec, eh, arg);

	n += trunk_identity_validate(sec, eh, arg);

	if (!config_is_set(sec, "domain") && !config_is_set(sec, "proxy")) {
		trunk_config_err(sec, NULL,
				 "trunk needs domain (RFC 3263) or proxy "
				 "(SP-SSE addresses)",
				 eh, arg);
		n++;
	}
	if (reg && !config_is_set(sec, "registration_aor")) {
		trunk_config_err(sec, "mode",
				 "mode = registration needs registration_aor "
				 "(REG-2)",
				 eh, arg);
		n++;
	}
	if (reg && !config_is_set(sec, "identities")) {
		trunk_config_err(sec, "mode",
				 "mode = registration needs identities, the "
				 "DIDs to register (REG-1)",
				 eh, arg);
		n++;
	}
	if (config_is_set(sec, "password") && !config_is_set(sec, "username")) {
		trunk_config_err(sec, "password", "password without username",
				 eh, arg);
		n++;
	}
	if (config_get_bool(sec, "tls_required") &&
	    strcmp(config_get_str(sec, "transport"), "tls")) {
		trunk_config_err(sec, "tls_required",
				 "tls_required = yes but transport is not tls "
				 "(TLS-8)",
				 eh, arg);
		n++;
	}
	return n;
}

static int trunk_pbx_validate(const struct config_section *sec,
			      config_error_h *eh, void *arg)
{
	const char *const *items;
	char why[160];
	size_t n, i;
	int bad = 0;

	if (config_is_set(sec, "password") != config_is_set(sec, "username")) {
		trunk_config_err(sec,
				 config_is_set(sec, "password") ? "password"
								: "username",
				 "username and password go together", eh, arg);
		bad++;
	}
	n = config_get_list(sec, "acl", &items);
	for (i = 0; i < n; i++) {
		if (trunk_acl_item_ok(items[i]))
			continue;
		snprintf(why, sizeof(why),
			 "acl: \"%.64s\" is no IP address or CIDR prefix",
			 items[i]);
		trunk_config_err(sec, "acl", why, eh, arg);
		bad++;
	}
	/* (a list item given twice is the parser's error) */
	n = config_get_list(sec, "acl_transports", &items);
	for (i = 0; i < n; i++) {
		if (trunk_acl_transport_ok(items[i]))
			continue;
		snprintf(why, sizeof(why),
			 "acl_transports: \"%.32s\" is none of udp, tcp, tls",
			 items[i]);
		trunk_config_err(sec, "acl_transports", why, eh, arg);
		bad++;
	}
	return bad;
}

/*
 * Overload control and call limits (admission.c): new INVITEs refused
 * with a stateless 503 + Retry-After before nta keeps any state of them.
 * Limits off by default, the automatic detector on. docs/operations.md
 * "Overload".
 */
static const struct config_key trunk_overload_keys[] = {
	{ "max_calls", CONFIG_INT, 0, 10000000, NULL, "0", 0,
	  "Concurrent calls trunkd takes in all (0: no limit); a new INVITE "
	  "beyond it gets 503 before any transaction state is kept. "
	  "Emergency calls are exempt (EM-4). Per trunk: [trunk] "
	  "max_calls." },
	{ "max_call_rate", CONFIG_INT, 0, 1000000, NULL, "0", 0,
	  "New calls (INVITEs outside a dialog, both sides together) "
	  "accepted per second, a token bucket (0: no limit); the others "
	  "get 503. Only INVITEs that become calls count: one trunkd "
	  "answers itself (403, 407, 404...) gives its token back. "
	  "Emergency calls are exempt (EM-4)." },
	{ "max_call_burst", CONFIG_INT, 0, 1000000, NULL, "0", 0,
	  "How many new calls may come at once above max_call_rate (the "
	  "bucket's size; 0: max_call_rate, one second's worth). Needs "
	  "max_call_rate." },
	{ "overload_delay", CONFIG_DURATION, 0, 10000, NULL, "5ms", 0,
	  "Automatic overload control: when, for a whole 100 ms window with "
	  "at least 10 new INVITEs, every new INVITE waited longer than this "
	  "in the UDP socket before trunkd read it (a standing queue: the "
	  "signalling thread is not keeping up), a falling share of new "
	  "INVITEs gets 503 until the queue is gone; back to all within "
	  "1 s. 0: off." },
	{ "overload_retry_after", CONFIG_DURATION, 1000, 3600000, NULL, "5s", 0,
	  "Retry-After (whole seconds) in the 503 of a refused new INVITE: "
	  "how long a peer that honours it (RFC 3261 21.5.4) should send "
	  "new calls elsewhere." },
	{ NULL },
};

static int trunk_global_validate(const struct config_section *sec,
				 config_error_h *eh, void *arg)
{
	if (config_is_set(sec, "max_call_burst") &&
	    config_get_int(sec, "max_call_burst") &&
	    !config_get_int(sec, "max_call_rate")) {
		trunk_config_err(sec, "max_call_burst",
				 "max_call_burst needs max_call_rate", eh, arg);
		return 1;
	}
	if (config_get_int(sec, "overload_retry_after") % 1000) {
		trunk_config_err(sec, "overload_retry_after",
				 "overload_retry_after: whole seconds only "
				 "(Retry-After, RFC 3261 20.33)",
				 eh, arg);
		return 1;
	}
	return 0;
}

static const struct config_section_def trunk_global_section = {
	.name = "global",
	.help = "Process-wide settings: listeners, logging, control socket, "
		"state files, call limits and overload control.",
	.keys = { trunk_listen_keys, trunk_session_keys, config_global_keys,
		  trunk_overload_keys, NULL },
	.validate = trunk_global_validate,
};

static const struct config_section_def trunk_enterprise_section = {
	.name = "enterprise",
	.help = "The enterprise side: registrar for phones, TLS toward phones "
		"and PBXs.",
	.keys = { trunk_enterprise_keys, certs_tls_keys, NULL },
	.validate = certs_config_validate,
};

static const struct config_section_def trunk_phone_section = {
	.name = "phone",
	.named = true,
	.help = "[phone USER]: a phone that registers to trunkd with digest "
		"credentials.",
	.keys = { trunk_phone_keys, trunk_identity_peer_keys,
		  trunk_forward_keys, NULL },
	.validate = trunk_phone_validate,
};

static const struct config_section_def trunk_pbx_section = {
	.name = "pbx",
	.named = true,
	.help = "[pbx NAME]: a PBX peering statically with trunkd.",
	.keys = { trunk_pbx_keys, trunk_identity_peer_keys, NULL },
	.validate = trunk_pbx_validate,
};

static const struct config_section_def trunk_trunk_section = {
	.name = "trunk",
	.named = true,
	.help = "[trunk NAME]: a carrier SIP trunk (SIPconnect 2.0).",
	.keys = { trunk_trunk_keys, certs_tls_keys, trunk_identity_trunk_keys,
		  NULL },
	.validate = trunk_trunk_validate,
};

const struct config_section_def *const trunk_config_schema[] = {
	&trunk_global_section,
	&trunk_enterprise_section,
	&trunk_phone_section,
	&trunk_pbx_section,
	&trunk_trunk_section,
	&media_config_section,
	&dialplan_config_section,
	&trunk_location_section,
	NULL,
};

const struct config_section *trunk_config_trunk(const struct config *cfg,
						const char *name)
{
	const struct config_section *t = NULL;

	while ((t = config_section_next(cfg, "trunk", t)))
		if (!name || !strcmp(config_section_name(t), name))
			return t;
	return NULL;
}

void trunk_addr_hostport(const struct config_addr *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", a->ipv6 ? "[" : "", a->host,
		 a->ipv6 ? "]" : "");
	if (a->port)
		snprintf(buf + strlen(buf), len - strlen(buf), ":%u", a->port);
}

/* The dial plan's references into the configuration (issue 4): a rule
 * routing to a trunk that has no [trunk] section is an error at its
 * file:line, so the plan is refused at --check-config, start and reload
 * (which keeps the running plan) instead of failing calls with 503. */
struct trunk_plan_check {
	const struct config *cfg;
	config_error_h *eh;
	void *arg;
};

static bool trunk_plan_trunk_missing(const char *trunk,
				     const struct dialplan_source *where,
				     void *arg)
{
	struct trunk_plan_check *c = arg;
	char why[160];

	if (trunk_config_trunk(c->cfg, trunk))
		return false;
	snprintf(why, sizeof(why),
		 "trunk %s is not configured (no [trunk %s] section)", trunk,
		 trunk);
	c->eh(where->file, where->line, why, c->arg);
	return true;
}

static int trunk_location_missing(const struct config *cfg,
				  const struct config_section *sec,
				  config_error_h *eh, void *arg)
{
	char why[160];

	if (!config_is_set(sec, "location") ||
	    config_section_get(cfg, "location",
			       config_get_str(sec, "location")))
		return 0;
	snprintf(why, sizeof(why), "location %.64s: no [location %.64s]",
		 config_get_str(sec, "location"),
		 config_get_str(sec, "location"));
	eh(config_section_file(sec), config_key_line(sec, "location"), why,
	   arg);
	return 1;
}

int trunk_config_family(const struct config_section *t)
{
	return strcmp(config_get_str(t, "address_family"), "ipv6") ? AF_INET
								   : AF_INET6;
}

/*
 * SC-15-2: a trunk's signalling and media in its address_family. The
 * trunk side needs a listen address of it (media and Contact use it); an
 * SP-SSE given as an IP literal must be of it; and with listen addresses
 * of both families, nta's lookups of a name (RFC 3263 for domain, A/AAAA
 * for a proxy host) could yield either, so the SP-SSEs must then be IP
 * literals.
 */
static int trunk_family_check(const struct config *cfg,
			      const struct config_section *t,
			      config_error_h *eh, void *arg)
{
	static const char *const fam[] = { "ipv4", "ipv6" }, *const FAM[] = {
		"IPv4", "IPv6"
	};
	const char *const *items;
	bool has[2] = { false, false }, v6;
	struct config_addr a;
	unsigned char buf[16];
	char why[240];
	size_t i, n;
	int bad = 0;

	v6 = trunk_config_family(t) == AF_INET6;
	n = config_get_list(config_section_get(cfg, "global", NULL),
			    "trunk_listen", &items);
	for (i = 0; i < n; i++)
		if (!config_addr_parse(items[i], &a))
			has[a.ipv6] = true;
	if (!has[v6]) {
		snprintf(why, sizeof(why),
			 "address_family = %s but trunk_listen has no %s "
			 "address (SC-15-2: the trunk's signalling and media "
			 "use its family)",
			 fam[v6], FAM[v6]);
		trunk_config_err(t, "address_family", why, eh, arg);
		bad++;
	}
	n = config_get_list(t, "proxy", &items);
	for (i = 0; i < n; i++) {
		bool v4 = false;

		if (config_addr_parse(items[i], &a))
			continue;
		v4 = !a.ipv6 && inet_pton(AF_INET, a.host, buf) == 1;
		if ((a.ipv6 || v4) && a.ipv6 != v6)
			snprintf(why, sizeof(why),
				 "proxy %.64s is an %s address but "
				 "address_family is %s (SC-15-2)",
				 items[i], FAM[a.ipv6], fam[v6]);
		else if (!a.ipv6 && !v4 && has[0] && has[1])
			snprintf(why, sizeof(why),
				 "proxy %.64s: with IPv4 and IPv6 "
				 "trunk_listen addresses an SP-SSE must be an "
				 "IP literal of the trunk's address_family (a "
				 "name could resolve to the other, SC-15-2)",
				 items[i]);
		else
			continue;
		trunk_config_err(t, "proxy", why, eh, arg);
		bad++;
	}
	if (!n && has[0] && has[1]) {
		trunk_config_err(t, "domain",
				 "with IPv4 and IPv6 trunk_listen addresses a "
				 "trunk needs proxy (IP literals of its "
				 "address_family): RFC 3263 lookups of domain "
				 "could yield the other family (SC-15-2)",
				 eh, arg);
		bad++;
	}
	return bad;
}

int trunk_config_check_plan(const struct config *cfg,
			    const struct dialplan *plan, config_error_h *eh,
			    void *arg)
{
	static const char *const kinds[] = { "phone", "pbx", "trunk", NULL };
	struct trunk_plan_check c = { cfg, eh, arg };
	const struct config_section *sec;
	int n = plan ? (int)dialplan_trunk_refs(plan, trunk_plan_trunk_missing,
						&c)
		     : 0;
	char why[160];

	/* A context a section names must exist, or its calls all fail;
	 * so must a [location] it names (EM-5); a trunk's address family
	 * must be one trunkd can keep (SC-15-2). */
	for (const char *const *k = kinds; *k; k++) {
		for (sec = NULL; (sec = config_section_next(cfg, *k, sec));) {
			if (strcmp(*k, "trunk"))
				n += trunk_location_missing(cfg, sec, eh, arg);
			else
				n += trunk_family_check(cfg, sec, eh, arg);
			if (!plan || !config_is_set(sec, "context") ||
			    dialplan_has_context(
				    plan, config_get_str(sec, "context")))
				continue;
			snprintf(why, sizeof(why),
				 "context %.64s is not in the dial plan",
				 config_get_str(sec, "context"));
			eh(config_section_file(sec),
			   config_key_line(sec, "context"), why, arg);
			n++;
		}
	}
	return n;
}
