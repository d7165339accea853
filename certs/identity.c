/*
 * Peer identity per RFC 5922 section 7 (TLS-6), as a pure function of a
 * certificate and the expected name:
 *
 *   - subjectAltName URI entries of scheme sip/sips without a user part
 *     name their host (7.1); DNS entries name themselves; both compared
 *     case-insensitively, no wildcards (7.2: "SHOULD NOT" be used, and
 *     Sofia compiled them out too);
 *   - IP address entries count when the expected name is an IP literal
 *     (a peer configured by address; Sofia never collects them, notes 5.2);
 *   - the subject CN counts only when the certificate has no
 *     subjectAltName extension at all (OpenSSL's X509_check_host() falls
 *     back to the CN whenever no DNS entry exists: peers.md "OpenSSL").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "certs_int.h"

/* Append "KIND:value" to the description of what the certificate had. */
static void certs_had_add(char *had, size_t len, const char *kind,
			  const char *val, size_t vlen)
{
	size_t n = strlen(had);

	if (n + 2 >= len)
		return;
	snprintf(had + n, len - n, "%s%s:%.*s", n ? " " : "", kind, (int)vlen,
		 val);
}

/* The host of a sip:/sips: URI without user part, or NULL. */
static const char *certs_sip_uri_host(const char *uri, size_t len, size_t *hlen)
{
	const char *h, *end = uri + len, *p;

	if (len > 4 && !strncasecmp(uri, "sip:", 4))
		h = uri + 4;
	else if (len > 5 && !strncasecmp(uri, "sips:", 5))
		h = uri + 5;
	else
		return NULL;
	if (memchr(h, '@', (size_t)(end - h)))
		return NULL; /* a user's identity, not a domain's */
	if (*h == '[') {     /* IPv6 reference */
		p = memchr(h, ']', (size_t)(end - h));
		if (!p)
			return NULL;
		*hlen = (size_t)(p - h - 1);
		return h + 1;
	}
	for (p = h; p < end && *p != ':' && *p != ';' && *p != '?'; p++)
		;
	*hlen = (size_t)(p - h);
	return h;
}

static bool certs_name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	/* A trailing dot names the same DNS name. */
	if (alen && a[alen - 1] == '.')
		alen--;
	if (blen && b[blen - 1] == '.')
		blen--;
	return alen == blen && alen && !strncasecmp(a, b, alen);
}

/* One subjectAltName entry against the expected name (or IP). */
static bool certs_gen_match(const GENERAL_NAME *g, const char *expected,
			    const unsigned char *ip, int iplen, char *had,
			    size_t hadlen)
{
	const char *s, *h;
	size_t n, hl;

	switch (g->type) {
	case GEN_URI:
		s = (const char *)ASN1_STRING_get0_data(g->d.ia5);
		n = (size_t)ASN1_STRING_length(g->d.ia5);
		certs_had_add(had, hadlen, "URI", s, n);
		h = certs_sip_uri_host(s, n, &hl);
		return h && certs_name_eq(h, hl, expected);
	case GEN_DNS:
		s = (const char *)ASN1_STRING_get0_data(g->d.ia5);
		n = (size_t)ASN1_STRING_length(g->d.ia5);
		certs_had_add(had, hadlen, "DNS", s, n);
		return !iplen && !memchr(s, '*', n) &&
		       certs_name_eq(s, n, expected);
	case GEN_IPADD: {
		char txt[INET6_ADDRSTRLEN] = "?";
		int l = ASN1_STRING_length(g->d.ip);
		const unsigned char *b = ASN1_STRING_get0_data(g->d.ip);

		inet_ntop(l == 16 ? AF_INET6 : AF_INET, b, txt, sizeof(txt));
		certs_had_add(had, hadlen, "IP", txt, strlen(txt));
		return iplen && l == iplen && !memcmp(b, ip, (size_t)l);
	}
	default:
		return false;
	}
}

/* The CN entries (subject without subjectAltName). */
static int certs_cn_match(X509 *c, const char *expected, char *had,
			  size_t hadlen)
{
	X509_NAME *sn = X509_get_subject_name(c);
	int i = -1, ok = 0;

	while (sn &&
	       (i = X509_NAME_get_index_by_NID(sn, NID_commonName, i)) >= 0) {
		ASN1_STRING *d =
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i));
		unsigned char *u = NULL;
		int n = ASN1_STRING_to_UTF8(&u, d);

		if (n < 0)
			continue;
		certs_had_add(had, hadlen, "CN", (char *)u, (size_t)n);
		if (!memchr(u, '*', (size_t)n) &&
		    certs_name_eq((char *)u, (size_t)n, expected))
			ok = 1;
		OPENSSL_free(u);
	}
	if (hadlen && !had[0])
		snprintf(had, hadlen, "no subjectAltName and no CN");
	return ok ? 0 : EACCES;
}

int certs_identity_match(X509 *c, const char *expected, char *had,
			 size_t hadlen)
{
	unsigned char ip[16];
	int iplen = 0, i, crit = 0, rc = EACCES;
	GENERAL_NAMES *gens;

	if (hadlen)
		had[0] = '\0';
	if (!c || !expected || !*expected)
		return EINVAL;
	if (inet_pton(AF_INET, expected, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, expected, ip) == 1)
		iplen = 16;
	gens = X509_get_ext_d2i(c, NID_subject_alt_name, &crit, NULL);
	if (!gens) {
		if (crit != -1) /* present but unparsable: no CN fallback */
			return EACCES;
		return certs_cn_match(c, expected, had, hadlen);
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++)
		if (certs_gen_match(sk_GENERAL_NAME_value(gens, i), expected,
				    ip, iplen, had, hadlen))
			rc = 0; /* keep going: "had" lists every entry */
	GENERAL_NAMES_free(gens);
	return rc;
}
