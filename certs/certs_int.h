/*
 * certs/ private: the OpenSSL side of a section's TLS material, shared by
 * the loader (certs_tls.c), the identity check (identity.c) and the Sofia
 * TLS repair (sofia_tls_shim.c). Never included outside certs/.
 */
#ifndef TRUNKD_CERTS_INT_H
#define TRUNKD_CERTS_INT_H

#include <limits.h>
#include <stdatomic.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "certs.h"

enum certs_ocsp_mode {
	CERTS_OCSP_OFF,
	CERTS_OCSP_PREFER,
	CERTS_OCSP_REQUIRE,
};

struct certs_tls {
	atomic_int refs;
	char label[80];
	char dir[PATH_MAX];
	char *passphrase;   /* malloc'd, wiped on free; NULL: none */
	char expected[256]; /* "" none */
	/* TLS 1.2 cipher list in OpenSSL names: ECDHE-RSA-AES128-GCM-SHA256
	 * then tls_optional_ciphers in order (TLS-2). */
	char ciphers[128];
	enum certs_ocsp_mode ocsp;
	bool required;
	unsigned depth;
	/* Trust: exactly one of store (tls_ca_file, or the system store when
	 * nothing is configured), pin (tls_pin_certificate), pin_sha256. */
	X509_STORE *store;
	X509 *pin;
	bool has_pin_sha256, has_trust;
	unsigned char pin_sha256[32];
	/* Our own certificate (NULL: none), for snapshots and expiry. */
	X509 *cert;
	/* tls_ocsp_response (absolute) or "": the staple we send. */
	char staple[PATH_MAX];
	struct certs_tls *next; /* the registry of loaded sections */
};

/*
 * RFC 5922 section 7 identity of certificate C against EXPECTED (a domain
 * or an IP literal): 0 on a match, EACCES on none, EINVAL without a name.
 * HAD receives what the certificate offered ("URI:sip:x DNS:x IP:1.2.3.4"
 * or "CN:x" when it has no subjectAltName), for the one log line.
 */
int certs_identity_match(X509 *c, const char *expected, char *had,
			 size_t hadlen);

/* The live certs_tls whose directory is DIR (the newest), with a new
 * reference, or NULL. */
struct certs_tls *certs_tls_find_dir(const char *dir);

/* Has certs_init() found the interposition in effect? */
bool certs_shim_active(void);

/* sha256 of a certificate's DER encoding; 0 or EINVAL. */
int certs_x509_sha256(X509 *c, unsigned char out[32]);

/* "CN=carrier.test" (first CN, else the one-line subject) into buf. */
void certs_x509_name(X509 *c, char *buf, size_t len);

/* ASN1_TIME -> time_t (UTC); 0 when unparsable. */
time_t certs_asn1_time(const ASN1_TIME *t);

#endif /* TRUNKD_CERTS_INT_H */
