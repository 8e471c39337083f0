/*
 * The scenario loader (FORMAT.md).  Strict on purpose: a scenario is
 * attached to bug reports and compared with an independent implementation,
 * so a typo ("buffer_befor") must stop the load instead of silently meaning
 * "0".  Every message names the JSON path of the value at fault so that the
 * user can find it in the file; jansson keeps no positions for values, only
 * for syntax errors, which therefore get LINE:COL instead.
 */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

/* Synthesised identity of the one provider a scenario describes: the file
 * has none, and the library requires them. */
#define SCENARIO_USERNAME "scenario"
#define SCENARIO_EMAIL "scenario@example.invalid"
#define SCENARIO_FULL_NAME "Scenario provider"
#define SCENARIO_SERVICE_NAME "Scenario service"
#define SCENARIO_CUSTOMER_EMAIL "customer@example.invalid"

/* Longest JSON path kept in messages; deeper ones are cut, not overflowed. */
#define PATH_SIZE 96

typedef struct loader {
    const char *file;
    bk_db *db;
    char *err;
    size_t err_size;
} loader;

/* Keys every object may carry besides its own: free text for people and
 * the generator's hints, neither of which changes the situation. */
static const char *const comment_keys[] = {"notes", "sensitive_to"};

static void set_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t size, const char *fmt, ...)
{
    if (!err || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

/* Copies text from the file into a message: control characters (a key
 * with a newline in it) would break the one-line promise, and a 10 MB
 * string would drown it. */
static void printable(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    if (size == 0)
        return;
    for (; *src && i + 1 < size; src++) {
        unsigned char c = (unsigned char)*src;
        dst[i++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (*src && size > 4 && i + 1 >= size)
        memcpy(dst + size - 4, "...", 3);
    dst[i] = '\0';
}

static int fail(loader *ld, int status, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#ifdef __clang_analyzer__
/* clang's analyzer (tests/static/run.sh) does not step into variadic
 * calls, so it cannot see that fail returns its status, never BK_OK.  Said
 * for the analyzer alone. */
#define fail(ld, status, ...) (fail((ld), (status), __VA_ARGS__), (status))
#endif

/* Library and jansson messages quote the input too: keep them on one line. */
static void flatten(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static int(fail)(loader *ld, int status, const char *path, const char *fmt, ...) /* parenthesised: see above */
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    flatten(msg);
    if (path && *path)
        set_err(ld->err, ld->err_size, "%s: %s: %s", ld->file, path, msg);
    else
        set_err(ld->err, ld->err_size, "%s: %s", ld->file, msg);
    return status;
}

/* A library call refused something the loader passed on: its message says
 * which field, the path says where in the file. */
static int fail_lib(loader *ld, int status, const char *path, const char *what)
{
    return fail(ld, status, path, "%s: %s (%s)", what, bk_errmsg(ld->db), bk_strerror(status));
}

/* A path too deep for PATH_SIZE ends in "..." rather than being cut
 * silently into something that looks like another key. */
static void path_done(char *dst, int written)
{
    if (written < 0 || written >= PATH_SIZE)
        memcpy(dst + PATH_SIZE - 4, "...", 4);
}

static void path_key(char *dst, const char *parent, const char *key)
{
    if (parent && *parent)
        path_done(dst, snprintf(dst, PATH_SIZE, "%s.%s", parent, key));
    else
        path_done(dst, snprintf(dst, PATH_SIZE, "%s", key));
}

static void path_index(char *dst, const char *parent, size_t i)
{
    path_done(dst, snprintf(dst, PATH_SIZE, "%s[%zu]", parent, i));
}

static const char *type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "an unknown value";
}

static int check_object(loader *ld, json_t *v, const char *path)
{
    if (!json_is_object(v))
        return fail(ld, BK_EINVAL, path, "expected an object, got %s", type_name(v));
    return BK_OK;
}

static int check_keys(loader *ld, json_t *obj, const char *path,
                      const char *const *allowed, size_t n_allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        int known = 0;
        for (size_t i = 0; i < n_allowed && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        for (size_t i = 0; i < sizeof comment_keys / sizeof *comment_keys && !known; i++)
            known = strcmp(key, comment_keys[i]) == 0;
        if (!known) {
            char list[256] = "", shown[64];
            size_t used = 0;
            for (size_t i = 0; i < n_allowed; i++) {
                int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
                if (w < 0 || (size_t)w >= sizeof list - used)
                    break;
                used += (size_t)w;
            }
            printable(shown, sizeof shown, key);
            return fail(ld, BK_EINVAL, path, "unknown key \"%s\" (known: %s)", shown, list);
        }
    }
    return BK_OK;
}

/* A member that must be there. */
static int need(loader *ld, json_t *obj, const char *path, const char *key, json_t **out)
{
    *out = json_object_get(obj, key);
    if (!*out) {
        char p[PATH_SIZE];
        path_key(p, path, key);
        return fail(ld, BK_EINVAL, p, "missing");
    }
    return BK_OK;
}

static int get_int(loader *ld, json_t *obj, const char *path, const char *key,
                   int required, int dflt, long long min, long long max, int *out)
{
    char p[PATH_SIZE];
    json_t *v = json_object_get(obj, key);
    path_key(p, path, key);
    if (!v) {
        if (required)
            return fail(ld, BK_EINVAL, p, "missing");
        *out = dflt;
        return BK_OK;
    }
    if (!json_is_integer(v))
        return fail(ld, BK_EINVAL, p, "expected an integer, got %s", type_name(v));
    long long x = (long long)json_integer_value(v);
    if (x < min || x > max)
        return fail(ld, BK_EINVAL, p, "must be between %lld and %lld, got %lld", min, max, x);
    *out = (int)x;
    return BK_OK;
}

static int get_string(loader *ld, json_t *v, const char *path, const char **out)
{
    if (!json_is_string(v))
        return fail(ld, BK_EINVAL, path, "expected a string, got %s", type_name(v));
    *out = json_string_value(v);
    return BK_OK;
}

static int parse_instant(loader *ld, json_t *v, const char *path, bk_time *out)
{
    const char *s = NULL;
    int rc = get_string(ld, v, path, &s);
    if (rc != BK_OK)
        return rc;
    if (bk_time_parse_iso(s, out) != BK_OK) {
        char shown[64];
        printable(shown, sizeof shown, s);
        /* The library says why (a year out of its range reads like a
         * format error otherwise). */
        const char *why = bk_errmsg(NULL);
        return fail(ld, BK_EINVAL, path, "expected a UTC instant like 2026-01-05T09:00:00Z, got \"%s\"%s%s%s",
                    shown, *why ? " (" : "", why, *why ? ")" : "");
    }
    return BK_OK;
}

static int get_instant(loader *ld, json_t *obj, const char *path, const char *key, bk_time *out)
{
    char p[PATH_SIZE];
    json_t *v = NULL;
    int rc = need(ld, obj, path, key, &v);
    if (rc != BK_OK)
        return rc;
    path_key(p, path, key);
    return parse_instant(ld, v, p, out);
}

static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "HH:MM" to minutes after midnight; "24:00" only where it can be an end. */
static int parse_hhmm(loader *ld, json_t *v, const char *path, int is_end, int *out)
{
    const char *s = NULL;
    int rc = get_string(ld, v, path, &s);
    if (rc != BK_OK)
        return rc;
    int h = -1, m = -1;
    if (strlen(s) == 5 && s[2] == ':') {
        h = two_digits(s);
        m = two_digits(s + 3);
    }
    int ok = h >= 0 && m >= 0 && m <= 59 && (h <= 23 || (is_end && h == 24 && m == 0));
    if (!ok) {
        char shown[64];
        printable(shown, sizeof shown, s);
        return fail(ld, BK_EINVAL, path, "expected HH:MM between 00:00 and %s, got \"%s\"",
                    is_end ? "24:00" : "23:59", shown);
    }
    *out = h * 60 + m;
    return BK_OK;
}

static int get_hhmm(loader *ld, json_t *obj, const char *path, const char *key, int is_end, int *out)
{
    char p[PATH_SIZE];
    json_t *v = NULL;
    int rc = need(ld, obj, path, key, &v);
    if (rc != BK_OK)
        return rc;
    path_key(p, path, key);
    return parse_hhmm(ld, v, p, is_end, out);
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static int parse_date(loader *ld, json_t *v, const char *path, bk_date *out)
{
    const char *s = NULL;
    int rc = get_string(ld, v, path, &s);
    if (rc != BK_OK)
        return rc;
    int ok = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
    int y = 0, m = 0, d = 0;
    if (ok) {
        int y1 = two_digits(s), y2 = two_digits(s + 2);
        m = two_digits(s + 5);
        d = two_digits(s + 8);
        ok = y1 >= 0 && y2 >= 0 && m >= 1 && m <= 12 && d >= 1;
        y = y1 * 100 + y2;
        /* The library's range: outside it zone rules mean nothing. */
        ok = ok && y >= 1900 && y <= 2199 && d <= days_in_month(y, m);
    }
    if (!ok) {
        char shown[64];
        printable(shown, sizeof shown, s);
        return fail(ld, BK_EINVAL, path, "expected a date YYYY-MM-DD (1900-2199), got \"%s\"", shown);
    }
    out->year = y;
    out->month = m;
    out->day = d;
    return BK_OK;
}

/* The optional arrays: absent means empty, so a hand-written bug report
 * need not spell out "bookings": []. */
static int get_array(loader *ld, json_t *root, const char *key, json_t **out)
{
    json_t *v = json_object_get(root, key);
    *out = v;
    if (v && !json_is_array(v))
        return fail(ld, BK_EINVAL, key, "expected an array, got %s", type_name(v));
    return BK_OK;
}

/* ---- sections, in the order they are created ------------------------- */

typedef struct query_settings {
    int step, notice, horizon_days;
} query_settings;

static int load_query(loader *ld, json_t *root, scenario *sc, query_settings *qs)
{
    static const char *const keys[] = {"from", "to", "now", "step", "notice", "horizon_days"};
    json_t *q = NULL;
    int rc = need(ld, root, "", "query", &q);
    if (rc == BK_OK)
        rc = check_object(ld, q, "query");
    if (rc == BK_OK)
        rc = check_keys(ld, q, "query", keys, sizeof keys / sizeof *keys);
    if (rc == BK_OK)
        rc = get_instant(ld, q, "query", "from", &sc->query.from);
    if (rc == BK_OK)
        rc = get_instant(ld, q, "query", "to", &sc->query.to);
    if (rc == BK_OK)
        rc = get_instant(ld, q, "query", "now", &sc->query.now);
    if (rc != BK_OK)
        return rc;
    if (sc->query.to <= sc->query.from)
        return fail(ld, BK_EINVAL, "query.to", "must be after query.from");
    /* bk_slots would refuse it: say so while reading the file, naming the
     * key (found by tests/fuzz/fuzz_scenario). */
    if (sc->query.to - sc->query.from > BK_SLOT_WINDOW_MAX)
        return fail(ld, BK_EINVAL, "query.to", "the window is longer than 366 days (BK_SLOT_WINDOW_MAX)");

    /* FORMAT.md: a null step means "the duration", as 0 does. */
    json_t *step = json_object_get(q, "step");
    if (step && json_is_null(step))
        qs->step = 0;
    else if ((rc = get_int(ld, q, "query", "step", 0, 0, 0, 1440, &qs->step)) != BK_OK)
        return rc;
    rc = get_int(ld, q, "query", "notice", 0, 0, 0, 525600, &qs->notice);
    if (rc == BK_OK)
        rc = get_int(ld, q, "query", "horizon_days", 0, 0, 0, 3650, &qs->horizon_days);
    return rc;
}

static int load_provider(loader *ld, json_t *root, scenario *sc)
{
    static const char *const keys[] = {"timezone"};
    json_t *p = NULL, *tzv = NULL;
    const char *tz = NULL;
    int rc = need(ld, root, "", "provider", &p);
    if (rc == BK_OK)
        rc = check_object(ld, p, "provider");
    if (rc == BK_OK)
        rc = check_keys(ld, p, "provider", keys, 1);
    if (rc == BK_OK)
        rc = need(ld, p, "provider", "timezone", &tzv);
    if (rc == BK_OK)
        rc = get_string(ld, tzv, "provider.timezone", &tz);
    if (rc != BK_OK)
        return rc;
    /* Checked here rather than left to bk_provider_create so that the
     * message names the file's key and the zone even if the library's
     * wording changes. */
    if (bk_timezone_valid(tz) != BK_OK) {
        char shown[80];
        printable(shown, sizeof shown, tz);
        return fail(ld, BK_EINVAL, "provider.timezone", "unknown time zone \"%s\"", shown);
    }
    bk_provider spec = BK_PROVIDER_INIT;
    spec.username = SCENARIO_USERNAME;
    spec.email = SCENARIO_EMAIL;
    spec.full_name = SCENARIO_FULL_NAME;
    spec.timezone = tz;
    rc = bk_provider_create(ld->db, &spec, &sc->provider);
    if (rc != BK_OK)
        return fail_lib(ld, rc, "provider", "cannot create the provider");
    sc->query.provider = sc->provider;
    return BK_OK;
}

static int load_service(loader *ld, json_t *root, scenario *sc, const query_settings *qs)
{
    static const char *const keys[] = {"duration", "buffer_before", "buffer_after"};
    json_t *s = NULL;
    bk_service spec = BK_SERVICE_INIT;
    int rc = need(ld, root, "", "service", &s);
    if (rc == BK_OK)
        rc = check_object(ld, s, "service");
    if (rc == BK_OK)
        rc = check_keys(ld, s, "service", keys, sizeof keys / sizeof *keys);
    if (rc == BK_OK)
        rc = get_int(ld, s, "service", "duration", 1, 0, 1, 1440, &spec.duration_minutes);
    if (rc == BK_OK)
        rc = get_int(ld, s, "service", "buffer_before", 0, 0, 0, 1440, &spec.buffer_before_minutes);
    if (rc == BK_OK)
        rc = get_int(ld, s, "service", "buffer_after", 0, 0, 0, 1440, &spec.buffer_after_minutes);
    if (rc != BK_OK)
        return rc;
    spec.provider = sc->provider;
    spec.name = SCENARIO_SERVICE_NAME;
    spec.slot_step_minutes = qs->step;
    spec.min_notice_minutes = qs->notice;
    spec.horizon_days = qs->horizon_days;
    spec.active = 1;
    spec.requires_confirmation = 0;
    rc = bk_service_create(ld->db, &spec, &sc->service);
    if (rc != BK_OK)
        return fail_lib(ld, rc, "service", "cannot create the service");
    sc->duration_minutes = spec.duration_minutes;
    sc->query.service = sc->service;
    return BK_OK;
}

static int load_weekly(loader *ld, json_t *root, scenario *sc)
{
    static const char *const keys[] = {"weekday", "start", "end", "available"};
    json_t *arr, *row;
    size_t i;
    int rc = get_array(ld, root, "weekly", &arr);
    if (rc != BK_OK || !arr)
        return rc;
    json_array_foreach(arr, i, row) {
        char p[PATH_SIZE], pa[PATH_SIZE];
        bk_availability spec = BK_AVAILABILITY_INIT;
        path_index(p, "weekly", i);
        if ((rc = check_object(ld, row, p)) != BK_OK ||
            (rc = check_keys(ld, row, p, keys, sizeof keys / sizeof *keys)) != BK_OK ||
            (rc = get_int(ld, row, p, "weekday", 1, 0, 0, 6, &spec.weekday)) != BK_OK ||
            (rc = get_hhmm(ld, row, p, "start", 0, &spec.start_minute)) != BK_OK ||
            (rc = get_hhmm(ld, row, p, "end", 1, &spec.end_minute)) != BK_OK)
            return rc;
        json_t *av = json_object_get(row, "available");
        path_key(pa, p, "available");
        if (av && !json_is_boolean(av))
            return fail(ld, BK_EINVAL, pa, "expected true or false, got %s", type_name(av));
        spec.is_available = av ? json_is_true(av) : 1;
        if (spec.end_minute <= spec.start_minute)
            return fail(ld, BK_EINVAL, p, "end must be after start");
        spec.provider = sc->provider;
        rc = bk_availability_add(ld->db, &spec, NULL);
        if (rc != BK_OK)
            return fail_lib(ld, rc, p, "cannot add the availability row");
    }
    return BK_OK;
}

static int load_overrides(loader *ld, json_t *root, scenario *sc)
{
    static const char *const keys[] = {"date", "intervals"};
    json_t *arr, *row;
    size_t i;
    int rc = get_array(ld, root, "overrides", &arr);
    if (rc != BK_OK || !arr)
        return rc;
    json_array_foreach(arr, i, row) {
        char p[PATH_SIZE], pd[PATH_SIZE], pi[PATH_SIZE];
        json_t *datev = NULL, *ivs = NULL, *iv;
        bk_local_interval intervals[BK_OVERRIDE_MAX_INTERVALS];
        bk_override spec = BK_OVERRIDE_INIT;
        size_t j;
        path_index(p, "overrides", i);
        path_key(pd, p, "date");
        path_key(pi, p, "intervals");
        if ((rc = check_object(ld, row, p)) != BK_OK ||
            (rc = check_keys(ld, row, p, keys, sizeof keys / sizeof *keys)) != BK_OK ||
            (rc = need(ld, row, p, "date", &datev)) != BK_OK ||
            (rc = parse_date(ld, datev, pd, &spec.date)) != BK_OK ||
            (rc = need(ld, row, p, "intervals", &ivs)) != BK_OK)
            return rc;
        /* bk_override_set replaces: a second entry for a date would make the
         * first one silently meaningless. */
        for (size_t k = 0; k < i; k++) {
            const char *other = json_string_value(json_object_get(json_array_get(arr, k), "date"));
            if (other && strcmp(other, json_string_value(datev)) == 0)
                return fail(ld, BK_EINVAL, pd, "date %s already has an override (overrides[%zu])",
                            other, k);
        }
        if (!json_is_array(ivs))
            return fail(ld, BK_EINVAL, pi, "expected an array of [\"HH:MM\", \"HH:MM\"], got %s",
                        type_name(ivs));
        if (json_array_size(ivs) > BK_OVERRIDE_MAX_INTERVALS)
            return fail(ld, BK_EINVAL, pi, "at most %d intervals, got %zu", BK_OVERRIDE_MAX_INTERVALS,
                        json_array_size(ivs));
        json_array_foreach(ivs, j, iv) {
            char pj[PATH_SIZE], pe[PATH_SIZE];
            path_index(pj, pi, j);
            if (!json_is_array(iv) || json_array_size(iv) != 2)
                return fail(ld, BK_EINVAL, pj, "expected [\"HH:MM\", \"HH:MM\"], got %s",
                            json_is_array(iv) ? "an array of another length" : type_name(iv));
            path_index(pe, pj, 0);
            if ((rc = parse_hhmm(ld, json_array_get(iv, 0), pe, 0, &intervals[j].start_minute)) != BK_OK)
                return rc;
            path_index(pe, pj, 1);
            if ((rc = parse_hhmm(ld, json_array_get(iv, 1), pe, 1, &intervals[j].end_minute)) != BK_OK)
                return rc;
            if (intervals[j].end_minute <= intervals[j].start_minute)
                return fail(ld, BK_EINVAL, pj, "end must be after start");
        }
        spec.provider = sc->provider;
        spec.n_intervals = json_array_size(ivs);
        spec.intervals = spec.n_intervals ? intervals : NULL;
        rc = bk_override_set(ld->db, &spec);
        if (rc != BK_OK)
            return fail_lib(ld, rc, p, "cannot set the override");
    }
    return BK_OK;
}

static int load_blocked(loader *ld, json_t *root, scenario *sc)
{
    static const char *const keys[] = {"start", "end", "rrule"};
    json_t *arr, *row;
    size_t i;
    int rc = get_array(ld, root, "blocked", &arr);
    if (rc != BK_OK || !arr || json_array_size(arr) == 0)
        return rc;
    sc->blocked = calloc(json_array_size(arr), sizeof *sc->blocked);
    if (!sc->blocked)
        return fail(ld, BK_ENOMEM, "blocked", "out of memory");
    json_array_foreach(arr, i, row) {
        char p[PATH_SIZE], pr[PATH_SIZE];
        bk_blocked spec = BK_BLOCKED_INIT;
        path_index(p, "blocked", i);
        path_key(pr, p, "rrule");
        if ((rc = check_object(ld, row, p)) != BK_OK ||
            (rc = check_keys(ld, row, p, keys, sizeof keys / sizeof *keys)) != BK_OK ||
            (rc = get_instant(ld, row, p, "start", &spec.start)) != BK_OK ||
            (rc = get_instant(ld, row, p, "end", &spec.end)) != BK_OK)
            return rc;
        if (spec.end <= spec.start)
            return fail(ld, BK_EINVAL, p, "end must be after start");
        json_t *rr = json_object_get(row, "rrule");
        if (rr && !json_is_null(rr) && (rc = get_string(ld, rr, pr, &spec.rrule)) != BK_OK)
            return rc;
        spec.provider = sc->provider;
        rc = bk_blocked_add(ld->db, &spec, &sc->blocked[i].id);
        if (rc != BK_OK) {
            if (spec.rrule && *spec.rrule) {
                /* Until the library expands rules, this is the expected
                 * outcome for rrule/ files: say which rule, verbatim. */
                char shown[200];
                printable(shown, sizeof shown, spec.rrule);
                return fail(ld, rc, pr, "recurring blocked period with rule \"%s\" refused: %s (%s)",
                            shown, bk_errmsg(ld->db), bk_strerror(rc));
            }
            return fail_lib(ld, rc, p, "cannot add the blocked period");
        }
        sc->blocked[i].start = spec.start;
        sc->blocked[i].end = spec.end;
        sc->n_blocked = i + 1;
    }
    return BK_OK;
}

static int load_bookings(loader *ld, json_t *root, scenario *sc)
{
    static const char *const keys[] = {"start", "end", "buffer_before", "buffer_after", "status"};
    json_t *arr, *row;
    size_t i;
    int rc = get_array(ld, root, "bookings", &arr);
    if (rc != BK_OK || !arr || json_array_size(arr) == 0)
        return rc;
    sc->bookings = calloc(json_array_size(arr), sizeof *sc->bookings);
    if (!sc->bookings)
        return fail(ld, BK_ENOMEM, "bookings", "out of memory");
    json_array_foreach(arr, i, row) {
        char p[PATH_SIZE], ps[PATH_SIZE], customer[64];
        json_t *stv = NULL;
        const char *status_name = NULL;
        bk_booking spec;
        memset(&spec, 0, sizeof spec);
        spec.version = BK_BOOKING_VERSION;
        path_index(p, "bookings", i);
        path_key(ps, p, "status");
        if ((rc = check_object(ld, row, p)) != BK_OK ||
            (rc = check_keys(ld, row, p, keys, sizeof keys / sizeof *keys)) != BK_OK ||
            (rc = get_instant(ld, row, p, "start", &spec.start)) != BK_OK ||
            (rc = get_instant(ld, row, p, "end", &spec.end)) != BK_OK ||
            (rc = get_int(ld, row, p, "buffer_before", 0, 0, 0, 1440, &spec.buffer_before_minutes)) != BK_OK ||
            (rc = get_int(ld, row, p, "buffer_after", 0, 0, 0, 1440, &spec.buffer_after_minutes)) != BK_OK ||
            (rc = need(ld, row, p, "status", &stv)) != BK_OK ||
            (rc = get_string(ld, stv, ps, &status_name)) != BK_OK)
            return rc;
        if (spec.end <= spec.start)
            return fail(ld, BK_EINVAL, p, "end must be after start");
        if (bk_booking_status_parse(status_name, &spec.status) != BK_OK) {
            char shown[64];
            printable(shown, sizeof shown, status_name);
            return fail(ld, BK_EINVAL, ps,
                        "unknown status \"%s\" (pending, confirmed, cancelled, completed, no_show)", shown);
        }
        snprintf(customer, sizeof customer, "Scenario customer %zu", i);
        spec.provider = sc->provider;
        spec.service = sc->service;
        spec.customer_name = customer;
        spec.customer_email = SCENARIO_CUSTOMER_EMAIL;
        spec.created_at = spec.updated_at = BK_TIME_UNSET;
        spec.confirmed_at = spec.cancelled_at = BK_TIME_UNSET;
        rc = bk_booking_import(ld->db, &spec, &sc->bookings[i].id);
        if (rc == BK_ECONFLICT)
            return fail_lib(ld, rc, p, "overlaps an earlier live booking of the file");
        if (rc != BK_OK)
            return fail_lib(ld, rc, p, "cannot import the booking");
        sc->bookings[i].start = spec.start;
        sc->bookings[i].end = spec.end;
        sc->n_bookings = i + 1;
    }
    return BK_OK;
}

/* Never fails the load (see scenario.h); only decides has_expected. */
static void load_expected(json_t *root, scenario *sc)
{
    json_t *arr = json_object_get(root, "expected"), *pair;
    size_t i;
    if (!arr) {
        snprintf(sc->expected_error, sizeof sc->expected_error, "the file has no \"expected\"");
        return;
    }
    if (!json_is_array(arr)) {
        snprintf(sc->expected_error, sizeof sc->expected_error, "expected: expected an array, got %s",
                 type_name(arr));
        return;
    }
    size_t n = json_array_size(arr);
    bk_slot *slots = n ? calloc(n, sizeof *slots) : NULL;
    if (n && !slots) {
        snprintf(sc->expected_error, sizeof sc->expected_error, "expected: out of memory");
        return;
    }
    json_array_foreach(arr, i, pair) {
        const char *a = json_string_value(json_array_get(pair, 0));
        const char *b = json_string_value(json_array_get(pair, 1));
        if (!json_is_array(pair) || json_array_size(pair) != 2 || !a || !b ||
            bk_time_parse_iso(a, &slots[i].start) != BK_OK || bk_time_parse_iso(b, &slots[i].end) != BK_OK) {
            snprintf(sc->expected_error, sizeof sc->expected_error,
                     "expected[%zu]: expected [\"START\", \"END\"] as UTC instants", i);
            free(slots);
            return;
        }
    }
    sc->expected = slots;
    sc->n_expected = n;
    sc->has_expected = 1;
}

static int load_root(loader *ld, json_t *root, scenario *sc)
{
    static const char *const keys[] = {"name", "provider", "weekly", "overrides", "blocked",
                                       "service", "bookings", "query", "expected"};
    query_settings qs = {0, 0, 0};
    int rc;
    if (!json_is_object(root))
        return fail(ld, BK_EINVAL, NULL, "expected a JSON object at the top, got %s", type_name(root));
    if ((rc = check_keys(ld, root, "", keys, sizeof keys / sizeof *keys)) != BK_OK)
        return rc;
    json_t *name = json_object_get(root, "name");
    if (json_is_string(name)) {
        sc->name = strdup(json_string_value(name));
        if (!sc->name)
            return fail(ld, BK_ENOMEM, "name", "out of memory");
    }
    /* The query first: it carries the service's step, notice and horizon. */
    if ((rc = load_query(ld, root, sc, &qs)) != BK_OK ||
        (rc = load_provider(ld, root, sc)) != BK_OK ||
        (rc = load_service(ld, root, sc, &qs)) != BK_OK ||
        (rc = load_weekly(ld, root, sc)) != BK_OK ||
        (rc = load_overrides(ld, root, sc)) != BK_OK ||
        (rc = load_blocked(ld, root, sc)) != BK_OK ||
        (rc = load_bookings(ld, root, sc)) != BK_OK)
        return rc;
    load_expected(root, sc);
    return BK_OK;
}

int scenario_load(const char *path, bk_db *db, scenario *out, char *err, size_t err_size)
{
    set_err(err, err_size, "%s", "");
    if (!out) {
        set_err(err, err_size, "scenario_load: out is NULL");
        return BK_EINVAL;
    }
    memset(out, 0, sizeof *out);
    bk_slot_query_init(&out->query);
    if (!path || !db) {
        set_err(err, err_size, "scenario_load: %s is NULL", path ? "db" : "path");
        return BK_EINVAL;
    }
    loader ld = {path, db, err, err_size};

    /* Opened here rather than by json_load_file so that a missing file and
     * a directory get a plain message instead of a parse position. */
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return fail(&ld, BK_EINVAL, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            fclose(f);
        return fail(&ld, BK_EINVAL, NULL, "is a directory, not a scenario file");
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    if (!is_stdin)
        fclose(f);
    if (!root) {
        if (jerr.line < 1)
            return fail(&ld, BK_EINVAL, NULL, "cannot read: %s", jerr.text);
        flatten(jerr.text);
        set_err(err, err_size, "%s:%d:%d: invalid JSON at line %d, column %d: %s", path, jerr.line,
                jerr.column, jerr.line, jerr.column, jerr.text);
        return BK_EINVAL;
    }
    int rc = load_root(&ld, root, out);
    json_decref(root);
    if (rc != BK_OK)
        scenario_free(out);
    return rc;
}

void scenario_free(scenario *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->blocked);
    free(s->bookings);
    free(s->expected);
    memset(s, 0, sizeof *s);
}

static long find_item(const scenario_item *items, size_t n, const bk_id *id)
{
    if (!id || !id->s[0])
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].id.s, id->s) == 0)
            return (long)i;
    return -1;
}

long scenario_find_blocked(const scenario *s, const bk_id *id)
{
    return s ? find_item(s->blocked, s->n_blocked, id) : -1;
}

long scenario_find_booking(const scenario *s, const bk_id *id)
{
    return s ? find_item(s->bookings, s->n_bookings, id) : -1;
}

char *scenario_slots_json(const bk_slot *slots, size_t n)
{
    json_t *root = json_object(), *arr = json_array();
    char *text = NULL;
    if (!root || !arr || json_object_set(root, "slots", arr) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        char a[BK_ISO_SIZE], b[BK_ISO_SIZE];
        if (bk_time_format_iso(slots[i].start, a) != BK_OK || bk_time_format_iso(slots[i].end, b) != BK_OK)
            goto done;
        json_t *pair = json_pack("[ss]", a, b);
        if (!pair || json_array_append_new(arr, pair) != 0)
            goto done;
    }
    /* No JSON_COMPACT and no indent: one line with ", " and ": ", the
     * layout of FORMAT.md's examples, so the output reads like `expected`. */
    text = json_dumps(root, JSON_INDENT(0));
done:
    json_decref(arr);
    json_decref(root);
    return text;
}

static void fmt_slot(char *dst, size_t size, const bk_slot *s)
{
    char a[BK_ISO_SIZE], b[BK_ISO_SIZE];
    if (bk_time_format_iso(s->start, a) != BK_OK)
        snprintf(a, sizeof a, "%lld", (long long)s->start);
    if (bk_time_format_iso(s->end, b) != BK_OK)
        snprintf(b, sizeof b, "%lld", (long long)s->end);
    snprintf(dst, size, "[%s, %s]", a, b);
}

int scenario_compare(const scenario *s, const bk_slot *slots, size_t n, char *msg, size_t msg_size)
{
    char got[64], want[64];
    if (!s || !s->has_expected) {
        set_err(msg, msg_size, "%s", s ? s->expected_error : "no scenario");
        return -1;
    }
    size_t common = n < s->n_expected ? n : s->n_expected;
    for (size_t i = 0; i < common; i++) {
        if (slots[i].start != s->expected[i].start || slots[i].end != s->expected[i].end) {
            fmt_slot(got, sizeof got, &slots[i]);
            fmt_slot(want, sizeof want, &s->expected[i]);
            set_err(msg, msg_size, "slot %zu: got %s, expected %s (%zu slots, %zu expected)", i, got,
                    want, n, s->n_expected);
            return 1;
        }
    }
    if (n > common) {
        fmt_slot(got, sizeof got, &slots[common]);
        set_err(msg, msg_size, "got %zu slots, expected %zu: first extra slot %zu is %s", n,
                s->n_expected, common, got);
        return 1;
    }
    if (s->n_expected > common) {
        fmt_slot(want, sizeof want, &s->expected[common]);
        set_err(msg, msg_size, "got %zu slots, expected %zu: first missing slot %zu is %s", n,
                s->n_expected, common, want);
        return 1;
    }
    set_err(msg, msg_size, "%zu slots as expected", n);
    return 0;
}
