/*
 * cmd_report.c: `isload report merge REPORT.json... [-o FILE]`: one report
 * from the reports of the shards of a sharded load (isl_report_merge.h
 * does the work; this file is the command line and the exit code).
 *
 * Exit codes, as for the load: 0 merged, no rejected or error rows; 1
 * merged, some rows rejected or in error; 2 usage error, or reports that
 * are not all the shards of one load, or that cannot be read (nothing is
 * written); 3 merged, but the counts do not add up, or a shard was
 * aborted or passed its error threshold.
 */
#include "isl_setup.h"
#include "isl_cli.h"
#include "isl_error.h"
#include "isl_report_merge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: isload report merge REPORT.json... [-o FILE]\n\n"
    "Merge the reports of the shards of one sharded load (isload load "
    "--shard K/N)\ninto one report: counts, results, rules and columns "
    "summed, errors and\nerror rows joined in shard order, rows_read taken "
    "once. The reports must be\nthose of shards 0..N-1 of the same feed and "
    "inputs, each once; the merge\nchecks that every row read was counted by "
    "exactly one shard.\n\n"
    "Options:\n"
    "  -o, --output FILE     write the merged report to FILE (replaced "
    "atomically;\n"
    "                        default: standard output)\n"
    "  -h, --help            this help\n\n"
    "Exit codes: 0 merged, no rejected or error rows; 1 merged, some rows "
    "rejected\nor in error; 2 usage error, or reports refused (not the "
    "shards of one load,\nor unreadable; nothing written); 3 the counts do "
    "not add up, or a shard was\naborted or passed its error threshold (the "
    "merged report is still written).\n";

static int merge_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    char tmp[4096], line[1024];
    struct isl_error err;
    FILE *out = stdout;
    int opt, rc;

    isl_error_clear(&err);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            return ISL_EXIT_OK;
        case 'o':
            output = optarg;
            break;
        case ':':
            return isl_cli_usage_error(
                "report merge", "option '%s' needs a value", argv[optind - 1]);
        default:
            return isl_cli_usage_error("report merge", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return isl_cli_usage_error("report merge", "no REPORT given");
    if (output) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", output);
        if (!(out = fopen(tmp, "w"))) {
            fprintf(stderr, "isload report merge: cannot create %s: %s\n", tmp,
                    strerror(errno));
            return ISL_EXIT_USAGE;
        }
    }
    rc = isl_report_merge((const char *const *)argv + optind,
                          (size_t)(argc - optind), out, stderr, &err);
    if (out != stdout && fclose(out) != 0 && rc >= 0)
        rc = isl_error_set(&err, ISL_EIO, "merge", "cannot write %s: %s", tmp,
                           strerror(errno));
    if (output && (rc < 0 || rename(tmp, output) != 0)) {
        if (rc >= 0)
            rc = isl_error_set(&err, ISL_EIO, "merge", "cannot rename %s: %s",
                               tmp, strerror(errno));
        unlink(tmp);
    }
    if (rc < 0) {
        fprintf(stderr, "isload report merge: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        return ISL_EXIT_USAGE;
    }
    if (rc == ISL_MERGE_FAILED) {
        fprintf(stderr, "isload report merge: %s\n", err.msg);
        return ISL_EXIT_THRESHOLD;
    }
    return rc == ISL_MERGE_ROWS ? ISL_EXIT_ROWS : ISL_EXIT_OK;
}

static int report_run(int argc, char **argv)
{
    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return ISL_EXIT_OK;
    }
    if (argc < 2)
        return isl_cli_usage_error("report", "no subcommand given (merge)");
    if (strcmp(argv[1], "merge") != 0)
        return isl_cli_usage_error("report", "unknown subcommand '%s' (merge)",
                                   argv[1]);
    return merge_run(argc - 1, argv + 1);
}

const struct isl_command isl_cmd_report = {
    .name = "report",
    .summary = "merge the reports of a sharded load's shards",
    .usage = usage,
    .run = report_run,
};
