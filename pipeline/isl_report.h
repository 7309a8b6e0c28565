/*
 * isl_report.h: the run record of a validation (and, later, load) run:
 * every verdict is reported here, so the accounting invariant
 *   rows_read = rows_valid + rows_rejected + rows_filtered
 * is kept and checked in one place. Holds counts per rule and per column,
 * per-field statistics of the rows that would be sent, the first errors
 * for the terminal, and every error in a temporary file so memory does
 * not grow with the number of rejected rows.
 */
#ifndef ISL_REPORT_H
#define ISL_REPORT_H

#include "isl_setup.h"

#include <jansson.h>
#include <stdio.h>

struct isl_error;
struct isl_verdict;
struct isl_report;

struct isl_report_info {
    const char *command;   /* "validate" */
    const char *feed;      /* feed name */
    const char *feed_file; /* path of the feed definition */
    const char *staging_table;
    const char *const *inputs; /* input paths */
    size_t ninputs;
    const char *max_errors; /* as given, or NULL */
};

int isl_report_new(struct isl_report **out, const struct isl_report_info *info,
                   const char *const *columns, size_t ncolumns,
                   struct isl_error *err);

void isl_report_accept(struct isl_report *r, const struct isl_verdict *v);
int isl_report_reject(struct isl_report *r, const struct isl_verdict *v);
void isl_report_filter(struct isl_report *r, const struct isl_verdict *v);

/* A row read that belongs to another shard (--shard): counted, nothing
 * else. */
void isl_report_other_shard(struct isl_report *r);

/* An accepted row not sent because the instance already has it (--delta). */
void isl_report_unchanged(struct isl_report *r);

struct isl_outcome;

/* Loading: what the loader adds to the record. */
struct isl_report_load {
    const char *instance, *mode, *run_id;
    uint64_t rows_sent;           /* rows handed to the instance */
    uint64_t rows_not_sent;       /* accepted but not sent (run stopped) */
    const char *import_set_text;  /* nimport_sets NUL-terminated ids, */
    const size_t *import_set_off; /* each at text + off[i] */
    size_t nimport_sets;
    uint64_t requests, retries, splits, reconciled, duplicates,
        duplicates_undone, polls;
    const uint64_t *status_codes; /* 600 entries, per HTTP status */
    uint64_t transport_errors;
    bool aborted;
    const char *abort_reason;
    int attempt;               /* 1, or more for a resumed run */
    uint64_t rows_replayed;    /* outcomes from earlier attempts */
    uint64_t image_reads;      /* before/after-image queries */
    uint64_t images_missing;   /* after-images that could not be read */
    const char *manifest;      /* path, or NULL */
    uint64_t manifest_inserts; /* records the run created */
    uint64_t manifest_updates; /* records the run changed */
    const char *delta;         /* "delta", "full", or NULL */
    uint64_t rows_deactivated; /* rows sent for keys gone from the export */
    unsigned shard_index, shard_count; /* count 0: not sharded */
    const json_t *keys_missing;  /* keys of the store not read (objects) */
    uint64_t keys_stored;        /* keys in the store (this shard's) */
    const char *missing_refused; /* why deactivation was refused, or NULL */
};

/* One row's outcome from the instance. */
int isl_report_outcome(struct isl_report *r, const struct isl_outcome *o);

/* Outcomes recorded so far and how many were errors. */
uint64_t isl_report_outcomes(const struct isl_report *r);
uint64_t isl_report_outcome_errors(const struct isl_report *r);

/* Set the loading figures (before isl_report_write). */
void isl_report_set_load(struct isl_report *r,
                         const struct isl_report_load *ld);

/* Counts so far. */
uint64_t isl_report_rows_read(const struct isl_report *r);
uint64_t isl_report_rows_rejected(const struct isl_report *r);
uint64_t isl_report_rows_valid(const struct isl_report *r);
uint64_t isl_report_rows_unchanged(const struct isl_report *r);

/* Mark the run finished (time) and whether the threshold was exceeded. */
void isl_report_finish(struct isl_report *r, bool threshold_exceeded);

/* True when read = valid + rejected + filtered + other shards and, for
 * loads, valid = sent - deactivated + not sent + unchanged, and every row
 * sent has its outcome. */
bool isl_report_adds_up(const struct isl_report *r);

/*
 * The report as a JSON document, with at most max_errors entries in
 * "errors" (SIZE_MAX for all) and "errors_truncated" saying if some were
 * left out. The caller owns the result.
 */
json_t *isl_report_json(struct isl_report *r, size_t max_errors);

/* Write the full report (every error) as JSON to path. */
int isl_report_write(struct isl_report *r, const char *path,
                     struct isl_error *err);

/* Print the terminal summary to f. */
void isl_report_print(struct isl_report *r, FILE *f);

void isl_report_free(struct isl_report *r);

#endif
