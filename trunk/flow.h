/*
 * Private to trunk/: flows (RFC 5626 3.5, 4.4; flow.c). A flow is the
 * transport a registration was granted over: one TCP/TLS connection, or the
 * UDP 5-tuple between our trunk socket and one SP-SSE address. It keeps
 * itself alive and reports its failure to its owner (the registration).
 * The interval and back-off functions are pure (STYLE.md 12) and
 * unit-tested.
 */
#ifndef TRUNKD_TRUNK_FLOW_H
#define TRUNKD_TRUNK_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum trunk_flow_state {
	TRUNK_FLOW_IDLE = 0, /* no transport bound yet */
	TRUNK_FLOW_UP,	     /* bound; keep-alives run (OB-2, OB-3, OB-4) */
	TRUNK_FLOW_FAILED,   /* closed, pong missing or send error (OB-5) */
	TRUNK_FLOW_CLOSED,   /* released by its owner (un-REGISTER, stop) */
};
extern const char *const trunk_flow_state_names[];

/* Where a keep-alive interval came from (OB-4, KEEP-2). */
enum trunk_flow_source {
	TRUNK_FLOW_SRC_DEFAULT = 0, /* RFC 5626 4.4.1 defaults / config */
	TRUNK_FLOW_SRC_FLOW_TIMER,  /* the 2xx's Flow-Timer */
	TRUNK_FLOW_SRC_KEEP,	    /* keep=<n> in the 2xx's Via (RFC 6223) */
};
extern const char *const trunk_flow_source_names[];

/*
 * OB-4: milliseconds between keep-alives. server_s > 0 (Flow-Timer or
 * keep): a uniform 80-100 % of it; otherwise default_ms when non-zero
 * (the configured interval, also 80-100 %), else RFC 5626 4.4.1: UDP
 * 24-29 s, TCP/TLS 95-120 s. rnd is any 32-bit random number.
 */
unsigned trunk_flow_keepalive_ms(unsigned server_s, bool stream,
				 unsigned default_ms, uint32_t rnd);

struct trunk_flow_backoff {
	unsigned all_failed_s;	/* base-time when all flows failed: 30 */
	unsigned some_failed_s; /* base-time when others are up: 90 */
	unsigned max_s;		/* max-time: 1800 */
};
/*
 * OB-5 (RFC 5626 4.5): seconds to wait before forming a new flow after
 * `failures` consecutive failures (>= 1): min(max, base * 2^failures),
 * then a uniform 50-100 % of that (rnd: any 32-bit random number). At
 * least 1 s.
 */
unsigned trunk_flow_backoff_s(const struct trunk_flow_backoff *b,
			      unsigned failures, bool all_failed, uint32_t rnd);

/* A validated server keep-alive value in seconds, or 0 when absent or
 * unusable (bad reports why: "0", junk, above 3600 s). text NULL: absent. */
unsigned trunk_flow_server_value(const char *text, const char **bad);

/* The process-wide random source; tests fix it with [global]
 * random_seed (0: seeded from the clock and PID). */
uint32_t trunk_random(void);
void trunk_random_seed(uint32_t seed);

struct trunk_gateway;
struct trunk_flow;
struct tport_s;

/* The owner's handler of a flow failure; it runs from a zero-delay timer,
 * never inside Sofia's transport callbacks. */
typedef void trunk_flow_failed_h(struct trunk_flow *flow, const char *why,
				 void *arg);

struct trunk_flow_params {
	unsigned default_ms; /* keepalive_interval; 0: RFC defaults */
	unsigned timeout_ms; /* pong timeout (OB-2) */
	/* TLS, UDP: an OPTIONS over the flow after every Nth keep-alive; no
	 * answer within timeout_ms = missing pong (0: never). */
	unsigned probe_every;
	bool enabled; /* keepalive != off */
	/* A dialog's flow (KEEP-2, call_keep.c): the call's log context;
	 * NULL: a registration's flow. */
	const char *call;
};

/* A new flow of trunk (log context "trunk T flow N"); owned by the
 * caller, freed with trunk_flow_free(). NULL on ENOMEM. */
struct trunk_flow *trunk_flow_alloc(struct trunk_gateway *gw, const char *trunk,
				    const struct trunk_flow_params *p,
				    trunk_flow_failed_h *failed, void *arg);
void trunk_flow_free(struct trunk_flow *flow);

/*
 * Bind the flow to the transport a REGISTER was answered over (tp, the
 * transaction's tport; remote: the SP-SSE's "ip:port" from the response's
 * source) and (re)start keep-alives at the server's value (0: default).
 * Called on every 2xx: the interval is renegotiated on each refresh
 * (KEEP-4); a different transport than before makes a new flow.
 */
void trunk_flow_bind(struct trunk_flow *flow, struct tport_s *tp,
		     const char *remote, unsigned server_s,
		     enum trunk_flow_source src);
/*
 * The same for the response an outgoing transaction got (REGISTER's 2xx,
 * an INVITE's 2xx: KEEP-2): its transport and source address.
 */
struct nta_outgoing_s;
void trunk_flow_bind_orq(struct trunk_flow *flow, struct nta_outgoing_s *orq,
			 unsigned server_s, enum trunk_flow_source src);
/* New settings (a reload): a flow that is UP restarts its keep-alives
 * with them at once. */
void trunk_flow_set_params(struct trunk_flow *flow,
			   const struct trunk_flow_params *p);
/* The owner saw the flow fail (transport error, timeout): FAILED. */
void trunk_flow_fail(struct trunk_flow *flow, const char *why);
/* Stop keep-alives and release the transport (CLOSED). */
void trunk_flow_close(struct trunk_flow *flow);
/* The bound transport while UP (borrowed), else NULL. */
struct tport_s *trunk_flow_tport(const struct trunk_flow *flow);
enum trunk_flow_state trunk_flow_state(const struct trunk_flow *flow);

struct trunk_flow_info {
	const char *trunk;
	const char *call; /* a dialog's flow: the call ("call 7"); else "" */
	unsigned id;
	enum trunk_flow_state state;
	const char *transport; /* "udp", "tcp", "tls", "-" */
	const char *local, *remote;
	unsigned interval_ms; /* chosen keep-alive interval (0: none) */
	unsigned server_s;    /* the server's value (0: none) */
	enum trunk_flow_source source;
	const char *keepalive; /* "crlf (tport)", "crlf", "stun", "off" */
	long long last_ping_ago, last_pong_ago; /* s; -1: none/unknown */
	long long up_for; /* s since bound; 0 when not UP */
	unsigned long pings, failures;
	const char *reason; /* last failure, "" if none */
	const char *mapped; /* UDP: STUN's mapped address, "" if none */
	unsigned timeout_ms, probe_every; /* the settings in force */
};
void trunk_flow_info(const struct trunk_flow *flow,
		     struct trunk_flow_info *info);
/* Every flow of the process, registrations' and dialogs' (prev NULL:
 * the first); NULL at the end. For `trunkctl flows`. */
const struct trunk_flow *trunk_flow_next(const struct trunk_flow *prev);

/*
 * KEEP-3 (RFC 6223 4.2): the Via list for our response to a request whose
 * top Via offers keep: a copy (on home) with keep=<[global] keep_answer
 * in s> on the top entry. NULL when the request offers no keep, or
 * keep_answer is 0 (not willing): the response then keeps nta's own Via.
 * Give it as SIPTAG_VIA() to the reply.
 */
struct sip_s;
struct sip_via_s;
struct sip_via_s *trunk_keep_answer_via(struct trunk_gateway *gw, void *home,
					struct sip_s const *sip);

/* The same for the responses to an incoming transaction (the INVITE's
 * 2xx, KEEP-3): allocated with the request message, NULL as above. */
struct nta_incoming_s;
struct sip_via_s *trunk_keep_answer_irq(struct trunk_gateway *gw,
					struct nta_incoming_s *irq);

/*
 * Raw bytes (a keep-alive) over the connection tp as one pre-encoded
 * pseudo-message (../notes 4.3): the wire image is exactly data. 0 or an
 * errno value.
 */
struct nta_agent_s;
int trunk_tport_send_raw(struct nta_agent_s *nta, struct tport_s *tp,
			 const void *data, size_t len);

/* flow_server.c: what a TLS connection to/from peer ("ip:port") received
 * (n > 0 bytes): life, and a CRLF pong for a TLS flow's ping (OB-2). */
void trunk_flow_tls_received(const char *peer, const void *data, size_t n);

/* flow_server.c (OB-6): answer CRLFCRLF pings with CRLF on every TLS
 * connection (Sofia pongs only on TCP) and show TLS data to the flows.
 * 0 or ENOMEM. */
int trunk_flow_server_start(struct trunk_gateway *gw);
void trunk_flow_server_stop(void);

/* hook.c: run [global] event_hook (if set) with KIND NAME STATE REASON,
 * detached; never blocks the signalling thread. */
void trunk_hook_run(struct trunk_gateway *gw, const char *kind,
		    const char *name, const char *state, const char *reason);

#endif /* TRUNKD_TRUNK_FLOW_H */
