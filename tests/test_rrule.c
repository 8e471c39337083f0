/* lib/calendar/rrule: recurring blocked periods (DESIGN.md section 3 item 4).
 *
 * Known cases pin each rule part down (most are RFC 5545's own examples or
 * were checked against python3-dateutil by hand); DST cases pin the
 * local-to-UTC rule; the lazy cases bound the work of a query far from the
 * rule's start; the cross-check compares hundreds of generated rules in
 * four zones with an independent implementation (tests/rrule_crosscheck.py:
 * dateutil's rrule + Python's zoneinfo), run as a child process. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "booking.h"
#include "calendar/rrule.h"
#include "harness.h"
#include "tz/tz.h"
#include "util/alloc.h"
#include "util/civil.h"

/* For loops over many values: Check records every passing ck_assert with a
 * write to its control pipe, which would dominate the run time here. */
#define EXPECT(cond, ...)                                                                                              \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ck_abort_msg(__VA_ARGS__);                                                                                 \
    } while (0)

#define H 3600
#define M 60
#define DAY 86400

static bk_time utc_of(int y, int mo, int d, int h, int mi)
{
    return civil_days_from_date(y, mo, d) * DAY + h * H + mi * M;
}

static const tz_zone *zone(const char *id)
{
    const tz_zone *z = NULL;
    char msg[256] = "";
    int rc = tz_zone_get(id, &z, msg, sizeof msg);
    ck_assert_msg(rc == BK_OK, "tz_zone_get(%s) = %d: %s", id, rc, msg);
    return z;
}

/* "YYYY-MM-DDTHH:MM:SSZ", for messages. */
typedef struct iso {
    char s[32];
} iso;
static iso fmt(bk_time t)
{
    iso out;
    int y, mo, d;
    int64_t days = civil_floor_div(t, DAY), sec = t - days * DAY;
    civil_date_from_days(days, &y, &mo, &d);
    snprintf(out.s, sizeof out.s, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(sec / H), (int)(sec / M % 60),
             (int)(sec % 60));
    return out;
}

/* ------------------------------------------------------------------ */
/* Collecting occurrences                                              */
/* ------------------------------------------------------------------ */

typedef struct occs {
    bk_time *start;
    bk_time *end;
    size_t n, cap;
    int order_ok;      /* starts strictly increasing */
    size_t stop_after; /* > 0: the callback returns 42 at that call */
} occs;

static int collect(void *ctx, bk_time s, bk_time e)
{
    occs *o = ctx;
    if (o->n && s <= o->start[o->n - 1])
        o->order_ok = 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        bk_time *ns = realloc(o->start, cap * sizeof *ns);
        if (ns)
            o->start = ns;
        bk_time *ne = realloc(o->end, cap * sizeof *ne);
        if (ne)
            o->end = ne;
        if (!ns || !ne)
            return -999;
        o->cap = cap;
    }
    o->start[o->n] = s;
    o->end[o->n] = e;
    o->n++;
    if (o->stop_after && o->n == o->stop_after)
        return 42;
    return 0;
}

static void occs_init(occs *o)
{
    memset(o, 0, sizeof *o);
    o->order_ok = 1;
}

static void occs_free(occs *o)
{
    free(o->start);
    free(o->end);
    occs_init(o);
}

static rrule *parse_ok(const char *text)
{
    rrule *r = NULL;
    char msg[512] = "";
    int rc = rrule_parse(text, NULL, 0, &r, msg, sizeof msg);
    ck_assert_msg(rc == BK_OK, "rrule_parse(%s) = %d: %s", text, rc, msg);
    ck_assert_ptr_nonnull(r);
    return r;
}

/* Parses `text` (with exdates), checks it against the period, expands it
 * over [from, to) into o, and checks order and lengths. */
static void run_ex(const char *text, const bk_time *ex, size_t n_ex, const char *zone_id, bk_time first_start,
                   bk_time first_end, bk_time from, bk_time to, occs *o)
{
    const tz_zone *z = zone(zone_id);
    rrule *r = NULL;
    char msg[512] = "";
    int rc = rrule_parse(text, ex, n_ex, &r, msg, sizeof msg);
    ck_assert_msg(rc == BK_OK, "rrule_parse(%s) = %d: %s", text, rc, msg);
    rc = rrule_check_start(r, z, first_start, msg, sizeof msg);
    ck_assert_msg(rc == BK_OK, "rrule_check_start(%s, %s) = %d: %s", text, fmt(first_start).s, rc, msg);
    occs_init(o);
    rc = rrule_expand(r, z, first_start, first_end, from, to, collect, o);
    rrule_free(r);
    ck_assert_int_eq(rc, BK_OK);
    ck_assert_msg(o->order_ok, "%s: starts not strictly increasing", text);
    for (size_t i = 0; i < o->n; i++) {
        ck_assert_msg(o->end[i] - o->start[i] == first_end - first_start, "%s: occurrence %zu lasts %" PRId64 " s",
                      text, i, (int64_t)(o->end[i] - o->start[i]));
        ck_assert_msg(o->start[i] < to && o->end[i] > from, "%s: occurrence %s outside the window", text,
                      fmt(o->start[i]).s);
    }
}

static void run(const char *text, const char *zone_id, bk_time first_start, bk_time first_end, bk_time from, bk_time to,
                occs *o)
{
    run_ex(text, NULL, 0, zone_id, first_start, first_end, from, to, o);
}

static void expect_starts(const char *what, const occs *o, const bk_time *want, size_t n_want)
{
    size_t n = o->n < n_want ? o->n : n_want;
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(o->start[i] == want[i], "%s: occurrence %zu starts %s, expected %s", what, i, fmt(o->start[i]).s,
                      fmt(want[i]).s);
    ck_assert_msg(o->n == n_want, "%s: %zu occurrences, expected %zu (next: %s)", what, o->n, n_want,
                  o->n > n_want ? fmt(o->start[n_want]).s : fmt(want[n]).s);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A UTC rule whose occurrences start at 09:00 on the given days. */
static void check_days(const char *text, bk_time first_start, bk_time from, bk_time to, const bk_time *want,
                       size_t n_want)
{
    occs o;
    run(text, "UTC", first_start, first_start + H, from, to, &o);
    expect_starts(text, &o, want, n_want);
    occs_free(&o);
}

#define NINE(y, mo, d) utc_of(y, mo, d, 9, 0)

/* ------------------------------------------------------------------ */
/* Rule parts                                                          */
/* ------------------------------------------------------------------ */

START_TEST(daily_count_counts_the_first_occurrence)
{
    const bk_time want[] = {NINE(2026, 1, 5), NINE(2026, 1, 6), NINE(2026, 1, 7)};
    check_days("FREQ=DAILY;COUNT=3", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, N_OF(want));
    check_days("FREQ=DAILY;COUNT=1", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, 1);
    /* A window after the last counted occurrence holds nothing. */
    check_days("FREQ=DAILY;COUNT=3", want[0], NINE(2026, 1, 8), NINE(2027, 1, 1), want, 0);
}
END_TEST

START_TEST(daily_interval)
{
    const bk_time want[] = {NINE(2026, 1, 5), NINE(2026, 1, 8), NINE(2026, 1, 11), NINE(2026, 1, 14)};
    check_days("FREQ=DAILY;INTERVAL=3;COUNT=4", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, N_OF(want));
    check_days("FREQ=DAILY;INTERVAL=3", want[0], NINE(2026, 1, 1), NINE(2026, 1, 15), want, N_OF(want));
}
END_TEST

START_TEST(weekly_defaults_to_the_start_weekday)
{
    const bk_time want[] = {NINE(2026, 1, 7), NINE(2026, 1, 14), NINE(2026, 1, 21), NINE(2026, 1, 28)};
    check_days("FREQ=WEEKLY", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, N_OF(want));
}
END_TEST

START_TEST(weekly_byday_expands_within_the_week_never_before_the_start)
{
    const bk_time mwf[] = {NINE(2026, 1, 5), NINE(2026, 1, 7), NINE(2026, 1, 9), NINE(2026, 1, 12)};
    check_days("FREQ=WEEKLY;BYDAY=MO,WE,FR", mwf[0], NINE(2026, 1, 1), NINE(2026, 1, 13), mwf, N_OF(mwf));
    /* Starting on the Wednesday: that week's Monday is before the start. */
    check_days("FREQ=WEEKLY;BYDAY=MO,WE,FR", mwf[1], NINE(2026, 1, 1), NINE(2026, 1, 13), mwf + 1, 3);
}
END_TEST

START_TEST(weekly_interval)
{
    const bk_time want[] = {NINE(2026, 1, 6), NINE(2026, 1, 8), NINE(2026, 1, 20), NINE(2026, 1, 22), NINE(2026, 2, 3)};
    check_days("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", want[0], NINE(2026, 1, 1), NINE(2026, 2, 4), want, N_OF(want));
}
END_TEST

/* RFC 5545 section 3.8.5.3: "changing only WKST from MO to SU yields
 * different results". */
START_TEST(wkst_changes_interval_2_weekly_rules)
{
    bk_time first = utc_of(1997, 8, 5, 13, 0); /* 09:00 EDT, a Tuesday */
    const bk_time mo[] = {first, utc_of(1997, 8, 10, 13, 0), utc_of(1997, 8, 19, 13, 0), utc_of(1997, 8, 24, 13, 0)};
    const bk_time su[] = {first, utc_of(1997, 8, 17, 13, 0), utc_of(1997, 8, 19, 13, 0), utc_of(1997, 8, 31, 13, 0)};
    occs o;
    run("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", "America/New_York", first, first + H, first,
        first + 60 * DAY, &o);
    expect_starts("WKST=MO", &o, mo, N_OF(mo));
    occs_free(&o);
    run("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", "America/New_York", first, first + H, first,
        first + 60 * DAY, &o);
    expect_starts("WKST=SU", &o, su, N_OF(su));
    occs_free(&o);
    /* The default is MO. */
    run("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU", "America/New_York", first, first + H, first, first + 60 * DAY,
        &o);
    expect_starts("no WKST", &o, mo, N_OF(mo));
    occs_free(&o);
}
END_TEST

START_TEST(monthly_defaults_to_the_start_day)
{
    const bk_time want[] = {NINE(2026, 1, 15), NINE(2026, 2, 15), NINE(2026, 3, 15), NINE(2026, 4, 15)};
    check_days("FREQ=MONTHLY;COUNT=4", want[0], NINE(2026, 1, 1), NINE(2027, 1, 1), want, N_OF(want));
}
END_TEST

START_TEST(monthly_day_31_skips_short_months)
{
    /* RFC 5545: invalid dates are ignored, not clamped to the 30th. */
    const bk_time want[] = {NINE(2026, 1, 31), NINE(2026, 3, 31), NINE(2026, 5, 31), NINE(2026, 7, 31),
                            NINE(2026, 8, 31)};
    check_days("FREQ=MONTHLY;BYMONTHDAY=31", want[0], NINE(2026, 1, 1), NINE(2026, 9, 1), want, N_OF(want));
    check_days("FREQ=MONTHLY", want[0], NINE(2026, 1, 1), NINE(2026, 9, 1), want, N_OF(want));
}
END_TEST

START_TEST(monthly_negative_monthday_counts_from_the_end)
{
    const bk_time last[] = {NINE(2028, 1, 31), NINE(2028, 2, 29), NINE(2028, 3, 31), NINE(2028, 4, 30)};
    check_days("FREQ=MONTHLY;BYMONTHDAY=-1", last[0], NINE(2028, 1, 1), NINE(2028, 5, 1), last, N_OF(last));
    const bk_time both[] = {NINE(2026, 2, 1), NINE(2026, 2, 27), NINE(2026, 3, 1), NINE(2026, 3, 30)};
    check_days("FREQ=MONTHLY;BYMONTHDAY=1,-2", both[0], NINE(2026, 2, 1), NINE(2026, 4, 1), both, N_OF(both));
    /* -31 exists only in 31-day months. */
    const bk_time first31[] = {NINE(2026, 1, 1), NINE(2026, 3, 1), NINE(2026, 5, 1)};
    check_days("FREQ=MONTHLY;BYMONTHDAY=-31", first31[0], NINE(2026, 1, 1), NINE(2026, 6, 1), first31, N_OF(first31));
}
END_TEST

START_TEST(monthly_last_friday)
{
    const bk_time want[] = {NINE(2026, 1, 30), NINE(2026, 2, 27), NINE(2026, 3, 27), NINE(2026, 4, 24),
                            NINE(2026, 5, 29)};
    check_days("FREQ=MONTHLY;BYDAY=-1FR", want[0], NINE(2026, 1, 1), NINE(2026, 6, 1), want, N_OF(want));
}
END_TEST

START_TEST(monthly_second_tuesday_with_plus_sign)
{
    const bk_time want[] = {NINE(2026, 1, 13), NINE(2026, 2, 10), NINE(2026, 3, 10), NINE(2026, 4, 14)};
    check_days("FREQ=MONTHLY;BYDAY=+2TU", want[0], NINE(2026, 1, 1), NINE(2026, 5, 1), want, N_OF(want));
}
END_TEST

START_TEST(byday_and_bymonthday_intersect)
{
    const bk_time first_fri[] = {NINE(2026, 1, 2), NINE(2026, 4, 3), NINE(2026, 5, 1), NINE(2026, 7, 3)};
    check_days("FREQ=MONTHLY;BYDAY=1FR;BYMONTHDAY=1,2,3", first_fri[0], NINE(2026, 1, 1), NINE(2026, 8, 1), first_fri,
               N_OF(first_fri));
    const bk_time fri13[] = {NINE(2026, 2, 13), NINE(2026, 3, 13), NINE(2026, 11, 13), NINE(2027, 8, 13)};
    check_days("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", fri13[0], NINE(2026, 1, 1), NINE(2027, 9, 1), fri13, N_OF(fri13));
}
END_TEST

START_TEST(byday_entries_are_a_union)
{
    /* Every Monday and the last Friday (dateutil would intersect them). */
    const bk_time want[] = {NINE(2026, 1, 5), NINE(2026, 1, 12), NINE(2026, 1, 19), NINE(2026, 1, 26),
                            NINE(2026, 1, 30)};
    check_days("FREQ=MONTHLY;BYDAY=MO,-1FR", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, N_OF(want));
}
END_TEST

START_TEST(monthly_plain_byday_expands_to_every_such_day)
{
    const bk_time want[] = {NINE(2026, 1, 3),  NINE(2026, 1, 10), NINE(2026, 1, 17),
                            NINE(2026, 1, 24), NINE(2026, 1, 31), NINE(2026, 2, 7)};
    check_days("FREQ=MONTHLY;BYDAY=SA", want[0], NINE(2026, 1, 1), NINE(2026, 2, 8), want, N_OF(want));
}
END_TEST

START_TEST(yearly_defaults_to_month_and_day)
{
    const bk_time want[] = {NINE(2026, 3, 10), NINE(2027, 3, 10), NINE(2028, 3, 10)};
    check_days("FREQ=YEARLY;COUNT=3", want[0], NINE(2026, 1, 1), NINE(2040, 1, 1), want, N_OF(want));
    const bk_time leap[] = {NINE(2024, 2, 29), NINE(2028, 2, 29), NINE(2032, 2, 29)};
    check_days("FREQ=YEARLY", leap[0], NINE(2024, 1, 1), NINE(2033, 1, 1), leap, N_OF(leap));
}
END_TEST

START_TEST(yearly_christmas)
{
    const bk_time want[] = {NINE(2026, 12, 25), NINE(2027, 12, 25), NINE(2028, 12, 25)};
    check_days("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25", want[0], NINE(2026, 1, 1), NINE(2029, 1, 1), want, N_OF(want));
}
END_TEST

START_TEST(yearly_bymonth_alone_keeps_the_start_day)
{
    const bk_time want[] = {NINE(2026, 1, 10), NINE(2026, 7, 10), NINE(2027, 1, 10)};
    check_days("FREQ=YEARLY;BYMONTH=1,7", want[0], NINE(2026, 1, 1), NINE(2027, 2, 1), want, N_OF(want));
}
END_TEST

START_TEST(yearly_ordinals_count_in_the_month_with_bymonth_else_in_the_year)
{
    const bk_time memorial[] = {NINE(2026, 5, 25), NINE(2027, 5, 31), NINE(2028, 5, 29)};
    check_days("FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO", memorial[0], NINE(2026, 1, 1), NINE(2029, 1, 1), memorial,
               N_OF(memorial));
    /* RFC 5545: "Monday of week number 20" is BYWEEKNO; BYDAY=20MO is the
     * 20th Monday of the year. */
    const bk_time mo20[] = {NINE(1997, 5, 19), NINE(1998, 5, 18), NINE(1999, 5, 17)};
    check_days("FREQ=YEARLY;BYDAY=20MO", mo20[0], NINE(1997, 1, 1), NINE(2000, 1, 1), mo20, N_OF(mo20));
    const bk_time first_mo[] = {NINE(2026, 1, 5), NINE(2027, 1, 4), NINE(2028, 1, 3)};
    check_days("FREQ=YEARLY;BYDAY=1MO", first_mo[0], NINE(2026, 1, 1), NINE(2028, 12, 31), first_mo, N_OF(first_mo));
    const bk_time last_fri[] = {NINE(2026, 12, 25), NINE(2027, 12, 31)};
    check_days("FREQ=YEARLY;BYDAY=-1FR", last_fri[0], NINE(2026, 1, 1), NINE(2028, 1, 1), last_fri, N_OF(last_fri));
}
END_TEST

START_TEST(bymonth_limits_daily_and_weekly)
{
    bk_time want[31];
    size_t n = 0;
    for (int d = 30; d <= 31; d++)
        want[n++] = NINE(2026, 1, d);
    for (int d = 1; d <= 28; d++)
        want[n++] = NINE(2026, 2, d);
    want[n++] = NINE(2027, 1, 1);
    check_days("FREQ=DAILY;BYMONTH=1,2", want[0], NINE(2026, 1, 1), NINE(2027, 1, 2), want, n);
    const bk_time sundays[] = {NINE(2026, 3, 1),  NINE(2026, 3, 8),  NINE(2026, 3, 15),
                               NINE(2026, 3, 22), NINE(2026, 3, 29), NINE(2027, 3, 7)};
    check_days("FREQ=WEEKLY;BYMONTH=3", sundays[0], NINE(2026, 1, 1), NINE(2027, 3, 8), sundays, N_OF(sundays));
}
END_TEST

START_TEST(daily_byday_and_bymonthday_limit)
{
    const bk_time mondays[] = {NINE(2026, 1, 5), NINE(2026, 1, 19), NINE(2026, 2, 2)};
    check_days("FREQ=DAILY;INTERVAL=2;BYDAY=MO", mondays[0], NINE(2026, 1, 1), NINE(2026, 2, 3), mondays,
               N_OF(mondays));
    const bk_time halves[] = {NINE(2026, 1, 1), NINE(2026, 1, 15), NINE(2026, 2, 1), NINE(2026, 2, 15)};
    check_days("FREQ=DAILY;BYMONTHDAY=1,15", halves[0], NINE(2026, 1, 1), NINE(2026, 2, 16), halves, N_OF(halves));
}
END_TEST

START_TEST(bysetpos_picks_positions_in_each_period)
{
    /* RFC 5545: the last work day of the month. */
    const bk_time want[] = {NINE(2026, 1, 30), NINE(2026, 2, 27), NINE(2026, 3, 31), NINE(2026, 4, 30),
                            NINE(2026, 5, 29)};
    check_days("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", want[0], NINE(2026, 1, 1), NINE(2026, 6, 1), want,
               N_OF(want));
    /* RFC 5545: the third instance of a Tuesday, Wednesday or Thursday. */
    const bk_time third[] = {NINE(2026, 1, 7), NINE(2026, 2, 5), NINE(2026, 3, 5)};
    check_days("FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", third[0], NINE(2026, 1, 1), NINE(2027, 1, 1), third,
               N_OF(third));
}
END_TEST

START_TEST(until_is_inclusive_on_the_utc_start)
{
    const bk_time want[] = {NINE(2026, 1, 5), NINE(2026, 1, 6), NINE(2026, 1, 7)};
    check_days("FREQ=DAILY;UNTIL=20260107T090000Z", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, 3);
    check_days("FREQ=DAILY;UNTIL=20260107T085959Z", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1), want, 2);
    check_days("FREQ=DAILY;UNTIL=99991231T235959Z", want[0], NINE(2026, 1, 1), NINE(2026, 1, 8), want, 3);
}
END_TEST

START_TEST(until_compares_utc_not_local_time)
{
    /* 20:00 EST is 01:00Z the next day.  Read as local time, UNTIL
     * 2026-01-07 22:00 would admit the 7th's 20:00; read as UTC (DESIGN) it
     * ends with the 6th's, which starts 2026-01-07T01:00Z. */
    const bk_time want[] = {utc_of(2026, 1, 6, 1, 0), utc_of(2026, 1, 7, 1, 0)};
    occs o;
    run("FREQ=DAILY;UNTIL=20260107T220000Z", "America/New_York", want[0], want[0] + H, want[0], want[0] + 30 * DAY, &o);
    expect_starts("UNTIL in New York", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

START_TEST(exdate_skips_occurrences_but_count_still_counts_them)
{
    const bk_time days[] = {NINE(2026, 1, 5), NINE(2026, 1, 6), NINE(2026, 1, 7), NINE(2026, 1, 8)};
    const bk_time ex[] = {days[1], NINE(2026, 1, 9), days[1], utc_of(2026, 1, 7, 9, 1)}; /* unsorted, repeated */
    const bk_time want[] = {days[0], days[2], days[3]};
    occs o;
    run_ex("FREQ=DAILY;COUNT=4", ex, N_OF(ex), "UTC", days[0], days[0] + H, NINE(2026, 1, 1), NINE(2026, 2, 1), &o);
    expect_starts("EXDATE array", &o, want, N_OF(want));
    occs_free(&o);

    /* The same as iCalendar content lines, LF or CRLF. */
    run("RRULE:FREQ=DAILY;COUNT=4\nEXDATE:20260106T090000Z", "UTC", days[0], days[0] + H, NINE(2026, 1, 1),
        NINE(2026, 2, 1), &o);
    expect_starts("EXDATE line", &o, want, N_OF(want));
    occs_free(&o);
    run("RRULE:FREQ=DAILY;COUNT=4\r\nEXDATE:20260109T090000Z,20260106T090000Z\r\n", "UTC", days[0], days[0] + H,
        NINE(2026, 1, 1), NINE(2026, 2, 1), &o);
    expect_starts("EXDATE line, CRLF", &o, want, N_OF(want));
    occs_free(&o);

    /* The first occurrence can be excluded too (RFC 5545). */
    run("EXDATE:20260105T090000Z\nRRULE:FREQ=DAILY;COUNT=4", "UTC", days[0], days[0] + H, NINE(2026, 1, 1),
        NINE(2026, 2, 1), &o);
    expect_starts("EXDATE of the first", &o, days + 1, 3);
    occs_free(&o);

    /* A bare value may carry the RRULE: prefix. */
    run("RRULE:FREQ=DAILY;COUNT=4", "UTC", days[0], days[0] + H, NINE(2026, 1, 1), NINE(2026, 2, 1), &o);
    expect_starts("RRULE: prefix", &o, days, 4);
    occs_free(&o);
}
END_TEST

START_TEST(names_and_values_are_case_insensitive)
{
    const bk_time want[] = {NINE(2026, 1, 5), NINE(2026, 1, 7), NINE(2026, 1, 12)};
    check_days("freq=weekly;byday=mo,We;wkst=su;until=20260112t090000z", want[0], NINE(2026, 1, 1), NINE(2026, 2, 1),
               want, N_OF(want));
}
END_TEST

START_TEST(parts_may_come_in_any_order)
{
    const bk_time want[] = {NINE(2026, 1, 30), NINE(2026, 2, 27)};
    check_days("COUNT=2;BYDAY=-1FR;FREQ=MONTHLY", want[0], NINE(2026, 1, 1), NINE(2027, 1, 1), want, N_OF(want));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Window, callback, arguments                                         */
/* ------------------------------------------------------------------ */

START_TEST(window_is_half_open_and_catches_running_occurrences)
{
    bk_time s = NINE(2026, 1, 5), e = s + 2 * H;
    const bk_time one[] = {s};
    check_days("FREQ=DAILY;COUNT=1", s, s, s + 1, one, 1);
    occs o;
    run("FREQ=DAILY;COUNT=1", "UTC", s, e, e - 1, e + DAY, &o); /* still running at from */
    expect_starts("running", &o, one, 1);
    occs_free(&o);
    run("FREQ=DAILY;COUNT=1", "UTC", s, e, e, e + DAY, &o); /* ended exactly at from */
    expect_starts("touching from", &o, one, 0);
    occs_free(&o);
    run("FREQ=DAILY;COUNT=1", "UTC", s, e, s - DAY, s, &o); /* starts exactly at to */
    expect_starts("touching to", &o, one, 0);
    occs_free(&o);
    run("FREQ=DAILY;COUNT=1", "UTC", s, e, s + H, s, &o); /* empty window */
    expect_starts("empty window", &o, one, 0);
    occs_free(&o);
}
END_TEST

START_TEST(long_occurrences_overlap_each_other)
{
    /* 36 h every day: a window touching one day sees two occurrences. */
    bk_time s = NINE(2026, 1, 5);
    const bk_time want[] = {NINE(2026, 1, 8), NINE(2026, 1, 9)};
    occs o;
    run("FREQ=DAILY", "UTC", s, s + 36 * H, NINE(2026, 1, 9) + H, NINE(2026, 1, 9) + 2 * H, &o);
    expect_starts("36 h", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

START_TEST(callback_result_stops_the_expansion)
{
    const tz_zone *z = zone("UTC");
    rrule *r = parse_ok("FREQ=DAILY");
    occs o;
    occs_init(&o);
    o.stop_after = 2;
    bk_time s = NINE(2026, 1, 5);
    ck_assert_int_eq(rrule_expand(r, z, s, s + H, s, s + 30 * DAY, collect, &o), 42);
    ck_assert_uint_eq(o.n, 2);
    occs_free(&o);
    rrule_free(r);
}
END_TEST

START_TEST(bad_arguments_are_einval)
{
    const tz_zone *z = zone("UTC");
    rrule *r = parse_ok("FREQ=DAILY");
    occs o;
    occs_init(&o);
    bk_time s = NINE(2026, 1, 5);
    ck_assert_int_eq(rrule_expand(NULL, z, s, s + H, s, s + DAY, collect, &o), BK_EINVAL);
    ck_assert_int_eq(rrule_expand(r, NULL, s, s + H, s, s + DAY, collect, &o), BK_EINVAL);
    ck_assert_int_eq(rrule_expand(r, z, s, s + H, s, s + DAY, NULL, &o), BK_EINVAL);
    ck_assert_int_eq(rrule_expand(r, z, s, s, s, s + DAY, collect, &o), BK_EINVAL);
    ck_assert_int_eq(rrule_expand(r, z, BK_TIME_MIN - 1, s, s, s + DAY, collect, &o), BK_EINVAL);
    ck_assert_int_eq(rrule_expand(r, z, s, BK_TIME_MAX + 1, s, s + DAY, collect, &o), BK_EINVAL);
    ck_assert_uint_eq(o.n, 0);
    char msg[128];
    ck_assert_int_eq(rrule_check_start(NULL, z, s, msg, sizeof msg), BK_EINVAL);
    ck_assert_int_eq(rrule_check_start(r, NULL, s, msg, sizeof msg), BK_EINVAL);
    ck_assert_int_eq(rrule_check_start(r, z, BK_TIME_MAX, msg, sizeof msg), BK_EINVAL);
    ck_assert_int_eq(rrule_check_start(r, z, s, NULL, 0), BK_OK);
    ck_assert_int_eq(rrule_parse("FREQ=DAILY", NULL, 0, NULL, msg, sizeof msg), BK_EINVAL);
    rrule *r2 = (rrule *)&o; /* any non-NULL value: must be reset */
    ck_assert_int_eq(rrule_parse(NULL, NULL, 0, &r2, msg, sizeof msg), BK_EINVAL);
    ck_assert_ptr_null(r2);
    ck_assert_int_eq(rrule_parse("FREQ=DAILY", NULL, 3, &r2, msg, sizeof msg), BK_EINVAL);
    ck_assert_ptr_null(r2);
    rrule_free(NULL);
    rrule_free(r);
}
END_TEST

START_TEST(nothing_from_the_end_of_the_supported_range_on)
{
    bk_time s = utc_of(2197, 6, 1, 9, 0);
    const bk_time want[] = {s, utc_of(2198, 6, 1, 9, 0), utc_of(2199, 6, 1, 9, 0)};
    occs o;
    run("FREQ=YEARLY", "UTC", s, s + H, INT64_MIN, INT64_MAX, &o);
    expect_starts("to 2199", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Daylight saving time                                                */
/* ------------------------------------------------------------------ */

START_TEST(weekday_lunch_stays_at_noon_across_spring_forward)
{
    /* tests/scenarios/rrule/recurring_weekday_lunch_across_ny_spring_forward.json */
    bk_time want[10];
    size_t n = 0;
    for (int d = 2; d <= 6; d++)
        want[n++] = utc_of(2026, 3, d, 17, 0); /* 12:00 EST */
    for (int d = 9; d <= 13; d++)
        want[n++] = utc_of(2026, 3, d, 16, 0); /* 12:00 EDT */
    occs o;
    run("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "America/New_York", want[0], want[0] + H, utc_of(2026, 3, 2, 5, 0),
        utc_of(2026, 3, 15, 4, 0), &o);
    expect_starts("weekday lunch", &o, want, n);
    occs_free(&o);
}
END_TEST

START_TEST(start_in_the_spring_forward_gap_moves_forward)
{
    /* 02:30 does not exist on 2026-03-08 in New York: read with EST it is
     * 07:30Z, shown as 03:30 EDT. */
    bk_time first = utc_of(2026, 3, 7, 7, 30); /* 02:30 EST */
    const bk_time want[] = {first, utc_of(2026, 3, 8, 7, 30), utc_of(2026, 3, 9, 6, 30)};
    occs o;
    run("FREQ=DAILY", "America/New_York", first, first + 30 * M, first, utc_of(2026, 3, 10, 0, 0), &o);
    expect_starts("02:30 daily", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

START_TEST(start_in_the_fall_back_overlap_is_the_first)
{
    bk_time first = utc_of(2026, 10, 31, 5, 30); /* 01:30 EDT */
    const bk_time want[] = {first, utc_of(2026, 11, 1, 5, 30) /* 01:30 EDT, not EST */, utc_of(2026, 11, 2, 6, 30)};
    occs o;
    run("FREQ=DAILY", "America/New_York", first, first + 30 * M, first, utc_of(2026, 11, 3, 0, 0), &o);
    expect_starts("01:30 daily", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

START_TEST(first_occurrence_keeps_its_exact_utc_start)
{
    /* The period starts at the second 01:30 (EST): it is the first
     * occurrence as it is, and COUNT counts it. */
    bk_time first = utc_of(2026, 11, 1, 6, 30);
    const bk_time want[] = {first, utc_of(2026, 11, 2, 6, 30), utc_of(2026, 11, 3, 6, 30)};
    occs o;
    run("FREQ=DAILY;COUNT=3", "America/New_York", first, first + H, utc_of(2026, 10, 1, 0, 0),
        utc_of(2026, 12, 1, 0, 0), &o);
    expect_starts("second 01:30", &o, want, N_OF(want));
    occs_free(&o);
    /* A year later the same local time is the first (EDT) one again. */
    const bk_time yearly[] = {first, utc_of(2027, 11, 7, 5, 30)};
    run("FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "America/New_York", first, first + H, first, utc_of(2027, 12, 1, 0, 0), &o);
    expect_starts("yearly second 01:30", &o, yearly, N_OF(yearly));
    occs_free(&o);
}
END_TEST

START_TEST(every_occurrence_lasts_the_first_ones_elapsed_length)
{
    /* 01:00-03:00 EST on 03-07 is 2 h; on 03-08 01:00 EST + 2 h = 04:00
     * EDT (the wall clock says 3 h). */
    bk_time first = utc_of(2026, 3, 7, 6, 0);
    const bk_time want[] = {first, utc_of(2026, 3, 8, 6, 0)};
    occs o;
    run("FREQ=DAILY;COUNT=2", "America/New_York", first, first + 2 * H, first, first + 3 * DAY, &o);
    expect_starts("elapsed", &o, want, N_OF(want));
    ck_assert_int_eq(o.end[1] - o.start[1], 2 * H);
    occs_free(&o);
}
END_TEST

START_TEST(lord_howe_half_hour_gap)
{
    /* 2026-10-04 02:00 +10:30 -> 02:30 +11: 02:15 is read with +10:30. */
    bk_time first = utc_of(2026, 10, 2, 15, 45); /* 10-03 02:15 +10:30 */
    const bk_time want[] = {first, utc_of(2026, 10, 3, 15, 45), utc_of(2026, 10, 4, 15, 15)};
    occs o;
    run("FREQ=DAILY", "Australia/Lord_Howe", first, first + 15 * M, first, utc_of(2026, 10, 5, 0, 0), &o);
    expect_starts("Lord Howe", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

START_TEST(apia_skipped_day_gives_one_occurrence)
{
    /* Samoa skipped 2011-12-30 (-10 -> +14): 10:00 on the missing day is
     * read with -10, which is the instant of 10:00 on the 31st. */
    bk_time first = utc_of(2011, 12, 28, 20, 0); /* 12-28 10:00 -10 */
    const bk_time want[] = {first, utc_of(2011, 12, 29, 20, 0), utc_of(2011, 12, 30, 20, 0),
                            utc_of(2011, 12, 31, 20, 0)};
    occs o;
    run("FREQ=DAILY", "Pacific/Apia", first, first + H, first, utc_of(2012, 1, 1, 0, 0), &o);
    expect_starts("Apia", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The period's start must match the rule                               */
/* ------------------------------------------------------------------ */

static void expect_mismatch(const char *text, const char *zone_id, bk_time first_start, const char *needle)
{
    rrule *r = parse_ok(text);
    char msg[512] = "";
    int rc = rrule_check_start(r, zone(zone_id), first_start, msg, sizeof msg);
    rrule_free(r);
    ck_assert_msg(rc == BK_EINVAL, "%s at %s: %d, expected BK_EINVAL", text, fmt(first_start).s, rc);
    ck_assert_msg(strstr(msg, needle) != NULL, "%s: message '%s' lacks '%s'", text, msg, needle);
    ck_assert_msg(strncmp(msg, "rrule: ", 7) == 0, "message '%s' does not name the rrule", msg);
}

START_TEST(start_not_matching_the_rule_is_einval)
{
    expect_mismatch("FREQ=WEEKLY;BYDAY=MO", "UTC", NINE(2026, 1, 6),
                    "the period's start (2026-01-06 09:00:00 local time in UTC, a Tuesday) does not match the rule");
    expect_mismatch("FREQ=MONTHLY;BYMONTHDAY=31", "UTC", NINE(2026, 1, 30), "does not match");
    expect_mismatch("FREQ=MONTHLY;BYDAY=-1FR", "UTC", NINE(2026, 1, 23), "does not match");
    expect_mismatch("FREQ=YEARLY;BYMONTH=6", "UTC", NINE(2026, 1, 10), "does not match");
    expect_mismatch("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "UTC", NINE(2026, 1, 29), "does not match");
    expect_mismatch("FREQ=DAILY;BYMONTHDAY=-1", "UTC", NINE(2026, 2, 27), "does not match");
    expect_mismatch("FREQ=WEEKLY;BYMONTH=2", "UTC", NINE(2026, 1, 27), "does not match");
}
END_TEST

START_TEST(start_matching_uses_the_local_day)
{
    /* 2026-03-03T02:00Z is Monday 21:00 in New York: a Monday rule fits. */
    const bk_time first = utc_of(2026, 3, 3, 2, 0);
    const bk_time want[] = {first, utc_of(2026, 3, 10, 1, 0)};
    occs o;
    run("FREQ=WEEKLY;BYDAY=MO", "America/New_York", first, first + H, first, first + 8 * DAY, &o);
    expect_starts("Monday evening", &o, want, N_OF(want));
    occs_free(&o);
    /* 2026-03-02T03:00Z is Sunday 22:00 there: it does not. */
    expect_mismatch("FREQ=WEEKLY;BYDAY=MO", "America/New_York", utc_of(2026, 3, 2, 3, 0), "a Sunday");
}
END_TEST

START_TEST(until_before_the_start_is_einval)
{
    expect_mismatch("FREQ=DAILY;UNTIL=20260105T085959Z", "UTC", NINE(2026, 1, 5), "UNTIL is before");
    const bk_time one[] = {NINE(2026, 1, 5)};
    check_days("FREQ=DAILY;UNTIL=20260105T090000Z", one[0], NINE(2026, 1, 1), NINE(2027, 1, 1), one, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Invalid rules                                                       */
/* ------------------------------------------------------------------ */

static const struct bad_rule {
    const char *text;
    const char *needle;
} bad_rules[] = {
    {"", "rrule: empty rule"},
    {"BYDAY=MO", "rrule: FREQ is missing"},
    {"FREQ=SECONDLY", "rrule: FREQ=SECONDLY is not supported"},
    {"FREQ=MINUTELY", "rrule: FREQ=MINUTELY is not supported"},
    {"FREQ=HOURLY;INTERVAL=2", "rrule: FREQ=HOURLY is not supported"},
    {"FREQ=FORTNIGHTLY", "rrule: FREQ: 'FORTNIGHTLY' is not a frequency"},
    {"FREQ=DAILY;FREQ=WEEKLY", "rrule: FREQ appears twice"},
    {"FREQ=DAILY;COUNT=1;COUNT=2", "rrule: COUNT appears twice"},
    {"FREQ=DAILY;COUNT=2;UNTIL=20260101T000000Z", "rrule: COUNT and UNTIL together"},
    {"FREQ=DAILY;INTERVAL=0", "rrule: INTERVAL: '0' is not an integer 1..100000"},
    {"FREQ=DAILY;INTERVAL=-1", "rrule: INTERVAL: '-1'"},
    {"FREQ=DAILY;INTERVAL=2x", "rrule: INTERVAL: '2x'"},
    {"FREQ=DAILY;INTERVAL=100001", "rrule: INTERVAL: '100001'"},
    {"FREQ=DAILY;INTERVAL=99999999999999999999", "rrule: INTERVAL: '99999999999999999999'"},
    {"FREQ=DAILY;COUNT=0", "rrule: COUNT: '0' is not an integer 1..100000"},
    {"FREQ=DAILY;COUNT=100001", "rrule: COUNT: '100001'"},
    {"FREQ=DAILY;COUNT=+5", "rrule: COUNT: '+5'"},
    {"FREQ=WEEKLY;BYDAY=XX", "rrule: BYDAY: 'XX' is not a weekday"},
    {"FREQ=WEEKLY;BYDAY=MO,MONDAY", "rrule: BYDAY: 'MONDAY'"},
    {"FREQ=WEEKLY;BYDAY=M", "rrule: BYDAY: 'M' is not a weekday"},
    {"FREQ=WEEKLY;BYDAY=1MO", "rrule: BYDAY: '1MO' has an ordinal, which needs FREQ=MONTHLY or FREQ=YEARLY"},
    {"FREQ=DAILY;BYDAY=TU,-1FR", "rrule: BYDAY: '-1FR' has an ordinal"},
    {"FREQ=MONTHLY;BYDAY=0MO", "rrule: BYDAY: '0MO'"},
    {"FREQ=MONTHLY;BYDAY=54MO", "rrule: BYDAY: '54MO'"},
    {"FREQ=MONTHLY;BYDAY=+MO", "rrule: BYDAY: '+MO'"},
    {"FREQ=MONTHLY;BYDAY=123MO", "rrule: BYDAY: '123MO'"},
    {"FREQ=MONTHLY;BYDAY=MO,,TU", "rrule: BYDAY: empty list item"},
    {"FREQ=MONTHLY;BYDAY=MO,", "rrule: BYDAY: empty list item"},
    {"FREQ=MONTHLY;BYMONTHDAY=0", "rrule: BYMONTHDAY: '0' is not a day 1..31 or -31..-1"},
    {"FREQ=MONTHLY;BYMONTHDAY=32", "rrule: BYMONTHDAY: '32'"},
    {"FREQ=MONTHLY;BYMONTHDAY=-32", "rrule: BYMONTHDAY: '-32'"},
    {"FREQ=MONTHLY;BYMONTHDAY=1.5", "rrule: BYMONTHDAY: '1.5'"},
    {"FREQ=WEEKLY;BYMONTHDAY=1", "rrule: BYMONTHDAY is not allowed with FREQ=WEEKLY"},
    {"FREQ=YEARLY;BYMONTH=13", "rrule: BYMONTH: '13' is not a month 1..12"},
    {"FREQ=YEARLY;BYMONTH=0", "rrule: BYMONTH: '0'"},
    {"FREQ=YEARLY;BYMONTH=-1", "rrule: BYMONTH: '-1'"},
    {"FREQ=DAILY;UNTIL=20260601", "rrule: UNTIL: '20260601' is not a UTC date-time YYYYMMDDTHHMMSSZ"},
    {"FREQ=DAILY;UNTIL=20260601T000000", "rrule: UNTIL: '20260601T000000' is not a UTC date-time"},
    {"FREQ=DAILY;UNTIL=2026-06-01T00:00:00Z", "rrule: UNTIL: '2026-06-01T00:00:00Z'"},
    {"FREQ=DAILY;UNTIL=20260230T000000Z", "rrule: UNTIL: '20260230T000000Z'"},
    {"FREQ=DAILY;UNTIL=20260601T240000Z", "rrule: UNTIL: '20260601T240000Z'"},
    {"FREQ=DAILY;UNTIL=20260601T235960Z", "rrule: UNTIL: '20260601T235960Z'"},
    {"FREQ=DAILY;WKST=XY", "rrule: WKST: 'XY' is not a weekday"},
    {"FREQ=DAILY;WKST=1MO", "rrule: WKST: '1MO'"},
    {"FREQ=DAILY;BYHOUR=9", "rrule: BYHOUR is not supported"},
    {"FREQ=DAILY;BYMINUTE=0", "rrule: BYMINUTE is not supported"},
    {"FREQ=DAILY;BYSECOND=0", "rrule: BYSECOND is not supported"},
    {"FREQ=YEARLY;BYYEARDAY=1", "rrule: BYYEARDAY is not supported"},
    {"FREQ=YEARLY;BYWEEKNO=20", "rrule: BYWEEKNO is not supported"},
    {"FREQ=DAILY;BYSETPOS=1", "rrule: BYSETPOS needs another BYxxx part"},
    {"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0", "rrule: BYSETPOS: '0'"},
    {"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=367", "rrule: BYSETPOS: '367'"},
    {"FREQ=DAILY;FOO=BAR", "rrule: unknown part 'FOO'"},
    {"FREQ=DAILY;X-NAME=1", "rrule: unknown part 'X-NAME'"},
    {"FREQ=DAILY;RSCALE=GREGORIAN", "rrule: unknown part 'RSCALE'"},
    {"FREQ =DAILY;COUNT=1", "rrule: unknown part 'FREQ '"},
    {"FREQ=DAILY ;COUNT=1", "rrule: FREQ: 'DAILY ' is not a frequency"},
    {"FREQ=DAILY;", "rrule: empty part (a stray ';')"},
    {"FREQ=DAILY;;COUNT=1", "rrule: empty part"},
    {"FREQ", "rrule: 'FREQ' is not a NAME=VALUE part"},
    {"FREQ=", "rrule: FREQ: empty value"},
    {"FREQ=DAILY;BYDAY=", "rrule: BYDAY: empty value"},
    {"RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", "rrule: more than one RRULE line"},
    {"EXDATE:20260101T000000Z", "rrule: no RRULE line"},
    {"\n", "rrule: no RRULE line"},
    {"RRULE:", "rrule: empty rule"},
    {"RRULE:FREQ=DAILY\nEXDATE:2026-01-01", "rrule: EXDATE: '2026-01-01' is not a UTC date-time"},
    {"RRULE:FREQ=DAILY\nEXDATE:20260101T000000Z,", "rrule: EXDATE: '' is not a UTC date-time"},
    {"RRULE:FREQ=DAILY\nEXDATE:", "rrule: EXDATE: empty value"},
    {"RRULE:FREQ=DAILY\nEXDATE;TZID=Europe/Berlin:20260101T000000", "rrule: EXDATE: parameters are not supported"},
    {"RRULE:FREQ=DAILY\nDTSTART:20260101T000000Z", "rrule: unknown line 'DTSTART:20260101T000000Z'"},
    {"RRULE:FREQ=DAILY;COUNT=0\nEXDATE:20260101T000000Z", "rrule: COUNT: '0'"},
    {"FREQ=DAILY\nCOUNT=2", "rrule: unknown line 'FREQ=DAILY'"},
    /* Bytes from the caller are quoted escaped and cut. */
    {"FREQ=WEEKLY;BYDAY=M\xc3\xa9", "rrule: BYDAY: 'M\\xC3\\xA9' is not a weekday"},
    {"FREQ=DAILY;COUNT=1\x01", "rrule: COUNT: '1\\x01'"},
    {"FREQ=DAILY;COUNT=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "rrule: COUNT: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not"},
    {"FREQ=DAILY;XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX=1",
     "rrule: unknown part 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...'"},
};

START_TEST(invalid_rule_is_einval_naming_the_part)
{
    const struct bad_rule *b = &bad_rules[_i];
    char msg[512];
    memset(msg, 'x', sizeof msg);
    rrule *r = (rrule *)&msg; /* must be reset to NULL */
    int rc = rrule_parse(b->text, NULL, 0, &r, msg, sizeof msg);
    ck_assert_msg(rc == BK_EINVAL, "'%s': %d, expected BK_EINVAL", b->text, rc);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(msg, b->needle) != NULL, "'%s': message '%s' lacks '%s'", b->text, msg, b->needle);
    for (const char *p = msg; *p; p++)
        ck_assert_msg(*p >= 0x20 && *p < 0x7f, "message '%s' has a byte 0x%02x", msg, (unsigned char)*p);
}
END_TEST

START_TEST(messages_are_cut_to_msg_size)
{
    char msg[16];
    memset(msg, 'x', sizeof msg);
    rrule *r = NULL;
    ck_assert_int_eq(rrule_parse("FREQ=DAILY;FOO=BAR", NULL, 0, &r, msg, 8), BK_EINVAL);
    ck_assert_str_eq(msg, "rrule: ");
    ck_assert_int_eq(msg[8], 'x');
    ck_assert_int_eq(rrule_parse("FREQ=DAILY;FOO=BAR", NULL, 0, &r, NULL, 0), BK_EINVAL);
    ck_assert_int_eq(rrule_parse("FREQ=DAILY;FOO=BAR", NULL, 0, &r, msg, 0), BK_EINVAL);
    ck_assert_int_eq(msg[0], 'r');
}
END_TEST

START_TEST(valid_edge_values_parse)
{
    static const char *const ok[] = {
        "FREQ=DAILY;COUNT=100000",
        "FREQ=DAILY;INTERVAL=100000",
        "FREQ=MONTHLY;BYDAY=+5MO,-5SU,05TU",
        "FREQ=YEARLY;BYDAY=53MO,-53FR",
        "FREQ=MONTHLY;BYMONTHDAY=+1,-31,31,01",
        "FREQ=YEARLY;BYMONTH=01,12",
        "FREQ=YEARLY;BYMONTH=1;BYSETPOS=366,-366,+1",
        "FREQ=WEEKLY;BYDAY=MO,MO,mo",
        "FREQ=DAILY;UNTIL=19000101T000000Z",
        "FREQ=DAILY;WKST=SU",
    };
    for (size_t i = 0; i < N_OF(ok); i++)
        rrule_free(parse_ok(ok[i]));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lazy expansion                                                      */
/* ------------------------------------------------------------------ */

/* Expands `text` from first_start over [from, from + 7 days), expecting
 * n_want occurrences and at most max_periods periods looked at. */
static void check_lazy(const char *text, const char *zone_id, bk_time first_start, bk_time from, size_t n_want,
                       uint64_t max_periods)
{
    const tz_zone *z = zone(zone_id);
    rrule *r = parse_ok(text);
    char msg[256] = "";
    ck_assert_msg(rrule_check_start(r, z, first_start, msg, sizeof msg) == BK_OK, "%s: %s", text, msg);
    occs o;
    occs_init(&o);
    rrule_stats st;
    ck_assert_int_eq(rrule_expand_stats(r, z, first_start, first_start + H, from, from + 7 * DAY, collect, &o, &st),
                     BK_OK);
    rrule_free(r);
    ck_assert_msg(o.n == n_want, "%s: %zu occurrences in the week, expected %zu", text, o.n, n_want);
    ck_assert_msg(st.periods <= max_periods, "%s: %" PRIu64 " periods looked at for a week (max %" PRIu64 ")", text,
                  st.periods, max_periods);
    ck_assert_msg(st.instances <= max_periods * 7, "%s: %" PRIu64 " instances generated for a week", text,
                  st.instances);
    occs_free(&o);
}

START_TEST(unbounded_rule_from_1900_expands_only_the_queried_week)
{
    bk_time first = utc_of(1900, 1, 2, 17, 0); /* 12:00 EST */
    bk_time week = utc_of(2150, 6, 1, 4, 0);
    /* Expected counts from dateutil (which walks every day since 1900). */
    check_lazy("FREQ=DAILY", "America/New_York", first, week, 7, 14);
    check_lazy("FREQ=DAILY;INTERVAL=3", "America/New_York", first, week, 3, 6);
    check_lazy("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "America/New_York", first, week, 5, 4);
    check_lazy("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "America/New_York", first, week, 1, 3);
    check_lazy("FREQ=WEEKLY;INTERVAL=5;BYDAY=TU", "America/New_York", first, week, 0, 3);
    check_lazy("FREQ=MONTHLY;BYDAY=1SU,1MO,1TU,1WE,1TH,1FR,1SA", "America/New_York", first, week, 7, 3);
    check_lazy("FREQ=YEARLY;BYMONTH=6;BYDAY=MO,TU,WE,TH,FR,SA,SU", "America/New_York", utc_of(1900, 6, 1, 17, 0), week,
               7, 3);
    check_lazy("FREQ=DAILY;UNTIL=21991231T235959Z", "America/New_York", first, week, 7, 14);
    /* A rule with COUNT is counted from its start, and stops when done. */
    check_lazy("FREQ=DAILY;COUNT=10", "America/New_York", first, week, 0, 11);
}
END_TEST

START_TEST(count_rule_far_from_its_start_is_still_exact)
{
    /* COUNT=100000 from 1900-01-02 reaches 2173-10-... : the 2150 week is in. */
    bk_time first = utc_of(1900, 1, 2, 12, 0);
    occs o;
    run("FREQ=DAILY;COUNT=100000", "UTC", first, first + H, utc_of(2150, 6, 1, 0, 0), utc_of(2150, 6, 8, 0, 0), &o);
    ck_assert_uint_eq(o.n, 7);
    ck_assert_int_eq(o.start[0], utc_of(2150, 6, 1, 12, 0));
    occs_free(&o);
    /* The 100000th occurrence is the last. */
    bk_time last = first + (bk_time)99999 * DAY;
    run("FREQ=DAILY;COUNT=100000", "UTC", first, first + H, last - DAY, last + 10 * DAY, &o);
    const bk_time want[] = {last - DAY, last};
    expect_starts("COUNT=100000", &o, want, N_OF(want));
    occs_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The public scenario                                                 */
/* ------------------------------------------------------------------ */

static bk_time json_time(json_t *v)
{
    bk_time t = 0;
    ck_assert_msg(json_is_string(v) && bk_time_parse_iso(json_string_value(v), &t) == BK_OK, "bad instant");
    return t;
}

/* bench_month.json is bench_month_rrule.json with the two rules expanded by
 * an independent implementation (over the query window and a day either
 * side): the expansions must be exactly its extra periods. */
START_TEST(bench_month_rules_expand_to_the_expanded_scenario)
{
    char path[1024];
    json_error_t err;
    snprintf(path, sizeof path, "%s/rrule/bench_month_rrule.json", harness_scenario_dir());
    json_t *rules = json_load_file(path, 0, &err);
    ck_assert_msg(rules != NULL, "%s: %s", path, err.text);
    snprintf(path, sizeof path, "%s/bench_month.json", harness_scenario_dir());
    json_t *expanded = json_load_file(path, 0, &err);
    ck_assert_msg(expanded != NULL, "%s: %s", path, err.text);

    const tz_zone *z = zone(json_string_value(json_object_get(json_object_get(rules, "provider"), "timezone")));
    json_t *q = json_object_get(rules, "query");
    bk_time from = json_time(json_object_get(q, "from")) - DAY, to = json_time(json_object_get(q, "to")) + DAY;

    occs got;
    occs_init(&got);
    size_t idx;
    json_t *b;
    json_array_foreach(json_object_get(rules, "blocked"), idx, b)
    {
        json_t *rr = json_object_get(b, "rrule");
        if (!json_is_string(rr))
            continue;
        rrule *r = parse_ok(json_string_value(rr));
        bk_time s = json_time(json_object_get(b, "start")), e = json_time(json_object_get(b, "end"));
        char msg[256];
        ck_assert_msg(rrule_check_start(r, z, s, msg, sizeof msg) == BK_OK, "%s", msg);
        ck_assert_int_eq(rrule_expand(r, z, s, e, from, to, collect, &got), BK_OK);
        rrule_free(r);
        got.order_ok = 1; /* two rules: order is per rule */
    }

    /* The expanded file's periods that are not plain periods of the rule file. */
    size_t n_extra = 0, matched = 0;
    json_t *x;
    json_array_foreach(json_object_get(expanded, "blocked"), idx, x)
    {
        bk_time s = json_time(json_object_get(x, "start")), e = json_time(json_object_get(x, "end"));
        int plain = 0;
        size_t j;
        json_array_foreach(json_object_get(rules, "blocked"), j, b)
        {
            if (json_is_string(json_object_get(b, "rrule")))
                continue;
            plain |= json_time(json_object_get(b, "start")) == s && json_time(json_object_get(b, "end")) == e;
        }
        if (plain)
            continue;
        n_extra++;
        for (size_t k = 0; k < got.n; k++)
            if (got.start[k] == s && got.end[k] == e) {
                matched++;
                break;
            }
        ck_assert_msg(matched == n_extra, "expanded period %s not produced by the rules", fmt(s).s);
    }
    ck_assert_uint_eq(n_extra, 28);
    ck_assert_msg(got.n == n_extra, "the rules give %zu periods, the expanded file %zu", got.n, n_extra);
    occs_free(&got);
    json_decref(rules);
    json_decref(expanded);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Allocation failure                                                  */
/* ------------------------------------------------------------------ */

#ifdef BK_FAULT_INJECTION
START_TEST(allocation_failure_is_enomem_and_leaks_nothing)
{
    const bk_time ex[] = {NINE(2026, 1, 6), NINE(2026, 1, 9)};
    const char *text = "RRULE:FREQ=DAILY;COUNT=4\nEXDATE:20260107T090000Z,20260108T090000Z,20260110T090000Z,"
                       "20260111T090000Z,20260112T090000Z,20260113T090000Z,20260114T090000Z,20260115T090000Z,"
                       "20260116T090000Z";
    for (long n = 1;; n++) {
        bki_fault_arm(n);
        rrule *r = NULL;
        char msg[256] = "";
        int rc = rrule_parse(text, ex, N_OF(ex), &r, msg, sizeof msg);
        int fired = bki_fault_fired();
        bki_fault_arm(0);
        if (!fired) {
            ck_assert_int_eq(rc, BK_OK);
            occs o;
            occs_init(&o);
            ck_assert_int_eq(rrule_expand(r, zone("UTC"), NINE(2026, 1, 5), NINE(2026, 1, 5) + H, NINE(2026, 1, 1),
                                          NINE(2026, 2, 1), collect, &o),
                             BK_OK);
            ck_assert_uint_eq(o.n, 1);
            occs_free(&o);
            rrule_free(r);
            ck_assert_int_gt(n, 2);
            break;
        }
        ck_assert_msg(rc == BK_ENOMEM, "allocation %ld failed: %d", n, rc);
        ck_assert_ptr_null(r);
    }
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* Cross-check with python3-dateutil                                   */
/* ------------------------------------------------------------------ */

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    return (errno || *end || x < 0) ? dflt : x;
}

static int parse_times(char *field, bk_time **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (strcmp(field, "-") == 0)
        return 0;
    size_t cap = 1;
    for (const char *p = field; *p; p++)
        cap += *p == ',';
    *out = malloc(cap * sizeof **out);
    if (!*out)
        return -1;
    char *save = NULL;
    for (char *tok = strtok_r(field, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        errno = 0;
        long long v = strtoll(tok, &end, 10);
        if (errno || *end || *n == cap)
            return -1;
        (*out)[(*n)++] = (bk_time)v;
    }
    return 0;
}

static void utc_stamp(bk_time t, char out[32])
{
    int y, mo, d;
    int64_t days = civil_floor_div(t, DAY), sec = t - days * DAY;
    civil_date_from_days(days, &y, &mo, &d);
    snprintf(out, 32, "%04d%02d%02dT%02d%02d%02dZ", y, mo, d, (int)(sec / H), (int)(sec / M % 60), (int)(sec % 60));
}

/* One generated case: returns 1 if the library agrees with the reference
 * (printing the first difference otherwise). */
static int cross_case(char *line, size_t index, size_t *n_compared)
{
    char *save = NULL, *f[8];
    size_t nf = 0;
    for (char *tok = strtok_r(line, " \n", &save); tok && nf < 8; tok = strtok_r(NULL, " \n", &save))
        f[nf++] = tok;
    EXPECT(nf == 8, "case %zu: %zu fields", index, nf);
    const char *zone_id = f[0], *rule = f[5];
    bk_time first_start = strtoll(f[1], NULL, 10), first_end = strtoll(f[2], NULL, 10);
    bk_time from = strtoll(f[3], NULL, 10), to = strtoll(f[4], NULL, 10);
    bk_time *ex = NULL, *want = NULL;
    size_t n_ex = 0, n_want = 0;
    EXPECT(parse_times(f[6], &ex, &n_ex) == 0 && parse_times(f[7], &want, &n_want) == 0, "case %zu: bad line", index);

    const tz_zone *z = NULL;
    char msg[512] = "";
    EXPECT(tz_zone_get(zone_id, &z, msg, sizeof msg) == BK_OK, "case %zu: %s", index, msg);

    /* EXDATE goes in both ways the parser takes it: as content lines in
     * the text for odd cases, as the array for even ones. */
    char *text = NULL;
    size_t text_len = strlen(rule) + 16 + n_ex * 17 + 1;
    text = malloc(text_len);
    EXPECT(text != NULL, "out of memory");
    if (n_ex && index % 2) {
        int o = snprintf(text, text_len, "RRULE:%s\nEXDATE:", rule);
        for (size_t i = 0; i < n_ex; i++) {
            char stamp[32];
            utc_stamp(ex[i], stamp);
            o += snprintf(text + o, text_len - (size_t)o, "%s%s", i ? "," : "", stamp);
        }
    } else {
        snprintf(text, text_len, "%s", rule);
    }
    int odd_text = n_ex && index % 2;

    rrule *r = NULL;
    int ok = 1;
    int rc = rrule_parse(text, odd_text ? NULL : ex, odd_text ? 0 : n_ex, &r, msg, sizeof msg);
    if (rc == BK_OK)
        rc = rrule_check_start(r, z, first_start, msg, sizeof msg);
    occs o;
    occs_init(&o);
    if (rc == BK_OK)
        rc = rrule_expand(r, z, first_start, first_end, from, to, collect, &o);
    if (rc != BK_OK) {
        fprintf(stderr, "cross-check case %zu: %s %s first %s: rc %d: %s\n", index, zone_id, rule, fmt(first_start).s,
                rc, msg);
        ok = 0;
    } else {
        size_t i = 0;
        while (i < o.n && i < n_want && o.start[i] == want[i] && o.end[i] == want[i] + (first_end - first_start))
            i++;
        if (i != o.n || i != n_want || !o.order_ok) {
            fprintf(stderr,
                    "cross-check case %zu: %s %s first %s length %" PRId64 " window [%s, %s)%s: "
                    "occurrence %zu: library %s, dateutil %s (%zu vs %zu occurrences)\n",
                    index, zone_id, rule, fmt(first_start).s, (int64_t)(first_end - first_start), fmt(from).s,
                    fmt(to).s, n_ex ? " with EXDATE" : "", i, i < o.n ? fmt(o.start[i]).s : "none",
                    i < n_want ? fmt(want[i]).s : "none", o.n, n_want);
            ok = 0;
        }
        *n_compared += n_want;
    }
    occs_free(&o);
    rrule_free(r);
    free(text);
    free(ex);
    free(want);
    return ok;
}

START_TEST(expansion_matches_dateutil_on_generated_rules)
{
    long cases = env_long("BK_RRULE_CASES", 500), seed = env_long("BK_RRULE_SEED", 20260308);
    const char *script = BK_RRULE_CROSSCHECK;
    ck_assert_msg(strchr(script, '\'') == NULL, "script path with a quote: %s", script);
    char cmd[2048];
    /* popen runs /bin/sh, which valgrind does not trace (the valgrind setup
     * in tests/meson.build skips sh), so python runs natively even under
     * --setup valgrind. */
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --seed %ld --cases %ld", script, seed, cases);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    char *line = NULL;
    size_t cap = 0, n = 0, bad = 0, compared = 0;
    while (getline(&line, &cap, p) > 0) {
        if (!cross_case(line, n, &compared))
            bad++;
        n++;
    }
    free(line);
    int status = pclose(p);
    ck_assert_msg(status == 0, "%s exited with status %d (is python3-dateutil installed? tests/deps.sh installs it)",
                  cmd, status);
    ck_assert_msg(n == (size_t)cases, "%zu cases read, %ld expected", n, cases);
    printf("rrule cross-check with dateutil: seed %ld, %zu rules, %zu occurrences compared, %zu mismatches\n", seed, n,
           compared, bad);
    fflush(stdout);
    ck_assert_msg(bad == 0, "%zu of %zu generated rules differ from dateutil (see stderr)", bad, n);
    ck_assert_msg(compared >= n, "only %zu occurrences compared for %zu rules", compared, n);
}
END_TEST

static Suite *rrule_suite(void)
{
    Suite *s = suite_create("rrule");

    TCase *parts = tcase_create("parts");
    tcase_add_test(parts, daily_count_counts_the_first_occurrence);
    tcase_add_test(parts, daily_interval);
    tcase_add_test(parts, weekly_defaults_to_the_start_weekday);
    tcase_add_test(parts, weekly_byday_expands_within_the_week_never_before_the_start);
    tcase_add_test(parts, weekly_interval);
    tcase_add_test(parts, wkst_changes_interval_2_weekly_rules);
    tcase_add_test(parts, monthly_defaults_to_the_start_day);
    tcase_add_test(parts, monthly_day_31_skips_short_months);
    tcase_add_test(parts, monthly_negative_monthday_counts_from_the_end);
    tcase_add_test(parts, monthly_last_friday);
    tcase_add_test(parts, monthly_second_tuesday_with_plus_sign);
    tcase_add_test(parts, byday_and_bymonthday_intersect);
    tcase_add_test(parts, byday_entries_are_a_union);
    tcase_add_test(parts, monthly_plain_byday_expands_to_every_such_day);
    tcase_add_test(parts, yearly_defaults_to_month_and_day);
    tcase_add_test(parts, yearly_christmas);
    tcase_add_test(parts, yearly_bymonth_alone_keeps_the_start_day);
    tcase_add_test(parts, yearly_ordinals_count_in_the_month_with_bymonth_else_in_the_year);
    tcase_add_test(parts, bymonth_limits_daily_and_weekly);
    tcase_add_test(parts, daily_byday_and_bymonthday_limit);
    tcase_add_test(parts, bysetpos_picks_positions_in_each_period);
    tcase_add_test(parts, until_is_inclusive_on_the_utc_start);
    tcase_add_test(parts, until_compares_utc_not_local_time);
    tcase_add_test(parts, exdate_skips_occurrences_but_count_still_counts_them);
    tcase_add_test(parts, names_and_values_are_case_insensitive);
    tcase_add_test(parts, parts_may_come_in_any_order);
    suite_add_tcase(s, parts);

    TCase *window = tcase_create("window");
    tcase_add_test(window, window_is_half_open_and_catches_running_occurrences);
    tcase_add_test(window, long_occurrences_overlap_each_other);
    tcase_add_test(window, callback_result_stops_the_expansion);
    tcase_add_test(window, bad_arguments_are_einval);
    tcase_add_test(window, nothing_from_the_end_of_the_supported_range_on);
    suite_add_tcase(s, window);

    TCase *dst = tcase_create("dst");
    tcase_add_test(dst, weekday_lunch_stays_at_noon_across_spring_forward);
    tcase_add_test(dst, start_in_the_spring_forward_gap_moves_forward);
    tcase_add_test(dst, start_in_the_fall_back_overlap_is_the_first);
    tcase_add_test(dst, first_occurrence_keeps_its_exact_utc_start);
    tcase_add_test(dst, every_occurrence_lasts_the_first_ones_elapsed_length);
    tcase_add_test(dst, lord_howe_half_hour_gap);
    tcase_add_test(dst, apia_skipped_day_gives_one_occurrence);
    suite_add_tcase(s, dst);

    TCase *match = tcase_create("start");
    tcase_add_test(match, start_not_matching_the_rule_is_einval);
    tcase_add_test(match, start_matching_uses_the_local_day);
    tcase_add_test(match, until_before_the_start_is_einval);
    suite_add_tcase(s, match);

    TCase *invalid = tcase_create("invalid");
    tcase_add_loop_test(invalid, invalid_rule_is_einval_naming_the_part, 0, (int)N_OF(bad_rules));
    tcase_add_test(invalid, messages_are_cut_to_msg_size);
    tcase_add_test(invalid, valid_edge_values_parse);
#ifdef BK_FAULT_INJECTION
    tcase_add_test(invalid, allocation_failure_is_enomem_and_leaks_nothing);
#endif
    suite_add_tcase(s, invalid);

    TCase *lazy = tcase_create("lazy");
    tcase_add_test(lazy, unbounded_rule_from_1900_expands_only_the_queried_week);
    tcase_add_test(lazy, count_rule_far_from_its_start_is_still_exact);
    suite_add_tcase(s, lazy);

    TCase *scenario = tcase_create("scenario");
    tcase_add_test(scenario, bench_month_rules_expand_to_the_expanded_scenario);
    suite_add_tcase(s, scenario);

    TCase *cross = tcase_create("cross-check");
    tcase_set_timeout(cross, 120);
    tcase_add_test(cross, expansion_matches_dateutil_on_generated_rules);
    suite_add_tcase(s, cross);
    return s;
}

int main(void)
{
    Suite *suites[] = {rrule_suite()};
    return harness_run(suites, 1);
}
