/*
 * isl_run.h: one load run's record on disk: its id and folder under the
 * state directory, the lock that keeps two runs of a feed apart, the
 * journal that makes it resumable, the rollback manifest, and run.json
 * (what `isload runs` lists). Every outcome of the run passes through
 * here, so the report, the journal and the manifest always agree.
 *
 *   STATE_DIR/.lock-FEED         flock'd while a run of FEED is going
 *                                (.lock-FEED.K-of-N for shard K of N)
 *   STATE_DIR/state.db           the delta store (isl_state.h)
 *   STATE_DIR/RUN_ID/run.json    feed, times, status, counts, paths
 *                    journal.jsonl.gz  (isl_journal.h)
 *                    manifest.jsonl.gz (isl_manifest.h; or --manifest)
 *                    report.json, rejects.*, requests.jsonl
 *
 * A resumed run keeps its id and folder: the journal's recorded outcomes
 * are replayed into the report, rows it shows in flight are reconciled
 * by correlation before anything is resent, and the manifest goes on.
 */
#ifndef ISL_RUN_H
#define ISL_RUN_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_error;
struct isl_feed;
struct isl_http;
struct isl_outcome;
struct isl_report;
struct isl_row;
struct isl_run;
struct isl_verdict;

struct isl_run_opts {
    const char *state_dir;
    const char *feed_file;
    const struct isl_feed *feed;
    const char *const *inputs;
    size_t ninputs;
    const char *instance;
    const char *mode;     /* "multiple" or "single" */
    const char *corr_col; /* correlation column */
    bool labels;          /* --keys label */
    const char *manifest; /* path, or NULL for RUN_DIR/manifest.jsonl.gz */
    bool no_manifest;
    bool resume;           /* --resume */
    const char *resume_id; /* --resume RUN_ID, or NULL: the latest */
    bool quiet;
    enum isl_run_delta { ISL_DELTA_OFF, ISL_DELTA_ON, ISL_DELTA_FULL } delta;
    unsigned shard_index, shard_count; /* count 0: not sharded */
};

/*
 * Start a run, or resume one. With resume, the interrupted run is found
 * (resume_id, or the latest unfinished run of the feed), checked against
 * the inputs and feed (refused with the reason if they changed), and its
 * recorded outcomes replayed into report. With no interrupted run to
 * resume, a fresh run starts and a line on stderr says so.
 * Returns 0, or ISL_ECONFIG (refused: locked, changed inputs, stdin) or
 * ISL_EIO.
 */
int isl_run_open(struct isl_run **out, const struct isl_run_opts *o,
                 struct isl_report *report, struct isl_error *err);

const char *isl_run_id(const struct isl_run *r);
const char *isl_run_dir(const struct isl_run *r);
bool isl_run_resumed(const struct isl_run *r);
int isl_run_attempt(const struct isl_run *r); /* 1, 2, ... */
bool isl_run_has_manifest(const struct isl_run *r);
const char *isl_run_manifest_path(const struct isl_run *r);

/* Records the manifest holds (0 without one). */
void isl_run_manifest_counts(const struct isl_run *r, uint64_t *inserts,
                             uint64_t *updates);

/* Rows whose outcomes came from an earlier attempt. */
uint64_t isl_run_replayed(const struct isl_run *r);

enum isl_run_row {
    ISL_RUN_ROW_NEW,       /* send it */
    ISL_RUN_ROW_DONE,      /* its outcome is recorded */
    ISL_RUN_ROW_INFLIGHT,  /* sent by an earlier attempt, outcome unknown */
    ISL_RUN_ROW_UNCHANGED, /* --delta: the instance already has it */
    ISL_RUN_ROW_ERROR,     /* the delta store could not be written */
};

/*
 * Does this verdict's row belong to the run's shard (always, unsharded)?
 * Accepted and rejected rows go by the hash of their key (the staging
 * values of the key columns), rows the reader could not read by their
 * file and line.
 */
bool isl_run_mine(struct isl_run *r, const struct isl_verdict *v);

/*
 * What to do with accepted staging row `out`, number row_no; *before gets
 * its before-image (borrowed) for in-flight rows. With a delta store, its
 * key is recorded as seen and a row to send as sent, with the hash of its
 * staging values; under --delta a row whose hash the store holds is
 * UNCHANGED.
 */
enum isl_run_row isl_run_route(struct isl_run *r, uint64_t row_no,
                               const struct isl_row *out,
                               const json_t **before);

/* A row read but not accepted (rejected, filtered; out may be NULL): its
 * key is in the export, so it is not missing. */
int isl_run_seen(struct isl_run *r, const struct isl_row *out);

/* A deactivation row for key (JSON object text), number row_no: like
 * isl_run_route, without the seen mark or the delta check. */
enum isl_run_row isl_run_route_missing(struct isl_run *r, uint64_t row_no,
                                       const char *key, const json_t **before);

/* With a delta store: the keys of the store (this shard's) the run did not
 * read, as JSON object texts, sorted; *stored gets the store's size. */
int isl_run_missing(struct isl_run *r, json_t **keys, uint64_t *stored,
                    struct isl_error *err);

/* True when the run keeps a delta store (--delta or --full). */
bool isl_run_has_state(const struct isl_run *r);

/* Done rows seen again while re-reading (they must all be). */
uint64_t isl_run_done_seen(const struct isl_run *r);

/* The HTTP layer, for the instance's clock. */
void isl_run_set_http(struct isl_run *r, struct isl_http *http);

/* The loader's sink events. */
int isl_run_outcome(struct isl_run *r, const struct isl_outcome *o);
int isl_run_sent(struct isl_run *r, uint64_t batch, const uint64_t *rows,
                 size_t n, const json_t *before);
int isl_run_acked(struct isl_run *r, uint64_t batch, const char *import_set);
int isl_run_batch_done(struct isl_run *r, uint64_t batch);

/* Paths of the files in the run folder, for the report and run.json. */
void isl_run_set_paths(struct isl_run *r, const char *report,
                       const char *rejects, const char *log);

/*
 * End the run: status is "complete", "aborted" or "threshold", with the
 * exit code; the journal and manifest get their end lines, run.json its
 * final figures (from report), and the lock is released. Always frees r.
 */
int isl_run_close(struct isl_run *r, const char *status, int exit_code,
                  struct isl_report *report, struct isl_error *err);

#endif
