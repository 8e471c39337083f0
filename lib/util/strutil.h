/* Text checks and transforms shared by the modules: UTF-8 validity and the
 * case-insensitive key under which usernames and emails are unique. */
#ifndef BK_UTIL_STRUTIL_H
#define BK_UTIL_STRUTIL_H

#include <stddef.h>

/* 1 if s (len bytes) is well-formed UTF-8 without NUL, overlong forms or
 * surrogates, else 0. */
int strutil_utf8_valid(const char *s, size_t len);

/* The NFC-normalised, Unicode case-folded form of UTF-8 text s, newly
 * allocated (bki_free).  Returns 0, -1 on bad text, -2 on out of memory. */
int strutil_fold_key(const char *s, char **out);

/* The NFC-normalised form of UTF-8 text s, newly allocated (bki_free).
 * Returns 0, -1 on bad text, -2 on out of memory. */
int strutil_nfc(const char *s, char **out);

/* snprintf that never fails loudly: truncates, always NUL-terminates. */
void strutil_format(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
