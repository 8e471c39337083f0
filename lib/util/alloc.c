#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef BK_FAULT_INJECTION
#include <stdatomic.h>

/* Atomics only so that a multi-threaded test cannot tear the counters; the
 * injection itself is meant for one thread at a time. */
static atomic_long fault_target; /* 0 = disarmed */
static atomic_long fault_seen;
static atomic_int fault_hit;

void bki_fault_arm(long n)
{
    atomic_store(&fault_target, 0);
    atomic_store(&fault_seen, 0);
    atomic_store(&fault_hit, 0);
    atomic_store(&fault_target, n > 0 ? n : 0);
}

long bki_fault_count(void) { return atomic_load(&fault_seen); }

int bki_fault_fired(void) { return atomic_load(&fault_hit); }

/* Counts one allocation; 1 if it is the one to fail. */
static int fault_now(void)
{
    long seen = atomic_fetch_add(&fault_seen, 1) + 1;
    long target = atomic_load(&fault_target);
    if (target > 0 && seen == target) {
        atomic_store(&fault_hit, 1);
        return 1;
    }
    return 0;
}
#define FAULT_NOW() fault_now()
#else
#define FAULT_NOW() 0
#endif

void *bki_malloc(size_t size) { return FAULT_NOW() ? NULL : malloc(size ? size : 1); }

void *bki_calloc(size_t count, size_t size)
{
    return FAULT_NOW() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

/* A failed realloc leaves ptr as it was, as realloc does. */
void *bki_realloc(void *ptr, size_t size) { return FAULT_NOW() ? NULL : realloc(ptr, size ? size : 1); }

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
