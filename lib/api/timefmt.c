/* Instants as text: the ISO 8601 form of the scenario format, and
 * localised display through ICU. */
#include <stdio.h>
#include <string.h>

#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/uloc.h>
#include <unicode/ustring.h>

#include "api/api.h"
#include "util/civil.h"
#include "util/strutil.h"

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

BK_API int bk_time_parse_iso(const char *text, bk_time *out)
{
    api_thread_begin();
    if (!out)
        return api_fail(NULL, BK_EINVAL, "out: NULL");
    if (!text)
        return api_fail(NULL, BK_EINVAL, "time: NULL");
    int y, mo, d, h, mi, s;
    if (strnlen(text, 21) != 20 || !digits(text, 4, &y) || text[4] != '-' || !digits(text + 5, 2, &mo) ||
        text[7] != '-' || !digits(text + 8, 2, &d) || text[10] != 'T' || !digits(text + 11, 2, &h) ||
        text[13] != ':' || !digits(text + 14, 2, &mi) || text[16] != ':' || !digits(text + 17, 2, &s) ||
        text[19] != 'Z') {
        char q[200];
        return api_fail(NULL, BK_EINVAL, "time: '%s' is not YYYY-MM-DDTHH:MM:SSZ", api_quote(q, sizeof q, text, 40));
    }
    if (!civil_date_valid(y, mo, d) || h > 23 || mi > 59 || s > 59)
        return api_fail(NULL, BK_EINVAL, "time: '%s' is not a valid instant in 1900-2199", text);
    *out = civil_days_from_date(y, mo, d) * 86400 + (bk_time)h * 3600 + (bk_time)mi * 60 + s;
    return BK_OK;
}

BK_API int bk_time_format_iso(bk_time t, char buf[BK_ISO_SIZE])
{
    api_thread_begin();
    if (!buf)
        return api_fail(NULL, BK_EINVAL, "buf: NULL");
    buf[0] = '\0';
    if (t < BK_TIME_MIN || t >= BK_TIME_MAX)
        return api_fail(NULL, BK_EINVAL, "time: %lld is outside the supported years 1900-2199", (long long)t);
    int y, mo, d;
    int64_t days = civil_floor_div(t, 86400), secs = civil_floor_mod(t, 86400);
    civil_date_from_days(days, &y, &mo, &d);
    /* The range check bounds every field; the wide buffer only spares the
     * compiler from proving it. */
    char wide[64];
    snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
    memcpy(buf, wide, BK_ISO_SIZE - 1);
    buf[BK_ISO_SIZE - 1] = '\0';
    return BK_OK;
}

BK_API int bk_timezone_valid(const char *zone)
{
    api_thread_begin();
    char msg[256];
    const tz_zone *z;
    if (!zone)
        return api_fail(NULL, BK_EINVAL, "timezone: NULL");
    int rc = tz_zone_get(zone, &z, msg, sizeof msg);
    return rc == BK_OK ? BK_OK : api_fail(NULL, rc, "%s", msg);
}

BK_API int bk_time_format(bk_time t, const char *zone, const char *locale, const char *skeleton, char *buf,
                          size_t buf_size)
{
    api_thread_begin();
    if (!buf || buf_size == 0)
        return api_fail(NULL, BK_EINVAL, "buf: NULL or empty");
    buf[0] = '\0';
    int rc = bk_timezone_valid(zone);
    if (rc != BK_OK)
        return rc;
    if (t < BK_TIME_MIN || t >= BK_TIME_MAX)
        return api_fail(NULL, BK_EINVAL, "time: %lld is outside the supported years 1900-2199", (long long)t);
    if (!locale)
        locale = "en_US";
    if (!skeleton)
        skeleton = "yMMMdEEEjmz";
    if (strlen(skeleton) > 100)
        return api_fail(NULL, BK_EINVAL, "skeleton: longer than 100 bytes");
    char canon[ULOC_FULLNAME_CAPACITY];
    if ((rc = v_locale(NULL, locale, canon, sizeof canon)) != BK_OK)
        return rc;
    locale = canon;

    UErrorCode st = U_ZERO_ERROR;
    UChar uzone[128], uskel[128], pattern[256], result[512];
    u_strFromUTF8(uzone, 128, NULL, zone, -1, &st);
    u_strFromUTF8(uskel, 128, NULL, skeleton, -1, &st);
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return api_fail(NULL, BK_ENOMEM, "out of memory (ICU)");
    if (U_FAILURE(st))
        return api_fail(NULL, BK_EINVAL, "skeleton: not valid text");
    UDateTimePatternGenerator *gen = udatpg_open(locale, &st);
    int32_t plen = U_SUCCESS(st) ? udatpg_getBestPattern(gen, uskel, -1, pattern, 256, &st) : 0;
    udatpg_close(gen);
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return api_fail(NULL, BK_ENOMEM, "out of memory (ICU)");
    if (U_FAILURE(st))
        return api_fail(NULL, BK_EINVAL, "locale/skeleton: ICU cannot format '%s' for '%s' (%s)", skeleton, locale,
                        u_errorName(st));
    UDateFormat *fmt = udat_open(UDAT_PATTERN, UDAT_PATTERN, locale, uzone, -1, pattern, plen, &st);
    int32_t rlen = U_SUCCESS(st) ? udat_format(fmt, (UDate)t * 1000.0, result, 512, NULL, &st) : 0;
    udat_close(fmt);
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return api_fail(NULL, BK_ENOMEM, "out of memory (ICU)");
    if (U_FAILURE(st))
        return api_fail(NULL, BK_EINVAL, "locale: ICU cannot format for '%s' (%s)", locale, u_errorName(st));
    int32_t need = 0;
    u_strToUTF8(NULL, 0, &need, result, rlen, &st);
    st = U_ZERO_ERROR;
    if ((size_t)need + 1 > buf_size)
        return api_fail(NULL, BK_EINVAL, "buf_size: %zu bytes is too small, %d needed", buf_size, need + 1);
    u_strToUTF8(buf, (int32_t)buf_size, NULL, result, rlen, &st);
    if (U_FAILURE(st)) {
        buf[0] = '\0';
        return api_fail(NULL, BK_EINVAL, "buf: conversion failed (%s)", u_errorName(st));
    }
    return BK_OK;
}
