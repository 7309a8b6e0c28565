/*
 * s_row.c: tests of the row stages: unique (keep first and last, several
 * columns, empty keys, many keys), reference (deferred check) and filter
 * (every condition, negate), including the messages naming lines.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cols[] = {"u_employee_id", "u_manager_id", "u_status"};

static int row3(struct tf_stage *st, const char *id, const char *mgr,
                const char *status, uint64_t line, uint64_t row_id)
{
    const char *vals[] = {id, mgr, status};

    return s_row(st, cols, vals, 3, "hr.csv", line, row_id);
}

static int fin3(struct tf_stage *st, const char *id, const char *mgr,
                const char *status, uint64_t line, uint64_t row_id)
{
    const char *vals[] = {id, mgr, status};

    return s_finish(st, cols, vals, 3, "hr.csv", line, row_id);
}

static void test_unique_first(void)
{
    struct tf_stage *st =
        s_new("{\"unique\": {\"columns\": [\"u_employee_id\"]}}", TF_ROW);

    T_INTEQ(row3(st, "E0000012", "", "", 14, 1), TF_PASS);
    T_INTEQ(row3(st, "E0000013", "", "", 15, 2), TF_PASS);
    T_INTEQ(row3(st, "", "", "", 16, 3), TF_PASS); /* empty: not checked */
    T_INTEQ(row3(st, "", "", "", 17, 4), TF_PASS);
    T_INTEQ(row3(st, "E0000012", "", "", 20, 5), TF_REJECT);
    T_STREQ(s_err.msg, "duplicate key u_employee_id=E0000012 (first seen at "
                       "hr.csv:14)");
    T_STREQ(s_err.rule, "unique");
    T_STREQ(s_err.field, "u_employee_id");
    T_INTEQ(s_err.code, ISL_EROW);
    T_INTEQ(row3(st, "e0000012", "", "", 21, 6), TF_PASS); /* exact */
    /* keep first decides at once: finish passes everything */
    T_CHECK(!st->deferred);
    T_INTEQ(fin3(st, "E0000012", "", "", 14, 1), TF_PASS);
    s_free(st);
}

static void test_unique_last(void)
{
    struct tf_stage *st = s_new("{\"unique\": {\"columns\": "
                                "[\"u_employee_id\"], \"keep\": \"last\"}}",
                                TF_ROW);

    T_CHECK(st->deferred);
    T_INTEQ(row3(st, "E1", "", "", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E2", "", "", 3, 2), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "", 4, 3), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "", 9, 4), TF_PASS);
    T_INTEQ(fin3(st, "E1", "", "", 2, 1), TF_REJECT);
    T_STREQ(s_err.msg, "duplicate key u_employee_id=E1 (seen again at "
                       "hr.csv:9)");
    T_STREQ(s_err.rule, "unique");
    T_STREQ(s_err.field, "u_employee_id");
    T_INTEQ(fin3(st, "E2", "", "", 3, 2), TF_PASS);
    T_INTEQ(fin3(st, "E1", "", "", 4, 3), TF_REJECT);
    T_INTEQ(fin3(st, "E1", "", "", 9, 4), TF_PASS);
    s_free(st);
}

static void test_unique_columns(void)
{
    struct tf_stage *st = s_new("{\"unique\": {\"columns\": "
                                "[\"u_employee_id\", \"u_status\"]}}",
                                TF_ROW);
    const char *vals[] = {"E1", "", "A"};

    T_INTEQ(row3(st, "E1", "", "A", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "B", 3, 2), TF_PASS);
    /* "E1"+"A" must not equal "E1A"+"" */
    T_INTEQ(row3(st, "E1A", "", "", 4, 3), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "A", 5, 4), TF_REJECT);
    T_STREQ(s_err.msg, "duplicate key u_employee_id=E1, u_status=A (first "
                       "seen at hr.csv:2)");
    /* no file name: the line alone */
    T_INTEQ(s_row(st, cols, vals, 3, NULL, 6, 5), TF_REJECT);
    T_STREQ(s_err.msg, "duplicate key u_employee_id=E1, u_status=A (first "
                       "seen at hr.csv:2)");
    s_free(st);

    st = s_new("{\"unique\": {\"columns\": \"u_employee_id\"}}", TF_ROW);
    T_INTEQ(s_row(st, cols, vals, 3, NULL, 6, 1), TF_PASS);
    T_INTEQ(s_row(st, cols, vals, 3, NULL, 7, 2), TF_REJECT);
    T_STREQ(s_err.msg, "duplicate key u_employee_id=E1 (first seen at line "
                       "6)");
    /* a key column missing from the row */
    {
        const char *c2[] = {"u_other"};
        const char *v2[] = {"x"};

        T_INTEQ(s_row(st, c2, v2, 1, "hr.csv", 8, 3), TF_REJECT);
        T_STREQ(s_err.msg, "key column u_employee_id is not in the row");
        T_STREQ(s_err.field, "u_employee_id");
    }
    s_free(st);
}

static void test_unique_many(void)
{
    struct tf_stage *st = s_new("{\"unique\": {\"columns\": "
                                "[\"u_employee_id\"], \"keep\": \"last\"}}",
                                TF_ROW);
    char id[32];
    int bad = 0;

    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "E%07d", i % 15000);
        bad +=
            row3(st, id, "", "", (uint64_t)i + 2, (uint64_t)i + 1) != TF_PASS;
    }
    T_INTEQ(bad, 0);
    for (int i = 0; i < 20000; i++) {
        int want = (i < 5000) ? TF_REJECT : TF_PASS;

        snprintf(id, sizeof(id), "E%07d", i % 15000);
        bad += fin3(st, id, "", "", (uint64_t)i + 2, (uint64_t)i + 1) != want;
    }
    T_INTEQ(bad, 0);
    s_free(st);
}

/* The key index cannot make its files: the run stops (a negative code
 * with the reason), the row is not blamed. */
static void test_unique_no_tmpdir(void)
{
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    struct tf_stage *st =
        s_new("{\"unique\": {\"columns\": [\"u_employee_id\"]}}", TF_ROW);

    setenv("TMPDIR", "/nonexistent/isload", 1);
    T_INTEQ(row3(st, "E1", "", "", 2, 1), ISL_EIO);
    T_CHECK(strstr(s_err.msg, "cannot create a temporary file in "
                              "/nonexistent/isload") != NULL);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    /* once it can, the stage works */
    T_INTEQ(row3(st, "E1", "", "", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "", 3, 2), TF_REJECT);
    s_free(st);
}

static void test_unique_init_errors(void)
{
    T_STREQ(s_fail("{\"unique\": {\"columns\": [\"a\"], \"keep\": "
                   "\"newest\"}}",
                   TF_ROW),
            "row_stages[0].unique.keep: 'newest' is not \"first\" or "
            "\"last\"");
    T_STREQ(s_fail("{\"unique\": {\"columns\": [\"a\", \"a\"]}}", TF_ROW),
            "row_stages[0].unique.columns[1]: 'a' is listed twice");
    T_STREQ(s_fail("{\"unique\": {\"keep\": \"first\"}}", TF_ROW),
            "row_stages[0].unique.columns: missing required option");
}

static void test_reference(void)
{
    struct tf_stage *st = s_new("{\"reference\": {\"column\": "
                                "\"u_manager_id\", \"to\": "
                                "\"u_employee_id\"}}",
                                TF_ROW);

    T_CHECK(st->deferred);
    /* the manager comes after the employee: fine */
    T_INTEQ(row3(st, "E2", "E1", "", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "", 3, 2), TF_PASS);
    T_INTEQ(row3(st, "E3", "E0000099", "", 4, 3), TF_PASS);
    T_INTEQ(row3(st, "E4", "E4", "", 5, 4), TF_PASS);
    T_INTEQ(fin3(st, "E2", "E1", "", 2, 1), TF_PASS);
    T_INTEQ(fin3(st, "E1", "", "", 3, 2), TF_PASS);
    T_INTEQ(fin3(st, "E3", "E0000099", "", 4, 3), TF_REJECT);
    T_STREQ(s_err.msg, "u_manager_id=E0000099 matches no u_employee_id in "
                       "the feed");
    T_STREQ(s_err.rule, "reference");
    T_STREQ(s_err.field, "u_manager_id");
    T_INTEQ(fin3(st, "E4", "E4", "", 5, 4), TF_PASS);
    {
        const char *c2[] = {"u_employee_id"};
        const char *v2[] = {"x"};

        T_INTEQ(s_row(st, c2, v2, 1, "hr.csv", 8, 5), TF_REJECT);
        T_STREQ(s_err.msg, "column u_manager_id is not in the row");
        T_INTEQ(s_finish(st, c2, v2, 1, "hr.csv", 8, 5), TF_REJECT);
    }
    s_free(st);
    T_STREQ(s_fail("{\"reference\": {\"column\": \"a\"}}", TF_ROW),
            "row_stages[0].reference.to: missing required option");
    T_STREQ(s_fail("{\"reference\": {\"to\": \"a\"}}", TF_ROW),
            "row_stages[0].reference.column: missing required option");
}

static void test_filter(void)
{
    struct tf_stage *st = s_new("{\"filter\": {\"column\": \"u_status\", "
                                "\"equals\": \"Test\"}}",
                                TF_ROW);

    T_INTEQ(row3(st, "E1", "", "Active", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "Test", 3, 2), TF_FILTER);
    T_STREQ(s_err.msg, "u_status 'Test' equals 'Test'");
    T_STREQ(s_err.rule, "filter");
    T_STREQ(s_err.field, "u_status");
    T_INTEQ(row3(st, "E1", "", "test", 3, 2), TF_PASS);
    T_CHECK(!st->deferred);
    s_free(st);

    st = s_new("{\"filter\": {\"column\": \"u_status\", \"equals\": "
               "\"Active\", \"negate\": true}}",
               TF_ROW);
    T_INTEQ(row3(st, "E1", "", "Active", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E1", "", "Gone", 2, 1), TF_FILTER);
    T_STREQ(s_err.msg, "u_status 'Gone' does not satisfy: equals 'Active'");
    s_free(st);

    st = s_new("{\"filter\": {\"column\": \"u_status\", \"in\": [\"T\", "
               "\"X\"]}}",
               TF_ROW);
    T_INTEQ(row3(st, "E1", "", "X", 2, 1), TF_FILTER);
    T_STREQ(s_err.msg, "u_status 'X' is in the list of 2");
    T_INTEQ(row3(st, "E1", "", "Y", 2, 1), TF_PASS);
    s_free(st);

    st = s_new("{\"filter\": {\"column\": \"u_employee_id\", \"matches\": "
               "\"^TEST\"}}",
               TF_ROW);
    T_INTEQ(row3(st, "TEST01", "", "", 2, 1), TF_FILTER);
    T_STREQ(s_err.msg, "u_employee_id 'TEST01' matches '^TEST'");
    T_INTEQ(row3(st, "E01", "", "", 2, 1), TF_PASS);
    s_free(st);

    st = s_new("{\"filter\": {\"column\": \"u_manager_id\", \"empty\": "
               "true}}",
               TF_ROW);
    T_INTEQ(row3(st, "E1", "", "", 2, 1), TF_FILTER);
    T_STREQ(s_err.msg, "u_manager_id '' is empty");
    T_INTEQ(row3(st, "E1", "E2", "", 2, 1), TF_PASS);
    s_free(st);

    st = s_new("{\"filter\": {\"column\": \"u_manager_id\", \"empty\": "
               "false}}",
               TF_ROW);
    T_INTEQ(row3(st, "E1", "", "", 2, 1), TF_PASS);
    T_INTEQ(row3(st, "E1", "E2", "", 2, 1), TF_FILTER);
    s_free(st);

    st = s_new("{\"filter\": {\"column\": \"u_nope\", \"empty\": true}}",
               TF_ROW);
    T_INTEQ(row3(st, "E1", "", "", 2, 1), TF_REJECT);
    T_STREQ(s_err.msg, "column u_nope is not in the row");
    s_free(st);
}

static void test_filter_init_errors(void)
{
    T_STREQ(s_fail("{\"filter\": {\"column\": \"a\"}}", TF_ROW),
            "row_stages[0].filter: needs exactly one of equals, in, matches "
            "or empty (found 0)");
    T_STREQ(s_fail("{\"filter\": {\"column\": \"a\", \"equals\": \"x\", "
                   "\"empty\": true}}",
                   TF_ROW),
            "row_stages[0].filter: needs exactly one of equals, in, matches "
            "or empty (found 2)");
    {
        const char *want = "row_stages[0].filter.matches: bad regular "
                           "expression '(': ";

        T_CHECK(strncmp(s_fail("{\"filter\": {\"column\": \"a\", "
                               "\"matches\": \"(\"}}",
                               TF_ROW),
                        want, strlen(want)) == 0);
    }
    T_STREQ(s_fail("{\"filter\": {\"equals\": \"x\"}}", TF_ROW),
            "row_stages[0].filter.column: missing required option");
    T_STREQ(s_fail("{\"filter\": {\"column\": \"a\", \"negate\": 1, "
                   "\"empty\": true}}",
                   TF_ROW),
            "row_stages[0].filter.negate: expected true or false");
    T_STREQ(s_fail("\"filter\"", TF_ROW),
            "row_stages[0].filter.column: missing required option");
}

TEST_LIST = {
    {"unique_first", test_unique_first},
    {"unique_last", test_unique_last},
    {"unique_columns", test_unique_columns},
    {"unique_many", test_unique_many},
    {"unique_no_tmpdir", test_unique_no_tmpdir},
    {"unique_init_errors", test_unique_init_errors},
    {"reference", test_reference},
    {"filter", test_filter},
    {"filter_init_errors", test_filter_init_errors},
    {NULL, NULL},
};
