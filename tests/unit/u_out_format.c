/* u_out_format.c: the loader's wire format, checked byte for byte without
 * a network: batch bodies, labels, correlation values, URL encoding. */
#include "isl_setup.h"
#include "t.h"
#include "isl_buf.h"
#include "isl_row.h"
#include "out_format.h"

static void test_batch_body(void)
{
    struct isl_field f1[] = {{"u_id", "E1", 2}, {"u_name", "O\"Brien\n", 8}};
    struct isl_field f2[] = {{"u_id", "E2", 2}, {"u_name", "", 0}};
    struct isl_row r1 = {.n = 2, .fields = f1}, r2 = {.n = 2, .fields = f2};
    struct isl_buf b;
    char corr[64];

    isl_buf_init(&b, 1 << 20);
    T_INTEQ(out_format_batch_open(&b), 0);
    T_INTEQ(out_format_record(&b, &r1, NULL, "u_isload_row",
                              out_format_corr(corr, sizeof(corr), "RUN", 1)),
            0);
    T_INTEQ(isl_buf_addc(&b, ','), 0);
    T_INTEQ(out_format_record(&b, &r2, NULL, "u_isload_row",
                              out_format_corr(corr, sizeof(corr), "RUN", 2)),
            0);
    T_INTEQ(out_format_batch_close(&b), 0);
    T_STREQ(b.data,
            "{\"records\":[{\"u_id\":\"E1\",\"u_name\":\"O\\\"Brien\\n\","
            "\"u_isload_row\":\"RUN-1\"},{\"u_id\":\"E2\",\"u_name\":\"\","
            "\"u_isload_row\":\"RUN-2\"}]}");
    isl_buf_free(&b);
}

static void test_labels(void)
{
    struct isl_field f[] = {{"u_id", "E1", 2}, {"u_x", "y", 1}};
    struct isl_row r = {.n = 2, .fields = f};
    const char *labels[] = {"Employee ID", NULL};
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    T_INTEQ(out_format_record(&b, &r, labels, NULL, NULL), 0);
    T_STREQ(b.data, "{\"Employee ID\":\"E1\",\"u_x\":\"y\"}");
    isl_buf_free(&b);
}

static void test_urlencode(void)
{
    struct isl_buf b;

    isl_buf_init(&b, 1 << 20);
    T_INTEQ(out_format_urlencode(&b, "u_rowINa-1,b-2^ORDERBYx y/z~."), 0);
    T_STREQ(b.data, "u_rowINa-1%2Cb-2%5EORDERBYx%20y%2Fz~.");
    isl_buf_free(&b);
}

static void test_corr_fits_staging_column(void)
{
    char corr[64];

    /* staging columns are 40 characters by default */
    out_format_corr(corr, sizeof(corr), "20261128T140312-a3f1", 10000000);
    T_STREQ(corr, "20261128T140312-a3f1-10000000");
    T_CHECK(strlen(corr) <= 40);
}

TEST_LIST = {
    {"batch_body", test_batch_body},
    {"labels", test_labels},
    {"urlencode", test_urlencode},
    {"corr_fits_staging_column", test_corr_fits_staging_column},
    {NULL, NULL},
};
