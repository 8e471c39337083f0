/* Time zones: per-zone tables of UTC offsets and transitions, built once
 * from ICU and shared (read-only) by every thread, so that the slot engine
 * never calls into ICU per slot or per day.
 *
 * Local -> UTC follows RFC 5545 / Python zoneinfo with fold=0 (DESIGN.md
 * section 2): a local time in a spring-forward gap is read with the offset in
 * force before the transition (moved forward by the gap); a local time that
 * occurs twice is its first occurrence. */
#ifndef BK_TZ_TZ_H
#define BK_TZ_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "booking.h"

typedef struct tz_zone tz_zone;

/* The table of IANA zone `id`, built from ICU on first use and cached for
 * the life of the process (thread-safe; concurrent first uses build it
 * once).  BK_EINVAL if ICU does not know the id (then, if msg is not NULL,
 * a message "timezone: unknown zone '<id>'" is written into msg, msg_size
 * bytes at most); BK_ENOMEM. */
int tz_zone_get(const char *id, const tz_zone **out, char *msg, size_t msg_size);

/* The id the zone was looked up with. */
const char *tz_zone_id(const tz_zone *zone);

/* UTC offset, in seconds, in force at instant t. */
int32_t tz_offset_at(const tz_zone *zone, bk_time t);

/* The instant of local wall-clock time `local` (local seconds, see
 * lib/util/civil.h), with the gap/overlap rule above. */
bk_time tz_local_to_utc(const tz_zone *zone, int64_t local);

/* Local seconds of instant t. */
static inline int64_t tz_utc_to_local(const tz_zone *zone, bk_time t) { return t + tz_offset_at(zone, t); }

#endif
