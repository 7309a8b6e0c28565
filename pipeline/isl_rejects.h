/*
 * isl_rejects.h: the rejects file: rejected rows in the input's own format
 * plus the reasons, so a data owner can fix the rows and feed them back.
 *
 *   CSV     same header and delimiter, plus columns isload_file,
 *           isload_line, isload_rule, isload_column, isload_reason
 *   JSON    NDJSON: the row's fields plus "isload_errors": [{...}]
 *   NDJSON  as JSON
 *   XML     <isload_rejects><record isload_line=".."> fields as child
 *           elements, reasons as <isload_error> children </record>
 */
#ifndef ISL_REJECTS_H
#define ISL_REJECTS_H

#include "isl_setup.h"
#include "isl_reader.h"

struct isl_error;
struct isl_verdict;
struct isl_rejects;

/* Open path for writing ("-" = stdout). */
int isl_rejects_open(struct isl_rejects **out, const char *path,
                     struct isl_error *err);

/*
 * Write one rejected row. format, delimiter and columns describe the
 * input it came from (columns: the CSV header, or NULL); the first call
 * fixes the file's format and header.
 */
int isl_rejects_write(struct isl_rejects *w, const struct isl_verdict *v,
                      enum isl_format format, char delimiter,
                      const char *const *columns, size_t ncolumns);

/* Finish and close; returns 0 or ISL_EIO. Accepts NULL. */
int isl_rejects_close(struct isl_rejects *w, struct isl_error *err);

#endif
