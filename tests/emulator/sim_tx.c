/*
 * sim_tx.c: transactions. Each request that writes runs in one
 * transaction (sim_db_begin .. sim_db_commit, or sim_db_rollback).
 *
 * With a --db file that is a real transaction, committed when the request
 * ends. With the in-memory database it is a savepoint inside a longer
 * "group" transaction, committed every SIM_GROUP_COMMIT_MS, when the
 * worker is idle, and after schema changes: committing an in-memory SQLite
 * database costs time that grows with its size (measured with SQLite
 * 3.40: about 0.7 ms a commit at 300k rows), so a commit per request made
 * every request slower as the tables grew. Nobody can tell the difference:
 * there is no file, and every access goes through the one connection under
 * db_lock, so uncommitted changes are what every reader sees. A failed
 * request rolls back to its savepoint, as it rolled back its transaction.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>

#define SIM_GROUP_COMMIT_MS 1000

/* Runs a cached statement without parameters or results. */
static int step_cached(struct sim *s, const char *sql)
{
    sqlite3_stmt *st = sim_db_stmt(s, sql);
    int rc = st && sqlite3_step(st) == SQLITE_DONE ? 0 : -1;

    if (st && rc < 0)
        fprintf(stderr, "isload-sim: sqlite: %s (in: %s)\n",
                sqlite3_errmsg(s->db), sql);
    if (st)
        sqlite3_reset(st);
    return rc;
}

static bool grouped(const struct sim *s)
{
    return s->cfg->db_path == NULL;
}

int sim_db_begin(struct sim *s)
{
    if (s->in_tx) {
        fprintf(stderr, "isload-sim: nested transaction\n");
        return -1;
    }
    if (!grouped(s)) {
        if (step_cached(s, "BEGIN IMMEDIATE") < 0)
            return -1;
    } else {
        if (sqlite3_get_autocommit(s->db)) {
            if (step_cached(s, "BEGIN IMMEDIATE") < 0)
                return -1;
            s->group_since_ms = sim_mono_ms();
        }
        if (step_cached(s, "SAVEPOINT sim_tx") < 0)
            return -1;
    }
    s->in_tx = true;
    return 0;
}

int sim_db_commit(struct sim *s)
{
    int rc = step_cached(s, grouped(s) ? "RELEASE sim_tx" : "COMMIT");

    if (rc == 0) {
        s->in_tx = false;
        sim_db_group_commit(s, false);
    }
    return rc;
}

void sim_db_rollback(struct sim *s)
{
    if (!s->in_tx)
        return;
    s->in_tx = false;
    if (sqlite3_get_autocommit(s->db))
        return; /* SQLite already rolled everything back */
    if (grouped(s))
        sim_db_exec(s, "ROLLBACK TO sim_tx; RELEASE sim_tx");
    else
        sim_db_exec(s, "ROLLBACK");
}

void sim_db_group_commit(struct sim *s, bool force)
{
    if (!grouped(s) || s->in_tx || sqlite3_get_autocommit(s->db))
        return;
    if (force || sim_mono_ms() - s->group_since_ms >= SIM_GROUP_COMMIT_MS)
        step_cached(s, "COMMIT");
}
