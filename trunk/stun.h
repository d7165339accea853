/*
 * Private to trunk/: STUN (RFC 5389) Binding messages for flow keep-alives
 * (OB-3) and the STUN server answering Binding requests on every SIP UDP
 * port (OB-6). Encoders and the answer builder are pure and unit-tested.
 */
#ifndef TRUNKD_TRUNK_STUN_H
#define TRUNKD_TRUNK_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TRUNK_STUN_HEADER 20
#define TRUNK_STUN_COOKIE 0x2112A442u

/* A Binding request without attributes: 20 bytes into out. */
void trunk_stun_binding_request(uint8_t out[TRUNK_STUN_HEADER],
				const uint8_t txid[12]);

/*
 * The Binding success response to req (len bytes) received from `from`:
 * XOR-MAPPED-ADDRESS (RFC 5389), or MAPPED-ADDRESS for an RFC 3489 request
 * without the magic cookie. Returns its length in out, or 0 when req is
 * not a well-formed Binding request (ignore it) or out is too small.
 */
size_t trunk_stun_binding_answer(const uint8_t *req, size_t len,
				 const struct sockaddr *from, uint8_t *out,
				 size_t outlen);

/* Plug our Binding server into Sofia's UDP transports, once per process,
 * before the first nta agent exists (tport_plug_in_stun_server). 0 or an
 * errno value. Agents must be created with TPTAG_STUN_SERVER(1). */
int trunk_stun_server_install(void);

#endif /* TRUNKD_TRUNK_STUN_H */
