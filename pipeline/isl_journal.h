/*
 * isl_journal.h: the run journal, what makes `isload load --resume` safe.
 *
 * One gzip'd JSON Lines file per run (RUN_DIR/journal.jsonl.gz), appended
 * as the run goes:
 *
 *   {"isload_journal":1, "run_id", "feed": {"file","name","sha256"},
 *    "inputs": [{"path","size","sha256"}], "instance", "staging_table",
 *    "target_table", "correlation_column", "keys", "manifest",
 *    "started_at", "isload_version"}
 *   {"attempt": N, "at"}                       a resumed attempt begins
 *   {"instance_time": EPOCH}                   the instance's clock at the
 *                                              first answer of the run
 *   {"sent": B, "rows": [..], "before": [...]}
 *                        batch B is about to be posted (synced to disk
 *                        first: after this line, its rows may be staged);
 *                        before is the target records its keys matched,
 *                        shared by the rows not in an earlier sent line
 *   {"acked": B, "import_set": ID}             the instance took batch B
 *   {"results": B, "o": [[ROW, STATE, TABLE, SYS_ID, SET, MESSAGE,
 *                         FILE, LINE, KEY], ..]}   outcomes, read back
 *   {"end": STATUS, "exit": N, "at"}           the attempt ended
 *
 * A row is done when it has an outcome; it is in flight when it was sent
 * and has none: a resumed run reconciles those by correlation before
 * sending them again, with the before-image recorded when they were
 * first sent.
 */
#ifndef ISL_JOURNAL_H
#define ISL_JOURNAL_H

#include "isl_setup.h"
#include "isl_bits.h"

#include <jansson.h>

struct isl_error;
struct isl_outcome;
struct isl_journal;

/* What a journal says, read back for a resume. */
struct isl_journal_state {
    json_t *head;           /* the first line */
    int attempts;           /* attempts so far (1 + resume markers) */
    bool ended;             /* the last attempt wrote its end line */
    char end_status[32];    /* its status: complete, aborted, threshold */
    int64_t instance_time;  /* 0 if never recorded */
    struct isl_bits done;   /* rows with an outcome */
    struct isl_bits errors; /* rows whose outcome is error */
    json_t *inflight;       /* "ROW" -> before-image array or null */
    uint64_t max_row;       /* highest row number seen */
};

void isl_journal_state_free(struct isl_journal_state *s);

/*
 * Create path with its head line (a JSON object, borrowed). Synced.
 */
int isl_journal_create(struct isl_journal **out, const char *path,
                       const json_t *head, struct isl_error *err);

/*
 * Read path for a resume: fill *st (zero it first; the caller frees it
 * with isl_journal_state_free), calling outcome for every recorded
 * outcome (file, line, key, state, target, set and message are set), in
 * order. A torn last line (a crash) is dropped.
 */
int isl_journal_read(const char *path, struct isl_journal_state *st,
                     int (*outcome)(void *payload, const struct isl_outcome *o),
                     void *payload, struct isl_error *err);

/*
 * Reopen path to append a new attempt (after isl_journal_read): a torn
 * tail is repaired and {"attempt": N} written.
 */
int isl_journal_reopen(struct isl_journal **out, const char *path, int attempt,
                       struct isl_error *err);

/* The instance's clock, once known. */
int isl_journal_instance_time(struct isl_journal *j, int64_t epoch);

/* Batch `batch` will be posted with rows; before (may be NULL) is the
 * before-image set of its rows new to the journal. Synced to disk before
 * it returns. */
int isl_journal_sent(struct isl_journal *j, uint64_t batch,
                     const uint64_t *rows, size_t n, const json_t *before);

int isl_journal_acked(struct isl_journal *j, uint64_t batch,
                      const char *import_set);

/* One outcome of batch `batch`; written with isl_journal_done. */
int isl_journal_outcome(struct isl_journal *j, const struct isl_outcome *o);

/* Write the outcomes gathered for batch and flush. */
int isl_journal_done(struct isl_journal *j, uint64_t batch);

/* Write the end line and close. NULL is a no-op. */
int isl_journal_end(struct isl_journal *j, const char *status, int exit_code,
                    struct isl_error *err);

/* Close without an end line (the run could not finish its record). */
void isl_journal_abandon(struct isl_journal *j);

#endif
