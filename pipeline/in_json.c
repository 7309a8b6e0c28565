/*
 * in_json.c: the JSON and NDJSON readers, on a purpose-built tokenizer.
 *
 * Rows are flat objects of scalars, and jansson parses them at about half
 * the speed of Python's json.loads (see shared/perf-anchors.md), so the
 * record path has its own tokenizer that writes decoded values straight
 * into one reused buffer. Both readers share it:
 *
 *   isl_input -> window (buf[0..len), sliding; base = its stream offset)
 *     NDJSON: memchr('\n') -> one line -> parse_record(line) -> row
 *     JSON:   find_array (walk records_path, skip other keys by
 *             bracket matching) -> '[' -> per element: parse_record ->
 *             row; after ']' the rest of the envelope is skipped the same
 *             way and only whitespace may follow
 *
 * The tokenizer works on a contiguous byte range. When it runs off the
 * end of the window (T_MORE), the array reader reads more (keeping the
 * record start, growing the window so each read at least doubles what is
 * held) and parses the record again from its start; with records far
 * smaller than the window this happens about once per window. Memory is
 * bounded by about twice max_record.
 *
 * Values: strings are unescaped (\uXXXX and surrogate pairs included) and
 * checked as UTF-8 (skipped when the input is converted by iconv, which
 * yields UTF-8); integers that fit int64 are kept verbatim ("-0" becomes
 * "0"); other numbers become the shortest of %.15g/%.16g/%.17g that reads
 * back to the same double (so 1e2 -> "100", 1.0 -> "1", -0.0 -> "-0",
 * 1e20 -> "1e+20"); a number beyond double range (1e400) is a row error
 * (rule "number"); true/false stay as words and null is "".
 *
 * Names are interned in a small table, so the same key gives the same
 * pointer in every row (callers compare name pointers to skip work), and
 * a duplicate key is found by a per-row stamp on the interned name. When
 * the table passes NAMES_MAX_COUNT/NAMES_MAX_BYTES it is retired at a row
 * start and freed one row later, so a name pointer of the previous row is
 * never reused for another name.
 *
 * Nesting: without flatten a nested object or array is a row error (rule
 * "nested") naming the field; with flatten {"a":{"b":1}} gives "a.b" and
 * {"a":[1,2]} gives "a.0", "a.1"; an empty {} or [] gives "a" = "".
 * Nesting is handled in the tokenizer rather than by a jansson fallback
 * so that numbers, duplicates and encoding errors follow the same rules
 * on both paths. Nesting past MAX_DEPTH levels is malformed input.
 *
 * Errors. NDJSON: a line that is not one JSON object (bad token,
 * truncated, a scalar or array, trailing data) is a row error (rule
 * "json") and reading goes on at the next line; a line longer than
 * max_record is skipped to its newline (rule "record_size"). JSON array:
 * malformed JSON is fatal (isl_reader__parse_error with the line and
 * offset of the bad byte, or of the end of input when truncated); an
 * element that is not an object is a row error (rule "json"); a record
 * longer than max_record is skipped by bracket matching (strings and
 * brackets are followed, other tokens are not checked) and is a row error
 * "record_size" - always reported with no fields, whether or not it
 * happened to fit in the window. Envelope keys other than the path are
 * skipped the same way, without building or fully checking them. Other
 * row errors: "field_size", "duplicate_key", "encoding" (invalid UTF-8 or
 * a lone surrogate), "number", "nested"; the first one found in a record
 * is reported and the row holds the fields read without error.
 *
 * Lines are counted by LF, including inside pretty-printed arrays; a row's
 * line is that of its '{' (for NDJSON, of the line's first non-blank
 * byte), its offset that byte's, its record number the element index
 * (JSON) or the count of non-blank lines (NDJSON). A fatal error at the
 * end of input names the last line of the file.
 *
 * Each read fills the window (256 KiB at first), so a pipe is read in
 * window-sized steps, not line by line.
 */
#include "isl_setup.h"
#include "isl_reader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_input.h"
#include "isl_utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* window size; a tiny one (-DISL_JSON_CHUNK=7) makes fuzzing hit refills */
#ifdef ISL_JSON_CHUNK
#define CHUNK_SIZE ((size_t)ISL_JSON_CHUNK)
#else
#define CHUNK_SIZE ((size_t)256 * 1024)
#endif
#define MAX_DEPTH 128
#define NAMES_MAX_COUNT 65536
#define NAMES_MAX_BYTES ((size_t)16 << 20)

/* tokenizer results */
enum { T_OK = 0, T_MORE, T_SYNTAX, T_NOMEM };

/* what run_parse parses at the window position */
enum { P_RECORD, P_SKIP, P_KEY };

/* array reader states */
enum { S_START = 0, S_FIRST, S_NEXT, S_CLOSE, S_DONE };

struct jname {
    uint64_t stamp; /* parse attempt that last used this name */
    uint32_t hash;
    uint32_t len;
    char s[]; /* NUL-terminated */
};

struct fent {
    const struct jname *nm;
    size_t voff, vlen; /* value in vals */
};

struct names {
    struct jname **tab; /* open addressing, power of two */
    size_t mask, n, bytes;
};

struct json_ctx {
    bool nd;      /* NDJSON */
    bool utf8;    /* check UTF-8 (input not converted) */
    bool flatten; /* nested values become a.b fields */

    /* window over the decoded input */
    char *buf;
    size_t cap, cap_max, len, pos;
    uint64_t base; /* stream offset of buf[0] */
    bool eof;
    bool ends_nl;  /* the last byte read is a newline */
    uint64_t line; /* line number at buf[lpos] */
    size_t lpos;

    /* JSON array */
    int state;
    char *path; /* records path, split in place */
    const char **parts;
    size_t nparts;
    bool path_given;
    uint64_t records; /* elements (JSON) or non-blank lines (NDJSON) */

    /* tokenizer */
    const char *tk_at;   /* where a syntax error is */
    const char *tk_what; /* what was expected there */
    uint32_t lone;       /* a lone surrogate seen in the last string */
    bool full;           /* a buffer cap was reached: record too large */
    bool nomem;
    uint64_t serial;      /* parse attempt, for duplicate stamps */
    struct isl_buf vals;  /* decoded values, NUL-separated */
    struct isl_buf kbuf;  /* a decoded key */
    struct isl_buf pfx;   /* flatten prefix "a.b." */
    struct isl_buf nmbuf; /* prefix + key */
    struct isl_buf num;   /* number token, NUL-terminated for strtod */
    struct fent *fe;
    size_t nfe, afe;
    const struct jname **pred; /* names of the previous row, by index */
    size_t npred, apred;

    const char *prob_rule; /* first row problem, or NULL */
    char prob_field[128];
    char prob_msg[256];

    struct names names;
    struct names grave; /* retired table, freed at the next row start */

    struct isl_field *fields;
    size_t afields;
    struct isl_row row;
};

/* ---- names ---- */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void names_free(struct names *t)
{
    if (t->tab)
        for (size_t i = 0; i <= t->mask; i++)
            free(t->tab[i]);
    free(t->tab);
    memset(t, 0, sizeof(*t));
}

static int names_grow(struct names *t)
{
    size_t n = t->tab ? (t->mask + 1) * 2 : 64;
    struct jname **tab = calloc(n, sizeof(*tab));

    if (!tab)
        return -1;
    if (t->tab) {
        for (size_t i = 0; i <= t->mask; i++) {
            struct jname *e = t->tab[i];
            size_t k;

            if (!e)
                continue;
            for (k = e->hash & (n - 1); tab[k]; k = (k + 1) & (n - 1))
                ;
            tab[k] = e;
        }
        free(t->tab);
    }
    t->tab = tab;
    t->mask = n - 1;
    return 0;
}

static void problem(struct json_ctx *c, const char *rule, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct json_ctx *c, const char *rule, const char *field,
                    const char *fmt, ...)
{
    va_list ap;

    if (c->prob_rule)
        return;
    c->prob_rule = rule;
    snprintf(c->prob_field, sizeof(c->prob_field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(c->prob_msg, sizeof(c->prob_msg), fmt, ap);
    va_end(ap);
}

/* The interned name for s[0..n), or NULL (problem or c->nomem set). */
static const struct jname *intern(struct json_ctx *c, const char *s, size_t n)
{
    struct names *t = &c->names;
    uint32_t h = hash_bytes(s, n);
    struct jname *e;
    size_t k;

    if (t->tab)
        for (k = h & t->mask; (e = t->tab[k]) != NULL; k = (k + 1) & t->mask)
            if (e->hash == h && e->len == n && memcmp(e->s, s, n) == 0)
                return e;
    if (memchr(s, '\0', n)) {
        problem(c, "json", NULL, "a field name contains a NUL character");
        return NULL;
    }
    if (c->utf8 && isl_utf8_valid_prefix(s, n) != n) {
        problem(c, "encoding", NULL,
                "a field name is not valid UTF-8 (byte %zu)",
                isl_utf8_valid_prefix(s, n) + 1);
        return NULL;
    }
    if (n > UINT32_MAX) {
        problem(c, "field_size", NULL, "a field name is too long");
        return NULL;
    }
    if ((!t->tab || (t->n + 1) * 2 > t->mask + 1) && names_grow(t) < 0) {
        c->nomem = true;
        return NULL;
    }
    e = malloc(sizeof(*e) + n + 1);
    if (!e) {
        c->nomem = true;
        return NULL;
    }
    e->stamp = 0;
    e->hash = h;
    e->len = (uint32_t)n;
    memcpy(e->s, s, n);
    e->s[n] = '\0';
    for (k = h & t->mask; t->tab[k]; k = (k + 1) & t->mask)
        ;
    t->tab[k] = e;
    t->n++;
    t->bytes += sizeof(*e) + n + 1;
    return e;
}

/* ---- tokenizer ---- */

static int syntax(struct json_ctx *c, const char *at, const char *what)
{
    c->tk_at = at;
    c->tk_what = what;
    return T_SYNTAX;
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Append to b (NULL: drop); a cap reached sets c->full. */
static inline int put(struct json_ctx *c, struct isl_buf *b, const char *s,
                      size_t n)
{
    int rc;

    if (!b || c->full)
        return 0;
    rc = isl_buf_add(b, s, n);
    if (rc == ISL_ELIMIT) {
        c->full = true;
        return 0;
    }
    return rc ? T_NOMEM : 0;
}

/* '"', '\\' and control characters end a run of plain string bytes */
/* clang-format off */
static const unsigned char str_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    ['"'] = 1, ['\\'] = 1,
};
/* clang-format on */

/* First byte in [p, end) that is '"', '\\' or below 0x20; end if none. */
static inline const char *find_special(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;

    while (end - p >= 8) {
        uint64_t v, q, b, t;

        memcpy(&v, p, 8);
        q = v ^ (ones * '"');
        b = v ^ (ones * '\\');
        t = ((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v);
        if (t & highs) {
            for (int i = 0; i < 8; i++)
                if (str_special[(unsigned char)p[i]])
                    return p + i;
        }
        p += 8;
    }
    while (p < end && !str_special[(unsigned char)*p])
        p++;
    return p;
}

static int hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char ch = p[i];

        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            v |= ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            v |= ch - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t utf8_encode(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * \uXXXX at p (p[0] == '\\', p[1] == 'u'), with its low surrogate if it
 * is a high one. Appends the UTF-8 (U+FFFD for a lone surrogate, noted in
 * c->lone) and moves *pp past the escape(s).
 */
static int unicode_escape(struct json_ctx *c, const char **pp, const char *end,
                          struct isl_buf *out)
{
    const char *p = *pp;
    char u8[4];
    int cp, lo;

    if (end - p < 6)
        return T_MORE;
    if ((cp = hex4(p + 2)) < 0)
        return syntax(c, p, "four hex digits after \\u");
    p += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (p == end)
            return T_MORE;
        if (p[0] != '\\')
            goto lone;
        if (end - p < 2)
            return T_MORE;
        if (p[1] != 'u')
            goto lone;
        if (end - p < 6)
            return T_MORE;
        if ((lo = hex4(p + 2)) < 0)
            return syntax(c, p, "four hex digits after \\u");
        if (lo < 0xDC00 || lo > 0xDFFF)
            goto lone;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        goto lone;
    }
    *pp = p;
    return put(c, out, u8, utf8_encode(u8, (uint32_t)cp));
lone:
    if (!c->lone)
        c->lone = (uint32_t)cp;
    *pp = p;
    return put(c, out, "\xEF\xBF\xBD", 3);
}

/*
 * String at *pp (the opening quote): unescape into out (NULL: only check)
 * and move *pp past the closing quote.
 */
static int scan_string(struct json_ctx *c, const char **pp, const char *end,
                       struct isl_buf *out)
{
    const char *p = *pp + 1;
    int rc;

    for (;;) {
        const char *s = p;
        char ch;

        p = find_special(p, end);
        if (p > s && (rc = put(c, out, s, (size_t)(p - s))) != 0)
            return rc;
        if (p == end)
            return T_MORE;
        if (*p == '"') {
            *pp = p + 1;
            return T_OK;
        }
        if (*p != '\\')
            return syntax(c, p,
                          "a printable character (control characters "
                          "must be escaped in strings)");
        if (end - p < 2)
            return T_MORE;
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
            ch = p[1];
            break;
        case 'b':
            ch = '\b';
            break;
        case 'f':
            ch = '\f';
            break;
        case 'n':
            ch = '\n';
            break;
        case 'r':
            ch = '\r';
            break;
        case 't':
            ch = '\t';
            break;
        case 'u':
            if ((rc = unicode_escape(c, &p, end, out)) != 0)
                return rc;
            continue;
        default:
            return syntax(c, p,
                          "a valid escape (\\\" \\\\ \\/ \\b \\f \\n "
                          "\\r \\t \\uXXXX)");
        }
        if ((rc = put(c, out, &ch, 1)) != 0)
            return rc;
        p += 2;
    }
}

static int literal(struct json_ctx *c, const char **pp, const char *end,
                   const char *lit, size_t n)
{
    const char *p = *pp;
    size_t have = (size_t)(end - p);

    if (have < n)
        return memcmp(p, lit, have) == 0 ? T_MORE : syntax(c, p, "a value");
    if (memcmp(p, lit, n) != 0)
        return syntax(c, p, "a value");
    *pp = p + n;
    return T_OK;
}

/* Number token at *pp; *is_int when it has no fraction or exponent. */
static int scan_number(struct json_ctx *c, const char **pp, const char *end,
                       bool *is_int)
{
    const char *p = *pp;

    *is_int = true;
    if (*p == '-' && ++p == end)
        return T_MORE;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (++p < end && *p >= '0' && *p <= '9')
            ;
    } else {
        return syntax(c, p, "a digit");
    }
    if (p == end)
        return T_MORE;
    if (*p == '.') {
        *is_int = false;
        if (++p == end)
            return T_MORE;
        if (*p < '0' || *p > '9')
            return syntax(c, p, "a digit after '.'");
        while (++p < end && *p >= '0' && *p <= '9')
            ;
        if (p == end)
            return T_MORE;
    }
    if (*p == 'e' || *p == 'E') {
        *is_int = false;
        if (++p == end)
            return T_MORE;
        if ((*p == '+' || *p == '-') && ++p == end)
            return T_MORE;
        if (*p < '0' || *p > '9')
            return syntax(c, p, "a digit in the exponent");
        while (++p < end && *p >= '0' && *p <= '9')
            ;
        if (p == end)
            return T_MORE;
    }
    *pp = p;
    return T_OK;
}

/* True when the integer token s[0..n) fits int64. */
static bool fits_int64(const char *s, size_t n)
{
    bool neg = s[0] == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

    if (neg) {
        s++;
        n--;
    }
    if (n > 19)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');

        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    return true;
}

/* Append the text of number token s[0..n) to vals. */
static int format_number(struct json_ctx *c, const char *s, size_t n,
                         bool is_int, const char *field)
{
    char tmp[40];
    double d, back;
    int k = 0;

    if (is_int && fits_int64(s, n)) {
        if (n == 2 && s[0] == '-' && s[1] == '0')
            return put(c, &c->vals, "0", 1);
        return put(c, &c->vals, s, n);
    }
    isl_buf_reset(&c->num);
    if (isl_buf_add(&c->num, s, n) < 0) {
        c->full = true;
        return 0;
    }
    d = strtod(c->num.data, NULL);
    if (isinf(d)) {
        problem(c, "number", field, "number %.40s%s is out of range",
                c->num.data, n > 40 ? "..." : "");
        return 0;
    }
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        back = strtod(tmp, NULL);
        if (back == d)
            break;
    }
    return put(c, &c->vals, tmp, (size_t)k);
}

static int skip_value(struct json_ctx *c, const char **pp, const char *end,
                      int depth);

/* Check and step over an object or array at *pp (no output). */
static int skip_container(struct json_ctx *c, const char **pp, const char *end,
                          int depth)
{
    const char *p = *pp;
    bool obj = *p == '{';
    char close = obj ? '}' : ']';
    int rc;

    if (depth > MAX_DEPTH)
        return syntax(c, p, "values nested at most 128 levels deep");
    p = skip_ws(p + 1, end);
    if (p == end)
        return T_MORE;
    if (*p == close) {
        *pp = p + 1;
        return T_OK;
    }
    for (;;) {
        if (obj) {
            if (*p != '"')
                return syntax(c, p, "a field name (a string)");
            if ((rc = scan_string(c, &p, end, NULL)) != 0)
                return rc;
            p = skip_ws(p, end);
            if (p == end)
                return T_MORE;
            if (*p != ':')
                return syntax(c, p, "':' after the field name");
            p = skip_ws(p + 1, end);
        }
        if ((rc = skip_value(c, &p, end, depth + 1)) != 0)
            return rc;
        p = skip_ws(p, end);
        if (p == end)
            return T_MORE;
        if (*p == close) {
            *pp = p + 1;
            return T_OK;
        }
        if (*p != ',')
            return syntax(c, p,
                          obj ? "',' or '}' after a value"
                              : "',' or ']' after a value");
        p = skip_ws(p + 1, end);
        if (p == end)
            return T_MORE;
    }
}

static int skip_value(struct json_ctx *c, const char **pp, const char *end,
                      int depth)
{
    bool is_int;

    if (*pp == end)
        return T_MORE;
    switch (**pp) {
    case '{':
    case '[':
        return skip_container(c, pp, end, depth);
    case '"':
        return scan_string(c, pp, end, NULL);
    case 't':
        return literal(c, pp, end, "true", 4);
    case 'f':
        return literal(c, pp, end, "false", 5);
    case 'n':
        return literal(c, pp, end, "null", 4);
    default:
        if (**pp == '-' || (**pp >= '0' && **pp <= '9'))
            return scan_number(c, pp, end, &is_int);
        return syntax(c, *pp, "a value");
    }
}

/*
 * The interned name for prefix + key, checked for duplicates in this
 * record; NULL when the value is to be dropped (problem noted).
 */
static const struct jname *field_name(struct json_ctx *c, const char *key,
                                      size_t klen)
{
    const struct jname *nm;
    const char *s = key;
    size_t n = klen, i = c->nfe;

    if (c->pfx.len) {
        isl_buf_reset(&c->nmbuf);
        if (isl_buf_add(&c->nmbuf, c->pfx.data, c->pfx.len) < 0 ||
            isl_buf_add(&c->nmbuf, key, klen) < 0) {
            c->full = true;
            return NULL;
        }
        s = c->nmbuf.data;
        n = c->nmbuf.len;
    }
    if (i < c->npred && (nm = c->pred[i]) != NULL && nm->len == n &&
        memcmp(nm->s, s, n) == 0) {
        /* same key as the previous row at this place */
    } else {
        if (!(nm = intern(c, s, n)))
            return NULL;
        if (i >= c->apred) {
            size_t a = c->apred ? c->apred * 2 : 32;
            const struct jname **p;

            while (a <= i)
                a *= 2;
            if (!(p = realloc(c->pred, a * sizeof(*p)))) {
                c->nomem = true;
                return NULL;
            }
            c->pred = p;
            c->apred = a;
        }
        while (c->npred <= i)
            c->pred[c->npred++] = NULL;
        c->pred[i] = nm;
    }
    if (nm->stamp == c->serial) {
        problem(c, "duplicate_key", nm->s,
                "the key appears more than once in the record");
        return NULL;
    }
    ((struct jname *)nm)->stamp = c->serial;
    return nm;
}

/* Record value c->vals[voff..] for nm (NULL: drop it). */
static int add_field(struct json_ctx *c, const struct jname *nm, size_t voff)
{
    size_t vlen = c->vals.len - voff;

    if (!nm || c->full) {
        if (!c->full)
            c->vals.len = voff;
        return 0;
    }
    if (c->nfe == c->afe) {
        size_t a = c->afe ? c->afe * 2 : 32;
        struct fent *f = realloc(c->fe, a * sizeof(*f));

        if (!f)
            return T_NOMEM;
        c->fe = f;
        c->afe = a;
    }
    c->fe[c->nfe].nm = nm;
    c->fe[c->nfe].voff = voff;
    c->fe[c->nfe].vlen = vlen;
    c->nfe++;
    return put(c, &c->vals, "", 1);
}

/* The maximum field size is checked by the caller (it knows the cap). */
static int scalar(struct json_ctx *c, const char **pp, const char *end,
                  const struct jname *nm, size_t max_field)
{
    const char *p = *pp;
    size_t voff = c->vals.len;
    int rc;

    switch (*p) {
    case '"':
        c->lone = 0;
        if ((rc = scan_string(c, &p, end, nm ? &c->vals : NULL)) != 0)
            return rc;
        if (!nm || c->full)
            break;
        if (c->lone) {
            problem(c, "encoding", nm->s, "lone surrogate \\u%04X in the value",
                    c->lone);
        } else if (c->utf8 && c->vals.len > voff) {
            size_t n = c->vals.len - voff;
            size_t ok = isl_utf8_valid_prefix(c->vals.data + voff, n);

            if (ok != n)
                problem(c, "encoding", nm->s,
                        "invalid UTF-8 at byte %zu of the value", ok + 1);
        }
        break;
    case 't':
        if ((rc = literal(c, &p, end, "true", 4)) != 0)
            return rc;
        if (nm && (rc = put(c, &c->vals, "true", 4)) != 0)
            return rc;
        break;
    case 'f':
        if ((rc = literal(c, &p, end, "false", 5)) != 0)
            return rc;
        if (nm && (rc = put(c, &c->vals, "false", 5)) != 0)
            return rc;
        break;
    case 'n':
        if ((rc = literal(c, &p, end, "null", 4)) != 0)
            return rc;
        break;
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            bool is_int;
            const char *s = p;

            if ((rc = scan_number(c, &p, end, &is_int)) != 0)
                return rc;
            if (nm &&
                (rc = format_number(c, s, (size_t)(p - s), is_int, nm->s)) != 0)
                return rc;
            break;
        }
        return syntax(c, p, "a value");
    }
    *pp = p;
    if (nm && !c->full && c->vals.len - voff > max_field) {
        problem(c, "field_size", nm->s, "value is longer than %zu bytes",
                max_field);
        nm = NULL;
    }
    return add_field(c, nm, voff);
}

struct rec {
    struct json_ctx *c;
    size_t max_field;
};

static int members(struct rec *rc_, const char **pp, const char *end, int depth,
                   bool *empty);
static int elements(struct rec *rc_, const char **pp, const char *end,
                    int depth, bool *empty);

/* The value of key at *pp: a scalar field, or nested fields. */
static int member(struct rec *x, const char **pp, const char *end, int depth,
                  const char *key, size_t klen)
{
    struct json_ctx *c = x->c;
    const struct jname *nm;
    size_t plen;
    bool empty;
    int rc;

    if (**pp != '{' && **pp != '[') {
        nm = field_name(c, key, klen);
        if (c->nomem)
            return T_NOMEM;
        return scalar(c, pp, end, nm, x->max_field);
    }
    if (!c->flatten) {
        if (!c->prob_rule) {
            char name[128];

            snprintf(name, sizeof(name), "%.*s%.*s", (int)c->pfx.len,
                     c->pfx.data ? c->pfx.data : "", (int)klen, key);
            problem(c, "nested", name,
                    "the value is %s (set flatten to load nested values as "
                    "a.b fields)",
                    **pp == '{' ? "an object" : "an array");
        }
        return skip_value(c, pp, end, depth + 1);
    }
    if (depth >= MAX_DEPTH)
        return syntax(c, *pp, "values nested at most 128 levels deep");
    plen = c->pfx.len;
    if (put(c, &c->pfx, key, klen) != 0 || put(c, &c->pfx, ".", 1) != 0)
        return T_NOMEM;
    if (c->full) /* the record is dropped: only check the rest */
        rc = skip_value(c, pp, end, depth + 1);
    else if (**pp == '{')
        rc = members(x, pp, end, depth + 1, &empty);
    else
        rc = elements(x, pp, end, depth + 1, &empty);
    if (rc == T_OK && !c->full && empty) {
        /* "a": {} or "a": [] gives a = "" */
        size_t n = c->pfx.len - 1;

        c->pfx.len = 0;
        nm = field_name(c, c->pfx.data, n);
        c->pfx.len = n + 1;
        if (c->nomem)
            rc = T_NOMEM;
        else
            rc = add_field(c, nm, c->vals.len);
    }
    c->pfx.len = plen;
    c->pfx.data[plen] = '\0';
    return rc;
}

/* Key at *pp; key and klen point into the window or into c->kbuf. */
static int scan_key(struct json_ctx *c, const char **pp, const char *end,
                    const char **key, size_t *klen)
{
    const char *p = *pp, *q = find_special(p + 1, end);
    int rc;

    if (q == end)
        return T_MORE;
    if (*q == '"') {
        *key = p + 1;
        *klen = (size_t)(q - p - 1);
        *pp = q + 1;
        return T_OK;
    }
    isl_buf_reset(&c->kbuf);
    c->lone = 0;
    if ((rc = scan_string(c, pp, end, &c->kbuf)) != 0)
        return rc;
    if (c->lone) {
        problem(c, "encoding", NULL, "lone surrogate \\u%04X in a field name",
                c->lone);
        *key = NULL;
        return T_OK;
    }
    *key = c->kbuf.data ? c->kbuf.data : "";
    *klen = c->kbuf.len;
    return T_OK;
}

/* Members of the object at *pp ('{'). */
static int members(struct rec *x, const char **pp, const char *end, int depth,
                   bool *empty)
{
    struct json_ctx *c = x->c;
    const char *p = skip_ws(*pp + 1, end);
    int rc;

    *empty = true;
    if (p == end)
        return T_MORE;
    if (*p == '}') {
        *pp = p + 1;
        return T_OK;
    }
    *empty = false;
    for (;;) {
        const char *key;
        size_t klen;

        if (*p != '"')
            return syntax(c, p, "a field name (a string)");
        if ((rc = scan_key(c, &p, end, &key, &klen)) != 0)
            return rc;
        p = skip_ws(p, end);
        if (p == end)
            return T_MORE;
        if (*p != ':')
            return syntax(c, p, "':' after the field name");
        p = skip_ws(p + 1, end);
        if (p == end)
            return T_MORE;
        rc = key ? member(x, &p, end, depth, key, klen)
                 : skip_value(c, &p, end, depth + 1);
        if (rc)
            return rc;
        p = skip_ws(p, end);
        if (p == end)
            return T_MORE;
        if (*p == '}') {
            *pp = p + 1;
            return T_OK;
        }
        if (*p != ',')
            return syntax(c, p, "',' or '}' after a value");
        p = skip_ws(p + 1, end);
        if (p == end)
            return T_MORE;
    }
}

/* Elements of the array at *pp ('['), flattened as prefix.0, prefix.1 */
static int elements(struct rec *x, const char **pp, const char *end, int depth,
                    bool *empty)
{
    struct json_ctx *c = x->c;
    const char *p = skip_ws(*pp + 1, end);
    size_t i = 0;
    int rc;

    *empty = true;
    if (p == end)
        return T_MORE;
    if (*p == ']') {
        *pp = p + 1;
        return T_OK;
    }
    *empty = false;
    for (;;) {
        char key[24];
        int klen = snprintf(key, sizeof(key), "%zu", i++);

        if ((rc = member(x, &p, end, depth, key, (size_t)klen)) != 0)
            return rc;
        p = skip_ws(p, end);
        if (p == end)
            return T_MORE;
        if (*p == ']') {
            *pp = p + 1;
            return T_OK;
        }
        if (*p != ',')
            return syntax(c, p, "',' or ']' after a value");
        p = skip_ws(p + 1, end);
        if (p == end)
            return T_MORE;
    }
}

/* Forget the record being built (before each parse attempt). */
static void reset_record(struct json_ctx *c)
{
    c->nfe = 0;
    isl_buf_reset(&c->vals);
    isl_buf_reset(&c->pfx);
    c->prob_rule = NULL;
    c->full = false;
    c->nomem = false;
    c->serial++;
}

/* Parse the record object at *pp ('{') into c->fe and c->vals. */
static int parse_record(struct isl_reader *r, struct json_ctx *c,
                        const char **pp, const char *end)
{
    struct rec x = {c, r->opts.max_field};
    bool empty;

    reset_record(c);
    return members(&x, pp, end, 1, &empty);
}

/* ---- window ---- */

/* Line number at buf[i]; i must not go backwards past lpos. */
static uint64_t line_at(struct json_ctx *c, size_t i)
{
    const char *p = c->buf + c->lpos, *e = c->buf + i, *q;

    if (i <= c->lpos)
        return c->line;
    while (p < e && (q = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        c->line++;
        p = q + 1;
    }
    c->lpos = i;
    return c->line;
}

/*
 * Drop buf[0..keep), then read until the window is full or the input
 * ends. The window grows so that it has at least as much room as it
 * holds: a record parsed again after each read costs O(size) in total.
 */
static int refill(struct isl_reader *r, struct json_ctx *c, size_t keep,
                  struct isl_error *err)
{
    size_t want;

    if (c->eof)
        return 0;
    if (keep) {
        line_at(c, keep);
        memmove(c->buf, c->buf + keep, c->len - keep);
        c->len -= keep;
        c->pos = c->pos > keep ? c->pos - keep : 0;
        c->lpos -= keep;
        c->base += keep;
    }
    want = c->len > CHUNK_SIZE ? c->len : CHUNK_SIZE;
    if (c->cap - c->len < want && c->cap < c->cap_max) {
        size_t ncap = c->cap;
        char *nb;

        while (ncap - c->len < want && ncap < c->cap_max)
            ncap = ncap > c->cap_max / 2 ? c->cap_max : ncap * 2;
        if (!(nb = realloc(c->buf, ncap)))
            return isl_error_set(err, ISL_ENOMEM, "in_json", "out of memory");
        c->buf = nb;
        c->cap = ncap;
    }
    while (c->len < c->cap) {
        size_t got = 0;
        int rc =
            isl_input_read(r->in, c->buf + c->len, c->cap - c->len, &got, err);

        if (rc < 0)
            return rc;
        if (got == 0) {
            c->eof = true;
            break;
        }
        c->len += got;
        c->ends_nl = c->buf[c->len - 1] == '\n';
    }
    return 0;
}

static const char *found(const char *p, const char *end, char *tmp, size_t size)
{
    unsigned char ch;

    if (!p || p >= end)
        return "end of input";
    ch = (unsigned char)*p;
    if (ch >= 0x20 && ch < 0x7F)
        snprintf(tmp, size, "'%c'", ch);
    else
        snprintf(tmp, size, "byte 0x%02X", ch);
    return tmp;
}

/* A fatal error at buf[i] (i == len: end of input). */
static int fatal_at(struct isl_reader *r, struct json_ctx *c,
                    struct isl_error *err, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fatal_at(struct isl_reader *r, struct json_ctx *c,
                    struct isl_error *err, size_t i, const char *fmt, ...)
{
    char msg[400];
    uint64_t line = line_at(c, i);
    va_list ap;

    if (i >= c->len && c->eof && c->ends_nl && line > 1)
        line--; /* end of input: the last line, not the empty one after */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return isl_reader__parse_error(r, err, line, c->base + i, "%s", msg);
}

/* Skip whitespace, reading as needed; *ch is the next byte or -1 at EOF. */
static int peek(struct isl_reader *r, struct json_ctx *c, int *ch,
                struct isl_error *err)
{
    for (;;) {
        const char *p = skip_ws(c->buf + c->pos, c->buf + c->len);
        int rc;

        c->pos = (size_t)(p - c->buf);
        if (c->pos < c->len) {
            *ch = (unsigned char)*p;
            return 0;
        }
        if (c->eof) {
            *ch = -1;
            return 0;
        }
        if ((rc = refill(r, c, c->pos, err)) < 0)
            return rc;
    }
}

/*
 * Parse what = P_RECORD/P_SKIP/P_KEY at c->pos, reading more and starting
 * again while the window ends inside it. On success c->pos is past it.
 * *oversize (may be NULL for keys) is set, with c->pos left at the start,
 * when it is longer than max_record; then nothing is parsed.
 */
static int run_parse(struct isl_reader *r, struct json_ctx *c, int what,
                     bool *oversize, const char *ctx_what,
                     struct isl_error *err)
{
    size_t start = c->pos;
    int rc;

    for (;;) {
        const char *p = c->buf + start, *end = c->buf + c->len;
        char tmp[16];

        if (what == P_RECORD) {
            rc = parse_record(r, c, &p, end);
        } else if (what == P_KEY) {
            isl_buf_reset(&c->kbuf);
            c->full = false;
            rc = scan_string(c, &p, end, &c->kbuf);
        } else {
            reset_record(c);
            rc = skip_value(c, &p, end, 1);
        }
        if (rc == T_OK) {
            c->pos = (size_t)(p - c->buf);
            return 0;
        }
        if (rc == T_NOMEM)
            return isl_error_set(err, ISL_ENOMEM, "in_json", "out of memory");
        if (rc == T_SYNTAX)
            return fatal_at(r, c, err, (size_t)(c->tk_at - c->buf),
                            "%s: expected %s, found %s", ctx_what, c->tk_what,
                            found(c->tk_at, end, tmp, sizeof(tmp)));
        /* T_MORE */
        if (c->eof) {
            uint64_t l = line_at(c, start);

            return fatal_at(r, c, err, c->len,
                            "unexpected end of input: %s (which starts on "
                            "line %llu) is not closed",
                            ctx_what, (unsigned long long)l);
        }
        if (c->len - start > r->opts.max_record) {
            c->pos = start;
            if (oversize) {
                *oversize = true;
                return 0;
            }
            return fatal_at(r, c, err, start, "%s is longer than %zu bytes",
                            ctx_what, r->opts.max_record);
        }
        c->pos = start;
        if ((rc = refill(r, c, start, err)) < 0)
            return rc;
        start = c->pos;
    }
}

/*
 * Step over the value at c->pos by bracket matching, reading and dropping
 * as it goes (memory stays bounded whatever its size). Strings and
 * brackets are followed; other tokens are not checked.
 */
static int skip_stream(struct isl_reader *r, struct json_ctx *c,
                       const char *ctx_what, struct isl_error *err)
{
    uint64_t start_line;
    size_t i, depth = 0;
    bool started = false, in_str = false, esc = false, scalar_ = false;
    int ch0, rc;

    if ((rc = peek(r, c, &ch0, err)) < 0)
        return rc;
    if (ch0 < 0)
        return fatal_at(r, c, err, c->len,
                        "unexpected end of input: expected %s", ctx_what);
    start_line = line_at(c, c->pos);
    i = c->pos;

    for (;;) {
        char ch;

        if (i == c->len) {
            if (c->eof)
                return fatal_at(r, c, err, c->len,
                                "unexpected end of input: %s (which starts "
                                "on line %llu) is not closed",
                                ctx_what, (unsigned long long)start_line);
            c->pos = i;
            if ((rc = refill(r, c, i, err)) < 0)
                return rc;
            i = c->pos;
            continue;
        }
        ch = c->buf[i];
        if (!started) {
            started = true;
            if (ch == '"')
                in_str = true;
            else if (ch == '{' || ch == '[')
                depth = 1;
            else
                scalar_ = true;
        } else if (in_str) {
            if (esc) {
                esc = false;
            } else if (ch == '\\') {
                esc = true;
            } else if (ch == '"') {
                in_str = false;
                if (!depth) {
                    i++;
                    break;
                }
            }
        } else if (scalar_) {
            if (ch == ',' || ch == ']' || ch == '}' || ch == ' ' ||
                ch == '\t' || ch == '\r' || ch == '\n')
                break;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0) {
                i++;
                break;
            }
        }
        i++;
    }
    c->pos = i;
    return 0;
}

/* ---- rows ---- */

/* Start of next(): retire or free the name table, forget the last row. */
static void row_start(struct json_ctx *c)
{
    if (c->grave.tab) {
        names_free(&c->grave);
    } else if (c->names.n > NAMES_MAX_COUNT ||
               c->names.bytes > NAMES_MAX_BYTES) {
        c->grave = c->names;
        memset(&c->names, 0, sizeof(c->names));
        c->npred = 0;
    }
    c->nfe = 0;
}

/* Turn c->fe into c->row at the given position; ISL_OK or ISL_EROW. */
static int finish_row(struct isl_reader *r, struct json_ctx *c, uint64_t line,
                      uint64_t offset, struct isl_row **out,
                      struct isl_error *err)
{
    if (c->full) {
        c->nfe = 0;
        c->prob_rule = NULL;
        problem(c, "record_size", NULL, "record is longer than %zu bytes",
                r->opts.max_record);
    }
    if (c->nfe > c->afields) {
        size_t a = c->afields ? c->afields : 32;
        struct isl_field *f;

        while (a < c->nfe)
            a *= 2;
        if (!(f = realloc(c->fields, a * sizeof(*f))))
            return isl_error_set(err, ISL_ENOMEM, "in_json", "out of memory");
        c->fields = f;
        c->afields = a;
    }
    for (size_t i = 0; i < c->nfe; i++) {
        c->fields[i].name = c->fe[i].nm->s;
        c->fields[i].value = c->vals.data + c->fe[i].voff;
        c->fields[i].len = c->fe[i].vlen;
    }
    c->row.pos.file = r->name;
    c->row.pos.line = line;
    c->row.pos.record = c->records;
    c->row.pos.offset = offset;
    c->row.fields = c->fields;
    c->row.n = c->nfe;
    *out = &c->row;
    if (c->prob_rule)
        return isl_reader__row_error(r, &c->row, err,
                                     c->prob_field[0] ? c->prob_field : NULL,
                                     c->prob_rule, "%s", c->prob_msg);
    return ISL_OK;
}

static const char *kind_of(char ch)
{
    switch (ch) {
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        if (ch == '-' || (ch >= '0' && ch <= '9'))
            return "a number";
        return ch == '{' ? "an object" : "something that is not JSON";
    }
}

/* ---- NDJSON ---- */

static int nd_next(struct isl_reader *r, struct isl_row **out,
                   struct isl_error *err)
{
    struct json_ctx *c = r->ctx;
    int rc;

    row_start(c);
    for (;;) {
        const char *s = c->buf + c->pos, *e, *p, *nl;
        size_t avail = c->len - c->pos, next;
        uint64_t line, offset;
        char tmp[16];

        nl = memchr(s, '\n', avail);
        if (!nl && !c->eof) {
            if (avail > r->opts.max_record)
                break; /* oversize: below */
            if ((rc = refill(r, c, c->pos, err)) < 0)
                return rc;
            continue;
        }
        if (!nl && !avail)
            return ISL_EOF;
        e = nl ? nl : s + avail;
        next = (size_t)(e - c->buf) + (nl ? 1 : 0);
        p = skip_ws(s, e);
        if (p == e) {
            c->pos = next;
            continue;
        }
        c->records++;
        line = line_at(c, c->pos);
        offset = c->base + (uint64_t)(p - c->buf);
        c->pos = next;
        reset_record(c);
        if ((size_t)(e - s) > r->opts.max_record) {
            c->full = true;
            return finish_row(r, c, line, offset, out, err);
        }
        if (*p != '{') {
            problem(c, "json", NULL,
                    "line %llu is not a JSON object (found %s)",
                    (unsigned long long)line, kind_of(*p));
            return finish_row(r, c, line, offset, out, err);
        }
        rc = parse_record(r, c, &p, e);
        if (rc == T_OK && (p = skip_ws(p, e)) != e) {
            c->prob_rule = NULL;
            problem(c, "json", NULL,
                    "line %llu: unexpected %s at column %zu after the object",
                    (unsigned long long)line, found(p, e, tmp, sizeof(tmp)),
                    (size_t)(p - s) + 1);
        } else if (rc == T_MORE) {
            c->prob_rule = NULL;
            problem(c, "json", NULL,
                    "line %llu ends inside the object (column %zu)",
                    (unsigned long long)line, (size_t)(e - s) + 1);
        } else if (rc == T_SYNTAX) {
            c->prob_rule = NULL;
            problem(c, "json", NULL,
                    "line %llu is not valid JSON: expected %s, found %s at "
                    "column %zu",
                    (unsigned long long)line, c->tk_what,
                    found(c->tk_at, e, tmp, sizeof(tmp)),
                    (size_t)(c->tk_at - s) + 1);
        } else if (rc == T_NOMEM) {
            return isl_error_set(err, ISL_ENOMEM, "in_ndjson", "out of memory");
        }
        return finish_row(r, c, line, offset, out, err);
    }
    /* a line longer than max_record: drop it up to its newline */
    {
        uint64_t line = line_at(c, c->pos), offset = c->base + c->pos;

        c->records++;
        for (;;) {
            const char *nl = memchr(c->buf + c->pos, '\n', c->len - c->pos);

            if (nl) {
                c->pos = (size_t)(nl - c->buf) + 1;
                break;
            }
            c->pos = c->len;
            if (c->eof)
                break;
            if ((rc = refill(r, c, c->pos, err)) < 0)
                return rc;
        }
        reset_record(c);
        c->full = true;
        return finish_row(r, c, line, offset, out, err);
    }
}

/* ---- JSON document ---- */

static int expect_char(struct isl_reader *r, struct json_ctx *c, char want,
                       const char *after, struct isl_error *err)
{
    char tmp[16];
    int ch, rc;

    if ((rc = peek(r, c, &ch, err)) < 0)
        return rc;
    if (ch != want)
        return fatal_at(
            r, c, err, c->pos, "expected '%c' %s, found %s", want, after,
            found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
    c->pos++;
    return 0;
}

/* Read a member key of the envelope into c->kbuf. */
static int env_key(struct isl_reader *r, struct json_ctx *c,
                   struct isl_error *err)
{
    char tmp[16];
    int ch, rc;

    if ((rc = peek(r, c, &ch, err)) < 0)
        return rc;
    if (ch != '"')
        return fatal_at(
            r, c, err, c->pos, "expected a field name (a string), found %s",
            found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
    if ((rc = run_parse(r, c, P_KEY, NULL, "a field name", err)) < 0)
        return rc;
    return expect_char(r, c, ':', "after the field name", err);
}

static void path_upto(const struct json_ctx *c, size_t k, char *out,
                      size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i <= k && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "." : "",
                              c->parts[i]);
}

/* Walk the records path to the '[' of the records; c->pos past it. */
static int find_array(struct isl_reader *r, struct json_ctx *c,
                      struct isl_error *err)
{
    char tmp[16], where[256];
    int ch, rc;

    if ((rc = peek(r, c, &ch, err)) < 0)
        return rc;
    if (ch == '[' && !c->path_given) {
        c->pos++;
        c->nparts = 0; /* nothing to close after the array */
        return 0;
    }
    if (ch != '{')
        return fatal_at(
            r, c, err, c->pos,
            "expected %s at the start of the document, "
            "found %s",
            c->path_given ? "an object holding the records path" : "'[' or '{'",
            ch == '['
                ? "an array"
                : found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
    for (size_t k = 0; k < c->nparts; k++) {
        bool last = k + 1 == c->nparts;

        c->pos++; /* the '{' */
        path_upto(c, k, where, sizeof(where));
        if ((rc = peek(r, c, &ch, err)) < 0)
            return rc;
        for (;;) {
            if (ch == '}')
                return fatal_at(r, c, err, c->pos,
                                "key '%s' not found (records path '%s')",
                                c->parts[k], where);
            if ((rc = env_key(r, c, err)) < 0)
                return rc;
            if ((rc = peek(r, c, &ch, err)) < 0)
                return rc;
            if (c->kbuf.len == strlen(c->parts[k]) &&
                memcmp(c->kbuf.data, c->parts[k], c->kbuf.len) == 0) {
                if (ch == (last ? '[' : '{'))
                    break;
                return fatal_at(r, c, err, c->pos, "key '%s' holds %s, not %s",
                                where,
                                ch == '{' ? "an object"
                                : ch < 0  ? "nothing"
                                          : kind_of((char)ch),
                                last ? "an array of records" : "an object");
            }
            if ((rc = skip_stream(r, c, "a value", err)) < 0)
                return rc;
            if ((rc = peek(r, c, &ch, err)) < 0)
                return rc;
            if (ch == '}')
                continue;
            if (ch != ',')
                return fatal_at(
                    r, c, err, c->pos,
                    "expected ',' or '}' after a value, found %s",
                    found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
            c->pos++;
            if ((rc = peek(r, c, &ch, err)) < 0)
                return rc;
        }
    }
    c->pos++; /* the '[' */
    return 0;
}

/* After the records' ']': skip the envelope's remaining members. */
static int close_envelope(struct isl_reader *r, struct json_ctx *c,
                          struct isl_error *err)
{
    char tmp[16];
    int ch, rc;

    for (size_t k = c->nparts; k > 0; k--) {
        for (;;) {
            if ((rc = peek(r, c, &ch, err)) < 0)
                return rc;
            if (ch == '}') {
                c->pos++;
                break;
            }
            if (ch != ',')
                return fatal_at(
                    r, c, err, c->pos,
                    "expected ',' or '}' after a value, found %s",
                    found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
            c->pos++;
            if ((rc = env_key(r, c, err)) < 0 ||
                (rc = skip_stream(r, c, "a value", err)) < 0)
                return rc;
        }
    }
    if ((rc = peek(r, c, &ch, err)) < 0)
        return rc;
    if (ch != -1)
        return fatal_at(
            r, c, err, c->pos, "unexpected %s after the end of the document",
            found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
    return 0;
}

/* One array element at c->pos. */
static int read_element(struct isl_reader *r, struct json_ctx *c,
                        struct isl_row **out, struct isl_error *err)
{
    uint64_t line = line_at(c, c->pos), offset = c->base + c->pos;
    char first = c->buf[c->pos], what[64];
    bool oversize = false;
    int rc;

    c->records++;
    snprintf(what, sizeof(what), "record %llu", (unsigned long long)c->records);
    rc =
        run_parse(r, c, first == '{' ? P_RECORD : P_SKIP, &oversize, what, err);
    if (rc < 0)
        return rc;
    c->state = S_NEXT;
    if (oversize) {
        if ((rc = skip_stream(r, c, what, err)) < 0)
            return rc;
        reset_record(c);
        c->full = true;
    } else if (first != '{') {
        reset_record(c);
        problem(c, "json", NULL,
                "array element %llu is not an object "
                "(found %s)",
                (unsigned long long)c->records, kind_of(first));
    } else if (c->pos - (size_t)(offset - c->base) > r->opts.max_record) {
        c->full = true;
    }
    return finish_row(r, c, line, offset, out, err);
}

static int json_next(struct isl_reader *r, struct isl_row **out,
                     struct isl_error *err)
{
    struct json_ctx *c = r->ctx;
    char tmp[16];
    int ch, rc;

    row_start(c);
    if (c->state == S_DONE)
        return ISL_EOF;
    if (c->state == S_START) {
        if ((rc = find_array(r, c, err)) < 0)
            return rc;
        c->state = S_FIRST;
    }
    if ((rc = peek(r, c, &ch, err)) < 0)
        return rc;
    if (c->state == S_NEXT) {
        if (ch == ',') {
            c->pos++;
            if ((rc = peek(r, c, &ch, err)) < 0)
                return rc;
            if (ch == ']' || ch == -1)
                return fatal_at(
                    r, c, err, c->pos, "expected a record after ',', found %s",
                    found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
        } else if (ch == ']') {
            c->pos++;
            c->state = S_CLOSE;
        } else {
            return fatal_at(
                r, c, err, c->pos,
                "expected ',' or ']' after record %llu, found %s",
                (unsigned long long)c->records,
                found(c->buf + c->pos, c->buf + c->len, tmp, sizeof(tmp)));
        }
    } else if (c->state == S_FIRST) {
        if (ch == ']') {
            c->pos++;
            c->state = S_CLOSE;
        } else if (ch == -1) {
            return fatal_at(r, c, err, c->len,
                            "unexpected end of input: expected a record or "
                            "']'");
        }
    }
    if (c->state == S_CLOSE) {
        c->state = S_DONE;
        if ((rc = close_envelope(r, c, err)) < 0)
            return rc;
        return ISL_EOF;
    }
    return read_element(r, c, out, err);
}

/* ---- open / close ---- */

static int split_path(struct isl_reader *r, struct json_ctx *c,
                      struct isl_error *err)
{
    const char *path = r->opts.records_path;
    size_t n = 1;

    c->path_given = path && *path;
    if (!c->path_given)
        path = "records";
    for (const char *p = path; *p; p++)
        n += *p == '.';
    c->path = strdup(path);
    c->parts = calloc(n, sizeof(*c->parts));
    if (!c->path || !c->parts)
        return isl_error_set(err, ISL_ENOMEM, "in_json", "out of memory");
    for (char *p = c->path, *dot;; p = dot + 1) {
        dot = strchr(p, '.');
        if (dot)
            *dot = '\0';
        if (!*p)
            return isl_error_set(err, ISL_ECONFIG, "in_json",
                                 "records path '%s' has an empty part", path);
        c->parts[c->nparts++] = p;
        if (!dot)
            break;
    }
    return 0;
}

static int open_common(struct isl_reader *r, bool nd, struct isl_error *err)
{
    struct json_ctx *c = r->ctx;
    size_t rec = r->opts.max_record;

    c->nd = nd;
    c->utf8 = !isl_input_is_converted(r->in);
    c->flatten = r->opts.flatten;
    if (rec > SIZE_MAX / 8)
        rec = SIZE_MAX / 8;
    c->cap_max = 2 * rec + 2 * CHUNK_SIZE;
    c->cap = CHUNK_SIZE;
    c->line = 1;
    isl_buf_init(&c->vals, 4 * rec + 65536);
    isl_buf_init(&c->kbuf, rec + 1);
    isl_buf_init(&c->pfx, rec + 1);
    isl_buf_init(&c->nmbuf, 2 * rec + 2);
    isl_buf_init(&c->num, rec + 1);
    if (!(c->buf = malloc(c->cap)))
        return isl_error_set(err, ISL_ENOMEM, "in_json", "out of memory");
    if (!nd)
        return split_path(r, c, err);
    return 0;
}

static int json_open(struct isl_reader *r, struct isl_error *err)
{
    return open_common(r, false, err);
}

static int ndjson_open(struct isl_reader *r, struct isl_error *err)
{
    return open_common(r, true, err);
}

static void json_close(struct isl_reader *r)
{
    struct json_ctx *c = r->ctx;

    free(c->buf);
    free(c->path);
    free(c->parts);
    isl_buf_free(&c->vals);
    isl_buf_free(&c->kbuf);
    isl_buf_free(&c->pfx);
    isl_buf_free(&c->nmbuf);
    isl_buf_free(&c->num);
    free(c->fe);
    free(c->pred);
    free(c->fields);
    names_free(&c->names);
    names_free(&c->grave);
}

const struct isl_reader_type isl_in_json = {
    .name = "json",
    .format = ISL_FMT_JSON,
    .ctx_size = sizeof(struct json_ctx),
    .open = json_open,
    .next = json_next,
    .close = json_close,
};

const struct isl_reader_type isl_in_ndjson = {
    .name = "ndjson",
    .format = ISL_FMT_NDJSON,
    .ctx_size = sizeof(struct json_ctx),
    .open = ndjson_open,
    .next = nd_next,
    .close = json_close,
};
