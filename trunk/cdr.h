/*
 * trunk/cdr.h: call detail records, one SQLite row per call, written by a
 * thread of their own (DESIGN.md: "records: CDR writer thread -> SQLite";
 * decision 10: nothing blocks the signalling thread). docs/cdr.md has the
 * table and example queries.
 */
#ifndef TRUNK_CDR_H
#define TRUNK_CDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One finished call. Strings are borrowed for the call of
 * trunk_cdr_write() only (NULL stands for ""). */
struct trunk_cdr {
	unsigned long long call; /* trunkd's call number (trunkctl calls) */
	const char *direction;	 /* outbound, inbound, internal, transit */
	const char *trunk;	 /* the carrier's [trunk] name, "" if none */
	const char *from_a;	 /* leg A's From URI, as received */
	const char *ruri_a;	 /* leg A's Request-URI, as received */
	const char *from_b;	 /* the From we sent on leg B */
	const char *ruri_b;	 /* leg B's Request-URI */
	const char *call_id_a, *call_id_b;
	bool emergency;
	int64_t start_ms;   /* INVITE received: Unix time, milliseconds */
	int64_t answer_ms;  /* 2xx relayed to leg A; 0: never answered */
	int64_t end_ms;	    /* the call ended */
	unsigned status;    /* final status to leg A's INVITE; 0: none */
	const char *reason; /* why it ended, as logged */
	uint64_t rtp_a;	    /* RTP packets received from leg A's peer */
	uint64_t rtp_b;	    /* ... from leg B's peer */
};

/* Tuning; zero fields take the defaults (tests shorten them). */
struct trunk_cdr_opts {
	unsigned batch_ms;  /* gather rows this long per transaction: 100 */
	unsigned retry_ms;  /* after a failed transaction: 1000 */
	unsigned queue_max; /* rows waiting beyond it are dropped: 65536 */
	unsigned busy_ms;   /* SQLite busy timeout: 2000 */
	unsigned keep_days; /* delete rows that started earlier; 0: keep all */
	unsigned purge_ms;  /* look for such rows this often: 3,600,000 */
};

struct trunk_cdr_stats {
	unsigned long long written;  /* rows committed */
	unsigned long long dropped;  /* never written: queue full, or lost
				       at shutdown with the database failing */
	unsigned long long failures; /* transactions that failed */
	unsigned queued;	     /* accepted, not yet written */
	unsigned long long purged;   /* deleted after keep_days */
};

struct trunk_cdr_writer;

/* mkdir -p of the directory of path (mode 0755; the control socket's
 * too): 0, or an errno value (ENOTDIR: a file is in the way). */
int trunk_mkdir_parents(const char *path);
/* Now, in the records' unit: Unix time in milliseconds. */
int64_t trunk_cdr_now_ms(void);

/*
 * Open (create) the database at path, its directory too if missing, in
 * WAL mode, check or create its table, and start the writer thread.
 * 0 and *out (owned by the caller: trunk_cdr_writer_free()), or an errno
 * value with the reason in why (SQLite's message, or a schema made by
 * another version).
 */
int trunk_cdr_writer_alloc(const char *path, const struct trunk_cdr_opts *opts,
			   struct trunk_cdr_writer **out, char *why,
			   size_t why_size);
/* Queue one record (copied); never blocks on the disk. Dropped and
 * counted when queue_max rows already wait (a failing batch included).
 * w NULL: nothing. */
void trunk_cdr_write(struct trunk_cdr_writer *w, const struct trunk_cdr *r);
void trunk_cdr_writer_get_stats(struct trunk_cdr_writer *w,
				struct trunk_cdr_stats *st);
/* Write what is queued (one more try if the database is failing; what
 * still cannot be written is counted dropped and logged), stop the
 * thread, close the database. NULL: nothing. */
void trunk_cdr_writer_free(struct trunk_cdr_writer *w);

#endif
