/*
 * s_util.h: helpers for the stage unit tests: build a stage from JSON
 * text, run a value stage on a string, run a row stage on a small row.
 */
#ifndef S_UTIL_H
#define S_UTIL_H

#include "isl_setup.h"
#include "isl_error.h"
#include "tf_stage.h"

/* The error of the last call below (s_new failures, rejections). */
extern struct isl_error s_err;

/*
 * Build a stage from JSON text (kind TF_VALUE uses column "u_col", path
 * "fields[0].stages[0]"; TF_ROW uses no column, path "row_stages[0]").
 * NULL on failure, with s_err filled. Free with s_free.
 */
struct tf_stage *s_new(const char *json, enum tf_kind kind);

/* s_new that must fail: returns s_err.msg ("" if it succeeded). */
const char *s_fail(const char *json, enum tf_kind kind);

void s_free(struct tf_stage *st);

/*
 * Run a value stage on in. Returns the TF_* result; *out is the value
 * after the stage (in for TF_PASS), valid until the next call.
 */
int s_value(struct tf_stage *st, const char *in, const char **out);

/* As s_value, with a row of n columns (for template). */
int s_value_row(struct tf_stage *st, const char *in, const char **cols,
                const char **vals, size_t n, const char **out);

/* The value after the stage, or "<reject: msg>" / "<filter>". */
const char *s_apply(struct tf_stage *st, const char *in);

/* Build, apply, free in one go; "<config: msg>" when building fails. */
const char *s_once(const char *json, const char *in);

/* Run a row stage: cols/vals (n), position file:line, row id. */
int s_row(struct tf_stage *st, const char **cols, const char **vals, size_t n,
          const char *file, uint64_t line, uint64_t row_id);

/* Run finish on a row. */
int s_finish(struct tf_stage *st, const char **cols, const char **vals,
             size_t n, const char *file, uint64_t line, uint64_t row_id);

/* Path of a test data file under ISLOAD_TESTDATA (or ../testdata). */
const char *s_data(const char *rel);

#endif
