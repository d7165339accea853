/*
 * TLS wiring of the two sides (issue 5, the trunk/ half): which TLS
 * listeners each side binds, with which certificate directory and
 * verification policy, the routes that carry a trunk's requests over TLS,
 * and the start-up checks that tie [global], [enterprise] and [trunk]
 * together. certs/ owns what TLS means (ciphers, versions, identity rules,
 * file checks); this file only tells Sofia's tport where things are.
 *
 * One TLS listener per side, so one certificate directory per side:
 *
 *  - enterprise side: the [enterprise] tls_certificate (+ key and chain)
 *    is presented to phones and PBXs and is required when
 *    enterprise_transports has tls. With [enterprise] tls_ca_file, clients
 *    must present a certificate chaining to it (mutual TLS); without it
 *    none is asked for.
 *  - trunk side: one Sofia TLS context serves every trunk, as server and
 *    as client (Sofia presents the listener's certificate on the
 *    connections it opens too). Its certificate is the tls_certificate of
 *    the trunks that have one; they must all name the same file (a config
 *    error otherwise). Its trust anchors are the union of every TLS
 *    trunk's tls_ca_file / tls_pin_certificate (the system bundle when no
 *    trunk names one). Outgoing connections are always verified: the chain
 *    against that union and the name against the trunk's tls_verify_name,
 *    else its domain, else the proxy host (Sofia's TPTLS_VERIFY_SUBJECTS_OUT
 *    on the route's host; an SP-SSE configured by IP is reached with
 *    maddr=IP so the name checked stays the domain). Incoming connections
 *    must present a verified certificate naming one of those trunks when
 *    a Static-mode TLS trunk has a certificate of ours (mutual TLS,
 *    TLS-10).
 *    Limit: the union means trunk A's CA also anchors a certificate that
 *    names trunk B for Sofia's own checks; with certs/' repair, which
 *    checks every peer itself, tls_peer() hands certs/ the policy of the
 *    trunk whose SP-SSE the peer is, so each trunk keeps its own anchors.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway.h"
#include "tls.h"
#include "certs/certs.h"

#include <sofia-sip/su_strlst.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

#define SUBSYS "trunk.tls"

/* Trunks with TLS whose material one listener can carry. */
#define TLS_MAX_LOADED 32
#define TLS_MAX_ADDRS  64

struct trunk_tls_side {
	su_home_t home[1];
	enum trunk_side side;
	char runtime[256]; /* our private directory, "" once removed */
	char dir[320];	   /* TPTAG_CERTIFICATE (under runtime) */
	struct certs_tls *loaded[TLS_MAX_LOADED]; /* refs, per section */
	size_t nloaded;
	const char *passphrase; /* borrowed from certs/ */
	unsigned policy;	/* TPTLS_VERIFY_* */
	unsigned depth;		/* 0: Sofia's default */
	su_strlst_t *subjects;
	bool have_cert;
	tagi_t tags[8];
	struct {
		char ip[64];
		unsigned port;
		size_t loaded;	/* index into loaded[] */
	} addrs[TLS_MAX_ADDRS]; /* SP-SSEs by IP, for tls_peer() */
	size_t naddrs;
	size_t dns,
		ndns; /* TLS trunks with SP-SSEs found by DNS: last, count */
	bool by_dns[TLS_MAX_LOADED]; /* loaded[i] has SP-SSEs found by DNS */
	/* For tls_peer(), once the listeners are bound (borrowed): */
	struct trunk_tls_watches *watches; /* our requests' connections */
	tport_t *tports;		   /* this side's master transport */
};

/* ---------------------------------------------------------------------- */
/* Configuration checks across sections                                   */

static bool tls_list_has(const struct config_section *sec, const char *key,
			 const char *item)
{
	const char *const *v;
	size_t n = config_get_list(sec, key, &v), i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], item))
			return true;
	return false;
}

static unsigned tls_line(const struct config_section *sec, const char *key)
{
	unsigned line = config_key_line(sec, key);

	return line ? line : config_section_line(sec);
}

bool trunk_tls_trunk_uses_tls(const struct config_section *t)
{
	return !strcmp(config_get_str(t, "transport"), "tls");
}

int trunk_tls_config_check(const struct config *cfg, config_error_h *eh,
			   void *arg)
{
	const struct config_section *g =
		config_section_get(cfg, "global", NULL);
	const struct config_section *e =
		config_section_get(cfg, "enterprise", NULL);
	const struct config_section *t = NULL, *first_cert = NULL;
	char why[600];
	int n = 0;

	if (tls_list_has(g, "enterprise_transports", "tls") &&
	    !config_is_set(e, "tls_certificate")) {
		eh(config_section_file(g), tls_line(g, "enterprise_transports"),
		   "enterprise_transports has tls but [enterprise] has no "
		   "tls_certificate (and tls_key) to present to phones and "
		   "PBXs",
		   arg);
		n++;
	}
	while ((t = config_section_next(cfg, "trunk", t))) {
		if (!trunk_tls_trunk_uses_tls(t))
			continue;
		if (!tls_list_has(g, "trunk_transports", "tls")) {
			snprintf(why, sizeof(why),
				 "trunk %s: transport = tls%s but [global] "
				 "trunk_transports has no tls",
				 config_section_name(t),
				 config_key_line(t, "transport")
					 ? ""
					 : " (the default)");
			eh(config_section_file(t), tls_line(t, "transport"),
			   why, arg);
			n++;
		}
		if (!config_is_set(t, "tls_certificate"))
			continue;
		if (!first_cert) {
			first_cert = t;
		} else if (strcmp(config_get_str(t, "tls_certificate"),
				  config_get_str(first_cert,
						 "tls_certificate"))) {
			snprintf(why, sizeof(why),
				 "tls_certificate: the trunk side has one TLS "
				 "listener and so one certificate; trunk %s "
				 "names another than trunk %s (%s)",
				 config_section_name(t),
				 config_section_name(first_cert),
				 config_get_str(first_cert, "tls_certificate"));
			eh(config_section_file(t),
			   tls_line(t, "tls_certificate"), why, arg);
			n++;
		}
	}
	return n;
}

/* ---------------------------------------------------------------------- */
/* The Sofia certificate directory                                         */

/* Append file src to the open fd; 0 or errno. */
static int tls_append(int fd, const char *src)
{
	char buf[4096];
	ssize_t r;
	int in = open(src, O_RDONLY | O_CLOEXEC), rc = 0;

	if (in < 0)
		return errno;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)r) != r) {
			rc = errno ? errno : EIO;
			break;
		}
	if (r < 0)
		rc = errno;
	/* PEM blocks must not run together when a file lacks its final
	 * newline. */
	if (!rc && write(fd, "\n", 1) != 1)
		rc = errno ? errno : EIO;
	explicit_bzero(buf, sizeof(buf));
	close(in);
	return rc;
}

/* dir/name from the files (NULL-terminated), mode 0600. */
static int tls_write(const char *dir, const char *name,
		     const char *const *files)
{
	char path[320];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	for (; *files && !rc; files++)
		rc = tls_append(fd, *files);
	if (close(fd) && !rc)
		rc = errno;
	return rc;
}

/* Remove dir and the files Sofia's directories hold (one level of
 * tls-LABEL/ subdirectories made by certs_tls_load()). */
static void tls_rmtree(const char *dir, int depth)
{
	static const char *const names[] = { "agent.pem", "cafile.pem" };
	char path[400];
	size_t i;
	DIR *d;
	struct dirent *e;

	if (depth < 1 && (d = opendir(dir))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir,
					 e->d_name);
				tls_rmtree(path, depth + 1);
			}
		closedir(d);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void tls_dir_remove(struct trunk_tls_side *s)
{
	if (!s->runtime[0])
		return;
	tls_rmtree(s->runtime, 0);
	s->runtime[0] = '\0';
}

/* Several trunks share the trunk side's one TLS context: its directory
 * holds the certificate of the trunk(s) that have one and every trunk's
 * trust anchors (see the top of this file). */
static int tls_dir_merge(struct trunk_tls_side *s)
{
	const char *cas[TLS_MAX_LOADED + 1] = { NULL };
	const char *own[2] = { NULL, NULL };
	char ca[TLS_MAX_LOADED][300], agent[300];
	size_t i;
	int rc;

	for (i = 0; i < s->nloaded; i++) {
		snprintf(ca[i], sizeof(ca[i]), "%s/cafile.pem",
			 certs_tls_dir(s->loaded[i]));
		cas[i] = ca[i];
		if (!own[0] && certs_tls_has_certificate(s->loaded[i])) {
			snprintf(agent, sizeof(agent), "%s/agent.pem",
				 certs_tls_dir(s->loaded[i]));
			own[0] = agent;
		}
	}
	snprintf(s->dir, sizeof(s->dir), "%s/tls-merged", s->runtime);
	if (mkdir(s->dir, 0700))
		return errno;
	rc = own[0] ? tls_write(s->dir, "agent.pem", own) : 0;
	return rc ? rc : tls_write(s->dir, "cafile.pem", cas);
}

/* ---------------------------------------------------------------------- */
/* Per side                                                                */

/* The name a trunk's SP-SSE certificate must carry (RFC 5922). */
const char *trunk_tls_verify_name(const struct config_section *t,
				  const char *proxy_host)
{
	if (config_is_set(t, "tls_verify_name"))
		return config_get_str(t, "tls_verify_name");
	if (config_is_set(t, "domain"))
		return config_get_str(t, "domain");
	return proxy_host && *proxy_host ? proxy_host : "?";
}

void trunk_tls_watch_trunk(struct trunk_gateway *gw, struct nta_outgoing_s *orq,
			   const char *ctx, const char *trunk,
			   trunk_tls_fail_h *fail, void *arg)
{
	const struct config_section *t =
		trunk && *trunk ? trunk_config_trunk(gw->cfg, trunk) : NULL;
	const char *const *px;
	struct config_addr a = { { 0 } };

	if (!t || !trunk_tls_trunk_uses_tls(t))
		return;
	if (config_get_list(t, "proxy", &px))
		config_addr_parse(px[0], &a);
	trunk_tls_orq_watch(gw, orq, ctx, trunk_tls_verify_name(t, a.host),
			    fail, arg);
}

void trunk_tls_trunk_hop(const struct config *cfg, const char *trunk,
			 const char *route, char *buf, size_t len)
{
	const struct config_section *t =
		trunk && *trunk ? trunk_config_trunk(cfg, trunk) : NULL;
	const char *const *px;
	struct config_addr a = { { 0 } };

	buf[0] = '\0';
	if (!t || !trunk_tls_trunk_uses_tls(t))
		return;
	if (route) {
		snprintf(buf, len, "%s", route);
		return;
	}
	if (config_get_list(t, "proxy", &px) && !config_addr_parse(px[0], &a))
		trunk_tls_route(t, &a, buf, len);
	else
		trunk_tls_route(t, NULL, buf, len);
}

/* certs_tls_load() errors: file:line: reason, as a bad config. */
static void tls_load_error(const char *file, unsigned line, const char *why,
			   void *arg)
{
	struct trunk_tls_side *s = arg;

	LOGE(SUBSYS, trunk_side_names[s->side], "%s:%u: %s", file, line, why);
}

/* Load one section's TLS material (certs/): its files are checked. */
static int tls_load(struct trunk_tls_side *s, const struct config_section *sec)
{
	char label[96];
	const char *const *px;
	struct config_addr a = { { 0 } };
	struct certs_tls_params p = { .label = label,
				      .runtime_dir = s->runtime };
	int rc;

	if (s->nloaded == TLS_MAX_LOADED)
		return E2BIG;
	if (s->side == TRUNK_SIDE_TRUNK) {
		snprintf(label, sizeof(label), "trunk %s",
			 config_section_name(sec));
		if (config_get_list(sec, "proxy", &px))
			config_addr_parse(px[0], &a);
		p.default_name = trunk_tls_verify_name(sec, a.host);
	} else {
		snprintf(label, sizeof(label), "enterprise");
	}
	rc = certs_tls_load(sec, &p, tls_load_error, s, &s->loaded[s->nloaded]);
	if (!rc)
		s->nloaded++;
	return rc;
}

/* "IP" and "IP:port" of a socket address. */
static void tls_sockaddr(const struct sockaddr *sa, char *ip, size_t len,
			 unsigned *port)
{
	const void *a =
		sa->sa_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)sa)
				  ->sin6_addr
			: (const void *)&((const struct sockaddr_in *)sa)
				  ->sin_addr;

	ip[0] = '\0';
	inet_ntop(sa->sa_family, a, ip, (socklen_t)len);
	*port = ntohs(sa->sa_family == AF_INET6
			      ? ((const struct sockaddr_in6 *)sa)->sin6_port
			      : ((const struct sockaddr_in *)sa)->sin_port);
}

bool trunk_tls_same_addr(const struct sockaddr *a, const struct sockaddr *b,
			 bool any_ip)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       (x->sin_addr.s_addr == y->sin_addr.s_addr ||
			(any_ip && x->sin_addr.s_addr == htonl(INADDR_ANY)));
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       (!memcmp(&x->sin6_addr, &y->sin6_addr,
				sizeof(x->sin6_addr)) ||
			(any_ip && IN6_IS_ADDR_UNSPECIFIED(&x->sin6_addr)));
	}
	return false;
}

/* Did one of this side's TLS listeners take the connection to local? */
static bool tls_our_listener(const struct trunk_tls_side *s,
			     const struct sockaddr *local)
{
	tport_t *tp;

	for (tp = tport_primaries(s->tports); tp; tp = tport_next(tp)) {
		const su_addrinfo_t *ai = tport_get_address(tp);

		if (!strcasecmp(tport_name(tp)->tpn_proto, "tls") && ai &&
		    trunk_tls_same_addr(ai->ai_addr, local, true))
			return true;
	}
	return false;
}

/*
 * certs/ asks, at the start of every handshake, whose policy applies:
 *  - incoming, on one of the trunk side's listeners (certs/ gives the
 *    local address; the enterprise side's connections are [enterprise]'s,
 *    even from an SP-SSE's address): the trunk one of whose SP-SSEs (by IP
 *    literal) is the peer;
 *  - outgoing: the trunk one of whose SP-SSEs (IP and port) is the peer;
 *    else, for an SP-SSE found by DNS, the TLS trunk found by DNS whose
 *    name is the one Sofia connects to (the host of our request's route,
 *    trunk_tls_route(): the name the certificate must carry), from the
 *    transport nta chose for our watched request (tls_watch.c); else the
 *    one trunk found by DNS when there is exactly one.
 * NULL leaves the policy of the transport's own directory: with one TLS
 * trunk its own; with several the merged one (an outgoing connection is
 * then refused: certs/ fails closed).
 */
static struct certs_tls *tls_peer(const struct certs_peer *p, void *arg)
{
	struct trunk_tls_side *s = arg;
	const struct sockaddr *sa = p->peer;
	char ip[64], name[256];
	unsigned port;
	size_t i;

	if (!sa || p->peer_len < sizeof(struct sockaddr_in) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return NULL;
	if (!p->outgoing && (!s->tports || !tls_our_listener(s, p->local)))
		return NULL;
	tls_sockaddr(sa, ip, sizeof(ip), &port);
	for (i = 0; i < s->naddrs; i++)
		if (!strcmp(s->addrs[i].ip, ip) &&
		    (!p->outgoing || s->addrs[i].port == port))
			return s->loaded[s->addrs[i].loaded];
	if (!p->outgoing || !s->ndns)
		return NULL;
	if (s->watches &&
	    trunk_tls_watches_name(s->watches, sa, name, sizeof(name)))
		for (i = 0; i < s->nloaded; i++) {
			const char *want =
				certs_tls_expected_name(s->loaded[i]);

			if (s->by_dns[i] && want && !strcasecmp(want, name))
				return s->loaded[i];
		}
	if (s->ndns == 1)
		return s->loaded[s->dns];
	return NULL;
}

void trunk_tls_side_set_peers(struct trunk_tls_side *s,
			      struct trunk_tls_watches *ws, tport_t *tports)
{
	s->watches = ws;
	s->tports = tports;
}

/* Remember trunk t's SP-SSEs configured by IP (tls_peer()). */
static void tls_trunk_addrs(struct trunk_tls_side *s,
			    const struct config_section *t)
{
	const char *const *px;
	size_t n = config_get_list(t, "proxy", &px), i;
	struct config_addr a;
	unsigned char buf[sizeof(struct in6_addr)];
	bool by_dns = n == 0; /* RFC 3263 on the domain */

	for (i = 0; i < n; i++) {
		if (config_addr_parse(px[i], &a) ||
		    inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host, buf) != 1) {
			by_dns = true; /* a host name */
			continue;
		}
		if (s->naddrs == TLS_MAX_ADDRS)
			continue;
		snprintf(s->addrs[s->naddrs].ip, sizeof(s->addrs[0].ip),
			 "%.63s", a.host);
		s->addrs[s->naddrs].port = a.port ? a.port : 5061;
		s->addrs[s->naddrs].loaded = s->nloaded - 1;
		s->naddrs++;
	}
	if (by_dns) {
		s->dns = s->nloaded - 1;
		s->by_dns[s->dns] = true;
		s->ndns++;
	}
}

/* The trunk side: see the top of this file. */
static int tls_trunk_side(struct trunk_tls_side *s, const struct config *cfg)
{
	const struct config_section *t = NULL;
	bool mutual = false;
	unsigned depth = 0;
	size_t i;
	int rc = 0;

	s->subjects = su_strlst_create(s->home);
	while (!rc && (t = config_section_next(cfg, "trunk", t))) {
		const char *const *px;
		struct config_addr a = { { 0 } };

		if (!trunk_tls_trunk_uses_tls(t))
			continue;
		rc = tls_load(s, t);
		if (!rc)
			tls_trunk_addrs(s, t);
		if (config_get_list(t, "proxy", &px))
			config_addr_parse(px[0], &a);
		if (s->subjects)
			su_strlst_dup_append(s->subjects,
					     trunk_tls_verify_name(t, a.host));
		if (config_is_set(t, "tls_certificate") &&
		    !strcmp(config_get_str(t, "mode"), "static"))
			mutual = true;
	}
	if (rc)
		return rc;
	for (i = 0; i < s->nloaded; i++) {
		struct certs_tls *ct = s->loaded[i];

		if (depth < certs_tls_verify_depth(ct))
			depth = certs_tls_verify_depth(ct);
		if (!s->have_cert && certs_tls_has_certificate(ct)) {
			s->have_cert = true;
			s->passphrase = certs_tls_passphrase(ct);
		}
	}
	s->depth = depth;
	/* certs/' repair checks every handshake itself, with the policy of
	 * the peer's trunk (tls_peer() below), and wants Sofia's checks off.
	 * Without it, Sofia's: our outgoing connections, chain and name
	 * (RFC 5922); incoming with mutual TLS (TLS-10), a verified
	 * certificate naming a trunk. */
	if (s->nloaded &&
	    certs_tls_sofia_verify_policy(s->loaded[0]) == TPTLS_VERIFY_NONE) {
		s->policy = TPTLS_VERIFY_NONE;
		su_strlst_destroy(s->subjects);
		s->subjects = NULL;
	} else {
		s->policy = TPTLS_VERIFY_SUBJECTS_OUT |
			    (mutual ? TPTLS_VERIFY_SUBJECTS_IN : 0);
	}
	certs_set_peer_handler(tls_peer, s);
	if (s->nloaded == 1) {
		snprintf(s->dir, sizeof(s->dir), "%s",
			 certs_tls_dir(s->loaded[0]));
		return 0;
	}
	return tls_dir_merge(s);
}

static int tls_enterprise_side(struct trunk_tls_side *s,
			       const struct config *cfg)
{
	struct certs_tls *ct;
	int rc = tls_load(s, config_section_get(cfg, "enterprise", NULL));

	if (rc)
		return rc;
	ct = s->loaded[0];
	snprintf(s->dir, sizeof(s->dir), "%s", certs_tls_dir(ct));
	s->have_cert = certs_tls_has_certificate(ct);
	s->passphrase = certs_tls_passphrase(ct);
	s->depth = certs_tls_verify_depth(ct);
	/* Phones and PBXs: client certificates only when a CA for them is
	 * configured (certs/ decides). */
	s->policy = certs_tls_sofia_verify_policy(ct);
	return 0;
}

static void tls_side_tags(struct trunk_tls_side *s)
{
	size_t i = 0;

	s->tags[i++] = (tagi_t){ TPTAG_CERTIFICATE(s->dir) };
	s->tags[i++] = (tagi_t){ TPTAG_TLS_VERIFY_POLICY(s->policy) };
	if (s->depth)
		s->tags[i++] = (tagi_t){ TPTAG_TLS_VERIFY_DEPTH(s->depth) };
	s->tags[i++] = (tagi_t){ TPTAG_TLS_VERIFY_DATE(1) };
	if (s->subjects && su_strlst_len(s->subjects))
		s->tags[i++] =
			(tagi_t){ TPTAG_TLS_VERIFY_SUBJECTS(s->subjects) };
	if (s->passphrase)
		s->tags[i++] = (tagi_t){ TPTAG_TLS_PASSPHRASE(s->passphrase) };
	s->tags[i] = (tagi_t){ TAG_END() };
}

int trunk_tls_side_alloc(enum trunk_side side, const struct config *cfg,
			 struct trunk_tls_side **out)
{
	struct trunk_tls_side *s = calloc(1, sizeof(*s));
	const char *tmp = getenv("TMPDIR");
	int rc;

	if (!s || su_home_init(s->home)) {
		free(s);
		return ENOMEM;
	}
	s->side = side;
	rc = certs_init();
	/* Private to us; removed once the listener has read the files. */
	snprintf(s->runtime, sizeof(s->runtime), "%s/trunkd-tls-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!rc && !mkdtemp(s->runtime)) {
		rc = errno;
		LOGE(SUBSYS, trunk_side_names[side],
		     "cannot create a directory for Sofia's TLS files (%s): %s",
		     s->runtime, strerror(rc));
		s->runtime[0] = '\0';
	}
	if (!rc)
		rc = side == TRUNK_SIDE_TRUNK ? tls_trunk_side(s, cfg)
					      : tls_enterprise_side(s, cfg);
	if (rc) {
		trunk_tls_side_free(s);
		return rc;
	}
	tls_side_tags(s);
	if (!s->have_cert)
		LOGI(SUBSYS, trunk_side_names[side],
		     "no tls_certificate: TLS as client only (TLS-9, TLS-11)");
	*out = s;
	return 0;
}

const tagi_t *trunk_tls_side_tags(const struct trunk_tls_side *s)
{
	return s->tags;
}

void trunk_tls_side_loaded(struct trunk_tls_side *s)
{
	tls_dir_remove(s);
}

void trunk_tls_side_free(struct trunk_tls_side *s)
{
	size_t i;

	if (!s)
		return;
	if (s->side == TRUNK_SIDE_TRUNK)
		certs_set_peer_handler(NULL, NULL);
	tls_dir_remove(s);
	for (i = 0; i < s->nloaded; i++)
		certs_tls_deref(s->loaded[i]);
	su_home_deinit(s->home);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* Routes toward a trunk's SP-SSEs                                         */

/*
 * The next hop of a trunk's requests. Over TLS the URL's host is the name
 * the SP-SSE's certificate must carry (Sofia verifies against it, sofia
 * notes 5.2) and maddr says where to connect when that differs (an SP-SSE
 * configured by IP). An explicit transport=tls means RFC 3263 only looks
 * for TLS (SRV _sips._tcp): never UDP or TCP (TLS-8).
 */
void trunk_tls_route(const struct config_section *t,
		     const struct config_addr *a, char *buf, size_t len)
{
	const char *tp = config_get_str(t, "transport");
	const char *name = trunk_tls_verify_name(t, a ? a->host : NULL);
	char hp[300], port[8] = "";

	if (a)
		trunk_addr_hostport(a, hp, sizeof(hp));
	if (!trunk_tls_trunk_uses_tls(t) || (a && !strcmp(name, a->host))) {
		snprintf(buf, len, "sip:%s;transport=%s;lr",
			 a ? hp : config_get_str(t, "domain"), tp);
		return;
	}
	if (a && a->port)
		snprintf(port, sizeof(port), ":%u", a->port);
	if (!a && (!config_is_set(t, "domain") ||
		   !strcmp(name, config_get_str(t, "domain")))) {
		snprintf(buf, len, "sip:%s;transport=tls;lr", name);
		return;
	}
	snprintf(buf, len, "sip:%s%s;transport=tls;maddr=%s%s%s;lr", name, port,
		 a && a->ipv6 ? "[" : "",
		 a ? a->host : config_get_str(t, "domain"),
		 a && a->ipv6 ? "]" : "");
}
