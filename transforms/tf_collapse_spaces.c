/*
 * tf_collapse_spaces.c: the "collapse_spaces" value stage: every run of
 * white space (ASCII white space and U+00A0) becomes one ASCII space.
 * Leading and trailing runs become one space too; use "trim" for those.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"

static const struct tf_option collapse_options[] = {{.help = NULL}};

static int collapse_value(struct tf_stage *st, const char *in, size_t len,
                          struct isl_buf *out, const struct tf_row *row,
                          struct isl_error *err)
{
    bool change = false;
    size_t i, n;

    (void)row;
    /* fastest path, a word at a time: no byte that could start a space
     * (every space byte is <= 0x20, U+00A0 starts with 0xC2) */
    for (i = 0;; i += 8) {
        uint64_t w;

        if (i + 8 <= len)
            w = tf_load8(in + i);
        else if (i < len) /* the padding bytes as 0xFF: not a space */
            w = tf_load_part(in + i, len - i) | (~0ULL << (8 * (len - i)));
        else
            return TF_PASS;
        if (tf_has_less(w, 0x21) || tf_has_less(w ^ (TF_ONES * 0xC2), 1))
            break;
    }
    /* fast path: a run is only a change when it is not one plain space */
    for (i = 0; i < len && !change; i += n ? n : 1) {
        n = tf_space_at(in, len, i);
        if (n && (in[i] != ' ' || (i + 1 < len && tf_space_at(in, len, i + 1))))
            change = true;
    }
    if (!change)
        return TF_PASS;
    isl_buf_reset(out);
    for (i = 0; i < len;) {
        n = tf_space_at(in, len, i);
        if (!n) {
            size_t j = i;

            while (j < len && !tf_space_at(in, len, j))
                j++;
            if (isl_buf_add(out, in + i, j - i) < 0)
                return tf_reject(st, err,
                                 "the result does not fit the value "
                                 "buffer");
            i = j;
            continue;
        }
        while (i < len && (n = tf_space_at(in, len, i)) > 0)
            i += n;
        if (isl_buf_addc(out, ' ') < 0)
            return tf_reject(st, err,
                             "the result does not fit the value "
                             "buffer");
    }
    return TF_CHANGED;
}

const struct tf_stage_type tf_collapse_spaces = {
    .name = "collapse_spaces",
    .kind = TF_VALUE,
    .summary = "turn every run of white space into one space",
    .options = collapse_options,
    .ctx_size = 0,
    .value = collapse_value,
};
