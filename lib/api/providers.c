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

/* Username and email are stored NFC-normalised, so that the same text
 * typed on two keyboards is stored as one byte string; *nu and *ne are the
 * copies p now points at (bki_free both). */
static int normalise(bk_db *db, bk_provider *p, char **nu, char **ne)
{
    *nu = *ne = NULL;
    int r = strutil_nfc(p->username, nu);
    if (r == 0)
        r = strutil_nfc(p->email, ne);
    if (r != 0) {
        bki_free(*nu);
        *nu = NULL;
        return r == -2 ? api_fail(db, BK_ENOMEM, "out of memory") : api_fail(db, BK_EINVAL, "username/email: not valid text");
    }
    p->username = *nu;
    p->email = *ne;
    return BK_OK;
}

/* Stores p (insert or update) under its normalised names and keys. */
static int store_provider(bk_db *db, bk_provider *p, int insert)
{
    char *nu, *ne, *ukey = NULL, *ekey = NULL;
    int rc = normalise(db, p, &nu, &ne);
    if (rc == BK_OK && (rc = fold_keys(db, p, &ukey, &ekey)) == BK_OK)
        rc = insert ? db->store->provider_insert(db->store, p, ukey, ekey, &db->err)
                    : db->store->provider_update(db->store, p, ukey, ekey, &db->err);
    bki_free(ukey);
    bki_free(ekey);
    bki_free(nu);
    bki_free(ne);
    return rc;
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
    p.deleted_at = BK_TIME_UNSET;
    rc = store_provider(db, &p, 1);
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
    p.deleted_at = old->deleted_at;
    p.updated_at = api_clock();
    bk_provider_free(old);
    return api_store_result(db, store_provider(db, &p, 0));
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
    return api_store_result(db, db->store->provider_set_deleted(db->store, id, api_clock(), &db->err));
}

BK_API int bk_provider_restore(bk_db *db, const bk_id *id)
{
    API_ENTER(db);
    int rc = v_id(db, "id", id);
    if (rc)
        return rc;
    return api_store_result(db, db->store->provider_set_deleted(db->store, id, BK_TIME_UNSET, &db->err));
}

BK_API int bk_provider_purge(bk_db *db, bk_time deleted_before, size_t *n_purged)
{
    API_ENTER(db);
    if (n_purged)
        *n_purged = 0;
    int rc = v_time(db, "deleted_before", deleted_before);
    if (rc)
        return rc;
    size_t n = 0;
    rc = db->store->provider_purge(db->store, deleted_before, &n, &db->err);
    if (rc == BK_OK && n_purged)
        *n_purged = n;
    return api_store_result(db, rc);
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
    int deleted = rc == BK_OK && ((bk_provider *)c.items[0])->deleted_at != BK_TIME_UNSET;
    api_collect_free(&c, bki_free);
    if (rc == BK_ENOTFOUND)
        return api_fail(db, BK_ENOTFOUND, "%s: provider %s not found", field, id->s);
    if (deleted)
        return api_fail(db, BK_ENOTFOUND, "%s: provider %s is deleted", field, id->s);
    return api_store_result(db, rc);
}
