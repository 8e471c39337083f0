/* Bookings: committed atomically (DESIGN.md section 4). */
#include <string.h>

#include "api/api.h"
#include "util/alloc.h"
#include "util/strutil.h"

BK_API const char *bk_booking_status_name(bk_booking_status status)
{
    switch (status) {
    case BK_BOOKING_PENDING: return "pending";
    case BK_BOOKING_CONFIRMED: return "confirmed";
    case BK_BOOKING_CANCELLED: return "cancelled";
    case BK_BOOKING_COMPLETED: return "completed";
    case BK_BOOKING_NO_SHOW: return "no_show";
    }
    return NULL;
}

BK_API int bk_booking_status_parse(const char *name, bk_booking_status *out)
{
    api_thread_begin();
    if (!out)
        return api_fail(NULL, BK_EINVAL, "out: NULL");
    if (!name)
        return api_fail(NULL, BK_EINVAL, "status: NULL");
    for (int s = BK_BOOKING_PENDING; s <= BK_BOOKING_NO_SHOW; s++) {
        if (strcmp(name, bk_booking_status_name((bk_booking_status)s)) == 0) {
            *out = (bk_booking_status)s;
            return BK_OK;
        }
    }
    char q[200];
    return api_fail(NULL, BK_EINVAL, "status: '%s' is not one of pending, confirmed, cancelled, completed, no_show",
                    api_quote(q, sizeof q, name, 40));
}

static int valid_status(int s) { return s >= BK_BOOKING_PENDING && s <= BK_BOOKING_NO_SHOW; }

/* Optional text arrives as NULL or "": store one form, so that an
 * idempotent retry compares equal whichever the caller used. */
static const char *opt(const char *s) { return s && *s ? s : NULL; }

static int same_text(const char *a, const char *b)
{
    a = opt(a);
    b = opt(b);
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int validate_customer(bk_db *db, const char *name, const char *email, const char *phone, const char *zone,
                             const char *notes)
{
    int rc;
    if ((rc = v_text(db, "customer_name", name, 1, 200)) || (rc = v_email(db, "customer_email", email, 1)) ||
        (rc = v_text(db, "customer_phone", phone, 0, 50)) || (rc = v_text(db, "notes", notes, 0, 4000)))
        return rc;
    if (opt(zone) && (rc = v_zone(db, "customer_timezone", zone, NULL)))
        return rc;
    return BK_OK;
}

static int validate_request(bk_db *db, const bk_book_request *r, bk_time *now)
{
    int rc;
    if ((rc = v_nonnull(db, "request", r)) || (rc = v_version(db, "request", r->version, BK_BOOK_REQUEST_VERSION)) ||
        (rc = v_id(db, "provider", &r->provider)) || (rc = v_id(db, "service", &r->service)) ||
        (rc = v_time(db, "start", r->start)) || (rc = v_text(db, "idempotency_key", r->idempotency_key, 0, 200)) ||
        (rc = validate_customer(db, r->customer_name, r->customer_email, r->customer_phone, r->customer_timezone,
                                r->notes)))
        return rc;
    *now = r->now == BK_TIME_UNSET ? api_clock() : r->now;
    return v_time(db, "now", *now);
}

/* The first booking made with this key is the answer to every retry. */
static int resolve_keyed(bk_db *db, const bk_book_request *r, bk_booking *keyed, bk_booking **out)
{
    if (memcmp(&keyed->service, &r->service, sizeof r->service) != 0 || keyed->start != r->start ||
        !same_text(keyed->customer_name, r->customer_name) || !same_text(keyed->customer_email, r->customer_email) ||
        !same_text(keyed->customer_phone, r->customer_phone) ||
        !same_text(keyed->customer_timezone, r->customer_timezone) || !same_text(keyed->notes, r->notes))
        return api_fail(db, BK_EINVAL,
                        "idempotency_key: '%s' was already used by booking %s with different parameters",
                        r->idempotency_key, keyed->id.s);
    if (out) {
        *out = rec_booking_dup(keyed);
        if (!*out)
            return api_fail(db, BK_ENOMEM, "out of memory");
    }
    return BK_OK;
}

static int collect_keyed(void *ctx, const bk_booking *b)
{
    bk_booking **slot = ctx;
    if (*slot)
        return BK_OK;
    *slot = rec_booking_dup(b);
    return *slot ? BK_OK : BK_ENOMEM;
}

static int book(bk_db *db, const bk_book_request *req, bk_time now, const char *email_key, bk_booking **out);

BK_API int bk_book(bk_db *db, const bk_book_request *req, bk_booking **out)
{
    API_ENTER(db);
    if (out)
        *out = NULL;
    bk_time now;
    int rc = validate_request(db, req, &now);
    if (rc)
        return rc;
    /* Stored NFC, compared (idempotent retries) NFC, listed by folded key. */
    api_email email;
    if ((rc = api_email_forms(db, "customer_email", req->customer_email, &email)))
        return rc;
    bk_book_request r = *req;
    r.customer_email = email.nfc;
    rc = book(db, &r, now, email.key, out);
    api_email_free(&email);
    return rc;
}

static int book(bk_db *db, const bk_book_request *req, bk_time now, const char *email_key, bk_booking **out)
{
    int rc;
    api_schedule s;
    const char *key = opt(req->idempotency_key);
    if ((rc = api_schedule_load(db, &req->provider, &req->service, req->start, req->start + 1, key, &s)))
        return rc;
    if (s.keyed) {
        rc = resolve_keyed(db, req, s.keyed, out);
        api_schedule_free(&s);
        return rc;
    }
    if (!s.service->active) {
        rc = api_fail(db, BK_EINVAL, "service: %s is inactive", s.service->id.s);
        api_schedule_free(&s);
        return rc;
    }
    engine_input in;
    api_schedule_input(&s, req->start, req->start + 1, now, &in);
    bk_slot_verdict verdict = BK_SLOT_VERDICT_INIT;
    rc = api_schedule_explain(db, &s, &in, req->start, &verdict);
    if (rc == BK_OK && verdict.reason == BK_SLOT_CONFLICT)
        rc = api_fail(db, BK_ECONFLICT, "start: %s", verdict.message);
    else if (rc == BK_OK && verdict.reason != BK_SLOT_OFFERED)
        rc = api_fail(db, BK_EUNAVAILABLE, "start: %s", verdict.message);

    bk_booking b;
    memset(&b, 0, sizeof b);
    if (rc == BK_OK) {
        b.version = BK_BOOKING_VERSION;
        rc = api_new_id(db, &b.id);
        b.provider = req->provider;
        b.service = req->service;
        b.start = req->start;
        b.end = req->start + (bk_time)s.service->duration_minutes * 60;
        b.buffer_before_minutes = s.service->buffer_before_minutes;
        b.buffer_after_minutes = s.service->buffer_after_minutes;
        b.status = s.service->requires_confirmation ? BK_BOOKING_PENDING : BK_BOOKING_CONFIRMED;
        b.lock_version = 1;
        b.idempotency_key = key;
        b.customer_name = req->customer_name;
        b.customer_email = req->customer_email;
        b.customer_phone = opt(req->customer_phone);
        b.customer_timezone = opt(req->customer_timezone);
        b.notes = opt(req->notes);
        b.created_at = b.updated_at = api_clock();
        b.confirmed_at = b.status == BK_BOOKING_CONFIRMED ? b.created_at : BK_TIME_UNSET;
        b.cancelled_at = BK_TIME_UNSET;
        b.archived_at = BK_TIME_UNSET;
    }
    api_schedule_free(&s);
    if (rc != BK_OK)
        return rc;

    /* The copy for the caller is made first, so that running out of memory
     * cannot follow a committed write. */
    bk_booking *copy = NULL;
    if (out && !(copy = rec_booking_dup(&b)))
        return api_fail(db, BK_ENOMEM, "out of memory");
    /* The store's insert is the final guard: it refuses an overlap that a
     * concurrent caller committed after our read. */
    bk_booking *raced = NULL;
    bk_store_sink sink = {0};
    sink.ctx = &raced;
    sink.keyed_booking = collect_keyed;
    rc = db->store->booking_insert(db->store, &b, email_key, &sink, &db->err);
    if (rc == BK_EEXISTS && raced) {
        store_err_clear(&db->err);
        rc = resolve_keyed(db, req, raced, out);
        bk_booking_free(raced);
        bk_booking_free(copy);
        return rc;
    }
    bk_booking_free(raced);
    if (rc != BK_OK) {
        bk_booking_free(copy);
        return api_store_result(db, rc);
    }
    if (out)
        *out = copy;
    return BK_OK;
}

BK_API int bk_booking_import(bk_db *db, const bk_booking *spec, bk_id *out_id)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "booking", spec)) ||
        (rc = v_version(db, "booking", spec->version, BK_BOOKING_VERSION)) ||
        (rc = v_id(db, "provider", &spec->provider)) || (rc = v_id(db, "service", &spec->service)) ||
        (rc = v_time(db, "start", spec->start)) || (rc = v_time(db, "end", spec->end)))
        return rc;
    if (spec->end <= spec->start)
        return api_fail(db, BK_EINVAL, "end: must be after start");
    if ((rc = v_int(db, "buffer_before_minutes", spec->buffer_before_minutes, 0, 1440)) ||
        (rc = v_int(db, "buffer_after_minutes", spec->buffer_after_minutes, 0, 1440)))
        return rc;
    if (!valid_status(spec->status))
        return api_fail(db, BK_EINVAL, "status: %d is not a booking status", (int)spec->status);
    if ((rc = v_text(db, "idempotency_key", spec->idempotency_key, 0, 200)) ||
        (rc = validate_customer(db, spec->customer_name, spec->customer_email, spec->customer_phone,
                                spec->customer_timezone, spec->notes)) ||
        (rc = v_text(db, "cancellation_reason", spec->cancellation_reason, 0, 1000)))
        return rc;
    bk_service *svc = NULL;
    if ((rc = bk_service_get(db, &spec->service, &svc)))
        return rc;
    int mine = memcmp(&svc->provider, &spec->provider, sizeof spec->provider) == 0;
    bk_service_free(svc);
    if (!mine)
        return api_fail(db, BK_ENOTFOUND, "service: %s is not a service of provider %s", spec->service.s,
                        spec->provider.s);
    api_email email;
    if ((rc = api_email_forms(db, "customer_email", spec->customer_email, &email)))
        return rc;
    bk_booking b = *spec;
    b.version = BK_BOOKING_VERSION;
    b.customer_email = email.nfc;
    b.archived_at = BK_TIME_UNSET;
    if ((rc = api_new_id(db, &b.id))) {
        api_email_free(&email);
        return rc;
    }
    b.lock_version = 1;
    b.idempotency_key = opt(spec->idempotency_key);
    b.customer_phone = opt(spec->customer_phone);
    b.customer_timezone = opt(spec->customer_timezone);
    b.notes = opt(spec->notes);
    b.cancellation_reason = opt(spec->cancellation_reason);
    b.created_at = b.updated_at = api_clock();
    int confirmed = b.status == BK_BOOKING_CONFIRMED || b.status == BK_BOOKING_COMPLETED || b.status == BK_BOOKING_NO_SHOW;
    if (b.confirmed_at == BK_TIME_UNSET || !confirmed)
        b.confirmed_at = confirmed ? b.created_at : BK_TIME_UNSET;
    if (b.status != BK_BOOKING_CANCELLED)
        b.cancelled_at = BK_TIME_UNSET;
    else if (b.cancelled_at == BK_TIME_UNSET)
        b.cancelled_at = b.created_at;
    bk_store_sink sink = {0};
    rc = db->store->booking_insert(db->store, &b, email.key, &sink, &db->err);
    api_email_free(&email);
    if (rc == BK_EEXISTS)
        rc = api_fail(db, BK_EINVAL, "idempotency_key: '%s' is already used by another booking of the provider",
                      b.idempotency_key);
    if (rc == BK_OK && out_id)
        *out_id = b.id;
    return api_store_result(db, rc);
}

BK_API int bk_booking_get(bk_db *db, const bk_id *id, bk_booking **out)
{
    API_ENTER(db);
    return api_get_by_id(db, id, (void **)out, db->store->booking_get, "booking");
}

BK_API int bk_booking_list(bk_db *db, const bk_booking_filter *f, bk_booking ***out, size_t *n)
{
    API_ENTER(db);
    int rc;
    if ((rc = api_list_begin(db, out, n)) || (rc = v_nonnull(db, "filter", f)) ||
        (rc = v_version(db, "filter", f->version, BK_BOOKING_FILTER_VERSION)) ||
        (rc = v_id(db, "provider", &f->provider)) || (rc = v_int(db, "include_cancelled", f->include_cancelled, 0, 1)))
        return rc;
    if (f->to <= f->from)
        return api_fail(db, BK_EINVAL, "to: must be after from");
    const unsigned every = BK_STATUS_BIT(BK_BOOKING_PENDING) | BK_STATUS_BIT(BK_BOOKING_CONFIRMED) |
                           BK_STATUS_BIT(BK_BOOKING_CANCELLED) | BK_STATUS_BIT(BK_BOOKING_COMPLETED) |
                           BK_STATUS_BIT(BK_BOOKING_NO_SHOW);
    if (f->statuses & ~every)
        return api_fail(db, BK_EINVAL, "statuses: 0x%x has bits that are not BK_STATUS_BIT of a status", f->statuses);
    api_email email = {0};
    if (f->customer_email && (rc = api_email_forms(db, "customer_email", f->customer_email, &email)))
        return rc;
    bk_store_booking_query q;
    memset(&q, 0, sizeof q);
    q.version = 1;
    q.provider = f->provider;
    q.from = f->from;
    q.to = f->to;
    q.include_cancelled = f->include_cancelled;
    q.statuses = f->statuses;
    q.customer_email_key = email.key;
    api_collect c = {0};
    bk_store_sink sink = api_collect_sink(&c);
    rc = db->store->booking_list(db->store, &q, &sink, &db->err);
    api_email_free(&email);
    return api_list_result(db, rc, &c, (void ***)out, n);
}

/* A status move (DESIGN.md 4, lifecycle): pending -> confirmed | cancelled;
 * confirmed -> cancelled | completed | no_show; the rest are final. */
static int move_allowed(bk_booking_status from, bk_booking_status to)
{
    switch (to) {
    case BK_BOOKING_CONFIRMED: return from == BK_BOOKING_PENDING;
    case BK_BOOKING_CANCELLED: return from == BK_BOOKING_PENDING || from == BK_BOOKING_CONFIRMED;
    case BK_BOOKING_COMPLETED:
    case BK_BOOKING_NO_SHOW: return from == BK_BOOKING_CONFIRMED;
    case BK_BOOKING_PENDING: return 0;
    }
    return 0;
}

/* Reads the booking and checks the caller's version: the shared start of
 * every change. */
static int read_for_change(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **cur)
{
    int rc = bk_booking_get(db, id, cur);
    if (rc)
        return rc;
    if ((*cur)->lock_version != expected_lock_version) {
        rc = api_fail(db, BK_ESTALE, "lock_version: booking %s is at version %lld, not %lld", id->s,
                      (long long)(*cur)->lock_version, (long long)expected_lock_version);
        bk_booking_free(*cur);
        *cur = NULL;
    }
    return rc;
}

/* Writes `next` over the stored booking if it is still at `expected` --
 * with token_hash, only together with using that token up; the caller's
 * copy is made first so that no error can follow the write. */
static int write_change(bk_db *db, bk_booking *next, int64_t expected, const unsigned char *token_hash,
                        bk_time now, bk_booking **out)
{
    next->lock_version = expected + 1;
    next->updated_at = api_clock();
    api_email email;
    int rc = api_email_forms(db, "customer_email", next->customer_email, &email);
    if (rc)
        return rc;
    bk_booking *copy = NULL;
    if (out && !(copy = rec_booking_dup(next))) {
        api_email_free(&email);
        return api_fail(db, BK_ENOMEM, "out of memory");
    }
    if (token_hash)
        rc = db->store->token_redeem(db->store, token_hash, now, next, email.key, expected, &db->err);
    else
        rc = db->store->booking_update(db->store, next, email.key, expected, &db->err);
    api_email_free(&email);
    rc = api_store_result(db, rc);
    if (rc == BK_OK && out)
        *out = copy;
    else
        bk_booking_free(copy);
    return rc;
}

/* The booking `cur` would become after a status move, in *next (which
 * shares cur's strings and `reason`). */
static int plan_move(bk_db *db, const bk_booking *cur, bk_booking_status to, const char *reason, bk_booking *next)
{
    if (!move_allowed(cur->status, to))
        return api_fail(db, BK_ESTATE, "status: a %s booking cannot become %s", bk_booking_status_name(cur->status),
                        bk_booking_status_name(to));
    *next = *cur;
    next->status = to;
    bk_time now = api_clock();
    if (to == BK_BOOKING_CONFIRMED)
        next->confirmed_at = now;
    if (to == BK_BOOKING_CANCELLED) {
        next->cancelled_at = now;
        next->cancellation_reason = opt(reason);
    }
    return BK_OK;
}

/* The booking `cur` would become moved to new_start, under bk_book's rules
 * (its own occupied range ignored), in *next. */
static int plan_reschedule(bk_db *db, const bk_booking *cur, bk_time new_start, bk_time now, bk_booking *next)
{
    if (cur->status != BK_BOOKING_PENDING && cur->status != BK_BOOKING_CONFIRMED)
        return api_fail(db, BK_ESTATE, "status: a %s booking cannot be rescheduled", bk_booking_status_name(cur->status));
    api_schedule s;
    int rc = api_schedule_load(db, &cur->provider, &cur->service, new_start, new_start + 1, NULL, &s);
    if (rc)
        return rc;
    api_schedule_forget_booking(&s, &cur->id);
    if (!s.service->active)
        rc = api_fail(db, BK_EINVAL, "service: %s is inactive", s.service->id.s);
    *next = *cur;
    if (rc == BK_OK) {
        engine_input in;
        api_schedule_input(&s, new_start, new_start + 1, now, &in);
        bk_slot_verdict verdict = BK_SLOT_VERDICT_INIT;
        rc = api_schedule_explain(db, &s, &in, new_start, &verdict);
        if (rc == BK_OK && verdict.reason == BK_SLOT_CONFLICT)
            rc = api_fail(db, BK_ECONFLICT, "new_start: %s", verdict.message);
        else if (rc == BK_OK && verdict.reason != BK_SLOT_OFFERED)
            rc = api_fail(db, BK_EUNAVAILABLE, "new_start: %s", verdict.message);
        /* Same rules as bk_book: the service's current length and buffers. */
        next->start = new_start;
        next->end = new_start + (bk_time)s.service->duration_minutes * 60;
        next->buffer_before_minutes = s.service->buffer_before_minutes;
        next->buffer_after_minutes = s.service->buffer_after_minutes;
    }
    api_schedule_free(&s);
    return rc;
}

static int move(bk_db *db, const bk_id *id, int64_t expected, bk_booking_status to, const char *reason,
                bk_booking **out)
{
    if (out)
        *out = NULL;
    int rc;
    if ((rc = v_id(db, "id", id)) || (rc = v_text(db, "reason", reason, 0, 1000)))
        return rc;
    bk_booking *cur = NULL;
    if ((rc = read_for_change(db, id, expected, &cur)))
        return rc;
    bk_booking next;
    if ((rc = plan_move(db, cur, to, reason, &next)) == BK_OK)
        rc = write_change(db, &next, expected, NULL, BK_TIME_UNSET, out);
    bk_booking_free(cur);
    return rc;
}

BK_API int bk_booking_cancel(bk_db *db, const bk_id *id, int64_t expected_lock_version, const char *reason,
                             bk_booking **out)
{
    API_ENTER(db);
    return move(db, id, expected_lock_version, BK_BOOKING_CANCELLED, reason, out);
}

BK_API int bk_booking_confirm(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out)
{
    API_ENTER(db);
    return move(db, id, expected_lock_version, BK_BOOKING_CONFIRMED, NULL, out);
}

BK_API int bk_booking_complete(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out)
{
    API_ENTER(db);
    return move(db, id, expected_lock_version, BK_BOOKING_COMPLETED, NULL, out);
}

BK_API int bk_booking_mark_no_show(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out)
{
    API_ENTER(db);
    return move(db, id, expected_lock_version, BK_BOOKING_NO_SHOW, NULL, out);
}

BK_API int bk_booking_reschedule(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_time new_start,
                                 bk_time now, bk_booking **out)
{
    API_ENTER(db);
    if (out)
        *out = NULL;
    int rc;
    if ((rc = v_id(db, "id", id)) || (rc = v_time(db, "new_start", new_start)))
        return rc;
    if (now == BK_TIME_UNSET)
        now = api_clock();
    if ((rc = v_time(db, "now", now)))
        return rc;
    bk_booking *cur = NULL;
    if ((rc = read_for_change(db, id, expected_lock_version, &cur)))
        return rc;
    bk_booking next;
    if ((rc = plan_reschedule(db, cur, new_start, now, &next)) == BK_OK)
        rc = write_change(db, &next, expected_lock_version, NULL, BK_TIME_UNSET, out);
    bk_booking_free(cur);
    return rc;
}

/* A token's action on the booking as it is now, committed together with
 * using the token up.  A token holder did not read a version: a
 * concurrent change of the booking (BK_ESTALE) is read again and the
 * action re-planned, a bounded number of times. */
int api_booking_token_action(bk_db *db, const bk_id *id, bk_token_action action, const unsigned char hash[32],
                             const bk_token_redeem_params *params, bk_time now, bk_booking **out)
{
    int rc = BK_ESTALE;
    for (int attempt = 0; attempt < 8 && rc == BK_ESTALE; attempt++) {
        bk_booking *cur = NULL;
        if ((rc = bk_booking_get(db, id, &cur)))
            return rc;
        bk_booking next;
        switch (action) {
        case BK_TOKEN_CONFIRM: rc = plan_move(db, cur, BK_BOOKING_CONFIRMED, NULL, &next); break;
        case BK_TOKEN_CANCEL: rc = plan_move(db, cur, BK_BOOKING_CANCELLED, params->reason, &next); break;
        case BK_TOKEN_RESCHEDULE: rc = plan_reschedule(db, cur, params->new_start, now, &next); break;
        default: rc = api_fail(db, BK_ESTORE, "token: stored action %d is unknown", (int)action); break;
        }
        if (rc == BK_OK)
            rc = write_change(db, &next, cur->lock_version, hash, now, out);
        bk_booking_free(cur);
    }
    return rc;
}
