#include "rrule.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/civil.h"

enum { RR_DAILY, RR_WEEKLY, RR_MONTHLY, RR_YEARLY };

/* RFC 5545 weekday codes, indexed like civil_weekday (0 = Sunday). */
static const char *const weekday_codes[7] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
static const char *const weekday_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};

/* Every BYxxx list is held as bit sets: fixed size (the rule is one
 * allocation plus its EXDATE array), duplicates collapse by themselves, and
 * a membership test is a shift. */
struct rrule {
    int freq;
    int64_t interval;
    int64_t count; /* 0: no COUNT */
    int has_until;
    bk_time until;
    int wkst; /* 0 = SU .. 6 = SA */

    int has_byday;
    unsigned byday_plain;  /* bit w: every weekday w */
    int has_byday_ord;     /* some entry has an ordinal */
    uint64_t byday_pos[7]; /* bit n (1..53): the n-th weekday w of the month or year */
    uint64_t byday_neg[7]; /* bit n: the n-th last */

    int has_bymonthday;
    uint32_t bymd_pos; /* bit n (1..31): day n */
    uint32_t bymd_neg; /* bit n: the n-th last day */

    int has_bymonth;
    unsigned bymonth; /* bit m (1..12) */

    int has_setpos;
    uint64_t setpos_pos[6]; /* bit n (1..366): the n-th day of the period's set */
    uint64_t setpos_neg[6]; /* bit n: the n-th last */

    bk_time *exdates; /* sorted, unique; NULL when none */
    size_t n_exdates;
};

#define DAY 86400

/* The most days one period holds (a leap year). */
#define PERIOD_DAYS_MAX 366

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* Offending input is quoted in messages, but it is arbitrary bytes from a
 * caller: cut it short and escape anything that is not printable ASCII, so
 * that a message is always small, valid UTF-8 and one line.  Returns buf. */
#define QUOTE_SIZE 200
static const char *quote(char buf[QUOTE_SIZE], const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t limit = n > 40 ? 40 : n, o = 0;
    for (size_t i = 0; i < limit; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (limit < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(char *msg, size_t msg_size, const char *fmt, ...)
{
    if (msg && msg_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return BK_EINVAL;
}

static int fail_nomem(char *msg, size_t msg_size)
{
    if (msg && msg_size)
        snprintf(msg, msg_size, "rrule: out of memory");
    return BK_ENOMEM;
}

static int upper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }

/* Case-insensitive equality of token s (n bytes) and an upper-case literal. */
static int tok_is(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n != l)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (upper((unsigned char)s[i]) != lit[i])
            return 0;
    return 1;
}

/* Case-insensitive prefix test. */
static int starts_with(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && tok_is(s, l, lit);
}

/* 1 to max_digits decimal digits and nothing else. */
static int parse_digits(const char *s, size_t n, size_t max_digits, int64_t *v)
{
    if (n == 0 || n > max_digits)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

static int parse_weekday(const char *s, size_t n)
{
    for (int w = 0; w < 7; w++)
        if (tok_is(s, n, weekday_codes[w]))
            return w;
    return -1;
}

/* YYYYMMDDTHHMMSSZ, a real Gregorian date-time (years 1..9999, so that a
 * far "forever" UNTIL such as 99991231T235959Z is accepted). */
static int parse_utc(const char *s, size_t n, bk_time *out)
{
    int64_t y, mo, d, h, mi, se;
    if (n != 16 || upper((unsigned char)s[8]) != 'T' || upper((unsigned char)s[15]) != 'Z')
        return -1;
    if (parse_digits(s, 4, 4, &y) || parse_digits(s + 4, 2, 2, &mo) || parse_digits(s + 6, 2, 2, &d) ||
        parse_digits(s + 9, 2, 2, &h) || parse_digits(s + 11, 2, 2, &mi) || parse_digits(s + 13, 2, 2, &se))
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > civil_days_in_month((int)y, (int)mo) || h > 23 || mi > 59 || se > 59)
        return -1;
    *out = civil_days_from_date((int)y, (int)mo, (int)d) * DAY + h * 3600 + mi * 60 + se;
    return 0;
}

static void bit_set(uint64_t *words, int n) { words[n / 64] |= (uint64_t)1 << (n % 64); }
static int bit_get(const uint64_t *words, int n) { return (int)((words[n / 64] >> (n % 64)) & 1); }

/* Optional sign and 1..max_digits digits in [1, max]; *neg says the sign. */
static int parse_signed(const char *s, size_t n, size_t max_digits, int64_t max, int64_t *v, int *neg)
{
    *neg = 0;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        *neg = s[0] == '-';
        s++;
        n--;
    }
    if (parse_digits(s, n, max_digits, v) || *v < 1 || *v > max)
        return -1;
    return 0;
}

enum part_id {
    P_FREQ,
    P_UNTIL,
    P_COUNT,
    P_INTERVAL,
    P_BYDAY,
    P_BYMONTHDAY,
    P_BYMONTH,
    P_BYSETPOS,
    P_WKST,
    P_UNSUPPORTED,
};

#define KEEPS_TIME " (an occurrence keeps the period's local time of day)"

static const struct {
    const char *name;
    enum part_id id;
    const char *why; /* P_UNSUPPORTED: the end of the message */
} part_table[] = {
    {"FREQ", P_FREQ, NULL},
    {"UNTIL", P_UNTIL, NULL},
    {"COUNT", P_COUNT, NULL},
    {"INTERVAL", P_INTERVAL, NULL},
    {"BYDAY", P_BYDAY, NULL},
    {"BYMONTHDAY", P_BYMONTHDAY, NULL},
    {"BYMONTH", P_BYMONTH, NULL},
    {"BYSETPOS", P_BYSETPOS, NULL},
    {"WKST", P_WKST, NULL},
    /* Known to RFC 5545 but refused by name, so that the message says
     * "not supported" rather than "unknown". */
    {"BYSECOND", P_UNSUPPORTED, KEEPS_TIME},
    {"BYMINUTE", P_UNSUPPORTED, KEEPS_TIME},
    {"BYHOUR", P_UNSUPPORTED, KEEPS_TIME},
    {"BYYEARDAY", P_UNSUPPORTED, ""},
    {"BYWEEKNO", P_UNSUPPORTED, ""},
};
#define N_PARTS (sizeof part_table / sizeof part_table[0])

/* One comma-separated list item of BYDAY / BYMONTHDAY / BYMONTH / BYSETPOS. */
static int parse_item(rrule *r, enum part_id id, const char *name, const char *s, size_t n, const char **ord_item,
                      size_t *ord_len, char *msg, size_t msg_size)
{
    int64_t v;
    int neg;
    char q[QUOTE_SIZE];
    if (n == 0)
        return fail(msg, msg_size, "rrule: %s: empty list item", name);
    switch (id) {
    case P_BYDAY: {
        /* [+|-][1*2DIGIT]weekday: the weekday is the last two bytes. */
        int w = n >= 2 ? parse_weekday(s + n - 2, 2) : -1;
        if (w < 0)
            return fail(msg, msg_size, "rrule: %s: '%s' is not a weekday (SU, MO, TU, WE, TH, FR, SA)", name,
                        quote(q, s, n));
        if (n == 2) {
            r->byday_plain |= 1u << w;
            return BK_OK;
        }
        if (parse_signed(s, n - 2, 2, 53, &v, &neg))
            return fail(msg, msg_size, "rrule: %s: '%s' is not a weekday after an ordinal 1..53 or -53..-1", name,
                        quote(q, s, n));
        (neg ? r->byday_neg : r->byday_pos)[w] |= (uint64_t)1 << v;
        if (!r->has_byday_ord) {
            r->has_byday_ord = 1;
            *ord_item = s;
            *ord_len = n;
        }
        return BK_OK;
    }
    case P_BYMONTHDAY:
        if (parse_signed(s, n, 2, 31, &v, &neg))
            return fail(msg, msg_size, "rrule: %s: '%s' is not a day 1..31 or -31..-1", name, quote(q, s, n));
        if (neg)
            r->bymd_neg |= (uint32_t)1 << v;
        else
            r->bymd_pos |= (uint32_t)1 << v;
        return BK_OK;
    case P_BYMONTH:
        if (parse_digits(s, n, 2, &v) || v < 1 || v > 12)
            return fail(msg, msg_size, "rrule: %s: '%s' is not a month 1..12", name, quote(q, s, n));
        r->bymonth |= 1u << v;
        return BK_OK;
    case P_BYSETPOS:
        if (parse_signed(s, n, 3, PERIOD_DAYS_MAX, &v, &neg))
            return fail(msg, msg_size, "rrule: %s: '%s' is not a position 1..366 or -366..-1", name, quote(q, s, n));
        bit_set(neg ? r->setpos_neg : r->setpos_pos, (int)v);
        return BK_OK;
    default:
        return BK_EINVAL; /* not a list part: unreachable */
    }
}

/* Parses an RRULE value (no "RRULE:" prefix) into r. */
static int parse_value(rrule *r, const char *text, size_t len, char *msg, size_t msg_size)
{
    int seen[N_PARTS] = {0};
    int have_freq = 0;
    const char *ord_item = NULL;
    size_t ord_len = 0;
    char q[QUOTE_SIZE];

    r->interval = 1;
    r->wkst = 1; /* RFC 5545: WKST defaults to MO */

    if (len == 0)
        return fail(msg, msg_size, "rrule: empty rule");
    const char *p = text, *end = text + len;
    for (;;) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *pe = semi ? semi : end;
        size_t plen = (size_t)(pe - p);
        if (plen == 0)
            return fail(msg, msg_size, "rrule: empty part (a stray ';')");
        const char *eq = memchr(p, '=', plen);
        if (!eq)
            return fail(msg, msg_size, "rrule: '%s' is not a NAME=VALUE part", quote(q, p, plen));
        size_t nlen = (size_t)(eq - p);
        const char *v = eq + 1;
        size_t vlen = (size_t)(pe - v);

        size_t k = 0;
        while (k < N_PARTS && !tok_is(p, nlen, part_table[k].name))
            k++;
        if (k == N_PARTS)
            return fail(msg, msg_size, "rrule: unknown part '%s'", quote(q, p, nlen));
        const char *name = part_table[k].name;
        enum part_id id = part_table[k].id;
        if (id == P_UNSUPPORTED)
            return fail(msg, msg_size, "rrule: %s is not supported%s", name, part_table[k].why);
        if (seen[k])
            return fail(msg, msg_size, "rrule: %s appears twice", name);
        seen[k] = 1;
        if (vlen == 0)
            return fail(msg, msg_size, "rrule: %s: empty value", name);

        int64_t n;
        switch (id) {
        case P_FREQ:
            if (tok_is(v, vlen, "DAILY"))
                r->freq = RR_DAILY;
            else if (tok_is(v, vlen, "WEEKLY"))
                r->freq = RR_WEEKLY;
            else if (tok_is(v, vlen, "MONTHLY"))
                r->freq = RR_MONTHLY;
            else if (tok_is(v, vlen, "YEARLY"))
                r->freq = RR_YEARLY;
            else if (tok_is(v, vlen, "SECONDLY") || tok_is(v, vlen, "MINUTELY") || tok_is(v, vlen, "HOURLY"))
                return fail(msg, msg_size, "rrule: %s=%s is not supported (DAILY, WEEKLY, MONTHLY, YEARLY are)", name,
                            quote(q, v, vlen));
            else
                return fail(msg, msg_size, "rrule: %s: '%s' is not a frequency", name, quote(q, v, vlen));
            have_freq = 1;
            break;
        case P_UNTIL:
            if (parse_utc(v, vlen, &r->until))
                return fail(msg, msg_size, "rrule: %s: '%s' is not a UTC date-time YYYYMMDDTHHMMSSZ", name,
                            quote(q, v, vlen));
            r->has_until = 1;
            break;
        case P_COUNT:
            if (parse_digits(v, vlen, 6, &n) || n < 1 || n > RRULE_COUNT_MAX)
                return fail(msg, msg_size, "rrule: %s: '%s' is not an integer 1..100000", name, quote(q, v, vlen));
            r->count = n;
            break;
        case P_INTERVAL:
            if (parse_digits(v, vlen, 6, &n) || n < 1 || n > RRULE_INTERVAL_MAX)
                return fail(msg, msg_size, "rrule: %s: '%s' is not an integer 1..100000", name, quote(q, v, vlen));
            r->interval = n;
            break;
        case P_WKST: {
            int w = parse_weekday(v, vlen);
            if (w < 0)
                return fail(msg, msg_size, "rrule: %s: '%s' is not a weekday (SU, MO, TU, WE, TH, FR, SA)", name,
                            quote(q, v, vlen));
            r->wkst = w;
            break;
        }
        case P_BYDAY:
        case P_BYMONTHDAY:
        case P_BYMONTH:
        case P_BYSETPOS: {
            const char *item = v;
            for (;;) {
                const char *comma = memchr(item, ',', (size_t)(pe - item));
                const char *ie = comma ? comma : pe;
                int rc = parse_item(r, id, name, item, (size_t)(ie - item), &ord_item, &ord_len, msg, msg_size);
                if (rc)
                    return rc;
                if (!comma)
                    break;
                item = comma + 1;
            }
            if (id == P_BYDAY)
                r->has_byday = 1;
            else if (id == P_BYMONTHDAY)
                r->has_bymonthday = 1;
            else if (id == P_BYMONTH)
                r->has_bymonth = 1;
            else
                r->has_setpos = 1;
            break;
        }
        case P_UNSUPPORTED:
            break;
        }
        if (!semi)
            break;
        p = semi + 1;
    }

    /* Checks across parts, in RFC 5545's words. */
    if (!have_freq)
        return fail(msg, msg_size, "rrule: FREQ is missing");
    if (r->count && r->has_until)
        return fail(msg, msg_size, "rrule: COUNT and UNTIL together");
    if (r->has_byday_ord && r->freq != RR_MONTHLY && r->freq != RR_YEARLY)
        return fail(msg, msg_size, "rrule: BYDAY: '%s' has an ordinal, which needs FREQ=MONTHLY or FREQ=YEARLY",
                    quote(q, ord_item, ord_len));
    if (r->has_bymonthday && r->freq == RR_WEEKLY)
        return fail(msg, msg_size, "rrule: BYMONTHDAY is not allowed with FREQ=WEEKLY");
    if (r->has_setpos && !r->has_byday && !r->has_bymonthday && !r->has_bymonth)
        return fail(msg, msg_size, "rrule: BYSETPOS needs another BYxxx part (BYDAY, BYMONTHDAY or BYMONTH)");
    return BK_OK;
}

static int cmp_time(const void *a, const void *b)
{
    bk_time x = *(const bk_time *)a, y = *(const bk_time *)b;
    return (x > y) - (x < y);
}

/* Appends the instants of an EXDATE value ("t1,t2,...") to *arr. */
static int parse_exdate_list(const char *s, size_t n, bk_time **arr, size_t *len, size_t *cap, char *msg,
                             size_t msg_size)
{
    const char *end = s + n;
    char q[QUOTE_SIZE];
    if (n == 0)
        return fail(msg, msg_size, "rrule: EXDATE: empty value");
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *ie = comma ? comma : end;
        bk_time t;
        if (parse_utc(s, (size_t)(ie - s), &t))
            return fail(msg, msg_size, "rrule: EXDATE: '%s' is not a UTC date-time YYYYMMDDTHHMMSSZ",
                        quote(q, s, (size_t)(ie - s)));
        void *grown = *arr; /* through a void *, not a cast of bk_time ** */
        if (bki_grow(&grown, cap, *len + 1, sizeof **arr))
            return fail_nomem(msg, msg_size);
        *arr = grown;
        (*arr)[(*len)++] = t;
        if (!comma)
            return BK_OK;
        s = comma + 1;
    }
}

int rrule_parse(const char *text, const bk_time *exdates, size_t n_exdates, rrule **out, char *msg, size_t msg_size)
{
    if (msg && msg_size)
        msg[0] = '\0';
    if (!out)
        return fail(msg, msg_size, "rrule: no place for the result");
    *out = NULL;
    if (!text)
        return fail(msg, msg_size, "rrule: empty rule");
    if (n_exdates && !exdates)
        return fail(msg, msg_size, "rrule: EXDATE: NULL list");

    rrule *r = bki_calloc(1, sizeof *r);
    if (!r)
        return fail_nomem(msg, msg_size);
    bk_time *ex = NULL;
    size_t n_ex = 0, cap = 0;
    int rc = BK_OK;
    char q[QUOTE_SIZE];

    size_t len = strlen(text);
    /* Content lines when the text says so; otherwise a bare RRULE value. */
    if (memchr(text, '\n', len) || starts_with(text, len, "RRULE:") || starts_with(text, len, "EXDATE")) {
        const char *line = text, *end = text + len;
        int have_rrule = 0;
        while (line < end && rc == BK_OK) {
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            const char *le = nl ? nl : end;
            const char *next = nl ? nl + 1 : end;
            if (le > line && le[-1] == '\r')
                le--;
            size_t ll = (size_t)(le - line);
            if (ll == 0) {
                /* blank lines (a trailing newline) carry nothing */
            } else if (starts_with(line, ll, "RRULE:")) {
                if (have_rrule)
                    rc = fail(msg, msg_size, "rrule: more than one RRULE line");
                else
                    rc = parse_value(r, line + 6, ll - 6, msg, msg_size);
                have_rrule = 1;
            } else if (starts_with(line, ll, "EXDATE:")) {
                rc = parse_exdate_list(line + 7, ll - 7, &ex, &n_ex, &cap, msg, msg_size);
            } else if (starts_with(line, ll, "EXDATE;")) {
                /* TZID= or VALUE=DATE would need rules of their own; the
                 * UTC form is unambiguous. */
                rc = fail(msg, msg_size,
                          "rrule: EXDATE: parameters are not supported (only UTC date-times YYYYMMDDTHHMMSSZ)");
            } else {
                rc = fail(msg, msg_size, "rrule: unknown line '%s' (only RRULE: and EXDATE: lines are accepted)",
                          quote(q, line, ll));
            }
            line = next;
        }
        if (rc == BK_OK && !have_rrule)
            rc = fail(msg, msg_size, "rrule: no RRULE line");
    } else {
        rc = parse_value(r, text, len, msg, msg_size);
    }

    if (rc == BK_OK && n_exdates) {
        void *grown = ex;
        if (n_exdates > SIZE_MAX / sizeof *ex - n_ex || bki_grow(&grown, &cap, n_ex + n_exdates, sizeof *ex)) {
            rc = fail_nomem(msg, msg_size);
        } else {
            ex = grown;
            memcpy(ex + n_ex, exdates, n_exdates * sizeof *ex);
            n_ex += n_exdates;
        }
    }
    if (rc != BK_OK) {
        bki_free(ex);
        bki_free(r);
        return rc;
    }
    if (n_ex) {
        qsort(ex, n_ex, sizeof *ex, cmp_time);
        size_t u = 1;
        for (size_t i = 1; i < n_ex; i++)
            if (ex[i] != ex[u - 1])
                ex[u++] = ex[i];
        r->exdates = ex;
        r->n_exdates = u;
    } else {
        bki_free(ex);
    }
    *out = r;
    return BK_OK;
}

void rrule_free(rrule *r)
{
    if (!r)
        return;
    bki_free(r->exdates);
    bki_free(r);
}

/* ------------------------------------------------------------------ */
/* Expansion                                                           */
/* ------------------------------------------------------------------ */

/* The rule resolved against its DTSTART: RFC 5545's defaults filled in. */
typedef struct plan {
    const rrule *r;
    int64_t d0;  /* DTSTART's civil day in the zone */
    int64_t tod; /* DTSTART's seconds after local midnight */
    int y0, m0, md0, wd0;
    int64_t w0; /* WEEKLY: the first day (WKST) of DTSTART's week */
    int use_byday;
    unsigned byday_plain;
    int use_md;
    uint32_t bymd_pos, bymd_neg;
    unsigned bymonth; /* 0: any month */
    int ord_in_year;  /* BYDAY ordinals count within the year, not the month */
} plan;

static void plan_init(plan *p, const rrule *r, const tz_zone *zone, bk_time first_start)
{
    memset(p, 0, sizeof *p);
    p->r = r;
    int64_t L0 = tz_utc_to_local(zone, first_start);
    p->d0 = civil_floor_div(L0, DAY);
    p->tod = L0 - p->d0 * DAY;
    civil_date_from_days(p->d0, &p->y0, &p->m0, &p->md0);
    p->wd0 = civil_weekday(p->d0);
    p->w0 = p->d0 - civil_floor_mod(p->wd0 - r->wkst, 7);

    p->use_byday = r->has_byday;
    p->byday_plain = r->byday_plain;
    p->use_md = r->has_bymonthday;
    p->bymd_pos = r->bymd_pos;
    p->bymd_neg = r->bymd_neg;
    p->bymonth = r->has_bymonth ? r->bymonth : 0;
    /* RFC 5545: what the rule leaves open comes from DTSTART. */
    if (!r->has_byday && !r->has_bymonthday) {
        if (r->freq == RR_WEEKLY) {
            p->use_byday = 1;
            p->byday_plain = 1u << p->wd0;
        } else if (r->freq == RR_MONTHLY) {
            p->use_md = 1;
            p->bymd_pos = (uint32_t)1 << p->md0;
        } else if (r->freq == RR_YEARLY) {
            p->use_md = 1;
            p->bymd_pos = (uint32_t)1 << p->md0;
            if (!r->has_bymonth)
                p->bymonth = 1u << p->m0;
        }
    }
    p->ord_in_year = r->freq == RR_YEARLY && !r->has_bymonth;
}

/* Days [*ps, *pe) of period k (k = 0 holds DTSTART). */
static void period_range(const plan *p, int64_t k, int64_t *ps, int64_t *pe)
{
    const rrule *r = p->r;
    switch (r->freq) {
    case RR_DAILY:
        *ps = p->d0 + k * r->interval;
        *pe = *ps + 1;
        return;
    case RR_WEEKLY:
        *ps = p->w0 + 7 * k * r->interval;
        *pe = *ps + 7;
        return;
    case RR_MONTHLY: {
        int64_t mi = (int64_t)p->y0 * 12 + (p->m0 - 1) + k * r->interval;
        int y = (int)civil_floor_div(mi, 12), m = (int)civil_floor_mod(mi, 12) + 1;
        *ps = civil_days_from_date(y, m, 1);
        *pe = *ps + civil_days_in_month(y, m);
        return;
    }
    default: {
        int y = (int)(p->y0 + k * r->interval);
        *ps = civil_days_from_date(y, 1, 1);
        *pe = civil_days_from_date(y + 1, 1, 1);
        return;
    }
    }
}

/* The first period that can hold an occurrence on or after civil day
 * `day`: computed, not iterated, so that a query far from DTSTART costs
 * what a query near it does. */
static int64_t first_period(const plan *p, int64_t day)
{
    const rrule *r = p->r;
    int64_t k;
    int y, m, d;
    switch (r->freq) {
    case RR_DAILY:
        k = civil_floor_div(day - p->d0, r->interval);
        break;
    case RR_WEEKLY:
        k = civil_floor_div(day - p->w0, 7 * r->interval);
        break;
    case RR_MONTHLY:
        civil_date_from_days(day, &y, &m, &d);
        k = civil_floor_div(((int64_t)y * 12 + m - 1) - ((int64_t)p->y0 * 12 + p->m0 - 1), r->interval);
        break;
    default:
        civil_date_from_days(day, &y, &m, &d);
        k = civil_floor_div((int64_t)y - p->y0, r->interval);
        break;
    }
    return k < 0 ? 0 : k;
}

/* Whether civil day d (of y-m-md) passes the rule's BYMONTH, BYMONTHDAY and
 * BYDAY parts. */
static int day_matches(const plan *p, int64_t d, int y, int m, int md)
{
    const rrule *r = p->r;
    if (p->bymonth && !((p->bymonth >> m) & 1))
        return 0;
    int dim = civil_days_in_month(y, m);
    if (p->use_md && !((p->bymd_pos >> md) & 1) && !((p->bymd_neg >> (dim - md + 1)) & 1))
        return 0;
    if (!p->use_byday)
        return 1;
    int wd = civil_weekday(d);
    if ((p->byday_plain >> wd) & 1)
        return 1;
    if (!r->has_byday_ord)
        return 0;
    int64_t nth, nth_last;
    if (p->ord_in_year) {
        int64_t jan1 = civil_days_from_date(y, 1, 1);
        int64_t doy = d - jan1, ylen = civil_days_from_date(y + 1, 1, 1) - jan1;
        nth = doy / 7 + 1;
        nth_last = (ylen - 1 - doy) / 7 + 1;
    } else {
        nth = (md - 1) / 7 + 1;
        nth_last = (dim - md) / 7 + 1;
    }
    return (int)(((r->byday_pos[wd] >> nth) & 1) | ((r->byday_neg[wd] >> nth_last) & 1));
}

/* The days of the period [ps, pe) that the rule selects, ascending, before
 * any DTSTART cut: BYSETPOS counts positions in the whole period, so that
 * a position means the same in DTSTART's period as in every other one
 * (dateutil counts DTSTART's week from DTSTART on; months and years it
 * counts whole, as here).  Returns how many. */
static size_t period_days(const plan *p, int64_t ps, int64_t pe, int64_t days[PERIOD_DAYS_MAX])
{
    const rrule *r = p->r;
    size_t n = 0;
    int y, m, md;
    if (r->freq == RR_DAILY || r->freq == RR_WEEKLY) {
        for (int64_t d = ps; d < pe; d++) {
            civil_date_from_days(d, &y, &m, &md);
            if (day_matches(p, d, y, m, md))
                days[n++] = d;
        }
    } else {
        civil_date_from_days(ps, &y, &m, &md);
        int m_last = r->freq == RR_MONTHLY ? m : 12;
        for (int64_t mstart = ps; m <= m_last; m++) {
            int dim = civil_days_in_month(y, m);
            /* A month BYMONTH leaves out is skipped whole. */
            if (!p->bymonth || ((p->bymonth >> m) & 1))
                for (md = 1; md <= dim; md++)
                    if (day_matches(p, mstart + md - 1, y, m, md))
                        days[n++] = mstart + md - 1;
            mstart += dim;
        }
    }
    if (!r->has_setpos || n == 0)
        return n;
    unsigned char pick[PERIOD_DAYS_MAX] = {0};
    for (int pos = 1; pos <= PERIOD_DAYS_MAX; pos++) {
        if (bit_get(r->setpos_pos, pos) && (size_t)pos <= n)
            pick[pos - 1] = 1;
        if (bit_get(r->setpos_neg, pos) && (size_t)pos <= n)
            pick[n - (size_t)pos] = 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (pick[i])
            days[k++] = days[i];
    return k;
}

static int is_exdate(const rrule *r, bk_time t)
{
    size_t lo = 0, hi = r->n_exdates;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->exdates[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_exdates && r->exdates[lo] == t;
}

int rrule_check_start(const rrule *r, const tz_zone *zone, bk_time first_start, char *msg, size_t msg_size)
{
    if (msg && msg_size)
        msg[0] = '\0';
    if (!r || !zone)
        return fail(msg, msg_size, "rrule: no rule or no zone");
    if (first_start < BK_TIME_MIN || first_start >= BK_TIME_MAX)
        return fail(msg, msg_size, "rrule: the period's start is outside the years 1900-2199");
    plan p;
    plan_init(&p, r, zone, first_start);
    int64_t ps, pe, days[PERIOD_DAYS_MAX];
    period_range(&p, 0, &ps, &pe);
    size_t n = period_days(&p, ps, pe, days);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= days[i] == p.d0;
    if (!found) {
        return fail(msg, msg_size,
                    "rrule: the period's start (%04d-%02d-%02d %02d:%02d:%02d local time in %s, a %s) does not match "
                    "the rule",
                    p.y0, p.m0, p.md0, (int)(p.tod / 3600), (int)(p.tod / 60 % 60), (int)(p.tod % 60), tz_zone_id(zone),
                    weekday_names[p.wd0]);
    }
    if (r->has_until && r->until < first_start)
        return fail(msg, msg_size, "rrule: UNTIL is before the period's start");
    return BK_OK;
}

static int expand(const rrule *r, const tz_zone *zone, bk_time first_start, bk_time first_end, bk_time from, bk_time to,
                  int (*emit)(void *ctx, bk_time start, bk_time end), void *ctx, rrule_stats *st)
{
    const int64_t len = first_end - first_start;
    /* Nothing starts before the first occurrence, so nothing ends before
     * first_start; nothing exists from BK_TIME_MAX on.  Clamping also keeps
     * the day arithmetic below far from overflow. */
    if (from < first_start)
        from = first_start;
    if (to > BK_TIME_MAX)
        to = BK_TIME_MAX;
    if (from >= to)
        return BK_OK;

    plan p;
    plan_init(&p, r, zone, first_start);

    /* Local and UTC days differ by an offset (under a day) plus at most a
     * gap; two days of margin either side keeps every occurrence that can
     * touch the window and drops the rest cheaply.  An occurrence overlaps
     * [from, to) iff start > from - len and start < to. */
    int64_t hi_day = civil_floor_div(to, DAY) + 2;
    if (r->has_until) {
        int64_t u = civil_floor_div(r->until, DAY) + 2;
        if (u < hi_day)
            hi_day = u;
    }
    int64_t lo_day = civil_floor_div(from - len, DAY) - 2;
    /* With COUNT every occurrence from DTSTART on is counted, so no jump. */
    int64_t k = r->count ? 0 : first_period(&p, lo_day);

    int64_t generated = 0;
    bk_time last = INT64_MIN;
    int64_t days[PERIOD_DAYS_MAX];
    for (;; k++) {
        int64_t ps, pe;
        period_range(&p, k, &ps, &pe);
        if (ps > hi_day)
            break;
        st->periods++;
        size_t n = period_days(&p, ps, pe, days);
        for (size_t i = 0; i < n; i++) {
            int64_t d = days[i];
            if (d < p.d0)
                continue; /* before DTSTART: not an occurrence, not counted */
            if (d > hi_day)
                return BK_OK;
            generated++;
            st->instances++;
            if (r->count && generated > r->count)
                return BK_OK;
            if (d < lo_day)
                continue; /* counted; ends before the window, so no UTC reading */
            bk_time s = d == p.d0 ? first_start : tz_local_to_utc(zone, d * DAY + p.tod);
            if (r->has_until && s > r->until)
                continue;
            /* Only a zone skipping a whole day can map a later local day to
             * the first occurrence's or a previous one's instant: the same
             * instant is one occurrence, and order stays strict. */
            if ((d != p.d0 && s <= first_start) || s <= last)
                continue;
            last = s;
            if (s >= to || s + len <= from || is_exdate(r, s))
                continue;
            int rc = emit(ctx, s, s + len);
            if (rc != 0)
                return rc;
        }
    }
    return BK_OK;
}

int rrule_expand_stats(const rrule *r, const tz_zone *zone, bk_time first_start, bk_time first_end, bk_time from,
                       bk_time to, int (*emit)(void *ctx, bk_time start, bk_time end), void *ctx, rrule_stats *stats)
{
    rrule_stats st = {0, 0};
    int rc = BK_EINVAL;
    if (r && zone && emit && first_start >= BK_TIME_MIN && first_end <= BK_TIME_MAX && first_start < first_end)
        rc = expand(r, zone, first_start, first_end, from, to, emit, ctx, &st);
    if (stats)
        *stats = st;
    return rc;
}

int rrule_expand(const rrule *r, const tz_zone *zone, bk_time first_start, bk_time first_end, bk_time from, bk_time to,
                 int (*emit)(void *ctx, bk_time start, bk_time end), void *ctx)
{
    return rrule_expand_stats(r, zone, first_start, first_end, from, to, emit, ctx, NULL);
}
