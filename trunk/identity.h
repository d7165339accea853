/*
 * Private to trunk/: the identity headers of a call toward a carrier
 * (SIPconnect 10, ID-6..ID-10, EM-2, EM-3), computed from the dial plan's
 * decision as pure functions (tests/unit/trunk/test_identity.c).
 */
#ifndef TRUNKD_TRUNK_IDENTITY_H
#define TRUNKD_TRUNK_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

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

/*
 * Is NUMBER ("+E164", ID-1 form) an Enterprise Public Identity of a trunk
 * whose `identities` are IDS (N items of a CONFIG_E164_LIST: "+A" or
 * ranges "+A-+B" of equal length)? A trunk that lists none accepts every
 * E.164 number. False for NULL or a number that is not E.164.
 */
bool trunk_identity_is_epi(const char *const *ids, size_t n,
			   const char *number);

/*
 * History-Info (RFC 7044) of a call forwarded by new INVITE (FWD-1,
 * SIPconnect 11.1): the forwarding user's Enterprise Public Identity USER
 * ("+E164") at DOMAIN in ID-1 form as index 1, with the Reason of the
 * retarget (SIP cause CAUSE) escaped in its URI, and the forward-to
 * TARGET_URI as index 1.1, mapped from it (mp=1) with the RFC 4458 cause
 * parameter (302 unconditional, 486 busy, 408 no reply). Writes the header
 * value (no name) into buf. Returns 0, EINVAL (USER not E.164) or ENOSPC.
 */
int trunk_identity_history_info(const char *user, const char *domain,
				const char *target_uri, unsigned cause,
				char *buf, size_t len);

/*
 * Header names trunkd builds itself, or removes, on every leg, and that
 * `pass_headers` may therefore not name (case-insensitive, compact forms
 * included): the dialog and transaction headers, the bodies' headers,
 * credentials, and the policed identity headers (P-Asserted-Identity,
 * P-Preferred-Identity, Privacy, History-Info, Remote-Party-ID, Diversion,
 * Geolocation...).
 */
bool trunk_identity_header_policed(const char *name);

#endif /* TRUNKD_TRUNK_IDENTITY_H */
