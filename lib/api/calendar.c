/* A provider's calendar: weekly availability, date overrides, blocked
 * periods. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "calendar/rrule.h"
#include "util/alloc.h"

/* ---- weekly availability ---- */

BK_API int bk_availability_add(bk_db *db, const bk_availability *spec, bk_id *out_id)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "availability", spec)) ||
        (rc = v_version(db, "availability", spec->version, BK_AVAILABILITY_VERSION)) ||
        (rc = v_int(db, "weekday", spec->weekday, 0, 6)) ||
        (rc = v_local_interval(db, "start_minute/end_minute", spec->start_minute, spec->end_minute)) ||
        (rc = v_int(db, "is_available", spec->is_available, 0, 1)) ||
        (rc = api_require_provider(db, "provider", &spec->provider)))
        return rc;
    bk_availability a = *spec;
    a.version = BK_AVAILABILITY_VERSION;
    if ((rc = api_new_id(db, &a.id)))
        return rc;
    rc = db->store->availability_insert(db->store, &a, &db->err);
    if (rc == BK_OK && out_id)
        *out_id = a.id;
    return api_store_result(db, rc);
}

BK_API int bk_availability_list(bk_db *db, const bk_id *provider, bk_availability ***out, size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)) || (rc = v_id(db, "provider", provider)))
        return rc;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->availability_list(db->store, provider, &sink, &db->err);
    return api_list_result(db, rc, &c, (void ***)out, n);
}

BK_API int bk_availability_delete(bk_db *db, const bk_id *id)
{
    API_ENTER(db);
    int rc = v_id(db, "id", id);
    if (rc)
        return rc;
    return api_store_result(db, db->store->availability_delete(db->store, id, &db->err));
}

/* ---- date overrides ---- */

BK_API int bk_override_set(bk_db *db, const bk_override *spec)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "override", spec)) ||
        (rc = v_version(db, "override", spec->version, BK_OVERRIDE_VERSION)) ||
        (rc = v_date(db, "date", &spec->date)) ||
        (rc = v_int(db, "n_intervals", (long long)spec->n_intervals, 0, BK_OVERRIDE_MAX_INTERVALS)))
        return rc;
    if (spec->n_intervals && !spec->intervals)
        return api_fail(db, BK_EINVAL, "intervals: NULL with n_intervals = %zu", spec->n_intervals);
    for (size_t i = 0; i < spec->n_intervals; i++) {
        char field[32];
        snprintf(field, sizeof field, "intervals[%zu]", i);
        if ((rc = v_local_interval(db, field, spec->intervals[i].start_minute, spec->intervals[i].end_minute)))
            return rc;
    }
    if ((rc = api_require_provider(db, "provider", &spec->provider)))
        return rc;
    bk_override o = *spec;
    o.version = BK_OVERRIDE_VERSION;
    if (!o.n_intervals)
        o.intervals = NULL;
    return api_store_result(db, db->store->override_put(db->store, &o, &db->err));
}

BK_API int bk_override_list(bk_db *db, const bk_id *provider, const bk_date *from, const bk_date *to,
                            bk_override ***out, size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)) || (rc = v_id(db, "provider", provider)) ||
        (rc = v_date(db, "from", from)) || (rc = v_date(db, "to", to)))
        return rc;
    if (to->year * 10000 + to->month * 100 + to->day < from->year * 10000 + from->month * 100 + from->day)
        return api_fail(db, BK_EINVAL, "to: %04d-%02d-%02d is before from", to->year, to->month, to->day);
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->override_list(db->store, provider, from, to, &sink, &db->err);
    return api_list_result(db, rc, &c, (void ***)out, n);
}

BK_API int bk_override_delete(bk_db *db, const bk_id *provider, const bk_date *date)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_id(db, "provider", provider)) || (rc = v_date(db, "date", date)))
        return rc;
    return api_store_result(db, db->store->override_delete(db->store, provider, date, &db->err));
}

/* ---- blocked periods ---- */

static int check_rule(bk_db *db, const bk_blocked *spec)
{
    bk_provider *p = NULL;
    int rc = bk_provider_get(db, &spec->provider, &p);
    if (rc)
        return rc;
    const tz_zone *zone = NULL;
    rrule *r = NULL;
    char msg[512];
    rc = tz_zone_get(p->timezone, &zone, msg, sizeof msg);
    if (rc == BK_OK)
        rc = rrule_parse(spec->rrule, NULL, 0, &r, msg, sizeof msg);
    if (rc == BK_OK)
        rc = rrule_check_start(r, zone, spec->start, msg, sizeof msg);
    rrule_free(r);
    bk_provider_free(p);
    if (rc == BK_OK)
        return BK_OK;
    if (rc == BK_ENOMEM)
        return api_fail(db, rc, "out of memory");
    char quoted[300];
    return api_fail(db, rc, "%s (rule '%s')", msg, api_quote(quoted, sizeof quoted, spec->rrule, 200));
}

BK_API int bk_blocked_add(bk_db *db, const bk_blocked *spec, bk_id *out_id)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "blocked", spec)) ||
        (rc = v_version(db, "blocked", spec->version, BK_BLOCKED_VERSION)) ||
        (rc = v_time(db, "start", spec->start)) || (rc = v_time(db, "end", spec->end)))
        return rc;
    if (spec->end <= spec->start)
        return api_fail(db, BK_EINVAL, "end: must be after start");
    if ((rc = v_text(db, "rrule", spec->rrule, 0, 1000)) || (rc = v_text(db, "reason", spec->reason, 0, 1000)))
        return rc;
    if ((rc = api_require_provider(db, "provider", &spec->provider)))
        return rc;
    /* A rule is checked when it is stored (DESIGN.md 3.4): a rule that
     * failed later, at query time, would offer slots the provider meant to
     * block.  Its first occurrence must match it in the provider's zone. */
    if (spec->rrule && *spec->rrule && (rc = check_rule(db, spec)))
        return rc;
    bk_blocked b = *spec;
    b.version = BK_BLOCKED_VERSION;
    b.rrule = spec->rrule && *spec->rrule ? spec->rrule : NULL;
    if ((rc = api_new_id(db, &b.id)))
        return rc;
    rc = db->store->blocked_insert(db->store, &b, &db->err);
    if (rc == BK_OK && out_id)
        *out_id = b.id;
    return api_store_result(db, rc);
}

BK_API int bk_blocked_list(bk_db *db, const bk_id *provider, bk_time from, bk_time to, bk_blocked ***out,
                           size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)) || (rc = v_id(db, "provider", provider)))
        return rc;
    if (to <= from)
        return api_fail(db, BK_EINVAL, "to: must be after from");
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->blocked_list(db->store, provider, from, to, &sink, &db->err);
    return api_list_result(db, rc, &c, (void ***)out, n);
}

BK_API int bk_blocked_delete(bk_db *db, const bk_id *id)
{
    API_ENTER(db);
    int rc = v_id(db, "id", id);
    if (rc)
        return rc;
    return api_store_result(db, db->store->blocked_delete(db->store, id, &db->err));
}
