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

/* One of ()<>[],;:\" (what strchr on that list found, without its
 * NUL: ch is never 0 here). */
static inline bool not_in_local(unsigned char ch)
{
    switch (ch) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '[':
    case ']':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
        return true;
    default:
        return false;
    }
}

static const char *check_local(const char *s, size_t n)
{
    if (n == 0)
        return "nothing before the @";
    if (n > 64)
        return "more than 64 characters before the @";
    if (s[0] == '.' || s[n - 1] == '.')
        return "a dot at the start or end of the local part";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch <= 0x20 || ch == 0x7f || not_in_local(ch))
            return "a space or a character not allowed in an address";
        if (ch == '.' && s[i + 1] == '.')
            return "two dots in a row";
    }
    return NULL;
}

static const char *check_domain(const char *s, size_t n)
{
    size_t labels = 0, start = 0;

    if (n == 0)
        return "nothing after the @";
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            unsigned char ch = (unsigned char)s[i];

            if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') ||
                  (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-'))
                return "a character not allowed in a domain";
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
    return NULL;
}

static int email_value(struct tf_stage *st, const char *in, size_t len,
                       struct isl_buf *out, const struct tf_row *row,
                       struct isl_error *err)
{
    const char *at = len ? memchr(in, '@', len) : NULL;
    char q[TF_QUOTE_MAX + 8];
    const char *why;
    size_t local, i;
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
    else if (!(why = check_local(in, local)))
        why = check_domain(at + 1, len - local - 1);
    if (why)
        return tf_reject(st, err, "%s is not an e-mail address (%s)",
                         tf_quote(q, sizeof(q), in, len), why);
    for (i = local + 1; i < len; i++)
        if (in[i] >= 'A' && in[i] <= 'Z')
            break;
    if (i == len)
        return TF_PASS;
    rc = tf_emit(st, out, in, len, err);
    if (rc == TF_CHANGED)
        for (i = local + 1; i < len; i++)
            out->data[i] = tf_ascii_lower(out->data[i]);
    return rc;
}

const struct tf_stage_type tf_email = {
    .name = "email",
    .kind = TF_VALUE,
    .summary = "check e-mail address syntax and lower-case the domain",
    .options = email_options,
    .ctx_size = 0,
    .value = email_value,
};
