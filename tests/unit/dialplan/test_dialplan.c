/*
 * Unit tests of dialplan/'s configuration table (STYLE.md 16). The schema
 * holds [dialplan] alone, so the test needs only dialplan/ and config/.
 * REQ: none (configuration only)
 */
#include <stdio.h>
#include <string.h>

#include "dialplan/dialplan.h"
#include "unit_test.h"

static const struct config_section_def *const schema[] = {
	&dialplan_config_section, NULL
};

static int t_defaults(void)
{
	const struct config_section *d;
	struct config *cfg;

	CHECK(unit_load("", schema, &cfg) == 0);
	d = config_section_get(cfg, "dialplan", NULL);
	CHECK(config_get_str(d, "file") == NULL);
	CHECK(!strcmp(config_get_str(d, "default_context"), "default"));
	CHECK(!config_is_set(d, "default_context"));
	config_free(cfg);
	return 0;
}

static int t_file_relative(void)
{
	char path[300];
	struct config *cfg;

	snprintf(path, sizeof(path), "%s/plan.conf", unit_dir);
	unit_write_file(path, "# empty plan\n");
	CHECK(unit_load("[dialplan]\nfile = plan.conf\ndefault_context = in\n",
			schema, &cfg) == 0);
	CHECK(!strcmp(config_get_str(config_section_get(cfg, "dialplan", NULL),
				     "file"),
		      path));
	config_free(cfg);
	return 0;
}

static int t_file_missing(void)
{
	struct config *cfg;

	CHECK(unit_load("[dialplan]\nfile = nowhere.conf\nextra = 1\n", schema,
			&cfg) == EINVAL);
	CHECK(unit_errs.n == 2);
	CHECK(unit_has_err(2, "file: cannot read "));
	CHECK(unit_has_err(2, "nowhere.conf: No such file or directory"));
	CHECK(unit_has_err(3, "unknown key 'extra' in [dialplan]"));
	return 0;
}

static const struct unit_case cases[] = {
	{ "defaults", t_defaults },
	{ "file_relative", t_file_relative },
	{ "file_missing", t_file_missing },
};

UNIT_MAIN(cases)
