/*
 * tf_no_null.c: the "no_null" value stage: reject the literal value NULL,
 * which ServiceNow's import reads as "clear the target field". The chain
 * applies the same rule to every field unless the feed sets allow_null;
 * the stage is for feeds that allow NULL in general but not in one field.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"

#include <string.h>

static const struct tf_option no_null_options[] = {{.help = NULL}};

static int no_null_value(struct tf_stage *st, const char *in, size_t len,
                         struct isl_buf *out, const struct tf_row *row,
                         struct isl_error *err)
{
    (void)out;
    (void)row;
    if (len == 4 && memcmp(in, "NULL", 4) == 0)
        return tf_reject(st, err,
                         "the literal NULL clears the target field "
                         "in ServiceNow");
    return TF_PASS;
}

const struct tf_stage_type tf_no_null = {
    .name = "no_null",
    .kind = TF_VALUE,
    .summary = "reject the literal NULL (ServiceNow clears the field)",
    .options = no_null_options,
    .ctx_size = 0,
    .value = no_null_value,
};
