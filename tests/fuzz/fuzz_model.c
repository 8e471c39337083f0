/* Fuzz target (stateful): random sequences of public calls on one provider
 * of a "memory:" store, checked after every step against a model that
 * computes DESIGN.md sections 3 and 4 on its own, the plain way.
 *
 * The input picks a zone, a week around a DST change and a starting weekly
 * schedule, then a list of operations: weekly rows added and deleted, date overrides set
 * and deleted, blocked periods added and deleted, service settings
 * changed, bookings made (on an offered slot or anywhere), imported,
 * moved through their lifecycle with the right or a stale lock_version,
 * rescheduled, and the clock moved on.  Some operations carry bad input
 * on purpose.
 *
 * After each step:
 *   - the call's status is the one the model predicts (a book succeeds iff
 *     the model offers the start; a refusal is BK_EUNAVAILABLE when a
 *     lasting reason refuses it, else BK_ECONFLICT; ...);
 *   - everything the store holds -- rows, overrides, blocked periods, the
 *     service, every booking with its status and lock_version -- equals
 *     the model, which changes only when a call succeeds: nothing changed
 *     on an error;
 *   - no two live bookings' occupied ranges overlap;
 *   - bk_slots over the week equals the model's slots exactly: each inside
 *     working time, on the grid, clear of blocked periods and of live
 *     bookings' buffers, within notice and horizon; and bk_slot_explain
 *     calls a sample of them offered.
 */
#include "fuzz.h"

#include "tz/tz.h"
#include "util/civil.h"

#define MAX_ROWS 24
#define MAX_OVERRIDES 8
#define MAX_BLOCKED 12
#define MAX_BOOKINGS 48
#define MAX_OPS 48
#define WINDOW_DAYS 7
#define MAX_SLOTS 4096 /* a 15-minute grid over the week, with room for DST overlaps */

/* ------------------------------------------------------------------ */
/* The model                                                           */
/* ------------------------------------------------------------------ */

typedef struct row {
    bk_id id;
    int weekday, start, end, available;
} row;

typedef struct override_day {
    int64_t day; /* civil day number */
    size_t n;
    bk_local_interval iv[4];
} override_day;

typedef struct blocked {
    bk_id id;
    bk_time start, end;
} blocked;

typedef struct booking {
    bk_id id;
    bk_time start, end;
    int bb, ba;
    bk_booking_status status;
    int64_t lock_version;
} booking;

typedef struct model {
    const char *zone;
    const tz_zone *z;
    bk_time base, now;
    int duration, bb, ba, step, notice, horizon, confirm, active;
    row rows[MAX_ROWS];
    size_t n_rows;
    override_day ov[MAX_OVERRIDES];
    size_t n_ov;
    blocked bl[MAX_BLOCKED];
    size_t n_bl;
    booking bk[MAX_BOOKINGS];
    size_t n_bk;
} model;

/* DESIGN.md 3.3: live = every status but cancelled (a completed booking
 * still happened there).  Only pending and confirmed ones can still move. */
static int live(bk_booking_status s) { return s != BK_BOOKING_CANCELLED; }

static int open_status(bk_booking_status s) { return s == BK_BOOKING_PENDING || s == BK_BOOKING_CONFIRMED; }

static int overlaps(bk_time a0, bk_time a1, bk_time b0, bk_time b1) { return a0 < b1 && b0 < a1; }

static const override_day *find_override(const model *m, int64_t day)
{
    for (size_t i = 0; i < m->n_ov; i++)
        if (m->ov[i].day == day)
            return &m->ov[i];
    return NULL;
}

typedef struct span {
    bk_time a, b;
} span;

/* Working time per civil date (DESIGN.md 3.1), on a minute map of the
 * date: the override's intervals, else the weekday's available rows minus
 * its unavailable ones.  Appends each maximal local run, converted to UTC
 * (empty ones, inside a DST gap, dropped), to out. */
static size_t date_intervals(const model *m, int64_t day, span *out, size_t n)
{
    unsigned char map[1440];
    memset(map, 0, sizeof map);
    const override_day *o = find_override(m, day);
    if (o) {
        for (size_t i = 0; i < o->n; i++)
            memset(map + o->iv[i].start_minute, 1, (size_t)(o->iv[i].end_minute - o->iv[i].start_minute));
    } else {
        int wd = civil_weekday(day);
        for (size_t i = 0; i < m->n_rows; i++)
            if (m->rows[i].weekday == wd && m->rows[i].available)
                memset(map + m->rows[i].start, 1, (size_t)(m->rows[i].end - m->rows[i].start));
        for (size_t i = 0; i < m->n_rows; i++)
            if (m->rows[i].weekday == wd && !m->rows[i].available)
                memset(map + m->rows[i].start, 0, (size_t)(m->rows[i].end - m->rows[i].start));
    }
    for (int s = 0; s < 1440;) {
        if (!map[s]) {
            s++;
            continue;
        }
        int e = s;
        while (e < 1440 && map[e])
            e++;
        bk_time a = tz_local_to_utc(m->z, day * 86400 + (int64_t)s * 60);
        bk_time b = tz_local_to_utc(m->z, day * 86400 + (int64_t)e * 60);
        if (b > a)
            out[n++] = (span){a, b};
        s = e;
    }
    return n;
}

static int span_cmp(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a ? 1 : 0;
}

static int time_cmp(const void *x, const void *y)
{
    bk_time a = *(const bk_time *)x, b = *(const bk_time *)y;
    return a < b ? -1 : a > b ? 1 : 0;
}

/* Why the model does not offer t: 0 = offered, 1 = a lasting reason,
 * 2 = only a live booking (other than `ignore`) in the way. */
typedef struct plan {
    span dates[2048]; /* per-date intervals: the grid anchors (at most 24 runs a date) */
    size_t n_dates;
    span merged[2048]; /* W: maximal intervals */
    size_t n_merged;
} plan;

static void plan_build(const model *m, bk_time from, bk_time to, plan *p)
{
    /* Every date whose hours can reach [from - 1 day, to + 1 day]: local
     * dates of those instants, one more on each side for the offsets. */
    int64_t d0 = civil_floor_div(tz_utc_to_local(m->z, from), 86400) - 2;
    int64_t d1 = civil_floor_div(tz_utc_to_local(m->z, to), 86400) + 2;
    p->n_dates = 0;
    for (int64_t d = d0; d <= d1; d++)
        p->n_dates = date_intervals(m, d, p->dates, p->n_dates);
    memcpy(p->merged, p->dates, p->n_dates * sizeof *p->dates);
    qsort(p->merged, p->n_dates, sizeof *p->merged, span_cmp);
    size_t k = 0;
    for (size_t i = 0; i < p->n_dates; i++) {
        if (k && p->merged[i].a <= p->merged[k - 1].b) {
            if (p->merged[i].b > p->merged[k - 1].b)
                p->merged[k - 1].b = p->merged[i].b;
        } else {
            p->merged[k++] = p->merged[i];
        }
    }
    p->n_merged = k;
}

static int on_grid(const model *m, const plan *p, bk_time t)
{
    int64_t step = (m->step ? m->step : m->duration) * (int64_t)60;
    for (size_t i = 0; i < p->n_dates; i++)
        if (t >= p->dates[i].a && t < p->dates[i].b && (t - p->dates[i].a) % step == 0)
            return 1;
    return 0;
}

static int verdict(const model *m, const plan *p, bk_time t, const booking *ignore)
{
    bk_time end = t + (bk_time)m->duration * 60;
    if (!on_grid(m, p, t))
        return 1;
    int inside = 0;
    for (size_t i = 0; i < p->n_merged && !inside; i++)
        inside = t >= p->merged[i].a && end <= p->merged[i].b;
    if (!inside)
        return 1;
    for (size_t i = 0; i < m->n_bl; i++)
        if (overlaps(t, end, m->bl[i].start, m->bl[i].end))
            return 1;
    if (t < m->now + (bk_time)m->notice * 60)
        return 1;
    if (m->horizon > 0 && t >= m->now + (bk_time)m->horizon * 86400)
        return 1;
    bk_time o0 = t - (bk_time)m->bb * 60, o1 = end + (bk_time)m->ba * 60;
    for (size_t i = 0; i < m->n_bk; i++) {
        const booking *b = &m->bk[i];
        if (b != ignore && live(b->status) &&
            overlaps(o0, o1, b->start - (bk_time)b->bb * 60, b->end + (bk_time)b->ba * 60))
            return 2;
    }
    return 0;
}

/* The model's slots with starts in [from, to), sorted, no duplicates,
 * as if booking `ignore` (may be NULL) did not exist. */
static size_t model_slots(const model *m, bk_time from, bk_time to, const booking *ignore, bk_time *out)
{
    static plan p;
    plan_build(m, from, to, &p);
    int64_t step = (m->step ? m->step : m->duration) * (int64_t)60;
    size_t n = 0;
    for (size_t i = 0; i < p.n_dates; i++)
        for (bk_time t = p.dates[i].a; t < p.dates[i].b; t += step)
            if (t >= from && t < to && verdict(m, &p, t, ignore) == 0) {
                FUZZ_CHECK(n < MAX_SLOTS, "model: too many candidates");
                out[n++] = t;
            }
    qsort(out, n, sizeof *out, time_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || out[i] != out[k - 1])
            out[k++] = out[i];
    return k;
}

static int model_verdict(const model *m, bk_time t, const booking *ignore)
{
    static plan p;
    plan_build(m, t, t + 1, &p);
    return verdict(m, &p, t, ignore);
}

/* What the runs did, printed at exit when FUZZ_MODEL_STATS is set, so that
 * a run can show it exercised more than refusals (tests/fuzz/run.sh). */
static struct {
    unsigned long steps, slots_compared, booked, refused_conflict, refused_unavailable, moved, rescheduled,
        imported, errors_checked;
} stats;

static void print_stats(void)
{
    fprintf(stderr,
            "fuzz_model: %lu steps, %lu slots compared, %lu booked, %lu refused (%lu conflict, %lu unavailable), "
            "%lu moved, %lu rescheduled, %lu imported, %lu failing calls checked to change nothing\n",
            stats.steps, stats.slots_compared, stats.booked, stats.refused_conflict + stats.refused_unavailable,
            stats.refused_conflict, stats.refused_unavailable, stats.moved, stats.rescheduled, stats.imported,
            stats.errors_checked);
}

/* ------------------------------------------------------------------ */
/* Comparing the store with the model                                  */
/* ------------------------------------------------------------------ */

typedef struct world {
    bk_db *db;
    bk_id provider, service;
    model m;
    int step_no;
} world;

static bk_time slots_model[MAX_SLOTS];

static void check_store(world *w)
{
    model *m = &w->m;
    bk_db *db = w->db;
    const int step = w->step_no;

    bk_service *s = NULL;
    FUZZ_OK(db, bk_service_get(db, &w->service, &s));
    FUZZ_CHECK(s->duration_minutes == m->duration && s->buffer_before_minutes == m->bb &&
                   s->buffer_after_minutes == m->ba && s->slot_step_minutes == m->step &&
                   s->min_notice_minutes == m->notice && s->horizon_days == m->horizon &&
                   s->requires_confirmation == m->confirm && s->active == m->active,
               "step %d: the service differs from the model", step);
    bk_service_free(s);

    bk_availability **rows = NULL;
    size_t n = 0;
    FUZZ_OK(db, bk_availability_list(db, &w->provider, &rows, &n));
    FUZZ_CHECK(n == m->n_rows, "step %d: %zu weekly rows, the model has %zu", step, n, m->n_rows);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < m->n_rows && strcmp(m->rows[k].id.s, rows[i]->id.s) != 0)
            k++;
        FUZZ_CHECK(k < m->n_rows && rows[i]->weekday == m->rows[k].weekday &&
                       rows[i]->start_minute == m->rows[k].start && rows[i]->end_minute == m->rows[k].end &&
                       rows[i]->is_available == m->rows[k].available,
                   "step %d: weekly row %s differs from the model", step, rows[i]->id.s);
        FUZZ_CHECK(i == 0 || rows[i - 1]->weekday < rows[i]->weekday ||
                       (rows[i - 1]->weekday == rows[i]->weekday &&
                        (rows[i - 1]->start_minute < rows[i]->start_minute ||
                         (rows[i - 1]->start_minute == rows[i]->start_minute &&
                          rows[i - 1]->end_minute <= rows[i]->end_minute))),
                   "step %d: weekly rows not ordered by weekday, start, end", step);
    }
    bk_availability_list_free(rows, n);

    bk_date from = civil_bk_date_from_days(civil_floor_div(m->base, 86400) - 10);
    bk_date to = civil_bk_date_from_days(civil_floor_div(m->base, 86400) + 20);
    bk_override **ovs = NULL;
    FUZZ_OK(db, bk_override_list(db, &w->provider, &from, &to, &ovs, &n));
    FUZZ_CHECK(n == m->n_ov, "step %d: %zu overrides, the model has %zu", step, n, m->n_ov);
    for (size_t i = 0; i < n; i++) {
        const override_day *o = find_override(m, civil_days_from_bk_date(&ovs[i]->date));
        FUZZ_CHECK(o && o->n == ovs[i]->n_intervals, "step %d: override %04d-%02d-%02d differs", step,
                   ovs[i]->date.year, ovs[i]->date.month, ovs[i]->date.day);
        for (size_t k = 0; k < o->n; k++)
            FUZZ_CHECK(o->iv[k].start_minute == ovs[i]->intervals[k].start_minute &&
                           o->iv[k].end_minute == ovs[i]->intervals[k].end_minute,
                       "step %d: override interval %zu differs", step, k);
    }
    bk_override_list_free(ovs, n);

    bk_blocked **bl = NULL;
    FUZZ_OK(db, bk_blocked_list(db, &w->provider, BK_TIME_MIN, BK_TIME_MAX, &bl, &n));
    FUZZ_CHECK(n == m->n_bl, "step %d: %zu blocked periods, the model has %zu", step, n, m->n_bl);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < m->n_bl && strcmp(m->bl[k].id.s, bl[i]->id.s) != 0)
            k++;
        FUZZ_CHECK(k < m->n_bl && bl[i]->start == m->bl[k].start && bl[i]->end == m->bl[k].end,
                   "step %d: blocked period %s differs", step, bl[i]->id.s);
    }
    bk_blocked_list_free(bl, n);

    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = w->provider;
    bk_booking **bks = NULL;
    FUZZ_OK(db, bk_booking_list(db, &f, &bks, &n));
    FUZZ_CHECK(n == m->n_bk, "step %d: %zu bookings, the model has %zu", step, n, m->n_bk);
    for (size_t i = 0; i < n; i++) {
        const bk_booking *b = bks[i];
        size_t k = 0;
        while (k < m->n_bk && strcmp(m->bk[k].id.s, b->id.s) != 0)
            k++;
        FUZZ_CHECK(k < m->n_bk, "step %d: booking %s is not in the model", step, b->id.s);
        const booking *x = &m->bk[k];
        FUZZ_CHECK(b->start == x->start && b->end == x->end && b->buffer_before_minutes == x->bb &&
                       b->buffer_after_minutes == x->ba && b->status == x->status &&
                       b->lock_version == x->lock_version,
                   "step %d: booking %s is [%lld, %lld) %s v%lld, the model says [%lld, %lld) %s v%lld", step,
                   b->id.s, (long long)b->start, (long long)b->end, bk_booking_status_name(b->status),
                   (long long)b->lock_version, (long long)x->start, (long long)x->end,
                   bk_booking_status_name(x->status), (long long)x->lock_version);
        FUZZ_CHECK(i == 0 || bks[i - 1]->start <= b->start, "step %d: bookings not ordered by start", step);
        /* DESIGN.md 4: no two live bookings' occupied ranges overlap. */
        for (size_t j = 0; j < i; j++) {
            const bk_booking *a = bks[j];
            FUZZ_CHECK(!(live(a->status) && live(b->status) &&
                         overlaps(a->start - a->buffer_before_minutes * 60, a->end + a->buffer_after_minutes * 60,
                                  b->start - b->buffer_before_minutes * 60, b->end + b->buffer_after_minutes * 60)),
                       "step %d: live bookings %s and %s overlap", step, a->id.s, b->id.s);
        }
    }
    bk_booking_list_free(bks, n);

    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = w->provider;
    q.service = w->service;
    q.from = m->base;
    q.to = m->base + WINDOW_DAYS * 86400;
    q.now = m->now;
    bk_slot *slots = NULL;
    int rc = bk_slots(db, &q, &slots, &n);
    if (!m->active) {
        FUZZ_CHECK(rc == BK_EINVAL && n == 0, "step %d: slots of an inactive service -> %d", step, rc);
        return;
    }
    FUZZ_CHECK(rc == BK_OK, "step %d: bk_slots -> %d (%s)", step, rc, bk_errmsg(db));
    size_t want = model_slots(m, q.from, q.to, NULL, slots_model);
    size_t i = 0;
    for (; i < n && i < want; i++)
        if (slots[i].start != slots_model[i] || slots[i].end != slots_model[i] + (bk_time)m->duration * 60)
            break;
    if (i < n || i < want) {
        char got[BK_ISO_SIZE] = "(none)", exp[BK_ISO_SIZE] = "(none)";
        if (i < n)
            bk_time_format_iso(slots[i].start, got);
        if (i < want)
            bk_time_format_iso(slots_model[i], exp);
        FUZZ_CHECK(0, "step %d (%s): slot %zu of %zu is %s, the model's (of %zu) is %s", step, m->zone, i, n, got,
                   want, exp);
    }
    stats.slots_compared += n;
    /* bk_slot_explain agrees on a sample: the first, the middle, the last. */
    for (size_t k = 0; k < 3 && n; k++) {
        size_t at = k == 0 ? 0 : k == 1 ? n / 2 : n - 1;
        bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
        FUZZ_OK(db, bk_slot_explain(db, &q, slots[at].start, &v));
        FUZZ_CHECK(v.reason == BK_SLOT_OFFERED, "step %d: bk_slot_explain calls an offered slot '%s'", step,
                   bk_slot_reason_name(v.reason));
    }
    bk_slots_free(slots);
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

static void expect(world *w, int rc, int want, const char *what)
{
    FUZZ_CHECK(rc == want, "step %d: %s -> %d (%s), the model expects %d", w->step_no, what, rc, bk_errmsg(w->db),
               want);
    if (rc != BK_OK) {
        fz_check_message(bk_errmsg(w->db), what);
        stats.errors_checked++;
    }
}

static void op_add_row(world *w, fz *f)
{
    model *m = &w->m;
    bk_availability a = BK_AVAILABILITY_INIT;
    a.provider = w->provider;
    a.weekday = (int)fz_range(f, 0, 7); /* 7: bad input */
    a.start_minute = 15 * (int)fz_range(f, 0, 95);
    a.end_minute = a.start_minute + 15 * (int)fz_range(f, 0, 40); /* 0: end == start, bad */
    if (a.end_minute > 1440)
        a.end_minute = 1440;
    a.is_available = fz_range(f, 0, 3) != 0;
    int valid = a.weekday <= 6 && a.end_minute > a.start_minute;
    bk_id id;
    int rc = bk_availability_add(w->db, &a, &id);
    if (!valid || m->n_rows == MAX_ROWS) {
        if (!valid)
            expect(w, rc, BK_EINVAL, "bk_availability_add (bad)");
        else if (rc == BK_OK)
            FUZZ_OK(w->db, bk_availability_delete(w->db, &id)); /* the model is full: undo */
        return;
    }
    expect(w, rc, BK_OK, "bk_availability_add");
    m->rows[m->n_rows++] = (row){id, a.weekday, a.start_minute, a.end_minute, a.is_available};
}

static void op_delete_row(world *w, fz *f)
{
    model *m = &w->m;
    if (!m->n_rows)
        return;
    size_t i = (size_t)fz_range(f, 0, (int64_t)m->n_rows - 1);
    bk_id id = m->rows[i].id;
    expect(w, bk_availability_delete(w->db, &id), BK_OK, "bk_availability_delete");
    m->rows[i] = m->rows[--m->n_rows];
    expect(w, bk_availability_delete(w->db, &id), BK_ENOTFOUND, "bk_availability_delete of a deleted row");
}

static void op_set_override(world *w, fz *f)
{
    model *m = &w->m;
    int64_t day = civil_floor_div(m->base, 86400) + fz_range(f, -2, WINDOW_DAYS + 1);
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = w->provider;
    o.date = civil_bk_date_from_days(day);
    bk_local_interval iv[4];
    o.n_intervals = (size_t)fz_range(f, 0, 4);
    int valid = 1;
    for (size_t i = 0; i < o.n_intervals; i++) {
        iv[i].start_minute = 15 * (int)fz_range(f, 0, 95);
        iv[i].end_minute = iv[i].start_minute + 15 * (int)fz_range(f, 0, 40);
        if (iv[i].end_minute > 1440)
            iv[i].end_minute = 1440;
        valid &= iv[i].end_minute > iv[i].start_minute;
    }
    o.intervals = iv;
    size_t at = 0;
    while (at < m->n_ov && m->ov[at].day != day)
        at++;
    int rc = bk_override_set(w->db, &o);
    if (!valid) {
        expect(w, rc, BK_EINVAL, "bk_override_set (bad interval)");
        return;
    }
    expect(w, rc, BK_OK, "bk_override_set");
    if (at == MAX_OVERRIDES) {
        FUZZ_OK(w->db, bk_override_delete(w->db, &w->provider, &o.date)); /* the model is full: undo */
        return;
    }
    if (at == m->n_ov)
        m->n_ov++;
    override_day *slot = &m->ov[at];
    slot->day = day;
    slot->n = o.n_intervals;
    memcpy(slot->iv, iv, o.n_intervals * sizeof *iv);
}

static void op_delete_override(world *w, fz *f)
{
    model *m = &w->m;
    if (!m->n_ov)
        return;
    size_t i = (size_t)fz_range(f, 0, (int64_t)m->n_ov - 1);
    bk_date d = civil_bk_date_from_days(m->ov[i].day);
    expect(w, bk_override_delete(w->db, &w->provider, &d), BK_OK, "bk_override_delete");
    m->ov[i] = m->ov[--m->n_ov];
}

static void op_add_blocked(world *w, fz *f)
{
    model *m = &w->m;
    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = w->provider;
    b.start = m->base + 300 * fz_range(f, -288, (WINDOW_DAYS + 1) * 288);
    b.end = b.start + 300 * fz_range(f, 0, 72); /* 0: empty, bad */
    b.reason = "fuzz";
    bk_id id;
    int rc = bk_blocked_add(w->db, &b, &id);
    if (b.end <= b.start) {
        expect(w, rc, BK_EINVAL, "bk_blocked_add (end <= start)");
        return;
    }
    expect(w, rc, BK_OK, "bk_blocked_add");
    if (m->n_bl == MAX_BLOCKED) {
        FUZZ_OK(w->db, bk_blocked_delete(w->db, &id));
        return;
    }
    m->bl[m->n_bl++] = (blocked){id, b.start, b.end};
}

static void op_delete_blocked(world *w, fz *f)
{
    model *m = &w->m;
    if (!m->n_bl)
        return;
    size_t i = (size_t)fz_range(f, 0, (int64_t)m->n_bl - 1);
    expect(w, bk_blocked_delete(w->db, &m->bl[i].id), BK_OK, "bk_blocked_delete");
    m->bl[i] = m->bl[--m->n_bl];
}

static void op_service(world *w, fz *f)
{
    model *m = &w->m;
    bk_service *s = NULL;
    FUZZ_OK(w->db, bk_service_get(w->db, &w->service, &s));
    int d = 15 * (int)fz_range(f, 0, 8); /* 0: bad */
    int step = (int)fz_range(f, 0, 3) == 0 ? 0 : 15 * (int)fz_range(f, 1, 8);
    s->duration_minutes = d;
    s->slot_step_minutes = step;
    s->buffer_before_minutes = 5 * (int)fz_range(f, 0, 6);
    s->buffer_after_minutes = 5 * (int)fz_range(f, 0, 6);
    s->min_notice_minutes = 30 * (int)fz_range(f, 0, 8);
    s->horizon_days = (int)fz_range(f, 0, 3) == 0 ? (int)fz_range(f, 1, 8) : 0;
    s->requires_confirmation = (int)fz_range(f, 0, 1);
    s->active = fz_range(f, 0, 7) != 0;
    int rc = bk_service_update(w->db, s);
    if (d == 0) {
        expect(w, rc, BK_EINVAL, "bk_service_update (duration 0)");
    } else {
        expect(w, rc, BK_OK, "bk_service_update");
        m->duration = d;
        m->step = step;
        m->bb = s->buffer_before_minutes;
        m->ba = s->buffer_after_minutes;
        m->notice = s->min_notice_minutes;
        m->horizon = s->horizon_days;
        m->confirm = s->requires_confirmation;
        m->active = s->active;
    }
    bk_service_free(s);
}

/* A start: one of the model's slots (so that bookings happen), a time
 * near an existing booking (so that conflicts happen), or a time on a
 * 5-minute grid anywhere in the week. */
static bk_time pick_start(world *w, fz *f, const booking *ignore)
{
    model *m = &w->m;
    int mode = (int)fz_range(f, 0, 3);
    if (mode == 1 || mode == 2) {
        /* Rescheduling: the booking's own range does not count. */
        size_t n = model_slots(m, m->base, m->base + WINDOW_DAYS * 86400, ignore, slots_model);
        /* Four bytes whatever n is, so that a seed's bytes keep their
         * meaning (tests/fuzz/seeds.py). */
        uint32_t k = fz_u32(f);
        if (n)
            return slots_model[k % n];
    } else if (mode == 3 && m->n_bk) {
        const booking *b = &m->bk[fz_range(f, 0, (int64_t)m->n_bk - 1)];
        return b->start + 900 * fz_range(f, -4, 4);
    }
    return m->base + 300 * fz_range(f, 0, WINDOW_DAYS * 288 - 1);
}

static int expected_book(const model *m, bk_time t, const booking *ignore)
{
    if (!m->active)
        return BK_EINVAL;
    int v = model_verdict(m, t, ignore);
    return v == 0 ? BK_OK : v == 1 ? BK_EUNAVAILABLE : BK_ECONFLICT;
}

static void op_book(world *w, fz *f)
{
    model *m = &w->m;
    if (m->n_bk == MAX_BOOKINGS)
        return;
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = w->provider;
    r.service = w->service;
    r.start = pick_start(w, f, NULL);
    r.now = m->now;
    r.customer_name = "Model Customer";
    int bad = fz_range(f, 0, 9) == 0;
    r.customer_email = bad ? "no-at-sign" : "customer@example.org";
    bk_booking *b = NULL;
    int rc = bk_book(w->db, &r, &b);
    int want = bad ? BK_EINVAL : expected_book(m, r.start, NULL);
    char iso[BK_ISO_SIZE];
    bk_time_format_iso(r.start, iso);
    FUZZ_CHECK(rc == want, "step %d (%s): bk_book at %s -> %d (%s), the model expects %d", w->step_no, m->zone, iso,
               rc, bk_errmsg(w->db), want);
    if (rc != BK_OK) {
        FUZZ_CHECK(b == NULL, "a failed bk_book returned a booking");
        fz_check_message(bk_errmsg(w->db), "bk_book");
        stats.errors_checked++;
        stats.refused_conflict += rc == BK_ECONFLICT;
        stats.refused_unavailable += rc == BK_EUNAVAILABLE;
        return;
    }
    stats.booked++;
    FUZZ_CHECK(b->start == r.start && b->end == r.start + (bk_time)m->duration * 60 &&
                   b->buffer_before_minutes == m->bb && b->buffer_after_minutes == m->ba && b->lock_version == 1 &&
                   b->status == (m->confirm ? BK_BOOKING_PENDING : BK_BOOKING_CONFIRMED),
               "step %d: the new booking is not what was asked", w->step_no);
    m->bk[m->n_bk++] = (booking){b->id, b->start, b->end, m->bb, m->ba, b->status, 1};
    bk_booking_free(b);
}

static void op_import(world *w, fz *f)
{
    model *m = &w->m;
    if (m->n_bk == MAX_BOOKINGS)
        return;
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.provider = w->provider;
    b.service = w->service;
    b.start = m->base + 300 * fz_range(f, 0, WINDOW_DAYS * 288 - 1);
    b.end = b.start + 300 * fz_range(f, 1, 36);
    b.buffer_before_minutes = 5 * (int)fz_range(f, 0, 6);
    b.buffer_after_minutes = 5 * (int)fz_range(f, 0, 6);
    b.status = (bk_booking_status)fz_range(f, 1, 5);
    b.customer_name = "Imported";
    b.customer_email = "imported@example.org";
    b.confirmed_at = b.cancelled_at = b.created_at = b.updated_at = b.archived_at = BK_TIME_UNSET;
    int conflict = 0;
    for (size_t i = 0; i < m->n_bk && live(b.status); i++)
        conflict |= live(m->bk[i].status) &&
                    overlaps(b.start - b.buffer_before_minutes * 60, b.end + b.buffer_after_minutes * 60,
                             m->bk[i].start - m->bk[i].bb * 60, m->bk[i].end + m->bk[i].ba * 60);
    bk_id id;
    int rc = bk_booking_import(w->db, &b, &id);
    expect(w, rc, conflict ? BK_ECONFLICT : BK_OK, "bk_booking_import");
    stats.imported += rc == BK_OK;
    if (rc == BK_OK)
        m->bk[m->n_bk++] =
            (booking){id, b.start, b.end, b.buffer_before_minutes, b.buffer_after_minutes, b.status, 1};
}

static int move_allowed(bk_booking_status from, bk_booking_status to)
{
    if (to == BK_BOOKING_CONFIRMED)
        return from == BK_BOOKING_PENDING;
    if (to == BK_BOOKING_CANCELLED)
        return open_status(from);
    return from == BK_BOOKING_CONFIRMED; /* completed, no_show */
}

static void op_move(world *w, fz *f)
{
    model *m = &w->m;
    if (!m->n_bk)
        return;
    booking *x = &m->bk[fz_range(f, 0, (int64_t)m->n_bk - 1)];
    bk_booking_status to = (bk_booking_status)fz_range(f, 2, 5);
    int64_t version = fz_range(f, 0, 4) == 0 ? x->lock_version + fz_range(f, -2, 2) : x->lock_version;
    bk_booking *out = NULL;
    int rc;
    switch (to) {
    case BK_BOOKING_CONFIRMED: rc = bk_booking_confirm(w->db, &x->id, version, &out); break;
    case BK_BOOKING_CANCELLED: rc = bk_booking_cancel(w->db, &x->id, version, "fuzz", &out); break;
    case BK_BOOKING_COMPLETED: rc = bk_booking_complete(w->db, &x->id, version, &out); break;
    default: rc = bk_booking_mark_no_show(w->db, &x->id, version, &out); break;
    }
    int want = version != x->lock_version ? BK_ESTALE : !move_allowed(x->status, to) ? BK_ESTATE : BK_OK;
    expect(w, rc, want, "a booking move");
    if (rc == BK_OK) {
        FUZZ_CHECK(out && out->status == to && out->lock_version == x->lock_version + 1, "the moved booking");
        x->status = to;
        x->lock_version++;
        stats.moved++;
    } else {
        FUZZ_CHECK(out == NULL, "a failed move returned a booking");
    }
    bk_booking_free(out);
}

static void op_reschedule(world *w, fz *f)
{
    model *m = &w->m;
    if (!m->n_bk)
        return;
    booking *x = &m->bk[fz_range(f, 0, (int64_t)m->n_bk - 1)];
    bk_time t = pick_start(w, f, x);
    int64_t version = fz_range(f, 0, 4) == 0 ? x->lock_version + fz_range(f, -2, 2) : x->lock_version;
    bk_booking *out = NULL;
    int rc = bk_booking_reschedule(w->db, &x->id, version, t, m->now, &out);
    int want = version != x->lock_version ? BK_ESTALE : !open_status(x->status) ? BK_ESTATE : expected_book(m, t, x);
    char iso[BK_ISO_SIZE];
    bk_time_format_iso(t, iso);
    FUZZ_CHECK(rc == want, "step %d (%s): reschedule to %s -> %d (%s), the model expects %d", w->step_no, m->zone,
               iso, rc, bk_errmsg(w->db), want);
    if (rc == BK_OK) {
        FUZZ_CHECK(out && out->start == t && out->end == t + (bk_time)m->duration * 60 &&
                       out->lock_version == x->lock_version + 1 && out->status == x->status,
                   "the rescheduled booking");
        x->start = t;
        x->end = out->end;
        x->bb = m->bb; /* the service's current buffers, as bk_book */
        x->ba = m->ba;
        x->lock_version++;
        stats.rescheduled++;
    } else {
        fz_check_message(bk_errmsg(w->db), "bk_booking_reschedule");
        stats.errors_checked++;
    }
    bk_booking_free(out);
}

static void op_clock(world *w, fz *f) { w->m.now += 900 * fz_range(f, 1, 96); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const zones[] = {"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
                                        "Asia/Kathmandu", "America/St_Johns", "Pacific/Apia"};
    /* Weeks around DST changes (and one without): 2026-03-05 (US spring
     * forward on the 8th), 03-26 (EU, the 29th), 04-02 (Lord Howe, half an
     * hour back on the 5th), 10-22 (EU fall back, the 25th), 10-29 (US, Nov
     * 1st), 2011-12-27 (Apia skips the 30th), 2026-06-10. */
    static const char *const weeks[] = {"2026-03-05T00:00:00Z", "2026-03-26T00:00:00Z", "2026-04-02T00:00:00Z",
                                        "2026-10-22T00:00:00Z", "2026-10-29T00:00:00Z", "2011-12-27T00:00:00Z",
                                        "2026-06-10T00:00:00Z"};
    if (size > 4096)
        return 0;
    static int registered;
    if (!registered && getenv("FUZZ_MODEL_STATS")) {
        registered = 1;
        atexit(print_stats);
    }
    fz f = {data, size};
    static world w;
    memset(&w, 0, sizeof w);
    model *m = &w.m;
    m->zone = zones[fz_u8(&f) % (sizeof zones / sizeof *zones)];
    FUZZ_OK(NULL, tz_zone_get(m->zone, &m->z, NULL, 0));
    FUZZ_OK(NULL, bk_time_parse_iso(weeks[fz_u8(&f) % (sizeof weeks / sizeof *weeks)], &m->base));
    m->now = m->base - 86400;
    m->duration = 30;
    m->active = 1;

    FUZZ_OK(NULL, bk_open(&w.db, "memory:"));
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "model";
    p.email = "model@example.org";
    p.full_name = "Model Provider";
    p.timezone = m->zone;
    FUZZ_OK(w.db, bk_provider_create(w.db, &p, &w.provider));
    bk_service s = BK_SERVICE_INIT;
    s.provider = w.provider;
    s.name = "Model service";
    s.duration_minutes = m->duration;
    FUZZ_OK(w.db, bk_service_create(w.db, &s, &w.service));
    /* A starting week, so that most inputs can book from their first
     * operation: none, office hours on weekdays, round the clock, or a
     * split day every day. */
    static const struct {
        int weekdays, start, end;
    } starts[][2] = {{{0, 0, 0}, {0, 0, 0}},
                     {{0x3e, 9 * 60, 17 * 60}, {0, 0, 0}},
                     {{0x7f, 0, 1440}, {0, 0, 0}},
                     {{0x7f, 8 * 60, 12 * 60}, {0x7f, 13 * 60, 20 * 60}}};
    int pick = fz_u8(&f) % 4;
    for (int k = 0; k < 2; k++)
        for (int wd = 0; wd < 7; wd++) {
            if (!(starts[pick][k].weekdays & (1 << wd)))
                continue;
            bk_availability a = BK_AVAILABILITY_INIT;
            a.provider = w.provider;
            a.weekday = wd;
            a.start_minute = starts[pick][k].start;
            a.end_minute = starts[pick][k].end;
            bk_id id;
            FUZZ_OK(w.db, bk_availability_add(w.db, &a, &id));
            m->rows[m->n_rows++] = (row){id, wd, a.start_minute, a.end_minute, 1};
        }
    check_store(&w);

    static void (*const ops[])(world *, fz *) = {
        op_add_row,     op_add_row,    op_add_row,         op_delete_row, op_set_override,
        op_delete_override, op_add_blocked, op_delete_blocked, op_service,    op_book,
        op_book,        op_book,       op_import,          op_move,       op_move,
        op_reschedule,  op_clock,
    };
    for (w.step_no = 1; w.step_no <= MAX_OPS && f.n; w.step_no++) {
        ops[fz_u8(&f) % (sizeof ops / sizeof *ops)](&w, &f);
        check_store(&w);
        stats.steps++;
    }
    bk_close(w.db);
    return 0;
}
