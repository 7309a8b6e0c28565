/*
 * sim_mem.c: the memory allocator SQLite uses in isload-sim.
 *
 * Debian's SQLite has no lookaside allocator, so every statement run
 * mallocs and frees a dozen small buffers, and an in-memory database
 * keeps each of its pages (about 4.3 KB) in its own malloc block. With a
 * million rows, glibc's heap is hundreds of thousands of page blocks, and
 * the small requests crossing it made malloc and free a quarter of the
 * emulator's time. Here SQLite's requests up to 64 KB are rounded to a
 * size class and served from that class's free list, or carved from 1 MB
 * slabs when the list is empty; freed blocks go back to their list (never
 * to the system, so memory stays at its peak until exit). Larger requests
 * go to malloc. Each block has an 8-byte header holding its size.
 *
 * No locking: every SQLite call happens with sim->db_lock held (sim.h),
 * except at start-up and shutdown, which are single-threaded.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdlib.h>
#include <string.h>

#define HDR 8
#define SMALL_MAX 1024 /* classes every 16 bytes up to here */
#define MID_MAX 16384  /* then every 128 */
#define POOL_MAX 65536 /* then every 1024; above: malloc */
#define NCLASS                                                                 \
    (SMALL_MAX / 16 + (MID_MAX - SMALL_MAX) / 128 + (POOL_MAX - MID_MAX) / 1024)
#define SLAB (1 << 20)

struct slab {
    struct slab *next;
};

static void *free_list[NCLASS];
static struct slab *slabs;
static char *bump, *bump_end;

/* The class of a request of n bytes (1 <= n <= POOL_MAX). */
static int class_of(size_t n)
{
    if (n <= SMALL_MAX)
        return (int)((n + 15) / 16) - 1;
    if (n <= MID_MAX)
        return SMALL_MAX / 16 + (int)((n - SMALL_MAX + 127) / 128) - 1;
    return SMALL_MAX / 16 + (MID_MAX - SMALL_MAX) / 128 +
           (int)((n - MID_MAX + 1023) / 1024) - 1;
}

/* The size of class c's blocks. */
static size_t class_size(int c)
{
    if (c < SMALL_MAX / 16)
        return (size_t)(c + 1) * 16;
    c -= SMALL_MAX / 16;
    if (c < (MID_MAX - SMALL_MAX) / 128)
        return SMALL_MAX + (size_t)(c + 1) * 128;
    c -= (MID_MAX - SMALL_MAX) / 128;
    return MID_MAX + (size_t)(c + 1) * 1024;
}

static size_t roundup(size_t n)
{
    return n && n <= POOL_MAX ? class_size(class_of(n)) : n;
}

static void *mem_malloc(int request)
{
    size_t n = request > 0 ? (size_t)request : 1;
    size_t cap = roundup(n);
    char *p;

    if (cap > POOL_MAX) {
        p = malloc(HDR + cap);
    } else if (free_list[class_of(cap)]) {
        p = (char *)free_list[class_of(cap)] - HDR;
        memcpy(&free_list[class_of(cap)], p + HDR, sizeof(void *));
    } else {
        if ((size_t)(bump_end - bump) < HDR + cap) {
            struct slab *sl = malloc(SLAB);
            if (!sl)
                return NULL;
            sl->next = slabs;
            slabs = sl;
            bump = (char *)sl + 16;
            bump_end = (char *)sl + SLAB;
        }
        p = bump;
        bump += HDR + cap;
    }
    if (!p)
        return NULL;
    memcpy(p, &cap, sizeof(cap));
    return p + HDR;
}

static int mem_size(void *ptr)
{
    size_t cap;

    if (!ptr)
        return 0;
    memcpy(&cap, (char *)ptr - HDR, sizeof(cap));
    return (int)cap;
}

static void mem_free(void *ptr)
{
    size_t cap;

    if (!ptr)
        return;
    cap = (size_t)mem_size(ptr);
    if (cap > POOL_MAX) {
        free((char *)ptr - HDR);
        return;
    }
    memcpy(ptr, &free_list[class_of(cap)], sizeof(void *));
    free_list[class_of(cap)] = ptr;
}

static void *mem_realloc(void *ptr, int request)
{
    size_t cap = (size_t)mem_size(ptr);
    void *q;

    if (request > 0 && roundup((size_t)request) == cap)
        return ptr;
    q = mem_malloc(request);
    if (q) {
        memcpy(q, ptr, cap < (size_t)request ? cap : (size_t)request);
        mem_free(ptr);
    }
    return q;
}

static int mem_roundup(int n)
{
    return (int)roundup(n > 0 ? (size_t)n : 1);
}

static int mem_init(void *unused)
{
    (void)unused;
    return SQLITE_OK;
}

static void mem_shutdown(void *unused)
{
    (void)unused;
}

int sim_mem_install(void)
{
    static const sqlite3_mem_methods methods = {
        mem_malloc,  mem_free, mem_realloc,  mem_size,
        mem_roundup, mem_init, mem_shutdown, NULL};

    return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK ? 0 : -1;
}

void sim_mem_release(void)
{
    sqlite3_shutdown(); /* SQLite holds nothing after this */
    while (slabs) {
        struct slab *next = slabs->next;
        free(slabs);
        slabs = next;
    }
    memset(free_list, 0, sizeof(free_list));
    bump = bump_end = NULL;
}
