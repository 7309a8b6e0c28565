/*
 * cmd_rollback.c: `isload rollback MANIFEST... --instance URL`: undo a
 * load from its manifest(s) (isl_rollback.h does the work; this file is
 * the command line, the summary and the exit code).
 *
 * Exit codes: 0 everything the manifests record is undone (or was
 * already), 1 some records were left (conflicts, no before-image, write
 * refused) or a manifest is incomplete, 2 usage or manifest error, 3
 * aborted (authentication refused, instance unreachable).
 */
#include "isl_setup.h"
#include "isl_cli.h"
#include "isl_error.h"
#include "isl_rollback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: isload rollback MANIFEST... --instance URL [options]\n\n"
    "Undo a load from its rollback manifest(s): delete the records it "
    "inserted,\nrestore the ones it updated to their before-images, in "
    "reverse order. A\nrecord changed since the load is left alone and "
    "reported as a conflict.\n\n"
    "Options:\n"
    "  --dry-run             read and decide, print what would be done, "
    "change\n"
    "                        nothing\n"
    "  --force               undo records changed since the load too\n"
    "  --report FILE         JSON report of what was done\n"
    "  --journal FILE        progress journal (default "
    "MANIFEST.rollback.jsonl);\n"
    "                        a rerun goes on where an interrupted one "
    "stopped\n"
    "  --concurrency N       writes in flight (default 4)\n"
    "  -q, --quiet           no line per record\n"
    "  -h, --help            this help\n\n";

static void print_summary(const struct isl_rollback_counts *c, bool dry,
                          FILE *f)
{
    fprintf(f, "rollback: %llu actions", (unsigned long long)c->actions);
    if (dry)
        fprintf(f, ": would delete %llu, would restore %llu",
                (unsigned long long)c->would_delete,
                (unsigned long long)c->would_restore);
    else
        fprintf(f, ": deleted %llu, restored %llu",
                (unsigned long long)c->deleted,
                (unsigned long long)c->restored);
    fprintf(f,
            ", already undone %llu, conflicts %llu, refused %llu, errors "
            "%llu\n",
            (unsigned long long)c->already_done,
            (unsigned long long)c->conflicts, (unsigned long long)c->refused,
            (unsigned long long)c->errors);
}

static int rollback_run(int argc, char **argv)
{
    enum {
        O_DRY = ISL_OPT_CONN_LAST + 1,
        O_FORCE,
        O_REPORT,
        O_JOURNAL,
        O_CONC,
    };
    static const struct option longopts[] = {
        ISL_CONN_LONGOPTS,
        {"dry-run", no_argument, NULL, O_DRY},
        {"force", no_argument, NULL, O_FORCE},
        {"report", required_argument, NULL, O_REPORT},
        {"journal", required_argument, NULL, O_JOURNAL},
        {"concurrency", required_argument, NULL, O_CONC},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct isl_rollback_opts ro = {0};
    struct isl_rollback_counts c;
    struct isl_cli_conn conn;
    struct isl_http *http = NULL;
    struct isl_error err;
    const char *report_path = NULL;
    json_t *report = NULL;
    bool quiet = false;
    char line[1024];
    int opt, rc, status = ISL_EXIT_USAGE;
    long v;

    isl_error_clear(&err);
    isl_cli_conn_init(&conn);
    ro.concurrency = 4;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_conn_help, stdout);
            status = ISL_EXIT_OK;
            goto out;
        case 'q':
            quiet = true;
            break;
        case O_DRY:
            ro.dry_run = true;
            break;
        case O_FORCE:
            ro.force = true;
            break;
        case O_REPORT:
            report_path = optarg;
            break;
        case O_JOURNAL:
            ro.journal = optarg;
            break;
        case O_CONC:
            v = strtol(optarg, NULL, 10);
            if (v < 1 || v > 1000) {
                isl_cli_usage_error("rollback", "bad --concurrency '%s'",
                                    optarg);
                goto out;
            }
            ro.concurrency = (int)v;
            break;
        case ':':
            isl_cli_usage_error("rollback", "option '%s' needs a value",
                                argv[optind - 1]);
            goto out;
        case '?':
            isl_cli_usage_error("rollback", "unknown option '%s'",
                                argv[optind - 1]);
            goto out;
        default:
            if (isl_cli_conn_option(&conn, "rollback", opt, optarg))
                goto out;
        }
    }
    if (optind >= argc) {
        isl_cli_usage_error("rollback", "no MANIFEST given");
        goto out;
    }
    if ((rc = isl_cli_conn_check(&conn, "rollback", &err)) != 0) {
        if (rc < 0)
            fprintf(stderr, "isload rollback: %s\n",
                    isl_error_format(&err, line, sizeof(line)));
        goto out;
    }
    if (isl_cli_conn_open(&conn, NULL, false, ro.concurrency, &http, &err) <
        0) {
        fprintf(stderr, "isload rollback: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        goto out;
    }
    ro.manifests = (const char *const *)argv + optind;
    ro.nmanifests = (size_t)(argc - optind);
    ro.instance = conn.instance;
    ro.out = quiet ? NULL : stdout;
    rc = isl_rollback_run(&ro, http, &c, &report, &err);
    if (report_path && report &&
        json_dump_file(report, report_path, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "isload rollback: cannot write %s\n", report_path);
        rc = rc ? rc : ISL_EIO;
    }
    if (rc == ISL_ECONFIG) {
        fprintf(stderr, "isload rollback: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        status = ISL_EXIT_USAGE;
        goto out;
    }
    print_summary(&c, ro.dry_run, quiet ? stderr : stdout);
    for (size_t i = 0; i < json_array_size(json_object_get(report, "warnings"));
         i++)
        fprintf(stderr, "isload rollback: warning: %s\n",
                json_string_value(
                    json_array_get(json_object_get(report, "warnings"), i)));
    if (rc < 0) {
        fprintf(stderr, "isload rollback: aborted: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        status = ISL_EXIT_THRESHOLD;
    } else if (c.conflicts || c.refused || c.errors || c.incomplete_manifest) {
        status = ISL_EXIT_ROWS;
    } else {
        status = ISL_EXIT_OK;
    }
out:
    json_decref(report);
    isl_http_free(http);
    isl_cli_conn_free(&conn);
    return status;
}

const struct isl_command isl_cmd_rollback = {
    .name = "rollback",
    .summary = "undo a load from its rollback manifest",
    .usage = usage,
    .run = rollback_run,
};
