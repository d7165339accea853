/*
 * trunk/policy.c: which identity and which headers leg B's INVITE gets,
 * from a parsed leg-A INVITE and the configuration (no network). The wire
 * is proven by integration 060 (policing), 062/064 (FWD-1), 063 (EM-5).
 * REQ: ID-8, ID-11, FWD-1
 */
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>

#include "trunk/policy.h"
#include "trunk/trunk.h"
#include "unit_test.h"

static const char conf[] =
	"[pbx trusted]\naddress = 192.0.2.1\ntrust_identity = yes\n"
	"[pbx plain]\naddress = 192.0.2.2\naccept_preferred_identity = yes\n"
	"[pbx site]\naddress = 192.0.2.3\nlocation = hq\n"
	"[phone alice]\nextension = 200\npassword = x\ntrust_identity = yes\n"
	"[location hq]\ngeodetic = 1 2\nrouting = yes\n"
	"[trunk t]\nmode = static\ndomain = sp.example\n"
	"identities = +15550100000-+15550100099\n"
	"send_preferred_identity = yes\npass_headers = X-Account\n";

static struct config *cfg;
static msg_t *msg;

/* Parse an INVITE whose extra header lines are HDRS ("" for none). */
static sip_t const *invite(const char *from, const char *ruri_user,
			   const char *hdrs)
{
	static bool mclass;
	char text[4096];

	if (!mclass)
		mclass =
			sip_update_default_mclass(sip_extend_mclass(NULL)) == 0;
	snprintf(text, sizeof(text),
		 "INVITE sip:%s@192.0.2.9 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
		 "From: %s;tag=a\r\nTo: <sip:%s@192.0.2.9>\r\n"
		 "Call-ID: c1@192.0.2.1\r\nCSeq: 1 INVITE\r\n%s"
		 "Content-Length: 0\r\n\r\n",
		 ruri_user, from, ruri_user, hdrs);
	msg_destroy(msg);
	msg = msg_make(sip_default_mclass(), 0, text, (ssize_t)strlen(text));
	return msg ? sip_object(msg) : NULL;
}

static const struct config_section *sec(const char *kind, const char *name)
{
	if (!cfg && unit_load(conf, trunk_config_schema, &cfg))
		return NULL;
	return config_section_get(cfg, kind, name);
}

static int run(const char *peer, sip_t const *sip,
	       const struct dialplan_result *res, bool forward,
	       struct trunk_policy_out *out)
{
	struct trunk_policy_in in = {
		.cfg = cfg,
		.peer = peer ? sec("pbx", peer) : NULL,
		.trunk = sec("trunk", "t"),
		.forward = forward,
		.res = res,
		.sip = sip,
	};

	return sip ? trunk_policy_outbound(&in, out) : -1;
}

/* ID-8, ID-11: a trusted PBX's SIP PAI (before its tel PAI) names the
 * caller when it is the trunk's; PPI repeats it; only pass_headers
 * cross. */
static int trusted_pai(void)
{
	struct trunk_policy_out o;
	sip_t const *sip =
		invite("\"Desk\" <sip:2000@192.0.2.1>", "2125551234",
		       "P-Asserted-Identity: <tel:+15550100007>, "
		       "<sip:+15550100042@192.0.2.1;user=phone>\r\n"
		       "History-Info: <sip:2000@192.0.2.1>;index=1\r\n"
		       "X-Account: 42\r\nX-Internal: no\r\n");

	sec("trunk", "t");
	CHECK(run("trusted", sip, NULL, false, &o) == 0);
	CHECK(!strcmp(o.identity, "+15550100042"));
	CHECK(strstr(o.headers,
		     "P-Asserted-Identity: "
		     "<sip:+15550100042@sp.example;user=phone>\r\n"));
	CHECK(strstr(o.headers,
		     "P-Preferred-Identity: "
		     "<sip:+15550100042@sp.example;user=phone>\r\n"));
	CHECK(strstr(o.headers, "X-Account: 42\r\n"));
	/* The name once: Sofia's encoder of an extension header repeats it. */
	CHECK(!strstr(o.headers, "X-Account: X-Account"));
	CHECK(!strstr(o.headers, "X-Internal"));
	CHECK(!strstr(o.headers, "History-Info"));
	CHECK(!strcmp(o.from,
		      "\"Desk\" <sip:+15550100042@sp.example;user=phone>"));
	/* Not the trunk's number: the trunk's default. */
	sip = invite("<sip:2000@192.0.2.1>", "2125551234",
		     "P-Asserted-Identity: <sip:+4930123@192.0.2.1>\r\n");
	CHECK(run("trusted", sip, NULL, false, &o) == 0);
	CHECK(!strcmp(o.identity, "+15550100000"));
	return 0;
}

/* ID-11: an untrusted PBX's PAI is ignored, its accepted PPI chosen;
 * the dial plan's identity comes after the peer's valid offer. */
static int preferred(void)
{
	struct dialplan_result res = { .action = DIALPLAN_ACTION_TRUNK,
				       .number = "+12125551234",
				       .e164 = true,
				       .identity = "+15550100050" };
	struct trunk_policy_out o;
	sip_t const *sip = invite(
		"<sip:2000@192.0.2.2>", "2125551234",
		"P-Asserted-Identity: <sip:+15550100042@192.0.2.2>\r\n"
		"P-Preferred-Identity: <sip:+15550100043@192.0.2.2>\r\n");

	CHECK(sec("trunk", "t"));
	CHECK(run("plain", sip, &res, false, &o) == 0);
	CHECK(!strcmp(o.identity, "+15550100043"));
	CHECK(run("trusted", sip, &res, false, &o) == 0);
	CHECK(!strcmp(o.identity, "+15550100042"));
	CHECK(run(NULL, sip, &res, false, &o) == 0);
	CHECK(!strcmp(o.identity, "+15550100050"));
	CHECK(!strcmp(o.ruri, "sip:+12125551234@sp.example;user=phone"));
	return 0;
}

/* FWD-1: the original caller in From, the DID in PAI, History-Info,
 * Privacy: id kept; a From too long to copy, or of a scheme other than
 * sip, sips and tel, becomes unavailable; a tel: one a SIP URI. */
static int forward(void)
{
	struct dialplan_result res = { .action = DIALPLAN_ACTION_TRUNK,
				       .number = "+12125550000",
				       .e164 = true };
	struct trunk_policy_out o;
	char longfrom[600];
	sip_t const *sip = invite(
		"\"Caller\" <sip:+12125557777@carrier.example;user=phone>",
		"+15550100030", "Privacy: id\r\n");

	CHECK(sec("trunk", "t"));
	CHECK(run(NULL, sip, &res, true, &o) == 0);
	CHECK(!strcmp(o.from, "\"Caller\" "
			      "<sip:+12125557777@carrier.example;user=phone>"));
	CHECK(!strcmp(o.identity, "+15550100030"));
	CHECK(strstr(o.headers,
		     "History-Info: <sip:+15550100030@sp.example;user=phone"
		     "?Reason=SIP%3Bcause%3D302>;index=1, "
		     "<sip:+12125550000@sp.example;user=phone;cause=302>;"
		     "index=1.1;mp=1\r\n"));
	CHECK(strstr(o.headers, "Privacy: id\r\n"));
	memset(longfrom, 0, sizeof(longfrom));
	strcpy(longfrom, "<sip:");
	memset(longfrom + 5, '7', 400);
	strcat(longfrom, "@carrier.example>");
	sip = invite(longfrom, "+15550100030", "");
	CHECK(run(NULL, sip, &res, true, &o) == 0);
	CHECK(!strcmp(o.from, "<sip:unavailable@unknown.invalid>"));
	CHECK(!strstr(o.headers, "Privacy"));
	/* A tel: caller: the same number at the carrier's domain; another
	 * scheme (the sipmsg fuzz target's cid:, which nta would send with
	 * no host): unavailable. */
	sip = invite("\"Tel\" <tel:+12125557777>", "+15550100030", "");
	CHECK(run(NULL, sip, &res, true, &o) == 0);
	CHECK(!strcmp(o.from,
		      "\"Tel\" <sip:+12125557777@sp.example;user=phone>"));
	sip = invite("<cid:ca0751.100.20>", "+15550100030", "");
	CHECK(run(NULL, sip, &res, true, &o) == 0);
	CHECK(!strcmp(o.from, "<sip:unavailable@unknown.invalid>"));
	return 0;
}

/* EM-5, EM-7: an emergency call from a site with a location. */
static int emergency_location(void)
{
	struct dialplan_result res = { .action = DIALPLAN_ACTION_TRUNK,
				       .number = "911",
				       .emergency = true };
	struct trunk_policy_out o;
	sip_t const *sip = invite("<sip:2000@192.0.2.3>", "911", "");

	CHECK(sec("trunk", "t"));
	CHECK(run("site", sip, &res, false, &o) == 0);
	CHECK(o.location && o.emergency);
	CHECK(!strncmp(o.location_cid, "location-", 9));
	CHECK(strstr(o.location_cid, "@trunkd.invalid"));
	CHECK(!strcmp(o.location_entity, "pres:+15550100000@sp.example"));
	CHECK(strstr(o.headers, "Geolocation-Routing: yes\r\n"));
	CHECK(strstr(o.headers, "Geolocation: <cid:"));
	CHECK(strstr(o.headers, o.location_cid));
	/* Not an emergency: no location. */
	res.emergency = false;
	CHECK(run("site", sip, &res, false, &o) == 0);
	CHECK(!o.location && !strstr(o.headers, "Geolocation"));
	return 0;
}

/* ID-3, ID-4: the carrier's PAI and Privacy reach trusted peers only,
 * a phone never under Privacy: id. */
static int inbound(void)
{
	char buf[1024] = "";
	sip_t const *sip =
		invite("<sip:anonymous@anonymous.invalid>", "+15550100007",
		       "P-Asserted-Identity: "
		       "<sip:+12125557777@c.example;user=phone>\r\n"
		       "Privacy: id\r\n");

	CHECK(sec("trunk", "t"));
	trunk_policy_inbound(sec("pbx", "trusted"), sip, buf, sizeof(buf));
	CHECK(!strcmp(buf, "P-Asserted-Identity: "
			   "<sip:+12125557777@c.example;user=phone>\r\n"
			   "Privacy: id\r\n"));
	buf[0] = '\0';
	trunk_policy_inbound(sec("pbx", "plain"), sip, buf, sizeof(buf));
	trunk_policy_inbound(sec("phone", "alice"), sip, buf, sizeof(buf));
	trunk_policy_inbound(NULL, sip, buf, sizeof(buf));
	CHECK(buf[0] == '\0');
	return 0;
}

/* STA-3: a Request-URI without user part at our host (a Contact we
 * supplied) rings the trunk's main number, the first identity; another
 * host, a user part, or no identities: nobody. */
static int contact_target(void)
{
	char buf[64];
	url_t *u = url_make(NULL, "sip:192.0.2.9:5080;transport=udp");
	url_t *other = url_make(NULL, "sip:sp.example");
	url_t *user = url_make(NULL, "sip:+15550100007@192.0.2.9:5080");
	const char *got;

	CHECK(sec("trunk", "t"));
	got = trunk_policy_contact_target(sec("trunk", "t"), u, "192.0.2.9",
					  buf, sizeof(buf));
	CHECK(got && !strcmp(got, "+15550100000"));
	CHECK(!trunk_policy_contact_target(sec("trunk", "t"), other,
					   "192.0.2.9", buf, sizeof(buf)));
	CHECK(!trunk_policy_contact_target(sec("trunk", "t"), user, "192.0.2.9",
					   buf, sizeof(buf)));
	CHECK(!trunk_policy_contact_target(NULL, u, "192.0.2.9", buf,
					   sizeof(buf)));
	su_free(NULL, u);
	su_free(NULL, other);
	su_free(NULL, user);
	return 0;
}

static void cleanup(void)
{
	msg_destroy(msg);
	config_free(cfg);
}

static int with_cleanup(int (*fn)(void))
{
	int rc = fn();

	cleanup();
	return rc;
}

static int c_trusted_pai(void)
{
	return with_cleanup(trusted_pai);
}
static int c_preferred(void)
{
	return with_cleanup(preferred);
}
static int c_forward(void)
{
	return with_cleanup(forward);
}
static int c_emergency_location(void)
{
	return with_cleanup(emergency_location);
}
static int c_inbound(void)
{
	return with_cleanup(inbound);
}

static int c_contact_target(void)
{
	return with_cleanup(contact_target);
}

static const struct unit_case cases[] = {
	{ "trusted_pai", c_trusted_pai },
	{ "preferred", c_preferred },
	{ "forward", c_forward },
	{ "emergency_location", c_emergency_location },
	{ "inbound", c_inbound },
	/* REQ: STA-3 */
	{ "contact_target", c_contact_target },
};

UNIT_MAIN(cases)
