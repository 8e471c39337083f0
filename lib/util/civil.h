/* Proleptic Gregorian calendar arithmetic on plain integers: no time zones
 * here (see lib/tz for those).  "Local seconds" are wall-clock seconds
 * counted as if the zone were UTC: days_from_civil(date) * 86400 + seconds
 * after local midnight. */
#ifndef BK_UTIL_CIVIL_H
#define BK_UTIL_CIVIL_H

#include <stdint.h>

#include "booking.h"

/* Days since 1970-01-01 of a civil date (any valid date). */
int64_t civil_days_from_date(int year, int month, int day);
/* The civil date of a day count. */
void civil_date_from_days(int64_t days, int *year, int *month, int *day);
/* 0 = Sunday .. 6 = Saturday. */
int civil_weekday(int64_t days);
/* 1 if year/month/day is a real date within the library's range
 * (1900-01-01 .. 2199-12-31), else 0. */
int civil_date_valid(int year, int month, int day);
int civil_days_in_month(int year, int month);

/* floor(a / b) and the matching non-negative remainder, for b > 0. */
int64_t civil_floor_div(int64_t a, int64_t b);
int64_t civil_floor_mod(int64_t a, int64_t b);

static inline int64_t civil_days_from_bk_date(const bk_date *d)
{
    return civil_days_from_date(d->year, d->month, d->day);
}

static inline bk_date civil_bk_date_from_days(int64_t days)
{
    bk_date d;
    civil_date_from_days(days, &d.year, &d.month, &d.day);
    return d;
}

#endif
