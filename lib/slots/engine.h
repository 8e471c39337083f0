/* The slot engine: DESIGN.md section 3 as interval algebra with sorted
 * merges.  It knows nothing of storage: the API layer loads a provider's
 * schedule and hands it over as plain arrays.
 *
 * Cost: O(days x rules + blocked + busy + candidates), plus sorting the
 * inputs; never candidates x bookings. */
#ifndef BK_SLOTS_ENGINE_H
#define BK_SLOTS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"
#include "tz/tz.h"

typedef struct engine_weekly {
    int weekday;      /* 0 = Sunday .. 6 */
    int start_minute; /* 0 <= start < end <= 1440 */
    int end_minute;
    int is_available; /* 0: cut out of the weekday's working time */
} engine_weekly;

/* The working time of one civil date, replacing the weekly rows. */
typedef struct engine_override {
    int64_t day; /* civil_days_from_date() of the date */
    size_t n_intervals; /* 0 = day off */
    const bk_local_interval *intervals; /* any order, may overlap */
} engine_override;

/* A UTC range: a blocked period, or a live booking's occupied range
 * [start - buffer_before, end + buffer_after).  `source` is the caller's
 * index for it, returned by engine_explain. */
typedef struct engine_period {
    bk_time start;
    bk_time end;
    size_t source;
} engine_period;

typedef struct engine_input {
    const tz_zone *zone;
    const engine_weekly *weekly;
    size_t n_weekly;
    const engine_override *overrides; /* any order, at most one per day */
    size_t n_overrides;
    const engine_period *blocked; /* any order, may overlap */
    size_t n_blocked;
    const engine_period *busy; /* any order, may overlap */
    size_t n_busy;
    int duration_minutes; /* D > 0 */
    int buffer_before_minutes;
    int buffer_after_minutes;
    int step_minutes; /* I > 0 (the caller resolves "0 = duration") */
    int notice_minutes;
    int horizon_days; /* 0 = unlimited */
    bk_time from;     /* candidates start in [from, to) */
    bk_time to;
    bk_time now;
} engine_input;

/* What the caller must load for a query over [from, to): every civil date
 * in [*first_day, *last_day] (day numbers as civil_days_from_date) may
 * contribute working time; blocked periods overlapping [*data_from,
 * *data_to) and live bookings whose occupied ranges overlap it may remove
 * candidates.  Loading more is harmless. */
void engine_load_window(const tz_zone *zone, bk_time from, bk_time to, int duration_minutes,
                        int buffer_before_minutes, int buffer_after_minutes, int64_t *first_day,
                        int64_t *last_day, bk_time *data_from, bk_time *data_to);

/* The free slots, sorted by start, without duplicates.  *out is allocated
 * with bki_malloc (NULL when *n == 0); the caller frees it with bki_free.
 * BK_OK or BK_ENOMEM. */
int engine_slots(const engine_input *in, bk_slot **out, size_t *n);

typedef struct engine_verdict {
    bk_slot_reason reason;
    size_t source; /* for BK_SLOT_BLOCKED / BK_SLOT_CONFLICT: the period's source */
} engine_verdict;

/* Why `start` is or is not a slot of engine_slots(in).  Reasons are tested in
 * the order of bk_slot_reason; the first failing one is reported.  BK_OK or
 * BK_ENOMEM. */
int engine_explain(const engine_input *in, bk_time start, engine_verdict *out);

#endif
