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

/* Append the row's key as a JSON object of the key columns in order,
 * {"u_employee_id":"E1"} ({} without key columns): a key's identity in
 * the delta store, the manifest and the report. */
int out_format_key_json(struct isl_buf *b, const struct isl_row *row,
                        const char *const *key_cols, size_t nkey);

/* True when v can stand in an encoded-query IN list: not empty, and no
 * ',' or '^' (ServiceNow documents no escape for them). */
bool out_format_in_value_ok(const char *v);

/* Append FIELDINv1,v2,... to the encoded query q, after a '^' when q is
 * not empty. The values must pass out_format_in_value_ok. */
int out_format_in_term(struct isl_buf *q, const char *field,
                       const char *const *vals, size_t n);

/* A Table API list read:
 *   /api/now/table/TABLE?sysparm_query=Q&sysparm_fields=F1%2CF2
 *        &sysparm_limit=N&sysparm_exclude_reference_link=true
 * with Q and the field names percent-encoded. */
int out_format_table_get(struct isl_buf *url, const char *table,
                         const char *query, const char *const *fields,
                         size_t nfields, size_t limit);

#endif
