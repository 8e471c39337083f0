#include "tz.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/utypes.h>

#include "util/alloc.h"

/* The table covers [BK_TIME_MIN, BK_TIME_MAX): the public API rejects
 * instants outside it, and the few internal callers that step a little past
 * an edge (a query ending at 2200-01-01, a day's local midnight before
 * 1900-01-01T00:00Z in a zone east of UTC) get the offset of the nearest
 * edge, which is what a zone's rules would most plausibly say there. */
#define TZ_TABLE_FROM BK_TIME_MIN
#define TZ_TABLE_TO BK_TIME_MAX

/* No IANA id is longer than 32 bytes; the bound keeps hostile input off
 * ICU and out of messages. */
#define TZ_ID_MAX 64

/* The densest zones have about 600 changes in 300 years; anything far
 * beyond means ICU is looping, and we would rather fail than hang. */
#define TZ_MAX_TRANSITIONS 100000

#define TZ_BUCKETS 64

struct tz_zone {
    struct tz_zone *next; /* cache chain; never changes once published */
    char *id;
    size_t n;        /* transitions */
    int64_t *at;     /* n UTC instants, strictly increasing */
    int32_t *off;    /* n + 1 offsets: off[i] is in force before at[i], off[n] after the last */
    int32_t min_off; /* extremes of off[], bounding the search in tz_local_to_utc */
    int32_t max_off;
};

/* Published zones are immutable, so readers need no lock once they hold a
 * pointer; the mutex only guards the chains while a zone is inserted. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_zone *cache[TZ_BUCKETS];

static unsigned bucket_of(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h % TZ_BUCKETS;
}

static void zone_free(tz_zone *z)
{
    if (!z)
        return;
    bki_free(z->id);
    bki_free(z->at);
    bki_free(z->off);
    bki_free(z);
}

/* Tables outlive every caller, so they are released only when the process
 * (or the shared library) goes away; this keeps leak checkers quiet without
 * u_cleanup(), which would pull ICU from under a host that uses it too. */
__attribute__((destructor)) static void tz_cache_free(void)
{
    pthread_mutex_lock(&cache_lock);
    for (size_t b = 0; b < TZ_BUCKETS; b++) {
        tz_zone *z = cache[b];
        while (z) {
            tz_zone *next = z->next;
            zone_free(z);
            z = next;
        }
        cache[b] = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
}

static tz_zone *cache_find(unsigned b, const char *id)
{
    for (tz_zone *z = cache[b]; z; z = z->next)
        if (strcmp(z->id, id) == 0)
            return z;
    return NULL;
}

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 if it is not
 * one: overlong forms, surrogates and code points past U+10FFFF count as
 * malformed, as RFC 3629 says. */
static size_t utf8_seq_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

/* The message quotes the caller's id, which may be anything: bytes that
 * are not printable UTF-8 are escaped so that the message stays valid text
 * for bindings, and a long id is cut so that the message names it without
 * being swamped by it. */
static void write_unknown(const char *id, char *msg, size_t msg_size)
{
    if (!msg || msg_size == 0)
        return;
    char buf[64 + TZ_ID_MAX * 4 + 8];
    size_t n = 0;
    if (!id) {
        n = (size_t)snprintf(buf, sizeof buf, "timezone: unknown zone (NULL)");
    } else {
        static const char head[] = "timezone: unknown zone '";
        memcpy(buf, head, sizeof head - 1);
        n = sizeof head - 1;
        const unsigned char *p = (const unsigned char *)id;
        size_t taken = 0;
        while (*p && taken < TZ_ID_MAX) {
            size_t len = utf8_seq_len(p);
            if (len == 1 && *p >= 0x20 && *p != 0x7F) {
                buf[n++] = (char)*p;
            } else if (len > 1) {
                memcpy(buf + n, p, len);
                n += len;
            } else {
                n += (size_t)snprintf(buf + n, sizeof buf - n, "\\x%02X", (unsigned)*p);
                len = 1;
            }
            p += len;
            taken += len;
        }
        if (*p) {
            memcpy(buf + n, "...", 3);
            n += 3;
        }
        buf[n++] = '\'';
        buf[n] = '\0';
    }
    /* Cut on a character boundary so a short msg buffer still holds UTF-8. */
    if (n >= msg_size) {
        n = msg_size - 1;
        while (n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(msg, buf, n);
    msg[n] = '\0';
}

/* IANA ids are ASCII, so widening byte by byte is an exact conversion and
 * anything else is rejected before ICU sees it.  Returns the length, or -1. */
static int32_t id_to_uchars(const char *id, UChar out[TZ_ID_MAX + 1])
{
    size_t len = strlen(id);
    if (len == 0 || len > TZ_ID_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x21 || c > 0x7E)
            return -1;
        out[i] = (UChar)c;
    }
    out[len] = 0;
    return (int32_t)len;
}

/* Accepts what ICU calls a system zone: IANA ids and their aliases
 * ("US/Eastern", "UTC").  Custom ids ("GMT+05:30") parse in ICU but name no
 * rules, and "Etc/Unknown" is ICU's placeholder, so both are refused.
 * 1 yes, 0 no, -1 ICU ran out of memory (which says nothing about the id). */
static int id_is_system(const UChar *uid, int32_t len)
{
    UChar canonical[128];
    UBool is_system = 0;
    UErrorCode status = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(uid, len, canonical, (int32_t)(sizeof canonical / sizeof canonical[0]),
                                &is_system, &status);
    if (status == U_MEMORY_ALLOCATION_ERROR)
        return -1;
    return U_SUCCESS(status) && is_system;
}

static int32_t icu_offset(UCalendar *cal, UErrorCode *status)
{
    int32_t raw = ucal_get(cal, UCAL_ZONE_OFFSET, status);
    int32_t dst = ucal_get(cal, UCAL_DST_OFFSET, status);
    return (int32_t)((raw + dst) / 1000);
}

static int64_t floor_seconds(UDate ms)
{
    int64_t m = (int64_t)ms;
    return m >= 0 ? m / 1000 : -((-m + 999) / 1000);
}

/* Appends one transition.  bki_grow works on void *, so the arrays are
 * grown through void * copies rather than by punning their pointers. */
static int zone_push(tz_zone *z, size_t *cap_at, size_t *cap_off, int64_t at, int32_t off)
{
    void *a = z->at, *o = z->off;
    if (bki_grow(&a, cap_at, z->n + 1, sizeof *z->at) != 0)
        return -1;
    z->at = a;
    if (bki_grow(&o, cap_off, z->n + 2, sizeof *z->off) != 0)
        return -1;
    z->off = o;
    z->at[z->n] = at;
    z->off[z->n + 1] = off;
    z->n++;
    if (off < z->min_off)
        z->min_off = off;
    if (off > z->max_off)
        z->max_off = off;
    return 0;
}

/* Reads the zone's transitions out of ICU once.  Transitions that leave the
 * total offset unchanged (ICU reports a change of name or of the raw/DST
 * split as one too) are dropped: only the total matters here, and fewer
 * entries keep the local->UTC search window small.  BK_OK; BK_ENOMEM; or
 * BK_EINVAL with *status saying what ICU did not like. */
static int zone_fill(tz_zone *z, const UChar *uid, int32_t ulen, UErrorCode *status)
{
    UCalendar *cal = ucal_open(uid, ulen, "en_US_POSIX", UCAL_GREGORIAN, status);
    if (U_FAILURE(*status)) {
        if (cal)
            ucal_close(cal);
        return *status == U_MEMORY_ALLOCATION_ERROR ? BK_ENOMEM : BK_EINVAL;
    }
    int rc = BK_OK;
    size_t cap_at = 0, cap_off = 0;
    void *o = NULL;
    const UDate from = (UDate)TZ_TABLE_FROM * 1000.0, to = (UDate)TZ_TABLE_TO * 1000.0;
    ucal_setMillis(cal, from, status);
    int32_t current = icu_offset(cal, status);
    if (U_FAILURE(*status)) {
        rc = BK_EINVAL;
        goto done;
    }
    if (bki_grow(&o, &cap_off, 1, sizeof *z->off) != 0) {
        rc = BK_ENOMEM;
        goto done;
    }
    z->off = o;
    z->off[0] = current;
    z->min_off = z->max_off = current;

    UDate prev = from;
    for (size_t steps = 0;; steps++) {
        UDate when = 0;
        UBool found = ucal_getTimeZoneTransitionDate(cal, UCAL_TZ_TRANSITION_NEXT, &when, status);
        if (U_FAILURE(*status)) {
            rc = BK_EINVAL;
            break;
        }
        if (!found || when >= to)
            break;
        if (when <= prev || steps >= TZ_MAX_TRANSITIONS) {
            *status = U_INTERNAL_PROGRAM_ERROR;
            rc = BK_EINVAL;
            break;
        }
        prev = when;
        ucal_setMillis(cal, when, status);
        int32_t after = icu_offset(cal, status);
        if (U_FAILURE(*status)) {
            rc = BK_EINVAL;
            break;
        }
        if (after == current)
            continue;
        if (zone_push(z, &cap_at, &cap_off, floor_seconds(when), after) != 0) {
            rc = BK_ENOMEM;
            break;
        }
        current = after;
    }
done:
    ucal_close(cal);
    if (rc == BK_EINVAL && *status == U_MEMORY_ALLOCATION_ERROR)
        rc = BK_ENOMEM;
    return rc;
}

static int zone_build(const char *id, const UChar *uid, int32_t ulen, tz_zone **out, char *msg,
                      size_t msg_size)
{
    *out = NULL;
    UErrorCode status = U_ZERO_ERROR;
    int rc = BK_ENOMEM;
    tz_zone *z = bki_calloc(1, sizeof *z);
    if (z && (z->id = bki_strdup(id)) != NULL)
        rc = zone_fill(z, uid, ulen, &status);
    if (rc == BK_OK) {
        *out = z;
        return BK_OK;
    }
    zone_free(z);
    if (rc == BK_ENOMEM) {
        if (msg && msg_size)
            snprintf(msg, msg_size, "timezone: out of memory loading zone '%s'", id);
    } else if (msg && msg_size) {
        snprintf(msg, msg_size, "timezone: cannot load zone '%s' (%s)", id, u_errorName(status));
    }
    return rc;
}

int tz_zone_get(const char *id, const tz_zone **out, char *msg, size_t msg_size)
{
    if (out)
        *out = NULL;
    if (msg && msg_size)
        msg[0] = '\0';
    if (!out) {
        if (msg && msg_size)
            snprintf(msg, msg_size, "timezone: no place for the result");
        return BK_EINVAL;
    }
    UChar uid[TZ_ID_MAX + 1];
    int32_t ulen = id ? id_to_uchars(id, uid) : -1;
    if (ulen < 0) {
        write_unknown(id, msg, msg_size);
        return BK_EINVAL;
    }

    unsigned b = bucket_of(id);
    pthread_mutex_lock(&cache_lock);
    tz_zone *hit = cache_find(b, id);
    pthread_mutex_unlock(&cache_lock);
    if (hit) {
        *out = hit;
        return BK_OK;
    }

    int system = id_is_system(uid, ulen);
    if (system < 0) {
        if (msg && msg_size)
            snprintf(msg, msg_size, "timezone: out of memory looking up zone '%s'", id);
        return BK_ENOMEM;
    }
    if (!system) {
        write_unknown(id, msg, msg_size);
        return BK_EINVAL;
    }

    /* Built outside the lock so that a slow first load of one zone does not
     * stall lookups of others; if two threads race, the loser frees its copy
     * and both return the published one. */
    tz_zone *built = NULL;
    int rc = zone_build(id, uid, ulen, &built, msg, msg_size);
    if (rc != BK_OK)
        return rc;

    pthread_mutex_lock(&cache_lock);
    hit = cache_find(b, id);
    if (!hit) {
        built->next = cache[b];
        cache[b] = built;
        hit = built;
        built = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    zone_free(built);
    *out = hit;
    return BK_OK;
}

const char *tz_zone_id(const tz_zone *zone) { return zone->id; }

/* Index of the segment holding instant t: the number of transitions at or
 * before t, so that off[result] is the offset in force at t. */
static size_t segment_of(const tz_zone *z, int64_t t)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int32_t tz_offset_at(const tz_zone *zone, bk_time t) { return zone->off[segment_of(zone, t)]; }

/* Keeps L - offset and transition + offset far from int64 overflow for any
 * input; real local times are a few 10^10 at most. */
#define TZ_LOCAL_LIMIT ((int64_t)1 << 60)

/*
 * Local L maps to u = L - off where off must be the offset in force at u.
 * Every such u lies in [L - max_off, L - min_off], so only the segments
 * meeting that window (a handful, as offsets span at most ~26 h) need a look:
 *
 *  - the first segment whose u falls inside it is the answer: segments are
 *    ordered, so that is the earliest occurrence (fold=0 in an overlap);
 *  - if no segment works, L sits in a gap: some transition T with offsets
 *    b -> a has T + b <= L < T + a, and RFC 5545 reads L with b, which
 *    lands past T, moved forward by the gap.  Its T is in the window too.
 *
 * Reasoning per segment rather than per "gap or overlap" keeps this right
 * for transitions that are neither plain kind (a skipped day, a change of
 * standard offset next to a DST change).
 */
bk_time tz_local_to_utc(const tz_zone *zone, int64_t local)
{
    const tz_zone *z = zone;
    int64_t L = local;
    if (L > TZ_LOCAL_LIMIT)
        L = TZ_LOCAL_LIMIT;
    else if (L < -TZ_LOCAL_LIMIT)
        L = -TZ_LOCAL_LIMIT;

    int64_t window_end = L - z->min_off;
    int have_gap = 0;
    int64_t gap_utc = 0;
    for (size_t s = segment_of(z, L - z->max_off); s <= z->n; s++) {
        if (s > 0 && z->at[s - 1] > window_end)
            break;
        int64_t u = L - z->off[s];
        if ((s == 0 || z->at[s - 1] <= u) && (s == z->n || u < z->at[s]))
            return u;
        if (!have_gap && s > 0) {
            int64_t t = z->at[s - 1];
            if (t + z->off[s - 1] <= L && L < t + z->off[s]) {
                have_gap = 1;
                gap_utc = L - z->off[s - 1];
            }
        }
    }
    if (have_gap)
        return gap_utc;
    /* Unreachable for a consistent table (u + off(u) steps over every L it
     * misses at some transition); kept so a corrupt table cannot loop or
     * read out of bounds. */
    return L - z->off[segment_of(z, L - z->off[0])];
}
