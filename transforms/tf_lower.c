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

/*
 * Whether lower / upper case would change nothing: the same walk as
 * tf_case_at, without writing. Title case is not checked here.
 */
static bool case_unchanged(const char *in, size_t len, bool upper)
{
    unsigned lo = upper ? 'a' : 'A', hi = upper ? 'z' : 'Z';
    size_t i = 0;

    /* all-ASCII words first: only the letters of the other case matter */
    for (; i + 8 <= len; i += 8) {
        uint64_t w = tf_load8(in + i);

        if (w & TF_HIGHS)
            break;
        if (tf_bytes_in(w, lo, hi))
            return false;
    }
    if (i + 8 > len && i < len) {
        uint64_t w = tf_load_part(in + i, len - i);

        if (!(w & TF_HIGHS))
            return !tf_bytes_in(w, lo, hi);
    }
    while (i < len) {
        unsigned char c = (unsigned char)in[i];

        if (c < 0x80) {
            if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))
                return false;
            i++;
        } else if (c == 0xC3 && i + 1 < len) {
            unsigned char d = (unsigned char)in[i + 1];

            if (upper ? (d >= 0xA0 && d <= 0xBE && d != 0xB7)
                      : (d >= 0x80 && d <= 0x9E && d != 0x97))
                return false;
            i += 2;
        } else {
            i++;
        }
    }
    return true;
}

int tf_case_change(const struct tf_stage *st, const char *in, size_t len,
                   struct isl_buf *out, enum tf_case_mode mode,
                   struct isl_error *err)
{
    int rc;
    bool in_word = false;

    /* the common case, a value already in the wanted case: no copy (a
     * value past the buffer's cap still goes through tf_emit's reject) */
    if (mode != TF_CASE_TITLE && len <= out->cap &&
        case_unchanged(in, len, mode == TF_CASE_UPPER)) {
        isl_buf_reset(out);
        return TF_PASS;
    }
    rc = tf_emit(st, out, in, len, err);

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
