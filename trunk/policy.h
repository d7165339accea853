/*
 * Private to trunk/: the identity and header policy of a call, on Sofia's
 * parsed messages (docs/identity.md). identity.c holds the pure rules
 * (URIs, Enterprise Public Identities, History-Info, the policed names);
 * this file reads leg A's INVITE and the configuration and decides what
 * leg B's INVITE carries, so that call.c only copies the result:
 *
 *  - enterprise -> trunk (SIPconnect 10.2, ID-6..ID-11, EM-2, EM-3): R-URI,
 *    From, P-Asserted-Identity from the enterprise peer's PAI (trusted) or
 *    PPI (accepted), else the dial plan's identity, else the trunk's first
 *    DID; Privacy; P-Preferred-Identity when the trunk wants it; the
 *    headers the trunk's pass_headers names. Nothing else of A's INVITE
 *    crosses: their untrusted PAI, History-Info, Remote-Party-ID... are
 *    removed by construction (a B2BUA builds each request anew).
 *    Emergency calls carry the caller's configured location (EM-5..EM-7,
 *    location.h): Geolocation here, the PIDF-LO body part in call.c.
 *  - trunk -> trunk, a DID the dial plan forwards (FWD-1, SIPconnect
 *    11.1): R-URI = target, From = the original caller, PAI = the
 *    forwarding DID (an identity of the enterprise), History-Info.
 *  - trunk -> enterprise (ID-3, ID-4): the carrier's PAI and Privacy reach
 *    a peer only when it trusts them, a phone never under Privacy: id.
 */
#ifndef TRUNKD_TRUNK_POLICY_H
#define TRUNKD_TRUNK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <sofia-sip/sip.h>

#include "config/config.h"
#include "dialplan/dialplan.h"

struct trunk_policy_in {
	const struct config *cfg;
	/* The [pbx] or [phone] the call came from; NULL: a trunk or none. */
	const struct config_section *peer;
	const struct config_section *trunk; /* leg B's [trunk] */
	bool forward;	/* the call came from a trunk: FWD-1 forward */
	unsigned cause; /* forward: the RFC 4458 cause (0: 302) */
	const struct dialplan_result *res; /* NULL: no dial plan */
	bool dry_run;	  /* trunkctl dialplan test: log at DEBUG only */
	sip_t const *sip; /* leg A's INVITE */
};

struct trunk_policy_out {
	char ruri[300];
	char from[400];
	/* "Name: value\r\n"... for SIPTAG_HEADER_STR (PAI, PPI, Privacy,
	 * History-Info, passed headers). */
	char headers[2048];
	bool emergency;
	char identity[DIALPLAN_NUMBER_MAX + 1]; /* asserted "+E164" or "" */
	const char *identity_source; /* for logs: "dial plan", "PBX PAI"... */
	/* Emergency calls from a peer with a location (EM-5): its
	 * [location] (borrowed from cfg); by value, the Content-ID the
	 * Geolocation header names and the PIDF-LO entity; by reference
	 * (the location's `reference`) both "" and no body. NULL / ""
	 * otherwise. */
	const struct config_section *location;
	char location_cid[96];
	char location_entity[200];
};

/* Leg B's INVITE toward a carrier. Returns 0, or EINVAL when no usable
 * Request-URI can be made (no number, bad domain): 484 for the caller. */
int trunk_policy_outbound(const struct trunk_policy_in *in,
			  struct trunk_policy_out *out);

/* STA-3, REG-13: may a call from TRUNK ring NUMBER (its R-URI user,
 * unescaped)? Only one of the trunk's Enterprise Public Identities, in
 * E.164 form; a trunk without `identities` accepts every number. */
/* STA-3's other half: "a Contact we supplied earlier". In Static mode
 * our Contact toward a carrier has no user part (<sip:HOST:PORT;...>), so
 * a carrier INVITE to it names nobody: it rings the trunk's main number,
 * the first of its `identities` (the first number of a range), like a
 * call to that DID. RURI is the INVITE's Request-URI, OUR_HOST our host
 * on the trunk side (our Contact's). Writes the number into BUF; NULL
 * when RURI has a user part, is not at OUR_HOST, or the trunk lists no
 * identities (then nobody is meant: 404). */
const char *trunk_policy_contact_target(const struct config_section *trunk,
					const url_t *ruri, const char *our_host,
					char *buf, size_t len);

bool trunk_policy_inbound_epi(const struct config_section *trunk,
			      const char *number);

/* Headers a carrier's INVITE passes to the enterprise peer PEER ([pbx] or
 * [phone]; NULL: none), appended to buf (NUL-terminated, cut whole). */
void trunk_policy_inbound(const struct config_section *peer, sip_t const *sip,
			  char *buf, size_t len);

/* Leg B's From toward the enterprise: A's caller (display name, user)
 * at HOST, our address on that side. From a carrier (from_trunk) the
 * caller is the asserted number (ID-3), or exactly "Anonymous"
 * <sip:anonymous@anonymous.invalid> under Privacy: id (ID-4); any From
 * form of the carrier is accepted (ID-5). */
void trunk_policy_enterprise_from(sip_t const *sip, bool from_trunk,
				  const char *host, char *buf, size_t len);

/* The caller's number a carrier asserts: the SIP/SIPS P-Asserted-Identity's
 * user if there is one, else the tel one (ID-3), else NULL. Borrowed. */
const char *trunk_policy_asserted_number(sip_t const *sip);

/* Privacy: id (or user) in the request (ID-4). */
bool trunk_policy_privacy_id(sip_t const *sip);

#endif /* TRUNKD_TRUNK_POLICY_H */
