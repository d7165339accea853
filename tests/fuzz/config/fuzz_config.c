/*
 * Fuzz target for the configuration file parser (config/parse.c,
 * config/value.c) with trunkd's whole schema and cross-key checks
 * (trunk/trunk_config.c, the TLS checks of trunk/tls.c, and the checks
 * between sections trunkd --check-config runs; the dial plan a config
 * names is not read: it has its own target). The input is a file's text.
 *
 * Besides crashes, leaks and sanitizer reports, every error must be
 * reported as this file, a line within it (0 only for the file as a
 * whole) and a non-empty reason (STYLE.md 13, "a bad config line names
 * file:line:reason"), and a secret never reaches an error: when the
 * marker FUZZ_SECRET appears in the input only inside the values of
 * secret keys (passwords, key passphrases), no reason may contain it.
 * On success, every key of every section is read back with its getter.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "trunk/gateway.h"
#include "trunk/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SECRET "FUZZ_SECRET"

struct fuzz_errs {
	const char *file;
	unsigned lines;
	bool secret_only; /* FUZZ_SECRET only in secret values */
	unsigned n;
};

static char fuzz_dir[32], fuzz_path[64];

static void fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

static void fuzz_error(const char *file, unsigned line, const char *reason,
		       void *arg)
{
	struct fuzz_errs *e = arg;
	const char *bad = NULL;

	if (!file || strcmp(file, e->file))
		bad = "error names another file";
	else if (line > e->lines)
		bad = "error names a line past the end of the file";
	else if (!reason || !*reason)
		bad = "error without a reason";
	else if (e->secret_only && strstr(reason, FUZZ_SECRET))
		bad = "a secret reached an error message";
	if (bad) {
		fprintf(stderr, "fuzz_config: %s: %s:%u: %s\n", bad,
			file ? file : "(null)", line, reason ? reason : "");
		abort();
	}
	e->n++;
}

/* Whether NAME is a CONFIG_F_SECRET key of any section. */
static bool fuzz_secret_key(const char *name, size_t len)
{
	const struct config_section_def *const *d;
	const struct config_key *const *t;
	const struct config_key *k;

	for (d = trunk_config_schema; *d; d++)
		for (t = (*d)->keys; *t; t++)
			for (k = *t; k->name; k++)
				if ((k->flags & CONFIG_F_SECRET) &&
				    strlen(k->name) == len &&
				    !strncmp(k->name, name, len))
					return true;
	return false;
}

/* Does every FUZZ_SECRET of text lie in the value of a secret key
 * ("password = ...FUZZ_SECRET...")? Lines are cut at NUL too (the
 * parser refuses those lines whole). */
static bool fuzz_secret_only(const char *text, size_t len)
{
	const char *line = text, *end = text + len, *nl, *eq, *k, *ke, *hit;
	size_t n = strlen(FUZZ_SECRET);
	bool any = false;

	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		for (hit = line;
		     (hit = memmem(hit, (size_t)(nl - hit), FUZZ_SECRET, n));
		     hit += n) {
			eq = memchr(line, '=', (size_t)(nl - line));
			for (k = line; k < nl && (*k == ' ' || *k == '\t');)
				k++;
			for (ke = eq;
			     ke && ke > k && (ke[-1] == ' ' || ke[-1] == '\t');)
				ke--;
			if (!eq || hit < eq ||
			    memchr(line, '\0', (size_t)(nl - line)) ||
			    !fuzz_secret_key(k, (size_t)(ke - k)))
				return false;
			any = true;
		}
	}
	return any;
}

/* Read every key back through its typed getter. */
static void fuzz_read_back(const struct config *cfg)
{
	const struct config_section_def *const *d;
	const struct config_key *const *t;
	const struct config_key *k;
	const struct config_section *sec;
	const char *const *items;
	struct config_addr a;

	for (d = trunk_config_schema; *d; d++) {
		for (sec = NULL;
		     (sec = config_section_next(cfg, (*d)->name, sec));) {
			for (t = (*d)->keys; *t; t++) {
				for (k = *t; k->name; k++) {
					switch (k->type) {
					case CONFIG_STRING:
					case CONFIG_ENUM:
					case CONFIG_PATH:
						(void)config_get_str(sec,
								     k->name);
						break;
					case CONFIG_INT:
					case CONFIG_DURATION:
						(void)config_get_int(sec,
								     k->name);
						break;
					case CONFIG_BOOL:
						(void)config_get_bool(sec,
								      k->name);
						break;
					case CONFIG_ADDR:
						(void)config_get_addr(
							sec, k->name, &a);
						break;
					case CONFIG_LIST:
					case CONFIG_E164_LIST:
					case CONFIG_ADDR_LIST:
					case CONFIG_LOG_LEVELS:
						(void)config_get_list(
							sec, k->name, &items);
						break;
					}
				}
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_errs e = { 0 };
	struct config *cfg = NULL;
	FILE *f;
	size_t i;

	/* One file in a private directory: relative paths of the config
	 * resolve there, where nothing else exists. */
	if (!fuzz_path[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/fuzz-config.XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/trunkd.conf",
			 fuzz_dir);
		atexit(fuzz_cleanup);
	}
	f = fopen(fuzz_path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	e.file = fuzz_path;
	e.lines = 1;
	for (i = 0; i < size; i++)
		e.lines += data[i] == '\n';
	e.secret_only = fuzz_secret_only((const char *)data, size);
	if (!config_load(fuzz_path, trunk_config_schema, &cfg, fuzz_error,
			 &e)) {
		if (e.n)
			abort(); /* errors reported, yet loaded */
		(void)trunk_tls_config_check(cfg, fuzz_error, &e);
		(void)trunk_config_check_plan(cfg, NULL, fuzz_error, &e);
		fuzz_read_back(cfg);
		config_free(cfg);
	} else if (!e.n) {
		fprintf(stderr, "fuzz_config: refused without an error\n");
		abort();
	}
	return 0;
}
