/* iCalendar (RFC 5545) output: bookings as VEVENTs in one VCALENDAR, with
 * an optional VTIMEZONE built from ICU's rules.  A pure module: it gets the
 * records it writes from its caller (lib/api/display.c) and never touches a
 * store.
 *
 * What it writes:
 *  - content lines ending in CRLF, folded so that no physical line is longer
 *    than 75 octets (the CRLF not counted), a continuation line starting with
 *    one space, never inside a UTF-8 sequence or a backslash escape;
 *  - TEXT values escaped as RFC 5545 3.3.11 says (backslash, semicolon,
 *    comma; a newline, CRLF or lone CR becomes \n); control characters
 *    TEXT may not hold (all but TAB) become U+FFFD;
 *  - parameter values (CN) with RFC 6868 caret encoding (^^, ^n, ^') and in
 *    double quotes when they hold ':', ';' or ',';
 *  - mailto: addresses with the bytes a URI may not hold percent-encoded;
 *  - date-times in UTC ("...Z"), or, for a zone, as TZID=<zone> local times
 *    with one VTIMEZONE.  A local time that names two instants (the second
 *    pass through a fall-back hour) would be read as the first one
 *    (RFC 5545 3.3.5), so such an instant is written in UTC instead. */
#ifndef BK_CALENDAR_ICAL_H
#define BK_CALENDAR_ICAL_H

#include <stddef.h>

#include "booking.h"
#include "tz/tz.h"

/* One booking as a VEVENT. */
typedef struct ical_event {
    const bk_booking *booking;
    const char *summary;         /* SUMMARY (required) */
    const char *organizer_name;  /* ORGANIZER;CN=... */
    const char *organizer_email; /* ...:mailto:... */
    /* 1: the customer as ATTENDEE;CN=..;ROLE=REQ-PARTICIPANT (REQUEST and
     * CANCEL); 0: as CONTACT;ALTREP="mailto:..":name, since RFC 5546 3.2.1
     * allows no ATTENDEE in a PUBLISH. */
    int customer_as_attendee;
} ical_event;

typedef struct ical_calendar {
    const char *method; /* METHOD value: "REQUEST", "CANCEL", "PUBLISH" */
    const ical_event *events;
    size_t n_events;
    /* NULL: every date-time in UTC.  Else local times in this zone (`tzid`
     * names it in TZID parameters and the VTIMEZONE; `zone` is its table,
     * for the local times), with a VTIMEZONE whose observances cover the
     * events' years, the year before and the year after. */
    const tz_zone *zone;
    const char *tzid;
    bk_time now; /* DTSTAMP when a booking has no updated_at */
} ical_calendar;

/* Writes the calendar into a new NUL-terminated string (*out, bki_free).
 * BK_OK; BK_ENOMEM; BK_EINVAL if ICU cannot give the zone's rules (then a
 * message is written into msg).  On error *out is NULL. */
int ical_write(const ical_calendar *cal, char **out, char *msg, size_t msg_size);

#endif
