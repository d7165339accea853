/*
 * Our Contact on a leg (call.h: call_leg_contact). It depends only on the
 * side's address and the leg's transport, so the parsed header is shared:
 * made once per distinct string on the gateway's home and kept while the
 * process runs (a few per side: udp, tcp, tls). Parsed per call it took
 * ~400 bytes of every call's memory (two legs) and a parse per call. A
 * reload that changes the addresses adds entries; past CONTACT_CACHE_MAX
 * distinct strings a leg gets its own copy on the call's home, as before.
 */
#include <stdio.h>
#include <string.h>

#include "call.h"

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

/* The side's address with the leg's own transport, so that a peer
 * reaching us over TCP keeps using TCP inside the dialog (nta's default
 * Contact names only the first transport bound). */
sip_contact_t const *call_leg_contact(struct trunk_call *call,
				      struct call_leg *leg)
{
	struct trunk_agent *agent = call->gw->agents[leg->side];
	sip_contact_t const *m = nta_agent_contact(trunk_agent_nta(agent));
	const char *tls = trunk_agent_tls_hostport(agent);
	char buf[320];

	if (leg->contact || !m)
		return leg->contact ? leg->contact : m;
	snprintf(buf, sizeof(buf), "<sip:%s%s%s;transport=%s>",
		 m->m_url->url_host, m->m_url->url_port ? ":" : "",
		 m->m_url->url_port ? m->m_url->url_port : "",
		 leg->transport[0] ? leg->transport : "udp");
	if (tls && !strcmp(leg->transport, "tls")) /* its own port */
		snprintf(buf, sizeof(buf), "<sip:%s;transport=tls>", tls);
	leg->contact = contact_shared(call->gw, buf);
	if (!leg->contact)
		leg->contact = sip_contact_make(call->home, buf);
	return leg->contact ? leg->contact : m;
}
