/*
 * tf_trim.c: the "trim" value stage: strip leading and trailing white
 * space (ASCII space, tab, CR, LF, VT, FF and U+00A0 no-break space, which
 * spreadsheet exports often leave behind).
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"

static const struct tf_option trim_options[] = {{.help = NULL}};

static int trim_value(struct tf_stage *st, const char *in, size_t len,
                      struct isl_buf *out, const struct tf_row *row,
                      struct isl_error *err)
{
    size_t a = 0, b = len, n;

    (void)row;
    if (len == 0)
        return TF_PASS;
    {
        /* the common case: no space at either end. Every space byte is
         * <= 0x20; U+00A0 starts with 0xC2 and ends with 0xA0 */
        unsigned char first = (unsigned char)in[0];
        unsigned char last = (unsigned char)in[len - 1];

        if (first > 0x20 && first != 0xC2 && last > 0x20 && last != 0xA0)
            return TF_PASS;
    }
    while (a < b && (n = tf_space_at(in, b, a)) > 0)
        a += n;
    for (;;) {
        if (b > a && tf_is_space(in[b - 1]))
            b--;
        else if (b >= a + 2 && (unsigned char)in[b - 2] == 0xC2 &&
                 (unsigned char)in[b - 1] == 0xA0)
            b -= 2;
        else
            break;
    }
    if (a == 0 && b == len)
        return TF_PASS;
    return tf_emit(st, out, in + a, b - a, err);
}

const struct tf_stage_type tf_trim = {
    .name = "trim",
    .kind = TF_VALUE,
    .summary = "strip leading and trailing white space (including U+00A0)",
    .options = trim_options,
    .ctx_size = 0,
    .value = trim_value,
    /* no space byte at either end: see the check at the top of trim_value */
    .pass_if = {.set = true, .plain_ends = true, .max_len = SIZE_MAX},
};
