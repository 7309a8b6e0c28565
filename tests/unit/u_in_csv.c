/*
 * u_in_csv.c: the CSV reader on the small files in testdata/csv/: values,
 * positions, and the exact location of every error class.
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path_buf[1024];

static const char *td(const char *name)
{
    const char *dir = getenv("ISLOAD_TESTDATA");

    snprintf(path_buf, sizeof(path_buf), "%s/csv/%s", dir ? dir : "testdata",
             name);
    return path_buf;
}

static struct isl_reader *open_csv(const char *name,
                                   const struct isl_reader_opts *o)
{
    struct isl_reader_opts def = {0};
    struct isl_reader *r = NULL;
    struct isl_error err;

    isl_error_clear(&err);
    if (isl_reader_open(&r, td(name), o ? o : &def, &err) < 0) {
        fprintf(stderr, "  open %s: %s\n", name, err.msg);
        return NULL;
    }
    return r;
}

static const char *val(const struct isl_row *row, const char *name)
{
    const struct isl_field *f = isl_row_find(row, name);
    return f ? f->value : NULL;
}

static void test_basic(void)
{
    struct isl_reader *r = open_csv("basic.csv", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_CSV);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "note"), "hello, world");
    T_INTEQ(row->pos.line, 2);
    T_INTEQ(row->pos.record, 1);
    T_INTEQ(row->pos.offset, 13);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "note"), "say \"hi\"");
    T_INTEQ(row->pos.line, 4); /* blank line 3 skipped */
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "note"), "two\nlines");
    T_INTEQ(row->pos.line, 5);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

/* Same rows whatever the line ends or compression. */
static void check_ann_ben(const char *name, char delim)
{
    struct isl_reader *r = open_csv(name, NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "id"), "1");
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(row->pos.line, 2);
    if (delim == ',') {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "name"), "Ben");
        T_INTEQ(row->pos.line, 3);
    }
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_line_ends(void)
{
    check_ann_ben("crlf.csv", ',');
    check_ann_ben("cr.csv", ',');
}

static void test_sniff_and_bom(void)
{
    check_ann_ben("bom_semicolon.csv", ';');
    check_ann_ben("tab.csv", '\t');
    check_ann_ben("pipe.csv", '|');
}

static void test_gzip(void)
{
    struct isl_reader *r = open_csv("concat.csv.gz", NULL);
    const struct isl_row *row;
    struct isl_error err;
    int n = 0, rc;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_CHECK(isl_reader_is_gzip(r));
    /* two concatenated members: the second header is a data row */
    while ((rc = isl_reader_next(r, &row, &err)) == ISL_OK)
        n++;
    T_INTEQ(rc, ISL_EOF);
    T_INTEQ(n, 7);
    isl_reader_close(r);
}

static int fatal_error(const char *name, struct isl_error *err)
{
    struct isl_reader_opts o = {0};
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    int rc;

    isl_error_clear(err);
    rc = isl_reader_open(&r, td(name), &o, err);
    while (rc >= 0) {
        rc = isl_reader_next(r, &row, err);
        if (rc == ISL_EOF)
            break;
        if (rc == ISL_EROW)
            rc = 0;
    }
    isl_reader_close(r);
    return rc;
}

static void test_gzip_errors(void)
{
    struct isl_error err;

    T_INTEQ(fatal_error("truncated.csv.gz", &err), ISL_EPARSE);
    T_CHECK(strstr(err.msg, "truncated gzip stream") != NULL);
    T_CHECK(strstr(err.msg, "byte 40") != NULL);
    T_INTEQ(fatal_error("corrupt.csv.gz", &err), ISL_EPARSE);
    T_CHECK(strstr(err.msg, "corrupt gzip stream at compressed byte") != NULL);
}

static void test_header_errors(void)
{
    struct isl_error err;

    T_INTEQ(fatal_error("dup_header.csv", &err), ISL_EPARSE);
    T_STREQ(err.msg, "duplicate column name 'id' (columns 1 and 2)");
    T_INTEQ(err.line, 1);
    T_INTEQ(fatal_error("empty_header.csv", &err), ISL_EPARSE);
    T_STREQ(err.msg, "header column 2 has an empty name");
}

static void test_unterminated(void)
{
    struct isl_error err;

    T_INTEQ(fatal_error("unterminated.csv", &err), ISL_EPARSE);
    T_INTEQ(err.line, 3);
    T_CHECK(strstr(err.msg, "quote opened on line 3") != NULL);
}

static void test_field_count(void)
{
    struct isl_reader *r = open_csv("field_count.csv", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_INTEQ(err.line, 3);
    T_STREQ(err.rule, "field_count");
    T_STREQ(err.msg, "expected 3 fields, found 2");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_INTEQ(err.line, 4);
    T_STREQ(err.msg, "expected 3 fields, found 4");
    T_INTEQ(row->n, 4);
    T_STREQ(row->fields[3].name, "_extra_1");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "dept"), "OPS");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_lenient(void)
{
    struct isl_reader_opts o = {.lenient = true};
    struct isl_reader *r = open_csv("field_count.csv", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK); /* padded */
    T_STREQ(val(row, "dept"), "");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* too many: error */
    isl_reader_close(r);
}

static void test_utf8_and_encoding(void)
{
    struct isl_reader_opts o = {.encoding = "windows-1252"};
    struct isl_reader *r = open_csv("bad_utf8.csv", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_INTEQ(err.line, 2);
    T_STREQ(err.field, "name");
    T_STREQ(err.rule, "encoding");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    isl_reader_close(r);

    r = open_csv("cp1252.csv", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ren\xc3\xa9");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Z\xe2\x82\xacrich"); /* 0x80 is the euro */
    isl_reader_close(r);
}

static void test_escape(void)
{
    struct isl_reader_opts o = {.escape = '\\'};
    struct isl_reader *r = open_csv("escape.csv", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "a \"quoted\" word");
    isl_reader_close(r);
}

static void test_no_header(void)
{
    static const char *const cols[] = {"id", "name"};
    struct isl_reader_opts o = {
        .no_header = true, .columns = cols, .ncolumns = 2};
    struct isl_reader_opts o2 = {.no_header = true};
    struct isl_reader *r = open_csv("noheader.csv", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Ann");
    T_INTEQ(row->pos.line, 1);
    isl_reader_close(r);
    r = open_csv("noheader.csv", &o2);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "column_2"), "Ann");
    isl_reader_close(r);
}

static void test_field_cap(void)
{
    struct isl_reader_opts o = {.max_field = 8, .max_record = 64};
    struct isl_reader *r = open_csv("basic.csv", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* "hello, world" */
    T_STREQ(err.rule, "field_size");
    T_STREQ(err.field, "note");
    T_INTEQ(err.line, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK); /* say "hi": 8 */
    T_STREQ(val(row, "note"), "say \"hi\"");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* two\nlines: 9 */
    T_INTEQ(err.line, 5);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

/* A 1 MiB value works; a 4 MiB one past a 2 MiB cap is a row error. */
static void test_large_fields(void)
{
    char path[] = "/tmp/u_in_csv_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct isl_reader_opts o = {.max_field = 2u << 20};
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("id,text\n1,\"", f);
    for (int i = 0; i < (1 << 20); i++)
        fputc(i % 1000 == 999 ? '\n' : 'a', f);
    fputs("\"\n2,\"", f);
    for (int i = 0; i < (4 << 20); i++)
        fputc('b', f);
    fputs("\"\n3,ok\n", f);
    fclose(f);
    isl_error_clear(&err);
    T_INTEQ(isl_reader_open(&r, path, &o, &err), 0);
    if (r) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_INTEQ(row->fields[1].len, 1 << 20);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "field_size");
        T_INTEQ(err.line, 1051); /* 1 + 1 + 1048 embedded newlines + 1 */
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "text"), "ok");
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
        isl_reader_close(r);
    }
    unlink(path);
}

static void test_missing_file(void)
{
    struct isl_reader_opts o = {0};
    struct isl_reader *r = NULL;
    struct isl_error err;

    isl_error_clear(&err);
    T_INTEQ(isl_reader_open(&r, td("no-such-file.csv"), &o, &err), ISL_EIO);
    T_CHECK(strstr(err.file, "no-such-file.csv") != NULL);
    T_CHECK(r == NULL);
}

TEST_LIST = {
    {"basic", test_basic},
    {"line_ends", test_line_ends},
    {"sniff_and_bom", test_sniff_and_bom},
    {"gzip", test_gzip},
    {"gzip_errors", test_gzip_errors},
    {"header_errors", test_header_errors},
    {"unterminated", test_unterminated},
    {"field_count", test_field_count},
    {"lenient", test_lenient},
    {"utf8_and_encoding", test_utf8_and_encoding},
    {"escape", test_escape},
    {"no_header", test_no_header},
    {"field_cap", test_field_cap},
    {"large_fields", test_large_fields},
    {"missing_file", test_missing_file},
    {NULL, NULL},
};
