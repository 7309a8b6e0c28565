/*
 * isl_preflight_tables.c: the staging-table and transform-map checks (see
 * isl_preflight.h): the feed's columns against sys_dictionary, the
 * correlation column, how insertMultiple reads keys
 * (sys_rest_insert_multiple), and the transform map's coalesce fields and
 * field maps against the feed's key, target.match and target.fields.
 */
#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_feed.h"
#include "isl_preflight.h"
#include "isl_preflight_int.h"
#include "tf_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_CAP ((size_t)64 * 1024)
#define CORR_MIN_LENGTH 40 /* RUNID-N: 20 characters, '-', the row number */

/* ---- what the feed asks for ---- */

/*
 * The most characters a field lets through: the smallest `max` of its
 * length stages (read through the stage's declared options, so the
 * stage's own default applies), 0 when no stage limits it.
 */
static long long field_max_chars(const struct isl_feed_field *f)
{
    long long best = 0;

    for (size_t k = 0; k < f->nstages; k++) {
        const struct tf_stage *st = f->stages[k];

        if (strcmp(st->type->name, "length") != 0)
            continue;
        for (const struct tf_option *o = st->type->options; o->help; o++) {
            long long v;

            if (!o->name || strcmp(o->name, "max") != 0 ||
                o->type != TF_OPT_INT)
                continue;
            memcpy(&v, (const char *)st->ctx + o->offset, sizeof(v));
            if (v > 0 && (best == 0 || v < best))
                best = v;
        }
    }
    return best;
}

/* ---- the staging table: exists, missing, or hidden ---- */

enum isl_pf_table isl_pf__staging_state(const struct isl_pf_plan *p,
                                        const struct isl_pf_facts *f)
{
    long st = f->staging_read.status;

    if (isl_pf__find_rec(&f->tables, "name", p->feed->staging_table) ||
        isl_pf__rows_of(&f->dictionary) > 0 ||
        (f->staging_read.asked && (st == 200 || st == 403)))
        return ISL_PF_TABLE_EXISTS;
    /* an unknown table is "400 Invalid table" (404 from some versions) */
    if (f->staging_read.asked && (st == 400 || st == 404))
        return ISL_PF_TABLE_MISSING;
    return ISL_PF_TABLE_UNKNOWN;
}

/* ---- check 3: the staging table ---- */

static void judge_columns(struct judge *j, struct isl_pf_check *c,
                          size_t *checked, bool *corr_exists)
{
    const struct isl_feed *feed = j->p->feed;
    const char *staging = feed->staging_table;
    json_t *missing = json_array(), *short_cols = json_array();

    for (size_t i = 0; i < feed->nfields; i++) {
        const struct isl_feed_field *fd = &feed->fields[i];
        json_t *rec =
            isl_pf__find_rec(&j->f->dictionary, "element", fd->column);
        long long want = field_max_chars(fd), have;
        char fix[300];

        if (!rec) {
            if (want)
                snprintf(fix, sizeof(fix),
                         "add it to %s (String, max length %lld or more)",
                         staging, want);
            else
                snprintf(fix, sizeof(fix), "add it to %s (String)", staging);
            isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                            "staging column %s is missing", fd->column);
            json_array_append_new(missing, json_string(fd->column));
            continue;
        }
        (*checked)++;
        if (strcmp(isl_pf__field(rec, "active"), "false") == 0)
            isl_pf__problem(j, c, ISL_PF_FAIL,
                            "set it active in sys_dictionary",
                            "staging column %s is inactive", fd->column);
        have = atoll(isl_pf__field(rec, "max_length"));
        if (want > 0 && have > 0 && have < want) {
            snprintf(fix, sizeof(fix),
                     "raise its max length in sys_dictionary to %lld", want);
            isl_pf__problem(
                j, c, ISL_PF_FAIL, fix,
                "staging column %s is %lld long but the feed allows "
                "%lld",
                fd->column, have, want);
            json_array_append_new(short_cols, json_string(fd->column));
        }
        if (j->p->use_labels && fd->label &&
            strcmp(isl_pf__field(rec, "column_label"), fd->label) != 0)
            isl_pf__problem(
                j, c, ISL_PF_FAIL,
                "make the feed's label the same, or load with --keys "
                "name",
                "staging column %s is labelled '%s' but the feed sends "
                "'%s' (--keys label)",
                fd->column, isl_pf__field(rec, "column_label"), fd->label);
    }
    isl_pf__fact(j, c, "missing_columns", missing);
    isl_pf__fact(j, c, "short_columns", short_cols);

    {
        const char *corr = j->p->corr_col;
        json_t *rec = isl_pf__find_rec(&j->f->dictionary, "element", corr);
        json_t *prop = json_array_get(isl_pf__result_of(&j->f->property), 0);
        long long have = rec ? atoll(isl_pf__field(rec, "max_length")) : 0;
        char fix[300];

        *corr_exists = rec != NULL;
        if (rec && have > 0 && have < CORR_MIN_LENGTH) {
            snprintf(fix, sizeof(fix), "raise its max length to %d",
                     CORR_MIN_LENGTH);
            isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                            "correlation column %s is %lld long; the loader's "
                            "values need up to %d",
                            corr, have, CORR_MIN_LENGTH);
        } else if (!rec && strcmp(isl_pf__field(prop, "value"), "false") == 0) {
            snprintf(fix, sizeof(fix),
                     "add %s (String, %d) to %s, or set "
                     "glide.import_set_row.dynamically_add_fields to true",
                     corr, CORR_MIN_LENGTH, staging);
            isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                            "correlation column %s is missing and the instance "
                            "does not add columns "
                            "(glide.import_set_row.dynamically_add_fields is "
                            "false)",
                            corr);
        }
    }
}

/* insertMultiple reads keys as labels unless a REST Insert Multiple record
 * says column names. Returns a phrase for the summary. */
static const char *judge_insert_multiple(struct judge *j,
                                         struct isl_pf_check *c)
{
    const char *staging = j->p->feed->staging_table;
    const struct isl_pf_answer *rim = &j->f->rim;
    json_t *rec = json_array_get(isl_pf__result_of(rim), 0);
    bool labels = j->p->use_labels;
    char t[400], fix[300];

    if (j->p->mode != ISL_MODE_MULTIPLE)
        return "";
    if (!isl_pf__result_of(rim)) {
        isl_pf__problem(j, c, ISL_PF_CANNOT,
                        "grant read on sys_rest_insert_multiple, or load with "
                        "--mode single",
                        "cannot read sys_rest_insert_multiple (%s)",
                        isl_pf__answer_text(rim, t, sizeof(t)));
        return "";
    }
    if (rec) {
        const char *mapping = isl_pf__field(rec, "column_mapping");
        bool by_name = isl_pf__has_word(mapping, "name");

        isl_pf__fact(j, c, "insert_multiple",
                     json_pack("{s:s, s:s}", "column_mapping", mapping,
                               "transform_mode",
                               isl_pf__field(rec, "transform_mode")));
        if (by_name && labels)
            isl_pf__problem(
                j, c, ISL_PF_FAIL, "load without --keys label",
                "insertMultiple into %s reads keys as column names "
                "(sys_rest_insert_multiple column_mapping '%s') but "
                "--keys label sends labels",
                staging, mapping);
        else if (!by_name && !labels)
            isl_pf__problem(
                j, c, ISL_PF_FAIL,
                "set its Column mapping to Column name, or load with "
                "--keys label",
                "insertMultiple into %s reads keys as column labels "
                "(sys_rest_insert_multiple column_mapping '%s') but "
                "the loader sends column names",
                staging, mapping);
        return by_name ? "; insertMultiple reads column names"
                       : "; insertMultiple reads column labels";
    }
    if (isl_pf__rows_of(&j->f->rim_any) > 0) {
        if (!labels) {
            snprintf(fix, sizeof(fix),
                     "create one for %s with Column mapping = Column name, "
                     "or load with --keys label",
                     staging);
            isl_pf__problem(
                j, c, ISL_PF_FAIL, fix,
                "%s has no REST Insert Multiple record "
                "(sys_rest_insert_multiple), so insertMultiple reads "
                "keys as column labels but the loader sends column "
                "names",
                staging);
        }
        return "; insertMultiple reads column labels";
    }
    isl_pf__problem(
        j, c, ISL_PF_CANNOT,
        "grant read on sys_rest_insert_multiple, or load with --mode "
        "single",
        "cannot tell how insertMultiple reads keys: no "
        "sys_rest_insert_multiple record is visible at all (none "
        "exists, or the user cannot read them)");
    return "";
}

void isl_pf__judge_staging(struct judge *j)
{
    struct isl_pf_check *c = &j->r->checks[ISL_PF_STAGING];
    const char *staging = j->p->feed->staging_table;
    enum isl_pf_table ts = isl_pf__staging_state(j->p, j->f);
    const struct isl_pf_answer *dict = &j->f->dictionary;
    json_t *st_rec = isl_pf__find_rec(&j->f->tables, "name", staging);
    json_t *base =
        isl_pf__find_rec(&j->f->tables, "name", "sys_import_set_row");
    size_t checked = 0;
    bool corr_exists = false;
    const char *im;
    char t[400], fix[300];

    isl_pf__fact(j, c, "staging_table", json_string(staging));
    if (ts == ISL_PF_TABLE_MISSING) {
        isl_pf__problem(j, c, ISL_PF_FAIL,
                        "create it as an import set table (extending "
                        "sys_import_set_row), or correct staging_table in the "
                        "feed",
                        "staging table %s does not exist (%s)", staging,
                        isl_pf__answer_text(&j->f->staging_read, t, sizeof(t)));
        return;
    }
    if (ts == ISL_PF_TABLE_UNKNOWN) {
        isl_pf__problem(j, c, ISL_PF_CANNOT,
                        "grant the user read access on sys_db_object, "
                        "sys_dictionary or the staging table",
                        "cannot tell whether %s exists: sys_db_object, "
                        "sys_dictionary and the table itself show nothing to "
                        "this user (%s)",
                        staging,
                        isl_pf__answer_text(&j->f->staging_read, t, sizeof(t)));
        return;
    }
    if (st_rec && base) {
        const char *sc = isl_pf__field(st_rec, "super_class");

        if (strcmp(sc, isl_pf__field(base, "sys_id")) != 0 &&
            strcmp(sc, "sys_import_set_row") != 0) {
            snprintf(fix, sizeof(fix),
                     "create %s as an import set table (System Import "
                     "Sets), or correct staging_table in the feed",
                     staging);
            isl_pf__problem(
                j, c, ISL_PF_FAIL, fix,
                "%s does not extend sys_import_set_row, so it is not "
                "an import set table",
                staging);
        }
    }
    if (!isl_pf__result_of(dict)) {
        isl_pf__problem(j, c, ISL_PF_CANNOT,
                        "grant the user read access on sys_dictionary, or "
                        "compare the columns by hand",
                        "cannot read sys_dictionary (%s)",
                        isl_pf__answer_text(dict, t, sizeof(t)));
    } else if (isl_pf__rows_of(dict) == 0) {
        snprintf(fix, sizeof(fix),
                 "grant the user read access on sys_dictionary, or compare "
                 "the columns of %s by hand",
                 staging);
        isl_pf__problem(
            j, c, ISL_PF_CANNOT, fix,
            "cannot read sys_dictionary: it shows no entries for %s, "
            "which exists",
            staging);
    } else {
        judge_columns(j, c, &checked, &corr_exists);
    }
    im = judge_insert_multiple(j, c);
    isl_pf__pass(j, c, "%s has the feed's %zu columns, long enough; %s %s%s",
                 staging, checked, j->p->corr_col,
                 corr_exists ? "exists" : "will be added on the first load",
                 im);
}

/* ---- check 4: the transform map ---- */

struct pair {
    const char *src, *tgt; /* staging column -> target field */
};

/* The field maps (sys_transform_entry records) of one map. */
static size_t entries_of(const struct isl_pf_facts *f, const char *map_id,
                         json_t **out, size_t cap)
{
    json_t *r = isl_pf__result_of(&f->entries), *e;
    size_t i, n = 0;

    json_array_foreach(r, i, e)
    {
        if (strcmp(isl_pf__field(e, "map"), map_id) == 0 && n < cap)
            out[n++] = e;
    }
    return n;
}

static bool has_entry(json_t **es, size_t n, const char *src, const char *tgt,
                      bool coalesce)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(isl_pf__field(es[i], "source_field"), src) == 0 &&
            (!tgt || strcmp(isl_pf__field(es[i], "target_field"), tgt) == 0) &&
            (!coalesce || isl_pf__is_true(isl_pf__field(es[i], "coalesce"))))
            return true;
    return false;
}

/* "a -> b, c -> d" */
static void pairs_text(const struct pair *ps, size_t n, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(
            buf + used, len - used, "%s%s%s%s", i ? ", " : "", ps[i].src,
            ps[i].tgt ? " -> " : "", ps[i].tgt ? ps[i].tgt : "");
}

/* The coalesce pairs the feed expects: target.match, else the key. */
static size_t expected_coalesce(const struct isl_feed *feed, struct pair *out)
{
    size_t n = 0;

    if (feed->target.nmatch) {
        for (size_t i = 0; i < feed->target.nmatch; i++)
            out[n++] = (struct pair){feed->target.match[2 * i + 1],
                                     feed->target.match[2 * i]};
        return n;
    }
    for (size_t i = 0; i < feed->nkey; i++)
        out[n++] = (struct pair){feed->key[i], NULL};
    return n;
}

static void judge_coalesce(struct judge *j, struct isl_pf_check *c,
                           const char *name, json_t **es, size_t nes)
{
    const struct isl_feed *feed = j->p->feed;
    size_t ne = feed->target.nmatch ? feed->target.nmatch : feed->nkey;
    struct pair *want = calloc(ne + 1, sizeof(*want));
    struct pair *have = calloc(nes + 1, sizeof(*have));
    struct isl_buf fix;
    char wt[1024], ht[1024];
    size_t nh = 0;
    bool differ = false;

    isl_buf_init(&fix, LINE_CAP);
    if (!want || !have) {
        j->oom = true;
        goto out;
    }
    ne = expected_coalesce(feed, want);
    for (size_t i = 0; i < nes; i++)
        if (isl_pf__is_true(isl_pf__field(es[i], "coalesce")))
            have[nh++] = (struct pair){isl_pf__field(es[i], "source_field"),
                                       isl_pf__field(es[i], "target_field")};
    pairs_text(want, ne, wt, sizeof(wt));
    pairs_text(have, nh, ht, sizeof(ht));
    if (nh == 0) {
        if (ne)
            isl_buf_addf(&fix, "set Coalesce on the field map%s %s",
                         ne > 1 ? "s" : "", wt);
        else
            isl_buf_adds(&fix, "set Coalesce on the field maps of the "
                               "fields that identify a record");
        isl_pf__problem(
            j, c, ISL_PF_FAIL, fix.data,
            "transform map '%s' does not coalesce: every row inserts "
            "a new target record, so a rerun duplicates them",
            name);
        goto out;
    }
    /* every wanted pair must be a coalesce field map, and nothing else */
    for (size_t i = 0; i < ne; i++) {
        if (has_entry(es, nes, want[i].src, want[i].tgt, true))
            continue;
        differ = true;
        isl_buf_addf(&fix, "%s%s %s%s%s", fix.len ? ", " : "",
                     has_entry(es, nes, want[i].src, want[i].tgt, false)
                         ? "set Coalesce on"
                         : "add the coalescing field map",
                     want[i].src, want[i].tgt ? " -> " : "",
                     want[i].tgt ? want[i].tgt : "");
    }
    for (size_t i = 0; i < nh && ne; i++) {
        bool wanted = false;

        for (size_t k = 0; k < ne && !wanted; k++)
            wanted = strcmp(want[k].src, have[i].src) == 0 &&
                     (!want[k].tgt || strcmp(want[k].tgt, have[i].tgt) == 0);
        if (wanted)
            continue;
        differ = true;
        isl_buf_addf(&fix, "%sclear Coalesce on %s -> %s", fix.len ? ", " : "",
                     have[i].src, have[i].tgt);
    }
    if (differ)
        isl_pf__problem(j, c, ISL_PF_FAIL, fix.data,
                        "transform map '%s' coalesces on %s but the feed %s %s",
                        name, ht,
                        feed->target.nmatch ? "matches on" : "has key", wt);
out:
    isl_buf_free(&fix);
    free(want);
    free(have);
}

static void judge_target_fields(struct judge *j, struct isl_pf_check *c,
                                const char *name, json_t **es, size_t nes)
{
    const struct isl_feed_target *t = &j->p->feed->target;

    for (size_t i = 0; i < t->nfields; i++) {
        const char *tgt = t->fields[2 * i], *col = t->fields[2 * i + 1];
        const char *from = NULL;
        char fix[300];

        if (has_entry(es, nes, col, tgt, false))
            continue;
        for (size_t k = 0; k < nes && !from; k++)
            if (strcmp(isl_pf__field(es[k], "target_field"), tgt) == 0)
                from = isl_pf__field(es[k], "source_field");
        if (from) {
            snprintf(fix, sizeof(fix),
                     "change that field map's source field to %s", col);
            isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                            "target field %s is mapped from %s in '%s' but the "
                            "feed sends it in %s",
                            tgt, from, name, col);
        } else {
            snprintf(fix, sizeof(fix), "add a field map %s -> %s", col, tgt);
            isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                            "target field %s is not mapped by '%s'", tgt, name);
        }
    }
}

void isl_pf__judge_transform(struct judge *j)
{
    struct isl_pf_check *c = &j->r->checks[ISL_PF_TRANSFORM];
    const struct isl_feed *feed = j->p->feed;
    const char *staging = feed->staging_table, *target = feed->target.table;
    const struct isl_pf_answer *maps = &j->f->maps;
    json_t *r = isl_pf__result_of(maps), *m, *names = json_array();
    json_t **es = NULL;
    size_t i, nactive = 0, nrelevant = 0,
              cap = isl_pf__rows_of(&j->f->entries) + 1;
    const char *first = NULL, *first_target = "";
    const char *relevant = NULL, *relevant_target = "";
    char t[400], fix[400];

    if (!r) {
        isl_pf__problem(j, c, ISL_PF_CANNOT,
                        "grant the user read access on sys_transform_map",
                        "cannot read sys_transform_map (%s)",
                        isl_pf__answer_text(maps, t, sizeof(t)));
        goto out;
    }
    if (json_array_size(r) == 0) {
        snprintf(fix, sizeof(fix),
                 "create one from %s to %s that coalesces on the feed's key",
                 staging, target ? target : "the target table");
        if (isl_pf__rows_of(&j->f->maps_any) > 0)
            isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                            "no transform map has source table %s", staging);
        else
            isl_pf__problem(
                j, c, ISL_PF_CANNOT,
                "grant the user read access on sys_transform_map",
                "cannot read sys_transform_map: no transform map at "
                "all is visible to this user");
        goto out;
    }
    es = calloc(cap, sizeof(*es));
    if (!es) {
        j->oom = true;
        goto out;
    }
    json_array_foreach(r, i, m)
    {
        const char *name = isl_pf__field(m, "name"),
                   *mt = isl_pf__field(m, "target_table");
        size_t nes;

        json_array_append_new(names, json_string(name));
        if (!isl_pf__is_true(isl_pf__field(m, "active")))
            continue;
        nactive++;
        if (target && strcmp(mt, target) != 0) {
            if (!first)
                first = name, first_target = mt;
            continue;
        }
        nrelevant++;
        if (!isl_pf__result_of(&j->f->entries)) {
            isl_pf__problem(j, c, ISL_PF_CANNOT,
                            "grant the user read access on sys_transform_entry",
                            "cannot read the field maps of '%s' (%s)", name,
                            isl_pf__answer_text(&j->f->entries, t, sizeof(t)));
            continue;
        }
        nes = entries_of(j->f, isl_pf__field(m, "sys_id"), es, cap);
        if (nes == 0) {
            if (isl_pf__rows_of(&j->f->entries_any) > 0)
                isl_pf__problem(j, c, ISL_PF_FAIL,
                                "add field maps (sys_transform_entry) for the "
                                "feed's target fields",
                                "transform map '%s' has no field maps", name);
            else
                isl_pf__problem(j, c, ISL_PF_CANNOT,
                                "grant the user read access on "
                                "sys_transform_entry",
                                "cannot read sys_transform_entry: no field map "
                                "at all is visible to this user");
            continue;
        }
        if (nrelevant == 1)
            relevant = name, relevant_target = mt;
        judge_coalesce(j, c, name, es, nes);
        judge_target_fields(j, c, name, es, nes);
    }
    if (nactive == 0) {
        isl_pf__problem(j, c, ISL_PF_FAIL,
                        "set Active on it (sys_transform_map)",
                        "transform map '%s' for %s is inactive",
                        isl_pf__field(json_array_get(r, 0), "name"), staging);
    } else if (nrelevant == 0) {
        snprintf(fix, sizeof(fix),
                 "create or activate a map from %s to %s, or correct "
                 "target.table in the feed",
                 staging, target);
        isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                        "no active transform map from %s writes to %s ('%s' "
                        "writes to %s)",
                        staging, target, first, first_target);
    } else if (nrelevant == 1) {
        isl_pf__pass(
            j, c,
            "'%s' (%s -> %s) is active, coalesces on the feed's %s and "
            "maps its %zu target fields",
            relevant, staging, relevant_target,
            feed->target.nmatch ? "match" : "key", feed->target.nfields);
    } else {
        isl_pf__pass(
            j, c,
            "%zu active maps from %s each coalesce on the feed's %s and "
            "map its %zu target fields",
            nrelevant, staging, feed->target.nmatch ? "match" : "key",
            feed->target.nfields);
    }
out:
    isl_pf__fact(j, c, "maps", names);
    free(es);
}
