/*
 * The enterprise registrar: phones ([phone USER] sections) REGISTER to
 * trunkd with digest authentication (RFC 3261 10, 22; RFC 2617) and their
 * contacts become bindings that calls to their extension reach.
 *
 * Nonces are trunkd's own, signed with a random per-process secret;
 * issuing one keeps no state, and those digests that verify use are
 * tracked in a bounded table with the nonce counts used (nonce.c): a
 * digest is accepted once per nonce count, valid for TRUNK_NONCE_TTL
 * seconds; an expired, forgotten or replayed one, and one trunkd did not
 * issue (an earlier run's) whose digest is right for it, gets a new
 * challenge with stale=true. Bindings expire lazily: an expired binding
 * is dropped whenever the bindings are read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "gateway.h"
#include "nonce.h"

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag.h>

#define SUBSYS "trunk.registrar"

struct trunk_binding {
	struct trunk_binding *next;
	char phone[64];	   /* [phone USER] */
	char contact[512]; /* the Contact URI */
	char call_id[128];
	time_t expires;
};

/* The nonce table, made at the first challenge; NULL (after an ERROR)
 * without randomness: nonces would be guessable. */
static struct trunk_nonces *registrar_nonces(struct trunk_gateway *gw)
{
	if (gw->nonces)
		return gw->nonces;
	gw->nonces = malloc(sizeof(*gw->nonces));
	if (gw->nonces && trunk_nonces_init(gw->nonces)) {
		free(gw->nonces);
		gw->nonces = NULL;
		LOGE(SUBSYS, NULL,
		     "no /dev/urandom: phones and PBXs cannot authenticate");
	}
	return gw->nonces;
}

const struct config_section *trunk_phone_find(const struct config *cfg,
					      const char *user)
{
	const struct config_section *p = NULL;

	if (!user)
		return NULL;
	while ((p = config_section_next(cfg, "phone", p)))
		if (!strcmp(config_section_name(p), user) ||
		    !strcmp(config_get_str(p, "extension"), user))
			return p;
	return NULL;
}

static const char *registrar_realm(struct trunk_gateway *gw)
{
	return config_get_str(config_section_get(gw->cfg, "enterprise", NULL),
			      "realm");
}

/* Challenge with 401 (REGISTER) or 407 (other requests). */
static void registrar_challenge(struct trunk_gateway *gw, nta_incoming_t *irq,
				bool proxy, bool stale)
{
	const char *realm = registrar_realm(gw);
	char nonce[TRUNK_NONCE_LEN], hdr[256];

	trunk_nonce_issue(gw->nonces, time(NULL), realm, nonce);
	snprintf(hdr, sizeof(hdr),
		 "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
		 "qop=\"auth\"%s",
		 realm, nonce, stale ? ", stale=true" : "");
	if (proxy)
		nta_incoming_treply(irq, SIP_407_PROXY_AUTH_REQUIRED,
				    SIPTAG_PROXY_AUTHENTICATE_STR(hdr),
				    TAG_END());
	else
		nta_incoming_treply(irq, SIP_401_UNAUTHORIZED,
				    SIPTAG_WWW_AUTHENTICATE_STR(hdr),
				    TAG_END());
}

/* A digest that verified: is its nonce count new (nonce.c)? 1, or 0
 * (a new challenge with stale=true: the nonce expired, was forgotten or
 * is not ours at all, or this count was used: a replay), -1 (a malformed
 * count).
 *
 * A nonce trunkd cannot vindicate (FOREIGN: made by an earlier run,
 * whose secret is gone, or by another server) with a digest that
 * verifies for it is stale too (RFC 2617 3.2.1, RFC 7616 3.3: stale=true
 * when "the nonce is invalid but with a valid digest for that nonce"):
 * the sender knows the password, only the nonce is useless, and
 * stale=true lets the phone answer the new challenge at once instead of
 * taking the second 401 for a wrong password (and asking its user, or
 * giving up until its next refresh). Nothing is spent: it is challenged
 * again, and its answer is judged against the new nonce. */
static int registrar_nonce_use(struct trunk_gateway *gw,
			       auth_response_t const *ar, const char *method,
			       const struct config_section *who)
{
	const char *nc = ar->ar_qop ? (ar->ar_nc ? ar->ar_nc : "") : NULL;

	switch (trunk_nonce_use(gw->nonces, time(NULL), registrar_realm(gw),
				ar->ar_nonce, nc)) {
	case TRUNK_NONCE_OK:
		return 1;
	case TRUNK_NONCE_STALE:
		return 0;
	case TRUNK_NONCE_FOREIGN:
		LOGD(SUBSYS, config_section_name(who),
		     "%s: a nonce trunkd did not issue (an earlier run's?), "
		     "the digest right for it: challenged with stale=true",
		     method);
		return 0;
	case TRUNK_NONCE_REPLAY:
		LOGW(SUBSYS, config_section_name(who),
		     "%s: digest replayed (nonce count %s already used): "
		     "challenged again",
		     method, nc ? nc : "none, nonce used once");
		return 0;
	case TRUNK_NONCE_BAD_NC:
		return -1;
	}
	return -1;
}

/*
 * Check one Authorization/Proxy-Authorization header list: the digest for
 * our realm must answer a nonce of ours with the password of pbx (its
 * username), or without pbx of the [phone] its username names (*who),
 * with a nonce count not used before (registrar_nonce_use).
 * 1: verified, 0: right for its nonce but that nonce is stale, not ours
 * or replayed, -1: wrong (unknown user, bad response, malformed count),
 * -2: no digest for our realm.
 */
static int registrar_verify(struct trunk_gateway *gw, msg_auth_t const *au,
			    const char *method,
			    const struct config_section *pbx,
			    const struct config_section **who)
{
	const char *realm = registrar_realm(gw);
	auth_response_t ar[1] = { { sizeof(ar) } };
	auth_hexmd5_t ha1, resp;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	int rc = -2;

	for (; au; au = au->au_next) {
		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest"))
			continue;
		if (auth_digest_response_get(home, ar, au->au_params) < 0 ||
		    !ar->ar_realm || auth_strcmp(ar->ar_realm, realm))
			continue;
		if (!pbx)
			*who = trunk_phone_find(gw->cfg, ar->ar_username);
		else if (ar->ar_username &&
			 !strcmp(ar->ar_username,
				 config_get_str(pbx, "username")))
			*who = pbx;
		else
			*who = NULL;
		rc = -1;
		if (!*who || !ar->ar_nonce)
			break;
		auth_digest_ha1(ha1, ar->ar_username, realm,
				config_get_str(*who, "password"));
		auth_digest_response(ar, resp, ha1, method, NULL, 0);
		/* Only a digest that verifies may use up a nonce count. */
		if (ar->ar_response && !strcmp(resp, ar->ar_response))
			rc = registrar_nonce_use(gw, ar, method, *who);
		break;
	}
	su_home_deinit(home);
	return rc;
}

/* Digest for a request (see trunk_registrar_auth): 1, or 0 once irq is
 * answered: challenged (no digest, or a stale nonce), 403 for a wrong
 * digest of pbx's (a phone's is challenged again). */
static int registrar_check(struct trunk_gateway *gw, nta_incoming_t *irq,
			   sip_t const *sip, const struct config_section *pbx,
			   const struct config_section **who)
{
	bool reg = sip->sip_request->rq_method == sip_method_register;
	msg_auth_t const *au =
		reg ? sip->sip_authorization : sip->sip_proxy_authorization;
	int rc;

	*who = NULL;
	if (!registrar_nonces(gw)) {
		nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR,
				    TAG_END());
		return 0;
	}
	rc = au ? registrar_verify(gw, au, sip->sip_request->rq_method_name,
				   pbx, who)
		: -2;
	if (rc == 1)
		return 1;
	if (au && rc < 0)
		LOGW(SUBSYS, pbx ? config_section_name(pbx) : NULL,
		     "%s from %s: digest did not verify",
		     sip->sip_request->rq_method_name,
		     sip->sip_from->a_url->url_user
			     ? sip->sip_from->a_url->url_user
			     : "?");
	if (pbx && rc == -1)
		nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
	else
		registrar_challenge(gw, irq, !reg, rc == 0);
	return 0;
}

/*
 * Authenticate a request from a phone: returns the phone's section, or
 * NULL after answering irq (401/407 challenge, or 403).
 */
const struct config_section *trunk_registrar_auth(struct trunk_gateway *gw,
						  nta_incoming_t *irq,
						  sip_t const *sip)
{
	const struct config_section *ph;

	return registrar_check(gw, irq, sip, NULL, &ph) ? ph : NULL;
}

bool trunk_registrar_auth_pbx(struct trunk_gateway *gw, nta_incoming_t *irq,
			      sip_t const *sip,
			      const struct config_section *pbx)
{
	const struct config_section *who;

	return !config_is_set(pbx, "username") ||
	       registrar_check(gw, irq, sip, pbx, &who);
}

/* ---------------------------------------------------------------------- */
/* Bindings                                                                */

static void registrar_prune(struct trunk_gateway *gw)
{
	struct trunk_binding **pp = &gw->bindings, *b;
	time_t now = time(NULL);

	while ((b = *pp)) {
		if (b->expires <= now) {
			*pp = b->next;
			LOGI(SUBSYS, b->phone, "binding %s expired",
			     b->contact);
			free(b);
		} else {
			pp = &b->next;
		}
	}
}

static unsigned registrar_count(struct trunk_gateway *gw, const char *phone)
{
	struct trunk_binding *b;
	unsigned n = 0;

	for (b = gw->bindings; b; b = b->next)
		n += !strcmp(b->phone, phone);
	return n;
}

static void registrar_remove(struct trunk_gateway *gw, const char *phone,
			     const char *contact)
{
	struct trunk_binding **pp = &gw->bindings, *b;

	while ((b = *pp)) {
		if (!strcmp(b->phone, phone) &&
		    (!contact || !strcmp(b->contact, contact))) {
			*pp = b->next;
			free(b);
		} else {
			pp = &b->next;
		}
	}
}

static struct trunk_binding *
registrar_find(struct trunk_gateway *gw, const char *phone, const char *contact)
{
	struct trunk_binding *b;

	for (b = gw->bindings; b; b = b->next)
		if (!strcmp(b->phone, phone) && !strcmp(b->contact, contact))
			return b;
	return NULL;
}

/* Add or refresh one binding (checked by registrar_check_contacts);
 * 0, or 500 out of memory. */
static int registrar_bind(struct trunk_gateway *gw,
			  const struct config_section *ph, const char *contact,
			  long long expires, sip_t const *sip)
{
	const char *name = config_section_name(ph);
	struct trunk_binding *b = registrar_find(gw, name, contact);

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return 500;
		snprintf(b->phone, sizeof(b->phone), "%s", name);
		snprintf(b->contact, sizeof(b->contact), "%s", contact);
		b->next = gw->bindings;
		gw->bindings = b;
		LOGI(SUBSYS, name, "registered %s for %lld s", contact,
		     expires);
	}
	snprintf(b->call_id, sizeof(b->call_id), "%s", sip->sip_call_id->i_id);
	b->expires = time(NULL) + (time_t)expires;
	return 0;
}

/* The expiry a contact asks for, clamped to [enterprise] max_expires. */
static long long registrar_expires(struct trunk_gateway *gw,
				   sip_contact_t const *m, sip_t const *sip)
{
	const struct config_section *e =
		config_section_get(gw->cfg, "enterprise", NULL);
	long long max = config_get_int(e, "max_expires") / 1000;
	long long want = max;

	if (m->m_expires)
		want = strtoll(m->m_expires, NULL, 10);
	else if (sip->sip_expires)
		want = (long long)sip->sip_expires->ex_delta;
	return want > max ? max : want;
}

/* Was m's URI already listed before it in the same REGISTER? */
static bool registrar_listed_before(sip_t const *sip, sip_contact_t const *m)
{
	sip_contact_t const *o;

	for (o = sip->sip_contact; o != m; o = o->m_next)
		if (!url_cmp_all(o->m_url, m->m_url))
			return true;
	return false;
}

/*
 * RFC 3261 10.3 steps 6 and 7: a REGISTER changes all its bindings or
 * none, so everything that can refuse it is checked before any binding
 * changes: "*" alone and with Expires: 0 (else 400), every expiry not
 * under min_expires (423 with Min-Expires in *too_brief), and the
 * phone's bindings after the request within max_contacts (403: a
 * refusal the phone must not retry as is, unlike a 503 that invites a
 * retry or another server; registrar_refuse_full() says why).
 */
static int registrar_check_contacts(struct trunk_gateway *gw,
				    const struct config_section *ph,
				    sip_t const *sip, long long *too_brief)
{
	const struct config_section *e =
		config_section_get(gw->cfg, "enterprise", NULL);
	long long min = config_get_int(e, "min_expires") / 1000;
	const char *name = config_section_name(ph);
	long long n = registrar_count(gw, name);
	sip_contact_t const *m;
	char uri[512];

	for (m = sip->sip_contact; m; m = m->m_next) {
		long long exp = registrar_expires(gw, m, sip);
		bool bound;

		if (m->m_url->url_type == url_any) {
			if (m != sip->sip_contact || m->m_next ||
			    !sip->sip_expires || sip->sip_expires->ex_delta)
				return 400;
			return 0;
		}
		if (registrar_listed_before(sip, m))
			continue;
		url_e(uri, sizeof(uri), m->m_url);
		uri[sizeof(uri) - 1] = '\0';
		bound = registrar_find(gw, name, uri) != NULL;
		if (exp == 0) {
			n -= bound;
			continue;
		}
		if (exp < min) {
			*too_brief = min;
			return 423;
		}
		n += !bound;
	}
	return n > config_get_int(ph, "max_contacts") ? 403 : 0;
}

/* Apply a REGISTER that registrar_check_contacts() accepted. */
static int registrar_apply(struct trunk_gateway *gw,
			   const struct config_section *ph, sip_t const *sip)
{
	sip_contact_t const *m;
	char uri[512];
	int status;

	for (m = sip->sip_contact; m; m = m->m_next) {
		long long exp = registrar_expires(gw, m, sip);

		if (m->m_url->url_type == url_any) { /* "*": all gone */
			registrar_remove(gw, config_section_name(ph), NULL);
			continue;
		}
		url_e(uri, sizeof(uri), m->m_url);
		uri[sizeof(uri) - 1] = '\0';
		if (exp == 0) {
			registrar_remove(gw, config_section_name(ph), uri);
			continue;
		}
		status = registrar_bind(gw, ph, uri, exp, sip);
		if (status)
			return status;
	}
	return 0;
}

/* 403 for a REGISTER that would exceed the phone's max_contacts: the
 * reason phrase and a Warning (RFC 3261 20.43) say which limit, for
 * whoever reads the phone's trace; the operator gets a WARN line. */
static void registrar_refuse_full(nta_incoming_t *irq,
				  const struct config_section *ph)
{
	long long max = config_get_int(ph, "max_contacts");
	char warning[120];

	LOGW(SUBSYS, config_section_name(ph),
	     "REGISTER refused: it would exceed max_contacts (%lld)", max);
	snprintf(warning, sizeof(warning),
		 "399 trunkd \"max_contacts (%lld) reached: remove a "
		 "registered device first\"",
		 max);
	nta_incoming_treply(irq, 403, "Too Many Registered Contacts",
			    SIPTAG_WARNING_STR(warning), TAG_END());
}

/* 200 OK listing every current binding of the phone with its expiry. */
static void registrar_ok(struct trunk_gateway *gw, nta_incoming_t *irq,
			 sip_t const *sip, const char *phone)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sip_contact_t *list = NULL, **tail = &list;
	struct trunk_binding *b;
	time_t now = time(NULL);
	char buf[600];

	for (b = gw->bindings; b; b = b->next) {
		if (strcmp(b->phone, phone))
			continue;
		snprintf(buf, sizeof(buf), "<%s>;expires=%lld", b->contact,
			 (long long)(b->expires - now));
		*tail = sip_contact_make(home, buf);
		if (*tail)
			tail = &(*tail)->m_next;
	}
	/* KEEP-3: a phone offering keep learns our keep-alive interval. */
	nta_incoming_treply(irq, SIP_200_OK, SIPTAG_CONTACT(list),
			    SIPTAG_DATE(sip_date_create(home, now)),
			    SIPTAG_VIA(trunk_keep_answer_via(gw, home, sip)),
			    TAG_END());
	su_home_deinit(home);
}

int trunk_registrar_register(struct trunk_gateway *gw, nta_incoming_t *irq,
			     sip_t const *sip)
{
	const struct config_section *ph = trunk_registrar_auth(gw, irq, sip);
	long long too_brief = 0;
	char mine[80];
	int status;

	if (!ph)
		return 0; /* challenged or refused */
	/* A phone registers its own AOR only. */
	if (!sip->sip_to->a_url->url_user ||
	    trunk_phone_find(gw->cfg, sip->sip_to->a_url->url_user) != ph)
		return 403;
	registrar_prune(gw);
	status = registrar_check_contacts(gw, ph, sip, &too_brief);
	if (status == 423) {
		snprintf(mine, sizeof(mine), "%lld", too_brief);
		nta_incoming_treply(irq, SIP_423_INTERVAL_TOO_BRIEF,
				    SIPTAG_MIN_EXPIRES_STR(mine), TAG_END());
		return 0;
	}
	if (status == 403) {
		registrar_refuse_full(irq, ph);
		return 0;
	}
	if (!status)
		status = registrar_apply(gw, ph, sip);
	if (status)
		return status;
	registrar_ok(gw, irq, sip, config_section_name(ph));
	return 0;
}

const struct trunk_binding *trunk_binding_next(struct trunk_gateway *gw,
					       const char *phone,
					       const struct trunk_binding *prev)
{
	const struct trunk_binding *b;

	if (!prev)
		registrar_prune(gw);
	b = prev ? prev->next : gw->bindings;
	while (b && phone && strcmp(b->phone, phone))
		b = b->next;
	return b;
}

void trunk_binding_info(const struct trunk_binding *b,
			struct trunk_binding_info *info)
{
	info->phone = b->phone;
	info->contact = b->contact;
	info->expires_in = (long long)(b->expires - time(NULL));
}

void trunk_bindings_free(struct trunk_gateway *gw)
{
	struct trunk_binding *b;

	while ((b = gw->bindings)) {
		gw->bindings = b->next;
		free(b);
	}
	free(gw->nonces);
	gw->nonces = NULL;
}
