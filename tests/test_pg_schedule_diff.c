/* The PostgreSQL backend's schedule read against the memory backend's
 * (issue 3, part 1: the narrow read of migration 4 must not change what
 * bk_slots, bk_slot_explain, bk_book and bk_booking_reschedule answer).
 *
 *   test_pg_schedule_diff [LABEL]
 *
 * One random world is built through the public API in both stores at once
 * -- providers in zones with DST and odd offsets, weekly hours with cut-out
 * rows, overrides and days off, one-off and recurring blocked periods,
 * services of 5 minutes to a day with buffers up to a day, and imported
 * bookings of every status packed around them -- and then hundreds of
 * random queries, explanations, bookings and moves are asked of both.
 * Every answer must be the same: status, slots, reasons and the record a
 * reason names (ids differ between stores, so records are compared by the
 * order they were made in).  Windows and starts are drawn near bookings'
 * and periods' edges, where the read's narrowing by the service's length
 * and buffers could cut something off.
 *
 * Environment: BK_TEST_URI (tests/pg/with-fresh-db.sh), BK_TEST_SEED,
 * BK_TEST_DIFF_OPS (default 1000), BK_TEST_BOOKING_PARTITIONS.  No server:
 * skipped (exit 77), a failure with CI=true.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <booking.h>

#include "harness.h"

#define PROVIDERS 3
#define SERVICES 3 /* per provider */
#define MAX_RECORDS 4096
#define DAY 86400

static bk_db *pg, *mem;
static unsigned int seed;
static bk_time t0; /* 2031-03-23T00:00:00Z: a week before the EU's spring change */

/* A record made in both stores: its id in each. */
typedef struct pair {
    bk_id pg, mem;
    int provider;       /* index */
    int service;        /* a booking's service (index), or -1 */
    int live;
    int64_t version_pg, version_mem;
    bk_time start, end; /* where it is (a booking: with its buffers) */
    bk_time booked_at;  /* a booking's start */
} pair;

static pair providers[PROVIDERS], services[PROVIDERS][SERVICES];
static pair records[MAX_RECORDS]; /* blocked periods and bookings, in order made */
static size_t n_records;
static long compared, differences;
/* What the questions found, so that a run that never got an answer worth
 * comparing fails instead of passing. */
static long slot_lists, slots_seen, books_ok, moves_ok, reasons[8];
static char first_difference[600];

static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
                                    "UTC", "Pacific/Chatham"};

static unsigned int rnd(unsigned int n) { return n ? (unsigned int)rand_r(&seed) % n : 0; }

/* The UTC date of t (days to civil, H. Hinnant's algorithm). */
static bk_date utc_date(bk_time t)
{
    long long z = (t >= 0 ? t : t - (DAY - 1)) / DAY + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
    return (bk_date){(int)(yoe + era * 400 + (m <= 2)), m, d};
}

static void differ(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void differ(const char *fmt, ...)
{
    differences++;
    if (first_difference[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(first_difference, sizeof first_difference, fmt, ap);
    va_end(ap);
}

/* Both stores answered; record a difference of status. */
static int same_status(const char *what, int a, int b)
{
    compared++;
    if (a != b) {
        differ("%s: PostgreSQL %s (%s), memory %s (%s)", what, bk_strerror(a), bk_errmsg(pg), bk_strerror(b),
               bk_errmsg(mem));
        return 0;
    }
    return 1;
}

#define BOTH(what, call_pg, call_mem) same_status(what, (call_pg), (call_mem))

static const pair *record_of(const bk_id *id, int in_pg)
{
    for (size_t i = 0; i < n_records; i++)
        if (strcmp(in_pg ? records[i].pg.s : records[i].mem.s, id->s) == 0)
            return &records[i];
    return NULL;
}

/* ---- the world ---- */

static void make_provider(int i)
{
    char user[32], email[64];
    snprintf(user, sizeof user, "diff%d", i);
    snprintf(email, sizeof email, "diff%d@example.com", i);
    bk_provider p = BK_PROVIDER_INIT;
    p.username = user;
    p.email = email;
    p.full_name = "Diff Provider";
    p.timezone = zones[rnd(sizeof zones / sizeof zones[0])];
    ck_assert(BOTH("provider", bk_provider_create(pg, &p, &providers[i].pg),
                   bk_provider_create(mem, &p, &providers[i].mem)));
    /* Weekly hours: a long day, sometimes with an hour cut out. */
    for (int wd = 0; wd < 7; wd++) {
        for (int k = 0; k < 1 + (rnd(2) == 0); k++) {
            bk_availability a = BK_AVAILABILITY_INIT;
            a.weekday = wd;
            a.is_available = k == 0;
            a.start_minute = k == 0 ? (6 + (int)rnd(4)) * 60 : (11 + (int)rnd(4)) * 60;
            a.end_minute = k == 0 ? (17 + (int)rnd(7)) * 60 : a.start_minute + 60;
            a.provider = providers[i].pg;
            int rc_pg = bk_availability_add(pg, &a, NULL);
            a.provider = providers[i].mem;
            ck_assert(BOTH("availability", rc_pg, bk_availability_add(mem, &a, NULL)));
        }
    }
    /* Overrides: a day off, a short day, two intervals. */
    for (int k = 0; k < 4; k++) {
        bk_local_interval iv[2] = {{(int)rnd(12) * 60, 0}, {0, 0}};
        iv[0].end_minute = iv[0].start_minute + 120 + (int)rnd(6) * 60;
        iv[1].start_minute = iv[0].end_minute + 30;
        iv[1].end_minute = iv[1].start_minute + 90;
        bk_override o = BK_OVERRIDE_INIT;
        o.date = utc_date(t0 + (bk_time)rnd(21) * DAY);
        o.n_intervals = rnd(3);
        o.intervals = o.n_intervals ? iv : NULL;
        o.provider = providers[i].pg;
        int rc_pg = bk_override_set(pg, &o);
        o.provider = providers[i].mem;
        ck_assert(BOTH("override", rc_pg, bk_override_set(mem, &o)));
    }
    /* Services: 5 minutes to a day, buffers up to a day. */
    static const int durations[] = {5, 15, 30, 45, 60, 90, 240, 1440};
    static const int buffers[] = {0, 0, 5, 10, 30, 120, 1440};
    for (int k = 0; k < SERVICES; k++) {
        bk_service s = BK_SERVICE_INIT;
        s.name = "diff";
        s.duration_minutes = durations[rnd(sizeof durations / sizeof durations[0])];
        s.buffer_before_minutes = buffers[rnd(sizeof buffers / sizeof buffers[0])];
        s.buffer_after_minutes = buffers[rnd(sizeof buffers / sizeof buffers[0])];
        s.slot_step_minutes = rnd(2) ? 0 : 5 * (int)(1 + rnd(6));
        s.min_notice_minutes = (int)rnd(3) * 60;
        s.horizon_days = rnd(4) ? 0 : 30;
        s.provider = providers[i].pg;
        int rc_pg = bk_service_create(pg, &s, &services[i][k].pg);
        s.provider = providers[i].mem;
        ck_assert(BOTH("service", rc_pg, bk_service_create(mem, &s, &services[i][k].mem)));
        services[i][k].provider = i;
    }
}

static void add_blocked(int i)
{
    bk_blocked b = BK_BLOCKED_INIT;
    b.start = t0 + (bk_time)rnd(21 * 96) * 900;
    b.end = b.start + (bk_time)(1 + rnd(16)) * 900;
    static const char *const rules[] = {"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=DAILY;INTERVAL=3;COUNT=5"};
    if (rnd(4) == 0)
        b.rrule = rules[rnd(3)];
    b.reason = "diff";
    pair *r = &records[n_records];
    b.provider = providers[i].pg;
    int rc_pg = bk_blocked_add(pg, &b, &r->pg);
    b.provider = providers[i].mem;
    if (BOTH("blocked period", rc_pg, bk_blocked_add(mem, &b, &r->mem)) && rc_pg == BK_OK) {
        r->provider = i;
        r->service = -1;
        r->start = b.start;
        r->end = b.end;
        n_records++;
    }
}

static void import_booking(int i)
{
    int k = (int)rnd(SERVICES);
    static const bk_booking_status statuses[] = {BK_BOOKING_CONFIRMED, BK_BOOKING_CONFIRMED, BK_BOOKING_PENDING,
                                                 BK_BOOKING_CANCELLED, BK_BOOKING_COMPLETED, BK_BOOKING_NO_SHOW};
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.start = t0 + (bk_time)rnd(21 * 288) * 300;
    b.end = b.start + (bk_time)(1 + rnd(36)) * 300;
    b.buffer_before_minutes = rnd(3) ? 0 : (int)rnd(4) * 30;
    b.buffer_after_minutes = rnd(3) ? 0 : (int)rnd(4) * 30;
    b.status = statuses[rnd(sizeof statuses / sizeof statuses[0])];
    b.customer_name = "Diff Customer";
    b.customer_email = "diff@example.com";
    b.confirmed_at = b.cancelled_at = b.archived_at = BK_TIME_UNSET;
    pair *r = &records[n_records];
    b.provider = providers[i].pg;
    b.service = services[i][k].pg;
    int rc_pg = bk_booking_import(pg, &b, &r->pg);
    b.provider = providers[i].mem;
    b.service = services[i][k].mem;
    if (BOTH("bk_booking_import", rc_pg, bk_booking_import(mem, &b, &r->mem)) && rc_pg == BK_OK) {
        r->provider = i;
        r->version_pg = r->version_mem = 1;
        r->live = b.status == BK_BOOKING_CONFIRMED || b.status == BK_BOOKING_PENDING;
        r->service = k;
        r->booked_at = b.start;
        r->start = b.start - (bk_time)b.buffer_before_minutes * 60;
        r->end = b.end + (bk_time)b.buffer_after_minutes * 60;
        n_records++;
    }
}

/* ---- the questions ---- */

/* A time near something: a record's edge give or take a buffer's worth, or
 * anywhere in the three weeks. */
static bk_time near_time(void)
{
    static const bk_time offsets[] = {0, 300, -300, 900, -900, 1800, -3600, 86400, -86400};
    bk_time t = t0 + (bk_time)rnd(21 * 288) * 300;
    if (n_records && rnd(3)) {
        const pair *r = &records[rnd((unsigned)n_records)];
        t = (rnd(2) ? r->start : r->end) + offsets[rnd(sizeof offsets / sizeof offsets[0])];
        t -= t % 300;
    }
    return t;
}

/* A start PostgreSQL offers for (i, k) within a day after `from`, or
 * `from` itself if it offers none (what the stores then answer is still
 * compared). */
static bk_time offered_near(int i, int k, bk_time from)
{
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = providers[i].pg;
    q.service = services[i][k].pg;
    q.from = from;
    q.to = from + DAY;
    q.now = t0 - DAY;
    bk_slot *slots = NULL;
    size_t n = 0;
    bk_time t = from;
    if (bk_slots(pg, &q, &slots, &n) == BK_OK && n)
        t = slots[rnd((unsigned)n)].start;
    bk_slots_free(slots);
    return t;
}

static void ask_slots(void)
{
    int i = (int)rnd(PROVIDERS), k = (int)rnd(SERVICES);
    static const bk_time lengths[] = {3600, (bk_time)4 * 3600, DAY, (bk_time)3 * DAY, (bk_time)14 * DAY};
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.from = near_time();
    q.to = q.from + lengths[rnd(sizeof lengths / sizeof lengths[0])];
    q.now = t0 - DAY + (bk_time)rnd(4) * DAY;
    bk_slot *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    q.provider = providers[i].pg;
    q.service = services[i][k].pg;
    int rc_pg = bk_slots(pg, &q, &a, &na);
    q.provider = providers[i].mem;
    q.service = services[i][k].mem;
    if (BOTH("bk_slots", rc_pg, bk_slots(mem, &q, &b, &nb)) && rc_pg == BK_OK) {
        slot_lists++;
        slots_seen += (long)na;
        if (na != nb)
            differ("bk_slots from %lld: %zu slots from PostgreSQL, %zu from memory", (long long)q.from, na, nb);
        for (size_t s = 0; s < na && s < nb; s++)
            if (a[s].start != b[s].start || a[s].end != b[s].end) {
                differ("bk_slots from %lld: slot %zu differs (%lld vs %lld)", (long long)q.from, s,
                       (long long)a[s].start, (long long)b[s].start);
                break;
            }
    }
    bk_slots_free(a);
    bk_slots_free(b);
}

/* A live booking's, or NULL. */
static pair *random_live(void)
{
    size_t live = 0;
    for (size_t i = 0; i < n_records; i++)
        live += records[i].live;
    size_t pick = live ? rnd((unsigned)live) : 0;
    for (size_t i = 0; i < n_records && live; i++)
        if (records[i].live && pick-- == 0)
            return &records[i];
    return NULL;
}

static void ask_explain(void)
{
    int i = (int)rnd(PROVIDERS), k = (int)rnd(SERVICES);
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    bk_time start = rnd(2) ? near_time() : offered_near(i, k, near_time() - DAY / 2);
    const pair *taken = rnd(3) == 0 ? random_live() : NULL;
    if (taken) {
        /* Where a booking is, on its own service's grid: a conflict,
         * unless something lasting says no first. */
        i = taken->provider;
        k = taken->service;
        start = taken->booked_at + (bk_time)rnd(3) * 300;
    }
    q.from = start - (bk_time)rnd(3) * DAY;
    q.to = start + 1 + (bk_time)rnd(3) * DAY;
    q.now = t0 - DAY;
    bk_slot_verdict a = BK_SLOT_VERDICT_INIT, b = BK_SLOT_VERDICT_INIT;
    q.provider = providers[i].pg;
    q.service = services[i][k].pg;
    int rc_pg = bk_slot_explain(pg, &q, start, &a);
    q.provider = providers[i].mem;
    q.service = services[i][k].mem;
    if (!BOTH("bk_slot_explain", rc_pg, bk_slot_explain(mem, &q, start, &b)) || rc_pg != BK_OK)
        return;
    if ((unsigned)a.reason < 8)
        reasons[a.reason]++;
    if (a.reason != b.reason) {
        differ("bk_slot_explain at %lld: %s from PostgreSQL (%s), %s from memory (%s)", (long long)start,
               bk_slot_reason_name(a.reason), a.message, bk_slot_reason_name(b.reason), b.message);
        return;
    }
    if (a.related.s[0] || b.related.s[0]) {
        const pair *ra = record_of(&a.related, 1), *rb = record_of(&b.related, 0);
        if (ra != rb)
            differ("bk_slot_explain at %lld: %s names different records (%s / %s)", (long long)start,
                   bk_slot_reason_name(a.reason), a.message, b.message);
    }
}

static void try_book(void)
{
    int i = (int)rnd(PROVIDERS), k = (int)rnd(SERVICES);
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.start = rnd(3) ? offered_near(i, k, near_time()) : near_time();
    r.now = t0 - DAY;
    r.customer_name = "Diff Booker";
    r.customer_email = "booker@example.com";
    pair *p = &records[n_records];
    bk_booking *a = NULL, *b = NULL;
    r.provider = providers[i].pg;
    r.service = services[i][k].pg;
    int rc_pg = bk_book(pg, &r, &a);
    r.provider = providers[i].mem;
    r.service = services[i][k].mem;
    if (BOTH("bk_book", rc_pg, bk_book(mem, &r, &b)) && rc_pg == BK_OK && a && b) {
        p->pg = a->id;
        p->mem = b->id;
        p->provider = i;
        p->version_pg = a->lock_version;
        p->version_mem = b->lock_version;
        p->live = 1;
        p->service = k;
        p->booked_at = a->start;
        books_ok++;
        p->start = a->start - (bk_time)a->buffer_before_minutes * 60;
        p->end = a->end + (bk_time)a->buffer_after_minutes * 60;
        n_records++;
    }
    bk_booking_free(a);
    bk_booking_free(b);
}

static void try_move(void)
{
    pair *p = random_live();
    if (!p)
        return;
    int k = p->service;
    bk_time start = k >= 0 && rnd(3) ? offered_near(p->provider, k, near_time()) : near_time();
    bk_booking *a = NULL, *b = NULL;
    int rc_pg = bk_booking_reschedule(pg, &p->pg, p->version_pg, start, t0 - DAY, &a);
    if (BOTH("bk_booking_reschedule", rc_pg,
             bk_booking_reschedule(mem, &p->mem, p->version_mem, start, t0 - DAY, &b)) &&
        rc_pg == BK_OK && a && b) {
        p->version_pg = a->lock_version;
        p->version_mem = b->lock_version;
        p->start = a->start - (bk_time)a->buffer_before_minutes * 60;
        p->end = a->end + (bk_time)a->buffer_after_minutes * 60;
        p->booked_at = a->start;
        moves_ok++;
    }
    bk_booking_free(a);
    bk_booking_free(b);
}

START_TEST(postgresql_answers_as_memory_does)
{
    long ops = 1000;
    const char *v = getenv("BK_TEST_DIFF_OPS");
    if (v && strtol(v, NULL, 10) > 0)
        ops = strtol(v, NULL, 10);
    v = getenv("BK_TEST_SEED");
    seed = v && *v ? (unsigned int)strtoul(v, NULL, 10) : (unsigned int)(time(NULL) ^ getpid());
    unsigned int first_seed = seed;
    ck_assert_int_eq(bk_time_parse_iso("2031-03-23T00:00:00Z", &t0), BK_OK);
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    v = getenv("BK_TEST_BOOKING_PARTITIONS");
    o.booking_partitions = v ? (int)strtol(v, NULL, 10) : 0;
    ck_assert_msg(bk_open_ext(&pg, getenv("BK_TEST_URI"), &o) == BK_OK, "bk_open: %s", bk_errmsg(NULL));
    ck_assert_msg(bk_open(&mem, "memory:") == BK_OK, "bk_open memory: %s", bk_errmsg(NULL));

    for (int i = 0; i < PROVIDERS; i++)
        make_provider(i);
    for (int n = 0; n < 40 * PROVIDERS; n++)
        add_blocked((int)rnd(PROVIDERS));
    for (int n = 0; n < 150 * PROVIDERS && n_records < MAX_RECORDS / 2; n++)
        import_booking((int)rnd(PROVIDERS));
    for (long n = 0; n < ops && n_records < MAX_RECORDS - 1; n++) {
        switch (rnd(5)) {
        case 0: ask_slots(); break;
        case 1: ask_explain(); break;
        case 2: try_book(); break;
        case 3: try_move(); break;
        default: ask_slots(); break;
        }
    }
    printf("pg_schedule_diff: seed %u; %zu records, %ld answers compared, %ld differ; %ld slot lists (%ld slots),"
           " %ld bookings and %ld moves made;",
           first_seed, n_records, compared, differences, slot_lists, slots_seen, books_ok, moves_ok);
    for (int r = 0; r < 8; r++)
        if (reasons[r])
            printf(" %s %ld;", bk_slot_reason_name((bk_slot_reason)r), reasons[r]);
    printf("\n");
    fflush(stdout);
    bk_close(pg);
    bk_close(mem);
    ck_assert_msg(differences == 0, "seed %u: %ld answers differ; the first: %s", first_seed, differences,
                  first_difference);
    ck_assert_msg(slots_seen > 0 && books_ok > 0 && moves_ok > 0 && reasons[BK_SLOT_CONFLICT] > 0 &&
                      reasons[BK_SLOT_BLOCKED] > 0,
                  "seed %u: the questions found too little to compare (see the counts above)", first_seed);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [LABEL]\n", argv[0]);
        return 2;
    }
    const char *uri = getenv("BK_TEST_URI");
    if (!uri || !*uri || strncmp(uri, "memory:", 7) == 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr, "FAIL: BK_TEST_URI must name a PostgreSQL database with CI=true "
                            "(run through tests/pg/with-fresh-db.sh)\n");
            return 1;
        }
        printf("SKIP: BK_TEST_URI does not name a PostgreSQL database (run through tests/pg/with-fresh-db.sh)\n");
        return 77;
    }
    Suite *s = suite_create(argc > 1 ? argv[1] : "pg_schedule_diff");
    TCase *tc = tcase_create("diff");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, postgresql_answers_as_memory_does);
    suite_add_tcase(s, tc);
    Suite *suites[] = {s};
    return harness_run(suites, 1);
}
