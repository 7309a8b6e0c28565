/*
 * tf_unique.c: the "unique" row stage: the key columns must not repeat
 * within the feed ({"unique": {"columns": ["u_employee_id"], "keep":
 * "first"}}). Keys are compared exactly, after the value stages; a row
 * whose key columns are all empty is not checked.
 *
 * keep "first" decides at once: row() remembers each key's line and
 * rejects a later row with the same key, naming the first line. keep
 * "last" is deferred: row() records key -> the latest row, and finish(),
 * run over the accepted rows after the whole input, rejects every row whose
 * key was seen again later, naming the last line with that key.
 *
 * Keys live in a tf_keyidx, whose resident memory stays bounded (about
 * 5.5 MiB) however many keys there are; the rest is in temporary files in
 * $TMPDIR. keep "last" also marks each row that a later row replaced, in
 * a bitmap file indexed by row id, so finish() looks up only those rows.
 * Put unique after the row stages that may reject or filter rows: a row
 * that a later stage drops still counts as seen.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_keyidx.h"
#include "isl_tmpfile.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WINDOW 4096 /* bytes of the replaced-rows bitmap read at a time */

struct unique_ctx {
    json_t *columns;  /* key columns */
    const char *keep; /* "first" (default) or "last" */
    bool last;
    size_t ncol;
    int *cache;             /* tf_row_find caches, one per column */
    const char **seen;      /* row->columns[cache[k]] when it matched */
    struct tf_keyidx *keys; /* key -> line, file, row id (opened lazily) */
    char **files;           /* file names by number (0 = none) */
    size_t nfiles;
    const char *last_file_ptr; /* row->file of the previous row */
    uint32_t last_file;        /* its number */
    struct isl_buf key;        /* the current row's key */
    char shown[300];           /* the current key for messages: "col=value" */
    int replaced;              /* keep last: bitmap file of replaced rows */
    uint8_t window[WINDOW];    /* finish: a window of that bitmap */
    uint64_t window_at;        /* its first byte, or UINT64_MAX */
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
    c->replaced = -1;
    c->window_at = UINT64_MAX;
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

/* The number of row->file (0 for none), added to the list when new. */
static int file_number(struct unique_ctx *c, const char *file, uint32_t *num)
{
    char **p;

    if (file == c->last_file_ptr) { /* one lookup per input */
        *num = c->last_file;
        return 0;
    }
    *num = 0;
    if (file && file[0]) {
        for (size_t i = 0; i < c->nfiles && !*num; i++)
            if (strcmp(c->files[i], file) == 0)
                *num = (uint32_t)i + 1;
        if (!*num) {
            if (c->nfiles >= UINT32_MAX - 1 ||
                !(p = realloc(c->files, (c->nfiles + 1) * sizeof(*p))))
                return ISL_ENOMEM;
            c->files = p;
            if (!(p[c->nfiles] = strdup(file)))
                return ISL_ENOMEM;
            *num = (uint32_t)++c->nfiles;
        }
    }
    c->last_file_ptr = file;
    c->last_file = *num;
    return 0;
}

static void where(const struct unique_ctx *c, char *buf, size_t size,
                  const struct tf_keyrec *rec)
{
    if (rec->file && rec->file <= c->nfiles)
        snprintf(buf, size, "%s:%llu", c->files[rec->file - 1],
                 (unsigned long long)rec->line);
    else
        snprintf(buf, size, "line %llu", (unsigned long long)rec->line);
}

/* A failure of the key index stops the run (it is not the row's fault):
 * the code (< 0) is returned with the index's message in err. */
static int index_error(int rc, const struct isl_error *ie,
                       struct isl_error *err)
{
    snprintf(err->msg, sizeof(err->msg), "%s", ie->msg);
    err->code = rc;
    return rc;
}

/* keep last: remember that row_id was replaced by a later row. */
static int mark_replaced(struct unique_ctx *c, uint64_t row_id,
                         struct isl_error *err)
{
    uint8_t byte = 0;

    if (c->replaced < 0 && (c->replaced = isl_tmpfile_fd("unique", err)) < 0)
        return ISL_EIO;
    if (tf_pread_full(c->replaced, &byte, 1, row_id >> 3) < 0)
        return isl_error_set(err, ISL_EIO, "unique",
                             "cannot read the replaced-rows file");
    byte |= (uint8_t)(1u << (row_id & 7));
    if (tf_pwrite_full(c->replaced, &byte, 1, row_id >> 3) < 0)
        return isl_error_set(err, ISL_EIO, "unique",
                             "cannot write the replaced-rows file");
    return 0;
}

/* Whether row_id was replaced: 1, 0, or ISL_EIO. finish() asks in
 * increasing row order, so the bitmap is read a window at a time. */
static int was_replaced(struct unique_ctx *c, uint64_t row_id,
                        struct isl_error *err)
{
    uint64_t at = row_id >> 3;

    if (c->replaced < 0)
        return 0;
    if (c->window_at == UINT64_MAX || at < c->window_at ||
        at >= c->window_at + WINDOW) {
        c->window_at = at - at % WINDOW;
        memset(c->window, 0, WINDOW);
        if (tf_pread_full(c->replaced, c->window, WINDOW, c->window_at) < 0)
            return isl_error_set(err, ISL_EIO, "unique",
                                 "cannot read the replaced-rows file");
    }
    return (c->window[at - c->window_at] >> (row_id & 7)) & 1;
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
    struct tf_keyrec rec = {.line = row->line, .row_id = st->row_id};
    struct tf_keyrec old;
    struct isl_error ie;
    char at[300];
    int rc = make_key(st, row, err);

    if (rc != 0)
        return rc == 1 ? TF_PASS : rc;
    if (file_number(c, row->file, &rec.file) < 0)
        return isl_error_set(err, ISL_ENOMEM, "unique", "out of memory");
    if (!c->keys && (rc = tf_keyidx_open(&c->keys, &ie)) < 0)
        return index_error(rc, &ie, err);
    rc = tf_keyidx_put(c->keys, c->key.data, c->key.len,
                       tf_keyidx_hash(c->key.data, c->key.len), &rec, c->last,
                       &old, &ie);
    if (rc < 0)
        return index_error(rc, &ie, err);
    if (rc == 1)
        return TF_PASS;
    if (c->last) {
        if ((rc = mark_replaced(c, old.row_id, &ie)) < 0)
            return index_error(rc, &ie, err);
        return TF_PASS;
    }
    where(c, at, sizeof(at), &old);
    set_field(c, err);
    show_key(c, row);
    return tf_reject(st, err, "duplicate key %s (first seen at %s)", c->shown,
                     at);
}

static int unique_finish(struct tf_stage *st, uint64_t row_id,
                         const struct tf_row *row, struct isl_error *err)
{
    struct unique_ctx *c = st->ctx;
    struct tf_keyrec rec;
    struct isl_error ie;
    char at[300];
    int rc;

    if (!c->last || !c->keys)
        return TF_PASS;
    rc = make_key(st, row, err);
    if (rc != 0)
        return rc == 1 ? TF_PASS : rc;
    if ((rc = was_replaced(c, row_id, &ie)) <= 0)
        return rc < 0 ? index_error(rc, &ie, err) : TF_PASS;
    rc = tf_keyidx_find(c->keys, c->key.data, c->key.len,
                        tf_keyidx_hash(c->key.data, c->key.len), &rec, &ie);
    if (rc < 0)
        return index_error(rc, &ie, err);
    if (rc == 0 || rec.row_id == row_id) /* cannot happen: replaced rows
                                            have a newer record */
        return TF_PASS;
    where(c, at, sizeof(at), &rec);
    set_field(c, err);
    show_key(c, row);
    return tf_reject(st, err, "duplicate key %s (seen again at %s)", c->shown,
                     at);
}

static void unique_close(struct tf_stage *st)
{
    struct unique_ctx *c = st->ctx;

    tf_keyidx_close(c->keys);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    if (c->replaced >= 0)
        close(c->replaced);
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
