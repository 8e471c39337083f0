#include "util/strutil.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "util/alloc.h"

int strutil_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            unsigned cc = p[i + k];
            if ((cc & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* An ICU failure as this module's result: ICU running out of memory is
 * out of memory (-2), not bad text. */
static int icu_result(UErrorCode st) { return st == U_MEMORY_ALLOCATION_ERROR ? -2 : -1; }

/* ICU works on UTF-16: convert, normalise, fold (if asked), convert back. */
static int transform(const char *s, int fold, char **out)
{
    *out = NULL;
    UErrorCode st = U_ZERO_ERROR;
    int32_t len16 = 0;
    u_strFromUTF8(NULL, 0, &len16, s, -1, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return icu_result(st);
    int rc = -2;
    UChar *src = bki_malloc(((size_t)len16 + 1) * sizeof(UChar));
    UChar *norm = NULL, *folded = NULL;
    char *utf8 = NULL;
    if (!src)
        goto done;
    st = U_ZERO_ERROR;
    u_strFromUTF8(src, len16 + 1, NULL, s, -1, &st);
    if (U_FAILURE(st)) {
        rc = icu_result(st);
        goto done;
    }
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st)) {
        rc = icu_result(st);
        goto done;
    }
    /* Folding can expand text (German sharp s becomes "ss"): size generously. */
    int32_t cap = len16 * 3 + 1;
    norm = bki_malloc((size_t)cap * sizeof(UChar));
    folded = bki_malloc((size_t)cap * sizeof(UChar));
    if (!norm || !folded)
        goto done;
    int32_t nlen = unorm2_normalize(nfc, src, len16, norm, cap, &st);
    if (fold) {
        int32_t flen = U_SUCCESS(st) ? u_strFoldCase(folded, cap, norm, nlen, U_FOLD_CASE_DEFAULT, &st) : 0;
        /* Folding may denormalise; normalise once more so equal keys compare equal. */
        nlen = U_SUCCESS(st) ? unorm2_normalize(nfc, folded, flen, norm, cap, &st) : 0;
    }
    if (U_FAILURE(st)) {
        rc = icu_result(st);
        goto done;
    }
    int32_t len8 = 0;
    u_strToUTF8(NULL, 0, &len8, norm, nlen, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
        rc = icu_result(st);
        goto done;
    }
    st = U_ZERO_ERROR;
    utf8 = bki_malloc((size_t)len8 + 1);
    if (!utf8)
        goto done;
    u_strToUTF8(utf8, len8 + 1, NULL, norm, nlen, &st);
    if (U_FAILURE(st)) {
        rc = icu_result(st);
        goto done;
    }
    *out = utf8;
    utf8 = NULL;
    rc = 0;
done:
    bki_free(src);
    bki_free(norm);
    bki_free(folded);
    bki_free(utf8);
    return rc;
}

int strutil_fold_key(const char *s, char **out) { return transform(s, 1, out); }

int strutil_nfc(const char *s, char **out) { return transform(s, 0, out); }

void strutil_format(char *buf, size_t size, const char *fmt, ...)
{
    if (!size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = '\0';
}
