/*
 * libbooking quickstart: a provider in Berlin, the week in which Europe
 * springs forward (last Sunday of March 2026), slots shown to the provider
 * and to a customer in New York, one booking shown in other languages and
 * zones and as iCalendar, the same booking refused.
 *
 * Build and run: see the README ("Demo").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <booking.h>

static void check(bk_db *db, int rc, const char *what)
{
    if (rc != BK_OK) {
        fprintf(stderr, "%s failed: %s (%s)\n", what, bk_strerror(rc), bk_errmsg(db));
        bk_close(db);
        exit(1);
    }
}

/* The same for calls without a handle, whose message is bk_errmsg(NULL). */
static void check_nh(bk_db *db, int rc, const char *what)
{
    if (rc != BK_OK) {
        fprintf(stderr, "%s failed: %s (%s)\n", what, bk_strerror(rc), bk_errmsg(NULL));
        bk_close(db);
        exit(1);
    }
}

static bk_time at(const char *iso)
{
    bk_time t = 0;
    if (bk_time_parse_iso(iso, &t) != BK_OK) {
        fprintf(stderr, "%s\n", bk_errmsg(NULL));
        exit(1);
    }
    return t;
}

/* One line per slot: the provider's wall clock and the customer's. */
static void print_slot(const bk_slot *s)
{
    char berlin[128], new_york[128];
    bk_time_format(s->start, "Europe/Berlin", "de_DE", "EEEdMMMHHmmz", berlin, sizeof berlin);
    bk_time_format(s->start, "America/New_York", "en_US", "EEEMMMdjmmz", new_york, sizeof new_york);
    printf("    %-28s | %s\n", berlin, new_york);
}

/* Prints the slots a day at a time: the first two and the last of each. */
static void print_slots(const bk_slot *slots, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        char day[64], next[64];
        bk_time_format(slots[i].start, "Europe/Berlin", "en_US", "EEEEMMMMd", day, sizeof day);
        while (j < n && (bk_time_format(slots[j].start, "Europe/Berlin", "en_US", "EEEEMMMMd", next, sizeof next),
                         strcmp(day, next) == 0))
            j++;
        printf("  %s: %zu slots\n", day, j - i);
        for (size_t k = i; k < j; k++)
            if (k < i + 2 || k == j - 1)
                print_slot(&slots[k]);
            else if (k == i + 2)
                printf("    ...\n");
        i = j;
    }
}

int main(void)
{
    bk_db *db = NULL;
    if (bk_open(&db, "memory:") != BK_OK) {
        fprintf(stderr, "bk_open: %s\n", bk_errmsg(NULL));
        return 1;
    }
    printf("libbooking %s\n\n", bk_version());

    bk_provider p = BK_PROVIDER_INIT;
    p.username = "anna";
    p.email = "anna@praxis.example";
    p.full_name = "Dr. Anna Schmidt";
    p.timezone = "Europe/Berlin";
    p.business_name = "Praxis Schmidt";
    bk_id anna;
    check(db, bk_provider_create(db, &p, &anna), "bk_provider_create");

    bk_service s = BK_SERVICE_INIT;
    s.provider = anna;
    s.name = "Consultation";
    s.duration_minutes = 30;
    s.buffer_after_minutes = 10;
    s.price_minor = 6000;
    s.currency = "EUR";
    bk_id consult;
    check(db, bk_service_create(db, &s, &consult), "bk_service_create");

    /* Monday to Friday 09:00-17:00, lunch 12:00-13:00 cut out. */
    for (int wd = 1; wd <= 5; wd++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = anna;
        a.weekday = wd;
        a.start_minute = 9 * 60;
        a.end_minute = 17 * 60;
        check(db, bk_availability_add(db, &a, NULL), "bk_availability_add");
        a.start_minute = 12 * 60;
        a.end_minute = 13 * 60;
        a.is_available = 0;
        check(db, bk_availability_add(db, &a, NULL), "bk_availability_add");
    }

    /* Sunday 29 March, the night clocks go forward: a morning clinic. */
    bk_local_interval sunday[] = {{10 * 60, 12 * 60}};
    bk_override o = BK_OVERRIDE_INIT;
    o.provider = anna;
    o.date = (bk_date){2026, 3, 29};
    o.n_intervals = 1;
    o.intervals = sunday;
    check(db, bk_override_set(db, &o), "bk_override_set");

    /* Thursday afternoon off. */
    bk_blocked vacation = BK_BLOCKED_INIT;
    vacation.provider = anna;
    vacation.start = at("2026-03-26T12:00:00Z");
    vacation.end = at("2026-03-27T00:00:00Z");
    vacation.reason = "conference";
    check(db, bk_blocked_add(db, &vacation, NULL), "bk_blocked_add");

    bk_slot_query q = BK_SLOT_QUERY_INIT;
    q.provider = anna;
    q.service = consult;
    q.from = at("2026-03-23T00:00:00Z");
    q.to = at("2026-03-31T00:00:00Z");
    q.now = at("2026-03-20T12:00:00Z");
    bk_slot *slots = NULL;
    size_t n = 0;
    check(db, bk_slots(db, &q, &slots, &n), "bk_slots");
    printf("Slots, Mon 23 - Mon 30 March 2026 (Berlin | New York):\n");
    print_slots(slots, n);

    /* Book Monday 30 March 09:00 Berlin: after the change, 07:00 UTC. */
    bk_book_request r = BK_BOOK_REQUEST_INIT;
    r.provider = anna;
    r.service = consult;
    r.start = at("2026-03-30T07:00:00Z");
    r.now = q.now;
    r.customer_name = "Jamie Rivera";
    r.customer_email = "jamie@example.com";
    r.customer_timezone = "America/New_York";
    bk_booking *b = NULL;
    check(db, bk_book(db, &r, &b), "bk_book");
    char when[128];
    bk_time_format(b->start, "America/New_York", "en_US", NULL, when, sizeof when);
    printf("\nBooked %s for %s: %s (%s)\n", b->id.s, b->customer_name, when, bk_booking_status_name(b->status));

    /* The same slot for people elsewhere: ICU's interval formatting, with
     * the zone as a name or as an offset. */
    bk_slot booked = {b->start, b->end};
    char shown[256];
    check_nh(db, bk_slot_format(&booked, "Asia/Tokyo", "ja_JP", BK_FORMAT_ZONE_NAME, shown, sizeof shown),
             "bk_slot_format");
    printf("  ja_JP, Asia/Tokyo:       %s\n", shown);
    check_nh(db, bk_slot_format(&booked, "Europe/Berlin", "de_DE", BK_FORMAT_ZONE_OFFSET, shown, sizeof shown),
             "bk_slot_format");
    printf("  de_DE, Europe/Berlin:    %s\n", shown);
    check(db, bk_booking_format(db, &b->id, NULL, "en_US", BK_FORMAT_ZONE_LONG, shown, sizeof shown),
          "bk_booking_format");
    printf("  en_US, customer's zone:  %s\n", shown);
    printf("  (time-zone rules: tz database %s, as ICU has it)\n", bk_tzdata_version());

    /* The booking for the customer's calendar (CRLF lines, shown without the CR). */
    char *ics = NULL;
    check(db, bk_booking_ical(db, &b->id, 0, &ics), "bk_booking_ical");
    printf("\nThe booking as iCalendar (bk_booking_ical):\n");
    for (const char *line = ics; *line;) {
        size_t len = strcspn(line, "\r\n");
        printf("    %.*s\n", (int)len, line);
        line += len;
        line += strspn(line, "\r\n");
    }
    bk_string_free(ics);
    bk_booking_free(b);
    printf("\n");

    r.customer_name = "Someone Else";
    r.customer_email = "else@example.com";
    int rc = bk_book(db, &r, NULL);
    printf("The same slot again: %s (%s)\n", bk_strerror(rc), bk_errmsg(db));

    bk_slot *after = NULL;
    size_t n_after = 0;
    check(db, bk_slots(db, &q, &after, &n_after), "bk_slots");
    printf("\nSlots now: %zu (were %zu): 09:00 is taken and 09:30 is gone too, because the booking's\n"
           "10-minute buffer runs until 09:40.\n",
           n_after, n);
    int still_there = 0;
    for (size_t i = 0; i < n_after; i++)
        still_there |= after[i].start == r.start;
    printf("09:00 on Monday 30 March still offered? %s\n", still_there ? "yes (bug!)" : "no");

    bk_slots_free(slots);
    bk_slots_free(after);
    bk_close(db);
    return (rc == BK_ECONFLICT && !still_there) ? 0 : 1;
}
