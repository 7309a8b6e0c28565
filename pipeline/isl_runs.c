/*
 * isl_runs.c: reading the run history (see isl_runs.h).
 *
 * Whether a "running" run still runs is told by its feed lock: the
 * running process holds an flock on STATE_DIR/.lock-FEED and wrote its
 * pid there. The lock is looked up in /proc/locks, which shows it without
 * touching it; only where /proc/locks cannot be read is it tried
 * (LOCK_SH|LOCK_NB, let go at once).
 */
#include "isl_setup.h"
#include "isl_runs.h"
#include "isl_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

double isl_runs_parse_time(const char *iso)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, s, n = 0;
    double frac = 0;

    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
                       &s, &n) != 6)
        return -1;
    if (iso[n] == '.') {
        double scale = 0.1;

        for (n++; iso[n] >= '0' && iso[n] <= '9'; n++, scale /= 10)
            frac += (iso[n] - '0') * scale;
    }
    if (strcmp(iso + n, "Z") != 0)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (double)timegm(&tm) + frac;
}

void isl_runs_shard(const json_t *doc, char *buf, size_t n)
{
    const json_t *sh = json_object_get(doc, "shard");

    *buf = '\0';
    if (json_is_string(sh))
        snprintf(buf, n, "%s", json_string_value(sh));
    else if (json_is_object(sh))
        snprintf(buf, n, "%lld/%lld",
                 (long long)json_integer_value(json_object_get(sh, "index")),
                 (long long)json_integer_value(json_object_get(sh, "count")));
}

/* Is the lock file held? 1 yes, 0 no; *pid gets the pid it holds. */
static int lock_held(const char *path, long *pid)
{
    struct stat st;
    char line[512];
    FILE *f;
    int held = 0, fd;

    *pid = 0;
    if (stat(path, &st) != 0)
        return 0;
    if ((f = fopen(path, "r"))) {
        if (fscanf(f, "%ld", pid) != 1)
            *pid = 0;
        fclose(f);
    }
    if ((f = fopen("/proc/locks", "r"))) {
        /* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5441057 0 EOF" */
        while (!held && fgets(line, sizeof(line), f)) {
            char *save = NULL;

            for (char *t = strtok_r(line, " \n", &save); t && !held;
                 t = strtok_r(NULL, " \n", &save)) {
                unsigned maj, min;
                unsigned long long ino;
                int end = 0;

                if (sscanf(t, "%x:%x:%llu%n", &maj, &min, &ino, &end) == 3 &&
                    t[end] == '\0')
                    held = maj == major(st.st_dev) && min == minor(st.st_dev) &&
                           ino == (unsigned long long)st.st_ino;
            }
        }
        fclose(f);
        return held;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        held = errno == EWOULDBLOCK;
    close(fd);
    return held;
}

static bool known_status(const char *s)
{
    static const char *const names[] = {"running", "complete", "aborted",
                                        "threshold", "failed"};

    for (size_t i = 0; i < ISL_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

const char *isl_runs_str(const struct isl_runs_entry *e, const char *key)
{
    return json_string_value(json_object_get(e->run, key));
}

int isl_runs_path(const struct isl_runs_entry *e, const char *key, char *buf,
                  size_t n)
{
    const char *p = isl_runs_str(e, key);
    const char *base;

    if (!p || !*p)
        return -1;
    base = strrchr(p, '/');
    /* the journal is named relative to the run folder */
    if (strcmp(key, "journal") != 0 && access(p, F_OK) == 0) {
        snprintf(buf, n, "%s", p);
        return 1;
    }
    snprintf(buf, n, "%s/%s", e->dir, base ? base + 1 : p);
    if (access(buf, F_OK) == 0)
        return 1;
    if (strcmp(key, "journal") != 0)
        snprintf(buf, n, "%s", p);
    return 0;
}

/* Fill e->status and e->problem from e->run. */
static void judge(struct isl_runs_entry *e, const char *state_dir)
{
    static const char *const needed[] = {"run_id", "feed", "started_at",
                                         "status"};
    const char *status = isl_runs_str(e, "status");
    const char *feed = isl_runs_str(e, "feed");
    const char *id = isl_runs_str(e, "run_id");
    char path[4096];

    e->status = "broken";
    if (!json_is_object(e->run)) {
        snprintf(e->problem, sizeof(e->problem), "run.json is not an object");
        return;
    }
    for (size_t i = 0; i < ISL_ARRAY_LEN(needed); i++)
        if (!isl_runs_str(e, needed[i])) {
            snprintf(e->problem, sizeof(e->problem),
                     "run.json has no \"%s\" (half-written?)", needed[i]);
            return;
        }
    if (!known_status(status)) {
        snprintf(e->problem, sizeof(e->problem),
                 "run.json has an unknown status \"%.100s\"", status);
        return;
    }
    e->status = status;
    if (strcmp(id, e->id) != 0)
        snprintf(e->problem, sizeof(e->problem),
                 "run.json says run %.100s, but the folder is %.100s", id,
                 e->id);
    if (strcmp(status, "running") == 0) {
        unsigned k, n;
        long pid;
        char shard[64];

        /* the lock names isl_run.c takes (see take_lock there) */
        isl_runs_shard(e->run, shard, sizeof(shard));
        if (sscanf(shard, "%u/%u", &k, &n) == 2)
            snprintf(path, sizeof(path), "%s/.lock-%s.%u-of-%u", state_dir,
                     feed, k, n);
        else
            snprintf(path, sizeof(path), "%s/.lock-%s", state_dir, feed);
        if (!lock_held(path, &pid) ||
            pid != (long)json_integer_value(json_object_get(e->run, "pid")))
            e->status = "interrupted";
        return;
    }
    if (!json_is_integer(json_object_get(e->run, "exit"))) {
        snprintf(e->problem, sizeof(e->problem),
                 "run.json says %s but has no exit code", status);
        return;
    }
    if (!e->problem[0] && isl_runs_path(e, "report", path, sizeof(path)) == 0)
        snprintf(e->problem, sizeof(e->problem), "the report %.400s is missing",
                 path);
}

/* The time in a run id, YYYYMMDDTHHMMSS-xxxx, as ISO, or "". */
static void id_time(const char *id, char *buf, size_t n)
{
    *buf = '\0';
    if (strlen(id) >= 15 && id[8] == 'T')
        snprintf(buf, n, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", id, id + 4, id + 6,
                 id + 9, id + 11, id + 13);
}

static void read_entry(struct isl_runs_entry *e, const char *state_dir,
                       const char *id)
{
    char path[4096 + 32];
    json_error_t je;
    const char *started;

    memset(e, 0, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", id);
    snprintf(e->dir, sizeof(e->dir), "%s/%s", state_dir, id);
    snprintf(path, sizeof(path), "%s/run.json", e->dir);
    e->status = "broken";
    if (access(path, F_OK) != 0) {
        snprintf(path, sizeof(path), "%s/journal.jsonl.gz", e->dir);
        snprintf(e->problem, sizeof(e->problem), "%s",
                 access(path, F_OK) == 0 ? "no run.json (the run stopped while "
                                           "starting, before it sent anything)"
                                         : "no run.json: not a run folder");
    } else if (!(e->run = json_load_file(path, 0, &je))) {
        snprintf(e->problem, sizeof(e->problem),
                 "run.json is not valid JSON (line %d: %.300s)", je.line,
                 je.text);
    } else {
        judge(e, state_dir);
    }
    started = isl_runs_str(e, "started_at");
    if (started && isl_runs_parse_time(started) >= 0)
        snprintf(e->sort_key, sizeof(e->sort_key), "%s", started);
    else
        id_time(e->id, e->sort_key, sizeof(e->sort_key));
}

void isl_runs_entry_free(struct isl_runs_entry *e)
{
    if (e) {
        json_decref(e->run);
        e->run = NULL;
    }
}

static int newest_first(const void *a, const void *b)
{
    const struct isl_runs_entry *x = a, *y = b;
    int c = strcmp(y->sort_key, x->sort_key);

    return c ? c : strcmp(y->id, x->id);
}

int isl_runs_read(struct isl_runs *out, const char *state_dir, const char *feed,
                  struct isl_error *err)
{
    DIR *d = opendir(state_dir);
    struct dirent *de;
    size_t cap = 0;

    out->v = NULL;
    out->n = 0;
    if (!d)
        return isl_error_set(err, ISL_EIO, "runs",
                             "cannot read the state directory %s: %s",
                             state_dir, strerror(errno));
    while ((de = readdir(d))) {
        char path[4096];
        struct stat st;
        struct isl_runs_entry *e;
        const char *f;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct isl_runs_entry *v = realloc(out->v, ncap * sizeof(*v));

            if (!v) {
                closedir(d);
                isl_runs_free(out);
                return isl_error_set(err, ISL_ENOMEM, "runs", "out of memory");
            }
            out->v = v;
            cap = ncap;
        }
        e = &out->v[out->n];
        read_entry(e, state_dir, de->d_name);
        f = isl_runs_str(e, "feed");
        if (feed && (!f || strcmp(f, feed) != 0)) {
            isl_runs_entry_free(e);
            continue;
        }
        out->n++;
    }
    closedir(d);
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), newest_first);
    return 0;
}

void isl_runs_free(struct isl_runs *runs)
{
    for (size_t i = 0; i < runs->n; i++)
        isl_runs_entry_free(&runs->v[i]);
    free(runs->v);
    runs->v = NULL;
    runs->n = 0;
}

int isl_runs_read_one(struct isl_runs_entry *out, const char *state_dir,
                      const char *id, struct isl_error *err)
{
    char path[4096];
    struct stat st;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "%s/%s", state_dir, id);
    if (!*id || id[0] == '.' || strchr(id, '/') || stat(path, &st) != 0 ||
        !S_ISDIR(st.st_mode))
        return isl_error_set(err, ISL_ECONFIG, "runs", "no run %s in %s", id,
                             state_dir);
    read_entry(out, state_dir, id);
    return 0;
}

double isl_runs_last_success(const char *state_dir, const char *feed,
                             const char *shard)
{
    struct isl_runs runs;
    struct isl_error err;
    double best = 0;

    isl_error_clear(&err);
    if (isl_runs_read(&runs, state_dir, feed, &err) < 0)
        return 0;
    for (size_t i = 0; i < runs.n; i++) {
        const json_t *run = runs.v[i].run;
        const json_t *ex = json_object_get(run, "exit");
        double t = isl_runs_parse_time(isl_runs_str(&runs.v[i], "finished_at"));
        char sh[64];

        isl_runs_shard(run, sh, sizeof(sh));
        if (json_is_integer(ex) && json_integer_value(ex) >= 0 &&
            json_integer_value(ex) <= 1 && strcmp(sh, shard) == 0 && t > best)
            best = t;
    }
    isl_runs_free(&runs);
    return best;
}
