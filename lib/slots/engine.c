/* The slot engine (DESIGN.md section 3).
 *
 * One query runs in three linear phases over a handful of arrays:
 *
 *  1. working time: each weekday's local minutes are computed once (union
 *     of the available rows minus the union of the cut-out rows), then every
 *     civil date of the load window contributes its weekday's set or its
 *     override, converted endpoint by endpoint to UTC.  Those per-date spans
 *     anchor the grids; a sorted, merged copy of them is W.
 *  2. candidates: every grid start in [max(from, now + N), min(to, horizon))
 *     in one array, sorted and deduplicated only when the grids interleave
 *     (around DST gaps, or a date the zone skipped).
 *  3. filters: single forward passes over the sorted candidates with one
 *     cursor each into W, the merged blocked periods and the merged busy
 *     ranges.  Merging is sound because a candidate overlaps a union of
 *     intervals iff it overlaps one of them.
 *
 * engine_explain rebuilds phase 1 for the few dates around one start and
 * tests the conditions of phase 3 directly, in bk_slot_reason order; it uses
 * the same helpers so that the two cannot drift apart. */
#include "slots/engine.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/civil.h"

#define DAY_SECONDS 86400
#define MINUTES_PER_DAY 1440

/* A non-empty UTC range [start, end). */
typedef struct span {
    bk_time start;
    bk_time end;
} span;

/* ------------------------------------------------------------------ */
/* Sorting: inputs usually arrive sorted, so check before paying for it */
/* ------------------------------------------------------------------ */

static int local_cmp(const void *pa, const void *pb)
{
    const bk_local_interval *a = pa, *b = pb;
    if (a->start_minute != b->start_minute)
        return a->start_minute < b->start_minute ? -1 : 1;
    return (a->end_minute > b->end_minute) - (a->end_minute < b->end_minute);
}

static int span_cmp(const void *pa, const void *pb)
{
    const span *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return (a->end > b->end) - (a->end < b->end);
}

static int slot_cmp(const void *pa, const void *pb)
{
    const bk_slot *a = pa, *b = pb;
    return (a->start > b->start) - (a->start < b->start);
}

static int override_ptr_cmp(const void *pa, const void *pb)
{
    const engine_override *a = *(const engine_override *const *)pa;
    const engine_override *b = *(const engine_override *const *)pb;
    return (a->day > b->day) - (a->day < b->day);
}

static void local_sort(bk_local_interval *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (v[i].start_minute < v[i - 1].start_minute) {
            qsort(v, n, sizeof *v, local_cmp);
            return;
        }
    }
}

/* Bookings usually come listed by start, and their occupied ranges are
 * then sorted but for a few buffers: an insertion sort fixes that in a few
 * moves.  Past a linear budget of moves the input is really unsorted and
 * goes to qsort (the hole being filled first, v stays a permutation). */
static void span_sort(span *v, size_t n)
{
    size_t budget = 4 * n + 16;
    for (size_t i = 1; i < n; i++) {
        span x = v[i];
        size_t j = i;
        while (j > 0 && x.start < v[j - 1].start) {
            if (budget-- == 0) {
                v[j] = x;
                qsort(v, n, sizeof *v, span_cmp);
                return;
            }
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* ------------------------------------------------------------------ */
/* Interval algebra                                                    */
/* ------------------------------------------------------------------ */

/* Sorts and merges in place into disjoint, non-touching intervals: a union
 * is a set, so rows 10:00-12:00 and 12:00-14:00 are one interval 10:00-14:00
 * and anchor one grid. */
static size_t local_union(bk_local_interval *v, size_t n)
{
    local_sort(v, n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && v[i].start_minute <= v[m - 1].end_minute) {
            if (v[i].end_minute > v[m - 1].end_minute)
                v[m - 1].end_minute = v[i].end_minute;
        } else {
            v[m++] = v[i];
        }
    }
    return m;
}

/* a minus cut, both canonical (local_union).  Writes at most na + nc
 * intervals: every piece ends at an a-end or at a cut-start, and each
 * cut-start lies inside at most one a. */
static size_t local_subtract(const bk_local_interval *a, size_t na, const bk_local_interval *cut, size_t nc,
                             bk_local_interval *out)
{
    size_t n = 0, j = 0;
    for (size_t i = 0; i < na; i++) {
        int s = a[i].start_minute;
        int e = a[i].end_minute;
        while (j < nc && cut[j].end_minute <= s)
            j++;
        for (size_t k = j; s < e; k++) {
            if (k >= nc || cut[k].start_minute >= e) {
                out[n++] = (bk_local_interval){s, e};
                break;
            }
            if (cut[k].start_minute > s)
                out[n++] = (bk_local_interval){s, cut[k].start_minute};
            if (cut[k].end_minute > s)
                s = cut[k].end_minute;
        }
    }
    return n;
}

static int local_valid(int start, int end) { return 0 <= start && start < end && end <= MINUTES_PER_DAY; }

/* Sorts and merges overlapping or touching spans in place (W, or the
 * blocked/busy sets whose union is all that matters to the filters). */
static size_t span_union(span *v, size_t n)
{
    span_sort(v, n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && v[i].start <= v[m - 1].end) {
            if (v[i].end > v[m - 1].end)
                v[m - 1].end = v[i].end;
        } else {
            v[m++] = v[i];
        }
    }
    return m;
}

/* Copies the non-empty periods: an inverted period would "overlap" by the
 * formula of section 2 although it covers no time. */
static size_t copy_periods(const engine_period *p, size_t n, span *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i].start < p[i].end)
            out[m++] = (span){p[i].start, p[i].end};
    return m;
}

/* ------------------------------------------------------------------ */
/* Phase 1: working time                                               */
/* ------------------------------------------------------------------ */

typedef struct worktime {
    span *dates;  /* each date's UTC intervals, date by date: the grid anchors */
    size_t n_dates;
    span *w;      /* the maximal intervals of W, sorted */
    size_t n_w;
    span *extra;  /* room the caller asked for, after w */
    span *mem;
} worktime;

static void worktime_free(worktime *wt)
{
    bki_free(wt->mem);
    memset(wt, 0, sizeof *wt);
}

/* The seven weekday sets into `week` (at most n_weekly intervals in all, see
 * local_subtract), using `avail` and `cuts` (n_weekly each) as scratch.
 * Returns the largest set's size. */
static size_t weekday_sets(const engine_input *in, bk_local_interval *week, bk_local_interval *avail,
                           bk_local_interval *cuts, size_t wd_off[7], size_t wd_n[7])
{
    size_t max_wd = 0, used = 0;
    for (int wd = 0; wd < 7; wd++) {
        size_t na = 0, nc = 0;
        for (size_t i = 0; i < in->n_weekly; i++) {
            const engine_weekly *r = &in->weekly[i];
            if (r->weekday != wd || !local_valid(r->start_minute, r->end_minute))
                continue;
            bk_local_interval iv = {r->start_minute, r->end_minute};
            if (r->is_available)
                avail[na++] = iv;
            else
                cuts[nc++] = iv;
        }
        na = local_union(avail, na);
        nc = local_union(cuts, nc);
        wd_off[wd] = used;
        wd_n[wd] = local_subtract(avail, na, cuts, nc, week + used);
        used += wd_n[wd];
        if (wd_n[wd] > max_wd)
            max_wd = wd_n[wd];
    }
    return max_wd;
}

/* The overrides in day order, so that they are walked alongside the dates:
 * *out is NULL when the input is in order already.  BK_OK or BK_ENOMEM. */
static int sort_overrides(const engine_input *in, const engine_override ***out)
{
    *out = NULL;
    size_t i = 1;
    while (i < in->n_overrides && in->overrides[i].day >= in->overrides[i - 1].day)
        i++;
    if (i >= in->n_overrides)
        return BK_OK;
    /* An array of pointers: the element is the pointer. */
    const engine_override **v = bki_malloc(in->n_overrides * sizeof *v); /* NOLINT(bugprone-sizeof-expression) */
    if (!v)
        return BK_ENOMEM;
    for (i = 0; i < in->n_overrides; i++)
        v[i] = &in->overrides[i];
    qsort(v, in->n_overrides, sizeof *v, override_ptr_cmp); /* NOLINT(bugprone-sizeof-expression) */
    *out = v;
    return BK_OK;
}

/* worktime_build once its scratch exists: `lmem` holds 2 * n_weekly +
 * tmp_cap local intervals. */
static int worktime_fill(const engine_input *in, int64_t first_day, int64_t last_day, size_t extra,
                         bk_local_interval *lmem, size_t tmp_cap, const engine_override *const *ovs,
                         size_t ov_in_range, worktime *wt)
{
    bk_local_interval *week = lmem;
    bk_local_interval *tmp = lmem + in->n_weekly;
    size_t wd_off[7], wd_n[7];
    size_t max_wd = weekday_sets(in, week, tmp, tmp + tmp_cap, wd_off, wd_n);

    size_t n_days = first_day <= last_day ? (size_t)(last_day - first_day + 1) : 0;
    const size_t limit = SIZE_MAX / sizeof(span) / 4;
    if ((max_wd && n_days > limit / max_wd) || ov_in_range > limit || extra > limit)
        return BK_ENOMEM;
    size_t cap = n_days * max_wd + ov_in_range;
    if (cap > limit)
        return BK_ENOMEM;
    wt->mem = bki_malloc((2 * cap + extra) * sizeof(span));
    if (!wt->mem)
        return BK_ENOMEM;
    wt->dates = wt->mem;
    wt->w = wt->mem + cap;
    wt->extra = wt->w + cap;

    size_t oi = 0, n = 0;
    for (int64_t day = first_day; day <= last_day; day++) {
        const engine_override *ov = NULL;
        while (oi < in->n_overrides) {
            const engine_override *o = ovs ? ovs[oi] : &in->overrides[oi];
            if (o->day > day)
                break;
            oi++;
            if (o->day == day && !ov)
                ov = o;
        }
        const bk_local_interval *set;
        size_t n_set;
        if (ov) {
            n_set = 0;
            for (size_t i = 0; i < ov->n_intervals; i++)
                if (local_valid(ov->intervals[i].start_minute, ov->intervals[i].end_minute))
                    tmp[n_set++] = ov->intervals[i];
            n_set = local_union(tmp, n_set);
            set = tmp;
        } else {
            int wd = civil_weekday(day);
            set = week + wd_off[wd];
            n_set = wd_n[wd];
        }
        int64_t midnight = day * DAY_SECONDS;
        for (size_t i = 0; i < n_set; i++) {
            bk_time a = tz_local_to_utc(in->zone, midnight + (int64_t)set[i].start_minute * 60);
            bk_time b = tz_local_to_utc(in->zone, midnight + (int64_t)set[i].end_minute * 60);
            /* An end not after its start: the interval lies inside a gap. */
            if (b > a)
                wt->dates[n++] = (span){a, b};
        }
    }
    wt->n_dates = n;
    memcpy(wt->w, wt->dates, n * sizeof(span));
    wt->n_w = span_union(wt->w, n);
    return BK_OK;
}

/* Builds the dates [first_day, last_day] of `in` and W, with `extra` spans
 * of scratch behind them.  BK_OK or BK_ENOMEM (then wt holds nothing). */
static int worktime_build(const engine_input *in, int64_t first_day, int64_t last_day, size_t extra,
                          worktime *wt)
{
    memset(wt, 0, sizeof *wt);
    /* Local scratch: the weekday sets, the available rows of one weekday or
     * the intervals of one override, and the cut rows of one weekday. */
    size_t max_ov = 0, ov_in_range = 0;
    for (size_t i = 0; i < in->n_overrides; i++) {
        const engine_override *o = &in->overrides[i];
        if (o->day < first_day || o->day > last_day)
            continue;
        if (o->n_intervals > max_ov)
            max_ov = o->n_intervals;
        ov_in_range += o->n_intervals;
    }
    size_t tmp_cap = in->n_weekly > max_ov ? in->n_weekly : max_ov;
    if (tmp_cap > SIZE_MAX / sizeof(bk_local_interval) / 3)
        return BK_ENOMEM;
    bk_local_interval *lmem = bki_malloc((2 * in->n_weekly + tmp_cap) * sizeof *lmem);
    if (!lmem)
        return BK_ENOMEM;
    const engine_override **ovs;
    int status = sort_overrides(in, &ovs);
    if (status == BK_OK)
        status = worktime_fill(in, first_day, last_day, extra, lmem, tmp_cap, ovs, ov_in_range, wt);
    bki_free(lmem);
    bki_free(ovs);
    if (status != BK_OK)
        worktime_free(wt);
    return status;
}

/* ------------------------------------------------------------------ */
/* Public                                                              */
/* ------------------------------------------------------------------ */

void engine_load_window(const tz_zone *zone, bk_time from, bk_time to, int duration_minutes,
                        int buffer_before_minutes, int buffer_after_minutes, int64_t *first_day,
                        int64_t *last_day, bk_time *data_from, bk_time *data_to)
{
    bk_time last_end = to + (int64_t)duration_minutes * 60;
    /* A date's hours lie between its local midnights, and local time runs
     * ahead of or behind UTC by less than a day, so the dates that can touch
     * [from, to + D) are those from the local date of `from` minus one
     * (a fall-back over midnight) to the local date of to + D plus one; one
     * more day each side costs a few rules and guards odd zone histories. */
    *first_day = civil_floor_div(tz_utc_to_local(zone, from), DAY_SECONDS) - 2;
    *last_day = civil_floor_div(tz_utc_to_local(zone, last_end), DAY_SECONDS) + 2;
    /* Exactly needed: [from - Bb, to + D + Ba).  The extra day keeps a
     * loader that filters bookings on [start, end) rather than on their
     * occupied range from missing one whose own buffer reaches in. */
    *data_from = from - (int64_t)buffer_before_minutes * 60 - DAY_SECONDS;
    *data_to = last_end + (int64_t)buffer_after_minutes * 60 + DAY_SECONDS;
}

static void day_range(const engine_input *in, bk_time from, bk_time to, int64_t *first_day, int64_t *last_day)
{
    bk_time ignored_from, ignored_to;
    engine_load_window(in->zone, from, to, in->duration_minutes, in->buffer_before_minutes,
                       in->buffer_after_minutes, first_day, last_day, &ignored_from, &ignored_to);
}

static bk_time earliest_start(const engine_input *in)
{
    bk_time notice_at = in->now + (int64_t)in->notice_minutes * 60;
    return notice_at > in->from ? notice_at : in->from;
}

/* Candidates start before this (window end or horizon). */
static bk_time latest_bound(const engine_input *in)
{
    bk_time hi = in->to;
    if (in->horizon_days > 0) {
        bk_time horizon = in->now + (int64_t)in->horizon_days * DAY_SECONDS;
        if (horizon < hi)
            hi = horizon;
    }
    return hi;
}

int engine_slots(const engine_input *in, bk_slot **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (in->duration_minutes <= 0 || in->step_minutes <= 0 || in->from >= in->to)
        return BK_OK;
    bk_time lo = earliest_start(in), hi = latest_bound(in);
    if (lo >= hi)
        return BK_OK;

    int64_t first_day, last_day;
    day_range(in, in->from, in->to, &first_day, &last_day);
    worktime wt;
    if (in->n_blocked > SIZE_MAX / 4 || in->n_busy > SIZE_MAX / 4)
        return BK_ENOMEM; /* unreachable in practice; keeps the sum below exact */
    int status = worktime_build(in, first_day, last_day, in->n_blocked + in->n_busy, &wt);
    if (status != BK_OK)
        return status;

    /* Phase 2: count, then fill, so that one exact allocation serves as
     * the candidate list and, compacted in place, as the result. */
    const int64_t step = (int64_t)in->step_minutes * 60;
    size_t count = 0;
    for (size_t i = 0; i < wt.n_dates; i++) {
        span g = wt.dates[i];
        bk_time a = g.start > lo ? g.start : lo;
        bk_time b = g.end < hi ? g.end : hi;
        if (a >= b)
            continue;
        int64_t k0 = (a - g.start + step - 1) / step;
        int64_t k1 = (b - 1 - g.start) / step;
        if (k1 >= k0)
            count += (size_t)(k1 - k0 + 1);
    }
    if (count == 0) {
        worktime_free(&wt);
        return BK_OK;
    }
    bk_slot *slots = bki_malloc(count * sizeof *slots);
    if (!slots) {
        worktime_free(&wt);
        return BK_ENOMEM;
    }
    size_t m = 0;
    int ordered = 1;
    for (size_t i = 0; i < wt.n_dates; i++) {
        span g = wt.dates[i];
        bk_time a = g.start > lo ? g.start : lo;
        bk_time b = g.end < hi ? g.end : hi;
        if (a >= b)
            continue;
        for (bk_time t = g.start + (a - g.start + step - 1) / step * step; t < b; t += step) {
            if (m > 0 && t <= slots[m - 1].start)
                ordered = 0;
            slots[m++].start = t;
        }
    }
    if (!ordered) {
        /* Grids of one date overlap around a gap, and a skipped date's hours
         * coincide with the next date's: sort, then drop repeats. */
        qsort(slots, m, sizeof *slots, slot_cmp);
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
            if (u == 0 || slots[i].start != slots[u - 1].start)
                slots[u++] = slots[i];
        m = u;
    }

    /* Phase 3. */
    span *blocked = wt.extra;
    size_t n_blocked = span_union(blocked, copy_periods(in->blocked, in->n_blocked, blocked));
    span *busy = blocked + n_blocked;
    size_t n_busy = span_union(busy, copy_periods(in->busy, in->n_busy, busy));

    const int64_t dur = (int64_t)in->duration_minutes * 60;
    const int64_t before = (int64_t)in->buffer_before_minutes * 60;
    const int64_t after = (int64_t)in->buffer_after_minutes * 60;
    size_t wi = 0, bi = 0, ui = 0, kept = 0;
    for (size_t i = 0; i < m; i++) {
        bk_time t = slots[i].start, end = t + dur;
        /* The only W interval that can hold [t, end) is the first one
         * reaching end; starts and ends only grow, so no cursor goes back. */
        while (wi < wt.n_w && wt.w[wi].end < end)
            wi++;
        if (wi == wt.n_w)
            break;
        if (wt.w[wi].start > t)
            continue;
        while (bi < n_blocked && blocked[bi].end <= t)
            bi++;
        if (bi < n_blocked && blocked[bi].start < end)
            continue;
        while (ui < n_busy && busy[ui].end <= t - before)
            ui++;
        if (ui < n_busy && busy[ui].start < end + after)
            continue;
        slots[kept++] = (bk_slot){t, end};
    }
    worktime_free(&wt);

    if (kept == 0) {
        bki_free(slots);
        return BK_OK;
    }
    *out = slots;
    *n = kept;
    return BK_OK;
}

/* Of the periods overlapping [start, end), the one that starts first (ties:
 * the earlier in the input), so that the answer does not depend on the
 * order the caller loaded them in. */
static int first_overlap(const engine_period *p, size_t n, bk_time start, bk_time end, size_t *source)
{
    const engine_period *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i].start >= p[i].end || !(p[i].start < end && start < p[i].end))
            continue;
        if (!best || p[i].start < best->start)
            best = &p[i];
    }
    if (best)
        *source = best->source;
    return best != NULL;
}

int engine_explain(const engine_input *in, bk_time start, engine_verdict *out)
{
    out->reason = BK_SLOT_OFFERED;
    out->source = 0;
    if (start < in->from || start >= in->to) {
        out->reason = BK_SLOT_OUTSIDE_WINDOW;
        return BK_OK;
    }
    const int64_t dur = (int64_t)in->duration_minutes * 60;
    if (dur <= 0) {
        out->reason = BK_SLOT_OUTSIDE_WORKING_TIME;
        return BK_OK;
    }

    /* The dates around `start` only, but never one outside what
     * engine_slots (and so the caller's loader) covers for the window. */
    int64_t first_day, last_day, near_first, near_last;
    day_range(in, in->from, in->to, &first_day, &last_day);
    day_range(in, start, start + 1, &near_first, &near_last);
    if (near_first > first_day)
        first_day = near_first;
    if (near_last < last_day)
        last_day = near_last;
    worktime wt;
    int status = worktime_build(in, first_day, last_day, 0, &wt);
    if (status != BK_OK)
        return status;

    int inside = 0;
    for (size_t i = 0; i < wt.n_w && !inside; i++)
        inside = wt.w[i].start <= start && start + dur <= wt.w[i].end;
    int on_grid = 0;
    if (in->step_minutes > 0) {
        const int64_t step = (int64_t)in->step_minutes * 60;
        for (size_t i = 0; i < wt.n_dates && !on_grid; i++)
            on_grid = wt.dates[i].start <= start && start < wt.dates[i].end &&
                      (start - wt.dates[i].start) % step == 0;
    }
    worktime_free(&wt);

    const int64_t before = (int64_t)in->buffer_before_minutes * 60;
    const int64_t after = (int64_t)in->buffer_after_minutes * 60;
    if (!inside)
        out->reason = BK_SLOT_OUTSIDE_WORKING_TIME;
    else if (!on_grid)
        out->reason = BK_SLOT_OFF_GRID;
    else if (first_overlap(in->blocked, in->n_blocked, start, start + dur, &out->source))
        out->reason = BK_SLOT_BLOCKED;
    else if (start < in->now + (int64_t)in->notice_minutes * 60)
        out->reason = BK_SLOT_NOTICE;
    else if (start >= latest_bound(in))
        out->reason = BK_SLOT_HORIZON; /* `to` was checked first: only the horizon is left */
    else if (first_overlap(in->busy, in->n_busy, start - before, start + dur + after, &out->source))
        out->reason = BK_SLOT_CONFLICT;
    return BK_OK;
}
