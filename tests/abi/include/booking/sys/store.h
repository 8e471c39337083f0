/*
 * libbooking storage backends — for backend authors, not for applications.
 *
 * A backend is a struct of function pointers whose first member is its
 * version (the model is SQLite's sqlite3_vfs and libgit2's
 * git_refdb_backend).  A backend embeds `bk_store` as the first member of
 * its own state:
 *
 *     struct my_store { bk_store base; my_conn *conn; };
 *
 * and hands it to bk_open_store().  Later versions of this header only
 * append members; the library reads no member past the end of the version a
 * backend declares.
 *
 * Division of work.  The library validates every input (fields, UTF-8,
 * ranges, zones), generates ids and timestamps, and runs the slot engine.
 * The backend stores and retrieves records and guarantees two things
 * atomically, whatever the concurrency:
 *   - unique provider usernames and emails (compared case-insensitively on
 *     the `*_key` forms the library passes), else BK_EEXISTS;
 *   - no two live (status != cancelled) bookings of one provider whose
 *     occupied ranges [start - buffer_before, end + buffer_after) overlap,
 *     else BK_ECONFLICT; and a booking's idempotency key unique per
 *     provider.
 *
 * Reads go through a sink: the backend calls the sink's callback once per
 * record, with a record it owns for the duration of the call only.  A
 * callback that returns non-zero stops the read; the backend returns that
 * value.  Errors: return a BK_E* code; call bk_store_error() first to say
 * why (the message reaches bk_errmsg()).
 *
 * A store object is used by one bk_db, i.e. one thread at a time; a backend
 * shared between handles (like "memory:NAME") locks internally.  A sink
 * callback must not call back into the same store (a backend may hold its
 * lock while it emits).
 *
 * Outcomes every backend gives alike (the conformance suite checks them):
 *  - a read, list or delete naming a provider, service, booking, rule,
 *    override or period that does not exist: BK_ENOTFOUND ("provider: not
 *    found"), never an empty result;
 *  - an insert whose id is already taken (the library's UUIDs make this a
 *    broken backend or a broken random source): BK_ESTORE;
 *  - a sink callback's non-zero return is returned as it is.
 */
#ifndef BOOKING_SYS_STORE_H
#define BOOKING_SYS_STORE_H

#include "../../booking.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a backend reports the detail of an error.  Opaque. */
typedef struct bk_store_err bk_store_err;

/** Records `code` and a printf-style message in err; returns code, so that
 *  a backend can write `return bk_store_error(err, BK_ENOTFOUND, ...)`.
 *  err may be NULL (the message is dropped). */
BK_API int bk_store_error(bk_store_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** A booking token as stored: never the token itself, only its hash. */
typedef struct bk_store_token {
    unsigned int version; /* 1 */
    bk_id id;
    bk_id booking;
    bk_id provider;
    bk_token_action action;
    unsigned char hash[32]; /* BLAKE2b-256 of the token text */
    bk_time expires_at;
    bk_time used_at;        /* BK_TIME_UNSET while unused */
    bk_time created_at;
} bk_store_token;

/** Receives records from a read.  Any callback may be NULL when the read
 *  cannot produce that kind. */
typedef struct bk_store_sink {
    void *ctx;
    int (*provider)(void *ctx, const bk_provider *p);
    int (*service)(void *ctx, const bk_service *s);
    int (*availability)(void *ctx, const bk_availability *a);
    int (*override_day)(void *ctx, const bk_override *o);
    int (*blocked)(void *ctx, const bk_blocked *b);
    int (*booking)(void *ctx, const bk_booking *b);
    /** schedule_load only: the booking that already holds the requested
     *  idempotency key, if any. */
    int (*keyed_booking)(void *ctx, const bk_booking *b);
    /* Store version 2. */
    /** provider_login: the provider and its password hash (NULL if it has
     *  none). */
    int (*credential)(void *ctx, const bk_id *provider, const char *password_hash);
    /** token_get. */
    int (*token)(void *ctx, const bk_store_token *t);
} bk_store_sink;


/** What schedule_load must return, through the sink, in this order:
 *  1. the provider (BK_ENOTFOUND if none);
 *  2. the service (BK_ENOTFOUND if none or if it belongs to another
 *     provider);
 *  3. every availability row of the provider;
 *  4. every override of the provider dated in [first_date, last_date];
 *  5. every blocked period of the provider overlapping [from, to);
 *  6. every live booking of the provider whose occupied range overlaps
 *     [from, to), of which the library reads only id, start, end, the
 *     buffers and status (the other fields may be left unset);
 *  7. if idempotency_key is not NULL, the provider's booking holding that
 *     key, through keyed_booking (whatever its status or time).
 *  A backend may return more than asked (say, all blocked periods); the
 *  library filters. */
typedef struct bk_schedule_request {
    unsigned int version; /* 1 */
    bk_id provider;
    bk_id service;
    bk_time from;
    bk_time to;
    bk_date first_date;
    bk_date last_date;
    const char *idempotency_key;
    /* Store version 2.  When from <= slots_from < slots_to <= to, the
     * library looks only at slots starting in [slots_from, slots_to), and a
     * backend may narrow 5 to the one-off periods overlapping
     * [slots_from, slots_to + D) (recurring ones as before) and 6 to
     * [slots_from - Bb, slots_to + D + Ba), D, Bb and Ba being the
     * service's duration and buffers in minutes: [from, to) carries
     * margins for the zone and the longest service, which a busy
     * provider's bookings fill. */
    bk_time slots_from;
    bk_time slots_to;
} bk_schedule_request;

/** Which bookings booking_list returns, ordered by start, then id
 *  (archived ones included, with archived_at set). */
typedef struct bk_store_booking_query {
    unsigned int version; /* 1 */
    bk_id provider;
    bk_time from; /* bookings whose [start, end) overlaps [from, to) */
    bk_time to;
    /** 0: every status but cancelled unless include_cancelled; else only
     *  the statuses whose BK_STATUS_BIT is set. */
    int include_cancelled;
    unsigned int statuses;
    /** NULL, or only bookings whose customer_email_key equals it. */
    const char *customer_email_key;
} bk_store_booking_query;

typedef struct bk_store bk_store;

struct bk_store {
    /** BK_STORE_VERSION as the backend was written against. */
    unsigned int version;
    /** A short static name: "memory", "postgresql". */
    const char *name;

    /** Frees the store.  Never fails. */
    void (*close)(bk_store *self);

    /* Providers.  username_key and email_key are the case-folded,
     * NFC-normalised forms the library computed: compare those for
     * uniqueness. */
    int (*provider_insert)(bk_store *self, const bk_provider *p, const char *username_key,
                           const char *email_key, bk_store_err *err);
    int (*provider_update)(bk_store *self, const bk_provider *p, const char *username_key,
                           const char *email_key, bk_store_err *err);
    int (*provider_get)(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err);
    /** Every provider, ordered by username. */
    int (*provider_list)(bk_store *self, const bk_store_sink *sink, bk_store_err *err);

    /* Services.  service_insert: BK_ENOTFOUND if the provider is missing. */
    int (*service_insert)(bk_store *self, const bk_service *s, bk_store_err *err);
    int (*service_update)(bk_store *self, const bk_service *s, bk_store_err *err);
    int (*service_get)(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err);
    /** A provider's services, ordered by display_order, then name. */
    int (*service_list)(bk_store *self, const bk_id *provider, const bk_store_sink *sink,
                        bk_store_err *err);

    /* Weekly availability rows. */
    int (*availability_insert)(bk_store *self, const bk_availability *a, bk_store_err *err);
    int (*availability_delete)(bk_store *self, const bk_id *id, bk_store_err *err);
    /** Ordered by weekday, start_minute, end_minute. */
    int (*availability_list)(bk_store *self, const bk_id *provider, const bk_store_sink *sink,
                             bk_store_err *err);

    /* Date overrides: one per provider and date; put replaces. */
    int (*override_put)(bk_store *self, const bk_override *o, bk_store_err *err);
    int (*override_delete)(bk_store *self, const bk_id *provider, const bk_date *date,
                           bk_store_err *err);
    /** Dates in [from, to], ordered by date. */
    int (*override_list)(bk_store *self, const bk_id *provider, const bk_date *from,
                         const bk_date *to, const bk_store_sink *sink, bk_store_err *err);

    /* Blocked periods. */
    int (*blocked_insert)(bk_store *self, const bk_blocked *b, bk_store_err *err);
    int (*blocked_delete)(bk_store *self, const bk_id *id, bk_store_err *err);
    /** Overlapping [from, to), ordered by start. */
    int (*blocked_list)(bk_store *self, const bk_id *provider, bk_time from, bk_time to,
                        const bk_store_sink *sink, bk_store_err *err);

    /* Bookings.  customer_email_key is the case-folded, NFC form of
     * b->customer_email the library computed: keep it with the booking for
     * booking_list's and booking_find_by_email's comparisons. */
    /** Inserts b atomically: BK_ECONFLICT if b is live and its occupied
     *  range overlaps a live booking of the same provider; if b has an
     *  idempotency key that a booking of the provider already holds,
     *  inserts nothing, passes that booking to sink->keyed_booking and
     *  returns BK_EEXISTS. */
    int (*booking_insert)(bk_store *self, const bk_booking *b, const char *customer_email_key,
                          const bk_store_sink *sink, bk_store_err *err);
    int (*booking_get)(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err);
    int (*booking_list)(bk_store *self, const bk_store_booking_query *q, const bk_store_sink *sink,
                        bk_store_err *err);
    /** Replaces the booking b->id with b (b->lock_version is already the
     *  new version) iff its stored lock_version equals expected_lock_version
     *  (else BK_ESTALE, nothing changed).  If b is live, its occupied range
     *  is checked against the provider's other live bookings
     *  (BK_ECONFLICT), atomically with the write. */
    int (*booking_update)(bk_store *self, const bk_booking *b, const char *customer_email_key,
                          int64_t expected_lock_version, bk_store_err *err);

    /** Everything bk_slots and bk_book need, in one read (see
     *  bk_schedule_request).  A backend should make this one round trip. */
    int (*schedule_load)(bk_store *self, const bk_schedule_request *req, const bk_store_sink *sink,
                         bk_store_err *err);

    /* ---- Version 2 ---- */

    /* Provider soft delete.  provider_get returns deleted providers (with
     * deleted_at), provider_list leaves them out. */
    /** Sets deleted_at (unless already set: the first one stays), or with
     *  BK_TIME_UNSET clears it.  BK_ENOTFOUND if there is no provider. */
    int (*provider_set_deleted)(bk_store *self, const bk_id *id, bk_time deleted_at, bk_store_err *err);
    /** Deletes every provider whose deleted_at is before deleted_before,
     *  with every record that belongs to it (services, rules, overrides,
     *  blocked periods, bookings archived or not, tokens); *n_purged = how
     *  many providers. */
    int (*provider_purge)(bk_store *self, bk_time deleted_before, size_t *n_purged, bk_store_err *err);

    /* Credentials. */
    /** Stores hash as the provider's password hash.  With expected_hash
     *  not NULL, only if the stored hash still equals it (else BK_ESTALE,
     *  nothing changed): a rehash must not undo a concurrent change. */
    int (*provider_password_set)(bk_store *self, const bk_id *provider, const char *hash,
                                 const char *expected_hash, bk_store_err *err);
    /** The provider that is not deleted and whose username_key or
     *  email_key equals login_key, with its password hash, through
     *  sink->credential; BK_ENOTFOUND if none. */
    int (*provider_login)(bk_store *self, const char *login_key, const bk_store_sink *sink, bk_store_err *err);

    /* Tokens. */
    /** BK_ENOTFOUND if the booking is missing. */
    int (*token_insert)(bk_store *self, const bk_store_token *t, bk_store_err *err);
    /** The token with this hash through sink->token; BK_ENOTFOUND. */
    int (*token_get)(bk_store *self, const unsigned char hash[32], const bk_store_sink *sink, bk_store_err *err);
    /** Atomically: the token with this hash must exist (BK_ENOTFOUND),
     *  belong to b->id (BK_ENOTFOUND), be unused (BK_EUSED) and expire
     *  after `now` (BK_EEXPIRED); then b is written as booking_update
     *  writes it (BK_ESTALE, BK_ECONFLICT) and the token's used_at set to
     *  now.  On any error nothing changes. */
    int (*token_redeem)(bk_store *self, const unsigned char hash[32], bk_time now, const bk_booking *b,
                        const char *customer_email_key, int64_t expected_lock_version, bk_store_err *err);

    /* Customer data. */
    /** Every booking, of every provider, archived ones included, whose
     *  customer_email_key equals email_key; ordered by start, then id. */
    int (*booking_find_by_email)(bk_store *self, const char *email_key, const bk_store_sink *sink,
                                 bk_store_err *err);
    /** Erases the personal fields of every booking (archived ones too)
     *  that matches email_key (if not NULL) and ended before ended_before
     *  (if not BK_TIME_UNSET) and is not erased yet: customer_name
     *  "erased", customer_email and its key "erased@<id>.invalid",
     *  customer_phone, customer_timezone, notes, cancellation_reason and
     *  idempotency_key NULL, lock_version + 1, updated_at = now; deletes
     *  the unused tokens of those bookings.  A booking is "erased" iff its
     *  customer_email is "erased@<its id>.invalid".  *n = how many. */
    int (*bookings_erase)(bk_store *self, const char *email_key, bk_time ended_before, bk_time now, size_t *n,
                          bk_store_err *err);

    /* Archive. */
    /** Moves at most `limit` final bookings (cancelled, completed,
     *  no_show) that ended before ended_before into the archive, in one
     *  transaction, setting archived_at = now; *n_moved = how many (0 when
     *  none is left).  Archived bookings are returned by booking_get,
     *  booking_list and booking_find_by_email, and are never updated
     *  (booking_update: BK_ESTATE), except by bookings_erase. */
    int (*booking_archive)(bk_store *self, bk_time ended_before, size_t limit, bk_time now, size_t *n_moved,
                           bk_store_err *err);
};

#define BK_STORE_VERSION 2

/** Opens a handle over a backend the caller built.  The handle takes
 *  ownership: bk_close() calls store->close (also when bk_open_store fails
 *  after validating the store).  BK_EMISUSE for an unknown version or a
 *  missing method. */
BK_API int bk_open_store(bk_db **out, bk_store *store);

#ifdef __cplusplus
}
#endif

#endif /* BOOKING_SYS_STORE_H */
