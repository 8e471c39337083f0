/* Round trips per call against PostgreSQL (issue 3, part 3: "a slot query
 * costs one round trip to the server; a booking at most two"), counted on
 * the wire: the library talks to the server through tests/pg_proxy.c,
 * which counts the server's ReadyForQuery messages -- one per statement or
 * pipeline the client waited for.
 *
 *   test_pg_round_trips [LABEL]
 *
 * The provider has every kind of record bk_slots reads (weekly hours, an
 * override, one-off and recurring blocked periods, bookings), so that no
 * kind can sneak in a second read unseen.  Fails unless bk_slots and
 * bk_slot_explain take exactly 1, and bk_book exactly 2 (a new booking),
 * or 1 (a conflict the read sees, an idempotent retry).  Prints the other
 * calls' counts.
 *
 * Environment: BK_TEST_PG_URI (tests/pg/with-fresh-db.sh: a fresh
 * database, directly), BK_TEST_BOOKING_PARTITIONS.  No server: skipped
 * (exit 77), a failure with CI=true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <booking.h>

#include "harness.h"
#include "pg_proxy.h"

#define CALLS 20

static pg_proxy *proxy;
static bk_db *db;
static bk_id provider, service;
static bk_time monday; /* 2031-03-03T00:00:00Z */

static bk_time T(const char *iso)
{
    bk_time t = 0;
    ck_assert_int_eq(bk_time_parse_iso(iso, &t), BK_OK);
    return t;
}

#define OK(call)                                                                                                   \
    do {                                                                                                           \
        int rc_ = (call);                                                                                          \
        ck_assert_msg(rc_ == BK_OK, "%s: %s: %s", #call, bk_strerror(rc_), bk_errmsg(db));                        \
    } while (0)

static void setup(void)
{
    char *uri = NULL;
    ck_assert_int_eq(pg_proxy_start(getenv("BK_TEST_PG_URI"), &proxy, &uri), 0);
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    const char *parts = getenv("BK_TEST_BOOKING_PARTITIONS");
    o.booking_partitions = parts ? (int)strtol(parts, NULL, 10) : 0;
    int rc = bk_open_ext(&db, uri, &o);
    free(uri);
    ck_assert_msg(rc == BK_OK, "bk_open_ext: %s", bk_errmsg(NULL));
    monday = T("2031-03-03T00:00:00Z");

    bk_provider p = BK_PROVIDER_INIT;
    p.username = "trips";
    p.email = "trips@example.com";
    p.full_name = "Round Trips";
    p.timezone = "Europe/Berlin";
    OK(bk_provider_create(db, &p, &provider));
    for (int wd = 0; wd < 7; wd++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = provider;
        a.weekday = wd;
        a.start_minute = 8 * 60;
        a.end_minute = 18 * 60;
        OK(bk_availability_add(db, &a, NULL));
    }
    bk_local_interval iv = {10 * 60, 12 * 60};
    bk_override ov = BK_OVERRIDE_INIT;
    ov.provider = provider;
    ov.date = (bk_date){2031, 3, 5};
    ov.n_intervals = 1;
    ov.intervals = &iv;
    OK(bk_override_set(db, &ov));
    bk_blocked bl = BK_BLOCKED_INIT;
    bl.provider = provider;
    bl.start = T("2031-03-04T12:00:00Z");
    bl.end = T("2031-03-04T13:00:00Z");
    OK(bk_blocked_add(db, &bl, NULL));
    bl.start = T("2031-03-03T11:00:00Z");
    bl.end = T("2031-03-03T11:30:00Z");
    bl.rrule = "FREQ=DAILY";
    OK(bk_blocked_add(db, &bl, NULL));
    bk_service s = BK_SERVICE_INIT;
    s.provider = provider;
    s.name = "half hour";
    s.duration_minutes = 30;
    s.buffer_after_minutes = 10;
    s.slot_step_minutes = 15;
    OK(bk_service_create(db, &s, &service));
}

static void teardown(void)
{
    bk_close(db);
    db = NULL;
    pg_proxy_stop(proxy);
    proxy = NULL;
}

static bk_book_request request(bk_time start, const char *key)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = provider;
    r.service = service;
    r.start = start;
    r.now = monday - 86400;
    r.customer_name = "Round Trip";
    r.customer_email = "trip@example.com";
    r.idempotency_key = key;
    return r;
}

/* The round trips of the calls since `from`, per call. */
static double per_call(long from, int calls) { return (double)(pg_proxy_ready_count(proxy) - from) / calls; }

START_TEST(slot_query_one_round_trip_booking_two)
{
    /* Bookings in the week, so that the schedule read returns some. */
    bk_booking *first = NULL;
    bk_book_request r0 = request(T("2031-03-03T09:00:00Z"), "first");
    OK(bk_book(db, &r0, &first));
    for (int d = 1; d < 4; d++) {
        bk_book_request r = request(monday + (bk_time)d * 86400 + (bk_time)9 * 3600 + 1800, NULL);
        OK(bk_book(db, &r, NULL));
    }

    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = provider;
    q.service = service;
    q.from = monday;
    q.to = monday + (bk_time)7 * 86400;
    q.now = monday - 86400;
    long at = pg_proxy_ready_count(proxy);
    size_t n_slots = 0;
    for (int i = 0; i < CALLS; i++) {
        bk_slot *slots = NULL;
        size_t n = 0;
        OK(bk_slots(db, &q, &slots, &n));
        n_slots = n;
        bk_slots_free(slots);
    }
    double slots_trips = per_call(at, CALLS);
    ck_assert_uint_gt(n_slots, 0);

    at = pg_proxy_ready_count(proxy);
    for (int i = 0; i < CALLS; i++) {
        bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
        OK(bk_slot_explain(db, &q, T("2031-03-04T12:15:00Z"), &v));
        ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    }
    double explain_trips = per_call(at, CALLS);

    /* New bookings, a week later each time, 08:00 local. */
    at = pg_proxy_ready_count(proxy);
    for (int i = 0; i < CALLS; i++) {
        bk_book_request r = request(T("2031-03-10T07:00:00Z") + (bk_time)i * 7 * 86400, NULL);
        OK(bk_book(db, &r, NULL));
    }
    double book_trips = per_call(at, CALLS);

    at = pg_proxy_ready_count(proxy);
    for (int i = 0; i < CALLS; i++) {
        bk_book_request r = request(T("2031-03-03T09:15:00Z"), NULL);
        ck_assert_int_eq(bk_book(db, &r, NULL), BK_ECONFLICT);
    }
    double conflict_trips = per_call(at, CALLS);

    at = pg_proxy_ready_count(proxy);
    for (int i = 0; i < CALLS; i++) {
        bk_booking *again = NULL;
        OK(bk_book(db, &r0, &again));
        ck_assert_str_eq(again->id.s, first->id.s);
        bk_booking_free(again);
    }
    double retry_trips = per_call(at, CALLS);

    at = pg_proxy_ready_count(proxy);
    int64_t version = first->lock_version;
    for (int i = 0; i < CALLS; i++) {
        bk_booking *moved = NULL;
        OK(bk_booking_reschedule(db, &first->id, version, T("2031-03-03T13:00:00Z") + (bk_time)(i % 2) * 3600,
                                 monday - 86400, &moved));
        version = moved->lock_version;
        bk_booking_free(moved);
    }
    double reschedule_trips = per_call(at, CALLS);
    bk_booking_free(first);

    printf("round trips per call (%d calls each): bk_slots %.2f, bk_slot_explain %.2f, bk_book %.2f, "
           "bk_book refused by the read %.2f, bk_book idempotent retry %.2f, bk_booking_reschedule %.2f\n",
           CALLS, slots_trips, explain_trips, book_trips, conflict_trips, retry_trips, reschedule_trips);
    fflush(stdout);
    ck_assert_msg(slots_trips == 1.0, "bk_slots: %.2f round trips", slots_trips);
    ck_assert_msg(explain_trips == 1.0, "bk_slot_explain: %.2f round trips", explain_trips);
    ck_assert_msg(book_trips == 2.0, "bk_book: %.2f round trips", book_trips);
    ck_assert_msg(conflict_trips == 1.0, "bk_book refused by the read: %.2f round trips", conflict_trips);
    ck_assert_msg(retry_trips == 1.0, "bk_book idempotent retry: %.2f round trips", retry_trips);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [LABEL]\n", argv[0]);
        return 2;
    }
    const char *pg_uri = getenv("BK_TEST_PG_URI");
    if (!pg_uri || !*pg_uri) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr, "FAIL: BK_TEST_PG_URI must name a PostgreSQL database with CI=true "
                            "(run through tests/pg/with-fresh-db.sh)\n");
            return 1;
        }
        printf("SKIP: BK_TEST_PG_URI does not name a PostgreSQL database (run through tests/pg/with-fresh-db.sh)\n");
        return 77;
    }
    Suite *s = suite_create(argc > 1 ? argv[1] : "pg_round_trips");
    TCase *tc = tcase_create("round_trips");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slot_query_one_round_trip_booking_two);
    suite_add_tcase(s, tc);
    Suite *suites[] = {s};
    return harness_run(suites, 1);
}
