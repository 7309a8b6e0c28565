/*
 * tf_keyasc.c: the ascending key log (see tf_keyasc.h).
 */
#include "isl_setup.h"
#include "tf_keyasc.h"
#include "isl_tmpfile.h"
#include "isl_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK ((size_t)8 << 10)

static int no_memory(struct isl_error *err)
{
    return isl_error_set(err, ISL_ENOMEM, "unique", "key index: out of memory");
}

static int io_error(struct isl_error *err, const char *what)
{
    return isl_error_set(err, ISL_EIO, "unique", "key index: cannot %s: %s",
                         what, strerror(errno));
}

/* Make *p hold at least n bytes. 0 or -1. */
static int grow(char **p, size_t *alloc, size_t n)
{
    size_t a = *alloc ? *alloc : 256;
    char *q;

    if (n <= *alloc)
        return 0;
    while (a < n)
        a *= 2;
    if (!(q = realloc(*p, a)))
        return -1;
    *p = q;
    *alloc = a;
    return 0;
}

int tf_key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int d = memcmp(a, b, alen < blen ? alen : blen);

    if (d)
        return d;
    return alen < blen ? -1 : alen > blen;
}

void tf_keyasc_init(struct tf_keyasc *a)
{
    memset(a, 0, sizeof(*a));
    a->fd = -1;
}

void tf_keyasc_free(struct tf_keyasc *a)
{
    if (a->fd >= 0)
        close(a->fd);
    free(a->buf);
    free(a->start);
    free(a->fence);
    free(a->keys);
    free(a->read);
    tf_keyasc_init(a);
}

/* Write the block being filled; the next record starts a new block. */
static int flush_block(struct tf_keyasc *a, struct isl_error *err)
{
    if (a->fd < 0 && (a->fd = isl_tmpfile_fd("unique", err)) < 0)
        return ISL_EIO;
    if (tf_pwrite_full(a->fd, a->buf, a->len, a->file) < 0)
        return io_error(err, "write the key log");
    a->file += a->len;
    a->len = 0;
    return 0;
}

/* Start block nblocks at the current file end, with key as its fence. */
static int start_block(struct tf_keyasc *a, const char *key, size_t len,
                       struct isl_error *err)
{
    uint32_t l = (uint32_t)len;

    if (a->nblocks + 2 > a->ablocks) {
        size_t n = a->ablocks ? a->ablocks * 2 : 64;
        uint64_t *s = realloc(a->start, n * sizeof(*s));
        size_t *f;

        if (!s)
            return no_memory(err);
        a->start = s;
        if (!(f = realloc(a->fence, n * sizeof(*f))))
            return no_memory(err);
        a->fence = f;
        a->ablocks = n;
    }
    if (grow(&a->keys, &a->kalloc, a->klen + 4 + len) < 0)
        return no_memory(err);
    a->fence[a->nblocks] = a->klen;
    memcpy(a->keys + a->klen, &l, 4);
    memcpy(a->keys + a->klen + 4, key, len);
    a->klen += 4 + len;
    a->start[a->nblocks] = a->file;
    a->nblocks++;
    return 0;
}

int tf_keyasc_add(struct tf_keyasc *a, const char *key, size_t len,
                  const struct tf_keyrec *rec, struct isl_error *err)
{
    size_t size = TF_KEYREC_HEAD + len;

    if (len > UINT32_MAX - TF_KEYREC_HEAD)
        return isl_error_set(err, ISL_ELIMIT, "unique",
                             "a key of %zu bytes is too long", len);
    if (a->len && a->len + size > BLOCK && flush_block(a, err) < 0)
        return ISL_EIO;
    if (!a->len && start_block(a, key, len, err) < 0)
        return ISL_ENOMEM;
    if (grow(&a->buf, &a->alloc,
             a->len + size > BLOCK ? a->len + size : BLOCK) < 0)
        return no_memory(err);
    tf_keyrec_put(a->buf + a->len, rec, (uint32_t)len);
    memcpy(a->buf + a->len + TF_KEYREC_HEAD, key, len);
    a->len += size;
    a->n++;
    return 0;
}

/* The first key of block b. */
static int fence_cmp(const struct tf_keyasc *a, size_t b, const char *key,
                     size_t len)
{
    uint32_t l;

    memcpy(&l, a->keys + a->fence[b], 4);
    return tf_key_cmp(a->keys + a->fence[b] + 4, l, key, len);
}

int tf_keyasc_find(struct tf_keyasc *a, const char *key, size_t len,
                   struct tf_keyrec *rec, struct isl_error *err)
{
    size_t lo = 0, hi = a->nblocks, b, size;
    const char *p, *end;

    if (!a->n || fence_cmp(a, 0, key, len) > 0)
        return 0;
    while (lo < hi) { /* blocks whose first key is <= key */
        size_t mid = lo + (hi - lo) / 2;

        if (fence_cmp(a, mid, key, len) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    b = lo - 1;
    if (b == a->nblocks - 1 && a->len) { /* the block being filled */
        p = a->buf;
        size = a->len;
    } else {
        uint64_t next = b + 1 < a->nblocks ? a->start[b + 1] : a->file;

        size = (size_t)(next - a->start[b]);
        if (grow(&a->read, &a->aread, size) < 0)
            return no_memory(err);
        if (tf_pread_full(a->fd, a->read, size, a->start[b]) != (long long)size)
            return io_error(err, "read the key log");
        p = a->read;
    }
    for (end = p + size; p + TF_KEYREC_HEAD <= end;) {
        struct tf_keyrec r;
        uint32_t l = tf_keyrec_get(p, &r);
        int d;

        if ((size_t)(end - p) < TF_KEYREC_HEAD + (size_t)l)
            break;
        d = tf_key_cmp(p + TF_KEYREC_HEAD, l, key, len);
        if (d == 0) {
            *rec = r;
            return 1;
        }
        if (d > 0)
            break; /* sorted: it is not here */
        p += TF_KEYREC_HEAD + l;
    }
    return 0;
}
