/*
 * isl_loader_read.c: reading a batch's results back from the staging
 * table (by import set, or by correlation value when the batch may have
 * been staged more or less than once), waiting out pending asynchronous
 * transforms, taking a row staged twice at its first outcome and deleting
 * the extra target record its duplicate created, and sending again the
 * rows that never arrived.
 */
#include "isl_setup.h"
#include "isl_loader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        isl_loader__fail(l,
                         "cannot read results from %s: %s (the user needs read "
                         "access to the staging table)",
                         l->o.staging_table,
                         isl_loader__error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (b->reads >= l->o.max_attempts) {
        isl_loader__fail(l, "cannot read results after %d attempts: %s",
                         b->reads,
                         isl_loader__error_message(req, msg, sizeof(msg)));
        b->state = B_DONE;
        return;
    }
    if (req->status == 429 || req->status == 503)
        isl_http_pause(l->http, req->retry_after > 0
                                    ? req->retry_after
                                    : isl_loader__backoff(l, b->reads));
    l->stats.retries++;
    b->not_before = isl_http_now() + isl_loader__backoff(l, b->reads);
    b->state = B_WAIT_POLL;
}

void isl_loader__on_read_done(struct isl_http_req *req)
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
    isl_buf_free(&req->resp); /* parsed: not kept while the batch waits */
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
        size_t seen = 0;

        for (i = 0; i < b->n; i++)
            seen += best[i].state != NULL;
        if (seen == b->n) {
            /* every row is staged: none is sent again, so the records
             * need not wait with the batch for its transform */
            b->req.body_ref = NULL;
            isl_buf_free(&b->records);
        }
        json_decref(doc);
        free(best);
        free(missing);
        if (isl_http_now() - b->poll_start > l->o.poll_timeout) {
            isl_loader__all_error(
                l, b,
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
        isl_loader__note_set(l, best[i].set);
        b->rows[i].has_res = true;
        b->rows[i].res = best[i];
    }
    isl_loader__keep_results(b, doc); /* the results point into doc */
    if (any_missing) {
        /* not staged: safe to send again */
        struct batch *nb = isl_loader__resend(l, b, missing);

        if (nb && b->attempts >= l->o.max_attempts) {
            isl_loader__all_error(
                l, nb, "not staged after the maximum number of attempts");
        } else if (nb && !b->reconcile) {
            /* acknowledged but not found: resend once more */
            nb->attempts = b->attempts;
        }
    }
    free(best);
    free(missing);
    isl_loader__finish_results(l, b);
}
