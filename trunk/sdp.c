/*
 * SDP reading and rewriting for the B2BUA (see sdp.h). Sofia's SDP parser
 * does the syntax; this file decides what of a peer's SDP crosses to the
 * other leg: codecs, directions and attributes do, addresses, ports and
 * the o= line never do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_mime.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sdp.h>

#include "config/config.h"
#include "config/outbuf.h"
#include "sdp.h"
#include "sofia_home.h"

static void sdp_why(char *why, size_t len, const char *what, const char *d)
{
	if (why && len)
		snprintf(why, len, "%s%s%s", what, d ? ": " : "", d ? d : "");
}

/*
 * Sofia 1.12.11's sdp_parse() never returns on some m= lines: in
 * parse_media() the format list of a non-RTP protocol is read by
 * token(), which returns NULL without moving on when no token starts
 * where a format should ("m=image 9 udptl t38 ,x", "m=video 9 TP7R /AVP
 * 0", a tab after the protocol), and the loop allocates a list item per
 * turn until memory runs out (found by tests/fuzz/sdp, corpus/reg-*). So
 * each m= line is read here as parse_media() reads it, and one on which
 * it would loop makes the SDP unparsable before Sofia sees it. All such
 * lines break RFC 4566's grammar (fmt = token); for an RTP protocol,
 * where Sofia reads numbers instead, the same lines fail its parse.
 */
/* Preload of a parser's home past the text's length: the parsed lines of
 * a typical offer (~1.2 KB); the whole within su_home_preload()'s 16 bits. */
#define SDP_PARSER_PRELOAD     1536
#define SDP_PARSER_PRELOAD_MAX 65535

/* Character classes of the m= line checks below (a table: this runs on
 * every SDP, strchr() per character cost ~3,000 instructions an SDP).
 * SDP_C_TOKEN: RFC 4566's token, alphanumerics and -!#$%&'*+.^_`{|}~. */
enum {
	SDP_C_TOKEN = 1,
	SDP_C_DIGIT = 2,  /* 0-9 */
	SDP_C_SP = 4,	  /* ' ' */
	SDP_C_TAB = 8,	  /* '\t' */
	SDP_C_VF = 16,	  /* '\v' '\f' (strtoul()'s other blanks) */
	SDP_C_SLASH = 32, /* '/' */
};

#define SDP_C_BLANK (SDP_C_SP | SDP_C_TAB)

static const uint8_t sdp_class[256] = {
	['\t'] = SDP_C_TAB,
	['\v'] = SDP_C_VF,
	['\f'] = SDP_C_VF,
	[' '] = SDP_C_SP,
	['/'] = SDP_C_SLASH,
	['!'] = SDP_C_TOKEN,
	['#'] = SDP_C_TOKEN,
	['$'] = SDP_C_TOKEN,
	['%'] = SDP_C_TOKEN,
	['&'] = SDP_C_TOKEN,
	['\''] = SDP_C_TOKEN,
	['*'] = SDP_C_TOKEN,
	['+'] = SDP_C_TOKEN,
	['-'] = SDP_C_TOKEN,
	['.'] = SDP_C_TOKEN,
	['^'] = SDP_C_TOKEN,
	['_'] = SDP_C_TOKEN,
	['`'] = SDP_C_TOKEN,
	['{'] = SDP_C_TOKEN,
	['|'] = SDP_C_TOKEN,
	['}'] = SDP_C_TOKEN,
	['~'] = SDP_C_TOKEN,
	['0' ... '9'] = SDP_C_TOKEN | SDP_C_DIGIT,
	['A' ... 'Z'] = SDP_C_TOKEN,
	['a' ... 'z'] = SDP_C_TOKEN,
};

/* The length of the run of characters of classes `set` at p, within
 * [p, end) (NUL is of no class). */
static size_t sdp_span(const char *p, const char *end, unsigned set)
{
	size_t n = 0;

	while (p + n < end && (sdp_class[(unsigned char)p[n]] & set))
		n++;
	return n;
}

/* Sofia's token(): false where it returns NULL without moving r. */
static bool sdp_token(const char **r, const char *end, unsigned sep,
		      unsigned legal, unsigned strip)
{
	const char *t = *r + (strip ? sdp_span(*r, end, strip) : 0);
	size_t n = sdp_span(t, end, legal);

	if (!n)
		return false;
	if (t + n < end) /* the character after the token is cut */
		n += 1 + sdp_span(t + n + 1, end, sep);
	*r = t + n;
	return true;
}

/* Sofia's parse_ul() (strtoul: blanks, a sign, digits). */
static bool sdp_ul(const char **r, const char *end)
{
	const char *q = *r + sdp_span(*r, end, SDP_C_BLANK | SDP_C_VF);

	if (q < end && (*q == '+' || *q == '-'))
		q++;
	if (q == end || *q < '0' || *q > '9')
		return false;
	q += sdp_span(q, end, SDP_C_DIGIT);
	*r = q + sdp_span(q, end, SDP_C_BLANK);
	return true;
}

/* The text of an m= line after "m=", [r, end): would parse_media()
 * loop on it? (It may fail on it otherwise: that is Sofia's to say.) */
static bool sdp_media_line_loops(const char *r, const char *end)
{
	if (!sdp_token(&r, end, SDP_C_SP, SDP_C_TOKEN, 0) || !sdp_ul(&r, end))
		return false;
	if (r < end && *r == '/' && (++r, !sdp_ul(&r, end)))
		return false;
	if (!sdp_token(&r, end, SDP_C_SP, SDP_C_SLASH | SDP_C_TOKEN, SDP_C_SP))
		return false;
	while (r < end && *r)
		if (!sdp_token(&r, end, SDP_C_BLANK, SDP_C_TOKEN, SDP_C_BLANK))
			return true;
	return false;
}

/* RFC 4566's m= line, [r, end), blanks between fields tolerated: media
 * SP port ["/" integer] SP proto SP fmt *(SP fmt), proto = token *("/"
 * token), no fmt tolerated. Sofia reads some lines outside it in ways its own printer
 * cannot print back (a proto of "/": found by tests/fuzz/sdp,
 * corpus/reg-proto-slash), so they are unparsable here. */
static bool sdp_media_line_valid(const char *r, const char *end)
{
	size_t n;

	if (!(n = sdp_span(r, end, SDP_C_TOKEN)) ||
	    !sdp_span(r + n, end, SDP_C_BLANK))
		return false;
	r += n;
	r += sdp_span(r, end, SDP_C_BLANK);
	if (!(n = sdp_span(r, end, SDP_C_DIGIT)))
		return false;
	r += n;
	if (r < end && *r == '/') {
		if (!(n = sdp_span(++r, end, SDP_C_DIGIT)))
			return false;
		r += n;
	}
	if (!sdp_span(r, end, SDP_C_BLANK))
		return false;
	r += sdp_span(r, end, SDP_C_BLANK);
	for (;;) { /* proto */
		if (!(n = sdp_span(r, end, SDP_C_TOKEN)))
			return false;
		r += n;
		if (r >= end || *r != '/')
			break;
		r++;
	}
	if (r < end && *r && !sdp_span(r, end, SDP_C_BLANK))
		return false; /* fmts, if any (Sofia takes none), after blanks */
	r += sdp_span(r, end, SDP_C_BLANK);
	while (r < end && *r) { /* fmts */
		if (!(n = sdp_span(r, end, SDP_C_TOKEN)))
			return false;
		r += n;
		r += sdp_span(r, end, SDP_C_BLANK);
	}
	return true;
}

/* Lines end at CR or LF, the text at NUL, as for Sofia. NULL, or why an
 * m= line is refused. */
static const char *sdp_media_lines_bad(const char *sdp, size_t len)
{
	const char *p = sdp, *end = sdp + len, *eol;

	for (; p < end && *p; p = eol + 1) {
		for (eol = p;
		     eol < end && *eol && *eol != '\r' && *eol != '\n';)
			eol++;
		if (eol - p < 2 || p[0] != 'm' || p[1] != '=')
			;
		else if (sdp_media_line_loops(p + 2, eol))
			return "an m= line with a format that is no token "
			       "(RFC 4566)";
		else if (!sdp_media_line_valid(p + 2, eol))
			return "an m= line outside RFC 4566's grammar";
		if (eol == end || !*eol)
			break;
	}
	return NULL;
}

/* Parse with Sofia; NULL and a reason when the text is not usable SDP. */
static sdp_parser_t *sdp_open(su_home_t *home, const char *sdp, size_t len,
			      int flags, char *why, size_t whylen)
{
	const char *bad = sdp_media_lines_bad(sdp, len);
	sdp_parser_t *p;

	if (bad) {
		sdp_why(why, whylen, "unparsable SDP", bad);
		return NULL;
	}
	/* The parser's home (a clone made inside sdp_parse()) with room for
	 * the text's copy and the parsed lines in one area (sofia_home.c). */
	if (len <= SDP_PARSER_PRELOAD_MAX - SDP_PARSER_PRELOAD)
		trunk_home_preload_next(len + SDP_PARSER_PRELOAD);
	p = sdp_parse(home, sdp, (issize_t)len, sdp_f_strict | flags);
	trunk_home_preload_next(0);
	if (!p || !sdp_session(p)) {
		sdp_why(why, whylen, "unparsable SDP",
			p ? sdp_parsing_error(p) : "out of memory");
		if (p)
			sdp_parser_free(p);
		return NULL;
	}
	return p;
}

/*
 * The RFC 2543 hold form (HOLD-2): a connection address that names no
 * host, c=IN IP4 0.0.0.0 or its IPv6 twin c=IN IP6 :: (any spelling of
 * the unspecified address, RFC 4291 2.5.2), "do not send to me".
 */
static bool sdp_c_hold(const sdp_connection_t *c)
{
	struct in6_addr a6;

	if (!c || !c->c_address)
		return false;
	if (c->c_addrtype == sdp_addr_ip6)
		return inet_pton(AF_INET6, c->c_address, &a6) == 1 &&
		       IN6_IS_ADDR_UNSPECIFIED(&a6);
	return !strcmp(c->c_address, "0.0.0.0");
}

static enum trunk_sdp_dir sdp_dir(unsigned mode)
{
	switch (mode & sdp_sendrecv) {
	case sdp_sendonly:
		return TRUNK_SDP_SENDONLY;
	case sdp_recvonly:
		return TRUNK_SDP_RECVONLY;
	case sdp_sendrecv:
		return TRUNK_SDP_SENDRECV;
	default:
		return TRUNK_SDP_INACTIVE;
	}
}

static void sdp_stream_read(const sdp_session_t *sess, const sdp_media_t *m,
			    struct trunk_sdp_stream *st)
{
	const sdp_connection_t *c =
		m->m_connections ? m->m_connections : sess->sdp_connection;
	const sdp_attribute_t *rtcp =
		sdp_attribute_find(m->m_attributes, "rtcp");
	const sdp_rtpmap_t *rm;
	const sdp_list_t *f;

	memset(st, 0, sizeof(*st));
	outbuf_copy(st->type, sizeof(st->type),
		    m->m_type_name ? m->m_type_name : "");
	outbuf_copy(st->proto, sizeof(st->proto),
		    m->m_proto_name ? m->m_proto_name : "");
	st->port = m->m_rejected ? 0 : (uint16_t)m->m_port;
	st->rtcp_port = rtcp && rtcp->a_value ? (uint16_t)atoi(rtcp->a_value)
					      : (uint16_t)(st->port + 1);
	if (c && c->c_address) {
		outbuf_copy(st->addr, sizeof(st->addr), c->c_address);
		st->ipv6 = c->c_addrtype == sdp_addr_ip6;
		st->hold_2543 = sdp_c_hold(c);
	}
	st->dir = sdp_dir(m->m_mode);
	if (st->hold_2543)
		st->dir &= TRUNK_SDP_SENDONLY;
	/* RTP media: Sofia lists the payload types as rtpmaps (all of them
	 * with sdp_f_all_rtpmaps); other media keep their formats as text. */
	for (rm = m->m_rtpmaps; rm && st->npt < TRUNK_SDP_MAX_PT;
	     rm = rm->rm_next)
		st->pt[st->npt++] = (uint8_t)rm->rm_pt;
	for (f = m->m_format; !m->m_rtpmaps && f && st->npt < TRUNK_SDP_MAX_PT;
	     f = f->l_next)
		if (f->l_text &&
		    strspn(f->l_text, "0123456789") == strlen(f->l_text))
			st->pt[st->npt++] = (uint8_t)atoi(f->l_text);
}

/* Sofia takes some malformed rtpmap lines (a form feed where the blank
 * goes, found by the SDP fuzz target) as an rtpmap without an encoding
 * name, which it then prints as "(null)/<rate>" and cannot read back:
 * such an SDP is refused (488), not relayed. (A format without an
 * rtpmap line has a predefined rtpmap, nameless when its payload type is
 * not a well-known one; Sofia does not print those.) */
static bool sdp_rtpmap_nameless(const sdp_media_t *m)
{
	const sdp_rtpmap_t *rm;

	for (rm = m->m_rtpmaps; rm; rm = rm->rm_next)
		if (!rm->rm_predef && (!rm->rm_encoding || !*rm->rm_encoding))
			return true;
	return false;
}

/* What trunk_sdp_remote() reads, from a parse. */
static int sdp_read(const sdp_session_t *sess, struct trunk_sdp_remote *out,
		    char *why, size_t whylen)
{
	const sdp_media_t *m;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (sess->sdp_origin) {
		out->o_id = sess->sdp_origin->o_id;
		out->o_version = sess->sdp_origin->o_version;
	}
	for (m = sess->sdp_media; m; m = m->m_next) {
		if (out->nstreams == TRUNK_SDP_MAX_MEDIA) {
			sdp_why(why, whylen, "too many m= lines", NULL);
			rc = EINVAL;
			break;
		}
		if (sdp_rtpmap_nameless(m)) {
			sdp_why(why, whylen, "unparsable SDP",
				"an rtpmap without an encoding name "
				"(RFC 4566 6)");
			rc = EINVAL;
			break;
		}
		sdp_stream_read(sess, m, &out->s[out->nstreams++]);
	}
	return rc;
}

/* (Sofia's parser ignores sdp_f_all_rtpmaps, a printer flag: both
 * functions' parses are the same one, which trunk_sdp_open() shares.) */
int trunk_sdp_remote(const char *sdp, size_t len, struct trunk_sdp_remote *out,
		     char *why, size_t whylen)
{
	struct trunk_sdp_text *t = trunk_sdp_open(sdp, len, out, why, whylen);

	trunk_sdp_close(t);
	return t ? 0 : EINVAL;
}

/*
 * A parse: ours (sdp_parse.c) in the arena when it takes the text, else
 * Sofia's. One allocation either way (Sofia's parser is one more).
 */
#define SDP_TEXT_SIZE 3072

static char *sdp_render_sofia(su_home_t *home, sdp_session_t *sess);

struct trunk_sdp_text {
	sdp_parser_t *sofia; /* Sofia's parse, or NULL: ours, in arena */
	sdp_session_t *sess;
	_Alignas(16) char arena[SDP_TEXT_SIZE - 16];
};

static void sdp_verify_fail(const char *what, const char *sdp, size_t len)
{
	fprintf(stderr, "trunk_sdp_parse() differs from sdp_parse(): %s\n%.*s",
		what, (int)len, sdp);
	abort();
}

/* trunk_sdp_verify: our parse (ours) must be Sofia's field for
 * field, printed the same, and of a text Sofia takes too. */
static void sdp_verify_parse(const sdp_session_t *ours, const char *sdp,
			     size_t len)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_parser_t *p = sdp_open(home, sdp, len, 0, NULL, 0);
	const sdp_session_t *ref = p ? sdp_session(p) : NULL;
	const sdp_media_t *a, *b;
	const sdp_rtpmap_t *ra, *rb;
	char *ta, *tb;

	if (!ref)
		sdp_verify_fail("Sofia refuses it", sdp, len);
	if (sdp_session_cmp(ours, ref))
		sdp_verify_fail("sdp_session_cmp()", sdp, len);
	ta = sdp_render_sofia(home, (sdp_session_t *)ours);
	tb = sdp_render_sofia(home, (sdp_session_t *)ref);
	if (!ta || !tb || strcmp(ta, tb))
		sdp_verify_fail("printed otherwise", sdp, len);
	if (ours->sdp_size != ref->sdp_size ||
	    ours->sdp_origin->o_size != ref->sdp_origin->o_size)
		sdp_verify_fail("sizes", sdp, len);
	for (a = ours->sdp_media, b = ref->sdp_media; a && b;
	     a = a->m_next, b = b->m_next) {
		if (a->m_size != b->m_size || a->m_type != b->m_type ||
		    a->m_proto != b->m_proto || a->m_mode != b->m_mode ||
		    a->m_rejected != b->m_rejected || a->m_port != b->m_port ||
		    a->m_number_of_ports != b->m_number_of_ports ||
		    strcmp(a->m_type_name, b->m_type_name) ||
		    strcmp(a->m_proto_name, b->m_proto_name) ||
		    a->m_session != ours ||
		    !!a->m_connections != !!b->m_connections)
			sdp_verify_fail("a stream", sdp, len);
		for (ra = a->m_rtpmaps, rb = b->m_rtpmaps; ra && rb;
		     ra = ra->rm_next, rb = rb->rm_next)
			if (ra->rm_size != rb->rm_size ||
			    ra->rm_predef != rb->rm_predef ||
			    ra->rm_pt != rb->rm_pt ||
			    ra->rm_any != rb->rm_any ||
			    !ra->rm_encoding != !rb->rm_encoding ||
			    !ra->rm_params != !rb->rm_params ||
			    !ra->rm_fmtp != !rb->rm_fmtp)
				sdp_verify_fail("an rtpmap", sdp, len);
		if (ra || rb)
			sdp_verify_fail("rtpmaps", sdp, len);
	}
	if (a || b)
		sdp_verify_fail("streams", sdp, len);
	sdp_parser_free(p);
	su_home_deinit(home);
}

static struct trunk_sdp_text *sdp_text_open(const char *sdp, size_t len,
					    char *why, size_t whylen)
{
	struct trunk_sdp_text *t = malloc(sizeof(*t));

	if (!t) {
		sdp_why(why, whylen, "unparsable SDP", "out of memory");
		return NULL;
	}
	t->sofia = NULL;
	t->sess = trunk_sdp_parse(t->arena, sizeof(t->arena), sdp, len);
	if (t->sess) {
		if (trunk_sdp_verify)
			sdp_verify_parse(t->sess, sdp, len);
		return t;
	}
	t->sofia = sdp_open(NULL, sdp, len, 0, why, whylen);
	if (!t->sofia) {
		free(t);
		return NULL;
	}
	t->sess = sdp_session(t->sofia);
	return t;
}

struct trunk_sdp_text *trunk_sdp_open(const char *sdp, size_t len,
				      struct trunk_sdp_remote *out, char *why,
				      size_t whylen)
{
	struct trunk_sdp_text *t = sdp_text_open(sdp, len, why, whylen);

	if (t && sdp_read(t->sess, out, why, whylen)) {
		trunk_sdp_close(t);
		t = NULL;
	}
	return t;
}

void trunk_sdp_close(struct trunk_sdp_text *t)
{
	if (t && t->sofia)
		sdp_parser_free(t->sofia);
	free(t);
}

static bool sdp_has_pt(const uint8_t *pt, unsigned n, unsigned want)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (pt[i] == want)
			return true;
	return false;
}

bool trunk_sdp_note(struct trunk_sdp_leg *from, struct trunk_sdp_leg *to,
		    const struct trunk_sdp_remote *rs)
{
	bool repeat = from->peer_known && from->peer_answered &&
		      rs->o_id == from->peer_o_id &&
		      rs->o_version == from->peer_o_version;
	bool answer = from->offer_out || repeat;

	from->offer_out = false;
	if (!answer)
		to->offer_out = true;
	to->answer = answer;
	from->peer_answered = answer;
	from->peer_o_id = rs->o_id;
	from->peer_o_version = rs->o_version;
	if (rs->nstreams) {
		from->peer = rs->s[0];
		from->peer_known = true;
	}
	return answer;
}

void trunk_sdp_negotiated(struct trunk_sdp_stream *st,
			  const struct trunk_sdp_leg *leg)
{
	st->npt = leg->npt;
	memcpy(st->pt, leg->pt, leg->npt);
}

bool trunk_sdp_same_codecs(const struct trunk_sdp_stream *st,
			   const struct trunk_sdp_leg *leg)
{
	unsigned i, n = 0;

	for (i = 0; i < leg->npt; i++) {
		if (leg->peer_known &&
		    !sdp_has_pt(leg->peer.pt, leg->peer.npt, leg->pt[i]))
			continue;
		if (!sdp_has_pt(st->pt, st->npt, leg->pt[i]))
			return false;
		n++;
	}
	return n == st->npt;
}

static const struct {
	const char *name;
	uint8_t bit;
} sdp_codecs[] = {
	{ "PCMU", TRUNK_SDP_CODEC_PCMU },
	{ "PCMA", TRUNK_SDP_CODEC_PCMA },
	{ "G729", TRUNK_SDP_CODEC_G729 },
};

uint8_t trunk_sdp_codec_mask(const char *const *names, size_t n)
{
	uint8_t mask = 0;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < sizeof(sdp_codecs) / sizeof(sdp_codecs[0]); j++)
			if (!strcasecmp(names[i], sdp_codecs[j].name))
				mask |= sdp_codecs[j].bit;
	return mask;
}

uint8_t trunk_sdp_trunk_codecs(const struct config *cfg, const char *trunk)
{
	const struct config_section *t =
		trunk && *trunk ? config_section_get(cfg, "trunk", trunk)
				: NULL;
	const char *const *names;
	size_t n = t ? config_get_list(t, "codecs", &names) : 0;

	/* A trunk without its own list takes [media] codecs (RTP-3). */
	if (t && !n)
		n = config_get_list(config_section_get(cfg, "media", NULL),
				    "codecs", &names);
	return n ? trunk_sdp_codec_mask(names, n) : 0;
}

/* A trunk's codec list (leg->codecs) lets this rtpmap through: it names a
 * listed codec, or no codec at all (telephone-event, CN). */
static bool sdp_codec_listed(const struct trunk_sdp_leg *leg,
			     const sdp_rtpmap_t *rm)
{
	const char *enc = rm->rm_encoding ? rm->rm_encoding : "";
	size_t j;

	if (!leg->codecs || !strcasecmp(enc, "telephone-event") ||
	    !strcasecmp(enc, "CN") || rm->rm_pt == 13)
		return true;
	for (j = 0; j < sizeof(sdp_codecs) / sizeof(sdp_codecs[0]); j++)
		if (!strcasecmp(enc, sdp_codecs[j].name))
			return (leg->codecs & sdp_codecs[j].bit) != 0;
	return false;
}

/* Is a=NAME:<pt> ... about payload type pt? */
static bool sdp_attr_for(const sdp_attribute_t *a, const char *name,
			 unsigned pt)
{
	return a->a_name && !strcasecmp(a->a_name, name) && a->a_value &&
	       strtoul(a->a_value, NULL, 10) == pt &&
	       strspn(a->a_value, "0123456789") > 0;
}

/*
 * The codec policy on the first stream (docs/media.md "Codec policy"):
 * which payload types of the peer's m= line we may say on `leg`.
 */
static bool sdp_pt_allowed(const struct trunk_sdp_leg *leg, unsigned pt)
{
	const struct trunk_sdp_stream *p = &leg->peer;

	/* An answer names only what the offerer listed (no transcoding). */
	if (leg->answer && leg->peer_known && p->npt &&
	    !sdp_has_pt(p->pt, p->npt, pt))
		return false;
	/* RTP-5: CN only toward a peer whose m= line listed 13. */
	if (pt == 13 && leg->peer_known && !sdp_has_pt(p->pt, p->npt, 13))
		return false;
	return true;
}

static void sdp_codec_policy(sdp_media_t *m, struct trunk_sdp_leg *leg)
{
	sdp_rtpmap_t *all = m->m_rtpmaps, **rp = &m->m_rtpmaps;
	sdp_attribute_t **ap;
	sdp_list_t **fp;

	leg->npt = 0;
	while (*rp) {
		unsigned pt = (*rp)->rm_pt;

		if (sdp_pt_allowed(leg, pt) && sdp_codec_listed(leg, *rp)) {
			if (leg->npt < TRUNK_SDP_MAX_PT)
				leg->pt[leg->npt++] = (uint8_t)pt;
			rp = &(*rp)->rm_next;
			continue;
		}
		*rp = (*rp)->rm_next;
		for (ap = &m->m_attributes; *ap;)
			if (sdp_attr_for(*ap, "fmtp", pt) ||
			    sdp_attr_for(*ap, "rtpmap", pt))
				*ap = (*ap)->a_next;
			else
				ap = &(*ap)->a_next;
		for (fp = &m->m_format; *fp;)
			if ((*fp)->l_text &&
			    strtoul((*fp)->l_text, NULL, 10) == pt &&
			    strspn((*fp)->l_text, "0123456789") ==
				    strlen((*fp)->l_text))
				*fp = (*fp)->l_next;
			else
				fp = &(*fp)->l_next;
	}
	/* Nothing in common: the stream is refused (port 0), still with a
	 * valid m= line. */
	if (!m->m_rtpmaps) {
		m->m_rtpmaps = all;
		m->m_port = 0;
	}
}

/* Apply our address, ports and o= line to a parsed session. */
static int sdp_localize(su_home_t *home, sdp_session_t *sess,
			struct trunk_sdp_leg *leg, const char *addr, bool ipv6,
			const uint16_t *ports, size_t nports)
{
	sdp_connection_t *c = su_zalloc(home, sizeof(*c));
	sdp_origin_t *o = su_zalloc(home, sizeof(*o));
	/* The peer's session-level c=, for m= lines without their own
	 * (RFC 4566 5.7), before ours replaces it. */
	const sdp_connection_t *sc = sess->sdp_connection;
	sdp_media_t *m;
	size_t i = 0;

	if (!c || !o)
		return ENOMEM;
	c->c_size = sizeof(*c);
	c->c_nettype = sdp_net_in;
	c->c_addrtype = ipv6 ? sdp_addr_ip6 : sdp_addr_ip4;
	c->c_address = su_strdup(home, addr);
	o->o_size = sizeof(*o);
	o->o_username = "trunkd";
	o->o_id = leg->sess_id;
	o->o_version = leg->version;
	o->o_address = c;
	sess->sdp_origin = o;
	sess->sdp_connection = c;
	for (m = sess->sdp_media; m; m = m->m_next, i++) {
		const sdp_connection_t *mc =
			m->m_connections ? m->m_connections : sc;

		/* c=0.0.0.0 or c=IN IP6 :: (HOLD-2), of the m= line or the
		 * session, crosses as a direction, not an address: sendrecv
		 * becomes sendonly, recvonly inactive (the peer receives
		 * nothing). */
		if (sdp_c_hold(mc))
			m->m_mode &= sdp_sendonly;
		m->m_connections = NULL; /* the session-level c= is ours */
		if (m->m_port && !m->m_rejected)
			m->m_port = i < nports ? ports[i] : 0;
		sdp_attribute_remove(&m->m_attributes, "rtcp");
		if (i == 0 && m->m_type == sdp_media_audio && m->m_rtpmaps &&
		    m->m_port && !m->m_rejected)
			sdp_codec_policy(m, leg);
	}
	return 0;
}

bool trunk_sdp_verify;

/* Sofia's printer: the reference, and what prints what ours declines. */
static char *sdp_render_sofia(su_home_t *home, sdp_session_t *sess)
{
	sdp_printer_t *pr = sdp_print(home, sess, NULL, 0, 0);
	char *text = NULL;

	if (pr && sdp_message(pr))
		text = su_strdup(home, sdp_message(pr));
	if (pr)
		sdp_printer_free(pr);
	return text;
}

static char *sdp_render(su_home_t *home, sdp_session_t *sess)
{
	char *text = trunk_sdp_print(home, sess), *ref;

	if (!text)
		return sdp_render_sofia(home, sess);
	if (trunk_sdp_verify) {
		ref = sdp_render_sofia(home, sess);
		if (!ref || strcmp(text, ref)) {
			fprintf(stderr,
				"trunk_sdp_print() differs from sdp_print()"
				":\n--- ours ---\n%s--- Sofia's ---\n%s",
				text, ref ? ref : "(none)\n");
			abort();
		}
		su_free(home, ref);
	}
	return text;
}

int trunk_sdp_rewrite(su_home_t *home, struct trunk_sdp_leg *leg,
		      const char *sdp, size_t len, const char *addr, bool ipv6,
		      const uint16_t *ports, size_t nports, char **out,
		      char *why, size_t whylen)
{
	struct trunk_sdp_text *t = sdp_text_open(sdp, len, why, whylen);
	int rc = t ? trunk_sdp_rewrite_text(home, leg, t, addr, ipv6, ports,
					    nports, out)
		   : EINVAL;

	trunk_sdp_close(t);
	return rc;
}

int trunk_sdp_rewrite_text(su_home_t *home, struct trunk_sdp_leg *leg,
			   struct trunk_sdp_text *t, const char *addr,
			   bool ipv6, const uint16_t *ports, size_t nports,
			   char **out)
{
#if defined(__SANITIZE_ADDRESS__)
	su_home_t tmp[1] = { SU_HOME_INIT(tmp) };
#else
	/* The rewrite's and the printer's blocks (~8, ~1.5 KB) from the
	 * stack, not a malloc() and free() each. */
	_Alignas(16) char area[4096];
	su_home_t *tmp = su_home_auto(area, sizeof(area));
#endif
	sdp_session_t *sess = t->sess;
	char *text = NULL;
	int rc;

	rc = sdp_localize(tmp, sess, leg, addr, ipv6, ports, nports);
	leg->answer = false;
	if (rc)
		goto out;
	text = sdp_render(tmp, sess);
	/* SDP-3: a new version exactly when what we say changed. */
	if (text && leg->last && strcmp(text, leg->last)) {
		leg->version++;
		sess->sdp_origin->o_version = leg->version;
		text = sdp_render(tmp, sess);
	}
	rc = ENOMEM;
	if (!text)
		goto out;
	*out = su_strdup(home, text);
	if (!*out)
		goto out;
	su_free(home, leg->last);
	leg->last = su_strdup(home, text);
	rc = leg->last ? 0 : ENOMEM;
out:
	su_home_deinit(tmp);
	return rc;
}

/* Model's m-line as a rejected one of ours: port 0, its formats, no
 * address or attributes. */
static sdp_media_t *sdp_rejected_copy(su_home_t *home, const sdp_media_t *m,
				      sdp_session_t *sess)
{
	sdp_media_t *r = sdp_media_dup(home, m, sess);

	if (!r)
		return NULL;
	r->m_next = NULL;
	r->m_port = 0;
	r->m_number_of_ports = 0;
	r->m_connections = NULL;
	r->m_bandwidths = NULL;
	r->m_key = NULL;
	r->m_attributes = NULL;
	r->m_information = NULL;
	return r;
}

static bool sdp_same_kind(const sdp_media_t *a, const sdp_media_t *b)
{
	return a->m_type == b->m_type && a->m_proto == b->m_proto &&
	       (a->m_type != sdp_media_x ||
		!strcasecmp(a->m_type_name ? a->m_type_name : "",
			    b->m_type_name ? b->m_type_name : ""));
}

/* The direction of an answer to an offer of mode `offered`. */
static unsigned sdp_answer_mode(unsigned ours, unsigned offered)
{
	unsigned allowed = ((offered & sdp_sendonly) ? sdp_recvonly : 0) |
			   ((offered & sdp_recvonly) ? sdp_sendonly : 0);

	return ours & allowed;
}

int trunk_sdp_shape(su_home_t *home, const char *ours, const char *model,
		    bool answer, char **out)
{
	su_home_t tmp[1] = { SU_HOME_INIT(tmp) };
	struct trunk_sdp_text *po = sdp_text_open(ours, strlen(ours), NULL, 0);
	struct trunk_sdp_text *pm =
		po ? sdp_text_open(model, strlen(model), NULL, 0) : NULL;
	sdp_session_t *so, *sm;
	sdp_media_t *mo, *mm, *head = NULL, **tail = &head, *next = NULL;
	char *text;
	int rc = EINVAL;

	*out = NULL;
	if (!pm)
		goto out;
	so = po->sess;
	sm = pm->sess;
	rc = ENOMEM;
	for (mo = so->sdp_media, mm = sm->sdp_media; mo || mm;
	     mo = mo ? next : NULL, mm = mm ? mm->m_next : NULL) {
		next = mo ? mo->m_next : NULL;
		if (answer && !mm)
			break; /* an answer has the offer's lines, no more */
		if (mo && (!mm || !answer || sdp_same_kind(mo, mm))) {
			if (answer && mm && mo->m_port && !mo->m_rejected)
				mo->m_mode =
					sdp_answer_mode(mo->m_mode, mm->m_mode);
			mo->m_next = NULL;
			*tail = mo;
		} else if (!(*tail = sdp_rejected_copy(tmp, mm, so))) {
			goto out;
		}
		tail = &(*tail)->m_next;
	}
	so->sdp_media = head;
	text = sdp_render(tmp, so);
	if (text && (*out = su_strdup(home, text)))
		rc = 0;
out:
	trunk_sdp_close(po);
	trunk_sdp_close(pm);
	su_home_deinit(tmp);
	return rc;
}

/* Is this header block of a body part (lines ending in LF or CRLF) one
 * whose Content-Type (or compact "c") is application/sdp? */
static bool sdp_part_is_sdp(const char *h, size_t len)
{
	const char *end = h + len, *nl, *v;
	size_t n;

	for (; h < end; h = nl + 1) {
		nl = memchr(h, '\n', (size_t)(end - h));
		if (!nl)
			nl = end;
		if ((size_t)(nl - h) > 12 &&
		    !strncasecmp(h, "content-type", 12))
			v = h + 12;
		else if (nl - h > 1 && (h[0] == 'c' || h[0] == 'C'))
			v = h + 1;
		else
			continue;
		v += strspn(v, " \t");
		if (v >= nl || *v != ':')
			continue;
		v += 1 + strspn(v + 1, " \t");
		n = strlen("application/sdp");
		if ((size_t)(nl - v) >= n &&
		    !strncasecmp(v, "application/sdp", n) &&
		    (v + n == nl || strchr(" \t;\r", v[n])))
			return true;
	}
	return false;
}

/* Where a part's body starts: after its first empty line (LF or CRLF),
 * within [hdr, end); NULL when it has none. *hlen: its header block. */
static const char *sdp_part_body(const char *hdr, const char *end, size_t *hlen)
{
	const char *q = hdr, *nl;

	if (q < end &&
	    (*q == '\n' || (*q == '\r' && q + 1 < end && q[1] == '\n'))) {
		*hlen = 0; /* no headers at all */
		return q + (*q == '\r') + 1;
	}
	for (; (nl = memchr(q, '\n', (size_t)(end - q))); q = nl + 1) {
		*hlen = (size_t)(nl + 1 - hdr);
		if (nl + 1 < end && nl[1] == '\n')
			return nl + 2;
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
			return nl + 3;
	}
	return NULL;
}

/* The next "\n--boundary" at or after p (p[-1] may be that LF). */
static const char *sdp_next_delim(const char *p, const char *end,
				  const char *delim, size_t dlen)
{
	for (p = memmem(p, (size_t)(end - p), "\n--", 3); p;
	     p = memmem(p + 1, (size_t)(end - p - 1), "\n--", 3))
		if ((size_t)(end - p - 1) >= dlen &&
		    !memcmp(p + 1, delim, dlen))
			return p;
	return NULL;
}

/*
 * RFC 2046 5.1.1 by hand: the first part of type application/sdp. Not
 * msg_multipart_parse(): in Sofia 1.12.11 a part header it cannot
 * extract (a NUL in it, found by tests/fuzz/sipmsg) fails an assert(),
 * and Debian builds it with asserts: trunkd aborted on such a body.
 * Every delimiter is "--boundary" at the start of the body or of a line;
 * a part's body ends before the CRLF (or LF) of the next delimiter; its
 * headers end at its first empty line.
 */
msg_payload_t *trunk_sdp_multipart(su_home_t *home,
				   msg_content_type_t const *ct,
				   msg_payload_t const *pl)
{
	const char *param, *p, *end, *hdr, *next, *body;
	char delim[2 + 70] = "--";
	size_t blen, dlen, hlen;

	if (!ct || !ct->c_type || strncasecmp(ct->c_type, "multipart/", 10) ||
	    !pl || !pl->pl_data ||
	    !(param = msg_header_find_param(ct->c_common, "boundary=")))
		return NULL;
	/* boundary := 1*70 bchars, quoted or not. */
	if (*param == '"')
		param++;
	blen = strcspn(param, "\"");
	if (!blen || blen > 70)
		return NULL;
	memcpy(delim + 2, param, blen);
	dlen = blen + 2;
	p = pl->pl_data;
	end = p + pl->pl_len;
	if ((size_t)(end - p) < dlen || memcmp(p, delim, dlen)) {
		p = sdp_next_delim(p, end, delim, dlen);
		if (!p)
			return NULL;
		p++;
	}
	/* p is at a delimiter; each turn moves past it. */
	for (;;) {
		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return NULL; /* the close delimiter: no SDP part */
		p = memchr(p, '\n', (size_t)(end - p)); /* transport padding */
		if (!p)
			return NULL;
		hdr = p + 1;
		next = sdp_next_delim(p, end, delim, dlen);
		if (!next)
			return NULL; /* a part without a delimiter after it */
		body = next > p ? sdp_part_body(hdr, next, &hlen) : NULL;
		if (body && hlen && sdp_part_is_sdp(hdr, hlen))
			return msg_payload_create(
				home, body,
				(isize_t)(next - body -
					  (next > body && next[-1] == '\r')));
		p = next + 1;
	}
}
