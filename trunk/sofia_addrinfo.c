/*
 * su_getaddrinfo() without glibc's getaddrinfo() for a dotted IPv4 host.
 *
 * tport resolves the destination of every message it sends with
 * su_getaddrinfo() (tport_resolve(), Sofia-SIP 1.12.11 and 1.13), also
 * when the host is a numeric address, as trunkd's peers and the Via and
 * Contact hosts it answers nearly always are. glibc's getaddrinfo() then
 * parses the host with inet_aton() (strtoul() per part), the port with
 * strtoul(), checks its flags and builds the result: ~1,200 instructions
 * per message, seven messages per call (docs/benchmarks.md "instructions per call,
 * third pass").
 *
 * The trunkd executable exports this definition (trunk/meson.build:
 * --export-dynamic-symbol), so libsofia-sip-ua's own calls, which go
 * through its PLT, land here, like su_duration() (sofia_time.c). It
 * answers itself only what it can answer exactly as glibc does: a host
 * of four decimal parts (0-255, no leading zero, nothing else), a port of
 * 1-5 decimal digits up to 65535, hints for IPv4 or either family, UDP or
 * TCP, with no flags but AI_NUMERICHOST and AI_NUMERICSERV. The result is
 * one block as glibc allocates it (the address right after the addrinfo),
 * so that su_freeaddrinfo(), glibc's freeaddrinfo(), frees it. Anything
 * else goes to Sofia's su_getaddrinfo() untouched. Unit test
 * sofia_addrinfo/same_as_glibc compares the two field by field.
 *
 * inet_pton() the same way for a dotted quad (tport for each received
 * message, the SDP's addresses, the ACL): glibc's inet_pton4 takes
 * exactly these forms, in ~240 instructions; the rest goes to glibc's
 * (sofia_addrinfo/inet_pton_same). And strtoul() for base 10 numbers of
 * up to 9 digits (ports, status codes, the SDP's numbers; glibc's costs
 * ~130 instructions for them), the rest through glibc's
 * (sofia_addrinfo/strtoul_same). inet_pton() and strtoul() are not
 * interposed under the sanitizers, which intercept them.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sofia_addrinfo.h"

#include <sofia-sip/su_addrinfo.h>

typedef int(getaddrinfo_f)(char const *, char const *, su_addrinfo_t const *,
			   su_addrinfo_t **);

/* The address of a dotted-quad host with decimal parts 0-255 and no
 * leading zeros in *addr (network order); false for anything else (what
 * inet_aton() also reads differently: "1.2.3", "010.0.0.1", "0x7f.0.0.1"). */
static bool dotted_quad(const char *s, struct in_addr *addr)
{
	unsigned char b[4];

	for (int i = 0; i < 4; i++) {
		unsigned v = (unsigned)(unsigned char)*s++ - '0', d;

		if (v > 9)
			return false;
		d = (unsigned)(unsigned char)*s - '0';
		if (d <= 9) { /* a 2nd digit: no leading zero */
			if (v == 0)
				return false;
			v = v * 10 + d;
			d = (unsigned)(unsigned char)*++s - '0';
			if (d <= 9) { /* a 3rd: at most 255 */
				v = v * 10 + d;
				s++;
				if (v > 255)
					return false;
			}
		}
		if (*s++ != (i < 3 ? '.' : '\0')) /* a 4th digit fails here */
			return false;
		b[i] = (unsigned char)v;
	}
	memcpy(&addr->s_addr, b, 4);
	return true;
}

/* A port of 1-5 decimal digits up to 65535 in *port (host order). */
static bool decimal_port(const char *s, unsigned *port)
{
	unsigned v = 0;
	int n = 0;

	if (!s)
		return false;
	while (s[n] >= '0' && s[n] <= '9' && n < 5)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (n == 0 || s[n] != '\0' || v > 65535)
		return false;
	*port = v;
	return true;
}

int trunk_addrinfo_ipv4(const char *node, const char *service,
			const struct addrinfo *hints, struct addrinfo **res)
{
	struct in_addr addr;
	unsigned port;
	int proto;
	struct addrinfo *ai;
	struct sockaddr_in *sin;

	if (!node || !hints || !res)
		return -1;
	if (hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET)
		return -1;
	if (hints->ai_flags & ~(AI_NUMERICHOST | AI_NUMERICSERV))
		return -1;
	if (hints->ai_socktype == SOCK_DGRAM)
		proto = IPPROTO_UDP;
	else if (hints->ai_socktype == SOCK_STREAM)
		proto = IPPROTO_TCP;
	else
		return -1;
	if (hints->ai_protocol != 0 && hints->ai_protocol != proto)
		return -1;
	if (!dotted_quad(node, &addr) || !decimal_port(service, &port))
		return -1;
	ai = malloc(sizeof(*ai) + sizeof(*sin));
	if (!ai)
		return -1;
	sin = (struct sockaddr_in *)(ai + 1);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr = addr;
	*ai = (struct addrinfo){
		.ai_flags = hints->ai_flags,
		.ai_family = AF_INET,
		.ai_socktype = hints->ai_socktype,
		.ai_protocol = proto,
		.ai_addrlen = sizeof(*sin),
		.ai_addr = (struct sockaddr *)sin,
	};
	*res = ai;
	return 0;
}

int su_getaddrinfo(char const *node, char const *service,
		   su_addrinfo_t const *hints, su_addrinfo_t **res)
{
	static getaddrinfo_f *sofia;

	if (trunk_addrinfo_ipv4(node, service, hints, res) == 0)
		return 0;
	if (!sofia) {
		sofia = (getaddrinfo_f *)dlsym(RTLD_NEXT, "su_getaddrinfo");
		if (!sofia)
			return EAI_SYSTEM;
	}
	return sofia(node, service, hints, res);
}

#if !defined(__SANITIZE_ADDRESS__)

static void *next_inet_pton; /* glibc's */

/* inet_pton(): a dotted quad for AF_INET here (glibc's inet_pton4 takes
 * exactly these: four parts 0-255 without leading zeros), everything
 * else, its answers of 0 included, through glibc's. Not under the
 * sanitizers, which intercept inet_pton() themselves. */
int inet_pton(int af, const char *src, void *dst)
{
	int (*next)(int, const char *, void *);
	void *sym;

	if (af == AF_INET && src && dotted_quad(src, dst))
		return 1;
	sym = __atomic_load_n(&next_inet_pton, __ATOMIC_RELAXED);
	if (!sym) { /* any thread: the same value */
		sym = dlsym(RTLD_NEXT, "inet_pton");
		__atomic_store_n(&next_inet_pton, sym, __ATOMIC_RELAXED);
	}
	if (!sym) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	*(void **)&next = sym;
	return next(af, src, dst);
}

static void *next_strtoul; /* glibc's */

/* strtoul(): base 10 from a digit, up to 9 digits (no overflow, no errno,
 * no sign, no blanks: what glibc does with those is exactly this) here;
 * anything else, a 10th digit included, through glibc's. Sofia reads its
 * ports, status codes and SDP numbers with it, ~36 per call. */
unsigned long strtoul(const char *nptr, char **endptr, int base)
{
	unsigned long (*next)(const char *, char **, int);
	void *sym;

	if (base == 10 && nptr[0] >= '0' && nptr[0] <= '9') {
		unsigned long v = 0;
		int n = 0;

		while (nptr[n] >= '0' && nptr[n] <= '9' && n < 10)
			v = v * 10 + (unsigned long)(nptr[n++] - '0');
		if (n < 10) {
			if (endptr)
				*endptr = (char *)(uintptr_t)(nptr + n);
			return v;
		}
	}
	sym = __atomic_load_n(&next_strtoul, __ATOMIC_RELAXED);
	if (!sym) { /* any thread: the same value */
		sym = dlsym(RTLD_NEXT, "strtoul");
		__atomic_store_n(&next_strtoul, sym, __ATOMIC_RELAXED);
	}
	if (!sym) {
		if (endptr)
			*endptr = (char *)(uintptr_t)nptr;
		errno = EINVAL;
		return 0;
	}
	*(void **)&next = sym;
	return next(nptr, endptr, base);
}

bool trunk_sofia_addrinfo_check(void)
{
	return dlsym(RTLD_DEFAULT, "su_getaddrinfo") ==
		       (void *)su_getaddrinfo &&
	       dlsym(RTLD_DEFAULT, "inet_pton") == (void *)inet_pton &&
	       dlsym(RTLD_DEFAULT, "strtoul") == (void *)strtoul;
}

#else

bool trunk_sofia_addrinfo_check(void)
{
	return dlsym(RTLD_DEFAULT, "su_getaddrinfo") == (void *)su_getaddrinfo;
}

#endif
