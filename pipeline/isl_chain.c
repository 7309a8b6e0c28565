/*
 * isl_chain.c: the chain runner (see isl_chain.h).
 *
 * Per row:
 *   1. each feed field takes its source value from the input row (absent
 *      = empty) and runs its value stages; a stage writes into the buffer
 *      that does not hold the current value, so a chain of stages costs no
 *      allocation once the buffers have grown. A rejecting stage stops
 *      that field; the other fields still run, so a data owner sees every
 *      problem of a row at once;
 *   2. the chain's own rules: required, the reserved literal NULL, the
 *      row size ServiceNow accepts;
 *   3. passthrough fields are appended under their own names;
 *   4. row stages run on the staging row (only when nothing rejected it);
 *   5. the verdict goes to the sink, or, for feeds with deferred stages,
 *      the row goes to a spill file and isl_chain_finish gives the verdict.
 *
 * Source lookup caches, per field, the input field index and name pointer
 * of the previous row: readers reuse name pointers, so the usual cost is
 * one pointer compare per field. Each field's value stages are flattened
 * at creation into (callback, instance, pass condition) steps, so running
 * a stage is one indirect call with no lookups, and none for a value its
 * declared condition (tf_pass_if) says it passes. Fields take their raw
 * values in one pass with their stages, unless a stage reads the row
 * (template), which must see the raw values of later fields.
 */
#include "isl_setup.h"
#include "isl_chain.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_tmpfile.h"
#include "tf_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VALUE_CAP ((size_t)1 << 30)

struct reason_rec {
    size_t column, rule, message, value; /* offsets in c->text */
    size_t value_len;
};

typedef int (*value_fn)(struct tf_stage *st, const char *in, size_t len,
                        struct isl_buf *out, const struct tf_row *row,
                        struct isl_error *err);

/* One value stage of one field, ready to call. */
struct chain_step {
    value_fn value;
    struct tf_stage *st;
    struct tf_pass_if pass_if; /* when the call can be skipped */
};

/* A feed field as the hot loop needs it. */
struct chain_field {
    const char *column;
    bool required;
    const struct chain_step *first, *end; /* its steps in c->steps */
};

struct isl_chain {
    const struct isl_feed *feed;
    size_t nf;
    bool raw_first;         /* a value stage reads the row: raw values first */
    struct chain_field *cf; /* per feed field */
    struct chain_step *steps; /* every field's value stages, in order */

    size_t *src_idx;        /* cached input index per field */
    const char **src_name;  /* name pointer at that index */
    struct isl_buf *fbuf;   /* final value per field */
    struct isl_buf scratch; /* stage output not yet kept */
    struct isl_buf text;    /* reason strings of the current row */
    struct reason_rec *rrec;
    struct isl_reason *reasons;
    size_t nreasons, areasons;

    struct isl_field *out; /* staging row fields */
    size_t aout;
    const char **tcols; /* tf_row view */
    const char **tvals;
    size_t *tlens;
    bool *used; /* input fields used as a source */
    size_t aused;
    struct isl_row out_row;
    uint64_t row_id;

    FILE *spill;             /* deferred feeds: rows awaiting finish */
    struct isl_buf spillbuf; /* one replayed record */
    const char **columns;    /* feed columns, for isl_chain_columns */
};

static int nomem(struct isl_error *err)
{
    return isl_error_set(err, ISL_ENOMEM, "chain", "out of memory");
}

int isl_chain_new(struct isl_chain **out, const struct isl_feed *feed,
                  struct isl_error *err)
{
    struct isl_chain *c = calloc(1, sizeof(*c));
    size_t nf = feed->nfields, nsteps = 0;

    *out = NULL;
    if (!c)
        return nomem(err);
    c->feed = feed;
    c->nf = nf;
    c->src_idx = calloc(nf + 1, sizeof(*c->src_idx));
    c->src_name = calloc(nf + 1, sizeof(*c->src_name));
    c->fbuf = calloc(nf + 1, sizeof(*c->fbuf));
    c->columns = calloc(nf + 1, sizeof(*c->columns));
    c->cf = calloc(nf + 1, sizeof(*c->cf));
    for (size_t i = 0; i < nf; i++)
        nsteps += feed->fields[i].nstages;
    c->steps = calloc(nsteps + 1, sizeof(*c->steps));
    if (!c->src_idx || !c->src_name || !c->fbuf || !c->columns || !c->cf ||
        !c->steps) {
        isl_chain_free(c);
        return nomem(err);
    }
    nsteps = 0;
    for (size_t i = 0; i < nf; i++) {
        const struct isl_feed_field *f = &feed->fields[i];

        isl_buf_init(&c->fbuf[i], VALUE_CAP);
        c->columns[i] = f->column;
        c->cf[i].column = f->column;
        c->cf[i].required = f->required;
        c->cf[i].first = c->steps + nsteps;
        for (size_t k = 0; k < f->nstages; k++) {
            c->steps[nsteps].value = f->stages[k]->type->value;
            c->steps[nsteps].st = f->stages[k];
            c->steps[nsteps].pass_if = f->stages[k]->pass_if;
            c->raw_first |= f->stages[k]->type->reads_row;
            nsteps++;
        }
        c->cf[i].end = c->steps + nsteps;
    }
    isl_buf_init(&c->scratch, VALUE_CAP);
    isl_buf_init(&c->text, VALUE_CAP);
    isl_buf_init(&c->spillbuf, VALUE_CAP);
    if (feed->has_deferred && !(c->spill = isl_tmpfile("chain", err))) {
        isl_chain_free(c);
        return ISL_EIO;
    }
    *out = c;
    return 0;
}

size_t isl_chain_columns(const struct isl_chain *c, const char *const **columns)
{
    *columns = c->columns;
    return c->nf;
}

int isl_chain_check_columns(struct isl_chain *c, const char *input,
                            const char *const *columns, size_t ncolumns,
                            struct isl_error *err)
{
    struct isl_buf missing;
    int rc = 0;

    if (!columns || !ncolumns)
        return 0;
    isl_buf_init(&missing, 4096);
    for (size_t i = 0; i < c->nf; i++) {
        bool found = false;

        for (size_t k = 0; k < ncolumns && !found; k++)
            found = strcmp(columns[k], c->feed->fields[i].source) == 0;
        if (!found)
            isl_buf_addf(&missing, "%s'%s'", missing.len ? ", " : "",
                         c->feed->fields[i].source);
    }
    if (missing.len) {
        rc = isl_error_set(
            err, ISL_ECONFIG, "chain",
            "the input has no field %s (it has %zu: %s%s%s%s)", missing.data,
            ncolumns, columns[0], ncolumns > 1 ? ", " : "",
            ncolumns > 1 ? columns[1] : "", ncolumns > 2 ? ", ..." : "");
        isl_error_at(err, input, 1, UINT64_MAX);
    }
    isl_buf_free(&missing);
    return rc;
}

/* source_of's slow path: compare names, remember where it was found. */
static const struct isl_field *source_lookup(struct isl_chain *c, size_t i,
                                             const struct isl_row *in)
{
    size_t k = c->src_idx[i];
    const char *want = c->feed->fields[i].source;

    if (k < in->n && strcmp(in->fields[k].name, want) == 0) {
        c->src_name[i] = in->fields[k].name;
        return &in->fields[k];
    }
    for (k = 0; k < in->n; k++)
        if (strcmp(in->fields[k].name, want) == 0) {
            c->src_idx[i] = k;
            c->src_name[i] = in->fields[k].name;
            return &in->fields[k];
        }
    return NULL;
}

/* Find the input field for feed field i; NULL when absent. */
static inline const struct isl_field *source_of(struct isl_chain *c, size_t i,
                                                const struct isl_row *in)
{
    size_t k = c->src_idx[i];

    if (k < in->n && in->fields[k].name == c->src_name[i])
        return &in->fields[k];
    return source_lookup(c, i, in);
}

static size_t add_text(struct isl_chain *c, const char *s, size_t n)
{
    size_t at = c->text.len;

    if (isl_buf_add(&c->text, s, n) < 0 || isl_buf_addc(&c->text, '\0') < 0)
        return SIZE_MAX;
    return at;
}

static int add_reason(struct isl_chain *c, const char *column, const char *rule,
                      const char *message, const char *value, size_t value_len)
{
    struct reason_rec *r;

    if (c->nreasons == c->areasons) {
        size_t n = c->areasons ? c->areasons * 2 : 8;
        struct reason_rec *p = realloc(c->rrec, n * sizeof(*p));
        struct isl_reason *q;

        if (!p)
            return ISL_ENOMEM;
        c->rrec = p;
        q = realloc(c->reasons, n * sizeof(*q));
        if (!q)
            return ISL_ENOMEM;
        c->reasons = q;
        c->areasons = n;
    }
    r = &c->rrec[c->nreasons++];
    r->column = add_text(c, column ? column : "", column ? strlen(column) : 0);
    r->rule = add_text(c, rule, strlen(rule));
    r->message = add_text(c, message, strlen(message));
    r->value = add_text(c, value ? value : "", value ? value_len : 0);
    r->value_len = value ? value_len : 0;
    if (r->column == SIZE_MAX || r->rule == SIZE_MAX ||
        r->message == SIZE_MAX || r->value == SIZE_MAX)
        return ISL_ENOMEM;
    return 0;
}

/* Point the public reasons at the text buffer (it may have moved). */
static void fix_reasons(struct isl_chain *c)
{
    for (size_t i = 0; i < c->nreasons; i++) {
        c->reasons[i].column = c->text.data + c->rrec[i].column;
        c->reasons[i].rule = c->text.data + c->rrec[i].rule;
        c->reasons[i].message = c->text.data + c->rrec[i].message;
        c->reasons[i].value = c->text.data + c->rrec[i].value;
        c->reasons[i].value_len = c->rrec[i].value_len;
    }
}

static int grow_out(struct isl_chain *c, size_t n)
{
    if (n <= c->aout)
        return 0;
    {
        size_t a = n < 16 ? 16 : n * 2;
        struct isl_field *o = realloc(c->out, a * sizeof(*o));
        const char **tc, **tv;
        size_t *tl;

        if (!o)
            return ISL_ENOMEM;
        c->out = o;
        tc = realloc(c->tcols, a * sizeof(*tc));
        if (!tc)
            return ISL_ENOMEM;
        c->tcols = tc;
        tv = realloc(c->tvals, a * sizeof(*tv));
        if (!tv)
            return ISL_ENOMEM;
        c->tvals = tv;
        tl = realloc(c->tlens, a * sizeof(*tl));
        if (!tl)
            return ISL_ENOMEM;
        c->tlens = tl;
        c->aout = a;
    }
    return 0;
}

static void swap_bufs(struct isl_buf *a, struct isl_buf *b)
{
    struct isl_buf t = *a;

    *a = *b;
    *b = t;
}

static struct tf_row view(struct isl_chain *c, const struct isl_row *out)
{
    struct tf_row tr;

    for (size_t i = 0; i < out->n; i++) {
        c->tcols[i] = out->fields[i].name;
        c->tvals[i] = out->fields[i].value;
        c->tlens[i] = out->fields[i].len;
    }
    tr.n = out->n;
    tr.columns = c->tcols;
    tr.values = c->tvals;
    tr.lens = c->tlens;
    tr.file = out->pos.file;
    tr.line = out->pos.line;
    return tr;
}

/* Stage error -> reason. */
static int stage_reason(struct isl_chain *c, const struct tf_stage *st,
                        const char *column, const struct isl_error *se,
                        const char *value, size_t len)
{
    return add_reason(c, se->field[0] ? se->field : column,
                      se->rule[0] ? se->rule : st->type->name,
                      se->msg[0] ? se->msg : "rejected", value, len);
}

/* Steps 1-3: the staging row into c->out_row; *tr views it. */
static int build_staging(struct isl_chain *c, const struct isl_row *in,
                         struct tf_row *tr, struct isl_error *err)
{
    const struct isl_feed *feed = c->feed;
    size_t n = c->nf;
    size_t bytes = 0;
    struct isl_error se;
    int rc;

    if (grow_out(c, c->nf + (feed->passthrough ? in->n : 0) + 1) < 0)
        return nomem(err);
    /* raw values first when a stage reads the row (template), so it can
     * see later fields too; else each field fetches its own below */
    for (size_t i = 0; c->raw_first && i < c->nf; i++) {
        const struct isl_field *src = source_of(c, i, in);

        c->tcols[i] = c->cf[i].column;
        c->tvals[i] = src ? src->value : "";
        c->tlens[i] = src ? src->len : 0;
    }
    tr->n = c->nf;
    tr->columns = c->tcols;
    tr->values = c->tvals;
    tr->lens = c->tlens;
    tr->file = in->pos.file;
    tr->line = in->pos.line;
    c->out_row.pos = in->pos;
    c->out_row.fields = c->out;
    c->out_row.n = c->nf;

    se.field[0] = se.rule[0] = se.msg[0] = '\0';
    for (size_t i = 0; i < c->nf; i++) {
        const struct chain_field *f = &c->cf[i];
        const char *raw, *cur;
        size_t rawlen, len;
        bool in_fbuf = false, rejected = false;

        if (c->raw_first) {
            raw = c->tvals[i];
            rawlen = c->tlens[i];
        } else {
            const struct isl_field *src = source_of(c, i, in);

            raw = src ? src->value : "";
            rawlen = src ? src->len : 0;
        }
        cur = raw;
        len = rawlen;

        for (const struct chain_step *s = f->first; s < f->end; s++) {
            /* stages reset out before writing: no reset needed here */
            struct isl_buf *dst = in_fbuf ? &c->scratch : &c->fbuf[i];

            if (s->pass_if.set && tf_passes(&s->pass_if, cur, len))
                continue; /* a value the stage always passes */
            rc = s->value(s->st, cur, len, dst, tr, &se);
            if (rc == TF_PASS)
                continue;
            if (rc == TF_CHANGED) {
                if (!dst->data && isl_buf_reserve(dst, 0) < 0)
                    return nomem(err);
                cur = dst->data;
                len = dst->len;
                if (in_fbuf)
                    swap_bufs(&c->scratch, &c->fbuf[i]);
                in_fbuf = true;
                continue;
            }
            if (rc != TF_REJECT)
                return isl_error_set(err, ISL_ECONFIG, "chain",
                                     "stage %s returned %d", s->st->type->name,
                                     rc);
            if (stage_reason(c, s->st, f->column, &se, raw, rawlen) < 0)
                return nomem(err);
            se.field[0] = se.rule[0] = se.msg[0] = '\0';
            rejected = true; /* no more checks on this field */
            break;
        }
        c->out[i].name = f->column;
        c->out[i].value = cur;
        c->out[i].len = len;
        c->tcols[i] = f->column;
        c->tvals[i] = cur;
        c->tlens[i] = len;
        if (rejected)
            continue;
        if (len == 0) {
            if (f->required) {
                char msg[300];

                if (!source_of(c, i, in))
                    snprintf(msg, sizeof(msg),
                             "required field '%.200s' is "
                             "missing",
                             feed->fields[i].source);
                else
                    snprintf(msg, sizeof(msg), "required value is empty");
                if (add_reason(c, f->column, "required", msg, raw, rawlen) < 0)
                    return nomem(err);
            }
        } else if (len == 4 && memcmp(cur, "NULL", 4) == 0 &&
                   !feed->allow_null) {
            if (add_reason(c, f->column, "null",
                           "the literal NULL clears the target field in "
                           "ServiceNow (set allow_null to send it)",
                           raw, rawlen) < 0)
                return nomem(err);
        }
        bytes += len;
    }
    if (feed->passthrough) {
        if (in->n > c->aused) {
            bool *u = realloc(c->used, in->n * sizeof(*u));

            if (!u)
                return nomem(err);
            c->used = u;
            c->aused = in->n;
        }
        memset(c->used, 0, in->n * sizeof(*c->used));
        for (size_t i = 0; i < c->nf; i++)
            if (c->src_idx[i] < in->n &&
                in->fields[c->src_idx[i]].name == c->src_name[i])
                c->used[c->src_idx[i]] = true;
        for (size_t k = 0; k < in->n; k++) {
            bool listed = c->used[k] ||
                          isl_feed_column_index(feed, in->fields[k].name) >= 0;

            if (listed)
                continue;
            c->out[n] = in->fields[k];
            bytes += in->fields[k].len;
            n++;
        }
        c->out_row.n = n;
    }
    if (bytes > feed->max_row_bytes) {
        char msg[160];

        snprintf(msg, sizeof(msg),
                 "row holds %zu bytes of values; ServiceNow skips rows over "
                 "%zu bytes",
                 bytes, feed->max_row_bytes);
        if (add_reason(c, "", "row_size", msg, NULL, 0) < 0)
            return nomem(err);
    }
    return 0;
}

static int deliver(struct isl_chain *c, const struct isl_row *in,
                   const struct isl_chain_sink *sink, int kind)
{
    struct isl_verdict v = {.in = in, .out = &c->out_row};

    fix_reasons(c);
    v.nreasons = c->nreasons;
    v.reasons = c->reasons;
    if (kind == TF_REJECT)
        return sink->reject(sink->payload, &v);
    if (kind == TF_FILTER)
        return sink->filter(sink->payload, &v);
    return sink->accept(sink->payload, &v);
}

/* ---- spill file for deferred feeds ---- */

static int put_u64(FILE *f, uint64_t v)
{
    return fwrite(&v, sizeof(v), 1, f) == 1 ? 0 : -1;
}

static int put_str(FILE *f, const char *s, size_t n)
{
    uint64_t len = n;

    if (fwrite(&len, sizeof(len), 1, f) != 1)
        return -1;
    return n && fwrite(s, 1, n, f) != n ? -1 : 0;
}

static int put_row(FILE *f, const struct isl_row *r)
{
    if (put_u64(f, r->n) < 0)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (put_str(f, r->fields[i].name, strlen(r->fields[i].name)) < 0 ||
            put_str(f, r->fields[i].value, r->fields[i].len) < 0)
            return -1;
    return 0;
}

static int spill_row(struct isl_chain *c, const struct isl_row *in,
                     struct isl_error *err)
{
    const char *file = in->pos.file ? in->pos.file : "";

    if (put_u64(c->spill, c->row_id) < 0 ||
        put_u64(c->spill, in->pos.line) < 0 ||
        put_u64(c->spill, in->pos.record) < 0 ||
        put_u64(c->spill, in->pos.offset) < 0 ||
        put_str(c->spill, file, strlen(file)) < 0 ||
        put_row(c->spill, in) < 0 || put_row(c->spill, &c->out_row) < 0)
        return isl_error_set(err, ISL_EIO, "chain",
                             "cannot write the spill file");
    return 0;
}

int isl_chain_push(struct isl_chain *c, const struct isl_row *in,
                   const struct isl_chain_sink *sink, struct isl_error *err)
{
    const struct isl_feed *feed = c->feed;
    struct tf_row tr;
    int rc;

    c->nreasons = 0;
    isl_buf_reset(&c->text);
    if ((rc = build_staging(c, in, &tr, err)) < 0)
        return rc;
    if (c->nreasons)
        return deliver(c, in, sink, TF_REJECT);

    c->row_id++;
    if (feed->nrow_stages) {
        if (c->out_row.n != tr.n) /* passthrough fields too */
            tr = view(c, &c->out_row);
        for (size_t k = 0; k < feed->nrow_stages; k++) {
            struct tf_stage *st = feed->row_stages[k];
            struct isl_error se;

            se.field[0] = se.rule[0] = se.msg[0] = '\0';
            st->row_id = c->row_id;
            rc = st->type->row(st, &tr, &se);
            if (rc == TF_CHANGED) {
                for (size_t i = 0; i < tr.n; i++) {
                    c->out[i].value = tr.values[i];
                    c->out[i].len = tr.lens[i];
                }
            } else if (rc == TF_REJECT || rc == TF_FILTER) {
                if (stage_reason(c, st, "", &se, "", 0) < 0)
                    return nomem(err);
                return deliver(c, in, sink, rc);
            } else if (rc < 0) { /* the stage failed (I/O): stop the run */
                return isl_error_set(err, rc, st->type->name, "%s",
                                     se.msg[0] ? se.msg : "failed");
            } else if (rc != TF_PASS) {
                return isl_error_set(err, ISL_ECONFIG, "chain",
                                     "stage %s returned %d", st->type->name,
                                     rc);
            }
        }
    }
    if (c->spill)
        return spill_row(c, in, err);
    return deliver(c, in, sink, TF_PASS);
}

int isl_chain_reader_error(struct isl_chain *c, const struct isl_row *in,
                           const struct isl_error *rerr,
                           const struct isl_chain_sink *sink)
{
    static const struct isl_row empty;
    struct isl_verdict v = {.in = in ? in : &empty, .out = NULL};

    c->nreasons = 0;
    isl_buf_reset(&c->text);
    if (add_reason(c, rerr->field, rerr->rule[0] ? rerr->rule : "read",
                   rerr->msg, NULL, 0) < 0)
        return ISL_ENOMEM;
    fix_reasons(c);
    v.nreasons = c->nreasons;
    v.reasons = c->reasons;
    return sink->reject(sink->payload, &v);
}

/* Read one spilled record into rows backed by c->spillbuf. */
static int get_u64(FILE *f, uint64_t *v)
{
    return fread(v, sizeof(*v), 1, f) == 1 ? 0 : -1;
}

struct replay {
    uint64_t row_id;
    struct isl_row in;
    struct isl_field *infields, *outfields;
    size_t ain, aoutf;
};

static int get_rowdata(struct isl_chain *c, FILE *f, struct isl_field **fields,
                       size_t *afields, size_t *n, size_t **offs, size_t *aoffs)
{
    uint64_t count;

    if (get_u64(f, &count) < 0 || count > (1u << 24))
        return -1;
    if (count > *afields) {
        struct isl_field *p = realloc(*fields, count * sizeof(*p));

        if (!p)
            return -1;
        *fields = p;
        *afields = count;
    }
    if (2 * count > *aoffs) {
        size_t *o = realloc(*offs, 2 * count * sizeof(*o) + 1);

        if (!o)
            return -1;
        *offs = o;
        *aoffs = 2 * count;
    }
    for (size_t i = 0; i < 2 * count; i++) {
        uint64_t len;

        if (get_u64(f, &len) < 0 || isl_buf_reserve(&c->spillbuf, len) < 0)
            return -1;
        (*offs)[i] = c->spillbuf.len;
        (*fields)[i / 2].len = len; /* value length (names overwritten) */
        if (len && fread(c->spillbuf.data + c->spillbuf.len, 1, len, f) != len)
            return -1;
        c->spillbuf.len += len;
        if (isl_buf_addc(&c->spillbuf, '\0') < 0)
            return -1;
    }
    *n = count;
    return 0;
}

static void point_fields(struct isl_chain *c, struct isl_field *fields,
                         size_t n, const size_t *offs)
{
    for (size_t i = 0; i < n; i++) {
        fields[i].name = c->spillbuf.data + offs[2 * i];
        fields[i].value = c->spillbuf.data + offs[2 * i + 1];
    }
}

int isl_chain_finish(struct isl_chain *c, const struct isl_chain_sink *sink,
                     struct isl_error *err)
{
    const struct isl_feed *feed = c->feed;
    struct isl_field *infields = NULL;
    size_t ain = 0, nin = 0, nout = 0, *inoffs = NULL, *outoffs = NULL;
    size_t ainoffs = 0, aoutoffs = 0;
    size_t fileoff = 0;
    struct isl_row in = {0};
    int rc = 0;

    if (!c->spill)
        return 0;
    if (fflush(c->spill) != 0 || fseek(c->spill, 0, SEEK_SET) != 0)
        return isl_error_set(err, ISL_EIO, "chain",
                             "cannot read back the spill file");
    for (;;) {
        uint64_t row_id, filelen;
        struct tf_row tr;
        int kind = TF_PASS;

        if (get_u64(c->spill, &row_id) < 0)
            break; /* end of spill */
        isl_buf_reset(&c->spillbuf);
        if (get_u64(c->spill, &in.pos.line) < 0 ||
            get_u64(c->spill, &in.pos.record) < 0 ||
            get_u64(c->spill, &in.pos.offset) < 0 ||
            get_u64(c->spill, &filelen) < 0 ||
            isl_buf_reserve(&c->spillbuf, filelen) < 0 ||
            (filelen &&
             fread(c->spillbuf.data, 1, filelen, c->spill) != filelen)) {
            rc = isl_error_set(err, ISL_EIO, "chain", "corrupt spill file");
            break;
        }
        c->spillbuf.len = filelen;
        isl_buf_addc(&c->spillbuf, '\0');
        fileoff = 0;
        if (get_rowdata(c, c->spill, &infields, &ain, &nin, &inoffs, &ainoffs) <
                0 ||
            grow_out(c, 1) < 0) {
            rc = isl_error_set(err, ISL_EIO, "chain", "corrupt spill file");
            break;
        }
        {
            size_t aout = c->aout;

            if (get_rowdata(c, c->spill, &c->out, &aout, &nout, &outoffs,
                            &aoutoffs) < 0 ||
                grow_out(c, nout) < 0) {
                rc = isl_error_set(err, ISL_EIO, "chain", "corrupt spill file");
                break;
            }
        }
        point_fields(c, infields, nin, inoffs);
        point_fields(c, c->out, nout, outoffs);
        in.pos.file = c->spillbuf.data + fileoff;
        in.fields = infields;
        in.n = nin;
        c->out_row.pos = in.pos;
        c->out_row.fields = c->out;
        c->out_row.n = nout;
        c->nreasons = 0;
        isl_buf_reset(&c->text);
        tr = view(c, &c->out_row);
        for (size_t k = 0; k < feed->nrow_stages; k++) {
            struct tf_stage *st = feed->row_stages[k];
            struct isl_error se;

            if (!st->type->finish)
                continue;
            se.field[0] = se.rule[0] = se.msg[0] = '\0';
            rc = st->type->finish(st, row_id, &tr, &se);
            if (rc < 0) { /* the stage failed (I/O): stop the run */
                rc = isl_error_set(err, rc, st->type->name, "%s",
                                   se.msg[0] ? se.msg : "failed");
                goto out;
            }
            if (rc == TF_REJECT) {
                if (stage_reason(c, st, "", &se, "", 0) < 0) {
                    rc = nomem(err);
                    goto out;
                }
                kind = TF_REJECT;
            }
            rc = 0;
        }
        if ((rc = deliver(c, &in, sink, kind)) < 0)
            break;
    }
out:
    free(infields);
    free(inoffs);
    free(outoffs);
    fclose(c->spill);
    c->spill = NULL;
    return rc;
}

void isl_chain_free(struct isl_chain *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->fbuf && i < c->nf; i++)
        isl_buf_free(&c->fbuf[i]);
    free(c->fbuf);
    free(c->src_idx);
    free(c->src_name);
    free(c->columns);
    free(c->cf);
    free(c->steps);
    isl_buf_free(&c->scratch);
    isl_buf_free(&c->text);
    isl_buf_free(&c->spillbuf);
    free(c->rrec);
    free(c->reasons);
    free(c->out);
    free(c->tcols);
    free(c->tvals);
    free(c->tlens);
    free(c->used);
    if (c->spill)
        fclose(c->spill);
    free(c);
}
