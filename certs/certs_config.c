/*
 * TLS settings, part of every [trunk] and of [enterprise] (SIPconnect 8.1,
 * REQUIREMENTS TLS-1..TLS-12). certs/ owns their meaning; the sections that
 * carry them belong to trunk/.
 */
#include <string.h>
#include <stdio.h>
#include <ctype.h>

#include "certs.h"

/* certs/ gives these keys their meaning (certs_tls_load(), the TLS repair
 * in sofia_tls_shim.c; docs/tls.md); trunk/ decides which transports and
 * peers use a section's TLS settings. */
const struct config_key certs_tls_keys[] = {
	{ "tls_ca_file", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_MUST_EXIST,
	  "CA bundle (PEM) that peer certificates must chain to (RFC 5280, "
	  "TLS-5). Without it, tls_pin_certificate or tls_pin_sha256 the "
	  "system trust store is used. On a listening side it also makes a "
	  "client certificate mandatory (mutual TLS, TLS-10)." },
	{ "tls_pin_certificate", CONFIG_PATH, 0, 0, NULL, NULL,
	  CONFIG_F_MUST_EXIST,
	  "Accept only this peer certificate (PEM), instead of a CA (TLS-5); "
	  "it must be within its validity period." },
	{ "tls_pin_sha256", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Accept only a peer certificate with this SHA-256 fingerprint "
	  "(64 hex digits, colons allowed), instead of a CA (TLS-5)." },
	{ "tls_certificate", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_MUST_EXIST,
	  "Our certificate followed by its chain (PEM, leaf first; all of it "
	  "is sent). Checked at start-up and reload: validity dates, order, "
	  "completeness. Optional in Registration mode (TLS-9), needed for "
	  "mutual TLS (TLS-10); a SIP URI subjectAltName is recommended "
	  "(TLS-4)." },
	{ "tls_key", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_MUST_EXIST,
	  "Private key of tls_certificate (PEM, may be encrypted); must match "
	  "the certificate." },
	{ "tls_key_passphrase", CONFIG_STRING, 0, 0, NULL, NULL,
	  CONFIG_F_SECRET, "Passphrase of tls_key, if encrypted." },
	{ "tls_verify_name", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Name the peer certificate must carry (RFC 5922: subjectAltName "
	  "URI or DNS; an IP subjectAltName when this is an IP address; the "
	  "CN only when there is no subjectAltName at all; TLS-6), also sent "
	  "as SNI. Default: a trunk's domain; in [enterprise] none. On a "
	  "listening side, a client certificate's name is checked only when "
	  "this is set." },
	{ "tls_optional_ciphers", CONFIG_LIST, 0, 2,
	  "TLS_RSA_WITH_AES_128_GCM_SHA256|TLS_RSA_WITH_AES_128_CBC_SHA", NULL,
	  0,
	  "TLS 1.2 suites allowed after TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
	  "in this order (TLS-2); unset: that suite alone. TLS 1.3 suites are "
	  "OpenSSL's." },
	{ "tls_ocsp", CONFIG_ENUM, 0, 0, "require|prefer|off", "prefer", 0,
	  "Revocation checking of a TLS server by OCSP stapling (TLS-7): we "
	  "ask for the server's staple and check its signature, freshness and "
	  "certificate; a revoked certificate or a bad staple is always "
	  "refused; require also refuses a server without a staple or with "
	  "status unknown, prefer accepts those, off does not ask. Not used "
	  "with tls_pin_certificate / tls_pin_sha256." },
	{ "tls_ocsp_response", CONFIG_PATH, 0, 0, NULL, NULL,
	  CONFIG_F_MUST_EXIST,
	  "OCSP response (DER, as `openssl ocsp -respout` writes it) for "
	  "tls_certificate, stapled when a TLS client asks (TLS-7). Re-read "
	  "at every such handshake: refresh the file, no reload needed." },
	{ "tls_required", CONFIG_BOOL, 0, 0, NULL, "no", 0,
	  "[trunk]: never UDP/TCP toward the SP-SSE, whatever DNS offers "
	  "(TLS-8). Needs transport = tls (a config error otherwise), with "
	  "which every request goes to TLS targets only (SRV _sips._tcp, "
	  "never NAPTR's UDP or TCP records). [enterprise]: no effect (each "
	  "PBX or phone has its own transport)." },
	{ NULL },
};

static bool certs_hex_fingerprint_ok(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (isxdigit((unsigned char)*s))
			digits++;
		else if (*s != ':')
			return false;
	}
	return digits == 64;
}

/* TLS-5: a CA bundle, or a pinned certificate, or a pinned fingerprint;
 * two of them would leave which one wins to guesswork. */
static int certs_config_one_trust(const struct config_section *sec,
				  config_error_h *eh, void *arg)
{
	static const char *const keys[] = { "tls_ca_file",
					    "tls_pin_certificate",
					    "tls_pin_sha256" };
	const char *first = NULL;
	char why[160];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		if (!config_is_set(sec, keys[i]))
			continue;
		if (!first) {
			first = keys[i];
			continue;
		}
		snprintf(why, sizeof(why),
			 "%s: %s is already set: give one of tls_ca_file, "
			 "tls_pin_certificate, tls_pin_sha256",
			 keys[i], first);
		eh(config_section_file(sec), config_key_line(sec, keys[i]), why,
		   arg);
		return 1;
	}
	return 0;
}

int certs_config_validate(const struct config_section *sec, config_error_h *eh,
			  void *arg)
{
	const char *file = config_section_file(sec);
	int n = 0;

	if (config_is_set(sec, "tls_pin_sha256") &&
	    !certs_hex_fingerprint_ok(config_get_str(sec, "tls_pin_sha256"))) {
		eh(file, config_key_line(sec, "tls_pin_sha256"),
		   "tls_pin_sha256: not a SHA-256 fingerprint (64 hex digits)",
		   arg);
		n++;
	}
	n += certs_config_one_trust(sec, eh, arg);
	if (config_is_set(sec, "tls_ocsp_response") &&
	    !config_is_set(sec, "tls_certificate")) {
		eh(file, config_key_line(sec, "tls_ocsp_response"),
		   "tls_ocsp_response: needs tls_certificate", arg);
		n++;
	}
	if (config_is_set(sec, "tls_certificate") !=
	    config_is_set(sec, "tls_key")) {
		const char *set = config_is_set(sec, "tls_key")
					  ? "tls_key"
					  : "tls_certificate";
		char why[120];

		snprintf(why, sizeof(why),
			 "%s: tls_certificate and tls_key go together", set);
		eh(file, config_key_line(sec, set), why, arg);
		n++;
	}
	return n;
}
