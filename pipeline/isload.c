/*
 * isload.c: the `isload` command: global options and dispatch to
 * subcommands. Each subcommand lives in cmd_NAME.c and is listed once in
 * the table below.
 */
#include "isl_setup.h"
#include "isl_cli.h"

#include <stdio.h>
#include <string.h>

extern const struct isl_command isl_cmd_inspect;
extern const struct isl_command isl_cmd_validate;
extern const struct isl_command isl_cmd_load;
extern const struct isl_command isl_cmd_init;
extern const struct isl_command isl_cmd_preflight;
extern const struct isl_command isl_cmd_rollback;
extern const struct isl_command isl_cmd_runs;
extern const struct isl_command isl_cmd_report;

static const struct isl_command *const commands[] = {
    &isl_cmd_inspect,   /* what an input holds */
    &isl_cmd_validate,  /* dry run */
    &isl_cmd_load,      /* the main job */
    &isl_cmd_init,      /* a starter feed */
    &isl_cmd_preflight, /* is the instance ready */
    &isl_cmd_rollback,  /* undo a load */
    &isl_cmd_runs,      /* run history */
    &isl_cmd_report,    /* merge shard reports */
};

static const struct isl_command *find_command(const char *name)
{
    for (size_t i = 0; i < ISL_ARRAY_LEN(commands); i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void print_help(FILE *f)
{
    fprintf(f, "usage: isload [--help] [--version] COMMAND [ARGS]\n\n"
               "Bulk import pipeline for ServiceNow Import Set tables.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < ISL_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n'isload help COMMAND' or 'isload COMMAND --help' shows a "
               "command's options.\n"
               "Exit codes: 0 all rows fine, 1 some rows rejected, 2 usage "
               "or input error,\n3 error threshold exceeded or run "
               "aborted.\n");
}

int main(int argc, char **argv)
{
    const struct isl_command *cmd;

    if (argc < 2) {
        print_help(stderr);
        return ISL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help(stdout);
        return ISL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("isload %s\n", ISL_VERSION);
        return ISL_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return ISL_EXIT_OK;
        }
        cmd = find_command(argv[2]);
        if (!cmd)
            return isl_cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        fputs(cmd->usage, stdout);
        return ISL_EXIT_OK;
    }
    if (argv[1][0] == '-')
        return isl_cli_usage_error(NULL, "unknown option '%s'", argv[1]);
    cmd = find_command(argv[1]);
    if (!cmd)
        return isl_cli_usage_error(NULL, "unknown command '%s'", argv[1]);
    return cmd->run(argc - 1, argv + 1);
}
