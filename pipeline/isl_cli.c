/*
 * isl_cli.c: shared command-line helpers (see isl_cli.h).
 */
#include "isl_setup.h"
#include "isl_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char isl_cli_reader_help[] =
    "Input options:\n"
    "  --format FMT          csv, xml, json, ndjson (default: detect from "
    "content)\n"
    "  --delimiter C         CSV delimiter: ',' ';' '|' 'tab' (default: "
    "sniff)\n"
    "  --quote C             CSV quote character (default '\"')\n"
    "  --escape C            CSV escape character, e.g. '\\' (default: "
    "quotes are doubled)\n"
    "  --no-header           CSV: the first line is data (names from "
    "--columns,\n"
    "                        else column_1, column_2, ...)\n"
    "  --columns A,B,...     CSV: column names to use\n"
    "  --lenient             CSV: pad rows that have too few fields\n"
    "  --encoding ENC        input encoding: utf-8 (default, validated; a "
    "UTF-16/32\n"
    "                        byte order mark converts from that), "
    "windows-1252,\n"
    "                        iso-8859-1 or any iconv name (converted to "
    "UTF-8)\n"
    "  --record-path PATH    XML: elements that are records (default /*/*, "
    "the\n"
    "                        ServiceNow unload format)\n"
    "  --records-path PATH   JSON: dotted path to the array of records "
    "(default:\n"
    "                        top-level array, or \"records\")\n"
    "  --flatten             JSON: nested objects become a.b fields\n"
    "  --max-field-size N    largest value, e.g. 16M (default 16M)\n"
    "  --max-record-size N   largest record, e.g. 64M (default 64M)\n";

int isl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "isload%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'isload %s%s--help')\n", cmd ? cmd : "",
            cmd ? " " : "");
    return ISL_EXIT_USAGE;
}

int isl_cli_parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    unsigned long long mult = 1;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    if (*end == 'k' || *end == 'K')
        mult = 1024ULL, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024ULL * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1024ULL * 1024 * 1024, end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v == 0 || v > SIZE_MAX / mult)
        return -1;
    *out = (size_t)(v * mult);
    return 0;
}

int isl_cli_parse_char(const char *s)
{
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0)
        return '\t';
    if (strlen(s) == 1 && s[0] != '\n' && s[0] != '\r')
        return (unsigned char)s[0];
    return -1;
}

static int split_columns(struct isl_cli_reader *cr, const char *arg)
{
    size_t n = 1;
    char *p;

    free(cr->columns_copy);
    free(cr->columns);
    cr->columns_copy = strdup(arg);
    for (const char *q = arg; *q; q++)
        n += *q == ',';
    cr->columns = calloc(n, sizeof(*cr->columns));
    if (!cr->columns_copy || !cr->columns)
        return -1;
    n = 0;
    p = cr->columns_copy;
    for (;;) {
        char *comma = strchr(p, ',');

        if (comma)
            *comma = '\0';
        if (!*p)
            return -1;
        cr->columns[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    cr->opts.columns = cr->columns;
    cr->opts.ncolumns = n;
    return 0;
}

int isl_cli_reader_option(struct isl_cli_reader *cr, const char *cmd, int opt,
                          const char *arg)
{
    struct isl_reader_opts *o = &cr->opts;
    int c;

    switch (opt) {
    case ISL_OPT_FORMAT:
        c = isl_format_parse(arg);
        if (c < 0)
            return isl_cli_usage_error(cmd, "unknown format '%s'", arg);
        o->format = (enum isl_format)c;
        return 0;
    case ISL_OPT_DELIMITER:
    case ISL_OPT_QUOTE:
    case ISL_OPT_ESCAPE:
        c = isl_cli_parse_char(arg);
        if (c < 0)
            return isl_cli_usage_error(cmd, "'%s' is not a single character",
                                       arg);
        if (opt == ISL_OPT_DELIMITER)
            o->delimiter = (char)c;
        else if (opt == ISL_OPT_QUOTE)
            o->quote = (char)c;
        else
            o->escape = (char)c;
        return 0;
    case ISL_OPT_NO_HEADER:
        o->no_header = true;
        return 0;
    case ISL_OPT_COLUMNS:
        if (split_columns(cr, arg) < 0)
            return isl_cli_usage_error(cmd, "bad --columns list '%s'", arg);
        return 0;
    case ISL_OPT_LENIENT:
        o->lenient = true;
        return 0;
    case ISL_OPT_ENCODING:
        o->encoding = arg;
        return 0;
    case ISL_OPT_RECORD_PATH:
        o->record_path = arg;
        return 0;
    case ISL_OPT_RECORDS_PATH:
        o->records_path = arg;
        return 0;
    case ISL_OPT_FLATTEN:
        o->flatten = true;
        return 0;
    case ISL_OPT_MAX_FIELD:
    case ISL_OPT_MAX_RECORD:
        if (isl_cli_parse_size(arg, opt == ISL_OPT_MAX_FIELD
                                        ? &o->max_field
                                        : &o->max_record) < 0)
            return isl_cli_usage_error(cmd, "bad size '%s'", arg);
        return 0;
    default:
        return isl_cli_usage_error(cmd, "internal: unknown option %d", opt);
    }
}

void isl_cli_reader_merge(struct isl_reader_opts *o,
                          const struct isl_reader_opts *cli)
{
    if (cli->format)
        o->format = cli->format;
    if (cli->delimiter)
        o->delimiter = cli->delimiter;
    if (cli->quote)
        o->quote = cli->quote;
    if (cli->escape)
        o->escape = cli->escape;
    if (cli->no_header)
        o->no_header = true;
    if (cli->ncolumns) {
        o->columns = cli->columns;
        o->ncolumns = cli->ncolumns;
    }
    if (cli->lenient)
        o->lenient = true;
    if (cli->encoding)
        o->encoding = cli->encoding;
    if (cli->record_path)
        o->record_path = cli->record_path;
    if (cli->records_path)
        o->records_path = cli->records_path;
    if (cli->flatten)
        o->flatten = true;
    if (cli->max_field)
        o->max_field = cli->max_field;
    if (cli->max_record)
        o->max_record = cli->max_record;
}

void isl_cli_reader_free(struct isl_cli_reader *cr)
{
    free(cr->columns_copy);
    free(cr->columns);
    cr->columns_copy = NULL;
    cr->columns = NULL;
}
