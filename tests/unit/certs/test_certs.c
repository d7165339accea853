/*
 * Unit tests of certs/'s TLS key table, its validate hook and the OpenSSL
 * error-queue bridge (STYLE.md 16). The TLS keys live in [trunk] and
 * [enterprise]; here they sit in a one-section schema of their own so the
 * test needs only certs/ and config/.
 * The loader cases run certs/test-pki.sh (path in $TEST_PKI) into the
 * case's directory and load sections naming its files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/err.h>

#include <openssl/pem.h>

#include "certs/certs.h"
#include "certs/certs_int.h" /* certs_identity_match(): white box */
#include "unit_test.h"

static const struct config_section_def tls_section = {
	.name = "tls",
	.keys = { certs_tls_keys, NULL },
	.validate = certs_config_validate,
};

static const struct config_section_def *const schema[] = { &tls_section, NULL };

static int t_pin_sha256(void)
{
	static const char good[] =
		"[tls]\ntls_pin_sha256 = "
		"AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
		"AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n";
	struct config *cfg;

	CHECK(unit_load(good, schema, &cfg) == 0);
	config_free(cfg);
	CHECK(unit_load("[tls]\n\ntls_pin_sha256 = abcd\n", schema, &cfg) ==
	      EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "tls_pin_sha256: not a SHA-256 fingerprint"));
	return 0;
}

static int t_cert_without_key(void)
{
	char text[512], pem[300];
	struct config *cfg;

	snprintf(pem, sizeof(pem), "%s/cert.pem", unit_dir);
	unit_write_file(pem, "not really PEM\n");
	CHECK(unit_load("[tls]\ntls_certificate = cert.pem\n", schema, &cfg) ==
	      EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(2, "tls_certificate: tls_certificate and tls_key "
			      "go together"));
	CHECK(unit_load("[tls]\n\ntls_key = cert.pem\n", schema, &cfg) ==
	      EINVAL);
	CHECK(unit_has_err(3, "tls_key: tls_certificate and tls_key"));
	snprintf(text, sizeof(text),
		 "[tls]\ntls_certificate = cert.pem\ntls_key = %s\n", pem);
	CHECK(unit_load(text, schema, &cfg) == 0);
	config_free(cfg);
	return 0;
}

static int t_missing_file(void)
{
	char want[400];
	struct config *cfg;

	CHECK(unit_load("[tls]\ntls_ca_file = ca/none.pem\n", schema, &cfg) ==
	      EINVAL);
	snprintf(want, sizeof(want),
		 "tls_ca_file: cannot read %s/ca/none.pem: No such file or "
		 "directory",
		 unit_dir);
	CHECK(unit_errs.n == 1 && unit_has_err(2, want));
	return 0;
}

static int t_ciphers_ocsp(void)
{
	struct config *cfg;

	CHECK(unit_load("[tls]\ntls_optional_ciphers = "
			"TLS_RSA_WITH_AES_128_CBC_SHA, "
			"TLS_RSA_WITH_AES_128_GCM_SHA256\n",
			schema, &cfg) == 0);
	config_free(cfg);
	CHECK(unit_load("[tls]\ntls_optional_ciphers = RC4_MD5\n"
			"tls_ocsp = maybe\n",
			schema, &cfg) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(2, "'RC4_MD5' is not one of"));
	CHECK(unit_has_err(3, "tls_ocsp: 'maybe' is not one of "
			      "require|prefer|off"));
	return 0;
}

static int logged;

static void openssl_fail(void *arg)
{
	BIO *b;

	ERR_raise_data(ERR_LIB_USER, 1, "detail %d", 7);
	/* A real failure: fopen's errno, then the BIO error. */
	b = BIO_new_file(arg, "r");
	if (b)
		BIO_free(b);
	logged = certs_log_openssl_errors(LOG_LEVEL_ERROR, "trunk itsp1");
}

static int t_openssl_errors(void)
{
	char buf[4096], path[300], *line;
	int lines = 0;

	snprintf(path, sizeof(path), "%s/none.pem", unit_dir);
	ERR_clear_error();
	CHECK(unit_capture(buf, sizeof(buf), openssl_fail, path) > 0);
	CHECK(logged >= 2);
	for (line = buf; *line; line = strchr(line, '\n') + 1) {
		CHECK(strstr(line, "Z ERROR certs.openssl [trunk itsp1] ") ==
		      strchr(line, 'Z'));
		lines++;
	}
	CHECK(lines == logged);
	CHECK(strstr(buf, ": detail 7\n"));
	CHECK(ERR_peek_error() == 0);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* certs_tls_load() over the test PKI                                      */

static void pki(void)
{
	char cmd[600];
	const char *script = getenv("TEST_PKI");

	snprintf(cmd, sizeof(cmd), "'%s' '%s/pki' >/dev/null",
		 script ? script : "certs/test-pki.sh", unit_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "test PKI failed: %s\n", cmd);
		exit(2);
	}
}

/* certs_tls_load()'s errors into unit_errs, like config_load()'s. */
static void unit_collect_error(const char *file, unsigned line,
			       const char *reason, void *arg)
{
	(void)arg;
	if (strcmp(file, unit_conf))
		unit_errs.wrong_file = true;
	if (unit_errs.n == UNIT_MAX_ERRS)
		return;
	unit_errs.line[unit_errs.n] = line;
	snprintf(unit_errs.text[unit_errs.n++], sizeof(unit_errs.text[0]), "%s",
		 reason);
}

/* Load TEXT (a [tls] section) as "trunk t1" expecting the peer DEFNAME;
 * returns certs_tls_load()'s result, errors in unit_errs. */
static int load_tls(const char *text, const char *defname,
		    struct certs_tls **out)
{
	struct certs_tls_params p = { "trunk t1", defname, unit_dir };
	struct config *cfg;
	int rc;

	*out = NULL;
	rc = unit_load(text, schema, &cfg);
	if (rc)
		return rc;
	unit_errs.n = 0;
	rc = certs_tls_load(config_section_get(cfg, "tls", NULL), &p,
			    unit_collect_error, NULL, out);
	config_free(cfg);
	return rc;
}

static size_t count_in_file(const char *path, const char *what)
{
	char buf[16384], *p = buf;
	size_t n = 0, len;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	while ((p = strstr(p, what))) {
		n++;
		p++;
	}
	return n;
}

/* REQ: TLS-5 TLS-4 */
static int t_load_good(void)
{
	char path[400];
	struct certs_tls *t;
	struct stat st;

	pki();
	CHECK(load_tls("[tls]\ntls_ca_file = pki/ca.pem\n"
		       "tls_certificate = pki/gw.pem\ntls_key = pki/leaf.key\n"
		       "tls_optional_ciphers = TLS_RSA_WITH_AES_128_CBC_SHA\n",
		       "carrier.test", &t) == 0);
	snprintf(path, sizeof(path), "%s/tls-trunk-t1", unit_dir);
	CHECK(!strcmp(certs_tls_dir(t), path));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(!strcmp(certs_tls_label(t), "trunk t1"));
	CHECK(!strcmp(certs_tls_expected_name(t), "carrier.test"));
	CHECK(certs_tls_has_certificate(t) && certs_tls_has_trust(t));
	CHECK(certs_tls_passphrase(t) == NULL && !certs_tls_required(t));
	CHECK(certs_tls_verify_depth(t) >= 3);
	snprintf(path, sizeof(path), "%s/tls-trunk-t1/agent.pem", unit_dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(count_in_file(path, "-----BEGIN CERTIFICATE-----") == 1);
	CHECK(count_in_file(path, "-----BEGIN PRIVATE KEY-----") == 1);
	snprintf(path, sizeof(path), "%s/tls-trunk-t1/cafile.pem", unit_dir);
	CHECK(count_in_file(path, "-----BEGIN CERTIFICATE-----") == 1);
	CHECK(count_in_file(path, "-----BEGIN PRIVATE") == 0);
	certs_tls_deref(t);
	/* No own certificate (TLS-9): no agent.pem, the old one removed;
	 * no trust configured: the system store is Sofia's cafile. */
	CHECK(load_tls("[tls]\ntls_verify_name = sip.carrier.test\n",
		       "carrier.test", &t) == 0);
	CHECK(!certs_tls_has_certificate(t) && !certs_tls_has_trust(t));
	CHECK(!strcmp(certs_tls_expected_name(t), "sip.carrier.test"));
	snprintf(path, sizeof(path), "%s/tls-trunk-t1/agent.pem", unit_dir);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/tls-trunk-t1/cafile.pem", unit_dir);
	CHECK(count_in_file(path, "-----BEGIN CERTIFICATE-----") > 1);
	certs_tls_deref(t);
	return 0;
}

/* REQ: TLS-5 */
static int t_load_chain(void)
{
	char path[400];
	struct certs_tls *t;

	pki();
	CHECK(load_tls("[tls]\ntls_ca_file = pki/ca.pem\n"
		       "tls_certificate = pki/chain.pem\n"
		       "tls_key = pki/leaf.key\n",
		       NULL, &t) == 0);
	snprintf(path, sizeof(path), "%s/agent.pem", certs_tls_dir(t));
	CHECK(count_in_file(path, "-----BEGIN CERTIFICATE-----") == 2);
	CHECK(certs_tls_expected_name(t) == NULL);
	certs_tls_deref(t);
	/* The leaf without its intermediate. */
	CHECK(load_tls("[tls]\ntls_ca_file = pki/ca.pem\n\n"
		       "tls_certificate = pki/inter-leaf.pem\n"
		       "tls_key = pki/leaf.key\n",
		       NULL, &t) == EINVAL);
	CHECK(t == NULL && unit_errs.n == 1);
	CHECK(unit_has_err(4, "inter-leaf.pem: chain incomplete: no "
			      "certificate of CN=carrier.test's issuer "
			      "(/CN=trunkd test intermediate CA)"));
	/* Chain in the wrong order. */
	snprintf(path, sizeof(path), "%s/bad-order.pem", unit_dir);
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd),
			 "cat '%s/pki/inter.pem' "
			 "'%s/pki/inter-leaf.pem' > '%s'",
			 unit_dir, unit_dir, path);
		CHECK(system(cmd) == 0);
	}
	CHECK(load_tls("[tls]\ntls_ca_file = pki/ca.pem\n"
		       "tls_certificate = bad-order.pem\n"
		       "tls_key = pki/leaf.key\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_has_err(3, "certificate 2 (CN=carrier.test) did not issue "
			      "certificate 1 (CN=trunkd test intermediate "
			      "CA)"));
	return 0;
}

/* REQ: TLS-5 */
static int t_load_dates(void)
{
	struct certs_tls *t;

	pki();
	CHECK(load_tls("[tls]\ntls_ca_file = pki/ca.pem\n"
		       "tls_certificate = pki/expired.pem\n"
		       "tls_key = pki/leaf.key\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "pki/expired.pem: certificate CN=carrier.test "
			      "expired on 2021-01-01 00:00:00 UTC"));
	CHECK(load_tls("[tls]\ntls_certificate = pki/future.pem\n"
		       "tls_key = pki/leaf.key\ntls_ca_file = pki/ca.pem\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_has_err(2, "future.pem: certificate CN=carrier.test is "
			      "not valid before 2099-01-01 00:00:00 UTC"));
	CHECK(load_tls("[tls]\ntls_pin_certificate = pki/expired.pem\n", NULL,
		       &t) == EINVAL);
	CHECK(unit_has_err(2, "tls_pin_certificate: "));
	CHECK(unit_has_err(2, "pinned certificate CN=carrier.test expired"));
	CHECK(load_tls("[tls]\ntls_ca_file = pki/expired.pem\n", NULL, &t) ==
	      EINVAL);
	CHECK(unit_has_err(2, "expired.pem: no certificate in it is "
			      "currently valid"));
	return 0;
}

/* REQ: TLS-5 */
static int t_load_key(void)
{
	char buf[4096];
	struct certs_tls *t;
	size_t i;

	pki();
	CHECK(load_tls("[tls]\ntls_certificate = pki/carrier.pem\n"
		       "tls_key = pki/wrong.key\ntls_ca_file = pki/ca.pem\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_errs.n == 1);
	CHECK(unit_has_err(3, "tls_key: " /* the file name follows */));
	CHECK(unit_has_err(3, "pki/wrong.key does not match the certificate "
			      "CN=carrier.test of tls_certificate"));
	CHECK(load_tls("[tls]\ntls_certificate = pki/carrier.pem\n"
		       "tls_key = pki/leaf-enc.key\ntls_ca_file = pki/ca.pem\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_has_err(3, "leaf-enc.key is encrypted: set "
			      "tls_key_passphrase"));
	CHECK(load_tls("[tls]\ntls_certificate = pki/carrier.pem\n"
		       "tls_key = pki/leaf-enc.key\ntls_ca_file = pki/ca.pem\n"
		       "tls_key_passphrase = nottheone\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_has_err(3, "cannot decrypt "));
	CHECK(unit_has_err(3, "leaf-enc.key (wrong tls_key_passphrase?)"));
	for (i = 0; i < unit_errs.n; i++)
		CHECK(!strstr(unit_errs.text[i], "nottheone"));
	CHECK(load_tls("[tls]\ntls_certificate = pki/carrier.pem\n"
		       "tls_key = pki/leaf-enc.key\ntls_ca_file = pki/ca.pem\n"
		       "tls_key_passphrase = test-passphrase\n",
		       NULL, &t) == 0);
	CHECK(!strcmp(certs_tls_passphrase(t), "test-passphrase"));
	/* agent.pem keeps the key encrypted (Sofia gets the passphrase). */
	snprintf(buf, sizeof(buf), "%s/agent.pem", certs_tls_dir(t));
	CHECK(count_in_file(buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----") == 1);
	certs_tls_deref(t);
	return 0;
}

/* REQ: TLS-5 */
static int t_load_bad_files(void)
{
	char path[400];
	struct certs_tls *t;
	struct certs_tls_params p = { "enterprise", NULL, unit_dir };
	struct config *cfg;

	pki();
	snprintf(path, sizeof(path), "%s/garbage.pem", unit_dir);
	unit_write_file(path, "this is not PEM\n");
	CHECK(load_tls("[tls]\ntls_certificate = garbage.pem\n"
		       "tls_key = garbage.pem\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(2, "garbage.pem: no PEM certificate in it"));
	CHECK(unit_has_err(3, "garbage.pem: no PEM private key in it"));
	CHECK(load_tls("[tls]\ntls_ca_file = garbage.pem\n", NULL, &t) ==
	      EINVAL);
	CHECK(unit_has_err(2, "tls_ca_file: "));
	/* A file gone between the config check and the load (reload). */
	CHECK(unit_load("[tls]\ntls_ca_file = pki/ca.pem\n", schema, &cfg) ==
	      0);
	snprintf(path, sizeof(path), "%s/pki/ca.pem", unit_dir);
	CHECK(unlink(path) == 0);
	unit_errs.n = 0;
	CHECK(certs_tls_load(config_section_get(cfg, "tls", NULL), &p,
			     unit_collect_error, NULL, &t) == EINVAL);
	config_free(cfg);
	CHECK(unit_has_err(2, "pki/ca.pem: No such file or directory"));
	/* Two kinds of trust at once. */
	CHECK(load_tls("[tls]\ntls_ca_file = pki/gw.pem\n"
		       "tls_pin_certificate = pki/carrier.pem\n",
		       NULL, &t) == EINVAL);
	CHECK(unit_has_err(3, "tls_pin_certificate: tls_ca_file is already "
			      "set"));
	return 0;
}

static int t_sofia_version(void)
{
	CHECK(certs_sofia_version_ok("sofia-sip-1.12.11devel"));
	CHECK(!certs_sofia_version_ok("sofia-sip-1.13.17"));
	CHECK(!certs_sofia_version_ok("sofia-sip-1.12.11"));
	CHECK(!certs_sofia_version_ok(NULL));
	/* This machine runs Debian 12's build. */
	CHECK(certs_init() == 0 && certs_init() == 0);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* RFC 5922 identity over the test PKI (identity.c)                        */

static X509 *pem(const char *name)
{
	char path[400];
	X509 *c = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pki/%s", unit_dir, name);
	f = fopen(path, "r");
	if (f) {
		c = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return c;
}

/* certs_identity_match(pki/NAME, expected); "had" into HAD. */
static int idm(const char *name, const char *expected, char *had, size_t len)
{
	X509 *c = pem(name);
	int rc = c ? certs_identity_match(c, expected, had, len) : -1;

	X509_free(c);
	return rc;
}

/* REQ: TLS-6 */
static int t_identity(void)
{
	char had[300];
	char cmd[1200];

	pki();
	CHECK(idm("carrier.pem", "carrier.test", had, sizeof(had)) == 0);
	CHECK(!strcmp(had, "URI:sip:carrier.test DNS:carrier.test "
			   "DNS:localhost IP:127.0.0.1 IP:::1"));
	CHECK(idm("carrier.pem", "CARRIER.Test.", had, sizeof(had)) == 0);
	CHECK(idm("carrier.pem", "localhost", had, sizeof(had)) == 0);
	CHECK(idm("carrier.pem", "127.0.0.1", had, sizeof(had)) == 0);
	CHECK(idm("carrier.pem", "::1", had, sizeof(had)) == 0);
	CHECK(idm("carrier.pem", "127.0.0.2", had, sizeof(had)) == EACCES);
	CHECK(idm("carrier.pem", "sub.carrier.test", had, sizeof(had)) ==
	      EACCES);
	CHECK(idm("carrier.pem", "", had, sizeof(had)) == EINVAL);
	/* A SIP URI SAN alone names the domain. */
	CHECK(idm("uri-only.pem", "carrier.test", had, sizeof(had)) == 0);
	CHECK(!strcmp(had, "URI:sip:carrier.test"));
	/* The CN only without any subjectAltName. */
	CHECK(idm("cn-only.pem", "carrier.test", had, sizeof(had)) == 0);
	CHECK(!strcmp(had, "CN:carrier.test"));
	CHECK(idm("cn-ignored.pem", "carrier.test", had, sizeof(had)) ==
	      EACCES);
	CHECK(!strcmp(had, "DNS:other.test"));
	CHECK(idm("wronghost.pem", "carrier.test", had, sizeof(had)) == EACCES);
	/* An IP SAN for a peer configured by IP; never for a name, and the
	 * CN "127.0.0.1" does not count beside a SAN. */
	CHECK(idm("ip-only.pem", "127.0.0.1", had, sizeof(had)) == 0);
	CHECK(!strcmp(had, "IP:127.0.0.1"));
	CHECK(idm("ip-only.pem", "127.0.0.2", had, sizeof(had)) == EACCES);
	/* URIs: user parts and other schemes name no domain; sips, a port
	 * and parameters do not matter; no wildcards. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/pki' && openssl req -x509 -key wrong.key -subj "
		 "/CN=carrier.test -days 1 -out uris.pem -addext "
		 "'subjectAltName=URI:sip:alice@carrier.test,"
		 "URI:https://web.test/,URI:sips:SIP.Carrier.test:5061;"
		 "transport=tls,DNS:*.wild.test' 2>/dev/null",
		 unit_dir);
	CHECK(system(cmd) == 0);
	CHECK(idm("uris.pem", "carrier.test", had, sizeof(had)) == EACCES);
	CHECK(idm("uris.pem", "web.test", had, sizeof(had)) == EACCES);
	CHECK(idm("uris.pem", "sip.carrier.test", had, sizeof(had)) == 0);
	CHECK(idm("uris.pem", "a.wild.test", had, sizeof(had)) == EACCES);
	CHECK(strstr(had, "URI:sip:alice@carrier.test URI:https://web.test/"));
	return 0;
}

static const struct unit_case cases[] = {
	{ "pin_sha256", t_pin_sha256 },
	{ "cert_without_key", t_cert_without_key },
	{ "missing_file", t_missing_file },
	{ "ciphers_ocsp", t_ciphers_ocsp },
	{ "openssl_errors", t_openssl_errors },
	{ "load_good", t_load_good },
	{ "load_chain", t_load_chain },
	{ "load_dates", t_load_dates },
	{ "load_key", t_load_key },
	{ "load_bad_files", t_load_bad_files },
	{ "sofia_version", t_sofia_version },
	{ "identity", t_identity },
};

UNIT_MAIN(cases)
