/*
 * tf_date.h: the core shared by the date and datetime stages.
 */
#ifndef TF_DATE_H
#define TF_DATE_H

#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_time.h"

#include <jansson.h>

#define TF_DATE_FORMATS 16

struct tf_date_ctx {
    json_t *from;         /* input formats, tried in order */
    const char *to;       /* output format */
    const char *timezone; /* datetime: source zone (IANA), default UTC */
    bool datetime;        /* convert to UTC, default output with time */
    struct tf_zone zone;
    const char *fmts[TF_DATE_FORMATS]; /* the first formats of from */
    size_t nfrom;                      /* number of formats in from */
    bool to_iso;                       /* to is "%Y-%m-%d" */
    char tried[240];                   /* "%m/%d/%Y, %Y-%m-%d" for messages */
};

/* init for both; datetime selects the datetime defaults. */
int tf_date_init_common(struct tf_stage *st, bool datetime,
                        struct isl_error *err);

int tf_date_value(struct tf_stage *st, const char *in, size_t len,
                  struct isl_buf *out, const struct tf_row *row,
                  struct isl_error *err);

void tf_date_close(struct tf_stage *st);

#endif
