/*
 * isl_report_scan.h: read a JSON report without holding all of it.
 *
 * A load report holds every rejected row's errors and every error row,
 * so it can be hundreds of megabytes; `isload runs show` wants its head
 * and first errors, `isload report merge` its head and then its errors
 * one by one. The scanner reads the top-level object member by member:
 * the members named as streamed (e.g. "errors", "error_rows") must be
 * arrays and are handed to a callback one element at a time; every other
 * member is parsed into the head. Memory: the head plus one element.
 */
#ifndef ISL_REPORT_SCAN_H
#define ISL_REPORT_SCAN_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_error;

/*
 * Called for each element of a streamed array: key is the array's name,
 * elem the element (borrowed: freed after the call), index 0-based.
 * Return 0 to go on, or a negative ISL_E* code to stop with it.
 */
typedef int (*isl_report_scan_fn)(void *payload, const char *key,
                                  const json_t *elem, size_t index);

/*
 * Read path (a JSON object). streamed is a NULL-terminated list of member
 * names (NULL for none); their elements go to fn (may be NULL: they are
 * still parsed, so a bad element is an error). *head (may be NULL) gets
 * every other member, owned by the caller.
 * Returns 0, the callback's code, or ISL_EIO (cannot read) / ISL_EPARSE
 * (not JSON, or a streamed member that is not an array), err naming the
 * file and byte offset.
 */
int isl_report_scan(const char *path, const char *const *streamed,
                    isl_report_scan_fn fn, void *payload, json_t **head,
                    struct isl_error *err);

#endif
