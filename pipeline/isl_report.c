/*
 * isl_report.c: the run record (see isl_report.h).
 *
 * Errors are appended to a temporary file as JSON lines (one per reason,
 * written with the escaping writer) and streamed into the report at the
 * end; the first few are also kept formatted for the terminal.
 */
#include "isl_setup.h"
#include "isl_report.h"
#include "isl_buf.h"
#include "isl_chain.h"
#include "isl_error.h"
#include "isl_hll.h"
#include "isl_jsonw.h"
#include "isl_loader.h"
#include "isl_row.h"
#include "tf_util.h"
#include "isl_tmpfile.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TERMINAL_ERRORS 10

struct count {
    char *name;
    uint64_t n;
};

struct field_stats {
    char *name;
    const char *seen; /* a name pointer known to equal name */
    uint64_t filled, empty;
    size_t min_len, max_len;
    struct isl_hll hll;
};

struct isl_report {
    struct isl_report_info info;
    char started[32], finished[32];
    struct timespec t0;
    double duration;
    uint64_t read, valid, rejected, filtered, nerrors;
    uint64_t other_shards, unchanged;
    bool threshold;
    struct count *rules, *cols;
    size_t nrules, ncols;
    struct field_stats *fields;
    size_t nfields;
    FILE *errors;        /* JSON lines, one per reason */
    struct isl_buf line; /* reused for each error line */
    char *first[TERMINAL_ERRORS];
    size_t nfirst;
    /* loading */
    bool loading;
    struct isl_report_load load;
    uint64_t results[5]; /* inserted updated ignored skipped error */
    uint64_t noutcomes, nerror_rows;
    FILE *error_rows; /* JSON lines: rows that ended in error */
};

static const char *const outcome_names[5] = {"inserted", "updated", "ignored",
                                             "skipped", "error"};

static void now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int add_field(struct isl_report *r, const char *name)
{
    struct field_stats *p = realloc(r->fields, (r->nfields + 1) * sizeof(*p));

    if (!p)
        return -1;
    r->fields = p;
    memset(&p[r->nfields], 0, sizeof(*p));
    p[r->nfields].name = strdup(name);
    p[r->nfields].min_len = SIZE_MAX;
    if (!p[r->nfields].name)
        return -1;
    r->nfields++;
    return 0;
}

/* The statistics of field `name`, found or added; NULL when out of
 * memory. It is remembered under name's pointer when it sits at i. */
static struct field_stats *find_field(struct isl_report *r, size_t i,
                                      const char *name)
{
    struct field_stats *s = NULL;

    if (i < r->nfields && strcmp(r->fields[i].name, name) == 0) {
        s = &r->fields[i];
        s->seen = name;
        return s;
    }
    for (size_t k = 0; k < r->nfields; k++)
        if (strcmp(r->fields[k].name, name) == 0)
            return &r->fields[k];
    if (add_field(r, name) < 0)
        return NULL;
    return &r->fields[r->nfields - 1];
}

int isl_report_new(struct isl_report **out, const struct isl_report_info *info,
                   const char *const *columns, size_t ncolumns,
                   struct isl_error *err)
{
    struct isl_report *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (!r)
        return isl_error_set(err, ISL_ENOMEM, "report", "out of memory");
    r->info = *info;
    now_iso(r->started, sizeof(r->started));
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    isl_buf_init(&r->line, (size_t)1 << 28);
    if (!(r->errors = isl_tmpfile("report", err))) {
        isl_report_free(r);
        return ISL_EIO;
    }
    for (size_t i = 0; i < ncolumns; i++)
        if (add_field(r, columns[i]) < 0) {
            isl_report_free(r);
            return isl_error_set(err, ISL_ENOMEM, "report", "out of memory");
        }
    *out = r;
    return 0;
}

/* The n < 8 bytes at s, zero-padded, without reading past s + n. */
static inline uint64_t load_part(const char *s, size_t n)
{
    uint64_t w = 0;
    size_t at = 0;

    if (n & 4) {
        uint32_t v;

        memcpy(&v, s, 4);
        w = v;
        at = 4;
    }
    if (n & 2) {
        uint16_t v;

        memcpy(&v, s + at, 2);
        w |= (uint64_t)v << (8 * at);
        at += 2;
    }
    if (n & 1)
        w |= (uint64_t)(unsigned char)s[at] << (8 * at);
    return w;
}

/* Number of bytes 10xxxxxx in the word w (0 bytes count as none). */
static inline size_t continuations(uint64_t w)
{
    w = (w >> 7) & ~(w >> 6) & 0x0101010101010101ULL;
    /* each byte is 0 or 1: the multiply sums them in the top byte */
    return (size_t)((w * 0x0101010101010101ULL) >> 56);
}

/* UTF-8 code points in s[0..n): the bytes that are not 10xxxxxx. */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = n, i = 0;

    for (; i + 8 <= n; i += 8) { /* a word at a time */
        uint64_t w;

        memcpy(&w, s + i, 8);
        c -= continuations(w);
    }
    if (i < n)
        c -= continuations(load_part(s + i, n - i));
    return c;
}

void isl_report_accept(struct isl_report *r, const struct isl_verdict *v)
{
    const struct isl_row *out = v->out;

    r->read++;
    r->valid++;
    for (size_t i = 0; i < out->n; i++) {
        const struct isl_field *f = &out->fields[i];
        struct field_stats *s;
        uint64_t hash, any;
        size_t len;

        /* chains reuse their name pointers: usually one pointer compare */
        if (i < r->nfields && r->fields[i].seen == f->name) {
            s = &r->fields[i];
        } else if (!(s = find_field(r, i, f->name))) {
            continue; /* out of memory: the field goes unreported */
        }
        if (f->len == 0) {
            s->empty++;
            continue;
        }
        s->filled++;
        /* one pass: the hash, and whether any byte is not ASCII */
        hash = tf_hash64_any(f->value, f->len, &any);
        len = any & TF_HIGHS ? utf8_chars(f->value, f->len) : f->len;
        if (len < s->min_len)
            s->min_len = len;
        if (len > s->max_len)
            s->max_len = len;
        isl_hll_add_hash(&s->hll, hash);
    }
}

static void bump(struct count **arr, size_t *n, const char *name)
{
    struct count *p;

    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].name, name) == 0) {
            (*arr)[i].n++;
            return;
        }
    p = realloc(*arr, (*n + 1) * sizeof(*p));
    if (!p)
        return;
    *arr = p;
    p[*n].name = strdup(name);
    p[*n].n = 1;
    if (p[*n].name)
        (*n)++;
}

int isl_report_reject(struct isl_report *r, const struct isl_verdict *v)
{
    const struct isl_pos *pos = &v->in->pos;
    const char *file = pos->file ? pos->file : "";

    r->read++;
    r->rejected++;
    for (size_t i = 0; i < v->nreasons; i++) {
        const struct isl_reason *rs = &v->reasons[i];
        struct isl_buf *b = &r->line;

        bump(&r->rules, &r->nrules, rs->rule);
        bump(&r->cols, &r->ncols, rs->column);
        r->nerrors++;
        isl_buf_reset(b);
        if (isl_buf_adds(b, "{\"file\":") < 0 ||
            isl_jsonw_string(b, file, strlen(file)) < 0 ||
            isl_buf_addf(b, ",\"line\":%llu,\"record\":%llu,\"column\":",
                         (unsigned long long)pos->line,
                         (unsigned long long)pos->record) < 0 ||
            isl_jsonw_string(b, rs->column, strlen(rs->column)) < 0 ||
            isl_buf_adds(b, ",\"rule\":") < 0 ||
            isl_jsonw_string(b, rs->rule, strlen(rs->rule)) < 0 ||
            isl_buf_adds(b, ",\"message\":") < 0 ||
            isl_jsonw_string(b, rs->message, strlen(rs->message)) < 0 ||
            isl_buf_adds(b, ",\"value\":") < 0 ||
            isl_jsonw_string(b, rs->value, rs->value_len) < 0 ||
            isl_buf_adds(b, "}\n") < 0)
            return ISL_ENOMEM;
        if (fwrite(b->data, 1, b->len, r->errors) != b->len)
            return ISL_EIO;
        if (r->nfirst < TERMINAL_ERRORS) {
            char tmp[1024];
            int k = snprintf(
                tmp, sizeof(tmp), "%s:%llu: %s%s%s (%s)", file,
                (unsigned long long)(pos->line ? pos->line : pos->record),
                rs->column, *rs->column ? ": " : "", rs->message, rs->rule);

            if (k > 0)
                r->first[r->nfirst++] = strdup(tmp);
        }
    }
    return 0;
}

void isl_report_filter(struct isl_report *r, const struct isl_verdict *v)
{
    (void)v;
    r->read++;
    r->filtered++;
}

int isl_report_outcome(struct isl_report *r, const struct isl_outcome *o)
{
    size_t k = 4; /* anything unknown counts as an error */
    struct isl_buf *b = &r->line;

    for (size_t i = 0; i < 5; i++)
        if (strcmp(o->state, outcome_names[i]) == 0)
            k = i;
    r->results[k]++;
    r->noutcomes++;
    if (k != 4)
        return 0;
    r->nerror_rows++;
    if (!r->error_rows) {
        struct isl_error err;

        if (!(r->error_rows = isl_tmpfile("report", &err)))
            return ISL_EIO; /* the caller fails the run */
    }
    isl_buf_reset(b);
    if (isl_buf_adds(b, "{\"file\":") < 0 ||
        isl_jsonw_string(b, o->file, strlen(o->file)) < 0 ||
        isl_buf_addf(b, ",\"line\":%llu,\"row\":%llu,\"key\":",
                     (unsigned long long)o->line,
                     (unsigned long long)o->row_no) < 0 ||
        isl_jsonw_string(b, o->key, strlen(o->key)) < 0 ||
        isl_buf_adds(b, ",\"state\":") < 0 ||
        isl_jsonw_string(b, o->state, strlen(o->state)) < 0 ||
        isl_buf_adds(b, ",\"import_set\":") < 0 ||
        isl_jsonw_string(b, o->import_set, strlen(o->import_set)) < 0 ||
        isl_buf_adds(b, ",\"message\":") < 0 ||
        isl_jsonw_string(b, o->message, strlen(o->message)) < 0 ||
        isl_buf_adds(b, "}\n") < 0)
        return ISL_ENOMEM;
    if (fwrite(b->data, 1, b->len, r->error_rows) != b->len)
        return ISL_EIO;
    if (r->nfirst < TERMINAL_ERRORS) {
        char tmp[1024];
        int n =
            snprintf(tmp, sizeof(tmp), "%s:%llu: %s: instance error: %s",
                     o->file, (unsigned long long)o->line, o->key, o->message);

        if (n > 0)
            r->first[r->nfirst++] = strdup(tmp);
    }
    return 0;
}

void isl_report_other_shard(struct isl_report *r)
{
    r->read++;
    r->other_shards++;
}

void isl_report_unchanged(struct isl_report *r)
{
    r->unchanged++;
}

uint64_t isl_report_outcomes(const struct isl_report *r)
{
    return r->noutcomes;
}

uint64_t isl_report_outcome_errors(const struct isl_report *r)
{
    return r->results[4];
}

void isl_report_set_load(struct isl_report *r, const struct isl_report_load *ld)
{
    r->loading = true;
    r->load = *ld;
}

uint64_t isl_report_rows_read(const struct isl_report *r)
{
    return r->read;
}

uint64_t isl_report_rows_valid(const struct isl_report *r)
{
    return r->valid;
}

uint64_t isl_report_rows_unchanged(const struct isl_report *r)
{
    return r->unchanged;
}

uint64_t isl_report_rows_rejected(const struct isl_report *r)
{
    return r->rejected;
}

void isl_report_finish(struct isl_report *r, bool threshold_exceeded)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->duration = (double)(t1.tv_sec - r->t0.tv_sec) +
                  (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
    now_iso(r->finished, sizeof(r->finished));
    r->threshold = threshold_exceeded;
}

bool isl_report_adds_up(const struct isl_report *r)
{
    if (r->read != r->valid + r->rejected + r->filtered + r->other_shards)
        return false;
    if (!r->loading)
        return true;
    if (r->load.rows_sent < r->load.rows_deactivated ||
        r->valid != r->load.rows_sent - r->load.rows_deactivated +
                        r->load.rows_not_sent + r->unchanged)
        return false;
    /* an aborted run may leave rows without an outcome; it says so */
    return r->load.aborted || r->noutcomes == r->load.rows_sent;
}

static json_t *counts_json(const struct count *c, size_t n)
{
    json_t *o = json_object();

    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].n));
    return o;
}

static json_t *report_head(struct isl_report *r)
{
    json_t *doc = json_object(), *inputs = json_array(), *fields;

    json_object_set_new(doc, "isload_report", json_integer(1));
    json_object_set_new(doc, "command", json_string(r->info.command));
    json_object_set_new(doc, "isload_version", json_string(ISL_VERSION));
    json_object_set_new(doc, "feed", json_string(r->info.feed));
    json_object_set_new(doc, "feed_file", json_string(r->info.feed_file));
    json_object_set_new(doc, "staging_table",
                        json_string(r->info.staging_table));
    for (size_t i = 0; i < r->info.ninputs; i++)
        json_array_append_new(inputs, json_string(r->info.inputs[i]));
    json_object_set_new(doc, "inputs", inputs);
    json_object_set_new(doc, "started_at", json_string(r->started));
    json_object_set_new(doc, "finished_at", json_string(r->finished));
    json_object_set_new(doc, "duration_s", json_real(r->duration));
    json_object_set_new(doc, "rows_read", json_integer((json_int_t)r->read));
    json_object_set_new(doc, "rows_valid", json_integer((json_int_t)r->valid));
    json_object_set_new(doc, "rows_rejected",
                        json_integer((json_int_t)r->rejected));
    json_object_set_new(doc, "rows_filtered",
                        json_integer((json_int_t)r->filtered));
    json_object_set_new(doc, "max_errors",
                        r->info.max_errors ? json_string(r->info.max_errors)
                                           : json_null());
    json_object_set_new(doc, "threshold_exceeded", json_boolean(r->threshold));
    json_object_set_new(doc, "rules", counts_json(r->rules, r->nrules));
    json_object_set_new(doc, "columns", counts_json(r->cols, r->ncols));
    fields = json_object();
    for (size_t i = 0; i < r->nfields; i++) {
        const struct field_stats *s = &r->fields[i];

        json_object_set_new(
            fields, s->name,
            json_pack("{s:I,s:I,s:I,s:I,s:I}", "filled", (json_int_t)s->filled,
                      "empty", (json_int_t)s->empty, "distinct",
                      (json_int_t)(s->filled ? isl_hll_estimate(&s->hll) : 0),
                      "min_length", (json_int_t)(s->filled ? s->min_len : 0),
                      "max_length", (json_int_t)s->max_len));
    }
    json_object_set_new(doc, "fields", fields);
    if (r->loading) {
        const struct isl_report_load *ld = &r->load;
        json_t *res = json_object(), *sets = json_array(), *req = json_object(),
               *codes = json_object();
        char code[8];

        for (size_t i = 0; i < 5; i++)
            json_object_set_new(res, outcome_names[i],
                                json_integer((json_int_t)r->results[i]));
        for (size_t i = 0; i < ld->nimport_sets; i++)
            json_array_append_new(
                sets, json_string(ld->import_set_text + ld->import_set_off[i]));
        for (int c = 100; ld->status_codes && c < 600; c++)
            if (ld->status_codes[c]) {
                snprintf(code, sizeof(code), "%d", c);
                json_object_set_new(
                    codes, code, json_integer((json_int_t)ld->status_codes[c]));
            }
        if (ld->transport_errors)
            json_object_set_new(codes, "transport_error",
                                json_integer((json_int_t)ld->transport_errors));
        json_object_set_new(req, "count",
                            json_integer((json_int_t)ld->requests));
        json_object_set_new(req, "retries",
                            json_integer((json_int_t)ld->retries));
        json_object_set_new(req, "by_status", codes);
        json_object_set_new(req, "batches_split",
                            json_integer((json_int_t)ld->splits));
        json_object_set_new(req, "rows_reconciled",
                            json_integer((json_int_t)ld->reconciled));
        json_object_set_new(req, "rows_staged_twice",
                            json_integer((json_int_t)ld->duplicates));
        json_object_set_new(req, "duplicates_undone",
                            json_integer((json_int_t)ld->duplicates_undone));
        json_object_set_new(req, "result_reads",
                            json_integer((json_int_t)ld->polls));
        json_object_set_new(req, "image_reads",
                            json_integer((json_int_t)ld->image_reads));
        json_object_set_new(doc, "instance", json_string(ld->instance));
        json_object_set_new(doc, "mode", json_string(ld->mode));
        json_object_set_new(doc, "run_id", json_string(ld->run_id));
        json_object_set_new(doc, "rows_sent",
                            json_integer((json_int_t)ld->rows_sent));
        json_object_set_new(doc, "rows_not_sent",
                            json_integer((json_int_t)ld->rows_not_sent));
        json_object_set_new(doc, "rows_unchanged",
                            json_integer((json_int_t)r->unchanged));
        json_object_set_new(doc, "rows_deactivated",
                            json_integer((json_int_t)ld->rows_deactivated));
        json_object_set_new(doc, "rows_other_shards",
                            json_integer((json_int_t)r->other_shards));
        json_object_set_new(doc, "shard",
                            ld->shard_count
                                ? json_pack("{s:i,s:i}", "index",
                                            (int)ld->shard_index, "count",
                                            (int)ld->shard_count)
                                : json_null());
        json_object_set_new(doc, "delta",
                            ld->delta ? json_string(ld->delta) : json_null());
        if (ld->delta) {
            json_object_set_new(doc, "keys_stored",
                                json_integer((json_int_t)ld->keys_stored));
            json_object_set_new(doc, "keys_missing",
                                ld->keys_missing
                                    ? json_incref((json_t *)ld->keys_missing)
                                    : json_array());
            json_object_set_new(doc, "missing_refused",
                                ld->missing_refused
                                    ? json_string(ld->missing_refused)
                                    : json_null());
        }
        json_object_set_new(doc, "results", res);
        json_object_set_new(doc, "import_sets", sets);
        json_object_set_new(doc, "requests", req);
        json_object_set_new(doc, "rows_per_s",
                            json_real(r->duration > 0
                                          ? (double)ld->rows_sent / r->duration
                                          : 0));
        json_object_set_new(doc, "attempt",
                            json_integer(ld->attempt ? ld->attempt : 1));
        json_object_set_new(doc, "rows_from_earlier_attempts",
                            json_integer((json_int_t)ld->rows_replayed));
        json_object_set_new(
            doc, "manifest",
            ld->manifest
                ? json_pack("{s:s,s:I,s:I,s:I}", "path", ld->manifest,
                            "inserts", (json_int_t)ld->manifest_inserts,
                            "updates", (json_int_t)ld->manifest_updates,
                            "after_images_missing",
                            (json_int_t)ld->images_missing)
                : json_null());
        json_object_set_new(doc, "aborted", json_boolean(ld->aborted));
        if (ld->abort_reason)
            json_object_set_new(doc, "abort_reason",
                                json_string(ld->abort_reason));
    }
    return doc;
}

/* Stream a JSON-lines temp file as the elements of an array. */
static void stream_lines(FILE *src, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    bool first = true;

    if (src) {
        fflush(src);
        rewind(src);
        while (getline(&line, &cap, src) > 0) {
            size_t len = strlen(line);

            if (len && line[len - 1] == '\n')
                line[--len] = '\0';
            fprintf(f, "%s\n    %s", first ? "" : ",", line);
            first = false;
        }
        fseek(src, 0, SEEK_END);
    }
    free(line);
    fputs(first ? "]" : "\n  ]", f);
}

json_t *isl_report_json(struct isl_report *r, size_t max_errors)
{
    json_t *doc = report_head(r), *errors = json_array();
    char *line = NULL;
    size_t cap = 0, n = 0;

    fflush(r->errors);
    rewind(r->errors);
    while (n < max_errors && getline(&line, &cap, r->errors) > 0) {
        json_t *e = json_loads(line, 0, NULL);

        if (e)
            json_array_append_new(errors, e);
        n++;
    }
    free(line);
    fseek(r->errors, 0, SEEK_END);
    json_object_set_new(doc, "errors", errors);
    json_object_set_new(doc, "errors_truncated", json_boolean(n < r->nerrors));
    return doc;
}

int isl_report_write(struct isl_report *r, const char *path,
                     struct isl_error *err)
{
    json_t *doc = report_head(r);
    char *head = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char *end;
    int rc = 0;
    FILE *f;

    json_decref(doc);
    if (!head)
        return isl_error_set(err, ISL_ENOMEM, "report", "out of memory");
    end = strrchr(head, '}');
    f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f || !end) {
        free(head);
        isl_error_set(err, ISL_EIO, "report", "cannot write the report");
        isl_error_at(err, path, 0, UINT64_MAX);
        return ISL_EIO;
    }
    /* the head without its closing brace, then the streamed errors */
    while (end > head && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    fwrite(head, 1, (size_t)(end - head), f);
    fputs(",\n  \"errors\": [", f);
    stream_lines(r->errors, f);
    if (r->loading) {
        fputs(",\n  \"error_rows\": [", f);
        stream_lines(r->error_rows, f);
    }
    fputs(",\n  \"errors_truncated\": false\n}\n", f);
    free(head);
    if (ferror(f))
        rc = ISL_EIO;
    if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
        rc = ISL_EIO;
    if (rc) {
        isl_error_set(err, ISL_EIO, "report", "cannot write the report");
        isl_error_at(err, path, 0, UINT64_MAX);
    }
    return rc;
}

static int by_count(const void *a, const void *b)
{
    const struct count *x = a, *y = b;

    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

void isl_report_print(struct isl_report *r, FILE *f)
{
    fprintf(f, "isload %s: feed %s, %zu input%s\n", r->info.command,
            r->info.feed, r->info.ninputs, r->info.ninputs == 1 ? "" : "s");
    fprintf(f, "  rows read     %10llu\n", (unsigned long long)r->read);
    fprintf(f, "  valid         %10llu\n", (unsigned long long)r->valid);
    fprintf(f, "  rejected      %10llu\n", (unsigned long long)r->rejected);
    fprintf(f, "  filtered      %10llu\n", (unsigned long long)r->filtered);
    if (r->other_shards)
        fprintf(f, "  other shards  %10llu\n",
                (unsigned long long)r->other_shards);
    if (r->loading) {
        if (r->load.delta)
            fprintf(f, "  unchanged     %10llu\n",
                    (unsigned long long)r->unchanged);
        fprintf(f, "  sent          %10llu\n",
                (unsigned long long)r->load.rows_sent);
        if (r->load.rows_deactivated)
            fprintf(f, "  (deactivated  %10llu)\n",
                    (unsigned long long)r->load.rows_deactivated);
        if (r->load.rows_not_sent)
            fprintf(f, "  not sent      %10llu\n",
                    (unsigned long long)r->load.rows_not_sent);
        for (size_t i = 0; i < 5; i++)
            fprintf(f, "    %-11s %10llu\n", outcome_names[i],
                    (unsigned long long)r->results[i]);
        fprintf(f,
                "  import sets   %10zu\n  requests      %10llu (%llu "
                "retries)\n  %.1f s, %.0f rows/s\n",
                r->load.nimport_sets, (unsigned long long)r->load.requests,
                (unsigned long long)r->load.retries, r->duration,
                r->duration > 0 ? (double)r->load.rows_sent / r->duration
                                : 0.0);
    }
    if (r->nrules) {
        qsort(r->rules, r->nrules, sizeof(*r->rules), by_count);
        fprintf(f, "rules broken:\n");
        for (size_t i = 0; i < r->nrules && i < 10; i++)
            fprintf(f, "  %-16s %8llu\n", r->rules[i].name,
                    (unsigned long long)r->rules[i].n);
    }
    if (r->nfirst) {
        fprintf(f, "first errors:\n");
        for (size_t i = 0; i < r->nfirst; i++)
            fprintf(f, "  %s\n", r->first[i]);
        if (r->nerrors > r->nfirst)
            fprintf(f, "  ... %llu more (see --report or --rejects)\n",
                    (unsigned long long)(r->nerrors - r->nfirst));
    }
    if (r->loading && r->load.delta && json_array_size(r->load.keys_missing)) {
        size_t n = json_array_size(r->load.keys_missing);
        char *k =
            json_dumps(json_array_get(r->load.keys_missing, 0), JSON_COMPACT);

        fprintf(f, "keys missing from the export: %zu (of %llu), e.g. %s\n", n,
                (unsigned long long)r->load.keys_stored, k ? k : "");
        free(k);
        if (r->load.missing_refused)
            fprintf(f, "  not deactivated: %s\n", r->load.missing_refused);
    }
    if (r->threshold)
        fprintf(f, "error threshold %s exceeded\n",
                r->info.max_errors ? r->info.max_errors : "");
}

void isl_report_free(struct isl_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrules; i++)
        free(r->rules[i].name);
    for (size_t i = 0; i < r->ncols; i++)
        free(r->cols[i].name);
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i].name);
    for (size_t i = 0; i < r->nfirst; i++)
        free(r->first[i]);
    free(r->rules);
    free(r->cols);
    free(r->fields);
    if (r->errors)
        fclose(r->errors);
    if (r->error_rows)
        fclose(r->error_rows);
    isl_buf_free(&r->line);
    free(r);
}
