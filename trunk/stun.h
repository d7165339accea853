/*
 * Private to trunk/: STUN (RFC 5389) Binding messages for flow keep-alives
 * (OB-3) and the STUN server answering Binding requests on every SIP UDP
 * port (OB-6). Encoders and the answer builder are pure and unit-tested.
 */
#ifndef TRUNKD_TRUNK_STUN_H
#define TRUNKD_TRUNK_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

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

/*
 * OB-3: the mapped address of a Binding success response (len bytes):
 * XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (RFC 3489 servers), into
 * mapped (an AF_INET or AF_INET6 sockaddr) and its transaction id into
 * txid. 0, or -1 when msg is not a well-formed Binding success response
 * naming an address (ignore it).
 */
int trunk_stun_binding_mapped(const uint8_t *msg, size_t len, uint8_t txid[12],
			      struct sockaddr_storage *mapped);

/*
 * Sofia drops every STUN response that reaches a SIP UDP socket (its UDP
 * transport has no vtp_stun_response). trunkd's executable defines
 * su_vrecv(), which tport_recv_dgram() calls through its PLT: every
 * datagram that looks like a STUN Binding success response is shown to
 * h with its source address (on the signalling thread, inside Sofia's receive: h must not call
 * into tport) before Sofia drops it. NULL: none. Returns false when the
 * interposition is not in effect (the executable does not export
 * su_vrecv): responses are then never seen.
 */
typedef void trunk_stun_response_h(const uint8_t *msg, size_t len,
				   const struct sockaddr *from);
bool trunk_stun_watch_responses(trunk_stun_response_h *h);
/* The socket the calling thread last read a datagram from through
 * su_vrecv() (Sofia's UDP transport), -1 none: while nta handles a
 * request that came over UDP, its socket (admission.c reads the
 * datagram's kernel receive time from it). */
int trunk_stun_last_recv_fd(void);
/* The kernel's receive time of the data of the calling thread's last
 * stream read through su_vrecv() (Sofia's TCP transport; not TLS, which
 * reads through OpenSSL): while nta handles a request that came over TCP,
 * when its last bytes arrived. false: none (the connection's first read,
 * or the last read was a datagram). */
bool trunk_stun_last_stream_stamp(struct timespec *ts);

/* Plug our Binding server into Sofia's UDP transports, once per process,
 * before the first nta agent exists (tport_plug_in_stun_server). 0 or an
 * errno value. Agents must be created with TPTAG_STUN_SERVER(1). */
int trunk_stun_server_install(void);

#endif /* TRUNKD_TRUNK_STUN_H */
