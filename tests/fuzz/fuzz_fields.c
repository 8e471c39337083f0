/* Fuzz target: the text fields people type -- a provider's username,
 * email, names, zone, URLs; a customer's name, email, phone, zone and
 * notes -- and the text the library writes from them (iCalendar, the GDPR
 * export).  Input: length-prefixed strings (fuzz.h fz_str).
 * Properties:
 *   - bk_provider_create and bk_book answer BK_OK or BK_EINVAL with a clean
 *     message (fuzz.h) naming the field, and never accept a value their
 *     header comment rules out (length, UTF-8, '@');
 *   - usernames and emails are stored NFC, and a second provider with the
 *     same ones is BK_EEXISTS;
 *   - iCalendar output is CRLF lines of at most 75 octets, each valid UTF-8
 *     (folding never splits a character), holding the booking's UID;
 *   - the export is valid JSON listing the one booking; list by customer
 *     email finds it; erase erases it. */
#include <jansson.h>

#include "fuzz.h"
#include "util/alloc.h"

static const char *const zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu",
                                    "Australia/Lord_Howe", "Pacific/Apia", "America/St_Johns"};

/* NULL counts as absent, "" too for optional fields. */
static int length_ok(const char *s, size_t lo, size_t hi)
{
    if (!s)
        return lo == 0;
    size_t n = strlen(s);
    return n >= lo && n <= hi && strutil_utf8_valid(s, n);
}

static int email_ok(const char *s)
{
    if (!length_ok(s, 1, 254))
        return 0;
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@');
}

static void check_nfc(const char *stored, const char *given, const char *what)
{
    char *nfc = NULL;
    FUZZ_CHECK(strutil_nfc(given, &nfc) == 0, "strutil_nfc of an accepted %s", what);
    FUZZ_CHECK(strcmp(stored, nfc) == 0, "%s stored as '%s', not its NFC form '%s'", what, stored, nfc);
    bki_free(nfc);
}

static void check_ical(const char *ics, const bk_id *booking, const char *call)
{
    size_t len = strlen(ics);
    FUZZ_CHECK(strutil_utf8_valid(ics, len), "%s: not valid UTF-8", call);
    FUZZ_CHECK(strncmp(ics, "BEGIN:VCALENDAR\r\n", 17) == 0, "%s: does not start with BEGIN:VCALENDAR", call);
    const char *line = ics;
    while (*line) {
        const char *crlf = strstr(line, "\r\n");
        FUZZ_CHECK(crlf != NULL, "%s: last line has no CRLF", call);
        size_t n = (size_t)(crlf - line);
        FUZZ_CHECK(n <= 75, "%s: a line of %zu octets: '%.*s'", call, n, (int)n, line);
        FUZZ_CHECK(strutil_utf8_valid(line, n), "%s: folding split a character: '%.*s'", call, (int)n, line);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)line[i] >= 0x20 || line[i] == '\t', "%s: control character in '%.*s'", call,
                       (int)n, line);
        line = crlf + 2;
    }
    char uid[64];
    snprintf(uid, sizeof uid, "\r\nUID:%s@libbooking\r\n", booking->s);
    FUZZ_CHECK(strstr(ics, uid) != NULL, "%s: no UID line for %s", call, booking->s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 12000)
        return 0;
    fz f = {data, size};
    char *username = fz_str(&f, 80);
    char *email = fz_str(&f, 300);
    char *full_name = fz_str(&f, 260);
    uint8_t zone_pick = fz_u8(&f);
    char *zone_text = zone_pick >= 0xf0 ? fz_str(&f, 64) : NULL;
    char *business = fz_str(&f, 260);
    char *description = fz_str(&f, 4100);
    char *avatar = fz_str(&f, 2100);
    char *c_name = fz_str(&f, 260);
    char *c_email = fz_str(&f, 300);
    char *c_phone = fz_str(&f, 80);
    char *c_zone = fz_str(&f, 64);
    char *c_notes = fz_str(&f, 4100);
    char *c_key = fz_str(&f, 260);
    unsigned flags = fz_u8(&f) & 1u;
    const char *zone = zone_text ? zone_text : zones[zone_pick % (sizeof zones / sizeof zones[0])];

    bk_db *db = NULL;
    FUZZ_OK(NULL, bk_open(&db, "memory:"));

    bk_provider p = BK_PROVIDER_INIT;
    p.username = username;
    p.email = email;
    p.full_name = full_name;
    p.timezone = zone;
    p.business_name = business;
    p.description = description;
    p.avatar_url = avatar;
    bk_id pid;
    int rc = bk_provider_create(db, &p, &pid);
    if (rc != BK_OK) {
        fz_check_einval(rc, bk_errmsg(db), "bk_provider_create");
        goto done;
    }
    FUZZ_CHECK(length_ok(username, 1, 64) && email_ok(email) && length_ok(full_name, 1, 200) &&
                   length_ok(business, 0, 200) && length_ok(description, 0, 4000) && length_ok(avatar, 0, 2000) &&
                   bk_timezone_valid(zone) == BK_OK,
               "bk_provider_create accepted a provider its header rules out");
    bk_provider *got = NULL;
    FUZZ_OK(db, bk_provider_get(db, &pid, &got));
    check_nfc(got->username, username, "username");
    check_nfc(got->email, email, "email");
    FUZZ_CHECK(strcmp(got->full_name, full_name) == 0, "full_name changed");
    bk_provider_free(got);
    rc = bk_provider_create(db, &p, NULL);
    FUZZ_CHECK(rc == BK_EEXISTS, "the same provider twice -> %d (%s)", rc, bk_errmsg(db));

    /* A service and round-the-clock hours, then one booking by a customer
     * typed by the fuzzer. */
    bk_service s = BK_SERVICE_INIT;
    s.provider = pid;
    s.name = "Consultation";
    s.duration_minutes = 30;
    bk_id sid;
    FUZZ_OK(db, bk_service_create(db, &s, &sid));
    for (int wd = 0; wd < 7; wd++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = pid;
        a.weekday = wd;
        a.end_minute = 1440;
        FUZZ_OK(db, bk_availability_add(db, &a, NULL));
    }
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = pid;
    r.service = sid;
    r.now = 1774872000; /* 2026-03-30T12:00:00Z */
    {
        /* The first slot of the next day: the grid is anchored at local
         * midnight, which is not on the UTC half hour everywhere. */
        bk_slot_query q = BK_SLOT_QUERY_INIT;
        q.provider = pid;
        q.service = sid;
        q.from = r.now + 86400;
        q.to = q.from + 86400;
        q.now = r.now;
        bk_slot *slots = NULL;
        size_t n_slots = 0;
        FUZZ_OK(db, bk_slots(db, &q, &slots, &n_slots));
        FUZZ_CHECK(n_slots > 0, "no slot in a day of round-the-clock hours");
        r.start = slots[0].start;
        bk_slots_free(slots);
    }
    r.customer_name = c_name;
    r.customer_email = c_email;
    r.customer_phone = c_phone;
    r.customer_timezone = c_zone;
    r.notes = c_notes;
    r.idempotency_key = c_key;
    bk_booking *b = NULL;
    rc = bk_book(db, &r, &b);
    if (rc != BK_OK) {
        fz_check_einval(rc, bk_errmsg(db), "bk_book");
        goto done;
    }
    FUZZ_CHECK(length_ok(c_name, 1, 200) && email_ok(c_email) && length_ok(c_phone, 0, 50) &&
                   length_ok(c_notes, 0, 4000) && (!c_key || !*c_key || length_ok(c_key, 1, 200)) &&
                   (!c_zone || !*c_zone || bk_timezone_valid(c_zone) == BK_OK),
               "bk_book accepted a customer its header rules out");
    bk_id bid = b->id;

    char *ics = NULL;
    FUZZ_OK(db, bk_booking_ical(db, &bid, flags, &ics));
    check_ical(ics, &bid, "bk_booking_ical");
    bk_string_free(ics);
    FUZZ_OK(db, bk_provider_ical_feed(db, &pid, r.start - 86400, r.start + 86400, flags, &ics));
    check_ical(ics, &bid, "bk_provider_ical_feed");
    bk_string_free(ics);

    char display[512];
    rc = bk_booking_format(db, &bid, NULL, NULL, 0, display, sizeof display);
    FUZZ_CHECK(rc == BK_OK && strutil_utf8_valid(display, strlen(display)), "bk_booking_format -> %d (%s)", rc,
               bk_errmsg(db));

    char *json = NULL;
    FUZZ_OK(db, bk_customer_export(db, c_email, &json));
    json_error_t jerr;
    json_t *doc = json_loads(json, 0, &jerr);
    FUZZ_CHECK(doc != NULL, "the export is not JSON: %s", jerr.text);
    FUZZ_CHECK(json_array_size(json_object_get(doc, "bookings")) == 1, "the export lists %zu bookings, not 1",
               json_array_size(json_object_get(doc, "bookings")));
    json_decref(doc);
    bk_string_free(json);

    bk_booking_filter flt = BK_BOOKING_FILTER_INIT;
    flt.provider = pid;
    flt.customer_email = c_email;
    bk_booking **list = NULL;
    size_t n = 0;
    FUZZ_OK(db, bk_booking_list(db, &flt, &list, &n));
    FUZZ_CHECK(n == 1 && strcmp(list[0]->id.s, bid.s) == 0, "list by customer email found %zu bookings", n);
    bk_booking_list_free(list, n);

    size_t erased = 0;
    FUZZ_OK(db, bk_customer_erase(db, c_email, &erased));
    FUZZ_CHECK(erased == 1, "erased %zu bookings, not 1", erased);
    bk_booking *after = NULL;
    FUZZ_OK(db, bk_booking_get(db, &bid, &after));
    FUZZ_CHECK(strcmp(after->customer_name, "erased") == 0 && after->notes == NULL && after->customer_phone == NULL,
               "the booking still holds personal data after bk_customer_erase");
    bk_booking_free(after);
    bk_booking_free(b);

done:
    bk_close(db);
    free(username);
    free(email);
    free(full_name);
    free(zone_text);
    free(business);
    free(description);
    free(avatar);
    free(c_name);
    free(c_email);
    free(c_phone);
    free(c_zone);
    free(c_notes);
    free(c_key);
    return 0;
}
