/* Bookings for people and calendars (issue 5, parts 2-4), through the
 * public API only: iCalendar export (bk_booking_ical, bk_provider_ical_feed),
 * localised interval formatting (bk_slot_format, bk_booking_format), zone
 * ids (bk_timezone_canonical, bk_timezone_list) and the tz database version.
 *
 * The iCalendar text is checked twice: here, line by line (exact logical
 * lines after unfolding, and the physical rules: CRLF, at most 75 octets,
 * continuation lines starting with a space, no UTF-8 sequence cut), and by
 * an independent parser: suite "ical_validate" writes .ics files and an
 * expected.json into a temporary directory and runs tests/ical_validate.py
 * (python3-icalendar) over them.  The store is $BK_TEST_URI ("memory:" by
 * default). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <booking.h>

#include "harness.h"

#ifndef BK_ICAL_VALIDATE
#error "BK_ICAL_VALIDATE must name tests/ical_validate.py"
#endif

static bk_db *db;

static const char *test_uri(void)
{
    const char *uri = getenv("BK_TEST_URI");
    return uri && *uri ? uri : "memory:";
}

static void setup(void)
{
    ck_assert_int_eq(bk_open(&db, test_uri()), BK_OK);
    bk_provider **all = NULL;
    size_t n = 0;
    ck_assert_int_eq(bk_provider_list(db, &all, &n), BK_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(bk_provider_delete(db, &all[i]->id), BK_OK);
    bk_provider_list_free(all, n);
    ck_assert_int_eq(bk_provider_purge(db, BK_TIME_MAX - 1, NULL), BK_OK);
}

static void teardown(void)
{
    bk_close(db);
    db = NULL;
}

#define OK(call) ck_assert_msg((call) == BK_OK, "%s: %s", #call, bk_errmsg(db))
#define OK0(call) ck_assert_msg((call) == BK_OK, "%s: %s", #call, bk_errmsg(NULL))

static bk_time T(const char *iso)
{
    bk_time t;
    ck_assert_msg(bk_time_parse_iso(iso, &t) == BK_OK, "%s", iso);
    return t;
}

/* ------------------------------------------------------------------ */
/* A small world                                                       */
/* ------------------------------------------------------------------ */

static bk_id make_provider(const char *username, const char *full_name, const char *email, const char *zone)
{
    bk_provider p = BK_PROVIDER_INIT;
    p.username = username;
    p.email = email;
    p.full_name = full_name;
    p.timezone = zone;
    bk_id id;
    OK(bk_provider_create(db, &p, &id));
    for (int d = 0; d < 7; d++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = id;
        a.weekday = d;
        a.start_minute = 0;
        a.end_minute = 1440;
        OK(bk_availability_add(db, &a, NULL));
    }
    return id;
}

static bk_id make_service(bk_id provider, const char *name, int minutes, int requires_confirmation)
{
    bk_service s = BK_SERVICE_INIT;
    s.provider = provider;
    s.name = name;
    s.duration_minutes = minutes;
    s.requires_confirmation = requires_confirmation;
    bk_id id;
    OK(bk_service_create(db, &s, &id));
    return id;
}

/* Anna in Berlin, a 30-minute consultation that needs confirmation. */
typedef struct world {
    bk_id anna, consult;
} world;

static void world_make(world *w)
{
    w->anna = make_provider("anna", "Dr. Anna Schmidt", "anna@praxis.example", "Europe/Berlin");
    w->consult = make_service(w->anna, "Consultation", 30, 1);
}

static bk_booking *book(bk_id provider, bk_id service, const char *start, const char *name, const char *email,
                        const char *notes)
{
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = provider;
    r.service = service;
    r.start = T(start);
    r.now = T("2026-01-01T00:00:00Z");
    r.customer_name = name;
    r.customer_email = email;
    r.notes = notes;
    bk_booking *b = NULL;
    OK(bk_book(db, &r, &b));
    return b;
}

/* ------------------------------------------------------------------ */
/* Reading iCalendar text                                              */
/* ------------------------------------------------------------------ */

/* The logical lines of an iCalendar text, after checking its physical
 * form. */
typedef struct ics {
    char **lines;
    size_t n;
} ics;

/* Strict UTF-8 of len bytes. */
static int utf8_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
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
        if ((size_t)(end - p) < need + 1)
            return 0;
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

static void ics_parse(const char *text, ics *out)
{
    out->lines = NULL;
    out->n = 0;
    size_t len = strlen(text);
    ck_assert_msg(len >= 2 && text[len - 2] == '\r' && text[len - 1] == '\n', "text does not end in CRLF");
    char *cur = NULL;
    size_t cur_len = 0;
    const char *p = text;
    size_t physical = 0;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        ck_assert_msg(eol != NULL, "line %zu does not end in CRLF", physical + 1);
        size_t n = (size_t)(eol - p);
        physical++;
        ck_assert_msg(memchr(p, '\n', n) == NULL && memchr(p, '\r', n) == NULL, "line %zu: bare CR or LF",
                      physical);
        ck_assert_msg(n > 0, "line %zu is empty", physical);
        ck_assert_msg(n <= 75, "line %zu has %zu octets (more than 75): %.*s", physical, n, (int)n, p);
        /* Every physical line decodes alone: folding never cut a character. */
        ck_assert_msg(utf8_ok(p, n), "line %zu: a UTF-8 sequence is cut by folding: %.*s", physical, (int)n, p);
        if (p[0] == ' ') {
            ck_assert_msg(cur != NULL, "line %zu: a continuation line starts the text", physical);
            cur = realloc(cur, cur_len + n);
            ck_assert_ptr_nonnull(cur);
            memcpy(cur + cur_len, p + 1, n - 1);
            cur_len += n - 1;
            cur[cur_len] = '\0';
        } else {
            if (cur) {
                out->lines = realloc(out->lines, (out->n + 1) * sizeof *out->lines);
                ck_assert_ptr_nonnull(out->lines);
                out->lines[out->n++] = cur;
            }
            cur = malloc(n + 1);
            ck_assert_ptr_nonnull(cur);
            memcpy(cur, p, n);
            cur[n] = '\0';
            cur_len = n;
        }
        p = eol + 2;
    }
    if (cur) {
        out->lines = realloc(out->lines, (out->n + 1) * sizeof *out->lines);
        ck_assert_ptr_nonnull(out->lines);
        out->lines[out->n++] = cur;
    }
    /* Components nest properly. */
    char stack[16][32];
    int depth = 0;
    for (size_t i = 0; i < out->n; i++) {
        const char *l = out->lines[i];
        if (strncmp(l, "BEGIN:", 6) == 0) {
            ck_assert_msg(depth < 16 && strlen(l + 6) < 32, "nesting too deep at %s", l);
            strcpy(stack[depth++], l + 6);
        } else if (strncmp(l, "END:", 4) == 0) {
            ck_assert_msg(depth > 0 && strcmp(stack[depth - 1], l + 4) == 0, "%s does not close %s", l,
                          depth ? stack[depth - 1] : "anything");
            depth--;
        } else {
            ck_assert_msg(depth > 0, "property outside any component: %s", l);
        }
    }
    ck_assert_msg(depth == 0, "%d components left open", depth);
    ck_assert_msg(out->n > 0 && strcmp(out->lines[0], "BEGIN:VCALENDAR") == 0, "does not start with BEGIN:VCALENDAR");
}

static void ics_free(ics *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    free(c->lines);
    c->lines = NULL;
    c->n = 0;
}

static size_t ics_count(const ics *c, const char *line)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += strcmp(c->lines[i], line) == 0;
    return k;
}

static size_t ics_count_prefix(const ics *c, const char *prefix)
{
    size_t k = 0, n = strlen(prefix);
    for (size_t i = 0; i < c->n; i++)
        k += strncmp(c->lines[i], prefix, n) == 0;
    return k;
}

#define HAS_LINE(c, line)                                                                                              \
    ck_assert_msg(ics_count((c), (line)) == 1, "expected exactly one line \"%s\" (found %zu)", (line),               \
                  ics_count((c), (line)))

/* The first logical line starting with prefix, or NULL. */
static const char *ics_find(const ics *c, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < c->n; i++)
        if (strncmp(c->lines[i], prefix, n) == 0)
            return c->lines[i];
    return NULL;
}

static char *ical_of(const bk_id *booking, unsigned flags, ics *c)
{
    char *text = (char *)1;
    OK(bk_booking_ical(db, booking, flags, &text));
    ck_assert_ptr_nonnull(text);
    ics_parse(text, c);
    return text;
}

static void utc_stamp(bk_time t, char out[17])
{
    char iso[BK_ISO_SIZE];
    ck_assert_int_eq(bk_time_format_iso(t, iso), BK_OK);
    /* 2026-03-30T07:00:00Z -> 20260330T070000Z */
    snprintf(out, 17, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8, iso + 11, iso + 14, iso + 17);
}

/* ================================================================== */
/* iCalendar: one booking                                              */
/* ================================================================== */

START_TEST(ical_is_one_vcalendar_with_the_expected_lines)
{
    world w;
    world_make(&w);
    bk_booking *b = book(w.anna, w.consult, "2026-03-30T07:00:00Z", "Jamie Rivera", "jamie@example.com",
                         "First visit");
    ics c;
    char *text = ical_of(&b->id, 0, &c);
    char uid[64], stamp[17], created[17];
    snprintf(uid, sizeof uid, "UID:%s@libbooking", b->id.s);
    utc_stamp(b->updated_at, stamp);
    utc_stamp(b->created_at, created);
    char dtstamp[40], lastmod[40], created_line[40];
    snprintf(dtstamp, sizeof dtstamp, "DTSTAMP:%s", stamp);
    snprintf(lastmod, sizeof lastmod, "LAST-MODIFIED:%s", stamp);
    snprintf(created_line, sizeof created_line, "CREATED:%s", created);
    const char *want[] = {
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//libbooking//libbooking 1.0//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        uid,
        dtstamp,
        created_line,
        lastmod,
        "SEQUENCE:0",
        "STATUS:TENTATIVE",
        "SUMMARY:Consultation \xE2\x80\x93 Dr. Anna Schmidt",
        "DTSTART:20260330T070000Z",
        "DTEND:20260330T073000Z",
        "ORGANIZER;CN=Dr. Anna Schmidt:mailto:anna@praxis.example",
        "ATTENDEE;CN=Jamie Rivera;ROLE=REQ-PARTICIPANT:mailto:jamie@example.com",
        "DESCRIPTION:First visit",
        "END:VEVENT",
        "END:VCALENDAR",
    };
    size_t n = sizeof want / sizeof want[0];
    ck_assert_uint_eq(c.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(c.lines[i], want[i]);
    /* The whole text is exactly those lines, each with CRLF (no folding here). */
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(want[i]) + 2;
    ck_assert_uint_eq(strlen(text), len);
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(b);
}
END_TEST

/* UID stays, SEQUENCE counts every change, STATUS and METHOD follow the
 * lifecycle. */
START_TEST(ical_follows_the_lifecycle)
{
    world w;
    world_make(&w);
    bk_booking *b = book(w.anna, w.consult, "2026-03-30T07:00:00Z", "Jamie Rivera", "jamie@example.com", NULL);
    char uid[64];
    snprintf(uid, sizeof uid, "UID:%s@libbooking", b->id.s);
    struct step {
        const char *sequence, *status, *method, *dtstart;
    } steps[] = {
        {"SEQUENCE:0", "STATUS:TENTATIVE", "METHOD:REQUEST", "DTSTART:20260330T070000Z"},
        {"SEQUENCE:1", "STATUS:CONFIRMED", "METHOD:REQUEST", "DTSTART:20260330T070000Z"},
        {"SEQUENCE:2", "STATUS:CONFIRMED", "METHOD:REQUEST", "DTSTART:20260331T120000Z"},
        {"SEQUENCE:3", "STATUS:CANCELLED", "METHOD:CANCEL", "DTSTART:20260331T120000Z"},
    };
    for (size_t i = 0; i < 4; i++) {
        if (i == 1)
            OK(bk_booking_confirm(db, &b->id, 1, NULL));
        if (i == 2)
            OK(bk_booking_reschedule(db, &b->id, 2, T("2026-03-31T12:00:00Z"), T("2026-01-01T00:00:00Z"), NULL));
        if (i == 3)
            OK(bk_booking_cancel(db, &b->id, 3, "Ill, sorry; next week?", NULL));
        ics c;
        char *text = ical_of(&b->id, 0, &c);
        HAS_LINE(&c, uid);
        HAS_LINE(&c, steps[i].sequence);
        HAS_LINE(&c, steps[i].status);
        HAS_LINE(&c, steps[i].method);
        HAS_LINE(&c, steps[i].dtstart);
        ck_assert_uint_eq(ics_count_prefix(&c, "BEGIN:VEVENT"), 1);
        if (i == 3)
            HAS_LINE(&c, "COMMENT:Ill\\, sorry\\; next week?");
        else
            ck_assert_ptr_null(ics_find(&c, "COMMENT"));
        ics_free(&c);
        bk_string_free(text);
    }
    bk_booking_free(b);
}
END_TEST

START_TEST(ical_status_of_completed_and_no_show_is_confirmed)
{
    world w;
    world_make(&w);
    bk_id quick = make_service(w.anna, "Quick", 15, 0);
    bk_booking *done = book(w.anna, quick, "2026-03-30T07:00:00Z", "A", "a@example.com", NULL);
    bk_booking *absent = book(w.anna, quick, "2026-03-30T08:00:00Z", "B", "b@example.com", NULL);
    OK(bk_booking_complete(db, &done->id, 1, NULL));
    OK(bk_booking_mark_no_show(db, &absent->id, 1, NULL));
    const bk_id *ids[] = {&done->id, &absent->id};
    for (size_t i = 0; i < 2; i++) {
        ics c;
        char *text = ical_of(ids[i], 0, &c);
        HAS_LINE(&c, "STATUS:CONFIRMED");
        HAS_LINE(&c, "SEQUENCE:1");
        HAS_LINE(&c, "METHOD:REQUEST");
        HAS_LINE(&c, "SUMMARY:Quick \xE2\x80\x93 Dr. Anna Schmidt");
        ics_free(&c);
        bk_string_free(text);
    }
    bk_booking_free(done);
    bk_booking_free(absent);
}
END_TEST

START_TEST(ical_escapes_text_and_parameter_values)
{
    world w;
    bk_id p = make_provider("prof", "Schmidt, Anna; PhD", "anna@praxis.example", "Europe/Berlin");
    w.consult = make_service(p, "Check-up; long, thorough \\ careful", 30, 0);
    bk_booking *b = book(p, w.consult, "2026-03-30T07:00:00Z", "Jamie \"JR\" Rivera ^ Jr.", "jamie@example.com",
                         "Bring: X-rays; forms, ID \\ card\nSecond line\r\nThird line\rFourth\ttabbed");
    ics c;
    char *text = ical_of(&b->id, 0, &c);
    HAS_LINE(&c, "DESCRIPTION:Bring: X-rays\\; forms\\, ID \\\\ card\\nSecond line\\nThird line\\nFourth\ttabbed");
    HAS_LINE(&c, "SUMMARY:Check-up\\; long\\, thorough \\\\ careful \xE2\x80\x93 Schmidt\\, Anna\\; PhD");
    /* Parameter values: quoted when they hold ; , or :, RFC 6868 for " and ^. */
    HAS_LINE(&c, "ORGANIZER;CN=\"Schmidt, Anna; PhD\":mailto:anna@praxis.example");
    HAS_LINE(&c, "ATTENDEE;CN=Jamie ^'JR^' Rivera ^^ Jr.;ROLE=REQ-PARTICIPANT:mailto:jamie@example.com");
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(b);
}
END_TEST

START_TEST(ical_percent_encodes_addresses)
{
    world w;
    world_make(&w);
    bk_booking *b = book(w.anna, w.consult, "2026-03-30T07:00:00Z", "Odd", "o\"dd;one,x%y?z@example.com", NULL);
    ics c;
    char *text = ical_of(&b->id, 0, &c);
    HAS_LINE(&c, "ATTENDEE;CN=Odd;ROLE=REQ-PARTICIPANT:mailto:o%22dd%3Bone%2Cx%25y%3Fz@example.com");
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(b);
}
END_TEST

/* Long lines are folded at 75 octets; unfolding gives the line back; no
 * multi-byte character or escape is cut, wherever the fold falls. */
START_TEST(ical_folds_long_lines_without_cutting_characters)
{
    world w;
    world_make(&w);
    /* 3-byte (日本), 2-byte (ä) and 4-byte (😀) characters, shifted by 0-3
     * ASCII bytes so that the fold lands at every offset inside them. */
    for (int shift = 0; shift < 4; shift++) {
        char name[201], notes[600];
        size_t n = 0;
        for (int i = 0; i < shift; i++)
            name[n++] = 'x';
        while (n + 4 <= 190) {
            static const char *const chars[] = {"\xE6\x97\xA5", "\xE6\x9C\xAC", "\xC3\xA4", "\xF0\x9F\x98\x80"};
            const char *ch = chars[(n / 3) % 4];
            memcpy(name + n, ch, strlen(ch));
            n += strlen(ch);
        }
        name[n] = '\0';
        snprintf(notes, sizeof notes, "%.*s%s", shift, "yyy",
                 "\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\"
                 ";;;;;;;;;;,,,,,,,,,,\n\n\n\n\n\n\n\n\n\n"
                 "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
                 "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
        char start[32];
        snprintf(start, sizeof start, "2026-03-30T%02d:00:00Z", 7 + shift);
        bk_booking *b = book(w.anna, w.consult, start, name, "jamie@example.com", notes);
        ics c;
        char *text = ical_of(&b->id, 0, &c); /* checks every physical line */
        char want[800];
        snprintf(want, sizeof want, "ATTENDEE;CN=%s;ROLE=REQ-PARTICIPANT:mailto:jamie@example.com", name);
        HAS_LINE(&c, want);
        /* The escaped notes: \ -> \\, ; -> \;, , -> \,, newline -> \n. */
        char esc[1600];
        size_t e = (size_t)snprintf(esc, sizeof esc, "DESCRIPTION:");
        for (const char *p = notes; *p; p++) {
            if (*p == '\\' || *p == ';' || *p == ',')
                esc[e++] = '\\', esc[e++] = *p;
            else if (*p == '\n')
                esc[e++] = '\\', esc[e++] = 'n';
            else
                esc[e++] = *p;
        }
        esc[e] = '\0';
        HAS_LINE(&c, esc);
        /* The text was folded (the lines are longer than 75 octets) and no
         * fold fell between a backslash and the character it escapes. */
        ck_assert_msg(strstr(text, "\r\n ") != NULL, "nothing was folded");
        for (const char *p = strstr(text, "\r\n "); p; p = strstr(p + 1, "\r\n ")) {
            size_t backslashes = 0;
            for (const char *q = p - 1; q >= text && *q == '\\'; q--)
                backslashes++;
            ck_assert_msg(backslashes % 2 == 0, "a fold cuts an escape: ...%.10s", p - 10);
        }
        ics_free(&c);
        bk_string_free(text);
        bk_booking_free(b);
    }
}
END_TEST

START_TEST(ical_local_time_comes_with_a_vtimezone)
{
    world w;
    world_make(&w);
    bk_booking *b = book(w.anna, w.consult, "2026-03-30T07:00:00Z", "Jamie Rivera", "jamie@example.com", NULL);
    ics c;
    char *text = ical_of(&b->id, BK_ICAL_LOCAL_TIME, &c);
    HAS_LINE(&c, "DTSTART;TZID=Europe/Berlin:20260330T090000");
    HAS_LINE(&c, "DTEND;TZID=Europe/Berlin:20260330T093000");
    HAS_LINE(&c, "BEGIN:VTIMEZONE");
    HAS_LINE(&c, "TZID:Europe/Berlin");
    /* The spring-forward before the booking, as an observance of its own:
     * 02:00 local +01:00 -> +02:00 (RFC 5545's own example's shape). */
    size_t i = 0;
    while (i < c.n && strcmp(c.lines[i], "DTSTART:20260329T020000") != 0)
        i++;
    ck_assert_msg(i < c.n && i > 0, "no observance starting 2026-03-29T02:00");
    ck_assert_str_eq(c.lines[i - 1], "BEGIN:DAYLIGHT");
    ck_assert_str_eq(c.lines[i + 1], "TZOFFSETFROM:+0100");
    ck_assert_str_eq(c.lines[i + 2], "TZOFFSETTO:+0200");
    HAS_LINE(&c, "DTSTART:20261025T030000"); /* and the fall-back */
    /* The VTIMEZONE comes before the event, and covers 2025-2027. */
    size_t vtz = 0, vev = 0;
    for (size_t k = 0; k < c.n; k++) {
        if (strcmp(c.lines[k], "BEGIN:VTIMEZONE") == 0)
            vtz = k;
        if (strcmp(c.lines[k], "BEGIN:VEVENT") == 0)
            vev = k;
    }
    ck_assert_uint_lt(vtz, vev);
    HAS_LINE(&c, "DTSTART:20250101T010000");
    HAS_LINE(&c, "DTSTART:20271031T030000");
    ck_assert_uint_eq(ics_count_prefix(&c, "DTSTART:2028"), 0);
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(b);
}
END_TEST

START_TEST(ical_local_time_names_the_zone_by_its_canonical_id)
{
    bk_id p = make_provider("bob", "Bob Jones", "bob@example.com", "US/Eastern");
    bk_id s = make_service(p, "Call", 60, 0);
    bk_booking *b = book(p, s, "2026-07-01T15:00:00Z", "Kim", "kim@example.com", NULL);
    ics c;
    char *text = ical_of(&b->id, BK_ICAL_LOCAL_TIME, &c);
    HAS_LINE(&c, "DTSTART;TZID=America/New_York:20260701T110000");
    HAS_LINE(&c, "TZID:America/New_York");
    /* ICU knows New York's abbreviations (one observance a year here). */
    ck_assert_uint_eq(ics_count(&c, "TZNAME:EDT"), 3);
    ck_assert_uint_eq(ics_count(&c, "TZNAME:EST"), 4);
    ck_assert_uint_eq(ics_count(&c, "TZOFFSETTO:-0400"), 3);
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(b);
}
END_TEST

/* 02:30 on 2026-10-25 happens twice in Berlin; iCalendar reads a local
 * 02:30 as the first (00:30Z), so a booking at the second (01:30Z) keeps
 * UTC. */
START_TEST(ical_second_pass_through_a_fall_back_hour_stays_in_utc)
{
    world w;
    world_make(&w);
    bk_booking *first = book(w.anna, w.consult, "2026-10-25T00:30:00Z", "First", "f@example.com", NULL);
    bk_booking *second = book(w.anna, w.consult, "2026-10-25T01:30:00Z", "Second", "s@example.com", NULL);
    ics c;
    char *text = ical_of(&first->id, BK_ICAL_LOCAL_TIME, &c);
    HAS_LINE(&c, "DTSTART;TZID=Europe/Berlin:20261025T023000");
    /* It ends at 01:00Z, 02:00 local after the change: a local 02:00 would
     * read as 00:00Z, so the end is in UTC (a mix RFC 5545 allows). */
    HAS_LINE(&c, "DTEND:20261025T010000Z");
    ics_free(&c);
    bk_string_free(text);
    text = ical_of(&second->id, BK_ICAL_LOCAL_TIME, &c);
    HAS_LINE(&c, "DTSTART:20261025T013000Z");
    HAS_LINE(&c, "DTEND;TZID=Europe/Berlin:20261025T030000"); /* 02:00Z: 03:00 once only */
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(first);
    bk_booking_free(second);
}
END_TEST

START_TEST(ical_outputs_are_cleared_and_freed_on_error)
{
    world w;
    world_make(&w);
    char *text = (char *)1;
    bk_id unknown;
    OK0(bk_id_parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301", &unknown));
    ck_assert_int_eq(bk_booking_ical(db, &unknown, 0, &text), BK_ENOTFOUND);
    ck_assert_ptr_null(text);
    bk_string_free(NULL);
}
END_TEST

/* ================================================================== */
/* iCalendar: a provider's feed                                        */
/* ================================================================== */

START_TEST(feed_lists_the_window_with_cancelled_bookings_as_publish)
{
    world w;
    world_make(&w);
    bk_booking *a = book(w.anna, w.consult, "2026-03-30T07:00:00Z", "Jamie Rivera", "jamie@example.com", NULL);
    bk_booking *b = book(w.anna, w.consult, "2026-03-28T10:00:00Z", "Kim Lee", "kim@example.com", "Gate code 12");
    bk_booking *gone = book(w.anna, w.consult, "2026-04-02T10:00:00Z", "Sam", "sam@example.com", NULL);
    bk_booking *later = book(w.anna, w.consult, "2026-05-01T10:00:00Z", "Late", "late@example.com", NULL);
    OK(bk_booking_cancel(db, &gone->id, 1, NULL, NULL));
    char *text = (char *)1;
    OK(bk_provider_ical_feed(db, &w.anna, T("2026-03-01T00:00:00Z"), T("2026-04-30T00:00:00Z"), 0, &text));
    ics c;
    ics_parse(text, &c);
    HAS_LINE(&c, "METHOD:PUBLISH");
    ck_assert_uint_eq(ics_count(&c, "BEGIN:VEVENT"), 3);
    ck_assert_uint_eq(ics_count_prefix(&c, "ATTENDEE"), 0); /* RFC 5546 3.2.1 */
    ck_assert_uint_eq(ics_count_prefix(&c, "BEGIN:VTIMEZONE"), 0);
    HAS_LINE(&c, "CONTACT;ALTREP=\"mailto:kim@example.com\":Kim Lee");
    HAS_LINE(&c, "SUMMARY:Consultation \xE2\x80\x93 Kim Lee");
    HAS_LINE(&c, "DESCRIPTION:Gate code 12");
    ck_assert_uint_eq(ics_count(&c, "ORGANIZER;CN=Dr. Anna Schmidt:mailto:anna@praxis.example"), 3);
    /* By start: Kim (28th), Jamie (30th), Sam (2nd, cancelled). */
    const char *uids[3];
    char want[3][64];
    const bk_booking *order[] = {b, a, gone};
    size_t k = 0;
    for (size_t i = 0; i < c.n && k < 3; i++)
        if (strncmp(c.lines[i], "UID:", 4) == 0)
            uids[k++] = c.lines[i];
    ck_assert_uint_eq(k, 3);
    for (size_t i = 0; i < 3; i++) {
        snprintf(want[i], sizeof want[i], "UID:%s@libbooking", order[i]->id.s);
        ck_assert_str_eq(uids[i], want[i]);
    }
    ck_assert_uint_eq(ics_count(&c, "STATUS:CANCELLED"), 1);
    ck_assert_uint_eq(ics_count(&c, "STATUS:TENTATIVE"), 2);
    ck_assert_uint_eq(ics_count_prefix(&c, "UID:"), 3);
    ics_free(&c);
    bk_string_free(text);

    /* Local times: one VTIMEZONE for all events. */
    OK(bk_provider_ical_feed(db, &w.anna, T("2026-01-01T00:00:00Z"), T("2027-01-01T00:00:00Z"), BK_ICAL_LOCAL_TIME,
                             &text));
    ics_parse(text, &c);
    ck_assert_uint_eq(ics_count(&c, "BEGIN:VEVENT"), 4);
    ck_assert_uint_eq(ics_count(&c, "BEGIN:VTIMEZONE"), 1);
    HAS_LINE(&c, "DTSTART;TZID=Europe/Berlin:20260328T110000"); /* before the change: +01:00 */
    HAS_LINE(&c, "DTSTART;TZID=Europe/Berlin:20260330T090000"); /* after: +02:00 */
    HAS_LINE(&c, "DTSTART;TZID=Europe/Berlin:20260501T120000");
    ics_free(&c);
    bk_string_free(text);

    /* A window with nothing in it: a valid, empty calendar. */
    OK(bk_provider_ical_feed(db, &w.anna, T("2030-01-01T00:00:00Z"), T("2030-02-01T00:00:00Z"), BK_ICAL_LOCAL_TIME,
                             &text));
    ics_parse(text, &c);
    ck_assert_uint_eq(c.n, 6);
    ck_assert_uint_eq(ics_count(&c, "BEGIN:VEVENT"), 0);
    HAS_LINE(&c, "METHOD:PUBLISH");
    ics_free(&c);
    bk_string_free(text);
    bk_booking_free(a);
    bk_booking_free(b);
    bk_booking_free(gone);
    bk_booking_free(later);
}
END_TEST

/* ================================================================== */
/* Localised display                                                   */
/* ================================================================== */

/* ICU separates times with thin and narrow no-break spaces (CLDR 42+):
 * compare with plain spaces. */
static void plain_spaces(const char *in, char *out, size_t size)
{
    size_t n = 0;
    while (*in && n + 1 < size) {
        if (strncmp(in, "\xE2\x80\xAF", 3) == 0 || strncmp(in, "\xE2\x80\x89", 3) == 0) {
            out[n++] = ' ';
            in += 3;
        } else if (strncmp(in, "\xC2\xA0", 2) == 0) {
            out[n++] = ' ';
            in += 2;
        } else {
            out[n++] = *in++;
        }
    }
    out[n] = '\0';
}

static void expect_contains(const char *text, const char *part, const char *what)
{
    ck_assert_msg(strstr(text, part) != NULL, "%s: \"%s\" does not contain \"%s\"", what, text, part);
}

START_TEST(slot_format_matches_the_example)
{
    bk_slot s = {T("2026-03-30T07:00:00Z"), T("2026-03-30T07:30:00Z")};
    char buf[256], plain[256];
    OK0(bk_slot_format(&s, "America/New_York", "en_US", BK_FORMAT_ZONE_NAME, buf, sizeof buf));
    plain_spaces(buf, plain, sizeof plain);
    ck_assert_str_eq(plain, "Mon, Mar 30, 2026, 3:00 \xE2\x80\x93 3:30 AM EDT");
    /* 0 is the short name too; NULL locale is en_US. */
    char again[256];
    OK0(bk_slot_format(&s, "America/New_York", NULL, 0, again, sizeof again));
    ck_assert_str_eq(again, buf);
}
END_TEST

/* Three locales, three zones, three styles: the zone shown as asked, the
 * wall clock of that zone, the locale's words. */
START_TEST(slot_format_in_each_locale_zone_and_style)
{
    bk_slot s = {T("2026-03-30T07:00:00Z"), T("2026-03-30T07:30:00Z")};
    static const struct {
        const char *locale, *zone;
        const char *date, *time; /* locale's date words and the zone's wall clock */
        const char *name, *offset, *longname;
    } cases[] = {
        {"en_US", "America/New_York", "Mon, Mar 30, 2026", "3:00", "EDT", "GMT-4", "Eastern Daylight Time"},
        {"en_US", "Europe/Berlin", "Mon, Mar 30, 2026", "9:00", "GMT+2", "GMT+2", "Central European Summer Time"},
        {"en_US", "Asia/Tokyo", "Mon, Mar 30, 2026", "4:00", "GMT+9", "GMT+9", "Japan Standard Time"},
        {"de_DE", "America/New_York", "Mo., 30. M\xC3\xA4rz 2026", "03:00", "GMT-4", "GMT-4",
         "Nordamerikanische Ostk\xC3\xBCsten-Sommerzeit"},
        {"de_DE", "Europe/Berlin", "Mo., 30. M\xC3\xA4rz 2026", "09:00", "MESZ", "GMT+2",
         "Mitteleurop\xC3\xA4ische Sommerzeit"},
        {"de_DE", "Asia/Tokyo", "Mo., 30. M\xC3\xA4rz 2026", "16:00", "GMT+9", "GMT+9", "Japanische Normalzeit"},
        {"ja_JP", "America/New_York", "2026\xE5\xB9\xB4" "3\xE6\x9C\x88" "30\xE6\x97\xA5", "3\xE6\x99\x82" "00",
         "GMT-4", "GMT-4", "\xE3\x82\xA2\xE3\x83\xA1\xE3\x83\xAA\xE3\x82\xAB\xE6\x9D\xB1\xE9\x83\xA8\xE5\xA4\x8F"},
        {"ja_JP", "Europe/Berlin", "2026\xE5\xB9\xB4" "3\xE6\x9C\x88" "30\xE6\x97\xA5", "9\xE6\x99\x82" "00", "GMT+2",
         "GMT+2", "\xE4\xB8\xAD\xE5\xA4\xAE\xE3\x83\xA8\xE3\x83\xBC\xE3\x83\xAD\xE3\x83\x83\xE3\x83\x91\xE5\xA4\x8F"},
        {"ja_JP", "Asia/Tokyo", "2026\xE5\xB9\xB4" "3\xE6\x9C\x88" "30\xE6\x97\xA5", "16\xE6\x99\x82" "00", "JST",
         "GMT+9", "\xE6\x97\xA5\xE6\x9C\xAC\xE6\xA8\x99\xE6\xBA\x96\xE6\x99\x82"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unsigned styles[] = {BK_FORMAT_ZONE_NAME, BK_FORMAT_ZONE_OFFSET, BK_FORMAT_ZONE_LONG};
        const char *zone_text[] = {cases[i].name, cases[i].offset, cases[i].longname};
        for (size_t k = 0; k < 3; k++) {
            char buf[256], plain[256], what[128];
            OK0(bk_slot_format(&s, cases[i].zone, cases[i].locale, styles[k], buf, sizeof buf));
            plain_spaces(buf, plain, sizeof plain);
            snprintf(what, sizeof what, "%s %s style %u", cases[i].locale, cases[i].zone, styles[k]);
            expect_contains(plain, cases[i].date, what);
            expect_contains(plain, cases[i].time, what);
            expect_contains(plain, zone_text[k], what);
            /* The zone is named once, at the end of a same-day range. */
            ck_assert_msg(strstr(strstr(plain, zone_text[k]) + 1, zone_text[k]) == NULL, "%s: zone twice in %s", what,
                          plain);
            if (k == 1)
                ck_assert_msg(strstr(plain, "GMT") != NULL, "%s: no offset in %s", what, plain);
        }
    }
}
END_TEST

/* A slot across New York's fall-back: each end with its own zone. */
START_TEST(slot_format_across_a_dst_change_names_both_zones)
{
    bk_slot s = {T("2026-11-01T05:30:00Z"), T("2026-11-01T06:15:00Z")}; /* 01:30 EDT - 01:15 EST */
    char buf[256], plain[256];
    OK0(bk_slot_format(&s, "America/New_York", "en_US", BK_FORMAT_ZONE_NAME, buf, sizeof buf));
    plain_spaces(buf, plain, sizeof plain);
    ck_assert_str_eq(plain, "Sun, Nov 1, 2026, 1:30 AM EDT \xE2\x80\x93 Sun, Nov 1, 2026, 1:15 AM EST");
    OK0(bk_slot_format(&s, "America/New_York", "de_DE", BK_FORMAT_ZONE_OFFSET, buf, sizeof buf));
    expect_contains(buf, "01:30 GMT-4", "de_DE offset");
    expect_contains(buf, "01:15 GMT-5", "de_DE offset");
    OK0(bk_slot_format(&s, "America/New_York", "en_US", BK_FORMAT_ZONE_LONG, buf, sizeof buf));
    expect_contains(buf, "Eastern Daylight Time", "en_US long");
    expect_contains(buf, "Eastern Standard Time", "en_US long");
}
END_TEST

START_TEST(booking_format_uses_the_customer_zone_then_the_provider_zone)
{
    world w;
    world_make(&w);
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = w.anna;
    r.service = w.consult;
    r.start = T("2026-03-30T07:00:00Z");
    r.now = T("2026-01-01T00:00:00Z");
    r.customer_name = "Jamie";
    r.customer_email = "jamie@example.com";
    r.customer_timezone = "Asia/Tokyo";
    bk_booking *with_zone = NULL, *without = NULL;
    OK(bk_book(db, &r, &with_zone));
    r.start = T("2026-03-30T08:00:00Z");
    r.customer_timezone = NULL;
    OK(bk_book(db, &r, &without));
    char buf[256], slot[256];
    bk_slot s = {with_zone->start, with_zone->end};
    OK(bk_booking_format(db, &with_zone->id, NULL, "ja_JP", BK_FORMAT_ZONE_NAME, buf, sizeof buf));
    OK0(bk_slot_format(&s, "Asia/Tokyo", "ja_JP", BK_FORMAT_ZONE_NAME, slot, sizeof slot));
    ck_assert_str_eq(buf, slot);
    expect_contains(buf, "(JST)", "customer's zone");
    OK(bk_booking_format(db, &without->id, NULL, "de_DE", BK_FORMAT_ZONE_NAME, buf, sizeof buf));
    expect_contains(buf, "10:00", "provider's zone");
    expect_contains(buf, "MESZ", "provider's zone");
    /* An explicit zone wins. */
    OK(bk_booking_format(db, &with_zone->id, "America/New_York", "en_US", BK_FORMAT_ZONE_OFFSET, buf, sizeof buf));
    expect_contains(buf, "3:00", "explicit zone");
    expect_contains(buf, "GMT-4", "explicit zone");
    bk_booking_free(with_zone);
    bk_booking_free(without);
}
END_TEST

START_TEST(format_reports_the_size_needed)
{
    bk_slot s = {T("2026-03-30T07:00:00Z"), T("2026-03-30T07:30:00Z")};
    char buf[256];
    OK0(bk_slot_format(&s, "Europe/Berlin", "de_DE", BK_FORMAT_ZONE_LONG, buf, sizeof buf));
    size_t len = strlen(buf);
    char *exact = malloc(len + 1);
    ck_assert_ptr_nonnull(exact);
    OK0(bk_slot_format(&s, "Europe/Berlin", "de_DE", BK_FORMAT_ZONE_LONG, exact, len + 1));
    ck_assert_str_eq(exact, buf);
    ck_assert_int_eq(bk_slot_format(&s, "Europe/Berlin", "de_DE", BK_FORMAT_ZONE_LONG, exact, len), BK_EINVAL);
    ck_assert_str_eq(exact, "");
    char need[32];
    snprintf(need, sizeof need, "%zu needed", len + 1);
    expect_contains(bk_errmsg(NULL), need, "message");
    free(exact);
}
END_TEST

/* ================================================================== */
/* Zone ids and the tz database version                                */
/* ================================================================== */

START_TEST(canonical_ids)
{
    static const char *const pairs[][2] = {
        {"US/Eastern", "America/New_York"},  {"America/New_York", "America/New_York"},
        {"Asia/Calcutta", "Asia/Kolkata"},   {"Asia/Kolkata", "Asia/Kolkata"},
        {"Europe/Kiev", "Europe/Kyiv"},      {"Asia/Saigon", "Asia/Ho_Chi_Minh"},
        {"UTC", "UTC"},                      {"Etc/UTC", "UTC"},
        {"Zulu", "UTC"},                     {"GB", "Europe/London"},
        {"Japan", "Asia/Tokyo"},             {"Europe/Berlin", "Europe/Berlin"},
        {"Etc/GMT+5", "Etc/GMT+5"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char buf[64];
        OK0(bk_timezone_canonical(pairs[i][0], buf, sizeof buf));
        ck_assert_msg(strcmp(buf, pairs[i][1]) == 0, "%s -> %s, expected %s", pairs[i][0], buf, pairs[i][1]);
    }
}
END_TEST

START_TEST(zone_list_holds_canonical_location_zones_and_utc)
{
    char **list = (char **)1;
    size_t n = 99;
    OK0(bk_timezone_list(&list, &n));
    ck_assert_uint_gt(n, 300);
    int new_york = 0, utc = 0, kolkata = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ck_assert_msg(strcmp(list[i - 1], list[i]) < 0, "not sorted or duplicated: %s, %s", list[i - 1], list[i]);
        ck_assert_msg(strcmp(list[i], "US/Eastern") != 0, "an alias is listed: US/Eastern");
        ck_assert_msg(strcmp(list[i], "Asia/Calcutta") != 0, "an old name is listed: Asia/Calcutta");
        ck_assert_msg(strncmp(list[i], "Etc/", 4) != 0, "a fixed-offset zone is listed: %s", list[i]);
        new_york |= strcmp(list[i], "America/New_York") == 0;
        utc |= strcmp(list[i], "UTC") == 0;
        kolkata |= strcmp(list[i], "Asia/Kolkata") == 0;
        /* Every listed id is valid, and its own canonical id. */
        char buf[64];
        OK0(bk_timezone_valid(list[i]));
        OK0(bk_timezone_canonical(list[i], buf, sizeof buf));
        ck_assert_msg(strcmp(buf, list[i]) == 0, "listed %s is not canonical (-> %s)", list[i], buf);
    }
    ck_assert_msg(new_york && utc && kolkata, "America/New_York %d, UTC %d, Asia/Kolkata %d", new_york, utc, kolkata);
    bk_timezone_list_free(list, n);
    bk_timezone_list_free(NULL, 0);
}
END_TEST

START_TEST(tzdata_version_is_a_release_name)
{
    const char *v = bk_tzdata_version();
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_ge(strlen(v), 5);
    /* "2022e", "2024a": four digits and a letter. */
    for (int i = 0; i < 4; i++)
        ck_assert_msg(v[i] >= '0' && v[i] <= '9', "tzdata version '%s'", v);
    ck_assert_msg(v[4] >= 'a' && v[4] <= 'z', "tzdata version '%s'", v);
    ck_assert_ptr_eq(bk_tzdata_version(), v); /* static */
}
END_TEST

/* ================================================================== */
/* Independent validation: python3-icalendar (tests/ical_validate.py)   */
/* ================================================================== */

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
    ck_assert_int_ge(n, 0);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        ck_assert_ptr_nonnull(t->p);
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* A JSON string (or null). */
static void tjson(text *t, const char *s)
{
    if (!s) {
        tput(t, "null");
        return;
    }
    tput(t, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            tput(t, "\\%c", *p);
        else if (*p < 0x20)
            tput(t, "\\u%04x", *p);
        else
            tput(t, "%c", *p);
    }
    tput(t, "\"");
}

static void iso(bk_time t, char out[BK_ISO_SIZE]) { ck_assert_int_eq(bk_time_format_iso(t, out), BK_OK); }

/* What icalendar should read back as DESCRIPTION: line breaks as \n. */
static char *unescaped_notes(const char *notes)
{
    if (!notes)
        return NULL;
    char *s = malloc(strlen(notes) + 1), *o = s;
    ck_assert_ptr_nonnull(s);
    for (const char *p = notes; *p; p++) {
        if (*p == '\r') {
            if (p[1] != '\n')
                *o++ = '\n';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return s;
}

typedef struct fileset {
    char dir[256];
    text json;
    int n_files;
} fileset;

static void write_file(const fileset *fs, const char *name, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", fs->dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(content, 1, strlen(content), f), strlen(content));
    ck_assert_int_eq(fclose(f), 0);
}

/* Adds one expected event; `local` says whether its times carry TZID. */
static void expect_event(text *t, const bk_booking *b, const char *summary, const bk_provider *p, int attendee,
                         int local, int first)
{
    char s[BK_ISO_SIZE], e[BK_ISO_SIZE], uid[64];
    iso(b->start, s);
    iso(b->end, e);
    snprintf(uid, sizeof uid, "%s@libbooking", b->id.s);
    const char *status = b->status == BK_BOOKING_PENDING     ? "TENTATIVE"
                         : b->status == BK_BOOKING_CANCELLED ? "CANCELLED"
                                                             : "CONFIRMED";
    char *desc = unescaped_notes(b->notes);
    tput(t, "%s{\"uid\": ", first ? "" : ", ");
    tjson(t, uid);
    tput(t, ", \"start\": \"%s\", \"end\": \"%s\", \"local\": %s, \"sequence\": %lld, \"status\": \"%s\", \"summary\": ",
         s, e, local ? "true" : "false", (long long)(b->lock_version - 1), status);
    tjson(t, summary);
    tput(t, ", \"description\": ");
    tjson(t, desc);
    tput(t, ", \"organizer\": {\"cn\": ");
    tjson(t, p->full_name);
    tput(t, ", \"email\": ");
    tjson(t, p->email);
    tput(t, "}, \"attendee\": ");
    if (attendee) {
        tput(t, "{\"cn\": ");
        tjson(t, b->customer_name);
        tput(t, ", \"email\": ");
        tjson(t, b->customer_email);
        tput(t, "}, \"contact\": null}");
    } else {
        tput(t, "null, \"contact\": {\"name\": ");
        tjson(t, b->customer_name);
        tput(t, ", \"email\": ");
        tjson(t, b->customer_email);
        tput(t, "}}");
    }
    free(desc);
}

static const char *canonical_tzid(const char *zone, char *buf, size_t size)
{
    OK0(bk_timezone_canonical(zone, buf, size));
    return buf;
}

/* One booking's .ics (bk_booking_ical) and what it must mean. */
static void add_booking_file(fileset *fs, const char *name, const bk_id *id, unsigned flags)
{
    bk_booking *b = NULL;
    bk_provider *p = NULL;
    bk_service *s = NULL;
    OK(bk_booking_get(db, id, &b));
    OK(bk_provider_get(db, &b->provider, &p));
    OK(bk_service_get(db, &b->service, &s));
    char *ics_text = NULL;
    OK(bk_booking_ical(db, id, flags, &ics_text));
    write_file(fs, name, ics_text);
    bk_string_free(ics_text);
    char tzid[64], summary[512];
    int local = (flags & BK_ICAL_LOCAL_TIME) != 0;
    snprintf(summary, sizeof summary, "%s \xE2\x80\x93 %s", s->name, p->full_name);
    tput(&fs->json, "%s{\"name\": \"%s\", \"method\": \"%s\", \"tzid\": ", fs->n_files++ ? ",\n  " : "", name,
         b->status == BK_BOOKING_CANCELLED ? "CANCEL" : "REQUEST");
    tjson(&fs->json, local ? canonical_tzid(p->timezone, tzid, sizeof tzid) : NULL);
    tput(&fs->json, ", \"events\": [");
    /* A local time that occurs twice stays UTC: known here from the zone's
     * offsets an hour apart. */
    int ambiguous = 0;
    if (local) {
        char iso_s[BK_ISO_SIZE];
        iso(b->start, iso_s);
        ambiguous = strcmp(iso_s, "2026-10-25T01:30:00Z") == 0;
    }
    expect_event(&fs->json, b, summary, p, 1, local && !ambiguous, 1);
    tput(&fs->json, "]}");
    bk_booking_free(b);
    bk_provider_free(p);
    bk_service_free(s);
}

static void add_feed_file(fileset *fs, const char *name, const bk_id *provider, bk_time from, bk_time to,
                          unsigned flags)
{
    bk_provider *p = NULL;
    OK(bk_provider_get(db, provider, &p));
    char *ics_text = NULL;
    OK(bk_provider_ical_feed(db, provider, from, to, flags, &ics_text));
    write_file(fs, name, ics_text);
    bk_string_free(ics_text);
    char tzid[64];
    int local = (flags & BK_ICAL_LOCAL_TIME) != 0;
    tput(&fs->json, "%s{\"name\": \"%s\", \"method\": \"PUBLISH\", \"tzid\": ", fs->n_files++ ? ",\n  " : "", name);
    tjson(&fs->json, local ? canonical_tzid(p->timezone, tzid, sizeof tzid) : NULL);
    tput(&fs->json, ", \"events\": [");
    bk_booking_filter f = BK_BOOKING_FILTER_INIT;
    f.provider = *provider;
    f.from = from;
    f.to = to;
    bk_booking **list = NULL;
    size_t n = 0;
    OK(bk_booking_list(db, &f, &list, &n));
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        bk_service *s = NULL;
        OK(bk_service_get(db, &list[i]->service, &s));
        char summary[512];
        snprintf(summary, sizeof summary, "%s \xE2\x80\x93 %s", s->name, list[i]->customer_name);
        char iso_s[BK_ISO_SIZE];
        iso(list[i]->start, iso_s);
        int ambiguous = strcmp(iso_s, "2026-10-25T01:30:00Z") == 0;
        expect_event(&fs->json, list[i], summary, p, 0, local && !ambiguous, i == 0);
        bk_service_free(s);
    }
    tput(&fs->json, "]}");
    bk_booking_list_free(list, n);
    bk_provider_free(p);
}

static void remove_dir(const char *dir)
{
    static const char *const names[] = {"expected.json", "booking_utc.ics", "booking_local.ics",
                                        "booking_cancelled.ics", "booking_alias_zone.ics", "booking_fold.ics",
                                        "booking_second_pass.ics", "booking_lord_howe.ics",
                                        "booking_kathmandu.ics", "feed_utc.ics", "feed_local.ics"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

START_TEST(python_icalendar_reads_what_was_written)
{
    fileset fs;
    memset(&fs, 0, sizeof fs);
    const char *tmp = getenv("TMPDIR");
    snprintf(fs.dir, sizeof fs.dir, "%s/bk-ics.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(fs.dir) != NULL, "mkdtemp %s failed", fs.dir);
    tput(&fs.json, "{\"files\": [\n  ");

    world w;
    world_make(&w);
    bk_id quick = make_service(w.anna, "Quick check", 15, 0);
    bk_id bob = make_provider("bob", "Bob Jones", "bob@example.com", "US/Eastern");
    bk_id call = make_service(bob, "Call", 60, 0);
    /* Escapes, a quoted CN, several lines of notes. */
    bk_booking *plain = book(w.anna, w.consult, "2026-03-30T07:00:00Z", "Rivera, Jamie", "jamie@example.com",
                             "Bring: X-rays; forms, ID \\ card\nSecond line\r\nThird line");
    /* A long multi-byte name and notes: folded everywhere. */
    char name[201];
    size_t n = 0;
    while (n + 3 <= 198) {
        memcpy(name + n, n % 2 ? "\xE6\x97\xA5" : "\xE6\x9C\xAC", 3);
        n += 3;
    }
    name[n] = '\0';
    bk_booking *folded = book(w.anna, quick, "2026-06-15T08:00:00Z", name, "kaz@example.jp",
                              "\xF0\x9F\x98\x80 long notes \xC3\xA4\xC3\xB6\xC3\xBC with many words that go past "
                              "seventy-five octets; twice, even; \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xA7"
                              "\xE6\x9B\xB8\xE3\x81\x84\xE3\x81\x9F\xE3\x83\xA1\xE3\x83\xA2\xE3\x82\x82.");
    bk_booking *cancelled = book(w.anna, w.consult, "2026-11-02T09:00:00Z", "Sam", "sam@example.com", NULL);
    OK(bk_booking_confirm(db, &cancelled->id, 1, NULL));
    OK(bk_booking_cancel(db, &cancelled->id, 2, "Moved away", NULL));
    bk_booking *second_pass = book(w.anna, quick, "2026-10-25T01:30:00Z", "Night owl", "owl@example.com", NULL);
    /* Half-hour DST (Lord Howe: +10:30 / +11:00) and a quarter-hour offset
     * without DST (Kathmandu: +05:45). */
    bk_id carol = make_provider("carol", "Carol Cho", "carol@example.au", "Australia/Lord_Howe");
    bk_id carols = make_service(carol, "Lesson", 45, 0);
    bk_booking *howe = book(carol, carols, "2026-03-28T13:45:00Z", "Lee", "lee@example.au", NULL);
    bk_id dev = make_provider("dev", "Dev Rai", "dev@example.np", "Asia/Kathmandu");
    bk_id devs = make_service(dev, "Trek briefing", 90, 0);
    bk_booking *ktm = book(dev, devs, "2026-10-01T03:15:00Z", "Ana", "ana@example.com", NULL);
    bk_booking *summer = book(bob, call, "2026-07-01T15:00:00Z", "Kim", "kim@example.com", NULL);
    OK(bk_booking_reschedule(db, &summer->id, 1, T("2026-07-02T15:00:00Z"), T("2026-01-01T00:00:00Z"), NULL));

    add_booking_file(&fs, "booking_utc.ics", &plain->id, 0);
    add_booking_file(&fs, "booking_local.ics", &plain->id, BK_ICAL_LOCAL_TIME);
    add_booking_file(&fs, "booking_fold.ics", &folded->id, BK_ICAL_LOCAL_TIME);
    add_booking_file(&fs, "booking_cancelled.ics", &cancelled->id, BK_ICAL_LOCAL_TIME);
    add_booking_file(&fs, "booking_second_pass.ics", &second_pass->id, BK_ICAL_LOCAL_TIME);
    add_booking_file(&fs, "booking_alias_zone.ics", &summer->id, BK_ICAL_LOCAL_TIME);
    add_booking_file(&fs, "booking_lord_howe.ics", &howe->id, BK_ICAL_LOCAL_TIME);
    add_booking_file(&fs, "booking_kathmandu.ics", &ktm->id, BK_ICAL_LOCAL_TIME);
    add_feed_file(&fs, "feed_utc.ics", &w.anna, T("2026-01-01T00:00:00Z"), T("2027-01-01T00:00:00Z"), 0);
    add_feed_file(&fs, "feed_local.ics", &w.anna, T("2026-01-01T00:00:00Z"), T("2027-01-01T00:00:00Z"),
                  BK_ICAL_LOCAL_TIME);
    tput(&fs.json, "\n]}\n");
    write_file(&fs, "expected.json", fs.json.p);

    const char *script = BK_ICAL_VALIDATE;
    ck_assert_msg(strchr(script, '\'') == NULL && strchr(fs.dir, '\'') == NULL, "a path with a quote");
    setenv("BK_ICS_DIR", fs.dir, 1);
    char cmd[1200];
    /* popen runs /bin/sh, which the valgrind setup does not trace: python
     * runs natively under --setup valgrind too. */
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' 2>&1", script);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    text out = {NULL, 0, 0};
    char line[1024];
    while (fgets(line, sizeof line, p))
        tput(&out, "%s", line);
    int status = pclose(p);
    printf("%s", out.p ? out.p : "");
    fflush(stdout);
    /* Kept for a look when it fails, or when BK_ICS_KEEP=1. */
    const char *keep = getenv("BK_ICS_KEEP");
    if (status == 0 && !(keep && strcmp(keep, "1") == 0))
        remove_dir(fs.dir);
    else
        printf("test_calendar: the files are in %s\n", fs.dir);
    ck_assert_msg(status == 0,
                  "%s exited with status %d over %s (is python3-icalendar installed? tests/deps.sh installs it):\n%s",
                  cmd, status, fs.dir, out.p ? out.p : "");
    ck_assert_msg(out.p && strstr(out.p, "10 files, 16 events checked"), "unexpected summary: %s", out.p);
    free(out.p);
    free(fs.json.p);
    bk_booking_free(plain);
    bk_booking_free(folded);
    bk_booking_free(cancelled);
    bk_booking_free(second_pass);
    bk_booking_free(summer);
    bk_booking_free(howe);
    bk_booking_free(ktm);
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

static Suite *calendar_suite(void)
{
    Suite *s = suite_create("calendar");
    TCase *i = tcase("ical");
    tcase_add_test(i, ical_is_one_vcalendar_with_the_expected_lines);
    tcase_add_test(i, ical_follows_the_lifecycle);
    tcase_add_test(i, ical_status_of_completed_and_no_show_is_confirmed);
    tcase_add_test(i, ical_escapes_text_and_parameter_values);
    tcase_add_test(i, ical_percent_encodes_addresses);
    tcase_add_test(i, ical_folds_long_lines_without_cutting_characters);
    tcase_add_test(i, ical_local_time_comes_with_a_vtimezone);
    tcase_add_test(i, ical_local_time_names_the_zone_by_its_canonical_id);
    tcase_add_test(i, ical_second_pass_through_a_fall_back_hour_stays_in_utc);
    tcase_add_test(i, ical_outputs_are_cleared_and_freed_on_error);
    tcase_add_test(i, feed_lists_the_window_with_cancelled_bookings_as_publish);
    suite_add_tcase(s, i);

    TCase *d = tcase("display");
    tcase_add_test(d, slot_format_matches_the_example);
    tcase_add_test(d, slot_format_in_each_locale_zone_and_style);
    tcase_add_test(d, slot_format_across_a_dst_change_names_both_zones);
    tcase_add_test(d, booking_format_uses_the_customer_zone_then_the_provider_zone);
    tcase_add_test(d, format_reports_the_size_needed);
    suite_add_tcase(s, d);

    TCase *z = tcase("zones");
    tcase_add_test(z, canonical_ids);
    tcase_add_test(z, zone_list_holds_canonical_location_zones_and_utc);
    tcase_add_test(z, tzdata_version_is_a_release_name);
    suite_add_tcase(s, z);
    return s;
}

/* Run alone by the meson test 'ical_validate' (CK_RUN_SUITE). */
static Suite *ical_validate_suite(void)
{
    Suite *s = suite_create("ical_validate");
    TCase *v = tcase("python_icalendar");
    tcase_add_test(v, python_icalendar_reads_what_was_written);
    suite_add_tcase(s, v);
    return s;
}

int main(void)
{
    Suite *suites[] = {calendar_suite(), ical_validate_suite()};
    return harness_run(suites, 2);
}
