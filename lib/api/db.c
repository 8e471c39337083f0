/* Handles, versions and errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "store/memory.h"
#include "store/postgres.h"
#include "util/alloc.h"
#include "util/strutil.h"

/* The error slot of calls that have no handle (bk_open among them). */
static _Thread_local bk_store_err thread_err;

BK_API const char *bk_version(void) { return BK_VERSION_STRING; }

BK_API int bk_version_number(void) { return BK_VERSION_NUMBER; }

BK_API const char *bk_strerror(int status)
{
    switch (status) {
    case BK_OK: return "success";
    case BK_EINVAL: return "invalid argument";
    case BK_ENOTFOUND: return "not found";
    case BK_ECONFLICT: return "conflicts with an existing booking";
    case BK_EUNAVAILABLE: return "time not available";
    case BK_ESTALE: return "stale version: changed by someone else";
    case BK_ESTATE: return "not allowed in the booking's current state";
    case BK_ENOMEM: return "out of memory";
    case BK_EEXISTS: return "already exists";
    case BK_ESTORE: return "storage error";
    case BK_ECONNECTION: return "connection to the store lost";
    case BK_EUNKNOWN: return "outcome unknown: the commit may or may not have happened";
    case BK_EMISUSE: return "library misuse";
    default: return "unknown status";
    }
}

BK_API const char *bk_errmsg(const bk_db *db)
{
    return db ? db->err.message : thread_err.message;
}

BK_API int bk_errcode(const bk_db *db) { return db ? db->err.code : thread_err.code; }

void api_begin(bk_db *db) { store_err_clear(&db->err); }

void api_thread_begin(void) { store_err_clear(&thread_err); }

int(api_fail)(bk_db *db, int code, const char *fmt, ...) /* parenthesised: see api.h */
{
    bk_store_err *err = db ? &db->err : &thread_err;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

int api_store_result(bk_db *db, int rc)
{
    if (rc == BK_OK)
        return BK_OK;
    db->err.code = rc;
    if (db->err.message[0] == '\0')
        snprintf(db->err.message, sizeof db->err.message, "%s: %s", db->store->name, bk_strerror(rc));
    return rc;
}

bk_time api_clock(void) { return (bk_time)time(NULL); }

/* Every method must be present: the library calls them unguarded. */
static int store_complete(const bk_store *s)
{
    return s->close && s->provider_insert && s->provider_update && s->provider_get && s->provider_list &&
           s->service_insert && s->service_update && s->service_get && s->service_list &&
           s->availability_insert && s->availability_delete && s->availability_list && s->override_put &&
           s->override_delete && s->override_list && s->blocked_insert && s->blocked_delete && s->blocked_list &&
           s->booking_insert && s->booking_get && s->booking_list && s->booking_update && s->schedule_load &&
           s->provider_set_deleted && s->provider_purge && s->provider_password_set && s->provider_login &&
           s->token_insert && s->token_get && s->token_redeem && s->booking_find_by_email && s->bookings_erase &&
           s->booking_archive;
}

BK_API int bk_open_store(bk_db **out, bk_store *store)
{
    api_thread_begin();
    if (out)
        *out = NULL;
    if (!out)
        return api_fail(NULL, BK_EINVAL, "out: NULL");
    if (!store)
        return api_fail(NULL, BK_EINVAL, "store: NULL");
    if (store->version != BK_STORE_VERSION) {
        unsigned v = store->version;
        if (store->close)
            store->close(store);
        return api_fail(NULL, BK_EMISUSE, "store.version: %u is not a known backend version (this library knows %d)",
                        v, BK_STORE_VERSION);
    }
    if (!store_complete(store) || !store->name) {
        if (store->close)
            store->close(store);
        return api_fail(NULL, BK_EMISUSE, "store: a method or the name is missing");
    }
    bk_db *db = bki_calloc(1, sizeof *db);
    if (!db) {
        store->close(store);
        return api_fail(NULL, BK_ENOMEM, "out of memory opening a handle");
    }
    db->store = store;
    *out = db;
    return BK_OK;
}

BK_API void bk_open_options_init(bk_open_options *o)
{
    if (o) {
        bk_open_options init = BK_OPEN_OPTIONS_INIT;
        *o = init;
    }
}

BK_API int bk_open(bk_db **out, const char *uri) { return bk_open_ext(out, uri, NULL); }

BK_API int bk_open_ext(bk_db **out, const char *uri, const bk_open_options *options)
{
    api_thread_begin();
    if (out)
        *out = NULL;
    if (!out)
        return api_fail(NULL, BK_EINVAL, "out: NULL");
    if (!uri)
        return api_fail(NULL, BK_EINVAL, "uri: NULL");
    if (!strutil_utf8_valid(uri, strlen(uri)))
        return api_fail(NULL, BK_EINVAL, "uri: not valid UTF-8");
    bk_open_options defaults = BK_OPEN_OPTIONS_INIT;
    if (!options)
        options = &defaults;
    if (options->version == 0 || options->version > BK_OPEN_OPTIONS_VERSION)
        return api_fail(NULL, BK_EINVAL, "options.version: %u is not a struct version this library knows (1..%d)",
                        options->version, BK_OPEN_OPTIONS_VERSION);
    if (options->migrate != 0 && options->migrate != 1)
        return api_fail(NULL, BK_EINVAL, "options.migrate: %d is not 0 or 1", options->migrate);
    if (options->booking_partitions != 0 &&
        (options->booking_partitions < 2 || options->booking_partitions > 256))
        return api_fail(NULL, BK_EINVAL, "options.booking_partitions: %d is not 0 or 2..256",
                        options->booking_partitions);
    if (strncmp(uri, "memory:", 7) == 0) {
        const char *name = uri + 7;
        if (strlen(name) > 200)
            return api_fail(NULL, BK_EINVAL, "uri: memory store name longer than 200 bytes");
        bk_store *store = NULL;
        bk_store_err err;
        store_err_clear(&err);
        int rc = memory_store_open(name, &store, &err);
        if (rc != BK_OK)
            return api_fail(NULL, rc, "%s", err.message[0] ? err.message : bk_strerror(rc));
        return bk_open_store(out, store);
    }
    char q[500];
    if (pg_store_accepts(uri)) {
        bk_store *store = NULL;
        bk_store_err err;
        store_err_clear(&err);
        int rc = pg_store_open(uri, options, &store, &err);
        if (rc != BK_OK)
            return api_fail(NULL, rc, "%s", err.message[0] ? err.message : bk_strerror(rc));
        return bk_open_store(out, store);
    }
    return api_fail(NULL, BK_EINVAL, "uri: no backend for '%s' (supported: \"memory:\", \"memory:NAME\", \"postgresql://...\", libpq conninfo)",
                    api_quote(q, sizeof q, uri, 100));
}

BK_API void bk_close(bk_db *db)
{
    if (!db)
        return;
    db->store->close(db->store);
    bki_free(db);
}
