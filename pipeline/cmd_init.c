/*
 * cmd_init.c: `isload init INPUT...`: write a starter feed definition for
 * a file nobody has described yet.
 *
 * Reads a sample of the inputs (default the first 10,000 records) through
 * the same readers as every other command, feeds each column's values to
 * a guesser (isl_guess.h), and writes a feed (docs/feeds.md) with one field
 * per input field: a staging column name derived from the field name, the
 * guessed stages, `required` when the sample had no empty value, and the
 * most key-like unique column as the key. What was guessed and why goes
 * to stderr as '#' comment lines, so that stdout stays a valid feed.
 *
 * The result is a starting point for a person to review, not a contract:
 * a sample cannot show the values that are not in it.
 */
#include "isl_setup.h"
#include "isl_cli.h"
#include "isl_error.h"
#include "isl_guess.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SAMPLE 10000
#define MAX_SHOWN_ERRORS 3
#define FEED_NAME_MAX 100 /* the feed loader's limit */
#define TABLE_NAME_MAX 80 /* ServiceNow table names */
#define SMALL_SAMPLE 20   /* below this, say the guesses are weak */

static const char usage[] =
    "usage: isload init [options] INPUT... [-o FILE]\n\n"
    "Read a sample of the inputs ('-' is stdin) and write a starter feed\n"
    "definition: one field per input field, with a staging column name, "
    "guessed\nstages (dates, numbers, booleans, e-mail, phone, enums, "
    "lengths), required\nflags and a key. What was guessed and why is "
    "printed to stderr. Review the\nresult before using it: a sample "
    "cannot show what is not in it.\n\n"
    "Options:\n"
    "  -o, --output FILE     write the feed to FILE (default stdout)\n"
    "  --force               overwrite FILE if it exists\n"
    "  --sample N            records to read (default 10000)\n"
    "  --name NAME           feed name (default: the first input's file "
    "name,\n"
    "                        snake case, without extensions)\n"
    "  --staging-table T     staging table (default u_NAME_import)\n"
    "  -h, --help            this help\n\n"
    "Reader options given here are also written to the feed's \"input\".\n\n";

/* One output field: an input field seen in the sample. */
struct col {
    char *source;        /* input field name */
    char column[40];     /* staging column: u_ + snake case, unique */
    struct isl_guess *g; /* values seen */
};

struct cols {
    struct col *v;
    size_t n, alloc;
    bool *seen; /* per row: column got a value */
};

static void cols_free(struct cols *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->v[i].source);
        isl_guess_free(cs->v[i].g);
    }
    free(cs->v);
    free(cs->seen);
}

/* Add a column; `missing` earlier rows did not have it. -1 on ENOMEM. */
static int cols_add(struct cols *cs, const char *name, uint64_t missing)
{
    struct col *c;

    if (cs->n == cs->alloc) {
        size_t a = cs->alloc ? cs->alloc * 2 : 32;
        struct col *p = realloc(cs->v, a * sizeof(*p));
        bool *s = realloc(cs->seen, a * sizeof(*s));

        if (p)
            cs->v = p;
        if (s)
            cs->seen = s;
        if (!p || !s)
            return -1;
        cs->alloc = a;
    }
    c = &cs->v[cs->n];
    memset(c, 0, sizeof(*c));
    if (!(c->source = strdup(name)) || isl_guess_new(&c->g, name) < 0) {
        free(c->source);
        return -1;
    }
    cs->seen[cs->n++] = false;
    for (uint64_t i = 0; i < missing; i++)
        if (isl_guess_add(c->g, NULL, 0) < 0)
            return -1;
    return 0;
}

/* Index of the column named name; hint is where it probably is. */
static long cols_find(const struct cols *cs, const char *name, size_t hint)
{
    if (hint < cs->n && strcmp(cs->v[hint].source, name) == 0)
        return (long)hint;
    for (size_t i = 0; i < cs->n; i++)
        if (strcmp(cs->v[i].source, name) == 0)
            return (long)i;
    return -1;
}

/* Feed one good row to the guessers. rows: good rows before this one. */
static int cols_row(struct cols *cs, const struct isl_row *row, uint64_t rows)
{
    for (size_t i = 0; i < cs->n; i++)
        cs->seen[i] = false;
    for (size_t f = 0; f < row->n; f++) {
        long i = cols_find(cs, row->fields[f].name, f);

        if (i < 0) {
            if (cols_add(cs, row->fields[f].name, rows) < 0)
                return -1;
            i = (long)cs->n - 1;
        }
        if (cs->seen[i]) /* the same name twice in one record */
            continue;
        cs->seen[i] = true;
        if (isl_guess_add(cs->v[i].g, row->fields[f].value,
                          row->fields[f].len) < 0)
            return -1;
    }
    for (size_t i = 0; i < cs->n; i++)
        if (!cs->seen[i] && isl_guess_add(cs->v[i].g, NULL, 0) < 0)
            return -1;
    return 0;
}

/* Same rule as the feed loader: [a-z][a-z0-9_]*, at most max. */
static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* Feed name from a path: base name, known extensions off, snake case. */
static void name_from_path(char *out, size_t size, const char *path)
{
    static const char *const exts[] = {".gz",    ".csv",  ".tsv",
                                       ".txt",   ".json", ".ndjson",
                                       ".jsonl", ".xml",  NULL};
    const char *base = strrchr(path, '/');
    char tmp[256];
    size_t n;
    bool cut = true;

    base = base ? base + 1 : path;
    snprintf(tmp, sizeof(tmp), "%s", base);
    n = strlen(tmp);
    while (cut) {
        cut = false;
        for (const char *const *e = exts; *e; e++) {
            size_t k = strlen(*e);

            if (n > k && strncasecmp(tmp + n - k, *e, k) == 0) {
                tmp[n -= k] = '\0';
                cut = true;
            }
        }
    }
    n = isl_guess_snake(out, size, tmp, size - 1);
    if (n && !(out[0] >= 'a' && out[0] <= 'z')) { /* "2024_hr" */
        char t2[256];

        snprintf(t2, sizeof(t2), "feed_%s", out);
        isl_guess_snake(out, size, t2, size - 1);
    } else if (!n) {
        snprintf(out, size, "feed");
    }
}

/*
 * Staging column names: "u_" + snake case of the source name, cut to
 * ISL_GUESS_COLUMN_MAX characters after the prefix. ServiceNow accepts
 * longer names, but older instances and some databases cap them near 30,
 * and the instance itself shortens generated names; 30 keeps every name
 * the same on every instance. Clashes get _2, _3, ...
 */
static void name_columns(struct cols *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        struct col *c = &cs->v[i];
        char base[ISL_GUESS_COLUMN_MAX + 1];
        size_t n = isl_guess_snake(base, sizeof(base), c->source,
                                   ISL_GUESS_COLUMN_MAX);

        if (!n)
            snprintf(base, sizeof(base), "field_%zu", i + 1);
        snprintf(c->column, sizeof(c->column), "u_%s", base);
        for (unsigned k = 2;; k++) {
            bool clash = false;

            for (size_t j = 0; j < i && !clash; j++)
                clash = strcmp(cs->v[j].column, c->column) == 0;
            if (!clash)
                break;
            {
                char suf[16];
                int ns = snprintf(suf, sizeof(suf), "_%u", k);
                size_t keep = strlen(base);

                if (keep + (size_t)ns > ISL_GUESS_COLUMN_MAX)
                    keep = ISL_GUESS_COLUMN_MAX - (size_t)ns;
                while (keep > 0 && base[keep - 1] == '_')
                    keep--;
                snprintf(c->column, sizeof(c->column), "u_%.*s%s", (int)keep,
                         base, suf);
            }
        }
    }
}

struct init_opts {
    struct isl_cli_reader cr;
    const char *output;
    bool force;
    uint64_t sample;
    const char *name;
    const char *staging_table;
};

static int set(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

static const char *char_name(char c, char buf[2])
{
    if (c == '\t')
        return "tab";
    buf[0] = c;
    buf[1] = '\0';
    return buf;
}

/* The "input" object: the detected format plus the options given. */
static json_t *input_json(const struct init_opts *io, enum isl_format fmt,
                          char delimiter)
{
    const struct isl_reader_opts *o = &io->cr.opts;
    json_t *in = json_object();
    char cb[2];
    int rc = 0;

    if (!in)
        return NULL;
    if (fmt != ISL_FMT_AUTO && isl_format_name(fmt))
        rc |= set(in, "format", json_string(isl_format_name(fmt)));
    if (fmt == ISL_FMT_CSV && delimiter)
        rc |= set(in, "delimiter", json_string(char_name(delimiter, cb)));
    if (o->quote)
        rc |= set(in, "quote", json_string(char_name(o->quote, cb)));
    if (o->escape)
        rc |= set(in, "escape", json_string(char_name(o->escape, cb)));
    if (o->no_header)
        rc |= set(in, "header", json_false());
    if (o->ncolumns) {
        json_t *a = json_array();

        for (size_t i = 0; a && i < o->ncolumns; i++)
            json_array_append_new(a, json_string(o->columns[i]));
        rc |= set(in, "columns", a);
    }
    if (o->encoding || fmt == ISL_FMT_CSV)
        rc |= set(in, "encoding",
                  json_string(o->encoding ? o->encoding : "utf-8"));
    if (o->lenient)
        rc |= set(in, "lenient", json_true());
    if (o->record_path)
        rc |= set(in, "record_path", json_string(o->record_path));
    if (o->records_path)
        rc |= set(in, "records_path", json_string(o->records_path));
    if (o->flatten)
        rc |= set(in, "flatten", json_true());
    if (o->max_field)
        rc |= set(in, "max_field_size", json_integer((json_int_t)o->max_field));
    if (o->max_record)
        rc |=
            set(in, "max_record_size", json_integer((json_int_t)o->max_record));
    if (rc) {
        json_decref(in);
        return NULL;
    }
    return in;
}

/* Print one '#' line per column: what was guessed and why. */
static void report_columns(const struct cols *cs,
                           const struct isl_guess_result *const *res)
{
    int w = 0;

    for (size_t i = 0; i < cs->n; i++)
        if ((int)strlen(cs->v[i].column) > w)
            w = (int)strlen(cs->v[i].column);
    for (size_t i = 0; i < cs->n; i++) {
        const struct isl_guess_result *r = res[i];

        fprintf(stderr, "# %-*s <- \"%s\": %s", w, cs->v[i].column,
                cs->v[i].source, isl_guess_kind_name(r->kind));
        for (size_t k = 0; k < r->nformats; k++)
            fprintf(stderr, "%s%s", k ? ", " : " ", r->formats[k]);
        if (r->why[0])
            fprintf(stderr, " (%s)", r->why);
        fprintf(stderr, "; %llu empty of %llu", (unsigned long long)r->empty,
                (unsigned long long)r->values);
        if (r->nulls)
            fprintf(stderr, " (%llu NULL)", (unsigned long long)r->nulls);
        if (r->required)
            fprintf(stderr, ", required");
        if (r->length_max)
            fprintf(stderr, "; longest %zu chars, length max %zu", r->max_chars,
                    r->length_max);
        fputc('\n', stderr);
    }
}

/* Choose the key, print the candidates and why. Returns the index or -1. */
static long choose_key(const struct cols *cs,
                       const struct isl_guess_result *const *res, uint64_t rows)
{
    const char **names = calloc(cs->n + 1, sizeof(*names));
    size_t *idx = calloc(cs->n + 1, sizeof(*idx));
    size_t k;
    long best = -1;

    if (!names || !idx) {
        free(names);
        free(idx);
        return -1;
    }
    for (size_t i = 0; i < cs->n; i++)
        names[i] = cs->v[i].source;
    k = isl_guess_key_candidates(res, names, cs->n, idx);
    if (k == 0) {
        fprintf(stderr, "# key: none: no column is unique and never empty "
                        "in the sample; add \"key\" by hand\n");
    } else {
        fprintf(stderr,
                "# key candidates (unique and never empty in %llu "
                "rows):",
                (unsigned long long)rows);
        for (size_t j = 0; j < k; j++) {
            const char *why;

            isl_guess_key_score(names[idx[j]], &why);
            fprintf(stderr, "%s %s", j ? "," : "", cs->v[idx[j]].column);
            if (why)
                fprintf(stderr, " (name has '%s')", why);
        }
        best = (long)idx[0];
        fprintf(stderr, "\n# key: %s%s\n", cs->v[best].column,
                rows < SMALL_SAMPLE ? " (small sample: check it)" : "");
    }
    free(names);
    free(idx);
    return best;
}

static json_t *build_feed(const struct init_opts *io, const struct cols *cs,
                          const struct isl_guess_result *const *res, long key,
                          enum isl_format fmt, char delimiter, const char *name,
                          const char *table, const char *first_input,
                          uint64_t rows)
{
    json_t *feed = json_object();
    json_t *fields = json_array();
    char desc[512];
    int rc = 0;

    if (!feed || !fields) {
        json_decref(feed);
        json_decref(fields);
        return NULL;
    }
    snprintf(desc, sizeof(desc),
             "Starter feed written by isload init from %s (%llu rows "
             "sampled); review before use",
             strcmp(first_input, "-") == 0 ? "stdin" : first_input,
             (unsigned long long)rows);
    rc |= set(feed, "name", json_string(name));
    rc |= set(feed, "description", json_string(desc));
    rc |= set(feed, "input", input_json(io, fmt, delimiter));
    rc |= set(feed, "staging_table", json_string(table));
    if (key >= 0)
        rc |= set(feed, "key", json_pack("[s]", cs->v[key].column));
    rc |= set(feed, "passthrough", json_false());
    for (size_t i = 0; i < cs->n && !rc; i++) {
        json_t *f = json_object();

        rc |= set(f, "column", json_string(cs->v[i].column));
        rc |= set(f, "source", json_string(cs->v[i].source));
        if (res[i]->required)
            rc |= set(f, "required", json_true());
        rc |= set(f, "stages", isl_guess_stages(res[i]));
        rc |= f ? json_array_append_new(fields, f) : -1;
    }
    rc |= set(feed, "fields", fields);
    rc |= set(feed, "row_stages", json_array());
    if (rc) {
        json_decref(feed);
        return NULL;
    }
    return feed;
}

/* Open the output; refuses an existing file without --force. */
static FILE *open_output(const struct init_opts *io)
{
    int fd;
    FILE *f;

    if (!io->output || strcmp(io->output, "-") == 0)
        return stdout;
    fd = open(io->output, O_WRONLY | O_CREAT | (io->force ? O_TRUNC : O_EXCL),
              0666);
    if (fd < 0) {
        if (errno == EEXIST)
            isl_cli_usage_error("init",
                                "%s exists (use --force to "
                                "overwrite it)",
                                io->output);
        else
            fprintf(stderr, "isload init: cannot write %s: %s\n", io->output,
                    strerror(errno));
        return NULL;
    }
    if (!(f = fdopen(fd, "w"))) {
        fprintf(stderr, "isload init: cannot write %s: %s\n", io->output,
                strerror(errno));
        close(fd);
    }
    return f;
}

static int parse_args(struct init_opts *io, int argc, char **argv)
{
    static const struct option longopts[] = {
        ISL_READER_LONGOPTS,
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"sample", required_argument, NULL, 's'},
        {"name", required_argument, NULL, 'N'},
        {"staging-table", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            fputs(isl_cli_reader_help, stdout);
            return -1;
        case 'o':
            io->output = optarg;
            break;
        case 'f':
            io->force = true;
            break;
        case 's': {
            char *end;
            unsigned long long v;

            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || !v)
                return isl_cli_usage_error("init",
                                           "bad --sample '%s' "
                                           "(a number of rows, "
                                           "at least 1)",
                                           optarg);
            io->sample = v;
            break;
        }
        case 'N':
            if (!name_ok(optarg, FEED_NAME_MAX))
                return isl_cli_usage_error(
                    "init",
                    "'%s' is not a feed name (lower case letters, "
                    "digits, _; starts with a letter)",
                    optarg);
            io->name = optarg;
            break;
        case 'T':
            if (!name_ok(optarg, TABLE_NAME_MAX))
                return isl_cli_usage_error(
                    "init",
                    "'%s' is not a ServiceNow table name (lower "
                    "case letters, digits and _, at most 80)",
                    optarg);
            io->staging_table = optarg;
            break;
        case ':':
            return isl_cli_usage_error("init", "option '%s' needs a value",
                                       argv[optind - 1]);
        case '?':
            return isl_cli_usage_error("init", "unknown option '%s'",
                                       argv[optind - 1]);
        default:
            if (isl_cli_reader_option(&io->cr, "init", opt, optarg))
                return ISL_EXIT_USAGE;
        }
    }
    if (optind == argc)
        return isl_cli_usage_error("init", "no INPUT given");
    return 0;
}

static int init_run(int argc, char **argv)
{
    struct init_opts io = {.sample = DEFAULT_SAMPLE};
    struct isl_stream *stream = NULL;
    struct isl_error err;
    struct cols cols = {0};
    const struct isl_guess_result **res = NULL;
    enum isl_format fmt = ISL_FMT_AUTO;
    char delimiter = 0;
    bool have_reader = false;
    uint64_t rows = 0, bad = 0;
    json_t *feed = NULL;
    FILE *out = NULL;
    char line[1024], name[FEED_NAME_MAX + 1], table[TABLE_NAME_MAX + 1];
    const char *first;
    long key;
    int rc, status = ISL_EXIT_USAGE;
    struct stat st;

    isl_error_clear(&err);
    rc = parse_args(&io, argc, argv);
    if (rc) {
        status = rc < 0 ? ISL_EXIT_OK : rc;
        goto out;
    }
    first = argv[optind];
    if (io.output && strcmp(io.output, "-") != 0 && !io.force &&
        stat(io.output, &st) == 0) {
        isl_cli_usage_error("init", "%s exists (use --force to overwrite it)",
                            io.output);
        goto out;
    }
    if (isl_stream_open(&stream, (const char *const *)argv + optind,
                        (size_t)(argc - optind), &io.cr.opts, &err) < 0)
        goto fatal;

    while (rows + bad < io.sample) {
        const struct isl_row *row;

        rc = isl_stream_next(stream, &row, &err);
        if (!have_reader && isl_stream_reader(stream)) {
            struct isl_reader *r = isl_stream_reader(stream);
            const char *const *hdr;
            size_t nh = isl_reader_columns(r, &hdr);

            have_reader = true;
            fmt = isl_reader_format(r);
            delimiter = isl_reader_delimiter(r);
            for (size_t i = 0; i < nh; i++) /* header order, even if empty */
                if (cols_find(&cols, hdr[i], i) < 0 &&
                    cols_add(&cols, hdr[i], 0) < 0)
                    goto nomem;
        }
        if (rc == ISL_EOF)
            break;
        if (rc == ISL_EROW) {
            if (++bad <= MAX_SHOWN_ERRORS)
                fprintf(stderr, "# skipped: %s\n",
                        isl_error_format(&err, line, sizeof(line)));
            continue;
        }
        if (rc < 0)
            goto fatal;
        if (cols_row(&cols, row, rows) < 0)
            goto nomem;
        rows++;
    }

    if (cols.n == 0) {
        if (bad)
            fprintf(stderr,
                    "isload init: no good rows in the sample "
                    "(%llu with reader errors, first shown above)\n",
                    (unsigned long long)bad);
        else
            fprintf(stderr, "isload init: no fields found in %s\n", first);
        goto out;
    }
    if (io.name)
        snprintf(name, sizeof(name), "%s", io.name);
    else if (strcmp(first, "-") == 0)
        snprintf(name, sizeof(name), "feed");
    else
        name_from_path(name, sizeof(name), first);
    if (io.staging_table) {
        snprintf(table, sizeof(table), "%s", io.staging_table);
    } else {
        /* "u_" + name + "_import" in at most 80 characters */
        size_t keep = strlen(name);

        if (keep > TABLE_NAME_MAX - 9)
            keep = TABLE_NAME_MAX - 9;
        while (keep > 0 && name[keep - 1] == '_')
            keep--;
        snprintf(table, sizeof(table), "u_%.*s_import", (int)keep, name);
    }

    name_columns(&cols);
    if (!(res = calloc(cols.n, sizeof(*res))))
        goto nomem;
    for (size_t i = 0; i < cols.n; i++)
        if (!(res[i] = isl_guess_finish(cols.v[i].g)))
            goto nomem;

    fprintf(stderr, "# isload init: %llu rows sampled from %s",
            (unsigned long long)rows,
            strcmp(first, "-") == 0 ? "<stdin>" : first);
    if (argc - optind > 1)
        fprintf(stderr, " and %d more", argc - optind - 1);
    if (fmt != ISL_FMT_AUTO)
        fprintf(stderr, " (%s", isl_format_name(fmt));
    if (fmt == ISL_FMT_CSV && delimiter) {
        char cb[2];

        fprintf(stderr, ", delimiter '%s'", char_name(delimiter, cb));
    }
    fprintf(stderr, "%s; feed %s, staging table %s\n",
            fmt != ISL_FMT_AUTO ? ")" : "", name, table);
    if (bad)
        fprintf(stderr, "# %llu rows with reader errors skipped\n",
                (unsigned long long)bad);
    if (rows < SMALL_SAMPLE)
        fprintf(stderr,
                "# only %llu rows: guesses from so few values are "
                "weak\n",
                (unsigned long long)rows);
    report_columns(&cols, res);
    key = choose_key(&cols, res, rows);

    feed = build_feed(&io, &cols, res, key, fmt, delimiter, name, table, first,
                      rows);
    if (!feed)
        goto nomem;
    if (!(out = open_output(&io)))
        goto out;
    if (json_dumpf(feed, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
        fputc('\n', out) == EOF) {
        fprintf(stderr, "isload init: cannot write %s\n",
                io.output ? io.output : "stdout");
        goto out;
    }
    status = ISL_EXIT_OK;
    goto out;

nomem:
    fprintf(stderr, "isload init: out of memory\n");
    goto out;
fatal:
    fprintf(stderr, "isload init: %s\n",
            isl_error_format(&err, line, sizeof(line)));
out:
    if (out && out != stdout && fclose(out) != 0 && status == ISL_EXIT_OK) {
        fprintf(stderr, "isload init: cannot write %s\n", io.output);
        status = ISL_EXIT_USAGE;
    } else if (out == stdout && fflush(stdout) != 0) {
        status = ISL_EXIT_USAGE;
    }
    json_decref(feed);
    free(res);
    isl_stream_close(stream);
    cols_free(&cols);
    isl_cli_reader_free(&io.cr);
    return status;
}

const struct isl_command isl_cmd_init = {
    .name = "init",
    .summary = "write a starter feed definition from a sample of a file",
    .usage = usage,
    .run = init_run,
};
