/*
 * Private to trunk/: the location of an emergency caller (EM-5..EM-7,
 * SIPconnect 13.1), by value or by reference (`reference = URI`: only a
 * `Geolocation: <URI>` header, no body). The administrator describes each site or
 * extension as a [location NAME] (civic address and/or geodetic point or
 * circle); a [phone] or [pbx] names its location. On an emergency call
 * toward a trunk, trunkd sends the location as a PIDF-LO (RFC 4119, RFC
 * 5491) body part next to the SDP in a multipart/mixed body, with
 * `Content-Disposition: render;handling=optional` (EM-6) and a Content-ID
 * that the `Geolocation: <cid:...>` header names (RFC 6442);
 * `Geolocation-Routing: yes` only when the location says `routing = yes`
 * (EM-7).
 */
#ifndef TRUNKD_TRUNK_LOCATION_H
#define TRUNKD_TRUNK_LOCATION_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* Is URI usable as a location reference (EM-5): http, https, sip or sips,
 * 1-255 characters, no blanks, quotes or angle brackets? */
bool trunk_location_reference_ok(const char *uri);

/* The [location NAME] section (part of trunk_config_schema). */
extern const struct config_section_def trunk_location_section;

/*
 * The PIDF-LO document of LOC for ENTITY (a "pres:" or "sip:" URI naming
 * the caller): one tuple with the civic address (RFC 5139 elements in
 * schema order) and/or one with the geodetic shape (RFC 5491: a
 * gml:Point, or a gs:Circle with a radius in metres, EPSG 4326), method
 * "Manual". Pure: no clock, no I/O. Returns 0 or ENOSPC (buf holds "").
 */
int trunk_location_pidf(const struct config_section *loc, const char *entity,
			char *buf, size_t len);

/*
 * The multipart/mixed body (RFC 2046) of an emergency INVITE: the SDP
 * (SDP_LEN bytes, none when NULL) as the first part, then the PIDF-LO with
 * Content-ID <CID> and Content-Disposition render;handling=optional.
 * BOUNDARY is the boundary of the Content-Type. Returns 0 or ENOSPC.
 */
#define TRUNK_LOCATION_BOUNDARY "trunkd-location-boundary-7f3a9c"
int trunk_location_multipart(const char *sdp, size_t sdp_len, const char *pidf,
			     const char *cid, char *buf, size_t len);

struct su_home_s;
struct msg_payload_s;
struct msg_content_type_s;
/*
 * Replace *pl and *ct (the SDP toward the trunk, or NULL) with the multipart
 * body carrying LOC's PIDF-LO (allocated on home). Returns 0, ENOSPC or
 * ENOMEM; on failure *pl and *ct are unchanged.
 */
int trunk_location_wrap(struct su_home_s *home,
			const struct config_section *loc, const char *entity,
			const char *cid, struct msg_payload_s **pl,
			struct msg_content_type_s **ct);

#endif /* TRUNKD_TRUNK_LOCATION_H */
