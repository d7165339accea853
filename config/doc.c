/*
 * The Markdown reference of a schema (docs/configuration.md): generated
 * from the same tables the parser uses, so the documentation cannot drift
 * from what trunkd accepts. The output depends only on the schema.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_private.h"

/* TEXT in a table cell: '|' would end the cell. */
static void doc_cell(FILE *f, const char *text)
{
	for (; *text; text++) {
		if (*text == '|')
			fputs("\\|", f);
		else
			fputc(*text, f);
	}
}

/* "`a` \| `b`" */
static void doc_choices(FILE *f, const char *choices)
{
	const char *c = choices, *bar;

	for (;; c = bar + 1) {
		bar = strchr(c, '|');
		fprintf(f, "`%.*s`", bar ? (int)(bar - c) : (int)strlen(c), c);
		if (!bar)
			return;
		fputs(" \\| ", f);
	}
}

static void doc_bounds(FILE *f, const struct config_key *k)
{
	char lo[32], hi[32];

	if (k->min == 0 && k->max == 0)
		return;
	if (k->type == CONFIG_DURATION) {
		config_duration_format(k->min, lo, sizeof(lo));
		config_duration_format(k->max, hi, sizeof(hi));
		fprintf(f, "%s..%s", lo, hi);
	} else {
		fprintf(f, "%lld..%lld", k->min, k->max);
	}
}

static void doc_range(FILE *f, const struct config_key *k)
{
	bool list = k->type == CONFIG_LIST || k->type == CONFIG_E164_LIST ||
		    k->type == CONFIG_ADDR_LIST || k->type == CONFIG_LOG_LEVELS;

	if (k->type == CONFIG_INT || k->type == CONFIG_DURATION)
		doc_bounds(f, k);
	if (list && k->max > 0)
		fprintf(f, "at most %lld items%s", k->max,
			k->choices ? ": " : "");
	if (k->choices && (list || k->type == CONFIG_ENUM))
		doc_choices(f, k->choices);
	if (k->type == CONFIG_PATH && (k->flags & CONFIG_F_MUST_EXIST))
		fputs("must be readable", f);
}

static void doc_key(FILE *f, const struct config_key *k)
{
	fprintf(f, "| `%s`%s%s | %s | ", k->name,
		k->flags & CONFIG_F_REQUIRED ? " (required)" : "",
		k->flags & CONFIG_F_SECRET ? " (secret)" : "",
		config_type_name(k->type));
	if (k->def && (k->flags & CONFIG_F_SECRET))
		fputs("(hidden)", f);
	else if (k->def)
		fprintf(f, "`%s`", k->def);
	fputs(" | ", f);
	doc_range(f, k);
	fprintf(f, " | %s | ", k->flags & CONFIG_F_RESTART ? "yes" : "");
	doc_cell(f, k->help ? k->help : "");
	fputs(" |\n", f);
}

static void doc_section(FILE *f, const struct config_section_def *def)
{
	const struct config_key *k;
	size_t t;

	fprintf(f, "\n## [%s%s]\n\n", def->name, def->named ? " NAME" : "");
	if (def->help)
		fprintf(f, "%s\n\n", def->help);
	if (def->required)
		fprintf(f, "This section is required.\n\n");
	fputs("| key | type | default | range/choices | restart | "
	      "description |\n",
	      f);
	fputs("|---|---|---|---|---|---|\n", f);
	for (t = 0; t < CONFIG_MAX_TABLES && def->keys[t]; t++)
		for (k = def->keys[t]; k->name; k++)
			doc_key(f, k);
}

static void doc_intro(FILE *f)
{
	fputs("# Configuration reference\n\n"
	      "<!-- Generated from the configuration tables of the source; "
	      "do not edit. -->\n\n"
	      "One file, INI style: `[kind]` or `[kind NAME]` headers, "
	      "`key = value` lines, `#` or `;` comments (also after a value, "
	      "following a blank). Values may be \"double quoted\" (escapes "
	      "`\\\"` and `\\\\`) to keep blanks or a `#`. Unknown sections "
	      "and keys are errors. Durations are `250ms`, `30s`, `5m`, `1h` "
	      "or bare seconds; booleans `yes`/`no`, `true`/`false`, "
	      "`on`/`off`, `1`/`0`; lists are comma-separated. Relative paths "
	      "are relative to the directory of the configuration file. Keys "
	      "marked *restart* take effect only when trunkd restarts, not on "
	      "reload.\n",
	      f);
}

static int doc_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int config_schema_write_markdown(const struct config_section_def *const *schema,
				 int fd)
{
	const struct config_section_def *const *d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	f = open_memstream(&buf, &len);
	if (!f)
		return errno;
	doc_intro(f);
	for (d = schema; *d; d++)
		doc_section(f, *d);
	if (fclose(f)) {
		free(buf);
		return ENOMEM;
	}
	rc = doc_write_all(fd, buf, len);
	free(buf);
	return rc;
}
