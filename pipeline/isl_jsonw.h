/*
 * isl_jsonw.h: a small escaping JSON writer into an isl_buf.
 *
 * Rows go out as JSON on hot paths (--emit, request bodies, reports), where
 * building a jansson object per row costs several times the parse. This
 * writer appends escaped strings and flat row objects straight into a
 * reused buffer. It never fails except on the buffer's cap or memory.
 */
#ifndef ISL_JSONW_H
#define ISL_JSONW_H

#include "isl_setup.h"

struct isl_buf;
struct isl_row;

/* Append s[0..n) as a quoted JSON string. Returns 0 or < 0. */
int isl_jsonw_string(struct isl_buf *b, const char *s, size_t n);

/* Append {"name":"value",...} for the row's fields, in order. */
int isl_jsonw_row(struct isl_buf *b, const struct isl_row *row);

/*
 * Escaped field names, remembered by name pointer: readers keep name
 * pointers stable between rows, so a row writer escapes each name once.
 * Zero-initialise; release with isl_jsonw_names_free.
 */
struct isl_jsonw_names {
    const char **ptr;    /* name pointer per field position */
    struct isl_buf *esc; /* its escaped form plus ':' */
    size_t n;
};

/* As isl_jsonw_row, with names escaped once through cache. */
int isl_jsonw_row_cached(struct isl_buf *b, const struct isl_row *row,
                         struct isl_jsonw_names *cache);

void isl_jsonw_names_free(struct isl_jsonw_names *cache);

#endif
