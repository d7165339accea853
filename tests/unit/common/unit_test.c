/* Helpers shared by the unit test binaries; see unit_test.h. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit_test.h"

struct unit_errors unit_errs;
static const char *unit_loading; /* the file config_load() was given */
char unit_dir[] = "/tmp/trunkd-unit.XXXXXX";
char unit_conf[sizeof(unit_dir) + 16];

void unit_dump_errors(void)
{
	size_t i;

	for (i = 0; i < unit_errs.n; i++)
		fprintf(stderr, "  error at line %u: %s\n", unit_errs.line[i],
			unit_errs.text[i]);
}

bool unit_has_err(unsigned line, const char *text)
{
	size_t i;

	for (i = 0; i < unit_errs.n; i++)
		if (unit_errs.line[i] == line &&
		    strstr(unit_errs.text[i], text))
			return true;
	return false;
}

bool unit_any_err(const char *text)
{
	size_t i;

	for (i = 0; i < unit_errs.n; i++)
		if (strstr(unit_errs.text[i], text))
			return true;
	return false;
}

static void unit_collect(const char *file, unsigned line, const char *reason,
			 void *arg)
{
	struct unit_errors *e = arg;

	if (strcmp(file, unit_loading))
		e->wrong_file = true;
	if (e->n == UNIT_MAX_ERRS)
		return;
	e->line[e->n] = line;
	snprintf(e->text[e->n++], sizeof(e->text[0]), "%s", reason);
}

void unit_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

int unit_load_path(const char *path,
		   const struct config_section_def *const *schema,
		   struct config **cfg)
{
	memset(&unit_errs, 0, sizeof(unit_errs));
	unit_loading = path;
	*cfg = NULL;
	return config_load(path, schema, cfg, unit_collect, &unit_errs);
}

int unit_load(const char *text, const struct config_section_def *const *schema,
	      struct config **cfg)
{
	unit_write_file(unit_conf, text);
	return unit_load_path(unit_conf, schema, cfg);
}

ssize_t unit_capture(char *buf, size_t size, void (*f)(void *), void *arg)
{
	size_t len = 0;
	ssize_t n;
	int fds[2];

	if (pipe(fds))
		return -1;
	config_log_set_fd(fds[1]);
	f(arg);
	config_log_set_fd(-1);
	close(fds[1]);
	while (len < size - 1 &&
	       (n = read(fds[0], buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = 0;
	return (ssize_t)len;
}

static void unit_cleanup(void)
{
	char cmd[sizeof(unit_dir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", unit_dir);
}

int unit_main(int argc, char **argv, const struct unit_case *cases, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; argc == 2 && i < n; i++)
		if (!strcmp(argv[1], cases[i].name))
			break;
	if (argc != 2 || i == n) {
		for (i = 0; i < n; i++)
			printf("%s\n", cases[i].name);
		return argc == 1 ? 0 : 2;
	}
	if (!mkdtemp(unit_dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(unit_conf, sizeof(unit_conf), "%s/test.conf", unit_dir);
	rc = cases[i].run();
	unit_cleanup();
	if (!rc)
		printf("ok %s\n", cases[i].name);
	return rc ? 1 : 0;
}

void *unit_sofia_own(const char *name, const void *ours)
{
	void *lib = dlopen("libsofia-sip-ua.so.0", RTLD_NOW | RTLD_NOLOAD);
	void *sym = lib ? dlsym(lib, name) : NULL;

	if (lib)
		dlclose(lib);
	return sym == ours ? NULL : sym;
}
