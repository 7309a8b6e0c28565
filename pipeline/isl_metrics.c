/*
 * isl_metrics.c: a load run's Prometheus text file (see isl_metrics.h).
 *
 * Every family is a gauge holding the last run's value (a run's counts
 * are not a running total: a counter would make rate() and increase()
 * wrong across runs), labelled feed="..." and, for a shard, shard="K/N".
 */
#include "isl_setup.h"
#include "isl_metrics.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_runs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAST_SUCCESS "isload_last_success_timestamp_seconds"

/* A label value with \, " and newline escaped. */
static int add_label(struct isl_buf *b, const char *name, const char *value)
{
    int rc = isl_buf_addf(b, "%s=\"", name);

    for (const char *p = value; rc == 0 && *p; p++) {
        if (*p == '\\')
            rc = isl_buf_adds(b, "\\\\");
        else if (*p == '"')
            rc = isl_buf_adds(b, "\\\"");
        else if (*p == '\n')
            rc = isl_buf_adds(b, "\\n");
        else
            rc = isl_buf_addc(b, *p);
    }
    return rc ? rc : isl_buf_addc(b, '"');
}

/* feed="..."[,shard="K/N"] */
static int add_run_labels(struct isl_buf *b, const struct isl_metrics *m)
{
    int rc = add_label(b, "feed", m->feed ? m->feed : "");

    if (rc == 0 && m->shard && *m->shard)
        rc = isl_buf_addc(b, ',');
    if (rc == 0 && m->shard && *m->shard)
        rc = add_label(b, "shard", m->shard);
    return rc;
}

static int family(struct isl_buf *b, const char *name, const char *help)
{
    return isl_buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{feed,shard[,label="value"]} */
static int sample_start(struct isl_buf *b, const struct isl_metrics *m,
                        const char *name, const char *label, const char *value)
{
    int rc = isl_buf_addf(b, "%s{", name);

    if (rc == 0)
        rc = add_run_labels(b, m);
    if (rc == 0 && label)
        rc = isl_buf_addc(b, ',');
    if (rc == 0 && label)
        rc = add_label(b, label, value);
    return rc ? rc : isl_buf_adds(b, "} ");
}

static int counts(struct isl_buf *b, const struct isl_metrics *m,
                  const char *name, const char *label,
                  const struct isl_metrics_count *c, size_t n)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++)
        if ((rc = sample_start(b, m, name, label, c[i].name)) == 0)
            rc = isl_buf_addf(b, "%llu\n", (unsigned long long)c[i].n);
    return rc;
}

int isl_metrics_format(struct isl_buf *out, const struct isl_metrics *m)
{
    int rc = family(out, "isload_rows",
                    "Rows of the last run of the feed, by outcome (as in its "
                    "report).");

    rc = rc ? rc : counts(out, m, "isload_rows", "outcome", m->rows, m->nrows);
    rc = rc ? rc
            : family(out, "isload_run_duration_seconds",
                     "How long the last run took.");
    if (rc == 0 && m->has_duration &&
        (rc = sample_start(out, m, "isload_run_duration_seconds", NULL,
                           NULL)) == 0)
        rc = isl_buf_addf(out, "%.3f\n", m->duration_s);
    rc = rc ? rc
            : family(out, "isload_requests_total",
                     "HTTP requests of the last run, by status "
                     "(transport_error: no answer).");
    rc = rc ? rc
            : counts(out, m, "isload_requests_total", "status", m->requests,
                     m->nrequests);
    rc = rc ? rc
            : family(out, "isload_retries_total",
                     "Requests the last run sent again.");
    if (rc == 0 && m->has_retries &&
        (rc = sample_start(out, m, "isload_retries_total", NULL, NULL)) == 0)
        rc = isl_buf_addf(out, "%llu\n", (unsigned long long)m->retries);
    rc = rc ? rc
            : family(out, "isload_run_exit_code",
                     "Exit code of the last run: 0 fine, 1 rows rejected or "
                     "in error, 2 usage, config or input error, 3 threshold "
                     "exceeded or aborted.");
    if (rc == 0 &&
        (rc = sample_start(out, m, "isload_run_exit_code", NULL, NULL)) == 0)
        rc = isl_buf_addf(out, "%d\n", m->exit_code);
    rc = rc ? rc
            : family(out, "isload_run_timestamp_seconds",
                     "When the last run ended (seconds since the epoch).");
    if (rc == 0 && (rc = sample_start(out, m, "isload_run_timestamp_seconds",
                                      NULL, NULL)) == 0)
        rc = isl_buf_addf(out, "%.3f\n", m->run_time);
    rc = rc ? rc
            : family(out, LAST_SUCCESS,
                     "When the last run that exited 0 or 1 ended (0: none "
                     "known).");
    if (rc == 0 && (rc = sample_start(out, m, LAST_SUCCESS, NULL, NULL)) == 0)
        rc = isl_buf_addf(out, "%.3f\n", m->last_success);
    return rc;
}

double isl_metrics_read_last_success(const char *path, const char *feed,
                                     const char *shard)
{
    struct isl_metrics m = {.feed = feed, .shard = shard};
    struct isl_buf want;
    char *line = NULL;
    size_t cap = 0;
    double v = 0;
    FILE *f = fopen(path, "r");

    if (!f)
        return 0;
    isl_buf_init(&want, 1 << 16);
    if (sample_start(&want, &m, LAST_SUCCESS, NULL, NULL) == 0)
        while (getline(&line, &cap, f) > 0)
            if (strncmp(line, want.data, want.len) == 0) {
                char *end;
                double x = strtod(line + want.len, &end);

                if (end != line + want.len && x > 0)
                    v = x;
            }
    free(line);
    fclose(f);
    isl_buf_free(&want);
    return v;
}

static int fsync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd, rc;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int isl_metrics_write_file(const char *path, const char *data, size_t len,
                           struct isl_error *err)
{
    char tmp[4096];
    const char *failed = NULL;
    size_t done = 0;
    int fd;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return isl_error_set(err, ISL_EIO, "metrics", "path too long: %s",
                             path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return isl_error_set(err, ISL_EIO, "metrics", "cannot create %s: %s",
                             tmp, strerror(errno));
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done < len)
        failed = "write";
    else if (fsync(fd) != 0)
        failed = "fsync";
    if (close(fd) != 0 && !failed)
        failed = "close";
    if (!failed && rename(tmp, path) != 0)
        failed = "rename";
    if (failed) {
        isl_error_set(err, ISL_EIO, "metrics", "cannot %s %s: %s", failed, tmp,
                      strerror(errno));
        unlink(tmp);
        return ISL_EIO;
    }
    (void)fsync_dir_of(path); /* makes the rename itself durable; best effort */
    return 0;
}

static uint64_t uint_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) && json_integer_value(v) > 0
               ? (uint64_t)json_integer_value(v)
               : 0;
}

/* The rows of the report by outcome; counts it does not have are left
 * out, but for unchanged (0 for feeds without delta). */
static size_t rows_of(const json_t *doc, struct isl_metrics_count *rows)
{
    static const char *const counts[][2] = {
        {"read", "rows_read"},
        {"rejected", "rows_rejected"},
        {"filtered", "rows_filtered"},
        {"unchanged", "rows_unchanged"},
        {"other_shards", "rows_other_shards"},
        {"sent", "rows_sent"},
        {"deactivated", "rows_deactivated"},
        {"not_sent", "rows_not_sent"},
    };
    static const char *const results[] = {"inserted", "updated", "ignored",
                                          "skipped", "error"};
    const json_t *res = json_object_get(doc, "results");
    size_t n = 0;

    for (size_t i = 0; i < ISL_ARRAY_LEN(counts); i++)
        if (json_object_get(doc, counts[i][1]) ||
            strcmp(counts[i][0], "unchanged") == 0) {
            rows[n].name = counts[i][0];
            rows[n++].n = uint_of(doc, counts[i][1]);
        }
    for (size_t i = 0; res && i < ISL_ARRAY_LEN(results); i++) {
        rows[n].name = results[i];
        rows[n++].n = uint_of(res, results[i]);
    }
    return n;
}

int isl_metrics_write_run(const char *path, const char *feed, const json_t *doc,
                          int exit_code, const char *state_dir,
                          struct isl_error *err)
{
    const json_t *req = json_object_get(doc, "requests");
    const json_t *by_status = json_object_get(req, "by_status");
    const char *finished =
        json_string_value(json_object_get(doc, "finished_at"));
    struct isl_metrics_count rows[16], *requests = NULL;
    struct isl_metrics m = {.feed = feed, .exit_code = exit_code};
    struct isl_buf text;
    struct timespec now;
    char shard[64];
    const char *status;
    json_t *v;
    int rc;

    isl_buf_init(&text, (size_t)1 << 24);
    isl_runs_shard(doc, shard, sizeof(shard));
    m.shard = shard;
    if (doc)
        m.nrows = rows_of(doc, rows);
    m.rows = rows;
    m.has_duration = finished && *finished;
    m.duration_s = json_number_value(json_object_get(doc, "duration_s"));
    m.has_retries = json_object_get(req, "retries") != NULL;
    m.retries = uint_of(req, "retries");
    if (json_object_size(by_status) &&
        !(requests = calloc(json_object_size(by_status), sizeof(*requests)))) {
        rc = isl_error_set(err, ISL_ENOMEM, "metrics", "out of memory");
        goto out;
    }
    json_object_foreach((json_t *)by_status, status, v)
    {
        requests[m.nrequests].name = status;
        requests[m.nrequests++].n =
            json_is_integer(v) && json_integer_value(v) > 0
                ? (uint64_t)json_integer_value(v)
                : 0;
    }
    m.requests = requests;
    clock_gettime(CLOCK_REALTIME, &now);
    m.run_time = (double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1e3;
    if (exit_code == 0 || exit_code == 1) {
        m.last_success = m.run_time;
    } else {
        double hist = isl_runs_last_success(state_dir, feed, shard);

        m.last_success = isl_metrics_read_last_success(path, feed, shard);
        if (hist > m.last_success)
            m.last_success = hist;
    }
    if ((rc = isl_metrics_format(&text, &m)) < 0) {
        isl_error_set(err, rc, "metrics", "out of memory");
        goto out;
    }
    rc = isl_metrics_write_file(path, text.data, text.len, err);
out:
    free(requests);
    isl_buf_free(&text);
    return rc;
}
