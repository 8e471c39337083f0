/* iCalendar output (see ical.h). */
#include "calendar/ical.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/ustring.h>

#include "util/alloc.h"
#include "util/civil.h"
#include "util/strutil.h"

/* RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, CRLF excluded. */
#define ICAL_LINE_MAX 75

/* The VTIMEZONE lists the transitions of at most this many years; a feed
 * over centuries of bookings would otherwise list a few hundred.  More than
 * the library's whole range (1900-2199) is never needed. */
#define ICAL_TZ_TRANSITIONS_MAX 2000

/* ------------------------------------------------------------------ */
/* Growing text                                                        */
/* ------------------------------------------------------------------ */

typedef struct sb {
    char *s;
    size_t len, cap;
    int oom; /* an append failed: the text is incomplete */
} sb;

static void sb_put(sb *b, const char *p, size_t n)
{
    if (b->oom)
        return;
    void *s = b->s;
    if (bki_grow(&s, &b->cap, b->len + n + 1, 1) != 0) {
        b->oom = 1;
        return;
    }
    b->s = s;
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(sb *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_putc(sb *b, char c) { sb_put(b, &c, 1); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sb *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    /* Only short fixed formats come here (numbers, dates). */
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->oom = 1;
        return;
    }
    sb_put(b, tmp, (size_t)n);
}

/* ------------------------------------------------------------------ */
/* Content lines                                                       */
/* ------------------------------------------------------------------ */

/* Length of the UTF-8 sequence starting at p (1 for a byte that starts
 * none: such bytes are never split either, they are just single units). */
static size_t char_len(const char *p, size_t left)
{
    unsigned c = (unsigned char)*p;
    size_t need = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
    if (need > left || !strutil_utf8_valid(p, need))
        return 1;
    return need;
}

/* Appends the unfolded logical line `line` to `out`, folded: a physical
 * line holds at most ICAL_LINE_MAX octets, a continuation line starts with
 * one space, and no UTF-8 sequence or backslash escape is cut in two. */
static void emit_line(sb *out, sb *line)
{
    if (line->oom) {
        out->oom = 1;
        return;
    }
    const char *p = line->s ? line->s : "";
    size_t left = line->len, used = 0;
    while (left > 0) {
        size_t unit = char_len(p, left);
        if (*p == '\\' && left > 1)
            unit = 1 + char_len(p + 1, left - 1);
        if (used + unit > ICAL_LINE_MAX) {
            sb_put(out, "\r\n ", 3);
            used = 1;
        }
        sb_put(out, p, unit);
        used += unit;
        p += unit;
        left -= unit;
    }
    sb_put(out, "\r\n", 2);
    line->len = 0;
    if (line->s)
        line->s[0] = '\0';
}

/* A whole line at once, for lines made of fixed parts. */
static void emit(sb *out, sb *line, const char *text)
{
    sb_puts(line, text);
    emit_line(out, line);
}

static const char replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD */

static int is_ctl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; }

/* A TEXT value, escaped (RFC 5545 3.3.11). */
static void put_text(sb *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '\\': sb_put(b, "\\\\", 2); break;
        case ';': sb_put(b, "\\;", 2); break;
        case ',': sb_put(b, "\\,", 2); break;
        case '\n': sb_put(b, "\\n", 2); break;
        case '\r':
            if (p[1] != '\n') /* CRLF is one line break */
                sb_put(b, "\\n", 2);
            break;
        default:
            if (is_ctl(c))
                sb_puts(b, replacement_char);
            else
                sb_putc(b, (char)c);
        }
    }
}

/* A parameter value: RFC 6868 caret encoding, quoted when it holds a
 * character that would end the parameter or the property name part. */
static void put_param(sb *b, const char *s)
{
    int quote = strpbrk(s, ":;,") != NULL;
    if (quote)
        sb_putc(b, '"');
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '^')
            sb_put(b, "^^", 2);
        else if (c == '"')
            sb_put(b, "^'", 2);
        else if (c == '\n')
            sb_put(b, "^n", 2);
        else if (c == '\r') {
            if (p[1] != '\n')
                sb_put(b, "^n", 2);
        } else if (is_ctl(c))
            sb_puts(b, replacement_char);
        else
            sb_putc(b, (char)c);
    }
    if (quote)
        sb_putc(b, '"');
}

/* mailto:<address>, every byte outside RFC 6068's unreserved characters and
 * the few delimiters an address needs percent-encoded: a URI never holds a
 * quote, a space or a byte of UTF-8 as is. */
static void put_mailto(sb *b, const char *email)
{
    sb_puts(b, "mailto:");
    for (const unsigned char *p = (const unsigned char *)email; *p; p++) {
        unsigned c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~!$'()*+@", (int)c))
            sb_putc(b, (char)c);
        else
            sb_printf(b, "%%%02X", c);
    }
}

/* YYYYMMDDTHHMMSS of local seconds (or of UTC seconds, then add 'Z'). */
static void put_stamp(sb *b, int64_t secs)
{
    int y, mo, d;
    int64_t days = civil_floor_div(secs, 86400), rem = civil_floor_mod(secs, 86400);
    civil_date_from_days(days, &y, &mo, &d);
    sb_printf(b, "%04d%02d%02dT%02d%02d%02d", y, mo, d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

static void put_utc(sb *b, bk_time t)
{
    put_stamp(b, t);
    sb_putc(b, 'Z');
}

/* NAME:UTC, or NAME;TZID=zone:LOCAL when the local time names t alone. */
static void put_datetime(sb *b, const char *name, bk_time t, const ical_calendar *cal)
{
    sb_puts(b, name);
    if (cal->zone) {
        int64_t local = tz_utc_to_local(cal->zone, t);
        if (tz_local_to_utc(cal->zone, local) == t) {
            sb_puts(b, ";TZID=");
            put_param(b, cal->tzid);
            sb_putc(b, ':');
            put_stamp(b, local);
            return;
        }
    }
    sb_putc(b, ':');
    put_utc(b, t);
}

/* +HHMM, or +HHMMSS when the offset has seconds (RFC 5545 3.3.14). */
static void put_offset(sb *b, int32_t secs)
{
    char sign = secs < 0 ? '-' : '+';
    int32_t a = secs < 0 ? -secs : secs;
    if (a % 60)
        sb_printf(b, "%c%02d%02d%02d", sign, (int)(a / 3600), (int)(a / 60 % 60), (int)(a % 60));
    else
        sb_printf(b, "%c%02d%02d", sign, (int)(a / 3600), (int)(a / 60 % 60));
}

/* ------------------------------------------------------------------ */
/* VTIMEZONE                                                           */
/* ------------------------------------------------------------------ */

typedef struct tzwriter {
    UCalendar *cal;
    UDateFormat *names; /* "z" in English: "EST", "CEST" is not known to ICU (it says "GMT+2") */
} tzwriter;

static int32_t icu_total(UCalendar *cal, int *dst, UErrorCode *st)
{
    int32_t raw = ucal_get(cal, UCAL_ZONE_OFFSET, st);
    int32_t d = ucal_get(cal, UCAL_DST_OFFSET, st);
    *dst = d != 0;
    return (raw + d) / 1000;
}

/* One STANDARD or DAYLIGHT observance starting at UTC instant `at`, when
 * the offset goes from `from` to `to`.  TZNAME only when ICU has a real
 * abbreviation (not a "GMT+2" made up from the offset). */
static void put_observance(sb *out, sb *line, tzwriter *w, bk_time at, int32_t from, int32_t to, int dst)
{
    const char *kind = dst ? "DAYLIGHT" : "STANDARD";
    sb_puts(line, "BEGIN:");
    sb_puts(line, kind);
    emit_line(out, line);
    sb_puts(line, "DTSTART:");
    put_stamp(line, at + from);
    emit_line(out, line);
    sb_puts(line, "TZOFFSETFROM:");
    put_offset(line, from);
    emit_line(out, line);
    sb_puts(line, "TZOFFSETTO:");
    put_offset(line, to);
    emit_line(out, line);
    if (w->names) {
        UErrorCode st = U_ZERO_ERROR;
        UChar name[64];
        int32_t n = udat_format(w->names, (UDate)at * 1000.0, name, 64, NULL, &st);
        char utf8[192];
        int32_t len = 0;
        if (U_SUCCESS(st) && n > 0 && n < 64)
            u_strToUTF8(utf8, (int32_t)sizeof utf8, &len, name, n, &st);
        int plain = U_SUCCESS(st) && len > 0 && len < (int32_t)sizeof utf8;
        for (int32_t i = 0; plain && i < len; i++)
            plain = (utf8[i] >= 'A' && utf8[i] <= 'Z') || (utf8[i] >= 'a' && utf8[i] <= 'z');
        if (plain) {
            utf8[len] = '\0';
            sb_puts(line, "TZNAME:");
            put_text(line, utf8);
            emit_line(out, line);
        }
    }
    sb_puts(line, "END:");
    sb_puts(line, kind);
    emit_line(out, line);
}

/* The zone's observances over [from, to): the one in force at `from`, then
 * one per transition (a change of the total offset or of DST).  Written
 * one transition each, with no RRULE: exact whatever the rules did in
 * those years, and every reader understands it. */
static int put_vtimezone(sb *out, sb *line, const ical_calendar *cal, bk_time from, bk_time to, char *msg,
                         size_t msg_size)
{
    const char *id = tz_zone_id(cal->zone);
    UChar uid[128];
    size_t idlen = strlen(id);
    if (idlen >= 128) {
        snprintf(msg, msg_size, "timezone: zone id '%.60s...' too long", id);
        return BK_EINVAL;
    }
    for (size_t i = 0; i <= idlen; i++)
        uid[i] = (UChar)(unsigned char)id[i]; /* zone ids are ASCII (lib/tz checked) */

    UErrorCode st = U_ZERO_ERROR;
    tzwriter w = {NULL, NULL};
    w.cal = ucal_open(uid, (int32_t)idlen, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        if (w.cal)
            ucal_close(w.cal);
        snprintf(msg, msg_size, "timezone: ICU cannot open zone '%s' (%s)", id, u_errorName(st));
        return st == U_MEMORY_ALLOCATION_ERROR ? BK_ENOMEM : BK_EINVAL;
    }
    UErrorCode nst = U_ZERO_ERROR;
    static const UChar z[] = {'z', 0};
    w.names = udat_open(UDAT_PATTERN, UDAT_PATTERN, "en_US", uid, (int32_t)idlen, z, 1, &nst);
    if (U_FAILURE(nst)) {
        if (w.names)
            udat_close(w.names);
        w.names = NULL; /* names are optional */
    }

    emit(out, line, "BEGIN:VTIMEZONE");
    sb_puts(line, "TZID:");
    put_text(line, cal->tzid);
    emit_line(out, line);

    int dst = 0, rc = BK_OK;
    ucal_setMillis(w.cal, (UDate)from * 1000.0, &st);
    int32_t off = icu_total(w.cal, &dst, &st);
    if (U_SUCCESS(st))
        put_observance(out, line, &w, from, off, off, dst);
    UDate prev = (UDate)from * 1000.0;
    for (int steps = 0; U_SUCCESS(st); steps++) {
        UDate when = 0;
        UBool found = ucal_getTimeZoneTransitionDate(w.cal, UCAL_TZ_TRANSITION_NEXT, &when, &st);
        if (U_FAILURE(st) || !found || when >= (UDate)to * 1000.0)
            break;
        if (when <= prev || steps >= ICAL_TZ_TRANSITIONS_MAX) {
            st = U_INTERNAL_PROGRAM_ERROR;
            break;
        }
        prev = when;
        ucal_setMillis(w.cal, when, &st);
        int now_dst = 0;
        int32_t now_off = icu_total(w.cal, &now_dst, &st);
        if (U_FAILURE(st))
            break;
        if (now_off == off && now_dst == dst)
            continue; /* only a name changed */
        /* Transitions fall on whole seconds in ICU's data. */
        put_observance(out, line, &w, (bk_time)(when / 1000.0), off, now_off, now_dst);
        off = now_off;
        dst = now_dst;
    }
    if (U_FAILURE(st)) {
        snprintf(msg, msg_size, "timezone: ICU cannot list the transitions of '%s' (%s)", id, u_errorName(st));
        rc = st == U_MEMORY_ALLOCATION_ERROR ? BK_ENOMEM : BK_EINVAL;
    }
    emit(out, line, "END:VTIMEZONE");
    if (w.names)
        udat_close(w.names);
    ucal_close(w.cal);
    return rc;
}

/* January 1st, 00:00 UTC, of `year`, kept inside the library's range. */
static bk_time year_start(int year)
{
    if (year < 1900)
        return BK_TIME_MIN;
    if (year > 2199)
        return BK_TIME_MAX;
    return civil_days_from_date(year, 1, 1) * 86400;
}

static int year_of(bk_time t)
{
    int y, m, d;
    civil_date_from_days(civil_floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* ------------------------------------------------------------------ */
/* VEVENT                                                              */
/* ------------------------------------------------------------------ */

static const char *status_value(bk_booking_status s)
{
    switch (s) {
    case BK_BOOKING_PENDING: return "TENTATIVE";
    case BK_BOOKING_CANCELLED: return "CANCELLED";
    case BK_BOOKING_CONFIRMED:
    case BK_BOOKING_COMPLETED:
    case BK_BOOKING_NO_SHOW: return "CONFIRMED";
    }
    return "CONFIRMED";
}

static void put_event(sb *out, sb *line, const ical_event *ev, const ical_calendar *cal)
{
    const bk_booking *b = ev->booking;
    emit(out, line, "BEGIN:VEVENT");
    sb_puts(line, "UID:");
    put_text(line, b->id.s);
    sb_puts(line, "@libbooking");
    emit_line(out, line);
    sb_puts(line, "DTSTAMP:");
    put_utc(line, b->updated_at != BK_TIME_UNSET ? b->updated_at : cal->now);
    emit_line(out, line);
    if (b->created_at != BK_TIME_UNSET) {
        sb_puts(line, "CREATED:");
        put_utc(line, b->created_at);
        emit_line(out, line);
    }
    if (b->updated_at != BK_TIME_UNSET) {
        sb_puts(line, "LAST-MODIFIED:");
        put_utc(line, b->updated_at);
        emit_line(out, line);
    }
    /* lock_version starts at 1 and goes up by one per change, as SEQUENCE
     * must from 0 (RFC 5545 3.8.7.4). */
    sb_printf(line, "SEQUENCE:%lld", (long long)(b->lock_version > 1 ? b->lock_version - 1 : 0));
    emit_line(out, line);
    sb_puts(line, "STATUS:");
    sb_puts(line, status_value(b->status));
    emit_line(out, line);
    sb_puts(line, "SUMMARY:");
    put_text(line, ev->summary);
    emit_line(out, line);
    put_datetime(line, "DTSTART", b->start, cal);
    emit_line(out, line);
    put_datetime(line, "DTEND", b->end, cal);
    emit_line(out, line);
    sb_puts(line, "ORGANIZER;CN=");
    put_param(line, ev->organizer_name);
    sb_putc(line, ':');
    put_mailto(line, ev->organizer_email);
    emit_line(out, line);
    if (ev->customer_as_attendee) {
        sb_puts(line, "ATTENDEE;CN=");
        put_param(line, b->customer_name ? b->customer_name : "");
        sb_puts(line, ";ROLE=REQ-PARTICIPANT:");
        put_mailto(line, b->customer_email ? b->customer_email : "");
    } else {
        sb_puts(line, "CONTACT;ALTREP=\"");
        put_mailto(line, b->customer_email ? b->customer_email : "");
        sb_puts(line, "\":");
        put_text(line, b->customer_name ? b->customer_name : "");
    }
    emit_line(out, line);
    if (b->notes && *b->notes) {
        sb_puts(line, "DESCRIPTION:");
        put_text(line, b->notes);
        emit_line(out, line);
    }
    if (b->status == BK_BOOKING_CANCELLED && b->cancellation_reason && *b->cancellation_reason) {
        sb_puts(line, "COMMENT:");
        put_text(line, b->cancellation_reason);
        emit_line(out, line);
    }
    emit(out, line, "END:VEVENT");
}

/* ------------------------------------------------------------------ */
/* VCALENDAR                                                           */
/* ------------------------------------------------------------------ */

int ical_write(const ical_calendar *cal, char **out, char *msg, size_t msg_size)
{
    *out = NULL;
    if (msg && msg_size)
        msg[0] = '\0';
    char scratch[1];
    if (!msg || !msg_size) {
        msg = scratch;
        msg_size = sizeof scratch;
    }
    sb text = {NULL, 0, 0, 0}, line = {NULL, 0, 0, 0};
    int rc = BK_OK;
    emit(&text, &line, "BEGIN:VCALENDAR");
    emit(&text, &line, "VERSION:2.0");
    emit(&text, &line, "PRODID:-//libbooking//libbooking 1.0//EN");
    emit(&text, &line, "CALSCALE:GREGORIAN");
    sb_puts(&line, "METHOD:");
    sb_puts(&line, cal->method);
    emit_line(&text, &line);
    if (cal->zone && cal->n_events > 0) {
        bk_time lo = cal->events[0].booking->start, hi = cal->events[0].booking->end;
        for (size_t i = 1; i < cal->n_events; i++) {
            if (cal->events[i].booking->start < lo)
                lo = cal->events[i].booking->start;
            if (cal->events[i].booking->end > hi)
                hi = cal->events[i].booking->end;
        }
        rc = put_vtimezone(&text, &line, cal, year_start(year_of(lo) - 1), year_start(year_of(hi) + 2), msg,
                           msg_size);
    }
    for (size_t i = 0; rc == BK_OK && i < cal->n_events; i++)
        put_event(&text, &line, &cal->events[i], cal);
    emit(&text, &line, "END:VCALENDAR");
    bki_free(line.s);
    if (rc == BK_OK && (text.oom || line.oom)) {
        rc = BK_ENOMEM;
        snprintf(msg, msg_size, "out of memory writing iCalendar text");
    }
    if (rc != BK_OK) {
        bki_free(text.s);
        return rc;
    }
    *out = text.s;
    return BK_OK;
}
