/*
 * isl_metrics.h: a load run's figures as a Prometheus text file
 * (`isload load --metrics FILE`), for node_exporter's textfile collector.
 *
 * The figures come from the run's report, so they are the report's. The
 * file is replaced atomically (FILE.tmp in the same directory, fsync,
 * rename), so the collector never reads half of it. A failed run (exit 2
 * or 3) carries the last success time over from the file it replaces or
 * from the run history, so "no success for a day" can be alerted on.
 * The format is docs/operations.md "Monitoring and alerting".
 */
#ifndef ISL_METRICS_H
#define ISL_METRICS_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_buf;
struct isl_error;

struct isl_metrics_count {
    const char *name; /* an outcome ("read") or a status ("200") */
    uint64_t n;
};

/* What the file holds; strings are borrowed. */
struct isl_metrics {
    const char *feed;
    const char *shard; /* "K/N", or NULL / "" when the run is not sharded */
    const struct isl_metrics_count *rows; /* by outcome; may be none */
    size_t nrows;
    bool has_duration;
    double duration_s;
    const struct isl_metrics_count *requests; /* by status */
    size_t nrequests;
    bool has_retries;
    uint64_t retries;
    int exit_code;
    double run_time;     /* end of this run, seconds since the epoch */
    double last_success; /* end of the last run exiting 0 or 1; 0: none */
};

/*
 * Append the metrics in the text exposition format (# HELP and # TYPE for
 * every family, label values escaped) to out. Returns 0 or ISL_ENOMEM /
 * ISL_ELIMIT.
 */
int isl_metrics_format(struct isl_buf *out, const struct isl_metrics *m);

/*
 * The isload_last_success_timestamp_seconds value for feed and shard in
 * the metrics file at path; 0 when the file or the line is not there.
 */
double isl_metrics_read_last_success(const char *path, const char *feed,
                                     const char *shard);

/*
 * Replace path with len bytes of data atomically: path.tmp is written,
 * fsync'd and renamed over path, then the directory is fsync'd. Nothing
 * is left behind on failure. Returns 0 or ISL_EIO.
 */
int isl_metrics_write_file(const char *path, const char *data, size_t len,
                           struct isl_error *err);

/*
 * Write the metrics of a load run to path: feed, the run's report (a
 * document as isl_report_json makes it; NULL when the run stopped before
 * it had one), its exit code, and the state directory (for the last
 * success when this run failed). Returns 0 or ISL_EIO / ISL_ENOMEM.
 */
int isl_metrics_write_run(const char *path, const char *feed,
                          const json_t *report, int exit_code,
                          const char *state_dir, struct isl_error *err);

#endif
