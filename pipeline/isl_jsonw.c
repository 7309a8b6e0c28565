/*
 * isl_jsonw.c: escaping JSON writer (see isl_jsonw.h).
 *
 * Runs of bytes that need no escaping are copied with one memcpy; a table
 * marks the bytes that do (controls, quote, backslash). Bytes >= 0x80 are
 * copied as they are: values are valid UTF-8 by the time they get here.
 */
#include "isl_setup.h"
#include "isl_jsonw.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_row.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char needs_escape[256] =
    {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
};

int isl_jsonw_string(struct isl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    const uint64_t lo = 0x0101010101010101ULL, hi = lo << 7;
    size_t i = 0;
    char *o;
    int rc;

    /* worst case 6 bytes per input byte, plus quotes; then write in place */
    if (n > (SIZE_MAX - 2) / 6)
        return ISL_ELIMIT;
    if ((rc = isl_buf_reserve(b, 6 * n + 2)) < 0)
        return rc;
    o = b->data + b->len;
    *o++ = '"';
    {
        /* eight bytes at a time while none is a control, '"' or '\\';
         * then byte by byte from the first that may need escaping */
        while (i + 8 <= n) {
            uint64_t w, q, bs;

            memcpy(&w, p + i, 8);
            q = w ^ (0x22 * lo);
            bs = w ^ (0x5c * lo);
            if (((w - 0x20 * lo) & ~w & hi) | ((q - lo) & ~q & hi) |
                ((bs - lo) & ~bs & hi))
                break;
            memcpy(o, p + i, 8);
            o += 8;
            i += 8;
        }
        for (; i < n; i++) {
            unsigned char c = p[i];

            if (!needs_escape[c]) {
                *o++ = (char)c;
                continue;
            }
            *o++ = '\\';
            switch (c) {
            case '"':
                *o++ = '"';
                break;
            case '\\':
                *o++ = '\\';
                break;
            case '\n':
                *o++ = 'n';
                break;
            case '\r':
                *o++ = 'r';
                break;
            case '\t':
                *o++ = 't';
                break;
            case '\b':
                *o++ = 'b';
                break;
            case '\f':
                *o++ = 'f';
                break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int isl_jsonw_row(struct isl_buf *b, const struct isl_row *row)
{
    int rc;

    if ((rc = isl_buf_addc(b, '{')) < 0)
        return rc;
    for (size_t i = 0; i < row->n; i++) {
        const struct isl_field *f = &row->fields[i];

        if (i && (rc = isl_buf_addc(b, ',')) < 0)
            return rc;
        if ((rc = isl_jsonw_string(b, f->name, strlen(f->name))) < 0 ||
            (rc = isl_buf_addc(b, ':')) < 0 ||
            (rc = isl_jsonw_string(b, f->value, f->len)) < 0)
            return rc;
    }
    return isl_buf_addc(b, '}');
}

int isl_jsonw_row_cached(struct isl_buf *b, const struct isl_row *row,
                         struct isl_jsonw_names *c)
{
    int rc;

    if (row->n > c->n) {
        const char **p = realloc(c->ptr, row->n * sizeof(*p));
        struct isl_buf *e;

        if (!p)
            return ISL_ENOMEM;
        c->ptr = p;
        e = realloc(c->esc, row->n * sizeof(*e));
        if (!e)
            return ISL_ENOMEM;
        c->esc = e;
        for (size_t i = c->n; i < row->n; i++) {
            c->ptr[i] = NULL;
            isl_buf_init(&c->esc[i], (size_t)1 << 20);
        }
        c->n = row->n;
    }
    if ((rc = isl_buf_addc(b, '{')) < 0)
        return rc;
    for (size_t i = 0; i < row->n; i++) {
        const struct isl_field *f = &row->fields[i];

        if (c->ptr[i] != f->name) {
            isl_buf_reset(&c->esc[i]);
            if ((rc = isl_jsonw_string(&c->esc[i], f->name, strlen(f->name))) <
                    0 ||
                (rc = isl_buf_addc(&c->esc[i], ':')) < 0)
                return rc;
            c->ptr[i] = f->name;
        }
        if ((i && (rc = isl_buf_addc(b, ',')) < 0) ||
            (rc = isl_buf_add(b, c->esc[i].data, c->esc[i].len)) < 0 ||
            (rc = isl_jsonw_string(b, f->value, f->len)) < 0)
            return rc;
    }
    return isl_buf_addc(b, '}');
}

void isl_jsonw_names_free(struct isl_jsonw_names *c)
{
    for (size_t i = 0; i < c->n; i++)
        isl_buf_free(&c->esc[i]);
    free(c->esc);
    free(c->ptr);
    c->esc = NULL;
    c->ptr = NULL;
    c->n = 0;
}
