/*
 * sim.h: private header shared by the isload-sim source files.
 *
 * isload-sim emulates the ServiceNow REST endpoints the loader talks to
 * (Import Set API, Table API, OAuth token endpoint). It shares no code with
 * the loader on purpose: a bug in a shared helper would hide itself in both.
 *
 * Threads: libmicrohttpd runs one thread per connection and the async
 * transform worker runs in its own thread. Every SQLite access and every
 * read of the table dictionary happens with sim->db_lock held
 * (sim_db_lock/sim_db_unlock). Config is read-only after start-up.
 */
#ifndef SIM_H
#define SIM_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#define SIM_VERSION "0.1.0"
#define SIM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SIM_SYS_ID_LEN 32
#define SIM_NAME_MAX 80 /* longest table or column name we accept */

struct MHD_Daemon;
struct MHD_Connection;

/* ---------------------------------------------------------------- util */

void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);
char *sim_xstrndup(const char *s, size_t n);

/* Growable string. Zero-initialise, append, take ->p, free with free(). */
struct sim_str {
    char *p;
    size_t len, cap;
};
void sim_str_add(struct sim_str *s, const char *text);
/* Makes room for n more bytes and the NUL. */
void sim_str_grow(struct sim_str *s, size_t n);
static inline void sim_str_addn(struct sim_str *s, const char *text, size_t n)
{
    if (s->len + n + 1 > s->cap)
        sim_str_grow(s, n);
    memcpy(s->p + s->len, text, n);
    s->len += n;
    s->p[s->len] = '\0';
}
void sim_str_addf(struct sim_str *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sim_str_free(struct sim_str *s);
/* Appends v as a JSON string, quoted and escaped as jansson's compact
 * output does. */
void sim_str_add_json(struct sim_str *s, const char *v);

/* Fills out[33] with 32 random lower-case hex digits (a ServiceNow sys_id). */
void sim_sys_id(char out[SIM_SYS_ID_LEN + 1]);
/* Fills out[20] with the current UTC time as "YYYY-MM-DD HH:MM:SS". */
void sim_now_str(char out[20]);
/* Milliseconds since an arbitrary monotonic origin. */
int64_t sim_mono_ms(void);
void sim_sleep_ms(int64_t ms);
/* True for a non-empty [a-z0-9_] name no longer than SIM_NAME_MAX. */
bool sim_valid_name(const char *name);
/* Byte length of the first max_chars UTF-8 characters of s. */
size_t sim_utf8_prefix(const char *s, size_t max_chars);
/* Column name ServiceNow derives from a label: "Employee ID" ->
 * "u_employee_id". Returns a malloc'd string. */
char *sim_label_to_column(const char *label);
/* Converts a JSON value to the string a string-only API would store:
 * strings as is, numbers and booleans as text, null as "", objects and
 * arrays as compact JSON with ':' turned into '='. Returns malloc'd text. */
char *sim_json_to_string(const json_t *v);
bool sim_str_in_list(const char *s, char *const *list, size_t n);
/* Percent-decodes a form value in place ('+' is a space). */
void sim_form_decode(char *s);

/* ---------------------------------------------------------------- config */

struct sim_user {
    char *name;
    char *password;
    char **roles;
    size_t nroles;
    bool active;
};

struct sim_oauth_client {
    char *client_id;
    char *client_secret;
    char *cc_user; /* client_credentials acts as this user; NULL = disabled */
};

struct sim_api_key {
    char *key;
    char *user;
};

enum sim_acl_op { SIM_ACL_READ, SIM_ACL_CREATE, SIM_ACL_WRITE, SIM_ACL_DELETE };

struct sim_column_conf {
    char *name;
    char *label;     /* NULL: derived from the name */
    int max_length;  /* 0: default_column_length (staging) / unlimited */
    bool mandatory;  /* for enforce_mandatory_fields */
    char *reference; /* referenced table or NULL */
};

struct sim_table_conf {
    char *name;
    char *label;
    bool staging;
    char *display_field;
    struct sim_column_conf *cols;
    size_t ncols;
    bool has_im;     /* an insert_multiple setting (sys_rest_insert_multiple) */
    bool im_sync;    /* sys_rest_insert_multiple: transform synchronously */
    bool im_labels;  /* sys_rest_insert_multiple: keys are labels */
    bool has_acl[4]; /* indexed by enum sim_acl_op */
    char **acl[4];
    size_t nacl[4];
    json_t *records; /* seed records (array) or NULL */
};

struct sim_field_map {
    char *source; /* staging column */
    char *target; /* target field */
    bool coalesce;
};

enum sim_mandatory { SIM_MAND_NO, SIM_MAND_MAPPED, SIM_MAND_ALL };

struct sim_tmap {
    char sys_id[SIM_SYS_ID_LEN + 1];
    char *name;
    char *source_table;
    char *target_table;
    int order;
    bool active;
    bool coalesce_case_sensitive;
    bool coalesce_empty_fields;
    bool create_on_empty_coalesce;
    bool copy_empty_fields;
    enum sim_mandatory enforce_mandatory;
    struct sim_field_map *fm;
    size_t nfm;
};

struct sim_rate_rule {
    int limit;     /* requests per window and user; 0 = off */
    int window_s;  /* 3600 on a real instance */
    char *rule_id; /* X-RateLimit-Rule */
};

enum sim_fault {
    SIM_FAULT_NONE,
    SIM_FAULT_429,
    SIM_FAULT_QUEUE,
    SIM_FAULT_503,
    SIM_FAULT_500,
    SIM_FAULT_DROP_BEFORE,
    SIM_FAULT_DROP_AFTER,
    SIM_FAULT_COUNT
};

struct sim_config {
    /* command line */
    int port;
    char *bind;
    char *db_path; /* NULL: in memory */
    uint64_t seed;
    int threads_hint;

    struct sim_user *users;
    size_t nusers;
    struct sim_oauth_client *clients;
    size_t nclients;
    struct sim_api_key *keys;
    size_t nkeys;
    int access_token_ttl;  /* seconds, 1800 by default */
    int refresh_token_ttl; /* seconds, 100 days by default */

    struct sim_table_conf *tables;
    size_t ntables;
    struct sim_tmap *maps;
    size_t nmaps;

    /* options (UNVERIFIED behaviours and instance properties) */
    char *instance_url;          /* for record_link; NULL: http://bind:port */
    int default_column_length;   /* 40 */
    bool dynamically_add_fields; /* glide.import_set_row.dynamically_add_fields
                                  */
    int max_row_size;            /* 8126 */
    bool import_no_role_empty_201;   /* KB0813223 (else 403) */
    bool insert_multiple_optimize;   /* needs import_transformer */
    bool strict_headers;             /* 400/406/415 on Accept / Content-Type */
    int unknown_table_status;        /* 400 ("Invalid table") */
    bool acl_list_denied_empty;      /* list read without rights: 200 [] */
    bool invalid_query_no_rows;      /* glide.invalid_query.returns_no_rows */
    bool query_case_sensitive;       /* encoded query value comparison */
    bool ne_matches_empty;           /* field!=x also matches empty fields */
    bool sync_set_per_request;       /* single POSTs: new set each request */
    int async_delay_ms;              /* min age of a loaded async set */
    bool async_random_order;         /* pick eligible async sets at random */
    int async_chunk_rows;            /* rows per worker lock hold */
    int async_poll_ms;               /* worker wake-up interval */
    bool client_credentials_enabled; /* glide.oauth.inbound.client... */
    int max_content_length;          /* bytes, 10 MB */
    bool record_import_set_run;      /* keep sys_import_set_run records */

    /* faults */
    double fault_rate[SIM_FAULT_COUNT];
    int fault_max;           /* stop injecting after this many; 0 = no cap */
    char *fault_path_prefix; /* only requests under this path */
    int latency_ms;
    int latency_jitter_ms;
    int retry_after_s;      /* Retry-After of injected 429s */
    bool queue_retry_after; /* send Retry-After on queue-full 429s */
    int max_concurrent;     /* real queue limit; 0 = off */
    int time_budget_ms;     /* 60000 */
    int row_cost_ms;        /* simulated work per import row */
    struct sim_rate_rule rate;
};

/* Sets defaults. */
void sim_config_init(struct sim_config *cfg);
/* Loads a JSON config file; 0 or -1 with a message on stderr. */
int sim_config_load(struct sim_config *cfg, const char *path);
/* Adds a staging table and transform map from a loader feed definition. */
int sim_config_add_feed(struct sim_config *cfg, const char *path);
/* "--user NAME:PASSWORD": user with the import roles. */
int sim_config_add_user_arg(struct sim_config *cfg, const char *arg);
/* "--oauth-client ID:SECRET". */
int sim_config_add_client_arg(struct sim_config *cfg, const char *arg);
/* "--faults 429=0.1,503=0.05,..." */
int sim_config_parse_faults(struct sim_config *cfg, const char *spec);
/* Checks cross references and fills in transform map defaults. */
int sim_config_finish(struct sim_config *cfg);
void sim_config_free(struct sim_config *cfg);
const struct sim_table_conf *sim_config_table(const struct sim_config *cfg,
                                              const char *name);
const struct sim_user *sim_config_user(const struct sim_config *cfg,
                                       const char *name);

/* ---------------------------------------------------------------- db */

/* Stored in sim_tables: append only. */
enum sim_kind {
    SIM_KIND_DATA,
    SIM_KIND_SYSTEM,
    SIM_KIND_STAGING,
    SIM_KIND_VIEW,
    SIM_KIND_META /* generated from the config, read-only (sim_meta.c) */
};

struct sim_col {
    char *name;
    char *label;
    int max_length; /* 0: unlimited */
    bool mandatory;
    bool is_int;     /* stored as INTEGER (sorts numerically) */
    char *reference; /* referenced table or NULL */
    bool indexed[2]; /* sim_db_want_index done: [0] binary, [1] NOCASE */
};

struct sim_table {
    char *name;
    enum sim_kind kind;
    const struct sim_table_conf *conf; /* may be NULL */
    struct sim_col *cols;
    size_t ncols, capcols;
};

#define SIM_STMT_CACHE_MAX 512
#define SIM_STMT_SLOTS 1024 /* hash slots, a power of two > the max */

struct sim_stmt_cache {
    uint64_t hash[SIM_STMT_CACHE_MAX]; /* FNV-1a of sql[i] */
    char *sql[SIM_STMT_CACHE_MAX];
    sqlite3_stmt *stmt[SIM_STMT_CACHE_MAX];
    size_t n;
    uint32_t slot[SIM_STMT_SLOTS]; /* open addressing: index + 1, 0 free */
    uint64_t generation;           /* bumped when the cache is emptied */
};

/* A caller's memo of a cached statement (zero-initialise). */
struct sim_stmt_ref {
    sqlite3_stmt *stmt;
    uint64_t generation;
};

struct sim_token {
    char access[65];
    char refresh[65];
    char *user;
    char *client_id;
    int64_t access_expiry;  /* unix seconds */
    int64_t refresh_expiry; /* unix seconds */
};

struct sim {
    struct sim_config *cfg;
    sqlite3 *db;
    pthread_mutex_t db_lock;
    struct sim_stmt_cache *cache;
    struct sim_table *tables;
    size_t ntables, captables;
    bool meta_ready; /* sim_meta_sync ran: keep sys_dictionary up to date */
    bool in_tx;      /* inside sim_db_begin .. commit / rollback */
    int64_t group_since_ms;  /* when the open group transaction began */
    struct sim_plans *plans; /* transform plans (sim_transform.c) */

    pthread_mutex_t auth_lock;
    struct sim_token *tokens;
    size_t ntokens, captokens;

    pthread_mutex_t fault_lock;
    uint64_t rng;
    uint64_t latency_rng;
    int faults_done;
    int inflight;
    struct sim_rate_user {
        char *user;
        int64_t window;
        int count;
    } * rate_users;
    size_t nrate_users;

    pthread_t worker;
    bool worker_started;
    struct sim_worker_scratch *worker_scratch; /* sim_worker.c */
    bool stopping;
    pthread_cond_t worker_cond;
    uint64_t worker_rng;

    struct MHD_Daemon *daemon;
    unsigned port;
    char base_url[160];
};

/* Makes SQLite use sim_mem.c's allocator; before the first sqlite3 call. */
int sim_mem_install(void);
/* After the last connection is closed: shuts SQLite down, frees its memory. */
void sim_mem_release(void);

int sim_db_open(struct sim *s);
void sim_db_close(struct sim *s);
void sim_db_lock(struct sim *s);
void sim_db_unlock(struct sim *s);
/* Cached prepared statement for sql (reset, bindings cleared). */
sqlite3_stmt *sim_db_stmt(struct sim *s, const char *sql);
/* The same, remembering the statement in ref so that the next call with
 * the same sql and ref skips the lookup. */
sqlite3_stmt *sim_db_stmt_ref(struct sim *s, const char *sql,
                              struct sim_stmt_ref *ref);
/* Runs SQL without results; 0 or -1 (message on stderr). */
int sim_db_exec(struct sim *s, const char *sql);
/* A request's transaction (sim_tx.c). Not nested. With an in-memory
 * database it is a savepoint inside a longer transaction that
 * sim_db_group_commit commits. */
int sim_db_begin(struct sim *s);
int sim_db_commit(struct sim *s);
void sim_db_rollback(struct sim *s);
/* Commits the longer transaction of an in-memory database when it is
 * SIM_GROUP_COMMIT_MS old, or now with force; never inside a request's
 * transaction. */
void sim_db_group_commit(struct sim *s, bool force);
/* Binds text, NULL for an empty or NULL value (ServiceNow stores "" as
 * null). v is not copied: it must stay valid until the statement has been
 * stepped. */
void sim_db_bind_text(sqlite3_stmt *st, int idx, const char *v);

/* Table dictionary. Lookup returns NULL for unknown or internal tables. */
struct sim_table *sim_db_table(struct sim *s, const char *name);
const struct sim_col *sim_db_col(const struct sim_table *t, const char *name);
const struct sim_col *sim_db_col_by_label(const struct sim_table *t,
                                          const char *label);
/* Creates a table (with the sys_ columns) if missing. */
struct sim_table *sim_db_create_table(struct sim *s, const char *name,
                                      enum sim_kind kind);
/* Adds a column if missing; returns it. max_length 0 = unlimited. */
const struct sim_col *sim_db_add_column(struct sim *s, struct sim_table *t,
                                        const char *name, const char *label,
                                        int max_length);
/* Adds a column that references table ref (or makes it one). */
const struct sim_col *sim_db_add_reference(struct sim *s, struct sim_table *t,
                                           const char *name, const char *ref);
/* True for a staging table's columns that come from sys_import_set_row
 * (sys_id, sys_import_state, ...): an instance lists them under the parent
 * table in sys_dictionary. */
bool sim_db_inherited_column(const struct sim_table *t, const char *name);
/* Label derived from a name: "u_employee_id" -> "Employee id" (malloc'd). */
char *sim_db_label_from_name(const char *name);
/* Makes sure an index serves "col = ?" / "col IN (...)" on t (each
 * staging table for the sys_import_set_row view), with NOCASE collation
 * when nocase. Created on first use; a failure only costs speed. */
void sim_db_want_index(struct sim *s, struct sim_table *t, const char *col,
                       bool nocase);
/* Display field name of a table (config, number, name, sys_created_on). */
const char *sim_db_display_field(const struct sim_table *t);
/* Counter in sim_counters: returns the next value. */
int64_t sim_db_next_counter(struct sim *s, const char *name, int64_t start);

/* True for 32 lower-case hex digits. */
bool sim_db_valid_sys_id(const char *v);
/* False for the system-maintained columns (sys_id, sys_created_on, ...,
 * sys_class_name), which the API does not write. */
bool sim_db_settable(const struct sim_col *c);

/* Generic record access. Values are JSON strings ("" for null). */
json_t *sim_db_get_record(struct sim *s, const struct sim_table *t,
                          const char *sys_id);
/* Inserts fields (object of strings; unknown fields ignored). sys_id in
 * fields is honoured. Fills out_sys_id. 0 or -1. */
int sim_db_insert_record(struct sim *s, const struct sim_table *t,
                         json_t *fields, const char *user,
                         char out_sys_id[SIM_SYS_ID_LEN + 1]);
/* Updates the given fields, bumps sys_mod_count and sys_updated_on.
 * Returns 1 updated, 0 not found, -1 error. */
int sim_db_update_record(struct sim *s, const struct sim_table *t,
                         const char *sys_id, json_t *fields, const char *user);
/* Returns 1 deleted, 0 not found, -1 error. */
int sim_db_delete_record(struct sim *s, const struct sim_table *t,
                         const char *sys_id);
/* For a view (sys_import_set_row): the physical table holding sys_id. */
struct sim_table *sim_db_physical(struct sim *s, struct sim_table *t,
                                  const char *sys_id);
/* Recreates the sys_import_set_row view over all staging tables. */
int sim_db_rebuild_row_view(struct sim *s);
/* Loads config tables, columns, seed records and transform maps. */
int sim_db_apply_config(struct sim *s);

/* ---------------------------------------------------------------- meta */

/* Creates the generated tables (sys_db_object, sys_dictionary,
 * sys_transform_map, sys_transform_entry, sys_rest_insert_multiple). */
int sim_meta_create_tables(struct sim *s);
/* Rewrites them from the config and the table dictionary; the transform
 * maps' sys_ids are filled in. Caller holds the lock and a transaction. */
int sim_meta_sync(struct sim *s);
/* A column of t was added or changed: refreshes its sys_dictionary
 * record (after sim_meta_sync only). */
void sim_meta_column(struct sim *s, const struct sim_table *t,
                     const struct sim_col *c);

/* ---------------------------------------------------------------- query */

struct sim_query {
    struct sim_str where; /* "" or a boolean SQL expression */
    struct sim_str order; /* "" or "ORDER BY ..." */
    const char **params;  /* bound in order, ?1.. (into arena) */
    size_t nparams, capparams;
    size_t *poff; /* while compiling: offsets in arena */
    struct sim_str arena;
    bool invalid; /* an unknown field or operator was seen */
    struct sim_query_index {
        const char *col; /* a column name of the table */
        bool nocase;
    } * indexes; /* columns compared with = or IN, worth an index */
    size_t nindexes;
};

/* Compiles an encoded query against table t. Unknown fields and operators
 * are dropped (q->invalid set), as a real instance does. */
void sim_query_compile(struct sim_query *q, const struct sim_table *t,
                       const char *encoded, bool case_sensitive,
                       bool ne_matches_empty);
void sim_query_free(struct sim_query *q);

/* ---------------------------------------------------------------- records */

/* The rows of an Import Set API body (sim_records.c). */
struct sim_pair {
    const char *key;
    const char *val; /* the text a staging column stores */
};

struct sim_records {
    size_t n;      /* entries ("records" items, or the one object) */
    size_t *first; /* per entry: its first pair, SIZE_MAX if no object */
    size_t *count; /* per entry: its pairs */
    struct sim_pair *pairs;
    size_t npairs;
    char *arena; /* the keys and values */
};

/* Parses a body: with multiple, {"records": [...]} (one entry per item),
 * else one object. 0, -1 (not JSON, or not an object) or -2 (no records
 * array). */
int sim_records_parse(const char *body, size_t len, bool multiple,
                      struct sim_records *out);
void sim_records_free(struct sim_records *r);

/* ---------------------------------------------------------------- http */

struct sim_req {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;  /* path without query string */
    const char *body; /* NUL-terminated */
    size_t body_len;
    const struct sim_user *user;
    int64_t spent_ms; /* simulated time used so far (time budget) */
};

#define SIM_MAX_HEADERS 8

struct sim_resp {
    int status;
    char *body; /* malloc'd or NULL */
    size_t body_len;
    bool drop; /* close the connection without a response */
    size_t nhdr;
    char hdr_name[SIM_MAX_HEADERS][40];
    char hdr_value[SIM_MAX_HEADERS][1024];
};

const char *sim_req_arg(const struct sim_req *r, const char *name);
const char *sim_req_header(const struct sim_req *r, const char *name);
/* Calls fn for every query argument. */
void sim_req_each_arg(const struct sim_req *r,
                      void (*fn)(void *payload, const char *key,
                                 const char *value),
                      void *payload);
/* Takes ownership of body (a json_t reference is stolen). */
void sim_resp_json(struct sim_resp *resp, int status, json_t *body);
/* Takes ownership of body, JSON text of len bytes (malloc'd). */
void sim_resp_body(struct sim_resp *resp, int status, char *body, size_t len);
void sim_resp_error(struct sim_resp *resp, int status, const char *message,
                    const char *detail);
void sim_resp_header(struct sim_resp *resp, const char *name, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));

/* Charges rows * row_cost_ms of simulated work (sleeping it). When the
 * request would exceed time_budget_ms, sleeps the rest of the budget,
 * fills resp with the 500 "Transaction cancelled" answer and returns
 * false: the caller must not do the work. */
bool sim_req_charge(struct sim *s, struct sim_req *r, int rows,
                    struct sim_resp *resp);
int sim_http_start(struct sim *s);
void sim_http_stop(struct sim *s);

/* ---------------------------------------------------------------- auth */

/* Authenticates the request (Basic, Bearer or x-sn-apikey). Returns the
 * user or NULL (caller answers 401). */
const struct sim_user *sim_auth_check(struct sim *s, const struct sim_req *r);
bool sim_user_has_role(const struct sim_user *u, const char *role);
/* True when the user may load import sets. */
bool sim_auth_can_import(const struct sim *s, const struct sim_user *u,
                         bool insert_multiple);
/* Table ACL check. */
bool sim_auth_acl(const struct sim *s, const struct sim_user *u,
                  const struct sim_table *t, enum sim_acl_op op);
/* POST /oauth_token.do */
void sim_auth_token_endpoint(struct sim *s, const struct sim_req *r,
                             struct sim_resp *resp);
void sim_auth_free(struct sim *s);

/* ---------------------------------------------------------------- faults */

/* Draws the fault for a new request on path (uniform, seeded). */
enum sim_fault sim_fault_draw(struct sim *s, const char *path);
/* Per-user rate rule. Returns true when the request is allowed; always
 * fills the X-RateLimit-* headers when a rule is configured. */
bool sim_fault_rate_check(struct sim *s, const char *user, const char *resource,
                          struct sim_resp *resp);
/* Writes a 429/503/500 fault response. */
void sim_fault_respond(struct sim *s, enum sim_fault f, struct sim_resp *resp);
/* Added latency for this request in ms (latency + seeded jitter). */
int sim_fault_latency(struct sim *s);
void sim_fault_free(struct sim *s);
uint64_t sim_rng_next(uint64_t *state);

/* ---------------------------------------------------------------- APIs */

void sim_table_api(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                   const char *rest, int api_version);
void sim_import_api(struct sim *s, struct sim_req *r, struct sim_resp *resp,
                    const char *rest);

/* ---------------------------------------------------------------- transform */

struct sim_tresult {
    const struct sim_tmap *map;
    char status[12]; /* inserted, updated, ... */
    char target_sys_id[SIM_SYS_ID_LEN + 1];
    char comment[256];
    char error[256];
};

/* A staging row as the transform reads it. */
struct sim_srow {
    const char *sys_id;
    int64_t rowid;           /* SQLite rowid of the staging row */
    const char *set_id;      /* its sys_import_set */
    const char *const *vals; /* per sim_transform_columns() entry; "" or
                                NULL when empty */
};

/* The staging columns the active maps of staging read, in the order
 * sim_srow.vals holds them (*n of them). Valid until sim_transform_free. */
const char *const *sim_transform_columns(struct sim *s,
                                         const struct sim_table *staging,
                                         size_t *n);
/* SELECT of a set's pending rows in the sim_srow layout: sys_id, rowid,
 * sys_import_set, then the columns; ?1 = set, ?2 = limit. Valid until the
 * next column add. */
const char *sim_transform_pending_sql(struct sim *s,
                                      const struct sim_table *staging);
/* Transforms one staging row with every active map of its staging table,
 * in order, and records the outcome on the staging row. out must hold
 * sim_transform_max_results() entries. Returns the number of results.
 * Caller holds the DB lock and a transaction. */
size_t sim_transform_row(struct sim *s, const struct sim_table *staging,
                         const struct sim_srow *row, const char *user,
                         struct sim_tresult *out);
/* Frees the transform plans. */
void sim_transform_free(struct sim *s);
size_t sim_transform_max_results(const struct sim *s);
/* Refreshes the import set's sys_import_set_run counts and, when
 * processed is true, marks the set processed. */
void sim_transform_finish_set(struct sim *s, const char *set_sys_id,
                              const char *staging, const char *user,
                              bool processed);
/* Counts one more transformed row of status in the set's
 * sys_import_set_run (single-row POSTs; avoids recounting the set). */
void sim_transform_bump_run(struct sim *s, const char *set_sys_id,
                            const char *staging, const char *status,
                            const char *user);
int sim_worker_start(struct sim *s);
void sim_worker_stop(struct sim *s);
/* Wakes the async worker (new work). */
void sim_worker_kick(struct sim *s);

#endif
