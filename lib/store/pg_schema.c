/* The PostgreSQL schema and its migrations.
 *
 * Migrations are an ordered list; migration N moves a schema from version
 * N-1 to N and is applied in its own transaction under the schema's
 * advisory lock (postgres.c), which then records N in
 * <schema>.booking_schema_version.  A migration is never edited once
 * released: a change to the schema is a new migration appended here.
 *
 * Table names are written "@.name" and expanded to the quoted schema: no
 * statement depends on search_path, so the library works through a
 * transaction-pooling PgBouncer and next to other software's sessions.
 */
#include "store/pg_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

/* ------------------------------------------------------------------ */
/* Text builder                                                        */
/* ------------------------------------------------------------------ */

static int sb_reserve(pg_sb *b, size_t extra)
{
    if (b->failed)
        return -1;
    void *s = b->s;
    if (bki_grow(&s, &b->cap, b->n + extra + 1, 1) != 0) {
        b->failed = 1;
        return -1;
    }
    b->s = s;
    return 0;
}

static void sb_addn(pg_sb *b, const char *text, size_t len)
{
    if (sb_reserve(b, len) != 0)
        return;
    memcpy(b->s + b->n, text, len);
    b->n += len;
    b->s[b->n] = '\0';
}

void pg_sb_add(pg_sb *b, const char *text) { sb_addn(b, text, strlen(text)); }

void pg_sb_add_schema(pg_sb *b, const char *text, const char *schema_q)
{
    const char *at;
    while ((at = strstr(text, "@.")) != NULL) {
        sb_addn(b, text, (size_t)(at - text));
        pg_sb_add(b, schema_q);
        sb_addn(b, ".", 1);
        text = at + 2;
    }
    pg_sb_add(b, text);
}

void pg_sb_addf(pg_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) {
        b->failed = 1;
        return;
    }
    if (sb_reserve(b, (size_t)len) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

char *pg_sb_take(pg_sb *b)
{
    char *s = b->failed ? NULL : b->s;
    if (b->failed)
        bki_free(b->s);
    memset(b, 0, sizeof *b);
    return s;
}

/* ------------------------------------------------------------------ */
/* Migration 1: the initial schema                                     */
/* ------------------------------------------------------------------ */

/* btree_gist gives uuid a GiST operator class, which the no-overlap
 * exclusion constraint needs.  The default operator class of a type is
 * found by type and access method, whatever the search_path, so the
 * constraint works wherever the extension lives.  It goes to "public" when
 * this role may create there, else to the library's schema: an extension
 * living in a schema that is later dropped with CASCADE would take every
 * other schema's exclusion constraint with it, and test setups drop their
 * schemas freely. */
static const char ext_sql[] =
    "DO $bk$ BEGIN\n"
    "  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'btree_gist') THEN\n"
    "    IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public') THEN\n"
    "      IF has_schema_privilege('public', 'CREATE') THEN\n"
    "        CREATE EXTENSION btree_gist WITH SCHEMA public;\n"
    "      END IF;\n"
    "    END IF;\n"
    "  END IF;\n"
    "  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'btree_gist') THEN\n"
    "    CREATE EXTENSION btree_gist WITH SCHEMA ";
static const char ext_sql_end[] = ";\n"
    "  END IF;\n"
    "END $bk$;\n";

/* Times are timestamptz (UTC instants), civil dates are date, ids uuid.
 * Text columns carry no length limits: the library validates lengths, and
 * a limit here would only turn a future relaxation into a migration. */
static const char tables_sql[] =
    "CREATE TABLE @.providers (\n"
    "  id uuid PRIMARY KEY,\n"
    "  username text NOT NULL,\n"
    "  username_key text NOT NULL,\n"
    "  email text NOT NULL,\n"
    "  email_key text NOT NULL,\n"
    "  full_name text NOT NULL,\n"
    "  timezone text NOT NULL,\n"
    "  business_name text,\n"
    "  description text,\n"
    "  avatar_url text,\n"
    "  created_at timestamptz NOT NULL,\n"
    "  updated_at timestamptz NOT NULL,\n"
    "  CONSTRAINT providers_username_key_uq UNIQUE (username_key),\n"
    "  CONSTRAINT providers_email_key_uq UNIQUE (email_key)\n"
    ");\n"
    /* (provider_id, id) is unique so that bookings can reference it: a
     * booking's service must be one of its provider's, which the database
     * then enforces, and the index serves "a provider's services". */
    "CREATE TABLE @.services (\n"
    "  id uuid PRIMARY KEY,\n"
    "  provider_id uuid NOT NULL REFERENCES @.providers (id) ON DELETE CASCADE,\n"
    "  name text NOT NULL,\n"
    "  description text,\n"
    "  duration_minutes int NOT NULL,\n"
    "  buffer_before_minutes int NOT NULL,\n"
    "  buffer_after_minutes int NOT NULL,\n"
    "  slot_step_minutes int NOT NULL,\n"
    "  min_notice_minutes int NOT NULL,\n"
    "  horizon_days int NOT NULL,\n"
    "  price_minor bigint NOT NULL,\n"
    "  currency char(3) NOT NULL,\n"
    "  active boolean NOT NULL,\n"
    "  display_order int NOT NULL,\n"
    "  requires_confirmation boolean NOT NULL,\n"
    "  created_at timestamptz NOT NULL,\n"
    "  updated_at timestamptz NOT NULL,\n"
    "  CONSTRAINT services_provider_id_uq UNIQUE (provider_id, id)\n"
    ");\n"
    "CREATE TABLE @.availability (\n"
    "  id uuid PRIMARY KEY,\n"
    "  provider_id uuid NOT NULL REFERENCES @.providers (id) ON DELETE CASCADE,\n"
    "  weekday smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),\n"
    "  start_minute smallint NOT NULL,\n"
    "  end_minute smallint NOT NULL,\n"
    "  is_available boolean NOT NULL,\n"
    "  CHECK (0 <= start_minute AND start_minute < end_minute AND end_minute <= 1440)\n"
    ");\n"
    "CREATE INDEX availability_provider_idx ON @.availability (provider_id);\n"
    /* n_intervals is the truth about how many interval rows belong to the
     * override: a put rewrites rows 1..n with upserts and the override row
     * under its row lock, so two concurrent puts of one date end as one of
     * them, never as a mix (rows past n are leftovers a later put
     * removes, and every reader ignores them). */
    "CREATE TABLE @.date_overrides (\n"
    "  provider_id uuid NOT NULL REFERENCES @.providers (id) ON DELETE CASCADE,\n"
    "  day date NOT NULL,\n"
    "  n_intervals smallint NOT NULL CHECK (n_intervals >= 0),\n"
    "  PRIMARY KEY (provider_id, day)\n"
    ");\n"
    "CREATE TABLE @.override_intervals (\n"
    "  provider_id uuid NOT NULL,\n"
    "  day date NOT NULL,\n"
    "  ord smallint NOT NULL CHECK (ord >= 1),\n"
    "  start_minute smallint NOT NULL,\n"
    "  end_minute smallint NOT NULL,\n"
    "  PRIMARY KEY (provider_id, day, ord),\n"
    "  FOREIGN KEY (provider_id, day) REFERENCES @.date_overrides (provider_id, day) ON DELETE CASCADE,\n"
    "  CHECK (0 <= start_minute AND start_minute < end_minute AND end_minute <= 1440)\n"
    ");\n"
    "CREATE TABLE @.blocked_periods (\n"
    "  id uuid PRIMARY KEY,\n"
    "  provider_id uuid NOT NULL REFERENCES @.providers (id) ON DELETE CASCADE,\n"
    "  start_time timestamptz NOT NULL,\n"
    "  end_time timestamptz NOT NULL,\n"
    "  rrule text,\n"
    "  reason text,\n"
    "  CHECK (end_time > start_time)\n"
    ");\n"
    /* Overlap queries go through the GiST index (which also serves the
     * provider's cascade); recurring periods, which the library expands
     * itself and so reads from their first start on, through a partial
     * btree that holds only them: with all periods in it, that read walked
     * the provider's whole history of one-off periods (EXPLAIN, 30k
     * periods). */
    "CREATE INDEX blocked_periods_provider_range_idx ON @.blocked_periods\n"
    "  USING gist (provider_id, tstzrange(start_time, end_time, '[)'));\n"
    "CREATE INDEX blocked_periods_recurring_idx ON @.blocked_periods (provider_id, start_time)\n"
    "  WHERE rrule <> '';\n";

/* The columns of bookings, shared by both layouts. */
static const char booking_columns[] =
    "  id uuid NOT NULL,\n"
    "  provider_id uuid NOT NULL,\n"
    "  service_id uuid NOT NULL,\n"
    "  start_time timestamptz NOT NULL,\n"
    "  end_time timestamptz NOT NULL,\n"
    "  buffer_before_minutes int NOT NULL,\n"
    "  buffer_after_minutes int NOT NULL,\n"
    "  occupied tstzrange NOT NULL,\n"
    "  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed', 'no_show')),\n"
    "  lock_version bigint NOT NULL,\n"
    "  idempotency_key text,\n"
    "  customer_name text NOT NULL,\n"
    "  customer_email text NOT NULL,\n"
    "  customer_phone text,\n"
    "  customer_timezone text,\n"
    "  notes text,\n"
    "  cancellation_reason text,\n"
    "  created_at timestamptz NOT NULL,\n"
    "  updated_at timestamptz NOT NULL,\n"
    "  confirmed_at timestamptz,\n"
    "  cancelled_at timestamptz,\n"
    "  CHECK (end_time > start_time),\n"
    /* One foreign key instead of two (provider, service): a booking's
     * service must belong to its provider, and deleting a provider reaches
     * its bookings through its services.  One check per insert, too. */
    "  CONSTRAINT bookings_service_fk FOREIGN KEY (provider_id, service_id)\n"
    "    REFERENCES @.services (provider_id, id) ON DELETE CASCADE,\n"
    "  CONSTRAINT bookings_idempotency_uq UNIQUE (provider_id, idempotency_key),\n";

/* DESIGN.md section 4: the database itself refuses overlapping live
 * bookings of a provider. */
#define NO_OVERLAP "EXCLUDE USING gist (provider_id WITH =, occupied WITH &&) WHERE (status <> 'cancelled')"

/* For booking_list ("overlapping [from, to)"): end_time leads, so that
 * the index range is the bookings ending after `from` (for the usual
 * windows, now and ahead: bounded by the booking horizon), with start_time
 * checked inside the index.  On (provider_id, start_time) the range was
 * every booking starting before `to`, the provider's whole history: 456
 * heap pages read for 84 rows in a week of a provider with 1000 bookings,
 * against 84 with this index (EXPLAIN, 100k bookings, 100 providers).  The
 * schedule read uses the exclusion constraint's GiST index instead. */
#define BOOKINGS_LIST_INDEX "CREATE INDEX bookings_provider_end_idx ON @.bookings (provider_id, end_time, start_time);\n"

static void add_bookings(pg_sb *b, const char *schema_q, int partitions)
{
    pg_sb_add_schema(b, "CREATE TABLE @.bookings (\n", schema_q);
    pg_sb_add_schema(b, booking_columns, schema_q);
    if (partitions < 2) {
        pg_sb_add(b, "  CONSTRAINT bookings_pkey PRIMARY KEY (id),\n"
                     "  CONSTRAINT bookings_no_overlap " NO_OVERLAP "\n);\n");
        pg_sb_add_schema(b, BOOKINGS_LIST_INDEX, schema_q);
        pg_sb_add_schema(b,
                         "CREATE TABLE @.booking_tokens (\n"
                         "  id uuid PRIMARY KEY,\n"
                         "  booking_id uuid NOT NULL REFERENCES @.bookings (id) ON DELETE CASCADE,\n",
                         schema_q);
    } else {
        /* PostgreSQL 15 cannot put an exclusion constraint on a
         * partitioned table; hashing by provider puts all of a provider's
         * bookings in one partition, where each partition's own constraint
         * sees them all (POSTGRES-NOTES.md).  The primary key must contain
         * the partition key; lookups by id alone use bookings_id_idx. */
        pg_sb_add(b, "  CONSTRAINT bookings_pkey PRIMARY KEY (provider_id, id)\n"
                     ") PARTITION BY HASH (provider_id);\n");
        pg_sb_add_schema(b, BOOKINGS_LIST_INDEX, schema_q);
        pg_sb_add_schema(b, "CREATE INDEX bookings_id_idx ON @.bookings (id);\n", schema_q);
        for (int i = 0; i < partitions; i++) {
            pg_sb_addf(b, "CREATE TABLE %s.bookings_p%d PARTITION OF %s.bookings FOR VALUES WITH (MODULUS %d, REMAINDER %d);\n",
                       schema_q, i, schema_q, partitions, i);
            pg_sb_addf(b, "ALTER TABLE %s.bookings_p%d ADD CONSTRAINT bookings_p%d_no_overlap " NO_OVERLAP ";\n",
                       schema_q, i, i);
        }
        pg_sb_add_schema(b,
                         "CREATE TABLE @.booking_tokens (\n"
                         "  id uuid PRIMARY KEY,\n"
                         "  booking_id uuid NOT NULL,\n",
                         schema_q);
    }
    /* Tokens (confirm / cancel / reschedule links) keep only a hash of the
     * secret: DESIGN.md section 4. */
    pg_sb_add_schema(b,
                     "  provider_id uuid NOT NULL REFERENCES @.providers (id) ON DELETE CASCADE,\n"
                     "  action text NOT NULL CHECK (action IN ('confirm', 'cancel', 'reschedule')),\n"
                     "  token_hash bytea NOT NULL UNIQUE,\n"
                     "  expires_at timestamptz NOT NULL,\n"
                     "  used_at timestamptz,\n"
                     "  created_at timestamptz NOT NULL\n",
                     schema_q);
    if (partitions >= 2)
        pg_sb_add_schema(b,
                         "  , FOREIGN KEY (provider_id, booking_id) REFERENCES @.bookings (provider_id, id)"
                         " ON DELETE CASCADE\n",
                         schema_q);
    pg_sb_add(b, ");\n");
    pg_sb_add_schema(b, "CREATE INDEX booking_tokens_booking_idx ON @.booking_tokens (booking_id);\n", schema_q);
}

static char *migration_1(const char *schema, const char *schema_q, int partitions)
{
    (void)schema;
    pg_sb b = {0};
    pg_sb_add(&b, ext_sql);
    pg_sb_add(&b, schema_q);
    pg_sb_add(&b, ext_sql_end);
    pg_sb_add_schema(&b, tables_sql, schema_q);
    add_bookings(&b, schema_q, partitions);
    return pg_sb_take(&b);
}

/* ------------------------------------------------------------------ */
/* Migration 2: schedule_load and booking_insert as function calls     */
/* ------------------------------------------------------------------ */

/* schedule_load's reads, one per record kind (store.h's order), as a
 * PL/pgSQL function.  The point is the server's plan cache: the unnamed
 * statements a transaction-pooling PgBouncer allows are parsed and planned
 * on every call (~1 ms a schedule_load for six of them against ~0.03 ms
 * for SELECT 1), while a PL/pgSQL function keeps its statements' plans for
 * the life of the server process, whichever client calls it.  The call
 * itself is one trivial statement.  plan_cache_mode pins the generic plans
 * (auto kept re-planning some statements on every call); search_path is
 * pinned so that those plans never depend on the caller's session.
 *
 * One row per record, typed columns shared by the kinds (postgres.c reads
 * them in binary: no text conversion on either side):
 *   k      1 provider, 2 service, 3 availability, 4 override interval,
 *          5 blocked period, 6 booking, 7 the booking holding the key
 *   u1-u3  uuid      t1-t6  timestamptz     i1-i9  int
 *   n1     bigint    d1     date            s1-s8  text
 * The mapping of each kind is in the SELECT lists below.  Bookings and
 * blocked periods come unsorted (a sort of the wide rows was a third of the
 * function's time); the client sorts them, by (lower(occupied), id) and
 * (start_time, id), before it emits them.  The statements of one call share
 * one snapshot (the function is STABLE).
 *
 * Both functions run with the caller's rights (SECURITY INVOKER): a role
 * that uses an existing schema needs EXECUTE on them, which PostgreSQL
 * grants to PUBLIC unless default privileges say otherwise, besides its
 * rights on the tables. */
static const char schedule_fn_sql[] =
    "CREATE FUNCTION @.bk_schedule(p_provider uuid, p_service uuid, p_from timestamptz, p_to timestamptz,\n"
    "    p_first date, p_last date, p_key text)\n"
    "  RETURNS TABLE (k smallint, u1 uuid, u2 uuid, u3 uuid,\n"
    "    t1 timestamptz, t2 timestamptz, t3 timestamptz, t4 timestamptz, t5 timestamptz, t6 timestamptz,\n"
    "    i1 int, i2 int, i3 int, i4 int, i5 int, i6 int, i7 int, i8 int, i9 int, n1 bigint, d1 date,\n"
    "    s1 text, s2 text, s3 text, s4 text, s5 text, s6 text, s7 text, s8 text)\n"
    "  LANGUAGE plpgsql STABLE\n"
    "  SET search_path = pg_catalog, pg_temp\n"
    "  SET plan_cache_mode = force_generic_plan\n"
    "AS $bk$\n"
    "#variable_conflict use_column\n"
    "BEGIN\n"
    "  RETURN QUERY SELECT 1::smallint, p.id, NULL::uuid, NULL::uuid,\n"
    "      p.created_at, p.updated_at, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,\n"
    "      NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      NULL::bigint, NULL::date,\n"
    "      p.username, p.email, p.full_name, p.timezone, p.business_name, p.description, p.avatar_url, NULL::text\n"
    "    FROM @.providers p WHERE p.id = p_provider;\n"
    /* By id alone, so that the client tells "no such service" from "a
     * service of another provider". */
    "  RETURN QUERY SELECT 2::smallint, s.id, s.provider_id, NULL::uuid,\n"
    "      s.created_at, s.updated_at, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,\n"
    "      s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes, s.slot_step_minutes,\n"
    "      s.min_notice_minutes, s.horizon_days, s.display_order, s.active::int, s.requires_confirmation::int,\n"
    "      s.price_minor, NULL::date,\n"
    "      s.name, s.description, s.currency::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text\n"
    "    FROM @.services s WHERE s.id = p_service;\n"
    "  RETURN QUERY SELECT 3::smallint, a.id, a.provider_id, NULL::uuid,\n"
    "      NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,\n"
    "      NULL::timestamptz,\n"
    "      a.weekday::int, a.start_minute::int, a.end_minute::int, a.is_available::int, NULL::int, NULL::int,\n"
    "      NULL::int, NULL::int, NULL::int, NULL::bigint, NULL::date,\n"
    "      NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text\n"
    "    FROM @.availability a WHERE a.provider_id = p_provider\n"
    "    ORDER BY a.weekday, a.start_minute, a.end_minute, a.id;\n"
    /* One row per interval 1..n_intervals; a day off is one row of NULL
     * minutes. */
    "  RETURN QUERY SELECT 4::smallint, NULL::uuid, NULL::uuid, NULL::uuid,\n"
    "      NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,\n"
    "      NULL::timestamptz,\n"
    "      i.start_minute::int, i.end_minute::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      NULL::int, NULL::int, NULL::bigint, o.day,\n"
    "      NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text\n"
    "    FROM @.date_overrides o\n"
    "    LEFT JOIN @.override_intervals i ON i.provider_id = o.provider_id AND i.day = o.day\n"
    "      AND i.ord <= o.n_intervals\n"
    "    WHERE o.provider_id = p_provider AND o.day BETWEEN p_first AND p_last\n"
    "    ORDER BY o.day, i.ord;\n"
    /* One-off periods overlapping the window (the GiST index), recurring
     * ones starting before its end (the partial index; the library expands
     * those). */
    "  RETURN QUERY SELECT 5::smallint, x.id, x.provider_id, NULL::uuid,\n"
    "      x.start_time, x.end_time, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,\n"
    "      NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      NULL::bigint, NULL::date,\n"
    "      x.rrule, x.reason, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text\n"
    "    FROM @.blocked_periods x WHERE x.provider_id = p_provider AND coalesce(x.rrule, '') = ''\n"
    "      AND tstzrange(x.start_time, x.end_time, '[)') && tstzrange(p_from, p_to, '[)');\n"
    "  RETURN QUERY SELECT 5::smallint, x.id, x.provider_id, NULL::uuid,\n"
    "      x.start_time, x.end_time, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,\n"
    "      NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      NULL::bigint, NULL::date,\n"
    "      x.rrule, x.reason, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text\n"
    "    FROM @.blocked_periods x WHERE x.provider_id = p_provider AND x.rrule <> ''\n"
    "      AND x.start_time < p_to;\n"
    /* The exclusion constraint's partial GiST index serves this. */
    "  RETURN QUERY SELECT 6::smallint, b.id, b.provider_id, b.service_id,\n"
    "      b.start_time, b.end_time, b.created_at, b.updated_at, b.confirmed_at, b.cancelled_at,\n"
    "      b.buffer_before_minutes, b.buffer_after_minutes, NULL::int, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      NULL::int, NULL::int, b.lock_version, NULL::date,\n"
    "      b.status, b.idempotency_key, b.customer_name, b.customer_email, b.customer_phone, b.customer_timezone,\n"
    "      b.notes, b.cancellation_reason\n"
    "    FROM @.bookings b WHERE b.provider_id = p_provider AND b.status <> 'cancelled'\n"
    "      AND b.occupied && tstzrange(p_from, p_to, '[)');\n"
    "  IF p_key IS NOT NULL THEN\n"
    "    RETURN QUERY SELECT 7::smallint, b.id, b.provider_id, b.service_id,\n"
    "        b.start_time, b.end_time, b.created_at, b.updated_at, b.confirmed_at, b.cancelled_at,\n"
    "        b.buffer_before_minutes, b.buffer_after_minutes, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "        NULL::int, NULL::int, NULL::int, b.lock_version, NULL::date,\n"
    "        b.status, b.idempotency_key, b.customer_name, b.customer_email, b.customer_phone,\n"
    "        b.customer_timezone, b.notes, b.cancellation_reason\n"
    "      FROM @.bookings b WHERE b.provider_id = p_provider AND b.idempotency_key = p_key;\n"
    "  END IF;\n"
    "END\n"
    "$bk$;\n";

/* booking_insert as a function, for the same reason: the INSERT ... ON
 * CONFLICT DO NOTHING with its "why not" reads cost the server ~0.6 ms a
 * call to parse and plan as an unnamed statement, against ~0.3 ms to run.
 * ON CONFLICT DO NOTHING with no target covers the exclusion constraint as
 * well as the unique keys, and does not deadlock against concurrent
 * overlapping inserts (POSTGRES-NOTES.md).  Rows (kind, id):
 *   1 inserted;
 * else, in order of precedence (the key first, as the memory backend
 * checks it first):
 *   2 the provider's booking holding the key,
 *   3 a live booking whose occupied range overlaps,
 *   4 a booking with the same id (a broken random source).
 * The function is VOLATILE, so each of those reads takes a new snapshot
 * (READ COMMITTED) and sees what a concurrent transaction committed after
 * the INSERT's began; finding none is still possible (the row that made
 * the INSERT skip was rolled back or cancelled since), and postgres.c
 * handles it.  Times are epoch seconds; a NULL stays NULL.  Errors (a
 * foreign key, a CHECK) are the INSERT's own, as from a plain statement. */
static const char insert_fn_sql[] =
    "CREATE FUNCTION @.bk_insert_booking(p_id uuid, p_provider uuid, p_service uuid, p_start bigint,\n"
    "    p_end bigint, p_buffer_before int, p_buffer_after int, p_occupied_from bigint, p_occupied_to bigint,\n"
    "    p_status text, p_lock_version bigint, p_key text, p_customer_name text, p_customer_email text,\n"
    "    p_customer_phone text, p_customer_timezone text, p_notes text, p_cancellation_reason text,\n"
    "    p_created bigint, p_updated bigint, p_confirmed bigint, p_cancelled bigint)\n"
    "  RETURNS TABLE (k int, id uuid)\n"
    "  LANGUAGE plpgsql VOLATILE\n"
    "  SET search_path = pg_catalog, pg_temp\n"
    "  SET plan_cache_mode = force_generic_plan\n"
    "AS $bk$\n"
    "#variable_conflict use_column\n"
    "BEGIN\n"
    "  INSERT INTO @.bookings (id, provider_id, service_id, start_time, end_time, buffer_before_minutes,\n"
    "      buffer_after_minutes, occupied, status, lock_version, idempotency_key, customer_name, customer_email,\n"
    "      customer_phone, customer_timezone, notes, cancellation_reason, created_at, updated_at, confirmed_at,\n"
    "      cancelled_at)\n"
    "    VALUES (p_id, p_provider, p_service, to_timestamp(p_start), to_timestamp(p_end), p_buffer_before,\n"
    "      p_buffer_after, tstzrange(to_timestamp(p_occupied_from), to_timestamp(p_occupied_to), '[)'),\n"
    "      p_status, p_lock_version, p_key, p_customer_name, p_customer_email, p_customer_phone,\n"
    "      p_customer_timezone, p_notes, p_cancellation_reason, to_timestamp(p_created),\n"
    "      to_timestamp(p_updated), to_timestamp(p_confirmed), to_timestamp(p_cancelled))\n"
    "    ON CONFLICT DO NOTHING;\n"
    "  IF FOUND THEN\n"
    "    RETURN QUERY SELECT 1, p_id;\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  RETURN QUERY SELECT 2, b.id FROM @.bookings b\n"
    "    WHERE b.provider_id = p_provider AND b.idempotency_key = p_key;\n"
    "  IF p_status <> 'cancelled' THEN\n"
    "    RETURN QUERY SELECT 3, b.id FROM @.bookings b\n"
    "      WHERE b.provider_id = p_provider AND b.status <> 'cancelled'\n"
    "        AND b.occupied && tstzrange(to_timestamp(p_occupied_from), to_timestamp(p_occupied_to), '[)')\n"
    "      LIMIT 1;\n"
    "  END IF;\n"
    "  RETURN QUERY SELECT 4, b.id FROM @.bookings b WHERE b.id = p_id;\n"
    "END\n"
    "$bk$;\n";

static char *migration_2(const char *schema, const char *schema_q, int partitions)
{
    (void)schema;
    (void)partitions;
    pg_sb b = {0};
    pg_sb_add_schema(&b, schedule_fn_sql, schema_q);
    pg_sb_add_schema(&b, insert_fn_sql, schema_q);
    return pg_sb_take(&b);
}

/* ------------------------------------------------------------------ */
/* Migration 3: credentials, soft delete, customer data, archive       */
/* ------------------------------------------------------------------ */

/* customer_email_key is the library's case-folded NFC form of the email
 * (ICU), which SQL cannot compute: rows of schema 2 get lower() of it,
 * which agrees for every email whose folding is ASCII lower-casing.
 *
 * The archive has the bookings' columns and no exclusion constraint (its
 * bookings are final: none is live).  It keeps the idempotency keys but not
 * their uniqueness: a key is unique among the bookings a retry can still
 * reach, the live table's. */
static const char migration_3_sql[] =
    "ALTER TABLE @.providers ADD COLUMN password_hash text, ADD COLUMN deleted_at timestamptz;\n"
    "CREATE INDEX providers_deleted_idx ON @.providers (deleted_at) WHERE deleted_at IS NOT NULL;\n"
    "ALTER TABLE @.bookings ADD COLUMN customer_email_key text;\n"
    "UPDATE @.bookings SET customer_email_key = lower(customer_email);\n"
    "ALTER TABLE @.bookings ALTER COLUMN customer_email_key SET NOT NULL;\n"
    "CREATE INDEX bookings_customer_email_idx ON @.bookings (customer_email_key);\n"
    "CREATE TABLE @.bookings_archive (LIKE @.bookings INCLUDING DEFAULTS INCLUDING CONSTRAINTS);\n"
    "ALTER TABLE @.bookings_archive ADD COLUMN archived_at timestamptz NOT NULL,\n"
    "  ADD CONSTRAINT bookings_archive_pkey PRIMARY KEY (id),\n"
    "  ADD CONSTRAINT bookings_archive_service_fk FOREIGN KEY (provider_id, service_id)\n"
    "    REFERENCES @.services (provider_id, id) ON DELETE CASCADE;\n"
    "CREATE INDEX bookings_archive_provider_end_idx ON @.bookings_archive (provider_id, end_time, start_time);\n"
    "CREATE INDEX bookings_archive_customer_email_idx ON @.bookings_archive (customer_email_key);\n"
    /* What bk_booking_archive looks for: only final bookings, by end. */
    "CREATE INDEX bookings_final_end_idx ON @.bookings (end_time)\n"
    "  WHERE status IN ('cancelled', 'completed', 'no_show');\n";

/* Redeeming a token: the token row locked, checked, the booking updated
 * as ST_BOOKING_UPDATE does (postgres.c), the token marked used -- one
 * statement, so one transaction: either both change or neither.  Answers:
 * 0 done, 1 no such token (or of another booking), 2 used, 3 expired,
 * 4 the booking was not updated (missing, archived or another version:
 * postgres.c asks which).  A conflict is the exclusion constraint's
 * 23P01, raised as from a plain UPDATE. */
static const char redeem_fn_sql[] =
    "CREATE FUNCTION @.bk_redeem_token(p_hash bytea, p_now bigint, p_id uuid, p_provider uuid, p_service uuid,\n"
    "    p_start bigint, p_end bigint, p_buffer_before int, p_buffer_after int, p_occupied_from bigint,\n"
    "    p_occupied_to bigint, p_status text, p_lock_version bigint, p_key text, p_customer_name text,\n"
    "    p_customer_email text, p_customer_phone text, p_customer_timezone text, p_notes text,\n"
    "    p_cancellation_reason text, p_updated bigint, p_confirmed bigint, p_cancelled bigint,\n"
    "    p_expected bigint, p_email_key text)\n"
    "  RETURNS int\n"
    "  LANGUAGE plpgsql VOLATILE\n"
    "  SET search_path = pg_catalog, pg_temp\n"
    "AS $bk$\n"
    "DECLARE\n"
    "  t record;\n"
    "BEGIN\n"
    "  SELECT k.id, k.booking_id, k.used_at, k.expires_at INTO t FROM @.booking_tokens k\n"
    "    WHERE k.token_hash = p_hash FOR UPDATE;\n"
    "  IF NOT FOUND OR t.booking_id <> p_id THEN RETURN 1; END IF;\n"
    "  IF t.used_at IS NOT NULL THEN RETURN 2; END IF;\n"
    "  IF t.expires_at <= to_timestamp(p_now) THEN RETURN 3; END IF;\n"
    "  UPDATE @.bookings SET service_id = p_service, start_time = to_timestamp(p_start),\n"
    "      end_time = to_timestamp(p_end), buffer_before_minutes = p_buffer_before,\n"
    "      buffer_after_minutes = p_buffer_after,\n"
    "      occupied = tstzrange(to_timestamp(p_occupied_from), to_timestamp(p_occupied_to), '[)'),\n"
    "      status = p_status, lock_version = p_lock_version, idempotency_key = p_key,\n"
    "      customer_name = p_customer_name, customer_email = p_customer_email,\n"
    "      customer_phone = p_customer_phone, customer_timezone = p_customer_timezone, notes = p_notes,\n"
    "      cancellation_reason = p_cancellation_reason, updated_at = to_timestamp(p_updated),\n"
    "      confirmed_at = to_timestamp(p_confirmed), cancelled_at = to_timestamp(p_cancelled),\n"
    "      customer_email_key = p_email_key\n"
    "    WHERE id = p_id AND provider_id = p_provider AND lock_version = p_expected;\n"
    "  IF NOT FOUND THEN RETURN 4; END IF;\n"
    "  UPDATE @.booking_tokens SET used_at = to_timestamp(p_now) WHERE id = t.id;\n"
    "  RETURN 0;\n"
    "END\n"
    "$bk$;\n";

/* Appends text with each `from` replaced by its `to`; every `from` must
 * occur, so that a migration built from an older one's text cannot
 * silently miss its change. */
static int add_replaced(pg_sb *b, const char *text, const char *schema_q, const char *const (*pairs)[2], size_t n)
{
    char *cur = bki_strdup(text);
    for (size_t i = 0; i < n && cur; i++) {
        const char *at = strstr(cur, pairs[i][0]);
        pg_sb u = {0};
        if (at) {
            sb_addn(&u, cur, (size_t)(at - cur));
            pg_sb_add(&u, pairs[i][1]);
            pg_sb_add(&u, at + strlen(pairs[i][0]));
        }
        bki_free(cur);
        cur = at ? pg_sb_take(&u) : NULL;
    }
    if (!cur)
        return -1;
    pg_sb_add_schema(b, cur, schema_q);
    bki_free(cur);
    return 0;
}

static char *migration_3(const char *schema, const char *schema_q, int partitions)
{
    (void)schema;
    (void)partitions;
    pg_sb b = {0};
    pg_sb_add_schema(&b, migration_3_sql, schema_q);
    /* bk_schedule: a soft-deleted provider has no schedule. */
    static const char *const schedule_changes[][2] = {
        {"CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"},
        {"FROM @.providers p WHERE p.id = p_provider;", "FROM @.providers p WHERE p.id = p_provider AND p.deleted_at IS NULL;"},
    };
    /* bk_insert_booking: stores the customer's email key. */
    static const char *const insert_changes[][2] = {
        {"p_cancelled bigint)", "p_cancelled bigint, p_email_key text)"},
        {"      cancelled_at)\n", "      cancelled_at, customer_email_key)\n"},
        {"to_timestamp(p_cancelled))\n", "to_timestamp(p_cancelled), p_email_key)\n"},
    };
    pg_sb_add_schema(&b,
                     "DROP FUNCTION @.bk_insert_booking(uuid, uuid, uuid, bigint, bigint, int, int, bigint, bigint,"
                     " text, bigint, text, text, text, text, text, text, text, bigint, bigint, bigint, bigint);\n",
                     schema_q);
    if (add_replaced(&b, schedule_fn_sql, schema_q, schedule_changes, 2) != 0 ||
        add_replaced(&b, insert_fn_sql, schema_q, insert_changes, 3) != 0) {
        bki_free(pg_sb_take(&b));
        return NULL;
    }
    pg_sb_add_schema(&b, redeem_fn_sql, schema_q);
    return pg_sb_take(&b);
}

/* ------------------------------------------------------------------ */
/* Migration 4: a narrow schedule read; booking moves serialised       */
/* ------------------------------------------------------------------ */

/* bk_schedule's 29 columns cost more than its reads: a month of 200
 * bookings was ~250 rows of ~240 bytes (61 kB), each booking row carrying
 * 22 NULLs or customer data the slot engine never looks at, and a slot
 * query spent half its time moving them (libpq timings, loopback:
 * 0.67 ms for the call, 0.34 ms for the same call returning five of its
 * columns).  This function returns 11 columns:
 *   k      the kind, as bk_schedule's (1 provider ... 7 keyed booking)
 *   u      the record's id        t1, t2  two timestamptz
 *   i1-i4  four int               s1, s2  two text
 *   w      text[]: the rest of a provider, service or keyed booking (one
 *          row each), NULL for the kinds that come by the hundred
 * and for a booking of kind 6 only what the engine reads (store.h: id,
 * start, end, buffers, status).  The mapping of each kind is in the SELECT
 * lists; numbers and times inside w are decimal text (times as epoch
 * seconds), read once per call.  One UNION ALL statement instead of seven
 * RETURN QUERY, each with its executor start-up and pass through the
 * function's tuplestore: 113-119 us against 128-146 us for an empty day.
 * Rows come in no promised order; postgres.c sorts what needs an order.
 *
 * p_slots_from / p_slots_to (NULL: none) are bk_schedule_request's slot
 * window: with it, one-off blocked periods are read over [slots_from,
 * slots_to + D) and bookings over [slots_from - Bb, slots_to + D + Ba)
 * (the service's duration and buffers, inside [p_from, p_to)), instead of
 * the library's four-day margins: a booking then reads its neighbours, not
 * four days of a busy provider's bookings (~2300 rows at 5-minute slots).
 *
 * bk_schedule stays for libraries of schema 2 and 3 ("migrations only
 * add"). */
static const char schedule_narrow_fn_sql[] =
    "CREATE FUNCTION @.bk_schedule_narrow(p_provider uuid, p_service uuid, p_from timestamptz,\n"
    "    p_to timestamptz, p_first date, p_last date, p_key text, p_slots_from timestamptz,\n"
    "    p_slots_to timestamptz)\n"
    "  RETURNS TABLE (k smallint, u uuid, t1 timestamptz, t2 timestamptz, i1 int, i2 int, i3 int, i4 int,\n"
    "    s1 text, s2 text, w text[])\n"
    "  LANGUAGE plpgsql STABLE\n"
    "  SET search_path = pg_catalog, pg_temp\n"
    "  SET plan_cache_mode = force_generic_plan\n"
    "AS $bk$\n"
    "#variable_conflict use_column\n"
    "BEGIN\n"
    "  RETURN QUERY\n"
    "  SELECT 1::smallint, p.id, p.created_at, p.updated_at, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      NULL::text, NULL::text,\n"
    "      ARRAY[p.username, p.email, p.full_name, p.timezone, p.business_name, p.description, p.avatar_url]\n"
    "    FROM @.providers p WHERE p.id = p_provider AND p.deleted_at IS NULL\n"
    /* By id alone, so that the client tells "no such service" from "a
     * service of another provider". */
    "  UNION ALL\n"
    "  SELECT 2::smallint, s.id, s.created_at, s.updated_at, s.duration_minutes, s.buffer_before_minutes,\n"
    "      s.buffer_after_minutes, s.slot_step_minutes, NULL::text, NULL::text,\n"
    "      ARRAY[s.provider_id::text, s.name, s.description, s.currency::text, s.min_notice_minutes::text,\n"
    "        s.horizon_days::text, s.display_order::text, s.active::int::text,\n"
    "        s.requires_confirmation::int::text, s.price_minor::text]\n"
    "    FROM @.services s WHERE s.id = p_service\n"
    "  UNION ALL\n"
    "  SELECT 3::smallint, a.id, NULL::timestamptz, NULL::timestamptz, a.weekday::int, a.start_minute::int,\n"
    "      a.end_minute::int, a.is_available::int, NULL::text, NULL::text, NULL::text[]\n"
    "    FROM @.availability a WHERE a.provider_id = p_provider\n"
    /* One row per interval 1..n_intervals (i4 its number); a day off is
     * one row of NULL minutes.  i3 is the date as days since 2000-01-01,
     * which is what a binary date is. */
    "  UNION ALL\n"
    "  SELECT 4::smallint, NULL::uuid, NULL::timestamptz, NULL::timestamptz, i.start_minute::int,\n"
    "      i.end_minute::int, o.day - date '2000-01-01', i.ord::int, NULL::text, NULL::text, NULL::text[]\n"
    "    FROM @.date_overrides o\n"
    "    LEFT JOIN @.override_intervals i ON i.provider_id = o.provider_id AND i.day = o.day\n"
    "      AND i.ord <= o.n_intervals\n"
    "    WHERE o.provider_id = p_provider AND o.day BETWEEN p_first AND p_last\n"
    /* One-off periods through the GiST index; recurring ones from the
     * partial index (the library expands them).  The window comes from a
     * scalar subquery on the service: an InitPlan, computed once, whose
     * result the index scan takes as a key.  A join with the service
     * instead let a plan cached while the tables were empty test the
     * window as a join filter, after reading every row of the provider
     * (3000 of them, EXPLAIN through auto_explain). */
    "  UNION ALL\n"
    "  SELECT 5::smallint, x.id, x.start_time, x.end_time, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      x.rrule, x.reason, NULL::text[]\n"
    "    FROM @.blocked_periods x WHERE x.provider_id = p_provider AND coalesce(x.rrule, '') = ''\n"
    "      AND tstzrange(x.start_time, x.end_time, '[)') && (SELECT tstzrange(\n"
    "        greatest(p_from, coalesce(p_slots_from, p_from)),\n"
    "        greatest(p_from, least(p_to, coalesce(p_slots_to + make_interval(mins => s.duration_minutes), p_to))),\n"
    "        '[)') FROM @.services s WHERE s.id = p_service)\n"
    "  UNION ALL\n"
    "  SELECT 5::smallint, x.id, x.start_time, x.end_time, NULL::int, NULL::int, NULL::int, NULL::int,\n"
    "      x.rrule, x.reason, NULL::text[]\n"
    "    FROM @.blocked_periods x WHERE x.provider_id = p_provider AND x.rrule <> '' AND x.start_time < p_to\n"
    /* The exclusion constraint's partial GiST index, keyed likewise. */
    "  UNION ALL\n"
    "  SELECT 6::smallint, b.id, b.start_time, b.end_time, b.buffer_before_minutes, b.buffer_after_minutes,\n"
    "      NULL::int, NULL::int, b.status, NULL::text, NULL::text[]\n"
    "    FROM @.bookings b WHERE b.provider_id = p_provider AND b.status <> 'cancelled'\n"
    "      AND b.occupied && (SELECT tstzrange(\n"
    "        greatest(p_from, coalesce(p_slots_from - make_interval(mins => s.buffer_before_minutes), p_from)),\n"
    "        greatest(p_from, least(p_to, coalesce(p_slots_to\n"
    "          + make_interval(mins => s.duration_minutes + s.buffer_after_minutes), p_to))),\n"
    "        '[)') FROM @.services s WHERE s.id = p_service);\n"
    "  IF p_key IS NOT NULL THEN\n"
    "    RETURN QUERY SELECT 7::smallint, b.id, b.start_time, b.end_time, b.buffer_before_minutes,\n"
    "        b.buffer_after_minutes, NULL::int, NULL::int, b.status, b.idempotency_key,\n"
    "        ARRAY[b.provider_id::text, b.service_id::text, extract(epoch FROM b.created_at)::bigint::text,\n"
    "          extract(epoch FROM b.updated_at)::bigint::text, extract(epoch FROM b.confirmed_at)::bigint::text,\n"
    "          extract(epoch FROM b.cancelled_at)::bigint::text, b.lock_version::text, b.customer_name,\n"
    "          b.customer_email, b.customer_phone, b.customer_timezone, b.notes, b.cancellation_reason]\n"
    "      FROM @.bookings b WHERE b.provider_id = p_provider AND b.idempotency_key = p_key;\n"
    "  END IF;\n"
    "END\n"
    "$bk$;\n";

static char *migration_4(const char *schema, const char *schema_q, int partitions)
{
    (void)schema;
    (void)partitions;
    pg_sb b = {0};
    pg_sb_add_schema(&b, schedule_narrow_fn_sql, schema_q);
    /* A token's move takes the provider's row lock first, as a plain
     * booking update does (postgres.c, ST_BOOKING_UPDATE): two moves of a
     * provider's bookings whose new ranges overlap otherwise each wait for
     * the other's uncommitted index entry, a deadlock that costs a second
     * of deadlock_timeout before one is retried. */
    static const char *const redeem_changes[][2] = {
        {"CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"},
        {"  IF t.expires_at <= to_timestamp(p_now) THEN RETURN 3; END IF;\n",
         "  IF t.expires_at <= to_timestamp(p_now) THEN RETURN 3; END IF;\n"
         "  PERFORM 1 FROM @.providers WHERE id = p_provider FOR NO KEY UPDATE;\n"},
    };
    if (add_replaced(&b, redeem_fn_sql, schema_q, redeem_changes, 2) != 0) {
        bki_free(pg_sb_take(&b));
        return NULL;
    }
    return pg_sb_take(&b);
}

typedef char *(*migration_fn)(const char *schema, const char *schema_q, int partitions);

static const migration_fn migrations[] = {migration_1, migration_2, migration_3, migration_4};

int pg_schema_latest(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

char *pg_schema_migration(int version, const char *schema, const char *schema_q, int partitions)
{
    if (version < 1 || version > pg_schema_latest())
        return NULL;
    return migrations[version - 1](schema, schema_q, partitions);
}

/* Creates nothing that exists already, and checks existence before
 * CREATE: CREATE ... IF NOT EXISTS still demands the CREATE privilege,
 * which a role that only migrates an existing schema may lack.  The schema
 * name is [a-z0-9_] (checked at open), so it is safe inside a literal. */
char *pg_schema_bootstrap(const char *schema, const char *schema_q)
{
    pg_sb b = {0};
    pg_sb_add(&b, "DO $bk$ BEGIN\n");
    pg_sb_addf(&b, "  IF to_regclass('%s.booking_schema_version') IS NULL THEN\n", schema_q);
    pg_sb_addf(&b, "    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = '%s') THEN\n", schema);
    pg_sb_addf(&b, "      CREATE SCHEMA %s;\n", schema_q);
    pg_sb_add(&b, "    END IF;\n");
    pg_sb_addf(&b, "    CREATE TABLE %s.booking_schema_version (version int PRIMARY KEY,"
                   " applied_at timestamptz NOT NULL DEFAULT now());\n",
               schema_q);
    pg_sb_add(&b, "  END IF;\nEND $bk$");
    return pg_sb_take(&b);
}

/* FNV-1a over a fixed prefix and the name: stable across processes,
 * builds and machines (unlike hashtext, whose results PostgreSQL does not
 * promise to keep across versions). */
int64_t pg_schema_lock_key(const char *schema)
{
    uint64_t h = 14695981039346656037u;
    const char *parts[] = {"libbooking-migrate:", schema};
    for (size_t k = 0; k < 2; k++)
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
            h ^= *p;
            h *= 1099511628211u;
        }
    return (int64_t)(h & INT64_MAX);
}
