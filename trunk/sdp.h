/*
 * Private to trunk/: SDP as the B2BUA sees it (DESIGN.md 5: "SDP is
 * rewritten, never passed raw"). Pure functions over text, unit-tested in
 * tests/unit/trunk/test_sdp.c:
 *
 *  - trunk_sdp_remote() reads what the media engine needs from a peer's
 *    SDP: per m-line the address, RTP/RTCP ports, direction and payload
 *    types, with the RFC 2543 hold form c=0.0.0.0 read as "do not send"
 *    (HOLD-2);
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
	bool hold_2543; /* c=0.0.0.0: the peer must not be sent to */
	unsigned npt;
	uint8_t pt[TRUNK_SDP_MAX_PT];
};

struct trunk_sdp_remote {
	unsigned nstreams;
	struct trunk_sdp_stream s[TRUNK_SDP_MAX_MEDIA];
};

/* Parse SDP text. 0, or EINVAL with a reason in why (for a 488). */
int trunk_sdp_remote(const char *sdp, size_t len, struct trunk_sdp_remote *out,
		     char *why, size_t whylen);

/* Our side of one leg: the o= line we own and the last body we sent. */
struct trunk_sdp_leg {
	uint64_t sess_id;
	uint64_t version;
	char *last; /* body we sent last (on the caller's home), or NULL */
};

/*
 * Rewrite a peer's SDP for sending on `leg`: o= becomes
 * "trunkd <sess_id> <version> IN IP4|IP6 <addr>", every c= becomes addr,
 * m-line i gets ports[i] (0 stays 0: a rejected stream stays rejected) and
 * a=rtcp lines are dropped (RTCP goes to port + 1). The version rises only
 * when the result differs from leg->last. *out is allocated on home.
 * Returns 0, EINVAL (unparsable SDP, reason in why) or ENOMEM.
 */
int trunk_sdp_rewrite(su_home_t *home, struct trunk_sdp_leg *leg,
		      const char *sdp, size_t len, const char *addr, bool ipv6,
		      const uint16_t *ports, size_t nports, char **out,
		      char *why, size_t whylen);

#endif /* TRUNKD_TRUNK_SDP_H */
