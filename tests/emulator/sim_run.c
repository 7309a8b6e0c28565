/*
 * sim_run.c: sys_import_set_run, the transform history of an import set:
 * counts of inserted, updated, ignored, skipped and error rows, refreshed
 * by counting the set's rows or bumped one row at a time, and the set's
 * change to "processed".
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <string.h>

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
