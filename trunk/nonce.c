/*
 * Digest nonces with replay protection (see nonce.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nonce.h"

#include <sofia-sip/su_md5.h>

int trunk_nonces_init(struct trunk_nonces *n)
{
	unsigned char rnd[20];
	int fd, i;
	ssize_t got;

	memset(n, 0, sizeof(*n));
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = read(fd, rnd, sizeof(rnd));
	close(fd);
	if (got != (ssize_t)sizeof(rnd))
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(n->secret + 2 * i, 3, "%02x", rnd[i]);
	/* Serials start anywhere: a restart does not hand out the nonces of
	 * the last run again (the secret differs anyway). */
	memcpy(&n->next, rnd + 16, sizeof(n->next));
	return 0;
}

static void nonce_make(const struct trunk_nonces *n, uint64_t t,
		       uint32_t serial, const char *realm,
		       char out[TRUNK_NONCE_LEN])
{
	char digest[33], head[26]; /* "%llx.%x": 16 + 1 + 8 */
	su_md5_t md5[1];

	snprintf(head, sizeof(head), "%llx.%x", (unsigned long long)t,
		 (unsigned)serial);
	su_md5_init(md5);
	su_md5_strupdate(md5, n->secret);
	su_md5_update(md5, ":", 1);
	su_md5_strupdate(md5, head);
	su_md5_update(md5, ":", 1);
	su_md5_strupdate(md5, realm ? realm : "");
	su_md5_hexdigest(md5, digest);
	snprintf(out, TRUNK_NONCE_LEN, "%s.%s", head, digest);
}

/* Issuing keeps no state: the nonce carries its time and serial, signed
 * (nonce.h). A flood of challenged requests only advances the serial. */
void trunk_nonce_issue(struct trunk_nonces *n, time_t now, const char *realm,
		       char out[TRUNK_NONCE_LEN])
{
	nonce_make(n, (uint64_t)now, n->next++, realm, out);
}

/* Equal strings, in a time that depends on the length only. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static bool hex_field(const char *s, char end, unsigned long long max,
		      unsigned long long *out, const char **next)
{
	char *e;

	if ((*s < '0' || *s > '9') && (*s < 'a' || *s > 'f'))
		return false;
	errno = 0;
	*out = strtoull(s, &e, 16);
	if (errno || *e != end || *out > max)
		return false;
	*next = e + (end ? 1 : 0);
	return true;
}

/* The slot of an authentic nonce (issued at *t, serial *serial), or NULL
 * when it is not ours. */
static struct trunk_nonce_slot *nonce_slot(struct trunk_nonces *n,
					   const char *realm, const char *nonce,
					   unsigned long long *t,
					   unsigned long long *serial)
{
	char want[TRUNK_NONCE_LEN];
	const char *p = nonce;

	if (!n->secret[0] || !nonce || strlen(nonce) >= TRUNK_NONCE_LEN ||
	    !hex_field(p, '.', (unsigned long long)INT64_MAX, t, &p) ||
	    !hex_field(p, '.', UINT32_MAX, serial, &p))
		return NULL;
	nonce_make(n, *t, (uint32_t)*serial, realm, want);
	if (!same(want, nonce))
		return NULL;
	return &n->slot[*serial % TRUNK_NONCE_SLOTS];
}

/* An nc-value: 8LHEX, not 0 (RFC 2617 3.2.2). 0 when malformed. */
static uint32_t nonce_count(const char *nc)
{
	size_t i;

	if (strlen(nc) != 8)
		return 0;
	for (i = 0; i < 8; i++)
		if ((nc[i] < '0' || nc[i] > '9') &&
		    (nc[i] < 'a' || nc[i] > 'f') &&
		    (nc[i] < 'A' || nc[i] > 'F'))
			return 0;
	return (uint32_t)strtoul(nc, NULL, 16);
}

/* Whether serial a was issued after b (serial arithmetic: the serials
 * wrap, and those alive within TRUNK_NONCE_TTL are far closer than 2^31). */
static bool serial_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Slot s for a fresh nonce (serial, issued at t): true when it tracks
 * that nonce, taken now if need be. A slot passes only to a later serial
 * (or once its holder expired: every fresh nonce is later than that), so
 * a nonce later than the holder, or with a free slot, was never used: it
 * takes the slot with no count used. false: the slot holds a later
 * nonce, this one may have been used and then forgotten: stale. */
static bool nonce_track(struct trunk_nonce_slot *s, uint32_t serial,
			unsigned long long t, time_t now)
{
	bool held = s->issued &&
		    (long long)now - (long long)s->issued <= TRUNK_NONCE_TTL;

	if (held && s->serial == serial)
		return (unsigned long long)s->issued == t;
	if (held && !serial_after(serial, s->serial))
		return false;
	memset(s, 0, sizeof(*s));
	s->serial = serial;
	s->issued = (time_t)t;
	return true;
}

/* The verdict on the nonce of serial and time t in slot s; on
 * TRUNK_NONCE_OK its count is used up. */
static enum trunk_nonce_verdict nonce_judge(struct trunk_nonce_slot *s,
					    unsigned long long serial,
					    unsigned long long t, time_t now,
					    const char *nc)
{
	uint32_t c, d, k;

	if ((long long)now - (long long)t > TRUNK_NONCE_TTL ||
	    !nonce_track(s, (uint32_t)serial, t, now))
		return TRUNK_NONCE_STALE;
	if (!nc) {
		if (s->used)
			return TRUNK_NONCE_REPLAY;
		s->used = true;
		return TRUNK_NONCE_OK;
	}
	c = nonce_count(nc);
	if (!c)
		return TRUNK_NONCE_BAD_NC;
	if (c > s->max_nc) {
		/* The old highest joins the window, d below the new. */
		d = c - s->max_nc;
		if (!s->max_nc || d > 32)
			s->window = 0;
		else if (d == 32)
			s->window = 1u << 31;
		else
			s->window = (s->window << d) | (1u << (d - 1));
		s->max_nc = c;
		return TRUNK_NONCE_OK;
	}
	if (c == s->max_nc)
		return TRUNK_NONCE_REPLAY;
	k = s->max_nc - 1 - c;
	if (k >= 32 || (s->window & (1u << k)))
		return TRUNK_NONCE_REPLAY;
	s->window |= 1u << k;
	return TRUNK_NONCE_OK;
}

enum trunk_nonce_verdict trunk_nonce_use(struct trunk_nonces *n, time_t now,
					 const char *realm, const char *nonce,
					 const char *nc)
{
	unsigned long long t, serial;
	struct trunk_nonce_slot *s = nonce_slot(n, realm, nonce, &t, &serial);

	return s ? nonce_judge(s, serial, t, now, nc) : TRUNK_NONCE_FOREIGN;
}
