/*
 * bk_leakcount: counts the heap blocks libbooking allocates and does not
 * free, for the bindings' leak check (tests/test_bindings.sh leaks).
 *
 * Loaded with LD_PRELOAD into the Python or Ruby interpreter running a
 * binding's test suite.  It interposes malloc, calloc, realloc and free,
 * and, while armed, records every block whose allocation was called from
 * libbooking's own code (the return address lies in one of libbooking's
 * executable segments: lib/util/alloc.c calls malloc directly) and forgets
 * it when it is freed.  What is left when the suite has run is memory the
 * library handed out and nobody gave back: a binding that forgets one
 * bk_*_free leaves one block per call.
 *
 * Why not valgrind alone: an interpreter's garbage collector keeps stale
 * copies of dead pointers in its heap pages (Ruby's conservative GC does),
 * so valgrind calls such a block "still reachable", not "lost".  Counting
 * allocations does not depend on reachability.
 *
 * The interpreter drives it through three functions (ctypes / Ruby FFI):
 *   bkleak_start()          arms counting (after a warm-up pass, so that
 *                           process-lifetime caches such as the zone tables
 *                           already exist) and forgets earlier blocks;
 *   bkleak_live(&bytes)     blocks (and bytes) recorded and still live;
 *   bkleak_report(i, &off)  the size of the i-th live block and the offset
 *                           of its allocation site in libbooking (for
 *                           addr2line), or 0 past the end.
 *
 * Everything else goes straight to glibc's __libc_* allocator, so nothing
 * here allocates and there is no bootstrap problem with dlsym.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

/* The controls, called from the interpreter. */
int bkleak_start(void);
size_t bkleak_live(size_t *bytes);
size_t bkleak_report(size_t index, size_t *site_offset);

#define EXPORT __attribute__((visibility("default")))
#define TABLE_BITS 20
#define TABLE_SIZE ((size_t)1 << TABLE_BITS)
#define MAX_SEGMENTS 8

typedef struct entry {
    uintptr_t ptr; /* 0: empty; TOMBSTONE: deleted */
    size_t size;
    uintptr_t site; /* return address into libbooking */
} entry;

#define TOMBSTONE ((uintptr_t)1)

static entry table[TABLE_SIZE];
static size_t live_blocks;
static size_t live_bytes;
static int armed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    uintptr_t lo, hi;
} segments[MAX_SEGMENTS];
static size_t n_segments;
static uintptr_t booking_base;

static size_t slot_of(uintptr_t p) { return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> (64 - TABLE_BITS)); }

static int from_booking(uintptr_t site)
{
    for (size_t i = 0; i < n_segments; i++)
        if (site >= segments[i].lo && site < segments[i].hi)
            return 1;
    return 0;
}

/* Called with the lock held. */
static void record(void *ptr, size_t size, uintptr_t site)
{
    if (!ptr || live_blocks >= TABLE_SIZE / 2)
        return;
    size_t i = slot_of((uintptr_t)ptr);
    while (table[i].ptr > TOMBSTONE)
        i = (i + 1) & (TABLE_SIZE - 1);
    table[i].ptr = (uintptr_t)ptr;
    table[i].size = size;
    table[i].site = site;
    live_blocks++;
    live_bytes += size;
}

/* Called with the lock held. */
static void forget(void *ptr)
{
    if (!ptr || live_blocks == 0)
        return;
    size_t i = slot_of((uintptr_t)ptr);
    while (table[i].ptr != 0) {
        if (table[i].ptr == (uintptr_t)ptr) {
            table[i].ptr = TOMBSTONE;
            live_blocks--;
            live_bytes -= table[i].size;
            return;
        }
        i = (i + 1) & (TABLE_SIZE - 1);
    }
}

EXPORT void *malloc(size_t size)
{
    void *p = __libc_malloc(size);
    if (__atomic_load_n(&armed, __ATOMIC_ACQUIRE)) {
        uintptr_t site = (uintptr_t)__builtin_return_address(0);
        if (from_booking(site)) {
            pthread_mutex_lock(&lock);
            record(p, size, site);
            pthread_mutex_unlock(&lock);
        }
    }
    return p;
}

EXPORT void *calloc(size_t count, size_t size)
{
    void *p = __libc_calloc(count, size);
    if (__atomic_load_n(&armed, __ATOMIC_ACQUIRE)) {
        uintptr_t site = (uintptr_t)__builtin_return_address(0);
        if (from_booking(site)) {
            pthread_mutex_lock(&lock);
            record(p, count * size, site);
            pthread_mutex_unlock(&lock);
        }
    }
    return p;
}

EXPORT void *realloc(void *ptr, size_t size)
{
    if (!__atomic_load_n(&armed, __ATOMIC_ACQUIRE))
        return __libc_realloc(ptr, size);
    uintptr_t site = (uintptr_t)__builtin_return_address(0);
    pthread_mutex_lock(&lock);
    void *p = __libc_realloc(ptr, size);
    if (p || size == 0)
        forget(ptr);
    if (p && from_booking(site))
        record(p, size, site);
    pthread_mutex_unlock(&lock);
    return p;
}

EXPORT void free(void *ptr)
{
    if (ptr && __atomic_load_n(&armed, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&lock);
        forget(ptr);
        pthread_mutex_unlock(&lock);
    }
    __libc_free(ptr);
}

static int find_booking(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libbooking.so"))
        return 0;
    booking_base = (uintptr_t)info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum && n_segments < MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            segments[n_segments].lo = info->dlpi_addr + ph->p_vaddr;
            segments[n_segments].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            n_segments++;
        }
    }
    return 1;
}

/* Arms counting; 0 on success, -1 if libbooking is not loaded yet. */
EXPORT int bkleak_start(void)
{
    pthread_mutex_lock(&lock);
    n_segments = 0;
    dl_iterate_phdr(find_booking, NULL);
    memset(table, 0, sizeof table);
    live_blocks = 0;
    live_bytes = 0;
    pthread_mutex_unlock(&lock);
    if (n_segments == 0)
        return -1;
    __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    return 0;
}

EXPORT size_t bkleak_live(size_t *bytes)
{
    pthread_mutex_lock(&lock);
    size_t n = live_blocks;
    if (bytes)
        *bytes = live_bytes;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Size of the index-th live block (0 past the end); *site_offset gets its
 * allocation site as an offset into libbooking, for addr2line. */
EXPORT size_t bkleak_report(size_t index, size_t *site_offset)
{
    size_t seen = 0, size = 0;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        if (table[i].ptr > TOMBSTONE && seen++ == index) {
            size = table[i].size ? table[i].size : 1;
            if (site_offset)
                *site_offset = table[i].site - booking_base;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return size;
}
