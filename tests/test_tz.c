/* lib/tz: zone lookup, offsets and local -> UTC (DESIGN.md section 2).
 *
 * Known cases pin the rule down on well-understood transitions; the
 * randomized checks compare the table against ICU itself (offsets) and,
 * for local -> UTC, against both a brute-force reading of the rule that asks
 * ICU, not the table, and ICU's own wall-time resolution set to the same
 * rule, so the table logic is never checked against itself. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "booking.h"
#include "harness.h"
#include "tz/tz.h"
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

static int64_t local_of(int y, int mo, int d, int h, int mi)
{
    return civil_days_from_date(y, mo, d) * 86400 + h * H + mi * M;
}

/* The same arithmetic read as UTC gives an instant. */
static bk_time utc_of(int y, int mo, int d, int h, int mi) { return local_of(y, mo, d, h, mi); }

static const tz_zone *zone(const char *id)
{
    const tz_zone *z = NULL;
    char msg[256] = "";
    int rc = tz_zone_get(id, &z, msg, sizeof msg);
    ck_assert_msg(rc == BK_OK, "tz_zone_get(%s) = %d: %s", id, rc, msg);
    ck_assert_ptr_nonnull(z);
    ck_assert_str_eq(tz_zone_id(z), id);
    return z;
}

static int under_valgrind(void)
{
    const char *v = getenv("BK_UNDER_VALGRIND");
    return v && *v && strcmp(v, "0") != 0;
}

/* ------------------------------------------------------------------ */
/* Known offsets and conversions                                       */
/* ------------------------------------------------------------------ */

START_TEST(new_york_offsets_around_2026_transitions)
{
    const tz_zone *z = zone("America/New_York");
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 1, 15, 12, 0)), -5 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 7, 15, 12, 0)), -4 * H);
    /* 2026-03-08 02:00 EST = 07:00Z; 2026-11-01 02:00 EDT = 06:00Z. */
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 8, 7, 0) - 1), -5 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 8, 7, 0)), -4 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 11, 1, 6, 0) - 1), -4 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 11, 1, 6, 0)), -5 * H);
}
END_TEST

START_TEST(new_york_spring_gap_moves_forward_by_the_gap)
{
    const tz_zone *z = zone("America/New_York");
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 1, 59)), utc_of(2026, 3, 8, 6, 59));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 2, 0)), utc_of(2026, 3, 8, 7, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 2, 30)), utc_of(2026, 3, 8, 7, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 3, 0)), utc_of(2026, 3, 8, 7, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 3, 30)), utc_of(2026, 3, 8, 7, 30));
    /* 02:30 read as 03:30 EDT. */
    ck_assert_int_eq(tz_utc_to_local(z, utc_of(2026, 3, 8, 7, 30)), local_of(2026, 3, 8, 3, 30));
}
END_TEST

START_TEST(new_york_fall_overlap_takes_first_occurrence)
{
    const tz_zone *z = zone("America/New_York");
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 0, 59)), utc_of(2026, 11, 1, 4, 59));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 1, 0)), utc_of(2026, 11, 1, 5, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 1, 30)), utc_of(2026, 11, 1, 5, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 1, 59) + 59), utc_of(2026, 11, 1, 5, 59) + 59);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 2, 0)), utc_of(2026, 11, 1, 7, 0));
}
END_TEST

START_TEST(chicago_gap_and_overlap_2026)
{
    const tz_zone *z = zone("America/Chicago");
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 1, 1, 0, 0)), -6 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 6, 1, 0, 0)), -5 * H);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 2, 30)), utc_of(2026, 3, 8, 8, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 8, 3, 0)), utc_of(2026, 3, 8, 8, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 1, 30)), utc_of(2026, 11, 1, 6, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 11, 1, 9, 0)), utc_of(2026, 11, 1, 15, 0));
}
END_TEST

START_TEST(london_bst_2026)
{
    const tz_zone *z = zone("Europe/London");
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 1, 10, 12, 0)), 0);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 29, 1, 0) - 1), 0);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 29, 1, 0)), H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 10, 25, 1, 0) - 1), H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 10, 25, 1, 0)), 0);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 29, 1, 30)), utc_of(2026, 3, 29, 1, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 29, 2, 0)), utc_of(2026, 3, 29, 1, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 25, 1, 30)), utc_of(2026, 10, 25, 0, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 25, 2, 0)), utc_of(2026, 10, 25, 2, 0));
}
END_TEST

START_TEST(berlin_last_sunday_of_march_2026)
{
    const tz_zone *z = zone("Europe/Berlin");
    ck_assert_int_eq(civil_weekday(civil_days_from_date(2026, 3, 29)), 0);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 29, 1, 0) - 1), H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 29, 1, 0)), 2 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 22, 12, 0)), H);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 29, 1, 59)), utc_of(2026, 3, 29, 0, 59));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 29, 2, 30)), utc_of(2026, 3, 29, 1, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 3, 29, 3, 0)), utc_of(2026, 3, 29, 1, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 25, 2, 30)), utc_of(2026, 10, 25, 0, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 25, 3, 0)), utc_of(2026, 10, 25, 2, 0));
}
END_TEST

START_TEST(lord_howe_half_hour_dst)
{
    const tz_zone *z = zone("Australia/Lord_Howe");
    /* 2026-10-04 02:00 +10:30 -> 02:30 +11:00, at 2026-10-03T15:30Z. */
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 10, 3, 15, 30) - 1), 10 * H + 30 * M);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 10, 3, 15, 30)), 11 * H);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 4, 1, 0)), utc_of(2026, 10, 3, 14, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 4, 2, 0)), utc_of(2026, 10, 3, 15, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 4, 2, 15)), utc_of(2026, 10, 3, 15, 45));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 4, 2, 30)), utc_of(2026, 10, 3, 15, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 10, 4, 4, 0)), utc_of(2026, 10, 3, 17, 0));
    /* 2026-04-05 02:00 +11:00 -> 01:30 +10:30, at 2026-04-04T15:00Z:
     * 01:45 happens twice, first at 14:45Z. */
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 4, 4, 15, 0) - 1), 11 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 4, 4, 15, 0)), 10 * H + 30 * M);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 4, 5, 1, 45)), utc_of(2026, 4, 4, 14, 45));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 4, 5, 2, 0)), utc_of(2026, 4, 4, 15, 30));
}
END_TEST

START_TEST(kathmandu_quarter_hour_offset)
{
    const tz_zone *z = zone("Asia/Kathmandu");
    ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 6, 15, 0, 0)), 5 * H + 45 * M);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 6, 15, 9, 0)), utc_of(2026, 6, 15, 3, 15));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2026, 1, 1, 0, 0)), utc_of(2025, 12, 31, 18, 15));
    /* 1986-01-01: +05:30 -> +05:45, a 15-minute gap without DST. */
    ck_assert_int_eq(tz_offset_at(z, utc_of(1985, 12, 31, 18, 30) - 1), 5 * H + 30 * M);
    ck_assert_int_eq(tz_offset_at(z, utc_of(1985, 12, 31, 18, 30)), 5 * H + 45 * M);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(1986, 1, 1, 0, 10)), utc_of(1985, 12, 31, 18, 40));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(1986, 1, 1, 0, 15)), utc_of(1985, 12, 31, 18, 30));
}
END_TEST

START_TEST(apia_skipped_day_uses_pre_transition_offset)
{
    const tz_zone *z = zone("Pacific/Apia");
    /* 2011-12-29 24:00 -10:00 became 2011-12-31 00:00 +14:00 at 10:00Z. */
    ck_assert_int_eq(tz_offset_at(z, utc_of(2011, 12, 30, 10, 0) - 1), -10 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2011, 12, 30, 10, 0)), 14 * H);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2011, 12, 29, 23, 59)), utc_of(2011, 12, 30, 9, 59));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2011, 12, 30, 0, 0)), utc_of(2011, 12, 30, 10, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2011, 12, 30, 9, 0)), utc_of(2011, 12, 30, 19, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2011, 12, 30, 23, 59)), utc_of(2011, 12, 31, 9, 59));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2011, 12, 31, 0, 0)), utc_of(2011, 12, 30, 10, 0));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2011, 12, 31, 9, 0)), utc_of(2011, 12, 30, 19, 0));
}
END_TEST

START_TEST(standard_offset_changes_without_dst)
{
    /* Caracas: 2007-12-09 03:00 -04:00 -> 02:30 -04:30 (an overlap), and
     * 2016-05-01 02:30 -04:30 -> 03:00 -04:00 (a gap). */
    const tz_zone *z = zone("America/Caracas");
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2007, 12, 9, 2, 45)), utc_of(2007, 12, 9, 6, 45));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2007, 12, 9, 3, 0)), utc_of(2007, 12, 9, 7, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2016, 5, 1, 2, 40)), utc_of(2016, 5, 1, 7, 10));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2016, 5, 1, 3, 0)), utc_of(2016, 5, 1, 7, 0));
    /* Moscow 2014-10-26 02:00 +04:00 -> 01:00 +03:00, standard time both sides. */
    z = zone("Europe/Moscow");
    ck_assert_int_eq(tz_offset_at(z, utc_of(2014, 10, 25, 22, 0) - 1), 4 * H);
    ck_assert_int_eq(tz_offset_at(z, utc_of(2014, 10, 25, 22, 0)), 3 * H);
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2014, 10, 26, 1, 30)), utc_of(2014, 10, 25, 21, 30));
    ck_assert_int_eq(tz_local_to_utc(z, local_of(2014, 10, 26, 2, 0)), utc_of(2014, 10, 25, 23, 0));
}
END_TEST

START_TEST(offsets_outside_the_table_use_the_nearest_edge)
{
    const tz_zone *z = zone("America/New_York");
    ck_assert_int_eq(tz_offset_at(z, BK_TIME_MIN - 86400 * 365), tz_offset_at(z, BK_TIME_MIN));
    ck_assert_int_eq(tz_offset_at(z, BK_TIME_MAX + 86400 * 180), tz_offset_at(z, BK_TIME_MAX - 1));
    ck_assert_int_eq(tz_offset_at(z, BK_TIME_MIN), -5 * H);
    ck_assert_int_eq(tz_offset_at(z, BK_TIME_MAX - 1), -5 * H);
    /* Garbage in must not be undefined behaviour (checked under UBSan). */
    (void)tz_offset_at(z, INT64_MIN);
    (void)tz_offset_at(z, INT64_MAX);
    (void)tz_local_to_utc(z, INT64_MIN);
    (void)tz_local_to_utc(z, INT64_MAX);
}
END_TEST

START_TEST(utc_zones_have_offset_zero)
{
    const char *ids[] = {"UTC", "Etc/UTC", "Etc/GMT"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const tz_zone *z = zone(ids[i]);
        ck_assert_int_eq(tz_offset_at(z, utc_of(2026, 3, 8, 7, 0)), 0);
        ck_assert_int_eq(tz_local_to_utc(z, local_of(1900, 1, 1, 0, 0)), BK_TIME_MIN);
        ck_assert_int_eq(tz_local_to_utc(z, local_of(2199, 12, 31, 23, 59)), BK_TIME_MAX - 60);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

static void expect_unknown(const char *id, const char *quoted)
{
    static const char dummy;
    const tz_zone *z = (const tz_zone *)(const void *)&dummy; /* must be reset to NULL */
    char msg[256];
    memset(msg, 'x', sizeof msg);
    int rc = tz_zone_get(id, &z, msg, sizeof msg);
    ck_assert_int_eq(rc, BK_EINVAL);
    ck_assert_ptr_null(z);
    ck_assert_ptr_nonnull(memchr(msg, '\0', sizeof msg));
    ck_assert_msg(strncmp(msg, "timezone: unknown zone", 22) == 0, "message: %s", msg);
    ck_assert_msg(strstr(msg, quoted) != NULL, "message '%s' lacks '%s'", msg, quoted);
    /* msg may be NULL. */
    ck_assert_int_eq(tz_zone_get(id, &z, NULL, 0), BK_EINVAL);
}

START_TEST(unknown_zone_name_is_einval_with_id_in_message)
{
    expect_unknown("Europe/Berlim", "'Europe/Berlim'");
    expect_unknown("Mars/Olympus_Mons", "'Mars/Olympus_Mons'");
}
END_TEST

START_TEST(empty_zone_id_is_einval)
{
    expect_unknown("", "''");
}
END_TEST

START_TEST(null_zone_id_is_einval)
{
    expect_unknown(NULL, "NULL");
}
END_TEST

START_TEST(custom_gmt_offset_id_is_einval)
{
    expect_unknown("GMT+05:30", "'GMT+05:30'");
    expect_unknown("GMT+5", "'GMT+5'");
}
END_TEST

START_TEST(icu_unknown_placeholder_zone_is_einval)
{
    expect_unknown("Etc/Unknown", "'Etc/Unknown'");
}
END_TEST

START_TEST(zone_ids_are_case_and_space_sensitive)
{
    expect_unknown("europe/berlin", "'europe/berlin'");
    expect_unknown("Europe/Berlin ", "'Europe/Berlin '");
    expect_unknown(" Europe/Berlin", "' Europe/Berlin'");
}
END_TEST

START_TEST(overlong_zone_id_is_einval_and_cut_in_message)
{
    char id[201];
    memset(id, 'A', 200);
    id[200] = '\0';
    memcpy(id, "Europe/", 7);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "'%.64s...'", id);
    expect_unknown(id, prefix);
    /* 65 bytes is already too long, even if the prefix were a zone. */
    char id65[66];
    memset(id65, 'B', 65);
    id65[65] = '\0';
    expect_unknown(id65, "BBBB...'");
}
END_TEST

START_TEST(invalid_utf8_zone_id_is_einval_and_escaped)
{
    expect_unknown("Europe/\xff\xfe" "Berlin", "'Europe/\\xFF\\xFEBerlin'");
    expect_unknown("Europe/\xc3", "'Europe/\\xC3'");
    expect_unknown("Europe/\xc0\xaf", "'Europe/\\xC0\\xAF'"); /* overlong '/' */
    expect_unknown("Europe/\tBerlin", "'Europe/\\x09Berlin'");
    /* Well-formed UTF-8 is quoted as it is. */
    expect_unknown("Europe/Z\xc3\xbcrich", "'Europe/Z\xc3\xbcrich'");
}
END_TEST

START_TEST(message_is_cut_to_msg_size)
{
    const tz_zone *z = NULL;
    char msg[16];
    memset(msg, 'x', sizeof msg);
    ck_assert_int_eq(tz_zone_get("Europe/Berlim", &z, msg, sizeof msg), BK_EINVAL);
    ck_assert_str_eq(msg, "timezone: unkno");
    char tiny[1] = {'x'};
    ck_assert_int_eq(tz_zone_get("Europe/Berlim", &z, tiny, sizeof tiny), BK_EINVAL);
    ck_assert_int_eq(tiny[0], '\0');
    /* Cutting never splits a UTF-8 sequence. */
    char small[28];
    ck_assert_int_eq(tz_zone_get("\xc3\xbc\xc3\xbc", &z, small, sizeof small), BK_EINVAL);
    ck_assert_str_eq(small, "timezone: unknown zone '\xc3\xbc");
}
END_TEST

START_TEST(null_out_pointer_is_einval)
{
    ck_assert_int_eq(tz_zone_get("Europe/Berlin", NULL, NULL, 0), BK_EINVAL);
}
END_TEST

START_TEST(alias_us_eastern_matches_new_york)
{
    const tz_zone *alias = zone("US/Eastern");
    const tz_zone *ny = zone("America/New_York");
    ck_assert_str_eq(tz_zone_id(alias), "US/Eastern");
    ck_assert_int_eq(tz_local_to_utc(alias, local_of(2026, 3, 8, 2, 30)), utc_of(2026, 3, 8, 7, 30));
    for (bk_time t = utc_of(1950, 1, 1, 0, 0); t < utc_of(2100, 1, 1, 0, 0); t += 86400 * 7 + 3607)
        EXPECT(tz_offset_at(alias, t) == tz_offset_at(ny, t), "offsets differ at %lld", (long long)t);
    /* Other aliases ICU lists as system zones. */
    zone("Asia/Calcutta");
    zone("Asia/Kolkata");
    zone("EST");
}
END_TEST

START_TEST(same_id_returns_same_pointer)
{
    const tz_zone *a = zone("Europe/Paris");
    const tz_zone *b = zone("Europe/Paris");
    const tz_zone *c = zone("Europe/Rome");
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_ne(a, c);
    ck_assert_ptr_eq(zone("Europe/Rome"), c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define N_THREADS 8

/* Zones no other test loads, so that with CK_FORK=no the first use still
 * happens here, in all threads at once. */
static const char *const thread_zones[] = {"Asia/Tokyo", "Africa/Nairobi", "America/Bogota", "Asia/Dubai"};

typedef struct thread_arg {
    pthread_barrier_t *barrier;
    int index;
    const tz_zone *got[4];
    int rc[4];
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    pthread_barrier_wait(a->barrier);
    for (int k = 0; k < 4; k++) {
        /* Different threads walk the zones in different orders so that
         * first uses of several zones overlap too. */
        int j = (k + a->index) % 4;
        a->rc[j] = tz_zone_get(thread_zones[j], &a->got[j], NULL, 0);
    }
    return NULL;
}

START_TEST(concurrent_first_use_builds_one_table)
{
    pthread_barrier_t barrier;
    ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, N_THREADS), 0);
    pthread_t tid[N_THREADS];
    thread_arg args[N_THREADS];
    memset(args, 0, sizeof args);
    for (int i = 0; i < N_THREADS; i++) {
        args[i].barrier = &barrier;
        args[i].index = i;
        ck_assert_int_eq(pthread_create(&tid[i], NULL, thread_main, &args[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
    pthread_barrier_destroy(&barrier);
    for (int j = 0; j < 4; j++) {
        for (int i = 0; i < N_THREADS; i++) {
            ck_assert_int_eq(args[i].rc[j], BK_OK);
            ck_assert_ptr_eq(args[i].got[j], args[0].got[j]);
        }
        ck_assert_ptr_eq(zone(thread_zones[j]), args[0].got[j]);
    }
    ck_assert_int_eq(tz_offset_at(args[0].got[0], utc_of(2026, 1, 1, 0, 0)), 9 * H);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Randomized cross-checks against ICU                                 */
/* ------------------------------------------------------------------ */

/* Zones with every kind of rule: plain DST north and south, half-hour and
 * quarter-hour offsets, 30-minute and 2-hour DST, negative DST in the
 * source data (Dublin), Ramadan DST (Casablanca), skipped days (Apia,
 * Kiritimati), standard-offset changes (Caracas, Moscow, Pyongyang). */
static const char *const cross_zones[] = {
    "America/New_York", "America/Chicago",   "America/Los_Angeles", "America/Sao_Paulo",
    "America/St_Johns", "America/Caracas",   "Europe/London",       "Europe/Berlin",
    "Europe/Dublin",    "Europe/Moscow",     "Africa/Casablanca",   "Asia/Kathmandu",
    "Asia/Tehran",      "Asia/Pyongyang",    "Australia/Lord_Howe", "Australia/Adelaide",
    "Pacific/Apia",     "Pacific/Chatham",   "Pacific/Kiritimati",  "Antarctica/Troll",
    "America/Santiago", "Asia/Gaza",
};
#define N_CROSS (sizeof cross_zones / sizeof cross_zones[0])

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo));
}

static UCalendar *icu_cal(const char *id)
{
    UChar uid[80];
    u_uastrcpy(uid, id);
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(uid, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    ck_assert_msg(U_SUCCESS(st), "ucal_open(%s): %s", id, u_errorName(st));
    return cal;
}

static int32_t icu_offset_at(UCalendar *cal, int64_t t)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t * 1000.0, &st);
    int32_t off = ucal_get(cal, UCAL_ZONE_OFFSET, &st) + ucal_get(cal, UCAL_DST_OFFSET, &st);
    EXPECT(U_SUCCESS(st), "ucal_get: %s", u_errorName(st));
    return off / 1000;
}

/* The zone's transitions (total offset changing) in [from, to), read from
 * ICU directly. */
typedef struct icu_table {
    int64_t at[2048];
    int32_t before[2048], after[2048];
    size_t n;
    int32_t offsets[64]; /* every distinct offset in force in 1900..2200 */
    size_t n_offsets;
} icu_table;

static void note_offset(icu_table *t, int32_t off)
{
    for (size_t i = 0; i < t->n_offsets; i++)
        if (t->offsets[i] == off)
            return;
    EXPECT(t->n_offsets < 64, "too many offsets");
    t->offsets[t->n_offsets++] = off;
}

static void icu_transitions(UCalendar *cal, icu_table *t)
{
    memset(t, 0, sizeof *t);
    UErrorCode st = U_ZERO_ERROR;
    int64_t cur = BK_TIME_MIN;
    int32_t off = icu_offset_at(cal, cur);
    note_offset(t, off);
    for (;;) {
        UDate d;
        ucal_setMillis(cal, (UDate)cur * 1000.0, &st);
        if (!ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &d, &st) || d >= BK_TIME_MAX * 1000.0)
            break;
        EXPECT(U_SUCCESS(st), "transition: %s", u_errorName(st));
        cur = (int64_t)(d / 1000.0);
        int32_t next = icu_offset_at(cal, cur);
        if (next == off)
            continue;
        EXPECT(t->n < 2048, "too many transitions");
        t->at[t->n] = cur;
        t->before[t->n] = off;
        t->after[t->n] = next;
        t->n++;
        note_offset(t, next);
        off = next;
    }
}

/* The rule of DESIGN.md section 2 read literally, with ICU as the oracle
 * for "the offset in force at u": the earliest u with L = u + off(u); if
 * there is none, the transition T (b -> a) with T + b <= L < T + a, read
 * with b. */
static bk_time reference_local_to_utc(UCalendar *cal, const icu_table *t, int64_t L)
{
    int found = 0;
    bk_time best = 0;
    for (size_t i = 0; i < t->n_offsets; i++) {
        int64_t u = L - t->offsets[i];
        if (icu_offset_at(cal, u) == t->offsets[i] && (!found || u < best)) {
            best = u;
            found = 1;
        }
    }
    if (found)
        return best;
    for (size_t i = 0; i < t->n; i++)
        if (t->at[i] + t->before[i] <= L && L < t->at[i] + t->after[i])
            return L - t->before[i];
    ck_abort_msg("local %lld neither maps nor falls in a gap", (long long)L);
    return 0;
}

START_TEST(offsets_match_icu_at_random_instants)
{
    uint64_t seed = 0x5EEDu + (uint64_t)_i;
    const char *id = cross_zones[_i];
    const tz_zone *z = zone(id);
    UCalendar *cal = icu_cal(id);
    int n = under_valgrind() ? 150 : 3000;
    const bk_time lo = utc_of(1950, 1, 1, 0, 0), hi = utc_of(2100, 1, 1, 0, 0);
    for (int k = 0; k < n; k++) {
        bk_time t = rng_range(&seed, lo, hi);
        EXPECT(tz_offset_at(z, t) == icu_offset_at(cal, t), "%s at %lld: %d, ICU %d", id, (long long)t,
                      tz_offset_at(z, t), icu_offset_at(cal, t));
    }
    /* Either side of every transition, where an off-by-one would show. */
    static icu_table t;
    icu_transitions(cal, &t);
    size_t stride = under_valgrind() ? 7 : 1;
    for (size_t i = 0; i < t.n; i += stride) {
        EXPECT(tz_offset_at(z, t.at[i] - 1) == t.before[i] && tz_offset_at(z, t.at[i]) == t.after[i],
               "%s: transition at %lld", id, (long long)t.at[i]);
    }
    ucal_close(cal);
}
END_TEST

/* ICU's own reading of wall time, set to the same rule: an overlap takes
 * the first occurrence, a gap the offset before it.  A second, independent
 * oracle for the reference above. */
static UCalendar *icu_wall_cal(const char *id)
{
    UCalendar *cal = icu_cal(id);
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST);
    return cal;
}

static bk_time icu_local_to_utc(UCalendar *wall, int64_t L)
{
    int64_t days = civil_floor_div(L, 86400), secs = civil_floor_mod(L, 86400);
    int y, m, d;
    civil_date_from_days(days, &y, &m, &d);
    UErrorCode st = U_ZERO_ERROR;
    ucal_clear(wall);
    ucal_setDateTime(wall, y, m - 1, d, (int32_t)(secs / 3600), (int32_t)(secs / 60 % 60), (int32_t)(secs % 60), &st);
    UDate ms = ucal_getMillis(wall, &st);
    EXPECT(U_SUCCESS(st), "ucal_getMillis: %s", u_errorName(st));
    return (bk_time)(ms / 1000.0);
}

static void check_local(const tz_zone *z, UCalendar *cal, UCalendar *wall, const icu_table *t, int64_t L)
{
    bk_time got = tz_local_to_utc(z, L);
    bk_time want = reference_local_to_utc(cal, t, L);
    bk_time icu = icu_local_to_utc(wall, L);
    EXPECT(got == want && got == icu, "%s: local %lld -> %lld, reference %lld, ICU %lld", tz_zone_id(z), (long long)L,
           (long long)got, (long long)want, (long long)icu);
}

START_TEST(local_to_utc_matches_reference_at_random_and_transition_times)
{
    uint64_t seed = 0xC0FFEEu + (uint64_t)_i;
    const char *id = cross_zones[_i];
    const tz_zone *z = zone(id);
    UCalendar *cal = icu_cal(id);
    UCalendar *wall = icu_wall_cal(id);
    static icu_table t;
    icu_transitions(cal, &t);
    int valgrind = under_valgrind();

    int n = valgrind ? 60 : 1000;
    const int64_t lo = local_of(1950, 1, 1, 0, 0), hi = local_of(2100, 1, 1, 0, 0);
    for (int k = 0; k < n; k++)
        check_local(z, cal, wall, &t, rng_range(&seed, lo, hi));

    /* Around each transition's local edges, where gaps and overlaps are. */
    static const int64_t deltas[] = {-3601, -1, 0, 1, 900, 1799, 1800, 3599, 3600, 7200};
    size_t stride = valgrind ? 9 : 1;
    for (size_t i = 0; i < t.n; i += stride) {
        if (t.at[i] < utc_of(1950, 1, 1, 0, 0) || t.at[i] >= utc_of(2100, 1, 1, 0, 0))
            continue;
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
            check_local(z, cal, wall, &t, t.at[i] + t.before[i] + deltas[d]);
            check_local(z, cal, wall, &t, t.at[i] + t.after[i] + deltas[d]);
        }
        int64_t a = t.at[i] + (t.before[i] < t.after[i] ? t.before[i] : t.after[i]);
        int64_t b = t.at[i] + (t.before[i] < t.after[i] ? t.after[i] : t.before[i]);
        if (b > a)
            check_local(z, cal, wall, &t, rng_range(&seed, a, b));
    }
    ucal_close(wall);
    ucal_close(cal);
}
END_TEST

/* Local -> UTC -> local gives back the same wall time whenever that wall
 * time exists, and the first instant showing it. */
START_TEST(local_round_trip_from_random_instants)
{
    uint64_t seed = 0xBEEFu + (uint64_t)_i;
    const tz_zone *z = zone(cross_zones[_i]);
    int n = under_valgrind() ? 300 : 20000;
    const bk_time lo = BK_TIME_MIN + 86400, hi = BK_TIME_MAX - 86400;
    for (int k = 0; k < n; k++) {
        bk_time t = rng_range(&seed, lo, hi);
        int64_t L = tz_utc_to_local(z, t);
        bk_time back = tz_local_to_utc(z, L);
        EXPECT(back <= t && tz_utc_to_local(z, back) == L, "%s: %lld -> local %lld -> %lld", tz_zone_id(z),
               (long long)t, (long long)L, (long long)back);
    }
}
END_TEST

static Suite *tz_suite(void)
{
    Suite *s = suite_create("tz");

    TCase *known = tcase_create("known");
    tcase_add_test(known, new_york_offsets_around_2026_transitions);
    tcase_add_test(known, new_york_spring_gap_moves_forward_by_the_gap);
    tcase_add_test(known, new_york_fall_overlap_takes_first_occurrence);
    tcase_add_test(known, chicago_gap_and_overlap_2026);
    tcase_add_test(known, london_bst_2026);
    tcase_add_test(known, berlin_last_sunday_of_march_2026);
    tcase_add_test(known, lord_howe_half_hour_dst);
    tcase_add_test(known, kathmandu_quarter_hour_offset);
    tcase_add_test(known, apia_skipped_day_uses_pre_transition_offset);
    tcase_add_test(known, standard_offset_changes_without_dst);
    tcase_add_test(known, offsets_outside_the_table_use_the_nearest_edge);
    tcase_add_test(known, utc_zones_have_offset_zero);
    suite_add_tcase(s, known);

    TCase *lookup = tcase_create("lookup");
    tcase_add_test(lookup, unknown_zone_name_is_einval_with_id_in_message);
    tcase_add_test(lookup, empty_zone_id_is_einval);
    tcase_add_test(lookup, null_zone_id_is_einval);
    tcase_add_test(lookup, custom_gmt_offset_id_is_einval);
    tcase_add_test(lookup, icu_unknown_placeholder_zone_is_einval);
    tcase_add_test(lookup, zone_ids_are_case_and_space_sensitive);
    tcase_add_test(lookup, overlong_zone_id_is_einval_and_cut_in_message);
    tcase_add_test(lookup, invalid_utf8_zone_id_is_einval_and_escaped);
    tcase_add_test(lookup, message_is_cut_to_msg_size);
    tcase_add_test(lookup, null_out_pointer_is_einval);
    tcase_add_test(lookup, alias_us_eastern_matches_new_york);
    tcase_add_test(lookup, same_id_returns_same_pointer);
    suite_add_tcase(s, lookup);

    TCase *threads = tcase_create("threads");
    tcase_add_test(threads, concurrent_first_use_builds_one_table);
    suite_add_tcase(s, threads);

    TCase *cross = tcase_create("cross-check");
    tcase_set_timeout(cross, 60);
    tcase_add_loop_test(cross, offsets_match_icu_at_random_instants, 0, (int)N_CROSS);
    tcase_add_loop_test(cross, local_to_utc_matches_reference_at_random_and_transition_times, 0, (int)N_CROSS);
    tcase_add_loop_test(cross, local_round_trip_from_random_instants, 0, (int)N_CROSS);
    suite_add_tcase(s, cross);
    return s;
}

int main(void)
{
    Suite *suites[] = {tz_suite()};
    return harness_run(suites, 1);
}
