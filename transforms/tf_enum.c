/*
 * tf_enum.c: the "enum" value stage: the value must be one of a list
 * ({"enum": {"values": ["Active", "Inactive"], "case": "insensitive"}}).
 * With case "insensitive" (ASCII letters) the output is the spelling from
 * the list, so "ACTIVE" becomes "Active". Empty values pass.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define ENUM_CACHED 16

struct enum_ctx {
    json_t *values;   /* allowed values (array of strings or one string) */
    const char *mode; /* "sensitive" or "insensitive" */
    bool insensitive;
    char list[200]; /* "Active, Inactive" for messages */
    size_t count;   /* number of values */
    /* the first values and their lengths, looked up once at init */
    const char *v[ENUM_CACHED];
    size_t vlen[ENUM_CACHED];
};

static const struct tf_option enum_options[] = {
    {"values", TF_OPT_STRING_LIST, true, offsetof(struct enum_ctx, values),
     "the allowed values"},
    {"case", TF_OPT_STRING, false, offsetof(struct enum_ctx, mode),
     "\"sensitive\" (default) or \"insensitive\": compare ignoring ASCII "
     "case and output the listed spelling"},
    {.help = NULL},
};

static int enum_init(struct tf_stage *st, const json_t *opts,
                     const char *column, struct isl_error *err)
{
    struct enum_ctx *c = st->ctx;
    size_t n = 0, count = tf_list_size(c->values);

    (void)opts;
    (void)column;
    if (tf_case_option(c->mode, "case", &c->insensitive, err) < 0)
        return ISL_ECONFIG;
    c->count = count;
    for (size_t i = 0; i < count && i < ENUM_CACHED; i++) {
        c->v[i] = tf_list_get(c->values, i);
        c->vlen[i] = strlen(c->v[i]);
    }
    for (size_t i = 0; i < count && n < sizeof(c->list); i++) {
        const char *v = tf_list_get(c->values, i);

        if (n + strlen(v) + 8 >= sizeof(c->list)) {
            snprintf(c->list + n, sizeof(c->list) - n, ", ...");
            break;
        }
        n += (size_t)snprintf(c->list + n, sizeof(c->list) - n, "%s%s",
                              i ? ", " : "", v);
    }
    return 0;
}

static int enum_value(struct tf_stage *st, const char *in, size_t len,
                      struct isl_buf *out, const struct tf_row *row,
                      struct isl_error *err)
{
    const struct enum_ctx *c = st->ctx;
    size_t count = c->count;
    char q[TF_QUOTE_MAX + 8];

    (void)row;
    if (len == 0)
        return TF_PASS;
    for (size_t i = 0; i < count; i++) {
        const char *v;
        size_t vlen;

        if (i < ENUM_CACHED) {
            if (c->vlen[i] != len)
                continue;
            v = c->v[i];
            vlen = len;
        } else {
            v = tf_list_get(c->values, i);
            vlen = strlen(v);
        }
        if (!tf_ascii_eq(in, len, v, vlen, c->insensitive))
            continue;
        if (memcmp(in, v, len) == 0)
            return TF_PASS;
        return tf_emit(st, out, v, vlen, err);
    }
    return tf_reject(st, err, "%s is not one of %s",
                     tf_quote(q, sizeof(q), in, len), c->list);
}

const struct tf_stage_type tf_enum = {
    .name = "enum",
    .kind = TF_VALUE,
    .summary = "the value must be one of a list",
    .options = enum_options,
    .ctx_size = sizeof(struct enum_ctx),
    .init = enum_init,
    .value = enum_value,
};
