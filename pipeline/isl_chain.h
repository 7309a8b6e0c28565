/*
 * isl_chain.h: the chain runner. It turns each input row into a staging
 * row (feed columns -> string values) by running the value stages of each
 * field and then the row stages, and hands every row to exactly one of
 * the sink's three callbacks: accept, reject (with every reason found) or
 * filter. Reader row errors enter here too (isl_chain_reader_error), so
 * the verdict for every row read comes from one place.
 *
 * When the feed has deferred row stages (reference, unique keep=last),
 * rows that pass are spilled to a temporary file and their verdicts are
 * given by isl_chain_finish, after the whole input was read; memory stays
 * bounded either way.
 */
#ifndef ISL_CHAIN_H
#define ISL_CHAIN_H

#include "isl_setup.h"
#include "isl_row.h"

struct isl_error;
struct isl_feed;
struct isl_chain;

/* One reason a row was rejected or filtered. */
struct isl_reason {
    const char *column;  /* staging column, or "" for the whole row */
    const char *rule;    /* "pattern", "required", "field_count", ... */
    const char *message; /* one line, lower case */
    const char *value;   /* the input value concerned ("" if none) */
    size_t value_len;
};

struct isl_verdict {
    const struct isl_row *in;  /* the row as read (names = input fields) */
    const struct isl_row *out; /* the staging row (accept only) */
    size_t nreasons;           /* reject/filter: why */
    const struct isl_reason *reasons;
};

/* Where verdicts go. Each callback returns 0, or < 0 to stop the run. */
struct isl_chain_sink {
    void *payload;
    int (*accept)(void *payload, const struct isl_verdict *v);
    int (*reject)(void *payload, const struct isl_verdict *v);
    int (*filter)(void *payload, const struct isl_verdict *v);
};

/* Build a chain for feed (borrowed; must outlive the chain). */
int isl_chain_new(struct isl_chain **out, const struct isl_feed *feed,
                  struct isl_error *err);

/*
 * Check that the input's known columns (the CSV header) hold every source
 * field of the feed. Returns 0, or ISL_ECONFIG naming the missing fields.
 * Formats without a header are checked row by row (absent = empty).
 */
int isl_chain_check_columns(struct isl_chain *c, const char *input,
                            const char *const *columns, size_t ncolumns,
                            struct isl_error *err);

/* Run one input row through the chain; the verdict goes to sink. */
int isl_chain_push(struct isl_chain *c, const struct isl_row *in,
                   const struct isl_chain_sink *sink, struct isl_error *err);

/* A row the reader could not read (ISL_EROW): rejected with its reason. */
int isl_chain_reader_error(struct isl_chain *c, const struct isl_row *in,
                           const struct isl_error *rerr,
                           const struct isl_chain_sink *sink);

/* End of input: give the deferred verdicts. Call once. */
int isl_chain_finish(struct isl_chain *c, const struct isl_chain_sink *sink,
                     struct isl_error *err);

/* Staging columns of the feed, in order (passthrough ones come later). */
size_t isl_chain_columns(const struct isl_chain *c,
                         const char *const **columns);

void isl_chain_free(struct isl_chain *c);

#endif
