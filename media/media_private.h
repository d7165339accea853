/*
 * Private to media/: the engine, its threads, sessions and the port pool.
 *
 * Who touches what (the rule that keeps the packet path lock-free):
 *  - "signalling" fields are written and read only by the thread that
 *    owns the engine (media_session_*(), media_engine_dispatch());
 *  - "media" fields only by the session's media thread, after it took
 *    the CREATE command (the queue's mutex orders the hand-over);
 *  - stats are written by the media thread with relaxed atomic stores
 *    and read by anyone;
 *  - event nodes are linked and copied only under the engine's event
 *    mutex; command nodes only under their thread's command mutex.
 */
#ifndef TRUNKD_MEDIA_PRIVATE_H
#define TRUNKD_MEDIA_PRIVATE_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "kfwd_map.h"
#include "media.h"

#define MEDIA_BATCH 32 /* datagrams per recvmmsg()/sendmmsg() */
/* Batches per readable event before yielding to the other sockets
 * (what remains is reported again: relay.c) */
#define MEDIA_ROUNDS 4
/* epoll events of an RTP/RTCP socket: edge-triggered, read until empty
 * (relay.c) */
#define MEDIA_SOCK_EVENTS (EPOLLIN | EPOLLET)
/* Destroyed sessions freed per media_engine_flush() at most, and waiting
 * in defer mode before they wake the signalling thread (engine.c). */
#define MEDIA_REAP_BATCH 64
/* In defer mode with a late hook, DESTROY commands queued for one thread
 * before they wake it (engine.c). */
#define MEDIA_DESTROY_BATCH 32

union media_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* ---------------------------------------------------------------------- */
/* Port pool (pool.c): RTP/RTCP pairs in FIFO rings, a cold one (no
 * sockets) and a warm one per owner of idle bound sockets; see pool.c.
 * Any thread; one mutex, taken per session, never per packet. */

/* A warm pair rests this long after its release before it is reused
 * while cold pairs remain: a peer of the old call that has not yet seen
 * the BYE (retransmitted after 0.5, 1, 2 s: RFC 3261 17.1.2) still
 * sends; its packets are dropped by the idle sockets meanwhile. */
#define MEDIA_PAIR_REST_MS 2000
/* When descriptors are short (the pool's caps reached), one that rested
 * this long goes before a cold pair (binding one costs system calls):
 * the old call's packets in flight are gone, and its peer's later ones
 * are warded off until MEDIA_PAIR_REST_MS (struct media_sock). */
#define MEDIA_PAIR_MIN_REST_MS 500

struct media_ring {
	uint16_t *port;	 /* RTP ports of free pairs, oldest first */
	uint32_t *since; /* when each was put back (ms, modulo 2^32) */
	unsigned head, count;
};

struct media_pool {
	pthread_mutex_t lock;
	bool ready;
	unsigned size; /* pairs in the range */
	unsigned nrings;
	struct media_ring cold;
	struct media_ring *warm; /* nrings */
	unsigned warm_count, warm_cap;
	unsigned bound_cap; /* pairs with sockets (in calls or warm) */
	unsigned rest_ms, min_rest_ms;
};

/* All pairs cold. nrings warm rings (>= 1); at most warm_cap pairs warm
 * at once, and a pair is kept warm only while at most bound_cap pairs
 * (in calls and warm) hold sockets; a warm pair rests rest_ms, or only
 * min_rest_ms (<= rest_ms) once a cap is reached, rather than a cold one
 * is bound. 0, EINVAL or ENOMEM. */
int media_pool_init(struct media_pool *pool, uint16_t port_min,
		    uint16_t port_max, unsigned nrings, unsigned warm_cap,
		    unsigned bound_cap, unsigned rest_ms, unsigned min_rest_ms);
void media_pool_fini(struct media_pool *pool);
/* Take a pair for ring's owner (pool.c has the order): 0, *port and
 * *warm (its sockets are those ring's owner kept), or ENOSPC. */
int media_pool_take(struct media_pool *pool, unsigned ring, uint64_t now_ms,
		    uint16_t *port, bool *warm);
/* Give a pair back warm at now_ms, its sockets kept by ring's owner:
 * true; false (not given back) when warm_cap pairs are warm already, or
 * more than bound_cap pairs hold sockets (this one counted), and not
 * force: the caller closes the sockets, then media_pool_put_cold(). */
bool media_pool_put_warm(struct media_pool *pool, unsigned ring, uint16_t port,
			 uint64_t now_ms, bool force);
/* Give a pair without sockets back (to the end of the cold line). */
void media_pool_put_cold(struct media_pool *pool, uint16_t port);
unsigned media_pool_free_count(struct media_pool *pool);
unsigned media_pool_warm_count(struct media_pool *pool);

/* ---------------------------------------------------------------------- */
/* Events (engine.c): nodes live in the session, so queueing one never
 * allocates or fails; a node already queued is not queued twice. */

enum media_event_kind {
	MEDIA_EV_FIRST_PACKET,
	MEDIA_EV_RTP_TIMEOUT,
	MEDIA_EV_DESTROYED, /* internal: the dispatcher frees the session */
};

struct media_event_node {
	struct media_event_node *next;
	struct media_session *session;
	enum media_event_kind kind;
	enum media_leg leg;
	bool queued;
	union media_addr src; /* FIRST_PACKET */
};

/* ---------------------------------------------------------------------- */
/* Commands (engine.c): signalling thread -> one media thread. */

enum media_cmd_type {
	MEDIA_CMD_CREATE,
	MEDIA_CMD_REMOTE,
	MEDIA_CMD_DIR,
	MEDIA_CMD_WATCH,
	MEDIA_CMD_DESTROY,
	MEDIA_CMD_STOP,
	MEDIA_CMD_CLOSE, /* struct media_cmd_close */
};

struct media_cmd {
	struct media_cmd *next;
	enum media_cmd_type type;
	bool embedded; /* lives in the session: not freed after use */
	/* No wake-up of the media thread: run at its next wake-up, before
	 * any packet (CREATE, REMOTE, DIR, WATCH). What only a packet can
	 * show needs none. (DESTROY: media_cmd_post().) */
	bool lazy;
	struct media_session *session;
	enum media_leg leg;
	enum media_dir dir;
};

/* MEDIA_CMD_REMOTE: malloc'd with what it sets, cmd first (freed as a
 * struct media_cmd); the session's own commands (CREATE, WATCH, DESTROY)
 * carry none of it. */
struct media_cmd_remote {
	struct media_cmd cmd;
	bool has_addr; /* false: unknown or hold (c=0.0.0.0) */
	bool hold_2543;
	union media_addr rtp, rtcp;
	uint64_t pt_mask[2]; /* all ones: any */
};

/* MEDIA_CMD_CLOSE: malloc'd. A pair one of whose sockets was in the
 * thread's epoll set when its join failed (session.c): only that thread
 * may close it (an event of its last epoll_wait() may still name it),
 * after the wake-up that runs the command; then the pair goes back cold. */
struct media_cmd_close {
	struct media_cmd cmd;
	struct media_slot *slot;
};

/* ---------------------------------------------------------------------- */
/* Sessions */

enum media_sock_kind {
	MEDIA_SOCK_RTP = 0,
	MEDIA_SOCK_RTCP = 1,
};

struct media_endpoint;

/* One socket of a pair slot; epoll's data.ptr points here. It outlives
 * sessions: a warm pair's sockets stay open and in their thread's epoll
 * set between sessions, with ep NULL (what arrives then is dropped). */
struct media_sock {
	int fd; /* -1: cold */
	enum media_sock_kind kind;
	/* media: the endpoint using it (set by CREATE, cleared by DESTROY),
	 * NULL while idle */
	struct media_endpoint *ep;
	/* media: the ward, set when a session gives the pair back: until
	 * ward_until (ms, media_now_ms()) nothing from ward, the previous
	 * session's peer (its latched source, else its SDP address), is
	 * latched by the next session on these ports (relay.c), unless the
	 * next one's SDP names that address too. ward_until 0: none. */
	uint64_t ward_until;
	union media_addr ward;
};

/* media: latching of one socket's peer (RTP and RTCP latch apart); in
 * the endpoint, so every session starts unlatched. */
struct media_latch {
	bool latched;
	union media_addr src;	    /* latched source */
	union media_addr candidate; /* another source, MEDIA_RELATCH_PACKETS */
	unsigned candidate_n;
};

/* The sockets of one port pair, indexed by (port - port_min) / 2. Who
 * holds the pair (pool.c hands it over under its mutex) owns the slot;
 * its epoll membership is its thread's: the sockets join that set when
 * they are bound (session.c), and only that thread closes them. */
struct media_slot {
	struct media_sock sock[2];
	int thread; /* index of the thread whose epoll set holds the fds,
		       -1: in none (cold) */
	int ring;   /* warm ring of its sockets (thread and bind address) */
	struct media_slot *next_close; /* media: the thread's closing list */
};

struct media_stats_atomic {
	_Atomic uint64_t rtp_in_packets, rtp_in_bytes;
	_Atomic uint64_t rtp_out_packets, rtp_out_bytes;
	_Atomic uint64_t rtcp_in_packets, rtcp_out_packets;
	_Atomic uint64_t drop_malformed, drop_source, drop_pt, drop_hold;
	_Atomic uint64_t drop_send;
	_Atomic uint64_t kfwd_packets;
};

/* Add to a counter of one writer (the media thread), published with a
 * relaxed load and a release store. */
#define MEDIA_ADD(st, f, v)                                                    \
	atomic_store_explicit(                                                 \
		&(st)->f,                                                      \
		atomic_load_explicit(&(st)->f, memory_order_relaxed) + (v),    \
		memory_order_release)

struct media_endpoint {
	struct media_session *session; /* borrowed */
	enum media_leg leg;
	enum media_side side;	     /* signalling, immutable */
	uint16_t port;		     /* signalling, immutable: RTP port */
	struct media_slot *slot;     /* its pair; NULL: none (yet) */
	struct media_sock *sock[2];  /* slot's sockets, RTP and RTCP */
	struct media_latch latch[2]; /* media: per socket kind */
	/* media: from the last REMOTE/DIR command */
	bool has_addr, hold_2543;
	enum media_dir dir;
	union media_addr sdp_rtp, sdp_rtcp;
	uint64_t pt_mask[2];
	bool may_send;	   /* we may send to this peer (HOLD-1, HOLD-2) */
	bool expect_rx;	   /* RTP timeout applies (media_expects(), relay.c) */
	bool heard;	   /* FIRST_PACKET reported */
	bool timeout_sent; /* RTP_TIMEOUT reported, not re-armed yet */
	uint64_t last_rx_ms;
	/* media: the kernel forwards what ep's peer sends (forward.c);
	 * its entry's counters as last accounted */
	bool kfwd_on;
	uint64_t kfwd_packets, kfwd_bytes;
	struct media_event_node ev_first, ev_timeout;
	struct media_stats_atomic stats;
};

/* Where ep's SDP says its packets of kind go (and come from, symmetric
 * RTP). */
static inline const union media_addr *
media_sdp_addr(const struct media_endpoint *ep, enum media_sock_kind kind)
{
	return kind == MEDIA_SOCK_RTP ? &ep->sdp_rtp : &ep->sdp_rtcp;
}

struct media_thread;

struct media_session {
	struct media_engine *engine; /* borrowed */
	struct media_thread *thread; /* borrowed: the owner of the I/O */
	unsigned id;
	void *arg;
	bool freed; /* signalling: media_session_free() was called */
	/* media: the thread's list of live sessions (timeout scan) */
	struct media_session *prev, *next;
	bool live;	   /* media: CREATE done, DESTROY not yet */
	bool watched;	   /* media: WATCH done: the RTP timeout may apply */
	bool watch_posted; /* signalling: media_session_watch() was called */
	struct media_endpoint ep[2];
	struct media_cmd cmd_create, cmd_watch, cmd_destroy;
	struct media_event_node ev_destroyed;
	char ctx[32]; /* "media 12" */
};

/* ---------------------------------------------------------------------- */
/* Threads and the engine */

struct media_thread {
	struct media_engine *engine; /* borrowed */
	unsigned index;
	pthread_t tid;
	bool started;
	int epfd, cmd_fd, timer_fd;
	pthread_mutex_t cmd_lock;
	struct media_cmd *cmd_head, *cmd_tail;
	/* Set (under cmd_lock) whenever a command is queued, cleared when the
	 * thread takes the queue: a wake-up with nothing queued (most are a
	 * packet's) takes no lock (issue 3: no lock per packet). A hint: the
	 * queue itself is only read under the lock. */
	atomic_bool cmd_queued;
	bool cmd_deferred; /* signalling: queued without a wake-up yet */
	unsigned destroys; /* signalling: DESTROYs queued since the last
			      flush, without a wake-up (defer_late) */
	/* media */
	struct media_session *sessions;	 /* live list */
	struct media_session *graveyard; /* destroyed in this wake-up */
	struct media_slot *closing;	 /* MEDIA_CMD_CLOSE in this wake-up */
	bool stop;
	uint64_t now_ms; /* CLOCK_MONOTONIC_COARSE at the last wake-up */
	/* media: batch buffers, reused for every packet */
	struct mmsghdr rx[MEDIA_BATCH], tx[MEDIA_BATCH];
	struct iovec rx_iov[MEDIA_BATCH], tx_iov[MEDIA_BATCH];
	union media_addr rx_addr[MEDIA_BATCH];
	unsigned char buf[MEDIA_BATCH][MEDIA_MAX_PACKET];
};

/* Where a side's packets leave when the kernel forwards them: the
 * interface of its media address (0: not attached there, the relay
 * carries that side), loopback or not (forward.c, kfwd.c). */
struct media_fwd_side {
	uint32_t ifindex;
	bool loopback;
	uint32_t net, mask; /* the media address's subnet (network order) */
};

struct media_kfwd;

struct media_engine {
	media_event_h *handler;
	void *arg;
	char addr[MEDIA_SIDES][INET6_ADDRSTRLEN];
	union media_addr bind[MEDIA_SIDES]; /* port 0 */
	bool has_side[MEDIA_SIDES];
	unsigned rtp_timeout_ms;
	struct media_pool pool;
	uint16_t port_min;
	struct media_slot *slots;	  /* one per pair of the range */
	unsigned bind_group[MEDIA_SIDES]; /* sides of one bind address share */
	unsigned nthreads;
	struct media_thread *threads;
	atomic_uint next_thread;      /* round robin */
	atomic_uint nsessions;	      /* live */
	_Atomic uint64_t stray_drops; /* datagrams to idle sockets */
	/* kernel forwarding: NULL when off (immutable once started) */
	struct media_kfwd *kfwd;
	struct media_fwd_side kfwd_side[MEDIA_SIDES];
	atomic_uint kfwd_entries;
	_Atomic uint64_t kfwd_packets;
	unsigned next_id; /* signalling */
	/* signalling: media_engine_defer() */
	void (*defer)(void *arg);
	void (*defer_late)(void *arg);
	void *defer_arg;
	bool flush_requested;
	bool late_requested;
	unsigned destroys_out; /* signalling: DESTROYs posted whose
				  DESTROYED is not handled yet */
	/* events: media threads -> signalling thread */
	int ev_fd;
	pthread_mutex_t ev_lock;
	struct media_event_node *ev_head, *ev_tail;
	unsigned ev_len;   /* under ev_lock */
	bool ev_signalled; /* under ev_lock: ev_fd written, not drained */
	atomic_bool quiet_events; /* defer mode: DESTROYED and FIRST_PACKET
				     wake nobody (engine.c) */
	bool (*first_wanted)(void *arg); /* FIRST_PACKET not quiet */
	void *first_wanted_arg;
};

/* engine.c */
void media_cmd_post(struct media_thread *t, struct media_cmd *cmd);
void media_event_post(struct media_engine *e, struct media_event_node *node);
void media_session_release(struct media_session *s); /* free the memory */

/* session.c: the media-thread side of commands */
void media_thread_run_cmds(struct media_thread *t);
/* Give the session's pairs back: sockets kept warm or closed. in_epoll:
 * the media thread, after CREATE (leaves the sockets idle in its set). */
void media_session_close(struct media_session *s, bool in_epoll);
/* Close a pair's sockets (engine end, or the pool keeps it cold). */
void media_slot_close(struct media_slot *slot);

/* relay.c */
void media_relay_init(struct media_thread *t); /* batch vectors */
void media_relay_readable(struct media_thread *t, struct media_sock *sock);
void media_relay_timeouts(struct media_thread *t);
/* Read and drop what waits on an idle sock (no session): counted in the
 * engine's stray_drops. */
void media_relay_drain(struct media_thread *t, struct media_sock *sock);
/* After ep's peer SDP changed (moved: a new address): may we send to
 * it, and which endpoints' RTP timeout applies (re-armed where it starts
 * to, or where the peer moved). ep NULL: only the latter (WATCH). */
void media_endpoint_update(struct media_session *s, struct media_endpoint *ep,
			   bool moved, uint64_t now_ms);

/* forward.c: media thread */
/* May the kernel forward what leg from's peer sends to the other leg
 * (the conditions are forward.c's)? Then true, and the map entry. */
bool media_fwd_plan(const struct media_session *s, enum media_leg from,
		    const struct media_fwd_side side[MEDIA_SIDES],
		    struct media_kfwd_key *key, struct media_kfwd_val *val);
/* After any change of s: its entries removed, those that hold installed. */
void media_fwd_session(struct media_thread *t, struct media_session *s);
/* Its entries removed (their counters accounted first). */
void media_fwd_remove(struct media_thread *t, struct media_session *s);
/* What the kernel forwarded from ep's peer so far, into the session
 * (a packet from its latched source breaks a re-latch candidate's run:
 * relay.c asks before it counts one). */
void media_fwd_read(struct media_thread *t, struct media_endpoint *ep);
/* The timer tick: what the kernel forwarded, into the sessions. */
void media_fwd_poll(struct media_thread *t);

/* kfwd.c (libbpf) or kfwd_none.c: the program, its map, its hooks. */
/* Load the program, attach it on the interfaces of the engine's IPv4
 * media addresses (e->bind), fill e->kfwd_side: 0, or an errno value and
 * why (a sentence) in why. */
int media_kfwd_open(struct media_engine *e, struct media_kfwd **out, char *why,
		    size_t len);
void media_kfwd_close(struct media_kfwd *k);
int media_kfwd_put(struct media_kfwd *k, const struct media_kfwd_key *key,
		   const struct media_kfwd_val *val);
int media_kfwd_get(struct media_kfwd *k, const struct media_kfwd_key *key,
		   struct media_kfwd_val *val);
int media_kfwd_del(struct media_kfwd *k, const struct media_kfwd_key *key);
unsigned media_kfwd_map_id(const struct media_kfwd *k);
const char *media_kfwd_attach(const struct media_kfwd *k);

/* addr.c */
bool media_addr_equal(const union media_addr *a, const union media_addr *b);
socklen_t media_addr_len(const union media_addr *a);
/* "192.0.2.1:4000", "[2001:db8::1]:4000" */
void media_addr_format(const union media_addr *a, char *buf, size_t len);
/* An IP literal with a port: 0 or EINVAL. */
int media_addr_parse(const char *text, uint16_t port, union media_addr *out);
bool media_addr_is_any(const union media_addr *a);
uint64_t media_now_ms(void);

#endif /* TRUNKD_MEDIA_PRIVATE_H */
