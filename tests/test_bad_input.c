/* Bad input at every public entry point (DESIGN.md section 5).
 *
 * Every public call of <booking.h> (and bk_open_store / bk_store_error of
 * <booking/sys/store.h>) is fed NULL pointers, unknown struct versions,
 * malformed and unknown ids, out-of-range numbers, invalid UTF-8, oversized
 * strings and the other bad values its comment rules out.  For each failing
 * call the suite checks:
 *
 *  - the exact status code, and that bk_errcode() agrees;
 *  - that bk_errmsg() (of the handle, or of NULL for handle-less calls) is
 *    non-empty, valid UTF-8 and names the field at fault (as a word:
 *    "username", "provider.id", "intervals[1]", ...);
 *  - that out-parameters are NULL / 0 / untouched as the header promises;
 *  - that nothing was written: a snapshot of every stored record (all
 *    providers with their services, weekly rows, overrides, blocked periods
 *    and bookings) is the same before and after.
 *
 * Next to the bad cases a valid call succeeds, so that a rejection is
 * meaningful.  The store comes from $BK_TEST_URI ("memory:" by default) and
 * nothing here depends on a backend's internals: every name is unique to
 * the run and every provider made is deleted in teardown.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <booking.h>
/* bk_open_store and the backend vtable live in the backend header. */
#include <booking/sys/store.h>
#include <check.h>

#include "harness.h"

/* ------------------------------------------------------------------ */
/* Assertions                                                          */
/* ------------------------------------------------------------------ */

/* A plain check: Check would record every passing ck_assert through its
 * control pipe, which adds up over the thousands of checks here. */
#define EXPECT(cond, ...)                                                                                              \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ck_abort_msg(__VA_ARGS__);                                                                                 \
    } while (0)

/* What the current case is, for failure messages of loops. */
static char note[600];
#define NOTE(...) snprintf(note, sizeof note, __VA_ARGS__)

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* msg contains `field` as a whole word ("provider.id" names "id"; "invalid"
 * does not). */
static int names_field(const char *msg, const char *field)
{
    size_t n = strlen(field);
    for (const char *p = strstr(msg, field); p; p = strstr(p + 1, field))
        if ((p == msg || !is_word_char(p[-1])) && !is_word_char(p[n]))
            return 1;
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * messages reach bindings that decode them. */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t need;
        unsigned long cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += need + 1;
    }
    return 1;
}

/* A call that must fail with `code`, leaving a message on handle h (NULL
 * for handle-less calls and calls made with a NULL handle) that names
 * `field`. */
#define FAILS(h, call, code, field)                                                                                    \
    do {                                                                                                               \
        int rc_ = (call);                                                                                              \
        const char *m_ = bk_errmsg(h);                                                                                 \
        EXPECT(rc_ == (code), "%s [%s]: returned %d (%s), expected %d (%s); message \"%s\"", #call, note, rc_,        \
               bk_strerror(rc_), (int)(code), bk_strerror(code), m_ ? m_ : "(null)");                                  \
        EXPECT(m_ != NULL && m_[0] != '\0', "%s [%s]: no message after an error", #call, note);                       \
        EXPECT(bk_errcode(h) == (code), "%s [%s]: bk_errcode() is %d, not %d", #call, note, bk_errcode(h),            \
               (int)(code));                                                                                           \
        EXPECT(names_field(m_, (field)), "%s [%s]: message \"%s\" does not name \"%s\"", #call, note, m_, (field));   \
        EXPECT(utf8_ok(m_), "%s [%s]: message is not valid UTF-8", #call, note);                                      \
    } while (0)

#define SUCCEEDS(h, call)                                                                                              \
    do {                                                                                                               \
        int rc_ = (call);                                                                                              \
        EXPECT(rc_ == BK_OK, "%s [%s]: returned %d (%s): %s", #call, note, rc_, bk_strerror(rc_), bk_errmsg(h));      \
        EXPECT(bk_errcode(h) == BK_OK, "%s [%s]: bk_errcode() is %d after success", #call, note, bk_errcode(h));      \
    } while (0)

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    EXPECT(p != NULL, "out of memory in the test");
    return p;
}

/* prefix + fill... + suffix, exactly `total` bytes (fill repeated, cut to a
 * whole copy of fill). */
static char *sized(const char *prefix, const char *fill, size_t total, const char *suffix)
{
    size_t lp = strlen(prefix), ls = strlen(suffix), lf = strlen(fill);
    EXPECT(lp + ls <= total, "sized: %zu bytes cannot hold '%s' and '%s'", total, prefix, suffix);
    char *s = xmalloc(total + 1);
    memcpy(s, prefix, lp);
    size_t at = lp;
    while (at + lf <= total - ls) {
        memcpy(s + at, fill, lf);
        at += lf;
    }
    while (at < total - ls)
        s[at++] = 'a';
    memcpy(s + at, suffix, ls);
    s[total] = '\0';
    return s;
}

static char *concat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = xmalloc(la + lb + lc + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

/* Escapes bytes for messages about a case. */
static const char *hex(const char *s)
{
    static char buf[128];
    size_t n = 0;
    for (; *s && n + 5 < sizeof buf; s++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\\x%02X", (unsigned)(unsigned char)*s);
    buf[n] = '\0';
    return buf;
}

/* A name no earlier run or test used: the suite may run against a
 * persistent database. */
static void unique(char *buf, size_t size, const char *prefix)
{
    static unsigned counter;
    snprintf(buf, size, "%s%ld-%ld-%u", prefix, (long)getpid(), (long)time(NULL), counter++);
}

static bk_time at(const char *iso)
{
    bk_time t = 0;
    int rc = bk_time_parse_iso(iso, &t);
    EXPECT(rc == BK_OK, "bk_time_parse_iso(%s): %s", iso, bk_errmsg(NULL));
    return t;
}

static void set_str(void *rec, size_t off, const char *v) { memcpy((char *)rec + off, &v, sizeof v); }
static void set_int(void *rec, size_t off, int v) { memcpy((char *)rec + off, &v, sizeof v); }

/* Invalid UTF-8: a bad continuation, an overlong '/', a surrogate, a lone
 * continuation byte, a truncated sequence, a code point past U+10FFFF, a
 * five-byte form and a byte that is never UTF-8. */
static const char *const bad_utf8[] = {
    "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff",
};
#define N_BAD_UTF8 (sizeof bad_utf8 / sizeof *bad_utf8)

static const char *const bad_emails[] = {
    "no-at-sign.example.com", "two@@example.com", "a@b@example.com", "with space@example.com",
    "tab\t@example.com",      "@example.com",     "user@",           "new\nline@example.com",
};
#define N_BAD_EMAILS (sizeof bad_emails / sizeof *bad_emails)

#define UNKNOWN_ID "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

static bk_id id_of(const char *text)
{
    bk_id id;
    int rc = bk_id_parse(text, &id);
    EXPECT(rc == BK_OK, "bk_id_parse(%s): %s", text, bk_errmsg(NULL));
    return id;
}

/* Ids that are not ids.  Each is EINVAL (never ENOTFOUND): an upper-case
 * copy of an existing id included. */
enum { BAD_ID_NOT_UUID, BAD_ID_EMPTY, BAD_ID_UPPER, BAD_ID_37_A, BAD_ID_NO_NUL, BAD_ID_NO_DASHES, BAD_ID_COUNT };

static bk_id bad_id(int kind, const bk_id *existing)
{
    bk_id id;
    memset(&id, 0, sizeof id);
    switch (kind) {
    case BAD_ID_NOT_UUID: strcpy(id.s, "not-a-uuid"); break;
    case BAD_ID_EMPTY: break;
    case BAD_ID_UPPER: {
        id = *existing;
        int letters = 0;
        for (size_t i = 0; i < 36; i++)
            if (id.s[i] >= 'a' && id.s[i] <= 'f') {
                id.s[i] = (char)(id.s[i] - 'a' + 'A');
                letters++;
            }
        if (!letters)
            strcpy(id.s, "3F2504E0-4F89-41D3-9A0C-0305E82C3301");
        break;
    }
    case BAD_ID_37_A: memset(id.s, 'a', sizeof id.s); break;
    case BAD_ID_NO_NUL:
        id = *existing;
        id.s[36] = '0';
        break;
    case BAD_ID_NO_DASHES: strcpy(id.s, "3f2504e04f8941d39a0c0305e82c3301"); break;
    }
    return id;
}

static const char *bad_id_name(int kind)
{
    static const char *const names[] = {"not a UUID", "empty", "upper-case", "37 x 'a', unterminated",
                                        "UUID without its NUL", "no dashes"};
    return names[kind];
}

/* An id the library cannot have written. */
static void id_sentinel(bk_id *id)
{
    memset(id, 0, sizeof *id);
    strcpy(id->s, "sentinel");
}

static int id_untouched(const bk_id *id) { return strcmp(id->s, "sentinel") == 0 || id->s[0] == '\0'; }

/* ------------------------------------------------------------------ */
/* Snapshots: everything stored, as text                               */
/* ------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t len, cap;
} text;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void tput(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    EXPECT(n >= 0, "vsnprintf failed");
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->len + (size_t)n + 1) * 2;
        char *p = realloc(t->p, cap);
        EXPECT(p != NULL, "out of memory in the test");
        t->p = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static const char *S(const char *s) { return s ? s : "<NULL>"; }

static bk_db *db;

static char *snapshot(void)
{
    text t = {NULL, 0, 0};
    tput(&t, "snapshot\n");
    bk_provider **ps = NULL;
    size_t np = 0;
    int rc = bk_provider_list(db, &ps, &np);
    EXPECT(rc == BK_OK, "snapshot: bk_provider_list: %s", bk_errmsg(db));
    for (size_t i = 0; i < np; i++) {
        const bk_provider *p = ps[i];
        tput(&t, "provider %s v%u|%s|%s|%s|%s|%s|%s|%s|%lld|%lld\n", p->id.s, p->version, S(p->username),
             S(p->email), S(p->full_name), S(p->timezone), S(p->business_name), S(p->description),
             S(p->avatar_url), (long long)p->created_at, (long long)p->updated_at);

        bk_service **ss = NULL;
        size_t ns = 0;
        rc = bk_service_list(db, &p->id, &ss, &ns);
        EXPECT(rc == BK_OK, "snapshot: bk_service_list: %s", bk_errmsg(db));
        for (size_t k = 0; k < ns; k++) {
            const bk_service *s = ss[k];
            tput(&t, " service %s of %s|%s|%s|%d|%d|%d|%d|%d|%d|%lld|%s|%d|%d|%d|%lld|%lld\n", s->id.s,
                 s->provider.s, S(s->name), S(s->description), s->duration_minutes, s->buffer_before_minutes,
                 s->buffer_after_minutes, s->slot_step_minutes, s->min_notice_minutes, s->horizon_days,
                 (long long)s->price_minor, S(s->currency), s->active, s->display_order, s->requires_confirmation,
                 (long long)s->created_at, (long long)s->updated_at);
        }
        bk_service_list_free(ss, ns);

        bk_availability **as = NULL;
        size_t na = 0;
        rc = bk_availability_list(db, &p->id, &as, &na);
        EXPECT(rc == BK_OK, "snapshot: bk_availability_list: %s", bk_errmsg(db));
        for (size_t k = 0; k < na; k++)
            tput(&t, " weekly %s of %s|%d|%d|%d|%d\n", as[k]->id.s, as[k]->provider.s, as[k]->weekday,
                 as[k]->start_minute, as[k]->end_minute, as[k]->is_available);
        bk_availability_list_free(as, na);

        bk_override **os = NULL;
        size_t no = 0;
        bk_date first = {1900, 1, 1}, last = {2199, 12, 31};
        rc = bk_override_list(db, &p->id, &first, &last, &os, &no);
        EXPECT(rc == BK_OK, "snapshot: bk_override_list: %s", bk_errmsg(db));
        for (size_t k = 0; k < no; k++) {
            tput(&t, " override of %s %04d-%02d-%02d n=%zu:", os[k]->provider.s, os[k]->date.year, os[k]->date.month,
                 os[k]->date.day, os[k]->n_intervals);
            for (size_t j = 0; j < os[k]->n_intervals; j++)
                tput(&t, " [%d,%d)", os[k]->intervals[j].start_minute, os[k]->intervals[j].end_minute);
            tput(&t, "\n");
        }
        bk_override_list_free(os, no);

        bk_blocked **bs = NULL;
        size_t nb = 0;
        rc = bk_blocked_list(db, &p->id, BK_TIME_MIN, BK_TIME_MAX, &bs, &nb);
        EXPECT(rc == BK_OK, "snapshot: bk_blocked_list: %s", bk_errmsg(db));
        for (size_t k = 0; k < nb; k++)
            tput(&t, " blocked %s of %s|%lld|%lld|%s|%s\n", bs[k]->id.s, bs[k]->provider.s, (long long)bs[k]->start,
                 (long long)bs[k]->end, S(bs[k]->rrule), S(bs[k]->reason));
        bk_blocked_list_free(bs, nb);

        bk_booking_filter f = BK_BOOKING_FILTER_INIT;
        f.provider = p->id;
        bk_booking **ks = NULL;
        size_t nk = 0;
        rc = bk_booking_list(db, &f, &ks, &nk);
        EXPECT(rc == BK_OK, "snapshot: bk_booking_list: %s", bk_errmsg(db));
        for (size_t k = 0; k < nk; k++) {
            const bk_booking *b = ks[k];
            tput(&t,
                 " booking %s of %s/%s|%lld|%lld|%d|%d|%d|v%lld|%s|%s|%s|%s|%s|%s|%s|%lld|%lld|%lld|%lld\n",
                 b->id.s, b->provider.s, b->service.s, (long long)b->start, (long long)b->end,
                 b->buffer_before_minutes, b->buffer_after_minutes, (int)b->status, (long long)b->lock_version,
                 S(b->idempotency_key), S(b->customer_name), S(b->customer_email), S(b->customer_phone),
                 S(b->customer_timezone), S(b->notes), S(b->cancellation_reason), (long long)b->created_at,
                 (long long)b->updated_at, (long long)b->confirmed_at, (long long)b->cancelled_at);
        }
        bk_booking_list_free(ks, nk);
    }
    bk_provider_list_free(ps, np);
    return t.p;
}

/* Fails unless the store holds exactly what `before` recorded. */
static void expect_unchanged_at(const char *before, int line)
{
    char *now = snapshot();
    if (strcmp(now, before) == 0) {
        free(now);
        return;
    }
    size_t i = 0;
    while (now[i] && now[i] == before[i])
        i++;
    size_t from = i > 120 ? i - 120 : 0;
    static char msg[1200];
    snprintf(msg, sizeof msg, "line %d [%s]: stored data changed after a failed call, at byte %zu:\nbefore: ...%.240s\nafter:  ...%.240s",
             line, note, i, before + from, now + from);
    free(now);
    ck_abort_msg("%s", msg);
}
#define UNCHANGED(before) expect_unchanged_at((before), __LINE__)

/* ------------------------------------------------------------------ */
/* Fixture and a small world                                           */
/* ------------------------------------------------------------------ */

static const char *test_uri(void)
{
    const char *u = getenv("BK_TEST_URI");
    return u && *u ? u : "memory:";
}

#define MAX_MADE 64
static bk_id made[MAX_MADE];
static size_t n_made;

static void setup(void)
{
    note[0] = '\0';
    n_made = 0;
    db = NULL;
    int rc = bk_open(&db, test_uri());
    EXPECT(rc == BK_OK && db != NULL, "bk_open(%s): %s", test_uri(), bk_errmsg(NULL));
}

static void teardown(void)
{
    for (size_t i = 0; i < n_made; i++)
        bk_provider_delete(db, &made[i]); /* may be gone already */
    bk_provider_purge(db, BK_TIME_MAX - 1, NULL);
    n_made = 0;
    bk_close(db);
    db = NULL;
}

/* A valid provider spec whose strings live in the struct. */
typedef struct pspec {
    char username[65];
    char email[255];
    bk_provider p;
} pspec;

static void pspec_make(pspec *s)
{
    unique(s->username, sizeof s->username, "user-");
    snprintf(s->email, sizeof s->email, "%s@example.com", s->username);
    bk_provider p = BK_PROVIDER_INIT;
    p.username = s->username;
    p.email = s->email;
    p.full_name = "Ada Lovelace";
    p.timezone = "Europe/Berlin";
    p.business_name = "Analytical Engines";
    p.description = "Consultations on engines.";
    p.avatar_url = "https://example.com/ada.png";
    s->p = p;
}

static void track(const bk_id *id)
{
    EXPECT(n_made < MAX_MADE, "too many providers for teardown");
    made[n_made++] = *id;
}

static bk_id make_provider(const bk_provider *spec)
{
    bk_id id;
    SUCCEEDS(db, bk_provider_create(db, spec, &id));
    track(&id);
    return id;
}

static bk_service service_spec(const bk_id *provider)
{
    bk_service s = BK_SERVICE_INIT;
    s.provider = *provider;
    s.name = "Consultation";
    s.description = "One hour.";
    s.duration_minutes = 60;
    s.price_minor = 5000;
    s.currency = "EUR";
    return s;
}

typedef struct world {
    pspec a, b;
    bk_id provider, other_provider;
    bk_id service, inactive_service, other_service;
    bk_id availability, blocked;
    bk_date override_date;
    bk_id booking; /* confirmed, lock_version 1, at `slot` */
    bk_time now;   /* every request passes it: results do not depend on the clock */
    bk_time slot;  /* booked */
    bk_time free_slot; /* offered: slot + k hours are all offered for k >= 1 (< 100) */
    bk_time blocked_start, blocked_end;
} world;

/* Provider A (Europe/Berlin, open around the clock every day) with an
 * active and an inactive one-hour service, a blocked day, an override and
 * one booking; provider B with a service of its own. */
static void world_make(world *w)
{
    memset(w, 0, sizeof *w);
    pspec_make(&w->a);
    pspec_make(&w->b);
    w->provider = make_provider(&w->a.p);
    w->other_provider = make_provider(&w->b.p);
    for (int d = 0; d < 7; d++) {
        bk_availability av = BK_AVAILABILITY_INIT;
        av.provider = w->provider;
        av.weekday = d;
        av.start_minute = 0;
        av.end_minute = 1440;
        SUCCEEDS(db, bk_availability_add(db, &av, d == 1 ? &w->availability : NULL));
    }
    bk_service s = service_spec(&w->provider);
    SUCCEEDS(db, bk_service_create(db, &s, &w->service));
    s.name = "Retired";
    SUCCEEDS(db, bk_service_create(db, &s, &w->inactive_service));
    SUCCEEDS(db, bk_service_deactivate(db, &w->inactive_service));
    bk_service o = service_spec(&w->other_provider);
    SUCCEEDS(db, bk_service_create(db, &o, &w->other_service));

    w->now = at("2030-01-01T00:00:00Z");
    w->slot = at("2030-01-08T10:00:00Z"); /* 11:00 in Berlin */
    w->free_slot = w->slot + 3600;
    w->blocked_start = at("2030-02-01T00:00:00Z");
    w->blocked_end = at("2030-02-02T00:00:00Z");

    bk_blocked bl = BK_BLOCKED_INIT;
    bl.provider = w->provider;
    bl.start = w->blocked_start;
    bl.end = w->blocked_end;
    bl.reason = "holiday";
    SUCCEEDS(db, bk_blocked_add(db, &bl, &w->blocked));

    bk_local_interval iv[1] = {{600, 720}};
    bk_override ov = BK_OVERRIDE_INIT;
    ov.provider = w->provider;
    ov.date.year = 2030;
    ov.date.month = 3;
    ov.date.day = 1;
    ov.n_intervals = 1;
    ov.intervals = iv;
    SUCCEEDS(db, bk_override_set(db, &ov));
    w->override_date = ov.date;

    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = w->provider;
    r.service = w->service;
    r.start = w->slot;
    r.now = w->now;
    r.customer_name = "Grace Hopper";
    r.customer_email = "grace@example.com";
    bk_booking *b = NULL;
    SUCCEEDS(db, bk_book(db, &r, &b));
    EXPECT(b != NULL && b->lock_version == 1 && b->status == BK_BOOKING_CONFIRMED, "world booking");
    w->booking = b->id;
    bk_booking_free(b);
}

static bk_book_request book_request(const world *w, bk_time start)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = w->provider;
    r.service = w->service;
    r.start = start;
    r.now = w->now;
    r.customer_name = "Katherine Johnson";
    r.customer_email = "katherine@example.com";
    r.customer_phone = "+49 30 123456";
    r.customer_timezone = "America/New_York";
    r.notes = "First visit.";
    return r;
}

static bk_slot_query slot_query(const world *w)
{
    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = w->provider;
    q.service = w->service;
    q.from = at("2030-01-08T00:00:00Z");
    q.to = at("2030-01-09T00:00:00Z");
    q.now = w->now;
    return q;
}

/* ------------------------------------------------------------------ */
/* Generic bad-field cases                                             */
/* ------------------------------------------------------------------ */

/* A text member of a record: its name as messages use it, its offset, and
 * what the header allows. */
typedef struct text_field {
    const char *name;
    size_t off;
    int required;
    size_t max;     /* bytes; 0: no byte limit in the header (zone ids) */
    const char *prefix, *suffix; /* around bad bytes, so only they are wrong */
} text_field;

typedef struct int_field {
    const char *name;
    size_t off;
    int lo, hi;
} int_field;

/* Receives one bad variant of a record; ctx is the test's. */
typedef void (*case_fn)(const void *rec, int code, const char *field, void *ctx);

/* Each text field: NULL and "" when required, every invalid UTF-8
 * sequence, one byte past the limit. */
static void text_cases(const void *base, size_t size, const text_field *fields, size_t n, case_fn fn, void *ctx)
{
    void *rec = xmalloc(size);
    for (size_t i = 0; i < n; i++) {
        const text_field *f = &fields[i];
        if (f->required) {
            memcpy(rec, base, size);
            set_str(rec, f->off, NULL);
            NOTE("%s = NULL", f->name);
            fn(rec, BK_EINVAL, f->name, ctx);
            set_str(rec, f->off, "");
            NOTE("%s = \"\"", f->name);
            fn(rec, BK_EINVAL, f->name, ctx);
        }
        for (size_t k = 0; k < N_BAD_UTF8; k++) {
            char *s = concat3(f->prefix, bad_utf8[k], f->suffix);
            memcpy(rec, base, size);
            set_str(rec, f->off, s);
            NOTE("%s with invalid UTF-8 %s", f->name, hex(bad_utf8[k]));
            fn(rec, BK_EINVAL, f->name, ctx);
            free(s);
        }
        size_t over = f->max ? f->max + 1 : 300;
        char *s = sized(f->prefix, "a", over, f->suffix);
        memcpy(rec, base, size);
        set_str(rec, f->off, s);
        NOTE("%s of %zu bytes", f->name, over);
        fn(rec, BK_EINVAL, f->name, ctx);
        free(s);
        /* The limit is in bytes, not characters: 2-byte characters. */
        if (f->max && f->max > 8) {
            s = sized(f->prefix, "\xc3\xa9", over, f->suffix);
            memcpy(rec, base, size);
            set_str(rec, f->off, s);
            NOTE("%s of %zu bytes of 'e-acute'", f->name, over);
            fn(rec, BK_EINVAL, f->name, ctx);
            free(s);
        }
    }
    free(rec);
}

static void int_cases(const void *base, size_t size, const int_field *fields, size_t n, case_fn fn, void *ctx)
{
    void *rec = xmalloc(size);
    for (size_t i = 0; i < n; i++) {
        const int_field *f = &fields[i];
        const int bad[5] = {f->lo - 1, f->hi + 1, INT_MIN, INT_MAX, -1};
        for (size_t k = 0; k < 5; k++) {
            if (bad[k] >= f->lo && bad[k] <= f->hi)
                continue;
            memcpy(rec, base, size);
            set_int(rec, f->off, bad[k]);
            NOTE("%s = %d", f->name, bad[k]);
            fn(rec, BK_EINVAL, f->name, ctx);
        }
    }
    free(rec);
}

static void version_cases(const void *base, size_t size, const char *name, case_fn fn, void *ctx)
{
    (void)name;
    void *rec = xmalloc(size);
    const unsigned versions[] = {0, 999, UINT_MAX};
    for (size_t k = 0; k < 3; k++) {
        memcpy(rec, base, size);
        memcpy(rec, &versions[k], sizeof versions[k]); /* version is the first member */
        NOTE("%s.version = %u", name, versions[k]);
        fn(rec, BK_EINVAL, "version", ctx);
    }
    free(rec);
}

/* Ids inside a record: each bad id is EINVAL naming `name`. */
static void id_cases(const void *base, size_t size, size_t off, const char *name, const bk_id *existing, case_fn fn,
                     void *ctx)
{
    void *rec = xmalloc(size);
    for (int k = 0; k < BAD_ID_COUNT; k++) {
        bk_id id = bad_id(k, existing);
        memcpy(rec, base, size);
        memcpy((char *)rec + off, &id, sizeof id);
        NOTE("%s %s", name, bad_id_name(k));
        fn(rec, BK_EINVAL, name, ctx);
    }
    free(rec);
}

/* ================================================================== */
/* Handle-less calls                                                   */
/* ================================================================== */

START_TEST(strerror_describes_every_code_and_unknown_values)
{
    const int codes[] = {BK_OK,     BK_EINVAL,  BK_ENOTFOUND,    BK_ECONFLICT, BK_EUNAVAILABLE,
                         BK_ESTALE, BK_ESTATE,  BK_ENOMEM,       BK_EEXISTS,   BK_ESTORE,
                         BK_ECONNECTION, BK_EUNKNOWN, BK_EMISUSE};
    const size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++) {
        const char *s = bk_strerror(codes[i]);
        EXPECT(s != NULL && s[0] != '\0', "bk_strerror(%d) is empty", codes[i]);
        EXPECT(strcmp(s, "unknown status") != 0, "bk_strerror(%d) calls a known code unknown", codes[i]);
        for (size_t k = 0; k < i; k++)
            EXPECT(strcmp(s, bk_strerror(codes[k])) != 0, "bk_strerror(%d) == bk_strerror(%d)", codes[i], codes[k]);
    }
    const int unknown[] = {1, 2, -13, -100, 1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        const char *s = bk_strerror(unknown[i]);
        EXPECT(s != NULL, "bk_strerror(%d) is NULL", unknown[i]);
        ck_assert_str_eq(s, "unknown status");
    }
}
END_TEST

START_TEST(version_calls_agree_with_the_header)
{
    ck_assert_str_eq(bk_version(), BK_VERSION_STRING);
    ck_assert_int_eq(bk_version_number(), BK_VERSION_NUMBER);
}
END_TEST

START_TEST(errmsg_of_null_handle_is_never_null_and_follows_the_last_call)
{
    ck_assert_ptr_nonnull(bk_errmsg(NULL));
    FAILS(NULL, bk_timezone_valid("Europe/Berlim"), BK_EINVAL, "timezone");
    SUCCEEDS(NULL, bk_timezone_valid("UTC"));
    ck_assert_ptr_nonnull(bk_errmsg(NULL));
    ck_assert_int_eq(bk_errcode(NULL), BK_OK);
}
END_TEST

START_TEST(time_parse_iso_rejects_null_pointers)
{
    bk_time t = 0;
    FAILS(NULL, bk_time_parse_iso(NULL, &t), BK_EINVAL, "time");
    FAILS(NULL, bk_time_parse_iso("2026-01-01T00:00:00Z", NULL), BK_EINVAL, "out");
    SUCCEEDS(NULL, bk_time_parse_iso("2026-01-01T00:00:00Z", &t));
    ck_assert_int_eq(t, 1767225600);
}
END_TEST

START_TEST(time_parse_iso_rejects_malformed_text)
{
    static const char *const bad[] = {
        "2026-13-01T00:00:00Z",     "2026-01-01 00:00:00Z",  "",
        "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00",   "2026-01-01T00:00:00z",
        "2026-02-29T00:00:00Z",     "2026-04-31T00:00:00Z",  "2026-01-32T00:00:00Z",
        "2026-00-10T00:00:00Z",     "2026-01-00T00:00:00Z",  "2026-01-01T24:00:00Z",
        "2026-01-01T23:60:00Z",     "2026-01-01T23:59:60Z",  "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",     "+026-01-01T00:00:00Z",  "2026-1-01T00:00:00Z",
        "2026-01-01T00:00:00+00:00", " 2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z",
        "2026-01-01t00:00:00Z",     "-001-01-01T00:00:00Z",  "2026-01-01T00:00:0Z",
        "\357\274\222026-01-01T00:00:00Z", /* full-width digit 2 */
        "2026-01-01T00:00:00\xc3\x28", "\300\2572026-01-01T00:00:00Z", "\xed\xa0\x80",
        "2026-01-01T00:00:00Z\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("'%s' (%s)", bad[i], hex(bad[i]));
        bk_time t = 12345;
        FAILS(NULL, bk_time_parse_iso(bad[i], &t), BK_EINVAL, "time");
    }
    note[0] = '\0';
    bk_time t = 0;
    SUCCEEDS(NULL, bk_time_parse_iso("1900-01-01T00:00:00Z", &t));
    ck_assert_int_eq(t, BK_TIME_MIN);
    SUCCEEDS(NULL, bk_time_parse_iso("2199-12-31T23:59:59Z", &t));
    ck_assert_int_eq(t, BK_TIME_MAX - 1);
    SUCCEEDS(NULL, bk_time_parse_iso("2028-02-29T12:34:56Z", &t));
}
END_TEST

START_TEST(time_format_iso_rejects_null_buffer_and_times_out_of_range)
{
    char buf[BK_ISO_SIZE];
    FAILS(NULL, bk_time_format_iso(0, NULL), BK_EINVAL, "buf");
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, BK_TIME_MAX + 1, INT64_MIN, INT64_MAX, BK_TIME_UNSET};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("t = %lld", (long long)bad[i]);
        memset(buf, 'X', sizeof buf);
        FAILS(NULL, bk_time_format_iso(bad[i], buf), BK_EINVAL, "time");
        ck_assert_str_eq(buf, "");
    }
    SUCCEEDS(NULL, bk_time_format_iso(BK_TIME_MIN, buf));
    ck_assert_str_eq(buf, "1900-01-01T00:00:00Z");
    SUCCEEDS(NULL, bk_time_format_iso(BK_TIME_MAX - 1, buf));
    ck_assert_str_eq(buf, "2199-12-31T23:59:59Z");
}
END_TEST

START_TEST(time_format_rejects_unknown_zone_naming_it)
{
    char buf[256];
    FAILS(NULL, bk_time_format(0, "Europe/Berlim", NULL, NULL, buf, sizeof buf), BK_EINVAL, "timezone");
    ck_assert_ptr_nonnull(strstr(bk_errmsg(NULL), "Europe/Berlim"));
    ck_assert_str_eq(buf, "");
    FAILS(NULL, bk_time_format(0, NULL, NULL, NULL, buf, sizeof buf), BK_EINVAL, "timezone");
    FAILS(NULL, bk_time_format(0, "", NULL, NULL, buf, sizeof buf), BK_EINVAL, "timezone");
    FAILS(NULL, bk_time_format(0, "Europe/Berlin ", NULL, NULL, buf, sizeof buf), BK_EINVAL, "timezone");
    for (size_t k = 0; k < N_BAD_UTF8; k++) {
        char *z = concat3("Europe/", bad_utf8[k], "");
        NOTE("zone with %s", hex(bad_utf8[k]));
        FAILS(NULL, bk_time_format(0, z, NULL, NULL, buf, sizeof buf), BK_EINVAL, "timezone");
        free(z);
    }
    note[0] = '\0';
    SUCCEEDS(NULL, bk_time_format(0, "Europe/Berlin", NULL, NULL, buf, sizeof buf));
    EXPECT(buf[0] != '\0', "empty output");
}
END_TEST

START_TEST(time_format_rejects_null_or_too_small_buffer)
{
    char buf[256];
    SUCCEEDS(NULL, bk_time_format(0, "UTC", "en_US", "yMMMdjmz", buf, sizeof buf));
    size_t len = strlen(buf);
    EXPECT(len > 2, "output '%s' too short to test", buf);
    char *exact = xmalloc(len + 1);
    SUCCEEDS(NULL, bk_time_format(0, "UTC", "en_US", "yMMMdjmz", exact, len + 1));
    ck_assert_str_eq(exact, buf);
    memset(exact, 'X', len + 1);
    FAILS(NULL, bk_time_format(0, "UTC", "en_US", "yMMMdjmz", exact, len), BK_EINVAL, "buf_size");
    EXPECT(exact[0] == '\0', "buffer not emptied after failure");
    free(exact);
    char one[1] = {'X'};
    FAILS(NULL, bk_time_format(0, "UTC", "en_US", "yMMMdjmz", one, 1), BK_EINVAL, "buf_size");
    ck_assert_int_eq(one[0], '\0');
    FAILS(NULL, bk_time_format(0, "UTC", NULL, NULL, NULL, 64), BK_EINVAL, "buf");
    FAILS(NULL, bk_time_format(0, "UTC", NULL, NULL, buf, 0), BK_EINVAL, "buf");
}
END_TEST

START_TEST(time_format_rejects_times_out_of_range)
{
    char buf[256];
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("t = %lld", (long long)bad[i]);
        FAILS(NULL, bk_time_format(bad[i], "UTC", NULL, NULL, buf, sizeof buf), BK_EINVAL, "time");
        ck_assert_str_eq(buf, "");
    }
    note[0] = '\0';
    SUCCEEDS(NULL, bk_time_format(BK_TIME_MIN, "UTC", NULL, NULL, buf, sizeof buf));
    SUCCEEDS(NULL, bk_time_format(BK_TIME_MAX - 1, "UTC", NULL, NULL, buf, sizeof buf));
}
END_TEST

START_TEST(time_format_rejects_bad_locale_and_skeleton)
{
    char buf[256];
    char *long_text = sized("", "y", 101, "");
    FAILS(NULL, bk_time_format(0, "UTC", NULL, long_text, buf, sizeof buf), BK_EINVAL, "skeleton");
    FAILS(NULL, bk_time_format(0, "UTC", long_text, NULL, buf, sizeof buf), BK_EINVAL, "locale");
    free(long_text);
    for (size_t k = 0; k < N_BAD_UTF8; k++) {
        char *sk = concat3("yMMMd", bad_utf8[k], "");
        NOTE("skeleton with %s", hex(bad_utf8[k]));
        FAILS(NULL, bk_time_format(0, "UTC", NULL, sk, buf, sizeof buf), BK_EINVAL, "skeleton");
        free(sk);
        char *loc = concat3("de_DE", bad_utf8[k], "");
        NOTE("locale with %s", hex(bad_utf8[k]));
        FAILS(NULL, bk_time_format(0, "UTC", loc, NULL, buf, sizeof buf), BK_EINVAL, "locale");
        free(loc);
    }
    note[0] = '\0';
    SUCCEEDS(NULL, bk_time_format(0, "Europe/Berlin", "de_DE", "yMMMdEEEjmz", buf, sizeof buf));
}
END_TEST

START_TEST(timezone_valid_rejects_unknown_zones_naming_them)
{
    FAILS(NULL, bk_timezone_valid("Europe/Berlim"), BK_EINVAL, "timezone");
    ck_assert_ptr_nonnull(strstr(bk_errmsg(NULL), "Europe/Berlim"));
    FAILS(NULL, bk_timezone_valid(NULL), BK_EINVAL, "timezone");
    FAILS(NULL, bk_timezone_valid(""), BK_EINVAL, "timezone");
    FAILS(NULL, bk_timezone_valid("Mars/Olympus_Mons"), BK_EINVAL, "timezone");
    ck_assert_ptr_nonnull(strstr(bk_errmsg(NULL), "Mars/Olympus_Mons"));
    for (size_t k = 0; k < N_BAD_UTF8; k++) {
        char *z = concat3("Europe/", bad_utf8[k], "Berlin");
        NOTE("zone with %s", hex(bad_utf8[k]));
        FAILS(NULL, bk_timezone_valid(z), BK_EINVAL, "timezone");
        free(z);
    }
    char *huge = sized("Europe/", "x", 5000, "");
    FAILS(NULL, bk_timezone_valid(huge), BK_EINVAL, "timezone");
    free(huge);
    note[0] = '\0';
    SUCCEEDS(NULL, bk_timezone_valid("Europe/Berlin"));
    SUCCEEDS(NULL, bk_timezone_valid("UTC"));
}
END_TEST

START_TEST(id_parse_rejects_malformed_text)
{
    bk_id id;
    FAILS(NULL, bk_id_parse(UNKNOWN_ID, NULL), BK_EINVAL, "out");
    FAILS(NULL, bk_id_parse(NULL, &id), BK_EINVAL, "id");
    char *a37 = sized("", "a", 37, "");
    char *a36 = sized("", "a", 36, "");
    const char *bad[] = {
        "",
        "not-a-uuid",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330",   /* 35 */
        "3f2504e0-4f89-41d3-9a0c-0305e82c33011", /* 37 */
        "3f2504e04f8941d39a0c0305e82c3301",
        "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
        "3f2504e04-f89-41d3-9a0c-0305e82c3301",
        " 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330\xc3\x28",
        "3f2504e0-4f89-41d3-9a0c-0305e82c33\xc0\xaf",
        "\xed\xa0\x80",
        a37,
        a36,
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("'%s'", hex(bad[i]));
        id = id_of(UNKNOWN_ID);
        FAILS(NULL, bk_id_parse(bad[i], &id), BK_EINVAL, "id");
        EXPECT(id.s[0] == '\0', "[%s] out not cleared", note);
    }
    free(a37);
    free(a36);
    note[0] = '\0';
    SUCCEEDS(NULL, bk_id_parse("3F2504E0-4F89-41D3-9A0C-0305E82C3301", &id));
    ck_assert_str_eq(id.s, UNKNOWN_ID);
}
END_TEST

START_TEST(booking_status_name_is_null_for_values_out_of_range)
{
    const char *names[] = {"pending", "confirmed", "cancelled", "completed", "no_show"};
    for (int s = BK_BOOKING_PENDING; s <= BK_BOOKING_NO_SHOW; s++)
        ck_assert_str_eq(bk_booking_status_name((bk_booking_status)s), names[s - 1]);
    const int bad[] = {0, 6, -1, 1000, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT(bk_booking_status_name((bk_booking_status)bad[i]) == NULL, "status %d has a name", bad[i]);
}
END_TEST

START_TEST(booking_status_parse_rejects_unknown_names)
{
    bk_booking_status st = BK_BOOKING_PENDING;
    FAILS(NULL, bk_booking_status_parse("pending", NULL), BK_EINVAL, "out");
    FAILS(NULL, bk_booking_status_parse(NULL, &st), BK_EINVAL, "status");
    const char *bad[] = {"", "PENDING", "Pending", "pending ", " pending", "cancel", "no-show", "canceled",
                         "pending\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "confirmed\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("'%s'", hex(bad[i]));
        FAILS(NULL, bk_booking_status_parse(bad[i], &st), BK_EINVAL, "status");
    }
    note[0] = '\0';
    for (int s = BK_BOOKING_PENDING; s <= BK_BOOKING_NO_SHOW; s++) {
        SUCCEEDS(NULL, bk_booking_status_parse(bk_booking_status_name((bk_booking_status)s), &st));
        ck_assert_int_eq(st, s);
    }
}
END_TEST

START_TEST(slot_reason_name_is_never_null)
{
    for (int r = BK_SLOT_OFFERED; r <= BK_SLOT_CONFLICT; r++) {
        const char *n = bk_slot_reason_name((bk_slot_reason)r);
        EXPECT(n && n[0], "reason %d has no name", r);
        for (int k = BK_SLOT_OFFERED; k < r; k++)
            EXPECT(strcmp(n, bk_slot_reason_name((bk_slot_reason)k)) != 0, "reasons %d and %d share a name", r, k);
    }
    const int bad[] = {-1, 8, 1000, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *n = bk_slot_reason_name((bk_slot_reason)bad[i]);
        EXPECT(n != NULL && n[0] != '\0', "reason %d: NULL or empty name", bad[i]);
        for (int k = BK_SLOT_OFFERED; k <= BK_SLOT_CONFLICT; k++)
            EXPECT(strcmp(n, bk_slot_reason_name((bk_slot_reason)k)) != 0, "bad reason %d is named like reason %d",
                   bad[i], k);
    }
}
END_TEST

START_TEST(free_and_init_functions_accept_null)
{
    bk_close(NULL);
    bk_provider_free(NULL);
    bk_provider_list_free(NULL, 0);
    bk_provider_list_free(NULL, 3);
    bk_service_free(NULL);
    bk_service_list_free(NULL, 0);
    bk_service_list_free(NULL, 3);
    bk_availability_free(NULL);
    bk_availability_list_free(NULL, 0);
    bk_availability_list_free(NULL, 3);
    bk_override_free(NULL);
    bk_override_list_free(NULL, 0);
    bk_override_list_free(NULL, 3);
    bk_blocked_free(NULL);
    bk_blocked_list_free(NULL, 0);
    bk_blocked_list_free(NULL, 3);
    bk_booking_free(NULL);
    bk_booking_list_free(NULL, 0);
    bk_booking_list_free(NULL, 3);
    bk_slots_free(NULL);
    bk_provider_init(NULL);
    bk_service_init(NULL);
    bk_availability_init(NULL);
    bk_override_init(NULL);
    bk_blocked_init(NULL);
    bk_slot_query_init(NULL);
    bk_book_request_init(NULL);
    bk_booking_filter_init(NULL);

    /* The init functions and the macros agree. */
    bk_provider p;
    memset(&p, 0xAB, sizeof p);
    bk_provider_init(&p);
    ck_assert_uint_eq(p.version, BK_PROVIDER_VERSION);
    ck_assert_ptr_null(p.username);
    ck_assert_int_eq(p.created_at, BK_TIME_UNSET);
    bk_service s;
    memset(&s, 0xAB, sizeof s);
    bk_service_init(&s);
    ck_assert_uint_eq(s.version, BK_SERVICE_VERSION);
    ck_assert_str_eq(s.currency, "EUR");
    bk_booking_filter f;
    bk_booking_filter_init(&f);
    ck_assert_uint_eq(f.version, BK_BOOKING_FILTER_VERSION);
}
END_TEST

START_TEST(store_error_accepts_null_err)
{
    ck_assert_int_eq(bk_store_error(NULL, BK_ESTORE, "dropped %d", 1), BK_ESTORE);
    ck_assert_int_eq(bk_store_error(NULL, BK_ENOTFOUND, "%s", "dropped"), BK_ENOTFOUND);
}
END_TEST

/* ================================================================== */
/* bk_open and bk_open_store                                          */
/* ================================================================== */

static int sentinel_target;
#define SENTINEL_DB ((bk_db *)(void *)&sentinel_target)

START_TEST(open_rejects_null_pointers_and_unknown_uris)
{
    bk_db *h = SENTINEL_DB;
    FAILS(NULL, bk_open(NULL, "memory:"), BK_EINVAL, "out");
    FAILS(NULL, bk_open(&h, NULL), BK_EINVAL, "uri");
    ck_assert_ptr_null(h);
    char *long_name = sized("memory:", "n", 7 + 201, "");
    char *bad_utf8_uri = concat3("memory:", "\xc3\x28", "");
    /* Only URIs that no future backend will take (PostgreSQL conninfo may
     * later accept more). */
    const char *bad[] = {"nosuchscheme:foo", "", "\xc3\x28", "\xc0\xaf:x", long_name, bad_utf8_uri};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("uri '%.60s'", bad[i]);
        h = SENTINEL_DB;
        FAILS(NULL, bk_open(&h, bad[i]), BK_EINVAL, "uri");
        ck_assert_ptr_null(h);
    }
    free(long_name);
    free(bad_utf8_uri);
    note[0] = '\0';
    h = NULL;
    SUCCEEDS(NULL, bk_open(&h, test_uri()));
    ck_assert_ptr_nonnull(h);
    bk_close(h);
}
END_TEST

/* A backend whose every method fails with BK_ESTORE; close counts. */
static int fake_closed;

static void fake_close(bk_store *self)
{
    (void)self;
    fake_closed++;
}

#define FAKE_FAIL(what) return bk_store_error(err, BK_ESTORE, "fake backend: %s failed", what)

static int fake_provider_insert(bk_store *s, const bk_provider *p, const char *u, const char *e, bk_store_err *err)
{
    (void)s, (void)p, (void)u, (void)e;
    FAKE_FAIL("provider_insert");
}
static int fake_provider_update(bk_store *s, const bk_provider *p, const char *u, const char *e, bk_store_err *err)
{
    (void)s, (void)p, (void)u, (void)e;
    FAKE_FAIL("provider_update");
}
static int fake_provider_set_deleted(bk_store *s, const bk_id *id, bk_time t, bk_store_err *err)
{
    (void)s, (void)id, (void)t;
    FAKE_FAIL("provider_set_deleted");
}
static int fake_provider_purge(bk_store *s, bk_time t, size_t *n, bk_store_err *err)
{
    (void)s, (void)t, (void)n;
    FAKE_FAIL("provider_purge");
}
static int fake_provider_password_set(bk_store *s, const bk_id *id, const char *h, const char *x, bk_store_err *err)
{
    (void)s, (void)id, (void)h, (void)x;
    FAKE_FAIL("provider_password_set");
}
static int fake_provider_login(bk_store *s, const char *k, const bk_store_sink *sk, bk_store_err *err)
{
    (void)s, (void)k, (void)sk;
    FAKE_FAIL("provider_login");
}
static int fake_token_insert(bk_store *s, const bk_store_token *t, bk_store_err *err)
{
    (void)s, (void)t;
    FAKE_FAIL("token_insert");
}
static int fake_token_get(bk_store *s, const unsigned char h[32], const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)h, (void)k;
    FAKE_FAIL("token_get");
}
static int fake_token_redeem(bk_store *s, const unsigned char h[32], bk_time now, const bk_booking *b, const char *e,
                             int64_t v, bk_store_err *err)
{
    (void)s, (void)h, (void)now, (void)b, (void)e, (void)v;
    FAKE_FAIL("token_redeem");
}
static int fake_booking_find_by_email(bk_store *s, const char *e, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)e, (void)k;
    FAKE_FAIL("booking_find_by_email");
}
static int fake_bookings_erase(bk_store *s, const char *e, bk_time t, bk_time now, size_t *n, bk_store_err *err)
{
    (void)s, (void)e, (void)t, (void)now, (void)n;
    FAKE_FAIL("bookings_erase");
}
static int fake_booking_archive(bk_store *s, bk_time t, size_t l, bk_time now, size_t *n, bk_store_err *err)
{
    (void)s, (void)t, (void)l, (void)now, (void)n;
    FAKE_FAIL("booking_archive");
}
static int fake_provider_get(bk_store *s, const bk_id *id, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)id, (void)k;
    FAKE_FAIL("provider_get");
}
static int fake_provider_list(bk_store *s, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)k;
    FAKE_FAIL("provider_list");
}
static int fake_service_insert(bk_store *s, const bk_service *v, bk_store_err *err)
{
    (void)s, (void)v;
    FAKE_FAIL("service_insert");
}
static int fake_service_update(bk_store *s, const bk_service *v, bk_store_err *err)
{
    (void)s, (void)v;
    FAKE_FAIL("service_update");
}
static int fake_service_get(bk_store *s, const bk_id *id, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)id, (void)k;
    FAKE_FAIL("service_get");
}
static int fake_service_list(bk_store *s, const bk_id *id, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)id, (void)k;
    FAKE_FAIL("service_list");
}
static int fake_availability_insert(bk_store *s, const bk_availability *a, bk_store_err *err)
{
    (void)s, (void)a;
    FAKE_FAIL("availability_insert");
}
static int fake_availability_delete(bk_store *s, const bk_id *id, bk_store_err *err)
{
    (void)s, (void)id;
    FAKE_FAIL("availability_delete");
}
static int fake_availability_list(bk_store *s, const bk_id *id, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)id, (void)k;
    FAKE_FAIL("availability_list");
}
static int fake_override_put(bk_store *s, const bk_override *o, bk_store_err *err)
{
    (void)s, (void)o;
    FAKE_FAIL("override_put");
}
static int fake_override_delete(bk_store *s, const bk_id *id, const bk_date *d, bk_store_err *err)
{
    (void)s, (void)id, (void)d;
    FAKE_FAIL("override_delete");
}
static int fake_override_list(bk_store *s, const bk_id *id, const bk_date *f, const bk_date *t,
                              const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)id, (void)f, (void)t, (void)k;
    FAKE_FAIL("override_list");
}
static int fake_blocked_insert(bk_store *s, const bk_blocked *b, bk_store_err *err)
{
    (void)s, (void)b;
    FAKE_FAIL("blocked_insert");
}
static int fake_blocked_delete(bk_store *s, const bk_id *id, bk_store_err *err)
{
    (void)s, (void)id;
    FAKE_FAIL("blocked_delete");
}
static int fake_blocked_list(bk_store *s, const bk_id *id, bk_time f, bk_time t, const bk_store_sink *k,
                             bk_store_err *err)
{
    (void)s, (void)id, (void)f, (void)t, (void)k;
    FAKE_FAIL("blocked_list");
}
static int fake_booking_insert(bk_store *s, const bk_booking *b, const char *e, const bk_store_sink *k,
                               bk_store_err *err)
{
    (void)s, (void)b, (void)e, (void)k;
    FAKE_FAIL("booking_insert");
}
static int fake_booking_get(bk_store *s, const bk_id *id, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)id, (void)k;
    FAKE_FAIL("booking_get");
}
static int fake_booking_list(bk_store *s, const bk_store_booking_query *q, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)q, (void)k;
    FAKE_FAIL("booking_list");
}
static int fake_booking_update(bk_store *s, const bk_booking *b, const char *e, int64_t v, bk_store_err *err)
{
    (void)s, (void)b, (void)e, (void)v;
    FAKE_FAIL("booking_update");
}
static int fake_schedule_load(bk_store *s, const bk_schedule_request *r, const bk_store_sink *k, bk_store_err *err)
{
    (void)s, (void)r, (void)k;
    FAKE_FAIL("schedule_load");
}

#define STORE_METHODS(X)                                                                                               \
    X(close)                                                                                                           \
    X(provider_insert)                                                                                                 \
    X(provider_update)                                                                                                 \
    X(provider_get)                                                                                                    \
    X(provider_list)                                                                                                   \
    X(service_insert)                                                                                                  \
    X(service_update)                                                                                                  \
    X(service_get)                                                                                                     \
    X(service_list)                                                                                                    \
    X(availability_insert)                                                                                             \
    X(availability_delete)                                                                                             \
    X(availability_list)                                                                                               \
    X(override_put)                                                                                                    \
    X(override_delete)                                                                                                 \
    X(override_list)                                                                                                   \
    X(blocked_insert)                                                                                                  \
    X(blocked_delete)                                                                                                  \
    X(blocked_list)                                                                                                    \
    X(booking_insert)                                                                                                  \
    X(booking_get)                                                                                                     \
    X(booking_list)                                                                                                    \
    X(booking_update)                                                                                                  \
    X(schedule_load)                                                                                                   \
    X(provider_set_deleted)                                                                                            \
    X(provider_purge)                                                                                                  \
    X(provider_password_set)                                                                                           \
    X(provider_login)                                                                                                  \
    X(token_insert)                                                                                                    \
    X(token_get)                                                                                                       \
    X(token_redeem)                                                                                                    \
    X(booking_find_by_email)                                                                                           \
    X(bookings_erase)                                                                                                  \
    X(booking_archive)

enum {
#define X(m) METHOD_##m,
    STORE_METHODS(X)
#undef X
        METHOD_COUNT
};

static const char *const method_names[] = {
#define X(m) #m,
    STORE_METHODS(X)
#undef X
};

static bk_store fake;

static bk_store *fake_store(void)
{
    memset(&fake, 0, sizeof fake);
    fake.version = BK_STORE_VERSION;
    fake.name = "fake";
#define X(m) fake.m = fake_##m;
    STORE_METHODS(X)
#undef X
    fake_closed = 0;
    return &fake;
}

static void fake_null_method(bk_store *s, int which)
{
    switch (which) {
#define X(m)                                                                                                           \
    case METHOD_##m: s->m = NULL; break;
        STORE_METHODS(X)
#undef X
    }
}

START_TEST(open_store_rejects_null_pointers)
{
    bk_db *h = SENTINEL_DB;
    FAILS(NULL, bk_open_store(&h, NULL), BK_EINVAL, "store");
    ck_assert_ptr_null(h);
    FAILS(NULL, bk_open_store(NULL, NULL), BK_EINVAL, "out");
}
END_TEST

START_TEST(open_store_rejects_unknown_vtable_versions_and_closes_the_store)
{
    const unsigned versions[] = {0, 1, 3, 99, UINT_MAX};
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        bk_store *s = fake_store();
        s->version = versions[i];
        NOTE("store version %u", versions[i]);
        bk_db *h = SENTINEL_DB;
        FAILS(NULL, bk_open_store(&h, s), BK_EMISUSE, "version");
        ck_assert_ptr_null(h);
        EXPECT(fake_closed == 1, "[%s] store closed %d times, not once", note, fake_closed);
    }
    /* Without a close method there is nothing to call, and no crash. */
    bk_store *s = fake_store();
    s->version = 0;
    s->close = NULL;
    bk_db *h = SENTINEL_DB;
    FAILS(NULL, bk_open_store(&h, s), BK_EMISUSE, "version");
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(open_store_rejects_missing_methods_and_closes_the_store)
{
    for (int m = 0; m < METHOD_COUNT; m++) {
        bk_store *s = fake_store();
        fake_null_method(s, m);
        NOTE("store without %s", method_names[m]);
        bk_db *h = SENTINEL_DB;
        FAILS(NULL, bk_open_store(&h, s), BK_EMISUSE, "store");
        ck_assert_ptr_null(h);
        EXPECT(fake_closed == (m == METHOD_close ? 0 : 1), "[%s] store closed %d times", note, fake_closed);
    }
    bk_store *s = fake_store();
    s->name = NULL;
    NOTE("store without a name");
    bk_db *h = SENTINEL_DB;
    FAILS(NULL, bk_open_store(&h, s), BK_EMISUSE, "store");
    ck_assert_ptr_null(h);
    EXPECT(fake_closed == 1, "store without a name closed %d times", fake_closed);
}
END_TEST

START_TEST(open_store_accepts_a_complete_vtable_and_passes_backend_errors_on)
{
    bk_store *s = fake_store();
    bk_db *h = NULL;
    SUCCEEDS(NULL, bk_open_store(&h, s));
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(fake_closed, 0);

    bk_provider **list = (bk_provider **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(h, bk_provider_list(h, &list, &n), BK_ESTORE, "provider_list");
    ck_assert_ptr_null(list);
    ck_assert_uint_eq(n, 0);
    bk_id id = id_of(UNKNOWN_ID);
    bk_provider *p = (bk_provider *)(void *)&sentinel_target;
    FAILS(h, bk_provider_get(h, &id, &p), BK_ESTORE, "provider_get");
    ck_assert_ptr_null(p);
    pspec ps;
    pspec_make(&ps);
    bk_id out;
    id_sentinel(&out);
    FAILS(h, bk_provider_create(h, &ps.p, &out), BK_ESTORE, "provider_insert");
    EXPECT(id_untouched(&out), "id written after a failed create");
    bk_close(h);
    ck_assert_int_eq(fake_closed, 1);
}
END_TEST

/* ================================================================== */
/* Providers                                                           */
/* ================================================================== */

static const text_field provider_text[] = {
    {"username", offsetof(bk_provider, username), 1, 64, "user", ""},
    {"email", offsetof(bk_provider, email), 1, 254, "x", "@example.com"},
    {"full_name", offsetof(bk_provider, full_name), 1, 200, "Ada ", ""},
    {"timezone", offsetof(bk_provider, timezone), 1, 0, "Europe/", ""},
    {"business_name", offsetof(bk_provider, business_name), 0, 200, "Engines ", ""},
    {"description", offsetof(bk_provider, description), 0, 4000, "About ", ""},
    {"avatar_url", offsetof(bk_provider, avatar_url), 0, 2000, "https://example.com/", ".png"},
};
#define N_PROVIDER_TEXT (sizeof provider_text / sizeof *provider_text)

/* Every bad variant of a valid provider spec. */
static void provider_cases(const bk_provider *base, case_fn fn, void *ctx)
{
    version_cases(base, sizeof *base, "provider", fn, ctx);
    text_cases(base, sizeof *base, provider_text, N_PROVIDER_TEXT, fn, ctx);
    bk_provider p = *base;
    for (size_t i = 0; i < N_BAD_EMAILS; i++) {
        p.email = bad_emails[i];
        NOTE("email '%s'", hex(bad_emails[i]));
        fn(&p, BK_EINVAL, "email", ctx);
    }
    p = *base;
    const char *zones[] = {"Europe/Berlim", "europe/berlin", "Europe/Berlin ", "GMT+25", "Nowhere"};
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        p.timezone = zones[i];
        NOTE("timezone '%s'", zones[i]);
        fn(&p, BK_EINVAL, "timezone", ctx);
    }
}

static void expect_create_fails(const void *rec, int code, const char *field, void *ctx)
{
    const char *before = ctx;
    bk_id id;
    id_sentinel(&id);
    FAILS(db, bk_provider_create(db, rec, &id), code, field);
    EXPECT(id_untouched(&id), "[%s] out_id written after a failed create", note);
    UNCHANGED(before);
}

START_TEST(provider_create_rejects_null_pointers)
{
    pspec ps;
    pspec_make(&ps);
    char *before = snapshot();
    bk_id id;
    id_sentinel(&id);
    FAILS(NULL, bk_provider_create(NULL, &ps.p, &id), BK_EINVAL, "db");
    EXPECT(id_untouched(&id), "out_id written");
    FAILS(db, bk_provider_create(db, NULL, &id), BK_EINVAL, "provider");
    EXPECT(id_untouched(&id), "out_id written");
    UNCHANGED(before);
    free(before);
    /* out_id may be NULL. */
    SUCCEEDS(db, bk_provider_create(db, &ps.p, NULL));
    bk_provider **list = NULL;
    size_t n = 0;
    SUCCEEDS(db, bk_provider_list(db, &list, &n));
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i]->username, ps.username) == 0)
            track(&list[i]->id);
    bk_provider_list_free(list, n);
    ck_assert_uint_eq(n_made, 1);
}
END_TEST

START_TEST(provider_create_rejects_unknown_struct_versions)
{
    pspec ps;
    pspec_make(&ps);
    char *before = snapshot();
    version_cases(&ps.p, sizeof ps.p, "provider", expect_create_fails, before);
    free(before);
    note[0] = '\0';
    make_provider(&ps.p);
}
END_TEST

START_TEST(provider_create_rejects_missing_and_invalid_utf8_and_oversized_fields)
{
    pspec ps;
    pspec_make(&ps);
    char *before = snapshot();
    text_cases(&ps.p, sizeof ps.p, provider_text, N_PROVIDER_TEXT, expect_create_fails, before);
    free(before);
    note[0] = '\0';
    make_provider(&ps.p);
}
END_TEST

START_TEST(provider_create_rejects_malformed_emails)
{
    pspec ps;
    pspec_make(&ps);
    char *before = snapshot();
    bk_provider p = ps.p;
    for (size_t i = 0; i < N_BAD_EMAILS; i++) {
        p.email = bad_emails[i];
        NOTE("email '%s'", hex(bad_emails[i]));
        expect_create_fails(&p, BK_EINVAL, "email", before);
    }
    free(before);
    note[0] = '\0';
    make_provider(&ps.p);
}
END_TEST

START_TEST(provider_create_rejects_unknown_timezone_naming_it)
{
    pspec ps;
    pspec_make(&ps);
    char *before = snapshot();
    bk_provider p = ps.p;
    p.timezone = "Europe/Berlim";
    expect_create_fails(&p, BK_EINVAL, "timezone", before);
    bk_provider_create(db, &p, NULL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "Europe/Berlim"));
    p.timezone = "Europe/\xc3\x28";
    expect_create_fails(&p, BK_EINVAL, "timezone", before);
    free(before);
    make_provider(&ps.p);
}
END_TEST

START_TEST(provider_create_accepts_every_field_at_its_maximum)
{
    char prefix[40];
    unique(prefix, sizeof prefix, "max-");
    char *username = sized(prefix, "\xc3\xa9", 64, "");
    char *email = sized(prefix, "e", 254, "@example.com");
    char *full_name = sized("", "\xe2\x82\xac", 200, "");
    char *business = sized("", "b", 200, "");
    char *description = sized("", "\xf0\x9f\x93\x85", 4000, "");
    char *avatar = sized("https://example.com/", "p", 2000, "");
    bk_provider p = BK_PROVIDER_INIT;
    p.username = username;
    p.email = email;
    p.full_name = full_name;
    p.timezone = "America/Argentina/Buenos_Aires";
    p.business_name = business;
    p.description = description;
    p.avatar_url = avatar;
    bk_id id = make_provider(&p);
    bk_provider *got = NULL;
    SUCCEEDS(db, bk_provider_get(db, &id, &got));
    ck_assert_str_eq(got->username, username);
    ck_assert_str_eq(got->email, email);
    ck_assert_str_eq(got->full_name, full_name);
    ck_assert_str_eq(got->description, description);
    ck_assert_str_eq(got->avatar_url, avatar);
    bk_provider_free(got);
    free(username);
    free(email);
    free(full_name);
    free(business);
    free(description);
    free(avatar);
}
END_TEST

START_TEST(provider_create_rejects_taken_username_and_email)
{
    pspec a, b;
    pspec_make(&a);
    pspec_make(&b);
    make_provider(&a.p);
    char *before = snapshot();
    /* Taken username, compared case-insensitively. */
    char upper[65];
    snprintf(upper, sizeof upper, "%s", a.username);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    bk_provider p = b.p;
    p.username = upper;
    bk_id id;
    id_sentinel(&id);
    FAILS(db, bk_provider_create(db, &p, &id), BK_EEXISTS, "username");
    EXPECT(id_untouched(&id), "out_id written");
    UNCHANGED(before);
    /* Taken email. */
    char email[255];
    snprintf(email, sizeof email, "%s", a.email);
    for (char *c = email; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    p = b.p;
    p.email = email;
    FAILS(db, bk_provider_create(db, &p, &id), BK_EEXISTS, "email");
    UNCHANGED(before);
    free(before);
    make_provider(&b.p);
}
END_TEST

/* Calls taking an id: NULL, each malformed id (EINVAL naming `field`) and
 * an unknown id (ENOTFOUND naming `what`). */
typedef int (*id_call)(const bk_id *id, void *ctx);

static void id_call_cases(id_call call, void *ctx, const char *field, const char *what, const bk_id *existing,
                          const char *before)
{
    NOTE("%s NULL", field);
    FAILS(db, call(NULL, ctx), BK_EINVAL, field);
    UNCHANGED(before);
    for (int k = 0; k < BAD_ID_COUNT; k++) {
        bk_id id = bad_id(k, existing);
        NOTE("%s %s", field, bad_id_name(k));
        FAILS(db, call(&id, ctx), BK_EINVAL, field);
        UNCHANGED(before);
    }
    bk_id unknown = id_of(UNKNOWN_ID);
    NOTE("%s unknown", field);
    FAILS(db, call(&unknown, ctx), BK_ENOTFOUND, what);
    UNCHANGED(before);
    note[0] = '\0';
}

static int call_provider_get(const bk_id *id, void *ctx)
{
    bk_provider **out = ctx;
    *out = (bk_provider *)(void *)&sentinel_target;
    int rc = bk_provider_get(db, id, out);
    EXPECT(*out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

START_TEST(provider_get_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_provider *p = NULL;
    FAILS(NULL, bk_provider_get(NULL, &w.provider, &p), BK_EINVAL, "db");
    FAILS(db, bk_provider_get(db, &w.provider, NULL), BK_EINVAL, "out");
    id_call_cases(call_provider_get, &p, "id", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_provider_get(db, &w.provider, &p));
    ck_assert_str_eq(p->username, w.a.username);
    bk_provider_free(p);
}
END_TEST

typedef struct update_ctx {
    const char *before;
    const bk_provider *old; /* as stored */
} update_ctx;

static void expect_provider_update_fails(const void *rec, int code, const char *field, void *ctx)
{
    const update_ctx *u = ctx;
    FAILS(db, bk_provider_update(db, rec), code, field);
    UNCHANGED(u->before);
}

START_TEST(provider_update_rejects_bad_fields_and_keeps_the_old_values)
{
    world w;
    world_make(&w);
    bk_provider *old = NULL;
    SUCCEEDS(db, bk_provider_get(db, &w.provider, &old));
    char *before = snapshot();
    update_ctx u = {before, old};
    bk_provider spec = w.a.p;
    spec.id = w.provider;
    spec.full_name = "Ada King";
    FAILS(NULL, bk_provider_update(NULL, &spec), BK_EINVAL, "db");
    FAILS(db, bk_provider_update(db, NULL), BK_EINVAL, "provider");
    UNCHANGED(before);
    provider_cases(&spec, expect_provider_update_fails, &u);
    note[0] = '\0';
    bk_provider *now = NULL;
    SUCCEEDS(db, bk_provider_get(db, &w.provider, &now));
    ck_assert_str_eq(now->full_name, old->full_name);
    ck_assert_str_eq(now->timezone, old->timezone);
    bk_provider_free(now);
    free(before);
    bk_provider_free(old);
    /* The valid update next to them succeeds. */
    SUCCEEDS(db, bk_provider_update(db, &spec));
    SUCCEEDS(db, bk_provider_get(db, &w.provider, &now));
    ck_assert_str_eq(now->full_name, "Ada King");
    bk_provider_free(now);
}
END_TEST

START_TEST(provider_update_rejects_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_provider spec = w.a.p;
    spec.full_name = "Changed";
    spec.id = w.provider;
    id_cases(&spec, sizeof spec, offsetof(bk_provider, id), "id", &w.provider, expect_provider_update_fails,
             &(update_ctx){before, NULL});
    spec.id = id_of(UNKNOWN_ID);
    NOTE("unknown id");
    FAILS(db, bk_provider_update(db, &spec), BK_ENOTFOUND, "provider");
    UNCHANGED(before);
    free(before);
}
END_TEST

START_TEST(provider_update_rejects_taken_username_and_email)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_provider spec = w.a.p;
    spec.id = w.provider;
    spec.username = w.b.username;
    FAILS(db, bk_provider_update(db, &spec), BK_EEXISTS, "username");
    UNCHANGED(before);
    spec = w.a.p;
    spec.id = w.provider;
    spec.email = w.b.email;
    FAILS(db, bk_provider_update(db, &spec), BK_EEXISTS, "email");
    UNCHANGED(before);
    free(before);
    /* Keeping one's own username and email is no conflict. */
    spec = w.a.p;
    spec.id = w.provider;
    SUCCEEDS(db, bk_provider_update(db, &spec));
}
END_TEST

START_TEST(provider_list_rejects_null_pointers_and_clears_outputs)
{
    world w;
    world_make(&w);
    bk_provider **list = (bk_provider **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_provider_list(NULL, &list, &n), BK_EINVAL, "db");
    FAILS(db, bk_provider_list(db, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    FAILS(db, bk_provider_list(db, &list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    SUCCEEDS(db, bk_provider_list(db, &list, &n));
    ck_assert_uint_ge(n, 2);
    bk_provider_list_free(list, n);
}
END_TEST

static int call_provider_delete(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_provider_delete(db, id);
}

START_TEST(provider_delete_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    FAILS(NULL, bk_provider_delete(NULL, &w.provider), BK_EINVAL, "db");
    id_call_cases(call_provider_delete, NULL, "id", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_provider_delete(db, &w.other_provider));
    /* Soft: deleting again is no error; purging removes it for good. */
    SUCCEEDS(db, bk_provider_delete(db, &w.other_provider));
    size_t n = 0;
    SUCCEEDS(db, bk_provider_purge(db, BK_TIME_MAX - 1, &n));
    ck_assert_uint_eq(n, 1);
    FAILS(db, bk_provider_delete(db, &w.other_provider), BK_ENOTFOUND, "provider");
    FAILS(db, bk_provider_restore(db, &w.other_provider), BK_ENOTFOUND, "provider");
    /* Its service went with it. */
    bk_service *s = NULL;
    FAILS(db, bk_service_get(db, &w.other_service, &s), BK_ENOTFOUND, "service");
    ck_assert_ptr_null(s);
}
END_TEST

/* ================================================================== */
/* Services                                                            */
/* ================================================================== */

static const text_field service_text[] = {
    {"name", offsetof(bk_service, name), 1, 200, "Cut ", ""},
    {"description", offsetof(bk_service, description), 0, 4000, "About ", ""},
};
#define N_SERVICE_TEXT (sizeof service_text / sizeof *service_text)

static const int_field service_ints[] = {
    {"duration_minutes", offsetof(bk_service, duration_minutes), 1, 1440},
    {"buffer_before_minutes", offsetof(bk_service, buffer_before_minutes), 0, 1440},
    {"buffer_after_minutes", offsetof(bk_service, buffer_after_minutes), 0, 1440},
    {"slot_step_minutes", offsetof(bk_service, slot_step_minutes), 0, 1440},
    {"min_notice_minutes", offsetof(bk_service, min_notice_minutes), 0, 525600},
    {"horizon_days", offsetof(bk_service, horizon_days), 0, 3650},
    {"active", offsetof(bk_service, active), 0, 1},
    {"requires_confirmation", offsetof(bk_service, requires_confirmation), 0, 1},
};
#define N_SERVICE_INTS (sizeof service_ints / sizeof *service_ints)

static const char *const bad_currencies[] = {"eur", "EU", "XXQ", "EURO", "", "E1R", "EUR ", " EUR", "Eur",
                                             "\xc3(A", "E\xc0\xaf", "\xed\xa0\x80"};
#define N_BAD_CURRENCIES (sizeof bad_currencies / sizeof *bad_currencies)

static void service_cases(const bk_service *base, case_fn fn, void *ctx)
{
    version_cases(base, sizeof *base, "service", fn, ctx);
    text_cases(base, sizeof *base, service_text, N_SERVICE_TEXT, fn, ctx);
    int_cases(base, sizeof *base, service_ints, N_SERVICE_INTS, fn, ctx);
    bk_service s = *base;
    const int64_t prices[] = {-1, INT64_MIN};
    for (size_t i = 0; i < 2; i++) {
        s.price_minor = prices[i];
        NOTE("price_minor %lld", (long long)prices[i]);
        fn(&s, BK_EINVAL, "price_minor", ctx);
    }
    s = *base;
    s.currency = NULL;
    NOTE("currency NULL");
    fn(&s, BK_EINVAL, "currency", ctx);
    for (size_t i = 0; i < N_BAD_CURRENCIES; i++) {
        s.currency = bad_currencies[i];
        NOTE("currency '%s'", hex(bad_currencies[i]));
        fn(&s, BK_EINVAL, "currency", ctx);
    }
}

static void expect_service_create_fails(const void *rec, int code, const char *field, void *ctx)
{
    bk_id id;
    id_sentinel(&id);
    FAILS(db, bk_service_create(db, rec, &id), code, field);
    EXPECT(id_untouched(&id), "[%s] out_id written after a failed create", note);
    UNCHANGED(ctx);
}

START_TEST(service_create_rejects_null_pointers)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_service s = service_spec(&w.provider);
    bk_id id;
    id_sentinel(&id);
    FAILS(NULL, bk_service_create(NULL, &s, &id), BK_EINVAL, "db");
    FAILS(db, bk_service_create(db, NULL, &id), BK_EINVAL, "service");
    EXPECT(id_untouched(&id), "out_id written");
    UNCHANGED(before);
    free(before);
    SUCCEEDS(db, bk_service_create(db, &s, NULL));
}
END_TEST

START_TEST(service_create_rejects_each_bad_field)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_service s = service_spec(&w.provider);
    service_cases(&s, expect_service_create_fails, before);
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_service_create(db, &s, NULL));
}
END_TEST

START_TEST(service_create_accepts_every_limit)
{
    world w;
    world_make(&w);
    bk_service base = service_spec(&w.provider);
    for (size_t i = 0; i < N_SERVICE_INTS; i++) {
        const int edge[2] = {service_ints[i].lo, service_ints[i].hi};
        for (int k = 0; k < 2; k++) {
            bk_service s = base;
            set_int(&s, service_ints[i].off, edge[k]);
            NOTE("%s = %d", service_ints[i].name, edge[k]);
            bk_id id;
            SUCCEEDS(db, bk_service_create(db, &s, &id));
            bk_service *got = NULL;
            SUCCEEDS(db, bk_service_get(db, &id, &got));
            int v;
            memcpy(&v, (const char *)got + service_ints[i].off, sizeof v);
            EXPECT(v == edge[k], "[%s] stored as %d", note, v);
            bk_service_free(got);
        }
    }
    char *name = sized("", "\xc3\xa9", 200, "");
    char *desc = sized("", "d", 4000, "");
    bk_service s = base;
    s.name = name;
    s.description = desc;
    s.price_minor = 0;
    s.currency = "JPY";
    NOTE("longest name and description");
    SUCCEEDS(db, bk_service_create(db, &s, NULL));
    free(name);
    free(desc);
}
END_TEST

START_TEST(service_create_rejects_invalid_and_unknown_provider)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_service s = service_spec(&w.provider);
    id_cases(&s, sizeof s, offsetof(bk_service, provider), "provider", &w.provider, expect_service_create_fails,
             before);
    s.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_service_create_fails(&s, BK_ENOTFOUND, "provider", before);
    free(before);
}
END_TEST

static int call_service_get(const bk_id *id, void *ctx)
{
    bk_service **out = ctx;
    *out = (bk_service *)(void *)&sentinel_target;
    int rc = bk_service_get(db, id, out);
    EXPECT(*out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

START_TEST(service_get_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_service *s = NULL;
    FAILS(NULL, bk_service_get(NULL, &w.service, &s), BK_EINVAL, "db");
    FAILS(db, bk_service_get(db, &w.service, NULL), BK_EINVAL, "out");
    id_call_cases(call_service_get, &s, "id", "service", &w.service, before);
    free(before);
    SUCCEEDS(db, bk_service_get(db, &w.service, &s));
    ck_assert_str_eq(s->name, "Consultation");
    bk_service_free(s);
}
END_TEST

static void expect_service_update_fails(const void *rec, int code, const char *field, void *ctx)
{
    FAILS(db, bk_service_update(db, rec), code, field);
    UNCHANGED(ctx);
}

START_TEST(service_update_rejects_bad_fields_and_keeps_the_old_values)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_service s = service_spec(&w.provider);
    s.id = w.service;
    s.name = "Long consultation";
    s.duration_minutes = 90;
    FAILS(NULL, bk_service_update(NULL, &s), BK_EINVAL, "db");
    FAILS(db, bk_service_update(db, NULL), BK_EINVAL, "service");
    UNCHANGED(before);
    service_cases(&s, expect_service_update_fails, before);
    id_cases(&s, sizeof s, offsetof(bk_service, id), "id", &w.service, expect_service_update_fails, before);
    bk_service u = s;
    u.id = id_of(UNKNOWN_ID);
    NOTE("unknown id");
    expect_service_update_fails(&u, BK_ENOTFOUND, "service", before);
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_service_update(db, &s));
    bk_service *got = NULL;
    SUCCEEDS(db, bk_service_get(db, &w.service, &got));
    ck_assert_int_eq(got->duration_minutes, 90);
    ck_assert_str_eq(got->name, "Long consultation");
    bk_service_free(got);
}
END_TEST

static int call_service_list(const bk_id *id, void *ctx)
{
    (void)ctx;
    bk_service **list = (bk_service **)(void *)&sentinel_target;
    size_t n = 99;
    int rc = bk_service_list(db, id, &list, &n);
    EXPECT(list == NULL && n == 0, "[%s] outputs not cleared after failure", note);
    return rc;
}

START_TEST(service_list_rejects_null_invalid_and_unknown_provider)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_service **list = (bk_service **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_service_list(NULL, &w.provider, &list, &n), BK_EINVAL, "db");
    FAILS(db, bk_service_list(db, &w.provider, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    FAILS(db, bk_service_list(db, &w.provider, &list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    id_call_cases(call_service_list, NULL, "provider", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_service_list(db, &w.provider, &list, &n));
    ck_assert_uint_eq(n, 2); /* inactive ones included */
    bk_service_list_free(list, n);
}
END_TEST

static int call_service_deactivate(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_service_deactivate(db, id);
}

START_TEST(service_deactivate_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    FAILS(NULL, bk_service_deactivate(NULL, &w.service), BK_EINVAL, "db");
    id_call_cases(call_service_deactivate, NULL, "id", "service", &w.service, before);
    free(before);
    SUCCEEDS(db, bk_service_deactivate(db, &w.service));
    bk_service *s = NULL;
    SUCCEEDS(db, bk_service_get(db, &w.service, &s));
    ck_assert_int_eq(s->active, 0);
    bk_service_free(s);
}
END_TEST

/* ================================================================== */
/* Weekly availability                                                 */
/* ================================================================== */

static bk_availability availability_spec(const bk_id *provider)
{
    bk_availability a = BK_AVAILABILITY_INIT;
    a.provider = *provider;
    a.weekday = 3;
    a.start_minute = 9 * 60;
    a.end_minute = 17 * 60;
    return a;
}

static void expect_availability_add_fails(const void *rec, int code, const char *field, void *ctx)
{
    bk_id id;
    id_sentinel(&id);
    FAILS(db, bk_availability_add(db, rec, &id), code, field);
    EXPECT(id_untouched(&id), "[%s] out_id written after a failed add", note);
    UNCHANGED(ctx);
}

START_TEST(availability_add_rejects_null_pointers_and_versions)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_availability a = availability_spec(&w.provider);
    FAILS(NULL, bk_availability_add(NULL, &a, NULL), BK_EINVAL, "db");
    FAILS(db, bk_availability_add(db, NULL, NULL), BK_EINVAL, "availability");
    UNCHANGED(before);
    version_cases(&a, sizeof a, "availability", expect_availability_add_fails, before);
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_availability_add(db, &a, NULL));
}
END_TEST

START_TEST(availability_add_rejects_weekday_outside_0_to_6)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_availability a = availability_spec(&w.provider);
    static const int_field weekday[] = {{"weekday", offsetof(bk_availability, weekday), 0, 6}};
    int_cases(&a, sizeof a, weekday, 1, expect_availability_add_fails, before);
    free(before);
    note[0] = '\0';
    a.weekday = 0;
    SUCCEEDS(db, bk_availability_add(db, &a, NULL));
    a.weekday = 6;
    SUCCEEDS(db, bk_availability_add(db, &a, NULL));
}
END_TEST

START_TEST(availability_add_rejects_bad_minutes)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_availability a = availability_spec(&w.provider);
    const int bad[][2] = {{-1, 600}, {600, 1441}, {600, 600}, {700, 600}, {1440, 1440}, {0, 0},
                          {INT_MIN, 600}, {600, INT_MAX}, {1441, 1442}, {-10, -5}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        a.start_minute = bad[i][0];
        a.end_minute = bad[i][1];
        NOTE("[%d, %d)", bad[i][0], bad[i][1]);
        expect_availability_add_fails(&a, BK_EINVAL, "end_minute", before);
        FAILS(db, bk_availability_add(db, &a, NULL), BK_EINVAL, "start_minute");
    }
    static const int_field avail[] = {{"is_available", offsetof(bk_availability, is_available), 0, 1}};
    a = availability_spec(&w.provider);
    int_cases(&a, sizeof a, avail, 1, expect_availability_add_fails, before);
    free(before);
    note[0] = '\0';
    a.start_minute = 0;
    a.end_minute = 1440;
    a.is_available = 0;
    SUCCEEDS(db, bk_availability_add(db, &a, NULL));
}
END_TEST

START_TEST(availability_add_rejects_invalid_and_unknown_provider)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_availability a = availability_spec(&w.provider);
    id_cases(&a, sizeof a, offsetof(bk_availability, provider), "provider", &w.provider,
             expect_availability_add_fails, before);
    a.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_availability_add_fails(&a, BK_ENOTFOUND, "provider", before);
    free(before);
}
END_TEST

static int call_availability_list(const bk_id *id, void *ctx)
{
    (void)ctx;
    bk_availability **list = (bk_availability **)(void *)&sentinel_target;
    size_t n = 99;
    int rc = bk_availability_list(db, id, &list, &n);
    EXPECT(list == NULL && n == 0, "[%s] outputs not cleared after failure", note);
    return rc;
}

START_TEST(availability_list_rejects_null_invalid_and_unknown_provider)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_availability **list = (bk_availability **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_availability_list(NULL, &w.provider, &list, &n), BK_EINVAL, "db");
    FAILS(db, bk_availability_list(db, &w.provider, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    FAILS(db, bk_availability_list(db, &w.provider, &list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    id_call_cases(call_availability_list, NULL, "provider", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_availability_list(db, &w.provider, &list, &n));
    ck_assert_uint_eq(n, 7);
    bk_availability_list_free(list, n);
}
END_TEST

static int call_availability_delete(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_availability_delete(db, id);
}

START_TEST(availability_delete_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    FAILS(NULL, bk_availability_delete(NULL, &w.availability), BK_EINVAL, "db");
    id_call_cases(call_availability_delete, NULL, "id", "availability", &w.availability, before);
    free(before);
    SUCCEEDS(db, bk_availability_delete(db, &w.availability));
    FAILS(db, bk_availability_delete(db, &w.availability), BK_ENOTFOUND, "availability");
}
END_TEST

/* ================================================================== */
/* Date overrides                                                      */
/* ================================================================== */

static const bk_date bad_dates[] = {{2026, 2, 29}, {2026, 13, 1},  {2026, 0, 1},        {2026, 1, 0},
                                    {2026, 1, 32}, {2026, 4, 31},  {1899, 12, 31},      {2200, 1, 1},
                                    {-1, 1, 1},    {2026, -1, -1}, {INT_MIN, INT_MIN, 1}, {INT_MAX, 12, 31}};
#define N_BAD_DATES (sizeof bad_dates / sizeof *bad_dates)

static void expect_override_set_fails(const void *rec, int code, const char *field, void *ctx)
{
    FAILS(db, bk_override_set(db, rec), code, field);
    UNCHANGED(ctx);
}

static bk_override override_spec(const world *w, const bk_local_interval *iv, size_t n)
{
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = w->provider;
    o.date = w->override_date; /* replaces the world's override */
    o.n_intervals = n;
    o.intervals = iv;
    return o;
}

START_TEST(override_set_rejects_null_pointers_and_versions)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_local_interval iv[2] = {{540, 720}, {780, 1020}};
    bk_override o = override_spec(&w, iv, 2);
    FAILS(NULL, bk_override_set(NULL, &o), BK_EINVAL, "db");
    FAILS(db, bk_override_set(db, NULL), BK_EINVAL, "override");
    UNCHANGED(before);
    version_cases(&o, sizeof o, "override", expect_override_set_fails, before);
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_override_set(db, &o));
}
END_TEST

START_TEST(override_set_rejects_invalid_dates)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_local_interval iv[1] = {{540, 720}};
    bk_override o = override_spec(&w, iv, 1);
    for (size_t i = 0; i < N_BAD_DATES; i++) {
        o.date = bad_dates[i];
        NOTE("date %d-%d-%d", bad_dates[i].year, bad_dates[i].month, bad_dates[i].day);
        expect_override_set_fails(&o, BK_EINVAL, "date", before);
    }
    free(before);
    note[0] = '\0';
    o.date.year = 2028;
    o.date.month = 2;
    o.date.day = 29;
    SUCCEEDS(db, bk_override_set(db, &o));
    o.date.year = 1900;
    o.date.month = 1;
    o.date.day = 1;
    SUCCEEDS(db, bk_override_set(db, &o));
    o.date.year = 2199;
    o.date.month = 12;
    o.date.day = 31;
    SUCCEEDS(db, bk_override_set(db, &o));
}
END_TEST

START_TEST(override_set_rejects_too_many_or_missing_intervals)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_local_interval iv[BK_OVERRIDE_MAX_INTERVALS + 1];
    for (int i = 0; i <= BK_OVERRIDE_MAX_INTERVALS; i++) {
        iv[i].start_minute = i * 29;
        iv[i].end_minute = i * 29 + 20;
    }
    bk_override o = override_spec(&w, iv, BK_OVERRIDE_MAX_INTERVALS + 1);
    NOTE("%d intervals", BK_OVERRIDE_MAX_INTERVALS + 1);
    expect_override_set_fails(&o, BK_EINVAL, "n_intervals", before);
    o.n_intervals = SIZE_MAX;
    NOTE("SIZE_MAX intervals");
    expect_override_set_fails(&o, BK_EINVAL, "n_intervals", before);
    o.n_intervals = 1;
    o.intervals = NULL;
    NOTE("intervals NULL with n 1");
    expect_override_set_fails(&o, BK_EINVAL, "intervals", before);
    o.n_intervals = BK_OVERRIDE_MAX_INTERVALS;
    NOTE("intervals NULL with n %d", BK_OVERRIDE_MAX_INTERVALS);
    expect_override_set_fails(&o, BK_EINVAL, "intervals", before);
    free(before);
    note[0] = '\0';
    o = override_spec(&w, iv, BK_OVERRIDE_MAX_INTERVALS);
    SUCCEEDS(db, bk_override_set(db, &o));
    /* No intervals = a day off; intervals may then be NULL. */
    o = override_spec(&w, NULL, 0);
    SUCCEEDS(db, bk_override_set(db, &o));
}
END_TEST

START_TEST(override_set_rejects_bad_intervals_and_keeps_the_old_override)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    const int bad[][2] = {{-1, 600}, {600, 1441}, {600, 600}, {700, 600}, {INT_MIN, 5}, {5, INT_MAX}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bk_local_interval iv[3] = {{60, 120}, {bad[i][0], bad[i][1]}, {900, 960}};
        bk_override o = override_spec(&w, iv, 3);
        NOTE("intervals[1] = [%d, %d)", bad[i][0], bad[i][1]);
        expect_override_set_fails(&o, BK_EINVAL, "intervals[1]", before);
    }
    free(before);
    note[0] = '\0';
    bk_local_interval ok[3] = {{0, 60}, {60, 120}, {900, 1440}};
    bk_override o = override_spec(&w, ok, 3);
    SUCCEEDS(db, bk_override_set(db, &o));
}
END_TEST

START_TEST(override_set_rejects_invalid_and_unknown_provider)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_local_interval iv[1] = {{540, 720}};
    bk_override o = override_spec(&w, iv, 1);
    id_cases(&o, sizeof o, offsetof(bk_override, provider), "provider", &w.provider, expect_override_set_fails,
             before);
    o.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_override_set_fails(&o, BK_ENOTFOUND, "provider", before);
    free(before);
}
END_TEST

typedef struct dates {
    bk_date from, to;
} dates;

static int call_override_list(const bk_id *id, void *ctx)
{
    const dates *d = ctx;
    bk_override **list = (bk_override **)(void *)&sentinel_target;
    size_t n = 99;
    int rc = bk_override_list(db, id, &d->from, &d->to, &list, &n);
    EXPECT(list == NULL && n == 0, "[%s] outputs not cleared after failure", note);
    return rc;
}

START_TEST(override_list_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    dates d = {{2030, 1, 1}, {2030, 12, 31}};
    bk_override **list = (bk_override **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_override_list(NULL, &w.provider, &d.from, &d.to, &list, &n), BK_EINVAL, "db");
    FAILS(db, bk_override_list(db, &w.provider, &d.from, &d.to, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    FAILS(db, bk_override_list(db, &w.provider, &d.from, &d.to, &list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    FAILS(db, bk_override_list(db, &w.provider, NULL, &d.to, &list, &n), BK_EINVAL, "from");
    FAILS(db, bk_override_list(db, &w.provider, &d.from, NULL, &list, &n), BK_EINVAL, "to");
    for (size_t i = 0; i < N_BAD_DATES; i++) {
        NOTE("date %d-%d-%d", bad_dates[i].year, bad_dates[i].month, bad_dates[i].day);
        FAILS(db, bk_override_list(db, &w.provider, &bad_dates[i], &d.to, &list, &n), BK_EINVAL, "from");
        FAILS(db, bk_override_list(db, &w.provider, &d.from, &bad_dates[i], &list, &n), BK_EINVAL, "to");
    }
    /* [from, to] is inclusive: to before from is an inverted range. */
    NOTE("to before from");
    FAILS(db, bk_override_list(db, &w.provider, &d.to, &d.from, &list, &n), BK_EINVAL, "to");
    ck_assert_ptr_null(list);
    id_call_cases(call_override_list, &d, "provider", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_override_list(db, &w.provider, &d.from, &d.to, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_override_list_free(list, n);
    /* A one-day range. */
    SUCCEEDS(db, bk_override_list(db, &w.provider, &w.override_date, &w.override_date, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_override_list_free(list, n);
}
END_TEST

static int call_override_delete(const bk_id *id, void *ctx)
{
    return bk_override_delete(db, id, ctx);
}

START_TEST(override_delete_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    FAILS(NULL, bk_override_delete(NULL, &w.provider, &w.override_date), BK_EINVAL, "db");
    FAILS(db, bk_override_delete(db, &w.provider, NULL), BK_EINVAL, "date");
    UNCHANGED(before);
    for (size_t i = 0; i < N_BAD_DATES; i++) {
        NOTE("date %d-%d-%d", bad_dates[i].year, bad_dates[i].month, bad_dates[i].day);
        FAILS(db, bk_override_delete(db, &w.provider, &bad_dates[i]), BK_EINVAL, "date");
        UNCHANGED(before);
    }
    id_call_cases(call_override_delete, &w.override_date, "provider", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_override_delete(db, &w.provider, &w.override_date));
    FAILS(db, bk_override_delete(db, &w.provider, &w.override_date), BK_ENOTFOUND, "override");
}
END_TEST

/* ================================================================== */
/* Blocked periods                                                     */
/* ================================================================== */

static bk_blocked blocked_spec(const world *w)
{
    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = w->provider;
    b.start = at("2030-05-01T08:00:00Z");
    b.end = at("2030-05-01T12:00:00Z");
    b.reason = "dentist";
    return b;
}

static void expect_blocked_add_fails(const void *rec, int code, const char *field, void *ctx)
{
    bk_id id;
    id_sentinel(&id);
    FAILS(db, bk_blocked_add(db, rec, &id), code, field);
    EXPECT(id_untouched(&id), "[%s] out_id written after a failed add", note);
    UNCHANGED(ctx);
}

START_TEST(blocked_add_rejects_null_pointers_and_versions)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_blocked b = blocked_spec(&w);
    FAILS(NULL, bk_blocked_add(NULL, &b, NULL), BK_EINVAL, "db");
    FAILS(db, bk_blocked_add(db, NULL, NULL), BK_EINVAL, "blocked");
    UNCHANGED(before);
    version_cases(&b, sizeof b, "blocked", expect_blocked_add_fails, before);
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
}
END_TEST

START_TEST(blocked_add_rejects_times_out_of_range)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, BK_TIME_MAX + 3600, INT64_MIN, INT64_MAX, BK_TIME_UNSET};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bk_blocked b = blocked_spec(&w);
        b.start = bad[i];
        if (bad[i] < BK_TIME_MIN)
            b.end = BK_TIME_MIN + 3600;
        NOTE("start %lld", (long long)bad[i]);
        expect_blocked_add_fails(&b, BK_EINVAL, "start", before);
        b = blocked_spec(&w);
        b.end = bad[i];
        NOTE("end %lld", (long long)bad[i]);
        expect_blocked_add_fails(&b, BK_EINVAL, "end", before);
    }
    free(before);
    note[0] = '\0';
    bk_blocked b = blocked_spec(&w);
    b.start = BK_TIME_MIN;
    b.end = BK_TIME_MIN + 1;
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
    b.start = BK_TIME_MAX - 2;
    b.end = BK_TIME_MAX - 1;
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
}
END_TEST

START_TEST(blocked_add_rejects_end_not_after_start)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_blocked b = blocked_spec(&w);
    b.end = b.start;
    NOTE("end == start");
    expect_blocked_add_fails(&b, BK_EINVAL, "end", before);
    b.end = b.start - 1;
    NOTE("end < start");
    expect_blocked_add_fails(&b, BK_EINVAL, "end", before);
    free(before);
    note[0] = '\0';
    b.end = b.start + 1;
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
}
END_TEST

START_TEST(blocked_add_rejects_bad_recurrence_rules_naming_them)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_blocked b = blocked_spec(&w);
    /* Rules that stay invalid once recurrence is supported (DESIGN.md 3.4:
     * COUNT with UNTIL, an unknown FREQ, not a rule at all). */
    const char *rules[] = {"FREQ=WEEKLY;COUNT=2;UNTIL=20300601T000000Z", "FREQ=SOMETIMES", "not a rule"};
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        b.rrule = rules[i];
        NOTE("rrule '%s'", rules[i]);
        expect_blocked_add_fails(&b, BK_EINVAL, "rrule", before);
        bk_blocked_add(db, &b, NULL);
        EXPECT(strstr(bk_errmsg(db), rules[i]) != NULL, "message \"%s\" does not quote the rule '%s'", bk_errmsg(db),
               rules[i]);
    }
    const text_field rrule[] = {{"rrule", offsetof(bk_blocked, rrule), 0, 1000, "FREQ=DAILY;X-", ""}};
    b = blocked_spec(&w);
    text_cases(&b, sizeof b, rrule, 1, expect_blocked_add_fails, before);
    free(before);
    note[0] = '\0';
    b = blocked_spec(&w);
    b.rrule = "";
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
}
END_TEST

START_TEST(blocked_add_rejects_bad_reason)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_blocked b = blocked_spec(&w);
    const text_field reason[] = {{"reason", offsetof(bk_blocked, reason), 0, 1000, "Away ", ""}};
    text_cases(&b, sizeof b, reason, 1, expect_blocked_add_fails, before);
    free(before);
    note[0] = '\0';
    char *longest = sized("", "\xe2\x82\xac", 1000, "");
    b.reason = longest;
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
    free(longest);
    b.reason = NULL;
    SUCCEEDS(db, bk_blocked_add(db, &b, NULL));
}
END_TEST

START_TEST(blocked_add_rejects_invalid_and_unknown_provider)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_blocked b = blocked_spec(&w);
    id_cases(&b, sizeof b, offsetof(bk_blocked, provider), "provider", &w.provider, expect_blocked_add_fails,
             before);
    b.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_blocked_add_fails(&b, BK_ENOTFOUND, "provider", before);
    free(before);
}
END_TEST

static int call_blocked_list(const bk_id *id, void *ctx)
{
    (void)ctx;
    bk_blocked **list = (bk_blocked **)(void *)&sentinel_target;
    size_t n = 99;
    int rc = bk_blocked_list(db, id, BK_TIME_MIN, BK_TIME_MAX, &list, &n);
    EXPECT(list == NULL && n == 0, "[%s] outputs not cleared after failure", note);
    return rc;
}

START_TEST(blocked_list_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_blocked **list = (bk_blocked **)(void *)&sentinel_target;
    size_t n = 99;
    bk_time from = w.blocked_start, to = w.blocked_end;
    FAILS(NULL, bk_blocked_list(NULL, &w.provider, from, to, &list, &n), BK_EINVAL, "db");
    FAILS(db, bk_blocked_list(db, &w.provider, from, to, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    FAILS(db, bk_blocked_list(db, &w.provider, from, to, &list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    FAILS(db, bk_blocked_list(db, &w.provider, from, from, &list, &n), BK_EINVAL, "to");
    FAILS(db, bk_blocked_list(db, &w.provider, to, from, &list, &n), BK_EINVAL, "to");
    ck_assert_ptr_null(list);
    id_call_cases(call_blocked_list, NULL, "provider", "provider", &w.provider, before);
    free(before);
    SUCCEEDS(db, bk_blocked_list(db, &w.provider, from, to, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_blocked_list_free(list, n);
}
END_TEST

static int call_blocked_delete(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_blocked_delete(db, id);
}

START_TEST(blocked_delete_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    FAILS(NULL, bk_blocked_delete(NULL, &w.blocked), BK_EINVAL, "db");
    id_call_cases(call_blocked_delete, NULL, "id", "blocked", &w.blocked, before);
    free(before);
    SUCCEEDS(db, bk_blocked_delete(db, &w.blocked));
    FAILS(db, bk_blocked_delete(db, &w.blocked), BK_ENOTFOUND, "blocked");
}
END_TEST

/* ================================================================== */
/* Slots                                                               */
/* ================================================================== */

/* bk_slots must fail with code naming field, with its outputs cleared. */
static void expect_slots_fail(const void *rec, int code, const char *field, void *ctx)
{
    bk_slot *slots = (bk_slot *)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(db, bk_slots(db, rec, &slots, &n), code, field);
    EXPECT(slots == NULL && n == 0, "[%s] outputs not cleared after failure", note);
    if (ctx)
        UNCHANGED(ctx);
}

static void expect_explain_fails(const void *rec, int code, const char *field, void *ctx)
{
    (void)ctx;
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    bk_slot_query q;
    memcpy(&q, rec, sizeof q);
    FAILS(db, bk_slot_explain(db, &q, q.from, &v), code, field);
}

/* Every bad query, through `fn`. */
static void query_cases(const world *w, case_fn fn, void *ctx)
{
    bk_slot_query base = slot_query(w);
    version_cases(&base, sizeof base, "query", fn, ctx);
    id_cases(&base, sizeof base, offsetof(bk_slot_query, provider), "provider", &w->provider, fn, ctx);
    id_cases(&base, sizeof base, offsetof(bk_slot_query, service), "service", &w->service, fn, ctx);
    bk_slot_query q = base;
    q.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    fn(&q, BK_ENOTFOUND, "provider", ctx);
    q = base;
    q.service = id_of(UNKNOWN_ID);
    NOTE("unknown service");
    fn(&q, BK_ENOTFOUND, "service", ctx);
    q = base;
    q.service = w->other_service;
    NOTE("service of another provider");
    fn(&q, BK_ENOTFOUND, "service", ctx);
    q = base;
    q.service = w->inactive_service;
    NOTE("inactive service");
    fn(&q, BK_EINVAL, "service", ctx);

    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        q = base;
        q.from = bad[i];
        NOTE("from %lld", (long long)bad[i]);
        fn(&q, BK_EINVAL, "from", ctx);
        q = base;
        q.to = bad[i];
        NOTE("to %lld", (long long)bad[i]);
        fn(&q, BK_EINVAL, "to", ctx);
        if (bad[i] != BK_TIME_UNSET) {
            q = base;
            q.now = bad[i];
            NOTE("now %lld", (long long)bad[i]);
            fn(&q, BK_EINVAL, "now", ctx);
        }
    }
    q = base;
    q.to = q.from;
    NOTE("to == from");
    fn(&q, BK_EINVAL, "to", ctx);
    q = base;
    q.to = q.from - 1;
    NOTE("to < from");
    fn(&q, BK_EINVAL, "to", ctx);
    q = base;
    q.to = q.from + BK_SLOT_WINDOW_MAX + 1;
    NOTE("window one second longer than BK_SLOT_WINDOW_MAX");
    fn(&q, BK_EINVAL, "to", ctx);
}

START_TEST(slots_rejects_null_pointers)
{
    world w;
    world_make(&w);
    bk_slot_query q = slot_query(&w);
    bk_slot *slots = (bk_slot *)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_slots(NULL, &q, &slots, &n), BK_EINVAL, "db");
    FAILS(db, bk_slots(db, NULL, &slots, &n), BK_EINVAL, "query");
    ck_assert_ptr_null(slots);
    ck_assert_uint_eq(n, 0);
    n = 99;
    FAILS(db, bk_slots(db, &q, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    slots = (bk_slot *)(void *)&sentinel_target;
    FAILS(db, bk_slots(db, &q, &slots, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(slots);
    SUCCEEDS(db, bk_slots(db, &q, &slots, &n));
    ck_assert_uint_eq(n, 23); /* 24 hours less the booked one */
    bk_slots_free(slots);
}
END_TEST

START_TEST(slots_rejects_each_bad_query)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    query_cases(&w, expect_slots_fail, before);
    free(before);
    note[0] = '\0';
    bk_slot_query q = slot_query(&w);
    bk_slot *slots = NULL;
    size_t n = 0;
    q.to = q.from + BK_SLOT_WINDOW_MAX; /* the longest window is allowed */
    SUCCEEDS(db, bk_slots(db, &q, &slots, &n));
    ck_assert_uint_gt(n, 0);
    bk_slots_free(slots);
    q = slot_query(&w);
    q.now = BK_TIME_UNSET; /* the clock */
    SUCCEEDS(db, bk_slots(db, &q, &slots, &n));
    bk_slots_free(slots);
}
END_TEST

START_TEST(slot_explain_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    bk_slot_query q = slot_query(&w);
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    FAILS(NULL, bk_slot_explain(NULL, &q, w.free_slot, &v), BK_EINVAL, "db");
    FAILS(db, bk_slot_explain(db, NULL, w.free_slot, &v), BK_EINVAL, "query");
    FAILS(db, bk_slot_explain(db, &q, w.free_slot, NULL), BK_EINVAL, "out");
    const unsigned versions[] = {0, 2, 999};
    for (size_t i = 0; i < 3; i++) {
        v.version = versions[i];
        NOTE("verdict version %u", versions[i]);
        FAILS(db, bk_slot_explain(db, &q, w.free_slot, &v), BK_EINVAL, "version");
    }
    v.version = BK_SLOT_VERDICT_VERSION;
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("start %lld", (long long)bad[i]);
        FAILS(db, bk_slot_explain(db, &q, bad[i], &v), BK_EINVAL, "start");
    }
    query_cases(&w, expect_explain_fails, NULL);
    note[0] = '\0';
    SUCCEEDS(db, bk_slot_explain(db, &q, w.free_slot, &v));
    ck_assert_int_eq(v.reason, BK_SLOT_OFFERED);
    SUCCEEDS(db, bk_slot_explain(db, &q, w.slot, &v));
    ck_assert_int_eq(v.reason, BK_SLOT_CONFLICT);
    ck_assert_str_eq(v.related.s, w.booking.s);
    /* A start outside the window is explained, not refused. */
    SUCCEEDS(db, bk_slot_explain(db, &q, q.to + 3600, &v));
    ck_assert_int_eq(v.reason, BK_SLOT_OUTSIDE_WINDOW);
}
END_TEST

/* ================================================================== */
/* Bookings                                                            */
/* ================================================================== */

static const text_field request_text[] = {
    {"idempotency_key", offsetof(bk_book_request, idempotency_key), 0, 200, "key-", ""},
    {"customer_name", offsetof(bk_book_request, customer_name), 1, 200, "Grace ", ""},
    {"customer_email", offsetof(bk_book_request, customer_email), 1, 254, "g", "@example.com"},
    {"customer_phone", offsetof(bk_book_request, customer_phone), 0, 50, "+49 ", ""},
    {"customer_timezone", offsetof(bk_book_request, customer_timezone), 0, 0, "America/", ""},
    {"notes", offsetof(bk_book_request, notes), 0, 4000, "Note ", ""},
};
#define N_REQUEST_TEXT (sizeof request_text / sizeof *request_text)

static void expect_book_fails(const void *rec, int code, const char *field, void *ctx)
{
    bk_booking *b = (bk_booking *)(void *)&sentinel_target;
    FAILS(db, bk_book(db, rec, &b), code, field);
    EXPECT(b == NULL, "[%s] *out not NULL after failure", note);
    UNCHANGED(ctx);
}

START_TEST(book_rejects_null_pointers_and_versions)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_book_request r = book_request(&w, w.free_slot);
    bk_booking *b = (bk_booking *)(void *)&sentinel_target;
    FAILS(NULL, bk_book(NULL, &r, &b), BK_EINVAL, "db");
    FAILS(db, bk_book(db, NULL, &b), BK_EINVAL, "request");
    ck_assert_ptr_null(b);
    UNCHANGED(before);
    version_cases(&r, sizeof r, "request", expect_book_fails, before);
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_book(db, &r, NULL)); /* out may be NULL */
}
END_TEST

START_TEST(book_rejects_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_book_request r = book_request(&w, w.free_slot);
    id_cases(&r, sizeof r, offsetof(bk_book_request, provider), "provider", &w.provider, expect_book_fails, before);
    id_cases(&r, sizeof r, offsetof(bk_book_request, service), "service", &w.service, expect_book_fails, before);
    bk_book_request q = r;
    q.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_book_fails(&q, BK_ENOTFOUND, "provider", before);
    q = r;
    q.service = id_of(UNKNOWN_ID);
    NOTE("unknown service");
    expect_book_fails(&q, BK_ENOTFOUND, "service", before);
    q = r;
    q.service = w.other_service;
    NOTE("service of another provider");
    expect_book_fails(&q, BK_ENOTFOUND, "service", before);
    free(before);
    note[0] = '\0';
    bk_booking *b = NULL;
    SUCCEEDS(db, bk_book(db, &r, &b));
    ck_assert_str_eq(b->service.s, w.service.s);
    bk_booking_free(b);
}
END_TEST

START_TEST(book_rejects_times_out_of_range)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_book_request r = book_request(&w, w.free_slot);
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MAX, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bk_book_request q = r;
        q.start = bad[i];
        NOTE("start %lld", (long long)bad[i]);
        expect_book_fails(&q, BK_EINVAL, "start", before);
        q = r;
        q.now = bad[i];
        NOTE("now %lld", (long long)bad[i]);
        expect_book_fails(&q, BK_EINVAL, "now", before);
    }
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_book(db, &r, NULL));
}
END_TEST

START_TEST(book_rejects_bad_customer_fields)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_book_request r = book_request(&w, w.free_slot);
    text_cases(&r, sizeof r, request_text, N_REQUEST_TEXT, expect_book_fails, before);
    bk_book_request q = r;
    for (size_t i = 0; i < N_BAD_EMAILS; i++) {
        q.customer_email = bad_emails[i];
        NOTE("customer_email '%s'", hex(bad_emails[i]));
        expect_book_fails(&q, BK_EINVAL, "customer_email", before);
    }
    q = r;
    q.customer_timezone = "Europe/Berlim";
    NOTE("customer_timezone Europe/Berlim");
    expect_book_fails(&q, BK_EINVAL, "customer_timezone", before);
    bk_book(db, &q, NULL);
    ck_assert_ptr_nonnull(strstr(bk_errmsg(db), "Europe/Berlim"));
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_book(db, &r, NULL));
}
END_TEST

START_TEST(book_accepts_every_field_at_its_maximum)
{
    world w;
    world_make(&w);
    char prefix[40];
    unique(prefix, sizeof prefix, "k");
    char *key = sized(prefix, "k", 200, "");
    char *name = sized("", "\xc3\xa9", 200, "");
    char *email = sized("", "e", 254, "@example.com");
    char *phone = sized("+", "1", 50, "");
    char *notes = sized("", "\xf0\x9f\x93\x85", 4000, "");
    bk_book_request r = book_request(&w, w.free_slot);
    r.idempotency_key = key;
    r.customer_name = name;
    r.customer_email = email;
    r.customer_phone = phone;
    r.notes = notes;
    bk_booking *b = NULL;
    SUCCEEDS(db, bk_book(db, &r, &b));
    ck_assert_str_eq(b->notes, notes);
    ck_assert_str_eq(b->idempotency_key, key);
    bk_booking_free(b);
    /* Optional fields may be NULL or empty. */
    r = book_request(&w, w.free_slot + 3600);
    r.customer_phone = NULL;
    r.customer_timezone = "";
    r.notes = NULL;
    r.idempotency_key = NULL;
    SUCCEEDS(db, bk_book(db, &r, NULL));
    free(key);
    free(name);
    free(email);
    free(phone);
    free(notes);
}
END_TEST

START_TEST(book_rejects_inactive_service)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_book_request r = book_request(&w, w.free_slot);
    r.service = w.inactive_service;
    expect_book_fails(&r, BK_EINVAL, "service", before);
    free(before);
    r.service = w.service;
    SUCCEEDS(db, bk_book(db, &r, NULL));
}
END_TEST

START_TEST(book_rejects_reused_idempotency_key_with_other_parameters)
{
    world w;
    world_make(&w);
    char key[64];
    unique(key, sizeof key, "key-");
    bk_book_request r = book_request(&w, w.free_slot);
    r.idempotency_key = key;
    bk_booking *first = NULL;
    SUCCEEDS(db, bk_book(db, &r, &first));
    char *before = snapshot();
    bk_book_request q = r;
    q.start = w.free_slot + 3600;
    NOTE("other start");
    expect_book_fails(&q, BK_EINVAL, "idempotency_key", before);
    q = r;
    q.customer_name = "Someone Else";
    NOTE("other customer");
    expect_book_fails(&q, BK_EINVAL, "idempotency_key", before);
    free(before);
    note[0] = '\0';
    bk_booking *again = NULL;
    SUCCEEDS(db, bk_book(db, &r, &again));
    ck_assert_str_eq(again->id.s, first->id.s);
    bk_booking_free(first);
    bk_booking_free(again);
}
END_TEST

START_TEST(book_reports_conflict_and_unavailable_without_writing)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_book_request r = book_request(&w, w.slot);
    NOTE("the booked slot");
    expect_book_fails(&r, BK_ECONFLICT, "start", before);
    r.start = w.slot + 30 * 60;
    NOTE("off the grid");
    expect_book_fails(&r, BK_EUNAVAILABLE, "start", before);
    r.start = w.blocked_start + 3600;
    NOTE("blocked");
    expect_book_fails(&r, BK_EUNAVAILABLE, "start", before);
    r.start = w.now - 86400;
    NOTE("in the past");
    expect_book_fails(&r, BK_EUNAVAILABLE, "start", before);
    free(before);
    note[0] = '\0';
    r.start = w.free_slot;
    SUCCEEDS(db, bk_book(db, &r, NULL));
}
END_TEST

static const text_field booking_text[] = {
    {"idempotency_key", offsetof(bk_booking, idempotency_key), 0, 200, "key-", ""},
    {"customer_name", offsetof(bk_booking, customer_name), 1, 200, "Grace ", ""},
    {"customer_email", offsetof(bk_booking, customer_email), 1, 254, "g", "@example.com"},
    {"customer_phone", offsetof(bk_booking, customer_phone), 0, 50, "+49 ", ""},
    {"customer_timezone", offsetof(bk_booking, customer_timezone), 0, 0, "America/", ""},
    {"notes", offsetof(bk_booking, notes), 0, 4000, "Note ", ""},
    {"cancellation_reason", offsetof(bk_booking, cancellation_reason), 0, 1000, "Sick ", ""},
};
#define N_BOOKING_TEXT (sizeof booking_text / sizeof *booking_text)

static const int_field booking_ints[] = {
    {"buffer_before_minutes", offsetof(bk_booking, buffer_before_minutes), 0, 1440},
    {"buffer_after_minutes", offsetof(bk_booking, buffer_after_minutes), 0, 1440},
};

static bk_booking import_spec(const world *w)
{
    bk_booking b;
    memset(&b, 0, sizeof b);
    b.version = BK_BOOKING_VERSION;
    b.provider = w->provider;
    b.service = w->service;
    b.start = at("2029-06-01T10:00:00Z");
    b.end = b.start + 3600;
    b.status = BK_BOOKING_COMPLETED;
    b.customer_name = "Hedy Lamarr";
    b.customer_email = "hedy@example.com";
    b.customer_timezone = "Europe/Vienna";
    b.confirmed_at = BK_TIME_UNSET;
    b.cancelled_at = BK_TIME_UNSET;
    return b;
}

static void expect_import_fails(const void *rec, int code, const char *field, void *ctx)
{
    bk_id id;
    id_sentinel(&id);
    FAILS(db, bk_booking_import(db, rec, &id), code, field);
    EXPECT(id_untouched(&id), "[%s] out_id written after a failed import", note);
    UNCHANGED(ctx);
}

START_TEST(booking_import_rejects_each_bad_field)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_booking b = import_spec(&w);
    FAILS(NULL, bk_booking_import(NULL, &b, NULL), BK_EINVAL, "db");
    FAILS(db, bk_booking_import(db, NULL, NULL), BK_EINVAL, "booking");
    UNCHANGED(before);
    version_cases(&b, sizeof b, "booking", expect_import_fails, before);
    id_cases(&b, sizeof b, offsetof(bk_booking, provider), "provider", &w.provider, expect_import_fails, before);
    id_cases(&b, sizeof b, offsetof(bk_booking, service), "service", &w.service, expect_import_fails, before);
    text_cases(&b, sizeof b, booking_text, N_BOOKING_TEXT, expect_import_fails, before);
    int_cases(&b, sizeof b, booking_ints, 2, expect_import_fails, before);
    bk_booking q = b;
    for (size_t i = 0; i < N_BAD_EMAILS; i++) {
        q.customer_email = bad_emails[i];
        NOTE("customer_email '%s'", hex(bad_emails[i]));
        expect_import_fails(&q, BK_EINVAL, "customer_email", before);
    }
    const int statuses[] = {0, 6, -1, INT_MAX};
    for (size_t i = 0; i < 4; i++) {
        q = b;
        q.status = (bk_booking_status)statuses[i];
        NOTE("status %d", statuses[i]);
        expect_import_fails(&q, BK_EINVAL, "status", before);
    }
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < 4; i++) {
        q = b;
        q.start = bad[i];
        NOTE("start %lld", (long long)bad[i]);
        expect_import_fails(&q, BK_EINVAL, "start", before);
        q = b;
        q.end = bad[i];
        NOTE("end %lld", (long long)bad[i]);
        expect_import_fails(&q, BK_EINVAL, "end", before);
    }
    q = b;
    q.end = q.start;
    NOTE("end == start");
    expect_import_fails(&q, BK_EINVAL, "end", before);
    q.end = q.start - 60;
    NOTE("end < start");
    expect_import_fails(&q, BK_EINVAL, "end", before);
    q = b;
    q.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_import_fails(&q, BK_ENOTFOUND, "provider", before);
    q = b;
    q.service = id_of(UNKNOWN_ID);
    NOTE("unknown service");
    expect_import_fails(&q, BK_ENOTFOUND, "service", before);
    q = b;
    q.service = w.other_service;
    NOTE("service of another provider");
    expect_import_fails(&q, BK_ENOTFOUND, "service", before);
    q = b;
    q.start = w.slot;
    q.end = w.slot + 3600;
    q.status = BK_BOOKING_CONFIRMED;
    NOTE("overlaps a live booking");
    expect_import_fails(&q, BK_ECONFLICT, "booking", before);
    free(before);
    note[0] = '\0';
    bk_id id;
    SUCCEEDS(db, bk_booking_import(db, &b, &id));
    bk_booking *got = NULL;
    SUCCEEDS(db, bk_booking_get(db, &id, &got));
    ck_assert_int_eq(got->status, BK_BOOKING_COMPLETED);
    ck_assert_int_eq(got->lock_version, 1);
    bk_booking_free(got);
}
END_TEST

static int call_booking_get(const bk_id *id, void *ctx)
{
    bk_booking **out = ctx;
    *out = (bk_booking *)(void *)&sentinel_target;
    int rc = bk_booking_get(db, id, out);
    EXPECT(*out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

START_TEST(booking_get_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_booking *b = NULL;
    FAILS(NULL, bk_booking_get(NULL, &w.booking, &b), BK_EINVAL, "db");
    FAILS(db, bk_booking_get(db, &w.booking, NULL), BK_EINVAL, "out");
    id_call_cases(call_booking_get, &b, "id", "booking", &w.booking, before);
    free(before);
    SUCCEEDS(db, bk_booking_get(db, &w.booking, &b));
    ck_assert_int_eq(b->start, w.slot);
    bk_booking_free(b);
}
END_TEST

static void expect_booking_list_fails(const void *rec, int code, const char *field, void *ctx)
{
    (void)ctx;
    bk_booking **list = (bk_booking **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(db, bk_booking_list(db, rec, &list, &n), code, field);
    EXPECT(list == NULL && n == 0, "[%s] outputs not cleared after failure", note);
}

START_TEST(booking_list_rejects_bad_filters)
{
    world w;
    world_make(&w);
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = w.provider;
    bk_booking **list = (bk_booking **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_booking_list(NULL, &f, &list, &n), BK_EINVAL, "db");
    FAILS(db, bk_booking_list(db, NULL, &list, &n), BK_EINVAL, "filter");
    ck_assert_ptr_null(list);
    ck_assert_uint_eq(n, 0);
    n = 99;
    FAILS(db, bk_booking_list(db, &f, NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    list = (bk_booking **)(void *)&sentinel_target;
    FAILS(db, bk_booking_list(db, &f, &list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    version_cases(&f, sizeof f, "filter", expect_booking_list_fails, NULL);
    id_cases(&f, sizeof f, offsetof(bk_booking_filter, provider), "provider", &w.provider,
             expect_booking_list_fails, NULL);
    bk_booking_filter g = f;
    g.provider = id_of(UNKNOWN_ID);
    NOTE("unknown provider");
    expect_booking_list_fails(&g, BK_ENOTFOUND, "provider", NULL);
    static const int_field inc[] = {{"include_cancelled", offsetof(bk_booking_filter, include_cancelled), 0, 1}};
    int_cases(&f, sizeof f, inc, 1, expect_booking_list_fails, NULL);
    g = f;
    g.to = g.from;
    NOTE("to == from");
    expect_booking_list_fails(&g, BK_EINVAL, "to", NULL);
    g.from = w.slot;
    g.to = w.slot - 1;
    NOTE("to < from");
    expect_booking_list_fails(&g, BK_EINVAL, "to", NULL);
    note[0] = '\0';
    SUCCEEDS(db, bk_booking_list(db, &f, &list, &n));
    ck_assert_uint_eq(n, 1);
    bk_booking_list_free(list, n);
}
END_TEST

typedef struct cancel_ctx {
    int64_t lock_version;
} cancel_ctx;

static int call_booking_cancel(const bk_id *id, void *ctx)
{
    const cancel_ctx *c = ctx;
    bk_booking *out = (bk_booking *)(void *)&sentinel_target;
    int rc = bk_booking_cancel(db, id, c->lock_version, "changed plans", &out);
    EXPECT(out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

START_TEST(booking_cancel_rejects_null_invalid_and_unknown_ids)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_booking *out = (bk_booking *)(void *)&sentinel_target;
    FAILS(NULL, bk_booking_cancel(NULL, &w.booking, 1, NULL, &out), BK_EINVAL, "db");
    cancel_ctx c = {1};
    id_call_cases(call_booking_cancel, &c, "id", "booking", &w.booking, before);
    free(before);
    SUCCEEDS(db, bk_booking_cancel(db, &w.booking, 1, NULL, NULL)); /* out may be NULL */
}
END_TEST

START_TEST(booking_cancel_rejects_bad_reason)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    for (size_t k = 0; k < N_BAD_UTF8; k++) {
        char *reason = concat3("Sick ", bad_utf8[k], "");
        NOTE("reason with %s", hex(bad_utf8[k]));
        bk_booking *out = (bk_booking *)(void *)&sentinel_target;
        FAILS(db, bk_booking_cancel(db, &w.booking, 1, reason, &out), BK_EINVAL, "reason");
        ck_assert_ptr_null(out);
        UNCHANGED(before);
        free(reason);
    }
    char *longer = sized("", "r", 1001, "");
    NOTE("reason of 1001 bytes");
    FAILS(db, bk_booking_cancel(db, &w.booking, 1, longer, NULL), BK_EINVAL, "reason");
    UNCHANGED(before);
    free(longer);
    free(before);
    note[0] = '\0';
    char *longest = sized("", "\xc3\xa9", 1000, "");
    bk_booking *out = NULL;
    SUCCEEDS(db, bk_booking_cancel(db, &w.booking, 1, longest, &out));
    ck_assert_str_eq(out->cancellation_reason, longest);
    bk_booking_free(out);
    free(longest);
}
END_TEST

START_TEST(booking_cancel_with_wrong_lock_version_is_stale_and_changes_nothing)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    const int64_t wrong[] = {0, 2, -1, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        NOTE("lock_version %lld", (long long)wrong[i]);
        bk_booking *out = (bk_booking *)(void *)&sentinel_target;
        FAILS(db, bk_booking_cancel(db, &w.booking, wrong[i], "late", &out), BK_ESTALE, "lock_version");
        ck_assert_ptr_null(out);
        UNCHANGED(before);
    }
    free(before);
    note[0] = '\0';
    bk_booking *out = NULL;
    SUCCEEDS(db, bk_booking_cancel(db, &w.booking, 1, "late", &out));
    ck_assert_int_eq(out->status, BK_BOOKING_CANCELLED);
    ck_assert_int_eq(out->lock_version, 2);
    bk_booking_free(out);
}
END_TEST

START_TEST(booking_cancel_twice_is_a_state_error_and_changes_nothing)
{
    world w;
    world_make(&w);
    SUCCEEDS(db, bk_booking_cancel(db, &w.booking, 1, "first", NULL));
    char *before = snapshot();
    bk_booking *out = (bk_booking *)(void *)&sentinel_target;
    FAILS(db, bk_booking_cancel(db, &w.booking, 2, "second", &out), BK_ESTATE, "status");
    ck_assert_ptr_null(out);
    UNCHANGED(before);
    /* With the old version it is stale first. */
    FAILS(db, bk_booking_cancel(db, &w.booking, 1, "second", NULL), BK_ESTALE, "lock_version");
    UNCHANGED(before);
    free(before);
    bk_booking *b = NULL;
    SUCCEEDS(db, bk_booking_get(db, &w.booking, &b));
    ck_assert_str_eq(b->cancellation_reason, "first");
    ck_assert_int_eq(b->lock_version, 2);
    bk_booking_free(b);
    /* Imported final bookings cannot be cancelled either. */
    bk_booking spec = import_spec(&w);
    bk_id id;
    SUCCEEDS(db, bk_booking_import(db, &spec, &id));
    FAILS(db, bk_booking_cancel(db, &id, 1, NULL, NULL), BK_ESTATE, "status");
}
END_TEST


/* ---- lifecycle moves and reschedule ---- */

typedef int (*move_fn)(bk_db *, const bk_id *, int64_t, bk_booking **);

static int call_move(const bk_id *id, void *ctx)
{
    move_fn fn = *(move_fn *)ctx;
    bk_booking *out = (bk_booking *)(void *)&sentinel_target;
    int rc = fn(db, id, 1, &out);
    EXPECT(out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

/* confirm, complete and no-show share their checks: NULL handle, bad and
 * unknown ids, a stale version, a move the lifecycle forbids. */
START_TEST(lifecycle_moves_reject_bad_ids_stale_versions_and_forbidden_moves)
{
    move_fn fns[] = {bk_booking_confirm, bk_booking_complete, bk_booking_mark_no_show};
    const char *names[] = {"confirm", "complete", "no_show"};
    for (size_t i = 0; i < 3; i++) {
        world w;
        world_make(&w);
        char *before = snapshot();
        NOTE("%s NULL db", names[i]);
        FAILS(NULL, fns[i](NULL, &w.booking, 1, NULL), BK_EINVAL, "db");
        id_call_cases(call_move, &fns[i], "id", "booking", &w.booking, before);
        NOTE("%s stale", names[i]);
        FAILS(db, fns[i](db, &w.booking, 7, NULL), BK_ESTALE, "lock_version");
        UNCHANGED(before);
        /* The world's booking is confirmed: confirming it again is not a move. */
        if (fns[i] == bk_booking_confirm) {
            NOTE("confirm a confirmed booking");
            FAILS(db, fns[i](db, &w.booking, 1, NULL), BK_ESTATE, "status");
            UNCHANGED(before);
        }
        free(before);
        note[0] = '\0';
        teardown();
        setup();
    }
}
END_TEST

START_TEST(reschedule_rejects_bad_input_and_changes_nothing)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    bk_booking *out = (bk_booking *)(void *)&sentinel_target;
    FAILS(NULL, bk_booking_reschedule(NULL, &w.booking, 1, w.free_slot, w.now, &out), BK_EINVAL, "db");
    FAILS(db, bk_booking_reschedule(db, NULL, 1, w.free_slot, w.now, &out), BK_EINVAL, "id");
    ck_assert_ptr_null(out);
    FAILS(db, bk_booking_reschedule(db, &w.booking, 1, BK_TIME_MIN - 1, w.now, NULL), BK_EINVAL, "new_start");
    FAILS(db, bk_booking_reschedule(db, &w.booking, 1, BK_TIME_MAX, w.now, NULL), BK_EINVAL, "new_start");
    FAILS(db, bk_booking_reschedule(db, &w.booking, 1, w.free_slot, BK_TIME_MAX + 5, NULL), BK_EINVAL, "now");
    bk_id unknown = id_of(UNKNOWN_ID);
    FAILS(db, bk_booking_reschedule(db, &unknown, 1, w.free_slot, w.now, NULL), BK_ENOTFOUND, "booking");
    FAILS(db, bk_booking_reschedule(db, &w.booking, 2, w.free_slot, w.now, NULL), BK_ESTALE, "lock_version");
    /* Into the blocked day, and off the grid: not offered. */
    FAILS(db, bk_booking_reschedule(db, &w.booking, 1, w.blocked_start, w.now, NULL), BK_EUNAVAILABLE,
          "new_start");
    FAILS(db, bk_booking_reschedule(db, &w.booking, 1, w.free_slot + 60, w.now, NULL), BK_EUNAVAILABLE,
          "new_start");
    UNCHANGED(before);
    free(before);
    SUCCEEDS(db, bk_booking_reschedule(db, &w.booking, 1, w.free_slot, w.now, NULL));
    SUCCEEDS(db, bk_booking_cancel(db, &w.booking, 2, NULL, NULL));
    before = snapshot();
    FAILS(db, bk_booking_reschedule(db, &w.booking, 3, w.slot, w.now, NULL), BK_ESTATE, "status");
    UNCHANGED(before);
    free(before);
}
END_TEST

START_TEST(open_ext_rejects_bad_options)
{
    bk_db *h = SENTINEL_DB;
    bk_open_options o = BK_OPEN_OPTIONS_INIT;
    o.version = 0;
    FAILS(NULL, bk_open_ext(&h, "memory:", &o), BK_EINVAL, "options.version");
    ck_assert_ptr_null(h);
    o.version = 99;
    FAILS(NULL, bk_open_ext(&h, "memory:", &o), BK_EINVAL, "options.version");
    bk_open_options_init(&o);
    o.migrate = 2;
    FAILS(NULL, bk_open_ext(&h, "memory:", &o), BK_EINVAL, "options.migrate");
    bk_open_options_init(&o);
    const int parts[] = {1, -1, 257};
    for (size_t i = 0; i < 3; i++) {
        o.booking_partitions = parts[i];
        FAILS(NULL, bk_open_ext(&h, "memory:", &o), BK_EINVAL, "options.booking_partitions");
    }
    FAILS(NULL, bk_open_ext(NULL, "memory:", NULL), BK_EINVAL, "out");
    FAILS(NULL, bk_open_ext(&h, NULL, NULL), BK_EINVAL, "uri");
    bk_open_options_init(NULL);
    bk_open_options_init(&o);
    SUCCEEDS(NULL, bk_open_ext(&h, test_uri(), &o));
    bk_close(h);
    SUCCEEDS(NULL, bk_open_ext(&h, test_uri(), NULL));
    bk_close(h);
}
END_TEST

/* ================================================================== */
/* Soft delete, credentials, tokens, customer data, archive (issue 4)  */
/* ================================================================== */

static int call_provider_restore(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_provider_restore(db, id);
}

static int call_set_password(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_provider_set_password(db, id, "long enough password");
}

static int call_set_password_hash(const bk_id *id, void *ctx)
{
    (void)ctx;
    return bk_provider_set_password_hash(db, id,
                                         "$argon2id$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
                                         "Wk0EGcxwnUPWm4xeTTu1n2FUUaQmn2+w2Ayy4VA2B2k");
}

static int call_token_issue(const bk_id *id, void *ctx)
{
    char *out = ctx;
    int rc = bk_token_issue(db, id, BK_TOKEN_CANCEL, (bk_time)time(NULL) + 3600, out);
    EXPECT(out[0] == '\0', "[%s] token written after a failure", note);
    return rc;
}

START_TEST(provider_restore_purge_and_passwords_reject_bad_input)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    FAILS(NULL, bk_provider_restore(NULL, &w.provider), BK_EINVAL, "db");
    id_call_cases(call_provider_restore, NULL, "id", "provider", &w.provider, before);
    FAILS(NULL, bk_provider_purge(NULL, 0, NULL), BK_EINVAL, "db");
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX, BK_TIME_UNSET};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 7;
        FAILS(db, bk_provider_purge(db, bad[i], &n), BK_EINVAL, "deleted_before");
        EXPECT(n == 0, "purge: *n_purged not cleared");
        UNCHANGED(before);
    }
    id_call_cases(call_set_password, NULL, "provider", "provider", &w.provider, before);
    FAILS(NULL, bk_provider_set_password(NULL, &w.provider, "long enough"), BK_EINVAL, "db");
    const char *bad_pw[] = {NULL, "", "seven77", "ok length but \xc3\x28 broken"};
    for (size_t i = 0; i < sizeof bad_pw / sizeof *bad_pw; i++) {
        NOTE("password %zu", i);
        FAILS(db, bk_provider_set_password(db, &w.provider, bad_pw[i]), BK_EINVAL, "password");
        FAILS(db, bk_provider_verify_password(db, w.a.username, bad_pw[i], NULL, NULL), BK_EINVAL, "password");
    }
    char *huge = malloc(2000);
    memset(huge, 'p', 1999);
    huge[1999] = '\0';
    FAILS(db, bk_provider_set_password(db, &w.provider, huge), BK_EINVAL, "password");
    free(huge);
    note[0] = '\0';
    id_call_cases(call_set_password_hash, NULL, "provider", "provider", &w.provider, before);
    const char *bad_hash[] = {NULL, "", "plain text", "$2b$12$abcdefghijklmnopqrstuv", "$argon2i$v=19$m=8192,t=1,p=1$xx$yy",
                              "$argon2id$v=19$m=,t=1,p=1$c2FsdA$aGFzaA"};
    for (size_t i = 0; i < sizeof bad_hash / sizeof *bad_hash; i++) {
        NOTE("hash %zu", i);
        FAILS(db, bk_provider_set_password_hash(db, &w.provider, bad_hash[i]), BK_EINVAL, "argon2id_hash");
    }
    note[0] = '\0';
    FAILS(NULL, bk_provider_verify_password(NULL, "x", "long enough", NULL, NULL), BK_EINVAL, "db");
    FAILS(db, bk_provider_verify_password(db, NULL, "long enough", NULL, NULL), BK_EINVAL, "login");
    FAILS(db, bk_provider_verify_password(db, "", "long enough", NULL, NULL), BK_EINVAL, "login");
    FAILS(db, bk_provider_verify_password(db, "bad\xff", "long enough", NULL, NULL), BK_EINVAL, "login");
    bk_id who;
    int rehashed = 5;
    FAILS(db, bk_provider_verify_password(db, w.a.username, "long enough", &who, &rehashed), BK_EDENIED, "login");
    EXPECT(rehashed == 0, "verify: *out_rehashed not cleared");
    UNCHANGED(before);
    free(before);
}
END_TEST

START_TEST(tokens_reject_bad_input)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    char out[BK_TOKEN_SIZE] = "";
    FAILS(NULL, bk_token_issue(NULL, &w.booking, BK_TOKEN_CANCEL, (bk_time)time(NULL) + 60, out), BK_EINVAL, "db");
    FAILS(db, bk_token_issue(db, &w.booking, BK_TOKEN_CANCEL, (bk_time)time(NULL) + 60, NULL), BK_EINVAL, "out");
    id_call_cases(call_token_issue, out, "booking", "booking", &w.booking, before);
    const int bad_action[] = {0, -1, 4, 1000};
    for (size_t i = 0; i < sizeof bad_action / sizeof *bad_action; i++)
        FAILS(db, bk_token_issue(db, &w.booking, (bk_token_action)bad_action[i], (bk_time)time(NULL) + 60, out),
              BK_EINVAL, "action");
    const bk_time bad_expiry[] = {BK_TIME_UNSET, BK_TIME_MAX, (bk_time)time(NULL) - 10, BK_TIME_MIN};
    for (size_t i = 0; i < sizeof bad_expiry / sizeof *bad_expiry; i++)
        FAILS(db, bk_token_issue(db, &w.booking, BK_TOKEN_CANCEL, bad_expiry[i], out), BK_EINVAL, "expires_at");
    UNCHANGED(before);

    SUCCEEDS(db, bk_token_issue(db, &w.booking, BK_TOKEN_RESCHEDULE, (bk_time)time(NULL) + 3600, out));
    char *with_token = snapshot();
    FAILS(NULL, bk_token_redeem(NULL, out, NULL, NULL, NULL), BK_EINVAL, "db");
    const char *malformed[] = {NULL, "", "bkt1_", "bkt2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                               "bkt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                               "bkt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                               "bkt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
                               "bkt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB" /* not canonical */};
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        NOTE("token %zu", i);
        bk_booking *b = (bk_booking *)(void *)&sentinel_target;
        bk_token_action act = BK_TOKEN_CANCEL;
        FAILS(db, bk_token_redeem(db, malformed[i], NULL, &b, &act), BK_EINVAL, "token");
        EXPECT(b == NULL && act == 0, "[%s] outputs not cleared", note);
    }
    note[0] = '\0';
    FAILS(db, bk_token_redeem(db, "bkt1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, NULL), BK_ENOTFOUND,
          "token");
    bk_token_redeem_params rp = BK_TOKEN_REDEEM_PARAMS_INIT;
    rp.version = 0;
    FAILS(db, bk_token_redeem(db, out, &rp, NULL, NULL), BK_EINVAL, "params");
    rp.version = 99;
    FAILS(db, bk_token_redeem(db, out, &rp, NULL, NULL), BK_EINVAL, "params");
    bk_token_redeem_params_init(&rp);
    bk_token_redeem_params_init(NULL);
    EXPECT(rp.version == BK_TOKEN_REDEEM_PARAMS_VERSION && rp.new_start == BK_TIME_UNSET, "params init");
    FAILS(db, bk_token_redeem(db, out, &rp, NULL, NULL), BK_EINVAL, "new_start"); /* reschedule needs one */
    rp.new_start = BK_TIME_MAX + 1;
    FAILS(db, bk_token_redeem(db, out, &rp, NULL, NULL), BK_EINVAL, "new_start");
    rp.new_start = w.free_slot;
    rp.now = INT64_MAX;
    FAILS(db, bk_token_redeem(db, out, &rp, NULL, NULL), BK_EINVAL, "now");
    UNCHANGED(with_token);
    free(with_token);
    free(before);
}
END_TEST

START_TEST(customer_data_and_archive_calls_reject_bad_input)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    char *json = (char *)(void *)&sentinel_target;
    FAILS(NULL, bk_customer_export(NULL, "a@b.c", &json), BK_EINVAL, "db");
    FAILS(db, bk_customer_export(db, "a@b.c", NULL), BK_EINVAL, "out_json");
    const char *bad_email[] = {NULL, "", "no-at-sign", "two@@ats", "sp ace@x.y", "bad\xff@x.y"};
    for (size_t i = 0; i < sizeof bad_email / sizeof *bad_email; i++) {
        NOTE("email %zu", i);
        json = (char *)(void *)&sentinel_target;
        FAILS(db, bk_customer_export(db, bad_email[i], &json), BK_EINVAL, "customer_email");
        EXPECT(json == NULL, "[%s] *out_json not cleared", note);
        size_t n = 3;
        FAILS(db, bk_customer_erase(db, bad_email[i], &n), BK_EINVAL, "customer_email");
        EXPECT(n == 0, "[%s] *n_erased not cleared", note);
        UNCHANGED(before);
    }
    note[0] = '\0';
    FAILS(NULL, bk_customer_erase(NULL, "a@b.c", NULL), BK_EINVAL, "db");
    FAILS(NULL, bk_bookings_anonymise(NULL, 0, NULL), BK_EINVAL, "db");
    FAILS(NULL, bk_booking_archive(NULL, 0, 10, NULL), BK_EINVAL, "db");
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX, BK_TIME_UNSET};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FAILS(db, bk_bookings_anonymise(db, bad[i], NULL), BK_EINVAL, "ended_before");
        FAILS(db, bk_booking_archive(db, bad[i], 10, NULL), BK_EINVAL, "ended_before");
        UNCHANGED(before);
    }
    const size_t bad_batch[] = {0, 100001, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad_batch / sizeof *bad_batch; i++)
        FAILS(db, bk_booking_archive(db, w.now, bad_batch[i], NULL), BK_EINVAL, "batch_size");
    UNCHANGED(before);
    free(before);
}
END_TEST

/* ================================================================== */
/* Suites                                                              */
/* ================================================================== */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *handleless_suite(void)
{
    Suite *s = suite_create("bad_input_handleless");
    TCase *tc = tcase("handleless");
    tcase_add_test(tc, strerror_describes_every_code_and_unknown_values);
    tcase_add_test(tc, version_calls_agree_with_the_header);
    tcase_add_test(tc, errmsg_of_null_handle_is_never_null_and_follows_the_last_call);
    tcase_add_test(tc, time_parse_iso_rejects_null_pointers);
    tcase_add_test(tc, time_parse_iso_rejects_malformed_text);
    tcase_add_test(tc, time_format_iso_rejects_null_buffer_and_times_out_of_range);
    tcase_add_test(tc, time_format_rejects_unknown_zone_naming_it);
    tcase_add_test(tc, time_format_rejects_null_or_too_small_buffer);
    tcase_add_test(tc, time_format_rejects_times_out_of_range);
    tcase_add_test(tc, time_format_rejects_bad_locale_and_skeleton);
    tcase_add_test(tc, timezone_valid_rejects_unknown_zones_naming_them);
    tcase_add_test(tc, id_parse_rejects_malformed_text);
    tcase_add_test(tc, booking_status_name_is_null_for_values_out_of_range);
    tcase_add_test(tc, booking_status_parse_rejects_unknown_names);
    tcase_add_test(tc, slot_reason_name_is_never_null);
    tcase_add_test(tc, free_and_init_functions_accept_null);
    tcase_add_test(tc, store_error_accepts_null_err);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *open_suite(void)
{
    Suite *s = suite_create("bad_input_open");
    TCase *tc = tcase("open");
    tcase_add_test(tc, open_rejects_null_pointers_and_unknown_uris);
    tcase_add_test(tc, open_ext_rejects_bad_options);
    tcase_add_test(tc, open_store_rejects_null_pointers);
    tcase_add_test(tc, open_store_rejects_unknown_vtable_versions_and_closes_the_store);
    tcase_add_test(tc, open_store_rejects_missing_methods_and_closes_the_store);
    tcase_add_test(tc, open_store_accepts_a_complete_vtable_and_passes_backend_errors_on);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *records_suite(void)
{
    Suite *s = suite_create("bad_input_records");
    TCase *p = tcase("providers");
    tcase_add_test(p, provider_create_rejects_null_pointers);
    tcase_add_test(p, provider_create_rejects_unknown_struct_versions);
    tcase_add_test(p, provider_create_rejects_missing_and_invalid_utf8_and_oversized_fields);
    tcase_add_test(p, provider_create_rejects_malformed_emails);
    tcase_add_test(p, provider_create_rejects_unknown_timezone_naming_it);
    tcase_add_test(p, provider_create_accepts_every_field_at_its_maximum);
    tcase_add_test(p, provider_create_rejects_taken_username_and_email);
    tcase_add_test(p, provider_get_rejects_null_invalid_and_unknown_ids);
    tcase_add_test(p, provider_update_rejects_bad_fields_and_keeps_the_old_values);
    tcase_add_test(p, provider_update_rejects_invalid_and_unknown_ids);
    tcase_add_test(p, provider_update_rejects_taken_username_and_email);
    tcase_add_test(p, provider_list_rejects_null_pointers_and_clears_outputs);
    tcase_add_test(p, provider_delete_rejects_null_invalid_and_unknown_ids);
    suite_add_tcase(s, p);

    TCase *v = tcase("services");
    tcase_add_test(v, service_create_rejects_null_pointers);
    tcase_add_test(v, service_create_rejects_each_bad_field);
    tcase_add_test(v, service_create_accepts_every_limit);
    tcase_add_test(v, service_create_rejects_invalid_and_unknown_provider);
    tcase_add_test(v, service_get_rejects_null_invalid_and_unknown_ids);
    tcase_add_test(v, service_update_rejects_bad_fields_and_keeps_the_old_values);
    tcase_add_test(v, service_list_rejects_null_invalid_and_unknown_provider);
    tcase_add_test(v, service_deactivate_rejects_null_invalid_and_unknown_ids);
    suite_add_tcase(s, v);
    return s;
}

static Suite *calendar_suite(void)
{
    Suite *s = suite_create("bad_input_calendar");
    TCase *a = tcase("availability");
    tcase_add_test(a, availability_add_rejects_null_pointers_and_versions);
    tcase_add_test(a, availability_add_rejects_weekday_outside_0_to_6);
    tcase_add_test(a, availability_add_rejects_bad_minutes);
    tcase_add_test(a, availability_add_rejects_invalid_and_unknown_provider);
    tcase_add_test(a, availability_list_rejects_null_invalid_and_unknown_provider);
    tcase_add_test(a, availability_delete_rejects_null_invalid_and_unknown_ids);
    suite_add_tcase(s, a);

    TCase *o = tcase("overrides");
    tcase_add_test(o, override_set_rejects_null_pointers_and_versions);
    tcase_add_test(o, override_set_rejects_invalid_dates);
    tcase_add_test(o, override_set_rejects_too_many_or_missing_intervals);
    tcase_add_test(o, override_set_rejects_bad_intervals_and_keeps_the_old_override);
    tcase_add_test(o, override_set_rejects_invalid_and_unknown_provider);
    tcase_add_test(o, override_list_rejects_bad_arguments);
    tcase_add_test(o, override_delete_rejects_bad_arguments);
    suite_add_tcase(s, o);

    TCase *b = tcase("blocked");
    tcase_add_test(b, blocked_add_rejects_null_pointers_and_versions);
    tcase_add_test(b, blocked_add_rejects_times_out_of_range);
    tcase_add_test(b, blocked_add_rejects_end_not_after_start);
    tcase_add_test(b, blocked_add_rejects_bad_recurrence_rules_naming_them);
    tcase_add_test(b, blocked_add_rejects_bad_reason);
    tcase_add_test(b, blocked_add_rejects_invalid_and_unknown_provider);
    tcase_add_test(b, blocked_list_rejects_bad_arguments);
    tcase_add_test(b, blocked_delete_rejects_null_invalid_and_unknown_ids);
    suite_add_tcase(s, b);
    return s;
}

static Suite *booking_suite(void)
{
    Suite *s = suite_create("bad_input_bookings");
    TCase *q = tcase("slots");
    tcase_add_test(q, slots_rejects_null_pointers);
    tcase_add_test(q, slots_rejects_each_bad_query);
    tcase_add_test(q, slot_explain_rejects_bad_arguments);
    suite_add_tcase(s, q);

    TCase *b = tcase("bookings");
    tcase_add_test(b, book_rejects_null_pointers_and_versions);
    tcase_add_test(b, book_rejects_invalid_and_unknown_ids);
    tcase_add_test(b, book_rejects_times_out_of_range);
    tcase_add_test(b, book_rejects_bad_customer_fields);
    tcase_add_test(b, book_accepts_every_field_at_its_maximum);
    tcase_add_test(b, book_rejects_inactive_service);
    tcase_add_test(b, book_rejects_reused_idempotency_key_with_other_parameters);
    tcase_add_test(b, book_reports_conflict_and_unavailable_without_writing);
    tcase_add_test(b, booking_import_rejects_each_bad_field);
    tcase_add_test(b, booking_get_rejects_null_invalid_and_unknown_ids);
    tcase_add_test(b, booking_list_rejects_bad_filters);
    tcase_add_test(b, booking_cancel_rejects_null_invalid_and_unknown_ids);
    tcase_add_test(b, booking_cancel_rejects_bad_reason);
    tcase_add_test(b, booking_cancel_with_wrong_lock_version_is_stale_and_changes_nothing);
    tcase_add_test(b, booking_cancel_twice_is_a_state_error_and_changes_nothing);
    tcase_add_test(b, lifecycle_moves_reject_bad_ids_stale_versions_and_forbidden_moves);
    tcase_add_test(b, reschedule_rejects_bad_input_and_changes_nothing);
    tcase_add_test(b, provider_restore_purge_and_passwords_reject_bad_input);
    tcase_add_test(b, tokens_reject_bad_input);
    tcase_add_test(b, customer_data_and_archive_calls_reject_bad_input);
    suite_add_tcase(s, b);
    return s;
}

/* iCalendar export and localised display: at the end of the file. */
static Suite *display_suite(void);

int main(void)
{
    Suite *suites[] = {handleless_suite(), open_suite(), records_suite(), calendar_suite(), booking_suite(),
                       display_suite()};
    return harness_run(suites, (int)(sizeof suites / sizeof *suites));
}

/* ================================================================== */
/* iCalendar export and localised display (issue 5 parts 2-4)         */
/* ================================================================== */

/* bk_booking_ical, bk_provider_ical_feed, bk_booking_format,
 * bk_slot_format, bk_timezone_canonical, bk_timezone_list and their free
 * functions.  None of them writes, so each bad case also checks that the
 * store is unchanged; outputs are cleared (*out NULL, buf ""). */

static int call_booking_ical(const bk_id *id, void *ctx)
{
    (void)ctx;
    char *out = (char *)(void *)&sentinel_target;
    int rc = bk_booking_ical(db, id, 0, &out);
    EXPECT(out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

START_TEST(booking_ical_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    char *out = (char *)(void *)&sentinel_target;
    FAILS(NULL, bk_booking_ical(NULL, &w.booking, 0, &out), BK_EINVAL, "db");
    FAILS(db, bk_booking_ical(db, &w.booking, 0, NULL), BK_EINVAL, "out");
    id_call_cases(call_booking_ical, NULL, "booking", "booking", &w.booking, before);
    const unsigned bad_flags[] = {0x2u, 0x3u, 0x80000000u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad_flags / sizeof *bad_flags; i++) {
        NOTE("flags 0x%x", bad_flags[i]);
        out = (char *)(void *)&sentinel_target;
        FAILS(db, bk_booking_ical(db, &w.booking, bad_flags[i], &out), BK_EINVAL, "flags");
        ck_assert_ptr_null(out);
        UNCHANGED(before);
    }
    free(before);
    note[0] = '\0';
    SUCCEEDS(db, bk_booking_ical(db, &w.booking, 0, &out));
    ck_assert_ptr_nonnull(strstr(out, "METHOD:REQUEST\r\n"));
    bk_string_free(out);
    SUCCEEDS(db, bk_booking_ical(db, &w.booking, BK_ICAL_LOCAL_TIME, &out));
    ck_assert_ptr_nonnull(strstr(out, "TZID:Europe/Berlin\r\n"));
    bk_string_free(out);
}
END_TEST

static int call_provider_ical_feed(const bk_id *id, void *ctx)
{
    const world *w = ctx;
    char *out = (char *)(void *)&sentinel_target;
    int rc = bk_provider_ical_feed(db, id, w->now, w->now + 86400 * 30, 0, &out);
    EXPECT(out == NULL, "[%s] *out not NULL after failure", note);
    return rc;
}

START_TEST(provider_ical_feed_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    char *out = (char *)(void *)&sentinel_target;
    const bk_time from = w.now, to = w.now + 86400 * 30;
    FAILS(NULL, bk_provider_ical_feed(NULL, &w.provider, from, to, 0, &out), BK_EINVAL, "db");
    FAILS(db, bk_provider_ical_feed(db, &w.provider, from, to, 0, NULL), BK_EINVAL, "out");
    id_call_cases(call_provider_ical_feed, &w, "provider", "provider", &w.provider, before);
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX + 1, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        NOTE("from %lld", (long long)bad[i]);
        out = (char *)(void *)&sentinel_target;
        FAILS(db, bk_provider_ical_feed(db, &w.provider, bad[i], to, 0, &out), BK_EINVAL, "from");
        ck_assert_ptr_null(out);
        NOTE("to %lld", (long long)bad[i]);
        FAILS(db, bk_provider_ical_feed(db, &w.provider, from, bad[i], 0, &out), BK_EINVAL, "to");
        UNCHANGED(before);
    }
    NOTE("to == from");
    FAILS(db, bk_provider_ical_feed(db, &w.provider, from, from, 0, &out), BK_EINVAL, "to");
    NOTE("to < from");
    FAILS(db, bk_provider_ical_feed(db, &w.provider, to, from, 0, &out), BK_EINVAL, "to");
    ck_assert_ptr_null(out);
    NOTE("flags");
    FAILS(db, bk_provider_ical_feed(db, &w.provider, from, to, 0x10u, &out), BK_EINVAL, "flags");
    UNCHANGED(before);
    free(before);
    note[0] = '\0';
    /* The whole range is a valid window. */
    SUCCEEDS(db, bk_provider_ical_feed(db, &w.provider, BK_TIME_MIN, BK_TIME_MAX, BK_ICAL_LOCAL_TIME, &out));
    ck_assert_ptr_nonnull(strstr(out, "METHOD:PUBLISH\r\n"));
    bk_string_free(out);
}
END_TEST

static int call_booking_format(const bk_id *id, void *ctx)
{
    (void)ctx;
    char buf[256];
    buf[0] = 'X';
    int rc = bk_booking_format(db, id, "Europe/Berlin", "de_DE", 0, buf, sizeof buf);
    EXPECT(buf[0] == '\0', "[%s] buf not emptied after failure", note);
    return rc;
}

/* Zone, locale and style cases shared by both formatting calls: `fmt`
 * formats with those three into buf, errors on handle h. */
typedef int (*format_fn)(const char *zone, const char *locale, unsigned style, char *buf, size_t size, void *ctx);

static void format_argument_cases(bk_db *h, format_fn fmt, void *ctx, const char *before)
{
    char buf[256];
    static const char *const zones[] = {"Europe/Berlim", "", "Europe/Berlin ", "Mars/Olympus_Mons", "GMT+05:30"};
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        NOTE("zone '%s'", zones[i]);
        buf[0] = 'X';
        FAILS(h, fmt(zones[i], "en_US", 0, buf, sizeof buf, ctx), BK_EINVAL, "zone");
        ck_assert_int_eq(buf[0], '\0');
    }
    ck_assert_ptr_nonnull(strstr(bk_errmsg(h), "GMT+05:30"));
    for (size_t k = 0; k < N_BAD_UTF8; k++) {
        char *z = concat3("Europe/", bad_utf8[k], "");
        NOTE("zone with %s", hex(bad_utf8[k]));
        FAILS(h, fmt(z, "en_US", 0, buf, sizeof buf, ctx), BK_EINVAL, "zone");
        free(z);
        char *loc = concat3("de_DE", bad_utf8[k], "");
        NOTE("locale with %s", hex(bad_utf8[k]));
        FAILS(h, fmt("Europe/Berlin", loc, 0, buf, sizeof buf, ctx), BK_EINVAL, "locale");
        free(loc);
    }
    char *long_locale = sized("de_", "D", 101, "");
    static const char *const locales[] = {"", "de DE", "de\nDE", "de/DE", "de\"DE", "ja_JP\x01"};
    for (size_t i = 0; i < sizeof locales / sizeof *locales + 1; i++) {
        const char *loc = i < sizeof locales / sizeof *locales ? locales[i] : long_locale;
        NOTE("locale '%s'", hex(loc));
        FAILS(h, fmt("Europe/Berlin", loc, 0, buf, sizeof buf, ctx), BK_EINVAL, "locale");
        ck_assert_int_eq(buf[0], '\0');
    }
    free(long_locale);
    const unsigned styles[] = {BK_FORMAT_ZONE_NAME | BK_FORMAT_ZONE_OFFSET, BK_FORMAT_ZONE_OFFSET | BK_FORMAT_ZONE_LONG,
                               0x8u, 0x10u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof styles / sizeof *styles; i++) {
        NOTE("style 0x%x", styles[i]);
        FAILS(h, fmt("Europe/Berlin", "en_US", styles[i], buf, sizeof buf, ctx), BK_EINVAL, "style");
        ck_assert_int_eq(buf[0], '\0');
    }
    NOTE("buf NULL");
    FAILS(h, fmt("Europe/Berlin", "en_US", 0, NULL, 256, ctx), BK_EINVAL, "buf");
    NOTE("buf_size 0");
    buf[0] = 'X';
    FAILS(h, fmt("Europe/Berlin", "en_US", 0, buf, 0, ctx), BK_EINVAL, "buf");
    ck_assert_int_eq(buf[0], 'X'); /* zero bytes: nothing may be written */
    /* Too small by one byte, and one byte only: the size needed is named. */
    note[0] = '\0';
    SUCCEEDS(h, fmt("Europe/Berlin", "de_DE", BK_FORMAT_ZONE_LONG, buf, sizeof buf, ctx));
    size_t len = strlen(buf);
    EXPECT(len > 10, "output '%s' too short to test", buf);
    char *exact = xmalloc(len + 1);
    SUCCEEDS(h, fmt("Europe/Berlin", "de_DE", BK_FORMAT_ZONE_LONG, exact, len + 1, ctx));
    ck_assert_str_eq(exact, buf);
    memset(exact, 'X', len + 1);
    NOTE("buf_size one short");
    FAILS(h, fmt("Europe/Berlin", "de_DE", BK_FORMAT_ZONE_LONG, exact, len, ctx), BK_EINVAL, "buf_size");
    EXPECT(exact[0] == '\0', "buffer not emptied after failure");
    char needed[32];
    snprintf(needed, sizeof needed, "%zu needed", len + 1);
    EXPECT(strstr(bk_errmsg(h), needed) != NULL, "message \"%s\" does not say \"%s\"", bk_errmsg(h), needed);
    char one[1] = {'X'};
    FAILS(h, fmt("Europe/Berlin", "de_DE", 0, one, 1, ctx), BK_EINVAL, "buf_size");
    ck_assert_int_eq(one[0], '\0');
    free(exact);
    if (before)
        UNCHANGED(before);
    note[0] = '\0';
}

static int fmt_booking(const char *zone, const char *locale, unsigned style, char *buf, size_t size, void *ctx)
{
    return bk_booking_format(db, ctx, zone, locale, style, buf, size);
}

START_TEST(booking_format_rejects_bad_arguments)
{
    world w;
    world_make(&w);
    char *before = snapshot();
    char buf[256];
    FAILS(NULL, bk_booking_format(NULL, &w.booking, "Europe/Berlin", "de_DE", 0, buf, sizeof buf), BK_EINVAL, "db");
    id_call_cases(call_booking_format, NULL, "booking", "booking", &w.booking, before);
    format_argument_cases(db, fmt_booking, &w.booking, before);
    free(before);
    /* NULL zone: the provider's (the world's booking has no customer zone). */
    SUCCEEDS(db, bk_booking_format(db, &w.booking, NULL, NULL, 0, buf, sizeof buf));
    EXPECT(strstr(buf, "11:00") != NULL, "'%s' is not Berlin's 11:00", buf);
}
END_TEST

static int fmt_slot(const char *zone, const char *locale, unsigned style, char *buf, size_t size, void *ctx)
{
    return bk_slot_format(ctx, zone, locale, style, buf, size);
}

START_TEST(slot_format_rejects_bad_arguments)
{
    bk_slot s = {at("2030-01-08T10:00:00Z"), at("2030-01-08T11:00:00Z")};
    char buf[256];
    FAILS(NULL, bk_slot_format(NULL, "UTC", NULL, 0, buf, sizeof buf), BK_EINVAL, "slot");
    ck_assert_str_eq(buf, "");
    FAILS(NULL, bk_slot_format(&s, NULL, NULL, 0, buf, sizeof buf), BK_EINVAL, "zone");
    const bk_time bad[] = {BK_TIME_MIN - 1, BK_TIME_MAX, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bk_slot q = s;
        q.start = bad[i];
        NOTE("start %lld", (long long)bad[i]);
        FAILS(NULL, bk_slot_format(&q, "UTC", NULL, 0, buf, sizeof buf), BK_EINVAL, "start");
        q = s;
        q.end = bad[i];
        NOTE("end %lld", (long long)bad[i]);
        FAILS(NULL, bk_slot_format(&q, "UTC", NULL, 0, buf, sizeof buf), BK_EINVAL, "end");
        ck_assert_str_eq(buf, "");
    }
    bk_slot q = {s.start, s.start};
    NOTE("end == start");
    FAILS(NULL, bk_slot_format(&q, "UTC", NULL, 0, buf, sizeof buf), BK_EINVAL, "end");
    q.end = s.start - 60;
    NOTE("end < start");
    FAILS(NULL, bk_slot_format(&q, "UTC", NULL, 0, buf, sizeof buf), BK_EINVAL, "end");
    format_argument_cases(NULL, fmt_slot, &s, NULL);
    SUCCEEDS(NULL, bk_slot_format(&s, "UTC", NULL, 0, buf, sizeof buf));
    /* The earliest and latest slots the library accepts. */
    q.start = BK_TIME_MIN;
    q.end = BK_TIME_MIN + 60;
    SUCCEEDS(NULL, bk_slot_format(&q, "Asia/Tokyo", "ja_JP", BK_FORMAT_ZONE_LONG, buf, sizeof buf));
    q.start = BK_TIME_MAX - 120;
    q.end = BK_TIME_MAX - 1;
    SUCCEEDS(NULL, bk_slot_format(&q, "America/New_York", "de_DE", BK_FORMAT_ZONE_OFFSET, buf, sizeof buf));
}
END_TEST

START_TEST(timezone_canonical_rejects_unknown_zones_and_small_buffers)
{
    char buf[64];
    FAILS(NULL, bk_timezone_canonical(NULL, buf, sizeof buf), BK_EINVAL, "zone");
    ck_assert_str_eq(buf, "");
    static const char *const zones[] = {"", "Europe/Berlim", "US/Eastern ", "GMT+05:30", "Etc/Unknown", "us/eastern"};
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        NOTE("zone '%s'", zones[i]);
        memset(buf, 'X', sizeof buf);
        FAILS(NULL, bk_timezone_canonical(zones[i], buf, sizeof buf), BK_EINVAL, "zone");
        ck_assert_str_eq(buf, "");
    }
    for (size_t k = 0; k < N_BAD_UTF8; k++) {
        char *z = concat3("US/", bad_utf8[k], "Eastern");
        NOTE("zone with %s", hex(bad_utf8[k]));
        FAILS(NULL, bk_timezone_canonical(z, buf, sizeof buf), BK_EINVAL, "zone");
        free(z);
    }
    char *huge = sized("America/", "x", 5000, "");
    FAILS(NULL, bk_timezone_canonical(huge, buf, sizeof buf), BK_EINVAL, "zone");
    free(huge);
    note[0] = '\0';
    FAILS(NULL, bk_timezone_canonical("US/Eastern", NULL, 64), BK_EINVAL, "buf");
    FAILS(NULL, bk_timezone_canonical("US/Eastern", buf, 0), BK_EINVAL, "buf");
    /* "America/New_York" needs 17 bytes. */
    memset(buf, 'X', sizeof buf);
    FAILS(NULL, bk_timezone_canonical("US/Eastern", buf, 16), BK_EINVAL, "buf_size");
    ck_assert_str_eq(buf, "");
    ck_assert_ptr_nonnull(strstr(bk_errmsg(NULL), "17 needed"));
    SUCCEEDS(NULL, bk_timezone_canonical("US/Eastern", buf, 17));
    ck_assert_str_eq(buf, "America/New_York");
}
END_TEST

START_TEST(timezone_list_rejects_null_pointers_and_clears_outputs)
{
    char **list = (char **)(void *)&sentinel_target;
    size_t n = 99;
    FAILS(NULL, bk_timezone_list(NULL, &n), BK_EINVAL, "out");
    ck_assert_uint_eq(n, 0);
    FAILS(NULL, bk_timezone_list(&list, NULL), BK_EINVAL, "n");
    ck_assert_ptr_null(list);
    SUCCEEDS(NULL, bk_timezone_list(&list, &n));
    EXPECT(n > 300 && list != NULL, "only %zu zones", n);
    bk_timezone_list_free(list, n);
}
END_TEST

START_TEST(display_free_functions_accept_null_and_version_is_never_null)
{
    bk_string_free(NULL);
    bk_timezone_list_free(NULL, 0);
    bk_timezone_list_free(NULL, 3);
    const char *v = bk_tzdata_version();
    EXPECT(v != NULL && v[0] != '\0', "bk_tzdata_version() is NULL or empty");
    /* Not a call with a status: it leaves the last error alone. */
    FAILS(NULL, bk_timezone_valid("Europe/Berlim"), BK_EINVAL, "timezone");
    (void)bk_tzdata_version();
    ck_assert_int_eq(bk_errcode(NULL), BK_EINVAL);
}
END_TEST

static Suite *display_suite(void)
{
    Suite *s = suite_create("bad_input_display");
    TCase *i = tcase("ical");
    tcase_add_test(i, booking_ical_rejects_bad_arguments);
    tcase_add_test(i, provider_ical_feed_rejects_bad_arguments);
    suite_add_tcase(s, i);
    TCase *f = tcase("format");
    tcase_add_test(f, booking_format_rejects_bad_arguments);
    tcase_add_test(f, slot_format_rejects_bad_arguments);
    suite_add_tcase(s, f);
    TCase *z = tcase("zones");
    tcase_add_test(z, timezone_canonical_rejects_unknown_zones_and_small_buffers);
    tcase_add_test(z, timezone_list_rejects_null_pointers_and_clears_outputs);
    tcase_add_test(z, display_free_functions_accept_null_and_version_is_never_null);
    suite_add_tcase(s, z);
    return s;
}
