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
#include "isl_loader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_http.h"
#include "isl_feed.h"
#include "isl_row.h"
#include "out_format.h"

#include <jansson.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void isl_loader__fail(struct isl_loader *l, const char *fmt, ...)
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

double isl_loader__backoff(struct isl_loader *l, int attempt)
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
    isl_buf_init(&l->set_text, (size_t)1 << 30);
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

struct batch *isl_loader__batch_new(struct isl_loader *l)
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

/*
 * Every batch frees a few hundred KiB of buffers and thousands of small
 * response objects, in an order no allocator can keep compact: glibc's
 * heap keeps the freed pages between live blocks, and the process grows
 * with the run. Giving them back now and then keeps the loader's memory
 * flat; elsewhere this does nothing.
 */
static void trim_heap(struct isl_loader *l)
{
#ifdef __GLIBC__
    if (++l->freed % 64 == 0)
        malloc_trim(0);
#else
    (void)l;
#endif
}

static void batch_free(struct batch *b)
{
    isl_http_req_free(&b->req);
    isl_buf_free(&b->records);
    isl_buf_free(&b->keys);
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->rows[i].before);
    free(b->res_text);
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
const char *isl_loader__match_value(const struct batch *b, const struct lrow *r,
                                    size_t k)
{
    const char *v = key_json(b, r);

    for (size_t i = 0; i <= k; i++)
        v += strlen(v) + 1;
    return v;
}

size_t isl_loader__keys_len(const struct isl_loader *l, const struct batch *b,
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

void isl_loader__note_set(struct isl_loader *l, const char *id)
{
    size_t at = l->set_text.len;

    if (!id || !*id)
        return;
    for (size_t i = l->nsets; i > 0; i--)
        if (strcmp(l->set_text.data + l->set_off[i - 1], id) == 0)
            return;
    if (l->nsets == l->aset_off) {
        size_t a = l->aset_off ? l->aset_off * 2 : 64;
        size_t *p = realloc(l->set_off, a * sizeof(*p));

        if (!p)
            return;
        l->set_off = p;
        l->aset_off = a;
    }
    if (isl_buf_add(&l->set_text, id, strlen(id) + 1) == 0)
        l->set_off[l->nsets++] = at;
}

/* Append a row (record JSON and key texts already formatted) to b. */
int isl_loader__batch_take(struct batch *b, const struct lrow *src,
                           const char *rec, const char *keys, size_t keys_n)
{
    struct lrow *r;

    if (b->n == b->cap) {
        /* a full batch's rows in one go, not a power of two above it */
        size_t c = b->cap                      ? b->cap * 2
                   : b->l->o.batch_rows < 1024 ? b->l->o.batch_rows
                                               : 1024;
        struct lrow *p = realloc(b->rows, c * sizeof(*p));

        if (!p)
            return ISL_ENOMEM;
        b->rows = p;
        b->cap = c;
    }
    /* the records are the insertMultiple body, sent as they are */
    if ((b->n ? isl_buf_addc(&b->records, ',')
              : out_format_batch_open(&b->records)) < 0)
        return ISL_ENOMEM;
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
        isl_loader__fail(l, "cannot record an outcome");
}

/* Give every row of b that has a result, then end b. */
void isl_loader__deliver(struct isl_loader *l, struct batch *b)
{
    bool any = false;

    for (size_t i = 0; i < b->n; i++)
        if (b->rows[i].has_res) {
            emit(l, b, i);
            any = true;
        }
    if (any && l->sink.done && l->sink.done(l->sink.payload, b->id) < 0)
        isl_loader__fail(l, "cannot record the outcomes of a batch");
    b->state = B_DONE;
}

/*
 * The results of b's rows point into doc, the response they came in.
 * A parsed response is several times the size of its text and a batch
 * may wait a while for its after-images: copy the six strings of each
 * row into one block and let the response go. doc is taken; if the copy
 * cannot be made, the batch keeps doc instead.
 */
void isl_loader__keep_results(struct batch *b, json_t *doc)
{
    size_t len = 0;
    char *text, *p;

    for (size_t i = 0; i < b->n; i++) {
        const struct entry *e = &b->rows[i].res;
        const char *s[] = {e->state, e->table,   e->sys_id,
                           e->set,   e->comment, e->created};

        for (size_t k = 0; b->rows[i].has_res && k < ISL_ARRAY_LEN(s); k++)
            len += s[k] ? strlen(s[k]) + 1 : 0;
    }
    if (!(text = malloc(len ? len : 1))) {
        json_decref(b->res_doc);
        b->res_doc = doc;
        return;
    }
    p = text;
    for (size_t i = 0; i < b->n; i++) {
        struct entry *e = &b->rows[i].res;
        const char **s[] = {&e->state, &e->table,   &e->sys_id,
                            &e->set,   &e->comment, &e->created};

        for (size_t k = 0; b->rows[i].has_res && k < ISL_ARRAY_LEN(s); k++) {
            size_t n;

            if (!*s[k])
                continue;
            n = strlen(*s[k]) + 1;
            memcpy(p, *s[k], n);
            *s[k] = p;
            p += n;
        }
    }
    free(b->res_text);
    json_decref(b->res_doc);
    b->res_text = text;
    b->res_doc = NULL;
    json_decref(doc);
}

/* Every row of b ends as error with msg (copied into the batch). */
void isl_loader__all_error(struct isl_loader *l, struct batch *b,
                           const char *msg)
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
    isl_loader__deliver(l, b);
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
                isl_loader__before_read(l, b);
        } else if (b->state == B_WAIT_AFTER && b->not_before <= now &&
                   may_read(l)) {
            isl_loader__finish_results(l, b);
        } else if (b->state == B_QUEUED && b->not_before <= now &&
                   may_post(l)) {
            isl_loader__post(l, b);
        } else if (b->state == B_WAIT_POLL && b->not_before <= now &&
                   may_read(l)) {
            isl_loader__readback(l, b);
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
            trim_heap(l);
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

/*
 * Whether another batch may be closed and queued. At most 2C + 2 batches
 * may hold their records (queued, posting, or read back before every row
 * is seen staged): that bounds the loader's memory. Batches past that
 * point only wait for their transform or after-images and are small; up
 * to C more of them may wait, so a slow transform does not stall the
 * posting.
 */
static bool room_for_batch(const struct isl_loader *l)
{
    size_t n = 0, holding = 0, c = (size_t)l->o.concurrency;

    for (const struct batch *b = l->batches; b; b = b->next) {
        if (b->state == B_OPEN)
            continue;
        n++;
        holding += b->records.data != NULL;
    }
    return holding < 2 * c + 2 && n < 3 * c + 2;
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
        isl_loader__start_reconcile(b, 0);
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
    if (!*slot && !(*slot = isl_loader__batch_new(l)))
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
        /* the body: records so far, a comma, this record and "]}" */
        if ((*slot)->n &&
            (*slot)->records.len + 1 + rec.len + 2 > l->o.batch_bytes) {
            close_batch(l, slot);
            if (!(*slot = isl_loader__batch_new(l)))
                rc = ISL_ENOMEM;
        }
        if (rc == 0)
            rc = isl_loader__batch_take(*slot, &r, rec.data, key.data, key.len);
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
    while (!l->fatal && !room_for_batch(l))
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

size_t isl_loader_import_sets(const struct isl_loader *l, const char **text,
                              const size_t **off)
{
    *text = l->set_text.data;
    *off = l->set_off;
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
    isl_buf_free(&l->set_text);
    free(l->set_off);
    free(l);
}
