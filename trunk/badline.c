/*
 * The answer to a request whose request line Sofia cannot read.
 *
 * Sofia's parser gives up on a message at its first line when it cannot
 * split or parse it (four elements, RFC 4475 3.1.2.8; a method with `+`
 * or a backquote, valid RFC 3261 token characters, 3.1.1.2): no header is
 * parsed and nta drops the message as garbage. RFC 3261 (8.2.1, 21.5.2,
 * 21.5.6) and RFC 4475 expect an answer wherever one can be routed: 505
 * for another SIP version, 501 for a method the element does not
 * implement, 400 otherwise. This file builds that answer from the raw
 * bytes (pure text work, unit-tested); sofia_stream.c sends it from the
 * transport that received them.
 *
 * The answer copies the request's Via headers, From, To (with a tag
 * added when it has none, 8.2.6.2), Call-ID and CSeq byte for byte
 * (quoted-pairs and all), adds received (and the rport value, RFC 3581)
 * to the top Via, and has no body. No answer when the first line is a
 * status line, the method is ACK (17.1.1.3: never answered), the head
 * lacks one of those headers (nothing to match or route the answer by),
 * or the top Via's sent-by has a port that is none (more than 5 digits,
 * 0, above 65535; an answer over UDP goes to that port without rport).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"

#define BADLINE_VIAS 32

struct badline_head {
	const char *line; /* the request line */
	size_t line_len;
	struct {
		const char *v;
		size_t n;
	} via[BADLINE_VIAS], from, to, call_id, cseq;
	unsigned n_via, n_from, n_to, n_call_id, n_cseq;
};

/* RFC 3261 25.1 token characters. */
static bool badline_is_token(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("-.!%*_+`'~", c)) ||
		    c == '\0')
			return false;
	}
	return true;
}

static bool badline_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(s, word, n);
}

/* The methods trunkd implements or knows: a request line with one of
 * them failed on its Request-URI or version, not on the method. */
static bool badline_known_method(const char *m, size_t n)
{
	static const char *const known[] = {
		"INVITE",   "ACK",   "CANCEL",	"BYE",	   "OPTIONS",
		"REGISTER", "PRACK", "UPDATE",	"INFO",	   "SUBSCRIBE",
		"NOTIFY",   "REFER", "MESSAGE", "PUBLISH",
	};
	size_t i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (n == strlen(known[i]) && !memcmp(m, known[i], n))
			return true;
	return false;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT (RFC 3261 25.1 SIP-Version). */
static bool badline_is_version(const char *s, size_t n)
{
	size_t i = 4, d;

	if (n < 7 || strncasecmp(s, "SIP/", 4))
		return false;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d || i >= n || s[i] != '.')
		return false;
	for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	return i == n && i > d;
}

uint16_t trunk_badline_status(const char *line, size_t n)
{
	const char *part[3];
	size_t len[3], i, k = 0, start = 0;

	if (n >= 3 && !memcmp(line, "ACK", 3) && (n == 3 || line[3] == ' '))
		return 0; /* never answered (RFC 3261 17.1.1.3, 17.2.1) */
	for (i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ')
			continue;
		if (k == 3 || i == start)
			return 400; /* a fourth element, or two SP */
		part[k] = line + start;
		len[k++] = i - start;
		start = i + 1;
	}
	if (k != 3 || !badline_is_token(part[0], len[0]))
		return 400;
	if (!badline_is(part[2], len[2], "SIP/2.0"))
		return badline_is_version(part[2], len[2]) ? 505 : 400;
	return badline_known_method(part[0], len[0]) ? 400 : 501;
}

/* One header line (folding already undone by the caller's view: value
 * spans continuation lines) into the head. */
static void badline_header(struct badline_head *h, const char *name,
			   size_t nlen, const char *v, size_t n)
{
	if (badline_is(name, nlen, "via") || badline_is(name, nlen, "v")) {
		if (h->n_via < BADLINE_VIAS) {
			h->via[h->n_via].v = v;
			h->via[h->n_via].n = n;
		}
		h->n_via++;
	} else if (badline_is(name, nlen, "from") ||
		   badline_is(name, nlen, "f")) {
		h->from.v = v, h->from.n = n, h->n_from++;
	} else if (badline_is(name, nlen, "to") ||
		   badline_is(name, nlen, "t")) {
		h->to.v = v, h->to.n = n, h->n_to++;
	} else if (badline_is(name, nlen, "call-id") ||
		   badline_is(name, nlen, "i")) {
		h->call_id.v = v, h->call_id.n = n, h->n_call_id++;
	} else if (badline_is(name, nlen, "cseq")) {
		h->cseq.v = v, h->cseq.n = n, h->n_cseq++;
	}
}

/* End of the line starting at p (at its CR or LF, or at end). */
static const char *badline_eol(const char *p, const char *end)
{
	while (p < end && *p != '\r' && *p != '\n')
		p++;
	return p;
}

static const char *badline_next(const char *p, const char *end)
{
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	return p;
}

/* Splits the head (up to the empty line or the end of the data). */
static bool badline_split(const char *raw, size_t len, struct badline_head *h)
{
	const char *p = raw, *end = raw + len, *e;

	memset(h, 0, sizeof *h);
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	e = p;
	while (e < end && *e != '\n')
		e++; /* Sofia's failed parse may have put NULs in the line */
	h->line = p, h->line_len = (size_t)(e - p);
	if (h->line_len && p[h->line_len - 1] == '\r')
		h->line_len--;
	for (p = badline_next(e, end); p < end && *p != '\r' && *p != '\n';) {
		const char *colon, *v, *ve;

		e = badline_eol(p, end);
		/* Continuation lines (RFC 3261 7.3.1) belong to the value. */
		while (e < end && badline_next(e, end) < end &&
		       (*badline_next(e, end) == ' ' ||
			*badline_next(e, end) == '\t'))
			e = badline_eol(badline_next(e, end), end);
		colon = memchr(p, ':', (size_t)(e - p));
		if (!colon)
			return false;
		ve = colon;
		while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
			;
		badline_header(h, p, (size_t)(ve - p), v, (size_t)(e - v));
		p = badline_next(e, end);
	}
	return h->n_via >= 1 && h->n_via <= BADLINE_VIAS && h->n_from == 1 &&
	       h->n_to == 1 && h->n_call_id == 1 && h->n_cseq == 1;
}

static const char *badline_phrase(uint16_t status)
{
	return status == 505   ? "Version Not Supported"
	       : status == 501 ? "Not Implemented"
			       : "Bad Request Line";
}

/*
 * The port of the sent-by v[sb, end) (host [":" port], RFC 3261 25.1;
 * end: where the sent-by ends, never past the header's bytes): 0 when it
 * names none (the host may end in digits: "192.0.2.7", "[2001:db8::1]"),
 * -1 when what follows the colon is not a port: no digit, more than 5,
 * 0, or above 65535. Reads nothing outside [sb, end): the header's bytes
 * are not NUL-terminated.
 */
static int badline_sent_by_port(const char *v, size_t sb, size_t end)
{
	size_t i = end, k;
	int port = 0;

	while (i > sb && v[i - 1] >= '0' && v[i - 1] <= '9')
		i--;
	if (i == sb || v[i - 1] != ':')
		return 0; /* no colon before the digits: part of the host */
	if (v[sb] == '[' && (i - 1 == sb || v[i - 2] != ']'))
		return 0; /* a colon inside the [IPv6reference] */
	if (i == end || end - i > 5)
		return -1;
	for (k = i; k < end; k++)
		port = port * 10 + (v[k] - '0');
	return port >= 1 && port <= 65535 ? port : -1;
}

/* The length of the top Via's first element (up to a comma outside
 * quotes), its sent-by port (0: none, -1: not a port) and whether it has
 * a bare rport. */
static size_t badline_top_via(const char *v, size_t n, int *port,
			      size_t *rport_at)
{
	size_t i, first = n, sb, host_end;
	bool quoted = false;

	for (i = 0; i < n; i++) {
		if (v[i] == '"')
			quoted = !quoted;
		else if (v[i] == ',' && !quoted) {
			first = i;
			break;
		}
	}
	while (first > 0 && (v[first - 1] == ' ' || v[first - 1] == '\t'))
		first--;
	*port = 0, *rport_at = 0;
	/* "SIP/2.0/UDP" LWS sent-by *( ";" param ) */
	for (sb = 0; sb < first && v[sb] != ' ' && v[sb] != '\t'; sb++)
		;
	while (sb < first && (v[sb] == ' ' || v[sb] == '\t'))
		sb++;
	for (host_end = sb; host_end < first && v[host_end] != ';' &&
			    v[host_end] != ' ' && v[host_end] != '\t';
	     host_end++)
		;
	*port = badline_sent_by_port(v, sb, host_end);
	for (i = host_end; i + 6 <= first; i++)
		if (v[i] == ';' && !strncasecmp(v + i + 1, "rport", 5) &&
		    (i + 6 == first || v[i + 6] == ';' || v[i + 6] == ' '))
			*rport_at = i + 6;
	return first;
}

/* Whether the To value has a tag parameter (after its URI). */
static bool badline_has_tag(const char *v, size_t n)
{
	const char *gt = NULL;
	size_t i, from;

	for (i = 0; i < n; i++)
		if (v[i] == '>')
			gt = v + i;
	from = gt ? (size_t)(gt - v) : 0;
	for (i = from; i + 5 <= n; i++)
		if (v[i] == ';' && !strncasecmp(v + i + 1, "tag=", 4))
			return true;
	return false;
}

struct badline_out {
	char *b;
	size_t size, len;
	bool overflow;
};

static void out_put(struct badline_out *o, const char *s, size_t n)
{
	if (o->overflow || o->len + n >= o->size) {
		o->overflow = true;
		return;
	}
	memcpy(o->b + o->len, s, n);
	o->len += n;
}

static void out_str(struct badline_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

size_t trunk_badline_answer(const char *line, size_t line_len, const char *raw,
			    size_t len, const struct trunk_badline_from *src,
			    char *out, size_t size,
			    struct trunk_badline_dest *dest)
{
	struct badline_head h;
	struct badline_out o = { out, size, 0, false };
	size_t first, rport_at, i;
	int port;
	char num[64];

	if (!badline_split(raw, len, &h))
		return 0;
	if (line)
		h.line = line, h.line_len = line_len;
	if (!strncasecmp(h.line, "SIP/", h.line_len < 4 ? h.line_len : 4))
		return 0;
	dest->status = trunk_badline_status(h.line, h.line_len);
	if (!dest->status || h.via[0].n < 8 ||
	    strncasecmp(h.via[0].v, "SIP/2.0/", 8))
		return 0;
	first = badline_top_via(h.via[0].v, h.via[0].n, &port, &rport_at);
	/* A sent-by port that is no port: the Via is broken, whatever
	 * rport says; 5060 instead would aim the answer at a port the
	 * request never named. */
	if (port < 0)
		return 0;
	dest->port = rport_at ? src->port : port ? (unsigned)port : 5060;
	snprintf(num, sizeof num, "SIP/2.0 %u %s\r\nVia: ", dest->status,
		 badline_phrase(dest->status));
	out_str(&o, num);
	if (rport_at) {
		out_put(&o, h.via[0].v, rport_at);
		snprintf(num, sizeof num, "=%u", src->port);
		out_str(&o, num);
		out_put(&o, h.via[0].v + rport_at, first - rport_at);
	} else {
		out_put(&o, h.via[0].v, first);
	}
	out_str(&o, ";received=");
	out_str(&o, src->host);
	out_put(&o, h.via[0].v + first, h.via[0].n - first);
	for (i = 1; i < h.n_via; i++) {
		out_str(&o, "\r\nVia: ");
		out_put(&o, h.via[i].v, h.via[i].n);
	}
	out_str(&o, "\r\nFrom: ");
	out_put(&o, h.from.v, h.from.n);
	out_str(&o, "\r\nTo: ");
	out_put(&o, h.to.v, h.to.n);
	if (!badline_has_tag(h.to.v, h.to.n)) {
		out_str(&o, ";tag=");
		out_str(&o, src->tag);
	}
	out_str(&o, "\r\nCall-ID: ");
	out_put(&o, h.call_id.v, h.call_id.n);
	out_str(&o, "\r\nCSeq: ");
	out_put(&o, h.cseq.v, h.cseq.n);
	out_str(&o, "\r\nContent-Length: 0\r\n\r\n");
	if (o.overflow)
		return 0;
	out[o.len] = '\0'; /* out_put() kept room for it */
	return o.len;
}
