/*
 * isl_sha256.h: SHA-256 of a file's bytes (libcrypto), for the run
 * journal: a resumed run refuses inputs or a feed that changed since.
 */
#ifndef ISL_SHA256_H
#define ISL_SHA256_H

#include "isl_setup.h"

struct isl_error;

/* Hash the file at path into hex (65 bytes, lower case) and its size. */
int isl_sha256_file(const char *path, char hex[65], uint64_t *size,
                    struct isl_error *err);

#endif
