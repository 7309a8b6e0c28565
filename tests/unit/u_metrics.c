/* u_metrics.c: the Prometheus text of a run, byte for byte (label
 * escaping included), reading the last success back, the atomic file
 * replacement, and the one-line summary of a load. */
#include "isl_setup.h"
#include "t.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_metrics.h"
#include "isl_summary.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

static const char helps[] =
    "# HELP isload_rows Rows of the last run of the feed, by outcome (as in "
    "its report).\n"
    "# TYPE isload_rows gauge\n";

static void test_format_exact(void)
{
    struct isl_metrics_count rows[] = {{"read", 40},
                                       {"rejected", 8},
                                       {"sent", 32},
                                       {"inserted", 30},
                                       {"error", 2}};
    struct isl_metrics_count req[] = {
        {"201", 1}, {"429", 3}, {"transport_error", 2}};
    struct isl_metrics m = {
        .feed = "hr",
        .shard = "1/3",
        .rows = rows,
        .nrows = ISL_ARRAY_LEN(rows),
        .has_duration = true,
        .duration_s = 1.25,
        .requests = req,
        .nrequests = ISL_ARRAY_LEN(req),
        .has_retries = true,
        .retries = 5,
        .exit_code = 1,
        .run_time = 1764688000.5,
        .last_success = 1764688000.5,
    };
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    T_INTEQ(isl_metrics_format(&b, &m), 0);
    T_STREQ(
        b.data,
        "# HELP isload_rows Rows of the last run of the feed, by outcome (as "
        "in its report).\n"
        "# TYPE isload_rows gauge\n"
        "isload_rows{feed=\"hr\",shard=\"1/3\",outcome=\"read\"} 40\n"
        "isload_rows{feed=\"hr\",shard=\"1/3\",outcome=\"rejected\"} 8\n"
        "isload_rows{feed=\"hr\",shard=\"1/3\",outcome=\"sent\"} 32\n"
        "isload_rows{feed=\"hr\",shard=\"1/3\",outcome=\"inserted\"} 30\n"
        "isload_rows{feed=\"hr\",shard=\"1/3\",outcome=\"error\"} 2\n"
        "# HELP isload_run_duration_seconds How long the last run took.\n"
        "# TYPE isload_run_duration_seconds gauge\n"
        "isload_run_duration_seconds{feed=\"hr\",shard=\"1/3\"} 1.250\n"
        "# HELP isload_requests_total HTTP requests of the last run, by "
        "status (transport_error: no answer).\n"
        "# TYPE isload_requests_total gauge\n"
        "isload_requests_total{feed=\"hr\",shard=\"1/3\",status=\"201\"} 1\n"
        "isload_requests_total{feed=\"hr\",shard=\"1/3\",status=\"429\"} 3\n"
        "isload_requests_total{feed=\"hr\",shard=\"1/3\",status=\"transport_"
        "error\"} 2\n"
        "# HELP isload_retries_total Requests the last run sent again.\n"
        "# TYPE isload_retries_total gauge\n"
        "isload_retries_total{feed=\"hr\",shard=\"1/3\"} 5\n"
        "# HELP isload_run_exit_code Exit code of the last run: 0 fine, 1 "
        "rows rejected or in error, 2 usage, config or input error, 3 "
        "threshold exceeded or aborted.\n"
        "# TYPE isload_run_exit_code gauge\n"
        "isload_run_exit_code{feed=\"hr\",shard=\"1/3\"} 1\n"
        "# HELP isload_run_timestamp_seconds When the last run ended (seconds "
        "since the epoch).\n"
        "# TYPE isload_run_timestamp_seconds gauge\n"
        "isload_run_timestamp_seconds{feed=\"hr\",shard=\"1/3\"} "
        "1764688000.500\n"
        "# HELP isload_last_success_timestamp_seconds When the last run that "
        "exited 0 or 1 ended (0: none known).\n"
        "# TYPE isload_last_success_timestamp_seconds gauge\n"
        "isload_last_success_timestamp_seconds{feed=\"hr\",shard=\"1/3\"} "
        "1764688000.500\n");
    isl_buf_free(&b);
}

/* A run that stopped early: the families are declared, with no samples
 * for what it does not know; no shard label when not sharded. */
static void test_format_empty(void)
{
    struct isl_metrics m = {.feed = "hr", .exit_code = 2};
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    T_INTEQ(isl_metrics_format(&b, &m), 0);
    T_CHECK(strncmp(b.data, helps, strlen(helps)) == 0);
    T_CHECK(strstr(b.data, "isload_rows{") == NULL);
    T_CHECK(strstr(b.data, "isload_run_duration_seconds{") == NULL);
    T_CHECK(strstr(b.data, "isload_retries_total{") == NULL);
    T_CHECK(strstr(b.data, "\nisload_run_exit_code{feed=\"hr\"} 2\n") != NULL);
    T_CHECK(strstr(b.data, "\nisload_last_success_timestamp_seconds{feed="
                           "\"hr\"} 0.000\n") != NULL);
    isl_buf_free(&b);
}

static void test_label_escaping(void)
{
    struct isl_metrics_count req[] = {{"a\\b\"c\nd", 1}};
    struct isl_metrics m = {
        .feed = "we\"ird\\feed\nname", .requests = req, .nrequests = 1};
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    T_INTEQ(isl_metrics_format(&b, &m), 0);
    T_CHECK(strstr(b.data,
                   "\nisload_requests_total{feed=\"we\\\"ird\\\\feed"
                   "\\nname\",status=\"a\\\\b\\\"c\\nd\"} 1\n") != NULL);
    T_CHECK(strstr(b.data, "\nisload_run_exit_code{feed=\"we\\\"ird\\\\feed"
                           "\\nname\"} 0\n") != NULL);
    /* no raw newline inside a sample: every line is a comment or a sample */
    for (char *line = b.data; *line;) {
        char *nl = strchr(line, '\n');

        T_CHECK(nl != NULL);
        if (!nl)
            break;
        T_CHECK(line[0] == '#' || strncmp(line, "isload_", 7) == 0);
        line = nl + 1;
    }
    isl_buf_free(&b);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/u_metrics.XXXXXX");
    T_CHECK(mkdtemp(tmpdir) != NULL);
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_write_and_read_back(void)
{
    struct isl_metrics a = {.feed = "hr", .last_success = 1700000000.25};
    struct isl_metrics b = {
        .feed = "hr", .shard = "0/2", .last_success = 1600000000};
    struct isl_buf text;
    struct isl_error err;
    char path[128], tmp[160];
    FILE *f;

    make_tmpdir();
    isl_error_clear(&err);
    isl_buf_init(&text, 1 << 20);
    snprintf(path, sizeof(path), "%s/isload_hr.prom", tmpdir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    T_INTEQ(isl_metrics_read_last_success(path, "hr", NULL), 0);
    T_INTEQ(isl_metrics_format(&text, &a), 0);
    T_INTEQ(isl_metrics_format(&text, &b), 0);
    T_INTEQ(isl_metrics_write_file(path, text.data, text.len, &err), 0);
    T_CHECK(access(tmp, F_OK) != 0);
    T_INTEQ(entries(tmpdir), 1);
    /* the line of the same feed and shard, not a prefix of another */
    T_CHECK(isl_metrics_read_last_success(path, "hr", NULL) == 1700000000.25);
    T_CHECK(isl_metrics_read_last_success(path, "hr", "") == 1700000000.25);
    T_CHECK(isl_metrics_read_last_success(path, "hr", "0/2") == 1600000000);
    T_INTEQ(isl_metrics_read_last_success(path, "h", NULL), 0);
    T_INTEQ(isl_metrics_read_last_success(path, "hr", "1/2"), 0);
    /* replaced, not appended */
    T_INTEQ(isl_metrics_write_file(path, "x 1\n", 4, &err), 0);
    f = fopen(path, "r");
    T_CHECK(f && fgetc(f) == 'x');
    if (f)
        fclose(f);
    T_INTEQ(isl_metrics_read_last_success(path, "hr", NULL), 0);
    /* a directory that cannot be written: an error, nothing left */
    snprintf(path, sizeof(path), "%s/no/such/dir/m.prom", tmpdir);
    T_INTEQ(isl_metrics_write_file(path, "x", 1, &err), ISL_EIO);
    T_CHECK(strstr(err.msg, "no/such/dir/m.prom.tmp") != NULL);
    snprintf(path, sizeof(path), "%s/isload_hr.prom", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    isl_buf_free(&text);
}

static void test_summary(void)
{
    json_t *doc = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I},s:s,s:f}", "rows_read",
        (json_int_t)40, "rows_rejected", (json_int_t)8, "rows_filtered",
        (json_int_t)0, "rows_sent", (json_int_t)32, "rows_not_sent",
        (json_int_t)0, "results", "inserted", (json_int_t)30, "updated",
        (json_int_t)1, "ignored", (json_int_t)0, "skipped", (json_int_t)0,
        "error", (json_int_t)1, "finished_at", "2026-11-28T14:00:01Z",
        "duration_s", 1.24);
    struct isl_buf b;

    isl_buf_init(&b, 1 << 16);
    T_INTEQ(isl_summary_format(&b, "20261128T140000-abcd", "hr", doc, 1, NULL),
            0);
    T_STREQ(b.data, "isload: run 20261128T140000-abcd feed hr exit 1: read 40, "
                    "rejected 8, sent 32 (inserted 30, updated 1, ignored 0, "
                    "skipped 0, error 1), 1.2 s\n");
    /* a shard, rows of other shards and a threshold: all on one line */
    json_object_set_new(doc, "shard",
                        json_pack("{s:i,s:i}", "index", 1, "count", 3));
    json_object_set_new(doc, "rows_other_shards", json_integer(20));
    json_object_set_new(doc, "rows_not_sent", json_integer(4));
    isl_buf_reset(&b);
    T_INTEQ(isl_summary_format(&b, "R", "hr", doc, 3,
                               "error threshold 2 exceeded\nsecond line"),
            0);
    T_STREQ(b.data, "isload: run R feed hr shard 1/3 exit 3: read 40, "
                    "rejected 8, other shards 20, sent 32 (inserted 30, "
                    "updated 1, ignored 0, skipped 0, error 1), not sent 4, "
                    "1.2 s; error threshold 2 exceeded second line\n");
    /* no report: the run failed before it had counts */
    isl_buf_reset(&b);
    T_INTEQ(isl_summary_format(&b, "-", "hr", NULL, 2, "failed: x.csv: gone"),
            0);
    T_STREQ(b.data, "isload: run - feed hr exit 2; failed: x.csv: gone\n");
    /* nor when it read nothing before it failed */
    isl_buf_reset(&b);
    json_object_del(doc, "rows_sent");
    json_object_del(doc, "shard");
    json_object_set_new(doc, "rows_read", json_integer(0));
    T_INTEQ(isl_summary_format(&b, "-", "hr", doc, 2, "failed: locked"), 0);
    T_STREQ(b.data, "isload: run - feed hr exit 2; failed: locked\n");
    isl_buf_free(&b);
    json_decref(doc);
}

TEST_LIST = {
    {"format_exact", test_format_exact},
    {"format_empty", test_format_empty},
    {"label_escaping", test_label_escaping},
    {"write_and_read_back", test_write_and_read_back},
    {"summary", test_summary},
    {NULL, NULL},
};
