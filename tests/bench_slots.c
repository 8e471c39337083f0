/*
 * Benchmark: one scenario's slot query (tests/scenarios/bench_month.json:
 * a month in America/New_York across a DST change, 200 bookings), repeated.
 *
 *   bench_slots FILE [K]     K timed queries (default 2000) after one warm-up;
 *                            prints the median per query and slots per second
 *   bench_slots FILE --once  the same as K = 1
 *
 * The warm-up query is not timed: it builds the zone's transition table,
 * which is paid once per process, not per query.  Every measured query goes
 * through bench_one_query(), which is never inlined, so that callgrind can
 * count exactly one warm query:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_one_query \
 *       build/tests/bench_slots tests/scenarios/bench_month.json 1
 *
 * The result is checked against the file's `expected` (exit 1 if it
 * differs): a fast wrong answer is not a result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <booking.h>

#include "scenario.h"

#define DEFAULT_RUNS 2000L
#define MAX_RUNS 10000000L

int bench_one_query(bk_db *db, const bk_slot_query *q, bk_slot **out, size_t *n)
    __attribute__((noinline));

int bench_one_query(bk_db *db, const bk_slot_query *q, bk_slot **out, size_t *n)
{
    return bk_slots(db, q, out, n);
}

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

static int check_result(const char *path, const scenario *sc, const bk_slot *slots, size_t n)
{
    char msg[512];
    int cmp = scenario_compare(sc, slots, n, msg, sizeof msg);
    if (cmp != 0) {
        fprintf(stderr, "bench_slots: %s: %s%s\n", path, cmp > 0 ? "wrong slots: " : "", msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_slots SCENARIO.json [RUNS | --once]\n");
        return 2;
    }
    const char *path = argv[1];
    long runs = DEFAULT_RUNS;
    if (argc == 3 && strcmp(argv[2], "--once") == 0) {
        runs = 1;
    } else if (argc == 3) {
        char *end;
        errno = 0;
        runs = strtol(argv[2], &end, 10);
        if (errno || end == argv[2] || *end || runs < 1 || runs > MAX_RUNS) {
            fprintf(stderr, "bench_slots: RUNS must be an integer from 1 to %ld\n", MAX_RUNS);
            return 2;
        }
    }

    bk_db *db = NULL;
    scenario sc;
    char err[1024];
    if (bk_open(&db, "memory:") != BK_OK) {
        fprintf(stderr, "bench_slots: bk_open: %s\n", bk_errmsg(NULL));
        return 1;
    }
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    if (rc != BK_OK) {
        fprintf(stderr, "bench_slots: %s\n", err);
        bk_close(db);
        return 2;
    }

    int status = 0;
    double *times = NULL;
    bk_slot *slots = NULL;
    size_t n = 0;

    rc = bk_slots(db, &sc.query, &slots, &n);
    if (rc != BK_OK) {
        fprintf(stderr, "bench_slots: bk_slots: %s: %s\n", bk_strerror(rc), bk_errmsg(db));
        status = 1;
        goto done;
    }
    if ((status = check_result(path, &sc, slots, n)) != 0)
        goto done;
    bk_slots_free(slots);
    slots = NULL;

    times = malloc((size_t)runs * sizeof *times);
    if (!times) {
        fprintf(stderr, "bench_slots: out of memory for %ld timings\n", runs);
        status = 1;
        goto done;
    }
    for (long i = 0; i < runs; i++) {
        double t0 = now_seconds();
        rc = bench_one_query(db, &sc.query, &slots, &n);
        times[i] = now_seconds() - t0;
        if (rc != BK_OK) {
            fprintf(stderr, "bench_slots: bk_slots (run %ld): %s: %s\n", i, bk_strerror(rc), bk_errmsg(db));
            status = 1;
            goto done;
        }
        /* The last result is kept for a second comparison, outside the
         * timing: the warm-up's answer says nothing about later queries
         * served from whatever the first one cached. */
        if (i + 1 < runs) {
            bk_slots_free(slots);
            slots = NULL;
        }
    }
    if ((status = check_result(path, &sc, slots, n)) != 0)
        goto done;

    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    double median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    double p90 = times[(size_t)((double)(runs - 1) * 0.9)];
    printf("%s: %zu slots per query, %ld warm quer%s\n", path, n, runs, runs == 1 ? "y" : "ies");
    printf("median %.1f us/query (min %.1f, p90 %.1f), %.0f slots/s, %.0f queries/s\n", median * 1e6,
           times[0] * 1e6, p90 * 1e6, median > 0 ? (double)n / median : 0.0, median > 0 ? 1.0 / median : 0.0);

done:
    free(times);
    bk_slots_free(slots);
    scenario_free(&sc);
    bk_close(db);
    return status;
}
