/*
 * trunk/sofia_printf.c: the printf fast path gives glibc's bytes and
 * return values for every format it takes (at every buffer size), hands
 * every other format back, and is what libsofia-sip-ua's encoders and
 * inet_ntop() callers reach (the installed library, linked like trunkd).
 */
/* glibc's side must be glibc's: with _FORTIFY_SOURCE (distribution
 * CFLAGS, and meson.build's in optimized builds) snprintf() here would
 * become __snprintf_chk(), which this test executable takes from
 * trunk/sofia_printf.c, and the test would compare the fast path with
 * itself. */
#undef _FORTIFY_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_uniqueid.h>

#include "unit_test.h"
#include "trunk/sofia_printf.h"

/* glibc declares them only with _FORTIFY_SOURCE (undefined above). */
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
		   const char *fmt, ...);
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);

static int mine(char *s, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = trunk_fmt_vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return r;
}

/* Both at every size from 0 to the text's length + 2: same return value,
 * same bytes up to and including the NUL, nothing written past it. */
#define SAME(fmt, ...)                                                         \
	do {                                                                   \
		char a[160], b[160];                                           \
		int full = snprintf(a, sizeof(a), fmt, __VA_ARGS__);           \
		for (size_t n = 0; n <= (size_t)full + 2; n++) {               \
			memset(a, 'x', sizeof(a));                             \
			memset(b, 'x', sizeof(b));                             \
			int ra = snprintf(a, n, fmt, __VA_ARGS__);             \
			int rb = mine(b, n, fmt, __VA_ARGS__);                 \
			if (ra != rb || memcmp(a, b, sizeof(a))) {             \
				printf("format \"%s\" at size %zu: glibc %d "  \
				       "\"%.*s\", ours %d \"%.*s\"\n",         \
				       fmt, n, ra, (int)n, a, rb, (int)n, b);  \
				return 1;                                      \
			}                                                      \
		}                                                              \
	} while (0)

static int same_as_glibc(void)
{
	/* What Sofia formats (sip_basic.c, msg_basic.c, sdp_print.c, nta.c) */
	SAME("%s %03u %s", "SIP/2.0", 200u, "OK");
	SAME("%s %03u %s", "SIP/2.0", 7u, "");
	SAME("%u %s", 4711u, "INVITE");
	SAME("%lu", 0ul);
	SAME("%lu", ULONG_MAX);
	SAME("%s%lu %s", "", 1800ul, "refresher=uac");
	SAME("branch=z9hG4bK%s", "abc.def");
	SAME("rport=%u", 5060u);
	SAME("tag=%s", "8d7c2f");
	SAME("m=%s %u %s", "audio", 40000u, "RTP/AVP");
	SAME("m=%s %u/%u %s", "audio", 40000u, 2u, "RTP/AVP");
	SAME("a=rtpmap:%u %s/%lu%s%s", 0u, "PCMU", 8000ul, "", "");
	SAME("a=rtpmap:%u %s/%lu%s%s", 101u, "telephone-event", 8000ul, "/",
	     "1");
	SAME("t=%lu %lu", 0ul, 0ul);
	SAME("b=%s:%lu", "AS", 64ul);
	SAME("%s%s%s", "a", "", "bc");
	/* The rest of what the fast path takes */
	SAME("%d %i %d", 0, -1, INT_MIN);
	SAME("%d", INT_MAX);
	SAME("%ld %lld", LONG_MIN, LLONG_MIN);
	SAME("%llu %zu %zd", ULLONG_MAX, (size_t)SIZE_MAX, (ssize_t)-5);
	SAME("%x %lx %llx %zx", 0xbeefu, 0xdeadbeeful, 0x1234567890abcdefull,
	     (size_t)255);
	SAME("%5d|%05d|%05d|%5u|%08x|%1u", -42, -42, 42, 7u, 0xabcu, 12345u);
	SAME("%c%c%c", 'a', '%', 'z');
	SAME("100%% %s", "done");
	SAME("%s", "");
	SAME("%s", "no conversion after this");
	SAME("%u", 4294967295u);
	/* sip_request_e(): "%s " URL_PRINT_FORMAT " %s", 20 conversions */
	SAME("%s %s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s %s", "INVITE", "sip", ":",
	     "", "+15550100001", "", "", "@", "192.0.2.1", ":", "5080", "", "",
	     ";", "user=phone", "", "", "", "", "SIP/2.0");
	SAME("%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%"
	     "u|",
	     1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u,
	     16u, 17u, 18u, 19u, 20u, 21u, 22u, 23u, 24u, 25u, 26u, 27u, 28u,
	     29u, 30u, 31u, 32u); /* 32: the most */
	return 0;
}

/* Formats the fast path does not take come back untouched (-2). */
static int others_handed_back(void)
{
	char buf[32] = "keep";

	CHECK(mine(buf, sizeof(buf), "%.06f", 1.5) == -2);
	CHECK(mine(buf, sizeof(buf), "%-5s|", "a") == -2);
	CHECK(mine(buf, sizeof(buf), "%5s", "a") == -2);
	CHECK(mine(buf, sizeof(buf), "%.*s", 2, "abc") == -2);
	CHECK(mine(buf, sizeof(buf), "%p", (void *)buf) == -2);
	CHECK(mine(buf, sizeof(buf), "%hu", 1) == -2);
	CHECK(mine(buf, sizeof(buf), "%+d", 1) == -2);
	CHECK(mine(buf, sizeof(buf), "%X", 1u) == -2);
	CHECK(mine(buf, sizeof(buf), "%s", (char *)NULL) == -2);
	CHECK(mine(buf, sizeof(buf), "trailing %", 1) == -2);
	CHECK(mine(buf, sizeof(buf),
		   "%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%u%"
		   "u%u%u%u",
		   1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u,
		   15u, 16u, 17u, 18u, 19u, 20u, 21u, 22u, 23u, 24u, 25u, 26u,
		   27u, 28u, 29u, 30u, 31u, 32u, 33u) == -2);
	CHECK(!strcmp(buf, "keep"));
	{ /* and what the executable's __snprintf_chk hands back is glibc's */
		char a[64], b[64];
		const char *volatile nul = NULL; /* no compile-time warning */

		snprintf(a, sizeof(a), "ab%s|%.*s|%+d|%.2f", nul, 2, "xyz", 5,
			 1.5);
		CHECK(__snprintf_chk(b, sizeof(b), 1, sizeof(b),
				     "ab%s|%.*s|%+d|%.2f", nul, 2, "xyz", 5,
				     1.5) == (int)strlen(a));
		CHECK(!strcmp(a, b));
	}
	return 0;
}

/* Each thread keeps the scans of its formats by address: a format in a
 * buffer whose text changed is scanned again, a format handed back stays
 * handed back, and a long one (not kept) is scanned each time. */
static int scans_kept_by_address_and_text(void)
{
	char f[16], buf[32];

	strcpy(f, "%u|");
	CHECK(mine(buf, sizeof(buf), f, 42u) == 3 && !strcmp(buf, "42|"));
	CHECK(mine(buf, sizeof(buf), f, 43u) == 3 && !strcmp(buf, "43|"));
	strcpy(f, "%s|");
	CHECK(mine(buf, sizeof(buf), f, "ab") == 3 && !strcmp(buf, "ab|"));
	strcpy(f, "%p|");
	CHECK(mine(buf, sizeof(buf), f, (void *)buf) == -2);
	CHECK(mine(buf, sizeof(buf), f, (void *)buf) == -2);
	strcpy(f, "%s|%u");
	CHECK(mine(buf, sizeof(buf), f, "a", 7u) == 3 && !strcmp(buf, "a|7"));
	SAME("%s=%u;%s=%u;%s=%u;%s=%u;%s=%u;%s=%u;%s=%u;%s=%u;%s=%u;%s=%u;"
	     "%s=%u;%s",
	     "a", 1u, "b", 2u, "c", 3u, "d", 4u, "e", 5u, "f", 6u, "g", 7u, "h",
	     8u, "i", 9u, "j", 10u, "k", 11u, "end"); /* 70 bytes: not kept */
	return 0;
}

/* __sprintf_chk(): glibc's bytes and return value, glibc's for the
 * formats handed back; Sofia's Call-ID text (su_guid_sprintf()) too. */
static int sprintf_chk_same(void)
{
	char a[64], b[64];
	su_guid_t g;

	memset(a, 'x', sizeof(a));
	memset(b, 'x', sizeof(b));
	CHECK(sprintf(a, "%08lx-%04x-%02x%02x|%s", 0xabcul, 0x12u, 1u, 0xffu,
		      "z") == __sprintf_chk(b, 1, sizeof(b),
					    "%08lx-%04x-%02x%02x|%s", 0xabcul,
					    0x12u, 1u, 0xffu, "z"));
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK(__sprintf_chk(b, 1, (size_t)-1, "%s|%d", "q", -3) == 4 &&
	      !strcmp(b, "q|-3"));
	CHECK(__sprintf_chk(b, 1, sizeof(b), "%.2s", "abc") == 2 &&
	      !strcmp(b, "ab"));
	su_guid_generate(&g);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	sprintf(a, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		(unsigned long)ntohl(g.s.time_low), ntohs(g.s.time_mid),
		ntohs(g.s.time_high_and_version), g.s.clock_seq_low,
		g.s.clock_seq_hi_and_reserved, g.s.node[0], g.s.node[1],
		g.s.node[2], g.s.node[3], g.s.node[4], g.s.node[5]);
	CHECK(su_guid_sprintf(b, sizeof(b), &g) == (isize_t)strlen(a));
	CHECK(!strcmp(a, b));
	return 0;
}

/* libsofia's own encoders and inet_ntop() callers reach the fast path
 * (the executable's exported definitions) and print what glibc would. */
static int sofia_reaches_it(void)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_cseq_t *cs = sip_cseq_create(home, 4711, SIP_METHOD_INVITE);
	sip_status_t *st = sip_status_create(home, 183, NULL, NULL);
	sip_request_t *rq;
	char *s, buf[INET6_ADDRSTRLEN];
	unsigned char v4[4] = { 192, 0, 2, 255 };
	unsigned char v6[16] = { [15] = 1 };

	CHECK(trunk_sofia_printf_check());
	CHECK(cs && st);
	s = sip_header_as_string(home, (sip_header_t *)cs);
	CHECK(s && !strcmp(s, "4711 INVITE"));
	s = sip_header_as_string(home, (sip_header_t *)st);
	CHECK(s && !strcmp(s, "SIP/2.0 183 Session Progress\r\n"));
	rq = sip_request_create(home, SIP_METHOD_INVITE,
				URL_STRING_MAKE("sip:+15550100001@192.0.2.1:"
						"5080;user=phone"),
				NULL);
	s = rq ? sip_header_as_string(home, (sip_header_t *)rq) : NULL;
	CHECK(s && !strcmp(s, "INVITE sip:+15550100001@192.0.2.1:5080;"
			      "user=phone SIP/2.0\r\n"));
	CHECK(inet_ntop(AF_INET, v4, buf, sizeof(buf)) == buf);
	CHECK(!strcmp(buf, "192.0.2.255"));
	errno = 0;
	CHECK(inet_ntop(AF_INET, v4, buf, 11) == NULL && errno == ENOSPC);
	CHECK(inet_ntop(AF_INET, v4, buf, 12) == buf);
	for (unsigned i = 0; i < 256; i += 3) {
		unsigned char v[4] = { (unsigned char)i, (unsigned char)(i / 2),
				       (unsigned char)(255 - i), 0 };
		char want[INET_ADDRSTRLEN];

		snprintf(want, sizeof(want), "%u.%u.%u.%u", v[0], v[1], v[2],
			 v[3]);
		CHECK(inet_ntop(AF_INET, v, buf, sizeof(buf)) == buf);
		CHECK(!strcmp(buf, want));
		CHECK(inet_ntop(AF_INET, v, buf, (socklen_t)strlen(want)) ==
		      NULL);
	}
	CHECK(inet_ntop(AF_INET6, v6, buf, sizeof(buf)) == buf);
	CHECK(!strcmp(buf, "::1"));
	errno = 0;
	CHECK(inet_ntop(12345, v4, buf, sizeof(buf)) == NULL &&
	      errno == EAFNOSUPPORT);
	su_home_deinit(home);
	return 0;
}

static const struct unit_case cases[] = {
	{ "same_as_glibc", same_as_glibc },
	{ "others_handed_back", others_handed_back },
	{ "sofia_reaches_it", sofia_reaches_it },
	{ "scans_kept_by_address_and_text", scans_kept_by_address_and_text },
	{ "sprintf_chk_same", sprintf_chk_same },
};

UNIT_MAIN(cases)
