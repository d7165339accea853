/*
 * Fuzz target for trunkd's reading and rewriting of a peer's SDP
 * (trunk/sdp.c), driven the way call_sdp_cross() in trunk/call.c drives
 * it for every body that crosses the B2BUA: a multipart body's SDP part
 * is found (trunk_sdp_multipart), the SDP is opened (trunk_sdp_open),
 * noted as an offer or answer (trunk_sdp_note) and rewritten for the
 * other leg with a fixed local media address and port
 * (trunk_sdp_rewrite_text), so the rewrite and the codec policy run in
 * full; then the answer's negotiated codecs (trunk_sdp_negotiated,
 * trunk_sdp_same_codecs) and the m-line shaping of a re-offer
 * (trunk_sdp_shape, call_reoffer.c) run on the results.
 *
 * Input: one flags byte, then up to three parts separated by NUL bytes:
 * leg A's peer's body (the offer), leg B's peer's body (the answer) and
 * the Content-Type of A's body ("" or absent: application/sdp). Flags:
 * bit 0 the local address is IPv6, bit 1 and 2 the trunk's codec list
 * (none, PCMA, PCMU+G729, PCMU), bit 3 shape as an answer, bit 4 A's
 * offer is sent twice (a re-offer that changes nothing, SDP-2).
 *
 * Besides crashes and sanitizer reports, the target checks what trunkd
 * promises about the SDP it sends (DESIGN.md 5, SDP-3): it parses again,
 * names no address but ours, carries our o= session id, and has as many
 * m= lines as the SDP it was made from; and every SDP printed by
 * trunkd's own printer (sdp_print.c) is printed by Sofia's too and must
 * be the same text (trunk_sdp_verify).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_mime.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "trunk/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_V4 "192.0.2.10"
#define FUZZ_V6 "2001:db8::10"

struct fuzz_call {
	su_home_t home[1];
	struct trunk_sdp_leg sdp[2]; /* [0] leg A, [1] leg B */
	const char *addr;
	bool ipv6;
};

static void fuzz_fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_sdp: %s\n--- SDP sent ---\n%s\n", what, text);
	abort();
}

/* What we send must be SDP of ours: parsable, our address only, our o=
 * line, one m= line for each of the peer's. */
static void fuzz_check_sent(const struct fuzz_call *c,
			    const struct trunk_sdp_leg *to, const char *text,
			    unsigned nstreams)
{
	struct trunk_sdp_remote rs;
	char why[160];
	unsigned i;

	if (trunk_sdp_remote(text, strlen(text), &rs, why, sizeof(why)))
		fuzz_fail(why, text);
	if (rs.o_id != to->sess_id || rs.o_version != to->version)
		fuzz_fail("not our o= line", text);
	if (rs.nstreams != nstreams)
		fuzz_fail("m= lines lost or added", text);
	for (i = 0; i < rs.nstreams; i++)
		if (strcmp(rs.s[i].addr, c->addr))
			fuzz_fail("a peer's address crossed", text);
}

/*
 * call_sdp_cross() without the media engine: the body of `from`'s peer
 * for the other leg. Returns 0, or 488 (unusable SDP).
 */
static int fuzz_cross(struct fuzz_call *c, int from, const char *body,
		      size_t len, const char *ct_text)
{
	struct trunk_sdp_leg *fl = &c->sdp[from], *tl = &c->sdp[!from];
	uint16_t ports[TRUNK_SDP_MAX_MEDIA] = { 40000 };
	struct trunk_sdp_remote rs;
	struct trunk_sdp_text *t;
	msg_content_type_t *ct = NULL;
	msg_payload_t *pl, *part;
	char why[160], *text = NULL;
	bool answer;
	int rc;

	pl = msg_payload_create(c->home, body, (isize_t)len);
	if (!pl)
		return 0;
	if (ct_text && *ct_text)
		ct = sip_content_type_make(c->home, ct_text);
	if (ct && ct->c_type && strcasecmp(ct->c_type, "application/sdp")) {
		part = trunk_sdp_multipart(c->home, ct, pl);
		if (!part)
			return 0; /* not SDP: crosses unchanged */
		pl = part;
	}
	t = trunk_sdp_open(pl->pl_data, pl->pl_len, &rs, why, sizeof(why));
	if (!t || !rs.nstreams) {
		trunk_sdp_close(t);
		return 488;
	}
	answer = trunk_sdp_note(fl, tl, &rs);
	rc = trunk_sdp_rewrite_text(c->home, tl, t, c->addr, c->ipv6, ports,
				    rs.nstreams, &text);
	trunk_sdp_close(t);
	if (rc)
		return 488;
	fuzz_check_sent(c, tl, text, rs.nstreams);
	if (answer && tl->peer_known) {
		trunk_sdp_negotiated(&rs.s[0], tl);
		(void)trunk_sdp_same_codecs(&rs.s[0], tl);
		rs.s[0] = tl->peer;
		trunk_sdp_negotiated(&rs.s[0], tl);
	}
	su_free(c->home, text);
	return 0;
}

/* Split the input into NUL-terminated parts (the last one terminated by
 * the copy). */
static size_t fuzz_split(char *buf, size_t len, char **parts, size_t *lens,
			 size_t max)
{
	size_t n = 0, i, start = 0;

	for (i = 0; i <= len && n < max; i++) {
		if (i == len || buf[i] == '\0') {
			parts[n] = buf + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t codecs[4] = { 0, TRUNK_SDP_CODEC_PCMA,
					   TRUNK_SDP_CODEC_PCMU |
						   TRUNK_SDP_CODEC_G729,
					   TRUNK_SDP_CODEC_PCMU };
	struct fuzz_call c;
	char *buf, *parts[3] = { NULL }, *shaped = NULL;
	size_t lens[3] = { 0 }, n;
	uint8_t flags;
	int i;

	trunk_sdp_verify = true; /* both printers, compared */
	if (size < 1)
		return 0;
	flags = data[0];
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	n = fuzz_split(buf, size - 1, parts, lens, 3);

	memset(&c, 0, sizeof(c));
	su_home_init(c.home);
	c.ipv6 = flags & 1;
	c.addr = c.ipv6 ? FUZZ_V6 : FUZZ_V4;
	for (i = 0; i < 2; i++) {
		c.sdp[i].sess_id = 3900000000ull + (uint64_t)i;
		c.sdp[i].version = 1;
		c.sdp[i].codecs = codecs[(flags >> 1) & 3];
	}
	/* A's offer to B, B's answer to A (codec policy), A's re-offer. */
	if (n > 0 &&
	    !fuzz_cross(&c, 0, parts[0], lens[0], n > 2 ? parts[2] : NULL)) {
		if (n > 1)
			fuzz_cross(&c, 1, parts[1], lens[1], NULL);
		if (flags & 16)
			fuzz_cross(&c, 0, parts[0], lens[0],
				   n > 2 ? parts[2] : NULL);
	}
	/* A re-offer shaped by the last SDP exchanged (call_reoffer.c):
	 * ours (text we made) against a model, ours or the peer's own. */
	if (c.sdp[1].last && c.sdp[0].last)
		trunk_sdp_shape(c.home, c.sdp[1].last, c.sdp[0].last, flags & 8,
				&shaped);
	if (c.sdp[1].last && n > 1)
		trunk_sdp_shape(c.home, c.sdp[1].last, parts[1], flags & 8,
				&shaped);
	if (n > 1)
		trunk_sdp_shape(c.home, parts[0], parts[1], flags & 8, &shaped);
	su_home_deinit(c.home);
	free(buf);
	return 0;
}
