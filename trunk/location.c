/*
 * Location conveyance by value for emergency calls (see location.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "config/outbuf.h"
#include "location.h"

/* RFC 5139 civic address elements, in the order of its schema. */
static const char *const location_catypes[] = {
	"country", "A1",   "A2",   "A3",  "A4",	 "A5",	  "A6",	     "PRM",
	"PRD",	   "RD",   "STS",  "POD", "POM", "RDSEC", "RDBR",    "RDSUBBR",
	"HNO",	   "HNS",  "LMK",  "LOC", "FLR", "NAM",	  "PC",	     "BLD",
	"UNIT",	   "ROOM", "SEAT", "PLC", "PCN", "POBOX", "ADDCODE", NULL,
};

static const struct config_key location_keys[] = {
	{ "civic", CONFIG_LIST, 0, 32, NULL, NULL, 0,
	  "Civic address (RFC 5139), CAtype=value items: \"country=US, "
	  "A1=NY, A3=New York, RD=Broadway, HNO=1, FLR=3, PC=10004\". "
	  "CAtypes: country, A1-A6, PRM, PRD, RD, STS, POD, POM, RDSEC, "
	  "RDBR, RDSUBBR, HNO, HNS, LMK, LOC, FLR, NAM, PC, BLD, UNIT, ROOM, "
	  "SEAT, PLC, PCN, POBOX, ADDCODE." },
	{ "geodetic", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "WGS 84 position \"LATITUDE LONGITUDE\" in degrees (a point), or "
	  "\"LATITUDE LONGITUDE RADIUS\" with the radius in metres (a "
	  "circle), RFC 5491." },
	{ "reference", CONFIG_STRING, 0, 0, NULL, NULL, 0,
	  "Location by reference (RFC 6442, EM-5): an http, https, sip or "
	  "sips URI where the carrier dereferences the location. Emergency "
	  "calls then carry Geolocation: <URI> and no PIDF-LO body. Excludes "
	  "civic and geodetic (a location goes by value or by reference)." },
	{ "routing", CONFIG_BOOL, 0, 0, NULL, "no", 0,
	  "yes: emergency calls carry Geolocation-Routing: yes, asking the "
	  "carrier to route on this location (EM-7); no: the header is not "
	  "sent." },
	{ NULL },
};

/* "LAT LON [RADIUS]" -> up to three validated tokens (as written). */
static int location_geodetic(const char *text, char tok[3][32])
{
	double v[3];
	int n = 0;
	const char *p = text;

	while (*p && n < 4) {
		size_t l;
		char *end;

		p += strspn(p, " \t");
		l = strcspn(p, " \t");
		if (!l)
			break;
		if (n == 3 || l >= sizeof(tok[0]))
			return EINVAL;
		memcpy(tok[n], p, l);
		tok[n][l] = '\0';
		v[n] = strtod(tok[n], &end);
		if (*end)
			return EINVAL;
		n++;
		p += l;
	}
	if (n < 2 || v[0] < -90 || v[0] > 90 || v[1] < -180 || v[1] > 180 ||
	    (n == 3 && !(v[2] > 0)))
		return EINVAL;
	if (n == 2)
		tok[2][0] = '\0';
	return 0;
}

/* Index of a CAtype, -1 if unknown. */
static int location_catype(const char *item, size_t len)
{
	for (int i = 0; location_catypes[i]; i++)
		if (strlen(location_catypes[i]) == len &&
		    !strncmp(location_catypes[i], item, len))
			return i;
	return -1;
}

bool trunk_location_reference_ok(const char *uri)
{
	static const char *const schemes[] = { "http://", "https://",
					       "sip:", "sips:", NULL };
	size_t i, len = uri ? strlen(uri) : 0;

	if (!len || len > 255)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)uri[i] <= ' ' || uri[i] == '<' ||
		    uri[i] == '>' || uri[i] == '"' || uri[i] == 0x7f)
			return false;
	for (i = 0; schemes[i]; i++)
		if (!strncasecmp(uri, schemes[i], strlen(schemes[i])) &&
		    len > strlen(schemes[i]))
			return true;
	return false;
}

static int location_validate(const struct config_section *sec,
			     config_error_h *eh, void *arg)
{
	const char *const *items;
	size_t i, n = config_get_list(sec, "civic", &items);
	char tok[3][32], why[160];
	int bad = 0;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(items[i], '=');

		if (eq && eq[1] &&
		    location_catype(items[i], (size_t)(eq - items[i])) >= 0)
			continue;
		snprintf(why, sizeof(why),
			 "civic: \"%.40s\" is not CAtype=value with a known "
			 "CAtype (RFC 5139)",
			 items[i]);
		eh(config_section_file(sec), config_key_line(sec, "civic"), why,
		   arg);
		bad++;
	}
	if (config_is_set(sec, "geodetic") &&
	    location_geodetic(config_get_str(sec, "geodetic"), tok)) {
		eh(config_section_file(sec), config_key_line(sec, "geodetic"),
		   "geodetic: expected \"LATITUDE LONGITUDE [RADIUS]\" "
		   "(degrees -90..90, -180..180; radius in metres > 0)",
		   arg);
		bad++;
	}
	if (config_is_set(sec, "reference")) {
		if (n || config_is_set(sec, "geodetic")) {
			eh(config_section_file(sec),
			   config_key_line(sec, "reference"),
			   "reference: a location goes by value (civic, "
			   "geodetic) or by reference, not both",
			   arg);
			bad++;
		}
		if (!trunk_location_reference_ok(
			    config_get_str(sec, "reference"))) {
			eh(config_section_file(sec),
			   config_key_line(sec, "reference"),
			   "reference: expected an http, https, sip or sips "
			   "URI (at most 255 characters, no blanks, quotes or "
			   "angle brackets)",
			   arg);
			bad++;
		}
	} else if (!n && !config_is_set(sec, "geodetic")) {
		eh(config_section_file(sec), config_section_line(sec),
		   "a location needs civic, geodetic or reference", arg);
		bad++;
	}
	return bad;
}

const struct config_section_def trunk_location_section = {
	.name = "location",
	.named = true,
	.help = "[location NAME]: where callers are (a site, an extension), "
		"sent by value or by reference with emergency calls (RFC "
		"6442, EM-5). A [phone] or [pbx] names it with `location`.",
	.keys = { location_keys, NULL },
	.validate = location_validate,
};

/* Text with the five XML specials escaped. */
static void put_xml(struct outbuf *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			outbuf_put(o, "&amp;");
			break;
		case '<':
			outbuf_put(o, "&lt;");
			break;
		case '>':
			outbuf_put(o, "&gt;");
			break;
		case '"':
			outbuf_put(o, "&quot;");
			break;
		case '\'':
			outbuf_put(o, "&apos;");
			break;
		default:
			outbuf_put(o, "%c", s[i]);
		}
	}
}

static void put_geopriv_tail(struct outbuf *o)
{
	outbuf_put(o, "        </gp:location-info>\r\n"
		      "        <gp:usage-rules/>\r\n"
		      "        <gp:method>Manual</gp:method>\r\n"
		      "      </gp:geopriv>\r\n"
		      "    </status>\r\n"
		      "  </tuple>\r\n");
}

static void put_tuple_head(struct outbuf *o, const char *id)
{
	outbuf_put(o,
		   "  <tuple id=\"%s\">\r\n"
		   "    <status>\r\n"
		   "      <gp:geopriv>\r\n"
		   "        <gp:location-info>\r\n",
		   id);
}

static void put_civic(struct outbuf *o, const char *const *items, size_t n)
{
	put_tuple_head(o, "civic");
	outbuf_put(o, "          <ca:civicAddress xml:lang=\"en\">\r\n");
	for (int t = 0; location_catypes[t]; t++) {
		for (size_t i = 0; i < n; i++) {
			const char *eq = strchr(items[i], '=');

			if (!eq ||
			    location_catype(items[i],
					    (size_t)(eq - items[i])) != t)
				continue;
			outbuf_put(o, "            <ca:%s>",
				   location_catypes[t]);
			put_xml(o, eq + 1, strlen(eq + 1));
			outbuf_put(o, "</ca:%s>\r\n", location_catypes[t]);
		}
	}
	outbuf_put(o, "          </ca:civicAddress>\r\n");
	put_geopriv_tail(o);
}

static void put_geodetic(struct outbuf *o, char tok[3][32])
{
	put_tuple_head(o, "geodetic");
	if (tok[2][0])
		outbuf_put(
			o,
			"          <gs:Circle "
			"srsName=\"urn:ogc:def:crs:EPSG::4326\">\r\n"
			"            <gml:pos>%s %s</gml:pos>\r\n"
			"            <gs:radius "
			"uom=\"urn:ogc:def:uom:EPSG::9001\">%s</gs:radius>\r\n"
			"          </gs:Circle>\r\n",
			tok[0], tok[1], tok[2]);
	else
		outbuf_put(o,
			   "          <gml:Point "
			   "srsName=\"urn:ogc:def:crs:EPSG::4326\">\r\n"
			   "            <gml:pos>%s %s</gml:pos>\r\n"
			   "          </gml:Point>\r\n",
			   tok[0], tok[1]);
	put_geopriv_tail(o);
}

int trunk_location_pidf(const struct config_section *loc, const char *entity,
			char *buf, size_t len)
{
	struct outbuf o = { .p = buf, .len = len };
	const char *const *items;
	size_t n = config_get_list(loc, "civic", &items);
	char tok[3][32];

	if (!len)
		return ENOSPC;
	buf[0] = '\0';
	outbuf_put(
		&o,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\r\n"
		"  xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\"\r\n"
		"  xmlns:ca=\"urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr\""
		"\r\n"
		"  xmlns:gml=\"http://www.opengis.net/gml\"\r\n"
		"  xmlns:gs=\"http://www.opengis.net/pidflo/1.0\"\r\n"
		"  entity=\"");
	put_xml(&o, entity, strlen(entity));
	outbuf_put(&o, "\">\r\n");
	if (n)
		put_civic(&o, items, n);
	if (config_is_set(loc, "geodetic") &&
	    !location_geodetic(config_get_str(loc, "geodetic"), tok))
		put_geodetic(&o, tok);
	outbuf_put(&o, "</presence>\r\n");
	if (o.cut) {
		buf[0] = '\0';
		return ENOSPC;
	}
	return 0;
}

int trunk_location_multipart(const char *sdp, size_t sdp_len, const char *pidf,
			     const char *cid, char *buf, size_t len)
{
	struct outbuf o = { .p = buf, .len = len };

	if (!len)
		return ENOSPC;
	buf[0] = '\0';
	/* RFC 2046 5.1.1: the CRLF before each delimiter belongs to it. */
	if (sdp)
		outbuf_put(&o,
			   "--" TRUNK_LOCATION_BOUNDARY "\r\n"
			   "Content-Type: application/sdp\r\n\r\n%.*s\r\n",
			   (int)sdp_len, sdp);
	outbuf_put(&o,
		   "--" TRUNK_LOCATION_BOUNDARY "\r\n"
		   "Content-Type: application/pidf+xml\r\n"
		   "Content-ID: <%s>\r\n"
		   "Content-Disposition: render;handling=optional\r\n\r\n"
		   "%s\r\n"
		   "--" TRUNK_LOCATION_BOUNDARY "--\r\n",
		   cid, pidf);
	if (o.cut) {
		buf[0] = '\0';
		return ENOSPC;
	}
	return 0;
}

int trunk_location_wrap(su_home_t *home, const struct config_section *loc,
			const char *entity, const char *cid, msg_payload_t **pl,
			msg_content_type_t **ct)
{
	size_t sdp_len = *pl ? (size_t)(*pl)->pl_len : 0;
	size_t len = sdp_len + 8192;
	char pidf[6144], *buf = malloc(len);
	sip_payload_t *npl = NULL;
	sip_content_type_t *nct = NULL;
	int rc = ENOMEM;

	if (!buf)
		return ENOMEM;
	rc = trunk_location_pidf(loc, entity, pidf, sizeof(pidf));
	if (!rc)
		rc = trunk_location_multipart(*pl ? (*pl)->pl_data : NULL,
					      sdp_len, pidf, cid, buf, len);
	if (!rc) {
		npl = sip_payload_make(home, buf);
		nct = sip_content_type_make(
			home,
			"multipart/mixed;boundary=" TRUNK_LOCATION_BOUNDARY);
		rc = npl && nct ? 0 : ENOMEM;
	}
	free(buf);
	if (rc)
		return rc;
	*pl = npl;
	*ct = nct;
	return 0;
}
