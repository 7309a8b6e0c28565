/*
 * isl_run.c: a load run's record on disk (see isl_run.h).
 */
#include "isl_setup.h"
#include "isl_run.h"
#include "isl_bits.h"
#include "isl_buf.h"
#include "isl_chain.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_http.h"
#include "isl_journal.h"
#include "isl_loader.h"
#include "isl_manifest.h"
#include "isl_report.h"
#include "isl_sha256.h"
#include "isl_state.h"
#include "isl_jsonw.h"
#include "out_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct isl_run {
    struct isl_run_opts o;
    char id[64];
    char dir[2048];
    char manifest_path[4096];
    char started_at[32];
    int lock_fd;
    bool resumed;
    int attempt;
    struct isl_journal *journal;
    struct isl_manifest *manifest;
    struct isl_report *report;
    struct isl_state *state; /* the delta store, or NULL */
    struct isl_http *http;
    int64_t instance_time;       /* the instance's clock when the run began */
    char run_start[32];          /* the same as "yyyy-MM-dd HH:mm:ss" */
    struct isl_journal_state st; /* a resumed run's past */
    struct isl_bits in_manifest; /* rows the manifest already records */
    uint64_t replayed, done_seen;
    char report_path[4096], rejects_path[4096], log_path[4096];
    struct isl_buf key, text; /* a row's key and its text to hash */
};

/* UTC with milliseconds: runs begun in the same second still order. */
static void now_iso(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    char sec[20]; /* YYYY-MM-DDTHH:MM:SS */
    unsigned ms;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    if (!strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm))
        sec[0] = '\0';
    ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u;
    snprintf(buf, n, "%s.%03uZ", sec, ms);
}

static int mkdirs(const char *path)
{
    char tmp[4096];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void make_run_id(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    unsigned rnd = (unsigned)getpid() ^ (unsigned)t;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    char stamp[32];

    if (fd >= 0) {
        if (read(fd, &rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
            rnd ^= (unsigned)clock();
        close(fd);
    }
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    snprintf(buf, n, "%s-%04x", stamp, rnd & 0xffff);
}

/* Take STATE_DIR/.lock-FEED, or say who holds it. */
static int take_lock(struct isl_run *r, struct isl_error *err)
{
    char path[4096], pid[32] = "";
    ssize_t got;

    if (r->o.shard_count)
        snprintf(path, sizeof(path), "%s/.lock-%s.%u-of-%u", r->o.state_dir,
                 r->o.feed->name, r->o.shard_index, r->o.shard_count);
    else
        snprintf(path, sizeof(path), "%s/.lock-%s", r->o.state_dir,
                 r->o.feed->name);
    r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (r->lock_fd < 0)
        return isl_error_set(err, ISL_EIO, "run", "cannot open %s: %s", path,
                             strerror(errno));
    if (flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        got = read(r->lock_fd, pid, sizeof(pid) - 1);
        pid[got > 0 ? got : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        return isl_error_set(err, ISL_ECONFIG, "run",
                             "another run of feed %s is going in %s (lock %s "
                             "held by process %s); two runs of one feed are "
                             "not interleaved",
                             r->o.feed->name, r->o.state_dir, path,
                             *pid ? pid : "?");
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(r->lock_fd, 0) != 0 ||
        pwrite(r->lock_fd, pid, strlen(pid), 0) < 0)
        return isl_error_set(err, ISL_EIO, "run", "cannot write %s", path);
    return 0;
}

/* ---- run.json ---- */

/* "K/N" for shard K of N, or null. */
static json_t *shard_json(const struct isl_run *r)
{
    char s[32];

    if (!r->o.shard_count)
        return json_null();
    snprintf(s, sizeof(s), "%u/%u", r->o.shard_index, r->o.shard_count);
    return json_string(s);
}

static int write_run_json(struct isl_run *r, const char *status, int exit_code,
                          struct isl_report *report)
{
    char path[4096], tmp[4096], at[32];
    json_t *o = json_object(), *inputs = json_array();
    FILE *f;
    int rc = 0;

    for (size_t i = 0; i < r->o.ninputs; i++)
        json_array_append_new(inputs, json_string(r->o.inputs[i]));
    json_object_set_new(o, "run_id", json_string(r->id));
    json_object_set_new(o, "feed", json_string(r->o.feed->name));
    json_object_set_new(o, "feed_file", json_string(r->o.feed_file));
    json_object_set_new(o, "inputs", inputs);
    json_object_set_new(o, "instance", json_string(r->o.instance));
    json_object_set_new(o, "staging_table",
                        json_string(r->o.feed->staging_table));
    json_object_set_new(o, "started_at", json_string(r->started_at));
    json_object_set_new(o, "attempts", json_integer(r->attempt));
    json_object_set_new(o, "shard", shard_json(r));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    if (exit_code >= 0) {
        now_iso(at, sizeof(at));
        json_object_set_new(o, "finished_at", json_string(at));
        json_object_set_new(o, "exit", json_integer(exit_code));
    }
    if (report) {
        json_t *rep = isl_report_json(report, 0);
        static const char *const keep[] = {
            "rows_read",  "rows_valid",    "rows_rejected", "rows_filtered",
            "rows_sent",  "rows_not_sent", "results",       "duration_s",
            "rows_per_s", "requests"};

        for (size_t i = 0; i < ISL_ARRAY_LEN(keep); i++) {
            json_t *v = json_object_get(rep, keep[i]);

            if (v)
                json_object_set(o, keep[i], v);
        }
        json_decref(rep);
    }
    json_object_set_new(o, "journal", json_string("journal.jsonl.gz"));
    json_object_set_new(o, "manifest",
                        r->manifest_path[0] ? json_string(r->manifest_path)
                                            : json_null());
    json_object_set_new(o, "report", json_string(r->report_path));
    json_object_set_new(o, "rejects", json_string(r->rejects_path));
    json_object_set_new(o, "log", json_string(r->log_path));
    snprintf(path, sizeof(path), "%s/run.json", r->dir);
    snprintf(tmp, sizeof(tmp), "%s/run.json.tmp", r->dir);
    f = fopen(tmp, "w");
    if (!f || json_dumpf(o, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF ||
        fclose(f) != 0 || rename(tmp, path) != 0)
        rc = ISL_EIO;
    else
        f = NULL;
    if (f)
        fclose(f);
    json_decref(o);
    return rc;
}

/* ---- fresh runs ---- */

static json_t *input_list(const struct isl_run_opts *o, struct isl_error *err)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < o->ninputs; i++) {
        const char *p = o->inputs[i];
        char hex[65] = "";
        uint64_t size = 0;

        if (strcmp(p, "-") == 0) {
            json_array_append_new(list, json_pack("{s:s}", "path", p));
            continue;
        }
        if (isl_sha256_file(p, hex, &size, err) < 0) {
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list,
                              json_pack("{s:s,s:I,s:s}", "path", p, "size",
                                        (json_int_t)size, "sha256", hex));
    }
    return list;
}

static json_t *make_head(struct isl_run *r, json_t *inputs, const char *fhash)
{
    const struct isl_feed *f = r->o.feed;

    return json_pack(
        "{s:i,s:s,s:{s:s,s:s,s:s},s:o,s:s,s:s,s:s?,s:s,s:s,s:s,s:s?,s:s,"
        "s:s,s:o}",
        "isload_journal", 1, "run_id", r->id, "feed", "file", r->o.feed_file,
        "name", f->name, "sha256", fhash, "inputs", inputs, "instance",
        r->o.instance, "staging_table", f->staging_table, "target_table",
        f->target.table, "correlation_column", r->o.corr_col, "keys",
        r->o.labels ? "label" : "name", "mode", r->o.mode, "manifest",
        r->manifest_path[0] ? r->manifest_path : NULL, "started_at",
        r->started_at, "isload_version", ISL_VERSION, "shard", shard_json(r));
}

static json_t *manifest_head(struct isl_run *r)
{
    const struct isl_feed *f = r->o.feed;

    return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s?,s:s,s:s}", "isload_manifest", 1,
                     "run_id", r->id, "feed", f->name, "instance",
                     r->o.instance, "staging_table", f->staging_table,
                     "target_table", f->target.table, "started_at",
                     r->started_at, "isload_version", ISL_VERSION);
}

static int start_fresh(struct isl_run *r, struct isl_error *err)
{
    char path[4096], fhash[65];
    json_t *inputs, *head;
    int rc;

    if ((rc = isl_sha256_file(r->o.feed_file, fhash, NULL, err)) < 0)
        return rc;
    if (!(inputs = input_list(&r->o, err)))
        return err->code ? err->code : ISL_ENOMEM;
    make_run_id(r->id, sizeof(r->id));
    snprintf(r->dir, sizeof(r->dir), "%s/%s", r->o.state_dir, r->id);
    if (mkdirs(r->dir) < 0) {
        json_decref(inputs);
        return isl_error_set(err, ISL_EIO, "run", "cannot create %s: %s",
                             r->dir, strerror(errno));
    }
    now_iso(r->started_at, sizeof(r->started_at));
    r->attempt = 1;
    if (!r->o.no_manifest)
        snprintf(r->manifest_path, sizeof(r->manifest_path), "%s",
                 r->o.manifest ? r->o.manifest : "");
    if (!r->o.no_manifest && !r->o.manifest)
        snprintf(r->manifest_path, sizeof(r->manifest_path),
                 "%s/manifest.jsonl.gz", r->dir);
    head = make_head(r, inputs, fhash);
    snprintf(path, sizeof(path), "%s/journal.jsonl.gz", r->dir);
    rc = head ? isl_journal_create(&r->journal, path, head, err)
              : isl_error_set(err, ISL_ENOMEM, "run", "out of memory");
    json_decref(head);
    if (rc == 0 && r->manifest_path[0]) {
        json_t *mh = manifest_head(r);

        rc = isl_manifest_create(&r->manifest, r->manifest_path, mh, err);
        json_decref(mh);
    }
    return rc;
}

/* ---- resuming ---- */

/* The latest run of the feed that did not finish, or "" if none. */
static void find_unfinished(struct isl_run *r, char *id, size_t n)
{
    DIR *d = opendir(r->o.state_dir);
    struct dirent *e;
    char best[64] = "";

    *id = '\0';
    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[4096];
        json_t *run;
        const char *feed, *status, *started;
        json_t *want = shard_json(r);
        bool same_shard;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/run.json", r->o.state_dir,
                 e->d_name);
        run = json_load_file(path, 0, NULL);
        feed = json_string_value(json_object_get(run, "feed"));
        status = json_string_value(json_object_get(run, "status"));
        started = json_string_value(json_object_get(run, "started_at"));
        same_shard = json_equal(want, json_object_get(run, "shard")) ||
                     (json_is_null(want) && !json_object_get(run, "shard"));
        json_decref(want);
        if (feed && status && started && same_shard &&
            strcmp(feed, r->o.feed->name) == 0 &&
            (strcmp(status, "running") == 0 ||
             strcmp(status, "aborted") == 0) &&
            strcmp(started, best) >= 0) {
            snprintf(best, sizeof(best), "%s", started);
            if (strlen(e->d_name) < n)
                memcpy(id, e->d_name, strlen(e->d_name) + 1);
        }
        json_decref(run);
    }
    closedir(d);
}

static int replay_outcome(void *p, const struct isl_outcome *o)
{
    struct isl_run *r = p;

    r->replayed++;
    return isl_report_outcome(r->report, o);
}

static const char *head_str(const json_t *head, const char *k)
{
    const char *s = json_string_value(json_object_get(head, k));

    return s ? s : "";
}

/* Refuse to resume when what the run reads changed. */
static int check_same(struct isl_run *r, struct isl_error *err)
{
    const json_t *head = r->st.head;
    const json_t *feed = json_object_get(head, "feed");
    const json_t *inputs = json_object_get(head, "inputs");
    char fhash[65];
    int rc;

    if (strcmp(head_str(feed, "name"), r->o.feed->name) != 0)
        return isl_error_set(err, ISL_ECONFIG, "resume",
                             "run %s loaded feed %s, not %s", r->id,
                             head_str(feed, "name"), r->o.feed->name);
    if ((rc = isl_sha256_file(r->o.feed_file, fhash, NULL, err)) < 0)
        return rc;
    if (strcmp(fhash, head_str(feed, "sha256")) != 0)
        return isl_error_set(err, ISL_ECONFIG, "resume",
                             "the feed definition %s changed since run %s "
                             "began: a resumed run must read rows exactly as "
                             "it did (start a fresh run instead)",
                             r->o.feed_file, r->id);
    if (strcmp(head_str(head, "instance"), r->o.instance) != 0)
        return isl_error_set(err, ISL_ECONFIG, "resume",
                             "run %s loaded into %s, not %s", r->id,
                             head_str(head, "instance"), r->o.instance);
    {
        json_t *want = shard_json(r);
        bool same = json_equal(want, json_object_get(head, "shard"));

        json_decref(want);
        if (!same)
            return isl_error_set(err, ISL_ECONFIG, "resume",
                                 "run %s was another --shard: resume it "
                                 "with the same",
                                 r->id);
    }
    if (strcmp(head_str(head, "correlation_column"), r->o.corr_col) != 0 ||
        strcmp(head_str(head, "keys"), r->o.labels ? "label" : "name") != 0)
        return isl_error_set(err, ISL_ECONFIG, "resume",
                             "run %s used --correlation-column %s and --keys "
                             "%s: resume it with the same",
                             r->id, head_str(head, "correlation_column"),
                             head_str(head, "keys"));
    if (json_array_size(inputs) != r->o.ninputs)
        return isl_error_set(err, ISL_ECONFIG, "resume",
                             "run %s read %zu inputs, not %zu", r->id,
                             json_array_size(inputs), r->o.ninputs);
    for (size_t i = 0; i < r->o.ninputs; i++) {
        const json_t *in = json_array_get(inputs, i);
        const char *p = r->o.inputs[i];
        char hex[65];
        uint64_t size;

        if (strcmp(p, "-") == 0)
            return isl_error_set(err, ISL_ECONFIG, "resume",
                                 "cannot resume a run that reads standard "
                                 "input: it cannot be read again (save the "
                                 "input to a file and load that)");
        if (strcmp(head_str(in, "path"), p) != 0)
            return isl_error_set(err, ISL_ECONFIG, "resume",
                                 "run %s read %s as input %zu, not %s", r->id,
                                 head_str(in, "path"), i + 1, p);
        if ((rc = isl_sha256_file(p, hex, &size, err)) < 0)
            return rc;
        if (size != (uint64_t)json_integer_value(json_object_get(in, "size")) ||
            strcmp(hex, head_str(in, "sha256")) != 0)
            return isl_error_set(err, ISL_ECONFIG, "resume",
                                 "input %s changed since run %s began (size "
                                 "or content): a resumed run must read the "
                                 "same rows (start a fresh run instead)",
                                 p, r->id);
    }
    return 0;
}

static int resume(struct isl_run *r, const char *id, struct isl_error *err)
{
    char path[4096];
    int rc;

    snprintf(r->id, sizeof(r->id), "%s", id);
    snprintf(r->dir, sizeof(r->dir), "%s/%s", r->o.state_dir, id);
    snprintf(path, sizeof(path), "%s/journal.jsonl.gz", r->dir);
    if (access(path, R_OK) != 0)
        return isl_error_set(err, ISL_ECONFIG, "resume",
                             "no run %s in %s (no %s)", id, r->o.state_dir,
                             path);
    /* check before replaying: the head line is enough */
    rc = isl_journal_read(path, &r->st, NULL, NULL, err);
    if (rc == 0 && r->st.ended && strcmp(r->st.end_status, "aborted") != 0)
        rc = isl_error_set(err, ISL_ECONFIG, "resume",
                           "run %s finished (%s): there is nothing to resume",
                           id, r->st.end_status);
    if (rc == 0)
        rc = check_same(r, err);
    if (rc < 0)
        return rc;
    /* now for real: the recorded outcomes go into the report */
    isl_journal_state_free(&r->st);
    if ((rc = isl_journal_read(path, &r->st, replay_outcome, r, err)) < 0)
        return rc;
    snprintf(r->started_at, sizeof(r->started_at), "%s",
             head_str(r->st.head, "started_at"));
    snprintf(r->manifest_path, sizeof(r->manifest_path), "%s",
             head_str(r->st.head, "manifest"));
    r->instance_time = r->st.instance_time;
    r->attempt = r->st.attempts + 1;
    r->resumed = true;
    if ((rc = isl_journal_reopen(&r->journal, path, r->attempt, err)) < 0)
        return rc;
    if (r->manifest_path[0]) {
        if (access(r->manifest_path, F_OK) == 0)
            rc = isl_manifest_reopen(&r->manifest, r->manifest_path,
                                     &r->in_manifest, err);
        else
            rc = isl_error_set(err, ISL_EIO, "resume",
                               "the manifest of run %s, %s, is gone", id,
                               r->manifest_path);
    }
    return rc;
}

/* ---- the run ---- */

int isl_run_open(struct isl_run **out, const struct isl_run_opts *o,
                 struct isl_report *report, struct isl_error *err)
{
    struct isl_run *r = calloc(1, sizeof(*r));
    char id[64] = "";
    int rc;

    *out = NULL;
    if (!r)
        return isl_error_set(err, ISL_ENOMEM, "run", "out of memory");
    r->o = *o;
    r->report = report;
    r->lock_fd = -1;
    isl_buf_init(&r->key, 1 << 20);
    isl_buf_init(&r->text, (size_t)1 << 30);
    if (mkdirs(o->state_dir) < 0) {
        rc = isl_error_set(err, ISL_EIO, "run", "cannot create %s: %s",
                           o->state_dir, strerror(errno));
        goto fail;
    }
    if ((rc = take_lock(r, err)) < 0)
        goto fail;
    if (o->resume && o->resume_id)
        snprintf(id, sizeof(id), "%s", o->resume_id);
    else if (o->resume)
        find_unfinished(r, id, sizeof(id));
    if (o->resume && !*id)
        fprintf(stderr,
                "isload load: --resume: no interrupted run of feed %s in %s; "
                "starting a fresh run\n",
                o->feed->name, o->state_dir);
    rc = *id ? resume(r, id, err) : start_fresh(r, err);
    if (rc == 0 && o->delta != ISL_DELTA_OFF)
        rc = isl_state_open(&r->state, o->state_dir, o->feed->name, o->instance,
                            r->id, o->shard_index, o->shard_count, err);
    if (rc < 0)
        goto fail;
    if (r->resumed)
        fprintf(stderr,
                "isload load: resuming run %s (attempt %d): %llu rows have "
                "outcomes, %zu were in flight\n",
                r->id, r->attempt, (unsigned long long)r->replayed,
                json_object_size(r->st.inflight));
    if (write_run_json(r, "running", -1, NULL) < 0) {
        rc = isl_error_set(err, ISL_EIO, "run", "cannot write %s/run.json",
                           r->dir);
        goto fail;
    }
    *out = r;
    return 0;
fail:
    isl_state_close(r->state);
    isl_journal_abandon(r->journal);
    isl_manifest_abandon(r->manifest);
    isl_journal_state_free(&r->st);
    isl_bits_free(&r->in_manifest);
    isl_buf_free(&r->key);
    isl_buf_free(&r->text);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    free(r);
    return rc;
}

const char *isl_run_id(const struct isl_run *r)
{
    return r->id;
}

const char *isl_run_dir(const struct isl_run *r)
{
    return r->dir;
}

bool isl_run_resumed(const struct isl_run *r)
{
    return r->resumed;
}

int isl_run_attempt(const struct isl_run *r)
{
    return r->attempt;
}

bool isl_run_has_manifest(const struct isl_run *r)
{
    return r->manifest != NULL;
}

const char *isl_run_manifest_path(const struct isl_run *r)
{
    return r->manifest_path;
}

void isl_run_manifest_counts(const struct isl_run *r, uint64_t *inserts,
                             uint64_t *updates)
{
    *inserts = r->manifest ? isl_manifest_inserts(r->manifest) : 0;
    *updates = r->manifest ? isl_manifest_updates(r->manifest) : 0;
}

uint64_t isl_run_replayed(const struct isl_run *r)
{
    return r->replayed;
}

uint64_t isl_run_done_seen(const struct isl_run *r)
{
    return r->done_seen;
}

/* The key of a staging row into r->key; "" on failure. */
static const char *key_of(struct isl_run *r, const struct isl_row *out)
{
    isl_buf_reset(&r->key);
    if (out_format_key_json(&r->key, out, r->o.feed->key, r->o.feed->nkey) < 0)
        isl_buf_reset(&r->key);
    return r->key.data ? r->key.data : "";
}

bool isl_run_mine(struct isl_run *r, const struct isl_verdict *v)
{
    if (r->o.shard_count <= 1)
        return true;
    if (v->out) {
        const char *k = key_of(r, v->out);

        return isl_state_shard_of(k, strlen(k), r->o.shard_count) ==
               r->o.shard_index;
    }
    isl_buf_reset(&r->text);
    isl_buf_addf(&r->text, "%s:%llu", v->in->pos.file ? v->in->pos.file : "",
                 (unsigned long long)v->in->pos.line);
    return isl_state_shard_of(r->text.data ? r->text.data : "", r->text.len,
                              r->o.shard_count) == r->o.shard_index;
}

int isl_run_seen(struct isl_run *r, const struct isl_row *out)
{
    return r->state && out ? isl_state_seen(r->state, key_of(r, out)) : 0;
}

/* The earlier attempts' decision on row_no, or NEW. */
static enum isl_run_row recorded(struct isl_run *r, uint64_t row_no,
                                 const json_t **before)
{
    char no[24];
    json_t *b;

    *before = NULL;
    if (!r->resumed)
        return ISL_RUN_ROW_NEW;
    if (isl_bits_has(&r->st.done, row_no)) {
        r->done_seen++;
        return ISL_RUN_ROW_DONE;
    }
    snprintf(no, sizeof(no), "%llu", (unsigned long long)row_no);
    b = json_object_get(r->st.inflight, no);
    if (!b)
        return ISL_RUN_ROW_NEW;
    *before = json_is_array(b) ? b : NULL;
    return ISL_RUN_ROW_INFLIGHT;
}

enum isl_run_row isl_run_route(struct isl_run *r, uint64_t row_no,
                               const struct isl_row *out, const json_t **before)
{
    enum isl_run_row how;
    char hash[33], stored[33];
    const char *key = "";

    if (r->state) {
        key = key_of(r, out);
        if (isl_state_seen(r->state, key) < 0)
            return ISL_RUN_ROW_ERROR;
    }
    /* an earlier attempt's decisions stand */
    if ((how = recorded(r, row_no, before)) != ISL_RUN_ROW_NEW)
        return how;
    if (!r->state)
        return ISL_RUN_ROW_NEW;
    isl_buf_reset(&r->text);
    if (isl_jsonw_row(&r->text, out) < 0)
        return ISL_RUN_ROW_ERROR;
    isl_state_hash(r->text.data, r->text.len, hash);
    if (r->o.delta == ISL_DELTA_ON && isl_state_lookup(r->state, key, stored) &&
        strcmp(stored, hash) == 0)
        return ISL_RUN_ROW_UNCHANGED;
    return isl_state_sent(r->state, key, hash) < 0 ? ISL_RUN_ROW_ERROR
                                                   : ISL_RUN_ROW_NEW;
}

enum isl_run_row isl_run_route_missing(struct isl_run *r, uint64_t row_no,
                                       const char *key, const json_t **before)
{
    enum isl_run_row how = recorded(r, row_no, before);

    if (how != ISL_RUN_ROW_NEW || !r->state)
        return how;
    return isl_state_sent(r->state, key, NULL) < 0 ? ISL_RUN_ROW_ERROR
                                                   : ISL_RUN_ROW_NEW;
}

int isl_run_missing(struct isl_run *r, json_t **keys, uint64_t *stored,
                    struct isl_error *err)
{
    *keys = NULL;
    *stored = 0;
    return r->state ? isl_state_missing(r->state, keys, stored, err) : 0;
}

bool isl_run_has_state(const struct isl_run *r)
{
    return r->state != NULL;
}

void isl_run_set_http(struct isl_run *r, struct isl_http *http)
{
    r->http = http;
}

void isl_run_set_paths(struct isl_run *r, const char *report,
                       const char *rejects, const char *log)
{
    snprintf(r->report_path, sizeof(r->report_path), "%s", report);
    snprintf(r->rejects_path, sizeof(r->rejects_path), "%s", rejects);
    snprintf(r->log_path, sizeof(r->log_path), "%s", log);
}

/* Learn the instance's clock from the first answer, once per run. */
static int note_instance_time(struct isl_run *r)
{
    time_t t;
    struct tm tm;

    if (!r->instance_time && r->http && isl_http_first_date(r->http)) {
        r->instance_time = isl_http_first_date(r->http);
        if (isl_journal_instance_time(r->journal, r->instance_time) < 0)
            return ISL_EIO;
    }
    if (r->instance_time && !r->run_start[0]) {
        t = (time_t)r->instance_time;
        gmtime_r(&t, &tm);
        strftime(r->run_start, sizeof(r->run_start), "%Y-%m-%d %H:%M:%S", &tm);
    }
    return 0;
}

int isl_run_outcome(struct isl_run *r, const struct isl_outcome *o)
{
    int rc = note_instance_time(r);

    if (rc == 0)
        rc = isl_report_outcome(r->report, o);
    if (rc == 0)
        rc = isl_journal_outcome(r->journal, o);
    if (rc == 0 && r->manifest)
        rc = isl_manifest_outcome(r->manifest, o, r->run_start);
    /* the store learns only what the instance confirmed */
    if (rc == 0 && r->state && strcmp(o->state, "error") != 0)
        rc = isl_state_confirmed(r->state, o->key_json);
    return rc;
}

int isl_run_sent(struct isl_run *r, uint64_t batch, const uint64_t *rows,
                 size_t n, const json_t *before)
{
    int rc = note_instance_time(r);

    return rc < 0 ? rc : isl_journal_sent(r->journal, batch, rows, n, before);
}

int isl_run_acked(struct isl_run *r, uint64_t batch, const char *import_set)
{
    int rc = note_instance_time(r);

    return rc < 0 ? rc : isl_journal_acked(r->journal, batch, import_set);
}

int isl_run_batch_done(struct isl_run *r, uint64_t batch)
{
    /* the manifest first: a crash between the two leaves the rows in
     * flight, and a resume skips what the manifest already has */
    if (r->manifest && isl_manifest_flush(r->manifest) < 0)
        return ISL_EIO;
    if (r->state && isl_state_flush(r->state) < 0)
        return ISL_EIO;
    return isl_journal_done(r->journal, batch);
}

int isl_run_close(struct isl_run *r, const char *status, int exit_code,
                  struct isl_report *report, struct isl_error *err)
{
    int rc = 0;

    if (!r)
        return 0;
    /* only a run that completed advances the delta store */
    if (r->state && strcmp(status, "complete") == 0 &&
        isl_state_commit(r->state, err) < 0)
        rc = ISL_EIO;
    isl_state_close(r->state);
    if (isl_manifest_end(r->manifest, strcmp(status, "complete") == 0, err) < 0)
        rc = ISL_EIO;
    if (isl_journal_end(r->journal, status, exit_code, err) < 0)
        rc = ISL_EIO;
    if (write_run_json(r, status, exit_code, report) < 0 && rc == 0)
        rc = isl_error_set(err, ISL_EIO, "run", "cannot write %s/run.json",
                           r->dir);
    isl_journal_state_free(&r->st);
    isl_bits_free(&r->in_manifest);
    isl_buf_free(&r->key);
    isl_buf_free(&r->text);
    if (r->lock_fd >= 0)
        close(r->lock_fd); /* releases the lock */
    free(r);
    return rc;
}
