/*
 * tf_phone.c: the "phone" value stage: normalise a phone number to E.164
 * (+ country code and number, digits only, e.g. +14155550100).
 *
 * Spaces, dashes, dots, slashes and parentheses are removed. A leading +
 * or the international prefix 00 (011 for country 1) means the number
 * already has its country code. Otherwise it is a national number: for
 * NANP (country 1) an 11-digit number starting with 1 already has it and
 * any other must have 10 digits; for other countries one leading trunk 0
 * is dropped; then "country" is put in front. Anything else (letters,
 * extensions, a + inside) rejects, as does a result of fewer than 7 or more
 * than 15 digits. Empty values pass.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_error.h"

#include <stddef.h>
#include <string.h>

struct phone_ctx {
    const char *country; /* default country calling code, digits */
};

static const struct tf_option phone_options[] = {
    {"country", TF_OPT_STRING, false, offsetof(struct phone_ctx, country),
     "country calling code for national numbers, 1-3 digits (default "
     "\"1\", NANP)"},
    {.help = NULL},
};

static int phone_init(struct tf_stage *st, const json_t *opts,
                      const char *column, struct isl_error *err)
{
    struct phone_ctx *c = st->ctx;
    size_t n;

    (void)opts;
    (void)column;
    if (!c->country)
        c->country = "1";
    if (c->country[0] == '+')
        c->country++;
    n = strlen(c->country);
    if (n < 1 || n > 3 || strspn(c->country, "0123456789") != n ||
        c->country[0] == '0')
        return tf_init_error(err,
                             ".country: '%s' is not a country calling "
                             "code (1-3 digits, e.g. \"44\")",
                             c->country);
    return 0;
}

/* One of " -.()/" or NUL (strchr on that list also finds its NUL). */
static inline bool separator(char ch)
{
    switch (ch) {
    case ' ':
    case '-':
    case '.':
    case '(':
    case ')':
    case '/':
    case '\0':
        return true;
    default:
        return false;
    }
}

static int phone_value(struct tf_stage *st, const char *in, size_t len,
                       struct isl_buf *out, const struct tf_row *row,
                       struct isl_error *err)
{
    const struct phone_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8], dig[64], res[24];
    size_t nd = 0, nr = 1;
    bool plus = false, nanp = c->country[0] == '1' && !c->country[1];
    const char *d;

    (void)row;
    if (len == 0)
        return TF_PASS;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];

        if (ch >= '0' && ch <= '9') {
            if (nd == sizeof(dig))
                return tf_reject(st, err,
                                 "%s has too many digits for a "
                                 "phone number",
                                 tf_quote(q, sizeof(q), in, len));
            dig[nd++] = ch;
        } else if (ch == '+' && nd == 0 && !plus) {
            plus = true;
        } else if (!separator(ch)) {
            return tf_reject(st, err, "%s is not a phone number",
                             tf_quote(q, sizeof(q), in, len));
        }
    }
    d = dig;
    res[0] = '+';
    if (!plus && nd > 2 && d[0] == '0' && d[1] == '0') {
        d += 2, nd -= 2; /* 00 international prefix */
    } else if (!plus && nanp && nd > 3 && memcmp(d, "011", 3) == 0) {
        d += 3, nd -= 3; /* NANP international prefix */
    } else if (!plus) {
        size_t cl = strlen(c->country);

        if (nanp && nd == 11 && d[0] == '1') {
            /* already has the country code */
        } else if (nanp && nd != 10) {
            return tf_reject(st, err,
                             "%s is not a 10-digit North American "
                             "number",
                             tf_quote(q, sizeof(q), in, len));
        } else {
            if (!nanp && nd > 0 && d[0] == '0')
                d++, nd--; /* trunk prefix */
            memcpy(res + 1, c->country, cl);
            nr += cl;
        }
    }
    if (nd + nr - 1 < 7 || nd + nr - 1 > 15)
        return tf_reject(st, err,
                         "%s has %zu digits with the country code; "
                         "a phone number has 7 to 15",
                         tf_quote(q, sizeof(q), in, len), nd + nr - 1);
    if (d[0] == '0' && nr == 1)
        return tf_reject(st, err, "%s: a country code cannot start with 0",
                         tf_quote(q, sizeof(q), in, len));
    memcpy(res + nr, d, nd);
    nr += nd;
    if (nr == len && memcmp(res, in, len) == 0)
        return TF_PASS;
    return tf_emit(st, out, res, nr, err);
}

const struct tf_stage_type tf_phone = {
    .name = "phone",
    .kind = TF_VALUE,
    .summary = "normalise a phone number to E.164 (+CCNNN...)",
    .options = phone_options,
    .ctx_size = sizeof(struct phone_ctx),
    .init = phone_init,
    .value = phone_value,
};
