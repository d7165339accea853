/*
 * trunk/sofia_addrinfo.c: su_getaddrinfo() answers dotted IPv4 hosts
 * itself, exactly as glibc's getaddrinfo() does, and hands everything
 * else to Sofia's (the installed libsofia-sip-ua, linked like trunkd).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "unit_test.h"
#include "trunk/sofia_addrinfo.h"

#include <sofia-sip/su_addrinfo.h>

static const char *const hosts[] = {
	"127.0.0.1",
	"0.0.0.0",
	"255.255.255.255",
	"192.0.2.10",
	"10.1.22.255",
	"256.1.1.1",
	"1.2.3",
	"1.2.3.4.5",
	"01.2.3.4",
	"010.0.0.1",
	"1.2.3.010",
	"1.2.3.04",
	"0x7f.0.0.1",
	"1.2.3.4.",
	" 1.2.3.4",
	"1.2.3.4 ",
	"1..2.3",
	"1.2.3.",
	"1000.1.1.1",
	"1.2.3.-4",
	"+1.2.3.4",
	"4294967295",
	"127.1",
	"::1",
	"[::1]",
	"2001:db8::1",
	"::ffff:1.2.3.4",
	"localhost",
	"",
	"1.2.3.4%eth0",
	"1.2.3.4:5060",
	"999.999.999.999",
	"0.0.0.00",
	"9.9.9.9",
};

static const char *const services[] = {
	"5060",	 "0",	  "1",	"65535", "65536", "99999",  "05060", "",
	" 5060", "5060 ", "+5", "-1",	 "0x10",  "123456", "sip",   NULL,
};

static const struct addrinfo hint_set[] = {
	{ .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP },
	{ .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP },
	{ .ai_socktype = SOCK_DGRAM },
	{ .ai_socktype = SOCK_STREAM },
	{ .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM },
	{ .ai_family = AF_INET6, .ai_socktype = SOCK_DGRAM },
	{ .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST },
	{ .ai_socktype = SOCK_STREAM,
	  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV },
	{ .ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG },
	{ .ai_socktype = SOCK_DGRAM, .ai_flags = AI_CANONNAME },
	{ .ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE },
	{ .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_TCP },
	{ .ai_socktype = SOCK_RAW },
	{ 0 },
};

/* Two addrinfo lists alike, field by field and address by address. */
static bool same_list(const struct addrinfo *a, const struct addrinfo *b)
{
	for (; a && b; a = a->ai_next, b = b->ai_next) {
		if (a->ai_flags != b->ai_flags ||
		    a->ai_family != b->ai_family ||
		    a->ai_socktype != b->ai_socktype ||
		    a->ai_protocol != b->ai_protocol ||
		    a->ai_addrlen != b->ai_addrlen ||
		    memcmp(a->ai_addr, b->ai_addr, a->ai_addrlen) != 0)
			return false;
		if ((a->ai_canonname == NULL) != (b->ai_canonname == NULL) ||
		    (a->ai_canonname &&
		     strcmp(a->ai_canonname, b->ai_canonname) != 0))
			return false;
	}
	return a == NULL && b == NULL;
}

/* Every host, service and hint above: whatever the fast path answers is
 * exactly what Sofia's su_getaddrinfo() (glibc's getaddrinfo()) answers,
 * also through the interposed entry point; and it answers the forms tport
 * sends to (a dotted quad, a decimal port, UDP or TCP), at least those.
 * What it hands back goes to Sofia's function unchanged (not compared:
 * most are name lookups, slow in a namespace without DNS). */
static int same_as_glibc(void)
{
	typedef int(gai_f)(char const *, char const *, su_addrinfo_t const *,
			   su_addrinfo_t **);
	gai_f *sofia = (gai_f *)dlsym(RTLD_NEXT, "su_getaddrinfo");
	unsigned handled = 0, total = 0;

	CHECK(sofia != NULL);
	for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++)
		for (size_t s = 0; s < sizeof(services) / sizeof(services[0]);
		     s++)
			for (size_t k = 0;
			     k < sizeof(hint_set) / sizeof(hint_set[0]); k++) {
				const char *host = hosts[h], *svc = services[s];
				const struct addrinfo *hi = &hint_set[k];
				struct addrinfo *fast = NULL, *slow = NULL;
				int want;

				total++;
				if (trunk_addrinfo_ipv4(host, svc, hi, &fast))
					continue;
				handled++;
				want = sofia(host, svc, hi, &slow);
				if (want != 0 || !same_list(fast, slow))
					fprintf(stderr,
						"differs: host \"%s\" service "
						"\"%s\" hints %zu (glibc %d)\n",
						host, svc ? svc : "(null)", k,
						want);
				CHECK(want == 0);
				CHECK(same_list(fast, slow));
				freeaddrinfo(fast);
				fast = NULL;
				CHECK(su_getaddrinfo(host, svc, hi, &fast) ==
				      0);
				CHECK(same_list(fast, slow));
				su_freeaddrinfo(fast);
				su_freeaddrinfo(slow);
			}
	printf("%u of %u answered without getaddrinfo()\n", handled, total);
	/* 6 good hosts x 5 ports x 7 hint sets (UDP, TCP, either, IPv4
	 * only, the two numeric flags). */
	CHECK(handled == 6 * 5 * 7);
	return 0;
}

/* tport's own call: libsofia-sip-ua's PLT reaches the executable's
 * definition, and a NULL hints or result still goes to Sofia's. */
static int sofia_reaches_it(void)
{
	struct addrinfo *ai = NULL;

	struct addrinfo v6 = { .ai_family = AF_INET6,
			       .ai_socktype = SOCK_DGRAM,
			       .ai_flags = AI_NUMERICHOST };

	CHECK(trunk_sofia_addrinfo_check());
	CHECK(trunk_addrinfo_ipv4("127.0.0.1", "5060", NULL, &ai) == -1);
	CHECK(su_getaddrinfo("127.0.0.1", "5060", NULL, &ai) == 0);
	CHECK(ai != NULL);
	su_freeaddrinfo(ai);
	ai = NULL;
	CHECK(su_getaddrinfo("::1", "5060", &v6, &ai) == 0);
	CHECK(ai != NULL && ai->ai_family == AF_INET6);
	su_freeaddrinfo(ai);
	return 0;
}

/* inet_pton() gives glibc's answer and address for every host above and
 * for each part value 0-300 in each position (AF_INET), and AF_INET6 still
 * works (glibc's). */
static int inet_pton_same(void)
{
	int (*glibc)(int, const char *, void *) =
		(int (*)(int, const char *, void *))dlsym(RTLD_NEXT,
							  "inet_pton");
	char text[64];

	CHECK(glibc != NULL);
	for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]) + 4 * 301;
	     h++) {
		const char *src = text;
		unsigned char a[16], b[16];

		if (h < sizeof(hosts) / sizeof(hosts[0])) {
			src = hosts[h];
		} else {
			size_t i = h - sizeof(hosts) / sizeof(hosts[0]);
			unsigned p[4] = { 1, 22, 3, 44 };

			p[i / 301] = (unsigned)(i % 301);
			snprintf(text, sizeof(text), "%u.%u.%u.%u", p[0], p[1],
				 p[2], p[3]);
		}
		memset(a, 0xee, sizeof(a));
		memset(b, 0xee, sizeof(b));
		CHECK(inet_pton(AF_INET, src, a) == glibc(AF_INET, src, b));
		CHECK(memcmp(a, b, sizeof(a)) == 0);
		memset(a, 0xee, sizeof(a));
		memset(b, 0xee, sizeof(b));
		CHECK(inet_pton(AF_INET6, src, a) == glibc(AF_INET6, src, b));
		CHECK(memcmp(a, b, sizeof(a)) == 0);
	}
	CHECK(inet_pton(AF_INET6, "2001:db8::1", text) == 1);
	errno = 0;
	CHECK(inet_pton(AF_UNIX, "1.2.3.4", text) == -1 && errno != 0);
	return 0;
}

/* strtoul(): the same value, end and errno as glibc's for numbers of 0-12
 * digits with what Sofia and trunkd put around them (blanks, signs,
 * leading zeros, a following character), in bases 10, 0 and 16. */
static int strtoul_same(void)
{
	unsigned long (*glibc)(const char *, char **, int) =
		(unsigned long (*)(const char *, char **, int))dlsym(RTLD_NEXT,
								     "strtoul");
	static const char *const texts[] = {
		"0",
		"5060",
		"200 OK",
		"65535;x",
		"007",
		"123456789",
		"999999999",
		"1000000000",
		"4294967295",
		"4294967296",
		"18446744073709551615",
		"18446744073709551616",
		"99999999999999999999",
		" 42",
		"+42",
		"-42",
		"",
		"x",
		"0x1f",
		"1e3",
		"42\r\n",
		"12345678901",
		"1.2",
	};
	int bases[] = { 10, 0, 16 };

	CHECK(glibc != NULL);
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
		for (size_t b = 0; b < 3; b++) {
			char *e1 = NULL, *e2 = NULL;
			unsigned long v1, v2;
			int err1, err2;

			errno = 0;
			v1 = strtoul(texts[t], &e1, bases[b]);
			err1 = errno;
			errno = 0;
			v2 = glibc(texts[t], &e2, bases[b]);
			err2 = errno;
			if (v1 != v2 || e1 != e2 || err1 != err2)
				fprintf(stderr, "differs: \"%s\" base %d\n",
					texts[t], bases[b]);
			CHECK(v1 == v2 && e1 == e2 && err1 == err2);
			CHECK(strtoul(texts[t], NULL, bases[b]) == v2);
		}
	return 0;
}

static const struct unit_case cases[] = {
	{ "same_as_glibc", same_as_glibc },
	{ "sofia_reaches_it", sofia_reaches_it },
	{ "inet_pton_same", inet_pton_same },
	{ "strtoul_same", strtoul_same },
};

UNIT_MAIN(cases)
