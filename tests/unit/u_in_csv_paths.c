/*
 * u_in_csv_paths.c: the CSV reader's two paths (hand-written tokenizer and
 * libcsv) give the same rows, positions and errors, whatever the read
 * size: on every file in testdata/csv/ and on generated edge cases (CR
 * line ends, CR LF and quotes split at 64 KiB read boundaries, a 1 MB
 * field, a last line without a newline). Traces are compared byte for
 * byte (tests/fuzz/csv_trace.h). Then the behaviour both paths share is
 * checked against expected values where a difference found by the fuzzer
 * was a bug in both: line counting after a CR, the line of a re-opened
 * quote, a value of exactly max_field at a read boundary, and the column
 * names after a row with many extra fields.
 */
#include "isl_setup.h"
#include "t.h"
#include "../fuzz/csv_trace.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const two_cols[] = {"a", "b"};

/* Option sets every file is read with (format forced: gzip'd and odd
 * files too are read as CSV). */
static const struct isl_reader_opts sets[] = {
    {.format = ISL_FMT_CSV},
    {.format = ISL_FMT_CSV, .lenient = true},
    {.format = ISL_FMT_CSV, .no_header = true},
    {.format = ISL_FMT_CSV,
     .delimiter = ';',
     .quote = '\'',
     .no_header = true,
     .columns = two_cols,
     .ncolumns = 2},
    {.format = ISL_FMT_CSV,
     .delimiter = '\t',
     .max_field = 4,
     .max_record = 16},
    {.format = ISL_FMT_CSV,
     .delimiter = ',',
     .encoding = "windows-1252",
     .max_field = 2,
     .max_record = 1 << 20},
};

/* Read sizes: the default 64 KiB, and small ones that split everything
 * (for small files), or odd ones (for big files). */
static const size_t chunks[] = {0, 1, 2, 3, 7, 64, 4093};
static const size_t big_chunks[] = {0, 4093, 65535};

static struct isl_buf ref, got; /* traces; reachable to the end */

/* Compare the paths on one file with one option set and the given read
 * sizes (chunks[0] must be 0); 0 when they agree. */
static int compare_file(const char *path, const struct isl_reader_opts *set,
                        const size_t *sizes, size_t nsizes)
{
    struct isl_reader_opts o = *set;
    char what[1200];
    int bad = 0;

    if (!ref.cap) {
        isl_buf_init(&ref, (size_t)1 << 30);
        isl_buf_init(&got, (size_t)1 << 30);
    }
    csv_trace(&ref, path, &o);
    for (size_t i = 0; i < nsizes; i++)
        for (int lib = 0; lib < 2; lib++) {
            if (!lib && !sizes[i])
                continue; /* that is ref */
            o.csv_libcsv = lib;
            o.read_chunk = sizes[i];
            csv_trace(&got, path, &o);
            snprintf(what, sizeof(what), "%s, %s, read size %zu", path,
                     lib ? "libcsv" : "tokenizer", sizes[i]);
            bad |= csv_trace_diff(what, "tokenizer, 64 KiB reads", &ref,
                                  "this one", &got);
        }
    return bad;
}

static void compare_all_sets(const char *path)
{
    for (size_t s = 0; s < ISL_ARRAY_LEN(sets); s++)
        T_CHECK(compare_file(path, &sets[s], chunks, ISL_ARRAY_LEN(chunks)) ==
                0);
}

/* A big file: two option sets, a few read sizes. */
static void compare_big(const char *path)
{
    T_CHECK(compare_file(path, &sets[0], big_chunks,
                         ISL_ARRAY_LEN(big_chunks)) == 0);
    T_CHECK(compare_file(path, &sets[2], big_chunks,
                         ISL_ARRAY_LEN(big_chunks)) == 0);
}

/* Every file in dir and below. */
static void compare_dir(const char *dir, int *nfiles)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    struct stat st;

    T_CHECK(d != NULL);
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            compare_dir(path, nfiles);
        } else {
            compare_all_sets(path);
            (*nfiles)++;
        }
    }
    closedir(d);
}

static void test_testdata(void)
{
    const char *td = getenv("ISLOAD_TESTDATA");
    char dir[1024];
    int nfiles = 0;

    snprintf(dir, sizeof(dir), "%s/csv", td ? td : "testdata");
    compare_dir(dir, &nfiles);
    T_CHECK(nfiles >= 18);
}

/* ---- generated files ---- */

static char tmp_path[64];

/* Write n bytes to a new temporary file; returns its path. */
static const char *write_tmp(const char *data, size_t n)
{
    int fd;

    snprintf(tmp_path, sizeof(tmp_path), "/tmp/u_in_csv_paths_XXXXXX");
    fd = mkstemp(tmp_path);
    T_CHECK(fd >= 0);
    if (fd < 0)
        return tmp_path;
    T_CHECK(write(fd, data, n) == (ssize_t)n);
    close(fd);
    return tmp_path;
}

static void compare_bytes(const char *data, size_t n)
{
    compare_all_sets(write_tmp(data, n));
    unlink(tmp_path);
}

static void compare_big_bytes(const char *data, size_t n)
{
    compare_big(write_tmp(data, n));
    unlink(tmp_path);
}

static void compare_str(const char *s)
{
    compare_bytes(s, strlen(s));
}

static void test_cr_line_ends(void)
{
    compare_str("id,name\r1,Ann\r2,\"B\rb\"\r\r3,C\r");
    compare_str("id,name\r1,Ann\n2,Ben\r\n3,\"x\r\ny\ry\nz\"\r\n\r4,D");
    compare_str("\r\n\r\rid\r\n1\r");
}

/*
 * A file where pattern starts at byte `at` (near a 64 KiB read boundary),
 * after a header and one long filler line "x,yyy...\n", and before a few
 * "q,r\n". Plain files are read 64 KiB at a time (the first read is the
 * 64 KiB peek).
 */
static void compare_at_boundary(const char *pattern, size_t at)
{
    size_t plen = strlen(pattern), n = at + plen + 64;
    char *buf = malloc(n);
    size_t i;

    T_CHECK(buf != NULL);
    if (!buf)
        return;
    memcpy(buf, "h1,h2\nx,", 8);
    memset(buf + 8, 'y', at - 9);
    buf[at - 1] = '\n';
    memcpy(buf + at, pattern, plen);
    i = at + plen;
    while (i + 4 <= n) {
        memcpy(buf + i, "q,r\n", 4);
        i += 4;
    }
    compare_big_bytes(buf, i);
    free(buf);
}

static void test_chunk_boundaries(void)
{
    static const char *const patterns[] = {
        "1,2\r\n",         /* CR LF */
        "1,2\r3,4\r\n",    /* CR then a line */
        "1,\"a\"\"b\"\n",  /* doubled quote */
        "1,\"a\",\"b\"\n", /* closing and opening quotes */
        "1,\"a\nb\"\r\n",  /* newline inside quotes */
        "1,\"ab\"c,d\n",   /* text after a closing quote */
        "\"\",\"\"\n",     /* empty quoted fields */
        "\n\r\n\r",        /* blank lines */
    };

    for (size_t k = 0; k < ISL_ARRAY_LEN(patterns); k++)
        for (size_t at = 65536 - 6; at <= 65536 + 1; at++)
            compare_at_boundary(patterns[k], at);
}

/* A 1 MiB quoted field with newlines and doubled quotes, then a 1 MiB
 * unquoted one. */
static void test_big_field(void)
{
    size_t n = (size_t)1 << 20;
    char *buf = malloc(3 * n + 100);
    size_t i = 0;

    T_CHECK(buf != NULL);
    if (!buf)
        return;
    i += (size_t)sprintf(buf, "id,text\n1,\"");
    for (size_t k = 0; k < n; k++) {
        if (k % 501 == 500)
            buf[i++] = '"'; /* doubled */
        buf[i++] = k % 977 == 976 ? '\n' : k % 501 == 500 ? '"' : 'a';
    }
    i += (size_t)sprintf(buf + i, "\"\n2,");
    memset(buf + i, 'b', n);
    i += n;
    i += (size_t)sprintf(buf + i, "\n3,ok");
    compare_big_bytes(buf, i);
    free(buf);
}

static void test_last_line(void)
{
    compare_str("a,b\n1,2");
    compare_str("a,b\n1,");
    compare_str("a,b\n1,\"x\"");
    compare_str("a,b\n1,\"x\"\"");
    compare_str("a,b\n1,\"x");
    compare_str("a,b\n1,2\n\n");
    compare_str("a,b\n1,2\r");
    compare_str("a,b");
    compare_str("");
}

/* ---- expected values, on regression files the fuzzer led to ---- */

static char td_buf[1024];

static const char *td(const char *name)
{
    const char *dir = getenv("ISLOAD_TESTDATA");

    snprintf(td_buf, sizeof(td_buf), "%s/csv/%s", dir ? dir : "testdata", name);
    return td_buf;
}

/* Open path with o; i picks the path (odd: libcsv) and a read size. */
static struct isl_reader *open_with(const char *path, size_t i,
                                    struct isl_reader_opts o)
{
    struct isl_reader *r = NULL;
    struct isl_error err;

    o.csv_libcsv = i & 1;
    o.read_chunk = chunks[i / 2];
    isl_error_clear(&err);
    T_INTEQ(isl_reader_open(&r, path, &o, &err), 0);
    return r;
}

/* CR, LF and CR LF each end one line, mixed in one file (a LF after a CR
 * and some text used not to count). */
static void test_mixed_line_ends(void)
{
    static const uint64_t lines[] = {2, 3, 5, 7};
    struct isl_reader_opts o = {0};

    for (size_t i = 0; i < ISL_ARRAY_LEN(chunks) * 2; i++) {
        struct isl_reader *r = open_with(td("mixed_line_ends.csv"), i, o);
        const struct isl_row *row;
        struct isl_error err;

        if (!r)
            continue;
        for (size_t k = 0; k < ISL_ARRAY_LEN(lines); k++) {
            T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
            T_INTEQ(row->pos.line, lines[k]);
        }
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EOF);
        isl_reader_close(r);
    }
}

/* The unterminated quote is the one opened last, not an earlier one of
 * the same record that was closed (that line used to be named). */
static void test_reopened_quote_line(void)
{
    struct isl_reader_opts o = {0};

    for (size_t i = 0; i < ISL_ARRAY_LEN(chunks) * 2; i++) {
        struct isl_reader *r = open_with(td("reopened_quote.csv"), i, o);
        const struct isl_row *row;
        struct isl_error err;

        if (!r)
            continue;
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EPARSE);
        T_INTEQ(err.line, 3);
        T_CHECK(strstr(err.msg, "quote opened on line 3") != NULL);
        isl_reader_close(r);
    }
}

/* A value of exactly max_field bytes is fine even when a read ends just
 * after its closing quote (it used to count that quote). */
static void test_max_field_at_boundary(void)
{
    const char *s = "id,v\n1,\"abcd\"\n2,\"abcde\"\n";

    write_tmp(s, strlen(s));
    for (size_t chunk = 1; chunk <= 16; chunk++)
        for (int lib = 0; lib < 2; lib++) {
            struct isl_reader_opts o = {
                .csv_libcsv = lib, .read_chunk = chunk, .max_field = 4};
            struct isl_reader *r = NULL;
            const struct isl_row *row;
            struct isl_error err;

            isl_error_clear(&err);
            T_INTEQ(isl_reader_open(&r, tmp_path, &o, &err), 0);
            if (!r)
                continue;
            T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
            T_CHECK(row->n == 2 && strcmp(row->fields[1].value, "abcd") == 0);
            T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
            T_STREQ(err.rule, "field_size");
            T_STREQ(err.field, "v");
            isl_reader_close(r);
        }
    unlink(tmp_path);
}

/* Column names stay valid after a row with many extra fields (the name
 * array grows for _extra_N; the published columns used to dangle). */
static void test_columns_after_extra_fields(void)
{
    struct isl_reader_opts o = {0};

    for (size_t i = 0; i < 2; i++) {
        struct isl_reader *r = open_with(td("many_extra_fields.csv"), i, o);
        const struct isl_row *row;
        const char *const *cols;
        struct isl_error err;

        if (!r)
            continue;
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_EROW);
        T_INTEQ(row->n, 41);
        T_STREQ(row->fields[40].name, "_extra_39");
        T_INTEQ(isl_reader_next(r, &row, &err), ISL_OK);
        T_INTEQ(isl_reader_columns(r, &cols), 2);
        T_STREQ(cols[0], "id");
        T_STREQ(cols[1], "name");
        isl_reader_close(r);
    }
}

TEST_LIST = {
    {"testdata", test_testdata},
    {"cr_line_ends", test_cr_line_ends},
    {"chunk_boundaries", test_chunk_boundaries},
    {"big_field", test_big_field},
    {"last_line", test_last_line},
    {"mixed_line_ends", test_mixed_line_ends},
    {"reopened_quote_line", test_reopened_quote_line},
    {"max_field_at_boundary", test_max_field_at_boundary},
    {"columns_after_extra_fields", test_columns_after_extra_fields},
    {NULL, NULL},
};
