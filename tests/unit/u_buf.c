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

/* fit gives back the spare room and keeps the contents; appending after
 * it still works; an empty buffer stays empty */
static void test_fit(void)
{
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    isl_buf_fit(&b);
    T_CHECK(b.data == NULL);
    for (int i = 0; i < 1000; i++)
        T_INTEQ(isl_buf_addc(&b, (char)('a' + i % 26)), 0);
    T_CHECK(b.alloc > b.len + 1);
    isl_buf_fit(&b);
    T_INTEQ(b.alloc, 1001);
    T_INTEQ(b.len, 1000);
    T_CHECK(b.data[999] == 'a' + 999 % 26 && b.data[1000] == '\0');
    T_INTEQ(isl_buf_adds(&b, "xyz"), 0);
    T_INTEQ(b.len, 1003);
    T_STREQ(b.data + 1000, "xyz");
    isl_buf_free(&b);
}

TEST_LIST = {
    {"grow_and_cap", test_grow_and_cap},
    {"large", test_large},
    {"fit", test_fit},
    {NULL, NULL},
};
