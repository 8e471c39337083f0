/* Recurring blocked periods: RFC 5545 RRULE parsing and lazy expansion
 * (DESIGN.md section 3 item 4).  A pure module: no storage, no public API;
 * the API layer validates a rule with rrule_parse + rrule_check_start when
 * a blocked period is stored, and expands it with rrule_expand over each
 * query's window.
 *
 * Supported rule parts: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL,
 * COUNT, UNTIL, BYDAY (ordinals such as -1FR with MONTHLY and YEARLY only,
 * as RFC 5545 says), BYMONTHDAY (negative too), BYMONTH, BYSETPOS, WKST.
 * Refused with BK_EINVAL and a message naming the part: SECONDLY, MINUTELY
 * and HOURLY frequencies, BYSECOND, BYMINUTE, BYHOUR (an occurrence always
 * keeps the period's local time of day), BYYEARDAY, BYWEEKNO, unknown or
 * repeated parts, and every malformed value.  Names and values are
 * case-insensitive (RFC 5545 section 2).
 *
 * Semantics (RFC 5545 section 3.3.10, plus DESIGN.md):
 *  - DTSTART is the first occurrence's local start in the provider's zone;
 *    the rule is expanded on wall-clock civil days in that zone, every
 *    occurrence at DTSTART's local time of day.  Each later occurrence's
 *    local start goes to UTC by tz_local_to_utc (a start in a spring-forward
 *    gap moves forward by the gap; one in a fall-back overlap is the first
 *    of the two).  Every occurrence lasts the first one's elapsed length.
 *  - The first occurrence is the period itself at its exact UTC start (even
 *    when that is the second of two equal local times) and COUNT counts it.
 *  - When BYDAY, BYMONTHDAY and BYMONTH are missing they default from
 *    DTSTART as in RFC 5545: the weekday for WEEKLY, the day of the month for
 *    MONTHLY, month and day for YEARLY (YEARLY with BYMONTH alone keeps
 *    DTSTART's day of the month).
 *  - BYxxx parts expand or limit per the table in RFC 5545 section 3.3.10:
 *    each period (day, week starting on WKST, month, year) contributes the
 *    days that pass every given part; BYDAY entries are a union (MO,-1FR =
 *    every Monday and the last Friday); an ordinal counts within the month
 *    for MONTHLY, and for YEARLY within the month when BYMONTH is given,
 *    else within the year; dates that do not exist (BYMONTHDAY=31 in April)
 *    are skipped, never clamped.  BYSETPOS then picks positions from each
 *    period's days.
 *  - Nothing before DTSTART is ever an occurrence (nor counted).
 *  - UNTIL (only the UTC form YYYYMMDDTHHMMSSZ) is inclusive and compared
 *    with each occurrence's UTC start; COUNT with UNTIL is refused.
 *  - EXDATE instants remove the occurrence whose UTC start equals them
 *    (the first one included); removed occurrences still count for COUNT,
 *    as RFC 5545 builds the recurrence set before excluding.
 *  - In a zone whose offset jumps by a whole day (Pacific/Apia 2011), two
 *    local days can map to one UTC instant; it is one occurrence.
 *
 * Lazy expansion: without COUNT, rrule_expand jumps arithmetically to the
 * period containing the window's start (days, weeks, months or years since
 * DTSTART divided by INTERVAL), so the cost is proportional to the window,
 * not to the rule's age.  With COUNT, occurrences must be counted from
 * DTSTART, so COUNT is capped at RRULE_COUNT_MAX; occurrences before the
 * window are only counted, not converted to UTC (the worst case, a daily
 * COUNT=100000 rule from 1900 queried in 2199, costs a few milliseconds). */
#ifndef BK_CALENDAR_RRULE_H
#define BK_CALENDAR_RRULE_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"
#include "tz/tz.h"

/* Bounds that keep every expansion's cost and arithmetic bounded: COUNT
 * must be counted from the first occurrence on every query; an INTERVAL of
 * 100000 days is already longer than the library's 300-year range. */
#define RRULE_COUNT_MAX 100000
#define RRULE_INTERVAL_MAX 100000

typedef struct rrule rrule; /* parsed and validated; immutable, so shareable across threads */

/* Parses a rule.  `text` is either
 *   - an RRULE value, optionally prefixed "RRULE:"
 *     ("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260601T000000Z"), or
 *   - iCalendar content lines separated by "\n" or "\r\n": one
 *     "RRULE:<value>" line and any number of "EXDATE:<t>[,<t>...]" lines,
 *     each <t> a UTC date-time YYYYMMDDTHHMMSSZ (so that a stored rule
 *     string can carry its exceptions without another field).
 * `exdates` (may be NULL when n_exdates is 0) adds further EXDATE instants,
 * UTC, in any order.
 * Returns BK_OK and *out (free with rrule_free); BK_EINVAL with a message
 * naming the part ("rrule: BYDAY: 'XX' is not a weekday", "rrule: COUNT and
 * UNTIL together", "rrule: FREQ=SECONDLY is not supported", ...) written to
 * msg (msg_size bytes at most; msg may be NULL); BK_ENOMEM.  *out is NULL on
 * error. */
int rrule_parse(const char *text, const bk_time *exdates, size_t n_exdates, rrule **out, char *msg, size_t msg_size);

void rrule_free(rrule *r);

/* Checks the rule against the period it is attached to: the period's local
 * start (first_start in zone) must be an occurrence of the rule
 * ("rrule: the period's start (local ...) does not match the rule"), and
 * UNTIL must not be before first_start ("rrule: UNTIL ... is before the
 * period's start": such a rule would contradict its own first occurrence).
 * first_start must lie in [BK_TIME_MIN, BK_TIME_MAX).  BK_OK or BK_EINVAL
 * (message in msg as for rrule_parse). */
int rrule_check_start(const rrule *r, const tz_zone *zone, bk_time first_start, char *msg, size_t msg_size);

/* Calls emit(ctx, start, end) for every occurrence whose [start, end)
 * overlaps [from, to), in strictly increasing start order.  The first
 * occurrence [first_start, first_end) is among them (unless an EXDATE
 * removes it): the caller does not add the period separately.  Every
 * occurrence lasts first_end - first_start.  The rule must have passed
 * rrule_check_start for this zone and first_start.  Occurrences starting at or after BK_TIME_MAX
 * are outside the library's range and never emitted.  Allocates nothing.
 * Returns BK_OK; the emit callback's value when it is non-zero (expansion
 * stops there); BK_EINVAL for NULL arguments or first_start/first_end
 * outside [BK_TIME_MIN, BK_TIME_MAX] or not first_start < first_end. */
int rrule_expand(const rrule *r, const tz_zone *zone, bk_time first_start, bk_time first_end, bk_time from, bk_time to,
                 int (*emit)(void *ctx, bk_time start, bk_time end), void *ctx);

/* The work one expansion did, for tests that prove it lazy. */
typedef struct rrule_stats {
    uint64_t periods;   /* days, weeks, months or years looked at */
    uint64_t instances; /* occurrences generated (in or out of the window) */
} rrule_stats;

/* rrule_expand, also reporting its work in *stats (may be NULL). */
int rrule_expand_stats(const rrule *r, const tz_zone *zone, bk_time first_start, bk_time first_end, bk_time from,
                       bk_time to, int (*emit)(void *ctx, bk_time start, bk_time end), void *ctx, rrule_stats *stats);

#endif
