/*
 * u_html.c: the HTML validation report: the escape helper against exact
 * bytes, and the page for testdata/reports/sample.json and for small
 * variant documents checked by fragments (counts, banner, bars, rows,
 * escaping of hostile values, the 5000-row limit, write errors).
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_html.h"

#include <jansson.h>

/* The page for doc as a malloc'd string, NULL if writing failed. */
static char *render(const json_t *doc)
{
    struct isl_error err;
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    int rc;

    if (!f)
        return NULL;
    isl_error_clear(&err);
    rc = isl_html_write(f, doc, &err);
    fclose(f);
    T_INTEQ(rc, 0);
    if (rc) {
        free(html);
        return NULL;
    }
    return html;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += k)
        n++;
    return n;
}

/* Report a missing fragment by name, so a failure says what was missing. */
static void has(const char *html, const char *frag)
{
    if (!strstr(html, frag)) {
        fprintf(stderr, "  missing fragment: %s\n", frag);
        T_CHECK(!"fragment present");
    }
}

static void hasnt(const char *html, const char *frag)
{
    if (strstr(html, frag)) {
        fprintf(stderr, "  unexpected fragment: %s\n", frag);
        T_CHECK(!"fragment absent");
    }
}

static json_t *load_sample(void)
{
    const char *dir = getenv("ISLOAD_TESTDATA");
    char path[1024];
    json_error_t jerr;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/reports/sample.json",
             dir ? dir : "testdata");
    doc = json_load_file(path, 0, &jerr);
    if (!doc)
        fprintf(stderr, "  %s: %s\n", path, jerr.text);
    T_CHECK(doc != NULL);
    return doc;
}

/* A minimal report: counts and the given errors (stolen). */
static json_t *mini(json_int_t read, json_int_t valid, json_int_t rej,
                    json_int_t filt, bool exceeded, json_t *errors)
{
    return json_pack("{s:i,s:s,s:s,s:[s],s:I,s:I,s:I,s:I,s:s,s:b,"
                     "s:{},s:{},s:{},s:o,s:b}",
                     "isload_report", 1, "command", "validate", "feed", "mini",
                     "inputs", "a.csv", "rows_read", read, "rows_valid", valid,
                     "rows_rejected", rej, "rows_filtered", filt, "max_errors",
                     "5", "threshold_exceeded", exceeded, "rules", "columns",
                     "fields", "errors", errors ? errors : json_array(),
                     "errors_truncated", 0);
}

static json_t *err_entry(const char *file, json_int_t line, json_int_t rec,
                         const char *col, const char *value)
{
    return json_pack("{s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "file", file, "line",
                     line, "record", rec, "column", col, "rule", "pattern",
                     "message", "bad", "value", value);
}

static void test_escape(void)
{
    struct isl_buf b;
    const char ctl[] = "a\tb\nc\x01\x7f";
    const char nul[] = "x\0y";

    isl_buf_init(&b, 1 << 16);
    T_INTEQ(isl_html_escape(&b, "<script>alert(1)</script>", 25), 0);
    T_STREQ(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;");
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b, "\"it's\" R&D <b>", 14), 0);
    T_STREQ(b.data, "&quot;it&#39;s&quot; R&amp;D &lt;b&gt;");
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b, "&amp;", 5), 0);
    T_STREQ(b.data, "&amp;amp;");
    /* controls become control pictures: U+2409 U+240A U+2401 U+2421 */
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b, ctl, sizeof(ctl) - 1), 0);
    T_STREQ(b.data, "a\xe2\x90\x89"
                    "b\xe2\x90\x8a"
                    "c\xe2\x90\x81\xe2\x90\xa1");
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b, nul, 3), 0);
    T_STREQ(b.data, "x\xe2\x90\x80y");
    /* UTF-8 kept; a stray byte, an overlong form, a surrogate: U+FFFD */
    isl_buf_reset(&b);
    T_INTEQ(
        isl_html_escape(&b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
        0);
    T_STREQ(b.data, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b,
                            "a\xff"
                            "b\xc0\xaf\xed\xa0\x80",
                            8),
            0);
    T_STREQ(b.data, "a\xef\xbf\xbd"
                    "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                    "\xef\xbf\xbd");
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b, "\xc3", 1), 0); /* cut sequence */
    T_STREQ(b.data, "\xef\xbf\xbd");
    isl_buf_reset(&b);
    T_INTEQ(isl_html_escape(&b, "", 0), 0);
    T_CHECK(b.len == 0);
    isl_buf_free(&b);
    /* the buffer's cap is honoured */
    isl_buf_init(&b, 8);
    T_INTEQ(isl_html_escape(&b, "<<<", 3), ISL_ELIMIT);
    isl_buf_free(&b);
}

static void test_sample(void)
{
    json_t *doc = load_sample(), *errors, *e, *v;
    const char *key;
    char *html;
    char frag[512];
    size_t i;

    if (!doc)
        return;
    html = render(doc);
    if (!html) {
        json_decref(doc);
        return;
    }
    T_CHECK(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
    T_CHECK(count(html, "</html>\n") == 1);
    /* self-contained: no script, no external references */
    hasnt(html, "<script");
    hasnt(html, "<link");
    hasnt(html, "src=");
    hasnt(html, "http://example");
    /* header */
    has(html, "<h1>Feed <span class=\"feed\">hr_employees</span></h1>");
    has(html, "<code>u_hr_employee_import</code>");
    has(html, "<li><code>testdata/hr/employees.csv</code></li>");
    has(html, "<time datetime=\"2026-11-28T14:00:00Z\">2026-11-28 14:00:00 "
              "UTC</time> \xe2\x80\x93 <time datetime=\"2026-11-28T14:00:01Z\">"
              "14:00:01 UTC</time>");
    has(html, "(0.52 s)");
    has(html, "<code>max_errors 10%</code>");
    /* counts and the accounting */
    has(html, "id=\"n-read\">120<");
    has(html, "id=\"n-valid\">109<");
    has(html, "id=\"n-rej\">9<");
    has(html, "id=\"n-filt\">2<");
    has(html, "109 valid + 9 rejected + 2 filtered = <b>120 rows read</b> "
              "<span class=\"chk\">\xe2\x9c\x93 adds up</span>");
    /* the banner */
    has(html, "<section class=\"banner rejected\" id=\"verdict\" "
              "role=\"status\"><strong>REJECTED ROWS</strong>");
    has(html, "9 of 120 rows (7.5%) were rejected; within the error "
              "threshold <code>max_errors 10%</code>.");
    hasnt(html, "THRESHOLD EXCEEDED");
    /* a bar for each rule and each column, with its count */
    json_object_foreach(json_object_get(doc, "rules"), key, v)
    {
        snprintf(frag, sizeof(frag),
                 "<g class=\"bar\" data-key=\"%s\"><title>%s: %d error%s"
                 "</title>",
                 key, key, (int)json_integer_value(v),
                 json_integer_value(v) == 1 ? "" : "s");
        has(html, frag);
    }
    T_INTEQ(count(html, "<g class=\"bar\""),
            json_object_size(json_object_get(doc, "rules")) +
                json_object_size(json_object_get(doc, "columns")));
    has(html, "<g class=\"bar\" data-key=\"\"><title>(whole row): 1 error"
              "</title>");
    has(html, "<g class=\"bar\" data-key=\"u_employee_id\"><title>"
              "u_employee_id: 4 errors</title>");
    /* the largest bar is first and full width */
    T_CHECK(strstr(html, "data-key=\"pattern\"") <
            strstr(html, "data-key=\"date\""));
    /* every field has a statistics row */
    json_object_foreach(json_object_get(doc, "fields"), key, v)
    {
        snprintf(frag, sizeof(frag), "<tr><th scope=\"row\"><code>%s</code>",
                 key);
        has(html, frag);
    }
    /* each rejected line once, as file:line; line 14 and 37 have two */
    errors = json_object_get(doc, "errors");
    json_array_foreach(errors, i, e)
    {
        snprintf(frag, sizeof(frag),
                 "<span class=\"f\">testdata/hr/employees.csv</span>:<b>%d"
                 "</b>",
                 (int)json_integer_value(json_object_get(e, "line")));
        T_INTEQ(count(html, frag), 1);
    }
    T_INTEQ(count(html, "<tbody><tr><th scope=\"rowgroup\""), 9);
    T_INTEQ(count(html, "rowspan=\"2\""), 2);
    has(html,
        "rowspan=\"2\"><span class=\"f\">testdata/hr/employees.csv"
        "</span>:<b>14</b><span class=\"rec\">record 13</span></th>"
        "<td class=\"col\"><code>u_employee_id</code></td>"
        "<td class=\"val\"><code class=\"v\">E12</code></td>"
        "<td class=\"why\"><span class=\"tag\">pattern</span>&#39;E12&#39; "
        "does not match ^E[0-9]{7}$</td></tr>\n"
        "<tr><td class=\"col\"><code>u_email</code></td>");
    /* hostile and awkward values */
    has(html, "<code class=\"v\">&lt;script&gt;alert(1)&lt;/script&gt;"
              "</code>");
    has(html, "&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; is not an "
              "allowed value");
    hasnt(html, "& ");
    has(html, "title=\"Senior Director, Research &amp; Development "
              "\xe2\x80\x94 Clinical Operations and Regulatory Affairs "
              "(EMEA)\">Senior Director, Research &amp; Development "
              "\xe2\x80\x94 Clinical Operations an<span class=\"ell\">"
              "\xe2\x80\xa6</span></code>");
    has(html, "E1000077<span class=\"sp\" title=\"trailing space\"> </span>");
    has(html, "2024-03-01<span class=\"cc\" title=\"control character "
              "U+0009\">TAB</span></code>");
    has(html, "&#39;2024-03-01\\t&#39; is not a date");
    has(html, "<td class=\"col\"><span class=\"muted\">(whole row)</span>"
              "</td><td class=\"val\"><code class=\"v\">1000104,Maria,&quot;"
              "O&#39;Neil&quot;,m.oneil@example.com,");
    has(html, "<td class=\"val\"><span class=\"empty\">(empty)</span></td>");
    hasnt(html, "id=\"more\"");
    free(html);
    json_decref(doc);
}

static void test_banners(void)
{
    json_t *doc;
    char *html;

    doc = mini(10, 10, 0, 0, false, NULL);
    html = render(doc);
    if (html) {
        has(html, "<section class=\"banner pass\" id=\"verdict\" "
                  "role=\"status\"><strong>PASS</strong><span>All 10 rows "
                  "read are valid.</span>");
        has(html, "<title>PASS \xe2\x80\x93 isload validation report: mini"
                  "</title>");
        has(html, "<p class=\"muted\">No rows were rejected.</p>");
        has(html, "<h3>Errors by rule</h3>\n<p class=\"muted\">No errors.");
        hasnt(html, "REJECTED ROWS");
    }
    free(html);
    json_decref(doc);

    doc = mini(12, 10, 0, 2, false, NULL);
    html = render(doc);
    if (html)
        has(html, "<strong>PASS</strong><span>No rows were rejected: 10 "
                  "valid, 2 filtered out.</span>");
    free(html);
    json_decref(doc);

    doc = mini(1000, 900, 100, 0, true,
               json_pack("[o]", err_entry("a.csv", 2, 1, "c", "x")));
    html = render(doc);
    if (html) {
        has(html, "<section class=\"banner exceeded\" id=\"verdict\" "
                  "role=\"status\"><strong>THRESHOLD EXCEEDED</strong>"
                  "<span>100 of 1,000 rows (10.0%) were rejected, more than "
                  "the error threshold <code>max_errors 5</code> allows. "
                  "900 valid rows.</span>");
        hasnt(html, "<strong>REJECTED ROWS");
        /* 1 error listed, 100 rows rejected */
        has(html, "99 more rejected rows are not shown: the report holds "
                  "only the first 1 error.");
    }
    free(html);
    json_decref(doc);

    /* no rows at all, and counts that do not add up */
    doc = mini(0, 0, 0, 0, false, NULL);
    html = render(doc);
    if (html)
        has(html, "<strong>PASS</strong><span>No rows were read.</span>");
    free(html);
    json_decref(doc);
    doc = mini(10, 5, 1, 1, false, NULL);
    html = render(doc);
    if (html)
        has(html, "= <b>7</b>, but <b>10 rows read</b> <span class=\"chk "
                  "no\">\xe2\x9c\x97 the counts do not add up</span>");
    free(html);
    json_decref(doc);
}

static void test_grouping(void)
{
    json_t *errs =
        json_pack("[o,o,o,o,o,o]", err_entry("b.csv", 9, 8, "c1", "v1"),
                  err_entry("a.csv", 9, 8, "c2", "v2"),
                  err_entry("b.csv", 3, 2, "c3", "v3"),
                  err_entry("b.csv", 9, 8, "c4", "v4"),
                  err_entry("x.json", 0, 5, "c5", "v5"),
                  err_entry("x.json", 0, 5, "c6", "v6"));
    json_t *doc = mini(10, 6, 4, 0, false, errs);
    char *html = render(doc);
    const char *p1, *p2, *p3, *p4;

    if (html) {
        /* b.csv:9 is one row of two errors, c1 then c4, listed first */
        T_INTEQ(count(html, "<tbody><tr><th scope=\"rowgroup\""), 4);
        has(html, "rowspan=\"2\"><span class=\"f\">b.csv</span>:<b>9</b>"
                  "<span class=\"rec\">record 8</span></th><td class=\"col\">"
                  "<code>c1</code></td>");
        p1 = strstr(html, "<code>c4</code>");
        p2 = strstr(html, "<span class=\"f\">a.csv</span>:<b>9</b>");
        p3 = strstr(html, "<span class=\"f\">b.csv</span>:<b>3</b>");
        p4 = strstr(html, "<span class=\"f\">x.json</span><span class=\"rec\">"
                          "record <b>5</b></span>");
        T_CHECK(p1 && p2 && p3 && p4 && p1 < p2 && p2 < p3 && p3 < p4);
        has(html, "record <b>5</b></span></th><td class=\"col\"><code>c5"
                  "</code></td><td class=\"val\"><code class=\"v\">v5</code>"
                  "</td><td class=\"why\"><span class=\"tag\">pattern</span>"
                  "bad</td></tr>\n<tr><td class=\"col\"><code>c6</code>");
    }
    free(html);
    json_decref(doc);
}

static void test_values(void)
{
    char big[6000], frag[128];
    json_t *errs, *doc;
    char *html;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    errs = json_pack(
        "[o,o,o,o]", err_entry("a.csv", 2, 1, "c", big),
        err_entry("a.csv", 3, 2, "c", "  lead\xc2\xa0nbsp"),
        err_entry("a.csv", 4, 3, "c", "zw\xe2\x80\x8bsp\r\n\xc2\x85x"),
        err_entry("a.csv", 5, 4, "c", "<img src=x onerror=1>"));
    json_array_append_new(errs, json_pack("{s:s,s:I,s:s,s:s,s:s,s:s%}", "file",
                                          "a.csv", "line", (json_int_t)6,
                                          "column", "c", "rule", "r", "message",
                                          "m", "value", "n\0l", (size_t)3));
    doc = mini(5, 0, 5, 0, false, errs);
    html = render(doc);
    if (html) {
        /* a huge value: 64 shown, the title cut at 4096 bytes */
        snprintf(frag, sizeof(frag), "%.64s<span class=\"ell\">", big);
        has(html, frag);
        has(html, " \xe2\x80\xa6 (5,999 bytes in all)\">");
        T_CHECK(strlen(html) < 20000);
        has(html, "<code class=\"v\"><span class=\"sp\" title=\"leading "
                  "space\">  </span>lead<span class=\"cc\" title=\"no-break "
                  "space U+00A0\">NBSP</span>nbsp</code>");
        has(html, "zw<span class=\"cc\" title=\"zero width space U+200B\">"
                  "ZWSP</span>sp<span class=\"cc\" title=\"control character "
                  "U+000D\">CR</span><span class=\"cc\" title=\"control "
                  "character U+000A\">LF</span><span class=\"cc\" "
                  "title=\"control character U+0085\">U+0085</span>x</code>");
        has(html, "&lt;img src=x onerror=1&gt;");
        hasnt(html, "<img");
        has(html, "n<span class=\"cc\" title=\"control character U+0000\">"
                  "NUL</span>l");
    }
    free(html);
    json_decref(doc);
}

static void test_many_rows(void)
{
    json_t *errs = json_array(), *doc;
    char *html;

    for (int i = 0; i < 6000; i++)
        json_array_append_new(errs,
                              err_entry("big.csv", i + 2, i + 1, "c", "<v>"));
    doc = mini(6000, 0, 6000, 0, true, errs);
    html = render(doc);
    if (html) {
        T_INTEQ(count(html, "<tbody><tr><th scope=\"rowgroup\""), 5000);
        has(html, ":<b>5001</b>");
        hasnt(html, ":<b>5002</b>");
        has(html, "<p class=\"note\" id=\"more\">1,000 more rejected rows are "
                  "not shown: this table lists the first 5,000 rows.");
        T_INTEQ(count(html, "&lt;v&gt;"), 5000);
    }
    free(html);
    json_decref(doc);
}

static void test_errors(void)
{
    struct isl_error err;
    json_t *arr = json_array(), *doc = load_sample();
    FILE *f = fopen("/dev/full", "w");

    isl_error_clear(&err);
    T_INTEQ(isl_html_write(stdout, arr, &err), ISL_ECONFIG);
    T_INTEQ(isl_html_write(stdout, NULL, &err), ISL_ECONFIG);
    if (f && doc) {
        isl_error_clear(&err);
        T_INTEQ(isl_html_write(f, doc, &err), ISL_EIO);
        T_INTEQ(err.code, ISL_EIO);
        T_STREQ(err.where, "html");
    }
    if (f)
        fclose(f);
    json_decref(arr);
    json_decref(doc);

    /* an empty object is still a page */
    doc = json_object();
    {
        char *html = render(doc);

        if (html) {
            has(html, "<strong>PASS</strong>");
            has(html, "</html>\n");
        }
        free(html);
    }
    json_decref(doc);
}

TEST_LIST = {
    {"escape", test_escape},   {"sample", test_sample},
    {"banners", test_banners}, {"grouping", test_grouping},
    {"values", test_values},   {"many_rows", test_many_rows},
    {"errors", test_errors},   {NULL, NULL},
};
