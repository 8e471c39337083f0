#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *bki_malloc(size_t size) { return malloc(size ? size : 1); }

void *bki_calloc(size_t count, size_t size) { return calloc(count ? count : 1, size ? size : 1); }

void *bki_realloc(void *ptr, size_t size) { return realloc(ptr, size ? size : 1); }

void bki_free(void *ptr) { free(ptr); }

char *bki_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s) + 1;
    char *copy = bki_malloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

int bki_grow(void **array, size_t *capacity, size_t needed, size_t elem_size)
{
    if (needed <= *capacity)
        return 0;
    size_t cap = *capacity ? *capacity : 8;
    while (cap < needed) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    if (elem_size && cap > SIZE_MAX / elem_size)
        return -1;
    void *grown = bki_realloc(*array, cap * elem_size);
    if (!grown)
        return -1;
    *array = grown;
    *capacity = cap;
    return 0;
}
