/*
 * One section's TLS material: the files of [enterprise] / [trunk NAME]
 * checked at start-up and on reload (TLS-5, TLS-9, TLS-10), and the
 * directory Sofia-SIP's TPTAG_CERTIFICATE reads (notes: agent.pem is
 * certificate + chain + key in one file, cafile.pem the trust anchors;
 * Sofia only logs a bad agent.pem, so every check happens here first).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sofia-sip/tport_tag.h>

#include "certs_int.h"

#define SUBSYS	       "certs"
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* Longest peer chain (leaf excluded) accepted: Sofia's default 2 is too
 * short for leaf + two intermediates + root. */
#define CERTS_VERIFY_DEPTH 5

/* What the loader of one section needs to report errors. */
struct certs_load {
	const struct config_section *sec;
	config_error_h *eh;
	void *arg;
	int errors;
};

static void certs_err(struct certs_load *ld, const char *key, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void certs_err(struct certs_load *ld, const char *key, const char *fmt,
		      ...)
{
	char why[600];
	va_list ap;
	int n;

	n = snprintf(why, sizeof(why), "%s: ", key);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - n, fmt, ap);
	va_end(ap);
	ld->eh(config_section_file(ld->sec), config_key_line(ld->sec, key), why,
	       ld->arg);
	ld->errors++;
	/* The details are in our message; OpenSSL's queue is noise now. */
	ERR_clear_error();
}

/* ---------------------------------------------------------------------- */
/* Small X509 helpers (also used by the shim and the identity check)       */

int certs_x509_sha256(X509 *c, unsigned char out[32])
{
	unsigned int n = 0;

	return X509_digest(c, EVP_sha256(), out, &n) == 1 && n == 32 ? 0
								     : EINVAL;
}

void certs_x509_name(X509 *c, char *buf, size_t len)
{
	X509_NAME *sn = X509_get_subject_name(c);
	char cn[256];

	if (sn &&
	    X509_NAME_get_text_by_NID(sn, NID_commonName, cn, sizeof(cn)) > 0)
		snprintf(buf, len, "CN=%s", cn);
	else if (sn)
		X509_NAME_oneline(sn, buf, (int)len);
	else
		snprintf(buf, len, "(no subject)");
}

time_t certs_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void certs_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	time_t s = certs_asn1_time(t);
	struct tm tm;

	if (s && gmtime_r(&s, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, len, "(bad time)");
}

/* ---------------------------------------------------------------------- */
/* Reading PEM files                                                       */

/* All certificates of a PEM file into *out (a new stack, >= 1 entry). */
static int certs_read_certs(struct certs_load *ld, const char *key,
			    STACK_OF(X509) * *out)
{
	const char *path = config_get_str(ld->sec, key);
	STACK_OF(X509) *sk = NULL;
	X509 *c;
	BIO *b;

	b = BIO_new_file(path, "r");
	if (!b) {
		certs_err(ld, key, "cannot read %s: %s", path, strerror(errno));
		return EINVAL;
	}
	sk = sk_X509_new_null();
	while (sk && (c = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(sk, c)) {
			X509_free(c);
			break;
		}
	BIO_free(b);
	if (!sk || sk_X509_num(sk) == 0) {
		certs_err(ld, key, "%s: no PEM certificate in it", path);
		sk_X509_pop_free(sk, X509_free);
		return EINVAL;
	}
	ERR_clear_error(); /* the PEM reader's end-of-file "error" */
	*out = sk;
	return 0;
}

/* Is C valid now? Reports "expired" / "not yet valid" against KEY. */
static int certs_check_dates(struct certs_load *ld, const char *key, X509 *c,
			     const char *what)
{
	char name[300], when[64];

	certs_x509_name(c, name, sizeof(name));
	if (X509_cmp_current_time(X509_get0_notAfter(c)) < 0) {
		certs_time_str(X509_get0_notAfter(c), when, sizeof(when));
		certs_err(ld, key, "%s: %s %s expired on %s",
			  config_get_str(ld->sec, key), what, name, when);
		return EINVAL;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(c)) > 0) {
		certs_time_str(X509_get0_notBefore(c), when, sizeof(when));
		certs_err(ld, key, "%s: %s %s is not valid before %s",
			  config_get_str(ld->sec, key), what, name, when);
		return EINVAL;
	}
	return 0;
}

struct certs_pass {
	const char *pass;
	bool asked;
};

static int certs_pass_cb(char *buf, int size, int rwflag, void *arg)
{
	struct certs_pass *p = arg;
	size_t n;

	(void)rwflag;
	p->asked = true;
	if (!p->pass)
		return -1;
	n = strlen(p->pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, p->pass, n);
	return (int)n;
}

static int certs_read_key(struct certs_load *ld, const char *pass,
			  EVP_PKEY **out)
{
	const char *path = config_get_str(ld->sec, "tls_key");
	struct certs_pass p = { pass, false };
	EVP_PKEY *k;
	BIO *b;

	b = BIO_new_file(path, "r");
	if (!b) {
		certs_err(ld, "tls_key", "cannot read %s: %s", path,
			  strerror(errno));
		return EINVAL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, certs_pass_cb, &p);
	BIO_free(b);
	if (!k) {
		if (p.asked && !pass)
			certs_err(ld, "tls_key",
				  "%s is encrypted: set tls_key_passphrase",
				  path);
		else if (p.asked)
			certs_err(ld, "tls_key",
				  "cannot decrypt %s (wrong "
				  "tls_key_passphrase?)",
				  path);
		else
			certs_err(ld, "tls_key", "%s: no PEM private key in it",
				  path);
		return EINVAL;
	}
	*out = k;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Our certificate: leaf, chain in order, key, complete path               */

/*
 * The chain must be leaf first, each certificate issued by the next. It is
 * complete when it ends at a self-signed root, at a certificate whose
 * issuer the trust store (tls_ca_file + the system store) has, or at an
 * intermediate CA certificate (its root is the peer's business). A bare
 * leaf whose issuer is known nowhere is "chain incomplete": the usual
 * mistake is a forgotten intermediate (docs/tls.md).
 */
static int certs_check_chain(struct certs_load *ld, STACK_OF(X509) * sk,
			     X509_STORE *trust)
{
	int i, n = sk_X509_num(sk), rc = 0, err;
	char a[300], b[300];
	X509_STORE_CTX *vc;
	STACK_OF(X509) * untrusted;

	for (i = 1; i < n; i++) {
		if (X509_check_issued(sk_X509_value(sk, i),
				      sk_X509_value(sk, i - 1)) == X509_V_OK)
			continue;
		certs_x509_name(sk_X509_value(sk, i), a, sizeof(a));
		certs_x509_name(sk_X509_value(sk, i - 1), b, sizeof(b));
		certs_err(ld, "tls_certificate",
			  "%s: certificate %d (%s) did not issue certificate "
			  "%d (%s): the chain must follow the leaf in order",
			  config_get_str(ld->sec, "tls_certificate"), i + 1, a,
			  i, b);
		return EINVAL;
	}
	vc = X509_STORE_CTX_new();
	untrusted = sk_X509_dup(sk);
	if (!vc || !untrusted ||
	    !X509_STORE_CTX_init(vc, trust, sk_X509_value(sk, 0), untrusted)) {
		rc = ENOMEM;
		goto out;
	}
	/* Dates are checked per certificate, with a clearer message. */
	X509_STORE_CTX_set_flags(vc, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(vc) != 1) {
		err = X509_STORE_CTX_get_error(vc);
		if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
		    err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE) {
			X509 *last = sk_X509_value(sk, n - 1);

			if (X509_check_ca(last) > 0)
				goto out; /* ends at an intermediate */
			certs_x509_name(last, a, sizeof(a));
			X509_NAME_oneline(X509_get_issuer_name(last), b,
					  sizeof(b));
			certs_err(
				ld, "tls_certificate",
				"%s: chain incomplete: no certificate of %s's "
				"issuer (%s); append the intermediate CA "
				"certificates after the leaf",
				config_get_str(ld->sec, "tls_certificate"), a,
				b);
			rc = EINVAL;
		}
	}
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(vc);
	ERR_clear_error();
	return rc;
}

/* The OCSP response we staple must be a successful one about our own
 * certificate (TLS-7); its freshness is the operator's refresh job. */
static int certs_load_staple(struct certs_load *ld, struct certs_tls *t)
{
	const char *path = config_get_str(ld->sec, "tls_ocsp_response");
	OCSP_RESPONSE *r = NULL;
	OCSP_BASICRESP *bs = NULL;
	const ASN1_INTEGER *serial = NULL;
	const char *why = NULL;
	BIO *b;

	b = BIO_new_file(path, "rb");
	if (!b) {
		certs_err(ld, "tls_ocsp_response", "cannot read %s: %s", path,
			  strerror(errno));
		return EINVAL;
	}
	r = d2i_OCSP_RESPONSE_bio(b, NULL);
	BIO_free(b);
	if (!r)
		why = "not a DER OCSP response";
	else if (OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		why = "not a successful OCSP response";
	else if (!(bs = OCSP_response_get1_basic(r)) ||
		 OCSP_resp_count(bs) < 1 ||
		 !OCSP_id_get0_info(NULL, NULL, NULL, (ASN1_INTEGER **)&serial,
				    (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(
					    OCSP_resp_get0(bs, 0))) ||
		 ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(t->cert)))
		why = "not about tls_certificate (serial number differs)";
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	if (why) {
		certs_err(ld, "tls_ocsp_response", "%s: %s", path, why);
		return EINVAL;
	}
	if (!realpath(path, t->staple))
		snprintf(t->staple, sizeof(t->staple), "%s", path);
	return 0;
}

static int certs_load_own(struct certs_load *ld, struct certs_tls *t,
			  X509_STORE *trust)
{
	STACK_OF(X509) *sk = NULL;
	EVP_PKEY *key = NULL;
	int i, rc;

	rc = certs_read_certs(ld, "tls_certificate", &sk);
	for (i = 0; !rc && i < sk_X509_num(sk); i++)
		rc = certs_check_dates(ld, "tls_certificate",
				       sk_X509_value(sk, i),
				       i ? "chain certificate" : "certificate");
	if (!rc)
		rc = certs_check_chain(ld, sk, trust);
	if (certs_read_key(ld, t->passphrase, &key) || rc) {
		rc = EINVAL;
		goto out;
	}
	if (X509_check_private_key(sk_X509_value(sk, 0), key) != 1) {
		char name[300];

		certs_x509_name(sk_X509_value(sk, 0), name, sizeof(name));
		certs_err(ld, "tls_key",
			  "%s does not match the certificate %s of "
			  "tls_certificate",
			  config_get_str(ld->sec, "tls_key"), name);
		rc = EINVAL;
		goto out;
	}
	t->cert = sk_X509_value(sk, 0);
	X509_up_ref(t->cert);
	if (config_is_set(ld->sec, "tls_ocsp_response"))
		rc = certs_load_staple(ld, t);
out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Trust: CA bundle, pinned certificate, pinned fingerprint               */

static int certs_load_ca(struct certs_load *ld, struct certs_tls *t)
{
	STACK_OF(X509) * sk;
	int i, valid = 0;

	if (certs_read_certs(ld, "tls_ca_file", &sk))
		return EINVAL;
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509 *c = sk_X509_value(sk, i);

		/* A bundle may carry an old root: skip it, say so. */
		if (X509_cmp_current_time(X509_get0_notAfter(c)) < 0 ||
		    X509_cmp_current_time(X509_get0_notBefore(c)) > 0) {
			char name[300];

			certs_x509_name(c, name, sizeof(name));
			LOGW(SUBSYS, t->label,
			     "tls_ca_file %s: %s is outside its validity "
			     "period, ignored",
			     config_get_str(ld->sec, "tls_ca_file"), name);
			continue;
		}
		X509_STORE_add_cert(t->store, c);
		valid++;
	}
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error(); /* duplicate certificates in a bundle */
	if (!valid) {
		certs_err(ld, "tls_ca_file",
			  "%s: no certificate in it is currently valid",
			  config_get_str(ld->sec, "tls_ca_file"));
		return EINVAL;
	}
	return 0;
}

static int certs_load_pin(struct certs_load *ld, struct certs_tls *t)
{
	STACK_OF(X509) * sk;
	int rc;

	if (certs_read_certs(ld, "tls_pin_certificate", &sk))
		return EINVAL;
	rc = certs_check_dates(ld, "tls_pin_certificate", sk_X509_value(sk, 0),
			       "pinned certificate");
	if (!rc) {
		t->pin = sk_X509_value(sk, 0);
		X509_up_ref(t->pin);
	}
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static void certs_load_pin_sha256(struct certs_load *ld, struct certs_tls *t)
{
	const char *s = config_get_str(ld->sec, "tls_pin_sha256");
	size_t n = 0;
	int hi = -1;

	(void)ld; /* certs_config_validate() has checked the syntax */
	for (; *s && n < sizeof(t->pin_sha256); s++) {
		int v;

		if (*s == ':')
			continue;
		v = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			t->pin_sha256[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	t->has_pin_sha256 = true;
}

static int certs_load_trust(struct certs_load *ld, struct certs_tls *t)
{
	t->store = X509_STORE_new();
	if (!t->store)
		return ENOMEM;
	if (config_is_set(ld->sec, "tls_pin_certificate"))
		return certs_load_pin(ld, t);
	if (config_is_set(ld->sec, "tls_pin_sha256")) {
		certs_load_pin_sha256(ld, t);
		return 0;
	}
	if (config_is_set(ld->sec, "tls_ca_file"))
		return certs_load_ca(ld, t);
	/* Nothing provisioned: the system trust store (docs/tls.md). */
	if (X509_STORE_set_default_paths(t->store) != 1) {
		ERR_clear_error();
		LOGW(SUBSYS, t->label, "no system trust store (%s)",
		     SYSTEM_CA_FILE);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The directory Sofia reads                                               */

/* Append the bytes of file SRC to fd; 0 or errno. */
static int certs_copy(int fd, const char *src)
{
	char buf[8192];
	ssize_t n;
	int in = open(src, O_RDONLY | O_CLOEXEC), rc = 0;

	if (in < 0)
		return errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			rc = errno ? errno : EIO;
			break;
		}
	if (n < 0)
		rc = errno;
	/* A PEM file without a final newline must not glue two blocks. */
	if (!rc && write(fd, "\n", 1) != 1)
		rc = errno;
	close(in);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* DIR/NAME := concatenation of srcs (NULL-terminated), mode 0600,
 * replaced atomically. */
static int certs_write(const char *dir, const char *name,
		       const char *const *srcs)
{
	char tmp[PATH_MAX + 32], dst[PATH_MAX + 32];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	for (; *srcs && !rc; srcs++)
		rc = certs_copy(fd, *srcs);
	if (close(fd) && !rc)
		rc = errno;
	if (!rc && rename(tmp, dst))
		rc = errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int certs_prepare_dir(struct certs_tls *t,
			     const struct config_section *sec,
			     const char *runtime_dir)
{
	const char *agent[3] = { NULL }, *ca[2] = { NULL };
	char agent_path[PATH_MAX + 16];
	size_t i, n;
	int rc;

	n = (size_t)snprintf(t->dir, sizeof(t->dir), "%s/tls-", runtime_dir);
	for (i = 0; t->label[i] && n + 1 < sizeof(t->dir); i++, n++) {
		char c = t->label[i];

		t->dir[n] = (isalnum((unsigned char)c) || c == '.' ||
			     c == '_' || c == '-')
				    ? c
				    : '-';
	}
	t->dir[n] = '\0';
	if (mkdir(t->dir, 0700) && errno != EEXIST)
		return errno;
	if (chmod(t->dir, 0700))
		return errno;
	snprintf(agent_path, sizeof(agent_path), "%s/agent.pem", t->dir);
	if (config_is_set(sec, "tls_certificate")) {
		agent[0] = config_get_str(sec, "tls_certificate");
		agent[1] = config_get_str(sec, "tls_key");
		rc = certs_write(t->dir, "agent.pem", agent);
		if (rc)
			return rc;
	} else if (unlink(agent_path) && errno != ENOENT) {
		return errno;
	}
	if (config_is_set(sec, "tls_ca_file"))
		ca[0] = config_get_str(sec, "tls_ca_file");
	else if (config_is_set(sec, "tls_pin_certificate"))
		ca[0] = config_get_str(sec, "tls_pin_certificate");
	else
		ca[0] = SYSTEM_CA_FILE;
	return certs_write(t->dir, "cafile.pem", ca);
}

static void certs_reg_add(struct certs_tls *t);

/* ---------------------------------------------------------------------- */
/* Loading a section                                                       */

static const struct {
	const char *config, *openssl;
} certs_optional[] = {
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256" },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA" },
};

static void certs_set_ciphers(struct certs_tls *t,
			      const struct config_section *sec)
{
	const char *const *items;
	size_t n = config_get_list(sec, "tls_optional_ciphers", &items), i, j;

	/* TLS-2: the mandatory suite first, then the configured ones in the
	 * configured order (config has checked the names). */
	snprintf(t->ciphers, sizeof(t->ciphers), "ECDHE-RSA-AES128-GCM-SHA256");
	for (i = 0; i < n; i++)
		for (j = 0;
		     j < sizeof(certs_optional) / sizeof(*certs_optional); j++)
			if (!strcmp(items[i], certs_optional[j].config)) {
				strncat(t->ciphers, ":",
					sizeof(t->ciphers) -
						strlen(t->ciphers) - 1);
				strncat(t->ciphers, certs_optional[j].openssl,
					sizeof(t->ciphers) -
						strlen(t->ciphers) - 1);
			}
}

static void certs_set_basics(struct certs_tls *t,
			     const struct config_section *sec,
			     const struct certs_tls_params *p)
{
	const char *ocsp = config_get_str(sec, "tls_ocsp");

	atomic_init(&t->refs, 1);
	snprintf(t->label, sizeof(t->label), "%s", p->label);
	if (config_is_set(sec, "tls_verify_name"))
		snprintf(t->expected, sizeof(t->expected), "%s",
			 config_get_str(sec, "tls_verify_name"));
	else if (p->default_name)
		snprintf(t->expected, sizeof(t->expected), "%s",
			 p->default_name);
	t->ocsp = !strcmp(ocsp, "require")  ? CERTS_OCSP_REQUIRE
		  : !strcmp(ocsp, "prefer") ? CERTS_OCSP_PREFER
					    : CERTS_OCSP_OFF;
	t->required = config_get_bool(sec, "tls_required");
	t->depth = CERTS_VERIFY_DEPTH;
	t->has_trust = config_is_set(sec, "tls_ca_file") ||
		       config_is_set(sec, "tls_pin_certificate") ||
		       config_is_set(sec, "tls_pin_sha256");
	certs_set_ciphers(t, sec);
}

/* The store our own chain is checked against: tls_ca_file + system. */
static X509_STORE *certs_own_trust(const struct certs_tls *t)
{
	X509_STORE *s = X509_STORE_new();
	STACK_OF(X509) * objs;
	int i;

	if (!s)
		return NULL;
	X509_STORE_set_default_paths(s);
	objs = X509_STORE_get1_all_certs(t->store);
	for (i = 0; objs && i < sk_X509_num(objs); i++)
		X509_STORE_add_cert(s, sk_X509_value(objs, i));
	sk_X509_pop_free(objs, X509_free);
	ERR_clear_error();
	return s;
}

int certs_tls_load(const struct config_section *sec,
		   const struct certs_tls_params *p, config_error_h *eh,
		   void *arg, struct certs_tls **out)
{
	struct certs_load ld = { sec, eh, arg, 0 };
	struct certs_tls *t = calloc(1, sizeof(*t));
	X509_STORE *own = NULL;
	int rc;

	if (!t)
		return ENOMEM;
	certs_set_basics(t, sec, p);
	if (config_is_set(sec, "tls_key_passphrase") &&
	    !(t->passphrase =
		      strdup(config_get_str(sec, "tls_key_passphrase")))) {
		rc = ENOMEM;
		goto out;
	}
	rc = certs_load_trust(&ld, t);
	if (rc == ENOMEM)
		goto out;
	if (config_is_set(sec, "tls_certificate")) {
		own = certs_own_trust(t);
		rc = own ? certs_load_own(&ld, t, own) : ENOMEM;
		if (rc == ENOMEM)
			goto out;
	}
	if (ld.errors) {
		rc = EINVAL;
		goto out;
	}
	rc = certs_prepare_dir(t, sec, p->runtime_dir);
	if (rc) {
		char why[PATH_MAX + 128];

		snprintf(why, sizeof(why), "cannot prepare %s: %s", t->dir,
			 strerror(rc));
		eh(config_section_file(sec), config_section_line(sec), why,
		   arg);
		goto out;
	}
	certs_reg_add(t);
	*out = t;
	t = NULL;
out:
	X509_STORE_free(own);
	certs_tls_deref(t);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* The registry: which section a Sofia context's agent.pem belongs to     */

static pthread_mutex_t certs_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct certs_tls *certs_reg;

static void certs_reg_add(struct certs_tls *t)
{
	pthread_mutex_lock(&certs_reg_lock);
	t->next = certs_reg;
	certs_reg = t;
	pthread_mutex_unlock(&certs_reg_lock);
}

static void certs_reg_remove(struct certs_tls *t)
{
	struct certs_tls **pp;

	pthread_mutex_lock(&certs_reg_lock);
	for (pp = &certs_reg; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	pthread_mutex_unlock(&certs_reg_lock);
}

struct certs_tls *certs_tls_find_dir(const char *dir)
{
	struct certs_tls *t;

	pthread_mutex_lock(&certs_reg_lock);
	for (t = certs_reg; t; t = t->next) { /* newest first */
		int r = atomic_load(&t->refs);

		if (strcmp(t->dir, dir))
			continue;
		/* Not one whose last reference is being dropped. */
		while (r > 0 &&
		       !atomic_compare_exchange_weak(&t->refs, &r, r + 1))
			;
		if (r > 0)
			break;
	}
	pthread_mutex_unlock(&certs_reg_lock);
	return t;
}

/* ---------------------------------------------------------------------- */
/* References and accessors                                                */

struct certs_tls *certs_tls_ref(struct certs_tls *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void certs_tls_deref(struct certs_tls *t)
{
	if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	certs_reg_remove(t);
	if (t->passphrase) {
		explicit_bzero(t->passphrase, strlen(t->passphrase));
		free(t->passphrase);
	}
	X509_STORE_free(t->store);
	X509_free(t->pin);
	X509_free(t->cert);
	free(t);
}

const char *certs_tls_label(const struct certs_tls *t)
{
	return t->label;
}

const char *certs_tls_dir(const struct certs_tls *t)
{
	return t->dir;
}

const char *certs_tls_passphrase(const struct certs_tls *t)
{
	return t->passphrase;
}

unsigned certs_tls_sofia_verify_policy(const struct certs_tls *t)
{
	/* certs/ verifies every handshake itself (sofia_tls_shim.c):
	 * Sofia's checks would refuse IP SANs and honour the CN beside a
	 * SAN. Without the repair in effect, Sofia's checks: the server's
	 * chain and name on outgoing connections, client certificates when
	 * a trust anchor is configured. */
	if (certs_shim_active())
		return TPTLS_VERIFY_NONE;
	return (t->expected[0] ? TPTLS_VERIFY_SUBJECTS_OUT : TPTLS_VERIFY_OUT) |
	       (t->has_trust ? TPTLS_VERIFY_IN : 0);
}

unsigned certs_tls_verify_depth(const struct certs_tls *t)
{
	return t->depth;
}

const char *certs_tls_expected_name(const struct certs_tls *t)
{
	return t->expected[0] ? t->expected : NULL;
}

bool certs_tls_has_certificate(const struct certs_tls *t)
{
	return t->cert != NULL;
}

bool certs_tls_has_trust(const struct certs_tls *t)
{
	return t->has_trust;
}

bool certs_tls_required(const struct certs_tls *t)
{
	return t->required;
}
