/*
 * sim_util.c: small helpers for isload-sim: checked allocation, a growable
 * string, sys_id generation, ServiceNow-style timestamps, UTF-8 aware
 * truncation and the string conversions the import API applies to values.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
    fputs("isload-sim: out of memory\n", stderr);
    abort();
}

void *sim_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *sim_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

char *sim_xstrdup(const char *s)
{
    return sim_xstrndup(s, strlen(s));
}

char *sim_xstrndup(const char *s, size_t n)
{
    char *p = sim_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sim_str_grow(struct sim_str *s, size_t n)
{
    size_t cap = s->cap ? s->cap : 64;

    while (cap < s->len + n + 1)
        cap *= 2;
    s->p = sim_xrealloc(s->p, cap);
    s->cap = cap;
}

void sim_str_add(struct sim_str *s, const char *text)
{
    sim_str_addn(s, text, strlen(text));
}

void sim_str_addf(struct sim_str *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(buf)) {
        sim_str_addn(s, buf, (size_t)n);
        return;
    }
    char *big = sim_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sim_str_addn(s, big, (size_t)n);
    free(big);
}

void sim_str_free(struct sim_str *s)
{
    free(s->p);
    s->p = NULL;
    s->len = s->cap = 0;
}

void sim_str_add_json(struct sim_str *s, const char *v)
{
    const char *run = v;

    sim_str_addn(s, "\"", 1);
    for (;;) {
        unsigned char c;
        while ((c = (unsigned char)*v) >= 0x20 && c != '"' && c != '\\')
            v++;
        sim_str_addn(s, run, (size_t)(v - run));
        if (!c)
            break;
        switch (c) {
        case '"':
            sim_str_addn(s, "\\\"", 2);
            break;
        case '\\':
            sim_str_addn(s, "\\\\", 2);
            break;
        case '\b':
            sim_str_addn(s, "\\b", 2);
            break;
        case '\f':
            sim_str_addn(s, "\\f", 2);
            break;
        case '\n':
            sim_str_addn(s, "\\n", 2);
            break;
        case '\r':
            sim_str_addn(s, "\\r", 2);
            break;
        case '\t':
            sim_str_addn(s, "\\t", 2);
            break;
        default: {
            char u[8];
            snprintf(u, sizeof(u), "\\u%04X", c);
            sim_str_addn(s, u, 6);
        }
        }
        run = ++v;
    }
    sim_str_addn(s, "\"", 1);
}

/* xoshiro256** per thread, seeded from getrandom: one system call per
 * thread instead of one per sys_id. */
static __thread uint64_t rng_state[4];
static __thread bool rng_seeded;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
    uint64_t *s = rng_state;
    uint64_t out, t;

    if (!rng_seeded) {
        unsigned char *raw = (unsigned char *)rng_state;
        size_t got = 0;
        while (got < sizeof(rng_state)) {
            ssize_t n = getrandom(raw + got, sizeof(rng_state) - got, 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                abort();
            }
            got += (size_t)n;
        }
        if (!(s[0] | s[1] | s[2] | s[3]))
            s[0] = 1; /* the one state xoshiro must not start from */
        rng_seeded = true;
    }
    out = rotl(s[1] * 5, 7) * 9;
    t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

void sim_sys_id(char out[SIM_SYS_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r[2] = {rng_next(), rng_next()};

    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 16; i++)
            out[k * 16 + i] = hex[(r[k] >> (60 - 4 * i)) & 15];
    out[SIM_SYS_ID_LEN] = '\0';
}

void sim_now_str(char out[20])
{
    static __thread time_t last = (time_t)-1;
    static __thread char text[20];
    time_t t = time(NULL);

    if (t != last) { /* formatting costs more than the row it stamps */
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
        last = t;
    }
    memcpy(out, text, 20);
}

int64_t sim_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_sleep_ms(int64_t ms)
{
    struct timespec ts;

    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

bool sim_valid_name(const char *name)
{
    size_t n = 0;

    if (!name || !*name)
        return false;
    for (; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return n <= SIM_NAME_MAX;
}

size_t sim_utf8_prefix(const char *s, size_t max_chars)
{
    size_t i = 0, chars = 0;

    while (s[i] && chars < max_chars) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    return i;
}

char *sim_label_to_column(const char *label)
{
    struct sim_str out = {0};
    bool under = true; /* avoid a leading or doubled '_' */
    bool leading = true;

    sim_str_add(&out, "u_");
    for (const char *p = label; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (leading && isdigit(c))
            continue; /* leading digits are replaced by the prefix */
        leading = false;
        if (isalnum(c) && c < 0x80) {
            char lc = (char)tolower(c);
            sim_str_addn(&out, &lc, 1);
            under = false;
        } else if (!under) {
            sim_str_add(&out, "_");
            under = true;
        }
    }
    while (out.len > 2 && out.p[out.len - 1] == '_')
        out.p[--out.len] = '\0';
    if (out.len > SIM_NAME_MAX)
        out.p[SIM_NAME_MAX] = '\0';
    return out.p;
}

char *sim_json_to_string(const json_t *v)
{
    char buf[64];

    switch (json_typeof(v)) {
    case JSON_STRING:
        return sim_xstrndup(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return sim_xstrdup(buf);
    case JSON_REAL:
        /* shortest form that reads back the same: 0.1, not 0.1000...01 */
        snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
        if (strtod(buf, NULL) != json_real_value(v))
            snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return sim_xstrdup(buf);
    case JSON_TRUE:
        return sim_xstrdup("true");
    case JSON_FALSE:
        return sim_xstrdup("false");
    case JSON_NULL:
        return sim_xstrdup("");
    default: {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        char *copy;
        if (!text)
            return sim_xstrdup("");
        /* the doc: a nested object is stringified with ':' turned to '=' */
        for (char *p = text; *p; p++)
            if (*p == ':')
                *p = '=';
        copy = sim_xstrdup(text);
        free(text);
        return copy;
    }
    }
}

bool sim_str_in_list(const char *s, char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void sim_form_decode(char *s)
{
    char *w = s;

    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
            *w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}
