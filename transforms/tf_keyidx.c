/*
 * tf_keyidx.c: the bounded-memory exact key index (see tf_keyidx.h).
 *
 * Offsets into the key log are stored plus one, so an all-zero entry is a
 * free slot. The log only grows, so a larger offset is a newer record:
 * the memory table holds the newest entries, and run i holds only entries
 * older than those of run i + 1 (only the two newest runs are ever
 * merged). A lookup therefore tries the table, then the runs newest
 * first, and within each the candidates by falling offset; the first
 * whose key bytes match is the newest record of the key. Keys of the
 * ascending log were new when added, so their records are the oldest of
 * their key: it comes last. The filter is asked first and answers most
 * lookups of new keys alone. After an error the index can only be closed.
 */
#include "isl_setup.h"
#include "tf_keyidx.h"
#include "tf_keyasc.h"
#include "isl_tmpfile.h"
#include "tf_util.h"
#include "isl_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILTER_WORDS ((size_t)1 << 19) /* 4 MiB */
#define TABLE_SLOTS ((size_t)1 << 16)  /* 1 MiB of 16-byte entries */
#define TABLE_MAX (TABLE_SLOTS / 2)    /* entries before a flush */
#define LOG_BUF ((size_t)256 << 10)
#define PAGE_ENTRIES 256 /* 4 KiB of entries per fence */
#define MERGE_ENTRIES 4096
#define MAX_RUNS 64
#define PENDING 1024 /* filter bits of ascending keys set in batches */

struct ent {
    uint64_t hash;
    uint64_t off; /* log offset + 1; 0 = free slot */
};

struct run {
    int fd;
    uint64_t n;      /* entries */
    uint64_t *fence; /* first hash of each page of PAGE_ENTRIES */
    uint64_t last;   /* the largest hash */
};

struct tf_keyidx {
    uint64_t *filter;
    struct ent *table;
    size_t ntable;
    int logfd;
    char *logbuf;
    size_t loglen;    /* bytes in logbuf */
    uint64_t logfile; /* bytes already in the file */
    struct run runs[MAX_RUNS];
    size_t nruns;
    struct ent page[PAGE_ENTRIES];
    struct ent *merge[3]; /* two inputs and the output of a merge */
    char *rec;            /* one record read back from the log */
    size_t arec;
    uint64_t nkeys;
    char *max; /* the greatest key added (memcmp order) */
    size_t maxlen, amax;
    struct tf_keyasc asc;      /* keys that arrived in increasing order */
    uint64_t pending[PENDING]; /* their hashes not yet in the filter */
    size_t npending;
};

static int io_error(struct isl_error *err, const char *what)
{
    return isl_error_set(err, ISL_EIO, "unique", "key index: cannot %s: %s",
                         what, strerror(errno));
}

static int no_memory(struct isl_error *err)
{
    return isl_error_set(err, ISL_ENOMEM, "unique", "key index: out of memory");
}

uint64_t tf_keyidx_hash(const char *key, size_t len)
{
    return tf_hash64(key, len);
}

uint64_t tf_keyidx_count(const struct tf_keyidx *ix)
{
    return ix->nkeys;
}

int tf_keyidx_open(struct tf_keyidx **out, struct isl_error *err)
{
    struct tf_keyidx *ix = calloc(1, sizeof(*ix));

    *out = NULL;
    if (!ix)
        return no_memory(err);
    ix->logfd = -1;
    tf_keyasc_init(&ix->asc);
    /* calloc'd: pages become resident only as keys touch them */
    ix->filter = calloc(FILTER_WORDS, sizeof(*ix->filter));
    ix->table = calloc(TABLE_SLOTS, sizeof(*ix->table));
    ix->logbuf = malloc(LOG_BUF);
    if (!ix->filter || !ix->table || !ix->logbuf) {
        tf_keyidx_close(ix);
        return no_memory(err);
    }
    if ((ix->logfd = isl_tmpfile_fd("unique", err)) < 0) {
        tf_keyidx_close(ix);
        return ISL_EIO;
    }
    *out = ix;
    return 0;
}

void tf_keyidx_close(struct tf_keyidx *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->nruns; i++) {
        close(ix->runs[i].fd);
        free(ix->runs[i].fence);
    }
    if (ix->logfd >= 0)
        close(ix->logfd);
    for (size_t i = 0; i < 3; i++)
        free(ix->merge[i]);
    free(ix->filter);
    free(ix->table);
    free(ix->logbuf);
    free(ix->rec);
    free(ix->max);
    tf_keyasc_free(&ix->asc);
    free(ix);
}

/* ---- the filter: four bits of one word per key ---- */

static inline uint64_t filter_bits(uint64_t h)
{
    return 1ULL << ((h >> 20) & 63) | 1ULL << ((h >> 26) & 63) |
           1ULL << ((h >> 32) & 63) | 1ULL << ((h >> 38) & 63);
}

static inline uint64_t *filter_word(struct tf_keyidx *ix, uint64_t h)
{
    return &ix->filter[h & (FILTER_WORDS - 1)];
}

/*
 * Set the filter bits of the pending hashes. Apart, each costs a cache
 * miss that stalls the row; together, with prefetches, the misses
 * overlap.
 */
static void filter_flush(struct tf_keyidx *ix)
{
    for (size_t i = 0; i < ix->npending; i++) {
        uint64_t h = ix->pending[i];

        if (i + 16 < ix->npending)
            __builtin_prefetch(filter_word(ix, ix->pending[i + 16]), 1);
        *filter_word(ix, h) |= filter_bits(h);
    }
    ix->npending = 0;
}

/* ---- the key log ---- */

static int log_flush(struct tf_keyidx *ix, struct isl_error *err)
{
    if (ix->loglen &&
        tf_pwrite_full(ix->logfd, ix->logbuf, ix->loglen, ix->logfile) < 0)
        return io_error(err, "write the key log");
    ix->logfile += ix->loglen;
    ix->loglen = 0;
    return 0;
}

/* Append a record; its offset into *off. */
static int log_append(struct tf_keyidx *ix, const char *key, size_t len,
                      const struct tf_keyrec *rec, uint64_t *off,
                      struct isl_error *err)
{
    char head[TF_KEYREC_HEAD];

    if (len > UINT32_MAX)
        return isl_error_set(err, ISL_ELIMIT, "unique",
                             "a key of %zu bytes is too long", len);
    if (ix->loglen + TF_KEYREC_HEAD + len > LOG_BUF && log_flush(ix, err) < 0)
        return ISL_EIO;
    *off = ix->logfile + ix->loglen;
    if (TF_KEYREC_HEAD + len > LOG_BUF) { /* a huge key goes straight out */
        tf_keyrec_put(head, rec, (uint32_t)len);
        if (tf_pwrite_full(ix->logfd, head, TF_KEYREC_HEAD, ix->logfile) < 0 ||
            tf_pwrite_full(ix->logfd, key, len, ix->logfile + TF_KEYREC_HEAD) <
                0)
            return io_error(err, "write the key log");
        ix->logfile += TF_KEYREC_HEAD + len;
        return 0;
    }
    tf_keyrec_put(ix->logbuf + ix->loglen, rec, (uint32_t)len);
    memcpy(ix->logbuf + ix->loglen + TF_KEYREC_HEAD, key, len);
    ix->loglen += TF_KEYREC_HEAD + len;
    return 0;
}

/*
 * Whether the record at off is key[0..len): 1 (and *rec filled), 0, or
 * ISL_EIO / ISL_ENOMEM.
 */
static int log_match(struct tf_keyidx *ix, uint64_t off, const char *key,
                     size_t len, struct tf_keyrec *rec, struct isl_error *err)
{
    const char *p;
    uint32_t stored;

    if (off >= ix->logfile) {
        p = ix->logbuf + (off - ix->logfile);
    } else {
        long long got;

        if (TF_KEYREC_HEAD + len > ix->arec) {
            char *r = realloc(ix->rec, TF_KEYREC_HEAD + len);

            if (!r)
                return no_memory(err);
            ix->rec = r;
            ix->arec = TF_KEYREC_HEAD + len;
        }
        got = tf_pread_full(ix->logfd, ix->rec, TF_KEYREC_HEAD + len, off);
        if (got < 0)
            return io_error(err, "read the key log");
        if (got < TF_KEYREC_HEAD)
            return isl_error_set(err, ISL_EIO, "unique",
                                 "key index: the key log is short");
        p = ix->rec;
        memcpy(&stored, p + 20, 4);
        if (stored != len || (size_t)got < TF_KEYREC_HEAD + len)
            return 0;
    }
    memcpy(&stored, p + 20, 4);
    if (stored != len || memcmp(p + TF_KEYREC_HEAD, key, len) != 0)
        return 0;
    memcpy(&rec->line, p, 8);
    memcpy(&rec->row_id, p + 8, 8);
    memcpy(&rec->file, p + 16, 4);
    return 1;
}

/* ---- runs ---- */

static int ent_less(const struct ent *a, const struct ent *b)
{
    return a->hash < b->hash || (a->hash == b->hash && a->off < b->off);
}

/* Write n sorted entries as the newest run (fd already open). */
static int run_add_pages(struct run *r, const struct ent *e, size_t n,
                         uint64_t at, struct isl_error *err)
{
    for (size_t i = 0; i < n; i++)
        if ((at + i) % PAGE_ENTRIES == 0)
            r->fence[(at + i) / PAGE_ENTRIES] = e[i].hash;
    if (n) {
        r->last = e[n - 1].hash;
        if (tf_pwrite_full(r->fd, e, n * sizeof(*e), at * sizeof(*e)) < 0)
            return io_error(err, "write a key run");
    }
    return 0;
}

static int run_start(struct run *r, uint64_t n, struct isl_error *err)
{
    r->n = n;
    r->last = 0;
    r->fence =
        malloc(((n + PAGE_ENTRIES - 1) / PAGE_ENTRIES + 1) * sizeof(*r->fence));
    if (!r->fence)
        return no_memory(err);
    r->fd = isl_tmpfile_fd("unique", err);
    if (r->fd < 0) {
        free(r->fence);
        r->fence = NULL;
        return ISL_EIO;
    }
    return 0;
}

static void run_drop(struct run *r)
{
    close(r->fd);
    free(r->fence);
    r->fence = NULL;
    r->fd = -1;
}

/* Read up to MERGE_ENTRIES entries of r from *pos into buf. */
static long long run_read(const struct run *r, uint64_t *pos, struct ent *buf,
                          struct isl_error *err)
{
    uint64_t left = r->n - *pos;
    size_t want = left < MERGE_ENTRIES ? (size_t)left : MERGE_ENTRIES;
    long long got;

    if (!want)
        return 0;
    got = tf_pread_full(r->fd, buf, want * sizeof(*buf), *pos * sizeof(*buf));
    if (got != (long long)(want * sizeof(*buf)))
        return io_error(err, "read a key run");
    *pos += want;
    return (long long)want;
}

/* Merge the two newest runs into one (they stay in offset order). */
static int merge_top(struct tf_keyidx *ix, struct isl_error *err)
{
    struct run *a = &ix->runs[ix->nruns - 2], *b = &ix->runs[ix->nruns - 1];
    struct run c;
    uint64_t apos = 0, bpos = 0, written = 0;
    size_t ai = 0, an = 0, bi = 0, bn = 0, on = 0;
    int rc;

    for (size_t i = 0; i < 3; i++)
        if (!ix->merge[i] &&
            !(ix->merge[i] = malloc(MERGE_ENTRIES * sizeof(struct ent))))
            return no_memory(err);
    if ((rc = run_start(&c, a->n + b->n, err)) < 0)
        return rc;
    for (;;) {
        long long k;
        const struct ent *next;

        if (ai == an && apos < a->n) {
            if ((k = run_read(a, &apos, ix->merge[0], err)) < 0)
                goto fail;
            ai = 0, an = (size_t)k;
        }
        if (bi == bn && bpos < b->n) {
            if ((k = run_read(b, &bpos, ix->merge[1], err)) < 0)
                goto fail;
            bi = 0, bn = (size_t)k;
        }
        if (ai == an && bi == bn)
            break;
        if (bi == bn ||
            (ai < an && ent_less(&ix->merge[0][ai], &ix->merge[1][bi])))
            next = &ix->merge[0][ai++];
        else
            next = &ix->merge[1][bi++];
        ix->merge[2][on++] = *next;
        if (on == MERGE_ENTRIES) {
            if (run_add_pages(&c, ix->merge[2], on, written, err) < 0)
                goto fail;
            written += on;
            on = 0;
        }
    }
    if (run_add_pages(&c, ix->merge[2], on, written, err) < 0)
        goto fail;
    run_drop(a);
    run_drop(b);
    ix->runs[ix->nruns - 2] = c;
    ix->nruns--;
    return 0;
fail:
    run_drop(&c);
    return ISL_EIO;
}

/*
 * The table to a new run. Slots are placed by the hash's top bits, so the
 * occupied slots in order are nearly sorted: an insertion sort finishes.
 */
static int flush_table(struct tf_keyidx *ix, struct isl_error *err)
{
    struct ent *t = ix->table;
    size_t n = 0;
    struct run *r;
    int rc;

    if (ix->nruns == MAX_RUNS)
        return isl_error_set(err, ISL_ELIMIT, "unique",
                             "key index: too many runs");
    for (size_t i = 0; i < TABLE_SLOTS; i++)
        if (t[i].off)
            t[n++] = t[i];
    for (size_t i = 1; i < n; i++) {
        struct ent e = t[i];
        size_t j = i;

        while (j > 0 && ent_less(&e, &t[j - 1])) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = e;
    }
    r = &ix->runs[ix->nruns];
    if ((rc = run_start(r, n, err)) < 0)
        return rc;
    if (run_add_pages(r, t, n, 0, err) < 0) {
        run_drop(r);
        return ISL_EIO;
    }
    ix->nruns++;
    memset(t, 0, TABLE_SLOTS * sizeof(*t));
    ix->ntable = 0;
    while (ix->nruns >= 2 &&
           ix->runs[ix->nruns - 2].n <= ix->runs[ix->nruns - 1].n)
        if ((rc = merge_top(ix, err)) < 0)
            return rc;
    return 0;
}

/* Number of pages of r whose first hash is below h (or <= h). */
static size_t pages_before(const struct run *r, size_t npages, uint64_t h,
                           bool or_equal)
{
    size_t lo = 0, hi = npages;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (r->fence[mid] < h || (or_equal && r->fence[mid] == h))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Look key up in run r: 1 (rec filled), 0, or < 0. Entries are sorted by
 * (hash, offset) and those of one hash may cross pages, so the pages that
 * can hold h are read from the last one back, each from its end: the
 * newest candidate comes first.
 */
static int run_find(struct tf_keyidx *ix, const struct run *r, const char *key,
                    size_t len, uint64_t h, struct tf_keyrec *rec,
                    struct isl_error *err)
{
    size_t npages = (size_t)((r->n + PAGE_ENTRIES - 1) / PAGE_ENTRIES);
    size_t first, last;
    int rc;

    if (!r->n || h < r->fence[0] || h > r->last)
        return 0;
    first = pages_before(r, npages, h, false);
    first = first ? first - 1 : 0;
    last = pages_before(r, npages, h, true); /* >= 1: fence[0] <= h */
    for (size_t p = last; p-- > first;) {
        uint64_t at = (uint64_t)p * PAGE_ENTRIES;
        size_t k =
            r->n - at < PAGE_ENTRIES ? (size_t)(r->n - at) : PAGE_ENTRIES;

        if (tf_pread_full(r->fd, ix->page, k * sizeof(struct ent),
                          at * sizeof(struct ent)) !=
            (long long)(k * sizeof(struct ent)))
            return io_error(err, "read a key run");
        for (size_t i = k; i-- > 0;)
            if (ix->page[i].hash == h &&
                (rc = log_match(ix, ix->page[i].off - 1, key, len, rec, err)) !=
                    0)
                return rc;
    }
    return 0;
}

/*
 * The newest record of key: 1, 0 or < 0. *slot is its table slot when it
 * is in the table, else NULL.
 */
static int lookup(struct tf_keyidx *ix, const char *key, size_t len, uint64_t h,
                  struct tf_keyrec *rec, struct ent **slot,
                  struct isl_error *err)
{
    size_t mask = TABLE_SLOTS - 1;
    int rc;

    *slot = NULL;
    if (ix->npending)
        filter_flush(ix);
    if ((*filter_word(ix, h) & filter_bits(h)) != filter_bits(h))
        return 0; /* never added */
    /* the table holds one entry per key (replace updates it in place) */
    for (size_t i = (size_t)(h >> 48) & mask; ix->table[i].off;
         i = (i + 1) & mask)
        if (ix->table[i].hash == h) {
            rc = log_match(ix, ix->table[i].off - 1, key, len, rec, err);
            if (rc != 0) {
                if (rc > 0)
                    *slot = &ix->table[i];
                return rc;
            }
        }
    for (size_t r = ix->nruns; r-- > 0;)
        if ((rc = run_find(ix, &ix->runs[r], key, len, h, rec, err)) != 0)
            return rc;
    /* the oldest records: a key is ascending only when first added */
    return tf_keyasc_find(&ix->asc, key, len, rec, err);
}

int tf_keyidx_find(struct tf_keyidx *ix, const char *key, size_t len,
                   uint64_t hash, struct tf_keyrec *rec, struct isl_error *err)
{
    struct ent *slot;

    return lookup(ix, key, len, hash, rec, &slot, err);
}

/* Whether key[0..len) sorts after every key added: then it is new
 * without a look at the filter, and goes to the ascending log. */
static bool above_max(const struct tf_keyidx *ix, const char *key, size_t len)
{
    return !ix->nkeys || tf_key_cmp(key, len, ix->max, ix->maxlen) > 0;
}

static int set_max(struct tf_keyidx *ix, const char *key, size_t len,
                   struct isl_error *err)
{
    if (len > ix->amax) {
        char *p = realloc(ix->max, len ? len : 1);

        if (!p)
            return no_memory(err);
        ix->max = p;
        ix->amax = len;
    }
    memcpy(ix->max, key, len);
    ix->maxlen = len;
    return 0;
}

int tf_keyidx_put(struct tf_keyidx *ix, const char *key, size_t len,
                  uint64_t hash, const struct tf_keyrec *rec, bool replace,
                  struct tf_keyrec *old, struct isl_error *err)
{
    size_t mask = TABLE_SLOTS - 1, i;
    struct ent *slot;
    uint64_t off = 0;
    bool found;
    int rc;

    if (above_max(ix, key, len)) { /* new, and in order */
        if ((rc = tf_keyasc_add(&ix->asc, key, len, rec, err)) < 0 ||
            (rc = set_max(ix, key, len, err)) < 0)
            return rc;
        ix->pending[ix->npending++] = hash;
        if (ix->npending == PENDING)
            filter_flush(ix);
        ix->nkeys++;
        return 1;
    }
    rc = lookup(ix, key, len, hash, old, &slot, err);
    found = rc == 1;
    if (rc < 0 || (found && !replace))
        return rc < 0 ? rc : 0;
    if ((rc = log_append(ix, key, len, rec, &off, err)) < 0)
        return rc;
    if (slot) { /* the key is in the table: its entry now points here */
        slot->off = off + 1;
        return 0;
    }
    for (i = (size_t)(hash >> 48) & mask; ix->table[i].off; i = (i + 1) & mask)
        ;
    ix->table[i].hash = hash;
    ix->table[i].off = off + 1;
    *filter_word(ix, hash) |= filter_bits(hash);
    ix->ntable++;
    if (!found)
        ix->nkeys++;
    if (ix->ntable >= TABLE_MAX && (rc = flush_table(ix, err)) < 0)
        return rc;
    return found ? 0 : 1;
}
