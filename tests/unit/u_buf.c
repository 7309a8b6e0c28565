/* u_buf.c: isl_buf growth, the cap, and NUL termination. */
#include "isl_setup.h"
#include "t.h"
#include "isl_buf.h"
#include "isl_error.h"

static void test_grow_and_cap(void)
{
    struct isl_buf b;

    isl_buf_init(&b, 10);
    T_INTEQ(isl_buf_adds(&b, "hello"), 0);
    T_INTEQ(isl_buf_addc(&b, ' '), 0);
    T_INTEQ(isl_buf_addf(&b, "%d", 123), 0);
    T_STREQ(b.data, "hello 123");
    T_INTEQ(b.len, 9);
    T_INTEQ(isl_buf_adds(&b, "xy"), ISL_ELIMIT); /* 11 > 10 */
    T_STREQ(b.data, "hello 123");                /* unchanged */
    T_INTEQ(isl_buf_addc(&b, '!'), 0);           /* exactly 10 */
    T_INTEQ(isl_buf_addc(&b, '!'), ISL_ELIMIT);
    isl_buf_reset(&b);
    T_INTEQ(b.len, 0);
    T_STREQ(b.data, "");
    isl_buf_free(&b);
    isl_buf_free(&b); /* twice is fine */
}

static void test_large(void)
{
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    for (int i = 0; i < 100000; i++)
        T_INTEQ(isl_buf_addc(&b, (char)('a' + i % 26)), 0);
    T_INTEQ(b.len, 100000);
    T_CHECK(b.data[99999] == 'a' + 99999 % 26);
    T_CHECK(b.data[100000] == '\0');
    isl_buf_free(&b);
}

TEST_LIST = {
    {"grow_and_cap", test_grow_and_cap},
    {"large", test_large},
    {NULL, NULL},
};
