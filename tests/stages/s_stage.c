/*
 * s_stage.c: tests of the stage framework: the registry (every stage has a
 * name, summary and help on every option) and tf_stage_new's checks of
 * names, kinds and options, with the JSON paths in its messages.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <string.h>

static void test_registry(void)
{
    const struct tf_stage_type *const *all = tf_registry_all();
    size_t n = 0;

    for (; all[n]; n++) {
        const struct tf_stage_type *t = all[n];
        size_t nopt = 0;

        T_CHECK(t->name && t->name[0]);
        T_CHECK(t->summary && t->summary[0]);
        T_CHECK(t->options != NULL);
        T_CHECK(tf_registry_find(t->name) == t);
        T_CHECK(t->kind == TF_VALUE ? t->value != NULL : t->row != NULL);
        if (t->kind == TF_VALUE)
            T_CHECK(t->finish == NULL && t->row == NULL);
        for (; t->options && t->options[nopt].help; nopt++) {
            const struct tf_option *o = &t->options[nopt];

            T_CHECK(o->help[0] != '\0');
            T_CHECK(o->offset < t->ctx_size);
            /* a bare-value option is the only one */
            if (!o->name)
                T_CHECK(nopt == 0);
        }
        if (nopt > 1)
            for (size_t i = 0; i < nopt; i++)
                T_CHECK(t->options[i].name != NULL);
        for (size_t k = 0; k < n; k++)
            T_CHECK(strcmp(all[k]->name, t->name) != 0);
    }
    T_INTEQ(n, 21);
    T_CHECK(tf_registry_find("nope") == NULL);
    T_CHECK(tf_registry_find("trim") != NULL);
}

static void test_spec_shape(void)
{
    T_STREQ(s_fail("42", TF_VALUE),
            "fields[0].stages[0]: expected a stage name or an object with "
            "one key, the stage name");
    T_STREQ(s_fail("{\"trim\": null, \"upper\": null}", TF_VALUE),
            "fields[0].stages[0]: expected a stage name or an object with "
            "one key, the stage name");
    T_STREQ(s_fail("{}", TF_VALUE),
            "fields[0].stages[0]: expected a stage name or an object with "
            "one key, the stage name");
    T_STREQ(s_fail("\"tirm\"", TF_VALUE),
            "fields[0].stages[0]: unknown stage 'tirm'");
    T_INTEQ(s_err.code, ISL_ECONFIG);
    T_STREQ(s_err.rule, "feed");
}

static void test_kind(void)
{
    T_STREQ(s_fail("{\"unique\": {\"columns\": [\"a\"]}}", TF_VALUE),
            "fields[0].stages[0].unique: 'unique' is a row stage: put it in "
            "row_stages");
    T_STREQ(s_fail("\"trim\"", TF_ROW),
            "row_stages[0].trim: 'trim' is a value stage: put it in a "
            "field's stages");
}

static void test_no_options(void)
{
    struct tf_stage *st;

    T_STREQ(s_fail("{\"trim\": {}}", TF_VALUE),
            "fields[0].stages[0].trim: 'trim' takes no options; write "
            "\"trim\"");
    T_STREQ(s_fail("{\"upper\": true}", TF_VALUE),
            "fields[0].stages[0].upper: 'upper' takes no options; write "
            "\"upper\"");
    st = s_new("\"trim\"", TF_VALUE);
    T_CHECK(st != NULL);
    if (st) {
        T_STREQ(st->column, "u_col");
        T_CHECK(!st->deferred);
        s_free(st);
    }
}

static void test_option_checks(void)
{
    T_STREQ(s_fail("{\"length\": 5}", TF_VALUE),
            "fields[0].stages[0].length: expected an object of options "
            "(min, max, truncate)");
    T_STREQ(s_fail("{\"length\": {\"maxx\": 3}}", TF_VALUE),
            "fields[0].stages[0].length.maxx: unknown option (expected one "
            "of min, max, truncate)");
    T_STREQ(s_fail("{\"length\": {\"max\": \"3\"}}", TF_VALUE),
            "fields[0].stages[0].length.max: expected an integer");
    T_STREQ(s_fail("{\"length\": {\"max\": 3.5}}", TF_VALUE),
            "fields[0].stages[0].length.max: expected an integer");
    T_STREQ(s_fail("{\"length\": {\"truncate\": 1}}", TF_VALUE),
            "fields[0].stages[0].length.truncate: expected true or false");
    T_STREQ(s_fail("{\"date\": {\"from\": [1]}}", TF_VALUE),
            "fields[0].stages[0].date.from: expected an array of strings");
    T_STREQ(s_fail("{\"date\": {\"from\": []}}", TF_VALUE),
            "fields[0].stages[0].date.from: expected an array of strings");
    T_STREQ(s_fail("{\"number\": {\"min\": \"0\"}}", TF_VALUE),
            "fields[0].stages[0].number.min: expected a number");
    T_STREQ(s_fail("{\"map\": {\"values\": []}}", TF_VALUE),
            "fields[0].stages[0].map.values: expected an object");
    T_STREQ(s_fail("{\"enum\": {}}", TF_VALUE),
            "fields[0].stages[0].enum.values: missing required option");
    T_STREQ(s_fail("\"enum\"", TF_VALUE),
            "fields[0].stages[0].enum.values: missing required option");
    T_STREQ(s_fail("\"pattern\"", TF_VALUE),
            "fields[0].stages[0].pattern: needs a value: {\"pattern\": "
            "\"...\"}");
    T_STREQ(s_fail("{\"pattern\": 5}", TF_VALUE),
            "fields[0].stages[0].pattern: expected a string");
    T_STREQ(s_fail("{\"pattern\": {\"re\": \"x\"}}", TF_VALUE),
            "fields[0].stages[0].pattern: expected a string");
    T_INTEQ(s_err.code, ISL_ECONFIG);
    T_STREQ(s_err.rule, "feed");
}

static void test_init_error_path(void)
{
    T_STREQ(s_fail("{\"date\": {\"from\": [\"%F\", \"%Q\"]}}", TF_VALUE),
            "fields[0].stages[0].date.from[1]: unknown directive %Q in "
            "'%Q'");
    {
        const char *want = "fields[0].stages[0].pattern: bad regular "
                           "expression '^E[0-9': ";

        T_CHECK(strncmp(s_fail("{\"pattern\": \"^E[0-9\"}", TF_VALUE), want,
                        strlen(want)) == 0);
    }
    T_STREQ(s_err.rule, "feed");
    T_INTEQ(s_err.code, ISL_ECONFIG);
}

static void test_string_list_single(void)
{
    /* a string list option also takes one string */
    T_STREQ(s_once("{\"enum\": {\"values\": \"A\"}}", "A"), "A");
    T_STREQ(s_once("{\"enum\": {\"values\": \"A\"}}", "B"),
            "<reject: 'B' is not one of A>");
}

static void test_deferred(void)
{
    struct tf_stage *a = s_new("\"unique\"", TF_ROW);
    struct tf_stage *b =
        s_new("{\"unique\": {\"columns\": \"k\", \"keep\": \"last\"}}", TF_ROW);
    struct tf_stage *c = s_new("{\"unique\": {\"columns\": \"k\"}}", TF_ROW);
    struct tf_stage *d =
        s_new("{\"reference\": {\"column\": \"m\", \"to\": \"k\"}}", TF_ROW);

    T_CHECK(a == NULL); /* columns is required */
    T_CHECK(b && b->deferred);
    T_CHECK(c && !c->deferred);
    T_CHECK(d && d->deferred);
    T_CHECK(c && c->column == NULL);
    s_free(b);
    s_free(c);
    s_free(d);
}

TEST_LIST = {
    {"registry", test_registry},
    {"spec_shape", test_spec_shape},
    {"kind", test_kind},
    {"no_options", test_no_options},
    {"option_checks", test_option_checks},
    {"init_error_path", test_init_error_path},
    {"string_list_single", test_string_list_single},
    {"deferred", test_deferred},
    {NULL, NULL},
};
