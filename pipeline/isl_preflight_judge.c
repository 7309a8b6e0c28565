/*
 * isl_preflight_judge.c: preflight verdicts from the instance's answers
 * (see isl_preflight.h). No network here: every function reads struct
 * isl_pf_facts, so tests feed it hand-written answers. This file has the
 * helpers the judge's files share (isl_preflight_int.h), the credentials
 * and rate-limit checks, and isl_pf_judge, which runs every check.
 *
 * Each problem found is one "what is wrong: what to do" phrase; a check's
 * line is its problems joined with "; ", or a summary when it passes.
 * Hidden data is never a failure: a list read the user may not do answers
 * `200 []`, so an empty answer is only "missing" when a second read shows
 * the user could have seen it.
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_preflight.h"
#include "isl_preflight_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LINE_CAP ((size_t)64 * 1024)

static const char *const check_names[ISL_PF_NCHECKS] = {
    "credentials",   "import-access", "staging-table",
    "transform-map", "rate-limit",
};

const char *isl_pf_state_word(enum isl_pf_state s, bool upper)
{
    switch (s) {
    case ISL_PF_PASS:
        return upper ? "PASS" : "pass";
    case ISL_PF_FAIL:
        return upper ? "FAIL" : "fail";
    case ISL_PF_CANNOT:
        break;
    }
    return upper ? "CANNOT-CHECK" : "cannot-check";
}

/* ---- reading answers ---- */

/* The "result" of a 200 answer, or NULL. */
json_t *isl_pf__result_of(const struct isl_pf_answer *a)
{
    json_t *r;

    if (!a->asked || a->status != 200 || !a->doc)
        return NULL;
    r = json_object_get(a->doc, "result");
    return json_is_array(r) || json_is_object(r) ? r : NULL;
}

/* Rows of a 200 list answer (0 when none or not asked). */
size_t isl_pf__rows_of(const struct isl_pf_answer *a)
{
    json_t *r = isl_pf__result_of(a);

    return json_is_array(r) ? json_array_size(r) : 0;
}

/* A record's field as text: a string, or a reference's {"value": ...}. */
const char *isl_pf__field(const json_t *rec, const char *key)
{
    json_t *v = json_object_get(rec, key);

    if (json_is_object(v))
        v = json_object_get(v, "value");
    return json_is_string(v) ? json_string_value(v) : "";
}

/* Does s contain the word (ASCII case-insensitive)? */
bool isl_pf__has_word(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

bool isl_pf__is_true(const char *s)
{
    return strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
}

/* The first record of a list answer whose `key` is `value`, or NULL. */
json_t *isl_pf__find_rec(const struct isl_pf_answer *a, const char *key,
                         const char *value)
{
    json_t *r = isl_pf__result_of(a), *rec;
    size_t i;

    json_array_foreach(r, i, rec)
    {
        if (strcmp(isl_pf__field(rec, key), value) == 0)
            return rec;
    }
    return NULL;
}

/* "HTTP 400: Invalid table x" or "HTTP 400", or the transport error. */
const char *isl_pf__answer_text(const struct isl_pf_answer *a, char *buf,
                                size_t n)
{
    if (a->status == 0)
        snprintf(buf, n, "%s", a->error[0] ? a->error : "no answer");
    else if (a->error[0])
        snprintf(buf, n, "HTTP %ld: %s", a->status, a->error);
    else
        snprintf(buf, n, "HTTP %ld", a->status);
    return buf;
}

/* ---- building verdicts ---- */

static void check_init(struct isl_pf_check *c, const char *name)
{
    c->name = name;
    c->state = ISL_PF_PASS;
    isl_buf_init(&c->line, LINE_CAP);
    c->problems = json_array();
    c->facts = json_object();
}

/*
 * Record one problem: st is ISL_PF_FAIL or ISL_PF_CANNOT; fix says what to
 * do (may be NULL). The check's state becomes the worst seen.
 */
void isl_pf__problem(struct judge *j, struct isl_pf_check *c,
                     enum isl_pf_state st, const char *fix, const char *fmt,
                     ...)
{
    char text[1024];
    json_t *o;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (c->state == ISL_PF_PASS || st == ISL_PF_FAIL)
        c->state = st;
    if ((c->line.len && isl_buf_adds(&c->line, "; ") < 0) ||
        isl_buf_adds(&c->line, text) < 0 ||
        (fix && isl_buf_addf(&c->line, ": %s", fix) < 0))
        j->oom = true;
    o = json_pack("{s:s, s:s, s:s?}", "result", isl_pf_state_word(st, false),
                  "problem", text, "fix", fix);
    if (!o || json_array_append_new(c->problems, o) < 0)
        j->oom = true;
}

/* The summary of a check that found no problem. */
void isl_pf__pass(struct judge *j, struct isl_pf_check *c, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    if (c->state != ISL_PF_PASS || c->line.len)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (isl_buf_adds(&c->line, text) < 0)
        j->oom = true;
}

void isl_pf__fact(struct judge *j, struct isl_pf_check *c, const char *key,
                  json_t *v)
{
    if (!v || json_object_set_new(c->facts, key, v) < 0)
        j->oom = true;
}

/* ---- check 1: credentials ---- */

static bool judge_credentials(struct judge *j)
{
    struct isl_pf_check *c = &j->r->checks[ISL_PF_CREDENTIALS];
    const struct isl_pf_answer *a = &j->f->tables;
    char t[400];

    if (j->f->oauth_error[0]) {
        isl_pf__problem(j, c, ISL_PF_FAIL,
                        "check ISLOAD_CLIENT_ID and ISLOAD_CLIENT_SECRET (and "
                        "the user's password for the password grant), and that "
                        "the OAuth application is active on the instance",
                        "the OAuth token request failed (%s)",
                        j->f->oauth_error);
    } else if (!a->asked) {
        isl_pf__problem(j, c, ISL_PF_CANNOT, "run preflight again",
                        "the instance was not asked");
    } else if (a->status == 0) {
        isl_pf__problem(
            j, c, ISL_PF_FAIL,
            "check --instance, the network, --proxy (or HTTPS_PROXY) "
            "and --ca-file",
            "cannot reach %s (%s)", j->p->instance, a->error);
    } else if (a->status == 401) {
        isl_pf__problem(j, c, ISL_PF_FAIL,
                        "check ISLOAD_USER and ISLOAD_PASSWORD (or the "
                        "--credentials file); the user must be active and not "
                        "locked out",
                        "the instance refused %s (HTTP 401)", j->p->auth);
    } else if (a->status >= 500) {
        isl_pf__problem(j, c, ISL_PF_CANNOT, "try again later",
                        "the instance could not answer (%s)",
                        isl_pf__answer_text(a, t, sizeof(t)));
    }
    isl_pf__pass(j, c, "%s accepted by %s", j->p->auth, j->p->instance);
    isl_pf__fact(j, c, "auth", json_string(j->p->auth));
    return c->state == ISL_PF_PASS;
}

/* ---- check 5: the rate limit ---- */

uint64_t isl_pf_requests_needed(uint64_t rows, enum isl_load_mode mode,
                                size_t batch_rows, unsigned images)
{
    uint64_t batch = batch_rows ? batch_rows : ISL_PF_DEFAULT_BATCH;

    if (mode == ISL_MODE_SINGLE)
        return rows * (1 + images);
    return (2 + images) * ((rows + batch - 1) / batch);
}

unsigned isl_pf_image_reads(const struct isl_pf_plan *p)
{
    if (p->no_manifest)
        return 0;
    return p->feed && p->feed->target.table ? 2 : 1;
}

static void judge_rate(struct judge *j)
{
    struct isl_pf_check *c = &j->r->checks[ISL_PF_RATE];
    const struct isl_pf_facts *f = j->f;
    const struct isl_pf_plan *p = j->p;
    size_t batch = p->batch_rows ? p->batch_rows : ISL_PF_DEFAULT_BATCH;
    unsigned images = isl_pf_image_reads(p);
    uint64_t need = isl_pf_requests_needed(p->rows, p->mode, batch, images);
    char how[200], rule[120] = "", when[40] = "";

    if (f->rate_limit > 0) {
        isl_pf__fact(j, c, "limit_per_hour", json_integer(f->rate_limit));
        isl_pf__fact(j, c, "rule", json_string(f->rate_rule));
        if (f->rate_reset > 0) {
            time_t reset = (time_t)f->rate_reset;
            struct tm tm;

            gmtime_r(&reset, &tm);
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
            isl_pf__fact(j, c, "reset", json_string(when));
        }
        if (f->rate_rule[0])
            snprintf(rule, sizeof(rule), " (rule %s)", f->rate_rule);
    }
    if (p->rows_known) {
        isl_pf__fact(j, c, "rows", json_integer((json_int_t)p->rows));
        isl_pf__fact(j, c, "requests_needed", json_integer((json_int_t)need));
    }
    if (p->mode == ISL_MODE_SINGLE)
        snprintf(how, sizeof(how), "%llu rows, one post each%s",
                 (unsigned long long)p->rows,
                 images == 2   ? " and two image reads"
                 : images == 1 ? " and an image read"
                               : "");
    else
        snprintf(how, sizeof(how), "%llu rows in batches of %zu, %s each",
                 (unsigned long long)p->rows, batch,
                 images == 2 ? "a post, at least one result read and two "
                               "image reads"
                 : images == 1
                     ? "a post, at least one result read and an image read"
                     : "a post and at least one result read");
    if (f->rate_limit <= 0) {
        isl_pf__problem(
            j, c, ISL_PF_CANNOT,
            "check the rules in sys_rate_limit_rules that apply to "
            "this user",
            "the instance sent no X-RateLimit headers (no rate limit "
            "rule applies to these requests, or the instance does "
            "not say)");
        return;
    }
    if (!p->rows_known) {
        isl_pf__problem(
            j, c, ISL_PF_CANNOT, "give INPUT or --rows N",
            "no row count to check against the limit of %ld requests "
            "per hour%s",
            f->rate_limit, rule);
        return;
    }
    if (need > (uint64_t)f->rate_limit) {
        char fix[300];

        snprintf(fix, sizeof(fix),
                 "raise the limit of the rule in sys_rate_limit_rules, or "
                 "%s",
                 p->mode == ISL_MODE_SINGLE
                     ? "load in batches (--mode multiple)"
                     : "send larger batches (--batch)");
        isl_pf__problem(j, c, ISL_PF_FAIL, fix,
                        "the run needs at least %llu requests (%s) but the "
                        "instance allows %ld per hour%s: it would take %.1f "
                        "hours",
                        (unsigned long long)need, how, f->rate_limit, rule,
                        (double)need / (double)f->rate_limit);
        return;
    }
    isl_pf__pass(
        j, c,
        "the run needs about %llu requests (%s); the instance allows %ld "
        "per hour%s",
        (unsigned long long)need, how, f->rate_limit, rule);
}

/* ---- all of it ---- */

int isl_pf_judge(const struct isl_pf_plan *plan,
                 const struct isl_pf_facts *facts, struct isl_pf_results *res)
{
    struct judge j = {plan, facts, res, false};

    for (int i = 0; i < ISL_PF_NCHECKS; i++)
        check_init(&res->checks[i], check_names[i]);
    if (!judge_credentials(&j)) {
        for (int i = 1; i < ISL_PF_NCHECKS; i++)
            isl_pf__problem(&j, &res->checks[i], ISL_PF_CANNOT,
                            "fix the credentials first",
                            "not checked: the credentials check did not pass");
    } else {
        isl_pf__judge_staging(&j);
        isl_pf__judge_transform(&j);
        isl_pf__judge_access(&j);
        judge_rate(&j);
    }
    for (int i = 0; i < ISL_PF_NCHECKS; i++)
        if (!res->checks[i].problems || !res->checks[i].facts)
            j.oom = true;
    return j.oom ? ISL_ENOMEM : 0;
}

void isl_pf_results_free(struct isl_pf_results *res)
{
    for (int i = 0; i < ISL_PF_NCHECKS; i++) {
        isl_buf_free(&res->checks[i].line);
        json_decref(res->checks[i].problems);
        json_decref(res->checks[i].facts);
        res->checks[i].problems = res->checks[i].facts = NULL;
    }
}
