/* Input checks: every failure is BK_EINVAL with the field named. */
#include <string.h>

#include <unicode/ucurr.h>

#include "api/api.h"
#include "util/civil.h"
#include "util/strutil.h"
#include "util/uuid.h"

int v_nonnull(bk_db *db, const char *field, const void *p)
{
    return p ? BK_OK : api_fail(db, BK_EINVAL, "%s: NULL", field);
}

int v_version(bk_db *db, const char *field, unsigned got, unsigned current)
{
    if (got == 0 || got > current)
        return api_fail(db, BK_EINVAL,
                        "%s.version: %u is not a struct version this library knows (1..%u); "
                        "initialise the struct with its _INIT macro",
                        field, got, current);
    return BK_OK;
}

int v_text(bk_db *db, const char *field, const char *s, int required, size_t max_len)
{
    if (!s)
        return required ? api_fail(db, BK_EINVAL, "%s: required", field) : BK_OK;
    size_t len = strnlen(s, max_len + 1);
    if (required && len == 0)
        return api_fail(db, BK_EINVAL, "%s: must not be empty", field);
    if (len > max_len)
        return api_fail(db, BK_EINVAL, "%s: longer than %zu bytes", field, max_len);
    if (!strutil_utf8_valid(s, len))
        return api_fail(db, BK_EINVAL, "%s: not valid UTF-8", field);
    return BK_OK;
}

int v_email(bk_db *db, const char *field, const char *s, int required)
{
    int rc = v_text(db, field, s, required, 254);
    if (rc != BK_OK || !s)
        return rc;
    if (!required && !*s)
        return BK_OK;
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@'))
        return api_fail(db, BK_EINVAL, "%s: '%s' is not an email address (one '@' between two non-empty parts)",
                        field, s);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ')
            return api_fail(db, BK_EINVAL, "%s: must not contain spaces or control characters", field);
    return BK_OK;
}

int v_zone(bk_db *db, const char *field, const char *zone, const tz_zone **out)
{
    if (!zone)
        return api_fail(db, BK_EINVAL, "%s: required", field);
    char msg[256];
    const tz_zone *z = NULL;
    int rc = tz_zone_get(zone, &z, msg, sizeof msg);
    if (rc != BK_OK)
        return api_fail(db, rc, "%s", rc == BK_ENOMEM ? "out of memory loading a time zone" : msg);
    if (out)
        *out = z;
    return BK_OK;
}

int v_id(bk_db *db, const char *field, const bk_id *id)
{
    if (!id)
        return api_fail(db, BK_EINVAL, "%s: NULL", field);
    if (!memchr(id->s, '\0', sizeof id->s) || !uuid_valid(id->s))
        return api_fail(db, BK_EINVAL, "%s: not a UUID", field);
    /* Ids are compared as text: only the canonical lower-case form names a record. */
    for (size_t i = 0; i < 36; i++)
        if (id->s[i] >= 'A' && id->s[i] <= 'F')
            return api_fail(db, BK_EINVAL, "%s: not in lower case (bk_id_parse normalises)", field);
    return BK_OK;
}

int v_time(bk_db *db, const char *field, bk_time t)
{
    if (t < BK_TIME_MIN || t >= BK_TIME_MAX)
        return api_fail(db, BK_EINVAL, "%s: %lld is outside the supported years 1900-2199", field, (long long)t);
    return BK_OK;
}

int v_int(bk_db *db, const char *field, long long v, long long lo, long long hi)
{
    if (v < lo || v > hi)
        return api_fail(db, BK_EINVAL, "%s: %lld is outside %lld..%lld", field, v, lo, hi);
    return BK_OK;
}

int v_date(bk_db *db, const char *field, const bk_date *d)
{
    if (!d)
        return api_fail(db, BK_EINVAL, "%s: NULL", field);
    if (!civil_date_valid(d->year, d->month, d->day))
        return api_fail(db, BK_EINVAL, "%s: %04d-%02d-%02d is not a date in 1900-2199", field, d->year, d->month,
                        d->day);
    return BK_OK;
}

int v_currency(bk_db *db, const char *field, const char *code)
{
    if (!code)
        return api_fail(db, BK_EINVAL, "%s: required", field);
    if (strlen(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2] < 'A' ||
        code[2] > 'Z')
        return api_fail(db, BK_EINVAL, "%s: '%.10s' is not an ISO 4217 code (three upper-case letters)", field, code);
    UChar iso[4] = {(UChar)code[0], (UChar)code[1], (UChar)code[2], 0};
    UErrorCode st = U_ZERO_ERROR;
    /* Any currency that was legal tender at some time is accepted. */
    if (!ucurr_isAvailable(iso, -1e15, 1e15, &st) || U_FAILURE(st))
        return api_fail(db, BK_EINVAL, "%s: '%s' is not an ISO 4217 currency", field, code);
    return BK_OK;
}

int v_local_interval(bk_db *db, const char *field, int start_minute, int end_minute)
{
    if (start_minute < 0 || end_minute > 1440 || start_minute >= end_minute)
        return api_fail(db, BK_EINVAL, "%s: [%d, %d) must satisfy 0 <= start < end <= 1440 (minutes)", field,
                        start_minute, end_minute);
    return BK_OK;
}

int api_new_id(bk_db *db, bk_id *out)
{
    if (uuid_generate(out) != 0)
        return api_fail(db, BK_ESTORE, "id: the system gave no random bytes");
    return BK_OK;
}

BK_API int bk_id_parse(const char *text, bk_id *out)
{
    api_thread_begin();
    if (!out)
        return api_fail(NULL, BK_EINVAL, "out: NULL");
    memset(out, 0, sizeof *out);
    if (!text)
        return api_fail(NULL, BK_EINVAL, "id: NULL");
    if (strnlen(text, 37) != 36 || !uuid_valid(text))
        return api_fail(NULL, BK_EINVAL, "id: '%.40s' is not a UUID", text);
    for (size_t i = 0; i < 36; i++) {
        char c = text[i];
        out->s[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    out->s[36] = '\0';
    return BK_OK;
}
