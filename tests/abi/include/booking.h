/*
 * libbooking — appointment booking for C programs.
 *
 * This header is the specification of the public API.  The semantics of
 * slots and bookings are those of DESIGN.md (sections 2-5); where a call's
 * comment and that text could be read two ways, the comment says which
 * reading the library implements.
 *
 * Conventions (the same for every call):
 *
 *  - Every call returns an `int` status: BK_OK (0) or one of the negative
 *    BK_E* codes below.  Codes are never renumbered or reused.
 *  - The handle comes first, inputs next, outputs last.  On error, outputs
 *    are set to NULL / 0 where that is meaningful and stored data is left
 *    unchanged.
 *  - After an error, bk_errmsg(db) returns a message naming the field at
 *    fault ("timezone: unknown zone 'Europe/Berlim'").  Calls that take no
 *    handle (bk_open, bk_time_*, bk_timezone_valid) leave their message in a
 *    per-thread slot read with bk_errmsg(NULL).
 *  - Strings passed in are copied; the library never keeps a caller's
 *    pointer.  Every object the library hands out has its own free
 *    function, which accepts NULL.
 *  - Structs that cross the ABI start with `unsigned int version`.  Fill
 *    them from their *_INIT macro (or bk_*_init()) so that the version is
 *    right; the library rejects a version it does not know with BK_EINVAL.
 *    Records the library returns carry the version they were built with.
 *    New members are only ever appended.
 *  - Threads: a bk_db is used by one thread at a time.  Separate handles
 *    may be used from separate threads at once, including handles on the
 *    same shared memory store ("memory:NAME") or the same database.
 *    Calls without a handle are thread-safe.
 */
#ifndef BOOKING_H
#define BOOKING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BK_BUILDING_LIBRARY) && defined(__GNUC__)
#define BK_API __attribute__((visibility("default")))
#else
#define BK_API
#endif

/* ------------------------------------------------------------------ */
/* Version                                                             */
/* ------------------------------------------------------------------ */

#define BK_VERSION_MAJOR 1
#define BK_VERSION_MINOR 0
#define BK_VERSION_PATCH 0
#define BK_VERSION_STRING "1.0.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define BK_VERSION_NUMBER 10000

/** The library's version as "MAJOR.MINOR.PATCH" (static, never NULL). */
BK_API const char *bk_version(void);

/** The library's version as BK_VERSION_NUMBER was when it was built; compare
 *  with the BK_VERSION_NUMBER a program was compiled against. */
BK_API int bk_version_number(void);

/** A connection to one store.  Opaque.  Used by one thread at a time. */
typedef struct bk_db bk_db;

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

enum {
    BK_OK = 0,
    /** Bad input: a NULL pointer, a malformed or out-of-range field, an
     *  unknown struct version.  The message names the field. */
    BK_EINVAL = -1,
    /** The provider, service, booking or other record does not exist. */
    BK_ENOTFOUND = -2,
    /** The booking's occupied range overlaps a live booking. */
    BK_ECONFLICT = -3,
    /** The start is not offered: outside working time, blocked, too soon
     *  (notice), too far (horizon) or off the slot grid. */
    BK_EUNAVAILABLE = -4,
    /** Optimistic locking: the record changed since the caller read it. */
    BK_ESTALE = -5,
    /** The booking's status does not allow that move. */
    BK_ESTATE = -6,
    /** Out of memory. */
    BK_ENOMEM = -7,
    /** A unique value is taken: provider username or email. */
    BK_EEXISTS = -8,
    /** The storage backend failed (I/O, server error). */
    BK_ESTORE = -9,
    /** The connection to the store was lost; the call did not happen.  The
     *  next call reconnects. */
    BK_ECONNECTION = -10,
    /** The connection was lost while committing: the change may or may not
     *  have happened.  Retry with the same idempotency key. */
    BK_EUNKNOWN = -11,
    /** The library is used against its rules (a handle used after close, a
     *  backend vtable of an unknown version). */
    BK_EMISUSE = -12,
    /** A booking token (bk_token_redeem) is past its expiry. */
    BK_EEXPIRED = -13,
    /** A booking token was already redeemed: tokens are single use. */
    BK_EUSED = -14,
    /** A provider login failed: unknown username/email, no password set,
     *  or a wrong password (one code for all three, so that a caller cannot
     *  tell which logins exist). */
    BK_EDENIED = -15
};

/** A static description of a status code; never NULL ("unknown status" for
 *  a value the library does not know). */
BK_API const char *bk_strerror(int status);

/** The detailed message of the last failed call on `db`, or, with NULL, of
 *  the last failed handle-less call of this thread (bk_open among them).
 *  Never NULL; "" when there is none.  Valid until the next call on the same
 *  handle (or, for NULL, the next handle-less call of this thread). */
BK_API const char *bk_errmsg(const bk_db *db);

/** The status of the last call on `db` (or of this thread's last
 *  handle-less call, with NULL). */
BK_API int bk_errcode(const bk_db *db);

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/** An instant: seconds since 1970-01-01T00:00:00Z. */
typedef int64_t bk_time;

/** In a record: "not set".  In a request's `now`: "read the clock". */
#define BK_TIME_UNSET INT64_MIN

/** The earliest and latest instants the library accepts (years 1900-2199):
 *  outside them time-zone rules are not meaningful. */
#define BK_TIME_MIN ((bk_time)-2208988800LL) /* 1900-01-01T00:00:00Z */
#define BK_TIME_MAX ((bk_time)7258118400LL)  /* 2200-01-01T00:00:00Z */

/** Room for bk_time_format_iso's output, NUL included. */
#define BK_ISO_SIZE 21

/** Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC only, the scenario format).
 *  BK_EINVAL on anything else. */
BK_API int bk_time_parse_iso(const char *text, bk_time *out);

/** Writes t as "YYYY-MM-DDTHH:MM:SSZ" into buf (BK_ISO_SIZE bytes).
 *  BK_EINVAL when t is outside [BK_TIME_MIN, BK_TIME_MAX). */
BK_API int bk_time_format_iso(bk_time t, char buf[BK_ISO_SIZE]);

/** Formats t for a reader in `zone` with ICU date formatting.  `locale` is
 *  an ICU locale id ("de_DE", "en_US"; NULL = "en_US"); `skeleton` is an ICU
 *  date-time skeleton ("yMMMdEEEjmz"; NULL = date, time and zone name).
 *  Writes a NUL-terminated UTF-8 string into buf; BK_EINVAL if the zone is
 *  unknown or buf is too small (the message says the size needed). */
BK_API int bk_time_format(bk_time t, const char *zone, const char *locale,
                          const char *skeleton, char *buf, size_t buf_size);

/** BK_OK if `zone` is an IANA time zone id ICU knows, else BK_EINVAL. */
BK_API int bk_timezone_valid(const char *zone);

/** A civil date (proleptic Gregorian). */
typedef struct bk_date {
    int year;  /* 1900..2199 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
} bk_date;

/** A span of local wall-clock time within one civil date: minutes after
 *  local midnight, 0 <= start_minute < end_minute <= 1440 (1440 = 24:00). */
typedef struct bk_local_interval {
    int start_minute;
    int end_minute;
} bk_local_interval;

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */
/* ------------------------------------------------------------------ */

/** A record id: a lower-case UUID in text form, NUL-terminated. */
typedef struct bk_id {
    char s[37];
} bk_id;

/** BK_OK if id holds a well-formed UUID, else BK_EINVAL. */
BK_API int bk_id_parse(const char *text, bk_id *out);

/* ------------------------------------------------------------------ */
/* Handles                                                             */
/* ------------------------------------------------------------------ */

/**
 * Opens a store.
 *
 *  - "memory:"       a new private in-memory store, gone when closed;
 *  - "memory:NAME"   the in-memory store NAME, shared by every handle of
 *                    this process that opens the same name (thread-safe,
 *                    internally locked); it lives until its last handle is
 *                    closed.
 *
 *  - "postgresql://..." or "postgres://..." (a libpq URI), or a libpq
 *    key=value conninfo ("host=/tmp dbname=booking"): a PostgreSQL
 *    database.  The handle owns one connection; after the server drops it,
 *    the next call reconnects.  Works through PgBouncer in transaction
 *    pooling mode (no prepared statements, no session state).
 *
 * On success *out is a new handle to close with bk_close().  On error *out
 * is NULL and bk_errmsg(NULL) says why (BK_EINVAL for a URI no backend
 * takes, BK_ECONNECTION when the server cannot be reached, BK_ESTORE when
 * the schema cannot be created).
 */
BK_API int bk_open(bk_db **out, const char *uri);

/** How bk_open_ext opens a store.  Members that do not apply to a backend
 *  are ignored by it. */
typedef struct bk_open_options {
    unsigned int version; /* BK_OPEN_OPTIONS_VERSION */
    /** PostgreSQL: the schema (namespace) that holds the library's tables;
     *  NULL = "public".  1-63 bytes of [a-z0-9_], not starting with a digit. */
    const char *schema;
    /** PostgreSQL: 1 (default) creates or upgrades the tables on open, one
     *  migration at a time, safe when several processes start together;
     *  0 never runs DDL (for a role without DDL rights) and fails with
     *  BK_ESTORE if the schema is missing or older than this library. */
    int migrate;
    /** PostgreSQL, when the tables are first created: 0 = one bookings
     *  table; 2..256 = bookings partitioned by HASH(provider_id) into that
     *  many partitions, each with the no-overlap exclusion constraint. */
    int booking_partitions;
} bk_open_options;

#define BK_OPEN_OPTIONS_VERSION 1
#define BK_OPEN_OPTIONS_INIT {BK_OPEN_OPTIONS_VERSION, NULL, 1, 0}
BK_API void bk_open_options_init(bk_open_options *o);

/** bk_open with options (NULL = the defaults). */
BK_API int bk_open_ext(bk_db **out, const char *uri, const bk_open_options *options);

/** Closes a handle and frees everything it owns.  Accepts NULL.  Records
 *  handed out earlier stay valid (they are independent copies). */
BK_API void bk_close(bk_db *db);

/* ------------------------------------------------------------------ */
/* Providers                                                           */
/* ------------------------------------------------------------------ */

/** A person or resource that is booked.  As input, `id`, `created_at` and
 *  `updated_at` are ignored; strings may be NULL where marked optional. */
typedef struct bk_provider {
    unsigned int version;      /* BK_PROVIDER_VERSION */
    bk_id id;
    const char *username;      /* required, 1-64 bytes, unique (case-insensitive); stored NFC */
    const char *email;         /* required, <= 254 bytes, has '@', unique (case-insensitive); stored NFC */
    const char *full_name;     /* required, 1-200 bytes */
    const char *timezone;      /* required, IANA id known to ICU */
    const char *business_name; /* optional, <= 200 bytes */
    const char *description;   /* optional, <= 4000 bytes */
    const char *avatar_url;    /* optional, <= 2000 bytes */
    bk_time created_at;
    bk_time updated_at;
    bk_time deleted_at;        /* output only: BK_TIME_UNSET unless soft-deleted */
} bk_provider;

#define BK_PROVIDER_VERSION 1
#define BK_PROVIDER_INIT {BK_PROVIDER_VERSION, {{0}}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, BK_TIME_UNSET, BK_TIME_UNSET, BK_TIME_UNSET}
/** Fills *p as BK_PROVIDER_INIT does (for bindings without the macro). */
BK_API void bk_provider_init(bk_provider *p);

/** Creates a provider; its new id goes to *out_id (may be NULL).
 *  BK_EINVAL (field named), BK_EEXISTS (username or email taken). */
BK_API int bk_provider_create(bk_db *db, const bk_provider *spec, bk_id *out_id);

/** Reads a provider.  *out is a new record: free with bk_provider_free(). */
BK_API int bk_provider_get(bk_db *db, const bk_id *id, bk_provider **out);

/** Replaces every field of provider spec->id with spec's (read, modify,
 *  write back).  BK_ENOTFOUND, BK_EINVAL, BK_EEXISTS. */
BK_API int bk_provider_update(bk_db *db, const bk_provider *spec);

/** All providers that are not deleted, ordered by username.  *out is an
 *  array of *n records: free with bk_provider_list_free(*out, *n). */
BK_API int bk_provider_list(bk_db *db, bk_provider ***out, size_t *n);

/**
 * Soft-deletes a provider: sets deleted_at (the clock) and nothing else.  A deleted provider is left out of
 * bk_provider_list, offers no slots and takes no bookings, services or
 * rules (BK_ENOTFOUND "provider: ... is deleted"); bk_provider_get still
 * reads it (deleted_at set), its bookings stay readable and can still be
 * cancelled, and it keeps its username and email until purged.
 * BK_ENOTFOUND if there is no such provider; deleting a deleted provider
 * is BK_OK and keeps the first deleted_at.
 */
BK_API int bk_provider_delete(bk_db *db, const bk_id *id);

/** Undoes bk_provider_delete.  BK_ENOTFOUND if there is no such provider;
 *  BK_OK (nothing changed) if it is not deleted. */
BK_API int bk_provider_restore(bk_db *db, const bk_id *id);

/**
 * Removes for good every provider soft-deleted before `deleted_before`,
 * with its services, availability, overrides, blocked periods, bookings and
 * tokens.  *n_purged (may be NULL) receives how many were removed.
 */
BK_API int bk_provider_purge(bk_db *db, bk_time deleted_before, size_t *n_purged);

/* Provider credentials.  Passwords are hashed with Argon2id
 * (libsodium crypto_pwhash_str, its "interactive" limits); the clear text
 * is never stored, logged or put in an error message.  A password is valid
 * UTF-8 of 8 to 1024 bytes. */

/** Sets (or replaces) the password of a provider.  BK_ENOTFOUND,
 *  BK_EINVAL ("password: ..."). */
BK_API int bk_provider_set_password(bk_db *db, const bk_id *provider, const char *password);

/**
 * Imports a password hash made elsewhere (moving from another system): an
 * Argon2id string in the "$argon2id$v=19$m=...,t=...,p=...$salt$hash" form
 * libsodium and the reference implementation write.  Anything else is
 * BK_EINVAL.  A hash weaker than the library's limits is upgraded at the
 * next successful bk_provider_verify_password.
 */
BK_API int bk_provider_set_password_hash(bk_db *db, const bk_id *provider, const char *argon2id_hash);

/**
 * Checks a login: `login` is the provider's username or email, compared as
 * uniqueness compares them (Unicode case folding, NFC).  BK_OK and
 * *out_provider (may be NULL) on success; BK_EDENIED for an unknown login,
 * a provider without a password, a deleted provider or a wrong password.
 * When the stored hash was made with weaker limits than the library's
 * current ones (crypto_pwhash_str_needs_rehash), it is replaced by a new
 * hash of the same password, and *out_rehashed (may be NULL) is set to 1
 * (else 0).
 */
BK_API int bk_provider_verify_password(bk_db *db, const char *login, const char *password, bk_id *out_provider,
                                       int *out_rehashed);

BK_API void bk_provider_free(bk_provider *p);
BK_API void bk_provider_list_free(bk_provider **list, size_t n);

/* ------------------------------------------------------------------ */
/* Services                                                            */
/* ------------------------------------------------------------------ */

/** What is booked and how: a service's settings govern both bk_slots and
 *  bk_book, so what is offered and what may be booked never disagree. */
typedef struct bk_service {
    unsigned int version;      /* BK_SERVICE_VERSION */
    bk_id id;
    bk_id provider;
    const char *name;          /* required, 1-200 bytes */
    const char *description;   /* optional, <= 4000 bytes */
    int duration_minutes;      /* 1..1440 */
    int buffer_before_minutes; /* 0..1440 */
    int buffer_after_minutes;  /* 0..1440 */
    int slot_step_minutes;     /* 0 = the duration; else 1..1440 */
    int min_notice_minutes;    /* 0..525600 */
    int horizon_days;          /* 0 = unlimited; else 1..3650 */
    int64_t price_minor;       /* price in minor units of currency, >= 0 */
    const char *currency;      /* ISO 4217 code, three upper-case letters */
    int active;                /* 0 or 1; inactive services offer nothing */
    int display_order;         /* for listing */
    int requires_confirmation; /* 1: new bookings start pending; 0: confirmed */
    bk_time created_at;
    bk_time updated_at;
} bk_service;

#define BK_SERVICE_VERSION 1
#define BK_SERVICE_INIT {BK_SERVICE_VERSION, {{0}}, {{0}}, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, "EUR", 1, 0, 0, BK_TIME_UNSET, BK_TIME_UNSET}
BK_API void bk_service_init(bk_service *s);

/** Creates a service of provider spec->provider.  BK_ENOTFOUND (provider),
 *  BK_EINVAL. */
BK_API int bk_service_create(bk_db *db, const bk_service *spec, bk_id *out_id);
BK_API int bk_service_get(bk_db *db, const bk_id *id, bk_service **out);
/** Replaces every field of service spec->id except its provider. */
BK_API int bk_service_update(bk_db *db, const bk_service *spec);
/** A provider's services, ordered by display_order then name, inactive
 *  ones included. */
BK_API int bk_service_list(bk_db *db, const bk_id *provider, bk_service ***out, size_t *n);
/** Sets active = 0.  Existing bookings stay; no new slots are offered. */
BK_API int bk_service_deactivate(bk_db *db, const bk_id *id);
BK_API void bk_service_free(bk_service *s);
BK_API void bk_service_list_free(bk_service **list, size_t n);

/* ------------------------------------------------------------------ */
/* Weekly availability                                                 */
/* ------------------------------------------------------------------ */

/** One weekly row: on `weekday` (0 = Sunday .. 6 = Saturday), local time
 *  [start_minute, end_minute) is working time, or, with is_available = 0,
 *  is cut out of the weekday's working time. */
typedef struct bk_availability {
    unsigned int version; /* BK_AVAILABILITY_VERSION */
    bk_id id;
    bk_id provider;
    int weekday;
    int start_minute;
    int end_minute;
    int is_available;
} bk_availability;

#define BK_AVAILABILITY_VERSION 1
#define BK_AVAILABILITY_INIT {BK_AVAILABILITY_VERSION, {{0}}, {{0}}, 0, 0, 0, 1}
BK_API void bk_availability_init(bk_availability *a);

BK_API int bk_availability_add(bk_db *db, const bk_availability *spec, bk_id *out_id);
/** A provider's rows, ordered by weekday, start, end. */
BK_API int bk_availability_list(bk_db *db, const bk_id *provider, bk_availability ***out, size_t *n);
BK_API int bk_availability_delete(bk_db *db, const bk_id *id);
BK_API void bk_availability_free(bk_availability *a);
BK_API void bk_availability_list_free(bk_availability **list, size_t n);

/* ------------------------------------------------------------------ */
/* Date overrides                                                      */
/* ------------------------------------------------------------------ */

#define BK_OVERRIDE_MAX_INTERVALS 48

/** A civil date whose working time replaces the weekly rows: the union of
 *  `intervals`; none at all means a day off. */
typedef struct bk_override {
    unsigned int version; /* BK_OVERRIDE_VERSION */
    bk_id provider;
    bk_date date;
    size_t n_intervals;   /* 0..BK_OVERRIDE_MAX_INTERVALS */
    const bk_local_interval *intervals;
} bk_override;

#define BK_OVERRIDE_VERSION 1
#define BK_OVERRIDE_INIT {BK_OVERRIDE_VERSION, {{0}}, {0, 0, 0}, 0, NULL}
BK_API void bk_override_init(bk_override *o);

/** Sets (creates or replaces) the override of spec->provider on spec->date. */
BK_API int bk_override_set(bk_db *db, const bk_override *spec);
/** A provider's overrides on dates in [from, to] (inclusive), by date. */
BK_API int bk_override_list(bk_db *db, const bk_id *provider, const bk_date *from,
                            const bk_date *to, bk_override ***out, size_t *n);
/** Removes the override of that date: the weekly rows apply again. */
BK_API int bk_override_delete(bk_db *db, const bk_id *provider, const bk_date *date);
BK_API void bk_override_free(bk_override *o);
BK_API void bk_override_list_free(bk_override **list, size_t n);

/* ------------------------------------------------------------------ */
/* Blocked periods                                                     */
/* ------------------------------------------------------------------ */

/** An absolute period [start, end) in which nothing may be booked. */
typedef struct bk_blocked {
    unsigned int version; /* BK_BLOCKED_VERSION */
    bk_id id;
    bk_id provider;
    bk_time start;
    bk_time end;
    /** NULL or "": a one-off period.  Else an RFC 5545 RRULE making the
     *  period recur (DESIGN.md 3.4): "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" or,
     *  to skip occurrences, iCalendar lines "RRULE:...\nEXDATE:<UTC>,..."
     *  (UTC as YYYYMMDDTHHMMSSZ).  The period [start, end) is the first
     *  occurrence, counted by COUNT; its local start in the provider's zone
     *  must match the rule.  Later occurrences keep the first one's local
     *  time of day (moved by RFC 5545's gap/overlap rule across DST) and its
     *  elapsed length.  Supported: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY),
     *  INTERVAL, COUNT, UNTIL (UTC, inclusive, compared with each
     *  occurrence's UTC start; not with COUNT), BYDAY (with ordinals for
     *  MONTHLY/YEARLY, e.g. -1FR), BYMONTHDAY (negative too), BYMONTH,
     *  BYSETPOS, WKST.  Anything else is BK_EINVAL naming the part, when the
     *  period is stored.  A rule is checked against the provider's zone when
     *  stored: change a provider's zone and its rules keep their wall-clock
     *  meaning in the new zone. */
    const char *rrule;
    const char *reason;   /* optional, <= 1000 bytes */
} bk_blocked;

#define BK_BLOCKED_VERSION 1
#define BK_BLOCKED_INIT {BK_BLOCKED_VERSION, {{0}}, {{0}}, 0, 0, NULL, NULL}
BK_API void bk_blocked_init(bk_blocked *b);

BK_API int bk_blocked_add(bk_db *db, const bk_blocked *spec, bk_id *out_id);
/** A provider's blocked periods overlapping [from, to), by start. */
BK_API int bk_blocked_list(bk_db *db, const bk_id *provider, bk_time from, bk_time to,
                           bk_blocked ***out, size_t *n);
BK_API int bk_blocked_delete(bk_db *db, const bk_id *id);
BK_API void bk_blocked_free(bk_blocked *b);
BK_API void bk_blocked_list_free(bk_blocked **list, size_t n);

/* ------------------------------------------------------------------ */
/* Slots                                                               */
/* ------------------------------------------------------------------ */

typedef struct bk_slot_query {
    unsigned int version; /* BK_SLOT_QUERY_VERSION */
    bk_id provider;
    bk_id service;
    bk_time from;         /* slots start in [from, to) */
    bk_time to;
    bk_time now;          /* for notice and horizon; BK_TIME_UNSET = the clock */
} bk_slot_query;

#define BK_SLOT_QUERY_VERSION 1
#define BK_SLOT_QUERY_INIT {BK_SLOT_QUERY_VERSION, {{0}}, {{0}}, 0, 0, BK_TIME_UNSET}
BK_API void bk_slot_query_init(bk_slot_query *q);

/** A free slot [start, end) in UTC. */
typedef struct bk_slot {
    bk_time start;
    bk_time end;
} bk_slot;

/** The longest window one query may span (366 days). */
#define BK_SLOT_WINDOW_MAX ((bk_time)366 * 86400)

/**
 * The free slots of a service, exactly as DESIGN.md section 3 defines them,
 * sorted by start, without duplicates.  *out is an array of *n slots (NULL
 * when *n is 0): free with bk_slots_free().
 *
 * Errors: BK_EINVAL (bad query, to <= from, window longer than
 * BK_SLOT_WINDOW_MAX, inactive service — DESIGN.md 3.6: an error, never an
 * empty list), BK_ENOTFOUND (provider; service missing or of another
 * provider).
 */
BK_API int bk_slots(bk_db *db, const bk_slot_query *q, bk_slot **out, size_t *n);
BK_API void bk_slots_free(bk_slot *slots);

/** Why a start is or is not offered. */
typedef enum bk_slot_reason {
    BK_SLOT_OFFERED = 0,
    BK_SLOT_OUTSIDE_WINDOW = 1,       /* not in [from, to) */
    BK_SLOT_OUTSIDE_WORKING_TIME = 2, /* [t, t+D) not inside one working interval */
    BK_SLOT_OFF_GRID = 3,             /* working time, but not a grid start */
    BK_SLOT_BLOCKED = 4,              /* overlaps blocked period `related` */
    BK_SLOT_NOTICE = 5,               /* t < now + notice */
    BK_SLOT_HORIZON = 6,              /* t >= now + horizon (horizon > 0) */
    BK_SLOT_CONFLICT = 7              /* occupied range overlaps booking `related` */
} bk_slot_reason;

typedef struct bk_slot_verdict {
    unsigned int version;  /* BK_SLOT_VERDICT_VERSION: set it before the call */
    /** The first failing condition in the order of the enum: a start that
     *  would never be offered is reported as such even when it also
     *  conflicts with a booking (a conflict is the one transient reason). */
    bk_slot_reason reason;
    bk_id related;         /* the blocked period or booking, else empty */
    bk_time start;         /* the slot asked about */
    bk_time end;           /* start + duration */
    char message[256];     /* one line for people */
} bk_slot_verdict;

#define BK_SLOT_VERDICT_VERSION 1
#define BK_SLOT_VERDICT_INIT {BK_SLOT_VERDICT_VERSION, BK_SLOT_OFFERED, {{0}}, 0, 0, {0}}

/** Says whether `start` would be offered by bk_slots(q) and, if not, why.
 *  Same errors as bk_slots. */
BK_API int bk_slot_explain(bk_db *db, const bk_slot_query *q, bk_time start, bk_slot_verdict *out);

/** A static name of a reason ("offered", "blocked", ...); never NULL. */
BK_API const char *bk_slot_reason_name(bk_slot_reason reason);

/* ------------------------------------------------------------------ */
/* Bookings                                                            */
/* ------------------------------------------------------------------ */

typedef enum bk_booking_status {
    BK_BOOKING_PENDING = 1,
    BK_BOOKING_CONFIRMED = 2,
    BK_BOOKING_CANCELLED = 3,
    BK_BOOKING_COMPLETED = 4,
    BK_BOOKING_NO_SHOW = 5
} bk_booking_status;

/** "pending", "confirmed", ...; NULL for a value that is not a status. */
BK_API const char *bk_booking_status_name(bk_booking_status status);
/** Parses a status name; BK_EINVAL for anything else. */
BK_API int bk_booking_status_parse(const char *name, bk_booking_status *out);

typedef struct bk_booking {
    unsigned int version;      /* BK_BOOKING_VERSION (struct layout) */
    bk_id id;
    bk_id provider;
    bk_id service;
    bk_time start;
    bk_time end;
    int buffer_before_minutes; /* as committed: later service edits do not change it */
    int buffer_after_minutes;
    bk_booking_status status;
    int64_t lock_version;      /* optimistic-locking version, 1 when created */
    const char *idempotency_key; /* may be NULL */
    const char *customer_name;
    const char *customer_email;
    const char *customer_phone;    /* may be NULL */
    const char *customer_timezone; /* may be NULL; for display only */
    const char *notes;             /* may be NULL */
    const char *cancellation_reason; /* may be NULL */
    bk_time created_at;
    bk_time updated_at;
    bk_time confirmed_at;      /* BK_TIME_UNSET if never confirmed */
    bk_time cancelled_at;      /* BK_TIME_UNSET if not cancelled */
    bk_time archived_at;       /* output only: BK_TIME_UNSET unless moved to
                                  the archive (bk_booking_archive) */
} bk_booking;

#define BK_BOOKING_VERSION 1
BK_API void bk_booking_free(bk_booking *b);
BK_API void bk_booking_list_free(bk_booking **list, size_t n);

typedef struct bk_book_request {
    unsigned int version;      /* BK_BOOK_REQUEST_VERSION */
    bk_id provider;
    bk_id service;
    bk_time start;             /* must be a slot bk_slots would offer */
    bk_time now;               /* for notice and horizon; BK_TIME_UNSET = the clock */
    const char *idempotency_key;   /* optional, 1-200 bytes */
    const char *customer_name;     /* required, 1-200 bytes */
    const char *customer_email;    /* required, <= 254 bytes, has '@' */
    const char *customer_phone;    /* optional, <= 50 bytes */
    const char *customer_timezone; /* optional, IANA id */
    const char *notes;             /* optional, <= 4000 bytes */
} bk_book_request;

#define BK_BOOK_REQUEST_VERSION 1
#define BK_BOOK_REQUEST_INIT {BK_BOOK_REQUEST_VERSION, {{0}}, {{0}}, 0, BK_TIME_UNSET, NULL, NULL, NULL, NULL, NULL, NULL}
BK_API void bk_book_request_init(bk_book_request *r);

/**
 * Books a slot, atomically (DESIGN.md section 4): succeeds iff req->start is
 * a slot bk_slots would offer at req->now.  The new booking is pending if
 * the service requires confirmation, else confirmed; it keeps the service's
 * buffers.  *out (may be NULL) receives the new booking: free it with
 * bk_booking_free().
 *
 * With an idempotency key, repeating the call returns the first booking
 * (BK_OK) instead of a conflict; the same key with different parameters is
 * BK_EINVAL.
 *
 * Errors: BK_ECONFLICT (overlaps a live booking), BK_EUNAVAILABLE (not
 * offered: working time, blocked, notice, horizon, grid), BK_ENOTFOUND,
 * BK_EINVAL (bad input, inactive service, idempotency key reused with other
 * parameters).  When a start both conflicts and is not offered for a
 * lasting reason, the lasting reason wins (BK_EUNAVAILABLE).
 */
BK_API int bk_book(bk_db *db, const bk_book_request *req, bk_booking **out);

/**
 * Stores an existing booking as it is, without checking availability: for
 * importing history from another system.  Only its occupied range is
 * checked against live bookings (BK_ECONFLICT).  spec->status, times,
 * buffers and customer fields are taken as given; id, lock_version,
 * created_at and updated_at are assigned.
 */
BK_API int bk_booking_import(bk_db *db, const bk_booking *spec, bk_id *out_id);

BK_API int bk_booking_get(bk_db *db, const bk_id *id, bk_booking **out);

/** The bit of a status in bk_booking_filter.statuses. */
#define BK_STATUS_BIT(status) (1u << (unsigned)(status))

typedef struct bk_booking_filter {
    unsigned int version; /* BK_BOOKING_FILTER_VERSION */
    bk_id provider;       /* required */
    bk_time from;         /* bookings whose [start, end) overlaps [from, to) */
    bk_time to;
    int include_cancelled; /* 0: live bookings only (when statuses is 0) */
    /** 0: every status (cancelled ones as include_cancelled says); else
     *  the statuses to return, BK_STATUS_BIT(BK_BOOKING_CONFIRMED) | ...,
     *  and include_cancelled is ignored. */
    unsigned int statuses;
    /** NULL: any customer; else only bookings of this email, compared as
     *  provider emails are (Unicode case folding, NFC). */
    const char *customer_email;
} bk_booking_filter;

#define BK_BOOKING_FILTER_VERSION 1
#define BK_BOOKING_FILTER_INIT {BK_BOOKING_FILTER_VERSION, {{0}}, BK_TIME_MIN, BK_TIME_MAX, 1, 0, NULL}
BK_API void bk_booking_filter_init(bk_booking_filter *f);

/** A provider's bookings matching the filter, ordered by start (then id);
 *  archived bookings (bk_booking_archive) are included. */
BK_API int bk_booking_list(bk_db *db, const bk_booking_filter *f, bk_booking ***out, size_t *n);

/**
 * Cancels a booking (pending or confirmed -> cancelled), recording reason
 * (optional) and cancelled_at.  expected_lock_version is the lock_version
 * the caller last saw: a mismatch is BK_ESTALE and changes nothing.  On
 * success the version goes up by one and *out (may be NULL) receives the
 * updated booking.  BK_ESTATE if the booking is already final.
 */
BK_API int bk_booking_cancel(bk_db *db, const bk_id *id, int64_t expected_lock_version,
                             const char *reason, bk_booking **out);

/** pending -> confirmed, setting confirmed_at.  Same versioning and errors
 *  as bk_booking_cancel (BK_ESTATE from any other status). */
BK_API int bk_booking_confirm(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out);

/** confirmed -> completed. */
BK_API int bk_booking_complete(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out);

/** confirmed -> no_show. */
BK_API int bk_booking_mark_no_show(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_booking **out);

/**
 * Moves a live (pending or confirmed) booking to new_start, atomically,
 * keeping its id and status: new_start must be a slot bk_slots would offer
 * at `now` (BK_TIME_UNSET = the clock) if the booking itself did not exist.
 * As with bk_book, the booking takes the service's current duration and
 * buffers.  On success the version goes up by one; on BK_ECONFLICT,
 * BK_EUNAVAILABLE, BK_ESTALE or BK_ESTATE the booking stays where it was.
 */
BK_API int bk_booking_reschedule(bk_db *db, const bk_id *id, int64_t expected_lock_version, bk_time new_start,
                                 bk_time now, bk_booking **out);

/* ------------------------------------------------------------------ */
/* Booking tokens: confirm / cancel / reschedule links                 */
/* ------------------------------------------------------------------ */

typedef enum bk_token_action {
    BK_TOKEN_CONFIRM = 1,
    BK_TOKEN_CANCEL = 2,
    BK_TOKEN_RESCHEDULE = 3
} bk_token_action;

/** A token as text: "bkt1_" and 43 URL-safe base64 characters (256 random
 *  bits from libsodium), NUL-terminated. */
#define BK_TOKEN_SIZE 49

/**
 * Issues a token that lets its holder perform `action` on a live booking
 * until `expires_at` (after the clock, at most BK_TIME_MAX), once.  The
 * token text goes to `out`, the only place it ever exists: the store keeps
 * a BLAKE2b hash of it.  BK_ENOTFOUND (booking), BK_ESTATE (booking final),
 * BK_EINVAL.
 */
BK_API int bk_token_issue(bk_db *db, const bk_id *booking, bk_token_action action, bk_time expires_at,
                          char out[BK_TOKEN_SIZE]);

/** What bk_token_redeem needs besides the token. */
typedef struct bk_token_redeem_params {
    unsigned int version;  /* BK_TOKEN_REDEEM_PARAMS_VERSION */
    bk_time now;           /* expiry, notice, horizon; BK_TIME_UNSET = the clock */
    bk_time new_start;     /* BK_TOKEN_RESCHEDULE only: the new start */
    const char *reason;    /* BK_TOKEN_CANCEL only: optional cancellation reason */
} bk_token_redeem_params;

#define BK_TOKEN_REDEEM_PARAMS_VERSION 1
#define BK_TOKEN_REDEEM_PARAMS_INIT {BK_TOKEN_REDEEM_PARAMS_VERSION, BK_TIME_UNSET, BK_TIME_UNSET, NULL}
BK_API void bk_token_redeem_params_init(bk_token_redeem_params *p);

/**
 * Performs the token's action on its booking (the rules of
 * bk_booking_confirm, bk_booking_cancel, bk_booking_reschedule) and marks
 * the token used, atomically: of two concurrent redeems of one token
 * exactly one succeeds.  *out (may be NULL) receives the updated booking;
 * *out_action (may be NULL) the token's action.  A call that fails changes
 * nothing and does not use the token up.
 *
 * Errors: BK_EINVAL (token malformed: not "bkt1_" + 43 base64url
 * characters; or bad params), BK_ENOTFOUND (no such token), BK_EEXPIRED,
 * BK_EUSED, and for the action BK_ESTATE, BK_ECONFLICT, BK_EUNAVAILABLE.
 */
BK_API int bk_token_redeem(bk_db *db, const char *token, const bk_token_redeem_params *params, bk_booking **out,
                           bk_token_action *out_action);

/* ------------------------------------------------------------------ */
/* Customer data rights (GDPR) and retention                           */
/* ------------------------------------------------------------------ */

/**
 * Every booking of a customer email, across all providers, archived ones
 * included, as one JSON document (UTF-8, the format the README describes:
 * {"format": "libbooking.customer-export", "format_version": 1,
 * "customer_email": ..., "exported_at": ..., "bookings": [...]}).  The
 * email is compared case-insensitively (Unicode case folding, NFC).  Free
 * *out_json with bk_string_free().  A customer without bookings gets a
 * document with an empty list.
 */
BK_API int bk_customer_export(bk_db *db, const char *customer_email, char **out_json);

/**
 * Erases a customer: in every booking of that email (archived ones too),
 * the name becomes "erased", the email "erased@<booking id>.invalid", and
 * phone, time zone, notes, cancellation reason and idempotency key are
 * cleared; the bookings themselves stay (the providers' calendars keep
 * their times and statuses), each one's lock_version goes up, and their
 * unused tokens are deleted.  *n_erased (may be NULL) counts the bookings.
 */
BK_API int bk_customer_erase(bk_db *db, const char *customer_email, size_t *n_erased);

/**
 * Retention: erases, as bk_customer_erase does, the personal fields of
 * every booking that ended before `ended_before`, whatever its customer.
 * Bookings already anonymised are left as they are.  *n_anonymised (may be
 * NULL) counts the bookings changed.
 */
BK_API int bk_bookings_anonymise(bk_db *db, bk_time ended_before, size_t *n_anonymised);

/**
 * Moves final bookings (completed, cancelled, no_show) that ended before
 * `ended_before` into the archive, at most `batch_size` (1..100000) per
 * store transaction, so that new bookings are never held up behind one
 * long move; repeats batches until none is left.  Archived bookings keep
 * their ids and stay readable (bk_booking_get, bk_booking_list,
 * bk_customer_export, with archived_at set) but can no longer change.
 * *n_archived (may be NULL) counts the bookings moved.
 */
BK_API int bk_booking_archive(bk_db *db, bk_time ended_before, size_t batch_size, size_t *n_archived);

/* ------------------------------------------------------------------ */
/* Calendars and display: iCalendar export, localised times, zone data */
/* ------------------------------------------------------------------ */

/** Frees a string the library handed out (bk_booking_ical,
 *  bk_provider_ical_feed).  Accepts NULL. */
BK_API void bk_string_free(char *s);

/** iCalendar flag: DTSTART/DTEND as local times of the provider's zone
 *  (TZID=<zone>) with a VTIMEZONE for it, instead of UTC. */
#define BK_ICAL_LOCAL_TIME 0x1u

/**
 * A booking as an RFC 5545 iCalendar object: one VCALENDAR (VERSION:2.0,
 * PRODID "-//libbooking//libbooking 1.0//EN") holding one VEVENT, for the
 * customer's calendar.  The VCALENDAR's METHOD is REQUEST, or CANCEL once
 * the booking is cancelled.  The VEVENT has:
 *
 *  - UID "<booking id>@libbooking": the same for every version of the
 *    booking, so a calendar replaces the event it already holds;
 *  - DTSTAMP and LAST-MODIFIED (the booking's updated_at), CREATED;
 *  - SEQUENCE = lock_version - 1: 0 when booked, one more per change
 *    (confirm, reschedule, cancel, ...);
 *  - STATUS: pending -> TENTATIVE; confirmed, completed, no_show ->
 *    CONFIRMED; cancelled -> CANCELLED (with COMMENT: the reason, if any);
 *  - SUMMARY "<service name> – <provider full name>";
 *  - DTSTART/DTEND in UTC ("...Z"); with BK_ICAL_LOCAL_TIME as
 *    TZID=<provider's zone> local times plus a VTIMEZONE built from ICU's
 *    rules, listing the zone's transitions from the year before the booking
 *    to the year after.  The zone is named by its IANA id (see
 *    bk_timezone_canonical).  A local time that occurs twice (a fall-back
 *    hour) names its first occurrence in iCalendar, so a booking in the
 *    second one keeps that time in UTC;
 *  - ORGANIZER;CN=<provider full name>:mailto:<provider email>;
 *  - ATTENDEE;CN=<customer name>;ROLE=REQ-PARTICIPANT:mailto:<customer email>;
 *  - DESCRIPTION: the booking's notes, if any.
 *
 * Text is escaped as RFC 5545 3.3.11 says (\\ \; \, and \n for a line
 * break), parameter values as RFC 6868 says (^^ ^n ^') and quoted when they
 * hold ':', ';' or ','; addresses are percent-encoded where a URI needs it.
 * Lines end in CRLF and are folded at 75 octets (a continuation line starts
 * with a space), never inside a UTF-8 character.
 *
 * *out receives the NUL-terminated UTF-8 text: free it with
 * bk_string_free().  Errors: BK_EINVAL (NULL out, bad id, unknown flag
 * bits), BK_ENOTFOUND (booking).  On error *out is NULL.
 */
BK_API int bk_booking_ical(bk_db *db, const bk_id *booking, unsigned flags, char **out);

/**
 * A provider's bookings overlapping [from, to) as one iCalendar feed for
 * the provider's own calendar: one VCALENDAR with METHOD:PUBLISH and one
 * VEVENT per booking, by start, cancelled ones included (STATUS:CANCELLED).
 * The VEVENTs are those of bk_booking_ical, except that a PUBLISH may name
 * no ATTENDEE (RFC 5546 3.2.1): the customer is a CONTACT
 * (CONTACT;ALTREP="mailto:<email>":<name>) and the SUMMARY reads
 * "<service name> – <customer name>".  With BK_ICAL_LOCAL_TIME, one
 * VTIMEZONE for the provider's zone covers every event.
 *
 * *out: as for bk_booking_ical.  Errors: BK_EINVAL (NULL out, bad id, from
 * outside [BK_TIME_MIN, BK_TIME_MAX), to outside (from, BK_TIME_MAX],
 * unknown flag bits), BK_ENOTFOUND (provider).
 */
BK_API int bk_provider_ical_feed(bk_db *db, const bk_id *provider, bk_time from, bk_time to, unsigned flags,
                                 char **out);

/** Display styles of the zone in bk_slot_format / bk_booking_format; at
 *  most one (0 = BK_FORMAT_ZONE_NAME). */
#define BK_FORMAT_ZONE_NAME 0x1u   /* short specific name: "EDT", "MESZ", "JST" (else "GMT+2") */
#define BK_FORMAT_ZONE_OFFSET 0x2u /* localised GMT offset: "GMT-4", "GMT+2" */
#define BK_FORMAT_ZONE_LONG 0x4u   /* long specific name: "Eastern Daylight Time" */

/**
 * Formats the slot [start, end) for a reader in `zone` with ICU's interval
 * formatting: "Mon, Mar 30, 2026, 3:00 – 3:30 AM EDT" (en_US),
 * "Mo., 30. März 2026, 09:00–09:30 Uhr MESZ" (de_DE), "2026年3月30日(月)
 * 16時00分～16時30分(JST)" (ja_JP).  `locale` is an ICU locale id (NULL =
 * "en_US"; ASCII letters, digits and _-@=;. only; a locale ICU has no data
 * for falls back as ICU does, to its language or to the root locale).
 * `style` is 0 or one BK_FORMAT_ZONE_* value.  When the zone's name or
 * offset differs at the two ends (a slot across a DST change), each end is
 * written in full with its own.
 *
 * Writes NUL-terminated UTF-8 into buf.  BK_EINVAL (message in
 * bk_errmsg(NULL)): NULL slot or buf, times outside 1900-2199, end <=
 * start, unknown zone, bad locale text, unknown style bits, or buf_size too
 * small (the message says how many bytes are needed; buf is then "").
 */
BK_API int bk_slot_format(const bk_slot *slot, const char *zone, const char *locale, unsigned style, char *buf,
                          size_t buf_size);

/**
 * Formats a booking's [start, end) as bk_slot_format does.  `zone` NULL
 * means the booking's customer_timezone when it has one, else the
 * provider's zone.  Errors as bk_slot_format's (on the handle), and
 * BK_ENOTFOUND (booking).
 */
BK_API int bk_booking_format(bk_db *db, const bk_id *booking, const char *zone, const char *locale, unsigned style,
                             char *buf, size_t buf_size);

/**
 * The canonical IANA id of a zone id ICU knows: an alias becomes the zone it
 * links to ("US/Eastern" -> "America/New_York", "Asia/Calcutta" ->
 * "Asia/Kolkata"), "UTC" and its aliases ("Etc/UTC", "Zulu", ...) become
 * "UTC"; a canonical id stays itself.  ICU answers with CLDR's ids, some of
 * which are IANA's old names ("Asia/Calcutta", "Europe/Kiev"): those are
 * given IANA's current name when the running ICU knows it.  Writes it into
 * buf (NUL-terminated).  BK_EINVAL (message in bk_errmsg(NULL)) for an
 * unknown zone, a NULL buf or a buf_size too small.
 */
BK_API int bk_timezone_canonical(const char *zone, char *buf, size_t buf_size);

/**
 * Every zone a user may pick: the canonical ids (as bk_timezone_canonical
 * writes them) of ICU's zones that belong to a place, plus "UTC", sorted
 * (byte order), without aliases ("US/Eastern" is not listed) or
 * fixed-offset ids ("Etc/GMT+5").  *out is an array of *n strings: free it
 * with bk_timezone_list_free(*out, *n).  BK_EINVAL (NULL out or n),
 * BK_ENOMEM.
 */
BK_API int bk_timezone_list(char ***out, size_t *n);
BK_API void bk_timezone_list_free(char **list, size_t n);

/** The version of the tz database ICU uses in this process ("2024a"):
 *  static, never NULL ("unknown" if ICU cannot say).  ICU reads it from
 *  its data at run time, so it changes with the ICU data installed or
 *  with the directory ICU_TIMEZONE_FILES_DIR names (README, "Time-zone
 *  data"), not with a rebuild of this library. */
BK_API const char *bk_tzdata_version(void);

#ifdef __cplusplus
}
#endif

#endif /* BOOKING_H */
