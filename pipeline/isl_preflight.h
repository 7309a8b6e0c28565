/*
 * isl_preflight.h: `isload preflight`: is an instance ready for a feed?
 *
 * Five checks, each ending PASS, FAIL or CANNOT-CHECK with what is wrong
 * and what to do about it (docs/operations.md, "Preflight"):
 *
 *   credentials     the instance accepts them
 *   import-access   the user can post to the staging table (one probe row
 *                   whose coalesce values are empty, so the transform
 *                   skips it) and read it back from sys_import_set_row
 *   staging-table   the table exists, has the feed's columns, long enough,
 *                   the correlation column exists or can be added, and
 *                   insertMultiple reads the keys the loader sends
 *   transform-map   an active map coalesces on the feed's key/target.match
 *                   and maps target.fields
 *   rate-limit      X-RateLimit-Limit leaves room for the planned run
 *
 * The work is split in two: isl_preflight.c asks the instance (Table API
 * reads, plus the probe) and keeps every answer in struct isl_pf_facts;
 * the judge (isl_preflight_judge.c, _access.c, _tables.c) turns facts into
 * verdicts without any network, so every verdict can be tested from
 * hand-written answers. A list read the
 * user may not do answers `200 []`, like an empty table, so the judge
 * tells "missing" from "hidden" with a second read (the table itself, or
 * the whole metadata table) and says CANNOT-CHECK when the data is hidden.
 */
#ifndef ISL_PREFLIGHT_H
#define ISL_PREFLIGHT_H

#include "isl_setup.h"
#include "isl_buf.h"
#include "isl_loader.h"

#include <jansson.h>
#include <stdio.h>

struct isl_error;
struct isl_feed;
struct isl_http;

enum isl_pf_state { ISL_PF_PASS, ISL_PF_FAIL, ISL_PF_CANNOT };

enum isl_pf_id {
    ISL_PF_CREDENTIALS,
    ISL_PF_IMPORT_ACCESS,
    ISL_PF_STAGING,
    ISL_PF_TRANSFORM,
    ISL_PF_RATE,
    ISL_PF_NCHECKS
};

/* One check's verdict. */
struct isl_pf_check {
    const char *name;        /* "credentials", "staging-table", ... */
    enum isl_pf_state state; /* FAIL when any problem fails, else CANNOT
                                when any cannot be checked, else PASS */
    struct isl_buf line;     /* the text printed after the name */
    json_t *problems;        /* [{"problem", "fix", "result"}] (owned) */
    json_t *facts;           /* what was read, for --json (owned) */
};

/* One answer from the instance. */
struct isl_pf_answer {
    bool asked;
    long status;     /* HTTP status; 0: transport error */
    json_t *doc;     /* the parsed body, NULL if empty or not JSON (owned) */
    char error[300]; /* the transport error or the body's error.message */
};

/* What the planned run will do (from the feed and the load options). */
struct isl_pf_plan {
    const struct isl_feed *feed;
    const char *instance;
    const char *auth;     /* "basic auth as loader" */
    const char *corr_col; /* correlation column (u_isload_row) */
    enum isl_load_mode mode;
    size_t batch_rows; /* rows per insertMultiple (0: loader default) */
    bool use_labels;   /* --keys label */
    bool rows_known;   /* a row count was given or counted */
    uint64_t rows;     /* rows the run reads */
    bool post_probe;   /* false: --no-post-probe */
    bool no_manifest;  /* the load runs with --no-manifest */
};

/* Everything the instance answered. */
struct isl_pf_facts {
    char oauth_error[512];               /* the token request failed: why */
    struct isl_pf_answer tables;         /* sys_db_object: staging, base */
    struct isl_pf_answer dictionary;     /* sys_dictionary name=staging */
    struct isl_pf_answer staging_read;   /* the staging table, one row */
    struct isl_pf_answer property;       /* dynamically_add_fields */
    struct isl_pf_answer rim, rim_any;   /* sys_rest_insert_multiple */
    struct isl_pf_answer maps, maps_any; /* sys_transform_map */
    struct isl_pf_answer entries, entries_any; /* sys_transform_entry */
    struct isl_pf_answer probe;        /* POST /api/now/import/staging */
    struct isl_pf_answer probe_row;    /* sys_import_set_row/<probe> */
    struct isl_pf_answer probe_staged; /* staging/<probe> */
    long rate_limit;                   /* smallest X-RateLimit-Limit seen */
    int64_t rate_reset;                /* its X-RateLimit-Reset */
    char rate_rule[64];                /* its X-RateLimit-Rule */
    bool unreachable; /* a request never reached the instance, or the
                         instance refused the credentials */
};

struct isl_pf_results {
    struct isl_pf_check checks[ISL_PF_NCHECKS];
};

/* The loader's default batch size, used when plan->batch_rows is 0. */
#define ISL_PF_DEFAULT_BATCH 200

/* The correlation column the loader adds when none is given. */
#define ISL_PF_DEFAULT_CORR "u_isload_row"

/*
 * Ask the instance everything the checks need, then judge. http must have
 * nothing pending. Facts and results belong to the caller
 * (isl_preflight_free). Returns 0, or ISL_ENOMEM.
 */
int isl_preflight_run(struct isl_http *http, const struct isl_pf_plan *plan,
                      struct isl_pf_facts *facts, struct isl_pf_results *res,
                      struct isl_error *err);

/* ---- the judge (isl_preflight_judge.c): no network ---- */

/* Fill res from facts (res zeroed or freed before). Returns 0/ISL_ENOMEM. */
int isl_pf_judge(const struct isl_pf_plan *plan,
                 const struct isl_pf_facts *facts, struct isl_pf_results *res);

/*
 * May the probe row be posted? Yes only when it cannot write a target
 * record: every active map of the staging table coalesces (read from
 * sys_transform_entry), none creates records on empty coalesce values,
 * matches empty to empty or runs a map script, and the coalesce columns
 * are known to exist. On yes, *body is the row to post (every coalesce
 * source field empty; owned by the caller) and 1 is returned; on no, why
 * says why and 0 is returned; ISL_ENOMEM on allocation failure.
 */
int isl_pf_probe_plan(const struct isl_pf_plan *plan,
                      const struct isl_pf_facts *facts, json_t **body,
                      char *why, size_t whylen);

/*
 * Requests a run of `rows` rows needs at least: per batch (one row in
 * single mode), the import POST, in multiple mode at least one result
 * read (asynchronous transforms are polled more often), and `images`
 * image reads for the rollback manifest (the target before the batch,
 * what it wrote after: 2 with a target section, 1 without, 0 with
 * --no-manifest).
 */
uint64_t isl_pf_requests_needed(uint64_t rows, enum isl_load_mode mode,
                                size_t batch_rows, unsigned images);

/* The image reads per batch a load of this feed makes (see above). */
unsigned isl_pf_image_reads(const struct isl_pf_plan *p);

/* "PASS", "FAIL", "CANNOT-CHECK" and "pass", "fail", "cannot-check". */
const char *isl_pf_state_word(enum isl_pf_state s, bool upper);

/* ---- output ---- */

/* One line per check: "PASS credentials: basic auth as loader accepted". */
void isl_pf_print(const struct isl_pf_results *res, FILE *f);

/*
 * Exit code: 0 every check passed, 3 the instance could not be reached or
 * refused the credentials, else 1 (a check failed or could not be checked).
 */
int isl_pf_exit_code(const struct isl_pf_facts *facts,
                     const struct isl_pf_results *res);

/* Write the results as JSON to path (docs/operations.md). */
int isl_pf_write_json(const struct isl_pf_plan *plan,
                      const struct isl_pf_results *res, int exit_code,
                      const char *path, struct isl_error *err);

void isl_pf_facts_free(struct isl_pf_facts *facts);
void isl_pf_results_free(struct isl_pf_results *res);

#endif
