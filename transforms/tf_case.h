/*
 * tf_case.h: the case-changing core shared by lower, upper and title.
 */
#ifndef TF_CASE_H
#define TF_CASE_H

#include "isl_setup.h"
#include "tf_stage.h"

enum tf_case_mode { TF_CASE_LOWER, TF_CASE_UPPER, TF_CASE_TITLE };

/*
 * Copy in[0..len) to out changing the case of ASCII and Latin-1 letters
 * (other bytes are copied as they are). Title case: a letter that starts a
 * word (follows a byte that is not a letter, digit, apostrophe or
 * non-ASCII byte) is upper case, the rest lower case. Returns TF_PASS when
 * nothing changed, TF_CHANGED, or TF_REJECT when out cannot hold it.
 */
int tf_case_change(const struct tf_stage *st, const char *in, size_t len,
                   struct isl_buf *out, enum tf_case_mode mode,
                   struct isl_error *err);

#endif
