/*
 * isl_rollback.c: undo a load from its manifest(s) (see isl_rollback.h).
 *
 *   manifests --read, spool--> temp file of actions, chunk offsets
 *   chunks, last to first --> actions in reverse --> rounds (one action
 *   per record at a time) --> read the records --> decide --> DELETE or
 *   PATCH (concurrently) --> journal line per finished action
 *
 * Memory holds one chunk of actions at a time, whatever the manifest's
 * size. Each round reads its records fresh, so two actions on one record
 * (a row updated twice) see the state the previous one left.
 */
#include "isl_setup.h"
#include "isl_rollback.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_http.h"
#include "isl_jsonl.h"
#include "isl_manifest.h"
#include "out_format.h"
#include "isl_tmpfile.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 256 /* actions read back and queried together */

enum verdict { V_NONE, V_DELETE, V_PATCH, V_DONE, V_CONFLICT, V_REFUSED };

struct item {
    json_t *a; /* the action line (with "_run") */
    const char *table, *sys_id, *action;
    char key[96]; /* RUN_ID/ROW: its journal key */
    enum verdict v;
    char reason[512];
    struct isl_http_req req;
    struct rb *rb;
    int attempts;
    double not_before;
    bool writing, finished, due;
};

struct rb {
    const struct isl_rollback_opts *o;
    struct isl_http *http;
    struct isl_rollback_counts *c;
    FILE *spool;
    long *chunks; /* spool offset of each chunk's first line */
    size_t nchunks, nspooled;
    const char *run_id; /* of the manifest being spooled */
    json_t *done;       /* journal keys of finished actions */
    json_t *touched;    /* sys_ids this rollback wrote */
    struct isl_jsonl *journal;
    json_t *conflicts, *refused, *errors, *warnings;
    int writes; /* in flight */
    int fatal;
    char fatal_msg[512];
    unsigned rng;
};

static void fail(struct rb *rb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct rb *rb, const char *fmt, ...)
{
    va_list ap;

    if (rb->fatal)
        return;
    rb->fatal = ISL_EIO;
    va_start(ap, fmt);
    vsnprintf(rb->fatal_msg, sizeof(rb->fatal_msg), fmt, ap);
    va_end(ap);
}

static double backoff(struct rb *rb, int attempt)
{
    double d = 0.25 * pow(2, attempt > 8 ? 8 : attempt - 1);

    rb->rng = rb->rng * 1103515245u + 12345u;
    return (d > 30 ? 30 : d) *
           (0.5 + (double)((rb->rng >> 8) & 0xffff) / 65536.0);
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

static bool sys_field(const char *k)
{
    return strcmp(k, "sys_id") == 0 || strcmp(k, "sys_mod_count") == 0 ||
           strcmp(k, "sys_created_on") == 0 || strcmp(k, "sys_updated_on") == 0;
}

/* ---- reading the manifests ---- */

static int spool_action(void *p, json_t *a, uint64_t lineno)
{
    struct rb *rb = p;
    char *text;
    int rc = 0;

    (void)lineno;
    if (rb->nspooled % CHUNK == 0) {
        long *c = realloc(rb->chunks, (rb->nchunks + 1) * sizeof(*c));

        if (!c)
            return ISL_ENOMEM;
        rb->chunks = c;
        c[rb->nchunks++] = ftell(rb->spool);
    }
    json_object_set_new(a, "_run", json_string(rb->run_id ? rb->run_id : ""));
    text = json_dumps(a, JSON_COMPACT);
    if (!text || fputs(text, rb->spool) == EOF || fputc('\n', rb->spool) == EOF)
        rc = ISL_EIO;
    free(text);
    rb->nspooled++;
    return rc;
}

static bool same_instance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);

    while (na && a[na - 1] == '/')
        na--;
    while (nb && b[nb - 1] == '/')
        nb--;
    return na == nb && strncmp(a, b, na) == 0;
}

/* The head line is read before the first action: remember its run id. */
struct spool_ctx {
    struct rb *rb;
    struct isl_manifest_info *info;
};

static int spool_line(void *p, json_t *a, uint64_t lineno)
{
    struct spool_ctx *sc = p;

    sc->rb->run_id = str(sc->info->head, "run_id");
    return spool_action(sc->rb, a, lineno);
}

/* Manifests in the order their runs began: the last one is undone first. */
static int run_order(struct rb *rb, size_t *order, struct isl_error *err)
{
    const char **started = calloc(rb->o->nmanifests, sizeof(*started));
    json_t **heads = calloc(rb->o->nmanifests, sizeof(*heads));
    int rc = started && heads ? 0 : ISL_ENOMEM;

    for (size_t i = 0; rc == 0 && i < rb->o->nmanifests; i++) {
        rc = isl_manifest_head(rb->o->manifests[i], &heads[i], err);
        started[i] = str(heads[i], "started_at");
        order[i] = i;
    }
    /* insertion sort: a handful of manifests, stable for equal times */
    for (size_t i = 1; rc == 0 && i < rb->o->nmanifests; i++)
        for (size_t j = i;
             j > 0 && strcmp(started[order[j - 1]], started[order[j]]) > 0;
             j--) {
            size_t t = order[j];

            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; heads && i < rb->o->nmanifests; i++)
        json_decref(heads[i]);
    free(heads);
    free(started);
    if (rc == ISL_EPARSE)
        rc = ISL_ECONFIG;
    return rc;
}

static int read_manifests(struct rb *rb, struct isl_error *err)
{
    size_t *order = calloc(rb->o->nmanifests, sizeof(*order));
    int rc = order ? run_order(rb, order, err) : ISL_ENOMEM;

    for (size_t i = 0; rc == 0 && i < rb->o->nmanifests; i++) {
        const char *path = rb->o->manifests[order[i]];
        struct isl_manifest_info info = {0};
        struct spool_ctx sc = {rb, &info};
        char w[1024];

        rc = isl_manifest_read(path, &info, spool_line, &sc, err);

        if (rc == 0 &&
            !same_instance(str(info.head, "instance"), rb->o->instance))
            rc = isl_error_set(err, ISL_ECONFIG, "rollback",
                               "%s records a load into %s, not %s", path,
                               str(info.head, "instance"), rb->o->instance);
        if (rc == 0 && (!info.ended || !info.complete)) {
            rb->c->incomplete_manifest = true;
            snprintf(w, sizeof(w),
                     "%s is incomplete (%s): its run did not finish, so "
                     "records it wrote in its last moments may not be "
                     "listed; resume the run (isload load --resume %s) and "
                     "roll back again to undo them too",
                     path,
                     info.torn    ? "it ends in a partial line"
                     : info.ended ? "the run was stopped"
                                  : "it has no end line",
                     str(info.head, "run_id"));
            json_array_append_new(rb->warnings, json_string(w));
        }
        rb->c->actions += info.nactions;
        json_decref(info.head);
        rb->run_id = NULL;
        if (rc == ISL_EPARSE)
            isl_error_at(err, path, 0, UINT64_MAX);
        if (rc == ISL_EPARSE)
            rc = ISL_ECONFIG;
    }
    free(order);
    return rc;
}

/* ---- the rollback journal ---- */

static int journal_line(void *p, char *text, size_t len, uint64_t lineno)
{
    struct rb *rb = p;
    json_t *o = json_loadb(text, len, 0, NULL);
    const char *key = str(o, "key"), *res = str(o, "result");

    (void)lineno;
    if (*key && (strcmp(res, "deleted") == 0 || strcmp(res, "restored") == 0 ||
                 strcmp(res, "already_gone") == 0 ||
                 strcmp(res, "already_restored") == 0))
        json_object_set_new(rb->done, key, json_true());
    json_decref(o);
    return 0;
}

static int open_journal(struct rb *rb, struct isl_error *err)
{
    char path[4096];

    if (rb->o->journal)
        snprintf(path, sizeof(path), "%s", rb->o->journal);
    else
        snprintf(path, sizeof(path), "%s.rollback.jsonl", rb->o->manifests[0]);
    if (rb->o->dry_run) {
        /* read what an earlier rollback did; write nothing */
        return access(path, F_OK) == 0
                   ? isl_jsonl_read(path, journal_line, rb, NULL, err)
                   : 0;
    }
    if (access(path, F_OK) == 0)
        return isl_jsonl_reopen(&rb->journal, path, journal_line, rb, err);
    return isl_jsonl_create(&rb->journal, path, err);
}

static void journal_done(struct rb *rb, struct item *it, const char *result)
{
    char at[32];
    time_t t = time(NULL);
    struct tm tm;
    json_t *o;
    char *text;

    if (!rb->journal)
        return;
    gmtime_r(&t, &tm);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "key", it->key, "table",
                  it->table, "sys_id", it->sys_id, "action", it->action,
                  "result", result, "at", at);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!text || isl_jsonl_write(rb->journal, text, strlen(text)) < 0 ||
        isl_jsonl_flush(rb->journal) < 0)
        fail(rb, "cannot write the rollback journal");
    free(text);
    json_decref(o);
}

/* ---- outcomes of an action ---- */

static void say(struct rb *rb, struct item *it, const char *what)
{
    const json_t *src = json_object_get(it->a, "source");

    if (!rb->o->out)
        return;
    fprintf(rb->o->out, "%-16s %s/%s (row %lld, %s:%lld)%s%s\n", what,
            it->table, it->sys_id,
            (long long)json_integer_value(json_object_get(it->a, "row")),
            str(src, "file"),
            (long long)json_integer_value(json_object_get(src, "line")),
            it->reason[0] ? ": " : "", it->reason);
}

static void record(json_t *list, struct item *it)
{
    json_t *e = json_pack("{s:s,s:s,s:s,s:O,s:O,s:O,s:s}", "table", it->table,
                          "sys_id", it->sys_id, "action", it->action, "row",
                          json_object_get(it->a, "row"), "source",
                          json_object_get(it->a, "source"), "key",
                          json_object_get(it->a, "key"), "reason", it->reason);

    if (e)
        json_array_append_new(list, e);
}

static void finish_item(struct rb *rb, struct item *it, const char *result)
{
    it->finished = true;
    if (strcmp(result, "deleted") == 0)
        rb->c->deleted++;
    else if (strcmp(result, "restored") == 0)
        rb->c->restored++;
    else if (strncmp(result, "already", 7) == 0)
        rb->c->already_done++;
    else if (strcmp(result, "conflict") == 0) {
        rb->c->conflicts++;
        record(rb->conflicts, it);
    } else if (strcmp(result, "refused") == 0) {
        rb->c->refused++;
        record(rb->refused, it);
    } else {
        rb->c->errors++;
        record(rb->errors, it);
    }
    say(rb, it, result);
    journal_done(rb, it, result);
}

/* ---- deciding ---- */

/* The first mapped field where a and b differ, or NULL. */
static const char *differs(const json_t *a, const json_t *b,
                           const json_t *fields)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)fields, k, v)
    {
        (void)v;
        if (!sys_field(k) && strcmp(str(a, k), str(b, k)) != 0)
            return k;
    }
    return NULL;
}

/* Has the record changed since the run left it (after)? */
static bool changed(struct rb *rb, struct item *it, const json_t *cur,
                    const json_t *after)
{
    const char *f = differs(cur, after, after);

    if (f) {
        snprintf(it->reason, sizeof(it->reason),
                 "changed since the run: %s was '%s', is now '%s'", f,
                 str(after, f), str(cur, f));
        return true;
    }
    /* mapped fields agree; the mod count tells of any other write,
     * unless this rollback itself wrote the record */
    if (!json_object_get(rb->touched, it->sys_id) &&
        strcmp(str(cur, "sys_mod_count"), str(after, "sys_mod_count")) != 0) {
        snprintf(it->reason, sizeof(it->reason),
                 "changed since the run: sys_mod_count was %s, is now %s "
                 "(updated %s)",
                 str(after, "sys_mod_count"), str(cur, "sys_mod_count"),
                 str(cur, "sys_updated_on"));
        return true;
    }
    return false;
}

static enum verdict decide(struct rb *rb, struct item *it, const json_t *cur)
{
    const json_t *before = json_object_get(it->a, "before");
    const json_t *after = json_object_get(it->a, "after");
    bool insert = strcmp(it->action, "insert") == 0;

    if (insert) {
        if (!cur) {
            snprintf(it->reason, sizeof(it->reason), "already deleted");
            return V_DONE;
        }
        if (!json_is_object(after)) {
            snprintf(it->reason, sizeof(it->reason),
                     "no after-image was recorded, so a change since the run "
                     "cannot be ruled out");
            return rb->o->force ? V_DELETE : V_CONFLICT;
        }
        return changed(rb, it, cur, after) && !rb->o->force ? V_CONFLICT
                                                            : V_DELETE;
    }
    if (!json_is_object(before)) {
        snprintf(it->reason, sizeof(it->reason),
                 "no before-image: %s; restore it from the instance's "
                 "history",
                 json_is_string(json_object_get(it->a, "before_unknown"))
                     ? str(it->a, "before_unknown")
                     : "the run did not read one");
        return V_REFUSED;
    }
    if (!cur) {
        snprintf(it->reason, sizeof(it->reason),
                 "deleted since the run: nothing to restore");
        return V_CONFLICT;
    }
    if (!differs(cur, before, before)) {
        snprintf(it->reason, sizeof(it->reason),
                 "already holds its "
                 "before-image");
        return V_DONE;
    }
    if (!json_is_object(after)) {
        snprintf(it->reason, sizeof(it->reason),
                 "no after-image was recorded, so a change since the run "
                 "cannot be ruled out");
        return rb->o->force ? V_PATCH : V_CONFLICT;
    }
    return changed(rb, it, cur, after) && !rb->o->force ? V_CONFLICT : V_PATCH;
}

/* ---- requests ---- */

/* Run one GET to completion with retries; *doc gets the parsed body. */
static void on_get_done(struct isl_http_req *req)
{
    *(bool *)req->payload = true;
}

static int fetch(struct rb *rb, struct isl_http_req *req, json_t **doc)
{
    char msg[600];

    *doc = NULL;
    for (int attempt = 1;; attempt++) {
        bool done = false;

        req->payload = &done;
        req->done = on_get_done;
        isl_http_submit(rb->http, req);
        while (!done)
            isl_http_run(rb->http, 100);
        if (req->status == 200) {
            *doc = json_loads(req->resp.data ? req->resp.data : "", 0, NULL);
            if (json_is_array(json_object_get(*doc, "result")))
                return 0;
            json_decref(*doc);
            *doc = NULL;
        }
        if (req->status == 401 && attempt == 1) {
            struct isl_error e;

            isl_error_clear(&e);
            if (isl_http_refresh_token(rb->http, &e) == 0)
                continue;
        }
        if (req->status == 401 || req->status == 403 || req->status == 400 ||
            req->status == 404 || attempt >= rb->o->max_attempts) {
            snprintf(msg, sizeof(msg), "HTTP %ld%s%s", req->status,
                     req->status ? "" : ": ", req->status ? "" : req->error);
            fail(rb, "cannot read the records to roll back (%s): %s",
                 req->url.data, msg);
            return ISL_EIO;
        }
        if (req->status == 429 || req->status == 503)
            isl_http_pause(rb->http,
                           req->retry_after > 0 ? req->retry_after : 1);
        else {
            struct timespec ts;
            double d = backoff(rb, attempt);

            ts.tv_sec = (time_t)d;
            ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
            nanosleep(&ts, NULL);
        }
    }
}

static void on_write_done(struct isl_http_req *req)
{
    struct item *it = req->payload;
    struct rb *rb = it->rb;
    bool del = strcmp(req->method, "DELETE") == 0;

    rb->writes--;
    it->writing = false;
    if (req->status == 200 || req->status == 204) {
        if (!del)
            json_object_set_new(rb->touched, it->sys_id, json_true());
        finish_item(rb, it, del ? "deleted" : "restored");
        return;
    }
    if (req->status == 404) {
        if (del && (it->attempts > 1 || req->resent)) {
            /* an earlier attempt (ours, or libcurl's own resend on a
             * reused connection) got through; its answer did not */
            finish_item(rb, it, "deleted");
        } else if (del) {
            snprintf(it->reason, sizeof(it->reason), "already deleted");
            finish_item(rb, it, "already_gone");
        } else {
            snprintf(it->reason, sizeof(it->reason), "deleted since the run");
            finish_item(rb, it, "conflict");
        }
        return;
    }
    if (req->status == 401 && it->attempts < 2) {
        struct isl_error e;

        isl_error_clear(&e);
        isl_http_refresh_token(rb->http, &e);
    } else if (req->status == 401) {
        fail(rb, "authentication refused (HTTP 401) writing %s", req->url.data);
        it->finished = true;
        return;
    } else if ((req->status > 0 && req->status < 500 && req->status != 429) ||
               it->attempts >= rb->o->max_attempts) {
        snprintf(it->reason, sizeof(it->reason), "%s refused: HTTP %ld%s%s",
                 req->method, req->status, req->status ? "" : ": ",
                 req->status ? "" : req->error);
        if (req->status == 403)
            snprintf(it->reason, sizeof(it->reason),
                     "%s refused: HTTP 403 (the user needs %s rights on %s)",
                     req->method, del ? "delete" : "write", it->table);
        finish_item(rb, it, "error");
        return;
    }
    if (req->status == 429 || req->status == 503)
        isl_http_pause(rb->http, req->retry_after > 0 ? req->retry_after : 1);
    it->not_before = isl_http_now() + backoff(rb, it->attempts);
    it->due = true;
}

static void write_item(struct rb *rb, struct item *it)
{
    struct isl_http_req *req = &it->req;

    isl_buf_reset(&req->url);
    isl_buf_reset(&req->body);
    req->payload = it;
    req->done = on_write_done;
    req->log_tag = "rollback";
    isl_buf_addf(&req->url, "/api/now/table/%s/%s", it->table, it->sys_id);
    if (it->v == V_DELETE) {
        req->method = "DELETE";
    } else {
        const json_t *before = json_object_get(it->a, "before");
        json_t *body = json_object();
        const char *k;
        json_t *v;
        char *text;

        json_object_foreach((json_t *)before, k, v) if (!sys_field(k))
            json_object_set(body, k, v);
        text = json_dumps(body, JSON_COMPACT);
        if (text)
            isl_buf_adds(&req->body, text);
        free(text);
        json_decref(body);
        req->method = "PATCH";
    }
    it->attempts++;
    it->writing = true;
    it->due = false;
    rb->writes++;
    isl_http_submit(rb->http, req);
}

/* ---- one round: one action per record ---- */

static void read_current(struct rb *rb, struct item **round, size_t n,
                         json_t **cur)
{
    for (size_t i = 0; i < n && !rb->fatal; i++) {
        struct isl_http_req req;
        struct isl_buf q;
        const char *fields[128];
        size_t nf = 0, nids = 0;
        json_t *doc = NULL, *seen;
        size_t k;
        json_t *e;

        if (cur[i] || round[i]->finished)
            continue;
        seen = json_object();
        /* every record of this table in the round, in one query */
        isl_buf_init(&q, 1 << 20);
        isl_buf_adds(&q, "sys_idIN");
        fields[nf++] = "sys_id";
        fields[nf++] = "sys_mod_count";
        fields[nf++] = "sys_updated_on";
        for (size_t j = i; j < n; j++) {
            const char *names[2] = {"before", "after"};

            if (strcmp(round[j]->table, round[i]->table) != 0)
                continue;
            isl_buf_addf(&q, "%s%s", nids++ ? "," : "", round[j]->sys_id);
            for (int s = 0; s < 2; s++) {
                const char *f;
                json_t *v;

                json_object_foreach(json_object_get(round[j]->a, names[s]), f,
                                    v)
                {
                    (void)v;
                    /* f lives as long as the item */
                    if (!sys_field(f) && !json_object_get(seen, f) &&
                        nf < ISL_ARRAY_LEN(fields)) {
                        json_object_set_new(seen, f, json_true());
                        fields[nf++] = f;
                    }
                }
            }
        }
        isl_http_req_init(&req);
        req.method = "GET";
        req.log_tag = "rollback-read";
        if (out_format_table_get(&req.url, round[i]->table, q.data, fields, nf,
                                 nids + 16) < 0 ||
            fetch(rb, &req, &doc) < 0) {
            if (!rb->fatal)
                fail(rb, "out of memory");
        } else {
            for (size_t j = i; j < n; j++) {
                if (strcmp(round[j]->table, round[i]->table) != 0)
                    continue;
                cur[j] = json_null(); /* missing unless found below */
                json_array_foreach(
                    json_object_get(doc, "result"), k,
                    e) if (strcmp(str(e, "sys_id"), round[j]->sys_id) == 0)
                {
                    json_decref(cur[j]);
                    cur[j] = json_incref(e);
                }
            }
        }
        json_decref(doc);
        json_decref(seen);
        isl_http_req_free(&req);
        isl_buf_free(&q);
    }
}

static void run_round(struct rb *rb, struct item **round, size_t n)
{
    json_t **cur = calloc(n ? n : 1, sizeof(*cur));

    if (!cur) {
        fail(rb, "out of memory");
        return;
    }
    read_current(rb, round, n, cur);
    for (size_t i = 0; i < n && !rb->fatal; i++) {
        struct item *it = round[i];
        const json_t *c = json_is_object(cur[i]) ? cur[i] : NULL;

        it->v = decide(rb, it, c);
        if (it->v == V_DONE)
            finish_item(rb, it,
                        strcmp(it->action, "insert") == 0 ? "already_gone"
                                                          : "already_restored");
        else if (it->v == V_CONFLICT)
            finish_item(rb, it, "conflict");
        else if (it->v == V_REFUSED)
            finish_item(rb, it, "refused");
        else if (rb->o->dry_run) {
            it->finished = true;
            if (it->v == V_DELETE)
                rb->c->would_delete++;
            else
                rb->c->would_restore++;
            say(rb, it, it->v == V_DELETE ? "would delete" : "would restore");
        } else {
            write_item(rb, it);
        }
    }
    /* wait for the writes, resubmitting those due for a retry */
    while (!rb->fatal) {
        bool waiting = false;
        double now = isl_http_now();

        for (size_t i = 0; i < n; i++) {
            if (round[i]->due && round[i]->not_before <= now)
                write_item(rb, round[i]);
            waiting |= !round[i]->finished;
        }
        if (!waiting)
            break;
        isl_http_run(rb->http, 50);
        if (rb->writes == 0 && isl_http_pending(rb->http) == 0) {
            struct timespec ts = {0, 20 * 1000 * 1000};

            nanosleep(&ts, NULL);
        }
    }
    while (isl_http_pending(rb->http)) /* after a fatal error */
        isl_http_run(rb->http, 50);
    for (size_t i = 0; i < n; i++)
        json_decref(cur[i]);
    free(cur);
}

/* ---- chunks ---- */

static int load_item(struct rb *rb, struct item *it, char *line)
{
    json_t *a = json_loads(line, 0, NULL);

    memset(it, 0, sizeof(*it));
    if (!json_is_object(a)) {
        json_decref(a);
        return ISL_EIO;
    }
    it->a = a;
    it->rb = rb;
    it->table = str(a, "table");
    it->sys_id = str(a, "sys_id");
    it->action = str(a, "action");
    snprintf(it->key, sizeof(it->key), "%s/%lld", str(a, "_run"),
             (long long)json_integer_value(json_object_get(a, "row")));
    isl_http_req_init(&it->req);
    return 0;
}

/* A table name ([a-z0-9_]) and a sys_id (32 hex digits) go into URLs: an
 * action line with anything else is refused, never sent. */
static bool well_formed(struct item *it)
{
    size_t n = strlen(it->sys_id);
    const char *why = NULL;

    if (!*it->table ||
        strspn(it->table, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
            strlen(it->table))
        why = "its table is not a table name";
    else if (n != 32 || strspn(it->sys_id, "0123456789abcdef") != n)
        why = "its sys_id is not 32 hex digits";
    else if (strcmp(it->action, "insert") != 0 &&
             strcmp(it->action, "update") != 0)
        why = "its action is neither insert nor update";
    if (why)
        snprintf(it->reason, sizeof(it->reason), "malformed manifest line: %s",
                 why);
    return !why;
}

static void run_chunk(struct rb *rb, size_t k)
{
    struct item *items = calloc(CHUNK, sizeof(*items));
    struct item **round = calloc(CHUNK, sizeof(*round));
    long end = k + 1 < rb->nchunks ? rb->chunks[k + 1] : -1;
    char *line = NULL;
    size_t cap = 0, n = 0, left;

    if (!items || !round) {
        fail(rb, "out of memory");
        goto out;
    }
    fseek(rb->spool, rb->chunks[k], SEEK_SET);
    while (n < CHUNK && (end < 0 || ftell(rb->spool) < end) &&
           getline(&line, &cap, rb->spool) > 0)
        if (load_item(rb, &items[n], line) == 0)
            n++;
    /* journaled by an earlier rollback: nothing to do */
    for (size_t i = 0; i < n; i++)
        if (!well_formed(&items[i]))
            finish_item(rb, &items[i], "refused");
        else if (json_object_get(rb->done, items[i].key)) {
            items[i].finished = true;
            rb->c->already_done++;
        }
    /* in reverse, one action per record per round */
    do {
        json_t *ids = json_object();
        size_t nr = 0;

        left = 0;
        for (size_t i = n; i-- > 0;) {
            char id[256];

            if (items[i].finished)
                continue;
            snprintf(id, sizeof(id), "%s/%s", items[i].table, items[i].sys_id);
            if (json_object_get(ids, id)) {
                left++;
                continue;
            }
            json_object_set_new(ids, id, json_true());
            round[nr++] = &items[i];
        }
        json_decref(ids);
        run_round(rb, round, nr);
    } while (left && !rb->fatal);
out:
    for (size_t i = 0; items && i < n; i++) {
        json_decref(items[i].a);
        isl_http_req_free(&items[i].req);
    }
    free(items);
    free(round);
    free(line);
}

static json_t *counts_json(const struct isl_rollback_counts *c)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "actions",
                     (json_int_t)c->actions, "deleted", (json_int_t)c->deleted,
                     "restored", (json_int_t)c->restored, "already_done",
                     (json_int_t)c->already_done, "conflicts",
                     (json_int_t)c->conflicts, "refused",
                     (json_int_t)c->refused, "errors", (json_int_t)c->errors,
                     "would_delete", (json_int_t)c->would_delete,
                     "would_restore", (json_int_t)c->would_restore);
}

int isl_rollback_run(const struct isl_rollback_opts *o, struct isl_http *http,
                     struct isl_rollback_counts *counts, json_t **report,
                     struct isl_error *err)
{
    struct rb rb = {.o = o, .http = http, .c = counts, .rng = 4321u};
    struct isl_rollback_opts dflt;
    json_t *mlist = json_array(), *notes = json_object();
    int rc;

    memset(counts, 0, sizeof(*counts));
    *report = NULL;
    if (o->max_attempts < 1) {
        dflt = *o;
        dflt.max_attempts = 8;
        rb.o = &dflt;
    }
    rb.done = json_object();
    rb.touched = json_object();
    rb.conflicts = json_array();
    rb.refused = json_array();
    rb.errors = json_array();
    rb.warnings = json_array();
    if (!(rb.spool = isl_tmpfile("rollback", err))) {
        rc = ISL_EIO;
        goto out;
    }
    if ((rc = read_manifests(&rb, err)) < 0 ||
        (rc = open_journal(&rb, err)) < 0)
        goto out;
    json_object_set_new(
        notes, "foreign_inserts",
        json_string("records created outside the target table by transform "
                    "map side effects (choice action create, reference "
                    "creation) are not in import results, so not in the "
                    "manifest, and are not undone"));
    for (size_t k = rb.nchunks; k-- > 0 && !rb.fatal;)
        run_chunk(&rb, k);
    if (rb.fatal)
        rc = isl_error_set(err, rb.fatal, "rollback", "%s", rb.fatal_msg);
out:
    for (size_t i = 0; i < o->nmanifests; i++)
        json_array_append_new(mlist, json_string(o->manifests[i]));
    *report = json_pack("{s:i,s:o,s:s,s:b,s:b,s:o,s:b,s:O,s:O,s:O,s:O,s:o,s:b}",
                        "isload_rollback", 1, "manifests", mlist, "instance",
                        o->instance, "dry_run", o->dry_run, "force", o->force,
                        "counts", counts_json(counts), "manifest_incomplete",
                        counts->incomplete_manifest, "conflicts", rb.conflicts,
                        "refused", rb.refused, "errors", rb.errors, "warnings",
                        rb.warnings, "notes", notes, "aborted", rc < 0);
    if (isl_jsonl_close(rb.journal, NULL) < 0 && rc == 0)
        rc = isl_error_set(err, ISL_EIO, "rollback",
                           "cannot finish the rollback journal");
    if (rb.spool)
        fclose(rb.spool);
    free(rb.chunks);
    json_decref(rb.done);
    json_decref(rb.touched);
    json_decref(rb.conflicts);
    json_decref(rb.refused);
    json_decref(rb.errors);
    json_decref(rb.warnings);
    return rc;
}
