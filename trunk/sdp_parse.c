/*
 * Parsing the SDP a phone or a carrier sends, as Sofia-SIP's sdp_parse()
 * parses it with sdp_f_strict, without its strspn() and su_salloc() per
 * field (~8,500 instructions for a one-codec SDP; every SDP that crosses
 * trunkd is parsed, a call parses two).
 *
 * Only the common form is read here: "v=0" first; o=, s=, c=, t= once
 * each, in the simplest spelling of each field (single spaces, an IN
 * IP4 or IP6 unicast address); session attributes other than a
 * direction or charset; m= lines with a port, one protocol and their
 * formats, each with at most one c= and its attributes (a=rtpmap and
 * a=fmtp of a listed payload type, directions, anything else kept by
 * name and value). Whatever else a text has, a line of another kind
 * (i=, b=, k=, r=, ...), any blank or character Sofia reads in its own
 * way, an error, is declined: the caller parses with sdp_parse() then,
 * which keeps its answer and its error messages. The session built is
 * Sofia's field for field (its m= type and protocol come from Sofia's
 * own sdp_media_type() and sdp_media_transport(), its static payload
 * types from sdp_rtpmap_well_known); the unit test sdp/parse_same and
 * the SDP fuzz target compare both parses of every text (sdp.c,
 * trunk_sdp_verify).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>

#include "sdp.h"

struct sdp_arena {
	char *at, *end;
};

/* Zeroed room from the arena; a struct's first int (its *_size) is set
 * to `size` as su_salloc() sets it (sdp_*_dup() copy that many bytes). */
static void *sdp_alloc(struct sdp_arena *a, size_t size, bool sized)
{
	size_t room = (size + 15) & ~(size_t)15;
	void *p;

	if ((size_t)(a->end - a->at) < room)
		return NULL;
	p = a->at;
	a->at += room;
	memset(p, 0, room);
	if (sized)
		*(int *)p = (int)size;
	return p;
}

#define SDP_NEW(a, type) ((type *)sdp_alloc((a), sizeof(type), true))

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 4566's token characters (sdp_parse.c's TOKEN). */
static bool is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || (c && strchr("-!#$%&'*+.^_`{|}~", c));
}

/* Digits at *p (at most 19: no overflow), the number in *v. */
static bool sdp_number(char **p, uint64_t *v)
{
	char *s = *p;
	unsigned n = 0;

	*v = 0;
	while (is_digit(*s) && n < 20) {
		*v = *v * 10 + (uint64_t)(*s++ - '0');
		n++;
	}
	if (!n || n > 19)
		return false;
	*p = s;
	return true;
}

/* A run of token characters at *p, cut after it (the character after it
 * is returned in *after and overwritten with NUL). */
static char *sdp_token(char **p, char *after)
{
	char *s = *p, *t = s;

	while (is_token(*t))
		t++;
	if (t == s)
		return NULL;
	*after = *t;
	*t = '\0';
	*p = *after ? t + 1 : t;
	return s;
}

/* "IN IP4 addr" or "IN IP6 addr", the whole rest of the line. */
static sdp_connection_t *sdp_connection(struct sdp_arena *a, char *r)
{
	sdp_connection_t *c;
	char *s;

	if (strncmp(r, "IN IP", 5) || (r[5] != '4' && r[5] != '6') ||
	    r[6] != ' ')
		return NULL;
	for (s = r + 7; *s; s++)
		if (!is_digit(*s) && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z') && *s != '.' && *s != ':' &&
		    *s != '-')
			return NULL;
	if (s == r + 7 || !(c = SDP_NEW(a, sdp_connection_t)))
		return NULL;
	c->c_nettype = sdp_net_in;
	c->c_addrtype = r[5] == '4' ? sdp_addr_ip4 : sdp_addr_ip6;
	c->c_address = r + 7;
	c->c_groups = 1;
	return c;
}

/* o=username SP sess-id SP sess-version SP connection */
static sdp_origin_t *sdp_origin(struct sdp_arena *a, char *r)
{
	sdp_origin_t *o = SDP_NEW(a, sdp_origin_t);
	char *s = r;

	if (!o)
		return NULL;
	while (*s > ' ' && *s < 0x7f)
		s++;
	if (s == r || *s != ' ')
		return NULL;
	*s++ = '\0';
	o->o_username = r;
	if (!sdp_number(&s, &o->o_id) || *s++ != ' ' ||
	    !sdp_number(&s, &o->o_version) || *s++ != ' ' ||
	    !(o->o_address = sdp_connection(a, s)))
		return NULL;
	return o;
}

/* t=start SP stop, nothing after. */
static sdp_time_t *sdp_time(struct sdp_arena *a, char *r)
{
	sdp_time_t *t = SDP_NEW(a, sdp_time_t);
	uint64_t start, stop;

	if (!t || !sdp_number(&r, &start) || *r++ != ' ' ||
	    !sdp_number(&r, &stop) || *r)
		return NULL;
	t->t_start = start;
	t->t_stop = stop;
	return t;
}

/* name or name:value (a value that does not start with ':'); NULL for
 * anything else. */
static sdp_attribute_t *sdp_attribute(struct sdp_arena *a, char *r)
{
	sdp_attribute_t *at;
	char after, *name = sdp_token(&r, &after);

	if (!name || (after && after != ':') || (after && (!*r || *r == ':')))
		return NULL;
	if (!(at = SDP_NEW(a, sdp_attribute_t)))
		return NULL;
	at->a_name = name;
	at->a_value = after ? r : NULL;
	return at;
}

bool trunk_sdp_mode_name(const char *name, unsigned *mode)
{
	static const struct {
		const char *name;
		unsigned mode;
	} modes[] = {
		{ "inactive", sdp_inactive },
		{ "sendonly", sdp_sendonly },
		{ "recvonly", sdp_recvonly },
		{ "sendrecv", sdp_sendrecv },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcasecmp(name, modes[i].name)) {
			if (mode)
				*mode = modes[i].mode;
			return true;
		}
	return false;
}

/* m=media SP port SP proto 1*(SP fmt) */
static sdp_media_t *sdp_media(struct sdp_arena *a, sdp_session_t *sess, char *r)
{
	sdp_media_t *m = SDP_NEW(a, sdp_media_t);
	sdp_rtpmap_t **rp;
	sdp_list_t **fp;
	uint64_t port, pt;
	char after, *type, *proto, *s;

	if (!m || !(type = sdp_token(&r, &after)) || after != ' ' ||
	    !sdp_number(&r, &port) || *r++ != ' ')
		return NULL;
	s = r; /* proto = token *("/" token) */
	do {
		if (!is_token(*s))
			return NULL;
		while (is_token(*s))
			s++;
	} while (*s == '/' && *++s);
	if (*s != ' ' || !s[1])
		return NULL; /* no format */
	*s = '\0';
	proto = r;
	r = s + 1;
	m->m_session = sess;
	m->m_mode = sdp_sendrecv;
	sdp_media_type(m, type);
	m->m_port = port;
	sdp_media_transport(m, proto);
	rp = &m->m_rtpmaps;
	fp = &m->m_format;
	while (*r) {
		if (sdp_media_has_rtp(m)) {
			if (!sdp_number(&r, &pt) || pt >= 128 ||
			    !(*rp = SDP_NEW(a, sdp_rtpmap_t)))
				return NULL;
			if (sdp_rtpmap_well_known[pt]) {
				**rp = *sdp_rtpmap_well_known[pt];
			} else {
				(*rp)->rm_predef = 1;
				(*rp)->rm_pt = (unsigned)pt;
				(*rp)->rm_encoding = "";
			}
			rp = &(*rp)->rm_next;
		} else {
			if (!(*fp = SDP_NEW(a, sdp_list_t)) ||
			    !((*fp)->l_text = sdp_token(&r, &after)) ||
			    (after && after != ' '))
				return NULL;
			fp = &(*fp)->l_next;
			if (after == ' ' && !*r)
				return NULL; /* a trailing blank */
			continue;
		}
		if (*r == ' ' && r[1])
			r++;
		else if (*r)
			return NULL;
	}
	return m;
}

static sdp_rtpmap_t *sdp_rtpmap_of(sdp_media_t *m, char **r)
{
	sdp_rtpmap_t *rm;
	uint64_t pt;

	if (!sdp_number(r, &pt) || pt >= 128)
		return NULL;
	for (rm = m->m_rtpmaps; rm; rm = rm->rm_next)
		if (rm->rm_pt == pt)
			return rm;
	return NULL; /* an error with sdp_f_strict: Sofia's to say */
}

/* a=rtpmap:pt SP encoding/rate[/params] of an RTP stream */
static bool sdp_rtpmap(sdp_media_t *m, char *r)
{
	sdp_rtpmap_t *rm = sdp_rtpmap_of(m, &r);
	uint64_t rate;
	char after, *enc;

	if (!rm || *r++ != ' ' || !(enc = sdp_token(&r, &after)) ||
	    after != '/' || !sdp_number(&r, &rate))
		return false;
	if (*r == '/') {
		rm->rm_params = ++r;
		for (; *r; r++)
			if (!is_token(*r))
				return false;
	} else if (*r) {
		return false;
	} else {
		rm->rm_params = NULL;
	}
	rm->rm_predef = 0;
	rm->rm_encoding = enc;
	rm->rm_rate = rate;
	return true;
}

/* a=fmtp:pt SP parameters of an RTP stream */
static bool sdp_fmtp(sdp_media_t *m, char *r)
{
	sdp_rtpmap_t *rm = sdp_rtpmap_of(m, &r);

	if (!rm || *r++ != ' ' || !*r || *r == ' ' || *r == '\t')
		return false;
	rm->rm_fmtp = r;
	return true;
}

/* A media-level a= line. */
static bool sdp_media_attr(struct sdp_arena *a, sdp_media_t *m,
			   sdp_attribute_t ***tail, char *r)
{
	bool rtp = sdp_media_has_rtp(m);
	unsigned mode;

	if (m->m_port == 0)
		return false; /* Sofia's versions read these differently */
	if (rtp && !strncasecmp(r, "rtpmap:", 7))
		return sdp_rtpmap(m, r + 7);
	if (rtp && !strncasecmp(r, "fmtp:", 5))
		return sdp_fmtp(m, r + 5);
	if (!(**tail = sdp_attribute(a, r)))
		return false;
	/* Directions set the mode and are not kept. Names Sofia reads as
	 * rtpmap or fmtp other than by the prefixes above are declined. */
	if (rtp && (!strcasecmp((**tail)->a_name, "rtpmap") ||
		    !strcasecmp((**tail)->a_name, "fmtp")))
		return false;
	if (trunk_sdp_mode_name((**tail)->a_name, &mode)) {
		m->m_mode = mode;
		**tail = NULL;
	} else {
		*tail = &(**tail)->a_next;
	}
	return true;
}

sdp_session_t *trunk_sdp_parse(void *arena, size_t size, const char *sdp,
			       size_t len)
{
	struct sdp_arena a = { arena, (char *)arena + size };
	sdp_session_t *sess = SDP_NEW(&a, sdp_session_t);
	sdp_media_t **mp, *m = NULL;
	sdp_attribute_t **sattr, **mattr = NULL;
	char *text, *line, *eol, *end;
	unsigned mode;

	if (!sess || memchr(sdp, '\0', len) ||
	    !(text = sdp_alloc(&a, len + 1, false)))
		return NULL;
	memcpy(text, sdp, len);
	text[len] = '\0';
	end = text + len;
	sess->sdp_size = sizeof(*sess);
	sattr = &sess->sdp_attributes;
	mp = &sess->sdp_media;
	/* Lines end at CR or LF; a run of them is one line end (Sofia's
	 * next()); the first line is "v=0", exactly. */
	eol = text + strcspn(text, "\r\n");
	*eol = '\0';
	if (strcmp(text, "v=0"))
		return NULL;
	for (line = eol + 1; line < end; line = eol + 1) {
		line += strspn(line, "\r\n");
		if (line >= end)
			break;
		eol = line + strcspn(line, "\r\n");
		*eol = '\0';
		if (eol - line < 2 || line[1] != '=')
			return NULL;
		if (m) { /* a stream's lines */
			if (line[0] == 'c' && !m->m_connections)
				m->m_connections = sdp_connection(&a, line + 2);
			else if (line[0] == 'a' &&
				 sdp_media_attr(&a, m, &mattr, line + 2))
				continue;
			else if (line[0] != 'm')
				return NULL;
			if (line[0] == 'c') {
				if (!m->m_connections)
					return NULL;
				continue;
			}
		}
		switch (line[0]) {
		case 'o':
			if (sess->sdp_origin ||
			    !(sess->sdp_origin = sdp_origin(&a, line + 2)))
				return NULL;
			break;
		case 's':
			if (sess->sdp_subject)
				return NULL;
			sess->sdp_subject = line + 2;
			break;
		case 'c':
			if (sess->sdp_connection ||
			    !(sess->sdp_connection =
				      sdp_connection(&a, line + 2)))
				return NULL;
			break;
		case 't':
			if (sess->sdp_time ||
			    !(sess->sdp_time = sdp_time(&a, line + 2)))
				return NULL;
			break;
		case 'a':
			if (!(*sattr = sdp_attribute(&a, line + 2)) ||
			    trunk_sdp_mode_name((*sattr)->a_name, &mode) ||
			    !strcasecmp((*sattr)->a_name, "charset"))
				return NULL;
			sattr = &(*sattr)->a_next;
			break;
		case 'm':
			if (!(m = *mp = sdp_media(&a, sess, line + 2)))
				return NULL;
			mp = &m->m_next;
			mattr = &m->m_attributes;
			break;
		default:
			return NULL;
		}
	}
	/* Sofia's checks after the parse (sdp_f_strict): o=, s= and t=,
	 * and a c= for every stream not rejected. */
	if (!sess->sdp_origin || !sess->sdp_subject || !sess->sdp_time)
		return NULL;
	for (m = sess->sdp_media; m; m = m->m_next) {
		if (m->m_port == 0) {
			m->m_mode = sdp_inactive;
			m->m_rejected = 1;
		} else if (!m->m_connections && !sess->sdp_connection) {
			return NULL;
		}
	}
	return sess;
}
