/*
 * u_in_json.c: the JSON and NDJSON readers on the small files in
 * testdata/json/: values, number text, positions, and the exact location
 * of every error class; plus generated files for size caps, records that
 * span many reads, and name interning.
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path_buf[1024];

static const char *td(const char *name)
{
    const char *dir = getenv("ISLOAD_TESTDATA");

    snprintf(path_buf, sizeof(path_buf), "%s/json/%s", dir ? dir : "testdata",
             name);
    return path_buf;
}

static struct isl_reader *open_path(const char *path,
                                    const struct isl_reader_opts *o)
{
    struct isl_reader_opts def = {0};
    struct isl_reader *r = NULL;
    struct isl_error err;

    isl_error_clear(&err);
    if (isl_reader_open(&r, path, o ? o : &def, &err) < 0) {
        fprintf(stderr, "  open %s: %s\n", path, err.msg);
        return NULL;
    }
    return r;
}

static struct isl_reader *open_td(const char *name,
                                  const struct isl_reader_opts *o)
{
    return open_path(td(name), o);
}

static const char *val(const struct isl_row *row, const char *name)
{
    const struct isl_field *f = isl_row_find(row, name);
    return f ? f->value : NULL;
}

/* Read to the end; returns the first fatal code (or ISL_EOF). */
static int drain(struct isl_reader *r, int *ok, int *bad, struct isl_error *err)
{
    const struct isl_row *row;
    int rc;

    *ok = *bad = 0;
    for (;;) {
        rc = isl_reader_next(r, &row, err);
        if (rc == ISL_OK)
            (*ok)++;
        else if (rc == ISL_EROW)
            (*bad)++;
        else
            return rc;
    }
}

static void test_top_array(void)
{
    struct isl_reader *r = open_td("array.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_JSON);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->n, 2);
    T_STREQ(row->fields[0].name, "id");
    T_STREQ(row->fields[1].value, "Ann");
    T_INTEQ(row->fields[1].len, 3);
    T_INTEQ(row->pos.line, 1);
    T_INTEQ(row->pos.record, 1);
    T_INTEQ(row->pos.offset, 1);
    T_CHECK(strstr(row->pos.file, "array.json") != NULL);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ben");
    T_INTEQ(row->pos.record, 2);
    T_INTEQ(row->pos.offset, 25);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

/* An empty first value (fuzz regression: no value bytes yet). */
static void test_empty_value(void)
{
    struct isl_reader *r = open_td("empty_value.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "id"), "");
    T_INTEQ(row->fields[0].len, 0);
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

/* ServiceNow's JSON export: {"records": [...]}, detected by content. */
static void test_records_export(void)
{
    struct isl_reader *r = open_td("records.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_JSON);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "number"), "INC0001");
    T_STREQ(val(row, "active"), "true");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "sys_id"), "a2");
    T_STREQ(val(row, "active"), "false");
    T_INTEQ(row->pos.record, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

/* data.items with keys before and after that must be skipped. */
static void test_records_path(void)
{
    struct isl_reader_opts o = {.records_path = "data.items"};
    struct isl_reader *r = open_td("path.json", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_JSON);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "id"), "1");
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(row->pos.line, 6);
    T_INTEQ(row->pos.record, 1);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "id"), "2");
    T_INTEQ(row->pos.line, 7);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_path_not_found(void)
{
    struct isl_reader_opts o = {.records_path = "result.items"};
    struct isl_reader_opts o2 = {.format = ISL_FMT_JSON};
    struct isl_reader_opts o3 = {.records_path = "data"};
    struct isl_reader *r = open_td("notfound.json", &o);
    struct isl_error err;
    int ok, bad;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(drain(r, &ok, &bad, &err), ISL_EPARSE);
    T_STREQ(err.msg, "key 'items' not found (records path 'result.items')");
    T_INTEQ(err.line, 1);
    isl_reader_close(r);
    r = open_td("notfound.json", &o2); /* default path: "records" */
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(drain(r, &ok, &bad, &err), ISL_EPARSE);
    T_STREQ(err.msg, "key 'records' not found (records path 'records')");
    isl_reader_close(r);
    r = open_td("path.json", &o3); /* "data" is an object */
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(drain(r, &ok, &bad, &err), ISL_EPARSE);
    T_STREQ(err.msg, "key 'data' holds an object, not an array of records");
    T_INTEQ(err.line, 3);
    isl_reader_close(r);
    r = open_td("array.json", &o3); /* a path, but a top-level array */
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(drain(r, &ok, &bad, &err), ISL_EPARSE);
    T_CHECK(strstr(err.msg, "found an array") != NULL);
    isl_reader_close(r);
}

static void test_pretty_lines(void)
{
    struct isl_reader *r = open_td("pretty.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->pos.line, 2);
    T_INTEQ(row->pos.offset, 4);
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->pos.line, 6);
    T_INTEQ(row->pos.record, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->pos.line, 11);
    T_INTEQ(row->pos.record, 3);
    T_STREQ(val(row, "name"), "Cy");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_ndjson_lines(void)
{
    struct isl_reader *r = open_td("lines.ndjson", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_NDJSON);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(row->pos.line, 1);
    T_INTEQ(row->pos.record, 1);
    T_INTEQ(row->pos.offset, 0);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ben");
    T_INTEQ(row->pos.line, 4);
    T_INTEQ(row->pos.record, 2);
    T_INTEQ(row->pos.offset, 28);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "json");
    T_INTEQ(err.line, 6);
    T_INTEQ(err.record, 3);
    T_STREQ(err.msg, "line 6 is not a JSON object (found an array)");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "json");
    T_INTEQ(err.line, 7);
    T_STREQ(err.msg, "line 7 ends inside the object (column 23)");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK); /* no final newline */
    T_STREQ(val(row, "name"), "Di");
    T_INTEQ(row->pos.line, 8);
    T_INTEQ(row->pos.record, 5);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_ndjson_gzip(void)
{
    struct isl_reader *r = open_td("lines.ndjson.gz", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_CHECK(isl_reader_is_gzip(r));
    T_INTEQ(isl_reader_format(r), ISL_FMT_NDJSON);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ben");
    T_INTEQ(row->pos.line, 3);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_numbers(void)
{
    struct isl_reader *r = open_td("numbers.ndjson", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "a"), "-9223372036854775808");
    T_STREQ(val(row, "b"), "9223372036854775807");
    T_STREQ(val(row, "c"), "0.1");
    T_STREQ(val(row, "d"), "2.5");
    T_STREQ(val(row, "e"), "100");
    T_STREQ(val(row, "f"), "1");
    T_STREQ(val(row, "g"), "-0");
    T_STREQ(val(row, "h"), "0");
    T_STREQ(val(row, "i"), "9.223372036854776e+18"); /* past int64 */
    T_STREQ(val(row, "j"), "1.5e-07");
    T_STREQ(val(row, "k"), "1.2345678901234568e+29");
    T_STREQ(val(row, "l"), "0.30000000000000004");
    T_STREQ(val(row, "m"), "100");
    T_STREQ(val(row, "n"), "100");
    T_STREQ(val(row, "o"), "0");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* 1e400 */
    T_STREQ(err.rule, "number");
    T_STREQ(err.field, "big");
    T_STREQ(err.msg, "number 1e400 is out of range");
    T_INTEQ(err.line, 2);
    T_STREQ(val(row, "a"), "1"); /* the rest of the row is there */
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "t"), "true");
    T_STREQ(val(row, "f"), "false");
    T_STREQ(val(row, "n"), "");
    T_INTEQ(isl_row_find(row, "n")->len, 0);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_escapes(void)
{
    struct isl_reader *r = open_td("escapes.ndjson", NULL);
    const struct isl_row *row;
    const struct isl_field *f;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "s"), "a\"b\\c/d\b\f\n\r\t");
    T_STREQ(val(row, "u"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    f = isl_row_find(row, "z");
    T_CHECK(f && f->len == 5 && memcmp(f->value, "nul\0x", 5) == 0);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* \ud800 */
    T_STREQ(err.rule, "encoding");
    T_STREQ(err.field, "s");
    T_INTEQ(err.line, 2);
    T_STREQ(err.msg, "lone surrogate \\uD800 in the value");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* \udc00 */
    T_STREQ(err.msg, "lone surrogate \\uDC00 in the value");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* \ud83d then x */
    T_STREQ(err.msg, "lone surrogate \\uD83D in the value");
    T_INTEQ(err.line, 4);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK); /* escaped key */
    T_STREQ(val(row, "k\xc3\xa9y"), "v");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "s"), "raw \xc3\xa9 ok");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* raw 0xff */
    T_STREQ(err.rule, "encoding");
    T_STREQ(err.field, "s");
    T_INTEQ(err.line, 7);
    T_STREQ(err.msg, "invalid UTF-8 at byte 5 of the value");
    T_STREQ(val(row, "id"), "7");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* raw tab */
    T_STREQ(err.rule, "json");
    T_INTEQ(err.line, 8);
    T_CHECK(strstr(err.msg, "column 10") != NULL);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_nested(void)
{
    struct isl_reader_opts fl = {.flatten = true};
    struct isl_reader *r = open_td("nested.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "nested");
    T_STREQ(err.field, "obj");
    T_INTEQ(err.line, 2);
    T_STREQ(val(row, "a"), "1");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "a"), "2");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);

    r = open_td("nested.json", &fl);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->n, 8);
    T_STREQ(row->fields[1].name, "obj.b");
    T_STREQ(val(row, "obj.b"), "2");
    T_STREQ(val(row, "obj.c.d"), "3");
    T_STREQ(val(row, "arr.0"), "1");
    T_STREQ(val(row, "arr.1"), "x");
    T_STREQ(val(row, "arr.2.y"), "true");
    T_STREQ(val(row, "e"), "");
    T_STREQ(val(row, "f"), "");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_duplicate_key(void)
{
    struct isl_reader_opts fl = {.flatten = true};
    struct isl_reader *r = open_td("dup.ndjson", &fl);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "duplicate_key");
    T_STREQ(err.field, "a");
    T_INTEQ(err.line, 1);
    T_STREQ(val(row, "a"), "1"); /* the first value is kept */
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.field, "a.b"); /* flattened name meets a literal one */
    T_INTEQ(err.line, 3);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_elements(void)
{
    struct isl_reader *r = open_td("elements.json", NULL);
    const struct isl_row *row;
    struct isl_error err;
    static const char *const kinds[] = {"a number", "a string", "null",
                                        "an array"};

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    for (int i = 0; i < 4; i++) {
        char want[128];

        snprintf(want, sizeof(want),
                 "array element %d is not an object (found %s)", i + 2,
                 kinds[i]);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "json");
        T_STREQ(err.msg, want);
        T_INTEQ(err.record, i + 2);
        T_INTEQ(err.line, 1);
    }
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "a"), "2");
    T_INTEQ(row->pos.record, 6);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_empty(void)
{
    struct isl_reader *r = open_td("empty.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
    r = open_td("empty_records.json", NULL);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_JSON);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_truncated(void)
{
    struct isl_reader *r = open_td("truncated.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 4);
    T_INTEQ(err.offset, 45);
    T_STREQ(err.rule, "parse");
    T_STREQ(err.msg, "unexpected end of input: record 2 (which starts on "
                     "line 3) is not closed");
    isl_reader_close(r);
}

static void test_bad_token(void)
{
    struct isl_reader *r = open_td("badtoken.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 3);
    T_INTEQ(err.offset, 37);
    T_STREQ(err.msg, "record 2: expected a value, found 't'");
    isl_reader_close(r);

    r = open_td("missing_comma.json", NULL);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 3);
    T_STREQ(err.msg, "expected ',' or ']' after record 1, found '{'");
    isl_reader_close(r);
}

/* Fuzz regression: an out-of-range number read at the window's end. */
static void test_number_at_end(void)
{
    struct isl_reader *r = open_td("fuzz_number_at_end.json", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 2);
    T_STREQ(err.msg, "unexpected end of input: record 1 (which starts on "
                     "line 2) is not closed");
    isl_reader_close(r);
}

/* Write text to a temp file; returns its path in buf. */
static int write_tmp(char *path, const char *text, size_t n)
{
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

    if (!f)
        return -1;
    fwrite(text, 1, n, f);
    fclose(f);
    return 0;
}

static void test_size_caps(void)
{
    static const char nd[] = "{\"a\":\"12345678\"}\n"
                             "{\"a\":\"123456789\"}\n"
                             "{\"a\":\"1\",\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbb\":1,"
                             "\"c\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
                             "{\"a\":\"ok\"}\n";
    static const char arr[] = "[{\"a\":\"1\"},\n"
                              "{\"a\":\"1\",\"b\":[\"]\",\"\\\"]\",{\"}\":1}],"
                              "\"c\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},\n"
                              "{\"a\":\"2\"}]";
    struct isl_reader_opts o = {.max_field = 8, .max_record = 40};
    char p1[] = "/tmp/u_in_json_XXXXXX", p2[] = "/tmp/u_in_json_XXXXXX";
    struct isl_reader *r;
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(write_tmp(p1, nd, sizeof(nd) - 1) == 0);
    T_CHECK(write_tmp(p2, arr, sizeof(arr) - 1) == 0);
    if ((r = open_path(p1, &o)) != NULL) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "a"), "12345678");
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "field_size");
        T_STREQ(err.field, "a");
        T_INTEQ(err.line, 2);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "record_size");
        T_INTEQ(err.line, 3);
        T_INTEQ(row->n, 0);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "a"), "ok");
        T_INTEQ(row->pos.line, 4);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
        isl_reader_close(r);
    }
    if ((r = open_path(p2, &o)) != NULL) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "record_size");
        T_INTEQ(err.line, 2);
        T_INTEQ(err.record, 2);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "a"), "2");
        T_INTEQ(row->pos.line, 3);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
        isl_reader_close(r);
    }
    unlink(p1);
    unlink(p2);
}

/*
 * Records far larger than one read (and than the first window), and an
 * oversized one skipped in a pretty-printed array: the window grows, the
 * skip reads past it, and memory stays bounded.
 */
static void test_large_records(void)
{
    char path[] = "/tmp/u_in_json_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct isl_reader_opts o = {.max_record = 4u << 20};
    struct isl_reader *r;
    const struct isl_row *row;
    const struct isl_field *fl;
    struct isl_error err;

    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("{\"records\": [\n{\"id\": \"1\", \"text\": \"", f);
    for (int i = 0; i < (3 << 20); i++)
        fputc(i % 1000 == 999 ? ' ' : 'a', f);
    fputs("\"},\n{\"id\": \"2\", \"big\": [\n", f);
    for (int i = 0; i < 500000; i++)
        fputs("  \"]}\\\"\",\n", f); /* 10 bytes, one line each */
    fputs("  1]},\n{\"id\": \"3\"}\n], \"after\": 1}\n", f);
    fclose(f);
    if ((r = open_path(path, &o)) != NULL) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        fl = isl_row_find(row, "text");
        T_CHECK(fl && fl->len == (3u << 20));
        T_INTEQ(row->pos.line, 2);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "record_size");
        T_INTEQ(err.line, 3);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "id"), "3");
        T_INTEQ(row->pos.line, 500005);
        T_INTEQ(row->pos.record, 3);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
        isl_reader_close(r);
    }
    unlink(path);
}

/* The same keys give the same name pointers in every row. */
static void test_interned_names(void)
{
    static const char nd[] = "{\"a\":\"1\",\"b\":\"2\"}\n"
                             "{\"b\":\"3\",\"a\":\"4\"}\n"
                             "{\"a\":\"5\",\"\\u0062\":\"6\"}\n";
    char path[] = "/tmp/u_in_json_XXXXXX";
    const char *a = NULL, *b = NULL;
    struct isl_reader *r;
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(write_tmp(path, nd, sizeof(nd) - 1) == 0);
    if ((r = open_path(path, NULL)) != NULL) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        a = row->fields[0].name;
        b = row->fields[1].name;
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_CHECK(row->fields[0].name == b);
        T_CHECK(row->fields[1].name == a);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_CHECK(row->fields[0].name == a);
        T_CHECK(row->fields[1].name == b);
        T_STREQ(row->fields[1].value, "6");
        isl_reader_close(r);
    }
    unlink(path);
}

/* Many distinct keys: the name table is retired and rows stay right. */
static void test_many_names(void)
{
    char path[] = "/tmp/u_in_json_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct isl_reader *r;
    const struct isl_row *row;
    struct isl_error err;
    int n = 0, good = 1;

    T_CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 40000; i++)
        fprintf(f, "{\"k%d\":\"%d\",\"j%d\":\"x\"}\n", i, i, i);
    fclose(f);
    if ((r = open_path(path, NULL)) != NULL) {
        while (isl_reader_next(r, &row, &err) == ISL_OK) {
            char want[32];

            snprintf(want, sizeof(want), "k%d", n);
            if (row->n != 2 || strcmp(row->fields[0].name, want) != 0)
                good = 0;
            n++;
        }
        T_INTEQ(n, 40000);
        T_CHECK(good);
        isl_reader_close(r);
    }
    unlink(path);
}

TEST_LIST = {
    {"top_array", test_top_array},
    {"empty_value", test_empty_value},
    {"records_export", test_records_export},
    {"records_path", test_records_path},
    {"path_not_found", test_path_not_found},
    {"pretty_lines", test_pretty_lines},
    {"ndjson_lines", test_ndjson_lines},
    {"ndjson_gzip", test_ndjson_gzip},
    {"numbers", test_numbers},
    {"escapes", test_escapes},
    {"nested", test_nested},
    {"duplicate_key", test_duplicate_key},
    {"elements", test_elements},
    {"empty", test_empty},
    {"truncated", test_truncated},
    {"bad_token", test_bad_token},
    {"number_at_end", test_number_at_end},
    {"size_caps", test_size_caps},
    {"large_records", test_large_records},
    {"interned_names", test_interned_names},
    {"many_names", test_many_names},
    {NULL, NULL},
};
