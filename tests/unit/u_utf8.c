/* u_utf8.c: UTF-8 validation against RFC 3629's edge cases. */
#include "isl_setup.h"
#include "t.h"
#include "isl_utf8.h"

#define VALID(s) T_INTEQ(isl_utf8_valid_prefix(s, sizeof(s) - 1), sizeof(s) - 1)
#define BAD_AT(s, at) T_INTEQ(isl_utf8_valid_prefix(s, sizeof(s) - 1), at)

static void test_valid(void)
{
    VALID("");
    VALID("plain ascii text longer than eight bytes");
    VALID("Ren\xc3\xa9");
    VALID("\xe2\x82\xac euro");
    VALID("\xf0\x9f\x98\x80 emoji");
    VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void test_invalid(void)
{
    BAD_AT("abc\xff", 3);
    BAD_AT("\xc0\xaf", 0);         /* overlong '/' */
    BAD_AT("\xe0\x80\xaf", 0);     /* overlong */
    BAD_AT("ab\xed\xa0\x80", 2);   /* surrogate */
    BAD_AT("\xf4\x90\x80\x80", 0); /* past U+10FFFF */
    BAD_AT("12345678\xc3", 8);     /* truncated at the end */
    BAD_AT("\xe2\x82x", 0);        /* bad continuation */
}

TEST_LIST = {
    {"valid", test_valid},
    {"invalid", test_invalid},
    {NULL, NULL},
};
