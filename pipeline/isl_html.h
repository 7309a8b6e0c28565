/*
 * isl_html.h: the HTML validation report, one self-contained page made
 * from the JSON report document that `isload validate --report` writes.
 *
 * The page has no external assets and no script: inline CSS and inline SVG
 * only, so it can be mailed to a data owner, opened offline and printed.
 * Every string taken from the report is HTML-escaped.
 */
#ifndef ISL_HTML_H
#define ISL_HTML_H

#include "isl_setup.h"

#include <jansson.h>
#include <stdio.h>

struct isl_buf;
struct isl_error;

/* The rejected-rows table lists at most this many rows (file+line groups). */
#define ISL_HTML_MAX_ROWS 5000

/*
 * Write the HTML report for a validation report document (the JSON object
 * of isl_report_json or the file isl_report_write wrote) to f. Missing
 * members are shown as absent, not treated as errors. The document is only
 * read; f is not closed.
 *
 * Returns 0, ISL_EIO (writing to f failed), ISL_ENOMEM, or ISL_ECONFIG
 * when report is not a JSON object; err says which.
 */
int isl_html_write(FILE *f, const json_t *report, struct isl_error *err);

/*
 * Append s[0..n) to b escaped for HTML text and for attribute values in
 * double or single quotes: & < > " ' become entities, C0 control bytes and
 * DEL become the visible Unicode control pictures (U+2400..U+2421, e.g. a
 * tab shows as U+2409), and bytes that are not valid UTF-8 become U+FFFD.
 * NUL bytes inside s are handled like other controls.
 *
 * Returns 0, ISL_ELIMIT (past b's cap) or ISL_ENOMEM.
 */
int isl_html_escape(struct isl_buf *b, const char *s, size_t n);

#endif
