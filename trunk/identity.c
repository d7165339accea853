/*
 * Outbound identity (see identity.h). The one rule no dial plan can
 * override lives here: an emergency caller is never anonymized (EM-3).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "identity.h"

int trunk_identity_outbound(const struct trunk_identity_in *in,
			    struct trunk_identity_out *out)
{
	bool anonymous =
		in->presentation == DIALPLAN_PRES_RESTRICTED && !in->emergency;
	bool known = in->identity && dialplan_is_e164(in->identity);
	const char *dn = in->caller_display, *user = in->caller_user;
	char id_uri[300] = "";

	memset(out, 0, sizeof(*out));
	if (dialplan_uri_encode(in->number, in->domain, out->ruri,
				sizeof(out->ruri)))
		return EINVAL;
	snprintf(out->to, sizeof(out->to), "<%s>", out->ruri);
	if (known && dialplan_uri_encode(in->identity, in->domain, id_uri,
					 sizeof(id_uri)) == 0)
		snprintf(out->pai, sizeof(out->pai), "<%s>", id_uri);
	if (anonymous) {
		snprintf(out->from, sizeof(out->from),
			 "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
		snprintf(out->privacy, sizeof(out->privacy), "id");
		return 0;
	}
	/* Without an identity, the caller's user at the domain; a user too
	 * long for our From is unknown (never a cut URI). */
	if (!id_uri[0])
		snprintf(id_uri, sizeof(id_uri), "sip:%s@%s",
			 user && *user &&
					 strlen(user) + strlen(in->domain) + 6 <
						 sizeof(id_uri)
				 ? user
				 : "unknown",
			 in->domain);
	/* Sofia keeps a quoted display name with its quotes; a bare one is
	 * quoted here; one with a stray quote is dropped, and so is one too
	 * long for our From (never a cut one: issue 4, bad input). */
	if (dn && strlen(dn) + strlen(id_uri) + 6 > sizeof(out->from))
		dn = NULL;
	if (dn && *dn && dn[0] == '"')
		snprintf(out->from, sizeof(out->from), "%s ", dn);
	else if (dn && *dn && !strchr(dn, '"'))
		snprintf(out->from, sizeof(out->from), "\"%s\" ", dn);
	snprintf(out->from + strlen(out->from),
		 sizeof(out->from) - strlen(out->from), "<%s>", id_uri);
	if (in->presentation == DIALPLAN_PRES_ALLOWED)
		snprintf(out->privacy, sizeof(out->privacy), "none");
	return 0;
}

bool trunk_identity_is_epi(const char *const *ids, size_t n, const char *number)
{
	size_t i, len;

	if (!number || !dialplan_is_e164(number))
		return false;
	if (!n)
		return true;
	len = strlen(number);
	for (i = 0; i < n; i++) {
		const char *dash = strchr(ids[i] + 1, '-');

		if (!dash && !strcmp(ids[i], number))
			return true;
		/* "+A-+B": both ends as long as the number; digits of equal
		 * length compare as text in numeric order. */
		if (dash && (size_t)(dash - ids[i]) == len &&
		    strlen(dash + 1) == len &&
		    strncmp(ids[i], number, len) <= 0 &&
		    strcmp(number, dash + 1) <= 0)
			return true;
	}
	return false;
}

int trunk_identity_history_info(const char *user, const char *domain,
				const char *target_uri, unsigned cause,
				char *buf, size_t len)
{
	char user_uri[300];
	int n;

	if (!dialplan_is_e164(user) ||
	    dialplan_uri_encode(user, domain, user_uri, sizeof(user_uri)))
		return EINVAL;
	/* RFC 7044 9.4 / RFC 7544 4.1: the Reason of the retarget rides
	 * (escaped) in the retargeted entry; the new entry is mapped from
	 * it (mp) and carries the RFC 4458 cause. */
	n = snprintf(buf, len,
		     "<%s?Reason=SIP%%3Bcause%%3D%u>;index=1, "
		     "<%s;cause=%u>;index=1.1;mp=1",
		     user_uri, cause, target_uri, cause);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return ENOSPC;
	}
	return 0;
}

bool trunk_identity_header_policed(const char *name)
{
	/* Full names, then compact forms (RFC 3261 7.3.3, RFC 3515...). */
	static const char *const policed[] = {
		"Via",
		"Route",
		"Record-Route",
		"Contact",
		"From",
		"To",
		"Call-ID",
		"CSeq",
		"Max-Forwards",
		"Content-Type",
		"Content-Length",
		"Content-Encoding",
		"Content-Disposition",
		"Content-Language",
		"MIME-Version",
		"Authorization",
		"Proxy-Authorization",
		"WWW-Authenticate",
		"Proxy-Authenticate",
		"Proxy-Require",
		"Require",
		"Supported",
		"Allow",
		"Expires",
		"Session-Expires",
		"Min-SE",
		"RSeq",
		"RAck",
		"Path",
		"Service-Route",
		"Refer-To",
		"Referred-By",
		"Replaces",
		"P-Asserted-Identity",
		"P-Preferred-Identity",
		"Privacy",
		"History-Info",
		"Remote-Party-ID",
		"Diversion",
		"Geolocation",
		"Geolocation-Routing",
		"Geolocation-Error",
		"Identity",
		"Identity-Info",
		"P-Early-Media",
		"Flow-Timer",
		"User-Agent",
		"Server",
		"v",
		"r",
		"m",
		"f",
		"t",
		"i",
		"l",
		"c",
		"e",
		"k",
		"x",
		"b",
		"y",
		NULL,
	};
	size_t i;

	for (i = 0; name && policed[i]; i++)
		if (!strcasecmp(name, policed[i]))
			return true;
	return !name || !*name;
}
