/*
 * trunk/sofia_url.c: url_d() gives libsofia-sip-ua's result for every
 * string (the url_t's fields, the return value and every byte of the
 * string afterwards, on success and on failure), on a corpus of URIs
 * and on random strings made of the characters that matter to it; and
 * libsofia's own parsers reach it.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include "unit_test.h"
#include "trunk/sofia_url.h"

typedef int url_d_fn(url_t *, char *);

/* libsofia-sip-ua's own url_d(), not the executable's. */
static url_d_fn *sofia_url_d(void)
{
	void *sym = unit_sofia_own("url_d", (void *)url_d);
	url_d_fn *f;

	*(void **)&f = sym;
	return f;
}

#define BUF 96

/* A field of u as an offset into buf (-1: NULL, -2: elsewhere). */
static long at(const char *buf, const char *field)
{
	if (!field)
		return -1;
	if (field >= buf && field < buf + BUF)
		return field - buf;
	return -2;
}

/* Both parsers on copies of s (len bytes, then NUL): false and a line on
 * stdout when anything differs. */
static bool same(url_d_fn *theirs, const char *s, size_t len)
{
	char a[BUF], b[BUF];
	url_t ua, ub;
	int ra, rb;

	if (len >= BUF - 4)
		len = BUF - 4;
	memset(a, 0x5a, sizeof(a));
	memcpy(a, s, len);
	a[len] = '\0';
	memcpy(b, a, sizeof(b));
	memset(&ua, 0xa5, sizeof(ua));
	memcpy(&ub, &ua, sizeof(ub));
	ra = theirs(&ua, a);
	rb = trunk_url_d(&ub, b);

	bool ok = ra == rb && !memcmp(a, b, sizeof(a)) &&
		  ua.url_type == ub.url_type && ua.url_root == ub.url_root &&
		  at(a, ua.url_user) == at(b, ub.url_user) &&
		  at(a, ua.url_password) == at(b, ub.url_password) &&
		  at(a, ua.url_host) == at(b, ub.url_host) &&
		  at(a, ua.url_port) == at(b, ub.url_port) &&
		  at(a, ua.url_path) == at(b, ub.url_path) &&
		  at(a, ua.url_params) == at(b, ub.url_params) &&
		  at(a, ua.url_headers) == at(b, ub.url_headers) &&
		  at(a, ua.url_fragment) == at(b, ub.url_fragment) &&
		  at(a, ua.url_scheme) == at(b, ub.url_scheme) &&
		  (at(a, ua.url_scheme) != -2 ||
		   !strcmp(ua.url_scheme, ub.url_scheme));
	if (!ok) {
		printf("url_d(\"");
		for (size_t i = 0; i < len; i++)
			printf(s[i] >= 0x20 && s[i] < 0x7f ? "%c" : "\\x%02x",
			       (unsigned char)s[i]);
		printf("\"): Sofia %d type %d, ours %d type %d\n", ra,
		       ua.url_type, rb, ub.url_type);
	}
	return ok;
}

static const char *const corpus[] = {
	"sip:alice@example.com",
	"sip:+15551234567@10.0.0.1:5060;user=phone",
	"sip:bob:secret@host.example.org:5061;transport=tls?subject=hi#frag",
	"sips:[2001:db8::1]:5061;transport=tcp",
	"sip:[::1]",
	"sip:[::1",
	"sip:[::1]x",
	"sip:127.0.0.1:5060;lr",
	"sip:127.0.0.1:;lr",
	"sip:127.0.0.1:*",
	"sip:127.0.0.1:50a60",
	"sip:127.0.0.1:%35%30",
	"sip:127.0.0.1:%3",
	"sip:@host",
	"sip:user@",
	"sip:user@:5060",
	"sip:us%65r@ho%73t",
	"sip:us%2fer@host",
	"sip:a%3cb@host",
	"sip:us%2Fer@host;pa%3bram=%7e;x=%41%42",
	"sip:a b@host",
	"sip:a%20b@host",
	"sip:a%20b c@host",
	"sip:a%zzb@host",
	"sip:a%@host",
	"sip:a%4@host",
	"sip:user;phone-context=+1@host",
	"sip:user?x@host",
	"sip:user#1@host",
	"sip:user/x@host/path",
	"sip:host?h1=v1&h2=%76%20",
	"sip:host#frag%20ment",
	"sip:host;p=%5b%5D[",
	"SIP:Alice@EXAMPLE.com",
	"SiPs:x@y",
	"tel:+1-555-1234;phone-context=example.com",
	"tel:+1%20555",
	"fax:+15551234",
	"modem:123",
	"cid:abc@def",
	"urn:service:sos",
	"http://www.example.com:8080/path/to;p?q=1#f",
	"http://user:pw@host/",
	"http:/path/only",
	"http://[::1]:80/",
	"https://h/%7euser",
	"ftp://h/a%3bb",
	"file:///etc/passwd",
	"rtsp://h:554/s",
	"mailto:a@b.c",
	"im:a@b",
	"im:a@",
	"pres:a@b",
	"msrp://h:1/id;tcp",
	"msrps://h:1/id;tcp",
	"wv:user@domain;x?y#z",
	"wv:domain",
	"x-foo:bar",
	"x%2dfoo:bar",
	"foo/bar:baz",
	"1abc:def",
	"a b:c",
	"%41bc:def",
	"*",
	"*:x",
	"**",
	"",
	":",
	":x",
	"sip:",
	"sip::",
	"sip:;",
	"sip:?",
	"sip:#",
	"//host/path",
	"host:5060",
	"/just/a/path",
	"user@host",
	"sip:alice@atlanta.example.com;maddr=239.255.255.1;ttl=15",
	"sip:%61lice@atlanta.com;transport=TCP",
	"sip:carol@chicago.com?Subject=next%20meeting",
	"sip:host;p%00=1",
	"sip:host;p=%80",
	"sip:u%3A%3a@h",
	"sip:u@h;x=\x1b%41",
	"sip:u@h;x=%41\x1b",
	"http://h/p%41\x1d",
	"http://h/%41`",
	"http://h/%41[]",
	"sip:u@h;%41 ",
	"sip:u@h;%41\x7f",
	"sip:u@h;%41\x80\xff",
};

static int corpus_same(void)
{
	url_d_fn *theirs = sofia_url_d();

	CHECK(theirs);
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
		CHECK(same(theirs, corpus[i], strlen(corpus[i])));
	return 0;
}

/* Random strings: a scheme Sofia knows (or none, or a made-up one), then
 * characters drawn mostly from those url_d() treats specially. */
static int random_same(void)
{
	static const char *const schemes[] = {
		"",	 "sip:",    "sips:",   "SIP:",	"tel:",
		"http:", "http://", "wv:",     "im:",	"cid:",
		"x:",	 "mailto:", "rtsp://", "*:",	"a%2b:",
		"ftp:",	 "pres:",   "fax:",    "file:", "msrp://",
	};
	static const char chars[] = ":/?#@;[]%%%%*&=+$,.-_!~'()`{}|\\^<>\" "
				    "0123456789aAfFgGzZsip";
	url_d_fn *theirs = sofia_url_d();
	uint64_t x = 0x9e3779b97f4a7c15u;
	unsigned failed = 0;

	CHECK(theirs);
	for (unsigned n = 0; n < 300000 && failed < 10; n++) {
		char s[BUF];
		size_t len, k;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = (size_t)(x % (sizeof(schemes) / sizeof(schemes[0])));
		len = strlen(schemes[k]);
		memcpy(s, schemes[k], len);
		for (size_t m = (size_t)(x >> 40) % 40; m > 0; m--) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if ((x & 63) == 0) /* any byte but NUL, now and then */
				s[len++] = (char)(1 + (x >> 8) % 255);
			else
				s[len++] =
					chars[(x >> 8) % (sizeof(chars) - 1)];
		}
		if (!same(theirs, s, len))
			failed++;
	}
	CHECK(failed == 0);
	return 0;
}

/* libsofia's header parsers reach the executable's url_d(): a From whose
 * user part holds an escape comes out unescaped either way, so the
 * parse itself proves nothing; the check is where the symbol resolves. */
static int sofia_reaches_it(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_from_t *f;

	CHECK(trunk_sofia_url_check());
	f = sip_from_make(home, "<sip:%61lice@example.com;transport=udp>");
	CHECK(f && !strcmp(f->a_url->url_user, "alice"));
	CHECK(!strcmp(f->a_url->url_params, "transport=udp"));
	su_home_deinit(home);
	return 0;
}

static const struct unit_case cases[] = {
	{ "corpus_same", corpus_same },
	{ "random_same", random_same },
	{ "sofia_reaches_it", sofia_reaches_it },
};

UNIT_MAIN(cases)
