/*
 * media: the RTP/SRTP relay, RFC 4733 DTMF, T.38 and DSP (DESIGN.md 7-9).
 * Media runs on its own threads; the signalling thread talks to it only
 * through commands and events. This header is the module's whole API.
 *
 * Threads and ownership (docs/media.md has the long version):
 *
 *   signalling thread                         media thread k (of N)
 *   media_session_alloc() -- 2 port pairs
 *        (a pair kept bound since its last
 *        call, or 2 sockets bound now and
 *        put in thread k's epoll set),
 *        returns the local ports at once ---> CREATE: the pairs are the
 *                                           session's
 *   media_session_set_remote() -----------> REMOTE: destination, direction
 *   media_session_free() -----------------> DESTROY: pairs back, kept
 *                                           bound and idle (or closed)
 *   media_engine_dispatch() <-- eventfd --- FIRST_PACKET, RTP_TIMEOUT
 *
 * Every function below is called from the one signalling thread (the
 * thread that owns the engine) unless it says otherwise. Commands are
 * queued and return at once; their effect is ordered per session. The
 * relay path takes no lock and allocates nothing per packet.
 */
#ifndef TRUNKD_MEDIA_H
#define TRUNKD_MEDIA_H

#include <stdint.h>

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

/* The [media] section. */
extern const struct config_section_def media_config_section;

/*
 * Bridge spandsp's message handler into the logger (subsystem
 * "media.spandsp"). Idempotent; call once at start-up.
 */
void media_log_bridge_init(void);

/* "libsrtp2 2.5.0, spandsp 20110122" of the running libraries. */
const char *media_version_string(void);

/* ---------------------------------------------------------------------- */
/* Engine                                                                  */

/* Where an endpoint's sockets are bound: the network of that call leg. */
enum media_side {
	MEDIA_SIDE_ENTERPRISE = 0, /* phones and PBXs */
	MEDIA_SIDE_TRUNK = 1,	   /* the carrier */
	/* The carrier over the trunk side's other address family: a trunk
	 * whose address_family is not that of MEDIA_SIDE_TRUNK's address
	 * (SC-15-2: signalling and media of a trunk in one family). */
	MEDIA_SIDE_TRUNK_ALT = 2,
};
#define MEDIA_SIDES 3

/* The two endpoints of a session, one per call leg. */
enum media_leg {
	MEDIA_LEG_A = 0,
	MEDIA_LEG_B = 1,
};

/* Largest datagram relayed; a longer one is dropped as malformed. */
#define MEDIA_MAX_PACKET 2048

/*
 * Re-latching (docs/media.md): after an endpoint latched to a source,
 * this many consecutive valid packets from one other source, with none
 * from the latched one in between, move the latch there.
 */
#define MEDIA_RELATCH_PACKETS 8

/* [media] kernel_forwarding (docs/media.md "Forwarding in the kernel"). */
enum media_kfwd_mode {
	MEDIA_KFWD_OFF = 0,  /* the relay carries every packet */
	MEDIA_KFWD_AUTO = 1, /* in the kernel if it can; else one warning */
	MEDIA_KFWD_ON = 2,   /* in the kernel, or the engine does not start */
};

/* "on", "auto"; anything else (NULL too) is off: the config checked. */
enum media_kfwd_mode media_kfwd_mode_parse(const char *text);

struct media_conf {
	uint16_t port_min; /* even; RTP ports are port_min, port_min + 2, ... */
	uint16_t port_max; /* highest port that may be used (RTCP included) */
	/* IPv4 or IPv6 literal to bind per side (copied); NULL: that side
	 * cannot be used. */
	const char *addr[MEDIA_SIDES];
	unsigned rtp_timeout_ms; /* 0: never report RTP_TIMEOUT */
	unsigned threads;	 /* 0: one per online CPU */
	enum media_kfwd_mode kernel_forwarding;
};

/*
 * Fill the port range, timeout and thread count of conf from a [media]
 * section; addr[] (from the trunk module's listen addresses) is left as
 * it was.
 */
void media_conf_read(struct media_conf *conf,
		     const struct config_section *media);

struct media_engine;
struct media_session;

enum media_event_type {
	/* The first valid RTP packet arrived on an endpoint (once per
	 * endpoint); src is where it came from, the latched address. */
	MEDIA_EVENT_FIRST_PACKET,
	/* No RTP nor RTCP for rtp_timeout_ms from an endpoint's peer while
	 * media is expected from it: the session is watched
	 * (media_session_watch(), the call is confirmed), the peer said
	 * sendrecv with an address and a port, and the other leg's peer
	 * receives (sendrecv/recvonly, not c=0.0.0.0). Reported once; a
	 * later packet re-arms it, and the clock starts anew when media
	 * becomes expected or the peer moves (docs/media.md). */
	MEDIA_EVENT_RTP_TIMEOUT,
};

struct media_event {
	enum media_event_type type;
	struct media_session *session; /* borrowed, live during the call */
	void *session_arg;	       /* as given to media_session_alloc() */
	enum media_leg leg;
	char src[64]; /* FIRST_PACKET: "192.0.2.1:4000" / "[2001:db8::1]:4000" */
};

/*
 * Called by media_engine_dispatch() on its thread, once per event (in
 * defer mode also by media_engine_flush(): FIRST_PACKET). The
 * handler may call any media_session_*() function, including
 * media_session_free() of the event's session (not media_engine_free());
 * no event of a session is delivered after media_session_free() of it
 * returned. A request or late function of media_engine_defer() that runs
 * media_engine_flush() at once (trunkd does when it cannot arm its timer)
 * makes the handler run inside the media_session_*() call that asked for
 * the flush: a FIRST_PACKET only (an RTP_TIMEOUT is never delivered by a
 * flush), so a handler that only logs FIRST_PACKET is safe there.
 */
typedef void(media_event_h)(const struct media_event *ev, void *arg);

/* Names for logs: "FIRST_PACKET", "RTP_TIMEOUT". */
const char *media_event_name(enum media_event_type type);

/*
 * Start an engine: conf->threads media threads, each with its own epoll
 * loop. handler(ev, arg) receives the events (see dispatch). On success
 * *out is the new engine, owned by the caller (media_engine_free()).
 * Returns 0, EINVAL (odd port_min, a range without an RTP/RTCP pair, an
 * address that is not an IP literal: one log line says which) or the
 * errno of creating a thread, an epoll set or an eventfd. With
 * kernel_forwarding on, also the error of loading or attaching the tc
 * program (ENOTSUP: not built; EPERM: no CAP_BPF/CAP_NET_ADMIN; one log
 * line says which); auto logs it once as a warning and goes on without.
 */
int media_engine_alloc(const struct media_conf *conf, media_event_h *handler,
		       void *arg, struct media_engine **out);

/*
 * Stop and join the media threads, close every socket and free every
 * session: handles the caller still holds become invalid, pending events
 * are dropped. NULL is ignored.
 */
void media_engine_free(struct media_engine *engine);

/*
 * A file descriptor (an eventfd) that becomes readable when events are
 * waiting: register it in the signalling loop (su_root_register()) and
 * call media_engine_dispatch() when it is. Owned by the engine.
 */
int media_engine_fd(const struct media_engine *engine);

/*
 * Deliver the waiting events to the handler, on the calling thread, and
 * finish the destruction of freed sessions. Never blocks. Returns the
 * number of events delivered.
 */
unsigned media_engine_dispatch(struct media_engine *engine);

/*
 * Batch the commands of the media_session_*() calls (optional; signalling
 * thread): from now on they are queued without waking their media thread;
 * the first of a batch calls request(arg), and the caller then runs
 * media_engine_flush() soon (trunkd: from a zero-delay timer once its
 * current callbacks are done), which wakes each thread with queued
 * commands once. Without it every call wakes its thread (when that
 * thread's queue was empty). request NULL: back to that (flushed).
 *
 * Most commands wake nobody in either mode: those that only a packet can
 * show run when the next packet (or the thread's timer) wakes it, before
 * it reads any socket. With late as well, media_session_free() wakes
 * nobody either until MEDIA_DESTROY_BATCH of them wait for one thread
 * (then request(arg) as above): the first calls late(arg), and the
 * caller then runs media_engine_flush() within MEDIA_LATE_FLUSH_MS
 * (trunkd: a timer), which also calls late(arg) again after it woke a
 * thread for them, so that their memory is freed by the next one. A
 * packet that reaches a freed session's ports meanwhile is dropped (the
 * DESTROY runs before it is read); its ports return to the pool that
 * much later.
 *
 * In defer mode FIRST_PACKET wakes nobody either (the event fd stays
 * quiet until 64 events wait or another event comes), unless
 * media_engine_first_packet_wanted()'s function says it is wanted now:
 * media_engine_flush() delivers the FIRST_PACKET events and frees the
 * destroyed sessions that wait at the head of the queue, as does
 * media_engine_dispatch() with all of them. A FIRST_PACKET still queued
 * when its session is freed is not delivered.
 */
#define MEDIA_LATE_FLUSH_MS 100
void media_engine_defer(struct media_engine *engine, void (*request)(void *arg),
			void (*late)(void *arg), void *arg);
void media_engine_flush(struct media_engine *engine);

/*
 * In defer mode a FIRST_PACKET wakes the signalling thread (as outside
 * it) when wanted(arg) returns true at the time it is posted (trunkd:
 * when its debug line would be logged). wanted runs on media threads;
 * set it before the first session, or NULL.
 */
void media_engine_first_packet_wanted(struct media_engine *engine,
				      bool (*wanted)(void *arg), void *arg);

/* The address endpoints of SIDE are bound on (for our SDP's c= line). */
const char *media_engine_side_addr(const struct media_engine *engine,
				   enum media_side side);

/* The address leg's endpoint of session is bound on (its side's). */
const char *media_session_addr(const struct media_session *session,
			       enum media_leg leg);

/* RTP/RTCP port pairs not in use (trunkctl, tests). Any thread. */
unsigned media_engine_ports_free(const struct media_engine *engine);

/* Sessions alive on the engine (allocated and not yet destroyed). */
unsigned media_engine_sessions(const struct media_engine *engine);

/*
 * Datagrams that reached a pair while no session had it (late packets of
 * an ended call to a pair kept bound for reuse) and were dropped. Any
 * thread.
 */
uint64_t media_engine_stray_drops(const struct media_engine *engine);

/* Kernel forwarding (trunkctl status): whether the tc program is
 * attached, the map entries installed now (two per session whose both
 * directions the kernel carries), the packets it forwarded so far (as of
 * the media threads' last tick), the map's id (bpftool map dump id N) and
 * how it is attached ("tcx" or "clsact"). Any thread. */
struct media_kfwd_status {
	bool active;
	unsigned entries;
	uint64_t packets;
	unsigned map_id;
	const char *attach;
};
void media_engine_kfwd_status(const struct media_engine *engine,
			      struct media_kfwd_status *out);

/* CPU time the media threads consumed so far, in nanoseconds. */
uint64_t media_engine_cpu_ns(const struct media_engine *engine);

/* ---------------------------------------------------------------------- */
/* Sessions                                                                */

/*
 * Create a session of two endpoints: leg A's bound on side_a's address,
 * leg B's on side_b's, each an even RTP port and RTP + 1 for RTCP from
 * the engine's range. The sockets are created and bound here, on the
 * calling thread, so the ports are known and usable when this returns
 * (docs/media.md: "why bind in the caller"); the session's media thread
 * does all I/O on them from then on. A pair that some other program
 * holds is skipped. arg is passed back in events.
 *
 * On success *out is the new session, owned by the caller until
 * media_session_free(). Returns 0 or ENOSPC (no free pair in the range:
 * answer 503), EADDRINUSE (every pair tried was taken by someone else),
 * EAFNOSUPPORT (the side has no address), ENOMEM, EMFILE (a per-user
 * limit: open files, or epoll watches, fs.epoll.max_user_watches), or
 * the errno of socket()/bind()/epoll_ctl().
 */
int media_session_alloc(struct media_engine *engine, enum media_side side_a,
			enum media_side side_b, void *arg,
			struct media_session **out);

/*
 * Destroy a session (asynchronous): its media thread closes the sockets
 * and returns the ports to the pool; the memory goes at a later
 * media_engine_dispatch(). No event of the session is delivered after
 * this returns and the caller must not use it again. Cannot fail. NULL
 * is ignored.
 */
void media_session_free(struct media_session *session);

/* Local RTP port of a leg's endpoint (RTCP is this + 1). */
uint16_t media_session_port(const struct media_session *session,
			    enum media_leg leg);

/* A small number naming the session in logs ("[media 12 leg A]"). */
unsigned media_session_id(const struct media_session *session);

/* The direction attribute as the peer wrote it in its SDP. */
enum media_dir {
	MEDIA_DIR_INACTIVE = 0,
	MEDIA_DIR_SENDONLY = 1, /* the peer sends, we must not send to it */
	MEDIA_DIR_RECVONLY = 2, /* the peer only receives */
	MEDIA_DIR_SENDRECV = 3,
};

/* What a leg's peer said in its SDP for this stream. */
struct media_remote {
	/* c= address, an IP literal of the leg's side's family. NULL or ""
	 * (unknown yet), "0.0.0.0" or "::" (RFC 2543 hold, HOLD-2): we do
	 * not send to this peer, but still relay what it sends. */
	const char *addr;
	uint16_t rtp_port;  /* m= port; 0: rejected stream, do not send */
	uint16_t rtcp_port; /* a=rtcp; 0: rtp_port + 1 */
	enum media_dir dir; /* HOLD-1: sendonly/inactive stop our sending */
	/* Payload types the peer may send on this stream (the negotiated
	 * m= line); RTP with any other is dropped. npt 0: any. */
	unsigned npt;
	const uint8_t *pt;
};

/*
 * Apply what a leg's peer said (offer or answer, first or re-INVITE):
 * where we send RTP and RTCP for that leg, whether we may send there
 * (hold), and the payload types we relay from it. A changed address or
 * port forgets the latched source (the peer moved); the same one keeps
 * it, so a hold/resume re-INVITE does not disturb latching. Copies
 * remote. Returns 0, EINVAL (not an IP literal, payload type > 127),
 * EAFNOSUPPORT (family differs from the leg's side) or ENOMEM.
 */
int media_session_set_remote(struct media_session *session, enum media_leg leg,
			     const struct media_remote *remote);

/*
 * Start the RTP timeout of a session (the B2BUA: when the call is
 * confirmed). Before, silence is never reported: a call may ring, or
 * wait for a late answer, as long as it likes. The clock of each
 * endpoint starts when this command runs or when media becomes
 * expected from its peer, whichever is later. Idempotent; cannot fail.
 */
void media_session_watch(struct media_session *session);

/*
 * Change only the direction of a leg's peer (hold/resume without a new
 * address). Returns 0 or ENOMEM.
 */
int media_session_set_dir(struct media_session *session, enum media_leg leg,
			  enum media_dir dir);

/* Counters of one endpoint; every datagram received is counted once in
 * *_in and, unless relayed, once in exactly one drop reason. */
struct media_stats {
	uint64_t rtp_in_packets, rtp_in_bytes;	 /* received from the peer */
	uint64_t rtp_out_packets, rtp_out_bytes; /* sent to the peer */
	uint64_t rtcp_in_packets, rtcp_out_packets;
	uint64_t drop_malformed; /* not RTP/RTCP v2, too short or too long */
	uint64_t drop_source;	 /* not from the latched source */
	uint64_t drop_pt;	 /* payload type not negotiated */
	uint64_t drop_hold;	 /* the other leg may not be sent to */
	uint64_t drop_send;	 /* sendmmsg() failed (buffer full...) */
	/* of rtp_in_packets: forwarded by the kernel (kernel_forwarding),
	 * counted at the media thread's tick */
	uint64_t kfwd_packets;
};

/*
 * Read a leg's counters: lock-free atomic loads of what the media thread
 * publishes once per receive batch (so they may lag by one batch, and
 * what the kernel forwarded by one tick of the media thread's timer; a
 * counter seen updated implies every earlier update of the session's
 * counters is seen too). Any thread, while the session is not freed.
 */
void media_session_get_stats(const struct media_session *session,
			     enum media_leg leg, struct media_stats *out);

#endif /* TRUNKD_MEDIA_H */
