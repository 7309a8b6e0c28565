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
    struct sim_str select;       /* "*" or the fields, in table order */
    const struct sim_col **cols; /* per result column, from render_row */
    int ncols;
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

/* {"k1":"v1","k2":"v2"} (two or three pairs; k3 NULL for two). */
static void add_pairs(struct sim_str *out, const char *k1, const char *v1,
                      const char *k2, const char *v2, const char *k3,
                      const char *v3)
{
    sim_str_add(out, "{");
    sim_str_add_json(out, k1);
    sim_str_add(out, ":");
    sim_str_add_json(out, v1);
    sim_str_add(out, ",");
    sim_str_add_json(out, k2);
    sim_str_add(out, ":");
    sim_str_add_json(out, v2);
    if (k3) {
        sim_str_add(out, ",");
        sim_str_add_json(out, k3);
        sim_str_addn(out, ":", 1);
        sim_str_add_json(out, v3);
    }
    sim_str_add(out, "}");
}

/* Appends the JSON for value v of column c. */
static void render_value(struct render *rd, const struct sim_col *c,
                         const char *v, struct sim_str *out)
{
    char link[512];
    char *dv;

    if (!c || !c->reference || !*v) {
        if (rd->dv == DV_ALL)
            add_pairs(out, "display_value", v, "value", v, NULL, NULL);
        else
            sim_str_add_json(out, v);
        return;
    }
    snprintf(link, sizeof(link), "%s/api/now/table/%s/%s", rd->s->base_url,
             c->reference, v);
    if (rd->dv == DV_FALSE) {
        if (rd->exclude_links)
            sim_str_add_json(out, v);
        else
            add_pairs(out, "link", link, "value", v, NULL, NULL);
        return;
    }
    dv = ref_display(rd->s, c->reference, v);
    if (rd->dv == DV_TRUE && rd->exclude_links)
        sim_str_add_json(out, dv);
    else if (rd->dv == DV_TRUE)
        add_pairs(out, "link", link, "value", dv, NULL, NULL);
    else if (rd->exclude_links)
        add_pairs(out, "display_value", dv, "value", v, NULL, NULL);
    else
        add_pairs(out, "display_value", dv, "value", v, "link", link);
    free(dv);
}

/* Appends the current row of st, a SELECT of rd->select, as a JSON object
 * (every row of one statement: the column dictionary entries are looked
 * up once). */
static void render_row(struct render *rd, sqlite3_stmt *st, struct sim_str *out)
{
    int n = sqlite3_column_count(st);

    if (!rd->cols) {
        rd->ncols = n;
        rd->cols = sim_xcalloc((size_t)n + 1, sizeof(*rd->cols));
        for (int i = 0; i < n; i++)
            rd->cols[i] = sim_db_col(rd->t, sqlite3_column_name(st, i));
    }
    sim_str_add(out, "{");
    for (int i = 0; i < n && i < rd->ncols; i++) {
        const char *v = (const char *)sqlite3_column_text(st, i);
        if (i)
            sim_str_addn(out, ",", 1);
        sim_str_add_json(out, sqlite3_column_name(st, i));
        sim_str_addn(out, ":", 1);
        render_value(rd, rd->cols[i], v ? v : "", out);
    }
    sim_str_add(out, "}");
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
    if (!rd->fields) {
        sim_str_add(&rd->select, "*");
        return;
    }
    for (size_t i = 0; i < t->ncols; i++)
        if (sim_str_in_list(t->cols[i].name, rd->fields, rd->nfields))
            sim_str_addf(&rd->select, "%s\"%s\"", rd->select.len ? ", " : "",
                         t->cols[i].name);
}

static void render_free(struct render *rd)
{
    for (size_t i = 0; i < rd->nfields; i++)
        free(rd->fields[i]);
    free(rd->fields);
    sim_str_free(&rd->select);
    free(rd->cols);
}

/* {"result": <the record>} or NULL when there is no such record. */
static char *get_rendered(struct render *rd, const char *sys_id)
{
    struct sim_str sql = {0}, out = {0};
    sqlite3_stmt *st;

    sim_str_addf(&sql, "SELECT %s FROM \"%s\" WHERE sys_id = ?1", rd->select.p,
                 rd->t->name);
    st = sim_db_stmt(rd->s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        sim_str_add(&out, "{\"result\":");
        render_row(rd, st, &out);
        sim_str_add(&out, "}");
    }
    sqlite3_reset(st);
    return out.p;
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
    long total = 0, nrows = 0;
    sqlite3_stmt *st;
    struct sim_str body = {0};

    if (limit <= 0)
        limit = DEFAULT_LIMIT;
    if (offset < 0)
        offset = 0;
    if (!sim_auth_acl(s, r->user, t, SIM_ACL_READ)) {
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

    render_init(&rd, s, t, r);
    sim_str_addf(&sql, "SELECT %s FROM \"%s\"%s %s", rd.select.p, t->name,
                 where.p, q.order.len ? q.order.p : "ORDER BY");
    if (t->kind == SIM_KIND_VIEW)
        sim_str_add(&sql, q.order.len ? ", sys_created_on, sys_import_set,"
                                        " sys_import_row"
                                      : " sys_created_on, sys_import_set,"
                                        " sys_import_row");
    else
        sim_str_add(&sql, q.order.len ? ", rowid" : " rowid");
    sim_str_addf(&sql, " LIMIT ?%zu OFFSET ?%zu", q.nparams + 1, q.nparams + 2);
    st = sim_db_stmt(s, sql.p);
    if (st) {
        for (size_t i = 0; i < q.nparams; i++)
            sqlite3_bind_text(st, (int)i + 1, q.params[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, (int)q.nparams + 1, limit);
        sqlite3_bind_int64(st, (int)q.nparams + 2, offset);
        while (sqlite3_step(st) == SQLITE_ROW) {
            sim_str_add(&body, nrows++ ? "," : "{\"result\":[");
            render_row(&rd, st, &body);
        }
        sqlite3_reset(st);
    }
    sim_str_add(&body, nrows ? "]}" : "{\"result\":[]}");
    sim_str_free(&sql);

    /* a short first page, or any short page with rows, gives the total */
    total = nrows;
    if (total > 0 && total < limit)
        total += offset;
    else if (!(arg_true(r, "sysparm_no_count") &&
               arg_true(r, "sysparm_suppress_pagination_header")) &&
             !(total == 0 && offset == 0)) {
        sim_str_addf(&sql, "SELECT count(*) FROM \"%s\"%s", t->name, where.p);
        st = sim_db_stmt(s, sql.p);
        if (st) {
            for (size_t i = 0; i < q.nparams; i++)
                sqlite3_bind_text(st, (int)i + 1, q.params[i], -1,
                                  SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                total = (long)sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
        }
        sim_str_free(&sql);
    }
    render_free(&rd);
    sim_str_free(&where);
    sim_query_free(&q);
    sim_str_free(&pairs.q);

    if (version == 1 && nrows == 0) {
        sim_str_free(&body);
        not_found(resp); /* v1 answers 404 when nothing matches */
        return;
    }
    if (!arg_true(r, "sysparm_no_count"))
        sim_resp_header(resp, "X-Total-Count", "%ld", total);
    if (!arg_true(r, "sysparm_suppress_pagination_header"))
        add_link_header(s, r, resp, t, limit, offset, total);
    sim_resp_body(resp, 200, body.p, body.len);
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
    char *rec;
    const char *nobody = sim_req_header(r, "X-no-response-body");

    if (nobody && strcmp(nobody, "true") == 0) {
        resp->status = status;
        return;
    }
    rec = get_rendered(rd, sys_id);
    if (rec)
        sim_resp_body(resp, status, rec, strlen(rec));
    else
        sim_resp_json(resp, status, json_pack("{s:{}}", "result"));
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
    char *rec;

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
    sim_resp_body(resp, 200, rec, strlen(rec));
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
