/*
 * s_map.c: tests of the map stage: inline tables, CSV files (quoting,
 * CRLF, BOM, blank lines), unmapped policies, case, and every init error,
 * plus a large generated map that makes the hash table grow.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *file_map(const char *rel, const char *extra)
{
    static char json[1400];

    snprintf(json, sizeof(json), "{\"map\": {\"file\": \"%s\"%s}}", s_data(rel),
             extra);
    return json;
}

static void test_inline(void)
{
    struct tf_stage *st =
        s_new("{\"map\": {\"values\": {\"ENG\": \"Engineering\", \"FIN\": "
              "\"Finance\", \"Same\": \"Same\"}}}",
              TF_VALUE);
    const char *out;

    T_STREQ(s_apply(st, "ENG"), "Engineering");
    T_INTEQ(s_value(st, "Same", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "eng"), "<reject: 'eng' has no entry in the map>");
    T_STREQ(s_err.rule, "map");
    T_STREQ(s_err.field, "u_col");
    s_free(st);
}

static void test_unmapped(void)
{
    const char *out;
    struct tf_stage *st =
        s_new("{\"map\": {\"values\": {\"A\": \"1\"}, \"unmapped\": \"keep\"}}",
              TF_VALUE);

    T_INTEQ(s_value(st, "B", &out), TF_PASS);
    T_STREQ(s_apply(st, "A"), "1");
    s_free(st);
    T_STREQ(s_once("{\"map\": {\"values\": {\"A\": \"1\"}, \"unmapped\": "
                   "\"default\", \"default\": \"other\"}}",
                   "B"),
            "other");
    /* default alone implies unmapped: default */
    T_STREQ(s_once("{\"map\": {\"values\": {\"A\": \"1\"}, \"default\": "
                   "\"other\"}}",
                   "B"),
            "other");
    T_STREQ(s_once("{\"map\": {\"values\": {\"A\": \"1\"}, \"unmapped\": "
                   "\"reject\"}}",
                   "B"),
            "<reject: 'B' has no entry in the map>");
}

static void test_case(void)
{
    struct tf_stage *st = s_new("{\"map\": {\"values\": {\"Eng\": "
                                "\"Engineering\"}, \"case\": "
                                "\"insensitive\"}}",
                                TF_VALUE);

    T_STREQ(s_apply(st, "ENG"), "Engineering");
    T_STREQ(s_apply(st, "eng"), "Engineering");
    s_free(st);
    T_STREQ(s_fail("{\"map\": {\"values\": {\"a\": \"1\", \"A\": \"2\"}, "
                   "\"case\": \"insensitive\"}}",
                   TF_VALUE),
            "fields[0].stages[0].map.values.A: duplicate key (keys differ "
            "only in case)");
}

static void test_file(void)
{
    struct tf_stage *st = s_new(file_map("maps/departments.csv", ""), TF_VALUE);

    T_CHECK(st != NULL);
    if (!st)
        return;
    T_STREQ(s_apply(st, "ENG"), "Engineering");
    T_STREQ(s_apply(st, "FIN"), "Finance, Treasury");
    T_STREQ(s_apply(st, "Q\"A"), "Quality");
    T_STREQ(s_apply(st, "HR"), "Human Resources");
    T_STREQ(s_apply(st, "key"), "<reject: 'key' has no entry in the map>");
    s_free(st);

    T_STREQ(s_once(file_map("maps/crlf.csv", ""), "B"), "Beta");
    T_STREQ(s_once(file_map("maps/bom.csv", ""), "X"), "Ex");
    /* inline entries override the file's */
    T_STREQ(s_once(file_map("maps/departments.csv",
                            ", \"values\": {\"ENG\": \"Eng.\"}"),
                   "ENG"),
            "Eng.");
    T_STREQ(
        s_once(file_map("maps/departments.csv", ", \"case\": \"insensitive\""),
               "eng"),
        "Engineering");
}

static void test_file_errors(void)
{
    char want[1400];

    snprintf(want, sizeof(want),
             "fields[0].stages[0].map.file: %s:2: expected 2 columns (key, "
             "value), found 3",
             s_data("maps/bad_columns.csv"));
    T_STREQ(s_fail(file_map("maps/bad_columns.csv", ""), TF_VALUE), want);
    snprintf(want, sizeof(want),
             "fields[0].stages[0].map.file: %s:4: duplicate key 'A'",
             s_data("maps/duplicate.csv"));
    T_STREQ(s_fail(file_map("maps/duplicate.csv", ""), TF_VALUE), want);
    snprintf(want, sizeof(want), "fields[0].stages[0].map.file: '%s' is empty",
             s_data("maps/empty.csv"));
    T_STREQ(s_fail(file_map("maps/empty.csv", ""), TF_VALUE), want);
    snprintf(want, sizeof(want),
             "fields[0].stages[0].map.file: %s:2: unterminated quote",
             s_data("maps/unterminated.csv"));
    T_STREQ(s_fail(file_map("maps/unterminated.csv", ""), TF_VALUE), want);
    snprintf(want, sizeof(want),
             "fields[0].stages[0].map.file: cannot read '%s': No such file "
             "or directory",
             s_data("maps/none.csv"));
    T_STREQ(s_fail(file_map("maps/none.csv", ""), TF_VALUE), want);
    T_STREQ(s_err.rule, "feed");
    T_INTEQ(s_err.code, ISL_ECONFIG);
}

static void test_init_errors(void)
{
    T_STREQ(s_fail("{\"map\": {\"unmapped\": \"keep\"}}", TF_VALUE),
            "fields[0].stages[0].map: needs \"values\" or \"file\"");
    T_STREQ(s_fail("{\"map\": {\"values\": {\"a\": 1}}}", TF_VALUE),
            "fields[0].stages[0].map.values.a: expected a string");
    T_STREQ(
        s_fail("{\"map\": {\"values\": {}, \"unmapped\": \"drop\"}}", TF_VALUE),
        "fields[0].stages[0].map.unmapped: 'drop' is not \"reject\", "
        "\"keep\" or \"default\"");
    T_STREQ(s_fail("{\"map\": {\"values\": {}, \"unmapped\": \"default\"}}",
                   TF_VALUE),
            "fields[0].stages[0].map.default: missing (\"unmapped\": "
            "\"default\" needs it)");
    T_STREQ(s_fail("{\"map\": {\"values\": {}, \"unmapped\": \"keep\", "
                   "\"default\": \"x\"}}",
                   TF_VALUE),
            "fields[0].stages[0].map.default: only used with \"unmapped\": "
            "\"default\"");
    T_STREQ(s_fail("{\"map\": {\"values\": {}, \"case\": \"x\"}}", TF_VALUE),
            "fields[0].stages[0].map.case: 'x' is not \"sensitive\" or "
            "\"insensitive\"");
    T_STREQ(s_fail("{\"map\": {\"file\": 5}}", TF_VALUE),
            "fields[0].stages[0].map.file: expected a string");
}

static void test_large(void)
{
    char path[] = "/tmp/s_map_XXXXXX", json[200], key[32], want[32];
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct tf_stage *st;
    int bad = 0;

    T_CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "key,value\n");
    for (int i = 0; i < 50000; i++)
        fprintf(f, "K%d,V%d\n", i, i * 7);
    fclose(f);
    snprintf(json, sizeof(json), "{\"map\": {\"file\": \"%s\"}}", path);
    st = s_new(json, TF_VALUE);
    T_CHECK(st != NULL);
    for (int i = 0; st && i < 50000; i += 7) {
        snprintf(key, sizeof(key), "K%d", i);
        snprintf(want, sizeof(want), "V%d", i * 7);
        bad += strcmp(s_apply(st, key), want) != 0;
    }
    T_INTEQ(bad, 0);
    if (st)
        T_STREQ(s_apply(st, "K50000"),
                "<reject: 'K50000' has no entry in the map>");
    s_free(st);
    unlink(path);
}

TEST_LIST = {
    {"inline", test_inline},
    {"unmapped", test_unmapped},
    {"case", test_case},
    {"file", test_file},
    {"file_errors", test_file_errors},
    {"init_errors", test_init_errors},
    {"large", test_large},
    {NULL, NULL},
};
