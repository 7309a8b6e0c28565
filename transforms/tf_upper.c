/*
 * tf_upper.c: the "upper" value stage (see tf_case.h).
 */
#include "isl_setup.h"
#include "tf_case.h"

static const struct tf_option upper_options[] = {{.help = NULL}};

static int upper_value(struct tf_stage *st, const char *in, size_t len,
                       struct isl_buf *out, const struct tf_row *row,
                       struct isl_error *err)
{
    (void)row;
    return tf_case_change(st, in, len, out, TF_CASE_UPPER, err);
}

const struct tf_stage_type tf_upper = {
    .name = "upper",
    .kind = TF_VALUE,
    .summary = "upper-case ASCII and Latin-1 letters",
    .options = upper_options,
    .ctx_size = 0,
    .value = upper_value,
};
