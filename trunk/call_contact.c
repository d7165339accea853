/*
 * Our Contact on a leg (call.h: call_leg_contact). It depends only on the
 * side's address and the leg's transport, so the parsed header is shared:
 * made once per distinct string on the gateway's home and kept while the
 * process runs (a few per side: udp, tcp, tls). Parsed per call it took
 * ~400 bytes of every call's memory (two legs) and a parse per call. A
 * reload that changes the addresses adds entries; past CONTACT_CACHE_MAX
 * distinct strings a leg gets its own copy on the call's home, as before.
 * Also what the Contact and our requests on a leg go by: its transport,
 * and a TLS trunk's next hop.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "call.h"
#include "tls.h"

#include <sofia-sip/sip_header.h>

#define CONTACT_CACHE_MAX 16

struct call_contact {
	struct call_contact *next;
	sip_contact_t *m;
	char key[];
};

static sip_contact_t *contact_shared(struct trunk_gateway *gw, const char *str)
{
	struct call_contact *c;
	unsigned n = 0;
	size_t len = strlen(str) + 1;

	for (c = gw->contacts; c; c = c->next, n++)
		if (!strcmp(c->key, str))
			return c->m;
	if (n >= CONTACT_CACHE_MAX)
		return NULL;
	c = su_alloc(gw->home, sizeof(*c) + len);
	if (!c)
		return NULL;
	memcpy(c->key, str, len);
	c->m = sip_contact_make(gw->home, str);
	if (!c->m) {
		su_free(gw->home, c);
		return NULL;
	}
	c->next = gw->contacts;
	gw->contacts = c;
	return c->m;
}

int call_leg_family(const struct trunk_call *call, const struct call_leg *leg)
{
	const char *name = call_leg_trunk(call, leg);
	const struct config_section *t;

	if (!name)
		return 0;
	t = trunk_config_trunk(call->gw->cfg, name);
	return t ? trunk_config_family(t) : 0;
}

enum media_side call_media_side(const struct trunk_call *call,
				const struct call_leg *leg)
{
	const struct media_engine *e = call->gw->media;
	const char *first = media_engine_side_addr(e, MEDIA_SIDE_TRUNK);
	int family = call_leg_family(call, leg);

	if (leg->side == TRUNK_SIDE_ENTERPRISE)
		return MEDIA_SIDE_ENTERPRISE;
	if (family && first &&
	    (family == AF_INET6) != (strchr(first, ':') != NULL) &&
	    media_engine_side_addr(e, MEDIA_SIDE_TRUNK_ALT))
		return MEDIA_SIDE_TRUNK_ALT;
	return MEDIA_SIDE_TRUNK;
}

/* The side's address (of the leg's family) with the leg's own transport,
 * so that a peer reaching us over TCP keeps using TCP inside the dialog
 * (nta's default Contact names only the first transport bound). */
sip_contact_t const *call_leg_contact(struct trunk_call *call,
				      struct call_leg *leg)
{
	struct trunk_agent *agent = call->gw->agents[leg->side];
	int family = call_leg_family(call, leg);
	char hp[300], buf[340];

	if (leg->contact)
		return leg->contact;
	if (!strcmp(leg->transport, "tls") && /* its own port */
	    trunk_agent_hostport(agent, family, true, hp, sizeof(hp)))
		snprintf(buf, sizeof(buf), "<sip:%s;transport=tls>", hp);
	else if (trunk_agent_hostport(agent, family, false, hp, sizeof(hp)))
		snprintf(buf, sizeof(buf), "<sip:%s;transport=%s>", hp,
			 leg->transport[0] ? leg->transport : "udp");
	else
		return nta_agent_contact(trunk_agent_nta(agent));
	leg->contact = contact_shared(call->gw, buf);
	if (!leg->contact)
		leg->contact = sip_contact_make(call->home, buf);
	return leg->contact ? leg->contact
			    : nta_agent_contact(trunk_agent_nta(agent));
}

/* From "/TCP" or "transport=tcp;..." (NULL: udp), lower case. */
void call_transport_set(struct call_leg *leg, const char *t)
{
	size_t i = 0;

	if (t)
		t = t[0] == '/' ? t + 1 : t + strlen("transport=");
	for (; t && i < sizeof(leg->transport) - 1 &&
	       isalpha((unsigned char)t[i]);
	     i++)
		leg->transport[i] = (char)tolower((unsigned char)t[i]);
	leg->transport[i] = '\0';
}

/* A TLS trunk's next hop in the dialog, on the call's home (see
 * trunk_tls_trunk_hop()). */
void call_hop_set(struct trunk_call *call, struct call_leg *leg,
		  const char *trunk, const char *route)
{
	char buf[360];

	trunk_tls_trunk_hop(call->gw->cfg, trunk, route, buf, sizeof(buf));
	leg->hop = buf[0] ? su_strdup(call->home, buf) : NULL;
}
