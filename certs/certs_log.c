/* OpenSSL's error queue, bridged into the trunkd logger. */
#include <openssl/err.h>
#include <openssl/crypto.h>

#include "certs.h"

int certs_log_openssl_errors(enum config_log_level level, const char *ctx)
{
	const char *file, *data;
	int line, flags, n = 0;
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error_all(&file, &line, NULL, &data, &flags))) {
		ERR_error_string_n(e, buf, sizeof(buf));
		LOG_AT(level, "certs.openssl", ctx, "%s%s%s", buf,
		       (flags & ERR_TXT_STRING) && data ? ": " : "",
		       (flags & ERR_TXT_STRING) && data ? data : "");
		n++;
	}
	return n;
}

const char *certs_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
