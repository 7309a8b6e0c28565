/*
 * u_preflight.c: the preflight judge (isl_preflight_judge.c and friends)
 * from hand-written instance answers: every verdict, the probe's safety
 * rules, the request estimate and the JSON file, without any network.
 */
#include "t.h"

#include "isl_buf.h"
#include "isl_error.h"
#include "isl_feed.h"
#include "isl_preflight.h"

#include <unistd.h>

static const char feed_text[] =
    "{\"name\": \"t\", \"staging_table\": \"u_t_import\", \"key\": [\"u_id\"],"
    " \"fields\": [{\"column\": \"u_id\"},"
    "  {\"column\": \"u_email\", \"label\": \"Email\","
    "   \"stages\": [{\"length\": {\"max\": 80}}]},"
    "  {\"column\": \"u_name\", \"stages\": [\"trim\", \"length\"]}],"
    " \"target\": {\"table\": \"u_person\", \"match\": {\"number\": \"u_id\"},"
    "  \"fields\": {\"email\": \"u_email\"}}}";

static const char keyonly_text[] =
    "{\"name\": \"k\", \"staging_table\": \"u_t_import\", \"key\": [\"u_id\"],"
    " \"fields\": [{\"column\": \"u_id\"}, {\"column\": \"u_email\"}]}";

static struct isl_feed *load_feed(const char *text)
{
    char path[] = "/tmp/u_preflight_XXXXXX";
    int fd = mkstemp(path);
    struct isl_feed *feed = NULL;
    struct isl_error err;

    isl_error_clear(&err);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return NULL;
    close(fd);
    if (isl_feed_load(&feed, path, NULL, &err) < 0)
        fprintf(stderr, "  feed: %s\n", err.msg);
    unlink(path);
    return feed;
}

static void answer(struct isl_pf_answer *a, long status, const char *body)
{
    json_decref(a->doc);
    a->asked = true;
    a->status = status;
    a->doc = body ? json_loads(body, 0, NULL) : NULL;
    a->error[0] = '\0';
    if (body && !a->doc)
        fprintf(stderr, "  bad test JSON: %s\n", body);
}

/* Answers of an instance set up the way feed_text asks. */
static void good_instance(struct isl_pf_facts *f)
{
    isl_pf_facts_free(f);
    memset(f, 0, sizeof(*f));
    answer(
        &f->tables, 200,
        "{\"result\": [{\"sys_id\": \"b1\", \"name\": \"sys_import_set_row\","
        " \"super_class\": \"\"}, {\"sys_id\": \"s1\", \"name\": "
        "\"u_t_import\", \"super_class\": \"b1\"}]}");
    answer(&f->dictionary, 200,
           "{\"result\": [{\"element\": \"\", \"max_length\": \"40\"},"
           " {\"element\": \"u_id\", \"max_length\": \"40\"},"
           " {\"element\": \"u_email\", \"max_length\": \"100\","
           "  \"column_label\": \"Email\"},"
           " {\"element\": \"u_name\", \"max_length\": \"40\"},"
           " {\"element\": \"u_isload_row\", \"max_length\": \"40\"}]}");
    answer(&f->rim, 200,
           "{\"result\": [{\"source_table\": \"u_t_import\","
           " \"column_mapping\": \"column_name\"}]}");
    answer(&f->maps, 200,
           "{\"result\": [{\"sys_id\": \"m1\", \"name\": \"T\", \"active\": "
           "\"true\", \"target_table\": \"u_person\"}]}");
    answer(&f->entries, 200,
           "{\"result\": [{\"map\": \"m1\", \"source_field\": \"u_id\","
           " \"target_field\": \"number\", \"coalesce\": \"true\"},"
           " {\"map\": \"m1\", \"source_field\": \"u_email\","
           " \"target_field\": \"email\", \"coalesce\": \"false\"}]}");
    answer(&f->probe, 201,
           "{\"import_set\": \"ISET0010001\", \"result\": [{\"transform_map\":"
           " \"T\", \"table\": \"u_person\", \"status\": \"skipped\","
           " \"sys_id\": \"r1\"}]}");
    answer(&f->probe_row, 200, "{\"result\": {\"sys_id\": \"r1\"}}");
    answer(&f->probe_staged, 200, "{\"result\": {\"sys_id\": \"r1\"}}");
    f->rate_limit = 1000;
    snprintf(f->rate_rule, sizeof(f->rate_rule), "rule1");
}

static struct isl_pf_plan plan_for(const struct isl_feed *feed)
{
    struct isl_pf_plan p = {0};

    p.feed = feed;
    p.instance = "https://x.service-now.com";
    p.auth = "basic auth as loader";
    p.corr_col = ISL_PF_DEFAULT_CORR;
    p.mode = ISL_MODE_MULTIPLE;
    p.rows_known = true;
    p.rows = 1000;
    p.post_probe = true;
    return p;
}

/* Judge and return check id's line ("" on failure), state in *st. */
static const char *judge(const struct isl_pf_plan *p,
                         const struct isl_pf_facts *f, int id,
                         enum isl_pf_state *st)
{
    static char line[4096];
    struct isl_pf_results r = {0};

    line[0] = '\0';
    T_CHECK(isl_pf_judge(p, f, &r) == 0);
    *st = r.checks[id].state;
    snprintf(line, sizeof(line), "%s",
             r.checks[id].line.data ? r.checks[id].line.data : "");
    isl_pf_results_free(&r);
    return line;
}

static void test_requests_needed(void)
{
    T_CHECK(isl_pf_requests_needed(1000, ISL_MODE_MULTIPLE, 200, 0) == 10);
    T_CHECK(isl_pf_requests_needed(1001, ISL_MODE_MULTIPLE, 200, 0) == 12);
    T_CHECK(isl_pf_requests_needed(1001, ISL_MODE_MULTIPLE, 0, 0) == 12);
    T_CHECK(isl_pf_requests_needed(0, ISL_MODE_MULTIPLE, 200, 0) == 0);
    T_CHECK(isl_pf_requests_needed(1001, ISL_MODE_SINGLE, 200, 0) == 1001);
    /* the manifest's before- and after-image reads */
    T_CHECK(isl_pf_requests_needed(1000, ISL_MODE_MULTIPLE, 200, 2) == 20);
    T_CHECK(isl_pf_requests_needed(1000, ISL_MODE_MULTIPLE, 200, 1) == 15);
    T_CHECK(isl_pf_requests_needed(10, ISL_MODE_SINGLE, 200, 2) == 30);
}

static void test_all_pass(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    struct isl_pf_results r = {0};

    T_CHECK(feed != NULL);
    if (!feed)
        return;
    good_instance(&f);
    T_CHECK(isl_pf_judge(&p, &f, &r) == 0);
    for (int i = 0; i < ISL_PF_NCHECKS; i++) {
        if (r.checks[i].state != ISL_PF_PASS)
            fprintf(stderr, "  %s: %s\n", r.checks[i].name,
                    r.checks[i].line.data);
        T_CHECK(r.checks[i].state == ISL_PF_PASS);
    }
    T_STREQ(r.checks[ISL_PF_STAGING].line.data,
            "u_t_import has the feed's 3 columns, long enough; u_isload_row "
            "exists; insertMultiple reads column names");
    T_CHECK(isl_pf_exit_code(&f, &r) == 0);
    f.unreachable = true;
    T_CHECK(isl_pf_exit_code(&f, &r) == 3);
    isl_pf_results_free(&r);
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_columns(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    enum isl_pf_state st;

    if (!feed)
        return;
    good_instance(&f);
    /* u_email 40 < 80; a bare "length" stage means 40 > 30; no u_id; the
     * correlation column missing and the instance does not add columns */
    answer(&f.dictionary, 200,
           "{\"result\": [{\"element\": \"u_email\", \"max_length\": \"40\"},"
           " {\"element\": \"u_name\", \"max_length\": \"30\","
           "  \"active\": \"false\"}]}");
    answer(&f.property, 200, "{\"result\": [{\"value\": \"false\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_STAGING, &st),
            "staging column u_id is missing: add it to u_t_import (String); "
            "staging column u_email is 40 long but the feed allows 80: raise "
            "its max length in sys_dictionary to 80; staging column u_name "
            "is inactive: set it active in sys_dictionary; staging column "
            "u_name is 30 long but the feed allows 40: raise its max length "
            "in sys_dictionary to 40; correlation column u_isload_row is "
            "missing and the instance does not add columns "
            "(glide.import_set_row.dynamically_add_fields is false): add "
            "u_isload_row (String, 40) to u_t_import, or set "
            "glide.import_set_row.dynamically_add_fields to true");
    T_CHECK(st == ISL_PF_FAIL);

    /* --keys label with a label that differs */
    good_instance(&f);
    answer(&f.rim, 200, "{\"result\": [{\"column_mapping\": \"label\"}]}");
    p.use_labels = true;
    answer(&f.dictionary, 200,
           "{\"result\": [{\"element\": \"u_id\"}, {\"element\": \"u_name\"},"
           " {\"element\": \"u_email\", \"column_label\": \"E-mail\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_STAGING, &st),
            "staging column u_email is labelled 'E-mail' but the feed sends "
            "'Email' (--keys label): make the feed's label the same, or load "
            "with --keys name");
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_table_hidden_or_missing(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    enum isl_pf_state st;

    if (!feed)
        return;
    /* dictionary hidden, the table visible through sys_db_object */
    good_instance(&f);
    answer(&f.dictionary, 200, "{\"result\": []}");
    T_STREQ(judge(&p, &f, ISL_PF_STAGING, &st),
            "cannot read sys_dictionary: it shows no entries for u_t_import, "
            "which exists: grant the user read access on sys_dictionary, or "
            "compare the columns of u_t_import by hand");
    T_CHECK(st == ISL_PF_CANNOT);

    /* everything hidden, but the table answers: it exists */
    answer(&f.tables, 200, "{\"result\": []}");
    answer(&f.staging_read, 200, "{\"result\": []}");
    judge(&p, &f, ISL_PF_STAGING, &st);
    T_CHECK(st == ISL_PF_CANNOT);

    /* the table itself says it does not exist */
    answer(&f.staging_read, 400,
           "{\"error\": {\"message\": \"Invalid table u_t_import\"}}");
    snprintf(f.staging_read.error, sizeof(f.staging_read.error),
             "Invalid table u_t_import");
    T_STREQ(judge(&p, &f, ISL_PF_STAGING, &st),
            "staging table u_t_import does not exist (HTTP 400: Invalid table "
            "u_t_import): create it as an import set table (extending "
            "sys_import_set_row), or correct staging_table in the feed");
    T_CHECK(st == ISL_PF_FAIL);

    /* nothing tells: cannot-check */
    answer(&f.staging_read, 503, NULL);
    judge(&p, &f, ISL_PF_STAGING, &st);
    T_CHECK(st == ISL_PF_CANNOT);

    /* a table that does not extend sys_import_set_row */
    good_instance(&f);
    answer(&f.tables, 200,
           "{\"result\": [{\"sys_id\": \"b1\", \"name\": "
           "\"sys_import_set_row\"}, {\"sys_id\": \"s1\", \"name\": "
           "\"u_t_import\", \"super_class\": \"\"}]}");
    judge(&p, &f, ISL_PF_STAGING, &st);
    T_CHECK(st == ISL_PF_FAIL);
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_insert_multiple(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    enum isl_pf_state st;

    if (!feed)
        return;
    good_instance(&f);
    answer(&f.rim, 200, "{\"result\": []}");
    answer(&f.rim_any, 200, "{\"result\": [{\"sys_id\": \"x\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_STAGING, &st),
            "u_t_import has no REST Insert Multiple record "
            "(sys_rest_insert_multiple), so insertMultiple reads keys as "
            "column labels but the loader sends column names: create one for "
            "u_t_import with Column mapping = Column name, or load with "
            "--keys label");
    T_CHECK(st == ISL_PF_FAIL);
    p.use_labels = true;
    judge(&p, &f, ISL_PF_STAGING, &st);
    T_CHECK(st == ISL_PF_PASS);
    p.use_labels = false;
    answer(&f.rim_any, 200, "{\"result\": []}");
    judge(&p, &f, ISL_PF_STAGING, &st);
    T_CHECK(st == ISL_PF_CANNOT);
    /* single mode does not use insertMultiple */
    p.mode = ISL_MODE_SINGLE;
    judge(&p, &f, ISL_PF_STAGING, &st);
    T_CHECK(st == ISL_PF_PASS);
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_transform(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_feed *keyonly = load_feed(keyonly_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    enum isl_pf_state st;

    if (!feed || !keyonly)
        return;
    good_instance(&f);
    /* coalescing on the right pair plus another; email not mapped */
    answer(&f.entries, 200,
           "{\"result\": [{\"map\": \"m1\", \"source_field\": \"u_id\","
           " \"target_field\": \"number\", \"coalesce\": \"true\"},"
           " {\"map\": \"m1\", \"source_field\": \"u_name\","
           " \"target_field\": \"name\", \"coalesce\": \"true\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_TRANSFORM, &st),
            "transform map 'T' coalesces on u_id -> number, u_name -> name "
            "but the feed matches on u_id -> number: clear Coalesce on u_name "
            "-> name; target field email is not mapped by 'T': add a field "
            "map u_email -> email");
    T_CHECK(st == ISL_PF_FAIL);

    /* the right target field from the wrong column; no coalesce at all */
    answer(&f.entries, 200,
           "{\"result\": [{\"map\": \"m1\", \"source_field\": \"u_id\","
           " \"target_field\": \"number\", \"coalesce\": \"false\"},"
           " {\"map\": \"m1\", \"source_field\": \"u_name\","
           " \"target_field\": \"email\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_TRANSFORM, &st),
            "transform map 'T' does not coalesce: every row inserts a new "
            "target record, so a rerun duplicates them: set Coalesce on the "
            "field map u_id -> number; target field email is mapped from "
            "u_name in 'T' but the feed sends it in u_email: change that "
            "field map's source field to u_email");

    /* an active map to another table only */
    good_instance(&f);
    answer(&f.maps, 200,
           "{\"result\": [{\"sys_id\": \"m1\", \"name\": \"T\", \"active\":"
           " \"true\", \"target_table\": \"u_other\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_TRANSFORM, &st),
            "no active transform map from u_t_import writes to u_person ('T' "
            "writes to u_other): create or activate a map from u_t_import to "
            "u_person, or correct target.table in the feed");

    /* no map visible at all: cannot tell none from hidden */
    answer(&f.maps, 200, "{\"result\": []}");
    answer(&f.maps_any, 200, "{\"result\": []}");
    judge(&p, &f, ISL_PF_TRANSFORM, &st);
    T_CHECK(st == ISL_PF_CANNOT);

    /* field maps hidden */
    good_instance(&f);
    answer(&f.entries, 200, "{\"result\": []}");
    answer(&f.entries_any, 200, "{\"result\": []}");
    judge(&p, &f, ISL_PF_TRANSFORM, &st);
    T_CHECK(st == ISL_PF_CANNOT);
    answer(&f.entries_any, 200, "{\"result\": [{\"sys_id\": \"e\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_TRANSFORM, &st),
            "transform map 'T' has no field maps: add field maps "
            "(sys_transform_entry) for the feed's target fields");

    /* a feed without target: the key's columns are the coalesce sources */
    good_instance(&f);
    p = plan_for(keyonly);
    judge(&p, &f, ISL_PF_TRANSFORM, &st);
    T_CHECK(st == ISL_PF_PASS);
    answer(&f.entries, 200,
           "{\"result\": [{\"map\": \"m1\", \"source_field\": \"u_email\","
           " \"target_field\": \"email\", \"coalesce\": \"true\"},"
           " {\"map\": \"m1\", \"source_field\": \"u_id\","
           " \"target_field\": \"number\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_TRANSFORM, &st),
            "transform map 'T' coalesces on u_email -> email but the feed has "
            "key u_id: set Coalesce on u_id, clear Coalesce on u_email -> "
            "email");
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
    isl_feed_free(keyonly);
}

static void test_probe_plan(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    json_t *body = NULL;
    char why[400], *text;

    if (!feed)
        return;
    good_instance(&f);
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 1);
    text = json_dumps(body, JSON_COMPACT);
    T_STREQ(text, "{\"u_id\":\"\"}");
    free(text);
    json_decref(body);

    p.post_probe = false;
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 0);
    T_CHECK(body == NULL);
    T_STREQ(why, "the probe row was not posted (--no-post-probe)");
    p.post_probe = true;

    answer(&f.maps, 200,
           "{\"result\": [{\"sys_id\": \"m1\", \"name\": \"T\", \"active\": "
           "\"true\", \"create_new_record_on_empty_coalesce_fields\": "
           "\"true\"}]}");
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 0);
    T_STREQ(why, "transform map 'T' creates a record when the coalesce "
                 "fields are empty, so a probe row would insert one");

    answer(&f.maps, 200,
           "{\"result\": [{\"sys_id\": \"m1\", \"name\": \"T\", \"active\": "
           "\"true\", \"run_script\": \"true\"}]}");
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 0);

    /* a second active map that does not coalesce would insert */
    good_instance(&f);
    answer(&f.maps, 200,
           "{\"result\": [{\"sys_id\": \"m1\", \"name\": \"T\", \"active\": "
           "\"true\"}, {\"sys_id\": \"m2\", \"name\": \"U\", \"active\": "
           "\"true\"}]}");
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 0);
    T_STREQ(why, "transform map 'U' does not coalesce, so a probe row would "
                 "insert a target record");

    good_instance(&f);
    answer(&f.entries, 200,
           "{\"result\": [{\"map\": \"m1\", \"source_field\": \"u_id\","
           " \"coalesce\": \"true\", \"coalesce_empty_fields\": \"true\"}]}");
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 0);

    /* a coalesce column the staging table lacks would be added */
    good_instance(&f);
    answer(&f.entries, 200,
           "{\"result\": [{\"map\": \"m1\", \"source_field\": \"u_code\","
           " \"coalesce\": \"true\"}]}");
    T_CHECK(isl_pf_probe_plan(&p, &f, &body, why, sizeof(why)) == 0);
    T_STREQ(why, "the coalesce column u_code is not in the staging table "
                 "(posting it would add the column)");
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_access(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    enum isl_pf_state st;

    if (!feed)
        return;
    good_instance(&f);
    answer(&f.probe, 201,
           "{\"result\": [{\"transform_map\": \"T\", \"table\": \"u_person\","
           " \"status\": \"inserted\", \"sys_id\": \"t9\"}]}");
    T_STREQ(judge(&p, &f, ISL_PF_IMPORT_ACCESS, &st),
            "the probe row was inserted into u_person (sys_id t9): transform "
            "map 'T' did not skip it: check that record, and the map's "
            "coalesce settings");
    T_CHECK(st == ISL_PF_FAIL);

    answer(&f.probe, 403, "{\"error\": {\"message\": \"Operation Failed\"}}");
    snprintf(f.probe.error, sizeof(f.probe.error), "Operation Failed");
    T_STREQ(judge(&p, &f, ISL_PF_IMPORT_ACCESS, &st),
            "the user may not import into u_t_import (HTTP 403: Operation "
            "Failed): give the user the import_set_loader role (and create "
            "access on u_t_import)");

    good_instance(&f);
    answer(&f.probe_row, 404, NULL);
    T_STREQ(judge(&p, &f, ISL_PF_IMPORT_ACCESS, &st),
            "the user cannot read sys_import_set_row (the probe row r1 is "
            "hidden: HTTP 404): grant read on sys_import_set_row "
            "(import_set_loader has it out of the box)");
    T_CHECK(st == ISL_PF_FAIL);

    good_instance(&f);
    answer(&f.probe, 429, NULL);
    judge(&p, &f, ISL_PF_IMPORT_ACCESS, &st);
    T_CHECK(st == ISL_PF_CANNOT);
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_rate_and_credentials(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    enum isl_pf_state st;

    if (!feed)
        return;
    good_instance(&f);
    p.no_manifest = true; /* two requests a batch */
    p.rows = 100000;      /* exactly 1000 requests: fits */
    judge(&p, &f, ISL_PF_RATE, &st);
    T_CHECK(st == ISL_PF_PASS);
    p.rows = 100001;
    T_STREQ(judge(&p, &f, ISL_PF_RATE, &st),
            "the run needs at least 1002 requests (100001 rows in batches of "
            "200, a post and at least one result read each) but the instance "
            "allows 1000 per hour (rule rule1): it would take 1.0 hours: "
            "raise the limit of the rule in sys_rate_limit_rules, or send "
            "larger batches (--batch)");
    T_CHECK(st == ISL_PF_FAIL);
    p.rows_known = false;
    judge(&p, &f, ISL_PF_RATE, &st);
    T_CHECK(st == ISL_PF_CANNOT);
    f.rate_limit = 0;
    p.rows_known = true;
    judge(&p, &f, ISL_PF_RATE, &st);
    T_CHECK(st == ISL_PF_CANNOT);

    good_instance(&f);
    answer(&f.tables, 503, NULL);
    T_STREQ(judge(&p, &f, ISL_PF_CREDENTIALS, &st),
            "the instance could not answer (HTTP 503): try again later");
    T_CHECK(st == ISL_PF_CANNOT);
    T_STREQ(judge(&p, &f, ISL_PF_TRANSFORM, &st),
            "not checked: the credentials check did not pass: fix the "
            "credentials first");
    snprintf(f.oauth_error, sizeof(f.oauth_error), "HTTP 401");
    judge(&p, &f, ISL_PF_CREDENTIALS, &st);
    T_CHECK(st == ISL_PF_FAIL);
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

static void test_json_file(void)
{
    struct isl_feed *feed = load_feed(feed_text);
    struct isl_pf_plan p = plan_for(feed);
    struct isl_pf_facts f = {0};
    struct isl_pf_results r = {0};
    struct isl_error err;
    char path[] = "/tmp/u_preflight_json_XXXXXX";
    int fd = mkstemp(path);
    json_t *doc, *checks;

    if (!feed || fd < 0)
        return;
    close(fd);
    isl_error_clear(&err);
    good_instance(&f);
    answer(&f.probe_row, 404, NULL);
    T_CHECK(isl_pf_judge(&p, &f, &r) == 0);
    T_CHECK(isl_pf_write_json(&p, &r, isl_pf_exit_code(&f, &r), path, &err) ==
            0);
    doc = json_load_file(path, 0, NULL);
    checks = json_object_get(doc, "checks");
    T_CHECK(json_array_size(checks) == ISL_PF_NCHECKS);
    T_CHECK(json_integer_value(json_object_get(doc, "exit_code")) == 1);
    T_CHECK(json_is_false(json_object_get(doc, "passed")));
    T_STREQ(
        json_string_value(json_object_get(json_array_get(checks, 1), "result")),
        "fail");
    T_STREQ(json_string_value(json_object_get(
                json_array_get(
                    json_object_get(json_array_get(checks, 1), "problems"), 0),
                "fix")),
            "grant read on sys_import_set_row (import_set_loader has it out "
            "of the box)");
    json_decref(doc);
    unlink(path);
    isl_pf_results_free(&r);
    isl_pf_facts_free(&f);
    isl_feed_free(feed);
}

TEST_LIST = {
    {"requests_needed", test_requests_needed},
    {"all_pass", test_all_pass},
    {"columns", test_columns},
    {"table_hidden_or_missing", test_table_hidden_or_missing},
    {"insert_multiple", test_insert_multiple},
    {"transform", test_transform},
    {"probe_plan", test_probe_plan},
    {"access", test_access},
    {"rate_and_credentials", test_rate_and_credentials},
    {"json_file", test_json_file},
    {NULL, NULL},
};
