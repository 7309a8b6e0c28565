/*
 * isl_loader.h: the batched loader. Accepted staging rows go in; every row
 * comes out exactly once as an outcome (inserted, updated, ignored,
 * skipped or error) with the target table and sys_id, the import set and
 * the instance's message.
 *
 * Each row carries a correlation value (RUNID-N) in a staging column
 * (default u_isload_row), so results are read back from the staging table
 * by correlation, whatever order the instance returns them in, and so a
 * request that may or may not have been committed (timeout, connection
 * closed after sending) is reconciled before anything is resent: rows
 * already staged are not sent twice, a row staged twice (libcurl or a
 * proxy resending) reports its first outcome, and a second target record
 * the duplicate created is deleted.
 *
 * Memory is bounded by concurrency x batch size: isl_loader_add runs the
 * network while too many batches are open.
 */
#ifndef ISL_LOADER_H
#define ISL_LOADER_H

#include "isl_setup.h"

struct isl_error;
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
    int concurrency;      /* requests in flight (for backpressure) */
    const char *corr_col; /* correlation column (u_isload_row) */
    const char *run_id;
    const char *const *labels;   /* per staging field index, or NULL */
    int max_attempts;            /* per request (default 8) */
    double poll_timeout;         /* seconds to wait for async transforms */
    bool ordered;                /* chain insertMultiple with run_after */
    const char *const *key_cols; /* columns naming a row in errors */
    size_t nkey;
};

/* One row's final outcome. Strings are valid during the callback. */
struct isl_outcome {
    uint64_t row_no; /* 1-based number of the row in the run */
    const char *file;
    uint64_t line;
    const char *key;   /* "u_employee_id=E0000001" or "" */
    const char *state; /* inserted updated ignored skipped error */
    const char *target_table;
    const char *target_sys_id;
    const char *import_set; /* import set sys_id (or number) */
    const char *message;    /* the instance's comment or error */
};

struct isl_loader_sink {
    void *payload;
    int (*outcome)(void *payload, const struct isl_outcome *o);
};

int isl_loader_new(struct isl_loader **out, struct isl_http *http,
                   const struct isl_loader_opts *opts,
                   const struct isl_loader_sink *sink, struct isl_error *err);

/*
 * Queue one accepted staging row (copied). May run the network for a
 * while. Returns 0, or < 0 when the run must abort (err says why:
 * authentication refused, instance unreachable after retries).
 */
int isl_loader_add(struct isl_loader *l, const struct isl_row *row,
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
};
const struct isl_loader_stats *isl_loader_stats(const struct isl_loader *l);

/* Import set ids seen, for the report. */
size_t isl_loader_import_sets(const struct isl_loader *l,
                              const char *const **ids);

void isl_loader_free(struct isl_loader *l);

#endif
