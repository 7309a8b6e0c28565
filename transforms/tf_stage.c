/*
 * tf_stage.c: building a stage instance from its feed JSON.
 *
 * A stage is written as a bare name ("trim") or as an object with one key,
 * the name ({"pattern": "^E"}, {"length": {"max": 40}}). tf_stage_new
 * finds the type in the registry, checks that it is used where its kind
 * belongs, checks the options against the type's tf_option table (unknown
 * key, wrong JSON type, missing required option, bare value vs object),
 * stores each option at its offset in a zeroed context and calls init.
 * Every mistake is ISL_ECONFIG with rule "feed" and a message that starts
 * with the JSON path, e.g. "fields[2].stages[1].date.from: expected an
 * array of strings".
 */
#include "isl_setup.h"
#include "tf_stage.h"
#include "tf_util.h"
#include "isl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fill err with "path: msg". */
__attribute__((format(printf, 3, 4))) static int
config_error(struct isl_error *err, const char *path, const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tf_init_error(err, "%s%s%s", path,
                         (msg[0] == '.' || msg[0] == '[') ? "" : ": ", msg);
}

static const char *type_words(enum tf_opt_type t)
{
    switch (t) {
    case TF_OPT_STRING:
        return "a string";
    case TF_OPT_INT:
        return "an integer";
    case TF_OPT_NUMBER:
        return "a number";
    case TF_OPT_BOOL:
        return "true or false";
    case TF_OPT_STRING_LIST:
        return "an array of strings";
    case TF_OPT_OBJECT:
        return "an object";
    case TF_OPT_ANY:
        break;
    }
    return "a value";
}

static bool type_ok(enum tf_opt_type t, const json_t *v)
{
    size_t i;
    json_t *x;

    switch (t) {
    case TF_OPT_STRING:
        return json_is_string(v);
    case TF_OPT_INT:
        return json_is_integer(v);
    case TF_OPT_NUMBER:
        return json_is_number(v);
    case TF_OPT_BOOL:
        return json_is_boolean(v);
    case TF_OPT_STRING_LIST:
        if (json_is_string(v))
            return true;
        if (!json_is_array(v) || json_array_size(v) == 0)
            return false;
        json_array_foreach(v, i, x)
        {
            if (!json_is_string(x))
                return false;
        }
        return true;
    case TF_OPT_OBJECT:
        return json_is_object(v);
    case TF_OPT_ANY:
        break;
    }
    return true;
}

static void store(void *ctx, const struct tf_option *o, json_t *v)
{
    char *p = (char *)ctx + o->offset;

    switch (o->type) {
    case TF_OPT_STRING: {
        const char *s = json_string_value(v);

        memcpy(p, &s, sizeof(s));
        break;
    }
    case TF_OPT_INT: {
        long long n = json_integer_value(v);

        memcpy(p, &n, sizeof(n));
        break;
    }
    case TF_OPT_NUMBER: {
        double d = json_number_value(v);

        memcpy(p, &d, sizeof(d));
        break;
    }
    case TF_OPT_BOOL: {
        bool b = json_is_true(v);

        memcpy(p, &b, sizeof(b));
        break;
    }
    case TF_OPT_STRING_LIST:
    case TF_OPT_OBJECT:
    case TF_OPT_ANY:
        memcpy(p, &v, sizeof(v));
        break;
    }
}

static size_t count_options(const struct tf_stage_type *t)
{
    size_t n = 0;

    while (t->options && t->options[n].help)
        n++;
    return n;
}

/* "a, b, c" of the option names, for messages. */
static void option_names(const struct tf_stage_type *t, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; t->options && t->options[i].help && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
                              t->options[i].name);
}

/* Check opts against the table and fill ctx. sp is "path.name". */
static int check_options(const struct tf_stage_type *t, const char *sp,
                         json_t *opts, void *ctx, struct isl_error *err)
{
    size_t nopt = count_options(t);
    bool bare = nopt == 1 && t->options[0].name == NULL;
    char names[256];
    const char *key;
    json_t *v;

    if (nopt == 0) {
        if (opts)
            return config_error(err, sp,
                                "'%s' takes no options; write "
                                "\"%s\"",
                                t->name, t->name);
        return 0;
    }
    if (bare) {
        const struct tf_option *o = &t->options[0];

        if (!opts) {
            if (o->required)
                return config_error(
                    err, sp, "needs a value: {\"%s\": %s}", t->name,
                    o->type == TF_OPT_STRING ? "\"...\"" : "...");
            return 0;
        }
        if (!type_ok(o->type, opts))
            return config_error(err, sp, "expected %s", type_words(o->type));
        store(ctx, o, opts);
        return 0;
    }
    option_names(t, names, sizeof(names));
    if (opts && !json_is_object(opts))
        return config_error(err, sp, "expected an object of options (%s)",
                            names);
    if (opts) {
        json_object_foreach(opts, key, v)
        {
            size_t i;

            for (i = 0; i < nopt; i++)
                if (strcmp(t->options[i].name, key) == 0)
                    break;
            if (i == nopt)
                return config_error(err, sp,
                                    ".%s: unknown option (expected one of "
                                    "%s)",
                                    key, names);
            if (!type_ok(t->options[i].type, v))
                return config_error(err, sp, ".%s: expected %s", key,
                                    type_words(t->options[i].type));
            store(ctx, &t->options[i], v);
        }
    }
    for (size_t i = 0; i < nopt; i++)
        if (t->options[i].required &&
            (!opts || !json_object_get(opts, t->options[i].name)))
            return config_error(err, sp, ".%s: missing required option",
                                t->options[i].name);
    return 0;
}

int tf_stage_new(struct tf_stage **out, const json_t *spec, enum tf_kind want,
                 const char *column, const char *path, struct isl_error *err)
{
    const struct tf_stage_type *t;
    struct tf_stage *st = NULL;
    const char *name;
    json_t *opts = NULL;
    char sp[300];
    int rc;

    *out = NULL;
    if (json_is_string(spec)) {
        name = json_string_value(spec);
    } else if (json_is_object(spec) && json_object_size(spec) == 1) {
        void *it = json_object_iter((json_t *)spec);

        name = json_object_iter_key(it);
        opts = json_object_iter_value(it);
    } else {
        return config_error(err, path,
                            "expected a stage name or an object "
                            "with one key, the stage name");
    }
    t = tf_registry_find(name);
    if (!t)
        return config_error(err, path, "unknown stage '%s'", name);
    snprintf(sp, sizeof(sp), "%s.%s", path, name);
    if (t->kind != want)
        return config_error(err, sp,
                            t->kind == TF_ROW
                                ? "'%s' is a row stage: put it in row_stages"
                                : "'%s' is a value stage: put it in a "
                                  "field's stages",
                            name);
    st = calloc(1, sizeof(*st));
    if (!st || !(st->ctx = calloc(1, t->ctx_size ? t->ctx_size : 1))) {
        free(st);
        return isl_error_set(err, ISL_ENOMEM, "feed", "out of memory");
    }
    st->type = t;
    st->column = column;
    st->deferred = t->finish != NULL;
    st->pass_if = t->pass_if;
    if ((rc = check_options(t, sp, opts, st->ctx, err)) < 0)
        goto fail;
    if (t->init && (rc = t->init(st, opts, column, err)) < 0) {
        char msg[sizeof(err->msg)];

        if (rc == ISL_ENOMEM) {
            isl_error_set(err, ISL_ENOMEM, "feed", "%s: out of memory", sp);
        } else {
            memcpy(msg, err->msg, sizeof(msg));
            msg[sizeof(msg) - 1] = '\0';
            rc = config_error(err, sp, "%s", msg);
        }
        goto fail;
    }
    *out = st;
    return 0;
fail:
    /* close copes with a context that init left half done or never saw */
    if (t->close)
        t->close(st);
    free(st->ctx);
    free(st);
    return rc;
}

void tf_stage_free(struct tf_stage *st)
{
    if (!st)
        return;
    if (st->type->close)
        st->type->close(st);
    free(st->ctx);
    free(st);
}
