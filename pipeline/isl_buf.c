/*
 * isl_buf.c: growable capped buffer (see isl_buf.h).
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void isl_buf_init(struct isl_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void isl_buf_free(struct isl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void isl_buf_fit(struct isl_buf *b)
{
    char *p;

    if (!b->data || b->alloc == b->len + 1)
        return;
    if ((p = realloc(b->data, b->len + 1))) {
        b->data = p;
        b->alloc = b->len + 1;
    }
}

int isl_buf__reserve_slow(struct isl_buf *b, size_t n)
{
    size_t need, alloc;
    char *p;

    if (n > b->cap || b->len > b->cap - n)
        return ISL_ELIMIT;
    need = b->len + n + 1;
    if (need <= b->alloc)
        return 0;
    alloc = b->alloc ? b->alloc : 64;
    while (alloc < need)
        alloc *= 2;
    if (alloc > b->cap + 1 && need <= b->cap + 1)
        alloc = b->cap + 1;
    p = realloc(b->data, alloc);
    if (!p)
        return ISL_ENOMEM;
    b->data = p;
    b->alloc = alloc;
    return 0;
}

int isl_buf__add_slow(struct isl_buf *b, const void *p, size_t n)
{
    int rc = isl_buf_reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int isl_buf_adds(struct isl_buf *b, const char *s)
{
    return isl_buf_add(b, s, strlen(s));
}

int isl_buf_addf(struct isl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ISL_ENOMEM;
    rc = isl_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}
