/*
 * cmd_runs.c: `isload runs`: the run history of a state directory.
 * `isload runs` lists the runs, newest first (a table, or --json);
 * `isload runs show RUN_ID` prints one run in full: its run.json, its
 * report's summary and where its files are. isl_runs.h reads the folders.
 *
 * Exit codes: 0 listed / shown, 1 (show) the run's folder is broken
 * (shown with what is wrong), 2 usage error, no such run, or a state
 * directory that cannot be read.
 */
#include "isl_setup.h"
#include "isl_cli.h"
#include "isl_error.h"
#include "isl_report_scan.h"
#include "isl_runs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: isload runs [--state-dir DIR] [--feed NAME] [--limit N] "
    "[--json]\n"
    "       isload runs show RUN_ID [--state-dir DIR] [--json]\n\n"
    "List the runs in a state directory, newest first: id, start (UTC), "
    "duration,\nfeed, status, exit code, rows read, rejected (REJ) and sent, "
    "the outcomes of\nthe rows sent (INS inserted, UPD updated, IGN ignored, "
    "SKIP skipped, ERR\nerror), and where the report and the manifest are. "
    "A run whose process is\ngone without finishing is 'interrupted' "
    "(resume it with isload load ...\n--resume RUN_ID); a folder that cannot "
    "be read as a run is 'broken', with\nwhat is wrong. 'runs show' prints "
    "one run in full: run.json, the report's\nsummary (counts, rules broken, "
    "first errors, import sets, requests) and its\nfiles.\n\n"
    "Options:\n"
    "  --state-dir DIR       the state directory (default ./isload-runs)\n"
    "  --feed NAME           only this feed's runs\n"
    "  --limit N             only the N newest runs\n"
    "  --json                JSON for scripts (docs/operations.md)\n"
    "  -h, --help            this help\n\n"
    "Exit codes: 0 listed or shown, 1 (show) the run's folder is broken, 2 "
    "usage\nerror, no such run, or a state directory that cannot be read.\n";

#define FIRST_ERRORS 10

/* ---- helpers ---- */

/* An integer member, or -1 when there is none. */
static long long int_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static void num_or_dash(char *buf, size_t n, long long v)
{
    if (v < 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%lld", v);
}

static void fmt_duration(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);

    if (s < 0)
        snprintf(buf, n, "-");
    else if (s < 10)
        snprintf(buf, n, "%.2fs", s);
    else if (s < 60)
        snprintf(buf, n, "%.1fs", s);
    else if (t < 3600)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

/* "2026-11-28T14:03:12.345Z" -> "2026-11-28 14:03:12" */
static void fmt_time(char *buf, size_t n, const char *iso, bool ms)
{
    if (!iso || strlen(iso) < 19) {
        snprintf(buf, n, "-");
        return;
    }
    snprintf(buf, n, "%.10s %.*s", iso, ms && iso[19] == '.' ? 12 : 8,
             iso + 11);
}

/* How long the run took, or has been going; -1 when not known. */
static double run_duration(const struct isl_runs_entry *e)
{
    const json_t *d = json_object_get(e->run, "duration_s");
    double t0 = isl_runs_parse_time(isl_runs_str(e, "started_at"));
    double t1 = isl_runs_parse_time(isl_runs_str(e, "finished_at"));

    if (json_is_number(d))
        return json_number_value(d);
    if (t0 >= 0 && t1 >= t0)
        return t1 - t0;
    if (t0 >= 0 && strcmp(e->status, "running") == 0)
        return (double)time(NULL) - t0;
    return -1;
}

/* The entry as JSON: run.json's members, the effective status and the
 * files where they are now. */
static json_t *entry_json(const struct isl_runs_entry *e)
{
    json_t *o = json_is_object(e->run) ? json_deep_copy(e->run) : json_object();
    static const char *const files[] = {"report", "manifest", "rejects", "log",
                                        "journal"};
    const char *recorded = isl_runs_str(e, "status");
    char path[4096];

    json_object_set_new(o, "run_id", json_string(e->id));
    json_object_set_new(o, "folder", json_string(e->dir));
    json_object_set_new(o, "status", json_string(e->status));
    json_object_set_new(o, "recorded_status",
                        recorded ? json_string(recorded) : json_null());
    json_object_set_new(o, "problem",
                        e->problem[0] ? json_string(e->problem) : json_null());
    for (size_t i = 0; i < ISL_ARRAY_LEN(files); i++) {
        int have = isl_runs_path(e, files[i], path, sizeof(path));
        char key[32];

        if (have < 0 && !json_object_get(o, files[i]))
            continue;
        json_object_set_new(o, files[i],
                            have < 0 ? json_null() : json_string(path));
        snprintf(key, sizeof(key), "%s_exists", files[i]);
        json_object_set_new(o, key, json_boolean(have > 0));
    }
    return o;
}

/* ---- the list ---- */

enum {
    C_ID,
    C_START,
    C_DUR,
    C_FEED,
    C_SHARD,
    C_STATUS,
    C_EXIT,
    C_READ,
    C_REJ,
    C_SENT,
    C_INS,
    C_UPD,
    C_IGN,
    C_SKIP,
    C_ERR,
    C_REPORT,
    C_MANIFEST,
    NCOLS
};

static const char *const headers[NCOLS] = {
    "RUN ID", "STARTED (UTC)", "DURATION", "FEED",   "SHARD",   "STATUS",
    "EXIT",   "READ",          "REJ",      "SENT",   "INS",     "UPD",
    "IGN",    "SKIP",          "ERR",      "REPORT", "MANIFEST"};

struct cells {
    char c[NCOLS][512];
};

static void fill_cells(struct cells *row, const struct isl_runs_entry *e)
{
    static const char *const results[] = {"inserted", "updated", "ignored",
                                          "skipped", "error"};
    const json_t *res = json_object_get(e->run, "results");
    char path[4096];
    int have;

    snprintf(row->c[C_ID], sizeof(row->c[C_ID]), "%s", e->id);
    fmt_time(row->c[C_START], sizeof(row->c[C_START]),
             isl_runs_str(e, "started_at"), false);
    if (!strcmp(row->c[C_START], "-") && e->sort_key[0])
        fmt_time(row->c[C_START], sizeof(row->c[C_START]), e->sort_key, false);
    fmt_duration(row->c[C_DUR], sizeof(row->c[C_DUR]), run_duration(e));
    snprintf(row->c[C_FEED], sizeof(row->c[C_FEED]), "%s",
             isl_runs_str(e, "feed") ? isl_runs_str(e, "feed") : "-");
    isl_runs_shard(e->run, row->c[C_SHARD], sizeof(row->c[C_SHARD]));
    if (!row->c[C_SHARD][0])
        snprintf(row->c[C_SHARD], sizeof(row->c[C_SHARD]), "-");
    snprintf(row->c[C_STATUS], sizeof(row->c[C_STATUS]), "%s", e->status);
    num_or_dash(row->c[C_EXIT], sizeof(row->c[C_EXIT]), int_of(e->run, "exit"));
    num_or_dash(row->c[C_READ], sizeof(row->c[C_READ]),
                int_of(e->run, "rows_read"));
    num_or_dash(row->c[C_REJ], sizeof(row->c[C_REJ]),
                int_of(e->run, "rows_rejected"));
    num_or_dash(row->c[C_SENT], sizeof(row->c[C_SENT]),
                int_of(e->run, "rows_sent"));
    for (size_t i = 0; i < ISL_ARRAY_LEN(results); i++)
        num_or_dash(row->c[C_INS + i], sizeof(row->c[C_INS]),
                    int_of(res, results[i]));
    have = isl_runs_path(e, "report", path, sizeof(path));
    snprintf(row->c[C_REPORT], sizeof(row->c[C_REPORT]), "%.480s%s",
             have < 0 ? "-" : path, have == 0 ? " (missing)" : "");
    have = isl_runs_path(e, "manifest", path, sizeof(path));
    snprintf(row->c[C_MANIFEST], sizeof(row->c[C_MANIFEST]), "%.480s%s",
             have < 0 ? "-" : path, have == 0 ? " (missing)" : "");
}

static bool right_aligned(int col)
{
    return col == C_DUR || (col >= C_EXIT && col <= C_ERR);
}

static void print_row(const char *const *cells, const size_t *width)
{
    for (int i = 0; i < NCOLS; i++) {
        int w = (int)width[i];

        if (i == NCOLS - 1)
            printf("%s\n", cells[i]);
        else if (right_aligned(i))
            printf("%*s  ", w, cells[i]);
        else
            printf("%-*s  ", w, cells[i]);
    }
}

static int print_table(const struct isl_runs *runs, size_t limit)
{
    size_t n = runs->n < limit ? runs->n : limit;
    struct cells *rows = calloc(n ? n : 1, sizeof(*rows));
    size_t width[NCOLS];

    if (!rows) {
        fprintf(stderr, "isload runs: out of memory\n");
        return ISL_EXIT_USAGE;
    }
    for (int i = 0; i < NCOLS; i++)
        width[i] = strlen(headers[i]);
    for (size_t r = 0; r < n; r++) {
        fill_cells(&rows[r], &runs->v[r]);
        for (int i = 0; i < NCOLS; i++)
            if (strlen(rows[r].c[i]) > width[i])
                width[i] = strlen(rows[r].c[i]);
    }
    print_row(headers, width);
    for (size_t r = 0; r < n; r++) {
        const char *cells[NCOLS];

        for (int i = 0; i < NCOLS; i++)
            cells[i] = rows[r].c[i];
        print_row(cells, width);
        if (runs->v[r].problem[0])
            printf("  ! %s\n", runs->v[r].problem);
    }
    free(rows);
    return ISL_EXIT_OK;
}

static int list_runs(const char *state_dir, const char *feed, size_t limit,
                     bool as_json)
{
    struct isl_runs runs;
    struct isl_error err;
    int status = ISL_EXIT_OK;

    isl_error_clear(&err);
    if (isl_runs_read(&runs, state_dir, feed, &err) < 0) {
        fprintf(stderr, "isload runs: %s\n", err.msg);
        return ISL_EXIT_USAGE;
    }
    if (as_json) {
        json_t *arr = json_array();

        for (size_t i = 0; i < runs.n && i < limit; i++)
            json_array_append_new(arr, entry_json(&runs.v[i]));
        if (json_dumpf(arr, stdout, JSON_INDENT(2)) != 0 ||
            fputc('\n', stdout) == EOF)
            status = ISL_EXIT_USAGE;
        json_decref(arr);
    } else if (runs.n == 0) {
        printf("no runs%s%s in %s\n", feed ? " of feed " : "", feed ? feed : "",
               state_dir);
    } else {
        status = print_table(&runs, limit);
    }
    isl_runs_free(&runs);
    return status;
}

/* ---- one run ---- */

struct first_errors {
    json_t *first; /* the first FIRST_ERRORS of errors, then error_rows */
    size_t nerrors, nerror_rows;
};

static int on_error(void *p, const char *key, const json_t *elem, size_t i)
{
    struct first_errors *fe = p;

    (void)i;
    if (strcmp(key, "errors") == 0)
        fe->nerrors++;
    else
        fe->nerror_rows++;
    if (json_array_size(fe->first) < FIRST_ERRORS) {
        json_t *e = json_deep_copy(elem);

        if (json_is_object(e))
            json_object_set_new(e, "kind", json_string(key));
        json_array_append_new(fe->first, e);
    }
    return 0;
}

/* "file:line: column: message (rule)" or "file:line: key: instance error:
 * message", as the load printed them. */
static void print_error(const json_t *e)
{
    const char *file = json_string_value(json_object_get(e, "file"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    long long line = int_of(e, "line");
    const char *kind = json_string_value(json_object_get(e, "kind"));

    printf("  %s:%lld: ", file ? file : "?", line < 0 ? 0 : line);
    if (kind && strcmp(kind, "error_rows") == 0) {
        const char *key = json_string_value(json_object_get(e, "key"));

        printf("%s: instance error: %s\n", key ? key : "", msg ? msg : "");
    } else {
        const char *col = json_string_value(json_object_get(e, "column"));
        const char *rule = json_string_value(json_object_get(e, "rule"));

        printf("%s%s%s (%s)\n", col ? col : "", col && *col ? ": " : "",
               msg ? msg : "", rule ? rule : "?");
    }
}

static void print_count(const char *name, const json_t *o, const char *key,
                        bool always)
{
    long long v = int_of(o, key);

    if (v >= 0 && (always || v > 0))
        printf("  %-16s %10lld\n", name, v);
}

static int by_count(const void *a, const void *b)
{
    const json_t *x = json_array_get(*(json_t *const *)a, 1);
    const json_t *y = json_array_get(*(json_t *const *)b, 1);

    return json_integer_value(y) > json_integer_value(x)   ? 1
           : json_integer_value(y) < json_integer_value(x) ? -1
                                                           : 0;
}

static void print_rules(const json_t *rules)
{
    const char *name;
    json_t *v, **pairs;
    size_t n = 0;

    if (!json_object_size(rules))
        return;
    pairs = calloc(json_object_size(rules), sizeof(*pairs));
    if (!pairs)
        return;
    json_object_foreach((json_t *)rules, name, v) pairs[n++] =
        json_pack("[s,O]", name, v);
    qsort(pairs, n, sizeof(*pairs), by_count);
    printf("rules broken\n");
    for (size_t i = 0; i < n; i++) {
        printf("  %-16s %10lld\n",
               json_string_value(json_array_get(pairs[i], 0)),
               (long long)json_integer_value(json_array_get(pairs[i], 1)));
        json_decref(pairs[i]);
    }
    free(pairs);
}

static void print_rows(const json_t *doc)
{
    static const char *const results[] = {"inserted", "updated", "ignored",
                                          "skipped", "error"};
    const json_t *res = json_object_get(doc, "results");

    printf("rows\n");
    print_count("read", doc, "rows_read", true);
    print_count("valid", doc, "rows_valid", true);
    print_count("rejected", doc, "rows_rejected", true);
    print_count("filtered", doc, "rows_filtered", true);
    print_count("unchanged", doc, "rows_unchanged", false);
    print_count("other shards", doc, "rows_other_shards", false);
    print_count("sent", doc, "rows_sent", true);
    for (size_t i = 0; res && i < ISL_ARRAY_LEN(results); i++) {
        char name[32];

        snprintf(name, sizeof(name), "  %s", results[i]);
        print_count(name, res, results[i], true);
    }
    print_count("deactivated", doc, "rows_deactivated", false);
    print_count("not sent", doc, "rows_not_sent", true);
}

static void print_requests(const json_t *req, const json_t *sets)
{
    const json_t *by = json_object_get(req, "by_status");
    const char *status;
    json_t *v;

    if (!req)
        return;
    printf("requests         %10lld, %lld retries\n", int_of(req, "count"),
           int_of(req, "retries"));
    json_object_foreach((json_t *)by, status, v)
        printf("  %-16s %10lld\n", status, (long long)json_integer_value(v));
    if (sets)
        printf("import sets      %10zu\n", json_array_size(sets));
}

static void print_run_head(const struct isl_runs_entry *e)
{
    static const char *const known[] = {"run_id",
                                        "feed",
                                        "feed_file",
                                        "inputs",
                                        "instance",
                                        "staging_table",
                                        "started_at",
                                        "attempts",
                                        "status",
                                        "pid",
                                        "finished_at",
                                        "exit",
                                        "rows_read",
                                        "rows_valid",
                                        "rows_rejected",
                                        "rows_filtered",
                                        "rows_sent",
                                        "rows_not_sent",
                                        "results",
                                        "duration_s",
                                        "rows_per_s",
                                        "requests",
                                        "journal",
                                        "manifest",
                                        "report",
                                        "rejects",
                                        "log",
                                        "rows_unchanged",
                                        "rows_deactivated",
                                        "rows_other_shards",
                                        "shard"};
    const json_t *inputs = json_object_get(e->run, "inputs");
    const char *key;
    json_t *v;
    char t[64], d[32];
    long long ex = int_of(e->run, "exit");

    printf("run %s: %s", e->id, e->status);
    if (ex >= 0)
        printf(", exit %lld", ex);
    printf("\n");
    if (e->problem[0])
        printf("  problem          %s\n", e->problem);
    if (!json_is_object(e->run))
        return;
    printf("  feed             %s (%s)\n",
           isl_runs_str(e, "feed") ? isl_runs_str(e, "feed") : "?",
           isl_runs_str(e, "feed_file") ? isl_runs_str(e, "feed_file") : "?");
    for (size_t i = 0; i < json_array_size(inputs); i++)
        printf("  %-16s %s\n", i ? "" : "inputs",
               json_string_value(json_array_get(inputs, i)));
    printf("  instance         %s\n",
           isl_runs_str(e, "instance") ? isl_runs_str(e, "instance") : "?");
    isl_runs_shard(e->run, t, sizeof(t));
    if (*t)
        printf("  shard            %s\n", t);
    printf("  staging table    %s\n", isl_runs_str(e, "staging_table")
                                          ? isl_runs_str(e, "staging_table")
                                          : "?");
    fmt_time(t, sizeof(t), isl_runs_str(e, "started_at"), true);
    printf("  started          %s UTC\n", t);
    if (isl_runs_str(e, "finished_at")) {
        fmt_time(t, sizeof(t), isl_runs_str(e, "finished_at"), true);
        printf("  finished         %s UTC\n", t);
    }
    fmt_duration(d, sizeof(d), run_duration(e));
    printf("  duration         %s", d);
    if (json_is_number(json_object_get(e->run, "rows_per_s")))
        printf(", %.0f rows/s",
               json_number_value(json_object_get(e->run, "rows_per_s")));
    printf("\n  attempts         %lld\n  pid              %lld\n",
           int_of(e->run, "attempts"), int_of(e->run, "pid"));
    if (strcmp(e->status, "interrupted") == 0 ||
        strcmp(e->status, "aborted") == 0)
        printf("  resume with      isload load %s INPUT... --state-dir DIR "
               "--resume %s\n",
               isl_runs_str(e, "feed_file") ? isl_runs_str(e, "feed_file")
                                            : "FEED",
               e->id);
    json_object_foreach(e->run, key, v)
    {
        bool is_known = false;

        for (size_t i = 0; i < ISL_ARRAY_LEN(known) && !is_known; i++)
            is_known = strcmp(key, known[i]) == 0;
        if (!is_known) {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

            printf("  %-16s %s\n", key, s ? s : "?");
            free(s);
        }
    }
}

static void print_files(const struct isl_runs_entry *e)
{
    static const char *const files[] = {"report", "manifest", "rejects", "log",
                                        "journal"};
    char path[4096];

    printf("files\n  %-16s %s\n", "folder", e->dir);
    printf("  %-16s %s/run.json%s\n", "run.json", e->dir,
           e->run ? "" : " (missing or unreadable)");
    for (size_t i = 0; i < ISL_ARRAY_LEN(files); i++) {
        int have = isl_runs_path(e, files[i], path, sizeof(path));

        /* the rejects file is only made for the first rejected row */
        bool none = have == 0 && strcmp(files[i], "rejects") == 0 &&
                    int_of(e->run, "rows_rejected") == 0;

        if (have < 0)
            printf("  %-16s none\n", files[i]);
        else
            printf("  %-16s %s%s\n", files[i], path,
                   have   ? ""
                   : none ? " (not written: no rows rejected)"
                          : " (missing)");
    }
}

static void print_report(const json_t *head, const struct first_errors *fe,
                         const json_t *run)
{
    const json_t *doc = head ? head : run;
    const json_t *mf = json_object_get(head, "manifest");

    if (!json_is_object(doc))
        return;
    print_rows(doc);
    if (!head) {
        printf("report           none (the run did not write one)\n");
        print_requests(json_object_get(run, "requests"), NULL);
        return;
    }
    print_rules(json_object_get(head, "rules"));
    if (json_array_size(fe->first)) {
        printf("first errors (%zu errors, %zu error rows)\n", fe->nerrors,
               fe->nerror_rows);
        for (size_t i = 0; i < json_array_size(fe->first); i++)
            print_error(json_array_get(fe->first, i));
    }
    print_requests(json_object_get(head, "requests"),
                   json_object_get(head, "import_sets"));
    if (json_is_object(mf))
        printf("manifest         %lld inserts, %lld updates\n",
               int_of(mf, "inserts"), int_of(mf, "updates"));
    if (json_is_true(json_object_get(head, "threshold_exceeded")))
        printf("error threshold  %s exceeded\n",
               json_string_value(json_object_get(head, "max_errors")));
    if (json_is_true(json_object_get(head, "aborted")))
        printf("aborted          %s\n",
               json_string_value(json_object_get(head, "abort_reason")));
}

static int show_run(const char *state_dir, const char *id, bool as_json)
{
    static const char *const streamed[] = {"errors", "error_rows", NULL};
    struct isl_runs_entry e;
    struct first_errors fe = {json_array(), 0, 0};
    struct isl_error err;
    json_t *head = NULL;
    char path[4096], line[1024];
    int status = ISL_EXIT_OK;

    isl_error_clear(&err);
    if (isl_runs_read_one(&e, state_dir, id, &err) < 0) {
        fprintf(stderr, "isload runs: %s (see 'isload runs --state-dir %s')\n",
                err.msg, state_dir);
        json_decref(fe.first);
        return ISL_EXIT_USAGE;
    }
    if (isl_runs_path(&e, "report", path, sizeof(path)) > 0 &&
        isl_report_scan(path, streamed, on_error, &fe, &head, &err) < 0) {
        fprintf(stderr, "isload runs: the report: %s\n",
                isl_error_format(&err, line, sizeof(line)));
        head = NULL;
    }
    if (as_json) {
        json_t *o = json_object();

        json_object_set_new(o, "run", entry_json(&e));
        if (head) {
            json_object_set_new(head, "path", json_string(path));
            json_object_set_new(head, "errors_count",
                                json_integer((json_int_t)fe.nerrors));
            json_object_set_new(head, "error_rows_count",
                                json_integer((json_int_t)fe.nerror_rows));
            json_object_set(head, "first_errors", fe.first);
        }
        json_object_set(o, "report", head ? head : json_null());
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    } else {
        print_run_head(&e);
        print_report(head, &fe, e.run);
        print_files(&e);
    }
    if (strcmp(e.status, "broken") == 0)
        status = ISL_EXIT_ROWS;
    json_decref(head);
    json_decref(fe.first);
    isl_runs_entry_free(&e);
    return status;
}

static int runs_run(int argc, char **argv)
{
    enum { O_STATE = 1, O_FEED, O_LIMIT, O_JSON };
    static const struct option longopts[] = {
        {"state-dir", required_argument, NULL, O_STATE},
        {"feed", required_argument, NULL, O_FEED},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *state_dir = "./isload-runs", *feed = NULL;
    size_t limit = SIZE_MAX;
    bool as_json = false;
    char *end;
    long v;
    int opt;

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            return ISL_EXIT_OK;
        case O_STATE:
            state_dir = optarg;
            break;
        case O_FEED:
            feed = optarg;
            break;
        case O_LIMIT:
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1)
                return isl_cli_usage_error("runs", "bad --limit '%s'", optarg);
            limit = (size_t)v;
            break;
        case O_JSON:
            as_json = true;
            break;
        case ':':
            return isl_cli_usage_error("runs", "option '%s' needs a value",
                                       argv[optind - 1]);
        default:
            return isl_cli_usage_error("runs", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind == argc)
        return list_runs(state_dir, feed, limit, as_json);
    if (strcmp(argv[optind], "show") != 0)
        return isl_cli_usage_error("runs", "unknown argument '%s'",
                                   argv[optind]);
    if (argc - optind != 2)
        return isl_cli_usage_error("runs", argc - optind < 2
                                               ? "show: no RUN_ID given"
                                               : "show takes one RUN_ID");
    if (feed || limit != SIZE_MAX)
        return isl_cli_usage_error("runs",
                                   "--feed and --limit are for the list");
    return show_run(state_dir, argv[optind + 1], as_json);
}

const struct isl_command isl_cmd_runs = {
    .name = "runs",
    .summary = "list past runs, or show one (run history)",
    .usage = usage,
    .run = runs_run,
};
