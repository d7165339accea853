/*
 * Outbound identity (see identity.h). The one rule no dial plan can
 * override lives here: an emergency caller is never anonymized (EM-3).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "identity.h"

int trunk_identity_outbound(const struct trunk_identity_in *in,
			    struct trunk_identity_out *out)
{
	bool anonymous =
		in->presentation == DIALPLAN_PRES_RESTRICTED && !in->emergency;
	bool known = in->identity && dialplan_is_e164(in->identity);
	const char *dn = in->caller_display;
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
	/* Sofia keeps a quoted display name with its quotes; a bare one is
	 * quoted here; one with a stray quote is dropped. */
	if (dn && *dn && dn[0] == '"')
		snprintf(out->from, sizeof(out->from), "%s ", dn);
	else if (dn && *dn && !strchr(dn, '"'))
		snprintf(out->from, sizeof(out->from), "\"%s\" ", dn);
	if (id_uri[0])
		snprintf(out->from + strlen(out->from),
			 sizeof(out->from) - strlen(out->from), "<%s>", id_uri);
	else
		snprintf(out->from + strlen(out->from),
			 sizeof(out->from) - strlen(out->from), "<sip:%s@%s>",
			 in->caller_user && *in->caller_user ? in->caller_user
							     : "unknown",
			 in->domain);
	if (in->presentation == DIALPLAN_PRES_ALLOWED)
		snprintf(out->privacy, sizeof(out->privacy), "none");
	return 0;
}
