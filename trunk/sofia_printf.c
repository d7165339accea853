/*
 * A fast path for the printf family that libsofia-sip-ua calls on every
 * message (see sofia_printf.h).
 *
 * Sofia encodes the request and status lines, CSeq, Content-Length,
 * Session-Expires, tags and branches, and every SDP line with snprintf()
 * (built with _FORTIFY_SOURCE: __snprintf_chk/__vsnprintf_chk), and tport
 * formats each received datagram's source with inet_ntop(), which glibc
 * writes with sprintf(). glibc's printf machinery costs 1,000-2,000
 * instructions per call for formats such as "%u %s": ~14 % of trunkd's
 * instructions per call (callgrind, docs/benchmarks.md). The trunkd
 * executable exports the definitions below (trunk/meson.build:
 * --export-dynamic-symbol), so the calls libsofia makes through its PLT
 * land here, as for su_duration() (sofia_time.c).
 *
 * Only the conversions Sofia uses are formatted here: %s (non-NULL, no
 * width or precision), %c, %%, and %d %i %u %x of int, long, long long
 * and size_t with an optional '0' flag and width. Any other format is
 * handed to glibc's vsnprintf() unchanged, so the output is the same byte
 * for byte (tests/unit/trunk/test_sofia_printf.c compares both). The
 * fortify checks stay: a buffer smaller than the length given is
 * __chk_fail(), as in glibc. Not built under AddressSanitizer, whose
 * runtime intercepts these functions itself.
 */
/* The fallback below must be glibc's vsnprintf(), not the fortified
 * __vsnprintf_chk() this file defines (meson.build sets _FORTIFY_SOURCE). */
#undef _FORTIFY_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sofia_printf.h"

enum fmt_len { LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE };

/* One conversion of a format this file handles. */
struct fmt_conv {
	char conv;	  /* s c % d i u x */
	bool zero;	  /* '0' flag */
	uint8_t len;	  /* enum fmt_len */
	uint16_t width;	  /* 0: none */
	uint16_t at, end; /* the conversion's text: offsets in the format */
};

#define FMT_MAX_CONV  32   /* more: glibc formats it (a request line: 20) */
#define FMT_KEPT_CONV 20   /* at most this many in a scan kept (below) */
#define FMT_NONE      0xff /* a format left to glibc */

/* A format's conversions. Scanning a format costs about as much as
 * formatting it, and Sofia formats the same few dozen literals on every
 * message, so each thread keeps the scans of the formats it used last,
 * by address, with the format's text: a hit needs the same address and
 * the same bytes (a format in a buffer that changed is scanned again).
 * Formats of 64 bytes or more or with more than FMT_KEPT_CONV
 * conversions are scanned each time. */
struct fmt_prog {
	const char *key; /* the format's address; NULL: an empty slot */
	uint16_t len;	 /* strlen of the format */
	uint8_t n;	 /* conversions, or FMT_NONE */
	char text[64];	 /* the format, when kept */
	struct fmt_conv c[FMT_KEPT_CONV];
};

/* What the formatter runs: a kept scan's, or one made for this call. */
struct fmt_run {
	const struct fmt_conv *c;
	unsigned n;
	size_t len; /* strlen of the format */
};

/* 64 sets of two (by a multiplicative hash of the address: 6 bits): the
 * newest scan of a set in [0], the one before in [1]. ~30 KB a thread. */
static _Thread_local struct fmt_prog fmt_cache[64][2];

static bool fmt_parse(const char *f, size_t at, struct fmt_conv *c)
{
	const char *p = f + at + 1;
	unsigned width = 0;

	c->at = (uint16_t)at;
	c->zero = false;
	c->len = LEN_INT;
	if (*p == '0') {
		c->zero = true;
		p++;
	}
	while (*p >= '0' && *p <= '9') {
		if (width > 4096)
			return false;
		width = width * 10 + (unsigned)(*p++ - '0');
	}
	c->width = (uint16_t)width;
	if (*p == 'l') {
		c->len = LEN_LONG;
		if (*++p == 'l') {
			c->len = LEN_LLONG;
			p++;
		}
	} else if (*p == 'z') {
		c->len = LEN_SIZE;
		p++;
	}
	c->conv = *p;
	switch (*p) {
	case 's':
	case 'c':
	case '%':
		/* no flags, width or length on these */
		if (c->zero || c->width || c->len != LEN_INT)
			return false;
		break;
	case 'd':
	case 'i':
	case 'u':
	case 'x':
		break;
	default:
		return false;
	}
	c->end = (uint16_t)(p + 1 - f);
	return true;
}

/* The conversions of fmt into c[] (room for FMT_MAX_CONV): how many, or
 * FMT_NONE for a format left to glibc. */
static unsigned fmt_scan(const char *fmt, struct fmt_conv *c)
{
	const char *p;
	unsigned n = 0;

	for (p = strchr(fmt, '%'); p; p = strchr(fmt + c[n - 1].end, '%')) {
		if (n == FMT_MAX_CONV ||
		    !fmt_parse(fmt, (size_t)(p - fmt), &c[n]))
			return FMT_NONE;
		n++;
	}
	return n;
}

/* fmt's conversions into *run: a scan this thread kept, or a new one in
 * scratch[FMT_MAX_CONV] (then kept when it fits); false for a format left
 * to glibc. */
static bool fmt_program(const char *fmt, struct fmt_conv *scratch,
			struct fmt_run *run)
{
	size_t len = strlen(fmt);
	uintptr_t h = (uintptr_t)fmt;
	struct fmt_prog *set, *pr;
	unsigned n;

	if (len > UINT16_MAX)
		return false;
	run->len = len;
	if (len >= sizeof(pr->text)) {
		n = fmt_scan(fmt, scratch);
		run->c = scratch;
		run->n = n;
		return n != FMT_NONE;
	}
	set = fmt_cache[(h * 0x9e3779b97f4a7c15u) >> 58];
	for (pr = set; pr < set + 2; pr++)
		if (pr->key == fmt && pr->len == len &&
		    !memcmp(pr->text, fmt, len)) {
			run->c = pr->c;
			run->n = pr->n;
			return pr->n != FMT_NONE;
		}
	n = fmt_scan(fmt, scratch);
	run->c = scratch;
	run->n = n;
	if (n == FMT_NONE || n <= FMT_KEPT_CONV) {
		set[1] = set[0];
		pr = &set[0];
		pr->len = (uint16_t)len;
		pr->n = (uint8_t)n;
		memcpy(pr->text, fmt, len);
		if (n != FMT_NONE)
			memcpy(pr->c, scratch, n * sizeof(*scratch));
		pr->key = fmt;
	}
	return n != FMT_NONE;
}

struct fmt_out {
	char *s;
	size_t max; /* the buffer's size */
	size_t n;   /* characters produced so far (as if unbounded) */
};

static inline void fmt_put(struct fmt_out *o, const char *p, size_t n)
{
	if (o->n < o->max) {
		size_t room = o->max - 1 - o->n;

		memcpy(o->s + o->n, p, n < room ? n : room);
	}
	o->n += n;
}

static void fmt_pad(struct fmt_out *o, char ch, size_t n)
{
	while (n--)
		fmt_put(o, &ch, 1);
}

static void fmt_number(struct fmt_out *o, const struct fmt_conv *c,
		       unsigned long long v, bool neg)
{
	char digits[24];
	size_t n = 0, len;

	if (c->conv == 'x') {
		do {
			digits[sizeof(digits) - 1 - n++] =
				"0123456789abcdef"[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	}
	len = n + neg;
	if (c->width > len && !c->zero)
		fmt_pad(o, ' ', c->width - len);
	if (neg)
		fmt_put(o, "-", 1);
	if (c->width > len && c->zero)
		fmt_pad(o, '0', c->width - len);
	fmt_put(o, digits + sizeof(digits) - n, n);
}

static void fmt_int(struct fmt_out *o, const struct fmt_conv *c, va_list *ap)
{
	unsigned long long u;
	long long d;

	if (c->conv == 'u' || c->conv == 'x') {
		switch (c->len) {
		case LEN_LONG:
			u = va_arg(*ap, unsigned long);
			break;
		case LEN_LLONG:
			u = va_arg(*ap, unsigned long long);
			break;
		case LEN_SIZE:
			u = va_arg(*ap, size_t);
			break;
		default:
			u = va_arg(*ap, unsigned);
		}
		fmt_number(o, c, u, false);
		return;
	}
	switch (c->len) {
	case LEN_LONG:
		d = va_arg(*ap, long);
		break;
	case LEN_LLONG:
		d = va_arg(*ap, long long);
		break;
	case LEN_SIZE:
		d = (long long)va_arg(*ap, ptrdiff_t); /* %zd: signed size_t */
		break;
	default:
		d = va_arg(*ap, int);
	}
	fmt_number(o, c,
		   d < 0 ? 0ULL - (unsigned long long)d : (unsigned long long)d,
		   d < 0);
}

int trunk_fmt_vsnprintf(char *s, size_t max, const char *fmt, va_list ap)
{
	struct fmt_out o = { .s = s, .max = max };
	struct fmt_conv scratch[FMT_MAX_CONV];
	struct fmt_run run;
	const struct fmt_conv *c, *last;
	size_t p = 0;
	va_list aq;

	if (!fmt_program(fmt, scratch, &run))
		return -2;
	va_copy(aq, ap);
	for (c = run.c, last = c + run.n; c < last; c++) {
		if (c->at > p)
			fmt_put(&o, fmt + p, c->at - p);
		p = c->end;
		if (c->conv == 's') {
			const char *str = va_arg(aq, const char *);

			if (!str) { /* glibc's "(null)": leave it to glibc */
				va_end(aq);
				return -2;
			}
			fmt_put(&o, str, strlen(str));
		} else if (c->conv == '%') {
			fmt_put(&o, "%", 1);
		} else if (c->conv == 'c') {
			char ch = (char)va_arg(aq, int);

			fmt_put(&o, &ch, 1);
		} else {
			fmt_int(&o, c, &aq);
		}
	}
	if (p < run.len)
		fmt_put(&o, fmt + p, run.len - p);
	va_end(aq);
	if (max)
		s[o.n < max ? o.n : max - 1] = '\0';
	return o.n > INT32_MAX ? -1 : (int)o.n;
}

#if !defined(__SANITIZE_ADDRESS__)

extern void __chk_fail(void) __attribute__((noreturn));
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
		    const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int __vsprintf_chk(char *s, int flag, size_t slen, const char *fmt,
		   va_list ap) /* glibc's */
	__attribute__((format(printf, 4, 0)));

static void *next_vsnprintf_chk; /* glibc's */

int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
		    const char *fmt, va_list ap)
{
	int (*next)(char *, size_t, int, size_t, const char *, va_list);
	void *sym;
	int n;

	if (slen < maxlen)
		__chk_fail();
	n = trunk_fmt_vsnprintf(s, maxlen, fmt, ap);
	if (n != -2)
		return n;
	/* glibc's, with the flag: its checks of %n in a writable format */
	sym = __atomic_load_n(&next_vsnprintf_chk, __ATOMIC_RELAXED);
	if (!sym) { /* any thread: the same value */
		sym = dlsym(RTLD_NEXT, "__vsnprintf_chk");
		__atomic_store_n(&next_vsnprintf_chk, sym, __ATOMIC_RELAXED);
	}
	if (!sym)
		return vsnprintf(s, maxlen, fmt, ap);
	*(void **)&next = sym;
	return next(s, maxlen, flag, slen, fmt, ap);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
		   const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return n;
}

/* sprintf() of a caller built with _FORTIFY_SOURCE (Sofia's Call-IDs:
 * su_guid_sprintf()): a text that does not fit the object (slen, or
 * SIZE_MAX when the compiler did not know it) is __chk_fail(), as in
 * glibc, which also takes the formats handed back. */
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = slen ? trunk_fmt_vsnprintf(s, slen, fmt, ap) : -2;
	if (n == -2)
		n = __vsprintf_chk(s, flag, slen, fmt, ap);
	else if (n >= 0 && (size_t)n >= slen)
		__chk_fail();
	va_end(ap);
	return n;
}

static void *next_inet_ntop; /* glibc's */

/* inet_ntop(): AF_INET here, as glibc's inet_ntop4 (ENOSPC when the text
 * and its NUL do not fit); every other family through glibc's. */
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	const char *(*next)(int, const void *, char *, socklen_t);
	const unsigned char *a = src;
	char tmp[sizeof("255.255.255.255")], *t = tmp;
	size_t n;
	int i;

	if (af != AF_INET) {
		void *sym = __atomic_load_n(&next_inet_ntop, __ATOMIC_RELAXED);

		if (!sym) { /* any thread: the same value */
			sym = dlsym(RTLD_NEXT, "inet_ntop");
			__atomic_store_n(&next_inet_ntop, sym,
					 __ATOMIC_RELAXED);
		}
		if (!sym) {
			errno = EAFNOSUPPORT;
			return NULL;
		}
		*(void **)&next = sym;
		return next(af, src, dst, size);
	}
	for (i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*t++ = (char)('0' + v / 100);
		if (v >= 10)
			*t++ = (char)('0' + v / 10 % 10);
		*t++ = (char)('0' + v % 10);
		*t++ = i < 3 ? '.' : '\0';
	}
	n = (size_t)(t - tmp); /* with the NUL */
	if (n > size) {
		errno = ENOSPC;
		return NULL;
	}
	return memcpy(dst, tmp, n);
}

bool trunk_sofia_printf_check(void)
{
	return dlsym(RTLD_DEFAULT, "__snprintf_chk") ==
		       (void *)__snprintf_chk &&
	       dlsym(RTLD_DEFAULT, "__sprintf_chk") == (void *)__sprintf_chk &&
	       dlsym(RTLD_DEFAULT, "inet_ntop") == (void *)inet_ntop;
}

#else

bool trunk_sofia_printf_check(void)
{
	return true; /* not interposed under ASan (see above) */
}

#endif
