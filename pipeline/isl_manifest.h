/*
 * isl_manifest.h: the rollback manifest, a record of every target record
 * a load created or changed, with what the changed ones held before, so
 * `isload rollback` can undo the run.
 *
 * JSON Lines, gzip'd when the name ends in .gz, flushed as outcomes
 * arrive (docs/rollback.md):
 *
 *   {"isload_manifest": 1, "run_id", "feed", "instance", "staging_table",
 *    "target_table", "started_at", "isload_version"}
 *   {"action": "insert"|"update", "table", "sys_id", "key": {...},
 *    "before": {...}|null, "after": {...}|null, "import_set",
 *    "source": {"file", "line"}, "row": N [, "before_unknown": why]}
 *   {"isload_manifest_resume": 1, "at"}          a resumed attempt
 *   {"isload_manifest_end": 1, "inserted", "updated", "before_unknown",
 *    "complete", "finished_at"}
 *
 * The manifest tells what the run did, not what the instance said: a row
 * reported `updated` whose record no before-image held and that the
 * instance created after the run began was created by this run (an
 * earlier attempt was committed but its answer lost), so it is an insert.
 */
#ifndef ISL_MANIFEST_H
#define ISL_MANIFEST_H

#include "isl_setup.h"
#include "isl_bits.h"

#include <jansson.h>

struct isl_error;
struct isl_outcome;
struct isl_manifest;

/* Create path with its head line (borrowed). */
int isl_manifest_create(struct isl_manifest **out, const char *path,
                        const json_t *head, struct isl_error *err);

/*
 * Reopen path for a resumed attempt: the rows it already records are
 * added to *rows (so they are not written twice), its counts carried on,
 * and a resume line appended.
 */
int isl_manifest_reopen(struct isl_manifest **out, const char *path,
                        struct isl_bits *rows, struct isl_error *err);

/*
 * Record what one outcome did to the target, if anything. run_start is
 * the instance's clock ("yyyy-MM-dd HH:mm:ss", UTC) when the run began,
 * or "" if unknown.
 */
int isl_manifest_outcome(struct isl_manifest *m, const struct isl_outcome *o,
                         const char *run_start);

/* Flush to the kernel (after each batch). */
int isl_manifest_flush(struct isl_manifest *m);

/* Actions recorded (this attempt and earlier ones). */
uint64_t isl_manifest_inserts(const struct isl_manifest *m);
uint64_t isl_manifest_updates(const struct isl_manifest *m);

/* Write the end line and close. complete: the run finished. */
int isl_manifest_end(struct isl_manifest *m, bool complete,
                     struct isl_error *err);

/* Close without an end line. NULL is a no-op. */
void isl_manifest_abandon(struct isl_manifest *m);

/* ---- reading (rollback) ---- */

struct isl_manifest_info {
    json_t *head;  /* the first line (owned by the reader's caller) */
    bool ended;    /* the last line is an end line */
    bool complete; /* ... saying the run finished */
    bool torn;     /* the file ends in a partial line (a crash) */
    uint64_t nactions;
};

/* Read only the head line of path into *head (the caller owns it). */
int isl_manifest_head(const char *path, json_t **head, struct isl_error *err);

/*
 * Read path: head and end lines fill *info (zero it; free head with
 * json_decref), every action line is given to fn with its line number.
 */
int isl_manifest_read(const char *path, struct isl_manifest_info *info,
                      int (*fn)(void *payload, json_t *action, uint64_t lineno),
                      void *payload, struct isl_error *err);

#endif
