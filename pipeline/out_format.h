/*
 * out_format.h: what the loader puts on the wire, without any network, so
 * tests can check the exact bytes (Fluent Bit's test_formatter idea).
 *
 *   insertMultiple body:  {"records":[{"u_a":"1","u_isload_row":"R-1"},...]}
 *   single-row body:      {"u_a":"1","u_isload_row":"R-1"}
 *   URLs: BASE/api/now/import/STAGING/insertMultiple?run_after=..
 *                         BASE/api/now/table/STAGING?sysparm_query=..&..
 *
 * Keys are staging column names, or their labels with --keys label.
 * Values are always JSON strings.
 */
#ifndef OUT_FORMAT_H
#define OUT_FORMAT_H

#include "isl_setup.h"

struct isl_buf;
struct isl_row;

/* Append one record object: the row's fields, then the correlation column
 * (when corr_col is not NULL). labels, when not NULL, maps field i of the
 * row to the key to use (NULL entries keep the column name). */
int out_format_record(struct isl_buf *b, const struct isl_row *row,
                      const char *const *labels, const char *corr_col,
                      const char *corr_val);

/* Start and end an insertMultiple body around records joined by ','. */
int out_format_batch_open(struct isl_buf *b);
int out_format_batch_close(struct isl_buf *b);

/* Append s percent-encoded for a URL query value (RFC 3986 unreserved
 * characters stay as they are). */
int out_format_urlencode(struct isl_buf *b, const char *s);

/*
 * The correlation value of a row: "RUNID-N" with N the 1-based number of
 * the row in the run. Written into buf (at least 64 bytes).
 */
const char *out_format_corr(char *buf, size_t n, const char *run_id,
                            uint64_t row_no);

#endif
