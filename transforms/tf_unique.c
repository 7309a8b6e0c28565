/*
 * tf_unique.c: the "unique" row stage: the key columns must not repeat
 * within the feed ({"unique": {"columns": ["u_employee_id"], "keep":
 * "first"}}). Keys are compared exactly, after the value stages; a row
 * whose key columns are all empty is not checked.
 *
 * keep "first" decides at once: row() remembers each key's line and
 * rejects a later row with the same key, naming the first line. keep
 * "last" is deferred: row() records key -> the latest row id, and finish(),
 * run over the accepted rows after the whole input, rejects every row whose
 * key was seen again later, naming the later line. Memory grows with the
 * number of distinct keys (a tf_hash), not of rows. Put unique after the
 * row stages that may reject or filter rows: a row that a later stage
 * drops still counts as seen.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_hash.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unique_ctx {
    json_t *columns;  /* key columns */
    const char *keep; /* "first" (default) or "last" */
    bool last;
    size_t ncol;
    int *cache;           /* tf_row_find caches, one per column */
    const char **seen;    /* row->columns[cache[k]] when it matched */
    struct tf_hash keys;  /* key -> line (u), file (p); last: row id (u2) */
    struct tf_hash files; /* interned file names */
    struct isl_buf key;   /* the current row's key */
    char shown[300];      /* the current key for messages: "col=value" */
    const char *last_file_ptr; /* row->file of the previous row */
    const char *last_file;     /* its interned copy */
};

static const struct tf_option unique_options[] = {
    {"columns", TF_OPT_STRING_LIST, true, offsetof(struct unique_ctx, columns),
     "the staging columns that together form the key"},
    {"keep", TF_OPT_STRING, false, offsetof(struct unique_ctx, keep),
     "which row of a duplicate key is kept: \"first\" (default, decided at "
     "once) or \"last\" (decided after the whole input)"},
    {.help = NULL},
};

static int unique_init(struct tf_stage *st, const json_t *opts,
                       const char *column, struct isl_error *err)
{
    struct unique_ctx *c = st->ctx;

    (void)opts;
    (void)column;
    tf_hash_init(&c->keys);
    tf_hash_init(&c->files);
    isl_buf_init(&c->key, SIZE_MAX / 2);
    if (!c->keep || strcmp(c->keep, "first") == 0)
        c->last = false;
    else if (strcmp(c->keep, "last") == 0)
        c->last = true;
    else
        return tf_init_error(err, ".keep: '%s' is not \"first\" or \"last\"",
                             c->keep);
    st->deferred = c->last;
    c->ncol = tf_list_size(c->columns);
    c->cache = malloc(c->ncol * sizeof(*c->cache));
    c->seen = calloc(c->ncol ? c->ncol : 1, sizeof(*c->seen));
    if (!c->cache || !c->seen)
        return ISL_ENOMEM;
    for (size_t i = 0; i < c->ncol; i++) {
        c->cache[i] = -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(tf_list_get(c->columns, i),
                       tf_list_get(c->columns, j)) == 0)
                return tf_init_error(err,
                                     ".columns[%zu]: '%s' is listed "
                                     "twice",
                                     i, tf_list_get(c->columns, i));
    }
    return 0;
}

/* Build the row's key. 1 = all empty (not checked), 0, or TF_REJECT. */
static int make_key(struct tf_stage *st, const struct tf_row *row,
                    struct isl_error *err)
{
    struct unique_ctx *c = st->ctx;
    size_t n = 0;
    bool empty = true;

    isl_buf_reset(&c->key);
    c->shown[0] = '\0';
    for (size_t k = 0; k < c->ncol; k++) {
        const char *name;
        int i = c->cache[k];

        /* the chain passes the same column pointers row after row */
        if (i < 0 || (size_t)i >= row->n || row->columns[i] != c->seen[k]) {
            name = tf_list_get(c->columns, k);
            i = tf_row_find(row, name, &c->cache[k]);
            if (i >= 0)
                c->seen[k] = row->columns[i];
        }
        if (i < 0) {
            name = tf_list_get(c->columns, k);
            snprintf(err->field, sizeof(err->field), "%s", name);
            return tf_reject(st, err, "key column %s is not in the row", name);
        }
        if (row->lens[i])
            empty = false;
        {
            /* length-prefixed, so "E1"+"A" differs from "E1A"+"" */
            uint64_t len = row->lens[i];

            if (isl_buf_add(&c->key, &len, sizeof(len)) < 0 ||
                isl_buf_add(&c->key, row->values[i], row->lens[i]) < 0)
                return tf_reject(st, err, "out of memory");
        }
    }
    (void)n;
    return empty ? 1 : 0;
}

/* The key as shown in messages: "col=value, col=value" (only on errors). */
static void show_key(struct unique_ctx *c, const struct tf_row *row)
{
    size_t n = 0;

    c->shown[0] = '\0';
    for (size_t k = 0; k < c->ncol && n < sizeof(c->shown); k++) {
        const char *name = tf_list_get(c->columns, k);
        int i = tf_row_find(row, name, &c->cache[k]);

        if (i < 0)
            continue;
        n += (size_t)snprintf(
            c->shown + n, sizeof(c->shown) - n, "%s%s=%.*s", k ? ", " : "",
            name, row->lens[i] > 60 ? 60 : (int)row->lens[i], row->values[i]);
    }
    for (char *p = c->shown; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
}

static const char *intern(struct unique_ctx *c, const char *file)
{
    struct tf_hash_entry *e;

    if (!file || !file[0])
        return NULL;
    if (tf_hash_put(&c->files, file, strlen(file), &e) < 0)
        return NULL;
    return e->key;
}

static void where(char *buf, size_t size, const void *file, uint64_t line)
{
    if (file)
        snprintf(buf, size, "%s:%llu", (const char *)file,
                 (unsigned long long)line);
    else
        snprintf(buf, size, "line %llu", (unsigned long long)line);
}

/* A duplicate is reported on the first key column. */
static void set_field(const struct unique_ctx *c, struct isl_error *err)
{
    if (!err->field[0])
        snprintf(err->field, sizeof(err->field), "%s",
                 tf_list_get(c->columns, 0));
}

static int unique_row(struct tf_stage *st, struct tf_row *row,
                      struct isl_error *err)
{
    struct unique_ctx *c = st->ctx;
    struct tf_hash_entry *e;
    char at[300];
    int rc = make_key(st, row, err);

    if (rc != 0)
        return rc == 1 ? TF_PASS : rc;
    rc = tf_hash_put(&c->keys, c->key.data, c->key.len, &e);
    if (rc < 0)
        return tf_reject(st, err, "out of memory");
    if (!c->last && rc == 0) {
        where(at, sizeof(at), e->p, e->u);
        set_field(c, err);
        show_key(c, row);
        return tf_reject(st, err, "duplicate key %s (first seen at %s)",
                         c->shown, at);
    }
    if (rc == 1 || c->last) {
        e->u = row->line;
        if (row->file != c->last_file_ptr) { /* one lookup per input */
            c->last_file_ptr = row->file;
            c->last_file = intern(c, row->file);
        }
        e->p = c->last_file;
        e->u2 = st->row_id;
    }
    return TF_PASS;
}

static int unique_finish(struct tf_stage *st, uint64_t row_id,
                         const struct tf_row *row, struct isl_error *err)
{
    struct unique_ctx *c = st->ctx;
    const struct tf_hash_entry *e;
    char at[300];
    int rc;

    if (!c->last)
        return TF_PASS;
    rc = make_key(st, row, err);
    if (rc != 0)
        return rc == 1 ? TF_PASS : rc;
    e = tf_hash_get(&c->keys, c->key.data, c->key.len);
    if (!e || e->u2 == row_id)
        return TF_PASS;
    where(at, sizeof(at), e->p, e->u);
    set_field(c, err);
    show_key(c, row);
    return tf_reject(st, err, "duplicate key %s (seen again at %s)", c->shown,
                     at);
}

static void unique_close(struct tf_stage *st)
{
    struct unique_ctx *c = st->ctx;

    tf_hash_free(&c->keys);
    tf_hash_free(&c->files);
    isl_buf_free(&c->key);
    free(c->cache);
    free(c->seen);
}

const struct tf_stage_type tf_unique = {
    .name = "unique",
    .kind = TF_ROW,
    .summary = "reject rows whose key repeats an earlier (or later) row's",
    .options = unique_options,
    .ctx_size = sizeof(struct unique_ctx),
    .init = unique_init,
    .row = unique_row,
    .finish = unique_finish,
    .close = unique_close,
};
