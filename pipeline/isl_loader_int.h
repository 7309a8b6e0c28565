/*
 * isl_loader_int.h: the loader's insides, shared by its files:
 *
 *   isl_loader.c         batches, rows, outcomes, the pump, the API
 *   isl_loader_send.c    posting, refusals, splitting, reconciling
 *   isl_loader_read.c    reading results back from the staging table
 *   isl_loader_images.c  before- and after-images of target records
 *
 * Nothing outside these files includes it: the loader's contract is
 * isl_loader.h.
 */
#ifndef ISL_LOADER_INT_H
#define ISL_LOADER_INT_H

#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_http.h"
#include "isl_loader.h"

#include <jansson.h>

enum bstate {
    B_OPEN,
    B_QUEUED,
    B_BEFORE,
    B_POSTING,
    B_READBACK,
    B_WAIT_POLL,
    B_AFTER,
    B_WAIT_AFTER,
    B_DONE
};

/* One row's result from the instance: pointers into a response document
 * of its batch (or static strings). */
struct entry {
    const char *state, *table, *sys_id, *set, *comment, *created;
};

struct lrow {
    uint64_t row_no;
    uint32_t file; /* index into l->files */
    uint64_t line;
    size_t rec_off, rec_len; /* its JSON record in b->records */
    size_t key_off;   /* in b->keys: display text, NUL, key JSON, NUL, then
                         one NUL-terminated value per target match field */
    json_t *before;   /* its batch's before-image set (a reference), or NULL */
    bool before_read; /* before is final (read, given, or not needed) */
    bool journaled;   /* its before-image went to the sink */
    bool has_res;
    struct entry res;
    const json_t *after; /* borrowed from b->after_doc */
};

struct batch {
    struct isl_loader *l;
    struct isl_http_req req;
    uint64_t id;
    struct lrow *rows;
    size_t n, cap;
    struct isl_buf records; /* {"records":[r0,r1,... (]} once posted) */
    struct isl_buf keys;
    bool sealed; /* records ends with "]}": no more rows */
    enum bstate state;
    bool reconcile;    /* readback after an ambiguous failure */
    bool acked;        /* the POST was acknowledged */
    bool by_set;       /* read back by import set, not by correlation */
    bool maybe_staged; /* an earlier attempt may have been committed */
    bool journaled;    /* the sink heard of it (sent) */
    int attempts;      /* POST attempts */
    int reads;         /* reads (readback or image) that failed in a row */
    double not_before, poll_delay, poll_start;
    char import_set[64];
    char *res_text;    /* the texts the results point into */
    json_t *res_doc;   /* or the response, when they could not be copied */
    json_t *err_doc;   /* an error message all rows share */
    json_t *after_doc; /* the after-image response */
    struct batch *next;
};

struct del_req {
    struct isl_http_req req;
    struct isl_loader *l;
    int attempts;
};

struct isl_loader {
    struct isl_loader_opts o;
    struct isl_http *http;
    struct isl_loader_sink sink;
    struct batch *batches;     /* every batch not DONE, oldest first */
    struct batch *open;        /* the batch being filled */
    struct batch *open_staged; /* the batch of rows to reconcile first */
    uint64_t next_batch;
    uint64_t freed;    /* batches freed, for trim_heap */
    uint64_t last_row; /* for the increasing row number check */
    int posting;       /* POSTs in flight */
    int reading;       /* reads in flight */
    char multi_id[64]; /* multi import set of the run */
    char last_set[64]; /* for run_after */
    char **files;      /* interned file names */
    size_t nfiles;
    /* import set ids seen (one a batch): one block of NUL-terminated ids
     * and their offsets, so a long run does not scatter thousands of
     * small long-lived allocations through the heap */
    struct isl_buf set_text;
    size_t *set_off;
    size_t nsets, aset_off;
    int deletes; /* DELETEs in flight */
    bool stopped;
    int fatal; /* < 0: abort with fatal_msg */
    char fatal_msg[512];
    struct isl_loader_stats stats;
    unsigned rng;
};

/* ---- shared between the loader's files ---- */

void isl_loader__fail(struct isl_loader *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
double isl_loader__backoff(struct isl_loader *l, int attempt);
struct batch *isl_loader__batch_new(struct isl_loader *l);
const char *isl_loader__match_value(const struct batch *b, const struct lrow *r,
                                    size_t k);
size_t isl_loader__keys_len(const struct isl_loader *l, const struct batch *b,
                            const struct lrow *r);
void isl_loader__note_set(struct isl_loader *l, const char *id);
int isl_loader__batch_take(struct batch *b, const struct lrow *src,
                           const char *rec, const char *keys, size_t keys_n);
void isl_loader__deliver(struct isl_loader *l, struct batch *b);
void isl_loader__keep_results(struct batch *b, json_t *doc);
void isl_loader__all_error(struct isl_loader *l, struct batch *b,
                           const char *msg);
void isl_loader__before_read(struct isl_loader *l, struct batch *b);
void isl_loader__finish_results(struct isl_loader *l, struct batch *b);
void isl_loader__post(struct isl_loader *l, struct batch *b);
void isl_loader__readback(struct isl_loader *l, struct batch *b);
struct batch *isl_loader__resend(struct isl_loader *l, struct batch *b,
                                 const bool *take);
const char *isl_loader__error_message(const struct isl_http_req *req, char *buf,
                                      size_t n);
void isl_loader__start_reconcile(struct batch *b, double delay);
void isl_loader__on_read_done(struct isl_http_req *req);

#endif
