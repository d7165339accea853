/*
 * Private to trunk/: the gateway object that the signalling thread runs,
 * and the pieces it is made of. Everything here runs on the one su_root
 * thread; nothing takes a lock.
 */
#ifndef TRUNKD_TRUNK_GATEWAY_H
#define TRUNKD_TRUNK_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Files that bind other magic types define them before including this. */
#define SU_ROOT_MAGIC_T	  struct trunk_gateway
#define SU_WAKEUP_ARG_T	  void
#define NTA_AGENT_MAGIC_T struct trunk_agent
#ifndef SU_TIMER_ARG_T
#define SU_TIMER_ARG_T struct trunk_gateway
#endif
#ifndef NTA_LEG_MAGIC_T
#define NTA_LEG_MAGIC_T struct trunk_agent
#endif

#include <sofia-sip/su.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/sip.h>

#include "trunk.h"
#include "dialplan/dialplan.h"
#include "media/media.h"

/* scratch.c: bytes of the scratch home's own area (its header, a small
 * block table and the first allocations of each loop iteration). */
#define TRUNK_SCRATCH_AREA 8192

/* The two sides of the B2BUA; their SIP agents never share a socket. */
enum trunk_side {
	TRUNK_SIDE_ENTERPRISE = 0, /* phones and PBXs */
	TRUNK_SIDE_TRUNK,	   /* carriers (SP-SSEs) */
	TRUNK_SIDE_COUNT,
};

extern const char *const trunk_side_names[TRUNK_SIDE_COUNT];

struct trunk_agent;
struct trunk_control;
struct trunk_call;
struct trunk_peer;
struct trunk_auth;
struct trunk_auth_bye;
struct trunk_abandoned;
struct nta_outgoing_s;
struct trunk_binding;
struct trunk_nonces;
struct trunk_reg;
struct trunk_admission;
struct call_contact;

struct trunk_gateway {
	su_home_t home[1];
	su_root_t *root;
	struct config *cfg;  /* owned; replaced whole on reload */
	char *config_path;   /* as given on the command line */
	char *pid_file;	     /* owned copy; NULL: none written */
	unsigned generation; /* 1 at start, +1 per successful reload */
	time_t started;
	bool draining;	 /* SIGTERM seen: refuse new calls */
	bool lingering;	 /* grace over: our BYEs get their answers */
	bool slice_said; /* sched.c: "no per-thread slices" logged */
	struct trunk_agent *agents[TRUNK_SIDE_COUNT];
	struct trunk_control *control;
	struct trunk_cdr_writer *cdr; /* owned (cdr.c); NULL: cdr = off */
	struct trunk_call *calls;     /* owned list of active calls */
	struct trunk_peer *peers;     /* owned: SP-SSEs of all trunks */
	/* owned: trunks by domain only, their RFC 3263 answers and the
	 * resolver thread that refreshes them (peer_dns.c) */
	struct trunk_dns *dns;
	struct trunk_auth *auths; /* owned: digest client state per trunk */
	/* owned: BYEs of freed calls awaiting a carrier's answer (auth.c) */
	struct trunk_auth_bye *auth_byes;
	/* owned: INVITEs that calls left before their final response, kept
	 * to CANCEL them and end a late 2xx (call_abandon.c) */
	struct trunk_abandoned *abandoned;
	struct trunk_binding *bindings; /* owned: phones' registrations */
	/* owned: digest nonces issued to phones and PBXs (nonce.c), made at
	 * the first challenge */
	struct trunk_nonces *nonces;
	struct dialplan *plan;	/* owned: compiled [dialplan] file, or NULL */
	struct trunk_reg *regs; /* owned: registration-mode trunks */
	struct trunk_reg *regs_retiring; /* owned: un-REGISTERing (reload) */
	char instance_id[37]; /* +sip.instance UUID, read once (OB-1), "" */
	struct media_engine *media; /* owned: the RTP relay (media/) */
	struct trunk_tls_watches *tls_watches; /* owned: tls_watch.c */
	su_wait_t media_wait[1];
	int media_reg; /* su_root registration of the media event fd */
	su_timer_t *media_flush; /* wakes the media threads once per batch */
	su_timer_t *media_late;	 /* the late flush (DESTROYs, their memory) */
	struct trunk_admission *admission; /* owned (gw->home): admission.c */
	/* scratch.c: what one callback builds for nta, emptied before the
	 * loop waits again; a home in scratch_area whose first
	 * TRUNK_SCRATCH_AREA bytes need no malloc(). */
	su_home_t *scratch;
	_Alignas(16) char scratch_area[TRUNK_SCRATCH_AREA];
	su_timer_t *scratch_timer;
	bool scratch_ready, scratch_armed;
	struct call_contact *contacts; /* call_contact.c: shared, on home */
	unsigned ncalls;
	unsigned long long call_seq; /* ids for log context and trunkctl */
	su_timer_t *drain_timer;     /* shutdown_grace after SIGTERM */
	int signal_fd;
	su_wait_t signal_wait[1];
	int signal_reg; /* su_root registration index, 0: none */
};

/* scratch.c: a home for memory that no callback keeps (see there); the
 * gateway's, emptied before the loop waits again. trunk_scratch_free()
 * at the gateway's end, before its root goes. */
su_home_t *trunk_scratch_get(struct trunk_gateway *gw);
void trunk_scratch_free(struct trunk_gateway *gw);

/* agent.c: one nta agent per side, listening as configured. */
int trunk_agent_alloc(struct trunk_gateway *gw, enum trunk_side side,
		      const struct config *cfg, struct trunk_agent **out);
void trunk_agent_free(struct trunk_agent *agent);
/* The side's nta agent (borrowed) and its default Contact. */
struct nta_agent_s *trunk_agent_nta(const struct trunk_agent *agent);
/* nta's SIP T2 (ms) of the agent (read once). */
unsigned trunk_agent_sip_t2(struct trunk_agent *agent);
/* The leg for requests outside dialogs (OPTIONS pings, probes): what
 * nta_default_leg() would be, but trunkd has no default leg (agent.c). */
struct nta_leg_s *trunk_agent_out_leg(const struct trunk_agent *agent);
/* What this build implements: methods (Allow) and the extensions we
 * support in Require/Supported (RFC 3262 100rel, RFC 4028 timer). */
#define TRUNK_ALLOW                                                            \
	"INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REGISTER"
#define TRUNK_SUPPORTED "100rel, timer"
/* TRUNK_SUPPORTED as a header, for nta_check_required (process-wide). */
sip_supported_t const *trunk_agent_supported(void);
/* "Supported: timer" and TRUNK_ALLOW as headers (process-wide): tags of
 * requests and responses without parsing the text each time. */
sip_supported_t const *trunk_agent_supported_timer(void);
sip_allow_t const *trunk_agent_allow(void);
/* A request's basic sanity (RFC 3261 8.2.2, 18.3): 0, or the 4xx that
 * was sent (416 scheme, 400 bad header or short body, 420 Require). */
struct nta_incoming_s;
int trunk_agent_check_request(struct nta_incoming_s *irq, sip_t const *sip);
/* The status trunk_agent_check_request() sends for sip (0: none), with
 * its phrase in phrase ("": the standard one); sends nothing. */
uint16_t trunk_agent_request_verdict(sip_t const *sip, char *phrase,
				     size_t len);
/*
 * "host:port" where the side's peers reach us, written to buf: over tls
 * the TLS listener, else the first address bound (nta's Contact). With
 * family AF_INET or AF_INET6 (a trunk's address_family, SC-15-2) the
 * first listen address of that family when the first of all is of the
 * other; 0: the first. NULL when there is none (no TLS listener, no
 * address of that family).
 */
const char *trunk_agent_hostport(const struct trunk_agent *agent, int family,
				 bool tls, char *buf, size_t len);

/*
 * admission.c: new INVITEs refused before nta keeps any state of them
 * (overload, [global] max_calls, max_call_rate; EM-4 exempt).
 */
enum trunk_admit {
	TRUNK_ADMIT_OK = 0,    /* admitted */
	TRUNK_ADMIT_OVERLOAD,  /* standing queue before the thread */
	TRUNK_ADMIT_MAX_CALLS, /* [global] max_calls calls up */
	TRUNK_ADMIT_RATE,      /* [global] max_call_rate exceeded */
	TRUNK_ADMIT_COUNT,
};
struct trunk_admission_info {
	unsigned long long admitted;	     /* new INVITEs let through */
	unsigned long long emergency_exempt; /* would be refused: EM-4 */
	unsigned long long refused[TRUNK_ADMIT_COUNT]; /* 503, by reason */
	unsigned long long refused_again;      /* retransmissions of those */
	unsigned long long windows_overloaded; /* 100 ms windows */
	long long last_wait_us;	  /* the last measured socket wait, 0 none */
	unsigned share_per_mille; /* of new INVITEs admitted by overload */
	unsigned max_calls, max_call_rate; /* in force, 0: no limit */
	long long overload_delay_ms;	   /* in force, 0: off */
};
/* Read the [global] limits (start, reload). 0 or ENOMEM. */
int trunk_admission_apply(struct trunk_gateway *gw, const struct config *cfg);
/* Called with each request no transaction or dialog claims, before one
 * is created: true when it was a new INVITE refused with a stateless
 * 503 (msg is then consumed), false when it goes on as usual. */
bool trunk_admission_refuse(struct trunk_agent *agent, struct trunk_gateway *gw,
			    enum trunk_side side, msg_t *msg, sip_t const *sip);
/* After a request trunk_admission_refuse() let through was handled
 * (synchronously, in the same nta callback): became_call when a call was
 * made of it; a new INVITE that was not gives its max_call_rate token
 * back. */
void trunk_admission_settle(struct trunk_gateway *gw, bool became_call);
/* The counters and settings; brings the overload share up to now. */
void trunk_admission_info(struct trunk_gateway *gw,
			  struct trunk_admission_info *out);
const char *trunk_admission_reason_name(enum trunk_admit reason);

/*
 * call.c: a new INVITE outside any dialog on SIDE. Takes charge of irq
 * (answers it, now or later). Returns 0, or a SIP status for the agent to
 * answer with when no call was created (403 unknown source, 503, ...).
 */
struct nta_incoming_s;
struct sip_s;
int trunk_call_invite(struct trunk_gateway *gw, enum trunk_side side,
		      struct nta_incoming_s *irq, struct sip_s const *sip);
/* A media event for a call (RTP timeout ends it). Signalling thread. */
struct media_event;
void trunk_call_media_event(const struct media_event *ev, void *arg);
/* Whether a FIRST_PACKET should wake us (its debug line is logged): media
 * threads call it (media_engine_first_packet_wanted). */
bool trunk_call_media_first_wanted(void *arg);

/* call_fork.c: a 2xx to a call's INVITE toward leg B that nta no longer
 * matches to a transaction (handed back 64*T1 after the call was up, at
 * once over TCP/TLS): ACKed again (our ACK got lost), or, from a fork
 * not seen before, ACKed and ended. True when it was such a 2xx. */
struct nta_agent_s;
bool trunk_call_stray_2xx(struct trunk_gateway *gw, struct nta_agent_s *nta,
			  struct sip_s const *sip);
/* End every call at once (shutdown). */
void trunk_call_hangup_all(struct trunk_gateway *gw, const char *why);
/* Free every call now, without waiting for the loop (final stop). */
void trunk_call_free_all(struct trunk_gateway *gw);

/* peer.c: SP-SSE supervision by OPTIONS (STA-4, STA-5). */
enum trunk_peer_state {
	TRUNK_PEER_UNKNOWN = 0, /* not pinged yet, or pings off */
	TRUNK_PEER_UP,		/* answered */
	TRUNK_PEER_DOWN,	/* 503, timeout or transport error */
};
struct trunk_peer_info {
	const char *trunk, *addr, *route;
	/* Found by DNS (peer_dns.c): its SRV target, NULL otherwise. */
	const struct trunk_dns_target *dns;
	enum trunk_peer_state state;
	unsigned long pings, failures;
	bool tls; /* reached over TLS: tls_state below */
	struct trunk_tls_state {
		bool connected; /* a held connection is open (TLS-11) */
		bool verified;	/* its peer was accepted (certs/) */
		char version[16], cipher[64];
		char identity[256]; /* the name the peer proved */
		long long expiry;   /* its certificate's notAfter, 0 none */
		char ocsp[16];	    /* certs_ocsp_status_name() */
	} tls_state;
};
/* (Re)build the peers of every trunk from cfg; same trunk+address keeps
 * its state. 0 or ENOMEM (old peers kept). */
int trunk_peers_apply(struct trunk_gateway *gw, const struct config *cfg);
void trunk_peers_free(struct trunk_gateway *gw);
/* peer_dns.c: trunks configured by domain only, looked up by RFC 3263
 * (STA-1) at start, on reload and when the answer's TTL runs out, always
 * on a resolver thread (the signalling thread never waits for DNS). */
#define TRUNK_DNS_MAX_ADDRS 16 /* addresses per trunk */
struct trunk_dns_target {
	char host[256]; /* the SRV target, or the domain without SRV */
	char ip[64];	/* one of its addresses */
	unsigned port;	/* 0: the transport's default (no SRV) */
	unsigned prio, weight;
};
struct trunk_dns_answer {
	struct trunk_dns_target v[TRUNK_DNS_MAX_ADDRS]; /* in SRV order */
	size_t n;
	unsigned ttl; /* seconds: the smallest TTL of the records used */
	bool have_ttl;
	bool naptr;	/* the SRV name came from a NAPTR record */
	bool failed;	/* a query got no answer (TRY_AGAIN): partial */
	char srv[1025]; /* the SRV name looked up */
};
/* The trunks by domain of cfg, each looked up anew (on the resolver
 * thread: returns at once); a trunk asking the same question as before
 * keeps its answer meanwhile, a new one is pending. 0, or -1 when out of
 * memory (old answers kept). */
int trunk_dns_apply(struct trunk_gateway *gw, const struct config *cfg);
/* The answer of a Static-mode trunk by domain, whose addresses are its
 * SP-SSEs (peer.c); NULL for any other trunk. Borrowed until the next
 * apply or refresh. */
const struct trunk_dns_answer *trunk_dns_peers(const struct trunk_gateway *gw,
					       const char *trunk);
/* The answer that trunk t of a configuration not yet applied keeps
 * through trunk_dns_apply() (a Static-mode trunk by domain asking the
 * question it asks now), NULL for any other: its SP-SSEs, built before
 * the apply so that a failure changes nothing. Borrowed as above. */
const struct trunk_dns_answer *
trunk_dns_peers_of(const struct trunk_gateway *gw,
		   const struct config_section *t);
/* What trunkctl shows of a trunk by domain. */
struct trunk_dns_info {
	const char *domain, *srv; /* the SRV name last looked up */
	/* "pending" (no answer yet: a lookup out, or failed and to be
	 * retried), "resolved", "stale" (the last lookup failed: the
	 * previous answer kept) */
	const char *state;
	bool waiting;	       /* Static mode and pending: calls get 503 */
	unsigned retry_after;  /* seconds: the 503's Retry-After */
	size_t addrs;	       /* addresses known */
	unsigned long lookups; /* since start or reload, this one too */
	unsigned long failed;  /* lookups the server did not answer */
	unsigned long refused; /* calls refused with 503 while pending */
	long long next_ms;     /* until the next lookup */
};
/* false: trunk is not configured by domain only. */
bool trunk_dns_info(const struct trunk_gateway *gw, const char *trunk,
		    struct trunk_dns_info *info);
/* A call toward pending trunk refused with 503: logged at WARN the first
 * time, then at most once per 10 s with the count refused since (DEBUG
 * in between): a PBX's call rate must not become the log's rate. */
void trunk_dns_refused(struct trunk_gateway *gw, const char *trunk);
/* The trunk by domain that IP is a source of, or NULL. */
const struct config_section *trunk_dns_src_trunk(struct trunk_gateway *gw,
						 const char *ip);
void trunk_dns_free(struct trunk_gateway *gw);
/* peer.c: a refresh changed trunk's answer: rebuild its peers (same
 * address keeps its state). */
void trunk_peers_dns_changed(struct trunk_gateway *gw, const char *trunk);
/* Iterate the peers of a trunk (NULL: all) in configured order. */
const struct trunk_peer *trunk_peer_next(const struct trunk_gateway *gw,
					 const char *trunk,
					 const struct trunk_peer *prev);
void trunk_peer_info(const struct trunk_peer *p, struct trunk_peer_info *info);
/* The [trunk] an inbound request from ip comes from: one of its SP-SSE
 * addresses (trunk_find_trunk), or an address its SP-SSE's host name had
 * at start or the last reload. NULL: none (403). */
const struct config_section *trunk_find_trunk_src(struct trunk_gateway *gw,
						  const char *ip);
const char *trunk_peer_state_name(enum trunk_peer_state s);
/* A call learnt something about the peer reached by route (its URL). */
void trunk_peer_report(struct trunk_gateway *gw, const char *route, bool ok,
		       const char *why);

/* auth.c: digest toward carriers (REG-4, STA-6). */
/* Take a 401/407's challenge for TRUNK: 0 (retry with credentials),
 * EACCES (no credentials, or the same challenge again: refused). fresh:
 * the request carried no answer to a challenge of its own yet. */
int trunk_auth_challenge(struct trunk_gateway *gw, const char *trunk,
			 sip_t const *sip, bool fresh);
/* Authorization headers for a request of TRUNK (NULL list if none yet). */
int trunk_auth_headers(struct trunk_gateway *gw, const char *trunk,
		       su_home_t *home, const char *method, url_t const *url,
		       msg_payload_t const *body, msg_header_t **out);
/* Forget TRUNK's challenge and credentials (a reload changed them): the
 * next request goes without, the next challenge takes the new ones. */
void trunk_auth_forget(struct trunk_gateway *gw, const char *trunk);
/* orq, which got a 401/407 (challenge), rebuilt to be sent again with
 * credentials for it (see auth.c); NULL: not answerable. */
struct msg_s *trunk_auth_request_again(struct trunk_gateway *gw,
				       const char *trunk, struct nta_leg_s *leg,
				       struct nta_outgoing_s *orq,
				       sip_t const *challenge);
/* A BYE of TRUNK's whose call is being freed, not answered yet: kept
 * (true) to answer a challenge to it (retried: it already was one), sent
 * again toward hop, or on tport (a connection the carrier opened: a
 * reference is taken) while that is open. */
struct tport_s;
bool trunk_auth_bye_adopt(struct trunk_gateway *gw, const char *trunk,
			  struct nta_agent_s *nta, struct nta_outgoing_s *orq,
			  const char *hop, struct tport_s *tport, bool retried);
/* tp when it is a connection (secondary) still open, else NULL. */
struct tport_s *trunk_tport_open(struct tport_s *tp);
void trunk_auth_free_all(struct trunk_gateway *gw);

/* call_abandon.c: our INVITE that a call leaves before its final
 * response (failover to the next SP-SSE, the call's end while it rings):
 * CANCELled and kept until that final response; a 2xx is ACKed and its
 * dialog ended with a BYE (RFC 3261 9.1, 13.2.2.4, 15), a challenge to
 * that BYE answered once with the trunk's credentials. Takes orq (its
 * owner forgets it). answer: NULL, or the 2xx orq just got (inside its
 * callback) when its call has ended: ACKed and BYEd at once. False when
 * orq already has its final response (answer NULL) or cannot be kept:
 * its owner destroys it (not inside its callback). */
struct trunk_abandon_from {
	const char *hop;   /* the next hop of a TLS trunk's dialog, or NULL */
	const char *trunk; /* the trunk toward which orq went, or NULL */
	const char *ctx;   /* names the call in the log */
	uint32_t seq;	   /* highest CSeq sent in its early dialogs (PRACK) */
};
bool trunk_invite_abandon(struct trunk_gateway *gw, struct nta_agent_s *nta,
			  struct nta_outgoing_s *orq, sip_t const *answer,
			  const struct trunk_abandon_from *from);
/* The BYE that ends a late fork's dialog leg (its 2xx came after its
 * call was confirmed with another fork, RFC 3261 13.2.2.4; the leg stays
 * its call's): sent with the trunk's cached credentials and kept until
 * its final response, a challenge to it answered once as above, whatever
 * becomes of the call. False: not sent (out of memory). */
bool trunk_bye_abandon(struct trunk_gateway *gw, struct nta_agent_s *nta,
		       struct nta_leg_s *leg,
		       const struct trunk_abandon_from *from);
/* At the gateway's end, before the agents go. */
void trunk_invite_abandon_free_all(struct trunk_gateway *gw);
/* call_dialog.c: the ACK of a 2xx, statelessly, in leg toward hop (NULL:
 * its route) on tport (NULL: any), with the Authorization and
 * Proxy-Authorization of invite, our request it acknowledges (RFC 3261
 * 13.2.2.4: "The ACK MUST contain the same credentials as the INVITE";
 * NULL: none), and the body pl of type ct (NULL: none). */
void trunk_ack_send(struct nta_leg_s *leg, url_string_t const *hop,
		    struct tport_s *tport, sip_cseq_t const *cseq,
		    sip_t const *invite, sip_payload_t const *pl,
		    sip_content_type_t const *ct);

/* registrar.c: phones registering with digest (issue 3 item 2). */
/* REGISTER on the enterprise side: answers irq; 0 or a status to send. */
int trunk_registrar_register(struct trunk_gateway *gw,
			     struct nta_incoming_s *irq, sip_t const *sip);
/* Digest-authenticate a phone's request: its [phone] section, or NULL
 * after irq was answered (401/407 challenge). */
const struct config_section *trunk_registrar_auth(struct trunk_gateway *gw,
						  struct nta_incoming_s *irq,
						  sip_t const *sip);
/* A [pbx] with a username: its request must carry a digest for it
 * (Proxy-Authorization, realm [enterprise] realm): true when it does or
 * the PBX has no username; false after irq was answered (407 challenge,
 * or 403 for a wrong digest). */
bool trunk_registrar_auth_pbx(struct trunk_gateway *gw,
			      struct nta_incoming_s *irq, sip_t const *sip,
			      const struct config_section *pbx);
/* The [phone] whose name or extension is user, or NULL. */
const struct config_section *trunk_phone_find(const struct config *cfg,
					      const char *user);
struct trunk_binding_info {
	const char *phone, *contact;
	long long expires_in;
};
/* Iterate live bindings (of one phone, or all with NULL). */
const struct trunk_binding *
trunk_binding_next(struct trunk_gateway *gw, const char *phone,
		   const struct trunk_binding *prev);
void trunk_binding_info(const struct trunk_binding *b,
			struct trunk_binding_info *info);
/* The registrar's state at the gateway's end: bindings and nonces. */
void trunk_bindings_free(struct trunk_gateway *gw);

/* trunk_config.c: the [trunk NAME] section (name NULL: the first), or
 * NULL; and an address as it stands in a SIP URI: "host", "[v6]",
 * ":port" when set. */
const struct config_section *trunk_config_trunk(const struct config *cfg,
						const char *name);
void trunk_addr_hostport(const struct config_addr *a, char *buf, size_t len);
/* A [trunk]'s address_family: AF_INET or AF_INET6 (SC-15-2). */
int trunk_config_family(const struct config_section *t);
/* The loaded dial plan against cfg: every trunk it routes to and every
 * context a [phone]/[pbx]/[trunk] names exist; errors through eh as
 * FILE:LINE: reason. Returns how many. */
int trunk_config_check_plan(const struct config *cfg,
			    const struct dialplan *plan, config_error_h *eh,
			    void *arg);

/* daemon.c: trunk_config_check() that also hands over the compiled dial
 * plan (*plan NULL when [dialplan] names no file). */
int trunk_config_load_all(const char *file, struct config **out,
			  struct dialplan **plan);

/* acl.c: the source of a request and who it is. */
struct nta_incoming_s;
/* The source IP of irq's request, as text. */
bool trunk_source_ip(struct nta_incoming_s *irq, char *ip, size_t len);
/* "udp", "tcp" or "tls" (static): the transport of tp, the tport a
 * request came over, or NULL (none, or another). */
struct tport_s;
const char *trunk_tport_proto(struct tport_s const *tp);
/* The [pbx] whose acl (or address) covers ip and whose acl_transports
 * (unset: any) proto, the transport the request came over (NULL:
 * unknown, which only a PBX without acl_transports takes), or NULL.
 * *by_addr, if not NULL: whether a [pbx] covered ip at all. */
const struct config_section *trunk_find_pbx(const struct config *cfg,
					    const char *ip, const char *proto,
					    bool *by_addr);
/* The [trunk] one of whose SP-SSE addresses (IP literals) is ip, or NULL. */
const struct config_section *trunk_find_trunk(const struct config *cfg,
					      const char *ip);

/* For trunkctl: a snapshot of one call (borrowed strings). */
struct trunk_call_info {
	unsigned long long id;
	const char *state;
	enum trunk_side from, to;
	long long duration_s;
	const char *call_id[2]; /* leg A (caller side), leg B */
	const char *target;	/* B's Request-URI */
	bool emergency;		/* EM-1: the dial plan's emergency call */
	bool media;		/* anchored: the fields below are valid */
	uint16_t media_port[2]; /* our RTP port toward leg A, leg B */
	uint64_t rtp_in[2], rtp_out[2];	  /* packets from / to each leg */
	uint64_t rtcp_in[2], rtcp_out[2]; /* RTCP packets, the same */
	/* From each leg, not relayed: the other leg's peer holds (HOLD-1,
	 * HOLD-2) */
	uint64_t drop_hold[2];
};
/* Iterate the active calls: prev NULL starts; NULL at the end. */
const struct trunk_call *trunk_call_next(const struct trunk_gateway *gw,
					 const struct trunk_call *prev);
void trunk_call_info(const struct trunk_call *call,
		     struct trunk_call_info *info);
/* End one call with BYE/CANCEL; ENOENT if there is no such call. */
int trunk_call_hangup(struct trunk_gateway *gw, unsigned long long id);
/* Transfer call id's enterprise leg to target (an extension, a user of
 * the PBX, a number across the trunk) by 3pcc (transfer.c, XFR-1): 0
 * when the target is being called, else a SIP status (404 no such call
 * or target, 491 busy; control.c names the others). */
int trunk_call_transfer(struct trunk_gateway *gw, unsigned long long id,
			const char *target);
/* Attended transfer by 3pcc, by the operator (transfer.c): the far end
 * of call `other` joins call id in place of id's enterprise leg, as a
 * REFER with Replaces would do (re-INVITE, then BYE to both enterprise
 * legs). 0 when the far end is being re-INVITEd, else a SIP status (404
 * no such call, 488 a call without an enterprise leg, 491 busy). */
int trunk_call_join(struct trunk_gateway *gw, unsigned long long id,
		    unsigned long long other);

/* control.c: the UNIX-socket control interface (JSON lines). */
int trunk_control_alloc(struct trunk_gateway *gw, const char *path,
			const char *group, struct trunk_control **out);
void trunk_control_free(struct trunk_control *ctl);

/*
 * daemon.c, for control.c: re-read the config file. On failure the running
 * config stays and errs receives "FILE:LINE: reason; ..." (truncated).
 */
int trunk_gateway_reload(struct trunk_gateway *gw, char *errs, size_t len);

/* sched.c: [global] signalling_slice applied to the calling (signalling)
 * thread; its slice as the kernel reports it, ns (0: this kernel has no
 * per-thread slices); a helper thread's back to the kernel's own. */
void trunk_sched_apply(struct trunk_gateway *gw, const struct config *cfg);
uint64_t trunk_sched_slice_ns(void);
void trunk_sched_slice_reset(void);

/* sofia_log.c: route Sofia-SIP's logs into ours, per-subsystem levels. */
void trunk_sofia_log_init(void);
void trunk_sofia_log_levels_apply(void);

/* sofia_time.c: su_duration() rounded up, so that Sofia's reactor sleeps
 * until a timer less than 1 ms away instead of spinning on epoll_wait.
 * True when libsofia-sip-ua's calls reach our definition (the executable
 * must export it: --export-dynamic-symbol=su_duration). */
bool trunk_sofia_time_check(void);
/* sofia_udp.c: Sofia's UDP receive without ioctl(FIONREAD), its send
 * without getsockopt(SO_ERROR). The scope (TRUNK_UDP_RECV/SEND, 0: none)
 * is set by the tport_recv_dgram()/tport_send_dgram() wrappers;
 * trunk_sofia_udp_take() gives su_vrecv() (stun.c) the datagram read
 * ahead on socket s (-2: none), with its receive time for
 * trunk_sofia_udp_stamp(); the check: whether libsofia-sip-ua's
 * calls reach the wrappers. */
enum { TRUNK_UDP_RECV = 1, TRUNK_UDP_SEND = 2 };
void trunk_sofia_udp_scope(int scope);
issize_t trunk_sofia_udp_take(su_socket_t s, su_iovec_t iov[], isize_t len,
			      su_sockaddr_t *su, socklen_t *sulen);
bool trunk_sofia_udp_check(void);
/* The kernel's receive time of the last datagram su_vrecv() took from
 * socket fd on this thread (false: none, or not stamped). */
bool trunk_sofia_udp_stamp(int fd, struct timespec *ts);
/* The reactor of this thread, whose due timers run between the datagrams
 * of one batch read (tport_recv_event()); and the batch reads so far
 * (all threads): reads, datagrams they brought, reads of a full batch. */
void trunk_sofia_udp_root(su_root_t *root);
void trunk_sofia_udp_stats(unsigned long long *reads,
			   unsigned long long *datagrams,
			   unsigned long long *full);
/* Datagrams Sofia sent while more of a batch waited, held and then sent
 * together (all threads): sendmmsg() calls, datagrams they sent. */
void trunk_sofia_udp_send_stats(unsigned long long *sends,
				unsigned long long *datagrams);
/* sofia_tport.c: whether libsofia's transport choice by name goes through
 * trunkd's tport_primary_by_name() (IPv6 URI hosts, SC-15-2). */
bool trunk_sofia_tport_check(void);
/*
 * badline.c: the answer to a request whose request line Sofia cannot read
 * (RFC 3261 8.2.1, 21.5.2, 21.5.6): status 505 (another SIP version), 501
 * (a method trunkd does not know), 400 (anything else), 0 (no answer: a
 * status line, ACK). trunk_badline_answer() writes the whole response
 * (raw: the request's bytes, len of them; line: its request line as
 * received, line_len bytes, or NULL: raw's first line; Sofia's failed
 * parse leaves NULs in raw's) into out (size bytes): Vias,
 * From, To (+ tag), Call-ID and CSeq copied, received/rport on the top
 * Via from src, NUL-terminated; its length, or 0 when no answer can be
 * formed (not a request, ACK, a header missing or doubled, a top Via
 * whose sent-by port is no port: more than 5 digits, 0 or above 65535,
 * out too small). dest: the status and the UDP port to answer to (rport:
 * src's; else the top Via's, or 5060 when it names none).
 */
struct trunk_badline_from {
	const char *host; /* the source address, no brackets */
	unsigned port;
	const char *tag; /* a To tag to add */
};
struct trunk_badline_dest {
	uint16_t status;
	unsigned port;
};
uint16_t trunk_badline_status(const char *line, size_t n);
size_t trunk_badline_answer(const char *line, size_t line_len, const char *raw,
			    size_t len, const struct trunk_badline_from *src,
			    char *out, size_t size,
			    struct trunk_badline_dest *dest);

/* sofia_stream.c: close a TCP/TLS connection whose framing is lost (a
 * message Sofia cannot parse, one too large, a half message timed out;
 * on TLS a half message that waited half_ms without a byte) from timers
 * on root, instead of Sofia's deaf connection. start: 0 or ENOMEM; stop
 * releases the connections held (before the agents go). check: whether
 * libsofia's calls reach trunkd's tport_deliver() and tport_recv_iovec()
 * (--export-dynamic-symbol). */
int trunk_sofia_stream_start(su_root_t *root, unsigned half_ms);
void trunk_sofia_stream_stop(void);
bool trunk_sofia_stream_check(void);

/* sofia_hclass.c: do libsofia's header name lookups reach trunkd's
 * msg_find_hclass() (--export-dynamic-symbol)? */
bool trunk_sofia_hclass_check(void);

#endif /* TRUNKD_TRUNK_GATEWAY_H */
