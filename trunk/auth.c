/*
 * Digest authentication as a client toward carriers (RFC 3261 22.2-22.4,
 * REG-4, STA-6). One credential cache per trunk: a challenge to any
 * request (401 WWW-Authenticate or 407 Proxy-Authenticate) is answered with
 * the trunk's username/password, and the nonce it brought is reused on the
 * trunk's later requests (with a rising nonce count) until the carrier
 * sends a new one. Passwords are read from the configuration when needed
 * and never logged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NTA_OUTGOING_MAGIC_T struct trunk_auth_bye

#include "gateway.h"

#include <sofia-sip/auth_client.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.auth"

/* A BYE toward a carrier still unanswered when its call was freed
 * (trunk_auth_bye_adopt): kept to answer the carrier's challenge. */
struct trunk_auth_bye {
	struct trunk_auth_bye *next, **prevp;
	struct trunk_gateway *gw;
	nta_agent_t *nta;
	nta_outgoing_t *orq;
	char trunk[64];
	char *hop;	/* owned, or NULL */
	tport_t *tport; /* a reference: the carrier's connection, or NULL */
	bool retried;
};

struct trunk_auth {
	struct trunk_auth *next;
	char trunk[64];
	su_home_t home[1];
	auth_client_t *auc; /* on home */
};

static struct trunk_auth *auth_find(struct trunk_gateway *gw, const char *trunk,
				    bool create)
{
	struct trunk_auth *a;

	for (a = gw->auths; a; a = a->next)
		if (!strcmp(a->trunk, trunk))
			return a;
	if (!create)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a || su_home_init(a->home)) {
		free(a);
		return NULL;
	}
	snprintf(a->trunk, sizeof(a->trunk), "%s", trunk);
	a->next = gw->auths;
	gw->auths = a;
	return a;
}

int trunk_auth_challenge(struct trunk_gateway *gw, const char *trunk,
			 sip_t const *sip, bool fresh)
{
	const struct config_section *t = trunk_config_trunk(gw->cfg, trunk);
	struct trunk_auth *a;
	int rc;

	if (!t || !config_is_set(t, "username")) {
		LOGE(SUBSYS, trunk,
		     "the carrier asks for credentials; set username and "
		     "password in [trunk %s]",
		     trunk);
		return EACCES;
	}
	a = auth_find(gw, trunk, true);
	if (!a)
		return ENOMEM;
	/* A challenge to a request that only reused an old nonce says
	 * nothing about our password (carriers rotate nonces without
	 * stale=true): start over with this challenge. */
	if (fresh && a->auc) {
		su_home_deinit(a->home);
		su_home_init(a->home);
		a->auc = NULL;
	}
	rc = 0;
	if (sip->sip_www_authenticate)
		rc = auc_challenge(&a->auc, a->home, sip->sip_www_authenticate,
				   sip_authorization_class);
	if (rc >= 0 && sip->sip_proxy_authenticate)
		rc = auc_challenge(&a->auc, a->home,
				   sip->sip_proxy_authenticate,
				   sip_proxy_authorization_class);
	if (rc < 0)
		return EPROTO;
	/* rc 0: the same challenge again (not stale): our credentials were
	 * refused. */
	if (rc == 0)
		return EACCES;
	auc_all_credentials(&a->auc, NULL, NULL, config_get_str(t, "username"),
			    config_is_set(t, "password")
				    ? config_get_str(t, "password")
				    : "");
	return 0;
}

int trunk_auth_headers(struct trunk_gateway *gw, const char *trunk,
		       su_home_t *home, const char *method, url_t const *url,
		       msg_payload_t const *body, msg_header_t **out)
{
	struct trunk_auth *a = trunk ? auth_find(gw, trunk, false) : NULL;

	*out = NULL;
	if (!a || !a->auc || !auc_has_authorization(&a->auc))
		return 0;
	return auc_authorization_headers(&a->auc, home, method, url, body,
					 out) < 0
		       ? EPROTO
		       : 0;
}

void trunk_auth_forget(struct trunk_gateway *gw, const char *trunk)
{
	struct trunk_auth *a = auth_find(gw, trunk, false);

	if (!a)
		return;
	su_home_deinit(a->home);
	su_home_init(a->home);
	a->auc = NULL;
}

/*
 * The request orq carried, to be sent again with credentials for the
 * challenge sip brought (a 401/407 to it): same dialog, headers and body,
 * a new CSeq (the leg's next; without a leg, the old one + 1), our Via
 * added again by nta, Authorization/Proxy-Authorization replaced. NULL:
 * no credentials for TRUNK, or the request cannot be rebuilt. The
 * caller sends it with nta_outgoing_mcreate() and owns it until then.
 */
msg_t *trunk_auth_request_again(struct trunk_gateway *gw, const char *trunk,
				nta_leg_t *leg, nta_outgoing_t *orq,
				sip_t const *challenge)
{
	msg_t *old, *msg;
	sip_t *sip;
	msg_header_t *h = NULL;
	uint32_t seq;

	if (!trunk || !trunk[0] ||
	    trunk_auth_challenge(gw, trunk, challenge, true))
		return NULL;
	old = nta_outgoing_getrequest(orq);
	msg = old ? msg_dup(old) : NULL;
	msg_destroy(old);
	sip = sip_object(msg);
	if (!sip || !sip->sip_request || !sip->sip_cseq)
		goto fail;
	seq = sip->sip_cseq->cs_seq;
	while (sip->sip_via)
		msg_header_remove(msg, (msg_pub_t *)sip,
				  (msg_header_t *)sip->sip_via);
	while (sip->sip_authorization)
		msg_header_remove(msg, (msg_pub_t *)sip,
				  (msg_header_t *)sip->sip_authorization);
	while (sip->sip_proxy_authorization)
		msg_header_remove(msg, (msg_pub_t *)sip,
				  (msg_header_t *)sip->sip_proxy_authorization);
	msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_cseq);
	if (leg) {
		if (nta_msg_request_complete(msg, leg, sip_method_unknown, NULL,
					     NULL) < 0)
			goto fail;
	} else if (msg_header_insert(
			   msg, (msg_pub_t *)sip,
			   (msg_header_t *)sip_cseq_create(
				   msg_home(msg), seq + 1,
				   sip->sip_request->rq_method,
				   sip->sip_request->rq_method_name)) < 0) {
		goto fail;
	}
	if (trunk_auth_headers(
		    gw, trunk, msg_home(msg), sip->sip_request->rq_method_name,
		    sip->sip_request->rq_url, sip->sip_payload, &h) ||
	    !h || msg_header_add_dup(msg, (msg_pub_t *)sip, h) < 0)
		goto fail;
	return msg;
fail:
	LOGW(SUBSYS, trunk, "cannot answer the carrier's challenge to our %s",
	     sip && sip->sip_request ? sip->sip_request->rq_method_name
				     : "request");
	msg_destroy(msg);
	return NULL;
}

static void auth_bye_free(struct trunk_auth_bye *b)
{
	*b->prevp = b->next;
	if (b->next)
		b->next->prevp = b->prevp;
	if (b->orq)
		nta_outgoing_destroy(b->orq);
	if (b->tport)
		tport_unref(b->tport);
	free(b->hop);
	free(b);
}

/* The carrier's answer to a BYE of a call already gone: a first 401/407
 * gets the BYE again with credentials (a second one is final). */
static int auth_bye_response(struct trunk_auth_bye *b, nta_outgoing_t *orq,
			     sip_t const *sip)
{
	int status =
		sip ? sip->sip_status->st_status : nta_outgoing_status(orq);
	msg_t *msg;

	if (status < 200)
		return 0;
	if ((status == 401 || status == 407) && sip && !b->retried &&
	    (msg = trunk_auth_request_again(b->gw, b->trunk, NULL, orq, sip))) {
		nta_outgoing_destroy(orq);
		b->retried = true;
		b->orq = nta_outgoing_mcreate(
			b->nta, auth_bye_response, b,
			b->hop ? URL_STRING_MAKE(b->hop) : NULL, msg,
			NTATAG_TPORT(trunk_tport_open(b->tport)), TAG_END());
		if (b->orq) {
			LOGI(SUBSYS, b->trunk,
			     "BYE challenged (%d): sent again with credentials",
			     status);
			return 0;
		}
		msg_destroy(msg);
	} else if (status == 401 || status == 407) {
		LOGE(SUBSYS, b->trunk,
		     "the carrier refused our credentials for a BYE (%d)",
		     status);
	}
	auth_bye_free(b);
	return 0;
}

tport_t *trunk_tport_open(tport_t *tp)
{
	return tp && tport_is_secondary(tp) && !tport_is_closed(tp) &&
			       !tport_is_shutdown(tp)
		       ? tp
		       : NULL;
}

bool trunk_auth_bye_adopt(struct trunk_gateway *gw, const char *trunk,
			  nta_agent_t *nta, nta_outgoing_t *orq,
			  const char *hop, tport_t *tport, bool retried)
{
	struct trunk_auth_bye *b;

	if (!trunk || !trunk[0] || !nta || nta_outgoing_status(orq) >= 200 ||
	    !(b = calloc(1, sizeof(*b))))
		return false;
	b->hop = hop ? strdup(hop) : NULL;
	if (hop && !b->hop) {
		free(b);
		return false;
	}
	b->gw = gw;
	b->nta = nta;
	b->orq = orq;
	b->tport = tport ? tport_ref(tport) : NULL;
	b->retried = retried;
	snprintf(b->trunk, sizeof(b->trunk), "%s", trunk);
	nta_outgoing_bind(orq, auth_bye_response, b);
	b->next = gw->auth_byes;
	if (b->next)
		b->next->prevp = &b->next;
	b->prevp = &gw->auth_byes;
	gw->auth_byes = b;
	return true;
}

void trunk_auth_free_all(struct trunk_gateway *gw)
{
	struct trunk_auth *a;

	while (gw->auth_byes)
		auth_bye_free(gw->auth_byes);

	while ((a = gw->auths)) {
		gw->auths = a->next;
		su_home_deinit(a->home);
		free(a);
	}
}
