/*
 * isl_report_merge.h: one report from the reports of the shards of a
 * sharded load (`isload report merge`).
 *
 * Every shard reads every row and counts the rows of the other shards as
 * rows_other_shards, so a shard's report keeps
 *   rows_read = rows_rejected + rows_filtered + rows_unchanged
 *             + rows_other_shards + (rows_sent - rows_deactivated)
 *             + rows_not_sent
 * and the merge takes rows_read once and sums the rest: each row must be
 * counted by exactly one shard. The rules for each report field are in
 * docs/operations.md "Shards: merging reports". Reports are read with
 * isl_report_scan, so their errors are streamed, never all in memory.
 */
#ifndef ISL_REPORT_MERGE_H
#define ISL_REPORT_MERGE_H

#include "isl_setup.h"

#include <stdio.h>

struct isl_error;

enum isl_merge_result {
    ISL_MERGE_OK = 0,     /* merged; no rejected or error rows */
    ISL_MERGE_ROWS = 1,   /* merged; some rows rejected or in error */
    ISL_MERGE_FAILED = 2, /* merged, but the counts do not add up (err says
                             by how much), or a shard was aborted, passed
                             its error threshold or refused to deactivate */
};

/*
 * Merge the n reports at paths into out (JSON, the layout of a load
 * report; warnings, such as fields that differ between shards and are
 * left out, go to warn). Nothing is written to out when the reports are
 * refused.
 * Returns an enum isl_merge_result, or ISL_ECONFIG (refused: not the
 * shards of one load, err says why), ISL_EIO / ISL_EPARSE (a report
 * cannot be read) or ISL_ENOMEM.
 */
int isl_report_merge(const char *const *paths, size_t n, FILE *out, FILE *warn,
                     struct isl_error *err);

#endif
