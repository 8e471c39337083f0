/* Fuzz target: the scenario loader (src/bkctl/scenario.c), which reads
 * JSON that bkctl users write.  The input is the file's text.
 * Properties: scenario_load returns BK_OK, BK_EINVAL or BK_ECONFLICT (a
 * file's bookings that overlap), with a one-line message naming the file
 * on failure; a loaded scenario's query runs, its slots print as JSON that
 * parses back to the same instants, and it compares with its own
 * "expected" without crashing. */
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "scenario.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    if (fd < 0) {
        /* One in-memory file, rewritten for each input: the loader reads a
         * path, and /proc/self/fd/N names the memfd without touching disk. */
        fd = memfd_create("fuzz_scenario", 0);
        FUZZ_CHECK(fd >= 0, "memfd_create");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    FUZZ_CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size, "writing the memfd");

    bk_db *db = NULL;
    FUZZ_OK(NULL, bk_open(&db, "memory:"));
    scenario sc;
    memset(&sc, 0, sizeof sc);
    char err[512];
    err[0] = '\0';
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    if (rc != BK_OK) {
        FUZZ_CHECK(rc == BK_EINVAL || rc == BK_ECONFLICT, "scenario_load -> %d '%s'", rc, err);
        FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0, "message does not name the file: '%s'", err);
        FUZZ_CHECK(strchr(err, '\n') == NULL, "message is not one line: '%s'", err);
        bk_close(db);
        return 0;
    }

    bk_slot *slots = NULL;
    size_t n = 0;
    rc = bk_slots(db, &sc.query, &slots, &n);
    if (rc == BK_OK) {
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(slots[i].start >= sc.query.from && slots[i].start < sc.query.to, "slot outside the window");
            FUZZ_CHECK(i == 0 || slots[i].start > slots[i - 1].start, "slots not sorted or duplicated");
            FUZZ_CHECK(slots[i].end - slots[i].start == (bk_time)sc.duration_minutes * 60, "slot length");
        }
        char *json = scenario_slots_json(slots, n);
        FUZZ_CHECK(json != NULL, "scenario_slots_json");
        json_error_t jerr;
        json_t *doc = json_loads(json, 0, &jerr);
        FUZZ_CHECK(doc != NULL, "slots JSON does not parse: %s", jerr.text);
        json_t *arr = json_object_get(doc, "slots");
        FUZZ_CHECK(json_is_array(arr) && json_array_size(arr) == n, "slots JSON holds %zu slots, not %zu",
                   json_array_size(arr), n);
        for (size_t i = 0; i < n; i++) {
            bk_time s, e;
            json_t *pair = json_array_get(arr, i);
            FUZZ_CHECK(bk_time_parse_iso(json_string_value(json_array_get(pair, 0)), &s) == BK_OK &&
                           bk_time_parse_iso(json_string_value(json_array_get(pair, 1)), &e) == BK_OK &&
                           s == slots[i].start && e == slots[i].end,
                       "slot %zu printed wrongly", i);
        }
        json_decref(doc);
        free(json);
        char msg[512];
        int cmp = scenario_compare(&sc, slots, n, msg, sizeof msg);
        FUZZ_CHECK(cmp == 0 || cmp == 1 || cmp == -1, "scenario_compare -> %d", cmp);
        FUZZ_CHECK(cmp != -1 || !sc.has_expected, "no usable expected, yet has_expected");
    } else {
        /* The file loaded, so its query must run: bkctl would otherwise
         * accept a file and then fail on it. */
        FUZZ_CHECK(0, "bk_slots on a loaded scenario -> %d '%s'", rc, bk_errmsg(db));
    }
    bk_slots_free(slots);
    for (size_t i = 0; i < sc.n_blocked; i++)
        FUZZ_CHECK(scenario_find_blocked(&sc, &sc.blocked[i].id) == (long)i, "scenario_find_blocked");
    for (size_t i = 0; i < sc.n_bookings; i++)
        FUZZ_CHECK(scenario_find_booking(&sc, &sc.bookings[i].id) == (long)i, "scenario_find_booking");
    scenario_free(&sc);
    bk_close(db);
    return 0;
}
