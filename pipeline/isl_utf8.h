/*
 * isl_utf8.h: UTF-8 validation for values read from input.
 */
#ifndef ISL_UTF8_H
#define ISL_UTF8_H

#include "isl_setup.h"

/*
 * Return the length of the longest valid UTF-8 prefix of s[0..n): n when
 * all of s is valid. Rejects overlong forms, surrogates and code points
 * past U+10FFFF, as RFC 3629 does.
 */
size_t isl_utf8_valid_prefix(const char *s, size_t n);

#endif
