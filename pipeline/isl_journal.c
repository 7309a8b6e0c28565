/*
 * isl_journal.c: the run journal (see isl_journal.h for the format).
 *
 * Lines are written with the small JSON writer (outcomes arrive by the
 * batch on the loader's hot path) and read back with jansson (a resume
 * reads the journal once).
 */
#include "isl_setup.h"
#include "isl_journal.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_jsonl.h"
#include "isl_jsonw.h"
#include "isl_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct isl_journal {
    struct isl_jsonl *f;
    struct isl_buf line;    /* the line being built */
    struct isl_buf pending; /* outcomes of the batch being finished */
    bool failed;
};

static void now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int journal_new(struct isl_journal **out, struct isl_error *err)
{
    struct isl_journal *j = calloc(1, sizeof(*j));

    *out = j;
    if (!j)
        return isl_error_set(err, ISL_ENOMEM, "journal", "out of memory");
    isl_buf_init(&j->line, (size_t)256 << 20);
    isl_buf_init(&j->pending, (size_t)256 << 20);
    return 0;
}

static void journal_free(struct isl_journal *j)
{
    if (!j)
        return;
    isl_buf_free(&j->line);
    isl_buf_free(&j->pending);
    free(j);
}

static int put(struct isl_journal *j)
{
    if (isl_jsonl_write(j->f, j->line.data ? j->line.data : "", j->line.len) <
        0)
        j->failed = true;
    isl_buf_reset(&j->line);
    return j->failed ? ISL_EIO : 0;
}

int isl_journal_create(struct isl_journal **out, const char *path,
                       const json_t *head, struct isl_error *err)
{
    struct isl_journal *j;
    char *text = json_dumps(head, JSON_COMPACT);
    int rc = journal_new(&j, err);

    *out = NULL;
    if (rc == 0 && !text)
        rc = isl_error_set(err, ISL_ENOMEM, "journal", "out of memory");
    if (rc == 0)
        rc = isl_jsonl_create(&j->f, path, err);
    if (rc == 0 && (isl_jsonl_write(j->f, text, strlen(text)) < 0 ||
                    isl_jsonl_sync(j->f) < 0))
        rc = isl_error_set(err, ISL_EIO, "journal", "cannot write %s", path);
    free(text);
    if (rc < 0) {
        if (j)
            isl_jsonl_close(j->f, NULL);
        journal_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

/* ---- reading ---- */

struct reader {
    struct isl_journal_state *st;
    int (*outcome)(void *payload, const struct isl_outcome *o);
    void *payload;
    struct isl_error *err;
};

static const char *str_at(const json_t *a, size_t i)
{
    const char *s = json_string_value(json_array_get(a, i));

    return s ? s : "";
}

static int read_results(struct reader *rd, const json_t *list)
{
    size_t i;
    json_t *o;

    json_array_foreach(list, i, o)
    {
        json_int_t row = json_integer_value(json_array_get(o, 0));
        char no[24];
        struct isl_outcome oc = {
            .row_no = (uint64_t)row,
            .state = str_at(o, 1),
            .target_table = str_at(o, 2),
            .target_sys_id = str_at(o, 3),
            .import_set = str_at(o, 4),
            .message = str_at(o, 5),
            .file = str_at(o, 6),
            .line = (uint64_t)json_integer_value(json_array_get(o, 7)),
            .key = str_at(o, 8),
            .key_json = "{}",
        };
        int rc;

        if (row <= 0)
            continue;
        if (isl_bits_has(&rd->st->done, oc.row_no))
            continue; /* a crash between two writes of the same batch */
        if (isl_bits_set(&rd->st->done, oc.row_no) < 0 ||
            (strcmp(oc.state, "error") == 0 &&
             isl_bits_set(&rd->st->errors, oc.row_no) < 0))
            return isl_error_set(rd->err, ISL_ENOMEM, "journal",
                                 "out of memory");
        snprintf(no, sizeof(no), "%llu", (unsigned long long)oc.row_no);
        json_object_del(rd->st->inflight, no);
        if (oc.row_no > rd->st->max_row)
            rd->st->max_row = oc.row_no;
        if (rd->outcome && (rc = rd->outcome(rd->payload, &oc)) < 0)
            return rc;
    }
    return 0;
}

static int read_sent(struct reader *rd, const json_t *line)
{
    const json_t *rows = json_object_get(line, "rows");
    const json_t *before = json_object_get(line, "before");
    size_t i;
    json_t *v, *b;

    json_array_foreach(rows, i, v)
    {
        uint64_t row = (uint64_t)json_integer_value(v);
        char no[24];

        snprintf(no, sizeof(no), "%llu", (unsigned long long)row);
        if (!row || isl_bits_has(&rd->st->done, row) ||
            json_object_get(rd->st->inflight, no))
            continue;
        /* rows new to this line share its before-image set */
        b = json_is_array(before) ? (json_t *)before : json_null();
        json_object_set(rd->st->inflight, no, b);
        if (row > rd->st->max_row)
            rd->st->max_row = row;
    }
    return 0;
}

static int read_line(void *p, char *text, size_t len, uint64_t lineno)
{
    struct reader *rd = p;
    struct isl_journal_state *st = rd->st;
    json_error_t jerr;
    json_t *line = json_loadb(text, len, 0, &jerr);
    int rc = 0;

    if (!json_is_object(line)) {
        json_decref(line);
        return isl_error_set(rd->err, ISL_EPARSE, "journal",
                             "line %llu is not a journal entry: %s",
                             (unsigned long long)lineno, jerr.text);
    }
    if (lineno == 1) {
        if (!json_object_get(line, "isload_journal")) {
            json_decref(line);
            return isl_error_set(rd->err, ISL_EPARSE, "journal",
                                 "not an isload journal (no head line)");
        }
        st->head = line;
        st->attempts = 1;
        return 0;
    }
    if (json_object_get(line, "attempt")) {
        st->attempts++;
        st->ended = false;
    } else if (json_object_get(line, "instance_time")) {
        if (!st->instance_time)
            st->instance_time =
                json_integer_value(json_object_get(line, "instance_time"));
    } else if (json_object_get(line, "sent")) {
        rc = read_sent(rd, line);
    } else if (json_object_get(line, "results")) {
        rc = read_results(rd, json_object_get(line, "o"));
    } else if (json_object_get(line, "end")) {
        st->ended = true;
        snprintf(st->end_status, sizeof(st->end_status), "%s",
                 json_string_value(json_object_get(line, "end"))
                     ? json_string_value(json_object_get(line, "end"))
                     : "");
    }
    json_decref(line);
    return rc;
}

int isl_journal_read(const char *path, struct isl_journal_state *st,
                     int (*outcome)(void *payload, const struct isl_outcome *o),
                     void *payload, struct isl_error *err)
{
    struct reader rd = {st, outcome, payload, err};
    int rc;

    st->inflight = json_object();
    if (!st->inflight)
        return isl_error_set(err, ISL_ENOMEM, "journal", "out of memory");
    rc = isl_jsonl_read(path, read_line, &rd, NULL, err);
    if (rc == 0 && !st->head)
        rc = isl_error_set(err, ISL_EPARSE, "journal", "%s is empty", path);
    return rc;
}

void isl_journal_state_free(struct isl_journal_state *s)
{
    json_decref(s->head);
    json_decref(s->inflight);
    isl_bits_free(&s->done);
    isl_bits_free(&s->errors);
    memset(s, 0, sizeof(*s));
}

int isl_journal_reopen(struct isl_journal **out, const char *path, int attempt,
                       struct isl_error *err)
{
    struct isl_journal *j;
    char at[32];
    int rc = journal_new(&j, err);

    *out = NULL;
    if (rc == 0)
        rc = isl_jsonl_reopen(&j->f, path, NULL, NULL, err);
    if (rc < 0) {
        journal_free(j);
        return rc;
    }
    now_iso(at, sizeof(at));
    isl_buf_addf(&j->line, "{\"attempt\":%d,\"at\":\"%s\"}", attempt, at);
    if (put(j) < 0 || isl_jsonl_sync(j->f) < 0) {
        isl_journal_abandon(j);
        return isl_error_set(err, ISL_EIO, "journal", "cannot write %s", path);
    }
    *out = j;
    return 0;
}

/* ---- writing ---- */

int isl_journal_instance_time(struct isl_journal *j, int64_t epoch)
{
    isl_buf_addf(&j->line, "{\"instance_time\":%lld}", (long long)epoch);
    return put(j);
}

int isl_journal_sent(struct isl_journal *j, uint64_t batch,
                     const uint64_t *rows, size_t n, const json_t *before)
{
    int rc = isl_buf_addf(&j->line, "{\"sent\":%llu,\"rows\":[",
                          (unsigned long long)batch);

    for (size_t i = 0; i < n; i++)
        rc |= isl_buf_addf(&j->line, "%s%llu", i ? "," : "",
                           (unsigned long long)rows[i]);
    rc |= isl_buf_addc(&j->line, ']');
    if (before) {
        char *text = json_dumps(before, JSON_COMPACT);

        rc |= text ? isl_buf_adds(&j->line, ",\"before\":") : ISL_ENOMEM;
        rc |= text ? isl_buf_adds(&j->line, text) : 0;
        free(text);
    }
    rc |= isl_buf_addc(&j->line, '}');
    if (rc) {
        isl_buf_reset(&j->line);
        return ISL_ENOMEM;
    }
    if (put(j) < 0 || isl_jsonl_sync(j->f) < 0)
        return ISL_EIO;
    return 0;
}

int isl_journal_acked(struct isl_journal *j, uint64_t batch,
                      const char *import_set)
{
    isl_buf_addf(&j->line,
                 "{\"acked\":%llu,\"import_set\":", (unsigned long long)batch);
    isl_jsonw_string(&j->line, import_set, strlen(import_set));
    isl_buf_addc(&j->line, '}');
    return put(j);
}

static int add_str(struct isl_buf *b, const char *s)
{
    return isl_buf_addc(b, ',') | isl_jsonw_string(b, s, strlen(s));
}

int isl_journal_outcome(struct isl_journal *j, const struct isl_outcome *o)
{
    struct isl_buf *b = &j->pending;
    int rc = isl_buf_addf(b, "%s[%llu", b->len ? "," : "",
                          (unsigned long long)o->row_no);

    rc |= add_str(b, o->state);
    rc |= add_str(b, o->target_table);
    rc |= add_str(b, o->target_sys_id);
    rc |= add_str(b, o->import_set);
    rc |= add_str(b, o->message);
    rc |= add_str(b, o->file);
    rc |= isl_buf_addf(b, ",%llu", (unsigned long long)o->line);
    rc |= add_str(b, o->key);
    rc |= isl_buf_addc(b, ']');
    return rc ? ISL_ENOMEM : 0;
}

int isl_journal_done(struct isl_journal *j, uint64_t batch)
{
    int rc = isl_buf_addf(&j->line, "{\"results\":%llu,\"o\":[",
                          (unsigned long long)batch);

    rc |= j->pending.len
              ? isl_buf_add(&j->line, j->pending.data, j->pending.len)
              : 0;
    rc |= isl_buf_adds(&j->line, "]}");
    isl_buf_reset(&j->pending);
    if (rc) {
        isl_buf_reset(&j->line);
        return ISL_ENOMEM;
    }
    if (put(j) < 0 || isl_jsonl_flush(j->f) < 0)
        return ISL_EIO;
    return 0;
}

int isl_journal_end(struct isl_journal *j, const char *status, int exit_code,
                    struct isl_error *err)
{
    char at[32];
    int rc;

    if (!j)
        return 0;
    now_iso(at, sizeof(at));
    isl_buf_addf(&j->line, "{\"end\":\"%s\",\"exit\":%d,\"at\":\"%s\"}", status,
                 exit_code, at);
    rc = put(j);
    if (isl_jsonl_close(j->f, err) < 0)
        rc = ISL_EIO;
    journal_free(j);
    return rc;
}

void isl_journal_abandon(struct isl_journal *j)
{
    if (!j)
        return;
    isl_jsonl_close(j->f, NULL);
    journal_free(j);
}
