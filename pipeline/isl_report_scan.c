/*
 * isl_report_scan.c: read a JSON report member by member (see
 * isl_report_scan.h).
 *
 * The scanner only finds where each value starts and ends (strings,
 * escapes and nesting); jansson parses each value's text, so what is
 * accepted is exactly JSON. Errors name the line and byte where the bad
 * value starts (plus jansson's position inside it).
 */
#include "isl_setup.h"
#include "isl_report_scan.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_CAP ((size_t)1 << 28) /* one member or element */

struct scan {
    FILE *f;
    const char *path;
    uint64_t off, line; /* of the next byte */
    struct isl_buf buf; /* the value being captured */
    struct isl_error *err;
};

static int next(struct scan *s)
{
    int c = getc(s->f);

    if (c != EOF) {
        s->off++;
        if (c == '\n')
            s->line++;
    }
    return c;
}

static void unread(struct scan *s, int c)
{
    if (c == EOF)
        return;
    ungetc(c, s->f);
    s->off--;
    if (c == '\n')
        s->line--;
}

static int skip_ws(struct scan *s)
{
    int c;

    do
        c = next(s);
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
    return c;
}

static int fail(struct scan *s, uint64_t line, uint64_t off, const char *what)
{
    isl_error_set(s->err, ISL_EPARSE, "report", "not a valid report: %s", what);
    isl_error_at(s->err, s->path, line, off);
    return ISL_EPARSE;
}

static int ends_scalar(int c)
{
    return c == EOF || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           c == ',' || c == '}' || c == ']' || c == ':';
}

/* Capture the text of the value that starts with c into s->buf. */
static int capture(struct scan *s, int c)
{
    uint64_t line = s->line, off = s->off - 1;
    int depth = 0;
    bool in_str = false, esc = false;

    isl_buf_reset(&s->buf);
    if (c == EOF)
        return fail(s, line, off, "the file ends early");
    if (c != '{' && c != '[' && c != '"') {
        while (!ends_scalar(c)) {
            if (isl_buf_addc(&s->buf, (char)c) < 0)
                return fail(s, line, off, "a value is too large");
            c = next(s);
        }
        unread(s, c);
        return s->buf.len ? 0 : fail(s, line, off, "expected a value");
    }
    for (;;) {
        if (isl_buf_addc(&s->buf, (char)c) < 0)
            return fail(s, line, off, "a value is too large");
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"') {
                in_str = false;
                if (depth == 0)
                    return 0;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return 0;
        }
        if ((c = next(s)) == EOF)
            return fail(s, line, off, "the file ends inside a value");
    }
}

/* Capture and parse the value that starts with c. */
static int parse(struct scan *s, int c, json_t **out)
{
    uint64_t line = s->line, off = s->off - 1;
    json_error_t je;
    char what[300];
    int rc = capture(s, c);

    *out = NULL;
    if (rc < 0)
        return rc;
    *out = json_loadb(s->buf.data ? s->buf.data : "", s->buf.len,
                      JSON_DECODE_ANY, &je);
    if (*out)
        return 0;
    snprintf(what, sizeof(what), "%s", je.text);
    return fail(s, line + (uint64_t)(je.line > 1 ? je.line - 1 : 0),
                off + (uint64_t)(je.position > 0 ? je.position : 0), what);
}

static bool is_streamed(const char *const *streamed, const char *key)
{
    for (; streamed && *streamed; streamed++)
        if (strcmp(*streamed, key) == 0)
            return true;
    return false;
}

/* The elements of a streamed array, the '[' already read. */
static int stream_array(struct scan *s, const char *key, isl_report_scan_fn fn,
                        void *payload)
{
    size_t i = 0;
    int c = skip_ws(s), rc;

    if (c == ']')
        return 0;
    for (;;) {
        json_t *elem;

        if ((rc = parse(s, c, &elem)) < 0)
            return rc;
        rc = fn ? fn(payload, key, elem, i++) : 0;
        json_decref(elem);
        if (rc < 0)
            return rc;
        c = skip_ws(s);
        if (c == ']')
            return 0;
        if (c != ',')
            return fail(s, s->line, s->off - 1, "expected ',' or ']'");
        c = skip_ws(s);
    }
}

static int scan_members(struct scan *s, const char *const *streamed,
                        isl_report_scan_fn fn, void *payload, json_t *head)
{
    int c = skip_ws(s), rc;

    if (c != '{')
        return fail(s, s->line, s->off - 1, "not a JSON object");
    c = skip_ws(s);
    if (c == '}')
        return 0;
    for (;;) {
        json_t *key, *val;
        char what[300];

        if (c != '"')
            return fail(s, s->line, s->off - 1, "expected a member name");
        if ((rc = parse(s, c, &key)) < 0)
            return rc;
        if (skip_ws(s) != ':') {
            json_decref(key);
            return fail(s, s->line, s->off - 1, "expected ':'");
        }
        c = skip_ws(s);
        if (is_streamed(streamed, json_string_value(key))) {
            if (c != '[') {
                snprintf(what, sizeof(what), "\"%s\" is not an array",
                         json_string_value(key));
                json_decref(key);
                return fail(s, s->line, s->off - 1, what);
            }
            rc = stream_array(s, json_string_value(key), fn, payload);
        } else if ((rc = parse(s, c, &val)) == 0) {
            json_object_set_new(head, json_string_value(key), val);
        }
        json_decref(key);
        if (rc < 0)
            return rc;
        c = skip_ws(s);
        if (c == '}')
            return 0;
        if (c != ',')
            return fail(s, s->line, s->off - 1, "expected ',' or '}'");
        c = skip_ws(s);
    }
}

int isl_report_scan(const char *path, const char *const *streamed,
                    isl_report_scan_fn fn, void *payload, json_t **head,
                    struct isl_error *err)
{
    struct scan s = {.path = path, .line = 1, .err = err};
    json_t *h = json_object();
    int rc;

    if (head)
        *head = NULL;
    if (!h)
        return isl_error_set(err, ISL_ENOMEM, "report", "out of memory");
    if (!(s.f = fopen(path, "r"))) {
        json_decref(h);
        isl_error_set(err, ISL_EIO, "report", "cannot read it: %s",
                      strerror(errno));
        isl_error_at(err, path, 0, UINT64_MAX);
        return ISL_EIO;
    }
    isl_buf_init(&s.buf, VALUE_CAP);
    rc = scan_members(&s, streamed, fn, payload, h);
    if (rc == 0 && skip_ws(&s) != EOF)
        rc = fail(&s, s.line, s.off - 1, "data after the closing '}'");
    if (rc == 0 && ferror(s.f)) {
        isl_error_set(err, ISL_EIO, "report", "cannot read it: %s",
                      strerror(errno));
        isl_error_at(err, path, 0, UINT64_MAX);
        rc = ISL_EIO;
    }
    fclose(s.f);
    isl_buf_free(&s.buf);
    if (rc == 0 && head)
        *head = h;
    else
        json_decref(h);
    return rc;
}
