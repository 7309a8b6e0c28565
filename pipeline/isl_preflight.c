/*
 * isl_preflight.c: asking the instance what the preflight checks need
 * (see isl_preflight.h), and printing the verdicts.
 *
 * Every request is a Table API read except the probe (one single-row
 * import POST, only when isl_pf_probe_plan says it cannot write). Reads
 * that could be hidden by ACLs are followed by a second read that tells
 * "none" from "hidden": the whole metadata table (one row), or the staging
 * table itself. Each answer keeps its status, body and error text; the
 * X-RateLimit-* headers of every answer are kept too (the smallest limit
 * wins, since the run uses both the Import Set and the Table API).
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_http.h"
#include "isl_preflight.h"
#include "out_format.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ATTEMPTS 3
#define MAX_WAIT_S 5.0 /* longest Retry-After preflight waits for */
#define PROPERTY_ADD_FIELDS "glide.import_set_row.dynamically_add_fields"

struct asker {
    struct isl_http *http;
    struct isl_pf_facts *f;
    struct isl_http_req req;
    bool oom;
};

static void sleep_s(double s)
{
    struct timespec ts;

    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

static void keep_rate(struct isl_pf_facts *f, const struct isl_http_req *req)
{
    if (req->rate_limit <= 0 ||
        (f->rate_limit > 0 && req->rate_limit >= f->rate_limit))
        return;
    f->rate_limit = req->rate_limit;
    f->rate_reset = req->rate_reset;
    snprintf(f->rate_rule, sizeof(f->rate_rule), "%s", req->rate_rule);
}

/*
 * Send the request whose URL is in ak->req.url (body: NULL for a GET) and
 * keep the answer in a. 429, 503 and connections that never reached the
 * instance are retried a few times (a POST only when nothing was sent).
 */
static void ask(struct asker *ak, struct isl_pf_answer *a, const char *body)
{
    struct isl_http_req *req = &ak->req;
    json_t *msg;

    a->asked = true;
    for (int attempt = 1;; attempt++) {
        double wait;

        isl_buf_reset(&req->body);
        req->method = body ? "POST" : "GET";
        if (body && isl_buf_adds(&req->body, body) < 0) {
            ak->oom = true;
            return;
        }
        isl_http_perform(ak->http, req);
        keep_rate(ak->f, req);
        if (attempt >= MAX_ATTEMPTS ||
            !(req->status == 429 || req->status == 503 ||
              (req->status == 0 && (!body || !req->sent))))
            break;
        wait = req->retry_after > 0 ? req->retry_after : attempt;
        if (wait > MAX_WAIT_S)
            break;
        sleep_s(wait);
    }
    a->status = req->status;
    json_decref(a->doc);
    a->doc = req->resp.len ? json_loadb(req->resp.data, req->resp.len, 0, NULL)
                           : NULL;
    msg = json_object_get(json_object_get(a->doc, "error"), "message");
    if (req->status == 0)
        snprintf(a->error, sizeof(a->error), "%s", req->error);
    else if (json_is_string(msg))
        snprintf(a->error, sizeof(a->error), "%s", json_string_value(msg));
    else
        a->error[0] = '\0';
    if (req->status == 0 || req->status == 401)
        ak->f->unreachable = true;
}

/*
 * GET /api/now/table/TABLE?sysparm_query=QUERY&sysparm_fields=FIELDS
 * &sysparm_limit=LIMIT into a (query may be NULL).
 */
static void read_table(struct asker *ak, struct isl_pf_answer *a,
                       const char *table, const char *query, const char *fields,
                       int limit)
{
    struct isl_buf *u = &ak->req.url;
    int rc;

    isl_buf_reset(u);
    rc = isl_buf_adds(u, "/api/now/table/");
    rc |= out_format_urlencode(u, table);
    rc |= isl_buf_addf(u, "?sysparm_limit=%d", limit);
    if (query) {
        rc |= isl_buf_adds(u, "&sysparm_query=");
        rc |= out_format_urlencode(u, query);
    }
    rc |= isl_buf_adds(u, "&sysparm_fields=");
    rc |= out_format_urlencode(u, fields);
    rc |= isl_buf_adds(u, "&sysparm_exclude_reference_link=true"
                          "&sysparm_suppress_pagination_header=true");
    if (rc) {
        ak->oom = true;
        return;
    }
    ask(ak, a, NULL);
}

/* GET /api/now/table/TABLE/SYS_ID?sysparm_fields=sys_id into a. */
static void read_record(struct asker *ak, struct isl_pf_answer *a,
                        const char *table, const char *sys_id)
{
    struct isl_buf *u = &ak->req.url;
    int rc;

    isl_buf_reset(u);
    rc = isl_buf_adds(u, "/api/now/table/");
    rc |= out_format_urlencode(u, table);
    rc |= isl_buf_adds(u, "/");
    rc |= out_format_urlencode(u, sys_id);
    rc |= isl_buf_adds(u, "?sysparm_fields=sys_id");
    if (rc) {
        ak->oom = true;
        return;
    }
    ask(ak, a, NULL);
}

static size_t nrows(const struct isl_pf_answer *a)
{
    json_t *r = json_object_get(a->doc, "result");

    return a->status == 200 && json_is_array(r) ? json_array_size(r) : 0;
}

static bool list_ok(const struct isl_pf_answer *a)
{
    return a->status == 200 && json_is_array(json_object_get(a->doc, "result"));
}

/* Is there a record whose `key` is `value` in a list answer? */
static bool has_rec(const struct isl_pf_answer *a, const char *key,
                    const char *value)
{
    json_t *rec;
    size_t i;

    json_array_foreach(json_object_get(a->doc, "result"), i, rec)
    {
        json_t *v = json_object_get(rec, key);

        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
            return true;
    }
    return false;
}

/* The staging table's metadata: sys_db_object, sys_dictionary, and the
 * table itself when neither shows it. */
static void ask_staging(struct asker *ak, const struct isl_pf_plan *p,
                        struct isl_buf *q)
{
    struct isl_pf_facts *f = ak->f;
    const char *staging = p->feed->staging_table;

    isl_buf_reset(q);
    if (isl_buf_addf(q, "name=%s", staging) < 0) {
        ak->oom = true;
        return;
    }
    read_table(ak, &f->dictionary, "sys_dictionary", q->data,
               "name,element,column_label,internal_type,max_length,active",
               10000);
    if (nrows(&f->dictionary) == 0 && !has_rec(&f->tables, "name", staging))
        read_table(ak, &f->staging_read, staging, NULL, "sys_id", 1);
    if (nrows(&f->dictionary) > 0 &&
        !has_rec(&f->dictionary, "element", p->corr_col))
        read_table(ak, &f->property, "sys_properties",
                   "name=" PROPERTY_ADD_FIELDS, "name,value", 1);
    if (p->mode == ISL_MODE_MULTIPLE) {
        isl_buf_reset(q);
        if (isl_buf_addf(q, "source_table=%s", staging) < 0) {
            ak->oom = true;
            return;
        }
        read_table(ak, &f->rim, "sys_rest_insert_multiple", q->data,
                   "sys_id,source_table,transform_mode,column_mapping", 10);
        if (list_ok(&f->rim) && nrows(&f->rim) == 0)
            read_table(ak, &f->rim_any, "sys_rest_insert_multiple", NULL,
                       "sys_id", 1);
    }
}

/* The staging table's transform maps and their field maps. */
static void ask_transform(struct asker *ak, const struct isl_pf_plan *p,
                          struct isl_buf *q)
{
    struct isl_pf_facts *f = ak->f;
    json_t *rec;
    size_t i, nactive = 0;
    bool some_empty = false;

    isl_buf_reset(q);
    if (isl_buf_addf(q, "source_table=%s^ORDERBYorder",
                     p->feed->staging_table) < 0) {
        ak->oom = true;
        return;
    }
    read_table(ak, &f->maps, "sys_transform_map", q->data,
               "sys_id,name,source_table,target_table,active,order,run_script,"
               "coalesce_empty_fields,"
               "create_new_record_on_empty_coalesce_fields",
               100);
    if (list_ok(&f->maps) && nrows(&f->maps) == 0)
        read_table(ak, &f->maps_any, "sys_transform_map", NULL, "sys_id", 1);
    isl_buf_reset(q);
    isl_buf_adds(q, "mapIN");
    json_array_foreach(json_object_get(f->maps.doc, "result"), i, rec)
    {
        json_t *active = json_object_get(rec, "active");
        json_t *id = json_object_get(rec, "sys_id");

        if (!json_is_string(active) || !json_is_string(id) ||
            strcmp(json_string_value(active), "true") != 0)
            continue;
        if (isl_buf_addf(q, "%s%s", nactive ? "," : "", json_string_value(id)) <
            0) {
            ak->oom = true;
            return;
        }
        nactive++;
    }
    if (!nactive || ak->oom)
        return;
    read_table(
        ak, &f->entries, "sys_transform_entry", q->data,
        "sys_id,map,source_field,target_field,coalesce,coalesce_empty_fields",
        10000);
    json_array_foreach(json_object_get(f->maps.doc, "result"), i, rec)
    {
        json_t *id = json_object_get(rec, "sys_id");

        if (json_is_string(id) &&
            !has_rec(&f->entries, "map", json_string_value(id)))
            some_empty = true;
    }
    if (list_ok(&f->entries) && some_empty)
        read_table(ak, &f->entries_any, "sys_transform_entry", NULL, "sys_id",
                   1);
}

/* Post the probe row when it cannot write, and read it back. */
static void ask_probe(struct asker *ak, const struct isl_pf_plan *p)
{
    struct isl_pf_facts *f = ak->f;
    struct isl_buf *u = &ak->req.url;
    json_t *body = NULL, *res;
    char why[400], *text = NULL;
    const char *row;
    int rc = isl_pf_probe_plan(p, f, &body, why, sizeof(why));

    if (rc < 0)
        ak->oom = true;
    if (rc <= 0)
        return;
    text = json_dumps(body, JSON_COMPACT);
    isl_buf_reset(u);
    if (!text || isl_buf_adds(u, "/api/now/import/") < 0 ||
        out_format_urlencode(u, p->feed->staging_table) < 0) {
        ak->oom = true;
        goto out;
    }
    ask(ak, &f->probe, text);
    res = json_array_get(json_object_get(f->probe.doc, "result"), 0);
    row = json_string_value(json_object_get(res, "sys_id"));
    if ((f->probe.status == 200 || f->probe.status == 201) && row && *row) {
        read_record(ak, &f->probe_row, "sys_import_set_row", row);
        read_record(ak, &f->probe_staged, p->feed->staging_table, row);
    }
out:
    free(text);
    json_decref(body);
}

int isl_preflight_run(struct isl_http *http, const struct isl_pf_plan *plan,
                      struct isl_pf_facts *facts, struct isl_pf_results *res,
                      struct isl_error *err)
{
    struct asker ak = {http, facts, {0}, false};
    struct isl_buf q;
    struct isl_error terr;
    char query[300];
    int rc;

    isl_http_req_init(&ak.req);
    isl_buf_init(&q, 1 << 20);
    isl_error_clear(&terr);
    /* credentials: the OAuth token first, then one read any user may do */
    if (isl_http_refresh_token(http, &terr) < 0) {
        snprintf(facts->oauth_error, sizeof(facts->oauth_error), "%s",
                 terr.msg);
        facts->unreachable = true;
        goto judge;
    }
    snprintf(query, sizeof(query), "nameIN%s,sys_import_set_row",
             plan->feed->staging_table);
    read_table(&ak, &facts->tables, "sys_db_object", query,
               "sys_id,name,label,super_class", 10);
    if (facts->tables.status == 0 || facts->tables.status == 401 ||
        facts->tables.status >= 500)
        goto judge;
    ask_staging(&ak, plan, &q);
    ask_transform(&ak, plan, &q);
    if (!ak.oom)
        ask_probe(&ak, plan);
judge:
    isl_http_req_free(&ak.req);
    isl_buf_free(&q);
    rc = ak.oom ? ISL_ENOMEM : isl_pf_judge(plan, facts, res);
    if (rc < 0)
        return isl_error_set(err, ISL_ENOMEM, "preflight", "out of memory");
    return 0;
}

/* ---- output ---- */

void isl_pf_print(const struct isl_pf_results *res, FILE *f)
{
    for (int i = 0; i < ISL_PF_NCHECKS; i++) {
        const struct isl_pf_check *c = &res->checks[i];

        fprintf(f, "%s %s: %s\n", isl_pf_state_word(c->state, true), c->name,
                c->line.data ? c->line.data : "");
    }
}

int isl_pf_exit_code(const struct isl_pf_facts *facts,
                     const struct isl_pf_results *res)
{
    if (facts->unreachable)
        return 3;
    for (int i = 0; i < ISL_PF_NCHECKS; i++)
        if (res->checks[i].state != ISL_PF_PASS)
            return 1;
    return 0;
}

int isl_pf_write_json(const struct isl_pf_plan *plan,
                      const struct isl_pf_results *res, int exit_code,
                      const char *path, struct isl_error *err)
{
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:[]}", "command",
                  "preflight", "feed", plan->feed->name, "instance",
                  plan->instance, "staging_table", plan->feed->staging_table,
                  "passed", exit_code == 0, "exit_code", exit_code, "checks");
    json_t *checks = json_object_get(doc, "checks");
    int rc = 0;

    for (int i = 0; doc && i < ISL_PF_NCHECKS; i++) {
        const struct isl_pf_check *c = &res->checks[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:O, s:O}", "check", c->name,
                              "result", isl_pf_state_word(c->state, false),
                              "message", c->line.data ? c->line.data : "",
                              "problems", c->problems, "facts", c->facts);

        if (!o || json_array_append_new(checks, o) < 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    if (!doc)
        return isl_error_set(err, ISL_ENOMEM, "preflight", "out of memory");
    if (json_dump_file(doc, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
        rc = isl_error_set(err, ISL_EIO, "preflight", "cannot write %s", path);
        isl_error_at(err, path, 0, UINT64_MAX);
    }
    json_decref(doc);
    return rc;
}

void isl_pf_facts_free(struct isl_pf_facts *f)
{
    struct isl_pf_answer *all[] = {
        &f->tables,       &f->dictionary,  &f->staging_read, &f->property,
        &f->rim,          &f->rim_any,     &f->maps,         &f->maps_any,
        &f->entries,      &f->entries_any, &f->probe,        &f->probe_row,
        &f->probe_staged,
    };

    for (size_t i = 0; i < ISL_ARRAY_LEN(all); i++) {
        json_decref(all[i]->doc);
        all[i]->doc = NULL;
    }
}
