/*
 * isl_jsonl.h: JSON Lines files that survive a crash: the run journal and
 * the rollback manifest are written through this.
 *
 * A file is gzip'd when its name ends in ".gz", plain otherwise. Writers
 * append one line at a time and flush at the points the caller chooses
 * (isl_jsonl_flush: the bytes reach the kernel, so a kill -9 loses
 * nothing flushed; isl_jsonl_sync also asks the disk, for records that
 * must outlive a power cut). A process that dies mid-write leaves a torn
 * last line, or a gzip stream without its trailer; readers take every
 * complete line and report the tear, and isl_jsonl_reopen repairs the file
 * (rewriting its complete lines) before appending to it again.
 */
#ifndef ISL_JSONL_H
#define ISL_JSONL_H

#include "isl_setup.h"

struct isl_error;
struct isl_jsonl;

/* Called for each complete line (without its newline, NUL-terminated).
 * lineno is 1-based. Return 0 to go on, > 0 to stop reading (the reader
 * returns it), < 0 to stop with that error code. */
typedef int (*isl_jsonl_line_fn)(void *payload, char *line, size_t len,
                                 uint64_t lineno);

/*
 * Read every complete line of path. *torn (may be NULL) is set when the
 * file ends in a partial line or a truncated gzip stream: what a crash
 * leaves. Returns 0, the callback's nonzero code, or ISL_EIO.
 */
int isl_jsonl_read(const char *path, isl_jsonl_line_fn fn, void *payload,
                   bool *torn, struct isl_error *err);

/* Create (or truncate) path for writing. */
int isl_jsonl_create(struct isl_jsonl **out, const char *path,
                     struct isl_error *err);

/*
 * Open an existing path to append to it: its complete lines are passed to
 * fn (may be NULL), then rewritten through a temporary file that replaces
 * path, so a torn tail is dropped and appends land after whole lines.
 */
int isl_jsonl_reopen(struct isl_jsonl **out, const char *path,
                     isl_jsonl_line_fn fn, void *payload,
                     struct isl_error *err);

/* Append one line (a newline is added). Returns 0 or ISL_EIO. */
int isl_jsonl_write(struct isl_jsonl *j, const char *line, size_t len);

/* Push what was written to the kernel (survives the process). */
int isl_jsonl_flush(struct isl_jsonl *j);

/* Flush, then fdatasync (survives the machine). */
int isl_jsonl_sync(struct isl_jsonl *j);

/* Flush and close; *j is freed. Returns 0 or ISL_EIO. NULL is a no-op. */
int isl_jsonl_close(struct isl_jsonl *j, struct isl_error *err);

/* The path it writes. */
const char *isl_jsonl_path(const struct isl_jsonl *j);

#endif
