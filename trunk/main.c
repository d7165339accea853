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

#include "trunk/trunk.h"

#define DEFAULT_CONFIG "/etc/trunkd/trunkd.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: trunkd [--config FILE] [--pid-file FILE]\n"
		"       trunkd --check-config FILE\n"
		"       trunkd [--config FILE] --dialplan-test NUMBER\n"
		"              [--direction outbound|inbound] [--caller "
		"NUMBER]\n"
		"              [--context NAME] [--from SECTION] [--privacy]\n"
		"       trunkd --config-reference\n"
		"       trunkd --version\n"
		"\n"
		"Runs in the foreground; logs to stderr. Default config: %s\n"
		"Signals: SIGTERM drains and exits 0, SIGHUP reloads.\n",
		DEFAULT_CONFIG);
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
		{ "from", required_argument, NULL, 'S' },
		{ "privacy", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trunk_daemon_opts d = { .config_path = DEFAULT_CONFIG };
	struct trunk_dialtest dt = { 0 };
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
				dt.inbound = true;
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
		case 'S':
			dt.from = optarg;
			break;
		case 'P':
			dt.privacy = true;
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
		return trunk_dialtest_offline(d.config_path, &dt);
	return trunk_daemon_run(&d);
}
