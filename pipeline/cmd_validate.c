/*
 * cmd_validate.c: `isload validate FEED INPUT...`: the dry run. Reads the
 * inputs through the feed's readers and stages, sends nothing, and tells
 * the data owner exactly what is wrong: a terminal summary, and on
 * request a JSON report, an HTML page, a rejects file in the input's own
 * format, and the rows that would be sent as NDJSON.
 *
 * Exit codes: 0 all rows valid, 1 some rejected, 2 usage, feed or input
 * error, 3 --max-errors exceeded.
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_chain.h"
#include "isl_cli.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_html.h"
#include "isl_prefetch.h"
#include "isl_jsonw.h"
#include "isl_progress.h"
#include "isl_reader.h"
#include "isl_rejects.h"
#include "isl_report.h"
#include "isl_row.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EMIT_FLUSH (256 * 1024)

static const char usage[] =
    "usage: isload validate FEED INPUT... [options]\n\n"
    "Dry run: read the inputs ('-' is stdin) through the feed's readers and\n"
    "stages, send nothing, and report every rejected row with its file, "
    "line,\ncolumn, value and reason.\n\n"
    "Options:\n"
    "  --report FILE         JSON report (counts, rules, field statistics, "
    "every error)\n"
    "  --html FILE           self-contained HTML report for the data owner\n"
    "  --rejects FILE        rejected rows in the input's format, plus "
    "reasons\n"
    "  --emit FILE           rows that would be sent, as NDJSON ('-' is "
    "stdout)\n"
    "  --max-errors N|P%     exit 3 when more than N rows (or P% of rows) "
    "are rejected\n"
    "  -q, --quiet           no summary on stdout\n"
    "  -h, --help            this help\n\n"
    "Input options given here override the feed's \"input\" section.\n"
    "Temporary files (error lists, key index) go to $TMPDIR (default "
    "/tmp).\n\n"
    "Exit codes: 0 all rows valid, 1 some rows rejected, 2 usage, feed or "
    "input\nerror, 3 --max-errors exceeded.\n\n";

struct threshold {
    bool set, percent;
    double limit;
};

static int parse_threshold(const char *s, struct threshold *t)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    t->percent = *end == '%';
    if (t->percent)
        end++;
    if (*end || (t->percent && v > 100))
        return -1;
    t->set = true;
    t->limit = v;
    return 0;
}

static bool exceeded(const struct threshold *t, uint64_t rejected,
                     uint64_t read)
{
    if (!t->set)
        return false;
    if (t->percent)
        return read && (double)rejected * 100.0 > t->limit * (double)read;
    return (double)rejected > t->limit;
}

struct validate {
    struct isl_report *report;
    struct isl_rejects *rejects;
    struct isl_prefetch *rows;
    FILE *emit;
    struct isl_buf emitbuf;
    struct isl_jsonw_names names;
    int io_error;
};

static int on_accept(void *p, const struct isl_verdict *v)
{
    struct validate *vd = p;

    isl_report_accept(vd->report, v);
    if (vd->emit) {
        if (isl_jsonw_row_cached(&vd->emitbuf, v->out, &vd->names) < 0 ||
            isl_buf_addc(&vd->emitbuf, '\n') < 0)
            return ISL_ENOMEM;
        if (vd->emitbuf.len >= EMIT_FLUSH) {
            if (fwrite(vd->emitbuf.data, 1, vd->emitbuf.len, vd->emit) !=
                vd->emitbuf.len)
                return vd->io_error = ISL_EIO;
            isl_buf_reset(&vd->emitbuf);
        }
    }
    return 0;
}

static int on_reject(void *p, const struct isl_verdict *v)
{
    struct validate *vd = p;
    int rc = isl_report_reject(vd->report, v);

    if (rc < 0)
        return rc;
    if (vd->rejects) {
        const struct isl_source *src = isl_prefetch_source(vd->rows);

        rc = isl_rejects_write(vd->rejects, v, src ? src->format : ISL_FMT_CSV,
                               src ? src->delimiter : ',',
                               src ? src->columns : NULL,
                               src ? src->ncolumns : 0);
        if (rc < 0)
            return vd->io_error = rc;
    }
    return 0;
}

static int on_filter(void *p, const struct isl_verdict *v)
{
    struct validate *vd = p;

    isl_report_filter(vd->report, v);
    return 0;
}

static int validate_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        ISL_READER_LONGOPTS,
        {"report", required_argument, NULL, 'r'},
        {"html", required_argument, NULL, 'H'},
        {"rejects", required_argument, NULL, 'j'},
        {"emit", required_argument, NULL, 'e'},
        {"max-errors", required_argument, NULL, 'm'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct isl_cli_reader cr = {0};
    struct validate vd = {0};
    struct isl_chain_sink sink = {&vd, on_accept, on_reject, on_filter};
    struct isl_feed *feed = NULL;
    struct isl_chain *chain = NULL;
    struct isl_error err;
    struct isl_buf all;
    struct threshold th = {0};
    const char *report_path = NULL, *html_path = NULL, *rejects_path = NULL;
    const char *emit_path = NULL, *max_errors = NULL;
    const struct isl_source *checked = NULL;
    bool quiet = false, over;
    struct isl_progress prog;
    int opt, rc, status = ISL_EXIT_USAGE;
    char line[1024];

    isl_error_clear(&err);
    isl_progress_init(&prog);
    isl_buf_init(&all, 1 << 20);
    isl_buf_init(&vd.emitbuf, (size_t)1 << 31);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_reader_help, stdout);
            status = ISL_EXIT_OK;
            goto out;
        case 'r':
            report_path = optarg;
            break;
        case 'H':
            html_path = optarg;
            break;
        case 'j':
            rejects_path = optarg;
            break;
        case 'e':
            emit_path = optarg;
            break;
        case 'm':
            max_errors = optarg;
            if (parse_threshold(optarg, &th) < 0) {
                isl_cli_usage_error("validate",
                                    "bad --max-errors '%s' (N or P%%)", optarg);
                goto out;
            }
            break;
        case 'q':
            quiet = true;
            break;
        case ':':
            isl_cli_usage_error("validate", "option '%s' needs a value",
                                argv[optind - 1]);
            goto out;
        case '?':
            isl_cli_usage_error("validate", "unknown option '%s'",
                                argv[optind - 1]);
            goto out;
        default:
            if (isl_cli_reader_option(&cr, "validate", opt, optarg))
                goto out;
        }
    }
    if (argc - optind < 2) {
        isl_cli_usage_error("validate", argc == optind ? "no FEED given"
                                                       : "no INPUT given");
        goto out;
    }
    if (isl_feed_load(&feed, argv[optind], &all, &err) < 0) {
        if (all.len)
            fputs(all.data, stderr);
        else
            fprintf(stderr, "isload validate: %s\n",
                    isl_error_format(&err, line, sizeof(line)));
        goto out;
    }
    isl_cli_reader_merge(&feed->input, &cr.opts);
    if (isl_chain_new(&chain, feed, &err) < 0)
        goto fatal;
    {
        const char *const *cols;
        size_t ncols = isl_chain_columns(chain, &cols);
        struct isl_report_info info = {
            .command = "validate",
            .feed = feed->name,
            .feed_file = argv[optind],
            .staging_table = feed->staging_table,
            .inputs = (const char *const *)argv + optind + 1,
            .ninputs = (size_t)(argc - optind - 1),
            .max_errors = max_errors,
        };

        if (isl_report_new(&vd.report, &info, cols, ncols, &err) < 0)
            goto fatal;
    }
    if (rejects_path && isl_rejects_open(&vd.rejects, rejects_path, &err) < 0)
        goto fatal;
    if (emit_path) {
        vd.emit = strcmp(emit_path, "-") == 0 ? stdout : fopen(emit_path, "w");
        if (!vd.emit) {
            fprintf(stderr, "isload validate: cannot write %s: %s\n", emit_path,
                    strerror(errno));
            goto out;
        }
        if (vd.emit == stdout)
            quiet = true;
    }
    if (isl_prefetch_open(&vd.rows, (const char *const *)argv + optind + 1,
                          (size_t)(argc - optind - 1), &feed->input, &err) < 0)
        goto fatal;

    for (uint64_t n = 0;; n++) {
        const struct isl_row *row;
        const struct isl_source *src;

        rc = isl_prefetch_next(vd.rows, &row, &err);
        if (rc == ISL_EOF)
            break;
        if (rc < 0 && rc != ISL_EROW)
            goto fatal;
        src = isl_prefetch_source(vd.rows);
        if (src != checked) {
            checked = src;
            if (isl_chain_check_columns(chain, src->name, src->columns,
                                        src->ncolumns, &err) < 0)
                goto fatal;
        }
        rc = rc == ISL_EROW ? isl_chain_reader_error(chain, row, &err, &sink)
                            : isl_chain_push(chain, row, &sink, &err);
        if (rc < 0)
            goto sink_fail;
        if ((n & 0x3fff) == 0 && isl_progress_due(&prog)) {
            uint64_t bytes = isl_prefetch_bytes_read(vd.rows);
            uint64_t total = isl_prefetch_bytes_total(vd.rows);
            double dt = isl_progress_elapsed(&prog);

            isl_progress_draw(
                &prog, "  %llu rows, %.1f MB/s, %.0f%%",
                (unsigned long long)isl_report_rows_read(vd.report),
                (double)bytes / 1e6 / dt,
                total ? 100.0 * (double)bytes / (double)total : 0.0);
        }
    }
    /* an input that gave no row (a CSV header alone) is checked too */
    for (size_t i = 1; i < (size_t)(argc - optind); i++) {
        const struct isl_source *src = isl_prefetch_input(vd.rows, i);

        if (src && src != checked &&
            isl_chain_check_columns(chain, src->name, src->columns,
                                    src->ncolumns, &err) < 0)
            goto fatal;
    }
    if (isl_chain_finish(chain, &sink, &err) < 0)
        goto fatal;
    isl_progress_end(&prog);
    if (vd.emit && vd.emitbuf.len &&
        fwrite(vd.emitbuf.data, 1, vd.emitbuf.len, vd.emit) != vd.emitbuf.len) {
        vd.io_error = ISL_EIO;
        goto sink_fail;
    }
    over = exceeded(&th, isl_report_rows_rejected(vd.report),
                    isl_report_rows_read(vd.report));
    isl_report_finish(vd.report, over);
    if (!isl_report_adds_up(vd.report)) {
        fprintf(stderr, "isload validate: internal error: row counts do not "
                        "add up\n");
        goto out;
    }
    if (report_path && isl_report_write(vd.report, report_path, &err) < 0)
        goto fatal;
    if (html_path) {
        json_t *doc = isl_report_json(vd.report, 5000);
        FILE *f = fopen(html_path, "w");

        rc = f ? isl_html_write(f, doc, &err) : ISL_EIO;
        if (f && fclose(f) != 0)
            rc = ISL_EIO;
        json_decref(doc);
        if (rc < 0) {
            fprintf(stderr, "isload validate: cannot write %s\n", html_path);
            goto out;
        }
    }
    if (!quiet)
        isl_report_print(vd.report, stdout);
    status = over                                  ? ISL_EXIT_THRESHOLD
             : isl_report_rows_rejected(vd.report) ? ISL_EXIT_ROWS
                                                   : ISL_EXIT_OK;
    goto out;

sink_fail:
    if (vd.io_error)
        fprintf(stderr, "isload validate: cannot write output: %s\n",
                strerror(errno));
    else if (err.code < 0 && err.code != ISL_EROW && err.msg[0])
        fprintf(stderr, "isload validate: %s\n", /* the chain's own error */
                isl_error_format(&err, line, sizeof(line)));
    else
        fprintf(stderr, "isload validate: out of memory\n");
    goto out;
fatal:
    fprintf(stderr, "isload validate: %s\n",
            isl_error_format(&err, line, sizeof(line)));
out:
    if (isl_rejects_close(vd.rejects, &err) < 0) {
        fprintf(stderr, "isload validate: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        status = ISL_EXIT_USAGE;
    }
    if (vd.emit && vd.emit != stdout && fclose(vd.emit) != 0)
        status = ISL_EXIT_USAGE;
    else if (vd.emit == stdout && fflush(stdout) != 0)
        status = ISL_EXIT_USAGE;
    isl_prefetch_close(vd.rows);
    isl_report_free(vd.report);
    isl_chain_free(chain);
    isl_feed_free(feed);
    isl_buf_free(&all);
    isl_buf_free(&vd.emitbuf);
    isl_jsonw_names_free(&vd.names);
    isl_cli_reader_free(&cr);
    return status;
}

const struct isl_command isl_cmd_validate = {
    .name = "validate",
    .summary = "dry run: check inputs against a feed, send nothing",
    .usage = usage,
    .run = validate_run,
};
