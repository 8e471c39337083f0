/* Customer data rights (GDPR: export, erase), retention (anonymise) and
 * the archive of final bookings. */
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "util/alloc.h"

/* The export's format; README "Customer data export" documents it. */
#define EXPORT_FORMAT "libbooking.customer-export"
#define EXPORT_FORMAT_VERSION 1

static json_t *time_json(bk_time t)
{
    char iso[BK_ISO_SIZE];
    if (t == BK_TIME_UNSET || bk_time_format_iso(t, iso) != BK_OK)
        return json_null();
    return json_string(iso);
}

static json_t *text_json(const char *s) { return s ? json_string(s) : json_null(); }

/* json_object_set_new that remembers a failure (out of memory, or text
 * that is not UTF-8 -- which validation keeps out of the store). */
static void put(json_t *o, const char *k, json_t *v, int *failed)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *failed = 1;
}

static json_t *booking_json(const bk_booking *b)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int failed = 0;
    put(o, "id", json_string(b->id.s), &failed);
    put(o, "provider_id", json_string(b->provider.s), &failed);
    put(o, "service_id", json_string(b->service.s), &failed);
    put(o, "start", time_json(b->start), &failed);
    put(o, "end", time_json(b->end), &failed);
    put(o, "status", json_string(bk_booking_status_name(b->status)), &failed);
    put(o, "customer_name", text_json(b->customer_name), &failed);
    put(o, "customer_email", text_json(b->customer_email), &failed);
    put(o, "customer_phone", text_json(b->customer_phone), &failed);
    put(o, "customer_timezone", text_json(b->customer_timezone), &failed);
    put(o, "notes", text_json(b->notes), &failed);
    put(o, "cancellation_reason", text_json(b->cancellation_reason), &failed);
    put(o, "created_at", time_json(b->created_at), &failed);
    put(o, "updated_at", time_json(b->updated_at), &failed);
    put(o, "confirmed_at", time_json(b->confirmed_at), &failed);
    put(o, "cancelled_at", time_json(b->cancelled_at), &failed);
    put(o, "archived_at", time_json(b->archived_at), &failed);
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static char *export_document(const char *email, bk_time now, bk_booking **list, size_t n)
{
    json_t *doc = json_object(), *arr = json_array();
    int failed = !doc || !arr;
    if (!failed) {
        put(doc, "format", json_string(EXPORT_FORMAT), &failed);
        put(doc, "format_version", json_integer(EXPORT_FORMAT_VERSION), &failed);
        put(doc, "customer_email", json_string(email), &failed);
        put(doc, "exported_at", time_json(now), &failed);
        for (size_t i = 0; i < n && !failed; i++)
            if (json_array_append_new(arr, booking_json(list[i])) != 0)
                failed = 1;
        put(doc, "bookings", arr, &failed);
        arr = NULL;
    }
    json_decref(arr);
    char *text = failed ? NULL : json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text)
        return NULL;
    /* Handed out to be freed with bk_string_free (the library's
     * allocator), not jansson's. */
    char *copy = bki_strdup(text);
    free(text);
    return copy;
}

BK_API int bk_customer_export(bk_db *db, const char *customer_email, char **out_json)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "out_json", out_json)))
        return rc;
    *out_json = NULL;
    api_email email;
    if ((rc = api_email_forms(db, "customer_email", customer_email, &email)))
        return rc;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = api_store_result(db, db->store->booking_find_by_email(db->store, email.key, &sink, &db->err));
    if (rc == BK_OK) {
        *out_json = export_document(email.nfc, api_clock(), (bk_booking **)c.items, c.n);
        if (!*out_json)
            rc = api_fail(db, BK_ENOMEM, "out of memory writing the export");
    }
    api_collect_free(&c, bki_free);
    api_email_free(&email);
    return rc;
}

BK_API int bk_customer_erase(bk_db *db, const char *customer_email, size_t *n_erased)
{
    API_ENTER(db);
    if (n_erased)
        *n_erased = 0;
    api_email email;
    int rc = api_email_forms(db, "customer_email", customer_email, &email);
    if (rc)
        return rc;
    size_t n = 0;
    rc = db->store->bookings_erase(db->store, email.key, BK_TIME_UNSET, api_clock(), &n, &db->err);
    api_email_free(&email);
    if (rc == BK_OK && n_erased)
        *n_erased = n;
    return api_store_result(db, rc);
}

BK_API int bk_bookings_anonymise(bk_db *db, bk_time ended_before, size_t *n_anonymised)
{
    API_ENTER(db);
    if (n_anonymised)
        *n_anonymised = 0;
    int rc = v_time(db, "ended_before", ended_before);
    if (rc)
        return rc;
    size_t n = 0;
    rc = db->store->bookings_erase(db->store, NULL, ended_before, api_clock(), &n, &db->err);
    if (rc == BK_OK && n_anonymised)
        *n_anonymised = n;
    return api_store_result(db, rc);
}

BK_API int bk_booking_archive(bk_db *db, bk_time ended_before, size_t batch_size, size_t *n_archived)
{
    API_ENTER(db);
    if (n_archived)
        *n_archived = 0;
    int rc;
    if ((rc = v_time(db, "ended_before", ended_before)) ||
        (rc = v_int(db, "batch_size", batch_size > 100000 ? 100001 : (long long)batch_size, 1, 100000)))
        return rc;
    size_t total = 0, moved;
    bk_time now = api_clock();
    /* One transaction per batch: a batch holds its rows' locks only while
     * it runs, so new bookings wait for one batch at most. */
    do {
        moved = 0;
        rc = db->store->booking_archive(db->store, ended_before, batch_size, now, &moved, &db->err);
        total += moved;
    } while (rc == BK_OK && moved == batch_size);
    if (n_archived)
        *n_archived = total;
    return api_store_result(db, rc);
}
