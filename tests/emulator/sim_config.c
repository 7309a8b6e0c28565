/*
 * sim_config.c: isload-sim configuration: defaults, the JSON config file
 * (users, OAuth clients, tables, transform maps, options, faults), loader
 * feed definitions (--feed) and the --user / --oauth-client / --faults
 * command-line shorthands. The result is a read-only struct sim_config.
 * The file format is described in docs/emulator.md.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARR_PUSH(arr, n, type)                                                 \
    ((arr) = sim_xrealloc((arr), ((n) + 1) * sizeof(type)),                    \
     memset(&(arr)[(n)], 0, sizeof(type)), &(arr)[(n)++])

static const char *const fault_names[SIM_FAULT_COUNT] = {
    [SIM_FAULT_NONE] = "none",
    [SIM_FAULT_429] = "429",
    [SIM_FAULT_QUEUE] = "queue",
    [SIM_FAULT_503] = "503",
    [SIM_FAULT_500] = "500",
    [SIM_FAULT_DROP_BEFORE] = "drop-before",
    [SIM_FAULT_DROP_AFTER] = "drop-after",
};

static const char *const acl_names[4] = {"read", "create", "write", "delete"};

void sim_config_init(struct sim_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 0;
    cfg->bind = sim_xstrdup("127.0.0.1");
    cfg->seed = 1;
    cfg->access_token_ttl = 1800;
    cfg->refresh_token_ttl = 100 * 24 * 3600;
    cfg->default_column_length = 40;
    cfg->dynamically_add_fields = true;
    cfg->max_row_size = 8126;
    cfg->import_no_role_empty_201 = true;
    cfg->strict_headers = true;
    cfg->unknown_table_status = 400;
    cfg->acl_list_denied_empty = true;
    cfg->query_case_sensitive = true;
    cfg->ne_matches_empty = true;
    cfg->async_random_order = true;
    cfg->async_chunk_rows = 1000;
    cfg->async_poll_ms = 20;
    cfg->max_content_length = 10 * 1024 * 1024;
    cfg->record_import_set_run = true;
    cfg->fault_path_prefix = sim_xstrdup("/");
    cfg->retry_after_s = 1;
    cfg->time_budget_ms = 60000;
    cfg->rate.window_s = 3600;
    cfg->rate.rule_id = sim_xstrdup("6d3c41b0db2f2300e9c0f6f4ce96196f");
}

/* --- small JSON helpers ------------------------------------------------ */

static int check_keys(json_t *obj, const char *const *allowed,
                      const char *where)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        fprintf(stderr, "isload-sim: %s must be an object\n", where);
        return -1;
    }
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        (void)v;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            fprintf(stderr, "isload-sim: unknown key '%s' in %s\n", key, where);
            return -1;
        }
    }
    return 0;
}

static char *get_str(json_t *obj, const char *key, const char *def)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_string(v))
        return sim_xstrdup(json_string_value(v));
    return def ? sim_xstrdup(def) : NULL;
}

static int get_int(json_t *obj, const char *key, int def)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_integer(v))
        return (int)json_integer_value(v);
    if (json_is_real(v))
        return (int)json_real_value(v);
    return def;
}

static bool get_bool(json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_boolean(v))
        return json_is_true(v);
    return def;
}

static bool str_is(json_t *obj, const char *key, const char *value)
{
    json_t *v = json_object_get(obj, key);

    return json_is_string(v) && strcmp(json_string_value(v), value) == 0;
}

static char **str_array(json_t *arr, size_t *n)
{
    char **out = NULL;
    size_t i;
    json_t *v;

    *n = 0;
    if (!json_is_array(arr))
        return NULL;
    out = sim_xcalloc(json_array_size(arr) + 1, sizeof(char *));
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v))
            out[(*n)++] = sim_xstrdup(json_string_value(v));
    }
    return out;
}

static void free_str_array(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

/* --- lookups -------------------------------------------------------------*/

const struct sim_table_conf *sim_config_table(const struct sim_config *cfg,
                                              const char *name)
{
    for (size_t i = 0; i < cfg->ntables; i++)
        if (strcmp(cfg->tables[i].name, name) == 0)
            return &cfg->tables[i];
    return NULL;
}

const struct sim_user *sim_config_user(const struct sim_config *cfg,
                                       const char *name)
{
    for (size_t i = 0; i < cfg->nusers; i++)
        if (strcmp(cfg->users[i].name, name) == 0)
            return &cfg->users[i];
    return NULL;
}

static struct sim_table_conf *table_conf_get(struct sim_config *cfg,
                                             const char *name)
{
    struct sim_table_conf *t;

    for (size_t i = 0; i < cfg->ntables; i++)
        if (strcmp(cfg->tables[i].name, name) == 0)
            return &cfg->tables[i];
    t = ARR_PUSH(cfg->tables, cfg->ntables, struct sim_table_conf);
    t->name = sim_xstrdup(name);
    return t;
}

static struct sim_column_conf *column_conf_get(struct sim_table_conf *t,
                                               const char *name)
{
    struct sim_column_conf *c;

    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    c = ARR_PUSH(t->cols, t->ncols, struct sim_column_conf);
    c->name = sim_xstrdup(name);
    return c;
}

/* --- users, clients ------------------------------------------------------*/

static void add_user(struct sim_config *cfg, const char *name,
                     const char *password, char **roles, size_t nroles,
                     bool active)
{
    struct sim_user *u = NULL;

    for (size_t i = 0; i < cfg->nusers; i++)
        if (strcmp(cfg->users[i].name, name) == 0)
            u = &cfg->users[i];
    if (u) {
        free(u->name);
        free(u->password);
        free_str_array(u->roles, u->nroles);
    } else {
        u = ARR_PUSH(cfg->users, cfg->nusers, struct sim_user);
    }
    u->name = sim_xstrdup(name);
    u->password = sim_xstrdup(password);
    u->roles = roles;
    u->nroles = nroles;
    u->active = active;
}

int sim_config_add_user_arg(struct sim_config *cfg, const char *arg)
{
    const char *colon = strchr(arg, ':');
    char **roles;
    char *name;

    if (!colon || colon == arg) {
        fprintf(stderr, "isload-sim: --user wants NAME:PASSWORD\n");
        return -1;
    }
    name = sim_xstrndup(arg, (size_t)(colon - arg));
    roles = sim_xcalloc(2, sizeof(char *));
    roles[0] = sim_xstrdup("import_set_loader");
    add_user(cfg, name, colon + 1, roles, 1, true);
    free(name);
    return 0;
}

static void add_client(struct sim_config *cfg, const char *id,
                       const char *secret, const char *cc_user)
{
    struct sim_oauth_client *c =
        ARR_PUSH(cfg->clients, cfg->nclients, struct sim_oauth_client);

    c->client_id = sim_xstrdup(id);
    c->client_secret = sim_xstrdup(secret);
    c->cc_user = cc_user ? sim_xstrdup(cc_user) : NULL;
}

int sim_config_add_client_arg(struct sim_config *cfg, const char *arg)
{
    const char *colon = strchr(arg, ':');
    char *id;

    if (!colon || colon == arg) {
        fprintf(stderr, "isload-sim: --oauth-client wants ID:SECRET\n");
        return -1;
    }
    id = sim_xstrndup(arg, (size_t)(colon - arg));
    add_client(cfg, id, colon + 1, NULL);
    free(id);
    return 0;
}

/* --- faults --------------------------------------------------------------*/

int sim_config_parse_faults(struct sim_config *cfg, const char *spec)
{
    char *copy = sim_xstrdup(spec);
    char *save = NULL;
    int rc = 0;

    for (char *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        char *end;
        double rate;
        int which = -1;

        if (!eq) {
            fprintf(stderr, "isload-sim: bad fault '%s' (want NAME=RATE)\n",
                    item);
            rc = -1;
            break;
        }
        *eq = '\0';
        rate = strtod(eq + 1, &end);
        if (*end || rate < 0 || rate > 1) {
            fprintf(stderr, "isload-sim: bad fault rate '%s'\n", eq + 1);
            rc = -1;
            break;
        }
        for (int i = 1; i < SIM_FAULT_COUNT; i++)
            if (strcmp(item, fault_names[i]) == 0)
                which = i;
        if (which < 0) {
            fprintf(stderr,
                    "isload-sim: unknown fault '%s' (429, queue, 503, 500, "
                    "drop-before, drop-after)\n",
                    item);
            rc = -1;
            break;
        }
        cfg->fault_rate[which] = rate;
    }
    free(copy);
    return rc;
}

/* --- tables --------------------------------------------------------------*/

static int parse_acl(struct sim_table_conf *t, json_t *acl, const char *where)
{
    static const char *const keys[] = {"read", "create", "write", "delete",
                                       NULL};

    if (!acl)
        return 0;
    if (check_keys(acl, keys, where) < 0)
        return -1;
    for (int op = 0; op < 4; op++) {
        json_t *v = json_object_get(acl, acl_names[op]);
        if (!v)
            continue;
        if (t->has_acl[op])
            free_str_array(t->acl[op], t->nacl[op]);
        t->has_acl[op] = true;
        t->acl[op] = str_array(v, &t->nacl[op]);
    }
    return 0;
}

static int parse_columns(struct sim_table_conf *t, json_t *cols)
{
    static const char *const keys[] = {"name",      "label",     "max_length",
                                       "mandatory", "reference", NULL};
    size_t i;
    json_t *c;

    if (!cols)
        return 0;
    if (!json_is_array(cols)) {
        fprintf(stderr, "isload-sim: %s.columns must be an array\n", t->name);
        return -1;
    }
    json_array_foreach(cols, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        struct sim_column_conf *cc;

        if (check_keys(c, keys, "column") < 0)
            return -1;
        if (!sim_valid_name(name)) {
            fprintf(stderr, "isload-sim: bad column name in %s\n", t->name);
            return -1;
        }
        cc = column_conf_get(t, name);
        if (json_object_get(c, "label")) {
            free(cc->label);
            cc->label = get_str(c, "label", NULL);
        }
        cc->max_length = get_int(c, "max_length", cc->max_length);
        cc->mandatory = get_bool(c, "mandatory", cc->mandatory);
        if (json_object_get(c, "reference")) {
            free(cc->reference);
            cc->reference = get_str(c, "reference", NULL);
        }
    }
    return 0;
}

static int parse_table(struct sim_config *cfg, json_t *obj, bool staging)
{
    static const char *const keys[] = {"name",
                                       "label",
                                       "display_field",
                                       "columns",
                                       "insert_multiple",
                                       "acl",
                                       "records",
                                       NULL};
    static const char *const im_keys[] = {"transform", "column_mapping", NULL};
    const char *name = json_string_value(json_object_get(obj, "name"));
    struct sim_table_conf *t;
    json_t *im;

    if (check_keys(obj, keys, staging ? "staging_tables[]" : "tables[]") < 0)
        return -1;
    if (!sim_valid_name(name)) {
        fprintf(stderr, "isload-sim: table needs a [a-z0-9_] name\n");
        return -1;
    }
    if (strncmp(name, "sim_", 4) == 0) {
        fprintf(stderr, "isload-sim: table names sim_* are reserved\n");
        return -1;
    }
    t = table_conf_get(cfg, name);
    t->staging = t->staging || staging;
    if (json_object_get(obj, "label")) {
        free(t->label);
        t->label = get_str(obj, "label", NULL);
    }
    if (json_object_get(obj, "display_field")) {
        free(t->display_field);
        t->display_field = get_str(obj, "display_field", NULL);
    }
    if (parse_columns(t, json_object_get(obj, "columns")) < 0)
        return -1;
    if (parse_acl(t, json_object_get(obj, "acl"), "acl") < 0)
        return -1;
    im = json_object_get(obj, "insert_multiple");
    if (im) {
        if (check_keys(im, im_keys, "insert_multiple") < 0)
            return -1;
        t->has_im = true;
        t->im_sync = str_is(im, "transform", "sync") ||
                     str_is(im, "transform", "synchronous");
        t->im_labels = !str_is(im, "column_mapping", "name");
    } else if (staging) {
        t->im_labels = true; /* documented default: column labels */
    }
    if (json_is_array(json_object_get(obj, "records"))) {
        json_decref(t->records);
        t->records = json_incref(json_object_get(obj, "records"));
    }
    return 0;
}

/* --- transform maps ------------------------------------------------------*/

static struct sim_tmap *new_map(struct sim_config *cfg, const char *name)
{
    struct sim_tmap *m = ARR_PUSH(cfg->maps, cfg->nmaps, struct sim_tmap);

    m->name = sim_xstrdup(name);
    m->order = 100;
    m->active = true;
    return m;
}

static void map_add_field(struct sim_tmap *m, const char *source,
                          const char *target, bool coalesce)
{
    struct sim_field_map *f = ARR_PUSH(m->fm, m->nfm, struct sim_field_map);

    f->source = sim_xstrdup(source);
    f->target = sim_xstrdup(target);
    f->coalesce = coalesce;
}

static int parse_map(struct sim_config *cfg, json_t *obj)
{
    static const char *const keys[] = {
        "name",
        "source_table",
        "target_table",
        "order",
        "active",
        "coalesce_case_sensitive",
        "coalesce_empty_fields",
        "create_new_record_on_empty_coalesce_fields",
        "copy_empty_fields",
        "enforce_mandatory_fields",
        "field_maps",
        NULL};
    static const char *const fkeys[] = {"source", "target", "coalesce", NULL};
    const char *name = json_string_value(json_object_get(obj, "name"));
    const char *src = json_string_value(json_object_get(obj, "source_table"));
    const char *dst = json_string_value(json_object_get(obj, "target_table"));
    struct sim_tmap *m;
    json_t *f;
    size_t i;

    if (check_keys(obj, keys, "transform_maps[]") < 0)
        return -1;
    if (!name || !sim_valid_name(src) || !sim_valid_name(dst)) {
        fprintf(stderr, "isload-sim: transform map needs name, "
                        "source_table and target_table\n");
        return -1;
    }
    m = new_map(cfg, name);
    m->source_table = sim_xstrdup(src);
    m->target_table = sim_xstrdup(dst);
    m->order = get_int(obj, "order", 100);
    m->active = get_bool(obj, "active", true);
    m->coalesce_case_sensitive =
        get_bool(obj, "coalesce_case_sensitive", false);
    m->coalesce_empty_fields = get_bool(obj, "coalesce_empty_fields", false);
    m->create_on_empty_coalesce =
        get_bool(obj, "create_new_record_on_empty_coalesce_fields", false);
    m->copy_empty_fields = get_bool(obj, "copy_empty_fields", false);
    if (str_is(obj, "enforce_mandatory_fields", "only_mapped"))
        m->enforce_mandatory = SIM_MAND_MAPPED;
    else if (str_is(obj, "enforce_mandatory_fields", "all"))
        m->enforce_mandatory = SIM_MAND_ALL;
    json_array_foreach(json_object_get(obj, "field_maps"), i, f)
    {
        const char *fs = json_string_value(json_object_get(f, "source"));
        const char *ft = json_string_value(json_object_get(f, "target"));
        if (check_keys(f, fkeys, "field_maps[]") < 0)
            return -1;
        if (!sim_valid_name(fs) || !sim_valid_name(ft)) {
            fprintf(stderr,
                    "isload-sim: field map in '%s' needs source and "
                    "target column names\n",
                    name);
            return -1;
        }
        map_add_field(m, fs, ft, get_bool(f, "coalesce", false));
    }
    /* make sure the staging table exists and knows the source columns */
    struct sim_table_conf *st = table_conf_get(cfg, src);
    if (!st->staging) {
        st->staging = true;
        st->im_labels = true;
    }
    for (i = 0; i < m->nfm; i++)
        column_conf_get(st, m->fm[i].source);
    return 0;
}

/* --- options and faults sections -----------------------------------------*/

static int parse_options(struct sim_config *cfg, json_t *o)
{
    static const char *const keys[] = {"default_column_length",
                                       "dynamically_add_fields",
                                       "max_row_size",
                                       "import_without_role",
                                       "insert_multiple_optimize",
                                       "strict_headers",
                                       "unknown_table_status",
                                       "acl_list_denied",
                                       "invalid_query_returns_no_rows",
                                       "query_case_sensitive",
                                       "not_equal_matches_empty",
                                       "sync_import_set",
                                       "async_delay_ms",
                                       "async_order",
                                       "async_chunk_rows",
                                       "async_poll_ms",
                                       "max_content_length",
                                       "import_set_run",
                                       NULL};

    if (!o)
        return 0;
    if (check_keys(o, keys, "options") < 0)
        return -1;
    cfg->default_column_length =
        get_int(o, "default_column_length", cfg->default_column_length);
    cfg->dynamically_add_fields =
        get_bool(o, "dynamically_add_fields", cfg->dynamically_add_fields);
    cfg->max_row_size = get_int(o, "max_row_size", cfg->max_row_size);
    if (json_object_get(o, "import_without_role"))
        cfg->import_no_role_empty_201 =
            str_is(o, "import_without_role", "empty_201");
    cfg->insert_multiple_optimize =
        get_bool(o, "insert_multiple_optimize", cfg->insert_multiple_optimize);
    cfg->strict_headers = get_bool(o, "strict_headers", cfg->strict_headers);
    cfg->unknown_table_status =
        get_int(o, "unknown_table_status", cfg->unknown_table_status);
    if (json_object_get(o, "acl_list_denied"))
        cfg->acl_list_denied_empty = str_is(o, "acl_list_denied", "empty");
    cfg->invalid_query_no_rows = get_bool(o, "invalid_query_returns_no_rows",
                                          cfg->invalid_query_no_rows);
    cfg->query_case_sensitive =
        get_bool(o, "query_case_sensitive", cfg->query_case_sensitive);
    cfg->ne_matches_empty =
        get_bool(o, "not_equal_matches_empty", cfg->ne_matches_empty);
    if (json_object_get(o, "sync_import_set"))
        cfg->sync_set_per_request = str_is(o, "sync_import_set", "per_request");
    cfg->async_delay_ms = get_int(o, "async_delay_ms", cfg->async_delay_ms);
    if (json_object_get(o, "async_order"))
        cfg->async_random_order = !str_is(o, "async_order", "fifo");
    cfg->async_chunk_rows =
        get_int(o, "async_chunk_rows", cfg->async_chunk_rows);
    if (cfg->async_chunk_rows < 1)
        cfg->async_chunk_rows = 1;
    cfg->async_poll_ms = get_int(o, "async_poll_ms", cfg->async_poll_ms);
    if (cfg->async_poll_ms < 1)
        cfg->async_poll_ms = 1;
    cfg->max_content_length =
        get_int(o, "max_content_length", cfg->max_content_length);
    cfg->record_import_set_run =
        get_bool(o, "import_set_run", cfg->record_import_set_run);
    return 0;
}

static int parse_faults(struct sim_config *cfg, json_t *f)
{
    static const char *const keys[] = {"spec",
                                       "max",
                                       "path_prefix",
                                       "latency_ms",
                                       "latency_jitter_ms",
                                       "retry_after",
                                       "queue_retry_after",
                                       "max_concurrent",
                                       "time_budget_ms",
                                       "row_cost_ms",
                                       "seed",
                                       "rate_limit",
                                       NULL};
    static const char *const rkeys[] = {"limit", "window_s", "rule", NULL};
    json_t *rl;

    if (!f)
        return 0;
    if (check_keys(f, keys, "faults") < 0)
        return -1;
    if (json_is_string(json_object_get(f, "spec")) &&
        sim_config_parse_faults(
            cfg, json_string_value(json_object_get(f, "spec"))) < 0)
        return -1;
    cfg->fault_max = get_int(f, "max", cfg->fault_max);
    if (json_object_get(f, "path_prefix")) {
        free(cfg->fault_path_prefix);
        cfg->fault_path_prefix = get_str(f, "path_prefix", "/");
    }
    cfg->latency_ms = get_int(f, "latency_ms", cfg->latency_ms);
    cfg->latency_jitter_ms =
        get_int(f, "latency_jitter_ms", cfg->latency_jitter_ms);
    cfg->retry_after_s = get_int(f, "retry_after", cfg->retry_after_s);
    cfg->queue_retry_after =
        get_bool(f, "queue_retry_after", cfg->queue_retry_after);
    cfg->max_concurrent = get_int(f, "max_concurrent", cfg->max_concurrent);
    cfg->time_budget_ms = get_int(f, "time_budget_ms", cfg->time_budget_ms);
    cfg->row_cost_ms = get_int(f, "row_cost_ms", cfg->row_cost_ms);
    if (json_is_integer(json_object_get(f, "seed")))
        cfg->seed = (uint64_t)json_integer_value(json_object_get(f, "seed"));
    rl = json_object_get(f, "rate_limit");
    if (rl) {
        if (check_keys(rl, rkeys, "rate_limit") < 0)
            return -1;
        cfg->rate.limit = get_int(rl, "limit", 0);
        cfg->rate.window_s = get_int(rl, "window_s", 3600);
        if (cfg->rate.window_s < 1)
            cfg->rate.window_s = 1;
        if (json_object_get(rl, "rule")) {
            free(cfg->rate.rule_id);
            cfg->rate.rule_id = get_str(rl, "rule", "");
        }
    }
    return 0;
}

static int parse_oauth(struct sim_config *cfg, json_t *o)
{
    static const char *const keys[] = {
        "access_token_lifespan", "refresh_token_lifespan",
        "client_credentials_enabled", "clients", NULL};
    static const char *const ckeys[] = {"client_id", "client_secret",
                                        "client_credentials_user", NULL};
    json_t *c;
    size_t i;

    if (!o)
        return 0;
    if (check_keys(o, keys, "oauth") < 0)
        return -1;
    cfg->access_token_ttl =
        get_int(o, "access_token_lifespan", cfg->access_token_ttl);
    cfg->refresh_token_ttl =
        get_int(o, "refresh_token_lifespan", cfg->refresh_token_ttl);
    cfg->client_credentials_enabled = get_bool(o, "client_credentials_enabled",
                                               cfg->client_credentials_enabled);
    json_array_foreach(json_object_get(o, "clients"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "client_id"));
        const char *sec =
            json_string_value(json_object_get(c, "client_secret"));
        if (check_keys(c, ckeys, "oauth.clients[]") < 0)
            return -1;
        if (!id || !sec) {
            fprintf(stderr, "isload-sim: oauth client needs client_id and "
                            "client_secret\n");
            return -1;
        }
        add_client(
            cfg, id, sec,
            json_string_value(json_object_get(c, "client_credentials_user")));
    }
    return 0;
}

static int parse_users(struct sim_config *cfg, json_t *users)
{
    static const char *const keys[] = {"name", "password", "roles", "active",
                                       NULL};
    json_t *u;
    size_t i;

    json_array_foreach(users, i, u)
    {
        const char *name = json_string_value(json_object_get(u, "name"));
        const char *pw = json_string_value(json_object_get(u, "password"));
        char **roles;
        size_t nroles;

        if (check_keys(u, keys, "users[]") < 0)
            return -1;
        if (!name || !pw) {
            fprintf(stderr, "isload-sim: users need name and password\n");
            return -1;
        }
        roles = str_array(json_object_get(u, "roles"), &nroles);
        if (!roles)
            roles = sim_xcalloc(1, sizeof(char *));
        add_user(cfg, name, pw, roles, nroles, get_bool(u, "active", true));
    }
    return 0;
}

int sim_config_load(struct sim_config *cfg, const char *path)
{
    static const char *const keys[] = {
        "instance_url",   "users",  "oauth",          "api_keys",
        "staging_tables", "tables", "transform_maps", "options",
        "faults",         NULL};
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *v;
    size_t i;
    int rc = -1;

    if (!root) {
        fprintf(stderr, "isload-sim: %s:%d:%d: %s\n", path, jerr.line,
                jerr.column, jerr.text);
        return -1;
    }
    if (check_keys(root, keys, path) < 0)
        goto out;
    if (json_object_get(root, "instance_url")) {
        free(cfg->instance_url);
        cfg->instance_url = get_str(root, "instance_url", NULL);
    }
    if (parse_users(cfg, json_object_get(root, "users")) < 0)
        goto out;
    if (parse_oauth(cfg, json_object_get(root, "oauth")) < 0)
        goto out;
    json_array_foreach(json_object_get(root, "api_keys"), i, v)
    {
        const char *key = json_string_value(json_object_get(v, "key"));
        const char *user = json_string_value(json_object_get(v, "user"));
        struct sim_api_key *k;
        if (!key || !user) {
            fprintf(stderr, "isload-sim: api_keys need key and user\n");
            goto out;
        }
        k = ARR_PUSH(cfg->keys, cfg->nkeys, struct sim_api_key);
        k->key = sim_xstrdup(key);
        k->user = sim_xstrdup(user);
    }
    json_array_foreach(json_object_get(root, "staging_tables"), i, v)
    {
        if (parse_table(cfg, v, true) < 0)
            goto out;
    }
    json_array_foreach(json_object_get(root, "tables"), i, v)
    {
        if (parse_table(cfg, v, false) < 0)
            goto out;
    }
    json_array_foreach(json_object_get(root, "transform_maps"), i, v)
    {
        if (parse_map(cfg, v) < 0)
            goto out;
    }
    if (parse_options(cfg, json_object_get(root, "options")) < 0)
        goto out;
    if (parse_faults(cfg, json_object_get(root, "faults")) < 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* --- feeds ----------------------------------------------------------------*/

/* "u_hr_employee_import" -> "u_hr_employee", "u_people" ->
 * "u_people_target" */
static char *feed_default_target(const char *staging)
{
    size_t n = strlen(staging);
    const char *suffix = "_import";
    size_t sn = strlen(suffix);

    struct sim_str out = {0};

    if (n > sn && strcmp(staging + n - sn, suffix) == 0)
        return sim_xstrndup(staging, n - sn);
    /* nothing to strip: the target must still differ from the staging
     * table (a guess, see docs/emulator.md) */
    sim_str_add(&out, staging);
    sim_str_add(&out, "_target");
    return out.p;
}

int sim_config_add_feed(struct sim_config *cfg, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *fields, *key, *target, *f, *v;
    const char *staging, *name, *k;
    struct sim_table_conf *st, *tt;
    struct sim_tmap *m;
    char *target_table = NULL;
    size_t i;
    int rc = -1;

    if (!root) {
        fprintf(stderr, "isload-sim: %s:%d:%d: %s\n", path, jerr.line,
                jerr.column, jerr.text);
        return -1;
    }
    staging = json_string_value(json_object_get(root, "staging_table"));
    name = json_string_value(json_object_get(root, "name"));
    fields = json_object_get(root, "fields");
    key = json_object_get(root, "key");
    target = json_object_get(root, "target");
    if (!sim_valid_name(staging) || !json_is_array(fields)) {
        fprintf(stderr, "isload-sim: %s: feed needs staging_table and fields\n",
                path);
        goto out;
    }
    st = table_conf_get(cfg, staging);
    st->staging = true;
    st->has_im = true;
    st->im_sync = false;   /* asynchronous, as out of the box */
    st->im_labels = false; /* REST Insert Multiple set to column names */
    json_array_foreach(fields, i, f)
    {
        const char *col = json_string_value(json_object_get(f, "column"));
        struct sim_column_conf *cc;
        if (!sim_valid_name(col)) {
            fprintf(stderr, "isload-sim: %s: field without a valid column\n",
                    path);
            goto out;
        }
        cc = column_conf_get(st, col);
        if (json_is_string(json_object_get(f, "label")) && !cc->label)
            cc->label = get_str(f, "label", NULL);
        cc->max_length = get_int(f, "max_length", cc->max_length);
        /* a {"length": {"max": N}} stage says how wide the column is */
        json_t *stage;
        size_t si;
        json_array_foreach(json_object_get(f, "stages"), si, stage)
        {
            json_t *len = json_object_get(stage, "length");
            if (json_is_object(len) && get_int(len, "max", 0) > 0)
                cc->max_length = get_int(len, "max", 0);
        }
    }

    if (json_is_object(target) &&
        json_is_string(json_object_get(target, "table")))
        target_table = get_str(target, "table", NULL);
    else
        target_table = feed_default_target(staging);
    if (!sim_valid_name(target_table)) {
        fprintf(stderr, "isload-sim: %s: bad target table\n", path);
        goto out;
    }
    m = new_map(cfg, name ? name : staging);
    m->source_table = sim_xstrdup(staging);
    m->target_table = sim_xstrdup(target_table);
    tt = table_conf_get(cfg, target_table);
    st = table_conf_get(cfg, staging); /* the push above may have moved it */

    if (json_is_object(target)) {
        json_t *match = json_object_get(target, "match");
        json_t *tf = json_object_get(target, "fields");
        json_object_foreach(match, k, v)
        {
            if (!json_is_string(v) || !sim_valid_name(k))
                continue;
            map_add_field(m, json_string_value(v), k, true);
            column_conf_get(tt, k);
        }
        if (!json_object_size(match)) {
            json_array_foreach(key, i, v)
            {
                if (sim_valid_name(json_string_value(v))) {
                    map_add_field(m, json_string_value(v), json_string_value(v),
                                  true);
                    column_conf_get(tt, json_string_value(v));
                }
            }
        }
        json_object_foreach(tf, k, v)
        {
            if (!json_is_string(v) || !sim_valid_name(k))
                continue;
            map_add_field(m, json_string_value(v), k, false);
            column_conf_get(tt, k);
            column_conf_get(st, json_string_value(v));
        }
    } else {
        json_array_foreach(fields, i, f)
        {
            const char *col = json_string_value(json_object_get(f, "column"));
            bool coalesce = false;
            size_t j;
            json_array_foreach(key, j, v)
            {
                if (json_is_string(v) && strcmp(json_string_value(v), col) == 0)
                    coalesce = true;
            }
            map_add_field(m, col, col, coalesce);
            column_conf_get(tt, col);
        }
    }
    rc = 0;
out:
    free(target_table);
    json_decref(root);
    return rc;
}

/* --- finish and free ------------------------------------------------------*/

static int cmp_map_order(const void *a, const void *b)
{
    const struct sim_tmap *x = a, *y = b;

    if (x->order != y->order)
        return (x->order > y->order) - (x->order < y->order);
    return strcmp(x->name, y->name);
}

int sim_config_finish(struct sim_config *cfg)
{
    /* maps run by ascending order; ties are broken by name */
    if (cfg->nmaps > 1)
        qsort(cfg->maps, cfg->nmaps, sizeof(*cfg->maps), cmp_map_order);
    for (size_t i = 0; i < cfg->nmaps; i++) {
        struct sim_table_conf *tt =
            table_conf_get(cfg, cfg->maps[i].target_table);
        if (tt->staging) {
            fprintf(stderr,
                    "isload-sim: transform map '%s' targets staging "
                    "table %s\n",
                    cfg->maps[i].name, tt->name);
            return -1;
        }
        for (size_t j = 0; j < cfg->maps[i].nfm; j++)
            column_conf_get(tt, cfg->maps[i].fm[j].target);
    }
    for (size_t i = 0; i < cfg->nkeys; i++)
        if (!sim_config_user(cfg, cfg->keys[i].user)) {
            fprintf(stderr, "isload-sim: api key for unknown user %s\n",
                    cfg->keys[i].user);
            return -1;
        }
    return 0;
}

void sim_config_free(struct sim_config *cfg)
{
    for (size_t i = 0; i < cfg->nusers; i++) {
        free(cfg->users[i].name);
        free(cfg->users[i].password);
        free_str_array(cfg->users[i].roles, cfg->users[i].nroles);
    }
    free(cfg->users);
    for (size_t i = 0; i < cfg->nclients; i++) {
        free(cfg->clients[i].client_id);
        free(cfg->clients[i].client_secret);
        free(cfg->clients[i].cc_user);
    }
    free(cfg->clients);
    for (size_t i = 0; i < cfg->nkeys; i++) {
        free(cfg->keys[i].key);
        free(cfg->keys[i].user);
    }
    free(cfg->keys);
    for (size_t i = 0; i < cfg->ntables; i++) {
        struct sim_table_conf *t = &cfg->tables[i];
        free(t->name);
        free(t->label);
        free(t->display_field);
        for (size_t j = 0; j < t->ncols; j++) {
            free(t->cols[j].name);
            free(t->cols[j].label);
            free(t->cols[j].reference);
        }
        free(t->cols);
        for (int op = 0; op < 4; op++)
            if (t->has_acl[op])
                free_str_array(t->acl[op], t->nacl[op]);
        json_decref(t->records);
    }
    free(cfg->tables);
    for (size_t i = 0; i < cfg->nmaps; i++) {
        struct sim_tmap *m = &cfg->maps[i];
        free(m->name);
        free(m->source_table);
        free(m->target_table);
        for (size_t j = 0; j < m->nfm; j++) {
            free(m->fm[j].source);
            free(m->fm[j].target);
        }
        free(m->fm);
    }
    free(cfg->maps);
    free(cfg->bind);
    free(cfg->db_path);
    free(cfg->instance_url);
    free(cfg->fault_path_prefix);
    free(cfg->rate.rule_id);
    memset(cfg, 0, sizeof(*cfg));
}
