/* u_jsonw.c: the escaping JSON writer, checked against exact bytes. */
#include "isl_setup.h"
#include "t.h"
#include "isl_buf.h"
#include "isl_jsonw.h"
#include "isl_row.h"

static void test_escapes(void)
{
    struct isl_buf b;
    const char in[] = "a\"b\\c\n\r\t\x01\x1f\xc3\xa9/";

    isl_buf_init(&b, 1024);
    T_INTEQ(isl_jsonw_string(&b, in, sizeof(in) - 1), 0);
    T_STREQ(b.data, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\xc3\xa9/\"");
    isl_buf_reset(&b);
    T_INTEQ(isl_jsonw_string(&b, "nul\0x", 5), 0);
    T_STREQ(b.data, "\"nul\\u0000x\"");
    isl_buf_free(&b);
}

static void test_row(void)
{
    struct isl_field f[] = {{"id", "1", 1}, {"na\"me", "", 0}};
    struct isl_row row = {.n = 2, .fields = f};
    struct isl_buf b;

    isl_buf_init(&b, 1024);
    T_INTEQ(isl_jsonw_row(&b, &row), 0);
    T_STREQ(b.data, "{\"id\":\"1\",\"na\\\"me\":\"\"}");
    row.n = 0;
    isl_buf_reset(&b);
    T_INTEQ(isl_jsonw_row(&b, &row), 0);
    T_STREQ(b.data, "{}");
    isl_buf_free(&b);
}

TEST_LIST = {
    {"escapes", test_escapes},
    {"row", test_row},
    {NULL, NULL},
};
