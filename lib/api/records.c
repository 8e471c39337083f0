/* Record copies, init functions, free functions and collecting sinks. */
#include <string.h>

#include "api/api.h"
#include "util/alloc.h"

/* Strings are laid out after the struct in the same allocation. */
static size_t str_size(const char *s) { return s ? strlen(s) + 1 : 0; }

static const char *str_put(char **cursor, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*cursor, s, n);
    const char *placed = *cursor;
    *cursor += n;
    return placed;
}

bk_provider *rec_provider_dup(const bk_provider *p)
{
    size_t size = sizeof *p + str_size(p->username) + str_size(p->email) + str_size(p->full_name) +
                  str_size(p->timezone) + str_size(p->business_name) + str_size(p->description) +
                  str_size(p->avatar_url);
    bk_provider *c = bki_malloc(size);
    if (!c)
        return NULL;
    *c = *p;
    c->version = BK_PROVIDER_VERSION;
    char *cur = (char *)(c + 1);
    c->username = str_put(&cur, p->username);
    c->email = str_put(&cur, p->email);
    c->full_name = str_put(&cur, p->full_name);
    c->timezone = str_put(&cur, p->timezone);
    c->business_name = str_put(&cur, p->business_name);
    c->description = str_put(&cur, p->description);
    c->avatar_url = str_put(&cur, p->avatar_url);
    return c;
}

bk_service *rec_service_dup(const bk_service *s)
{
    size_t size = sizeof *s + str_size(s->name) + str_size(s->description) + str_size(s->currency);
    bk_service *c = bki_malloc(size);
    if (!c)
        return NULL;
    *c = *s;
    c->version = BK_SERVICE_VERSION;
    char *cur = (char *)(c + 1);
    c->name = str_put(&cur, s->name);
    c->description = str_put(&cur, s->description);
    c->currency = str_put(&cur, s->currency);
    return c;
}

bk_availability *rec_availability_dup(const bk_availability *a)
{
    bk_availability *c = bki_malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *a;
    c->version = BK_AVAILABILITY_VERSION;
    return c;
}

bk_override *rec_override_dup(const bk_override *o)
{
    size_t n = o->intervals ? o->n_intervals : 0;
    bk_override *c = bki_malloc(sizeof *c + n * sizeof(bk_local_interval));
    if (!c)
        return NULL;
    *c = *o;
    c->version = BK_OVERRIDE_VERSION;
    c->n_intervals = n;
    bk_local_interval *iv = (bk_local_interval *)(c + 1);
    if (n)
        memcpy(iv, o->intervals, n * sizeof *iv);
    c->intervals = n ? iv : NULL;
    return c;
}

bk_blocked *rec_blocked_dup(const bk_blocked *b)
{
    bk_blocked *c = bki_malloc(sizeof *c + str_size(b->rrule) + str_size(b->reason));
    if (!c)
        return NULL;
    *c = *b;
    c->version = BK_BLOCKED_VERSION;
    char *cur = (char *)(c + 1);
    c->rrule = str_put(&cur, b->rrule);
    c->reason = str_put(&cur, b->reason);
    return c;
}

bk_booking *rec_booking_dup(const bk_booking *b)
{
    size_t size = sizeof *b + str_size(b->idempotency_key) + str_size(b->customer_name) +
                  str_size(b->customer_email) + str_size(b->customer_phone) +
                  str_size(b->customer_timezone) + str_size(b->notes) +
                  str_size(b->cancellation_reason);
    bk_booking *c = bki_malloc(size);
    if (!c)
        return NULL;
    *c = *b;
    c->version = BK_BOOKING_VERSION;
    char *cur = (char *)(c + 1);
    c->idempotency_key = str_put(&cur, b->idempotency_key);
    c->customer_name = str_put(&cur, b->customer_name);
    c->customer_email = str_put(&cur, b->customer_email);
    c->customer_phone = str_put(&cur, b->customer_phone);
    c->customer_timezone = str_put(&cur, b->customer_timezone);
    c->notes = str_put(&cur, b->notes);
    c->cancellation_reason = str_put(&cur, b->cancellation_reason);
    return c;
}

/* ---- public init / free ---- */

BK_API void bk_provider_init(bk_provider *p)
{
    if (p) {
        bk_provider init = BK_PROVIDER_INIT;
        *p = init;
    }
}

BK_API void bk_service_init(bk_service *s)
{
    if (s) {
        bk_service init = BK_SERVICE_INIT;
        *s = init;
    }
}

BK_API void bk_availability_init(bk_availability *a)
{
    if (a) {
        bk_availability init = BK_AVAILABILITY_INIT;
        *a = init;
    }
}

BK_API void bk_override_init(bk_override *o)
{
    if (o) {
        bk_override init = BK_OVERRIDE_INIT;
        *o = init;
    }
}

BK_API void bk_blocked_init(bk_blocked *b)
{
    if (b) {
        bk_blocked init = BK_BLOCKED_INIT;
        *b = init;
    }
}

BK_API void bk_slot_query_init(bk_slot_query *q)
{
    if (q) {
        bk_slot_query init = BK_SLOT_QUERY_INIT;
        *q = init;
    }
}

BK_API void bk_book_request_init(bk_book_request *r)
{
    if (r) {
        bk_book_request init = BK_BOOK_REQUEST_INIT;
        *r = init;
    }
}

BK_API void bk_booking_filter_init(bk_booking_filter *f)
{
    if (f) {
        bk_booking_filter init = BK_BOOKING_FILTER_INIT;
        *f = init;
    }
}

BK_API void bk_provider_free(bk_provider *p) { bki_free(p); }
BK_API void bk_service_free(bk_service *s) { bki_free(s); }
BK_API void bk_availability_free(bk_availability *a) { bki_free(a); }
BK_API void bk_override_free(bk_override *o) { bki_free(o); }
BK_API void bk_blocked_free(bk_blocked *b) { bki_free(b); }
BK_API void bk_booking_free(bk_booking *b) { bki_free(b); }

/* Every record is one allocation, so one list-free serves every type. */
static void list_free(void **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        bki_free(list[i]);
    bki_free(list);
}

BK_API void bk_provider_list_free(bk_provider **list, size_t n) { list_free((void **)list, n); }
BK_API void bk_service_list_free(bk_service **list, size_t n) { list_free((void **)list, n); }
BK_API void bk_availability_list_free(bk_availability **list, size_t n) { list_free((void **)list, n); }
BK_API void bk_override_list_free(bk_override **list, size_t n) { list_free((void **)list, n); }
BK_API void bk_blocked_list_free(bk_blocked **list, size_t n) { list_free((void **)list, n); }
BK_API void bk_booking_list_free(bk_booking **list, size_t n) { list_free((void **)list, n); }

/* ---- collecting sinks ---- */

static int collect_push(api_collect *c, void *item)
{
    if (!item)
        return BK_ENOMEM;
    if (bki_grow((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items) != 0) {
        bki_free(item);
        return BK_ENOMEM;
    }
    c->items[c->n++] = item;
    return BK_OK;
}

static int collect_provider(void *ctx, const bk_provider *p) { return collect_push(ctx, rec_provider_dup(p)); }
static int collect_service(void *ctx, const bk_service *s) { return collect_push(ctx, rec_service_dup(s)); }
static int collect_availability(void *ctx, const bk_availability *a)
{
    return collect_push(ctx, rec_availability_dup(a));
}
static int collect_override(void *ctx, const bk_override *o) { return collect_push(ctx, rec_override_dup(o)); }
static int collect_blocked(void *ctx, const bk_blocked *b) { return collect_push(ctx, rec_blocked_dup(b)); }
static int collect_booking(void *ctx, const bk_booking *b) { return collect_push(ctx, rec_booking_dup(b)); }

bk_store_sink api_collect_sink(api_collect *c)
{
    bk_store_sink sink = {c,
                          collect_provider,
                          collect_service,
                          collect_availability,
                          collect_override,
                          collect_blocked,
                          collect_booking,
                          collect_booking,
                          NULL,
                          NULL};
    return sink;
}

void api_collect_free(api_collect *c, void (*free_one)(void *))
{
    for (size_t i = 0; i < c->n; i++)
        free_one(c->items[i]);
    bki_free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

void api_collect_take(api_collect *c, void ***out, size_t *n)
{
    *out = c->n ? c->items : NULL;
    *n = c->n;
    if (!c->n)
        bki_free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

int api_get_one(bk_db *db, int rc, api_collect *c, const char *what, void **out)
{
    if (rc == BK_OK && c->n == 0)
        rc = api_fail(db, BK_ENOTFOUND, "%s: not found", what);
    if (rc != BK_OK) {
        api_collect_free(c, bki_free);
        return api_store_result(db, rc);
    }
    *out = c->items[0];
    for (size_t i = 1; i < c->n; i++)
        bki_free(c->items[i]);
    bki_free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
    return BK_OK;
}

int api_list_begin(bk_db *db, void *out, size_t *n)
{
    /* Both outputs are cleared even when the other is missing. */
    if (out)
        *(void **)out = NULL;
    if (n)
        *n = 0;
    int rc;
    if ((rc = v_nonnull(db, "out", out)) || (rc = v_nonnull(db, "n", n)))
        return rc;
    return BK_OK;
}

int api_list_result(bk_db *db, int rc, api_collect *c, void ***out, size_t *n)
{
    if (rc != BK_OK) {
        api_collect_free(c, bki_free);
        return api_store_result(db, rc);
    }
    api_collect_take(c, out, n);
    return BK_OK;
}

int api_get_by_id(bk_db *db, const bk_id *id, void **out, api_getter get, const char *what)
{
    int rc;
    if ((rc = v_nonnull(db, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = v_id(db, "id", id)))
        return rc;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = get(db->store, id, &sink, &db->err);
    return api_get_one(db, rc, &c, what, out);
}
