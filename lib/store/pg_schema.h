/* The PostgreSQL backend's schema: migrations and a small text builder for
 * statement texts.  Internal to lib/store. */
#ifndef BK_STORE_PG_SCHEMA_H
#define BK_STORE_PG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

/* A growing NUL-terminated string (bki_* allocations).  After a failed
 * append `failed` is set and every later append is a no-op, so that a
 * builder can be checked once at the end. */
typedef struct pg_sb {
    char *s;
    size_t n;
    size_t cap;
    int failed;
} pg_sb;

void pg_sb_add(pg_sb *b, const char *text);
/* Appends text with every "@." replaced by `schema_q` and a dot: statement
 * texts name tables as "@.providers" and are expanded once, at open. */
void pg_sb_add_schema(pg_sb *b, const char *text, const char *schema_q);
void pg_sb_addf(pg_sb *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Hands over the string (NULL if any append failed; the buffer is then
 * freed). */
char *pg_sb_take(pg_sb *b);

/* The schema version this library needs (the number of migrations). */
int pg_schema_latest(void);

/* The SQL of migration `version` (1..latest) for the schema quoted as
 * schema_q (a quoted identifier) and named schema (the plain name),
 * several statements for PQexec; bookings are partitioned into
 * `partitions` parts when that migration creates them (0 = not).  NULL on
 * allocation failure; free with bki_free. */
char *pg_schema_migration(int version, const char *schema, const char *schema_q, int partitions);

/* The statement that makes the schema and the version table exist, run
 * under the migration lock before the version is read. */
char *pg_schema_bootstrap(const char *schema, const char *schema_q);

/* The pg_advisory_xact_lock key that serialises migrations of one schema:
 * fixed for a schema name, so that every process agrees on it. */
int64_t pg_schema_lock_key(const char *schema);

#endif
