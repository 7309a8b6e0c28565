/*
 * isl_runs.h: the run history: reading the run folders that isl_run.h
 * writes under a state directory, for `isload runs` and for the metrics
 * (the last successful run of a feed).
 *
 * A run folder's status is run.json's, except that a run recorded as
 * "running" whose feed lock (STATE_DIR/.lock-FEED, .lock-FEED.K-of-N for
 * a shard) is not held by its process is "interrupted" (killed, or its
 * machine went down): it can be resumed. A folder that cannot be read as
 * a run is "broken", with what is wrong; a readable run can still carry a
 * problem (a missing report). Nothing here writes anything, and locks are
 * only looked at (see isl_runs.c).
 */
#ifndef ISL_RUNS_H
#define ISL_RUNS_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_error;

struct isl_runs_entry {
    char id[256];       /* the folder's name */
    char dir[4096];     /* STATE_DIR/ID */
    json_t *run;        /* run.json, or NULL when it could not be read */
    const char *status; /* run.json's, "interrupted" or "broken" (static) */
    char problem[512];  /* what is wrong, "" when nothing */
    char sort_key[40];  /* started_at, or the time in the id */
};

struct isl_runs {
    struct isl_runs_entry *v; /* newest first */
    size_t n;
};

/*
 * Read every run folder of state_dir (only feed's when feed is not NULL:
 * broken folders whose feed is unknown are then left out), newest first.
 * Returns 0, or ISL_EIO when state_dir cannot be read.
 */
int isl_runs_read(struct isl_runs *out, const char *state_dir, const char *feed,
                  struct isl_error *err);

void isl_runs_free(struct isl_runs *runs);

/*
 * Read one run folder, STATE_DIR/ID. Returns 0 (the entry may be broken),
 * or ISL_ECONFIG when there is no such folder.
 */
int isl_runs_read_one(struct isl_runs_entry *out, const char *state_dir,
                      const char *id, struct isl_error *err);

void isl_runs_entry_free(struct isl_runs_entry *e);

/* A string member of the entry's run.json, or NULL. */
const char *isl_runs_str(const struct isl_runs_entry *e, const char *key);

/*
 * Where a file run.json names (key: "report", "manifest", "rejects",
 * "log", "journal") is now, into buf: the recorded path when it exists,
 * else the same name in the run folder when that exists (the run ran in
 * another directory), else the recorded path. Returns 1 when it exists,
 * 0 when not, -1 when run.json names none.
 */
int isl_runs_path(const struct isl_runs_entry *e, const char *key, char *buf,
                  size_t n);

/* The shard "K/N" a run.json or report records ({"index", "count"} or a
 * string), into buf; "" when it is not sharded. */
void isl_runs_shard(const json_t *doc, char *buf, size_t n);

/* Seconds since the epoch of an ISO-8601 UTC time as isload writes them
 * ("2026-11-28T14:03:12.345Z", fraction optional); -1 when it is not one. */
double isl_runs_parse_time(const char *iso);

/*
 * The end time (seconds since the epoch) of the latest run of feed in
 * state_dir that exited 0 or 1, of the same shard ("K/N", or "" for an
 * unsharded run); 0 when there is none (or state_dir cannot be read).
 */
double isl_runs_last_success(const char *state_dir, const char *feed,
                             const char *shard);

#endif
