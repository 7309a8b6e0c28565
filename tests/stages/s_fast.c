/*
 * s_fast.c: the stages' fast paths against their general forms. Each test
 * runs a stage on many random values (seeded, so a failure repeats) and
 * compares its verdict and output with a plain byte-by-byte reference
 * written here, or with regexec for pattern. Values sit at the very end of
 * a heap block of their own size, so a word-at-a-time read past the end is
 * caught by ASan.
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "s_util.h"
#include "t.h"
#include "tf_util.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 20000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A random value of up to max bytes from an alphabet of tricky bytes. */
static size_t random_value(char *buf, size_t max, const char *alphabet)
{
    size_t n = next((unsigned)max + 1), k = strlen(alphabet);

    for (size_t i = 0; i < n; i++) {
        unsigned r = next(40);

        if (r == 0)
            buf[i] = (char)next(256); /* any byte, NUL included */
        else if (r < 4)
            buf[i] = (char)(0x80 + next(0x80));
        else
            buf[i] = alphabet[next((unsigned)k)];
    }
    return n;
}

/* Run st on in[0..len) placed at the end of an exact-size block. */
static int run(struct tf_stage *st, const char *in, size_t len,
               struct isl_buf *out, char **copy)
{
    struct isl_error err;
    char *p = malloc(len ? len : 1);

    memcpy(p, in, len);
    *copy = p;
    err.field[0] = err.rule[0] = err.msg[0] = '\0';
    isl_buf_reset(out);
    return st->type->value(st, p, len, out, NULL, &err);
}

/* The stage's result as (code, value) against the expected pair. */
static bool same(int rc, const struct isl_buf *out, const char *in, size_t len,
                 int want_rc, const char *want, size_t want_len)
{
    const char *got = rc == TF_CHANGED ? out->data : in;
    size_t got_len = rc == TF_CHANGED ? out->len : len;

    if (rc != want_rc) {
        fprintf(stderr, "  result %d, expected %d\n", rc, want_rc);
        return false;
    }
    if (rc == TF_REJECT)
        return true;
    return got_len == want_len && memcmp(got, want, got_len) == 0;
}

static void report(const char *what, const char *in, size_t len)
{
    fprintf(stderr, "  %s differs on '", what);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr,
                (unsigned char)in[i] < 0x20 || (unsigned char)in[i] >= 0x7f
                    ? "\\x%02x"
                    : "%c",
                (unsigned char)in[i]);
    fprintf(stderr, "'\n");
}

/* ---- references: the general byte-by-byte forms ---- */

static size_t ref_space_at(const char *s, size_t len, size_t i)
{
    if (strchr(" \t\n\r\v\f", s[i]) && s[i])
        return 1;
    if ((unsigned char)s[i] == 0xC2 && i + 1 < len &&
        (unsigned char)s[i + 1] == 0xA0)
        return 2;
    return 0;
}

static int ref_trim(const char *in, size_t len, char *out, size_t *olen)
{
    size_t a = 0, b = len, n;

    while (a < b && (n = ref_space_at(in, b, a)) > 0)
        a += n;
    for (;;) {
        if (b > a && in[b - 1] && strchr(" \t\n\r\v\f", in[b - 1]))
            b--;
        else if (b >= a + 2 && (unsigned char)in[b - 2] == 0xC2 &&
                 (unsigned char)in[b - 1] == 0xA0)
            b -= 2;
        else
            break;
    }
    memcpy(out, in + a, b - a);
    *olen = b - a;
    return a == 0 && b == len ? TF_PASS : TF_CHANGED;
}

static int ref_case(const char *in, size_t len, bool upper, char *out,
                    size_t *olen)
{
    memcpy(out, in, len);
    for (size_t i = 0; i < len;)
        i += tf_case_at(out, len, i, upper);
    *olen = len;
    return memcmp(out, in, len) == 0 ? TF_PASS : TF_CHANGED;
}

static int ref_collapse(const char *in, size_t len, char *out, size_t *olen)
{
    size_t n = 0;

    for (size_t i = 0; i < len;) {
        size_t k = ref_space_at(in, len, i);

        if (!k) {
            out[n++] = in[i++];
            continue;
        }
        while (i < len && (k = ref_space_at(in, len, i)) > 0)
            i += k;
        out[n++] = ' ';
    }
    *olen = n;
    return n == len && memcmp(out, in, len) == 0 ? TF_PASS : TF_CHANGED;
}

static size_t ref_chars(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static bool ref_email_ok(const char *in, size_t len)
{
    const char *at = memchr(in, '@', len);
    size_t local, labels = 0, start;

    if (!at || memchr(at + 1, '@', len - (size_t)(at - in) - 1) || len > 254)
        return false;
    local = (size_t)(at - in);
    if (local == 0 || local > 64 || in[0] == '.' || in[local - 1] == '.')
        return false;
    for (size_t i = 0; i < local; i++) {
        unsigned char ch = (unsigned char)in[i];

        if (ch <= 0x20 || ch == 0x7f || strchr("()<>[],;:\\\"", ch))
            return false;
        if (ch == '.' && in[i + 1] == '.')
            return false;
    }
    start = local + 1;
    if (start == len)
        return false;
    for (size_t i = start; i <= len; i++) {
        if (i < len && in[i] != '.') {
            unsigned char ch = (unsigned char)in[i];

            if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') ||
                  (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-'))
                return false;
            continue;
        }
        if (i == start || in[start] == '-' || in[i - 1] == '-')
            return false;
        labels++;
        start = i + 1;
    }
    return labels >= 2;
}

/* ---- the tests ---- */

static const char *const text_alphabet = "aZ  \t\xC2\xA0\xC3\x89\xC3\xA9zA.-@";

static void test_trim(void)
{
    struct tf_stage *st = s_new("\"trim\"", TF_VALUE);
    struct isl_buf out;
    char in[64], want[64], *copy;
    size_t len, wlen;
    int bad = 0;

    isl_buf_init(&out, 1 << 20);
    for (int r = 0; r < ROUNDS && bad < 5; r++) {
        int rc, want_rc;

        len = random_value(in, 24, text_alphabet);
        want_rc = ref_trim(in, len, want, &wlen);
        rc = run(st, in, len, &out, &copy);
        if (!same(rc, &out, copy, len, want_rc, want, wlen)) {
            report("trim", in, len);
            bad++;
        }
        free(copy);
    }
    T_INTEQ(bad, 0);
    isl_buf_free(&out);
    s_free(st);
}

static void test_case(void)
{
    struct isl_buf out;
    char in[64], want[64], *copy;
    size_t len, wlen;
    int bad = 0;

    isl_buf_init(&out, 1 << 20);
    for (int upper = 0; upper < 2; upper++) {
        struct tf_stage *st =
            s_new(upper ? "\"upper\"" : "\"lower\"", TF_VALUE);

        for (int r = 0; r < ROUNDS && bad < 5; r++) {
            int rc, want_rc;

            len = random_value(in, 40, "abcxyzABCXYZ@[`{ 09\xC3\x80\xA0\xBE");
            want_rc = ref_case(in, len, upper, want, &wlen);
            rc = run(st, in, len, &out, &copy);
            if (!same(rc, &out, copy, len, want_rc, want, wlen)) {
                report(upper ? "upper" : "lower", in, len);
                bad++;
            }
            free(copy);
        }
        s_free(st);
    }
    T_INTEQ(bad, 0);
    isl_buf_free(&out);
}

static void test_collapse(void)
{
    struct tf_stage *st = s_new("\"collapse_spaces\"", TF_VALUE);
    struct isl_buf out;
    char in[64], want[64], *copy;
    size_t len, wlen;
    int bad = 0;

    isl_buf_init(&out, 1 << 20);
    for (int r = 0; r < ROUNDS && bad < 5; r++) {
        int rc, want_rc;

        /* mostly no spaces at all, to reach the word-at-a-time path */
        len = random_value(in, 40, r % 2 ? "abcdefgh!~" : text_alphabet);
        want_rc = ref_collapse(in, len, want, &wlen);
        rc = run(st, in, len, &out, &copy);
        if (!same(rc, &out, copy, len, want_rc, want, wlen)) {
            report("collapse_spaces", in, len);
            bad++;
        }
        free(copy);
    }
    T_INTEQ(bad, 0);
    isl_buf_free(&out);
    s_free(st);
}

static void test_length(void)
{
    static const char *const specs[] = {
        "{\"length\": {\"max\": 5}}", "{\"length\": {\"min\": 3, \"max\": 9}}",
        "{\"length\": {\"max\": 1}}"};
    static const long long lo[] = {0, 3, 0}, hi[] = {5, 9, 1};
    struct isl_buf out;
    char in[64], *copy;
    size_t len;
    int bad = 0;

    isl_buf_init(&out, 1 << 20);
    for (size_t k = 0; k < 3; k++) {
        struct tf_stage *st = s_new(specs[k], TF_VALUE);

        for (int r = 0; r < ROUNDS && bad < 5; r++) {
            size_t n;
            int rc, want;

            len = random_value(in, 24, "ab\xC3\xA9\xE2\x82\xAC");
            n = ref_chars(in, len);
            want = (long long)n < lo[k] || (long long)n > hi[k] ? TF_REJECT
                                                                : TF_PASS;
            rc = run(st, in, len, &out, &copy);
            if (rc != want || tf_utf8_count(copy, len) != n) {
                report("length", in, len);
                bad++;
            }
            free(copy);
        }
        s_free(st);
    }
    T_INTEQ(bad, 0);
    isl_buf_free(&out);
}

static void test_email(void)
{
    struct tf_stage *st = s_new("\"email\"", TF_VALUE);
    struct isl_buf out;
    char in[80], want[80], *copy;
    size_t len;
    int bad = 0;

    isl_buf_init(&out, 1 << 20);
    for (int r = 0; r < ROUNDS && bad < 5; r++) {
        int rc, want_rc;

        len = random_value(in, 20, "ab@@..-Z9 (\"\\");
        if (r % 3 == 0 && len < 60) { /* often something like an address */
            memcpy(in + len, "@Ex-a.co", 8);
            len += 8;
        }
        memcpy(want, in, len);
        want_rc = TF_PASS;
        if (len == 0) {
            want_rc = TF_PASS;
        } else if (!ref_email_ok(in, len)) {
            want_rc = TF_REJECT;
        } else {
            const char *at = memchr(in, '@', len);

            for (size_t i = (size_t)(at - in) + 1; i < len; i++)
                want[i] = tf_ascii_lower(in[i]);
            if (memcmp(want, in, len) != 0)
                want_rc = TF_CHANGED;
        }
        rc = run(st, in, len, &out, &copy);
        if (!same(rc, &out, copy, len, want_rc, want, len)) {
            report("email", in, len);
            bad++;
        }
        free(copy);
    }
    T_INTEQ(bad, 0);
    isl_buf_free(&out);
    s_free(st);
}

/*
 * pattern: the compiled fixed-length matcher against regexec on the same
 * expression, for expressions of the simple form (which take the fast
 * path) and a few just outside it (which must still agree: regexec).
 */
static void test_pattern(void)
{
    static const char *const pieces[] = {
        "E",     "[0-9]",      "[a-c]",      "[A-Z0-9]", "x",      "-",
        "_",     "[0-9]{3}",   "[a-z]{2}",   "Q{2}",     "[ab-]",  "[-a]",
        "[9-0]", "[a-Z]",      "{0}",        ".",        "[^0-9]", "(a)",
        "a*",    "[0-9]{1,2}", "[[:digit:]]"};
    const char *alphabet = "E0159abcxzAQZ-_.{}";
    struct isl_buf out;
    char re[128], in[64], *copy;
    int bad = 0;

    isl_buf_init(&out, 1 << 20);
    for (int p = 0; p < 400 && bad < 5; p++) {
        struct tf_stage *st;
        size_t n = 1;
        regex_t rx;
        char json[300];
        int np = 1 + (int)next(5);

        re[0] = '^';
        re[1] = '\0';
        for (int k = 0; k < np; k++) {
            /* the first 10 pieces keep the simple form */
            const char *piece = pieces[next(p % 4 ? 10 : 21)];

            if (n + strlen(piece) + 2 >= sizeof(re))
                break;
            strcat(re, piece);
            n += strlen(piece);
        }
        if (p % 7 != 6)
            strcat(re, "$");
        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
            continue; /* the stage rejects these at init */
        snprintf(json, sizeof(json), "{\"pattern\": \"%s\"}", re);
        st = s_new(json, TF_VALUE);
        T_CHECK(st != NULL);
        if (!st) {
            regfree(&rx);
            continue;
        }
        for (int r = 0; r < 200; r++) {
            size_t len = random_value(in, 12, alphabet);
            char z[64];
            int want, rc;

            memcpy(z, in, len);
            z[len] = '\0'; /* regexec sees the value up to a NUL */
            want = len == 0 || regexec(&rx, z, 0, NULL, 0) == 0 ? TF_PASS
                                                                : TF_REJECT;
            rc = run(st, in, len, &out, &copy);
            if (rc != want) {
                fprintf(stderr, "  pattern %s: ", re);
                report("the verdict", in, len);
                bad++;
                r = 200;
            }
            free(copy);
        }
        s_free(st);
        regfree(&rx);
    }
    T_INTEQ(bad, 0);
    isl_buf_free(&out);
}

/*
 * The pass conditions stages declare for the chain (tf_pass_if): every
 * value that meets one must get TF_PASS from the stage itself.
 */
static void test_pass_if(void)
{
    static const char *const specs[] = {
        "\"trim\"",
        "{\"length\": {\"max\": 5}}",
        "{\"length\": {\"max\": 1}}",
        "{\"length\": {\"max\": 3, \"truncate\": true}}",
        "{\"length\": {\"min\": 2, \"max\": 9}}",
        "\"upper\""};
    struct isl_buf out;
    char in[64], *copy;
    int bad = 0, met = 0;

    isl_buf_init(&out, 1 << 20);
    for (size_t k = 0; k < ISL_ARRAY_LEN(specs); k++) {
        struct tf_stage *st = s_new(specs[k], TF_VALUE);

        T_CHECK(st != NULL);
        if (!st)
            continue;
        /* length with a minimum and upper declare nothing */
        T_INTEQ(st->pass_if.set, k < 4);
        for (int r = 0; r < ROUNDS && bad < 5 && st->pass_if.set; r++) {
            size_t len = random_value(in, 12, text_alphabet);
            int rc;

            if (!tf_passes(&st->pass_if, in, len))
                continue;
            met++;
            rc = run(st, in, len, &out, &copy);
            if (rc != TF_PASS) {
                fprintf(stderr, "  %s: ", specs[k]);
                report("pass_if", in, len);
                bad++;
            }
            free(copy);
        }
        s_free(st);
    }
    T_INTEQ(bad, 0);
    T_CHECK(met > 1000); /* the conditions do hold for many values */
    isl_buf_free(&out);
}

/* date: the direct %Y-%m-%d output against the general formatter (%F is
 * the same format), over many dates and years 0-9999 */
static void test_date_iso(void)
{
    struct tf_stage *fast =
        s_new("{\"date\": {\"from\": [\"%m/%d/%Y\", \"%Y-%j\"], \"to\": "
              "\"%Y-%m-%d\"}}",
              TF_VALUE);
    struct tf_stage *slow = s_new(
        "{\"date\": {\"from\": [\"%m/%d/%Y\", \"%Y-%j\"], \"to\": \"%F\"}}",
        TF_VALUE);
    char in[40];
    int bad = 0;

    for (int r = 0; r < ROUNDS && bad < 5 && fast && slow; r++) {
        char a[64], b[64];
        int n = r % 3 ? snprintf(in, sizeof(in), "%02u/%02u/%04u", next(13),
                                 next(32), next(10000))
                      : snprintf(in, sizeof(in), "%04u-%03u", next(10000),
                                 next(367));

        (void)n;
        snprintf(a, sizeof(a), "%s", s_apply(fast, in));
        snprintf(b, sizeof(b), "%s", s_apply(slow, in));
        if (strcmp(a, b) != 0 &&
            !(strncmp(a, "<reject", 7) == 0 && strncmp(b, "<reject", 7) == 0)) {
            fprintf(stderr, "  date %s: %s against %s\n", in, a, b);
            bad++;
        }
    }
    T_INTEQ(bad, 0);
    s_free(fast);
    s_free(slow);
}

TEST_LIST = {
    {"trim", test_trim},
    {"case", test_case},
    {"collapse", test_collapse},
    {"length", test_length},
    {"email", test_email},
    {"pass_if", test_pass_if},
    {"pattern", test_pattern},
    {"date_iso", test_date_iso},
    {NULL, NULL},
};
