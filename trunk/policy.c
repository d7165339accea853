/*
 * Identity and header policy of a call (see policy.h, docs/identity.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#include "config/outbuf.h"
#include "identity.h"
#include "policy.h"

/* Append printf-style to a header block; a header that does not fit is
 * dropped whole (the block stays well-formed). */
static void policy_put(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void policy_put(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - used)
		buf[used] = '\0';
}

/* "Name: <value of h>\r\n" */
static void policy_put_header(char *buf, size_t len, const char *name,
			      msg_header_t const *h)
{
	char v[1024];
	issize_t n;

	/* An extension header's encoder writes "Name: value" (Sofia's
	 * msg_unknown_e); only the value is ours to copy. */
	if (h->sh_class == sip_unknown_class) {
		policy_put(buf, len, "%s: %s\r\n", name,
			   h->sh_unknown->un_value ? h->sh_unknown->un_value
						   : "");
		return;
	}
	n = msg_header_field_e(v, sizeof(v), h, 0);

	if (n > 0 && (size_t)n < sizeof(v))
		policy_put(buf, len, "%s: %s\r\n", name, v);
}

const char *trunk_policy_asserted_number(sip_t const *sip)
{
	sip_p_asserted_identity_t const *p;
	const char *tel = NULL;

	for (p = sip_p_asserted_identity(sip); p; p = p->paid_next) {
		if ((p->paid_url->url_type == url_sip ||
		     p->paid_url->url_type == url_sips) &&
		    p->paid_url->url_user)
			return p->paid_url->url_user;
		if (p->paid_url->url_type == url_tel && !tel)
			tel = p->paid_url->url_host;
	}
	return tel;
}

bool trunk_policy_privacy_id(sip_t const *sip)
{
	msg_param_t const *v;

	for (v = sip->sip_privacy ? sip->sip_privacy->priv_values : NULL;
	     v && *v; v++)
		if (!strcasecmp(*v, "id") || !strcasecmp(*v, "user"))
			return true;
	return false;
}

/* The number of an identity URI: a sip/sips user, a tel number. */
static const char *policy_url_number(url_t const *u)
{
	if (u->url_type == url_sip || u->url_type == url_sips)
		return u->url_user;
	return u->url_type == url_tel ? u->url_host : NULL;
}

/*
 * The identities an enterprise peer offers, in order of preference: its
 * P-Asserted-Identity when trusted (SIP URIs before tel, as ID-3 prefers
 * them), then its P-Preferred-Identity when accepted (ID-11).
 */
static size_t policy_offered(const struct config_section *peer,
			     sip_t const *sip, const char **c, size_t max,
			     size_t *npai)
{
	sip_p_asserted_identity_t const *a;
	sip_p_preferred_identity_t const *p;
	size_t n = 0;
	int pass;

	if (!peer)
		return 0;
	for (pass = 0; pass < 2 && config_get_bool(peer, "trust_identity");
	     pass++)
		for (a = sip_p_asserted_identity(sip); a && n < max;
		     a = a->paid_next)
			if ((a->paid_url->url_type == url_tel) == (pass == 1))
				c[n++] = policy_url_number(a->paid_url);
	*npai = n;
	if (config_get_bool(peer, "accept_preferred_identity"))
		for (p = sip_p_preferred_identity(sip); p && n < max;
		     p = p->ppid_next)
			c[n++] = policy_url_number(p->ppid_url);
	return n;
}

/* The carrier's domain (R-URI host): domain, else the first proxy. */
static void policy_domain(const struct config_section *t, char *buf, size_t len)
{
	struct config_addr a = { { 0 } };
	const char *const *px;

	if (config_is_set(t, "domain")) {
		snprintf(buf, len, "%s", config_get_str(t, "domain"));
		return;
	}
	if (config_get_list(t, "proxy", &px))
		config_addr_parse(px[0], &a);
	snprintf(buf, len, "%s", a.host);
}

/* Who the caller is toward the carrier: the peer's offer, the dial
 * plan's identity, the forwarding DID, else the trunk's first DID. */
static void policy_identity(const struct trunk_policy_in *in,
			    struct trunk_policy_out *out)
{
	const char *const *ids;
	size_t nids = config_get_list(in->trunk, "identities", &ids);
	const char *c[8] = { NULL }, *pick = NULL, *did;
	size_t n = 0, npai = 0, i;

	did = in->sip->sip_request->rq_url->url_user;
	if (!in->forward)
		n = policy_offered(in->peer, in->sip, c, 8, &npai);
	for (i = 0; i < n && !pick; i++)
		if (trunk_identity_is_epi(ids, nids, c[i]))
			pick = c[i];
	out->identity_source = i <= npai ? "the peer's P-Asserted-Identity"
					 : "the peer's P-Preferred-Identity";
	if (!pick && in->forward && trunk_identity_is_epi(ids, nids, did)) {
		pick = did; /* FWD-1: the forwarding user's identity */
		out->identity_source = "forwarding DID";
	}
	if (!pick && in->res && in->res->identity[0] && !in->forward) {
		pick = in->res->identity;
		out->identity_source = "dial plan";
	}
	if (pick) {
		outbuf_copy(out->identity, sizeof(out->identity), pick);
	} else if (nids) {
		snprintf(out->identity, sizeof(out->identity), "%.*s",
			 (int)strcspn(ids[0], "-"), ids[0]);
		out->identity_source = "trunk default";
	}
}

/* The headers of A's INVITE that the trunk's pass_headers names. */
static void policy_pass(const struct config_section *t, sip_t const *sip,
			char *buf, size_t len)
{
	const char *const *names;
	size_t i, n = config_get_list(t, "pass_headers", &names);
	msg_header_t const *h;

	for (h = n ? (msg_header_t const *)sip->sip_request : NULL; h;
	     h = h->sh_succ) {
		const char *name = h->sh_class == sip_unknown_class
					   ? h->sh_unknown->un_name
					   : h->sh_class->hc_name;

		for (i = 0; name && *name && i < n; i++)
			if (!strcasecmp(name, names[i]))
				policy_put_header(buf, len, names[i], h);
	}
}

/* FWD-1: From = the original caller, History-Info with the forwarding
 * DID, and the caller's Privacy: id kept. */
static void policy_forward(const struct trunk_policy_in *in, const char *domain,
			   struct trunk_policy_out *out)
{
	sip_from_t const *f = in->sip->sip_from;
	const char *did = in->sip->sip_request->rq_url->url_user;
	const char *dn = f->a_display;
	url_t const *a = f->a_url;
	char uri[300], hi[800];
	issize_t n;

	/* A tel: caller (RFC 3966) becomes the same number as a SIP URI at
	 * the carrier's domain (ID-1 form); a SIP one stays as it is. */
	if (a->url_type == url_tel && a->url_user && *a->url_user)
		n = snprintf(uri, sizeof(uri), "sip:%s@%s;user=phone",
			     a->url_user, domain);
	else if ((a->url_type == url_sip || a->url_type == url_sips) &&
		 a->url_host && *a->url_host)
		n = url_e(uri, sizeof(uri), a);
	else /* another scheme (cid:, http:...): no caller a carrier takes */
		n = -1;
	/* A caller URI or name too long for our From is not cut (that could
	 * forge another one), nor one that would end our <...> early
	 * (Sofia keeps "1.100.20>" as a URI): the caller becomes
	 * unavailable, or nameless. */
	if (n < 0 || (size_t)n >= sizeof(uri) || uri[strcspn(uri, "<>\" \t")])
		snprintf(uri, sizeof(uri), "sip:unavailable@unknown.invalid");
	if (dn && (!*dn || strlen(dn) + strlen(uri) + 4 > sizeof(out->from)))
		dn = NULL;
	snprintf(out->from, sizeof(out->from), "%s%s<%s>", dn ? dn : "",
		 dn ? " " : "", uri);
	if (!trunk_identity_history_info(did, domain, out->ruri,
					 in->cause ? in->cause : 302, hi,
					 sizeof(hi)))
		policy_put(out->headers, sizeof(out->headers),
			   "History-Info: %s\r\n", hi);
	if (trunk_policy_privacy_id(in->sip))
		policy_put(out->headers, sizeof(out->headers),
			   "Privacy: id\r\n");
}

/*
 * EM-5..EM-7: an emergency call from a peer with a `location` conveys it
 * by value. The Content-ID is unique per call without revealing leg A's
 * Call-ID (a hash of it and the time): the carrier must not learn
 * enterprise topology from it.
 */
static void policy_location(const struct trunk_policy_in *in,
			    const char *domain, struct trunk_policy_out *out)
{
	const char *cid = in->sip->sip_call_id->i_id;
	unsigned long long h =
		1469598103934665603ull ^ (unsigned long long)time(NULL);

	if (!out->emergency || !in->peer ||
	    !config_is_set(in->peer, "location"))
		return;
	out->location = config_section_get(
		in->cfg, "location", config_get_str(in->peer, "location"));
	if (!out->location)
		return;
	if (config_is_set(out->location, "reference")) { /* by reference */
		policy_put(out->headers, sizeof(out->headers),
			   "Geolocation: <%s>\r\n",
			   config_get_str(out->location, "reference"));
		if (config_get_bool(out->location, "routing"))
			policy_put(out->headers, sizeof(out->headers),
				   "Geolocation-Routing: yes\r\n");
		return;
	}
	for (; *cid; cid++) /* FNV-1a */
		h = (h ^ (unsigned char)*cid) * 1099511628211ull;
	snprintf(out->location_cid, sizeof(out->location_cid),
		 "location-%016llx@trunkd.invalid", h);
	snprintf(out->location_entity, sizeof(out->location_entity),
		 "pres:%s@%.60s", out->identity[0] ? out->identity : "unknown",
		 domain);
	policy_put(out->headers, sizeof(out->headers),
		   "Geolocation: <cid:%s>\r\n", out->location_cid);
	if (config_get_bool(out->location, "routing"))
		policy_put(out->headers, sizeof(out->headers),
			   "Geolocation-Routing: yes\r\n");
}

/* Emergency calls (EM-1: the caller, its sender and where the location
 * came from) and forwards at INFO; other calls at DEBUG (call.c logs
 * every call at INFO); a dry run (trunkctl dialplan test) at DEBUG. */
static void policy_log(const struct trunk_policy_in *in,
		       const struct trunk_policy_out *out)
{
	const char *user = in->sip->sip_from->a_url->url_user;
	char who[160] = "", loc[300] = "";

	if (in->peer)
		snprintf(who, sizeof(who), "%s %s",
			 config_section_kind(in->peer),
			 config_section_name(in->peer));
	if (out->emergency && out->location)
		snprintf(loc, sizeof(loc),
			 "; location [location %s] of %s, by %s",
			 config_section_name(out->location), who,
			 out->location_cid[0] ? "value" : "reference");
	else if (out->emergency)
		snprintf(loc, sizeof(loc), "; location: none configured");
	LOG_AT((out->emergency || in->forward) && !in->dry_run
		       ? LOG_LEVEL_INFO
		       : LOG_LEVEL_DEBUG,
	       "trunk.identity", config_section_name(in->trunk),
	       "%s%s %s from %s%s%s%s as %s (%s)%s",
	       in->dry_run ? "dry run: " : "",
	       out->emergency ? "emergency call to"
	       : in->forward  ? "forward to"
			      : "call to",
	       out->ruri, user ? user : "anonymous", who[0] ? " (" : "", who,
	       who[0] ? ")" : "",
	       out->identity[0] ? out->identity : "no identity",
	       out->identity[0] ? out->identity_source : "none known", loc);
}

int trunk_policy_outbound(const struct trunk_policy_in *in,
			  struct trunk_policy_out *out)
{
	const struct dialplan_result *res = in->res;
	sip_t const *sip = in->sip;
	struct trunk_identity_in id = { 0 };
	struct trunk_identity_out o;
	char host[300];

	memset(out, 0, sizeof(*out));
	policy_domain(in->trunk, host, sizeof(host));
	policy_identity(in, out);
	id.number = res ? res->number : sip->sip_request->rq_url->url_user;
	id.emergency = res && res->emergency;
	id.presentation =
		res && !in->forward ? res->presentation : DIALPLAN_PRES_DEFAULT;
	id.identity = out->identity;
	id.caller_display = sip->sip_from->a_display;
	id.caller_user = sip->sip_from->a_url->url_user;
	id.domain = host;
	if (!id.number || trunk_identity_outbound(&id, &o))
		return EINVAL;
	out->emergency = id.emergency;
	outbuf_copy(out->ruri, sizeof(out->ruri), o.ruri);
	outbuf_copy(out->from, sizeof(out->from), o.from);
	if (o.pai[0])
		policy_put(out->headers, sizeof(out->headers),
			   "P-Asserted-Identity: %s\r\n", o.pai);
	if (o.pai[0] && config_get_bool(in->trunk, "send_preferred_identity"))
		policy_put(out->headers, sizeof(out->headers),
			   "P-Preferred-Identity: %s\r\n", o.pai);
	if (in->forward)
		policy_forward(in, host, out);
	else if (o.privacy[0])
		policy_put(out->headers, sizeof(out->headers),
			   "Privacy: %s\r\n", o.privacy);
	policy_location(in, host, out);
	policy_pass(in->trunk, sip, out->headers, sizeof(out->headers));
	policy_log(in, out);
	return 0;
}

void trunk_policy_enterprise_from(sip_t const *sip, bool from_trunk,
				  const char *host, char *buf, size_t len)
{
	const char *user = sip->sip_from->a_url->url_user;
	const char *dn = sip->sip_from->a_display;

	if (from_trunk && trunk_policy_privacy_id(sip)) {
		snprintf(buf, len,
			 "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
		return;
	}
	if (from_trunk && trunk_policy_asserted_number(sip))
		user = trunk_policy_asserted_number(sip);
	/* A user too long for our From is unknown, an empty name none, one
	 * too long dropped: never a cut From (issue 4, bad input). */
	if (user && strlen(user) + strlen(host) + 8 > len)
		user = "unknown";
	if (dn &&
	    (!*dn ||
	     strlen(dn) + strlen(host) + (user ? strlen(user) : 0) + 10 > len))
		dn = NULL;
	snprintf(buf, len, "%s%s<sip:%s%s%s>", dn ? dn : "", dn ? " " : "",
		 user ? user : "", user ? "@" : "", host);
}

void trunk_policy_inbound(const struct config_section *peer, sip_t const *sip,
			  char *buf, size_t len)
{
	sip_p_asserted_identity_t const *p;

	if (!peer || !config_get_bool(peer, "trust_identity"))
		return;
	/* ID-4: a phone shows what it gets; under Privacy: id it gets no
	 * identity at all. A trusted PBX applies the privacy itself. */
	if (!strcmp(config_section_kind(peer), "phone") &&
	    trunk_policy_privacy_id(sip))
		return;
	for (p = sip_p_asserted_identity(sip); p; p = p->paid_next)
		policy_put_header(buf, len, "P-Asserted-Identity",
				  (msg_header_t const *)p);
	if (sip->sip_privacy)
		policy_put_header(buf, len, "Privacy",
				  (msg_header_t const *)sip->sip_privacy);
}

bool trunk_policy_inbound_epi(const struct config_section *trunk,
			      const char *number)
{
	const char *const *ids;
	size_t n = trunk ? config_get_list(trunk, "identities", &ids) : 0;

	return !n || trunk_identity_is_epi(ids, n, number);
}

const char *trunk_policy_contact_target(const struct config_section *trunk,
					const url_t *ruri, const char *our_host,
					char *buf, size_t len)
{
	const char *const *ids;
	size_t n = trunk ? config_get_list(trunk, "identities", &ids) : 0;
	const char *dash;

	if (!n || ruri->url_user || !ruri->url_host || !our_host ||
	    strcasecmp(ruri->url_host, our_host))
		return NULL;
	dash = strchr(ids[0] + 1, '-'); /* "+A-+B": +A */
	snprintf(buf, len, "%.*s",
		 dash ? (int)(dash - ids[0]) : (int)strlen(ids[0]), ids[0]);
	return buf;
}
