/*
 * trunk/cdr.c: call detail records in SQLite, written by their own thread.
 *
 * The signalling thread hands each finished call to trunk_cdr_write(): one
 * malloc (the record and its strings) and one short, uncontended lock,
 * never a disk write (DESIGN.md decision 10). The writer thread gathers
 * what arrives for batch_ms and inserts it in one transaction (WAL,
 * synchronous=NORMAL: a commit is on disk at the next checkpoint, and a
 * crash of trunkd loses nothing committed). When a transaction fails (disk
 * full, a reader holding a write lock past the busy timeout) the batch is
 * kept and tried again after retry_ms; meanwhile new rows queue up to
 * queue_max, and beyond it are dropped and counted, so a stalled disk
 * never grows trunkd's memory without bound. Failures and drops are
 * logged once per episode by the writer thread.
 *
 *   signalling thread            writer thread
 *   trunk_cdr_write() --queue--> wait, gather batch_ms, BEGIN; INSERT x N;
 *                                COMMIT (failed: keep, retry_ms, again)
 *
 * With keep_days, the same thread deletes the rows that started longer
 * ago than that, at start and every purge_ms, CDR_PURGE_CHUNK rows per
 * statement (by the start_ms index) with the inserts in between, so a
 * large backlog never holds the write lock long.
 */
#include "cdr.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config/config.h"

#define SUBSYS "trunk.cdr"

#define CDR_SCHEMA_VERSION 1
#define CDR_PURGE_CHUNK	   1000
#define CDR_STR_(x)	   #x
#define CDR_STR(x)	   CDR_STR_(x)

struct cdr_row {
	struct cdr_row *next;
	struct trunk_cdr r; /* strings point into the same block */
};

struct trunk_cdr_writer {
	sqlite3 *db; /* the writer thread's once it runs */
	sqlite3_stmt *insert;
	sqlite3_stmt *purge; /* NULL: keep_days 0 */
	struct trunk_cdr_opts opts;
	pthread_t thread;
	pthread_mutex_t lock; /* what follows, to "stats" */
	pthread_cond_t wake;
	struct cdr_row *head, **tail;
	unsigned nhead; /* rows in head; stats.queued counts pending too */
	bool stopping;
	bool waiting; /* the writer sleeps until a row comes */
	struct trunk_cdr_stats stats;
	/* The writer's own: a batch that failed, tried again. */
	struct cdr_row *pending;
	unsigned npending;
	bool failing;			 /* logged: "cannot write" */
	unsigned long long said_dropped; /* logged up to here */
	int64_t next_purge_ms;		 /* the next round (trunk_cdr_now_ms) */
	unsigned long long round_purged; /* rows deleted this round */
};

static const char cdr_table[] =
	"CREATE TABLE IF NOT EXISTS cdr ("
	"id INTEGER PRIMARY KEY,"
	"call INTEGER NOT NULL,"
	"direction TEXT NOT NULL,"
	"trunk TEXT NOT NULL,"
	"from_a TEXT NOT NULL,"
	"ruri_a TEXT NOT NULL,"
	"from_b TEXT NOT NULL,"
	"ruri_b TEXT NOT NULL,"
	"call_id_a TEXT NOT NULL,"
	"call_id_b TEXT NOT NULL,"
	"emergency INTEGER NOT NULL,"
	"start_ms INTEGER NOT NULL,"
	"answer_ms INTEGER,"
	"end_ms INTEGER NOT NULL,"
	"duration_ms INTEGER NOT NULL,"
	"status INTEGER NOT NULL,"
	"reason TEXT NOT NULL,"
	"rtp_a INTEGER NOT NULL,"
	"rtp_b INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS cdr_start ON cdr(start_ms);";

static const char cdr_insert[] =
	"INSERT INTO cdr (call, direction, trunk, from_a, ruri_a, from_b, "
	"ruri_b, call_id_a, call_id_b, emergency, start_ms, answer_ms, "
	"end_ms, duration_ms, status, reason, rtp_a, rtp_b) VALUES "
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* The oldest rows first, by the start_ms index. */
static const char cdr_purge[] =
	"DELETE FROM cdr WHERE id IN (SELECT id FROM cdr WHERE start_ms < ?1 "
	"ORDER BY start_ms LIMIT " CDR_STR(CDR_PURGE_CHUNK) ")";

/* ---------------------------------------------------------------------- */
/* Records                                                                 */

static size_t cdr_len(const char *s)
{
	return s ? strlen(s) + 1 : 1;
}

static const char *cdr_put(char **p, const char *s)
{
	char *at = *p;
	size_t n = cdr_len(s);

	memcpy(at, s ? s : "", n);
	*p += n;
	return at;
}

/* The record and its strings in one block. */
static struct cdr_row *cdr_row_make(const struct trunk_cdr *r)
{
	const char *const s[] = { r->direction, r->trunk,     r->from_a,
				  r->ruri_a,	r->from_b,    r->ruri_b,
				  r->call_id_a, r->call_id_b, r->reason };
	size_t n = sizeof(struct cdr_row), i;
	struct cdr_row *row;
	char *p;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		n += cdr_len(s[i]);
	row = malloc(n);
	if (!row)
		return NULL;
	row->next = NULL;
	row->r = *r;
	p = (char *)(row + 1);
	row->r.direction = cdr_put(&p, r->direction);
	row->r.trunk = cdr_put(&p, r->trunk);
	row->r.from_a = cdr_put(&p, r->from_a);
	row->r.ruri_a = cdr_put(&p, r->ruri_a);
	row->r.from_b = cdr_put(&p, r->from_b);
	row->r.ruri_b = cdr_put(&p, r->ruri_b);
	row->r.call_id_a = cdr_put(&p, r->call_id_a);
	row->r.call_id_b = cdr_put(&p, r->call_id_b);
	row->r.reason = cdr_put(&p, r->reason);
	return row;
}

static unsigned cdr_rows_free(struct cdr_row *row)
{
	struct cdr_row *next;
	unsigned n = 0;

	for (; row; row = next, n++) {
		next = row->next;
		free(row);
	}
	return n;
}

void trunk_cdr_write(struct trunk_cdr_writer *w, const struct trunk_cdr *r)
{
	struct cdr_row *row;
	bool wake;

	if (!w)
		return;
	row = cdr_row_make(r);
	pthread_mutex_lock(&w->lock);
	if (!row || w->stats.queued >= w->opts.queue_max) {
		w->stats.dropped++;
		pthread_mutex_unlock(&w->lock);
		free(row);
		return;
	}
	*w->tail = row;
	w->tail = &row->next;
	w->nhead++;
	w->stats.queued++;
	wake = w->waiting;
	w->waiting = false;
	pthread_mutex_unlock(&w->lock);
	if (wake)
		pthread_cond_signal(&w->wake);
}

void trunk_cdr_writer_get_stats(struct trunk_cdr_writer *w,
				struct trunk_cdr_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	*st = w->stats;
	pthread_mutex_unlock(&w->lock);
}

/* ---------------------------------------------------------------------- */
/* The writer thread                                                       */

static int cdr_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int cdr_insert_row(struct trunk_cdr_writer *w, const struct trunk_cdr *r)
{
	sqlite3_stmt *s = w->insert;
	int rc;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->call);
	cdr_bind_text(s, 2, r->direction);
	cdr_bind_text(s, 3, r->trunk);
	cdr_bind_text(s, 4, r->from_a);
	cdr_bind_text(s, 5, r->ruri_a);
	cdr_bind_text(s, 6, r->from_b);
	cdr_bind_text(s, 7, r->ruri_b);
	cdr_bind_text(s, 8, r->call_id_a);
	cdr_bind_text(s, 9, r->call_id_b);
	sqlite3_bind_int(s, 10, r->emergency);
	sqlite3_bind_int64(s, 11, r->start_ms);
	if (r->answer_ms)
		sqlite3_bind_int64(s, 12, r->answer_ms);
	else
		sqlite3_bind_null(s, 12);
	sqlite3_bind_int64(s, 13, r->end_ms);
	sqlite3_bind_int64(s, 14,
			   r->answer_ms && r->end_ms > r->answer_ms
				   ? r->end_ms - r->answer_ms
				   : 0);
	sqlite3_bind_int(s, 15, (int)r->status);
	cdr_bind_text(s, 16, r->reason);
	sqlite3_bind_int64(s, 17, (sqlite3_int64)r->rtp_a);
	sqlite3_bind_int64(s, 18, (sqlite3_int64)r->rtp_b);
	rc = sqlite3_step(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The pending batch in one transaction: SQLITE_OK, or SQLite's error
 * (rolled back; the batch stays pending). */
static int cdr_commit(struct trunk_cdr_writer *w)
{
	struct cdr_row *row;
	int rc = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	for (row = w->pending; rc == SQLITE_OK && row; row = row->next)
		rc = cdr_insert_row(w, &row->r);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(w->db))
		sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Write the pending batch; log the first failure of a series and the
 * recovery. True when it was written. */
static bool cdr_flush(struct trunk_cdr_writer *w)
{
	int rc = cdr_commit(w);
	unsigned n = w->npending;

	pthread_mutex_lock(&w->lock);
	if (rc == SQLITE_OK) {
		w->stats.written += n;
		w->stats.queued -= n;
	} else {
		w->stats.failures++;
	}
	pthread_mutex_unlock(&w->lock);
	if (rc != SQLITE_OK) {
		if (!w->failing)
			LOGE(SUBSYS, NULL,
			     "cannot write %u call records: %s (kept, tried "
			     "again every %u ms)",
			     n, sqlite3_errstr(rc), w->opts.retry_ms);
		w->failing = true;
		return false;
	}
	if (w->failing)
		LOGI(SUBSYS, NULL, "call records written again (%u waited)", n);
	w->failing = false;
	cdr_rows_free(w->pending);
	w->pending = NULL;
	w->npending = 0;
	return true;
}

/* Sleep ms unless stopping; with the lock held. */
int64_t trunk_cdr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A trunk_cdr_now_ms() time as pthread_cond_timedwait() takes it. */
static struct timespec cdr_abstime(int64_t ms)
{
	struct timespec t = { .tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000 };

	return t;
}

static void cdr_nap(struct trunk_cdr_writer *w, unsigned ms)
{
	struct timespec until = cdr_abstime(trunk_cdr_now_ms() + ms);

	while (!w->stopping &&
	       pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
		;
}

static void cdr_say_dropped(struct trunk_cdr_writer *w)
{
	unsigned long long d = w->stats.dropped;

	if (d == w->said_dropped)
		return;
	LOGE(SUBSYS, NULL,
	     "%llu call records dropped (%llu in all): the database did not "
	     "take them (at most %u wait)",
	     d - w->said_dropped, d, w->opts.queue_max);
	w->said_dropped = d;
}

/* Take what is queued onto the pending batch; with the lock held. */
static void cdr_take(struct trunk_cdr_writer *w)
{
	struct cdr_row **end = &w->pending;

	while (*end)
		end = &(*end)->next;
	*end = w->head;
	w->npending += w->nhead;
	w->head = NULL;
	w->tail = &w->head;
	w->nhead = 0;
}

/* Rows given up (at shutdown, the database failing); with the lock. */
static void cdr_give_up(struct trunk_cdr_writer *w)
{
	unsigned n = cdr_rows_free(w->pending) + cdr_rows_free(w->head);

	w->pending = w->head = NULL;
	w->tail = &w->head;
	w->npending = w->nhead = 0;
	w->stats.queued -= n;
	w->stats.dropped += n;
	cdr_say_dropped(w);
}

static bool cdr_purge_due(const struct trunk_cdr_writer *w)
{
	return w->purge && trunk_cdr_now_ms() >= w->next_purge_ms;
}

/* Delete up to CDR_PURGE_CHUNK rows that started before keep_days; the
 * round ends (next one in purge_ms, logged if it deleted any) when fewer
 * were left, or on an error (logged; tried again next round). Without
 * the lock. */
static void cdr_purge_chunk(struct trunk_cdr_writer *w)
{
	int64_t now = trunk_cdr_now_ms();
	int64_t before = now - (int64_t)w->opts.keep_days * 86400000;
	int rc, n = 0;

	sqlite3_reset(w->purge);
	sqlite3_bind_int64(w->purge, 1, before);
	rc = sqlite3_step(w->purge);
	if (rc == SQLITE_DONE)
		n = sqlite3_changes(w->db);
	sqlite3_reset(w->purge);
	pthread_mutex_lock(&w->lock);
	w->stats.purged += (unsigned long long)n;
	pthread_mutex_unlock(&w->lock);
	w->round_purged += (unsigned long long)n;
	if (rc == SQLITE_DONE && n == CDR_PURGE_CHUNK)
		return; /* more to delete: next chunk after the inserts */
	if (rc != SQLITE_DONE)
		LOGW(SUBSYS, NULL,
		     "cannot delete call records older than %u days: %s "
		     "(tried again in %u s)",
		     w->opts.keep_days, sqlite3_errstr(rc),
		     w->opts.purge_ms / 1000);
	if (w->round_purged)
		LOGI(SUBSYS, NULL,
		     "deleted %llu call records older than %u days",
		     w->round_purged, w->opts.keep_days);
	w->round_purged = 0;
	w->next_purge_ms = now + w->opts.purge_ms;
}

/* Wait for rows (or until the next purge); with the lock held. */
static void cdr_wait(struct trunk_cdr_writer *w)
{
	struct timespec until = cdr_abstime(w->next_purge_ms);

	w->waiting = true;
	if (w->purge)
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
	else
		pthread_cond_wait(&w->wake, &w->lock);
}

static void *cdr_thread(void *arg)
{
	struct trunk_cdr_writer *w = arg;
	bool ok = true;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->pending && !w->stopping &&
		       !cdr_purge_due(w))
			cdr_wait(w);
		if (w->stopping && !w->head && !w->pending)
			break;
		if (w->head || w->pending) {
			/* A failed batch waits retry_ms; a new one gathers
			 * rows. */
			cdr_nap(w, ok ? w->opts.batch_ms : w->opts.retry_ms);
			cdr_take(w);
			cdr_say_dropped(w);
			pthread_mutex_unlock(&w->lock);
			ok = cdr_flush(w);
			pthread_mutex_lock(&w->lock);
			if (!ok && w->stopping) { /* the one more try failed */
				cdr_give_up(w);
				break;
			}
		}
		if (ok && !w->stopping && cdr_purge_due(w)) {
			pthread_mutex_unlock(&w->lock);
			cdr_purge_chunk(w);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Opening                                                                 */

/* One directory: made, or there already (not a file). */
static int mkdir_one(const char *dir)
{
	struct stat st;

	if (!mkdir(dir, 0755))
		return 0;
	if (errno != EEXIST)
		return errno;
	if (stat(dir, &st))
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

int trunk_mkdir_parents(const char *path)
{
	char dir[4096];
	char *p;
	int rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return ENAMETOOLONG;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = mkdir_one(dir);
		if (rc)
			return rc;
		*p = '/';
	}
	return mkdir_one(dir);
}

static int cdr_user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* WAL, the table, the insert: 0, or EIO with the reason in why. */
static int cdr_schema(struct trunk_cdr_writer *w, char *why, size_t why_size)
{
	char sql[64];
	int v = 0;
	int rc = sqlite3_busy_timeout(w->db, (int)w->opts.busy_ms);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(w->db,
				  "PRAGMA journal_mode=WAL;"
				  "PRAGMA synchronous=NORMAL",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = cdr_user_version(w->db, &v);
	if (rc == SQLITE_OK && v > CDR_SCHEMA_VERSION) {
		snprintf(why, why_size,
			 "its table is of a newer trunkd (schema %d, this one "
			 "writes %d)",
			 v, CDR_SCHEMA_VERSION);
		return EIO;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
		 CDR_SCHEMA_VERSION);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(w->db, cdr_table, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
	/* A table of the same name made otherwise fails here. */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(w->db, cdr_insert, -1,
					SQLITE_PREPARE_PERSISTENT, &w->insert,
					NULL);
	if (rc == SQLITE_OK && w->opts.keep_days)
		rc = sqlite3_prepare_v3(w->db, cdr_purge, -1,
					SQLITE_PREPARE_PERSISTENT, &w->purge,
					NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, why_size, "%s", sqlite3_errmsg(w->db));
		return EIO;
	}
	return 0;
}

static void cdr_writer_close_db(struct trunk_cdr_writer *w)
{
	sqlite3_finalize(w->purge);
	sqlite3_finalize(w->insert);
	sqlite3_close(w->db);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int trunk_cdr_writer_alloc(const char *path, const struct trunk_cdr_opts *opts,
			   struct trunk_cdr_writer **out, char *why,
			   size_t why_size)
{
	struct trunk_cdr_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return ENOMEM;
	if (opts)
		w->opts = *opts;
	w->opts.batch_ms = w->opts.batch_ms ? w->opts.batch_ms : 100;
	w->opts.retry_ms = w->opts.retry_ms ? w->opts.retry_ms : 1000;
	w->opts.queue_max = w->opts.queue_max ? w->opts.queue_max : 65536;
	w->opts.busy_ms = w->opts.busy_ms ? w->opts.busy_ms : 2000;
	w->opts.purge_ms = w->opts.purge_ms ? w->opts.purge_ms : 3600000;
	w->next_purge_ms = trunk_cdr_now_ms(); /* the first round at once */
	w->tail = &w->head;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	rc = trunk_mkdir_parents(path);
	if (rc) {
		snprintf(why, why_size, "cannot make its directory: %s",
			 strerror(rc));
		goto out;
	}
	if (sqlite3_open_v2(path, &w->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(why, why_size, "%s",
			 w->db ? sqlite3_errmsg(w->db) : "out of memory");
		rc = w->db ? EIO : ENOMEM;
		goto out;
	}
	rc = cdr_schema(w, why, why_size);
	if (rc)
		goto out;
	rc = pthread_create(&w->thread, NULL, cdr_thread, w);
	if (rc)
		snprintf(why, why_size, "cannot start its thread: %s",
			 strerror(rc));
out:
	if (rc) {
		cdr_writer_close_db(w);
		return rc;
	}
	*out = w;
	return 0;
}

void trunk_cdr_writer_free(struct trunk_cdr_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_mutex_unlock(&w->lock);
	pthread_cond_signal(&w->wake);
	pthread_join(w->thread, NULL);
	cdr_writer_close_db(w);
}
