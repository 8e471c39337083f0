/* Providers: who is booked. */
#include "api/api.h"
#include "util/alloc.h"
#include "util/strutil.h"

static int validate_provider(bk_db *db, const bk_provider *p)
{
    int rc;
    if ((rc = v_nonnull(db, "provider", p)) || (rc = v_version(db, "provider", p->version, BK_PROVIDER_VERSION)) ||
        (rc = v_text(db, "username", p->username, 1, 64)) || (rc = v_email(db, "email", p->email, 1)) ||
        (rc = v_text(db, "full_name", p->full_name, 1, 200)) ||
        (rc = v_zone(db, "timezone", p->timezone, NULL)) ||
        (rc = v_text(db, "business_name", p->business_name, 0, 200)) ||
        (rc = v_text(db, "description", p->description, 0, 4000)) ||
        (rc = v_text(db, "avatar_url", p->avatar_url, 0, 2000)))
        return rc;
    return BK_OK;
}

/* The keys under which the backend enforces case-insensitive uniqueness. */
static int fold_keys(bk_db *db, const bk_provider *p, char **ukey, char **ekey)
{
    *ukey = *ekey = NULL;
    int r = strutil_fold_key(p->username, ukey);
    if (r == 0)
        r = strutil_fold_key(p->email, ekey);
    if (r == 0)
        return BK_OK;
    bki_free(*ukey);
    *ukey = NULL;
    return r == -2 ? api_fail(db, BK_ENOMEM, "out of memory") : api_fail(db, BK_EINVAL, "username/email: not valid text");
}

BK_API int bk_provider_create(bk_db *db, const bk_provider *spec, bk_id *out_id)
{
    API_ENTER(db);
    int rc = validate_provider(db, spec);
    if (rc)
        return rc;
    bk_provider p = *spec;
    p.version = BK_PROVIDER_VERSION;
    if ((rc = api_new_id(db, &p.id)))
        return rc;
    p.created_at = p.updated_at = api_clock();
    char *ukey, *ekey;
    if ((rc = fold_keys(db, &p, &ukey, &ekey)))
        return rc;
    rc = db->store->provider_insert(db->store, &p, ukey, ekey, &db->err);
    bki_free(ukey);
    bki_free(ekey);
    if (rc == BK_OK && out_id)
        *out_id = p.id;
    return api_store_result(db, rc);
}

BK_API int bk_provider_get(bk_db *db, const bk_id *id, bk_provider **out)
{
    API_ENTER(db);
    return api_get_by_id(db, id, (void **)out, db->store->provider_get, "provider");
}

BK_API int bk_provider_update(bk_db *db, const bk_provider *spec)
{
    API_ENTER(db);
    int rc = validate_provider(db, spec);
    if (rc || (rc = v_id(db, "provider.id", &spec->id)))
        return rc;
    bk_provider *old = NULL;
    if ((rc = bk_provider_get(db, &spec->id, &old)))
        return rc;
    bk_provider p = *spec;
    p.version = BK_PROVIDER_VERSION;
    p.created_at = old->created_at;
    p.updated_at = api_clock();
    bk_provider_free(old);
    char *ukey, *ekey;
    if ((rc = fold_keys(db, &p, &ukey, &ekey)))
        return rc;
    rc = db->store->provider_update(db->store, &p, ukey, ekey, &db->err);
    bki_free(ukey);
    bki_free(ekey);
    return api_store_result(db, rc);
}

BK_API int bk_provider_list(bk_db *db, bk_provider ***out, size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)))
        return rc;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->provider_list(db->store, &sink, &db->err);
    return api_list_result(db, rc, &c, (void ***)out, n);
}

BK_API int bk_provider_delete(bk_db *db, const bk_id *id)
{
    API_ENTER(db);
    int rc = v_id(db, "id", id);
    if (rc)
        return rc;
    return api_store_result(db, db->store->provider_delete(db->store, id, &db->err));
}

int api_require_provider(bk_db *db, const char *field, const bk_id *id)
{
    int rc = v_id(db, field, id);
    if (rc)
        return rc;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->provider_get(db->store, id, &sink, &db->err);
    if (rc == BK_OK && c.n == 0)
        rc = BK_ENOTFOUND;
    api_collect_free(&c, bki_free);
    if (rc == BK_ENOTFOUND)
        return api_fail(db, BK_ENOTFOUND, "%s: provider %s not found", field, id->s);
    return api_store_result(db, rc);
}
