/*
 * trunk: SIP signalling, the B2BUA, registration and flows (DESIGN.md).
 * The top module: it owns the signalling thread (one su_root), assembles the
 * configuration schema of all modules, and wires everything together.
 * main() only parses the command line and calls in here.
 */
#ifndef TRUNKD_TRUNK_H
#define TRUNKD_TRUNK_H

#include <stddef.h>

#include <stdbool.h>

#include "config/config.h"

/* The whole trunkd.conf schema, NULL-terminated (all modules' sections). */
extern const struct config_section_def *const trunk_config_schema[];

/*
 * Load FILE with the full schema. Every error is printed to stderr as
 * "FILE:LINE: reason" (LINE 0 when it concerns the whole file). Returns 0
 * and a new config in *out (config_free()), or an errno value.
 */
int trunk_config_check(const char *file, struct config **out);

/* acl.c: whether a [pbx] acl item is an IP address or a CIDR prefix
 * ("192.0.2.0/24", "2001:db8::/32"). */
bool trunk_acl_item_ok(const char *item);
/* acl.c: whether name is a transport [pbx] acl_transports may list. */
bool trunk_acl_transport_ok(const char *name);

struct trunk_daemon_opts {
	const char *config_path; /* required */
	const char *pid_file;	 /* NULL: [global] pid_file, if set */
};

/*
 * Run the gateway in the foreground until SIGTERM or SIGINT (drain, then
 * exit). SIGHUP reloads the configuration. Returns the process exit status:
 * 0 after a clean shutdown, 1 when the configuration is invalid or start-up
 * failed (reason logged).
 */
int trunk_daemon_run(const struct trunk_daemon_opts *opts);

/* A call to decide without placing it (trunkd --dialplan-test, trunkctl
 * dialplan test; docs/dialplan.md). */
struct trunk_dialtest {
	bool inbound;	    /* trunk -> enterprise; else enterprise -> trunk */
	const char *number; /* dialled (outbound) or the R-URI user (inbound) */
	const char *caller; /* extension or number; NULL or "": anonymous */
	const char *context; /* NULL: the sender's own, as for a live call */
	/* The sender: a [phone] or [pbx] name (outbound; NULL: the phone
	 * whose extension is caller, else the first [pbx]) or a [trunk]
	 * name (inbound; NULL: the first). */
	const char *from;
	bool privacy; /* inbound: the carrier's INVITE has Privacy: id */
};

/* Load FILE and its dial plan and print what leg B's INVITE of q would
 * be to stdout (errors to stderr). Returns the exit status: 0, 1 (bad
 * config or plan, none configured), 2 (no such context or sender). */
int trunk_dialtest_offline(const char *file, const struct trunk_dialtest *q);

/* "trunkd 0.1.0 (Sofia-SIP ..., OpenSSL ..., ...)" */
const char *trunk_version_string(void);

/* Grows the heap by MB megabytes, touching every page, and keeps freed
 * heap mapped (glibc: up to that size; jemalloc: all of it) (heap.c); the
 * bytes reserved. */
size_t trunk_heap_reserve(size_t mb);

/* The allocator behind malloc(): "jemalloc 5.3.0", "glibc 2.36" or
 * "sanitizer" (heap.c). */
const char *trunk_malloc_name(void);

/* False when trunkd was built with jemalloc but another object's malloc()
 * does not reach it (the process would run on glibc's). */
bool trunk_malloc_check(void);

/* Tunes glibc's malloc at start (fastbins off); nothing with jemalloc. */
void trunk_malloc_tune(void);

/* Bytes of heap the program holds (blocks allocated, not the allocator's
 * free memory); jemalloc: the calling thread's cache flushed first. */
size_t trunk_heap_in_use(void);

#endif /* TRUNKD_TRUNK_H */
