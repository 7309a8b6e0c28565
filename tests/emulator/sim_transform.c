/*
 * sim_transform.c: runs transform maps over staging rows.
 *
 * One row, one map (the documented coalesce rules):
 *   - no coalesce field: insert;
 *   - all coalesce values empty: "skipped", unless the map creates new
 *     records on empty coalesce fields;
 *   - otherwise every coalesce field must match (case-insensitive unless
 *     coalesce_case_sensitive; an empty value matches nothing unless
 *     coalesce_empty_fields); the first matching record (oldest) wins;
 *   - match: only changed fields are written ("updated"); no change gives
 *     "ignored" with "No field values changed"; no match: "inserted";
 *   - "NULL" clears a field; empty source values are not copied unless
 *     copy_empty_fields.
 * Maps run by ascending order; the staging row records the last one.
 *
 * Speed: each staging table and each map get a plan, built on first use
 * and rebuilt when a column is added: the source columns the maps read
 * (a row is an array of their values, struct sim_srow), the SELECT that
 * loads a set's pending rows, and per map the coalesce lookup (which also
 * returns the fields the map compares and the mandatory ones) and the
 * INSERT, as fixed SQL, so that statements are prepared once.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKIPPED_COMMENT "Row skipped: all coalesce fields are empty"
#define IGNORED_COMMENT "No field values changed"
#define NONE ((size_t)-1)

struct staging_plan {
    char *table;
    size_t ncols_seen; /* staging table's ncols when pending_sql was made */
    char **cols;       /* source columns of its maps, each once */
    size_t ncols;
    size_t *maps; /* active maps reading it, indexes into cfg->maps */
    size_t nmaps;
    char *pending_sql;
    char *update_sql; /* records a row's outcome */
    struct sim_stmt_ref update_ref, result_ref;
};

struct map_plan {
    bool built;
    size_t ncols_seen; /* target's ncols when built */
    const struct sim_table *target;
    size_t nt;      /* distinct target fields */
    char **tname;   /* their names */
    int *tlen;      /* their max_length */
    bool *tset;     /* written by INSERT (settable, not sys_id) */
    size_t sysid_t; /* index of a "sys_id" target, or NONE */
    size_t *fm_t;   /* per field map: index in tname */
    size_t *fm_src; /* per field map: index in the staging plan's cols */
    size_t nsel;    /* columns the lookup returns after sys_id: the nt
                       targets, then mandatory columns that are not */
    char **sel;
    size_t nmand; /* mandatory columns to check, in table order */
    char **mand_label;
    size_t *mand_t;   /* index in tname, or NONE when not mapped */
    size_t *mand_sel; /* index in sel */
    char *find_sql;   /* lookup when no coalesce value is empty */
    char *insert_sql;
    struct sim_stmt_ref find_ref, insert_ref;
    /* scratch for one row: values to write (per target), the copies among
     * them, the matched record's sel values */
    const char **val;
    char **own;
    char **existing;
};

struct sim_plans {
    struct staging_plan *st;
    size_t nst;
    struct map_plan *mp; /* one per cfg->maps entry */
};

size_t sim_transform_max_results(const struct sim *s)
{
    return s->cfg->nmaps ? s->cfg->nmaps : 1;
}

/* --- plans ------------------------------------------------------------- */

static void map_plan_free(struct map_plan *p)
{
    for (size_t i = 0; i < p->nt; i++)
        free(p->tname[i]);
    for (size_t i = 0; i < p->nsel; i++)
        if (i >= p->nt)
            free(p->sel[i]);
    for (size_t i = 0; i < p->nmand; i++)
        free(p->mand_label[i]);
    free(p->tname);
    free(p->tlen);
    free(p->tset);
    free(p->fm_t);
    free(p->fm_src);
    free(p->sel);
    free(p->mand_label);
    free(p->mand_t);
    free(p->mand_sel);
    free(p->find_sql);
    free(p->insert_sql);
    free(p->val);
    free(p->own);
    free(p->existing);
    memset(p, 0, sizeof(*p));
}

void sim_transform_free(struct sim *s)
{
    struct sim_plans *pl = s->plans;

    if (!pl)
        return;
    for (size_t i = 0; i < pl->nst; i++) {
        struct staging_plan *sp = &pl->st[i];
        for (size_t j = 0; j < sp->ncols; j++)
            free(sp->cols[j]);
        free(sp->cols);
        free(sp->maps);
        free(sp->table);
        free(sp->pending_sql);
        free(sp->update_sql);
    }
    free(pl->st);
    for (size_t i = 0; i < s->cfg->nmaps; i++)
        map_plan_free(&pl->mp[i]);
    free(pl->mp);
    free(pl);
    s->plans = NULL;
}

static size_t find_name(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return NONE;
}

static struct sim_plans *plans(struct sim *s)
{
    if (!s->plans) {
        s->plans = sim_xcalloc(1, sizeof(*s->plans));
        s->plans->mp = sim_xcalloc(s->cfg->nmaps + 1, sizeof(struct map_plan));
    }
    return s->plans;
}

/* The plan of staging table t, with its pending-rows SELECT up to date. */
static struct staging_plan *staging_plan(struct sim *s,
                                         const struct sim_table *t)
{
    struct sim_plans *pl = plans(s);
    struct staging_plan *sp = NULL;
    struct sim_str sql = {0};

    for (size_t i = 0; i < pl->nst && !sp; i++)
        if (strcmp(pl->st[i].table, t->name) == 0)
            sp = &pl->st[i];
    if (!sp) {
        pl->st = sim_xrealloc(pl->st, (pl->nst + 1) * sizeof(*pl->st));
        sp = &pl->st[pl->nst++];
        memset(sp, 0, sizeof(*sp));
        sp->table = sim_xstrdup(t->name);
        sim_str_addf(&sql,
                     "UPDATE \"%s\" SET sys_import_state = ?1,"
                     " sys_import_state_comment = ?2, sys_target_table = ?3,"
                     " sys_target_sys_id = ?4, sys_transform_map = ?5,"
                     " sys_row_error = ?6, sys_updated_on = ?7,"
                     " sys_mod_count = sys_mod_count + 1 WHERE rowid = ?8",
                     t->name);
        sp->update_sql = sql.p;
        sql = (struct sim_str){0};
        sp->maps = sim_xcalloc(s->cfg->nmaps + 1, sizeof(size_t));
        for (size_t i = 0; i < s->cfg->nmaps; i++) {
            const struct sim_tmap *m = &s->cfg->maps[i];
            if (!m->active || strcmp(m->source_table, t->name) != 0)
                continue;
            sp->maps[sp->nmaps++] = i;
            for (size_t j = 0; j < m->nfm; j++) {
                if (find_name(sp->cols, sp->ncols, m->fm[j].source) != NONE)
                    continue;
                sp->cols =
                    sim_xrealloc(sp->cols, (sp->ncols + 1) * sizeof(char *));
                sp->cols[sp->ncols++] = sim_xstrdup(m->fm[j].source);
            }
        }
    }
    if (!sp->pending_sql || sp->ncols_seen != t->ncols) {
        sim_str_add(&sql, "SELECT sys_id, rowid, sys_import_set");
        for (size_t i = 0; i < sp->ncols; i++) {
            if (sim_db_col(t, sp->cols[i]))
                sim_str_addf(&sql, ", \"%s\"", sp->cols[i]);
            else
                sim_str_add(&sql, ", NULL"); /* not a column (yet) */
        }
        sim_str_addf(&sql,
                     " FROM \"%s\" WHERE sys_import_set = ?1 AND"
                     " sys_import_state = 'pending' ORDER BY sys_import_row"
                     " LIMIT ?2",
                     t->name);
        free(sp->pending_sql);
        sp->pending_sql = sql.p;
        sp->ncols_seen = t->ncols;
    }
    return sp;
}

const char *const *
sim_transform_columns(struct sim *s, const struct sim_table *staging, size_t *n)
{
    struct staging_plan *sp = staging_plan(s, staging);

    *n = sp->ncols;
    return (const char *const *)sp->cols;
}

const char *sim_transform_pending_sql(struct sim *s,
                                      const struct sim_table *staging)
{
    return staging_plan(s, staging)->pending_sql;
}

static size_t add_target(struct map_plan *p, const char *name)
{
    size_t k = find_name(p->tname, p->nt, name);

    if (k != NONE)
        return k;
    p->tname = sim_xrealloc(p->tname, (p->nt + 1) * sizeof(char *));
    p->tname[p->nt] = sim_xstrdup(name);
    return p->nt++;
}

static void build_map_plan(struct map_plan *p, const struct sim_tmap *m,
                           const struct sim_table *t,
                           const struct staging_plan *sp)
{
    struct sim_str sql = {0}, qs = {0};
    size_t np = 0;

    map_plan_free(p);
    p->built = true;
    p->target = t;
    if (!t)
        return;
    p->ncols_seen = t->ncols;
    p->fm_t = sim_xcalloc(m->nfm + 1, sizeof(size_t));
    p->fm_src = sim_xcalloc(m->nfm + 1, sizeof(size_t));
    for (size_t i = 0; i < m->nfm; i++) {
        p->fm_t[i] = add_target(p, m->fm[i].target);
        p->fm_src[i] = find_name(sp->cols, sp->ncols, m->fm[i].source);
    }
    p->val = sim_xcalloc(p->nt + 1, sizeof(char *));
    p->own = sim_xcalloc(p->nt + 1, sizeof(char *));
    p->tlen = sim_xcalloc(p->nt + 1, sizeof(int));
    p->tset = sim_xcalloc(p->nt + 1, sizeof(bool));
    p->sysid_t = NONE;
    p->sel = sim_xcalloc(p->nt + t->ncols + 1, sizeof(char *));
    for (size_t i = 0; i < p->nt; i++) {
        const struct sim_col *c = sim_db_col(t, p->tname[i]);
        p->tlen[i] = c ? c->max_length : 0;
        p->tset[i] = c && sim_db_settable(c);
        if (strcmp(p->tname[i], "sys_id") == 0)
            p->sysid_t = i;
        p->sel[p->nsel++] = p->tname[i];
    }
    p->mand_label = sim_xcalloc(t->ncols + 1, sizeof(char *));
    p->mand_t = sim_xcalloc(t->ncols + 1, sizeof(size_t));
    p->mand_sel = sim_xcalloc(t->ncols + 1, sizeof(size_t));
    for (size_t i = 0; m->enforce_mandatory != SIM_MAND_NO && i < t->ncols;
         i++) {
        const struct sim_col *c = &t->cols[i];
        size_t k = find_name(p->tname, p->nt, c->name);
        if (!c->mandatory ||
            (m->enforce_mandatory == SIM_MAND_MAPPED && k == NONE))
            continue;
        p->mand_label[p->nmand] = sim_xstrdup(c->label ? c->label : c->name);
        p->mand_t[p->nmand] = k;
        if (k == NONE) {
            p->mand_sel[p->nmand] = p->nsel;
            p->sel[p->nsel++] = sim_xstrdup(c->name);
        } else {
            p->mand_sel[p->nmand] = k;
        }
        p->nmand++;
    }
    p->existing = sim_xcalloc(p->nsel + 1, sizeof(char *));

    sim_str_add(&sql, "SELECT sys_id");
    for (size_t i = 0; i < p->nsel; i++)
        sim_str_addf(&sql, ", \"%s\"", p->sel[i]);
    sim_str_addf(&sql, " FROM \"%s\" WHERE ", t->name);
    for (size_t i = 0; i < m->nfm; i++) {
        if (!m->fm[i].coalesce)
            continue;
        sim_str_addf(&sql, "%s\"%s\" = ?%zu%s", np ? " AND " : "",
                     m->fm[i].target, np + 1,
                     m->coalesce_case_sensitive ? "" : " COLLATE NOCASE");
        np++;
    }
    sim_str_add(&sql, " ORDER BY rowid LIMIT 1");
    p->find_sql = sql.p;

    sql = (struct sim_str){0};
    sim_str_addf(&sql,
                 "INSERT INTO \"%s\"(sys_id, sys_created_on,"
                 " sys_created_by, sys_updated_on, sys_updated_by,"
                 " sys_mod_count",
                 t->name);
    sim_str_add(&qs, "?1, ?2, ?3, ?2, ?3, 0");
    np = 3;
    for (size_t i = 0; i < p->nt; i++) {
        if (!p->tset[i])
            continue;
        sim_str_addf(&sql, ", \"%s\"", p->tname[i]);
        sim_str_addf(&qs, ", ?%zu", ++np);
    }
    sim_str_addf(&sql, ") VALUES (%s)", qs.p);
    p->insert_sql = sql.p;
    sim_str_free(&qs);
}

static struct map_plan *map_plan(struct sim *s, size_t map_index,
                                 const struct staging_plan *sp)
{
    struct map_plan *p = &plans(s)->mp[map_index];
    const struct sim_tmap *m = &s->cfg->maps[map_index];
    const struct sim_table *t = sim_db_table(s, m->target_table);

    if (!p->built || p->target != t || (t && p->ncols_seen != t->ncols))
        build_map_plan(p, m, t, sp);
    return p;
}

/* --- one row, one map -------------------------------------------------- */

static const char *src_value(const struct sim_srow *row,
                             const struct map_plan *p, size_t fm)
{
    size_t k = p->fm_src[fm];
    const char *v = k == NONE ? NULL : row->vals[k];

    return v ? v : "";
}

/* Looks up the coalesce match. On a match fills id and existing[] (the
 * plan's sel columns, malloc'd, "" for null) and returns true. */
static bool find_match(struct sim *s, const struct sim_tmap *m,
                       struct map_plan *p, const struct sim_srow *row,
                       size_t nempty, char id[SIM_SYS_ID_LEN + 1],
                       char **existing)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    size_t np = 0;
    bool found = false;

    if (nempty) { /* coalesce_empty_fields: empty matches empty */
        sim_str_add(&sql, "SELECT sys_id");
        for (size_t i = 0; i < p->nsel; i++)
            sim_str_addf(&sql, ", \"%s\"", p->sel[i]);
        sim_str_addf(&sql, " FROM \"%s\" WHERE ", p->target->name);
        for (size_t i = 0; i < m->nfm; i++) {
            const char *f = m->fm[i].target;
            if (!m->fm[i].coalesce)
                continue;
            if (np++)
                sim_str_add(&sql, " AND ");
            if (*src_value(row, p, i))
                sim_str_addf(&sql, "\"%s\" = ?%zu%s", f, i + 1,
                             m->coalesce_case_sensitive ? ""
                                                        : " COLLATE NOCASE");
            else
                sim_str_addf(&sql, "(\"%s\" IS NULL OR \"%s\" = '')", f, f);
        }
        sim_str_add(&sql, " ORDER BY rowid LIMIT 1");
        st = sim_db_stmt(s, sql.p);
        sim_str_free(&sql);
    } else {
        st = sim_db_stmt_ref(s, p->find_sql, &p->find_ref);
    }
    if (!st)
        return false;
    for (size_t i = 0; i < m->nfm; i++) {
        const char *v = src_value(row, p, i);
        if (!m->fm[i].coalesce)
            continue;
        np = nempty ? i + 1 : np + 1;
        if (*v)
            sqlite3_bind_text(st, (int)np, v, -1, SQLITE_STATIC);
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = true;
        snprintf(id, SIM_SYS_ID_LEN + 1, "%s",
                 (const char *)sqlite3_column_text(st, 0));
        for (size_t i = 0; i < p->nsel; i++) {
            const char *v = (const char *)sqlite3_column_text(st, (int)i + 1);
            existing[i] = sim_xstrdup(v ? v : "");
        }
    }
    sqlite3_reset(st);
    return found;
}

/* Mandatory-field check over the values to write (val[] per target, NULL
 * when not written) and the existing record; false fills res->error. */
static bool mandatory_ok(const struct map_plan *p, const char *const *val,
                         char *const *existing, struct sim_tresult *res)
{
    struct sim_str missing = {0};
    bool ok;

    for (size_t i = 0; i < p->nmand; i++) {
        const char *v = NULL;
        if (p->mand_t[i] != NONE && val[p->mand_t[i]])
            v = val[p->mand_t[i]];
        else if (existing)
            v = existing[p->mand_sel[i]];
        if (!v || !*v)
            sim_str_addf(&missing, "%s%s", missing.len ? ", " : "",
                         p->mand_label[i]);
    }
    ok = missing.len == 0;
    if (!ok)
        snprintf(res->error, sizeof(res->error),
                 "Mandatory field(s) not set: %s", missing.p);
    sim_str_free(&missing);
    return ok;
}

static bool insert_target(struct sim *s, struct map_plan *p,
                          const char *const *val, const char *user,
                          char id[SIM_SYS_ID_LEN + 1])
{
    sqlite3_stmt *st = sim_db_stmt_ref(s, p->insert_sql, &p->insert_ref);
    char now[20];
    int n = 3;
    bool ok;

    if (!st)
        return false;
    if (p->sysid_t != NONE && sim_db_valid_sys_id(val[p->sysid_t]))
        snprintf(id, SIM_SYS_ID_LEN + 1, "%s", val[p->sysid_t]);
    else
        sim_sys_id(id);
    sim_now_str(now);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sim_db_bind_text(st, 3, user);
    for (size_t i = 0; i < p->nt; i++)
        if (p->tset[i])
            sim_db_bind_text(st, ++n, val[i]);
    ok = sqlite3_step(st) == SQLITE_DONE;
    if (!ok)
        fprintf(stderr, "isload-sim: insert into %s: %s\n", p->target->name,
                sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return ok;
}

static int update_target(struct sim *s, const struct map_plan *p,
                         const char *const *val, const char *id,
                         const char *user)
{
    json_t *fields = json_object();
    int rc;

    for (size_t i = 0; i < p->nt; i++)
        if (val[i])
            json_object_set_new(fields, p->tname[i], json_string(val[i]));
    rc = sim_db_update_record(s, p->target, id, fields, user);
    json_decref(fields);
    return rc;
}

static void transform_one(struct sim *s, const struct sim_tmap *m,
                          struct map_plan *p, const struct sim_srow *row,
                          const char *user, struct sim_tresult *res)
{
    char match[SIM_SYS_ID_LEN + 1] = "";
    size_t ncoal = 0, nempty = 0, nval = 0;
    const char **val = p->val;
    char **own = p->own, **existing = p->existing;
    bool found = false;

    memset(res, 0, sizeof(*res));
    res->map = m;
    if (!p->target) {
        snprintf(res->status, sizeof(res->status), "error");
        snprintf(res->error, sizeof(res->error), "Invalid target table %s",
                 m->target_table);
        return;
    }
    for (size_t i = 0; i < m->nfm; i++) {
        if (!m->fm[i].coalesce)
            continue;
        ncoal++;
        if (!*src_value(row, p, i))
            nempty++;
    }
    if (ncoal && nempty == ncoal && !m->create_on_empty_coalesce) {
        snprintf(res->status, sizeof(res->status), "skipped");
        snprintf(res->comment, sizeof(res->comment), SKIPPED_COMMENT);
        return;
    }
    memset(val, 0, p->nt * sizeof(*val));
    memset(own, 0, p->nt * sizeof(*own));
    if (ncoal && nempty < ncoal && (!nempty || m->coalesce_empty_fields))
        found = find_match(s, m, p, row, nempty, match, existing);

    /* the values this map writes, cut to the target length ("NULL"
     * clears); a later field map to the same target replaces an earlier
     * one */
    for (size_t i = 0; i < m->nfm; i++) {
        const char *v = src_value(row, p, i), *nv = v;
        size_t k = p->fm_t[i], len;
        char *cut = NULL;
        if (!*v && (!found || !m->copy_empty_fields))
            continue;
        if (strcmp(v, "NULL") == 0)
            nv = "";
        else if (p->tlen[k] > 0 &&
                 v[len = sim_utf8_prefix(v, (size_t)p->tlen[k])])
            nv = cut = sim_xstrndup(v, len);
        if ((found && strcmp(existing[k], nv) == 0) || (!found && !*nv)) {
            free(cut); /* unchanged, or nothing to insert */
            continue;
        }
        if (!val[k])
            nval++;
        free(own[k]);
        own[k] = cut;
        val[k] = nv;
    }
    if (!mandatory_ok(p, val, found ? existing : NULL, res)) {
        snprintf(res->status, sizeof(res->status), "error");
        if (found)
            snprintf(res->target_sys_id, sizeof(res->target_sys_id), "%s",
                     match);
    } else if (found) {
        snprintf(res->target_sys_id, sizeof(res->target_sys_id), "%s", match);
        if (nval == 0) {
            snprintf(res->status, sizeof(res->status), "ignored");
            snprintf(res->comment, sizeof(res->comment), IGNORED_COMMENT);
        } else if (update_target(s, p, val, match, user) == 1) {
            snprintf(res->status, sizeof(res->status), "updated");
        } else {
            snprintf(res->status, sizeof(res->status), "error");
            snprintf(res->error, sizeof(res->error), "Update failed");
        }
    } else if (insert_target(s, p, val, user, res->target_sys_id)) {
        snprintf(res->status, sizeof(res->status), "inserted");
    } else {
        res->target_sys_id[0] = '\0';
        snprintf(res->status, sizeof(res->status), "error");
        snprintf(res->error, sizeof(res->error), "Insert failed");
    }
    for (size_t i = 0; i < p->nt; i++)
        free(own[i]);
    for (size_t i = 0; found && i < p->nsel; i++)
        free(existing[i]);
}

/* --- one row, all maps --------------------------------------------------- */

static void row_error_record(struct sim *s, const char *row_id,
                             const char *set_id, const char *msg,
                             const char *user, char out[SIM_SYS_ID_LEN + 1])
{
    struct sim_table *t = sim_db_table(s, "sys_import_set_row_error");
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s}", "row", row_id, "import_set",
                            set_id, "error_code", "800", "error_message", msg);

    if (sim_db_insert_record(s, t, rec, user, out) < 0)
        out[0] = '\0';
    json_decref(rec);
}

static void save_result(struct sim *s, struct staging_plan *sp,
                        const char *row_id, size_t seq,
                        const struct sim_tresult *r)
{
    sqlite3_stmt *st = sim_db_stmt_ref(
        s,
        "INSERT OR REPLACE INTO sim_row_result(row_id, seq, map_name, tbl,"
        " status, target_sys_id, comment, error) VALUES (?1, ?2, ?3, ?4,"
        " ?5, ?6, ?7, ?8)",
        &sp->result_ref);

    if (!st)
        return;
    sqlite3_bind_text(st, 1, row_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    sqlite3_bind_text(st, 3, r->map->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->map->target_table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->status, -1, SQLITE_STATIC);
    sim_db_bind_text(st, 6, r->target_sys_id);
    sim_db_bind_text(st, 7, r->comment);
    sim_db_bind_text(st, 8, r->error);
    sqlite3_step(st);
    sqlite3_reset(st);
}

size_t sim_transform_row(struct sim *s, const struct sim_table *staging,
                         const struct sim_srow *row, const char *user,
                         struct sim_tresult *out)
{
    struct staging_plan *sp = staging_plan(s, staging);
    sqlite3_stmt *st;
    size_t n = 0;
    char now[20];
    char err_id[SIM_SYS_ID_LEN + 1] = "";
    const struct sim_tresult *last;

    for (size_t i = 0; i < sp->nmaps; i++) {
        const struct sim_tmap *m = &s->cfg->maps[sp->maps[i]];
        struct map_plan *p = map_plan(s, sp->maps[i], sp);
        transform_one(s, m, p, row, user, &out[n]);
        if (sp->nmaps > 1) /* else the staging row says it all */
            save_result(s, sp, row->sys_id, n, &out[n]);
        n++;
    }
    if (!n)
        return 0; /* no map: the row stays pending */
    last = &out[n - 1];
    if (last->error[0])
        row_error_record(s, row->sys_id, row->set_id, last->error, user,
                         err_id);
    sim_now_str(now);
    st = sim_db_stmt_ref(s, sp->update_sql, &sp->update_ref);
    if (st) {
        sqlite3_bind_text(st, 1, last->status, -1, SQLITE_STATIC);
        sim_db_bind_text(st, 2, last->comment[0] ? last->comment : last->error);
        sim_db_bind_text(
            st, 3, last->target_sys_id[0] ? last->map->target_table : NULL);
        sim_db_bind_text(st, 4, last->target_sys_id);
        sqlite3_bind_text(st, 5, last->map->sys_id, -1, SQLITE_STATIC);
        sim_db_bind_text(st, 6, err_id);
        sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, row->rowid);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    return n;
}
