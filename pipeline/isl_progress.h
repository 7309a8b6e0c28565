/*
 * isl_progress.h: the progress line on stderr. Shown only when stderr is a
 * terminal and the run has taken more than a second; redrawn at most four
 * times a second; erased at the end so summaries start on a clean line.
 */
#ifndef ISL_PROGRESS_H
#define ISL_PROGRESS_H

#include "isl_setup.h"

struct isl_progress {
    bool on;     /* stderr is a terminal */
    bool shown;  /* something was drawn */
    double t0;   /* start, monotonic seconds */
    double last; /* last redraw */
};

void isl_progress_init(struct isl_progress *p);

/* True when a redraw is due now (cheap; call it every few rows). */
bool isl_progress_due(struct isl_progress *p);

/* Seconds since init. */
double isl_progress_elapsed(const struct isl_progress *p);

/* Draw one line (printf-style). */
void isl_progress_draw(struct isl_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Erase the line if one was drawn. */
void isl_progress_end(struct isl_progress *p);

#endif
