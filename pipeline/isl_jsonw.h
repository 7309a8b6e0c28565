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

#endif
