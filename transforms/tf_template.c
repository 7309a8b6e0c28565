/*
 * tf_template.c: the "template" value stage: the value becomes a text
 * built from other columns of the row ({"template": "{u_first_name}
 * {u_last_name}"}). Names in braces are staging columns; {{ and }} stand
 * for literal braces. The template is split into pieces at init (an
 * unbalanced brace or an empty name is a feed mistake). Which columns the
 * row has is only known when it runs, so a name that is not a column
 * rejects the row (rule template) rather than failing the feed. Columns
 * before this field hold their values after their stages; later ones hold
 * their raw values.
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct piece {
    size_t off, len; /* in text: literal bytes or a column name */
    bool column;
    int cache; /* tf_row_find cache */
};

struct template_ctx {
    const char *tmpl; /* as written */
    char *text;       /* unescaped literals and NUL-ended names */
    struct piece *pieces;
    size_t n;
};

static const struct tf_option template_options[] = {
    {NULL, TF_OPT_STRING, true, offsetof(struct template_ctx, tmpl),
     "text with {column} placeholders; {{ and }} are literal braces"},
    {.help = NULL},
};

static int template_init(struct tf_stage *st, const json_t *opts,
                         const char *column, struct isl_error *err)
{
    struct template_ctx *c = st->ctx;
    size_t len = strlen(c->tmpl), t = 0;
    const char *s = c->tmpl;

    (void)opts;
    (void)column;
    c->text = malloc(len + 1);
    c->pieces = calloc(len + 1, sizeof(*c->pieces));
    if (!c->text || !c->pieces)
        return ISL_ENOMEM;
    for (size_t i = 0; i < len;) {
        struct piece *p = &c->pieces[c->n];

        if (s[i] == '{' && s[i + 1] != '{') {
            const char *end = strchr(s + i + 1, '}');

            if (!end)
                return tf_init_error(err,
                                     "'{' at offset %zu has no '}' (write "
                                     "{{ for a literal brace)",
                                     i);
            if (end == s + i + 1)
                return tf_init_error(err, "empty name {} at offset %zu", i);
            if (memchr(s + i + 1, '{', (size_t)(end - s) - i - 1))
                return tf_init_error(err, "'{' inside a name at offset %zu", i);
            p->off = t;
            p->len = (size_t)(end - s) - i - 1;
            p->column = true;
            p->cache = -1;
            memcpy(c->text + t, s + i + 1, p->len);
            t += p->len;
            c->text[t++] = '\0';
            i = (size_t)(end - s) + 1;
            c->n++;
            continue;
        }
        if (s[i] == '}' && s[i + 1] != '}')
            return tf_init_error(err,
                                 "'}' at offset %zu has no '{' (write }} "
                                 "for a literal brace)",
                                 i);
        /* literal run, with {{ and }} unescaped */
        p->off = t;
        while (i < len) {
            if ((s[i] == '{' || s[i] == '}') && s[i + 1] == s[i]) {
                c->text[t++] = s[i];
                i += 2;
            } else if (s[i] == '{' || s[i] == '}') {
                break;
            } else {
                c->text[t++] = s[i++];
            }
        }
        p->len = t - p->off;
        c->n++;
    }
    return 0;
}

static int template_value(struct tf_stage *st, const char *in, size_t len,
                          struct isl_buf *out, const struct tf_row *row,
                          struct isl_error *err)
{
    struct template_ctx *c = st->ctx;

    (void)in;
    (void)len;
    isl_buf_reset(out);
    for (size_t k = 0; k < c->n; k++) {
        struct piece *p = &c->pieces[k];
        const char *name = c->text + p->off;
        int rc;

        if (!p->column) {
            rc = isl_buf_add(out, name, p->len);
        } else {
            int i = row ? tf_row_find(row, name, &p->cache) : -1;

            if (i < 0)
                return tf_reject(st, err,
                                 "the template names {%s}, which is "
                                 "not a column of the row",
                                 name);
            rc = isl_buf_add(out, row->values[i], row->lens[i]);
        }
        if (rc < 0)
            return tf_reject(st, err,
                             "the result does not fit the value "
                             "buffer");
    }
    if (out->len == len && (len == 0 || memcmp(out->data, in, len) == 0)) {
        isl_buf_reset(out);
        return TF_PASS;
    }
    if (isl_buf_reserve(out, 0) < 0)
        return tf_reject(st, err, "out of memory");
    return TF_CHANGED;
}

static void template_close(struct tf_stage *st)
{
    struct template_ctx *c = st->ctx;

    free(c->text);
    free(c->pieces);
}

const struct tf_stage_type tf_template = {
    .name = "template",
    .kind = TF_VALUE,
    .summary = "build the value from other columns of the row",
    .options = template_options,
    .ctx_size = sizeof(struct template_ctx),
    .init = template_init,
    .value = template_value,
    .close = template_close,
    .reads_row = true,
};
