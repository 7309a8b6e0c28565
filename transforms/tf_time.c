/*
 * tf_time.c: strict date/time parser and formatter, civil date arithmetic
 * and time zone offset tables (see tf_time.h).
 */
#include "isl_setup.h"
#include "tf_time.h"
#include "tf_util.h"
#include "isl_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && leap(y) ? 29 : dm[m - 1];
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t tf_days_from_civil(int y, int m, int d)
{
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void tf_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int tf_time_check(const char *fmt, bool output, struct tf_fmt_info *info,
                  char *why, size_t whysize)
{
    memset(info, 0, sizeof(*info));
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        switch (*++p) {
        case 'Y':
        case 'y':
            info->year = true;
            break;
        case 'm':
        case 'b':
        case 'B':
        case 'h':
            info->mon = true;
            break;
        case 'd':
            info->day = true;
            break;
        case 'j':
            info->yday = true;
            break;
        case 'H':
            info->hour = true;
            break;
        case 'I':
            info->hour12 = true;
            break;
        case 'p':
            info->ampm = true;
            break;
        case 'M':
            info->min = true;
            break;
        case 'S':
            info->sec = true;
            break;
        case 'z':
            info->off = true;
            break;
        case 'F':
            info->year = info->mon = info->day = true;
            break;
        case 'T':
            info->hour = info->min = info->sec = true;
            break;
        case 'f':
            if (output) {
                snprintf(why, whysize, "%%f cannot be used in output");
                return -1;
            }
            info->frac = true;
            break;
        case '%':
            break;
        case '\0':
            snprintf(why, whysize, "'%s' ends with a lone %%", fmt);
            return -1;
        default:
            snprintf(why, whysize, "unknown directive %%%c in '%s'", *p, fmt);
            return -1;
        }
    }
    if (!output && info->hour12 != info->ampm) {
        snprintf(why, whysize, "'%s': %%I and %%p go together", fmt);
        return -1;
    }
    return 0;
}

/* Read min..max digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int min, int max,
                   int *out)
{
    int n = 0, v = 0;

    while (n < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    *out = v;
    return n >= min;
}

static bool word_at(const char *s, size_t len, size_t i, const char *w,
                    size_t wlen)
{
    return len - i >= wlen && tf_ascii_eq(s + i, wlen, w, wlen, true);
}

static bool month_name(const char *s, size_t len, size_t *i, int *mon)
{
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(month_names[m]);

        if (word_at(s, len, *i, month_names[m], full)) {
            *i += full;
            *mon = m + 1;
            return true;
        }
    }
    for (int m = 0; m < 12; m++) {
        if (word_at(s, len, *i, month_names[m], 3)) {
            *i += 3;
            *mon = m + 1;
            return true;
        }
    }
    return false;
}

static bool offset(const char *s, size_t len, size_t *i, int *off)
{
    int sign, h, m = 0;

    if (*i < len && (s[*i] == 'Z' || s[*i] == 'z')) {
        (*i)++;
        *off = 0;
        return true;
    }
    if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
        return false;
    sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    if (!digits(s, len, i, 2, 2, &h) || h > 23)
        return false;
    if (*i < len && s[*i] == ':') {
        (*i)++;
        if (!digits(s, len, i, 2, 2, &m))
            return false;
    } else if (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (!digits(s, len, i, 2, 2, &m))
            return false;
    }
    if (m > 59)
        return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

struct parse_state {
    int year, mon, day, yday, hour, hour12, min, sec, pm;
};

static bool parse_fmt(const char *fmt, const char *s, size_t len, size_t *i,
                      struct parse_state *ps, struct tf_tm *tm)
{
    int v;

    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            if (*i >= len || s[*i] != *p)
                return false;
            (*i)++;
            continue;
        }
        switch (*++p) {
        case 'Y':
            if (!digits(s, len, i, 4, 4, &ps->year))
                return false;
            break;
        case 'y':
            if (!digits(s, len, i, 2, 2, &v))
                return false;
            ps->year = v < 69 ? 2000 + v : 1900 + v;
            break;
        case 'm':
            if (!digits(s, len, i, 1, 2, &ps->mon) || ps->mon < 1 ||
                ps->mon > 12)
                return false;
            break;
        case 'b':
        case 'B':
        case 'h':
            if (!month_name(s, len, i, &ps->mon))
                return false;
            break;
        case 'd':
            if (!digits(s, len, i, 1, 2, &ps->day) || ps->day < 1 ||
                ps->day > 31)
                return false;
            break;
        case 'j':
            if (!digits(s, len, i, 1, 3, &ps->yday) || ps->yday < 1 ||
                ps->yday > 366)
                return false;
            break;
        case 'H':
            if (!digits(s, len, i, 1, 2, &ps->hour) || ps->hour > 23)
                return false;
            break;
        case 'I':
            if (!digits(s, len, i, 1, 2, &ps->hour12) || ps->hour12 < 1 ||
                ps->hour12 > 12)
                return false;
            break;
        case 'M':
            if (!digits(s, len, i, 1, 2, &ps->min) || ps->min > 59)
                return false;
            break;
        case 'S':
            if (!digits(s, len, i, 1, 2, &ps->sec) || ps->sec > 59)
                return false;
            break;
        case 'f':
            if (!digits(s, len, i, 1, 9, &v))
                return false;
            break;
        case 'p':
            if (word_at(s, len, *i, "AM", 2))
                ps->pm = 0;
            else if (word_at(s, len, *i, "PM", 2))
                ps->pm = 1;
            else
                return false;
            *i += 2;
            break;
        case 'z':
            if (!offset(s, len, i, &tm->off))
                return false;
            tm->has_off = true;
            break;
        case 'F':
            if (!parse_fmt("%Y-%m-%d", s, len, i, ps, tm))
                return false;
            break;
        case 'T':
            if (!parse_fmt("%H:%M:%S", s, len, i, ps, tm))
                return false;
            break;
        case '%':
            if (*i >= len || s[*i] != '%')
                return false;
            (*i)++;
            break;
        default:
            return false; /* tf_time_check rejects these */
        }
    }
    return true;
}

bool tf_time_parse(const char *fmt, const char *s, size_t len, struct tf_tm *tm)
{
    struct parse_state ps = {.year = 1970, .mon = 0, .day = 0, .pm = -1};
    size_t i = 0;

    memset(tm, 0, sizeof(*tm));
    if (!parse_fmt(fmt, s, len, &i, &ps, tm) || i != len)
        return false;
    if (ps.yday) {
        int64_t d;
        int y, m, dd;

        if (ps.yday > (leap(ps.year) ? 366 : 365))
            return false;
        d = tf_days_from_civil(ps.year, 1, 1) + ps.yday - 1;
        tf_civil_from_days(d, &y, &m, &dd);
        if ((ps.mon && ps.mon != m) || (ps.day && ps.day != dd))
            return false;
        ps.mon = m;
        ps.day = dd;
    }
    if (!ps.mon)
        ps.mon = 1;
    if (!ps.day)
        ps.day = 1;
    if (ps.day > days_in_month(ps.year, ps.mon))
        return false;
    tm->year = ps.year;
    tm->mon = ps.mon;
    tm->day = ps.day;
    {
        static const int before[12] = {0,   31,  59,  90,  120, 151,
                                       181, 212, 243, 273, 304, 334};

        tm->yday = before[ps.mon - 1] + ps.day + (ps.mon > 2 && leap(ps.year));
    }
    tm->hour = ps.pm >= 0 ? ps.hour12 % 12 + 12 * ps.pm : ps.hour;
    tm->min = ps.min;
    tm->sec = ps.sec;
    return true;
}

/* Append v zero-padded to width digits (v >= 0), without printf. */
static int put_num(struct isl_buf *out, int v, int width)
{
    char tmp[16];
    int n = 12;

    if (v < 0)
        return isl_buf_addf(out, "%0*d", width, v);
    if (width == 2 && v < 100) { /* %m %d %H %M %S */
        char d[2] = {(char)('0' + v / 10), (char)('0' + v % 10)};

        return isl_buf_add(out, d, 2);
    }
    if (width == 4 && v < 10000) { /* %Y */
        char d[4] = {(char)('0' + v / 1000), (char)('0' + v / 100 % 10),
                     (char)('0' + v / 10 % 10), (char)('0' + v % 10)};

        return isl_buf_add(out, d, 4);
    }
    do { /* digits from the right */
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n > 0);
    while (12 - n < width && n > 0)
        tmp[--n] = '0';
    return isl_buf_add(out, tmp + n, (size_t)(12 - n));
}

int tf_time_format(const char *fmt, const struct tf_tm *tm, struct isl_buf *out)
{
    int rc = 0;

    for (const char *p = fmt; *p && rc == 0; p++) {
        if (*p != '%') {
            rc = isl_buf_addc(out, *p);
            continue;
        }
        switch (*++p) {
        case 'Y':
            rc = put_num(out, tm->year, 4);
            break;
        case 'y':
            rc = put_num(out, tm->year % 100, 2);
            break;
        case 'm':
            rc = put_num(out, tm->mon, 2);
            break;
        case 'b':
        case 'h':
            rc = isl_buf_add(out, month_names[tm->mon - 1], 3);
            break;
        case 'B':
            rc = isl_buf_adds(out, month_names[tm->mon - 1]);
            break;
        case 'd':
            rc = put_num(out, tm->day, 2);
            break;
        case 'j':
            rc = put_num(out, tm->yday, 3);
            break;
        case 'H':
            rc = put_num(out, tm->hour, 2);
            break;
        case 'I':
            rc = isl_buf_addf(out, "%02d", tm->hour % 12 ? tm->hour % 12 : 12);
            break;
        case 'p':
            rc = isl_buf_adds(out, tm->hour < 12 ? "AM" : "PM");
            break;
        case 'M':
            rc = put_num(out, tm->min, 2);
            break;
        case 'S':
            rc = put_num(out, tm->sec, 2);
            break;
        case 'z': {
            int a = tm->off < 0 ? -tm->off : tm->off;

            rc = isl_buf_addf(out, "%c%02d%02d", tm->off < 0 ? '-' : '+',
                              a / 3600, a / 60 % 60);
            break;
        }
        case 'F':
            rc = tf_time_format("%Y-%m-%d", tm, out);
            break;
        case 'T':
            rc = tf_time_format("%H:%M:%S", tm, out);
            break;
        default:
            rc = isl_buf_addc(out, '%');
            break;
        }
    }
    return rc;
}

/* ---- zones ---- */

static int32_t probe_offset(time_t t)
{
    struct tm tm;

    if (!localtime_r(&t, &tm))
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

static int add_change(struct tf_zone *z, size_t *alloc, int64_t at, int32_t off)
{
    if (z->n == *alloc) {
        size_t na = *alloc ? *alloc * 2 : 64;
        int64_t *a = realloc(z->at, na * sizeof(*a));
        int32_t *o;

        if (!a)
            return -1;
        z->at = a;
        o = realloc(z->off, na * sizeof(*o));
        if (!o)
            return -1;
        z->off = o;
        *alloc = na;
    }
    z->at[z->n] = at;
    z->off[z->n] = off;
    z->n++;
    return 0;
}

static bool zone_name_ok(const char *name)
{
    if (!name[0] || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-' ||
              *p == '+'))
            return false;
    return true;
}

int tf_zone_load(struct tf_zone *z, const char *name, char *why, size_t whysize)
{
    const char *dir = getenv("TZDIR");
    char path[512], *old = NULL;
    const int64_t from = -2208988800LL, to = 4102444800LL; /* 1900-2100 */
    size_t alloc = 0;
    struct stat sb;
    int32_t prev;
    int rc = 0;

    memset(z, 0, sizeof(*z));
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return 0;
    snprintf(path, sizeof(path), "%s/%s",
             dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
    if (!zone_name_ok(name) || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(why, whysize,
                 "unknown time zone '%s' (expected an IANA "
                 "name such as America/New_York, or UTC)",
                 name);
        return -1;
    }
    /*
     * Not thread-safe: TZ is changed for the length of the scan. Stages
     * are built while the feed loads, before any worker thread runs.
     */
    if (getenv("TZ") && !(old = strdup(getenv("TZ"))))
        return -1;
    setenv("TZ", name, 1);
    tzset();
    z->first = prev = probe_offset((time_t)from);
    for (int64_t t = from + 86400; t <= to && rc == 0; t += 86400) {
        int32_t o = probe_offset((time_t)t);
        int64_t lo = t - 86400, hi = t;

        if (o == prev)
            continue;
        /* first second with the new offset lies in (lo, hi] */
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;

            if (probe_offset((time_t)mid) == prev)
                lo = mid;
            else
                hi = mid;
        }
        rc = add_change(z, &alloc, hi, o);
        prev = o;
    }
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
    if (rc < 0) {
        snprintf(why, whysize, "out of memory");
        tf_zone_free(z);
    }
    return rc;
}

void tf_zone_free(struct tf_zone *z)
{
    free(z->at);
    free(z->off);
    memset(z, 0, sizeof(*z));
}

int32_t tf_zone_offset(const struct tf_zone *z, int64_t utc)
{
    size_t lo = 0, hi = z->n;

    if (z->n == 0 || utc < z->at[0])
        return z->first;
    while (hi - lo > 1) { /* last at[i] <= utc */
        size_t mid = lo + (hi - lo) / 2;

        if (z->at[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->off[lo];
}

int tf_zone_to_utc(const struct tf_zone *z, int64_t local, int64_t *utc)
{
    int32_t a = tf_zone_offset(z, local - 86400);
    int32_t b = tf_zone_offset(z, local + 86400);

    if (tf_zone_offset(z, local - a) == a) {
        *utc = local - a;
        return 0;
    }
    if (tf_zone_offset(z, local - b) == b) {
        *utc = local - b;
        return 0;
    }
    return -1;
}
