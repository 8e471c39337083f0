/* Regression tests for what the fuzz targets of tests/fuzz/ found (issue 7),
 * through the public API, so that every run of the suite -- plain, ASan,
 * valgrind -- keeps them fixed, not only the fuzz phase:
 *
 *  - locales: ICU opens a locale id as the name of a data bundle, and the
 *    names of its non-locale bundles ("supplementalData", ...) or ids it
 *    cannot parse ("WhI=======C") crashed bk_time_format, bk_slot_format
 *    and bk_booking_format inside ICU 72 (tests/fuzz/fuzz_time).  A locale
 *    must now read as a BCP 47 tag with a 2-3 letter language, and ICU gets
 *    its canonical form;
 *  - messages: the email check quoted the caller's text raw, so that a
 *    control character reached the message (tests/fuzz/fuzz_fields);
 *  - scenario files: the loader accepted a query window bk_slots refuses
 *    (over 366 days), so bkctl loaded a file and then failed on it
 *    (tests/fuzz/fuzz_scenario). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <booking.h>

#include "harness.h"
#include "scenario.h"

#define T_2026_03_30 1774873800 /* 2026-03-30T12:30:00Z */

/* ICU data bundles that are not locales, and ids ICU cannot parse: each
 * crashed at least one formatting call before the fix. */
static const char *const not_locales[] = {
    "supplementalData", "likelySubtags", "numberingSystems", "pluralRanges", "timezoneTypes",
    "windowsZones",     "currencyNumericCodes", "grammaticalFeatures", "WhI=======C", "/zoneinfo/rg",
    "plurals",          "metaZones",        "zoneinfo64",       "de;x",             "de@=",
};

/* Locale ids people use, in ICU's and in BCP 47's spelling.  (Not the
 * Japanese calendar: the number formats ICU then caches for good show as
 * "possibly lost" under valgrind.) */
static const char *const locales[] = {
    "en_US", "de_DE", "de", "de_DE@collation=phonebook", "sr-Latn-RS", "zh_Hant_TW", "en_US.UTF-8",
    "en_US_POSIX", "und", "root", "i-klingon", "fr-CA",
};

static void expect_locale_refused(int rc, const char *call, const char *locale)
{
    ck_assert_msg(rc == BK_EINVAL, "%s with locale '%s' -> %d, not BK_EINVAL", call, locale, rc);
}

START_TEST(time_format_refuses_icu_bundle_names_as_locales)
{
    char buf[256];
    for (size_t i = 0; i < sizeof not_locales / sizeof *not_locales; i++) {
        int rc = bk_time_format(T_2026_03_30, "UTC", not_locales[i], NULL, buf, sizeof buf);
        expect_locale_refused(rc, "bk_time_format", not_locales[i]);
        ck_assert_msg(strncmp(bk_errmsg(NULL), "locale: ", 8) == 0, "message '%s'", bk_errmsg(NULL));
        ck_assert_str_eq(buf, "");
    }
}
END_TEST

START_TEST(slot_format_refuses_icu_bundle_names_as_locales)
{
    char buf[256];
    bk_slot slot = {T_2026_03_30, T_2026_03_30 + 1800};
    for (size_t i = 0; i < sizeof not_locales / sizeof *not_locales; i++) {
        int rc = bk_slot_format(&slot, "Europe/Berlin", not_locales[i], 0, buf, sizeof buf);
        expect_locale_refused(rc, "bk_slot_format", not_locales[i]);
        ck_assert_msg(strncmp(bk_errmsg(NULL), "locale: ", 8) == 0, "message '%s'", bk_errmsg(NULL));
    }
}
END_TEST

START_TEST(booking_format_refuses_icu_bundle_names_as_locales)
{
    bk_db *db = NULL;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "loc";
    p.email = "loc@example.org";
    p.full_name = "Locale Tester";
    p.timezone = "Europe/Berlin";
    bk_id pid, sid;
    ck_assert_int_eq(bk_provider_create(db, &p, &pid), BK_OK);
    bk_service s = BK_SERVICE_INIT;
    s.provider = pid;
    s.name = "Visit";
    s.duration_minutes = 30;
    ck_assert_int_eq(bk_service_create(db, &s, &sid), BK_OK);
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.provider = pid;
    b.service = sid;
    b.start = T_2026_03_30;
    b.end = T_2026_03_30 + 1800;
    b.status = BK_BOOKING_CONFIRMED;
    b.customer_name = "C";
    b.customer_email = "c@example.org";
    b.created_at = b.updated_at = b.confirmed_at = b.cancelled_at = b.archived_at = BK_TIME_UNSET;
    bk_id bid;
    ck_assert_msg(bk_booking_import(db, &b, &bid) == BK_OK, "%s", bk_errmsg(db));
    char buf[256];
    for (size_t i = 0; i < sizeof not_locales / sizeof *not_locales; i++) {
        int rc = bk_booking_format(db, &bid, NULL, not_locales[i], 0, buf, sizeof buf);
        expect_locale_refused(rc, "bk_booking_format", not_locales[i]);
        ck_assert_msg(strncmp(bk_errmsg(db), "locale: ", 8) == 0, "message '%s'", bk_errmsg(db));
    }
    ck_assert_msg(bk_booking_format(db, &bid, NULL, "de_DE", 0, buf, sizeof buf) == BK_OK, "%s", bk_errmsg(db));
    ck_assert_msg(strstr(buf, "2026") != NULL, "'%s'", buf);
    bk_close(db);
}
END_TEST

START_TEST(common_locales_in_both_spellings_still_format)
{
    char buf[256];
    bk_slot slot = {T_2026_03_30, T_2026_03_30 + 1800};
    for (size_t i = 0; i < sizeof locales / sizeof *locales; i++) {
        ck_assert_msg(bk_time_format(T_2026_03_30, "UTC", locales[i], NULL, buf, sizeof buf) == BK_OK,
                      "bk_time_format '%s': %s", locales[i], bk_errmsg(NULL));
        ck_assert_msg(buf[0] != '\0', "'%s': empty", locales[i]);
        ck_assert_msg(bk_slot_format(&slot, "UTC", locales[i], 0, buf, sizeof buf) == BK_OK,
                      "bk_slot_format '%s': %s", locales[i], bk_errmsg(NULL));
    }
}
END_TEST

START_TEST(bcp47_and_icu_spellings_format_alike)
{
    /* ICU gets the canonical id either way: "de-DE" reads as "de_DE", "und"
     * as the root locale (not the process's default locale). */
    static const char *const pairs[][2] = {{"de-DE", "de_DE"}, {"und", "root"}, {"zh-Hant-TW", "zh_Hant_TW"},
                                           {"de-DE-u-co-phonebk", "de_DE@collation=phonebook"}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char a[256], b[256];
        ck_assert_int_eq(bk_time_format(T_2026_03_30, "Asia/Tokyo", pairs[i][0], NULL, a, sizeof a), BK_OK);
        ck_assert_int_eq(bk_time_format(T_2026_03_30, "Asia/Tokyo", pairs[i][1], NULL, b, sizeof b), BK_OK);
        ck_assert_msg(strcmp(a, b) == 0, "'%s' gives '%s', '%s' gives '%s'", pairs[i][0], a, pairs[i][1], b);
    }
}
END_TEST

START_TEST(email_message_quotes_control_characters)
{
    bk_db *db = NULL;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    static const char *const emails[] = {"\x04", "no-at\nsign", "a\x1b[31mred", "\x7f@"};
    for (size_t i = 0; i < sizeof emails / sizeof *emails; i++) {
        bk_provider p = BK_PROVIDER_INIT;
        p.username = "u";
        p.email = emails[i];
        p.full_name = "U";
        p.timezone = "UTC";
        ck_assert_int_eq(bk_provider_create(db, &p, NULL), BK_EINVAL);
        const char *msg = bk_errmsg(db);
        ck_assert_msg(strncmp(msg, "email: ", 7) == 0, "message '%s'", msg);
        for (const char *c = msg; *c; c++)
            ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f, "control character 0x%02x in '%s'",
                          (unsigned char)*c, msg);
    }
    bk_close(db);
}
END_TEST

/* Loads a scenario whose query spans `to`; returns the status, message in
 * err. */
static int load_window(const char *to, char *err, size_t err_size)
{
    char path[] = "/tmp/bk-hardening-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fh = fdopen(fd, "w");
    ck_assert_ptr_nonnull(fh);
    fprintf(fh,
            "{\"provider\": {\"timezone\": \"UTC\"},"
            " \"weekly\": [{\"weekday\": 1, \"start\": \"09:00\", \"end\": \"17:00\", \"available\": true}],"
            " \"service\": {\"duration\": 60},"
            " \"query\": {\"from\": \"2026-01-12T00:00:00Z\", \"to\": \"%s\", \"now\": \"2026-01-01T00:00:00Z\"}}",
            to);
    fclose(fh);
    bk_db *db = NULL;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    scenario sc;
    memset(&sc, 0, sizeof sc);
    int rc = scenario_load(path, db, &sc, err, err_size);
    if (rc == BK_OK) {
        bk_slot *slots = NULL;
        size_t n = 0;
        ck_assert_msg(bk_slots(db, &sc.query, &slots, &n) == BK_OK, "a loaded query fails: %s", bk_errmsg(db));
        bk_slots_free(slots);
        scenario_free(&sc);
    }
    bk_close(db);
    unlink(path);
    return rc;
}

START_TEST(scenario_loader_refuses_a_window_bk_slots_refuses)
{
    char err[512];
    ck_assert_int_eq(load_window("2027-01-14T00:00:00Z", err, sizeof err), BK_EINVAL);
    ck_assert_msg(strstr(err, "query.to") && strstr(err, "366 days"), "message '%s'", err);
    /* 366 days exactly is the longest window bk_slots takes. */
    ck_assert_msg(load_window("2027-01-13T00:00:00Z", err, sizeof err) == BK_OK, "%s", err);
}
END_TEST

static Suite *hardening_suite(void)
{
    Suite *s = suite_create("hardening");
    TCase *loc = tcase_create("locales");
    tcase_add_test(loc, time_format_refuses_icu_bundle_names_as_locales);
    tcase_add_test(loc, slot_format_refuses_icu_bundle_names_as_locales);
    tcase_add_test(loc, booking_format_refuses_icu_bundle_names_as_locales);
    tcase_add_test(loc, common_locales_in_both_spellings_still_format);
    tcase_add_test(loc, bcp47_and_icu_spellings_format_alike);
    suite_add_tcase(s, loc);
    TCase *msg = tcase_create("messages");
    tcase_add_test(msg, email_message_quotes_control_characters);
    suite_add_tcase(s, msg);
    TCase *sc = tcase_create("scenarios");
    tcase_add_test(sc, scenario_loader_refuses_a_window_bk_slots_refuses);
    suite_add_tcase(s, sc);
    return s;
}

int main(void)
{
    Suite *suites[] = {hardening_suite()};
    return harness_run(suites, 1);
}
