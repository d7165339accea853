/*
 * trunkctl: the command-line client of trunkd's control socket
 * (docs/control.md). It sends one command line and prints the answer:
 * as it came (one JSON line) with --json, indented otherwise.
 * Exit status: 0 the daemon said ok, 1 it answered an error, 2 no answer
 * (cannot connect, timeout, usage).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "trunk/trunk.h"

#define DEFAULT_SOCKET "/run/trunkd/trunkd.sock"
/* The daemon's own limit (trunk/control.c CONTROL_REPLY_MAX). */
#define REPLY_MAX (64u << 20)
#define TIMEOUT_S 10

static void usage(FILE *f)
{
	fprintf(f,
		"usage: trunkctl [-s SOCKET | -c CONFIG] [--json] COMMAND "
		"[ARGS...]\n"
		"\n"
		"Commands:\n"
		"  status     version, uptime, config, trunks and their state\n"
		"  status heap  the same and the heap in use (walks the heap:\n"
		"             stalls SIP for milliseconds on a busy daemon)\n"
		"  reload     re-read the configuration (a bad file is "
		"reported,\n"
		"             the running configuration stays)\n"
		"  calls      active calls: id, state, direction, emergency, "
		"legs\n"
		"  hangup ID  end a call (BYE both legs, or CANCEL)\n"
		"  transfer ID TARGET  transfer a call's enterprise leg to an\n"
		"             extension, a PBX user or a number across the "
		"trunk (3pcc)\n"
		"  join ID OTHER  attended transfer: OTHER's far end takes the "
		"place\n"
		"             of ID's enterprise leg (3pcc)\n"
		"  registrations          phones registered to trunkd, and "
		"the\n"
		"             trunks' own registrations (state, next attempt, "
		"back-off)\n"
		"  flows      RFC 5626 flows: state, transport, addresses, "
		"keep-alive\n"
		"             interval, pings, failure reason\n"
		"  dialplan test NUMBER [caller=N] [direction=D] [context=C]\n"
		"             [from=SECTION] [privacy=id]\n"
		"             the rule and leg B's INVITE (R-URI, To, From, "
		"PAI,\n"
		"             Privacy...) a call would get, without placing "
		"it\n"
		"\n"
		"The socket is CONFIG's control_socket, or %s.\n",
		DEFAULT_SOCKET);
}

/* Indent a JSON text for people; strings are copied verbatim. */
static void print_pretty(const char *j)
{
	int depth = 0;
	bool in_str = false;

	for (; *j && *j != '\n'; j++) {
		char c = *j;

		if (in_str) {
			putchar(c);
			if (c == '\\' && j[1])
				putchar(*++j);
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			putchar(c);
			break;
		case '{':
		case '[':
			printf("%c\n%*s", c, 2 * ++depth, "");
			break;
		case '}':
		case ']':
			printf("\n%*s%c", 2 * --depth, "", c);
			break;
		case ',':
			printf(",\n%*s", 2 * depth, "");
			break;
		case ':':
			printf(": ");
			break;
		default:
			putchar(c);
		}
	}
	putchar('\n');
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "trunkctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "trunkctl: cannot connect to %s: %s\n", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Send "cmd\n", read one line (of any length up to REPLY_MAX) into
 * *reply (malloc'd, NUL-terminated). 0 or -1 (reported). */
static int ctl_exchange(int fd, const char *cmd, char **reply)
{
	size_t used = 0, len = 65536;
	char *buf = malloc(len), *b;
	ssize_t n;

	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "trunkctl: send: %s\n", strerror(errno));
		return -1;
	}
	while (buf && len <= REPLY_MAX) {
		n = recv(fd, buf + used, len - 1 - used, 0);
		if (n <= 0) {
			fprintf(stderr, "trunkctl: no answer: %s\n",
				n ? strerror(errno) : "connection closed");
			free(buf);
			return -1;
		}
		/* Only the bytes just read can hold the newline. */
		buf[used + (size_t)n] = '\0';
		if (strchr(buf + used, '\n')) {
			*reply = buf;
			return 0;
		}
		used += (size_t)n;
		if (used == len - 1) {
			b = realloc(buf, len * 2);
			if (!b)
				break;
			buf = b;
			len *= 2;
		}
	}
	free(buf);
	fprintf(stderr, "trunkctl: answer too long or out of memory\n");
	return -1;
}

static char *socket_from_config(const char *file)
{
	struct config *cfg;
	char *path;

	if (trunk_config_check(file, &cfg))
		return NULL;
	path = strdup(config_get_str(config_section_get(cfg, "global", NULL),
				     "control_socket"));
	config_free(cfg);
	return path;
}

static int join_args(int argc, char **argv, char *buf, size_t len)
{
	size_t used = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (strchr(argv[i], '\n'))
			return -1;
		n = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
			     argv[i]);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *reply = NULL;
	char cmd[4096], *sock = NULL;
	bool json = false;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "s:c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(sock);
			sock = strdup(optarg);
			break;
		case 'c':
			free(sock);
			sock = socket_from_config(optarg);
			if (!sock)
				return 2;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc ||
	    join_args(argc - optind, argv + optind, cmd, sizeof(cmd))) {
		usage(stderr);
		return 2;
	}
	fd = ctl_connect(sock ? sock : DEFAULT_SOCKET);
	free(sock);
	if (fd < 0)
		return 2;
	rc = ctl_exchange(fd, cmd, &reply);
	close(fd);
	if (rc)
		return 2;
	if (json)
		fputs(reply, stdout);
	else
		print_pretty(reply);
	rc = strncmp(reply, "{\"ok\":true", 10) ? 1 : 0;
	free(reply);
	return rc;
}
