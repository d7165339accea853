/*
 * certs: the one owner of TLS policy in trunkd (DESIGN.md 2): cipher order,
 * versions, chains, SNI, OCSP, RFC 5922 identity, and the repair of
 * Sofia-SIP's TLS defects. OpenSSL types never leave this module.
 */
#ifndef TRUNKD_CERTS_H
#define TRUNKD_CERTS_H

#include "config/config.h"

/* TLS keys carried by [trunk NAME] and [enterprise] sections. */
extern const struct config_key certs_tls_keys[];

/* Cross-key checks of the TLS keys of one section (config_validate_h). */
int certs_config_validate(const struct config_section *sec, config_error_h *eh,
			  void *arg);

/*
 * Drain OpenSSL's error queue into the logger, one line per error, under
 * subsystem "certs.openssl" with ctx as context. Returns how many.
 */
int certs_log_openssl_errors(enum config_log_level level, const char *ctx);

/* "OpenSSL 3.0.x ..." of the running library. */
const char *certs_openssl_version(void);

#endif /* TRUNKD_CERTS_H */
