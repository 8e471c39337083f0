/* The PostgreSQL backend, over libpq.
 *
 * Statements.  Every statement is sent with PQsendQueryParams (the
 * unnamed statement, text parameters): no PQprepare and no session state
 * (no SET, no temporary tables, no session advisory locks), because a
 * transaction-pooling PgBouncer hands each transaction to whichever server
 * connection is free (POSTGRES-NOTES.md: named statements break there).
 * Every table is schema-qualified with the quoted schema; the texts are
 * expanded once, at open.  Migrations alone send DDL scripts with PQexec,
 * inside an explicit transaction.
 *
 * Round trips.  Every call is one round trip, bar error paths.  bk_slots
 * is one schedule_load: one call of a PL/pgSQL function (migration 4),
 * whose statement's plan the server keeps across calls, read in binary
 * (see pg_schedule_load); bk_book is that plus one booking_insert, one
 * call of a second function whose INSERT ... ON CONFLICT DO NOTHING also
 * reports, when it inserted nothing, why (see pg_booking_insert).  The two
 * functions are the only statements not parsed and planned on every call;
 * the others are cheap to plan or rare.  Lists check that the
 * provider exists in the same statement (a LEFT JOIN from the provider
 * id), so that a missing provider is BK_ENOTFOUND without a second read.
 * tests/test_pg_round_trips.c counts them on the wire.
 *
 * Values.  Parameters and results are text (schedule_load's results
 * excepted, binary): times as epoch seconds
 * (to_timestamp($n::bigint) in, extract(epoch ...)::bigint out), dates as
 * ISO text, ids as uuid text.  Records are emitted with string members
 * pointing into the PGresult, so a read allocates nothing of its own
 * (bar schedule_load's sort index, past 64 rows, and its copies of the
 * provider's, service's and keyed booking's text, which come in arrays).
 *
 * Faults.  A call that finds the connection broken (or closed by the
 * server while idle) resets it first (one attempt).  A statement that
 * loses the connection is BK_ECONNECTION for a read and BK_EUNKNOWN for a
 * write (the commit may have happened), unless it was never sent.
 * Deadlocks and serialization failures are retried a bounded number of
 * times with a small random backoff; booking updates of one provider are
 * serialised so that they do not deadlock in the first place (see
 * ST_BOOKING_UPDATE).
 */
#include "store/postgres.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/pg_schema.h"
#include "util/alloc.h"
#include "util/civil.h"
#include "util/uuid.h"

#ifdef __clang_analyzer__
/* clang's analyzer (tests/static/run.sh) does not step into variadic
 * calls, so it cannot see that bk_store_error returns its code, never
 * BK_OK, and reports paths that only exist if it did.  Said for the
 * analyzer alone. */
#define bk_store_error(err, code, ...) (bk_store_error((err), (code), __VA_ARGS__), (code))
#endif

/* Bounded retries: of a statement that hit a deadlock or a serialization
 * failure, of a booking insert that was skipped by a row this statement
 * could not see, and of a migration that raced another schema's. */
#define MAX_ATTEMPTS 10

/* Times PostgreSQL's timestamptz can hold, inside which query bounds are
 * clamped (stored times are years 1900-2199 plus buffers, far inside):
 * 0001-01-01 and 9999-12-31T23:59:59Z. */
#define PG_TIME_LO ((bk_time)-62135596800LL)
#define PG_TIME_HI ((bk_time)253402300799LL)

/* Unless the caller's conninfo says otherwise: never wait forever for a
 * server, and talk UTF-8 whatever the database's default. */
#define DEFAULT_CONNECT_TIMEOUT "10"

/* ------------------------------------------------------------------ */
/* Statement texts                                                     */
/* ------------------------------------------------------------------ */

#define EP(a, c) "extract(epoch from " a "." c ")::bigint::text"

#define PROVIDER_COLS(a)                                                                           \
    a ".id::text, " a ".username, " a ".email, " a ".full_name, " a ".timezone, " a                \
      ".business_name, " a ".description, " a ".avatar_url, " EP(a, "created_at") ", "             \
      EP(a, "updated_at") ", " EP(a, "deleted_at")

#define SERVICE_COLS(a)                                                                            \
    a ".id::text, " a ".provider_id::text, " a ".name, " a ".description, " a                      \
      ".duration_minutes::text, " a ".buffer_before_minutes::text, " a                             \
      ".buffer_after_minutes::text, " a ".slot_step_minutes::text, " a                             \
      ".min_notice_minutes::text, " a ".horizon_days::text, " a ".price_minor::text, " a           \
      ".currency::text, " a ".active::int::text, " a ".display_order::text, " a                    \
      ".requires_confirmation::int::text, " EP(a, "created_at") ", " EP(a, "updated_at")

#define AVAIL_COLS(a)                                                                              \
    a ".id::text, " a ".provider_id::text, " a ".weekday::text, " a ".start_minute::text, " a      \
      ".end_minute::text, " a ".is_available::int::text"

#define BLOCKED_COLS(a)                                                                            \
    a ".id::text, " a ".provider_id::text, " EP(a, "start_time") ", " EP(a, "end_time") ", " a      \
      ".rrule, " a ".reason"

/* A booking's columns, then archived_at: NULL in the live table. */
#define BOOKING_COLS(a) BOOKING_BASE_COLS(a) ", NULL::text"
#define ARCHIVED_COLS(a) BOOKING_BASE_COLS(a) ", " EP(a, "archived_at")

#define BOOKING_BASE_COLS(a)                                                                       \
    a ".id::text, " a ".provider_id::text, " a ".service_id::text, " EP(a, "start_time") ", "      \
      EP(a, "end_time") ", " a ".buffer_before_minutes::text, " a ".buffer_after_minutes::text, " a \
      ".status, " a ".lock_version::text, " a ".idempotency_key, " a ".customer_name, " a          \
      ".customer_email, " a ".customer_phone, " a ".customer_timezone, " a ".notes, " a            \
      ".cancellation_reason, " EP(a, "created_at") ", " EP(a, "updated_at") ", "                   \
      EP(a, "confirmed_at") ", " EP(a, "cancelled_at")

/* What erasing a booking's customer writes, and which bookings it takes:
 * a booking is erased iff its email is erased@<its id>.invalid. */
#define ERASED_EMAIL(a) "'erased@' || " a ".id || '.invalid'"
#define ERASE_SET(a)                                                                               \
    "customer_name = 'erased', customer_email = " ERASED_EMAIL(a) ", customer_email_key = "        \
    ERASED_EMAIL(a) ", customer_phone = NULL, customer_timezone = NULL, notes = NULL,"              \
    " cancellation_reason = NULL, idempotency_key = NULL, lock_version = " a ".lock_version + 1,"  \
    " updated_at = to_timestamp($3::bigint)"
#define ERASE_WHERE(a)                                                                             \
    "($1::text IS NULL OR " a ".customer_email_key = $1::text) AND ($2::bigint IS NULL OR " a      \
    ".end_time < to_timestamp($2::bigint)) AND " a ".customer_email <> " ERASED_EMAIL(a)

/* An override row: the date, then one interval (NULLs for a day off). */
#define OVERRIDE_COLS(o, i) "to_char(" o ".day, 'YYYY-MM-DD'), " i ".start_minute::text, " i ".end_minute::text"

#define RANGE(a, b) "tstzrange(to_timestamp(" a "::bigint), to_timestamp(" b "::bigint), '[)')"

enum stmt {
    ST_PROVIDER_INSERT,
    ST_PROVIDER_UPDATE,
    ST_PROVIDER_GET,
    ST_PROVIDER_LIST,
    ST_SERVICE_INSERT,
    ST_SERVICE_UPDATE,
    ST_SERVICE_GET,
    ST_SERVICE_LIST,
    ST_AVAIL_INSERT,
    ST_AVAIL_DELETE,
    ST_AVAIL_LIST,
    ST_OVERRIDE_PUT,
    ST_OVERRIDE_DELETE,
    ST_OVERRIDE_LIST,
    ST_BLOCKED_INSERT,
    ST_BLOCKED_DELETE,
    ST_BLOCKED_LIST,
    ST_BOOKING_INSERT,
    ST_BOOKING_WHY_SKIPPED,
    ST_BOOKING_FK,
    ST_BOOKING_GET,
    ST_BOOKING_LIST,
    ST_BOOKING_UPDATE,
    ST_BOOKING_VERSION,
    ST_BOOKING_CONFLICT,
    ST_SCHEDULE,
    ST_VERSION_READ,
    ST_VERSION_INSERT,
    ST_PROVIDER_SET_DELETED,
    ST_PROVIDER_PURGE,
    ST_PASSWORD_SET,
    ST_LOGIN,
    ST_TOKEN_INSERT,
    ST_TOKEN_GET,
    ST_TOKEN_REDEEM,
    ST_BOOKING_BY_EMAIL,
    ST_BOOKINGS_ERASE,
    ST_BOOKING_ARCHIVE,
    ST_COUNT
};

/* Texts with "@." for the schema; the NULL one is built at open
 * (build_why_skipped). */
static const char *const stmt_text[ST_COUNT] = {
    [ST_PROVIDER_INSERT] =
        "INSERT INTO @.providers (id, username, username_key, email, email_key, full_name, timezone,"
        " business_name, description, avatar_url, created_at, updated_at)"
        " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11::bigint),"
        " to_timestamp($12::bigint))",
    /* created_at is kept: the library's update spec ignores it as input. */
    [ST_PROVIDER_UPDATE] =
        "UPDATE @.providers SET username = $2, username_key = $3, email = $4, email_key = $5,"
        " full_name = $6, timezone = $7, business_name = $8, description = $9, avatar_url = $10,"
        " updated_at = to_timestamp($11::bigint) WHERE id = $1::uuid",
    [ST_PROVIDER_GET] = "SELECT " PROVIDER_COLS("p") " FROM @.providers p WHERE p.id = $1::uuid",
    /* Byte order, as the memory backend compares. */
    [ST_PROVIDER_LIST] = "SELECT " PROVIDER_COLS("p") " FROM @.providers p WHERE p.deleted_at IS NULL"
                         " ORDER BY p.username COLLATE \"C\", p.id",
    [ST_SERVICE_INSERT] =
        "INSERT INTO @.services (id, provider_id, name, description, duration_minutes,"
        " buffer_before_minutes, buffer_after_minutes, slot_step_minutes, min_notice_minutes,"
        " horizon_days, price_minor, currency, active, display_order, requires_confirmation,"
        " created_at, updated_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5::int, $6::int, $7::int,"
        " $8::int, $9::int, $10::int, $11::bigint, $12, $13::boolean, $14::int, $15::boolean,"
        " to_timestamp($16::bigint), to_timestamp($17::bigint))",
    /* The provider and created_at of a service never change. */
    [ST_SERVICE_UPDATE] =
        "UPDATE @.services SET name = $2, description = $3, duration_minutes = $4::int,"
        " buffer_before_minutes = $5::int, buffer_after_minutes = $6::int,"
        " slot_step_minutes = $7::int, min_notice_minutes = $8::int, horizon_days = $9::int,"
        " price_minor = $10::bigint, currency = $11, active = $12::boolean,"
        " display_order = $13::int, requires_confirmation = $14::boolean,"
        " updated_at = to_timestamp($15::bigint) WHERE id = $1::uuid",
    [ST_SERVICE_GET] = "SELECT " SERVICE_COLS("s") " FROM @.services s WHERE s.id = $1::uuid",
    [ST_SERVICE_LIST] =
        "SELECT (p.id IS NOT NULL)::int::text, " SERVICE_COLS("s")
        " FROM (VALUES ($1::uuid)) AS q(id) LEFT JOIN @.providers p ON p.id = q.id"
        " LEFT JOIN @.services s ON s.provider_id = p.id"
        " ORDER BY s.display_order, s.name COLLATE \"C\", s.id",
    [ST_AVAIL_INSERT] =
        "INSERT INTO @.availability (id, provider_id, weekday, start_minute, end_minute, is_available)"
        " VALUES ($1::uuid, $2::uuid, $3::smallint, $4::smallint, $5::smallint, $6::boolean)",
    [ST_AVAIL_DELETE] = "DELETE FROM @.availability WHERE id = $1::uuid",
    [ST_AVAIL_LIST] =
        "SELECT (p.id IS NOT NULL)::int::text, " AVAIL_COLS("a")
        " FROM (VALUES ($1::uuid)) AS q(id) LEFT JOIN @.providers p ON p.id = q.id"
        " LEFT JOIN @.availability a ON a.provider_id = p.id"
        " ORDER BY a.weekday, a.start_minute, a.end_minute, a.id",
    /* One statement replaces the date's override atomically: the override
     * row is upserted (its row lock orders concurrent puts of one date),
     * intervals 1..n are upserted, leftovers past n deleted.  Readers take
     * intervals 1..n_intervals only, so a leftover that a concurrent put's
     * snapshot could not see is never read.  $1 provider, $2 date,
     * $3/$4 start/end minutes as arrays, $5 their number. */
    [ST_OVERRIDE_PUT] =
        "WITH p AS (SELECT id FROM @.providers WHERE id = $1::uuid),"
        " o AS (INSERT INTO @.date_overrides AS d (provider_id, day, n_intervals)"
        "   SELECT p.id, $2::date, $5::smallint FROM p"
        "   ON CONFLICT (provider_id, day) DO UPDATE SET n_intervals = EXCLUDED.n_intervals"
        "   RETURNING d.provider_id),"
        " ins AS (INSERT INTO @.override_intervals AS x (provider_id, day, ord, start_minute, end_minute)"
        "   SELECT o.provider_id, $2::date, i.ord, i.s, i.e"
        "   FROM o, unnest($3::smallint[], $4::smallint[]) WITH ORDINALITY AS i(s, e, ord)"
        "   ON CONFLICT (provider_id, day, ord) DO UPDATE"
        "   SET start_minute = EXCLUDED.start_minute, end_minute = EXCLUDED.end_minute),"
        " del AS (DELETE FROM @.override_intervals x USING o"
        "   WHERE x.provider_id = o.provider_id AND x.day = $2::date AND x.ord > $5::smallint)"
        " SELECT count(*)::text FROM p",
    [ST_OVERRIDE_DELETE] =
        "WITH p AS (SELECT id FROM @.providers WHERE id = $1::uuid),"
        " d AS (DELETE FROM @.date_overrides o USING p WHERE o.provider_id = p.id AND o.day = $2::date"
        "   RETURNING 1)"
        " SELECT (SELECT count(*) FROM p)::text, (SELECT count(*) FROM d)::text",
    [ST_OVERRIDE_LIST] =
        "SELECT (p.id IS NOT NULL)::int::text, " OVERRIDE_COLS("o", "i")
        " FROM (VALUES ($1::uuid)) AS q(id) LEFT JOIN @.providers p ON p.id = q.id"
        " LEFT JOIN @.date_overrides o ON o.provider_id = p.id AND o.day BETWEEN $2::date AND $3::date"
        " LEFT JOIN @.override_intervals i ON i.provider_id = o.provider_id AND i.day = o.day"
        "   AND i.ord <= o.n_intervals"
        " ORDER BY o.day, i.ord",
    [ST_BLOCKED_INSERT] =
        "INSERT INTO @.blocked_periods (id, provider_id, start_time, end_time, rrule, reason)"
        " VALUES ($1::uuid, $2::uuid, to_timestamp($3::bigint), to_timestamp($4::bigint), $5, $6)",
    [ST_BLOCKED_DELETE] = "DELETE FROM @.blocked_periods WHERE id = $1::uuid",
    /* One-off periods overlapping [$2, $3) and recurring ones starting
     * before $3 (the library expands those), as the memory backend. */
    [ST_BLOCKED_LIST] =
        "SELECT (p.id IS NOT NULL)::int::text, b.* FROM (VALUES ($1::uuid)) AS q(id)"
        " LEFT JOIN @.providers p ON p.id = q.id"
        " LEFT JOIN LATERAL ("
        "   SELECT " BLOCKED_COLS("x") ", x.start_time AS sort_start, x.id AS sort_id"
        "   FROM @.blocked_periods x WHERE x.provider_id = p.id AND coalesce(x.rrule, '') = ''"
        "   AND tstzrange(x.start_time, x.end_time, '[)') && " RANGE("$2", "$3")
        "   UNION ALL"
        "   SELECT " BLOCKED_COLS("x") ", x.start_time, x.id"
        "   FROM @.blocked_periods x WHERE x.provider_id = p.id AND x.rrule <> ''"
        "   AND x.start_time < to_timestamp($3::bigint) AND $2::bigint < $3::bigint"
        " ) b ON true"
        " ORDER BY b.sort_start, b.sort_id",
    /* booking_insert: one call of the function migration 2 creates
     * (pg_schema.c: what it does, and the rows it returns).  $1 id,
     * $2 provider, $3 service, $4/$5 start/end, $6/$7 buffers, $8/$9
     * occupied range, $10 status, $11 lock_version, $12 key, $13..$18
     * customer fields, notes, reason, $19..$22 created, updated, confirmed,
     * cancelled. */
    [ST_BOOKING_INSERT] =
        "SELECT k, id::text FROM @.bk_insert_booking($1::uuid, $2::uuid, $3::uuid, $4::bigint, $5::bigint,"
        " $6::int, $7::int, $8::bigint, $9::bigint, $10::text, $11::bigint, $12::text, $13::text, $14::text,"
        " $15::text, $16::text, $17::text, $18::text, $19::bigint, $20::bigint, $21::bigint, $22::bigint, $23::text)",
    [ST_BOOKING_WHY_SKIPPED] = NULL,
    /* Which half of the (provider, service) foreign key failed. */
    [ST_BOOKING_FK] =
        "SELECT (SELECT count(*) FROM @.providers WHERE id = $1::uuid)::text,"
        " (SELECT provider_id::text FROM @.services WHERE id = $2::uuid)",
    [ST_BOOKING_GET] =
        "SELECT " BOOKING_COLS("b") " FROM @.bookings b WHERE b.id = $1::uuid"
        " UNION ALL SELECT " ARCHIVED_COLS("a") " FROM @.bookings_archive a WHERE a.id = $1::uuid",
    /* $4 the statuses wanted (text[]), $5 the customer's email key or
     * NULL; the archive is read with the live table. */
    [ST_BOOKING_LIST] =
        "SELECT (p.id IS NOT NULL)::int::text, b.*"
        " FROM (VALUES ($1::uuid)) AS q(id) LEFT JOIN @.providers p ON p.id = q.id"
        " LEFT JOIN LATERAL ("
        "   SELECT " BOOKING_COLS("x") ", x.start_time AS sort_start, x.id AS sort_id FROM @.bookings x"
        "   WHERE x.provider_id = p.id AND x.start_time < to_timestamp($3::bigint)"
        "   AND x.end_time > to_timestamp($2::bigint) AND x.status = ANY ($4::text[])"
        "   AND ($5::text IS NULL OR x.customer_email_key = $5::text)"
        "   UNION ALL"
        "   SELECT " ARCHIVED_COLS("y") ", y.start_time, y.id FROM @.bookings_archive y"
        "   WHERE y.provider_id = p.id AND y.start_time < to_timestamp($3::bigint)"
        "   AND y.end_time > to_timestamp($2::bigint) AND y.status = ANY ($4::text[])"
        "   AND ($5::text IS NULL OR y.customer_email_key = $5::text)"
        " ) b ON $2::bigint < $3::bigint"
        " ORDER BY b.sort_start, b.sort_id",
    /* created_at is kept, as by the memory backend.  $1 id, $2 provider
     * (the partition key: lets a partitioned table prune), $3..$18 as in
     * the insert, $19 updated_at, $20 confirmed_at, $21 cancelled_at,
     * $22 the expected lock_version.
     *
     * The provider's row is locked first (an InitPlan, run before the
     * bookings are scanned): two updates whose new ranges overlap each
     * insert their index entry and then wait for the other's uncommitted
     * one, a deadlock PostgreSQL breaks only after deadlock_timeout (1 s),
     * and a victim retried while the others still wait can be caught
     * again; 16 threads moving bookings into one free hour hit 139 to 417
     * deadlocks in 400 rounds and 13 to 39 reached the caller after
     * MAX_ATTEMPTS (tests/test_pg_reschedule.c).  Serialised per provider
     * there are none.  Inserts need no lock: ON CONFLICT DO NOTHING never
     * waits while holding an entry of its own (POSTGRES-NOTES.md).  NO KEY
     * UPDATE leaves the KEY SHARE locks of foreign key checks alone. */
    [ST_BOOKING_UPDATE] =
        "WITH lk AS MATERIALIZED (SELECT 1 FROM @.providers WHERE id = $2::uuid FOR NO KEY UPDATE)"
        " UPDATE @.bookings SET service_id = $3::uuid, start_time = to_timestamp($4::bigint),"
        " end_time = to_timestamp($5::bigint), buffer_before_minutes = $6::int,"
        " buffer_after_minutes = $7::int, occupied = " RANGE("$8", "$9") ","
        " status = $10::text, lock_version = $11::bigint, idempotency_key = $12::text,"
        " customer_name = $13::text, customer_email = $14::text, customer_phone = $15::text,"
        " customer_timezone = $16::text, notes = $17::text, cancellation_reason = $18::text,"
        " updated_at = to_timestamp($19::bigint), confirmed_at = to_timestamp($20::bigint),"
        " cancelled_at = to_timestamp($21::bigint), customer_email_key = $23::text"
        " WHERE id = $1::uuid AND provider_id = $2::uuid AND lock_version = $22::bigint"
        " AND EXISTS (SELECT FROM lk) RETURNING 1",
    [ST_BOOKING_VERSION] =
        "SELECT lock_version::text, provider_id::text, 0 FROM @.bookings WHERE id = $1::uuid"
        " UNION ALL SELECT lock_version::text, provider_id::text, 1 FROM @.bookings_archive WHERE id = $1::uuid",
    [ST_BOOKING_CONFLICT] =
        "SELECT c.id::text FROM @.bookings c WHERE c.provider_id = $1::uuid AND c.status <> 'cancelled'"
        " AND c.id <> $2::uuid AND c.occupied && " RANGE("$3", "$4") " LIMIT 1",
    /* schedule_load: one call of the function migration 4 creates
     * (pg_schema.c), its typed columns read in binary.  The columns are
     * named, so that a later migration may append some.  $8/$9 the slot
     * window, or NULL. */
    [ST_SCHEDULE] =
        "SELECT k, u, t1, t2, i1, i2, i3, i4, s1, s2, w"
        " FROM @.bk_schedule_narrow($1::uuid, $2::uuid, to_timestamp($3::bigint), to_timestamp($4::bigint),"
        " $5::date, $6::date, $7::text, to_timestamp($8::bigint), to_timestamp($9::bigint))",
    [ST_VERSION_READ] = "SELECT coalesce(max(version), 0)::text FROM @.booking_schema_version",
    [ST_VERSION_INSERT] = "INSERT INTO @.booking_schema_version (version, applied_at) VALUES ($1::int, now())",
    /* $2 NULL restores; a second delete keeps the first time. */
    [ST_PROVIDER_SET_DELETED] =
        "UPDATE @.providers SET deleted_at = CASE WHEN $2::bigint IS NULL THEN NULL"
        " ELSE coalesce(deleted_at, to_timestamp($2::bigint)) END WHERE id = $1::uuid RETURNING 1",
    /* The foreign keys' cascades take everything the providers own. */
    [ST_PROVIDER_PURGE] =
        "WITH d AS (DELETE FROM @.providers WHERE deleted_at < to_timestamp($1::bigint) RETURNING 1)"
        " SELECT count(*)::text FROM d",
    /* (updated, exists); $3 NULL: unconditionally. */
    [ST_PASSWORD_SET] =
        "WITH u AS (UPDATE @.providers SET password_hash = $2::text WHERE id = $1::uuid"
        "   AND ($3::text IS NULL OR password_hash = $3::text) RETURNING 1)"
        " SELECT (SELECT count(*) FROM u)::text, (SELECT count(*) FROM @.providers WHERE id = $1::uuid)::text",
    /* A username match first, should one provider's username be another's
     * email. */
    [ST_LOGIN] =
        "SELECT id::text, password_hash FROM @.providers WHERE (username_key = $1 OR email_key = $1)"
        " AND deleted_at IS NULL ORDER BY (username_key = $1) DESC LIMIT 1",
    /* The provider is the booking's; nothing inserted: no such booking. */
    [ST_TOKEN_INSERT] =
        "INSERT INTO @.booking_tokens (id, booking_id, provider_id, action, token_hash, expires_at, used_at,"
        " created_at) SELECT $1::uuid, b.id, b.provider_id, $3::text, decode($4::text, 'hex'),"
        " to_timestamp($5::bigint), NULL, to_timestamp($6::bigint) FROM @.bookings b WHERE b.id = $2::uuid"
        " RETURNING 1",
    [ST_TOKEN_GET] =
        "SELECT id::text, booking_id::text, provider_id::text, action, " EP("t", "expires_at") ", "
        EP("t", "used_at") ", " EP("t", "created_at") " FROM @.booking_tokens t"
        " WHERE t.token_hash = decode($1::text, 'hex')",
    /* The function of migration 3 (pg_schema.c): $1 hash, $2 now, then the
     * booking as in ST_BOOKING_UPDATE's $1..$23 (as $3..$25). */
    [ST_TOKEN_REDEEM] =
        "SELECT @.bk_redeem_token(decode($1::text, 'hex'), $2::bigint, $3::uuid, $4::uuid, $5::uuid,"
        " $6::bigint, $7::bigint, $8::int, $9::int, $10::bigint, $11::bigint, $12::text, $13::bigint,"
        " $14::text, $15::text, $16::text, $17::text, $18::text, $19::text, $20::text, $21::bigint,"
        " $22::bigint, $23::bigint, $24::bigint, $25::text)::text",
    [ST_BOOKING_BY_EMAIL] =
        "SELECT " BOOKING_COLS("b") ", b.start_time AS sort_start, b.id AS sort_id FROM @.bookings b"
        " WHERE b.customer_email_key = $1::text"
        " UNION ALL SELECT " ARCHIVED_COLS("a") ", a.start_time, a.id FROM @.bookings_archive a"
        " WHERE a.customer_email_key = $1::text ORDER BY sort_start, sort_id",
    /* Both tables and the erased bookings' unused tokens, in one
     * statement (one transaction).  $1 email key or NULL, $2 ended-before
     * or NULL, $3 now. */
    [ST_BOOKINGS_ERASE] =
        "WITH e AS (UPDATE @.bookings b SET " ERASE_SET("b")
        "   WHERE " ERASE_WHERE("b") " RETURNING b.id),"
        " a AS (UPDATE @.bookings_archive b SET " ERASE_SET("b")
        "   WHERE " ERASE_WHERE("b") " RETURNING b.id),"
        " t AS (DELETE FROM @.booking_tokens k USING e WHERE k.booking_id = e.id AND k.used_at IS NULL)"
        " SELECT ((SELECT count(*) FROM e) + (SELECT count(*) FROM a))::text",
    /* One batch: rows a concurrent transaction holds are skipped (the
     * next run takes them), so that archiving never waits on, or holds
     * up, the booking path.  The tokens go with the rows (ON DELETE
     * CASCADE).  $1 ended-before, $2 batch size, $3 now. */
    [ST_BOOKING_ARCHIVE] =
        "WITH m AS (DELETE FROM @.bookings b WHERE b.id IN (SELECT f.id FROM @.bookings f"
        "   WHERE f.status IN ('cancelled', 'completed', 'no_show') AND f.end_time < to_timestamp($1::bigint)"
        "   LIMIT $2::int FOR UPDATE SKIP LOCKED) RETURNING b.*),"
        " i AS (INSERT INTO @.bookings_archive SELECT m.*, to_timestamp($3::bigint) FROM m RETURNING 1)"
        " SELECT count(*)::text FROM i",
};

/* Why a booking insert inserted nothing, read again in a new statement:
 * rows (kind, id) as bk_insert_booking returns them (pg_schema.c,
 * migration 2), kinds 2..4 in order of precedence:
 *   2 the provider's booking holding the key,
 *   3 a live booking whose occupied range overlaps,
 *   4 a booking with the same id (a broken random source).
 * Ids only: the keyed booking, rarely wanted here (schedule_load found it
 * already unless a concurrent call just made it), is read by id after.
 * $1 id, $2 provider, $3 key, $4 status, $5/$6 occupied range. */
static char *build_why_skipped(const char *q)
{
    pg_sb b = {0};
    pg_sb_add_schema(&b, "SELECT 2, k.id::text FROM @.bookings k WHERE k.provider_id = $2::uuid"
                         " AND k.idempotency_key = $3::text"
                         " UNION ALL (SELECT 3, c.id::text FROM @.bookings c WHERE $4::text <> 'cancelled'"
                         " AND c.provider_id = $2::uuid AND c.status <> 'cancelled'"
                         " AND c.occupied && " RANGE("$5", "$6") " LIMIT 1)"
                         " UNION ALL SELECT 4, d.id::text FROM @.bookings d WHERE d.id = $1::uuid",
                     q);
    return pg_sb_take(&b);
}

/* ------------------------------------------------------------------ */
/* The store                                                           */
/* ------------------------------------------------------------------ */

struct pg_store {
    bk_store base; /* first: the library holds a bk_store * */
    PGconn *conn;
    int broken;    /* a statement lost the connection: reset before the next */
    int in_tx;     /* a migration's transaction is open: leave it be */
    char *schema;  /* the plain name */
    char *schema_q; /* the quoted identifier */
    char *sql[ST_COUNT];
    uint64_t rng;  /* for retry backoff */
};

static struct pg_store *store_of(bk_store *self) { return (struct pg_store *)self; }

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* Copies src into dst (size bytes) with every occurrence of secret
 * replaced by "***": a server or libpq message should never hold the
 * password, but messages reach logs, so make sure. */
static void scrub_copy(char *dst, size_t size, const char *src, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    size_t o = 0;
    if (!size)
        return;
    while (*src && o + 1 < size) {
        if (slen >= 4 && strncmp(src, secret, slen) == 0) {
            for (const char *r = "***"; *r && o + 1 < size; r++)
                dst[o++] = *r;
            src += slen;
        } else {
            dst[o++] = *src++;
        }
    }
    /* Cut short: never end inside a UTF-8 sequence (messages stay valid
     * text for bindings). */
    if (*src) {
        size_t start = o;
        while (start > 0 && ((unsigned char)dst[start - 1] & 0xC0) == 0x80 && o - start < 3)
            start--;
        if (start > 0 && ((unsigned char)dst[start - 1] & 0x80)) {
            unsigned char lead = (unsigned char)dst[start - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (o - (start - 1) < need)
                o = start - 1;
        }
    }
    dst[o] = '\0';
}

/* The one line that says what went wrong: the server's primary message,
 * else libpq's, with line breaks flattened and the password scrubbed. */
static void describe(char *buf, size_t size, const PGconn *conn, const PGresult *res)
{
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg)
        msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = conn ? PQerrorMessage(conn) : NULL;
    if (!msg || !*msg)
        msg = "no message";
    scrub_copy(buf, size, msg, conn ? PQpass(conn) : NULL);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
}

/* host, port and dbname of the connection: never user or password. */
static void where(char *buf, size_t size, const PGconn *conn)
{
    const char *host = conn ? PQhost(conn) : NULL, *port = conn ? PQport(conn) : NULL, *db = conn ? PQdb(conn) : NULL;
    snprintf(buf, size, "host=%s port=%s dbname=%s", host && *host ? host : "(default)",
             port && *port ? port : "(default)", db && *db ? db : "(default)");
}

static int oom(bk_store_err *err) { return bk_store_error(err, BK_ENOMEM, "postgresql: out of memory"); }

static int sqlstate_is(const PGresult *res, const char *state)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s && strcmp(s, state) == 0;
}

static const char *constraint_of(const PGresult *res)
{
    const char *c = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    return c ? c : "";
}

/* ------------------------------------------------------------------ */
/* Running statements                                                  */
/* ------------------------------------------------------------------ */

static void backoff(struct pg_store *s, int attempt)
{
    /* xorshift64: only spreads retries of racing handles apart. */
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    long ms = 1 + (long)(s->rng % (uint64_t)(4 * attempt));
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Is this a lost connection rather than an error of the statement? */
static int connection_lost(const PGconn *conn, const PGresult *res)
{
    if (PQstatus(conn) != CONNECTION_OK)
        return 1;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return 0;
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
           strcmp(state, "57P03") == 0;
}

/* A connection that is bad, or that a failed statement left suspect, is
 * reset once; failing that the call is BK_ECONNECTION and did nothing. */
static int ensure_connected(struct pg_store *s, bk_store_err *err)
{
    /* A server that ended the session while it sat idle (a restart,
     * pg_terminate_backend) has already said so on the socket: reading
     * that now, without blocking, finds the connection dead before a
     * statement is sent, so the call reconnects and goes ahead instead of
     * failing -- a write then is not "outcome unknown" for a session that
     * was gone before it began.  Twice: a read that finds the server's
     * farewell message returns before it meets the end of the stream. */
    if (!s->broken && !s->in_tx && PQstatus(s->conn) == CONNECTION_OK &&
        (!PQconsumeInput(s->conn) || !PQconsumeInput(s->conn)))
        s->broken = 1;
    if (!s->broken && PQstatus(s->conn) == CONNECTION_OK) {
        if (s->in_tx || PQtransactionStatus(s->conn) == PQTRANS_IDLE)
            return BK_OK;
        /* Only migrations open transactions, and they close them; should
         * one be left open, a rollback puts the session back. */
        PQclear(PQexec(s->conn, "ROLLBACK"));
        if (PQstatus(s->conn) == CONNECTION_OK && PQtransactionStatus(s->conn) == PQTRANS_IDLE)
            return BK_OK;
    }
    /* A reconnect would silently drop the migration's transaction. */
    if (s->in_tx)
        return bk_store_error(err, BK_ECONNECTION, "connection: lost during a migration");
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char w[300], m[300];
        where(w, sizeof w, s->conn);
        describe(m, sizeof m, s->conn, NULL);
        s->broken = 1;
        return bk_store_error(err, BK_ECONNECTION, "connection: cannot reconnect to %s: %s", w, m);
    }
    s->broken = 0;
    return BK_OK;
}

static int lost(struct pg_store *s, bk_store_err *err, int write, int sent, const char *what, const PGresult *res)
{
    char m[300];
    describe(m, sizeof m, s->conn, res);
    s->broken = 1;
    if (write && sent)
        return bk_store_error(err, BK_EUNKNOWN,
                              "connection: lost during %s: the commit outcome is unknown; retry with the same "
                              "idempotency key (postgresql: %s)",
                              what, m);
    return bk_store_error(err, BK_ECONNECTION, "connection: lost during %s; the next call reconnects (postgresql: %s)",
                          what, m);
}

/* The library's code for a statement's own error: bad values are bad
 * input, an exclusion violation a conflict, the rest a store error. */
static int code_of(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (!state)
        return BK_ESTORE;
    if (strcmp(state, "23P01") == 0)
        return BK_ECONFLICT;
    if (strncmp(state, "22", 2) == 0 || strcmp(state, "23502") == 0 || strcmp(state, "23514") == 0)
        return BK_EINVAL;
    if (strcmp(state, "53200") == 0)
        return BK_ENOMEM;
    return BK_ESTORE;
}

/*
 * Runs one statement, with results in text (binary = 0) or binary (1)
 * format.  BK_OK: *out is its result (PQclear it).  Else err says why, and
 * *out is the server's error result when the statement itself failed (the
 * caller may read its SQLSTATE and constraint, and must PQclear it), NULL
 * when the connection or memory failed.
 */
static int run_as(struct pg_store *s, int write, const char *what, enum stmt st, int n, const char *const *values,
                  int binary, PGresult **out, bk_store_err *err)
{
    *out = NULL;
    int rc = ensure_connected(s, err);
    if (rc)
        return rc;
    for (int attempt = 1;; attempt++) {
        if (!PQsendQueryParams(s->conn, s->sql[st], n, NULL, values, NULL, NULL, binary)) {
            if (PQstatus(s->conn) != CONNECTION_OK)
                return lost(s, err, write, 0, what, NULL);
            /* The query could not even be queued: memory, or a protocol
             * state we do not expect; either way nothing was sent. */
            char m[300];
            describe(m, sizeof m, s->conn, NULL);
            s->broken = 1;
            return bk_store_error(err, strstr(m, "out of memory") ? BK_ENOMEM : BK_ESTORE, "postgresql: %s: %s",
                                  what, m);
        }
        PGresult *res = NULL, *r;
        while ((r = PQgetResult(s->conn)) != NULL) {
            ExecStatusType rs = PQresultStatus(r);
            if (!res || rs == PGRES_FATAL_ERROR) {
                PQclear(res);
                res = r;
            } else {
                PQclear(r);
            }
        }
        if (!res) {
            if (PQstatus(s->conn) != CONNECTION_OK)
                return lost(s, err, write, 1, what, NULL);
            s->broken = 1;
            return write ? lost(s, err, write, 1, what, NULL) : oom(err);
        }
        ExecStatusType rs = PQresultStatus(res);
        if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
            *out = res;
            return BK_OK;
        }
        if (connection_lost(s->conn, res)) {
            rc = lost(s, err, write, 1, what, res);
            PQclear(res);
            return rc;
        }
        /* The statement was rolled back as a whole: running it again is
         * safe for writes too (not inside a migration's transaction, which
         * the error aborted: the migration is retried whole instead). */
        if ((sqlstate_is(res, "40001") || sqlstate_is(res, "40P01")) && attempt < MAX_ATTEMPTS && !s->in_tx) {
            PQclear(res);
            backoff(s, attempt);
            continue;
        }
        char m[300];
        describe(m, sizeof m, s->conn, res);
        if (!PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
            /* A result libpq made itself (no SQLSTATE): out of memory for
             * the result, or a broken protocol state. */
            PQclear(res);
            s->broken = 1;
            if (write)
                return lost(s, err, write, 1, what, NULL);
            return bk_store_error(err, strstr(m, "out of memory") ? BK_ENOMEM : BK_ESTORE, "postgresql: %s: %s",
                                  what, m);
        }
        *out = res;
        return bk_store_error(err, code_of(res), "postgresql: %s: %s", what, m);
    }
}

/* run_as with text results: what every statement but schedule_load's
 * uses. */
static int run(struct pg_store *s, int write, const char *what, enum stmt st, int n, const char *const *values,
               PGresult **out, bk_store_err *err)
{
    return run_as(s, write, what, st, n, values, 0, out, err);
}

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */

/* An id as text for a parameter: NULL unless it is a UUID within the
 * struct (a backend must not read past it), so that a malformed id is
 * "not found" as in the memory backend rather than a server error. */
static const char *id_param(char buf[37], const bk_id *id)
{
    if (!id)
        return NULL;
    size_t n = strnlen(id->s, sizeof id->s);
    if (n != 36)
        return NULL;
    memcpy(buf, id->s, 36);
    buf[36] = '\0';
    return uuid_valid(buf) ? buf : NULL;
}

static const char *int_param(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* A query bound, clamped into what timestamptz holds: beyond it there is
 * no stored time, so the result is the same. */
static const char *bound_param(char buf[24], bk_time t)
{
    return int_param(buf, t < PG_TIME_LO ? PG_TIME_LO : t > PG_TIME_HI ? PG_TIME_HI : t);
}

/* A stored time: NULL for BK_TIME_UNSET; BK_EINVAL outside timestamptz. */
static int time_param(char buf[24], bk_time t, const char *field, const char **out, bk_store_err *err)
{
    *out = NULL;
    if (t == BK_TIME_UNSET)
        return BK_OK;
    if (t < PG_TIME_LO || t > PG_TIME_HI)
        return bk_store_error(err, BK_EINVAL, "%s: %lld is outside the times PostgreSQL can store", field,
                              (long long)t);
    *out = int_param(buf, t);
    return BK_OK;
}

static const char *date_param(char buf[16], const bk_date *d)
{
    snprintf(buf, 16, "%04d-%02d-%02d", d->year % 100000, d->month % 100, d->day % 100);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Reading rows                                                        */
/* ------------------------------------------------------------------ */

static const char *val(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t num(const PGresult *r, int row, int col)
{
    const char *v = val(r, row, col);
    return v ? strtoll(v, NULL, 10) : 0;
}

static bk_time tval(const PGresult *r, int row, int col)
{
    const char *v = val(r, row, col);
    return v ? (bk_time)strtoll(v, NULL, 10) : BK_TIME_UNSET;
}

static bk_id idval(const PGresult *r, int row, int col)
{
    bk_id id;
    memset(&id, 0, sizeof id);
    const char *v = val(r, row, col);
    if (v)
        snprintf(id.s, sizeof id.s, "%s", v);
    return id;
}

static void read_provider(const PGresult *r, int row, int c, bk_provider *p)
{
    memset(p, 0, sizeof *p);
    p->version = BK_PROVIDER_VERSION;
    p->id = idval(r, row, c);
    p->username = val(r, row, c + 1);
    p->email = val(r, row, c + 2);
    p->full_name = val(r, row, c + 3);
    p->timezone = val(r, row, c + 4);
    p->business_name = val(r, row, c + 5);
    p->description = val(r, row, c + 6);
    p->avatar_url = val(r, row, c + 7);
    p->created_at = tval(r, row, c + 8);
    p->updated_at = tval(r, row, c + 9);
    p->deleted_at = tval(r, row, c + 10);
}

static void read_service(const PGresult *r, int row, int c, bk_service *s)
{
    memset(s, 0, sizeof *s);
    s->version = BK_SERVICE_VERSION;
    s->id = idval(r, row, c);
    s->provider = idval(r, row, c + 1);
    s->name = val(r, row, c + 2);
    s->description = val(r, row, c + 3);
    s->duration_minutes = (int)num(r, row, c + 4);
    s->buffer_before_minutes = (int)num(r, row, c + 5);
    s->buffer_after_minutes = (int)num(r, row, c + 6);
    s->slot_step_minutes = (int)num(r, row, c + 7);
    s->min_notice_minutes = (int)num(r, row, c + 8);
    s->horizon_days = (int)num(r, row, c + 9);
    s->price_minor = num(r, row, c + 10);
    s->currency = val(r, row, c + 11);
    s->active = (int)num(r, row, c + 12);
    s->display_order = (int)num(r, row, c + 13);
    s->requires_confirmation = (int)num(r, row, c + 14);
    s->created_at = tval(r, row, c + 15);
    s->updated_at = tval(r, row, c + 16);
}

static void read_availability(const PGresult *r, int row, int c, bk_availability *a)
{
    memset(a, 0, sizeof *a);
    a->version = BK_AVAILABILITY_VERSION;
    a->id = idval(r, row, c);
    a->provider = idval(r, row, c + 1);
    a->weekday = (int)num(r, row, c + 2);
    a->start_minute = (int)num(r, row, c + 3);
    a->end_minute = (int)num(r, row, c + 4);
    a->is_available = (int)num(r, row, c + 5);
}

static void read_blocked(const PGresult *r, int row, int c, bk_blocked *b)
{
    memset(b, 0, sizeof *b);
    b->version = BK_BLOCKED_VERSION;
    b->id = idval(r, row, c);
    b->provider = idval(r, row, c + 1);
    b->start = tval(r, row, c + 2);
    b->end = tval(r, row, c + 3);
    b->rrule = val(r, row, c + 4);
    b->reason = val(r, row, c + 5);
}

static bk_booking_status status_of(const char *name)
{
    for (int st = BK_BOOKING_PENDING; st <= BK_BOOKING_NO_SHOW; st++) {
        const char *n = bk_booking_status_name((bk_booking_status)st);
        if (name && n && strcmp(name, n) == 0)
            return (bk_booking_status)st;
    }
    return (bk_booking_status)0;
}

static void read_booking(const PGresult *r, int row, int c, bk_booking *b)
{
    memset(b, 0, sizeof *b);
    b->version = BK_BOOKING_VERSION;
    b->id = idval(r, row, c);
    b->provider = idval(r, row, c + 1);
    b->service = idval(r, row, c + 2);
    b->start = tval(r, row, c + 3);
    b->end = tval(r, row, c + 4);
    b->buffer_before_minutes = (int)num(r, row, c + 5);
    b->buffer_after_minutes = (int)num(r, row, c + 6);
    b->status = status_of(val(r, row, c + 7));
    b->lock_version = num(r, row, c + 8);
    b->idempotency_key = val(r, row, c + 9);
    b->customer_name = val(r, row, c + 10);
    b->customer_email = val(r, row, c + 11);
    b->customer_phone = val(r, row, c + 12);
    b->customer_timezone = val(r, row, c + 13);
    b->notes = val(r, row, c + 14);
    b->cancellation_reason = val(r, row, c + 15);
    b->created_at = tval(r, row, c + 16);
    b->updated_at = tval(r, row, c + 17);
    b->confirmed_at = tval(r, row, c + 18);
    b->cancelled_at = tval(r, row, c + 19);
    b->archived_at = tval(r, row, c + 20);
}

/* Emitting: each returns the sink's value (0 to go on). */

static int emit_provider(const bk_store_sink *sink, const PGresult *r, int row, int c)
{
    if (!sink || !sink->provider)
        return 0;
    bk_provider p;
    read_provider(r, row, c, &p);
    return sink->provider(sink->ctx, &p);
}

static int emit_service(const bk_store_sink *sink, const PGresult *r, int row, int c)
{
    if (!sink || !sink->service)
        return 0;
    bk_service s;
    read_service(r, row, c, &s);
    return sink->service(sink->ctx, &s);
}

static int emit_availability(const bk_store_sink *sink, const PGresult *r, int row, int c)
{
    if (!sink || !sink->availability)
        return 0;
    bk_availability a;
    read_availability(r, row, c, &a);
    return sink->availability(sink->ctx, &a);
}

static int emit_blocked(const bk_store_sink *sink, const PGresult *r, int row, int c)
{
    if (!sink || !sink->blocked)
        return 0;
    bk_blocked b;
    read_blocked(r, row, c, &b);
    return sink->blocked(sink->ctx, &b);
}

static int emit_booking(const bk_store_sink *sink, int keyed, const PGresult *r, int row, int c)
{
    int (*fn)(void *, const bk_booking *) = !sink ? NULL : keyed ? sink->keyed_booking : sink->booking;
    if (!fn)
        return 0;
    bk_booking b;
    read_booking(r, row, c, &b);
    return fn(sink->ctx, &b);
}

/* Rows [*row, end) hold one override per date (a date, then one interval
 * per row, or one row of NULL minutes for a day off), the date in column
 * c.  Emits the override of the date at *row and moves *row past it. */
static int emit_override(const bk_store_sink *sink, const bk_id *provider, const PGresult *r, int *row, int end,
                         int c, bk_store_err *err)
{
    const char *day = val(r, *row, c);
    int last = *row + 1;
    while (last < end && val(r, last, c) && day && strcmp(val(r, last, c), day) == 0)
        last++;
    int first = *row;
    *row = last;
    if (!sink || !sink->override_day)
        return 0;
    bk_override o;
    memset(&o, 0, sizeof o);
    o.version = BK_OVERRIDE_VERSION;
    o.provider = *provider;
    /* The server's own text of a date column: sscanf's silent overflow
     * cannot happen, and the count catches anything malformed. */
    if (!day || sscanf(day, "%d-%d-%d", &o.date.year, &o.date.month, &o.date.day) != 3) /* NOLINT(cert-err34-c) */
        return bk_store_error(err, BK_ESTORE, "postgresql: override: unreadable date");
    bk_local_interval local[BK_OVERRIDE_MAX_INTERVALS], *iv = local;
    size_t n = 0, cap = BK_OVERRIDE_MAX_INTERVALS;
    for (int i = first; i < last; i++)
        if (val(r, i, c + 1))
            n++;
    if (n > cap && !(iv = bki_malloc(n * sizeof *iv)))
        return oom(err);
    n = 0;
    for (int i = first; i < last; i++) {
        if (!val(r, i, c + 1))
            continue;
        iv[n].start_minute = (int)num(r, i, c + 1);
        iv[n].end_minute = (int)num(r, i, c + 2);
        n++;
    }
    o.n_intervals = n;
    o.intervals = n ? iv : NULL;
    int rc = sink->override_day(sink->ctx, &o);
    if (iv != local)
        bki_free(iv);
    return rc;
}

/* A list made by a LEFT JOIN from the provider: column 0 is 1 if the
 * provider exists; a row whose record id (column 1) is NULL means "none". */
static int provider_missing(const PGresult *r)
{
    return PQntuples(r) == 0 || num(r, 0, 0) != 1;
}

static int not_found(bk_store_err *err, const char *what)
{
    return bk_store_error(err, BK_ENOTFOUND, "%s: not found", what);
}

/* ------------------------------------------------------------------ */
/* Providers                                                           */
/* ------------------------------------------------------------------ */

/* 23505 on a provider: which unique value is taken. */
static int provider_unique_error(const PGresult *res, const bk_provider *p, int rc, bk_store_err *err)
{
    if (!sqlstate_is(res, "23505"))
        return rc;
    char m[300];
    describe(m, sizeof m, NULL, res);
    const char *c = constraint_of(res);
    if (strstr(c, "username"))
        return bk_store_error(err, BK_EEXISTS, "username: '%s' is taken (postgresql: %s)",
                              p->username ? p->username : "", m);
    if (strstr(c, "email"))
        return bk_store_error(err, BK_EEXISTS, "email: '%s' is taken (postgresql: %s)", p->email ? p->email : "", m);
    return bk_store_error(err, BK_ESTORE, "provider: id %.36s already exists (postgresql: %s)", p->id.s, m);
}

static int provider_write(bk_store *self, int insert, const bk_provider *p, const char *username_key,
                          const char *email_key, bk_store_err *err)
{
    struct pg_store *s = store_of(self);
    if (!p)
        return bk_store_error(err, BK_EINVAL, "provider: NULL");
    if (!username_key || !email_key)
        return bk_store_error(err, BK_EINVAL, "%s: NULL", username_key ? "email_key" : "username_key");
    char id[37], t[2][24];
    const char *v[12];
    if (!(v[0] = id_param(id, &p->id)))
        return insert ? bk_store_error(err, BK_EINVAL, "provider.id: not a UUID") : not_found(err, "provider");
    v[1] = p->username;
    v[2] = username_key;
    v[3] = p->email;
    v[4] = email_key;
    v[5] = p->full_name;
    v[6] = p->timezone;
    v[7] = p->business_name;
    v[8] = p->description;
    v[9] = p->avatar_url;
    int rc;
    if (insert) {
        if ((rc = time_param(t[0], p->created_at, "created_at", &v[10], err)) ||
            (rc = time_param(t[1], p->updated_at, "updated_at", &v[11], err)))
            return rc;
    } else if ((rc = time_param(t[1], p->updated_at, "updated_at", &v[10], err))) {
        return rc;
    }
    PGresult *r;
    rc = run(s, 1, insert ? "provider insert" : "provider update", insert ? ST_PROVIDER_INSERT : ST_PROVIDER_UPDATE,
             insert ? 12 : 11, v, &r, err);
    if (rc == BK_OK && !insert && strcmp(PQcmdTuples(r), "0") == 0)
        rc = not_found(err, "provider");
    else if (rc != BK_OK)
        rc = provider_unique_error(r, p, rc, err);
    PQclear(r);
    return rc;
}

static int pg_provider_insert(bk_store *self, const bk_provider *p, const char *username_key,
                              const char *email_key, bk_store_err *err)
{
    return provider_write(self, 1, p, username_key, email_key, err);
}

static int pg_provider_update(bk_store *self, const bk_provider *p, const char *username_key,
                              const char *email_key, bk_store_err *err)
{
    return provider_write(self, 0, p, username_key, email_key, err);
}

/* A delete by id: 0 rows is BK_ENOTFOUND naming `what`. */
static int delete_by_id(bk_store *self, enum stmt st, const bk_id *idp, const char *what, const char *op,
                        bk_store_err *err)
{
    char id[37];
    const char *v[1];
    if (!idp)
        return bk_store_error(err, BK_EINVAL, "id: NULL");
    if (!(v[0] = id_param(id, idp)))
        return not_found(err, what);
    PGresult *r;
    int rc = run(store_of(self), 1, op, st, 1, v, &r, err);
    if (rc == BK_OK && strcmp(PQcmdTuples(r), "0") == 0)
        rc = not_found(err, what);
    PQclear(r);
    return rc;
}

typedef int (*emit_fn)(const bk_store_sink *sink, const PGresult *r, int row, int c);

/* A get by id: exactly one row, else BK_ENOTFOUND naming `what`. */
static int get_by_id(bk_store *self, enum stmt st, const bk_id *idp, const char *what, const char *op,
                     const bk_store_sink *sink, emit_fn emit, bk_store_err *err)
{
    char id[37];
    const char *v[1];
    if (!idp)
        return bk_store_error(err, BK_EINVAL, "id: NULL");
    if (!(v[0] = id_param(id, idp)))
        return not_found(err, what);
    PGresult *r;
    int rc = run(store_of(self), 0, op, st, 1, v, &r, err);
    if (rc == BK_OK)
        rc = PQntuples(r) == 0 ? not_found(err, what) : emit(sink, r, 0, 0);
    PQclear(r);
    return rc;
}

static int pg_provider_get(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err)
{
    return get_by_id(self, ST_PROVIDER_GET, id, "provider", "provider get", sink, emit_provider, err);
}

static int pg_provider_list(bk_store *self, const bk_store_sink *sink, bk_store_err *err)
{
    PGresult *r;
    int rc = run(store_of(self), 0, "provider list", ST_PROVIDER_LIST, 0, NULL, &r, err);
    for (int i = 0; rc == BK_OK && i < PQntuples(r); i++)
        rc = emit_provider(sink, r, i, 0);
    PQclear(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Services                                                            */
/* ------------------------------------------------------------------ */

static int pg_service_insert(bk_store *self, const bk_service *sv, bk_store_err *err)
{
    if (!sv)
        return bk_store_error(err, BK_EINVAL, "service: NULL");
    char id[37], prov[37], n[9][24], t[2][24];
    const char *v[17];
    if (!(v[0] = id_param(id, &sv->id)))
        return bk_store_error(err, BK_EINVAL, "service.id: not a UUID");
    if (!(v[1] = id_param(prov, &sv->provider)))
        return not_found(err, "provider");
    v[2] = sv->name;
    v[3] = sv->description;
    v[4] = int_param(n[0], sv->duration_minutes);
    v[5] = int_param(n[1], sv->buffer_before_minutes);
    v[6] = int_param(n[2], sv->buffer_after_minutes);
    v[7] = int_param(n[3], sv->slot_step_minutes);
    v[8] = int_param(n[4], sv->min_notice_minutes);
    v[9] = int_param(n[5], sv->horizon_days);
    v[10] = int_param(n[6], sv->price_minor);
    v[11] = sv->currency;
    v[12] = sv->active ? "true" : "false";
    v[13] = int_param(n[7], sv->display_order);
    v[14] = sv->requires_confirmation ? "true" : "false";
    int rc;
    if ((rc = time_param(t[0], sv->created_at, "created_at", &v[15], err)) ||
        (rc = time_param(t[1], sv->updated_at, "updated_at", &v[16], err)))
        return rc;
    PGresult *r;
    rc = run(store_of(self), 1, "service insert", ST_SERVICE_INSERT, 17, v, &r, err);
    if (sqlstate_is(r, "23503"))
        rc = not_found(err, "provider");
    else if (sqlstate_is(r, "23505"))
        rc = bk_store_error(err, BK_ESTORE, "service: id %s already exists", id);
    PQclear(r);
    return rc;
}

static int pg_service_update(bk_store *self, const bk_service *sv, bk_store_err *err)
{
    if (!sv)
        return bk_store_error(err, BK_EINVAL, "service: NULL");
    char id[37], n[9][24], t[24];
    const char *v[15];
    if (!(v[0] = id_param(id, &sv->id)))
        return not_found(err, "service");
    v[1] = sv->name;
    v[2] = sv->description;
    v[3] = int_param(n[0], sv->duration_minutes);
    v[4] = int_param(n[1], sv->buffer_before_minutes);
    v[5] = int_param(n[2], sv->buffer_after_minutes);
    v[6] = int_param(n[3], sv->slot_step_minutes);
    v[7] = int_param(n[4], sv->min_notice_minutes);
    v[8] = int_param(n[5], sv->horizon_days);
    v[9] = int_param(n[6], sv->price_minor);
    v[10] = sv->currency;
    v[11] = sv->active ? "true" : "false";
    v[12] = int_param(n[7], sv->display_order);
    v[13] = sv->requires_confirmation ? "true" : "false";
    int rc = time_param(t, sv->updated_at, "updated_at", &v[14], err);
    if (rc)
        return rc;
    PGresult *r;
    rc = run(store_of(self), 1, "service update", ST_SERVICE_UPDATE, 15, v, &r, err);
    if (rc == BK_OK && strcmp(PQcmdTuples(r), "0") == 0)
        rc = not_found(err, "service");
    PQclear(r);
    return rc;
}

static int pg_service_get(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err)
{
    return get_by_id(self, ST_SERVICE_GET, id, "service", "service get", sink, emit_service, err);
}

/* A provider's records through a LEFT JOIN list statement (see
 * provider_missing): one round trip tells "no provider" from "none". */
static int list_of_provider(bk_store *self, enum stmt st, const char *op, const bk_id *provider,
                            const bk_store_sink *sink, emit_fn emit, bk_store_err *err)
{
    char id[37];
    const char *v[1];
    if (!provider)
        return bk_store_error(err, BK_EINVAL, "provider: NULL");
    if (!(v[0] = id_param(id, provider)))
        return not_found(err, "provider");
    PGresult *r;
    int rc = run(store_of(self), 0, op, st, 1, v, &r, err);
    if (rc == BK_OK && provider_missing(r))
        rc = not_found(err, "provider");
    for (int i = 0; rc == BK_OK && i < PQntuples(r); i++)
        if (val(r, i, 1))
            rc = emit(sink, r, i, 1);
    PQclear(r);
    return rc;
}

static int pg_service_list(bk_store *self, const bk_id *provider, const bk_store_sink *sink, bk_store_err *err)
{
    return list_of_provider(self, ST_SERVICE_LIST, "service list", provider, sink, emit_service, err);
}

/* ------------------------------------------------------------------ */
/* Weekly availability                                                 */
/* ------------------------------------------------------------------ */

static int pg_availability_insert(bk_store *self, const bk_availability *a, bk_store_err *err)
{
    if (!a)
        return bk_store_error(err, BK_EINVAL, "availability: NULL");
    char id[37], prov[37], n[3][24];
    const char *v[6];
    if (!(v[0] = id_param(id, &a->id)))
        return bk_store_error(err, BK_EINVAL, "availability.id: not a UUID");
    if (!(v[1] = id_param(prov, &a->provider)))
        return not_found(err, "provider");
    v[2] = int_param(n[0], a->weekday);
    v[3] = int_param(n[1], a->start_minute);
    v[4] = int_param(n[2], a->end_minute);
    v[5] = a->is_available ? "true" : "false";
    PGresult *r;
    int rc = run(store_of(self), 1, "availability insert", ST_AVAIL_INSERT, 6, v, &r, err);
    if (sqlstate_is(r, "23503"))
        rc = not_found(err, "provider");
    else if (sqlstate_is(r, "23505"))
        rc = bk_store_error(err, BK_ESTORE, "availability: id %s already exists", id);
    PQclear(r);
    return rc;
}

static int pg_availability_delete(bk_store *self, const bk_id *id, bk_store_err *err)
{
    return delete_by_id(self, ST_AVAIL_DELETE, id, "availability", "availability delete", err);
}

static int pg_availability_list(bk_store *self, const bk_id *provider, const bk_store_sink *sink,
                                bk_store_err *err)
{
    return list_of_provider(self, ST_AVAIL_LIST, "availability list", provider, sink, emit_availability, err);
}

/* ------------------------------------------------------------------ */
/* Date overrides                                                      */
/* ------------------------------------------------------------------ */

/* "{a,b,c}" of the start (which = 0) or end minutes. */
static char *minutes_array(const bk_override *o, int which)
{
    pg_sb b = {0};
    pg_sb_add(&b, "{");
    for (size_t i = 0; i < o->n_intervals; i++)
        pg_sb_addf(&b, "%s%d", i ? "," : "",
                   which ? o->intervals[i].end_minute : o->intervals[i].start_minute);
    pg_sb_add(&b, "}");
    return pg_sb_take(&b);
}

static int pg_override_put(bk_store *self, const bk_override *o, bk_store_err *err)
{
    if (!o)
        return bk_store_error(err, BK_EINVAL, "override: NULL");
    if (o->n_intervals && !o->intervals)
        return bk_store_error(err, BK_EINVAL, "intervals: NULL");
    if (o->n_intervals > 32767)
        return bk_store_error(err, BK_EINVAL, "n_intervals: too large");
    char prov[37], day[16], n[24];
    const char *v[5];
    if (!(v[0] = id_param(prov, &o->provider)))
        return not_found(err, "provider");
    v[1] = date_param(day, &o->date);
    char *starts = minutes_array(o, 0), *ends = minutes_array(o, 1);
    if (!starts || !ends) {
        bki_free(starts);
        bki_free(ends);
        return oom(err);
    }
    v[2] = starts;
    v[3] = ends;
    v[4] = int_param(n, (int64_t)o->n_intervals);
    PGresult *r;
    int rc = run(store_of(self), 1, "override put", ST_OVERRIDE_PUT, 5, v, &r, err);
    if (rc == BK_OK && num(r, 0, 0) == 0)
        rc = not_found(err, "provider");
    PQclear(r);
    bki_free(starts);
    bki_free(ends);
    return rc;
}

static int pg_override_delete(bk_store *self, const bk_id *provider, const bk_date *date, bk_store_err *err)
{
    if (!provider)
        return bk_store_error(err, BK_EINVAL, "provider: NULL");
    if (!date)
        return bk_store_error(err, BK_EINVAL, "date: NULL");
    char prov[37], day[16];
    const char *v[2];
    if (!(v[0] = id_param(prov, provider)))
        return not_found(err, "provider");
    v[1] = date_param(day, date);
    PGresult *r;
    int rc = run(store_of(self), 1, "override delete", ST_OVERRIDE_DELETE, 2, v, &r, err);
    if (rc == BK_OK && num(r, 0, 0) == 0)
        rc = not_found(err, "provider");
    else if (rc == BK_OK && num(r, 0, 1) == 0)
        rc = bk_store_error(err, BK_ENOTFOUND, "override: none on %04d-%02d-%02d", date->year, date->month,
                            date->day);
    PQclear(r);
    return rc;
}

static int pg_override_list(bk_store *self, const bk_id *provider, const bk_date *from, const bk_date *to,
                            const bk_store_sink *sink, bk_store_err *err)
{
    if (!provider)
        return bk_store_error(err, BK_EINVAL, "provider: NULL");
    if (!from || !to)
        return bk_store_error(err, BK_EINVAL, "%s: NULL", from ? "to" : "from");
    char prov[37], d0[16], d1[16];
    const char *v[3];
    if (!(v[0] = id_param(prov, provider)))
        return not_found(err, "provider");
    v[1] = date_param(d0, from);
    v[2] = date_param(d1, to);
    PGresult *r;
    int rc = run(store_of(self), 0, "override list", ST_OVERRIDE_LIST, 3, v, &r, err);
    if (rc == BK_OK && provider_missing(r))
        rc = not_found(err, "provider");
    bk_id pid = *provider;
    int nrows = rc == BK_OK ? PQntuples(r) : 0;
    for (int i = 0; rc == BK_OK && i < nrows;) {
        if (!val(r, i, 1)) {
            i++;
            continue;
        }
        rc = emit_override(sink, &pid, r, &i, nrows, 1, err);
    }
    PQclear(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Blocked periods                                                     */
/* ------------------------------------------------------------------ */

static int pg_blocked_insert(bk_store *self, const bk_blocked *b, bk_store_err *err)
{
    if (!b)
        return bk_store_error(err, BK_EINVAL, "blocked: NULL");
    char id[37], prov[37], t[2][24];
    const char *v[6];
    if (!(v[0] = id_param(id, &b->id)))
        return bk_store_error(err, BK_EINVAL, "blocked.id: not a UUID");
    if (!(v[1] = id_param(prov, &b->provider)))
        return not_found(err, "provider");
    int rc;
    if ((rc = time_param(t[0], b->start, "start", &v[2], err)) || (rc = time_param(t[1], b->end, "end", &v[3], err)))
        return rc;
    v[4] = b->rrule;
    v[5] = b->reason;
    PGresult *r;
    rc = run(store_of(self), 1, "blocked period insert", ST_BLOCKED_INSERT, 6, v, &r, err);
    if (sqlstate_is(r, "23503"))
        rc = not_found(err, "provider");
    else if (sqlstate_is(r, "23505"))
        rc = bk_store_error(err, BK_ESTORE, "blocked period: id %s already exists", id);
    PQclear(r);
    return rc;
}

static int pg_blocked_delete(bk_store *self, const bk_id *id, bk_store_err *err)
{
    return delete_by_id(self, ST_BLOCKED_DELETE, id, "blocked period", "blocked period delete", err);
}

static int pg_blocked_list(bk_store *self, const bk_id *provider, bk_time from, bk_time to,
                           const bk_store_sink *sink, bk_store_err *err)
{
    if (!provider)
        return bk_store_error(err, BK_EINVAL, "provider: NULL");
    char prov[37], t[2][24];
    const char *v[3];
    if (!(v[0] = id_param(prov, provider)))
        return not_found(err, "provider");
    v[1] = bound_param(t[0], from);
    v[2] = bound_param(t[1], to < from ? from : to);
    PGresult *r;
    int rc = run(store_of(self), 0, "blocked period list", ST_BLOCKED_LIST, 3, v, &r, err);
    if (rc == BK_OK && provider_missing(r))
        rc = not_found(err, "provider");
    for (int i = 0; rc == BK_OK && i < PQntuples(r); i++)
        if (val(r, i, 1))
            rc = emit_blocked(sink, r, i, 1);
    PQclear(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Bookings                                                            */
/* ------------------------------------------------------------------ */

static bk_time sat_add(bk_time a, bk_time b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* The parameters of a booking, numbered as in ST_BOOKING_INSERT ($1..$23). */
struct booking_params {
    char id[37], provider[37], service[37];
    char num[11][24];
    const char *v[23];
};

static int booking_params(const bk_booking *b, const char *email_key, struct booking_params *p, bk_store_err *err)
{
    memset(p, 0, sizeof *p);
    if (!(p->v[22] = email_key))
        return bk_store_error(err, BK_EINVAL, "customer_email_key: NULL");
    if (!(p->v[0] = id_param(p->id, &b->id)))
        return bk_store_error(err, BK_EINVAL, "booking.id: not a UUID");
    if (!(p->v[1] = id_param(p->provider, &b->provider)))
        return not_found(err, "provider");
    if (!(p->v[2] = id_param(p->service, &b->service)))
        return not_found(err, "service");
    int rc;
    bk_time os = sat_add(b->start, -(bk_time)b->buffer_before_minutes * 60);
    bk_time oe = sat_add(b->end, (bk_time)b->buffer_after_minutes * 60);
    if ((rc = time_param(p->num[0], b->start, "start", &p->v[3], err)) ||
        (rc = time_param(p->num[1], b->end, "end", &p->v[4], err)) ||
        (rc = time_param(p->num[2], os, "start - buffer_before_minutes", &p->v[7], err)) ||
        (rc = time_param(p->num[3], oe, "end + buffer_after_minutes", &p->v[8], err)) ||
        (rc = time_param(p->num[4], b->created_at, "created_at", &p->v[18], err)) ||
        (rc = time_param(p->num[5], b->updated_at, "updated_at", &p->v[19], err)) ||
        (rc = time_param(p->num[6], b->confirmed_at, "confirmed_at", &p->v[20], err)) ||
        (rc = time_param(p->num[7], b->cancelled_at, "cancelled_at", &p->v[21], err)))
        return rc;
    if (!p->v[3] || !p->v[4])
        return bk_store_error(err, BK_EINVAL, "%s: not set", p->v[3] ? "end" : "start");
    if (oe < os)
        return bk_store_error(err, BK_EINVAL, "end: before start");
    p->v[5] = int_param(p->num[8], b->buffer_before_minutes);
    p->v[6] = int_param(p->num[9], b->buffer_after_minutes);
    if (!(p->v[9] = bk_booking_status_name(b->status)))
        return bk_store_error(err, BK_EINVAL, "status: %d is not a booking status", (int)b->status);
    p->v[10] = int_param(p->num[10], b->lock_version);
    p->v[11] = b->idempotency_key;
    p->v[12] = b->customer_name;
    p->v[13] = b->customer_email;
    p->v[14] = b->customer_phone;
    p->v[15] = b->customer_timezone;
    p->v[16] = b->notes;
    p->v[17] = b->cancellation_reason;
    return BK_OK;
}

/* The (provider, service) foreign key failed: say which half. */
static int booking_fk_error(struct pg_store *s, const struct booking_params *p, bk_store_err *err)
{
    const char *v[2] = {p->v[1], p->v[2]};
    PGresult *r;
    int rc = run(s, 0, "booking check", ST_BOOKING_FK, 2, v, &r, err);
    if (rc == BK_OK) {
        if (num(r, 0, 0) == 0)
            rc = not_found(err, "provider");
        else if (!val(r, 0, 1))
            rc = not_found(err, "service");
        else
            rc = bk_store_error(err, BK_ENOTFOUND, "service: belongs to another provider");
    }
    PQclear(r);
    return rc;
}

/* Reads rows (kind, id) of an insert or a re-check: 1 = inserted (BK_OK),
 * else the cause of highest precedence.  *decided is 0 when there is none,
 * or when the keyed booking is gone again by the time it is read. */
static int booking_outcome(struct pg_store *s, const PGresult *r, const bk_store_sink *sink, int *decided,
                           bk_store_err *err)
{
    int rows = PQntuples(r), found[5] = {-1, -1, -1, -1, -1};
    for (int i = 0; i < rows; i++) {
        int64_t k = num(r, i, 0);
        if (k >= 1 && k <= 4 && found[k] < 0)
            found[k] = i;
    }
    *decided = 1;
    if (found[1] >= 0)
        return BK_OK;
    if (found[2] >= 0) {
        const char *v[1] = {val(r, found[2], 1)};
        PGresult *k;
        int rc = run(s, 0, "booking insert: reading the keyed booking", ST_BOOKING_GET, 1, v, &k, err);
        if (rc == BK_OK && PQntuples(k) == 0)
            *decided = 0;
        else if (rc == BK_OK)
            rc = emit_booking(sink, 1, k, 0, 0);
        /* A failing callback has its own reason (say, BK_ENOMEM copying
         * the record): pass that on instead. */
        if (rc == BK_OK && *decided)
            rc = bk_store_error(err, BK_EEXISTS, "idempotency_key: already used by booking %s", v[0]);
        PQclear(k);
        return rc;
    }
    if (found[3] >= 0)
        return bk_store_error(err, BK_ECONFLICT, "booking: occupied range overlaps booking %s", val(r, found[3], 1));
    if (found[4] >= 0)
        return bk_store_error(err, BK_ESTORE, "booking: id %s already exists", val(r, found[4], 1));
    *decided = 0;
    return BK_OK;
}

static int pg_booking_insert(bk_store *self, const bk_booking *b, const char *email_key, const bk_store_sink *sink,
                             bk_store_err *err)
{
    struct pg_store *s = store_of(self);
    if (!b)
        return bk_store_error(err, BK_EINVAL, "booking: NULL");
    struct booking_params p;
    int rc = booking_params(b, email_key, &p, err);
    if (rc)
        return rc;
    const char *why[6] = {p.v[0], p.v[1], p.v[11], p.v[9], p.v[7], p.v[8]};
    for (int attempt = 1;; attempt++) {
        PGresult *r;
        rc = run(s, 1, "booking insert", ST_BOOKING_INSERT, 23, p.v, &r, err);
        if (rc != BK_OK) {
            int fk = sqlstate_is(r, "23503");
            PQclear(r);
            return fk ? booking_fk_error(s, &p, err) : rc;
        }
        int decided;
        rc = booking_outcome(s, r, sink, &decided, err);
        PQclear(r);
        if (decided)
            return rc;
        /* Skipped, but the function's reads found no cause: the row in
         * the way was uncommitted then, or went away since.  One more
         * look, then a new attempt. */
        rc = run(s, 0, "booking insert check", ST_BOOKING_WHY_SKIPPED, 6, why, &r, err);
        if (rc != BK_OK) {
            PQclear(r);
            return rc;
        }
        rc = booking_outcome(s, r, sink, &decided, err);
        PQclear(r);
        if (decided)
            return rc;
        /* The row that made it skip is gone again (cancelled, or its
         * transaction rolled back): insert anew, a bounded number of
         * times. */
        if (attempt >= MAX_ATTEMPTS)
            return bk_store_error(err, BK_ESTORE,
                                  "postgresql: booking insert: skipped %d times by rows that then disappeared",
                                  attempt);
        backoff(s, attempt);
    }
}

static int pg_booking_get(bk_store *self, const bk_id *id, const bk_store_sink *sink, bk_store_err *err)
{
    char idb[37];
    const char *v[1];
    if (!id)
        return bk_store_error(err, BK_EINVAL, "id: NULL");
    if (!(v[0] = id_param(idb, id)))
        return not_found(err, "booking");
    PGresult *r;
    int rc = run(store_of(self), 0, "booking get", ST_BOOKING_GET, 1, v, &r, err);
    if (rc == BK_OK)
        rc = PQntuples(r) == 0 ? not_found(err, "booking") : emit_booking(sink, 0, r, 0, 0);
    PQclear(r);
    return rc;
}

static int pg_booking_list(bk_store *self, const bk_store_booking_query *q, const bk_store_sink *sink,
                           bk_store_err *err)
{
    if (!q)
        return bk_store_error(err, BK_EINVAL, "query: NULL");
    if (q->version != 1)
        return bk_store_error(err, BK_EMISUSE, "booking query: unknown version %u", q->version);
    char prov[37], t[2][24], statuses[80];
    const char *v[5];
    if (!(v[0] = id_param(prov, &q->provider)))
        return not_found(err, "provider");
    v[1] = bound_param(t[0], q->from);
    v[2] = bound_param(t[1], q->to);
    /* The statuses wanted, as a text[] literal. */
    size_t at = 0;
    statuses[at++] = '{';
    for (int st = BK_BOOKING_PENDING; st <= BK_BOOKING_NO_SHOW; st++) {
        int want = q->statuses ? (q->statuses & BK_STATUS_BIT(st)) != 0
                               : q->include_cancelled || st != BK_BOOKING_CANCELLED;
        if (want)
            at += (size_t)snprintf(statuses + at, sizeof statuses - at, "%s%s", at > 1 ? "," : "",
                                   bk_booking_status_name((bk_booking_status)st));
    }
    snprintf(statuses + at, sizeof statuses - at, "}");
    v[3] = statuses;
    v[4] = q->customer_email_key;
    PGresult *r;
    int rc = run(store_of(self), 0, "booking list", ST_BOOKING_LIST, 5, v, &r, err);
    if (rc == BK_OK && provider_missing(r))
        rc = not_found(err, "provider");
    for (int i = 0; rc == BK_OK && i < PQntuples(r); i++)
        if (val(r, i, 1))
            rc = emit_booking(sink, 0, r, i, 1);
    PQclear(r);
    return rc;
}

/* The update changed nothing: a missing booking, or a stale version. */
static int booking_update_miss(struct pg_store *s, const struct booking_params *p, int64_t expected,
                               bk_store_err *err)
{
    const char *v[1] = {p->v[0]};
    PGresult *r;
    int rc = run(s, 0, "booking update check", ST_BOOKING_VERSION, 1, v, &r, err);
    if (rc == BK_OK) {
        if (PQntuples(r) == 0)
            rc = not_found(err, "booking");
        else if (num(r, 0, 2) == 1)
            rc = bk_store_error(err, BK_ESTATE, "booking: archived bookings do not change");
        else if (num(r, 0, 0) == expected && strcmp(val(r, 0, 1) ? val(r, 0, 1) : "", p->provider) != 0)
            rc = bk_store_error(err, BK_ENOTFOUND, "booking: not a booking of provider %s", p->provider);
        else
            rc = bk_store_error(err, BK_ESTALE, "booking: changed since it was read (version %lld, expected %lld)",
                                (long long)num(r, 0, 0), (long long)expected);
    }
    PQclear(r);
    return rc;
}

/* 23P01 on an update: name the booking in the way, as the memory backend. */
static int booking_update_conflict(struct pg_store *s, const struct booking_params *p, const char *server,
                                   bk_store_err *err)
{
    const char *v[4] = {p->v[1], p->v[0], p->v[7], p->v[8]};
    PGresult *r;
    int rc = run(s, 0, "booking conflict check", ST_BOOKING_CONFLICT, 4, v, &r, err);
    if (rc == BK_OK && PQntuples(r) > 0)
        rc = bk_store_error(err, BK_ECONFLICT, "booking: occupied range overlaps booking %s", val(r, 0, 0));
    else if (rc == BK_OK)
        rc = bk_store_error(err, BK_ECONFLICT, "booking: occupied range overlaps a live booking (postgresql: %s)",
                            server);
    PQclear(r);
    return rc;
}

/* ST_BOOKING_UPDATE's $1..$23 from a booking's parameters. */
static void update_values(const struct booking_params *p, const char *expected, const char *v[23])
{
    memcpy(v, p->v, 18 * sizeof *v);
    v[18] = p->v[19];
    v[19] = p->v[20];
    v[20] = p->v[21];
    v[21] = expected;
    v[22] = p->v[22];
}

/* An update (or a token's) failed in the statement: say why as the
 * memory backend would. */
static int booking_update_error(struct pg_store *s, const struct booking_params *p, PGresult *r, int rc,
                                bk_store_err *err)
{
    char m[300];
    describe(m, sizeof m, NULL, r);
    if (sqlstate_is(r, "23P01")) {
        PQclear(r);
        return booking_update_conflict(s, p, m, err);
    }
    if (sqlstate_is(r, "23503")) {
        PQclear(r);
        return booking_fk_error(s, p, err);
    }
    if (sqlstate_is(r, "23505") && strstr(constraint_of(r), "idempotency"))
        rc = bk_store_error(err, BK_EEXISTS, "idempotency_key: already used by another booking (postgresql: %s)", m);
    PQclear(r);
    return rc;
}

static int pg_booking_update(bk_store *self, const bk_booking *b, const char *email_key, int64_t expected,
                             bk_store_err *err)
{
    struct pg_store *s = store_of(self);
    if (!b)
        return bk_store_error(err, BK_EINVAL, "booking: NULL");
    struct booking_params p;
    char ex[24];
    if (!id_param(p.id, &b->id))
        return not_found(err, "booking");
    int rc = booking_params(b, email_key, &p, err);
    if (rc)
        return rc;
    const char *v[23];
    update_values(&p, int_param(ex, expected), v);
    PGresult *r;
    rc = run(s, 1, "booking update", ST_BOOKING_UPDATE, 23, v, &r, err);
    if (rc == BK_OK) {
        int changed = PQntuples(r) > 0;
        PQclear(r);
        return changed ? BK_OK : booking_update_miss(s, &p, expected, err);
    }
    return booking_update_error(s, &p, r, rc, err);
}

/* ------------------------------------------------------------------ */
/* Schedule                                                            */
/* ------------------------------------------------------------------ */

/*
 * schedule_load is one statement: SELECT ... FROM
 * <schema>.bk_schedule_narrow(...), the PL/pgSQL function of migration 4
 * (pg_schema.c), one row per record in 11 typed columns read in binary.
 *
 * History, measured on the development machine (2 cores, loopback), with
 * SELECT 1 at ~0.03 ms: one UNION ALL statement of every record kind,
 * padded to 24 text columns, cost the server ~2.5-3 ms a call to parse and
 * plan; six or seven narrow statements in one pipeline ~1.0-1.1 ms, still
 * parsed and planned on every call, since a transaction-pooling PgBouncer
 * rules out named prepared statements (POSTGRES-NOTES.md).  A function
 * keeps its plans in the server process (PgBouncer-safe: no session state
 * of ours), and binary results spare both sides the text conversions of
 * ids and times (uuid_out and extract(epoch ...) were a fifth of the
 * server's time).  Migration 2's function returned 29 columns; the bytes
 * of a month's bookings then cost as much as the reads (pg_schema.c,
 * migration 4, has the figures).
 */

/* Result columns (pg_schema.c, migration 4). */
enum { SC_K, SC_U, SC_T1, SC_T2, SC_I1, SC_I2, SC_I3, SC_I4, SC_S1, SC_S2, SC_W, SC_COUNT };

/* The record kinds of column k. */
enum { SK_PROVIDER = 1, SK_SERVICE, SK_AVAIL, SK_OVERRIDE, SK_BLOCKED, SK_BOOKING, SK_KEYED };

/* The elements of column w for each kind that has it (migration 4). */
enum { WP_USERNAME, WP_EMAIL, WP_FULL_NAME, WP_TIMEZONE, WP_BUSINESS, WP_DESCRIPTION, WP_AVATAR, WP_COUNT };
enum {
    WS_PROVIDER, WS_NAME, WS_DESCRIPTION, WS_CURRENCY, WS_NOTICE, WS_HORIZON, WS_ORDER, WS_ACTIVE,
    WS_CONFIRMATION, WS_PRICE, WS_COUNT
};
enum {
    WB_PROVIDER, WB_SERVICE, WB_CREATED, WB_UPDATED, WB_CONFIRMED, WB_CANCELLED, WB_LOCK_VERSION, WB_NAME,
    WB_EMAIL, WB_PHONE, WB_TIMEZONE, WB_NOTES, WB_REASON, WB_COUNT
};
#define W_MAX WB_COUNT

#define INT2OID 21
#define INT4OID 23
#define TEXTOID 25
#define TEXTARRAYOID 1009
#define TIMESTAMPTZOID 1184
#define UUIDOID 2950

/* 2000-01-01, PostgreSQL's epoch for binary times and dates. */
#define PG_EPOCH_UNIX 946684800LL
#define PG_EPOCH_DAYS 10957

/* Is the result what this file reads: binary, with (at least) the columns
 * and types of migration 4?  Checked once, so that the readers below can
 * trust each value's length to match its type. */
static int schedule_shape_ok(const PGresult *r)
{
    static const Oid want[SC_COUNT] = {INT2OID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, INT4OID,
                                       INT4OID, INT4OID, TEXTOID, TEXTOID, TEXTARRAYOID};
    if (PQnfields(r) < SC_COUNT)
        return 0;
    for (int c = 0; c < SC_COUNT; c++)
        if (PQftype(r, c) != want[c] || PQfformat(r, c) != 1)
            return 0;
    return 1;
}

/* A binary value of exactly `len` bytes, else NULL (SQL NULL). */
static const unsigned char *bin(const PGresult *r, int row, int col, int len)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != len)
        return NULL;
    return (const unsigned char *)PQgetvalue(r, row, col);
}

static uint64_t be_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t be_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Two's complement without implementation-defined conversions. */
static int64_t s64(uint64_t v) { return v <= INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1; }
static int32_t s32(uint32_t v) { return v <= INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1; }

static int bin_int(const PGresult *r, int row, int col)
{
    const unsigned char *p = bin(r, row, col, 4);
    return p ? (int)s32(be_u32(p)) : 0;
}

static int bin_kind(const PGresult *r, int row)
{
    const unsigned char *p = bin(r, row, SC_K, 2);
    return p ? ((int)p[0] << 8) | p[1] : 0;
}

/* Microseconds since 2000-01-01 to epoch seconds (stored times are whole
 * seconds; the floor matches what the text path's extract() gave). */
static bk_time bin_time(const PGresult *r, int row, int col)
{
    const unsigned char *p = bin(r, row, col, 8);
    if (!p)
        return BK_TIME_UNSET;
    int64_t us = s64(be_u64(p));
    int64_t sec = us / 1000000 - (us % 1000000 < 0);
    return (bk_time)(sec + PG_EPOCH_UNIX);
}

static bk_id bin_id(const PGresult *r, int row, int col)
{
    static const char hex[] = "0123456789abcdef";
    bk_id id;
    memset(&id, 0, sizeof id);
    const unsigned char *p = bin(r, row, col, 16);
    if (!p)
        return id;
    char *o = id.s;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[p[i] >> 4];
        *o++ = hex[p[i] & 15];
    }
    return id;
}

/* Text comes NUL-terminated from libpq in binary format too. */
static const char *bin_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Column w of a row: exactly `want` elements of a one-dimensional text
 * array, copied NUL-terminated (array elements are not) into one block
 * that *mem owns (the caller frees it); NULL elements stay NULL.  BK_OK,
 * BK_ENOMEM, or BK_ESTORE for anything else. */
static int sched_strings(const PGresult *r, int row, int want, const char *out[W_MAX], char **mem,
                         bk_store_err *err)
{
    *mem = NULL;
    int len = PQgetisnull(r, row, SC_W) ? 0 : PQgetlength(r, row, SC_W);
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, SC_W);
    /* ndim, has-null flag, element type, then (size, lower bound) per
     * dimension, then each element as a length (-1: NULL) and its bytes. */
    if (want > W_MAX || len < 20 || be_u32(p) != 1 || be_u32(p + 8) != TEXTOID || be_u32(p + 12) != (uint32_t)want)
        return bk_store_error(err, BK_ESTORE, "postgresql: schedule load: unexpected record of kind %d",
                              bin_kind(r, row));
    size_t at = 20, end = (size_t)len;
    size_t start[W_MAX], size[W_MAX];
    for (int i = 0; i < want; i++) {
        if (end - at < 4)
            return bk_store_error(err, BK_ESTORE, "postgresql: schedule load: truncated array");
        int32_t n = s32(be_u32(p + at));
        at += 4;
        if (n < -1 || (n >= 0 && (size_t)n > end - at))
            return bk_store_error(err, BK_ESTORE, "postgresql: schedule load: truncated array");
        start[i] = at;
        size[i] = n < 0 ? SIZE_MAX : (size_t)n;
        at += n < 0 ? 0 : (size_t)n;
    }
    /* Every byte of the array plus a NUL for each element is enough. */
    char *block = bki_malloc(end + (size_t)want);
    if (!block)
        return oom(err);
    char *o = block;
    for (int i = 0; i < want; i++) {
        if (size[i] == SIZE_MAX) {
            out[i] = NULL;
            continue;
        }
        memcpy(o, p + start[i], size[i]);
        o[size[i]] = '\0';
        out[i] = o;
        o += size[i] + 1;
    }
    *mem = block;
    return BK_OK;
}

/* A decimal integer from column w (NULL: `null`). */
static int64_t w_num(const char *s, int64_t null)
{
    return s ? strtoll(s, NULL, 10) : null;
}

static void w_id(bk_id *id, const char *s)
{
    memset(id, 0, sizeof *id);
    if (s)
        snprintf(id->s, sizeof id->s, "%s", s);
}

static int sched_provider(const bk_store_sink *sink, const PGresult *r, int row, bk_store_err *err)
{
    if (!sink || !sink->provider)
        return 0;
    const char *w[W_MAX];
    char *mem;
    int rc = sched_strings(r, row, WP_COUNT, w, &mem, err);
    if (rc)
        return rc;
    bk_provider p;
    memset(&p, 0, sizeof p);
    p.version = BK_PROVIDER_VERSION;
    p.id = bin_id(r, row, SC_U);
    p.username = w[WP_USERNAME];
    p.email = w[WP_EMAIL];
    p.full_name = w[WP_FULL_NAME];
    p.timezone = w[WP_TIMEZONE];
    p.business_name = w[WP_BUSINESS];
    p.description = w[WP_DESCRIPTION];
    p.avatar_url = w[WP_AVATAR];
    p.created_at = bin_time(r, row, SC_T1);
    p.updated_at = bin_time(r, row, SC_T2);
    p.deleted_at = BK_TIME_UNSET; /* the function returns no deleted provider */
    rc = sink->provider(sink->ctx, &p);
    bki_free(mem);
    return rc;
}

/* The service's provider, which the caller checks before anything is
 * emitted (*out zero if unreadable). */
static int sched_service_provider(const PGresult *r, int row, bk_id *out, bk_store_err *err)
{
    const char *w[W_MAX];
    char *mem;
    int rc = sched_strings(r, row, WS_COUNT, w, &mem, err);
    if (rc == BK_OK)
        w_id(out, w[WS_PROVIDER]);
    bki_free(mem);
    return rc;
}

static int sched_service(const bk_store_sink *sink, const PGresult *r, int row, bk_store_err *err)
{
    if (!sink || !sink->service)
        return 0;
    const char *w[W_MAX];
    char *mem;
    int rc = sched_strings(r, row, WS_COUNT, w, &mem, err);
    if (rc)
        return rc;
    bk_service s;
    memset(&s, 0, sizeof s);
    s.version = BK_SERVICE_VERSION;
    s.id = bin_id(r, row, SC_U);
    w_id(&s.provider, w[WS_PROVIDER]);
    s.name = w[WS_NAME];
    s.description = w[WS_DESCRIPTION];
    s.duration_minutes = bin_int(r, row, SC_I1);
    s.buffer_before_minutes = bin_int(r, row, SC_I2);
    s.buffer_after_minutes = bin_int(r, row, SC_I3);
    s.slot_step_minutes = bin_int(r, row, SC_I4);
    s.min_notice_minutes = (int)w_num(w[WS_NOTICE], 0);
    s.horizon_days = (int)w_num(w[WS_HORIZON], 0);
    s.display_order = (int)w_num(w[WS_ORDER], 0);
    s.active = (int)w_num(w[WS_ACTIVE], 0);
    s.requires_confirmation = (int)w_num(w[WS_CONFIRMATION], 0);
    s.price_minor = w_num(w[WS_PRICE], 0);
    s.currency = w[WS_CURRENCY];
    s.created_at = bin_time(r, row, SC_T1);
    s.updated_at = bin_time(r, row, SC_T2);
    rc = sink->service(sink->ctx, &s);
    bki_free(mem);
    return rc;
}

static int sched_availability(const bk_store_sink *sink, const bk_id *provider, const PGresult *r, int row)
{
    if (!sink || !sink->availability)
        return 0;
    bk_availability a;
    memset(&a, 0, sizeof a);
    a.version = BK_AVAILABILITY_VERSION;
    a.id = bin_id(r, row, SC_U);
    a.provider = *provider;
    a.weekday = bin_int(r, row, SC_I1);
    a.start_minute = bin_int(r, row, SC_I2);
    a.end_minute = bin_int(r, row, SC_I3);
    a.is_available = bin_int(r, row, SC_I4);
    return sink->availability(sink->ctx, &a);
}

static int sched_blocked(const bk_store_sink *sink, const bk_id *provider, const PGresult *r, int row)
{
    if (!sink || !sink->blocked)
        return 0;
    bk_blocked b;
    memset(&b, 0, sizeof b);
    b.version = BK_BLOCKED_VERSION;
    b.id = bin_id(r, row, SC_U);
    b.provider = *provider;
    b.start = bin_time(r, row, SC_T1);
    b.end = bin_time(r, row, SC_T2);
    b.rrule = bin_text(r, row, SC_S1);
    b.reason = bin_text(r, row, SC_S2);
    return sink->blocked(sink->ctx, &b);
}

/* A live booking as the engine needs it (store.h: the rest unset). */
static int sched_booking(const bk_store_sink *sink, const bk_id *provider, const PGresult *r, int row)
{
    if (!sink || !sink->booking)
        return 0;
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.id = bin_id(r, row, SC_U);
    b.provider = *provider;
    b.start = bin_time(r, row, SC_T1);
    b.end = bin_time(r, row, SC_T2);
    b.buffer_before_minutes = bin_int(r, row, SC_I1);
    b.buffer_after_minutes = bin_int(r, row, SC_I2);
    b.status = status_of(bin_text(r, row, SC_S1));
    b.created_at = b.updated_at = b.confirmed_at = b.cancelled_at = BK_TIME_UNSET;
    b.archived_at = BK_TIME_UNSET;
    return sink->booking(sink->ctx, &b);
}

/* The booking holding the requested key, whole. */
static int sched_keyed(const bk_store_sink *sink, const PGresult *r, int row, bk_store_err *err)
{
    if (!sink || !sink->keyed_booking)
        return 0;
    const char *w[W_MAX];
    char *mem;
    int rc = sched_strings(r, row, WB_COUNT, w, &mem, err);
    if (rc)
        return rc;
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.id = bin_id(r, row, SC_U);
    w_id(&b.provider, w[WB_PROVIDER]);
    w_id(&b.service, w[WB_SERVICE]);
    b.start = bin_time(r, row, SC_T1);
    b.end = bin_time(r, row, SC_T2);
    b.buffer_before_minutes = bin_int(r, row, SC_I1);
    b.buffer_after_minutes = bin_int(r, row, SC_I2);
    b.status = status_of(bin_text(r, row, SC_S1));
    b.idempotency_key = bin_text(r, row, SC_S2);
    b.created_at = w_num(w[WB_CREATED], BK_TIME_UNSET);
    b.updated_at = w_num(w[WB_UPDATED], BK_TIME_UNSET);
    b.confirmed_at = w_num(w[WB_CONFIRMED], BK_TIME_UNSET);
    b.cancelled_at = w_num(w[WB_CANCELLED], BK_TIME_UNSET);
    b.archived_at = BK_TIME_UNSET;
    b.lock_version = w_num(w[WB_LOCK_VERSION], 0);
    b.customer_name = w[WB_NAME];
    b.customer_email = w[WB_EMAIL];
    b.customer_phone = w[WB_PHONE];
    b.customer_timezone = w[WB_TIMEZONE];
    b.notes = w[WB_NOTES];
    b.cancellation_reason = w[WB_REASON];
    rc = sink->keyed_booking(sink->ctx, &b);
    bki_free(mem);
    return rc;
}

/* A row to emit in order: blocked periods by (start, id), bookings by
 * (lower(occupied), id), as store.h and the memory backend order them;
 * override intervals by (date, number). */
struct sched_key {
    int64_t at;
    const unsigned char *id; /* 16 bytes: uuid order is byte order */
    int row;
};

static int sched_key_cmp(const void *a, const void *b)
{
    const struct sched_key *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    if (x->id && y->id) {
        int c = memcmp(x->id, y->id, 16);
        if (c)
            return c;
    }
    return (x->row > y->row) - (x->row < y->row);
}

/* The sort keys of the rows of `kind`, sorted, in keys[0..*n). */
static void sched_sort(const PGresult *r, int rows, int kind, struct sched_key *keys, size_t *n)
{
    *n = 0;
    for (int i = 0; i < rows; i++) {
        if (bin_kind(r, i) != kind)
            continue;
        int64_t at;
        if (kind == SK_OVERRIDE) {
            /* A day off's one row has no number: 0 sorts it first. */
            at = (int64_t)bin_int(r, i, SC_I3) * 65536 + bin_int(r, i, SC_I4);
        } else {
            at = bin_time(r, i, SC_T1);
            if (kind == SK_BOOKING)
                at = sat_add(at, -(bk_time)bin_int(r, i, SC_I1) * 60);
        }
        keys[*n].at = at;
        keys[*n].id = bin(r, i, SC_U, 16);
        keys[*n].row = i;
        (*n)++;
    }
    qsort(keys, *n, sizeof *keys, sched_key_cmp);
}

/* keys[*k..n) are override rows sorted by (date, number): one row per
 * interval (NULL minutes: a day off).  Emits the date at *k, moves past
 * it. */
static int sched_override(const bk_store_sink *sink, const bk_id *provider, const PGresult *r,
                          const struct sched_key *keys, size_t *k, size_t n, bk_store_err *err)
{
    const unsigned char *day = bin(r, keys[*k].row, SC_I3, 4);
    size_t first = *k, last = *k + 1;
    while (day && last < n && bin(r, keys[last].row, SC_I3, 4) &&
           memcmp(bin(r, keys[last].row, SC_I3, 4), day, 4) == 0)
        last++;
    *k = last;
    if (!sink || !sink->override_day)
        return 0;
    if (!day)
        return bk_store_error(err, BK_ESTORE, "postgresql: override: no date");
    bk_override o;
    memset(&o, 0, sizeof o);
    o.version = BK_OVERRIDE_VERSION;
    o.provider = *provider;
    o.date = civil_bk_date_from_days((int64_t)s32(be_u32(day)) + PG_EPOCH_DAYS);
    bk_local_interval local[BK_OVERRIDE_MAX_INTERVALS], *iv = local;
    size_t m = 0;
    for (size_t i = first; i < last; i++)
        m += !PQgetisnull(r, keys[i].row, SC_I1);
    if (m > BK_OVERRIDE_MAX_INTERVALS && !(iv = bki_malloc(m * sizeof *iv)))
        return oom(err);
    m = 0;
    for (size_t i = first; i < last; i++) {
        if (PQgetisnull(r, keys[i].row, SC_I1))
            continue;
        iv[m].start_minute = bin_int(r, keys[i].row, SC_I1);
        iv[m].end_minute = bin_int(r, keys[i].row, SC_I2);
        m++;
    }
    o.n_intervals = m;
    o.intervals = m ? iv : NULL;
    int rc = sink->override_day(sink->ctx, &o);
    if (iv != local)
        bki_free(iv);
    return rc;
}

static int pg_schedule_load(bk_store *self, const bk_schedule_request *req, const bk_store_sink *sink,
                            bk_store_err *err)
{
    if (!req)
        return bk_store_error(err, BK_EINVAL, "request: NULL");
    if (req->version != 1)
        return bk_store_error(err, BK_EMISUSE, "schedule request: unknown version %u", req->version);
    char prov[37], svc[37], t[4][24], d[2][16];
    const char *v[9];
    if (!(v[0] = id_param(prov, &req->provider)))
        return not_found(err, "provider");
    bk_time to = req->to < req->from ? req->from : req->to;
    v[1] = id_param(svc, &req->service);
    v[2] = bound_param(t[0], req->from);
    v[3] = bound_param(t[1], to);
    v[4] = date_param(d[0], &req->first_date);
    v[5] = date_param(d[1], &req->last_date);
    v[6] = req->idempotency_key;
    /* The slot window narrows the read only as store.h allows: inside
     * [from, to), and not empty (the function relies on both). */
    int narrow = req->from <= req->slots_from && req->slots_from < req->slots_to && req->slots_to <= to;
    v[7] = narrow ? bound_param(t[2], req->slots_from) : NULL;
    v[8] = narrow ? bound_param(t[3], req->slots_to) : NULL;
    PGresult *r;
    int rc = run_as(store_of(self), 0, "schedule load", ST_SCHEDULE, 9, v, 1, &r, err);
    if (rc != BK_OK) {
        PQclear(r);
        return rc;
    }
    int rows = PQntuples(r), provider_row = -1, service_row = -1;
    size_t sortable = 0, overrides = 0;
    if (!schedule_shape_ok(r)) {
        PQclear(r);
        return bk_store_error(err, BK_ESTORE, "postgresql: schedule load: unexpected result columns");
    }
    for (int i = 0; i < rows; i++) {
        int k = bin_kind(r, i);
        if (k == SK_PROVIDER && provider_row < 0)
            provider_row = i;
        else if (k == SK_SERVICE && service_row < 0)
            service_row = i;
        else if (k == SK_BLOCKED || k == SK_BOOKING)
            sortable++;
        else if (k == SK_OVERRIDE)
            overrides++;
    }
    /* Both checked before anything is emitted. */
    bk_id svc_provider = {{0}};
    if (provider_row < 0)
        rc = not_found(err, "provider");
    else if (service_row < 0)
        rc = not_found(err, "service");
    else if ((rc = sched_service_provider(r, service_row, &svc_provider, err)) == BK_OK &&
             strcmp(svc_provider.s, prov) != 0)
        rc = bk_store_error(err, BK_ENOTFOUND, "service: belongs to another provider");
    if (overrides > sortable)
        sortable = overrides;
    struct sched_key local[64], *keys = local;
    if (rc == BK_OK && sortable > sizeof local / sizeof local[0] && !(keys = bki_malloc(sortable * sizeof *keys)))
        rc = oom(err);
    if (rc == BK_OK)
        rc = sched_provider(sink, r, provider_row, err);
    if (rc == BK_OK)
        rc = sched_service(sink, r, service_row, err);
    bk_id pid = rc == BK_OK ? bin_id(r, provider_row, SC_U) : (bk_id){{0}};
    for (int i = 0; rc == BK_OK && i < rows; i++)
        if (bin_kind(r, i) == SK_AVAIL)
            rc = sched_availability(sink, &pid, r, i);
    size_t n = 0;
    if (rc == BK_OK)
        sched_sort(r, rows, SK_OVERRIDE, keys, &n);
    for (size_t i = 0; rc == BK_OK && i < n;)
        rc = sched_override(sink, &pid, r, keys, &i, n, err);
    if (rc == BK_OK)
        sched_sort(r, rows, SK_BLOCKED, keys, &n);
    for (size_t i = 0; rc == BK_OK && i < n; i++)
        rc = sched_blocked(sink, &pid, r, keys[i].row);
    if (rc == BK_OK)
        sched_sort(r, rows, SK_BOOKING, keys, &n);
    for (size_t i = 0; rc == BK_OK && i < n; i++)
        rc = sched_booking(sink, &pid, r, keys[i].row);
    for (int i = 0; rc == BK_OK && req->idempotency_key && i < rows; i++)
        if (bin_kind(r, i) == SK_KEYED)
            rc = sched_keyed(sink, r, i, err);
    if (keys != local)
        bki_free(keys);
    PQclear(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Open, migrate, close                                                */
/* ------------------------------------------------------------------ */

static void pg_close(bk_store *self)
{
    if (!self)
        return;
    struct pg_store *s = store_of(self);
    if (s->conn)
        PQfinish(s->conn);
    for (int i = 0; i < ST_COUNT; i++)
        bki_free(s->sql[i]);
    bki_free(s->schema);
    bki_free(s->schema_q);
    bki_free(s);
}

int pg_store_accepts(const char *uri)
{
    if (!uri)
        return 0;
    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
        return 1;
    if (!strchr(uri, '='))
        return 0;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(uri, &msg);
    if (msg)
        PQfreemem(msg);
    if (!opts)
        return 0;
    PQconninfoFree(opts);
    return 1;
}

/* 1-63 bytes of [a-z0-9_], not starting with a digit (bk_open_options). */
static int schema_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > 63 || isdigit((unsigned char)name[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return 0;
    return 1;
}

/* libpq's complaint about a conninfo it cannot parse, with every quoted
 * part blanked: a percent-decoding error quotes the whole component,
 * which may be the password. */
static void unquote(char *buf, size_t size, const char *msg)
{
    size_t o = 0;
    int inq = 0;
    for (; msg && *msg && o + 1 < size; msg++) {
        if (*msg == '"') {
            inq = !inq;
            if (inq)
                for (const char *r = "\"...\""; *r && o + 1 < size; r++)
                    buf[o++] = *r;
            continue;
        }
        if (inq)
            continue;
        buf[o++] = (*msg == '\n') ? ' ' : *msg;
    }
    while (o && buf[o - 1] == ' ')
        o--;
    buf[o] = '\0';
}

/* Server notices (NOTICE from IF NOT EXISTS, a FATAL that arrives while
 * the connection is idle) would go to stderr by default: a library does not
 * write to its host's stderr.  What matters reaches the caller as a status
 * and message. */
static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connects with the caller's parameters plus defaults for those it left
 * out (connect_timeout, client_encoding, fallback_application_name). */
static int pg_connect(struct pg_store *s, const char *conninfo, bk_store_err *err)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    if (!opts) {
        char m[300];
        unquote(m, sizeof m, msg ? msg : "out of memory");
        int nomem = msg == NULL;
        if (msg)
            PQfreemem(msg);
        return nomem ? oom(err) : bk_store_error(err, BK_EINVAL, "uri: not a valid PostgreSQL connection string (%s)", m);
    }
    size_t n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    const char **kw = bki_calloc(n + 4, sizeof *kw), **vals = bki_calloc(n + 4, sizeof *vals);
    if (!kw || !vals) {
        bki_free(kw);
        bki_free(vals);
        PQconninfoFree(opts);
        return oom(err);
    }
    size_t k = 0;
    int has_timeout = 0, has_encoding = 0, has_app = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val)
            continue;
        has_timeout |= strcmp(o->keyword, "connect_timeout") == 0;
        has_encoding |= strcmp(o->keyword, "client_encoding") == 0;
        has_app |= strcmp(o->keyword, "fallback_application_name") == 0;
        kw[k] = o->keyword;
        vals[k++] = o->val;
    }
    if (!has_timeout) {
        kw[k] = "connect_timeout";
        vals[k++] = DEFAULT_CONNECT_TIMEOUT;
    }
    /* Text is UTF-8 throughout the library (validated on the way in). */
    if (!has_encoding) {
        kw[k] = "client_encoding";
        vals[k++] = "UTF8";
    }
    if (!has_app) {
        kw[k] = "fallback_application_name";
        vals[k++] = "libbooking";
    }
    kw[k] = NULL;
    vals[k] = NULL;
    s->conn = PQconnectdbParams(kw, vals, 0);
    bki_free(kw);
    bki_free(vals);
    PQconninfoFree(opts);
    if (!s->conn)
        return oom(err);
    PQsetNoticeProcessor(s->conn, quiet_notices, NULL);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char w[300], m[300];
        where(w, sizeof w, s->conn);
        describe(m, sizeof m, s->conn, NULL);
        return bk_store_error(err, BK_ECONNECTION, "connection: cannot connect to %s: %s", w, m);
    }
    return BK_OK;
}

static int build_statements(struct pg_store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (stmt_text[i]) {
            pg_sb b = {0};
            pg_sb_add_schema(&b, stmt_text[i], s->schema_q);
            s->sql[i] = pg_sb_take(&b);
        }
    }
    s->sql[ST_BOOKING_WHY_SKIPPED] = build_why_skipped(s->schema_q);
    for (int i = 0; i < ST_COUNT; i++)
        if (!s->sql[i])
            return -1;
    return 0;
}

/* The schema's version: 0 when the version table (or the schema) does not
 * exist yet. */
static int read_version(struct pg_store *s, int *version, bk_store_err *err)
{
    PGresult *r;
    int rc = run(s, 0, "schema version", ST_VERSION_READ, 0, NULL, &r, err);
    if (rc == BK_OK) {
        *version = (int)num(r, 0, 0);
    } else if (sqlstate_is(r, "42P01") || sqlstate_is(r, "3F000")) {
        *version = 0;
        rc = BK_OK;
    }
    PQclear(r);
    return rc;
}

/* Runs a DDL script (or any statement without parameters) in the open
 * transaction; BK_ESTORE with the server's message on failure, and
 * *retry set for failures a concurrent migration can cause. */
static int exec_script(struct pg_store *s, const char *what, const char *sql, int *retry, bk_store_err *err)
{
    PGresult *r = PQexec(s->conn, sql);
    if (!r)
        return PQstatus(s->conn) == CONNECTION_OK ? oom(err) : lost(s, err, 0, 1, what, NULL);
    ExecStatusType st = PQresultStatus(r);
    int rc = BK_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        if (connection_lost(s->conn, r)) {
            rc = lost(s, err, 0, 1, what, r);
        } else {
            char m[300];
            describe(m, sizeof m, s->conn, r);
            /* Two schemas migrating at once can both try to create
             * btree_gist (or another shared object): run again. */
            *retry = sqlstate_is(r, "23505") || sqlstate_is(r, "42710") || sqlstate_is(r, "42P07") ||
                     sqlstate_is(r, "40001") || sqlstate_is(r, "40P01");
            rc = bk_store_error(err, BK_ESTORE, "schema: %s failed: %s", what, m);
        }
    }
    PQclear(r);
    return rc;
}

/* One transaction under the schema's advisory lock: creates the schema and
 * version table if missing, then applies the next missing migration, if
 * any (*done = 1 when none is missing). */
static int migrate_step(struct pg_store *s, const bk_open_options *o, int *done, int *retry, bk_store_err *err)
{
    *done = 0;
    char lock[96];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%" PRId64 ")", pg_schema_lock_key(s->schema));
    int rc = exec_script(s, "BEGIN", "BEGIN", retry, err);
    if (rc)
        return rc;
    s->in_tx = 1;
    char *boot = NULL, *mig = NULL;
    int version = 0;
    if ((rc = exec_script(s, "migration lock", lock, retry, err)))
        goto out;
    if (!(boot = pg_schema_bootstrap(s->schema, s->schema_q))) {
        rc = oom(err);
        goto out;
    }
    if ((rc = exec_script(s, "creating the version table", boot, retry, err)))
        goto out;
    if ((rc = read_version(s, &version, err)))
        goto out;
    if (version >= pg_schema_latest()) {
        *done = 1;
    } else {
        int next = version + 1;
        if (!(mig = pg_schema_migration(next, s->schema, s->schema_q, o->booking_partitions))) {
            rc = oom(err);
            goto out;
        }
        char what[48], vtext[24];
        snprintf(what, sizeof what, "migration %d", next);
        if ((rc = exec_script(s, what, mig, retry, err)))
            goto out;
        const char *v[1] = {int_param(vtext, next)};
        PGresult *r;
        rc = run(s, 1, "recording the schema version", ST_VERSION_INSERT, 1, v, &r, err);
        PQclear(r);
        if (rc)
            goto out;
    }
    rc = exec_script(s, "COMMIT", "COMMIT", retry, err);
out:
    s->in_tx = 0;
    if (rc && PQstatus(s->conn) == CONNECTION_OK && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    bki_free(boot);
    bki_free(mig);
    return rc;
}

static int schema_ready(struct pg_store *s, const bk_open_options *o, bk_store_err *err)
{
    int version = 0, latest = pg_schema_latest();
    /* The common case needs no lock and no DDL rights: one read. */
    int rc = read_version(s, &version, err);
    if (rc)
        return rc;
    /* A newer schema than this library knows is accepted: migrations only
     * add, so what this version reads and writes is still there. */
    if (version >= latest)
        return BK_OK;
    if (!o->migrate)
        return bk_store_error(err, BK_ESTORE,
                              "schema: version %d, library needs %d; open with migrate = 1 or run bkctl migrate",
                              version, latest);
    for (int step = 0, attempt = 1; step <= latest + MAX_ATTEMPTS; step++) {
        int done = 0, retry = 0;
        rc = migrate_step(s, o, &done, &retry, err);
        if (rc == BK_OK && done)
            return BK_OK;
        if (rc && !(retry && attempt < MAX_ATTEMPTS))
            return rc;
        if (rc)
            backoff(s, attempt++);
    }
    return bk_store_error(err, BK_ESTORE, "schema: migrations did not finish");
}

/* ------------------------------------------------------------------ */
/* Version 2: soft delete, credentials, tokens, customer data, archive */
/* ------------------------------------------------------------------ */

/* A statement whose first column of its first row is a count. */
static int run_count(struct pg_store *s, int write, const char *what, enum stmt st, int n, const char *const *v,
                     int64_t *count, bk_store_err *err)
{
    PGresult *r;
    int rc = run(s, write, what, st, n, v, &r, err);
    if (rc == BK_OK)
        *count = PQntuples(r) > 0 ? num(r, 0, 0) : 0;
    PQclear(r);
    return rc;
}

static int pg_provider_set_deleted(bk_store *self, const bk_id *id, bk_time deleted_at, bk_store_err *err)
{
    char idb[37], t[24];
    const char *v[2];
    if (!id)
        return bk_store_error(err, BK_EINVAL, "id: NULL");
    if (!(v[0] = id_param(idb, id)))
        return not_found(err, "provider");
    int rc = time_param(t, deleted_at, "deleted_at", &v[1], err);
    PGresult *r = NULL;
    if (rc == BK_OK && (rc = run(store_of(self), 1, "provider delete", ST_PROVIDER_SET_DELETED, 2, v, &r, err)) == BK_OK)
        rc = PQntuples(r) == 0 ? not_found(err, "provider") : BK_OK;
    PQclear(r);
    return rc;
}

static int pg_provider_purge(bk_store *self, bk_time deleted_before, size_t *n_purged, bk_store_err *err)
{
    char t[24];
    const char *v[1] = {bound_param(t, deleted_before)};
    int64_t n = 0;
    if (!n_purged)
        return bk_store_error(err, BK_EINVAL, "n_purged: NULL");
    int rc = run_count(store_of(self), 1, "provider purge", ST_PROVIDER_PURGE, 1, v, &n, err);
    *n_purged = rc == BK_OK ? (size_t)n : 0;
    return rc;
}

static int pg_provider_password_set(bk_store *self, const bk_id *provider, const char *hash,
                                    const char *expected_hash, bk_store_err *err)
{
    char idb[37];
    const char *v[3] = {NULL, hash, expected_hash};
    if (!provider || !hash)
        return bk_store_error(err, BK_EINVAL, "%s: NULL", provider ? "hash" : "provider");
    if (!(v[0] = id_param(idb, provider)))
        return not_found(err, "provider");
    PGresult *r;
    int rc = run(store_of(self), 1, "password set", ST_PASSWORD_SET, 3, v, &r, err);
    if (rc == BK_OK && num(r, 0, 0) == 0)
        rc = num(r, 0, 1) == 0 ? not_found(err, "provider")
                               : bk_store_error(err, BK_ESTALE, "password: changed since it was read");
    PQclear(r);
    return rc;
}

static int pg_provider_login(bk_store *self, const char *login_key, const bk_store_sink *sink, bk_store_err *err)
{
    const char *v[1] = {login_key};
    if (!login_key)
        return bk_store_error(err, BK_EINVAL, "login_key: NULL");
    PGresult *r;
    int rc = run(store_of(self), 0, "login", ST_LOGIN, 1, v, &r, err);
    if (rc == BK_OK && PQntuples(r) == 0)
        rc = bk_store_error(err, BK_ENOTFOUND, "provider: no such login");
    else if (rc == BK_OK && sink && sink->credential) {
        bk_id id = idval(r, 0, 0);
        rc = sink->credential(sink->ctx, &id, val(r, 0, 1));
    }
    PQclear(r);
    return rc;
}

static const char *token_action_name(bk_token_action a)
{
    return a == BK_TOKEN_CONFIRM ? "confirm" : a == BK_TOKEN_CANCEL ? "cancel" : a == BK_TOKEN_RESCHEDULE ? "reschedule" : NULL;
}

static void hash_hex(char out[65], const unsigned char hash[32])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = digits[hash[i] >> 4];
        out[2 * i + 1] = digits[hash[i] & 15];
    }
    out[64] = '\0';
}

static int pg_token_insert(bk_store *self, const bk_store_token *t, bk_store_err *err)
{
    char id[37], booking[37], hex[65], tt[2][24];
    const char *v[6];
    if (!t)
        return bk_store_error(err, BK_EINVAL, "token: NULL");
    if (!(v[0] = id_param(id, &t->id)))
        return bk_store_error(err, BK_EINVAL, "token.id: not a UUID");
    if (!(v[1] = id_param(booking, &t->booking)))
        return not_found(err, "booking");
    if (!(v[2] = token_action_name(t->action)))
        return bk_store_error(err, BK_EINVAL, "token.action: %d is not an action", (int)t->action);
    hash_hex(hex, t->hash);
    v[3] = hex;
    int rc;
    if ((rc = time_param(tt[0], t->expires_at, "expires_at", &v[4], err)) ||
        (rc = time_param(tt[1], t->created_at, "created_at", &v[5], err)))
        return rc;
    PGresult *r;
    rc = run(store_of(self), 1, "token insert", ST_TOKEN_INSERT, 6, v, &r, err);
    if (rc == BK_OK && PQntuples(r) == 0)
        rc = not_found(err, "booking");
    else if (rc != BK_OK && sqlstate_is(r, "23505"))
        rc = bk_store_error(err, BK_ESTORE, "token: hash or id already stored");
    PQclear(r);
    return rc;
}

static int pg_token_get(bk_store *self, const unsigned char hash[32], const bk_store_sink *sink,
                        bk_store_err *err)
{
    char hex[65];
    if (!hash)
        return bk_store_error(err, BK_EINVAL, "hash: NULL");
    hash_hex(hex, hash);
    const char *v[1] = {hex};
    PGresult *r;
    int rc = run(store_of(self), 0, "token get", ST_TOKEN_GET, 1, v, &r, err);
    if (rc == BK_OK && PQntuples(r) == 0)
        rc = bk_store_error(err, BK_ENOTFOUND, "token: not found");
    else if (rc == BK_OK && sink && sink->token) {
        bk_store_token t;
        memset(&t, 0, sizeof t);
        t.version = 1;
        t.id = idval(r, 0, 0);
        t.booking = idval(r, 0, 1);
        t.provider = idval(r, 0, 2);
        const char *a = val(r, 0, 3);
        for (int k = BK_TOKEN_CONFIRM; k <= BK_TOKEN_RESCHEDULE; k++)
            if (a && strcmp(a, token_action_name((bk_token_action)k)) == 0)
                t.action = (bk_token_action)k;
        memcpy(t.hash, hash, 32);
        t.expires_at = tval(r, 0, 4);
        t.used_at = tval(r, 0, 5);
        t.created_at = tval(r, 0, 6);
        rc = sink->token(sink->ctx, &t);
    }
    PQclear(r);
    return rc;
}

/* bk_redeem_token's answers (pg_schema.c, migration 3). */
enum { REDEEM_OK, REDEEM_NO_TOKEN, REDEEM_USED, REDEEM_EXPIRED, REDEEM_NO_UPDATE };

static int pg_token_redeem(bk_store *self, const unsigned char hash[32], bk_time now, const bk_booking *b,
                           const char *email_key, int64_t expected, bk_store_err *err)
{
    struct pg_store *s = store_of(self);
    if (!hash || !b)
        return bk_store_error(err, BK_EINVAL, "%s: NULL", hash ? "booking" : "hash");
    struct booking_params p;
    char hex[65], nowb[24], ex[24];
    if (!id_param(p.id, &b->id))
        return not_found(err, "booking");
    int rc = booking_params(b, email_key, &p, err);
    if (rc)
        return rc;
    const char *v[25];
    hash_hex(hex, hash);
    v[0] = hex;
    if ((rc = time_param(nowb, now, "now", &v[1], err)))
        return rc;
    update_values(&p, int_param(ex, expected), v + 2);
    PGresult *r;
    rc = run(s, 1, "token redeem", ST_TOKEN_REDEEM, 25, v, &r, err);
    if (rc != BK_OK)
        return booking_update_error(s, &p, r, rc, err);
    int64_t answer = num(r, 0, 0);
    PQclear(r);
    switch (answer) {
    case REDEEM_OK: return BK_OK;
    case REDEEM_NO_TOKEN: return bk_store_error(err, BK_ENOTFOUND, "token: not found");
    case REDEEM_USED: return bk_store_error(err, BK_EUSED, "token: already used");
    case REDEEM_EXPIRED: return bk_store_error(err, BK_EEXPIRED, "token: expired");
    default: return booking_update_miss(s, &p, expected, err);
    }
}

static int pg_booking_find_by_email(bk_store *self, const char *email_key, const bk_store_sink *sink,
                                    bk_store_err *err)
{
    const char *v[1] = {email_key};
    if (!email_key)
        return bk_store_error(err, BK_EINVAL, "email_key: NULL");
    PGresult *r;
    int rc = run(store_of(self), 0, "bookings by email", ST_BOOKING_BY_EMAIL, 1, v, &r, err);
    for (int i = 0; rc == BK_OK && i < PQntuples(r); i++)
        rc = emit_booking(sink, 0, r, i, 0);
    PQclear(r);
    return rc;
}

static int pg_bookings_erase(bk_store *self, const char *email_key, bk_time ended_before, bk_time now, size_t *n,
                             bk_store_err *err)
{
    char t[2][24];
    const char *v[3] = {email_key, NULL, NULL};
    if (!n)
        return bk_store_error(err, BK_EINVAL, "n: NULL");
    *n = 0;
    if (ended_before != BK_TIME_UNSET)
        v[1] = bound_param(t[0], ended_before);
    int rc = time_param(t[1], now, "now", &v[2], err);
    int64_t count = 0;
    if (rc == BK_OK && (rc = run_count(store_of(self), 1, "erase", ST_BOOKINGS_ERASE, 3, v, &count, err)) == BK_OK)
        *n = (size_t)count;
    return rc;
}

static int pg_booking_archive(bk_store *self, bk_time ended_before, size_t limit, bk_time now, size_t *n_moved,
                              bk_store_err *err)
{
    char t[2][24], lim[24];
    const char *v[3];
    if (!n_moved)
        return bk_store_error(err, BK_EINVAL, "n_moved: NULL");
    *n_moved = 0;
    v[0] = bound_param(t[0], ended_before);
    v[1] = int_param(lim, (int64_t)(limit > 1000000 ? 1000000 : limit));
    int rc = time_param(t[1], now, "now", &v[2], err);
    int64_t count = 0;
    if (rc == BK_OK && (rc = run_count(store_of(self), 1, "archive", ST_BOOKING_ARCHIVE, 3, v, &count, err)) == BK_OK)
        *n_moved = (size_t)count;
    return rc;
}

static const bk_store pg_methods = {
    .version = BK_STORE_VERSION,
    .name = "postgresql",
    .close = pg_close,
    .provider_insert = pg_provider_insert,
    .provider_update = pg_provider_update,
    .provider_get = pg_provider_get,
    .provider_list = pg_provider_list,
    .service_insert = pg_service_insert,
    .service_update = pg_service_update,
    .service_get = pg_service_get,
    .service_list = pg_service_list,
    .availability_insert = pg_availability_insert,
    .availability_delete = pg_availability_delete,
    .availability_list = pg_availability_list,
    .override_put = pg_override_put,
    .override_delete = pg_override_delete,
    .override_list = pg_override_list,
    .blocked_insert = pg_blocked_insert,
    .blocked_delete = pg_blocked_delete,
    .blocked_list = pg_blocked_list,
    .booking_insert = pg_booking_insert,
    .booking_get = pg_booking_get,
    .booking_list = pg_booking_list,
    .booking_update = pg_booking_update,
    .schedule_load = pg_schedule_load,
    .provider_set_deleted = pg_provider_set_deleted,
    .provider_purge = pg_provider_purge,
    .provider_password_set = pg_provider_password_set,
    .provider_login = pg_provider_login,
    .token_insert = pg_token_insert,
    .token_get = pg_token_get,
    .token_redeem = pg_token_redeem,
    .booking_find_by_email = pg_booking_find_by_email,
    .bookings_erase = pg_bookings_erase,
    .booking_archive = pg_booking_archive,
};

int pg_store_open(const char *conninfo, const bk_open_options *options, bk_store **out, bk_store_err *err)
{
    if (!out)
        return bk_store_error(err, BK_EINVAL, "out: NULL");
    *out = NULL;
    if (!conninfo)
        return bk_store_error(err, BK_EINVAL, "uri: NULL");
    bk_open_options defaults = BK_OPEN_OPTIONS_INIT;
    if (!options)
        options = &defaults;
    const char *schema = options->schema ? options->schema : "public";
    if (!schema_name_ok(schema))
        return bk_store_error(err, BK_EINVAL,
                              "options.schema: not 1-63 bytes of [a-z0-9_] starting with a letter or '_'");
    struct pg_store *s = bki_calloc(1, sizeof *s);
    if (!s)
        return oom(err);
    s->base = pg_methods;
    s->rng = (uint64_t)(uintptr_t)s ^ ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15u;
    int rc = pg_connect(s, conninfo, err);
    if (rc == BK_OK && !(s->schema = bki_strdup(schema)))
        rc = oom(err);
    if (rc == BK_OK) {
        char *q = PQescapeIdentifier(s->conn, schema, strlen(schema));
        if (q) {
            s->schema_q = bki_strdup(q);
            PQfreemem(q);
        }
        if (!s->schema_q || build_statements(s) != 0)
            rc = oom(err);
    }
    if (rc == BK_OK)
        rc = schema_ready(s, options, err);
    if (rc != BK_OK) {
        pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return BK_OK;
}
