/*
 * tf_pattern.c: the "pattern" value stage: the value must match a POSIX
 * extended regular expression ({"pattern": "^E[0-9]{7}$"}). Anchor it
 * with ^ and $ to match the whole value. The expression is compiled once,
 * at init, so a bad one is a feed mistake. Empty values pass (use
 * "required" on the field to forbid them).
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <regex.h>
#include <stddef.h>

struct pattern_ctx {
    const char *re_text; /* the expression as written */
    regex_t re;
    bool compiled;
    struct isl_buf scratch; /* NUL-terminated copy of the value */
};

static const struct tf_option pattern_options[] = {
    {NULL, TF_OPT_STRING, true, offsetof(struct pattern_ctx, re_text),
     "POSIX extended regular expression the value must match"},
    {.help = NULL},
};

static int pattern_init(struct tf_stage *st, const json_t *opts,
                        const char *column, struct isl_error *err)
{
    struct pattern_ctx *c = st->ctx;
    int rc;

    (void)opts;
    (void)column;
    isl_buf_init(&c->scratch, SIZE_MAX / 2);
    rc = regcomp(&c->re, c->re_text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[200];

        regerror(rc, &c->re, msg, sizeof(msg));
        return tf_init_error(err, "bad regular expression '%s': %s", c->re_text,
                             msg);
    }
    c->compiled = true;
    return 0;
}

static int pattern_value(struct tf_stage *st, const char *in, size_t len,
                         struct isl_buf *out, const struct tf_row *row,
                         struct isl_error *err)
{
    struct pattern_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];

    (void)out;
    (void)row;
    if (len == 0)
        return TF_PASS;
    isl_buf_reset(&c->scratch);
    if (isl_buf_add(&c->scratch, in, len) < 0)
        return tf_reject(st, err, "out of memory");
    if (regexec(&c->re, c->scratch.data, 0, NULL, 0) == 0)
        return TF_PASS;
    return tf_reject(st, err, "%s does not match %s",
                     tf_quote(q, sizeof(q), in, len), c->re_text);
}

static void pattern_close(struct tf_stage *st)
{
    struct pattern_ctx *c = st->ctx;

    if (c->compiled)
        regfree(&c->re);
    isl_buf_free(&c->scratch);
}

const struct tf_stage_type tf_pattern = {
    .name = "pattern",
    .kind = TF_VALUE,
    .summary = "the value must match a POSIX extended regular expression",
    .options = pattern_options,
    .ctx_size = sizeof(struct pattern_ctx),
    .init = pattern_init,
    .value = pattern_value,
    .close = pattern_close,
};
