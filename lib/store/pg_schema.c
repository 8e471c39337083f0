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

typedef char *(*migration_fn)(const char *schema, const char *schema_q, int partitions);

static const migration_fn migrations[] = {migration_1};

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
