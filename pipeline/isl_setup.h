/*
 * isl_setup.h: included first by every isload .c file.
 *
 * Sets the feature macros the code relies on (POSIX.1-2008 for getline,
 * strndup, iconv and friends) and pulls in the few headers every file uses.
 */
#ifndef ISL_SETUP_H
#define ISL_SETUP_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISL_VERSION "0.1.0"

#define ISL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
