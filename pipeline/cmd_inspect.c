/*
 * cmd_inspect.c: `isload inspect INPUT...`: look at a file before writing
 * a feed for it. Detects the format, prints the fields found, the row
 * count, the first rows and the first row errors; --emit writes every
 * good row as NDJSON (field name -> string value, in source order).
 *
 * It drives the readers end to end and is the reader benchmark's
 * workload, so the per-row path is kept cheap: no allocation per row, one
 * reused output buffer, and the column union only re-checked when a row's
 * field names differ from the previous row's.
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_cli.h"
#include "isl_error.h"
#include "isl_jsonw.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN_ERRORS 10
#define EMIT_FLUSH (256 * 1024)

static const char usage[] =
    "usage: isload inspect [options] INPUT...\n\n"
    "Read the inputs ('-' is stdin) as one stream of rows and print the "
    "format,\nthe fields, the row count, the first rows and the first row "
    "errors.\n\n"
    "Options:\n"
    "  --rows N              rows to show (default 5)\n"
    "  --emit FILE           write every good row as NDJSON to FILE ('-' "
    "is stdout)\n"
    "  -h, --help            this help\n\n";

/* The union of field names seen, in first-seen order. */
struct colset {
    char **names;
    size_t n, alloc;
    const char **last; /* name pointers of the previous row */
    size_t nlast, alast;
};

static int colset_add(struct colset *cs, const char *name)
{
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->names[i], name) == 0)
            return 0;
    if (cs->n == cs->alloc) {
        size_t a = cs->alloc ? cs->alloc * 2 : 16;
        char **p = realloc(cs->names, a * sizeof(*p));

        if (!p)
            return -1;
        cs->names = p;
        cs->alloc = a;
    }
    if (!(cs->names[cs->n] = strdup(name)))
        return -1;
    cs->n++;
    return 0;
}

static int colset_row(struct colset *cs, const struct isl_row *row)
{
    bool same = row->n == cs->nlast;

    for (size_t i = 0; same && i < row->n; i++)
        same = row->fields[i].name == cs->last[i];
    if (same)
        return 0;
    if (row->n > cs->alast) {
        const char **p = realloc(cs->last, row->n * sizeof(*p));

        if (!p)
            return -1;
        cs->last = p;
        cs->alast = row->n;
    }
    for (size_t i = 0; i < row->n; i++) {
        if (colset_add(cs, row->fields[i].name) < 0)
            return -1;
        cs->last[i] = row->fields[i].name;
    }
    cs->nlast = row->n;
    return 0;
}

static void colset_free(struct colset *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free(cs->names[i]);
    free(cs->names);
    free(cs->last);
}

static int flush_emit(FILE *f, struct isl_buf *b)
{
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
        return -1;
    isl_buf_reset(b);
    return 0;
}

static int inspect_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        ISL_READER_LONGOPTS,
        {"rows", required_argument, NULL, 'n'},
        {"emit", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct isl_cli_reader cr = {0};
    struct isl_stream *stream = NULL;
    struct isl_error err;
    struct colset cols = {0};
    struct isl_buf out, preview;
    struct isl_jsonw_names names = {0};
    const char *emit_path = NULL;
    FILE *emit = NULL;
    uint64_t rows = 0, bad = 0;
    long show = 5;
    int opt, rc, status = ISL_EXIT_USAGE;
    char line[1024];

    isl_error_clear(&err);
    isl_buf_init(&out, (size_t)1 << 31);
    isl_buf_init(&preview, (size_t)1 << 24);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_reader_help, stdout);
            status = ISL_EXIT_OK;
            goto out;
        case 'n':
            show = strtol(optarg, NULL, 10);
            if (show < 0) {
                isl_cli_usage_error("inspect", "bad --rows '%s'", optarg);
                goto out;
            }
            break;
        case 'e':
            emit_path = optarg;
            break;
        case ':':
            isl_cli_usage_error("inspect", "option '%s' needs a value",
                                argv[optind - 1]);
            goto out;
        case '?':
            isl_cli_usage_error("inspect", "unknown option '%s'",
                                argv[optind - 1]);
            goto out;
        default:
            if (isl_cli_reader_option(&cr, "inspect", opt, optarg))
                goto out;
        }
    }
    if (optind == argc) {
        isl_cli_usage_error("inspect", "no INPUT given");
        goto out;
    }
    if (emit_path) {
        emit = strcmp(emit_path, "-") == 0 ? stdout : fopen(emit_path, "w");
        if (!emit) {
            fprintf(stderr, "isload inspect: cannot write %s\n", emit_path);
            goto out;
        }
    }
    if (isl_stream_open(&stream, (const char *const *)argv + optind,
                        (size_t)(argc - optind), &cr.opts, &err) < 0)
        goto fatal;

    for (;;) {
        const struct isl_row *row;

        rc = isl_stream_next(stream, &row, &err);
        if (rc == ISL_EOF)
            break;
        if (rc == ISL_EROW) {
            rows++;
            if (++bad <= MAX_SHOWN_ERRORS)
                fprintf(stderr, "error: %s\n",
                        isl_error_format(&err, line, sizeof(line)));
            continue;
        }
        if (rc < 0)
            goto fatal;
        rows++;
        if (colset_row(&cols, row) < 0)
            goto nomem;
        if ((long)rows - (long)bad <= show) {
            if (isl_buf_addf(&preview, "  %s:%llu: ", row->pos.file,
                             (unsigned long long)(row->pos.line
                                                      ? row->pos.line
                                                      : row->pos.record)) < 0 ||
                isl_jsonw_row(&preview, row) < 0 ||
                isl_buf_addc(&preview, '\n') < 0)
                goto nomem;
        }
        if (emit) {
            if (isl_jsonw_row_cached(&out, row, &names) < 0 ||
                isl_buf_addc(&out, '\n') < 0)
                goto nomem;
            if (out.len >= EMIT_FLUSH && flush_emit(emit, &out) < 0)
                goto write_fail;
        }
    }
    if (emit && flush_emit(emit, &out) < 0)
        goto write_fail;
    {
        struct isl_reader *r = isl_stream_reader(stream);
        FILE *o = emit == stdout ? stderr : stdout;
        const char *const *header;
        size_t nheader = r ? isl_reader_columns(r, &header) : 0;

        /* a CSV file of a header and no rows still has its fields */
        for (size_t i = 0; i < nheader; i++)
            if (colset_add(&cols, header[i]) < 0)
                goto nomem;

        if (r) {
            fprintf(o, "format: %s%s\n", isl_format_name(isl_reader_format(r)),
                    isl_reader_is_gzip(r) ? " (gzip)" : "");
        }
        fprintf(o, "fields (%zu):", cols.n);
        for (size_t i = 0; i < cols.n; i++)
            fprintf(o, "%s %s", i ? "," : "", cols.names[i]);
        fprintf(o, "\nrows: %llu (%llu good, %llu with errors)\n",
                (unsigned long long)rows, (unsigned long long)(rows - bad),
                (unsigned long long)bad);
        if (preview.len)
            fprintf(o, "first rows:\n%s", preview.data);
        if (bad > MAX_SHOWN_ERRORS)
            fprintf(stderr, "(%llu more errors not shown)\n",
                    (unsigned long long)(bad - MAX_SHOWN_ERRORS));
    }
    status = bad ? ISL_EXIT_ROWS : ISL_EXIT_OK;
    goto out;

nomem:
    fprintf(stderr, "isload inspect: out of memory\n");
    goto out;
write_fail:
    fprintf(stderr, "isload inspect: cannot write %s\n", emit_path);
    goto out;
fatal:
    fprintf(stderr, "isload inspect: %s\n",
            isl_error_format(&err, line, sizeof(line)));
out:
    if (emit && emit != stdout && fclose(emit) != 0 && status != 2) {
        fprintf(stderr, "isload inspect: cannot write %s\n", emit_path);
        status = ISL_EXIT_USAGE;
    } else if (emit == stdout && fflush(stdout) != 0) {
        status = ISL_EXIT_USAGE;
    }
    isl_stream_close(stream);
    colset_free(&cols);
    isl_buf_free(&out);
    isl_buf_free(&preview);
    isl_jsonw_names_free(&names);
    isl_cli_reader_free(&cr);
    return status;
}

const struct isl_command isl_cmd_inspect = {
    .name = "inspect",
    .summary = "show the format, fields and rows of input files",
    .usage = usage,
    .run = inspect_run,
};
