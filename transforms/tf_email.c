/*
 * tf_email.c: the "email" value stage: a pragmatic syntax check, not RFC
 * 5322. The value must have exactly one @, a non-empty local part without
 * white space, control characters or ()<>[],;:\" and no leading, trailing
 * or doubled dot, and a domain of at least two dot-separated labels of
 * letters, digits, hyphens or non-ASCII bytes (IDN), with no label starting
 * or ending with a hyphen. At most 254 bytes. The domain is written in
 * lower case (local parts are left alone: they may be case-sensitive).
 * Empty values pass.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"

#include <string.h>

static const struct tf_option email_options[] = {{.help = NULL}};

enum {
    LOCAL_BAD = 1, /* space, control or ()<>[],;:\" */
    DOMAIN_OK = 2, /* letter, digit, hyphen or non-ASCII */
    DOMAIN_UP = 4, /* A-Z: the domain is written in lower case */
};

/* A class per byte, built once at init: one lookup per character. */
struct email_ctx {
    uint8_t cls[256];
};

static int email_init(struct tf_stage *st, const json_t *opts,
                      const char *column, struct isl_error *err)
{
    struct email_ctx *c = st->ctx;

    (void)opts;
    (void)column;
    (void)err;
    for (int ch = 0; ch < 256; ch++) {
        uint8_t k = 0;

        if (ch <= 0x20 || ch == 0x7f || (ch && strchr("()<>[],;:\\\"", ch)))
            k |= LOCAL_BAD;
        if (ch >= 0x80 || (ch >= 'a' && ch <= 'z') ||
            (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-')
            k |= DOMAIN_OK;
        if (ch >= 'A' && ch <= 'Z')
            k |= DOMAIN_UP;
        c->cls[ch] = k;
    }
    return 0;
}

static const char *check_local(const uint8_t *cls, const char *s, size_t n)
{
    if (n == 0)
        return "nothing before the @";
    if (n > 64)
        return "more than 64 characters before the @";
    if (s[0] == '.' || s[n - 1] == '.')
        return "a dot at the start or end of the local part";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (cls[ch] & LOCAL_BAD)
            return "a space or a character not allowed in an address";
        if (ch == '.' && s[i + 1] == '.')
            return "two dots in a row";
    }
    return NULL;
}

/* Check the domain; *upper tells whether it has an A-Z letter. */
static const char *check_domain(const uint8_t *cls, const char *s, size_t n,
                                bool *upper)
{
    size_t labels = 0, start = 0;
    unsigned seen = 0;

    if (n == 0)
        return "nothing after the @";
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            unsigned k = cls[(unsigned char)s[i]];

            if (!(k & DOMAIN_OK))
                return "a character not allowed in a domain";
            seen |= k;
            continue;
        }
        if (i == start)
            return "an empty label in the domain";
        if (s[start] == '-' || s[i - 1] == '-')
            return "a domain label starting or ending with a hyphen";
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return "no dot in the domain";
    *upper = (seen & DOMAIN_UP) != 0;
    return NULL;
}

static int email_value(struct tf_stage *st, const char *in, size_t len,
                       struct isl_buf *out, const struct tf_row *row,
                       struct isl_error *err)
{
    const struct email_ctx *c = st->ctx;
    const char *at = len ? memchr(in, '@', len) : NULL;
    char q[TF_QUOTE_MAX + 8];
    const char *why;
    bool upper = false;
    size_t local;
    int rc;

    (void)row;
    if (len == 0)
        return TF_PASS;
    if (!at)
        return tf_reject(st, err, "%s is not an e-mail address (no @)",
                         tf_quote(q, sizeof(q), in, len));
    local = (size_t)(at - in);
    if (memchr(at + 1, '@', len - local - 1))
        why = "more than one @";
    else if (len > 254)
        why = "longer than 254 characters";
    else if (!(why = check_local(c->cls, in, local)))
        why = check_domain(c->cls, at + 1, len - local - 1, &upper);
    if (why)
        return tf_reject(st, err, "%s is not an e-mail address (%s)",
                         tf_quote(q, sizeof(q), in, len), why);
    if (!upper)
        return TF_PASS;
    rc = tf_emit(st, out, in, len, err);
    if (rc == TF_CHANGED)
        for (size_t i = local + 1; i < len; i++)
            out->data[i] = tf_ascii_lower(out->data[i]);
    return rc;
}

const struct tf_stage_type tf_email = {
    .name = "email",
    .kind = TF_VALUE,
    .summary = "check e-mail address syntax and lower-case the domain",
    .options = email_options,
    .ctx_size = sizeof(struct email_ctx),
    .init = email_init,
    .value = email_value,
};
