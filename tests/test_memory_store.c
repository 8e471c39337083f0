/* The in-memory backend, driven through its bk_store vtable (no lib/api):
 * what it stores, the order it reads back in, its uniqueness, overlap and
 * idempotency guarantees, shared and private stores, and a race. */
#include <check.h>
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "store/memory.h"
#include "store/store_err.h"

/* 2025-06-16T00:00:00Z, a Monday. */
#define T0 ((bk_time)1750032000)
#define MIN ((bk_time)60)
#define HOUR ((bk_time)3600)
#define DAY ((bk_time)86400)

/* Record kinds in ids, so a mixed-up id shows which kind it came from. */
enum { K_PROV = 1, K_SVC = 2, K_AVAIL = 3, K_BLOCKED = 4, K_BOOK = 5 };

static bk_id mkid(unsigned kind, unsigned n)
{
    bk_id id;
    memset(&id, 0, sizeof id);
    snprintf(id.s, sizeof id.s, "%08x-0000-4000-8000-%012u", kind, n);
    return id;
}

/* mkid's text, in one of a few static buffers: usable inside check's
 * assertion macros, which keep pointers past the full expression. */
static const char *idstr(unsigned kind, unsigned n)
{
    static bk_id ring[8];
    static unsigned next;
    bk_id *id = &ring[next++ % 8];
    *id = mkid(kind, n);
    return id->s;
}

static const char *nz(const char *s)
{
    return s ? s : "<null>";
}

/* ------------------------------------------------------------------ */
/* Every field of a record as one line, to compare stored with read    */
/* ------------------------------------------------------------------ */

static void fmt_provider(char *buf, size_t size, const bk_provider *p)
{
    snprintf(buf, size, "%s|%s|%s|%s|%s|%s|%s|%s|%lld|%lld", p->id.s, nz(p->username), nz(p->email),
             nz(p->full_name), nz(p->timezone), nz(p->business_name), nz(p->description),
             nz(p->avatar_url), (long long)p->created_at, (long long)p->updated_at);
}

static void fmt_service(char *buf, size_t size, const bk_service *s)
{
    snprintf(buf, size, "%s|%s|%s|%s|%d|%d|%d|%d|%d|%d|%lld|%s|%d|%d|%d|%lld|%lld", s->id.s,
             s->provider.s, nz(s->name), nz(s->description), s->duration_minutes,
             s->buffer_before_minutes, s->buffer_after_minutes, s->slot_step_minutes,
             s->min_notice_minutes, s->horizon_days, (long long)s->price_minor, nz(s->currency),
             s->active, s->display_order, s->requires_confirmation, (long long)s->created_at,
             (long long)s->updated_at);
}

static void fmt_availability(char *buf, size_t size, const bk_availability *a)
{
    snprintf(buf, size, "%s|%s|%d|%d|%d|%d", a->id.s, a->provider.s, a->weekday, a->start_minute,
             a->end_minute, a->is_available);
}

static void fmt_override(char *buf, size_t size, const bk_override *o)
{
    int len = snprintf(buf, size, "%s|%04d-%02d-%02d|", o->provider.s, o->date.year, o->date.month,
                       o->date.day);
    for (size_t i = 0; i < o->n_intervals && len > 0 && (size_t)len < size; i++)
        len += snprintf(buf + len, size - (size_t)len, "[%d,%d)", o->intervals[i].start_minute,
                        o->intervals[i].end_minute);
}

static void fmt_blocked(char *buf, size_t size, const bk_blocked *b)
{
    snprintf(buf, size, "%s|%s|%lld|%lld|%s|%s", b->id.s, b->provider.s, (long long)b->start,
             (long long)b->end, nz(b->rrule), nz(b->reason));
}

static void fmt_booking(char *buf, size_t size, const bk_booking *b)
{
    snprintf(buf, size, "%s|%s|%s|%lld|%lld|%d|%d|%d|%lld|%s|%s|%s|%s|%s|%s|%s|%lld|%lld|%lld|%lld",
             b->id.s, b->provider.s, b->service.s, (long long)b->start, (long long)b->end,
             b->buffer_before_minutes, b->buffer_after_minutes, (int)b->status,
             (long long)b->lock_version, nz(b->idempotency_key), nz(b->customer_name),
             nz(b->customer_email), nz(b->customer_phone), nz(b->customer_timezone), nz(b->notes),
             nz(b->cancellation_reason), (long long)b->created_at, (long long)b->updated_at,
             (long long)b->confirmed_at, (long long)b->cancelled_at);
}

/* ------------------------------------------------------------------ */
/* A recording sink                                                    */
/* ------------------------------------------------------------------ */

#define MAX_EVENTS 600
#define TEXT_SIZE 1200

/* One callback: its kind, the record as a line, and the record's scalar
 * fields (string members cleared: they die with the callback). */
struct event {
    char kind; /* P S A O X(blocked) B K(keyed booking) */
    char text[TEXT_SIZE];
    char id[37];
    bk_time start;
    bk_time end;
    bk_booking_status status;
    int64_t lock_version;
    bk_date date;
    size_t n_intervals;
};

static struct recorder {
    struct event ev[MAX_EVENTS];
    int n;
    int overflow;
    int stop_after; /* stop the read after this many records; 0 = never */
    int stop_rc;
} R;

static struct event *record(char kind, const char *id)
{
    if (R.n == MAX_EVENTS) {
        R.overflow = 1;
        return NULL;
    }
    struct event *e = &R.ev[R.n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    snprintf(e->id, sizeof e->id, "%s", id);
    return e;
}

static int after_record(void)
{
    return R.stop_after && R.n >= R.stop_after ? R.stop_rc : 0;
}

static int on_provider(void *ctx, const bk_provider *p)
{
    (void)ctx;
    ck_assert_uint_eq(p->version, BK_PROVIDER_VERSION);
    struct event *e = record('P', p->id.s);
    if (e)
        fmt_provider(e->text, sizeof e->text, p);
    return after_record();
}

static int on_service(void *ctx, const bk_service *s)
{
    (void)ctx;
    ck_assert_uint_eq(s->version, BK_SERVICE_VERSION);
    struct event *e = record('S', s->id.s);
    if (e)
        fmt_service(e->text, sizeof e->text, s);
    return after_record();
}

static int on_availability(void *ctx, const bk_availability *a)
{
    (void)ctx;
    ck_assert_uint_eq(a->version, BK_AVAILABILITY_VERSION);
    struct event *e = record('A', a->id.s);
    if (e)
        fmt_availability(e->text, sizeof e->text, a);
    return after_record();
}

static int on_override(void *ctx, const bk_override *o)
{
    (void)ctx;
    ck_assert_uint_eq(o->version, BK_OVERRIDE_VERSION);
    struct event *e = record('O', "");
    if (e) {
        fmt_override(e->text, sizeof e->text, o);
        e->date = o->date;
        e->n_intervals = o->n_intervals;
    }
    return after_record();
}

static int on_blocked(void *ctx, const bk_blocked *b)
{
    (void)ctx;
    ck_assert_uint_eq(b->version, BK_BLOCKED_VERSION);
    struct event *e = record('X', b->id.s);
    if (e) {
        fmt_blocked(e->text, sizeof e->text, b);
        e->start = b->start;
        e->end = b->end;
    }
    return after_record();
}

static void record_booking(char kind, const bk_booking *b)
{
    ck_assert_uint_eq(b->version, BK_BOOKING_VERSION);
    struct event *e = record(kind, b->id.s);
    if (e) {
        fmt_booking(e->text, sizeof e->text, b);
        e->start = b->start;
        e->end = b->end;
        e->status = b->status;
        e->lock_version = b->lock_version;
    }
}

static int on_booking(void *ctx, const bk_booking *b)
{
    (void)ctx;
    record_booking('B', b);
    return after_record();
}

static int on_keyed(void *ctx, const bk_booking *b)
{
    (void)ctx;
    record_booking('K', b);
    return after_record();
}

static const bk_store_sink SINK = {NULL,       on_provider, on_service, on_availability,
                                   on_override, on_blocked,  on_booking, on_keyed, NULL, NULL};

static void rec_reset(void)
{
    R.n = 0;
    R.overflow = 0;
    R.stop_after = 0;
    R.stop_rc = 0;
}

/* The kinds recorded, as a string ("PSAAOXB"), for order checks. */
static const char *rec_kinds(void)
{
    static char kinds[MAX_EVENTS + 1];
    for (int i = 0; i < R.n; i++)
        kinds[i] = R.ev[i].kind;
    kinds[R.n] = '\0';
    return kinds;
}

/* ------------------------------------------------------------------ */
/* Fixture and record builders                                         */
/* ------------------------------------------------------------------ */

static bk_store *st;
static bk_store_err err;

/* The customer email key stored with the test bookings. */
#define EMAIL_KEY "c@example.com"

/* Deletes a provider for good: soft delete, then purge. */
static int delete_provider(bk_store *s, const bk_id *id)
{
    int rc = s->provider_set_deleted(s, id, 1000, &err);
    size_t n = 0;
    if (rc == BK_OK)
        rc = s->provider_purge(s, 1001, &n, &err);
    return rc == BK_OK && n != 1 ? BK_ESTORE : rc;
}

static void setup(void)
{
    rec_reset();
    store_err_clear(&err);
    st = NULL;
    ck_assert_int_eq(memory_store_open(NULL, &st, &err), BK_OK);
    ck_assert_ptr_nonnull(st);
}

static void teardown(void)
{
    if (st)
        st->close(st);
    st = NULL;
}

static void lower(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static bk_provider mkprov(unsigned n, const char *username, const char *email)
{
    bk_provider p = BK_PROVIDER_INIT;
    p.id = mkid(K_PROV, n);
    p.username = username;
    p.email = email;
    p.full_name = "Dana Example";
    p.timezone = "Europe/Berlin";
    p.created_at = 1000 + n;
    p.updated_at = 2000 + n;
    return p;
}

/* Inserts p with keys case-folded as the library would. */
static int insert_prov(bk_store *s, const bk_provider *p)
{
    char ukey[128], ekey[300];
    lower(ukey, sizeof ukey, p->username);
    lower(ekey, sizeof ekey, p->email);
    return s->provider_insert(s, p, ukey, ekey, &err);
}

static int update_prov(bk_store *s, const bk_provider *p)
{
    char ukey[128], ekey[300];
    lower(ukey, sizeof ukey, p->username);
    lower(ekey, sizeof ekey, p->email);
    return s->provider_update(s, p, ukey, ekey, &err);
}

/* Provider n with username "user<n>" and email "user<n>@example.com". */
static int add_prov(bk_store *s, unsigned n)
{
    char user[32], email[64];
    snprintf(user, sizeof user, "user%u", n);
    snprintf(email, sizeof email, "user%u@example.com", n);
    bk_provider p = mkprov(n, user, email);
    return insert_prov(s, &p);
}

static bk_service mksvc(unsigned n, unsigned prov, const char *name, int display_order)
{
    bk_service s = BK_SERVICE_INIT;
    s.id = mkid(K_SVC, n);
    s.provider = mkid(K_PROV, prov);
    s.name = name;
    s.duration_minutes = 30;
    s.display_order = display_order;
    s.created_at = 3000 + n;
    s.updated_at = 3000 + n;
    return s;
}

static int add_svc(bk_store *s, unsigned n, unsigned prov)
{
    bk_service svc = mksvc(n, prov, "Consultation", 0);
    return s->service_insert(s, &svc, &err);
}

static int add_avail(bk_store *s, unsigned n, unsigned prov, int weekday, int start, int end,
                     int is_available)
{
    bk_availability a = BK_AVAILABILITY_INIT;
    a.id = mkid(K_AVAIL, n);
    a.provider = mkid(K_PROV, prov);
    a.weekday = weekday;
    a.start_minute = start;
    a.end_minute = end;
    a.is_available = is_available;
    return s->availability_insert(s, &a, &err);
}

static int put_override(bk_store *s, unsigned prov, int y, int m, int d, size_t n,
                        const bk_local_interval *iv)
{
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = mkid(K_PROV, prov);
    o.date = (bk_date){y, m, d};
    o.n_intervals = n;
    o.intervals = iv;
    return s->override_put(s, &o, &err);
}

static int add_blocked(bk_store *s, unsigned n, unsigned prov, bk_time start, bk_time end,
                       const char *rrule)
{
    bk_blocked b = BK_BLOCKED_INIT;
    b.id = mkid(K_BLOCKED, n);
    b.provider = mkid(K_PROV, prov);
    b.start = start;
    b.end = end;
    b.rrule = rrule;
    b.reason = "holiday";
    return s->blocked_insert(s, &b, &err);
}

static bk_booking mkbook(unsigned n, unsigned prov, unsigned svc, bk_time start, bk_time end)
{
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.id = mkid(K_BOOK, n);
    b.provider = mkid(K_PROV, prov);
    b.service = mkid(K_SVC, svc);
    b.start = start;
    b.end = end;
    b.status = BK_BOOKING_CONFIRMED;
    b.lock_version = 1;
    b.customer_name = "Chris Customer";
    b.customer_email = "chris@example.org";
    b.created_at = 5000 + n;
    b.updated_at = 5000 + n;
    b.confirmed_at = 5000 + n;
    b.cancelled_at = BK_TIME_UNSET;
    return b;
}

/* Provider 1 with service 1: what most booking tests start from. */
static void seed_p1s1(void)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_svc(st, 1, 1), BK_OK);
}

/* Inserts booking n of provider 1 / service 1 over [start, end). */
static int book(unsigned n, bk_time start, bk_time end, int bb, int ba, bk_booking_status status)
{
    bk_booking b = mkbook(n, 1, 1, start, end);
    b.buffer_before_minutes = bb;
    b.buffer_after_minutes = ba;
    b.status = status;
    return st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err);
}

static int list_bookings(unsigned prov, bk_time from, bk_time to, int include_cancelled)
{
    bk_store_booking_query q = {1, mkid(K_PROV, prov), from, to, include_cancelled, 0, NULL};
    rec_reset();
    return st->booking_list(st, &q, &SINK, &err);
}

static int count_bookings(unsigned prov)
{
    ck_assert_int_eq(list_bookings(prov, BK_TIME_MIN, BK_TIME_MAX, 1), BK_OK);
    return R.n;
}

static int get_booking(unsigned n)
{
    bk_id id = mkid(K_BOOK, n);
    rec_reset();
    return st->booking_get(st, &id, &SINK, &err);
}

static void assert_ids(const char *what, int n, const unsigned *expected, unsigned kind)
{
    ck_assert_msg(R.n == n, "%s: %d records, expected %d", what, R.n, n);
    for (int i = 0; i < n; i++) {
        bk_id id = mkid(kind, expected[i]);
        ck_assert_msg(strcmp(R.ev[i].id, id.s) == 0, "%s: record %d is %s, expected %s", what, i,
                      R.ev[i].id, id.s);
    }
}

/* ------------------------------------------------------------------ */
/* Providers                                                           */
/* ------------------------------------------------------------------ */

START_TEST(provider_insert_then_get_returns_every_field)
{
    bk_provider p = mkprov(1, "Alice", "Alice@Example.com");
    p.business_name = "Alice's Studio";
    p.description = "Piano lessons";
    p.avatar_url = "https://example.com/a.png";
    ck_assert_int_eq(insert_prov(st, &p), BK_OK);

    ck_assert_int_eq(st->provider_get(st, &p.id, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    char want[TEXT_SIZE];
    fmt_provider(want, sizeof want, &p);
    ck_assert_str_eq(R.ev[0].text, want);
}
END_TEST

START_TEST(provider_optional_strings_stay_null)
{
    bk_provider p = mkprov(1, "bob", "bob@example.com");
    ck_assert_int_eq(insert_prov(st, &p), BK_OK);
    ck_assert_int_eq(st->provider_get(st, &p.id, &SINK, &err), BK_OK);
    ck_assert_ptr_nonnull(strstr(R.ev[0].text, "|<null>|<null>|<null>|"));
}
END_TEST

START_TEST(provider_get_missing_is_enotfound)
{
    bk_id id = mkid(K_PROV, 42);
    ck_assert_int_eq(st->provider_get(st, &id, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(err.code, BK_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "provider"));
    ck_assert_int_eq(R.n, 0);
}
END_TEST

START_TEST(provider_strings_are_copied_not_borrowed)
{
    char user[] = "carol", email[] = "carol@example.com", name[] = "Carol";
    bk_provider p = mkprov(1, user, email);
    p.full_name = name;
    ck_assert_int_eq(insert_prov(st, &p), BK_OK);
    memset(user, 'X', sizeof user - 1);
    memset(email, 'X', sizeof email - 1);
    memset(name, 'X', sizeof name - 1);

    ck_assert_int_eq(st->provider_get(st, &p.id, &SINK, &err), BK_OK);
    ck_assert_ptr_nonnull(strstr(R.ev[0].text, "|carol|carol@example.com|Carol|"));
}
END_TEST

START_TEST(provider_duplicate_username_is_eexists_naming_username)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_provider p = mkprov(2, "USER1", "other@example.com");
    ck_assert_int_eq(insert_prov(st, &p), BK_EEXISTS);
    ck_assert_int_eq(err.code, BK_EEXISTS);
    ck_assert_msg(strncmp(err.message, "username:", 9) == 0, "message: %s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "USER1"));
    ck_assert_int_eq(st->provider_list(st, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
}
END_TEST

START_TEST(provider_duplicate_email_is_eexists_naming_email)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_provider p = mkprov(2, "someone", "User1@Example.COM");
    ck_assert_int_eq(insert_prov(st, &p), BK_EEXISTS);
    ck_assert_msg(strncmp(err.message, "email:", 6) == 0, "message: %s", err.message);
    ck_assert_int_eq(st->provider_list(st, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
}
END_TEST

START_TEST(provider_update_replaces_fields_and_keeps_created_at)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_provider p = mkprov(1, "renamed", "renamed@example.com");
    p.full_name = "New Name";
    p.timezone = "America/New_York";
    p.description = "now with a description";
    p.created_at = BK_TIME_UNSET;
    p.updated_at = 9999;
    ck_assert_int_eq(update_prov(st, &p), BK_OK);

    ck_assert_int_eq(st->provider_get(st, &p.id, &SINK, &err), BK_OK);
    p.created_at = 1001;
    char want[TEXT_SIZE];
    fmt_provider(want, sizeof want, &p);
    ck_assert_str_eq(R.ev[0].text, want);

    /* The old username is free again, the new one taken. */
    bk_provider q = mkprov(2, "user1", "user1@example.com");
    ck_assert_int_eq(insert_prov(st, &q), BK_OK);
    bk_provider r = mkprov(3, "Renamed", "x@example.com");
    ck_assert_int_eq(insert_prov(st, &r), BK_EEXISTS);
}
END_TEST

START_TEST(provider_update_may_keep_its_own_username_and_email)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_provider p = mkprov(1, "User1", "USER1@example.com");
    ck_assert_int_eq(update_prov(st, &p), BK_OK);
}
END_TEST

START_TEST(provider_update_onto_another_username_is_eexists_and_changes_nothing)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    bk_id id2 = mkid(K_PROV, 2);
    ck_assert_int_eq(st->provider_get(st, &id2, &SINK, &err), BK_OK);
    char before[TEXT_SIZE];
    memcpy(before, R.ev[0].text, sizeof before);

    bk_provider p = mkprov(2, "user1", "fresh@example.com");
    ck_assert_int_eq(update_prov(st, &p), BK_EEXISTS);
    ck_assert_msg(strncmp(err.message, "username:", 9) == 0, "message: %s", err.message);
    p = mkprov(2, "fresh", "user1@example.com");
    ck_assert_int_eq(update_prov(st, &p), BK_EEXISTS);
    ck_assert_msg(strncmp(err.message, "email:", 6) == 0, "message: %s", err.message);

    rec_reset();
    ck_assert_int_eq(st->provider_get(st, &id2, &SINK, &err), BK_OK);
    ck_assert_str_eq(R.ev[0].text, before);
}
END_TEST

START_TEST(provider_update_missing_is_enotfound)
{
    bk_provider p = mkprov(7, "ghost", "ghost@example.com");
    ck_assert_int_eq(update_prov(st, &p), BK_ENOTFOUND);
}
END_TEST

START_TEST(provider_list_is_ordered_by_username)
{
    const char *names[] = {"mike", "anna", "zoe", "bert", "kim"};
    for (unsigned i = 0; i < 5; i++) {
        char email[64];
        snprintf(email, sizeof email, "%s@example.com", names[i]);
        bk_provider p = mkprov(i + 1, names[i], email);
        ck_assert_int_eq(insert_prov(st, &p), BK_OK);
    }
    /* Renaming moves a provider in the order. */
    bk_provider p = mkprov(3, "carl", "zoe@example.com");
    ck_assert_int_eq(update_prov(st, &p), BK_OK);

    ck_assert_int_eq(st->provider_list(st, &SINK, &err), BK_OK);
    const unsigned want[] = {2, 4, 3, 5, 1}; /* anna bert carl kim mike */
    assert_ids("providers", 5, want, K_PROV);
}
END_TEST

START_TEST(provider_delete_cascades_to_everything_it_owns)
{
    seed_p1s1();
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    ck_assert_int_eq(add_svc(st, 2, 2), BK_OK);
    ck_assert_int_eq(add_avail(st, 1, 1, 1, 540, 1020, 1), BK_OK);
    const bk_local_interval iv = {600, 660};
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 17, 1, &iv), BK_OK);
    ck_assert_int_eq(add_blocked(st, 1, 1, T0, T0 + HOUR, NULL), BK_OK);
    ck_assert_int_eq(add_blocked(st, 2, 1, T0, T0 + HOUR, "FREQ=DAILY"), BK_OK);
    bk_booking b = mkbook(1, 1, 1, T0 + 10 * HOUR, T0 + 11 * HOUR);
    b.idempotency_key = "k1";
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
    bk_booking b2 = mkbook(2, 2, 2, T0 + 10 * HOUR, T0 + 11 * HOUR);
    ck_assert_int_eq(st->booking_insert(st, &b2, EMAIL_KEY, &SINK, &err), BK_OK);

    bk_id p1 = mkid(K_PROV, 1), s1 = mkid(K_SVC, 1), a1 = mkid(K_AVAIL, 1);
    bk_id x1 = mkid(K_BLOCKED, 1), x2 = mkid(K_BLOCKED, 2);
    ck_assert_int_eq(delete_provider(st, &p1), BK_OK);

    ck_assert_int_eq(st->provider_get(st, &p1, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->service_get(st, &s1, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->availability_delete(st, &a1, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->blocked_delete(st, &x1, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->blocked_delete(st, &x2, &err), BK_ENOTFOUND);
    ck_assert_int_eq(get_booking(1), BK_ENOTFOUND);
    ck_assert_int_eq(st->service_list(st, &p1, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(R.n, 0);

    /* The other provider is untouched; the username and the ids are free
     * again, and nothing of the old provider comes back with them. */
    ck_assert_int_eq(get_booking(2), BK_OK);
    seed_p1s1();
    ck_assert_int_eq(count_bookings(1), 0);
    bk_date from = {2025, 1, 1}, to = {2025, 12, 31};
    rec_reset();
    ck_assert_int_eq(st->override_list(st, &p1, &from, &to, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
    ck_assert_int_eq(st->blocked_list(st, &p1, BK_TIME_MIN, BK_TIME_MAX, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
    ck_assert_int_eq(st->availability_list(st, &p1, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK); /* key k1 free again */
}
END_TEST

START_TEST(provider_delete_missing_is_enotfound)
{
    bk_id id = mkid(K_PROV, 9);
    ck_assert_int_eq(delete_provider(st, &id), BK_ENOTFOUND);
}
END_TEST

START_TEST(many_providers_survive_index_growth_and_deletes)
{
    for (unsigned i = 1; i <= 300; i++)
        ck_assert_int_eq(add_prov(st, i), BK_OK);
    for (unsigned i = 1; i <= 300; i += 3) {
        bk_id id = mkid(K_PROV, i);
        ck_assert_int_eq(delete_provider(st, &id), BK_OK);
    }
    for (unsigned i = 1; i <= 300; i++) {
        bk_id id = mkid(K_PROV, i);
        rec_reset();
        ck_assert_int_eq(st->provider_get(st, &id, &SINK, &err), i % 3 == 1 ? BK_ENOTFOUND : BK_OK);
    }
    rec_reset();
    ck_assert_int_eq(st->provider_list(st, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 200);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Services                                                            */
/* ------------------------------------------------------------------ */

START_TEST(service_insert_then_get_returns_every_field)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_service s = mksvc(1, 1, "Haircut", 3);
    s.description = "wash included";
    s.duration_minutes = 45;
    s.buffer_before_minutes = 5;
    s.buffer_after_minutes = 10;
    s.slot_step_minutes = 15;
    s.min_notice_minutes = 120;
    s.horizon_days = 30;
    s.price_minor = 2500;
    s.currency = "USD";
    s.requires_confirmation = 1;
    ck_assert_int_eq(st->service_insert(st, &s, &err), BK_OK);

    ck_assert_int_eq(st->service_get(st, &s.id, &SINK, &err), BK_OK);
    char want[TEXT_SIZE];
    fmt_service(want, sizeof want, &s);
    ck_assert_str_eq(R.ev[0].text, want);
}
END_TEST

START_TEST(service_insert_for_missing_provider_is_enotfound)
{
    bk_service s = mksvc(1, 5, "Haircut", 0);
    ck_assert_int_eq(st->service_insert(st, &s, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->service_get(st, &s.id, &SINK, &err), BK_ENOTFOUND);
}
END_TEST

START_TEST(service_update_replaces_fields_but_not_provider)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    ck_assert_int_eq(add_svc(st, 1, 1), BK_OK);
    bk_service s = mksvc(1, 2, "Renamed", 7); /* names provider 2: ignored */
    s.active = 0;
    s.duration_minutes = 90;
    s.created_at = BK_TIME_UNSET;
    s.updated_at = 7777;
    ck_assert_int_eq(st->service_update(st, &s, &err), BK_OK);

    ck_assert_int_eq(st->service_get(st, &s.id, &SINK, &err), BK_OK);
    s.provider = mkid(K_PROV, 1);
    s.created_at = 3001;
    char want[TEXT_SIZE];
    fmt_service(want, sizeof want, &s);
    ck_assert_str_eq(R.ev[0].text, want);
    bk_id p2 = mkid(K_PROV, 2);
    rec_reset();
    ck_assert_int_eq(st->service_list(st, &p2, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
}
END_TEST

START_TEST(service_update_missing_is_enotfound)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_service s = mksvc(3, 1, "x", 0);
    ck_assert_int_eq(st->service_update(st, &s, &err), BK_ENOTFOUND);
}
END_TEST

START_TEST(service_list_is_ordered_by_display_order_then_name)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    struct {
        const char *name;
        int order;
    } rows[] = {{"Massage", 2}, {"Beard", 1}, {"Alpha", 2}, {"Zeta", 0}, {"Color", 1}};
    for (unsigned i = 0; i < 5; i++) {
        bk_service s = mksvc(i + 1, 1, rows[i].name, rows[i].order);
        ck_assert_int_eq(st->service_insert(st, &s, &err), BK_OK);
    }
    ck_assert_int_eq(add_svc(st, 9, 2), BK_OK); /* another provider's */
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(st->service_list(st, &p1, &SINK, &err), BK_OK);
    const unsigned want[] = {4, 2, 5, 3, 1}; /* Zeta | Beard Color | Alpha Massage */
    assert_ids("services", 5, want, K_SVC);

    /* An update re-sorts. */
    bk_service s = mksvc(4, 1, "Zeta", 5);
    ck_assert_int_eq(st->service_update(st, &s, &err), BK_OK);
    rec_reset();
    ck_assert_int_eq(st->service_list(st, &p1, &SINK, &err), BK_OK);
    const unsigned want2[] = {2, 5, 3, 1, 4};
    assert_ids("services after update", 5, want2, K_SVC);
}
END_TEST

START_TEST(service_list_of_missing_provider_is_enotfound)
{
    bk_id p = mkid(K_PROV, 3);
    ck_assert_int_eq(st->service_list(st, &p, &SINK, &err), BK_ENOTFOUND);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Availability and overrides                                          */
/* ------------------------------------------------------------------ */

START_TEST(availability_list_is_ordered_by_weekday_start_end)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 1, 1, 3, 540, 720, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 2, 1, 1, 780, 1020, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 3, 1, 1, 540, 720, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 4, 1, 1, 540, 600, 0), BK_OK);
    ck_assert_int_eq(add_avail(st, 5, 1, 0, 600, 660, 1), BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(st->availability_list(st, &p1, &SINK, &err), BK_OK);
    const unsigned want[] = {5, 4, 3, 2, 1};
    assert_ids("availability", 5, want, K_AVAIL);
    bk_availability a = BK_AVAILABILITY_INIT;
    a.id = mkid(K_AVAIL, 4);
    a.provider = p1;
    a.weekday = 1;
    a.start_minute = 540;
    a.end_minute = 600;
    a.is_available = 0;
    char text[TEXT_SIZE];
    fmt_availability(text, sizeof text, &a);
    ck_assert_str_eq(R.ev[1].text, text);
}
END_TEST

START_TEST(availability_delete_removes_only_that_row)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 1, 1, 1, 540, 720, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 2, 1, 2, 540, 720, 1), BK_OK);
    bk_id a1 = mkid(K_AVAIL, 1), p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(st->availability_delete(st, &a1, &err), BK_OK);
    ck_assert_int_eq(st->availability_delete(st, &a1, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->availability_list(st, &p1, &SINK, &err), BK_OK);
    const unsigned want[] = {2};
    assert_ids("availability", 1, want, K_AVAIL);
}
END_TEST

START_TEST(availability_insert_for_missing_provider_is_enotfound)
{
    ck_assert_int_eq(add_avail(st, 1, 4, 1, 540, 720, 1), BK_ENOTFOUND);
}
END_TEST

START_TEST(override_put_replaces_the_same_date)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_local_interval iv[] = {{540, 600}, {660, 720}};
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 20, 2, iv), BK_OK);
    iv[0].start_minute = 0; /* the store copied the intervals */
    bk_local_interval other = {480, 500};
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 21, 1, &other), BK_OK);

    bk_id p1 = mkid(K_PROV, 1);
    bk_date from = {2025, 6, 20}, to = {2025, 6, 20};
    ck_assert_int_eq(st->override_list(st, &p1, &from, &to, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    ck_assert_str_eq(R.ev[0].text,
                     "00000001-0000-4000-8000-000000000001|2025-06-20|[540,600)[660,720)");

    /* Replaced by a day off: one override on that date, no intervals. */
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 20, 0, NULL), BK_OK);
    rec_reset();
    ck_assert_int_eq(st->override_list(st, &p1, &from, &to, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    ck_assert_uint_eq(R.ev[0].n_intervals, 0);

    bk_local_interval late = {1200, 1440};
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 20, 1, &late), BK_OK);
    rec_reset();
    ck_assert_int_eq(st->override_list(st, &p1, &from, &to, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    ck_assert_str_eq(R.ev[0].text, "00000001-0000-4000-8000-000000000001|2025-06-20|[1200,1440)");
}
END_TEST

START_TEST(override_list_is_inclusive_and_ordered_by_date)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    const int dates[][3] = {{2025, 7, 1}, {2025, 6, 30}, {2024, 12, 31}, {2025, 6, 1},
                            {2025, 6, 15}, {2025, 5, 31}};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(put_override(st, 1, dates[i][0], dates[i][1], dates[i][2], 0, NULL),
                         BK_OK);
    ck_assert_int_eq(put_override(st, 2, 2025, 6, 10, 0, NULL), BK_OK);

    bk_id p1 = mkid(K_PROV, 1);
    bk_date from = {2025, 6, 1}, to = {2025, 6, 30};
    ck_assert_int_eq(st->override_list(st, &p1, &from, &to, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 3);
    ck_assert_int_eq(R.ev[0].date.day, 1);
    ck_assert_int_eq(R.ev[1].date.day, 15);
    ck_assert_int_eq(R.ev[2].date.day, 30);
}
END_TEST

START_TEST(override_delete_removes_that_date_only)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 20, 0, NULL), BK_OK);
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 21, 0, NULL), BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    bk_date d = {2025, 6, 20}, from = {2025, 1, 1}, to = {2025, 12, 31};
    ck_assert_int_eq(st->override_delete(st, &p1, &d, &err), BK_OK);
    ck_assert_int_eq(st->override_delete(st, &p1, &d, &err), BK_ENOTFOUND);
    ck_assert_int_eq(st->override_list(st, &p1, &from, &to, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    ck_assert_int_eq(R.ev[0].date.day, 21);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Blocked periods                                                     */
/* ------------------------------------------------------------------ */

START_TEST(blocked_list_is_half_open_touching_excluded)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_time from = T0 + HOUR, to = T0 + 3 * HOUR;
    ck_assert_int_eq(add_blocked(st, 1, 1, from - HOUR, from, NULL), BK_OK);   /* ends at from */
    ck_assert_int_eq(add_blocked(st, 2, 1, from, from + HOUR, NULL), BK_OK);   /* inside */
    ck_assert_int_eq(add_blocked(st, 3, 1, to, to + HOUR, NULL), BK_OK);       /* starts at to */
    ck_assert_int_eq(add_blocked(st, 4, 1, from - 1, from + 1, NULL), BK_OK);  /* straddles from */
    ck_assert_int_eq(add_blocked(st, 5, 1, to - 1, to + 2 * HOUR, NULL), BK_OK); /* straddles to */
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(st->blocked_list(st, &p1, from, to, &SINK, &err), BK_OK);
    const unsigned want[] = {4, 2, 5};
    assert_ids("blocked", 3, want, K_BLOCKED);
}
END_TEST

START_TEST(blocked_list_finds_long_periods_starting_far_before)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_blocked(st, 1, 1, T0 - 30 * DAY, T0 + 30 * DAY, NULL), BK_OK);
    for (unsigned i = 0; i < 50; i++)
        ck_assert_int_eq(add_blocked(st, 10 + i, 1, T0 - 20 * DAY + (bk_time)i * HOUR,
                                     T0 - 20 * DAY + (bk_time)i * HOUR + 1, NULL),
                         BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(st->blocked_list(st, &p1, T0, T0 + HOUR, &SINK, &err), BK_OK);
    const unsigned want[] = {1};
    assert_ids("blocked", 1, want, K_BLOCKED);
}
END_TEST

START_TEST(blocked_insert_keeps_every_field_and_delete_removes)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    ck_assert_int_eq(add_blocked(st, 1, 1, T0, T0 + HOUR, NULL), BK_OK);
    bk_id p1 = mkid(K_PROV, 1), x1 = mkid(K_BLOCKED, 1);
    ck_assert_int_eq(st->blocked_list(st, &p1, BK_TIME_MIN, BK_TIME_MAX, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    char want[TEXT_SIZE];
    snprintf(want, sizeof want, "%s|%s|%lld|%lld|<null>|holiday", x1.s, p1.s, (long long)T0,
             (long long)(T0 + HOUR));
    ck_assert_str_eq(R.ev[0].text, want);
    ck_assert_int_eq(st->blocked_delete(st, &x1, &err), BK_OK);
    ck_assert_int_eq(st->blocked_delete(st, &x1, &err), BK_ENOTFOUND);
    rec_reset();
    ck_assert_int_eq(st->blocked_list(st, &p1, BK_TIME_MIN, BK_TIME_MAX, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
}
END_TEST

/* Occurrences of a recurring period can fall in any later window; the
 * store cannot expand the rule, so it hands over every recurring period
 * that starts before the window ends, merged in start order. */
START_TEST(blocked_recurring_periods_are_listed_from_before_the_window)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    const char *daily = "FREQ=DAILY";
    ck_assert_int_eq(add_blocked(st, 1, 1, T0 - 100 * DAY, T0 - 100 * DAY + HOUR, daily), BK_OK);
    ck_assert_int_eq(add_blocked(st, 2, 1, T0 + 2 * HOUR, T0 + 3 * HOUR, NULL), BK_OK);
    ck_assert_int_eq(add_blocked(st, 3, 1, T0 + HOUR, T0 + 2 * HOUR, "FREQ=WEEKLY"), BK_OK);
    ck_assert_int_eq(add_blocked(st, 4, 1, T0 + 10 * DAY, T0 + 10 * DAY + HOUR, daily), BK_OK);
    ck_assert_int_eq(add_blocked(st, 5, 1, T0 - 50 * DAY, T0 - 50 * DAY + HOUR, NULL), BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(st->blocked_list(st, &p1, T0, T0 + DAY, &SINK, &err), BK_OK);
    const unsigned want[] = {1, 3, 2};
    assert_ids("blocked", 3, want, K_BLOCKED);
    bk_id x1 = mkid(K_BLOCKED, 1);
    ck_assert_int_eq(st->blocked_delete(st, &x1, &err), BK_OK);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bookings                                                            */
/* ------------------------------------------------------------------ */

START_TEST(booking_insert_then_get_returns_every_field)
{
    seed_p1s1();
    bk_booking b = mkbook(1, 1, 1, T0 + 9 * HOUR, T0 + 10 * HOUR);
    b.buffer_before_minutes = 10;
    b.buffer_after_minutes = 5;
    b.status = BK_BOOKING_PENDING;
    b.idempotency_key = "req-1";
    b.customer_phone = "+49 30 1234";
    b.customer_timezone = "Europe/Berlin";
    b.notes = "first visit";
    b.confirmed_at = BK_TIME_UNSET;
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);

    ck_assert_int_eq(get_booking(1), BK_OK);
    ck_assert_int_eq(R.n, 1);
    char want[TEXT_SIZE];
    fmt_booking(want, sizeof want, &b);
    ck_assert_str_eq(R.ev[0].text, want);
}
END_TEST

START_TEST(booking_get_missing_is_enotfound)
{
    ck_assert_int_eq(get_booking(3), BK_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "booking"));
}
END_TEST

START_TEST(booking_insert_for_missing_provider_or_service_is_enotfound)
{
    seed_p1s1();
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    ck_assert_int_eq(add_svc(st, 2, 2), BK_OK);
    bk_booking b = mkbook(1, 3, 1, T0, T0 + HOUR);
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_ENOTFOUND);
    b = mkbook(1, 1, 7, T0, T0 + HOUR);
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_ENOTFOUND);
    b = mkbook(1, 1, 2, T0, T0 + HOUR); /* provider 2's service */
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(count_bookings(1), 0);
}
END_TEST

START_TEST(booking_list_is_half_open_touching_excluded)
{
    seed_p1s1();
    bk_time from = T0 + 10 * HOUR, to = T0 + 12 * HOUR;
    /* Ends at from (cancelled: it overlaps booking 2). */
    ck_assert_int_eq(book(1, from - HOUR, from, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(2, from - 1, from + 1, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(3, from + HOUR, from + HOUR + 1, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(4, to - 1, to + 1, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(5, to + 1, to + HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    /* Buffers reach into the window, but the list is on [start, end). */
    ck_assert_int_eq(book(6, to + 2 * HOUR, to + 3 * HOUR, 180, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(list_bookings(1, from, to, 1), BK_OK);
    const unsigned want[] = {2, 3, 4};
    assert_ids("bookings", 3, want, K_BOOK);
    /* start == to is excluded too. */
    ck_assert_int_eq(list_bookings(1, from, to + 1, 1), BK_OK);
    assert_ids("bookings", 3, want, K_BOOK);
}
END_TEST

START_TEST(booking_list_excludes_cancelled_unless_asked)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0, T0 + HOUR, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(2, T0, T0 + HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(3, T0 + HOUR, T0 + 2 * HOUR, 0, 0, BK_BOOKING_COMPLETED), BK_OK);
    ck_assert_int_eq(book(4, T0 + 2 * HOUR, T0 + 3 * HOUR, 0, 0, BK_BOOKING_NO_SHOW), BK_OK);
    ck_assert_int_eq(book(5, T0 + 3 * HOUR, T0 + 4 * HOUR, 0, 0, BK_BOOKING_PENDING), BK_OK);
    ck_assert_int_eq(list_bookings(1, T0, T0 + DAY, 0), BK_OK);
    const unsigned live[] = {2, 3, 4, 5};
    assert_ids("live bookings", 4, live, K_BOOK);
    ck_assert_int_eq(list_bookings(1, T0, T0 + DAY, 1), BK_OK);
    const unsigned all[] = {1, 2, 3, 4, 5};
    assert_ids("all bookings", 5, all, K_BOOK);
}
END_TEST

START_TEST(booking_list_is_ordered_by_start_then_id)
{
    seed_p1s1();
    /* Different buffers make occupied-start order differ from start order. */
    ck_assert_int_eq(book(7, T0 + 3 * HOUR, T0 + 4 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(3, T0 + 2 * HOUR, T0 + 3 * HOUR, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(1, T0 + 2 * HOUR, T0 + 3 * HOUR, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 5 * HOUR, T0 + 6 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(9, T0 + 6 * HOUR, T0 + 7 * HOUR, 120, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(list_bookings(1, T0, T0 + DAY, 1), BK_OK);
    const unsigned want[] = {1, 3, 7, 2, 9};
    assert_ids("bookings", 5, want, K_BOOK);
}
END_TEST

START_TEST(booking_list_finds_long_bookings_starting_far_before)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 - 20 * DAY, T0 + 20 * DAY, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    for (unsigned i = 0; i < 40; i++)
        ck_assert_int_eq(book(10 + i, T0 - 10 * DAY + (bk_time)i * HOUR,
                              T0 - 10 * DAY + (bk_time)i * HOUR + 30 * MIN, 0, 0,
                              BK_BOOKING_CONFIRMED),
                         BK_OK);
    ck_assert_int_eq(list_bookings(1, T0, T0 + HOUR, 1), BK_OK);
    const unsigned want[] = {1};
    assert_ids("bookings", 1, want, K_BOOK);
}
END_TEST

START_TEST(booking_list_of_missing_provider_is_enotfound)
{
    ck_assert_int_eq(list_bookings(4, T0, T0 + DAY, 1), BK_ENOTFOUND);
}
END_TEST

START_TEST(booking_overlap_is_econflict_naming_the_booking)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 10 * HOUR + 30 * MIN, T0 + 11 * HOUR + 30 * MIN, 0, 0,
                          BK_BOOKING_PENDING),
                     BK_ECONFLICT);
    ck_assert_int_eq(err.code, BK_ECONFLICT);
    bk_id id1 = mkid(K_BOOK, 1);
    ck_assert_msg(strstr(err.message, id1.s) != NULL, "message: %s", err.message);
    /* Enclosing and enclosed ranges conflict too. */
    ck_assert_int_eq(book(3, T0 + 9 * HOUR, T0 + 12 * HOUR, 0, 0, BK_BOOKING_CONFIRMED),
                     BK_ECONFLICT);
    ck_assert_int_eq(book(4, T0 + 10 * HOUR + 1, T0 + 11 * HOUR - 1, 0, 0, BK_BOOKING_CONFIRMED),
                     BK_ECONFLICT);
    ck_assert_int_eq(get_booking(2), BK_ENOTFOUND);
    ck_assert_int_eq(count_bookings(1), 1);
}
END_TEST

START_TEST(booking_touching_ranges_do_not_conflict)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 11 * HOUR, T0 + 12 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(3, T0 + 9 * HOUR, T0 + 10 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(count_bookings(1), 3);
}
END_TEST

START_TEST(booking_buffers_extend_the_occupied_range)
{
    seed_p1s1();
    /* Occupied [09:45, 11:15). */
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 15, 15, BK_BOOKING_CONFIRMED), BK_OK);
    /* Starts inside the after-buffer. */
    ck_assert_int_eq(book(2, T0 + 11 * HOUR + 10 * MIN, T0 + 12 * HOUR, 0, 0, BK_BOOKING_CONFIRMED),
                     BK_ECONFLICT);
    /* Its own before-buffer reaches into booking 1's after-buffer. */
    ck_assert_int_eq(
        book(3, T0 + 11 * HOUR + 20 * MIN, T0 + 12 * HOUR, 10, 0, BK_BOOKING_CONFIRMED),
        BK_ECONFLICT);
    /* Ends inside the before-buffer. */
    ck_assert_int_eq(book(4, T0 + 9 * HOUR, T0 + 9 * HOUR + 50 * MIN, 0, 0, BK_BOOKING_CONFIRMED),
                     BK_ECONFLICT);
    /* Occupied ranges that touch are fine: [11:15, 12:00) and [09:00, 09:45). */
    ck_assert_int_eq(book(5, T0 + 11 * HOUR + 20 * MIN, T0 + 12 * HOUR, 5, 0, BK_BOOKING_CONFIRMED),
                     BK_OK);
    ck_assert_int_eq(book(6, T0 + 9 * HOUR, T0 + 9 * HOUR + 40 * MIN, 0, 5, BK_BOOKING_CONFIRMED),
                     BK_OK);
    ck_assert_int_eq(count_bookings(1), 3);
}
END_TEST

START_TEST(booking_cancelled_bookings_do_not_conflict)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 30, 30, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(count_bookings(1), 2);
}
END_TEST

START_TEST(booking_inserted_cancelled_never_conflicts)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 10 * HOUR, T0 + 11 * HOUR, 60, 60, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(3, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(count_bookings(1), 3);
}
END_TEST

START_TEST(booking_completed_and_no_show_are_live_and_conflict)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_COMPLETED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 12 * HOUR, T0 + 13 * HOUR, 0, 0, BK_BOOKING_NO_SHOW), BK_OK);
    ck_assert_int_eq(book(3, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_PENDING),
                     BK_ECONFLICT);
    ck_assert_int_eq(book(4, T0 + 12 * HOUR, T0 + 13 * HOUR, 0, 0, BK_BOOKING_PENDING),
                     BK_ECONFLICT);
}
END_TEST

START_TEST(booking_conflicts_are_per_provider)
{
    seed_p1s1();
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    ck_assert_int_eq(add_svc(st, 2, 2), BK_OK);
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    bk_booking b = mkbook(2, 2, 2, T0 + 10 * HOUR, T0 + 11 * HOUR);
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
}
END_TEST

START_TEST(booking_idempotency_key_returns_existing_via_keyed_booking)
{
    seed_p1s1();
    bk_booking b = mkbook(1, 1, 1, T0 + 10 * HOUR, T0 + 11 * HOUR);
    b.idempotency_key = "retry-me";
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);

    /* Same key, new id, other time: nothing inserted, the first returned. */
    bk_booking again = mkbook(2, 1, 1, T0 + 14 * HOUR, T0 + 15 * HOUR);
    again.idempotency_key = "retry-me";
    ck_assert_int_eq(st->booking_insert(st, &again, EMAIL_KEY, &SINK, &err), BK_EEXISTS);
    ck_assert_int_eq(R.n, 1);
    ck_assert_int_eq(R.ev[0].kind, 'K');
    char want[TEXT_SIZE];
    fmt_booking(want, sizeof want, &b);
    ck_assert_str_eq(R.ev[0].text, want);

    /* The key wins over a conflict: a retry of the same slot is not one. */
    rec_reset();
    bk_booking retry = mkbook(3, 1, 1, T0 + 10 * HOUR, T0 + 11 * HOUR);
    retry.idempotency_key = "retry-me";
    ck_assert_int_eq(st->booking_insert(st, &retry, EMAIL_KEY, &SINK, &err), BK_EEXISTS);
    ck_assert_int_eq(R.n, 1);
    ck_assert_int_eq(R.ev[0].kind, 'K');
    ck_assert_str_eq(R.ev[0].id, b.id.s);

    ck_assert_int_eq(count_bookings(1), 1);
    /* A NULL keyed_booking callback is allowed. */
    bk_store_sink quiet = {0};
    ck_assert_int_eq(st->booking_insert(st, &retry, EMAIL_KEY, &quiet, &err), BK_EEXISTS);
    ck_assert_int_eq(st->booking_insert(st, &retry, EMAIL_KEY, NULL, &err), BK_EEXISTS);
}
END_TEST

START_TEST(booking_idempotency_key_holds_for_cancelled_bookings)
{
    seed_p1s1();
    bk_booking b = mkbook(1, 1, 1, T0 + 10 * HOUR, T0 + 11 * HOUR);
    b.idempotency_key = "k";
    b.status = BK_BOOKING_CANCELLED;
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
    bk_booking again = mkbook(2, 1, 1, T0 + 12 * HOUR, T0 + 13 * HOUR);
    again.idempotency_key = "k";
    ck_assert_int_eq(st->booking_insert(st, &again, EMAIL_KEY, &SINK, &err), BK_EEXISTS);
    ck_assert_int_eq(R.n, 1);
    ck_assert_int_eq(R.ev[0].status, BK_BOOKING_CANCELLED);
}
END_TEST

START_TEST(booking_idempotency_key_is_per_provider)
{
    seed_p1s1();
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    ck_assert_int_eq(add_svc(st, 2, 2), BK_OK);
    bk_booking b = mkbook(1, 1, 1, T0, T0 + HOUR);
    b.idempotency_key = "same";
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
    bk_booking c = mkbook(2, 2, 2, T0, T0 + HOUR);
    c.idempotency_key = "same";
    ck_assert_int_eq(st->booking_insert(st, &c, EMAIL_KEY, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
}
END_TEST

START_TEST(booking_keyed_callback_failure_is_returned)
{
    seed_p1s1();
    bk_booking b = mkbook(1, 1, 1, T0, T0 + HOUR);
    b.idempotency_key = "k";
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
    R.stop_after = 1;
    R.stop_rc = BK_ENOMEM;
    bk_booking again = mkbook(2, 1, 1, T0, T0 + HOUR);
    again.idempotency_key = "k";
    ck_assert_int_eq(st->booking_insert(st, &again, EMAIL_KEY, &SINK, &err), BK_ENOMEM);
    ck_assert_int_eq(count_bookings(1), 1);
}
END_TEST

START_TEST(booking_update_with_stale_version_is_estale_and_changes_nothing)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(get_booking(1), BK_OK);
    char before[TEXT_SIZE];
    memcpy(before, R.ev[0].text, sizeof before);

    bk_booking b = mkbook(1, 1, 1, T0 + 10 * HOUR, T0 + 11 * HOUR);
    b.status = BK_BOOKING_CANCELLED;
    b.lock_version = 3;
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 2, &err), BK_ESTALE);
    ck_assert_int_eq(err.code, BK_ESTALE);
    ck_assert_int_eq(get_booking(1), BK_OK);
    ck_assert_str_eq(R.ev[0].text, before);
}
END_TEST

START_TEST(booking_update_onto_another_booking_is_econflict)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 12 * HOUR, T0 + 13 * HOUR, 0, 15, BK_BOOKING_CONFIRMED), BK_OK);
    bk_booking b = mkbook(1, 1, 1, T0 + 13 * HOUR + 10 * MIN, T0 + 14 * HOUR);
    b.lock_version = 2;
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 1, &err), BK_ECONFLICT);
    bk_id id2 = mkid(K_BOOK, 2);
    ck_assert_msg(strstr(err.message, id2.s) != NULL, "message: %s", err.message);
    ck_assert_int_eq(get_booking(1), BK_OK);
    ck_assert_int_eq(R.ev[0].start, T0 + 10 * HOUR);
    ck_assert_int_eq(R.ev[0].lock_version, 1);
}
END_TEST

START_TEST(booking_update_moves_over_its_own_range_and_bumps_version)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 10, 10, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 12 * HOUR, T0 + 13 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    bk_booking b = mkbook(1, 1, 1, T0 + 10 * HOUR + 30 * MIN, T0 + 11 * HOUR + 30 * MIN);
    b.buffer_before_minutes = 10;
    b.buffer_after_minutes = 10;
    b.lock_version = 2;
    b.notes = "moved";
    b.created_at = BK_TIME_UNSET;
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 1, &err), BK_OK);
    ck_assert_int_eq(get_booking(1), BK_OK);
    b.created_at = 5001;
    char want[TEXT_SIZE];
    fmt_booking(want, sizeof want, &b);
    ck_assert_str_eq(R.ev[0].text, want);

    /* The old range is free, the new one taken, both in list order. */
    ck_assert_int_eq(book(3, T0 + 9 * HOUR, T0 + 10 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(4, T0 + 11 * HOUR, T0 + 11 * HOUR + 40 * MIN, 0, 0, BK_BOOKING_CONFIRMED),
                     BK_ECONFLICT);
    ck_assert_int_eq(list_bookings(1, T0, T0 + DAY, 1), BK_OK);
    const unsigned want_ids[] = {3, 1, 2};
    assert_ids("bookings", 3, want_ids, K_BOOK);

    /* The next update needs the new version. */
    b.lock_version = 3;
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 1, &err), BK_ESTALE);
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 2, &err), BK_OK);
}
END_TEST

START_TEST(booking_update_to_cancelled_frees_the_range)
{
    seed_p1s1();
    ck_assert_int_eq(book(1, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    bk_booking b = mkbook(1, 1, 1, T0 + 10 * HOUR, T0 + 11 * HOUR);
    b.status = BK_BOOKING_CANCELLED;
    b.cancellation_reason = "sick";
    b.cancelled_at = T0;
    b.lock_version = 2;
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 1, &err), BK_OK);
    ck_assert_int_eq(book(2, T0 + 10 * HOUR, T0 + 11 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);

    /* Bringing the cancelled one back to life now conflicts. */
    b.status = BK_BOOKING_CONFIRMED;
    b.lock_version = 3;
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 2, &err), BK_ECONFLICT);
    ck_assert_int_eq(list_bookings(1, T0, T0 + DAY, 0), BK_OK);
    const unsigned live[] = {2};
    assert_ids("live", 1, live, K_BOOK);
}
END_TEST

START_TEST(booking_update_keeps_provider_and_rekeys)
{
    seed_p1s1();
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    bk_booking b = mkbook(1, 1, 1, T0, T0 + HOUR);
    b.idempotency_key = "old";
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);
    bk_booking other = mkbook(2, 1, 1, T0 + 2 * HOUR, T0 + 3 * HOUR);
    other.idempotency_key = "taken";
    ck_assert_int_eq(st->booking_insert(st, &other, EMAIL_KEY, &SINK, &err), BK_OK);

    bk_booking u = b;
    u.provider = mkid(K_PROV, 2); /* ignored */
    u.idempotency_key = "taken";
    u.lock_version = 2;
    ck_assert_int_eq(st->booking_update(st, &u, EMAIL_KEY, 1, &err), BK_EEXISTS);
    u.idempotency_key = "new";
    ck_assert_int_eq(st->booking_update(st, &u, EMAIL_KEY, 1, &err), BK_OK);
    ck_assert_int_eq(get_booking(1), BK_OK);
    ck_assert_ptr_nonnull(strstr(R.ev[0].text, idstr(K_PROV, 1)));
    ck_assert_int_eq(count_bookings(1), 2);

    /* "old" is free, "new" is held. */
    bk_booking c = mkbook(3, 1, 1, T0 + 5 * HOUR, T0 + 6 * HOUR);
    c.idempotency_key = "old";
    ck_assert_int_eq(st->booking_insert(st, &c, EMAIL_KEY, &SINK, &err), BK_OK);
    c = mkbook(4, 1, 1, T0 + 7 * HOUR, T0 + 8 * HOUR);
    c.idempotency_key = "new";
    rec_reset();
    ck_assert_int_eq(st->booking_insert(st, &c, EMAIL_KEY, &SINK, &err), BK_EEXISTS);
    ck_assert_str_eq(R.ev[0].id, b.id.s);
}
END_TEST

START_TEST(booking_update_missing_is_enotfound)
{
    seed_p1s1();
    bk_booking b = mkbook(1, 1, 1, T0, T0 + HOUR);
    ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, 1, &err), BK_ENOTFOUND);
}
END_TEST

/* A simple model of one provider's bookings, checked against the store's
 * answers for many random inserts, cancels and windows: the indexes
 * (sorted vectors, max lengths) must agree with brute force. */
struct model_booking {
    unsigned n;
    bk_time start, end, os, oe;
    int live;
    int64_t version;
    int bb, ba;
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t bound)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % bound);
}

static int model_overlaps(bk_time a0, bk_time a1, bk_time b0, bk_time b1)
{
    return a0 < b1 && b0 < a1;
}

START_TEST(booking_index_agrees_with_brute_force)
{
    enum { ATTEMPTS = 1500, WINDOWS = 150 };
    static struct model_booking model[ATTEMPTS];
    size_t n = 0;
    seed_p1s1();
    for (unsigned i = 1; i <= ATTEMPTS; i++) {
        if (n && rnd(6) == 0) {
            struct model_booking *m = &model[rnd((uint32_t)n)];
            bk_booking b = mkbook(m->n, 1, 1, m->start, m->end);
            b.buffer_before_minutes = m->bb;
            b.buffer_after_minutes = m->ba;
            b.status = m->live ? BK_BOOKING_CANCELLED : BK_BOOKING_CONFIRMED;
            b.lock_version = m->version + 1;
            int expect = BK_OK;
            for (size_t k = 0; k < n && !m->live; k++)
                if (&model[k] != m && model[k].live &&
                    model_overlaps(m->os, m->oe, model[k].os, model[k].oe))
                    expect = BK_ECONFLICT;
            ck_assert_int_eq(st->booking_update(st, &b, EMAIL_KEY, m->version, &err), expect);
            if (expect == BK_OK) {
                m->live = !m->live;
                m->version++;
            }
            continue;
        }
        struct model_booking m = {i, 0, 0, 0, 0, rnd(5) != 0, 1, 0, 0};
        m.bb = (int)rnd(4) * 10;
        m.ba = (int)rnd(4) * 10;
        m.start = T0 + (bk_time)rnd(14 * 24 * 12) * 5 * MIN;
        m.end = m.start + (bk_time)(1 + rnd(rnd(10) == 0 ? 3000 : 48)) * 5 * MIN;
        m.os = m.start - m.bb * MIN;
        m.oe = m.end + m.ba * MIN;
        int expect = BK_OK;
        for (size_t k = 0; k < n && m.live; k++)
            if (model[k].live && model_overlaps(m.os, m.oe, model[k].os, model[k].oe))
                expect = BK_ECONFLICT;
        ck_assert_int_eq(book(i, m.start, m.end, m.bb, m.ba,
                              m.live ? BK_BOOKING_CONFIRMED : BK_BOOKING_CANCELLED),
                         expect);
        if (expect == BK_OK)
            model[n++] = m;
    }
    ck_assert_int_gt((int)n, 100);

    for (int w = 0; w < WINDOWS; w++) {
        bk_time from = T0 - DAY + (bk_time)rnd(16 * 24) * HOUR;
        bk_time to = from + (bk_time)(1 + rnd(72)) * HOUR;
        int cancelled_too = (int)rnd(2);
        ck_assert_int_eq(list_bookings(1, from, to, cancelled_too), BK_OK);
        ck_assert(!R.overflow);
        int want = 0;
        for (size_t k = 0; k < n; k++)
            want += (cancelled_too || model[k].live) &&
                    model_overlaps(model[k].start, model[k].end, from, to);
        ck_assert_int_eq(R.n, want);
        for (int e = 1; e < R.n; e++)
            ck_assert(R.ev[e - 1].start < R.ev[e].start ||
                      (R.ev[e - 1].start == R.ev[e].start &&
                       strcmp(R.ev[e - 1].id, R.ev[e].id) < 0));
        for (int e = 0; e < R.n; e++)
            ck_assert(model_overlaps(R.ev[e].start, R.ev[e].end, from, to));

        bk_schedule_request req = {1, mkid(K_PROV, 1), mkid(K_SVC, 1), from, to,
                                   {2025, 1, 1}, {2025, 1, 1}, NULL, 0, 0};
        rec_reset();
        ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_OK);
        int live = 0;
        for (size_t k = 0; k < n; k++)
            live += model[k].live && model_overlaps(model[k].os, model[k].oe, from, to);
        ck_assert_int_eq(R.n, 2 + live);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* schedule_load                                                       */
/* ------------------------------------------------------------------ */

/* Provider 1 (service 1) and a decoy provider 2 (service 2) with records
 * inside and outside a window [T0 + 8h, T0 + 20h) / 2025-06-16..17. */
static void seed_schedule(void)
{
    seed_p1s1();
    ck_assert_int_eq(add_prov(st, 2), BK_OK);
    ck_assert_int_eq(add_svc(st, 2, 2), BK_OK);
    ck_assert_int_eq(add_avail(st, 1, 1, 2, 540, 1020, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 2, 1, 1, 540, 1020, 1), BK_OK);
    ck_assert_int_eq(add_avail(st, 3, 2, 1, 540, 1020, 1), BK_OK);
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 15, 0, NULL), BK_OK);
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 16, 0, NULL), BK_OK);
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 17, 0, NULL), BK_OK);
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 18, 0, NULL), BK_OK);
    ck_assert_int_eq(put_override(st, 2, 2025, 6, 16, 0, NULL), BK_OK);
    /* Blocked 1 touches the window; 3 is the decoy's. */
    ck_assert_int_eq(add_blocked(st, 1, 1, T0 + 7 * HOUR, T0 + 8 * HOUR, NULL), BK_OK);
    ck_assert_int_eq(add_blocked(st, 2, 1, T0 + 12 * HOUR, T0 + 13 * HOUR, NULL), BK_OK);
    ck_assert_int_eq(add_blocked(st, 3, 2, T0 + 12 * HOUR, T0 + 13 * HOUR, NULL), BK_OK);
    /* Bookings: 1 before the window whose after-buffer reaches into it;
     * 2 inside; 3 cancelled inside; 4 starting at the window's end with a
     * before-buffer reaching back in; 5 overlaps 4's before-buffer and is
     * refused; 6 ends where booking 1 starts, before the window. */
    ck_assert_int_eq(book(1, T0 + 7 * HOUR, T0 + 8 * HOUR, 0, 15, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(book(2, T0 + 14 * HOUR, T0 + 15 * HOUR, 0, 0, BK_BOOKING_PENDING), BK_OK);
    ck_assert_int_eq(book(3, T0 + 15 * HOUR, T0 + 16 * HOUR, 0, 0, BK_BOOKING_CANCELLED), BK_OK);
    ck_assert_int_eq(book(4, T0 + 20 * HOUR, T0 + 21 * HOUR, 10, 0, BK_BOOKING_CONFIRMED), BK_OK);
    ck_assert_int_eq(
        book(5, T0 + 21 * HOUR + 10 * MIN, T0 + 22 * HOUR, 70, 0, BK_BOOKING_CONFIRMED),
        BK_ECONFLICT);
    ck_assert_int_eq(book(6, T0 + 6 * HOUR, T0 + 7 * HOUR, 0, 0, BK_BOOKING_CONFIRMED), BK_OK);
    bk_booking other = mkbook(7, 2, 2, T0 + 14 * HOUR, T0 + 15 * HOUR);
    ck_assert_int_eq(st->booking_insert(st, &other, EMAIL_KEY, &SINK, &err), BK_OK);
}

static bk_schedule_request schedule_request(void)
{
    bk_schedule_request req = {1, mkid(K_PROV, 1), mkid(K_SVC, 1), T0 + 8 * HOUR, T0 + 20 * HOUR,
                               {2025, 6, 16}, {2025, 6, 17}, NULL, 0, 0};
    return req;
}

START_TEST(schedule_load_emits_everything_in_order_and_filtered)
{
    seed_schedule();
    bk_schedule_request req = schedule_request();
    rec_reset();
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_OK);
    ck_assert_str_eq(rec_kinds(), "PSAAOOXBBB");
    ck_assert_str_eq(R.ev[0].id, idstr(K_PROV, 1));
    ck_assert_str_eq(R.ev[1].id, idstr(K_SVC, 1));
    ck_assert_str_eq(R.ev[2].id, idstr(K_AVAIL, 2)); /* Monday first */
    ck_assert_str_eq(R.ev[3].id, idstr(K_AVAIL, 1));
    ck_assert_int_eq(R.ev[4].date.day, 16);
    ck_assert_int_eq(R.ev[5].date.day, 17);
    ck_assert_str_eq(R.ev[6].id, idstr(K_BLOCKED, 2));
    ck_assert_str_eq(R.ev[7].id, idstr(K_BOOK, 1));
    ck_assert_str_eq(R.ev[8].id, idstr(K_BOOK, 2));
    ck_assert_str_eq(R.ev[9].id, idstr(K_BOOK, 4));
}
END_TEST

START_TEST(schedule_load_adds_the_keyed_booking_whatever_its_status_or_time)
{
    seed_schedule();
    bk_booking b = mkbook(20, 1, 1, T0 + 30 * DAY, T0 + 30 * DAY + HOUR);
    b.idempotency_key = "client-42";
    b.status = BK_BOOKING_CANCELLED;
    ck_assert_int_eq(st->booking_insert(st, &b, EMAIL_KEY, &SINK, &err), BK_OK);

    bk_schedule_request req = schedule_request();
    req.idempotency_key = "client-42";
    rec_reset();
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_OK);
    ck_assert_str_eq(rec_kinds(), "PSAAOOXBBBK");
    ck_assert_str_eq(R.ev[10].id, b.id.s);

    req.idempotency_key = "unknown";
    rec_reset();
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_OK);
    ck_assert_str_eq(rec_kinds(), "PSAAOOXBBB");
}
END_TEST

START_TEST(schedule_load_of_missing_provider_is_enotfound)
{
    seed_schedule();
    bk_schedule_request req = schedule_request();
    req.provider = mkid(K_PROV, 9);
    rec_reset();
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_ENOTFOUND);
    ck_assert_str_eq(err.message, "provider: not found");
    ck_assert_int_eq(R.n, 0);
}
END_TEST

START_TEST(schedule_load_with_missing_or_foreign_service_is_enotfound)
{
    seed_schedule();
    bk_schedule_request req = schedule_request();
    req.service = mkid(K_SVC, 9);
    rec_reset();
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(R.n, 0);
    req.service = mkid(K_SVC, 2);
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "service"));
    ck_assert_int_eq(R.n, 0);
}
END_TEST

START_TEST(schedule_load_rejects_an_unknown_request_version)
{
    seed_schedule();
    bk_schedule_request req = schedule_request();
    req.version = 2;
    ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), BK_EMISUSE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Sinks                                                               */
/* ------------------------------------------------------------------ */

START_TEST(sink_returning_nonzero_stops_the_read)
{
    for (unsigned i = 1; i <= 5; i++)
        ck_assert_int_eq(add_prov(st, i), BK_OK);
    R.stop_after = 2;
    R.stop_rc = 77;
    ck_assert_int_eq(st->provider_list(st, &SINK, &err), 77);
    ck_assert_int_eq(R.n, 2);
}
END_TEST

START_TEST(sink_returning_nonzero_stops_schedule_load)
{
    seed_schedule();
    bk_schedule_request req = schedule_request();
    req.idempotency_key = "none";
    for (int stop = 1; stop <= 10; stop++) {
        rec_reset();
        R.stop_after = stop;
        R.stop_rc = -100 - stop;
        ck_assert_int_eq(st->schedule_load(st, &req, &SINK, &err), -100 - stop);
        ck_assert_int_eq(R.n, stop);
    }
}
END_TEST

START_TEST(sink_returning_nonzero_stops_booking_list)
{
    seed_p1s1();
    for (unsigned i = 0; i < 4; i++)
        ck_assert_int_eq(book(i + 1, T0 + (bk_time)i * HOUR, T0 + (bk_time)i * HOUR + HOUR, 0, 0,
                              BK_BOOKING_CONFIRMED),
                         BK_OK);
    bk_store_booking_query q = {1, mkid(K_PROV, 1), T0, T0 + DAY, 1, 0, NULL};
    rec_reset();
    R.stop_after = 3;
    R.stop_rc = 5;
    ck_assert_int_eq(st->booking_list(st, &q, &SINK, &err), 5);
    ck_assert_int_eq(R.n, 3);
}
END_TEST

START_TEST(sink_with_null_callbacks_is_skipped)
{
    seed_schedule();
    bk_store_sink only_bookings = {0};
    only_bookings.booking = on_booking;
    bk_schedule_request req = schedule_request();
    rec_reset();
    ck_assert_int_eq(st->schedule_load(st, &req, &only_bookings, &err), BK_OK);
    ck_assert_str_eq(rec_kinds(), "BBB");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Shared and private stores                                           */
/* ------------------------------------------------------------------ */

START_TEST(store_reports_its_name_and_version)
{
    ck_assert_str_eq(st->name, "memory");
    ck_assert_uint_eq(st->version, BK_STORE_VERSION);
}
END_TEST

START_TEST(shared_store_is_visible_across_handles)
{
    bk_store *a = NULL, *b = NULL;
    ck_assert_int_eq(memory_store_open("shared1", &a, &err), BK_OK);
    ck_assert_int_eq(memory_store_open("shared1", &b, &err), BK_OK);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(add_prov(a, 1), BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(b->provider_get(b, &p1, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    /* Uniqueness holds across handles. */
    ck_assert_int_eq(add_prov(b, 1), BK_EEXISTS);
    /* Closing one handle keeps the data for the other. */
    a->close(a);
    rec_reset();
    ck_assert_int_eq(b->provider_get(b, &p1, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 1);
    b->close(b);
}
END_TEST

START_TEST(private_stores_are_isolated)
{
    bk_store *other = NULL, *named = NULL;
    ck_assert_int_eq(memory_store_open("", &other, &err), BK_OK);
    ck_assert_int_eq(memory_store_open("isolated", &named, &err), BK_OK);
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(other->provider_get(other, &p1, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(named->provider_get(named, &p1, &SINK, &err), BK_ENOTFOUND);
    ck_assert_int_eq(add_prov(other, 1), BK_OK);
    ck_assert_int_eq(add_prov(named, 1), BK_OK);
    other->close(other);
    named->close(named);
}
END_TEST

START_TEST(stores_of_different_names_are_isolated)
{
    bk_store *a = NULL, *b = NULL;
    ck_assert_int_eq(memory_store_open("name-a", &a, &err), BK_OK);
    ck_assert_int_eq(memory_store_open("name-b", &b, &err), BK_OK);
    ck_assert_int_eq(add_prov(a, 1), BK_OK);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(b->provider_get(b, &p1, &SINK, &err), BK_ENOTFOUND);
    a->close(a);
    b->close(b);
}
END_TEST

START_TEST(shared_store_is_freed_after_last_close_and_recreated_empty)
{
    bk_store *a = NULL, *b = NULL;
    ck_assert_int_eq(memory_store_open("shared2", &a, &err), BK_OK);
    ck_assert_int_eq(memory_store_open("shared2", &b, &err), BK_OK);
    ck_assert_int_eq(add_prov(a, 1), BK_OK);
    ck_assert_int_eq(add_svc(a, 1, 1), BK_OK);
    bk_booking bk = mkbook(1, 1, 1, T0, T0 + HOUR);
    ck_assert_int_eq(b->booking_insert(b, &bk, EMAIL_KEY, &SINK, &err), BK_OK);
    a->close(a);
    b->close(b);

    ck_assert_int_eq(memory_store_open("shared2", &a, &err), BK_OK);
    ck_assert_int_eq(a->provider_list(a, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
    bk_id p1 = mkid(K_PROV, 1);
    ck_assert_int_eq(a->provider_get(a, &p1, &SINK, &err), BK_ENOTFOUND);
    a->close(a);
}
END_TEST

START_TEST(open_without_out_is_einval)
{
    ck_assert_int_eq(memory_store_open("x", NULL, &err), BK_EINVAL);
}
END_TEST

START_TEST(null_arguments_are_einval_not_crashes)
{
    ck_assert_int_eq(add_prov(st, 1), BK_OK);
    bk_provider p = mkprov(2, "x", "x@example.com");
    ck_assert_int_eq(st->provider_insert(st, NULL, "x", "x", &err), BK_EINVAL);
    ck_assert_int_eq(st->provider_insert(st, &p, NULL, "x", &err), BK_EINVAL);
    ck_assert_int_eq(st->provider_update(st, &p, "x", NULL, &err), BK_EINVAL);
    ck_assert_int_eq(st->booking_insert(st, NULL, EMAIL_KEY, &SINK, &err), BK_EINVAL);
    ck_assert_int_eq(st->booking_list(st, NULL, &SINK, &err), BK_EINVAL);
    ck_assert_int_eq(st->schedule_load(st, NULL, &SINK, &err), BK_EINVAL);
    ck_assert_int_eq(st->override_put(st, NULL, NULL), BK_EINVAL);
    bk_local_interval *none = NULL;
    ck_assert_int_eq(put_override(st, 1, 2025, 6, 1, 2, none), BK_EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define RACE_THREADS 8
#define RACE_ROUNDS 200

struct race {
    pthread_barrier_t barrier;
    atomic_int wins[RACE_ROUNDS];
    atomic_int conflicts;
    atomic_int other;
};

struct racer {
    struct race *race;
    bk_store *store;
    unsigned tid;
};

/* Each round every thread tries a 30-minute booking starting tid minutes
 * after the round's hour: all of them overlap, so exactly one may win. */
static void *race_thread(void *arg)
{
    struct racer *me = arg;
    bk_store_err e;
    for (unsigned r = 0; r < RACE_ROUNDS; r++) {
        pthread_barrier_wait(&me->race->barrier);
        bk_time start = T0 + (bk_time)r * HOUR + (bk_time)me->tid * MIN;
        bk_booking b = mkbook(1000 + r * RACE_THREADS + me->tid, 1, 1, start, start + 30 * MIN);
        store_err_clear(&e);
        int rc = me->store->booking_insert(me->store, &b, EMAIL_KEY, NULL, &e);
        if (rc == BK_OK)
            atomic_fetch_add(&me->race->wins[r], 1);
        else if (rc == BK_ECONFLICT)
            atomic_fetch_add(&me->race->conflicts, 1);
        else
            atomic_fetch_add(&me->race->other, 1);
    }
    return NULL;
}

START_TEST(racing_handles_book_each_slot_exactly_once)
{
    static struct race race;
    memset(&race, 0, sizeof race);
    ck_assert_int_eq(pthread_barrier_init(&race.barrier, NULL, RACE_THREADS), 0);
    bk_store *seed = NULL;
    ck_assert_int_eq(memory_store_open("race1", &seed, &err), BK_OK);
    ck_assert_int_eq(add_prov(seed, 1), BK_OK);
    ck_assert_int_eq(add_svc(seed, 1, 1), BK_OK);

    struct racer racers[RACE_THREADS];
    pthread_t threads[RACE_THREADS];
    for (unsigned i = 0; i < RACE_THREADS; i++) {
        racers[i] = (struct racer){&race, NULL, i};
        ck_assert_int_eq(memory_store_open("race1", &racers[i].store, &err), BK_OK);
    }
    for (unsigned i = 0; i < RACE_THREADS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race_thread, &racers[i]), 0);
    for (unsigned i = 0; i < RACE_THREADS; i++) {
        pthread_join(threads[i], NULL);
        racers[i].store->close(racers[i].store);
    }
    pthread_barrier_destroy(&race.barrier);

    for (unsigned r = 0; r < RACE_ROUNDS; r++)
        ck_assert_msg(atomic_load(&race.wins[r]) == 1, "round %u: %d winners", r,
                      atomic_load(&race.wins[r]));
    ck_assert_int_eq(atomic_load(&race.conflicts), RACE_ROUNDS * (RACE_THREADS - 1));
    ck_assert_int_eq(atomic_load(&race.other), 0);

    bk_store_booking_query q = {1, mkid(K_PROV, 1), BK_TIME_MIN, BK_TIME_MAX, 1, 0, NULL};
    rec_reset();
    ck_assert_int_eq(seed->booking_list(seed, &q, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, RACE_ROUNDS);
    seed->close(seed);
}
END_TEST

/* Handles of one name opened and closed from many threads: the store may
 * be freed and re-created many times over, never while a handle uses it. */
static void *churn_thread(void *arg)
{
    unsigned tid = *(unsigned *)arg;
    int failures = 0;
    for (unsigned i = 0; i < 300; i++) {
        bk_store *s = NULL;
        bk_store_err e;
        store_err_clear(&e);
        if (memory_store_open("churn", &s, &e) != BK_OK) {
            failures++;
            continue;
        }
        char user[32], email[64], key[32];
        snprintf(user, sizeof user, "t%uu%u", tid, i);
        snprintf(email, sizeof email, "%s@example.com", user);
        snprintf(key, sizeof key, "%s", user);
        bk_provider p = mkprov(tid * 1000 + i, user, email);
        if (s->provider_insert(s, &p, key, email, &e) != BK_OK ||
            s->provider_get(s, &p.id, NULL, &e) != BK_OK)
            failures++;
        s->close(s);
    }
    return (void *)(intptr_t)failures;
}

START_TEST(shared_store_survives_concurrent_open_and_close)
{
    pthread_t threads[RACE_THREADS];
    unsigned tids[RACE_THREADS];
    for (unsigned i = 0; i < RACE_THREADS; i++) {
        tids[i] = i + 1;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, churn_thread, &tids[i]), 0);
    }
    intptr_t failures = 0;
    for (unsigned i = 0; i < RACE_THREADS; i++) {
        void *ret;
        pthread_join(threads[i], &ret);
        failures += (intptr_t)ret;
    }
    ck_assert_int_eq((int)failures, 0);
    bk_store *s = NULL;
    ck_assert_int_eq(memory_store_open("churn", &s, &err), BK_OK);
    ck_assert_int_eq(s->provider_list(s, &SINK, &err), BK_OK);
    ck_assert_int_eq(R.n, 0);
    s->close(s);
}
END_TEST

/* ------------------------------------------------------------------ */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *memory_store_suite(void)
{
    Suite *s = suite_create("memory_store");

    TCase *tc = tcase("providers");
    tcase_add_test(tc, provider_insert_then_get_returns_every_field);
    tcase_add_test(tc, provider_optional_strings_stay_null);
    tcase_add_test(tc, provider_get_missing_is_enotfound);
    tcase_add_test(tc, provider_strings_are_copied_not_borrowed);
    tcase_add_test(tc, provider_duplicate_username_is_eexists_naming_username);
    tcase_add_test(tc, provider_duplicate_email_is_eexists_naming_email);
    tcase_add_test(tc, provider_update_replaces_fields_and_keeps_created_at);
    tcase_add_test(tc, provider_update_may_keep_its_own_username_and_email);
    tcase_add_test(tc, provider_update_onto_another_username_is_eexists_and_changes_nothing);
    tcase_add_test(tc, provider_update_missing_is_enotfound);
    tcase_add_test(tc, provider_list_is_ordered_by_username);
    tcase_add_test(tc, provider_delete_cascades_to_everything_it_owns);
    tcase_add_test(tc, provider_delete_missing_is_enotfound);
    tcase_add_test(tc, many_providers_survive_index_growth_and_deletes);
    suite_add_tcase(s, tc);

    tc = tcase("services");
    tcase_add_test(tc, service_insert_then_get_returns_every_field);
    tcase_add_test(tc, service_insert_for_missing_provider_is_enotfound);
    tcase_add_test(tc, service_update_replaces_fields_but_not_provider);
    tcase_add_test(tc, service_update_missing_is_enotfound);
    tcase_add_test(tc, service_list_is_ordered_by_display_order_then_name);
    tcase_add_test(tc, service_list_of_missing_provider_is_enotfound);
    suite_add_tcase(s, tc);

    tc = tcase("calendar");
    tcase_add_test(tc, availability_list_is_ordered_by_weekday_start_end);
    tcase_add_test(tc, availability_delete_removes_only_that_row);
    tcase_add_test(tc, availability_insert_for_missing_provider_is_enotfound);
    tcase_add_test(tc, override_put_replaces_the_same_date);
    tcase_add_test(tc, override_list_is_inclusive_and_ordered_by_date);
    tcase_add_test(tc, override_delete_removes_that_date_only);
    tcase_add_test(tc, blocked_list_is_half_open_touching_excluded);
    tcase_add_test(tc, blocked_list_finds_long_periods_starting_far_before);
    tcase_add_test(tc, blocked_insert_keeps_every_field_and_delete_removes);
    tcase_add_test(tc, blocked_recurring_periods_are_listed_from_before_the_window);
    suite_add_tcase(s, tc);

    tc = tcase("bookings");
    tcase_add_test(tc, booking_insert_then_get_returns_every_field);
    tcase_add_test(tc, booking_get_missing_is_enotfound);
    tcase_add_test(tc, booking_insert_for_missing_provider_or_service_is_enotfound);
    tcase_add_test(tc, booking_list_is_half_open_touching_excluded);
    tcase_add_test(tc, booking_list_excludes_cancelled_unless_asked);
    tcase_add_test(tc, booking_list_is_ordered_by_start_then_id);
    tcase_add_test(tc, booking_list_finds_long_bookings_starting_far_before);
    tcase_add_test(tc, booking_list_of_missing_provider_is_enotfound);
    tcase_add_test(tc, booking_overlap_is_econflict_naming_the_booking);
    tcase_add_test(tc, booking_touching_ranges_do_not_conflict);
    tcase_add_test(tc, booking_buffers_extend_the_occupied_range);
    tcase_add_test(tc, booking_cancelled_bookings_do_not_conflict);
    tcase_add_test(tc, booking_inserted_cancelled_never_conflicts);
    tcase_add_test(tc, booking_completed_and_no_show_are_live_and_conflict);
    tcase_add_test(tc, booking_conflicts_are_per_provider);
    tcase_add_test(tc, booking_idempotency_key_returns_existing_via_keyed_booking);
    tcase_add_test(tc, booking_idempotency_key_holds_for_cancelled_bookings);
    tcase_add_test(tc, booking_idempotency_key_is_per_provider);
    tcase_add_test(tc, booking_keyed_callback_failure_is_returned);
    tcase_add_test(tc, booking_update_with_stale_version_is_estale_and_changes_nothing);
    tcase_add_test(tc, booking_update_onto_another_booking_is_econflict);
    tcase_add_test(tc, booking_update_moves_over_its_own_range_and_bumps_version);
    tcase_add_test(tc, booking_update_to_cancelled_frees_the_range);
    tcase_add_test(tc, booking_update_keeps_provider_and_rekeys);
    tcase_add_test(tc, booking_update_missing_is_enotfound);
    tcase_add_test(tc, booking_index_agrees_with_brute_force);
    suite_add_tcase(s, tc);

    tc = tcase("schedule");
    tcase_add_test(tc, schedule_load_emits_everything_in_order_and_filtered);
    tcase_add_test(tc, schedule_load_adds_the_keyed_booking_whatever_its_status_or_time);
    tcase_add_test(tc, schedule_load_of_missing_provider_is_enotfound);
    tcase_add_test(tc, schedule_load_with_missing_or_foreign_service_is_enotfound);
    tcase_add_test(tc, schedule_load_rejects_an_unknown_request_version);
    suite_add_tcase(s, tc);

    tc = tcase("sinks");
    tcase_add_test(tc, sink_returning_nonzero_stops_the_read);
    tcase_add_test(tc, sink_returning_nonzero_stops_schedule_load);
    tcase_add_test(tc, sink_returning_nonzero_stops_booking_list);
    tcase_add_test(tc, sink_with_null_callbacks_is_skipped);
    suite_add_tcase(s, tc);

    tc = tcase("stores");
    tcase_add_test(tc, store_reports_its_name_and_version);
    tcase_add_test(tc, shared_store_is_visible_across_handles);
    tcase_add_test(tc, private_stores_are_isolated);
    tcase_add_test(tc, stores_of_different_names_are_isolated);
    tcase_add_test(tc, shared_store_is_freed_after_last_close_and_recreated_empty);
    tcase_add_test(tc, open_without_out_is_einval);
    tcase_add_test(tc, null_arguments_are_einval_not_crashes);
    suite_add_tcase(s, tc);

    tc = tcase("threads");
    tcase_add_test(tc, racing_handles_book_each_slot_exactly_once);
    tcase_add_test(tc, shared_store_survives_concurrent_open_and_close);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    Suite *suites[] = {memory_store_suite()};
    return harness_run(suites, 1);
}
