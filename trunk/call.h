/*
 * Private to the call files of trunk/: call.c (set-up, routing, lifetime),
 * call_dialog.c (requests inside the dialogs), prack.c (RFC 3262 reliable
 * provisional responses) and call_timer.c (RFC 4028 session timers per
 * leg). The call object and the helpers they share; see call.c for the
 * state diagram.
 *
 * Each .c file defines SU_TIMER_ARG_T for its own timers before including
 * this header.
 */
#ifndef TRUNKD_TRUNK_CALL_H
#define TRUNKD_TRUNK_CALL_H

#define NTA_LEG_MAGIC_T	     struct call_leg
#define NTA_OUTGOING_MAGIC_T struct trunk_call
#define NTA_INCOMING_MAGIC_T struct trunk_call
#define NTA_RELIABLE_MAGIC_T struct trunk_call

#include "gateway.h"
#include "sdp.h"
#include "session_timer.h"
#include "sofia_home.h"

#include <sofia-sip/nta.h>

enum call_state {
	CALL_CALLING,	 /* INVITE sent to B, nothing back but 100 */
	CALL_EARLY,	 /* a 1xx from B relayed to A */
	CALL_CANCELLING, /* A cancelled; waiting for B's final response */
	CALL_CONFIRMED,	 /* 2xx relayed; the call is up */
	CALL_TERMINATED, /* done; freed from a zero-delay timer */
};

struct call_leg {
	struct trunk_call *call; /* borrowed: the owner */
	enum trunk_side side;
	nta_leg_t *leg;
	nta_outgoing_t *bye; /* a BYE we sent on this leg, if any */
	char transport[8];   /* "udp", "tcp": of the leg's peer */
	/* A TLS trunk's SP-SSE: next hop in the dialog (on the call's
	 * home), or NULL. */
	const char *hop;
	/* The TLS connection a carrier opened for its INVITE (ref; NULL
	 * else): our requests in that dialog go on it while it is open. */
	struct tport_s *tport;
	/* Ours on this leg: shared (call_contact.c), else on the home. */
	sip_contact_t *contact;
	/* RFC 4028 on this leg (call_timer.c). */
	struct trunk_st st;	    /* negotiated; interval 0: none */
	su_timer_t *st_timer;	    /* refresh or expiry, when st has one */
	nta_outgoing_t *st_refresh; /* our refresh UPDATE/re-INVITE */
	unsigned st_glare;	    /* 491s to it in a row (RFC 3261 14.1) */
	bool allows_update;	    /* the peer's Allow names UPDATE */
	/* Our 2xx to its INVITE until the ACK (call_retx.c), or NULL. */
	struct call_retx *retx;
	/* RFC 6223 keep-alives toward the trunk hop of a dialog we formed
	 * (call_keep.c), or NULL. */
	struct trunk_flow *keep_flow;
};

#define CALL_MAX_ROUTES 8

/* Preload of each call leg's nta home (sofia_home.c): the dialog's
 * From, To, Call-ID, tag, route set and target, in one area. */
#define CALL_LEG_PRELOAD 1024

/* nta_leg_tcreate() whose leg home gets CALL_LEG_PRELOAD bytes of preload
 * (sofia_home.c; the request is taken by the leg's clone, cleared after). */
#define CALL_LEG_TCREATE(...)                                                  \
	(trunk_home_preload_next(CALL_LEG_PRELOAD),                            \
	 call_leg_created(nta_leg_tcreate(__VA_ARGS__)))

static inline nta_leg_t *call_leg_created(nta_leg_t *leg)
{
	trunk_home_preload_next(0);
	return leg;
}

struct call_route {
	enum trunk_side to;
	char a_domain[256]; /* leg A's SP domain when A is a trunk, for 3xx */
	char a_trunk[64];   /* leg A's [trunk] when the call came from one */
	char from[400];	    /* leg B's From, "" to derive it from A's */
	char headers[2048]; /* identity and passed headers (policy.c) */
	/* The [pbx]/[phone] of leg A and of leg B, if any: borrowed from
	 * the config while routing only (a reload frees them). */
	const struct config_section *a_peer, *b_peer;
	/* Emergency location (EM-5), same lifetime; see policy.h. */
	const struct config_section *location;
	char loc_cid[96], loc_entity[200];
	uint16_t fwd_cause; /* a forward after the enterprise's 3xx (FWD-1) */
	bool emergency;	    /* EM-1: toward a trunk, by the dial plan */
	bool dry_run;	    /* dialtest.c: decided, never placed */
	char b_phone[64];   /* leg B's [phone], for its forward_* (FWD-1) */
	char trunk[64];	    /* the [trunk NAME] of leg B, "" toward the PBX */
	char ruri[512];
	/* Next hops to try in order (SP-SSEs of the trunk); none: the
	 * R-URI's own host (RFC 3263 by nta). */
	char routes[CALL_MAX_ROUTES][360];
	unsigned nroutes;
	/* A refusal's Warning value (RFC 3261 20.43) and Retry-After in
	 * seconds, "" none: a trunk whose DNS lookup is pending (503). */
	char warning[300];
	unsigned retry_after;
};

/*
 * Where a new INVITE goes once its sender is admitted (call.c): WHO is the
 * [pbx]/[phone] it came from on the enterprise side (NULL: none), the
 * [trunk] on the trunk side (never NULL there). CONTEXT names the
 * dial-plan context, NULL for WHO's own (or the default). Fills *r (leg
 * B's R-URI, From, identity and location headers: policy.c) and *res (the
 * dial plan's decision; res->context NULL when it made none). dry_run:
 * nothing is placed (the policy's log line is DEBUG). Returns 0 or the
 * SIP status to answer. Live calls and `trunkctl dialplan test` /
 * `trunkd --dialplan-test` (dialtest.c) both decide through it.
 */
int call_route_decide(struct trunk_gateway *gw, enum trunk_side side,
		      const struct config_section *who, sip_t const *sip,
		      const char *context, bool dry_run, struct call_route *r,
		      struct dialplan_result *res);

/* An in-dialog request relayed from one leg to the other. */
struct call_txn {
	struct call_leg *from; /* borrowed: the leg it came on */
	nta_incoming_t *irq;   /* answered when the peer answers */
	nta_outgoing_t *orq;   /* sent on the peer leg */
	bool offer;	       /* it carried a body (an SDP offer) */
	bool refresh;	       /* INVITE/UPDATE: refreshes the session */
	struct trunk_st st;    /* the asker's leg timer once we say 2xx */
	uint32_t rseq;	       /* the last RSeq of the answerer's we took */
	bool cancelled;	       /* the asker CANCELled (re-INVITE) */
	bool as_invite;	       /* an UPDATE sent on as a re-INVITE */
	/* A re-INVITE with an offer: the SDP state before it crossed, to go
	 * back to when it fails (call_reoffer.c), or NULL. */
	struct call_sdp_undo *undo;
	/* An offerless re-INVITE answered with an offer in a reliable 18x
	 * (call_reprack.c). */
	bool rel100;		   /* the asker supports 100rel */
	bool early_oa;		   /* that offer came (answered in PRACK) */
	bool local_oa;		   /* ... and we answered it ourselves */
	uint32_t x_cseq;	   /* the CSeq of our re-INVITE it answered */
	nta_reliable_t *rel;	   /* our reliable 18x to the asker with it */
	nta_incoming_t *prack;	   /* the asker's PRACK with the answer */
	nta_outgoing_t *prack_out; /* our PRACK to the answerer */
	/* Our bodiless PRACK of another reliable 18x (call_dialog.c). */
	nta_outgoing_t *prack_bare;
};

struct trunk_flow;

struct trunk_call {
	/* What only some calls need (transfers, forks, a TLS hop, an own
	 * Contact): its block table (~560 bytes) is made at its first
	 * allocation. What every call keeps (target, Call-IDs, parties, A's
	 * offer, our last SDP per leg) is malloc'd apart (call_str_set(),
	 * su_*(NULL, ...)) and freed by call_free(). */
	su_home_t home[1];
	struct trunk_gateway *gw; /* borrowed */
	struct trunk_call *next;
	struct trunk_call **prevp; /* what points at us: O(1) unlinking */
	unsigned long long id;
	char ctx[32];
	enum call_state state;
	struct call_leg a, b;
	nta_incoming_t *invite_a; /* the INVITE we answer */
	nta_outgoing_t *invite_b; /* the INVITE we sent */
	uint32_t invite_b_cseq;
	/* Where leg B goes and the SP-SSEs to try (6.6 KB): allocated while
	 * leg B is set up, freed once the call is CONFIRMED (NULL then and
	 * before routing). What outlives it is below. */
	struct call_route *route;
	unsigned route_idx; /* the one being tried */
	/* route->trunk: leg B's [trunk], "" toward a PBX; route->a_trunk:
	 * leg A's [trunk], "" if none (call_str_set()). */
	const char *trunk, *a_trunk;
	bool emergency; /* route->emergency */
	unsigned max_forwards;
	unsigned auth_tries; /* challenges answered for our INVITE */
	/* Our in-dialog requests already sent again for a challenge
	 * (call_dialog.c), malloc'd at the first, else NULL. */
	struct call_auth_retried *auth_retried;
	unsigned redirects; /* 3xx followed (trunk redirect = follow) */
	/* A's INVITE body, kept for failover (malloc'd: su_*(NULL, ...)). */
	sip_payload_t *body;
	sip_content_type_t *body_type;
	bool late_offer; /* INVITE without SDP: ACK(A) carries the answer */
	bool b_acked;	 /* ACK sent for B's 2xx */
	bool b_heard;	 /* B's SP-SSE answered (peer reported up) */
	/* An ACK we owe a leg once the other leg's ACK (with the answer to
	 * an offer in a 2xx) arrives: offerless INVITE or re-INVITE. */
	struct call_leg *ack_to;
	uint32_t ack_cseq;
	/* That INVITE's request (a reference): the deferred ACK carries its
	 * credentials even if the INVITE went back to nta meanwhile. */
	struct msg_s *ack_invite;
	/* The re-INVITE being relayed (one at a time: glare gets 491), and
	 * one other in-dialog request (UPDATE, INFO). */
	struct call_txn reinvite, other;
	su_timer_t *reaper;    /* frees the call outside its callbacks */
	su_timer_t *b_release; /* hands invite_b back to nta (call_fork.c) */
	time_t started;
	/* For trunkctl ("" until known, else malloc'd: call_str_set()): B's
	 * Request-URI, the Call-IDs of legs A and B. */
	const char *target;
	const char *call_id[2];
	struct media_session *media; /* the anchored RTP (media/), or NULL */
	/* Our o= line toward leg A, leg B; their last (our last SDP on the
	 * leg) malloc'd: trunk_sdp_rewrite*() with no home. */
	struct trunk_sdp_leg sdp[2];
	/* RFC 3262 (prack.c). */
	bool a_100rel;		 /* A's INVITE supports or requires 100rel */
	uint32_t b_rseq;	 /* the last RSeq of B's that we took */
	nta_reliable_t *rel_a;	 /* our relayed reliable 18x to A, unPRACKed */
	nta_incoming_t *prack_a; /* A's PRACK, answered when B answers ours */
	nta_outgoing_t *prack_b; /* our PRACK to B */
	/* Who each leg's peer sees at the other end: A's To, B's From
	 * (call_str_set()), for a transfer target's INVITE. */
	const char *party[2];
	/* Each leg's enterprise peer as "kind:name" ("pbx:local",
	 * "phone:alice"; NULL or "" for a trunk or none: call_str_set()):
	 * whose dial plan and identity a transfer it asks for gets. */
	const char *who[2];
	struct call_xfer *xfer; /* a transfer under way (transfer.c) */
	/* RFC 4028 toward B's initial INVITE (call_timer.c). */
	unsigned b_se;	       /* the Session-Expires we ask B for, 0: none */
	unsigned st_422_tries; /* 422s answered for our INVITE */
	/* Forwarding (FWD-1, call.c): a phone's no-answer timer, whether it
	 * fired (our CANCEL's 487 then forwards), whether an SDP reached A
	 * (then leg B can no longer be replaced). */
	su_timer_t *fwd_timer;
	su_timer_t *sse_timer; /* invite_timeout (call_sse.c) */
	bool fwd_no_answer;
	bool a_sdp;
	bool a_sdp_rel; /* ... in a reliable 18x (prack.c) */
	/* Leg B's forked early dialogs other than its own (call_fork.c). */
	struct call_forks *forks;
	/* Our re-INVITE with a transfer target's codecs (call_reoffer.c),
	 * and the leg it went to (borrowed). */
	nta_outgoing_t *reoffer;
	struct call_leg *reoffer_to;
	bool realign; /* that re-INVITE undoes a crossed CANCEL's 2xx */
	/* ... or moves the leg to a new relay port (transfer.c): refused,
	 * the call is hung up (its old port is gone). */
	bool reoffer_moved;
	/* The leg whose ACK answers our SDP in a 2xx that the other leg
	 * never saw (call_reprack.c), or NULL. */
	struct call_leg *ack_local;
	/* Its record (call_cdr.c): started (INVITE received), answered (2xx
	 * relayed to A; 0: never) and ended, Unix time in ms; A's From and
	 * Request-URI as received, why it ended (call_str_set()); the final
	 * status A got, kept when invite_a is given back. */
	int64_t start_ms, answer_ms, end_ms;
	const char *from_a, *ruri_a, *end_why;
	uint16_t a_status;
};

/* A body on its way from one leg to the other (see call_sdp_cross): on
 * the gateway's scratch home, for the callback that made it. */
struct call_body {
	sip_payload_t *pl;
	sip_content_type_t *ct;
};

#define CALL_BODY_TAGS(b)                                                      \
	TAG_IF((b)->pl, SIPTAG_CONTENT_TYPE((b)->ct)),                         \
		TAG_IF((b)->pl, SIPTAG_PAYLOAD((b)->pl))

/* call.c */
/* Set *field, one of the call's strings (target, call_id[], party[],
 * trunk, a_trunk), to a malloc'd copy of value ("" and NULL: the static
 * ""), freeing the one before: 0, or ENOMEM (then ""). */
int call_str_set(const char **field, const char *value);
void call_set_state(struct trunk_call *call, enum call_state next,
		    const char *why);
void call_end(struct trunk_call *call, const char *why);
/* The dialogs end: a relayed request still unanswered gets 487 (RFC 3261
 * 15.1.2; call_end does it too, call_leg_bye and call_hangup before their
 * BYE or 200). */
void call_txns_terminated(struct trunk_call *call);
void call_hangup(struct trunk_call *call, const char *why);
void call_txn_clear(struct call_txn *t);
/* In the dialog, requests toward a TLS trunk go to its SP-SSE by the name
 * its certificate proves, whatever the peer's Contact says: its deprecated
 * transport=tls and its address are not ours to follow (SC-8-2, TLS-8);
 * Sofia reuses the open connection (STA-2). Else the dialog's route. */
#define CALL_HOP(leg) ((leg)->hop ? URL_STRING_MAKE((leg)->hop) : NULL)
/* In a dialog a carrier opened over TLS, its own connection while it is
 * open (TLS-10: reuse existing connections; STA-2); else none, and the
 * request goes to CALL_HOP. A tag for nta_outgoing_tcreate(). */
struct tport_s *call_leg_tport(const struct call_leg *leg);
#define CALL_TPORT_TAG(leg) NTATAG_TPORT(call_leg_tport(leg))

/* call_cdr.c: the call's record (trunk/cdr.h): A's From and R-URI kept
 * at its start, the times, and at its free the row itself. */
void call_cdr_start(struct trunk_call *call, sip_t const *sip);
void call_cdr_write(struct trunk_call *call);
/* The record of an INVITE refused with `status` once its sender was
 * admitted (no route, the trunk full or unresolved, the phone called not
 * registered): no call was made, so call number 0 and nothing of leg B;
 * the direction is its source's (from a trunk: inbound; from the
 * enterprise: outbound, internal when it called a phone of ours). */
void call_cdr_refused(struct trunk_gateway *gw, enum trunk_side side,
		      sip_t const *sip, const struct call_route *r, int status);

/* call_contact.c: our Contact on a leg (the side's address, the leg's
 * transport); shared by the calls, never to be modified. */
sip_contact_t const *call_leg_contact(struct trunk_call *call,
				      struct call_leg *leg);
/* A leg's transport from "/TCP" or "transport=tcp;..." (NULL: udp), lower
 * case; a TLS trunk's next hop in the dialog, on the call's home (see
 * trunk_tls_trunk_hop()). */
void call_transport_set(struct call_leg *leg, const char *t);
void call_hop_set(struct trunk_call *call, struct call_leg *leg,
		  const char *trunk, const char *route);
/* SC-15-2: a leg's address family, its trunk's address_family on the
 * trunk side (AF_INET, AF_INET6), else 0 (the side's first address); and
 * the media side its endpoint is bound on accordingly. */
int call_leg_family(const struct trunk_call *call, const struct call_leg *leg);
enum media_side call_media_side(const struct trunk_call *call,
				const struct call_leg *leg);
int call_sdp_cross(struct trunk_call *call, struct call_leg *from,
		   sip_payload_t const *pl, sip_content_type_t const *ct,
		   struct call_body *out);
void call_send_ack(struct trunk_call *call, struct call_leg *to,
		   uint32_t cseq_n, sip_t const *with);
/* call_dialog.c: send the ACK of a 2xx statelessly, in `leg` (leg `to`'s
 * dialog, or one of its forks') toward `to`'s hop, with `body` if any,
 * and the credentials of our INVITE it acknowledges (RFC 3261 13.2.2.4:
 * a carrier that challenged it). */
void call_ack_leg(struct trunk_call *call, nta_leg_t *leg, struct call_leg *to,
		  uint32_t cseq_n, struct call_body *body);
void call_ack_or_defer(struct trunk_call *call, struct call_leg *to,
		       uint32_t cseq_n, bool offer_in_2xx);
/* call_dialog.c: owe `to` the ACK of our INVITE cseq_n until the other
 * leg's ACK brings the answer (call->ack_to), keeping that INVITE's
 * request for the ACK's credentials. */
void call_ack_defer(struct trunk_call *call, struct call_leg *to,
		    uint32_t cseq_n);
void call_send_bye(struct trunk_call *call, struct call_leg *to);
/* A carrier's 401/407 (sip) to orq, our request in leg TO's dialog (leg
 * B toward a trunk, or leg A of a call from one): the request sent again
 * once with credentials (cb, call: as orq's), or NULL when not ours to
 * answer (a leg toward the enterprise, no credentials, or orq already was
 * the retry: credentials refused). The caller lets orq go. */
nta_outgoing_t *call_auth_retry(struct trunk_call *call, struct call_leg *to,
				nta_outgoing_t *orq, sip_t const *sip,
				nta_response_f *cb);
/* A leg's BYE at call_free: kept for a carrier's challenge (auth.c) or
 * destroyed. */
void call_auth_bye_release(struct trunk_call *call, struct call_leg *leg);
/* B's 2xx to the initial INVITE had SDP call_sdp_cross() refused with rc
 * (488, 503): ACK and BYE to B, 502 (500) to A, the call ends
 * (call_answer.c). */
void call_b_answer_unusable(struct trunk_call *call, int rc);
/* B's 2xx to the initial INVITE has no SDP (body empty): true when that
 * ended the call (no offer, or no answer, where one was due); else *body
 * may get the answer B gave in an 18x, for A's 2xx (call_answer.c). */
bool call_b_2xx_no_sdp(struct trunk_call *call, struct call_body *body);
/* Our INVITE failed at this SP-SSE (status; sip NULL or nta's own for a
 * local failure): mark it down and try the next one; false when none is
 * left or the call is past CALLING (call.c). */
bool call_b_failover(struct trunk_call *call, int status, sip_t const *sip);
/* invite_timeout (call_sse.c): armed with each INVITE to an SP-SSE that
 * has a next one, disarmed by any response from it. */
void call_sse_arm(struct trunk_call *call);
void call_sse_disarm(struct trunk_call *call);
void call_sse_free(struct trunk_call *call);
/* A 2xx to the re-INVITE t (or to an UPDATE t with an offer) whose SDP
 * cannot be parsed: 488 to the asker, the answerer ACKed (not for an
 * UPDATE) and realigned (call_answer.c); true when so. */
bool call_reinvite_2xx_unusable(struct trunk_call *call, struct call_txn *t,
				uint32_t cseq, sip_t const *sip);
msg_header_t *call_auth(struct trunk_call *call, struct call_leg *to,
			const char *method, msg_payload_t const *body);
/* The [trunk] whose carrier a leg faces (leg B's toward a trunk, leg A's
 * for a call from one), NULL toward the enterprise: the credentials of
 * call_auth() and call_auth_retry(). */
const char *call_leg_trunk(const struct trunk_call *call,
			   const struct call_leg *leg);
int call_b_send_invite(struct trunk_call *call);
/* Where an enterprise user is reached (a phone's binding, else the PBX):
 * 0 with r->ruri set, or a SIP status. */
int call_route_enterprise(struct trunk_gateway *gw, const char *user,
			  struct call_route *r);
/*
 * Where a transfer's target is reached (transfer.c; SIPconnect 12.1.1).
 * sip is the INVITE the transferor (WHO, its [phone]/[pbx], NULL if gone
 * from the config) would send to call the target: its Request-URI user is
 * the target, its From and identity headers the transferor's. A phone's
 * extension rings that phone. With a dial plan, the plan decides in WHO's
 * context, as for a call WHO dials (an extension no phone has goes to the
 * PBX; a route to a trunk crosses it with WHO's identity: policy.c).
 * Without one, a number in E.164 form (+...) crosses the first trunk, any
 * other target goes to the first PBX (the first trunk when there is
 * none). dry_run: decided only (policy.c logs at DEBUG). 0 with *r
 * filled (r->to: the side), or a SIP status.
 */
int call_route_transfer(struct trunk_gateway *gw,
			const struct config_section *who, sip_t const *sip,
			bool dry_run, struct call_route *r);
/* The [phone]/[pbx] of leg idx (0: A, 1: B) from call->who[idx], or NULL
 * (a trunk leg, or a section a reload removed). */
const struct config_section *call_leg_who(const struct trunk_call *call,
					  int idx);
/* A section as call->who[] names it ("kind:name"; "" for NULL). */
void call_who_name(const struct config_section *sec, char *buf, size_t len);
/* Leg B's [pbx]/[phone] of a route toward the enterprise, or NULL. */
const struct config_section *call_route_b_who(struct trunk_gateway *gw,
					      const struct call_route *r);
/* Set call->who[idx] from a section (NULL: none). 0 or ENOMEM. */
int call_who_set(struct trunk_call *call, int idx,
		 const struct config_section *sec);
/* call_media.c: the media session of a call. Leg's endpoint. */
enum media_leg call_media_leg(const struct trunk_call *call,
			      const struct call_leg *leg);
/* After a state change: a confirmed call's session is watched for RTP
 * inactivity (RTP timeout, docs/media.md), never before. */
void call_media_state(struct trunk_call *call);
/* Tell the relay where leg `from`'s peer receives, from its SDP (no
 * crossing): 0 or 488. */
int call_sdp_learn(struct trunk_call *call, struct call_leg *from,
		   sip_payload_t const *pl);
/* The same from a parsed stream (its payload types: those let through). */
void call_sdp_remote(struct trunk_call *call, struct call_leg *from,
		     const struct trunk_sdp_stream *st);

/* call_keep.c: RFC 6223 keep on our dialog-forming INVITE to a trunk
 * (KEEP-1, KEEP-2, KEEP-4): leg B's, or a transfer target's (transfer.c).
 * The Via offering keep for that INVITE on `leg` (on the scratch home),
 * or NULL when the leg's trunk has keepalive off or it faces no trunk. */
const char *call_keep_via(struct trunk_call *call, struct call_leg *leg);
/* The INVITE's first 2xx: when its Via answers keep=<n>, keep-alives
 * toward that hop for the dialog's life (leg->keep_flow). */
void call_keep_start(struct trunk_call *call, struct call_leg *leg,
		     nta_outgoing_t *orq, sip_t const *sip);
/* The dialog ended: stop them (call_free; a leg a transfer moves). */
void call_keep_stop(struct call_leg *leg);

/* call_fork.c: forked early dialogs of leg B (RFC 3261 12.1.2,
 * 13.2.2.4). A 1xx/2xx from B whose To-tag is not leg B's: true when it
 * was handled here (a fork's 2xx after leg B's: ACK and BYE), false when
 * its fork became leg B's dialog and the response goes on as B's. */
bool call_fork_b_response(struct trunk_call *call, sip_t const *sip);
/* Forget the forks (call_free, or leg B replaced). */
void call_fork_free(struct trunk_call *call);
/* The highest CSeq we sent in leg B's dialog or a fork's (PRACKs): 0
 * when none has one. */
uint32_t call_fork_seq(const struct trunk_call *call);
/* Leg B confirmed: our INVITE goes back to nta 64*T1 later (over TCP/TLS,
 * where nta ended it with the 2xx, at once); a 2xx after that reaches the
 * agent (trunk_call_stray_2xx()). */
void call_fork_confirmed(struct trunk_call *call);

/* call_reoffer.c: after a transfer, the new party on leg `from` answered
 * with `sip` (2xx): when its codecs are not those agreed on the other
 * leg, or (moved) the relay's endpoint toward the other leg is a new one
 * (transfer.c: a new media session), re-INVITE that leg with them
 * (SDP-3). True when that re-INVITE went out; a moved leg's refused then
 * hangs up the call. */
bool call_reoffer(struct trunk_call *call, struct call_leg *from,
		  sip_t const *sip, bool moved);
void call_reoffer_free(struct trunk_call *call);
/* A re-INVITE or UPDATE with an offer from leg `from` is being relayed
 * in t: keep the SDP state it changes (before call_sdp_cross). */
void call_reinvite_keep(struct trunk_call *call, struct call_txn *t,
			struct call_leg *from);
void call_reinvite_undo_free(struct call_txn *t);
/* It failed (487, 488...): both legs' SDP state as before (and the kept
 * state freed). */
void call_reinvite_undo(struct trunk_call *call, struct call_txn *t);
/* F's session as we last described it to leg x (text), for x at a higher
 * o= version of ours: an offer (offered NULL) or the answer to x's offer
 * `offered` (parsed, and its text `offer`), with every m-line (RFC 3264).
 * On the scratch home in *body; 0, or EINVAL. */
int call_realign_sdp(struct trunk_call *call, struct call_leg *x,
		     const char *text, const struct trunk_sdp_remote *offered,
		     const char *offer, struct call_body *body);
/* It was CANCELled by its asker but the other leg's 2xx (sip, CSeq cseq)
 * crossed the CANCEL: ACK that leg and give it back the asker's session
 * (a re-INVITE of ours, or an answer in the ACK); BYE both when that
 * cannot be done. */
void call_reinvite_crossed(struct trunk_call *call, struct call_txn *t,
			   uint32_t cseq, sip_t const *sip);
/* SDP-2: a re-INVITE or UPDATE from cl in a confirmed call whose offer
 * repeats its peer's last SDP (same o= id and version) is answered here
 * with our side of the session, the other leg left alone; true when irq
 * was answered (and destroyed), false to relay it. */
bool call_reoffer_unchanged(struct call_leg *cl, nta_incoming_t *irq,
			    sip_t const *sip);

/* call_reprack.c: an offer in a reliable 18x to an offerless re-INVITE
 * (RFC 3262, RFC 6337). The re-INVITE sip is relayed in t: note whether
 * its asker supports 100rel (our relayed one then does). */
void call_reprack_start(struct call_txn *t, sip_t const *sip);
/* A 1xx to the relayed re-INVITE: true when it carried that offer and
 * was handled here (relayed reliably, or answered in our PRACK). */
bool call_reprack_provisional(struct trunk_call *call, sip_t const *sip);
/* The final response to the asker: true when the body is decided here
 * (*body, possibly none), false to cross the answerer's. */
bool call_reprack_final_body(struct trunk_call *call, struct call_txn *t,
			     int status, struct call_body *body);
/* Does the answerer's 2xx carry the offer (answered in the ACKs)? */
bool call_reprack_offer_in_2xx(const struct call_txn *t);
/* An ACK on cl: the answer to our SDP in the 2xx of call_reprack_final_body
 * is learnt. */
void call_reprack_ack(struct call_leg *cl, sip_t const *sip);
void call_reprack_free(struct call_txn *t);

/* call_retx.c: RFC 3261 13.3.1.4. We answered irq, an INVITE on leg,
 * with a 2xx: send it again (UDP) until leg's ACK, end the call after
 * 64*T1 without one. */
void call_retx_start(struct trunk_call *call, struct call_leg *leg,
		     nta_incoming_t *irq);
/* An ACK on leg: the retransmissions of its 2xx stop. */
void call_retx_ack(struct call_leg *leg, sip_t const *ack);
/* Forget them (call_free). */
void call_retx_free(struct call_leg *leg);

/* call_dialog.c */
struct call_leg *call_peer(struct call_leg *cl);
/* An INVITE is under way in the call's dialogs: a re-INVITE relayed (or
 * its ACK awaited), an UPDATE sent on as re-INVITE, our re-offer, our
 * session refresh by re-INVITE on either leg. Another INVITE, or a new
 * offer, must wait: the asker gets 491 (RFC 3261 14.1, 14.2; RFC 3311
 * 5.2), ours is postponed. */
bool call_invite_busy(const struct trunk_call *call);
int call_leg_request(struct call_leg *cl, nta_leg_t *leg, nta_incoming_t *irq,
		     sip_t const *sip);

/* prack.c: B's 18x (To tag set, not 100) relayed to A reliably or not,
 * PRACKs relayed or answered (RFC 3262). */
void call_prack_b_provisional(struct trunk_call *call, sip_t const *sip);
/* Forget the call's reliable responses and PRACKs (call_free). */
void call_prack_free(struct trunk_call *call);
/* The Supported value of our INVITE to B: 100rel only when true. */
const char *call_prack_supported_b(const struct trunk_call *call);

/* transfer.c: 3pcc transfer (SIPconnect 12, XFR-1). */
/* REFER from an enterprise leg: 0 when answered here, else a status. */
int call_xfer_refer(struct call_leg *cl, nta_incoming_t *irq, sip_t const *sip);
/* BYE from the leg being transferred away: true when it ends only that
 * leg (answered here). */
bool call_xfer_bye(struct call_leg *cl, nta_incoming_t *irq);
void call_xfer_free(struct trunk_call *call);
/* The [trunk] of a transfer's target leg while it is being called
 * (call_leg_trunk() of a leg that is neither A nor B), or NULL. */
const char *call_xfer_trunk(const struct trunk_call *call,
			    const struct call_leg *leg);

/* call_timer.c: RFC 4028 per leg. */
/* A's INVITE: 0 with A's leg timer in *st, or 422 after answering irq
 * with our Min-SE. */
int call_timer_invite_a(struct trunk_gateway *gw, nta_incoming_t *irq,
			sip_t const *sip, struct trunk_st *st);
/* Supported, Allow, and (when we ask for session timers) Session-Expires
 * and Min-SE of our INVITE to B: parsed headers, none of them on a home
 * (the constant ones are process-wide, the others in *h). */
struct call_invite_b_headers {
	sip_supported_t const *supported;
	sip_allow_t const *allow;
	bool timer; /* x and min are set */
	sip_session_expires_t x[1];
	sip_min_se_t min[1];
};
void call_timer_invite_b_headers(struct trunk_call *call,
				 struct call_invite_b_headers *h);
/* A 422 to our INVITE: true if it was retried with a larger interval. */
bool call_timer_b_422(struct trunk_call *call, sip_t const *sip);
/* The call is up (2xx relayed): start both legs' timers. B's comes from
 * its 2xx (sip). */
void call_timer_confirmed(struct trunk_call *call, sip_t const *b_2xx);
/* Headers for a 2xx we send on `leg` answering its INVITE or a refresh:
 * Session-Expires with the refresher, Require: timer when the peer must
 * refresh. On the scratch home, or NULL. */
const char *call_timer_response_headers(struct trunk_call *call,
					struct call_leg *leg);
/* The same as parsed headers, none of them on a home (*h): Session-Expires
 * when h->timer, Require (NULL: none). */
struct call_timer_2xx {
	bool timer;
	sip_session_expires_t x[1];
	msg_param_t params[2];
	sip_require_t const *require;
};
void call_timer_response_parsed(struct call_leg *leg, struct call_timer_2xx *h);
/* Headers for a session-refreshing request we relay toward `leg`. */
const char *call_timer_request_headers(struct trunk_call *call,
				       struct call_leg *leg);
/* A re-INVITE/UPDATE arrived from cl: its leg timer for our 2xx, into
 * *st. 0, or 422 after answering irq. */
int call_timer_request_in(struct call_leg *cl, nta_incoming_t *irq,
			  sip_t const *sip, struct trunk_st *st);
/* A refreshing transaction succeeded on leg: restart its timer with st. */
void call_timer_restart(struct call_leg *leg, const struct trunk_st *st);
/* The 2xx to a request we relayed toward leg: its new timer. */
void call_timer_response_in(struct call_leg *leg, sip_t const *sip);
/* A bodiless UPDATE from cl (a pure refresh): answered here. */
int call_timer_update_local(struct call_leg *cl, nta_incoming_t *irq,
			    sip_t const *sip);
/* Our session refresh on leg is a re-INVITE still without its final
 * response. */
bool call_timer_inviting(const struct call_leg *leg);
/* Stop the leg's timer and forget its refresh (call_free). */
void call_timer_free(struct call_leg *leg);

#endif /* TRUNKD_TRUNK_CALL_H */
