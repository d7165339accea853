/*
 * Fuzz target for the dial-plan compiler and matcher (issue 4, "the
 * dial-plan parser is fuzzed"). The input is a plan text; it is compiled
 * without includes (a fuzzer must not read the file system), and when it
 * compiles, every context is matched against fixed dialled strings and
 * strings cut from the input, with and without a caller, then the results
 * are formatted. Anything the sanitizers or a crash report is a bug.
 *
 * Built two ways (tests/fuzz/dialplan/meson.build): with clang as a
 * libFuzzer binary, and everywhere as a driver that replays the files
 * named on its command line (the seed corpus), so the corpus runs as a
 * regular test.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dialplan/dialplan_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_errors(const char *file, unsigned line, const char *reason,
		      void *arg)
{
	(void)file, (void)line, (void)reason, (void)arg;
}

static const char *const fixed[] = {
	"911",
	"112",
	"0",
	"+",
	"*",
	"#",
	"+4930123456",
	"0049301234567",
	"12345678901234567890123456789012",
	"123456789012345678901234567890123",
	"",
	"abc",
	"1 2-3",
	"*31#",
	"200",
};

static void match_all(const struct dialplan *plan, const char *extra)
{
	struct dialplan_query q = { 0 };
	struct dialplan_result r;
	char buf[1024], uri[256];
	unsigned c, i, k;

	for (c = 0; c < plan->n_ctx; c++) {
		q.context = plan->ctx[c]->name;
		for (i = 0; i <= sizeof(fixed) / sizeof(fixed[0]); i++) {
			q.dialled = i < sizeof(fixed) / sizeof(fixed[0])
					    ? fixed[i]
					    : extra;
			for (k = 0; k < 3; k++) {
				q.direction = (enum dialplan_direction)k;
				q.caller = k == 0   ? NULL
					   : k == 1 ? "201"
						    : extra;
				if (dialplan_match(plan, &q, &r))
					continue;
				dialplan_result_format(&r, "sp.example", buf,
						       sizeof(buf));
				dialplan_uri_encode(r.number, "2001:db8::1",
						    uri, sizeof(uri));
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dialplan *plan;
	char extra[48];
	size_t n = size < sizeof(extra) - 1 ? size : sizeof(extra) - 1;

	/* The last bytes of the input double as a dialled string. */
	memcpy(extra, data + size - n, n);
	extra[n] = 0;
	if (dp_compile_buffer("fuzz.dialplan", (const char *)data, size, false,
			      &plan, no_errors, NULL))
		return 0;
	match_all(plan, extra);
	dialplan_free(plan);
	return 0;
}
