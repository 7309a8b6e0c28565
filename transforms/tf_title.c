/*
 * tf_title.c: the "title" value stage: the first letter of every word
 * upper case, the others lower case ("mary-jane o'neil" -> "Mary-Jane
 * O'neil"). An apostrophe does not start a word, so "don't" stays "Don't".
 */
#include "isl_setup.h"
#include "tf_case.h"

static const struct tf_option title_options[] = {{.help = NULL}};

static int title_value(struct tf_stage *st, const char *in, size_t len,
                       struct isl_buf *out, const struct tf_row *row,
                       struct isl_error *err)
{
    (void)row;
    return tf_case_change(st, in, len, out, TF_CASE_TITLE, err);
}

const struct tf_stage_type tf_title = {
    .name = "title",
    .kind = TF_VALUE,
    .summary = "title case: first letter of each word upper, rest lower",
    .options = title_options,
    .ctx_size = 0,
    .value = title_value,
};
