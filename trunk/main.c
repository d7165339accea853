/*
 * trunkd: the SIPconnect 2.0 trunk gateway. main() only reads the command
 * line; the daemon lives in trunk/daemon.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string.h>

#include "dialplan/dialplan.h"
#include "trunk/trunk.h"

#define DEFAULT_CONFIG "/etc/trunkd/trunkd.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: trunkd [--config FILE] [--pid-file FILE]\n"
		"       trunkd --check-config FILE\n"
		"       trunkd [--config FILE] --dialplan-test NUMBER\n"
		"              [--direction outbound|inbound|internal]\n"
		"              [--caller NUMBER] [--context NAME]\n"
		"       trunkd --config-reference\n"
		"       trunkd --version\n"
		"\n"
		"Runs in the foreground; logs to stderr. Default config: %s\n"
		"Signals: SIGTERM drains and exits 0, SIGHUP reloads.\n",
		DEFAULT_CONFIG);
}

struct dp_test {
	const char *number, *caller, *context;
	enum dialplan_direction direction;
};

static void dp_print_error(const char *file, unsigned line, const char *why,
			   void *arg)
{
	(void)arg;
	fprintf(stderr, "%s:%u: %s\n", file, line, why);
}

/*
 * What a live call would do, without placing it (issue 4): the config's
 * dial plan matched offline; the Request-URI uses the first trunk's
 * domain. Exit 0, 1 (bad config or plan, no plan), 2 (unknown context).
 */
static int dialplan_test(const char *cfgfile, const struct dp_test *t)
{
	struct dialplan_query q = { t->direction, t->context, t->caller,
				    t->number };
	const struct config_section *tr, *d;
	struct dialplan_result res;
	struct dialplan *plan = NULL;
	struct config *cfg;
	char buf[4096];
	int rc;

	if (trunk_config_check(cfgfile, &cfg))
		return 1;
	d = config_section_get(cfg, "dialplan", NULL);
	tr = config_section_next(cfg, "trunk", NULL);
	if (!config_is_set(d, "file")) {
		fprintf(stderr, "%s: no [dialplan] file\n", config_file(cfg));
		config_free(cfg);
		return 1;
	}
	rc = dialplan_load(config_get_str(d, "file"), &plan, dp_print_error,
			   NULL);
	if (!rc)
		rc = dialplan_match(plan, &q, &res);
	if (!rc &&
	    !dialplan_result_format(&res,
				    tr && config_is_set(tr, "domain")
					    ? config_get_str(tr, "domain")
					    : NULL,
				    buf, sizeof(buf)))
		fputs(buf, stdout);
	else if (rc == ENOENT)
		fprintf(stderr, "no such context: %s\n", t->context);
	dialplan_free(plan);
	config_free(cfg);
	return rc == 0 ? 0 : rc == ENOENT ? 2 : 1;
}

static int check_config(const char *file)
{
	struct config *cfg;

	if (trunk_config_check(file, &cfg))
		return 1;
	printf("%s: OK\n", config_file(cfg));
	config_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "config-reference", no_argument, NULL, 'R' },
		{ "dialplan-test", required_argument, NULL, 'T' },
		{ "direction", required_argument, NULL, 'D' },
		{ "caller", required_argument, NULL, 'F' },
		{ "context", required_argument, NULL, 'X' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trunk_daemon_opts d = { .config_path = DEFAULT_CONFIG };
	struct dp_test dt = { .direction = DIALPLAN_OUTBOUND };
	int c;

	while ((c = getopt_long(argc, argv, "c:p:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'C':
			return check_config(optarg);
		case 'p':
			d.pid_file = optarg;
			break;
		case 'R':
			return config_schema_write_markdown(trunk_config_schema,
							    STDOUT_FILENO)
				       ? 1
				       : 0;
		case 'T':
			dt.number = optarg;
			break;
		case 'D':
			if (!strcmp(optarg, "inbound"))
				dt.direction = DIALPLAN_INBOUND;
			else if (!strcmp(optarg, "internal"))
				dt.direction = DIALPLAN_INTERNAL;
			else if (strcmp(optarg, "outbound")) {
				usage(stderr);
				return 2;
			}
			break;
		case 'F':
			dt.caller = optarg;
			break;
		case 'X':
			dt.context = optarg;
			break;
		case 'V':
			printf("%s\n", trunk_version_string());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (dt.number)
		return dialplan_test(d.config_path, &dt);
	return trunk_daemon_run(&d);
}
