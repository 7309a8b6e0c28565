/*
 * isl_preflight_int.h: what the preflight judge's files share (not for
 * callers: they use isl_preflight.h). isl_preflight_judge.c has the
 * helpers below, the credentials and rate-limit checks and the driver;
 * isl_preflight_access.c the probe and import-access; isl_preflight_tables.c
 * the staging-table and transform-map checks.
 */
#ifndef ISL_PREFLIGHT_INT_H
#define ISL_PREFLIGHT_INT_H

#include "isl_setup.h"
#include "isl_preflight.h"

#include <jansson.h>

/* One judging pass: what is judged, and where the verdicts go. */
struct judge {
    const struct isl_pf_plan *p;
    const struct isl_pf_facts *f;
    struct isl_pf_results *r;
    bool oom; /* an allocation failed: the results are incomplete */
};

/* The "result" of a 200 answer (array or object), or NULL. */
json_t *isl_pf__result_of(const struct isl_pf_answer *a);

/* Rows of a 200 list answer (0 when none, not a list, or not asked). */
size_t isl_pf__rows_of(const struct isl_pf_answer *a);

/* A record's field as text: a string, or a reference's {"value": ...};
 * "" when absent (rec may be NULL). */
const char *isl_pf__field(const json_t *rec, const char *key);

/* Does s contain word (ASCII case-insensitive)? */
bool isl_pf__has_word(const char *s, const char *word);

/* "true" or "1". */
bool isl_pf__is_true(const char *s);

/* The first record of a list answer whose key is value, or NULL. */
json_t *isl_pf__find_rec(const struct isl_pf_answer *a, const char *key,
                         const char *value);

/* "HTTP 400: Invalid table x", "HTTP 404", or the transport error. */
const char *isl_pf__answer_text(const struct isl_pf_answer *a, char *buf,
                                size_t n);

/*
 * Record one problem on check c: st is ISL_PF_FAIL or ISL_PF_CANNOT, fix
 * says what to do (may be NULL). The check's state becomes the worst
 * seen; its line gets "problem: fix", after "; " if not the first.
 */
void isl_pf__problem(struct judge *j, struct isl_pf_check *c,
                     enum isl_pf_state st, const char *fix, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/* The summary line of a check that found no problem (else ignored). */
void isl_pf__pass(struct judge *j, struct isl_pf_check *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add key: v (owned) to the check's facts. */
void isl_pf__fact(struct judge *j, struct isl_pf_check *c, const char *key,
                  json_t *v);

/* Does the staging table exist, from every answer that says anything? */
enum isl_pf_table {
    ISL_PF_TABLE_UNKNOWN,
    ISL_PF_TABLE_EXISTS,
    ISL_PF_TABLE_MISSING
};
enum isl_pf_table isl_pf__staging_state(const struct isl_pf_plan *p,
                                        const struct isl_pf_facts *f);

/* The checks (one function each fills its res->checks[] entry). */
void isl_pf__judge_staging(struct judge *j);
void isl_pf__judge_transform(struct judge *j);
void isl_pf__judge_access(struct judge *j);

#endif
