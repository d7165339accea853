/*
 * trunk/cdr.c: call detail records written by their own thread. Rows hold
 * exactly what was handed over (an unanswered call: answer_ms NULL,
 * duration 0); the directory is made; a second writer appends; a table of
 * a newer trunkd or of another shape stops the start with the reason; a
 * database locked by someone else delays rows, never loses them while
 * within the queue bound, and beyond it drops and counts them; freeing the
 * writer writes what waits at once; with keep_days, rows older than that
 * are deleted.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit_test.h"
#include "trunk/cdr.h"

static char db_path[512];

static void path_in(const char *rel)
{
	snprintf(db_path, sizeof(db_path), "%s/%s", unit_dir, rel);
}

static struct trunk_cdr sample(unsigned long long call, bool answered)
{
	struct trunk_cdr r = {
		.call = call,
		.direction = "outbound",
		.trunk = "itsp",
		.from_a = "sip:2001@pbx.example",
		.ruri_a = "sip:+15550100001@192.0.2.1",
		.from_b = "\"Alice\" <sip:+15550100000@carrier.invalid>",
		.ruri_b = "sip:+15550100001@carrier.invalid;user=phone",
		.call_id_a = "a-1@192.0.2.2",
		.call_id_b = NULL, /* stored as "" */
		.emergency = false,
		.start_ms = 1795340000000LL,
		.answer_ms = answered ? 1795340002500LL : 0,
		.end_ms = 1795340062500LL,
		.status = answered ? 200 : 486,
		.reason = answered ? "BYE from leg A" : "486 from leg B",
		.rtp_a = answered ? 3000 : 0,
		.rtp_b = answered ? 2990 : 0,
	};
	return r;
}

static struct trunk_cdr_writer *open_writer(const struct trunk_cdr_opts *o)
{
	struct trunk_cdr_writer *w = NULL;
	char why[256] = "";

	if (trunk_cdr_writer_alloc(db_path, o, &w, why, sizeof(why))) {
		fprintf(stderr, "open %s: %s\n", db_path, why);
		return NULL;
	}
	return w;
}

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_type(s, 0) == SQLITE_NULL
			    ? -3
			    : sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static long long count_rows(void)
{
	sqlite3 *db;
	long long n;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	n = query_int(db, "SELECT count(*) FROM cdr");
	sqlite3_close(db);
	return n;
}

/* Poll up to 10 s for stats to satisfy ok(); true when they did. */
static bool wait_stats(struct trunk_cdr_writer *w,
		       bool (*ok)(const struct trunk_cdr_stats *, unsigned),
		       unsigned arg)
{
	struct trunk_cdr_stats st;
	struct timespec nap = { 0, 5000000 };
	int i;

	for (i = 0; i < 2000; i++) {
		trunk_cdr_writer_get_stats(w, &st);
		if (ok(&st, arg))
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

static bool written_is(const struct trunk_cdr_stats *st, unsigned n)
{
	return st->written == n;
}

static bool failed_at_least(const struct trunk_cdr_stats *st, unsigned n)
{
	return st->failures >= n;
}

static int text_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	int ok = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		ok = !strcmp((const char *)sqlite3_column_text(s, 0), want);
	if (!ok)
		fprintf(stderr, "%s: got %s, want %s\n", sql,
			sqlite3_column_text(s, 0)
				? (const char *)sqlite3_column_text(s, 0)
				: "(null)",
			want);
	sqlite3_finalize(s);
	return ok;
}

static int rows_exact(void)
{
	struct trunk_cdr_writer *w;
	struct trunk_cdr a = sample(7, true), b = sample(8, false);
	sqlite3 *db;

	path_in("cdr.sqlite");
	w = open_writer(NULL);
	CHECK(w != NULL);
	trunk_cdr_write(w, &a);
	trunk_cdr_write(w, &b);
	CHECK(wait_stats(w, written_is, 2));
	trunk_cdr_writer_free(w);
	CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
	      SQLITE_OK);
	CHECK(query_int(db, "SELECT count(*) FROM cdr") == 2);
	CHECK(text_is(db, "SELECT direction FROM cdr WHERE call=7",
		      "outbound"));
	CHECK(text_is(db, "SELECT trunk FROM cdr WHERE call=7", "itsp"));
	CHECK(text_is(db, "SELECT from_a FROM cdr WHERE call=7", a.from_a));
	CHECK(text_is(db, "SELECT ruri_a FROM cdr WHERE call=7", a.ruri_a));
	CHECK(text_is(db, "SELECT from_b FROM cdr WHERE call=7", a.from_b));
	CHECK(text_is(db, "SELECT ruri_b FROM cdr WHERE call=7", a.ruri_b));
	CHECK(text_is(db, "SELECT call_id_a FROM cdr WHERE call=7",
		      a.call_id_a));
	CHECK(text_is(db, "SELECT call_id_b FROM cdr WHERE call=7", ""));
	CHECK(text_is(db, "SELECT reason FROM cdr WHERE call=8",
		      "486 from leg B"));
	CHECK(query_int(db, "SELECT start_ms FROM cdr WHERE call=7") ==
	      1795340000000LL);
	CHECK(query_int(db, "SELECT answer_ms FROM cdr WHERE call=7") ==
	      1795340002500LL);
	CHECK(query_int(db, "SELECT end_ms FROM cdr WHERE call=7") ==
	      1795340062500LL);
	CHECK(query_int(db, "SELECT duration_ms FROM cdr WHERE call=7") ==
	      60000);
	CHECK(query_int(db, "SELECT status FROM cdr WHERE call=7") == 200);
	CHECK(query_int(db, "SELECT rtp_a FROM cdr WHERE call=7") == 3000);
	CHECK(query_int(db, "SELECT rtp_b FROM cdr WHERE call=7") == 2990);
	CHECK(query_int(db, "SELECT emergency FROM cdr WHERE call=7") == 0);
	/* Unanswered: no answer time, no duration. */
	CHECK(query_int(db, "SELECT answer_ms FROM cdr WHERE call=8") == -3);
	CHECK(query_int(db, "SELECT duration_ms FROM cdr WHERE call=8") == 0);
	CHECK(query_int(db, "SELECT status FROM cdr WHERE call=8") == 486);
	CHECK(text_is(db, "PRAGMA journal_mode", "wal"));
	sqlite3_close(db);
	return 0;
}

static int makes_directory(void)
{
	struct trunk_cdr_writer *w;
	struct trunk_cdr a = sample(1, true);

	path_in("var/lib/trunkd/cdr.sqlite");
	w = open_writer(NULL);
	CHECK(w != NULL);
	trunk_cdr_write(w, &a);
	trunk_cdr_writer_free(w); /* writes what waits */
	CHECK(count_rows() == 1);
	return 0;
}

static int appends(void)
{
	struct trunk_cdr_writer *w;
	struct trunk_cdr a = sample(1, true);
	int i;

	path_in("cdr.sqlite");
	for (i = 0; i < 2; i++) {
		w = open_writer(NULL);
		CHECK(w != NULL);
		trunk_cdr_write(w, &a);
		trunk_cdr_writer_free(w);
	}
	CHECK(count_rows() == 2);
	return 0;
}

static int exec_on(const char *sql)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(db_path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int refuses_other_tables(void)
{
	struct trunk_cdr_writer *w = NULL;
	char why[256] = "";

	path_in("newer.sqlite");
	CHECK(exec_on("PRAGMA user_version=2") == SQLITE_OK);
	CHECK(trunk_cdr_writer_alloc(db_path, NULL, &w, why, sizeof(why)) ==
	      EIO);
	CHECK(w == NULL);
	CHECK(strstr(why, "newer trunkd (schema 2") != NULL);
	path_in("foreign.sqlite");
	CHECK(exec_on("CREATE TABLE cdr (id INTEGER PRIMARY KEY, x TEXT)") ==
	      SQLITE_OK);
	CHECK(trunk_cdr_writer_alloc(db_path, NULL, &w, why, sizeof(why)) ==
	      EIO);
	/* SQLite's reason: its index, or the insert, wants our columns. */
	CHECK(strstr(why, "column") != NULL);
	/* A file that is no database. */
	path_in("junk.sqlite");
	{
		FILE *f = fopen(db_path, "w");

		CHECK(f != NULL);
		fputs("not a database, but long enough to have a header of "
		      "its own: 0123456789012345678901234567890123456789\n",
		      f);
		fclose(f);
	}
	CHECK(trunk_cdr_writer_alloc(db_path, NULL, &w, why, sizeof(why)) ==
	      EIO);
	CHECK(strstr(why, "not a database") != NULL);
	/* A directory that cannot be made: a file is in its place. */
	path_in("junk.sqlite/sub/cdr.sqlite");
	CHECK(trunk_cdr_writer_alloc(db_path, NULL, &w, why, sizeof(why)) ==
	      ENOTDIR);
	CHECK(strstr(why, "cannot make its directory") != NULL);
	path_in("junk.sqlite/cdr.sqlite");
	CHECK(trunk_cdr_writer_alloc(db_path, NULL, &w, why, sizeof(why)) ==
	      ENOTDIR);
	CHECK(strstr(why, "cannot make its directory: Not a directory") !=
	      NULL);
	return 0;
}

/* Another process's write transaction on the database, held by a thread
 * until released. */
struct holder {
	sqlite3 *db;
};

static int hold_lock(struct holder *h)
{
	if (sqlite3_open(db_path, &h->db) != SQLITE_OK)
		return -1;
	return sqlite3_exec(h->db, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
}

static void release_lock(struct holder *h)
{
	sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(h->db);
}

/* A writer on cdr.sqlite with short waits (queue_max 0: the default),
 * the database then locked by h; NULL if either failed. */
static struct trunk_cdr_writer *locked_writer(struct holder *h,
					      unsigned queue_max)
{
	struct trunk_cdr_opts o = { .batch_ms = 5,
				    .retry_ms = 20,
				    .busy_ms = 10,
				    .queue_max = queue_max };
	struct trunk_cdr_writer *w;

	path_in("cdr.sqlite");
	w = open_writer(&o);
	if (w && hold_lock(h) != SQLITE_OK) {
		trunk_cdr_writer_free(w);
		return NULL;
	}
	return w;
}

static int retries_when_locked(void)
{
	struct trunk_cdr a = sample(1, true), b = sample(2, false);
	struct trunk_cdr_stats st;
	struct holder h;
	struct trunk_cdr_writer *w = locked_writer(&h, 0);

	CHECK(w != NULL);
	trunk_cdr_write(w, &a);
	trunk_cdr_write(w, &b);
	CHECK(wait_stats(w, failed_at_least, 2)); /* tried, and again */
	trunk_cdr_writer_get_stats(w, &st);
	CHECK(st.written == 0 && st.queued == 2 && st.dropped == 0);
	release_lock(&h);
	CHECK(wait_stats(w, written_is, 2));
	trunk_cdr_writer_get_stats(w, &st);
	CHECK(st.queued == 0 && st.dropped == 0);
	trunk_cdr_writer_free(w);
	CHECK(count_rows() == 2);
	return 0;
}

static int bounded_when_locked(void)
{
	struct trunk_cdr a = sample(1, true);
	struct trunk_cdr_stats st;
	struct holder h;
	struct trunk_cdr_writer *w = locked_writer(&h, 4);
	int i;

	CHECK(w != NULL);
	for (i = 0; i < 4; i++)
		trunk_cdr_write(w, &a);
	CHECK(wait_stats(w, failed_at_least, 1)); /* all four pending */
	for (i = 0; i < 3; i++)
		trunk_cdr_write(w, &a);
	trunk_cdr_writer_get_stats(w, &st);
	CHECK(st.queued == 4 && st.dropped == 3);
	release_lock(&h);
	CHECK(wait_stats(w, written_is, 4));
	trunk_cdr_write(w, &a); /* room again */
	CHECK(wait_stats(w, written_is, 5));
	trunk_cdr_writer_free(w);
	CHECK(count_rows() == 5);
	return 0;
}

static int free_writes_at_once(void)
{
	struct trunk_cdr_opts o = { .batch_ms = 60000 };
	struct trunk_cdr_writer *w;
	struct trunk_cdr a = sample(1, true);
	struct timespec t0, t1;
	int i;

	path_in("cdr.sqlite");
	w = open_writer(&o);
	CHECK(w != NULL);
	for (i = 0; i < 1000; i++) {
		a.call = (unsigned long long)i;
		trunk_cdr_write(w, &a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	trunk_cdr_writer_free(w); /* not after the minute's batch */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 30);
	CHECK(count_rows() == 1000);
	return 0;
}

static char log_buf[4096];

static void free_writer(void *w)
{
	trunk_cdr_writer_free(w);
}

static int free_gives_up_when_locked(void)
{
	struct trunk_cdr a = sample(1, true);
	struct holder h;
	struct trunk_cdr_writer *w = locked_writer(&h, 0);

	CHECK(w != NULL);
	trunk_cdr_write(w, &a);
	CHECK(wait_stats(w, failed_at_least, 1));
	/* One more try, then dropped, counted and said. */
	CHECK(unit_capture(log_buf, sizeof(log_buf), free_writer, w) > 0);
	release_lock(&h);
	CHECK(strstr(log_buf, "1 call records dropped (1 in all)") != NULL);
	CHECK(count_rows() == 0);
	return 0;
}

static bool purged_is(const struct trunk_cdr_stats *st, unsigned n)
{
	return st->purged == n;
}

/* keep_days: the rows of calls that started earlier go, a chunk at a
 * time (2,500: three chunks), the others stay. */
static int purges_old_rows(void)
{
	struct trunk_cdr_opts o = { .keep_days = 30, .purge_ms = 50 };
	struct trunk_cdr old = sample(1, true), recent = sample(2, true);
	struct timespec now;
	struct trunk_cdr_writer *w;
	int i;

	clock_gettime(CLOCK_REALTIME, &now);
	recent.start_ms = (long long)now.tv_sec * 1000 - 86400000LL;
	recent.answer_ms = recent.end_ms = recent.start_ms + 1000;
	old.start_ms = recent.start_ms - 40 * 86400000LL;
	old.answer_ms = old.end_ms = old.start_ms + 1000;
	path_in("purge.sqlite");
	w = open_writer(&o);
	CHECK(w != NULL);
	for (i = 0; i < 2500; i++)
		trunk_cdr_write(w, &old);
	for (i = 0; i < 3; i++)
		trunk_cdr_write(w, &recent);
	CHECK(wait_stats(w, written_is, 2503));
	CHECK(wait_stats(w, purged_is, 2500));
	CHECK(count_rows() == 3);
	trunk_cdr_writer_free(w);
	/* keep_days 0 (the default): nothing goes. */
	w = open_writer(NULL);
	CHECK(w != NULL);
	trunk_cdr_write(w, &old);
	trunk_cdr_writer_free(w);
	CHECK(count_rows() == 4);
	return 0;
}

static const struct unit_case cases[] = {
	{ "rows_exact", rows_exact },
	{ "makes_directory", makes_directory },
	{ "appends", appends },
	{ "refuses_other_tables", refuses_other_tables },
	{ "retries_when_locked", retries_when_locked },
	{ "bounded_when_locked", bounded_when_locked },
	{ "free_writes_at_once", free_writes_at_once },
	{ "free_gives_up_when_locked", free_gives_up_when_locked },
	{ "purges_old_rows", purges_old_rows },
};

UNIT_MAIN(cases)
