/*
 * media: the RTP/SRTP relay, RFC 4733 DTMF, T.38 and DSP (DESIGN.md 7-9).
 * Media runs on its own threads; the signalling thread talks to it only
 * through commands and events. This header is the module's whole API.
 */
#ifndef TRUNKD_MEDIA_H
#define TRUNKD_MEDIA_H

#include "config/config.h"

/* The [media] section. */
extern const struct config_section_def media_config_section;

/*
 * Bridge spandsp's message handler into the logger (subsystem
 * "media.spandsp"). Idempotent; call once at start-up.
 */
void media_log_bridge_init(void);

/* "libsrtp2 2.5.0, spandsp 20110122" of the running libraries. */
const char *media_version_string(void);

#endif /* TRUNKD_MEDIA_H */
