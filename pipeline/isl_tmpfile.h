/*
 * isl_tmpfile.h: unlinked temporary files in $TMPDIR (default /tmp), for
 * everything that spills to disk: the key index, the chain's deferred
 * rows, the report's error lists, rollback's spool. tmpfile(3) is not
 * used: glibc's ignores $TMPDIR, and /tmp is often a small tmpfs.
 */
#ifndef ISL_TMPFILE_H
#define ISL_TMPFILE_H

#include "isl_setup.h"

#include <stdio.h>

struct isl_error;

/* A new temporary file, already unlinked, opened read-write and closed on
 * exec. who names the module in the error. Returns the descriptor, or
 * ISL_EIO with err filled (naming the folder and why). */
int isl_tmpfile_fd(const char *who, struct isl_error *err);

/* The same as a stdio stream ("w+b"), or NULL with err filled. */
FILE *isl_tmpfile(const char *who, struct isl_error *err);

#endif
