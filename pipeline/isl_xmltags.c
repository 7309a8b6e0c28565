/*
 * isl_xmltags.c: start-tag offsets at one depth of an XML byte stream
 * (see isl_xmltags.h). A resumable state machine over the bytes:
 *
 *   TEXT     memchr for '<' (character data has no other '<')
 *   LT       after '<': '/' end tag, '!' BANG, '?' PI, else a start tag
 *   STAG     a start tag: ends at the first '>' outside a quoted
 *            attribute value; "/>" is an empty element. Its offset is
 *            kept when it opens at depth `want`.
 *   ETAG     an end tag: up to '>'
 *   BANG     after "<!": "--" comment, "[CDATA[" CDATA, "DOCTYPE"
 *   COMMENT  up to "-->";  CDATA up to "]]>";  PI up to "?>"
 *   DOCTYPE  up to '>' outside quotes and outside the [internal subset],
 *            which may hold comments and PIs
 */
#include "isl_setup.h"
#include "isl_xmltags.h"

#include <stdlib.h>
#include <string.h>

#define FIFO_MAX ((size_t)1 << 20)

enum {
    X_TEXT,
    X_LT,
    X_STAG,
    X_ETAG,
    X_BANG,
    X_COMMENT,
    X_CDATA,
    X_PI,
    X_DOCTYPE,
    X_DTD_LT, /* '<' inside the internal subset */
};

void isl_xmltags_init(struct isl_xmltags *t, int want)
{
    memset(t, 0, sizeof(*t));
    t->want = want;
    t->st = X_TEXT;
}

void isl_xmltags_free(struct isl_xmltags *t)
{
    free(t->fifo);
    t->fifo = NULL;
    t->head = t->count = t->cap = 0;
}

static void keep(struct isl_xmltags *t, uint64_t off)
{
    if (t->count == t->cap) {
        size_t n = t->cap ? t->cap * 2 : 64;
        uint64_t *f = n <= FIFO_MAX ? malloc(n * sizeof(*f)) : NULL;

        if (!f) {
            t->lost = true;
            return;
        }
        for (size_t i = 0; i < t->count; i++)
            f[i] = t->fifo[(t->head + i) % t->cap];
        free(t->fifo);
        t->fifo = f;
        t->head = 0;
        t->cap = n;
    }
    t->fifo[(t->head + t->count) % t->cap] = off;
    t->count++;
}

bool isl_xmltags_next(struct isl_xmltags *t, uint64_t *offset)
{
    if (t->lost || !t->count)
        return false;
    *offset = t->fifo[t->head];
    t->head = (t->head + 1) % t->cap;
    t->count--;
    return true;
}

/* After "<!" in content or the prolog: the first byte picks the keyword
 * (t->kw), the others must follow it; t->n bytes of it are matched. */
static void bang(struct isl_xmltags *t, char ch)
{
    static const char *const kws[] = {"--", "[CDATA[", "DOCTYPE"};
    static const int states[] = {X_COMMENT, X_CDATA, X_DOCTYPE};

    if (t->n == 0)
        t->kw = ch == '-' ? 0 : ch == '[' ? 1 : ch == 'D' ? 2 : -1;
    if (t->kw < 0 || ch != kws[t->kw][t->n]) {
        t->lost = true;
        return;
    }
    if (kws[t->kw][++t->n])
        return;
    t->st = states[t->kw];
    t->ret = X_TEXT; /* where a comment in content returns to */
    t->n = 0;
    t->quote = 0;
    t->bracket = 0;
}

/* Bytes that stop the scan of a start tag outside quotes. */
static const unsigned char stag_stop[256] = {['"'] = 1, ['\''] = 1, ['>'] = 1};

/* Inside a start tag: scan [p, end) to its '>' (outside quoted attribute
 * values) and keep its offset when it opens at depth want. Returns where
 * the scan stopped. */
static const char *start_tag(struct isl_xmltags *t, const char *p,
                             const char *end)
{
    char quote = t->quote, last = t->last;
    const char *q;

    while (p < end) {
        if (quote) {
            q = memchr(p, quote, (size_t)(end - p));
            if (!q) {
                p = end;
                break;
            }
            last = quote;
            quote = 0;
            p = q + 1;
            continue;
        }
        for (q = p; q < end && !stag_stop[(unsigned char)*q]; q++)
            ;
        if (q > p)
            last = q[-1];
        p = q;
        if (q == end)
            break;
        p++;
        if (*q != '>') {
            quote = last = *q;
            continue;
        }
        if (t->depth == t->want)
            keep(t, t->tag);
        if (last != '/') /* not an empty-element tag */
            t->depth++;
        t->st = X_TEXT;
        break;
    }
    t->quote = quote;
    t->last = last;
    return p;
}

/* Inside an end tag: scan to its '>'. Returns where the scan stopped. */
static const char *end_tag(struct isl_xmltags *t, const char *p,
                           const char *end)
{
    const char *q = memchr(p, '>', (size_t)(end - p));

    if (!q)
        return end;
    if (--t->depth < 0)
        t->lost = true;
    t->st = X_TEXT;
    return q + 1;
}

void isl_xmltags_scan(struct isl_xmltags *t, const char *p, size_t n)
{
    const char *end = p + n, *q;
    const char *base = p;

    while (p < end && !t->lost) {
        char ch;

        switch (t->st) {
        case X_TEXT: /* the common path falls through to the tag's end */
            q = memchr(p, '<', (size_t)(end - p));
            if (!q) {
                p = end;
                break;
            }
            t->tag = t->pos + (uint64_t)(q - base);
            p = q + 1;
            t->st = X_LT;
            if (p == end)
                break;
            /* fall through */
        case X_LT:
            ch = *p++;
            t->n = 0;
            if (ch == '/') {
                t->st = X_ETAG;
                p = end_tag(t, p, end);
                break;
            }
            if (ch == '!' || ch == '?') {
                t->st = ch == '!' ? X_BANG : X_PI;
                t->ret = X_TEXT;
                break;
            }
            t->st = X_STAG;
            t->quote = 0;
            t->last = ch;
            /* fall through */
        case X_STAG:
            p = start_tag(t, p, end);
            break;
        case X_ETAG:
            p = end_tag(t, p, end);
            break;
        case X_BANG:
            bang(t, *p++);
            break;
        case X_COMMENT: /* "-->": n counts the dashes just seen */
        case X_CDATA:   /* "]]>": n counts the brackets */
        {
            char mark = t->st == X_COMMENT ? '-' : ']';

            ch = *p++;
            if (ch == mark) {
                t->n++;
            } else if (ch == '>' && t->n >= 2) {
                t->st = t->st == X_COMMENT ? t->ret : X_TEXT;
                t->n = 0;
            } else {
                t->n = 0;
            }
            break;
        }
        case X_PI: /* "?>": n is 1 after a '?' */
            ch = *p++;
            if (ch == '>' && t->n) {
                t->st = t->ret;
                t->n = 0;
            } else {
                t->n = ch == '?';
            }
            break;
        case X_DOCTYPE:
            ch = *p++;
            if (t->quote) {
                if (ch == t->quote)
                    t->quote = 0;
            } else if (ch == '"' || ch == '\'') {
                t->quote = ch;
            } else if (ch == '[') {
                t->bracket++;
            } else if (ch == ']') {
                t->bracket--;
            } else if (ch == '<' && t->bracket > 0) {
                t->st = X_DTD_LT;
                t->n = 0;
            } else if (ch == '>' && t->bracket <= 0) {
                t->st = X_TEXT;
            }
            break;
        case X_DTD_LT: /* "<?" PI, "<!--" comment, else a declaration */
            ch = *p++;
            if (t->n == 0 && ch == '?') {
                t->st = X_PI;
                t->ret = X_DOCTYPE;
            } else if (t->n == 0 && ch == '!') {
                t->n = 1;
            } else if (t->n >= 1 && t->n < 3 && ch == '-') {
                if (++t->n == 3) {
                    t->st = X_COMMENT;
                    t->ret = X_DOCTYPE;
                    t->n = 0;
                }
            } else {
                /* <!ELEMENT ...>, <!ATTLIST ...>: plain DOCTYPE bytes;
                 * this byte may be a quote, so look at it again */
                t->st = X_DOCTYPE;
                p--;
            }
            break;
        }
    }
    t->pos += (uint64_t)(p - base);
    if (p < end) /* lost: the rest is not scanned */
        t->pos += (uint64_t)(end - p);
}
