/*
 * tf_length.c: the "length" value stage: the value's length in characters
 * (UTF-8 code points, as ServiceNow counts column lengths) must lie in
 * [min, max]. max defaults to 40, ServiceNow's default staging column
 * length: the instance silently truncates longer values, so isload rejects
 * them, or with "truncate": true cuts them at a character boundary.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_error.h"

#include <stddef.h>

#define LENGTH_DEFAULT_MAX 40

struct length_ctx {
    long long min; /* fewest characters (0: none) */
    long long max; /* most characters */
    bool truncate; /* cut longer values instead of rejecting */
};

static const struct tf_option length_options[] = {
    {"min", TF_OPT_INT, false, offsetof(struct length_ctx, min),
     "fewest characters allowed (default 0); applies to empty values too"},
    {"max", TF_OPT_INT, false, offsetof(struct length_ctx, max),
     "most characters allowed (default 40, ServiceNow's default column "
     "length)"},
    {"truncate", TF_OPT_BOOL, false, offsetof(struct length_ctx, truncate),
     "cut longer values to max characters instead of rejecting the row "
     "(default false)"},
    {.help = NULL},
};

static int length_init(struct tf_stage *st, const json_t *opts,
                       const char *column, struct isl_error *err)
{
    struct length_ctx *c = st->ctx;

    (void)column;
    if (!opts || !json_object_get(opts, "max"))
        c->max = LENGTH_DEFAULT_MAX;
    if (c->min < 0)
        return tf_init_error(err, ".min: must not be negative");
    if (c->max < 1)
        return tf_init_error(err, ".max: must be at least 1");
    if (c->max < c->min)
        return tf_init_error(err, ".max: %lld is less than min (%lld)", c->max,
                             c->min);
    /* a value has at most as many characters as bytes */
    st->pass_if.set = c->min == 0;
    st->pass_if.max_len = (size_t)c->max;
    return 0;
}

static int length_value(struct tf_stage *st, const char *in, size_t len,
                        struct isl_buf *out, const struct tf_row *row,
                        struct isl_error *err)
{
    const struct length_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];
    size_t n;

    (void)row;
    /* a value has at most as many characters as bytes */
    if (c->min == 0 && (unsigned long long)len <= (unsigned long long)c->max)
        return TF_PASS;
    n = tf_utf8_count(in, len);
    if ((long long)n < c->min) {
        if (n == 0)
            return tf_reject(st, err,
                             "empty value, at least %lld "
                             "character%s needed",
                             c->min, c->min == 1 ? " is" : "s are");
        return tf_reject(st, err, "%s has %zu character%s, fewer than %lld",
                         tf_quote(q, sizeof(q), in, len), n, n == 1 ? "" : "s",
                         c->min);
    }
    if ((long long)n <= c->max)
        return TF_PASS;
    if (c->truncate)
        return tf_emit(st, out, in, tf_utf8_prefix(in, len, (size_t)c->max),
                       err);
    return tf_reject(st, err, "%s has %zu characters, more than %lld",
                     tf_quote(q, sizeof(q), in, len), n, c->max);
}

const struct tf_stage_type tf_length = {
    .name = "length",
    .kind = TF_VALUE,
    .summary = "length in characters within [min, max]; cut with truncate",
    .options = length_options,
    .ctx_size = sizeof(struct length_ctx),
    .init = length_init,
    .value = length_value,
};
