/*
 * isl_state.c: the delta state store (see isl_state.h).
 *
 * One write transaction stays open while the run goes and is committed at
 * every batch end (isl_state_flush) and every few thousand writes, so the
 * per-row statements cost no fsync and other runs (shards of the same
 * feed, other feeds) get the lock often. Statements are prepared once.
 */
#include "isl_setup.h"
#include "isl_state.h"
#include "isl_error.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITES_PER_TX 5000

enum { S_LOOKUP, S_SEEN, S_SENT, S_CONFIRM, S_NSTMT };

static const char *const stmt_sql[S_NSTMT] = {
    [S_LOOKUP] = "SELECT hash FROM delta WHERE feed=?1 AND instance=?2 AND "
                 "key=?3",
    [S_SEEN] = "INSERT INTO run_keys(run,key,seen) VALUES(?1,?2,1) "
               "ON CONFLICT(run,key) DO UPDATE SET seen=1",
    [S_SENT] = "INSERT INTO run_keys(run,key,hash,seen,state) "
               "VALUES(?1,?2,?3,0,?4) ON CONFLICT(run,key) DO UPDATE SET "
               "hash=excluded.hash, state=excluded.state",
    [S_CONFIRM] = "UPDATE run_keys SET state=CASE state WHEN 'deactivating' "
                  "THEN 'deactivated' ELSE 'confirmed' END WHERE run=?1 AND "
                  "key=?2 AND state IN ('sent','deactivating')",
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS delta(feed TEXT NOT NULL, instance TEXT NOT "
    "NULL, key TEXT NOT NULL, hash TEXT NOT NULL, run TEXT NOT NULL, "
    "PRIMARY KEY(feed, instance, key)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS run_keys(run TEXT NOT NULL, key TEXT NOT "
    "NULL, hash TEXT, seen INTEGER NOT NULL DEFAULT 0, state TEXT, "
    "PRIMARY KEY(run, key)) WITHOUT ROWID;";

struct isl_state {
    sqlite3 *db;
    sqlite3_stmt *st[S_NSTMT];
    char *feed, *instance, *run;
    unsigned shard, nshards;
    unsigned writes; /* since the last commit */
    bool failed;
};

void isl_state_hash(const void *data, size_t len, char *hash)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 16; i++)
        snprintf(hash + 2 * i, 3, "%02x", md[i]);
}

unsigned isl_state_shard_of(const char *key, size_t len, unsigned count)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    uint64_t v = 0;

    if (count <= 1)
        return 0;
    EVP_Digest(key, len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 8; i++)
        v = v << 8 | md[i];
    return (unsigned)(v % count);
}

static int db_error(struct isl_state *s, struct isl_error *err,
                    const char *what)
{
    return isl_error_set(err, ISL_EIO, "state", "%s: %s", what,
                         s->db ? sqlite3_errmsg(s->db) : "cannot open");
}

int isl_state_open(struct isl_state **out, const char *dir, const char *feed,
                   const char *instance, const char *run, unsigned shard_index,
                   unsigned shard_count, struct isl_error *err)
{
    struct isl_state *s = calloc(1, sizeof(*s));
    char path[4096];
    int rc = 0;

    *out = NULL;
    if (!s || !(s->feed = strdup(feed)) || !(s->instance = strdup(instance)) ||
        !(s->run = strdup(run))) {
        if (s) {
            free(s->feed);
            free(s->instance);
        }
        free(s);
        return isl_error_set(err, ISL_ENOMEM, "state", "out of memory");
    }
    s->shard = shard_index;
    s->nshards = shard_count ? shard_count : 1;
    snprintf(path, sizeof(path), "%s/state.db", dir);
    if (sqlite3_open(path, &s->db) != SQLITE_OK) {
        rc = db_error(s, err, path);
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 60000);
    if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(s, err, path);
        goto fail;
    }
    for (int i = 0; i < S_NSTMT; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            rc = db_error(s, err, "preparing a statement");
            goto fail;
        }
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(s, err, path);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    isl_state_close(s);
    return rc;
}

static int flush_if_due(struct isl_state *s)
{
    if (++s->writes < WRITES_PER_TX)
        return 0;
    return isl_state_flush(s);
}

int isl_state_flush(struct isl_state *s)
{
    s->writes = 0;
    if (sqlite3_exec(s->db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        s->failed = true;
        return ISL_EIO;
    }
    return 0;
}

/* Run a statement that returns no rows; its parameters are bound. */
static int step_done(struct isl_state *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        s->failed = true;
        return ISL_EIO;
    }
    return flush_if_due(s);
}

bool isl_state_lookup(struct isl_state *s, const char *key, char *hash)
{
    sqlite3_stmt *st = s->st[S_LOOKUP];
    bool found = false;

    sqlite3_bind_text(st, 1, s->feed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->instance, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(st, 0);

        if (h) {
            snprintf(hash, 33, "%s", (const char *)h);
            found = true;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return found;
}

int isl_state_seen(struct isl_state *s, const char *key)
{
    sqlite3_stmt *st = s->st[S_SEEN];

    sqlite3_bind_text(st, 1, s->run, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    return step_done(s, st);
}

int isl_state_sent(struct isl_state *s, const char *key, const char *hash)
{
    sqlite3_stmt *st = s->st[S_SENT];

    sqlite3_bind_text(st, 1, s->run, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (hash)
        sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, hash ? "sent" : "deactivating", -1, SQLITE_STATIC);
    return step_done(s, st);
}

int isl_state_confirmed(struct isl_state *s, const char *key)
{
    sqlite3_stmt *st = s->st[S_CONFIRM];

    sqlite3_bind_text(st, 1, s->run, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    return step_done(s, st);
}

int isl_state_missing(struct isl_state *s, json_t **keys, uint64_t *total,
                      struct isl_error *err)
{
    static const char sql[] =
        "SELECT d.key, EXISTS(SELECT 1 FROM run_keys r WHERE r.run=?3 AND "
        "r.key=d.key AND r.seen=1) FROM delta d WHERE d.feed=?1 AND "
        "d.instance=?2 ORDER BY d.key";
    sqlite3_stmt *st = NULL;
    int rc;

    *keys = json_array();
    *total = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "reading the store");
    sqlite3_bind_text(st, 1, s->feed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->instance, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->run, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        int n = sqlite3_column_bytes(st, 0);

        if (!k || isl_state_shard_of(k, (size_t)n, s->nshards) != s->shard)
            continue;
        (*total)++;
        if (!sqlite3_column_int(st, 1))
            json_array_append_new(*keys, json_string(k));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(s, err, "reading the store");
    return 0;
}

int isl_state_commit(struct isl_state *s, struct isl_error *err)
{
    /* each statement in parentheses: one element, however many lines */
    static const char *const steps[] = {
        ("INSERT OR REPLACE INTO delta(feed,instance,key,hash,run) SELECT "
         "?1,?2,key,hash,run FROM run_keys WHERE run=?3 AND "
         "state='confirmed'"),
        ("DELETE FROM delta WHERE feed=?1 AND instance=?2 AND key IN (SELECT "
         "key FROM run_keys WHERE run=?3 AND state='deactivated')"),
        "DELETE FROM run_keys WHERE run=?3",
    };

    if (s->failed)
        return isl_error_set(err, ISL_EIO, "state",
                             "an earlier write to the delta store failed: "
                             "the store is left as it was");
    for (size_t i = 0; i < ISL_ARRAY_LEN(steps); i++) {
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(s->db, steps[i], -1, &st, NULL) != SQLITE_OK)
            return db_error(s, err, "updating the store");
        sqlite3_bind_text(st, 1, s->feed, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, s->instance, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, s->run, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return db_error(s, err, "updating the store");
    }
    if (sqlite3_exec(s->db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, err, "committing the store");
    return 0;
}

void isl_state_close(struct isl_state *s)
{
    if (!s)
        return;
    for (int i = 0; i < S_NSTMT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db) {
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    free(s->feed);
    free(s->instance);
    free(s->run);
    free(s);
}
