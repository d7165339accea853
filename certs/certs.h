/*
 * certs: the one owner of TLS policy in trunkd (DESIGN.md 2): cipher order,
 * versions, chains, SNI, OCSP, RFC 5922 identity, and the repair of
 * Sofia-SIP's TLS defects. OpenSSL types never leave this module.
 *
 * How trunk/ uses it (docs/tls.md):
 *
 *   certs_init()                      once at start-up, before any agent
 *   certs_tls_load(section, ...)      per [enterprise] / [trunk NAME] with
 *                                     TLS, at start-up and on reload
 *   nta_agent_add_tport(..., "sips:...;transport=tls",
 *       TPTAG_CERTIFICATE(certs_tls_dir(t)),
 *       TPTAG_TLS_PASSPHRASE(certs_tls_passphrase(t)),
 *       TPTAG_TLS_VERIFY_POLICY(certs_tls_sofia_verify_policy(t)),
 *       TPTAG_TLS_VERIFY_DEPTH(certs_tls_verify_depth(t)), TAG_END())
 *   certs_tls_deref(t)                when the transport is gone
 */
#ifndef TRUNKD_CERTS_H
#define TRUNKD_CERTS_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "config/config.h"

/* TLS keys carried by [trunk NAME] and [enterprise] sections. */
extern const struct config_key certs_tls_keys[];

/* Cross-key checks of the TLS keys of one section (config_validate_h). */
int certs_config_validate(const struct config_section *sec, config_error_h *eh,
			  void *arg);

/*
 * Drain OpenSSL's error queue into the logger, one line per error, under
 * subsystem "certs.openssl" with ctx as context. Returns how many.
 */
int certs_log_openssl_errors(enum config_log_level level, const char *ctx);

/* "OpenSSL 3.0.x ..." of the running library. */
const char *certs_openssl_version(void);

/* ---------------------------------------------------------------------- */
/* Process-wide set-up                                                     */

/* The Sofia-SIP build the TLS repair is written for (sofia_sip_name_version
 * of Debian 12's libsofia-sip-ua0 1.12.11+20110422). */
#define CERTS_SOFIA_VERSION "sofia-sip-1.12.11devel"

/*
 * Install the TLS policy for every TLS context Sofia-SIP creates. Checks
 * that the running Sofia-SIP is CERTS_SOFIA_VERSION; anything else is
 * refused with one ERROR line (the repair depends on that library's
 * internals). Call once, before the first TLS transport. Idempotent.
 * Returns 0 or ENOTSUP.
 */
int certs_init(void);

/* Is NAME (a sofia_sip_name_version) the one the TLS repair supports? */
bool certs_sofia_version_ok(const char *name);

/* ---------------------------------------------------------------------- */
/* One section's TLS material                                              */

struct certs_tls;

struct certs_tls_params {
	/* Log context and directory name: "trunk itsp1", "enterprise". */
	const char *label;
	/* The peer name to verify when tls_verify_name is not set (a trunk's
	 * SIP domain, RFC 5922 section 4), or NULL. */
	const char *default_name;
	/* Directory (existing, owned by us) under which certs_tls_load()
	 * creates this section's 0700 directory for Sofia. */
	const char *runtime_dir;
};

/*
 * Load and check the TLS keys of SEC ([enterprise] or [trunk NAME]): every
 * file is re-read (missing, unreadable, not PEM, expired or not yet valid,
 * key not matching the certificate, chain out of order or incomplete,
 * encrypted key without or with a wrong passphrase) and each problem is
 * reported through eh as the file and line of its key. On success prepares
 * the directory Sofia's TPTAG_CERTIFICATE wants:
 *   agent.pem  = tls_certificate (leaf + chain) + tls_key, when configured
 *   cafile.pem = tls_ca_file, or tls_pin_certificate, or else the system
 *                trust store (Sofia refuses a TLS transport without one)
 * in <runtime_dir>/tls-<label>/ (mode 0700, files 0600, replaced
 * atomically) and writes *out, a new reference (certs_tls_deref()).
 * Returns 0, EINVAL (errors reported) or an errno of the directory.
 * Secrets never reach eh or the log.
 */
int certs_tls_load(const struct config_section *sec,
		   const struct certs_tls_params *p, config_error_h *eh,
		   void *arg, struct certs_tls **out);

struct certs_tls *certs_tls_ref(struct certs_tls *t);
/* Drop a reference; the last one wipes the passphrase and frees. NULL ok.
 * The directory stays (it is re-used by the next load). */
void certs_tls_deref(struct certs_tls *t);

/* The label given at load ("trunk itsp1"). */
const char *certs_tls_label(const struct certs_tls *t);
/* TPTAG_CERTIFICATE: the prepared directory (absolute). */
const char *certs_tls_dir(const struct certs_tls *t);
/* TPTAG_TLS_PASSPHRASE: tls_key_passphrase or NULL. A secret: never log. */
const char *certs_tls_passphrase(const struct certs_tls *t);
/* TPTAG_TLS_VERIFY_POLICY value (a TPTLS_VERIFY_* of <sofia-sip/tport_tag.h>)
 * to give Sofia for a transport of this section. */
unsigned certs_tls_sofia_verify_policy(const struct certs_tls *t);
/* TPTAG_TLS_VERIFY_DEPTH: longest peer chain accepted. */
unsigned certs_tls_verify_depth(const struct certs_tls *t);
/* The name the peer's certificate must carry (tls_verify_name, else
 * default_name), or NULL when neither is set. */
const char *certs_tls_expected_name(const struct certs_tls *t);
/* Is our own certificate configured (agent.pem present)? TLS-9, TLS-10. */
bool certs_tls_has_certificate(const struct certs_tls *t);
/* Is a trust anchor configured (tls_ca_file, tls_pin_certificate or
 * tls_pin_sha256)? Without one, peers are checked against the system trust
 * store. */
bool certs_tls_has_trust(const struct certs_tls *t);
/* tls_required (TLS-8). */
bool certs_tls_required(const struct certs_tls *t);

/* ---------------------------------------------------------------------- */
/* Every TLS connection Sofia-SIP runs                                     */

/* A TLS connection as certs/ sees it at the start of its handshake. */
struct certs_peer {
	bool outgoing;
	const struct sockaddr *peer; /* NULL when unknown */
	socklen_t peer_len;
	/* Our end: for an incoming connection the address of the listener
	 * that took it; for an outgoing one the bound source address (Sofia
	 * binds it to its listener's IP). NULL when unknown. */
	const struct sockaddr *local;
	socklen_t local_len;
};

/*
 * What trunk/ knows about a TLS peer. Asked at the start of every
 * handshake (signalling thread) with the direction and both addresses;
 * returns the policy of the section the peer belongs to (borrowed: certs
 * takes its own reference), or NULL to use the policy of the section whose
 * transport runs the connection (the one whose certs_tls_dir() Sofia got).
 * The policy gives the name sent as SNI and verified (RFC 5922), the trust
 * anchors, the TLS 1.2 cipher list and the OCSP mode. (The name Sofia
 * connects to is not visible from the SSL: trunk/ gets it from nta, the
 * transport of its request to that peer, tls_watch.c.)
 */
typedef struct certs_tls *(certs_peer_h)(const struct certs_peer *p, void *arg);
void certs_set_peer_handler(certs_peer_h *h, void *arg);

enum certs_conn_state {
	CERTS_CONN_HANDSHAKE, /* TCP up, TLS handshake running */
	CERTS_CONN_UP,	      /* handshake done, peer accepted */
	CERTS_CONN_FAILED,    /* handshake failed or peer refused */
};

enum certs_ocsp_status {
	CERTS_OCSP_NOT_CHECKED, /* off, not asked, or incoming */
	CERTS_OCSP_NO_STAPLE,	/* asked, the server sent none */
	CERTS_OCSP_GOOD,
	CERTS_OCSP_REVOKED,
	CERTS_OCSP_UNKNOWN,
	CERTS_OCSP_INVALID, /* bad signature, stale, other certificate */
};

/* "not-checked" "no-staple" "good" "revoked" "unknown" "invalid" */
const char *certs_ocsp_status_name(enum certs_ocsp_status s);

/* One TLS connection as trunkctl shows it (a copy: no lifetime issues). */
struct certs_conn_info {
	char local[64], peer[64]; /* "127.0.0.1:5061", "[::1]:5061" */
	bool outgoing;
	enum certs_conn_state state;
	char label[80];	     /* the policy's section: "trunk itsp1" */
	char version[16];    /* "TLSv1.3" (empty before the handshake) */
	char cipher[64];     /* "ECDHE-RSA-AES128-GCM-SHA256" */
	char sni[256];	     /* the name we sent (outgoing) or got */
	char identity[256];  /* the name the peer was accepted as, or "" */
	char peer_cert[300]; /* "CN=carrier.test", "" without one */
	time_t peer_expiry;  /* notAfter of the peer's certificate, 0 none */
	enum certs_ocsp_status ocsp;
	char failure[400]; /* CERTS_CONN_FAILED: why, one line */
};

/*
 * Called on the signalling thread when a handshake ends (UP or FAILED),
 * from inside Sofia's transport code: record, or defer work with a
 * zero-delay timer; never close or free Sofia objects from here.
 */
typedef void(certs_conn_h)(const struct certs_conn_info *info, void *arg);
void certs_set_conn_handler(certs_conn_h *h, void *arg);

/*
 * Bound every TLS handshake (from the TCP connection's SSL on) to MS
 * milliseconds: a peer that stalls or stays silent is disconnected with one
 * log line and a CERTS_CONN_FAILED event. The check runs on a timer of ROOT
 * (the signalling thread's). ROOT NULL or MS 0 stops it. Returns 0 or
 * ENOMEM.
 */
struct su_root_s;
int certs_set_handshake_timeout(struct su_root_s *root, unsigned ms);

/*
 * Called with the plaintext of every successful SSL_read() on a Sofia TLS
 * connection after its handshake (data, n > 0 bytes; what Sofia reads
 * next), on the signalling thread from inside Sofia's receive: record, or
 * defer work with a zero-delay timer. Sofia's TLS transport neither pongs
 * a CRLFCRLF keep-alive nor shows one (notes 4.3): trunk/ does both with
 * this (RFC 5626 3.5.1, OB-2, OB-6). NULL: none.
 */
typedef void(certs_read_h)(const struct certs_conn_info *info, const void *data,
			   size_t n, void *arg);
void certs_set_read_handler(certs_read_h *h, void *arg);

/*
 * When the data of the last SSL_read() on a Sofia TLS connection on this
 * thread reached the kernel (the oldest waiting then, SO_TIMESTAMPNS):
 * true with *ts (CLOCK_REALTIME), false when unknown. Asked while Sofia
 * delivers what it read, it tells how long a request waited before trunkd
 * read it (trunk/admission.c).
 */
struct timespec;
bool certs_tls_last_read_stamp(struct timespec *ts);

/* Call h for each live TLS connection (oldest first); returns how many. */
size_t certs_conn_foreach(certs_conn_h *h, void *arg);

#endif /* TRUNKD_CERTS_H */
