/*
 * sim_worker.c: the background worker that transforms asynchronous import
 * sets. It picks an eligible set (loaded at least async_delay_ms ago, its
 * run_after set finished), in FIFO or seeded random order, and transforms
 * up to async_chunk_rows pending rows per lock hold and transaction, so
 * that requests interleave with a big set.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    char run_after[SIM_SYS_ID_LEN + 1]; /* "" when none (or no sys_id) */
};

/* Up to limit pending rows of a set, copied out of SQLite (the transform
 * updates the rows it reads). */
/* Up to limit pending rows of a set, copied out of SQLite (the transform
 * updates the rows it reads). */
struct pending {
    struct sim_str text; /* every value, NUL-terminated, back to back */
    size_t *off;         /* per row: sys_id, rowid, set, then the ncols
                            values */
    size_t nrows, ncols, cap;
};

/* What the worker keeps between steps, so that a step allocates nothing
 * once warm. */
struct sim_worker_scratch {
    struct candidate *cand;
    size_t ncand_cap;
    struct pending pd;
    const char **vals;
    size_t nvals_cap;
    struct sim_tresult *res;
};

static struct sim_worker_scratch *scratch(struct sim *s)
{
    if (!s->worker_scratch) {
        s->worker_scratch = sim_xcalloc(1, sizeof(*s->worker_scratch));
        s->worker_scratch->res = sim_xcalloc(sim_transform_max_results(s),
                                             sizeof(struct sim_tresult));
    }
    return s->worker_scratch;
}

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
/* Picks the next set to work on; false when there is none. */
static bool pick(struct sim *s, struct candidate *out)
{
    struct sim_worker_scratch *w = scratch(s);
    size_t n = 0, neligible = 0;
    sqlite3_stmt *st =
        sim_db_stmt(s, "SELECT seq, set_id, staging, run_after FROM sim_async"
                       " WHERE loaded_ms <= ?1 ORDER BY seq");

    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, wall_ms() - s->cfg->async_delay_ms);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *ra = (const char *)sqlite3_column_text(st, 3);
        if (n == w->ncand_cap) {
            w->ncand_cap = w->ncand_cap ? w->ncand_cap * 2 : 16;
            w->cand = sim_xrealloc(w->cand, w->ncand_cap * sizeof(*w->cand));
        }
        struct candidate *c = w->cand;
        c[n].seq = sqlite3_column_int64(st, 0);
        snprintf(c[n].set_id, sizeof(c[n].set_id), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        snprintf(c[n].staging, sizeof(c[n].staging), "%s",
                 (const char *)sqlite3_column_text(st, 2));
        /* longer than a sys_id: names no set, so it does not block */
        snprintf(c[n].run_after, sizeof(c[n].run_after), "%s",
                 ra && strlen(ra) <= SIM_SYS_ID_LEN ? ra : "");
        n++;
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < n; i++)
        if (run_after_done(s, w->cand[i].run_after))
            w->cand[neligible++] = w->cand[i];
    if (!neligible)
        return false;
    *out = w->cand[s->cfg->async_random_order
                       ? (size_t)(sim_rng_next(&s->worker_rng) % neligible)
                       : 0];
    return true;
}

static void pending_load(struct sim *s, const struct sim_table *staging,
                         const char *set_id, int limit, struct pending *pd)
{
    sqlite3_stmt *st = sim_db_stmt(s, sim_transform_pending_sql(s, staging));
    size_t per;

    pd->text.len = 0;
    pd->nrows = 0;
    sim_transform_columns(s, staging, &pd->ncols);
    per = pd->ncols + 3;
    if (!st)
        return;
    sqlite3_bind_text(st, 1, set_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((pd->nrows + 1) * per > pd->cap) {
            pd->cap = ((pd->nrows + 1) * per) * 2;
            pd->off = sim_xrealloc(pd->off, pd->cap * sizeof(size_t));
        }
        for (size_t i = 0; i < per; i++) {
            const char *v = (const char *)sqlite3_column_text(st, (int)i);
            pd->off[pd->nrows * per + i] = pd->text.len;
            sim_str_addn(&pd->text, v ? v : "", v ? strlen(v) + 1 : 1);
        }
        pd->nrows++;
    }
    sqlite3_reset(st);
}

/* Transforms up to limit pending rows of set c and, when that is all of
 * them, marks it processed. Returns the rows transformed; *finished tells
 * whether the set is done. */
static size_t transform_set(struct sim *s, const struct candidate *c,
                            size_t limit, bool *finished)
{
    struct sim_table *staging = sim_db_table(s, c->staging);
    struct sim_worker_scratch *w = scratch(s);
    struct pending *pd = &w->pd;
    sqlite3_stmt *st;

    pd->nrows = pd->ncols = 0;
    if (staging)
        pending_load(s, staging, c->set_id, (int)limit, pd);
    if (pd->ncols + 1 > w->nvals_cap) {
        w->nvals_cap = pd->ncols + 1;
        w->vals = sim_xrealloc(w->vals, w->nvals_cap * sizeof(char *));
    }
    for (size_t r = 0; r < pd->nrows; r++) {
        const size_t *o = &pd->off[r * (pd->ncols + 3)];
        struct sim_srow row = {pd->text.p + o[0],
                               strtoll(pd->text.p + o[1], NULL, 10),
                               pd->text.p + o[2], w->vals};
        for (size_t i = 0; i < pd->ncols; i++)
            w->vals[i] = pd->text.p + o[i + 3];
        sim_transform_row(s, staging, &row, "system", w->res);
    }
    *finished = pd->nrows < limit;
    if (*finished) {
        if (staging)
            sim_transform_finish_set(s, c->set_id, c->staging, "system", true);
        st = sim_db_stmt(s, "DELETE FROM sim_async WHERE seq = ?1");
        if (st) {
            sqlite3_bind_int64(st, 1, c->seq);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
    }
    return pd->nrows;
}

/* One unit of work, in one transaction: up to async_chunk_rows rows of
 * as many sets as they cover. Caller holds the DB lock. Returns true if
 * it did something. */
static bool worker_step(struct sim *s)
{
    size_t budget = (size_t)s->cfg->async_chunk_rows;
    struct candidate c;
    bool finished = true, began = false;

    while (budget > 0 && finished && pick(s, &c)) {
        if (!began && sim_db_begin(s) < 0)
            return false;
        began = true;
        budget -= transform_set(s, &c, budget, &finished);
    }
    if (began && sim_db_commit(s) < 0)
        sim_db_rollback(s);
    return began;
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
        sim_db_group_commit(s, false); /* idle: settle the group */
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
    if (s->worker_scratch) {
        sim_str_free(&s->worker_scratch->pd.text);
        free(s->worker_scratch->pd.off);
        free(s->worker_scratch->cand);
        free(s->worker_scratch->vals);
        free(s->worker_scratch->res);
        free(s->worker_scratch);
        s->worker_scratch = NULL;
    }
}
