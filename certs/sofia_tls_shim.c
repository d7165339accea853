/*
 * The repair of Sofia-SIP 1.12.11's TLS (notes: sofia-sip.md section 5,
 * DESIGN.md 2). Sofia creates its OpenSSL contexts itself and offers no tag
 * for ciphers, versions, chains, SNI or OCSP, and leaks every connection's
 * SSL. trunkd's executable therefore defines eight OpenSSL functions; with
 * them exported (certs/meson.build: --export-dynamic-symbol), calls from
 * libsofia-sip-ua.so resolve here first and we call libssl's through
 * dlsym(RTLD_NEXT):
 *
 *   SSL_CTX_use_certificate_file  Sofia loads agent.pem with it: load the
 *                                 whole chain instead (leaf, intermediates);
 *                                 the file's directory tells which section
 *                                 (certs_tls_load()) the context serves.
 *   SSL_CTX_set_cipher_list       called with Sofia's fixed list: the mark
 *                                 of a Sofia context. Apply the policy:
 *                                 TLS >= 1.2 (1.3 allowed, TLS-1), TLS 1.2
 *                                 ciphers ECDHE-RSA-AES128-GCM-SHA256 then
 *                                 the configured ones (TLS-2), server
 *                                 preference (TLS-3), no renegotiation or
 *                                 compression; our certificate verifier.
 *   SSL_new                       a connection is listed from its start,
 *                                 so a stalled handshake can be bounded
 *                                 (certs_set_handshake_timeout()).
 *   SSL_connect, SSL_accept       first call of a handshake: per-connection
 *                                 policy from trunk/'s peer handler (SNI,
 *                                 ciphers, client certificate request,
 *                                 OCSP); when it ends, one log line and the
 *                                 trunkctl snapshot.
 *   SSL_get1_peer_certificate     hidden from Sofia for connections certs/
 *                                 has checked (its parse leaks, its rules
 *                                 differ).
 *   SSL_read                      what a connection received, shown to
 *                                 trunk/'s read handler: Sofia's TLS has no
 *                                 CRLF keep-alive of its own (notes 4.3);
 *                                 and when the data it reads reached the
 *                                 kernel (certs_tls_last_read_stamp(): the
 *                                 overload detector's input for TLS).
 *   SSL_shutdown                  Sofia's tls_free() calls it and never
 *                                 SSL_free() (~80 KB per connection): free
 *                                 the SSL here, with one extra reference on
 *                                 the BIO and the context, which tls_free()
 *                                 releases right after (BIO_free,
 *                                 SSL_CTX_free on the shared context).
 *
 * Certificate checks (TLS-5, TLS-6) replace OpenSSL's chain verification
 * for Sofia's contexts (SSL_CTX_set_cert_verify_callback): the path against
 * the peer's section's trust anchors, or the pinned certificate or
 * fingerprint, then the RFC 5922 name (identity.c). A refusal fails the
 * handshake with an alert, and the handshake's end logs one line.
 *
 * All of it depends on 1.12.11 internals (tls_init_context()'s call order,
 * tls_free()'s), so certs_init() refuses any other Sofia-SIP and checks that
 * the interposition is in effect.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>
#include <time.h>

#define SU_TIMER_ARG_T void
#include <sofia-sip/su_config.h>
#include <sofia-sip/sofia_features.h>
#include <sofia-sip/su_wait.h>

#include "certs_int.h"

#define SUBSYS "certs.tls"

/* Sofia 1.12.11's tls_set_default() cipher list: only its contexts use it. */
#define SOFIA_CIPHERS	"ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"
#define DEFAULT_CIPHERS "ECDHE-RSA-AES128-GCM-SHA256"

/* ---------------------------------------------------------------------- */
/* libssl's own functions                                                  */

static int (*real_set_cipher_list)(SSL_CTX *, const char *);
static int (*real_use_certificate_file)(SSL_CTX *, const char *, int);
static int (*real_shutdown)(SSL *);
static int (*real_connect)(SSL *);
static int (*real_accept)(SSL *);
static X509 *(*real_get1_peer_certificate)(const SSL *);
static SSL *(*real_new)(SSL_CTX *);
static int (*real_read)(SSL *, void *, int);

static pthread_once_t certs_once = PTHREAD_ONCE_INIT;
static int ctx_idx = -1, conn_idx = -1;

static void certs_ctx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
			   long argl, void *argp);
static void certs_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
			    int idx, long argl, void *argp);

static void certs_resolve(void)
{
	*(void **)&real_set_cipher_list =
		dlsym(RTLD_NEXT, "SSL_CTX_set_cipher_list");
	*(void **)&real_use_certificate_file =
		dlsym(RTLD_NEXT, "SSL_CTX_use_certificate_file");
	*(void **)&real_shutdown = dlsym(RTLD_NEXT, "SSL_shutdown");
	*(void **)&real_connect = dlsym(RTLD_NEXT, "SSL_connect");
	*(void **)&real_accept = dlsym(RTLD_NEXT, "SSL_accept");
	*(void **)&real_get1_peer_certificate =
		dlsym(RTLD_NEXT, "SSL_get1_peer_certificate");
	*(void **)&real_new = dlsym(RTLD_NEXT, "SSL_new");
	*(void **)&real_read = dlsym(RTLD_NEXT, "SSL_read");
	ctx_idx = SSL_CTX_get_ex_new_index(0, "trunkd certs", NULL, NULL,
					   certs_ctx_free);
	conn_idx = SSL_get_ex_new_index(0, "trunkd certs", NULL, NULL,
					certs_conn_free);
}

static void certs_resolve_once(void)
{
	pthread_once(&certs_once, certs_resolve);
}

/* ---------------------------------------------------------------------- */
/* Per-context and per-connection state                                    */

/* A context Sofia created (ex_data of the SSL_CTX). */
struct certs_ctx {
	struct certs_tls *t; /* the section of its agent.pem, or NULL */
	bool sofia;	     /* confirmed by Sofia's cipher list */
};

/* One connection (ex_data of the SSL), in the live list. */
struct certs_conn {
	struct certs_conn_info info;
	struct certs_tls *t; /* reference; NULL: nothing configured */
	SSL *ssl;	     /* borrowed: this is its ex_data */
	long long start_ms;  /* SSL_new(), CLOCK_MONOTONIC */
	bool begun;	     /* first SSL_connect/SSL_accept seen */
	bool check_chain, check_name;
	struct certs_conn *prev, *next;
};

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct certs_conn *conn_head, *conn_tail;
static certs_peer_h *peer_h;
static void *peer_arg;
static certs_conn_h *conn_h;
static void *conn_arg;
static certs_read_h *read_h;
static void *read_arg;

static void certs_ctx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
			   long argl, void *argp)
{
	struct certs_ctx *c = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!c)
		return;
	certs_tls_deref(c->t);
	free(c);
}

static void certs_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
			    int idx, long argl, void *argp)
{
	struct certs_conn *c = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!c)
		return;
	pthread_mutex_lock(&conn_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		conn_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		conn_tail = c->prev;
	pthread_mutex_unlock(&conn_lock);
	certs_tls_deref(c->t);
	free(c);
}

static struct certs_ctx *certs_ctx_get(const SSL_CTX *ctx)
{
	return ctx_idx < 0 ? NULL : SSL_CTX_get_ex_data(ctx, ctx_idx);
}

static struct certs_ctx *certs_ctx_get_or_add(SSL_CTX *ctx)
{
	struct certs_ctx *c = certs_ctx_get(ctx);

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (c && !SSL_CTX_set_ex_data(ctx, ctx_idx, c)) {
		free(c);
		c = NULL;
	}
	return c;
}

static bool certs_is_sofia_ctx(const SSL_CTX *ctx)
{
	struct certs_ctx *c = certs_ctx_get(ctx);

	return c && c->sofia;
}

static bool certs_is_sofia(const SSL *s)
{
	return certs_is_sofia_ctx(SSL_get_SSL_CTX(s));
}

void certs_set_peer_handler(certs_peer_h *h, void *arg)
{
	peer_h = h;
	peer_arg = arg;
}

void certs_set_conn_handler(certs_conn_h *h, void *arg)
{
	conn_h = h;
	conn_arg = arg;
}

void certs_set_read_handler(certs_read_h *h, void *arg)
{
	read_h = h;
	read_arg = arg;
}

size_t certs_conn_foreach(certs_conn_h *h, void *arg)
{
	struct certs_conn_info *copy = NULL;
	struct certs_conn *c;
	size_t n = 0, i;

	/* Copy under the lock, call without it. */
	pthread_mutex_lock(&conn_lock);
	for (c = conn_head; c; c = c->next)
		n++;
	if (n)
		copy = calloc(n, sizeof(*copy));
	for (c = conn_head, i = 0; copy && c; c = c->next)
		copy[i++] = c->info;
	pthread_mutex_unlock(&conn_lock);
	if (!copy)
		return 0;
	for (i = 0; i < n; i++)
		h(&copy[i], arg);
	free(copy);
	return n;
}

const char *certs_ocsp_status_name(enum certs_ocsp_status s)
{
	switch (s) {
	case CERTS_OCSP_NOT_CHECKED:
		return "not-checked";
	case CERTS_OCSP_NO_STAPLE:
		return "no-staple";
	case CERTS_OCSP_GOOD:
		return "good";
	case CERTS_OCSP_REVOKED:
		return "revoked";
	case CERTS_OCSP_UNKNOWN:
		return "unknown";
	case CERTS_OCSP_INVALID:
		return "invalid";
	}
	return "?";
}

/* ---------------------------------------------------------------------- */
/* The context policy                                                      */

static void certs_ctx_policy(SSL_CTX *ctx, struct certs_ctx *c);

int SSL_CTX_use_certificate_file(SSL_CTX *ctx, const char *file, int type)
{
	certs_resolve_once();
	if (ctx_idx >= 0 && file) {
		/* Sofia passes <dir>/agent.pem: which section is it? */
		const char *slash = strrchr(file, '/');
		struct certs_ctx *c = certs_ctx_get_or_add(ctx);

		if (c && slash && !strcmp(slash, "/agent.pem") && !c->t) {
			char dir[PATH_MAX];

			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file),
				 file);
			c->t = certs_tls_find_dir(dir);
		}
	}
	/* The chain too (Sofia would send the leaf alone). */
	if (type == SSL_FILETYPE_PEM)
		return SSL_CTX_use_certificate_chain_file(ctx, file);
	return real_use_certificate_file(ctx, file, type);
}

int SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *str)
{
	struct certs_ctx *c;

	certs_resolve_once();
	if (!str || strcmp(str, SOFIA_CIPHERS))
		return real_set_cipher_list(ctx, str);
	c = certs_ctx_get_or_add(ctx);
	if (!c)
		return 0;
	c->sofia = true;
	certs_ctx_policy(ctx, c);
	return real_set_cipher_list(ctx,
				    c->t ? c->t->ciphers : DEFAULT_CIPHERS);
}

/* ---------------------------------------------------------------------- */
/* Certificate verification (TLS-5, TLS-6)                                */

static int certs_fail(struct certs_conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record why the peer was refused (logged when the handshake ends). */
static int certs_fail(struct certs_conn *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->info.failure, sizeof(c->info.failure), fmt, ap);
	va_end(ap);
	return err;
}

/* The pinned certificate or fingerprint (TLS-5). */
static int certs_check_pin(struct certs_conn *c, X509 *leaf)
{
	unsigned char md[32];
	char name[300];

	certs_x509_name(leaf, name, sizeof(name));
	if (c->t->pin && X509_cmp(leaf, c->t->pin))
		return certs_fail(c, X509_V_ERR_CERT_REJECTED,
				  "certificate %s is not the pinned one "
				  "(tls_pin_certificate)",
				  name);
	if (c->t->has_pin_sha256 && (certs_x509_sha256(leaf, md) ||
				     memcmp(md, c->t->pin_sha256, sizeof(md))))
		return certs_fail(c, X509_V_ERR_CERT_REJECTED,
				  "certificate %s does not have the pinned "
				  "SHA-256 fingerprint (tls_pin_sha256)",
				  name);
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0 ||
	    X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0)
		return certs_fail(c, X509_V_ERR_CERT_HAS_EXPIRED,
				  "pinned certificate %s is outside its "
				  "validity period",
				  name);
	return X509_V_OK;
}

/* The path to the section's trust anchors (RFC 5280). */
static int certs_check_path(struct certs_conn *c, X509 *leaf,
			    STACK_OF(X509) * untrusted)
{
	X509_STORE_CTX *vc = X509_STORE_CTX_new();
	int err = X509_V_ERR_OUT_OF_MEM;
	char name[300];

	if (vc && X509_STORE_CTX_init(vc, c->t->store, leaf, untrusted)) {
		X509_STORE_CTX_set_depth(vc, (int)c->t->depth);
		X509_STORE_CTX_set_purpose(
			vc, c->info.outgoing ? X509_PURPOSE_SSL_SERVER
					     : X509_PURPOSE_SSL_CLIENT);
		err = X509_verify_cert(vc) == 1 ? X509_V_OK
						: X509_STORE_CTX_get_error(vc);
		if (err != X509_V_OK) {
			X509 *bad = X509_STORE_CTX_get_current_cert(vc);

			certs_x509_name(bad ? bad : leaf, name, sizeof(name));
			certs_fail(c, err,
				   "certificate %s not trusted: %s "
				   "(depth %d)",
				   name, X509_verify_cert_error_string(err),
				   X509_STORE_CTX_get_error_depth(vc));
		}
	}
	X509_STORE_CTX_free(vc);
	return err;
}

static int certs_check_name(struct certs_conn *c, X509 *leaf)
{
	char had[sizeof(c->info.failure) - 120];

	if (!certs_identity_match(leaf, c->t->expected, had, sizeof(had))) {
		snprintf(c->info.identity, sizeof(c->info.identity), "%s",
			 c->t->expected);
		return X509_V_OK;
	}
	return certs_fail(c, X509_V_ERR_HOSTNAME_MISMATCH,
			  "certificate does not name %s (RFC 5922): it has %s",
			  c->t->expected, had);
}

/* SSL_CTX_set_cert_verify_callback(): replaces X509_verify_cert(). */
static int certs_verify(X509_STORE_CTX *vc, void *arg)
{
	SSL *s = X509_STORE_CTX_get_ex_data(
		vc, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct certs_conn *c = s ? SSL_get_ex_data(s, conn_idx) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(vc);
	int err = X509_V_OK;

	(void)arg;
	/* A server we have no policy for (a context whose directory
	 * certs_tls_load() did not prepare, and a peer trunk/ does not
	 * know): Sofia's checks are off (certs_tls_sofia_verify_policy()),
	 * so nobody would check it. Fail closed. */
	if (c && !c->t && c->info.outgoing) {
		X509_STORE_CTX_set_error(vc,
					 X509_V_ERR_APPLICATION_VERIFICATION);
		return certs_fail(c, 0,
				  "no TLS policy for this server (not a "
				  "peer of any configured section)");
	}
	if (!c || !c->t) /* a client we do not ask for a certificate */
		return X509_verify_cert(vc);
	if (!leaf)
		err = certs_fail(c, X509_V_ERR_UNSPECIFIED, "no certificate");
	if (!err)
		certs_x509_name(leaf, c->info.peer_cert,
				sizeof(c->info.peer_cert));
	if (!err && c->check_chain) {
		if (c->t->pin || c->t->has_pin_sha256)
			err = certs_check_pin(c, leaf);
		else
			err = certs_check_path(
				c, leaf, X509_STORE_CTX_get0_untrusted(vc));
	}
	if (!err && c->check_name)
		err = certs_check_name(c, leaf);
	if (!err)
		c->info.peer_expiry = certs_asn1_time(X509_get0_notAfter(leaf));
	X509_STORE_CTX_set_error(vc, err);
	return err == X509_V_OK;
}

/* ---------------------------------------------------------------------- */
/* OCSP stapling (TLS-7)                                                   */

/* The issuer of LEAF: in the peer's chain, else among the trust anchors. */
static X509 *certs_issuer(struct certs_conn *c, X509 *leaf,
			  STACK_OF(X509) * chain)
{
	X509_STORE_CTX *vc;
	X509 *issuer = NULL;
	int i;

	for (i = 0; chain && i < sk_X509_num(chain); i++)
		if (X509_check_issued(sk_X509_value(chain, i), leaf) ==
		    X509_V_OK) {
			issuer = sk_X509_value(chain, i);
			X509_up_ref(issuer);
			return issuer;
		}
	vc = X509_STORE_CTX_new();
	if (vc && X509_STORE_CTX_init(vc, c->t->store, leaf, NULL) &&
	    X509_STORE_CTX_get1_issuer(&issuer, vc, leaf) != 1)
		issuer = NULL;
	X509_STORE_CTX_free(vc);
	return issuer;
}

/* Judge the staple DER[0..len) of LEAF: its status, or INVALID with the
 * reason in the connection's failure text. */
static enum certs_ocsp_status certs_staple_check(struct certs_conn *c,
						 const unsigned char *der,
						 long len, X509 *leaf,
						 STACK_OF(X509) * chain)
{
	enum certs_ocsp_status st = CERTS_OCSP_INVALID;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &der, len);
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	X509 *issuer = certs_issuer(c, leaf, chain);
	int status, reason;

	if (!r || OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    !(bs = OCSP_response_get1_basic(r)))
		certs_fail(c, 0, "OCSP staple is not a successful response");
	else if (OCSP_basic_verify(bs, chain, c->t->store, 0) != 1)
		certs_fail(c, 0,
			   "OCSP staple signature does not verify "
			   "(responder not trusted or not authorized)");
	else if (!issuer || !(id = OCSP_cert_to_id(NULL, leaf, issuer)) ||
		 !OCSP_resp_find_status(bs, id, &status, &reason, &rev,
					&thisupd, &nextupd))
		certs_fail(c, 0,
			   "OCSP staple is not about the server's "
			   "certificate");
	else if (!OCSP_check_validity(thisupd, nextupd, 300, -1))
		certs_fail(c, 0,
			   "OCSP staple is not fresh (thisUpdate/"
			   "nextUpdate)");
	else if (status == V_OCSP_CERTSTATUS_GOOD)
		st = CERTS_OCSP_GOOD;
	else if (status == V_OCSP_CERTSTATUS_REVOKED)
		st = CERTS_OCSP_REVOKED;
	else
		st = CERTS_OCSP_UNKNOWN;
	OCSP_CERTID_free(id);
	X509_free(issuer);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	ERR_clear_error();
	return st;
}

/* Client: judge the server's staple by tls_ocsp; 1 accept, 0 refuse. */
static int certs_ocsp_client(SSL *s, struct certs_conn *c)
{
	const unsigned char *der = NULL;
	long len = SSL_get_tlsext_status_ocsp_resp(s, &der);
	X509 *leaf = SSL_get0_peer_certificate(s);
	bool require = c->t->ocsp == CERTS_OCSP_REQUIRE;
	enum certs_ocsp_status st;

	if (len <= 0 || !der || !leaf) {
		c->info.ocsp = CERTS_OCSP_NO_STAPLE;
		if (require)
			certs_fail(c, 0,
				   "no OCSP staple from the server "
				   "(tls_ocsp = require)");
		return !require;
	}
	st = certs_staple_check(c, der, len, leaf, SSL_get_peer_cert_chain(s));
	c->info.ocsp = st;
	switch (st) {
	case CERTS_OCSP_GOOD:
		return 1;
	case CERTS_OCSP_UNKNOWN:
		if (require)
			certs_fail(c, 0,
				   "OCSP status of the server's "
				   "certificate is unknown (tls_ocsp = "
				   "require)");
		return !require;
	case CERTS_OCSP_REVOKED:
		certs_fail(c, 0, "certificate %s is revoked (OCSP staple)",
			   c->info.peer_cert);
		return 0;
	case CERTS_OCSP_INVALID:
	case CERTS_OCSP_NOT_CHECKED:
	case CERTS_OCSP_NO_STAPLE:
		return 0; /* the reason is recorded */
	}
	return 0;
}

/* Server: staple the section's tls_ocsp_response, read afresh. */
static int certs_ocsp_server(SSL *s)
{
	struct certs_ctx *x = certs_ctx_get(SSL_get_SSL_CTX(s));
	unsigned char *buf;
	long len;
	BIO *b;

	if (!x || !x->t || !x->t->staple[0])
		return SSL_TLSEXT_ERR_NOACK;
	b = BIO_new_file(x->t->staple, "rb");
	buf = OPENSSL_malloc(16384);
	len = b && buf ? BIO_read(b, buf, 16384) : -1;
	BIO_free(b);
	if (len <= 0 || len == 16384 ||
	    !SSL_set_tlsext_status_ocsp_resp(s, buf, len)) {
		OPENSSL_free(buf);
		LOGW(SUBSYS, x->t->label, "cannot staple %s", x->t->staple);
		ERR_clear_error();
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK; /* buf belongs to the SSL now */
}

static int certs_ocsp_cb(SSL *s, void *arg)
{
	struct certs_conn *c = SSL_get_ex_data(s, conn_idx);

	(void)arg;
	if (SSL_is_server(s))
		return certs_ocsp_server(s);
	if (!c || !c->t || c->t->ocsp == CERTS_OCSP_OFF)
		return 1;
	return certs_ocsp_client(s, c);
}

static void certs_ctx_policy(SSL_CTX *ctx, struct certs_ctx *c)
{
	(void)c;
	/* TLS-1: 1.2 and 1.3; OpenSSL answers a higher or unknown
	 * ClientHello version with the best it has (no intolerance). */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, 0);
	/* TLS-3, and neither renegotiation nor compression. */
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_cert_verify_callback(ctx, certs_verify, NULL);
	SSL_CTX_set_tlsext_status_cb(ctx, certs_ocsp_cb);
}

/* ---------------------------------------------------------------------- */
/* Handshakes                                                              */

static void certs_addr_str(const struct sockaddr_storage *ss, char *buf,
			   size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static bool certs_is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* Which policy, and what to check, for a new connection. */
static void certs_conn_policy(SSL *s, struct certs_conn *c,
			      const struct certs_peer *p)
{
	struct certs_ctx *x = certs_ctx_get(SSL_get_SSL_CTX(s));
	struct certs_tls *t = NULL;

	if (peer_h && p->peer)
		t = peer_h(p, peer_arg);
	c->t = certs_tls_ref(t ? t : x->t);
	if (!c->t)
		return; /* outgoing: refused in certs_verify() */
	snprintf(c->info.label, sizeof(c->info.label), "%s", c->t->label);
	if (c->info.outgoing) {
		/* A server is verified when we know what to expect. */
		c->check_name = c->t->expected[0] != '\0';
		c->check_chain = c->check_name || c->t->has_trust;
	} else {
		/* A client certificate is asked for with a trust anchor. */
		c->check_chain = c->t->has_trust;
		c->check_name = c->check_chain && c->t->expected[0];
	}
}

static void certs_conn_setup(SSL *s, struct certs_conn *c)
{
	int mode = SSL_VERIFY_NONE;

	if (!c->t) {
		if (c->info.outgoing) /* to refuse it in certs_verify() */
			SSL_set_verify(s, SSL_VERIFY_PEER, NULL);
		return;
	}
	SSL_set_cipher_list(s, c->t->ciphers);
	if (c->info.outgoing) {
		/* SNI: the SP-SSE's domain, never an IP literal (RFC 6066
		 * section 3). */
		if (c->t->expected[0] && !certs_is_ip(c->t->expected)) {
			SSL_set_tlsext_host_name(s, c->t->expected);
			snprintf(c->info.sni, sizeof(c->info.sni), "%s",
				 c->t->expected);
		}
		if (c->check_chain || c->check_name)
			mode = SSL_VERIFY_PEER;
		/* TLS-7: ask for a staple, unless a pin is the trust. */
		if (c->check_chain && c->t->ocsp != CERTS_OCSP_OFF &&
		    !c->t->pin && !c->t->has_pin_sha256)
			SSL_set_tlsext_status_type(s, TLSEXT_STATUSTYPE_ocsp);
	} else if (c->check_chain) {
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	}
	SSL_set_verify(s, mode, NULL);
}

static long long certs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new SSL of a Sofia context: in the list from its first moment, so
 * that a peer silent after the TCP connect is bounded too. */
static struct certs_conn *certs_conn_alloc(SSL *s)
{
	struct certs_conn *c = calloc(1, sizeof(*c));
	struct certs_ctx *x;

	if (!c)
		return NULL;
	c->ssl = s;
	c->start_ms = certs_now_ms();
	x = certs_ctx_get(SSL_get_SSL_CTX(s));
	if (x && x->t) /* the transport's section, until the peer's */
		snprintf(c->info.label, sizeof(c->info.label), "%s",
			 x->t->label);
	c->info.state = CERTS_CONN_HANDSHAKE;
	snprintf(c->info.local, sizeof(c->info.local), "?");
	snprintf(c->info.peer, sizeof(c->info.peer), "?");
	if (!SSL_set_ex_data(s, conn_idx, c)) {
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&conn_lock);
	c->prev = conn_tail;
	if (conn_tail)
		conn_tail->next = c;
	else
		conn_head = c;
	conn_tail = c;
	pthread_mutex_unlock(&conn_lock);
	return c;
}

static void certs_conn_addrs(struct certs_conn *c,
			     struct sockaddr_storage *local, socklen_t *llen,
			     struct sockaddr_storage *peer, socklen_t *plen)
{
	int fd = SSL_get_fd(c->ssl);

	*llen = sizeof(*local);
	*plen = sizeof(*peer);
	if (fd < 0 || getsockname(fd, (struct sockaddr *)local, llen))
		*llen = 0;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)peer, plen))
		*plen = 0;
	pthread_mutex_lock(&conn_lock);
	if (*llen)
		certs_addr_str(local, c->info.local, sizeof(c->info.local));
	if (*plen)
		certs_addr_str(peer, c->info.peer, sizeof(c->info.peer));
	pthread_mutex_unlock(&conn_lock);
}

/* The first SSL_connect/SSL_accept: direction, addresses, policy. */
static void certs_conn_begin(SSL *s, struct certs_conn *c, bool outgoing)
{
	struct sockaddr_storage local = { 0 }, peer = { 0 };
	struct certs_peer p = { .outgoing = outgoing };

	c->begun = true;
	c->info.outgoing = outgoing;
	certs_conn_addrs(c, &local, &p.local_len, &peer, &p.peer_len);
	if (p.local_len)
		p.local = (const struct sockaddr *)&local;
	if (p.peer_len)
		p.peer = (const struct sockaddr *)&peer;
	certs_conn_policy(s, c, &p);
	certs_conn_setup(s, c);
}

/* Why a handshake failed, when our checks did not say. */
static void certs_conn_why(SSL *s, int ret, struct certs_conn *c)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (c->info.failure[0])
		return;
	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		certs_fail(c, 0, "%s", buf);
	} else if (SSL_get_error(s, ret) == SSL_ERROR_SYSCALL) {
		certs_fail(c, 0, "connection closed during the handshake");
	} else {
		certs_fail(c, 0, "handshake failed");
	}
}

static void certs_conn_end(SSL *s, struct certs_conn *c, int ret)
{
	const char *dir = c->info.outgoing ? "to" : "from";
	const char *label = c->info.label[0] ? c->info.label : NULL;
	char when[32] = "-";
	struct tm tm;

	pthread_mutex_lock(&conn_lock);
	if (ret == 1) {
		const char *sni =
			SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);

		c->info.state = CERTS_CONN_UP;
		snprintf(c->info.version, sizeof(c->info.version), "%s",
			 SSL_get_version(s));
		snprintf(c->info.cipher, sizeof(c->info.cipher), "%s",
			 SSL_CIPHER_get_name(SSL_get_current_cipher(s)));
		if (!c->info.outgoing && sni)
			snprintf(c->info.sni, sizeof(c->info.sni), "%s", sni);
	} else {
		c->info.state = CERTS_CONN_FAILED;
		certs_conn_why(s, ret, c);
	}
	pthread_mutex_unlock(&conn_lock);
	if (ret == 1 && !c->info.peer_cert[0]) {
		LOGI(SUBSYS, label, "TLS %s %s up: %s %s, no peer certificate",
		     dir, c->info.peer, c->info.version, c->info.cipher);
	} else if (ret == 1) {
		if (c->info.peer_expiry && gmtime_r(&c->info.peer_expiry, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		LOGI(SUBSYS, label,
		     "TLS %s %s up: %s %s, peer %s (%s%s), expires %s, OCSP "
		     "%s",
		     dir, c->info.peer, c->info.version, c->info.cipher,
		     c->info.peer_cert,
		     c->info.identity[0] ? "verified as "
		     : c->check_chain	 ? "chain verified, no name to check"
					 : "not verified",
		     c->info.identity, when,
		     certs_ocsp_status_name(c->info.ocsp));
	} else {
		LOGW(SUBSYS, label, "TLS %s %s refused: %s", dir, c->info.peer,
		     c->info.failure);
	}
	if (conn_h)
		conn_h(&c->info, conn_arg);
}

static int certs_handshake(SSL *s, bool outgoing)
{
	struct certs_conn *c = SSL_get_ex_data(s, conn_idx);
	int ret, e;

	if (!c)
		c = certs_conn_alloc(s);
	if (c && !c->begun)
		certs_conn_begin(s, c, outgoing);
	ret = outgoing ? real_connect(s) : real_accept(s);
	if (!c || c->info.state != CERTS_CONN_HANDSHAKE)
		return ret;
	if (ret == 1) {
		certs_conn_end(s, c, ret);
		return ret;
	}
	e = SSL_get_error(s, ret);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		certs_conn_end(s, c, ret);
	return ret;
}

static void certs_stamps_on(SSL *s);

int SSL_connect(SSL *s)
{
	certs_resolve_once();
	if (!certs_is_sofia(s))
		return real_connect(s);
	certs_stamps_on(s);
	return certs_handshake(s, true);
}

int SSL_accept(SSL *s)
{
	certs_resolve_once();
	if (!certs_is_sofia(s))
		return real_accept(s);
	certs_stamps_on(s);
	return certs_handshake(s, false);
}

/*
 * Sofia's tls_post_connection_check() asks for the peer certificate to
 * collect its names: that parse leaks ~0.5 KB per handshake (notes 5.7)
 * and would judge the names by Sofia's rules (no IP SANs). A connection
 * certs/ has checked shows Sofia no certificate; Sofia's verify policy for
 * it is TPTLS_VERIFY_NONE (certs_tls_sofia_verify_policy()), so that is
 * accepted.
 */
X509 *SSL_get1_peer_certificate(const SSL *s)
{
	struct certs_conn *c;

	certs_resolve_once();
	c = certs_is_sofia(s) ? SSL_get_ex_data(s, conn_idx) : NULL;
	if (c && c->t)
		return NULL;
	return real_get1_peer_certificate(s);
}

SSL *SSL_new(SSL_CTX *ctx)
{
	SSL *s;

	certs_resolve_once();
	s = real_new(ctx);
	if (s && certs_is_sofia_ctx(ctx))
		certs_conn_alloc(s);
	return s;
}

/* ---------------------------------------------------------------------- */
/* Bounded handshakes                                                      */

static su_timer_t *hs_timer;
static unsigned hs_ms;

/*
 * A handshake older than the bound: shut the socket down. Sofia sees the
 * hang-up and closes its transport the usual way (its SSL_shutdown comes
 * here); we log the one line now.
 */
static void certs_conn_expire(struct certs_conn *c)
{
	struct sockaddr_storage local = { 0 }, peer = { 0 };
	socklen_t llen, plen;
	int fd = SSL_get_fd(c->ssl);

	certs_conn_addrs(c, &local, &llen, &peer, &plen);
	pthread_mutex_lock(&conn_lock);
	c->info.state = CERTS_CONN_FAILED;
	certs_fail(c, 0, "handshake not finished within %u ms", hs_ms);
	pthread_mutex_unlock(&conn_lock);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	LOGW(SUBSYS, c->info.label[0] ? c->info.label : NULL,
	     "TLS %s %s refused: %s",
	     !c->begun		? "with"
	     : c->info.outgoing ? "to"
				: "from",
	     c->info.peer, c->info.failure);
	if (conn_h)
		conn_h(&c->info, conn_arg);
}

static void certs_hs_tick(su_root_magic_t *m, su_timer_t *t,
			  su_timer_arg_t *arg)
{
	long long now = certs_now_ms();
	struct certs_conn *c, *due[64];
	size_t n = 0, i;

	(void)m, (void)t, (void)arg;
	pthread_mutex_lock(&conn_lock);
	for (c = conn_head; c && n < sizeof(due) / sizeof(*due); c = c->next)
		if (c->info.state == CERTS_CONN_HANDSHAKE &&
		    now - c->start_ms >= (long long)hs_ms)
			due[n++] = c;
	pthread_mutex_unlock(&conn_lock);
	/* Only this thread frees connections (Sofia's): still alive. */
	for (i = 0; i < n; i++)
		certs_conn_expire(due[i]);
}

int certs_set_handshake_timeout(su_root_t *root, unsigned ms)
{
	if (hs_timer) {
		su_timer_destroy(hs_timer);
		hs_timer = NULL;
	}
	hs_ms = ms;
	if (!root || !ms)
		return 0;
	hs_timer =
		su_timer_create(su_root_task(root),
				ms / 4 < 1000 ? (ms / 4 ? ms / 4 : 1) : 1000);
	if (!hs_timer || su_timer_run(hs_timer, certs_hs_tick, NULL) < 0) {
		su_timer_destroy(hs_timer);
		hs_timer = NULL;
		return ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* What connections receive (keep-alives, notes 4.3)                       */

/*
 * The kernel's receive time of the oldest data a Sofia TLS connection had
 * waiting when SSL_read() was called on this thread (Sofia reads TLS on
 * the signalling thread, and trunk/ asks while Sofia delivers what it
 * read). OpenSSL reads the socket itself (its socket BIO's read()), so
 * there is no recvmsg() of Sofia's to see, as there is over UDP and TCP
 * (trunk/stun.c): a 1-byte recvmsg(MSG_PEEK) before SSL_read() gets the
 * SO_TIMESTAMPNS stamp of the first segment waiting, and consumes
 * nothing. When nothing new is waiting (OpenSSL still holds records of an
 * earlier read), the stamp of that read stands. The handshake turns the
 * stamps on (certs_stamps_on()), so a connection's first request has one.
 */
static _Thread_local struct {
	int fd;
	bool valid;
	struct timespec ts;
} read_stamp = { -1, false, { 0, 0 } };

static void certs_stamps_on(SSL *s)
{
	int fd = SSL_get_rfd(s), one = 1, e = errno;

	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
				 sizeof(one));
	errno = e;
}

static void certs_read_stamp(SSL *s)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	int fd = SSL_get_rfd(s), e = errno;
	ssize_t n;

	if (fd < 0) {
		read_stamp.valid = false;
		return;
	}
	do
		n = recvmsg(fd, &mh, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	errno = e; /* Sofia reads errno after SSL_read() */
	if (n <= 0) {
		if (read_stamp.fd != fd)
			read_stamp.valid = false;
		return;
	}
	read_stamp.fd = fd;
	read_stamp.valid = false;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&read_stamp.ts, CMSG_DATA(c),
			       sizeof(struct timespec));
			read_stamp.valid = true;
		}
	if (!read_stamp.valid)
		certs_stamps_on(s); /* for the next read */
}

bool certs_tls_last_read_stamp(struct timespec *ts)
{
	if (!read_stamp.valid)
		return false;
	*ts = read_stamp.ts;
	return true;
}

int SSL_read(SSL *s, void *buf, int num)
{
	struct certs_conn *c;
	int ret;

	certs_resolve_once();
	if (!real_read)
		return -1;
	if (s && certs_is_sofia(s))
		certs_read_stamp(s);
	ret = real_read(s, buf, num);
	if (ret > 0 && read_h && s && conn_idx >= 0 &&
	    (c = SSL_get_ex_data(s, conn_idx)) &&
	    c->info.state == CERTS_CONN_UP)
		read_h(&c->info, buf, (size_t)ret, read_arg);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* The leak (notes 5.7)                                                    */

int SSL_shutdown(SSL *s)
{
	int ret;

	certs_resolve_once();
	ret = real_shutdown(s);
	if (s && certs_is_sofia(s)) {
		BIO *b = SSL_get_rbio(s);

		/* tls_free() goes on with BIO_free(bio) and, on this shared
		 * context, SSL_CTX_free(): keep both alive for it. */
		if (b)
			BIO_up_ref(b);
		SSL_CTX_up_ref(SSL_get_SSL_CTX(s));
		SSL_free(s);
		ERR_clear_error(); /* a shutdown on a dead socket */
	}
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                  */

bool certs_sofia_version_ok(const char *name)
{
	return name && !strcmp(name, CERTS_SOFIA_VERSION);
}

static bool certs_active;

bool certs_shim_active(void)
{
	return certs_active;
}

int certs_init(void)
{
	if (certs_active)
		return 0;
	if (!certs_sofia_version_ok(sofia_sip_name_version)) {
		LOGE(SUBSYS, NULL,
		     "Sofia-SIP is %s, but trunkd's TLS repair (certs/) is "
		     "written for %s (Debian 12 libsofia-sip-ua0 "
		     "1.12.11+20110422): refusing to run",
		     sofia_sip_name_version ? sofia_sip_name_version : "(null)",
		     CERTS_SOFIA_VERSION);
		return ENOTSUP;
	}
	certs_resolve_once();
	/* Calls from libsofia-sip-ua.so reach us only if the executable
	 * exports these symbols (certs/meson.build link arguments). */
	if (!real_set_cipher_list || !real_use_certificate_file ||
	    !real_shutdown || !real_connect || !real_accept ||
	    !real_get1_peer_certificate || !real_read || ctx_idx < 0 ||
	    conn_idx < 0 ||
	    dlsym(RTLD_DEFAULT, "SSL_shutdown") != (void *)SSL_shutdown ||
	    dlsym(RTLD_DEFAULT, "SSL_CTX_set_cipher_list") !=
		    (void *)SSL_CTX_set_cipher_list) {
		LOGE(SUBSYS, NULL,
		     "the TLS repair is not in effect (the executable does "
		     "not export certs/'s OpenSSL functions: link it with "
		     "certs_dep): refusing to run");
		return ENOTSUP;
	}
	certs_active = true;
	return 0;
}
