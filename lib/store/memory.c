/* The in-memory backend.
 *
 * Layout.  A store's data (struct mdata) is reached through per-handle
 * objects (struct mhandle), so that several handles can share one named
 * store and each close can drop its own reference.  Every provider owns its
 * records in vectors kept sorted in the order the reads want, so a read is
 * a binary search plus a forward scan and needs no allocation (a read can
 * then never fail half-way with BK_ENOMEM).  Records with ids are also
 * indexed by id in a hash map per kind, for get and delete.
 *
 * Bookings.  Each provider keeps all its bookings sorted by (start, id) for
 * listing, and its live bookings sorted by (occupied start, id) for the
 * overlap check and schedule_load.  Each vector comes with the largest
 * length it ever held (never lowered: an upper bound is all the search
 * needs), so a record overlapping [from, to) must start at or after
 * from - maxlen, and the scan can stop at the first start >= to.
 *
 * Writes are all-or-nothing: every allocation a write needs (copies,
 * vector and map capacity) is made before anything is unlinked or changed,
 * so a failure leaves the store exactly as it was.
 *
 * Locking.  Every method runs under the store's mutex, sink callbacks
 * included: a read is a consistent snapshot, and the check-then-insert of
 * bookings and unique keys is atomic.  A callback must therefore not call
 * back into the same store.  The registry of named stores has its own
 * mutex, taken only by open and close, never while a store mutex is held.
 */
#include "store/memory.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#ifdef __clang_analyzer__
/* clang's analyzer (tests/static/run.sh) does not step into variadic
 * calls, so it cannot see that bk_store_error returns its code, never
 * BK_OK, and reports paths that only exist if it did.  Said for the
 * analyzer alone. */
#define bk_store_error(err, code, ...) (bk_store_error((err), (code), __VA_ARGS__), (code))
#endif

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* Callers may hand ids that are not NUL-terminated within bk_id (the
 * library validates, but a backend must not read past the struct). */
#define ID_MAXLEN (sizeof(((bk_id *)0)->s) - 1)

static bk_id id_copy(const bk_id *in)
{
    bk_id out;
    memset(&out, 0, sizeof out);
    memcpy(out.s, in->s, strnlen(in->s, ID_MAXLEN));
    return out;
}

static int id_eq(const char *stored, const bk_id *id)
{
    return strncmp(stored, id->s, sizeof id->s) == 0;
}

/* strcmp with NULL ordered before every string, for optional fields. */
static int strcmp0(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Saturating arithmetic: times come from callers, and range searches
 * compute from - maxlen; keep that defined for any input, BK_TIME_UNSET
 * included. */
static bk_time sat_sub(bk_time a, bk_time b)
{
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    return a - b;
}

static bk_time sat_add(bk_time a, bk_time b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* The length of [start, end), 0 when empty. */
static bk_time span(bk_time start, bk_time end)
{
    bk_time len = sat_sub(end, start);
    return len > 0 ? len : 0;
}

static bk_time max_time(bk_time a, bk_time b)
{
    return a > b ? a : b;
}

/* Half-open ranges; an empty range overlaps nothing (as in PostgreSQL). */
static int overlaps(bk_time a0, bk_time a1, bk_time b0, bk_time b1)
{
    return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
}

static void strs_free(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bki_free(s[i]);
        s[i] = NULL;
    }
}

/* Copies n optional strings; on failure nothing is left allocated. */
static int strs_dup(char **out, const char *const *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        if (in[i] && !(out[i] = bki_strdup(in[i]))) {
            strs_free(out, i);
            return -1;
        }
    }
    return 0;
}

static int oom(bk_store_err *err)
{
    return bk_store_error(err, BK_ENOMEM, "memory store: out of memory");
}

/* ------------------------------------------------------------------ */
/* Sorted pointer vectors                                              */
/* ------------------------------------------------------------------ */

typedef struct pvec {
    void **v;
    size_t n;
    size_t cap;
} pvec;

/* Orders an element against a search key (which may be another element). */
typedef int (*cmp_fn)(const void *elem, const void *key);

static int pvec_reserve(pvec *p, size_t extra)
{
    void *v = p->v;
    if (p->n > SIZE_MAX - extra || bki_grow(&v, &p->cap, p->n + extra, sizeof *p->v) != 0)
        return -1;
    p->v = v;
    return 0;
}

static void pvec_free(pvec *p)
{
    bki_free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

/* The first index whose element is not ordered before key. */
static size_t pvec_lower(const pvec *p, const void *key, cmp_fn cmp)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(p->v[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void *pvec_find(const pvec *p, const void *key, cmp_fn cmp)
{
    size_t i = pvec_lower(p, key, cmp);
    return i < p->n && cmp(p->v[i], key) == 0 ? p->v[i] : NULL;
}

/* Capacity must have been reserved: linking in never fails.  key is
 * elem's own sort key. */
static void pvec_insert(pvec *p, void *elem, const void *key, cmp_fn cmp)
{
    size_t i = pvec_lower(p, key, cmp);
    memmove(p->v + i + 1, p->v + i, (p->n - i) * sizeof *p->v);
    p->v[i] = elem;
    p->n++;
}

/* key must still be the sort key elem was inserted with. */
static void pvec_remove(pvec *p, const void *elem, const void *key, cmp_fn cmp)
{
    size_t i = pvec_lower(p, key, cmp);
    if (i >= p->n || p->v[i] != elem) {
        /* Only reachable if a sort field changed while linked: stay
         * correct rather than corrupt the vector. */
        for (i = 0; i < p->n && p->v[i] != elem; i++)
            ;
        if (i == p->n)
            return;
    }
    memmove(p->v + i, p->v + i + 1, (p->n - i - 1) * sizeof *p->v);
    p->n--;
}

/* ------------------------------------------------------------------ */
/* Id maps: open addressing, linear probing, backward-shift deletion   */
/* ------------------------------------------------------------------ */

struct idslot {
    const char *key; /* the record's own id text; NULL = empty slot */
    void *val;
};

typedef struct idmap {
    struct idslot *slot;
    size_t cap; /* 0 or a power of two */
    size_t n;
} idmap;

/* FNV-1a: ids are not guaranteed random (tests and imports use
 * sequential ones), so hash every character. */
static size_t id_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < ID_MAXLEN && s[i]; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return (size_t)(h ^ (h >> 32));
}

static int idmap_reserve(idmap *m, size_t extra)
{
    if (m->n > SIZE_MAX / 8 - extra)
        return -1;
    size_t need = m->n + extra;
    if (need * 4 <= m->cap * 3)
        return 0;
    size_t cap = m->cap ? m->cap : 16;
    while (need * 4 > cap * 3) {
        if (cap > SIZE_MAX / 2 / sizeof(struct idslot))
            return -1;
        cap *= 2;
    }
    struct idslot *slot = bki_calloc(cap, sizeof *slot);
    if (!slot)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].key)
            continue;
        size_t j = id_hash(m->slot[i].key) & (cap - 1);
        while (slot[j].key)
            j = (j + 1) & (cap - 1);
        slot[j] = m->slot[i];
    }
    bki_free(m->slot);
    m->slot = slot;
    m->cap = cap;
    return 0;
}

static size_t idmap_index(const idmap *m, const bk_id *id)
{
    if (!m->cap)
        return SIZE_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = id_hash(id->s) & mask; m->slot[i].key; i = (i + 1) & mask) {
        if (id_eq(m->slot[i].key, id))
            return i;
    }
    return SIZE_MAX;
}

static void *idmap_get(const idmap *m, const bk_id *id)
{
    size_t i = idmap_index(m, id);
    return i == SIZE_MAX ? NULL : m->slot[i].val;
}

/* Capacity must have been reserved and key must be absent. */
static void idmap_put(idmap *m, const char *key, void *val)
{
    size_t mask = m->cap - 1;
    size_t i = id_hash(key) & mask;
    while (m->slot[i].key)
        i = (i + 1) & mask;
    m->slot[i].key = key;
    m->slot[i].val = val;
    m->n++;
}

static void idmap_del(idmap *m, const bk_id *id)
{
    size_t i = idmap_index(m, id);
    if (i == SIZE_MAX)
        return;
    size_t mask = m->cap - 1;
    /* Pull later members of the probe run into the hole unless their home
     * slot lies after the hole, so that lookups never stop early. */
    for (size_t j = (i + 1) & mask; m->slot[j].key; j = (j + 1) & mask) {
        size_t home = id_hash(m->slot[j].key) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i].key = NULL;
    m->slot[i].val = NULL;
    m->n--;
}

static void idmap_free(idmap *m)
{
    bki_free(m->slot);
    m->slot = NULL;
    m->cap = m->n = 0;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/* Each stored record keeps a bk_* struct whose string members point at the
 * strings it owns (own[]), so that emitting it is a struct copy. */

enum {
    PS_USERNAME,
    PS_EMAIL,
    PS_FULL_NAME,
    PS_TIMEZONE,
    PS_BUSINESS_NAME,
    PS_DESCRIPTION,
    PS_AVATAR_URL,
    PS_USERNAME_KEY,
    PS_EMAIL_KEY,
    PS_COUNT
};

struct mprov {
    bk_provider rec;
    char *own[PS_COUNT];
    pvec services;    /* struct msvc *, by display_order, name, id */
    pvec avail;       /* struct mavail *, by weekday, start, end, id */
    pvec overrides;   /* struct movr *, by date */
    pvec blocked;     /* one-off struct mblocked *, by start, id */
    pvec blocked_rec; /* recurring ones, by start, id */
    bk_time blocked_maxlen;
    pvec bookings;    /* every struct mbook *, by start, id */
    bk_time booking_maxlen;
    pvec live;        /* live ones, by occupied start, id */
    bk_time live_maxlen;
    pvec keyed;       /* those with an idempotency key, by key */
    char *password_hash; /* NULL until one is set */
};

enum { SS_NAME, SS_DESCRIPTION, SS_CURRENCY, SS_COUNT };

struct msvc {
    bk_service rec;
    char *own[SS_COUNT];
    struct mprov *prov;
};

struct mavail {
    bk_availability rec;
    struct mprov *prov;
};

struct movr {
    bk_override rec;
    bk_local_interval *iv;
};

enum { XS_RRULE, XS_REASON, XS_COUNT };

struct mblocked {
    bk_blocked rec;
    char *own[XS_COUNT];
    struct mprov *prov;
};

enum {
    BS_IDEMPOTENCY_KEY,
    BS_CUSTOMER_NAME,
    BS_CUSTOMER_EMAIL,
    BS_CUSTOMER_PHONE,
    BS_CUSTOMER_TIMEZONE,
    BS_NOTES,
    BS_CANCELLATION_REASON,
    BS_EMAIL_KEY, /* customer_email_key: not in the record, kept beside it */
    BS_COUNT
};

struct mbook {
    bk_booking rec;
    char *own[BS_COUNT];
    struct mprov *prov;
    bk_time occ_start;
    bk_time occ_end;
};

static void prov_bind(struct mprov *m)
{
    m->rec.version = BK_PROVIDER_VERSION;
    m->rec.username = m->own[PS_USERNAME];
    m->rec.email = m->own[PS_EMAIL];
    m->rec.full_name = m->own[PS_FULL_NAME];
    m->rec.timezone = m->own[PS_TIMEZONE];
    m->rec.business_name = m->own[PS_BUSINESS_NAME];
    m->rec.description = m->own[PS_DESCRIPTION];
    m->rec.avatar_url = m->own[PS_AVATAR_URL];
}

static void prov_sources(const char *src[PS_COUNT], const bk_provider *p, const char *username_key,
                         const char *email_key)
{
    src[PS_USERNAME] = p->username;
    src[PS_EMAIL] = p->email;
    src[PS_FULL_NAME] = p->full_name;
    src[PS_TIMEZONE] = p->timezone;
    src[PS_BUSINESS_NAME] = p->business_name;
    src[PS_DESCRIPTION] = p->description;
    src[PS_AVATAR_URL] = p->avatar_url;
    src[PS_USERNAME_KEY] = username_key;
    src[PS_EMAIL_KEY] = email_key;
}

static void svc_bind(struct msvc *m)
{
    m->rec.version = BK_SERVICE_VERSION;
    m->rec.name = m->own[SS_NAME];
    m->rec.description = m->own[SS_DESCRIPTION];
    m->rec.currency = m->own[SS_CURRENCY];
}

static void svc_sources(const char *src[SS_COUNT], const bk_service *s)
{
    src[SS_NAME] = s->name;
    src[SS_DESCRIPTION] = s->description;
    src[SS_CURRENCY] = s->currency;
}

static void blocked_bind(struct mblocked *m)
{
    m->rec.version = BK_BLOCKED_VERSION;
    m->rec.rrule = m->own[XS_RRULE];
    m->rec.reason = m->own[XS_REASON];
}

static void book_bind(struct mbook *m)
{
    m->rec.version = BK_BOOKING_VERSION;
    m->rec.idempotency_key = m->own[BS_IDEMPOTENCY_KEY];
    m->rec.customer_name = m->own[BS_CUSTOMER_NAME];
    m->rec.customer_email = m->own[BS_CUSTOMER_EMAIL];
    m->rec.customer_phone = m->own[BS_CUSTOMER_PHONE];
    m->rec.customer_timezone = m->own[BS_CUSTOMER_TIMEZONE];
    m->rec.notes = m->own[BS_NOTES];
    m->rec.cancellation_reason = m->own[BS_CANCELLATION_REASON];
}

static void book_sources(const char *src[BS_COUNT], const bk_booking *b, const char *email_key)
{
    src[BS_EMAIL_KEY] = email_key;
    src[BS_IDEMPOTENCY_KEY] = b->idempotency_key;
    src[BS_CUSTOMER_NAME] = b->customer_name;
    src[BS_CUSTOMER_EMAIL] = b->customer_email;
    src[BS_CUSTOMER_PHONE] = b->customer_phone;
    src[BS_CUSTOMER_TIMEZONE] = b->customer_timezone;
    src[BS_NOTES] = b->notes;
    src[BS_CANCELLATION_REASON] = b->cancellation_reason;
}

static int book_is_live(const bk_booking *b)
{
    return b->status != BK_BOOKING_CANCELLED;
}

static void occupied(const bk_booking *b, bk_time *start, bk_time *end)
{
    *start = sat_sub(b->start, (bk_time)b->buffer_before_minutes * 60);
    *end = sat_add(b->end, (bk_time)b->buffer_after_minutes * 60);
}

static int blocked_is_recurring(const char *rrule)
{
    return rrule && rrule[0];
}

/* ------------------------------------------------------------------ */
/* Orders                                                              */
/* ------------------------------------------------------------------ */

/* A (time, id) position: range searches use id "" to land before every
 * record at that time. */
struct tkey {
    bk_time t;
    const char *id;
};

static int cmp_tkey(bk_time t, const char *id, const struct tkey *k)
{
    if (t != k->t)
        return t < k->t ? -1 : 1;
    return strcmp(id, k->id);
}

static int cmp_book_start(const void *elem, const void *key)
{
    const struct mbook *b = elem;
    return cmp_tkey(b->rec.start, b->rec.id.s, key);
}

static int cmp_book_occ(const void *elem, const void *key)
{
    const struct mbook *b = elem;
    return cmp_tkey(b->occ_start, b->rec.id.s, key);
}

static int cmp_blocked_start(const void *elem, const void *key)
{
    const struct mblocked *b = elem;
    return cmp_tkey(b->rec.start, b->rec.id.s, key);
}

static struct tkey book_start_key(const struct mbook *b)
{
    return (struct tkey){b->rec.start, b->rec.id.s};
}

static struct tkey book_occ_key(const struct mbook *b)
{
    return (struct tkey){b->occ_start, b->rec.id.s};
}

static struct tkey blocked_key(const struct mblocked *b)
{
    return (struct tkey){b->rec.start, b->rec.id.s};
}

static int cmp_book_idem(const void *elem, const void *key)
{
    const struct mbook *b = elem;
    return strcmp(b->own[BS_IDEMPOTENCY_KEY], key);
}

static int cmp_prov_ukey(const void *elem, const void *key)
{
    const struct mprov *p = elem;
    return strcmp(p->own[PS_USERNAME_KEY], key);
}

static int cmp_prov_ekey(const void *elem, const void *key)
{
    const struct mprov *p = elem;
    return strcmp(p->own[PS_EMAIL_KEY], key);
}

/* Listing order: username as stored, then id (usernames differing only in
 * case are refused anyway, so the id only makes the order total). */
static int cmp_prov_username(const void *elem, const void *key)
{
    const struct mprov *a = elem, *b = key;
    int c = strcmp0(a->rec.username, b->rec.username);
    return c ? c : strcmp(a->rec.id.s, b->rec.id.s);
}

static int cmp_svc(const void *elem, const void *key)
{
    const struct msvc *a = elem, *b = key;
    if (a->rec.display_order != b->rec.display_order)
        return a->rec.display_order < b->rec.display_order ? -1 : 1;
    int c = strcmp0(a->rec.name, b->rec.name);
    return c ? c : strcmp(a->rec.id.s, b->rec.id.s);
}

static int cmp_int(int a, int b)
{
    return (a > b) - (a < b);
}

static int cmp_avail(const void *elem, const void *key)
{
    const struct mavail *a = elem, *b = key;
    int c = cmp_int(a->rec.weekday, b->rec.weekday);
    if (!c)
        c = cmp_int(a->rec.start_minute, b->rec.start_minute);
    if (!c)
        c = cmp_int(a->rec.end_minute, b->rec.end_minute);
    return c ? c : strcmp(a->rec.id.s, b->rec.id.s);
}

static int cmp_date(const bk_date *a, const bk_date *b)
{
    int c = cmp_int(a->year, b->year);
    if (!c)
        c = cmp_int(a->month, b->month);
    return c ? c : cmp_int(a->day, b->day);
}

static int cmp_ovr(const void *elem, const void *key)
{
    const struct movr *o = elem;
    return cmp_date(&o->rec.date, key);
}

/* ------------------------------------------------------------------ */
/* Store data, handles, registry                                       */
/* ------------------------------------------------------------------ */

struct mtoken {
    bk_store_token rec;
};

static int cmp_token(const void *elem, const void *key)
{
    return memcmp(((const struct mtoken *)elem)->rec.hash, key, 32);
}

struct mdata {
    pthread_mutex_t lock;
    char *name;   /* NULL for a private store */
    size_t refs;  /* handles open on it; guarded by registry_lock */
    struct mdata *next;
    idmap providers;
    idmap services;
    idmap avail;
    idmap blocked;
    idmap bookings;
    pvec by_username; /* struct mprov *, listing order */
    pvec by_ukey;     /* by username_key, for uniqueness */
    pvec by_ekey;     /* by email_key, for uniqueness */
    pvec tokens;      /* struct mtoken *, by hash */
};

struct mhandle {
    bk_store base; /* first: the library holds a bk_store * */
    struct mdata *d;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mdata *registry;

static struct mdata *data_of(bk_store *self)
{
    return ((struct mhandle *)self)->d;
}

static struct mdata *lock_store(bk_store *self)
{
    struct mdata *d = data_of(self);
    pthread_mutex_lock(&d->lock);
    return d;
}

static void unlock_store(struct mdata *d)
{
    pthread_mutex_unlock(&d->lock);
}

static struct mprov *find_prov(struct mdata *d, const bk_id *id, bk_store_err *err)
{
    struct mprov *p = id ? idmap_get(&d->providers, id) : NULL;
    if (!p)
        bk_store_error(err, BK_ENOTFOUND, "provider: not found");
    return p;
}

/* ------------------------------------------------------------------ */
/* Emitting records                                                    */
/* ------------------------------------------------------------------ */

/* The sink gets a copy on the stack: a callback cannot reach our state. */

static int emit_provider(const bk_store_sink *sink, const struct mprov *m)
{
    if (!sink || !sink->provider)
        return 0;
    bk_provider p = m->rec;
    return sink->provider(sink->ctx, &p);
}

static int emit_service(const bk_store_sink *sink, const struct msvc *m)
{
    if (!sink || !sink->service)
        return 0;
    bk_service s = m->rec;
    return sink->service(sink->ctx, &s);
}

static int emit_avail(const bk_store_sink *sink, const struct mavail *m)
{
    if (!sink || !sink->availability)
        return 0;
    bk_availability a = m->rec;
    return sink->availability(sink->ctx, &a);
}

static int emit_override(const bk_store_sink *sink, const struct movr *m)
{
    if (!sink || !sink->override_day)
        return 0;
    bk_override o = m->rec;
    return sink->override_day(sink->ctx, &o);
}

static int emit_blocked(const bk_store_sink *sink, const struct mblocked *m)
{
    if (!sink || !sink->blocked)
        return 0;
    bk_blocked b = m->rec;
    return sink->blocked(sink->ctx, &b);
}

static int emit_booking(const bk_store_sink *sink, const struct mbook *m)
{
    if (!sink || !sink->booking)
        return 0;
    bk_booking b = m->rec;
    return sink->booking(sink->ctx, &b);
}

static int emit_keyed(const bk_store_sink *sink, const struct mbook *m)
{
    if (!sink || !sink->keyed_booking)
        return 0;
    bk_booking b = m->rec;
    return sink->keyed_booking(sink->ctx, &b);
}

/* ------------------------------------------------------------------ */
/* Freeing                                                             */
/* ------------------------------------------------------------------ */

static void svc_free(struct msvc *m)
{
    strs_free(m->own, SS_COUNT);
    bki_free(m);
}

static void blocked_free(struct mblocked *m)
{
    strs_free(m->own, XS_COUNT);
    bki_free(m);
}

static void book_free(struct mbook *m)
{
    strs_free(m->own, BS_COUNT);
    bki_free(m);
}

static void ovr_free(struct movr *m)
{
    bki_free(m->iv);
    bki_free(m);
}

/* Frees a provider and everything it owns, dropping the owned records
 * from the store's id maps; the provider's own index entries are the
 * caller's business. */
static void prov_destroy(struct mdata *d, struct mprov *m)
{
    for (size_t i = 0; i < m->services.n; i++) {
        struct msvc *s = m->services.v[i];
        idmap_del(&d->services, &s->rec.id);
        svc_free(s);
    }
    for (size_t i = 0; i < m->avail.n; i++) {
        struct mavail *a = m->avail.v[i];
        idmap_del(&d->avail, &a->rec.id);
        bki_free(a);
    }
    for (size_t i = 0; i < m->overrides.n; i++)
        ovr_free(m->overrides.v[i]);
    pvec *blocked[] = {&m->blocked, &m->blocked_rec};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < blocked[k]->n; i++) {
            struct mblocked *b = blocked[k]->v[i];
            idmap_del(&d->blocked, &b->rec.id);
            blocked_free(b);
        }
    }
    for (size_t i = 0; i < m->bookings.n; i++) {
        struct mbook *b = m->bookings.v[i];
        idmap_del(&d->bookings, &b->rec.id);
        book_free(b);
    }
    pvec_free(&m->services);
    pvec_free(&m->avail);
    pvec_free(&m->overrides);
    pvec_free(&m->blocked);
    pvec_free(&m->blocked_rec);
    pvec_free(&m->bookings);
    pvec_free(&m->live);
    pvec_free(&m->keyed);
    strs_free(m->own, PS_COUNT);
    bki_free(m->password_hash);
    bki_free(m);
}

static void data_free(struct mdata *d)
{
    for (size_t i = 0; i < d->by_username.n; i++) {
        struct mprov *m = d->by_username.v[i];
        idmap_del(&d->providers, &m->rec.id);
        prov_destroy(d, m);
    }
    pvec_free(&d->by_username);
    pvec_free(&d->by_ukey);
    pvec_free(&d->by_ekey);
    for (size_t i = 0; i < d->tokens.n; i++)
        bki_free(d->tokens.v[i]);
    pvec_free(&d->tokens);
    idmap_free(&d->providers);
    idmap_free(&d->services);
    idmap_free(&d->avail);
    idmap_free(&d->blocked);
    idmap_free(&d->bookings);
    pthread_mutex_destroy(&d->lock);
    bki_free(d->name);
    bki_free(d);
}

/* ------------------------------------------------------------------ */
/* Providers                                                           */
/* ------------------------------------------------------------------ */

static void prov_link(struct mdata *d, struct mprov *m)
{
    pvec_insert(&d->by_username, m, m, cmp_prov_username);
    pvec_insert(&d->by_ukey, m, m->own[PS_USERNAME_KEY], cmp_prov_ukey);
    pvec_insert(&d->by_ekey, m, m->own[PS_EMAIL_KEY], cmp_prov_ekey);
}

static void prov_unlink(struct mdata *d, struct mprov *m)
{
    pvec_remove(&d->by_username, m, m, cmp_prov_username);
    pvec_remove(&d->by_ukey, m, m->own[PS_USERNAME_KEY], cmp_prov_ukey);
    pvec_remove(&d->by_ekey, m, m->own[PS_EMAIL_KEY], cmp_prov_ekey);
}

/* BK_EEXISTS if a provider other than self holds either key. */
static int check_unique(struct mdata *d, const struct mprov *self, const bk_provider *p,
                        const char *username_key, const char *email_key, bk_store_err *err)
{
    const struct mprov *o = pvec_find(&d->by_ukey, username_key, cmp_prov_ukey);
    if (o && o != self)
        return bk_store_error(err, BK_EEXISTS, "username: '%s' is taken",
                              p->username ? p->username : username_key);
    o = pvec_find(&d->by_ekey, email_key, cmp_prov_ekey);
    if (o && o != self)
        return bk_store_error(err, BK_EEXISTS, "email: '%s' is taken",
                              p->email ? p->email : email_key);
    return BK_OK;
}

static int check_provider_args(const bk_provider *p, const char *username_key,
                               const char *email_key, bk_store_err *err)
{
    if (!p)
        return bk_store_error(err, BK_EINVAL, "provider: NULL");
    if (!username_key || !email_key)
        return bk_store_error(err, BK_EINVAL, "%s: NULL",
                              username_key ? "email_key" : "username_key");
    return BK_OK;
}

static int provider_insert_locked(struct mdata *d, const bk_provider *p, const char *username_key,
                                  const char *email_key, bk_store_err *err)
{
    int rc = check_unique(d, NULL, p, username_key, email_key, err);
    if (rc)
        return rc;
    if (idmap_get(&d->providers, &p->id))
        return bk_store_error(err, BK_ESTORE, "provider: id %.36s already exists", p->id.s);

    const char *src[PS_COUNT];
    prov_sources(src, p, username_key, email_key);
    struct mprov *m = bki_calloc(1, sizeof *m);
    if (!m)
        return oom(err);
    if (strs_dup(m->own, src, PS_COUNT) != 0) {
        bki_free(m);
        return oom(err);
    }
    if (idmap_reserve(&d->providers, 1) || pvec_reserve(&d->by_username, 1) ||
        pvec_reserve(&d->by_ukey, 1) || pvec_reserve(&d->by_ekey, 1)) {
        strs_free(m->own, PS_COUNT);
        bki_free(m);
        return oom(err);
    }
    m->rec = *p;
    m->rec.id = id_copy(&p->id);
    m->rec.deleted_at = BK_TIME_UNSET;
    prov_bind(m);
    idmap_put(&d->providers, m->rec.id.s, m);
    prov_link(d, m);
    return BK_OK;
}

static int provider_update_locked(struct mdata *d, const bk_provider *p, const char *username_key,
                                  const char *email_key, bk_store_err *err)
{
    struct mprov *m = find_prov(d, &p->id, err);
    if (!m)
        return BK_ENOTFOUND;
    int rc = check_unique(d, m, p, username_key, email_key, err);
    if (rc)
        return rc;
    const char *src[PS_COUNT];
    char *own[PS_COUNT];
    prov_sources(src, p, username_key, email_key);
    if (strs_dup(own, src, PS_COUNT) != 0)
        return oom(err);

    /* Unlink while the old sort keys are still in place. */
    prov_unlink(d, m);
    strs_free(m->own, PS_COUNT);
    memcpy(m->own, own, sizeof own);
    bk_id id = m->rec.id;
    bk_time created_at = m->rec.created_at, deleted_at = m->rec.deleted_at;
    m->rec = *p;
    m->rec.id = id;
    /* The library's update spec ignores created_at as input; deletion has
     * calls of its own. */
    m->rec.created_at = created_at;
    m->rec.deleted_at = deleted_at;
    prov_bind(m);
    prov_link(d, m);
    return BK_OK;
}

/* Drops the tokens of bookings of provider p (prov == NULL: of booking b). */
static void tokens_drop(struct mdata *d, const struct mprov *p, const struct mbook *b, int unused_only)
{
    size_t o = 0;
    for (size_t i = 0; i < d->tokens.n; i++) {
        struct mtoken *t = d->tokens.v[i];
        int mine = p ? strcmp(t->rec.provider.s, p->rec.id.s) == 0 : strcmp(t->rec.booking.s, b->rec.id.s) == 0;
        if (mine && (!unused_only || t->rec.used_at == BK_TIME_UNSET))
            bki_free(t);
        else
            d->tokens.v[o++] = t;
    }
    d->tokens.n = o;
}

static int provider_delete_locked(struct mdata *d, const bk_id *id, bk_store_err *err)
{
    struct mprov *m = find_prov(d, id, err);
    if (!m)
        return BK_ENOTFOUND;
    tokens_drop(d, m, NULL, 0);
    prov_unlink(d, m);
    idmap_del(&d->providers, &m->rec.id);
    prov_destroy(d, m);
    return BK_OK;
}

static int provider_get_locked(struct mdata *d, const bk_id *id, const bk_store_sink *sink,
                               bk_store_err *err)
{
    struct mprov *m = find_prov(d, id, err);
    return m ? emit_provider(sink, m) : BK_ENOTFOUND;
}

static int provider_list_locked(struct mdata *d, const bk_store_sink *sink)
{
    for (size_t i = 0; i < d->by_username.n; i++) {
        const struct mprov *m = d->by_username.v[i];
        int rc = m->rec.deleted_at == BK_TIME_UNSET ? emit_provider(sink, m) : 0;
        if (rc)
            return rc;
    }
    return BK_OK;
}

/* ------------------------------------------------------------------ */
/* Services                                                            */
/* ------------------------------------------------------------------ */

/* A service named by a record of provider p must be one of p's.  Both
 * failures are BK_ENOTFOUND, as schedule_load specifies; the messages
 * tell them apart. */
static struct msvc *find_svc_of(struct mdata *d, const struct mprov *p, const bk_id *id,
                                bk_store_err *err)
{
    struct msvc *s = idmap_get(&d->services, id);
    if (!s)
        bk_store_error(err, BK_ENOTFOUND, "service: not found");
    else if (s->prov != p)
        bk_store_error(err, BK_ENOTFOUND, "service: belongs to another provider");
    return s && s->prov == p ? s : NULL;
}

static int service_insert_locked(struct mdata *d, const bk_service *s, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &s->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    if (idmap_get(&d->services, &s->id))
        return bk_store_error(err, BK_ESTORE, "service: id %.36s already exists", s->id.s);

    const char *src[SS_COUNT];
    svc_sources(src, s);
    struct msvc *m = bki_calloc(1, sizeof *m);
    if (!m)
        return oom(err);
    if (strs_dup(m->own, src, SS_COUNT) != 0) {
        bki_free(m);
        return oom(err);
    }
    if (idmap_reserve(&d->services, 1) || pvec_reserve(&p->services, 1)) {
        svc_free(m);
        return oom(err);
    }
    m->rec = *s;
    m->rec.id = id_copy(&s->id);
    m->rec.provider = p->rec.id;
    m->prov = p;
    svc_bind(m);
    idmap_put(&d->services, m->rec.id.s, m);
    pvec_insert(&p->services, m, m, cmp_svc);
    return BK_OK;
}

static int service_update_locked(struct mdata *d, const bk_service *s, bk_store_err *err)
{
    struct msvc *m = idmap_get(&d->services, &s->id);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "service: not found");
    const char *src[SS_COUNT];
    char *own[SS_COUNT];
    svc_sources(src, s);
    if (strs_dup(own, src, SS_COUNT) != 0)
        return oom(err);

    pvec_remove(&m->prov->services, m, m, cmp_svc);
    strs_free(m->own, SS_COUNT);
    memcpy(m->own, own, sizeof own);
    bk_id id = m->rec.id, provider = m->rec.provider;
    bk_time created_at = m->rec.created_at;
    m->rec = *s;
    m->rec.id = id;
    m->rec.provider = provider;
    m->rec.created_at = created_at;
    svc_bind(m);
    pvec_insert(&m->prov->services, m, m, cmp_svc);
    return BK_OK;
}

static int service_get_locked(struct mdata *d, const bk_id *id, const bk_store_sink *sink,
                              bk_store_err *err)
{
    struct msvc *m = idmap_get(&d->services, id);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "service: not found");
    return emit_service(sink, m);
}

static int service_list_locked(struct mdata *d, const bk_id *provider, const bk_store_sink *sink,
                               bk_store_err *err)
{
    struct mprov *p = find_prov(d, provider, err);
    if (!p)
        return BK_ENOTFOUND;
    for (size_t i = 0; i < p->services.n; i++) {
        int rc = emit_service(sink, p->services.v[i]);
        if (rc)
            return rc;
    }
    return BK_OK;
}

/* ------------------------------------------------------------------ */
/* Weekly availability                                                 */
/* ------------------------------------------------------------------ */

static int availability_insert_locked(struct mdata *d, const bk_availability *a, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &a->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    if (idmap_get(&d->avail, &a->id))
        return bk_store_error(err, BK_ESTORE, "availability: id %.36s already exists", a->id.s);
    struct mavail *m = bki_calloc(1, sizeof *m);
    if (!m || idmap_reserve(&d->avail, 1) || pvec_reserve(&p->avail, 1)) {
        bki_free(m);
        return oom(err);
    }
    m->rec = *a;
    m->rec.version = BK_AVAILABILITY_VERSION;
    m->rec.id = id_copy(&a->id);
    m->rec.provider = p->rec.id;
    m->prov = p;
    idmap_put(&d->avail, m->rec.id.s, m);
    pvec_insert(&p->avail, m, m, cmp_avail);
    return BK_OK;
}

static int availability_delete_locked(struct mdata *d, const bk_id *id, bk_store_err *err)
{
    struct mavail *m = idmap_get(&d->avail, id);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "availability: not found");
    pvec_remove(&m->prov->avail, m, m, cmp_avail);
    idmap_del(&d->avail, &m->rec.id);
    bki_free(m);
    return BK_OK;
}

static int availability_emit_all(const struct mprov *p, const bk_store_sink *sink)
{
    for (size_t i = 0; i < p->avail.n; i++) {
        int rc = emit_avail(sink, p->avail.v[i]);
        if (rc)
            return rc;
    }
    return BK_OK;
}

static int availability_list_locked(struct mdata *d, const bk_id *provider,
                                    const bk_store_sink *sink, bk_store_err *err)
{
    struct mprov *p = find_prov(d, provider, err);
    return p ? availability_emit_all(p, sink) : BK_ENOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Date overrides                                                      */
/* ------------------------------------------------------------------ */

static int override_put_locked(struct mdata *d, const bk_override *o, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &o->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    size_t n = o->n_intervals;
    if (n && !o->intervals)
        return bk_store_error(err, BK_EINVAL, "intervals: NULL");
    if (n > SIZE_MAX / sizeof(bk_local_interval))
        return bk_store_error(err, BK_EINVAL, "n_intervals: too large");

    /* A day off stores no interval array at all. */
    bk_local_interval *iv = NULL;
    if (n) {
        if (!(iv = bki_malloc(n * sizeof *iv)))
            return oom(err);
        memcpy(iv, o->intervals, n * sizeof *iv);
    }
    struct movr *m = pvec_find(&p->overrides, &o->date, cmp_ovr);
    if (m) {
        bki_free(m->iv);
    } else {
        m = bki_calloc(1, sizeof *m);
        if (!m || pvec_reserve(&p->overrides, 1)) {
            bki_free(m);
            bki_free(iv);
            return oom(err);
        }
        m->rec = *o;
        m->rec.provider = p->rec.id;
        pvec_insert(&p->overrides, m, &m->rec.date, cmp_ovr);
    }
    m->rec.version = BK_OVERRIDE_VERSION;
    m->rec.n_intervals = n;
    m->rec.intervals = iv;
    m->iv = iv;
    return BK_OK;
}

static int override_delete_locked(struct mdata *d, const bk_id *provider, const bk_date *date,
                                  bk_store_err *err)
{
    struct mprov *p = find_prov(d, provider, err);
    if (!p)
        return BK_ENOTFOUND;
    struct movr *m = pvec_find(&p->overrides, date, cmp_ovr);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "override: none on %04d-%02d-%02d", date->year,
                              date->month, date->day);
    pvec_remove(&p->overrides, m, &m->rec.date, cmp_ovr);
    ovr_free(m);
    return BK_OK;
}

static int override_emit_range(const struct mprov *p, const bk_date *from, const bk_date *to,
                               const bk_store_sink *sink)
{
    for (size_t i = pvec_lower(&p->overrides, from, cmp_ovr); i < p->overrides.n; i++) {
        const struct movr *m = p->overrides.v[i];
        if (cmp_date(&m->rec.date, to) > 0)
            break;
        int rc = emit_override(sink, m);
        if (rc)
            return rc;
    }
    return BK_OK;
}

static int override_list_locked(struct mdata *d, const bk_id *provider, const bk_date *from,
                                const bk_date *to, const bk_store_sink *sink, bk_store_err *err)
{
    struct mprov *p = find_prov(d, provider, err);
    return p ? override_emit_range(p, from, to, sink) : BK_ENOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Blocked periods                                                     */
/* ------------------------------------------------------------------ */

/* Recurring periods live apart: a range search cannot bound where their
 * occurrences end, only that none starts before the first. */
static pvec *blocked_vec(struct mprov *p, const char *rrule)
{
    return blocked_is_recurring(rrule) ? &p->blocked_rec : &p->blocked;
}

static int blocked_insert_locked(struct mdata *d, const bk_blocked *b, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &b->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    if (idmap_get(&d->blocked, &b->id))
        return bk_store_error(err, BK_ESTORE, "blocked period: id %.36s already exists", b->id.s);
    const char *src[XS_COUNT] = {b->rrule, b->reason};
    pvec *vec = blocked_vec(p, b->rrule);
    struct mblocked *m = bki_calloc(1, sizeof *m);
    if (!m)
        return oom(err);
    if (strs_dup(m->own, src, XS_COUNT) != 0) {
        bki_free(m);
        return oom(err);
    }
    if (idmap_reserve(&d->blocked, 1) || pvec_reserve(vec, 1)) {
        blocked_free(m);
        return oom(err);
    }
    m->rec = *b;
    m->rec.id = id_copy(&b->id);
    m->rec.provider = p->rec.id;
    m->prov = p;
    blocked_bind(m);
    idmap_put(&d->blocked, m->rec.id.s, m);
    struct tkey k = blocked_key(m);
    pvec_insert(vec, m, &k, cmp_blocked_start);
    if (vec == &p->blocked)
        p->blocked_maxlen = max_time(p->blocked_maxlen, span(b->start, b->end));
    return BK_OK;
}

static int blocked_delete_locked(struct mdata *d, const bk_id *id, bk_store_err *err)
{
    struct mblocked *m = idmap_get(&d->blocked, id);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "blocked period: not found");
    struct tkey k = blocked_key(m);
    pvec_remove(blocked_vec(m->prov, m->rec.rrule), m, &k, cmp_blocked_start);
    idmap_del(&d->blocked, &m->rec.id);
    blocked_free(m);
    return BK_OK;
}

static const struct mblocked *next_oneoff(const struct mprov *p, size_t *i, bk_time from,
                                          bk_time to)
{
    for (; *i < p->blocked.n; ++*i) {
        const struct mblocked *b = p->blocked.v[*i];
        if (b->rec.start >= to)
            break;
        if (overlaps(b->rec.start, b->rec.end, from, to))
            return b;
    }
    *i = p->blocked.n;
    return NULL;
}

static const struct mblocked *next_recurring(const struct mprov *p, size_t *j, bk_time from,
                                             bk_time to)
{
    if (*j < p->blocked_rec.n && from < to) {
        const struct mblocked *b = p->blocked_rec.v[*j];
        if (b->rec.start < to)
            return b;
    }
    *j = p->blocked_rec.n;
    return NULL;
}

/* One-off periods overlapping [from, to) and recurring ones whose first
 * occurrence starts before `to` (the library expands and filters those),
 * merged by (start, id). */
static int blocked_emit_range(const struct mprov *p, bk_time from, bk_time to,
                              const bk_store_sink *sink)
{
    struct tkey lo = {sat_sub(from, p->blocked_maxlen), ""};
    size_t i = pvec_lower(&p->blocked, &lo, cmp_blocked_start), j = 0;
    const struct mblocked *a = next_oneoff(p, &i, from, to);
    const struct mblocked *r = next_recurring(p, &j, from, to);
    while (a || r) {
        struct tkey rk = r ? blocked_key(r) : lo;
        int rc;
        if (a && (!r || cmp_blocked_start(a, &rk) < 0)) {
            rc = emit_blocked(sink, a);
            i++;
            a = next_oneoff(p, &i, from, to);
        } else {
            rc = emit_blocked(sink, r);
            j++;
            r = next_recurring(p, &j, from, to);
        }
        if (rc)
            return rc;
    }
    return BK_OK;
}

static int blocked_list_locked(struct mdata *d, const bk_id *provider, bk_time from, bk_time to,
                               const bk_store_sink *sink, bk_store_err *err)
{
    struct mprov *p = find_prov(d, provider, err);
    return p ? blocked_emit_range(p, from, to, sink) : BK_ENOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Bookings                                                            */
/* ------------------------------------------------------------------ */

/* Capacity in p->live and p->keyed must have been reserved when m is live
 * or keyed; p->bookings has room because m was counted before (update) or
 * reserved (insert). */
static void book_link(struct mbook *m)
{
    struct mprov *p = m->prov;
    struct tkey k = book_start_key(m);
    pvec_insert(&p->bookings, m, &k, cmp_book_start);
    p->booking_maxlen = max_time(p->booking_maxlen, span(m->rec.start, m->rec.end));
    if (book_is_live(&m->rec)) {
        k = book_occ_key(m);
        pvec_insert(&p->live, m, &k, cmp_book_occ);
        p->live_maxlen = max_time(p->live_maxlen, span(m->occ_start, m->occ_end));
    }
    if (m->own[BS_IDEMPOTENCY_KEY] && m->rec.archived_at == BK_TIME_UNSET)
        pvec_insert(&p->keyed, m, m->own[BS_IDEMPOTENCY_KEY], cmp_book_idem);
}

static void book_unlink(struct mbook *m)
{
    struct mprov *p = m->prov;
    struct tkey k = book_start_key(m);
    pvec_remove(&p->bookings, m, &k, cmp_book_start);
    if (book_is_live(&m->rec)) {
        k = book_occ_key(m);
        pvec_remove(&p->live, m, &k, cmp_book_occ);
    }
    if (m->own[BS_IDEMPOTENCY_KEY] && m->rec.archived_at == BK_TIME_UNSET)
        pvec_remove(&p->keyed, m, m->own[BS_IDEMPOTENCY_KEY], cmp_book_idem);
}

/* The first live booking of p other than self whose occupied range
 * overlaps [os, oe).  Live bookings never overlap each other, so the scan
 * from os - maxlen meets only a few. */
static const struct mbook *find_conflict(const struct mprov *p, bk_time os, bk_time oe,
                                         const struct mbook *self)
{
    struct tkey lo = {sat_sub(os, p->live_maxlen), ""};
    for (size_t i = pvec_lower(&p->live, &lo, cmp_book_occ); i < p->live.n; i++) {
        const struct mbook *o = p->live.v[i];
        if (o->occ_start >= oe)
            break;
        if (o != self && overlaps(os, oe, o->occ_start, o->occ_end))
            return o;
    }
    return NULL;
}

static int conflict_error(const struct mbook *o, bk_store_err *err)
{
    return bk_store_error(err, BK_ECONFLICT, "booking: occupied range overlaps booking %s",
                          o->rec.id.s);
}

static int booking_insert_locked(struct mdata *d, const bk_booking *b, const char *email_key,
                                 const bk_store_sink *sink, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &b->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    struct msvc *s = find_svc_of(d, p, &b->service, err);
    if (!s)
        return BK_ENOTFOUND;
    if (b->idempotency_key) {
        const struct mbook *held = pvec_find(&p->keyed, b->idempotency_key, cmp_book_idem);
        if (held) {
            int rc = emit_keyed(sink, held);
            /* A failing callback has its own reason (say, BK_ENOMEM
             * copying the record): pass that on instead. */
            if (rc)
                return rc;
            return bk_store_error(err, BK_EEXISTS, "idempotency_key: already used by booking %s",
                                  held->rec.id.s);
        }
    }
    if (idmap_get(&d->bookings, &b->id))
        return bk_store_error(err, BK_ESTORE, "booking: id %.36s already exists", b->id.s);
    bk_time os, oe;
    occupied(b, &os, &oe);
    int live = book_is_live(b);
    const struct mbook *c = live ? find_conflict(p, os, oe, NULL) : NULL;
    if (c)
        return conflict_error(c, err);

    const char *src[BS_COUNT];
    book_sources(src, b, email_key);
    struct mbook *m = bki_calloc(1, sizeof *m);
    if (!m)
        return oom(err);
    if (strs_dup(m->own, src, BS_COUNT) != 0) {
        bki_free(m);
        return oom(err);
    }
    if (idmap_reserve(&d->bookings, 1) || pvec_reserve(&p->bookings, 1) ||
        (live && pvec_reserve(&p->live, 1)) ||
        (b->idempotency_key && pvec_reserve(&p->keyed, 1))) {
        book_free(m);
        return oom(err);
    }
    m->rec = *b;
    m->rec.id = id_copy(&b->id);
    m->rec.provider = p->rec.id;
    m->rec.service = s->rec.id;
    m->rec.archived_at = BK_TIME_UNSET;
    m->prov = p;
    m->occ_start = os;
    m->occ_end = oe;
    book_bind(m);
    idmap_put(&d->bookings, m->rec.id.s, m);
    book_link(m);
    return BK_OK;
}

static int booking_update_locked(struct mdata *d, const bk_booking *b, const char *email_key, int64_t expected,
                                 bk_store_err *err)
{
    struct mbook *m = idmap_get(&d->bookings, &b->id);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "booking: not found");
    struct mprov *p = m->prov;
    if (m->rec.archived_at != BK_TIME_UNSET)
        return bk_store_error(err, BK_ESTATE, "booking: archived bookings do not change");
    if (m->rec.lock_version != expected)
        return bk_store_error(err, BK_ESTALE,
                              "booking: changed since it was read (version %lld, expected %lld)",
                              (long long)m->rec.lock_version, (long long)expected);
    struct msvc *s = find_svc_of(d, p, &b->service, err);
    if (!s)
        return BK_ENOTFOUND;
    const char *key = b->idempotency_key;
    if (key) {
        const struct mbook *held = pvec_find(&p->keyed, key, cmp_book_idem);
        if (held && held != m)
            return bk_store_error(err, BK_EEXISTS, "idempotency_key: already used by booking %s",
                                  held->rec.id.s);
    }
    bk_time os, oe;
    occupied(b, &os, &oe);
    int live = book_is_live(b);
    const struct mbook *c = live ? find_conflict(p, os, oe, m) : NULL;
    if (c)
        return conflict_error(c, err);

    const char *src[BS_COUNT];
    char *own[BS_COUNT];
    book_sources(src, b, email_key);
    if (strs_dup(own, src, BS_COUNT) != 0)
        return oom(err);
    if ((live && !book_is_live(&m->rec) && pvec_reserve(&p->live, 1)) ||
        (key && !m->own[BS_IDEMPOTENCY_KEY] && pvec_reserve(&p->keyed, 1))) {
        strs_free(own, BS_COUNT);
        return oom(err);
    }

    book_unlink(m);
    strs_free(m->own, BS_COUNT);
    memcpy(m->own, own, sizeof own);
    bk_id id = m->rec.id;
    bk_time created_at = m->rec.created_at;
    m->rec = *b;
    m->rec.id = id;
    m->rec.provider = p->rec.id;
    m->rec.service = s->rec.id;
    m->rec.created_at = created_at;
    m->rec.archived_at = BK_TIME_UNSET;
    m->occ_start = os;
    m->occ_end = oe;
    book_bind(m);
    book_link(m);
    return BK_OK;
}

static int booking_get_locked(struct mdata *d, const bk_id *id, const bk_store_sink *sink,
                              bk_store_err *err)
{
    struct mbook *m = idmap_get(&d->bookings, id);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "booking: not found");
    return emit_booking(sink, m);
}

static int booking_list_locked(struct mdata *d, const bk_store_booking_query *q,
                               const bk_store_sink *sink, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &q->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    struct tkey lo = {sat_sub(q->from, p->booking_maxlen), ""};
    for (size_t i = pvec_lower(&p->bookings, &lo, cmp_book_start); i < p->bookings.n; i++) {
        const struct mbook *m = p->bookings.v[i];
        if (m->rec.start >= q->to)
            break;
        if (!overlaps(m->rec.start, m->rec.end, q->from, q->to))
            continue;
        if (q->statuses ? !(q->statuses & BK_STATUS_BIT(m->rec.status))
                        : !q->include_cancelled && !book_is_live(&m->rec))
            continue;
        if (q->customer_email_key && strcmp(q->customer_email_key, m->own[BS_EMAIL_KEY]) != 0)
            continue;
        int rc = emit_booking(sink, m);
        if (rc)
            return rc;
    }
    return BK_OK;
}

/* ------------------------------------------------------------------ */
/* Schedule                                                            */
/* ------------------------------------------------------------------ */

static int schedule_load_locked(struct mdata *d, const bk_schedule_request *req,
                                const bk_store_sink *sink, bk_store_err *err)
{
    struct mprov *p = find_prov(d, &req->provider, err);
    if (!p)
        return BK_ENOTFOUND;
    if (p->rec.deleted_at != BK_TIME_UNSET)
        return bk_store_error(err, BK_ENOTFOUND, "provider: not found");
    struct msvc *s = find_svc_of(d, p, &req->service, err);
    if (!s)
        return BK_ENOTFOUND;

    int rc = emit_provider(sink, p);
    if (!rc)
        rc = emit_service(sink, s);
    if (!rc)
        rc = availability_emit_all(p, sink);
    if (!rc)
        rc = override_emit_range(p, &req->first_date, &req->last_date, sink);
    if (!rc)
        rc = blocked_emit_range(p, req->from, req->to, sink);
    if (rc)
        return rc;

    struct tkey lo = {sat_sub(req->from, p->live_maxlen), ""};
    for (size_t i = pvec_lower(&p->live, &lo, cmp_book_occ); i < p->live.n; i++) {
        const struct mbook *m = p->live.v[i];
        if (m->occ_start >= req->to)
            break;
        if (overlaps(m->occ_start, m->occ_end, req->from, req->to) && (rc = emit_booking(sink, m)))
            return rc;
    }

    if (req->idempotency_key) {
        const struct mbook *held = pvec_find(&p->keyed, req->idempotency_key, cmp_book_idem);
        if (held)
            return emit_keyed(sink, held);
    }
    return BK_OK;
}

/* ------------------------------------------------------------------ */
/* The vtable                                                          */
/* ------------------------------------------------------------------ */

/* Each method: refuse a NULL record, then run the locked body. */
#define NEED(ptr, what)                                                                            \
    do {                                                                                           \
        if (!(ptr))                                                                                \
            return bk_store_error(err, BK_EINVAL, "%s: NULL", what);                               \
    } while (0)

static int mem_provider_insert(bk_store *self, const bk_provider *p, const char *username_key,
                               const char *email_key, bk_store_err *err)
{
    int rc = check_provider_args(p, username_key, email_key, err);
    if (rc)
        return rc;
    struct mdata *d = lock_store(self);
    rc = provider_insert_locked(d, p, username_key, email_key, err);
    unlock_store(d);
    return rc;
}

static int mem_provider_update(bk_store *self, const bk_provider *p, const char *username_key,
                               const char *email_key, bk_store_err *err)
{
    int rc = check_provider_args(p, username_key, email_key, err);
    if (rc)
        return rc;
    struct mdata *d = lock_store(self);
    rc = provider_update_locked(d, p, username_key, email_key, err);
    unlock_store(d);
    return rc;
}

static int mem_provider_get(bk_store *self, const bk_id *id, const bk_store_sink *sink,
                            bk_store_err *err)
{
    NEED(id, "id");
    struct mdata *d = lock_store(self);
    int rc = provider_get_locked(d, id, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_provider_list(bk_store *self, const bk_store_sink *sink, bk_store_err *err)
{
    (void)err;
    struct mdata *d = lock_store(self);
    int rc = provider_list_locked(d, sink);
    unlock_store(d);
    return rc;
}

static int mem_service_insert(bk_store *self, const bk_service *s, bk_store_err *err)
{
    NEED(s, "service");
    struct mdata *d = lock_store(self);
    int rc = service_insert_locked(d, s, err);
    unlock_store(d);
    return rc;
}

static int mem_service_update(bk_store *self, const bk_service *s, bk_store_err *err)
{
    NEED(s, "service");
    struct mdata *d = lock_store(self);
    int rc = service_update_locked(d, s, err);
    unlock_store(d);
    return rc;
}

static int mem_service_get(bk_store *self, const bk_id *id, const bk_store_sink *sink,
                           bk_store_err *err)
{
    NEED(id, "id");
    struct mdata *d = lock_store(self);
    int rc = service_get_locked(d, id, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_service_list(bk_store *self, const bk_id *provider, const bk_store_sink *sink,
                            bk_store_err *err)
{
    NEED(provider, "provider");
    struct mdata *d = lock_store(self);
    int rc = service_list_locked(d, provider, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_availability_insert(bk_store *self, const bk_availability *a, bk_store_err *err)
{
    NEED(a, "availability");
    struct mdata *d = lock_store(self);
    int rc = availability_insert_locked(d, a, err);
    unlock_store(d);
    return rc;
}

static int mem_availability_delete(bk_store *self, const bk_id *id, bk_store_err *err)
{
    NEED(id, "id");
    struct mdata *d = lock_store(self);
    int rc = availability_delete_locked(d, id, err);
    unlock_store(d);
    return rc;
}

static int mem_availability_list(bk_store *self, const bk_id *provider, const bk_store_sink *sink,
                                 bk_store_err *err)
{
    NEED(provider, "provider");
    struct mdata *d = lock_store(self);
    int rc = availability_list_locked(d, provider, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_override_put(bk_store *self, const bk_override *o, bk_store_err *err)
{
    NEED(o, "override");
    struct mdata *d = lock_store(self);
    int rc = override_put_locked(d, o, err);
    unlock_store(d);
    return rc;
}

static int mem_override_delete(bk_store *self, const bk_id *provider, const bk_date *date,
                               bk_store_err *err)
{
    NEED(provider, "provider");
    NEED(date, "date");
    struct mdata *d = lock_store(self);
    int rc = override_delete_locked(d, provider, date, err);
    unlock_store(d);
    return rc;
}

static int mem_override_list(bk_store *self, const bk_id *provider, const bk_date *from,
                             const bk_date *to, const bk_store_sink *sink, bk_store_err *err)
{
    NEED(provider, "provider");
    NEED(from, "from");
    NEED(to, "to");
    struct mdata *d = lock_store(self);
    int rc = override_list_locked(d, provider, from, to, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_blocked_insert(bk_store *self, const bk_blocked *b, bk_store_err *err)
{
    NEED(b, "blocked");
    struct mdata *d = lock_store(self);
    int rc = blocked_insert_locked(d, b, err);
    unlock_store(d);
    return rc;
}

static int mem_blocked_delete(bk_store *self, const bk_id *id, bk_store_err *err)
{
    NEED(id, "id");
    struct mdata *d = lock_store(self);
    int rc = blocked_delete_locked(d, id, err);
    unlock_store(d);
    return rc;
}

static int mem_blocked_list(bk_store *self, const bk_id *provider, bk_time from, bk_time to,
                            const bk_store_sink *sink, bk_store_err *err)
{
    NEED(provider, "provider");
    struct mdata *d = lock_store(self);
    int rc = blocked_list_locked(d, provider, from, to, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_booking_insert(bk_store *self, const bk_booking *b, const char *email_key,
                              const bk_store_sink *sink, bk_store_err *err)
{
    NEED(b, "booking");
    NEED(email_key, "customer_email_key");
    struct mdata *d = lock_store(self);
    int rc = booking_insert_locked(d, b, email_key, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_booking_get(bk_store *self, const bk_id *id, const bk_store_sink *sink,
                           bk_store_err *err)
{
    NEED(id, "id");
    struct mdata *d = lock_store(self);
    int rc = booking_get_locked(d, id, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_booking_list(bk_store *self, const bk_store_booking_query *q,
                            const bk_store_sink *sink, bk_store_err *err)
{
    NEED(q, "query");
    if (q->version != 1)
        return bk_store_error(err, BK_EMISUSE, "booking query: unknown version %u", q->version);
    struct mdata *d = lock_store(self);
    int rc = booking_list_locked(d, q, sink, err);
    unlock_store(d);
    return rc;
}

static int mem_booking_update(bk_store *self, const bk_booking *b, const char *email_key,
                              int64_t expected_lock_version, bk_store_err *err)
{
    NEED(b, "booking");
    NEED(email_key, "customer_email_key");
    struct mdata *d = lock_store(self);
    int rc = booking_update_locked(d, b, email_key, expected_lock_version, err);
    unlock_store(d);
    return rc;
}

static int mem_schedule_load(bk_store *self, const bk_schedule_request *req,
                             const bk_store_sink *sink, bk_store_err *err)
{
    NEED(req, "request");
    if (req->version != 1)
        return bk_store_error(err, BK_EMISUSE, "schedule request: unknown version %u",
                              req->version);
    struct mdata *d = lock_store(self);
    int rc = schedule_load_locked(d, req, sink, err);
    unlock_store(d);
    return rc;
}

/* ---- version 2: soft delete, credentials, tokens, customer data, archive ---- */

static int mem_provider_set_deleted(bk_store *self, const bk_id *id, bk_time deleted_at, bk_store_err *err)
{
    NEED(id, "id");
    struct mdata *d = lock_store(self);
    struct mprov *m = find_prov(d, id, err);
    if (m && (deleted_at == BK_TIME_UNSET || m->rec.deleted_at == BK_TIME_UNSET))
        m->rec.deleted_at = deleted_at;
    unlock_store(d);
    return m ? BK_OK : BK_ENOTFOUND;
}

static int mem_provider_purge(bk_store *self, bk_time deleted_before, size_t *n_purged, bk_store_err *err)
{
    NEED(n_purged, "n_purged");
    *n_purged = 0;
    struct mdata *d = lock_store(self);
    for (size_t i = 0; i < d->by_username.n;) {
        struct mprov *m = d->by_username.v[i];
        if (m->rec.deleted_at != BK_TIME_UNSET && m->rec.deleted_at < deleted_before) {
            bk_id id = m->rec.id;
            provider_delete_locked(d, &id, err); /* unlinks m from by_username */
            ++*n_purged;
        } else {
            i++;
        }
    }
    unlock_store(d);
    return BK_OK;
}

static int mem_provider_password_set(bk_store *self, const bk_id *provider, const char *hash,
                                     const char *expected_hash, bk_store_err *err)
{
    NEED(provider, "provider");
    NEED(hash, "hash");
    char *copy = bki_strdup(hash);
    if (!copy)
        return oom(err);
    struct mdata *d = lock_store(self);
    struct mprov *m = find_prov(d, provider, err);
    int rc = m ? BK_OK : BK_ENOTFOUND;
    if (m && expected_hash && strcmp0(m->password_hash, expected_hash) != 0)
        rc = bk_store_error(err, BK_ESTALE, "password: changed since it was read");
    if (rc == BK_OK) {
        bki_free(m->password_hash);
        m->password_hash = copy;
        copy = NULL;
    }
    unlock_store(d);
    bki_free(copy);
    return rc;
}

static int mem_provider_login(bk_store *self, const char *login_key, const bk_store_sink *sink, bk_store_err *err)
{
    NEED(login_key, "login_key");
    struct mdata *d = lock_store(self);
    const struct mprov *m = pvec_find(&d->by_ukey, login_key, cmp_prov_ukey);
    if (!m || m->rec.deleted_at != BK_TIME_UNSET)
        m = pvec_find(&d->by_ekey, login_key, cmp_prov_ekey);
    int rc;
    if (!m || m->rec.deleted_at != BK_TIME_UNSET)
        rc = bk_store_error(err, BK_ENOTFOUND, "provider: no such login");
    else
        rc = sink && sink->credential ? sink->credential(sink->ctx, &m->rec.id, m->password_hash) : BK_OK;
    unlock_store(d);
    return rc;
}

static int mem_token_insert(bk_store *self, const bk_store_token *t, bk_store_err *err)
{
    NEED(t, "token");
    struct mtoken *m = bki_calloc(1, sizeof *m);
    if (!m)
        return oom(err);
    m->rec = *t;
    struct mdata *d = lock_store(self);
    struct mbook *b = idmap_get(&d->bookings, &t->booking);
    int rc = BK_OK;
    if (!b || b->rec.archived_at != BK_TIME_UNSET)
        rc = bk_store_error(err, BK_ENOTFOUND, "booking: not found");
    else if (pvec_find(&d->tokens, t->hash, cmp_token))
        rc = bk_store_error(err, BK_ESTORE, "token: hash already stored");
    else if (pvec_reserve(&d->tokens, 1))
        rc = oom(err);
    if (rc == BK_OK) {
        m->rec.booking = b->rec.id;
        m->rec.provider = b->rec.provider;
        pvec_insert(&d->tokens, m, m->rec.hash, cmp_token);
        m = NULL;
    }
    unlock_store(d);
    bki_free(m);
    return rc;
}

static int mem_token_get(bk_store *self, const unsigned char hash[32], const bk_store_sink *sink,
                         bk_store_err *err)
{
    NEED(hash, "hash");
    struct mdata *d = lock_store(self);
    const struct mtoken *m = pvec_find(&d->tokens, hash, cmp_token);
    bk_store_token t;
    if (m)
        t = m->rec;
    unlock_store(d);
    if (!m)
        return bk_store_error(err, BK_ENOTFOUND, "token: not found");
    return sink && sink->token ? sink->token(sink->ctx, &t) : BK_OK;
}

static int mem_token_redeem(bk_store *self, const unsigned char hash[32], bk_time now, const bk_booking *b,
                            const char *email_key, int64_t expected_lock_version, bk_store_err *err)
{
    NEED(hash, "hash");
    NEED(b, "booking");
    NEED(email_key, "customer_email_key");
    struct mdata *d = lock_store(self);
    struct mtoken *t = pvec_find(&d->tokens, hash, cmp_token);
    int rc;
    if (!t || strcmp(t->rec.booking.s, b->id.s) != 0)
        rc = bk_store_error(err, BK_ENOTFOUND, "token: not found");
    else if (t->rec.used_at != BK_TIME_UNSET)
        rc = bk_store_error(err, BK_EUSED, "token: already used");
    else if (t->rec.expires_at <= now)
        rc = bk_store_error(err, BK_EEXPIRED, "token: expired");
    else if ((rc = booking_update_locked(d, b, email_key, expected_lock_version, err)) == BK_OK)
        t->rec.used_at = now;
    unlock_store(d);
    return rc;
}

static int cmp_book_ptr(const void *a, const void *b)
{
    const struct mbook *x = *(const struct mbook *const *)a, *y = *(const struct mbook *const *)b;
    if (x->rec.start != y->rec.start)
        return x->rec.start < y->rec.start ? -1 : 1;
    return strcmp(x->rec.id.s, y->rec.id.s);
}

/* GDPR requests are rare: a scan of every booking rather than one more
 * index to keep on every write. */
static int mem_booking_find_by_email(bk_store *self, const char *email_key, const bk_store_sink *sink,
                                     bk_store_err *err)
{
    NEED(email_key, "email_key");
    struct mdata *d = lock_store(self);
    pvec found = {0};
    int rc = BK_OK;
    for (size_t i = 0; rc == BK_OK && i < d->by_username.n; i++) {
        const struct mprov *p = d->by_username.v[i];
        for (size_t j = 0; rc == BK_OK && j < p->bookings.n; j++) {
            struct mbook *m = p->bookings.v[j];
            if (strcmp(m->own[BS_EMAIL_KEY], email_key) != 0)
                continue;
            if (pvec_reserve(&found, 1))
                rc = oom(err);
            else
                found.v[found.n++] = m;
        }
    }
    if (rc == BK_OK && found.n)
        qsort(found.v, found.n, sizeof *found.v, cmp_book_ptr);
    for (size_t i = 0; rc == BK_OK && i < found.n; i++)
        rc = emit_booking(sink, found.v[i]);
    unlock_store(d);
    pvec_free(&found);
    return rc;
}

/* A booking is erased iff its customer email is erased@<its id>.invalid. */
static void erased_email(char buf[64], const struct mbook *m)
{
    snprintf(buf, 64, "erased@%s.invalid", m->rec.id.s);
}

static int mem_bookings_erase(bk_store *self, const char *email_key, bk_time ended_before, bk_time now, size_t *n,
                              bk_store_err *err)
{
    NEED(n, "n");
    *n = 0;
    struct mdata *d = lock_store(self);
    /* First every match and its new strings, so that running out of
     * memory changes nothing; then the writes, which cannot fail. */
    pvec found = {0}, fresh = {0};
    int rc = BK_OK;
    for (size_t i = 0; rc == BK_OK && i < d->by_username.n; i++) {
        const struct mprov *p = d->by_username.v[i];
        for (size_t j = 0; rc == BK_OK && j < p->bookings.n; j++) {
            struct mbook *m = p->bookings.v[j];
            char email[64];
            erased_email(email, m);
            if ((email_key && strcmp(m->own[BS_EMAIL_KEY], email_key) != 0) ||
                (ended_before != BK_TIME_UNSET && m->rec.end >= ended_before) ||
                strcmp0(m->own[BS_CUSTOMER_EMAIL], email) == 0)
                continue;
            const char *src[BS_COUNT] = {0};
            src[BS_CUSTOMER_NAME] = "erased";
            src[BS_CUSTOMER_EMAIL] = email;
            src[BS_EMAIL_KEY] = email;
            char **own = bki_calloc(BS_COUNT, sizeof *own);
            int dup_failed = !own || strs_dup(own, src, BS_COUNT) != 0;
            if (dup_failed || pvec_reserve(&found, 1) || pvec_reserve(&fresh, 1)) {
                if (!dup_failed)
                    strs_free(own, BS_COUNT);
                bki_free(own);
                rc = oom(err);
                break;
            }
            found.v[found.n++] = m;
            fresh.v[fresh.n++] = own;
        }
    }
    if (rc != BK_OK) {
        for (size_t i = 0; i < fresh.n; i++) {
            strs_free(fresh.v[i], BS_COUNT);
            bki_free(fresh.v[i]);
        }
    } else {
        for (size_t i = 0; i < found.n; i++) {
            struct mbook *m = found.v[i];
            book_unlink(m);
            strs_free(m->own, BS_COUNT);
            memcpy(m->own, fresh.v[i], sizeof m->own);
            bki_free(fresh.v[i]);
            book_bind(m);
            m->rec.lock_version++;
            m->rec.updated_at = now;
            book_link(m);
            tokens_drop(d, NULL, m, 1);
        }
        *n = found.n;
    }
    unlock_store(d);
    pvec_free(&found);
    pvec_free(&fresh);
    return rc;
}

static int mem_booking_archive(bk_store *self, bk_time ended_before, size_t limit, bk_time now, size_t *n_moved,
                               bk_store_err *err)
{
    NEED(n_moved, "n_moved");
    *n_moved = 0;
    struct mdata *d = lock_store(self);
    for (size_t i = 0; i < d->by_username.n && *n_moved < limit; i++) {
        const struct mprov *p = d->by_username.v[i];
        for (size_t j = 0; j < p->bookings.n && *n_moved < limit; j++) {
            struct mbook *m = p->bookings.v[j];
            int final = m->rec.status != BK_BOOKING_PENDING && m->rec.status != BK_BOOKING_CONFIRMED;
            if (!final || m->rec.archived_at != BK_TIME_UNSET || m->rec.end >= ended_before)
                continue;
            /* Out of the key index (the archive keeps keys, not their
             * uniqueness); its place in p->bookings stays as it was. */
            if (m->own[BS_IDEMPOTENCY_KEY])
                pvec_remove(&m->prov->keyed, m, m->own[BS_IDEMPOTENCY_KEY], cmp_book_idem);
            m->rec.archived_at = now;
            tokens_drop(d, NULL, m, 0);
            ++*n_moved;
        }
    }
    unlock_store(d);
    return BK_OK;
}

#undef NEED

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

static struct mdata *data_new(const char *name)
{
    struct mdata *d = bki_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (name && !(d->name = bki_strdup(name))) {
        bki_free(d);
        return NULL;
    }
    if (pthread_mutex_init(&d->lock, NULL) != 0) {
        bki_free(d->name);
        bki_free(d);
        return NULL;
    }
    d->refs = 1;
    return d;
}

static void mem_close(bk_store *self)
{
    if (!self)
        return;
    struct mhandle *h = (struct mhandle *)self;
    struct mdata *d = h->d;
    int last = 1;
    if (d->name) {
        pthread_mutex_lock(&registry_lock);
        last = --d->refs == 0;
        if (last) {
            struct mdata **pp = &registry;
            while (*pp != d)
                pp = &(*pp)->next;
            *pp = d->next;
        }
        pthread_mutex_unlock(&registry_lock);
    }
    /* Unlinked from the registry, a last reference is unreachable by any
     * other thread: free it without the lock. */
    if (last)
        data_free(d);
    bki_free(h);
}

static const bk_store memory_methods = {
    .version = BK_STORE_VERSION,
    .name = "memory",
    .close = mem_close,
    .provider_insert = mem_provider_insert,
    .provider_update = mem_provider_update,
    .provider_get = mem_provider_get,
    .provider_list = mem_provider_list,
    .service_insert = mem_service_insert,
    .service_update = mem_service_update,
    .service_get = mem_service_get,
    .service_list = mem_service_list,
    .availability_insert = mem_availability_insert,
    .availability_delete = mem_availability_delete,
    .availability_list = mem_availability_list,
    .override_put = mem_override_put,
    .override_delete = mem_override_delete,
    .override_list = mem_override_list,
    .blocked_insert = mem_blocked_insert,
    .blocked_delete = mem_blocked_delete,
    .blocked_list = mem_blocked_list,
    .booking_insert = mem_booking_insert,
    .booking_get = mem_booking_get,
    .booking_list = mem_booking_list,
    .booking_update = mem_booking_update,
    .schedule_load = mem_schedule_load,
    .provider_set_deleted = mem_provider_set_deleted,
    .provider_purge = mem_provider_purge,
    .provider_password_set = mem_provider_password_set,
    .provider_login = mem_provider_login,
    .token_insert = mem_token_insert,
    .token_get = mem_token_get,
    .token_redeem = mem_token_redeem,
    .booking_find_by_email = mem_booking_find_by_email,
    .bookings_erase = mem_bookings_erase,
    .booking_archive = mem_booking_archive,
};

int memory_store_open(const char *name, bk_store **out, bk_store_err *err)
{
    if (!out)
        return bk_store_error(err, BK_EINVAL, "out: NULL");
    *out = NULL;
    struct mhandle *h = bki_calloc(1, sizeof *h);
    if (!h)
        return oom(err);
    struct mdata *d;
    if (name && *name) {
        pthread_mutex_lock(&registry_lock);
        for (d = registry; d && strcmp(d->name, name) != 0; d = d->next)
            ;
        if (d) {
            d->refs++;
        } else if ((d = data_new(name))) {
            d->next = registry;
            registry = d;
        }
        pthread_mutex_unlock(&registry_lock);
    } else {
        d = data_new(NULL);
    }
    if (!d) {
        bki_free(h);
        return oom(err);
    }
    h->base = memory_methods;
    h->d = d;
    *out = &h->base;
    return BK_OK;
}
