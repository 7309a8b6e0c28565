/*
 * isl_loader.h: the batched loader. Accepted staging rows go in; every row
 * comes out exactly once as an outcome (inserted, updated, ignored,
 * skipped or error) with the target table and sys_id, the import set and
 * the instance's message.
 *
 * Each row carries a correlation value (RUNID-N, N the caller's row
 * number) in a staging column (default u_isload_row), so results are read
 * back from the staging table by correlation, whatever order the instance
 * returns them in, and so a request that may or may not have been
 * committed (timeout, connection closed after sending, a crash of an
 * earlier attempt of the run) is reconciled before anything is resent:
 * rows already staged are not sent twice, a row staged twice (libcurl or
 * a proxy resending) reports its first outcome, and a second target
 * record the duplicate created is deleted.
 *
 * With images on, the loader also reads, for the rollback manifest, the
 * target records of each batch's keys before the batch is first sent
 * (one Table API query per batch on the target's match fields) and the
 * records the batch inserted or updated once their outcomes are known.
 *
 * The sink hears of each batch before it is first posted (`sent`, so the
 * run journal knows which rows may be on the instance), when the instance
 * acknowledged it, and when all its outcomes were given (`done`).
 *
 * Memory is bounded by concurrency x batch size: isl_loader_add runs the
 * network while too many batches are open.
 */
#ifndef ISL_LOADER_H
#define ISL_LOADER_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_error;
struct isl_feed_target;
struct isl_http;
struct isl_row;
struct isl_loader;

enum isl_load_mode {
    ISL_MODE_MULTIPLE, /* insertMultiple batches, results read back */
    ISL_MODE_SINGLE,   /* one POST per row, result inline */
};

struct isl_loader_opts {
    const char *staging_table;
    enum isl_load_mode mode;
    size_t batch_rows;    /* rows per insertMultiple (default 200) */
    size_t batch_bytes;   /* request body cap (default 4 MiB) */
    int concurrency;      /* import POSTs in flight; as many reads again */
    const char *corr_col; /* correlation column (u_isload_row) */
    const char *run_id;
    const char *const *labels;   /* per staging field index, or NULL */
    int max_attempts;            /* per request (default 8) */
    double poll_timeout;         /* seconds to wait for async transforms */
    bool ordered;                /* chain insertMultiple with run_after */
    const char *const *key_cols; /* columns naming a row */
    size_t nkey;
    bool images; /* read before- and after-images of target records */
    const struct isl_feed_target *target; /* NULL: after-images only */
};

/* One row's final outcome. Everything is valid during the callback. */
struct isl_outcome {
    uint64_t row_no; /* the caller's number of the row in the run */
    const char *file;
    uint64_t line;
    const char *key;      /* "u_employee_id=E0000001" or "" */
    const char *key_json; /* {"u_employee_id":"E0000001"} or {} */
    const char *state;    /* inserted updated ignored skipped error */
    const char *target_table;
    const char *target_sys_id;
    const char *import_set; /* import set sys_id (or number) */
    const char *message;    /* the instance's comment or error */
    /* with images: the target records that matched the row's key before
     * its first attempt (an array, maybe empty), or NULL when not known
     * (no target section, or a key no query can express) */
    const json_t *before;
    /* with images, for inserted/updated rows: the target record now
     * (sys_id, sys_mod_count, sys_created_on, sys_updated_on and the
     * target's mapped fields), or NULL if it could not be read */
    const json_t *after;
};

struct isl_loader_sink {
    void *payload;
    /* Required. The outcome of one row. */
    int (*outcome)(void *payload, const struct isl_outcome *o);
    /* Optional. Batch `batch` is about to be posted for the first time
     * with these rows. before (may be NULL) is the before-image set of
     * the rows not given to an earlier call (they share it: the target
     * records the batch's keys matched). Must be durable on return. */
    int (*sent)(void *payload, uint64_t batch, const uint64_t *rows, size_t n,
                const json_t *before);
    /* Optional. The instance took batch `batch` into import_set. */
    int (*acked)(void *payload, uint64_t batch, const char *import_set);
    /* Optional. Every outcome of batch `batch` was given. */
    int (*done)(void *payload, uint64_t batch);
};

int isl_loader_new(struct isl_loader **out, struct isl_http *http,
                   const struct isl_loader_opts *opts,
                   const struct isl_loader_sink *sink, struct isl_error *err);

/*
 * Queue one accepted staging row (copied) under the caller's row number
 * (unique in the run, increasing). May run the network for a while.
 * Returns 0, or < 0 when the run must abort (err says why: authentication
 * refused, instance unreachable after retries, journal not writable).
 */
int isl_loader_add(struct isl_loader *l, const struct isl_row *row,
                   uint64_t row_no, struct isl_error *err);

/*
 * Queue a row an earlier attempt of this run may have staged (it was sent
 * but its outcome is unknown): it is looked up by correlation before it is
 * sent again. before is its before-image from that attempt (borrowed; may
 * be NULL). Same returns as isl_loader_add.
 */
int isl_loader_add_staged(struct isl_loader *l, const struct isl_row *row,
                          uint64_t row_no, const json_t *before,
                          struct isl_error *err);

/* Send what is left and wait for every outcome. Same returns as add. */
int isl_loader_finish(struct isl_loader *l, struct isl_error *err);

/*
 * Stop sending: rows queued but not yet sent are dropped and counted;
 * what is in flight is finished by isl_loader_finish.
 */
uint64_t isl_loader_stop(struct isl_loader *l);

/* Statistics for the report. */
struct isl_loader_stats {
    uint64_t rows_sent;         /* rows handed to the instance */
    uint64_t retries;           /* attempts after the first */
    uint64_t splits;            /* batches split after a refusal */
    uint64_t reconciled;        /* rows found already staged on retry */
    uint64_t duplicates;        /* correlation ids staged more than once */
    uint64_t duplicates_undone; /* extra target records deleted */
    uint64_t polls;             /* result reads */
    uint64_t image_reads;       /* before/after image queries */
    uint64_t images_missing;    /* after-images that could not be read */
};
const struct isl_loader_stats *isl_loader_stats(const struct isl_loader *l);

/* Import set ids seen, for the report: id i is the NUL-terminated text at
 * *text + (*off)[i]; both are valid until the loader adds rows or is
 * freed. Returns how many. */
size_t isl_loader_import_sets(const struct isl_loader *l, const char **text,
                              const size_t **off);

void isl_loader_free(struct isl_loader *l);

#endif
