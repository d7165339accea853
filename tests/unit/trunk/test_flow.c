/*
 * trunk/flow.c and trunk/stun.c: keep-alive intervals, the RFC 5626 4.5
 * back-off, server values (Flow-Timer, keep) and STUN Binding answers.
 * Pure functions, a fixed random source (STYLE.md 12).
 * REQ: OB-3, OB-4, OB-5, OB-6, KEEP-2
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit_test.h"
#include "trunk/flow.h"
#include "trunk/stun.h"

/* OB-4: 80-100 % of the server's value, its ends reachable; RFC 5626
 * 4.4.1 defaults without one (UDP 24-29 s, TCP/TLS 95-120 s). */
/* REQ: OB-4, KEEP-2 */
static int keepalive_interval(void)
{
	uint32_t r;

	CHECK(trunk_flow_keepalive_ms(30, true, 0, 0) == 24000);
	CHECK(trunk_flow_keepalive_ms(30, true, 0, 6000) == 30000);
	CHECK(trunk_flow_keepalive_ms(30, false, 0, 6001) == 24000);
	for (r = 0; r < 200000; r += 997) {
		unsigned v =
			trunk_flow_keepalive_ms(3, true, 0, r * 2654435761u);

		CHECK(v >= 2400 && v <= 3000);
		v = trunk_flow_keepalive_ms(0, false, 0, r * 2654435761u);
		CHECK(v >= 24000 && v <= 29000);
		v = trunk_flow_keepalive_ms(0, true, 0, r * 2654435761u);
		CHECK(v >= 95000 && v <= 120000);
		v = trunk_flow_keepalive_ms(0, true, 10000, r * 2654435761u);
		CHECK(v >= 8000 && v <= 10000);
	}
	/* The largest accepted server value does not overflow. */
	CHECK(trunk_flow_keepalive_ms(3600, true, 0, 0) == 2880000);
	return 0;
}

/* OB-5: min(max, base x 2^failures) at 50-100 %, defaults 30/90/1800. */
/* REQ: OB-5 */
static int backoff_rfc5626(void)
{
	const struct trunk_flow_backoff b = { 30, 90, 1800 };
	const struct trunk_flow_backoff fast = { 2, 6, 8 };
	unsigned n, r;

	/* The upper and lower ends: rnd 0 gives 50 %. */
	CHECK(trunk_flow_backoff_s(&b, 1, true, 0) == 30);
	CHECK(trunk_flow_backoff_s(&b, 1, true, 30) == 60);
	CHECK(trunk_flow_backoff_s(&b, 3, true, 120) == 240);
	CHECK(trunk_flow_backoff_s(&b, 1, false, 90) == 180);
	CHECK(trunk_flow_backoff_s(&b, 10, true, 900) == 1800);
	CHECK(trunk_flow_backoff_s(&b, 10, true, 0) == 900);
	CHECK(trunk_flow_backoff_s(&b, 40, true, 900) == 1800);
	for (n = 1; n < 40; n++)
		for (r = 0; r < 5000; r += 7) {
			unsigned s = trunk_flow_backoff_s(&fast, n, true, r);
			unsigned long long cap = 2ull << (n > 10 ? 10 : n);

			if (cap > 8)
				cap = 8;
			CHECK(s >= cap / 2 && s <= cap);
		}
	return 0;
}

/* The random source is fixed by its seed. */
static int random_seeded(void)
{
	uint32_t a[4], i;

	trunk_random_seed(42);
	for (i = 0; i < 4; i++)
		a[i] = trunk_random();
	trunk_random_seed(42);
	for (i = 0; i < 4; i++)
		CHECK(trunk_random() == a[i]);
	CHECK(a[0] != a[1]);
	return 0;
}

/* Flow-Timer and keep values: junk, 0 and absurd ones are refused with a
 * reason (the caller logs it once and uses the default). */
/* REQ: KEEP-2 */
static int server_values(void)
{
	const char *bad;

	CHECK(trunk_flow_server_value("25", &bad) == 25 && !bad);
	CHECK(trunk_flow_server_value(" 120 ", &bad) == 120 && !bad);
	CHECK(trunk_flow_server_value(NULL, &bad) == 0 && !bad);
	CHECK(trunk_flow_server_value("0", &bad) == 0 && bad);
	CHECK(trunk_flow_server_value("100000", &bad) == 0 && bad);
	CHECK(trunk_flow_server_value("99999999999999999999", &bad) == 0 &&
	      bad);
	CHECK(trunk_flow_server_value("abc", &bad) == 0 && bad);
	CHECK(trunk_flow_server_value("12x", &bad) == 0 && bad);
	CHECK(trunk_flow_server_value("", &bad) == 0 && bad);
	CHECK(trunk_flow_server_value("-5", &bad) == 0 && bad);
	return 0;
}

/* OB-6: a Binding success echoing the transaction, the sender's address
 * XOR-ed with the cookie (RFC 5389 15.2); RFC 3489: MAPPED-ADDRESS. */
/* REQ: OB-6 */
static int stun_answer(void)
{
	uint8_t req[20], out[64];
	const uint8_t txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(5070) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(5070) };
	size_t n;

	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	trunk_stun_binding_request(req, txid);
	CHECK(req[0] == 0 && req[1] == 1 && req[4] == 0x21 && req[7] == 0x42);
	n = trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
				      sizeof(out));
	CHECK(n == 32);
	CHECK(out[0] == 0x01 && out[1] == 0x01 && out[3] == 12);
	CHECK(!memcmp(out + 4, req + 4, 16));
	CHECK(out[20] == 0x00 && out[21] == 0x20 && out[23] == 8);
	CHECK(out[25] == 0x01);
	CHECK(((out[26] << 8 | out[27]) ^ 0x2112) == 5070);
	CHECK((out[28] ^ 0x21) == 192 && (out[29] ^ 0x12) == 0 &&
	      (out[30] ^ 0xa4) == 2 && (out[31] ^ 0x42) == 7);
	/* IPv6: the address is XOR-ed with cookie and transaction id. */
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	n = trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin6, out,
				      sizeof(out));
	CHECK(n == 44 && out[25] == 0x02);
	CHECK((out[28] ^ 0x21) == 0x20 && (out[43] ^ 12) == 0x01);
	/* RFC 3489: no cookie, plain MAPPED-ADDRESS. */
	req[4] = 0x55;
	n = trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
				      sizeof(out));
	CHECK(n == 32 && out[21] == 0x01 && out[28] == 192 && out[31] == 7);
	/* Not a Binding request, truncated, bad length: no answer. */
	req[1] = 0x03;
	CHECK(!trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
					 sizeof(out)));
	req[1] = 0x01;
	CHECK(!trunk_stun_binding_answer(req, 19, (struct sockaddr *)&sin, out,
					 sizeof(out)));
	req[3] = 8;
	CHECK(!trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
					 sizeof(out)));
	req[3] = 0;
	CHECK(!trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
					 20));
	return 0;
}

/* OB-3: the mapped address of a Binding success response: XOR-MAPPED-
 * ADDRESS wherever it is (after other attributes), else MAPPED-ADDRESS;
 * anything malformed is refused. */
/* REQ: OB-3 */
static int stun_mapped(void)
{
	uint8_t req[20], out[64], msg[96] = { 0 }, txid_out[12];
	const uint8_t txid[12] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0xff, 0x80 };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(40000) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(5080) };
	struct sockaddr_storage m;
	const struct sockaddr_in *m4 = (const void *)&m;
	const struct sockaddr_in6 *m6 = (const void *)&m;
	size_t n;

	inet_pton(AF_INET, "198.51.100.20", &sin.sin_addr);
	trunk_stun_binding_request(req, txid);
	n = trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
				      sizeof(out));
	CHECK(trunk_stun_binding_mapped(out, n, txid_out, &m) == 0);
	CHECK(!memcmp(txid_out, txid, 12) && m.ss_family == AF_INET);
	CHECK(m4->sin_port == sin.sin_port &&
	      m4->sin_addr.s_addr == sin.sin_addr.s_addr);
	/* IPv6 */
	inet_pton(AF_INET6, "2001:db8::5", &sin6.sin6_addr);
	n = trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin6, out,
				      sizeof(out));
	CHECK(trunk_stun_binding_mapped(out, n, txid_out, &m) == 0);
	CHECK(m.ss_family == AF_INET6 && m6->sin6_port == htons(5080) &&
	      !memcmp(&m6->sin6_addr, &sin6.sin6_addr, 16));
	/* A SOFTWARE attribute (5 bytes, padded) and MAPPED-ADDRESS naming
	 * another port before XOR-MAPPED-ADDRESS: the XOR one wins. */
	n = trunk_stun_binding_answer(req, 20, (struct sockaddr *)&sin, out,
				      sizeof(out));
	memcpy(msg, out, 20);
	memcpy(msg + 20, "\x80\x22\x00\x05kama\x00\x00\x00\x00", 12);
	memcpy(msg + 32, "\x00\x01\x00\x08\x00\x01\x11\x11\x01\x02\x03\x04",
	       12);
	memcpy(msg + 44, out + 20, 12);
	msg[2] = 0;
	msg[3] = 36;
	CHECK(trunk_stun_binding_mapped(msg, 56, txid_out, &m) == 0);
	CHECK(m4->sin_port == htons(40000));
	/* MAPPED-ADDRESS only (an RFC 3489 server). */
	msg[3] = 24;
	CHECK(trunk_stun_binding_mapped(msg, 44, txid_out, &m) == 0);
	CHECK(m4->sin_port == htons(0x1111) &&
	      m4->sin_addr.s_addr == htonl(0x01020304));
	/* Malformed: truncated, attribute past the end, a request, an error
	 * response, no cookie, no address attribute, bad family. */
	CHECK(trunk_stun_binding_mapped(out, 19, txid_out, &m) < 0);
	CHECK(trunk_stun_binding_mapped(out, n - 4, txid_out, &m) < 0);
	out[23] = 40;
	CHECK(trunk_stun_binding_mapped(out, n, txid_out, &m) < 0);
	out[23] = 8;
	CHECK(trunk_stun_binding_mapped(req, 20, txid_out, &m) < 0);
	out[1] = 0x11;
	CHECK(trunk_stun_binding_mapped(out, n, txid_out, &m) < 0);
	out[1] = 0x01;
	out[5] = 0;
	CHECK(trunk_stun_binding_mapped(out, n, txid_out, &m) < 0);
	out[5] = 0x12;
	msg[3] = 12;
	CHECK(trunk_stun_binding_mapped(msg, 32, txid_out, &m) < 0);
	out[25] = 0x03;
	CHECK(trunk_stun_binding_mapped(out, n, txid_out, &m) < 0);
	return 0;
}

static const struct unit_case cases[] = {
	{ "keepalive_interval", keepalive_interval },
	{ "backoff_rfc5626", backoff_rfc5626 },
	{ "random_seeded", random_seeded },
	{ "server_values", server_values },
	{ "stun_answer", stun_answer },
	{ "stun_mapped", stun_mapped },
};

UNIT_MAIN(cases)
