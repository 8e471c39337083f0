/* Fuzz target: the parsers of time and zone text.  Input lines:
 *   1. a zone id          -> bk_timezone_valid, bk_timezone_canonical,
 *                            the internal tz tables (tz_zone_get);
 *   2. an instant         -> bk_time_parse_iso;
 *   3. a locale id        -> bk_time_format, bk_slot_format;
 *   4. an ICU skeleton    -> bk_time_format;
 *   5. a few bytes        -> buffer sizes, styles.
 * Properties: the calls return BK_OK or BK_EINVAL (with a message naming
 * the field), never anything else; what parses formats back to the same
 * text; canonical ids are valid and their own canonical form; the zone
 * tables convert local time back to the instant it came from; formatted
 * text is NUL-terminated UTF-8 inside the buffer. */
#include "fuzz.h"

#include "tz/tz.h"
#include "util/strutil.h"

static void check_einval(int rc, const char *call) { fz_check_einval(rc, bk_errmsg(NULL), call); }

static void check_text(const char *buf, size_t size, const char *call)
{
    size_t len = strnlen(buf, size);
    FUZZ_CHECK(len < size, "%s: output not NUL-terminated within %zu bytes", call, size);
    FUZZ_CHECK(strutil_utf8_valid(buf, len), "%s: output is not valid UTF-8", call);
}

static void check_zone(const char *zone, bk_time t)
{
    int valid = bk_timezone_valid(zone);
    if (valid != BK_OK)
        check_einval(valid, "bk_timezone_valid");

    const tz_zone *z = NULL;
    char msg[256];
    int rc = tz_zone_get(zone, &z, msg, sizeof msg);
    FUZZ_CHECK((rc == BK_OK) == (valid == BK_OK), "tz_zone_get -> %d but bk_timezone_valid -> %d", rc, valid);

    char canon[128];
    rc = bk_timezone_canonical(zone, canon, sizeof canon);
    if (valid != BK_OK) {
        check_einval(rc, "bk_timezone_canonical");
        return;
    }
    FUZZ_CHECK(rc == BK_OK, "bk_timezone_canonical('%s') -> %d (%s)", zone, rc, bk_errmsg(NULL));
    FUZZ_CHECK(bk_timezone_valid(canon) == BK_OK, "canonical id '%s' of '%s' is not valid", canon, zone);
    char again[128];
    FUZZ_CHECK(bk_timezone_canonical(canon, again, sizeof again) == BK_OK && strcmp(again, canon) == 0,
               "canonical id '%s' is not its own canonical id ('%s')", canon, again);

    /* A local time read off the table exists, so converting it back gives
     * its first occurrence: t itself or an instant before it with the same
     * local time (a fall-back overlap). */
    int32_t off = tz_offset_at(z, t);
    FUZZ_CHECK(off > -18 * 3600 && off < 18 * 3600, "offset %d s of '%s' at %lld", (int)off, zone, (long long)t);
    int64_t local = tz_utc_to_local(z, t);
    bk_time back = tz_local_to_utc(z, local);
    FUZZ_CHECK(back <= t && t - back <= 86400 && tz_utc_to_local(z, back) == local,
               "'%s': %lld -> local %lld -> %lld", zone, (long long)t, (long long)local, (long long)back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048)
        return 0; /* longer text only repeats what 2 KB can say */
    fz f = {data, size};
    char *zone = fz_line(&f);
    char *iso = fz_line(&f);
    char *locale = fz_line(&f);
    char *skeleton = fz_line(&f);
    size_t buf_size = (size_t)fz_range(&f, 1, 300);
    unsigned style = fz_u8(&f) & 0x0f;

    bk_time t = 1774873800; /* 2026-03-30T12:30:00Z, when line 2 is no instant */
    bk_time parsed;
    int rc = bk_time_parse_iso(iso, &parsed);
    if (rc == BK_OK) {
        FUZZ_CHECK(parsed >= BK_TIME_MIN && parsed < BK_TIME_MAX, "'%s' -> %lld", iso, (long long)parsed);
        char back[BK_ISO_SIZE];
        FUZZ_CHECK(bk_time_format_iso(parsed, back) == BK_OK, "format_iso(%lld)", (long long)parsed);
        FUZZ_CHECK(strcmp(back, iso) == 0, "'%s' parses to %lld, which formats as '%s'", iso, (long long)parsed, back);
        t = parsed;
    } else {
        check_einval(rc, "bk_time_parse_iso");
    }

    check_zone(zone, t);

    char *buf = malloc(buf_size);
    FUZZ_CHECK(buf != NULL, "malloc");
    rc = bk_time_format(t, zone, *locale ? locale : NULL, *skeleton ? skeleton : NULL, buf, buf_size);
    if (rc == BK_OK)
        check_text(buf, buf_size, "bk_time_format");
    else
        check_einval(rc, "bk_time_format");

    bk_slot slot = {t, t + 1800};
    rc = bk_slot_format(&slot, zone, *locale ? locale : NULL, style, buf, buf_size);
    if (rc == BK_OK)
        check_text(buf, buf_size, "bk_slot_format");
    else
        check_einval(rc, "bk_slot_format");

    free(buf);
    free(zone);
    free(iso);
    free(locale);
    free(skeleton);
    return 0;
}
