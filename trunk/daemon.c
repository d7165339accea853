/*
 * The daemon's lifecycle on the signalling thread (docs/operations.md):
 *
 *   load config ──▶ STARTING ──▶ RUNNING ──SIGTERM/SIGINT──▶ DRAINING ──▶ exit 0
 *                      │            │  ▲                      (no new calls: 503;
 *                      │            └──┘ SIGHUP / trunkctl reload   calls get
 *                      ▼                 (bad file: old config     shutdown_grace)
 *                    exit 1              stays, error reported)
 *
 * Signals arrive through a signalfd registered on the su_root, so every
 * reaction runs on the signalling thread between two SIP events: there is
 * no async-signal-safety to reason about.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "flow.h"
#include "gateway.h"
#include "tls.h"
#include "registration.h"
#include "sofia_addrinfo.h"
#include "sofia_home.h"
#include "sofia_printf.h"
#include "sofia_url.h"
#include "cdr.h"

#include <sofia-sip/sofia_features.h>
#include <sqlite3.h>

#include "certs/certs.h"
#include "media/media.h"

#define SUBSYS "trunk.daemon"

const char *trunk_version_string(void)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "trunkd %s (%s, %s, %s, SQLite %s, %s)",
		 TRUNKD_VERSION, sofia_sip_name_version,
		 certs_openssl_version(), media_version_string(),
		 sqlite3_libversion(), trunk_malloc_name());
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Configuration                                                           */

static void trunk_config_print_error(const char *file, unsigned line,
				     const char *reason, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s:%u: %s\n", file, line, reason);
}

static int trunk_plan_load(const struct config *cfg, struct dialplan **out,
			   config_error_h *eh, void *arg);

int trunk_config_check(const char *file, struct config **out)
{
	return trunk_config_load_all(file, out, NULL);
}

int trunk_config_load_all(const char *file, struct config **out,
			  struct dialplan **plan_out)
{
	struct dialplan *plan = NULL;
	struct config *cfg = NULL;
	int rc = config_load(file, trunk_config_schema, &cfg,
			     trunk_config_print_error, NULL);

	/* The dial plan is part of the configuration: a bad one is a bad
	 * config (file:line of the plan). */
	if (!rc && trunk_tls_config_check(cfg, trunk_config_print_error, NULL))
		rc = EINVAL;
	if (!rc)
		rc = trunk_plan_load(cfg, &plan, trunk_config_print_error,
				     NULL);
	if (rc || !plan_out)
		dialplan_free(plan);
	if (rc) {
		config_free(cfg);
		return rc;
	}
	if (plan_out)
		*plan_out = plan;
	*out = cfg;
	return 0;
}

struct trunk_errbuf {
	char *buf;
	size_t len, used;
};

static void trunk_config_collect_error(const char *file, unsigned line,
				       const char *reason, void *arg)
{
	struct trunk_errbuf *e = arg;
	int n;

	LOGE(SUBSYS, NULL, "%s:%u: %s", file, line, reason);
	if (e->used >= e->len)
		return;
	n = snprintf(e->buf + e->used, e->len - e->used, "%s%s:%u: %s",
		     e->used ? "; " : "", file, line, reason);
	if (n > 0)
		e->used += (size_t)n;
}

static void trunk_apply_log_levels(const struct config *cfg)
{
	const char *const *items;
	size_t n = config_get_list(config_section_get(cfg, "global", NULL),
				   "log_levels", &items);

	/* The values were validated by config_load(). */
	config_log_set_level_items(items, n);
	trunk_sofia_log_levels_apply();
}

static bool trunk_lists_equal(const struct config_section *a,
			      const struct config_section *b, const char *key)
{
	const char *const *ia, *const *ib;
	size_t na = config_get_list(a, key, &ia);
	size_t nb = config_get_list(b, key, &ib);
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(ia[i], ib[i]))
			return false;
	return true;
}

static bool trunk_key_equal(const struct config_section *a,
			    const struct config_section *b,
			    const struct config_key *k)
{
	const char *sa, *sb;

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_ENUM:
	case CONFIG_PATH:
		sa = config_get_str(a, k->name);
		sb = config_get_str(b, k->name);
		return sa == sb || (sa && sb && !strcmp(sa, sb));
	case CONFIG_INT:
	case CONFIG_DURATION:
		return config_get_int(a, k->name) == config_get_int(b, k->name);
	case CONFIG_BOOL:
		return config_get_bool(a, k->name) ==
		       config_get_bool(b, k->name);
	case CONFIG_ADDR:
	case CONFIG_LIST:
	case CONFIG_E164_LIST:
	case CONFIG_ADDR_LIST:
	case CONFIG_LOG_LEVELS:
		if (k->type == CONFIG_ADDR) {
			struct config_addr x = { { 0 } }, y = { { 0 } };

			config_get_addr(a, k->name, &x);
			config_get_addr(b, k->name, &y);
			return !memcmp(&x, &y, sizeof(x));
		}
		return trunk_lists_equal(a, b, k->name);
	}
	return false;
}

/*
 * Settings marked CONFIG_F_RESTART (listeners, socket paths, threads)
 * cannot change under a running process: say so instead of pretending.
 */
static void trunk_warn_restart_keys(const struct config *old,
				    const struct config *new)
{
	const struct config_section_def *const *def;
	const struct config_key *const *t;
	const struct config_key *k;

	for (def = trunk_config_schema; *def; def++) {
		const struct config_section *a, *b;

		if ((*def)->named)
			continue;
		a = config_section_get(old, (*def)->name, NULL);
		b = config_section_get(new, (*def)->name, NULL);
		for (t = (*def)->keys; *t; t++)
			for (k = *t; k->name; k++)
				if ((k->flags & CONFIG_F_RESTART) &&
				    !trunk_key_equal(a, b, k))
					LOGW(SUBSYS, NULL,
					     "[%s] %s changed: takes effect "
					     "only after a restart",
					     (*def)->name, k->name);
	}
}

/*
 * Compile the [dialplan] file of cfg into *out (NULL when none is set).
 * Errors go through eh as FILE:LINE: reason; the caller keeps its old plan
 * on failure (DESIGN 11).
 */
static int trunk_plan_load(const struct config *cfg, struct dialplan **out,
			   config_error_h *eh, void *arg)
{
	const struct config_section *d =
		config_section_get(cfg, "dialplan", NULL);

	struct dialplan *plan = NULL;
	int rc = 0;

	*out = NULL;
	if (config_is_set(d, "file"))
		rc = dialplan_load(config_get_str(d, "file"), &plan, eh, arg);
	/* Its trunks and contexts must exist in this config (issue 4), and
	 * the sections' references to each other hold with or without a
	 * plan. */
	if (!rc && trunk_config_check_plan(cfg, plan, eh, arg)) {
		dialplan_free(plan);
		return EINVAL;
	}
	*out = plan;
	return rc;
}

int trunk_gateway_reload(struct trunk_gateway *gw, char *errs, size_t len)
{
	struct dialplan *plan = NULL;
	struct trunk_errbuf e = { errs, len, 0 };
	struct config *cfg;
	int rc;

	errs[0] = '\0';
	rc = config_load(gw->config_path, trunk_config_schema, &cfg,
			 trunk_config_collect_error, &e);
	if (!rc) {
		rc = trunk_tls_config_check(cfg, trunk_config_collect_error, &e)
			     ? EINVAL
			     : trunk_plan_load(cfg, &plan,
					       trunk_config_collect_error, &e);
		if (rc)
			config_free(cfg);
	}
	if (rc) {
		if (!e.used)
			snprintf(errs, len, "%s: %s", gw->config_path,
				 strerror(rc));
		LOGE(SUBSYS, NULL,
		     "reload failed; still running configuration "
		     "generation %u",
		     gw->generation);
		return rc;
	}
	if (trunk_peers_apply(gw, cfg)) {
		snprintf(errs, len, "out of memory applying the trunks");
		dialplan_free(plan);
		config_free(cfg);
		return ENOMEM;
	}
	/* Registrations and their flows follow the new file (issue 6). */
	rc = trunk_regs_reload(gw, gw->cfg, cfg);
	if (rc)
		LOGE(SUBSYS, NULL,
		     "registrations not all updated by the reload: %s",
		     strerror(rc));
	dialplan_free(gw->plan);
	gw->plan = plan;
	trunk_warn_restart_keys(gw->cfg, cfg);
	config_free(gw->cfg);
	gw->cfg = cfg;
	gw->generation++;
	/* Only allocates at start: cannot fail here. */
	(void)trunk_admission_apply(gw, cfg);
	trunk_apply_log_levels(cfg);
	trunk_sched_apply(gw, cfg);
	LOGI(SUBSYS, NULL, "configuration reloaded: generation %u",
	     gw->generation);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Signals and shutdown                                                    */

/* The BYEs of the last step have had their time. */
static void trunk_drain_linger_over(su_root_magic_t *magic, su_timer_t *t,
				    struct trunk_gateway *gw)
{
	(void)magic;
	(void)t;
	su_root_break(gw->root);
}

/*
 * shutdown_grace is over: BYE what is left, then keep the loop running
 * for TRUNK_DRAIN_LINGER_MS so that nta can retransmit those BYEs over UDP
 * and take their answers (RFC 3261 17.1.2: 4 x T1 covers a lost packet
 * or two) instead of leaving peers with dead calls.
 */
#define TRUNK_DRAIN_LINGER_MS 2000
static void trunk_drain_expired(su_root_magic_t *magic, su_timer_t *t,
				struct trunk_gateway *gw)
{
	(void)magic;
	(void)t;
	LOGI(SUBSYS, NULL, "shutdown_grace over: ending %u calls", gw->ncalls);
	gw->lingering = true;
	trunk_call_hangup_all(gw, "shutdown");
	if (su_timer_set_interval(gw->drain_timer, trunk_drain_linger_over, gw,
				  TRUNK_DRAIN_LINGER_MS) < 0)
		su_root_break(gw->root);
}

static void trunk_drain(struct trunk_gateway *gw, const char *why)
{
	long long grace = config_get_int(
		config_section_get(gw->cfg, "global", NULL), "shutdown_grace");

	if (gw->draining) {
		LOGW(SUBSYS, NULL, "%s again: stopping now", why);
		su_root_break(gw->root);
		return;
	}
	/* New INVITEs get 503 from here on (call.c). */
	gw->draining = true;
	trunk_regs_unregister(gw);
	if (!gw->ncalls) {
		LOGI(SUBSYS, NULL, "%s: no active calls, stopping", why);
		su_root_break(gw->root);
		return;
	}
	LOGI(SUBSYS, NULL, "%s: draining %u calls for up to %lld ms", why,
	     gw->ncalls, grace);
	gw->drain_timer = su_timer_create(su_root_task(gw->root), 0);
	if (!gw->drain_timer ||
	    su_timer_set_interval(gw->drain_timer, trunk_drain_expired, gw,
				  (su_duration_t)grace) < 0)
		trunk_drain_expired(NULL, NULL, gw);
}

static int trunk_signal_event(struct trunk_gateway *gw, su_wait_t *w, void *arg)
{
	struct signalfd_siginfo si;
	char errs[2048];

	(void)w;
	(void)arg;
	while (read(gw->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			LOGI(SUBSYS, NULL, "SIGHUP: reloading %s",
			     gw->config_path);
			trunk_gateway_reload(gw, errs, sizeof(errs));
			break;
		case SIGTERM:
			trunk_drain(gw, "SIGTERM");
			break;
		case SIGINT:
			trunk_drain(gw, "SIGINT");
			break;
		default:
			break;
		}
	}
	return 0;
}

static int trunk_signals_open(struct trunk_gateway *gw)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return errno;
	gw->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (gw->signal_fd < 0)
		return errno;
	if (su_wait_create(gw->signal_wait, gw->signal_fd, SU_WAIT_IN))
		return ENOMEM;
	gw->signal_reg = su_root_register(gw->root, gw->signal_wait,
					  trunk_signal_event, NULL, 0);
	if (gw->signal_reg <= 0) {
		gw->signal_reg = 0;
		return ENOMEM;
	}
	return 0;
}

static void trunk_signals_close(struct trunk_gateway *gw)
{
	if (gw->signal_reg)
		su_root_deregister(gw->root, gw->signal_reg);
	if (gw->signal_fd >= 0) {
		su_wait_destroy(gw->signal_wait);
		close(gw->signal_fd);
	}
}

/* ---------------------------------------------------------------------- */
/* PID file                                                                */

static int trunk_pid_file_write(const char *path)
{
	char buf[32], tmp[PATH_MAX];
	FILE *f = fopen(path, "r");
	long pid = 0;
	int fd, n, rc;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
		if (pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0) {
			LOGE(SUBSYS, NULL,
			     "pid file %s names running process %ld", path,
			     pid);
			return EEXIST;
		}
	}
	/* Written beside it and renamed over it: a reader never sees the
	 * file empty or half written. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld", path,
			     (long)getpid()) >= sizeof(tmp)) {
		LOGE(SUBSYS, NULL, "pid file name %s too long", path);
		return ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = errno;
		LOGE(SUBSYS, NULL, "cannot write pid file %s: %s", tmp,
		     strerror(rc));
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	errno = 0;
	rc = write(fd, buf, (size_t)n) == n ? 0 : errno ? errno : EIO;
	if (close(fd) != 0 && !rc)
		rc = errno;
	if (!rc && rename(tmp, path) != 0)
		rc = errno;
	if (rc) {
		LOGE(SUBSYS, NULL, "cannot write pid file %s: %s", path,
		     strerror(rc));
		unlink(tmp);
		return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Start and stop                                                          */

/* The media thread's events, drained on the signalling thread. */
static int trunk_media_readable(struct trunk_gateway *gw, su_wait_t *w,
				void *arg)
{
	(void)w;
	(void)arg;
	media_engine_dispatch(gw->media);
	return 0;
}

/* The commands of this loop iteration's callbacks go to the media threads
 * in one wake-up each: the timer runs before the loop waits again. */
static void trunk_media_flush(struct trunk_gateway *gw, su_timer_t *t,
			      struct trunk_gateway *arg)
{
	(void)t;
	(void)arg;
	media_engine_flush(gw->media);
}

static void trunk_media_flush_request(void *arg)
{
	struct trunk_gateway *gw = arg;

	if (su_timer_set_interval(gw->media_flush, trunk_media_flush, gw, 0))
		media_engine_flush(gw->media);
}

/* A call's end wakes no media thread: its DESTROY waits for a batch of
 * them, or for this timer, MEDIA_LATE_FLUSH_MS after the first one (one
 * timer for all: an armed one is left as it is). */
static void trunk_media_late_request(void *arg)
{
	struct trunk_gateway *gw = arg;

	if (su_timer_is_set(gw->media_late))
		return;
	if (su_timer_set_interval(gw->media_late, trunk_media_flush, gw,
				  MEDIA_LATE_FLUSH_MS))
		media_engine_flush(gw->media);
}

/* Start the RTP relay: the [media] settings, and per side the first
 * listen address of that side (media uses the signalling address); on
 * the trunk side also the first of the other address family, if any,
 * for trunks of that family (SC-15-2, trunk_call_media_side()). */
static int trunk_media_start(struct trunk_gateway *gw)
{
	const struct config_section *g =
		config_section_get(gw->cfg, "global", NULL);
	struct config_addr a[TRUNK_SIDE_COUNT], alt;
	struct media_conf mc = { 0 };
	const char *const *items;
	enum trunk_side side;
	char key[64];
	int rc;

	media_conf_read(&mc, config_section_get(gw->cfg, "media", NULL));
	for (side = 0; side < TRUNK_SIDE_COUNT; side++) {
		snprintf(key, sizeof(key), "%s_listen", trunk_side_names[side]);
		if (!config_get_list(g, key, &items) ||
		    config_addr_parse(items[0], &a[side]))
			return EINVAL;
		mc.addr[side] = a[side].host;
	}
	config_get_list(g, "trunk_listen", &items);
	for (items++; *items; items++)
		if (!config_addr_parse(*items, &alt) &&
		    alt.ipv6 != a[TRUNK_SIDE_TRUNK].ipv6) {
			mc.addr[MEDIA_SIDE_TRUNK_ALT] = alt.host;
			break;
		}
	rc = media_engine_alloc(&mc, trunk_call_media_event, gw, &gw->media);
	if (rc) {
		LOGE(SUBSYS, NULL, "cannot start the media relay: %s",
		     strerror(rc));
		return rc;
	}
	if (su_wait_create(gw->media_wait, media_engine_fd(gw->media),
			   SU_WAIT_IN))
		return ENOMEM;
	gw->media_reg = su_root_register(gw->root, gw->media_wait,
					 trunk_media_readable, NULL, 0);
	gw->media_flush = su_timer_create(su_root_task(gw->root), 0);
	gw->media_late = su_timer_create(su_root_task(gw->root), 0);
	media_engine_first_packet_wanted(gw->media,
					 trunk_call_media_first_wanted, NULL);
	if (gw->media_flush)
		media_engine_defer(
			gw->media, trunk_media_flush_request,
			gw->media_late ? trunk_media_late_request : NULL, gw);
	return gw->media_reg > 0 ? 0 : ENOMEM;
}

/* The CDR writer (cdr.c), unless cdr = off; a database that cannot be
 * opened stops the start (restart-only keys: a reload keeps it). */
static int trunk_cdr_start(struct trunk_gateway *gw)
{
	const struct config_section *g =
		config_section_get(gw->cfg, "global", NULL);
	const char *path = config_get_str(g, "cdr_database");
	unsigned line = config_key_line(g, "cdr_database"); /* 0: default */
	struct trunk_cdr_opts opts = {
		.keep_days = (unsigned)config_get_int(g, "cdr_keep_days"),
	};
	char why[256] = "";
	int rc;

	if (!config_get_bool(g, "cdr"))
		return 0;
	rc = trunk_cdr_writer_alloc(path, &opts, &gw->cdr, why, sizeof(why));
	if (!rc && opts.keep_days)
		LOGI(SUBSYS, NULL, "call records to %s, kept %u days", path,
		     opts.keep_days);
	else if (!rc)
		LOGI(SUBSYS, NULL, "call records to %s", path);
	else if (line)
		LOGE(SUBSYS, NULL, "%s:%u: cdr_database %s: %s",
		     config_file(gw->cfg), line, path, why);
	else
		LOGE(SUBSYS, NULL, "cdr_database %s (the default): %s", path,
		     why);
	return rc;
}

static int trunk_gateway_start(struct trunk_gateway *gw)
{
	const struct config_section *g =
		config_section_get(gw->cfg, "global", NULL);
	enum trunk_side side;
	int rc;

	gw->root = su_root_create(gw);
	if (!gw->root)
		return ENOMEM;
	trunk_sofia_udp_root(gw->root);
	rc = trunk_signals_open(gw);
	if (rc)
		return rc;
	rc = trunk_media_start(gw);
	if (rc)
		return rc;
	rc = trunk_cdr_start(gw);
	if (rc)
		return rc;
	rc = trunk_tls_watches_alloc(gw, &gw->tls_watches);
	if (rc)
		return rc;
	rc = trunk_flow_server_start(gw); /* CRLF pongs on TLS (OB-6) */
	if (rc)
		return rc;
	/* Half messages: given up after 64*T1 idle (TCP: TPTAG_TIMEOUT,
	 * agent.c) or 128*T1 in all (sofia_stream.c). */
	rc = trunk_sofia_stream_start(
		gw->root, 64 * (unsigned)config_get_int(g, "sip_t1"));
	if (rc)
		return rc;
	for (side = 0; side < TRUNK_SIDE_COUNT; side++) {
		rc = trunk_agent_alloc(gw, side, gw->cfg, &gw->agents[side]);
		if (rc)
			return rc;
	}
	rc = trunk_plan_load(gw->cfg, &gw->plan, trunk_config_print_error,
			     NULL);
	if (rc)
		return rc;
	rc = trunk_admission_apply(gw, gw->cfg);
	if (rc)
		return rc;
	rc = trunk_peers_apply(gw, gw->cfg);
	if (rc)
		return rc;
	rc = trunk_regs_apply(gw, gw->cfg);
	if (rc)
		return rc;
	rc = trunk_control_alloc(gw, config_get_str(g, "control_socket"),
				 config_get_str(g, "control_group"),
				 &gw->control);
	if (rc)
		return rc;
	if (gw->pid_file) {
		rc = trunk_pid_file_write(gw->pid_file);
		if (rc) {
			free(gw->pid_file);
			gw->pid_file = NULL; /* not ours to remove */
		}
	}
	return rc;
}

static void trunk_gateway_stop(struct trunk_gateway *gw)
{
	enum trunk_side side;

	trunk_control_free(gw->control);
	if (gw->drain_timer)
		su_timer_destroy(gw->drain_timer);
	/* A second SIGTERM/SIGINT stops the loop with calls still up: BYE
	 * them (sent at once) and free them before their agents go. */
	trunk_call_hangup_all(gw, "stopping");
	trunk_call_free_all(gw);
	trunk_cdr_writer_free(gw->cdr); /* after the calls: their records */
	gw->cdr = NULL;
	trunk_invite_abandon_free_all(gw);
	if (gw->media_reg > 0)
		su_root_deregister(gw->root, gw->media_reg);
	if (gw->media)
		media_engine_defer(gw->media, NULL, NULL, NULL); /* flushes */
	if (gw->media_flush)
		su_timer_destroy(gw->media_flush);
	if (gw->media_late)
		su_timer_destroy(gw->media_late);
	media_engine_free(gw->media); /* after the calls: they own sessions */
	trunk_peers_free(gw);
	trunk_regs_free(gw);
	trunk_auth_free_all(gw);
	trunk_bindings_free(gw);
	dialplan_free(gw->plan);
	trunk_flow_server_stop();
	trunk_sofia_stream_stop();
	trunk_tls_watches_free(gw->tls_watches);
	gw->tls_watches = NULL;
	for (side = 0; side < TRUNK_SIDE_COUNT; side++)
		trunk_agent_free(gw->agents[side]);
	trunk_home_area_cache(0); /* the message areas kept (agent.c) */
	trunk_signals_close(gw);
	trunk_scratch_free(gw);
	trunk_sofia_udp_root(NULL);
	if (gw->root)
		su_root_destroy(gw->root);
	if (gw->pid_file) {
		unlink(gw->pid_file);
		free(gw->pid_file);
	}
	free(gw->config_path);
	config_free(gw->cfg);
}

static char *trunk_pid_file_path(const struct trunk_daemon_opts *opts,
				 const struct config *cfg)
{
	const char *p = opts->pid_file;

	if (!p)
		p = config_get_str(config_section_get(cfg, "global", NULL),
				   "pid_file");
	return p ? strdup(p) : NULL;
}

/*
 * The open-files limit raised to its hard limit. Each call takes four
 * descriptors (two RTP/RTCP pairs) and the RTP pool keeps pairs bound
 * between calls (docs/media.md): with a shell's or a unit's usual soft
 * limit of 1,024, calls failed with "no media session: Too many open
 * files" at a few hundred. Servers raise theirs; the hard limit (systemd's
 * LimitNOFILE=) stays the operator's.
 */
static void trunk_files_limit(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		LOGW(SUBSYS, NULL, "cannot raise the open-files limit %llu: %s",
		     (unsigned long long)was, strerror(errno));
	else
		LOGI(SUBSYS, NULL, "open-files limit raised from %llu to %llu",
		     (unsigned long long)was, (unsigned long long)rl.rlim_cur);
}

static void trunk_heap_start(const struct config *cfg)
{
	size_t mb = (size_t)config_get_int(
		config_section_get(cfg, "global", NULL), "heap_reserve");
	struct timespec t0, t1;
	size_t got;

	if (!mb)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got = trunk_heap_reserve(mb);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (got < mb << 20) /* malloc() failed part of the way */
		LOGW(SUBSYS, NULL, "heap_reserve: %zu of %zu MB reserved",
		     got >> 20, mb);
	else
		LOGI(SUBSYS, NULL, "heap_reserve: %zu MB taken in %lld ms", mb,
		     (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000);
}

int trunk_daemon_run(const struct trunk_daemon_opts *opts)
{
	struct trunk_gateway gw = { .signal_fd = -1, .generation = 1 };
	const char *missing = trunk_sofia_alloc_missing();
	int rc;

	if (missing) { /* two allocators on the same homes: corruption */
		fprintf(stderr,
			"trunkd: %s() not interposed: libsofia-sip-ua would "
			"mix its allocator with trunkd's (link trunkd with "
			"--export-dynamic-symbol=%s); not starting\n",
			missing, missing);
		return 1;
	}
	if (!trunk_malloc_check()) { /* blocks freed by the wrong allocator */
		fprintf(stderr,
			"trunkd: built with %s but malloc() of libc "
			"does not reach it; not starting\n",
			trunk_malloc_name());
		return 1;
	}
	if (trunk_config_check(opts->config_path, &gw.cfg))
		return 1;
	trunk_malloc_tune();
	su_init();
	su_home_init(gw.home);
	trunk_sofia_log_init();
	media_log_bridge_init();
	trunk_apply_log_levels(gw.cfg);
	trunk_files_limit();
	trunk_heap_start(gw.cfg);
	gw.started = time(NULL);
	gw.config_path = strdup(opts->config_path);
	gw.pid_file = trunk_pid_file_path(opts, gw.cfg);
	rc = trunk_gateway_start(&gw);
	if (rc == 0) {
		LOGI(SUBSYS, NULL, "%s started: config %s, pid %ld",
		     trunk_version_string(), config_file(gw.cfg),
		     (long)getpid());
		if (!trunk_sofia_time_check())
			LOGW(SUBSYS, NULL,
			     "su_duration() not interposed: Sofia's reactor "
			     "will spin before each timer (link trunkd with "
			     "--export-dynamic-symbol=su_duration)");
		if (!trunk_sofia_printf_check())
			LOGW(SUBSYS, NULL,
			     "printf fast path not interposed: Sofia formats "
			     "its messages with glibc's printf (link trunkd "
			     "with --export-dynamic-symbol=__snprintf_chk)");
		if (!trunk_sofia_url_check())
			LOGW(SUBSYS, NULL,
			     "url_d() not interposed: Sofia parses URLs with "
			     "its own url_d() (the same result, ~1,000 more "
			     "instructions each; link trunkd with "
			     "--export-dynamic-symbol=url_d)");
		if (!trunk_sofia_addrinfo_check())
			LOGW(SUBSYS, NULL,
			     "su_getaddrinfo() not interposed: Sofia resolves "
			     "numeric destinations with getaddrinfo() (link "
			     "trunkd with --export-dynamic-symbol="
			     "su_getaddrinfo)");
		if (!trunk_sofia_tport_check())
			LOGW(SUBSYS, NULL,
			     "tport_primary_by_name() not interposed: with "
			     "listen addresses of both families, requests to "
			     "IPv6 peers may leave from an IPv4 socket (link "
			     "trunkd with --export-dynamic-symbol="
			     "tport_primary_by_name)");
		if (!trunk_sofia_stream_check())
			LOGW(SUBSYS, NULL,
			     "tport_deliver()/tport_recv_iovec()/"
			     "msg_extract() not interposed: a TCP/TLS "
			     "connection that sent a message Sofia cannot "
			     "parse stays open but deaf until its idle "
			     "timeout, a request line it cannot read gets no "
			     "answer (link trunkd with --export-dynamic-symbol"
			     "=tport_deliver, tport_recv_iovec, msg_extract)");
		if (!trunk_sofia_hclass_check())
			LOGW(SUBSYS, NULL,
			     "msg_find_hclass() not interposed: Sofia looks "
			     "up header names with its own (the same result, "
			     "~170 more instructions each; link trunkd with "
			     "--export-dynamic-symbol=msg_find_hclass)");
		if (!trunk_sofia_udp_check())
			LOGW(SUBSYS, NULL,
			     "Sofia's UDP receive/send not interposed: two "
			     "more system calls per datagram, one read each "
			     "(link trunkd "
			     "with --export-dynamic-symbol=su_getmsgsize, "
			     "su_vrecv, su_soerror, su_vsend, "
			     "tport_recv_event, tport_recv_dgram, "
			     "tport_send_dgram)");
		/* after the media threads started: theirs stays the
		 * kernel's */
		trunk_sched_apply(&gw, gw.cfg);
		su_root_run(gw.root);
		LOGI(SUBSYS, NULL, "stopped");
	} else {
		LOGE(SUBSYS, NULL, "start-up failed: %s", strerror(rc));
	}
	trunk_gateway_stop(&gw);
	su_home_deinit(gw.home);
	su_deinit();
	return rc ? 1 : 0;
}
