/* The public API glue: handle state, errors, validation and record copies
 * shared by the files of lib/api.  Nothing here is exported. */
#ifndef BK_API_API_H
#define BK_API_API_H

#include <stddef.h>

#include "booking.h"
#include "booking/sys/store.h"
#include "store/store_err.h"
#include "tz/tz.h"

struct bk_db {
    bk_store *store;
    bk_store_err err; /* the outcome of the last call on this handle */
};

/* ---- errors (db.c) ---- */

/* Starts a public call on db: forgets the previous call's error. */
void api_begin(bk_db *db);
/* Records code and message on db (or, with db NULL, in this thread's slot)
 * and returns code. */
int api_fail(bk_db *db, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
#ifdef __clang_analyzer__
/* clang's analyzer (tests/static/run.sh) does not step into variadic
 * calls, so it cannot see that api_fail returns its code, never BK_OK, and
 * reports paths that only exist if it did.  Said for the analyzer alone. */
#define api_fail(db, code, ...) (api_fail((db), (code), __VA_ARGS__), (code))
#endif
/* After a backend call returned rc: makes sure an error has a message and a
 * code on db; returns rc. */
int api_store_result(bk_db *db, int rc);
/* Starts a handle-less public call (bk_open, bk_time_*). */
void api_thread_begin(void);
/* The wall clock, in bk_time. */
bk_time api_clock(void);

/* The common start of a call on a handle: NULL handle check and reset. */
#define API_ENTER(db)                                                                              \
    do {                                                                                           \
        if (!(db))                                                                                 \
            return api_fail(NULL, BK_EINVAL, "db: NULL handle");                                   \
        api_begin(db);                                                                             \
    } while (0)

/* ---- validation (validate.c): BK_OK, or BK_EINVAL with the field named ---- */

int v_nonnull(bk_db *db, const char *field, const void *p);
int v_version(bk_db *db, const char *field, unsigned got, unsigned current);
int v_text(bk_db *db, const char *field, const char *s, int required, size_t max_len);
int v_email(bk_db *db, const char *field, const char *s, int required);
int v_zone(bk_db *db, const char *field, const char *zone, const tz_zone **out);
int v_id(bk_db *db, const char *field, const bk_id *id);
int v_time(bk_db *db, const char *field, bk_time t);
int v_int(bk_db *db, const char *field, long long v, long long lo, long long hi);
int v_date(bk_db *db, const char *field, const bk_date *d);
int v_currency(bk_db *db, const char *field, const char *code);
int v_local_interval(bk_db *db, const char *field, int start_minute, int end_minute);
/* An ICU locale id ("de_DE", "ja_JP@calendar=japanese"; NULL = "en_US"),
 * written in canonical form to canon (size bytes, ULOC_FULLNAME_CAPACITY is
 * enough) for ICU to use instead of the caller's text.  Field "locale".  In
 * display.c. */
int v_locale(bk_db *db, const char *locale, char *canon, size_t size);
/* An email as stored (NFC) and as compared (case-folded NFC key). */
typedef struct api_email {
    char *nfc;
    char *key;
} api_email;
/* Validates an email (v_email rules, required) and computes its forms;
 * api_email_free releases them (also after a failure, or zeroed). */
int api_email_forms(bk_db *db, const char *field, const char *email, api_email *out);
void api_email_free(api_email *e);
/* A login name (username or email) as the store compares it. */
int api_login_key(bk_db *db, const char *field, const char *login, char **key);

/* A caller's text for a message: at most max bytes of s, cut on a character
 * boundary, with bytes that are not UTF-8 or are control characters shown
 * as \xNN, so that messages stay valid text for bindings.  Returns buf. */
const char *api_quote(char *buf, size_t size, const char *s, size_t max);
/* Makes a fresh record id. */
int api_new_id(bk_db *db, bk_id *out);

/* ---- records (records.c) ---- */

/* Deep copies in one allocation, so that bk_*_free is a single free and a
 * caller who re-points a string member before passing the record back
 * cannot make the library free the wrong thing. */
bk_provider *rec_provider_dup(const bk_provider *p);
bk_service *rec_service_dup(const bk_service *s);
bk_availability *rec_availability_dup(const bk_availability *a);
bk_override *rec_override_dup(const bk_override *o);
bk_blocked *rec_blocked_dup(const bk_blocked *b);
bk_booking *rec_booking_dup(const bk_booking *b);

/* A sink that copies every record it receives into a growing array. */
typedef struct api_collect {
    void **items;
    size_t n;
    size_t cap;
} api_collect;

/* A sink whose callbacks all push into c. */
bk_store_sink api_collect_sink(api_collect *c);
/* Frees the collected records with free_one, then the array. */
void api_collect_free(api_collect *c, void (*free_one)(void *));
/* Hands the array to the caller as (*out, *n), or NULL/0 when empty. */
void api_collect_take(api_collect *c, void ***out, size_t *n);

/* The start of a list call: checks and clears (out, n). */
int api_list_begin(bk_db *db, void *out, size_t *n);
/* The end of a list call: hands the records over, or frees them on error. */
int api_list_result(bk_db *db, int rc, api_collect *c, void ***out, size_t *n);

/* A store method that reads one record by id. */
typedef int (*api_getter)(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err);
/* The whole of a bk_*_get call: checks out and id, reads, hands over one
 * record or BK_ENOTFOUND naming `what`. */
int api_get_by_id(bk_db *db, const bk_id *id, void **out, api_getter get, const char *what);

/* Reads one record through a store getter; BK_ENOTFOUND when the backend
 * produced nothing. */
int api_get_one(bk_db *db, int rc, api_collect *c, const char *what, void **out);

/* ---- schedules (slots.c): what the engine needs, loaded in one read ---- */

#include "slots/engine.h"

typedef struct api_schedule {
    bk_provider *provider;
    bk_service *service;
    bk_booking *keyed; /* the booking holding the requested idempotency key */
    const tz_zone *zone;
    engine_weekly *weekly;
    size_t n_weekly, cap_weekly;
    engine_override *overrides;
    size_t n_overrides, cap_overrides;
    bk_local_interval *override_intervals; /* all overrides' intervals, in order */
    size_t n_override_intervals, cap_override_intervals;
    engine_period *blocked; /* source = index into blocked_ids */
    bk_id *blocked_ids;
    size_t n_blocked, cap_blocked, cap_blocked_ids;
    bk_blocked **recurring; /* periods with a rule, expanded once the zone is known */
    size_t n_recurring, cap_recurring;
    engine_period *busy; /* live bookings' occupied ranges; source = index into busy_ids */
    bk_id *busy_ids;
    size_t n_busy, cap_busy, cap_busy_ids;
} api_schedule;

/* Loads provider, service, rules, overrides, blocked periods and live
 * bookings relevant to candidate starts in [from, to) (and the booking
 * holding idempotency_key, if not NULL). */
int api_schedule_load(bk_db *db, const bk_id *provider, const bk_id *service, bk_time from, bk_time to,
                      const char *idempotency_key, api_schedule *s);
void api_schedule_free(api_schedule *s);
/* Drops a booking's own occupied range, so that moving it is not a
 * conflict with itself. */
void api_schedule_forget_booking(api_schedule *s, const bk_id *id);
/* The engine's view of a loaded schedule for a query over [from, to). */
void api_schedule_input(const api_schedule *s, bk_time from, bk_time to, bk_time now, engine_input *in);
/* Explains `start` and fills a public verdict (message, related id). */
int api_schedule_explain(bk_db *db, const api_schedule *s, const engine_input *in, bk_time start,
                         bk_slot_verdict *out);

/* libsodium initialised (credentials.c); BK_ESTORE if it cannot be. */
int api_sodium_ready(bk_db *db);

/* Performs a token's action on booking `id` and uses the token (`hash`)
 * up, atomically (bookings.c). */
int api_booking_token_action(bk_db *db, const bk_id *id, bk_token_action action, const unsigned char hash[32],
                             const bk_token_redeem_params *params, bk_time now, bk_booking **out);

/* BK_OK if provider `id` exists and is not deleted, else BK_ENOTFOUND
 * (providers.c). */
int api_require_provider(bk_db *db, const char *field, const bk_id *id);

#endif
