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

#include "gateway.h"

#include <sofia-sip/auth_client.h>
#include <sofia-sip/sip_header.h>

#define SUBSYS "trunk.auth"

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

void trunk_auth_free_all(struct trunk_gateway *gw)
{
	struct trunk_auth *a;

	while ((a = gw->auths)) {
		gw->auths = a->next;
		su_home_deinit(a->home);
		free(a);
	}
}
