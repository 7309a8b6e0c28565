/*
 * cmd_preflight.c: `isload preflight FEED [INPUT...] --instance URL`: is
 * the instance ready for this feed? Five checks (isl_preflight.h), one
 * line each: PASS, FAIL or CANNOT-CHECK, the check, and for the others
 * what is wrong and what to do. Nothing on the instance changes except
 * one probe row that the transform skips (--no-post-probe: none).
 *
 * The same auth, TLS and URL rules as `isload load`: credentials from the
 * environment or a 0600 --credentials file, https only (http for
 * loopback), --ca-file, --proxy.
 *
 * Exit codes: 0 every check passed, 1 some check failed or could not be
 * checked, 2 usage, feed or input error, 3 the instance could not be
 * reached or refused the credentials.
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_cli.h"
#include "isl_creds.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_http.h"
#include "isl_preflight.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: isload preflight FEED [INPUT...] --instance URL [options]\n\n"
    "Check that the instance is ready for the feed before loading: the "
    "credentials,\nthe right to post to the staging table and read "
    "sys_import_set_row, the\nstaging table's columns and lengths, the "
    "transform map's coalesce fields and\nfield maps, and the rate limit "
    "against the planned run. One line per check:\nPASS, FAIL or "
    "CANNOT-CHECK, with what to do. Nothing is loaded; one probe row\n"
    "whose coalesce fields are empty is posted (the transform skips it; "
    "see\ndocs/operations.md).\n\n"
    "Options:\n"
    "  --rows N              rows the run will send, for the rate-limit "
    "check\n"
    "                        (else INPUT is read and its rows counted)\n"
    "  --mode MODE           the load's mode: multiple (default) or single\n"
    "  --batch N             the load's rows per insertMultiple (default "
    "200)\n"
    "  --keys name|label     the load's column keys (default name)\n"
    "  --correlation-column C  the load's correlation column (default "
    "u_isload_row)\n"
    "  --no-post-probe       do not post the probe row (import-access is "
    "then\n"
    "                        CANNOT-CHECK)\n"
    "  --no-manifest         the load will run without a manifest (fewer "
    "reads)\n"
    "  --json FILE           also write the results as JSON\n"
    "  -h, --help            this help\n\n"
    "Exit codes: 0 every check passed, 1 some check failed or could not be "
    "checked,\n2 usage, feed or input error, 3 could not reach or "
    "authenticate to the instance.\n\n";

/* Count the rows of the inputs with the feed's reader. */
static int count_rows(const struct isl_feed *feed, const char *const *paths,
                      size_t n, uint64_t *rows, struct isl_error *err)
{
    struct isl_stream *s = NULL;
    const struct isl_row *row;
    int rc;

    *rows = 0;
    rc = isl_stream_open(&s, paths, n, &feed->input, err);
    while (rc >= 0) {
        rc = isl_stream_next(s, &row, err);
        if (rc == ISL_EOF) {
            rc = 0;
            break;
        }
        if (rc == ISL_OK || rc == ISL_EROW) {
            (*rows)++;
            rc = 0;
        }
    }
    isl_stream_close(s);
    return rc;
}

static int preflight_run(int argc, char **argv)
{
    enum {
        O_ROWS = ISL_OPT_CONN_LAST + 1,
        O_MODE,
        O_BATCH,
        O_KEYS,
        O_CORR,
        O_NO_PROBE,
        O_JSON,
        O_NO_MANIFEST,
    };
    static const struct option longopts[] = {
        ISL_READER_LONGOPTS,
        ISL_CONN_LONGOPTS,
        {"rows", required_argument, NULL, O_ROWS},
        {"mode", required_argument, NULL, O_MODE},
        {"batch", required_argument, NULL, O_BATCH},
        {"keys", required_argument, NULL, O_KEYS},
        {"correlation-column", required_argument, NULL, O_CORR},
        {"no-post-probe", no_argument, NULL, O_NO_PROBE},
        {"json", required_argument, NULL, O_JSON},
        {"no-manifest", no_argument, NULL, O_NO_MANIFEST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct isl_cli_reader cr = {0};
    struct isl_pf_plan plan = {0};
    struct isl_pf_facts facts = {0};
    struct isl_pf_results res = {0};
    struct isl_cli_conn conn;
    struct isl_feed *feed = NULL;
    struct isl_http *http = NULL;
    struct isl_error err;
    struct isl_buf all;
    const char *json_path = NULL;
    char auth[160], line[1024], *end;
    long v;
    int opt, rc, status = ISL_EXIT_USAGE;

    isl_error_clear(&err);
    isl_cli_conn_init(&conn);
    isl_buf_init(&all, 1 << 20);
    plan.mode = ISL_MODE_MULTIPLE;
    plan.corr_col = ISL_PF_DEFAULT_CORR;
    plan.post_probe = true;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_conn_help, stdout);
            fputs(isl_cli_reader_help, stdout);
            status = ISL_EXIT_OK;
            goto out;
        case O_ROWS:
            errno = 0;
            plan.rows = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                isl_cli_usage_error("preflight", "bad --rows '%s'", optarg);
                goto out;
            }
            plan.rows_known = true;
            break;
        case O_MODE:
            if (strcmp(optarg, "multiple") == 0)
                plan.mode = ISL_MODE_MULTIPLE;
            else if (strcmp(optarg, "single") == 0)
                plan.mode = ISL_MODE_SINGLE;
            else {
                isl_cli_usage_error("preflight",
                                    "unknown mode '%s' (multiple or single)",
                                    optarg);
                goto out;
            }
            break;
        case O_BATCH:
            v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 100000) {
                isl_cli_usage_error("preflight", "bad value '%s' for %s",
                                    optarg, argv[optind - 1]);
                goto out;
            }
            plan.batch_rows = (size_t)v;
            break;
        case O_KEYS:
            if (strcmp(optarg, "label") != 0 && strcmp(optarg, "name") != 0) {
                isl_cli_usage_error("preflight", "--keys takes name or label");
                goto out;
            }
            plan.use_labels = strcmp(optarg, "label") == 0;
            break;
        case O_CORR:
            plan.corr_col = optarg;
            break;
        case O_NO_PROBE:
            plan.post_probe = false;
            break;
        case O_JSON:
            json_path = optarg;
            break;
        case O_NO_MANIFEST:
            plan.no_manifest = true;
            break;
        case ':':
            isl_cli_usage_error("preflight", "option '%s' needs a value",
                                argv[optind - 1]);
            goto out;
        case '?':
            isl_cli_usage_error("preflight", "unknown option '%s'",
                                argv[optind - 1]);
            goto out;
        default:
            if (opt >= ISL_OPT_INSTANCE && opt < ISL_OPT_CONN_LAST) {
                if (isl_cli_conn_option(&conn, "preflight", opt, optarg))
                    goto out;
            } else if (isl_cli_reader_option(&cr, "preflight", opt, optarg)) {
                goto out;
            }
        }
    }
    if (argc == optind) {
        isl_cli_usage_error("preflight", "no FEED given");
        goto out;
    }
    if (plan.rows_known && argc - optind > 1) {
        isl_cli_usage_error("preflight", "give INPUT or --rows, not both");
        goto out;
    }
    if ((rc = isl_cli_conn_check(&conn, "preflight", &err)) != 0) {
        if (rc < 0)
            goto fatal;
        goto out;
    }
    if (isl_feed_load(&feed, argv[optind], &all, &err) < 0) {
        if (all.len)
            fputs(all.data, stderr);
        else
            fprintf(stderr, "isload preflight: %s\n",
                    isl_error_format(&err, line, sizeof(line)));
        goto out;
    }
    isl_cli_reader_merge(&feed->input, &cr.opts);
    if (argc - optind > 1) {
        if (count_rows(feed, (const char *const *)argv + optind + 1,
                       (size_t)(argc - optind - 1), &plan.rows, &err) < 0)
            goto fatal;
        plan.rows_known = true;
    }

    if (isl_cli_conn_open(&conn, NULL, false, 1, &http, &err) < 0)
        goto fatal;
    plan.feed = feed;
    plan.instance = conn.instance;
    plan.auth = isl_creds_describe(&conn.creds, auth, sizeof(auth));
    if (isl_preflight_run(http, &plan, &facts, &res, &err) < 0)
        goto fatal;
    isl_pf_print(&res, stdout);
    status = isl_pf_exit_code(&facts, &res);
    if (json_path &&
        isl_pf_write_json(&plan, &res, status, json_path, &err) < 0) {
        status = ISL_EXIT_USAGE;
        goto fatal;
    }
    goto out;

fatal:
    fprintf(stderr, "isload preflight: %s\n",
            isl_error_format(&err, line, sizeof(line)));
out:
    isl_pf_results_free(&res);
    isl_pf_facts_free(&facts);
    isl_http_free(http);
    isl_cli_conn_free(&conn);
    isl_feed_free(feed);
    isl_buf_free(&all);
    isl_cli_reader_free(&cr);
    return status;
}

const struct isl_command isl_cmd_preflight = {
    .name = "preflight",
    .summary = "check that an instance is ready for a feed",
    .usage = usage,
    .run = preflight_run,
};
