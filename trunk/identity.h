/*
 * Private to trunk/: the identity headers of a call toward a carrier
 * (SIPconnect 10, ID-6..ID-10, EM-2, EM-3), computed from the dial plan's
 * decision as pure functions (tests/unit/trunk/test_identity.c).
 */
#ifndef TRUNKD_TRUNK_IDENTITY_H
#define TRUNKD_TRUNK_IDENTITY_H

#include <stdbool.h>

#include "dialplan/dialplan.h"

struct trunk_identity_in {
	const char *number; /* the number to call (dial plan result) */
	bool emergency;	    /* EM-1: the dial plan said so */
	enum dialplan_presentation presentation;
	const char *identity;	    /* "+E164" to assert, or NULL/"" */
	const char *caller_display; /* display name (quoted or not), or NULL */
	const char *caller_user;    /* From user when no identity is known */
	const char *domain;	    /* the SP domain (host of the URIs) */
};

struct trunk_identity_out {
	char ruri[300];	 /* ID-6 / EM-2 */
	char to[320];	 /* ID-7: <R-URI> */
	char from[400];	 /* ID-9 */
	char pai[320];	 /* ID-8 ("" when no identity is known) */
	char privacy[8]; /* "id", "none" or "" (ID-10) */
};

/*
 * Build R-URI, To, From, P-Asserted-Identity and Privacy:
 *  - R-URI "sip:+E164@domain;user=phone" or the dial string
 *    "sip:digits@domain" (ID-6; emergency numbers are dial strings, EM-2),
 *    To = <R-URI> (ID-7);
 *  - PAI <sip:+E164@domain;user=phone> for the identity (ID-8 in ID-1 form);
 *  - restricted presentation: From exactly sip:anonymous@anonymous.invalid
 *    and Privacy: id; allowed: Privacy: none to override the carrier's
 *    default (ID-9, ID-10);
 *  - emergency: never anonymous and PAI always kept (EM-3), whatever the
 *    presentation says.
 * Returns 0, or EINVAL when the number or domain cannot form a URI.
 */
int trunk_identity_outbound(const struct trunk_identity_in *in,
			    struct trunk_identity_out *out);

#endif /* TRUNKD_TRUNK_IDENTITY_H */
