/*
 * s_util.c: helpers for the stage unit tests (see s_util.h).
 */
#include "isl_setup.h"
#include "s_util.h"
#include "isl_buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct isl_error s_err;

#define MAX_LIVE 64

static struct {
    struct tf_stage *st;
    json_t *doc;
} live[MAX_LIVE];

static struct isl_buf outbuf = {NULL, 0, 0, 1u << 20};
static char shown[700];

struct tf_stage *s_new(const char *json, enum tf_kind kind)
{
    json_error_t jerr;
    json_t *doc = json_loads(json, JSON_DECODE_ANY, &jerr);
    struct tf_stage *st = NULL;

    isl_error_clear(&s_err);
    if (!doc) {
        snprintf(s_err.msg, sizeof(s_err.msg), "test JSON: %s", jerr.text);
        return NULL;
    }
    if (tf_stage_new(&st, doc, kind, kind == TF_VALUE ? "u_col" : NULL,
                     kind == TF_VALUE ? "fields[0].stages[0]" : "row_stages[0]",
                     &s_err) < 0) {
        json_decref(doc);
        return NULL;
    }
    for (size_t i = 0; i < MAX_LIVE; i++) {
        if (!live[i].st) {
            live[i].st = st;
            live[i].doc = doc;
            return st;
        }
    }
    abort();
}

const char *s_fail(const char *json, enum tf_kind kind)
{
    struct tf_stage *st = s_new(json, kind);

    if (st) {
        s_free(st);
        return "";
    }
    return s_err.msg;
}

void s_free(struct tf_stage *st)
{
    for (size_t i = 0; i < MAX_LIVE; i++) {
        if (live[i].st == st) {
            tf_stage_free(st);
            json_decref(live[i].doc);
            live[i].st = NULL;
            live[i].doc = NULL;
            return;
        }
    }
    tf_stage_free(st);
}

int s_value_row(struct tf_stage *st, const char *in, const char **cols,
                const char **vals, size_t n, const char **out)
{
    size_t lens[16];
    struct tf_row row = {n, cols, vals, lens, "t.csv", 1};
    int rc;

    for (size_t i = 0; i < n && i < 16; i++)
        lens[i] = strlen(vals[i]);
    isl_error_clear(&s_err);
    isl_buf_reset(&outbuf);
    rc = st->type->value(st, in, strlen(in), &outbuf, &row, &s_err);
    if (rc == TF_CHANGED) {
        if (isl_buf_reserve(&outbuf, 0) < 0)
            abort();
        *out = outbuf.data;
    } else {
        *out = in;
    }
    return rc;
}

int s_value(struct tf_stage *st, const char *in, const char **out)
{
    static const char *cols[] = {"u_col", "u_first", "u_last"};
    static const char *vals[] = {"", "Ada", "Lovelace"};

    vals[0] = in;
    return s_value_row(st, in, cols, vals, 3, out);
}

const char *s_apply(struct tf_stage *st, const char *in)
{
    const char *out;
    int rc = s_value(st, in, &out);

    if (rc == TF_REJECT) {
        snprintf(shown, sizeof(shown), "<reject: %s>", s_err.msg);
        return shown;
    }
    if (rc != TF_PASS && rc != TF_CHANGED)
        return "<bad result>";
    /* a stage must not claim a change it did not make, and vice versa */
    snprintf(shown, sizeof(shown), "%s", out);
    return shown;
}

const char *s_once(const char *json, const char *in)
{
    struct tf_stage *st = s_new(json, TF_VALUE);

    if (!st) {
        snprintf(shown, sizeof(shown), "<config: %s>", s_err.msg);
        return shown;
    }
    s_apply(st, in);
    s_free(st);
    return shown;
}

static struct tf_row make_row(const char **cols, const char **vals, size_t n,
                              size_t *lens, const char *file, uint64_t line)
{
    struct tf_row row = {n, cols, vals, lens, file, line};

    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(vals[i]);
    return row;
}

int s_row(struct tf_stage *st, const char **cols, const char **vals, size_t n,
          const char *file, uint64_t line, uint64_t row_id)
{
    size_t lens[16];
    struct tf_row row = make_row(cols, vals, n, lens, file, line);

    isl_error_clear(&s_err);
    st->row_id = row_id;
    return st->type->row(st, &row, &s_err);
}

int s_finish(struct tf_stage *st, const char **cols, const char **vals,
             size_t n, const char *file, uint64_t line, uint64_t row_id)
{
    size_t lens[16];
    struct tf_row row = make_row(cols, vals, n, lens, file, line);

    isl_error_clear(&s_err);
    if (!st->type->finish)
        return TF_PASS;
    return st->type->finish(st, row_id, &row, &s_err);
}

const char *s_data(const char *rel)
{
    static char path[1024];
    const char *base = getenv("ISLOAD_TESTDATA");

    snprintf(path, sizeof(path), "%s/%s", base ? base : "../testdata", rel);
    return path;
}
