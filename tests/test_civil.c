/* lib/util/civil: proleptic Gregorian arithmetic.  The reference here is a
 * naive day-by-day calendar walk, independent of the closed-form formulas
 * under test. */
#include <stdint.h>

#include "booking.h"
#include "harness.h"
#include "util/civil.h"

/* For loops over many values: Check records every passing ck_assert with a
 * write to its control pipe, which would dominate the run time here. */
#define EXPECT(cond, ...)                                                                                              \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ck_abort_msg(__VA_ARGS__);                                                                                 \
    } while (0)

static int naive_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int naive_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && naive_leap(y) ? 29 : days[m - 1];
}

START_TEST(epoch_and_range_edges_have_known_day_numbers)
{
    ck_assert_int_eq(civil_days_from_date(1970, 1, 1), 0);
    ck_assert_int_eq(civil_days_from_date(1969, 12, 31), -1);
    ck_assert_int_eq(civil_days_from_date(2000, 3, 1), 11017);
    ck_assert_int_eq(civil_days_from_date(1900, 1, 1) * 86400, BK_TIME_MIN);
    ck_assert_int_eq(civil_days_from_date(2200, 1, 1) * 86400, BK_TIME_MAX);
    ck_assert_int_eq(civil_days_from_date(2026, 3, 8), 20520);
}
END_TEST

START_TEST(every_day_1900_to_2199_round_trips)
{
    int y = 1900, m = 1, d = 1;
    int64_t expect = civil_days_from_date(1900, 1, 1);
    int64_t count = 0;
    while (y < 2200) {
        int64_t days = civil_days_from_date(y, m, d);
        EXPECT(days == expect, "%04d-%02d-%02d: %lld, expected %lld", y, m, d, (long long)days,
                      (long long)expect);
        int yy, mm, dd;
        civil_date_from_days(days, &yy, &mm, &dd);
        EXPECT(yy == y && mm == m && dd == d, "%lld -> %04d-%02d-%02d, expected %04d-%02d-%02d",
                      (long long)days, yy, mm, dd, y, m, d);
        bk_date bd = civil_bk_date_from_days(days);
        EXPECT(bd.year == y && bd.month == m && bd.day == d, "bk_date of %lld", (long long)days);
        EXPECT(civil_days_from_bk_date(&bd) == days, "days of bk_date %lld", (long long)days);
        EXPECT(civil_date_valid(y, m, d), "%04d-%02d-%02d not valid", y, m, d);

        expect++;
        count++;
        if (++d > naive_days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    /* 300 years: 73 leap years (2000 is one, 1900 and 2100 are not). */
    ck_assert_int_eq(count, 300 * 365 + 73);
    ck_assert_int_eq(expect, civil_days_from_date(2200, 1, 1));
}
END_TEST

START_TEST(day_numbers_round_trip_outside_the_library_range)
{
    /* The formulas hold for any date; the range only limits validity. */
    for (int64_t days = -800000; days <= 800000; days += 997) {
        int y, m, d;
        civil_date_from_days(days, &y, &m, &d);
        EXPECT(civil_days_from_date(y, m, d) == days, "%lld -> %d-%02d-%02d does not return", (long long)days, y, m, d);
    }
    ck_assert_int_eq(civil_days_from_date(1600, 3, 1) - civil_days_from_date(1600, 2, 28), 2);
    ck_assert_int_eq(civil_days_from_date(1, 1, 1), -719162);
}
END_TEST

START_TEST(weekdays_of_known_dates)
{
    ck_assert_int_eq(civil_weekday(civil_days_from_date(1970, 1, 1)), 4); /* Thursday */
    ck_assert_int_eq(civil_weekday(civil_days_from_date(1900, 1, 1)), 1); /* Monday */
    ck_assert_int_eq(civil_weekday(civil_days_from_date(2000, 1, 1)), 6); /* Saturday */
    ck_assert_int_eq(civil_weekday(civil_days_from_date(2026, 3, 8)), 0); /* Sunday */
    ck_assert_int_eq(civil_weekday(civil_days_from_date(2026, 3, 29)), 0);
    ck_assert_int_eq(civil_weekday(civil_days_from_date(1969, 12, 31)), 3);
    ck_assert_int_eq(civil_weekday(civil_days_from_date(2199, 12, 31)), 2); /* Tuesday */
}
END_TEST

START_TEST(weekdays_cycle_by_one_every_day)
{
    int64_t first = civil_days_from_date(1900, 1, 1), last = civil_days_from_date(2200, 1, 1);
    int w = civil_weekday(first);
    for (int64_t days = first; days < last; days++) {
        EXPECT(civil_weekday(days) == w, "weekday of %lld: %d, expected %d", (long long)days, civil_weekday(days), w);
        w = (w + 1) % 7;
    }
    for (int64_t days = -30; days < 30; days++) {
        int wd = civil_weekday(days);
        EXPECT(wd >= 0 && wd <= 6, "weekday of %lld: %d", (long long)days, wd);
    }
}
END_TEST

START_TEST(leap_years_follow_the_gregorian_rule)
{
    ck_assert_int_eq(civil_days_in_month(1900, 2), 28);
    ck_assert_int_eq(civil_days_in_month(2000, 2), 29);
    ck_assert_int_eq(civil_days_in_month(2100, 2), 28);
    ck_assert_int_eq(civil_days_in_month(2024, 2), 29);
    ck_assert_int_eq(civil_days_in_month(2026, 2), 28);
    ck_assert(!civil_date_valid(1900, 2, 29));
    ck_assert(civil_date_valid(2000, 2, 29));
    ck_assert(!civil_date_valid(2100, 2, 29));
    ck_assert(civil_date_valid(2196, 2, 29));
    for (int y = 1900; y < 2200; y++) {
        EXPECT(civil_days_from_date(y + 1, 1, 1) - civil_days_from_date(y, 1, 1) == (naive_leap(y) ? 366 : 365),
               "length of %d", y);
        for (int m = 1; m <= 12; m++)
            EXPECT(civil_days_in_month(y, m) == naive_days_in_month(y, m), "length of %d-%02d", y, m);
    }
    ck_assert_int_eq(civil_days_in_month(2026, 0), 0);
    ck_assert_int_eq(civil_days_in_month(2026, 13), 0);
}
END_TEST

START_TEST(date_valid_rejects_out_of_range_and_malformed)
{
    ck_assert(civil_date_valid(1900, 1, 1));
    ck_assert(civil_date_valid(2199, 12, 31));
    ck_assert(!civil_date_valid(1899, 12, 31));
    ck_assert(!civil_date_valid(2200, 1, 1));
    ck_assert(!civil_date_valid(2026, 0, 1));
    ck_assert(!civil_date_valid(2026, 13, 1));
    ck_assert(!civil_date_valid(2026, 1, 0));
    ck_assert(!civil_date_valid(2026, 1, 32));
    ck_assert(!civil_date_valid(2026, 4, 31));
    ck_assert(civil_date_valid(2026, 4, 30));
    ck_assert(!civil_date_valid(2026, -1, 1));
    ck_assert(!civil_date_valid(2026, 1, -1));
}
END_TEST

START_TEST(floor_div_and_mod_round_toward_negative_infinity)
{
    ck_assert_int_eq(civil_floor_div(7, 2), 3);
    ck_assert_int_eq(civil_floor_mod(7, 2), 1);
    ck_assert_int_eq(civil_floor_div(-7, 2), -4);
    ck_assert_int_eq(civil_floor_mod(-7, 2), 1);
    ck_assert_int_eq(civil_floor_div(-1, 86400), -1);
    ck_assert_int_eq(civil_floor_mod(-1, 86400), 86399);
    ck_assert_int_eq(civil_floor_div(-86400, 86400), -1);
    ck_assert_int_eq(civil_floor_mod(-86400, 86400), 0);
    ck_assert_int_eq(civil_floor_div(-86401, 86400), -2);
    ck_assert_int_eq(civil_floor_mod(-86401, 86400), 86399);
    ck_assert_int_eq(civil_floor_div(0, 7), 0);
    ck_assert_int_eq(civil_floor_mod(0, 7), 0);
    ck_assert_int_eq(civil_floor_div(BK_TIME_MIN, 86400), -25567);
    ck_assert_int_eq(civil_floor_div(BK_TIME_MIN - 1, 86400), -25568);
    ck_assert_int_eq(civil_floor_div(INT64_MIN, 1), INT64_MIN);
    ck_assert_int_eq(civil_floor_div(INT64_MAX, 86400), INT64_MAX / 86400);
    for (int64_t a = -1000; a <= 1000; a++) {
        for (int64_t b = 1; b <= 13; b++) {
            int64_t q = civil_floor_div(a, b), r = civil_floor_mod(a, b);
            EXPECT(r >= 0 && r < b && q * b + r == a, "floor %lld / %lld = %lld rem %lld", (long long)a, (long long)b,
                   (long long)q, (long long)r);
        }
    }
}
END_TEST

static Suite *civil_suite(void)
{
    Suite *s = suite_create("civil");
    TCase *tc = tcase_create("civil");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, epoch_and_range_edges_have_known_day_numbers);
    tcase_add_test(tc, every_day_1900_to_2199_round_trips);
    tcase_add_test(tc, day_numbers_round_trip_outside_the_library_range);
    tcase_add_test(tc, weekdays_of_known_dates);
    tcase_add_test(tc, weekdays_cycle_by_one_every_day);
    tcase_add_test(tc, leap_years_follow_the_gregorian_rule);
    tcase_add_test(tc, date_valid_rejects_out_of_range_and_malformed);
    tcase_add_test(tc, floor_div_and_mod_round_toward_negative_infinity);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    Suite *suites[] = {civil_suite()};
    return harness_run(suites, 1);
}
