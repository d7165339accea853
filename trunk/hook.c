/*
 * The administrator's event hook ([global] event_hook): a program run on
 * every registration and flow state change (issue 6 item 5), e.g. to send
 * an alert. It gets four arguments, KIND (registration|flow), NAME (the
 * trunk), STATE (the new state) and REASON, and runs detached: a double
 * fork, so trunkd neither waits for it nor leaves zombies, with our
 * sockets closed and default signal handling.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flow.h"
#include "gateway.h"

#define SUBSYS "trunk.hook"

/* In the grandchild, between fork and exec: async-signal-safe calls only. */
static void hook_exec(const char *path, char *const argv[])
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	close_range(3, ~0U, 0);
	execv(path, argv);
	_exit(127);
}

void trunk_hook_run(struct trunk_gateway *gw, const char *kind,
		    const char *name, const char *state, const char *reason)
{
	const char *path;
	char *argv[6];
	pid_t pid;
	int st;

	if (!gw->cfg)
		return;
	path = config_get_str(config_section_get(gw->cfg, "global", NULL),
			      "event_hook");
	if (!path || !*path)
		return;
	argv[0] = (char *)path;
	argv[1] = (char *)kind;
	argv[2] = (char *)name;
	argv[3] = (char *)state;
	argv[4] = (char *)(reason ? reason : "");
	argv[5] = NULL;
	pid = fork();
	if (pid < 0) {
		LOGW(SUBSYS, NULL, "cannot run %s: %s", path, strerror(errno));
		return;
	}
	if (pid == 0) {
		pid_t g = fork();

		if (g == 0)
			hook_exec(path, argv);
		_exit(g < 0 ? 1 : 0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	LOGD(SUBSYS, NULL, "%s %s %s %s: started %s", kind, name, state,
	     reason ? reason : "", path);
}
