/*
 * url_d() for libsofia-sip-ua: Sofia's URL decoder, the same result in
 * fewer instructions.
 *
 * Sofia parses every URL it meets with url_d(): the Request-URI, From,
 * To, Contact, Route and Record-Route of each message, ~25 per call of
 * the benchmark at ~1,270 instructions each (callgrind,
 * docs/benchmarks.md), most of it in strcspn() calls with short sets and in
 * masks rebuilt from strings for every component. The trunkd executable
 * exports url_d() (trunk/meson.build: --export-dynamic-symbol), so the
 * calls libsofia makes through its PLT land here, as for su_alloc()
 * (sofia_alloc.c).
 *
 * The result must be Sofia's byte for byte: the url_t's fields, the
 * return value and the bytes written into the string (url_d() splits
 * and unescapes the string in place, also on failure, where Sofia's
 * message parser keeps the text). That includes Sofia's quirks: a
 * component is checked for characters that should have been escaped
 * only from its first escape on, and the exceptions of a path or a
 * parameter (syn33) are tested with the shift count taken modulo 32.
 * tests/unit/trunk/test_sofia_url.c compares both on a corpus and on
 * random strings.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/bnf.h>
#include <sofia-sip/url.h>

#include "sofia_url.h"

/* The delimiters url_d() looks for, one bit each; NUL ends every span. */
enum {
	D_COLON = 1 << 0,
	D_SLASH = 1 << 1,
	D_QUEST = 1 << 2,
	D_HASH = 1 << 3,
	D_AT = 1 << 4,
	D_SEMI = 1 << 5,
	D_LBR = 1 << 6,
	D_RBR = 1 << 7,
	D_NUL = 1 << 8,
};

static const uint16_t delim[256] = {
	['\0'] = D_NUL,	 [':'] = D_COLON, ['/'] = D_SLASH,
	['?'] = D_QUEST, ['#'] = D_HASH,  ['@'] = D_AT,
	[';'] = D_SEMI,	 ['['] = D_LBR,	  [']'] = D_RBR,
};

/* The length of s's prefix free of the delimiters in set. */
static inline size_t span(const char *s, unsigned set)
{
	const char *p = s;

	/* one character: glibc's vectorised search (a URI without a user
	 * part is searched for '@' to its end) */
	if (set == D_AT)
		return (size_t)(strchrnul(s, '@') - s);
	if (set == D_COLON)
		return (size_t)(strchrnul(s, ':') - s);
	set |= D_NUL;
	while (!(delim[(unsigned char)*p] & set))
		p++;
	return (size_t)(p - s);
}

/* Characters that stay escaped (and, before an escape, are refused) in a
 * component: bit 63-c of m32 for 33..63, 95-c of m64 for 64..95, 127-c of
 * m96 for 96..126; control characters, space and 127 up always. */
struct url_mask {
	uint32_t m32, m64, m96;
};

#define MASK(a, b, c) ((struct url_mask){ (a), (b), (c) })
#define M_RESERVED    MASK(0xbe19003f, 0x8000001e, 0x8000001d)
#define M_URIC	      MASK(0xb400000a, 0x0000001e, 0x8000001d)

static inline bool excluded(unsigned c, const struct url_mask *m)
{
	if (c <= ' ' || c >= 127)
		return true;
	if (c < 64)
		return (m->m32 >> (63 - c)) & 1;
	if (c < 96)
		return (m->m64 >> (95 - c)) & 1;
	return (m->m96 >> (127 - c)) & 1;
}

/* m with the characters of allowed taken out. */
static struct url_mask allow(struct url_mask m, const char *allowed)
{
	for (; *allowed; allowed++) {
		unsigned c = (unsigned char)*allowed;

		if (c >= 32 && c < 64)
			m.m32 &= ~(1u << (63 - c));
		else if (c >= 64 && c < 96)
			m.m64 &= ~(1u << (95 - c));
		else if (c >= 96 && c < 128)
			m.m96 &= ~(1u << (127 - c));
	}
	return m;
}

/* The masks of url_d()'s components, made once before main() runs (no
 * thread can see them half made). */
static struct url_mask m_scheme, m_sip_user, m_sip_pass, m_user, m_pass, m_path,
	m_params;

#define SYN33(c) (1u << ((c)-33))

__attribute__((constructor)) static void url_masks_init(void)
{
	m_scheme = allow(M_RESERVED, "+");
	m_sip_user = allow(M_RESERVED, "&=+$,;?/");
	m_sip_pass = allow(M_RESERVED, "&=+$,");
	m_user = allow(M_RESERVED, "&=+$,;");
	m_pass = allow(M_RESERVED, "&=+$,;:");
	m_path = allow(M_RESERVED, ":&+$");
	m_params = allow(M_RESERVED, "/:&+$");
}

static inline unsigned hexval(unsigned c)
{
	return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

static inline bool is_hex(unsigned c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static inline unsigned upper_hex(unsigned c)
{
	return c >= 'a' ? c - 'a' + 'A' : c;
}

/* Canonize the component s in place: an escape of a character m lets
 * through is unescaped, one it keeps gets upper-case hex digits. With
 * strict, an unescaped character m keeps (and syn33 does not except) is
 * an error, but only from the component's first '%' on (Sofia skips the
 * text before it unchecked). Returns the new end (the NUL), or NULL for
 * an error, having written what Sofia writes up to it. */
static char *canonize(char *s, const struct url_mask *m, uint32_t syn33,
		      bool strict)
{
	char *d = strchrnul(s, '%');
	const char *r;

	if (!*d)
		return d;
	for (r = d; *r; d++) {
		unsigned c = (unsigned char)*r, h1, h2;

		if (c != '%') {
			if (strict && !((syn33 >> ((c - 33) & 31)) & 1) &&
			    excluded(c, m))
				return NULL;
			*d = (char)c;
			r++;
			continue;
		}
		h1 = (unsigned char)r[1];
		h2 = h1 ? (unsigned char)r[2] : 0;
		if (!is_hex(h1) || !is_hex(h2)) {
			*d = '\0';
			return NULL;
		}
		c = hexval(h1) << 4 | hexval(h2);
		if (!excluded(c, m)) {
			*d = (char)c;
		} else {
			d[0] = '%';
			d[1] = (char)upper_hex(h1);
			d[2] = (char)upper_hex(h2);
			d += 2;
		}
		r += 3;
	}
	*d = '\0';
	return d;
}

static bool type_is(const char *scheme, size_t len, const char *name)
{
	return len == strlen(name) && !strncasecmp(scheme, name, len);
}

/* The type of the scheme (len bytes, NUL-terminated). */
static int scheme_type(const char *scheme, size_t len)
{
	static const struct {
		const char *name;
		int type;
	} known[] = {
		{ "sip", url_sip },	  { "sips", url_sips },
		{ "tel", url_tel },	  { "cid", url_cid },
		{ "ftp", url_ftp },	  { "file", url_file },
		{ "fax", url_fax },	  { "http", url_http },
		{ "https", url_https },	  { "im", url_im },
		{ "mailto", url_mailto }, { "modem", url_modem },
		{ "msrp", url_msrp },	  { "msrps", url_msrps },
		{ "pres", url_pres },	  { "rtsp", url_rtsp },
		{ "rtspu", url_rtspu },	  { "wv", url_wv },
	};

	if (len == 1 && scheme[0] == '*')
		return url_any;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (type_is(scheme, len, known[i].name))
			return known[i].type;
	return len == (size_t)span_unreserved(scheme) ? url_unknown
						      : url_invalid;
}

static bool type_is_opaque(int type)
{
	return type == url_invalid || type == url_tel || type == url_modem ||
	       type == url_fax || type == url_cid;
}

static bool port_checked(int type)
{
	switch (type) {
	case url_any:
	case url_sip:
	case url_sips:
	case url_http:
	case url_https:
	case url_ftp:
	case url_file:
	case url_rtsp:
	case url_rtspu:
		return true;
	default:
		return false;
	}
}

/* Cut the component starting at s at its first delimiter of set: *rest
 * gets the delimiter, the return value the text after it (NULL at the
 * end of the string). */
static char *cut(char *s, unsigned set, char *rest)
{
	size_t n = span(s, set);

	*rest = s[n];
	s[n] = '\0';
	return *rest ? s + n + 1 : NULL;
}

/* Split s into url's fields (Sofia's _url_d()). */
static int url_split(url_t *url, char *s)
{
	char rest, *host, *user = NULL;
	bool authority = true;
	size_t n;
	int type;

	memset(url, 0, sizeof(*url));
	if (s[0] == '*' && s[1] == '\0') {
		url->url_type = url_any;
		url->url_scheme = "*";
		return 0;
	}
	n = span(s, D_COLON | D_SLASH | D_QUEST | D_HASH);
	if (n && s[n] == ':') {
		char *end;

		url->url_scheme = s;
		s[n] = '\0';
		end = canonize(s, &m_scheme, 0, true);
		if (!end)
			return -1;
		type = scheme_type(url->url_scheme,
				   (size_t)(end - url->url_scheme));
		authority = !type_is_opaque(type);
		s += n + 1;
	} else {
		type = url_unknown;
	}
	url->url_type = (char)type;

	host = s;
	if (type == url_sip || type == url_sips) {
		/* the user part may hold /;?# (RFC 3261 user-unreserved,
		 * and phones that send '#' unescaped): an '@' after them
		 * still ends it */
		size_t p;

		n = span(s, D_AT | D_SLASH | D_SEMI | D_QUEST | D_HASH);
		p = span(s + n, D_AT);
		if (s[n + p] == '@') {
			n += p;
			user = s;
			host = s + n + 1;
		}
		n += span(s + n, D_SLASH | D_SEMI | D_QUEST | D_HASH);
	} else if (authority) {
		if (type == url_wv) {
			n = span(s, D_AT | D_HASH | D_QUEST | D_SEMI);
			if (s[n] == '@') {
				user = s;
				host = s + n + 1;
				n += span(s + n, D_SEMI | D_QUEST | D_HASH);
			}
		} else if (host[0] == '/' && host[1] != '/') {
			url->url_root = '/';
			host = NULL;
			n = 0;
		} else {
			if (host[0] == '/' && host[1] == '/') {
				host += 2;
				s += 2;
				url->url_root = '/';
				n = span(s, D_SLASH | D_QUEST | D_HASH | D_AT |
						    D_LBR | D_RBR);
			} else {
				n = span(s, D_AT | D_SEMI | D_SLASH | D_QUEST |
						    D_HASH);
			}
			if (s[n] == '@') {
				user = host;
				host = user + n + 1;
			}
			n += span(s + n, D_SEMI | D_SLASH | D_QUEST | D_HASH);
		}
	} else {
		user = host;
		host = NULL;
		n = type != url_invalid
			    ? span(s, D_SLASH | D_SEMI | D_QUEST | D_HASH)
			    : span(s, D_HASH);
	}

	rest = s[n];
	s[n] = '\0';
	s = rest ? s + n + 1 : NULL;

	if (user) {
		if (host)
			host[-1] = '\0';
		url->url_user = user;
		if (type != url_unknown) {
			n = span(user, D_COLON);
			if (user[n]) {
				user[n] = '\0';
				url->url_password = user + n + 1;
			}
		}
	}

	if (host) {
		url->url_host = host;
		if (host[0] == '[') { /* an IPv6 reference */
			n = span(host, D_RBR);
			if (host[n] &&
			    (host[n + 1] == '\0' || host[n + 1] == ':'))
				n++;
			else
				n = 0;
		} else {
			n = span(host, D_COLON);
		}
		if (n == 0 && (type == url_sip || type == url_sips ||
			       type == url_im || type == url_pres))
			return -1;
		if (host[n] == ':') {
			char *port = host + n + 1;

			url->url_port = port;
			if (port_checked(type)) {
				struct url_mask m = M_RESERVED;

				if (!canonize(port, &m, 0, true))
					return -1;
				while (*port >= '0' && *port <= '9')
					port++;
				if (port != url->url_port) {
					if (*port)
						return -1;
				} else if (*port &&
					   !(port[0] == '*' && !port[1])) {
					return -1;
				}
			}
			host[n] = '\0';
		}
	}

	if (rest == '/') {
		url->url_path = s;
		s = cut(s, D_QUEST | D_HASH, &rest);
	}
	if (rest == ';') {
		url->url_params = s;
		s = cut(s, D_QUEST | D_HASH, &rest);
	}
	if (rest == '?') {
		url->url_headers = s;
		s = cut(s, D_HASH, &rest);
	}
	if (rest == '#') {
		url->url_fragment = s;
		rest = '\0';
	}
	return rest ? -1 : 0;
}

int trunk_url_d(url_t *url, char *s)
{
	struct url_mask reserved = M_RESERVED, uric = M_URIC;
	bool sip;
	char *c;

	if (!url || url_split(url, s) < 0)
		return -1;

	sip = url->url_type == url_sip || url->url_type == url_sips;
	c = (char *)url->url_user;
	if (c && !canonize(c, sip ? &m_sip_user : &m_user, 0, true))
		return -1;
	c = (char *)url->url_password;
	if (c && !canonize(c, sip ? &m_sip_pass : &m_pass, 0, true))
		return -1;
	c = (char *)url->url_host;
	if (c && !canonize(c, &reserved, 0, true))
		return -1;
	c = (char *)url->url_path;
	if (c && !canonize(c, &m_path,
			   SYN33('/') | SYN33(';') | SYN33('=') | SYN33('@') |
				   SYN33(','),
			   true))
		return -1;
	c = (char *)url->url_params;
	if (c &&
	    !canonize(c, &m_params,
		      SYN33(';') | SYN33('=') | SYN33('@') | SYN33(','), true))
		return -1;
	c = (char *)url->url_headers;
	if (c && !canonize(c, &reserved, 0, false))
		return -1;
	c = (char *)url->url_fragment;
	if (c && !canonize(c, &uric, 0, true))
		return -1;
	return 0;
}

int url_d(url_t *url, char *s)
{
	return trunk_url_d(url, s);
}

bool trunk_sofia_url_check(void)
{
	return dlsym(RTLD_DEFAULT, "url_d") == (void *)url_d;
}
