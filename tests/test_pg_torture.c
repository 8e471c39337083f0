/* Concurrency torture and fault tests against PostgreSQL (issue 3, parts 8
 * and 9): the public API does the work, libpq only checks the tables
 * afterwards.
 *
 *   test_pg_torture torture   16 connections -- 8 threads in this process,
 *                             8 in a forked one, opened at once on the
 *                             empty database so that the schema migrations
 *                             race -- book, reschedule and cancel random,
 *                             heavily overlapping slots of 5 providers;
 *   test_pg_torture fault     the same workload, every booking with an
 *                             idempotency key and retried on BK_ECONNECTION
 *                             or BK_EUNKNOWN until it has a definite answer,
 *                             while a third process terminates random
 *                             backends every 50 ms and restarts the server
 *                             once (pg_ctl restart -m fast).
 *
 * An optional second argument names the lines of counts printed (default
 * pg_torture / pg_fault; tests/run-all.sh repeats them).
 *
 * Afterwards SQL proves: no two live bookings of a provider have
 * overlapping occupied ranges; every booking a worker was told BK_OK about
 * exists with the status the worker believes (live or cancelled); no other
 * booking exists; each starts where its worker last put it; (fault) no
 * idempotency key maps to two bookings.  Any status but BK_OK, BK_ECONFLICT
 * and BK_EUNAVAILABLE -- and, under faults, BK_ECONNECTION and BK_EUNKNOWN
 * -- fails the test (a deadlock leaking as BK_ESTORE, say).  A worker
 * process that crashes or hangs fails it too.
 *
 * Environment (tests/pg/with-fresh-db.sh and tests/pg/cluster.sh set it):
 *   BK_TEST_URI          what the library opens (a fresh database)
 *   BK_TEST_PG_URI       the same database, directly, for libpq
 *   BK_TEST_PG_CTL, BK_TEST_PG_DATADIR   for the restart; without them
 *                        (a developer's server) only the restart is left out
 *   BK_TEST_BOOKING_PARTITIONS  bk_open_options.booking_partitions (0)
 *   BK_TEST_TORTURE_OPS      operations per worker (default 250)
 *   BK_TEST_TORTURE_SECONDS  time bound of the workload (torture: 60;
 *                            fault: the length of the chaos, 15)
 *   BK_TEST_SEED         the random seed (printed)
 * No BK_TEST_URI: skipped (exit 77), but a failure with CI=true.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <booking.h>
#include <libpq-fe.h>

#include "harness.h"

#define PROVIDERS 5
#define THREADS 8              /* per process; two processes */
#define WORKERS (2 * THREADS)
#define MAX_OPS 2000           /* per worker */
#define GRID 300               /* the service's 5-minute grid, seconds */
#define WINDOW_STEPS 96        /* starts over 8 hours: 1-hour bookings overlap heavily */
#define N_CODES 13             /* BK_OK .. BK_EMISUSE, by -code */
#define MAX_RETRIES 400        /* per request, under faults */

enum rec_state { REC_NONE = 0, REC_LIVE, REC_CANCELLED, REC_BOOK_UNKNOWN, REC_CHANGE_UNKNOWN };

/* One booking a worker asked for and was told about (or not told about:
 * the *_UNKNOWN states, resolved after the chaos). */
typedef struct rec {
    bk_id id;
    int64_t lock_version;
    int state;
    int provider;
    bk_time start;
    char key[40];
} rec;

typedef struct worker {
    int index;
    unsigned int seed;
    long ops_done;
    long codes[N_CODES];
    long booked, conflict, unavailable, cancelled, rescheduled, retries, unexpected, unresolved;
    long uncertain_ok, uncertain_refused, uncertain_later; /* books that met BK_EUNKNOWN: how they ended */
    char first_unexpected[400];
    size_t n_recs;
    rec recs[MAX_OPS + 8];
} worker;

/* Shared by the processes (MAP_SHARED): set up before fork, filled in by
 * the workers and the killer, read by the parent after they are done. */
typedef struct shared {
    int fault;
    long ops;
    double t_start, t_stop, chaos_end;
    int world_ready; /* 0 until the parent made the providers; then 1, or -1 if it failed */
    bk_time t0;
    bk_id provider[PROVIDERS], service[PROVIDERS];
    long kills, kill_rounds, kill_errors, restarts, restart_failures;
    double restart_seconds;
    char killer_error[300];
    worker w[WORKERS];
} shared;

static shared *S;
static const char *label = "pg_torture"; /* names the printed counts: argv[2], or pg_<mode> */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

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

/* bk_open with the layout $BK_TEST_BOOKING_PARTITIONS asks for (0: one
 * bookings table; 2..256: hash partitions, each with its own exclusion
 * constraint). */
static int open_db(bk_db **db)
{
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    o.booking_partitions = (int)env_long("BK_TEST_BOOKING_PARTITIONS", 0, 0, 256);
    return bk_open_ext(db, getenv("BK_TEST_URI"), &o);
}

static int retryable(int rc) { return rc == BK_ECONNECTION || rc == BK_EUNKNOWN || rc == BK_ESTORE; }

static void count_code(worker *w, int rc)
{
    if (rc <= 0 && -rc < N_CODES)
        w->codes[-rc]++;
}

/* Records a status the contract does not allow here. */
static void unexpected(worker *w, bk_db *db, const char *what, int rc)
{
    w->unexpected++;
    if (!w->first_unexpected[0])
        snprintf(w->first_unexpected, sizeof w->first_unexpected, "worker %d: %s: %s (%s)", w->index, what,
                 bk_strerror(rc), db ? bk_errmsg(db) : bk_errmsg(NULL));
}

/* Under faults BK_ESTORE is tolerated long enough to go on (and retried:
 * the request may have happened), but still counted as a finding: a lost
 * connection must be BK_ECONNECTION or BK_EUNKNOWN. */
static void note_fault_status(worker *w, bk_db *db, const char *what, int rc)
{
    if (rc == BK_ESTORE)
        unexpected(w, db, what, rc);
}

static void nap(worker *w) { sleep_ms(15 + (long)(rand_r(&w->seed) % 40)); }

static bk_time random_start(worker *w) { return S->t0 + (bk_time)(rand_r(&w->seed) % WINDOW_STEPS) * GRID; }

/* Asks for r's booking until the answer is definite (or, under faults, the
 * retries run out: then *uncertain says whether it may have happened). */
static int book_rec(worker *w, bk_db *db, rec *r, int *uncertain)
{
    bk_book_request req = BK_BOOK_REQUEST_INIT;
    req.provider = S->provider[r->provider];
    req.service = S->service[r->provider];
    req.start = r->start;
    req.now = S->t0 - 86400;
    req.idempotency_key = r->key[0] ? r->key : NULL;
    req.customer_name = "Torture";
    req.customer_email = "torture@example.com";
    for (int attempt = 0;; attempt++) {
        bk_booking *b = NULL;
        int rc = bk_book(db, &req, &b);
        count_code(w, rc);
        if (rc == BK_OK) {
            if (!b || b->start != r->start || b->status != BK_BOOKING_CONFIRMED ||
                strcmp(b->provider.s, req.provider.s) != 0) {
                unexpected(w, db, "bk_book returned a booking that is not the one asked for", rc);
            } else {
                r->id = b->id;
                r->lock_version = b->lock_version;
                r->state = REC_LIVE;
            }
            bk_booking_free(b);
            return rc;
        }
        bk_booking_free(b);
        if (!S->fault || !retryable(rc))
            return rc;
        note_fault_status(w, db, "bk_book", rc);
        if (rc != BK_ECONNECTION)
            *uncertain = 1;
        if (attempt >= MAX_RETRIES || now_s() > S->chaos_end + 30)
            return rc;
        w->retries++;
        nap(w);
    }
}

/* Books a new slot; returns the status. */
static int do_book(worker *w, bk_db *db, int provider, bk_time start)
{
    if (w->n_recs >= sizeof w->recs / sizeof w->recs[0])
        return BK_ENOMEM;
    rec *r = &w->recs[w->n_recs];
    memset(r, 0, sizeof *r);
    r->provider = provider;
    r->start = start;
    if (S->fault)
        snprintf(r->key, sizeof r->key, "w%02d-%zu", w->index, w->n_recs);
    int uncertain = 0;
    int rc = book_rec(w, db, r, &uncertain);
    if (uncertain) {
        w->uncertain_ok += rc == BK_OK;
        w->uncertain_refused += rc == BK_ECONFLICT || rc == BK_EUNAVAILABLE;
        w->uncertain_later += retryable(rc);
    }
    if (rc == BK_OK) {
        if (r->state == REC_LIVE) {
            w->n_recs++;
            w->booked++;
        }
    } else if (rc == BK_ECONFLICT) {
        w->conflict++;
    } else if (rc == BK_EUNAVAILABLE) {
        w->unavailable++;
    } else if (S->fault && retryable(rc)) {
        if (uncertain) { /* resolved with the same key after the chaos */
            r->state = REC_BOOK_UNKNOWN;
            w->n_recs++;
        }
    } else {
        unexpected(w, db, "bk_book", rc);
    }
    return rc;
}

/* Reads the booking of r (retrying under faults): BK_OK, *status, and
 * r's version and start as stored. */
static int read_rec(worker *w, bk_db *db, rec *r, bk_booking_status *status)
{
    for (int attempt = 0;; attempt++) {
        bk_booking *b = NULL;
        int rc = bk_booking_get(db, &r->id, &b);
        count_code(w, rc);
        if (rc == BK_OK) {
            *status = b->status;
            r->lock_version = b->lock_version;
            r->start = b->start;
            bk_booking_free(b);
            return rc;
        }
        bk_booking_free(b);
        if (!S->fault || !retryable(rc) || attempt >= MAX_RETRIES || now_s() > S->chaos_end + 30)
            return rc;
        note_fault_status(w, db, "bk_booking_get", rc);
        w->retries++;
        nap(w);
    }
}

/* Cancels w->recs[i]; 1 if it is cancelled now. */
static int do_cancel(worker *w, bk_db *db, size_t i)
{
    rec *r = &w->recs[i];
    int uncertain = 0;
    for (int attempt = 0;; attempt++) {
        bk_booking *b = NULL;
        int rc = bk_booking_cancel(db, &r->id, r->lock_version, "torture", &b);
        count_code(w, rc);
        if (rc == BK_OK) {
            if (!b || b->status != BK_BOOKING_CANCELLED || b->lock_version != r->lock_version + 1)
                unexpected(w, db, "bk_booking_cancel returned a booking that is not cancelled", rc);
            r->state = REC_CANCELLED;
            r->lock_version = b ? b->lock_version : r->lock_version + 1;
            bk_booking_free(b);
            w->cancelled++;
            return 1;
        }
        bk_booking_free(b);
        if ((rc == BK_ESTALE || rc == BK_ESTATE) && uncertain) {
            /* An earlier attempt may have landed: it did if the booking is
             * cancelled now (nobody else touches this worker's bookings). */
            bk_booking_status st;
            int rc2 = read_rec(w, db, r, &st);
            if (rc2 == BK_OK && st == BK_BOOKING_CANCELLED) {
                r->state = REC_CANCELLED;
                w->cancelled++;
                return 1;
            }
            if (rc2 != BK_OK && retryable(rc2)) {
                r->state = REC_CHANGE_UNKNOWN;
                return 0;
            }
            unexpected(w, db, "bk_booking_cancel after a lost connection", rc);
            return 0;
        }
        if (S->fault && retryable(rc)) {
            note_fault_status(w, db, "bk_booking_cancel", rc);
            if (rc != BK_ECONNECTION)
                uncertain = 1;
            if (attempt >= MAX_RETRIES || now_s() > S->chaos_end + 30) {
                if (uncertain)
                    r->state = REC_CHANGE_UNKNOWN;
                return 0;
            }
            w->retries++;
            nap(w);
            continue;
        }
        unexpected(w, db, "bk_booking_cancel", rc);
        return 0;
    }
}

/* Moves w->recs[i] to start; returns the final status. */
static int do_reschedule(worker *w, bk_db *db, size_t i, bk_time start)
{
    rec *r = &w->recs[i];
    int uncertain = 0;
    for (int attempt = 0;; attempt++) {
        bk_booking *b = NULL;
        int rc = bk_booking_reschedule(db, &r->id, r->lock_version, start, S->t0 - 86400, &b);
        count_code(w, rc);
        if (rc == BK_OK) {
            if (!b || b->start != start || b->status != BK_BOOKING_CONFIRMED || strcmp(b->id.s, r->id.s) != 0 ||
                b->lock_version != r->lock_version + 1)
                unexpected(w, db, "bk_booking_reschedule returned a booking that is not the one moved", rc);
            r->start = start;
            r->lock_version = b ? b->lock_version : r->lock_version + 1;
            bk_booking_free(b);
            w->rescheduled++;
            return rc;
        }
        bk_booking_free(b);
        if (rc == BK_ECONFLICT) {
            w->conflict++;
            return rc;
        }
        if (rc == BK_EUNAVAILABLE) {
            w->unavailable++;
            return rc;
        }
        if (rc == BK_ESTALE && uncertain) {
            /* An earlier attempt may have landed: it did if the booking
             * moved (nobody else touches this worker's bookings). */
            bk_booking_status st;
            int64_t before = r->lock_version;
            int rc2 = read_rec(w, db, r, &st);
            if (rc2 == BK_OK && st == BK_BOOKING_CONFIRMED && r->lock_version == before + 1 && r->start == start) {
                w->rescheduled++;
                return BK_OK;
            }
            if (rc2 != BK_OK && retryable(rc2)) {
                r->state = REC_CHANGE_UNKNOWN; /* re-read after the chaos */
                return rc2;
            }
            unexpected(w, db, "bk_booking_reschedule after a lost connection", rc);
            return rc;
        }
        if (S->fault && retryable(rc)) {
            note_fault_status(w, db, "bk_booking_reschedule", rc);
            if (rc != BK_ECONNECTION)
                uncertain = 1;
            if (attempt >= MAX_RETRIES || now_s() > S->chaos_end + 30) {
                if (uncertain)
                    r->state = REC_CHANGE_UNKNOWN;
                return rc;
            }
            w->retries++;
            nap(w);
            continue;
        }
        unexpected(w, db, "bk_booking_reschedule", rc);
        return rc;
    }
}

/* A random live booking of this worker, or -1. */
static long pick_live(worker *w)
{
    size_t live = 0;
    for (size_t i = 0; i < w->n_recs; i++)
        live += w->recs[i].state == REC_LIVE;
    if (live == 0)
        return -1;
    size_t k = (size_t)rand_r(&w->seed) % live;
    for (size_t i = 0; i < w->n_recs; i++)
        if (w->recs[i].state == REC_LIVE && k-- == 0)
            return (long)i;
    return -1;
}

/* After the chaos: learns what became of every request left unanswered. */
static void resolve(worker *w, bk_db *db)
{
    for (size_t i = 0; i < w->n_recs; i++) {
        rec *r = &w->recs[i];
        if (r->state == REC_BOOK_UNKNOWN) {
            int uncertain = 0;
            int rc = book_rec(w, db, r, &uncertain);
            if (rc == BK_OK && r->state == REC_LIVE)
                w->booked++;
            else if (rc == BK_ECONFLICT || rc == BK_EUNAVAILABLE)
                r->state = REC_NONE; /* it never happened: the key books nothing */
            else {
                w->unresolved++;
                unexpected(w, db, "bk_book, retried with its key after the faults", rc);
            }
        } else if (r->state == REC_CHANGE_UNKNOWN) {
            bk_booking_status st;
            int rc = read_rec(w, db, r, &st);
            if (rc == BK_OK) {
                r->state = st == BK_BOOKING_CANCELLED ? REC_CANCELLED : REC_LIVE;
                if (st == BK_BOOKING_CANCELLED)
                    w->cancelled++;
            } else {
                w->unresolved++;
                unexpected(w, db, "bk_booking_get after the faults", rc);
            }
        }
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    bk_db *db = NULL;
    for (int attempt = 0;; attempt++) {
        int rc = open_db(&db);
        if (rc == BK_OK)
            break;
        if (!S->fault || !retryable(rc) || attempt >= MAX_RETRIES || now_s() > S->t_stop + 30) {
            unexpected(w, NULL, "bk_open", rc);
            return NULL;
        }
        w->retries++;
        nap(w);
    }
    /* Every handle opened at once on a fresh database (the schema's
     * migrations race); the providers come after. */
    while (__atomic_load_n(&S->world_ready, __ATOMIC_ACQUIRE) == 0 && now_s() < S->t_stop)
        sleep_ms(5);
    if (__atomic_load_n(&S->world_ready, __ATOMIC_ACQUIRE) != 1) {
        bk_close(db);
        return NULL;
    }
    for (long op = 0; op < S->ops && now_s() < S->t_stop; op++) {
        unsigned int dice = (unsigned int)rand_r(&w->seed) % 100;
        long live = pick_live(w);
        if (live < 0 || dice < 50) {
            do_book(w, db, (int)((unsigned int)rand_r(&w->seed) % PROVIDERS), random_start(w));
        } else if (dice < 75) {
            do_cancel(w, db, (size_t)live);
        } else {
            do_reschedule(w, db, (size_t)live, random_start(w));
        }
        w->ops_done++;
    }
    if (S->fault) {
        double wait = S->chaos_end + 0.5 - now_s();
        if (wait > 0)
            sleep_ms((long)(wait * 1000));
        resolve(w, db);
    }
    bk_close(db);
    return NULL;
}

/* Workers [from, from + THREADS) as threads of this process. */
typedef struct crew {
    pthread_t tid[THREADS];
    int started;
} crew;

static void start_threads(crew *c, int from)
{
    c->started = 0;
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&c->tid[i], NULL, worker_main, &S->w[from + i]) != 0)
            break;
        c->started++;
    }
}

static int join_threads(crew *c)
{
    for (int i = 0; i < c->started; i++)
        pthread_join(c->tid[i], NULL);
    return c->started == THREADS;
}

/* In a forked child: dies with the parent, and on its own after `limit`
 * seconds (SIGALRM's default action), so that it can never outlive the
 * test or hang it. */
static void child_guard(pid_t parent, unsigned int limit)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(3);
    alarm(limit);
}

/* pg_ctl restart -m fast, as tests/pg/cluster.sh's wrapper runs it.  The
 * restarted server must not inherit this process's descriptors. */
static int restart_server(const char *ctl, const char *datadir)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execl(ctl, ctl, "restart", "-m", "fast", "-D", datadir, "-w", "-t", "60", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The killer: terminates ~30 % of the database's other backends every
 * 50 ms until the chaos ends, and restarts the server once, 40 % in. */
static void killer_main(void)
{
    const char *uri = getenv("BK_TEST_PG_URI");
    const char *ctl = getenv("BK_TEST_PG_CTL");
    const char *datadir = getenv("BK_TEST_PG_DATADIR");
    int restart_done = !(ctl && *ctl && datadir && *datadir);
    double restart_at = S->t_start + 0.4 * (S->chaos_end - S->t_start);
    PGconn *c = NULL;
    while (__atomic_load_n(&S->world_ready, __ATOMIC_ACQUIRE) == 0 && now_s() < S->chaos_end)
        sleep_ms(5);
    while (now_s() < S->chaos_end) {
        if (!restart_done && now_s() >= restart_at) {
            restart_done = 1;
            PQfinish(c);
            c = NULL;
            double t = now_s();
            int rc = restart_server(ctl, datadir);
            S->restart_seconds = now_s() - t;
            if (rc == 0)
                S->restarts++;
            else {
                S->restart_failures++;
                snprintf(S->killer_error, sizeof S->killer_error, "%s restart -m fast exited %d", ctl, rc);
            }
            continue;
        }
        if (!c || PQstatus(c) != CONNECTION_OK) {
            PQfinish(c);
            c = PQconnectdb(uri);
            if (PQstatus(c) != CONNECTION_OK) {
                S->kill_errors++;
                sleep_ms(50);
                continue;
            }
        }
        PGresult *res = PQexec(c, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS t"
                                  " FROM pg_stat_activity WHERE datname = current_database()"
                                  " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                                  " AND random() < 0.3) k WHERE t");
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            S->kills += atol(PQgetvalue(res, 0, 0));
            S->kill_rounds++;
        } else {
            S->kill_errors++;
            if (!S->killer_error[0])
                snprintf(S->killer_error, sizeof S->killer_error, "kill query: %s", PQerrorMessage(c));
        }
        PQclear(res);
        sleep_ms(50);
    }
    PQfinish(c);
}

/* Waits for a child until `deadline`; kills it then.  1 if it exited 0. */
static int wait_child(pid_t pid, double deadline, const char *what)
{
    int status = 0;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR) {
            fprintf(stderr, "%s: waitpid: %s\n", what, strerror(errno));
            return 0;
        }
        if (now_s() > deadline) {
            fprintf(stderr, "%s (pid %d) still running at the deadline: killed\n", what, (int)pid);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return 0;
        }
        sleep_ms(50);
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "%s died of signal %d%s\n", what, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (its watchdog: it hung)" : "");
        return 0;
    }
    if (WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s exited %d\n", what, WEXITSTATUS(status));
        return 0;
    }
    return 1;
}

/* 5 providers available around the clock (UTC), each with a 60-minute
 * service on a 5-minute grid.  1, or 0 with a message in why. */
static int make_world(char *why, size_t why_size)
{
    bk_db *db = NULL;
    int rc = open_db(&db);
    if (rc != BK_OK) {
        snprintf(why, why_size, "bk_open: %s", bk_errmsg(NULL));
        return 0;
    }
    for (int i = 0; i < PROVIDERS && rc == BK_OK; i++) {
        char name[32], email[64];
        snprintf(name, sizeof name, "torture%d", i);
        snprintf(email, sizeof email, "torture%d@example.com", i);
        bk_provider p = BK_PROVIDER_INIT;
        p.username = name;
        p.email = email;
        p.full_name = "Torture Provider";
        p.timezone = "UTC";
        rc = bk_provider_create(db, &p, &S->provider[i]);
        for (int wd = 0; wd < 7 && rc == BK_OK; wd++) {
            bk_availability a = BK_AVAILABILITY_INIT;
            a.provider = S->provider[i];
            a.weekday = wd;
            a.start_minute = 0;
            a.end_minute = 1440;
            rc = bk_availability_add(db, &a, NULL);
        }
        bk_service sv = BK_SERVICE_INIT;
        sv.provider = S->provider[i];
        sv.name = "hour";
        sv.duration_minutes = 60;
        sv.slot_step_minutes = 5;
        if (rc == BK_OK)
            rc = bk_service_create(db, &sv, &S->service[i]);
    }
    if (rc != BK_OK)
        snprintf(why, why_size, "making the providers: %s: %s", bk_strerror(rc), bk_errmsg(db));
    bk_close(db);
    return rc == BK_OK;
}

/* ---- the checks through libpq ---- */

typedef struct expected {
    const char *id;
    const char *key;
    int live;
    bk_time start;
} expected;

static int cmp_expected(const void *a, const void *b)
{
    return strcmp(((const expected *)a)->id, ((const expected *)b)->id);
}

static PGconn *connect_checker(const char *uri)
{
    /* After a restart the server may still be coming up. */
    PGconn *c = NULL;
    for (int i = 0; i < 300; i++) {
        c = PQconnectdb(uri);
        if (PQstatus(c) == CONNECTION_OK)
            return c;
        PQfinish(c);
        c = NULL;
        sleep_ms(100);
    }
    ck_abort_msg("cannot connect to %s for the checks", uri);
    return NULL;
}

static PGresult *query(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    return res;
}

static long scalar(PGconn *c, const char *sql)
{
    PGresult *res = query(c, sql);
    long v = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

typedef struct verdict {
    long partitions;
    long rows, live_rows, overlaps, missing, phantoms, wrong_status, wrong_key, wrong_start, duplicate_ids,
        duplicate_keys;
    char first[400];
} verdict;

static void first_problem(verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void first_problem(verdict *v, const char *fmt, ...)
{
    if (v->first[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->first, sizeof v->first, fmt, ap);
    va_end(ap);
}

static verdict verify(const char *pg_uri)
{
    verdict v;
    memset(&v, 0, sizeof v);
    PGconn *c = connect_checker(pg_uri);

    v.overlaps = scalar(c, "SELECT count(*) FROM bookings a JOIN bookings b"
                           " ON a.provider_id = b.provider_id AND a.id < b.id AND a.occupied && b.occupied"
                           " WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'");
    v.partitions = scalar(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'bookings'::regclass");
    v.duplicate_keys = scalar(c, "SELECT count(*) FROM (SELECT idempotency_key FROM bookings"
                                 " WHERE idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d");

    /* What the workers believe, sorted by id. */
    size_t n_exp = 0;
    for (int i = 0; i < WORKERS; i++)
        n_exp += S->w[i].n_recs;
    expected *exp = calloc(n_exp ? n_exp : 1, sizeof *exp);
    ck_assert_ptr_nonnull(exp);
    n_exp = 0;
    for (int i = 0; i < WORKERS; i++)
        for (size_t j = 0; j < S->w[i].n_recs; j++) {
            const rec *r = &S->w[i].recs[j];
            if (r->state != REC_LIVE && r->state != REC_CANCELLED)
                continue; /* never happened, or unresolved (counted) */
            exp[n_exp].id = r->id.s;
            exp[n_exp].key = r->key;
            exp[n_exp].live = r->state == REC_LIVE;
            exp[n_exp].start = r->start;
            n_exp++;
        }
    qsort(exp, n_exp, sizeof *exp, cmp_expected);
    for (size_t i = 1; i < n_exp; i++)
        if (strcmp(exp[i - 1].id, exp[i].id) == 0) {
            v.duplicate_ids++;
            first_problem(&v, "booking %s was reported BK_OK to two different requests", exp[i].id);
        }

    /* What the table holds, merged with it. */
    PGresult *res = query(c, "SELECT id::text, status::text, coalesce(idempotency_key, ''),"
                             " extract(epoch FROM lower(occupied))::bigint"
                             " FROM bookings ORDER BY id::text COLLATE \"C\"");
    v.rows = PQntuples(res);
    size_t i = 0;
    long r = 0;
    while (r < v.rows || i < n_exp) {
        int cmp = r >= v.rows ? 1 : i >= n_exp ? -1 : strcmp(PQgetvalue(res, (int)r, 0), exp[i].id);
        if (cmp < 0) { /* in the table, reported to nobody */
            v.phantoms++;
            first_problem(&v, "booking %s (%s) exists but no worker was told BK_OK for it",
                          PQgetvalue(res, (int)r, 0), PQgetvalue(res, (int)r, 1));
            if (strcmp(PQgetvalue(res, (int)r, 1), "cancelled") != 0)
                v.live_rows++;
            r++;
        } else if (cmp > 0) { /* reported BK_OK, not in the table */
            v.missing++;
            first_problem(&v, "booking %s was reported BK_OK but is not in the table", exp[i].id);
            i++;
        } else {
            const char *status = PQgetvalue(res, (int)r, 1);
            int live = strcmp(status, "cancelled") != 0;
            v.live_rows += live;
            if (live != exp[i].live || (live && strcmp(status, "confirmed") != 0)) {
                v.wrong_status++;
                first_problem(&v, "booking %s is %s in the table, not what its worker believes", exp[i].id, status);
            }
            if (strcmp(PQgetvalue(res, (int)r, 2), exp[i].key) != 0) {
                v.wrong_key++;
                first_problem(&v, "booking %s has idempotency key '%s', not its request's", exp[i].id,
                              PQgetvalue(res, (int)r, 2));
            }
            if (atoll(PQgetvalue(res, (int)r, 3)) != exp[i].start) {
                v.wrong_start++;
                first_problem(&v, "booking %s starts at epoch %s in the table, not where its worker put it",
                              exp[i].id, PQgetvalue(res, (int)r, 3));
            }
            r++;
            i++;
        }
    }
    PQclear(res);
    PQfinish(c);
    free(exp);
    return v;
}

/* ---- the test ---- */

static void run_workload(int fault)
{
    const char *pg_uri = getenv("BK_TEST_PG_URI");
    ck_assert_msg(getenv("BK_TEST_URI") && pg_uri, "BK_TEST_URI and BK_TEST_PG_URI must be set");

    S = mmap(NULL, sizeof *S, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(S != MAP_FAILED, "mmap: %s", strerror(errno));
    memset(S, 0, sizeof *S);
    S->fault = fault;
    S->ops = env_long("BK_TEST_TORTURE_OPS", 250, 1, MAX_OPS);
    double seconds = (double)env_long("BK_TEST_TORTURE_SECONDS", fault ? 15 : 60, 1, 600);
    unsigned int seed = (unsigned int)env_long("BK_TEST_SEED", (long)(time(NULL) ^ getpid()) & 0x7fffffff, 0, 0x7fffffff);
    ck_assert_int_eq(bk_time_parse_iso("2031-01-06T08:00:00Z", &S->t0), BK_OK);
    for (int i = 0; i < WORKERS; i++) {
        S->w[i].index = i;
        S->w[i].seed = seed * 7919u + (unsigned int)i * 104729u + 1u;
    }
    double t = now_s();
    S->t_start = t;
    S->t_stop = t + seconds;
    S->chaos_end = fault ? S->t_stop : t;
    double deadline = S->t_stop + 120; /* the workload's bound plus time for stragglers */
    unsigned int child_limit = (unsigned int)(seconds + 150);
    pid_t parent = getpid();

    fflush(NULL);
    pid_t child = fork();
    ck_assert_msg(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        child_guard(parent, child_limit);
        crew c;
        start_threads(&c, THREADS);
        _exit(join_threads(&c) ? 0 : 2);
    }
    pid_t killer = -1;
    if (fault) {
        killer = fork();
        if (killer == 0) {
            child_guard(parent, child_limit);
            killer_main();
            _exit(0);
        }
        if (killer < 0) {
            kill(child, SIGKILL);
            ck_abort_msg("fork: %s", strerror(errno));
        }
    }
    crew mine;
    start_threads(&mine, 0);
    char why[600] = "";
    int world_ok = make_world(why, sizeof why);
    __atomic_store_n(&S->world_ready, world_ok ? 1 : -1, __ATOMIC_RELEASE);
    int threads_ok = join_threads(&mine);
    int child_ok = wait_child(child, deadline, "worker process");
    int killer_ok = killer < 0 || wait_child(killer, deadline, "killer process");
    double took = now_s() - t;

    worker sum;
    memset(&sum, 0, sizeof sum);
    const char *first_unexpected = NULL;
    for (int i = 0; i < WORKERS; i++) {
        const worker *w = &S->w[i];
        sum.ops_done += w->ops_done;
        sum.booked += w->booked;
        sum.conflict += w->conflict;
        sum.unavailable += w->unavailable;
        sum.cancelled += w->cancelled;
        sum.rescheduled += w->rescheduled;
        sum.retries += w->retries;
        sum.unexpected += w->unexpected;
        sum.unresolved += w->unresolved;
        sum.uncertain_ok += w->uncertain_ok;
        sum.uncertain_refused += w->uncertain_refused;
        sum.uncertain_later += w->uncertain_later;
        for (int k = 0; k < N_CODES; k++)
            sum.codes[k] += w->codes[k];
        if (!first_unexpected && w->first_unexpected[0])
            first_unexpected = w->first_unexpected;
    }
    const char *name = label;
    printf("%s: seed %u; %d workers in 2 processes, %ld operations in %.1f s: %ld booked, %ld conflict,"
           " %ld unavailable, %ld cancelled, %ld rescheduled, %ld retries, %ld unexpected, %ld unresolved\n",
           name, seed, WORKERS, sum.ops_done, took, sum.booked, sum.conflict, sum.unavailable, sum.cancelled,
           sum.rescheduled, sum.retries, sum.unexpected, sum.unresolved);
    printf("%s: statuses seen:", name);
    for (int k = 0; k < N_CODES; k++)
        if (sum.codes[k])
            printf(" %s %ld;", bk_strerror(-k), sum.codes[k]);
    printf("\n");
    if (fault)
        printf("%s: bookings whose outcome was unknown (BK_EUNKNOWN): %ld then BK_OK with the same key, %ld then"
               " refused, %ld left for after the faults\n",
               name, sum.uncertain_ok, sum.uncertain_refused, sum.uncertain_later);
    if (fault)
        printf("%s: killer: %ld backends terminated in %ld rounds (%ld errors), %ld restart(s) (%.1f s), "
               "%ld failed%s%s\n",
               name, S->kills, S->kill_rounds, S->kill_errors, S->restarts, S->restart_seconds,
               S->restart_failures, S->killer_error[0] ? ": " : "", S->killer_error);
    fflush(stdout);

    ck_assert_msg(world_ok, "%s", why);
    ck_assert_msg(threads_ok, "could not start the threads");
    ck_assert_msg(child_ok, "the worker process crashed or hung (see above)");
    ck_assert_msg(killer_ok, "the killer process crashed or hung (see above)");

    verdict v = verify(pg_uri);
    printf("%s: verified: %ld bookings in the table (%ld partitions; %ld live), %ld overlapping pairs, %ld missing, %ld phantom,"
           " %ld wrong status, %ld wrong key, %ld wrong start, %ld ids reported twice, %ld keys with two bookings\n",
           name, v.rows, v.partitions, v.live_rows, v.overlaps, v.missing, v.phantoms, v.wrong_status, v.wrong_key, v.wrong_start,
           v.duplicate_ids, v.duplicate_keys);
    fflush(stdout);

    ck_assert_msg(v.overlaps == 0, "%ld pairs of live bookings overlap", v.overlaps);
    ck_assert_msg(v.partitions == env_long("BK_TEST_BOOKING_PARTITIONS", 0, 0, 256),
                  "bookings has %ld partitions, BK_TEST_BOOKING_PARTITIONS asked for %ld", v.partitions,
                  env_long("BK_TEST_BOOKING_PARTITIONS", 0, 0, 256));
    ck_assert_msg(v.missing + v.phantoms + v.wrong_status + v.wrong_key + v.wrong_start + v.duplicate_ids == 0, "%s",
                  v.first);
    ck_assert_msg(v.duplicate_keys == 0, "%ld idempotency keys map to more than one booking", v.duplicate_keys);
    ck_assert_msg(sum.unexpected == 0, "%ld unexpected statuses; the first: %s", sum.unexpected,
                  first_unexpected ? first_unexpected : "?");
    ck_assert_msg(sum.unresolved == 0, "%ld requests never got a definite answer", sum.unresolved);
    ck_assert_msg(sum.booked > 0 && sum.conflict > 0, "the workload did not contend (%ld booked, %ld conflicts)",
                  sum.booked, sum.conflict);
    if (fault) {
        ck_assert_msg(S->kills > 0, "the killer terminated no backend");
        ck_assert_msg(S->restart_failures == 0, "%s", S->killer_error);
    }
    munmap(S, sizeof *S);
    S = NULL;
}

START_TEST(torture_keeps_bookings_disjoint_and_reported)
{
    run_workload(0);
}
END_TEST

START_TEST(faults_give_errors_never_wrong_data)
{
    run_workload(1);
}
END_TEST

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int fault = strcmp(mode, "fault") == 0;
    if ((!fault && strcmp(mode, "torture") != 0) || argc > 3) {
        fprintf(stderr, "usage: %s torture|fault [LABEL]\n", argv[0]);
        return 2;
    }
    label = argc > 2 ? argv[2] : fault ? "pg_fault" : "pg_torture";
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
    Suite *s = suite_create(fault ? "pg_fault" : "pg_torture");
    TCase *tc = tcase_create(mode);
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, fault ? faults_give_errors_never_wrong_data : torture_keeps_bookings_disjoint_and_reported);
    suite_add_tcase(s, tc);
    Suite *suites[] = {s};
    return harness_run(suites, 1);
}
