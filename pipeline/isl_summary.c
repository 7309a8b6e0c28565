/*
 * isl_summary.c: the final one-line summary of a load run (see
 * isl_summary.h).
 */
#include "isl_setup.h"
#include "isl_summary.h"
#include "isl_buf.h"
#include "isl_runs.h"

#include <string.h>

static unsigned long long count_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) && json_integer_value(v) > 0
               ? (unsigned long long)json_integer_value(v)
               : 0;
}

/* ", NAME N" when the report has key and it is not 0 */
static int add_nonzero(struct isl_buf *b, const json_t *doc, const char *name,
                       const char *key)
{
    unsigned long long n = count_of(doc, key);

    return n ? isl_buf_addf(b, ", %s %llu", name, n) : 0;
}

static int add_counts(struct isl_buf *b, const json_t *doc)
{
    const json_t *res = json_object_get(doc, "results");
    const char *finished =
        json_string_value(json_object_get(doc, "finished_at"));
    int rc = isl_buf_addf(b, ": read %llu, rejected %llu",
                          count_of(doc, "rows_read"),
                          count_of(doc, "rows_rejected"));

    rc = rc ? rc : add_nonzero(b, doc, "filtered", "rows_filtered");
    rc = rc ? rc : add_nonzero(b, doc, "unchanged", "rows_unchanged");
    rc = rc ? rc : add_nonzero(b, doc, "other shards", "rows_other_shards");
    if (rc == 0 && json_object_get(doc, "rows_sent"))
        rc = isl_buf_addf(
            b,
            ", sent %llu (inserted %llu, updated %llu, ignored %llu, skipped "
            "%llu, error %llu)",
            count_of(doc, "rows_sent"), count_of(res, "inserted"),
            count_of(res, "updated"), count_of(res, "ignored"),
            count_of(res, "skipped"), count_of(res, "error"));
    rc = rc ? rc : add_nonzero(b, doc, "deactivated", "rows_deactivated");
    rc = rc ? rc : add_nonzero(b, doc, "not sent", "rows_not_sent");
    if (rc == 0 && finished && *finished)
        rc =
            isl_buf_addf(b, ", %.1f s",
                         json_number_value(json_object_get(doc, "duration_s")));
    return rc;
}

int isl_summary_format(struct isl_buf *out, const char *run_id,
                       const char *feed, const json_t *report, int exit_code,
                       const char *reason)
{
    char shard[64];
    int rc;

    isl_runs_shard(report, shard, sizeof(shard));
    rc = isl_buf_addf(out, "isload: run %s feed %s%s%s exit %d", run_id, feed,
                      *shard ? " shard " : "", shard, exit_code);
    /* a run that failed before it read anything has no counts to give */
    if (rc == 0 && report &&
        (count_of(report, "rows_read") || json_object_get(report, "rows_sent")))
        rc = add_counts(out, report);
    if (rc == 0 && reason && *reason) {
        size_t from = out->len + 2;

        rc = isl_buf_addf(out, "; %s", reason);
        /* one line, whatever the reason says */
        for (size_t i = from; rc == 0 && i < out->len; i++)
            if (out->data[i] == '\n' || out->data[i] == '\r')
                out->data[i] = ' ';
    }
    return rc ? rc : isl_buf_addc(out, '\n');
}

void isl_summary_print(FILE *f, const char *run_id, const char *feed,
                       const json_t *doc, int exit_code, const char *reason)
{
    struct isl_buf b;

    isl_buf_init(&b, 1 << 16);
    if (isl_summary_format(&b, run_id, feed, doc, exit_code, reason) == 0)
        fputs(b.data, f);
    else /* too long a reason: the start of the line still says it all */
        fprintf(f, "isload: run %s feed %s exit %d\n", run_id, feed, exit_code);
    fflush(f);
    isl_buf_free(&b);
}
