/*
 * s_text.c: tests of the text stages: trim, collapse_spaces, lower, upper,
 * title, default, no_null and template.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <string.h>

static void test_trim(void)
{
    struct tf_stage *st = s_new("\"trim\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "abc", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_INTEQ(s_value(st, "  a b \t\r\n", &out), TF_CHANGED);
    T_STREQ(out, "a b");
    T_STREQ(s_apply(st, "\xC2\xA0x\xC2\xA0 "), "x");
    T_STREQ(s_apply(st, " \t "), "");
    T_STREQ(s_apply(st, "\xC3\xA9 "), "\xC3\xA9");
    s_free(st);
}

static void test_collapse_spaces(void)
{
    struct tf_stage *st = s_new("\"collapse_spaces\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "a b c", &out), TF_PASS);
    T_STREQ(s_apply(st, "a  b\t\tc"), "a b c");
    T_STREQ(s_apply(st, "a\nb"), "a b");
    T_STREQ(s_apply(st, "  a  "), " a ");
    T_STREQ(s_apply(st, "a\xC2\xA0 b"), "a b");
    T_STREQ(s_apply(st, ""), "");
    s_free(st);
}

static void test_lower_upper(void)
{
    struct tf_stage *lo = s_new("\"lower\"", TF_VALUE);
    struct tf_stage *up = s_new("\"upper\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(lo, "abc 1", &out), TF_PASS);
    T_STREQ(s_apply(lo, "ABC Def"), "abc def");
    T_STREQ(s_apply(lo, "\xC3\x89MILE"), "\xC3\xA9mile");     /* ÉMILE */
    T_STREQ(s_apply(lo, "\xC3\x97"), "\xC3\x97");             /* × kept */
    T_STREQ(s_apply(lo, "\xE2\x82\xAC X"), "\xE2\x82\xAC x"); /* € kept */
    T_INTEQ(s_value(up, "ABC", &out), TF_PASS);
    T_STREQ(s_apply(up, "abc-d"), "ABC-D");
    T_STREQ(s_apply(up, "\xC3\xA9t\xC3\xA9"), "\xC3\x89T\xC3\x89");
    T_STREQ(s_apply(up, "stra\xC3\x9F"
                        "e"),
            "STRA\xC3\x9F"
            "E");                                 /* ß */
    T_STREQ(s_apply(up, "\xC3\xB7"), "\xC3\xB7"); /* ÷ */
    s_free(lo);
    s_free(up);
}

static void test_title(void)
{
    struct tf_stage *st = s_new("\"title\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "Ada Lovelace", &out), TF_PASS);
    T_STREQ(s_apply(st, "ada LOVELACE"), "Ada Lovelace");
    T_STREQ(s_apply(st, "mary-jane o'neil"), "Mary-Jane O'neil");
    T_STREQ(s_apply(st, "don't stop"), "Don't Stop");
    T_STREQ(s_apply(st, "\xC3\xA9mile zola"), "\xC3\x89mile Zola");
    T_STREQ(s_apply(st, "3rd floor"), "3rd Floor");
    s_free(st);
}

static void test_default(void)
{
    struct tf_stage *st = s_new("{\"default\": \"n/a\"}", TF_VALUE);
    const char *out;

    T_STREQ(s_apply(st, ""), "n/a");
    T_INTEQ(s_value(st, "x", &out), TF_PASS);
    T_STREQ(out, "x");
    T_INTEQ(s_value(st, " ", &out), TF_PASS);
    s_free(st);
    T_STREQ(s_once("{\"default\": \"\"}", ""), "");
    T_STREQ(s_fail("\"default\"", TF_VALUE),
            "fields[0].stages[0].default: needs a value: {\"default\": "
            "\"...\"}");
    T_STREQ(s_fail("{\"default\": 1}", TF_VALUE),
            "fields[0].stages[0].default: expected a string");
}

static void test_no_null(void)
{
    struct tf_stage *st = s_new("\"no_null\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "NULL", &out), TF_REJECT);
    T_STREQ(s_err.rule, "no_null");
    T_STREQ(s_err.field, "u_col");
    T_STREQ(s_err.msg,
            "the literal NULL clears the target field in ServiceNow");
    T_INTEQ(s_value(st, "null", &out), TF_PASS);
    T_INTEQ(s_value(st, "NULLS", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    s_free(st);
}

static void test_template(void)
{
    struct tf_stage *st =
        s_new("{\"template\": \"{u_first} {u_last}\"}", TF_VALUE);
    const char *cols[] = {"u_col", "u_first", "u_last"};
    const char *vals[] = {"Ada Lovelace", "Ada", "Lovelace"};
    const char *out;

    T_STREQ(s_apply(st, ""), "Ada Lovelace"); /* s_value's row */
    T_INTEQ(s_value_row(st, "Ada Lovelace", cols, vals, 3, &out), TF_PASS);
    vals[1] = "Grace";
    vals[2] = "Hopper";
    T_INTEQ(s_value_row(st, "x", cols, vals, 3, &out), TF_CHANGED);
    T_STREQ(out, "Grace Hopper");
    /* another column order still finds the names */
    {
        const char *c2[] = {"u_last", "u_first", "u_col"};
        const char *v2[] = {"Curie", "Marie", ""};

        T_INTEQ(s_value_row(st, "", c2, v2, 3, &out), TF_CHANGED);
        T_STREQ(out, "Marie Curie");
    }
    s_free(st);

    T_STREQ(s_once("{\"template\": \"{{{u_first}}} {{x}}\"}", ""), "{Ada} {x}");
    T_STREQ(s_once("{\"template\": \"fixed\"}", ""), "fixed");
    T_STREQ(s_once("{\"template\": \"{u_nope}\"}", ""),
            "<reject: the template names {u_nope}, which is not a column "
            "of the row>");
    T_STREQ(s_err.rule, "template");
    T_STREQ(s_fail("{\"template\": \"{u_first\"}", TF_VALUE),
            "fields[0].stages[0].template: '{' at offset 0 has no '}' "
            "(write {{ for a literal brace)");
    T_STREQ(s_fail("{\"template\": \"a}\"}", TF_VALUE),
            "fields[0].stages[0].template: '}' at offset 1 has no '{' "
            "(write }} for a literal brace)");
    T_STREQ(s_fail("{\"template\": \"{}\"}", TF_VALUE),
            "fields[0].stages[0].template: empty name {} at offset 0");
    T_STREQ(s_fail("{\"template\": \"{a{b}\"}", TF_VALUE),
            "fields[0].stages[0].template: '{' inside a name at offset 0");
    T_STREQ(s_fail("\"template\"", TF_VALUE),
            "fields[0].stages[0].template: needs a value: {\"template\": "
            "\"...\"}");
}

TEST_LIST = {
    {"trim", test_trim},
    {"collapse_spaces", test_collapse_spaces},
    {"lower_upper", test_lower_upper},
    {"title", test_title},
    {"default", test_default},
    {"no_null", test_no_null},
    {"template", test_template},
    {NULL, NULL},
};
