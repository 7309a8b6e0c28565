/*
 * isl_rollback.h: undo a load from its manifest(s) (isl_manifest.h).
 *
 * Actions are undone in reverse order: a record the run inserted is
 * deleted, a record it updated gets its mapped fields PATCHed back to the
 * before-image. Before touching a record, its current state is read (one
 * Table API query per chunk of actions) and compared with what the run
 * left (`after`, and its sys_mod_count): a record someone changed since is
 * a conflict and is left alone unless `force`. A record already deleted,
 * or already holding its before-image, counts as done, so a second
 * rollback, or one after a crash, finishes the job without errors. A
 * journal of what was done makes an interrupted rollback go on where it
 * stopped; a dry run reads and decides, and writes nothing.
 */
#ifndef ISL_ROLLBACK_H
#define ISL_ROLLBACK_H

#include "isl_setup.h"

#include <jansson.h>
#include <stdio.h>

struct isl_error;
struct isl_http;

struct isl_rollback_opts {
    const char *const *manifests;
    size_t nmanifests;
    const char *instance;
    bool dry_run;
    bool force;
    const char *journal; /* NULL: FIRST_MANIFEST.rollback.jsonl */
    int concurrency;
    int max_attempts; /* per request (default 8) */
    FILE *out;        /* one line per action, or NULL */
};

/* What happened to the actions, for the report and the exit code. */
struct isl_rollback_counts {
    uint64_t actions;         /* action lines read */
    uint64_t deleted;         /* inserted records deleted */
    uint64_t restored;        /* updated records put back */
    uint64_t already_done;    /* gone or restored before (or journaled) */
    uint64_t conflicts;       /* changed since the run: left alone */
    uint64_t refused;         /* no before-image: cannot be restored */
    uint64_t errors;          /* the instance refused a write */
    uint64_t would_delete;    /* --dry-run */
    uint64_t would_restore;   /* --dry-run */
    bool incomplete_manifest; /* a manifest has no complete end line */
};

/*
 * Run it. *report gets a JSON document (counts, every conflict, refusal
 * and error with its record and reason, warnings); the caller owns it.
 * Returns 0, ISL_ECONFIG (a manifest is unreadable or for another
 * instance) or ISL_EIO (the run was aborted: authentication refused, the
 * instance unreachable, the journal not writable; err says why).
 */
int isl_rollback_run(const struct isl_rollback_opts *o, struct isl_http *http,
                     struct isl_rollback_counts *counts, json_t **report,
                     struct isl_error *err);

#endif
