/*
 * The repair of Sofia-SIP 1.12.11's TLS (notes: sofia-sip.md section 5):
 * process-wide set-up and the check that the running Sofia-SIP is the build
 * the repair was written for.
 */
#include <errno.h>
#include <string.h>

#include <sofia-sip/su_config.h>
#include <sofia-sip/sofia_features.h>

#include "certs_int.h"

#define SUBSYS "certs"

bool certs_sofia_version_ok(const char *name)
{
	return name && !strcmp(name, CERTS_SOFIA_VERSION);
}

int certs_init(void)
{
	static bool done;

	if (done)
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
	done = true;
	return 0;
}
