/*
 * tf_datetime.c: the "datetime" value stage: as "date" (tf_date.c), but
 * the value is a wall-clock time in "timezone" (default UTC) and is
 * written in UTC, default "%Y-%m-%d %H:%M:%S", which is what the Import Set
 * API expects for glide_date_time columns. A value with %z uses its own
 * offset. Times the clocks skip are rejected; repeated ones (clocks going
 * back) take the earlier instant. The zone's offset table is built once at
 * init (tf_time.h); values never touch the TZ variable.
 */
#include "isl_setup.h"
#include "tf_date.h"

#include <stddef.h>

static const struct tf_option datetime_options[] = {
    {"from", TF_OPT_STRING_LIST, false, offsetof(struct tf_date_ctx, from),
     "input formats tried in order (default [\"%Y-%m-%d %H:%M:%S\", "
     "\"%Y-%m-%dT%H:%M:%S\", \"%Y-%m-%dT%H:%M:%S%z\"])"},
    {"to", TF_OPT_STRING, false, offsetof(struct tf_date_ctx, to),
     "output format, in UTC (default \"%Y-%m-%d %H:%M:%S\")"},
    {"timezone", TF_OPT_STRING, false, offsetof(struct tf_date_ctx, timezone),
     "IANA zone the input is in, e.g. \"America/New_York\" (default UTC)"},
    {.help = NULL},
};

static int datetime_init(struct tf_stage *st, const json_t *opts,
                         const char *column, struct isl_error *err)
{
    (void)opts;
    (void)column;
    return tf_date_init_common(st, true, err);
}

const struct tf_stage_type tf_datetime = {
    .name = "datetime",
    .kind = TF_VALUE,
    .summary = "parse a date and time in a zone and write it in UTC",
    .options = datetime_options,
    .ctx_size = sizeof(struct tf_date_ctx),
    .init = datetime_init,
    .value = tf_date_value,
    .close = tf_date_close,
};
