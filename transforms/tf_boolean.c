/*
 * tf_boolean.c: the "boolean" value stage: map yes/no-like words to
 * "true" / "false", the values ServiceNow's boolean columns take. The
 * default words are true/false, yes/no, y/n, 1/0; "true" and "false"
 * replace them ({"boolean": {"true": ["A", "Active"], "false": ["T"]}}).
 * Comparison ignores ASCII case unless "case" is "sensitive". Empty values
 * pass.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define BOOL_CACHED 16

/* The words of one side, looked up once at init. */
struct words {
    size_t n; /* number of words */
    bool all; /* all n are in w / len */
    const char *w[BOOL_CACHED];
    size_t len[BOOL_CACHED];
};

struct boolean_ctx {
    json_t *yes, *no; /* words for true and false, or NULL (defaults) */
    const char *mode; /* "insensitive" (default) or "sensitive" */
    bool insensitive;
    struct words yes_w, no_w;
};

static const char *const default_true[] = {"true", "yes", "y", "1", NULL};
static const char *const default_false[] = {"false", "no", "n", "0", NULL};

static const struct tf_option boolean_options[] = {
    {"true", TF_OPT_STRING_LIST, false, offsetof(struct boolean_ctx, yes),
     "words meaning true (default true, yes, y, 1)"},
    {"false", TF_OPT_STRING_LIST, false, offsetof(struct boolean_ctx, no),
     "words meaning false (default false, no, n, 0)"},
    {"case", TF_OPT_STRING, false, offsetof(struct boolean_ctx, mode),
     "\"insensitive\" (default) or \"sensitive\""},
    {.help = NULL},
};

static const char *word(const json_t *list, const char *const *dflt, size_t i)
{
    return list ? tf_list_get(list, i) : dflt[i];
}

static bool listed(const json_t *list, const char *const *dflt, const char *in,
                   size_t len, bool insensitive)
{
    const char *w;

    for (size_t i = 0; (w = word(list, dflt, i)) != NULL; i++)
        if (tf_ascii_eq(in, len, w, strlen(w), insensitive))
            return true;
    return false;
}

static void cache_words(struct words *ws, const json_t *list,
                        const char *const *dflt)
{
    const char *w;

    ws->n = 0;
    for (size_t i = 0; (w = word(list, dflt, i)) != NULL; i++) {
        if (i < BOOL_CACHED) {
            ws->w[i] = w;
            ws->len[i] = strlen(w);
        }
        ws->n++;
    }
    ws->all = ws->n <= BOOL_CACHED;
}

static bool listed_cached(const struct words *ws, const json_t *list,
                          const char *const *dflt, const char *in, size_t len,
                          bool insensitive)
{
    if (!ws->all)
        return listed(list, dflt, in, len, insensitive);
    for (size_t i = 0; i < ws->n; i++)
        if (ws->len[i] == len &&
            tf_ascii_eq(in, len, ws->w[i], len, insensitive))
            return true;
    return false;
}

static int boolean_init(struct tf_stage *st, const json_t *opts,
                        const char *column, struct isl_error *err)
{
    struct boolean_ctx *c = st->ctx;
    const char *w;

    (void)opts;
    (void)column;
    if (!c->mode)
        c->insensitive = true;
    else if (tf_case_option(c->mode, "case", &c->insensitive, err) < 0)
        return ISL_ECONFIG;
    for (size_t i = 0; (w = word(c->yes, default_true, i)) != NULL; i++)
        if (listed(c->no, default_false, w, strlen(w), c->insensitive))
            return tf_init_error(err,
                                 ".%s: '%s' is both a true and a false "
                                 "word",
                                 c->yes ? "true" : "false", w);
    cache_words(&c->yes_w, c->yes, default_true);
    cache_words(&c->no_w, c->no, default_false);
    return 0;
}

static int boolean_value(struct tf_stage *st, const char *in, size_t len,
                         struct isl_buf *out, const struct tf_row *row,
                         struct isl_error *err)
{
    const struct boolean_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];
    const char *res = NULL;

    (void)row;
    if (len == 0)
        return TF_PASS;
    if (listed_cached(&c->yes_w, c->yes, default_true, in, len, c->insensitive))
        res = "true";
    else if (listed_cached(&c->no_w, c->no, default_false, in, len,
                           c->insensitive))
        res = "false";
    if (!res)
        return tf_reject(st, err, "%s is not a true or false word",
                         tf_quote(q, sizeof(q), in, len));
    {
        size_t rlen = res[0] == 't' ? 4 : 5; /* "true" or "false" */

        if (rlen == len && memcmp(res, in, len) == 0)
            return TF_PASS;
        return tf_emit(st, out, res, rlen, err);
    }
}

const struct tf_stage_type tf_boolean = {
    .name = "boolean",
    .kind = TF_VALUE,
    .summary = "map yes/no words to true / false",
    .options = boolean_options,
    .ctx_size = sizeof(struct boolean_ctx),
    .init = boolean_init,
    .value = boolean_value,
};
