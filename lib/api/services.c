/* Services: what is booked, and the settings that govern slots and booking. */
#include "api/api.h"
#include "util/alloc.h"

static int validate_service(bk_db *db, const bk_service *s)
{
    int rc;
    if ((rc = v_nonnull(db, "service", s)) || (rc = v_version(db, "service", s->version, BK_SERVICE_VERSION)) ||
        (rc = v_text(db, "name", s->name, 1, 200)) || (rc = v_text(db, "description", s->description, 0, 4000)) ||
        (rc = v_int(db, "duration_minutes", s->duration_minutes, 1, 1440)) ||
        (rc = v_int(db, "buffer_before_minutes", s->buffer_before_minutes, 0, 1440)) ||
        (rc = v_int(db, "buffer_after_minutes", s->buffer_after_minutes, 0, 1440)) ||
        (rc = v_int(db, "slot_step_minutes", s->slot_step_minutes, 0, 1440)) ||
        (rc = v_int(db, "min_notice_minutes", s->min_notice_minutes, 0, 525600)) ||
        (rc = v_int(db, "horizon_days", s->horizon_days, 0, 3650)) ||
        (rc = v_int(db, "price_minor", s->price_minor, 0, (long long)1 << 53)) ||
        (rc = v_currency(db, "currency", s->currency)) || (rc = v_int(db, "active", s->active, 0, 1)) ||
        (rc = v_int(db, "display_order", s->display_order, -1000000, 1000000)) ||
        (rc = v_int(db, "requires_confirmation", s->requires_confirmation, 0, 1)))
        return rc;
    return BK_OK;
}

BK_API int bk_service_create(bk_db *db, const bk_service *spec, bk_id *out_id)
{
    API_ENTER(db);
    int rc = validate_service(db, spec);
    if (rc || (rc = api_require_provider(db, "provider", &spec->provider)))
        return rc;
    bk_service s = *spec;
    s.version = BK_SERVICE_VERSION;
    if ((rc = api_new_id(db, &s.id)))
        return rc;
    s.created_at = s.updated_at = api_clock();
    rc = db->store->service_insert(db->store, &s, &db->err);
    if (rc == BK_OK && out_id)
        *out_id = s.id;
    return api_store_result(db, rc);
}

BK_API int bk_service_get(bk_db *db, const bk_id *id, bk_service **out)
{
    API_ENTER(db);
    return api_get_by_id(db, id, (void **)out, db->store->service_get, "service");
}

BK_API int bk_service_update(bk_db *db, const bk_service *spec)
{
    API_ENTER(db);
    int rc = validate_service(db, spec);
    if (rc || (rc = v_id(db, "service.id", &spec->id)))
        return rc;
    bk_service *old = NULL;
    if ((rc = bk_service_get(db, &spec->id, &old)))
        return rc;
    bk_service s = *spec;
    s.version = BK_SERVICE_VERSION;
    s.provider = old->provider;
    s.created_at = old->created_at;
    s.updated_at = api_clock();
    bk_service_free(old);
    return api_store_result(db, db->store->service_update(db->store, &s, &db->err));
}

BK_API int bk_service_list(bk_db *db, const bk_id *provider, bk_service ***out, size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)))
        return rc;
    if ((rc = v_id(db, "provider", provider)))
        return rc;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->service_list(db->store, provider, &sink, &db->err);
    return api_list_result(db, rc, &c, (void ***)out, n);
}

BK_API int bk_service_deactivate(bk_db *db, const bk_id *id)
{
    API_ENTER(db);
    bk_service *s = NULL;
    int rc = bk_service_get(db, id, &s);
    if (rc)
        return rc;
    s->active = 0;
    s->updated_at = api_clock();
    rc = db->store->service_update(db->store, s, &db->err);
    bk_service_free(s);
    return api_store_result(db, rc);
}
