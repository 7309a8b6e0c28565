/*
 * sim_records.c: the rows of an Import Set API body as lists of (key,
 * text) pairs, the text being what a string-only staging table stores
 * (sim_json_to_string).
 *
 * An insertMultiple body of the usual shape, exactly {"records": [...]}
 * whose records are flat objects of strings, plain integers, true, false
 * and null, with unique keys, is read by a small parser that copies each
 * value once; jansson allocates several objects per value and was most
 * of the emulator's work. Anything else (other keys, nested values, reals,
 * \u escapes, bad input) goes through jansson, which decides the outcome,
 * so both paths give the same pairs for the same body.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdlib.h>
#include <string.h>

/* Parser state: pairs hold arena offsets until the arena stops moving. */
struct fast {
    const char *p, *end;
    struct sim_records *out;
    struct sim_str arena;
    size_t *koff, *voff; /* per pair */
    size_t cap;          /* pairs allocated */
};

void sim_records_free(struct sim_records *r)
{
    free(r->first);
    free(r->count);
    free(r->pairs);
    free(r->arena);
    memset(r, 0, sizeof(*r));
}

static void ws(struct fast *f)
{
    while (f->p < f->end &&
           (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
        f->p++;
}

static bool lit(struct fast *f, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
        return false;
    f->p += n;
    return true;
}

/* Length of the valid UTF-8 sequence at p (jansson's rules: no overlong
 * forms, surrogates or code points over U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t v;

    if (*p < 0xC2 || *p > 0xF4)
        return 0;
    n = *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
    if ((size_t)(end - p) < n)
        return 0;
    v = *p & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

/* A string after its opening quote, unescaped into the arena with a NUL;
 * stores its offset. False when the fast path cannot take it. */
static bool string(struct fast *f, size_t *off)
{
    const char *run = f->p;

    *off = f->arena.len;
    while (f->p < f->end) {
        unsigned char c;
        while (f->p < f->end && (c = (unsigned char)*f->p) >= 0x20 &&
               c < 0x80 && c != '"' && c != '\\')
            f->p++; /* the plain run, in one go */
        if (f->p >= f->end)
            break;
        c = (unsigned char)*f->p;
        if (c == '"') {
            sim_str_addn(&f->arena, run, (size_t)(f->p - run));
            sim_str_addn(&f->arena, "", 1);
            f->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)f->p,
                                (const unsigned char *)f->end);
            if (!n)
                return false;
            f->p += n;
            continue;
        }
        sim_str_addn(&f->arena, run, (size_t)(f->p - run));
        if (f->end - f->p < 2)
            return false;
        switch (f->p[1]) {
        case '"':
        case '\\':
        case '/':
            sim_str_addn(&f->arena, f->p + 1, 1);
            break;
        case 'b':
            sim_str_addn(&f->arena, "\b", 1);
            break;
        case 'f':
            sim_str_addn(&f->arena, "\f", 1);
            break;
        case 'n':
            sim_str_addn(&f->arena, "\n", 1);
            break;
        case 'r':
            sim_str_addn(&f->arena, "\r", 1);
            break;
        case 't':
            sim_str_addn(&f->arena, "\t", 1);
            break;
        default:
            return false; /* \u and invalid escapes: jansson's job */
        }
        f->p += 2;
        run = f->p;
    }
    return false;
}

/* A scalar value as the text it is stored as. */
static bool value(struct fast *f, size_t *off)
{
    const char *start = f->p;

    if (f->p >= f->end)
        return false;
    if (*f->p == '"') {
        f->p++;
        return string(f, off);
    }
    *off = f->arena.len;
    if (lit(f, "null")) {
        sim_str_addn(&f->arena, "", 1);
        return true;
    }
    if (lit(f, "true") || lit(f, "false")) {
        sim_str_addn(&f->arena, start, (size_t)(f->p - start));
        sim_str_addn(&f->arena, "", 1);
        return true;
    }
    /* a plain integer printed back unchanged: no "-0", no leading zero,
     * at most 18 digits (fits a long long); reals go to jansson */
    if (*f->p == '-')
        f->p++;
    if (f->p < f->end && *f->p == '0')
        f->p++;
    else
        while (f->p < f->end && *f->p >= '0' && *f->p <= '9')
            f->p++;
    if (f->p == start || (f->p - start == 1 && *start == '-') ||
        (f->p - start == 2 && start[0] == '-' && start[1] == '0') ||
        f->p - start > 18 ||
        (f->p < f->end && (*f->p == '.' || *f->p == 'e' || *f->p == 'E' ||
                           (*f->p >= '0' && *f->p <= '9'))))
        return false;
    sim_str_addn(&f->arena, start, (size_t)(f->p - start));
    sim_str_addn(&f->arena, "", 1);
    return true;
}

static void add_pair(struct fast *f, size_t k, size_t v)
{
    if (f->out->npairs == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->koff = sim_xrealloc(f->koff, f->cap * sizeof(size_t));
        f->voff = sim_xrealloc(f->voff, f->cap * sizeof(size_t));
    }
    f->koff[f->out->npairs] = k;
    f->voff[f->out->npairs] = v;
    f->out->npairs++;
}

static void add_record(struct sim_records *r, size_t first, size_t count)
{
    if ((r->n & (r->n - 1)) == 0) { /* 0, 1, 2, 4, ...: double */
        r->first = sim_xrealloc(r->first, (2 * r->n + 1) * sizeof(size_t));
        r->count = sim_xrealloc(r->count, (2 * r->n + 1) * sizeof(size_t));
    }
    r->first[r->n] = first;
    r->count[r->n] = count;
    r->n++;
}

static bool same_key(const struct fast *f, size_t a, size_t b)
{
    return strcmp(f->arena.p + f->koff[a], f->arena.p + f->koff[b]) == 0;
}

/* True when record r (pairs first..first+n) repeats no key. Records
 * usually have the keys of the record before, in the same order. */
static bool unique_keys(const struct fast *f, size_t r)
{
    const struct sim_records *o = f->out;
    size_t first = o->first[r], n = o->count[r];
    bool as_before = r > 0 && o->count[r - 1] == n;

    for (size_t i = 0; as_before && i < n; i++)
        as_before = same_key(f, o->first[r - 1] + i, first + i);
    if (as_before)
        return true;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (same_key(f, first + i, first + j))
                return false;
    return true;
}

/* One flat object, after its '{'. */
static bool record(struct fast *f)
{
    size_t first = f->out->npairs, k, v;

    ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        add_record(f->out, first, 0);
        return true;
    }
    for (;;) {
        ws(f);
        if (f->p >= f->end || *f->p != '"')
            return false;
        f->p++;
        if (!string(f, &k))
            return false;
        ws(f);
        if (!lit(f, ":"))
            return false;
        ws(f);
        if (!value(f, &v))
            return false;
        add_pair(f, k, v);
        ws(f);
        if (lit(f, ","))
            continue;
        if (!lit(f, "}"))
            return false;
        add_record(f->out, first, f->out->npairs - first);
        return unique_keys(f, f->out->n - 1);
    }
}

/* The whole body, {"records": [...]} and nothing else. */
static bool fast_parse(struct fast *f)
{
    size_t key;

    ws(f);
    if (!lit(f, "{"))
        return false;
    ws(f);
    if (!lit(f, "\"") || !string(f, &key) ||
        strcmp(f->arena.p + key, "records") != 0)
        return false;
    ws(f);
    if (!lit(f, ":"))
        return false;
    ws(f);
    if (!lit(f, "["))
        return false;
    ws(f);
    if (!lit(f, "]")) {
        for (;;) {
            ws(f);
            if (!lit(f, "{") || !record(f))
                return false;
            ws(f);
            if (lit(f, ","))
                continue;
            if (!lit(f, "]"))
                return false;
            break;
        }
    }
    ws(f);
    if (!lit(f, "}"))
        return false;
    ws(f);
    return f->p == f->end;
}

/* Turns the arena offsets into pointers; the arena moves to out. */
static void settle(struct sim_records *out, struct sim_str *arena,
                   const size_t *koff, const size_t *voff)
{
    out->arena = arena->p ? arena->p : sim_xstrdup("");
    out->pairs = sim_xcalloc(out->npairs + 1, sizeof(*out->pairs));
    for (size_t i = 0; i < out->npairs; i++) {
        out->pairs[i].key = out->arena + koff[i];
        out->pairs[i].val = out->arena + voff[i];
    }
    arena->p = NULL;
}

/* jansson: every member of obj as a pair, in iteration order. */
static void add_object(struct fast *f, json_t *obj)
{
    const char *key;
    json_t *v;
    size_t first = f->out->npairs;

    json_object_foreach(obj, key, v)
    {
        char *text = sim_json_to_string(v);
        size_t k = f->arena.len, t;
        sim_str_addn(&f->arena, key, strlen(key) + 1);
        t = f->arena.len;
        sim_str_addn(&f->arena, text, strlen(text) + 1);
        free(text);
        add_pair(f, k, t);
    }
    add_record(f->out, first, f->out->npairs - first);
}

static void fast_reset(struct fast *f, struct sim_records *out)
{
    sim_records_free(out);
    f->out = out;
    f->arena.len = 0;
    out->npairs = 0;
}

int sim_records_parse(const char *body, size_t len, bool multiple,
                      struct sim_records *out)
{
    struct fast f = {body, body + len, out, {0}, NULL, NULL, 0};
    json_error_t err;
    json_t *root = NULL, *records, *rec;
    size_t i;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    /* unescaping only shrinks, and each string gains one NUL: the arena
     * never grows while the fast path fills it */
    sim_str_grow(&f.arena, 2 * len + 16);
    if (!multiple || !fast_parse(&f)) {
        fast_reset(&f, out);
        root = json_loadb(body, len, 0, &err);
        records = multiple ? json_object_get(root, "records") : root;
        if (!root || !json_is_object(root))
            rc = -1;
        else if (!json_is_array(records) && multiple)
            rc = -2;
        else if (!multiple)
            add_object(&f, root);
        else
            json_array_foreach(records, i, rec)
            {
                if (json_is_object(rec))
                    add_object(&f, rec);
                else
                    add_record(out, SIZE_MAX, 0); /* not a row */
            }
    }
    if (rc == 0)
        settle(out, &f.arena, f.koff, f.voff);
    else
        sim_records_free(out);
    sim_str_free(&f.arena);
    free(f.koff);
    free(f.voff);
    json_decref(root);
    return rc;
}
