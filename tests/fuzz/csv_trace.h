/*
 * csv_trace.h: everything the CSV reader shows a caller, as text, so that
 * its two paths (the hand-written tokenizer and libcsv) and different read
 * chunk sizes can be compared byte for byte. Used by
 * tests/fuzz/fuzz_in_csv_paths.c and tests/unit/u_in_csv_paths.c.
 *
 * A trace has one line per event: open's return code (and error), then
 * for every isl_reader_next call its return code, the row's position and
 * fields, and the error, and at the end the delimiter and column names.
 * Header-only (static functions): each includer is one test executable.
 */
#ifndef CSV_TRACE_H
#define CSV_TRACE_H

#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls to isl_reader_next before a trace gives up (a reader that never
 * ends is a failure too: the trace says so). */
#define CSV_TRACE_MAX_CALLS 2000000

/* The fuzzer learns nothing from the trace code: no coverage for it. */
#if defined(__clang__)
#define CSV_TRACE_NOCOV __attribute__((no_sanitize("coverage")))
#else
#define CSV_TRACE_NOCOV
#endif

/* Append s[0..n) with bytes outside printable ASCII as \xNN. */
CSV_TRACE_NOCOV static void csv_trace_bytes(struct isl_buf *t, const char *s,
                                            size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *o;

    if (isl_buf_reserve(t, 4 * n) < 0)
        abort(); /* a trace past 1 GiB: not a reader bug to report */
    o = t->data + t->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            *o++ = (char)ch;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    t->len = (size_t)(o - t->data);
    t->data[t->len] = '\0';
}

CSV_TRACE_NOCOV static void csv_trace_str(struct isl_buf *t, const char *s)
{
    csv_trace_bytes(t, s, strlen(s));
}

CSV_TRACE_NOCOV static void csv_trace_error(struct isl_buf *t,
                                            const struct isl_error *e)
{
    isl_buf_addf(t, "  error code=%d where=%s file=", e->code, e->where);
    csv_trace_str(t, e->file);
    isl_buf_addf(t, " line=%llu record=%llu offset=%llu field=",
                 (unsigned long long)e->line, (unsigned long long)e->record,
                 (unsigned long long)e->offset);
    csv_trace_str(t, e->field);
    isl_buf_addf(t, " rule=%s msg=", e->rule);
    csv_trace_str(t, e->msg);
    isl_buf_addc(t, '\n');
}

CSV_TRACE_NOCOV static void csv_trace_row(struct isl_buf *t,
                                          const struct isl_row *row)
{
    isl_buf_addf(t, "  row line=%llu offset=%llu record=%llu n=%zu\n",
                 (unsigned long long)row->pos.line,
                 (unsigned long long)row->pos.offset,
                 (unsigned long long)row->pos.record, row->n);
    for (size_t i = 0; i < row->n; i++) {
        isl_buf_adds(t, "    ");
        csv_trace_str(t, row->fields[i].name);
        isl_buf_addf(t, " [%zu] ", row->fields[i].len);
        csv_trace_bytes(t, row->fields[i].value, row->fields[i].len);
        isl_buf_addc(t, '\n');
    }
}

/*
 * Read path to the end with o and write the trace into t (reset first).
 * t must have been initialised with isl_buf_init.
 */
CSV_TRACE_NOCOV static void csv_trace(struct isl_buf *t, const char *path,
                                      const struct isl_reader_opts *o)
{
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    const char *const *cols;
    struct isl_error err;
    size_t ncols, calls = 0;
    int rc;

    isl_buf_reset(t);
    isl_error_clear(&err);
    rc = isl_reader_open(&r, path, o, &err);
    isl_buf_addf(t, "open %d\n", rc);
    if (rc < 0) {
        csv_trace_error(t, &err);
        return;
    }
    do {
        isl_error_clear(&err);
        row = NULL;
        rc = isl_reader_next(r, &row, &err);
        isl_buf_addf(t, "next %d\n", rc);
        if (row && (rc == ISL_OK || rc == ISL_EROW))
            csv_trace_row(t, row);
        if (rc != ISL_OK && rc != ISL_EOF)
            csv_trace_error(t, &err);
    } while ((rc == ISL_OK || rc == ISL_EROW) && ++calls < CSV_TRACE_MAX_CALLS);
    if (calls == CSV_TRACE_MAX_CALLS)
        isl_buf_adds(t, "too many calls\n");
    ncols = isl_reader_columns(r, &cols);
    isl_buf_addf(t, "delimiter %d columns %zu\n", isl_reader_delimiter(r),
                 ncols);
    for (size_t i = 0; i < ncols; i++) {
        isl_buf_adds(t, "  ");
        csv_trace_str(t, cols[i]);
        isl_buf_addc(t, '\n');
    }
    isl_reader_close(r);
}

/* Print the line n of s (0-based) and the lines around it to stderr. */
CSV_TRACE_NOCOV static void csv_trace_show(const char *label, const char *s,
                                           size_t n)
{
    size_t line = 0;
    const char *p = s;

    fprintf(stderr, "--- %s (from line %zu):\n", label, n > 3 ? n - 3 : 0);
    while (*p && line < n + 4) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (line + 3 >= n)
            fprintf(stderr, "%s%.*s\n", line == n ? "> " : "  ", (int)len, p);
        line++;
        p += len + (e ? 1 : 0);
    }
}

/*
 * Compare two traces. Returns 0 when equal; otherwise prints both around
 * the first line that differs (with what, the two labels) and returns 1.
 */
CSV_TRACE_NOCOV static int csv_trace_diff(const char *what, const char *la,
                                          const struct isl_buf *a,
                                          const char *lb,
                                          const struct isl_buf *b)
{
    size_t i = 0, line = 0;

    if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0)
        return 0;
    while (i < a->len && i < b->len && a->data[i] == b->data[i])
        if (a->data[i++] == '\n')
            line++;
    fprintf(stderr, "csv paths differ: %s, line %zu of the traces\n", what,
            line + 1);
    csv_trace_show(la, a->data, line);
    csv_trace_show(lb, b->data, line);
    return 1;
}

#endif
