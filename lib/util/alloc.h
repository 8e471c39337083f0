/* Every allocation of the library goes through here, so that a test build
 * can make the N-th one fail (allocation-failure injection) and prove that
 * each public call returns BK_ENOMEM cleanly. */
#ifndef BK_UTIL_ALLOC_H
#define BK_UTIL_ALLOC_H

#include <stddef.h>

void *bki_malloc(size_t size);
void *bki_calloc(size_t count, size_t size);
void *bki_realloc(void *ptr, size_t size);
void bki_free(void *ptr);
/* NULL in, NULL out; NULL on allocation failure otherwise. */
char *bki_strdup(const char *s);

/* Grows *array (of *capacity elements of elem_size bytes) so that it holds
 * at least `needed` elements.  Returns 0, or -1 on overflow or allocation
 * failure (the array is then unchanged). */
int bki_grow(void **array, size_t *capacity, size_t needed, size_t elem_size);

#ifdef BK_FAULT_INJECTION
/* Allocation-failure injection (meson -Dfault_injection=true only; tests
 * reach these through the internal static library: libbooking.so does not
 * export them, so the ABI is the same with or without the option).
 *
 * Every bki_malloc, bki_calloc, bki_realloc and bki_strdup (so bki_grow too)
 * is counted.  Allocations ICU and libc make on their own are not: they do
 * not go through here.  The counters are process-wide. */

/* Resets the count and the fired flag; then the n-th allocation from now
 * fails (returns NULL, allocates nothing).  n = 0 disarms: nothing fails,
 * allocations are still counted. */
void bki_fault_arm(long n);
/* Allocations attempted since the last bki_fault_arm, the failed one
 * included. */
long bki_fault_count(void);
/* 1 if the armed allocation has been reached (and failed) since arming. */
int bki_fault_fired(void);
#endif

#endif
