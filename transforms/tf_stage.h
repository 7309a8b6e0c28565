/*
 * tf_stage.h: the one interface every transform stage implements.
 *
 * A stage type is a const struct with a name, the options it accepts
 * (declared as data, so the feed loader rejects unknown or mistyped options
 * before any input is read), and callbacks. An instance (struct tf_stage)
 * holds the parsed options in a context of ctx_size bytes that the
 * framework allocates zeroed and frees.
 *
 * Value stages see one value and return:
 *   TF_PASS     value unchanged (out untouched)
 *   TF_CHANGED  the new value is in out (replacing the old one)
 *   TF_REJECT   the row is rejected; err->rule and err->msg say why
 * Row stages see the whole row (staging column -> value) and may also
 * return TF_FILTER (drop the row, counted as filtered, not rejected).
 * Row stages that can only decide after the whole input (reference) use
 * `finish` (see below).
 *
 * Stages know nothing of readers, files, reports or HTTP; the chain runner
 * (pipeline/isl_chain.c) does the accounting.
 */
#ifndef TF_STAGE_H
#define TF_STAGE_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_buf;
struct isl_error;
struct tf_stage;

enum tf_result {
    TF_PASS = 0,
    TF_CHANGED = 1,
    TF_REJECT = 2,
    TF_FILTER = 3,
};

enum tf_kind {
    TF_VALUE, /* applies to one field's value */
    TF_ROW,   /* applies to the whole row, after the value stages */
};

/* Option types a stage can declare. */
enum tf_opt_type {
    TF_OPT_STRING,      /* JSON string -> const char * */
    TF_OPT_INT,         /* JSON integer -> long long */
    TF_OPT_NUMBER,      /* JSON number -> double */
    TF_OPT_BOOL,        /* JSON boolean -> bool */
    TF_OPT_STRING_LIST, /* JSON array of strings (or one string) -> json_t * */
    TF_OPT_OBJECT,      /* JSON object -> json_t * (borrowed) */
    TF_OPT_ANY,         /* any JSON value -> json_t * (borrowed) */
};

/*
 * One declared option. `offset` is offsetof(ctx struct, member). The feed
 * loader fills the member from the feed's JSON before init runs. Strings
 * and json_t * are borrowed from the feed document, which outlives the
 * stage. A stage whose options are a bare value ({"pattern": "^E"},
 * {"default": "n/a"}) declares one option with name NULL.
 */
struct tf_option {
    const char *name;      /* key in the options object; NULL = bare value */
    enum tf_opt_type type; /* expected JSON type */
    bool required;         /* must be given */
    size_t offset;         /* where it goes in the context */
    const char *help;      /* one line, for docs and `isload help stages` */
};

/* The row as value and row stages see it: staging columns and values. */
struct tf_row {
    size_t n;
    const char *const *columns; /* staging column names */
    const char **values;        /* current values (NUL-terminated) */
    size_t *lens;
    const char *file; /* source position, for messages naming lines */
    uint64_t line;
};

/*
 * A condition under which a value stage always returns TF_PASS, declared
 * by the stage (its type, refined by init): the chain skips the call for
 * values that meet it, without looking at more than the value's length
 * and end bytes. It must be sufficient, never a guess:
 * tests/stages/s_fast.c checks each declaration against its stage.
 */
struct tf_pass_if {
    bool set;        /* the stage declared a condition */
    bool plain_ends; /* first and last byte neither an ASCII space nor
                        part of U+00A0: > 0x20, first != 0xC2, last != 0xA0 */
    size_t max_len;  /* at most this many bytes (SIZE_MAX: any) */
};

/* Whether s[0..len) meets the stage's condition (p->set). */
static inline bool tf_passes(const struct tf_pass_if *p, const char *s,
                             size_t len)
{
    if (len > p->max_len)
        return false;
    if (p->plain_ends && len) {
        unsigned char first = (unsigned char)s[0];
        unsigned char last = (unsigned char)s[len - 1];

        return first > 0x20 && first != 0xC2 && last > 0x20 && last != 0xA0;
    }
    return true;
}

struct tf_stage_type {
    const char *name;    /* as written in feeds: "trim", "date", ... */
    enum tf_kind kind;   /* value or row stage */
    const char *summary; /* one line */
    const struct tf_option *options; /* {NULL-name, ...} terminated by
                                        an entry with help == NULL */
    size_t ctx_size;

    /*
     * Check the options the loader filled in and prepare (compile a regex,
     * load a map file). opts is the raw options JSON (NULL for a bare
     * stage). column is the field's staging column (NULL for row stages).
     * Return 0, or ISL_ECONFIG with err->msg saying what is wrong.
     */
    int (*init)(struct tf_stage *st, const json_t *opts, const char *column,
                struct isl_error *err);

    /* Value stages: in[0..len) -> TF_PASS / TF_CHANGED (out) / TF_REJECT.
     * out may hold an earlier value: reset it before writing (tf_emit
     * does). */
    int (*value)(struct tf_stage *st, const char *in, size_t len,
                 struct isl_buf *out, const struct tf_row *row,
                 struct isl_error *err);

    /*
     * Row stages: may change row->values[i] only by pointing it at memory
     * that lives until the next call (e.g. a buffer in the context).
     * Returns TF_PASS, TF_CHANGED, TF_REJECT or TF_FILTER.
     */
    int (*row)(struct tf_stage *st, struct tf_row *row, struct isl_error *err);

    /*
     * Deferred row stages (reference, unique with keep=last) decide only
     * after the whole input was read. The chain then replays every row
     * that passed all stages (from a spill file, not memory), in order,
     * with the same row_id it had when row() saw it, and finish returns
     * TF_PASS or TF_REJECT. row() for such a stage only records what it
     * needs (memory proportional to the number of keys) and returns
     * TF_PASS. NULL for stages that decide at once.
     */
    int (*finish)(struct tf_stage *st, uint64_t row_id,
                  const struct tf_row *row, struct isl_error *err);

    void (*close)(struct tf_stage *st); /* free what init made; NULL ok */

    /* Value stages: when the stage always passes (see tf_pass_if); copied
     * to each instance before init, which may change it. */
    struct tf_pass_if pass_if;

    /* Value stages that read other fields through row (template): the
     * chain then sets every field's raw value before running any stage. */
    bool reads_row;
};

struct tf_stage {
    const struct tf_stage_type *type;
    void *ctx;          /* ctx_size bytes, owned by the framework */
    const char *column; /* field's staging column, or NULL */
    uint64_t row_id;    /* set by the chain before row(): 1-based id of the
                           accepted row, used by deferred stages */
    bool deferred;      /* this instance needs finish() (and the spill):
                           tf_stage_new sets it to type->finish != NULL and
                           init may clear it (unique with keep=first) */
    struct tf_pass_if pass_if; /* type->pass_if, as init left it */
};

/* Find a stage type by name; NULL if none. */
const struct tf_stage_type *tf_registry_find(const char *name);

/* All stage types, NULL-terminated. */
const struct tf_stage_type *const *tf_registry_all(void);

/*
 * Build a stage from its feed JSON: a bare string ("trim") or a one-key
 * object ({"pattern": "^E"}). Checks the name and options against the
 * type's declaration (unknown key, wrong type, missing required option),
 * then calls init. *out belongs to the caller (tf_stage_free). path is the
 * JSON path used in messages ("fields[0].stages[2]"). Returns 0 or
 * ISL_ECONFIG with err->msg starting with the path.
 */
int tf_stage_new(struct tf_stage **out, const json_t *spec, enum tf_kind want,
                 const char *column, const char *path, struct isl_error *err);

void tf_stage_free(struct tf_stage *st);

#endif
