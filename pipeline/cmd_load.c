/*
 * cmd_load.c: `isload load FEED INPUT... --instance URL`: isload's main
 * job. Rows flow reader -> chain -> loader -> instance; rejected rows go to
 * the rejects file and the report as in validate; every row sent ends
 * with its transform outcome. Each run has an id and a folder under
 * --state-dir holding its report, rejects and request log.
 *
 * Exit codes: 0 every row loaded without an error outcome, 1 finished with
 * rejected rows or error outcomes, 2 usage/config/input error, 3 error
 * threshold exceeded or run aborted (authentication refused, instance
 * unreachable after retries).
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_chain.h"
#include "isl_cli.h"
#include "isl_creds.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_http.h"
#include "isl_loader.h"
#include "isl_progress.h"
#include "isl_reader.h"
#include "isl_rejects.h"
#include "isl_report.h"
#include "isl_row.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: isload load FEED INPUT... --instance URL [options]\n\n"
    "Load the inputs through the feed's stages into the instance's Import "
    "Set\nstaging table and report what the transform did to every row.\n\n"
    "Options:\n"
    "  --instance URL        https://NAME.service-now.com (or "
    "$ISLOAD_INSTANCE);\n"
    "                        http:// only for loopback addresses\n"
    "  --mode MODE           multiple (insertMultiple batches, default) or "
    "single\n"
    "  --batch N             rows per insertMultiple request (default 200)\n"
    "  --batch-bytes N       request body cap (default 4M)\n"
    "  --concurrency N       requests in flight (default 4)\n"
    "  --ordered             chain batches with run_after (asynchronous "
    "transforms);\n"
    "                        on by default for feeds with reference or "
    "keep-last rows\n"
    "  --keys name|label     send records keyed by column name (default) or "
    "the\n"
    "                        feed's labels\n"
    "  --correlation-column C  staging column for the row id (default "
    "u_isload_row)\n"
    "  --poll-timeout S      seconds to wait for asynchronous transforms "
    "(default 600)\n"
    "  --timeout S           seconds per request (default 120)\n"
    "  --max-errors N|P%     stop when rejected rows plus error outcomes pass "
    "N (or P%)\n"
    "  --credentials FILE    NAME=VALUE file, mode 0600 (else the "
    "environment:\n"
    "                        ISLOAD_USER, ISLOAD_PASSWORD, ISLOAD_CLIENT_ID,\n"
    "                        ISLOAD_CLIENT_SECRET)\n"
    "  --ca-file FILE        extra CA certificates for a private CA\n"
    "  --proxy URL           proxy (HTTPS_PROXY and NO_PROXY apply "
    "otherwise)\n"
    "  --state-dir DIR       where run folders go (default ./isload-runs)\n"
    "  --report FILE         JSON report (default RUN_DIR/report.json)\n"
    "  --rejects FILE        rejected rows (default RUN_DIR/rejects.EXT)\n"
    "  --log FILE            request log, JSON lines (default "
    "RUN_DIR/requests.jsonl)\n"
    "  --log-bodies          also log request and response bodies\n"
    "  -q, --quiet           no summary on stdout\n"
    "  -h, --help            this help\n\n"
    "Exit codes: 0 all rows loaded, 1 some rows rejected or in error, 2 "
    "usage or\ninput error, 3 threshold exceeded or run aborted.\n\n";

struct threshold {
    bool set, percent;
    double limit;
};

struct load {
    struct isl_report *report;
    struct isl_rejects *rejects;
    char *rejects_path; /* given, or NULL for RUN_DIR/rejects.EXT */
    const char *run_dir;
    struct isl_stream *stream;
    struct isl_loader *loader;
    struct isl_error err; /* loader failure from inside the sink */
    struct threshold th;
    bool over;   /* the threshold was passed */
    bool failed; /* the loader aborted */
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

static void check_threshold(struct load *ld, bool final)
{
    uint64_t bad = isl_report_rows_rejected(ld->report) +
                   isl_report_outcome_errors(ld->report);
    uint64_t read = isl_report_rows_read(ld->report);

    if (!ld->th.set || ld->over)
        return;
    if (ld->th.percent) {
        /* a percentage means little on the first rows */
        if ((final || read >= 1000) &&
            (double)bad * 100.0 > ld->th.limit * (double)read)
            ld->over = true;
    } else if ((double)bad > ld->th.limit) {
        ld->over = true;
    }
}

static int on_accept(void *p, const struct isl_verdict *v)
{
    struct load *ld = p;

    isl_report_accept(ld->report, v);
    if (ld->failed)
        return 0;
    if (isl_loader_add(ld->loader, v->out, &ld->err) < 0)
        ld->failed = true;
    return 0;
}

static const char *ext_of(enum isl_format f)
{
    return f == ISL_FMT_CSV ? "csv" : f == ISL_FMT_XML ? "xml" : "ndjson";
}

static int on_reject(void *p, const struct isl_verdict *v)
{
    struct load *ld = p;
    struct isl_reader *r = isl_stream_reader(ld->stream);
    enum isl_format fmt = r ? isl_reader_format(r) : ISL_FMT_CSV;
    const char *const *cols = NULL;
    size_t ncols = r ? isl_reader_columns(r, &cols) : 0;
    int rc = isl_report_reject(ld->report, v);

    if (rc < 0)
        return rc;
    if (!ld->rejects) {
        char path[4096];
        struct isl_error err;

        if (ld->rejects_path)
            snprintf(path, sizeof(path), "%s", ld->rejects_path);
        else
            snprintf(path, sizeof(path), "%s/rejects.%s", ld->run_dir,
                     ext_of(fmt));
        isl_error_clear(&err);
        if (isl_rejects_open(&ld->rejects, path, &err) < 0) {
            ld->err = err;
            return ISL_EIO;
        }
    }
    rc = isl_rejects_write(ld->rejects, v, fmt,
                           r ? isl_reader_delimiter(r) : ',', cols, ncols);
    check_threshold(ld, false);
    return rc;
}

static int on_filter(void *p, const struct isl_verdict *v)
{
    struct load *ld = p;

    isl_report_filter(ld->report, v);
    return 0;
}

static int on_outcome(void *p, const struct isl_outcome *o)
{
    struct load *ld = p;
    int rc = isl_report_outcome(ld->report, o);

    check_threshold(ld, false);
    return rc;
}

static int mkdirs(const char *path)
{
    char tmp[4096];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void make_run_id(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    unsigned rnd = (unsigned)getpid() ^ (unsigned)t;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    char stamp[32];

    if (fd >= 0) {
        if (read(fd, &rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
            rnd ^= (unsigned)clock();
        close(fd);
    }
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    snprintf(buf, n, "%s-%04x", stamp, rnd & 0xffff);
}

static int load_run(int argc, char **argv)
{
    enum {
        O_INSTANCE = ISL_OPT_READER_LAST + 1,
        O_MODE,
        O_BATCH,
        O_BATCH_BYTES,
        O_CONC,
        O_ORDERED,
        O_KEYS,
        O_CORR,
        O_POLL,
        O_TIMEOUT,
        O_MAXERR,
        O_CREDS,
        O_CA,
        O_PROXY,
        O_STATE,
        O_REPORT,
        O_REJECTS,
        O_LOG,
        O_LOG_BODIES
    };
    static const struct option longopts[] = {
        ISL_READER_LONGOPTS,
        {"instance", required_argument, NULL, O_INSTANCE},
        {"mode", required_argument, NULL, O_MODE},
        {"batch", required_argument, NULL, O_BATCH},
        {"batch-bytes", required_argument, NULL, O_BATCH_BYTES},
        {"concurrency", required_argument, NULL, O_CONC},
        {"ordered", no_argument, NULL, O_ORDERED},
        {"keys", required_argument, NULL, O_KEYS},
        {"correlation-column", required_argument, NULL, O_CORR},
        {"poll-timeout", required_argument, NULL, O_POLL},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"max-errors", required_argument, NULL, O_MAXERR},
        {"credentials", required_argument, NULL, O_CREDS},
        {"ca-file", required_argument, NULL, O_CA},
        {"proxy", required_argument, NULL, O_PROXY},
        {"state-dir", required_argument, NULL, O_STATE},
        {"report", required_argument, NULL, O_REPORT},
        {"rejects", required_argument, NULL, O_REJECTS},
        {"log", required_argument, NULL, O_LOG},
        {"log-bodies", no_argument, NULL, O_LOG_BODIES},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct isl_cli_reader cr = {0};
    struct load ld = {0};
    struct isl_chain_sink sink = {&ld, on_accept, on_reject, on_filter};
    struct isl_loader_sink lsink = {&ld, on_outcome};
    struct isl_loader_opts lo = {0};
    struct isl_http_opts ho = {0};
    struct isl_creds creds = {0};
    struct isl_feed *feed = NULL;
    struct isl_chain *chain = NULL;
    struct isl_http *http = NULL;
    struct isl_error err;
    struct isl_buf all;
    const char *instance = getenv("ISLOAD_INSTANCE");
    const char *creds_file = NULL, *state_dir = "./isload-runs";
    const char *report_path = NULL, *log_path = NULL, *max_errors = NULL;
    const char **labels = NULL;
    const struct isl_reader *checked = NULL;
    struct isl_progress prog;
    uint64_t nrows = 0;
    bool quiet = false, use_labels = false, ordered = false;
    char run_id[64], run_dir[2048], path[4096], line[1024];
    FILE *log = NULL;
    size_t sz;
    long v;
    int opt, rc, status = ISL_EXIT_USAGE;

    isl_error_clear(&err);
    isl_error_clear(&ld.err);
    isl_buf_init(&all, 1 << 20);
    ho.concurrency = 4;
    lo.mode = ISL_MODE_MULTIPLE;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_reader_help, stdout);
            status = ISL_EXIT_OK;
            goto out;
        case 'q':
            quiet = true;
            break;
        case O_INSTANCE:
            instance = optarg;
            break;
        case O_MODE:
            if (strcmp(optarg, "multiple") == 0)
                lo.mode = ISL_MODE_MULTIPLE;
            else if (strcmp(optarg, "single") == 0)
                lo.mode = ISL_MODE_SINGLE;
            else {
                isl_cli_usage_error("load",
                                    "unknown mode '%s' (multiple or "
                                    "single)",
                                    optarg);
                goto out;
            }
            break;
        case O_BATCH:
        case O_CONC:
        case O_POLL:
        case O_TIMEOUT:
            v = strtol(optarg, NULL, 10);
            if (v < 1 || v > 100000) {
                isl_cli_usage_error("load", "bad value '%s' for %s", optarg,
                                    argv[optind - 1]);
                goto out;
            }
            if (opt == O_BATCH)
                lo.batch_rows = (size_t)v;
            else if (opt == O_CONC)
                ho.concurrency = (int)v;
            else if (opt == O_POLL)
                lo.poll_timeout = (double)v;
            else
                ho.timeout_s = v;
            break;
        case O_BATCH_BYTES:
            if (isl_cli_parse_size(optarg, &sz) < 0) {
                isl_cli_usage_error("load", "bad size '%s'", optarg);
                goto out;
            }
            lo.batch_bytes = sz;
            break;
        case O_ORDERED:
            ordered = true;
            break;
        case O_KEYS:
            if (strcmp(optarg, "label") != 0 && strcmp(optarg, "name") != 0) {
                isl_cli_usage_error("load", "--keys takes name or label");
                goto out;
            }
            use_labels = strcmp(optarg, "label") == 0;
            break;
        case O_CORR:
            lo.corr_col = optarg;
            break;
        case O_MAXERR:
            max_errors = optarg;
            if (parse_threshold(optarg, &ld.th) < 0) {
                isl_cli_usage_error("load",
                                    "bad --max-errors '%s' (N or "
                                    "P%%)",
                                    optarg);
                goto out;
            }
            break;
        case O_CREDS:
            creds_file = optarg;
            break;
        case O_CA:
            ho.ca_file = optarg;
            break;
        case O_PROXY:
            ho.proxy = optarg;
            break;
        case O_STATE:
            state_dir = optarg;
            break;
        case O_REPORT:
            report_path = optarg;
            break;
        case O_REJECTS:
            ld.rejects_path = optarg;
            break;
        case O_LOG:
            log_path = optarg;
            break;
        case O_LOG_BODIES:
            ho.log_bodies = true;
            break;
        case ':':
            isl_cli_usage_error("load", "option '%s' needs a value",
                                argv[optind - 1]);
            goto out;
        case '?':
            isl_cli_usage_error("load", "unknown option '%s'",
                                argv[optind - 1]);
            goto out;
        default:
            if (isl_cli_reader_option(&cr, "load", opt, optarg))
                goto out;
        }
    }
    if (argc - optind < 2) {
        isl_cli_usage_error("load", argc == optind ? "no FEED given"
                                                   : "no INPUT given");
        goto out;
    }
    if (!instance) {
        isl_cli_usage_error("load", "no --instance given");
        goto out;
    }
    if (isl_http_check_url(instance, &err) < 0)
        goto fatal;
    if (isl_feed_load(&feed, argv[optind], &all, &err) < 0) {
        if (all.len)
            fputs(all.data, stderr);
        else
            fprintf(stderr, "isload load: %s\n",
                    isl_error_format(&err, line, sizeof(line)));
        goto out;
    }
    isl_cli_reader_merge(&feed->input, &cr.opts);
    if (isl_creds_load(&creds, creds_file, &err) < 0)
        goto fatal;

    make_run_id(run_id, sizeof(run_id));
    snprintf(run_dir, sizeof(run_dir), "%s/%s", state_dir, run_id);
    if (mkdirs(run_dir) < 0) {
        fprintf(stderr, "isload load: cannot create %s: %s\n", run_dir,
                strerror(errno));
        goto out;
    }
    ld.run_dir = run_dir;
    snprintf(path, sizeof(path), "%s/requests.jsonl", run_dir);
    log = fopen(log_path ? log_path : path, "w");
    if (!log) {
        fprintf(stderr, "isload load: cannot write %s\n",
                log_path ? log_path : path);
        goto out;
    }

    ho.base_url = instance;
    ho.creds = &creds;
    ho.log = log;
    if (isl_http_new(&http, &ho, &err) < 0)
        goto fatal;
    if (isl_chain_new(&chain, feed, &err) < 0)
        goto fatal;
    {
        const char *const *cols;
        size_t ncols = isl_chain_columns(chain, &cols);
        struct isl_report_info info = {
            .command = "load",
            .feed = feed->name,
            .feed_file = argv[optind],
            .staging_table = feed->staging_table,
            .inputs = (const char *const *)argv + optind + 1,
            .ninputs = (size_t)(argc - optind - 1),
            .max_errors = max_errors,
        };

        if (isl_report_new(&ld.report, &info, cols, ncols, &err) < 0)
            goto fatal;
    }
    if (use_labels) {
        labels = calloc(feed->nfields + 1, sizeof(*labels));
        if (!labels)
            goto nomem;
        for (size_t i = 0; i < feed->nfields; i++)
            labels[i] = feed->fields[i].label;
    }
    lo.staging_table = feed->staging_table;
    lo.concurrency = ho.concurrency;
    lo.run_id = run_id;
    lo.labels = labels;
    lo.ordered = ordered || feed->has_deferred;
    lo.key_cols = feed->key;
    lo.nkey = feed->nkey;
    if (isl_loader_new(&ld.loader, http, &lo, &lsink, &err) < 0)
        goto fatal;
    if (!quiet) {
        char how[160];

        fprintf(stderr, "isload load: run %s: feed %s -> %s%s%s (%s, %s)\n",
                run_id, feed->name, instance,
                instance[strlen(instance) - 1] == '/' ? "" : "/",
                feed->staging_table,
                lo.mode == ISL_MODE_SINGLE ? "single" : "multiple",
                isl_creds_describe(&creds, how, sizeof(how)));
    }
    if (isl_stream_open(&ld.stream, (const char *const *)argv + optind + 1,
                        (size_t)(argc - optind - 1), &feed->input, &err) < 0)
        goto fatal;

    isl_progress_init(&prog);
    while (!ld.over && !ld.failed) {
        const struct isl_row *row;
        const struct isl_reader *r;

        if ((++nrows & 0x3ff) == 0 && isl_progress_due(&prog)) {
            uint64_t bytes = isl_stream_bytes_read(ld.stream);
            uint64_t total = isl_stream_bytes_total(ld.stream);
            double dt = isl_progress_elapsed(&prog);
            uint64_t done = isl_report_outcomes(ld.report);

            isl_progress_draw(
                &prog, "  read %llu, outcomes %llu (%llu errors), %.0f rows/s",
                (unsigned long long)isl_report_rows_read(ld.report),
                (unsigned long long)done,
                (unsigned long long)isl_report_outcome_errors(ld.report),
                (double)done / dt);
            if (total > bytes && bytes)
                fprintf(stderr, ", ETA %.0f s",
                        dt * (double)(total - bytes) / (double)bytes);
        }

        rc = isl_stream_next(ld.stream, &row, &err);
        if (rc == ISL_EOF)
            break;
        if (rc < 0 && rc != ISL_EROW)
            goto fatal_drain;
        r = isl_stream_reader(ld.stream);
        if (r != checked) {
            const char *const *cols;
            size_t ncols = isl_reader_columns(r, &cols);

            checked = r;
            if (isl_chain_check_columns(chain, isl_reader_name(r), cols, ncols,
                                        &err) < 0)
                goto fatal_drain;
        }
        rc = rc == ISL_EROW ? isl_chain_reader_error(chain, row, &err, &sink)
                            : isl_chain_push(chain, row, &sink, &err);
        if (rc < 0) {
            if (ld.err.msg[0])
                err = ld.err;
            goto fatal_drain;
        }
    }
    if (!ld.over && !ld.failed && isl_chain_finish(chain, &sink, &err) < 0)
        goto fatal_drain;
    {
        struct isl_report_load info = {0};
        const struct isl_loader_stats *ls;
        const struct isl_http_stats *hs;

        if (ld.over)
            isl_loader_stop(ld.loader);
        if (!ld.failed && isl_loader_finish(ld.loader, &ld.err) < 0)
            ld.failed = true;
        check_threshold(&ld, true);
        ls = isl_loader_stats(ld.loader);
        hs = isl_http_stats(http);
        info.instance = instance;
        info.mode = lo.mode == ISL_MODE_SINGLE ? "single" : "multiple";
        info.run_id = run_id;
        info.rows_sent = ls->rows_sent;
        info.nimport_sets =
            isl_loader_import_sets(ld.loader, &info.import_sets);
        info.requests = hs->requests;
        info.retries = ls->retries;
        info.splits = ls->splits;
        info.reconciled = ls->reconciled;
        info.duplicates = ls->duplicates;
        info.duplicates_undone = ls->duplicates_undone;
        info.polls = ls->polls;
        info.status_codes = hs->status_codes;
        info.transport_errors = hs->by_status[0];
        info.aborted = ld.failed;
        info.abort_reason = ld.failed ? ld.err.msg : NULL;
        /* rows the chain accepted but the loader never sent */
        info.rows_not_sent = isl_report_rows_valid(ld.report) - ls->rows_sent;
        isl_report_set_load(ld.report, &info);
    }
    isl_progress_end(&prog);
    isl_report_finish(ld.report, ld.over);
    snprintf(path, sizeof(path), "%s/report.json", run_dir);
    if (isl_report_write(ld.report, report_path ? report_path : path, &err) < 0)
        goto fatal;
    if (!quiet)
        isl_report_print(ld.report, stdout);
    if (ld.failed) {
        fprintf(stderr, "isload load: aborted: %s\n", ld.err.msg);
        status = ISL_EXIT_THRESHOLD;
    } else if (!isl_report_adds_up(ld.report)) {
        fprintf(stderr, "isload load: internal error: row counts do not add "
                        "up (see the report)\n");
        status = ISL_EXIT_THRESHOLD;
    } else if (ld.over) {
        fprintf(stderr,
                "isload load: error threshold %s exceeded; sending "
                "stopped\n",
                max_errors);
        status = ISL_EXIT_THRESHOLD;
    } else {
        status = isl_report_rows_rejected(ld.report) ||
                         isl_report_outcome_errors(ld.report)
                     ? ISL_EXIT_ROWS
                     : ISL_EXIT_OK;
    }
    if (!quiet)
        fprintf(stderr, "isload load: run %s finished, exit %d; report %s\n",
                run_id, status, report_path ? report_path : path);
    goto out;

nomem:
    fprintf(stderr, "isload load: out of memory\n");
    goto out;
fatal_drain:
    /* the input failed: finish what is in flight so outcomes are known */
    if (ld.loader) {
        isl_loader_stop(ld.loader);
        isl_loader_finish(ld.loader, &ld.err);
    }
fatal:
    fprintf(stderr, "isload load: %s\n",
            isl_error_format(&err, line, sizeof(line)));
out:
    if (isl_rejects_close(ld.rejects, &err) < 0)
        status = ISL_EXIT_USAGE;
    isl_stream_close(ld.stream);
    isl_loader_free(ld.loader);
    isl_report_free(ld.report);
    isl_chain_free(chain);
    isl_http_free(http);
    isl_creds_free(&creds);
    isl_feed_free(feed);
    if (log)
        fclose(log);
    free(labels);
    isl_buf_free(&all);
    isl_cli_reader_free(&cr);
    return status;
}

const struct isl_command isl_cmd_load = {
    .name = "load",
    .summary = "load inputs into an instance's Import Set staging table",
    .usage = usage,
    .run = load_run,
};
