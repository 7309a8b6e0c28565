/*
 * isl_feed.c: loading and checking feed definitions (see isl_feed.h).
 *
 * The checks follow schemas/feed.schema.json: the known keys at each level
 * (anything else is an "unknown key" mistake), their JSON types, the
 * shapes of names, and then what a schema cannot say: every key column is
 * a field, stage names and options are known (tf_stage_new checks each
 * stage against its declared options and compiles regexes and date
 * formats), target mappings name feed columns. Checking goes on after a
 * mistake so the user sees all of them at once.
 */
#include "isl_setup.h"
#include "isl_feed.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "tf_stage.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checker {
    const char *file;
    struct isl_buf *all;
    struct isl_error *err;
    int mistakes;
};

static void mistake(struct checker *ck, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mistake(struct checker *ck, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ck->mistakes++ == 0) {
        isl_error_set(ck->err, ISL_ECONFIG, "feed", "%s%s%s", path,
                      *path ? ": " : "", msg);
        isl_error_at(ck->err, ck->file, 0, UINT64_MAX);
        snprintf(ck->err->rule, sizeof(ck->err->rule), "feed");
    }
    if (ck->all)
        isl_buf_addf(ck->all, "%s: %s%s%s\n", ck->file, path, *path ? ": " : "",
                     msg);
}

/* A stage error already carries its path in err->msg. */
static void stage_mistake(struct checker *ck, const struct isl_error *se)
{
    mistake(ck, "", "%s", se->msg);
}

static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* Report keys of obj not in allowed (NULL-terminated). */
static void check_keys(struct checker *ck, const char *path, json_t *obj,
                       const char *const *allowed)
{
    const char *k;
    json_t *v;

    json_object_foreach(obj, k, v)
    {
        bool known = false;

        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, k) == 0;
        if (!known)
            mistake(ck, path, "unknown key '%s'", k);
    }
}

static const char *get_string(struct checker *ck, const char *path, json_t *obj,
                              const char *key, bool required)
{
    json_t *v = json_object_get(obj, key);
    char p[256];

    snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
    if (!v) {
        if (required)
            mistake(ck, p, "is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        mistake(ck, p, "expected a string");
        return NULL;
    }
    return json_string_value(v);
}

static int get_bool(struct checker *ck, const char *path, json_t *obj,
                    const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    char p[256];

    if (!v)
        return def;
    if (!json_is_boolean(v)) {
        snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
        mistake(ck, p, "expected true or false");
        return def;
    }
    return json_is_true(v);
}

static char get_char(struct checker *ck, const char *path, json_t *obj,
                     const char *key)
{
    const char *s = get_string(ck, path, obj, key, false);
    char p[256];

    if (!s)
        return 0;
    if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)
        return '\t';
    if (strlen(s) != 1 || s[0] == '\n' || s[0] == '\r') {
        snprintf(p, sizeof(p), "%s.%s", path, key);
        mistake(ck, p, "expected a single character, got '%s'", s);
        return 0;
    }
    return s[0];
}

static size_t get_size(struct checker *ck, const char *path, json_t *obj,
                       const char *key, size_t def)
{
    json_t *v = json_object_get(obj, key);
    char p[256];

    if (!v)
        return def;
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
        mistake(ck, p, "expected a positive integer");
        return def;
    }
    return (size_t)json_integer_value(v);
}

static void load_input(struct checker *ck, struct isl_feed *feed, json_t *input)
{
    static const char *const keys[] = {
        "format",          "delimiter", "quote",    "escape",
        "header",          "columns",   "encoding", "record_path",
        "records_path",    "flatten",   "lenient",  "max_field_size",
        "max_record_size", NULL};
    struct isl_reader_opts *o = &feed->input;
    const char *s;
    json_t *cols;

    if (!input)
        return;
    if (!json_is_object(input)) {
        mistake(ck, "input", "expected an object");
        return;
    }
    check_keys(ck, "input", input, keys);
    if ((s = get_string(ck, "input", input, "format", false))) {
        int f = isl_format_parse(s);

        if (f < 0)
            mistake(ck, "input.format",
                    "unknown format '%s' (csv, xml, json, ndjson, auto)", s);
        else
            o->format = (enum isl_format)f;
    }
    o->delimiter = get_char(ck, "input", input, "delimiter");
    o->quote = get_char(ck, "input", input, "quote");
    o->escape = get_char(ck, "input", input, "escape");
    o->no_header = !get_bool(ck, "input", input, "header", true);
    o->encoding = get_string(ck, "input", input, "encoding", false);
    o->record_path = get_string(ck, "input", input, "record_path", false);
    o->records_path = get_string(ck, "input", input, "records_path", false);
    o->flatten = get_bool(ck, "input", input, "flatten", false);
    o->lenient = get_bool(ck, "input", input, "lenient", false);
    o->max_field = get_size(ck, "input", input, "max_field_size", 0);
    o->max_record = get_size(ck, "input", input, "max_record_size", 0);
    cols = json_object_get(input, "columns");
    if (cols) {
        size_t i;
        json_t *c;

        if (!json_is_array(cols) || json_array_size(cols) == 0) {
            mistake(ck, "input.columns",
                    "expected a non-empty array of "
                    "strings");
            return;
        }
        feed->columns_opt = calloc(json_array_size(cols), sizeof(char *));
        if (!feed->columns_opt)
            return;
        json_array_foreach(cols, i, c)
        {
            if (!json_is_string(c)) {
                char p[64];

                snprintf(p, sizeof(p), "input.columns[%zu]", i);
                mistake(ck, p, "expected a string");
                continue;
            }
            feed->columns_opt[o->ncolumns++] = json_string_value(c);
        }
        o->columns = feed->columns_opt;
    }
}

static void load_field(struct checker *ck, struct isl_feed *feed, size_t i,
                       json_t *jf)
{
    static const char *const keys[] = {
        "column", "source", "label", "required", "stages", "description", NULL};
    struct isl_feed_field *f = &feed->fields[i];
    char path[64];
    json_t *stages;

    snprintf(path, sizeof(path), "fields[%zu]", i);
    if (!json_is_object(jf)) {
        mistake(ck, path, "expected an object");
        return;
    }
    check_keys(ck, path, jf, keys);
    f->column = get_string(ck, path, jf, "column", true);
    if (f->column && !name_ok(f->column, 80)) {
        char p[80];

        snprintf(p, sizeof(p), "%s.column", path);
        mistake(ck, p,
                "'%s' is not a ServiceNow column name (lower case letters, "
                "digits and _, starting with a letter, at most 80)",
                f->column);
    }
    f->source = get_string(ck, path, jf, "source", false);
    if (!f->source)
        f->source = f->column;
    f->label = get_string(ck, path, jf, "label", false);
    get_string(ck, path, jf, "description", false);
    f->required = get_bool(ck, path, jf, "required", false);
    stages = json_object_get(jf, "stages");
    if (!stages)
        return;
    if (!json_is_array(stages)) {
        char p[80];

        snprintf(p, sizeof(p), "%s.stages", path);
        mistake(ck, p, "expected an array of stages");
        return;
    }
    f->stages = calloc(json_array_size(stages) + 1, sizeof(*f->stages));
    if (!f->stages)
        return;
    for (size_t k = 0; k < json_array_size(stages); k++) {
        struct isl_error se;
        char p[96];

        isl_error_clear(&se);
        snprintf(p, sizeof(p), "%s.stages[%zu]", path, k);
        if (tf_stage_new(&f->stages[f->nstages], json_array_get(stages, k),
                         TF_VALUE, f->column ? f->column : "", p, &se) < 0)
            stage_mistake(ck, &se);
        else
            f->nstages++;
    }
}

static bool is_feed_column(const struct isl_feed *feed, const char *col)
{
    return isl_feed_column_index(feed, col) >= 0;
}

static void load_key(struct checker *ck, struct isl_feed *feed, json_t *key)
{
    size_t i;
    json_t *k;

    if (!key)
        return;
    if (!json_is_array(key)) {
        mistake(ck, "key", "expected an array of column names");
        return;
    }
    feed->key = calloc(json_array_size(key) + 1, sizeof(char *));
    if (!feed->key)
        return;
    json_array_foreach(key, i, k)
    {
        char p[32];

        snprintf(p, sizeof(p), "key[%zu]", i);
        if (!json_is_string(k)) {
            mistake(ck, p, "expected a string");
            continue;
        }
        if (!is_feed_column(feed, json_string_value(k)) && !feed->passthrough)
            mistake(ck, p, "'%s' is not a column of fields[]",
                    json_string_value(k));
        feed->key[feed->nkey++] = json_string_value(k);
    }
}

static bool stage_named(const json_t *spec, const char *name)
{
    if (json_is_string(spec))
        return strcmp(json_string_value(spec), name) == 0;
    return json_is_object(spec) && json_object_get(spec, name) &&
           json_object_size(spec) == 1;
}

static void load_row_stages(struct checker *ck, struct isl_feed *feed,
                            json_t *rs)
{
    size_t n = rs ? json_array_size(rs) : 0;
    bool has_unique = false;

    if (rs && !json_is_array(rs)) {
        mistake(ck, "row_stages", "expected an array of stages");
        return;
    }
    feed->row_stages = calloc(n + 2, sizeof(*feed->row_stages));
    if (!feed->row_stages)
        return;
    for (size_t k = 0; k < n; k++) {
        json_t *spec = json_array_get(rs, k);
        struct isl_error se;
        char p[48];

        isl_error_clear(&se);
        snprintf(p, sizeof(p), "row_stages[%zu]", k);
        has_unique |= stage_named(spec, "unique");
        if (tf_stage_new(&feed->row_stages[feed->nrow_stages], spec, TF_ROW,
                         NULL, p, &se) < 0)
            stage_mistake(ck, &se);
        else
            feed->nrow_stages++;
    }
    /* Keys are unique by default: a later duplicate is rejected. */
    if (!has_unique && feed->nkey && ck->mistakes == 0) {
        json_t *cols = json_array(), *spec;
        struct isl_error se;

        for (size_t i = 0; i < feed->nkey; i++)
            json_array_append_new(cols, json_string(feed->key[i]));
        spec = json_pack("{s:{s:o,s:s}}", "unique", "columns", cols, "keep",
                         "first");
        isl_error_clear(&se);
        if (!spec || tf_stage_new(&feed->row_stages[feed->nrow_stages], spec,
                                  TF_ROW, NULL, "key", &se) < 0)
            stage_mistake(ck, &se);
        else
            feed->nrow_stages++;
        /* the stage may borrow strings from spec: keep it with the doc */
        if (spec)
            json_object_set_new(feed->doc, "_implicit_unique", spec);
    }
    for (size_t k = 0; k < feed->nrow_stages; k++)
        if (feed->row_stages[k]->deferred)
            feed->has_deferred = true;
}

static void load_pairs(struct checker *ck, struct isl_feed *feed, json_t *obj,
                       const char *path, const char ***out, size_t *n)
{
    const char *k;
    json_t *v;

    if (!obj)
        return;
    if (!json_is_object(obj)) {
        mistake(ck, path,
                "expected an object of target field -> staging "
                "column");
        return;
    }
    *out = calloc(2 * json_object_size(obj) + 1, sizeof(char *));
    if (!*out)
        return;
    json_object_foreach(obj, k, v)
    {
        char p[128];

        snprintf(p, sizeof(p), "%s.%s", path, k);
        if (!json_is_string(v)) {
            mistake(ck, p, "expected a staging column name");
            continue;
        }
        if (!is_feed_column(feed, json_string_value(v)))
            mistake(ck, p, "'%s' is not a column of fields[]",
                    json_string_value(v));
        (*out)[2 * *n] = k;
        (*out)[2 * *n + 1] = json_string_value(v);
        (*n)++;
    }
}

static void load_target(struct checker *ck, struct isl_feed *feed, json_t *t)
{
    static const char *const keys[] = {"table", "match", "fields", NULL};

    if (!t)
        return;
    if (!json_is_object(t)) {
        mistake(ck, "target", "expected an object");
        return;
    }
    check_keys(ck, "target", t, keys);
    feed->target.table = get_string(ck, "target", t, "table", true);
    if (feed->target.table && !name_ok(feed->target.table, 80))
        mistake(ck, "target.table", "'%s' is not a table name",
                feed->target.table);
    if (!json_object_get(t, "match"))
        mistake(ck, "target.match", "is required");
    load_pairs(ck, feed, json_object_get(t, "match"), "target.match",
               &feed->target.match, &feed->target.nmatch);
    load_pairs(ck, feed, json_object_get(t, "fields"), "target.fields",
               &feed->target.fields, &feed->target.nfields);
}

static void load_missing(struct checker *ck, struct isl_feed *feed, json_t *m)
{
    static const char *const keys[] = {"values", NULL};
    json_t *vals = json_object_get(m, "values");
    const char *k;
    json_t *v;

    if (!m)
        return;
    if (!json_is_object(m)) {
        mistake(ck, "missing", "expected an object");
        return;
    }
    check_keys(ck, "missing", m, keys);
    if (!json_is_object(vals) || !json_object_size(vals)) {
        mistake(ck, "missing.values",
                "expected an object of staging column -> value, e.g. "
                "{\"u_active\": \"false\"}");
        return;
    }
    feed->missing_values =
        calloc(2 * json_object_size(vals) + 1, sizeof(*feed->missing_values));
    if (!feed->missing_values) {
        mistake(ck, "missing.values", "out of memory");
        return;
    }
    json_object_foreach(vals, k, v)
    {
        char p[160];

        snprintf(p, sizeof(p), "missing.values.%s", k);
        if (!json_is_string(v))
            mistake(ck, p, "expected a string (every value sent is one)");
        else if (!is_feed_column(feed, k))
            mistake(ck, p, "'%s' is not a column of fields[]", k);
        else if (feed->nkey && isl_feed_is_key(feed, k))
            mistake(ck, p, "'%s' is a key column: it identifies the row", k);
        else {
            feed->missing_values[2 * feed->nmissing_values] = k;
            feed->missing_values[2 * feed->nmissing_values + 1] =
                json_string_value(v);
            feed->nmissing_values++;
        }
    }
}

bool isl_feed_is_key(const struct isl_feed *feed, const char *column)
{
    for (size_t i = 0; i < feed->nkey; i++)
        if (strcmp(feed->key[i], column) == 0)
            return true;
    return false;
}

int isl_feed_column_index(const struct isl_feed *feed, const char *column)
{
    for (size_t i = 0; i < feed->nfields; i++)
        if (feed->fields[i].column &&
            strcmp(feed->fields[i].column, column) == 0)
            return (int)i;
    return -1;
}

int isl_feed_load(struct isl_feed **out, const char *path, struct isl_buf *all,
                  struct isl_error *err)
{
    static const char *const keys[] = {
        "$schema",       "name",   "description", "input",
        "staging_table", "key",    "passthrough", "allow_null",
        "max_row_bytes", "fields", "row_stages",  "target",
        "missing",       NULL};
    struct checker ck = {.file = path, .all = all, .err = err};
    struct isl_feed *feed = calloc(1, sizeof(*feed));
    json_error_t je;
    json_t *fields;

    *out = NULL;
    if (!feed)
        return isl_error_set(err, ISL_ENOMEM, "feed", "out of memory");
    feed->path = strdup(path);
    feed->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!feed->doc) {
        bool missing = je.line < 0 || strstr(je.text, "unable to open");

        isl_error_set(err, missing ? ISL_EIO : ISL_ECONFIG, "feed", "%s",
                      je.text);
        isl_error_at(err, path, je.line > 0 ? (uint64_t)je.line : 0,
                     UINT64_MAX);
        if (all)
            isl_buf_addf(all, "%s:%d: %s\n", path, je.line, je.text);
        isl_feed_free(feed);
        return err->code;
    }
    if (!json_is_object(feed->doc)) {
        mistake(&ck, "", "a feed definition is a JSON object");
        goto done;
    }
    check_keys(&ck, "", feed->doc, keys);
    feed->name = get_string(&ck, "", feed->doc, "name", true);
    if (feed->name && !name_ok(feed->name, 100))
        mistake(&ck, "name",
                "'%s' is not a feed name (lower case letters, digits, _)",
                feed->name);
    get_string(&ck, "", feed->doc, "description", false);
    feed->staging_table = get_string(&ck, "", feed->doc, "staging_table", true);
    if (feed->staging_table && !name_ok(feed->staging_table, 80))
        mistake(&ck, "staging_table",
                "'%s' is not a ServiceNow table name (lower case letters, "
                "digits and _, at most 80)",
                feed->staging_table);
    feed->passthrough = get_bool(&ck, "", feed->doc, "passthrough", false);
    feed->allow_null = get_bool(&ck, "", feed->doc, "allow_null", false);
    feed->max_row_bytes =
        get_size(&ck, "", feed->doc, "max_row_bytes", ISL_FEED_MAX_ROW_BYTES);
    load_input(&ck, feed, json_object_get(feed->doc, "input"));

    fields = json_object_get(feed->doc, "fields");
    if (!fields && !feed->passthrough) {
        mistake(&ck, "fields", "is required (or set passthrough: true)");
    } else if (fields && !json_is_array(fields)) {
        mistake(&ck, "fields", "expected an array");
    } else if (fields) {
        feed->fields =
            calloc(json_array_size(fields) + 1, sizeof(*feed->fields));
        if (!feed->fields)
            goto done;
        feed->nfields = json_array_size(fields);
        for (size_t i = 0; i < feed->nfields; i++)
            load_field(&ck, feed, i, json_array_get(fields, i));
        for (size_t i = 0; i < feed->nfields; i++)
            for (size_t k = 0; k < i; k++)
                if (feed->fields[i].column && feed->fields[k].column &&
                    strcmp(feed->fields[i].column, feed->fields[k].column) ==
                        0) {
                    char p[48];

                    snprintf(p, sizeof(p), "fields[%zu].column", i);
                    mistake(&ck, p,
                            "'%s' is already the column of "
                            "fields[%zu]",
                            feed->fields[i].column, k);
                }
    }
    load_key(&ck, feed, json_object_get(feed->doc, "key"));
    load_row_stages(&ck, feed, json_object_get(feed->doc, "row_stages"));
    load_target(&ck, feed, json_object_get(feed->doc, "target"));
    load_missing(&ck, feed, json_object_get(feed->doc, "missing"));
done:
    if (ck.mistakes) {
        isl_feed_free(feed);
        return ISL_ECONFIG;
    }
    *out = feed;
    return 0;
}

void isl_feed_free(struct isl_feed *feed)
{
    if (!feed)
        return;
    for (size_t i = 0; i < feed->nfields; i++) {
        for (size_t k = 0; k < feed->fields[i].nstages; k++)
            tf_stage_free(feed->fields[i].stages[k]);
        free(feed->fields[i].stages);
    }
    for (size_t k = 0; k < feed->nrow_stages; k++)
        tf_stage_free(feed->row_stages[k]);
    free(feed->row_stages);
    free(feed->fields);
    free(feed->key);
    free(feed->columns_opt);
    free((void *)feed->target.match);
    free((void *)feed->target.fields);
    free((void *)feed->missing_values);
    json_decref(feed->doc);
    free(feed->path);
    free(feed);
}
