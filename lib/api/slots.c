/* Free-slot queries: load a schedule through the store, hand it to the
 * engine. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "calendar/rrule.h"
#include "util/alloc.h"
#include "util/civil.h"

/* The load is made before the provider's zone and the service's duration
 * are known, so it is widened by a margin that covers any zone offset (26 h)
 * plus the longest duration and buffers (3 x 24 h); engine_load_window then
 * says whether that was enough, and a second read covers the rare rest. */
#define LOAD_MARGIN ((bk_time)4 * 86400)

static int push(void **array, size_t *n, size_t *cap, size_t elem, const void *item)
{
    if (bki_grow(array, cap, *n + 1, elem) != 0)
        return BK_ENOMEM;
    memcpy((char *)*array + *n * elem, item, elem);
    (*n)++;
    return BK_OK;
}

static int sink_provider(void *ctx, const bk_provider *p)
{
    api_schedule *s = ctx;
    if (s->provider)
        return BK_OK;
    s->provider = rec_provider_dup(p);
    return s->provider ? BK_OK : BK_ENOMEM;
}

static int sink_service(void *ctx, const bk_service *sv)
{
    api_schedule *s = ctx;
    if (s->service)
        return BK_OK;
    s->service = rec_service_dup(sv);
    return s->service ? BK_OK : BK_ENOMEM;
}

static int sink_availability(void *ctx, const bk_availability *a)
{
    api_schedule *s = ctx;
    engine_weekly w = {a->weekday, a->start_minute, a->end_minute, a->is_available};
    return push((void **)&s->weekly, &s->n_weekly, &s->cap_weekly, sizeof w, &w);
}

static int sink_override(void *ctx, const bk_override *o)
{
    api_schedule *s = ctx;
    /* intervals are pointed at once loading is done: the array may move. */
    engine_override eo = {civil_days_from_bk_date(&o->date), o->n_intervals, NULL};
    for (size_t i = 0; i < o->n_intervals; i++)
        if (push((void **)&s->override_intervals, &s->n_override_intervals, &s->cap_override_intervals,
                 sizeof(bk_local_interval), &o->intervals[i]))
            return BK_ENOMEM;
    return push((void **)&s->overrides, &s->n_overrides, &s->cap_overrides, sizeof eo, &eo);
}

static int add_blocked(api_schedule *s, const bk_id *id, bk_time start, bk_time end)
{
    engine_period p = {start, end, s->n_blocked};
    size_t n_ids = s->n_blocked;
    if (push((void **)&s->blocked_ids, &n_ids, &s->cap_blocked_ids, sizeof(bk_id), id))
        return BK_ENOMEM;
    return push((void **)&s->blocked, &s->n_blocked, &s->cap_blocked, sizeof p, &p);
}

static int sink_blocked(void *ctx, const bk_blocked *b)
{
    api_schedule *s = ctx;
    if (!b->rrule || !*b->rrule)
        return add_blocked(s, &b->id, b->start, b->end);
    bk_blocked *copy = rec_blocked_dup(b);
    if (!copy)
        return BK_ENOMEM;
    /* An array of pointers: the element is the pointer.
     * NOLINTNEXTLINE(bugprone-sizeof-expression) */
    if (push((void **)&s->recurring, &s->n_recurring, &s->cap_recurring, sizeof copy, &copy)) {
        bk_blocked_free(copy);
        return BK_ENOMEM;
    }
    return BK_OK;
}

typedef struct expansion {
    api_schedule *s;
    const bk_id *id;
} expansion;

static int emit_occurrence(void *ctx, bk_time start, bk_time end)
{
    expansion *e = ctx;
    return add_blocked(e->s, e->id, start, end);
}

/* Recurring periods become plain ones over the window the engine reads;
 * each occurrence keeps the id of the period that carries the rule. */
static int expand_recurring(bk_db *db, api_schedule *s, bk_time from, bk_time to)
{
    for (size_t i = 0; i < s->n_recurring; i++) {
        const bk_blocked *b = s->recurring[i];
        rrule *r = NULL;
        char msg[512];
        int rc = rrule_parse(b->rrule, NULL, 0, &r, msg, sizeof msg);
        if (rc == BK_OK) {
            expansion e = {s, &b->id};
            rc = rrule_expand(r, s->zone, b->start, b->end, from, to, emit_occurrence, &e);
            rrule_free(r);
        }
        if (rc == BK_ENOMEM)
            return api_fail(db, rc, "out of memory expanding blocked period %s", b->id.s);
        if (rc != BK_OK)
            return api_fail(db, BK_ESTORE, "blocked period %s: stored %s", b->id.s, msg);
    }
    return BK_OK;
}

static int sink_booking(void *ctx, const bk_booking *b)
{
    api_schedule *s = ctx;
    if (b->status == BK_BOOKING_CANCELLED)
        return BK_OK;
    engine_period p = {b->start - (bk_time)b->buffer_before_minutes * 60,
                       b->end + (bk_time)b->buffer_after_minutes * 60, s->n_busy};
    size_t n_ids = s->n_busy;
    if (push((void **)&s->busy_ids, &n_ids, &s->cap_busy_ids, sizeof(bk_id), &b->id))
        return BK_ENOMEM;
    return push((void **)&s->busy, &s->n_busy, &s->cap_busy, sizeof p, &p);
}

static int sink_keyed(void *ctx, const bk_booking *b)
{
    api_schedule *s = ctx;
    if (s->keyed)
        return BK_OK;
    s->keyed = rec_booking_dup(b);
    return s->keyed ? BK_OK : BK_ENOMEM;
}

void api_schedule_free(api_schedule *s)
{
    bk_provider_free(s->provider);
    bk_service_free(s->service);
    bk_booking_free(s->keyed);
    bki_free(s->weekly);
    bki_free(s->overrides);
    bki_free(s->override_intervals);
    bki_free(s->blocked);
    bki_free(s->blocked_ids);
    for (size_t i = 0; i < s->n_recurring; i++)
        bk_blocked_free(s->recurring[i]);
    bki_free(s->recurring);
    bki_free(s->busy);
    bki_free(s->busy_ids);
    memset(s, 0, sizeof *s);
}

void api_schedule_forget_booking(api_schedule *s, const bk_id *id)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n_busy; i++)
        if (strcmp(s->busy_ids[s->busy[i].source].s, id->s) != 0)
            s->busy[kept++] = s->busy[i];
    s->n_busy = kept;
}

/* [from, to) is where the slots looked at start: the store may narrow its
 * bookings and blocked periods to what those slots can touch (store.h). */
static int load_once(bk_db *db, const bk_id *provider, const bk_id *service, bk_time from, bk_time to,
                     bk_time data_from, bk_time data_to, int64_t first_day, int64_t last_day, const char *key,
                     api_schedule *s)
{
    bk_schedule_request req;
    memset(&req, 0, sizeof req);
    req.version = 1;
    req.provider = *provider;
    req.service = *service;
    req.from = data_from;
    req.to = data_to;
    req.first_date = civil_bk_date_from_days(first_day);
    req.last_date = civil_bk_date_from_days(last_day);
    req.idempotency_key = key;
    req.slots_from = from;
    req.slots_to = to;
    bk_store_sink sink = {s, sink_provider, sink_service, sink_availability, sink_override,
                          sink_blocked, sink_booking, sink_keyed, NULL, NULL};
    int rc = db->store->schedule_load(db->store, &req, &sink, &db->err);
    if (rc == BK_ENOMEM && !db->err.message[0])
        api_fail(db, BK_ENOMEM, "out of memory loading the schedule");
    if (rc == BK_OK && !s->provider)
        rc = api_fail(db, BK_ENOTFOUND, "provider: %s not found", provider->s);
    if (rc == BK_OK && !s->service)
        rc = api_fail(db, BK_ENOTFOUND, "service: %s not found", service->s);
    if (rc == BK_OK && memcmp(&s->service->provider, provider, sizeof *provider) != 0)
        rc = api_fail(db, BK_ENOTFOUND, "service: %s is not a service of provider %s", service->s, provider->s);
    return api_store_result(db, rc);
}

static int load_zone(bk_db *db, api_schedule *s)
{
    char msg[256];
    int rc = tz_zone_get(s->provider->timezone, &s->zone, msg, sizeof msg);
    return rc == BK_OK ? BK_OK : api_fail(db, rc, "provider.timezone: %s", msg);
}

int api_schedule_load(bk_db *db, const bk_id *provider, const bk_id *service, bk_time from, bk_time to,
                      const char *idempotency_key, api_schedule *s)
{
    memset(s, 0, sizeof *s);
    bk_time data_from = from - LOAD_MARGIN, data_to = to + LOAD_MARGIN;
    int64_t first_day = civil_floor_div(data_from, 86400), last_day = civil_floor_div(data_to, 86400);
    int rc = load_once(db, provider, service, from, to, data_from, data_to, first_day, last_day, idempotency_key, s);
    if (rc == BK_OK)
        rc = load_zone(db, s);
    int64_t need_first = 0, need_last = 0;
    bk_time need_from = 0, need_to = 0;
    if (rc == BK_OK) {
        engine_load_window(s->zone, from, to, s->service->duration_minutes, s->service->buffer_before_minutes,
                           s->service->buffer_after_minutes, &need_first, &need_last, &need_from, &need_to);
        if (need_first < first_day || need_last > last_day || need_from < data_from || need_to > data_to) {
            api_schedule_free(s);
            rc = load_once(db, provider, service, from, to, need_from < data_from ? need_from : data_from,
                           need_to > data_to ? need_to : data_to, need_first < first_day ? need_first : first_day,
                           need_last > last_day ? need_last : last_day, idempotency_key, s);
            if (rc == BK_OK)
                rc = load_zone(db, s);
        }
    }
    if (rc == BK_OK)
        rc = expand_recurring(db, s, need_from, need_to);
    if (rc != BK_OK) {
        api_schedule_free(s);
        return rc;
    }
    size_t at = 0;
    for (size_t i = 0; i < s->n_overrides; i++) {
        s->overrides[i].intervals = s->overrides[i].n_intervals ? s->override_intervals + at : NULL;
        at += s->overrides[i].n_intervals;
    }
    return BK_OK;
}

void api_schedule_input(const api_schedule *s, bk_time from, bk_time to, bk_time now, engine_input *in)
{
    memset(in, 0, sizeof *in);
    in->zone = s->zone;
    in->weekly = s->weekly;
    in->n_weekly = s->n_weekly;
    in->overrides = s->overrides;
    in->n_overrides = s->n_overrides;
    in->blocked = s->blocked;
    in->n_blocked = s->n_blocked;
    in->busy = s->busy;
    in->n_busy = s->n_busy;
    in->duration_minutes = s->service->duration_minutes;
    in->buffer_before_minutes = s->service->buffer_before_minutes;
    in->buffer_after_minutes = s->service->buffer_after_minutes;
    in->step_minutes = s->service->slot_step_minutes ? s->service->slot_step_minutes : s->service->duration_minutes;
    in->notice_minutes = s->service->min_notice_minutes;
    in->horizon_days = s->service->horizon_days;
    in->from = from;
    in->to = to;
    in->now = now;
}

static int validate_query(bk_db *db, const bk_slot_query *q, bk_time *now)
{
    int rc;
    if ((rc = v_nonnull(db, "query", q)) || (rc = v_version(db, "query", q->version, BK_SLOT_QUERY_VERSION)) ||
        (rc = v_id(db, "provider", &q->provider)) || (rc = v_id(db, "service", &q->service)) ||
        (rc = v_time(db, "from", q->from)) || (rc = v_time(db, "to", q->to)))
        return rc;
    if (q->to <= q->from)
        return api_fail(db, BK_EINVAL, "to: must be after from");
    if (q->to - q->from > BK_SLOT_WINDOW_MAX)
        return api_fail(db, BK_EINVAL, "to: the window is longer than %lld days", (long long)(BK_SLOT_WINDOW_MAX / 86400));
    *now = q->now == BK_TIME_UNSET ? api_clock() : q->now;
    return v_time(db, "now", *now);
}

/* DESIGN.md 3.6: an inactive service is an error, never an empty list. */
static int require_active(bk_db *db, const api_schedule *s)
{
    if (!s->service->active)
        return api_fail(db, BK_EINVAL, "service: %s is inactive", s->service->id.s);
    return BK_OK;
}

BK_API int bk_slots(bk_db *db, const bk_slot_query *q, bk_slot **out, size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)))
        return rc;
    bk_time now;
    if ((rc = validate_query(db, q, &now)))
        return rc;
    api_schedule s;
    if ((rc = api_schedule_load(db, &q->provider, &q->service, q->from, q->to, NULL, &s)))
        return rc;
    if ((rc = require_active(db, &s)) == BK_OK) {
        engine_input in;
        api_schedule_input(&s, q->from, q->to, now, &in);
        rc = engine_slots(&in, out, n);
        if (rc != BK_OK)
            rc = api_fail(db, rc, "out of memory computing slots");
    }
    api_schedule_free(&s);
    return rc;
}

BK_API void bk_slots_free(bk_slot *slots) { bki_free(slots); }

BK_API const char *bk_slot_reason_name(bk_slot_reason reason)
{
    switch (reason) {
    case BK_SLOT_OFFERED: return "offered";
    case BK_SLOT_OUTSIDE_WINDOW: return "outside_window";
    case BK_SLOT_OUTSIDE_WORKING_TIME: return "outside_working_time";
    case BK_SLOT_OFF_GRID: return "off_grid";
    case BK_SLOT_BLOCKED: return "blocked";
    case BK_SLOT_NOTICE: return "notice";
    case BK_SLOT_HORIZON: return "horizon";
    case BK_SLOT_CONFLICT: return "conflict";
    }
    return "unknown reason";
}

static void iso(bk_time t, char buf[BK_ISO_SIZE])
{
    if (bk_time_format_iso(t, buf) != BK_OK)
        strcpy(buf, "?");
}

int api_schedule_explain(bk_db *db, const api_schedule *s, const engine_input *in, bk_time start,
                         bk_slot_verdict *out)
{
    engine_verdict v;
    int rc = engine_explain(in, start, &v);
    if (rc != BK_OK)
        return api_fail(db, rc, "out of memory explaining a slot");
    unsigned version = out->version;
    memset(out, 0, sizeof *out);
    out->version = version;
    out->reason = v.reason;
    out->start = start;
    out->end = start + (bk_time)in->duration_minutes * 60;
    char a[BK_ISO_SIZE], b[BK_ISO_SIZE], c[BK_ISO_SIZE], d[BK_ISO_SIZE];
    iso(out->start, a);
    iso(out->end, b);
    switch (v.reason) {
    case BK_SLOT_OFFERED:
        snprintf(out->message, sizeof out->message, "%s-%s is offered", a, b);
        break;
    case BK_SLOT_OUTSIDE_WINDOW:
        iso(in->from, c);
        iso(in->to, d);
        snprintf(out->message, sizeof out->message, "%s is outside the query window [%s, %s)", a, c, d);
        break;
    case BK_SLOT_OUTSIDE_WORKING_TIME:
        snprintf(out->message, sizeof out->message, "%s-%s is not inside the provider's working hours", a, b);
        break;
    case BK_SLOT_OFF_GRID:
        snprintf(out->message, sizeof out->message,
                 "%s is inside working hours but not on the slot grid (every %d minutes from the start of each "
                 "working interval)",
                 a, in->step_minutes);
        break;
    case BK_SLOT_BLOCKED: {
        const engine_period *p = &s->blocked[v.source];
        out->related = s->blocked_ids[p->source];
        iso(p->start, c);
        iso(p->end, d);
        snprintf(out->message, sizeof out->message, "%s-%s overlaps blocked period %s [%s, %s)", a, b,
                 out->related.s, c, d);
        break;
    }
    case BK_SLOT_NOTICE:
        iso(in->now + (bk_time)in->notice_minutes * 60, c);
        snprintf(out->message, sizeof out->message, "%s is too soon: minimum notice %d minutes, earliest %s", a,
                 in->notice_minutes, c);
        break;
    case BK_SLOT_HORIZON:
        iso(in->now + (bk_time)in->horizon_days * 86400, c);
        snprintf(out->message, sizeof out->message, "%s is too far ahead: horizon %d days, before %s", a,
                 in->horizon_days, c);
        break;
    case BK_SLOT_CONFLICT: {
        const engine_period *p = &s->busy[v.source];
        out->related = s->busy_ids[p->source];
        iso(p->start, c);
        iso(p->end, d);
        snprintf(out->message, sizeof out->message,
                 "%s-%s (with buffers) conflicts with booking %s, occupied [%s, %s)", a, b, out->related.s, c, d);
        break;
    }
    }
    return BK_OK;
}

BK_API int bk_slot_explain(bk_db *db, const bk_slot_query *q, bk_time start, bk_slot_verdict *out)
{
    API_ENTER(db);
    int rc;
    bk_time now;
    if ((rc = v_nonnull(db, "out", out)) ||
        (rc = v_version(db, "verdict", out->version, BK_SLOT_VERDICT_VERSION)) ||
        (rc = validate_query(db, q, &now)) || (rc = v_time(db, "start", start)))
        return rc;
    api_schedule s;
    bk_time lo = start < q->from ? start : q->from, hi = start >= q->to ? start + 1 : q->to;
    if ((rc = api_schedule_load(db, &q->provider, &q->service, lo, hi, NULL, &s)))
        return rc;
    if ((rc = require_active(db, &s)) == BK_OK) {
        engine_input in;
        api_schedule_input(&s, q->from, q->to, now, &in);
        rc = api_schedule_explain(db, &s, &in, start, out);
    }
    api_schedule_free(&s);
    return rc;
}
