/*
 * isl_manifest.c: the rollback manifest (see isl_manifest.h for the
 * format and docs/rollback.md for how rollback uses it).
 */
#include "isl_setup.h"
#include "isl_manifest.h"
#include "isl_error.h"
#include "isl_jsonl.h"
#include "isl_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct isl_manifest {
    struct isl_jsonl *f;
    struct isl_bits *skip; /* rows already recorded by an earlier attempt */
    uint64_t inserted, updated, unknown;
};

static void now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_json(struct isl_manifest *m, const json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT);
    int rc = text ? isl_jsonl_write(m->f, text, strlen(text)) : ISL_ENOMEM;

    free(text);
    return rc;
}

int isl_manifest_create(struct isl_manifest **out, const char *path,
                        const json_t *head, struct isl_error *err)
{
    struct isl_manifest *m = calloc(1, sizeof(*m));
    int rc;

    *out = NULL;
    if (!m)
        return isl_error_set(err, ISL_ENOMEM, "manifest", "out of memory");
    rc = isl_jsonl_create(&m->f, path, err);
    if (rc == 0 && (write_json(m, head) < 0 || isl_jsonl_sync(m->f) < 0))
        rc = isl_error_set(err, ISL_EIO, "manifest", "cannot write %s", path);
    if (rc < 0) {
        isl_jsonl_close(m->f, NULL);
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

struct reopen {
    struct isl_manifest *m;
    struct isl_bits *rows;
    struct isl_error *err;
};

static int count_line(void *p, char *text, size_t len, uint64_t lineno)
{
    struct reopen *ro = p;
    json_t *o = json_loadb(text, len, 0, NULL);
    const char *action = json_string_value(json_object_get(o, "action"));
    json_int_t row = json_integer_value(json_object_get(o, "row"));
    int rc = 0;

    (void)lineno;
    if (action) {
        if (strcmp(action, "insert") == 0)
            ro->m->inserted++;
        else
            ro->m->updated++;
        if (json_object_get(o, "before_unknown"))
            ro->m->unknown++;
        if (row > 0 && isl_bits_set(ro->rows, (uint64_t)row) < 0)
            rc =
                isl_error_set(ro->err, ISL_ENOMEM, "manifest", "out of memory");
    } else if (json_object_get(o, "isload_manifest_end")) {
        /* an aborted attempt ended it; the resumed one goes on */
    }
    json_decref(o);
    return rc;
}

int isl_manifest_reopen(struct isl_manifest **out, const char *path,
                        struct isl_bits *rows, struct isl_error *err)
{
    struct isl_manifest *m = calloc(1, sizeof(*m));
    struct reopen ro = {m, rows, err};
    char at[32];
    json_t *line;
    int rc;

    *out = NULL;
    if (!m)
        return isl_error_set(err, ISL_ENOMEM, "manifest", "out of memory");
    m->skip = rows;
    rc = isl_jsonl_reopen(&m->f, path, count_line, &ro, err);
    now_iso(at, sizeof(at));
    line = json_pack("{s:i,s:s}", "isload_manifest_resume", 1, "at", at);
    if (rc == 0 && (write_json(m, line) < 0 || isl_jsonl_sync(m->f) < 0))
        rc = isl_error_set(err, ISL_EIO, "manifest", "cannot write %s", path);
    json_decref(line);
    if (rc < 0) {
        isl_jsonl_close(m->f, NULL);
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* The record in before (an array) with this sys_id, or NULL. */
static const json_t *prior_record(const json_t *before, const char *sys_id)
{
    size_t i;
    json_t *e;

    json_array_foreach(before, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "sys_id"));

        if (id && strcmp(id, sys_id) == 0)
            return e;
    }
    return NULL;
}

int isl_manifest_outcome(struct isl_manifest *m, const struct isl_outcome *o,
                         const char *run_start)
{
    bool inserted = strcmp(o->state, "inserted") == 0;
    const json_t *prior = NULL;
    const char *action = "update", *unknown = NULL, *created = NULL;
    json_t *line, *key;
    int rc;

    if ((!inserted && strcmp(o->state, "updated") != 0) || !*o->target_sys_id)
        return 0;
    if (m->skip && isl_bits_has(m->skip, o->row_no))
        return 0; /* an earlier attempt recorded it */
    if (o->after)
        created =
            json_string_value(json_object_get(o->after, "sys_created_on"));
    if (inserted) {
        action = "insert";
    } else if (!o->before) {
        unknown = "no before-image was read (the feed has no target "
                  "section)";
    } else if ((prior = prior_record(o->before, o->target_sys_id))) {
        /* an update of a record that existed: restore it on rollback */
    } else if (created && *run_start && strcmp(created, run_start) >= 0) {
        /* created after the run began, so by this run */
        action = "insert";
    } else {
        unknown = "the before-image query did not find this record (its "
                  "match value differs, e.g. in case, from the row's)";
    }
    key = json_loads(o->key_json ? o->key_json : "{}", 0, NULL);
    line = json_pack("{s:s,s:s,s:s,s:o,s:O,s:O,s:s,s:{s:s,s:I},s:I}", "action",
                     action, "table", o->target_table, "sys_id",
                     o->target_sys_id, "key", key ? key : json_object(),
                     "before", prior ? prior : json_null(), "after",
                     o->after ? o->after : json_null(), "import_set",
                     o->import_set, "source", "file", o->file, "line",
                     (json_int_t)o->line, "row", (json_int_t)o->row_no);
    if (line && unknown)
        json_object_set_new(line, "before_unknown", json_string(unknown));
    rc = line ? write_json(m, line) : ISL_ENOMEM;
    json_decref(line);
    if (rc < 0)
        return rc;
    if (strcmp(action, "insert") == 0)
        m->inserted++;
    else
        m->updated++;
    if (unknown)
        m->unknown++;
    return 0;
}

int isl_manifest_flush(struct isl_manifest *m)
{
    return isl_jsonl_flush(m->f);
}

uint64_t isl_manifest_inserts(const struct isl_manifest *m)
{
    return m->inserted;
}

uint64_t isl_manifest_updates(const struct isl_manifest *m)
{
    return m->updated;
}

int isl_manifest_end(struct isl_manifest *m, bool complete,
                     struct isl_error *err)
{
    char at[32];
    json_t *line;
    int rc;

    if (!m)
        return 0;
    now_iso(at, sizeof(at));
    line = json_pack("{s:i,s:I,s:I,s:I,s:b,s:s}", "isload_manifest_end", 1,
                     "inserted", (json_int_t)m->inserted, "updated",
                     (json_int_t)m->updated, "before_unknown",
                     (json_int_t)m->unknown, "complete", complete,
                     "finished_at", at);
    rc = line ? write_json(m, line) : ISL_ENOMEM;
    json_decref(line);
    if (isl_jsonl_close(m->f, err) < 0)
        rc = ISL_EIO;
    free(m);
    return rc;
}

void isl_manifest_abandon(struct isl_manifest *m)
{
    if (!m)
        return;
    isl_jsonl_close(m->f, NULL);
    free(m);
}

/* ---- reading ---- */

struct reader {
    struct isl_manifest_info *info;
    int (*fn)(void *payload, json_t *action, uint64_t lineno);
    void *payload;
    struct isl_error *err;
};

static int read_line(void *p, char *text, size_t len, uint64_t lineno)
{
    struct reader *rd = p;
    json_error_t jerr;
    json_t *o = json_loadb(text, len, 0, &jerr);
    int rc = 0;

    if (!json_is_object(o)) {
        json_decref(o);
        return isl_error_set(rd->err, ISL_EPARSE, "manifest",
                             "line %llu is not JSON: %s",
                             (unsigned long long)lineno, jerr.text);
    }
    if (lineno == 1) {
        if (!json_object_get(o, "isload_manifest")) {
            json_decref(o);
            return isl_error_set(rd->err, ISL_EPARSE, "manifest",
                                 "not an isload manifest (no "
                                 "isload_manifest head line)");
        }
        rd->info->head = o;
        return 0;
    }
    rd->info->ended = false;
    if (json_object_get(o, "isload_manifest_end")) {
        rd->info->ended = true;
        rd->info->complete = json_is_true(json_object_get(o, "complete"));
    } else if (json_object_get(o, "action")) {
        rd->info->nactions++;
        rc = rd->fn(rd->payload, o, lineno);
    }
    json_decref(o);
    return rc;
}

int isl_manifest_read(const char *path, struct isl_manifest_info *info,
                      int (*fn)(void *payload, json_t *action, uint64_t lineno),
                      void *payload, struct isl_error *err)
{
    struct reader rd = {info, fn, payload, err};
    int rc = isl_jsonl_read(path, read_line, &rd, &info->torn, err);

    if (rc == 0 && !info->head)
        rc = isl_error_set(err, ISL_EPARSE, "manifest", "%s is empty", path);
    return rc;
}

static int head_line(void *p, char *text, size_t len, uint64_t lineno)
{
    (void)lineno;
    *(json_t **)p = json_loadb(text, len, 0, NULL);
    return 1; /* the first line is all we want */
}

int isl_manifest_head(const char *path, json_t **head, struct isl_error *err)
{
    int rc;

    *head = NULL;
    rc = isl_jsonl_read(path, head_line, head, NULL, err);
    if (rc < 0)
        return rc;
    if (!json_object_get(*head, "isload_manifest")) {
        json_decref(*head);
        *head = NULL;
        return isl_error_set(err, ISL_EPARSE, "manifest",
                             "%s is not an isload manifest (no "
                             "isload_manifest head line)",
                             path);
    }
    return 0;
}
