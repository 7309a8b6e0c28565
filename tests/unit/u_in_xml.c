/*
 * u_in_xml.c: the XML reader on the small files in testdata/xml/: the
 * ServiceNow unload format, record paths, text decoding, positions, and
 * the exact location of every error class, entity attacks included. A few
 * inputs too big to commit (a 1 MB value, 70,000 lines) are written to a
 * temporary file by the test.
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char path_buf[1024];

static const char *td(const char *name)
{
    const char *dir = getenv("ISLOAD_TESTDATA");

    snprintf(path_buf, sizeof(path_buf), "%s/xml/%s", dir ? dir : "testdata",
             name);
    return path_buf;
}

static struct isl_reader *open_path(const char *path,
                                    const struct isl_reader_opts *o)
{
    struct isl_reader_opts def = {.format = ISL_FMT_XML};
    struct isl_reader *r = NULL;
    struct isl_error err;

    isl_error_clear(&err);
    if (isl_reader_open(&r, path, o ? o : &def, &err) < 0) {
        fprintf(stderr, "  open %s: %s\n", path, err.msg);
        return NULL;
    }
    return r;
}

static struct isl_reader *open_td(const char *name,
                                  const struct isl_reader_opts *o)
{
    return open_path(td(name), o);
}

static const char *val(const struct isl_row *row, const char *name)
{
    const struct isl_field *f = isl_row_find(row, name);
    return f ? f->value : NULL;
}

/* Read to the end; returns the last code (ISL_EOF or a fatal error). */
static int drain(struct isl_reader *r, int *ok, int *bad, struct isl_error *err)
{
    const struct isl_row *row;
    int rc;

    *ok = *bad = 0;
    while ((rc = isl_reader_next(r, &row, err)) == ISL_OK || rc == ISL_EROW)
        (rc == ISL_OK ? (*ok)++ : (*bad)++);
    return rc;
}

static void check_unload(const char *name)
{
    struct isl_reader *r = open_td(name, NULL);
    const struct isl_row *row;
    struct isl_error err;
    const char *names[6];

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_format(r), ISL_FMT_XML);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->n, 6);
    if (row->n == 6) {
        T_STREQ(row->fields[0].name, "@action");
        T_STREQ(row->fields[1].name, "name");
        T_STREQ(row->fields[2].name, "manager");
        T_STREQ(row->fields[3].name, "manager.display_value");
        T_STREQ(row->fields[4].name, "active");
        T_STREQ(row->fields[5].name, "title");
        for (int i = 0; i < 6; i++)
            names[i] = row->fields[i].name;
    }
    T_STREQ(val(row, "@action"), "INSERT_OR_UPDATE");
    T_STREQ(val(row, "name"), "Ann Lee");
    T_STREQ(val(row, "manager"), "abc123");
    T_STREQ(val(row, "manager.display_value"), "Bob Smith");
    T_STREQ(val(row, "title"), "");
    T_INTEQ(isl_row_find(row, "title")->len, 0);
    T_INTEQ(isl_row_find(row, "name")->len, 7);
    T_STREQ(row->pos.file, isl_reader_name(r));
    T_INTEQ(row->pos.line, 3);
    T_INTEQ(row->pos.record, 1);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "@action"), "DELETE");
    T_STREQ(val(row, "name"), "Ben & Co");
    T_STREQ(val(row, "manager.display_value"), "");
    T_STREQ(val(row, "title"), "Engineer");
    T_INTEQ(row->pos.line, 9);
    T_INTEQ(row->pos.record, 2);
    /* the same names are the same pointers in every row */
    T_INTEQ(row->n, 6);
    if (row->n == 6)
        for (int i = 0; i < 6; i++)
            T_CHECK(row->fields[i].name == names[i]);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_unload(void)
{
    check_unload("unload.xml");
}

static void test_gzip(void)
{
    struct isl_reader *r;

    check_unload("unload.xml.gz");
    r = open_td("unload.xml.gz", NULL);
    T_CHECK(r && isl_reader_is_gzip(r));
    isl_reader_close(r);
}

/* Detection: '<' is XML without --format. */
static void test_detect(void)
{
    struct isl_reader_opts o = {0};
    struct isl_reader *r = open_td("unload.xml", &o);

    T_CHECK(r && isl_reader_format(r) == ISL_FMT_XML);
    isl_reader_close(r);
}

static void test_record_path(void)
{
    struct isl_reader_opts o = {.format = ISL_FMT_XML,
                                .record_path = "/export/items/item"};
    struct isl_reader *r = open_td("path.xml", &o);
    const struct isl_row *row;
    struct isl_error err;
    int ok, bad;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "@id"), "1");
    T_STREQ(val(row, "sku"), "A-1");
    T_STREQ(val(row, "qty"), "3");
    T_INTEQ(row->pos.line, 5);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "sku"), "B-2");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "@id"), "3");
    T_STREQ(val(row, "qty"), "");
    T_INTEQ(row->pos.line, 9);
    T_INTEQ(row->pos.record, 3);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);

    /* a wildcard step also takes <meta><item> (no fields: text only) */
    o.record_path = "/export/*/item";
    r = open_td("path.xml", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(row->n, 0);
    T_INTEQ(row->pos.line, 3);
    T_INTEQ(drain(r, &ok, &bad, &err), ISL_EOF);
    T_INTEQ(ok, 3);
    isl_reader_close(r);

    /* no match: no rows */
    o.record_path = "/export/item";
    r = open_td("path.xml", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(drain(r, &ok, &bad, &err), ISL_EOF);
    T_INTEQ(ok + bad, 0);
    isl_reader_close(r);

    /* the root itself as the record */
    o.record_path = "/export";
    r = open_td("path.xml", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW); /* two <items> */
    T_STREQ(err.rule, "duplicate_field");
    T_STREQ(err.field, "items");
    T_INTEQ(err.line, 2);
    T_STREQ(val(row, "meta"), "not a record");
    T_INTEQ(row->n, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_bad_path(void)
{
    static const char *const bad[] = {"export/item", "/export//item",
                                      "/export/", "/"};
    struct isl_reader_opts o = {.format = ISL_FMT_XML};
    struct isl_reader *r = NULL;
    struct isl_error err;

    for (size_t i = 0; i < ISL_ARRAY_LEN(bad); i++) {
        o.record_path = bad[i];
        isl_error_clear(&err);
        T_INTEQ(isl_reader_open(&r, td("path.xml"), &o, &err), ISL_ECONFIG);
        T_CHECK(r == NULL);
        T_CHECK(strstr(err.msg, "record path") != NULL);
    }
}

static void test_namespaces(void)
{
    struct isl_reader_opts o = {.format = ISL_FMT_XML,
                                .record_path = "/export/item"};
    struct isl_reader *r = open_td("ns.xml", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "@x:id"), "7");
    T_STREQ(val(row, "@plain"), "p");
    T_STREQ(val(row, "x:sku"), "S1");
    T_STREQ(val(row, "qty"), "2");
    T_INTEQ(row->n, 4); /* no xmlns attributes */
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);

    o.record_path = "/x:export/*";
    r = open_td("ns.xml", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK); /* <empty a="1"/> */
    T_INTEQ(row->n, 1);
    T_STREQ(val(row, "@a"), "1");
    T_INTEQ(row->pos.line, 4);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_text(void)
{
    struct isl_reader *r = open_td("text.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "cdata"), "<b>bold</b> & more");
    T_STREQ(val(row, "ents"), "<a> & \"q\" 's'");
    T_STREQ(val(row, "refs"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    T_STREQ(val(row, "mixed"), "abc&d");
    T_STREQ(val(row, "attr"), "v");
    T_STREQ(val(row, "attr.display_value"), "x & y A<");
    T_STREQ(val(row, "space"), "  two  words  ");
    T_STREQ(val(row, "multi"), "line one\nline two");
    T_INTEQ(row->pos.line, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_nested(void)
{
    struct isl_reader *r = open_td("nested.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "address"), "1 MainOslo");
    T_INTEQ(row->n, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "m");
    T_STREQ(val(row, "address"), "\n    2 High\n    Rome\n  ");
    T_INTEQ(row->pos.line, 3);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_encoding(void)
{
    struct isl_reader_opts o = {.format = ISL_FMT_XML,
                                .encoding = "windows-1252"};
    struct isl_reader *r = open_td("latin1.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Jos\xc3\xa9");
    isl_reader_close(r);

    /* converted by isl_input; libxml2 takes the result as UTF-8 */
    r = open_td("cp1252_nodecl.xml", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "Jos\xc3\xa9 \xe2\x82\xac");
    isl_reader_close(r);

    /* unconverted, the same bytes are not UTF-8: fatal, from libxml2 */
    r = open_td("cp1252_nodecl.xml", NULL);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 1);
    T_CHECK(strstr(err.msg, "UTF-8") != NULL);
    T_CHECK(strchr(err.msg, '\n') == NULL);
    isl_reader_close(r);
}

static void test_malformed(void)
{
    struct isl_reader *r = open_td("malformed.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;
    int rc;

    T_CHECK(r != NULL);
    if (!r)
        return;
    /* the good first record may or may not come first; the error does */
    rc = isl_reader_next(r, &row, &err);
    if (rc == ISL_OK) {
        T_STREQ(val(row, "name"), "ok");
        rc = isl_reader_next(r, &row, &err);
    }
    T_INTEQ(rc, ISL_EPARSE);
    T_STREQ(err.where, "in_xml");
    T_STREQ(err.file, isl_reader_name(r));
    T_INTEQ(err.line, 5);
    T_STREQ(err.msg, "opening and ending tag mismatch: name line 5 and nam");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_truncated(void)
{
    struct isl_reader *r = open_td("truncated.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;
    int rc;

    T_CHECK(r != NULL);
    if (!r)
        return;
    rc = isl_reader_next(r, &row, &err);
    if (rc == ISL_OK) {
        T_STREQ(val(row, "name"), "one");
        rc = isl_reader_next(r, &row, &err);
    }
    T_INTEQ(rc, ISL_EPARSE);
    T_INTEQ(err.line, 3);
    T_STREQ(err.msg, "unexpected end of input inside record 2, which "
                     "starts on line 3");
    isl_reader_close(r);
}

static void test_xxe(void)
{
    struct isl_reader *r = open_td("xxe.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;
    int rc;

    T_CHECK(r != NULL);
    if (!r)
        return;
    rc = isl_reader_next(r, &row, &err);
    if (rc == ISL_OK)
        rc = isl_reader_next(r, &row, &err);
    T_INTEQ(rc, ISL_EPARSE);
    T_INTEQ(err.line, 7);
    T_STREQ(err.msg, "entity references are not allowed: &xxe;");
    isl_reader_close(r);

    /* an undeclared entity, with an external DTD that is never loaded */
    r = open_td("external_dtd.xml", NULL);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 5);
    T_STREQ(err.msg, "entity references are not allowed: &ext;");
    isl_reader_close(r);

    /* in an attribute value, libxml2 refuses it itself */
    r = open_td("xxe_attr.xml", NULL);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
    T_INTEQ(err.line, 6);
    T_STREQ(err.msg, "attribute references external entity 'xxe'");
    isl_reader_close(r);
}

static void test_billion_laughs(void)
{
    static const char *const files[] = {"billion_laughs.xml",
                                        "billion_laughs_attr.xml",
                                        "billion_laughs_mixed.xml"};

    for (size_t i = 0; i < ISL_ARRAY_LEN(files); i++) {
        struct isl_reader *r = open_td(files[i], NULL);
        struct isl_error err;
        time_t t0 = time(NULL);
        int ok, bad;

        T_CHECK(r != NULL);
        if (!r)
            return;
        T_INTEQ(drain(r, &ok, &bad, &err), ISL_EPARSE);
        T_INTEQ(ok + bad, 0);
        T_INTEQ(err.line, 15);
        T_CHECK(strstr(err.msg, "entity") != NULL);
        T_CHECK(time(NULL) - t0 < 5);
        isl_reader_close(r);
    }
}

static void test_duplicate(void)
{
    struct isl_reader *r = open_td("duplicate.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "duplicate_field");
    T_STREQ(err.field, "name");
    T_INTEQ(err.line, 2);
    T_INTEQ(err.record, 1);
    T_INTEQ(row->pos.line, 2);
    T_STREQ(val(row, "name"), "a"); /* the first one is kept */
    T_STREQ(val(row, "x"), "1");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "name"), "c");
    T_INTEQ(row->pos.record, 2);
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

static void test_field_size(void)
{
    struct isl_reader_opts o = {.format = ISL_FMT_XML, .max_field = 32};
    struct isl_reader *r = open_td("big.xml", &o);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "field_size");
    T_STREQ(err.field, "note");
    T_INTEQ(err.line, 2);
    T_STREQ(val(row, "id"), "1");
    T_STREQ(val(row, "note"), "");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
    T_STREQ(val(row, "note"), "short");
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);

    /* record 1 passes 20 bytes at "Ann Lee"; what came before is kept */
    o.max_field = 0;
    o.max_record = 20;
    r = open_td("unload.xml", &o);
    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
    T_STREQ(err.rule, "record_size");
    T_STREQ(err.field, "");
    T_INTEQ(err.line, 3);
    T_STREQ(val(row, "@action"), "INSERT_OR_UPDATE");
    T_CHECK(val(row, "manager") == NULL);
    isl_reader_close(r);
}

/* Write the text of a generated file; returns its path or NULL. */
static char *write_tmp(char *path, size_t n)
{
    int fd;

    snprintf(path, n, "/tmp/u_in_xml_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    close(fd);
    return path;
}

/* A 1 MB value works with the default caps, and is bounded by small ones. */
static void test_big_value(void)
{
    char path[64];
    FILE *f;
    struct isl_reader *r;
    struct isl_reader_opts o = {.format = ISL_FMT_XML,
                                .max_field = 1000 * 1000};
    const struct isl_row *row;
    struct isl_error err;

    if (!write_tmp(path, sizeof(path)) || !(f = fopen(path, "w"))) {
        T_CHECK(0);
        return;
    }
    fputs("<unload>\n<u><id>1</id><body>", f);
    for (int i = 0; i < 1024 * 1024; i++)
        fputc('a' + i % 26, f);
    fputs("</body></u>\n<u><id>2</id><body>&amp;</body></u>\n</unload>\n", f);
    fclose(f);

    r = open_path(path, NULL);
    T_CHECK(r != NULL);
    if (r) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_INTEQ(isl_row_find(row, "body")->len, 1024 * 1024);
        T_CHECK(memcmp(val(row, "body"), "abcdefg", 7) == 0);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "body"), "&");
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
        isl_reader_close(r);
    }
    r = open_path(path, &o);
    T_CHECK(r != NULL);
    if (r) {
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_STREQ(err.rule, "field_size");
        T_STREQ(err.field, "body");
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_STREQ(val(row, "id"), "2");
        isl_reader_close(r);
    }
    unlink(path);
}

/* Lines past 65535, where libxml2's node line saturates. */
static void test_big_lines(void)
{
    char path[64];
    FILE *f;
    struct isl_reader *r;
    const struct isl_row *row;
    struct isl_error err;
    int rc, n = 0, bad_line = 0;

    if (!write_tmp(path, sizeof(path)) || !(f = fopen(path, "w"))) {
        T_CHECK(0);
        return;
    }
    /* records alternate: one line each, and pretty-printed over four */
    fputs("<unload>\n", f);
    for (int i = 0; i < 30000; i++)
        if (i % 2)
            fprintf(f, "<u a=\"%d\"><id>%d</id></u>\n", i, i);
        else
            fprintf(f, "<u a=\"%d\">\n  <id>%d</id>\n  <x/>\n</u>\n", i, i);
    fputs("</unload>\n", f);
    fclose(f);
    r = open_path(path, NULL);
    T_CHECK(r != NULL);
    if (!r)
        return;
    while ((rc = isl_reader_next(r, &row, &err)) == ISL_OK) {
        uint64_t want = 2 + (uint64_t)(n / 2) * 5 + (n % 2 ? 4 : 0);

        if (row->pos.line != want && !bad_line++)
            fprintf(stderr, "  record %d: line %llu, want %llu\n", n + 1,
                    (unsigned long long)row->pos.line,
                    (unsigned long long)want);
        n++;
    }
    T_INTEQ(rc, ISL_EOF);
    T_INTEQ(n, 30000);
    T_INTEQ(bad_line, 0);
    isl_reader_close(r);
    unlink(path);
}

static void test_empty(void)
{
    struct isl_reader *r = open_td("empty.xml", NULL);
    const struct isl_row *row;
    struct isl_error err;

    T_CHECK(r != NULL);
    if (!r)
        return;
    T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
    isl_reader_close(r);
}

TEST_LIST = {
    {"unload", test_unload},
    {"gzip", test_gzip},
    {"detect", test_detect},
    {"record_path", test_record_path},
    {"bad_path", test_bad_path},
    {"namespaces", test_namespaces},
    {"text", test_text},
    {"nested", test_nested},
    {"encoding", test_encoding},
    {"malformed", test_malformed},
    {"truncated", test_truncated},
    {"xxe", test_xxe},
    {"billion_laughs", test_billion_laughs},
    {"duplicate", test_duplicate},
    {"field_size", test_field_size},
    {"big_value", test_big_value},
    {"big_lines", test_big_lines},
    {"empty", test_empty},
    {NULL, NULL},
};
