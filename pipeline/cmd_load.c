/*
 * cmd_load.c: `isload load FEED INPUT... --instance URL`: isload's main
 * job. Rows flow reader -> chain -> loader -> instance; rejected rows go to
 * the rejects file and the report as in validate; every row sent ends
 * with its transform outcome. Each run has an id and a folder under
 * --state-dir (isl_run.h) holding its report, rejects, request log,
 * journal and rollback manifest; --resume continues an interrupted run.
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
#include "isl_metrics.h"
#include "isl_prefetch.h"
#include "isl_progress.h"
#include "isl_reader.h"
#include "isl_rejects.h"
#include "isl_report.h"
#include "isl_row.h"
#include "isl_run.h"
#include "isl_summary.h"

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
    "  --mode MODE           multiple (insertMultiple batches, default) or "
    "single\n"
    "  --batch N             rows per insertMultiple request (default 200)\n"
    "  --batch-bytes N       request body cap (default 4M)\n"
    "  --concurrency N       import POSTs in flight (default 4), and as many "
    "reads\n"
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

    "  --max-errors N|P%     stop when rejected rows plus error outcomes pass "
    "N (or P%)\n"

    "  --state-dir DIR       where run folders go (default ./isload-runs)\n"
    "  --manifest FILE       rollback manifest (default "
    "RUN_DIR/manifest.jsonl.gz;\n"
    "                        gzip'd when the name ends in .gz)\n"
    "  --no-manifest         no manifest, and no before/after-image reads\n"
    "  --resume[=RUN_ID]     continue the latest interrupted run of the feed "
    "(or\n"
    "                        RUN_ID); starts a fresh run if there is none\n"
    "  --delta               send only rows new or changed since the store "
    "last\n"
    "                        saw them acknowledged (STATE_DIR/state.db)\n"
    "  --full                send everything and refresh the store\n"
    "  --missing MODE        keys the store has and the export lacks: report "
    "(the\n"
    "                        default) or deactivate (send the feed's "
    "\"missing\"\n"
    "                        values for them)\n"
    "  --max-missing N|P%    refuse to deactivate more keys than this "
    "(default 5%)\n"
    "  --shard K/N           load only the rows whose key hashes to shard K "
    "of N\n"
    "  --report FILE         JSON report (default RUN_DIR/report.json)\n"
    "  --rejects FILE        rejected rows (default RUN_DIR/rejects.EXT)\n"
    "  --metrics FILE        the run's figures for Prometheus (node_exporter "
    "textfile\n"
    "                        collector), replaced atomically\n"

    "  -q, --quiet           no summary on stdout\n"
    "  -h, --help            this help\n\n"
    "Exit codes: 0 all rows loaded, 1 some rows rejected or in error, 2 "
    "usage or\ninput error, 3 threshold exceeded or run aborted.\n\n";

struct threshold {
    bool set, percent;
    double limit;
};

/* One load: what the sinks and the steps below share. */
struct load {
    struct isl_feed *feed;
    struct isl_chain *chain;
    struct isl_http *http;
    const char **labels; /* per field, for --keys label */
    struct isl_report *report;
    struct isl_run *run;
    uint64_t accepted; /* row numbers of accepted rows */
    struct isl_rejects *rejects;
    char *rejects_path; /* given, or NULL for RUN_DIR/rejects.EXT */
    const char *run_dir;
    struct isl_prefetch *rows;
    struct isl_loader *loader;
    struct isl_error err; /* loader failure from inside the sink */
    struct threshold th;
    bool over;   /* the threshold was passed */
    bool failed; /* the loader aborted */
    /* delta: keys gone from the export */
    bool deactivate;        /* --missing deactivate */
    struct threshold guard; /* --max-missing */
    json_t *keys_missing;   /* their key objects, for the report */
    uint64_t keys_stored;   /* keys in the store */
    uint64_t deactivated;   /* rows sent for them */
    char missing_refused[512];
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

/* Send accepted row `out` as number no, as the run record says. */
static int route(struct load *ld, const struct isl_row *out, uint64_t no,
                 enum isl_run_row how, const json_t *before)
{
    int rc = 0;

    switch (how) {
    case ISL_RUN_ROW_DONE: /* an earlier attempt has its outcome */
        break;
    case ISL_RUN_ROW_UNCHANGED:
        isl_report_unchanged(ld->report);
        break;
    case ISL_RUN_ROW_INFLIGHT:
        rc = isl_loader_add_staged(ld->loader, out, no, before, &ld->err);
        break;
    case ISL_RUN_ROW_NEW:
        rc = isl_loader_add(ld->loader, out, no, &ld->err);
        break;
    case ISL_RUN_ROW_ERROR:
        rc = isl_error_set(&ld->err, ISL_EIO, "state",
                           "cannot write the delta store (state.db)");
        break;
    }
    if (rc < 0)
        ld->failed = true;
    return 0;
}

static int on_accept(void *p, const struct isl_verdict *v)
{
    struct load *ld = p;
    const json_t *before;
    uint64_t no = ++ld->accepted; /* counted in every shard alike */
    enum isl_run_row how;

    if (!isl_run_mine(ld->run, v)) {
        isl_report_other_shard(ld->report);
        return 0;
    }
    isl_report_accept(ld->report, v);
    if (ld->failed)
        return 0;
    how = isl_run_route(ld->run, no, v->out, &before);
    return route(ld, v->out, no, how, before);
}

/* The row that deactivates the key in `key` (a JSON object text): its key
 * columns, then the feed's "missing" values. */
static int deactivation_row(const struct isl_feed *feed, const json_t *key,
                            struct isl_field *fields, struct isl_row *row)
{
    size_t n = 0;

    for (size_t i = 0; i < feed->nkey; i++) {
        const char *v = json_string_value(json_object_get(key, feed->key[i]));

        fields[n++] =
            (struct isl_field){feed->key[i], v ? v : "", v ? strlen(v) : 0};
    }
    for (size_t i = 0; i < feed->nmissing_values; i++)
        fields[n++] = (struct isl_field){
            feed->missing_values[2 * i], feed->missing_values[2 * i + 1],
            strlen(feed->missing_values[2 * i + 1])};
    *row = (struct isl_row){
        .pos = {.file = "(missing from the export)"}, .n = n, .fields = fields};
    return 0;
}

/*
 * After the whole input: the keys the delta store holds that the export
 * lacks go in the report, and with --missing deactivate, unless more are
 * missing than --max-missing allows, each is sent as a row of its key and
 * the feed's "missing" values.
 */
static int handle_missing(struct load *ld, const struct isl_feed *feed,
                          struct isl_error *err)
{
    json_t *keys = NULL;
    struct isl_field *fields = NULL;
    double limit;
    size_t i, n;
    json_t *k;
    int rc;

    if (!isl_run_has_state(ld->run))
        return 0;
    if ((rc = isl_run_missing(ld->run, &keys, &ld->keys_stored, err)) < 0)
        return rc;
    ld->keys_missing = json_array();
    json_array_foreach(keys, i, k) json_array_append_new(
        ld->keys_missing, json_loads(json_string_value(k), 0, NULL));
    n = json_array_size(keys);
    limit = ld->guard.percent ? ld->guard.limit * (double)ld->keys_stored / 100
                              : ld->guard.limit;
    if (!ld->deactivate || n == 0) {
        json_decref(keys);
        return 0;
    }
    if ((double)n > limit) {
        snprintf(ld->missing_refused, sizeof(ld->missing_refused),
                 "%zu of the %llu keys loaded before are missing from the "
                 "export, more than --max-missing %g%s allows: is the export "
                 "truncated? Nothing was deactivated",
                 n, (unsigned long long)ld->keys_stored, ld->guard.limit,
                 ld->guard.percent ? "%" : "");
        json_decref(keys);
        return 0;
    }
    fields = calloc(feed->nkey + feed->nmissing_values, sizeof(*fields));
    if (!fields) {
        json_decref(keys);
        return isl_error_set(err, ISL_ENOMEM, "load", "out of memory");
    }
    for (i = 0; i < n && !ld->failed; i++) {
        const char *text = json_string_value(json_array_get(keys, i));
        uint64_t no = ++ld->accepted;
        const json_t *before;
        struct isl_row row;

        deactivation_row(feed, json_array_get(ld->keys_missing, i), fields,
                         &row);
        ld->deactivated++;
        route(ld, &row, no, isl_run_route_missing(ld->run, no, text, &before),
              before);
    }
    free(fields);
    json_decref(keys);
    return 0;
}

static const char *ext_of(enum isl_format f)
{
    return f == ISL_FMT_CSV ? "csv" : f == ISL_FMT_XML ? "xml" : "ndjson";
}

static int on_reject(void *p, const struct isl_verdict *v)
{
    struct load *ld = p;
    const struct isl_source *src = isl_prefetch_source(ld->rows);
    enum isl_format fmt = src ? src->format : ISL_FMT_CSV;
    int rc;

    if (!isl_run_mine(ld->run, v)) {
        isl_report_other_shard(ld->report);
        return 0;
    }
    if ((rc = isl_report_reject(ld->report, v)) < 0 ||
        (rc = isl_run_seen(ld->run, v->out)) < 0)
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
    rc = isl_rejects_write(ld->rejects, v, fmt, src ? src->delimiter : ',',
                           src ? src->columns : NULL, src ? src->ncolumns : 0);
    check_threshold(ld, false);
    return rc;
}

static int on_filter(void *p, const struct isl_verdict *v)
{
    struct load *ld = p;

    if (!isl_run_mine(ld->run, v)) {
        isl_report_other_shard(ld->report);
        return 0;
    }
    isl_report_filter(ld->report, v);
    return isl_run_seen(ld->run, v->out);
}

static int on_outcome(void *p, const struct isl_outcome *o)
{
    struct load *ld = p;
    int rc = isl_run_outcome(ld->run, o);

    check_threshold(ld, false);
    return rc;
}

static int on_sent(void *p, uint64_t batch, const uint64_t *rows, size_t n,
                   const json_t *before)
{
    return isl_run_sent(((struct load *)p)->run, batch, rows, n, before);
}

static int on_acked(void *p, uint64_t batch, const char *import_set)
{
    return isl_run_acked(((struct load *)p)->run, batch, import_set);
}

static int on_batch_done(void *p, uint64_t batch)
{
    return isl_run_batch_done(((struct load *)p)->run, batch);
}

/* A run id as isl_run makes them: YYYYMMDDTHHMMSS-xxxx. */
static bool looks_like_run_id(const char *s)
{
    if (strlen(s) != 20 || s[8] != 'T' || s[15] != '-')
        return false;
    for (size_t i = 0; i < 20; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';

        if (i == 8 || i == 15)
            continue;
        if (!digit && (i < 15 || !(s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* What the command line says. */
struct load_args {
    struct isl_cli_reader cr;
    struct isl_cli_conn conn;
    struct isl_run_opts ro;
    struct isl_loader_opts lo;
    int conc;
    const char *feed_file;
    const char *const *inputs;
    size_t ninputs;
    const char *report_path, *max_errors, *metrics_path;
    bool quiet, use_labels, ordered;
};

/*
 * Parse the options into a and ld (thresholds, rejects path, --missing).
 * Returns -1 to go on, or the exit status (help printed, usage error).
 */
static int parse_args(int argc, char **argv, struct load_args *a,
                      struct load *ld)
{
    enum {
        O_MODE = ISL_OPT_CONN_LAST + 1,
        O_BATCH,
        O_BATCH_BYTES,
        O_CONC,
        O_ORDERED,
        O_KEYS,
        O_CORR,
        O_POLL,
        O_MAXERR,
        O_STATE,
        O_REPORT,
        O_REJECTS,
        O_MANIFEST,
        O_NO_MANIFEST,
        O_RESUME,
        O_DELTA,
        O_FULL,
        O_MISSING,
        O_MAX_MISSING,
        O_SHARD,
        O_METRICS
    };
    static const struct option longopts[] = {
        ISL_READER_LONGOPTS,
        ISL_CONN_LONGOPTS,
        {"mode", required_argument, NULL, O_MODE},
        {"batch", required_argument, NULL, O_BATCH},
        {"batch-bytes", required_argument, NULL, O_BATCH_BYTES},
        {"concurrency", required_argument, NULL, O_CONC},
        {"ordered", no_argument, NULL, O_ORDERED},
        {"keys", required_argument, NULL, O_KEYS},
        {"correlation-column", required_argument, NULL, O_CORR},
        {"poll-timeout", required_argument, NULL, O_POLL},
        {"max-errors", required_argument, NULL, O_MAXERR},
        {"state-dir", required_argument, NULL, O_STATE},
        {"report", required_argument, NULL, O_REPORT},
        {"rejects", required_argument, NULL, O_REJECTS},
        {"manifest", required_argument, NULL, O_MANIFEST},
        {"no-manifest", no_argument, NULL, O_NO_MANIFEST},
        {"resume", optional_argument, NULL, O_RESUME},
        {"delta", no_argument, NULL, O_DELTA},
        {"full", no_argument, NULL, O_FULL},
        {"missing", required_argument, NULL, O_MISSING},
        {"max-missing", required_argument, NULL, O_MAX_MISSING},
        {"shard", required_argument, NULL, O_SHARD},
        {"metrics", required_argument, NULL, O_METRICS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct isl_run_opts *ro = &a->ro;
    struct isl_loader_opts *lo = &a->lo;
    unsigned k, n;
    char tail;
    size_t sz;
    long v;
    int opt;

    a->conc = 4;
    ro->state_dir = "./isload-runs";
    lo->mode = ISL_MODE_MULTIPLE;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_conn_help, stdout);
            fputs(isl_cli_reader_help, stdout);
            return ISL_EXIT_OK;
        case 'q':
            a->quiet = true;
            break;
        case O_MODE:
            if (strcmp(optarg, "multiple") == 0)
                lo->mode = ISL_MODE_MULTIPLE;
            else if (strcmp(optarg, "single") == 0)
                lo->mode = ISL_MODE_SINGLE;
            else
                return isl_cli_usage_error("load",
                                           "unknown mode '%s' (multiple or "
                                           "single)",
                                           optarg);
            break;
        case O_BATCH:
        case O_CONC:
        case O_POLL:
            v = strtol(optarg, NULL, 10);
            if (v < 1 || v > 100000)
                return isl_cli_usage_error("load", "bad value '%s' for %s",
                                           optarg, argv[optind - 1]);
            if (opt == O_BATCH)
                lo->batch_rows = (size_t)v;
            else if (opt == O_CONC)
                a->conc = (int)v;
            else
                lo->poll_timeout = (double)v;
            break;
        case O_BATCH_BYTES:
            if (isl_cli_parse_size(optarg, &sz) < 0)
                return isl_cli_usage_error("load", "bad size '%s'", optarg);
            lo->batch_bytes = sz;
            break;
        case O_ORDERED:
            a->ordered = true;
            break;
        case O_KEYS:
            if (strcmp(optarg, "label") != 0 && strcmp(optarg, "name") != 0)
                return isl_cli_usage_error("load",
                                           "--keys takes name or label");
            a->use_labels = strcmp(optarg, "label") == 0;
            break;
        case O_CORR:
            lo->corr_col = optarg;
            break;
        case O_MAXERR:
            a->max_errors = optarg;
            if (parse_threshold(optarg, &ld->th) < 0)
                return isl_cli_usage_error(
                    "load", "bad --max-errors '%s' (N or P%%)", optarg);
            break;
        case O_STATE:
            ro->state_dir = optarg;
            break;
        case O_REPORT:
            a->report_path = optarg;
            break;
        case O_METRICS:
            a->metrics_path = optarg;
            break;
        case O_REJECTS:
            ld->rejects_path = optarg;
            break;
        case O_MANIFEST:
            ro->manifest = optarg;
            break;
        case O_NO_MANIFEST:
            ro->no_manifest = true;
            break;
        case O_RESUME:
            ro->resume = true;
            if (optarg)
                ro->resume_id = optarg;
            else if (optind < argc && looks_like_run_id(argv[optind]) &&
                     access(argv[optind], F_OK) != 0)
                ro->resume_id = argv[optind++];
            if (ro->resume_id && !looks_like_run_id(ro->resume_id))
                return isl_cli_usage_error("load",
                                           "'%s' is not a run id "
                                           "(YYYYMMDDTHHMMSS-xxxx)",
                                           ro->resume_id);
            break;
        case O_DELTA:
        case O_FULL:
            if (ro->delta != ISL_DELTA_OFF)
                return isl_cli_usage_error("load", "--delta and --full "
                                                   "exclude each other");
            ro->delta = opt == O_DELTA ? ISL_DELTA_ON : ISL_DELTA_FULL;
            break;
        case O_MISSING:
            if (strcmp(optarg, "deactivate") != 0 &&
                strcmp(optarg, "report") != 0)
                return isl_cli_usage_error("load", "--missing takes report or "
                                                   "deactivate");
            ld->deactivate = strcmp(optarg, "deactivate") == 0;
            break;
        case O_MAX_MISSING:
            if (parse_threshold(optarg, &ld->guard) < 0)
                return isl_cli_usage_error(
                    "load", "bad --max-missing '%s' (N or P%%)", optarg);
            break;
        case O_SHARD:
            if (sscanf(optarg, "%u/%u%c", &k, &n, &tail) != 2 || n < 1 ||
                n > 10000 || k >= n)
                return isl_cli_usage_error("load",
                                           "bad --shard '%s' (K/N, K from 0 "
                                           "to N-1)",
                                           optarg);
            ro->shard_index = k;
            ro->shard_count = n;
            break;
        case ':':
            return isl_cli_usage_error("load", "option '%s' needs a value",
                                       argv[optind - 1]);
        case '?':
            return isl_cli_usage_error("load", "unknown option '%s'",
                                       argv[optind - 1]);
        default:
            if (opt >= ISL_OPT_INSTANCE && opt < ISL_OPT_CONN_LAST) {
                if (isl_cli_conn_option(&a->conn, "load", opt, optarg))
                    return ISL_EXIT_USAGE;
            } else if (isl_cli_reader_option(&a->cr, "load", opt, optarg)) {
                return ISL_EXIT_USAGE;
            }
        }
    }
    if (argc - optind < 2)
        return isl_cli_usage_error("load", argc == optind ? "no FEED given"
                                                          : "no INPUT given");
    if (ro->manifest && ro->no_manifest)
        return isl_cli_usage_error("load", "--manifest and --no-manifest "
                                           "exclude each other");
    a->feed_file = argv[optind];
    a->inputs = (const char *const *)argv + optind + 1;
    a->ninputs = (size_t)(argc - optind - 1);
    return -1;
}

/* The options that need the feed. Returns -1 to go on, or 2. */
static int check_feed_args(const struct load_args *a, struct load *ld)
{
    const struct isl_feed *feed = ld->feed;

    if ((a->ro.delta || a->ro.shard_count > 1) && !feed->nkey)
        return isl_cli_usage_error("load", "%s needs a feed with a key",
                                   a->ro.delta ? "--delta/--full" : "--shard");
    if (ld->deactivate && !a->ro.delta)
        return isl_cli_usage_error("load", "--missing deactivate needs "
                                           "--delta or --full");
    if (ld->deactivate && !feed->nmissing_values)
        return isl_cli_usage_error("load",
                                   "--missing deactivate needs the feed's "
                                   "\"missing\": {\"values\": ...} "
                                   "(docs/feeds.md)");
    if (!ld->guard.set) { /* the default guard: 5% of the keys */
        ld->guard.set = ld->guard.percent = true;
        ld->guard.limit = 5;
    }
    return -1;
}

/* The chain, the report, the run record, the HTTP layer and the loader.
 * Fills the run's paths into rpath (report) and lpath (request log). */
static int open_load(struct load_args *a, struct load *ld, char *rpath,
                     char *lpath, size_t n, struct isl_error *err)
{
    const struct isl_feed *feed = ld->feed;
    struct isl_loader_opts *lo = &a->lo;
    struct isl_run_opts *ro = &a->ro;
    char rejects[4096];
    const char *const *cols;
    size_t ncols;
    int rc;

    if ((rc = isl_chain_new(&ld->chain, feed, err)) < 0)
        return rc;
    ncols = isl_chain_columns(ld->chain, &cols);
    {
        struct isl_report_info info = {
            .command = "load",
            .feed = feed->name,
            .feed_file = a->feed_file,
            .staging_table = feed->staging_table,
            .inputs = a->inputs,
            .ninputs = a->ninputs,
            .max_errors = a->max_errors,
        };

        if ((rc = isl_report_new(&ld->report, &info, cols, ncols, err)) < 0)
            return rc;
    }
    ro->feed_file = a->feed_file;
    ro->feed = feed;
    ro->inputs = a->inputs;
    ro->ninputs = a->ninputs;
    ro->instance = a->conn.instance;
    ro->mode = lo->mode == ISL_MODE_SINGLE ? "single" : "multiple";
    ro->corr_col = lo->corr_col ? lo->corr_col : "u_isload_row";
    ro->labels = a->use_labels;
    ro->quiet = a->quiet;
    if ((rc = isl_run_open(&ld->run, ro, ld->report, err)) < 0)
        return rc;
    ld->run_dir = isl_run_dir(ld->run);
    if (a->conn.log_path)
        snprintf(lpath, n, "%s", a->conn.log_path);
    else
        snprintf(lpath, n, "%s/requests.jsonl", ld->run_dir);
    if (a->report_path)
        snprintf(rpath, n, "%s", a->report_path);
    else
        snprintf(rpath, n, "%s/report.json", ld->run_dir);
    if (ld->rejects_path)
        snprintf(rejects, sizeof(rejects), "%s", ld->rejects_path);
    else
        snprintf(rejects, sizeof(rejects), "%s/rejects.%s", ld->run_dir,
                 ext_of(feed->input.format));
    isl_run_set_paths(ld->run, rpath, rejects, lpath);

    /* imports and reads each get the concurrency */
    lo->concurrency = a->conc;
    if ((rc = isl_cli_conn_open(&a->conn, lpath, isl_run_resumed(ld->run),
                                a->conc * 2, &ld->http, err)) < 0)
        return rc;
    isl_run_set_http(ld->run, ld->http);
    if (a->use_labels) {
        ld->labels = calloc(feed->nfields + 1, sizeof(*ld->labels));
        if (!ld->labels)
            return isl_error_set(err, ISL_ENOMEM, "load", "out of memory");
        for (size_t i = 0; i < feed->nfields; i++)
            ld->labels[i] = feed->fields[i].label;
    }
    lo->staging_table = feed->staging_table;
    lo->run_id = isl_run_id(ld->run);
    lo->corr_col = ro->corr_col;
    lo->images = isl_run_has_manifest(ld->run);
    lo->target = &feed->target;
    lo->labels = ld->labels;
    lo->ordered = a->ordered || feed->has_deferred;
    lo->key_cols = feed->key;
    lo->nkey = feed->nkey;
    {
        struct isl_loader_sink lsink = {ld, on_outcome, on_sent, on_acked,
                                        on_batch_done};

        return isl_loader_new(&ld->loader, ld->http, lo, &lsink, err);
    }
}

/* Read every input through the chain into the sinks, then the rows the
 * chain held back and the missing keys. Returns 0 or < 0 (err says why;
 * the loader may still hold rows in flight). */
static int read_inputs(const struct load_args *a, struct load *ld,
                       struct isl_error *err)
{
    struct isl_chain_sink sink = {ld, on_accept, on_reject, on_filter};
    const struct isl_source *checked = NULL;
    struct isl_progress prog;
    uint64_t nrows = 0;
    int rc;

    if ((rc = isl_prefetch_open(&ld->rows, a->inputs, a->ninputs,
                                &ld->feed->input, err)) < 0)
        return rc;
    isl_progress_init(&prog);
    while (!ld->over && !ld->failed) {
        const struct isl_row *row;
        const struct isl_source *src;

        if ((++nrows & 0x3ff) == 0 && isl_progress_due(&prog)) {
            uint64_t bytes = isl_prefetch_bytes_read(ld->rows);
            uint64_t total = isl_prefetch_bytes_total(ld->rows);
            double dt = isl_progress_elapsed(&prog);
            uint64_t done = isl_report_outcomes(ld->report);

            isl_progress_draw(
                &prog, "  read %llu, outcomes %llu (%llu errors), %.0f rows/s",
                (unsigned long long)isl_report_rows_read(ld->report),
                (unsigned long long)done,
                (unsigned long long)isl_report_outcome_errors(ld->report),
                (double)done / dt);
            if (total > bytes && bytes)
                fprintf(stderr, ", ETA %.0f s",
                        dt * (double)(total - bytes) / (double)bytes);
        }
        rc = isl_prefetch_next(ld->rows, &row, err);
        if (rc == ISL_EOF)
            break;
        if (rc < 0 && rc != ISL_EROW)
            goto out;
        src = isl_prefetch_source(ld->rows);
        if (src != checked) {
            checked = src;
            if ((rc =
                     isl_chain_check_columns(ld->chain, src->name, src->columns,
                                             src->ncolumns, err)) < 0)
                goto out;
        }
        rc = rc == ISL_EROW ? isl_chain_reader_error(ld->chain, row, err, &sink)
                            : isl_chain_push(ld->chain, row, &sink, err);
        if (rc < 0) {
            if (ld->err.msg[0])
                *err = ld->err;
            goto out;
        }
    }
    rc = 0;
    /* an input that gave no row (a CSV header alone) is checked too */
    for (size_t i = 1; i <= a->ninputs && !ld->over && !ld->failed; i++) {
        const struct isl_source *src = isl_prefetch_input(ld->rows, i);

        if (src && src != checked &&
            (rc = isl_chain_check_columns(ld->chain, src->name, src->columns,
                                          src->ncolumns, err)) < 0)
            goto out;
    }
    if (!ld->over && !ld->failed)
        rc = isl_chain_finish(ld->chain, &sink, err);
    if (rc == 0 && !ld->over && !ld->failed)
        rc = handle_missing(ld, ld->feed, err);
out:
    isl_progress_end(&prog);
    return rc;
}

/* Wait for every outcome and give the report the loading figures. */
static void finish_load(const struct load_args *a, struct load *ld)
{
    struct isl_report_load info = {0};
    const struct isl_loader_stats *ls;
    const struct isl_http_stats *hs;

    if (ld->over)
        isl_loader_stop(ld->loader);
    if (!ld->failed && isl_loader_finish(ld->loader, &ld->err) < 0)
        ld->failed = true;
    check_threshold(ld, true);
    ls = isl_loader_stats(ld->loader);
    hs = isl_http_stats(ld->http);
    info.instance = a->conn.instance;
    info.mode = a->lo.mode == ISL_MODE_SINGLE ? "single" : "multiple";
    info.run_id = isl_run_id(ld->run);
    info.rows_replayed = isl_run_replayed(ld->run);
    info.rows_sent = ls->rows_sent + info.rows_replayed;
    info.attempt = isl_run_attempt(ld->run);
    info.image_reads = ls->image_reads;
    info.images_missing = ls->images_missing;
    info.manifest =
        isl_run_has_manifest(ld->run) ? isl_run_manifest_path(ld->run) : NULL;
    isl_run_manifest_counts(ld->run, &info.manifest_inserts,
                            &info.manifest_updates);
    info.nimport_sets = isl_loader_import_sets(
        ld->loader, &info.import_set_text, &info.import_set_off);
    info.requests = hs->requests;
    info.retries = ls->retries;
    info.splits = ls->splits;
    info.reconciled = ls->reconciled;
    info.duplicates = ls->duplicates;
    info.duplicates_undone = ls->duplicates_undone;
    info.polls = ls->polls;
    info.status_codes = hs->status_codes;
    info.transport_errors = hs->by_status[0];
    info.aborted = ld->failed;
    info.abort_reason = ld->failed ? ld->err.msg : NULL;
    info.delta = a->ro.delta == ISL_DELTA_ON     ? "delta"
                 : a->ro.delta == ISL_DELTA_FULL ? "full"
                                                 : NULL;
    info.rows_deactivated = ld->deactivated;
    info.shard_index = a->ro.shard_index;
    info.shard_count = a->ro.shard_count;
    info.keys_missing = ld->keys_missing;
    info.keys_stored = ld->keys_stored;
    info.missing_refused = ld->missing_refused[0] ? ld->missing_refused : NULL;
    /* rows the chain accepted but the loader never sent */
    info.rows_not_sent = isl_report_rows_valid(ld->report) + ld->deactivated -
                         info.rows_sent - isl_report_rows_unchanged(ld->report);
    isl_report_set_load(ld->report, &info);
    isl_report_finish(ld->report, ld->over);
}

/* The exit status of a finished load, with why (for the summary) and the
 * run's status (for run.json). */
static int load_status(const struct load_args *a, struct load *ld, char *why,
                       size_t n, const char **run_status)
{
    if (ld->failed) {
        fprintf(stderr, "isload load: aborted: %s\n", ld->err.msg);
        snprintf(why, n, "aborted: %s", ld->err.msg);
        *run_status = "aborted";
        return ISL_EXIT_THRESHOLD;
    }
    if (!isl_report_adds_up(ld->report) ||
        isl_run_done_seen(ld->run) != isl_run_replayed(ld->run)) {
        fprintf(stderr, "isload load: internal error: row counts do not add "
                        "up (see the report)\n");
        snprintf(why, n, "row counts do not add up");
        *run_status = "failed";
        return ISL_EXIT_THRESHOLD;
    }
    if (ld->over) {
        fprintf(stderr,
                "isload load: error threshold %s exceeded; sending "
                "stopped\n",
                a->max_errors);
        snprintf(why, n, "error threshold %s exceeded", a->max_errors);
        *run_status = "threshold";
        return ISL_EXIT_THRESHOLD;
    }
    if (ld->missing_refused[0]) {
        fprintf(stderr, "isload load: %s (the delta store is not advanced)\n",
                ld->missing_refused);
        snprintf(why, n, "%s", ld->missing_refused);
        *run_status = "threshold";
        return ISL_EXIT_THRESHOLD;
    }
    *run_status = "complete";
    return isl_report_rows_rejected(ld->report) ||
                   isl_report_outcome_errors(ld->report)
               ? ISL_EXIT_ROWS
               : ISL_EXIT_OK;
}

static int load_run(int argc, char **argv)
{
    struct load_args a = {0};
    struct load ld = {0};
    struct isl_error err;
    struct isl_buf all;
    char line[1024], rpath[4096], lpath[4096];
    char run_id[64] = "-", why[1100] = "";
    json_t *figures = NULL; /* the report's counts, for the last lines */
    const char *run_status = "failed";
    int rc, status;

    isl_error_clear(&err);
    isl_error_clear(&ld.err);
    isl_buf_init(&all, 1 << 20);
    isl_cli_conn_init(&a.conn);
    if ((status = parse_args(argc, argv, &a, &ld)) >= 0)
        goto out;
    status = ISL_EXIT_USAGE;
    if ((rc = isl_cli_conn_check(&a.conn, "load", &err)) != 0) {
        if (rc < 0)
            goto fatal;
        goto out;
    }
    if (isl_feed_load(&ld.feed, a.feed_file, &all, &err) < 0) {
        if (all.len)
            fputs(all.data, stderr);
        else
            fprintf(stderr, "isload load: %s\n",
                    isl_error_format(&err, line, sizeof(line)));
        goto out;
    }
    isl_cli_reader_merge(&ld.feed->input, &a.cr.opts);
    if ((status = check_feed_args(&a, &ld)) >= 0)
        goto out;
    status = ISL_EXIT_USAGE;
    if (open_load(&a, &ld, rpath, lpath, sizeof(rpath), &err) < 0)
        goto fatal;
    snprintf(run_id, sizeof(run_id), "%s", isl_run_id(ld.run));
    if (!a.quiet) {
        char how[160];
        const char *inst = a.conn.instance;

        fprintf(stderr, "isload load: run %s: feed %s -> %s%s%s (%s, %s)\n",
                run_id, ld.feed->name, inst,
                inst[strlen(inst) - 1] == '/' ? "" : "/",
                ld.feed->staging_table,
                a.lo.mode == ISL_MODE_SINGLE ? "single" : "multiple",
                isl_creds_describe(&a.conn.creds, how, sizeof(how)));
    }
    if (read_inputs(&a, &ld, &err) < 0) {
        /* the input failed: finish what is in flight so outcomes are
         * known, and keep the journal resumable */
        isl_loader_stop(ld.loader);
        isl_loader_finish(ld.loader, &ld.err);
        goto fatal;
    }
    finish_load(&a, &ld);
    if (isl_report_write(ld.report, rpath, &err) < 0)
        goto fatal;
    if (!a.quiet)
        isl_report_print(ld.report, stdout);
    status = load_status(&a, &ld, why, sizeof(why), &run_status);
    goto out;

fatal:
    fprintf(stderr, "isload load: %s\n",
            isl_error_format(&err, line, sizeof(line)));
    snprintf(why, sizeof(why), "failed: %s", line);
    status = ISL_EXIT_USAGE;
    run_status = "failed";
out:
    figures = ld.report ? isl_report_json(ld.report, 0) : NULL;
    if (ld.run &&
        isl_run_close(ld.run, run_status, status, ld.report, &err) < 0) {
        fprintf(stderr, "isload load: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        status = ISL_EXIT_THRESHOLD;
    }
    if (isl_rejects_close(ld.rejects, &err) < 0)
        status = ISL_EXIT_USAGE;
    if (ld.feed && a.metrics_path &&
        isl_metrics_write_run(a.metrics_path, ld.feed->name, figures, status,
                              a.ro.state_dir, &err) < 0)
        fprintf(stderr, "isload load: --metrics: %s\n",
                isl_error_format(&err, line, sizeof(line)));
    if (ld.feed)
        isl_summary_print(stderr, run_id, ld.feed->name, figures, status, why);
    json_decref(figures);
    isl_prefetch_close(ld.rows);
    json_decref(ld.keys_missing);
    isl_loader_free(ld.loader);
    isl_report_free(ld.report);
    isl_chain_free(ld.chain);
    isl_http_free(ld.http);
    isl_cli_conn_free(&a.conn);
    isl_feed_free(ld.feed);
    free(ld.labels);
    isl_buf_free(&all);
    isl_cli_reader_free(&a.cr);
    return status;
}

const struct isl_command isl_cmd_load = {
    .name = "load",
    .summary = "load inputs into an instance's Import Set staging table",
    .usage = usage,
    .run = load_run,
};
