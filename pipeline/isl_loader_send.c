/*
 * isl_loader_send.c: posting a batch and what the answer means (see
 * isl_loader.c for the states). A clean 201 leads to the readback; 429 and
 * 503 pause every sender; 400, 413 and the transaction time limit split
 * the batch in halves down to the one row that fails; anything that may
 * have been committed (a timeout, a connection closed after sending,
 * libcurl's own resend, 5xx) is reconciled by correlation before a row is
 * sent again.
 */
#include "isl_setup.h"
#include "isl_loader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_http.h"
#include "out_format.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_post_done(struct isl_http_req *req);
static int build_post(struct isl_loader *l, struct batch *b)
{
    struct isl_http_req *req = &b->req;
    int rc = 0;

    isl_buf_reset(&req->url);
    isl_buf_free(&req->resp); /* read by now; it is not kept while queued */
    req->method = "POST";
    req->done = on_post_done;
    req->log_tag = NULL;
    /* the body is the batch's records, not a copy */
    if (l->o.mode == ISL_MODE_SINGLE) {
        rc |= isl_buf_addf(&req->url, "/api/now/import/%s", l->o.staging_table);
        req->body_ref = b->records.data + b->rows[0].rec_off;
        req->body_ref_len = b->rows[0].rec_len;
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
    if (!b->sealed) {
        rc |= out_format_batch_close(&b->records);
        b->sealed = rc == 0;
        isl_buf_fit(&b->records);
        isl_buf_fit(&b->keys);
    }
    req->body_ref = b->records.data;
    req->body_ref_len = b->records.len;
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

void isl_loader__post(struct isl_loader *l, struct batch *b)
{
    if (journal_sent(l, b) < 0) {
        isl_loader__fail(l, "cannot write the run journal");
        return;
    }
    if (build_post(l, b) < 0) {
        isl_loader__fail(l, "out of memory");
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
void isl_loader__readback(struct isl_loader *l, struct batch *b)
{
    struct isl_http_req *req = &b->req;
    char corr[96];
    int rc = 0;

    isl_buf_reset(&req->url);
    req->body_ref = NULL; /* GET: no body */
    isl_buf_free(&req->resp);
    req->method = "GET";
    req->done = isl_loader__on_read_done;
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
        isl_loader__fail(l, "out of memory");
        return;
    }
    b->state = B_READBACK;
    l->stats.polls++;
    l->reading++;
    isl_http_submit(l->http, req);
}

/* Send the rows of b marked in take again as a new batch. */
struct batch *isl_loader__resend(struct isl_loader *l, struct batch *b,
                                 const bool *take)
{
    struct batch *nb;

    if (!b->records.data) {
        /* dropped once every row was seen staged */
        isl_loader__fail(l,
                         "rows of import set %s were staged, then not found "
                         "on a later read of the staging table",
                         b->import_set[0] ? b->import_set : "(unknown)");
        return NULL;
    }
    if (!(nb = isl_loader__batch_new(l))) {
        isl_loader__fail(l, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct lrow *r = &b->rows[i];

        if (!take[i])
            continue;
        if (isl_loader__batch_take(nb, r, b->records.data + r->rec_off,
                                   b->keys.data + r->key_off,
                                   isl_loader__keys_len(l, b, r)) < 0) {
            isl_loader__fail(l, "out of memory");
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
        isl_loader__fail(l, "out of memory");
        return;
    }
    l->stats.splits++;
    /* halves start afresh: a refusal is about the batch, not the rows */
    for (int h = 0; h < 2; h++) {
        struct batch *nb;

        for (size_t i = 0; i < b->n; i++)
            take[i] = h == 0 ? i < half : i >= half;
        if (!(nb = isl_loader__resend(l, b, take)))
            break;
        nb->attempts = 0;
    }
    free(take);
    b->state = B_DONE;
}

const char *isl_loader__error_message(const struct isl_http_req *req, char *buf,
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
void isl_loader__start_reconcile(struct batch *b, double delay)
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
    isl_loader__note_set(l, set);
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
        isl_loader__start_reconcile(b, 0);
        isl_loader__readback(l, b);
        return;
    }
    b->rows[0].has_res = true;
    b->rows[0].res = (struct entry){
        .state = status,
        .table = json_string_value(json_object_get(res, "table")),
        .sys_id = json_string_value(json_object_get(res, "sys_id")),
        .set = set,
        .comment = msg,
    };
    isl_loader__keep_results(b, doc);
    isl_loader__finish_results(l, b);
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
                                        : isl_loader__backoff(l, b->attempts));
        isl_loader__start_reconcile(b, isl_loader__backoff(l, b->attempts));
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
                isl_loader__note_set(l, set);
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
            isl_loader__fail(l, "cannot write the run journal");
        b->poll_start = isl_http_now();
        b->poll_delay = 0.1;
        isl_loader__readback(l, b);
        return;
    }
    if (req->status == 429 || (req->status == 503 && !req->sent)) {
        isl_http_pause(l->http, req->retry_after > 0
                                    ? req->retry_after
                                    : isl_loader__backoff(l, b->attempts));
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
        isl_loader__fail(l, "%s (%s /api/now/import/%s)",
                         isl_loader__error_message(req, msg, sizeof(msg)),
                         req->status == 401 ? "authentication refused"
                         : req->status == 403
                             ? "the user may not import; it needs the "
                               "import_set_loader role"
                             : "no such staging table",
                         l->o.staging_table);
        b->state = B_DONE;
        return;
    }
    if (time_limit(req)) {
        /* cancelled mid-way: some rows may be staged */
        isl_loader__start_reconcile(b, 0);
        isl_loader__readback(l, b);
        return;
    }
    if (req->status == 400 || req->status == 413) {
        if (b->n > 1)
            split(l, b);
        else
            isl_loader__all_error(
                l, b, isl_loader__error_message(req, msg, sizeof(msg)));
        return;
    }
    /* 5xx or a transport error: if nothing was sent, just retry */
    if (b->attempts >= l->o.max_attempts) {
        isl_loader__fail(
            l, "the instance did not take a batch after %d attempts: %s",
            b->attempts, isl_loader__error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (!req->sent && req->status == 0) {
        b->not_before = isl_http_now() + isl_loader__backoff(l, b->attempts);
        b->state = B_QUEUED;
        return;
    }
    if (req->status == 503)
        isl_http_pause(l->http, req->retry_after > 0
                                    ? req->retry_after
                                    : isl_loader__backoff(l, b->attempts));
    /* may have been committed: ask the instance before resending */
    isl_loader__start_reconcile(b, isl_loader__backoff(l, b->attempts));
}
