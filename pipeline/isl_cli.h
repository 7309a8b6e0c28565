/*
 * isl_cli.h: what the subcommands share: exit codes, usage errors, and the
 * reader options every command that reads input accepts.
 */
#ifndef ISL_CLI_H
#define ISL_CLI_H

#include "isl_setup.h"
#include "isl_creds.h"
#include "isl_http.h"
#include "isl_reader.h"

#include <getopt.h>
#include <stdio.h>

/* Exit codes scripts can rely on (docs/reports.md). */
enum isl_exit {
    ISL_EXIT_OK = 0,        /* every row fine */
    ISL_EXIT_ROWS = 1,      /* finished; some rows rejected or in error */
    ISL_EXIT_USAGE = 2,     /* usage, feed, config or unreadable input */
    ISL_EXIT_THRESHOLD = 3, /* error threshold exceeded or run aborted */
};

struct isl_command {
    const char *name;
    const char *summary; /* one line for `isload --help` */
    const char *usage;   /* full text for `isload help NAME` */
    int (*run)(int argc, char **argv);
};

/* Print "isload CMD: msg (see 'isload CMD --help')" and return 2. */
int isl_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Option ids for reader options; long options use these as `val`. */
enum {
    ISL_OPT_FORMAT = 1000,
    ISL_OPT_DELIMITER,
    ISL_OPT_QUOTE,
    ISL_OPT_ESCAPE,
    ISL_OPT_NO_HEADER,
    ISL_OPT_COLUMNS,
    ISL_OPT_LENIENT,
    ISL_OPT_ENCODING,
    ISL_OPT_RECORD_PATH,
    ISL_OPT_RECORDS_PATH,
    ISL_OPT_FLATTEN,
    ISL_OPT_MAX_FIELD,
    ISL_OPT_MAX_RECORD,
    ISL_OPT_READER_LAST
};

/* getopt_long entries for the reader options (spread into a table). */
#define ISL_READER_LONGOPTS                                                    \
    {"format", required_argument, NULL, ISL_OPT_FORMAT},                       \
        {"delimiter", required_argument, NULL, ISL_OPT_DELIMITER},             \
        {"quote", required_argument, NULL, ISL_OPT_QUOTE},                     \
        {"escape", required_argument, NULL, ISL_OPT_ESCAPE},                   \
        {"no-header", no_argument, NULL, ISL_OPT_NO_HEADER},                   \
        {"columns", required_argument, NULL, ISL_OPT_COLUMNS},                 \
        {"lenient", no_argument, NULL, ISL_OPT_LENIENT},                       \
        {"encoding", required_argument, NULL, ISL_OPT_ENCODING},               \
        {"record-path", required_argument, NULL, ISL_OPT_RECORD_PATH},         \
        {"records-path", required_argument, NULL, ISL_OPT_RECORDS_PATH},       \
        {"flatten", no_argument, NULL, ISL_OPT_FLATTEN},                       \
        {"max-field-size", required_argument, NULL, ISL_OPT_MAX_FIELD},        \
    {                                                                          \
        "max-record-size", required_argument, NULL, ISL_OPT_MAX_RECORD         \
    }

/* Help text for the reader options. */
extern const char isl_cli_reader_help[];

/* Owns what reader option parsing allocates (the --columns list). */
struct isl_cli_reader {
    struct isl_reader_opts opts;
    char *columns_copy;
    const char **columns;
};

/*
 * Apply one reader option (opt is an ISL_OPT_* id, arg its argument).
 * Returns 0, or prints a usage error and returns ISL_EXIT_USAGE.
 */
int isl_cli_reader_option(struct isl_cli_reader *cr, const char *cmd, int opt,
                          const char *arg);

/*
 * Apply the reader options given on the command line (cli) over a feed's
 * input section (o): what the command line sets wins, the rest stays.
 * Strings stay borrowed from cli.
 */
void isl_cli_reader_merge(struct isl_reader_opts *o,
                          const struct isl_reader_opts *cli);

void isl_cli_reader_free(struct isl_cli_reader *cr);

/* ---- connection options: load, rollback, preflight ---- */

enum {
    ISL_OPT_INSTANCE = 1100,
    ISL_OPT_CREDENTIALS,
    ISL_OPT_CA_FILE,
    ISL_OPT_CERT,
    ISL_OPT_KEY,
    ISL_OPT_PROXY,
    ISL_OPT_TIMEOUT,
    ISL_OPT_LOG,
    ISL_OPT_LOG_BODIES,
    ISL_OPT_CONN_LAST
};

#define ISL_CONN_LONGOPTS                                                      \
    {"instance", required_argument, NULL, ISL_OPT_INSTANCE},                   \
        {"credentials", required_argument, NULL, ISL_OPT_CREDENTIALS},         \
        {"ca-file", required_argument, NULL, ISL_OPT_CA_FILE},                 \
        {"cert", required_argument, NULL, ISL_OPT_CERT},                       \
        {"key", required_argument, NULL, ISL_OPT_KEY},                         \
        {"proxy", required_argument, NULL, ISL_OPT_PROXY},                     \
        {"timeout", required_argument, NULL, ISL_OPT_TIMEOUT},                 \
        {"log", required_argument, NULL, ISL_OPT_LOG},                         \
    {                                                                          \
        "log-bodies", no_argument, NULL, ISL_OPT_LOG_BODIES                    \
    }

/* Help text for the connection options. */
extern const char isl_cli_conn_help[];

struct isl_http;
struct isl_error;

/* What the connection options give; owns the credentials and the log. */
struct isl_cli_conn {
    const char *instance; /* --instance or $ISLOAD_INSTANCE */
    const char *creds_file;
    const char *log_path;
    struct isl_http_opts http;
    struct isl_creds creds;
    FILE *log;
};

/* Defaults: instance from the environment. */
void isl_cli_conn_init(struct isl_cli_conn *c);

/*
 * Apply one connection option (an ISL_OPT_INSTANCE.. id). Returns 0, or
 * prints a usage error and returns ISL_EXIT_USAGE.
 */
int isl_cli_conn_option(struct isl_cli_conn *c, const char *cmd, int opt,
                        const char *arg);

/* Check the instance URL and load the credentials (no network yet).
 * Returns 0, ISL_EXIT_USAGE (printed) or < 0 (err says why). */
int isl_cli_conn_check(struct isl_cli_conn *c, const char *cmd,
                       struct isl_error *err);

/*
 * Open the request log (--log, else default_log when not NULL; appended
 * to when append) and the HTTP layer with this many requests in flight.
 */
int isl_cli_conn_open(struct isl_cli_conn *c, const char *default_log,
                      bool append, int concurrency, struct isl_http **http,
                      struct isl_error *err);

void isl_cli_conn_free(struct isl_cli_conn *c);

/* Parse a size such as "16M", "512K", "1048576". Returns 0 or -1. */
int isl_cli_parse_size(const char *s, size_t *out);

/* Parse a delimiter-like character: "," "tab" "\t" ";" "|". -1 if bad. */
int isl_cli_parse_char(const char *s);

#endif
