/*
 * tf_reference.c: the "reference" row stage: a column must name a row of
 * the same feed ({"reference": {"column": "u_manager_id", "to":
 * "u_employee_id"}}), e.g. every manager must be an employee in the file.
 * Deferred, since the referenced row may come later: row() adds each
 * row's "to" value to a key set (a tf_hash, memory proportional to the
 * number of keys), and finish(), run over the accepted rows after the
 * whole input, rejects a row whose "column" value is not empty and not in
 * the set. A row that a later row stage drops still counts as present.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_hash.h"
#include "tf_util.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct reference_ctx {
    const char *column; /* the referring column */
    const char *to;     /* the referenced (key) column */
    int ccache, tcache; /* tf_row_find caches */
    struct tf_hash keys;
};

static const struct tf_option reference_options[] = {
    {"column", TF_OPT_STRING, true, offsetof(struct reference_ctx, column),
     "the staging column holding the reference (empty values are not "
     "checked)"},
    {"to", TF_OPT_STRING, true, offsetof(struct reference_ctx, to),
     "the staging column whose values the reference must match"},
    {.help = NULL},
};

static int reference_init(struct tf_stage *st, const json_t *opts,
                          const char *column, struct isl_error *err)
{
    struct reference_ctx *c = st->ctx;

    (void)opts;
    (void)column;
    (void)err;
    tf_hash_init(&c->keys);
    c->ccache = c->tcache = -1;
    return 0;
}

static int missing(struct tf_stage *st, const char *name, struct isl_error *err)
{
    snprintf(err->field, sizeof(err->field), "%s", name);
    return tf_reject(st, err, "column %s is not in the row", name);
}

static int reference_row(struct tf_stage *st, struct tf_row *row,
                         struct isl_error *err)
{
    struct reference_ctx *c = st->ctx;
    struct tf_hash_entry *e;
    int i = tf_row_find(row, c->to, &c->tcache);

    if (i < 0)
        return missing(st, c->to, err);
    if (tf_row_find(row, c->column, &c->ccache) < 0)
        return missing(st, c->column, err);
    if (row->lens[i] &&
        tf_hash_put(&c->keys, row->values[i], row->lens[i], &e) < 0)
        return tf_reject(st, err, "out of memory");
    return TF_PASS;
}

static int reference_finish(struct tf_stage *st, uint64_t row_id,
                            const struct tf_row *row, struct isl_error *err)
{
    struct reference_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];
    int i = tf_row_find(row, c->column, &c->ccache);

    (void)row_id;
    if (i < 0)
        return missing(st, c->column, err);
    if (row->lens[i] == 0 ||
        tf_hash_get(&c->keys, row->values[i], row->lens[i]))
        return TF_PASS;
    snprintf(err->field, sizeof(err->field), "%s", c->column);
    tf_quote(q, sizeof(q), row->values[i], row->lens[i]);
    /* the example style is col=value: drop the quotes */
    q[strlen(q) - 1] = '\0';
    return tf_reject(st, err, "%s=%s matches no %s in the feed", c->column,
                     q + 1, c->to);
}

static void reference_close(struct tf_stage *st)
{
    struct reference_ctx *c = st->ctx;

    tf_hash_free(&c->keys);
}

const struct tf_stage_type tf_reference = {
    .name = "reference",
    .kind = TF_ROW,
    .summary = "a column must match another column's value in some row of "
               "the feed",
    .options = reference_options,
    .ctx_size = sizeof(struct reference_ctx),
    .init = reference_init,
    .row = reference_row,
    .finish = reference_finish,
    .close = reference_close,
};
