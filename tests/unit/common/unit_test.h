/*
 * What the unit test binaries share (STYLE.md 16): the case table runner,
 * a temporary directory for config files, an error collector for
 * config_load() and a capture of the logger's output.
 */
#ifndef TRUNKD_UNIT_TEST_H
#define TRUNKD_UNIT_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "config/config.h"

/* Fail the current case (return 1) with the condition and the errors the
 * last unit_load() collected. */
#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                 \
			unit_dump_errors();                                    \
			return 1;                                              \
		}                                                              \
	} while (0)

struct unit_case {
	const char *name;
	int (*run)(void); /* 0: pass */
};

/*
 * "prog CASE" runs one case in a fresh mkdtemp() directory (removed
 * after), prints "ok CASE" and returns 0, or returns 1; "prog" lists the
 * cases. Returns the exit status.
 */
int unit_main(int argc, char **argv, const struct unit_case *cases, size_t n);

/* main() of a test binary whose case table is the array CASES. */
#define UNIT_MAIN(cases)                                                       \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return unit_main(argc, argv, cases,                            \
				 sizeof(cases) / sizeof(cases[0]));            \
	}

#define UNIT_MAX_ERRS 32
/* The errors of the last unit_load(), in the order reported. */
struct unit_errors {
	size_t n;
	unsigned line[UNIT_MAX_ERRS];
	char text[UNIT_MAX_ERRS][512];
	bool wrong_file; /* an error named another file than was loaded */
};
extern struct unit_errors unit_errs;

extern char unit_dir[];	 /* the case's temporary directory */
extern char unit_conf[]; /* unit_dir/test.conf */

void unit_dump_errors(void);
/* Is there an error at LINE (0: whole file) containing TEXT? */
bool unit_has_err(unsigned line, const char *text);
/* Does any error contain TEXT? */
bool unit_any_err(const char *text);

/* Write TEXT to PATH; exit(2) on failure. */
void unit_write_file(const char *path, const char *text);
/* Load PATH; its errors go to unit_errs. */
int unit_load_path(const char *path,
		   const struct config_section_def *const *schema,
		   struct config **cfg);
/* Write TEXT to unit_conf and load it; errors into unit_errs. */
int unit_load(const char *text, const struct config_section_def *const *schema,
	      struct config **cfg);

/* Run f(arg) with the logger writing into a pipe; return what it wrote
 * (NUL-terminated in buf, at most size - 1 bytes), or -1. */
ssize_t unit_capture(char *buf, size_t size, void (*f)(void *), void *arg);

/* libsofia-sip-ua's own definition of a symbol the executable also
 * defines (`ours`, interposed: trunk/sofia_*.c), or NULL. */
void *unit_sofia_own(const char *name, const void *ours);

#endif /* TRUNKD_UNIT_TEST_H */
