/*
 * spandsp reports through one process-wide message handler; route it into
 * the trunkd logger so operators see one stream with one level control.
 */
#include <string.h>
#include <stdio.h>
#include <spandsp.h>
#include <spandsp/version.h>
#include <srtp2/srtp.h>

#include "media.h"

static void media_spandsp_message(int level, const char *text)
{
	enum config_log_level lvl;
	size_t len = strlen(text);

	/* spandsp levels: 1 error, 2 warning, 3 protocol error, then flow
	 * and debug detail. */
	if (level <= SPAN_LOG_ERROR)
		lvl = LOG_LEVEL_ERROR;
	else if (level <= SPAN_LOG_PROTOCOL_WARNING)
		lvl = LOG_LEVEL_WARN;
	else
		lvl = LOG_LEVEL_DEBUG;
	/* spandsp ends its lines with '\n'; the logger adds its own. */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	LOG_AT(lvl, "media.spandsp", NULL, "%.*s", (int)len, text);
}

static void media_spandsp_error(const char *text)
{
	media_spandsp_message(SPAN_LOG_ERROR, text);
}

void media_log_bridge_init(void)
{
	span_set_message_handler(media_spandsp_message);
	span_set_error_handler(media_spandsp_error);
}

const char *media_version_string(void)
{
	static char buf[96];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "%s, spandsp %d",
			 srtp_get_version_string(), SPANDSP_RELEASE_DATE);
	return buf;
}
