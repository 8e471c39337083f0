/* Bookings for people and their calendars: iCalendar export (the writer is
 * lib/calendar/ical.c), localised interval formatting, zone ids and the tz
 * database version, all through ICU. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/udateintervalformat.h>
#include <unicode/uloc.h>
#include <unicode/uenum.h>
#include <unicode/uformattedvalue.h>
#include <unicode/ustring.h>

#include "api/api.h"
#include "calendar/ical.h"
#include "util/alloc.h"
#include "util/strutil.h"

BK_API void bk_string_free(char *s) { bki_free(s); }

/* ================================================================== */
/* Zone ids                                                            */
/* ================================================================== */

/* Room for any zone id: IANA ids are at most ~32 bytes (lib/tz refuses
 * longer than 64). */
#define ZONE_ID_MAX 128

/* CLDR (and so ICU's ucal_getCanonicalTimeZoneID, before ICU 74's
 * ucal_getIanaTimeZoneID) keeps the name a zone had when CLDR first listed
 * it; IANA renamed these since.  The same pairs as ICU 74's ianaMap.  A pair
 * is used only when the running ICU knows the new name as an alias of the
 * old one, so older ICU data never gets an id it cannot read back. */
static const struct {
    const char *cldr, *iana;
} iana_names[] = {
    {"Africa/Asmera", "Africa/Asmara"},
    {"America/Buenos_Aires", "America/Argentina/Buenos_Aires"},
    {"America/Catamarca", "America/Argentina/Catamarca"},
    {"America/Coral_Harbour", "America/Atikokan"},
    {"America/Cordoba", "America/Argentina/Cordoba"},
    {"America/Godthab", "America/Nuuk"},
    {"America/Indianapolis", "America/Indiana/Indianapolis"},
    {"America/Jujuy", "America/Argentina/Jujuy"},
    {"America/Louisville", "America/Kentucky/Louisville"},
    {"America/Mendoza", "America/Argentina/Mendoza"},
    {"Asia/Calcutta", "Asia/Kolkata"},
    {"Asia/Katmandu", "Asia/Kathmandu"},
    {"Asia/Rangoon", "Asia/Yangon"},
    {"Asia/Saigon", "Asia/Ho_Chi_Minh"},
    {"Atlantic/Faeroe", "Atlantic/Faroe"},
    {"Europe/Kiev", "Europe/Kyiv"},
    {"Pacific/Enderbury", "Pacific/Kanton"},
    {"Pacific/Ponape", "Pacific/Pohnpei"},
    {"Pacific/Truk", "Pacific/Chuuk"},
};

/* ICU's canonical (CLDR) id of an ASCII id, into out (ASCII).  BK_OK,
 * BK_ENOMEM, or BK_EINVAL when ICU does not know it as a system zone. */
static int icu_canonical(const char *id, char out[ZONE_ID_MAX])
{
    UChar uid[ZONE_ID_MAX], canon[ZONE_ID_MAX];
    size_t len = strlen(id);
    if (len == 0 || len >= ZONE_ID_MAX)
        return BK_EINVAL;
    for (size_t i = 0; i <= len; i++)
        uid[i] = (UChar)(unsigned char)id[i];
    UErrorCode st = U_ZERO_ERROR;
    UBool is_system = 0;
    int32_t n = ucal_getCanonicalTimeZoneID(uid, (int32_t)len, canon, ZONE_ID_MAX, &is_system, &st);
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return BK_ENOMEM;
    if (U_FAILURE(st) || !is_system || n <= 0 || n >= ZONE_ID_MAX)
        return BK_EINVAL;
    for (int32_t i = 0; i < n; i++) {
        if (canon[i] > 0x7E)
            return BK_EINVAL;
        out[i] = (char)canon[i];
    }
    out[n] = '\0';
    return BK_OK;
}

/* The IANA spelling of a CLDR canonical id (see iana_names), "UTC" for
 * Etc/UTC; copied into out. */
static int iana_of_canonical(const char *cldr, char out[ZONE_ID_MAX])
{
    if (strcmp(cldr, "Etc/UTC") == 0) {
        strcpy(out, "UTC");
        return BK_OK;
    }
    for (size_t i = 0; i < sizeof iana_names / sizeof iana_names[0]; i++) {
        if (strcmp(cldr, iana_names[i].cldr) != 0)
            continue;
        char back[ZONE_ID_MAX];
        int rc = icu_canonical(iana_names[i].iana, back);
        if (rc == BK_ENOMEM)
            return rc;
        if (rc == BK_OK && strcmp(back, cldr) == 0) {
            strcpy(out, iana_names[i].iana);
            return BK_OK;
        }
        break;
    }
    strcpy(out, cldr);
    return BK_OK;
}

/* The canonical IANA id of a zone lib/tz accepts. */
static int zone_canonical(const char *zone, char out[ZONE_ID_MAX])
{
    char cldr[ZONE_ID_MAX];
    int rc = icu_canonical(zone, cldr);
    return rc == BK_OK ? iana_of_canonical(cldr, out) : rc;
}

/* Copies text into a caller's buffer, or says how much room it needs. */
static int copy_out(bk_db *db, const char *text, char *buf, size_t buf_size)
{
    size_t need = strlen(text) + 1;
    if (need > buf_size) {
        buf[0] = '\0';
        return api_fail(db, BK_EINVAL, "buf_size: %zu bytes is too small, %zu needed", buf_size, need);
    }
    memcpy(buf, text, need);
    return BK_OK;
}

BK_API int bk_timezone_canonical(const char *zone, char *buf, size_t buf_size)
{
    api_thread_begin();
    if (!buf || buf_size == 0)
        return api_fail(NULL, BK_EINVAL, "buf: NULL or empty");
    buf[0] = '\0';
    int rc = v_zone(NULL, "zone", zone, NULL);
    if (rc)
        return rc;
    char id[ZONE_ID_MAX];
    rc = zone_canonical(zone, id);
    if (rc == BK_ENOMEM)
        return api_fail(NULL, BK_ENOMEM, "out of memory (ICU)");
    if (rc)
        return api_fail(NULL, BK_EINVAL, "zone: ICU has no canonical id for '%s'", zone);
    return copy_out(NULL, id, buf, buf_size);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

BK_API void bk_timezone_list_free(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        bki_free(list[i]);
    bki_free(list);
}

BK_API int bk_timezone_list(char ***out, size_t *n)
{
    api_thread_begin();
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!out)
        return api_fail(NULL, BK_EINVAL, "out: NULL");
    if (!n)
        return api_fail(NULL, BK_EINVAL, "n: NULL");

    UErrorCode st = U_ZERO_ERROR;
    UEnumeration *e = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, NULL, NULL, &st);
    if (U_FAILURE(st)) {
        if (e)
            uenum_close(e);
        return api_fail(NULL, st == U_MEMORY_ALLOCATION_ERROR ? BK_ENOMEM : BK_EINVAL,
                        "ICU cannot list its zones (%s)", u_errorName(st));
    }
    void *items = NULL;
    size_t count = 0, cap = 0;
    int rc = BK_OK;
    /* "UTC" first; the location zones after it. */
    const char *id = "Etc/UTC";
    int32_t len = 7;
    do {
        char iana[ZONE_ID_MAX];
        if (len <= 0 || len >= ZONE_ID_MAX)
            continue;
        if ((rc = iana_of_canonical(id, iana)) != BK_OK)
            break;
        if (bki_grow(&items, &cap, count + 1, sizeof(char *)) != 0) {
            rc = BK_ENOMEM;
            break;
        }
        char *copy = bki_strdup(iana);
        if (!copy) {
            rc = BK_ENOMEM;
            break;
        }
        ((char **)items)[count++] = copy;
    } while ((id = uenum_next(e, &len, &st)) != NULL && U_SUCCESS(st));
    if (rc == BK_OK && U_FAILURE(st))
        rc = st == U_MEMORY_ALLOCATION_ERROR ? BK_ENOMEM : BK_EINVAL;
    uenum_close(e);
    char **list = items;
    if (rc != BK_OK) {
        bk_timezone_list_free(list, count);
        return api_fail(NULL, rc, rc == BK_ENOMEM ? "out of memory listing zones" : "ICU cannot list its zones (%s)",
                        u_errorName(st));
    }
    qsort(list, count, sizeof *list, cmp_str);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (kept > 0 && strcmp(list[kept - 1], list[i]) == 0)
            bki_free(list[i]);
        else
            list[kept++] = list[i];
    }
    *out = list;
    *n = kept;
    return BK_OK;
}

BK_API const char *bk_tzdata_version(void)
{
    UErrorCode st = U_ZERO_ERROR;
    const char *v = ucal_getTZDataVersion(&st);
    return U_SUCCESS(st) && v && *v ? v : "unknown";
}

/* ================================================================== */
/* iCalendar                                                           */
/* ================================================================== */

#define SUMMARY_MAX 512 /* two names of <= 200 bytes and a separator */

static int check_ical_flags(bk_db *db, unsigned flags)
{
    if (flags & ~BK_ICAL_LOCAL_TIME)
        return api_fail(db, BK_EINVAL, "flags: 0x%x has bits this library does not know (BK_ICAL_LOCAL_TIME = 0x%x)",
                        flags, BK_ICAL_LOCAL_TIME);
    return BK_OK;
}

/* Sets the calendar's zone to the provider's, when local times are asked. */
static int ical_zone(bk_db *db, const bk_provider *p, unsigned flags, ical_calendar *cal, char tzid[ZONE_ID_MAX])
{
    if (!(flags & BK_ICAL_LOCAL_TIME))
        return BK_OK;
    int rc = v_zone(db, "timezone", p->timezone, &cal->zone);
    if (rc)
        return rc;
    rc = zone_canonical(p->timezone, tzid);
    if (rc == BK_ENOMEM)
        return api_fail(db, BK_ENOMEM, "out of memory (ICU)");
    if (rc != BK_OK) /* lib/tz accepted it, so ICU knows it: keep it as it is */
        snprintf(tzid, ZONE_ID_MAX, "%s", p->timezone);
    cal->tzid = tzid;
    return BK_OK;
}

static int ical_finish(bk_db *db, const ical_calendar *cal, char **out)
{
    char msg[256];
    int rc = ical_write(cal, out, msg, sizeof msg);
    return rc == BK_OK ? BK_OK : api_fail(db, rc, "%s", msg);
}

BK_API int bk_booking_ical(bk_db *db, const bk_id *booking, unsigned flags, char **out)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = v_id(db, "booking", booking)) || (rc = check_ical_flags(db, flags)))
        return rc;
    bk_booking *b = NULL;
    bk_provider *p = NULL;
    bk_service *s = NULL;
    if ((rc = bk_booking_get(db, booking, &b)) || (rc = bk_provider_get(db, &b->provider, &p)) ||
        (rc = bk_service_get(db, &b->service, &s)))
        goto done;
    char summary[SUMMARY_MAX], tzid[ZONE_ID_MAX];
    snprintf(summary, sizeof summary, "%s \xE2\x80\x93 %s", s->name, p->full_name);
    ical_event ev = {b, summary, p->full_name, p->email, 1};
    ical_calendar cal = {b->status == BK_BOOKING_CANCELLED ? "CANCEL" : "REQUEST", &ev, 1, NULL, NULL, api_clock()};
    if ((rc = ical_zone(db, p, flags, &cal, tzid)) == BK_OK)
        rc = ical_finish(db, &cal, out);
done:
    bk_booking_free(b);
    bk_provider_free(p);
    bk_service_free(s);
    return rc;
}

BK_API int bk_provider_ical_feed(bk_db *db, const bk_id *provider, bk_time from, bk_time to, unsigned flags,
                                 char **out)
{
    API_ENTER(db);
    int rc;
    if ((rc = v_nonnull(db, "out", out)))
        return rc;
    *out = NULL;
    if ((rc = v_id(db, "provider", provider)) || (rc = v_time(db, "from", from)) || (rc = check_ical_flags(db, flags)))
        return rc;
    /* `to` is an exclusive bound: BK_TIME_MAX itself is the end of the range. */
    if (to < BK_TIME_MIN || to > BK_TIME_MAX)
        return api_fail(db, BK_EINVAL, "to: %lld is outside the supported years 1900-2199", (long long)to);
    if (to <= from)
        return api_fail(db, BK_EINVAL, "to: must be after from");

    bk_provider *p = NULL;
    bk_service **services = NULL;
    bk_booking **bookings = NULL;
    size_t n_services = 0, n_bookings = 0;
    ical_event *events = NULL;
    char *summaries = NULL;
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = *provider;
    f.from = from;
    f.to = to;
    f.include_cancelled = 1;
    if ((rc = bk_provider_get(db, provider, &p)) || (rc = bk_service_list(db, provider, &services, &n_services)) ||
        (rc = bk_booking_list(db, &f, &bookings, &n_bookings)))
        goto done;
    if (n_bookings > 0 && (!(events = bki_calloc(n_bookings, sizeof *events)) ||
                           !(summaries = bki_calloc(n_bookings, SUMMARY_MAX)))) {
        rc = api_fail(db, BK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_bookings; i++) {
        const bk_booking *b = bookings[i];
        const char *service = "Booking"; /* services are never deleted alone; only a guard */
        for (size_t k = 0; k < n_services; k++)
            if (strcmp(services[k]->id.s, b->service.s) == 0)
                service = services[k]->name;
        char *summary = summaries + i * SUMMARY_MAX;
        snprintf(summary, SUMMARY_MAX, "%s \xE2\x80\x93 %s", service, b->customer_name ? b->customer_name : "");
        ical_event ev = {b, summary, p->full_name, p->email, 0};
        events[i] = ev;
    }
    char tzid[ZONE_ID_MAX];
    ical_calendar cal = {"PUBLISH", events, n_bookings, NULL, NULL, api_clock()};
    if ((rc = ical_zone(db, p, flags, &cal, tzid)) == BK_OK)
        rc = ical_finish(db, &cal, out);
done:
    bki_free(events);
    bki_free(summaries);
    bk_booking_list_free(bookings, n_bookings);
    bk_service_list_free(services, n_services);
    bk_provider_free(p);
    return rc;
}

/* ================================================================== */
/* Localised intervals                                                 */
/* ================================================================== */

/* Room for one formatted interval, in UTF-16 units: the longest locales
 * write well under 200. */
#define TEXT_MAX 1024
#define ZONE_FIELDS_MAX 8

/* One formatted interval: its text, the two spans ICU marks (0 = the start
 * instant's part, 1 = the end's) and where the zone names are. */
typedef struct piece {
    UChar text[TEXT_MAX];
    int32_t len;
    int32_t span_begin[2], span_end[2]; /* -1: no such span */
    int32_t zone_begin[ZONE_FIELDS_MAX], zone_end[ZONE_FIELDS_MAX];
    int n_zones;
} piece;

static void format_piece(UDateIntervalFormat *fmt, UFormattedDateInterval *res, UDate a, UDate b, piece *p,
                         UErrorCode *st)
{
    p->len = 0;
    p->n_zones = 0;
    p->span_begin[0] = p->span_begin[1] = p->span_end[0] = p->span_end[1] = -1;
    udtitvfmt_formatToResult(fmt, a, b, res, st);
    const UFormattedValue *v = udtitvfmt_resultAsValue(res, st);
    int32_t len = 0;
    const UChar *s = U_SUCCESS(*st) ? ufmtval_getString(v, &len, st) : NULL;
    if (U_FAILURE(*st))
        return;
    if (len >= TEXT_MAX) {
        *st = U_BUFFER_OVERFLOW_ERROR;
        return;
    }
    memcpy(p->text, s, (size_t)len * sizeof *s);
    p->len = len;
    UConstrainedFieldPosition *pos = ucfpos_open(st);
    while (U_SUCCESS(*st) && ufmtval_nextPosition(v, pos, st)) {
        int32_t cat = ucfpos_getCategory(pos, st), field = ucfpos_getField(pos, st), begin = 0, end = 0;
        ucfpos_getIndexes(pos, &begin, &end, st);
        if (U_FAILURE(*st))
            break;
        if (cat == UFIELD_CATEGORY_DATE_INTERVAL_SPAN && (field == 0 || field == 1)) {
            p->span_begin[field] = begin;
            p->span_end[field] = end;
        } else if (cat == UFIELD_CATEGORY_DATE && field == UDAT_TIMEZONE_FIELD && p->n_zones < ZONE_FIELDS_MAX) {
            p->zone_begin[p->n_zones] = begin;
            p->zone_end[p->n_zones] = end;
            p->n_zones++;
        }
    }
    ucfpos_close(pos);
}

static int in_span(const piece *p, int span, int32_t at)
{
    return p->span_begin[span] >= 0 && at >= p->span_begin[span] && at < p->span_end[span];
}

/* The zone's name at instant t in the requested style. */
static int32_t zone_text(UDateFormat *zfmt, UDate t, UChar *out, int32_t cap, UErrorCode *st)
{
    return udat_format(zfmt, t, out, cap, NULL, st);
}

static int locale_chars_ok(const char *locale)
{
    size_t len = strlen(locale);
    if (len == 0 || len > 100)
        return 0;
    for (const char *p = locale; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_-@=;.", c)))
            return 0;
    }
    return 1;
}

static int check_style(bk_db *db, unsigned style)
{
    if (style != 0 && style != BK_FORMAT_ZONE_NAME && style != BK_FORMAT_ZONE_OFFSET && style != BK_FORMAT_ZONE_LONG)
        return api_fail(db, BK_EINVAL,
                        "style: 0x%x is not 0 or one of BK_FORMAT_ZONE_NAME, BK_FORMAT_ZONE_OFFSET, "
                        "BK_FORMAT_ZONE_LONG",
                        style);
    return BK_OK;
}

/* ICU opens a locale id as the name of a data bundle, and ids that are not
 * locales ("supplementalData", "WhI=====C") crash udatpg_open and
 * udtitvfmt_open (ICU 72; found by tests/fuzz/fuzz_time).  So the id must
 * read as a BCP 47 tag whose language has 2-3 letters (or is "und"), and ICU
 * is given the id made back from that tag. */
int v_locale(bk_db *db, const char *locale, char *canon, size_t size)
{
    if (!locale)
        locale = "en_US";
    char tag[ULOC_FULLNAME_CAPACITY];
    UErrorCode st = U_ZERO_ERROR;
    int ok = locale_chars_ok(locale);
    int32_t n = ok ? uloc_toLanguageTag(locale, tag, (int32_t)sizeof tag, 1, &st) : 0;
    if (ok && U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING) {
        size_t lang = strcspn(tag, "-");
        ok = (lang == 2 || lang == 3) && (int32_t)strlen(tag) == n;
    } else {
        ok = 0;
    }
    if (ok) {
        int32_t parsed = 0;
        int32_t m = uloc_forLanguageTag(tag, canon, (int32_t)size, &parsed, &st);
        ok = U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING && m < (int32_t)size;
        if (ok && canon[0] == '\0')
            snprintf(canon, size, "root"); /* "" would be the process's default locale */
    }
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return api_fail(db, BK_ENOMEM, "locale: out of memory (ICU)");
    if (!ok) {
        char q[200];
        return api_fail(db, BK_EINVAL,
                        "locale: '%s' is not an ICU locale id (a 2-3 letter language, then up to 100 bytes of "
                        "ASCII letters, digits and _-@=;.)",
                        api_quote(q, sizeof q, locale, 40));
    }
    return BK_OK;
}

static int icu_error(bk_db *db, UErrorCode st, const char *what)
{
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return api_fail(db, BK_ENOMEM, "out of memory (ICU)");
    return api_fail(db, BK_EINVAL, "locale: ICU cannot %s (%s)", what, u_errorName(st));
}

/* The interval [start, end) for a reader in zone/locale, into buf.  The
 * caller has checked every argument. */
static int format_interval(bk_db *db, bk_time start, bk_time end, const char *zone, const char *locale,
                           unsigned style, char *buf, size_t buf_size)
{
    UChar uzone[ZONE_ID_MAX];
    size_t zlen = strlen(zone);
    for (size_t i = 0; i <= zlen; i++)
        uzone[i] = (UChar)(unsigned char)zone[i]; /* lib/tz accepted it: ASCII, < 64 bytes */
    /* 'z' in the skeleton so that ICU places the zone where the locale
     * wants it; its text is replaced below for the other styles. */
    static const UChar skeleton[] = {'y', 'M', 'M', 'M', 'd', 'E', 'E', 'E', 'j', 'm', 'z', 0};
    static const UChar pat_name[] = {'z', 0}, pat_offset[] = {'O', 0}, pat_long[] = {'z', 'z', 'z', 'z', 0};
    const UChar *zpat = style == BK_FORMAT_ZONE_OFFSET ? pat_offset : style == BK_FORMAT_ZONE_LONG ? pat_long : pat_name;

    UErrorCode st = U_ZERO_ERROR;
    UDateIntervalFormat *fmt = udtitvfmt_open(locale, skeleton, -1, uzone, (int32_t)zlen, &st);
    UFormattedDateInterval *res = U_SUCCESS(st) ? udtitvfmt_openResult(&st) : NULL;
    UDateFormat *zfmt = U_SUCCESS(st) ? udat_open(UDAT_PATTERN, UDAT_PATTERN, locale, uzone, (int32_t)zlen, zpat, -1,
                                                  &st)
                                      : NULL;
    piece *whole = bki_malloc(sizeof *whole), *a = bki_malloc(sizeof *a), *b = bki_malloc(sizeof *b);
    UChar zstart[128], zend[128], result[TEXT_MAX];
    int32_t zs_len = 0, ze_len = 0, rlen = 0;
    int rc = BK_OK;
    if (!whole || !a || !b) {
        rc = api_fail(db, BK_ENOMEM, "out of memory");
        goto done;
    }
    const UDate us = (UDate)start * 1000.0, ue = (UDate)end * 1000.0;
    format_piece(fmt, res, us, ue, whole, &st);
    zs_len = U_SUCCESS(st) ? zone_text(zfmt, us, zstart, 128, &st) : 0;
    ze_len = U_SUCCESS(st) ? zone_text(zfmt, ue, zend, 128, &st) : 0;
    if (U_FAILURE(st) || zs_len >= 128 || ze_len >= 128) {
        rc = icu_error(db, U_FAILURE(st) ? st : U_BUFFER_OVERFLOW_ERROR, "format this interval");
        goto done;
    }
    int zones_differ = zs_len != ze_len || u_strncmp(zstart, zend, zs_len) != 0;
    int shared_zone = 0;
    for (int i = 0; i < whole->n_zones; i++)
        shared_zone |= !in_span(whole, 0, whole->zone_begin[i]) && !in_span(whole, 1, whole->zone_begin[i]);

    /* The pieces to write: [from, to) of a piece's text, and for each zone
     * name in it, which end's zone it shows. */
    struct part {
        const piece *p;
        int32_t from, to;
        int instant; /* zone names here: 0 start, 1 end, -1 by span */
    } parts[3];
    int n_parts = 0;
    if (zones_differ && shared_zone) {
        /* One zone name for both ends would be wrong for one of them: each
         * end in full, joined as the locale joins two days ("{0} – {1}"),
         * which ICU shows for instants a year apart. */
        const UDate year = 400.0 * 86400.0 * 1000.0;
        format_piece(fmt, res, us, us + year, a, &st);
        format_piece(fmt, res, ue, ue + year, b, &st);
        if (U_FAILURE(st)) {
            rc = icu_error(db, st, "format this interval");
            goto done;
        }
        if (a->span_begin[1] >= 0 && b->span_begin[0] >= 0) {
            parts[0] = (struct part){a, 0, a->span_begin[1], 0};
            parts[1] = (struct part){b, b->span_begin[0], b->span_end[0], 1};
            parts[2] = (struct part){a, a->span_end[1], a->len, 0};
            n_parts = 3;
        }
    }
    if (n_parts == 0)
        parts[n_parts++] = (struct part){whole, 0, whole->len, -1};

    for (int k = 0; k < n_parts; k++) {
        const struct part *pt = &parts[k];
        int32_t at = pt->from;
        while (at < pt->to) {
            /* The next zone name inside [at, to). */
            int next = -1;
            for (int i = 0; i < pt->p->n_zones; i++)
                if (pt->p->zone_begin[i] >= at && pt->p->zone_end[i] <= pt->to &&
                    (next < 0 || pt->p->zone_begin[i] < pt->p->zone_begin[next]))
                    next = i;
            int32_t copy_to = next >= 0 ? pt->p->zone_begin[next] : pt->to;
            int32_t n = copy_to - at;
            if (rlen + n >= TEXT_MAX)
                goto overflow;
            memcpy(result + rlen, pt->p->text + at, (size_t)n * sizeof(UChar));
            rlen += n;
            if (next < 0)
                break;
            int instant = pt->instant >= 0 ? pt->instant : in_span(pt->p, 1, pt->p->zone_begin[next]);
            const UChar *z = instant ? zend : zstart;
            int32_t zl = instant ? ze_len : zs_len;
            if (rlen + zl >= TEXT_MAX)
                goto overflow;
            memcpy(result + rlen, z, (size_t)zl * sizeof(UChar));
            rlen += zl;
            at = pt->p->zone_end[next];
        }
    }

    int32_t need = 0;
    st = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &need, result, rlen, &st);
    st = U_ZERO_ERROR;
    if ((size_t)need + 1 > buf_size) {
        rc = api_fail(db, BK_EINVAL, "buf_size: %zu bytes is too small, %d needed", buf_size, need + 1);
        goto done;
    }
    u_strToUTF8(buf, buf_size > INT32_MAX ? INT32_MAX : (int32_t)buf_size, NULL, result, rlen, &st);
    if (U_FAILURE(st)) {
        buf[0] = '\0';
        rc = api_fail(db, BK_EINVAL, "buf: conversion failed (%s)", u_errorName(st));
    }
    goto done;
overflow:
    rc = api_fail(db, BK_EINVAL, "locale: the text ICU made for '%s' is implausibly long", locale);
done:
    bki_free(whole);
    bki_free(a);
    bki_free(b);
    if (zfmt)
        udat_close(zfmt);
    if (res)
        udtitvfmt_closeResult(res);
    if (fmt)
        udtitvfmt_close(fmt);
    if (rc != BK_OK)
        buf[0] = '\0';
    return rc;
}

BK_API int bk_slot_format(const bk_slot *slot, const char *zone, const char *locale, unsigned style, char *buf,
                          size_t buf_size)
{
    api_thread_begin();
    if (!buf || buf_size == 0)
        return api_fail(NULL, BK_EINVAL, "buf: NULL or empty");
    buf[0] = '\0';
    int rc;
    if ((rc = v_nonnull(NULL, "slot", slot)) || (rc = v_time(NULL, "start", slot->start)) ||
        (rc = v_time(NULL, "end", slot->end)))
        return rc;
    if (slot->end <= slot->start)
        return api_fail(NULL, BK_EINVAL, "end: must be after start");
    char canon[ULOC_FULLNAME_CAPACITY];
    if ((rc = check_style(NULL, style)) || (rc = v_locale(NULL, locale, canon, sizeof canon)) ||
        (rc = v_zone(NULL, "zone", zone, NULL)))
        return rc;
    return format_interval(NULL, slot->start, slot->end, zone, canon, style, buf, buf_size);
}

BK_API int bk_booking_format(bk_db *db, const bk_id *booking, const char *zone, const char *locale, unsigned style,
                             char *buf, size_t buf_size)
{
    API_ENTER(db);
    if (!buf || buf_size == 0)
        return api_fail(db, BK_EINVAL, "buf: NULL or empty");
    buf[0] = '\0';
    int rc;
    char canon[ULOC_FULLNAME_CAPACITY];
    if ((rc = v_id(db, "booking", booking)) || (rc = check_style(db, style)) ||
        (rc = v_locale(db, locale, canon, sizeof canon)) || (zone && (rc = v_zone(db, "zone", zone, NULL))))
        return rc;
    bk_booking *b = NULL;
    bk_provider *p = NULL;
    if ((rc = bk_booking_get(db, booking, &b)))
        return rc;
    if (!zone && b->customer_timezone && *b->customer_timezone)
        zone = b->customer_timezone;
    if (!zone && (rc = bk_provider_get(db, &b->provider, &p)) == BK_OK)
        zone = p->timezone;
    if (rc == BK_OK)
        rc = v_zone(db, "zone", zone, NULL); /* a stored zone, so known: this only loads its table */
    if (rc == BK_OK)
        rc = format_interval(db, b->start, b->end, zone, canon, style, buf, buf_size);
    bk_booking_free(b);
    bk_provider_free(p);
    return rc;
}
