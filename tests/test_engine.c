/* lib/slots/engine: DESIGN.md section 3 on hand-built inputs.
 *
 * The public scenarios are re-expressed here in C (tests/test_scenarios.c
 * runs the JSON files through the public API), so that a failure points at
 * the engine rather than at loading or storage.  Every scenario is also run
 * through engine_explain on a 5-minute lattice: explain and slots share
 * their working-time code but decide separately, and must agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking.h"
#include "harness.h"
#include "slots/engine.h"
#include "tz/tz.h"
#include "util/alloc.h"
#include "util/civil.h"

#define MIN 60
#define HOUR 3600
#define DAY 86400
/* Room for any int values the format may see, not just valid dates. */
#define ISO_SIZE 64

static bk_time utc(int y, int mo, int d, int h, int mi)
{
    return civil_days_from_date(y, mo, d) * DAY + h * HOUR + mi * MIN;
}

static int64_t date(int y, int mo, int d) { return civil_days_from_date(y, mo, d); }

static const tz_zone *zone(const char *id)
{
    const tz_zone *z = NULL;
    char msg[256] = "";
    int rc = tz_zone_get(id, &z, msg, sizeof msg);
    ck_assert_msg(rc == BK_OK, "tz_zone_get(%s) = %d: %s", id, rc, msg);
    return z;
}

static const char *iso(bk_time t, char buf[ISO_SIZE])
{
    int y, mo, d;
    int64_t days = civil_floor_div(t, DAY), sec = civil_floor_mod(t, DAY);
    civil_date_from_days(days, &y, &mo, &d);
    snprintf(buf, ISO_SIZE, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(sec / HOUR),
             (int)(sec / MIN % 60), (int)(sec % 60));
    return buf;
}

/* ------------------------------------------------------------------ */
/* Building inputs                                                     */
/* ------------------------------------------------------------------ */

#define MAX_WEEKLY 64
#define MAX_OVERRIDES 8
#define MAX_OV_INTERVALS 4
#define MAX_BLOCKED 64
#define MAX_BUSY 256

/* One provider's situation and query.  `in` points into the arrays, so a
 * scen is built in place and never copied. */
typedef struct scen {
    engine_input in;
    engine_weekly weekly[MAX_WEEKLY];
    engine_override overrides[MAX_OVERRIDES];
    bk_local_interval ov_intervals[MAX_OVERRIDES][MAX_OV_INTERVALS];
    engine_period blocked[MAX_BLOCKED];
    engine_period busy[MAX_BUSY];
} scen;

/* Step = duration, no buffers, notice or horizon, now long past. */
static void sc_init(scen *s, const char *zone_id, int duration, bk_time from, bk_time to)
{
    memset(s, 0, sizeof *s);
    s->in.zone = zone(zone_id);
    s->in.weekly = s->weekly;
    s->in.overrides = s->overrides;
    s->in.blocked = s->blocked;
    s->in.busy = s->busy;
    s->in.duration_minutes = duration;
    s->in.step_minutes = duration;
    s->in.from = from;
    s->in.to = to;
    s->in.now = utc(2000, 1, 1, 0, 0);
}

static void sc_row(scen *s, int weekday, int start_minute, int end_minute, int available)
{
    ck_assert_uint_lt(s->in.n_weekly, MAX_WEEKLY);
    s->weekly[s->in.n_weekly++] = (engine_weekly){weekday, start_minute, end_minute, available};
}

static void sc_hours(scen *s, int weekday, int sh, int sm, int eh, int em)
{
    sc_row(s, weekday, sh * 60 + sm, eh * 60 + em, 1);
}

static void sc_cut(scen *s, int weekday, int sh, int sm, int eh, int em)
{
    sc_row(s, weekday, sh * 60 + sm, eh * 60 + em, 0);
}

/* Monday to Friday. */
static void sc_weekdays(scen *s, int sh, int sm, int eh, int em)
{
    for (int wd = 1; wd <= 5; wd++)
        sc_hours(s, wd, sh, sm, eh, em);
}

/* An override of `n` intervals given as start/end minute pairs. */
static void sc_override(scen *s, int64_t day, size_t n, const int *minutes)
{
    size_t i = s->in.n_overrides;
    ck_assert_uint_lt(i, MAX_OVERRIDES);
    ck_assert_uint_le(n, MAX_OV_INTERVALS);
    for (size_t k = 0; k < n; k++)
        s->ov_intervals[i][k] = (bk_local_interval){minutes[2 * k], minutes[2 * k + 1]};
    s->overrides[i] = (engine_override){day, n, s->ov_intervals[i]};
    s->in.n_overrides++;
}

/* Blocked sources are 100 + index, busy ones 200 + index, so that a verdict's
 * source cannot be mistaken for a default 0. */
static void sc_blocked(scen *s, bk_time start, bk_time end)
{
    size_t i = s->in.n_blocked;
    ck_assert_uint_lt(i, MAX_BLOCKED);
    s->blocked[i] = (engine_period){start, end, 100 + i};
    s->in.n_blocked++;
}

/* A live booking, handed over as its occupied range. */
static void sc_booking(scen *s, bk_time start, bk_time end, int buffer_before, int buffer_after)
{
    size_t i = s->in.n_busy;
    ck_assert_uint_lt(i, MAX_BUSY);
    s->busy[i] = (engine_period){start - buffer_before * MIN, end + buffer_after * MIN, 200 + i};
    s->in.n_busy++;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

/* engine_slots plus the output invariants every call must keep. */
static size_t run(const engine_input *in, bk_slot **out)
{
    size_t n = 12345;
    *out = (bk_slot *)(uintptr_t)1; /* must be overwritten */
    ck_assert_int_eq(engine_slots(in, out, &n), BK_OK);
    if (n == 0)
        ck_assert_ptr_null(*out);
    else
        ck_assert_ptr_nonnull(*out);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq((*out)[i].end - (*out)[i].start, (bk_time)in->duration_minutes * MIN);
        if (i > 0)
            ck_assert_msg((*out)[i].start > (*out)[i - 1].start, "slot %zu not after slot %zu", i, i - 1);
    }
    return n;
}

static void expect_slots(const engine_input *in, const bk_time *want, size_t n_want)
{
    bk_slot *got;
    size_t n = run(in, &got);
    char a[ISO_SIZE], b[ISO_SIZE];
    for (size_t i = 0; i < n && i < n_want; i++)
        ck_assert_msg(got[i].start == want[i], "slot %zu: got %s, want %s", i, iso(got[i].start, a),
                      iso(want[i], b));
    if (n > n_want)
        ck_abort_msg("%zu slots, want %zu; first extra %s", n, n_want, iso(got[n_want].start, a));
    if (n < n_want)
        ck_abort_msg("%zu slots, want %zu; first missing %s", n, n_want, iso(want[n], a));
    bki_free(got);
}

#define EXPECT(in, ...)                                                                            \
    do {                                                                                           \
        const bk_time want_[] = {__VA_ARGS__};                                                     \
        expect_slots((in), want_, sizeof want_ / sizeof want_[0]);                                 \
    } while (0)

static void expect_none(const engine_input *in)
{
    bk_slot *got;
    ck_assert_uint_eq(run(in, &got), 0);
}

static engine_verdict explain(const engine_input *in, bk_time start)
{
    engine_verdict v = {BK_SLOT_CONFLICT, 9999};
    ck_assert_int_eq(engine_explain(in, start, &v), BK_OK);
    return v;
}

static void expect_reason(const engine_input *in, bk_time start, bk_slot_reason reason)
{
    char a[ISO_SIZE];
    engine_verdict v = explain(in, start);
    ck_assert_msg(v.reason == reason, "%s: reason %d, want %d", iso(start, a), (int)v.reason, (int)reason);
}

/* Every start of a 5-minute lattice over [lo, hi) is OFFERED by explain
 * iff engine_slots lists it.  The loop asserts only once at the end: each
 * Check assertion costs more than an engine_explain call. */
static void expect_explain_agrees(const engine_input *in, bk_time lo, bk_time hi)
{
    bk_slot *got;
    size_t n = run(in, &got), j = 0, mismatches = 0;
    bk_time first_bad = 0;
    int bad_reason = 0, bad_listed = 0;
    for (bk_time t = lo; t < hi; t += 5 * MIN) {
        while (j < n && got[j].start < t)
            j++;
        int listed = j < n && got[j].start == t;
        engine_verdict v;
        int rc = engine_explain(in, t, &v);
        int outside = t < in->from || t >= in->to;
        if (rc != BK_OK || (v.reason == BK_SLOT_OFFERED) != listed ||
            (outside && v.reason != BK_SLOT_OUTSIDE_WINDOW)) {
            if (mismatches++ == 0) {
                first_bad = t;
                bad_reason = rc != BK_OK ? rc : (int)v.reason;
                bad_listed = listed;
            }
        }
    }
    /* Slots off the lattice (none in these scenarios) still need a check. */
    for (size_t i = 0; i < n; i++) {
        engine_verdict v;
        if (engine_explain(in, got[i].start, &v) != BK_OK || v.reason != BK_SLOT_OFFERED) {
            if (mismatches++ == 0) {
                first_bad = got[i].start;
                bad_reason = (int)v.reason;
                bad_listed = 1;
            }
        }
    }
    bki_free(got);
    char a[ISO_SIZE];
    ck_assert_msg(mismatches == 0, "%zu mismatches; first %s: explain says %d, slots %s", mismatches,
                  iso(first_bad, a), bad_reason, bad_listed ? "list it" : "do not");
}

static void expect_explain_agrees_on_window(const engine_input *in)
{
    expect_explain_agrees(in, in->from - 2 * HOUR, in->to + 2 * HOUR);
}

/* ------------------------------------------------------------------ */
/* The public scenarios (tests/scenarios), re-expressed               */
/* ------------------------------------------------------------------ */

static void build_ny_weekdays(scen *s)
{
    sc_init(s, "America/New_York", 60, utc(2026, 3, 2, 5, 0), utc(2026, 3, 14, 4, 0));
    sc_weekdays(s, 9, 0, 17, 0);
}

START_TEST(scenario_ny_weekdays_9_to_17_across_spring_forward)
{
    scen s;
    build_ny_weekdays(&s);
    bk_time want[80];
    size_t n = 0;
    for (int d = 2; d <= 13; d++) {
        if (d == 7 || d == 8)
            continue;
        int first_hour = d < 8 ? 14 : 13; /* 09:00 EST, then 09:00 EDT */
        for (int h = 0; h < 8; h++)
            want[n++] = utc(2026, 3, d, first_hour + h, 0);
    }
    expect_slots(&s.in, want, n);
}
END_TEST

static void build_ny_gap(scen *s)
{
    sc_init(s, "America/New_York", 30, utc(2026, 3, 1, 5, 0), utc(2026, 3, 16, 4, 0));
    sc_hours(s, 0, 2, 30, 5, 0);
}

START_TEST(scenario_ny_rule_starts_in_gap)
{
    scen s;
    build_ny_gap(&s);
    /* 2026-03-08 02:30 does not exist: read with EST, 07:30Z (03:30 EDT). */
    EXPECT(&s.in, utc(2026, 3, 1, 7, 30), utc(2026, 3, 1, 8, 0), utc(2026, 3, 1, 8, 30), utc(2026, 3, 1, 9, 0),
           utc(2026, 3, 1, 9, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8, 0), utc(2026, 3, 8, 8, 30),
           utc(2026, 3, 15, 6, 30), utc(2026, 3, 15, 7, 0), utc(2026, 3, 15, 7, 30), utc(2026, 3, 15, 8, 0),
           utc(2026, 3, 15, 8, 30));
}
END_TEST

static void build_ny_overlap(scen *s)
{
    sc_init(s, "America/New_York", 30, utc(2026, 10, 31, 4, 0), utc(2026, 11, 2, 5, 0));
    sc_hours(s, 0, 1, 30, 3, 0);
}

START_TEST(scenario_ny_rule_starts_in_overlap_first_occurrence)
{
    scen s;
    build_ny_overlap(&s);
    /* 01:30 is its first (EDT) occurrence, 05:30Z; 03:00 EST is 08:00Z. */
    EXPECT(&s.in, utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 7, 0),
           utc(2026, 11, 1, 7, 30));
}
END_TEST

static void build_lord_howe(scen *s)
{
    sc_init(s, "Australia/Lord_Howe", 30, utc(2026, 10, 3, 13, 30), utc(2026, 10, 4, 13, 0));
    sc_hours(s, 0, 1, 0, 4, 0);
}

START_TEST(scenario_lord_howe_spring_forward_30min)
{
    scen s;
    build_lord_howe(&s);
    /* 01:00 +10:30 (14:30Z) to 04:00 +11 (17:00Z): 2.5 h. */
    EXPECT(&s.in, utc(2026, 10, 3, 14, 30), utc(2026, 10, 3, 15, 0), utc(2026, 10, 3, 15, 30),
           utc(2026, 10, 3, 16, 0), utc(2026, 10, 3, 16, 30));
}
END_TEST

static void build_kathmandu(scen *s)
{
    sc_init(s, "Asia/Kathmandu", 45, utc(2026, 5, 31, 18, 15), utc(2026, 6, 2, 18, 15));
    sc_weekdays(s, 9, 0, 17, 0);
}

START_TEST(scenario_kathmandu_0545_grid)
{
    scen s;
    build_kathmandu(&s);
    bk_time want[20];
    size_t n = 0;
    for (int d = 1; d <= 2; d++)
        for (int k = 0; k < 10; k++)
            want[n++] = utc(2026, 6, d, 3, 15) + k * 45 * MIN; /* anchored at 09:00 +05:45 */
    expect_slots(&s.in, want, n);
}
END_TEST

static void build_chicago_night(scen *s)
{
    sc_init(s, "America/Chicago", 60, utc(2026, 1, 12, 6, 0), utc(2026, 1, 14, 6, 0));
    s->in.step_minutes = 90;
    sc_hours(s, 1, 22, 0, 24, 0);
    sc_hours(s, 2, 0, 0, 2, 0);
}

START_TEST(scenario_chicago_night_shift_step_90_reanchors_at_midnight)
{
    scen s;
    build_chicago_night(&s);
    /* Monday's grid: 22:00, 23:30 (ends in Tuesday's touching hours);
     * Tuesday's starts again at 00:00 rather than continuing at 01:00. */
    EXPECT(&s.in, utc(2026, 1, 13, 4, 0), utc(2026, 1, 13, 5, 30), utc(2026, 1, 13, 6, 0));
}
END_TEST

static void build_blocked_grid(scen *s)
{
    sc_init(s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(s, 1, 9, 0, 12, 0);
    sc_blocked(s, utc(2026, 1, 5, 10, 10), utc(2026, 1, 5, 10, 20));
}

START_TEST(scenario_blocked_cuts_slot_grid_not_shifted)
{
    scen s;
    build_blocked_grid(&s);
    /* 10:00 is removed; the next start is 10:30, never 10:20. */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 0),
           utc(2026, 1, 5, 11, 30));
}
END_TEST

static void build_buffers(scen *s)
{
    sc_init(s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    s->in.step_minutes = 15;
    s->in.buffer_before_minutes = 10;
    s->in.buffer_after_minutes = 20;
    sc_hours(s, 1, 9, 0, 13, 0);
    sc_booking(s, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30), 0, 0);
}

START_TEST(scenario_buffers_create_gaps)
{
    scen s;
    build_buffers(&s);
    /* Occupied [t - 10, t + 50) against [10:00, 10:30): 09:15 .. 10:30 go. */
    bk_time want[9] = {utc(2026, 1, 5, 9, 0)};
    for (int k = 0; k < 8; k++)
        want[1 + k] = utc(2026, 1, 5, 10, 45) + k * 15 * MIN;
    expect_slots(&s.in, want, 9);
}
END_TEST

static void build_notice(scen *s)
{
    sc_init(s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(s, 1, 8, 0, 12, 0);
    s->in.now = utc(2026, 1, 5, 8, 0);
    s->in.notice_minutes = 60;
}

START_TEST(scenario_notice_edge_inclusive)
{
    scen s;
    build_notice(&s);
    /* t >= now + N: 09:00 is offered, 08:30 is not. */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30),
           utc(2026, 1, 5, 11, 0), utc(2026, 1, 5, 11, 30));
}
END_TEST

static void build_override_day_off(scen *s)
{
    sc_init(s, "UTC", 120, utc(2026, 1, 5, 0, 0), utc(2026, 1, 10, 0, 0));
    sc_weekdays(s, 9, 0, 17, 0);
    sc_override(s, date(2026, 1, 7), 0, NULL);
}

START_TEST(scenario_override_day_off)
{
    scen s;
    build_override_day_off(&s);
    static const int days[] = {5, 6, 8, 9};
    bk_time want[16];
    size_t n = 0;
    for (size_t d = 0; d < 4; d++)
        for (int h = 9; h < 17; h += 2)
            want[n++] = utc(2026, 1, days[d], h, 0);
    expect_slots(&s.in, want, n);
}
END_TEST

static void build_unavailable_split(scen *s)
{
    sc_init(s, "UTC", 45, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(s, 1, 9, 0, 17, 0);
    sc_cut(s, 1, 12, 0, 13, 0);
}

START_TEST(scenario_unavailable_rule_splits_grid)
{
    scen s;
    build_unavailable_split(&s);
    /* Two intervals, two grids: 09:00 and 13:00. */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 9, 45), utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 15),
           utc(2026, 1, 5, 13, 0), utc(2026, 1, 5, 13, 45), utc(2026, 1, 5, 14, 30), utc(2026, 1, 5, 15, 15),
           utc(2026, 1, 5, 16, 0));
}
END_TEST

static void build_statuses(scen *s)
{
    sc_init(s, "UTC", 60, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(s, 1, 9, 0, 15, 0);
    /* pending, completed, no_show, confirmed; the cancelled 10:00 booking
     * is not live, so the API never hands it over. */
    sc_booking(s, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 10, 0), 0, 0);
    sc_booking(s, utc(2026, 1, 5, 11, 0), utc(2026, 1, 5, 12, 0), 0, 0);
    sc_booking(s, utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 13, 0), 0, 0);
    sc_booking(s, utc(2026, 1, 5, 13, 0), utc(2026, 1, 5, 14, 0), 0, 0);
}

START_TEST(scenario_booking_statuses_only_cancelled_is_not_live)
{
    scen s;
    build_statuses(&s);
    EXPECT(&s.in, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 14, 0));
}
END_TEST

static void build_recurring_lunch(scen *s)
{
    sc_init(s, "America/New_York", 60, utc(2026, 3, 2, 5, 0), utc(2026, 3, 15, 4, 0));
    for (int wd = 1; wd <= 6; wd++)
        sc_hours(s, wd, 11, 0, 14, 0);
    /* FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR from 12:00 local, expanded as the
     * API hands it over: 17:00Z before the spring-forward, 16:00Z after. */
    for (int d = 2; d <= 13; d++) {
        if (d == 7 || d == 8)
            continue;
        int h = d < 8 ? 17 : 16;
        sc_blocked(s, utc(2026, 3, d, h, 0), utc(2026, 3, d, h + 1, 0));
    }
}

START_TEST(scenario_recurring_weekday_lunch_across_ny_spring_forward)
{
    scen s;
    build_recurring_lunch(&s);
    EXPECT(&s.in, utc(2026, 3, 2, 16, 0), utc(2026, 3, 2, 18, 0), utc(2026, 3, 3, 16, 0), utc(2026, 3, 3, 18, 0),
           utc(2026, 3, 4, 16, 0), utc(2026, 3, 4, 18, 0), utc(2026, 3, 5, 16, 0), utc(2026, 3, 5, 18, 0),
           utc(2026, 3, 6, 16, 0), utc(2026, 3, 6, 18, 0), utc(2026, 3, 7, 16, 0), utc(2026, 3, 7, 17, 0),
           utc(2026, 3, 7, 18, 0), utc(2026, 3, 9, 15, 0), utc(2026, 3, 9, 17, 0), utc(2026, 3, 10, 15, 0),
           utc(2026, 3, 10, 17, 0), utc(2026, 3, 11, 15, 0), utc(2026, 3, 11, 17, 0), utc(2026, 3, 12, 15, 0),
           utc(2026, 3, 12, 17, 0), utc(2026, 3, 13, 15, 0), utc(2026, 3, 13, 17, 0), utc(2026, 3, 14, 15, 0),
           utc(2026, 3, 14, 16, 0), utc(2026, 3, 14, 17, 0));
}
END_TEST

/* Generated from tests/scenarios/bench_month.json: times are minutes after
 * the query's `from` (2026-10-18T04:00:00Z). */
static const int bench_blocked[][2] = {
    {-870, -825}, {2160, 2220}, {3555, 3575}, {3600, 3660}, {5040, 5100}, {6480, 6540},
    {7455, 7475}, {7920, 7980}, {9210, 9255}, {11165, 11765}, {11635, 11815}, {12240, 12300},
    {13680, 13740}, {15120, 15180}, {16560, 16620}, {17955, 18045}, {18000, 18060}, {19290, 19335},
    {22380, 22440}, {23820, 23880}, {25260, 25320}, {26700, 26760}, {26980, 27025}, {28140, 28200},
    {29430, 29475}, {32280, 32300}, {32460, 32520}, {33900, 33960}, {35340, 35400}, {36780, 36840},
    {38220, 38280}, {39510, 39555}, {40020, 40040}, {42540, 42600}, {43980, 44040}, {45420, 45480},
};
/* Live bookings in file order (unsorted): start, end, buffer before, after. */
static const int bench_bookings[][4] = {
    {75, 105, 0, 15}, {23835, 23850, 10, 0}, {11445, 11460, 5, 5}, {11235, 11265, 5, 0},
    {9600, 9630, 10, 10}, {20940, 20970, 10, 15}, {31680, 31695, 0, 15}, {27285, 27315, 5, 15},
    {11325, 11370, 10, 0}, {35970, 35985, 0, 5}, {32955, 32985, 10, 5}, {29715, 29760, 0, 5},
    {32340, 32355, 0, 10}, {24180, 24240, 10, 10}, {3600, 3615, 0, 10}, {18630, 18660, 0, 10},
    {21150, 21180, 10, 15}, {10335, 10350, 10, 10}, {27195, 27210, 0, 5}, {32100, 32115, 10, 5},
    {39240, 39255, 5, 10}, {20670, 20685, 10, 5}, {36225, 36255, 0, 15}, {19320, 19350, 0, 15},
    {37185, 37230, 5, 15}, {28725, 28770, 10, 5}, {8745, 8760, 0, 0}, {1980, 1995, 10, 0},
    {9030, 9075, 5, 10}, {7530, 7590, 0, 15}, {13950, 13965, 0, 10}, {36825, 36870, 0, 5},
    {13110, 13125, 0, 0}, {29970, 30015, 5, 5}, {2325, 2370, 5, 15}, {25095, 25110, 5, 0},
    {28620, 28665, 0, 0}, {9795, 9855, 0, 10}, {9165, 9210, 10, 15}, {23730, 23790, 5, 10},
    {38160, 38205, 10, 15}, {25575, 25635, 10, 5}, {40410, 40425, 0, 10}, {19230, 19275, 10, 10},
    {32130, 32190, 0, 5}, {19065, 19080, 5, 0}, {15150, 15180, 5, 5}, {2130, 2190, 5, 5},
    {44025, 44055, 10, 10}, {26475, 26520, 0, 10}, {23880, 23895, 0, 15}, {8700, 8730, 5, 15},
    {12795, 12855, 10, 5}, {21210, 21240, 0, 5}, {7320, 7350, 10, 15}, {14655, 14685, 0, 10},
    {34470, 34515, 0, 15}, {3165, 3210, 5, 0}, {14205, 14235, 0, 10}, {30315, 30345, 0, 0},
    {22410, 22425, 5, 5}, {43425, 43470, 5, 15}, {16530, 16575, 10, 15}, {20850, 20895, 10, 5},
    {11760, 11790, 5, 5}, {30150, 30195, 0, 15}, {43200, 43245, 10, 15}, {16065, 16125, 0, 5},
    {4305, 4350, 0, 0}, {18765, 18795, 5, 0}, {35850, 35895, 0, 15}, {3060, 3075, 0, 0},
    {16260, 16290, 10, 0}, {42915, 42975, 10, 5}, {13005, 13035, 0, 15}, {1095, 1110, 0, 15},
    {40200, 40215, 0, 5}, {44655, 44715, 0, 15}, {40950, 40980, 0, 0}, {24870, 24915, 5, 10},
    {25260, 25305, 10, 10}, {22590, 22605, 5, 10}, {24525, 24570, 5, 5}, {21345, 21375, 10, 10},
    {6975, 7035, 5, 5}, {29430, 29460, 10, 10}, {40815, 40845, 5, 5}, {42990, 43035, 0, 10},
    {38250, 38280, 0, 5}, {32895, 32910, 0, 0}, {38895, 38925, 0, 5}, {31530, 31590, 0, 15},
    {44595, 44625, 5, 0}, {28275, 28305, 5, 5}, {33135, 33180, 0, 0}, {21735, 21765, 0, 5},
    {37110, 37125, 10, 5}, {38640, 38685, 10, 5}, {19575, 19605, 0, 0}, {27090, 27120, 10, 10},
    {27660, 27675, 5, 5}, {40545, 40575, 5, 15}, {11715, 11745, 5, 10}, {12435, 12495, 0, 10},
    {29535, 29565, 5, 10}, {24735, 24780, 5, 10}, {34305, 34335, 0, 5}, {15495, 15525, 10, 0},
    {6495, 6555, 0, 5}, {17910, 17940, 0, 0}, {11520, 11550, 5, 0}, {20115, 20130, 10, 0},
    {19650, 19680, 5, 15}, {26415, 26445, 0, 15}, {13575, 13635, 0, 5}, {41235, 41280, 0, 15},
    {705, 765, 10, 10}, {13815, 13845, 0, 15}, {35655, 35670, 0, 0}, {21060, 21075, 0, 0},
    {29775, 29805, 10, 5}, {14415, 14445, 5, 10}, {19935, 19980, 10, 10}, {5520, 5535, 5, 15},
    {43125, 43140, 10, 10}, {37260, 37305, 0, 0}, {17325, 17340, 0, 15}, {39825, 39840, 5, 15},
    {34140, 34170, 0, 15}, {19755, 19815, 5, 5}, {10095, 10125, 10, 15}, {1380, 1425, 0, 10},
    {3435, 3450, 5, 0}, {16425, 16440, 10, 10}, {33915, 33975, 10, 5}, {18480, 18495, 0, 0},
    {22470, 22500, 0, 5}, {38475, 38535, 0, 0}, {5985, 6000, 0, 0}, {24015, 24045, 5, 5},
    {6090, 6150, 0, 5}, {22710, 22770, 0, 0}, {44085, 44130, 10, 5}, {34275, 34305, 0, 0},
    {26280, 26295, 0, 5}, {23175, 23190, 0, 15}, {1755, 1785, 10, 15}, {26700, 26730, 5, 5},
    {37740, 37770, 0, 10}, {29700, 29715, 0, 0}, {7365, 7425, 0, 10}, {18045, 18075, 0, 0},
    {41670, 41685, 10, 0}, {38805, 38865, 5, 15}, {36120, 36180, 0, 5}, {32820, 32880, 0, 10},
    {11400, 11430, 0, 5}, {35205, 35250, 0, 5}, {24105, 24120, 5, 0}, {29310, 29370, 5, 15},
    {19515, 19560, 10, 15}, {1470, 1500, 0, 5}, {20325, 20355, 10, 5}, {14565, 14610, 5, 5},
    {37440, 37485, 5, 10}, {6240, 6285, 10, 15}, {3720, 3780, 5, 15}, {31770, 31815, 0, 5},
    {40290, 40320, 10, 5}, {23325, 23385, 10, 15}, {21030, 21045, 0, 0}, {7845, 7875, 10, 5},
    {28950, 29010, 0, 0}, {13290, 13305, 0, 5}, {24435, 24465, 0, 5}, {11925, 11970, 5, 5},
    {34905, 34935, 0, 15}, {33765, 33795, 0, 0}, {33585, 33630, 5, 15}, {44280, 44310, 5, 10},
};
static const int bench_expected[] = {
    30, 360, 375, 390, 405, 420, 435, 450, 465, 480, 540, 555,
    570, 585, 600, 615, 630, 645, 780, 795, 810, 825, 840, 855,
    870, 885, 900, 915, 930, 990, 1005, 1020, 1035, 1050, 1515, 1530,
    1545, 1560, 1815, 1830, 1845, 1860, 1875, 1890, 1905, 1920, 2010, 2025,
    2040, 2055, 2070, 2085, 2220, 2235, 2250, 2265, 2280, 2430, 2445, 2460,
    2475, 2490, 2505, 2520, 2535, 2550, 2910, 2925, 2940, 2955, 2970, 2985,
    3000, 3240, 3255, 3270, 3285, 3300, 3315, 3330, 3345, 3360, 3465, 3480,
    3495, 3510, 3525, 3660, 3675, 3810, 3870, 3885, 3900, 3915, 3930, 3945,
    3960, 3975, 3990, 4365, 4380, 4395, 4410, 4425, 4440, 4680, 4695, 4710,
    4725, 4740, 4755, 4770, 4785, 4800, 4860, 4875, 4890, 4905, 4920, 4935,
    4950, 4965, 4980, 4995, 5100, 5115, 5130, 5145, 5160, 5175, 5190, 5205,
    5220, 5235, 5250, 5310, 5325, 5340, 5355, 5370, 5385, 5400, 5415, 5430,
    5790, 5805, 5820, 5835, 5850, 5865, 5880, 6165, 6180, 6315, 6330, 6345,
    6360, 6375, 6390, 6405, 6420, 6435, 6570, 6585, 6600, 6615, 6630, 6645,
    6660, 6675, 6690, 6750, 6765, 6780, 6795, 6810, 6825, 6840, 6855, 6870,
    7230, 7245, 7260, 7620, 7635, 7650, 7665, 7680, 7740, 7755, 7770, 7785,
    7980, 7995, 8010, 8025, 8040, 8055, 8070, 8085, 8100, 8115, 8130, 8190,
    8205, 8220, 8235, 8250, 8265, 8280, 8295, 8310, 9090, 9105, 9255, 9270,
    9285, 9300, 9315, 9405, 9420, 9435, 9450, 9465, 9480, 9495, 9510, 9525,
    9540, 9645, 9660, 9675, 9690, 9705, 9720, 9735, 9750, 10155, 10170, 10185,
    10200, 10440, 10455, 10470, 10485, 10500, 10515, 10530, 10545, 10560, 10620, 10635,
    10650, 10665, 10680, 10695, 10710, 10725, 10740, 10755, 10845, 10860, 10875, 10890,
    10905, 10920, 10935, 10950, 10965, 10980, 10995, 11010, 11070, 11085, 11100, 11115,
    11130, 11880, 11985, 12000, 12060, 12075, 12090, 12105, 12120, 12135, 12150, 12165,
    12180, 12195, 12300, 12315, 12330, 12345, 12360, 12375, 12390, 12510, 12525, 12540,
    12555, 12570, 12585, 12600, 12615, 12630, 13065, 13320, 13335, 13350, 13365, 13380,
    13395, 13410, 13425, 13440, 13500, 13515, 13530, 13740, 13755, 13770, 13875, 13890,
    13980, 13995, 14010, 14025, 14040, 14055, 14070, 14460, 14475, 14490, 14505, 14520,
    14760, 14775, 14790, 14805, 14820, 14835, 14850, 14865, 14880, 14940, 14955, 14970,
    14985, 15000, 15015, 15030, 15045, 15060, 15075, 15195, 15210, 15225, 15240, 15255,
    15270, 15285, 15300, 15315, 15330, 15390, 15405, 15420, 15435, 15870, 15885, 15900,
    15915, 15930, 15945, 15960, 16200, 16305, 16320, 16455, 16470, 16620, 16635, 16650,
    16665, 16680, 16695, 16710, 16725, 16740, 16755, 16770, 16830, 16845, 16860, 16875,
    16890, 16905, 16920, 16935, 16950, 17370, 17385, 17400, 17640, 17655, 17670, 17685,
    17700, 17715, 17730, 17745, 17760, 17820, 17835, 17850, 17865, 18090, 18105, 18120,
    18135, 18150, 18165, 18180, 18195, 18210, 18270, 18285, 18300, 18315, 18330, 18345,
    18360, 18375, 18390, 18810, 18825, 18840, 19095, 19110, 19125, 19140, 19155, 19170,
    19380, 19395, 19710, 19830, 20190, 20205, 20220, 20235, 20250, 20265, 20580, 20595,
    20610, 20700, 20760, 20775, 20790, 21090, 21255, 21270, 21285, 21690, 21780, 22020,
    22035, 22050, 22065, 22080, 22095, 22110, 22125, 22140, 22200, 22215, 22230, 22245,
    22260, 22275, 22290, 22305, 22320, 22335, 22515, 22530, 22545, 22650, 22665, 23130,
    23220, 23460, 23475, 23490, 23505, 23520, 23535, 23550, 23565, 23580, 23640, 23655,
    23670, 23685, 23925, 23940, 23955, 23970, 24585, 24600, 24615, 24630, 24645, 24660,
    24930, 24945, 24960, 24975, 24990, 25005, 25020, 25125, 25140, 25155, 25170, 25185,
    25200, 25320, 25335, 25350, 25365, 25380, 25395, 25410, 25425, 25440, 25455, 25470,
    25650, 26010, 26025, 26040, 26055, 26070, 26085, 26100, 26340, 26355, 26370, 26535,
    26550, 26565, 26580, 26595, 26610, 26625, 26640, 26655, 26760, 26775, 26790, 26805,
    26820, 26835, 26850, 26865, 26880, 26895, 26910, 27030, 27450, 27465, 27480, 27495,
    27510, 27525, 27540, 27780, 27795, 27810, 27825, 27840, 27855, 27870, 27885, 27900,
    27960, 27975, 27990, 28005, 28020, 28035, 28050, 28065, 28080, 28095, 28200, 28215,
    28230, 28320, 28335, 28350, 28410, 28425, 28440, 28455, 28470, 28485, 28500, 28515,
    28530, 28890, 28905, 29220, 29235, 29250, 29265, 29475, 29490, 29625, 29640, 29655,
    29850, 29865, 29880, 29895, 29910, 29925, 30360, 30375, 30390, 30405, 30420, 30660,
    30675, 30690, 30705, 30720, 30735, 30750, 30765, 30780, 30840, 30855, 30870, 30885,
    30900, 30915, 30930, 30945, 30960, 30975, 31065, 31080, 31095, 31110, 31125, 31140,
    31155, 31170, 31185, 31200, 31215, 31230, 31290, 31305, 31320, 31335, 31350, 31365,
    31380, 31395, 31410, 31830, 31845, 31860, 32205, 32220, 32370, 32385, 32400, 32415,
    32520, 32535, 32550, 32565, 32580, 32595, 32610, 32625, 32640, 32655, 32670, 32730,
    32745, 32760, 32775, 33210, 33225, 33240, 33255, 33270, 33285, 33300, 33540, 33660,
    33720, 33810, 33825, 33840, 33855, 33990, 34005, 34020, 34035, 34050, 34065, 34080,
    34095, 34200, 34215, 34230, 34650, 34665, 34680, 34695, 34710, 34725, 34740, 34980,
    34995, 35010, 35025, 35040, 35055, 35070, 35085, 35100, 35160, 35265, 35280, 35295,
    35400, 35415, 35430, 35445, 35460, 35475, 35490, 35505, 35520, 35535, 35550, 35610,
    35685, 35700, 35715, 35730, 36420, 36435, 36450, 36465, 36480, 36495, 36510, 36525,
    36540, 36600, 36615, 36630, 36645, 36660, 36675, 36690, 36705, 36720, 36735, 36885,
    36900, 36915, 36930, 36945, 36960, 36975, 36990, 37050, 37140, 37530, 37545, 37560,
    37575, 37590, 37605, 37620, 37860, 37875, 37890, 37905, 37920, 37935, 37950, 37965,
    37980, 38040, 38055, 38070, 38085, 38100, 38295, 38310, 38325, 38340, 38355, 38370,
    38385, 38400, 38415, 38430, 38550, 38565, 38580, 38970, 38985, 39000, 39015, 39030,
    39045, 39060, 39300, 39315, 39330, 39345, 39360, 39375, 39390, 39405, 39420, 39480,
    39555, 39570, 39585, 39600, 39615, 39705, 39720, 39735, 39750, 39765, 39780, 39870,
    39930, 39945, 39960, 39975, 39990, 40050, 40440, 40455, 40470, 40485, 40500, 40740,
    40755, 40770, 40860, 40995, 41010, 41025, 41040, 41055, 41145, 41160, 41175, 41190,
    41310, 41370, 41385, 41400, 41415, 41430, 41445, 41460, 41475, 41490, 41850, 41865,
    41880, 41895, 41910, 41925, 41940, 42180, 42195, 42210, 42225, 42240, 42255, 42270,
    42285, 42300, 42360, 42375, 42390, 42405, 42420, 42435, 42450, 42465, 42480, 42495,
    42600, 42615, 42630, 42645, 42660, 42675, 42690, 42705, 42720, 42735, 42750, 42810,
    42825, 42840, 42855, 43290, 43305, 43320, 43335, 43350, 43365, 43380, 43620, 43635,
    43650, 43665, 43680, 43695, 43710, 43725, 43740, 43800, 43815, 43830, 43845, 43860,
    43875, 43890, 43905, 43920, 43935, 44145, 44160, 44175, 44190, 44325, 44340, 44355,
    44370,
};

static void build_bench(scen *s)
{
    sc_init(s, "America/New_York", 30, utc(2026, 10, 18, 4, 0), utc(2026, 11, 18, 5, 0));
    s->in.step_minutes = 15;
    s->in.buffer_before_minutes = 5;
    s->in.buffer_after_minutes = 10;
    s->in.notice_minutes = 60;
    s->in.now = utc(2026, 10, 1, 12, 0);
    static const int rows[5][4] = {{0, 30, 2, 30}, {6, 0, 8, 30}, {9, 0, 11, 45}, {12, 45, 16, 0}, {16, 30, 19, 0}};
    for (int wd = 0; wd < 7; wd++)
        for (int r = 0; r < 5; r++)
            sc_hours(s, wd, rows[r][0], rows[r][1], rows[r][2], rows[r][3]);
    for (size_t i = 0; i < sizeof bench_blocked / sizeof bench_blocked[0]; i++)
        sc_blocked(s, s->in.from + bench_blocked[i][0] * MIN, s->in.from + bench_blocked[i][1] * MIN);
    for (size_t i = 0; i < sizeof bench_bookings / sizeof bench_bookings[0]; i++)
        sc_booking(s, s->in.from + bench_bookings[i][0] * MIN, s->in.from + bench_bookings[i][1] * MIN,
                   bench_bookings[i][2], bench_bookings[i][3]);
}

static void expect_bench(const engine_input *in)
{
    size_t n = sizeof bench_expected / sizeof bench_expected[0];
    bk_time *want = malloc(n * sizeof *want);
    ck_assert_ptr_nonnull(want);
    for (size_t i = 0; i < n; i++)
        want[i] = in->from + bench_expected[i] * MIN;
    expect_slots(in, want, n);
    free(want);
}

START_TEST(scenario_bench_month)
{
    scen s;
    build_bench(&s);
    expect_bench(&s.in);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Daylight saving time                                                */
/* ------------------------------------------------------------------ */

START_TEST(london_fall_back_day_keeps_8_hours_of_9_to_17)
{
    scen s;
    sc_init(&s, "Europe/London", 60, utc(2026, 10, 17, 0, 0), utc(2026, 10, 27, 0, 0));
    sc_hours(&s, 0, 9, 0, 17, 0);
    bk_time want[16];
    for (int h = 0; h < 8; h++) {
        want[h] = utc(2026, 10, 18, 8 + h, 0);     /* BST */
        want[8 + h] = utc(2026, 10, 25, 9 + h, 0); /* GMT, the fall-back day */
    }
    expect_slots(&s.in, want, 16);
}
END_TEST

START_TEST(london_fall_back_midnight_to_4_is_5_hours)
{
    scen s;
    sc_init(&s, "Europe/London", 60, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0));
    sc_hours(&s, 0, 0, 0, 4, 0);
    /* 00:00 BST = 23:00Z .. 04:00 GMT = 04:00Z; 01:00-02:00 runs twice. */
    EXPECT(&s.in, utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0),
           utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 3, 0));
    s.in.duration_minutes = 300;
    s.in.step_minutes = 300;
    EXPECT(&s.in, utc(2026, 10, 24, 23, 0));
}
END_TEST

START_TEST(ny_fall_back_day_keeps_8_hours_of_9_to_17)
{
    scen s;
    sc_init(&s, "America/New_York", 60, utc(2026, 10, 24, 0, 0), utc(2026, 11, 3, 0, 0));
    sc_hours(&s, 0, 9, 0, 17, 0);
    bk_time want[16];
    for (int h = 0; h < 8; h++) {
        want[h] = utc(2026, 10, 25, 13 + h, 0);   /* EDT */
        want[8 + h] = utc(2026, 11, 1, 14 + h, 0); /* EST, the fall-back day */
    }
    expect_slots(&s.in, want, 16);
}
END_TEST

START_TEST(ny_fall_back_midnight_to_4_is_5_hours)
{
    scen s;
    sc_init(&s, "America/New_York", 60, utc(2026, 11, 1, 0, 0), utc(2026, 11, 2, 0, 0));
    sc_hours(&s, 0, 0, 0, 4, 0);
    /* 00:00 EDT = 04:00Z .. 04:00 EST = 09:00Z. */
    EXPECT(&s.in, utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 7, 0),
           utc(2026, 11, 1, 8, 0));
    s.in.duration_minutes = 300;
    s.in.step_minutes = 300;
    EXPECT(&s.in, utc(2026, 11, 1, 4, 0));
}
END_TEST

START_TEST(interval_ending_at_gap_end_is_empty)
{
    /* 2026-03-08 02:00 -> 03:00 EDT.  [02:30, 03:00) converts to 07:30Z ..
     * 07:00Z, and [02:30, 03:15) to 07:30Z .. 07:15Z: ends not after their
     * starts, so the intervals are empty (on 03-01 they are not). */
    scen s;
    sc_init(&s, "America/New_York", 15, utc(2026, 3, 1, 5, 0), utc(2026, 3, 9, 4, 0));
    sc_hours(&s, 0, 2, 30, 3, 0);
    EXPECT(&s.in, utc(2026, 3, 1, 7, 30), utc(2026, 3, 1, 7, 45));
    expect_reason(&s.in, utc(2026, 3, 8, 7, 30), BK_SLOT_OUTSIDE_WORKING_TIME);
    expect_reason(&s.in, utc(2026, 3, 8, 7, 0), BK_SLOT_OUTSIDE_WORKING_TIME);

    s.in.n_weekly = 0;
    sc_hours(&s, 0, 2, 30, 3, 15);
    EXPECT(&s.in, utc(2026, 3, 1, 7, 30), utc(2026, 3, 1, 7, 45), utc(2026, 3, 1, 8, 0));
}
END_TEST

START_TEST(interval_within_gap_is_shifted_by_the_gap)
{
    /* Both ends of [02:10, 02:50) are read with EST (section 2), so the
     * interval keeps its 40 minutes, moved to 03:10-03:50 EDT: converting
     * the endpoints, as section 3 says, does not empty it. */
    scen s;
    sc_init(&s, "America/New_York", 20, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0));
    sc_hours(&s, 0, 2, 10, 2, 50);
    EXPECT(&s.in, utc(2026, 3, 8, 7, 10), utc(2026, 3, 8, 7, 30));
}
END_TEST

static void build_always_open(scen *s)
{
    sc_init(s, "UTC", 60, utc(2026, 1, 5, 0, 0), utc(2026, 1, 7, 0, 0));
    s->in.step_minutes = 45;
    for (int wd = 0; wd < 7; wd++)
        sc_hours(s, wd, 0, 0, 24, 0);
}

START_TEST(always_open_grid_anchors_at_each_midnight)
{
    scen s;
    build_always_open(&s);
    /* 00:00, 00:45, ..., 23:15 (which runs to 00:15 in the next day's
     * touching hours), then 00:00 again: never 00:45 - 24:00 + 23:15. */
    bk_time want[64];
    size_t n = 0;
    for (int d = 5; d <= 6; d++)
        for (int k = 0; k < 32; k++)
            want[n++] = utc(2026, 1, d, 0, 0) + k * 45 * MIN;
    expect_slots(&s.in, want, n);
    ck_assert_int_eq(want[31], utc(2026, 1, 5, 23, 15));
    ck_assert_int_eq(want[32], utc(2026, 1, 6, 0, 0));
}
END_TEST

static void build_always_open_berlin_spring(scen *s)
{
    sc_init(s, "Europe/Berlin", 60, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 30));
    s->in.step_minutes = 45;
    for (int wd = 0; wd < 7; wd++)
        sc_hours(s, wd, 0, 0, 24, 0);
}

START_TEST(always_open_spring_forward_day_is_23_hours)
{
    scen s;
    build_always_open_berlin_spring(&s);
    /* 2026-03-29 runs 23:00Z .. 22:00Z: starts 23:00Z + k * 45 min up to
     * 21:30Z, then the next date re-anchors at its midnight, 22:00Z. */
    bk_time want[32];
    for (int k = 0; k < 31; k++)
        want[k] = utc(2026, 3, 28, 23, 0) + k * 45 * MIN;
    want[31] = utc(2026, 3, 29, 22, 0);
    ck_assert_int_eq(want[30], utc(2026, 3, 29, 21, 30));
    expect_slots(&s.in, want, 32);
}
END_TEST

static void build_apia(scen *s)
{
    /* 2011-12-29 ran at -10 and was followed by 2011-12-31 at +14. */
    sc_init(s, "Pacific/Apia", 60, utc(2011, 12, 29, 10, 0), utc(2011, 12, 31, 10, 0));
    sc_hours(s, 5, 9, 0, 17, 0); /* Friday 2011-12-30, the skipped date */
}

START_TEST(apia_skipped_date_hours_land_on_next_day)
{
    scen s;
    build_apia(&s);
    /* 09:00 on the skipped date is read with -10: 19:00Z, which is 09:00 on
     * Saturday 12-31. */
    bk_time want[8];
    for (int h = 0; h < 8; h++)
        want[h] = utc(2011, 12, 30, 19, 0) + h * HOUR;
    expect_slots(&s.in, want, 8);
}
END_TEST

START_TEST(apia_skipped_date_and_next_date_coincide_once)
{
    scen s;
    build_apia(&s);
    sc_hours(&s, 6, 9, 0, 17, 0); /* Saturday 12-31: the same UTC hours */
    bk_time want[8];
    for (int h = 0; h < 8; h++)
        want[h] = utc(2011, 12, 30, 19, 0) + h * HOUR;
    expect_slots(&s.in, want, 8);
}
END_TEST

static void build_gap_grids(scen *s, int step)
{
    /* [01:00, 02:30) -> [06:00Z, 07:30Z) and [03:00, 05:00) -> [07:00Z,
     * 09:00Z): disjoint on the wall clock, overlapping in UTC. */
    sc_init(s, "America/New_York", step, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0));
    sc_hours(s, 0, 1, 0, 2, 30);
    sc_hours(s, 0, 3, 0, 5, 0);
}

START_TEST(gap_grids_out_of_order_are_sorted)
{
    scen s;
    build_gap_grids(&s, 25);
    /* The first grid yields 07:15Z after the second began at 07:00Z. */
    EXPECT(&s.in, utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 6, 25), utc(2026, 3, 8, 6, 50), utc(2026, 3, 8, 7, 0),
           utc(2026, 3, 8, 7, 15), utc(2026, 3, 8, 7, 25), utc(2026, 3, 8, 7, 50), utc(2026, 3, 8, 8, 15));
}
END_TEST

START_TEST(gap_grids_sharing_a_start_are_deduplicated)
{
    scen s;
    build_gap_grids(&s, 30);
    /* Both grids have 07:00Z. */
    EXPECT(&s.in, utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 30),
           utc(2026, 3, 8, 8, 0), utc(2026, 3, 8, 8, 30));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Working time and grid                                               */
/* ------------------------------------------------------------------ */

static void build_touching_days(scen *s)
{
    sc_init(s, "UTC", 180, utc(2026, 1, 5, 0, 0), utc(2026, 1, 7, 0, 0));
    s->in.step_minutes = 60;
    sc_hours(s, 1, 20, 0, 24, 0);
    sc_hours(s, 2, 0, 0, 4, 0);
}

START_TEST(touching_dates_make_one_working_interval)
{
    scen s;
    build_touching_days(&s);
    /* Monday 20:00-24:00 and Tuesday 00:00-04:00 are one interval, so a
     * 3-hour service runs across midnight. */
    EXPECT(&s.in, utc(2026, 1, 5, 20, 0), utc(2026, 1, 5, 21, 0), utc(2026, 1, 5, 22, 0), utc(2026, 1, 5, 23, 0),
           utc(2026, 1, 6, 0, 0), utc(2026, 1, 6, 1, 0));
}
END_TEST

static void build_cuts(scen *s)
{
    sc_init(s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 7, 0, 0));
    sc_hours(s, 1, 8, 0, 12, 0);
    sc_hours(s, 1, 10, 0, 14, 0);
    sc_cut(s, 1, 13, 30, 15, 0);
    sc_cut(s, 1, 9, 0, 9, 30);
    sc_cut(s, 1, 11, 0, 11, 15);
    sc_cut(s, 2, 9, 0, 17, 0); /* a cut with nothing to cut */
}

START_TEST(unavailable_rows_cut_the_union_of_available_rows)
{
    scen s;
    build_cuts(&s);
    /* (08:00-12:00 u 10:00-14:00) minus the cuts: 08:00-09:00,
     * 09:30-11:00, 11:15-13:30, each its own grid. */
    EXPECT(&s.in, utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 8, 30), utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 0),
           utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 15), utc(2026, 1, 5, 11, 45), utc(2026, 1, 5, 12, 15),
           utc(2026, 1, 5, 12, 45));
}
END_TEST

static void build_override_touching(scen *s)
{
    static const int intervals[] = {12 * 60, 14 * 60, 10 * 60, 12 * 60}; /* any order */
    sc_init(s, "UTC", 60, utc(2026, 1, 4, 0, 0), utc(2026, 1, 5, 0, 0));
    s->in.step_minutes = 45;
    sc_hours(s, 0, 9, 0, 17, 0); /* replaced by the override */
    sc_override(s, date(2026, 1, 4), 2, intervals);
}

START_TEST(override_touching_intervals_are_one_grid)
{
    scen s;
    build_override_touching(&s);
    /* The union is 10:00-14:00: one grid from 10:00, not a second at 12:00. */
    EXPECT(&s.in, utc(2026, 1, 4, 10, 0), utc(2026, 1, 4, 10, 45), utc(2026, 1, 4, 11, 30), utc(2026, 1, 4, 12, 15),
           utc(2026, 1, 4, 13, 0));
}
END_TEST

START_TEST(overrides_in_any_order_replace_their_dates)
{
    static const int ten_to_noon[] = {10 * 60, 12 * 60};
    static const int overlapping[] = {13 * 60, 15 * 60, 14 * 60, 16 * 60};
    scen s;
    sc_init(&s, "UTC", 120, utc(2026, 1, 5, 0, 0), utc(2026, 1, 10, 0, 0));
    sc_weekdays(&s, 9, 0, 17, 0);
    sc_override(&s, date(2026, 1, 9), 0, NULL);
    sc_override(&s, date(2026, 1, 5), 1, ten_to_noon);
    sc_override(&s, date(2026, 1, 7), 0, NULL);
    sc_override(&s, date(2026, 1, 8), 2, overlapping);
    sc_override(&s, date(2025, 12, 1), 1, ten_to_noon); /* far outside: ignored */
    EXPECT(&s.in, utc(2026, 1, 5, 10, 0), utc(2026, 1, 6, 9, 0), utc(2026, 1, 6, 11, 0), utc(2026, 1, 6, 13, 0),
           utc(2026, 1, 6, 15, 0), utc(2026, 1, 8, 13, 0));
}
END_TEST

START_TEST(grid_does_not_depend_on_window_or_notice)
{
    scen s;
    sc_init(&s, "UTC", 30, utc(2026, 1, 5, 9, 10), utc(2026, 1, 6, 0, 0));
    sc_hours(&s, 1, 9, 0, 12, 0);
    EXPECT(&s.in, utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 0),
           utc(2026, 1, 5, 11, 30));
    s.in.from = utc(2026, 1, 5, 0, 0);
    s.in.now = utc(2026, 1, 5, 9, 0);
    s.in.notice_minutes = 40;
    EXPECT(&s.in, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 0), utc(2026, 1, 5, 11, 30));
}
END_TEST

static void build_monday_morning(scen *s)
{
    sc_init(s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(s, 1, 9, 0, 12, 0);
}

START_TEST(window_is_half_open)
{
    scen s;
    build_monday_morning(&s);
    s.in.from = utc(2026, 1, 5, 9, 30);
    s.in.to = utc(2026, 1, 5, 11, 0);
    /* 09:00 ends inside the window but starts before it; 11:00 starts at
     * `to`. */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30));
    s.in.to = s.in.from;
    expect_none(&s.in);
}
END_TEST

static void build_horizon(scen *s)
{
    build_monday_morning(s);
    s->in.now = utc(2026, 1, 4, 9, 30);
    s->in.horizon_days = 1;
}

START_TEST(horizon_bound_is_exclusive)
{
    scen s;
    build_horizon(&s);
    /* now + 1 day = 09:30: 09:00 is offered, 09:30 is not. */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0));
    s.in.horizon_days = 0; /* unlimited */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30),
           utc(2026, 1, 5, 11, 0), utc(2026, 1, 5, 11, 30));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Blocked periods and bookings                                        */
/* ------------------------------------------------------------------ */

static void build_buffers_outside(scen *s)
{
    sc_init(s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    s->in.buffer_before_minutes = 30;
    s->in.buffer_after_minutes = 30;
    sc_hours(s, 1, 9, 0, 10, 0);
    sc_blocked(s, utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 9, 0));
    sc_blocked(s, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 11, 0));
    sc_booking(s, utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 8, 30), 0, 0);
    sc_booking(s, utc(2026, 1, 5, 10, 40), utc(2026, 1, 5, 11, 0), 10, 0);
}

START_TEST(buffers_reach_outside_working_time_and_into_blocked)
{
    scen s;
    build_buffers_outside(&s);
    /* 09:00 occupies [08:30, 10:00), 09:30 occupies [09:00, 10:30): both
     * only touch the bookings' occupied ranges. */
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 9, 30));
    sc_booking(&s, utc(2026, 1, 5, 10, 29), utc(2026, 1, 5, 10, 35), 0, 0);
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0));
}
END_TEST

START_TEST(touching_blocked_period_leaves_slot)
{
    scen s;
    sc_init(&s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(&s, 1, 9, 0, 11, 0);
    sc_blocked(&s, utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 10, 0));
    EXPECT(&s.in, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30));
}
END_TEST

START_TEST(overlapping_and_nested_periods)
{
    scen s;
    sc_init(&s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 6, 0, 0));
    sc_hours(&s, 1, 9, 0, 17, 0);
    sc_blocked(&s, utc(2026, 1, 5, 9, 0), utc(2026, 1, 5, 11, 0));
    sc_blocked(&s, utc(2026, 1, 5, 9, 30), utc(2026, 1, 5, 9, 40)); /* nested */
    sc_blocked(&s, utc(2026, 1, 5, 10, 50), utc(2026, 1, 5, 11, 10));
    sc_booking(&s, utc(2026, 1, 5, 13, 0), utc(2026, 1, 5, 16, 0), 0, 0);
    sc_booking(&s, utc(2026, 1, 5, 13, 30), utc(2026, 1, 5, 14, 0), 0, 0); /* nested */
    sc_booking(&s, utc(2026, 1, 5, 12, 0), utc(2026, 1, 5, 12, 10), 0, 0);
    EXPECT(&s.in, utc(2026, 1, 5, 11, 30), utc(2026, 1, 5, 12, 30), utc(2026, 1, 5, 16, 0), utc(2026, 1, 5, 16, 30));
}
END_TEST

START_TEST(unsorted_inputs_give_the_same_slots)
{
    scen s;
    build_bench(&s);
    /* The bookings are unsorted already; reverse everything else too. */
    for (size_t i = 0, j = s.in.n_blocked - 1; i < j; i++, j--) {
        engine_period t = s.blocked[i];
        s.blocked[i] = s.blocked[j];
        s.blocked[j] = t;
    }
    for (size_t i = 0, j = s.in.n_weekly - 1; i < j; i++, j--) {
        engine_weekly t = s.weekly[i];
        s.weekly[i] = s.weekly[j];
        s.weekly[j] = t;
    }
    expect_bench(&s.in);
}
END_TEST

START_TEST(busy_ranges_listed_by_booking_start_give_the_same_slots)
{
    /* As the API lists bookings: by start.  Live bookings never overlap, so
     * their occupied ranges arrive sorted and the engine sorts nothing. */
    scen s;
    build_bench(&s);
    for (size_t i = 1; i < s.in.n_busy; i++) {
        for (size_t j = i; j > 0; j--) {
            bk_time a = s.busy[j - 1].start + bench_bookings[s.busy[j - 1].source - 200][2] * MIN;
            bk_time b = s.busy[j].start + bench_bookings[s.busy[j].source - 200][2] * MIN;
            if (a <= b)
                break;
            engine_period t = s.busy[j];
            s.busy[j] = s.busy[j - 1];
            s.busy[j - 1] = t;
        }
    }
    expect_bench(&s.in);
}
END_TEST

START_TEST(no_rules_give_no_slots)
{
    scen s;
    sc_init(&s, "UTC", 30, utc(2026, 1, 5, 0, 0), utc(2026, 1, 12, 0, 0));
    expect_none(&s.in);
    sc_cut(&s, 1, 9, 0, 17, 0);
    expect_none(&s.in);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 0), BK_SLOT_OUTSIDE_WORKING_TIME);
}
END_TEST

START_TEST(load_window_covers_what_the_query_reads)
{
    const tz_zone *ny = zone("America/New_York");
    bk_time from = utc(2026, 11, 1, 4, 0), to = utc(2026, 11, 2, 5, 0); /* the local date 11-01 */
    int64_t first_day, last_day;
    bk_time data_from, data_to;
    engine_load_window(ny, from, to, 90, 10, 20, &first_day, &last_day, &data_from, &data_to);
    ck_assert_int_le(first_day, date(2026, 10, 31));
    ck_assert_int_ge(last_day, date(2026, 11, 2));
    ck_assert_int_le(data_from, from - 10 * MIN);
    ck_assert_int_ge(data_to, to + 110 * MIN);
    /* Generous, not unbounded: a few days, not the whole year. */
    ck_assert_int_ge(first_day, date(2026, 10, 28));
    ck_assert_int_le(last_day, date(2026, 11, 5));
}
END_TEST

/* ------------------------------------------------------------------ */
/* engine_explain                                                      */
/* ------------------------------------------------------------------ */

START_TEST(explain_outside_window)
{
    scen s;
    build_monday_morning(&s);
    s.in.from = utc(2026, 1, 5, 9, 30);
    s.in.to = utc(2026, 1, 5, 11, 0);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 0), BK_SLOT_OUTSIDE_WINDOW);
    expect_reason(&s.in, utc(2026, 1, 5, 11, 0), BK_SLOT_OUTSIDE_WINDOW);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 30), BK_SLOT_OFFERED);
    expect_reason(&s.in, utc(2026, 1, 5, 10, 30), BK_SLOT_OFFERED);
}
END_TEST

START_TEST(explain_outside_working_time)
{
    scen s;
    build_monday_morning(&s);
    expect_reason(&s.in, utc(2026, 1, 5, 8, 30), BK_SLOT_OUTSIDE_WORKING_TIME);
    expect_reason(&s.in, utc(2026, 1, 5, 11, 45), BK_SLOT_OUTSIDE_WORKING_TIME); /* ends after 12:00 */
    expect_reason(&s.in, utc(2026, 1, 5, 12, 0), BK_SLOT_OUTSIDE_WORKING_TIME);
    expect_reason(&s.in, utc(2026, 1, 5, 11, 30), BK_SLOT_OFFERED);
}
END_TEST

START_TEST(explain_off_grid)
{
    scen s;
    build_monday_morning(&s);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 10), BK_SLOT_OFF_GRID);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 15), BK_SLOT_OFF_GRID);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 0) + 1, BK_SLOT_OFF_GRID);
    /* Chicago: 01:00 would be on a single grid from Monday 22:00. */
    build_chicago_night(&s);
    expect_reason(&s.in, utc(2026, 1, 13, 7, 0), BK_SLOT_OFF_GRID);
}
END_TEST

START_TEST(explain_blocked_reports_source)
{
    scen s;
    build_monday_morning(&s);
    sc_blocked(&s, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30)); /* 100 */
    sc_blocked(&s, utc(2026, 1, 5, 9, 50), utc(2026, 1, 5, 10, 5));  /* 101 */
    sc_blocked(&s, utc(2026, 1, 5, 10, 15), utc(2026, 1, 5, 10, 45)); /* 102 */
    engine_verdict v = explain(&s.in, utc(2026, 1, 5, 9, 30));
    ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    ck_assert_uint_eq(v.source, 101);
    v = explain(&s.in, utc(2026, 1, 5, 10, 0)); /* 100 and 101: the earlier start */
    ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    ck_assert_uint_eq(v.source, 101);
    v = explain(&s.in, utc(2026, 1, 5, 10, 30)); /* touches 100, overlaps 102 */
    ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    ck_assert_uint_eq(v.source, 102);
    expect_reason(&s.in, utc(2026, 1, 5, 11, 0), BK_SLOT_OFFERED);
}
END_TEST

START_TEST(explain_notice)
{
    scen s;
    build_monday_morning(&s);
    s.in.now = utc(2026, 1, 5, 8, 0);
    s.in.notice_minutes = 90;
    expect_reason(&s.in, utc(2026, 1, 5, 9, 0), BK_SLOT_NOTICE);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 30), BK_SLOT_OFFERED); /* now + N exactly */
}
END_TEST

START_TEST(explain_horizon)
{
    scen s;
    build_horizon(&s);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 0), BK_SLOT_OFFERED);
    expect_reason(&s.in, utc(2026, 1, 5, 9, 30), BK_SLOT_HORIZON);
    expect_reason(&s.in, utc(2026, 1, 5, 11, 30), BK_SLOT_HORIZON);
}
END_TEST

START_TEST(explain_conflict_reports_source)
{
    scen s;
    build_monday_morning(&s);
    s.in.buffer_before_minutes = 10;
    s.in.buffer_after_minutes = 15;
    sc_booking(&s, utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 8, 50), 0, 0);   /* 200 */
    sc_booking(&s, utc(2026, 1, 5, 11, 15), utc(2026, 1, 5, 11, 20), 5, 0); /* 201: occupies 11:10-11:20 */
    expect_reason(&s.in, utc(2026, 1, 5, 9, 0), BK_SLOT_OFFERED);         /* [08:50, 09:45) touches 200 */
    engine_verdict v = explain(&s.in, utc(2026, 1, 5, 10, 30));           /* [10:20, 11:15) */
    ck_assert_int_eq(v.reason, BK_SLOT_CONFLICT);
    ck_assert_uint_eq(v.source, 201);
    v = explain(&s.in, utc(2026, 1, 5, 11, 0));
    ck_assert_int_eq(v.reason, BK_SLOT_CONFLICT);
    ck_assert_uint_eq(v.source, 201);
    expect_reason(&s.in, utc(2026, 1, 5, 11, 30), BK_SLOT_OFFERED); /* [11:20, 12:15) touches 201 */
}
END_TEST

START_TEST(explain_reports_the_first_failing_reason)
{
    scen s;
    build_monday_morning(&s);
    sc_blocked(&s, utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 30));
    sc_booking(&s, utc(2026, 1, 5, 8, 0), utc(2026, 1, 5, 12, 0), 0, 0);
    s.in.now = utc(2026, 1, 5, 9, 0);
    s.in.notice_minutes = 45;
    expect_reason(&s.in, utc(2026, 1, 4, 9, 0), BK_SLOT_OUTSIDE_WINDOW);
    expect_reason(&s.in, utc(2026, 1, 5, 8, 10), BK_SLOT_OUTSIDE_WORKING_TIME); /* also off-grid */
    expect_reason(&s.in, utc(2026, 1, 5, 9, 50), BK_SLOT_OFF_GRID);             /* also blocked */
    expect_reason(&s.in, utc(2026, 1, 5, 10, 0), BK_SLOT_BLOCKED);              /* also conflict */
    expect_reason(&s.in, utc(2026, 1, 5, 9, 30), BK_SLOT_NOTICE);               /* also conflict */
    expect_reason(&s.in, utc(2026, 1, 5, 10, 30), BK_SLOT_CONFLICT);
}
END_TEST

typedef void (*builder)(scen *);

static void build_gap_grids_25(scen *s) { build_gap_grids(s, 25); }

START_TEST(explain_agrees_with_slots_on_5_minute_lattice)
{
    static const builder builders[] = {
        build_ny_gap,          build_ny_overlap,           build_lord_howe,         build_kathmandu,
        build_chicago_night,   build_blocked_grid,         build_buffers,           build_notice,
        build_override_day_off, build_unavailable_split,   build_statuses,          build_recurring_lunch,
        build_always_open,     build_always_open_berlin_spring, build_apia,          build_gap_grids_25,
        build_touching_days,   build_cuts,                 build_override_touching, build_horizon,
        build_buffers_outside,
    };
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++) {
        scen s;
        builders[i](&s);
        expect_explain_agrees_on_window(&s.in);
    }
}
END_TEST

START_TEST(explain_agrees_with_slots_on_bench_month)
{
    scen s;
    build_bench(&s);
    /* The first two days, and the fall-back weekend. */
    expect_explain_agrees(&s.in, s.in.from - HOUR, s.in.from + 2 * DAY);
    expect_explain_agrees(&s.in, utc(2026, 10, 31, 0, 0), utc(2026, 11, 2, 12, 0));
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");

    TCase *scenarios = tcase_create("scenarios");
    tcase_add_test(scenarios, scenario_ny_weekdays_9_to_17_across_spring_forward);
    tcase_add_test(scenarios, scenario_ny_rule_starts_in_gap);
    tcase_add_test(scenarios, scenario_ny_rule_starts_in_overlap_first_occurrence);
    tcase_add_test(scenarios, scenario_lord_howe_spring_forward_30min);
    tcase_add_test(scenarios, scenario_kathmandu_0545_grid);
    tcase_add_test(scenarios, scenario_chicago_night_shift_step_90_reanchors_at_midnight);
    tcase_add_test(scenarios, scenario_blocked_cuts_slot_grid_not_shifted);
    tcase_add_test(scenarios, scenario_buffers_create_gaps);
    tcase_add_test(scenarios, scenario_notice_edge_inclusive);
    tcase_add_test(scenarios, scenario_override_day_off);
    tcase_add_test(scenarios, scenario_unavailable_rule_splits_grid);
    tcase_add_test(scenarios, scenario_booking_statuses_only_cancelled_is_not_live);
    tcase_add_test(scenarios, scenario_recurring_weekday_lunch_across_ny_spring_forward);
    tcase_add_test(scenarios, scenario_bench_month);
    suite_add_tcase(s, scenarios);

    TCase *dst = tcase_create("dst");
    tcase_add_test(dst, london_fall_back_day_keeps_8_hours_of_9_to_17);
    tcase_add_test(dst, london_fall_back_midnight_to_4_is_5_hours);
    tcase_add_test(dst, ny_fall_back_day_keeps_8_hours_of_9_to_17);
    tcase_add_test(dst, ny_fall_back_midnight_to_4_is_5_hours);
    tcase_add_test(dst, interval_ending_at_gap_end_is_empty);
    tcase_add_test(dst, interval_within_gap_is_shifted_by_the_gap);
    tcase_add_test(dst, always_open_spring_forward_day_is_23_hours);
    tcase_add_test(dst, apia_skipped_date_hours_land_on_next_day);
    tcase_add_test(dst, apia_skipped_date_and_next_date_coincide_once);
    tcase_add_test(dst, gap_grids_out_of_order_are_sorted);
    tcase_add_test(dst, gap_grids_sharing_a_start_are_deduplicated);
    suite_add_tcase(s, dst);

    TCase *grid = tcase_create("grid");
    tcase_add_test(grid, always_open_grid_anchors_at_each_midnight);
    tcase_add_test(grid, touching_dates_make_one_working_interval);
    tcase_add_test(grid, unavailable_rows_cut_the_union_of_available_rows);
    tcase_add_test(grid, override_touching_intervals_are_one_grid);
    tcase_add_test(grid, overrides_in_any_order_replace_their_dates);
    tcase_add_test(grid, grid_does_not_depend_on_window_or_notice);
    tcase_add_test(grid, window_is_half_open);
    tcase_add_test(grid, horizon_bound_is_exclusive);
    tcase_add_test(grid, no_rules_give_no_slots);
    tcase_add_test(grid, load_window_covers_what_the_query_reads);
    suite_add_tcase(s, grid);

    TCase *periods = tcase_create("periods");
    tcase_add_test(periods, buffers_reach_outside_working_time_and_into_blocked);
    tcase_add_test(periods, touching_blocked_period_leaves_slot);
    tcase_add_test(periods, overlapping_and_nested_periods);
    tcase_add_test(periods, unsorted_inputs_give_the_same_slots);
    tcase_add_test(periods, busy_ranges_listed_by_booking_start_give_the_same_slots);
    suite_add_tcase(s, periods);

    TCase *expl = tcase_create("explain");
    tcase_add_test(expl, explain_outside_window);
    tcase_add_test(expl, explain_outside_working_time);
    tcase_add_test(expl, explain_off_grid);
    tcase_add_test(expl, explain_blocked_reports_source);
    tcase_add_test(expl, explain_notice);
    tcase_add_test(expl, explain_horizon);
    tcase_add_test(expl, explain_conflict_reports_source);
    tcase_add_test(expl, explain_reports_the_first_failing_reason);
    tcase_add_test(expl, explain_agrees_with_slots_on_5_minute_lattice);
    tcase_add_test(expl, explain_agrees_with_slots_on_bench_month);
    suite_add_tcase(s, expl);
    return s;
}

int main(void)
{
    /* Zone tables are cached per process: built here, before Check forks a
     * child per test, they are built from ICU once instead of 49 times. */
    static const char *const zones[] = {"UTC",           "America/New_York",    "America/Chicago",
                                        "Europe/London", "Europe/Berlin",       "Australia/Lord_Howe",
                                        "Asia/Kathmandu", "Pacific/Apia"};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        const tz_zone *z;
        if (tz_zone_get(zones[i], &z, NULL, 0) != BK_OK) {
            fprintf(stderr, "zone %s unavailable\n", zones[i]);
            return EXIT_FAILURE;
        }
    }
    Suite *suites[] = {engine_suite()};
    return harness_run(suites, 1);
}
