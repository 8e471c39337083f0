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

#endif
