/*
 * sim_transform.c: runs transform maps over staging rows, and the
 * background worker that transforms asynchronous import sets.
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
 * The worker picks an eligible asynchronous import set (loaded at least
 * async_delay_ms ago, its run_after set finished), in FIFO or seeded
 * random order, and transforms up to async_chunk_rows pending rows per
 * lock hold, so that requests interleave with a big set.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SKIPPED_COMMENT "Row skipped: all coalesce fields are empty"
#define IGNORED_COMMENT "No field values changed"

size_t sim_transform_max_results(const struct sim *s)
{
    return s->cfg->nmaps ? s->cfg->nmaps : 1;
}

static const char *row_value(json_t *row, const char *col)
{
    const char *v = json_string_value(json_object_get(row, col));

    return v ? v : "";
}

/* v cut to the target column's length (malloc'd). */
static char *fit_target(const struct sim_table *t, const char *field,
                        const char *v)
{
    const struct sim_col *c = sim_db_col(t, field);

    if (c && c->max_length > 0)
        return sim_xstrndup(v, sim_utf8_prefix(v, (size_t)c->max_length));
    return sim_xstrdup(v);
}

/* Finds the coalesce match; fills id (empty: none). */
static void find_match(struct sim *s, const struct sim_tmap *m,
                       const struct sim_table *t, json_t *row,
                       char id[SIM_SYS_ID_LEN + 1])
{
    struct sim_str sql = {0};
    const char **params = sim_xcalloc(m->nfm, sizeof(char *));
    size_t np = 0, nterms = 0;
    sqlite3_stmt *st;

    id[0] = '\0';
    sim_str_addf(&sql, "SELECT sys_id FROM \"%s\" WHERE ", t->name);
    for (size_t i = 0; i < m->nfm; i++) {
        const struct sim_field_map *f = &m->fm[i];
        const char *v;
        if (!f->coalesce)
            continue;
        v = row_value(row, f->source);
        if (nterms++)
            sim_str_add(&sql, " AND ");
        if (!*v) {
            if (!m->coalesce_empty_fields)
                goto out; /* an empty value matches nothing */
            sim_str_addf(&sql, "(\"%s\" IS NULL OR \"%s\" = '')", f->target,
                         f->target);
        } else {
            params[np++] = v;
            sim_str_addf(&sql, "\"%s\" = ?%zu%s", f->target, np,
                         m->coalesce_case_sensitive ? "" : " COLLATE NOCASE");
        }
    }
    sim_str_add(&sql, " ORDER BY rowid LIMIT 1");
    st = sim_db_stmt(s, sql.p);
    if (st) {
        for (size_t i = 0; i < np; i++)
            sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(id, SIM_SYS_ID_LEN + 1, "%s",
                     (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
out:
    sim_str_free(&sql);
    free(params);
}

/* Mandatory-field check; returns false and fills res->error. */
static bool mandatory_ok(const struct sim_tmap *m, const struct sim_table *t,
                         json_t *values, json_t *existing,
                         struct sim_tresult *res)
{
    struct sim_str missing = {0};
    bool ok;

    if (m->enforce_mandatory == SIM_MAND_NO)
        return true;
    for (size_t i = 0; i < t->ncols; i++) {
        const struct sim_col *c = &t->cols[i];
        json_t *nv = json_object_get(values, c->name);
        const char *v;
        bool mapped = false;
        if (!c->mandatory)
            continue;
        for (size_t j = 0; j < m->nfm; j++)
            if (strcmp(m->fm[j].target, c->name) == 0)
                mapped = true;
        if (m->enforce_mandatory == SIM_MAND_MAPPED && !mapped)
            continue;
        v = nv ? json_string_value(nv)
               : json_string_value(json_object_get(existing, c->name));
        if (!v || !*v)
            sim_str_addf(&missing, "%s%s", missing.len ? ", " : "",
                         c->label ? c->label : c->name);
    }
    ok = missing.len == 0;
    if (!ok)
        snprintf(res->error, sizeof(res->error),
                 "Mandatory field(s) not set: %s", missing.p);
    sim_str_free(&missing);
    return ok;
}

static void transform_one(struct sim *s, const struct sim_tmap *m, json_t *row,
                          const char *user, struct sim_tresult *res)
{
    const struct sim_table *t = sim_db_table(s, m->target_table);
    char match[SIM_SYS_ID_LEN + 1] = "";
    size_t ncoal = 0, nempty = 0;
    json_t *values = json_object();
    json_t *existing = NULL;

    memset(res, 0, sizeof(*res));
    res->map = m;
    if (!t) {
        snprintf(res->status, sizeof(res->status), "error");
        snprintf(res->error, sizeof(res->error), "Invalid target table %s",
                 m->target_table);
        goto out;
    }
    for (size_t i = 0; i < m->nfm; i++) {
        if (!m->fm[i].coalesce)
            continue;
        ncoal++;
        if (!*row_value(row, m->fm[i].source))
            nempty++;
    }
    if (ncoal && nempty == ncoal && !m->create_on_empty_coalesce) {
        snprintf(res->status, sizeof(res->status), "skipped");
        snprintf(res->comment, sizeof(res->comment), SKIPPED_COMMENT);
        goto out;
    }
    if (ncoal && nempty < ncoal)
        find_match(s, m, t, row, match);
    if (match[0])
        existing = sim_db_get_record(s, t, match);

    /* the values this map writes */
    for (size_t i = 0; i < m->nfm; i++) {
        const struct sim_field_map *f = &m->fm[i];
        const char *v = row_value(row, f->source);
        char *nv;
        if (!*v && (!existing || !m->copy_empty_fields))
            continue;
        nv = fit_target(t, f->target, strcmp(v, "NULL") == 0 ? "" : v);
        if (existing) {
            const char *old =
                json_string_value(json_object_get(existing, f->target));
            if (old && strcmp(old, nv) == 0) {
                free(nv);
                continue; /* unchanged */
            }
        } else if (!*nv) {
            free(nv);
            continue;
        }
        json_object_set_new(values, f->target, json_string(nv));
        free(nv);
    }
    if (!mandatory_ok(m, t, values, existing, res)) {
        snprintf(res->status, sizeof(res->status), "error");
        if (existing)
            snprintf(res->target_sys_id, sizeof(res->target_sys_id), "%s",
                     match);
        goto out;
    }
    if (existing) {
        snprintf(res->target_sys_id, sizeof(res->target_sys_id), "%s", match);
        if (json_object_size(values) == 0) {
            snprintf(res->status, sizeof(res->status), "ignored");
            snprintf(res->comment, sizeof(res->comment), IGNORED_COMMENT);
        } else if (sim_db_update_record(s, t, match, values, user) == 1) {
            snprintf(res->status, sizeof(res->status), "updated");
        } else {
            snprintf(res->status, sizeof(res->status), "error");
            snprintf(res->error, sizeof(res->error), "Update failed");
        }
    } else if (sim_db_insert_record(s, t, values, user, res->target_sys_id) ==
               0) {
        snprintf(res->status, sizeof(res->status), "inserted");
    } else {
        res->target_sys_id[0] = '\0';
        snprintf(res->status, sizeof(res->status), "error");
        snprintf(res->error, sizeof(res->error), "Insert failed");
    }
out:
    json_decref(existing);
    json_decref(values);
}

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

size_t sim_transform_row(struct sim *s, const struct sim_table *staging,
                         const char *row_sys_id, json_t *row, const char *user,
                         struct sim_tresult *out)
{
    const struct sim_config *cfg = s->cfg;
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    size_t n = 0;
    char now[20];
    char err_id[SIM_SYS_ID_LEN + 1] = "";
    const struct sim_tresult *last;

    for (size_t i = 0; i < cfg->nmaps; i++) {
        const struct sim_tmap *m = &cfg->maps[i];
        if (!m->active || strcmp(m->source_table, staging->name) != 0)
            continue;
        transform_one(s, m, row, user, &out[n]);
        st = sim_db_stmt(s, "INSERT OR REPLACE INTO sim_row_result(row_id,"
                            " seq, map_name, tbl, status, target_sys_id,"
                            " comment, error) VALUES (?1, ?2, ?3, ?4, ?5,"
                            " ?6, ?7, ?8)");
        if (st) {
            sqlite3_bind_text(st, 1, row_sys_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
            sqlite3_bind_text(st, 3, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, m->target_table, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, out[n].status, -1, SQLITE_STATIC);
            sim_db_bind_text(st, 6, out[n].target_sys_id);
            sim_db_bind_text(st, 7, out[n].comment);
            sim_db_bind_text(st, 8, out[n].error);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
        n++;
    }
    if (!n)
        return 0; /* no map: the row stays pending */
    last = &out[n - 1];
    if (last->error[0])
        row_error_record(s, row_sys_id, row_value(row, "sys_import_set"),
                         last->error, user, err_id);
    sim_now_str(now);
    sim_str_addf(&sql,
                 "UPDATE \"%s\" SET sys_import_state = ?1,"
                 " sys_import_state_comment = ?2, sys_target_table = ?3,"
                 " sys_target_sys_id = ?4, sys_transform_map = ?5,"
                 " sys_row_error = ?6, sys_updated_on = ?7,"
                 " sys_mod_count = sys_mod_count + 1 WHERE sys_id = ?8",
                 staging->name);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (st) {
        sqlite3_bind_text(st, 1, last->status, -1, SQLITE_STATIC);
        sim_db_bind_text(st, 2, last->comment[0] ? last->comment : last->error);
        sim_db_bind_text(
            st, 3, last->target_sys_id[0] ? last->map->target_table : NULL);
        sim_db_bind_text(st, 4, last->target_sys_id);
        sqlite3_bind_text(st, 5, last->map->sys_id, -1, SQLITE_STATIC);
        sim_db_bind_text(st, 6, err_id);
        sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, row_sys_id, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    return n;
}

void sim_transform_finish_set(struct sim *s, const char *set_sys_id,
                              const char *staging, const char *user,
                              bool processed)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    long c[6] = {0}; /* inserted updated ignored skipped error total */
    static const char *const states[] = {"inserted", "updated", "ignored",
                                         "skipped", "error"};
    struct sim_table *run = sim_db_table(s, "sys_import_set_run");
    struct sim_table *iset = sim_db_table(s, "sys_import_set");
    char run_id[SIM_SYS_ID_LEN + 1] = "";
    char now[20], num[6][24];
    json_t *rec;

    sim_now_str(now);
    if (processed) {
        rec = json_pack("{s:s, s:s}", "state", "processed", "load_completed",
                        now);
        sim_db_update_record(s, iset, set_sys_id, rec, user);
        json_decref(rec);
    }
    if (!s->cfg->record_import_set_run)
        return;
    sim_str_addf(&sql,
                 "SELECT sys_import_state, count(*) FROM \"%s\" WHERE"
                 " sys_import_set = ?1 GROUP BY 1",
                 staging);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, set_sys_id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        long k = (long)sqlite3_column_int64(st, 1);
        for (size_t i = 0; i < SIM_ARRAY_LEN(states); i++)
            if (state && strcmp(state, states[i]) == 0) {
                c[i] += k;
                c[5] += k;
            }
    }
    sqlite3_reset(st);
    for (int i = 0; i < 6; i++)
        snprintf(num[i], sizeof(num[i]), "%ld", c[i]);
    rec = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "set", set_sys_id,
        "state", c[4] ? "complete_with_errors" : "complete", "completed", now,
        "inserts", num[0], "updates", num[1], "ignored", num[2], "skipped",
        num[3], "errors", num[4], "total", num[5], "processed", num[5]);
    st = sim_db_stmt(s, "SELECT sys_id FROM sys_import_set_run WHERE"
                        " \"set\" = ?1");
    if (st) {
        sqlite3_bind_text(st, 1, set_sys_id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(run_id, sizeof(run_id), "%s",
                     (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    if (run_id[0])
        sim_db_update_record(s, run, run_id, rec, user);
    else
        sim_db_insert_record(s, run, rec, user, run_id);
    json_decref(rec);
}

void sim_transform_bump_run(struct sim *s, const char *set_sys_id,
                            const char *staging, const char *status,
                            const char *user)
{
    static const char *const states[][2] = {{"inserted", "inserts"},
                                            {"updated", "updates"},
                                            {"ignored", "ignored"},
                                            {"skipped", "skipped"},
                                            {"error", "errors"}};
    const char *col = NULL;
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    char now[20];
    int changed = 0;

    if (!s->cfg->record_import_set_run)
        return;
    for (size_t i = 0; i < SIM_ARRAY_LEN(states); i++)
        if (strcmp(status, states[i][0]) == 0)
            col = states[i][1];
    if (!col)
        return; /* pending rows are not counted */
    sim_now_str(now);
    sim_str_addf(&sql,
                 "UPDATE sys_import_set_run SET total = total + 1,"
                 " processed = processed + 1, \"%s\" = \"%s\" + 1,"
                 " state = CASE WHEN errors + ?2 > 0 THEN"
                 " 'complete_with_errors' ELSE 'complete' END,"
                 " completed = ?3, sys_updated_on = ?3, sys_updated_by = ?4,"
                 " sys_mod_count = sys_mod_count + 1 WHERE \"set\" = ?1",
                 col, col);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (st) {
        sqlite3_bind_text(st, 1, set_sys_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, strcmp(col, "errors") == 0);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
        sim_db_bind_text(st, 4, user);
        if (sqlite3_step(st) == SQLITE_DONE)
            changed = sqlite3_changes(s->db);
        sqlite3_reset(st);
    }
    if (!changed) /* first row of the set: create it by counting */
        sim_transform_finish_set(s, set_sys_id, staging, user, false);
}

/* --- async worker ---------------------------------------------------------*/

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct candidate {
    int64_t seq;
    char set_id[SIM_SYS_ID_LEN + 1];
    char staging[SIM_NAME_MAX + 1];
};

static bool run_after_done(struct sim *s, const char *run_after)
{
    sqlite3_stmt *st;
    bool done = true; /* an unknown set does not block */

    if (!run_after || !*run_after)
        return true;
    st = sim_db_stmt(s, "SELECT state, mode FROM sys_import_set WHERE"
                        " sys_id = ?1");
    if (!st)
        return true;
    sqlite3_bind_text(st, 1, run_after, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        const char *mode = (const char *)sqlite3_column_text(st, 1);
        done = (state && (strcmp(state, "processed") == 0 ||
                          strcmp(state, "cancelled") == 0)) ||
               (mode && strcmp(mode, "synchronous") == 0);
    }
    sqlite3_reset(st);
    return done;
}

/* Picks the next set to work on; false when there is none. */
static bool pick(struct sim *s, struct candidate *out)
{
    struct candidate *c = NULL;
    char **after = NULL;
    size_t n = 0, cap = 0, neligible = 0;
    sqlite3_stmt *st =
        sim_db_stmt(s, "SELECT seq, set_id, staging, run_after FROM sim_async"
                       " WHERE loaded_ms <= ?1 ORDER BY seq");
    bool found = false;

    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, wall_ms() - s->cfg->async_delay_ms);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *ra = (const char *)sqlite3_column_text(st, 3);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            c = sim_xrealloc(c, cap * sizeof(*c));
            after = sim_xrealloc(after, cap * sizeof(char *));
        }
        c[n].seq = sqlite3_column_int64(st, 0);
        snprintf(c[n].set_id, sizeof(c[n].set_id), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        snprintf(c[n].staging, sizeof(c[n].staging), "%s",
                 (const char *)sqlite3_column_text(st, 2));
        after[n] = ra ? sim_xstrdup(ra) : NULL;
        n++;
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < n; i++) {
        if (run_after_done(s, after[i]))
            c[neligible++] = c[i];
        free(after[i]);
    }
    free(after);
    if (neligible) {
        size_t k = 0;
        if (s->cfg->async_random_order)
            k = (size_t)(sim_rng_next(&s->worker_rng) % neligible);
        *out = c[k];
        found = true;
    }
    free(c);
    return found;
}

/* Loads up to limit pending rows of a set (as objects). */
static json_t *pending_rows(struct sim *s, const char *staging,
                            const char *set_id, int limit)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    json_t *rows = json_array();

    sim_str_addf(&sql,
                 "SELECT * FROM \"%s\" WHERE sys_import_set = ?1 AND"
                 " sys_import_state = 'pending' ORDER BY sys_import_row"
                 " LIMIT %d",
                 staging, limit);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return rows;
    sqlite3_bind_text(st, 1, set_id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            json_object_set_new(row, sqlite3_column_name(st, i),
                                json_string(v ? v : ""));
        }
        json_array_append_new(rows, row);
    }
    sqlite3_reset(st);
    return rows;
}

/* One unit of work; caller holds the DB lock. Returns true if it did
 * something. */
static bool worker_step(struct sim *s)
{
    struct candidate c;
    struct sim_table *staging;
    struct sim_tresult *res;
    json_t *rows, *row;
    size_t i;
    sqlite3_stmt *st;

    if (!pick(s, &c))
        return false;
    staging = sim_db_table(s, c.staging);
    if (sim_db_begin(s) < 0)
        return false;
    rows = staging
               ? pending_rows(s, c.staging, c.set_id, s->cfg->async_chunk_rows)
               : json_array();
    res = sim_xcalloc(sim_transform_max_results(s), sizeof(*res));
    json_array_foreach(rows, i, row)
    {
        sim_transform_row(s, staging, row_value(row, "sys_id"), row, "system",
                          res);
    }
    free(res);
    if (json_array_size(rows) < (size_t)s->cfg->async_chunk_rows) {
        if (staging)
            sim_transform_finish_set(s, c.set_id, c.staging, "system", true);
        st = sim_db_stmt(s, "DELETE FROM sim_async WHERE seq = ?1");
        if (st) {
            sqlite3_bind_int64(st, 1, c.seq);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
    }
    json_decref(rows);
    if (sim_db_commit(s) < 0)
        sim_db_rollback(s);
    return true;
}

static void *worker_main(void *arg)
{
    struct sim *s = arg;

    sim_db_lock(s);
    while (!s->stopping) {
        if (worker_step(s)) {
            /* let waiting requests in between chunks */
            sim_db_unlock(s);
            sim_sleep_ms(1);
            sim_db_lock(s);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += s->cfg->async_poll_ms / 1000;
        ts.tv_nsec += (s->cfg->async_poll_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->worker_cond, &s->db_lock, &ts);
    }
    sim_db_unlock(s);
    return NULL;
}

int sim_worker_start(struct sim *s)
{
    int rc = pthread_create(&s->worker, NULL, worker_main, s);

    if (rc) {
        fprintf(stderr, "isload-sim: cannot start worker: %s\n", strerror(rc));
        return -1;
    }
    s->worker_started = true;
    return 0;
}

void sim_worker_kick(struct sim *s)
{
    /* with a delay the new set is not eligible yet: wait for the poll */
    if (s->cfg->async_delay_ms == 0)
        pthread_cond_signal(&s->worker_cond);
}

void sim_worker_stop(struct sim *s)
{
    if (!s->worker_started)
        return;
    sim_db_lock(s);
    s->stopping = true;
    pthread_cond_broadcast(&s->worker_cond);
    sim_db_unlock(s);
    pthread_join(s->worker, NULL);
    s->worker_started = false;
}
