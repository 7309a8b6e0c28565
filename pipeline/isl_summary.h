/*
 * isl_summary.h: the one line `isload load` ends with on stderr, for
 * schedulers and log searches (printed with -q too):
 *
 *   isload: run ID feed NAME exit 1: read 40, rejected 8, sent 32
 *   (inserted 32, updated 0, ignored 0, skipped 0, error 0), 1.2 s
 *
 * (one line), with the reason after "; " when the run did not finish
 * normally. The format is in docs/operations.md "Run history".
 */
#ifndef ISL_SUMMARY_H
#define ISL_SUMMARY_H

#include "isl_setup.h"

#include <jansson.h>
#include <stdio.h>

struct isl_buf;

/*
 * Append the line (with its newline) for run run_id of feed to out: the
 * counts of report (a report document as isl_report_json makes it; NULL
 * when there is none), the exit code, and reason (NULL or "" for none).
 * Counts that are 0 and mean nothing for most runs (filtered, unchanged,
 * not sent, ...) are left out, and all counts when the run neither read
 * nor sent a row (it failed before). Returns 0 or ISL_ENOMEM / ISL_ELIMIT.
 */
int isl_summary_format(struct isl_buf *out, const char *run_id,
                       const char *feed, const json_t *report, int exit_code,
                       const char *reason);

/* Print the line to f (stderr), as isl_summary_format makes it. */
void isl_summary_print(FILE *f, const char *run_id, const char *feed,
                       const json_t *report, int exit_code, const char *reason);

#endif
