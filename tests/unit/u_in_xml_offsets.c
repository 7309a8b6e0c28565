/*
 * u_in_xml_offsets.c: every XML row carries the byte offset of its start
 * tag's '<' in the decoded stream. Checked exactly on offsets.xml (every
 * construct the offset lexer must skip: DOCTYPE with an internal subset,
 * comments, PIs, CDATA, '>' and "/>" in attribute values, multi-line and
 * empty start tags, nested elements of the record's name) where each
 * record's id attribute finds its tag in the file; on a generated 2 MB
 * file, plain, gzip'd and converted from windows-1252; and on every file
 * of testdata/xml: a '<' at each offset, offsets increasing, the start
 * tag's lines around the row's line; a UTF-16 file with its byte order
 * mark, converted first.
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static char path_buf[1024];

static const char *td(const char *name)
{
    const char *dir = getenv("ISLOAD_TESTDATA");

    snprintf(path_buf, sizeof(path_buf), "%s/%s", dir ? dir : "testdata", name);
    return path_buf;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long len;

    *n = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) == (size_t)len) {
        *n = (size_t)len;
        p[len] = '\0';
    }
    fclose(f);
    return p;
}

/* The first s in [p, end), or NULL (not strstr: under ASan it costs the
 * whole haystack's length every call). */
static const char *find(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);

    while ((p = memchr(p, s[0], (size_t)(end - p))) && (size_t)(end - p) >= n)
        if (memcmp(p++, s, n) == 0)
            return p - 1;
    return NULL;
}

/*
 * Read path; for each row, its "@id" value must be found in text (the
 * decoded stream) as `<TAG id="ID"` exactly at the row's offset.
 * Returns the rows checked.
 */
static size_t check_ids(const char *path, const struct isl_reader_opts *o,
                        const char *text, const char *tag)
{
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;
    const char *from = text, *end = text + strlen(text); /* in order */
    size_t rows = 0;
    char want[128];
    int rc;

    isl_error_clear(&err);
    T_INTEQ(isl_reader_open(&r, path, o, &err), 0);
    if (!r)
        return 0;
    while ((rc = isl_reader_next(r, &row, &err)) == ISL_OK) {
        const struct isl_field *id = isl_row_find(row, "@id");
        const char *at;

        T_CHECK(id != NULL);
        if (!id)
            break;
        snprintf(want, sizeof(want), "<%s id=\"%s\"", tag, id->value);
        at = find(from, end, want);
        if (!at) /* "<rec\n    id=...": look for the id alone */
            at = find(from, end, want + strlen(tag) + 2);
        T_CHECK(at != NULL);
        if (at && at[0] != '<')
            while (at > text && *at != '<')
                at--;
        if (at)
            from = at + 1;
        if (at && (uint64_t)(at - text) != row->pos.offset) {
            fprintf(stderr, "  %s: record %s at offset %llu, expected %zu\n",
                    path, id->value, (unsigned long long)row->pos.offset,
                    (size_t)(at - text));
            T_CHECK(0);
        }
        rows++;
    }
    T_INTEQ(rc, ISL_EOF);
    isl_reader_close(r);
    return rows;
}

static void test_constructs(void)
{
    struct isl_reader_opts o = {0};
    size_t n;
    char *text = slurp(td("xml/offsets.xml"), &n);

    T_CHECK(text != NULL);
    if (!text)
        return;
    T_INTEQ(check_ids(td("xml/offsets.xml"), &o, text, "rec"), 6);
    free(text);
}

/* A 2 MB document with records of varied sizes, comments and CDATA, so
 * that record tags fall across every read boundary. */
static char *make_doc(size_t *n)
{
    size_t cap = 3u << 20, len = 0;
    char *p = malloc(cap);
    uint32_t x = 7;

    if (!p)
        return NULL;
    len += (size_t)sprintf(p, "<?xml version=\"1.0\"?>\n<list>\n");
    for (int i = 0; len < (2u << 20); i++) {
        int fill;

        x = x * 1103515245u + 12345u;
        fill = (int)((x >> 16) % 300);
        len +=
            (size_t)sprintf(p + len, "<item id=\"i%d\" size=\"%d\">", i, fill);
        if (i % 7 == 0)
            len += (size_t)sprintf(p + len, "<!-- <item id=\"c%d\"> -->", i);
        if (i % 11 == 0)
            len += (size_t)sprintf(p + len, "<v><![CDATA[<item>]]></v>");
        len += (size_t)sprintf(p + len, "<t>");
        for (int k = 0; k < fill; k++)
            p[len++] = k % 61 == 60 ? '\n' : (char)('a' + k % 26);
        len += (size_t)sprintf(p + len, "</t></item>%s", i % 3 ? "" : "\n");
    }
    len += (size_t)sprintf(p + len, "</list>\n");
    *n = len;
    return p;
}

static void test_read_boundaries(void)
{
    struct isl_reader_opts o = {0};
    char path[] = "/tmp/u_in_xml_offsets_XXXXXX";
    char gzpath[64];
    size_t n, rows;
    char *doc = make_doc(&n);
    int fd = mkstemp(path);
    gzFile gz;

    T_CHECK(doc != NULL && fd >= 0);
    if (!doc || fd < 0)
        return;
    T_CHECK(write(fd, doc, n) == (ssize_t)n);
    close(fd);
    rows = check_ids(path, &o, doc, "item");
    T_CHECK(rows > 5000);
    snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
    gz = gzopen(gzpath, "wb1");
    T_CHECK(gz != NULL);
    if (gz) {
        gzwrite(gz, doc, (unsigned)n);
        gzclose(gz);
        T_INTEQ(check_ids(gzpath, &o, doc, "item"), rows);
    }
    unlink(gzpath);
    unlink(path);
    free(doc);
}

/* Converted input: offsets count bytes of the UTF-8 that isl_input makes,
 * not of the file. */
static void test_converted(void)
{
    static const char doc[] =
        "<list>\n<item id=\"a\">Z\x80rich \xe9t\xe9</item>"
        "<item id=\"b\">\xe0</item>\n</list>\n";
    struct isl_reader_opts o = {.encoding = "windows-1252"};
    char path[] = "/tmp/u_in_xml_offsets_XXXXXX";
    char utf8[256], *in = (char *)doc, *out = utf8;
    size_t inleft = sizeof(doc) - 1, outleft = sizeof(utf8) - 1;
    iconv_t cd = iconv_open("UTF-8", "windows-1252");
    int fd = mkstemp(path);

    T_CHECK(cd != (iconv_t)-1 && fd >= 0);
    if (cd == (iconv_t)-1 || fd < 0)
        return;
    T_CHECK(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
    *out = '\0';
    iconv_close(cd);
    T_CHECK(write(fd, doc, sizeof(doc) - 1) == (ssize_t)(sizeof(doc) - 1));
    close(fd);
    T_INTEQ(check_ids(path, &o, utf8, "item"), 2);
    unlink(path);
}

/* Lines of text[0..off) + 1. */
static uint64_t line_at(const char *text, size_t off)
{
    uint64_t line = 1;

    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

/* The '>' that ends the tag at p (not one in an attribute value). */
static const char *tag_end(const char *p)
{
    char q = 0;

    for (; *p; p++)
        if (q)
            q = *p == q ? 0 : q;
        else if (*p == '"' || *p == '\'')
            q = *p;
        else if (*p == '>')
            return p;
    return NULL;
}

/* A file that starts with a UTF-16 byte order mark, as isl_input gives
 * it (converted to UTF-8, the mark dropped). */
static void utf16_as_read(char **text, size_t *n)
{
    const unsigned char *t = (const unsigned char *)*text;
    size_t inleft = *n, outleft = 4 * *n;
    char *utf8, *in = *text, *out;
    iconv_t cd;

    if (*n < 2 ||
        !((t[0] == 0xFF && t[1] == 0xFE) || (t[0] == 0xFE && t[1] == 0xFF)))
        return;
    cd = iconv_open("UTF-8", "UTF-16");
    out = utf8 = malloc(outleft + 1);
    T_CHECK(cd != (iconv_t)-1 && utf8);
    if (cd != (iconv_t)-1 && utf8 &&
        iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1) {
        *out = '\0';
        free(*text);
        *text = utf8;
        *n = (size_t)(out - utf8);
        utf8 = NULL;
    }
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    free(utf8);
}

/* Every file: a '<' at each known offset, offsets increasing, and the
 * row's line within the lines of the start tag there. */
static void check_file(const char *path, size_t *known)
{
    struct isl_reader_opts o = {.format = ISL_FMT_XML};
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;
    uint64_t prev = 0;
    bool first = true;
    size_t n;
    char *text = slurp(path, &n);
    int rc;

    if (text)
        utf16_as_read(&text, &n);
    isl_error_clear(&err);
    if (!text || isl_reader_open(&r, path, &o, &err) < 0) {
        free(text);
        return;
    }
    while ((rc = isl_reader_next(r, &row, &err)) == ISL_OK || rc == ISL_EROW) {
        uint64_t off = row->pos.offset;
        const char *gt;

        if (off == UINT64_MAX)
            continue;
        (*known)++;
        T_CHECK(off < n && text[off] == '<');
        T_CHECK(first || off > prev);
        gt = off < n ? tag_end(text + off) : NULL;
        if (gt && row->pos.line < 65535) {
            T_CHECK(row->pos.line >= line_at(text, off));
            T_CHECK(row->pos.line <= line_at(text, (size_t)(gt - text)));
        }
        prev = off;
        first = false;
    }
    isl_reader_close(r);
    free(text);
}

static void test_testdata_files(void)
{
    const char *dirs[] = {"xml", "cmdb"};
    size_t known = 0;

    for (size_t k = 0; k < ISL_ARRAY_LEN(dirs); k++) {
        char dir[1024], path[2048];
        DIR *d;
        struct dirent *e;

        snprintf(dir, sizeof(dir), "%s", td(dirs[k]));
        d = opendir(dir);
        T_CHECK(d != NULL);
        while (d && (e = readdir(d)))
            if (strstr(e->d_name, ".xml") &&
                strcmp(e->d_name + strlen(e->d_name) - 4, ".xml") == 0) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                check_file(path, &known);
            }
        if (d)
            closedir(d);
    }
    T_CHECK(known > 20);
}

/* A UTF-16 document with its byte order mark is converted to UTF-8 by
 * isl_input first: offsets are known and count the converted bytes. */
static void test_utf16_converted(void)
{
    struct isl_reader_opts o = {.format = ISL_FMT_XML};
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;
    size_t n = 0;
    char *text = slurp(td("xml/utf16.xml"), &n);
    int rows = 0;

    T_CHECK(text && n > 2 && (unsigned char)text[0] == 0xFF);
    if (!text)
        return;
    utf16_as_read(&text, &n);
    isl_error_clear(&err);
    T_INTEQ(isl_reader_open(&r, td("xml/utf16.xml"), &o, &err), 0);
    while (r && isl_reader_next(r, &row, &err) == ISL_OK) {
        T_CHECK(row->pos.offset < n && text[row->pos.offset] == '<');
        T_INTEQ(row->pos.line, rows ? 9 : 3);
        rows++;
    }
    T_INTEQ(rows, 2);
    isl_reader_close(r);
    free(text);
}

TEST_LIST = {
    {"constructs", test_constructs},
    {"read_boundaries", test_read_boundaries},
    {"converted", test_converted},
    {"testdata_files", test_testdata_files},
    {"utf16_converted", test_utf16_converted},
    {NULL, NULL},
};
