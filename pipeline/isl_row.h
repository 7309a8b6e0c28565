/*
 * isl_row.h: the row, the unit that flows from readers to sinks.
 *
 * A row is an ordered list of (name, value) string pairs plus the position
 * of its source. Every value is text: ServiceNow receives strings only, so
 * readers turn numbers, booleans and nulls into text once, at the edge.
 *
 * Ownership: a row returned by a reader, and every string it points to, is
 * borrowed from that reader and valid until the next isl_reader_next() or
 * isl_reader_close(). Code that keeps a row longer copies it
 * (isl_row_copy). Names and values are always NUL-terminated; values may
 * also contain NUL bytes only if the input did, so use len, not strlen.
 */
#ifndef ISL_ROW_H
#define ISL_ROW_H

#include "isl_setup.h"

/* Where a row came from. */
struct isl_pos {
    const char *file; /* display name ("<stdin>" for -), borrowed */
    uint64_t line;    /* 1-based line where the record starts; 0 if none */
    uint64_t record;  /* 1-based record number within its file */
    uint64_t offset;  /* byte offset of the record start, decoded stream;
                         UINT64_MAX when the reader cannot know it */
};

struct isl_field {
    const char *name;  /* field name, NUL-terminated */
    const char *value; /* value, NUL-terminated */
    size_t len;        /* value length in bytes */
};

struct isl_row {
    struct isl_pos pos;       /* source position */
    size_t n;                 /* number of fields */
    struct isl_field *fields; /* n fields, in source order */
};

/*
 * Find a field by name. Returns the field or NULL. Linear: rows are small
 * and hot callers cache indices instead.
 */
const struct isl_field *isl_row_find(const struct isl_row *row,
                                     const char *name);

/*
 * Deep-copy src into a single allocation. *out belongs to the caller and
 * is released with free(). Returns 0 or ISL_ENOMEM.
 */
int isl_row_copy(struct isl_row **out, const struct isl_row *src);

#endif
