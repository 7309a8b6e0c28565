/*
 * tf_filter.c: the "filter" row stage: drop rows whose column matches a
 * condition ({"filter": {"column": "u_status", "equals": "Test"}}).
 * Exactly one condition: "equals" (string), "in" (list), "matches" (POSIX
 * extended regex, compiled at init) or "empty" (true: the value is empty,
 * false: it is not). "negate": true drops the rows that do not match
 * instead. Dropped rows are counted as filtered, not rejected.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct filter_ctx {
    const char *column;
    const char *equals;
    json_t *in;
    const char *matches;
    bool empty;
    bool negate;
    bool has_empty;
    bool compiled;
    regex_t re;
    int cache;
    struct isl_buf scratch; /* NUL-terminated value for regexec */
    char desc[200];         /* the condition, for messages */
};

static const struct tf_option filter_options[] = {
    {"column", TF_OPT_STRING, true, offsetof(struct filter_ctx, column),
     "the staging column tested"},
    {"equals", TF_OPT_STRING, false, offsetof(struct filter_ctx, equals),
     "drop rows whose value is exactly this"},
    {"in", TF_OPT_STRING_LIST, false, offsetof(struct filter_ctx, in),
     "drop rows whose value is one of these"},
    {"matches", TF_OPT_STRING, false, offsetof(struct filter_ctx, matches),
     "drop rows whose value matches this POSIX extended regex"},
    {"empty", TF_OPT_BOOL, false, offsetof(struct filter_ctx, empty),
     "true: drop rows whose value is empty; false: those where it is not"},
    {"negate", TF_OPT_BOOL, false, offsetof(struct filter_ctx, negate),
     "drop the rows that do not match instead (default false)"},
    {.help = NULL},
};

static int filter_init(struct tf_stage *st, const json_t *opts,
                       const char *column, struct isl_error *err)
{
    struct filter_ctx *c = st->ctx;
    int n = 0, rc;

    (void)column;
    isl_buf_init(&c->scratch, SIZE_MAX / 2);
    c->cache = -1;
    c->has_empty = json_object_get(opts, "empty") != NULL;
    n = (c->equals != NULL) + (c->in != NULL) + (c->matches != NULL) +
        c->has_empty;
    if (n != 1)
        return tf_init_error(err,
                             "needs exactly one of equals, in, matches "
                             "or empty (found %d)",
                             n);
    if (c->equals) {
        snprintf(c->desc, sizeof(c->desc), "equals '%s'", c->equals);
    } else if (c->in) {
        snprintf(c->desc, sizeof(c->desc), "is in the list of %zu",
                 tf_list_size(c->in));
    } else if (c->matches) {
        rc = regcomp(&c->re, c->matches, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[200];

            regerror(rc, &c->re, msg, sizeof(msg));
            return tf_init_error(err,
                                 ".matches: bad regular expression "
                                 "'%s': %s",
                                 c->matches, msg);
        }
        c->compiled = true;
        snprintf(c->desc, sizeof(c->desc), "matches '%s'", c->matches);
    } else {
        snprintf(c->desc, sizeof(c->desc), "is %s",
                 c->empty ? "empty" : "not empty");
    }
    return 0;
}

static bool test(struct filter_ctx *c, const char *v, size_t len)
{
    if (c->equals)
        return strlen(c->equals) == len && memcmp(c->equals, v, len) == 0;
    if (c->in) {
        size_t n = tf_list_size(c->in);

        for (size_t i = 0; i < n; i++) {
            const char *w = tf_list_get(c->in, i);

            if (strlen(w) == len && memcmp(w, v, len) == 0)
                return true;
        }
        return false;
    }
    if (c->compiled) {
        isl_buf_reset(&c->scratch);
        if (isl_buf_add(&c->scratch, v, len) < 0 ||
            isl_buf_reserve(&c->scratch, 0) < 0)
            return false;
        return regexec(&c->re, c->scratch.data, 0, NULL, 0) == 0;
    }
    return (len == 0) == c->empty;
}

static int filter_row(struct tf_stage *st, struct tf_row *row,
                      struct isl_error *err)
{
    struct filter_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];
    int i = tf_row_find(row, c->column, &c->cache);

    if (i < 0) {
        snprintf(err->field, sizeof(err->field), "%s", c->column);
        return tf_reject(st, err, "column %s is not in the row", c->column);
    }
    if (test(c, row->values[i], row->lens[i]) == c->negate)
        return TF_PASS;
    snprintf(err->field, sizeof(err->field), "%s", c->column);
    snprintf(err->rule, sizeof(err->rule), "filter");
    tf_quote(q, sizeof(q), row->values[i], row->lens[i]);
    snprintf(err->msg, sizeof(err->msg), "%s %s %s%s", c->column, q,
             c->negate ? "does not satisfy: " : "", c->desc);
    return TF_FILTER;
}

static void filter_close(struct tf_stage *st)
{
    struct filter_ctx *c = st->ctx;

    if (c->compiled)
        regfree(&c->re);
    isl_buf_free(&c->scratch);
}

const struct tf_stage_type tf_filter = {
    .name = "filter",
    .kind = TF_ROW,
    .summary = "drop rows whose column matches a condition (counted as "
               "filtered)",
    .options = filter_options,
    .ctx_size = sizeof(struct filter_ctx),
    .init = filter_init,
    .row = filter_row,
    .close = filter_close,
};
