/*
 * isl_buf.h: a growable byte buffer with a hard size cap.
 *
 * Modelled on curl's dynbuf: every buffer has a cap fixed at init, so one
 * runaway CSV field or XML text node cannot take all memory. The contents
 * are always NUL-terminated (the NUL is not counted in len). The buffer
 * owns its memory; isl_buf_free releases it and accepts a zeroed buffer.
 */
#ifndef ISL_BUF_H
#define ISL_BUF_H

#include "isl_setup.h"

#include <string.h>

struct isl_buf {
    char *data;   /* NUL-terminated contents, NULL until first append */
    size_t len;   /* bytes used, not counting the NUL */
    size_t alloc; /* bytes allocated */
    size_t cap;   /* largest len allowed */
};

/* Initialise an empty buffer that may grow to cap bytes. */
void isl_buf_init(struct isl_buf *b, size_t cap);

/* Release the memory; b is left empty and reusable with the same cap. */
void isl_buf_free(struct isl_buf *b);

/* Give back the room the contents do not use (for a buffer that is done
 * growing and is kept a while). The contents stay as they are. */
void isl_buf_fit(struct isl_buf *b);

/* Forget the contents but keep the memory. */
static inline void isl_buf_reset(struct isl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Make room (the slow path of isl_buf_reserve). */
int isl_buf__reserve_slow(struct isl_buf *b, size_t n);

/* Make room for n more bytes. Returns 0, ISL_ELIMIT or ISL_ENOMEM. */
static inline int isl_buf_reserve(struct isl_buf *b, size_t n)
{
    if (b->alloc - b->len > n && n <= b->cap - b->len)
        return 0;
    return isl_buf__reserve_slow(b, n);
}

/* Append n bytes (the slow path of isl_buf_add). */
int isl_buf__add_slow(struct isl_buf *b, const void *p, size_t n);

/* Append n bytes. Returns 0, ISL_ELIMIT (past the cap) or ISL_ENOMEM.
 * Inline fast path: hot loops append a few bytes at a time. */
static inline int isl_buf_add(struct isl_buf *b, const void *p, size_t n)
{
    if (b->alloc - b->len > n && n <= b->cap - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return isl_buf__add_slow(b, p, n);
}

/* Append a NUL-terminated string. */
int isl_buf_adds(struct isl_buf *b, const char *s);

/* Append one byte. */
static inline int isl_buf_addc(struct isl_buf *b, char c)
{
    if (b->len + 1 < b->alloc && b->len < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return isl_buf__add_slow(b, &c, 1);
}

/* Append printf-style. */
int isl_buf_addf(struct isl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
