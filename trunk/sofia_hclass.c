/*
 * msg_find_hclass() for libsofia-sip-ua: Sofia's header name lookup, the
 * same result in fewer instructions.
 *
 * Sofia's message parser looks up the class of every header it meets
 * (~45 a call of the benchmark) with msg_find_hclass(): the name's hash,
 * then the message class's open-addressing table probed from it, each
 * candidate compared with su_casenmatch(), a call into libsofia (~290
 * instructions a header with that call). Here the same hash, the same
 * probe order and the same comparison (ASCII letters without case) run
 * inline. The trunkd executable exports msg_find_hclass()
 * (trunk/meson.build: --export-dynamic-symbol), so the parser's calls
 * through libsofia's PLT land here, as for url_d() (sofia_url.c).
 * tests/unit/trunk/test_sofia_hclass.c compares both on every header
 * name of the SIP message class and on names that are not.
 */
#include <dlfcn.h>
#include <stdbool.h>

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

msg_href_t const *msg_find_hclass(msg_mclass_t const *mc, char const *s,
				  isize_t *return_start_of_content)
{
	msg_href_t const *hr;
	msg_hclass_t *hc;
	isize_t len;
	short n = mc->mc_hash_size, i, m;
	int crlf;

	i = (short)(msg_header_name_hash(s, &len) % n);
	if (len == 0 || len > HC_LEN_MAX) {
		if (return_start_of_content)
			*return_start_of_content = 0;
		return mc->mc_error;
	}
	m = (short)len;
	if (m == 1 && mc->mc_short) {
		unsigned char c = (unsigned char)s[0];

		if (c >= 'a' && c <= 'z')
			hr = &mc->mc_short[c - 'a'];
		else if (c >= 'A' && c <= 'Z')
			hr = &mc->mc_short[c - 'A'];
		else
			hr = mc->mc_unknown;
		if (!hr->hr_class)
			hr = mc->mc_unknown;
	} else {
		for (hr = NULL; (hc = mc->mc_hash[i].hr_class);
		     i = (short)((i + 1) % n))
			if (m == hc->hc_len && hclass_same(s, hc->hc_name, m)) {
				hr = &mc->mc_hash[i];
				break;
			}
		if (!hr)
			hr = mc->mc_unknown;
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
