/* u_report_scan.c: reading a report member by member: the head, the
 * streamed arrays' elements one at a time, and clear errors (line, what)
 * for files that are not JSON or are cut short. */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_report_scan.h"

#include <unistd.h>

static const char *const streamed[] = {"errors", "error_rows", NULL};

static char path[64];

static void write_file(const char *text)
{
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/u_report_scan.XXXXXX");
    close(mkstemp(path));
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

struct seen {
    int errors, rows;
    char last[64];
    int stop_after;
};

static int on_elem(void *p, const char *key, const json_t *elem, size_t i)
{
    struct seen *s = p;

    if (strcmp(key, "errors") == 0)
        T_INTEQ(i, s->errors++);
    else
        T_INTEQ(i, s->rows++);
    snprintf(s->last, sizeof(s->last), "%s",
             json_string_value(json_object_get(elem, "m")));
    return s->stop_after && s->errors + s->rows >= s->stop_after ? ISL_EIO : 0;
}

static void test_head_and_elements(void)
{
    struct seen s = {0};
    struct isl_error err;
    json_t *head = NULL;

    write_file("{\n  \"feed\": \"hr\", \"n\": -1.5e3, \"ok\": true,\n"
               "  \"errors\": [\n    {\"m\": \"a ] } \\\" [\"},\n"
               "    {\"m\": \"b\"}\n  ],\n  \"x\": null,\n"
               "  \"nested\": {\"a\": [1, {\"b\": \"}\"}]},\n"
               "  \"error_rows\": [ ], \"s\": \"t\"\n}\n");
    isl_error_clear(&err);
    T_INTEQ(isl_report_scan(path, streamed, on_elem, &s, &head, &err), 0);
    T_INTEQ(s.errors, 2);
    T_INTEQ(s.rows, 0);
    T_STREQ(s.last, "b");
    T_STREQ(json_string_value(json_object_get(head, "feed")), "hr");
    T_CHECK(json_number_value(json_object_get(head, "n")) == -1500);
    T_CHECK(json_is_true(json_object_get(head, "ok")));
    T_CHECK(json_is_null(json_object_get(head, "x")));
    T_STREQ(json_string_value(json_object_get(
                json_array_get(
                    json_object_get(json_object_get(head, "nested"), "a"), 1),
                "b")),
            "}");
    T_STREQ(json_string_value(json_object_get(head, "s")), "t");
    T_CHECK(json_object_get(head, "errors") == NULL);
    T_INTEQ(json_object_size(head), 6);
    json_decref(head);
    unlink(path);
}

static void test_callback_stops(void)
{
    struct seen s = {.stop_after = 1};
    struct isl_error err;
    json_t *head = (json_t *)1;

    write_file("{\"errors\": [{\"m\": \"a\"}, {\"m\": \"b\"}]}");
    isl_error_clear(&err);
    T_INTEQ(isl_report_scan(path, streamed, on_elem, &s, &head, &err), ISL_EIO);
    T_INTEQ(s.errors, 1);
    T_CHECK(head == NULL);
    unlink(path);
}

/* text, and what the error says */
static void expect_bad(const char *text, const char *what, uint64_t line)
{
    struct isl_error err;
    json_t *head = (json_t *)1;

    write_file(text);
    isl_error_clear(&err);
    T_INTEQ(isl_report_scan(path, streamed, NULL, NULL, &head, &err),
            ISL_EPARSE);
    T_CHECK(head == NULL);
    if (!strstr(err.msg, what))
        fprintf(stderr, "  for %s: got '%s', want '%s'\n", text, err.msg, what);
    T_CHECK(strstr(err.msg, what) != NULL);
    T_STREQ(err.file, path);
    T_INTEQ(err.line, line);
    unlink(path);
}

static void test_bad_files(void)
{
    expect_bad("", "not a JSON object", 1);
    expect_bad("[1, 2]", "not a JSON object", 1);
    expect_bad("{\"a\": 1", "expected ',' or '}'", 1);
    expect_bad("{\"a\": 1,\n\"b\": tru}", "invalid token", 2);
    expect_bad("{\"a\": {\"b\": [1, 2}", "the file ends inside a value", 1);
    expect_bad("{\"a\": \"no end", "the file ends inside a value", 1);
    expect_bad("{\"a\" 1}", "expected ':'", 1);
    expect_bad("{a: 1}", "expected a member name", 1);
    expect_bad("{\"a\": 1} x", "data after the closing '}'", 1);
    expect_bad("{\"errors\": {\"m\": 1}}", "\"errors\" is not an array", 1);
    expect_bad("{\"errors\": [1,\n2 3]}", "expected ',' or ']'", 2);
    expect_bad("{\"errors\": [1,]}", "expected a value", 1);
    expect_bad("{\"a\": }", "expected a value", 1);
    expect_bad("{\"a\": [1, 2]]}", "expected ',' or '}'", 1);
}

static void test_missing_file(void)
{
    struct isl_error err;
    json_t *head;

    isl_error_clear(&err);
    T_INTEQ(
        isl_report_scan("/nonexistent/r.json", NULL, NULL, NULL, &head, &err),
        ISL_EIO);
    T_STREQ(err.file, "/nonexistent/r.json");
}

TEST_LIST = {
    {"head_and_elements", test_head_and_elements},
    {"callback_stops", test_callback_stops},
    {"bad_files", test_bad_files},
    {"missing_file", test_missing_file},
    {NULL, NULL},
};
