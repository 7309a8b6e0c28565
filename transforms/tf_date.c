/*
 * tf_date.c: the "date" value stage, and the core it shares with
 * "datetime" (tf_date.h). Each input format in "from" is tried in order
 * with the strict parser of tf_time.c; the first that consumes the whole
 * value and gives a date that exists wins, and the date is written with
 * "to" (default %Y-%m-%d, the form ServiceNow imports). Formats are
 * checked at init, so an unknown directive is a feed mistake. Empty
 * values pass.
 */
#include "isl_setup.h"
#include "tf_date.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const date_from_default[] = {"%Y-%m-%d", NULL};
static const char *const datetime_from_default[] = {
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", NULL};

static const char *from_at(const struct tf_date_ctx *c, size_t i)
{
    const char *const *d =
        c->datetime ? datetime_from_default : date_from_default;

    return c->from ? tf_list_get(c->from, i) : d[i];
}

static size_t from_count(const struct tf_date_ctx *c)
{
    return c->from ? tf_list_size(c->from) : c->datetime ? 3 : 1;
}

int tf_date_init_common(struct tf_stage *st, bool datetime,
                        struct isl_error *err)
{
    struct tf_date_ctx *c = st->ctx;
    struct tf_fmt_info info;
    char why[200];
    size_t n = 0;

    c->datetime = datetime;
    c->nfrom = from_count(c);
    for (size_t i = 0; i < c->nfrom; i++) {
        const char *f = from_at(c, i);
        const char *idx = c->from && json_is_array(c->from) ? "[" : "";

        if (tf_time_check(f, false, &info, why, sizeof(why)) < 0) {
            if (idx[0])
                return tf_init_error(err, ".from[%zu]: %s", i, why);
            return tf_init_error(err, ".from: %s", why);
        }
        if (!info.year || !((info.mon && info.day) || info.yday)) {
            snprintf(why, sizeof(why),
                     "'%s' needs a year (%%Y or %%y) and "
                     "a day (%%m and %%d, or %%j)",
                     f);
            if (idx[0])
                return tf_init_error(err, ".from[%zu]: %s", i, why);
            return tf_init_error(err, ".from: %s", why);
        }
        if (i < TF_DATE_FORMATS)
            c->fmts[i] = f;
        if (n < sizeof(c->tried))
            n += (size_t)snprintf(c->tried + n, sizeof(c->tried) - n, "%s%s",
                                  i ? ", " : "", f);
    }
    if (!c->to)
        c->to = datetime ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d";
    if (tf_time_check(c->to, true, &info, why, sizeof(why)) < 0)
        return tf_init_error(err, ".to: %s", why);
    c->to_iso = strcmp(c->to, "%Y-%m-%d") == 0;
    if (datetime && c->timezone &&
        tf_zone_load(&c->zone, c->timezone, why, sizeof(why)) < 0)
        return tf_init_error(err, ".timezone: %s", why);
    return 0;
}

int tf_date_value(struct tf_stage *st, const char *in, size_t len,
                  struct isl_buf *out, const struct tf_row *row,
                  struct isl_error *err)
{
    const struct tf_date_ctx *c = st->ctx;
    size_t i, n = c->nfrom;
    char q[TF_QUOTE_MAX + 8];
    struct tf_tm tm;

    (void)row;
    if (len == 0)
        return TF_PASS;
    for (i = 0; i < n; i++)
        if (tf_time_parse(i < TF_DATE_FORMATS ? c->fmts[i] : from_at(c, i), in,
                          len, &tm))
            break;
    if (i == n)
        return tf_reject(st, err, "%s is not a valid %s (tried %s)",
                         tf_quote(q, sizeof(q), in, len),
                         c->datetime ? "date and time" : "date", c->tried);
    if (c->datetime) {
        int64_t local = tf_days_from_civil(tm.year, tm.mon, tm.day) * 86400 +
                        tm.hour * 3600 + tm.min * 60 + tm.sec;
        int64_t utc, days;

        if (tm.has_off) {
            utc = local - tm.off;
        } else if (tf_zone_to_utc(&c->zone, local, &utc) < 0) {
            return tf_reject(st, err,
                             "%s does not exist in %s (the clocks skip it)",
                             tf_quote(q, sizeof(q), in, len), c->timezone);
        }
        days = (utc >= 0 ? utc : utc - 86399) / 86400;
        tf_civil_from_days(days, &tm.year, &tm.mon, &tm.day);
        utc -= days * 86400;
        tm.hour = (int)(utc / 3600);
        tm.min = (int)(utc / 60 % 60);
        tm.sec = (int)(utc % 60);
        tm.yday = (int)(days - tf_days_from_civil(tm.year, 1, 1)) + 1;
        tm.off = 0;
        if (tm.year < 0 || tm.year > 9999)
            return tf_reject(st, err, "%s is out of range",
                             tf_quote(q, sizeof(q), in, len));
    }
    isl_buf_reset(out);
    if (c->to_iso && tm.year >= 0 && tm.year <= 9999) {
        /* the usual output, written directly (what tf_time_format gives) */
        char d[10] = {(char)('0' + tm.year / 1000),
                      (char)('0' + tm.year / 100 % 10),
                      (char)('0' + tm.year / 10 % 10),
                      (char)('0' + tm.year % 10),
                      '-',
                      (char)('0' + tm.mon / 10),
                      (char)('0' + tm.mon % 10),
                      '-',
                      (char)('0' + tm.day / 10),
                      (char)('0' + tm.day % 10)};

        if (isl_buf_add(out, d, sizeof(d)) < 0)
            return tf_reject(st, err,
                             "the result does not fit the value buffer");
    } else if (tf_time_format(c->to, &tm, out) < 0) {
        return tf_reject(st, err, "the result does not fit the value buffer");
    }
    if (out->len == len && memcmp(out->data, in, len) == 0) {
        isl_buf_reset(out);
        return TF_PASS;
    }
    return TF_CHANGED;
}

void tf_date_close(struct tf_stage *st)
{
    struct tf_date_ctx *c = st->ctx;

    tf_zone_free(&c->zone);
}

static const struct tf_option date_options[] = {
    {"from", TF_OPT_STRING_LIST, false, offsetof(struct tf_date_ctx, from),
     "input formats tried in order (default [\"%Y-%m-%d\"]); directives "
     "%Y %y %m %d %b %B %H %I %p %M %S %j %z %f %F %T %%"},
    {"to", TF_OPT_STRING, false, offsetof(struct tf_date_ctx, to),
     "output format (default \"%Y-%m-%d\", ServiceNow's date format)"},
    {.help = NULL},
};

static int date_init(struct tf_stage *st, const json_t *opts,
                     const char *column, struct isl_error *err)
{
    (void)opts;
    (void)column;
    return tf_date_init_common(st, false, err);
}

const struct tf_stage_type tf_date = {
    .name = "date",
    .kind = TF_VALUE,
    .summary = "parse a date with the first matching format and rewrite it",
    .options = date_options,
    .ctx_size = sizeof(struct tf_date_ctx),
    .init = date_init,
    .value = tf_date_value,
    .close = tf_date_close,
};
