/*
 * tf_lower.c: the "lower" value stage, and the case-changing core shared
 * with upper and title (tf_case.h). Only ASCII and Latin-1 letters change
 * case; other non-ASCII characters are kept byte for byte.
 */
#include "isl_setup.h"
#include "tf_case.h"
#include "tf_util.h"
#include "isl_buf.h"

#include <string.h>

static bool word_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '\'' || (unsigned char)c >= 0x80;
}

int tf_case_change(const struct tf_stage *st, const char *in, size_t len,
                   struct isl_buf *out, enum tf_case_mode mode,
                   struct isl_error *err)
{
    int rc = tf_emit(st, out, in, len, err);
    bool in_word = false;

    if (rc != TF_CHANGED)
        return rc;
    for (size_t i = 0; i < len;) {
        bool upper =
            mode == TF_CASE_UPPER || (mode == TF_CASE_TITLE && !in_word);

        in_word = word_byte(out->data[i]);
        i += tf_case_at(out->data, len, i, upper);
    }
    if (memcmp(out->data, in, len) == 0) {
        isl_buf_reset(out);
        return TF_PASS;
    }
    return TF_CHANGED;
}

static const struct tf_option lower_options[] = {{.help = NULL}};

static int lower_value(struct tf_stage *st, const char *in, size_t len,
                       struct isl_buf *out, const struct tf_row *row,
                       struct isl_error *err)
{
    (void)row;
    return tf_case_change(st, in, len, out, TF_CASE_LOWER, err);
}

const struct tf_stage_type tf_lower = {
    .name = "lower",
    .kind = TF_VALUE,
    .summary = "lower-case ASCII and Latin-1 letters",
    .options = lower_options,
    .ctx_size = 0,
    .value = lower_value,
};
