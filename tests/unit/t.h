/*
 * t.h: a tiny single-header test harness (after acutest).
 *
 * Each unit test file defines test functions and a TEST_LIST:
 *
 *     static void test_x(void) { T_CHECK(1 + 1 == 2); }
 *     TEST_LIST = {{"x", test_x}, {NULL, NULL}};
 *
 * Running the executable runs every test (or the one named in argv[1])
 * and prints "N passed, N failed"; it exits non-zero when any check fails.
 */
#ifndef T_H
#define T_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t_test {
    const char *name;
    void (*fn)(void);
};

static int t_failures_;

#define T_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            t_failures_++;                                                     \
        }                                                                      \
    } while (0)

#define T_STREQ(a, b)                                                          \
    do {                                                                       \
        const char *t_a_ = (a), *t_b_ = (b);                                   \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                       \
            fprintf(stderr, "  %s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, \
                    __LINE__, #a, #b, t_a_ ? t_a_ : "(null)",                  \
                    t_b_ ? t_b_ : "(null)");                                   \
            t_failures_++;                                                     \
        }                                                                      \
    } while (0)

#define T_INTEQ(a, b)                                                          \
    do {                                                                       \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                \
        if (t_a_ != t_b_) {                                                    \
            fprintf(stderr, "  %s:%d: %s == %s: %lld != %lld\n", __FILE__,     \
                    __LINE__, #a, #b, t_a_, t_b_);                             \
            t_failures_++;                                                     \
        }                                                                      \
    } while (0)

extern const struct t_test t_list_[];
#define TEST_LIST const struct t_test t_list_[]

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    for (const struct t_test *t = t_list_; t->name; t++) {
        int before = t_failures_;

        if (argc > 1 && strcmp(argv[1], t->name) != 0)
            continue;
        t->fn();
        if (t_failures_ == before) {
            passed++;
            printf("ok   %s\n", t->name);
        } else {
            failed++;
            printf("FAIL %s\n", t->name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
