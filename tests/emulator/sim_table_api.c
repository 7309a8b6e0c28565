/*
 * sim_table_api.c: the Table API, /api/now[/vN]/table/{table}[/{sys_id}],
 * for every emulated table (targets, staging tables, sys_import_set,
 * sys_import_set_row, ...).
 *
 *   GET list   sysparm_query (or field=value pairs), sysparm_fields,
 *              sysparm_limit (10000), sysparm_offset, sysparm_no_count,
 *              sysparm_exclude_reference_link, sysparm_display_value;
 *              X-Total-Count and Link headers; {"result": [...]}
 *   GET one    {"result": {...}} or 404
 *   POST       one record, 201
 *   PUT/PATCH  200 with the updated record, sys_mod_count + 1
 *   DELETE     204
 *
 * Every value is returned as a string; reference fields come back as
 * {"link", "value"} unless sysparm_exclude_reference_link=true.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 10000

enum dv_mode { DV_FALSE, DV_TRUE, DV_ALL };

struct render {
    struct sim *s;
    const struct sim_table *t;
    bool exclude_links;
    enum dv_mode dv;
    char **fields; /* NULL: all columns */
    size_t nfields;
};

static void not_found(struct sim_resp *resp)
{
    sim_resp_error(resp, 404, "No Record found",
                   "Record doesn't exist or ACL restricts the record "
                   "retrieval");
}

static bool arg_true(const struct sim_req *r, const char *name)
{
    const char *v = sim_req_arg(r, name);

    return v && strcmp(v, "true") == 0;
}

/* Display value of sys_id in table ref ("" when not found). */
static char *ref_display(struct sim *s, const char *ref, const char *sys_id)
{
    struct sim_table *rt = sim_db_table(s, ref);
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    char *out = NULL;

    if (!rt)
        return sim_xstrdup("");
    sim_str_addf(&sql, "SELECT \"%s\" FROM \"%s\" WHERE sys_id = ?1",
                 sim_db_display_field(rt), rt->name);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (st) {
        sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = sim_xstrdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    return out ? out : sim_xstrdup("");
}

static json_t *render_value(struct render *rd, const struct sim_col *c,
                            const char *v)
{
    char link[512];
    char *dv;
    json_t *out;

    if (!c || !c->reference || !*v) {
        if (rd->dv == DV_ALL)
            return json_pack("{s:s, s:s}", "display_value", v, "value", v);
        return json_string(v);
    }
    snprintf(link, sizeof(link), "%s/api/now/table/%s/%s", rd->s->base_url,
             c->reference, v);
    if (rd->dv == DV_FALSE) {
        if (rd->exclude_links)
            return json_string(v);
        return json_pack("{s:s, s:s}", "link", link, "value", v);
    }
    dv = ref_display(rd->s, c->reference, v);
    if (rd->dv == DV_TRUE) {
        out = rd->exclude_links
                  ? json_string(dv)
                  : json_pack("{s:s, s:s}", "link", link, "value", dv);
    } else {
        out = json_pack("{s:s, s:s}", "display_value", dv, "value", v);
        if (!rd->exclude_links)
            json_object_set_new(out, "link", json_string(link));
    }
    free(dv);
    return out;
}

/* Renders the current row of st (a SELECT *). */
static json_t *render_row(struct render *rd, sqlite3_stmt *st)
{
    json_t *rec = json_object();
    int n = sqlite3_column_count(st);

    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        const char *v = (const char *)sqlite3_column_text(st, i);
        if (rd->fields && !sim_str_in_list(name, rd->fields, rd->nfields))
            continue;
        json_object_set_new(
            rec, name, render_value(rd, sim_db_col(rd->t, name), v ? v : ""));
    }
    return rec;
}

static void render_init(struct render *rd, struct sim *s,
                        const struct sim_table *t, const struct sim_req *r)
{
    const char *dv = sim_req_arg(r, "sysparm_display_value");
    const char *fields = sim_req_arg(r, "sysparm_fields");

    memset(rd, 0, sizeof(*rd));
    rd->s = s;
    rd->t = t;
    rd->exclude_links = arg_true(r, "sysparm_exclude_reference_link");
    rd->dv = !dv                       ? DV_FALSE
             : strcmp(dv, "true") == 0 ? DV_TRUE
             : strcmp(dv, "all") == 0  ? DV_ALL
                                       : DV_FALSE;
    if (fields && *fields) {
        char *copy = sim_xstrdup(fields);
        char *save = NULL;
        rd->fields = sim_xcalloc(strlen(fields) + 1, sizeof(char *));
        for (char *f = strtok_r(copy, ",", &save); f;
             f = strtok_r(NULL, ",", &save)) {
            while (*f == ' ')
                f++;
            if (sim_db_col(t, f)) /* unknown fields are silently ignored */
                rd->fields[rd->nfields++] = sim_xstrdup(f);
        }
        free(copy);
        if (!rd->nfields) { /* UNVERIFIED: nothing valid -> all fields */
            free(rd->fields);
            rd->fields = NULL;
        }
    }
}

static void render_free(struct render *rd)
{
    for (size_t i = 0; i < rd->nfields; i++)
        free(rd->fields[i]);
    free(rd->fields);
}

static json_t *get_rendered(struct render *rd, const char *sys_id)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    json_t *rec = NULL;

    sim_str_addf(&sql, "SELECT * FROM \"%s\" WHERE sys_id = ?1", rd->t->name);
    st = sim_db_stmt(rd->s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        rec = render_row(rd, st);
    sqlite3_reset(st);
    return rec;
}

/* --- list -----------------------------------------------------------------*/

struct pairs {
    struct sim_str q;
};

static void collect_pair(void *payload, const char *key, const char *value)
{
    struct pairs *p = payload;

    if (strncmp(key, "sysparm_", 8) == 0 || !sim_valid_name(key))
        return;
    sim_str_addf(&p->q, "%s%s=%s", p->q.len ? "^" : "", key, value);
}

static long arg_long(const struct sim_req *r, const char *name, long def)
{
    const char *v = sim_req_arg(r, name);
    char *end;
    long n;

    if (!v || !*v)
        return def;
    n = strtol(v, &end, 10);
    return *end ? def : n;
}

static void add_link_header(struct sim *s, const struct sim_req *r,
                            struct sim_resp *resp, const struct sim_table *t,
                            long limit, long offset, long total)
{
    struct sim_str link = {0};
    long last = total > 0 ? ((total - 1) / limit) * limit : 0;
    const char *q = sim_req_arg(r, "sysparm_query");

    (void)q;
#define LINK(off, rel)                                                         \
    sim_str_addf(&link,                                                        \
                 "%s<%s/api/now/table/%s?sysparm_limit=%ld&sysparm_offset="    \
                 "%ld>;rel=\"%s\"",                                            \
                 link.len ? "," : "", s->base_url, t->name, limit,             \
                 (long)(off), rel)
    LINK(0, "first");
    if (offset > 0)
        LINK(offset - limit > 0 ? offset - limit : 0, "prev");
    if (offset + limit < total)
        LINK(offset + limit, "next");
    LINK(last, "last");
#undef LINK
    sim_resp_header(resp, "Link", "%s", link.p);
    sim_str_free(&link);
}

static void list(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                 struct sim_table *t, int version)
{
    struct sim_query q;
    struct pairs pairs = {{0}};
    struct render rd;
    struct sim_str sql = {0}, where = {0};
    const char *encoded = sim_req_arg(r, "sysparm_query");
    long limit = arg_long(r, "sysparm_limit", DEFAULT_LIMIT);
    long offset = arg_long(r, "sysparm_offset", 0);
    long total = 0;
    sqlite3_stmt *st;
    json_t *result = json_array();

    if (limit <= 0)
        limit = DEFAULT_LIMIT;
    if (offset < 0)
        offset = 0;
    if (!sim_auth_acl(s, r->user, t, SIM_ACL_READ)) {
        json_decref(result);
        if (s->cfg->acl_list_denied_empty)
            sim_resp_json(resp, 200, json_pack("{s:[]}", "result"));
        else
            sim_resp_error(resp, 403, "User Not Authorized",
                           "Insufficient rights to read records");
        return;
    }
    if (!encoded) {
        sim_req_each_arg(r, collect_pair, &pairs);
        encoded = pairs.q.p;
    }
    sim_query_compile(&q, t, encoded, s->cfg->query_case_sensitive,
                      s->cfg->ne_matches_empty);
    for (size_t i = 0; i < q.nindexes; i++)
        sim_db_want_index(s, t, q.indexes[i].col, q.indexes[i].nocase);
    if (q.invalid && s->cfg->invalid_query_no_rows)
        sim_str_add(&where, " WHERE 0");
    else if (q.where.len)
        sim_str_addf(&where, " WHERE %s", q.where.p);
    else
        sim_str_add(&where, "");

    sim_str_addf(&sql, "SELECT count(*) FROM \"%s\"%s", t->name, where.p);
    st = sim_db_stmt(s, sql.p);
    if (st) {
        for (size_t i = 0; i < q.nparams; i++)
            sqlite3_bind_text(st, (int)i + 1, q.params[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            total = (long)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    sim_str_free(&sql);

    render_init(&rd, s, t, r);
    sim_str_addf(&sql, "SELECT * FROM \"%s\"%s %s", t->name, where.p,
                 q.order.len ? q.order.p : "ORDER BY");
    if (t->kind == SIM_KIND_VIEW)
        sim_str_add(&sql, q.order.len ? ", sys_created_on, sys_import_set,"
                                        " sys_import_row"
                                      : " sys_created_on, sys_import_set,"
                                        " sys_import_row");
    else
        sim_str_add(&sql, q.order.len ? ", rowid" : " rowid");
    sim_str_addf(&sql, " LIMIT %ld OFFSET %ld", limit, offset);
    st = sim_db_stmt(s, sql.p);
    if (st) {
        for (size_t i = 0; i < q.nparams; i++)
            sqlite3_bind_text(st, (int)i + 1, q.params[i], -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(result, render_row(&rd, st));
        sqlite3_reset(st);
    }
    render_free(&rd);
    sim_str_free(&sql);
    sim_str_free(&where);
    sim_query_free(&q);
    sim_str_free(&pairs.q);

    if (version == 1 && json_array_size(result) == 0) {
        json_decref(result);
        not_found(resp); /* v1 answers 404 when nothing matches */
        return;
    }
    if (!arg_true(r, "sysparm_no_count"))
        sim_resp_header(resp, "X-Total-Count", "%ld", total);
    if (!arg_true(r, "sysparm_suppress_pagination_header"))
        add_link_header(s, r, resp, t, limit, offset, total);
    sim_resp_json(resp, 200, json_pack("{s:o}", "result", result));
}

/* --- single records -------------------------------------------------------*/

static json_t *parse_body(const struct sim_req *r, struct sim_resp *resp)
{
    json_error_t err;
    json_t *body = json_loadb(r->body, r->body_len, 0, &err);

    if (body && json_is_array(body)) {
        /* several records: only the first is processed */
        json_t *first = json_incref(json_array_get(body, 0));
        json_decref(body);
        body = first;
    }
    if (!body || !json_is_object(body)) {
        json_decref(body);
        sim_resp_error(resp, 400, "Exception while reading request",
                       "The payload is not valid JSON.");
        return NULL;
    }
    return body;
}

static void reply_record(struct sim_resp *resp, const struct sim_req *r,
                         struct render *rd, const char *sys_id, int status)
{
    json_t *rec;
    const char *nobody = sim_req_header(r, "X-no-response-body");

    if (nobody && strcmp(nobody, "true") == 0) {
        resp->status = status;
        return;
    }
    rec = get_rendered(rd, sys_id);
    sim_resp_json(resp, status,
                  json_pack("{s:o}", "result", rec ? rec : json_object()));
}

static void create(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                   struct sim_table *t)
{
    char id[SIM_SYS_ID_LEN + 1];
    json_t *body;
    struct render rd;

    if (t->kind == SIM_KIND_VIEW ||
        !sim_auth_acl(s, r->user, t, SIM_ACL_CREATE)) {
        sim_resp_error(resp, 403, "Operation Failed",
                       "ACL Exception Insert Failed due to security "
                       "constraints");
        return;
    }
    if (!(body = parse_body(r, resp)))
        return;
    if (sim_db_insert_record(s, t, body, r->user->name, id) < 0) {
        json_decref(body);
        sim_resp_error(resp, 400, "Operation Failed",
                       "Record could not be inserted");
        return;
    }
    json_decref(body);
    render_init(&rd, s, t, r);
    sim_resp_header(resp, "Location", "%s/api/now/table/%s/%s", s->base_url,
                    t->name, id);
    reply_record(resp, r, &rd, id, 201);
    render_free(&rd);
}

static void update(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                   struct sim_table *t, const char *sys_id)
{
    struct sim_table *pt = sim_db_physical(s, t, sys_id);
    json_t *body;
    struct render rd;
    int rc;

    if (!pt) {
        not_found(resp);
        return;
    }
    if (!sim_auth_acl(s, r->user, t, SIM_ACL_WRITE)) {
        sim_resp_error(resp, 403, "Operation Failed",
                       "ACL Exception Update Failed due to security "
                       "constraints");
        return;
    }
    if (!(body = parse_body(r, resp)))
        return;
    rc = sim_db_update_record(s, pt, sys_id, body, r->user->name);
    json_decref(body);
    if (rc == 0) {
        not_found(resp);
        return;
    }
    if (rc < 0) {
        sim_resp_error(resp, 400, "Operation Failed",
                       "Record could not be updated");
        return;
    }
    render_init(&rd, s, t, r);
    reply_record(resp, r, &rd, sys_id, 200);
    render_free(&rd);
}

static void delete (struct sim *s, struct sim_req *r, struct sim_resp *resp,
                    struct sim_table *t, const char *sys_id)
{
    struct sim_table *pt = sim_db_physical(s, t, sys_id);
    int rc;

    if (!pt) {
        not_found(resp);
        return;
    }
    if (!sim_auth_acl(s, r->user, t, SIM_ACL_DELETE)) {
        sim_resp_error(resp, 403, "Operation Failed",
                       "ACL Exception Delete Failed due to security "
                       "constraints");
        return;
    }
    rc = sim_db_delete_record(s, pt, sys_id);
    if (rc == 0)
        not_found(resp);
    else if (rc < 0)
        sim_resp_error(resp, 500, "Operation Failed",
                       "Record could not be deleted");
    else
        resp->status = 204;
}

static void get_one(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                    struct sim_table *t, const char *sys_id)
{
    struct render rd;
    json_t *rec;

    if (!sim_auth_acl(s, r->user, t, SIM_ACL_READ)) {
        not_found(resp); /* 404 also means "hidden by ACL" */
        return;
    }
    render_init(&rd, s, t, r);
    rec = get_rendered(&rd, sys_id);
    render_free(&rd);
    if (!rec) {
        not_found(resp);
        return;
    }
    sim_resp_json(resp, 200, json_pack("{s:o}", "result", rec));
}

void sim_table_api(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                   const char *rest, int api_version)
{
    const char *slash = strchr(rest, '/');
    char *name =
        slash ? sim_xstrndup(rest, (size_t)(slash - rest)) : sim_xstrdup(rest);
    const char *sys_id = slash ? slash + 1 : NULL;
    const char *m = r->method;
    struct sim_table *t;

    if (sys_id && (!*sys_id || strchr(sys_id, '/')))
        sys_id = NULL, slash = "bad";
    sim_db_lock(s);
    t = sim_db_table(s, name);
    if (!t) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Invalid table %.100s", name);
        sim_resp_error(resp, s->cfg->unknown_table_status, msg, "");
    } else if (slash && !sys_id) {
        sim_resp_error(resp, 400,
                       "Requested URI does not represent any resource", "");
    } else if (strcmp(m, "GET") == 0) {
        if (sys_id)
            get_one(s, r, resp, t, sys_id);
        else
            list(s, r, resp, t, api_version);
    } else if (strcmp(m, "POST") == 0 && !sys_id) {
        create(s, r, resp, t);
    } else if ((strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) && sys_id) {
        update(s, r, resp, t, sys_id);
    } else if (strcmp(m, "DELETE") == 0 && sys_id) {
        delete (s, r, resp, t, sys_id);
    } else {
        sim_resp_error(resp, 405, "Method not Supported",
                       "The method is not supported for this resource");
    }
    sim_db_unlock(s);
    free(name);
}
