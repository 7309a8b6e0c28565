/*
 * tf_util.h: helpers shared by the stage implementations (not part of the
 * stage interface): error filling, quoting values for messages, option
 * lists, ASCII case folding, UTF-8 counting and column lookup.
 */
#ifndef TF_UTIL_H
#define TF_UTIL_H

#include "isl_setup.h"
#include "tf_stage.h"

#include <jansson.h>
#include <string.h>

struct isl_buf;
struct isl_error;

/* Longest value quoted in a message, in bytes, before "...". */
#define TF_QUOTE_MAX 80

/*
 * Fill err for an init failure: ISL_ECONFIG, rule "feed". fmt is relative
 * to the stage's path: start it with ".option: " (or "[i]") to name an
 * option, or with a plain reason; tf_stage_new prefixes the path.
 * Returns ISL_ECONFIG.
 */
int tf_init_error(struct isl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Fill err for a rejected value or row: code ISL_EROW, rule = the stage
 * name and field = st->column unless already set, msg from fmt.
 * Returns TF_REJECT.
 */
int tf_reject(const struct tf_stage *st, struct isl_error *err, const char *fmt,
              ...) __attribute__((format(printf, 3, 4)));

/*
 * Write s[0..len) into buf as a quoted one-line value for messages:
 * 'value', control characters shown as '?', cut to TF_QUOTE_MAX bytes at a
 * UTF-8 boundary with "..." appended. Returns buf. size >= TF_QUOTE_MAX+8.
 */
const char *tf_quote(char *buf, size_t size, const char *s, size_t len);

/* Put s[0..len) into out (reset first). TF_CHANGED, or TF_REJECT when
 * out cannot hold it (err filled). */
int tf_emit(const struct tf_stage *st, struct isl_buf *out, const char *s,
            size_t len, struct isl_error *err);

/* A TF_OPT_STRING_LIST value: an array of strings or one string. */
size_t tf_list_size(const json_t *list);
const char *tf_list_get(const json_t *list, size_t i);

/*
 * Parse a "case" option: NULL or "sensitive" -> false, "insensitive" ->
 * true; anything else is an init error naming option `name`.
 */
int tf_case_option(const char *value, const char *name, bool *insensitive,
                   struct isl_error *err);

static inline char tf_ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static inline char tf_ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static inline bool tf_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Equal ignoring ASCII case (bytes >= 0x80 compared exactly). */
static inline bool tf_ascii_eq(const char *a, size_t alen, const char *b,
                               size_t blen, bool insensitive)
{
    if (alen != blen)
        return false;
    if (!insensitive)
        return memcmp(a, b, alen) == 0;
    for (size_t i = 0; i < alen; i++)
        if (tf_ascii_lower(a[i]) != tf_ascii_lower(b[i]))
            return false;
    return true;
}

/*
 * Word-at-a-time helpers for the common all-ASCII values. A word holds 8
 * bytes of a value in native order; tf_load_part fills a word from fewer
 * bytes, the rest zero. TF_ONES has 0x01 in every byte, TF_HIGHS 0x80.
 */
#define TF_ONES 0x0101010101010101ULL
#define TF_HIGHS 0x8080808080808080ULL

static inline uint64_t tf_load8(const char *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
    return w;
}

/* The n < 8 bytes at p in a word, zero-padded (no read past p + n). */
static inline uint64_t tf_load_part(const char *p, size_t n)
{
    uint64_t w = 0;
    size_t at = 0;

    if (n & 4) {
        uint32_t v;

        memcpy(&v, p, 4);
        w = v;
        at = 4;
    }
    if (n & 2) {
        uint16_t v;

        memcpy(&v, p + at, 2);
        w |= (uint64_t)v << (8 * at);
        at += 2;
    }
    if (n & 1)
        w |= (uint64_t)(unsigned char)p[at] << (8 * at);
    return w;
}

/*
 * 0x80 in each byte of w that is in [lo, hi], 0 elsewhere, for words
 * whose bytes are all < 0x80 (1 <= lo <= hi < 0x80).
 */
static inline uint64_t tf_bytes_in(uint64_t w, unsigned lo, unsigned hi)
{
    uint64_t ge_lo = w + TF_ONES * (0x80 - lo);
    uint64_t gt_hi = w + TF_ONES * (0x7F - hi);

    return ge_lo & ~gt_hi & TF_HIGHS;
}

/* Nonzero when some byte of w is < n (n <= 0x80): the classic hasless. */
static inline uint64_t tf_has_less(uint64_t w, unsigned n)
{
    return (w - TF_ONES * n) & ~w & TF_HIGHS;
}

/* Whether s[0..len) is all ASCII (no byte >= 0x80). */
static inline bool tf_is_ascii(const char *s, size_t len)
{
    uint64_t acc = 0;
    size_t i = 0;

    for (; i + 8 <= len; i += 8)
        acc |= tf_load8(s + i);
    if (i < len)
        acc |= tf_load_part(s + i, len - i);
    return (acc & TF_HIGHS) == 0;
}

/*
 * 64-bit hash of s[0..n): a word at a time, the last 1..8 bytes as one
 * word (overlapping reads: the length is in the seed, so values stay
 * apart), and a murmur finaliser. Used by the stage hash maps, the key
 * index and the report's distinct estimates. *any gets the OR of every
 * word read, which covers every byte: (*any & TF_HIGHS) == 0 when the
 * value is all ASCII.
 */
static inline uint64_t tf_hash64_any(const void *s, size_t n, uint64_t *any)
{
    const unsigned char *p = s;
    uint64_t h = 0xcbf29ce484222325ULL ^ (n * 0xff51afd7ed558ccdULL);
    uint64_t w, acc = 0;

    for (; n > 8; n -= 8, p += 8) {
        memcpy(&w, p, 8);
        acc |= w;
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    if (n >= 4) {
        uint32_t a, b;

        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else {
        w = n ? (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1] : 0;
    }
    *any = acc | w;
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t tf_hash64(const void *s, size_t n)
{
    uint64_t any;

    return tf_hash64_any(s, n, &any);
}

/* Number of UTF-8 code points in s[0..len) (bytes that are not 10xxxxxx). */
size_t tf_utf8_count(const char *s, size_t len);

/* Byte length of the first max code points of s[0..len). */
size_t tf_utf8_prefix(const char *s, size_t len, size_t max);

/*
 * Index of column `name` in row, or -1. *cache remembers the last index
 * found (start it at -1); it is checked before use, so rows with other
 * layouts still work.
 */
int tf_row_find(const struct tf_row *row, const char *name, int *cache);

/*
 * Change the case of the character starting at s[i] in place: ASCII
 * letters and the Latin-1 letters U+00C0..U+00DE / U+00E0..U+00FE (same
 * UTF-8 length in both cases). Other bytes are left alone. Returns the
 * character's length in bytes (1 for anything not a 2-byte Latin-1 letter).
 */
size_t tf_case_at(char *s, size_t len, size_t i, bool upper);

/* Length of U+00A0 (no-break space) at s[i], else of one ASCII space
 * character, else 0. */
static inline size_t tf_space_at(const char *s, size_t len, size_t i)
{
    if (tf_is_space(s[i]))
        return 1;
    if ((unsigned char)s[i] == 0xC2 && i + 1 < len &&
        (unsigned char)s[i + 1] == 0xA0)
        return 2;
    return 0;
}

#endif
