/*
 * isl_loader_images.c: the rollback manifest's images. Before a batch is
 * first posted, the target records its keys match are read in one Table
 * API query (match fields IN the batch's values); once its outcomes are
 * known, the records it inserted or updated are read by sys_id. Both carry
 * sys_id, sys_mod_count, sys_created_on, sys_updated_on and the target's
 * mapped fields.
 */
#include "isl_setup.h"
#include "isl_loader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_http.h"
#include "isl_feed.h"
#include "out_format.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    b->req.body_ref = NULL;     /* GET: no body */
    isl_buf_free(&b->req.resp); /* read by now */
    b->req.method = "GET";
    b->req.done = on_image_done;
    b->req.log_tag = b->state == B_BEFORE ? "before-image" : "after-image";
    if (out_format_table_get(&b->req.url, table, query, fields, nf, limit) <
        0) {
        isl_loader__fail(l, "out of memory");
        return;
    }
    l->stats.image_reads++;
    l->reading++;
    isl_http_submit(l->http, &b->req);
}

/* Read the target records the batch's keys match, before it is sent. */
void isl_loader__before_read(struct isl_loader *l, struct batch *b)
{
    const struct isl_feed_target *t = l->o.target;
    const char **vals = calloc(b->n ? b->n : 1, sizeof(*vals));
    struct isl_buf q;
    size_t nq = 0;

    isl_buf_init(&q, 32 << 20);
    if (!vals) {
        isl_loader__fail(l, "out of memory");
        return;
    }
    /* rows whose match values can all stand in an IN list */
    for (size_t k = 0; k < t->nmatch; k++) {
        size_t nv = 0;

        for (size_t i = 0; i < b->n; i++) {
            bool ok = !b->rows[i].before_read;

            for (size_t j = 0; ok && j < t->nmatch; j++)
                ok = out_format_in_value_ok(
                    isl_loader__match_value(b, &b->rows[i], j));
            if (ok)
                vals[nv++] = isl_loader__match_value(b, &b->rows[i], k);
        }
        nq = nv;
        if (nv && out_format_in_term(&q, t->match[2 * k], vals, nv) < 0)
            isl_loader__fail(l, "out of memory");
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
void isl_loader__finish_results(struct isl_loader *l, struct batch *b)
{
    const char *table = l->o.target ? l->o.target->table : NULL;
    struct isl_buf q;
    bool first = true;
    size_t n = 0;
    int rc = 0;

    /* each row has its outcome or went to a new batch: the records are
     * not sent again, and the batch may wait a while for its images */
    b->req.body_ref = NULL;
    isl_buf_free(&b->records);
    if (!l->o.images) {
        isl_loader__deliver(l, b);
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
        isl_loader__fail(l, "out of memory");
    if (!n || rc) {
        for (size_t i = 0; i < b->n; i++)
            if (wants_after(&b->rows[i]))
                l->stats.images_missing++;
        isl_buf_free(&q);
        isl_loader__deliver(l, b);
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
    isl_buf_free(&req->resp); /* parsed: not kept while the batch waits */
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
    isl_loader__deliver(l, b);
}

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
            isl_loader__deliver(l, b);
            return;
        }
        if (req->status == 401)
            isl_loader__fail(l, "%s (authentication refused reading %s)",
                             isl_loader__error_message(req, msg, sizeof(msg)),
                             l->o.target->table);
        else
            isl_loader__fail(
                l,
                "cannot read the before-images from %s: %s (the user needs "
                "read access to the target table, or load with "
                "--no-manifest)",
                l->o.target->table,
                isl_loader__error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (req->status == 429 || req->status == 503)
        isl_http_pause(l->http, req->retry_after > 0
                                    ? req->retry_after
                                    : isl_loader__backoff(l, b->reads));
    l->stats.retries++;
    /* the pump asks again when it is due */
    b->not_before = isl_http_now() + isl_loader__backoff(l, b->reads);
    b->state = b->state == B_BEFORE ? B_QUEUED : B_WAIT_AFTER;
}
