/*
 * bkctl's JSON documents for the store commands (README, "bkctl on a
 * store"): every record as an object with every field of its struct, under
 * the member's name; instants as "YYYY-MM-DDTHH:MM:SSZ" (null when unset),
 * local times of day as "HH:MM", dates as "YYYY-MM-DD", optional strings
 * as null when absent, booking statuses by name.
 *
 * Each builder returns a new reference, or NULL when out of memory (or for
 * a string jansson refuses: the library only stores valid UTF-8).
 */
#ifndef BKCTL_JSON_OUT_H
#define BKCTL_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>

#include <booking.h>
#include <jansson.h>

/* Room for "HH:MM" (00:00 .. 24:00) and for "YYYY-MM-DD", NUL included. */
#define JO_HHMM_SIZE 6
#define JO_DATE_SIZE 11

/* t as ISO text; an instant the library cannot format (outside
 * [BK_TIME_MIN, BK_TIME_MAX)) as its number of seconds. */
void jo_fmt_time(bk_time t, char buf[BK_ISO_SIZE]);
/* A minute of the day (0..1440) as "HH:MM". */
void jo_fmt_minute(int minute, char buf[JO_HHMM_SIZE]);
void jo_fmt_date(const bk_date *d, char buf[JO_DATE_SIZE]);

/* "BK_ECONFLICT" for BK_ECONFLICT, ...; "BK_E?" for an unknown value. */
const char *jo_status_name(int status);

json_t *jo_provider(const bk_provider *p);
json_t *jo_service(const bk_service *s);
json_t *jo_availability(const bk_availability *a);
json_t *jo_override(const bk_override *o);
json_t *jo_blocked(const bk_blocked *b);
json_t *jo_booking(const bk_booking *b);
/* [["START", "END"], ...] */
json_t *jo_slots(const bk_slot *slots, size_t n);
/* {"error": "BK_E...", "status": N, "message": "..."} */
json_t *jo_error(int status, const char *message);

/* Writes doc on one line (", " and ": " separators) and a newline to `to`,
 * then releases doc.  0, or -1 when doc is NULL or the write failed. */
int jo_print(json_t *doc, FILE *to);

#endif
