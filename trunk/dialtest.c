/*
 * A call decided without placing it (see dialtest.h): the INVITE its
 * sender would send, parsed by Sofia like a received one, goes through
 * call_route_decide(), the function live calls use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_protos.h>

#include "call.h"
#include "dialtest.h"
#include "policy.h"

void trunk_uri_user_escape(const char *s, char *buf, size_t len)
{
	static const char ok[] = "-_.!~*'()&=+$,;?/";
	size_t n = strlen(buf);

	for (; *s && n + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c && strchr(ok, c)))
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X", c);
	}
	buf[n] = '\0';
}

/* "sip:USER@host" with USER escaped, or "sip:host" for no USER. */
static void dialtest_uri(const char *user, const char *host, char *buf,
			 size_t len)
{
	snprintf(buf, len, "sip:");
	if (user && *user) {
		trunk_uri_user_escape(user, buf, len - strlen(host) - 2);
		strcat(buf, "@");
	}
	strcat(buf, host);
}

/* The sender of q: a [phone]/[pbx] (outbound) or [trunk] (inbound). */
static int dialtest_who(const struct config *cfg,
			const struct trunk_dialtest *q,
			const struct config_section **who, char *why,
			size_t len)
{
	*who = NULL;
	if (q->inbound) {
		*who = trunk_config_trunk(cfg, q->from);
		if (!*who)
			snprintf(why, len,
				 q->from ? "no [trunk %s]"
					 : "no [trunk] configured",
				 q->from);
		return *who ? 0 : ENOENT;
	}
	if (q->from) {
		*who = config_section_get(cfg, "phone", q->from);
		if (!*who)
			*who = config_section_get(cfg, "pbx", q->from);
		if (!*who)
			snprintf(why, len, "no [phone %s] or [pbx %s]", q->from,
				 q->from);
		return *who ? 0 : ENOENT;
	}
	if (q->caller && *q->caller)
		*who = trunk_phone_find(cfg, q->caller);
	if (!*who)
		*who = config_section_next(cfg, "pbx", NULL);
	return 0;
}

/* The INVITE the sender would send to trunkd, as Sofia parses it. */
static msg_mclass_t *mclass;
static msg_t *dialtest_invite(const struct trunk_dialtest *q,
			      const struct config_section *who)
{
	char text[4096], ruri[400], from[400];
	const char *host = "trunkd.invalid";
	bool anon = !q->caller || !*q->caller;

	if (q->inbound && config_is_set(who, "domain"))
		host = config_get_str(who, "domain");
	dialtest_uri(q->number, "trunkd.invalid", ruri, sizeof(ruri));
	dialtest_uri(anon ? "anonymous" : q->caller,
		     anon ? "anonymous.invalid" : host, from, sizeof(from));
	snprintf(text, sizeof(text),
		 "INVITE %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-dialtest\r\n"
		 "From: %s<%s>;tag=dialtest\r\n"
		 "To: <%s>\r\n"
		 "Call-ID: dialtest@trunkd.invalid\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Max-Forwards: 70\r\n",
		 ruri, anon && q->inbound ? "\"Anonymous\" " : "", from, ruri);
	/* A carrier asserts its caller (ID-3) and may withhold it (ID-4). */
	if (q->inbound && !anon)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "P-Asserted-Identity: <%s;user=phone>\r\n", from);
	if (q->inbound && q->privacy)
		strcat(text, "Privacy: id\r\n");
	strcat(text, "Content-Length: 0\r\n\r\n");
	/* P-Asserted-Identity and friends typed, as agent.c makes them for
	 * the daemon (one class for the process). */
	if (!mclass)
		mclass = sip_extend_mclass(NULL);
	return mclass ? msg_make(mclass, 0, text, (ssize_t)strlen(text)) : NULL;
}

/* route.headers, split into names and values. */
static void dialtest_split(struct dialtest_report *rep, const char *headers)
{
	char *line = rep->hbuf, *end, *colon;

	snprintf(rep->hbuf, sizeof(rep->hbuf), "%s", headers);
	for (; (end = strstr(line, "\r\n")); line = end + 2) {
		*end = '\0';
		colon = strchr(line, ':');
		if (!colon || rep->nheaders == DIALTEST_HEADERS_MAX)
			continue;
		*colon = '\0';
		rep->hname[rep->nheaders] = line;
		rep->hvalue[rep->nheaders++] =
			colon + 1 + strspn(colon + 1, " ");
	}
}

int dialtest_run(struct trunk_gateway *gw, const struct trunk_dialtest *q,
		 struct dialtest_report *rep, char *why, size_t len)
{
	const struct config_section *who;
	struct call_route *r;
	msg_t *msg;
	sip_t const *sip;
	int rc;

	memset(rep, 0, sizeof(*rep));
	why[0] = '\0';
	if (q->context && gw->plan &&
	    !dialplan_has_context(gw->plan, q->context)) {
		snprintf(why, len, "no such context: %s", q->context);
		return ENOENT;
	}
	r = calloc(1, sizeof(*r));
	rc = r ? dialtest_who(gw->cfg, q, &who, why, len) : ENOMEM;
	if (rc) {
		free(r);
		return rc;
	}
	msg = dialtest_invite(q, who);
	sip = msg ? sip_object(msg) : NULL;
	if (!sip || !sip->sip_request || !sip->sip_from || !sip->sip_call_id ||
	    sip->sip_error) {
		snprintf(why, len, "the number or caller makes no SIP URI");
		msg_destroy(msg);
		free(r);
		return EINVAL;
	}
	rep->who = who ? config_section_name(who) : "";
	rep->status = call_route_decide(
		gw, q->inbound ? TRUNK_SIDE_TRUNK : TRUNK_SIDE_ENTERPRISE, who,
		sip, q->context, true, r, &rep->res);
	msg_destroy(msg);
	rep->side = r->to;
	rep->emergency = r->emergency;
	rep->peer_kind = r->trunk[0]	 ? "trunk"
			 : r->b_peer	 ? config_section_kind(r->b_peer)
			 : r->b_phone[0] ? "phone"
					 : "";
	snprintf(rep->peer, sizeof(rep->peer), "%s",
		 r->trunk[0]	 ? r->trunk
		 : r->b_peer	 ? config_section_name(r->b_peer)
		 : r->b_phone[0] ? r->b_phone
				 : "");
	snprintf(rep->ruri, sizeof(rep->ruri), "%s", r->ruri);
	snprintf(rep->to, sizeof(rep->to), "<%s>", r->ruri);
	snprintf(rep->from, sizeof(rep->from), "%s", r->from);
	rep->location = r->location ? config_section_name(r->location) : NULL;
	snprintf(rep->loc_cid, sizeof(rep->loc_cid), "%s", r->loc_cid);
	dialtest_split(rep, r->headers);
	free(r);
	return 0;
}

void dialtest_text(const struct dialtest_report *rep, char *buf, size_t len)
{
	size_t i, n;

	if (rep->res.context)
		dialplan_result_format(&rep->res, NULL, buf, len);
	else
		snprintf(buf, len,
			 "rule: none (the dial plan made no decision: "
			 "no context for the call, or a phone's own number)\n");
	n = strlen(buf);
#define PUT(...)                                                               \
	do {                                                                   \
		if (n < len)                                                   \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);  \
	} while (0)
	if (rep->status && rep->peer[0])
		PUT("result: %d, no INVITE (%s %s%s)\n", rep->status,
		    rep->peer_kind, rep->peer,
		    rep->status == 480 ? " is not registered" : "");
	else if (rep->status)
		PUT("result: %d, no INVITE\n", rep->status);
	if (rep->status)
		return;
	PUT("result: INVITE to %s %s\n", rep->peer_kind, rep->peer);
	PUT("Request-URI: %s\nTo: %s\nFrom: %s\n", rep->ruri, rep->to,
	    rep->from);
	for (i = 0; i < rep->nheaders; i++)
		PUT("%s: %s\n", rep->hname[i], rep->hvalue[i]);
	if (rep->location && rep->loc_cid[0])
		PUT("body: multipart/mixed: the SDP and the PIDF-LO of "
		    "[location %s] (Content-ID <%s>)\n",
		    rep->location, rep->loc_cid);
	else if (rep->location)
		PUT("location: [location %s] by reference (no body part)\n",
		    rep->location);
#undef PUT
	if (n >= len && len)
		buf[len - 1] = '\0';
}

int trunk_dialtest_offline(const char *file, const struct trunk_dialtest *q)
{
	struct trunk_gateway gw = { 0 };
	struct dialtest_report *rep = calloc(1, sizeof(*rep));
	char why[256], out[8192];
	int rc = 1;

	if (!rep || trunk_config_load_all(file, &gw.cfg, &gw.plan))
		goto out;
	if (!gw.plan) {
		fprintf(stderr, "%s: no [dialplan] file\n",
			config_file(gw.cfg));
		goto out;
	}
	rc = dialtest_run(&gw, q, rep, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "%s\n", why);
		rc = rc == ENOENT ? 2 : 1;
		goto out;
	}
	dialtest_text(rep, out, sizeof(out));
	fputs(out, stdout);
out:
	dialplan_free(gw.plan);
	config_free(gw.cfg);
	free(rep);
	return rc;
}
