/*
 * Trunks configured by domain only (no `proxy`): their SP-SSEs are what
 * RFC 3263 gives for the domain and the trunk's transport (STA-1).
 *
 * The lookup follows RFC 3263 4.1 and 4.2 for the trunk's configured
 * transport: NAPTR records of the domain whose service is that transport
 * (SIP+D2U, SIP+D2T, SIPS+D2T) name the SRV records to use; without a
 * matching NAPTR, the default SRV name (_sip._udp, _sip._tcp,
 * _sips._tcp); every SRV target's A or AAAA addresses (the trunk's
 * address_family, SC-15-2), targets in SRV order (priority, then RFC 2782
 * weighted random within a priority); without SRV records, the domain's
 * own addresses on the transport's default port (RFC 3263 4.2: only when
 * there is no SRV record, not when every target is "." or has none).
 *
 * What it gives:
 *  - the inbound sources of the trunk: its INVITEs are accepted from
 *    every address found (as from the addresses of a `proxy` list);
 *  - for a Static-mode trunk, its SP-SSEs: peer.c makes one peer per
 *    address found, in SRV order, supervised by OPTIONS like a configured
 *    SP-SSE (STA-4, STA-5), shown by trunkctl, and outbound INVITEs go to
 *    the peers that are up in that order with the usual failover
 *    (call_route_peers, call_b_failover). Over TLS the route names the
 *    domain and carries the address in maddr, so the certificate is
 *    checked against the domain, never the target (RFC 5922 4.1,
 *    trunk_tls_route()). A registration-mode trunk keeps nta's own
 *    RFC 3263 lookups: its requests follow the registration's flow.
 *    With no address found, a trunk has no peers and nta resolves each
 *    outbound request itself, as before.
 *
 *   start, reload ──▶ lookup on the resolver thread ──eventfd──▶ answer ─┐
 *        ▲         (a failed lookup keeps the old answer)      peers,   │
 *        │                                                      sources ◀┘
 *        └──── timer: the smallest TTL of the answer (at least
 *              dns_min_ttl), or dns_min_ttl after a failed lookup
 *              (2 s doubling to 30 s while the trunk has no answer)
 *
 * Every lookup runs on one resolver thread, at start and on reload too:
 * a slow or dead DNS server never holds up the signalling thread (SIP,
 * trunkctl, signals). Its answer comes back through an eventfd and is
 * applied on the signalling thread. Only the job queues are shared (one
 * mutex); the answers belong to the signalling thread.
 *
 * Until the first lookup of a trunk's question (trunk, domain, transport,
 * family) has an answer, the trunk is "pending": it has no SP-SSEs and no
 * inbound sources, trunkctl shows dns.state "pending", and a call toward
 * a Static-mode one is refused with 503, a short Retry-After and a
 * Warning naming the lookup (call.c), rather than handed to nta's own
 * per-request resolution. A failed lookup of a pending trunk is tried
 * again soon (2 s, doubling per failure, at most 30 s or dns_min_ttl),
 * not after dns_min_ttl: its calls are refused until an answer. A
 * reload that asks a trunk the same question keeps its answer (and its
 * SP-SSEs) while the new lookup runs.
 *
 * A lookup the server does not answer (no answer, SERVFAIL: the
 * resolver's TRY_AGAIN) keeps the trunk's previous addresses, at a reload
 * as on a refresh (dns.state "stale"), and is tried again after
 * dns_min_ttl: a DNS outage must not take a working carrier down. Its
 * other queries are skipped, and the resolver's timeout and tries are
 * capped (a lookup's worst case bounds a pending trunk's Retry-After).
 * A stop does not wait for a lookup in progress (trunk_dns_free). The
 * NAPTR query is the exception: a server that does not serve NAPTR
 * (REFUSED, NOTIMP: TRY_AGAIN too) has none, and the lookup goes on
 * with the SRV and A/AAAA queries (RFC 3263 4.1); only when those find
 * no address does the failed NAPTR query fail the lookup. An answer
 * that says there is nothing (NXDOMAIN, no records) is taken as it is.
 * Answers are read into a buffer of the largest DNS message: glibc
 * returns the full length of an answer it had to truncate (a large one
 * over TCP).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define SU_TIMER_ARG_T struct dns_trunk

#include "gateway.h"
#include "peer_dns.h"

#define SUBSYS "trunk.peer"

#define DNS_MAX_TARGETS 8  /* SRV targets per trunk */
#define DNS_MAX_RECORDS 64 /* SRV records ordered (RFC 2782) */
#define DNS_TIMEOUT	2  /* seconds per try, at most */
#define DNS_TRIES	2  /* tries per server, at most */
/* Retry-After of a call refused while a trunk is pending: the worst case
 * of what is left of its lookup (and of the lookups queued before it on
 * the resolver thread), plus the wait for the next lookup after a failed
 * one. A lookup with answers is done in well under a second, but an
 * unanswered query costs trunk_dns_query_worst_ms() (glibc's send_dg:
 * each try waits retrans << ns / nscount per server, ns the server's
 * index, not the try's: 4 s with one server, test 180 measures 2 s +
 * 2 s; 10 s with three), and a lookup can have DNS_LOOKUP_UNANSWERED
 * of them: a NAPTR query that fails does not fail the lookup, the next
 * one does (dns_lookup). A call retried sooner is refused again the same
 * way. Never more than DNS_RETRY_AFTER_MAX: a long Retry-After stops a
 * PBX's calls through every trunk (RFC 3261 21.5.4). */
#define DNS_LOOKUP_UNANSWERED 2
/* A pending trunk's refused calls: one WARN, then one per this many ms at
 * most, with the count (trunk_dns_refused). */
#define DNS_REFUSED_WARN_MS 10000LL
#define DNS_RETRY_AFTER_MAX 10
/* The first lookups of a trunk (no answer yet) failing: tried again after
 * 2 s, doubling per failure, at most 30 s (and at most dns_min_ttl). */
#define DNS_PENDING_RETRY_MS	 2000LL
#define DNS_PENDING_RETRY_MAX_MS 30000LL

/* A trunk by domain and what DNS said of it (signalling thread only). */
struct dns_trunk {
	struct trunk_dns *dns; /* borrowed: its owner */
	struct dns_trunk *next;
	char trunk[64];
	char domain[256];
	char tp[4]; /* udp, tcp, tls */
	int family; /* AF_INET, AF_INET6 */
	bool peers; /* Static mode: its answer makes peers (peer.c) */
	long long min_ttl_ms;
	struct trunk_dns_answer ans;
	su_timer_t *timer;    /* refresh */
	long long due;	      /* when it fires: dns_now() */
	bool pending;	      /* a lookup is with the resolver thread */
	long long lookup_end; /* its worst-case end, if pending: dns_now() */
	bool answered;	      /* ans is an answer to this question */
	unsigned long lookups, failed; /* trunkctl */
	unsigned long refused; /* trunkctl: calls refused while pending */
	bool failing; /* the last lookup failed (one WARN per outage) */
	struct trunk_dns_warn refused_warn; /* their WARN lines */
	long long backoff_ms; /* next retry while !answered (0: the first) */
};

/* A lookup for the resolver thread, and its answer. */
struct dns_job {
	struct dns_job *next;
	unsigned gen; /* trunk_dns.gen when asked */
	char trunk[64], domain[256], tp[4];
	int family;
	struct trunk_dns_answer ans;
};

struct trunk_dns {
	struct trunk_gateway *gw; /* borrowed */
	struct dns_trunk *trunks;
	unsigned gen; /* +1 per apply: older jobs' answers are dropped */
	/* The resolver thread, started at the first refresh. */
	bool running;
	pthread_t tid;
	pthread_mutex_t mu; /* guards todo, done */
	pthread_cond_t cv;
	struct dns_job *todo, *done; /* todo: first in, first out */
	atomic_bool stop; /* also read between the queries of a lookup */
	bool busy;	  /* the thread is in a lookup (under mu) */
	bool orphan;	  /* stopped while busy: the thread frees this */
	/* trunk_dns_query_worst_ms() of the resolver's settings, as the
	 * thread's last lookup read them (resolv.conf may change). */
	atomic_llong query_worst_ms;
	unsigned outstanding; /* lookups asked and not taken back */
	long long queue_end;  /* their worst-case end: dns_now() */
	int efd;	      /* done is not empty */
	su_wait_t wait[1];
	int reg;
};

/* ---------------------------------------------------------------------- */
/* The lookup (any thread: uses only its arguments)                       */

/* One lookup: the resolver, an answer buffer the size of the largest DNS
 * message (an answer over TCP can exceed any smaller one) and whether a
 * query failed rather than found nothing. */
struct dns_ctx {
	struct __res_state rs;
	bool failed;
	const atomic_bool *stop; /* NULL, or: give up (trunkd stops) */
	unsigned char buf[65536];
};

/* One DNS query of NAME for TYPE; its parsed answer in *msg (valid until
 * the next query). The number of answer records, or -1 (ctx->failed set
 * when the server gave no answer: TRY_AGAIN). */
static int dns_query(struct dns_ctx *ctx, const char *name, int type,
		     ns_msg *msg)
{
	int n;

	if (ctx->failed || (ctx->stop && atomic_load(ctx->stop))) {
		ctx->failed = true;
		return -1;
	}
	n = res_nquery(&ctx->rs, name, ns_c_in, type, ctx->buf,
		       sizeof(ctx->buf));
	if (n < 0) {
		ctx->failed = ctx->rs.res_h_errno == TRY_AGAIN;
		return -1;
	}
	/* glibc returns the full length of an answer it had to truncate */
	if (n > (int)sizeof(ctx->buf))
		n = sizeof(ctx->buf);
	if (ns_initparse(ctx->buf, n, msg) < 0)
		return -1;
	return ns_msg_count(*msg, ns_s_an);
}

/* A resolver for one lookup, its timeout and tries capped: a dead server
 * must not keep a trunk pending for long. NULL: no memory or no
 * resolver. */
static struct dns_ctx *dns_ctx_alloc(void)
{
	struct dns_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx && res_ninit(&ctx->rs)) {
		free(ctx);
		return NULL;
	}
	if (ctx && ctx->rs.retrans > DNS_TIMEOUT)
		ctx->rs.retrans = DNS_TIMEOUT;
	if (ctx && ctx->rs.retry > DNS_TRIES)
		ctx->rs.retry = DNS_TRIES;
	return ctx;
}

long long trunk_dns_query_worst_ms(unsigned retrans, unsigned retry,
				   unsigned nscount)
{
	long long per_try = 0;

	if (!nscount)
		nscount = 1; /* glibc then asks the local server */
	for (unsigned ns = 0; ns < nscount; ns++) {
		long long s = (long long)retrans << ns;

		if (ns > 0)
			s /= nscount;
		per_try += s > 0 ? s : 1;
	}
	return per_try * (retry ? retry : 1) * 1000;
}

unsigned trunk_dns_retry_after(long long left_ms, unsigned max_s)
{
	long long s = left_ms > 0 ? (left_ms + 999) / 1000 : 1;

	if (s < 1)
		s = 1;
	return s > (long long)max_s ? max_s : (unsigned)s;
}

bool trunk_dns_warn_take(struct trunk_dns_warn *w, long long now_ms,
			 long long interval_ms, unsigned long *held)
{
	if (w->warned && now_ms - w->last_ms < interval_ms) {
		w->held++;
		return false;
	}
	*held = w->held;
	w->held = 0;
	w->last_ms = now_ms;
	w->warned = true;
	return true;
}

/* trunk_dns_query_worst_ms() of a resolver, its timeout and tries capped
 * as dns_ctx_alloc() caps them. */
static long long dns_worst_of(const struct __res_state *rs)
{
	return trunk_dns_query_worst_ms(
		(unsigned)(rs->retrans > DNS_TIMEOUT ? DNS_TIMEOUT
						     : rs->retrans),
		(unsigned)(rs->retry > DNS_TRIES ? DNS_TRIES : rs->retry),
		(unsigned)rs->nscount);
}

static void dns_ctx_free(struct dns_ctx *ctx)
{
	if (!ctx)
		return;
	res_nclose(&ctx->rs); /* glibc: frees and detaches all */
	free(ctx);
}

static void dns_ttl(struct trunk_dns_answer *a, const ns_rr *rr)
{
	unsigned long ttl = ns_rr_ttl(*rr);

	if (!a->have_ttl || ttl < a->ttl)
		a->ttl = (unsigned)ttl;
	a->have_ttl = true;
}

/* NAPTR (RFC 3403) of the domain: the SRV name of the best record whose
 * service is SERVICE and flag "S", into srv. 0 found, -1 none. */
static int dns_naptr(struct dns_ctx *ctx, const char *domain,
		     const char *service, struct trunk_dns_answer *a)
{
	ns_msg msg;
	ns_rr rr;
	int n = dns_query(ctx, domain, ns_t_naptr, &msg);
	unsigned long best = 0;
	bool found = false;

	for (int i = 0; i < n; i++) {
		const unsigned char *p, *end;
		char field[3][256], name[NS_MAXDNAME];
		unsigned long order;

		if (ns_parserr(&msg, ns_s_an, i, &rr) ||
		    ns_rr_type(rr) != ns_t_naptr || ns_rr_rdlen(rr) < 7)
			continue;
		p = ns_rr_rdata(rr);
		end = p + ns_rr_rdlen(rr);
		order = (unsigned long)(p[0] << 8 | p[1]) << 16 |
			(unsigned long)(p[2] << 8 | p[3]);
		p += 4;
		for (int f = 0; f < 3; f++) { /* flags, services, regexp */
			unsigned flen = p < end ? *p++ : 256;

			if (flen > 255 || flen > (size_t)(end - p))
				goto next;
			memcpy(field[f], p, flen);
			field[f][flen] = '\0';
			p += flen;
		}
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), p, name,
			      sizeof(name)) < 0)
			continue;
		if (strcasecmp(field[0], "s") ||
		    strcasecmp(field[1], service) || (found && order >= best))
			continue;
		best = order;
		found = true;
		dns_ttl(a, &rr);
		snprintf(a->srv, sizeof(a->srv), "%s", name);
	next:;
	}
	return found ? 0 : -1;
}

/* HOST's addresses of the family as targets (port, priority, weight of
 * its SRV record); how many were added. */
static unsigned dns_host(struct dns_ctx *ctx, struct trunk_dns_answer *a,
			 int family, const char *host, unsigned port,
			 unsigned prio, unsigned weight)
{
	ns_type type = family == AF_INET6 ? ns_t_aaaa : ns_t_a;
	size_t alen = family == AF_INET6 ? 16 : 4;
	ns_msg msg;
	ns_rr rr;
	int n = dns_query(ctx, host, type, &msg);
	unsigned added = 0;

	for (int i = 0; i < n && a->n < TRUNK_DNS_MAX_ADDRS; i++) {
		struct trunk_dns_target *t = &a->v[a->n];
		bool dup = false;

		if (ns_parserr(&msg, ns_s_an, i, &rr) ||
		    ns_rr_type(rr) != type || ns_rr_rdlen(rr) != alen ||
		    !inet_ntop(family, ns_rr_rdata(rr), t->ip, sizeof(t->ip)))
			continue;
		for (size_t j = 0; j < a->n; j++)
			dup |= !strcmp(a->v[j].ip, t->ip) &&
			       a->v[j].port == port;
		if (dup)
			continue;
		snprintf(t->host, sizeof(t->host), "%s", host);
		t->port = port;
		t->prio = prio;
		t->weight = weight;
		dns_ttl(a, &rr);
		a->n++;
		added++;
	}
	return added;
}

void trunk_dns_srv_order(struct trunk_dns_srv *v, size_t n,
			 trunk_dns_rnd_h *rnd, void *arg)
{
	for (size_t i = 1; i < n; i++) { /* stable: priority, weight 0 */
		struct trunk_dns_srv x = v[i];
		size_t j = i;

		while (j > 0 && (x.prio < v[j - 1].prio ||
				 (x.prio == v[j - 1].prio && !x.weight &&
				  v[j - 1].weight))) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (size_t i = 0; i < n; i++) { /* weighted draws per priority */
		unsigned long sum = 0, r, run = 0;
		size_t end = i, pick = i;

		while (end < n && v[end].prio == v[i].prio)
			sum += v[end++].weight;
		r = sum ? rnd(arg) % (sum + 1) : 0;
		for (size_t j = i; j < end; j++) {
			run += v[j].weight;
			if (run >= r) {
				pick = j;
				break;
			}
		}
		if (pick != i) {
			struct trunk_dns_srv x = v[pick];

			memmove(&v[i + 1], &v[i], (pick - i) * sizeof(*v));
			v[i] = x;
		}
	}
}

static unsigned long dns_random(void *arg)
{
	(void)arg;
	return (unsigned long)random();
}

/* The SRV records of NAME, in RFC 2782 order, and the addresses of the
 * first DNS_MAX_TARGETS targets. The number of SRV records (targets "."
 * included), -1 none. */
static int dns_srv(struct dns_ctx *ctx, struct trunk_dns_answer *a, int family,
		   const char *name)
{
	struct trunk_dns_srv *v = calloc(DNS_MAX_RECORDS, sizeof(*v));
	ns_msg msg;
	ns_rr rr;
	int n = v ? dns_query(ctx, name, ns_t_srv, &msg) : -1, records = 0;
	size_t nv = 0;

	for (int i = 0; i < n && nv < DNS_MAX_RECORDS; i++) {
		const unsigned char *d;

		if (ns_parserr(&msg, ns_s_an, i, &rr) ||
		    ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7 ||
		    dn_expand(ns_msg_base(msg), ns_msg_end(msg),
			      ns_rr_rdata(rr) + 6, v[nv].target,
			      sizeof(v[nv].target)) < 0)
			continue;
		records++;
		if (!strcmp(v[nv].target, "") || !strcmp(v[nv].target, "."))
			continue; /* RFC 2782: not available at this domain */
		d = ns_rr_rdata(rr);
		v[nv].prio = (unsigned)(d[0] << 8 | d[1]);
		v[nv].weight = (unsigned)(d[2] << 8 | d[3]);
		v[nv].port = (unsigned)(d[4] << 8 | d[5]);
		dns_ttl(a, &rr);
		nv++;
	}
	if (nv)
		trunk_dns_srv_order(v, nv, dns_random, NULL);
	/* Each dns_host() reuses ctx->buf: msg is done with. */
	for (size_t i = 0; i < nv && i < DNS_MAX_TARGETS; i++)
		dns_host(ctx, a, family, v[i].target, v[i].port, v[i].prio,
			 v[i].weight);
	free(v);
	return records ? records : -1;
}

/* RFC 3263 for DOMAIN over TP ("udp", "tcp", "tls") into a (zeroed).
 * A query the server did not answer sets a->failed: the answer is then
 * partial and must not replace a complete one. */
static void dns_lookup(struct dns_ctx *ctx, const char *domain, const char *tp,
		       int family, struct trunk_dns_answer *a)
{
	const char *service = !strcmp(tp, "tls")   ? "SIPS+D2T"
			      : !strcmp(tp, "tcp") ? "SIP+D2T"
						   : "SIP+D2U";
	const char *prefix = !strcmp(tp, "tls")	  ? "_sips._tcp"
			     : !strcmp(tp, "tcp") ? "_sip._tcp"
						  : "_sip._udp";
	bool naptr_failed;

	ctx->failed = false;
	a->naptr = !dns_naptr(ctx, domain, service, a);
	/* RFC 3263 4.1: a server that does not serve NAPTR at all (it
	 * refuses the query or does not implement the type: glibc's
	 * TRY_AGAIN, as for no answer) means no NAPTR records, and the
	 * lookup goes on with the default SRV name. A dead server fails
	 * the SRV query too. */
	naptr_failed = ctx->failed;
	ctx->failed = false; /* dns_query() still stops on ctx->stop */
	if (!a->naptr)
		snprintf(a->srv, sizeof(a->srv), "%s.%s", prefix, domain);
	/* RFC 3263 4.2: the domain's own addresses only without SRV records
	 * (not when every target is "." or has no address). */
	if (dns_srv(ctx, a, family, a->srv) < 0 && !ctx->failed)
		dns_host(ctx, a, family, domain, 0, 0, 0);
	/* No address after a NAPTR query that failed: the NAPTR records
	 * the server did not give may name other SRV records (a slow
	 * server, not one without NAPTR): no answer, the trunk keeps what
	 * it has. */
	a->failed = ctx->failed || (naptr_failed && !a->n);
}

/* ---------------------------------------------------------------------- */
/* The resolver thread                                                     */

static void dns_jobs_free(struct dns_job *j)
{
	struct dns_job *next;

	for (; j; j = next) {
		next = j->next;
		free(j);
	}
}

/* What the resolver thread shares (trunk_dns_free() has freed the rest):
 * by the signalling thread at a stop, or by the thread itself when the
 * stop came during a lookup (orphan). */
static void dns_shared_free(struct trunk_dns *d)
{
	if (d->efd >= 0)
		close(d->efd);
	dns_jobs_free(d->todo);
	dns_jobs_free(d->done);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

static void *dns_worker(void *arg)
{
	struct trunk_dns *d = arg;
	struct dns_job *job;
	bool orphan;

	trunk_sched_slice_reset(); /* the signalling thread's, inherited */
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->stop && !d->todo)
			pthread_cond_wait(&d->cv, &d->mu);
		if (d->stop)
			break;
		job = d->todo;
		d->todo = job->next;
		d->busy = true;
		pthread_mutex_unlock(&d->mu);

		/* A fresh resolver per lookup: resolv.conf may change. */
		struct dns_ctx *ctx = dns_ctx_alloc();

		if (ctx) {
			atomic_store(&d->query_worst_ms,
				     dns_worst_of(&ctx->rs));
			ctx->stop = &d->stop;
			dns_lookup(ctx, job->domain, job->tp, job->family,
				   &job->ans);
		} else {
			job->ans.failed = true;
		}
		dns_ctx_free(ctx);
		pthread_mutex_lock(&d->mu);
		d->busy = false;
		if (d->stop) { /* nobody takes answers any more */
			free(job);
			break;
		}
		job->next = d->done;
		d->done = job;
		if (eventfd_write(d->efd, 1))
			LOGW(SUBSYS, job->trunk,
			     "cannot wake the signalling thread: %s",
			     strerror(errno));
	}
	orphan = d->orphan;
	pthread_mutex_unlock(&d->mu);
	if (orphan)
		dns_shared_free(d);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Answers on the signalling thread                                        */

/* One INFO line per answer taken (a WARN when it has no address). */
static void dns_log(const struct dns_trunk *e, bool refresh)
{
	char list[400] = "";
	size_t used = 0;

	if (!e->ans.n) {
		LOGW(SUBSYS, NULL,
		     "trunk %s: %s resolves to no address%s: no inbound calls "
		     "from it, outbound ones resolved per request, until a "
		     "lookup (every dns_min_ttl, or a reload) finds one",
		     e->trunk, e->domain, refresh ? " now" : "");
		return;
	}
	for (size_t i = 0; i < e->ans.n && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used,
				 "%s%s:%u (%s)", i ? ", " : "",
				 e->ans.v[i].host, e->ans.v[i].port,
				 e->ans.v[i].ip);
		used += w > 0 ? (size_t)w : 0;
	}
	LOGI(SUBSYS, NULL,
	     "trunk %s: inbound accepted from %zu address(es) of %s (%s%s, "
	     "TTL %u s%s)%s: %s",
	     e->trunk, e->ans.n, e->domain, e->ans.naptr ? "NAPTR, " : "",
	     e->ans.srv, e->ans.ttl, refresh ? ", looked up again" : "",
	     e->peers ? ", its SP-SSEs" : "", list);
}

/* A lookup of e failed (the server gave no answer): e keeps what it
 * has; one WARN per outage. */
static void dns_failed(struct dns_trunk *e)
{
	if (e->answered)
		LOG_AT(e->failing ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, SUBSYS,
		       NULL,
		       "trunk %s: DNS lookup of %s failed (no answer from the "
		       "server): kept its %zu previous address(es), trying "
		       "again every dns_min_ttl",
		       e->trunk, e->domain, e->ans.n);
	else
		LOG_AT(e->failing ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, SUBSYS,
		       NULL,
		       "trunk %s: DNS lookup of %s failed (no answer from the "
		       "server): no address known yet%s, trying again within "
		       "30 s",
		       e->trunk, e->domain,
		       e->peers ? ", its calls refused with 503" : "");
	e->failed++;
	e->failing = true;
}

static void dns_refresh(su_root_magic_t *m, su_timer_t *t, struct dns_trunk *e);

static long long dns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next lookup of e in ms (at least dns_min_ttl, at most a day). */
static void dns_arm_in(struct dns_trunk *e, long long ms)
{
	if (ms < e->min_ttl_ms)
		ms = e->min_ttl_ms;
	if (ms > 86400000LL)
		ms = 86400000LL;
	e->due = dns_now() + ms;
	if (e->timer)
		su_timer_set_interval(e->timer, dns_refresh, e,
				      (su_duration_t)ms);
}

/* The next lookup of e after a failed one: dns_min_ttl once e has had an
 * answer (it keeps it); before, a short back-off, e's calls being
 * refused until an answer. */
static void dns_arm_retry(struct dns_trunk *e)
{
	long long ms, max = DNS_PENDING_RETRY_MAX_MS;

	if (e->answered) {
		dns_arm_in(e, 0);
		return;
	}
	if (max > e->min_ttl_ms)
		max = e->min_ttl_ms;
	ms = e->backoff_ms ? e->backoff_ms * 2 : DNS_PENDING_RETRY_MS;
	if (ms > max)
		ms = max;
	e->backoff_ms = ms;
	e->due = dns_now() + ms;
	if (e->timer)
		su_timer_set_interval(e->timer, dns_refresh, e,
				      (su_duration_t)ms);
}

/* The next lookup of e: when its answer's TTL runs out. */
static void dns_arm(struct dns_trunk *e)
{
	dns_arm_in(e, e->ans.n ? (long long)e->ans.ttl * 1000 : 0);
}

static int dns_start_worker(struct trunk_dns *d)
{
	int rc;

	if (d->running)
		return 0;
	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->efd < 0)
		return errno;
	rc = pthread_create(&d->tid, NULL, dns_worker, d);
	if (rc) {
		close(d->efd);
		d->efd = -1;
		return rc;
	}
	d->running = true;
	return 0;
}

static int dns_readable(struct trunk_gateway *gw, su_wait_t *w, void *arg);

/* Hand a lookup of e to the resolver thread (WHY for the log). */
static void dns_ask(struct dns_trunk *e, const char *why)
{
	struct trunk_dns *d = e->dns;
	struct dns_job *job, **tail;
	int rc;

	if (e->pending)
		return;
	rc = dns_start_worker(d);
	if (!rc && !d->reg) {
		if (su_wait_create(d->wait, d->efd, SU_WAIT_IN))
			rc = ENOMEM;
		else if ((d->reg = su_root_register(d->gw->root, d->wait,
						    dns_readable, d, 0)) <= 0)
			rc = ENOMEM, d->reg = 0;
	}
	job = rc ? NULL : calloc(1, sizeof(*job));
	if (!job) {
		LOGW(SUBSYS, e->trunk, "cannot look up %s (%s): retry later",
		     e->domain, strerror(rc ? rc : ENOMEM));
		dns_arm_retry(e);
		return;
	}
	job->gen = d->gen;
	snprintf(job->trunk, sizeof(job->trunk), "%s", e->trunk);
	snprintf(job->domain, sizeof(job->domain), "%s", e->domain);
	snprintf(job->tp, sizeof(job->tp), "%s", e->tp);
	job->family = e->family;
	/* Its worst case: after those queued before it (first in, first
	 * out on the one thread). */
	if (!d->outstanding || d->queue_end < dns_now())
		d->queue_end = dns_now();
	d->queue_end += DNS_LOOKUP_UNANSWERED * atomic_load(&d->query_worst_ms);
	d->outstanding++;
	e->lookup_end = d->queue_end;
	e->pending = true;
	if (e->timer)
		su_timer_reset(e->timer);
	LOGD(SUBSYS, e->trunk, "%s: looking up %s", why, e->domain);
	pthread_mutex_lock(&d->mu);
	for (tail = &d->todo; *tail; tail = &(*tail)->next)
		;
	*tail = job;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void dns_refresh(su_root_magic_t *m, su_timer_t *t, struct dns_trunk *e)
{
	(void)m;
	(void)t;
	dns_ask(e, e->failing ? "retry" : "TTL over");
}

/* The same addresses (in any order: a new weighted draw of RFC 2782 is
 * no change worth rebuilding the peers for). */
static bool dns_same(const struct trunk_dns_answer *a,
		     const struct trunk_dns_answer *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n && !found; j++)
			found = !strcmp(a->v[i].ip, b->v[j].ip) &&
				!strcmp(a->v[i].host, b->v[j].host) &&
				a->v[i].port == b->v[j].port &&
				a->v[i].prio == b->v[j].prio;
		if (!found)
			return false;
	}
	return true;
}

/* A lookup's answer for e (the first one of its question, or a new
 * one). */
static void dns_answered(struct dns_trunk *e, const struct dns_job *job)
{
	bool first = !e->answered;

	e->pending = false;
	e->lookups++;
	if (job->ans.failed) {
		dns_failed(e);
		dns_arm_retry(e);
		return;
	}
	e->failing = false;
	e->answered = true;
	e->backoff_ms = 0;
	if (!first && dns_same(&e->ans, &job->ans)) {
		e->ans.ttl = job->ans.ttl;
		LOGD(SUBSYS, e->trunk, "%s unchanged", e->domain);
	} else {
		e->ans = job->ans;
		dns_log(e, !first);
		if (e->peers)
			trunk_peers_dns_changed(e->dns->gw, e->trunk);
	}
	dns_arm(e);
}

static int dns_readable(struct trunk_gateway *gw, su_wait_t *w, void *arg)
{
	struct trunk_dns *d = arg;
	struct dns_job *job, *done;
	eventfd_t n;

	(void)gw;
	(void)w;
	(void)eventfd_read(d->efd, &n);
	pthread_mutex_lock(&d->mu);
	done = d->done;
	d->done = NULL;
	pthread_mutex_unlock(&d->mu);
	while ((job = done)) {
		struct dns_trunk *e;

		done = job->next;
		d->outstanding--;
		for (e = d->trunks; e && job->gen == d->gen; e = e->next)
			if (!strcmp(e->trunk, job->trunk)) {
				dns_answered(e, job);
				break;
			}
		free(job);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Start and reload                                                        */

static void dns_trunks_free(struct dns_trunk *e)
{
	struct dns_trunk *next;

	for (; e; e = next) {
		next = e->next;
		if (e->timer)
			su_timer_destroy(e->timer);
		free(e);
	}
}

/* The entry of trunk `trunk` in old if it asked the same question. */
static const struct dns_trunk *dns_old(const struct dns_trunk *old,
				       const char *trunk, const char *domain,
				       const char *tp, int family)
{
	for (; old; old = old->next)
		if (!strcmp(old->trunk, trunk) &&
		    !strcmp(old->domain, domain) && !strcmp(old->tp, tp) &&
		    old->family == family)
			return old;
	return NULL;
}

/* Trunk t by domain, its lookup not asked yet. The same question in old
 * hands over its answer (kept while the new lookup runs, and if it
 * fails: a DNS outage during a reload must not drop a working carrier)
 * and its counts. */
static struct dns_trunk *dns_trunk_alloc(struct trunk_dns *d,
					 const struct config_section *t,
					 const struct dns_trunk *old)
{
	struct dns_trunk *e = calloc(1, sizeof(*e));
	const struct dns_trunk *o;

	if (!e)
		return NULL;
	e->dns = d;
	snprintf(e->trunk, sizeof(e->trunk), "%s", config_section_name(t));
	snprintf(e->domain, sizeof(e->domain), "%s",
		 config_get_str(t, "domain"));
	snprintf(e->tp, sizeof(e->tp), "%s", config_get_str(t, "transport"));
	e->family = trunk_config_family(t);
	e->peers = !strcmp(config_get_str(t, "mode"), "static");
	e->min_ttl_ms = config_get_int(t, "dns_min_ttl");
	e->timer = su_timer_create(su_root_task(d->gw->root), 0);
	o = dns_old(old, e->trunk, e->domain, e->tp, e->family);
	if (o) {
		e->ans = o->ans;
		e->answered = o->answered;
		e->lookups = o->lookups;
		e->failed = o->failed;
		e->failing = o->failing;
	}
	return e;
}

/* Drop the lookups of an older apply that the thread has not begun. */
static void dns_drop_queued(struct trunk_dns *d)
{
	struct dns_job *j, *next;

	pthread_mutex_lock(&d->mu);
	j = d->todo;
	d->todo = NULL;
	pthread_mutex_unlock(&d->mu);
	for (; j; j = next) {
		next = j->next;
		free(j);
		d->outstanding--;
	}
}

/* The resolver's worst case before its thread has read resolv.conf:
 * read here once (a file, no query); three servers when it cannot be. */
static long long dns_worst_now(void)
{
	struct __res_state rs;
	long long ms;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs))
		return trunk_dns_query_worst_ms(DNS_TIMEOUT, DNS_TRIES, MAXNS);
	ms = dns_worst_of(&rs);
	res_nclose(&rs);
	return ms;
}

int trunk_dns_apply(struct trunk_gateway *gw, const struct config *cfg)
{
	struct trunk_dns *d = gw->dns;
	const struct config_section *t = NULL;
	struct dns_trunk *list = NULL, **tail = &list, *e;
	const char *const *px;

	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -1;
		d->gw = gw;
		d->efd = -1;
		atomic_init(&d->query_worst_ms, dns_worst_now());
		pthread_mutex_init(&d->mu, NULL);
		pthread_cond_init(&d->cv, NULL);
		gw->dns = d;
	}
	while ((t = config_section_next(cfg, "trunk", t))) {
		const char *domain = config_get_str(t, "domain");

		if (config_get_list(t, "proxy", &px) || !domain || !*domain)
			continue;
		*tail = dns_trunk_alloc(d, t, d->trunks);
		if (!*tail) {
			dns_trunks_free(list);
			return -1;
		}
		tail = &(*tail)->next;
	}
	dns_trunks_free(d->trunks);
	d->trunks = list;
	d->gen++; /* answers to older questions are dropped */
	dns_drop_queued(d);
	for (e = list; e; e = e->next)
		dns_ask(e, e->answered ? "reload" : "new trunk");
	return 0;
}

static const struct dns_trunk *dns_find(const struct trunk_gateway *gw,
					const char *trunk)
{
	const struct dns_trunk *e;

	for (e = gw->dns ? gw->dns->trunks : NULL; e; e = e->next)
		if (!strcmp(e->trunk, trunk))
			return e;
	return NULL;
}

const struct trunk_dns_answer *trunk_dns_peers(const struct trunk_gateway *gw,
					       const char *trunk)
{
	const struct dns_trunk *e = dns_find(gw, trunk);

	return e && e->peers ? &e->ans : NULL;
}

const struct trunk_dns_answer *
trunk_dns_peers_of(const struct trunk_gateway *gw,
		   const struct config_section *t)
{
	const char *domain = config_get_str(t, "domain");
	const char *const *px;
	const struct dns_trunk *o;

	if (!gw->dns || config_get_list(t, "proxy", &px) || !domain ||
	    !*domain || strcmp(config_get_str(t, "mode"), "static"))
		return NULL;
	o = dns_old(gw->dns->trunks, config_section_name(t), domain,
		    config_get_str(t, "transport"), trunk_config_family(t));
	return o ? &o->ans : NULL;
}

bool trunk_dns_info(const struct trunk_gateway *gw, const char *trunk,
		    struct trunk_dns_info *info)
{
	const struct dns_trunk *e = dns_find(gw, trunk);
	long long left, now = dns_now();

	if (!e)
		return false;
	left = e->due - now;
	info->domain = e->domain;
	info->srv = e->ans.srv;
	info->state = !e->answered ? "pending"
		      : e->failing ? "stale"
				   : "resolved";
	info->waiting = e->peers && !e->answered;
	/* Out: what is left of its worst case; failed: the wait for the
	 * next one and its own worst case. */
	info->retry_after = trunk_dns_retry_after(
		e->pending
			? e->lookup_end - now
			: (left > 0 ? left : 0) +
				  DNS_LOOKUP_UNANSWERED *
					  atomic_load(&gw->dns->query_worst_ms),
		DNS_RETRY_AFTER_MAX);
	info->addrs = e->ans.n;
	info->lookups = e->lookups;
	info->failed = e->failed;
	info->refused = e->refused;
	info->next_ms = e->pending ? 0 : left > 0 ? left : 0;
	return true;
}

void trunk_dns_refused(struct trunk_gateway *gw, const char *trunk)
{
	struct dns_trunk *e;
	unsigned long held;

	for (e = gw->dns ? gw->dns->trunks : NULL; e; e = e->next)
		if (!strcmp(e->trunk, trunk))
			break;
	if (!e)
		return;
	e->refused++;
	if (!trunk_dns_warn_take(&e->refused_warn, dns_now(),
				 DNS_REFUSED_WARN_MS, &held)) {
		LOGD(SUBSYS, trunk,
		     "call refused with 503: DNS lookup of %s pending",
		     e->domain);
		return;
	}
	if (held)
		LOGW(SUBSYS, trunk,
		     "call refused with 503: DNS lookup of %s pending (and "
		     "%lu more since the previous warning)",
		     e->domain, held);
	else
		LOGW(SUBSYS, trunk,
		     "call refused with 503: DNS lookup of %s pending",
		     e->domain);
}

const struct config_section *trunk_dns_src_trunk(struct trunk_gateway *gw,
						 const char *ip)
{
	const struct dns_trunk *e;

	for (e = gw->dns ? gw->dns->trunks : NULL; e; e = e->next)
		for (size_t i = 0; i < e->ans.n; i++)
			if (!strcmp(e->ans.v[i].ip, ip))
				return config_section_get(gw->cfg, "trunk",
							  e->trunk);
	return NULL;
}

void trunk_dns_free(struct trunk_gateway *gw)
{
	struct trunk_dns *d = gw->dns;
	pthread_t tid;
	bool orphan = false;

	if (!d)
		return;
	gw->dns = NULL;
	/* The signalling thread's parts first: d may be the resolver
	 * thread's from the unlock below. */
	if (d->reg)
		su_root_deregister(gw->root, d->reg);
	dns_trunks_free(d->trunks);
	d->trunks = NULL;
	if (d->running) {
		/* A lookup in progress is not waited for: glibc's query
		 * cannot be interrupted and may take 10 s with three dead
		 * servers (trunk_dns_query_worst_ms). The thread is left to
		 * end it, drop its answer and free d (dns_worker); the
		 * process exit ends it sooner. An idle one is joined. */
		tid = d->tid;
		pthread_mutex_lock(&d->mu);
		d->stop = true;
		orphan = d->orphan = d->busy;
		pthread_cond_signal(&d->cv);
		pthread_mutex_unlock(&d->mu);
		if (orphan)
			pthread_detach(tid);
		else
			pthread_join(tid, NULL);
	}
	if (!orphan)
		dns_shared_free(d);
}
