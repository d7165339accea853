/*
 * trunk/location.c: the [location] section, the PIDF-LO document and the
 * multipart body of emergency calls. The wire (Geolocation header, cid:
 * equal to Content-ID, Geolocation-Routing) is proven by integration 063.
 * (and, by reference, the Geolocation URI header without a body).
 * REQ: EM-5, EM-6
 */
#include <errno.h>
#include <string.h>

#include "trunk/location.h"
#include "trunk/trunk.h"
#include "unit_test.h"

static const struct config_section *loc_of(const char *text,
					   struct config **cfg)
{
	if (unit_load(text, trunk_config_schema, cfg))
		return NULL;
	return config_section_get(*cfg, "location", "x");
}

/* EM-5: civic elements in RFC 5139 schema order whatever the config's
 * order, XML specials escaped, a circle with its radius in metres. */
static int pidf_civic_circle(void)
{
	struct config *cfg;
	const struct config_section *loc = loc_of(
		"[location x]\n"
		"civic = HNO=12, country=DE, A1=Berlin, RD=<Unter> \"L\"\n"
		"geodetic = 52.5163 13.3777 25\n",
		&cfg);
	char buf[4096];
	const char *c, *a1, *rd, *hno;

	CHECK(loc);
	CHECK(trunk_location_pidf(loc, "pres:+4930123@sp.example", buf,
				  sizeof(buf)) == 0);
	CHECK(strstr(buf, "entity=\"pres:+4930123@sp.example\""));
	c = strstr(buf, "<ca:country>DE</ca:country>");
	a1 = strstr(buf, "<ca:A1>Berlin</ca:A1>");
	rd = strstr(buf, "<ca:RD>&lt;Unter&gt; &quot;L&quot;</ca:RD>");
	hno = strstr(buf, "<ca:HNO>12</ca:HNO>");
	CHECK(c && a1 && rd && hno && c < a1 && a1 < rd && rd < hno);
	CHECK(strstr(buf,
		     "<gs:Circle srsName=\"urn:ogc:def:crs:EPSG::4326\">"
		     "\r\n            <gml:pos>52.5163 13.3777</gml:pos>"));
	CHECK(strstr(buf, "<gs:radius uom=\"urn:ogc:def:uom:EPSG::9001\">25"
			  "</gs:radius>"));
	CHECK(strstr(buf, "<gp:method>Manual</gp:method>"));
	CHECK(strstr(buf, "</presence>\r\n"));
	CHECK(trunk_location_pidf(loc, "pres:x@y", buf, 100) == ENOSPC);
	CHECK(buf[0] == '\0');
	config_free(cfg);
	return 0;
}

/* EM-5: a point alone; no civic tuple. */
static int pidf_point(void)
{
	struct config *cfg;
	const struct config_section *loc =
		loc_of("[location x]\ngeodetic = -33.8688 151.2093\n", &cfg);
	char buf[4096];

	CHECK(loc);
	CHECK(trunk_location_pidf(loc, "pres:a@b", buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "<gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\">"
			  "\r\n            <gml:pos>-33.8688 151.2093"
			  "</gml:pos>"));
	CHECK(!strstr(buf, "civicAddress"));
	CHECK(!strstr(buf, "Circle"));
	config_free(cfg);
	return 0;
}

/* EM-6: the multipart body: SDP first, then the PIDF-LO with its
 * Content-ID and handling=optional, closed by the final delimiter. */
static int multipart(void)
{
	static const char sdp[] = "v=0\r\nm=audio 4000 RTP/AVP 0\r\n";
	char buf[1024];

	CHECK(trunk_location_multipart(sdp, strlen(sdp), "<presence/>",
				       "loc1@h", buf, sizeof(buf)) == 0);
	CHECK(!strcmp(buf, "--" TRUNK_LOCATION_BOUNDARY "\r\n"
			   "Content-Type: application/sdp\r\n\r\n"
			   "v=0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n"
			   "--" TRUNK_LOCATION_BOUNDARY "\r\n"
			   "Content-Type: application/pidf+xml\r\n"
			   "Content-ID: <loc1@h>\r\n"
			   "Content-Disposition: render;handling=optional\r\n"
			   "\r\n<presence/>\r\n"
			   "--" TRUNK_LOCATION_BOUNDARY "--\r\n"));
	/* Late offer: the location alone. */
	CHECK(trunk_location_multipart(NULL, 0, "<p/>", "c@h", buf,
				       sizeof(buf)) == 0);
	CHECK(!strstr(buf, "application/sdp"));
	CHECK(trunk_location_multipart(sdp, strlen(sdp), "<p/>", "c@h", buf,
				       40) == ENOSPC);
	return 0;
}

/* Config errors at their lines: unknown CAtype, bad coordinates, a
 * location without either form. */
static int config_errors(void)
{
	struct config *cfg;

	CHECK(unit_load("[location a]\ncivic = country=US, XX=1\n"
			"geodetic = 91 0\n[location b]\nrouting = yes\n",
			trunk_config_schema, &cfg) == EINVAL);
	CHECK(unit_errs.n == 3);
	CHECK(unit_has_err(2, "XX=1"));
	CHECK(unit_has_err(3, "geodetic"));
	CHECK(unit_has_err(4, "needs civic, geodetic or reference"));
	CHECK(unit_load("[location a]\ngeodetic = 1 2 0\n", trunk_config_schema,
			&cfg) == EINVAL);
	CHECK(unit_load("[location a]\ngeodetic = 1 2 3 4\n",
			trunk_config_schema, &cfg) == EINVAL);
	CHECK(unit_load("[location a]\ngeodetic = 1.5 -2.25 10\n",
			trunk_config_schema, &cfg) == 0);
	config_free(cfg);
	return 0;
}

/* EM-5 by reference: the URI's scheme and form, at its line; not with a
 * location by value. */
static int reference(void)
{
	struct config *cfg;

	CHECK(trunk_location_reference_ok("https://lis.example.com/l/1?a=b"));
	CHECK(trunk_location_reference_ok("HTTP://lis.example.com/"));
	CHECK(trunk_location_reference_ok("sip:loc-7@lis.example.com"));
	CHECK(trunk_location_reference_ok("sips:loc-7@lis.example.com"));
	CHECK(!trunk_location_reference_ok("ftp://lis.example.com/"));
	CHECK(!trunk_location_reference_ok("https://"));
	CHECK(!trunk_location_reference_ok("sip:"));
	CHECK(!trunk_location_reference_ok("https://a b/"));
	CHECK(!trunk_location_reference_ok("https://a/<x>"));
	CHECK(!trunk_location_reference_ok("https://a/\"x\""));
	CHECK(!trunk_location_reference_ok(""));
	CHECK(!trunk_location_reference_ok(NULL));
	CHECK(unit_load("[location a]\nreference = ftp://x/\n"
			"[location b]\ncivic = country=US\n"
			"reference = https://lis.example.com/b\n",
			trunk_config_schema, &cfg) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(2, "http, https, sip or sips"));
	CHECK(unit_has_err(5, "by value (civic, geodetic) or by reference"));
	CHECK(unit_load("[location a]\nreference = https://lis.example.com/a\n"
			"routing = yes\n",
			trunk_config_schema, &cfg) == 0);
	config_free(cfg);
	return 0;
}

static const struct unit_case cases[] = {
	{ "pidf_civic_circle", pidf_civic_circle },
	{ "pidf_point", pidf_point },
	{ "multipart", multipart },
	{ "config_errors", config_errors },
	{ "reference", reference },
};

UNIT_MAIN(cases)
