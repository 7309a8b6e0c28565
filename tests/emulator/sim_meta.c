/*
 * sim_meta.c: the read-only tables that describe the emulator itself, the
 * way an instance's schema and import setup describe it:
 *
 *   sys_db_object             one record per table (staging tables have
 *                             super_class = the sys_import_set_row record)
 *   sys_dictionary            one record per column, plus one per table
 *                             with an empty element (the "collection")
 *   sys_transform_map         the configured transform maps
 *   sys_transform_entry       their field maps
 *   sys_rest_insert_multiple  the staging tables' insert_multiple settings
 *
 * They are real tables, rewritten from the config and the in-memory table
 * dictionary at start-up (sim_meta_sync), and sys_dictionary follows every
 * column added or changed later (sim_meta_column), so a preflight check
 * reading them through the Table API sees the emulator's actual state.
 * Records other than transform maps have sys_ids derived from what they
 * describe, so they keep their sys_id across restarts with --db.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The generated tables, with their columns; a non-NULL ref makes the
 * column a reference to that table. */
static const struct {
    const char *name;
    const char *cols[12];
    const char *ref_col, *ref_table;
} meta_tables[] = {
    {"sys_db_object",
     {"name", "label", "super_class"},
     "super_class",
     "sys_db_object"},
    {"sys_dictionary",
     {"name", "element", "column_label", "internal_type", "reference",
      "max_length", "mandatory", "active"},
     NULL,
     NULL},
    {"sys_transform_map",
     {"name", "source_table", "target_table", "active", "order",
      "run_business_rules", "copy_empty_fields", "enforce_mandatory_fields",
      "create_new_record_on_empty_coalesce_fields", "coalesce_case_sensitive",
      "coalesce_empty_fields"},
     NULL,
     NULL},
    {"sys_transform_entry",
     {"map", "source_table", "source_field", "target_table", "target_field",
      "coalesce", "coalesce_case_sensitive", "coalesce_empty_fields"},
     "map",
     "sys_transform_map"},
    {"sys_rest_insert_multiple",
     {"source_table", "transform_mode", "column_mapping"},
     NULL,
     NULL},
};

/* Labels of the built-in tables (UNVERIFIED, cosmetic). */
static const char *const builtin_labels[][2] = {
    {"sys_import_set", "Import Set"},
    {"sys_import_set_row", "Import Set Row"},
    {"sys_multi_import_set", "Multi Import Set"},
    {"sys_import_set_run", "Transform History"},
    {"sys_import_set_row_error", "Import Set Row Error"},
    {"sys_transform_map", "Table Transform Map"},
    {"sys_transform_entry", "Field Map"},
    {"sys_db_object", "Table"},
    {"sys_dictionary", "Dictionary Entry"},
    {"sys_rest_insert_multiple", "REST Insert Multiple"},
};

static const char *tf(bool b)
{
    return b ? "true" : "false";
}

/* A stable sys_id for the record of `kind` describing (a, b): two 64-bit
 * FNV-style hashes with different multipliers, mixed, in hex. */
static void meta_id(char out[SIM_SYS_ID_LEN + 1], const char *kind,
                    const char *a, const char *b)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    const uint64_t mul[2] = {0x100000001b3ULL, 0x9E3779B97F4A7C15ULL};
    const char *parts[3] = {kind, a, b};

    for (int p = 0; p < 3; p++) {
        /* the terminating NUL is hashed too: ("ab","") != ("a","b") */
        const unsigned char *q = (const unsigned char *)parts[p];
        do {
            for (int k = 0; k < 2; k++)
                h[k] = (h[k] ^ *q) * mul[k];
        } while (*q++);
    }
    for (int k = 0; k < 2; k++) {
        uint64_t z = h[k];
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        for (int i = 0; i < 16; i++)
            out[k * 16 + i] = hex[(z >> (60 - 4 * i)) & 15];
    }
    out[SIM_SYS_ID_LEN] = '\0';
}

/* Inserts rec as record id of table, or updates the fields that differ.
 * Takes the reference to rec. 0 or -1. */
static int meta_put(struct sim *s, const char *table, const char *id,
                    json_t *rec)
{
    struct sim_table *t = sim_db_table(s, table);
    json_t *old = t ? sim_db_get_record(s, t, id) : NULL;
    json_t *changed = json_object();
    char out[SIM_SYS_ID_LEN + 1];
    const char *key;
    json_t *v;
    int rc = 0;

    if (!t) {
        rc = -1;
    } else if (!old) {
        json_object_set_new(rec, "sys_id", json_string(id));
        rc = sim_db_insert_record(s, t, rec, "system", out);
    } else {
        json_object_foreach(rec, key, v)
        {
            const char *was = json_string_value(json_object_get(old, key));
            if (!was || strcmp(was, json_string_value(v)) != 0)
                json_object_set(changed, key, v);
        }
        if (json_object_size(changed))
            rc = sim_db_update_record(s, t, id, changed, "system") < 0 ? -1 : 0;
    }
    json_decref(changed);
    json_decref(old);
    json_decref(rec);
    return rc;
}

/* Deletes the records of table whose sys_id is not a key of keep. */
static int meta_prune(struct sim *s, const char *table, json_t *keep)
{
    struct sim_str sql = {0};
    sqlite3_stmt *st;
    json_t *gone = json_array();
    const struct sim_table *t = sim_db_table(s, table);
    json_t *id;
    size_t i;
    int rc = 0;

    sim_str_addf(&sql, "SELECT sys_id FROM \"%s\"", table);
    st = sim_db_stmt(s, sql.p);
    sim_str_free(&sql);
    if (!st || !t) {
        json_decref(gone);
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (v && !json_object_get(keep, v))
            json_array_append_new(gone, json_string(v));
    }
    sqlite3_reset(st);
    json_array_foreach(gone, i, id)
    {
        if (sim_db_delete_record(s, t, json_string_value(id)) < 0)
            rc = -1;
    }
    json_decref(gone);
    return rc;
}

static char *table_label(const struct sim_table *t)
{
    if (t->conf && t->conf->label)
        return sim_xstrdup(t->conf->label);
    for (size_t i = 0; i < SIM_ARRAY_LEN(builtin_labels); i++)
        if (strcmp(t->name, builtin_labels[i][0]) == 0)
            return sim_xstrdup(builtin_labels[i][1]);
    return sim_db_label_from_name(t->name);
}

static const char *internal_type(const struct sim_col *c)
{
    if (c->reference)
        return "reference";
    if (strcmp(c->name, "sys_id") == 0)
        return "GUID";
    if (strcmp(c->name, "sys_created_on") == 0 ||
        strcmp(c->name, "sys_updated_on") == 0)
        return "glide_date_time";
    return c->is_int ? "integer" : "string";
}

/* True for tables and columns sys_dictionary lists under t. */
static bool listed(const struct sim_table *t, const struct sim_col *c)
{
    if (strncmp(t->name, "sim_", 4) == 0)
        return false;
    return !c || !sim_db_inherited_column(t, c->name);
}

static int put_column(struct sim *s, const struct sim_table *t,
                      const struct sim_col *c, json_t *keep)
{
    char id[SIM_SYS_ID_LEN + 1], len[16];

    meta_id(id, "sys_dictionary", t->name, c->name);
    if (keep)
        json_object_set_new(keep, id, json_true());
    snprintf(len, sizeof(len), "%d", c->max_length);
    return meta_put(s, "sys_dictionary", id,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                              "name", t->name, "element", c->name,
                              "column_label", c->label ? c->label : c->name,
                              "internal_type", internal_type(c), "reference",
                              c->reference ? c->reference : "", "max_length",
                              len, "mandatory", tf(c->mandatory), "active",
                              "true"));
}

void sim_meta_column(struct sim *s, const struct sim_table *t,
                     const struct sim_col *c)
{
    if (s->meta_ready && listed(t, c) && put_column(s, t, c, NULL) < 0)
        fprintf(stderr, "isload-sim: cannot record %s.%s in sys_dictionary\n",
                t->name, c->name);
}

/* sys_db_object record, collection entry and columns of one table. */
static int put_table(struct sim *s, const struct sim_table *t, json_t *keep_db,
                     json_t *keep_dict)
{
    char id[SIM_SYS_ID_LEN + 1], super[SIM_SYS_ID_LEN + 1] = "";
    char *label = table_label(t);
    int rc;

    meta_id(id, "sys_db_object", t->name, "");
    json_object_set_new(keep_db, id, json_true());
    if (t->kind == SIM_KIND_STAGING)
        meta_id(super, "sys_db_object", "sys_import_set_row", "");
    rc = meta_put(s, "sys_db_object", id,
                  json_pack("{s:s, s:s, s:s}", "name", t->name, "label", label,
                            "super_class", super));
    meta_id(id, "sys_dictionary", t->name, "");
    json_object_set_new(keep_dict, id, json_true());
    if (meta_put(s, "sys_dictionary", id,
                 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
                           t->name, "element", "", "column_label", label,
                           "internal_type", "collection", "reference", "",
                           "max_length", "40", "mandatory", "false", "active",
                           "true")) < 0)
        rc = -1;
    for (size_t i = 0; i < t->ncols; i++)
        if (listed(t, &t->cols[i]) &&
            put_column(s, t, &t->cols[i], keep_dict) < 0)
            rc = -1;
    free(label);
    return rc;
}

static const char *mandatory_word(enum sim_mandatory m)
{
    return m == SIM_MAND_NO       ? "no"
           : m == SIM_MAND_MAPPED ? "only_mapped"
                                  : "all";
}

/* Writes map m's sys_transform_map record (found by name, so its sys_id
 * survives restarts) and fills m->sys_id. */
static int put_map(struct sim *s, struct sim_tmap *m)
{
    struct sim_table *t = sim_db_table(s, "sys_transform_map");
    sqlite3_stmt *st =
        sim_db_stmt(s, "SELECT sys_id FROM sys_transform_map WHERE name = ?1"
                       " ORDER BY rowid LIMIT 1");
    char order[16];
    json_t *rec;

    if (!st || !t)
        return -1;
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    m->sys_id[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(m->sys_id, sizeof(m->sys_id), "%s",
                 (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    snprintf(order, sizeof(order), "%d", m->order);
    rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                    "name", m->name, "source_table", m->source_table,
                    "target_table", m->target_table, "active", tf(m->active),
                    "order", order, "run_business_rules", "true",
                    "copy_empty_fields", tf(m->copy_empty_fields),
                    "enforce_mandatory_fields",
                    mandatory_word(m->enforce_mandatory),
                    "create_new_record_on_empty_coalesce_fields",
                    tf(m->create_on_empty_coalesce), "coalesce_case_sensitive",
                    tf(m->coalesce_case_sensitive), "coalesce_empty_fields",
                    tf(m->coalesce_empty_fields));
    if (!m->sys_id[0]) {
        int rc = sim_db_insert_record(s, t, rec, "system", m->sys_id);
        json_decref(rec);
        return rc;
    }
    return meta_put(s, "sys_transform_map", m->sys_id, rec);
}

/* Maps left in a --db file by an earlier config do not run: inactive. */
static int retire_old_maps(struct sim *s)
{
    sqlite3_stmt *st = sim_db_stmt(s, "SELECT sys_id FROM sys_transform_map");
    json_t *old = json_array(), *id;
    size_t i;
    int rc = 0;

    if (!st) {
        json_decref(old);
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        bool current = false;
        for (size_t k = 0; v && k < s->cfg->nmaps && !current; k++)
            current = strcmp(s->cfg->maps[k].sys_id, v) == 0;
        if (v && !current)
            json_array_append_new(old, json_string(v));
    }
    sqlite3_reset(st);
    json_array_foreach(old, i, id)
    {
        if (meta_put(s, "sys_transform_map", json_string_value(id),
                     json_pack("{s:s}", "active", "false")) < 0)
            rc = -1;
    }
    json_decref(old);
    return rc;
}

static int put_entries(struct sim *s, const struct sim_tmap *m, json_t *keep)
{
    char id[SIM_SYS_ID_LEN + 1];
    struct sim_str key = {0};
    int rc = 0;

    for (size_t i = 0; i < m->nfm; i++) {
        const struct sim_field_map *f = &m->fm[i];
        key.len = 0;
        sim_str_addf(&key, "%s.%s", f->source, f->target);
        meta_id(id, "sys_transform_entry", m->sys_id, key.p);
        json_object_set_new(keep, id, json_true());
        if (meta_put(
                s, "sys_transform_entry", id,
                json_pack(
                    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "map",
                    m->sys_id, "source_table", m->source_table, "source_field",
                    f->source, "target_table", m->target_table, "target_field",
                    f->target, "coalesce", tf(f->coalesce),
                    "coalesce_case_sensitive", tf(m->coalesce_case_sensitive),
                    "coalesce_empty_fields", tf(m->coalesce_empty_fields))) < 0)
            rc = -1;
    }
    sim_str_free(&key);
    return rc;
}

static int put_insert_multiple(struct sim *s, json_t *keep)
{
    char id[SIM_SYS_ID_LEN + 1];
    int rc = 0;

    for (size_t i = 0; i < s->cfg->ntables; i++) {
        const struct sim_table_conf *tc = &s->cfg->tables[i];
        if (!tc->staging || !tc->has_im)
            continue;
        meta_id(id, "sys_rest_insert_multiple", tc->name, "");
        json_object_set_new(keep, id, json_true());
        if (meta_put(s, "sys_rest_insert_multiple", id,
                     json_pack("{s:s, s:s, s:s}", "source_table", tc->name,
                               "transform_mode",
                               tc->im_sync ? "synchronous" : "asynchronous",
                               "column_mapping",
                               tc->im_labels ? "label" : "column_name")) < 0)
            rc = -1;
    }
    return rc;
}

int sim_meta_create_tables(struct sim *s)
{
    for (size_t i = 0; i < SIM_ARRAY_LEN(meta_tables); i++) {
        struct sim_table *t =
            sim_db_create_table(s, meta_tables[i].name, SIM_KIND_META);
        sqlite3_stmt *st;
        if (!t)
            return -1;
        if (t->kind != SIM_KIND_META) { /* a --db file from an older build */
            t->kind = SIM_KIND_META;
            st = sim_db_stmt(s, "UPDATE sim_tables SET kind = ?2"
                                " WHERE name = ?1");
            if (!st)
                return -1;
            sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, (int)SIM_KIND_META);
            if (sqlite3_step(st) != SQLITE_DONE)
                return -1;
        }
        for (size_t j = 0; meta_tables[i].cols[j]; j++) {
            const char *col = meta_tables[i].cols[j];
            const char *ref = meta_tables[i].ref_col &&
                                      strcmp(col, meta_tables[i].ref_col) == 0
                                  ? meta_tables[i].ref_table
                                  : NULL;
            if (!(ref ? sim_db_add_reference(s, t, col, ref)
                      : sim_db_add_column(s, t, col, NULL, 0)))
                return -1;
        }
    }
    return 0;
}

int sim_meta_sync(struct sim *s)
{
    json_t *keep_db = json_object(), *keep_dict = json_object();
    json_t *keep_entry = json_object(), *keep_im = json_object();
    int rc = 0;

    for (size_t i = 0; i < s->ntables; i++)
        if (listed(&s->tables[i], NULL) &&
            put_table(s, &s->tables[i], keep_db, keep_dict) < 0)
            rc = -1;
    for (size_t i = 0; i < s->cfg->nmaps; i++)
        if (put_map(s, &s->cfg->maps[i]) < 0 ||
            put_entries(s, &s->cfg->maps[i], keep_entry) < 0)
            rc = -1;
    if (retire_old_maps(s) < 0 || put_insert_multiple(s, keep_im) < 0 ||
        meta_prune(s, "sys_db_object", keep_db) < 0 ||
        meta_prune(s, "sys_dictionary", keep_dict) < 0 ||
        meta_prune(s, "sys_transform_entry", keep_entry) < 0 ||
        meta_prune(s, "sys_rest_insert_multiple", keep_im) < 0)
        rc = -1;
    json_decref(keep_db);
    json_decref(keep_dict);
    json_decref(keep_entry);
    json_decref(keep_im);
    if (rc == 0)
        s->meta_ready = true;
    return rc;
}
