/*
 * Private to trunk/: SDP as the B2BUA sees it (DESIGN.md 5: "SDP is
 * rewritten, never passed raw"). Pure functions over text, unit-tested in
 * tests/unit/trunk/test_sdp.c:
 *
 *  - trunk_sdp_remote() reads what the media engine needs from a peer's
 *    SDP: per m-line the address, RTP/RTCP ports, direction and payload
 *    types, with the RFC 2543 hold form c=0.0.0.0 (or c=IN IP6 ::) read
 *    as "do not send" (HOLD-2);
 *  - trunk_sdp_rewrite() produces the SDP we send on one leg: the peer's
 *    media lines with our own address and relay ports, our own o= line
 *    whose version rises whenever our SDP changes and only then (SDP-3),
 *    so a re-offer that changes nothing keeps the version (SDP-2).
 */
#ifndef TRUNKD_TRUNK_SDP_H
#define TRUNKD_TRUNK_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_alloc.h>

#define TRUNK_SDP_MAX_MEDIA 4
#define TRUNK_SDP_MAX_PT    16

enum trunk_sdp_dir {
	TRUNK_SDP_INACTIVE = 0,
	TRUNK_SDP_SENDONLY = 1,
	TRUNK_SDP_RECVONLY = 2,
	TRUNK_SDP_SENDRECV = 3,
};

struct trunk_sdp_stream {
	char type[16];	/* "audio", "image" */
	char proto[16]; /* "RTP/AVP", "RTP/SAVP", "udptl" */
	char addr[64];	/* connection address ("" when rejected) */
	bool ipv6;
	uint16_t port;	    /* 0: rejected stream */
	uint16_t rtcp_port; /* a=rtcp or port + 1 */
	enum trunk_sdp_dir dir;
	/* c=IN IP4 0.0.0.0 or c=IN IP6 :: (RFC 2543 hold, HOLD-2): the
	 * peer must not be sent to */
	bool hold_2543;
	unsigned npt;
	uint8_t pt[TRUNK_SDP_MAX_PT];
};

struct trunk_sdp_remote {
	uint64_t o_id, o_version; /* the peer's o= session id and version */
	unsigned nstreams;
	struct trunk_sdp_stream s[TRUNK_SDP_MAX_MEDIA];
};

/* The first application/sdp part of a multipart body pl of Content-Type
 * ct (its boundary parameter), as a payload on home; NULL: no such part,
 * or not a multipart. */
struct msg_content_type_s;
struct msg_payload_s;
struct msg_payload_s *trunk_sdp_multipart(su_home_t *home,
					  struct msg_content_type_s const *ct,
					  struct msg_payload_s const *pl);

/* Parse SDP text. 0, or EINVAL with a reason in why (for a 488). */
int trunk_sdp_remote(const char *sdp, size_t len, struct trunk_sdp_remote *out,
		     char *why, size_t whylen);

/*
 * Our side of one leg: the o= line we own, the last body we sent and the
 * codec policy state of the leg (trunk_sdp_note(), docs/media.md "Codec
 * policy").
 */
struct trunk_sdp_leg {
	uint64_t sess_id;
	uint64_t version;
	char *last;	 /* body we sent last (caller's home/heap), or NULL */
	bool offer_out;	 /* we sent an offer on this leg, no answer yet */
	bool answer;	 /* the next rewrite here is an answer (consumed) */
	bool peer_known; /* the leg's peer sent SDP: peer is valid */
	bool peer_answered; /* that SDP was an answer */
	uint64_t peer_o_id, peer_o_version;
	struct trunk_sdp_stream peer; /* its first stream */
	unsigned npt;		      /* payload types of our last SDP here */
	uint8_t pt[TRUNK_SDP_MAX_PT]; /* (first stream), after the policy */
	uint8_t codecs; /* TRUNK_SDP_CODEC_* allowed here; 0: any */
};

/* A trunk's own codec list ([trunk] codecs), as a mask: only these codecs
 * cross on a call of that trunk, either way (the relay never transcodes).
 * RFC 4733 telephone-event and CN are not codecs and are not affected. */
enum {
	TRUNK_SDP_CODEC_PCMU = 1,
	TRUNK_SDP_CODEC_PCMA = 2,
	TRUNK_SDP_CODEC_G729 = 4,
};

/* The mask of codec names (PCMU, PCMA, G729; others ignored); 0 for
 * none. */
uint8_t trunk_sdp_codec_mask(const char *const *names, size_t n);
/* [trunk NAME] codecs as a mask, else [media] codecs; 0 (any) when neither
 * is set, or for no trunk (NULL, "": a call between enterprise parties). */
struct config;
uint8_t trunk_sdp_trunk_codecs(const struct config *cfg, const char *trunk);

/*
 * Offer/answer bookkeeping before an SDP of leg `from`'s peer is rewritten
 * for leg `to`: records it as from's peer SDP and decides whether it is an
 * answer (we have an offer out on `from`, or it repeats from's last answer
 * with the same o= id and version, as a 200 after a 183) or an offer.
 * Sets to->answer for trunk_sdp_rewrite() and returns it.
 */
bool trunk_sdp_note(struct trunk_sdp_leg *from, struct trunk_sdp_leg *to,
		    const struct trunk_sdp_remote *rs);

/*
 * Rewrite a peer's SDP for sending on `leg`: o= becomes
 * "trunkd <sess_id> <version> IN IP4|IP6 <addr>", every c= becomes addr,
 * m-line i gets ports[i] (0 stays 0: a rejected stream stays rejected) and
 * a=rtcp lines are dropped (RTCP goes to port + 1). The codec policy
 * applies to the first stream (an RTP audio one): in an answer
 * (leg->answer) only payload types the leg's peer offered remain; CN (PT
 * 13) remains only toward a peer known to list it (RTP-5); a removed
 * payload type loses its a=rtpmap and a=fmtp; everything else (fmtp such
 * as annexb=no, RTP-6, telephone-event's events, ptime) crosses as the
 * peer wrote it. leg->pt gets the payload types we sent. The version rises only
 * when the result differs from leg->last. *out is allocated on home.
 * Returns 0, EINVAL (unparsable SDP, reason in why) or ENOMEM.
 */
int trunk_sdp_rewrite(su_home_t *home, struct trunk_sdp_leg *leg,
		      const char *sdp, size_t len, const char *addr, bool ipv6,
		      const uint16_t *ports, size_t nports, char **out,
		      char *why, size_t whylen);

/*
 * RFC 3264 m-line bookkeeping for an SDP of ours (`ours`, text) built from
 * another session than the one last exchanged on a leg (call_reoffer.c):
 * its m-lines become those of `model` (text), in model's order. As an
 * answer (answer true, model the peer's offer) it gets exactly model's
 * m-lines: line i of ours where its media type and protocol match (its
 * direction narrowed to what the offer allows: sendonly is answered
 * recvonly or inactive, RFC 3264 6.1), else model's line rejected (port
 * 0). As an offer (model the last SDP exchanged) it keeps its lines and
 * gets model's further ones, rejected: the m-line count never decreases
 * (RFC 3264 8). *out (text, on home) or EINVAL for unparsable SDP.
 */
int trunk_sdp_shape(su_home_t *home, const char *ours, const char *model,
		    bool answer, char **out);

/*
 * One parse for both (call_sdp_cross: a peer's SDP is read, then rewritten
 * for the other leg): trunk_sdp_open() is trunk_sdp_remote() that keeps
 * the parse (NULL, reason in why, where trunk_sdp_remote() fails);
 * trunk_sdp_rewrite_text() is trunk_sdp_rewrite() of that text (it
 * changes the parse: once per open); trunk_sdp_close() frees it (NULL:
 * nothing).
 */
struct trunk_sdp_text;
struct trunk_sdp_text *trunk_sdp_open(const char *sdp, size_t len,
				      struct trunk_sdp_remote *out, char *why,
				      size_t whylen);
int trunk_sdp_rewrite_text(su_home_t *home, struct trunk_sdp_leg *leg,
			   struct trunk_sdp_text *t, const char *addr,
			   bool ipv6, const uint16_t *ports, size_t nports,
			   char **out);
void trunk_sdp_close(struct trunk_sdp_text *t);

/*
 * Does a stream `st` (a new party's, after a transfer) use exactly what
 * leg `leg` agreed: the payload types of our last SDP there that its peer
 * listed too (all of them before the peer sent SDP)? Order does not
 * matter. false: the leg must be told the new codecs (call_reoffer.c).
 */
bool trunk_sdp_same_codecs(const struct trunk_sdp_stream *st,
			   const struct trunk_sdp_leg *leg);

/* After an answer: st (either peer's stream) gets the negotiated payload
 * types, those of the answer we sent on `leg`, for the relay's filter. */
void trunk_sdp_negotiated(struct trunk_sdp_stream *st,
			  const struct trunk_sdp_leg *leg);

/*
 * A parsed session as Sofia's sdp_print() prints it (sdp_print.c): the
 * text on home, or NULL where that printer is left to print it (a line
 * whose form differs between Sofia's versions, one it would not print)
 * or out of memory. trunk_sdp_verify (tests only: the unit test
 * and the SDP fuzz target set it) makes every print compare both and
 * abort when they differ.
 */
struct sdp_session_s;
char *trunk_sdp_print(su_home_t *home, const struct sdp_session_s *sess);
extern bool trunk_sdp_verify;

/*
 * SDP text (len bytes) parsed as Sofia's sdp_parse() parses it with
 * sdp_f_strict (sdp_parse.c), into `arena` (size bytes: the session,
 * a copy of the text, the structures); NULL where that parser is left
 * to parse it (a form it reads in its own way, an error, too little
 * room). With trunk_sdp_verify, sdp.c compares every such parse
 * with Sofia's and aborts when they differ.
 */
struct sdp_session_s *trunk_sdp_parse(void *arena, size_t size, const char *sdp,
				      size_t len);

/* Is an attribute's name a direction (inactive, sendonly, recvonly,
 * sendrecv, in any case, as Sofia reads them)? Its sdp_mode_t in *mode
 * unless mode is NULL. Both of trunkd's SDP parser and printer use it
 * (sdp_parse.c). */
bool trunk_sdp_mode_name(const char *name, unsigned *mode);

#endif /* TRUNKD_TRUNK_SDP_H */
