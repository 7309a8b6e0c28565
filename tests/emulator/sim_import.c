/*
 * sim_import.c: the Import Set API.
 *
 *   POST /api/now/import/{staging}                one row, transformed
 *        synchronously; 201 {"import_set", "staging_table", "result"[]}.
 *        Rows go to the table's open synchronous import set ("loading"
 *        until midnight UTC, as on an instance).
 *   POST /api/now/import/{staging}/insertMultiple {"records": [...]};
 *        one new import set per request (and a new sys_multi_import_set
 *        unless multi_import_set_id is given); 201 {"import_set_id",
 *        "multi_import_set_id"}. Asynchronous unless the staging table's
 *        insert_multiple setting says sync; keys are labels or column names
 *        per the same setting; run_after orders async sets.
 *   GET  /api/now/import/{staging}/{sys_id}       the row's results.
 *
 * The body is parsed into (key, text) pairs (sim_records.c). Staging
 * columns are added on first use (outside the request's transaction, so a
 * rollback cannot leave the dictionary out of step) and values are cut at
 * the column length. The keys of a request fix the columns it writes, so
 * all its rows go through one prepared INSERT, in one transaction.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NONE ((size_t)-1)

/* A request key resolved to a staging column. */
struct keymap {
    char *key;
    char *colname; /* NULL: ignored. A name, not a pointer: adding a
                      column may move the table's column array */
    size_t slot;   /* index of colname in keymaps.cols, or NONE */
};

/* The keys of one request and, once they are all resolved
 * (keymaps_layout), the staging columns they fill and the INSERT for
 * them, so that every row of the request uses one prepared statement. */
struct keymaps {
    struct keymap *k;
    size_t n, cap;
    size_t hint;  /* records usually repeat their key order */
    size_t ncols; /* distinct columns, in key order */
    const char **cols;
    int *col_len; /* their max_length */
    char *sql;    /* INSERT of one staging row */
    struct sim_stmt_ref ref;
    size_t *tslot; /* per sim_transform_columns() entry: slot or NONE */
    size_t ntcols;
};

static void keymaps_free(struct keymaps *km)
{
    for (size_t i = 0; i < km->n; i++) {
        free(km->k[i].key);
        free(km->k[i].colname);
    }
    free(km->k);
    free(km->cols);
    free(km->col_len);
    free(km->sql);
    free(km->tslot);
}

/* The entry for key, or NULL. */
static struct keymap *keymaps_find(struct keymaps *km, const char *key)
{
    for (size_t j = 0; j < km->n; j++) {
        size_t i = (km->hint + j) % km->n;
        if (strcmp(km->k[i].key, key) == 0) {
            km->hint = i + 1;
            return &km->k[i];
        }
    }
    return NULL;
}

static size_t col_slot(const struct keymaps *km, const char *name)
{
    for (size_t i = 0; i < km->ncols; i++)
        if (strcmp(km->cols[i], name) == 0)
            return i;
    return NONE;
}

/* After every key is resolved: slots, column lengths, the INSERT, and
 * where the transform finds its columns. */
static void keymaps_layout(struct sim *s, const struct sim_table *t,
                           struct keymaps *km)
{
    struct sim_str sql = {0}, qs = {0};
    const char *const *tcols;

    km->cols = sim_xcalloc(km->n + 1, sizeof(char *));
    km->col_len = sim_xcalloc(km->n + 1, sizeof(int));
    for (size_t i = 0; i < km->n; i++) {
        struct keymap *k = &km->k[i];
        k->slot = k->colname ? col_slot(km, k->colname) : NONE;
        if (k->colname && k->slot == NONE) {
            const struct sim_col *c = sim_db_col(t, k->colname);
            k->slot = km->ncols;
            km->col_len[km->ncols] = c ? c->max_length : 0;
            km->cols[km->ncols++] = k->colname;
        }
    }
    sim_str_addf(&sql,
                 "INSERT INTO \"%s\"(sys_id, sys_created_on, sys_created_by,"
                 " sys_updated_on, sys_updated_by, sys_mod_count,"
                 " sys_import_set, sys_import_row, sys_import_state,"
                 " sys_import_state_comment, sys_class_name",
                 t->name);
    sim_str_addf(&qs, "?1, ?2, ?3, ?2, ?3, 0, ?4, ?5, ?6, ?7, '%s'", t->name);
    for (size_t i = 0; i < km->ncols; i++) {
        sim_str_addf(&sql, ", \"%s\"", km->cols[i]);
        sim_str_addf(&qs, ", ?%zu", i + 8);
    }
    sim_str_addf(&sql, ") VALUES (%s)", qs.p);
    km->sql = sql.p;
    sim_str_free(&qs);
    tcols = sim_transform_columns(s, t, &km->ntcols);
    km->tslot = sim_xcalloc(km->ntcols + 1, sizeof(size_t));
    for (size_t i = 0; i < km->ntcols; i++)
        km->tslot[i] = col_slot(km, tcols[i]);
}

static bool is_base_column(const char *name)
{
    return strncmp(name, "sys_", 4) == 0 ||
           strcmp(name, "import_set_run") == 0 ||
           strcmp(name, "template_import_log") == 0;
}

/* Resolves (and creates, if allowed) the column for one request key. */
static const struct sim_col *resolve_key(struct sim *s, struct sim_table *t,
                                         const char *key, bool labels)
{
    const struct sim_col *c = NULL;
    char *name = NULL;

    if (labels) {
        c = sim_db_col_by_label(t, key);
        if (!c) {
            name = sim_label_to_column(key);
            c = sim_db_col(t, name);
        }
    } else {
        c = sim_db_col(t, key);
        if (!c)
            name = sim_valid_name(key) ? sim_xstrdup(key)
                                       : sim_label_to_column(key);
    }
    if (!c && name && s->cfg->dynamically_add_fields && !is_base_column(name) &&
        strlen(name) > 2)
        c = sim_db_add_column(s, t, name, labels ? key : NULL,
                              s->cfg->default_column_length);
    free(name);
    if (c && is_base_column(c->name))
        return NULL;
    return c;
}

static void resolve_record(struct sim *s, struct sim_table *t,
                           const struct sim_pair *pairs, size_t n, bool labels,
                           struct keymaps *km)
{
    for (size_t i = 0; i < n; i++) {
        const char *key = pairs[i].key;
        if (keymaps_find(km, key))
            continue;
        if (km->n == km->cap) {
            km->cap = km->cap ? km->cap * 2 : 16;
            km->k = sim_xrealloc(km->k, km->cap * sizeof(*km->k));
        }
        {
            const struct sim_col *c = resolve_key(s, t, key, labels);

            km->k[km->n].key = sim_xstrdup(key);
            km->k[km->n].colname = c ? sim_xstrdup(c->name) : NULL;
            km->k[km->n].slot = NONE;
        }
        km->n++;
    }
}

/* --- import sets ----------------------------------------------------------*/

struct iset {
    char sys_id[SIM_SYS_ID_LEN + 1];
    char number[24];
};

static int create_set(struct sim *s, const char *staging, bool sync,
                      const char *multi_id, const char *user, struct iset *out)
{
    struct sim_table *t = sim_db_table(s, "sys_import_set");
    int64_t n = sim_db_next_counter(s, "sys_import_set", 10001);
    json_t *rec;
    int rc;

    snprintf(out->number, sizeof(out->number), "ISET%07lld", (long long)n);
    rec = json_pack("{s:s, s:s, s:s, s:s}", "number", out->number, "state",
                    "loading", "mode", sync ? "synchronous" : "asynchronous",
                    "table_name", staging);
    if (multi_id)
        json_object_set_new(rec, "multi_import_set", json_string(multi_id));
    rc = sim_db_insert_record(s, t, rec, user, out->sys_id);
    json_decref(rec);
    return rc;
}

static bool same_utc_day(const char *created)
{
    char now[20];

    sim_now_str(now);
    return created && strncmp(created, now, 10) == 0;
}

/* The staging table's open synchronous set for single-row inserts. */
static int sync_set(struct sim *s, const char *staging, const char *user,
                    struct iset *out)
{
    sqlite3_stmt *st = sim_db_stmt(
        s, "SELECT sys_id, number, sys_created_on FROM sys_import_set"
           " WHERE table_name = ?1 AND mode = 'synchronous' AND"
           " state = 'loading' ORDER BY rowid DESC LIMIT 1");
    char stale[SIM_SYS_ID_LEN + 1] = "";
    bool found = false;

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, staging, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *created = (const char *)sqlite3_column_text(st, 2);
        if (same_utc_day(created) && !s->cfg->sync_set_per_request) {
            snprintf(out->sys_id, sizeof(out->sys_id), "%s",
                     (const char *)sqlite3_column_text(st, 0));
            snprintf(out->number, sizeof(out->number), "%s",
                     (const char *)sqlite3_column_text(st, 1));
            found = true;
        } else {
            snprintf(stale, sizeof(stale), "%s",
                     (const char *)sqlite3_column_text(st, 0));
        }
    }
    sqlite3_reset(st);
    if (found)
        return 0;
    if (stale[0]) /* "all synchronous import sets are processed at midnight" */
        sim_transform_finish_set(s, stale, staging, user, true);
    return create_set(s, staging, true, NULL, user, out);
}

static int64_t next_row_number(struct sim *s, const char *staging,
                               const char *set_id)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    int64_t n = 0;

    sim_str_addf(&sql,
                 "SELECT max(sys_import_row) FROM \"%s\" WHERE"
                 " sys_import_set = ?1",
                 staging);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, set_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        n = sqlite3_column_int64(st, 0) + 1;
    sqlite3_reset(st);
    return n;
}

/* The values of one request row, per keymaps slot: NUL-terminated and
 * cut to the column length, NULL when the row has no such key. */
struct rowvals {
    const char **v;
    char **own;      /* what must be freed */
    const char **tv; /* per transform column (sim_srow.vals) */
    size_t n;
};

static void rowvals_init(struct rowvals *rv, const struct keymaps *km)
{
    rv->n = km->ncols;
    rv->v = sim_xcalloc(rv->n + 1, sizeof(char *));
    rv->own = sim_xcalloc(rv->n + 1, sizeof(char *));
    rv->tv = sim_xcalloc(km->ntcols + 1, sizeof(char *));
}

static void rowvals_clear(struct rowvals *rv)
{
    for (size_t i = 0; i < rv->n; i++) {
        free(rv->own[i]);
        rv->own[i] = NULL;
        rv->v[i] = NULL;
    }
}

static void rowvals_free(struct rowvals *rv)
{
    rowvals_clear(rv);
    free(rv->v);
    free(rv->own);
    free(rv->tv);
}

/* Fills rv from a record's pairs (the first key for a column wins);
 * returns the bytes of the row. */
static size_t row_values(struct keymaps *km, const struct sim_pair *pairs,
                         size_t n, struct rowvals *rv)
{
    size_t bytes = 0;

    rowvals_clear(rv);
    for (size_t i = 0; i < n; i++) {
        struct keymap *k = keymaps_find(km, pairs[i].key);
        const char *text = pairs[i].val;
        size_t len;
        if (!k || k->slot == NONE || rv->v[k->slot])
            continue;
        len = km->col_len[k->slot] > 0
                  ? sim_utf8_prefix(text, (size_t)km->col_len[k->slot])
                  : strlen(text);
        if (text[len]) /* values are cut at the column length */
            text = rv->own[k->slot] = sim_xstrndup(text, len);
        rv->v[k->slot] = text;
        bytes += len;
    }
    for (size_t i = 0; i < km->ntcols; i++)
        rv->tv[i] = km->tslot[i] == NONE ? NULL : rv->v[km->tslot[i]];
    return bytes;
}

/* Inserts one staging row from a record (state pending, or skipped when too
 * big): fills id, rowid and rv. Returns 1 for a pending row, 0 for a skipped
 * one, -1 on a database error. */
static int insert_row(struct sim *s, struct keymaps *km,
                      const struct sim_pair *pairs, size_t npairs,
                      const char *set_id, int64_t row_no, const char *user,
                      struct rowvals *rv, char id[SIM_SYS_ID_LEN + 1],
                      int64_t *rowid)
{
    size_t bytes = row_values(km, pairs, npairs, rv);
    bool skipped =
        s->cfg->max_row_size > 0 && bytes > (size_t)s->cfg->max_row_size;
    sqlite3_stmt *st = sim_db_stmt_ref(s, km->sql, &km->ref);
    char now[20];
    int rc = skipped ? 0 : 1;

    if (!st)
        return -1;
    sim_sys_id(id);
    sim_now_str(now);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sim_db_bind_text(st, 3, user);
    sqlite3_bind_text(st, 4, set_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, row_no);
    sqlite3_bind_text(st, 6, skipped ? "skipped" : "pending", -1,
                      SQLITE_STATIC);
    if (skipped)
        sqlite3_bind_text(st, 7,
                          "Row skipped: it exceeds the maximum row "
                          "size",
                          -1, SQLITE_STATIC);
    for (size_t i = 0; i < rv->n; i++)
        if (rv->v[i] && *rv->v[i])
            sqlite3_bind_text(st, (int)i + 8, rv->v[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "isload-sim: staging insert: %s\n",
                sqlite3_errmsg(s->db));
        rc = -1;
    }
    *rowid = sqlite3_last_insert_rowid(s->db);
    sqlite3_reset(st);
    return rc;
}

/* --- responses ------------------------------------------------------------*/

static json_t *result_entry(struct sim *s, const char *map_name,
                            const char *table, const char *status,
                            const char *target_id, const char *row_id,
                            const char *comment, const char *error)
{
    json_t *e =
        json_pack("{s:s, s:s}", "transform_map", map_name, "table", table);
    const struct sim_table *t = sim_db_table(s, table);

    if (target_id && *target_id && t) {
        const char *df = sim_db_display_field(t);
        json_t *rec = sim_db_get_record(s, t, target_id);
        char link[512];
        snprintf(link, sizeof(link), "%s/api/now/table/%s/%s", s->base_url,
                 table, target_id);
        json_object_set_new(e, "display_name", json_string(df));
        json_object_set_new(
            e, "display_value",
            json_string(rec ? json_string_value(json_object_get(rec, df))
                            : ""));
        json_object_set_new(e, "record_link", json_string(link));
        json_decref(rec);
    }
    json_object_set_new(e, "status", json_string(status));
    json_object_set_new(
        e, "sys_id", json_string(target_id && *target_id ? target_id : row_id));
    if (comment && *comment)
        json_object_set_new(e, "status_message", json_string(comment));
    if (error && *error)
        json_object_set_new(e, "error_message", json_string(error));
    return e;
}

static bool check_staging(struct sim *s, struct sim_resp *resp,
                          const char *name, struct sim_table **out)
{
    struct sim_table *t = sim_db_table(s, name);
    char msg[200];

    if (!t || t->kind != SIM_KIND_STAGING) {
        snprintf(msg, sizeof(msg), "Invalid table %.100s", name);
        sim_resp_error(resp, s->cfg->unknown_table_status, msg, "");
        return false;
    }
    *out = t;
    return true;
}

static bool check_role(struct sim *s, const struct sim_req *r,
                       struct sim_resp *resp, bool multiple)
{
    if (sim_auth_can_import(s, r->user, multiple))
        return true;
    if (s->cfg->import_no_role_empty_201)
        resp->status = 201; /* KB0813223: 201 and no body */
    else
        sim_resp_error(resp, 403, "User Not Authorized",
                       "User does not have the import_set_loader role");
    return false;
}

/* Parses the body into rows; false when resp has the 400. */
static bool parse_records(const struct sim_req *r, struct sim_resp *resp,
                          bool multiple, struct sim_records *out)
{
    int rc = sim_records_parse(r->body, r->body_len, multiple, out);

    if (rc == -1)
        sim_resp_error(resp, 400, "Exception while reading request",
                       "The payload is not valid JSON.");
    else if (rc == -2)
        sim_resp_error(resp, 400, "Exception while reading request",
                       "The payload must hold a \"records\" array.");
    return rc == 0;
}

/* --- POST one -------------------------------------------------------------*/

static void insert_one(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                       const char *name)
{
    struct sim_table *t;
    struct keymaps km = {0};
    struct rowvals rv = {0};
    struct iset set;
    struct sim_tresult *res = NULL;
    char id[SIM_SYS_ID_LEN + 1];
    int64_t rowid = 0;
    struct sim_records recs;
    json_t *result;
    size_t nres = 0;
    int rc;

    if (!parse_records(r, resp, false, &recs))
        return;
    if (!sim_req_charge(s, r, 1, resp)) {
        sim_records_free(&recs);
        return;
    }
    sim_db_lock(s);
    if (!check_staging(s, resp, name, &t) || !check_role(s, r, resp, false))
        goto out;
    resolve_record(s, t, recs.pairs, recs.npairs, false, &km);
    keymaps_layout(s, t, &km);
    rowvals_init(&rv, &km);
    if (sim_db_begin(s) < 0)
        goto fail;
    if (sync_set(s, t->name, r->user->name, &set) < 0)
        goto fail;
    rc = insert_row(s, &km, recs.pairs, recs.npairs, set.sys_id,
                    next_row_number(s, t->name, set.sys_id), r->user->name, &rv,
                    id, &rowid);
    if (rc < 0)
        goto fail;
    res = sim_xcalloc(sim_transform_max_results(s), sizeof(*res));
    if (rc > 0) {
        struct sim_srow row = {id, rowid, set.sys_id, rv.tv};
        nres = sim_transform_row(s, t, &row, r->user->name, res);
    }
    sim_transform_bump_run(s, set.sys_id, t->name,
                           nres     ? res[nres - 1].status
                           : rc > 0 ? "pending"
                                    : "skipped",
                           r->user->name);
    if (sim_db_commit(s) < 0)
        goto fail;
    result = json_array();
    for (size_t i = 0; i < nres; i++)
        json_array_append_new(
            result, result_entry(s, res[i].map->name, res[i].map->target_table,
                                 res[i].status, res[i].target_sys_id, id,
                                 res[i].comment, res[i].error));
    sim_resp_json(resp, 201,
                  json_pack("{s:s, s:s, s:o}", "import_set", set.number,
                            "staging_table", t->name, "result", result));
    goto out;
fail:
    sim_db_rollback(s);
    sim_resp_error(resp, 500, "Operation Failed", "Database error");
out:
    sim_db_unlock(s);
    free(res);
    rowvals_free(&rv);
    sim_records_free(&recs);
    keymaps_free(&km);
}

/* --- POST insertMultiple --------------------------------------------------*/

static bool set_exists(struct sim *s, const char *table, const char *sys_id)
{
    struct sim_table *t = sim_db_table(s, table);
    json_t *rec = t ? sim_db_get_record(s, t, sys_id) : NULL;

    json_decref(rec);
    return rec != NULL;
}

static void insert_multiple(struct sim *s, struct sim_req *r,
                            struct sim_resp *resp, const char *name)
{
    struct sim_table *t;
    struct keymaps km = {0};
    struct rowvals rv = {0};
    struct iset set;
    struct sim_tresult *res = NULL;
    char multi[SIM_SYS_ID_LEN + 1] = "";
    const char *multi_arg = sim_req_arg(r, "multi_import_set_id");
    const char *run_after = sim_req_arg(r, "run_after");
    struct sim_records recs;
    bool sync, labels;

    if (!parse_records(r, resp, true, &recs))
        return;
    if (!sim_req_charge(s, r, (int)recs.n, resp)) {
        sim_records_free(&recs);
        return;
    }
    sim_db_lock(s);
    if (!check_staging(s, resp, name, &t) || !check_role(s, r, resp, true))
        goto out;
    sync = t->conf && t->conf->im_sync;
    labels = t->conf ? t->conf->im_labels : true;
    for (size_t i = 0; i < recs.n; i++)
        if (recs.first[i] != SIZE_MAX)
            resolve_record(s, t, recs.pairs + recs.first[i], recs.count[i],
                           labels, &km);
    keymaps_layout(s, t, &km);
    rowvals_init(&rv, &km);
    if (multi_arg && *multi_arg &&
        !set_exists(s, "sys_multi_import_set", multi_arg)) {
        sim_resp_error(resp, 400, "Invalid multi_import_set_id",
                       "No sys_multi_import_set record with that sys_id");
        goto out;
    }
    if (sim_db_begin(s) < 0)
        goto fail;
    if (multi_arg && *multi_arg) {
        snprintf(multi, sizeof(multi), "%s", multi_arg);
    } else {
        json_t *empty = json_object();
        int rc =
            sim_db_insert_record(s, sim_db_table(s, "sys_multi_import_set"),
                                 empty, r->user->name, multi);
        json_decref(empty);
        if (rc < 0)
            goto fail;
    }
    if (create_set(s, t->name, sync, multi, r->user->name, &set) < 0)
        goto fail;
    res = sim_xcalloc(sim_transform_max_results(s), sizeof(*res));
    for (size_t i = 0; i < recs.n; i++) {
        char id[SIM_SYS_ID_LEN + 1];
        int64_t rowid = 0;
        int rc;
        if (recs.first[i] == SIZE_MAX)
            continue; /* not an object: no row, but it keeps its number */
        rc = insert_row(s, &km, recs.pairs + recs.first[i], recs.count[i],
                        set.sys_id, (int64_t)i, r->user->name, &rv, id, &rowid);
        if (rc < 0)
            goto fail;
        if (sync && rc > 0) {
            struct sim_srow row = {id, rowid, set.sys_id, rv.tv};
            sim_transform_row(s, t, &row, r->user->name, res);
        }
    }
    if (sync) {
        sim_transform_finish_set(s, set.sys_id, t->name, r->user->name, true);
    } else {
        json_t *loaded = json_pack("{s:s}", "state", "loaded");
        sqlite3_stmt *st;
        sim_db_update_record(s, sim_db_table(s, "sys_import_set"), set.sys_id,
                             loaded, r->user->name);
        json_decref(loaded);
        st = sim_db_stmt(s, "INSERT INTO sim_async(set_id, staging,"
                            " run_after, loaded_ms, user) VALUES (?1, ?2,"
                            " ?3, ?4, ?5)");
        if (!st)
            goto fail;
        sqlite3_bind_text(st, 1, set.sys_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
        sim_db_bind_text(st, 3, run_after);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sqlite3_bind_int64(
            st, 4, (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        sqlite3_bind_text(st, 5, r->user->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_reset(st);
            goto fail;
        }
        sqlite3_reset(st);
    }
    if (sim_db_commit(s) < 0)
        goto fail;
    if (!sync)
        sim_worker_kick(s);
    sim_resp_json(resp, 201,
                  json_pack("{s:s, s:s}", "import_set_id", set.sys_id,
                            "multi_import_set_id", multi));
    goto out;
fail:
    sim_db_rollback(s);
    sim_resp_error(resp, 500, "Operation Failed", "Database error");
out:
    sim_db_unlock(s);
    free(res);
    rowvals_free(&rv);
    sim_records_free(&recs);
    keymaps_free(&km);
}

/* --- GET one row ----------------------------------------------------------*/

/* A staging table with one map keeps no sim_row_result records: the row
 * itself holds the outcome (sim_transform_row). Appends that result entry
 * when the row was transformed. */
static bool single_map_result(struct sim *s, json_t *row, const char *row_id,
                              json_t *result)
{
    const char *map_id =
        json_string_value(json_object_get(row, "sys_transform_map"));
    const char *state =
        json_string_value(json_object_get(row, "sys_import_state"));
    const char *comment =
        json_string_value(json_object_get(row, "sys_import_state_comment"));
    bool error = state && strcmp(state, "error") == 0;
    json_t *map;

    if (!map_id || !*map_id)
        return false;
    map = sim_db_get_record(s, sim_db_table(s, "sys_transform_map"), map_id);
    if (!map)
        return false;
    json_array_append_new(
        result,
        result_entry(
            s, json_string_value(json_object_get(map, "name")),
            json_string_value(json_object_get(map, "target_table")), state,
            json_string_value(json_object_get(row, "sys_target_sys_id")),
            row_id, error ? NULL : comment, error ? comment : NULL));
    json_decref(map);
    return true;
}

static void get_row(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                    const char *name, const char *sys_id)
{
    struct sim_table *t;
    json_t *row = NULL, *result = json_array(), *set = NULL;
    sqlite3_stmt *st;
    bool any = false;

    sim_db_lock(s);
    if (!check_staging(s, resp, name, &t))
        goto out;
    if (!sim_auth_acl(s, r->user, t, SIM_ACL_READ) ||
        !(row = sim_db_get_record(s, t, sys_id))) {
        sim_resp_error(resp, 404, "No Record found",
                       "Record doesn't exist or ACL restricts the record "
                       "retrieval");
        goto out;
    }
    set = sim_db_get_record(
        s, sim_db_table(s, "sys_import_set"),
        json_string_value(json_object_get(row, "sys_import_set")));
    st = sim_db_stmt(s, "SELECT map_name, tbl, status, target_sys_id,"
                        " comment, error FROM sim_row_result WHERE"
                        " row_id = ?1 ORDER BY seq");
    if (st) {
        json_t *rows = json_array();
        size_t i;
        json_t *e;
        sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *c[6];
            for (int k = 0; k < 6; k++)
                c[k] = (const char *)sqlite3_column_text(st, k);
            json_array_append_new(
                rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "m",
                                c[0] ? c[0] : "", "t", c[1] ? c[1] : "", "st",
                                c[2] ? c[2] : "", "id", c[3] ? c[3] : "", "cm",
                                c[4] ? c[4] : "", "er", c[5] ? c[5] : ""));
        }
        sqlite3_reset(st);
        json_array_foreach(rows, i, e)
        {
            any = true;
            json_array_append_new(
                result, result_entry(
                            s, json_string_value(json_object_get(e, "m")),
                            json_string_value(json_object_get(e, "t")),
                            json_string_value(json_object_get(e, "st")),
                            json_string_value(json_object_get(e, "id")), sys_id,
                            json_string_value(json_object_get(e, "cm")),
                            json_string_value(json_object_get(e, "er"))));
        }
        json_decref(rows);
    }
    if (!any)
        any = single_map_result(s, row, sys_id, result);
    if (!any) {
        /* not transformed (yet): the asynchronous shape, table = staging */
        const char *state =
            json_string_value(json_object_get(row, "sys_import_state"));
        const char *comment =
            json_string_value(json_object_get(row, "sys_import_state_comment"));
        for (size_t i = 0; i < s->cfg->nmaps; i++) {
            const struct sim_tmap *m = &s->cfg->maps[i];
            if (!m->active || strcmp(m->source_table, t->name) != 0)
                continue;
            json_array_append_new(result,
                                  result_entry(s, m->name, t->name,
                                               state ? state : "pending", NULL,
                                               sys_id, comment, NULL));
        }
    }
    sim_resp_json(
        resp, 200,
        json_pack("{s:s, s:s, s:O}", "import_set",
                  set ? json_string_value(json_object_get(set, "number")) : "",
                  "staging_table", t->name, "result", result));
out:
    sim_db_unlock(s);
    json_decref(result);
    json_decref(row);
    json_decref(set);
}

void sim_import_api(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                    const char *rest)
{
    const char *slash = strchr(rest, '/');
    char *name =
        slash ? sim_xstrndup(rest, (size_t)(slash - rest)) : sim_xstrdup(rest);
    const char *tail = slash ? slash + 1 : NULL;

    if (!*name || (tail && (!*tail || strchr(tail, '/')))) {
        sim_resp_error(resp, 400,
                       "Requested URI does not represent any resource", "");
    } else if (!tail && strcmp(r->method, "POST") == 0) {
        insert_one(s, r, resp, name);
    } else if (tail && strcmp(tail, "insertMultiple") == 0 &&
               strcmp(r->method, "POST") == 0) {
        insert_multiple(s, r, resp, name);
    } else if (tail && strcmp(r->method, "GET") == 0) {
        get_row(s, r, resp, name, tail);
    } else {
        sim_resp_error(resp, 405, "Method not Supported",
                       "The method is not supported for this resource");
    }
    free(name);
}
