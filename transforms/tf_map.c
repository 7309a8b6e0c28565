/*
 * tf_map.c: the "map" value stage: replace a value by its entry in a
 * lookup table, given inline ("values": {"ENG": "Engineering"}) and/or as
 * a two-column CSV file with a header row (key,value; RFC 4180 quoting; a
 * relative path is relative to the current directory). Inline entries
 * override the file's. The table is a tf_hash, so large maps cost one
 * lookup per value. A value with no entry rejects the row, is kept, or
 * becomes "default" (option "unmapped"). Empty values pass.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_hash.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum unmapped { UNMAPPED_REJECT, UNMAPPED_KEEP, UNMAPPED_DEFAULT };

struct map_ctx {
    json_t *values;       /* inline table (object of strings) or NULL */
    const char *file;     /* CSV file or NULL */
    const char *unmapped; /* "reject", "keep" or "default" */
    const char *dflt;     /* value for unmapped values */
    const char *mode;     /* "sensitive" or "insensitive" */
    bool insensitive;
    enum unmapped policy;
    struct tf_hash table;
    struct isl_buf key; /* case-folded lookup key */
};

static const struct tf_option map_options[] = {
    {"values", TF_OPT_OBJECT, false, offsetof(struct map_ctx, values),
     "inline table: {\"from\": \"to\", ...}; overrides the file's entries"},
    {"file", TF_OPT_STRING, false, offsetof(struct map_ctx, file),
     "CSV file with a header row and two columns, key and value"},
    {"unmapped", TF_OPT_STRING, false, offsetof(struct map_ctx, unmapped),
     "what a value with no entry does: \"reject\" (default), \"keep\" or "
     "\"default\""},
    {"default", TF_OPT_STRING, false, offsetof(struct map_ctx, dflt),
     "the value for unmapped values (implies \"unmapped\": \"default\")"},
    {"case", TF_OPT_STRING, false, offsetof(struct map_ctx, mode),
     "\"sensitive\" (default) or \"insensitive\" (ASCII) key comparison"},
    {.help = NULL},
};

/* Key as stored: folded to lower case when insensitive. */
static int fold(struct map_ctx *c, const char *s, size_t len)
{
    isl_buf_reset(&c->key);
    if (isl_buf_add(&c->key, s, len) < 0)
        return ISL_ENOMEM;
    if (c->insensitive)
        for (size_t i = 0; i < len; i++)
            c->key.data[i] = tf_ascii_lower(c->key.data[i]);
    return 0;
}

/* Add one entry; origin 1 = file, 2 = inline. 1 = duplicate, 0, <0. */
static int add_entry(struct map_ctx *c, const char *k, size_t klen,
                     const char *v, size_t vlen, uint64_t origin)
{
    struct tf_hash_entry *e;
    int rc;

    if (fold(c, k, klen) < 0)
        return ISL_ENOMEM;
    rc = tf_hash_put(&c->table, c->key.data, c->key.len, &e);
    if (rc < 0)
        return rc;
    if (rc == 0 && e->u == origin)
        return 1;
    e->u = origin;
    return tf_hash_set_val(e, v, vlen) < 0 ? ISL_ENOMEM : 0;
}

/*
 * One CSV record from p[*pos..n) into fields (at most 3 kept; *nf counts
 * all). Quoted fields are unescaped into buf, which the fields point into.
 * Returns 0, 1 at end of input, or -1 on an unterminated quote.
 */
static int csv_record(const char *p, size_t n, size_t *pos, uint64_t *line,
                      struct isl_buf *buf, size_t offs[3], size_t lens[3],
                      size_t *nf)
{
    size_t i = *pos;

    if (i >= n)
        return 1;
    isl_buf_reset(buf);
    *nf = 0;
    for (;;) {
        size_t start = buf->len;

        if (i < n && p[i] == '"') {
            for (i++;; i++) {
                if (i >= n)
                    return -1;
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        i++;
                    } else {
                        i++;
                        break;
                    }
                }
                if (p[i] == '\n')
                    (*line)++;
                if (isl_buf_addc(buf, p[i]) < 0)
                    return -1;
            }
        }
        while (i < n && p[i] != ',' && p[i] != '\n') {
            if (p[i] != '\r' && isl_buf_addc(buf, p[i]) < 0)
                return -1;
            i++;
        }
        if (*nf < 3) {
            offs[*nf] = start;
            lens[*nf] = buf->len - start;
        }
        (*nf)++;
        if (i >= n || p[i] == '\n')
            break;
        i++; /* the comma */
    }
    if (i < n) {
        i++;
        (*line)++;
    }
    *pos = i;
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0, alloc = 0;

    if (!f)
        return NULL;
    for (;;) {
        if (alloc - n < 4096) {
            char *p = realloc(data, alloc ? alloc * 2 : 8192);

            if (!p) {
                free(data);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            data = p;
            alloc = alloc ? alloc * 2 : 8192;
        }
        size_t got = fread(data + n, 1, alloc - n, f);

        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(data);
        fclose(f);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    *len = n;
    return data;
}

static int load_file(struct map_ctx *c, struct isl_error *err)
{
    size_t n = 0, pos = 0, offs[3], lens[3], nf;
    uint64_t line = 1, at;
    struct isl_buf rec;
    char *data = read_file(c->file, &n);
    int rc = 0;

    if (!data)
        return tf_init_error(err, ".file: cannot read '%s': %s", c->file,
                             strerror(errno));
    isl_buf_init(&rec, SIZE_MAX / 2);
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    for (bool header = true;; header = false) {
        at = line;
        rc = csv_record(data, n, &pos, &line, &rec, offs, lens, &nf);
        if (rc == 1) {
            rc = header ? tf_init_error(err, ".file: '%s' is empty", c->file)
                        : 0;
            break;
        }
        if (rc < 0) {
            rc = tf_init_error(err, ".file: %s:%llu: unterminated quote",
                               c->file, (unsigned long long)at);
            break;
        }
        if (nf == 1 && lens[0] == 0 && !header)
            continue; /* blank line */
        if (nf != 2) {
            rc = tf_init_error(err,
                               ".file: %s:%llu: expected 2 columns (key, "
                               "value), found %zu",
                               c->file, (unsigned long long)at, nf);
            break;
        }
        if (header)
            continue;
        rc = add_entry(c, rec.data + offs[0], lens[0], rec.data + offs[1],
                       lens[1], 1);
        if (rc == 1) {
            char q[TF_QUOTE_MAX + 8];

            rc = tf_init_error(
                err, ".file: %s:%llu: duplicate key %s", c->file,
                (unsigned long long)at,
                tf_quote(q, sizeof(q), rec.data + offs[0], lens[0]));
            break;
        }
        if (rc < 0)
            break;
    }
    isl_buf_free(&rec);
    free(data);
    return rc;
}

static int map_init(struct tf_stage *st, const json_t *opts, const char *column,
                    struct isl_error *err)
{
    struct map_ctx *c = st->ctx;
    const char *k;
    json_t *v;
    int rc;

    (void)opts;
    (void)column;
    tf_hash_init(&c->table);
    isl_buf_init(&c->key, SIZE_MAX / 2);
    if (tf_case_option(c->mode, "case", &c->insensitive, err) < 0)
        return ISL_ECONFIG;
    if (!c->unmapped)
        c->policy = c->dflt ? UNMAPPED_DEFAULT : UNMAPPED_REJECT;
    else if (strcmp(c->unmapped, "reject") == 0)
        c->policy = UNMAPPED_REJECT;
    else if (strcmp(c->unmapped, "keep") == 0)
        c->policy = UNMAPPED_KEEP;
    else if (strcmp(c->unmapped, "default") == 0)
        c->policy = UNMAPPED_DEFAULT;
    else
        return tf_init_error(err,
                             ".unmapped: '%s' is not \"reject\", "
                             "\"keep\" or \"default\"",
                             c->unmapped);
    if (c->policy == UNMAPPED_DEFAULT && !c->dflt)
        return tf_init_error(err, ".default: missing (\"unmapped\": "
                                  "\"default\" needs it)");
    if (c->policy != UNMAPPED_DEFAULT && c->dflt)
        return tf_init_error(err, ".default: only used with \"unmapped\": "
                                  "\"default\"");
    if (!c->values && !c->file)
        return tf_init_error(err, "needs \"values\" or \"file\"");
    if (c->file && (rc = load_file(c, err)) < 0)
        return rc;
    json_object_foreach(c->values, k, v)
    {
        if (!json_is_string(v))
            return tf_init_error(err, ".values.%s: expected a string", k);
        rc = add_entry(c, k, strlen(k), json_string_value(v),
                       json_string_length(v), 2);
        if (rc == 1)
            return tf_init_error(err,
                                 ".values.%s: duplicate key (keys "
                                 "differ only in case)",
                                 k);
        if (rc < 0)
            return tf_init_error(err, "out of memory");
    }
    return 0;
}

static int map_value(struct tf_stage *st, const char *in, size_t len,
                     struct isl_buf *out, const struct tf_row *row,
                     struct isl_error *err)
{
    struct map_ctx *c = st->ctx;
    const struct tf_hash_entry *e;
    char q[TF_QUOTE_MAX + 8];

    (void)row;
    if (len == 0)
        return TF_PASS;
    if (fold(c, in, len) < 0)
        return tf_reject(st, err, "out of memory");
    e = tf_hash_get(&c->table, c->key.data, c->key.len);
    if (e) {
        if (e->vlen == len && memcmp(e->val, in, len) == 0)
            return TF_PASS;
        return tf_emit(st, out, e->val, e->vlen, err);
    }
    if (c->policy == UNMAPPED_KEEP)
        return TF_PASS;
    if (c->policy == UNMAPPED_DEFAULT)
        return tf_emit(st, out, c->dflt, strlen(c->dflt), err);
    return tf_reject(st, err, "%s has no entry in the map",
                     tf_quote(q, sizeof(q), in, len));
}

static void map_close(struct tf_stage *st)
{
    struct map_ctx *c = st->ctx;

    tf_hash_free(&c->table);
    isl_buf_free(&c->key);
}

const struct tf_stage_type tf_map = {
    .name = "map",
    .kind = TF_VALUE,
    .summary = "replace a value by its entry in a lookup table",
    .options = map_options,
    .ctx_size = sizeof(struct map_ctx),
    .init = map_init,
    .value = map_value,
    .close = map_close,
};
