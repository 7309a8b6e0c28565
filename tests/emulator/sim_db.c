/*
 * sim_db.c: the SQLite side of isload-sim.
 *
 * Every emulated ServiceNow table is a real SQLite table whose columns are
 * TEXT (a few counters are INTEGER so that they sort as numbers), plus the
 * standard sys_ columns. A small dictionary (sim_tables, sim_dict) records
 * each table's kind and each column's label, length and reference, so that
 * columns added on first use survive a restart when --db names a file.
 * Staging tables carry the sys_import_set_row columns themselves, and
 * sys_import_set_row is a view over all of them (ServiceNow's "every
 * staging table extends sys_import_set_row").
 *
 * Callers hold sim->db_lock. Statements are prepared once and cached by
 * their SQL text (a hash table); callers that run one statement per row
 * keep a sim_stmt_ref to skip even that lookup. Columns that Table API
 * queries compare with = or IN get an index on first use.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Standard columns on every table. */
static const char *const sys_cols[] = {"sys_id",         "sys_created_on",
                                       "sys_created_by", "sys_updated_on",
                                       "sys_updated_by", "sys_mod_count"};

/* Columns every staging table inherits from sys_import_set_row. */
static const struct {
    const char *name, *label, *ref;
    bool is_int;
} row_cols[] = {
    {"sys_import_set", "Set", "sys_import_set", false},
    {"sys_import_row", "Row", NULL, true},
    {"sys_import_state", "State", NULL, false},
    {"sys_import_state_comment", "Comment", NULL, false},
    {"sys_target_table", "Target table", NULL, false},
    {"sys_target_sys_id", "Target record", NULL, false},
    {"sys_transform_map", "Transform map", "sys_transform_map", false},
    {"sys_row_error", "Row error", "sys_import_set_row_error", false},
    {"import_set_run", "Import set run", "sys_import_set_run", false},
    {"template_import_log", "Template import log", NULL, false},
    {"sys_class_name", "Class", NULL, false},
};

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS sim_tables(name TEXT PRIMARY KEY,"
    " kind INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sim_dict(tbl TEXT NOT NULL, col TEXT NOT"
    " NULL, label TEXT, max_length INTEGER, is_int INTEGER, reference TEXT,"
    " mandatory INTEGER, pos INTEGER, PRIMARY KEY(tbl, col));"
    "CREATE TABLE IF NOT EXISTS sim_counters(name TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sim_async(seq INTEGER PRIMARY KEY,"
    " set_id TEXT UNIQUE NOT NULL, staging TEXT NOT NULL, run_after TEXT,"
    " loaded_ms INTEGER NOT NULL, user TEXT);"
    "CREATE TABLE IF NOT EXISTS sim_row_result(row_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL, map_name TEXT, tbl TEXT, status TEXT,"
    " target_sys_id TEXT, comment TEXT, error TEXT,"
    " PRIMARY KEY(row_id, seq));";

void sim_db_lock(struct sim *s)
{
    pthread_mutex_lock(&s->db_lock);
}

void sim_db_unlock(struct sim *s)
{
    pthread_mutex_unlock(&s->db_lock);
}

int sim_db_exec(struct sim *s, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "isload-sim: sqlite: %s (in: %.200s)\n",
                err ? err : "?", sql);
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static void cache_clear(struct sim_stmt_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        sqlite3_finalize(c->stmt[i]);
        free(c->sql[i]);
    }
    c->n = 0;
    memset(c->slot, 0, sizeof(c->slot));
    c->generation++;
}

static uint64_t fnv1a(const char *p)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    return h;
}

static sqlite3_stmt *reuse(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

sqlite3_stmt *sim_db_stmt(struct sim *s, const char *sql)
{
    struct sim_stmt_cache *c = s->cache;
    sqlite3_stmt *st = NULL;
    uint64_t h = fnv1a(sql);
    size_t k;

    for (k = h & (SIM_STMT_SLOTS - 1); c->slot[k];
         k = (k + 1) & (SIM_STMT_SLOTS - 1)) {
        size_t i = c->slot[k] - 1;
        if (c->hash[i] == h && strcmp(c->sql[i], sql) == 0)
            return reuse(c->stmt[i]);
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "isload-sim: sqlite prepare: %s (in: %.300s)\n",
                sqlite3_errmsg(s->db), sql);
        return NULL;
    }
    if (c->n == SIM_STMT_CACHE_MAX) {
        cache_clear(c);
        k = h & (SIM_STMT_SLOTS - 1);
    }
    c->sql[c->n] = sim_xstrdup(sql);
    c->hash[c->n] = h;
    c->stmt[c->n] = st;
    c->slot[k] = (uint32_t)++c->n;
    return st;
}

sqlite3_stmt *sim_db_stmt_ref(struct sim *s, const char *sql,
                              struct sim_stmt_ref *ref)
{
    if (ref->stmt && ref->generation == s->cache->generation)
        return reuse(ref->stmt);
    ref->stmt = sim_db_stmt(s, sql);
    ref->generation = s->cache->generation;
    return ref->stmt;
}

void sim_db_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, idx);
}

/* --- dictionary in memory ---------------------------------------------- */

struct sim_table *sim_db_table(struct sim *s, const char *name)
{
    if (!name || strncmp(name, "sim_", 4) == 0)
        return NULL;
    for (size_t i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i].name, name) == 0)
            return &s->tables[i];
    return NULL;
}

const struct sim_col *sim_db_col(const struct sim_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

const struct sim_col *sim_db_col_by_label(const struct sim_table *t,
                                          const char *label)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].label && strcmp(t->cols[i].label, label) == 0)
            return &t->cols[i];
    return NULL;
}

static struct sim_table *mem_table_add(struct sim *s, const char *name,
                                       enum sim_kind kind)
{
    struct sim_table *t;

    /* struct sim_table pointers are handed out: the array never moves */
    if (!s->tables) {
        s->captables = 4096;
        s->tables = sim_xcalloc(s->captables, sizeof(*s->tables));
    }
    if (s->ntables == s->captables) {
        fprintf(stderr, "isload-sim: too many tables\n");
        return NULL;
    }
    t = &s->tables[s->ntables++];
    memset(t, 0, sizeof(*t));
    t->name = sim_xstrdup(name);
    t->kind = kind;
    return t;
}

static struct sim_col *mem_col_add(struct sim_table *t, const char *name)
{
    struct sim_col *c;

    if (t->ncols == t->capcols) {
        t->capcols = t->capcols ? t->capcols * 2 : 32;
        t->cols = sim_xrealloc(t->cols, t->capcols * sizeof(*t->cols));
    }
    c = &t->cols[t->ncols++];
    memset(c, 0, sizeof(*c));
    c->name = sim_xstrdup(name);
    return c;
}

/* UNVERIFIED: how ServiceNow labels a column created from a name. */
char *sim_db_label_from_name(const char *name)
{
    char *label;

    if (strncmp(name, "u_", 2) == 0)
        name += 2;
    label = sim_xstrdup(name);
    for (char *p = label; *p; p++)
        if (*p == '_')
            *p = ' ';
    if (label[0] >= 'a' && label[0] <= 'z')
        label[0] = (char)(label[0] - 'a' + 'A');
    return label;
}

static int dict_save(struct sim *s, const struct sim_table *t,
                     const struct sim_col *c)
{
    sqlite3_stmt *st = sim_db_stmt(
        s, "INSERT OR REPLACE INTO sim_dict(tbl, col, label, max_length,"
           " is_int, reference, mandatory, pos) VALUES (?1, ?2, ?3, ?4, ?5,"
           " ?6, ?7, ?8)");

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
    sim_db_bind_text(st, 3, c->label);
    sqlite3_bind_int(st, 4, c->max_length);
    sqlite3_bind_int(st, 5, c->is_int);
    sim_db_bind_text(st, 6, c->reference);
    sqlite3_bind_int(st, 7, c->mandatory);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)(c - t->cols));
    if (sqlite3_step(st) != SQLITE_DONE)
        return -1;
    sim_meta_column(s, t, c);
    return 0;
}

static const struct sim_col *add_column_ex(struct sim *s, struct sim_table *t,
                                           const char *name, const char *label,
                                           int max_length, bool is_int,
                                           const char *ref)
{
    struct sim_col *c;
    struct sim_str sql = {0};
    int rc = 0;

    for (size_t i = 0; i < t->ncols; i++) {
        c = &t->cols[i];
        if (strcmp(c->name, name) != 0)
            continue;
        bool changed = false;
        if (label && (!c->label || strcmp(c->label, label) != 0)) {
            free(c->label);
            c->label = sim_xstrdup(label);
            changed = true;
        }
        if (max_length && c->max_length != max_length) {
            c->max_length = max_length;
            changed = true;
        }
        if (ref && !c->reference) {
            c->reference = sim_xstrdup(ref);
            changed = true;
        }
        if (changed)
            dict_save(s, t, c);
        return c;
    }
    if (t->kind != SIM_KIND_VIEW) {
        bool is_sys = false;
        for (size_t i = 0; i < SIM_ARRAY_LEN(sys_cols); i++)
            if (strcmp(name, sys_cols[i]) == 0)
                is_sys = true;
        if (!is_sys) {
            sim_str_addf(&sql, "ALTER TABLE \"%s\" ADD COLUMN \"%s\" %s",
                         t->name, name, is_int ? "INTEGER" : "TEXT");
            rc = sim_db_exec(s, sql.p);
            sim_str_free(&sql);
            if (rc < 0)
                return NULL;
            sim_db_group_commit(s, true); /* the dictionary follows it */
        }
    }
    c = mem_col_add(t, name);
    c->label = label ? sim_xstrdup(label) : sim_db_label_from_name(name);
    c->max_length = max_length;
    c->is_int = is_int;
    c->reference = ref ? sim_xstrdup(ref) : NULL;
    if (dict_save(s, t, c) < 0)
        return NULL;
    return c;
}

const struct sim_col *sim_db_add_column(struct sim *s, struct sim_table *t,
                                        const char *name, const char *label,
                                        int max_length)
{
    if (!sim_valid_name(name))
        return NULL;
    return add_column_ex(s, t, name, label, max_length, false, NULL);
}

const struct sim_col *sim_db_add_reference(struct sim *s, struct sim_table *t,
                                           const char *name, const char *ref)
{
    if (!sim_valid_name(name))
        return NULL;
    return add_column_ex(s, t, name, NULL, 0, false, ref);
}

static void add_sys_cols(struct sim *s, struct sim_table *t)
{
    static const char *const labels[] = {"Sys ID",  "Created",    "Created by",
                                         "Updated", "Updated by", "Updates"};

    for (size_t i = 0; i < SIM_ARRAY_LEN(sys_cols); i++)
        add_column_ex(s, t, sys_cols[i], labels[i], 0, i == 5, NULL);
}

static void add_row_cols(struct sim *s, struct sim_table *t)
{
    for (size_t i = 0; i < SIM_ARRAY_LEN(row_cols); i++)
        add_column_ex(s, t, row_cols[i].name, row_cols[i].label, 0,
                      row_cols[i].is_int, row_cols[i].ref);
}

struct sim_table *sim_db_create_table(struct sim *s, const char *name,
                                      enum sim_kind kind)
{
    struct sim_table *t = sim_db_table(s, name);
    struct sim_str sql = {0};
    sqlite3_stmt *st;

    if (t)
        return t;
    if (strncmp(name, "sim_", 4) != 0 && !sim_valid_name(name))
        return NULL;
    for (size_t i = 0; i < s->ntables; i++) /* internal sim_ tables */
        if (strcmp(s->tables[i].name, name) == 0)
            return &s->tables[i];
    if (kind != SIM_KIND_VIEW) {
        sim_str_addf(&sql,
                     "CREATE TABLE IF NOT EXISTS \"%s\"(sys_id TEXT PRIMARY"
                     " KEY, sys_created_on TEXT, sys_created_by TEXT,"
                     " sys_updated_on TEXT, sys_updated_by TEXT,"
                     " sys_mod_count INTEGER NOT NULL DEFAULT 0)",
                     name);
        if (sim_db_exec(s, sql.p) < 0) {
            sim_str_free(&sql);
            return NULL;
        }
        sim_str_free(&sql);
    }
    st = sim_db_stmt(s, "INSERT OR REPLACE INTO sim_tables(name, kind)"
                        " VALUES (?1, ?2)");
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)kind);
    sqlite3_step(st);
    t = mem_table_add(s, name, kind);
    if (!t)
        return NULL;
    add_sys_cols(s, t);
    if (kind == SIM_KIND_STAGING || kind == SIM_KIND_VIEW ||
        strcmp(name, "sim_empty_row") == 0)
        add_row_cols(s, t);
    if (kind == SIM_KIND_STAGING) {
        sim_str_addf(&sql,
                     "CREATE INDEX IF NOT EXISTS \"sim_ix_%s_set\" ON"
                     " \"%s\"(sys_import_set, sys_import_row)",
                     name, name);
        sim_db_exec(s, sql.p);
        sim_str_free(&sql);
    }
    return t;
}

int sim_db_rebuild_row_view(struct sim *s)
{
    struct sim_str cols = {0}, sql = {0};
    int rc;

    for (size_t i = 0; i < SIM_ARRAY_LEN(sys_cols); i++)
        sim_str_addf(&cols, "%s\"%s\"", i ? ", " : "", sys_cols[i]);
    for (size_t i = 0; i < SIM_ARRAY_LEN(row_cols); i++)
        sim_str_addf(&cols, ", \"%s\"", row_cols[i].name);
    sim_str_add(&sql, "DROP VIEW IF EXISTS sys_import_set_row;"
                      " CREATE VIEW sys_import_set_row AS ");
    sim_str_addf(&sql, "SELECT %s FROM sim_empty_row", cols.p);
    for (size_t i = 0; i < s->ntables; i++)
        if (s->tables[i].kind == SIM_KIND_STAGING)
            sim_str_addf(&sql, " UNION ALL SELECT %s FROM \"%s\"", cols.p,
                         s->tables[i].name);
    rc = sim_db_exec(s, sql.p);
    sim_str_free(&cols);
    sim_str_free(&sql);
    return rc;
}

struct sim_table *sim_db_physical(struct sim *s, struct sim_table *t,
                                  const char *sys_id)
{
    sqlite3_stmt *st;
    struct sim_table *pt = NULL;

    if (t->kind != SIM_KIND_VIEW)
        return t;
    st = sim_db_stmt(s, "SELECT sys_class_name FROM sys_import_set_row"
                        " WHERE sys_id = ?1");
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        pt = sim_db_table(s, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return pt;
}

bool sim_db_inherited_column(const struct sim_table *t, const char *name)
{
    if (t->kind != SIM_KIND_STAGING)
        return false;
    for (size_t i = 0; i < SIM_ARRAY_LEN(sys_cols); i++)
        if (strcmp(name, sys_cols[i]) == 0)
            return true;
    for (size_t i = 0; i < SIM_ARRAY_LEN(row_cols); i++)
        if (strcmp(name, row_cols[i].name) == 0)
            return true;
    return false;
}

static void want_index(struct sim *s, struct sim_table *t, const char *col,
                       bool nocase)
{
    struct sim_col *c = (struct sim_col *)sim_db_col(t, col);
    struct sim_str sql = {0};
    char key[2 * SIM_NAME_MAX + 8];

    if (!c || c->indexed[nocase] || strcmp(col, "sys_id") == 0)
        return;
    /* the name must not collide for another (table, column, collation) */
    snprintf(key, sizeof(key), "%s\n%s\n%d", t->name, col, (int)nocase);
    sim_str_addf(&sql,
                 "CREATE INDEX IF NOT EXISTS \"sim_qx_%016llx\" ON"
                 " \"%s\"(\"%s\"%s)",
                 (unsigned long long)fnv1a(key), t->name, col,
                 nocase ? " COLLATE NOCASE" : "");
    if (sim_db_exec(s, sql.p) == 0) {
        c->indexed[nocase] = true;
        sim_db_group_commit(s, true);
    }
    sim_str_free(&sql);
}

void sim_db_want_index(struct sim *s, struct sim_table *t, const char *col,
                       bool nocase)
{
    if (t->kind != SIM_KIND_VIEW) {
        want_index(s, t, col, nocase);
        return;
    }
    for (size_t i = 0; i < s->ntables; i++)
        if (s->tables[i].kind == SIM_KIND_STAGING)
            want_index(s, &s->tables[i], col, nocase);
}

const char *sim_db_display_field(const struct sim_table *t)
{
    static const char *const candidates[] = {"number", "name", "u_name"};

    if (t->conf && t->conf->display_field &&
        sim_db_col(t, t->conf->display_field))
        return t->conf->display_field;
    if (strcmp(t->name, "sys_transform_map") == 0)
        return "name";
    for (size_t i = 0; i < SIM_ARRAY_LEN(candidates); i++)
        if (sim_db_col(t, candidates[i]))
            return candidates[i];
    return "sys_created_on";
}

int64_t sim_db_next_counter(struct sim *s, const char *name, int64_t start)
{
    sqlite3_stmt *st =
        sim_db_stmt(s, "INSERT INTO sim_counters(name, value) VALUES (?1, ?2)"
                       " ON CONFLICT(name) DO UPDATE SET value = value + 1"
                       " RETURNING value");
    int64_t v = start;

    if (!st)
        return start;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, start);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

/* --- records ------------------------------------------------------------ */

json_t *sim_db_get_record(struct sim *s, const struct sim_table *t,
                          const char *sys_id)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    json_t *rec = NULL;

    sim_str_addf(&sql, "SELECT * FROM \"%s\" WHERE sys_id = ?1", t->name);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        rec = json_object();
        for (int i = 0; i < n; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            json_object_set_new(rec, sqlite3_column_name(st, i),
                                json_string(v ? v : ""));
        }
    }
    sqlite3_reset(st);
    return rec;
}

bool sim_db_valid_sys_id(const char *v)
{
    if (!v || strlen(v) != SIM_SYS_ID_LEN)
        return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

bool sim_db_settable(const struct sim_col *c)
{
    /* system-maintained columns are not writable through the API */
    for (size_t i = 0; i < SIM_ARRAY_LEN(sys_cols); i++)
        if (strcmp(c->name, sys_cols[i]) == 0)
            return false;
    return strcmp(c->name, "sys_class_name") != 0;
}

/* Copies v truncated to the column length into a malloc'd string. */
static char *fit(const struct sim_col *c, const char *v)
{
    if (c->max_length > 0)
        return sim_xstrndup(v, sim_utf8_prefix(v, (size_t)c->max_length));
    return sim_xstrdup(v);
}

int sim_db_insert_record(struct sim *s, const struct sim_table *t,
                         json_t *fields, const char *user,
                         char out_sys_id[SIM_SYS_ID_LEN + 1])
{
    struct sim_str sql = {0}, qs = {0};
    const struct sim_col **cols = NULL;
    char **vals = NULL;
    size_t n = 0;
    char now[20];
    const char *key;
    json_t *v;
    sqlite3_stmt *st;
    int rc = -1;

    v = json_object_get(fields, "sys_id");
    if (json_is_string(v) && sim_db_valid_sys_id(json_string_value(v)))
        memcpy(out_sys_id, json_string_value(v), SIM_SYS_ID_LEN + 1);
    else
        sim_sys_id(out_sys_id);
    sim_now_str(now);
    cols = sim_xcalloc(json_object_size(fields) + 1, sizeof(*cols));
    vals = sim_xcalloc(json_object_size(fields) + 1, sizeof(*vals));
    sim_str_addf(&sql,
                 "INSERT INTO \"%s\"(sys_id, sys_created_on,"
                 " sys_created_by, sys_updated_on, sys_updated_by,"
                 " sys_mod_count",
                 t->name);
    sim_str_add(&qs, "?1, ?2, ?3, ?2, ?3, 0");
    json_object_foreach(fields, key, v)
    {
        const struct sim_col *c = sim_db_col(t, key);
        if (!c || !sim_db_settable(c))
            continue; /* unknown fields are silently ignored */
        char *text = sim_json_to_string(v);
        cols[n] = c;
        vals[n] = fit(c, text);
        free(text);
        n++;
        sim_str_addf(&sql, ", \"%s\"", c->name);
        sim_str_addf(&qs, ", ?%zu", n + 3);
    }
    if (t->kind == SIM_KIND_STAGING) {
        sim_str_add(&sql, ", sys_class_name");
        sim_str_addf(&qs, ", '%s'", t->name);
    }
    sim_str_addf(&sql, ") VALUES (%s)", qs.p);
    st = sim_db_stmt(s, sql.p);
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, out_sys_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sim_db_bind_text(st, 3, user);
    for (size_t i = 0; i < n; i++)
        sim_db_bind_text(st, (int)i + 4, vals[i]);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc < 0)
        fprintf(stderr, "isload-sim: insert into %s: %s\n", t->name,
                sqlite3_errmsg(s->db));
    sqlite3_reset(st);
out:
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    free(cols);
    sim_str_free(&sql);
    sim_str_free(&qs);
    return rc;
}

int sim_db_update_record(struct sim *s, const struct sim_table *t,
                         const char *sys_id, json_t *fields, const char *user)
{
    struct sim_str sql = {0};
    char **vals = NULL;
    size_t n = 0;
    char now[20];
    const char *key;
    json_t *v;
    sqlite3_stmt *st;
    int rc = -1;

    sim_now_str(now);
    vals = sim_xcalloc(json_object_size(fields) + 1, sizeof(*vals));
    sim_str_addf(&sql,
                 "UPDATE \"%s\" SET sys_updated_on = ?1,"
                 " sys_updated_by = ?2,"
                 " sys_mod_count = sys_mod_count + 1",
                 t->name);
    json_object_foreach(fields, key, v)
    {
        const struct sim_col *c = sim_db_col(t, key);
        if (!c || !sim_db_settable(c))
            continue;
        char *text = sim_json_to_string(v);
        vals[n++] = fit(c, text);
        free(text);
        sim_str_addf(&sql, ", \"%s\" = ?%zu", c->name, n + 3);
    }
    sim_str_add(&sql, " WHERE sys_id = ?3");
    st = sim_db_stmt(s, sql.p);
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
    sim_db_bind_text(st, 2, user);
    sqlite3_bind_text(st, 3, sys_id, -1, SQLITE_STATIC);
    for (size_t i = 0; i < n; i++)
        sim_db_bind_text(st, (int)i + 4, vals[i]);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = sqlite3_changes(s->db) > 0 ? 1 : 0;
    sqlite3_reset(st);
out:
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
    sim_str_free(&sql);
    return rc;
}

int sim_db_delete_record(struct sim *s, const struct sim_table *t,
                         const char *sys_id)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    int rc = -1;

    sim_str_addf(&sql, "DELETE FROM \"%s\" WHERE sys_id = ?1", t->name);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, sys_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = sqlite3_changes(s->db) > 0 ? 1 : 0;
    sqlite3_reset(st);
    return rc;
}

/* --- open, load, configure ---------------------------------------------- */

static int load_dictionary(struct sim *s)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT name, kind FROM sim_tables"
                           " ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        if (!mem_table_add(s, (const char *)sqlite3_column_text(st, 0),
                           (enum sim_kind)sqlite3_column_int(st, 1)))
            rc = -1;
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT tbl, col, label, max_length, is_int,"
                           " reference, mandatory FROM sim_dict"
                           " ORDER BY tbl, pos",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *tn = (const char *)sqlite3_column_text(st, 0);
        struct sim_table *t = NULL;
        for (size_t i = 0; i < s->ntables; i++)
            if (strcmp(s->tables[i].name, tn) == 0)
                t = &s->tables[i];
        if (!t) {
            rc = -1;
            break;
        }
        struct sim_col *c =
            mem_col_add(t, (const char *)sqlite3_column_text(st, 1));
        const char *label = (const char *)sqlite3_column_text(st, 2);
        const char *ref = (const char *)sqlite3_column_text(st, 5);
        c->label = label ? sim_xstrdup(label) : NULL;
        c->max_length = sqlite3_column_int(st, 3);
        c->is_int = sqlite3_column_int(st, 4) != 0;
        c->reference = ref ? sim_xstrdup(ref) : NULL;
        c->mandatory = sqlite3_column_int(st, 6) != 0;
    }
    sqlite3_finalize(st);
    return rc;
}

static void add_cols(struct sim *s, struct sim_table *t,
                     const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        sim_db_add_column(s, t, names[i], NULL, 0);
}

static int create_system_tables(struct sim *s)
{
    static const char *const iset[] = {"number",
                                       "state",
                                       "mode",
                                       "table_name",
                                       "short_description",
                                       "data_source",
                                       "load_completed",
                                       "load_run_time",
                                       NULL};
    static const char *const run[] = {"state", "completed", NULL};
    static const char *const run_counts[] = {"total",    "inserts", "updates",
                                             "ignored",  "skipped", "errors",
                                             "processed"};
    static const char *const rowerr[] = {"error_code", "error_message", NULL};
    struct sim_table *t;

    if (!sim_db_create_table(s, "sim_empty_row", SIM_KIND_SYSTEM))
        return -1;
    if (!(t = sim_db_create_table(s, "sys_import_set", SIM_KIND_SYSTEM)))
        return -1;
    add_cols(s, t, iset);
    add_column_ex(s, t, "multi_import_set", "Multi import set", 0, false,
                  "sys_multi_import_set");
    if (!sim_db_create_table(s, "sys_multi_import_set", SIM_KIND_SYSTEM))
        return -1;
    if (!(t = sim_db_create_table(s, "sys_import_set_run", SIM_KIND_SYSTEM)))
        return -1;
    add_column_ex(s, t, "set", "Set", 0, false, "sys_import_set");
    add_cols(s, t, run);
    for (size_t i = 0; i < SIM_ARRAY_LEN(run_counts); i++)
        add_column_ex(s, t, run_counts[i], NULL, 0, true, NULL);
    if (!(t = sim_db_create_table(s, "sys_import_set_row_error",
                                  SIM_KIND_SYSTEM)))
        return -1;
    add_column_ex(s, t, "row", "Row", 0, false, "sys_import_set_row");
    add_column_ex(s, t, "import_set", "Import set", 0, false, "sys_import_set");
    add_cols(s, t, rowerr);
    if (sim_meta_create_tables(s) < 0)
        return -1;
    if (!sim_db_create_table(s, "sys_import_set_row", SIM_KIND_VIEW))
        return -1;
    if (sim_db_exec(s, "CREATE INDEX IF NOT EXISTS sim_ix_run_set ON"
                       " sys_import_set_run(\"set\")") < 0)
        return -1;
    return sim_db_exec(s, "CREATE INDEX IF NOT EXISTS sim_ix_iset_table ON"
                          " sys_import_set(table_name, state, mode)");
}

int sim_db_open(struct sim *s)
{
    const char *path = s->cfg->db_path ? s->cfg->db_path : ":memory:";
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

    s->cache = sim_xcalloc(1, sizeof(*s->cache));
    /* no memory statistics: they take a global mutex on every malloc */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (sim_mem_install() < 0) {
        fprintf(stderr, "isload-sim: cannot set SQLite's allocator\n");
        return -1;
    }
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "isload-sim: cannot open database %s: %s\n", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* secure_delete (on in Debian's build) zeroes freed cell space: work
     * nobody can observe here */
    if (sim_db_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       " PRAGMA temp_store=MEMORY; PRAGMA secure_delete=OFF;"
                       " PRAGMA cache_size=-65536") < 0)
        return -1;
    if (sim_db_exec(s, schema) < 0)
        return -1;
    if (load_dictionary(s) < 0) {
        fprintf(stderr, "isload-sim: %s: damaged dictionary\n", path);
        return -1;
    }
    return 0;
}

void sim_db_close(struct sim *s)
{
    if (s->cache)
        cache_clear(s->cache);
    free(s->cache);
    s->cache = NULL;
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
    sim_mem_release();
    for (size_t i = 0; i < s->ntables; i++) {
        struct sim_table *t = &s->tables[i];
        for (size_t j = 0; j < t->ncols; j++) {
            free(t->cols[j].name);
            free(t->cols[j].label);
            free(t->cols[j].reference);
        }
        free(t->cols);
        free(t->name);
    }
    free(s->tables);
    s->tables = NULL;
    s->ntables = s->captables = 0;
}

static int seed_records(struct sim *s, struct sim_table *t, json_t *records)
{
    json_t *rec;
    size_t i;
    char id[SIM_SYS_ID_LEN + 1];

    json_array_foreach(records, i, rec)
    {
        json_t *sid = json_object_get(rec, "sys_id");
        if (json_is_string(sid)) {
            json_t *old = sim_db_get_record(s, t, json_string_value(sid));
            if (old) {
                json_decref(old);
                continue;
            }
        }
        if (sim_db_insert_record(s, t, rec, "system", id) < 0)
            return -1;
    }
    return 0;
}

static int coalesce_index(struct sim *s, const struct sim_tmap *m)
{
    struct sim_str sql = {0}, name = {0};
    size_t n = 0;
    int rc;

    sim_str_addf(&name, "sim_cx_%s", m->target_table);
    for (size_t i = 0; i < m->nfm; i++)
        if (m->fm[i].coalesce)
            sim_str_addf(&name, "__%s", m->fm[i].target);
    sim_str_add(&name, m->coalesce_case_sensitive ? "_cs" : "_ci");
    sim_str_addf(&sql, "CREATE INDEX IF NOT EXISTS \"%s\" ON \"%s\"(", name.p,
                 m->target_table);
    for (size_t i = 0; i < m->nfm; i++) {
        if (!m->fm[i].coalesce)
            continue;
        sim_str_addf(&sql, "%s\"%s\"%s", n++ ? ", " : "", m->fm[i].target,
                     m->coalesce_case_sensitive ? "" : " COLLATE NOCASE");
    }
    sim_str_add(&sql, ")");
    rc = n ? sim_db_exec(s, sql.p) : 0;
    sim_str_free(&sql);
    sim_str_free(&name);
    return rc;
}

int sim_db_apply_config(struct sim *s)
{
    struct sim_config *cfg = s->cfg;

    if (sim_db_begin(s) < 0)
        return -1;
    if (create_system_tables(s) < 0)
        goto fail;
    for (size_t i = 0; i < cfg->ntables; i++) {
        const struct sim_table_conf *tc = &cfg->tables[i];
        bool existed = sim_db_table(s, tc->name) != NULL;
        struct sim_table *t = sim_db_create_table(
            s, tc->name, tc->staging ? SIM_KIND_STAGING : SIM_KIND_DATA);
        if (!t)
            goto fail;
        if (t->kind == SIM_KIND_META && !tc->staging && !tc->ncols &&
            !tc->records && !tc->has_im && !tc->has_acl[SIM_ACL_CREATE] &&
            !tc->has_acl[SIM_ACL_WRITE] && !tc->has_acl[SIM_ACL_DELETE]) {
            t->conf = tc; /* a generated table: only its read ACL and label */
            continue;
        }
        if (t->kind == SIM_KIND_SYSTEM || t->kind == SIM_KIND_VIEW ||
            t->kind == SIM_KIND_META) {
            fprintf(stderr, "isload-sim: table %s is built in%s\n", tc->name,
                    t->kind == SIM_KIND_META
                        ? " (only its label and acl.read can be set)"
                        : "");
            goto fail;
        }
        t->conf = tc;
        for (size_t j = 0; j < tc->ncols; j++) {
            const struct sim_column_conf *cc = &tc->cols[j];
            int len = cc->max_length;
            struct sim_col *c;
            if (!len && tc->staging)
                len = cfg->default_column_length;
            c = (struct sim_col *)add_column_ex(s, t, cc->name, cc->label, len,
                                                false, cc->reference);
            if (!c)
                goto fail;
            if (c->mandatory != cc->mandatory) {
                c->mandatory = cc->mandatory;
                dict_save(s, t, c);
            }
        }
        if (!existed && tc->records && seed_records(s, t, tc->records) < 0)
            goto fail;
    }
    for (size_t i = 0; i < cfg->nmaps; i++)
        if (coalesce_index(s, &cfg->maps[i]) < 0)
            goto fail;
    if (sim_db_rebuild_row_view(s) < 0 || sim_meta_sync(s) < 0)
        goto fail;
    if (sim_db_commit(s) < 0)
        goto fail;
    sim_db_group_commit(s, true);
    return 0;
fail:
    sim_db_rollback(s);
    return -1;
}
