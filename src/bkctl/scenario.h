/*
 * Scenario files (tests/scenarios/FORMAT.md): one provider's situation plus
 * one slot query in a JSON file.  The loader is shared by bkctl, the test
 * suite and the benchmark, so that all three read a file the same way.
 *
 * It uses only the public API: a scenario that loads here loads the same in
 * any program linked against libbooking.
 */
#ifndef BKCTL_SCENARIO_H
#define BKCTL_SCENARIO_H

#include <stddef.h>

#include <booking.h>

/* A record the file created, remembered with its position in the file so
 * that a message about it (bkctl explain) can point the user at it. */
typedef struct scenario_item {
    bk_id id;
    bk_time start;
    bk_time end;
} scenario_item;

typedef struct scenario {
    char *name;                 /* "name", or NULL when absent */
    bk_id provider;
    bk_id service;
    int duration_minutes;
    bk_slot_query query;        /* ready for bk_slots / bk_slot_explain */

    scenario_item *blocked;     /* blocked[i] = the file's "blocked"[i] */
    size_t n_blocked;
    scenario_item *bookings;    /* bookings[i] = the file's "bookings"[i] */
    size_t n_bookings;

    /* "expected" is not part of the situation, so a malformed one does not
     * stop the file from loading (FORMAT.md: the loader ignores it); it only
     * leaves has_expected = 0 and says why in expected_error. */
    int has_expected;
    bk_slot *expected;          /* NULL when n_expected is 0 */
    size_t n_expected;
    char expected_error[256];
} scenario;

/*
 * Reads the scenario at `path` and creates it in `db` (normally a fresh
 * "memory:" store) through the public API.
 *
 * Returns BK_OK, or a status with a one-line message in err:
 *  - BK_EINVAL for anything wrong with the file: unreadable, invalid JSON
 *    ("PATH:LINE:COL: ..."), an unknown key, a wrong type, a value out of
 *    range or refused by the library ("PATH: weekly[2].start: ..."), a
 *    recurring blocked period the library does not support;
 *  - BK_ECONFLICT when two live bookings of the file overlap;
 *  - another library status (BK_ENOMEM, ...) when the library failed.
 * The library's own message (bk_errmsg) is part of err when it refused.
 *
 * On failure *out holds nothing to free, and db may hold part of the
 * scenario: close it.  On success release *out with scenario_free().
 */
int scenario_load(const char *path, bk_db *db, scenario *out, char *err, size_t err_size);

/* Frees what scenario_load put in *s and zeroes it.  Accepts a zeroed one. */
void scenario_free(scenario *s);

/* The index of the blocked period / booking with that id, or -1. */
long scenario_find_blocked(const scenario *s, const bk_id *id);
long scenario_find_booking(const scenario *s, const bk_id *id);

/*
 * The slots as bkctl prints them: {"slots": [["START", "END"], ...]} on one
 * line, ", " and ": " as separators, instants as bk_time_format_iso writes
 * them.  Returns a string to free with free(), or NULL (out of memory, or
 * an instant outside the range the library formats).
 */
char *scenario_slots_json(const bk_slot *slots, size_t n);

/*
 * Compares slots with s->expected.  Returns 0 when equal; otherwise 1 and a
 * description of the first difference (with ISO instants) in msg.  When the
 * file has no usable "expected", returns -1 and says why in msg.
 */
int scenario_compare(const scenario *s, const bk_slot *slots, size_t n, char *msg, size_t msg_size);

#endif
