/*
 * PostgreSQL benchmark (issue 3 part 10): the library against a bare libpq
 * round trip and against pgbench, on the same server in the same run.
 *
 *   bench_pg [options] [URI]
 *
 * URI is a libpq connection string or URI; without one, $BK_BENCH_PG_URI.
 * Neither: exit 77 (skipped).  Everything is made in a fresh schema
 * (bk_bench_<pid>_<time>, bk_open_ext options.schema), dropped at the end.
 *
 * Options:
 *   --scenario FILE   part (a)'s scenario (default: the bench_month.json
 *                     next to this file, as the build was configured)
 *   --queries K       part (a): K timed slot queries and K SELECT 1 (2000)
 *   --seconds N       part (b): seconds of each bk_book run and of pgbench (10)
 *   --spacing M       part (b): one bk_book run, slots M minutes apart
 *   --rounds R        part (c): rounds of the contention test (500)
 *   --threads T       parts (b) and (c): client threads (8)
 *   --pgbench PATH    pgbench (default: $BK_BENCH_PGBENCH, else the newest
 *                     /usr/lib/postgresql/X/bin/pgbench, else pgbench on PATH)
 *   --only a|b|c      run one part
 *   --keep            leave the schema in place (to look at it)
 *
 * (a) Slot-query latency.  The scenario is loaded through the library into
 *     the store (src/bkctl/scenario.c, as tests/bench_slots.c does), its
 *     answer checked, then K bk_slots calls and K PQexec("SELECT 1") on a
 *     raw connection are timed alternately, so that both see the same
 *     machine; p50 / p99 of each and their ratio.  Target: slots p50 <= 2x.
 * (b) bk_book throughput: T threads, each its own handle and its own
 *     provider (24/7 availability, 5-minute service, 5-minute step, no
 *     notice), booking one slot after another for N seconds: first slots
 *     5 minutes apart (back to back), then -- after pgbench's run -- 1440
 *     minutes apart.  The two differ in what each bk_book reads: the
 *     library loads a provider's bookings within about 4 days of the
 *     requested slot (lib/api/slots.c, LOAD_MARGIN), which back-to-back
 *     5-minute bookings fill with up to ~2300 rows, one a day with ~9.
 *     pgbench -n -c T -j T -T N runs a plain INSERT into a bookings-like
 *     table (same columns, a tstzrange, a primary key, no exclusion
 *     constraint) on the same server.  Bookings per second and their ratio
 *     to pgbench's TPS.  Target: >= 0.7x.  --spacing M: one run, M minutes.
 * (c) Contention: T threads, one provider, one hour service on a 5-minute
 *     grid; each round every thread books start + 5 min x thread index
 *     (every pair overlaps).  Counts successes, conflicts and anything
 *     else; exactly one success per round and no other error is the pass.
 *
 * Exit status: 0 when every part ran and (c) passed (targets are reported,
 * not enforced: timings depend on the machine), 1 on an error, 77 without a
 * server.
 */
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <booking.h>
#include <libpq-fe.h>

#include "scenario.h"

#ifndef BK_BENCH_SCENARIO
#define BK_BENCH_SCENARIO "tests/scenarios/bench_month.json"
#endif

#define MAX_THREADS 64

static const char *g_uri;
static char g_schema[64];
static long g_spacing; /* (b): minutes between a thread's bookings; 0: 5, then 1440 */

/* A fixed "now" and the first slot of part (b) / (c): far enough from
 * today that the clock never matters, inside every range the library
 * accepts.  2031-01-06T00:00:00Z (a Monday). */
#define BENCH_NOW ((bk_time)1924819200LL - 86400)
#define BENCH_BASE ((bk_time)1924819200LL)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of sorted values: nearest rank. */
static double quantile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

static PGconn *raw_connect(void)
{
    PGconn *c = PQconnectdb(g_uri);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench_pg: cannot connect: %s", c ? PQerrorMessage(c) : "out of memory\n");
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int raw_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "bench_pg: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int open_db(bk_db **db)
{
    bk_open_options o;
    bk_open_options_init(&o);
    o.schema = g_schema;
    int rc = bk_open_ext(db, g_uri, &o);
    if (rc != BK_OK) {
        fprintf(stderr, "bench_pg: bk_open_ext: %s: %s\n", bk_strerror(rc), bk_errmsg(*db));
        bk_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* (a) slot-query latency                                              */
/* ------------------------------------------------------------------ */

static int part_a(const char *scenario_path, long queries)
{
    printf("\n(a) slot query (%s) vs SELECT 1, %ld each, alternating\n", scenario_path, queries);
    bk_db *db = NULL;
    PGconn *raw = NULL;
    scenario sc;
    memset(&sc, 0, sizeof sc);
    double *ts = NULL, *t1 = NULL;
    bk_slot *slots = NULL;
    size_t n = 0;
    int status = 1;
    char err[1024];

    if (open_db(&db) != 0 || !(raw = raw_connect()))
        goto done;
    int rc = scenario_load(scenario_path, db, &sc, err, sizeof err);
    if (rc != BK_OK) {
        fprintf(stderr, "bench_pg: %s\n", err);
        goto done;
    }
    /* Warm-up, untimed: the zone's transitions, the server's caches and
     * whatever plans it keeps. */
    for (int i = 0; i < 50; i++) {
        bk_slots_free(slots);
        slots = NULL;
        if ((rc = bk_slots(db, &sc.query, &slots, &n)) != BK_OK) {
            fprintf(stderr, "bench_pg: bk_slots: %s: %s\n", bk_strerror(rc), bk_errmsg(db));
            goto done;
        }
        PQclear(PQexec(raw, "SELECT 1"));
    }
    if (sc.has_expected && scenario_compare(&sc, slots, n, err, sizeof err) != 0) {
        fprintf(stderr, "bench_pg: wrong slots: %s\n", err);
        goto done;
    }
    ts = malloc((size_t)queries * sizeof *ts);
    t1 = malloc((size_t)queries * sizeof *t1);
    if (!ts || !t1) {
        fprintf(stderr, "bench_pg: out of memory\n");
        goto done;
    }
    for (long i = 0; i < queries; i++) {
        bk_slots_free(slots);
        slots = NULL;
        double a = now_seconds();
        rc = bk_slots(db, &sc.query, &slots, &n);
        double b = now_seconds();
        PGresult *r = PQexec(raw, "SELECT 1");
        double c = now_seconds();
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (rc != BK_OK || !ok) {
            fprintf(stderr, "bench_pg: query %ld: %s\n", i, rc != BK_OK ? bk_errmsg(db) : PQerrorMessage(raw));
            goto done;
        }
        ts[i] = b - a;
        t1[i] = c - b;
    }
    if (sc.has_expected && scenario_compare(&sc, slots, n, err, sizeof err) != 0) {
        fprintf(stderr, "bench_pg: wrong slots: %s\n", err);
        goto done;
    }
    qsort(ts, (size_t)queries, sizeof *ts, cmp_double);
    qsort(t1, (size_t)queries, sizeof *t1, cmp_double);
    double s50 = quantile(ts, (size_t)queries, 0.5), s99 = quantile(ts, (size_t)queries, 0.99);
    double o50 = quantile(t1, (size_t)queries, 0.5), o99 = quantile(t1, (size_t)queries, 0.99);
    printf("  bk_slots  (%zu slots): p50 %8.1f us   p99 %8.1f us\n", n, s50 * 1e6, s99 * 1e6);
    printf("  SELECT 1             : p50 %8.1f us   p99 %8.1f us\n", o50 * 1e6, o99 * 1e6);
    printf("  ratio                : p50 %8.2fx     p99 %8.2fx    (target p50 <= 2x: %s)\n", s50 / o50, s99 / o99,
           s50 <= 2 * o50 ? "met" : "NOT met");
    status = 0;

done:
    free(ts);
    free(t1);
    bk_slots_free(slots);
    scenario_free(&sc);
    PQfinish(raw);
    bk_close(db);
    return status;
}

/* ------------------------------------------------------------------ */
/* Providers for (b) and (c)                                           */
/* ------------------------------------------------------------------ */

/* A provider open all week (UTC) with one service. */
static int make_provider(bk_db *db, const char *name, int duration, int step, bk_id *provider, bk_id *service)
{
    char user[64], email[96];
    snprintf(user, sizeof user, "bench_%s", name);
    snprintf(email, sizeof email, "bench_%s@example.com", name);
    bk_provider p;
    bk_provider_init(&p);
    p.username = user;
    p.email = email;
    p.full_name = "Bench Provider";
    p.timezone = "UTC";
    int rc = bk_provider_create(db, &p, provider);
    for (int wd = 0; rc == BK_OK && wd < 7; wd++) {
        bk_availability a;
        bk_availability_init(&a);
        a.provider = *provider;
        a.weekday = wd;
        a.start_minute = 0;
        a.end_minute = 1440;
        rc = bk_availability_add(db, &a, NULL);
    }
    if (rc == BK_OK) {
        bk_service s;
        bk_service_init(&s);
        s.provider = *provider;
        s.name = "Bench";
        s.duration_minutes = duration;
        s.slot_step_minutes = step;
        rc = bk_service_create(db, &s, service);
    }
    if (rc != BK_OK)
        fprintf(stderr, "bench_pg: making provider %s: %s: %s\n", name, bk_strerror(rc), bk_errmsg(db));
    return rc == BK_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* (b) throughput                                                      */
/* ------------------------------------------------------------------ */

typedef struct worker {
    pthread_t thread;
    int index;
    bk_db *db;
    bk_id provider;
    bk_id service;
    /* (b) */
    double deadline;
    long spacing; /* minutes between bookings */
    long ok;
    long failed;
    char first_error[256];
    /* (c) */
    pthread_barrier_t *barrier;
    long rounds;
    long *wins; /* per round: successes */
    long conflicts;
    long others;
} worker;

static void book_request(bk_book_request *r, const worker *w, bk_time start)
{
    bk_book_request_init(r);
    r->provider = w->provider;
    r->service = w->service;
    r->start = start;
    r->now = BENCH_NOW;
    r->customer_name = "Bench Customer";
    r->customer_email = "customer@example.com";
}

static void *throughput_thread(void *arg)
{
    worker *w = arg;
    bk_time start = BENCH_BASE;
    while (now_seconds() < w->deadline) {
        bk_book_request r;
        book_request(&r, w, start);
        int rc = bk_book(w->db, &r, NULL);
        start += w->spacing * 60;
        if (rc == BK_OK) {
            w->ok++;
        } else {
            if (!w->failed)
                snprintf(w->first_error, sizeof w->first_error, "%s: %s", bk_strerror(rc), bk_errmsg(w->db));
            w->failed++;
        }
    }
    return NULL;
}

/* The newest Debian server's pgbench, else the one on PATH. */
static const char *find_pgbench(const char *given, char *buf, size_t size)
{
    if (given)
        return given;
    const char *env = getenv("BK_BENCH_PGBENCH");
    if (env && *env)
        return env;
    glob_t g;
    const char *best = "pgbench";
    if (glob("/usr/lib/postgresql/*/bin/pgbench", 0, NULL, &g) == 0) {
        /* Numeric order of the version directory. */
        long top = -1;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            long v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
            if (v > top) {
                top = v;
                snprintf(buf, size, "%s", g.gl_pathv[i]);
                best = buf;
            }
        }
        globfree(&g);
    }
    return best;
}

/* Runs pgbench with the script; *tps from its "tps = X (without initial
 * connection time)" line. */
static int run_pgbench(const char *pgbench, const char *script, int clients, int seconds, double *tps)
{
    char c[16], t[16];
    snprintf(c, sizeof c, "%d", clients);
    snprintf(t, sizeof t, "%d", seconds);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp(pgbench, pgbench, "-n", "-c", c, "-j", c, "-T", t, "-f", script, g_uri, (char *)NULL);
        fprintf(stderr, "bench_pg: cannot run %s: %s\n", pgbench, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512];
    int found = 0;
    long failed = 0;
    while (f && fgets(line, sizeof line, f)) {
        double v;
        long k;
        if (sscanf(line, "tps = %lf (without initial connection time)", &v) == 1) {
            *tps = v;
            found = 1;
        }
        if (sscanf(line, "number of failed transactions: %ld", &k) == 1)
            failed = k;
    }
    if (f)
        fclose(f);
    else
        close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !found) {
        fprintf(stderr, "bench_pg: %s failed (status %d)\n", pgbench, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    if (failed)
        fprintf(stderr, "bench_pg: pgbench: %ld failed transactions\n", failed);
    return 0;
}

/* The comparison table: the bookings table's columns and a primary key,
 * nothing else. */
static int make_pgbench_table(char *script, size_t size)
{
    PGconn *c = raw_connect();
    if (!c)
        return -1;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s.pgbench_bookings ("
             " id uuid PRIMARY KEY, provider_id uuid NOT NULL, service_id uuid NOT NULL,"
             " start_time timestamptz NOT NULL, end_time timestamptz NOT NULL,"
             " buffer_before_minutes int NOT NULL, buffer_after_minutes int NOT NULL,"
             " occupied tstzrange NOT NULL, status text NOT NULL, lock_version bigint NOT NULL,"
             " idempotency_key text, customer_name text NOT NULL, customer_email text NOT NULL,"
             " customer_phone text, customer_timezone text, notes text, cancellation_reason text,"
             " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,"
             " confirmed_at timestamptz, cancelled_at timestamptz)",
             g_schema);
    int rc = raw_exec(c, sql);
    PQfinish(c);
    if (rc)
        return rc;
    snprintf(script, size, "/tmp/bk_bench_pg_%ld.sql", (long)getpid());
    FILE *f = fopen(script, "w");
    if (!f) {
        fprintf(stderr, "bench_pg: %s: %s\n", script, strerror(errno));
        return -1;
    }
    /* Each client its own provider id, a 5-minute slot (anywhere: a plain
     * table checks nothing), pgbench's default simple protocol: parsed and
     * planned per statement, as the library's unnamed statements are. */
    fprintf(f,
            "\\set t %lld + 300 * random(0, 100000000)\n"
            "INSERT INTO %s.pgbench_bookings (id, provider_id, service_id, start_time, end_time,"
            " buffer_before_minutes, buffer_after_minutes, occupied, status, lock_version, idempotency_key,"
            " customer_name, customer_email, customer_phone, customer_timezone, notes, cancellation_reason,"
            " created_at, updated_at, confirmed_at, cancelled_at) VALUES (gen_random_uuid(),"
            " ('00000000-0000-4000-8000-' || lpad(:client_id::text, 12, '0'))::uuid,"
            " '00000000-0000-4000-8000-000000000000'::uuid,"
            " to_timestamp(:t), to_timestamp(:t + 300), 0, 0,"
            " tstzrange(to_timestamp(:t), to_timestamp(:t + 300), '[)'),"
            " 'confirmed', 1, NULL, 'Bench Customer', 'customer@example.com', NULL, NULL, NULL, NULL,"
            " now(), now(), now(), NULL);\n",
            (long long)BENCH_BASE, g_schema);
    fclose(f);
    return 0;
}

/* One bk_book run: `threads` threads, each on a provider of its own made
 * for this run, booking slots `spacing` minutes apart for `seconds`.
 * *rate: bookings per second.  Non-zero if anything failed. */
static int book_run(int threads, int seconds, long spacing, double *rate)
{
    worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    int status = 1, started = 0;
    for (int i = 0; i < threads; i++) {
        char name[48];
        snprintf(name, sizeof name, "tp%ld_%d", spacing, i);
        w[i].spacing = spacing;
        if (open_db(&w[i].db) != 0 || make_provider(w[i].db, name, 5, 5, &w[i].provider, &w[i].service) != 0)
            goto done;
    }
    /* A short warm-up of every connection (the server's caches and plans),
     * untimed, decades after the timed bookings. */
    for (int i = 0; i < threads; i++) {
        for (int k = 0; k < 20; k++) {
            bk_book_request r;
            book_request(&r, &w[i], BENCH_BASE + (bk_time)86400 * 365 * 40 + 86400 * k);
            int rc = bk_book(w[i].db, &r, NULL);
            if (rc != BK_OK) {
                fprintf(stderr, "bench_pg: warm-up bk_book: %s: %s\n", bk_strerror(rc), bk_errmsg(w[i].db));
                goto done;
            }
        }
    }
    double t0 = now_seconds();
    for (int i = 0; i < threads; i++) {
        w[i].deadline = t0 + seconds;
        if (pthread_create(&w[i].thread, NULL, throughput_thread, &w[i]) != 0) {
            fprintf(stderr, "bench_pg: pthread_create failed\n");
            for (int k = 0; k < i; k++)
                w[k].deadline = 0;
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    double elapsed = now_seconds() - t0;
    if (started < threads)
        goto done;
    long ok = 0, failed = 0;
    for (int i = 0; i < threads; i++) {
        ok += w[i].ok;
        failed += w[i].failed;
        if (w[i].failed)
            fprintf(stderr, "bench_pg: thread %d: %ld failed bookings, first: %s\n", i, w[i].failed,
                    w[i].first_error);
    }
    *rate = (double)ok / elapsed;
    printf("  bk_book, slots %5ld min apart : %8.0f bookings/s  (%ld in %.1f s, %ld failed)\n", spacing, *rate, ok,
           elapsed, failed);
    status = failed ? 1 : 0;
done:
    for (int i = 0; i < threads; i++)
        bk_close(w[i].db);
    return status;
}

/* The runs of bk_book around one of pgbench, so that a machine whose load
 * drifts weighs on both sides alike. */
static int part_b(int threads, int seconds, const char *pgbench)
{
    printf("\n(b) bk_book throughput, %d threads on distinct providers, %d s a run, vs pgbench plain INSERT\n",
           threads, seconds);
    long spacings[2] = {g_spacing ? g_spacing : 5, 1440};
    int runs = g_spacing ? 1 : 2;
    double rate[2] = {0, 0}, tps = 0;
    char script[256] = "";
    int status = book_run(threads, seconds, spacings[0], &rate[0]);
    if (status == 0 && (make_pgbench_table(script, sizeof script) != 0 ||
                        run_pgbench(pgbench, script, threads, seconds, &tps) != 0))
        status = 1;
    if (*script)
        unlink(script);
    if (status)
        return status;
    printf("  pgbench plain INSERT          : %8.0f tps          (%s -n -c %d -j %d -T %d -f <insert>)\n", tps,
           pgbench, threads, threads, seconds);
    if (runs == 2 && book_run(threads, seconds, spacings[1], &rate[1]) != 0)
        return 1;
    for (int i = 0; i < runs; i++)
        printf("  ratio, slots %5ld min apart   : %8.2fx             (target >= 0.7x: %s)\n", spacings[i],
               rate[i] / tps, rate[i] >= 0.7 * tps ? "met" : "NOT met");
    return 0;
}

/* ------------------------------------------------------------------ */
/* (c) contention                                                      */
/* ------------------------------------------------------------------ */

static pthread_mutex_t wins_lock = PTHREAD_MUTEX_INITIALIZER;

static void *contention_thread(void *arg)
{
    worker *w = arg;
    for (long round = 0; round < w->rounds; round++) {
        pthread_barrier_wait(w->barrier);
        /* Rounds 2 hours apart; within a round, 5 minutes apart: with a
         * one-hour service every pair overlaps. */
        bk_book_request r;
        book_request(&r, w, BENCH_BASE + round * 7200 + (bk_time)w->index * 300);
        int rc = bk_book(w->db, &r, NULL);
        if (rc == BK_OK) {
            pthread_mutex_lock(&wins_lock);
            w->wins[round]++;
            pthread_mutex_unlock(&wins_lock);
        } else if (rc == BK_ECONFLICT) {
            w->conflicts++;
        } else {
            if (!w->others)
                snprintf(w->first_error, sizeof w->first_error, "%s: %s", bk_strerror(rc), bk_errmsg(w->db));
            w->others++;
        }
    }
    return NULL;
}

static int part_c(int threads, long rounds)
{
    printf("\n(c) %d threads contending for one provider, %ld rounds (1-hour bookings 5 min apart)\n", threads,
           rounds);
    worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    long *wins = calloc((size_t)rounds, sizeof *wins);
    pthread_barrier_t barrier;
    int status = 1, started = 0, have_barrier = 0;
    bk_id provider, service;
    if (!wins)
        goto done;
    for (int i = 0; i < threads; i++)
        if (open_db(&w[i].db) != 0)
            goto done;
    if (make_provider(w[0].db, "contended", 60, 5, &provider, &service) != 0)
        goto done;
    if (pthread_barrier_init(&barrier, NULL, (unsigned)threads) != 0)
        goto done;
    have_barrier = 1;
    double t0 = now_seconds();
    for (int i = 0; i < threads; i++) {
        w[i].index = i;
        w[i].provider = provider;
        w[i].service = service;
        w[i].barrier = &barrier;
        w[i].rounds = rounds;
        w[i].wins = wins;
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&w[i].thread, NULL, contention_thread, &w[i]) != 0) {
            /* The others would wait at the barrier forever. */
            fprintf(stderr, "bench_pg: pthread_create failed\n");
            exit(1);
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    double elapsed = now_seconds() - t0;
    long successes = 0, conflicts = 0, others = 0, bad_rounds = 0;
    for (long r = 0; r < rounds; r++) {
        successes += wins[r];
        bad_rounds += wins[r] != 1;
    }
    for (int i = 0; i < threads; i++) {
        conflicts += w[i].conflicts;
        others += w[i].others;
        if (w[i].others)
            fprintf(stderr, "bench_pg: thread %d: %ld other errors, first: %s\n", i, w[i].others, w[i].first_error);
    }
    /* What the store holds, read back. */
    bk_booking **list = NULL;
    size_t n = 0;
    bk_booking_filter f;
    bk_booking_filter_init(&f);
    f.provider = provider;
    f.include_cancelled = 0;
    int rc = bk_booking_list(w[0].db, &f, &list, &n);
    long overlaps = 0;
    for (size_t i = 1; rc == BK_OK && i < n; i++)
        overlaps += list[i]->start < list[i - 1]->end;
    bk_booking_list_free(list, n);
    printf("  attempts %ld: successes %ld, conflicts %ld, other errors %ld  (%.1f s, %.0f attempts/s)\n",
           rounds * threads, successes, conflicts, others, elapsed, (double)(rounds * threads) / elapsed);
    printf("  rounds without exactly one success: %ld; stored live bookings %zu, overlapping pairs %ld\n", bad_rounds,
           n, overlaps);
    if (rc != BK_OK)
        fprintf(stderr, "bench_pg: bk_booking_list: %s\n", bk_errmsg(w[0].db));
    int pass = rc == BK_OK && others == 0 && bad_rounds == 0 && overlaps == 0 && (long)n == rounds &&
               successes + conflicts == rounds * threads;
    printf("  %s\n", pass ? "PASS" : "FAIL");
    status = pass ? 0 : 1;

done:
    if (have_barrier)
        pthread_barrier_destroy(&barrier);
    for (int i = 0; i < threads; i++)
        bk_close(w[i].db);
    free(wins);
    return status;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

/* Drops the bench schema, unless btree_gist was created in it (the role
 * could not create in public): dropping it would drop the extension and,
 * with CASCADE, every exclusion constraint that needs it. */
static void drop_schema(void)
{
    PGconn *c = raw_connect();
    if (!c)
        return;
    const char *v[1] = {g_schema};
    PGresult *r = PQexecParams(c,
                               "SELECT count(*) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                               " WHERE e.extname = 'btree_gist' AND n.nspname = $1",
                               1, NULL, v, NULL, NULL, 0);
    int ext_here = PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), "0") != 0;
    PQclear(r);
    if (ext_here) {
        fprintf(stderr, "bench_pg: schema %s holds btree_gist: left in place\n", g_schema);
    } else {
        char sql[192];
        snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE", g_schema);
        raw_exec(c, sql);
    }
    PQfinish(c);
}

static long arg_long(const char *name, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "bench_pg: %s must be an integer from %ld to %ld\n", name, lo, hi);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv)
{
    const char *scenario_path = BK_BENCH_SCENARIO, *pgbench_arg = NULL, *only = NULL;
    long queries = 2000, seconds = 10, rounds = 500, threads = 8;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--scenario") == 0 && v)
            scenario_path = argv[++i];
        else if (strcmp(a, "--queries") == 0)
            queries = arg_long(a, v, 1, 10000000), i++;
        else if (strcmp(a, "--seconds") == 0)
            seconds = arg_long(a, v, 1, 3600), i++;
        else if (strcmp(a, "--spacing") == 0)
            g_spacing = arg_long(a, v, 5, 1440 * 366), i++;
        else if (strcmp(a, "--rounds") == 0)
            rounds = arg_long(a, v, 1, 1000000), i++;
        else if (strcmp(a, "--threads") == 0)
            threads = arg_long(a, v, 2, MAX_THREADS), i++;
        else if (strcmp(a, "--pgbench") == 0 && v)
            pgbench_arg = argv[++i];
        else if (strcmp(a, "--only") == 0 && v && strchr("abc", v[0]) && v[0] && !v[1])
            only = argv[++i];
        else if (strcmp(a, "--keep") == 0)
            keep = 1;
        else if (a[0] != '-' && !g_uri)
            g_uri = a;
        else {
            fprintf(stderr, "usage: bench_pg [--scenario FILE] [--queries K] [--seconds N] [--rounds R]"
                            " [--spacing M] [--threads T] [--pgbench PATH] [--only a|b|c] [--keep] [URI]\n");
            return 2;
        }
    }
    if (!g_uri)
        g_uri = getenv("BK_BENCH_PG_URI");
    if (!g_uri || !*g_uri) {
        printf("bench_pg: SKIP: no server (pass a URI or set BK_BENCH_PG_URI)\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(g_schema, sizeof g_schema, "bk_bench_%ld_%ld", (long)getpid(), (long)time(NULL));
    char pgbuf[512];
    const char *pgbench = find_pgbench(pgbench_arg, pgbuf, sizeof pgbuf);

    PGconn *c = raw_connect();
    if (!c)
        return 1;
    printf("bench_pg: server %s, libpq %d, schema %s\n", PQparameterStatus(c, "server_version"), PQlibVersion(),
           g_schema);
    PQfinish(c);

    int status = 0;
    if (!only || *only == 'a')
        status |= part_a(scenario_path, queries);
    if (!only || *only == 'b')
        status |= part_b((int)threads, (int)seconds, pgbench);
    if (!only || *only == 'c')
        status |= part_c((int)threads, rounds);
    if (keep)
        printf("\nbench_pg: schema %s kept\n", g_schema);
    else
        drop_schema();
    return status;
}
