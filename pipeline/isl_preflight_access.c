/*
 * isl_preflight_access.c: the probe row and the import-access check (see
 * isl_preflight.h). The probe is a single-row import whose coalesce
 * fields are all empty: every active transform map skips it, so no target
 * record is written; it is posted only when the maps show that.
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_preflight.h"
#include "isl_preflight_int.h"

#include <stdio.h>
#include <string.h>

/* ---- the probe: only when it cannot write ---- */

int isl_pf_probe_plan(const struct isl_pf_plan *p, const struct isl_pf_facts *f,
                      json_t **body, char *why, size_t whylen)
{
    json_t *maps = isl_pf__result_of(&f->maps), *m, *b = NULL;
    bool dict_known = isl_pf__rows_of(&f->dictionary) > 0;
    size_t i, nactive = 0;
    int rc = 0;

    *body = NULL;
    why[0] = '\0';
    if (!p->post_probe) {
        snprintf(why, whylen, "the probe row was not posted (--no-post-probe)");
        return 0;
    }
    if (isl_pf__staging_state(p, f) == ISL_PF_TABLE_MISSING) {
        snprintf(why, whylen, "the staging table does not exist");
        return 0;
    }
    if (!maps) {
        snprintf(why, whylen,
                 "the transform maps are not readable, so a probe row might "
                 "write a target record");
        return 0;
    }
    json_array_foreach(maps, i, m)
    {
        nactive += isl_pf__is_true(isl_pf__field(m, "active"));
    }
    if (nactive == 0) {
        snprintf(why, whylen,
                 "no active transform map for %s coalesces, so nothing "
                 "shows that a probe row would be skipped",
                 p->feed->staging_table);
        return 0;
    }
    if (!isl_pf__result_of(&f->entries)) {
        snprintf(why, whylen,
                 "the field maps (sys_transform_entry) are not readable, so "
                 "a probe row might write a target record");
        return 0;
    }
    b = json_object();
    if (!b)
        return ISL_ENOMEM;
    json_array_foreach(maps, i, m)
    {
        const char *name = isl_pf__field(m, "name");
        json_t *e;
        size_t k, ncoal = 0;

        if (!isl_pf__is_true(isl_pf__field(m, "active")))
            continue;
        if (isl_pf__is_true(isl_pf__field(
                m, "create_new_record_on_empty_coalesce_fields"))) {
            snprintf(why, whylen,
                     "transform map '%s' creates a record when the coalesce "
                     "fields are empty, so a probe row would insert one",
                     name);
            goto no;
        }
        if (isl_pf__is_true(isl_pf__field(m, "coalesce_empty_fields"))) {
            snprintf(why, whylen,
                     "transform map '%s' matches empty coalesce values to "
                     "empty ones, so a probe row could update a record",
                     name);
            goto no;
        }
        if (isl_pf__is_true(isl_pf__field(m, "run_script"))) {
            snprintf(why, whylen,
                     "transform map '%s' runs a script, which could write "
                     "even for a skipped row",
                     name);
            goto no;
        }
        json_array_foreach(isl_pf__result_of(&f->entries), k, e)
        {
            const char *src = isl_pf__field(e, "source_field");

            if (strcmp(isl_pf__field(e, "map"), isl_pf__field(m, "sys_id")) !=
                    0 ||
                !isl_pf__is_true(isl_pf__field(e, "coalesce")))
                continue;
            if (isl_pf__is_true(isl_pf__field(e, "coalesce_empty_fields"))) {
                snprintf(why, whylen,
                         "the field map %s of '%s' matches empty coalesce "
                         "values to empty ones, so a probe row could update "
                         "a record",
                         src, name);
                goto no;
            }
            if (dict_known &&
                !isl_pf__find_rec(&f->dictionary, "element", src)) {
                snprintf(why, whylen,
                         "the coalesce column %s is not in the staging "
                         "table (posting it would add the column)",
                         src);
                goto no;
            }
            ncoal++;
            if (json_object_set_new(b, src, json_string("")) < 0) {
                rc = ISL_ENOMEM;
                goto no;
            }
        }
        if (ncoal == 0) {
            snprintf(why, whylen,
                     "transform map '%s' does not coalesce, so a probe row "
                     "would insert a target record",
                     name);
            goto no;
        }
    }
    *body = b;
    return 1;
no:
    json_decref(b);
    return rc;
}

/* ---- check 2: posting and reading back ---- */

void isl_pf__judge_access(struct judge *j)
{
    struct isl_pf_check *c = &j->r->checks[ISL_PF_IMPORT_ACCESS];
    const struct isl_pf_facts *f = j->f;
    const char *staging = j->p->feed->staging_table;
    const struct isl_pf_answer *a = &f->probe;
    json_t *res = json_object_get(a->doc, "result"), *e, *body = NULL;
    const char *row_id = NULL;
    char t[400], why[400], fix[300];
    size_t i;

    if (!a->asked) {
        int rc = isl_pf_probe_plan(j->p, f, &body, why, sizeof(why));

        json_decref(body);
        if (rc < 0)
            j->oom = true;
        isl_pf__problem(j, c, ISL_PF_CANNOT,
                        j->p->post_probe
                            ? "see docs/operations.md for when the "
                              "probe is safe, or check posting by "
                              "hand"
                            : "run preflight without --no-post-probe "
                              "to check posting",
                        "posting was not checked: %s",
                        rc == 0 ? why : "the probe was not sent");
        return;
    }
    snprintf(fix, sizeof(fix),
             "give the user the import_set_loader role (and create access on "
             "%s)",
             staging);
    if (a->status == 0) {
        isl_pf__problem(j, c, ISL_PF_CANNOT, "run preflight again",
                        "the probe did not reach the instance (%s)", a->error);
        return;
    }
    if (a->status == 401) {
        isl_pf__problem(
            j, c, ISL_PF_FAIL, "check the credentials",
            "the instance refused the credentials for the probe (HTTP "
            "401)");
        return;
    }
    if (a->status == 429 || a->status >= 500) {
        isl_pf__problem(j, c, ISL_PF_CANNOT, "run preflight again later",
                        "the instance did not take the probe (%s)",
                        isl_pf__answer_text(a, t, sizeof(t)));
        return;
    }
    if (a->status == 403) {
        isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                        "the user may not import into %s (%s)", staging,
                        isl_pf__answer_text(a, t, sizeof(t)));
        return;
    }
    if ((a->status == 200 || a->status == 201) && !a->doc) {
        isl_pf__problem(
            j, c, ISL_PF_FAIL, fix,
            "the user may not import into %s (HTTP %ld with an empty "
            "body: the import roles are missing, KB0813223)",
            staging, a->status);
        return;
    }
    if (a->status != 200 && a->status != 201) {
        isl_pf__problem(j, c, ISL_PF_FAIL,
                        "check the staging table and the user's roles",
                        "the instance refused the probe row (%s)",
                        isl_pf__answer_text(a, t, sizeof(t)));
        return;
    }
    if (!json_is_array(res) || json_array_size(res) == 0) {
        isl_pf__problem(j, c, ISL_PF_CANNOT, "check the transform map",
                        "no transform map ran for the probe row");
        return;
    }
    json_array_foreach(res, i, e)
    {
        const char *st = isl_pf__field(e, "status");
        char del[300];

        if (!row_id)
            row_id = isl_pf__field(e, "sys_id");
        if (strcmp(st, "skipped") == 0 || strcmp(st, "ignored") == 0)
            continue;
        if (strcmp(st, "inserted") == 0 || strcmp(st, "updated") == 0) {
            snprintf(del, sizeof(del),
                     "check that record, and the map's coalesce settings");
            isl_pf__problem(
                j, c, ISL_PF_FAIL, del,
                "the probe row was %s into %s (sys_id %s): transform "
                "map '%s' did not skip it",
                st, isl_pf__field(e, "table"), isl_pf__field(e, "sys_id"),
                isl_pf__field(e, "transform_map"));
            row_id = NULL;
        } else {
            isl_pf__problem(j, c, ISL_PF_FAIL, "check the transform map",
                            "transform map '%s' answered %s for the probe row "
                            "(%s)",
                            isl_pf__field(e, "transform_map"), st,
                            isl_pf__field(e, "error_message"));
        }
    }
    isl_pf__fact(j, c, "probe_row", json_string(row_id ? row_id : ""));
    isl_pf__fact(j, c, "import_set",
                 json_string(isl_pf__field(a->doc, "import_set")));
    if (c->state != ISL_PF_PASS || !row_id || !*row_id)
        return;
    if (f->probe_row.status == 404)
        isl_pf__problem(
            j, c, ISL_PF_FAIL,
            "grant read on sys_import_set_row (import_set_loader has "
            "it out of the box)",
            "the user cannot read sys_import_set_row (the probe row "
            "%s is hidden: HTTP 404)",
            row_id);
    else if (f->probe_row.status != 200)
        isl_pf__problem(j, c, ISL_PF_CANNOT, "run preflight again",
                        "reading the probe row from sys_import_set_row failed "
                        "(%s)",
                        isl_pf__answer_text(&f->probe_row, t, sizeof(t)));
    if (f->probe_staged.status == 404) {
        snprintf(fix, sizeof(fix), "grant read on %s", staging);
        isl_pf__problem(
            j, c, ISL_PF_FAIL, fix,
            "the user cannot read %s rows (the probe row is hidden: "
            "HTTP 404), which is where the loader reads results",
            staging);
    } else if (f->probe_staged.status != 200) {
        isl_pf__problem(j, c, ISL_PF_CANNOT, "run preflight again",
                        "reading the probe row from %s failed (%s)", staging,
                        isl_pf__answer_text(&f->probe_staged, t, sizeof(t)));
    }
    isl_pf__pass(j, c,
                 "posted a probe row to %s (skipped by the transform, nothing "
                 "written) and read it back from sys_import_set_row and %s",
                 staging, staging);
}
