/*
 * Unit tests of certs/'s TLS key table, its validate hook and the OpenSSL
 * error-queue bridge (STYLE.md 16). The TLS keys live in [trunk] and
 * [enterprise]; here they sit in a one-section schema of their own so the
 * test needs only certs/ and config/.
 * REQ: none (configuration and log bridge)
 */
#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>

#include "certs/certs.h"
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

static const struct unit_case cases[] = {
	{ "pin_sha256", t_pin_sha256 },
	{ "cert_without_key", t_cert_without_key },
	{ "missing_file", t_missing_file },
	{ "ciphers_ocsp", t_ciphers_ocsp },
	{ "openssl_errors", t_openssl_errors },
};

UNIT_MAIN(cases)
