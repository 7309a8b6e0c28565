/*
 * tf_pattern.c: the "pattern" value stage: the value must match a POSIX
 * extended regular expression ({"pattern": "^E[0-9]{7}$"}). Anchor it
 * with ^ and $ to match the whole value. The expression is compiled once,
 * at init, so a bad one is a feed mistake. Empty values pass (use
 * "required" on the field to forbid them).
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <regex.h>
#include <stddef.h>
#include <string.h>

#define FIXED_MAX 64

struct pattern_ctx {
    const char *re_text; /* the expression as written */
    regex_t re;
    bool compiled;
    struct isl_buf scratch; /* NUL-terminated copy of the value */
    /*
     * Fast path for the common anchored fixed-length form, e.g.
     * ^E[0-9]{7}$: ^, then letters, digits, _ or -, or bracket sets of
     * those and of their ranges (no negation), each optionally repeated
     * {n} times, then $. Such an expression matches exactly the strings
     * of nfixed bytes with byte i in set[i]; regexec (C locale: isload
     * sets none) gives the same answer, and stops at a NUL like we do.
     * Any other expression goes to regexec.
     */
    bool fixed;
    size_t nfixed;
    uint8_t set[FIXED_MAX][32];
};

static const struct tf_option pattern_options[] = {
    {NULL, TF_OPT_STRING, true, offsetof(struct pattern_ctx, re_text),
     "POSIX extended regular expression the value must match"},
    {.help = NULL},
};

static bool plain_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

static bool alnum_class(char a, char b)
{
    return ((a >= 'a' && a <= 'z') && (b >= 'a' && b <= 'z')) ||
           ((a >= 'A' && a <= 'Z') && (b >= 'A' && b <= 'Z')) ||
           ((a >= '0' && a <= '9') && (b >= '0' && b <= '9'));
}

/* Compile the fast path when re is of the simple form (see pattern_ctx). */
static void compile_fixed(struct pattern_ctx *c, const char *re)
{
    size_t len = strlen(re), i = 1, n = 0;

    c->fixed = false;
    if (len < 2 || re[0] != '^' || re[len - 1] != '$')
        return;
    len--; /* the $ */
    while (i < len) {
        uint8_t one[32];
        size_t rep = 1;

        memset(one, 0, sizeof(one));
        if (plain_char(re[i]) && re[i] != '-') {
            one[(unsigned char)re[i] >> 3] |=
                (uint8_t)(1u << ((unsigned char)re[i] & 7));
            i++;
        } else if (re[i] == '[') {
            size_t items = 0;

            i++;
            while (i < len && re[i] != ']') {
                char a = re[i], b = re[i];

                if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z') ||
                      (a >= '0' && a <= '9')))
                    return;
                if (i + 2 < len && re[i + 1] == '-' && re[i + 2] != ']') {
                    b = re[i + 2];
                    if (!alnum_class(a, b) || b < a)
                        return;
                    i += 3;
                } else {
                    i++;
                }
                for (int ch = a; ch <= b; ch++)
                    one[ch >> 3] |= (uint8_t)(1u << (ch & 7));
                items++;
            }
            if (i >= len || !items)
                return;
            i++; /* the ] */
        } else {
            return;
        }
        if (i < len && re[i] == '{') {
            size_t k = i + 1;

            rep = 0;
            while (k < len && re[k] >= '0' && re[k] <= '9' && rep <= FIXED_MAX)
                rep = rep * 10 + (size_t)(re[k++] - '0');
            if (k == i + 1 || k >= len || re[k] != '}' || rep == 0 ||
                rep > FIXED_MAX)
                return;
            i = k + 1;
        }
        if (n + rep > FIXED_MAX)
            return;
        while (rep--)
            memcpy(c->set[n++], one, sizeof(one));
    }
    c->nfixed = n;
    c->fixed = n > 0;
}

static bool fixed_match(const struct pattern_ctx *c, const char *in, size_t len)
{
    if (len < c->nfixed)
        return false;
    for (size_t i = 0; i < c->nfixed; i++) {
        unsigned char ch = (unsigned char)in[i];

        if (!(c->set[i][ch >> 3] & (1u << (ch & 7))))
            return false; /* a NUL is in no set either */
    }
    /* regexec sees the value up to its first NUL */
    return len == c->nfixed || in[c->nfixed] == '\0';
}

static int pattern_init(struct tf_stage *st, const json_t *opts,
                        const char *column, struct isl_error *err)
{
    struct pattern_ctx *c = st->ctx;
    int rc;

    (void)opts;
    (void)column;
    isl_buf_init(&c->scratch, SIZE_MAX / 2);
    rc = regcomp(&c->re, c->re_text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[200];

        regerror(rc, &c->re, msg, sizeof(msg));
        return tf_init_error(err, "bad regular expression '%s': %s", c->re_text,
                             msg);
    }
    c->compiled = true;
    compile_fixed(c, c->re_text);
    return 0;
}

static int pattern_value(struct tf_stage *st, const char *in, size_t len,
                         struct isl_buf *out, const struct tf_row *row,
                         struct isl_error *err)
{
    struct pattern_ctx *c = st->ctx;
    char q[TF_QUOTE_MAX + 8];

    (void)out;
    (void)row;
    if (len == 0)
        return TF_PASS;
    if (c->fixed) {
        if (fixed_match(c, in, len))
            return TF_PASS;
        return tf_reject(st, err, "%s does not match %s",
                         tf_quote(q, sizeof(q), in, len), c->re_text);
    }
    isl_buf_reset(&c->scratch);
    if (isl_buf_add(&c->scratch, in, len) < 0)
        return tf_reject(st, err, "out of memory");
    if (regexec(&c->re, c->scratch.data, 0, NULL, 0) == 0)
        return TF_PASS;
    return tf_reject(st, err, "%s does not match %s",
                     tf_quote(q, sizeof(q), in, len), c->re_text);
}

static void pattern_close(struct tf_stage *st)
{
    struct pattern_ctx *c = st->ctx;

    if (c->compiled)
        regfree(&c->re);
    isl_buf_free(&c->scratch);
}

const struct tf_stage_type tf_pattern = {
    .name = "pattern",
    .kind = TF_VALUE,
    .summary = "the value must match a POSIX extended regular expression",
    .options = pattern_options,
    .ctx_size = sizeof(struct pattern_ctx),
    .init = pattern_init,
    .value = pattern_value,
    .close = pattern_close,
};
