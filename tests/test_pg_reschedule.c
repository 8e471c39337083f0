/* Concurrent moves of one provider's bookings against PostgreSQL (issue 3,
 * part 4: "serialisation failures and deadlocks are retried inside the
 * library, never surfaced").
 *
 *   test_pg_reschedule [LABEL]
 *
 * 16 threads, each with its own handle, run rounds in lockstep on one
 * provider (a 60-minute service on a 5-minute grid, 15-minute buffers).
 * Every round opens a fresh hour nobody has booked: 14 threads move their
 * own booking into it, two book a new slot in it, each at a random
 * 5-minute offset.  All of them read the hour as free, so their UPDATEs
 * and INSERTs reach the server together with overlapping ranges -- the
 * case where two UPDATEs under the exclusion constraint each wait for the
 * other's uncommitted index entry.  Without the library's per-provider
 * lock (postgres.c, ST_BOOKING_UPDATE) about half the runs hit such
 * deadlocks, 139 to 417 of them, and some reached the caller as
 * "deadlock detected" after the retries ran out.
 *
 * Fails on any status but BK_OK and BK_ECONFLICT, on overlapping live bookings
 * afterwards, on a booking that is not where its thread put it, and --
 * stronger than "no deadlock reached the caller" -- on any deadlock the
 * server detected in this database during the run
 * (pg_stat_database.deadlocks): the library serialises a provider's
 * booking moves, so there must be none to retry.
 *
 * Environment (tests/pg/with-fresh-db.sh sets it):
 *   BK_TEST_URI, BK_TEST_PG_URI   as in test_pg_torture.c
 *   BK_TEST_BOOKING_PARTITIONS    bk_open_options.booking_partitions (0)
 *   BK_TEST_RESCHEDULE_ROUNDS     rounds (default 200)
 *   BK_TEST_SEED                  the random seed (printed)
 * No server: skipped (exit 77), a failure with CI=true.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <booking.h>
#include <libpq-fe.h>

#include "harness.h"

#define THREADS 16
#define GRID 300         /* seconds: the service's 5-minute grid */
#define OFFSETS 12       /* starts within the round's hour: every pair overlaps */
#define ROUND_SECONDS ((bk_time)4 * 3600)
#define MOVERS 14        /* threads 0..13 move, 14 and 15 book */
#define N_CODES 16

static const char *label = "pg_reschedule";

typedef struct shared {
    pthread_barrier_t barrier;
    bk_id provider, service;
    bk_time t0;
    long rounds;
} shared;

typedef struct worker {
    pthread_t thread;
    int index;
    unsigned int seed;
    shared *sh;
    bk_id booking;
    int64_t lock_version;
    bk_time start;
    long moved, conflicts, booked, unexpected;
    long codes[N_CODES];
    char first_unexpected[400];
} worker;

static long env_long(const char *name, long dflt, long lo, long hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi) {
        fprintf(stderr, "%s=%s: not a number in %ld..%ld, using %ld\n", name, v, lo, hi, dflt);
        return dflt;
    }
    return x;
}

static int open_db(bk_db **db)
{
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    o.booking_partitions = (int)env_long("BK_TEST_BOOKING_PARTITIONS", 0, 0, 256);
    return bk_open_ext(db, getenv("BK_TEST_URI"), &o);
}

static void unexpected(worker *w, bk_db *db, const char *what, int rc)
{
    w->unexpected++;
    if (!w->first_unexpected[0])
        snprintf(w->first_unexpected, sizeof w->first_unexpected, "thread %d: %s: %s (%s)", w->index, what,
                 bk_strerror(rc), bk_errmsg(db));
}

static void count(worker *w, int rc)
{
    if (rc <= 0 && -rc < N_CODES)
        w->codes[-rc]++;
}

/* A random start in round r's hour. */
static bk_time random_start(worker *w, long r)
{
    return w->sh->t0 + (bk_time)r * ROUND_SECONDS + (bk_time)(rand_r(&w->seed) % OFFSETS) * GRID;
}

static int book(worker *w, bk_db *db, bk_time start, bk_booking **out)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = w->sh->provider;
    r.service = w->sh->service;
    r.start = start;
    r.now = w->sh->t0 - 86400;
    r.customer_name = "Reschedule Stress";
    r.customer_email = "stress@example.com";
    int rc = bk_book(db, &r, out);
    count(w, rc);
    return rc;
}

static void move_own(worker *w, bk_db *db, long round)
{
    bk_booking *b = NULL;
    int rc = bk_booking_reschedule(db, &w->booking, w->lock_version, random_start(w, round), w->sh->t0 - 86400, &b);
    count(w, rc);
    if (rc == BK_OK) {
        w->lock_version = b->lock_version;
        w->start = b->start;
        w->moved++;
    } else if (rc == BK_ECONFLICT) {
        w->conflicts++;
    } else {
        unexpected(w, db, "bk_booking_reschedule", rc);
    }
    bk_booking_free(b);
}

static void book_new(worker *w, bk_db *db, long round)
{
    int rc = book(w, db, random_start(w, round), NULL);
    if (rc == BK_OK)
        w->booked++;
    else if (rc == BK_ECONFLICT)
        w->conflicts++;
    else
        unexpected(w, db, "bk_book", rc);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    bk_db *db = NULL;
    int rc = open_db(&db);
    if (rc != BK_OK)
        unexpected(w, NULL, "bk_open", rc);
    /* A mover's own booking starts in round 0's slot of its own, a day
     * before the rounds' hours. */
    if (rc == BK_OK && w->index < MOVERS) {
        bk_booking *b = NULL;
        rc = book(w, db, w->sh->t0 - 86400 + (bk_time)w->index * 2 * 3600, &b);
        if (rc == BK_OK) {
            w->booking = b->id;
            w->lock_version = b->lock_version;
            w->start = b->start;
        } else {
            unexpected(w, db, "the first bk_book", rc);
        }
        bk_booking_free(b);
    }
    for (long round = 0; round < w->sh->rounds; round++) {
        pthread_barrier_wait(&w->sh->barrier);
        if (rc != BK_OK)
            continue; /* keep the barrier's count; the failure is recorded */
        if (w->index < MOVERS)
            move_own(w, db, round);
        else
            book_new(w, db, round);
    }
    bk_close(db);
    return NULL;
}

/* ---- libpq checks ---- */

static PGconn *connect_checker(void)
{
    PGconn *c = PQconnectdb(getenv("BK_TEST_PG_URI"));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect for the checks: %s", PQerrorMessage(c));
    return c;
}

static long scalar(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

/* This database's deadlock count, once every other session of it is gone:
 * a backend reports its statistics when it ends at the latest. */
static long deadlocks(PGconn *c)
{
    for (int i = 0; i < 200; i++) {
        if (scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                      " AND pid <> pg_backend_pid() AND backend_type = 'client backend'") == 0)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    PQclear(PQexec(c, "SELECT pg_stat_clear_snapshot()"));
    return scalar(c, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
}

static int make_world(shared *sh, char *why, size_t size)
{
    bk_db *db = NULL;
    int rc = open_db(&db);
    if (rc != BK_OK) {
        snprintf(why, size, "bk_open: %s", bk_errmsg(NULL));
        return 0;
    }
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "stress";
    p.email = "stress-provider@example.com";
    p.full_name = "Stress Provider";
    p.timezone = "UTC";
    rc = bk_provider_create(db, &p, &sh->provider);
    for (int wd = 0; wd < 7 && rc == BK_OK; wd++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = sh->provider;
        a.weekday = wd;
        a.start_minute = 0;
        a.end_minute = 1440;
        rc = bk_availability_add(db, &a, NULL);
    }
    bk_service sv = BK_SERVICE_INIT;
    sv.provider = sh->provider;
    sv.name = "hour";
    sv.duration_minutes = 60;
    sv.buffer_before_minutes = 15;
    sv.buffer_after_minutes = 15;
    sv.slot_step_minutes = 5;
    if (rc == BK_OK)
        rc = bk_service_create(db, &sv, &sh->service);
    if (rc != BK_OK)
        snprintf(why, size, "making the provider: %s: %s", bk_strerror(rc), bk_errmsg(db));
    bk_close(db);
    return rc == BK_OK;
}

START_TEST(concurrent_moves_neither_deadlock_nor_overlap)
{
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.rounds = env_long("BK_TEST_RESCHEDULE_ROUNDS", 200, 1, 10000);
    unsigned int seed =
        (unsigned int)env_long("BK_TEST_SEED", (long)(time(NULL) ^ getpid()) & 0x7fffffff, 0, 0x7fffffff);
    ck_assert_int_eq(bk_time_parse_iso("2031-03-03T06:00:00Z", &sh.t0), BK_OK);
    char why[600] = "";
    ck_assert_msg(make_world(&sh, why, sizeof why), "%s", why);

    PGconn *c = connect_checker();
    long deadlocks_before = deadlocks(c);

    ck_assert_int_eq(pthread_barrier_init(&sh.barrier, NULL, THREADS), 0);
    worker w[THREADS];
    memset(w, 0, sizeof w);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < THREADS; i++) {
        w[i].index = i;
        w[i].seed = seed * 7919u + (unsigned int)i * 104729u + 1u;
        w[i].sh = &sh;
        ck_assert_int_eq(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(w[i].thread, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_barrier_destroy(&sh.barrier);

    worker sum;
    memset(&sum, 0, sizeof sum);
    const char *first = NULL;
    for (int i = 0; i < THREADS; i++) {
        sum.moved += w[i].moved;
        sum.conflicts += w[i].conflicts;
        sum.booked += w[i].booked;
        sum.unexpected += w[i].unexpected;
        for (int k = 0; k < N_CODES; k++)
            sum.codes[k] += w[i].codes[k];
        if (!first && w[i].first_unexpected[0])
            first = w[i].first_unexpected;
    }
    long deadlocks_after = deadlocks(c);
    long overlaps = scalar(c, "SELECT count(*) FROM bookings a JOIN bookings b"
                              " ON a.provider_id = b.provider_id AND a.id < b.id AND a.occupied && b.occupied"
                              " WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'");
    long misplaced = 0;
    for (int i = 0; i < MOVERS; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM bookings WHERE id = '%s' AND status = 'confirmed'"
                 " AND extract(epoch FROM start_time)::bigint = %lld AND lock_version = %lld",
                 w[i].booking.s, (long long)w[i].start, (long long)w[i].lock_version);
        misplaced += scalar(c, sql) != 1;
    }
    PQfinish(c);

    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%s: seed %u; %d threads x %ld rounds in %.1f s: %ld moved, %ld booked, %ld conflicts,"
           " %ld unexpected; server deadlocks %ld; overlapping pairs %ld; bookings not where their thread"
           " put them %ld\n",
           label, seed, THREADS, sh.rounds, took, sum.moved, sum.booked, sum.conflicts, sum.unexpected,
           deadlocks_after - deadlocks_before, overlaps, misplaced);
    printf("%s: statuses seen:", label);
    for (int k = 0; k < N_CODES; k++)
        if (sum.codes[k])
            printf(" %s %ld;", bk_strerror(-k), sum.codes[k]);
    printf("\n");
    fflush(stdout);

    ck_assert_msg(sum.unexpected == 0, "%ld unexpected statuses; the first: %s", sum.unexpected, first ? first : "?");
    ck_assert_msg(overlaps == 0, "%ld pairs of live bookings overlap", overlaps);
    ck_assert_msg(misplaced == 0, "%ld bookings are not where their thread last moved them", misplaced);
    ck_assert_msg(deadlocks_after == deadlocks_before, "the server detected %ld deadlocks during the run",
                  deadlocks_after - deadlocks_before);
    /* One booking a round at most can win the hour; most rounds must
     * have been fought over by the server, not settled by the reads. */
    ck_assert_msg(sum.moved + sum.booked <= sh.rounds, "%ld bookings won %ld hours", sum.moved + sum.booked,
                  sh.rounds);
    ck_assert_msg(sum.moved > 0 && sum.booked > 0 && sum.conflicts > 0,
                  "the rounds did not contend (%ld moved, %ld booked, %ld conflicts)", sum.moved, sum.booked,
                  sum.conflicts);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [LABEL]\n", argv[0]);
        return 2;
    }
    if (argc > 1)
        label = argv[1];
    const char *uri = getenv("BK_TEST_URI"), *pg_uri = getenv("BK_TEST_PG_URI");
    if (!uri || !*uri || !pg_uri || !*pg_uri || strncmp(uri, "memory:", 7) == 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr, "FAIL: BK_TEST_URI and BK_TEST_PG_URI must name a PostgreSQL database with CI=true "
                            "(run through tests/pg/with-fresh-db.sh)\n");
            return 1;
        }
        printf("SKIP: BK_TEST_URI and BK_TEST_PG_URI do not name a PostgreSQL database "
               "(run through tests/pg/with-fresh-db.sh)\n");
        return 77;
    }
    Suite *s = suite_create(label);
    TCase *tc = tcase_create("reschedule");
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, concurrent_moves_neither_deadlock_nor_overlap);
    suite_add_tcase(s, tc);
    Suite *suites[] = {s};
    return harness_run(suites, 1);
}
