/*
 * Private to trunk/: `trunkctl dialplan test` and `trunkd --dialplan-test`
 * (issue 4 item 3, docs/dialplan.md). A call is described (direction,
 * caller, dialled number, context...), an INVITE as its sender would send
 * it is made, and the live routing decision (call_route_decide(): the dial
 * plan, policy.c's identity headers, the location) runs on it without
 * placing a call. The report is what leg B's INVITE would carry.
 */
#ifndef TRUNKD_TRUNK_DIALTEST_H
#define TRUNKD_TRUNK_DIALTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway.h"

#define DIALTEST_HEADERS_MAX 16

struct dialtest_report {
	int status; /* 0: leg B's INVITE below would be sent; else a status */
	enum trunk_side side; /* leg B's side */
	const char *who;      /* the sender's section name, "" none */
	/* Leg B's section: "trunk", "pbx", "phone" and its name; "" none. */
	const char *peer_kind;
	char peer[64];
	bool emergency; /* EM-1 (the dial plan said so) */
	struct dialplan_result
		res; /* res.context NULL: the plan said nothing */
	/* Leg B's INVITE (status 0): R-URI, To, From, the identity and
	 * location headers (policy.c), the [location] sent by value. */
	char ruri[512], to[520], from[400];
	const char *location; /* its name, or NULL */
	char loc_cid[96];
	size_t nheaders; /* route.headers split: "Name", "value" */
	const char *hname[DIALTEST_HEADERS_MAX], *hvalue[DIALTEST_HEADERS_MAX];
	char hbuf[2048];
};

/*
 * Decide q on gw (the running gateway, or one holding only cfg and plan
 * for the offline form). Returns 0 with *rep written, ENOENT (no such
 * context or peer: why says which), EINVAL (bad query: why). rep borrows
 * from gw's config and plan.
 */
int dialtest_run(struct trunk_gateway *gw, const struct trunk_dialtest *q,
		 struct dialtest_report *rep, char *why, size_t len);

/* Append to buf: a %-escaped URI user (RFC 3261 unreserved and
 * user-unreserved characters as they are, the rest %XX). Also for
 * `trunkctl transfer`'s target (transfer.c). */
void trunk_uri_user_escape(const char *s, char *buf, size_t len);

/* The readable report, one "Name: value" line per item. */
void dialtest_text(const struct dialtest_report *rep, char *buf, size_t len);

#endif /* TRUNKD_TRUNK_DIALTEST_H */
