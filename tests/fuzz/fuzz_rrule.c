/* Fuzz target: recurring blocked periods (RFC 5545 RRULE text).  Input
 * lines:
 *   1. a zone id (UTC when ICU does not know it);
 *   2. the first occurrence's start, YYYY-MM-DDTHH:MM:SSZ (a fixed instant
 *      when it does not parse);
 *   3. its length in minutes, and the sub-window (see below), as bytes;
 *   the rest: the rule text, "FREQ=..." or iCalendar lines with EXDATEs.
 * Properties:
 *   - rrule_parse returns BK_OK, or BK_EINVAL with a message "rrule: ...";
 *   - rrule_expand emits occurrences in strictly increasing order, each of
 *     the first one's length and overlapping the window asked for;
 *   - expansion is lazy but exact: the occurrences of a sub-window are those
 *     of a long window that overlap it;
 *   - bk_blocked_add accepts the rule only if the parser and the start
 *     check do (and refuses it with a message naming "rrule" otherwise);
 *   - when stored, bk_slots never offers a slot that overlaps an
 *     occurrence. */
#include "fuzz.h"

#include "calendar/rrule.h"
#include "tz/tz.h"
#include "util/strutil.h"

#define MAX_OCC 4000

typedef struct occs {
    bk_time start[MAX_OCC];
    bk_time end[MAX_OCC];
    size_t n;
    bk_time from, to, len;
    int full; /* stopped at MAX_OCC */
} occs;

static int collect(void *ctx, bk_time start, bk_time end)
{
    occs *o = ctx;
    FUZZ_CHECK(end - start == o->len, "occurrence [%lld, %lld) does not last %lld s", (long long)start,
               (long long)end, (long long)o->len);
    FUZZ_CHECK(start < o->to && o->from < end, "occurrence [%lld, %lld) outside the window [%lld, %lld)",
               (long long)start, (long long)end, (long long)o->from, (long long)o->to);
    FUZZ_CHECK(o->n == 0 || start > o->start[o->n - 1], "occurrence %lld not after %lld", (long long)start,
               (long long)o->start[o->n - 1]);
    if (o->n == MAX_OCC) {
        o->full = 1;
        return 1; /* stop: the window holds more than the target compares */
    }
    o->start[o->n] = start;
    o->end[o->n] = end;
    o->n++;
    return 0;
}

static occs all_occ, sub_occ;

static void expand(const rrule *r, const tz_zone *z, bk_time start, bk_time end, bk_time from, bk_time to, occs *o)
{
    memset(o, 0, sizeof *o);
    o->from = from;
    o->to = to;
    o->len = end - start;
    int rc = rrule_expand(r, z, start, end, from, to, collect, o);
    FUZZ_CHECK(rc == BK_OK || (rc == 1 && o->full), "rrule_expand -> %d", rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    fz f = {data, size};
    char *zone_id = fz_line(&f);
    char *start_text = fz_line(&f);
    int minutes = (int)fz_range(&f, 1, 3 * 1440);
    int sub_offset_days = (int)fz_range(&f, 0, 400);
    int sub_days = (int)fz_range(&f, 1, 60);
    char *text = fz_rest(&f);

    const tz_zone *z = NULL;
    if (tz_zone_get(zone_id, &z, NULL, 0) != BK_OK) {
        free(zone_id);
        zone_id = strdup("UTC");
        FUZZ_CHECK(zone_id && tz_zone_get(zone_id, &z, NULL, 0) == BK_OK, "zone UTC");
    }
    bk_time start;
    if (bk_time_parse_iso(start_text, &start) != BK_OK || start > BK_TIME_MAX - 4 * 86400)
        start = 1772442000; /* 2026-03-02T09:00:00Z, a Monday */
    bk_time end = start + (bk_time)minutes * 60;

    char msg[256];
    rrule *r = NULL;
    int parsed = rrule_parse(text, NULL, 0, &r, msg, sizeof msg);
    int usable = 0;
    if (parsed == BK_OK) {
        FUZZ_CHECK(r != NULL, "rrule_parse OK without a rule");
        int checked = rrule_check_start(r, z, start, msg, sizeof msg);
        if (checked == BK_OK) {
            usable = 1;
            /* One long window from before the start, then a sub-window of
             * it somewhere later: the lazy jump must land on the same
             * occurrences as counting from the start. */
            bk_time from = start - 86400, to = start + 420 * (bk_time)86400;
            if (to > BK_TIME_MAX)
                to = BK_TIME_MAX;
            expand(r, z, start, end, from, to, &all_occ);
            FUZZ_CHECK(all_occ.n == 0 || all_occ.start[0] >= start, "an occurrence before the first");
            bk_time sfrom = start + (bk_time)sub_offset_days * 86400, sto = sfrom + (bk_time)sub_days * 86400;
            if (!all_occ.full && sto <= to) {
                expand(r, z, start, end, sfrom, sto, &sub_occ);
                size_t k = 0;
                for (size_t i = 0; i < all_occ.n; i++) {
                    if (!(all_occ.start[i] < sto && sfrom < all_occ.end[i]))
                        continue;
                    FUZZ_CHECK(k < sub_occ.n && sub_occ.start[k] == all_occ.start[i],
                               "sub-window [%lld, %lld): occurrence %lld missing or different", (long long)sfrom,
                               (long long)sto, (long long)all_occ.start[i]);
                    k++;
                }
                FUZZ_CHECK(k == sub_occ.n, "sub-window has %zu occurrences, the long window %zu", sub_occ.n, k);
            }
        } else {
            FUZZ_CHECK(checked == BK_EINVAL && strncmp(msg, "rrule: ", 7) == 0, "rrule_check_start -> %d '%s'",
                       checked, msg);
        }
    } else {
        FUZZ_CHECK(parsed == BK_EINVAL && r == NULL && strncmp(msg, "rrule: ", 7) == 0, "rrule_parse -> %d '%s'",
                   parsed, msg);
    }

    /* The same rule through the public API. */
    bk_db *db = NULL;
    FUZZ_OK(NULL, bk_open(&db, "memory:"));
    bk_id provider, service;
    fz_provider(db, "fuzz", zone_id, 30, &provider, &service);
    bk_blocked b = BK_BLOCKED_INIT;
    b.provider = provider;
    b.start = start;
    b.end = end;
    b.rrule = text;
    /* The API also limits the text: UTF-8, at most 1000 bytes. */
    size_t text_len = strlen(text);
    int acceptable = usable && text_len <= 1000 && strutil_utf8_valid(text, text_len);
    int rc = bk_blocked_add(db, &b, NULL);
    if (rc == BK_OK) {
        FUZZ_CHECK(usable || !*text, "bk_blocked_add accepted a rule rrule_parse/check refused: '%s'", msg);
    } else {
        FUZZ_CHECK(rc == BK_EINVAL && fz_field_message(bk_errmsg(db)), "bk_blocked_add -> %d '%s'", rc,
                   bk_errmsg(db));
        FUZZ_CHECK(!acceptable, "bk_blocked_add refused a rule the parser accepts: '%s'", bk_errmsg(db));
    }
    if (rc == BK_OK && usable && !all_occ.full) {
        /* A week of 30-minute slots around the sub-window's start: none may
         * overlap an occurrence. */
        bk_slot_query q = BK_SLOT_QUERY_INIT;
        q.provider = provider;
        q.service = service;
        q.from = start + (bk_time)sub_offset_days * 86400;
        q.to = q.from + 7 * 86400;
        q.now = BK_TIME_MIN;
        if (q.to <= start + 419 * (bk_time)86400) { /* a slot may end after q.to */
            bk_slot *slots = NULL;
            size_t n = 0;
            FUZZ_OK(db, bk_slots(db, &q, &slots, &n));
            /* Both lists are sorted by start and occurrences all last as
             * long: walk them together. */
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                while (k < all_occ.n && all_occ.end[k] <= slots[i].start)
                    k++;
                FUZZ_CHECK(k == all_occ.n || slots[i].end <= all_occ.start[k],
                           "slot [%lld, %lld) overlaps occurrence [%lld, %lld)", (long long)slots[i].start,
                           (long long)slots[i].end, (long long)all_occ.start[k], (long long)all_occ.end[k]);
            }
            bk_slots_free(slots);
        }
    }
    bk_close(db);
    rrule_free(r);
    free(zone_id);
    free(start_text);
    free(text);
    return 0;
}
