/*
 * trunk/sofia_hclass.c: msg_find_hclass() gives libsofia-sip-ua's result
 * (the header reference and where the value starts) for every header
 * name of the SIP message class in any case, with and without blanks or
 * line folding before the colon, for names that are not the class's, and
 * for random text; and libsofia's parser reaches it.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_parser.h>

#include "unit_test.h"
#include "trunk/gateway.h"

typedef msg_href_t const *find_fn(msg_mclass_t const *, char const *,
				  isize_t *);

/* libsofia-sip-ua's own msg_find_hclass(), not the executable's. */
static find_fn *sofia_find(void)
{
	void *sym = unit_sofia_own("msg_find_hclass", (void *)msg_find_hclass);
	find_fn *f;

	*(void **)&f = sym;
	return f;
}

static unsigned compared;

/* Both on s: false and a line on stdout when anything differs. */
static bool same(find_fn *theirs, msg_mclass_t const *mc, const char *s)
{
	isize_t a = -7, b = -7;
	msg_href_t const *ha = msg_find_hclass(mc, s, &a);
	msg_href_t const *hb = theirs(mc, s, &b);

	compared++;
	if (ha != hb || a != b || msg_find_hclass(mc, s, NULL) != hb) {
		printf("differs on \"%s\": %p/%ld against %p/%ld\n", s,
		       (void *)ha, (long)a, (void *)hb, (long)b);
		return false;
	}
	return true;
}

static const char *const tails[] = {
	"",	    ":",	": x",	 " : x",    "\t:x",
	"  \t : x", " \r\n :x", "\r\n:", "\n\t: x", " \r\n\r\n:",
	" x: y",    "\r",	"\r\n",	 ";:",	    "\xff:",
};

/* name followed by each tail, in its own case, upper and lower case. */
static bool name_same(find_fn *theirs, msg_mclass_t const *mc, const char *name)
{
	char buf[128];
	size_t i, j, n = strlen(name);
	int v;

	if (n > 100)
		return true;
	for (v = 0; v < 3; v++)
		for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
			for (j = 0; j < n; j++)
				buf[j] =
					v == 0 ? name[j]
					: v == 1
						? (char)(name[j] >= 'a' &&
									 name[j] <=
										 'z'
								 ? name[j] - 32
								 : name[j])
						: (char)(name[j] >= 'A' &&
									 name[j] <=
										 'Z'
								 ? name[j] + 32
								 : name[j]);
			snprintf(buf + n, sizeof(buf) - n, "%s", tails[i]);
			if (!same(theirs, mc, buf))
				return false;
		}
	return true;
}

static int class_names_same(void)
{
	find_fn *theirs = sofia_find();
	msg_mclass_t const *mc = sip_default_mclass();
	const char *other[] = { "",	  "X-Bench",	"Vias",
				"Vi",	  "Call-I",	"Call-IDs",
				"To-",	  "-",		"1",
				"%",	  "aa",		"P-Asserted",
				"Subjec", "Supported1", "Reason_x",
				"X" };
	char one[2] = { 0, 0 };
	int i;

	CHECK(theirs != NULL);
	for (i = 0; i < mc->mc_hash_size; i++)
		if (mc->mc_hash[i].hr_class)
			CHECK(name_same(theirs, mc,
					mc->mc_hash[i].hr_class->hc_name));
	for (i = 1; i < 256; i++) { /* compact forms and other bytes */
		one[0] = (char)i;
		CHECK(name_same(theirs, mc, one));
	}
	for (i = 0; i < (int)(sizeof(other) / sizeof(other[0])); i++)
		CHECK(name_same(theirs, mc, other[i]));
	CHECK(compared > 10000);
	return 0;
}

/* Two message classes, the same names: each its own answer (the
 * extended class knows P-Asserted-Identity, the default one does not). */
static int classes_apart(void)
{
	find_fn *theirs = sofia_find();
	msg_mclass_t const *plain = sip_default_mclass();
	msg_mclass_t *ext = sip_extend_mclass(NULL);
	const char *names[] = { "P-Asserted-Identity: <sip:a@b>", "Privacy: id",
				"Via: x", "Reason: y" };
	int i, k;

	CHECK(theirs && ext);
	CHECK(msg_find_hclass(plain, names[0], NULL) !=
	      msg_find_hclass(ext, names[0], NULL));
	for (k = 0; k < 3; k++)
		for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
			CHECK(same(theirs, plain, names[i]));
			CHECK(same(theirs, ext, names[i]));
		}
	return 0;
}

static int random_same(void)
{
	find_fn *theirs = sofia_find();
	msg_mclass_t const *mc = sip_default_mclass();
	static const char chars[] = "viaVIAtofmcl-_:.!% \t\r\nxX0";
	char buf[24];
	unsigned seed = 20261124, k;
	size_t i, n;

	CHECK(theirs != NULL);
	for (k = 0; k < 200000; k++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % (sizeof(buf) - 1);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = chars[(seed >> 16) % (sizeof(chars) - 1)];
		}
		buf[n] = '\0';
		CHECK(same(theirs, mc, buf));
	}
	return 0;
}

static int sofia_reaches_it(void)
{
	static const char text[] =
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"VIA : SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
		"f\t: <sip:alice@example.com>;tag=1\r\n"
		"To: <sip:bob@example.com>\r\n"
		"call-id: abc\r\nCSeq: 1 INVITE\r\nX-Bench: 7\r\n"
		"Content-Length: 0\r\n\r\n";
	msg_t *msg;
	sip_t *sip;

	CHECK(trunk_sofia_hclass_check());
	msg = msg_make(sip_default_mclass(), 0, text, sizeof(text) - 1);
	CHECK(msg);
	sip = sip_object(msg);
	CHECK(sip && sip->sip_via && sip->sip_from && sip->sip_call_id);
	CHECK(!strcmp(sip->sip_call_id->i_id, "abc"));
	CHECK(sip->sip_unknown &&
	      !strcmp(sip->sip_unknown->un_name, "X-Bench"));
	msg_destroy(msg);
	return 0;
}

static const struct unit_case cases[] = {
	{ "class_names_same", class_names_same },
	{ "classes_apart", classes_apart },
	{ "random_same", random_same },
	{ "sofia_reaches_it", sofia_reaches_it },
};

UNIT_MAIN(cases)
