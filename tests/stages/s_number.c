/*
 * s_number.c: tests of the number and boolean stages.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <string.h>

static void test_number_basic(void)
{
    struct tf_stage *st = s_new("\"number\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "42", &out), TF_PASS);
    T_INTEQ(s_value(st, "-1.5", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "+42"), "42");
    T_STREQ(s_apply(st, "007"), "7");
    T_STREQ(s_apply(st, "000"), "0");
    T_STREQ(s_apply(st, "-0"), "0");
    T_STREQ(s_apply(st, "-0.50"), "-0.50");
    T_STREQ(s_apply(st, ".5"), "0.5");
    T_STREQ(s_apply(st, "5."), "5");
    T_STREQ(s_apply(st, "1.250"), "1.250");
    T_STREQ(s_apply(st, "12345678901234567890.5"), "12345678901234567890.5");
    T_STREQ(s_apply(st, "1e5"), "<reject: '1e5' is not a number>");
    T_STREQ(s_err.rule, "number");
    T_STREQ(s_apply(st, "1,000"), "<reject: '1,000' is not a number>");
    T_STREQ(s_apply(st, "."), "<reject: '.' is not a number>");
    T_STREQ(s_apply(st, "-"), "<reject: '-' is not a number>");
    T_STREQ(s_apply(st, " 1"), "<reject: ' 1' is not a number>");
    T_STREQ(s_apply(st, "1 "), "<reject: '1 ' is not a number>");
    T_STREQ(s_apply(st, "--1"), "<reject: '--1' is not a number>");
    T_STREQ(s_apply(st, "1.2.3"), "<reject: '1.2.3' is not a number>");
    T_STREQ(s_apply(st, "abc"), "<reject: 'abc' is not a number>");
    T_STREQ(s_apply(st, "nan"), "<reject: 'nan' is not a number>");
    s_free(st);
}

static void test_number_options(void)
{
    struct tf_stage *st = s_new(
        "{\"number\": {\"decimal\": \",\", \"thousands\": \".\"}}", TF_VALUE);

    T_STREQ(s_apply(st, "1.234.567,89"), "1234567.89");
    T_STREQ(s_apply(st, "1234567,89"), "1234567.89");
    T_STREQ(s_apply(st, "-0,5"), "-0.5");
    T_STREQ(s_apply(st, "12.34"), "<reject: '12.34' is not a number>");
    T_STREQ(s_apply(st, "1.2345"), "<reject: '1.2345' is not a number>");
    T_STREQ(s_apply(st, "1234.567"), "<reject: '1234.567' is not a number>");
    T_STREQ(s_apply(st, ".123"), "<reject: '.123' is not a number>");
    s_free(st);
    T_STREQ(s_once("{\"number\": {\"thousands\": \",\"}}", "1,234.5"),
            "1234.5");
    T_STREQ(s_once("{\"number\": {\"thousands\": \" \"}}", "1 234"), "1234");
    T_STREQ(s_once("{\"number\": {\"thousands\": \"'\"}}", "1'234'567"),
            "1234567");

    st = s_new("{\"number\": {\"min\": 0, \"max\": 100}}", TF_VALUE);
    T_STREQ(s_apply(st, "0"), "0");
    T_STREQ(s_apply(st, "100.0"), "100.0");
    T_STREQ(s_apply(st, "100.01"),
            "<reject: '100.01' is greater than the maximum 100>");
    T_STREQ(s_apply(st, "-1"), "<reject: '-1' is less than the minimum 0>");
    s_free(st);
    T_STREQ(s_once("{\"number\": {\"min\": 0.5}}", "0.4"),
            "<reject: '0.4' is less than the minimum 0.5>");

    st = s_new("{\"number\": {\"integer\": true}}", TF_VALUE);
    T_STREQ(s_apply(st, "12"), "12");
    T_STREQ(s_apply(st, "12.00"), "12");
    T_STREQ(s_apply(st, "12.5"), "<reject: '12.5' is not a whole number>");
    s_free(st);
    T_STREQ(s_once("{\"number\": {\"integer\": false}}", "12.5"), "12.5");
}

static void test_number_init_errors(void)
{
    T_STREQ(s_fail("{\"number\": {\"min\": 5, \"max\": 1}}", TF_VALUE),
            "fields[0].stages[0].number.max: 1 is less than min (5)");
    T_STREQ(s_fail("{\"number\": {\"decimal\": \";\"}}", TF_VALUE),
            "fields[0].stages[0].number.decimal: ';' is not \".\" or \",\"");
    T_STREQ(s_fail("{\"number\": {\"thousands\": \"x\"}}", TF_VALUE),
            "fields[0].stages[0].number.thousands: 'x' is not \",\", \".\", "
            "\" \" or \"'\"");
    T_STREQ(s_fail("{\"number\": {\"thousands\": \".\"}}", TF_VALUE),
            "fields[0].stages[0].number.thousands: same as the decimal "
            "separator");
    T_STREQ(s_fail("{\"number\": {\"integer\": \"yes\"}}", TF_VALUE),
            "fields[0].stages[0].number.integer: expected true or false");
}

static void test_boolean(void)
{
    struct tf_stage *st = s_new("\"boolean\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "true", &out), TF_PASS);
    T_INTEQ(s_value(st, "false", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "YES"), "true");
    T_STREQ(s_apply(st, "y"), "true");
    T_STREQ(s_apply(st, "1"), "true");
    T_STREQ(s_apply(st, "True"), "true");
    T_STREQ(s_apply(st, "No"), "false");
    T_STREQ(s_apply(st, "n"), "false");
    T_STREQ(s_apply(st, "0"), "false");
    T_STREQ(s_apply(st, "maybe"),
            "<reject: 'maybe' is not a true or false word>");
    T_STREQ(s_err.rule, "boolean");
    s_free(st);

    st = s_new("{\"boolean\": {\"true\": [\"A\", \"Active\"], \"false\": "
               "[\"T\", \"Terminated\"]}}",
               TF_VALUE);
    T_STREQ(s_apply(st, "a"), "true");
    T_STREQ(s_apply(st, "ACTIVE"), "true");
    T_STREQ(s_apply(st, "Terminated"), "false");
    T_STREQ(s_apply(st, "yes"), "<reject: 'yes' is not a true or false word>");
    s_free(st);

    st = s_new("{\"boolean\": {\"true\": \"Y\", \"false\": \"N\", \"case\": "
               "\"sensitive\"}}",
               TF_VALUE);
    T_STREQ(s_apply(st, "Y"), "true");
    T_STREQ(s_apply(st, "N"), "false");
    T_STREQ(s_apply(st, "y"), "<reject: 'y' is not a true or false word>");
    s_free(st);
    /* only true given: false keeps its defaults */
    T_STREQ(s_once("{\"boolean\": {\"true\": [\"on\"]}}", "no"), "false");
    T_STREQ(s_once("{\"boolean\": {\"true\": [\"on\"]}}", "yes"),
            "<reject: 'yes' is not a true or false word>");
    T_STREQ(s_once("{\"boolean\": {\"case\": \"insensitive\"}}", "YES"),
            "true");

    T_STREQ(s_fail("{\"boolean\": {\"true\": [\"x\"], \"false\": [\"X\"]}}",
                   TF_VALUE),
            "fields[0].stages[0].boolean.true: 'x' is both a true and a "
            "false word");
    T_STREQ(s_fail("{\"boolean\": {\"false\": [\"yes\"]}}", TF_VALUE),
            "fields[0].stages[0].boolean.false: 'yes' is both a true and a "
            "false word");
    T_STREQ(s_fail("{\"boolean\": {\"case\": \"lower\"}}", TF_VALUE),
            "fields[0].stages[0].boolean.case: 'lower' is not \"sensitive\" "
            "or \"insensitive\"");
    T_STREQ(s_fail("{\"boolean\": {\"true\": 1}}", TF_VALUE),
            "fields[0].stages[0].boolean.true: expected an array of strings");
}

TEST_LIST = {
    {"number_basic", test_number_basic},
    {"number_options", test_number_options},
    {"number_init_errors", test_number_init_errors},
    {"boolean", test_boolean},
    {NULL, NULL},
};
