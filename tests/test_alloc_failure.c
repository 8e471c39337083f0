/* Allocation-failure injection (issue 7, part 3).  Built only with
 * -Dfault_injection=true, against the internal static library, whose
 * lib/util/alloc.c then counts allocations and fails the N-th on request.
 *
 * For every public call that allocates, on a fresh store built the same way
 * each time ("memory:"), the call runs with the 1st, 2nd, 3rd, ... library
 * allocation failing, until it succeeds without the injection firing.  For
 * each N:
 *
 *  - it returns BK_OK or BK_ENOMEM, nothing else, and does not crash;
 *  - after BK_ENOMEM the store is exactly as before (a textual snapshot of
 *    every record, every field, read back through the public API with the
 *    injection off), outputs are cleared and the error is BK_ENOMEM;
 *  - after BK_OK (the last N, or an N whose failure the call absorbed) the
 *    store and the call's output are those of a reference run without
 *    injection, ids and clock readings aside.
 *
 * Leaks are not checked here: run under valgrind or ASan (tests/run-all.sh
 * runs this suite under ASan with leak detection), which is why every path
 * frees what it made.  Only allocations through lib/util/alloc.c are
 * injected: those ICU and libc make on their own are not.
 *
 * BK_FAULT_TRACE=1 in the environment prints each call and N before it
 * runs, to find the step a crash happened in. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <booking.h>

#include "harness.h"
#include "util/alloc.h"

#ifndef BK_FAULT_INJECTION
#error "test_alloc_failure.c needs a build with -Dfault_injection=true"
#endif

/* ------------------------------------------------------------------ */
/* Growing text (the test's own memory: plain malloc, never injected)  */
/* ------------------------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_vprintf(sbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int need = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (need < 0)
        abort();
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + (size_t)need + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s)
            abort();
        b->s = s;
        b->cap = cap;
    }
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    b->n += (size_t)need;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

static const char *sb_str(const sbuf *b) { return b->s ? b->s : ""; }

static void sb_free(sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Records as text                                                     */
/* ------------------------------------------------------------------ */

static const char *nz(const char *s) { return s ? s : "<null>"; }

/* An instant as ISO text (or "unset"), in one of a few static buffers. */
static const char *tm(bk_time t)
{
    static char ring[16][BK_ISO_SIZE + 8];
    static unsigned next;
    char *buf = ring[next++ % 16];
    if (t == BK_TIME_UNSET)
        return "unset";
    if (bk_time_format_iso(t, buf) != BK_OK)
        snprintf(buf, sizeof ring[0], "%lld", (long long)t);
    return buf;
}

static void put_provider(sbuf *b, const bk_provider *p)
{
    sb_printf(b,
              "provider v%u %s user=%s email=%s name=%s tz=%s biz=%s desc=%s avatar=%s created=%s updated=%s "
              "deleted=%s\n",
              p->version, p->id.s, nz(p->username), nz(p->email), nz(p->full_name), nz(p->timezone),
              nz(p->business_name), nz(p->description), nz(p->avatar_url), tm(p->created_at), tm(p->updated_at),
              tm(p->deleted_at));
}

static void put_service(sbuf *b, const bk_service *s)
{
    sb_printf(b,
              "service v%u %s of %s name=%s desc=%s dur=%d before=%d after=%d step=%d notice=%d horizon=%d "
              "price=%lld %s active=%d order=%d confirm=%d created=%s updated=%s\n",
              s->version, s->id.s, s->provider.s, nz(s->name), nz(s->description), s->duration_minutes,
              s->buffer_before_minutes, s->buffer_after_minutes, s->slot_step_minutes, s->min_notice_minutes,
              s->horizon_days, (long long)s->price_minor, nz(s->currency), s->active, s->display_order,
              s->requires_confirmation, tm(s->created_at), tm(s->updated_at));
}

static void put_availability(sbuf *b, const bk_availability *a)
{
    sb_printf(b, "availability v%u %s of %s wd=%d [%d,%d) available=%d\n", a->version, a->id.s, a->provider.s,
              a->weekday, a->start_minute, a->end_minute, a->is_available);
}

static void put_override(sbuf *b, const bk_override *o)
{
    sb_printf(b, "override v%u of %s %04d-%02d-%02d n=%zu", o->version, o->provider.s, o->date.year, o->date.month,
              o->date.day, o->n_intervals);
    for (size_t i = 0; i < o->n_intervals && o->intervals; i++)
        sb_printf(b, " [%d,%d)", o->intervals[i].start_minute, o->intervals[i].end_minute);
    sb_printf(b, "\n");
}

static void put_blocked(sbuf *b, const bk_blocked *x)
{
    sb_printf(b, "blocked v%u %s of %s [%s,%s) rrule=%s reason=%s\n", x->version, x->id.s, x->provider.s,
              tm(x->start), tm(x->end), nz(x->rrule), nz(x->reason));
}

static void put_booking(sbuf *b, const bk_booking *k)
{
    sb_printf(b,
              "booking v%u %s of %s svc %s [%s,%s) before=%d after=%d status=%s lock=%lld key=%s cust=%s "
              "email=%s phone=%s tz=%s notes=%s reason=%s created=%s updated=%s confirmed=%s cancelled=%s "
              "archived=%s\n",
              k->version, k->id.s, k->provider.s, k->service.s, tm(k->start), tm(k->end), k->buffer_before_minutes,
              k->buffer_after_minutes, nz(bk_booking_status_name(k->status)), (long long)k->lock_version,
              nz(k->idempotency_key), nz(k->customer_name), nz(k->customer_email), nz(k->customer_phone),
              nz(k->customer_timezone), nz(k->notes), nz(k->cancellation_reason), tm(k->created_at),
              tm(k->updated_at), tm(k->confirmed_at), tm(k->cancelled_at), tm(k->archived_at));
}

/* ------------------------------------------------------------------ */
/* Snapshot of a whole store, read with the injection off              */
/* ------------------------------------------------------------------ */

#define SNAP_OK(call)                                                                                              \
    do {                                                                                                           \
        int snap_rc_ = (call);                                                                                     \
        ck_assert_msg(snap_rc_ == BK_OK, "snapshot: %s: %s (%s)", #call, bk_strerror(snap_rc_), bk_errmsg(db));   \
    } while (0)

static void snapshot(bk_db *db, sbuf *b)
{
    bki_fault_arm(0);
    bk_provider **provs = NULL;
    size_t n_provs = 0;
    SNAP_OK(bk_provider_list(db, &provs, &n_provs));
    sb_printf(b, "%zu providers\n", n_provs);
    for (size_t i = 0; i < n_provs; i++) {
        const bk_id *p = &provs[i]->id;
        put_provider(b, provs[i]);

        bk_service **svcs = NULL;
        size_t n = 0;
        SNAP_OK(bk_service_list(db, p, &svcs, &n));
        for (size_t j = 0; j < n; j++)
            put_service(b, svcs[j]);
        bk_service_list_free(svcs, n);

        bk_availability **rows = NULL;
        SNAP_OK(bk_availability_list(db, p, &rows, &n));
        for (size_t j = 0; j < n; j++)
            put_availability(b, rows[j]);
        bk_availability_list_free(rows, n);

        bk_date from = {1900, 1, 1}, to = {2199, 12, 31};
        bk_override **ovs = NULL;
        SNAP_OK(bk_override_list(db, p, &from, &to, &ovs, &n));
        for (size_t j = 0; j < n; j++)
            put_override(b, ovs[j]);
        bk_override_list_free(ovs, n);

        bk_blocked **bls = NULL;
        SNAP_OK(bk_blocked_list(db, p, BK_TIME_MIN, BK_TIME_MAX, &bls, &n));
        for (size_t j = 0; j < n; j++)
            put_blocked(b, bls[j]);
        bk_blocked_list_free(bls, n);

        bk_booking_filter f = BK_BOOKING_FILTER_INIT;
        f.provider = *p;
        f.include_cancelled = 1;
        bk_booking **bks = NULL;
        SNAP_OK(bk_booking_list(db, &f, &bks, &n));
        for (size_t j = 0; j < n; j++)
            put_booking(b, bks[j]);
        bk_booking_list_free(bks, n);
    }
    bk_provider_list_free(provs, n_provs);
}

/* ------------------------------------------------------------------ */
/* Normal form: ids and clock readings differ from run to run          */
/* ------------------------------------------------------------------ */

static bk_time test_started;

static int is_uuid_at(const char *s)
{
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static int is_iso_at(const char *s, bk_time *t)
{
    char buf[BK_ISO_SIZE];
    if (strnlen(s, BK_ISO_SIZE - 1) < BK_ISO_SIZE - 1)
        return 0;
    memcpy(buf, s, BK_ISO_SIZE - 1);
    buf[BK_ISO_SIZE - 1] = '\0';
    if (buf[4] != '-' || buf[10] != 'T' || buf[19] != 'Z')
        return 0;
    return bk_time_parse_iso(buf, t) == BK_OK;
}

/* Ids become #1, #2, ... in order of first appearance (the snapshot's order
 * is fixed by the data: no two records of a list tie on their sort keys),
 * and instants read from the clock during the test become "<clock>". */
static void normalise(const char *in, sbuf *out)
{
    char (*seen)[37] = NULL;
    size_t n_seen = 0, cap_seen = 0;
    bk_time clock_hi = (bk_time)time(NULL) + 120;
    for (const char *p = in; *p;) {
        bk_time t;
        if (strnlen(p, 36) == 36 && is_uuid_at(p)) {
            size_t k;
            for (k = 0; k < n_seen && memcmp(seen[k], p, 36) != 0; k++)
                ;
            if (k == n_seen) {
                if (n_seen == cap_seen) {
                    cap_seen = cap_seen ? cap_seen * 2 : 64;
                    seen = realloc(seen, cap_seen * sizeof *seen);
                    if (!seen)
                        abort();
                }
                memcpy(seen[n_seen], p, 36);
                seen[n_seen][36] = '\0';
                n_seen++;
            }
            sb_printf(out, "#%zu", k + 1);
            p += 36;
        } else if (is_iso_at(p, &t)) {
            if (t >= test_started - 120 && t <= clock_hi)
                sb_printf(out, "<clock>");
            else
                sb_printf(out, "%.20s", p);
            p += BK_ISO_SIZE - 1;
        } else {
            sb_printf(out, "%c", *p);
            p++;
        }
    }
    free(seen);
}

/* ------------------------------------------------------------------ */
/* The store every call runs against                                   */
/* ------------------------------------------------------------------ */

typedef struct fx {
    bk_db *db;
    bk_id alice, bob;                 /* providers */
    bk_id consult, review, call;      /* services: alice's two, bob's one */
    bk_id row_mon, row_wed_cut;       /* alice's weekly rows */
    bk_id blocked;                    /* alice's blocked period */
    bk_id confirmed, pending, keyed;  /* alice's bookings */
    bk_id imported;                   /* alice's imported (cancelled) booking */
    bk_id bobs;                       /* bob's booking */
} fx;

static bk_time T(const char *iso)
{
    bk_time t;
    ck_assert_msg(bk_time_parse_iso(iso, &t) == BK_OK, "%s", iso);
    return t;
}

/* Every booking and slot query of the test happens at this "now". */
static bk_time fx_now(void) { return T("2029-12-01T00:00:00Z"); }

#define FX_OK(call)                                                                                                \
    do {                                                                                                           \
        int fx_rc_ = (call);                                                                                       \
        ck_assert_msg(fx_rc_ == BK_OK, "fixture: %s: %s (%s)", #call, bk_strerror(fx_rc_), bk_errmsg(f->db));     \
    } while (0)

static void fx_provider(fx *f, bk_id *id, const char *user, const char *zone, int full)
{
    bk_provider p = BK_PROVIDER_INIT;
    char email[100];
    snprintf(email, sizeof email, "%s@example.com", user);
    p.username = user;
    p.email = email;
    p.full_name = full ? "Alice Ärztin" : "Bob";
    p.timezone = zone;
    if (full) {
        p.business_name = "Praxis Straße 5";
        p.description = "General practice";
        p.avatar_url = "https://example.com/a.png";
    }
    FX_OK(bk_provider_create(f->db, &p, id));
}

static void fx_service(fx *f, bk_id *id, const bk_id *provider, const char *name, int duration, int before,
                       int after, int order, int confirm)
{
    bk_service s = BK_SERVICE_INIT;
    s.provider = *provider;
    s.name = name;
    s.description = "about it";
    s.duration_minutes = duration;
    s.buffer_before_minutes = before;
    s.buffer_after_minutes = after;
    s.price_minor = 5000 + order;
    s.display_order = order;
    s.requires_confirmation = confirm;
    FX_OK(bk_service_create(f->db, &s, id));
}

static void fx_row(fx *f, bk_id *id, const bk_id *provider, int weekday, int start, int end, int available)
{
    bk_availability a = BK_AVAILABILITY_INIT;
    a.provider = *provider;
    a.weekday = weekday;
    a.start_minute = start;
    a.end_minute = end;
    a.is_available = available;
    FX_OK(bk_availability_add(f->db, &a, id));
}

/* alice's request for service `svc` at `start`: the fixture's and the
 * calls' bookings are all made from these fields. */
static bk_book_request fx_request(const fx *f, const bk_id *svc, bk_time start, const char *key)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = f->alice;
    r.service = *svc;
    r.start = start;
    r.now = fx_now();
    r.idempotency_key = key;
    r.customer_name = "Carla Kundin";
    r.customer_email = "carla@example.org";
    r.customer_phone = "+49 30 1234567";
    r.customer_timezone = "Europe/Berlin";
    r.notes = "first visit";
    return r;
}

static void fx_book(fx *f, bk_id *id, const bk_book_request *r)
{
    bk_booking *b = NULL;
    FX_OK(bk_book(f->db, r, &b));
    *id = b->id;
    bk_booking_free(b);
}

/* 2030-01-07 is a Monday; alice works in Berlin (UTC+1 in January), bob in
 * New York (UTC-5). */
static void fx_build(fx *f)
{
    memset(f, 0, sizeof *f);
    bki_fault_arm(0);
    ck_assert_int_eq(bk_open(&f->db, "memory:"), BK_OK);
    fx_provider(f, &f->alice, "alice", "Europe/Berlin", 1);
    fx_provider(f, &f->bob, "bob", "America/New_York", 0);
    fx_service(f, &f->consult, &f->alice, "Consultation", 30, 5, 10, 1, 0);
    fx_service(f, &f->review, &f->alice, "Review", 60, 0, 0, 2, 1);
    fx_service(f, &f->call, &f->bob, "Call", 45, 0, 15, 1, 0);
    /* Eight rows for alice, twelve in the store: the next one added grows
     * her row vector and rehashes the store's id map, so that those
     * allocations are injected too. */
    for (int wd = 1; wd <= 5; wd++)
        fx_row(f, wd == 1 ? &f->row_mon : NULL, &f->alice, wd, 9 * 60, 17 * 60, 1);
    fx_row(f, &f->row_wed_cut, &f->alice, 3, 12 * 60, 13 * 60, 0);
    fx_row(f, NULL, &f->alice, 1, 18 * 60, 19 * 60, 1);
    fx_row(f, NULL, &f->alice, 2, 18 * 60, 19 * 60, 1);
    for (int wd = 1; wd <= 4; wd++)
        fx_row(f, NULL, &f->bob, wd, 10 * 60, 16 * 60, 1);

    bk_local_interval iv[2] = {{10 * 60, 12 * 60}, {14 * 60, 16 * 60}};
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = f->alice;
    o.date = (bk_date){2030, 1, 10};
    o.n_intervals = 2;
    o.intervals = iv;
    FX_OK(bk_override_set(f->db, &o));
    o.date = (bk_date){2030, 1, 11};
    o.n_intervals = 0;
    o.intervals = NULL;
    FX_OK(bk_override_set(f->db, &o));

    bk_blocked bl = BK_BLOCKED_INIT;
    bl.provider = f->alice;
    bl.start = T("2030-01-08T13:00:00Z");
    bl.end = T("2030-01-08T15:00:00Z");
    bl.reason = "Dentist";
    FX_OK(bk_blocked_add(f->db, &bl, &f->blocked));

    bk_book_request r = fx_request(f, &f->consult, T("2030-01-07T08:00:00Z"), NULL);
    fx_book(f, &f->confirmed, &r);
    r = fx_request(f, &f->review, T("2030-01-07T10:00:00Z"), NULL);
    fx_book(f, &f->pending, &r);
    r = fx_request(f, &f->consult, T("2030-01-09T08:00:00Z"), "fixture-key-1");
    fx_book(f, &f->keyed, &r);
    /* More of alice's bookings: eleven in all (a list of them grows its
     * array past eight), twelve in the store (the next one rehashes the
     * store's id map). */
    static const char *const more[] = {"2030-01-07T13:00:00Z", "2030-01-07T14:00:00Z", "2030-01-07T15:00:00Z",
                                       "2030-01-08T11:00:00Z", "2030-01-08T12:00:00Z", "2030-01-08T15:30:00Z",
                                       "2030-01-09T09:30:00Z"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        bk_id ignored;
        r = fx_request(f, &f->consult, T(more[i]), NULL);
        fx_book(f, &ignored, &r);
    }

    bk_booking imp;
    memset(&imp, 0, sizeof imp);
    imp.version = BK_BOOKING_VERSION;
    imp.provider = f->alice;
    imp.service = f->consult;
    imp.start = T("2030-01-07T12:00:00Z");
    imp.end = T("2030-01-07T12:30:00Z");
    imp.status = BK_BOOKING_CANCELLED;
    imp.customer_name = "Old Customer";
    imp.customer_email = "old@example.org";
    imp.cancellation_reason = "moved away";
    imp.confirmed_at = T("2029-11-01T00:00:00Z");
    imp.cancelled_at = T("2029-11-02T00:00:00Z");
    FX_OK(bk_booking_import(f->db, &imp, &f->imported));

    bk_book_request rb = BK_BOOK_REQUEST_INIT;
    rb.provider = f->bob;
    rb.service = f->call;
    rb.start = T("2030-01-07T15:00:00Z");
    rb.now = fx_now();
    rb.customer_name = "Dan";
    rb.customer_email = "dan@example.org";
    bk_booking *b = NULL;
    FX_OK(bk_book(f->db, &rb, &b));
    f->bobs = b->id;
    bk_booking_free(b);
}

static void fx_free(fx *f)
{
    bk_close(f->db);
    f->db = NULL;
}

/* ------------------------------------------------------------------ */
/* The calls                                                           */
/* ------------------------------------------------------------------ */

/* Each call runs one public function against the fixture, writes what it
 * handed back into `out` (on success) and checks that its outputs are
 * cleared on failure, appending what is wrong to `bad`. */
typedef int (*call_fn)(fx *f, sbuf *out, sbuf *bad);

/* Ends the injection before a call's own follow-up work (reading back a
 * new handle), keeping what the call under test did: count and fired. */
static int paused, paused_fired;
static long paused_count;

static void injection_pause(void)
{
    if (paused)
        return;
    paused = 1;
    paused_count = bki_fault_count();
    paused_fired = bki_fault_fired();
    bki_fault_arm(0);
}

#define EXPECT(cond, ...)                                                                                          \
    do {                                                                                                           \
        if (!(cond))                                                                                               \
            sb_printf(bad, __VA_ARGS__);                                                                           \
    } while (0)

/* ---- handles ---- */

static int open_with(const char *uri, sbuf *out, sbuf *bad)
{
    bk_db *db = (bk_db *)&db; /* not NULL: the call must clear it */
    int rc = bk_open(&db, uri);
    if (rc == BK_OK) {
        /* A usable handle on an empty store. */
        bk_provider **list = NULL;
        size_t n = 99;
        injection_pause();
        int lrc = bk_provider_list(db, &list, &n);
        sb_printf(out, "opened; list rc=%d n=%zu\n", lrc, n);
        bk_provider_list_free(list, n);
        bk_close(db);
    } else {
        EXPECT(db == NULL, "*out not NULL after failure; ");
    }
    return rc;
}

static int c_open_private(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    return open_with("memory:", out, bad);
}

static int c_open_named(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    return open_with("memory:alloc-failure-named", out, bad);
}

static int c_open_ext(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    bk_db *db = (bk_db *)&db;
    int rc = bk_open_ext(&db, "memory:", &o);
    if (rc == BK_OK) {
        sb_printf(out, "opened\n");
        bk_close(db);
    } else {
        EXPECT(db == NULL, "*out not NULL after failure; ");
    }
    return rc;
}

/* ---- providers ---- */

static int c_provider_create(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    bk_provider p = BK_PROVIDER_INIT;
    p.username = "Carol";
    p.email = "Carol@Example.com";
    p.full_name = "Carol Straße";
    p.timezone = "America/New_York";
    p.description = "new";
    bk_id id;
    int rc = bk_provider_create(f->db, &p, &id);
    if (rc == BK_OK)
        sb_printf(out, "id=%s\n", id.s);
    return rc;
}

static int c_provider_get(fx *f, sbuf *out, sbuf *bad)
{
    bk_provider *p = (bk_provider *)&p;
    int rc = bk_provider_get(f->db, &f->alice, &p);
    if (rc == BK_OK)
        put_provider(out, p);
    else
        EXPECT(p == NULL, "*out not NULL after failure; ");
    bk_provider_free(rc == BK_OK ? p : NULL);
    return rc;
}

static int c_provider_update(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    bk_provider p = BK_PROVIDER_INIT;
    p.id = f->alice;
    p.username = "ALICE2";
    p.email = "alice2@example.com";
    p.full_name = "Alice Neu";
    p.timezone = "Europe/Berlin";
    p.avatar_url = "https://example.com/b.png";
    return bk_provider_update(f->db, &p);
}

static int c_provider_list(fx *f, sbuf *out, sbuf *bad)
{
    bk_provider **list = (bk_provider **)&list;
    size_t n = 99;
    int rc = bk_provider_list(f->db, &list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            put_provider(out, list[i]);
        bk_provider_list_free(list, n);
    } else {
        EXPECT(list == NULL && n == 0, "list outputs not cleared after failure; ");
    }
    return rc;
}

static int c_provider_delete(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    return bk_provider_delete(f->db, &f->alice);
}

/* ---- services ---- */

static int c_service_create(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    bk_service s = BK_SERVICE_INIT;
    s.provider = f->alice;
    s.name = "Follow-up";
    s.duration_minutes = 20;
    s.slot_step_minutes = 10;
    s.min_notice_minutes = 60;
    s.horizon_days = 90;
    s.currency = "CHF";
    s.display_order = 3;
    bk_id id;
    int rc = bk_service_create(f->db, &s, &id);
    if (rc == BK_OK)
        sb_printf(out, "id=%s\n", id.s);
    return rc;
}

static int c_service_get(fx *f, sbuf *out, sbuf *bad)
{
    bk_service *s = (bk_service *)&s;
    int rc = bk_service_get(f->db, &f->consult, &s);
    if (rc == BK_OK)
        put_service(out, s);
    else
        EXPECT(s == NULL, "*out not NULL after failure; ");
    bk_service_free(rc == BK_OK ? s : NULL);
    return rc;
}

static int c_service_update(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    bk_service s = BK_SERVICE_INIT;
    s.id = f->review;
    s.name = "Annual review";
    s.description = NULL;
    s.duration_minutes = 90;
    s.buffer_after_minutes = 30;
    s.display_order = 0; /* moves it in the listing order */
    s.requires_confirmation = 0;
    return bk_service_update(f->db, &s);
}

static int c_service_list(fx *f, sbuf *out, sbuf *bad)
{
    bk_service **list = (bk_service **)&list;
    size_t n = 99;
    int rc = bk_service_list(f->db, &f->alice, &list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            put_service(out, list[i]);
        bk_service_list_free(list, n);
    } else {
        EXPECT(list == NULL && n == 0, "list outputs not cleared after failure; ");
    }
    return rc;
}

static int c_service_deactivate(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    return bk_service_deactivate(f->db, &f->consult);
}

/* ---- weekly availability ---- */

static int c_availability_add(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    bk_availability a = BK_AVAILABILITY_INIT;
    a.provider = f->alice;
    a.weekday = 6;
    a.start_minute = 8 * 60;
    a.end_minute = 12 * 60;
    bk_id id;
    int rc = bk_availability_add(f->db, &a, &id);
    if (rc == BK_OK)
        sb_printf(out, "id=%s\n", id.s);
    return rc;
}

static int c_availability_list(fx *f, sbuf *out, sbuf *bad)
{
    bk_availability **list = (bk_availability **)&list;
    size_t n = 99;
    int rc = bk_availability_list(f->db, &f->alice, &list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            put_availability(out, list[i]);
        bk_availability_list_free(list, n);
    } else {
        EXPECT(list == NULL && n == 0, "list outputs not cleared after failure; ");
    }
    return rc;
}

static int c_availability_delete(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    return bk_availability_delete(f->db, &f->row_wed_cut);
}

/* ---- date overrides ---- */

static int c_override_set_new(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    bk_local_interval iv[3] = {{8 * 60, 9 * 60}, {10 * 60, 11 * 60}, {18 * 60, 20 * 60}};
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = f->alice;
    o.date = (bk_date){2030, 1, 12};
    o.n_intervals = 3;
    o.intervals = iv;
    return bk_override_set(f->db, &o);
}

static int c_override_set_replace(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    bk_local_interval iv[1] = {{7 * 60, 19 * 60}};
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = f->alice;
    o.date = (bk_date){2030, 1, 10};
    o.n_intervals = 1;
    o.intervals = iv;
    return bk_override_set(f->db, &o);
}

static int c_override_list(fx *f, sbuf *out, sbuf *bad)
{
    bk_override **list = (bk_override **)&list;
    size_t n = 99;
    bk_date from = {2030, 1, 1}, to = {2030, 12, 31};
    int rc = bk_override_list(f->db, &f->alice, &from, &to, &list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            put_override(out, list[i]);
        bk_override_list_free(list, n);
    } else {
        EXPECT(list == NULL && n == 0, "list outputs not cleared after failure; ");
    }
    return rc;
}

static int c_override_delete(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    bk_date d = {2030, 1, 10};
    return bk_override_delete(f->db, &f->alice, &d);
}

/* ---- blocked periods ---- */

static int c_blocked_add(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = f->alice;
    b.start = T("2030-01-09T12:00:00Z");
    b.end = T("2030-01-09T13:00:00Z");
    b.reason = "Team meeting";
    bk_id id;
    int rc = bk_blocked_add(f->db, &b, &id);
    if (rc == BK_OK)
        sb_printf(out, "id=%s\n", id.s);
    return rc;
}

static int c_blocked_list(fx *f, sbuf *out, sbuf *bad)
{
    bk_blocked **list = (bk_blocked **)&list;
    size_t n = 99;
    int rc = bk_blocked_list(f->db, &f->alice, T("2030-01-01T00:00:00Z"), T("2030-02-01T00:00:00Z"), &list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            put_blocked(out, list[i]);
        bk_blocked_list_free(list, n);
    } else {
        EXPECT(list == NULL && n == 0, "list outputs not cleared after failure; ");
    }
    return rc;
}

static int c_blocked_delete(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    return bk_blocked_delete(f->db, &f->blocked);
}

/* ---- slots ---- */

static bk_slot_query fx_query(const fx *f)
{
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = f->alice;
    q.service = f->consult;
    q.from = T("2030-01-06T00:00:00Z");
    q.to = T("2030-01-13T00:00:00Z");
    q.now = fx_now();
    return q;
}

static int c_slots(fx *f, sbuf *out, sbuf *bad)
{
    bk_slot_query q = fx_query(f);
    bk_slot *slots = (bk_slot *)&slots;
    size_t n = 99;
    int rc = bk_slots(f->db, &q, &slots, &n);
    if (rc == BK_OK) {
        sb_printf(out, "%zu slots:", n);
        for (size_t i = 0; i < n; i++)
            sb_printf(out, " %s-%s", tm(slots[i].start), tm(slots[i].end));
        sb_printf(out, "\n");
        bk_slots_free(slots);
    } else {
        EXPECT(slots == NULL && n == 0, "slot outputs not cleared after failure; ");
    }
    return rc;
}

static int explain_at(fx *f, const char *start, sbuf *out)
{
    bk_slot_query q = fx_query(f);
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    int rc = bk_slot_explain(f->db, &q, T(start), &v);
    if (rc == BK_OK)
        sb_printf(out, "%s related=%s [%s,%s) %s\n", bk_slot_reason_name(v.reason), v.related.s, tm(v.start),
                  tm(v.end), v.message);
    return rc;
}

static int c_slot_explain_conflict(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    return explain_at(f, "2030-01-07T08:00:00Z", out);
}

static int c_slot_explain_blocked(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    return explain_at(f, "2030-01-08T13:30:00Z", out);
}

static int c_slot_explain_offered(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    return explain_at(f, "2030-01-10T09:00:00Z", out);
}

/* ---- booking ---- */

static int book(fx *f, const bk_book_request *r, int want_out, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_book(f->db, r, want_out ? &b : NULL);
    if (!want_out)
        return rc;
    if (rc == BK_OK) {
        put_booking(out, b);
        bk_booking_free(b);
    } else {
        EXPECT(b == NULL, "*out not NULL after failure; ");
    }
    return rc;
}

static int c_book(fx *f, sbuf *out, sbuf *bad)
{
    bk_book_request r = fx_request(f, &f->consult, T("2030-01-08T09:00:00Z"), NULL);
    return book(f, &r, 1, out, bad);
}

static int c_book_no_out(fx *f, sbuf *out, sbuf *bad)
{
    bk_book_request r = fx_request(f, &f->review, T("2030-01-10T14:00:00Z"), NULL);
    return book(f, &r, 0, out, bad);
}

static int c_book_key(fx *f, sbuf *out, sbuf *bad)
{
    bk_book_request r = fx_request(f, &f->consult, T("2030-01-08T09:00:00Z"), "new-key-2");
    return book(f, &r, 1, out, bad);
}

/* The fixture's keyed booking asked for again: the answer is that booking,
 * and nothing is written. */
static int c_book_key_retry(fx *f, sbuf *out, sbuf *bad)
{
    bk_book_request r = fx_request(f, &f->consult, T("2030-01-09T08:00:00Z"), "fixture-key-1");
    return book(f, &r, 1, out, bad);
}

static int c_booking_import(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.provider = f->alice;
    b.service = f->review;
    b.start = T("2030-01-08T08:00:00Z");
    b.end = T("2030-01-08T09:00:00Z");
    b.buffer_after_minutes = 5;
    b.status = BK_BOOKING_CONFIRMED;
    b.idempotency_key = "import-7";
    b.customer_name = "Imported";
    b.customer_email = "imp@example.org";
    b.notes = "from the old system";
    b.confirmed_at = T("2029-10-01T10:00:00Z");
    b.cancelled_at = BK_TIME_UNSET;
    bk_id id;
    int rc = bk_booking_import(f->db, &b, &id);
    if (rc == BK_OK)
        sb_printf(out, "id=%s\n", id.s);
    return rc;
}

static int c_booking_get(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_booking_get(f->db, &f->keyed, &b);
    if (rc == BK_OK) {
        put_booking(out, b);
        bk_booking_free(b);
    } else {
        EXPECT(b == NULL, "*out not NULL after failure; ");
    }
    return rc;
}

static int c_booking_list(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking_filter flt = BK_BOOKING_FILTER_INIT;
    flt.provider = f->alice;
    flt.from = T("2030-01-07T00:00:00Z");
    flt.to = T("2030-01-10T00:00:00Z");
    flt.include_cancelled = 1;
    bk_booking **list = (bk_booking **)&list;
    size_t n = 99;
    int rc = bk_booking_list(f->db, &flt, &list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            put_booking(out, list[i]);
        bk_booking_list_free(list, n);
    } else {
        EXPECT(list == NULL && n == 0, "list outputs not cleared after failure; ");
    }
    return rc;
}

/* A status move's result: the updated booking when asked for. */
static int moved(int rc, bk_booking *b, int want_out, sbuf *out, sbuf *bad)
{
    if (!want_out)
        return rc;
    if (rc == BK_OK) {
        put_booking(out, b);
        bk_booking_free(b);
    } else {
        EXPECT(b == NULL, "*out not NULL after failure; ");
    }
    return rc;
}

static int c_booking_cancel(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_booking_cancel(f->db, &f->confirmed, 1, "customer ill", &b);
    return moved(rc, b, 1, out, bad);
}

static int c_booking_cancel_no_out(fx *f, sbuf *out, sbuf *bad)
{
    int rc = bk_booking_cancel(f->db, &f->pending, 1, NULL, NULL);
    return moved(rc, NULL, 0, out, bad);
}

static int c_booking_confirm(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_booking_confirm(f->db, &f->pending, 1, &b);
    return moved(rc, b, 1, out, bad);
}

static int c_booking_complete(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_booking_complete(f->db, &f->confirmed, 1, &b);
    return moved(rc, b, 1, out, bad);
}

static int c_booking_mark_no_show(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_booking_mark_no_show(f->db, &f->keyed, 1, &b);
    return moved(rc, b, 1, out, bad);
}

static int c_booking_reschedule(fx *f, sbuf *out, sbuf *bad)
{
    bk_booking *b = (bk_booking *)&b;
    int rc = bk_booking_reschedule(f->db, &f->confirmed, 1, T("2030-01-10T13:00:00Z"), fx_now(), &b);
    return moved(rc, b, 1, out, bad);
}

static int c_booking_reschedule_no_out(fx *f, sbuf *out, sbuf *bad)
{
    int rc = bk_booking_reschedule(f->db, &f->pending, 1, T("2030-01-08T08:00:00Z"), fx_now(), NULL);
    return moved(rc, NULL, 0, out, bad);
}

/* ---- time zones and time text (no handle) ---- */

/* Zones used nowhere else in this process, so that their tables are built
 * (and so allocated) by the call under test: a zone that fails to build is
 * not cached, so each N starts from the same state. */
static int c_time_format(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    char buf[200];
    buf[0] = 'x';
    int rc = bk_time_format(T("2030-03-31T01:30:00Z"), "Asia/Kathmandu", "de_DE", NULL, buf, sizeof buf);
    if (rc == BK_OK)
        sb_printf(out, "%s\n", buf);
    else
        EXPECT(buf[0] == '\0', "buf not emptied after failure; ");
    return rc;
}

static int c_timezone_valid(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    (void)out;
    (void)bad;
    return bk_timezone_valid("Australia/Lord_Howe");
}

/* ---- iCalendar export and localised display ---- */

/* iCalendar text without the lines holding clock readings (DTSTAMP,
 * CREATED, LAST-MODIFIED: basic-format instants normalise() does not know). */
static void put_ical(sbuf *out, const char *text)
{
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\r");
        if (strncmp(p, "DTSTAMP:", 8) != 0 && strncmp(p, "CREATED:", 8) != 0 && strncmp(p, "LAST-MODIFIED:", 14) != 0)
            sb_printf(out, "%.*s\n", (int)len, p);
        p += len;
        p += strspn(p, "\r\n");
    }
}

static int c_booking_ical(fx *f, sbuf *out, sbuf *bad)
{
    char *text = (char *)&text;
    int rc = bk_booking_ical(f->db, &f->imported, BK_ICAL_LOCAL_TIME, &text);
    if (rc == BK_OK) {
        put_ical(out, text);
        bk_string_free(text);
    } else if (text != NULL) {
        sb_printf(bad, "*out not NULL after failure; ");
    }
    return rc;
}

static int c_provider_ical_feed(fx *f, sbuf *out, sbuf *bad)
{
    char *text = (char *)&text;
    int rc = bk_provider_ical_feed(f->db, &f->alice, T("2030-01-07T00:00:00Z"), T("2030-01-10T00:00:00Z"),
                                   BK_ICAL_LOCAL_TIME, &text);
    if (rc == BK_OK) {
        put_ical(out, text);
        bk_string_free(text);
    } else if (text != NULL) {
        sb_printf(bad, "*out not NULL after failure; ");
    }
    return rc;
}

static int c_booking_format(fx *f, sbuf *out, sbuf *bad)
{
    char buf[256];
    buf[0] = 'x';
    int rc = bk_booking_format(f->db, &f->bobs, NULL, "de_DE", BK_FORMAT_ZONE_LONG, buf, sizeof buf);
    if (rc == BK_OK)
        sb_printf(out, "%s\n", buf);
    else if (buf[0] != '\0')
        sb_printf(bad, "buf not emptied after failure; ");
    return rc;
}

/* Zones the fixture has loaded already: only the call's own allocations. */
static int c_slot_format(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    char buf[256];
    buf[0] = 'x';
    bk_slot s = {T("2030-03-31T00:30:00Z"), T("2030-03-31T01:30:00Z")}; /* across Berlin's change */
    int rc = bk_slot_format(&s, "Europe/Berlin", "ja_JP", BK_FORMAT_ZONE_OFFSET, buf, sizeof buf);
    if (rc == BK_OK)
        sb_printf(out, "%s\n", buf);
    else if (buf[0] != '\0')
        sb_printf(bad, "buf not emptied after failure; ");
    return rc;
}

static int c_timezone_canonical(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    char buf[64];
    buf[0] = 'x';
    int rc = bk_timezone_canonical("Canada/Newfoundland", buf, sizeof buf);
    if (rc == BK_OK)
        sb_printf(out, "%s\n", buf);
    else if (buf[0] != '\0')
        sb_printf(bad, "buf not emptied after failure; ");
    return rc;
}

static int c_timezone_list(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    char **list = (char **)&list;
    size_t n = 99;
    int rc = bk_timezone_list(&list, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++)
            sb_printf(out, "%s\n", list[i]);
        bk_timezone_list_free(list, n);
    } else if (list != NULL || n != 0) {
        sb_printf(bad, "outputs not cleared after failure; ");
    }
    return rc;
}

/* ---- soft delete, tokens, customer data, archive ---- */

static int c_provider_restore(fx *f, sbuf *out, sbuf *bad)
{
    (void)out;
    (void)bad;
    return bk_provider_restore(f->db, &f->alice);
}

static int c_provider_purge(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    size_t n = 99;
    int rc = bk_provider_purge(f->db, BK_TIME_MAX - 1, &n);
    if (rc == BK_OK)
        sb_printf(out, "purged %zu\n", n);
    return rc;
}

static int c_token_issue(fx *f, sbuf *out, sbuf *bad)
{
    char token[BK_TOKEN_SIZE] = "x";
    int rc = bk_token_issue(f->db, &f->pending, BK_TOKEN_CONFIRM, (bk_time)time(NULL) + 3600, token);
    if (rc == BK_OK)
        sb_printf(out, "token of %zu characters\n", strlen(token));
    else if (token[0] != '\0')
        sb_printf(bad, "token written after a failure; ");
    return rc;
}

static int c_customer_export(fx *f, sbuf *out, sbuf *bad)
{
    (void)f;
    char *json = (char *)&json;
    int rc = bk_customer_export(f->db, "CARLA@example.org", &json);
    if (rc == BK_OK) {
        /* exported_at is the clock: only the bookings are compared. */
        const char *list = strstr(json, "\"bookings\"");
        sb_printf(out, "%s\n", list ? list : json);
        bk_string_free(json);
    } else if (json != NULL) {
        sb_printf(bad, "*out_json not NULL after failure; ");
    }
    return rc;
}

static int c_customer_erase(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    size_t n = 99;
    int rc = bk_customer_erase(f->db, "Carla@Example.org", &n);
    if (rc == BK_OK)
        sb_printf(out, "erased %zu\n", n);
    return rc;
}

static int c_bookings_anonymise(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    size_t n = 99;
    int rc = bk_bookings_anonymise(f->db, BK_TIME_MAX - 1, &n);
    if (rc == BK_OK)
        sb_printf(out, "anonymised %zu\n", n);
    return rc;
}

static int c_booking_archive(fx *f, sbuf *out, sbuf *bad)
{
    (void)bad;
    size_t n = 99;
    int rc = bk_booking_archive(f->db, BK_TIME_MAX - 1, 1, &n);
    if (rc == BK_OK)
        sb_printf(out, "archived %zu\n", n);
    return rc;
}

typedef struct call {
    const char *name;
    call_fn fn;
    int handleless; /* errors go to bk_errcode(NULL) */
    int writes;     /* a success must change the store */
} call;

static const call calls[] = {
    {"bk_open(memory:)", c_open_private, 1, 0},
    {"bk_open(memory:NAME)", c_open_named, 1, 0},
    {"bk_open_ext(memory:)", c_open_ext, 1, 0},
    {"bk_provider_create", c_provider_create, 0, 1},
    {"bk_provider_get", c_provider_get, 0, 0},
    {"bk_provider_update", c_provider_update, 0, 1},
    {"bk_provider_list", c_provider_list, 0, 0},
    {"bk_provider_delete", c_provider_delete, 0, 1},
    {"bk_provider_restore", c_provider_restore, 0, 0},
    {"bk_provider_purge", c_provider_purge, 0, 0},
    {"bk_token_issue", c_token_issue, 0, 0},
    {"bk_customer_export", c_customer_export, 0, 0},
    {"bk_customer_erase", c_customer_erase, 0, 1},
    {"bk_bookings_anonymise", c_bookings_anonymise, 0, 1},
    {"bk_booking_archive", c_booking_archive, 0, 1},
    {"bk_service_create", c_service_create, 0, 1},
    {"bk_service_get", c_service_get, 0, 0},
    {"bk_service_update", c_service_update, 0, 1},
    {"bk_service_list", c_service_list, 0, 0},
    {"bk_service_deactivate", c_service_deactivate, 0, 1},
    {"bk_availability_add", c_availability_add, 0, 1},
    {"bk_availability_list", c_availability_list, 0, 0},
    {"bk_availability_delete", c_availability_delete, 0, 1},
    {"bk_override_set (new date)", c_override_set_new, 0, 1},
    {"bk_override_set (replace)", c_override_set_replace, 0, 1},
    {"bk_override_list", c_override_list, 0, 0},
    {"bk_override_delete", c_override_delete, 0, 1},
    {"bk_blocked_add", c_blocked_add, 0, 1},
    {"bk_blocked_list", c_blocked_list, 0, 0},
    {"bk_blocked_delete", c_blocked_delete, 0, 1},
    {"bk_slots", c_slots, 0, 0},
    {"bk_slot_explain (conflict)", c_slot_explain_conflict, 0, 0},
    {"bk_slot_explain (blocked)", c_slot_explain_blocked, 0, 0},
    {"bk_slot_explain (offered)", c_slot_explain_offered, 0, 0},
    {"bk_book", c_book, 0, 1},
    {"bk_book (out NULL)", c_book_no_out, 0, 1},
    {"bk_book (idempotency key)", c_book_key, 0, 1},
    {"bk_book (idempotency key, retry)", c_book_key_retry, 0, 0},
    {"bk_booking_import", c_booking_import, 0, 1},
    {"bk_booking_get", c_booking_get, 0, 0},
    {"bk_booking_list", c_booking_list, 0, 0},
    {"bk_booking_cancel", c_booking_cancel, 0, 1},
    {"bk_booking_cancel (out NULL)", c_booking_cancel_no_out, 0, 1},
    {"bk_booking_confirm", c_booking_confirm, 0, 1},
    {"bk_booking_complete", c_booking_complete, 0, 1},
    {"bk_booking_mark_no_show", c_booking_mark_no_show, 0, 1},
    {"bk_booking_reschedule", c_booking_reschedule, 0, 1},
    {"bk_booking_reschedule (out NULL)", c_booking_reschedule_no_out, 0, 1},
    {"bk_time_format", c_time_format, 1, 0},
    {"bk_timezone_valid", c_timezone_valid, 1, 0},
    {"bk_booking_ical", c_booking_ical, 0, 0},
    {"bk_provider_ical_feed", c_provider_ical_feed, 0, 0},
    {"bk_booking_format", c_booking_format, 0, 0},
    {"bk_slot_format", c_slot_format, 1, 0},
    {"bk_timezone_canonical", c_timezone_canonical, 1, 0},
    {"bk_timezone_list", c_timezone_list, 1, 0},
};

#define N_CALLS (sizeof calls / sizeof calls[0])

/* No call comes near this many allocations; reaching it means the call
 * never stops allocating. */
#define MAX_N 100000L

/* ------------------------------------------------------------------ */
/* The driver                                                          */
/* ------------------------------------------------------------------ */

static long violations;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void violation(const call *c, long n, const char *fmt, ...)
{
    violations++;
    fprintf(stderr, "alloc_failure: VIOLATION: %s, allocation %ld failing: ", c->name, n);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The snapshot after the call and what the call handed back, in normal
 * form: what a success must match. */
static void result_text(const fx *f, const sbuf *out, sbuf *norm)
{
    sbuf raw = {0};
    snapshot(f->db, &raw);
    sb_printf(&raw, "--- output\n%s", sb_str(out));
    normalise(sb_str(&raw), norm);
    sb_free(&raw);
}

/* A run without injection: the expected outcome. */
static void reference(const call *c, sbuf *expect, int *changes)
{
    fx f;
    fx_build(&f);
    sbuf before = {0}, out = {0}, bad = {0};
    snapshot(f.db, &before);
    bki_fault_arm(0);
    int rc = c->fn(&f, &out, &bad);
    ck_assert_msg(rc == BK_OK, "%s: reference run failed: %s (%s)", c->name, bk_strerror(rc),
                  bk_errmsg(c->handleless ? NULL : f.db));
    ck_assert_msg(bad.n == 0, "%s: reference run: %s", c->name, sb_str(&bad));
    sbuf after = {0};
    snapshot(f.db, &after);
    *changes = strcmp(sb_str(&before), sb_str(&after)) != 0;
    result_text(&f, &out, expect);
    sb_free(&before);
    sb_free(&after);
    sb_free(&out);
    sb_free(&bad);
    fx_free(&f);
}

/* Runs call c with the 1st, 2nd, ... allocation failing; returns the number
 * of injection points exercised (the N whose failure was reached). */
static long exercise(const call *c)
{
    static int trace = -1;
    if (trace < 0)
        trace = getenv("BK_FAULT_TRACE") && *getenv("BK_FAULT_TRACE") == '1';

    sbuf *oks = NULL; /* normalised results of the successful runs */
    long *ok_n = NULL;
    size_t n_oks = 0;
    long points = 0, absorbed = 0, made = -1;
    for (long n = 1;; n++) {
        if (n > MAX_N) {
            violation(c, n, "still allocating after %ld injected failures", MAX_N);
            break;
        }
        if (trace)
            fprintf(stderr, "alloc_failure: %s N=%ld\n", c->name, n);
        fx f;
        fx_build(&f);
        sbuf before = {0}, out = {0}, bad = {0};
        snapshot(f.db, &before);

        paused = 0;
        bki_fault_arm(n);
        int rc = c->fn(&f, &out, &bad);
        injection_pause();
        int fired = paused_fired;
        long count = paused_count;

        const bk_db *errdb = c->handleless ? NULL : f.db;
        if (fired)
            points++;
        if (bad.n)
            violation(c, n, "%s", sb_str(&bad));
        if (rc != BK_OK && rc != BK_ENOMEM) {
            violation(c, n, "returned %s (%d): %s", bk_strerror(rc), rc, bk_errmsg(errdb));
        } else if (rc == BK_ENOMEM) {
            if (!fired)
                violation(c, n, "BK_ENOMEM but the injected failure was not reached: %s", bk_errmsg(errdb));
            if (bk_errcode(errdb) != BK_ENOMEM || bk_errmsg(errdb)[0] == '\0')
                violation(c, n, "BK_ENOMEM returned, but bk_errcode = %d, bk_errmsg = '%s'", bk_errcode(errdb),
                          bk_errmsg(errdb));
            sbuf after = {0};
            snapshot(f.db, &after);
            if (strcmp(sb_str(&before), sb_str(&after)) != 0)
                violation(c, n, "BK_ENOMEM, but the store changed.\n--- before\n%s--- after\n%s", sb_str(&before),
                          sb_str(&after));
            sb_free(&after);
        } else {
            if (fired)
                absorbed++;
            oks = realloc(oks, (n_oks + 1) * sizeof *oks);
            ok_n = realloc(ok_n, (n_oks + 1) * sizeof *ok_n);
            if (!oks || !ok_n)
                abort();
            memset(&oks[n_oks], 0, sizeof oks[n_oks]);
            result_text(&f, &out, &oks[n_oks]);
            ok_n[n_oks++] = n;
        }
        sb_free(&before);
        sb_free(&out);
        sb_free(&bad);
        fx_free(&f);
        if (rc == BK_OK && !fired) {
            made = count;
            break;
        }
    }

    /* After the loop, so that the reference run cannot warm a cache (time
     * zone tables) the injected runs should have built themselves. */
    sbuf expect = {0};
    int changes = 0;
    reference(c, &expect, &changes);
    if (c->writes && !changes)
        violation(c, 0, "the reference run changed nothing: the case does not test a write");
    if (!c->writes && changes)
        violation(c, 0, "the reference run changed the store of a call that only reads");
    for (size_t i = 0; i < n_oks; i++) {
        if (strcmp(sb_str(&oks[i]), sb_str(&expect)) != 0)
            violation(c, ok_n[i], "BK_OK, but store or output differ from the reference run.\n--- expected\n%s--- got\n%s",
                      sb_str(&expect), sb_str(&oks[i]));
        sb_free(&oks[i]);
    }
    free(oks);
    free(ok_n);
    sb_free(&expect);
    /* Every allocation of the run that was not injected was injected once. */
    if (made >= 0 && made != points)
        violation(c, 0, "%ld injection points reached, but the run without a failure made %ld allocations", points,
                  made);
    printf("alloc_failure: %-34s %4ld injection points%s\n", c->name, points,
           absorbed ? " (some failures absorbed: the call still succeeded)" : "");
    if (absorbed)
        printf("alloc_failure: %-34s %4ld of them absorbed\n", c->name, absorbed);
    return points;
}

START_TEST(every_call_every_allocation)
{
    test_started = (bk_time)time(NULL);
    long total = 0;
    violations = 0;
    for (size_t i = 0; i < N_CALLS; i++)
        total += exercise(&calls[i]);
    printf("alloc_failure: %ld injection points exercised over %zu calls; %ld violation(s)\n", total,
           (size_t)N_CALLS, violations);
    fflush(stdout);
    ck_assert_msg(violations == 0, "%ld violation(s): see the lines starting 'alloc_failure: VIOLATION'",
                  violations);
    ck_assert_msg(total > 0, "no allocation was ever injected: is the build's alloc.c counting?");
}
END_TEST

/* The mechanism itself: counting, failing exactly the N-th, disarming. */
START_TEST(injection_mechanism)
{
    bki_fault_arm(0);
    void *a = bki_malloc(8), *b = bki_calloc(2, 4);
    char *s = bki_strdup("x");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(bki_fault_count(), 3); /* strdup is one allocation */
    ck_assert_int_eq(bki_fault_fired(), 0);
    bki_free(a);
    bki_free(b);
    bki_free(s);

    bki_fault_arm(2);
    a = bki_malloc(8);
    ck_assert_ptr_nonnull(a);
    size_t cap = 0;
    void *arr = NULL;
    ck_assert_int_eq(bki_grow(&arr, &cap, 3, sizeof(int)), -1); /* the 2nd: fails */
    ck_assert_ptr_null(arr);
    ck_assert_int_eq(cap, 0);
    ck_assert_int_eq(bki_fault_fired(), 1);
    void *grown = bki_realloc(a, 64); /* the 3rd: succeeds again */
    ck_assert_ptr_nonnull(grown);
    ck_assert_int_eq(bki_fault_count(), 3);
    bki_free(grown);

    bki_fault_arm(1);
    ck_assert_ptr_null(bki_strdup("y"));
    ck_assert_ptr_null(bki_strdup(NULL)); /* NULL in, NULL out: not an allocation */
    ck_assert_int_eq(bki_fault_count(), 1);
    bki_fault_arm(0);
    ck_assert_int_eq(bki_fault_fired(), 0);
    ck_assert_int_eq(bki_fault_count(), 0);
}
END_TEST

static Suite *alloc_failure_suite(void)
{
    Suite *s = suite_create("alloc_failure");
    TCase *tc = tcase_create("alloc_failure");
    /* Thousands of fresh stores; valgrind needs its time. */
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, injection_mechanism);
    tcase_add_test(tc, every_call_every_allocation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    Suite *suites[] = {alloc_failure_suite()};
    return harness_run(suites, 1);
}
