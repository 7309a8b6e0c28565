/*
 * tf_default.c: the "default" value stage: an empty value becomes the
 * given text ({"default": "n/a"}); other values pass unchanged.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"

#include <stddef.h>
#include <string.h>

struct default_ctx {
    const char *text; /* the value used for empty input */
};

static const struct tf_option default_options[] = {
    {NULL, TF_OPT_STRING, true, offsetof(struct default_ctx, text),
     "the value an empty value is replaced by"},
    {.help = NULL},
};

static int default_value(struct tf_stage *st, const char *in, size_t len,
                         struct isl_buf *out, const struct tf_row *row,
                         struct isl_error *err)
{
    const struct default_ctx *c = st->ctx;

    (void)in;
    (void)row;
    if (len > 0 || c->text[0] == '\0')
        return TF_PASS;
    return tf_emit(st, out, c->text, strlen(c->text), err);
}

const struct tf_stage_type tf_default = {
    .name = "default",
    .kind = TF_VALUE,
    .summary = "replace an empty value by a fixed one",
    .options = default_options,
    .ctx_size = sizeof(struct default_ctx),
    .value = default_value,
};
