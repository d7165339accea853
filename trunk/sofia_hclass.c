/*
 * msg_find_hclass() for libsofia-sip-ua: Sofia's header name lookup, the
 * same result in fewer instructions.
 *
 * Sofia's message parser looks up the class of every header it meets
 * (~45 a call of the benchmark) with msg_find_hclass(): the name's hash,
 * then the message class's open-addressing table probed from it, each
 * candidate compared with su_casenmatch(), a call into libsofia (~220
 * instructions a header, most of them the hash). Here a small cache of
 * the names met last answers most lookups after a scan of the name; the
 * others take the same hash, probe order and comparison (ASCII letters
 * without case) as Sofia's. The trunkd executable exports msg_find_hclass()
 * (trunk/meson.build: --export-dynamic-symbol), so the parser's calls
 * through libsofia's PLT land here, as for url_d() (sofia_url.c).
 * tests/unit/trunk/test_sofia_hclass.c compares both on every header
 * name of the SIP message class and on names that are not.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>

#include <sofia-sip/bnf.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/msg_mclass_hash.h>

#include "gateway.h"

static inline unsigned char hclass_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 'a' - 'A') : c;
}

/* su_casenmatch(s, name, n) where both have n characters before any NUL
 * (s: a token of n characters; name: hc_len == n). */
static inline bool hclass_same(const char *s, const char *name, short n)
{
	short i;

	for (i = 0; i < n; i++)
		if (s[i] != name[i] &&
		    hclass_lower((unsigned char)s[i]) !=
			    hclass_lower((unsigned char)name[i]))
			return false;
	return true;
}

/* Sofia's lookup of a name of len token characters at s. */
static msg_href_t const *hclass_find(msg_mclass_t const *mc, char const *s,
				     short m)
{
	msg_href_t const *hr;
	msg_hclass_t *hc;
	short n = mc->mc_hash_size, i;

	i = (short)(msg_header_name_hash(s, NULL) % n);
	if (m == 1 && mc->mc_short) {
		unsigned char c = (unsigned char)s[0];

		if (c >= 'a' && c <= 'z')
			hr = &mc->mc_short[c - 'a'];
		else if (c >= 'A' && c <= 'Z')
			hr = &mc->mc_short[c - 'A'];
		else
			hr = mc->mc_unknown;
		return hr->hr_class ? hr : mc->mc_unknown;
	}
	for (; (hc = mc->mc_hash[i].hr_class); i = (short)((i + 1) % n))
		if (m == hc->hc_len && hclass_same(s, hc->hc_name, m))
			return &mc->mc_hash[i];
	return mc->mc_unknown;
}

/*
 * The names of the last headers looked up, per thread: a message has the
 * same few names (Via, From, To, Call-ID, CSeq, Contact, ...) spelt the
 * same way as the one before it, so most lookups are a token scan and a
 * memcmp(). A slot holds the message class and its number of headers
 * (an mclass is not changed once messages are parsed with it; a header
 * inserted would change the count and miss).
 */
#define HCLASS_SLOTS	64
#define HCLASS_NAME_MAX 22

struct hclass_slot {
	msg_mclass_t const *mc;
	msg_href_t const *hr;
	short used; /* mc->mc_hash_used */
	unsigned char len;
	char name[HCLASS_NAME_MAX];
};

static __thread struct hclass_slot hclass_cache[HCLASS_SLOTS];

msg_href_t const *msg_find_hclass(msg_mclass_t const *mc, char const *s,
				  isize_t *return_start_of_content)
{
	msg_href_t const *hr;
	struct hclass_slot *slot;
	isize_t len = 0;
	int crlf;

	while (_bnf_table[(unsigned char)s[len]] & bnf_token)
		len++;
	if (len == 0 || len > HC_LEN_MAX) {
		if (return_start_of_content)
			*return_start_of_content = 0;
		return mc->mc_error;
	}
	if (len <= HCLASS_NAME_MAX) {
		slot = &hclass_cache[(len * 7 + (unsigned char)s[0] * 3 +
				      (unsigned char)s[len - 1]) %
				     HCLASS_SLOTS];
		if (slot->mc == mc && slot->len == len &&
		    slot->used == mc->mc_hash_used &&
		    !memcmp(slot->name, s, (size_t)len)) {
			hr = slot->hr;
		} else {
			hr = hclass_find(mc, s, (short)len);
			slot->mc = mc;
			slot->hr = hr;
			slot->used = mc->mc_hash_used;
			slot->len = (unsigned char)len;
			memcpy(slot->name, s, (size_t)len);
		}
	} else {
		hr = hclass_find(mc, s, (short)len);
	}
	if (!return_start_of_content) /* the name only */
		return hr;
	if (s[len] == ':') {
		*return_start_of_content = len + 1;
		return hr;
	}
	/* Blanks, and line folding, before the colon. */
	if (IS_LWS(s[len])) {
		crlf = 0;
		do {
			len += span_ws(s + len + crlf) + crlf;
			crlf = s[len] == '\r' ? (s[len + 1] == '\n') + 1
					      : s[len] == '\n';
		} while (IS_WS(s[len + crlf]));
	}
	if (s[len++] != ':')
		len = 0;
	*return_start_of_content = len;
	return hr;
}

bool trunk_sofia_hclass_check(void)
{
	return dlsym(RTLD_DEFAULT, "msg_find_hclass") ==
	       (void *)msg_find_hclass;
}
