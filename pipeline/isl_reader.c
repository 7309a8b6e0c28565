/*
 * isl_reader.c: opening a reader (format detection), the calls every
 * reader shares, and the stream of rows over several inputs.
 *
 * Detection looks at content, never at names, after gzip and the BOM:
 * '<' is XML; '[' is a JSON array; '{' is a JSON document when its first
 * key is "records" (ServiceNow's JSON export) or when a records_path is
 * configured, and NDJSON otherwise; anything else is CSV.
 */
#include "isl_setup.h"
#include "isl_reader_int.h"
#include "isl_error.h"
#include "isl_input.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct isl_reader_type *const reader_types[] = {
    &isl_in_csv,
    &isl_in_xml,
    &isl_in_json,
    &isl_in_ndjson,
};

const char *isl_format_name(enum isl_format f)
{
    switch (f) {
    case ISL_FMT_AUTO:
        return "auto";
    case ISL_FMT_CSV:
        return "csv";
    case ISL_FMT_XML:
        return "xml";
    case ISL_FMT_JSON:
        return "json";
    case ISL_FMT_NDJSON:
        return "ndjson";
    }
    return NULL;
}

int isl_format_parse(const char *name)
{
    static const char *const names[] = {"auto", "csv", "xml", "json", "ndjson"};

    for (size_t i = 0; i < ISL_ARRAY_LEN(names); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    if (strcmp(name, "jsonl") == 0)
        return ISL_FMT_NDJSON;
    return -1;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static enum isl_format detect(const char *p, size_t n,
                              const struct isl_reader_opts *o)
{
    const char *end = p + n;

    p = skip_ws(p, end);
    if (p == end)
        return ISL_FMT_CSV;
    if (*p == '<')
        return ISL_FMT_XML;
    if (*p == '[')
        return ISL_FMT_JSON;
    if (*p == '{') {
        if (o->records_path && *o->records_path)
            return ISL_FMT_JSON;
        p = skip_ws(p + 1, end);
        if ((size_t)(end - p) >= 9 && memcmp(p, "\"records\"", 9) == 0)
            return ISL_FMT_JSON;
        return ISL_FMT_NDJSON;
    }
    return ISL_FMT_CSV;
}

int isl_reader_open(struct isl_reader **out, const char *path,
                    const struct isl_reader_opts *opts, struct isl_error *err)
{
    struct isl_reader *r = calloc(1, sizeof(*r));
    enum isl_format fmt = opts->format;
    int rc;

    *out = NULL;
    if (!r)
        return isl_error_set(err, ISL_ENOMEM, "reader", "out of memory");
    r->opts = *opts;
    if (!r->opts.quote)
        r->opts.quote = '"';
    if (!r->opts.max_field)
        r->opts.max_field = ISL_DEFAULT_MAX_FIELD;
    if (!r->opts.max_record)
        r->opts.max_record = ISL_DEFAULT_MAX_RECORD;
    if (r->opts.max_field > r->opts.max_record)
        r->opts.max_field = r->opts.max_record;

    if ((rc = isl_input_open(&r->in, path, opts->encoding,
                             opts->stop_fd > 0 ? opts->stop_fd : -1, err)) < 0)
        goto fail;
    r->name = isl_input_name(r->in);
    if (fmt == ISL_FMT_AUTO) {
        const char *p;
        size_t n;

        if ((rc = isl_input_peek(r->in, &p, &n, err)) < 0)
            goto fail;
        fmt = detect(p, n, &r->opts);
    }
    r->opts.format = fmt;
    for (size_t i = 0; i < ISL_ARRAY_LEN(reader_types); i++)
        if (reader_types[i]->format == fmt)
            r->type = reader_types[i];
    if (!r->type) {
        rc = isl_error_set(err, ISL_ECONFIG, "reader", "no reader for format");
        goto fail;
    }
    r->ctx = calloc(1, r->type->ctx_size ? r->type->ctx_size : 1);
    if (!r->ctx) {
        rc = isl_error_set(err, ISL_ENOMEM, "reader", "out of memory");
        goto fail;
    }
    if ((rc = r->type->open(r, err)) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    if (!err->file[0] && r->in)
        isl_error_at(err, r->name, err->line, err->offset);
    else if (!err->file[0])
        isl_error_at(err, path, err->line, err->offset);
    isl_reader_close(r);
    return rc;
}

int isl_reader_next(struct isl_reader *r, const struct isl_row **row,
                    struct isl_error *err)
{
    struct isl_row *rw = NULL;
    int rc = r->type->next(r, &rw, err);

    *row = rw;
    return rc;
}

enum isl_format isl_reader_format(const struct isl_reader *r)
{
    return r->opts.format;
}

char isl_reader_delimiter(const struct isl_reader *r)
{
    return r->opts.format == ISL_FMT_CSV ? r->opts.delimiter : 0;
}

const char *isl_reader_name(const struct isl_reader *r)
{
    return r->name;
}

size_t isl_reader_columns(const struct isl_reader *r, const char *const **names)
{
    *names = r->columns;
    return r->ncolumns;
}

uint64_t isl_reader_bytes_read(const struct isl_reader *r)
{
    return isl_input_raw_offset(r->in);
}

uint64_t isl_reader_bytes_total(const struct isl_reader *r)
{
    return isl_input_raw_size(r->in);
}

bool isl_reader_is_gzip(const struct isl_reader *r)
{
    return isl_input_is_gzip(r->in);
}

void isl_reader_close(struct isl_reader *r)
{
    if (!r)
        return;
    if (r->type && r->ctx)
        r->type->close(r);
    free(r->ctx);
    isl_input_close(r->in);
    free(r);
}

int isl_reader__row_error(struct isl_reader *r, const struct isl_row *row,
                          struct isl_error *err, const char *field,
                          const char *rule, const char *fmt, ...)
{
    va_list ap;

    isl_error_clear(err);
    err->code = ISL_EROW;
    snprintf(err->where, sizeof(err->where), "in_%s", r->type->name);
    isl_error_at(err, r->name, row->pos.line, row->pos.offset);
    err->record = row->pos.record;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    snprintf(err->rule, sizeof(err->rule), "%s", rule);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return ISL_EROW;
}

int isl_reader__parse_error(struct isl_reader *r, struct isl_error *err,
                            uint64_t line, uint64_t offset, const char *fmt,
                            ...)
{
    va_list ap;

    isl_error_clear(err);
    err->code = ISL_EPARSE;
    snprintf(err->where, sizeof(err->where), "in_%s", r->type->name);
    isl_error_at(err, r->name, line, offset);
    snprintf(err->rule, sizeof(err->rule), "parse");
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return ISL_EPARSE;
}

/* ---- stream over several inputs ---- */

struct isl_stream {
    const char *const *paths;
    size_t npaths, next_path;
    const struct isl_reader_opts *opts;
    struct isl_reader *cur;
    uint64_t bytes_done;       /* compressed bytes of finished inputs */
    uint64_t bytes_total;      /* sizes of finished inputs */
    bool at_end;               /* the last input has ended */
    void (*on_end)(void *arg); /* see isl_stream_on_end */
    void *on_end_arg;
};

int isl_stream_open(struct isl_stream **out, const char *const *paths,
                    size_t npaths, const struct isl_reader_opts *opts,
                    struct isl_error *err)
{
    struct isl_stream *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return isl_error_set(err, ISL_ENOMEM, "stream", "out of memory");
    s->paths = paths;
    s->npaths = npaths;
    s->opts = opts;
    *out = s;
    return 0;
}

int isl_stream_next(struct isl_stream *s, const struct isl_row **row,
                    struct isl_error *err)
{
    if (s->at_end)
        return ISL_EOF;
    for (;;) {
        int rc;

        if (!s->cur) {
            if (s->next_path == s->npaths)
                return ISL_EOF;
            rc = isl_reader_open(&s->cur, s->paths[s->next_path++], s->opts,
                                 err);
            if (rc < 0)
                return rc;
        }
        rc = isl_reader_next(s->cur, row, err);
        if (rc != ISL_EOF)
            return rc;
        if (s->on_end)
            s->on_end(s->on_end_arg);
        if (s->next_path == s->npaths) {
            s->at_end = true; /* keep the last reader for its columns */
            return ISL_EOF;
        }
        s->bytes_done += isl_reader_bytes_read(s->cur);
        s->bytes_total += isl_reader_bytes_total(s->cur);
        isl_reader_close(s->cur);
        s->cur = NULL;
    }
}

void isl_stream_on_end(struct isl_stream *s, void (*fn)(void *arg), void *arg)
{
    s->on_end = fn;
    s->on_end_arg = arg;
}

struct isl_reader *isl_stream_reader(const struct isl_stream *s)
{
    return s->cur;
}

size_t isl_stream_input(const struct isl_stream *s)
{
    return s->cur ? s->next_path : 0;
}

uint64_t isl_stream_bytes_read(const struct isl_stream *s)
{
    return s->bytes_done + (s->cur ? isl_reader_bytes_read(s->cur) : 0);
}

uint64_t isl_stream_bytes_total(const struct isl_stream *s)
{
    return s->bytes_total + (s->cur ? isl_reader_bytes_total(s->cur) : 0);
}

void isl_stream_close(struct isl_stream *s)
{
    if (!s)
        return;
    isl_reader_close(s->cur);
    free(s);
}
