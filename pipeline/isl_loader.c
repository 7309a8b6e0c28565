/*
 * isl_loader.c: the batched loader (see isl_loader.h).
 *
 * A batch moves through these states:
 *
 *   OPEN --full/finish--> QUEUED --(images: BEFORE, read the target)-->
 *   QUEUED --post--> POSTING --201--> READBACK --all final--> (AFTER) --> DONE
 *                      ^                 |                     |
 *                      |  429/503, not   |                     | pending
 *                      +-- sent ---------+                     v
 *                      |                 | ambiguous       WAIT_POLL --due-->
 *                      |                 v (timeout,           READBACK
 *                      +---- missing --- READBACK  closed after sending, 5xx)
 *   400/413/time limit: split in halves (QUEUED); one row: outcome error
 *
 * READBACK reads the batch's staging rows: by import set when the POST was
 * acknowledged cleanly (sys_import_set is indexed on an instance), by
 * correlation value (u_isload_rowINa,b,c) when the request may have been
 * committed more than once or not at all. Rows not found are resent in a
 * new batch; rows found twice report the first outcome (an insert beats
 * the update or ignore its resend caused) and a second target record the
 * duplicate inserted is deleted. In single mode a batch is one row and
 * the result comes inline; reconciliation works the same way.
 *
 * Results are kept on the batch (pointers into the response document)
 * until they are delivered together: after the AFTER read when images are
 * on and some rows were inserted or updated, at once otherwise. Every
 * path that ends a batch goes through deliver(), which tells the sink
 * `done`.
 */
#include "isl_setup.h"
#include "isl_loader.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_http.h"
#include "isl_jsonw.h"
#include "isl_row.h"
#include "out_format.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum bstate {
    B_OPEN,
    B_QUEUED,
    B_BEFORE,
    B_POSTING,
    B_READBACK,
    B_WAIT_POLL,
    B_AFTER,
    B_WAIT_AFTER,
    B_DONE
};

/* One row's result from the instance: pointers into a response document
 * of its batch (or static strings). */
struct entry {
    const char *state, *table, *sys_id, *set, *comment, *created;
};

struct lrow {
    uint64_t row_no;
    uint32_t file; /* index into l->files */
    uint64_t line;
    size_t rec_off, rec_len; /* its JSON record in b->records */
    size_t key_off;   /* in b->keys: display text, NUL, key JSON, NUL, then
                         one NUL-terminated value per target match field */
    json_t *before;   /* its batch's before-image set (a reference), or NULL */
    bool before_read; /* before is final (read, given, or not needed) */
    bool journaled;   /* its before-image went to the sink */
    bool has_res;
    struct entry res;
    const json_t *after; /* borrowed from b->after_doc */
};

struct batch {
    struct isl_loader *l;
    struct isl_http_req req;
    uint64_t id;
    struct lrow *rows;
    size_t n, cap;
    struct isl_buf records, keys;
    enum bstate state;
    bool reconcile;    /* readback after an ambiguous failure */
    bool acked;        /* the POST was acknowledged */
    bool by_set;       /* read back by import set, not by correlation */
    bool maybe_staged; /* an earlier attempt may have been committed */
    bool journaled;    /* the sink heard of it (sent) */
    int attempts;      /* POST attempts */
    int reads;         /* reads (readback or image) that failed in a row */
    double not_before, poll_delay, poll_start;
    char import_set[64];
    json_t *res_doc;   /* the response the results point into */
    json_t *err_doc;   /* an error message all rows share */
    json_t *after_doc; /* the after-image response */
    struct batch *next;
};

struct del_req {
    struct isl_http_req req;
    struct isl_loader *l;
    int attempts;
};

struct isl_loader {
    struct isl_loader_opts o;
    struct isl_http *http;
    struct isl_loader_sink sink;
    struct batch *batches;     /* every batch not DONE, oldest first */
    struct batch *open;        /* the batch being filled */
    struct batch *open_staged; /* the batch of rows to reconcile first */
    uint64_t next_batch;
    uint64_t last_row; /* for the increasing row number check */
    int posting;       /* POSTs in flight */
    int reading;       /* reads in flight */
    char multi_id[64]; /* multi import set of the run */
    char last_set[64]; /* for run_after */
    char **files;      /* interned file names */
    size_t nfiles;
    char **sets; /* import set ids seen */
    size_t nsets;
    int deletes; /* DELETEs in flight */
    bool stopped;
    int fatal; /* < 0: abort with fatal_msg */
    char fatal_msg[512];
    struct isl_loader_stats stats;
    unsigned rng;
};

static void fail(struct isl_loader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct isl_loader *l, const char *fmt, ...)
{
    va_list ap;

    if (l->fatal)
        return;
    l->fatal = ISL_EIO;
    va_start(ap, fmt);
    vsnprintf(l->fatal_msg, sizeof(l->fatal_msg), fmt, ap);
    va_end(ap);
}

static double jitter(struct isl_loader *l)
{
    l->rng = l->rng * 1103515245u + 12345u;
    return 0.5 + (double)((l->rng >> 8) & 0xffff) / 65536.0;
}

static double backoff(struct isl_loader *l, int attempt)
{
    double d = 0.25 * pow(2, attempt > 8 ? 8 : attempt - 1);

    if (d > 30)
        d = 30;
    return d * jitter(l);
}

int isl_loader_new(struct isl_loader **out, struct isl_http *http,
                   const struct isl_loader_opts *opts,
                   const struct isl_loader_sink *sink, struct isl_error *err)
{
    struct isl_loader *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (!l)
        return isl_error_set(err, ISL_ENOMEM, "loader", "out of memory");
    l->o = *opts;
    if (!l->o.batch_rows)
        l->o.batch_rows = 200;
    if (l->o.mode == ISL_MODE_SINGLE)
        l->o.batch_rows = 1;
    if (!l->o.batch_bytes)
        l->o.batch_bytes = (size_t)4 << 20;
    if (l->o.concurrency < 1)
        l->o.concurrency = 1;
    if (!l->o.corr_col)
        l->o.corr_col = "u_isload_row";
    if (l->o.max_attempts < 1)
        l->o.max_attempts = 8;
    if (l->o.poll_timeout <= 0)
        l->o.poll_timeout = 600;
    if (l->o.target && !l->o.target->table)
        l->o.target = NULL;
    l->http = http;
    l->sink = *sink;
    l->rng = 12345u;
    *out = l;
    return 0;
}

/* ---- batches and rows ---- */

static struct batch *batch_new(struct isl_loader *l)
{
    struct batch *b = calloc(1, sizeof(*b));
    struct batch **p;

    if (!b)
        return NULL;
    b->l = l;
    b->id = ++l->next_batch;
    isl_http_req_init(&b->req);
    b->req.payload = b;
    isl_buf_init(&b->records, (size_t)1 << 30);
    isl_buf_init(&b->keys, (size_t)1 << 28);
    b->state = B_OPEN;
    for (p = &l->batches; *p; p = &(*p)->next)
        ;
    *p = b;
    return b;
}

static void batch_free(struct batch *b)
{
    isl_http_req_free(&b->req);
    isl_buf_free(&b->records);
    isl_buf_free(&b->keys);
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->rows[i].before);
    json_decref(b->res_doc);
    json_decref(b->err_doc);
    json_decref(b->after_doc);
    free(b->rows);
    free(b);
}

static const char *key_text(const struct batch *b, const struct lrow *r)
{
    return b->keys.data + r->key_off;
}

static const char *key_json(const struct batch *b, const struct lrow *r)
{
    const char *t = key_text(b, r);

    return t + strlen(t) + 1;
}

/* The row's value for target match field k. */
static const char *match_value(const struct batch *b, const struct lrow *r,
                               size_t k)
{
    const char *v = key_json(b, r);

    for (size_t i = 0; i <= k; i++)
        v += strlen(v) + 1;
    return v;
}

static size_t keys_len(const struct isl_loader *l, const struct batch *b,
                       const struct lrow *r)
{
    const char *start = key_text(b, r), *v = key_json(b, r);
    size_t nmatch = l->o.target ? l->o.target->nmatch : 0;

    v += strlen(v) + 1;
    for (size_t i = 0; i < nmatch; i++)
        v += strlen(v) + 1;
    return (size_t)(v - start);
}

static uint32_t intern_file(struct isl_loader *l, const char *name)
{
    char **p;

    name = name ? name : "";
    for (size_t i = 0; i < l->nfiles; i++)
        if (strcmp(l->files[i], name) == 0)
            return (uint32_t)i;
    p = realloc(l->files, (l->nfiles + 1) * sizeof(*p));
    if (!p)
        return 0;
    l->files = p;
    p[l->nfiles] = strdup(name);
    return p[l->nfiles] ? (uint32_t)l->nfiles++ : 0;
}

static void note_set(struct isl_loader *l, const char *id)
{
    char **p;

    if (!id || !*id)
        return;
    for (size_t i = l->nsets; i > 0; i--)
        if (strcmp(l->sets[i - 1], id) == 0)
            return;
    p = realloc(l->sets, (l->nsets + 1) * sizeof(*p));
    if (!p)
        return;
    l->sets = p;
    if ((p[l->nsets] = strdup(id)))
        l->nsets++;
}

/* Append a row (record JSON and key texts already formatted) to b. */
static int batch_take(struct batch *b, const struct lrow *src, const char *rec,
                      const char *keys, size_t keys_n)
{
    struct lrow *r;

    if (b->n == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 16;
        struct lrow *p = realloc(b->rows, c * sizeof(*p));

        if (!p)
            return ISL_ENOMEM;
        b->rows = p;
        b->cap = c;
    }
    r = &b->rows[b->n];
    *r = *src;
    r->rec_off = b->records.len;
    r->key_off = b->keys.len;
    r->has_res = false;
    r->after = NULL;
    if (isl_buf_add(&b->records, rec, src->rec_len) < 0 ||
        isl_buf_add(&b->keys, keys, keys_n) < 0)
        return ISL_ENOMEM;
    json_incref(r->before);
    b->n++;
    return 0;
}

/* ---- outcomes ---- */

static void emit(struct isl_loader *l, struct batch *b, size_t i)
{
    struct lrow *r = &b->rows[i];
    const struct entry *e = &r->res;
    struct isl_outcome o = {
        .row_no = r->row_no,
        .file = l->files ? l->files[r->file] : "",
        .line = r->line,
        .key = key_text(b, r),
        .key_json = key_json(b, r),
        .state = e->state,
        .target_table = e->table ? e->table : "",
        .target_sys_id = e->sys_id ? e->sys_id : "",
        .import_set = e->set && *e->set ? e->set : b->import_set,
        .message = e->comment ? e->comment : "",
        .before = l->o.images && l->o.target ? r->before : NULL,
        .after = r->after,
    };

    if (l->sink.outcome(l->sink.payload, &o) < 0)
        fail(l, "cannot record an outcome");
}

/* Give every row of b that has a result, then end b. */
static void deliver(struct isl_loader *l, struct batch *b)
{
    bool any = false;

    for (size_t i = 0; i < b->n; i++)
        if (b->rows[i].has_res) {
            emit(l, b, i);
            any = true;
        }
    if (any && l->sink.done && l->sink.done(l->sink.payload, b->id) < 0)
        fail(l, "cannot record the outcomes of a batch");
    b->state = B_DONE;
}

/* Every row of b ends as error with msg (copied into the batch). */
static void all_error(struct isl_loader *l, struct batch *b, const char *msg)
{
    json_decref(b->err_doc);
    b->err_doc = json_string(msg);
    for (size_t i = 0; i < b->n; i++) {
        struct lrow *r = &b->rows[i];

        if (r->has_res)
            continue;
        r->has_res = true;
        r->res = (struct entry){.state = "error",
                                .comment = json_string_value(b->err_doc)};
    }
    deliver(l, b);
}

/* ---- images: the target records before and after ---- */

static void on_image_done(struct isl_http_req *req);

static const char *const sys_fields[] = {"sys_id", "sys_mod_count",
                                         "sys_created_on", "sys_updated_on"};

/* Start a Table API read of table for b with the query in q. */
static void image_read(struct isl_loader *l, struct batch *b, const char *table,
                       const char *query, size_t limit, bool with_match)
{
    const struct isl_feed_target *t = l->o.target;
    const char *fields[64];
    size_t nf = 0;

    for (size_t i = 0; i < ISL_ARRAY_LEN(sys_fields); i++)
        fields[nf++] = sys_fields[i];
    for (size_t i = 0; t && with_match && i < t->nmatch && nf < 64; i++)
        fields[nf++] = t->match[2 * i];
    for (size_t i = 0; t && i < t->nfields && nf < 64; i++)
        fields[nf++] = t->fields[2 * i];
    isl_buf_reset(&b->req.url);
    isl_buf_reset(&b->req.body);
    b->req.method = "GET";
    b->req.done = on_image_done;
    b->req.log_tag = b->state == B_BEFORE ? "before-image" : "after-image";
    if (out_format_table_get(&b->req.url, table, query, fields, nf, limit) <
        0) {
        fail(l, "out of memory");
        return;
    }
    l->stats.image_reads++;
    l->reading++;
    isl_http_submit(l->http, &b->req);
}

/* Read the target records the batch's keys match, before it is sent. */
static void before_read(struct isl_loader *l, struct batch *b)
{
    const struct isl_feed_target *t = l->o.target;
    const char **vals = calloc(b->n ? b->n : 1, sizeof(*vals));
    struct isl_buf q;
    size_t nq = 0;

    isl_buf_init(&q, 32 << 20);
    if (!vals) {
        fail(l, "out of memory");
        return;
    }
    /* rows whose match values can all stand in an IN list */
    for (size_t k = 0; k < t->nmatch; k++) {
        size_t nv = 0;

        for (size_t i = 0; i < b->n; i++) {
            bool ok = !b->rows[i].before_read;

            for (size_t j = 0; ok && j < t->nmatch; j++)
                ok = out_format_in_value_ok(match_value(b, &b->rows[i], j));
            if (ok)
                vals[nv++] = match_value(b, &b->rows[i], k);
        }
        nq = nv;
        if (nv && out_format_in_term(&q, t->match[2 * k], vals, nv) < 0)
            fail(l, "out of memory");
    }
    free(vals);
    if (!nq || !t->nmatch || l->fatal) {
        /* nothing to ask: no row's key can match a record */
        for (size_t i = 0; i < b->n; i++)
            if (!b->rows[i].before_read) {
                json_decref(b->rows[i].before);
                b->rows[i].before = json_array();
                b->rows[i].before_read = true;
            }
        isl_buf_free(&q);
        return;
    }
    b->state = B_BEFORE;
    image_read(l, b, t->table, q.data, nq * 8 + 100, true);
    isl_buf_free(&q);
}

static bool wants_after(const struct lrow *r)
{
    return r->has_res && r->res.sys_id && *r->res.sys_id &&
           (strcmp(r->res.state, "inserted") == 0 ||
            strcmp(r->res.state, "updated") == 0);
}

/* Results are in: read what the batch wrote, or deliver at once. */
static void finish_results(struct isl_loader *l, struct batch *b)
{
    const char *table = l->o.target ? l->o.target->table : NULL;
    struct isl_buf q;
    bool first = true;
    size_t n = 0;
    int rc = 0;

    if (!l->o.images) {
        deliver(l, b);
        return;
    }
    isl_buf_init(&q, 32 << 20);
    rc |= isl_buf_adds(&q, "sys_idIN");
    for (size_t i = 0; i < b->n; i++) {
        const struct lrow *r = &b->rows[i];

        if (!wants_after(r))
            continue;
        if (!table)
            table = r->res.table;
        if (!table || !*table || strcmp(table, r->res.table) != 0 ||
            !out_format_in_value_ok(r->res.sys_id))
            continue;
        rc |= isl_buf_adds(&q, first ? "" : ",");
        rc |= isl_buf_adds(&q, r->res.sys_id);
        first = false;
        n++;
    }
    if (rc)
        fail(l, "out of memory");
    if (!n || rc) {
        for (size_t i = 0; i < b->n; i++)
            if (wants_after(&b->rows[i]))
                l->stats.images_missing++;
        isl_buf_free(&q);
        deliver(l, b);
        return;
    }
    b->state = B_AFTER;
    image_read(l, b, table, q.data, n + 16, false);
    isl_buf_free(&q);
}

static void image_failed(struct isl_loader *l, struct batch *b);

static void on_image_done(struct isl_http_req *req)
{
    struct batch *b = req->payload;
    struct isl_loader *l = b->l;
    json_t *doc, *res;

    l->reading--;
    if (req->status != 200) {
        image_failed(l, b);
        return;
    }
    doc = json_loads(req->resp.data ? req->resp.data : "", 0, NULL);
    res = json_object_get(doc, "result");
    if (!json_is_array(res)) {
        json_decref(doc);
        image_failed(l, b);
        return;
    }
    b->reads = 0;
    if (b->state == B_BEFORE) {
        for (size_t i = 0; i < b->n; i++)
            if (!b->rows[i].before_read) {
                json_decref(b->rows[i].before);
                b->rows[i].before = json_incref(res);
                b->rows[i].before_read = true;
            }
        json_decref(doc);
        if (l->stopped) {
            /* never posted: these rows are not sent */
            l->stats.rows_sent -= b->n;
            b->state = B_DONE;
            return;
        }
        b->state = B_QUEUED;
        return;
    }
    /* after-images: attach each record to the rows it belongs to */
    json_decref(b->after_doc);
    b->after_doc = doc;
    for (size_t i = 0; i < b->n; i++) {
        struct lrow *r = &b->rows[i];
        size_t k;
        json_t *e;

        if (!wants_after(r))
            continue;
        json_array_foreach(res, k, e)
        {
            const char *id = json_string_value(json_object_get(e, "sys_id"));

            if (id && strcmp(id, r->res.sys_id) == 0)
                r->after = e;
        }
        if (!r->after)
            l->stats.images_missing++;
    }
    deliver(l, b);
}

static const char *error_message(const struct isl_http_req *req, char *buf,
                                 size_t n);

static void image_failed(struct isl_loader *l, struct batch *b)
{
    struct isl_http_req *req = &b->req;
    char msg[600];

    b->reads++;
    if (req->status == 401 && b->reads < 2) {
        struct isl_error err;

        isl_error_clear(&err);
        isl_http_refresh_token(l->http, &err);
    } else if (req->status == 401 || req->status == 403 || req->status == 400 ||
               req->status == 404 || b->reads >= l->o.max_attempts) {
        if (b->state == B_AFTER) {
            /* the rows are loaded; only their after-image is missing */
            for (size_t i = 0; i < b->n; i++)
                if (wants_after(&b->rows[i]))
                    l->stats.images_missing++;
            deliver(l, b);
            return;
        }
        if (req->status == 401)
            fail(l, "%s (authentication refused reading %s)",
                 error_message(req, msg, sizeof(msg)), l->o.target->table);
        else
            fail(l,
                 "cannot read the before-images from %s: %s (the user needs "
                 "read access to the target table, or load with "
                 "--no-manifest)",
                 l->o.target->table, error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (req->status == 429 || req->status == 503)
        isl_http_pause(l->http, req->retry_after > 0 ? req->retry_after
                                                     : backoff(l, b->reads));
    l->stats.retries++;
    /* the pump asks again when it is due */
    b->not_before = isl_http_now() + backoff(l, b->reads);
    b->state = b->state == B_BEFORE ? B_QUEUED : B_WAIT_AFTER;
}

/* ---- posting ---- */

static void on_post_done(struct isl_http_req *req);
static void on_read_done(struct isl_http_req *req);

static int build_post(struct isl_loader *l, struct batch *b)
{
    struct isl_http_req *req = &b->req;
    int rc = 0;

    isl_buf_reset(&req->url);
    isl_buf_reset(&req->body);
    req->method = "POST";
    req->done = on_post_done;
    req->log_tag = NULL;
    if (l->o.mode == ISL_MODE_SINGLE) {
        rc |= isl_buf_addf(&req->url, "/api/now/import/%s", l->o.staging_table);
        rc |= isl_buf_add(&req->body, b->records.data + b->rows[0].rec_off,
                          b->rows[0].rec_len);
        return rc ? ISL_ENOMEM : 0;
    }
    rc |= isl_buf_addf(&req->url, "/api/now/import/%s/insertMultiple",
                       l->o.staging_table);
    if (l->multi_id[0]) {
        rc |= isl_buf_adds(&req->url, "?multi_import_set_id=");
        rc |= out_format_urlencode(&req->url, l->multi_id);
    }
    if (l->o.ordered && l->last_set[0]) {
        rc |= isl_buf_adds(&req->url, l->multi_id[0] ? "&" : "?");
        rc |= isl_buf_adds(&req->url, "run_after=");
        rc |= out_format_urlencode(&req->url, l->last_set);
    }
    rc |= out_format_batch_open(&req->body);
    for (size_t i = 0; i < b->n; i++) {
        if (i)
            rc |= isl_buf_addc(&req->body, ',');
        rc |= isl_buf_add(&req->body, b->records.data + b->rows[i].rec_off,
                          b->rows[i].rec_len);
    }
    rc |= out_format_batch_close(&req->body);
    return rc ? ISL_ENOMEM : 0;
}

/* Tell the sink which rows may now reach the instance (once a batch),
 * with the before-image set its new rows share. */
static int journal_sent(struct isl_loader *l, struct batch *b)
{
    uint64_t *rows;
    const json_t *before = NULL;
    int rc;

    if (b->journaled || !l->sink.sent)
        return 0;
    rows = malloc(b->n * sizeof(*rows));
    if (!rows)
        return ISL_ENOMEM;
    for (size_t i = 0; i < b->n; i++) {
        rows[i] = b->rows[i].row_no;
        if (!b->rows[i].journaled && b->rows[i].before)
            before = b->rows[i].before;
    }
    rc = l->sink.sent(l->sink.payload, b->id, rows, b->n, before);
    free(rows);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < b->n; i++)
        b->rows[i].journaled = true;
    b->journaled = true;
    return 0;
}

static void post(struct isl_loader *l, struct batch *b)
{
    if (journal_sent(l, b) < 0) {
        fail(l, "cannot write the run journal");
        return;
    }
    if (build_post(l, b) < 0) {
        fail(l, "out of memory");
        return;
    }
    b->state = B_POSTING;
    b->attempts++;
    if (b->attempts > 1)
        l->stats.retries++;
    l->posting++;
    isl_http_submit(l->http, &b->req);
}

/* GET the staging rows of this batch, by import set or by correlation. */
static void readback(struct isl_loader *l, struct batch *b)
{
    struct isl_http_req *req = &b->req;
    char corr[96];
    int rc = 0;

    isl_buf_reset(&req->url);
    isl_buf_reset(&req->body);
    req->method = "GET";
    req->done = on_read_done;
    req->log_tag = b->import_set[0] ? b->import_set : NULL;
    rc |= isl_buf_addf(&req->url,
                       "/api/now/table/%s?sysparm_query=", l->o.staging_table);
    if (b->by_set) {
        rc |= isl_buf_adds(&req->url, "sys_import_set%3D");
        rc |= out_format_urlencode(&req->url, b->import_set);
    } else {
        rc |= out_format_urlencode(&req->url, l->o.corr_col);
        rc |= isl_buf_adds(&req->url, "IN");
        for (size_t i = 0; i < b->n; i++) {
            if (i)
                rc |= isl_buf_adds(&req->url, "%2C");
            out_format_corr(corr, sizeof(corr), l->o.run_id, b->rows[i].row_no);
            rc |= out_format_urlencode(&req->url, corr);
        }
    }
    rc |= isl_buf_adds(&req->url, "%5EORDERBYsys_created_on&sysparm_fields=");
    rc |= out_format_urlencode(&req->url, l->o.corr_col);
    rc |= isl_buf_addf(
        &req->url,
        "%%2Csys_id%%2Csys_import_set%%2Csys_import_state%%2C"
        "sys_import_state_comment%%2Csys_target_table%%2Csys_target_sys_id"
        "%%2Csys_row_error%%2Csys_created_on&sysparm_limit=%zu"
        "&sysparm_exclude_reference_link=true",
        b->n * 4 + 16);
    if (rc) {
        fail(l, "out of memory");
        return;
    }
    b->state = B_READBACK;
    l->stats.polls++;
    l->reading++;
    isl_http_submit(l->http, req);
}

/* Send the rows of b marked in take again as a new batch. */
static struct batch *resend(struct isl_loader *l, struct batch *b,
                            const bool *take)
{
    struct batch *nb = batch_new(l);

    if (!nb) {
        fail(l, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct lrow *r = &b->rows[i];

        if (!take[i])
            continue;
        if (batch_take(nb, r, b->records.data + r->rec_off,
                       b->keys.data + r->key_off, keys_len(l, b, r)) < 0) {
            fail(l, "out of memory");
            return NULL;
        }
    }
    nb->attempts = b->attempts; /* the rows keep their attempt count */
    nb->state = B_QUEUED;
    return nb;
}

static void split(struct isl_loader *l, struct batch *b)
{
    bool *take = calloc(b->n, sizeof(*take));
    size_t half = b->n / 2;

    if (!take) {
        fail(l, "out of memory");
        return;
    }
    l->stats.splits++;
    /* halves start afresh: a refusal is about the batch, not the rows */
    for (int h = 0; h < 2; h++) {
        struct batch *nb;

        for (size_t i = 0; i < b->n; i++)
            take[i] = h == 0 ? i < half : i >= half;
        if (!(nb = resend(l, b, take)))
            break;
        nb->attempts = 0;
    }
    free(take);
    b->state = B_DONE;
}

static const char *error_message(const struct isl_http_req *req, char *buf,
                                 size_t n)
{
    json_t *doc = req->resp.data ? json_loads(req->resp.data, 0, NULL) : NULL;
    json_t *e = json_object_get(doc, "error");
    const char *m = json_string_value(json_object_get(e, "message"));
    const char *d = json_string_value(json_object_get(e, "detail"));

    if (m)
        snprintf(buf, n, "HTTP %ld: %s%s%s", req->status, m,
                 d && *d ? ": " : "", d ? d : "");
    else if (req->status)
        snprintf(buf, n, "HTTP %ld", req->status);
    else
        snprintf(buf, n, "%s", req->error);
    json_decref(doc);
    return buf;
}

static bool time_limit(const struct isl_http_req *req)
{
    return req->status == 500 && req->resp.data &&
           (strstr(req->resp.data, "maximum execution time") ||
            strstr(req->resp.data, "Transaction cancelled"));
}

/* Start reconciling b: read its rows back by correlation. */
static void start_reconcile(struct batch *b, double delay)
{
    b->maybe_staged = true;
    b->reconcile = true;
    b->by_set = false;
    b->not_before = isl_http_now() + delay;
    b->poll_start = isl_http_now();
    b->poll_delay = 0.1;
    b->state = B_WAIT_POLL;
}

/* Single mode: the outcome comes in the response. */
static void single_result(struct isl_loader *l, struct batch *b)
{
    json_t *doc = json_loads(b->req.resp.data ? b->req.resp.data : "", 0, NULL);
    json_t *res = json_array_get(json_object_get(doc, "result"), 0);
    const char *status = json_string_value(json_object_get(res, "status"));
    const char *set = json_string_value(json_object_get(doc, "import_set"));
    const char *msg = json_string_value(json_object_get(res, "error_message"));

    if (!msg)
        msg = json_string_value(json_object_get(res, "status_message"));
    note_set(l, set);
    if (set)
        snprintf(b->import_set, sizeof(b->import_set), "%s", set);
    b->acked = true;
    if (!status || ((b->req.resent || b->maybe_staged) &&
                    strcmp(status, "inserted") != 0)) {
        /*
         * No result, or libcurl sent the request twice by itself (a
         * reused connection died before the answer): this may be the
         * answer to the copy. Read the row back; its first outcome is
         * the true one.
         */
        json_decref(doc);
        start_reconcile(b, 0);
        readback(l, b);
        return;
    }
    json_decref(b->res_doc);
    b->res_doc = doc;
    b->rows[0].has_res = true;
    b->rows[0].res = (struct entry){
        .state = status,
        .table = json_string_value(json_object_get(res, "table")),
        .sys_id = json_string_value(json_object_get(res, "sys_id")),
        .set = set,
        .comment = msg,
    };
    finish_results(l, b);
}

static void on_post_done(struct isl_http_req *req)
{
    struct batch *b = req->payload;
    struct isl_loader *l = b->l;
    char msg[600];

    l->posting--;
    if (req->resent && req->status != 200 && req->status != 201) {
        /* libcurl sent it twice and the copy failed: the first may have
         * been committed, so ask before sending again */
        if (req->status == 429 || req->status == 503)
            isl_http_pause(l->http, req->retry_after > 0
                                        ? req->retry_after
                                        : backoff(l, b->attempts));
        start_reconcile(b, backoff(l, b->attempts));
        return;
    }
    if (req->status == 200 || req->status == 201) {
        if (l->o.mode == ISL_MODE_SINGLE) {
            single_result(l, b);
            return;
        }
        {
            json_t *doc =
                json_loads(req->resp.data ? req->resp.data : "", 0, NULL);
            const char *set =
                json_string_value(json_object_get(doc, "import_set_id"));
            const char *multi =
                json_string_value(json_object_get(doc, "multi_import_set_id"));

            if (set) {
                snprintf(b->import_set, sizeof(b->import_set), "%s", set);
                snprintf(l->last_set, sizeof(l->last_set), "%s", set);
                note_set(l, set);
            }
            if (multi && !l->multi_id[0])
                snprintf(l->multi_id, sizeof(l->multi_id), "%s", multi);
            json_decref(doc);
        }
        b->acked = true;
        /* a clean answer to one request: its import set holds the rows */
        b->by_set = b->import_set[0] && !req->resent && !b->maybe_staged;
        if (l->sink.acked &&
            l->sink.acked(l->sink.payload, b->id, b->import_set) < 0)
            fail(l, "cannot write the run journal");
        b->poll_start = isl_http_now();
        b->poll_delay = 0.1;
        readback(l, b);
        return;
    }
    if (req->status == 429 || (req->status == 503 && !req->sent)) {
        isl_http_pause(l->http, req->retry_after > 0 ? req->retry_after
                                                     : backoff(l, b->attempts));
        b->state = B_QUEUED;
        return;
    }
    if (req->status == 401 && b->attempts < 2) {
        struct isl_error err;

        isl_error_clear(&err);
        if (isl_http_refresh_token(l->http, &err) == 0) {
            b->state = B_QUEUED;
            return;
        }
    }
    if (req->status == 401 || req->status == 403 || req->status == 404) {
        fail(l, "%s (%s /api/now/import/%s)",
             error_message(req, msg, sizeof(msg)),
             req->status == 401   ? "authentication refused"
             : req->status == 403 ? "the user may not import; it needs the "
                                    "import_set_loader role"
                                  : "no such staging table",
             l->o.staging_table);
        b->state = B_DONE;
        return;
    }
    if (time_limit(req)) {
        /* cancelled mid-way: some rows may be staged */
        start_reconcile(b, 0);
        readback(l, b);
        return;
    }
    if (req->status == 400 || req->status == 413) {
        if (b->n > 1)
            split(l, b);
        else
            all_error(l, b, error_message(req, msg, sizeof(msg)));
        return;
    }
    /* 5xx or a transport error: if nothing was sent, just retry */
    if (b->attempts >= l->o.max_attempts) {
        fail(l, "the instance did not take a batch after %d attempts: %s",
             b->attempts, error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (!req->sent && req->status == 0) {
        b->not_before = isl_http_now() + backoff(l, b->attempts);
        b->state = B_QUEUED;
        return;
    }
    if (req->status == 503)
        isl_http_pause(l->http, req->retry_after > 0 ? req->retry_after
                                                     : backoff(l, b->attempts));
    /* may have been committed: ask the instance before resending */
    start_reconcile(b, backoff(l, b->attempts));
}

/* ---- reading results back ---- */

static const char *field_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    if (json_is_object(v)) /* a reference with a link */
        v = json_object_get(v, "value");
    return json_is_string(v) ? json_string_value(v) : "";
}

/* Find the batch row whose correlation value is corr; -1 if none. Rows
 * of a batch are in increasing row number order. */
static long row_of(struct isl_loader *l, struct batch *b, const char *corr)
{
    size_t plen = strlen(l->o.run_id), lo = 0, hi = b->n;
    uint64_t no;
    char *end;

    if (strncmp(corr, l->o.run_id, plen) != 0 || corr[plen] != '-')
        return -1;
    no = strtoull(corr + plen + 1, &end, 10);
    if (*end)
        return -1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (b->rows[mid].row_no < no)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n && b->rows[lo].row_no == no ? (long)lo : -1;
}

static void on_delete_done(struct isl_http_req *req)
{
    struct del_req *d = req->payload;
    struct isl_loader *l = d->l;

    if ((req->status == 429 || req->status >= 500 || req->status == 0) &&
        d->attempts < l->o.max_attempts) {
        d->attempts++;
        if (req->status == 429)
            isl_http_pause(l->http,
                           req->retry_after > 0 ? req->retry_after : 1);
        isl_http_submit(l->http, req);
        return;
    }
    if (req->status == 200 || req->status == 204 || req->status == 404)
        l->stats.duplicates_undone++;
    else
        fprintf(stderr,
                "isload: warning: could not delete the duplicate record "
                "%s (HTTP %ld); delete it by hand\n",
                req->url.data, req->status);
    l->deletes--;
    isl_http_req_free(req);
    free(d);
}

static void delete_duplicate(struct isl_loader *l, const char *table,
                             const char *sys_id)
{
    struct del_req *d = calloc(1, sizeof(*d));

    if (!d || !*table || !*sys_id) {
        free(d);
        return;
    }
    isl_http_req_init(&d->req);
    d->l = l;
    d->attempts = 1;
    d->req.method = "DELETE";
    d->req.payload = d;
    d->req.done = on_delete_done;
    d->req.log_tag = "duplicate";
    if (isl_buf_addf(&d->req.url, "/api/now/table/%s/%s", table, sys_id) < 0) {
        isl_http_req_free(&d->req);
        free(d);
        return;
    }
    l->deletes++;
    isl_http_submit(l->http, &d->req);
}

static void read_failed(struct isl_loader *l, struct batch *b)
{
    struct isl_http_req *req = &b->req;
    char msg[600];

    b->reads++;
    if (req->status == 401 && b->reads < 2) {
        struct isl_error err;

        isl_error_clear(&err);
        isl_http_refresh_token(l->http, &err);
    } else if (req->status == 401 || req->status == 403 || req->status == 404 ||
               req->status == 400) {
        fail(l,
             "cannot read results from %s: %s (the user needs read "
             "access to the staging table)",
             l->o.staging_table, error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (b->reads >= l->o.max_attempts) {
        fail(l, "cannot read results after %d attempts: %s", b->reads,
             error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (req->status == 429 || req->status == 503)
        isl_http_pause(l->http, req->retry_after > 0 ? req->retry_after
                                                     : backoff(l, b->reads));
    l->stats.retries++;
    b->not_before = isl_http_now() + backoff(l, b->reads);
    b->state = B_WAIT_POLL;
}

static void on_read_done(struct isl_http_req *req)
{
    struct batch *b = req->payload;
    struct isl_loader *l = b->l;
    json_t *doc, *res;
    struct entry *best = NULL;
    bool *missing = NULL, pending = false, any_missing = false;
    size_t i;
    json_t *e;

    l->reading--;
    if (req->status != 200) {
        read_failed(l, b);
        return;
    }
    b->reads = 0;
    doc = json_loads(req->resp.data ? req->resp.data : "", 0, NULL);
    res = json_object_get(doc, "result");
    best = calloc(b->n, sizeof(*best));
    missing = calloc(b->n, sizeof(*missing));
    if (!json_is_array(res) || !best || !missing) {
        json_decref(doc);
        free(best);
        free(missing);
        read_failed(l, b);
        return;
    }
    json_array_foreach(res, i, e)
    {
        const char *st = field_str(e, "sys_import_state");

        if (row_of(l, b, field_str(e, l->o.corr_col)) >= 0 &&
            (strcmp(st, "pending") == 0 || !*st))
            pending = true;
    }
    json_array_foreach(res, i, e)
    {
        long k = row_of(l, b, field_str(e, l->o.corr_col));
        struct entry cur = {field_str(e, "sys_import_state"),
                            field_str(e, "sys_target_table"),
                            field_str(e, "sys_target_sys_id"),
                            field_str(e, "sys_import_set"),
                            field_str(e, "sys_import_state_comment"),
                            field_str(e, "sys_created_on")};

        if (k < 0)
            continue;
        if (!*cur.comment)
            cur.comment = field_str(e, "sys_row_error");
        if (!best[k].state) {
            best[k] = cur;
            continue;
        }
        if (pending)
            continue;
        /* staged twice: the first outcome is the true one */
        l->stats.duplicates++;
        if (strcmp(cur.state, "inserted") == 0 &&
            strcmp(best[k].state, "inserted") != 0) {
            struct entry t = best[k];
            best[k] = cur;
            cur = t;
        }
        if (strcmp(cur.state, "inserted") == 0 &&
            strcmp(cur.sys_id, best[k].sys_id) != 0)
            delete_duplicate(l, cur.table, cur.sys_id);
    }
    if (pending) {
        json_decref(doc);
        free(best);
        free(missing);
        if (isl_http_now() - b->poll_start > l->o.poll_timeout) {
            all_error(l, b,
                      "the transform did not finish within the poll timeout "
                      "(row left pending on the instance)");
        } else {
            b->not_before = isl_http_now() + b->poll_delay;
            b->poll_delay = b->poll_delay * 2 > 5 ? 5 : b->poll_delay * 2;
            b->state = B_WAIT_POLL;
        }
        return;
    }
    for (i = 0; i < b->n; i++) {
        if (!best[i].state) {
            missing[i] = true;
            any_missing = true;
            continue;
        }
        if (b->reconcile)
            l->stats.reconciled++;
        note_set(l, best[i].set);
        b->rows[i].has_res = true;
        b->rows[i].res = best[i];
    }
    json_decref(b->res_doc);
    b->res_doc = doc; /* the results point into it */
    if (any_missing) {
        /* not staged: safe to send again */
        struct batch *nb = resend(l, b, missing);

        if (nb && b->attempts >= l->o.max_attempts) {
            all_error(l, nb, "not staged after the maximum number of attempts");
        } else if (nb && !b->reconcile) {
            /* acknowledged but not found: resend once more */
            nb->attempts = b->attempts;
        }
    }
    free(best);
    free(missing);
    finish_results(l, b);
}

/* ---- the pump ---- */

static bool may_post(struct isl_loader *l)
{
    if (l->o.ordered && l->posting > 0)
        return false;
    /* the first insertMultiple creates the run's multi import set */
    if (l->o.mode == ISL_MODE_MULTIPLE && !l->multi_id[0] && l->posting > 0)
        return false;
    return l->posting < l->o.concurrency;
}

static bool may_read(const struct isl_loader *l)
{
    return l->reading < l->o.concurrency;
}

static bool needs_before(const struct isl_loader *l, const struct batch *b)
{
    if (!l->o.images || !l->o.target)
        return false;
    for (size_t i = 0; i < b->n; i++)
        if (!b->rows[i].before_read)
            return true;
    return false;
}

static void pump(struct isl_loader *l, int timeout_ms)
{
    double now = isl_http_now();
    struct batch **p;

    for (struct batch *b = l->batches; b; b = b->next) {
        if (l->fatal)
            break;
        if (b->state == B_QUEUED && needs_before(l, b)) {
            if (b->not_before <= now && may_read(l))
                before_read(l, b);
        } else if (b->state == B_WAIT_AFTER && b->not_before <= now &&
                   may_read(l)) {
            finish_results(l, b);
        } else if (b->state == B_QUEUED && b->not_before <= now &&
                   may_post(l)) {
            post(l, b);
        } else if (b->state == B_WAIT_POLL && b->not_before <= now &&
                   may_read(l)) {
            readback(l, b);
        }
    }
    if (isl_http_pending(l->http) == 0 && timeout_ms > 0) {
        /* nothing on the wire: sleep until the next batch is due */
        double next = now + timeout_ms / 1000.0;

        for (struct batch *b = l->batches; b; b = b->next)
            if ((b->state == B_QUEUED || b->state == B_WAIT_POLL ||
                 b->state == B_WAIT_AFTER) &&
                b->not_before > now && b->not_before < next)
                next = b->not_before;
        if (next > now) {
            struct timespec ts;
            double d = next - now;

            ts.tv_sec = (time_t)d;
            ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
            nanosleep(&ts, NULL);
        }
    }
    isl_http_run(l->http, timeout_ms);
    /* free finished batches */
    p = &l->batches;
    while (*p) {
        if ((*p)->state == B_DONE) {
            struct batch *d = *p;
            *p = d->next;
            batch_free(d);
        } else {
            p = &(*p)->next;
        }
    }
}

static size_t live_batches(const struct isl_loader *l)
{
    size_t n = 0;

    for (struct batch *b = l->batches; b; b = b->next)
        n += b->state != B_OPEN;
    return n;
}

static int check(struct isl_loader *l, struct isl_error *err)
{
    if (!l->fatal)
        return 0;
    return isl_error_set(err, l->fatal, "loader", "%s", l->fatal_msg);
}

/* Close the batch being filled: queued to post, or to reconcile first. */
static void close_batch(struct isl_loader *l, struct batch **slot)
{
    struct batch *b = *slot;

    if (!b || !b->n)
        return;
    if (slot == &l->open_staged) {
        /* an earlier attempt sent these rows: ask before sending them */
        b->journaled = true;
        start_reconcile(b, 0);
    } else {
        b->state = B_QUEUED;
    }
    *slot = NULL;
}

/* Build a row's record and key texts, then add it to the batch in slot. */
static int add_row(struct isl_loader *l, struct batch **slot,
                   const struct isl_row *row, uint64_t row_no,
                   const json_t *before, bool before_read)
{
    const struct isl_feed_target *t = l->o.target;
    struct isl_buf rec, key;
    struct lrow r = {0};
    char corr[96];
    int rc;

    if (row_no <= l->last_row)
        return ISL_ECONFIG; /* row numbers must increase */
    l->last_row = row_no;
    if (!*slot && !(*slot = batch_new(l)))
        return ISL_ENOMEM;
    r.row_no = row_no;
    r.file = intern_file(l, row->pos.file);
    r.line = row->pos.line ? row->pos.line : row->pos.record;
    r.before = (json_t *)before; /* batch_take takes its reference */
    r.before_read = before_read || !l->o.images || !t;
    r.journaled = before_read;
    isl_buf_init(&rec, (size_t)1 << 30);
    isl_buf_init(&key, 1 << 20);
    out_format_corr(corr, sizeof(corr), l->o.run_id, r.row_no);
    rc = out_format_record(&rec, row, l->o.labels, l->o.corr_col, corr);
    /* the key as text for messages, then as JSON, then match values */
    for (size_t k = 0; k < l->o.nkey && rc == 0; k++) {
        const struct isl_field *f = isl_row_find(row, l->o.key_cols[k]);

        rc = isl_buf_addf(&key, "%s%s=%s", k ? ", " : "", l->o.key_cols[k],
                          f ? f->value : "");
    }
    rc |= isl_buf_addc(&key, '\0');
    rc |= out_format_key_json(&key, row, l->o.key_cols, l->o.nkey);
    rc |= isl_buf_addc(&key, '\0');
    for (size_t k = 0; t && k < t->nmatch && rc == 0; k++) {
        const struct isl_field *f = isl_row_find(row, t->match[2 * k + 1]);

        rc |= isl_buf_adds(&key, f ? f->value : "");
        rc |= isl_buf_addc(&key, '\0');
    }
    r.rec_len = rec.len;
    if (rc == 0) {
        /* the byte cap closes the batch before this row when needed */
        if ((*slot)->n && (*slot)->records.len + rec.len > l->o.batch_bytes) {
            close_batch(l, slot);
            if (!(*slot = batch_new(l)))
                rc = ISL_ENOMEM;
        }
        if (rc == 0)
            rc = batch_take(*slot, &r, rec.data, key.data, key.len);
    }
    isl_buf_free(&rec);
    isl_buf_free(&key);
    if (rc < 0)
        return ISL_ENOMEM;
    l->stats.rows_sent++;
    if ((*slot)->n >= l->o.batch_rows)
        close_batch(l, slot);
    return 0;
}

/* After a row was added: keep the network going, within the memory cap. */
static int run_some(struct isl_loader *l, struct isl_error *err)
{
    while (!l->fatal && live_batches(l) >= (size_t)l->o.concurrency * 2 + 2)
        pump(l, 50);
    if (!l->fatal)
        pump(l, 0);
    return check(l, err);
}

int isl_loader_add(struct isl_loader *l, const struct isl_row *row,
                   uint64_t row_no, struct isl_error *err)
{
    int rc;

    if (l->stopped || l->fatal)
        return check(l, err);
    rc = add_row(l, &l->open, row, row_no, NULL, false);
    if (rc == ISL_ECONFIG)
        return isl_error_set(err, rc, "loader",
                             "row number %llu after %llu: numbers must "
                             "increase",
                             (unsigned long long)row_no,
                             (unsigned long long)l->last_row);
    if (rc < 0)
        return isl_error_set(err, ISL_ENOMEM, "loader", "out of memory");
    return run_some(l, err);
}

int isl_loader_add_staged(struct isl_loader *l, const struct isl_row *row,
                          uint64_t row_no, const json_t *before,
                          struct isl_error *err)
{
    int rc;

    if (l->stopped || l->fatal)
        return check(l, err);
    /* a before-image from the earlier attempt is final; without one (no
     * target), there is nothing to read */
    rc = add_row(l, &l->open_staged, row, row_no, before, true);
    if (rc < 0)
        return isl_error_set(err, rc == ISL_ECONFIG ? rc : ISL_ENOMEM, "loader",
                             "cannot queue row %llu",
                             (unsigned long long)row_no);
    return run_some(l, err);
}

int isl_loader_finish(struct isl_loader *l, struct isl_error *err)
{
    if (!l->stopped) {
        close_batch(l, &l->open_staged);
        close_batch(l, &l->open);
    }
    while (!l->fatal && (live_batches(l) || l->deletes))
        pump(l, 50);
    /* after a fatal error, let requests in flight end for the log */
    while (l->fatal && isl_http_pending(l->http))
        pump(l, 50);
    return check(l, err);
}

uint64_t isl_loader_stop(struct isl_loader *l)
{
    uint64_t dropped = 0;

    l->stopped = true;
    for (struct batch *b = l->batches; b; b = b->next)
        if (b->state == B_OPEN ||
            (b->state == B_QUEUED && b->attempts == 0 && !b->journaled)) {
            dropped += b->n;
            b->state = B_DONE;
        }
    l->open = NULL;
    l->open_staged = NULL;
    l->stats.rows_sent -= dropped;
    return dropped;
}

const struct isl_loader_stats *isl_loader_stats(const struct isl_loader *l)
{
    return &l->stats;
}

size_t isl_loader_import_sets(const struct isl_loader *l,
                              const char *const **ids)
{
    *ids = (const char *const *)l->sets;
    return l->nsets;
}

void isl_loader_free(struct isl_loader *l)
{
    if (!l)
        return;
    while (l->batches) {
        struct batch *b = l->batches;
        l->batches = b->next;
        batch_free(b);
    }
    for (size_t i = 0; i < l->nfiles; i++)
        free(l->files[i]);
    free(l->files);
    for (size_t i = 0; i < l->nsets; i++)
        free(l->sets[i]);
    free(l->sets);
    free(l);
}
