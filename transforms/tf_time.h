/*
 * tf_time.h: strict date/time parsing and formatting for the date and
 * datetime stages, and time zone offsets without touching TZ per value.
 *
 * glibc's strptime is lenient (it accepts 02/30, skips white space, stops
 * early), so the stages use this small parser instead. Directives:
 *
 *   %Y  4-digit year          %y  2-digit year (69-99: 19xx, else 20xx)
 *   %m  month 1-12 (1-2 dig.) %d  day 1-31 (1-2 digits), checked against
 *   %b  month name or 3-letter abbreviation (English, any case); %B %h same
 *   %H  hour 0-23             %I  hour 1-12, needs %p
 *   %M  minute 0-59           %S  second 0-59
 *   %p  AM or PM (any case)   %j  day of the year 1-366 (1-3 digits)
 *   %z  Z, +hh, +hhmm or +hh:mm (or -)
 *   %f  fractional seconds, 1-9 digits (parsed and dropped; input only)
 *   %F  %Y-%m-%d              %T  %H:%M:%S              %%  a %
 *
 * Any other character must appear as it is. The whole value must be
 * consumed, and the date must exist (2023-02-29 does not).
 */
#ifndef TF_TIME_H
#define TF_TIME_H

#include "isl_setup.h"

struct isl_buf;

struct tf_tm {
    int year, mon, day; /* civil date, mon 1-12 */
    int hour, min, sec; /* 0-23, 0-59, 0-59 */
    int yday;           /* 1-366, from %j (0 if not given) */
    int off;            /* seconds east of UTC, from %z */
    bool has_off;       /* %z was given */
};

/* What a format contains (tf_time_check). */
struct tf_fmt_info {
    bool year, mon, day, yday, hour, hour12, ampm, min, sec, off, frac;
};

/*
 * Check fmt. output: also reject directives that cannot be written (%f).
 * Returns 0, or -1 with why (e.g. "unknown directive %Q") filled.
 */
int tf_time_check(const char *fmt, bool output, struct tf_fmt_info *info,
                  char *why, size_t whysize);

/* Parse s[0..len) with fmt (checked). true when it matches and exists. */
bool tf_time_parse(const char *fmt, const char *s, size_t len,
                   struct tf_tm *tm);

/* Append tm written with fmt (checked, output) to out. 0 or <0. */
int tf_time_format(const char *fmt, const struct tf_tm *tm,
                   struct isl_buf *out);

/* Days since 1970-01-01 of a civil date, and back. */
int64_t tf_days_from_civil(int y, int m, int d);
void tf_civil_from_days(int64_t days, int *y, int *m, int *d);

/*
 * A time zone as a table of UTC offset changes, built once at init by
 * asking the C library about every day from 1900 to 2100 (with TZ set to
 * the zone for the duration, then restored). Lookups afterwards are pure
 * and thread-safe. Outside that range the nearest offset is used.
 */
struct tf_zone {
    int64_t *at;  /* UTC seconds where offset changes, ascending */
    int32_t *off; /* offset from at[i] on, seconds east */
    size_t n;
    int32_t first; /* offset before at[0] */
};

/* Load zone `name` (IANA, or "UTC"). 0, or -1 with why filled. */
int tf_zone_load(struct tf_zone *z, const char *name, char *why,
                 size_t whysize);
void tf_zone_free(struct tf_zone *z);

/* Offset in seconds east of UTC at instant utc. */
int32_t tf_zone_offset(const struct tf_zone *z, int64_t utc);

/*
 * Local wall-clock seconds (as if UTC) -> UTC seconds. Ambiguous times
 * (clocks going back) take the earlier instant. Returns 0, or -1 when the
 * local time does not exist (clocks going forward skip it).
 */
int tf_zone_to_utc(const struct tf_zone *z, int64_t local, int64_t *utc);

#endif
