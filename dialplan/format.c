/*
 * dialplan.format: text forms of a decision. The Request-URI of ID-6/EM-2
 * (the header set around it is trunk/identity's job) and the report of
 * trunkd --dialplan-test / trunkctl dialplan test.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/outbuf.h"
#include "dialplan_private.h"

const char *dialplan_direction_name(enum dialplan_direction dir)
{
	switch (dir) {
	case DIALPLAN_INBOUND:
		return "inbound";
	case DIALPLAN_OUTBOUND:
		return "outbound";
	case DIALPLAN_INTERNAL:
		return "internal";
	}
	return "?";
}

const char *dialplan_action_name(enum dialplan_action action)
{
	switch (action) {
	case DIALPLAN_ACTION_TRUNK:
		return "trunk";
	case DIALPLAN_ACTION_EXTENSION:
		return "extension";
	case DIALPLAN_ACTION_HUNT:
		return "hunt";
	case DIALPLAN_ACTION_REJECT:
		return "reject";
	}
	return "?";
}

const char *dialplan_presentation_name(enum dialplan_presentation pres)
{
	switch (pres) {
	case DIALPLAN_PRES_DEFAULT:
		return "default";
	case DIALPLAN_PRES_ALLOWED:
		return "allowed";
	case DIALPLAN_PRES_RESTRICTED:
		return "restricted";
	}
	return "?";
}

/* A host, host:port, IPv6 literal (bracketed or not) or [v6]:port. */
static bool domain_ok(const char *d, bool *bracket)
{
	size_t i, colons = 0;

	for (i = 0; d[i]; i++) {
		if (!((d[i] >= 'a' && d[i] <= 'z') ||
		      (d[i] >= 'A' && d[i] <= 'Z') ||
		      (d[i] >= '0' && d[i] <= '9') || strchr(".-:[]", d[i])))
			return false;
		colons += d[i] == ':';
	}
	/* SC-15-1: a bare IPv6 literal gets its brackets. */
	*bracket = d[0] != '[' && colons > 1;
	return i > 0 && i < 256;
}

int dialplan_uri_encode(const char *number, const char *domain, char *buf,
			size_t len)
{
	struct outbuf o = { .p = buf, .len = len };
	bool e164 = dialplan_is_e164(number), bracket;
	size_t i;

	if (!buf || !len)
		return ENOSPC;
	buf[0] = 0;
	if (!number || !domain || !*number || !domain_ok(domain, &bracket))
		return EINVAL;
	for (i = 0; !e164 && number[i]; i++)
		if (dp_symbol(number[i]) < 0 || number[i] == '+')
			return EINVAL;
	outbuf_puts(&o, "sip:");
	/* ID-6: E.164 with user=phone, else the dial string; RFC 3261 user
	 * has no '#' (it starts a fragment): escape it. '*' is allowed. */
	for (i = 0; number[i];) {
		size_t run = strcspn(number + i, "#"); /* copied at once */

		outbuf_putn(&o, number + i, run);
		i += run;
		if (number[i] == '#') {
			outbuf_putn(&o, "%23", 3);
			i++;
		}
	}
	outbuf_puts(&o, bracket ? "@[" : "@");
	outbuf_puts(&o, domain);
	outbuf_puts(&o, bracket ? "]" : "");
	outbuf_puts(&o, e164 ? ";user=phone" : "");
	if (o.cut) {
		buf[0] = 0;
		return ENOSPC;
	}
	return 0;
}

static void put_source(struct outbuf *o, const struct dialplan_source *src)
{
	outbuf_put(o, "%s:%u", src->file, src->line);
}

int dialplan_result_format(const struct dialplan_result *res,
			   const char *domain, char *buf, size_t len)
{
	struct outbuf o = { .p = buf, .len = len };
	char uri[512];
	size_t i;

	if (!buf || !len)
		return ENOSPC;
	buf[0] = 0;
	outbuf_put(&o, "rule: ");
	if (res->rule.file)
		put_source(&o, &res->rule);
	else
		outbuf_put(&o, "none (built-in outcome)");
	outbuf_put(&o, "\ncontext: %s\naction: %s",
		   res->context ? res->context : "-",
		   dialplan_action_name(res->action));
	for (i = 0; i < res->n_targets; i++)
		outbuf_put(&o, " %s", res->targets[i]);
	if (res->action == DIALPLAN_ACTION_REJECT)
		outbuf_put(&o, " %u %s", res->code,
			   res->reason ? res->reason : "");
	outbuf_put(&o, "\nnumber: %s (%s)\n",
		   res->number[0] ? res->number : "-",
		   res->e164 ? "E.164" : "dial string");
	if (domain && res->action == DIALPLAN_ACTION_TRUNK &&
	    !dialplan_uri_encode(res->number, domain, uri, sizeof(uri)))
		outbuf_put(&o, "request-uri: %s\n", uri);
	outbuf_put(&o, "emergency: %s\npresentation: %s",
		   res->emergency ? "yes" : "no",
		   dialplan_presentation_name(res->presentation));
	if (res->presentation_from.line) {
		outbuf_put(&o, " (");
		put_source(&o, &res->presentation_from);
		outbuf_put(&o, ")");
	}
	outbuf_put(&o, "\nidentity: %s",
		   res->identity[0] ? res->identity : "default");
	if (res->identity_from.line) {
		outbuf_put(&o, " (");
		put_source(&o, &res->identity_from);
		outbuf_put(&o, ")");
	}
	outbuf_put(&o, "\n");
	return o.cut ? ENOSPC : 0;
}
