/* Shared by the libFuzzer targets of tests/fuzz/: reading the fuzzer's
 * bytes as typed values, and the failure report.
 *
 * A target reports a broken property with FUZZ_CHECK, which prints where
 * and aborts: libFuzzer then saves the input as a crash, and tests/fuzz/
 * run.sh turns it into a regression input (README "Hardening").  Plain
 * assert() would vanish under NDEBUG. */
#ifndef BK_FUZZ_H
#define BK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <booking.h>

#include "util/strutil.h"

#define FUZZ_CHECK(cond, ...)                                                                                  \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                            \
            fprintf(stderr, __VA_ARGS__);                                                                      \
            fputc('\n', stderr);                                                                               \
            abort();                                                                                           \
        }                                                                                                      \
    } while (0)

/* A call that the target's own setup makes with valid input: failing is a
 * bug, whatever the fuzzed bytes were. */
#define FUZZ_OK(db, call)                                                                                      \
    do {                                                                                                       \
        int fuzz_rc_ = (call);                                                                                 \
        FUZZ_CHECK(fuzz_rc_ == BK_OK, "%s -> %d %s", #call, fuzz_rc_, bk_errmsg(db));                          \
    } while (0)

/* The input, consumed from the front.  Reading past the end gives zeros,
 * so every input is a valid (if short) program. */
typedef struct fz {
    const uint8_t *p;
    size_t n;
} fz;

static inline uint8_t fz_u8(fz *f)
{
    if (f->n == 0)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint32_t fz_u32(fz *f)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = (v << 8) | fz_u8(f);
    return v;
}

/* An integer in [lo, hi] (hi - lo < 2^32). */
static inline int64_t fz_range(fz *f, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    uint32_t v = span <= 0x100 ? fz_u8(f) : fz_u32(f);
    return lo + (int64_t)(v % span);
}

/* The bytes up to the next '\n' (or the end) as a new NUL-terminated
 * string; the text stops early at a NUL byte, as C strings do. */
static inline char *fz_line(fz *f)
{
    size_t len = 0;
    while (len < f->n && f->p[len] != '\n')
        len++;
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, f->p, len);
    s[len] = '\0';
    f->p += len;
    f->n -= len;
    if (f->n) { /* the '\n' */
        f->p++;
        f->n--;
    }
    return s;
}

/* A string whose length (0..max) is given by the next two bytes; 0xffff
 * means NULL.  Any byte may occur, NUL ends the string early. */
static inline char *fz_str(fz *f, size_t max)
{
    uint16_t len = (uint16_t)(fz_u8(f) << 8);
    len |= fz_u8(f);
    if (len == 0xffff)
        return NULL;
    if (len > max)
        len = (uint16_t)max;
    if (len > f->n)
        len = (uint16_t)f->n;
    char *s = malloc((size_t)len + 1);
    if (!s)
        abort();
    memcpy(s, f->p, len);
    s[len] = '\0';
    f->p += len;
    f->n -= len;
    return s;
}

/* The rest of the input as one NUL-terminated string. */
static inline char *fz_rest(fz *f)
{
    char *s = malloc(f->n + 1);
    if (!s)
        abort();
    memcpy(s, f->p, f->n);
    s[f->n] = '\0';
    f->p += f->n;
    f->n = 0;
    return s;
}

/* 1 if the message of a BK_EINVAL starts with "field:" for one of the
 * NULL-terminated field names: DESIGN.md 5, bad input gets a message
 * naming the field. */
static inline int fz_names_field(const char *msg, const char *const *fields)
{
    for (; *fields; fields++) {
        size_t n = strlen(*fields);
        if (strncmp(msg, *fields, n) == 0 && msg[n] == ':')
            return 1;
    }
    return 0;
}

/* A provider in `zone` working around the clock (seven 00:00-24:00 rows),
 * with one service of `duration` minutes and no notice, for targets that
 * need bookable time. */
static inline void fz_provider(bk_db *db, const char *username, const char *zone, int duration, bk_id *provider,
                               bk_id *service)
{
    char email[96];
    snprintf(email, sizeof email, "%s@example.org", username);
    bk_provider p = BK_PROVIDER_INIT;
    p.username = username;
    p.email = email;
    p.full_name = "Fuzz Provider";
    p.timezone = zone;
    FUZZ_OK(db, bk_provider_create(db, &p, provider));
    bk_service s = BK_SERVICE_INIT;
    s.provider = *provider;
    s.name = "Fuzz service";
    s.duration_minutes = duration;
    FUZZ_OK(db, bk_service_create(db, &s, service));
    for (int wd = 0; wd < 7; wd++) {
        bk_availability a = BK_AVAILABILITY_INIT;
        a.provider = *provider;
        a.weekday = wd;
        a.start_minute = 0;
        a.end_minute = 1440;
        FUZZ_OK(db, bk_availability_add(db, &a, NULL));
    }
}

/* 1 if a BK_EINVAL message starts with a field name and a colon
 * ("timezone: ...", "locale/skeleton: ...", "weekly[2].start: ..."). */
static inline int fz_field_message(const char *msg)
{
    size_t i = 0;
    if (!(msg[0] >= 'a' && msg[0] <= 'z'))
        return 0;
    while ((msg[i] >= 'a' && msg[i] <= 'z') || (msg[i] >= '0' && msg[i] <= '9') || strchr("_./[]-", msg[i]))
        i++;
    return msg[i] == ':' && msg[i + 1] == ' ';
}

/* Messages end up in logs and user interfaces: one line of valid UTF-8,
 * whatever bytes the input that caused them held (the library quotes them,
 * lib/api/validate.c api_quote). */
static inline void fz_check_message(const char *msg, const char *call)
{
    size_t len = strlen(msg);
    FUZZ_CHECK(strutil_utf8_valid(msg, len), "%s: message is not valid UTF-8: '%s'", call, msg);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f, "%s: control character 0x%02x in message '%s'",
                   call, (unsigned char)msg[i], msg);
}

/* The outcome of a call given fuzzed input: BK_OK, or BK_EINVAL with a
 * clean message naming the field. */
static inline void fz_check_einval(int rc, const char *msg, const char *call)
{
    FUZZ_CHECK(rc == BK_EINVAL, "%s -> %d (%s)", call, rc, msg);
    FUZZ_CHECK(fz_field_message(msg), "%s: message names no field: '%s'", call, msg);
    fz_check_message(msg, call);
}

#endif
