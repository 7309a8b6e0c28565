/*
 * isl_progress.c: the progress line (see isl_progress.h).
 */
#include "isl_setup.h"
#include "isl_progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void isl_progress_init(struct isl_progress *p)
{
    p->on = isatty(2);
    p->shown = false;
    p->t0 = p->last = now_s();
}

bool isl_progress_due(struct isl_progress *p)
{
    double t;

    if (!p->on)
        return false;
    t = now_s();
    if (t - p->t0 < 1.0 || t - p->last < 0.25)
        return false;
    p->last = t;
    return true;
}

double isl_progress_elapsed(const struct isl_progress *p)
{
    return now_s() - p->t0;
}

void isl_progress_draw(struct isl_progress *p, const char *fmt, ...)
{
    va_list ap;

    fputs("\r\033[K", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    p->shown = true;
}

void isl_progress_end(struct isl_progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
    p->shown = false;
}
