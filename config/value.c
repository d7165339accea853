/*
 * Values of the configuration file: one parser per enum config_type, shared
 * by the file's keys and by the schema's defaults so that a default obeys
 * exactly the rules a written value does.
 *
 * Reasons never show the value of a CONFIG_F_SECRET key (config_show());
 * other values are shown quoted, cut short and with control characters
 * replaced, because the reason ends up on a terminal or in a log.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_private.h"

/* One value being parsed, and where its reason goes. */
struct config_pv {
	struct config_value *v;
	const char *dir; /* for relative PATHs */
	bool check_exists;
	char *why;
	size_t why_len;
};

/* A short, printable, quoted form of TEXT for a reason; "the value" for a
 * secret. buf must hold 64 bytes. */
static const char *config_show(const struct config_pv *pv, const char *text,
			       char *buf)
{
	size_t i, o = 0;

	if (pv->v->key->flags & CONFIG_F_SECRET)
		return "the value";
	buf[o++] = '\'';
	for (i = 0; text[i] && o < 56; i++)
		buf[o++] = isprint((unsigned char)text[i]) ? text[i] : '?';
	if (text[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = 0;
	return buf;
}

static int config_fail(struct config_pv *pv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int config_fail(struct config_pv *pv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pv->why, pv->why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int config_nomem(struct config_pv *pv)
{
	return config_fail(pv, "out of memory");
}

const char *config_type_name(enum config_type type)
{
	switch (type) {
	case CONFIG_STRING:
		return "string";
	case CONFIG_INT:
		return "integer";
	case CONFIG_BOOL:
		return "boolean";
	case CONFIG_ENUM:
		return "enum";
	case CONFIG_DURATION:
		return "duration";
	case CONFIG_PATH:
		return "path";
	case CONFIG_ADDR:
		return "address";
	case CONFIG_LIST:
		return "list";
	case CONFIG_E164_LIST:
		return "E.164 list";
	case CONFIG_ADDR_LIST:
		return "address list";
	case CONFIG_LOG_LEVELS:
		return "log levels";
	}
	return "?";
}

void config_duration_format(long long ms, char *buf, size_t size)
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%lldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", ms / 1000);
	else
		snprintf(buf, size, "%lldms", ms);
}

void config_value_clear(struct config_value *v)
{
	bool secret = v->key->flags & CONFIG_F_SECRET;
	size_t i;

	if (v->str && secret)
		explicit_bzero(v->str, strlen(v->str));
	free(v->str);
	free(v->addr);
	for (i = 0; v->items && v->items[i]; i++) {
		if (secret)
			explicit_bzero(v->items[i], strlen(v->items[i]));
		free(v->items[i]);
	}
	free(v->items);
	v->str = NULL;
	v->addr = NULL;
	v->items = NULL;
	v->n = 0;
	v->num = 0;
	v->set = false;
}

/* ---------------------------------------------------------------------- */
/* Scalars                                                                 */

static int config_parse_string(struct config_pv *pv, const char *text)
{
	pv->v->str = strdup(text);
	return pv->v->str ? 0 : config_nomem(pv);
}

static int config_range_check(struct config_pv *pv, long long x, bool ms)
{
	const struct config_key *k = pv->v->key;
	char sx[32], lo[32], hi[32];

	if ((k->min == 0 && k->max == 0) || (x >= k->min && x <= k->max))
		return 0;
	if (ms) {
		config_duration_format(x, sx, sizeof(sx));
		config_duration_format(k->min, lo, sizeof(lo));
		config_duration_format(k->max, hi, sizeof(hi));
	} else {
		snprintf(sx, sizeof(sx), "%lld", x);
		snprintf(lo, sizeof(lo), "%lld", k->min);
		snprintf(hi, sizeof(hi), "%lld", k->max);
	}
	if (k->flags & CONFIG_F_SECRET)
		return config_fail(pv, "the value is out of range %s..%s", lo,
				   hi);
	return config_fail(pv, "%s is out of range %s..%s", sx, lo, hi);
}

static int config_parse_int(struct config_pv *pv, const char *text)
{
	const char *d = text[0] == '-' ? text + 1 : text;
	char buf[64], *end;
	long long x;

	if (!isdigit((unsigned char)*d))
		goto bad;
	errno = 0;
	x = strtoll(text, &end, 10);
	if (*end)
		goto bad;
	if (errno == ERANGE)
		return config_fail(pv, "%s is too large",
				   config_show(pv, text, buf));
	pv->v->num = x;
	return config_range_check(pv, x, false);
bad:
	return config_fail(pv, "%s is not an integer",
			   config_show(pv, text, buf));
}

static int config_parse_duration(struct config_pv *pv, const char *text)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = { { "", 1000 },
		      { "ms", 1 },
		      { "s", 1000 },
		      { "m", 60000 },
		      { "h", 3600000 } };
	unsigned long long x;
	char buf[64], *end;
	size_t i;

	if (!isdigit((unsigned char)text[0]))
		goto bad;
	errno = 0;
	x = strtoull(text, &end, 10);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		goto bad;
	if (errno == ERANGE || x > (unsigned long long)LLONG_MAX / units[i].ms)
		return config_fail(pv, "%s is too long",
				   config_show(pv, text, buf));
	pv->v->num = (long long)x * units[i].ms;
	return config_range_check(pv, pv->v->num, true);
bad:
	return config_fail(pv, "%s is not a duration (250ms, 30s, 5m, 1h)",
			   config_show(pv, text, buf));
}

static int config_parse_bool(struct config_pv *pv, const char *text)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i])) {
			pv->v->num = 1;
			return 0;
		}
		if (!strcasecmp(text, no[i])) {
			pv->v->num = 0;
			return 0;
		}
	}
	return config_fail(pv,
			   "%s is not a boolean (yes/no, true/false, "
			   "on/off, 1/0)",
			   config_show(pv, text, buf));
}

/* Is TEXT one of CHOICES ("a|b|c")? */
static bool config_choice_ok(const char *choices, const char *text)
{
	size_t len = strlen(text);
	const char *c = choices, *bar;

	for (;; c = bar + 1) {
		bar = strchr(c, '|');
		if (!bar)
			return strcmp(c, text) == 0;
		if ((size_t)(bar - c) == len && !strncmp(c, text, len))
			return true;
	}
}

static int config_parse_enum(struct config_pv *pv, const char *text)
{
	const char *choices = pv->v->key->choices;
	char buf[64];

	if (!choices || !config_choice_ok(choices, text))
		return config_fail(pv, "%s is not one of %s",
				   config_show(pv, text, buf),
				   choices ? choices : "(none)");
	return config_parse_string(pv, text);
}

static int config_parse_path(struct config_pv *pv, const char *text)
{
	struct config_value *v = pv->v;
	struct stat st;
	int rc;

	if (text[0] == '/')
		v->str = strdup(text);
	else if (asprintf(&v->str, "%s/%s", pv->dir, text) < 0)
		v->str = NULL;
	if (!v->str)
		return config_nomem(pv);
	if (!pv->check_exists || !(v->key->flags & CONFIG_F_MUST_EXIST))
		return 0;
	if (access(v->str, R_OK) || stat(v->str, &st)) {
		rc = errno;
		return config_fail(pv, "cannot read %s: %s", v->str,
				   strerror(rc));
	}
	if (S_ISDIR(st.st_mode))
		return config_fail(pv, "cannot read %s: %s", v->str,
				   strerror(EISDIR));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Addresses                                                               */

static bool config_ipv6_ok(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET6, host, a) == 1;
}

/* An IPv4 literal, or a DNS name (RFC 1123 labels). */
static const char *config_host_check(const char *host)
{
	unsigned char a[4];
	size_t label = 0, i;

	if (!host[0])
		return "the host is missing";
	if (strspn(host, "0123456789.") == strlen(host))
		return inet_pton(AF_INET, host, a) == 1 ? NULL
							: "bad IPv4 address";
	if (strlen(host) > 253)
		return "host name too long";
	for (i = 0; host[i]; i++) {
		if (host[i] == '.') {
			if (!label || host[i - 1] == '-')
				return "bad host name";
			label = 0;
		} else if (isalnum((unsigned char)host[i]) ||
			   (host[i] == '-' && label)) {
			if (++label > 63)
				return "bad host name";
		} else {
			return "bad host name";
		}
	}
	return label && host[i - 1] != '-' ? NULL : "bad host name";
}

static const char *config_port_parse(const char *s, uint16_t *port)
{
	size_t len = strspn(s, "0123456789");
	long x;

	if (!len || s[len] || len > 5)
		return "bad port (1-65535)";
	x = strtol(s, NULL, 10);
	if (x < 1 || x > 65535)
		return "bad port (1-65535)";
	*port = (uint16_t)x;
	return NULL;
}

/* "[v6]" or "[v6]:port" */
static const char *config_addr_bracket(const char *s, struct config_addr *a)
{
	const char *end = strchr(s, ']');
	size_t len;

	if (!end)
		return "missing ']'";
	len = (size_t)(end - s - 1);
	if (len >= sizeof(a->host))
		return "bad IPv6 address";
	memcpy(a->host, s + 1, len);
	a->host[len] = 0;
	if (!config_ipv6_ok(a->host))
		return "bad IPv6 address";
	a->ipv6 = true;
	if (!end[1])
		return NULL;
	if (end[1] != ':')
		return "unexpected text after ']'";
	return config_port_parse(end + 2, &a->port);
}

/* The reason TEXT is not a CONFIG_ADDR, or NULL with *a written. */
static const char *config_addr_split(const char *s, struct config_addr *a)
{
	const char *colon = strchr(s, ':');
	size_t len;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[')
		return config_addr_bracket(s, a);
	if (colon && strchr(colon + 1, ':')) {
		/* Two colons: a bare IPv6 literal, which cannot carry a
		 * port ("[v6]:port" can). */
		if (strlen(s) >= sizeof(a->host) || !config_ipv6_ok(s))
			return "bad IPv6 address (with a port, write "
			       "[v6]:port)";
		strcpy(a->host, s);
		a->ipv6 = true;
		return NULL;
	}
	len = colon ? (size_t)(colon - s) : strlen(s);
	if (len >= sizeof(a->host))
		return "host name too long";
	memcpy(a->host, s, len);
	a->host[len] = 0;
	if (config_host_check(a->host))
		return config_host_check(a->host);
	return colon ? config_port_parse(colon + 1, &a->port) : NULL;
}

int config_addr_parse(const char *text, struct config_addr *out)
{
	struct config_addr a;

	if (!text || config_addr_split(text, &a))
		return EINVAL;
	*out = a;
	return 0;
}

static int config_addr_check(struct config_pv *pv, const char *text,
			     struct config_addr *a)
{
	const char *why = config_addr_split(text, a);
	char buf[64];

	if (!why)
		return 0;
	return config_fail(pv, "%s is not an address: %s",
			   config_show(pv, text, buf), why);
}

static int config_parse_addr(struct config_pv *pv, const char *text)
{
	pv->v->addr = malloc(sizeof(*pv->v->addr));
	if (!pv->v->addr)
		return config_nomem(pv);
	return config_addr_check(pv, text, pv->v->addr);
}

/* ---------------------------------------------------------------------- */
/* Lists                                                                   */

static char *config_trimmed_dup(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

static int config_list_dups(struct config_pv *pv)
{
	struct config_value *v = pv->v;
	char buf[64];
	size_t i, j;

	for (i = 0; i < v->n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(v->items[i], v->items[j]))
				return config_fail(
					pv, "%s is listed twice",
					config_show(pv, v->items[i], buf));
	return 0;
}

/* Split TEXT at commas into v->items: no empty items, at most key->max,
 * no item twice. */
static int config_split(struct config_pv *pv, const char *text)
{
	struct config_value *v = pv->v;
	const char *s = text, *comma;
	size_t n = 1;

	for (comma = text; (comma = strchr(comma, ',')); comma++)
		n++;
	if (v->key->max > 0 && n > (unsigned long long)v->key->max)
		return config_fail(pv, "%zu items, at most %lld", n,
				   v->key->max);
	v->items = calloc(n + 1, sizeof(*v->items));
	if (!v->items)
		return config_nomem(pv);
	for (; v->n < n; s = comma + 1) {
		comma = strchr(s, ',');
		if (!comma)
			comma = s + strlen(s);
		v->items[v->n] = config_trimmed_dup(s, (size_t)(comma - s));
		if (!v->items[v->n])
			return config_nomem(pv);
		if (!v->items[v->n++][0])
			return config_fail(pv, "item %zu is empty", v->n);
	}
	return config_list_dups(pv);
}

static int config_parse_list(struct config_pv *pv, const char *text)
{
	const char *choices = pv->v->key->choices;
	char buf[64];
	size_t i;

	if (config_split(pv, text))
		return -1;
	for (i = 0; choices && i < pv->v->n; i++)
		if (!config_choice_ok(choices, pv->v->items[i]))
			return config_fail(
				pv, "%s is not one of %s",
				config_show(pv, pv->v->items[i], buf), choices);
	return 0;
}

static int config_parse_addr_list(struct config_pv *pv, const char *text)
{
	struct config_addr a;
	size_t i;

	if (config_split(pv, text))
		return -1;
	for (i = 0; i < pv->v->n; i++)
		if (config_addr_check(pv, pv->v->items[i], &a))
			return -1;
	return 0;
}

/* One E.164 range, a single number being a range of one. */
struct config_e164 {
	long long lo, hi;
	size_t digits;
};

/* "+<1-15 digits>" of LEN bytes at S. */
static bool config_e164_number(const char *s, size_t len, long long *num,
			       size_t *digits)
{
	size_t i;

	if (len < 2 || len > 16 || s[0] != '+')
		return false;
	*num = 0;
	for (i = 1; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*num = *num * 10 + (s[i] - '0');
	}
	*digits = len - 1;
	return true;
}

static int config_e164_item(struct config_pv *pv, const char *s,
			    struct config_e164 *r)
{
	const char *dash = strchr(s, '-');
	size_t d2, len = dash ? (size_t)(dash - s) : strlen(s);
	char buf[64];

	if (!config_e164_number(s, len, &r->lo, &r->digits))
		goto bad;
	r->hi = r->lo;
	if (!dash)
		return 0;
	if (!config_e164_number(dash + 1, strlen(dash + 1), &r->hi, &d2))
		goto bad;
	if (d2 != r->digits)
		return config_fail(pv,
				   "range %s: both ends need the same "
				   "number of digits",
				   config_show(pv, s, buf));
	if (r->lo > r->hi)
		return config_fail(pv, "range %s: start is above end",
				   config_show(pv, s, buf));
	return 0;
bad:
	return config_fail(pv,
			   "%s is not an E.164 number (+ and 1-15 digits) "
			   "or range (+A-+B)",
			   config_show(pv, s, buf));
}

static int config_e164_overlaps(struct config_pv *pv,
				const struct config_e164 *r)
{
	char b1[64], b2[64];
	size_t i, j;

	for (i = 0; i < pv->v->n; i++)
		for (j = 0; j < i; j++)
			if (r[i].digits == r[j].digits && r[i].lo <= r[j].hi &&
			    r[j].lo <= r[i].hi)
				return config_fail(
					pv, "%s overlaps %s",
					config_show(pv, pv->v->items[i], b1),
					config_show(pv, pv->v->items[j], b2));
	return 0;
}

static int config_parse_e164_list(struct config_pv *pv, const char *text)
{
	struct config_e164 *r;
	int rc = 0;
	size_t i;

	if (config_split(pv, text))
		return -1;
	r = calloc(pv->v->n, sizeof(*r));
	if (!r)
		return config_nomem(pv);
	for (i = 0; !rc && i < pv->v->n; i++)
		rc = config_e164_item(pv, pv->v->items[i], &r[i]);
	if (!rc)
		rc = config_e164_overlaps(pv, r);
	free(r);
	return rc;
}

static int config_parse_log_levels(struct config_pv *pv, const char *text)
{
	struct config_log_table *t;
	int rc;

	if (config_split(pv, text))
		return -1;
	t = malloc(sizeof(*t));
	if (!t)
		return config_nomem(pv);
	rc = config_log_table_build(t, (const char *const *)pv->v->items,
				    pv->v->n, pv->why, pv->why_len);
	free(t);
	return rc;
}

/* ---------------------------------------------------------------------- */

static int config_parse_typed(struct config_pv *pv, const char *text)
{
	switch (pv->v->key->type) {
	case CONFIG_STRING:
		return config_parse_string(pv, text);
	case CONFIG_INT:
		return config_parse_int(pv, text);
	case CONFIG_BOOL:
		return config_parse_bool(pv, text);
	case CONFIG_ENUM:
		return config_parse_enum(pv, text);
	case CONFIG_DURATION:
		return config_parse_duration(pv, text);
	case CONFIG_PATH:
		return config_parse_path(pv, text);
	case CONFIG_ADDR:
		return config_parse_addr(pv, text);
	case CONFIG_LIST:
		return config_parse_list(pv, text);
	case CONFIG_E164_LIST:
		return config_parse_e164_list(pv, text);
	case CONFIG_ADDR_LIST:
		return config_parse_addr_list(pv, text);
	case CONFIG_LOG_LEVELS:
		return config_parse_log_levels(pv, text);
	}
	return config_fail(pv, "unknown type %d", (int)pv->v->key->type);
}

int config_value_parse(struct config_value *v, const char *text,
		       const char *dir, bool check_exists, char *why,
		       size_t why_len)
{
	struct config_pv pv = { v, dir, check_exists, why, why_len };
	int rc;

	config_value_clear(v);
	if (!text[0])
		rc = config_fail(&pv, "value is empty");
	else
		rc = config_parse_typed(&pv, text);
	if (rc)
		config_value_clear(v);
	else
		v->set = true;
	return rc;
}
