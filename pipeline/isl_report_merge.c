/*
 * isl_report_merge.c: merging the reports of a sharded load (see
 * isl_report_merge.h).
 *
 * Two passes over the reports: the first reads each head (every member
 * but "errors" and "error_rows", whose elements are parsed and counted
 * only) and checks that the reports are the shards 0..N-1 of one load;
 * the second streams the errors of each shard, in shard order, into the
 * merged report after its head.
 */
#include "isl_setup.h"
#include "isl_report_merge.h"
#include "isl_error.h"
#include "isl_report_scan.h"
#include "isl_runs.h"
#include "isl_tmpfile.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const streamed[] = {"errors", "error_rows", NULL};

struct shard {
    const char *path;
    json_t *head;
    long long index, count;
};

/* How the merged report gets each member. */
enum rule {
    R_FIRST,     /* the same in every shard (checked where it matters) */
    R_ONCE,      /* rows_read: every shard reads every row */
    R_SUM,       /* summed */
    R_ZERO,      /* rows_other_shards: none are left once merged */
    R_SUM_OBJ,   /* integers summed key by key, nested objects too */
    R_CONCAT,    /* arrays joined in shard order */
    R_FIELDS,    /* per-field statistics */
    R_MIN_TIME,  /* the earliest */
    R_MAX_TIME,  /* the latest */
    R_DURATION,  /* from the first start to the last end */
    R_RATE,      /* rows sent per second of that */
    R_OR,        /* true when true in a shard */
    R_MAX,       /* the largest */
    R_JOIN,      /* "shard K/N: ..." joined with "; " */
    R_PER_SHARD, /* null (or gone): listed per shard under "shards" */
    R_DEFAULT,   /* kept when equal in every shard, else left out */
};

static const struct {
    const char *key;
    enum rule rule;
} rules[] = {
    {"isload_report", R_FIRST},
    {"command", R_FIRST},
    {"feed", R_FIRST},
    {"inputs", R_FIRST},
    {"instance", R_FIRST},
    {"rows_read", R_ONCE},
    {"rows_valid", R_SUM},
    {"rows_rejected", R_SUM},
    {"rows_filtered", R_SUM},
    {"rows_unchanged", R_SUM},
    {"rows_sent", R_SUM},
    {"rows_deactivated", R_SUM},
    {"rows_not_sent", R_SUM},
    {"rows_from_earlier_attempts", R_SUM},
    {"rows_other_shards", R_ZERO},
    {"results", R_SUM_OBJ},
    {"rules", R_SUM_OBJ},
    {"columns", R_SUM_OBJ},
    {"requests", R_SUM_OBJ},
    {"import_sets", R_CONCAT},
    {"keys_missing", R_CONCAT},
    {"fields", R_FIELDS},
    {"started_at", R_MIN_TIME},
    {"finished_at", R_MAX_TIME},
    {"duration_s", R_DURATION},
    {"rows_per_s", R_RATE},
    {"threshold_exceeded", R_OR},
    {"aborted", R_OR},
    {"attempt", R_MAX},
    {"abort_reason", R_JOIN},
    {"missing_refused", R_JOIN},
    {"keys_stored", R_SUM},
    {"run_id", R_PER_SHARD},
    {"manifest", R_PER_SHARD},
    {"shard", R_PER_SHARD},
    {"errors_truncated", R_PER_SHARD},
};

static enum rule rule_of(const char *key)
{
    for (size_t i = 0; i < ISL_ARRAY_LEN(rules); i++)
        if (strcmp(rules[i].key, key) == 0)
            return rules[i].rule;
    return R_DEFAULT;
}

/* An integer member, 0 when absent. */
static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

/* ---- pass 1: read and check ---- */

static int count_elem(void *p, const char *key, const json_t *elem, size_t i)
{
    (void)p;
    (void)key;
    (void)elem;
    (void)i;
    return 0;
}

static int read_shard(struct shard *sh, struct isl_error *err)
{
    const json_t *s;
    int rc =
        isl_report_scan(sh->path, streamed, count_elem, NULL, &sh->head, err);

    if (rc < 0)
        return rc;
    if (num(sh->head, "isload_report") != 1)
        return isl_error_set(err, ISL_ECONFIG, "merge",
                             "%s is not an isload report (no "
                             "\"isload_report\": 1)",
                             sh->path);
    s = json_object_get(sh->head, "shard");
    if (!s || json_is_null(s))
        return isl_error_set(err, ISL_ECONFIG, "merge",
                             "%s is the report of an unsharded run (it has "
                             "no \"shard\"): only the reports of the shards "
                             "of one sharded load are merged",
                             sh->path);
    sh->index = num(s, "index");
    sh->count = num(s, "count");
    if (!json_is_integer(json_object_get(s, "index")) ||
        !json_is_integer(json_object_get(s, "count")) || sh->count < 1 ||
        sh->index < 0 || sh->index >= sh->count)
        return isl_error_set(err, ISL_ECONFIG, "merge",
                             "%s has a bad \"shard\" (want {\"index\": K, "
                             "\"count\": N} with 0 <= K < N)",
                             sh->path);
    return 0;
}

static int differs(const struct shard *a, const struct shard *b,
                   const char *key)
{
    const json_t *x = json_object_get(a->head, key);
    const json_t *y = json_object_get(b->head, key);

    return (x || y) && !(x && y && json_equal(x, y));
}

/* Check that sh[0..n) are the shards 0..N-1 of one load; by_index[K]
 * gets shard K. */
static int check_shards(struct shard *sh, size_t n, struct shard **by_index,
                        struct isl_error *err)
{
    static const char *const same[] = {"feed", "command", "inputs", "instance"};
    long long count = sh[0].count;
    char missing[256] = "";
    size_t nmissing = 0;

    for (size_t i = 1; i < n; i++) {
        for (size_t k = 0; k < ISL_ARRAY_LEN(same); k++)
            if (differs(&sh[0], &sh[i], same[k])) {
                char *a = json_dumps(json_object_get(sh[0].head, same[k]),
                                     JSON_COMPACT | JSON_ENCODE_ANY);
                char *b = json_dumps(json_object_get(sh[i].head, same[k]),
                                     JSON_COMPACT | JSON_ENCODE_ANY);

                isl_error_set(err, ISL_ECONFIG, "merge",
                              "%s has %s %.120s but %s has %.120s: not the "
                              "shards of one load",
                              sh[i].path, same[k], b ? b : "none", sh[0].path,
                              a ? a : "none");
                free(a);
                free(b);
                return ISL_ECONFIG;
            }
        if (sh[i].count != count)
            return isl_error_set(err, ISL_ECONFIG, "merge",
                                 "%s is shard %lld/%lld but %s is shard "
                                 "%lld/%lld: not the shards of one load",
                                 sh[i].path, sh[i].index, sh[i].count,
                                 sh[0].path, sh[0].index, count);
    }
    for (size_t i = 0; i < n; i++) {
        struct shard *seen = by_index[sh[i].index];

        if (seen)
            return isl_error_set(err, ISL_ECONFIG, "merge",
                                 "shard %lld/%lld is given twice: %s and %s",
                                 sh[i].index, count, seen->path, sh[i].path);
        by_index[sh[i].index] = &sh[i];
    }
    for (long long k = 0; k < count; k++)
        if (!by_index[k] && nmissing++ < 20)
            snprintf(missing + strlen(missing),
                     sizeof(missing) - strlen(missing), "%s%lld/%lld",
                     nmissing > 1 ? ", " : "", k, count);
    if (nmissing)
        return isl_error_set(err, ISL_ECONFIG, "merge",
                             "shard%s %s%s missing: a merge needs the reports "
                             "of all %lld shards",
                             nmissing > 1 ? "s" : "", missing,
                             nmissing > 20 ? ", ..." : "", count);
    for (long long k = 1; k < count; k++)
        if (num(by_index[k]->head, "rows_read") !=
            num(by_index[0]->head, "rows_read"))
            return isl_error_set(
                err, ISL_ECONFIG, "merge",
                "shard %lld/%lld (%s) read %lld rows but shard 0/%lld (%s) "
                "read %lld: every shard reads every row, so they did not "
                "read the same input",
                k, count, by_index[k]->path,
                num(by_index[k]->head, "rows_read"), count, by_index[0]->path,
                num(by_index[0]->head, "rows_read"));
    return 0;
}

/* The rows a report counts as its own (not another shard's). */
static long long own_rows(const json_t *h)
{
    return num(h, "rows_rejected") + num(h, "rows_filtered") +
           num(h, "rows_unchanged") + num(h, "rows_sent") -
           num(h, "rows_deactivated") + num(h, "rows_not_sent");
}

static long long sum_results(const json_t *h)
{
    const json_t *res = json_object_get(h, "results");
    const char *k;
    json_t *v;
    long long n = 0;

    json_object_foreach((json_t *)res, k, v) n +=
        (long long)json_integer_value(v);
    return n;
}

/* Does every count add up? The first failure goes to err, all to warn. */
static bool adds_up(struct shard **by, long long count, FILE *warn,
                    struct isl_error *err)
{
    long long read = num(by[0]->head, "rows_read"), own = 0;
    bool ok = true;
    char msg[512];

    for (long long k = 0; k < count; k++) {
        const json_t *h = by[k]->head;
        long long acc = own_rows(h) + num(h, "rows_other_shards");

        own += own_rows(h);
        if (acc != read) {
            snprintf(msg, sizeof(msg),
                     "shard %lld/%lld (%s) does not add up by itself: it read "
                     "%lld rows but counts %lld (%lld %s)",
                     k, count, by[k]->path, read, acc,
                     acc > read ? acc - read : read - acc,
                     acc > read ? "too many" : "missing");
            fprintf(warn, "isload report merge: %s\n", msg);
            if (ok)
                isl_error_set(err, ISL_EPARSE, "merge", "%s", msg);
            ok = false;
        }
        if (json_object_get(h, "results") &&
            sum_results(h) != num(h, "rows_sent")) {
            snprintf(msg, sizeof(msg),
                     "shard %lld/%lld (%s) sent %lld rows but its results "
                     "count %lld",
                     k, count, by[k]->path, num(h, "rows_sent"),
                     sum_results(h));
            fprintf(warn, "isload report merge: %s\n", msg);
            if (ok)
                isl_error_set(err, ISL_EPARSE, "merge", "%s", msg);
            ok = false;
        }
    }
    if (own != read) {
        snprintf(msg, sizeof(msg),
                 "the shards count %lld rows as their own but %lld were read: "
                 "%lld row%s %s",
                 own, read, own > read ? own - read : read - own,
                 (own > read ? own - read : read - own) == 1 ? "" : "s",
                 own > read ? "counted by more than one shard"
                            : "counted by no shard");
        fprintf(warn, "isload report merge: %s\n", msg);
        /* the merged total says the most: it wins over a shard's */
        isl_error_set(err, ISL_EPARSE, "merge", "%s", msg);
        ok = false;
    }
    return ok;
}

/* ---- the merged head ---- */

static void sum_into(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)src, k, v)
    {
        json_t *d = json_object_get(dst, k);

        if (json_is_object(v)) {
            if (!json_is_object(d))
                json_object_set_new(dst, k, d = json_object());
            sum_into(d, v);
        } else if (json_is_integer(v)) {
            json_object_set_new(
                dst, k,
                json_integer(json_integer_value(d) + json_integer_value(v)));
        } else if (json_is_number(v)) {
            json_object_set_new(
                dst, k, json_real(json_number_value(d) + json_number_value(v)));
        } else if (!d) {
            json_object_set(dst, k, v);
        }
    }
}

static void merge_field(json_t *dst, const json_t *src)
{
    long long filled = num(dst, "filled") + num(src, "filled");
    long long distinct = num(dst, "distinct") + num(src, "distinct");
    long long minl = num(dst, "min_length"), maxl = num(dst, "max_length");

    if (num(src, "filled") &&
        (!num(dst, "filled") || num(src, "min_length") < minl))
        minl = num(src, "min_length");
    if (num(src, "max_length") > maxl)
        maxl = num(src, "max_length");
    json_object_set_new(dst, "filled", json_integer(filled));
    json_object_set_new(dst, "empty",
                        json_integer(num(dst, "empty") + num(src, "empty")));
    /* estimates do not combine: their sum is an upper bound */
    json_object_set_new(dst, "distinct",
                        json_integer(distinct < filled ? distinct : filled));
    json_object_set_new(dst, "min_length", json_integer(minl));
    json_object_set_new(dst, "max_length", json_integer(maxl));
}

static json_t *merged_value(const char *key, enum rule rule, struct shard **by,
                            long long count, FILE *warn)
{
    json_t *first = json_object_get(by[0]->head, key), *v;
    double t, best = -1;
    long long sum = 0;
    char buf[512];

    switch (rule) {
    case R_FIRST:
    case R_ONCE:
        return json_incref(first);
    case R_ZERO:
        return json_integer(0);
    case R_SUM:
        for (long long k = 0; k < count; k++)
            sum += num(by[k]->head, key);
        return json_integer(sum);
    case R_SUM_OBJ:
    case R_FIELDS:
        v = json_object();
        for (long long k = 0; k < count; k++) {
            const json_t *o = json_object_get(by[k]->head, key);
            const char *name;
            json_t *f;

            if (rule == R_SUM_OBJ) {
                sum_into(v, o);
                continue;
            }
            json_object_foreach((json_t *)o, name, f)
            {
                if (!json_object_get(v, name))
                    json_object_set_new(v, name, json_object());
                merge_field(json_object_get(v, name), f);
            }
        }
        return v;
    case R_CONCAT:
        v = json_array();
        for (long long k = 0; k < count; k++)
            json_array_extend(v, json_object_get(by[k]->head, key));
        return v;
    case R_MIN_TIME:
    case R_MAX_TIME:
        v = NULL;
        for (long long k = 0; k < count; k++) {
            json_t *s = json_object_get(by[k]->head, key);

            t = isl_runs_parse_time(json_string_value(s));
            if (t >= 0 &&
                (best < 0 || (rule == R_MIN_TIME ? t < best : t > best))) {
                best = t;
                v = s;
            }
        }
        return json_incref(v ? v : first);
    case R_OR:
        for (long long k = 0; k < count; k++)
            if (json_is_true(json_object_get(by[k]->head, key)))
                return json_true();
        return json_false();
    case R_MAX:
        for (long long k = 0; k < count; k++)
            if (num(by[k]->head, key) > sum)
                sum = num(by[k]->head, key);
        return json_integer(sum);
    case R_JOIN:
        buf[0] = '\0';
        for (long long k = 0; k < count; k++) {
            const char *s =
                json_string_value(json_object_get(by[k]->head, key));
            size_t len = strlen(buf);

            if (s)
                snprintf(buf + len, sizeof(buf) - len, "%sshard %lld/%lld: %s",
                         len ? "; " : "", k, count, s);
        }
        return buf[0] ? json_string(buf) : json_null();
    case R_DURATION: /* set with R_RATE after the times */
    case R_RATE:
    case R_PER_SHARD:
        return NULL;
    case R_DEFAULT:
        for (long long k = 1; k < count; k++) {
            json_t *o = json_object_get(by[k]->head, key);

            if (!first || !o || !json_equal(first, o)) {
                fprintf(warn,
                        "isload report merge: warning: \"%s\" differs "
                        "between the shards; left out of the merged report\n",
                        key);
                return NULL;
            }
        }
        return json_incref(first);
    }
    return NULL;
}

/* Every member of any head, in the order the first shard has them. */
static json_t *all_keys(struct shard **by, long long count)
{
    json_t *keys = json_object();

    for (long long k = 0; k < count; k++) {
        const char *key;
        json_t *v;

        json_object_foreach(by[k]->head, key, v)
            json_object_set_new(keys, key, json_null());
    }
    return keys;
}

static json_t *merge_heads(struct shard **by, long long count, FILE *warn)
{
    json_t *doc = json_object(), *keys = all_keys(by, count), *v;
    json_t *shards = json_array();
    const char *key;
    double t0, t1, dur = 0;

    json_object_foreach(keys, key, v)
    {
        enum rule rule = rule_of(key);
        json_t *val = merged_value(key, rule, by, count, warn);

        if (val)
            json_object_set_new(doc, key, val);
        else if (rule == R_PER_SHARD && strcmp(key, "shard") != 0 &&
                 strcmp(key, "errors_truncated") != 0)
            json_object_set_new(doc, key, json_null());
        else if (rule == R_DURATION || rule == R_RATE)
            json_object_set_new(doc, key, json_real(0)); /* below */
    }
    for (long long k = 0; k < count; k++) {
        const json_t *h = by[k]->head;
        const json_t *d = json_object_get(h, "duration_s");
        const json_t *mf = json_object_get(h, "manifest");

        if (json_number_value(d) > dur)
            dur = json_number_value(d);
        json_array_append_new(
            shards,
            json_pack("{s:I,s:s,s:O?,s:O?,s:I}", "index", (json_int_t)k,
                      "report", by[k]->path, "run_id",
                      json_object_get(h, "run_id"), "manifest",
                      json_is_object(mf) ? json_object_get(mf, "path") : mf,
                      "rows_sent", (json_int_t)num(h, "rows_sent")));
    }
    t0 = isl_runs_parse_time(str(doc, "started_at"));
    t1 = isl_runs_parse_time(str(doc, "finished_at"));
    if (t0 >= 0 && t1 - t0 > dur)
        dur = t1 - t0;
    if (json_object_get(doc, "duration_s"))
        json_object_set_new(doc, "duration_s", json_real(dur));
    if (json_object_get(doc, "rows_per_s"))
        json_object_set_new(
            doc, "rows_per_s",
            json_real(dur > 0 ? (double)num(doc, "rows_sent") / dur : 0));
    json_object_set_new(doc, "shards", shards);
    json_decref(keys);
    return doc;
}

/* ---- pass 2: the merged report ---- */

struct writer {
    FILE *out, *rows;
    size_t nerrors, nrows;
    bool failed;
};

static int write_elem(void *p, const char *key, const json_t *elem, size_t i)
{
    struct writer *w = p;
    bool is_row = strcmp(key, "error_rows") == 0;
    char *s = json_dumps(elem, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t *n = is_row ? &w->nrows : &w->nerrors;

    (void)i;
    if (!s)
        return ISL_ENOMEM;
    if (fprintf(is_row ? w->rows : w->out, "%s\n    %s", *n ? "," : "", s) < 0)
        w->failed = true;
    (*n)++;
    free(s);
    return 0;
}

static int write_merged(const json_t *doc, struct shard **by, long long count,
                        FILE *out, struct isl_error *err)
{
    char *head = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *end = head ? strrchr(head, '}') : NULL;
    struct writer w = {out, NULL, 0, 0, false};
    bool loading = json_object_get(doc, "rows_sent") != NULL;
    char buf[65536];
    size_t got;
    int rc = 0;

    if (!end) {
        rc = isl_error_set(err, ISL_ENOMEM, "merge", "out of memory");
        goto out;
    }
    if (!(w.rows = isl_tmpfile("merge", err))) {
        rc = ISL_EIO;
        goto out;
    }
    while (end > head && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    fwrite(head, 1, (size_t)(end - head), out);
    fputs(",\n  \"errors\": [", out);
    for (long long k = 0; k < count && rc == 0; k++)
        rc = isl_report_scan(by[k]->path, streamed, write_elem, &w, NULL, err);
    if (rc < 0)
        goto out;
    fputs(w.nerrors ? "\n  ]" : "]", out);
    if (loading) {
        fputs(",\n  \"error_rows\": [", out);
        rewind(w.rows);
        while ((got = fread(buf, 1, sizeof(buf), w.rows)) > 0)
            fwrite(buf, 1, got, out);
        fputs(w.nrows ? "\n  ]" : "]", out);
    }
    fputs(",\n  \"errors_truncated\": false\n}\n", out);
    if (w.failed || ferror(w.rows) || ferror(out))
        rc = isl_error_set(err, ISL_EIO, "merge",
                           "cannot write the merged report");
out:
    if (w.rows)
        fclose(w.rows);
    free(head);
    return rc;
}

int isl_report_merge(const char *const *paths, size_t n, FILE *out, FILE *warn,
                     struct isl_error *err)
{
    struct shard *sh = calloc(n ? n : 1, sizeof(*sh));
    struct shard **by = NULL;
    json_t *doc = NULL;
    long long count = 0;
    int rc = 0;

    if (!sh)
        return isl_error_set(err, ISL_ENOMEM, "merge", "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        sh[i].path = paths[i];
        rc = read_shard(&sh[i], err);
    }
    if (rc < 0)
        goto out;
    count = sh[0].count;
    if (count > 100000) {
        rc = isl_error_set(err, ISL_ECONFIG, "merge",
                           "%s says it is one of %lld shards: too many",
                           sh[0].path, count);
        goto out;
    }
    if (!(by = calloc((size_t)count, sizeof(*by)))) {
        rc = isl_error_set(err, ISL_ENOMEM, "merge", "out of memory");
        goto out;
    }
    if ((rc = check_shards(sh, n, by, err)) < 0)
        goto out;
    doc = merge_heads(by, count, warn);
    if ((rc = write_merged(doc, by, count, out, err)) < 0)
        goto out;
    if (!adds_up(by, count, warn, err)) {
        rc = ISL_MERGE_FAILED;
    } else if (json_is_true(json_object_get(doc, "aborted")) ||
               json_is_true(json_object_get(doc, "threshold_exceeded")) ||
               json_is_string(json_object_get(doc, "missing_refused"))) {
        isl_error_set(err, ISL_EPARSE, "merge", "%s",
                      json_is_true(json_object_get(doc, "aborted"))
                          ? "a shard was aborted (see abort_reason)"
                      : json_is_true(json_object_get(doc, "threshold_exceeded"))
                          ? "a shard passed its error threshold"
                          : "a shard refused to deactivate missing keys (see "
                            "missing_refused)");
        rc = ISL_MERGE_FAILED;
    } else {
        rc = num(doc, "rows_rejected") ||
                     num(json_object_get(doc, "results"), "error")
                 ? ISL_MERGE_ROWS
                 : ISL_MERGE_OK;
    }
out:
    json_decref(doc);
    for (size_t i = 0; i < n; i++)
        json_decref(sh[i].head);
    free(sh);
    free(by);
    return rc;
}
