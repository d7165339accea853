/*
 * trunk/identity.c: the identity headers toward the carrier.
 * REQ: ID-6, ID-7, ID-8, ID-9, ID-10, EM-2, EM-3
 * (the Enterprise Public Identity check, History-Info and the policed
 * header names are proven on the wire by 060 and 062)
 */
#include <errno.h>
#include <string.h>

#include "unit_test.h"
#include "trunk/identity.h"

static struct trunk_identity_in base(void)
{
	struct trunk_identity_in in = {
		.number = "+442079460123",
		.presentation = DIALPLAN_PRES_DEFAULT,
		.identity = "+442079460100",
		.caller_display = "\"Alice\"",
		.caller_user = "201",
		.domain = "sip.carrier.example",
	};
	return in;
}

/* ID-6, ID-7, ID-8: E.164 R-URI with user=phone, To = R-URI, PAI in the
 * ID-1 form; no Privacy header by default. */
static int e164_call(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;

	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.ruri,
		      "sip:+442079460123@sip.carrier.example;user=phone"));
	CHECK(!strcmp(out.to,
		      "<sip:+442079460123@sip.carrier.example;user=phone>"));
	CHECK(!strcmp(out.pai,
		      "<sip:+442079460100@sip.carrier.example;user=phone>"));
	CHECK(!strcmp(out.from, "\"Alice\" "
				"<sip:+442079460100@sip.carrier.example;"
				"user=phone>"));
	CHECK(out.privacy[0] == '\0');
	return 0;
}

/* ID-6: a number that is not E.164 goes as a dial string. */
static int dial_string(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;

	in.number = "118118";
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.ruri, "sip:118118@sip.carrier.example"));
	CHECK(!strcmp(out.to, "<sip:118118@sip.carrier.example>"));
	return 0;
}

/* ID-9, ID-10: restricted presentation: the exact anonymous From,
 * Privacy: id, and the PAI still there for the carrier. */
static int restricted(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;

	in.presentation = DIALPLAN_PRES_RESTRICTED;
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(strstr(out.from, "<sip:anonymous@anonymous.invalid>"));
	CHECK(!strstr(out.from, "Alice"));
	CHECK(!strcmp(out.privacy, "id"));
	CHECK(out.pai[0] != '\0');
	return 0;
}

/* ID-10: allowed presentation overrides the carrier's default. */
static int allowed(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;

	in.presentation = DIALPLAN_PRES_ALLOWED;
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.privacy, "none"));
	return 0;
}

/* EM-2, EM-3: an emergency call from a restricted caller: dial-string
 * R-URI, never anonymous, PAI kept, no Privacy: id. */
static int emergency_never_anonymous(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;

	in.number = "999";
	in.emergency = true;
	in.presentation = DIALPLAN_PRES_RESTRICTED;
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.ruri, "sip:999@sip.carrier.example"));
	CHECK(!strstr(out.from, "anonymous"));
	CHECK(strstr(out.from, "+442079460100"));
	CHECK(out.pai[0] != '\0');
	CHECK(strcmp(out.privacy, "id"));
	return 0;
}

/* Without an identity: From keeps the caller's user, no PAI invented. */
static int no_identity(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;

	in.identity = NULL;
	in.caller_display = "Bob";
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.from, "\"Bob\" <sip:201@sip.carrier.example>"));
	CHECK(out.pai[0] == '\0');
	return 0;
}

/* ID-8: which numbers are Enterprise Public Identities of a trunk:
 * single numbers and ranges of equal length, nothing else. */
static int epi(void)
{
	static const char *const ids[] = { "+15550100000-+15550100099",
					   "+442079460123" };

	CHECK(trunk_identity_is_epi(ids, 2, "+15550100000"));
	CHECK(trunk_identity_is_epi(ids, 2, "+15550100042"));
	CHECK(trunk_identity_is_epi(ids, 2, "+15550100099"));
	CHECK(!trunk_identity_is_epi(ids, 2, "+15550100100"));
	CHECK(!trunk_identity_is_epi(ids, 2, "+1555010004"));
	CHECK(!trunk_identity_is_epi(ids, 2, "+155501000420"));
	CHECK(trunk_identity_is_epi(ids, 2, "+442079460123"));
	CHECK(!trunk_identity_is_epi(ids, 2, "+442079460124"));
	CHECK(!trunk_identity_is_epi(ids, 2, "15550100042"));
	CHECK(!trunk_identity_is_epi(ids, 2, "+1555;x"));
	CHECK(!trunk_identity_is_epi(ids, 2, NULL));
	/* A trunk without identities takes any E.164 number. */
	CHECK(trunk_identity_is_epi(ids, 0, "+4930123"));
	CHECK(!trunk_identity_is_epi(ids, 0, "2000"));
	return 0;
}

/* FWD-1: RFC 7044 History-Info of a forward. */
static int history_info(void)
{
	char buf[400];

	CHECK(trunk_identity_history_info(
		      "+15550100300", "sp.example",
		      "sip:+12125550000@sp.example;user=phone", 302, buf,
		      sizeof(buf)) == 0);
	CHECK(!strcmp(buf, "<sip:+15550100300@sp.example;user=phone"
			   "?Reason=SIP%3Bcause%3D302>;index=1, "
			   "<sip:+12125550000@sp.example;user=phone;"
			   "cause=302>;index=1.1;mp=1"));
	CHECK(trunk_identity_history_info("300", "sp.example", "sip:x@y", 302,
					  buf, sizeof(buf)) == EINVAL);
	CHECK(trunk_identity_history_info("+15550100300", "sp.example",
					  "sip:x@y", 486, buf, 20) == ENOSPC);
	CHECK(buf[0] == '\0');
	return 0;
}

/* Header policing: what pass_headers may never name. */
static int policed(void)
{
	CHECK(trunk_identity_header_policed("History-Info"));
	CHECK(trunk_identity_header_policed("remote-party-id"));
	CHECK(trunk_identity_header_policed("P-ASSERTED-IDENTITY"));
	CHECK(trunk_identity_header_policed("Via"));
	CHECK(trunk_identity_header_policed("v"));
	CHECK(trunk_identity_header_policed(""));
	CHECK(!trunk_identity_header_policed("User-to-User"));
	CHECK(!trunk_identity_header_policed("X-Account"));
	CHECK(!trunk_identity_header_policed("Subject"));
	return 0;
}

/* Bad input (issue 4): a display name or caller user too long for our
 * From is dropped or replaced, never cut (a cut From is no From). */
static int oversized(void)
{
	struct trunk_identity_in in = base();
	struct trunk_identity_out out;
	char name[3002], user[2001];

	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(user, '7', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	in.caller_display = name;
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.from,
		      "<sip:+442079460100@sip.carrier.example;user=phone>"));
	in.identity = NULL;
	in.caller_user = user;
	in.caller_display = "\"Bob\"";
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.from, "\"Bob\" <sip:unknown@sip.carrier.example>"));
	in.caller_user = "201";
	CHECK(trunk_identity_outbound(&in, &out) == 0);
	CHECK(!strcmp(out.from, "\"Bob\" <sip:201@sip.carrier.example>"));
	return 0;
}

static const struct unit_case cases[] = {
	{ "epi", epi },
	{ "history_info", history_info },
	{ "policed", policed },
	{ "e164_call", e164_call },
	{ "dial_string", dial_string },
	{ "restricted", restricted },
	{ "allowed", allowed },
	{ "emergency_never_anonymous", emergency_never_anonymous },
	{ "no_identity", no_identity },
	{ "oversized", oversized },
};

UNIT_MAIN(cases)
