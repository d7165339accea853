/*
 * trunk/badline.c: the answer to a request whose request line Sofia
 * cannot read (RFC 3261 8.2.1, 8.2.6, 21.5.2, 21.5.6; RFC 4475 3.1.1.2,
 * 3.1.2.8).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit_test.h"
#include "trunk/gateway.h"

#define HEAD                                                                   \
	"Via: SIP/2.0/UDP 192.0.2.7:5070;rport;branch=z9hG4bK-1\r\n"           \
	"v: SIP/2.0/TCP [2001:db8::9]:5999;branch=z9hG4bK-0\r\n"               \
	"From: \"A\" <sip:a@192.0.2.7>;tag=f1\r\n"                             \
	"To: <sip:b@192.0.2.1>\r\n"                                            \
	"Call-ID: c1@192.0.2.7\r\n"                                            \
	"CSeq: 7 "

static const struct trunk_badline_from src = { "198.51.100.4", 40001, "t123" };

static size_t answer(const char *raw, char *out, size_t size,
		     struct trunk_badline_dest *d)
{
	return trunk_badline_answer(NULL, 0, raw, strlen(raw), &src, out, size,
				    d);
}

/* REQ: SC-6-1 */
static int status_by_line(void)
{
	const char *l;

	l = "INVITE sip:b@192.0.2.1; lr SIP/2.0"; /* 4475 3.1.2.8 */
	CHECK(trunk_badline_status(l, strlen(l)) == 400);
	l = "!interesting-Method0123456789_*+`.%indeed'~ sip:b@x SIP/2.0";
	CHECK(trunk_badline_status(l, strlen(l)) == 501);
	l = "NEW+METHOD sip:b@x SIP/7.0";
	CHECK(trunk_badline_status(l, strlen(l)) == 505);
	l = "NEW+METHOD sip:b@x SIP/7";
	CHECK(trunk_badline_status(l, strlen(l)) == 400);
	l = "INVITE sip:[bad SIP/2.0"; /* a known method: the URI failed */
	CHECK(trunk_badline_status(l, strlen(l)) == 400);
	l = "ACK sip:b@x; lr SIP/2.0";
	CHECK(trunk_badline_status(l, strlen(l)) == 0);
	l = "ACK";
	CHECK(trunk_badline_status(l, strlen(l)) == 0);
	l = "ACKNOWLEDGE sip:b@x SIP/2.0"; /* not ACK */
	CHECK(trunk_badline_status(l, strlen(l)) == 501);
	l = "IN<VITE sip:b@x SIP/2.0"; /* not a token */
	CHECK(trunk_badline_status(l, strlen(l)) == 400);
	l = "INVITE  sip:b@x SIP/2.0";
	CHECK(trunk_badline_status(l, strlen(l)) == 400);
	CHECK(trunk_badline_status("", 0) == 400);
	return 0;
}

/* REQ: SC-6-1 */
static int answer_copies_head(void)
{
	char out[1024];
	struct trunk_badline_dest d;
	size_t n = answer("\r\nINVITE sip:b@192.0.2.1; lr SIP/2.0\r\n" HEAD
			  "INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0"
			  "\r\n\r\n",
			  out, sizeof out, &d);

	CHECK(n > 0 && n == strlen(out));
	CHECK(d.status == 400 && d.port == 40001);
	CHECK(!strcmp(out,
		      "SIP/2.0 400 Bad Request Line\r\n"
		      "Via: SIP/2.0/UDP 192.0.2.7:5070;rport=40001;branch="
		      "z9hG4bK-1;received=198.51.100.4\r\n"
		      "Via: SIP/2.0/TCP [2001:db8::9]:5999;branch=z9hG4bK-0\r\n"
		      "From: \"A\" <sip:a@192.0.2.7>;tag=f1\r\n"
		      "To: <sip:b@192.0.2.1>;tag=t123\r\n"
		      "Call-ID: c1@192.0.2.7\r\n"
		      "CSeq: 7 INVITE\r\n"
		      "Content-Length: 0\r\n\r\n"));
	return 0;
}

/* REQ: SC-6-1 */
static int answer_routing(void)
{
	char out[1024];
	struct trunk_badline_dest d;

	/* No rport: the sent-by port; none: 5060. A To tag is kept. */
	CHECK(answer("X+Y sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h:5071;"
		     "branch=z9hG4bK-2, SIP/2.0/UDP h2\r\nf: "
		     "<sip:a@h>;tag=1\r\n"
		     "t: <sip:b@x>;tag=9\r\ni: c2\r\nCSeq: 1 X+Y\r\n\r\n",
		     out, sizeof out, &d) > 0);
	CHECK(d.status == 501 && d.port == 5071);
	CHECK(strstr(out, "Via: SIP/2.0/UDP h:5071;branch=z9hG4bK-2;received="
			  "198.51.100.4, SIP/2.0/UDP h2\r\n"));
	CHECK(strstr(out, "\r\nTo: <sip:b@x>;tag=9\r\n"));
	CHECK(strstr(out, "\r\nCSeq: 1 X+Y\r\n"));
	CHECK(answer("X+Y sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]"
		     "\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@x>\r\ni: c2\r\n"
		     "CSeq: 1 X+Y\r\n\r\n",
		     out, sizeof out, &d) > 0);
	CHECK(d.port == 5060);
	/* Folded header lines belong to their header. */
	CHECK(answer("X+Y sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
		     "  ;branch=z9hG4bK-3\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@x>"
		     "\r\ni: c2\r\nCSeq: 1 X+Y\r\n\r\n",
		     out, sizeof out, &d) > 0);
	CHECK(strstr(out,
		     "Via: SIP/2.0/UDP h\r\n  ;branch=z9hG4bK-3;received="));
	return 0;
}

/* raw (len bytes, no NUL, len < a page) at the very end of a page
 * followed by an inaccessible one: a read past its end faults (with or
 * without ASan, which does not see inside libc's strtoul()). */
static size_t answer_exact(const char *raw, size_t len, char *out, size_t size,
			   struct trunk_badline_dest *d)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n;
	char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || len > page ||
	    mprotect(m + page, page, PROT_NONE)) {
		fprintf(stderr, "no guard page\n");
		abort();
	}
	memcpy(m + page - len, raw, len);
	n = trunk_badline_answer(NULL, 0, m + page - len, len, &src, out, size,
				 d);
	munmap(m, 2 * page);
	return n;
}

#define VIA_LAST                                                               \
	"X+Y sip:b@x SIP/2.0\r\nf: <sip:a@h>;tag=1\r\nt: <sip:b@x>\r\n"        \
	"i: c2\r\nCSeq: 1 X+Y\r\nVia: SIP/2.0/UDP "

/* The port the answer to a request whose top Via has sent_by and params
 * goes to, or -1: no answer. */
static int via_port(const char *sent_by, const char *params)
{
	char raw[256], out[1024];
	struct trunk_badline_dest d;

	snprintf(raw, sizeof raw, VIA_LAST "%s%s\r\n\r\n", sent_by, params);
	return answer(raw, out, sizeof out, &d) > 0 ? (int)d.port : -1;
}

/* The top Via's sent-by port is read within the header's bytes, 1 to 5
 * digits, 1 to 65535; a port that is none gets no answer (5060 would aim
 * it at a port the request never named). REQ: SC-6-1 */
static int via_port_bounded(void)
{
	static const char run_to_end[] = VIA_LAST "h:5071";
	static const char long_run[] = VIA_LAST "h:5071000000000000000";
	static const struct {
		const char *sent_by;
		int port;
	} t[] = {
		{ "h:65535", 65535 },
		{ "h:00001", 1 },
		{ "h:65536", -1 },
		{ "h:99999999999", -1 },
		{ "h:000005071", -1 }, /* 6 digits or more */
		{ "h:0", -1 },
		{ "h:", -1 },
		{ "h7.example", 5060 }, /* hosts ending in digits */
		{ "192.0.2.7", 5060 },
		{ "[2001:db8::1]", 5060 },
		{ "[2001:db8::1]:65535", 65535 },
		{ "[2001:db8::1]:65536", -1 },
	};
	char out[1024];
	struct trunk_badline_dest d;
	size_t i;

	/* Digits running to the end of the bytes, no NUL after them. */
	CHECK(answer_exact(run_to_end, sizeof run_to_end - 1, out, sizeof out,
			   &d) > 0);
	CHECK(d.port == 5071 &&
	      strstr(out, "Via: SIP/2.0/UDP h:5071;received="));
	CHECK(answer_exact(long_run, sizeof long_run - 1, out, sizeof out,
			   &d) == 0);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (via_port(t[i].sent_by, ";branch=z9hG4bK-4") != t[i].port) {
			fprintf(stderr, "sent-by %s: port %d, expected %d\n",
				t[i].sent_by,
				via_port(t[i].sent_by, ";branch=z9hG4bK-4"),
				t[i].port);
			return 1;
		}
	}
	/* With rport too: the Via is broken. */
	CHECK(via_port("h:65536", ";rport;branch=z9hG4bK-4") == -1);
	CHECK(via_port("h:5071", ";rport;branch=z9hG4bK-4") == 40001);
	return 0;
}

/* REQ: SC-6-1 */
static int no_answer(void)
{
	char out[1024];
	struct trunk_badline_dest d;

	/* A status line, an ACK, a missing or doubled header, no room. */
	CHECK(answer("SIP/2.0 4294967301 Huh\r\n" HEAD "INVITE\r\n\r\n", out,
		     sizeof out, &d) == 0);
	CHECK(answer("ACK sip:b@x; lr SIP/2.0\r\n" HEAD "ACK\r\n\r\n", out,
		     sizeof out, &d) == 0);
	CHECK(answer("INVITE sip:b@x; lr SIP/2.0\r\nFrom: <sip:a@h>;tag=1\r\n"
		     "To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		     out, sizeof out, &d) == 0);
	CHECK(answer("INVITE sip:b@x; lr SIP/2.0\r\n" HEAD
		     "INVITE\r\nCall-ID: again\r\n\r\n",
		     out, sizeof out, &d) == 0);
	CHECK(answer("INVITE sip:b@x; lr SIP/2.0\r\nVia: SIP/3.0/UDP h\r\n"
		     "From: <sip:a@h>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\n"
		     "CSeq: 1 INVITE\r\n\r\n",
		     out, sizeof out, &d) == 0);
	CHECK(answer("INVITE sip:b@x; lr SIP/2.0\r\n" HEAD "INVITE\r\n\r\n",
		     out, 64, &d) == 0);
	CHECK(answer("INVITE sip:b@x; lr SIP/2.0\r\nno colon here\r\n\r\n", out,
		     sizeof out, &d) == 0);
	return 0;
}

/* The request line as received, raw's own mangled by Sofia's parse
 * (NULs written over its separators and its CR). REQ: SC-6-1 */
static int line_given(void)
{
	static const char raw[] =
		"ACK\0sip:b@x;\0lr SIP/2.0\0\n" HEAD "ACK\r\n\r\n";
	const char *line = "ACK sip:b@x; lr SIP/2.0";
	char out[1024];
	struct trunk_badline_dest d;

	CHECK(trunk_badline_answer(line, strlen(line), raw, sizeof raw - 1,
				   &src, out, sizeof out, &d) == 0);
	line = "INVITE sip:b@x; lr SIP/2.0";
	CHECK(trunk_badline_answer(line, strlen(line), raw, sizeof raw - 1,
				   &src, out, sizeof out, &d) > 0);
	CHECK(d.status == 400 && strstr(out, "\r\nCSeq: 7 ACK\r\n"));
	return 0;
}

/* The test binary is linked like trunkd: libsofia-sip-ua's calls of
 * tport_deliver(), tport_recv_iovec() and msg_extract() reach
 * sofia_stream.c (the check trunkd logs a warning on). */
static int hooks_interposed(void)
{
	CHECK(trunk_sofia_stream_check());
	return 0;
}

static const struct unit_case cases[] = {
	{ "hooks_interposed", hooks_interposed },
	{ "line_given", line_given },
	{ "status_by_line", status_by_line },
	{ "answer_copies_head", answer_copies_head },
	{ "answer_routing", answer_routing },
	{ "no_answer", no_answer },
	{ "via_port_bounded", via_port_bounded },
};

UNIT_MAIN(cases)
