/*
 * The public scenarios (every .json file in tests/scenarios) through the public library:
 * every one must give exactly its `expected` slots, which an independent
 * implementation of DESIGN.md computed.  Also the loader's promises about
 * malformed files: a clear message naming the place, never a crash.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <booking.h>

#include "harness.h"
#include "scenario.h"

/* The file lists are built before the runner forks, so every test process
 * sees them; a loop test's index picks its file. */
typedef struct file_list {
    char **paths;
    size_t n;
} file_list;

static file_list public_files, rrule_files;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_json(const char *dir, file_list *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char **grown = realloc(out->paths, (out->n + 1) * sizeof *grown);
        if (!grown)
            break;
        out->paths = grown;
        size_t size = strlen(dir) + 1 + len + 1;
        out->paths[out->n] = malloc(size);
        if (!out->paths[out->n])
            break;
        snprintf(out->paths[out->n], size, "%s/%s", dir, e->d_name);
        out->n++;
    }
    closedir(d);
    /* Sorted so that test names and their order do not depend on the file
     * system. */
    if (out->n > 1)
        qsort(out->paths, out->n, sizeof *out->paths, cmp_str);
}

static void free_list(file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    l->paths = NULL;
    l->n = 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void iso(bk_time t, char buf[BK_ISO_SIZE])
{
    if (bk_time_format_iso(t, buf) != BK_OK)
        snprintf(buf, BK_ISO_SIZE, "%lld", (long long)t);
}

/* ---- public scenarios ------------------------------------------------- */

START_TEST(test_public_scenario)
{
    const char *path = public_files.paths[_i];
    char err[1024], msg[512];
    bk_db *db = NULL;
    scenario sc;
    bk_slot *slots = NULL;
    size_t n = 0;

    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    ck_assert_msg(rc == BK_OK, "%s: load failed (%s): %s", base_name(path), bk_strerror(rc), err);
    ck_assert_msg(sc.has_expected, "%s: %s", base_name(path), sc.expected_error);

    rc = bk_slots(db, &sc.query, &slots, &n);
    ck_assert_msg(rc == BK_OK, "%s: bk_slots: %s: %s", base_name(path), bk_strerror(rc), bk_errmsg(db));
    ck_assert_msg(n == 0 || slots != NULL, "%s: %zu slots but a NULL array", base_name(path), n);
    int cmp = scenario_compare(&sc, slots, n, msg, sizeof msg);
    ck_assert_msg(cmp == 0, "%s: %s", base_name(path), msg);

    bk_slots_free(slots);
    scenario_free(&sc);
    bk_close(db);
}
END_TEST

static int is_expected_start(const scenario *sc, bk_time t)
{
    size_t lo = 0, hi = sc->n_expected;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sc->expected[mid].start < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sc->n_expected && sc->expected[lo].start == t;
}

static void check_verdict(bk_db *db, const scenario *sc, const char *name, bk_time t, int offered)
{
    char a[BK_ISO_SIZE];
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    iso(t, a);
    int rc = bk_slot_explain(db, &sc->query, t, &v);
    ck_assert_msg(rc == BK_OK, "%s: bk_slot_explain(%s): %s: %s", name, a, bk_strerror(rc), bk_errmsg(db));
    if (offered)
        ck_assert_msg(v.reason == BK_SLOT_OFFERED, "%s: %s is an expected slot but explain says %s: %.256s",
                      name, a, bk_slot_reason_name(v.reason), v.message);
    else
        ck_assert_msg(v.reason != BK_SLOT_OFFERED, "%s: %s is not an expected slot but explain says offered",
                      name, a);
    ck_assert_msg(v.start == t && v.end == t + (bk_time)sc->duration_minutes * 60,
                  "%s: %s: verdict is for [%lld, %lld)", name, a, (long long)v.start, (long long)v.end);
    if (v.reason == BK_SLOT_BLOCKED)
        ck_assert_msg(scenario_find_blocked(sc, &v.related) >= 0,
                      "%s: %s: blocked by '%.36s', not a blocked period of the file", name, a, v.related.s);
    if (v.reason == BK_SLOT_CONFLICT)
        ck_assert_msg(scenario_find_booking(sc, &v.related) >= 0,
                      "%s: %s: conflicts with '%.36s', not a booking of the file", name, a, v.related.s);
}

/* bk_slot_explain must agree with bk_slots (its header says so), and bkctl
 * explain relies on that.  Sampled so that the month-long scenario stays
 * quick under valgrind. */
START_TEST(test_explain_agrees)
{
    const char *path = public_files.paths[_i];
    const char *name = base_name(path);
    char err[1024];
    bk_db *db = NULL;
    scenario sc;

    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    ck_assert_msg(rc == BK_OK, "%s: load failed (%s): %s", name, bk_strerror(rc), err);
    ck_assert_msg(sc.has_expected, "%s: %s", name, sc.expected_error);

    size_t every = sc.n_expected / 200 + 1;
    for (size_t i = 0; i < sc.n_expected; i += every)
        check_verdict(db, &sc, name, sc.expected[i].start, 1);

    /* Five-minute starts catch every grid of the scenarios (steps and
     * offsets are multiples of 5 or 15 minutes) and plenty off it. */
    bk_time span = sc.query.to - sc.query.from;
    bk_time stride = 300 * (span / 300 / 400 + 1);
    for (bk_time t = sc.query.from; t < sc.query.to; t += stride)
        if (!is_expected_start(&sc, t))
            check_verdict(db, &sc, name, t, 0);

    /* Outside the window nothing is offered, whatever the calendar says. */
    if (sc.n_expected > 0) {
        bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
        ck_assert_int_eq(bk_slot_explain(db, &sc.query, sc.query.to, &v), BK_OK);
        ck_assert_msg(v.reason == BK_SLOT_OUTSIDE_WINDOW, "%s: start at query.to: %s", name,
                      bk_slot_reason_name(v.reason));
    }
    scenario_free(&sc);
    bk_close(db);
}
END_TEST

/* ---- recurring scenarios ---------------------------------------------- */

/* The first rule of the file, read independently of the loader. */
static char *first_rrule(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *row;
    size_t i;
    char *rule = NULL;
    json_array_foreach(json_object_get(root, "blocked"), i, row) {
        const char *r = json_string_value(json_object_get(row, "rrule"));
        if (r && *r) {
            rule = strdup(r);
            break;
        }
    }
    json_decref(root);
    return rule;
}

/* Recurring blocked periods are expanded by the library (DESIGN.md 3.4):
 * these files must give their expected slots like the others. */
START_TEST(test_rrule_scenario)
{
    const char *path = rrule_files.paths[_i];
    const char *name = base_name(path);
    char err[1024], msg[512];
    bk_db *db = NULL;
    scenario sc;
    char *rule = first_rrule(path);
    ck_assert_msg(rule != NULL, "%s: no rrule in the file", name);
    free(rule);

    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    ck_assert_msg(rc == BK_OK, "%s: refused: %s", name, err);
    bk_slot *slots = NULL;
    size_t n = 0;
    ck_assert_msg(sc.has_expected, "%s: %s", name, sc.expected_error);
    rc = bk_slots(db, &sc.query, &slots, &n);
    ck_assert_msg(rc == BK_OK, "%s: bk_slots: %s: %s", name, bk_strerror(rc), bk_errmsg(db));
    int cmp = scenario_compare(&sc, slots, n, msg, sizeof msg);
    ck_assert_msg(cmp == 0, "%s: %s", name, msg);
    bk_slots_free(slots);
    scenario_free(&sc);
    bk_close(db);
}
END_TEST

/* ---- malformed files -------------------------------------------------- */

/* A small valid scenario; the malformed ones are this with one change, so
 * that each test breaks exactly one thing. */
static const char base_text[] =
    "{\n"
    " \"name\": \"base\",\n"
    " \"notes\": \"10:00 blocked, 11:00 booked\",\n"
    " \"provider\": {\"timezone\": \"UTC\"},\n"
    " \"weekly\": [{\"weekday\": 1, \"start\": \"09:00\", \"end\": \"12:00\", \"available\": true}],\n"
    " \"overrides\": [{\"date\": \"2026-01-07\", \"intervals\": [[\"10:00\", \"24:00\"]]}],\n"
    " \"blocked\": [{\"start\": \"2026-01-05T10:10:00Z\", \"end\": \"2026-01-05T10:20:00Z\", \"rrule\": null}],\n"
    " \"service\": {\"duration\": 30, \"buffer_before\": 0, \"buffer_after\": 0},\n"
    " \"bookings\": [{\"start\": \"2026-01-05T11:00:00Z\", \"end\": \"2026-01-05T11:30:00Z\",\n"
    "               \"buffer_before\": 0, \"buffer_after\": 0, \"status\": \"confirmed\"}],\n"
    " \"query\": {\"from\": \"2026-01-05T00:00:00Z\", \"to\": \"2026-01-06T00:00:00Z\",\n"
    "           \"now\": \"2000-01-01T00:00:00Z\", \"step\": null, \"notice\": 0, \"horizon_days\": 0},\n"
    " \"expected\": [[\"2026-01-05T09:00:00Z\", \"2026-01-05T09:30:00Z\"],\n"
    "              [\"2026-01-05T09:30:00Z\", \"2026-01-05T10:00:00Z\"],\n"
    "              [\"2026-01-05T10:30:00Z\", \"2026-01-05T11:00:00Z\"],\n"
    "              [\"2026-01-05T11:30:00Z\", \"2026-01-05T12:00:00Z\"]]\n"
    "}\n";

/* base_text with the first `from` replaced by `to`; the test fails if
 * `from` is not there, so a typo in a test cannot test nothing. */
static char *variant(const char *from, const char *to)
{
    const char *at = strstr(base_text, from);
    ck_assert_msg(at != NULL, "test bug: \"%s\" is not in the base scenario", from);
    size_t head = (size_t)(at - base_text), fl = strlen(from), tl = strlen(to);
    size_t total = sizeof base_text - 1 - fl + tl;
    char *s = malloc(total + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, base_text, head);
    memcpy(s + head, to, tl);
    memcpy(s + head + tl, at + fl, sizeof base_text - 1 - head - fl);
    s[total] = '\0';
    return s;
}

static void write_temp(const char *text, size_t len, char path[64])
{
    snprintf(path, 64, "/tmp/bk_scenario_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        ck_assert_msg(w > 0, "write to %s failed", path);
        done += (size_t)w;
    }
    close(fd);
}

/* Loads `text` from a temporary file into a fresh store; the file is gone
 * before any assertion can leave it behind. */
static int load_text_len(const char *text, size_t len, scenario *sc, char *path, char *err, size_t err_size)
{
    bk_db *db = NULL;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    write_temp(text, len, path);
    int rc = scenario_load(path, db, sc, err, err_size);
    unlink(path);
    if (rc == BK_OK)
        scenario_free(sc);
    bk_close(db);
    return rc;
}

static int load_text(const char *text, char *path, char *err, size_t err_size)
{
    scenario sc;
    return load_text_len(text, strlen(text), &sc, path, err, err_size);
}

/* Asserts that `text` is refused with `status` and a one-line message that
 * starts with the file's path and contains each of the needles. */
static void expect_refused(const char *what, const char *text, int status, const char *needle1,
                           const char *needle2)
{
    char path[64], err[1024];
    int rc = load_text(text, path, err, sizeof err);
    ck_assert_msg(rc == status, "%s: got %s, expected %s (%s)", what, bk_strerror(rc), bk_strerror(status), err);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s: message does not start with the file: %s", what,
                  err);
    ck_assert_msg(strchr(err, '\n') == NULL, "%s: message is not one line: %s", what, err);
    if (needle1)
        ck_assert_msg(strstr(err, needle1) != NULL, "%s: no \"%s\" in: %s", what, needle1, err);
    if (needle2)
        ck_assert_msg(strstr(err, needle2) != NULL, "%s: no \"%s\" in: %s", what, needle2, err);
}

static void expect_variant_refused(const char *what, const char *from, const char *to, int status,
                                   const char *needle1, const char *needle2)
{
    char *text = variant(from, to);
    expect_refused(what, text, status, needle1, needle2);
    free(text);
}

START_TEST(test_base_loads)
{
    char path[64], err[1024], msg[512];
    bk_db *db = NULL;
    scenario sc;
    bk_slot *slots = NULL;
    size_t n = 0;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    write_temp(base_text, sizeof base_text - 1, path);
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    unlink(path);
    ck_assert_msg(rc == BK_OK, "base scenario: %s", err);
    ck_assert_str_eq(sc.name, "base");
    ck_assert_int_eq(sc.n_blocked, 1);
    ck_assert_int_eq(sc.n_bookings, 1);
    ck_assert_int_eq(sc.duration_minutes, 30);
    ck_assert_int_eq(bk_slots(db, &sc.query, &slots, &n), BK_OK);
    ck_assert_msg(scenario_compare(&sc, slots, n, msg, sizeof msg) == 0, "base scenario: %s", msg);

    char *json = scenario_slots_json(slots, 1);
    ck_assert_ptr_nonnull(json);
    ck_assert_str_eq(json, "{\"slots\": [[\"2026-01-05T09:00:00Z\", \"2026-01-05T09:30:00Z\"]]}");
    free(json);
    json = scenario_slots_json(NULL, 0);
    ck_assert_ptr_nonnull(json);
    ck_assert_str_eq(json, "{\"slots\": []}");
    free(json);

    /* The explain of a blocked start names the file's blocked period. */
    bk_slot_verdict v = BK_SLOT_VERDICT_INIT;
    ck_assert_int_eq(bk_slot_explain(db, &sc.query, sc.query.from + 10 * 3600, &v), BK_OK);
    ck_assert_int_eq(v.reason, BK_SLOT_BLOCKED);
    ck_assert_int_eq(scenario_find_blocked(&sc, &v.related), 0);
    ck_assert_int_eq(bk_slot_explain(db, &sc.query, sc.query.from + 11 * 3600, &v), BK_OK);
    ck_assert_int_eq(v.reason, BK_SLOT_CONFLICT);
    ck_assert_int_eq(scenario_find_booking(&sc, &v.related), 0);

    bk_slots_free(slots);
    scenario_free(&sc);
    bk_close(db);
}
END_TEST

START_TEST(test_compare_reports_first_difference)
{
    char path[64], err[1024], msg[512];
    bk_db *db = NULL;
    scenario sc;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    write_temp(base_text, sizeof base_text - 1, path);
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    unlink(path);
    ck_assert_msg(rc == BK_OK, "%s", err);
    bk_slot got[4];
    memcpy(got, sc.expected, sizeof got);
    ck_assert_int_eq(scenario_compare(&sc, got, 4, msg, sizeof msg), 0);
    got[2].start += 600;
    ck_assert_int_eq(scenario_compare(&sc, got, 4, msg, sizeof msg), 1);
    ck_assert_msg(strstr(msg, "slot 2") && strstr(msg, "2026-01-05T10:40:00Z") && strstr(msg, "2026-01-05T10:30:00Z"),
                  "%s", msg);
    ck_assert_int_eq(scenario_compare(&sc, got, 2, msg, sizeof msg), 1);
    ck_assert_msg(strstr(msg, "missing") && strstr(msg, "2026-01-05T10:30:00Z"), "%s", msg);
    scenario_free(&sc);
    bk_close(db);
}
END_TEST

START_TEST(test_truncated_json)
{
    char path[64], err[1024];
    scenario sc;
    /* Cut inside the "blocked" line: a syntax error at the end, line 7+. */
    int rc = load_text_len(base_text, sizeof base_text / 2, &sc, path, err, sizeof err);
    ck_assert_int_eq(rc, BK_EINVAL);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s:", path);
    ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "%s", err);
    int line = 0, col = 0;
    ck_assert_msg(sscanf(err + strlen(prefix), "%d:%d:", &line, &col) == 2 && line >= 7 && col > 0,
                  "no FILE:LINE:COL: %s", err);
    ck_assert_msg(strstr(err, "line") != NULL && strstr(err, "column") != NULL, "%s", err);
}
END_TEST

START_TEST(test_syntax_errors)
{
    expect_refused("empty file", "", BK_EINVAL, ":1:", "line 1");
    expect_refused("whitespace only", "  \n\n ", BK_EINVAL, "line", NULL);
    expect_refused("trailing garbage", "{} x", BK_EINVAL, ":1:", "line 1");
    expect_refused("duplicate key", "{\"name\": \"a\",\n \"name\": \"b\"}", BK_EINVAL, ":2:", "duplicate");
    expect_refused("comment", "{// no comments in JSON\n}", BK_EINVAL, "line 1", NULL);
    expect_refused("invalid UTF-8", "{\"name\": \"\xff\xfe\"}", BK_EINVAL, "line 1", NULL);
    expect_refused("NUL escape", "{\"name\": \"a\\u0000b\"}", BK_EINVAL, "line 1", NULL);
    expect_refused("huge integer", "{\"service\": {\"duration\": 1000000000000000000000000}}", BK_EINVAL,
                   "line 1", NULL);
    /* Deeper than jansson's limit: refused, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    ck_assert_ptr_nonnull(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    expect_refused("deep nesting", deep, BK_EINVAL, "line 1", NULL);
    free(deep);
}
END_TEST

START_TEST(test_not_a_scenario)
{
    expect_refused("top-level array", "[1, 2]", BK_EINVAL, "expected a JSON object", NULL);
    expect_refused("empty object", "{}", BK_EINVAL, "query", "missing");
    expect_refused("no provider",
                   "{\"query\": {\"from\": \"2026-01-05T00:00:00Z\", \"to\": \"2026-01-06T00:00:00Z\","
                   " \"now\": \"2026-01-01T00:00:00Z\"}}",
                   BK_EINVAL, "provider", "missing");
}
END_TEST

START_TEST(test_unknown_keys)
{
    expect_variant_refused("top level", "\"name\"", "\"colour\": 1, \"name\"", BK_EINVAL, "unknown key \"colour\"",
                           NULL);
    expect_variant_refused("weekly row", "\"available\"", "\"avaliable\"", BK_EINVAL, "weekly[0]", "avaliable");
    expect_variant_refused("provider", "\"timezone\"", "\"tz\": \"UTC\", \"timezone\"", BK_EINVAL, "provider",
                           "\"tz\"");
    expect_variant_refused("service", "\"buffer_before\"", "\"buffer_befor\"", BK_EINVAL, "service",
                           "buffer_befor");
    expect_variant_refused("query", "\"horizon_days\"", "\"horizon\"", BK_EINVAL, "query", "\"horizon\"");
    expect_variant_refused("booking", "\"status\"", "\"state\": 1, \"status\"", BK_EINVAL, "bookings[0]",
                           "\"state\"");
    expect_variant_refused("blocked", "\"rrule\"", "\"reason\": \"x\", \"rrule\"", BK_EINVAL, "blocked[0]",
                           "\"reason\"");
    expect_variant_refused("override", "\"intervals\"", "\"hours\": [], \"intervals\"", BK_EINVAL,
                           "overrides[0]", "\"hours\"");
    /* A key with a newline keeps the message on one line. */
    expect_variant_refused("control character", "\"name\"", "\"a\\nb\": 1, \"name\"", BK_EINVAL, "unknown key",
                           NULL);
}
END_TEST

START_TEST(test_comment_keys_allowed)
{
    char path[64], err[1024];
    char *text = variant("\"weekday\": 1,", "\"weekday\": 1, \"notes\": \"x\", \"sensitive_to\": [\"dst\"],");
    ck_assert_msg(load_text(text, path, err, sizeof err) == BK_OK, "%s", err);
    free(text);
    text = variant("\"name\"", "\"sensitive_to\": {\"a\": 1}, \"name\"");
    ck_assert_msg(load_text(text, path, err, sizeof err) == BK_OK, "%s", err);
    free(text);
}
END_TEST

START_TEST(test_wrong_types)
{
    expect_variant_refused("duration string", "\"duration\": 30", "\"duration\": \"30\"", BK_EINVAL,
                           "service.duration", "expected an integer");
    expect_variant_refused("duration fraction", "\"duration\": 30", "\"duration\": 30.5", BK_EINVAL,
                           "service.duration", "integer");
    expect_variant_refused("weekday null", "\"weekday\": 1", "\"weekday\": null", BK_EINVAL, "weekly[0].weekday",
                           NULL);
    expect_variant_refused("available string", "\"available\": true", "\"available\": \"yes\"", BK_EINVAL,
                           "weekly[0].available", NULL);
    expect_variant_refused("weekly object",
                           "\"weekly\": [{\"weekday\": 1, \"start\": \"09:00\", \"end\": \"12:00\", \"available\": true}]",
                           "\"weekly\": {\"weekday\": 1}", BK_EINVAL, "weekly", "expected an array");
    expect_variant_refused("provider string", "\"provider\": {\"timezone\": \"UTC\"}", "\"provider\": \"UTC\"",
                           BK_EINVAL, "provider", "expected an object");
    expect_variant_refused("rrule number", "\"rrule\": null", "\"rrule\": 5", BK_EINVAL, "blocked[0].rrule",
                           "string");
    expect_variant_refused("interval triple", "[\"10:00\", \"24:00\"]", "[\"10:00\", \"11:00\", \"12:00\"]",
                           BK_EINVAL, "overrides[0].intervals[0]", NULL);
    expect_variant_refused("status number", "\"status\": \"confirmed\"", "\"status\": 2", BK_EINVAL,
                           "bookings[0].status", NULL);
    expect_variant_refused("from number", "\"from\": \"2026-01-05T00:00:00Z\"", "\"from\": 0", BK_EINVAL,
                           "query.from", NULL);
}
END_TEST

START_TEST(test_bad_values)
{
    expect_variant_refused("hour 25", "\"start\": \"09:00\"", "\"start\": \"25:00\"", BK_EINVAL,
                           "weekly[0].start", "25:00");
    expect_variant_refused("minute 60", "\"end\": \"12:00\"", "\"end\": \"12:60\"", BK_EINVAL, "weekly[0].end",
                           "12:60");
    expect_variant_refused("24:00 start", "\"start\": \"09:00\"", "\"start\": \"24:00\"", BK_EINVAL,
                           "weekly[0].start", NULL);
    expect_variant_refused("H:MM", "\"start\": \"09:00\"", "\"start\": \"9:00\"", BK_EINVAL, "weekly[0].start",
                           "HH:MM");
    expect_variant_refused("end before start", "\"end\": \"12:00\"", "\"end\": \"08:00\"", BK_EINVAL, "weekly[0]",
                           "after start");
    expect_variant_refused("end equals start", "\"end\": \"12:00\"", "\"end\": \"09:00\"", BK_EINVAL, "weekly[0]",
                           "after start");
    expect_variant_refused("override end before start", "[\"10:00\", \"24:00\"]", "[\"10:00\", \"10:00\"]",
                           BK_EINVAL, "overrides[0].intervals[0]", "after start");
    expect_variant_refused("blocked end before start", "\"end\": \"2026-01-05T10:20:00Z\"",
                           "\"end\": \"2026-01-05T10:10:00Z\"", BK_EINVAL, "blocked[0]", "after start");
    expect_variant_refused("booking end before start", "\"end\": \"2026-01-05T11:30:00Z\"",
                           "\"end\": \"2026-01-05T10:30:00Z\"", BK_EINVAL, "bookings[0]", "after start");
    expect_variant_refused("query to before from", "\"to\": \"2026-01-06T00:00:00Z\"",
                           "\"to\": \"2026-01-04T00:00:00Z\"", BK_EINVAL, "query.to", NULL);
    expect_variant_refused("unknown zone", "\"timezone\": \"UTC\"", "\"timezone\": \"Europe/Berlim\"", BK_EINVAL,
                           "provider.timezone", "Europe/Berlim");
    expect_variant_refused("weekday 7", "\"weekday\": 1", "\"weekday\": 7", BK_EINVAL, "weekly[0].weekday", "7");
    expect_variant_refused("weekday -1", "\"weekday\": 1", "\"weekday\": -1", BK_EINVAL, "weekly[0].weekday",
                           NULL);
    expect_variant_refused("unknown status", "\"status\": \"confirmed\"", "\"status\": \"maybe\"", BK_EINVAL,
                           "bookings[0].status", "maybe");
    expect_variant_refused("negative duration", "\"duration\": 30", "\"duration\": -30", BK_EINVAL,
                           "service.duration", NULL);
    expect_variant_refused("zero duration", "\"duration\": 30", "\"duration\": 0", BK_EINVAL, "service.duration",
                           NULL);
    expect_variant_refused("negative buffer", "\"buffer_after\": 0}", "\"buffer_after\": -5}", BK_EINVAL,
                           "service.buffer_after", NULL);
    expect_variant_refused("negative notice", "\"notice\": 0", "\"notice\": -1", BK_EINVAL, "query.notice", NULL);
    expect_variant_refused("int overflow", "\"duration\": 30", "\"duration\": 4294967326", BK_EINVAL,
                           "service.duration", NULL);
    expect_variant_refused("bad instant", "\"from\": \"2026-01-05T00:00:00Z\"",
                           "\"from\": \"2026-01-05 00:00:00\"", BK_EINVAL, "query.from", "2026-01-05 00:00:00");
    expect_variant_refused("bad date", "\"date\": \"2026-01-07\"", "\"date\": \"2026-02-30\"", BK_EINVAL,
                           "overrides[0].date", "2026-02-30");
    expect_variant_refused("duplicate override date", "\"overrides\": [",
                           "\"overrides\": [{\"date\": \"2026-01-07\", \"intervals\": []}, ", BK_EINVAL,
                           "overrides[1].date", "2026-01-07");
    expect_variant_refused("overlapping live bookings", "\"bookings\": [",
                           "\"bookings\": [{\"start\": \"2026-01-05T11:15:00Z\", \"end\": \"2026-01-05T11:45:00Z\","
                           " \"status\": \"pending\"}, ",
                           BK_ECONFLICT, "bookings[1]", NULL);
    expect_variant_refused("unsupported rrule", "\"rrule\": null", "\"rrule\": \"FREQ=SOMETIMES\"", BK_EINVAL,
                           "blocked[0].rrule", "FREQ=SOMETIMES");
    /* A very long bad value is cut in the message, not overflowed. */
    char *long_zone = malloc(20001);
    ck_assert_ptr_nonnull(long_zone);
    memset(long_zone, 'Z', 20000);
    long_zone[20000] = '\0';
    char *repl = malloc(20100);
    ck_assert_ptr_nonnull(repl);
    snprintf(repl, 20100, "\"timezone\": \"%s\"", long_zone);
    expect_variant_refused("long zone", "\"timezone\": \"UTC\"", repl, BK_EINVAL, "provider.timezone", "...");
    free(repl);
    free(long_zone);
}
END_TEST

START_TEST(test_defaults_and_nulls)
{
    char path[64], err[1024];
    /* Optional members may be left out; the sections default to empty. */
    const char *minimal =
        "{\"provider\": {\"timezone\": \"UTC\"}, \"service\": {\"duration\": 30},"
        " \"query\": {\"from\": \"2026-01-05T00:00:00Z\", \"to\": \"2026-01-06T00:00:00Z\","
        " \"now\": \"2026-01-01T00:00:00Z\"}}";
    ck_assert_msg(load_text(minimal, path, err, sizeof err) == BK_OK, "%s", err);
    /* A malformed "expected" does not stop the load: it is not the situation. */
    char *text = variant("\"expected\": [[", "\"expected\": [5, [");
    scenario sc;
    bk_db *db = NULL;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    write_temp(text, strlen(text), path);
    int rc = scenario_load(path, db, &sc, err, sizeof err);
    unlink(path);
    ck_assert_msg(rc == BK_OK, "%s", err);
    ck_assert_int_eq(sc.has_expected, 0);
    ck_assert_msg(strstr(sc.expected_error, "expected[0]") != NULL, "%s", sc.expected_error);
    char msg[256];
    ck_assert_int_eq(scenario_compare(&sc, NULL, 0, msg, sizeof msg), -1);
    scenario_free(&sc);
    bk_close(db);
    free(text);
}
END_TEST

START_TEST(test_bad_arguments)
{
    char err[256];
    scenario sc;
    bk_db *db = NULL;
    ck_assert_int_eq(bk_open(&db, "memory:"), BK_OK);
    ck_assert_int_eq(scenario_load("/nonexistent/dir/x.json", db, &sc, err, sizeof err), BK_EINVAL);
    ck_assert_msg(strstr(err, "/nonexistent/dir/x.json") && strstr(err, "cannot open"), "%s", err);
    ck_assert_int_eq(scenario_load("/tmp", db, &sc, err, sizeof err), BK_EINVAL);
    ck_assert_msg(strstr(err, "directory") != NULL, "%s", err);
    ck_assert_int_eq(scenario_load(NULL, db, &sc, err, sizeof err), BK_EINVAL);
    ck_assert_int_eq(scenario_load("x.json", NULL, &sc, err, sizeof err), BK_EINVAL);
    ck_assert_int_eq(scenario_load("x.json", db, NULL, err, sizeof err), BK_EINVAL);
    /* No room for a message is not a reason to crash. */
    ck_assert_int_eq(scenario_load("/nonexistent", db, &sc, NULL, 0), BK_EINVAL);
    ck_assert_int_eq(scenario_load("/nonexistent", db, &sc, err, 1), BK_EINVAL);
    ck_assert_str_eq(err, "");
    scenario_free(NULL);
    bk_close(db);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenarios");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", harness_scenario_dir());
    list_json(dir, &public_files);
    snprintf(dir, sizeof dir, "%s/rrule", harness_scenario_dir());
    list_json(dir, &rrule_files);

    TCase *tc = tcase_create("base");
    tcase_add_test(tc, test_base_loads);
    suite_add_tcase(s, tc);

    /* One case per file, so the report names the scenario that failed. */
    for (size_t i = 0; i < public_files.n; i++) {
        tc = tcase_create(base_name(public_files.paths[i]));
        tcase_set_timeout(tc, 120);
        tcase_add_loop_test(tc, test_public_scenario, (int)i, (int)i + 1);
        tcase_add_loop_test(tc, test_explain_agrees, (int)i, (int)i + 1);
        suite_add_tcase(s, tc);
    }
    for (size_t i = 0; i < rrule_files.n; i++) {
        tc = tcase_create(base_name(rrule_files.paths[i]));
        tcase_set_timeout(tc, 120);
        tcase_add_loop_test(tc, test_rrule_scenario, (int)i, (int)i + 1);
        suite_add_tcase(s, tc);
    }
    return s;
}

static Suite *loader_suite(void)
{
    Suite *s = suite_create("scenario_loader");
    TCase *tc = tcase_create("malformed");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_compare_reports_first_difference);
    tcase_add_test(tc, test_truncated_json);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_not_a_scenario);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_comment_keys_allowed);
    tcase_add_test(tc, test_wrong_types);
    tcase_add_test(tc, test_bad_values);
    tcase_add_test(tc, test_defaults_and_nulls);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

/* Found no scenario at all: a wrong directory must fail, not pass empty. */
START_TEST(test_found_scenarios)
{
    ck_assert_msg(public_files.n >= 10, "only %zu scenarios in %s", public_files.n, harness_scenario_dir());
    ck_assert_msg(rrule_files.n >= 1, "no scenario in %s/rrule", harness_scenario_dir());
}
END_TEST

int main(void)
{
    Suite *suites[2];
    suites[0] = scenario_suite();
    suites[1] = loader_suite();
    TCase *tc = tcase_create("found");
    tcase_add_test(tc, test_found_scenarios);
    suite_add_tcase(suites[1], tc);
    int rc = harness_run(suites, 2);
    free_list(&public_files);
    free_list(&rrule_files);
    return rc;
}
