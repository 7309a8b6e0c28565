/*
 * isl_reader_int.h: what a reader implementation sees (in_csv.c, in_xml.c,
 * in_json.c). Callers use isl_reader.h only.
 *
 * To add a format: write in_FORMAT.c with a `const struct isl_reader_type`
 * and add it to the table in isl_reader.c. The framework opens the input,
 * allocates ctx_size bytes of zeroed context, and calls open; close must
 * accept a context that open left half-initialised.
 */
#ifndef ISL_READER_INT_H
#define ISL_READER_INT_H

#include "isl_setup.h"
#include "isl_reader.h"
#include "isl_row.h"

struct isl_input;
struct isl_error;

struct isl_reader_type {
    const char *name;       /* "csv" */
    enum isl_format format; /* what it reads */
    size_t ctx_size;        /* zeroed context allocated for each reader */
    int (*open)(struct isl_reader *r, struct isl_error *err);
    int (*next)(struct isl_reader *r, struct isl_row **row,
                struct isl_error *err);
    void (*close)(struct isl_reader *r); /* frees ctx contents, not ctx */
};

struct isl_reader {
    const struct isl_reader_type *type;
    struct isl_reader_opts opts; /* copy with defaults filled in */
    struct isl_input *in;        /* owned */
    const char *name;            /* display name, borrowed from in */
    const char *const *columns;  /* known columns (CSV header) or NULL */
    size_t ncolumns;
    void *ctx; /* ctx_size bytes, owned */
};

extern const struct isl_reader_type isl_in_csv;
extern const struct isl_reader_type isl_in_xml;
extern const struct isl_reader_type isl_in_json;
extern const struct isl_reader_type isl_in_ndjson;

/*
 * Fill err with a row-level error at row's position and return ISL_EROW.
 * field may be NULL. rule is a short machine name ("field_count").
 */
int isl_reader__row_error(struct isl_reader *r, const struct isl_row *row,
                          struct isl_error *err, const char *field,
                          const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Fill err with a fatal parse error at line/offset; returns ISL_EPARSE. */
int isl_reader__parse_error(struct isl_reader *r, struct isl_error *err,
                            uint64_t line, uint64_t offset, const char *fmt,
                            ...) __attribute__((format(printf, 5, 6)));

#endif
