/*
 * isl_prefetch.h: the stream of rows (isl_reader.h), read ahead on a
 * second thread.
 *
 * validate and load spend about as long in the stages as in the reader;
 * with the reader on its own thread the two overlap, so a run takes about
 * as long as the slower of the two instead of their sum. Rows come out in
 * the order the stream gives them, with the same return codes and errors
 * as isl_stream_next; memory is bounded (a few blocks of rows).
 */
#ifndef ISL_PREFETCH_H
#define ISL_PREFETCH_H

#include "isl_setup.h"
#include "isl_reader.h"

struct isl_error;
struct isl_row;
struct isl_prefetch;

/* What is known of one input once its reader is open. Owned by the
 * prefetch and valid until isl_prefetch_close. */
struct isl_source {
    const char *name; /* display name ("<stdin>" for -) */
    enum isl_format format;
    char delimiter;             /* CSV; 0 for other formats */
    const char *const *columns; /* the CSV header; NULL for other formats */
    size_t ncolumns;
};

/*
 * Start reading paths (npaths of them, "-" for stdin) with opts on a
 * reading thread. paths and opts are borrowed and must outlive the
 * prefetch. *out belongs to the caller (isl_prefetch_close). Returns 0, or
 * ISL_ENOMEM / ISL_EIO with err filled (the thread could not start).
 */
int isl_prefetch_open(struct isl_prefetch **out, const char *const *paths,
                      size_t npaths, const struct isl_reader_opts *opts,
                      struct isl_error *err);

/*
 * Same contract as isl_stream_next: ISL_OK, ISL_EOF, ISL_EROW (err says
 * why; *row holds what could be read), or < 0 (the stream cannot go on;
 * every later call returns the same). *row is borrowed and valid until
 * the next call.
 */
int isl_prefetch_next(struct isl_prefetch *p, const struct isl_row **row,
                      struct isl_error *err);

/* The input of the row last returned (NULL before the first row). */
const struct isl_source *isl_prefetch_source(const struct isl_prefetch *p);

/* Once isl_prefetch_next returned ISL_EOF: input i (1 for the first
 * path) as read, also an input that gave no row (a CSV file of just a
 * header); NULL for an input never opened. */
const struct isl_source *isl_prefetch_input(const struct isl_prefetch *p,
                                            size_t i);

/* Compressed bytes the reading thread had consumed, and the total size of
 * the inputs opened so far, when it handed over the last row returned. */
uint64_t isl_prefetch_bytes_read(const struct isl_prefetch *p);
uint64_t isl_prefetch_bytes_total(const struct isl_prefetch *p);

/* Stop the reading thread (also one waiting on a pipe), join it and free
 * everything; accepts NULL. */
void isl_prefetch_close(struct isl_prefetch *p);

#endif
