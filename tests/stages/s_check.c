/*
 * s_check.c: tests of the checking stages: pattern, length, enum, email
 * and phone.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <string.h>

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_pattern(void)
{
    struct tf_stage *st = s_new("{\"pattern\": \"^E[0-9]{7}$\"}", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "E0000012", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_INTEQ(s_value(st, "E12", &out), TF_REJECT);
    T_STREQ(s_err.msg, "'E12' does not match ^E[0-9]{7}$");
    T_STREQ(s_err.rule, "pattern");
    T_STREQ(s_err.field, "u_col");
    T_INTEQ(s_err.code, ISL_EROW);
    T_STREQ(s_apply(st, "e0000012"),
            "<reject: 'e0000012' does not match ^E[0-9]{7}$>");
    s_free(st);
    /* unanchored matches anywhere */
    T_STREQ(s_once("{\"pattern\": \"[0-9]\"}", "ab1"), "ab1");
    /* long values are cut in the message, control characters hidden */
    T_STREQ(s_once("{\"pattern\": \"^x$\"}", "a\nb"),
            "<reject: 'a?b' does not match ^x$>");
    {
        char big[200];

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        T_CHECK(strstr(s_once("{\"pattern\": \"^x$\"}", big),
                       "aaa...' does not match") != NULL);
    }
    T_CHECK(starts(s_fail("{\"pattern\": \"(\"}", TF_VALUE),
                   "fields[0].stages[0].pattern: bad regular expression "
                   "'(': "));
}

static void test_length(void)
{
    struct tf_stage *st =
        s_new("{\"length\": {\"min\": 2, \"max\": 4}}", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "ab", &out), TF_PASS);
    T_INTEQ(s_value(st, "abcd", &out), TF_PASS);
    T_INTEQ(s_value(st, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", &out), TF_PASS);
    T_STREQ(s_apply(st, "abcde"),
            "<reject: 'abcde' has 5 characters, more than 4>");
    T_STREQ(s_err.rule, "length");
    T_STREQ(s_apply(st, "a"), "<reject: 'a' has 1 character, fewer than 2>");
    T_STREQ(s_apply(st, ""),
            "<reject: empty value, at least 2 characters are needed>");
    s_free(st);

    /* default: max 40, min 0 */
    st = s_new("\"length\"", TF_VALUE);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_INTEQ(s_value(st, "0123456789012345678901234567890123456789", &out),
            TF_PASS);
    T_INTEQ(s_value(st, "01234567890123456789012345678901234567890", &out),
            TF_REJECT);
    s_free(st);
    T_STREQ(s_once("{\"length\": {\"min\": 1}}", ""),
            "<reject: empty value, at least 1 character is needed>");

    /* truncate cuts at a character boundary */
    st = s_new("{\"length\": {\"max\": 3, \"truncate\": true}}", TF_VALUE);
    T_STREQ(s_apply(st, "abcdef"), "abc");
    T_STREQ(s_apply(st, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"),
            "\xC3\xA9\xC3\xA9\xC3\xA9");
    T_STREQ(s_apply(st, "a\xE2\x82\xAC"
                        "bc"),
            "a\xE2\x82\xAC"
            "b");
    T_INTEQ(s_value(st, "abc", &out), TF_PASS);
    s_free(st);

    T_STREQ(s_fail("{\"length\": {\"min\": -1}}", TF_VALUE),
            "fields[0].stages[0].length.min: must not be negative");
    T_STREQ(s_fail("{\"length\": {\"max\": 0}}", TF_VALUE),
            "fields[0].stages[0].length.max: must be at least 1");
    T_STREQ(s_fail("{\"length\": {\"min\": 5, \"max\": 3}}", TF_VALUE),
            "fields[0].stages[0].length.max: 3 is less than min (5)");
    T_STREQ(s_fail("{\"length\": {\"min\": 50}}", TF_VALUE),
            "fields[0].stages[0].length.max: 40 is less than min (50)");
}

static void test_enum(void)
{
    struct tf_stage *st =
        s_new("{\"enum\": {\"values\": [\"Active\", \"Inactive\"]}}", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "Active", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "active"),
            "<reject: 'active' is not one of Active, Inactive>");
    T_STREQ(s_err.rule, "enum");
    s_free(st);

    st = s_new("{\"enum\": {\"values\": [\"Active\", \"Inactive\"], "
               "\"case\": \"insensitive\"}}",
               TF_VALUE);
    T_STREQ(s_apply(st, "INACTIVE"), "Inactive");
    T_INTEQ(s_value(st, "Active", &out), TF_PASS);
    T_STREQ(s_apply(st, "Activ"),
            "<reject: 'Activ' is not one of Active, Inactive>");
    s_free(st);
    T_STREQ(s_once("{\"enum\": {\"values\": [\"a\"], \"case\": "
                   "\"sensitive\"}}",
                   "A"),
            "<reject: 'A' is not one of a>");
    T_STREQ(s_fail("{\"enum\": {\"values\": [\"a\"], \"case\": \"upper\"}}",
                   TF_VALUE),
            "fields[0].stages[0].enum.case: 'upper' is not \"sensitive\" or "
            "\"insensitive\"");
    /* a long list is cut in messages */
    {
        char json[2000] = "{\"enum\": {\"values\": [";
        size_t n = strlen(json);

        for (int i = 0; i < 60; i++)
            n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"value%02d\"",
                                  i ? "," : "", i);
        snprintf(json + n, sizeof(json) - n, "]}}");
        T_CHECK(strstr(s_once(json, "x"), ", ...>") != NULL);
        T_STREQ(s_once(json, "value59"), "value59");
    }
}

static void test_email(void)
{
    struct tf_stage *st = s_new("\"email\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "ada.lovelace@example.com", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "Ada.Lovelace@Example.COM"),
            "Ada.Lovelace@example.com");
    T_STREQ(s_apply(st, "a+tag@sub.example.co.uk"), "a+tag@sub.example.co.uk");
    T_STREQ(s_apply(st, "ada"),
            "<reject: 'ada' is not an e-mail address (no @)>");
    T_STREQ(s_err.rule, "email");
    T_STREQ(s_apply(st, "a@b@example.com"),
            "<reject: 'a@b@example.com' is not an e-mail address (more than "
            "one @)>");
    T_STREQ(s_apply(st, "@example.com"),
            "<reject: '@example.com' is not an e-mail address (nothing "
            "before the @)>");
    T_STREQ(s_apply(st, "ada@"),
            "<reject: 'ada@' is not an e-mail address (nothing after the "
            "@)>");
    T_STREQ(s_apply(st, "ada@localhost"),
            "<reject: 'ada@localhost' is not an e-mail address (no dot in "
            "the domain)>");
    T_STREQ(s_apply(st, "ada lovelace@example.com"),
            "<reject: 'ada lovelace@example.com' is not an e-mail address "
            "(a space or a character not allowed in an address)>");
    T_STREQ(s_apply(st, "ada..l@example.com"),
            "<reject: 'ada..l@example.com' is not an e-mail address (two "
            "dots in a row)>");
    T_STREQ(s_apply(st, ".ada@example.com"),
            "<reject: '.ada@example.com' is not an e-mail address (a dot at "
            "the start or end of the local part)>");
    T_STREQ(s_apply(st, "ada@example..com"),
            "<reject: 'ada@example..com' is not an e-mail address (an empty "
            "label in the domain)>");
    T_STREQ(s_apply(st, "ada@-example.com"),
            "<reject: 'ada@-example.com' is not an e-mail address (a domain "
            "label starting or ending with a hyphen)>");
    T_STREQ(s_apply(st, "ada@exa_mple.com"),
            "<reject: 'ada@exa_mple.com' is not an e-mail address (a "
            "character not allowed in a domain)>");
    T_STREQ(s_apply(st, "ada@example.com "),
            "<reject: 'ada@example.com ' is not an e-mail address (a "
            "character not allowed in a domain)>");
    s_free(st);
}

static void test_phone(void)
{
    struct tf_stage *st = s_new("\"phone\"", TF_VALUE);
    const char *out;

    T_STREQ(s_apply(st, "(415) 555-0100"), "+14155550100");
    T_STREQ(s_apply(st, "1-415-555-0100"), "+14155550100");
    T_STREQ(s_apply(st, "415.555.0100"), "+14155550100");
    T_STREQ(s_apply(st, "+44 20 7946 0958"), "+442079460958");
    T_STREQ(s_apply(st, "0044 20 7946 0958"), "+442079460958");
    T_STREQ(s_apply(st, "011 44 20 7946 0958"), "+442079460958");
    T_INTEQ(s_value(st, "+14155550100", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "555-0100"),
            "<reject: '555-0100' is not a 10-digit North American number>");
    T_STREQ(s_err.rule, "phone");
    T_STREQ(s_apply(st, "+44 123"),
            "<reject: '+44 123' has 5 digits with the country code; a "
            "phone number has 7 to 15>");
    T_STREQ(s_apply(st, "+1234567890123456"),
            "<reject: '+1234567890123456' has 16 digits with the country "
            "code; a phone number has 7 to 15>");
    T_STREQ(s_apply(st, "415 555 0100 x12"),
            "<reject: '415 555 0100 x12' is not a phone number>");
    T_STREQ(s_apply(st, "415+5550100"),
            "<reject: '415+5550100' is not a phone number>");
    T_STREQ(s_apply(st, "+0 123 4567"),
            "<reject: '+0 123 4567': a country code cannot start with 0>");
    s_free(st);

    st = s_new("{\"phone\": {\"country\": \"44\"}}", TF_VALUE);
    T_STREQ(s_apply(st, "020 7946 0958"), "+442079460958");
    T_STREQ(s_apply(st, "+1 415 555 0100"), "+14155550100");
    T_STREQ(s_apply(st, "00 33 1 23 45 67 89"), "+33123456789");
    s_free(st);
    T_STREQ(s_once("{\"phone\": {\"country\": \"+49\"}}", "030 123456"),
            "+4930123456");
    T_STREQ(s_fail("{\"phone\": {\"country\": \"1234\"}}", TF_VALUE),
            "fields[0].stages[0].phone.country: '1234' is not a country "
            "calling code (1-3 digits, e.g. \"44\")");
    T_STREQ(s_fail("{\"phone\": {\"country\": \"0\"}}", TF_VALUE),
            "fields[0].stages[0].phone.country: '0' is not a country "
            "calling code (1-3 digits, e.g. \"44\")");
}

TEST_LIST = {
    {"pattern", test_pattern}, {"length", test_length}, {"enum", test_enum},
    {"email", test_email},     {"phone", test_phone},   {NULL, NULL},
};
