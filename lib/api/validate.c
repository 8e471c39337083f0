/* Input checks: every failure is BK_EINVAL with the field named. */
#include <stdio.h>
#include <string.h>

#include <unicode/ucurr.h>

#include "api/api.h"
#include "util/alloc.h"
#include "util/civil.h"
#include "util/strutil.h"
#include "util/uuid.h"

/* Length of the well-formed UTF-8 character at p, else 0. */
static size_t utf8_char_len(const char *p)
{
    unsigned c = (unsigned char)*p;
    size_t need = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!need || strnlen(p, need) < need || !strutil_utf8_valid(p, need))
        return 0;
    return need;
}

const char *api_quote(char *buf, size_t size, const char *s, size_t max)
{
    size_t n = 0, taken = 0;
    if (!size)
        return "";
    while (*s && taken < max) {
        size_t len = utf8_char_len(s);
        unsigned c = (unsigned char)*s;
        if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7F))) {
            if (n + 4 >= size)
                break;
            snprintf(buf + n, size - n, "\\x%02X", c);
            n += 4;
            len = 1;
        } else {
            if (n + len >= size)
                break;
            memcpy(buf + n, s, len);
            n += len;
        }
        s += len;
        taken += len;
    }
    if (*s && n + 3 < size) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

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
    if (!at || at == s || !at[1] || strchr(at + 1, '@')) {
        char q[200];
        return api_fail(db, BK_EINVAL, "%s: '%s' is not an email address (one '@' between two non-empty parts)",
                        field, api_quote(q, sizeof q, s, 60));
    }
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ')
            return api_fail(db, BK_EINVAL, "%s: must not contain spaces or control characters", field);
    return BK_OK;
}

static int text_result(bk_db *db, const char *field, int r)
{
    return r == -2 ? api_fail(db, BK_ENOMEM, "out of memory") : api_fail(db, BK_EINVAL, "%s: not valid text", field);
}

int api_email_forms(bk_db *db, const char *field, const char *email, api_email *out)
{
    out->nfc = out->key = NULL;
    int rc = v_email(db, field, email, 1);
    if (rc)
        return rc;
    int r = strutil_nfc(email, &out->nfc);
    if (r == 0)
        r = strutil_fold_key(email, &out->key);
    if (r == 0)
        return BK_OK;
    api_email_free(out);
    return text_result(db, field, r);
}

void api_email_free(api_email *e)
{
    bki_free(e->nfc);
    bki_free(e->key);
    e->nfc = e->key = NULL;
}

int api_login_key(bk_db *db, const char *field, const char *login, char **key)
{
    *key = NULL;
    int rc = v_text(db, field, login, 1, 254);
    if (rc)
        return rc;
    int r = strutil_fold_key(login, key);
    return r == 0 ? BK_OK : text_result(db, field, r);
}

int v_zone(bk_db *db, const char *field, const char *zone, const tz_zone **out)
{
    if (!zone)
        return api_fail(db, BK_EINVAL, "%s: required", field);
    char msg[256];
    const tz_zone *z = NULL;
    int rc = tz_zone_get(zone, &z, msg, sizeof msg);
    if (rc != BK_OK) {
        /* The zone module says "timezone: ..."; name the caller's field. */
        const char *detail = strncmp(msg, "timezone: ", 10) == 0 ? msg + 10 : msg;
        return api_fail(db, rc, "%s: %s", field, rc == BK_ENOMEM ? "out of memory loading a time zone" : detail);
    }
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
        code[2] > 'Z') {
        char q[64];
        return api_fail(db, BK_EINVAL, "%s: '%s' is not an ISO 4217 code (three upper-case letters)", field,
                        api_quote(q, sizeof q, code, 10));
    }
    UChar iso[4] = {(UChar)code[0], (UChar)code[1], (UChar)code[2], 0};
    UErrorCode st = U_ZERO_ERROR;
    /* Any currency that was legal tender at some time is accepted. */
    UBool known = ucurr_isAvailable(iso, -1e15, 1e15, &st);
    if (st == U_MEMORY_ALLOCATION_ERROR)
        return api_fail(db, BK_ENOMEM, "%s: out of memory (ICU) checking '%s'", field, code);
    if (!known || U_FAILURE(st))
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
    if (strnlen(text, 37) != 36 || !uuid_valid(text)) {
        char q[200];
        return api_fail(NULL, BK_EINVAL, "id: '%s' is not a UUID", api_quote(q, sizeof q, text, 40));
    }
    for (size_t i = 0; i < 36; i++) {
        char c = text[i];
        out->s[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    out->s[36] = '\0';
    return BK_OK;
}
