/*
 * A TCP or TLS connection whose framing is lost is closed at once; a
 * request line Sofia cannot read is answered.
 *
 * Sofia-SIP's stream transport (tport_parse(), 1.12.11; 1.13 has the same
 * code) reacts to a message it cannot parse (a request line it cannot
 * read, a header line without a colon, ...), to one larger than nta's
 * maximum size (413), and to a half message that timed out (TPTAG_TIMEOUT) by
 * marking the connection "receive closed" and no longer reading it
 * (tport_stall()), but leaves it open: every later message on it is
 * ignored until nta's idle timeout (30 minutes). A PBX that sent one
 * malformed message over its persistent connection would silently lose
 * all its calls; a peer that gets a FIN or RST reconnects at once.
 *
 * Every message a transport receives goes to nta through tport_deliver(),
 * which tport_parse() and tport_recv_timeout_timer() call through
 * libsofia-sip-ua's PLT. The trunkd executable exports this definition
 * (trunk/meson.build: --export-dynamic-symbol), so those calls land here,
 * like su_duration() (sofia_time.c): it looks at the message's flags
 * before passing it on to Sofia's own function, unchanged, and when the
 * connection is a stream and the message carries MSG_FLG_ERROR,
 * MSG_FLG_TOOLARGE or MSG_FLG_TIMEOUT (the flags that make Sofia stall the
 * connection), it queues the connection (a tport reference); a zero-delay
 * timer closes it from the loop, after nta has sent whatever answer it
 * had (400, 413), with a WARN line naming the peer. Closing later, not
 * inside the transport's own receive, keeps Sofia's loop over the buffer
 * and its TLS read-again loop away from a closed connection.
 *
 * A half message that then stalls: on TCP Sofia gives it up after
 * TPTAG_TIMEOUT (agent.c sets 64*T1) without a byte and delivers it with
 * MSG_FLG_TIMEOUT (nta answers 400 when it can), closed as above. Sofia's
 * TLS transport has no such timer (its vtable has no secondary timer
 * hooks), and its idle timer does not run while a message is half read:
 * a TLS peer that stopped in the middle of a message held the connection
 * and its buffer (up to nta's 2 MB maximum) for ever, and on either
 * transport a peer sending a byte now and then (a slowloris) held it as
 * long as it liked. tport_recv_iovec(), which the TCP and TLS receives
 * call through the PLT for every read, is interposed too: it notes the
 * connection and the message the read goes into; msg_extract() (below),
 * which tport_parse() calls right after each read, then finds what the
 * read left: message content not complete yet takes one of STREAM_HALF
 * slots (the connection, its message in progress, the times of its
 * first and last read); nothing (CRLF keep-alive pings: Sofia's parser
 * consumes them without a trace) holds no slot and frees the
 * connection's, so that connections that only ping (on TLS every ping
 * reaches the parser) cannot use up the slots and leave half messages
 * on other connections untimed. A delivery that leaves nothing behind
 * forgets the slot; a timer closes a connection whose message is not
 * complete 128*T1 after its first byte, or on TLS has waited 64*T1
 * without a byte.
 *
 * A request whose head grows past the maximum message size: Sofia's
 * buffer refuses to grow (tport_recv_iovec() fails with ENOBUFS and
 * MSG_FLG_TOOLARGE) and Sofia closes the connection, the request
 * unanswered (nta's 413 is only for a Content-Length over the maximum).
 * The interposed tport_recv_iovec() sees the failure first: when the
 * request line, Via, From, To, Call-ID and CSeq were parsed, it hands the
 * half-read request to nta (tport_deliver(), flagged too large), which
 * answers 413 before anything else; Sofia then closes as before.
 *
 * A request whose first line Sofia cannot read reaches nta as garbage and
 * was dropped, over UDP too. The same tport_deliver() hook answers it
 * itself (badline.c builds the 400/501/505 from the raw bytes) through
 * the receiving transport before nta drops it. Sofia's request-line
 * parser overwrites the line's separators with NULs in place, so
 * msg_extract() (called by tport_parse() through the PLT) is interposed
 * as well, to copy the first line of a message before its parse.
 * trunk_sofia_stream_check() tells whether the calls land here.
 */
#define SU_TIMER_ARG_T void
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/su_uniqueid.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.tport"

/* Connections waiting to be closed: more in one loop turn are left as
 * Sofia leaves them (deaf until its idle timeout; they harm only their
 * own peer). */
#define STREAM_QUEUE 64
/* Connections with message content half read (more are not timed). */
#define STREAM_HALF 256

struct stream_half {
	tport_t *tp;	 /* a reference */
	msg_t *msg;	 /* a reference: the message being read */
	su_time_t start; /* its first read with content */
	su_time_t last;	 /* the last read */
	bool tls;
};

static struct {
	su_timer_t *timer; /* NULL: not started, closes nothing */
	su_timer_t *half_timer;
	su_duration_t half_ms; /* 64*T1 */
	struct {
		tport_t *tp; /* a reference */
		const char *why;
	} q[STREAM_QUEUE];
	unsigned n;
	struct stream_half half[STREAM_HALF];
	unsigned n_half;
	/* The last read on a TCP or TLS connection, for msg_extract(): its
	 * connection (borrowed: used only while Sofia parses msg, the
	 * connection's message) and its message (a reference, so that its
	 * address names no other message until the next read). */
	struct {
		tport_t *tp;
		msg_t *msg;
	} rd;
} ss;

typedef void(deliver_f)(tport_t *, msg_t *, msg_t *, tport_compressor_t *,
			su_time_t);
typedef ssize_t(recv_iovec_f)(tport_t const *, msg_t **,
			      msg_iovec_t[msg_n_fragments], size_t, int);

/* Not in Sofia's public headers (tport_internal.h); the same prototypes. */
void tport_deliver(tport_t *self, msg_t *msg, msg_t *next,
		   tport_compressor_t *sc, su_time_t now);
ssize_t tport_recv_iovec(tport_t const *self, msg_t **in_out_msg,
			 msg_iovec_t iovec[msg_n_fragments], size_t n,
			 int exact);

static void stream_close_queued(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	unsigned i, n = ss.n;

	(void)m, (void)t, (void)arg;
	ss.n = 0;
	for (i = 0; i < n; i++) {
		tport_t *tp = ss.q[i].tp;
		const tp_name_t *tpn = tport_name(tp);

		if (!tport_is_closed(tp)) {
			LOGW(SUBSYS, NULL,
			     "closed the %s connection from %s:%s: %s",
			     tpn && tpn->tpn_proto ? tpn->tpn_proto : "?",
			     tpn && tpn->tpn_host ? tpn->tpn_host : "?",
			     tpn && tpn->tpn_port ? tpn->tpn_port : "?",
			     ss.q[i].why);
			tport_shutdown(tp, 2);
		}
		tport_unref(tp);
	}
}

static void stream_queue(tport_t *tp, const char *why)
{
	unsigned i;

	if (!ss.timer)
		return;
	for (i = 0; i < ss.n; i++)
		if (ss.q[i].tp == tp)
			return;
	if (ss.n == STREAM_QUEUE)
		return;
	ss.q[ss.n].tp = tport_ref(tp);
	ss.q[ss.n].why = why;
	ss.n++;
	su_timer_set_interval(ss.timer, stream_close_queued, NULL, 0);
}

static const char *stream_why(unsigned flags)
{
	if (flags & MSG_FLG_TOOLARGE)
		return "message larger than the maximum";
	if (flags & MSG_FLG_TIMEOUT)
		return "half a message, then nothing (timeout)";
	return "a message it cannot parse (framing lost)";
}

/* ---- half messages on TCP and TLS ---- */

static struct stream_half *half_find(tport_t const *tp)
{
	unsigned i;

	for (i = 0; i < ss.n_half; i++)
		if (ss.half[i].tp == tp)
			return &ss.half[i];
	return NULL;
}

static void half_forget(struct stream_half *h)
{
	tport_unref(h->tp);
	msg_destroy(h->msg);
	*h = ss.half[--ss.n_half];
}

/* Anything but CRLF keep-alive read into the message (Sofia's parser
 * consumes leading white space without a trace). */
static bool half_has_content(msg_t *msg)
{
	return msg_buf_committed(msg) > 0 ||
	       msg_get_flags(msg, MSG_FLG_HEADERS) != 0;
}

/* When h's message is given up: 2*half_ms after its first byte (a
 * trickle), on TLS also half_ms after its last (TCP: Sofia's own). */
static su_time_t half_deadline(const struct stream_half *h)
{
	su_time_t total = su_time_add(h->start, 2 * ss.half_ms);
	su_time_t idle = su_time_add(h->last, ss.half_ms);

	return h->tls && su_time_cmp(idle, total) < 0 ? idle : total;
}

static void half_arm(void);

static void half_expire(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	su_time_t now = su_now();
	unsigned i = 0;

	(void)m, (void)t, (void)arg;
	while (i < ss.n_half) {
		struct stream_half *h = &ss.half[i];

		if (tport_is_closed(h->tp)) {
			half_forget(h);
			continue;
		}
		if (su_time_cmp(now, half_deadline(h)) < 0) {
			i++;
			continue;
		}
		if (half_has_content(h->msg))
			stream_queue(h->tp,
				     su_duration(now, h->last) >= ss.half_ms
					     ? stream_why(MSG_FLG_TIMEOUT)
					     : "a message still incomplete "
					       "after 128*T1 (too slow)");
		half_forget(h);
	}
	half_arm();
}

/* The timer at the earliest deadline. */
static void half_arm(void)
{
	su_time_t first, d;
	unsigned i;

	if (!ss.half_timer || !ss.n_half)
		return;
	first = half_deadline(&ss.half[0]);
	for (i = 1; i < ss.n_half; i++) {
		d = half_deadline(&ss.half[i]);
		if (su_time_cmp(d, first) < 0)
			first = d;
	}
	su_timer_set_at(ss.half_timer, half_expire, NULL, first);
}

/* What the last read of tp left in msg, the message in progress: content
 * not complete yet (times it). */
static void half_note(tport_t *tp, msg_t *msg)
{
	struct stream_half *h = half_find(tp);
	su_time_t now = su_now();

	if (!h) {
		const tp_name_t *tpn = tport_name(tp);

		if (ss.n_half == STREAM_HALF)
			return;
		h = &ss.half[ss.n_half++];
		h->tp = tport_ref(tp);
		h->msg = msg_ref_create(msg);
		h->tls = tpn && su_casematch(tpn->tpn_proto, "tls");
		h->start = now;
		if (!su_timer_is_set(ss.half_timer))
			su_timer_set_interval(ss.half_timer, half_expire, NULL,
					      ss.half_ms);
	} else if (h->msg != msg) {
		msg_destroy(h->msg);
		h->msg = msg_ref_create(msg);
		h->start = now;
	}
	h->last = now;
}

static void read_forget(void)
{
	msg_destroy(ss.rd.msg);
	ss.rd.msg = NULL;
	ss.rd.tp = NULL;
}

/* A read on a TCP or TLS connection into msg (its bytes not in yet). */
static void read_note(tport_t *tp, msg_t *msg)
{
	if (ss.rd.msg != msg) {
		msg_destroy(ss.rd.msg);
		ss.rd.msg = msg_ref_create(msg);
	}
	ss.rd.tp = tp;
}

/* Sofia parsed msg (msg_extract() returned rc): when it is the message
 * of the last read on a connection, content not complete yet is timed,
 * and a message with no content (keep-alive only) holds no slot. */
static void read_parsed(msg_t *msg, int rc)
{
	struct stream_half *h;

	if (!msg || msg != ss.rd.msg)
		return;
	if (!half_has_content(msg)) {
		h = half_find(ss.rd.tp);
		if (h)
			half_forget(h);
	} else if (rc == 0) {
		half_note(ss.rd.tp, msg);
	}
}

/* A message delivered: next is what follows it in the buffer (NULL:
 * nothing), the new message in progress. */
static void half_delivered(tport_t *tp, msg_t *next)
{
	struct stream_half *h = half_find(tp);

	/* tport_parse() has msg_extract() parse next at once. */
	if (next && tport_is_stream(tp) && tport_is_secondary(tp))
		read_note(tp, next);
	else if (tp == ss.rd.tp)
		read_forget();
	if (!h)
		return;
	if (!next) {
		half_forget(h);
		return;
	}
	if (h->msg != next) {
		msg_destroy(h->msg);
		h->msg = msg_ref_create(next);
		h->start = su_now();
	}
}

/* A head larger than the maximum message size (nta's NTATAG_MAXSIZE):
 * Sofia's buffer refuses to grow (MSG_FLG_TOOLARGE, ENOBUFS) and it
 * closes the connection with the half-read message, unanswered (its
 * 413 is only for a Content-Length over the maximum, whose head is
 * whole). When the request line and the headers an answer needs
 * (Via, From, To, Call-ID, CSeq) were parsed before the head grew too
 * large, the message goes to nta as it is: nta answers 413 to a request
 * flagged too large before looking at anything else. Then Sofia closes
 * the connection (its error path, errno kept). */
static void too_large(tport_t *tp, msg_t **in_out_msg)
{
	msg_t *msg = *in_out_msg;
	sip_t const *sip = sip_object(msg);
	int err = errno;

	if (!msg_get_flags(msg, MSG_FLG_TOOLARGE) || !sip ||
	    !sip->sip_request || !sip->sip_via || !sip->sip_from ||
	    !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq ||
	    sip->sip_request->rq_method == sip_method_ack)
		return;
	*in_out_msg = NULL; /* nta takes it (tport's tp_msg: Sofia's own) */
	msg_mark_as_complete(msg, MSG_FLG_TRUNC);
	tport_deliver(tp, msg, NULL, NULL, su_now());
	errno = err;
}

ssize_t tport_recv_iovec(tport_t const *self, msg_t **in_out_msg,
			 msg_iovec_t iovec[msg_n_fragments], size_t n,
			 int exact)
{
	static recv_iovec_f *sofia;
	ssize_t veclen;

	if (!sofia) {
		sofia = (recv_iovec_f *)dlsym(RTLD_NEXT, "tport_recv_iovec");
		if (!sofia)
			return -1;
	}
	veclen = sofia(self, in_out_msg, iovec, n, exact);
	if (veclen > 0 && ss.half_timer && *in_out_msg &&
	    tport_is_secondary(self) && tport_is_stream(self))
		read_note((tport_t *)self, *in_out_msg);
	if (veclen < 0 && ss.timer && *in_out_msg && tport_is_secondary(self) &&
	    tport_is_stream(self))
		too_large((tport_t *)self, in_out_msg);
	return veclen;
}

/* ---- an answer to a request line Sofia cannot read (badline.c) ---- */

/* The answer's pre-encoded wire image as a message tport can send: one
 * first line holding all of it (msg_prepare() keeps pre-encoded text),
 * copied into the message (tport may queue it). */
static msg_t *badline_msg(const char *text, size_t len)
{
	msg_t *m = msg_create(sip_default_mclass(), 0);
	sip_t *sip = sip_object(m);
	sip_status_t *st;
	sip_separator_t *sep;
	char *copy;

	if (!m)
		return NULL;
	st = sip_status_create(msg_home(m), 400, "x", NULL);
	sep = sip_separator_create(msg_home(m));
	copy = su_alloc(msg_home(m), len);
	if (!st || !sep || !copy) {
		msg_destroy(m);
		return NULL;
	}
	memcpy(copy, text, len);
	st->st_common->h_data = copy, st->st_common->h_len = len;
	sep->sep_common->h_data = "", sep->sep_common->h_len = 0;
	if (msg_header_insert(m, (msg_pub_t *)sip, (msg_header_t *)st) < 0 ||
	    msg_header_insert(m, (msg_pub_t *)sip, (msg_header_t *)sep) < 0 ||
	    msg_serialize(m, (msg_pub_t *)sip) < 0 || msg_prepare(m) < 0) {
		msg_destroy(m);
		return NULL;
	}
	return m;
}

/* The first line of the message Sofia is about to parse: its request
 * line parser writes NULs over the line's separators in place, so after
 * a failure the buffer no longer shows what was received. msg_extract()
 * is called through the PLT by tport_parse() (and msg_make()); one copy,
 * of the last message whose head was not parsed yet. */
static struct {
	msg_t const *msg;
	size_t n;
	char line[1024];
} first;

typedef int(extract_f)(msg_t *);

/* The length of the line at B within N bytes: up to its CR or LF, or N
 * (memchr(), not a loop over its bytes: every message received). */
static size_t first_line_len(const char *b, size_t n)
{
	const char *cr, *lf;

	if (!n)
		return 0;
	cr = memchr(b, '\r', n);
	lf = memchr(b, '\n', cr ? (size_t)(cr - b) : n);

	return lf ? (size_t)(lf - b) : cr ? (size_t)(cr - b) : n;
}

int msg_extract(msg_t *msg)
{
	static extract_f *sofia;
	int rc;

	if (!sofia) {
		sofia = (extract_f *)dlsym(RTLD_NEXT, "msg_extract");
		if (!sofia)
			return -1;
	}
	if (msg && !msg_get_flags(msg, MSG_FLG_HEADERS)) {
		const char *b = msg_buf_committed_data(msg);
		size_t n = b ? msg_buf_committed(msg) : 0, i = 0, k;

		while (i < n && (b[i] == '\r' || b[i] == '\n' || b[i] == ' ' ||
				 b[i] == '\t'))
			i++;
		k = i + first_line_len(b + i, n - i < sizeof first.line
						      ? n - i
						      : sizeof first.line);
		first.msg = msg;
		first.n = k - i;
		memcpy(first.line, b + i, first.n);
	}
	rc = sofia(msg);
	if (ss.half_timer)
		read_parsed(msg, rc);
	return rc;
}

/* msg: a message Sofia could not read from its first line on. */
static void badline_reply(tport_t *tp, msg_t *msg)
{
	char host[SU_ADDRSIZE], tag[20], port[8], *text;
	su_sockaddr_t const *su = msg_addr(msg);
	struct trunk_badline_from from = { host, 0, tag };
	struct trunk_badline_dest dest;
	size_t len, size = msg_buf_committed(msg) + 256;
	tp_name_t tpn;
	msg_t *reply;

	if (!su || !su_inet_ntop(su->su_family, SU_ADDR(su), host, sizeof host))
		return;
	from.port = ntohs(su->su_port);
	snprintf(tag, sizeof tag, "%08x%08x", (unsigned)su_random(),
		 (unsigned)su_random());
	text = malloc(size);
	if (!text)
		return;
	/* Without the copy (msg_extract() not interposed) the mangled line
	 * in the buffer decides. */
	len = trunk_badline_answer(first.msg == msg ? first.line : NULL,
				   first.n, msg_buf_committed_data(msg),
				   msg_buf_committed(msg), &from, text, size,
				   &dest);
	reply = len ? badline_msg(text, len) : NULL;
	if (reply) {
		tpn = *tport_name(tp);
		if (!tport_is_secondary(tp)) {
			snprintf(port, sizeof port, "%u", dest.port);
			tpn.tpn_host = tpn.tpn_canon = host;
			tpn.tpn_port = port;
		}
		LOGD(SUBSYS, NULL,
		     "%u to %s:%u: a request line Sofia cannot read",
		     dest.status, host, dest.port);
		tport_tsend(tp, reply, &tpn, TPTAG_MTU(INT_MAX), TAG_END());
		msg_destroy(reply);
	}
	free(text);
}

static bool is_unreadable(msg_t *msg)
{
	sip_t const *sip = sip_object(msg);

	return msg_get_flags(msg, MSG_FLG_ERROR) && sip && !sip->sip_request &&
	       !sip->sip_status && msg_buf_committed(msg) > 0;
}

void tport_deliver(tport_t *self, msg_t *msg, msg_t *next,
		   tport_compressor_t *sc, su_time_t now)
{
	static deliver_f *sofia;
	unsigned flags = 0;

	if (!sofia) {
		sofia = (deliver_f *)dlsym(RTLD_NEXT, "tport_deliver");
		if (!sofia) {
			msg_destroy(msg);
			return;
		}
	}
	/* Read before nta takes (and may free) the message. */
	if (self && msg && tport_is_stream(self) && tport_is_secondary(self))
		flags = msg_get_flags(msg, MSG_FLG_ERROR | MSG_FLG_TOOLARGE |
						   MSG_FLG_TIMEOUT);
	if ((ss.n_half || ss.rd.tp) && self)
		half_delivered(self, next);
	if (self && msg && ss.timer && is_unreadable(msg))
		badline_reply(self, msg);
	sofia(self, msg, next, sc, now);
	if (flags)
		stream_queue(self, stream_why(flags));
}

int trunk_sofia_stream_start(su_root_t *root, unsigned half_ms)
{
	ss.timer = su_timer_create(su_root_task(root), 0);
	ss.half_timer = su_timer_create(su_root_task(root), 0);
	ss.half_ms = (su_duration_t)half_ms;
	return ss.timer && ss.half_timer ? 0 : ENOMEM;
}

void trunk_sofia_stream_stop(void)
{
	unsigned i;

	for (i = 0; i < ss.n; i++)
		tport_unref(ss.q[i].tp);
	ss.n = 0;
	while (ss.n_half)
		half_forget(&ss.half[0]);
	read_forget();
	if (ss.timer)
		su_timer_destroy(ss.timer);
	if (ss.half_timer)
		su_timer_destroy(ss.half_timer);
	ss.timer = ss.half_timer = NULL;
}

bool trunk_sofia_stream_check(void)
{
	return dlsym(RTLD_DEFAULT, "tport_deliver") == (void *)tport_deliver &&
	       dlsym(RTLD_DEFAULT, "tport_recv_iovec") ==
		       (void *)tport_recv_iovec &&
	       dlsym(RTLD_DEFAULT, "msg_extract") == (void *)msg_extract;
}
