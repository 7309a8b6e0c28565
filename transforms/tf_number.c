/*
 * tf_number.c: the "number" value stage: check and normalise a decimal
 * number. Accepted: optional + or -, digits, optionally grouped with the
 * "thousands" separator (groups of exactly three, all or none), then
 * optionally the "decimal" separator and more digits. No exponents, no
 * white space (trim first), no currency signs. Output: '.' as decimal
 * separator, no grouping, no '+', no leading zeros ("007" -> "7",
 * "-0,50" -> "-0.50"); the fraction digits are kept as written. Empty
 * values pass.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stddef.h>
#include <string.h>

struct number_ctx {
    double min, max;
    const char *decimal;   /* decimal separator, default "." */
    const char *thousands; /* group separator, default none */
    bool integer;          /* no fraction allowed */
    bool has_min, has_max;
    char dec, sep; /* the separators as chars (sep 0: none) */
};

static const struct tf_option number_options[] = {
    {"min", TF_OPT_NUMBER, false, offsetof(struct number_ctx, min),
     "smallest value allowed"},
    {"max", TF_OPT_NUMBER, false, offsetof(struct number_ctx, max),
     "largest value allowed"},
    {"decimal", TF_OPT_STRING, false, offsetof(struct number_ctx, decimal),
     "decimal separator of the input: \".\" (default) or \",\""},
    {"thousands", TF_OPT_STRING, false, offsetof(struct number_ctx, thousands),
     "group separator the input may use (\",\", \".\", \" \" or \"'\"; "
     "default none: grouping rejects)"},
    {"integer", TF_OPT_BOOL, false, offsetof(struct number_ctx, integer),
     "only whole numbers (a fraction of zeros is dropped; default false)"},
    {.help = NULL},
};

static int number_init(struct tf_stage *st, const json_t *opts,
                       const char *column, struct isl_error *err)
{
    struct number_ctx *c = st->ctx;

    (void)column;
    c->has_min = opts && json_object_get(opts, "min");
    c->has_max = opts && json_object_get(opts, "max");
    if (c->has_min && c->has_max && c->max < c->min)
        return tf_init_error(err, ".max: %g is less than min (%g)", c->max,
                             c->min);
    c->dec = '.';
    if (c->decimal) {
        if (strcmp(c->decimal, ".") != 0 && strcmp(c->decimal, ",") != 0)
            return tf_init_error(err, ".decimal: '%s' is not \".\" or \",\"",
                                 c->decimal);
        c->dec = c->decimal[0];
    }
    if (c->thousands) {
        if (strlen(c->thousands) != 1 || !strchr(",. '", c->thousands[0]))
            return tf_init_error(err,
                                 ".thousands: '%s' is not \",\", \".\", "
                                 "\" \" or \"'\"",
                                 c->thousands);
        c->sep = c->thousands[0];
        if (c->sep == c->dec)
            return tf_init_error(err, ".thousands: same as the decimal "
                                      "separator");
    }
    return 0;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/*
 * Parse in into out (normalised). Returns 0, -1 not a number, -2 has a
 * fraction when integer.
 */
static int normalise(const struct number_ctx *c, const char *in, size_t len,
                     struct isl_buf *out)
{
    size_t i = 0, ndig = 0, group = 0, nfrac = 0;
    bool neg = false, grouped = false, any_nonzero = false;
    size_t int_start;

    if (i < len && (in[i] == '+' || in[i] == '-'))
        neg = in[i++] == '-';
    isl_buf_reset(out);
    if (isl_buf_addc(out, '-') < 0) /* dropped below if not needed */
        return -3;
    int_start = out->len;
    for (; i < len; i++) {
        if (is_digit(in[i])) {
            group++;
            ndig++;
            if (grouped && group > 3)
                return -1;
            if (in[i] == '0' && out->len == int_start)
                continue; /* leading zero */
            if (isl_buf_addc(out, in[i]) < 0)
                return -3;
            any_nonzero = true;
        } else if (c->sep && in[i] == c->sep) {
            if (group == 0 || group > 3 || (grouped && group != 3))
                return -1;
            grouped = true;
            group = 0;
        } else {
            break;
        }
    }
    if (grouped && group != 3)
        return -1;
    if (out->len == int_start && isl_buf_addc(out, '0') < 0)
        return -3;
    if (i < len && in[i] == c->dec) {
        size_t mark = out->len;

        if (isl_buf_addc(out, '.') < 0)
            return -3;
        for (i++; i < len && is_digit(in[i]); i++, nfrac++) {
            if (in[i] != '0')
                any_nonzero = true;
            if (isl_buf_addc(out, in[i]) < 0)
                return -3;
        }
        if (nfrac == 0) {
            out->len = mark;
            out->data[mark] = '\0';
        } else if (c->integer) {
            bool zeros = true;

            for (size_t k = mark + 1; k < out->len; k++)
                zeros &= out->data[k] == '0';
            if (!zeros)
                return -2;
            out->len = mark;
            out->data[mark] = '\0';
        }
    }
    if (i != len || ndig + nfrac == 0)
        return -1;
    if (!neg || !any_nonzero) {
        memmove(out->data, out->data + 1, out->len); /* with the NUL */
        out->len--;
    }
    return 0;
}

/* The normalised form as a double, without strtod (locale-dependent). */
static double to_double(const char *s)
{
    double v = 0, scale = 1;
    bool neg = *s == '-';

    if (neg)
        s++;
    for (; *s && *s != '.'; s++)
        v = v * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s; s++) {
            scale /= 10;
            v += (*s - '0') * scale;
        }
    return neg ? -v : v;
}

static int number_value(struct tf_stage *st, const char *in, size_t len,
                        struct isl_buf *out, const struct tf_row *row,
                        struct isl_error *err)
{
    const struct number_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];
    double v;
    int rc;

    (void)row;
    if (len == 0)
        return TF_PASS;
    rc = normalise(c, in, len, out);
    if (rc == -1)
        return tf_reject(st, err, "%s is not a number",
                         tf_quote(q, sizeof(q), in, len));
    if (rc == -2)
        return tf_reject(st, err, "%s is not a whole number",
                         tf_quote(q, sizeof(q), in, len));
    if (rc < 0)
        return tf_reject(st, err, "the result does not fit the value buffer");
    v = to_double(out->data);
    if (c->has_min && v < c->min)
        return tf_reject(st, err, "%s is less than the minimum %g",
                         tf_quote(q, sizeof(q), in, len), c->min);
    if (c->has_max && v > c->max)
        return tf_reject(st, err, "%s is greater than the maximum %g",
                         tf_quote(q, sizeof(q), in, len), c->max);
    if (out->len == len && memcmp(out->data, in, len) == 0) {
        isl_buf_reset(out);
        return TF_PASS;
    }
    return TF_CHANGED;
}

const struct tf_stage_type tf_number = {
    .name = "number",
    .kind = TF_VALUE,
    .summary = "check a decimal number and write it with '.' and no "
               "grouping",
    .options = number_options,
    .ctx_size = sizeof(struct number_ctx),
    .init = number_init,
    .value = number_value,
};
