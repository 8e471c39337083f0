#ifndef BK_UTIL_UUID_H
#define BK_UTIL_UUID_H

#include "booking.h"

/* A new random (version 4) UUID.  Returns 0, or -1 if the system has no
 * randomness to give. */
int uuid_generate(bk_id *out);

/* 1 if text is a UUID in canonical 8-4-4-4-12 hex form (either case). */
int uuid_valid(const char *text);

#endif
