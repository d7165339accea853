/*
 * trunk/sdp.c: reading a peer's SDP and rewriting it for the other leg.
 * REQ: SDP-3, HOLD-2
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_mime.h>
#include <sofia-sip/msg_mime_protos.h>
#include <sofia-sip/sdp.h>

#include "unit_test.h"
#include "trunk/sdp.h"
#include "trunk/trunk.h"

#define SDP_A                                                                  \
	"v=0\r\n"                                                              \
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"                  \
	"s=-\r\n"                                                              \
	"c=IN IP4 192.0.2.10\r\n"                                              \
	"t=0 0\r\n"                                                            \
	"m=audio 49170 RTP/AVP 0 8 101\r\n"                                    \
	"a=rtpmap:0 PCMU/8000\r\n"                                             \
	"a=rtpmap:8 PCMA/8000\r\n"                                             \
	"a=rtpmap:101 telephone-event/8000\r\n"                                \
	"a=fmtp:101 0-15\r\n"

static int remote_basic(void)
{
	struct trunk_sdp_remote r;
	char why[128];

	CHECK(trunk_sdp_remote(SDP_A, strlen(SDP_A), &r, why, sizeof(why)) ==
	      0);
	CHECK(r.nstreams == 1);
	CHECK(!strcmp(r.s[0].type, "audio"));
	CHECK(!strcmp(r.s[0].proto, "RTP/AVP"));
	CHECK(!strcmp(r.s[0].addr, "192.0.2.10"));
	CHECK(r.s[0].port == 49170 && r.s[0].rtcp_port == 49171);
	CHECK(r.s[0].dir == TRUNK_SDP_SENDRECV && !r.s[0].hold_2543);
	CHECK(r.s[0].npt == 3 && r.s[0].pt[0] == 0 && r.s[0].pt[1] == 8 &&
	      r.s[0].pt[2] == 101);
	return 0;
}

static int remote_rtcp_and_v6(void)
{
	const char *sdp = "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\n"
			  "c=IN IP6 2001:db8::1\r\nt=0 0\r\n"
			  "m=audio 40000 RTP/AVP 0\r\na=rtcp:40010\r\n"
			  "a=sendonly\r\n";
	struct trunk_sdp_remote r;

	CHECK(trunk_sdp_remote(sdp, strlen(sdp), &r, NULL, 0) == 0);
	CHECK(r.s[0].ipv6 && !strcmp(r.s[0].addr, "2001:db8::1"));
	CHECK(r.s[0].rtcp_port == 40010);
	CHECK(r.s[0].dir == TRUNK_SDP_SENDONLY);
	return 0;
}

/* HOLD-2: c=0.0.0.0 is accepted and read as "do not send to me". */
static int remote_hold_2543(void)
{
	const char *sdp = "v=0\r\no=- 1 2 IN IP4 192.0.2.10\r\ns=-\r\n"
			  "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
			  "m=audio 49170 RTP/AVP 0\r\n";
	struct trunk_sdp_remote r;

	CHECK(trunk_sdp_remote(sdp, strlen(sdp), &r, NULL, 0) == 0);
	CHECK(r.s[0].hold_2543);
	CHECK(r.s[0].dir == TRUNK_SDP_SENDONLY);
	return 0;
}

/* REQ: HOLD-2 */
/* Its IPv6 twin c=IN IP6 :: (any spelling of the unspecified address) is
 * the same hold; another IPv6 address is none. */
static int remote_hold_2543_ipv6(void)
{
	const char *sdp = "v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=-\r\n"
			  "c=IN IP6 ::\r\nt=0 0\r\n"
			  "m=audio 49170 RTP/AVP 0\r\na=recvonly\r\n";
	const char *media = "v=0\r\no=- 1 2 IN IP4 192.0.2.10\r\ns=-\r\n"
			    "c=IN IP4 192.0.2.10\r\nt=0 0\r\n"
			    "m=audio 49170 RTP/AVP 0\r\n"
			    "c=IN IP6 0:0:0::0\r\n";
	const char *live = "v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=-\r\n"
			   "c=IN IP6 2001:db8::\r\nt=0 0\r\n"
			   "m=audio 49170 RTP/AVP 0\r\n";
	struct trunk_sdp_remote r;

	CHECK(trunk_sdp_remote(sdp, strlen(sdp), &r, NULL, 0) == 0);
	CHECK(r.s[0].hold_2543 && r.s[0].ipv6);
	CHECK(r.s[0].dir == TRUNK_SDP_INACTIVE);
	CHECK(trunk_sdp_remote(media, strlen(media), &r, NULL, 0) == 0);
	CHECK(r.s[0].hold_2543 && r.s[0].dir == TRUNK_SDP_SENDONLY);
	CHECK(trunk_sdp_remote(live, strlen(live), &r, NULL, 0) == 0);
	CHECK(!r.s[0].hold_2543 && r.s[0].dir == TRUNK_SDP_SENDRECV);
	return 0;
}

static int remote_garbage(void)
{
	const char *bad[] = { "", "hello", "v=0\r\nm=audio x RTP/AVP 0\r\n" };
	struct trunk_sdp_remote r;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(trunk_sdp_remote(bad[i], strlen(bad[i]), &r, why,
				       sizeof(why)) == EINVAL);
		CHECK(why[0] != '\0');
	}
	return 0;
}

static char *rewrite(su_home_t *home, struct trunk_sdp_leg *leg, const char *in,
		     uint16_t port)
{
	char *out = NULL;
	char why[128];

	if (trunk_sdp_rewrite(home, leg, in, strlen(in), "198.51.100.5", false,
			      &port, 1, &out, why, sizeof(why)))
		return NULL;
	return out;
}

/* Nothing of the peer's topology crosses; our address, port and o=. */
static int rewrite_addresses(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg leg = { .sess_id = 77, .version = 1 };
	char *out = rewrite(home, &leg, SDP_A, 20000);

	CHECK(out);
	CHECK(!strstr(out, "192.0.2.10"));
	CHECK(!strstr(out, "alice"));
	CHECK(strstr(out, "o=trunkd 77 1 IN IP4 198.51.100.5\r\n"));
	CHECK(strstr(out, "c=IN IP4 198.51.100.5\r\n"));
	CHECK(strstr(out, "m=audio 20000 RTP/AVP 0 8 101\r\n"));
	CHECK(strstr(out, "a=fmtp:101 0-15\r\n"));
	su_home_deinit(home);
	return 0;
}

/* SDP-3: the same SDP again keeps the version; a change raises it once. */
static int rewrite_version(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg leg = { .sess_id = 5, .version = 1 };
	const char *held = "v=0\r\no=alice 1 3 IN IP4 192.0.2.10\r\ns=-\r\n"
			   "c=IN IP4 192.0.2.10\r\nt=0 0\r\n"
			   "m=audio 49170 RTP/AVP 0\r\na=sendonly\r\n";

	CHECK(rewrite(home, &leg, SDP_A, 20000) && leg.version == 1);
	CHECK(rewrite(home, &leg, SDP_A, 20000) && leg.version == 1);
	CHECK(strstr(rewrite(home, &leg, held, 20000), "o=trunkd 5 2 "));
	CHECK(leg.version == 2);
	CHECK(strstr(rewrite(home, &leg, held, 20000), "o=trunkd 5 2 "));
	/* A new relay port is a change too. */
	CHECK(strstr(rewrite(home, &leg, held, 20002), "o=trunkd 5 3 "));
	su_home_deinit(home);
	return 0;
}

/* A rejected stream stays rejected (port 0) whatever port we have. */
static int rewrite_rejected(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg leg = { .sess_id = 1, .version = 1 };
	const char *in = "v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
			 "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
			 "m=audio 0 RTP/AVP 0\r\n";
	char *out = rewrite(home, &leg, in, 20000);

	CHECK(out && strstr(out, "m=audio 0 RTP/AVP 0\r\n"));
	su_home_deinit(home);
	return 0;
}

/* HOLD-2: c=0.0.0.0 crosses as a=sendonly, never as an address. */
static int rewrite_hold_2543(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg leg = { .sess_id = 1, .version = 1 };
	const char *in = "v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
			 "t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n"
			 "c=IN IP4 0.0.0.0\r\n";
	char *out = rewrite(home, &leg, in, 20000);

	CHECK(out && !strstr(out, "0.0.0.0"));
	CHECK(strstr(out, "a=sendonly\r\n"));
	su_home_deinit(home);
	return 0;
}

/* REQ: HOLD-2 */
/* The session-level c=0.0.0.0 (RFC 4566 5.7: it applies to every m= line
 * without its own c=) is a hold as the media-level one: a direction, never
 * our address with the peer's sendrecv. */
static int rewrite_hold_2543_session(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg leg = { .sess_id = 1, .version = 1 };
	const char *in = "v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
			 "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
			 "m=audio 49170 RTP/AVP 0\r\n";
	const char *in_recvonly = "v=0\r\no=x 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
				  "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				  "m=audio 49170 RTP/AVP 0\r\na=recvonly\r\n";
	/* An m= line with its own address is no hold. */
	const char *in_own = "v=0\r\no=x 1 3 IN IP4 192.0.2.1\r\ns=-\r\n"
			     "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
			     "m=audio 49170 RTP/AVP 0\r\n"
			     "c=IN IP4 192.0.2.1\r\n";
	char *out = rewrite(home, &leg, in, 20000);

	CHECK(out && !strstr(out, "0.0.0.0"));
	CHECK(strstr(out, "c=IN IP4 198.51.100.5\r\n"));
	CHECK(strstr(out, "a=sendonly\r\n"));
	out = rewrite(home, &leg, in_recvonly, 20000);
	CHECK(out && !strstr(out, "0.0.0.0"));
	CHECK(strstr(out, "a=inactive\r\n") && !strstr(out, "a=recvonly"));
	out = rewrite(home, &leg, in_own, 20000);
	CHECK(out && !strstr(out, "0.0.0.0"));
	CHECK(!strstr(out, "a=sendonly") && !strstr(out, "a=inactive"));
	su_home_deinit(home);
	return 0;
}

/* REQ: HOLD-1 HOLD-2 */
/* c=IN IP6 :: crosses like c=0.0.0.0, session- or media-level, whatever
 * the family of the leg it goes to: our own address (IPv4 here), never
 * "::" nor "IP6", and a direction (sendonly, inactive for recvonly). */
static int rewrite_hold_2543_ipv6(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg leg = { .sess_id = 1, .version = 1 };
	const char *in = "v=0\r\no=x 1 1 IN IP6 2001:db8::1\r\ns=-\r\n"
			 "c=IN IP6 ::\r\nt=0 0\r\n"
			 "m=audio 49170 RTP/AVP 0\r\n";
	const char *in_media = "v=0\r\no=x 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
			       "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
			       "m=audio 49170 RTP/AVP 0\r\n"
			       "c=IN IP6 ::\r\na=recvonly\r\n";
	char *out = rewrite(home, &leg, in, 20000);

	CHECK(out && !strstr(out, "::") && !strstr(out, "IP6"));
	CHECK(strstr(out, "c=IN IP4 198.51.100.5\r\n"));
	CHECK(strstr(out, "m=audio 20000 RTP/AVP 0\r\n"));
	CHECK(strstr(out, "a=sendonly\r\n"));
	out = rewrite(home, &leg, in_media, 20000);
	CHECK(out && !strstr(out, "::") && !strstr(out, "IP6"));
	CHECK(strstr(out, "a=inactive\r\n") && !strstr(out, "a=recvonly"));
	su_home_deinit(home);
	return 0;
}

/* The enterprise offer of test 039: PCMU, PCMA, G.729 annexb=no, CN and
 * telephone-event, ptime 20. */
#define SDP_ENT                                                                \
	"v=0\r\n"                                                              \
	"o=pbx 10 1 IN IP4 192.0.2.20\r\n"                                     \
	"s=-\r\n"                                                              \
	"c=IN IP4 192.0.2.20\r\n"                                              \
	"t=0 0\r\n"                                                            \
	"m=audio 40000 RTP/AVP 0 8 18 13 101\r\n"                              \
	"a=rtpmap:0 PCMU/8000\r\n"                                             \
	"a=rtpmap:8 PCMA/8000\r\n"                                             \
	"a=rtpmap:18 G729/8000\r\n"                                            \
	"a=fmtp:18 annexb=no\r\n"                                              \
	"a=rtpmap:13 CN/8000\r\n"                                              \
	"a=rtpmap:101 telephone-event/8000\r\n"                                \
	"a=fmtp:101 0-16\r\n"                                                  \
	"a=ptime:20\r\n"

#define SDP_CAR_ANSWER                                                         \
	"v=0\r\n"                                                              \
	"o=car 20 1 IN IP4 192.0.2.30\r\n"                                     \
	"s=-\r\n"                                                              \
	"c=IN IP4 192.0.2.30\r\n"                                              \
	"t=0 0\r\n"                                                            \
	"m=audio 50000 RTP/AVP 8 101\r\n"                                      \
	"a=rtpmap:8 PCMA/8000\r\n"                                             \
	"a=rtpmap:101 telephone-event/8000\r\n"                                \
	"a=fmtp:101 0-15\r\n"                                                  \
	"a=ptime:20\r\n"

static int note(struct trunk_sdp_leg *from, struct trunk_sdp_leg *to,
		const char *sdp)
{
	struct trunk_sdp_remote r;

	if (trunk_sdp_remote(sdp, strlen(sdp), &r, NULL, 0))
		return -1;
	return trunk_sdp_note(from, to, &r);
}

/*
 * An offer crosses with every codec, its fmtp (annexb=no: RTP-6;
 * telephone-event's events) and ptime; PCMU and PCMA stay toward the
 * carrier (RTP-3); CN stays toward a carrier not heard from yet, since
 * the enterprise accepts it.
 */
/* REQ: RTP-3 RTP-6 */
static int policy_offer_crosses(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg a = { .sess_id = 1, .version = 1 };
	struct trunk_sdp_leg b = { .sess_id = 2, .version = 1 };
	char *out;

	CHECK(note(&a, &b, SDP_ENT) == 0); /* an offer */
	CHECK(!b.answer && b.offer_out);
	out = rewrite(home, &b, SDP_ENT, 20000);
	CHECK(out);
	CHECK(strstr(out, "m=audio 20000 RTP/AVP 0 8 18 13 101\r\n"));
	CHECK(strstr(out, "a=fmtp:18 annexb=no\r\n"));
	CHECK(strstr(out, "a=rtpmap:13 CN/8000\r\n"));
	CHECK(strstr(out, "a=fmtp:101 0-16\r\n"));
	CHECK(strstr(out, "a=ptime:20\r\n"));
	CHECK(b.npt == 5);
	su_home_deinit(home);
	return 0;
}

/*
 * The carrier's answer lacks CN: the answer to the enterprise has no CN
 * (RTP-5) and only codecs the enterprise offered; the negotiated payload
 * types (leg->pt) are what the relay lets through both ways.
 */
/* REQ: RTP-5 */
static int policy_answer_without_cn(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg a = { .sess_id = 1, .version = 1 };
	struct trunk_sdp_leg b = { .sess_id = 2, .version = 1 };
	const char *extra = "v=0\r\no=car 20 2 IN IP4 192.0.2.30\r\ns=-\r\n"
			    "c=IN IP4 192.0.2.30\r\nt=0 0\r\n"
			    "m=audio 50000 RTP/AVP 8 9 13\r\n"
			    "a=rtpmap:9 G722/8000\r\n";
	char *out;

	CHECK(note(&a, &b, SDP_ENT) == 0);
	CHECK(rewrite(home, &b, SDP_ENT, 20000));
	CHECK(note(&b, &a, SDP_CAR_ANSWER) == 1); /* the answer */
	CHECK(a.answer && !b.offer_out);
	out = rewrite(home, &a, SDP_CAR_ANSWER, 30000);
	CHECK(out);
	CHECK(strstr(out, "m=audio 30000 RTP/AVP 8 101\r\n"));
	CHECK(!strstr(out, "CN/8000"));
	CHECK(a.npt == 2 && a.pt[0] == 8 && a.pt[1] == 101 && !a.answer);
	/* A 200 repeating the 183's answer is still the answer. */
	CHECK(note(&b, &a, SDP_CAR_ANSWER) == 1);
	/* An answerer that names what was not offered (G722) is cut down
	 * to the offer. */
	a.answer = true;
	out = rewrite(home, &a, extra, 30000);
	CHECK(out && strstr(out, "m=audio 30000 RTP/AVP 8 13\r\n"));
	CHECK(!strstr(out, "G722"));
	su_home_deinit(home);
	return 0;
}

/* RTP-5: a re-offer toward a peer whose m= line lacked 13 has no CN. */
/* REQ: RTP-5 */
static int policy_cn_toward_known_peer(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg a = { .sess_id = 1, .version = 1 };
	struct trunk_sdp_leg b = { .sess_id = 2, .version = 1 };
	char *out;

	CHECK(note(&a, &b, SDP_ENT) == 0);
	CHECK(note(&b, &a, SDP_CAR_ANSWER) == 1);
	/* The enterprise re-offers (new version). */
	CHECK(note(&a, &b,
		   "v=0\r\no=pbx 10 2 IN IP4 192.0.2.20\r\ns=-\r\n"
		   "c=IN IP4 192.0.2.20\r\nt=0 0\r\n"
		   "m=audio 40000 RTP/AVP 0 13\r\n") == 0);
	out = rewrite(home, &b,
		      "v=0\r\no=pbx 10 2 IN IP4 192.0.2.20\r\ns=-\r\n"
		      "c=IN IP4 192.0.2.20\r\nt=0 0\r\n"
		      "m=audio 40000 RTP/AVP 0 8 13\r\n",
		      20000);
	CHECK(out && strstr(out, "m=audio 20000 RTP/AVP 0 8\r\n"));
	su_home_deinit(home);
	return 0;
}

/*
 * A carrier offer with G.729 only and annexb=no: the enterprise is told
 * annexb=no (RTP-6); its answer with G.729 crosses back with its own fmtp.
 */
/* REQ: RTP-6 */
static int policy_g729_annexb(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg a = { .sess_id = 1, .version = 1 };
	struct trunk_sdp_leg b = { .sess_id = 2, .version = 1 };
	const char *offer = "v=0\r\no=car 1 1 IN IP4 192.0.2.30\r\ns=-\r\n"
			    "c=IN IP4 192.0.2.30\r\nt=0 0\r\n"
			    "m=audio 50000 RTP/AVP 18\r\n"
			    "a=rtpmap:18 G729/8000\r\n"
			    "a=fmtp:18 annexb=no\r\n";
	const char *answer = "v=0\r\no=pbx 1 1 IN IP4 192.0.2.20\r\ns=-\r\n"
			     "c=IN IP4 192.0.2.20\r\nt=0 0\r\n"
			     "m=audio 40000 RTP/AVP 18 0\r\n"
			     "a=rtpmap:18 G729/8000\r\n"
			     "a=fmtp:18 annexb=no\r\n";
	char *out;

	CHECK(note(&b, &a, offer) == 0);
	out = rewrite(home, &a, offer, 30000);
	CHECK(out && strstr(out, "m=audio 30000 RTP/AVP 18\r\n"));
	CHECK(strstr(out, "a=fmtp:18 annexb=no\r\n"));
	CHECK(note(&a, &b, answer) == 1);
	out = rewrite(home, &b, answer, 20000);
	CHECK(out && strstr(out, "m=audio 20000 RTP/AVP 18\r\n"));
	CHECK(strstr(out, "a=fmtp:18 annexb=no\r\n"));
	CHECK(!strstr(out, "PCMU"));
	su_home_deinit(home);
	return 0;
}

/* No codec in common: the stream is refused with port 0. */
static int policy_nothing_common(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct trunk_sdp_leg a = { .sess_id = 1, .version = 1 };
	struct trunk_sdp_leg b = { .sess_id = 2, .version = 1 };
	const char *ans = "v=0\r\no=car 1 1 IN IP4 192.0.2.30\r\ns=-\r\n"
			  "c=IN IP4 192.0.2.30\r\nt=0 0\r\n"
			  "m=audio 50000 RTP/AVP 9\r\n";
	char *out;

	CHECK(note(&a, &b, SDP_A) == 0);
	CHECK(note(&b, &a, ans) == 1);
	out = rewrite(home, &a, ans, 30000);
	CHECK(out && strstr(out, "m=audio 0 RTP/AVP 9\r\n"));
	su_home_deinit(home);
	return 0;
}

/* After a transfer (call_reoffer.c): a new party's codecs against what a
 * leg agreed, our last payload types there that its peer listed. */
/* REQ: SDP-3 */
static int same_codecs(void)
{
	struct trunk_sdp_leg leg = { .npt = 2, .pt = { 0, 8 } };
	struct trunk_sdp_stream st = { .npt = 1, .pt = { 0 } };

	/* Peer unknown: all we said counts. */
	CHECK(!trunk_sdp_same_codecs(&st, &leg));
	st.npt = 2, st.pt[0] = 8, st.pt[1] = 0; /* order does not matter */
	CHECK(trunk_sdp_same_codecs(&st, &leg));
	/* The peer listed PCMU only: PCMU is what was agreed. */
	leg.peer_known = true;
	leg.peer.npt = 1, leg.peer.pt[0] = 0;
	CHECK(!trunk_sdp_same_codecs(&st, &leg)); /* PCMA too: differs */
	st.npt = 1, st.pt[0] = 0;
	CHECK(trunk_sdp_same_codecs(&st, &leg));
	st.pt[0] = 8; /* PCMA only: the leg must be told */
	CHECK(!trunk_sdp_same_codecs(&st, &leg));
	st.npt = 0; /* nothing in common with anything */
	CHECK(!trunk_sdp_same_codecs(&st, &leg));
	return 0;
}

/* A trunk's codec list: only listed codecs cross, in the offerer's order,
 * telephone-event and CN still do; nothing listed left: port 0. */
static int trunk_codecs(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *names[] = { "pcma", "G729", "opus" };
	struct trunk_sdp_leg a = { .sess_id = 1, .version = 1 };
	struct trunk_sdp_leg b = { .sess_id = 2, .version = 1 };
	const char *offer = "v=0\r\no=pbx 1 1 IN IP4 192.0.2.10\r\ns=-\r\n"
			    "c=IN IP4 192.0.2.10\r\nt=0 0\r\n"
			    "m=audio 40000 RTP/AVP 0 9 8 101 13\r\n"
			    "a=rtpmap:101 telephone-event/8000\r\n"
			    "a=fmtp:101 0-15\r\n";
	const char *pcmu = "v=0\r\no=pbx 1 2 IN IP4 192.0.2.10\r\ns=-\r\n"
			   "c=IN IP4 192.0.2.10\r\nt=0 0\r\n"
			   "m=audio 40000 RTP/AVP 0\r\n";
	char *out;

	CHECK(trunk_sdp_codec_mask(names, 3) ==
	      (TRUNK_SDP_CODEC_PCMA | TRUNK_SDP_CODEC_G729));
	CHECK(trunk_sdp_codec_mask(names + 2, 1) == 0);
	b.codecs = TRUNK_SDP_CODEC_PCMA;
	CHECK(note(&a, &b, offer) == 0);
	out = rewrite(home, &b, offer, 30000);
	CHECK(out && strstr(out, "m=audio 30000 RTP/AVP 8 101 13\r\n"));
	CHECK(strstr(out, "a=rtpmap:101 telephone-event/8000\r\n"));
	CHECK(!strstr(out, "PCMU") && !strstr(out, "G722"));
	/* Unset: everything crosses. */
	b.codecs = 0;
	out = rewrite(home, &b, offer, 30000);
	CHECK(out && strstr(out, "m=audio 30000 RTP/AVP 0 9 8 101 13\r\n"));
	/* Only PCMU offered: no listed codec, the stream is refused. */
	b.codecs = TRUNK_SDP_CODEC_PCMA;
	out = rewrite(home, &b, pcmu, 30000);
	CHECK(out && strstr(out, "m=audio 0 RTP/AVP 0\r\n"));
	su_home_deinit(home);
	return 0;
}

/* [media] codecs is the list of every trunk without its own; calls
 * without a trunk (between enterprise parties) are not limited. */
static int trunk_codecs_default(void)
{
	struct config *cfg;

	CHECK(unit_load("[media]\ncodecs = PCMA\n"
			"[trunk own]\nmode = static\nproxy = 192.0.2.1\ncodecs "
			"= PCMU\n"
			"[trunk plain]\nmode = static\nproxy = 192.0.2.2\n",
			trunk_config_schema, &cfg) == 0);
	CHECK(trunk_sdp_trunk_codecs(cfg, "own") == TRUNK_SDP_CODEC_PCMU);
	CHECK(trunk_sdp_trunk_codecs(cfg, "plain") == TRUNK_SDP_CODEC_PCMA);
	CHECK(trunk_sdp_trunk_codecs(cfg, "") == 0);
	CHECK(trunk_sdp_trunk_codecs(cfg, NULL) == 0);
	config_free(cfg);
	/* Neither set: any codec. */
	CHECK(unit_load("[trunk plain]\nmode = static\nproxy = 192.0.2.2\n",
			trunk_config_schema, &cfg) == 0);
	CHECK(trunk_sdp_trunk_codecs(cfg, "plain") == 0);
	config_free(cfg);
	return 0;
}

#define SDP_HEAD                                                               \
	"v=0\r\no=trunkd 1 3 IN IP4 127.0.0.1\r\ns=-\r\n"                      \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"

/* Lines of `text` starting "m=", joined by '|' (the m-line shape). */
static char *mlines(su_home_t *home, const char *text)
{
	char *out = su_strdup(home, ""), *line;
	const char *p, *e;

	for (p = text; p && *p; p = e ? e + 2 : NULL) {
		e = strstr(p, "\r\n");
		if (strncmp(p, "m=", 2))
			continue;
		line = su_strndup(home, p, e ? (size_t)(e - p) : strlen(p));
		out = su_sprintf(home, "%s%s%s", out, *out ? "|" : "", line);
	}
	return out;
}

/* REQ: XFR-2, SDP-2 */
/* An answer of ours built from another session has exactly the offer's
 * m-lines, in its order (RFC 3264 6): lines we lack are rejected copies
 * of the offer's, a sendonly offer is answered recvonly. */
static int shape_answer(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *ours = SDP_HEAD "m=audio 20000 RTP/AVP 0\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n";
	const char *offer = SDP_HEAD "m=audio 5000 RTP/AVP 8 0\r\n"
				     "a=sendonly\r\n"
				     "m=video 5002 RTP/AVP 31\r\n"
				     "m=image 5004 udptl t38\r\n";
	char *out = NULL;

	CHECK(trunk_sdp_shape(home, ours, offer, true, &out) == 0 && out);
	CHECK(!strcmp(mlines(home, out), "m=audio 20000 RTP/AVP 0|"
					 "m=video 0 RTP/AVP 31|"
					 "m=image 0 udptl t38"));
	CHECK(strstr(out, "a=recvonly\r\n") && !strstr(out, "a=sendonly"));
	/* Our line of another kind than the offer's: rejected there. */
	CHECK(trunk_sdp_shape(home,
			      SDP_HEAD "m=image 20000 udptl t38\r\n"
				       "m=audio 0 RTP/AVP 0\r\n",
			      offer, true, &out) == 0);
	CHECK(!strcmp(mlines(home, out), "m=audio 0 RTP/AVP 8 0|"
					 "m=video 0 RTP/AVP 31|"
					 "m=image 0 udptl t38"));
	/* More lines than the offer: only the offer's count. */
	CHECK(trunk_sdp_shape(home,
			      SDP_HEAD "m=audio 20000 RTP/AVP 0\r\n"
				       "m=video 0 RTP/AVP 31\r\n",
			      SDP_HEAD "m=audio 5000 RTP/AVP 0\r\n", true,
			      &out) == 0);
	CHECK(!strcmp(mlines(home, out), "m=audio 20000 RTP/AVP 0"));
	CHECK(trunk_sdp_shape(home, "garbage", offer, true, &out) == EINVAL);
	su_home_deinit(home);
	return 0;
}

/* REQ: XFR-2 */
/* An offer of ours never has fewer m-lines than the last SDP exchanged
 * (RFC 3264 8); its own lines, directions and codecs stay. */
static int shape_offer(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *ours = SDP_HEAD "m=audio 20000 RTP/AVP 0 8\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n"
				    "a=rtpmap:8 PCMA/8000\r\n"
				    "a=sendonly\r\n";
	const char *last = SDP_HEAD "m=audio 20000 RTP/AVP 8\r\n"
				    "m=image 0 udptl t38\r\n"
				    "m=video 0 RTP/AVP 31\r\n";
	char *out = NULL;

	CHECK(trunk_sdp_shape(home, ours, last, false, &out) == 0 && out);
	CHECK(!strcmp(mlines(home, out), "m=audio 20000 RTP/AVP 0 8|"
					 "m=image 0 udptl t38|"
					 "m=video 0 RTP/AVP 31"));
	CHECK(strstr(out, "a=sendonly\r\n"));
	/* As many lines already: unchanged. */
	CHECK(trunk_sdp_shape(home, last, ours, false, &out) == 0);
	CHECK(!strcmp(mlines(home, out), "m=audio 20000 RTP/AVP 8|"
					 "m=image 0 udptl t38|"
					 "m=video 0 RTP/AVP 31"));
	su_home_deinit(home);
	return 0;
}

/* The SDP part of a multipart body (RFC 4475 3.1.1.11), the body left as
 * it was; none in a body without one, with a bad boundary, or of
 * another type. REQ: SC-6-1 */
static int multipart_sdp(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *body = "--b1\r\nContent-Type: application/octet-stream\r\n"
			   "\r\n\x01\x02\xff\r\n"
			   "--b1\r\nContent-Type: application/sdp\r\n\r\n" SDP_A
			   "\r\n--b1--\r\n";
	const char *nosdp = "--b1\r\nContent-Type: text/plain\r\n\r\n"
			    "hello\r\n--b1--\r\n";
	msg_payload_t *pl = msg_payload_make(home, body);
	msg_payload_t *none = msg_payload_make(home, nosdp);
	msg_payload_t *sdp;
	msg_content_type_t *mixed =
		msg_content_type_make(home, "multipart/mixed;boundary=b1");
	msg_content_type_t *other =
		msg_content_type_make(home, "multipart/mixed;boundary=b2");
	msg_content_type_t *plain = msg_content_type_make(home, "text/plain");

	CHECK(pl && none && mixed && other && plain);
	sdp = trunk_sdp_multipart(home, mixed, pl);
	CHECK(sdp && sdp->pl_len == strlen(SDP_A) &&
	      !memcmp(sdp->pl_data, SDP_A, sdp->pl_len));
	CHECK(pl->pl_len == strlen(body) &&
	      !memcmp(pl->pl_data, body, pl->pl_len)); /* parsed on a copy */
	CHECK(!trunk_sdp_multipart(home, mixed, none));
	CHECK(!trunk_sdp_multipart(home, other, pl));
	CHECK(!trunk_sdp_multipart(home, plain, pl));
	CHECK(!trunk_sdp_multipart(home, NULL, pl));
	su_home_deinit(home);
	return 0;
}

/* The session part of the m= line checks' SDPs. */
static const char remote_head[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\n"
				  "s=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n";

/* Each of n lines after remote_head: refused as unparsable SDP with
 * `refused` in the reason (NULL: parses, one stream). */
static int remote_lines(const char *const *lines, size_t n, const char *refused)
{
	struct trunk_sdp_remote r;
	char sdp[256], why[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(sdp, sizeof(sdp), "%s%s", remote_head, lines[i]);
		why[0] = '\0';
		if (refused) {
			CHECK(trunk_sdp_remote(sdp, strlen(sdp), &r, why,
					       sizeof(why)) == EINVAL);
			CHECK(strstr(why, refused) != NULL);
		} else {
			CHECK(trunk_sdp_remote(sdp, strlen(sdp), &r, why,
					       sizeof(why)) == 0);
			CHECK(r.nstreams == 1);
		}
	}
	return 0;
}

#define LINES_N(a) (sizeof(a) / sizeof((a)[0]))

/* Issue 3: the m= lines Sofia 1.12.11's sdp_parse() loops on forever
 * (found by tests/fuzz/sdp) are refused as unparsable SDP, at once;
 * their well-formed neighbours still parse. */
static int remote_format_loop(void)
{
	const char *const bad[] = { "m=image 9 udptl t38 ,x\r\n",
				    "m=video 3227TP7R /AVP 0 12\r\n",
				    "m=image 9 udptl \t\r\n",
				    "m=o 0T\x90\x90" };
	const char *const good[] = { "m=image 9 udptl t38\r\n",
				     "m=audio 9 RTP/AVP 0 8\r\n",
				     "m=application 9 TCP/MSRP *\r\n",
				     "m=audio 49170/2 RTP/AVP 0 \r\n",
				     "m=audio  9\tRTP/SAVP 0 101\r\n",
				     "m=audio 0 RTP/AVP\r\n" };
	/* Lines Sofia reads but prints back unparsable (a proto of "/",
	 * tests/fuzz/sdp/corpus/reg-proto-slash), or outside the grammar. */
	const char *const ungrammatical[] = {
		"m=a5 58/0/=audio 40002 RTP/AVP 0\r\n", "m=audio 9 / 0\r\n",
		"m=audio 9 RTP//AVP 0\r\n", "m=audio x9 RTP/AVP 0\r\n",
		"m=audio 9/ RTP/AVP 0\r\n"
	};

	return remote_lines(bad, LINES_N(bad), "no token") ||
	       remote_lines(ungrammatical, LINES_N(ungrammatical), "grammar") ||
	       remote_lines(good, LINES_N(good), NULL);
}

/* Issue 3: an rtpmap Sofia reads without an encoding name (a form feed
 * where the blank goes; found by tests/fuzz/sdp, corpus
 * reg-rtpmap-nameless) would be printed "a=rtpmap:0 (null)/1", which no
 * parser reads back: the SDP is refused (488). The same line with a
 * blank or a tab still parses, as does a dynamic payload type without
 * an rtpmap (Sofia's nameless predefined one, never printed).
 * REQ: SC-6-1 */
static int remote_rtpmap_nameless(void)
{
	const char *const bad[] = {
		"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0\f1\r\n",
		"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0\f\f\f1\f\f PCMU/80\r\n"
	};
	const char *const good[] = {
		"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0\tPCMU/8000\r\n",
		"m=audio 6000 RTP/AVP 0 96\r\n"
	};

	return remote_lines(bad, LINES_N(bad), "without an encoding name") ||
	       remote_lines(good, LINES_N(good), NULL);
}

/* The m= line checks' character classes, byte by byte: a format that is
 * one RFC 4566 token character parses, any other byte (but the line ends
 * and blanks that separate formats) makes the SDP unparsable before
 * Sofia sees it; a digit-led port and every token character in a proto
 * pass. */
static int remote_format_chars(void)
{
	static const char token[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "-!#$%&'*+.^_`{|}~";
	struct trunk_sdp_remote r;
	char sdp[512], why[128];
	int c;

	for (c = 1; c < 256; c++) {
		bool ok = strchr(token, c) != NULL;
		size_t n;

		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		n = (size_t)snprintf(sdp, sizeof(sdp),
				     "%sm=application 9 X/Y a%cb\r\n",
				     remote_head, c);
		why[0] = '\0';
		CHECK(trunk_sdp_remote(sdp, n, &r, why, sizeof(why)) ==
		      (ok ? 0 : EINVAL));
		CHECK(ok || strstr(why, "m= line") != NULL);
	}
	snprintf(sdp, sizeof(sdp), "%sm=application 9 %s/%s *\r\n", remote_head,
		 token, token);
	CHECK(trunk_sdp_remote(sdp, strlen(sdp), &r, why, sizeof(why)) == 0);
	CHECK(r.nstreams == 1 && r.s[0].port == 9);
	return 0;
}

/* The SDP part is found whatever else a multipart holds (a NUL in a
 * part's header aborted Sofia's msg_multipart_parse(), tests/fuzz/sipmsg),
 * with a quoted boundary and LF line ends too; no delimiter after a
 * part, or none at all, is no SDP. */
static int multipart_robust(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	static const char nul[] =
		"--b1\r\nContent-Type: application/"
		"octet-stream\r\nX\0y: 1\r\n\r\n\x01\r\n"
		"--b1\r\nc: Application/SDP ; x=1\r\n\r\n" SDP_A
		"\r\n--b1--\r\n";
	const char *lf = "preamble\n--b 2\nContent-Type: application/sdp\n\n"
			 "v=0\n\n--b 2--\n";
	const char *open = "--b1\r\nContent-Type: application/sdp\r\n\r\n"
			   "v=0\r\n";
	msg_payload_t *pl = msg_payload_create(home, nul, sizeof(nul) - 1);
	msg_content_type_t *b1 =
		msg_content_type_make(home, "multipart/mixed;boundary=b1");
	msg_content_type_t *b2 =
		msg_content_type_make(home, "multipart/mixed;boundary=\"b 2\"");
	msg_payload_t *sdp;

	CHECK(pl && b1 && b2);
	sdp = trunk_sdp_multipart(home, b1, pl);
	CHECK(sdp && sdp->pl_len == strlen(SDP_A) &&
	      !memcmp(sdp->pl_data, SDP_A, sdp->pl_len));
	sdp = trunk_sdp_multipart(home, b2, msg_payload_make(home, lf));
	CHECK(sdp && sdp->pl_len == 4 && !memcmp(sdp->pl_data, "v=0\n", 4));
	CHECK(!trunk_sdp_multipart(home, b1, msg_payload_make(home, open)));
	CHECK(!trunk_sdp_multipart(home, b2, pl));
	su_home_deinit(home);
	return 0;
}

/* sdp_print.c prints what Sofia's sdp_print() prints, byte for byte, for
 * every session it does not decline; the forms trunkd meets every day
 * are not declined (the point of it), the version-dependent ones are. */
static const char *const print_corpus[] = {
	SDP_A,
	/* the benchmark's and SIPp's one-codec offer */
	"v=0\r\no=bench 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 "
	"192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 "
	"PCMU/8000\r\n",
	/* IPv6, a=rtcp, a direction, ptime, LF line ends */
	"v=0\no=- 1 2 IN IP6 2001:db8::1\ns=call\nc=IN IP6 2001:db8::1\n"
	"t=0 0\nm=audio 40000 RTP/AVP 8 0 18 13 101\na=rtcp:40010\n"
	"a=rtpmap:18 G729/8000\na=fmtp:18 annexb=no\n"
	"a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-16\n"
	"a=ptime:20\na=maxptime:40\na=sendonly\n",
	/* session-level direction, media ones equal and different */
	"v=0\r\no=x 9 9 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	"192.0.2.1\r\nt=0 0\r\na=recvonly\r\nm=audio 4000 RTP/AVP 0\r\n"
	"m=audio 4002 RTP/AVP 8\r\na=sendrecv\r\nm=audio 4004 RTP/AVP "
	"0\r\na=inactive\r\n",
	/* RFC 2543 hold, rejected and several streams, media c= lines,
	 * b= lines, i= lines, a stream without rtpmaps */
	"v=0\r\no=- 3 4 IN IP4 0.0.0.0\r\ns=-\r\ni=info\r\nu=http://x/\r\n"
	"e=a@b.example\r\np=+1 555\r\nc=IN IP4 0.0.0.0\r\nb=AS:64\r\n"
	"b=CT:128\r\nb=X-YZ:5\r\nt=3000000000 3000000100\r\n"
	"a=tool:x\r\na=flag\r\nm=audio 0 RTP/AVP 0\r\nm=video 5000 "
	"RTP/AVP 96\r\ni=cam\r\nc=IN IP4 192.0.2.5\r\nc=IN IP4 "
	"192.0.2.6\r\nb=AS:256\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 "
	"profile-level-id=42e01f\r\nm=application 6000 udp wb\r\n",
	/* T.38, SRTP with SDES, multicast with a TTL and groups */
	"v=0\r\no=- 5 5 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 "
	"224.2.1.1/127/3\r\nt=0 0\r\nm=image 6000 udptl t38\r\n"
	"a=T38FaxVersion:0\r\na=T38FaxRateManagement:transferredTCF\r\n"
	"m=audio 7000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
	/* rtpmap parameters (channels), a port count, charset */
	"v=0\r\no=- 6 6 IN IP4 192.0.2.8\r\ns=-\r\nc=IN IP4 "
	"192.0.2.8\r\nt=0 0\r\na=charset:UTF-8\r\nm=audio 8000/2 RTP/AVP "
	"97 0\r\na=rtpmap:97 L16/44100/2\r\na=rtpmap:0 PCMU/8000\r\n",
	/* a static payload type renamed, dynamic ones without rtpmap */
	"v=0\r\no=- 7 7 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 "
	"192.0.2.9\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0 8\r\na=rtpmap:0 "
	"PCMA/8000\r\n",
	"v=0\r\no=- 8 8 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 "
	"192.0.2.9\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0 98\r\n",
	/* a protocol in lower case (Sofia keeps the name) */
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	"192.0.2.1\r\nt=0 0\r\nm=audio 4000 rtp/savp 0\r\n",
	/* declined: r= and z=, a session's k=, a stream's k= */
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	"192.0.2.1\r\nt=3000000000 3000003600\r\nr=7d 1h\r\n"
	"z=2882844526 -1h\r\nm=audio 4000 RTP/AVP 0\r\n",
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	"192.0.2.1\r\nt=0 0\r\nk=clear:abc\r\nm=audio 4000 RTP/AVP 0\r\n",
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	"192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nk=prompt\r\n",
};

static int print_same(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	unsigned i, ours = 0;

	for (i = 0; i < sizeof(print_corpus) / sizeof(print_corpus[0]); i++) {
		const char *t = print_corpus[i];
		sdp_parser_t *p =
			sdp_parse(home, t, (issize_t)strlen(t), sdp_f_strict);
		sdp_printer_t *pr;
		char *text;

		if (!p || !sdp_session(p))
			fprintf(stderr, "case %u: %s\n", i,
				p ? sdp_parsing_error(p) : "no memory");
		CHECK(p && sdp_session(p));
		pr = sdp_print(home, sdp_session(p), NULL, 0, 0);
		CHECK(pr && sdp_message(pr));
		text = trunk_sdp_print(home, sdp_session(p));
		if (text) {
			if (strcmp(text, sdp_message(pr)))
				fprintf(stderr, "case %u:\n%s---\n%s", i, text,
					sdp_message(pr));
			CHECK(!strcmp(text, sdp_message(pr)));
			ours++;
		}
		/* The last three are declined, all others printed. */
		if (!text !=
		    (i + 3 >= sizeof(print_corpus) / sizeof(print_corpus[0])))
			fprintf(stderr, "case %u: %s\n", i,
				text ? "printed" : "declined");
		CHECK(!text == (i + 3 >= sizeof(print_corpus) /
						 sizeof(print_corpus[0])));
		sdp_printer_free(pr);
		sdp_parser_free(p);
	}
	CHECK(ours == i - 3);
	su_home_deinit(home);
	return 0;
}

/* sdp_parse.c parses as Sofia's sdp_parse() does: every text of the
 * print corpus and the forms below through trunk_sdp_remote(), which
 * compares both parses (trunk_sdp_verify, set in main()); the
 * common forms are parsed by ours (the point of it), the others and
 * every text Sofia refuses are left to Sofia. */
static const struct {
	const char *text;
	bool ours; /* parsed by sdp_parse.c */
	bool good; /* Sofia takes it */
} parse_corpus[] = {
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
	  "m=audio 4000 RTP/AVP 0 101\r\nc=IN IP4 192.0.2.1\r\n"
	  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
	  "a=ptime:20\r\nm=image 0 udptl t38\r\n",
	  true, true },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=image 6000 udptl t38\r\n"
	  "a=T38FaxVersion:0\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n",
	  true, true },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 "
	  "AES_CM_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0"
	  "NTY3ODkw\r\n\r\n\r\n",
	  true, true },
	/* left to Sofia: blanks it skips, a second c= of a stream, a
	 * session direction, attributes of a rejected stream */
	{ "v=0\r\no=-  1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	  false, true },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
	  "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
	  "c=IN IP4 192.0.2.2\r\n",
	  false, true },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n",
	  false, true },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 31\r\na=rtpmap:31 "
	  "LPC/90000\r\n",
	  false, true },
	/* refused by Sofia: no s=, no t=, no c=, an rtpmap or fmtp of a
	 * payload type not listed, a payload type of 128, not v=0 first,
	 * a protocol outside RFC 4566 (sdp.c) */
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n"
	  "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	  false, false },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n",
	  false, false },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
	  "m=audio 4000 RTP/AVP 0\r\n",
	  false, false },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	  "a=rtpmap:8 PCMA/8000\r\n",
	  false, false },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	  "a=fmtp:101 0-15\r\n",
	  false, false },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 128\r\n",
	  false, false },
	{ "\r\nv=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	  false, false },
	{ "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
	  "192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP//AVP 0\r\n",
	  false, false },
};

static int parse_same(void)
{
	_Alignas(16) char arena[3056];
	struct trunk_sdp_remote rs;
	unsigned i, n = sizeof(parse_corpus) / sizeof(parse_corpus[0]);
	const char *t;

	for (i = 0; i < n; i++) {
		t = parse_corpus[i].text;
		if (!trunk_sdp_parse(arena, sizeof(arena), t, strlen(t)) !=
		    !parse_corpus[i].ours)
			fprintf(stderr, "case %u: %s by ours\n", i,
				parse_corpus[i].ours ? "declined" : "taken");
		CHECK(!trunk_sdp_parse(arena, sizeof(arena), t, strlen(t)) ==
		      !parse_corpus[i].ours);
		CHECK(!trunk_sdp_remote(t, strlen(t), &rs, NULL, 0) ==
		      parse_corpus[i].good);
	}
	/* The print corpus: all but the charset, b=, multicast, r=, k=
	 * and session-direction ones are ours. */
	for (i = n = 0; i < sizeof(print_corpus) / sizeof(print_corpus[0]);
	     i++) {
		t = print_corpus[i];
		n += trunk_sdp_parse(arena, sizeof(arena), t, strlen(t)) !=
		     NULL;
		CHECK(!trunk_sdp_remote(t, strlen(t), &rs, NULL, 0));
	}
	CHECK(n == 6);
	/* Too little room: left to Sofia. */
	CHECK(!trunk_sdp_parse(arena, 512, SDP_A, strlen(SDP_A)));
	CHECK(trunk_sdp_parse(arena, sizeof(arena), SDP_A, strlen(SDP_A)));
	return 0;
}

static const struct unit_case cases[] = {
	{ "remote_basic", remote_basic },
	{ "remote_rtcp_and_v6", remote_rtcp_and_v6 },
	{ "remote_hold_2543", remote_hold_2543 },
	/* REQ: HOLD-2 */
	{ "remote_hold_2543_ipv6", remote_hold_2543_ipv6 },
	{ "remote_garbage", remote_garbage },
	{ "rewrite_addresses", rewrite_addresses },
	{ "rewrite_version", rewrite_version },
	{ "rewrite_rejected", rewrite_rejected },
	{ "rewrite_hold_2543", rewrite_hold_2543 },
	/* REQ: HOLD-2 */
	{ "rewrite_hold_2543_session", rewrite_hold_2543_session },
	/* REQ: HOLD-1 HOLD-2 */
	{ "rewrite_hold_2543_ipv6", rewrite_hold_2543_ipv6 },
	{ "policy_offer_crosses", policy_offer_crosses },
	{ "policy_answer_without_cn", policy_answer_without_cn },
	{ "policy_cn_toward_known_peer", policy_cn_toward_known_peer },
	{ "policy_g729_annexb", policy_g729_annexb },
	{ "policy_nothing_common", policy_nothing_common },
	{ "same_codecs", same_codecs },
	{ "trunk_codecs", trunk_codecs },
	/* REQ: RTP-3 */
	{ "trunk_codecs_default", trunk_codecs_default },
	{ "shape_answer", shape_answer },
	{ "shape_offer", shape_offer },
	{ "multipart_sdp", multipart_sdp },
	{ "remote_format_loop", remote_format_loop },
	{ "remote_format_chars", remote_format_chars },
	{ "remote_rtpmap_nameless", remote_rtpmap_nameless },
	{ "multipart_robust", multipart_robust },
	{ "print_same", print_same },
	{ "parse_same", parse_same },
};

/* Every SDP the cases print is printed by Sofia too and compared. */
int main(int argc, char **argv)
{
	trunk_sdp_verify = true;
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
