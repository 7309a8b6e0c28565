/*
 * u_prefetch.c: the stream read ahead on a second thread (isl_prefetch)
 * gives exactly what isl_stream_next gives: the same rows, positions,
 * file names, return codes and errors, over several inputs with bad rows,
 * a row bigger than a block and a fatal error at the end; names keep one
 * address per input (the chain's fast path); each input's source has its
 * own header, also an input that gave no row; and closing early, also while the
 * reading thread waits on a pipe (plain or gzip'd) that delivers nothing more,
 * neither hangs nor leaks (alarm() is the watchdog, ASan checks leaks).
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_prefetch.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char paths[4][64];

static const char *tmp(int k)
{
    snprintf(paths[k], sizeof(paths[k]), "/tmp/u_prefetch_%d_%d", (int)getpid(),
             k);
    return paths[k];
}

/* a.csv: 1000 rows with two of the wrong width and one 3 MB value;
 * b.csv: another header; c.csv: a quote that never closes (fatal). */
static void write_inputs(void)
{
    FILE *f = fopen(tmp(0), "w");

    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("id,name,city\n", f);
    for (int i = 1; i <= 1000; i++) {
        if (i == 300 || i == 777)
            fprintf(f, "%d,too,many,fields\n", i);
        else if (i == 500) {
            fprintf(f, "%d,\"", i);
            for (int k = 0; k < 3 * 1024 * 1024; k++)
                fputc('a' + k % 26, f);
            fputs("\",big\n", f);
        } else
            fprintf(f, "%d,name %d,\"city, %d\"\n", i, i, i % 37);
    }
    fclose(f);
    f = fopen(tmp(1), "w");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("city,id\n", f);
    for (int i = 1; i <= 600; i++)
        fprintf(f, "c%d,%d\n", i, i);
    fclose(f);
    f = fopen(tmp(2), "w");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("id,name,city\n1,x,y\n2,\"never closed\n3,a,b\n", f);
    fclose(f);
}

static bool same_row(const struct isl_row *a, const struct isl_row *b)
{
    if (!a || !b)
        return a == b;
    if (strcmp(a->pos.file, b->pos.file) != 0 || a->pos.line != b->pos.line ||
        a->pos.record != b->pos.record || a->pos.offset != b->pos.offset ||
        a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
            a->fields[i].len != b->fields[i].len ||
            memcmp(a->fields[i].value, b->fields[i].value,
                   a->fields[i].len + 1) != 0)
            return false;
    return true;
}

static bool same_error(const struct isl_error *a, const struct isl_error *b)
{
    return a->code == b->code && strcmp(a->msg, b->msg) == 0 &&
           strcmp(a->file, b->file) == 0 && a->line == b->line &&
           strcmp(a->rule, b->rule) == 0;
}

static void test_same_as_stream(void)
{
    const char *in[3];
    struct isl_reader_opts opts = {.format = ISL_FMT_CSV};
    struct isl_stream *s = NULL;
    struct isl_prefetch *p = NULL;
    struct isl_error es, ep;
    size_t rows = 0, bad = 0, mismatches = 0;
    int rs, rp;

    write_inputs();
    in[0] = tmp(0);
    in[1] = tmp(1);
    in[2] = tmp(2);
    T_INTEQ(isl_stream_open(&s, in, 3, &opts, &es), 0);
    T_INTEQ(isl_prefetch_open(&p, in, 3, &opts, &ep), 0);
    if (!s || !p)
        goto out;
    for (;;) {
        const struct isl_row *a = NULL, *b = NULL;

        isl_error_clear(&es);
        isl_error_clear(&ep);
        rs = isl_stream_next(s, &a, &es);
        rp = isl_prefetch_next(p, &b, &ep);
        T_INTEQ(rp, rs);
        if (rs == ISL_EOF || (rs < 0 && rs != ISL_EROW))
            break;
        rows++;
        if (rs == ISL_EROW)
            bad++;
        if (!same_row(a, b) || (rs == ISL_EROW && !same_error(&es, &ep)))
            mismatches++;
        T_STREQ(isl_prefetch_source(p)->name,
                isl_reader_name(isl_stream_reader(s)));
    }
    T_INTEQ(rows, 1000 + 600 + 1);
    T_INTEQ(bad, 2);
    T_INTEQ(mismatches, 0);
    T_INTEQ(rs, ISL_EPARSE); /* the quote that never closes */
    T_CHECK(same_error(&es, &ep));
    T_STREQ(ep.file, tmp(2));
    /* the end stays the end */
    {
        const struct isl_row *b;

        T_INTEQ(isl_prefetch_next(p, &b, &ep), ISL_EPARSE);
    }
out:
    isl_stream_close(s);
    isl_prefetch_close(p);
}

static void test_sources_and_names(void)
{
    const char *in[2];
    struct isl_reader_opts opts = {.format = ISL_FMT_CSV};
    struct isl_prefetch *p = NULL;
    struct isl_error err;
    const struct isl_row *row;
    const struct isl_source *first = NULL;
    const char *name0 = NULL;
    size_t moved = 0, n = 0;
    int rc;

    write_inputs();
    in[0] = tmp(1);
    in[1] = tmp(0);
    T_INTEQ(isl_prefetch_open(&p, in, 2, &opts, &err), 0);
    T_CHECK(p && isl_prefetch_source(p) == NULL);
    while (p && (rc = isl_prefetch_next(p, &row, &err)) != ISL_EOF) {
        const struct isl_source *src = isl_prefetch_source(p);

        T_CHECK(rc == ISL_OK || rc == ISL_EROW);
        if (rc < 0 && rc != ISL_EROW)
            break;
        if (n++ == 0) {
            first = src;
            name0 = row->fields[0].name;
            T_STREQ(src->name, tmp(1));
            T_INTEQ(src->ncolumns, 2);
            T_STREQ(src->columns[0], "city");
            T_CHECK(src->format == ISL_FMT_CSV && src->delimiter == ',');
        } else if (src == first && row->fields[0].name != name0)
            moved++;
        if (n == 601) {
            T_CHECK(src != first);
            T_STREQ(src->name, tmp(0));
            T_INTEQ(src->ncolumns, 3);
            T_STREQ(src->columns[2], "city");
            T_STREQ(row->pos.file, tmp(0));
            /* the first input's source is still there */
            T_INTEQ(first->ncolumns, 2);
        }
    }
    T_INTEQ(n, 1600);
    T_INTEQ(moved, 0);
    T_CHECK(isl_prefetch_bytes_read(p) > 3 * 1024 * 1024);
    T_CHECK(isl_prefetch_bytes_total(p) == isl_prefetch_bytes_read(p));
    isl_prefetch_close(p);
}

/* An input that gives no row (a header alone) still has its source, in
 * its place among the inputs, once the stream has ended. */
static void test_input_without_rows(void)
{
    const char *in[3];
    struct isl_reader_opts opts = {.format = ISL_FMT_CSV};
    struct isl_prefetch *p = NULL;
    struct isl_error err;
    const struct isl_row *row;
    const struct isl_source *s;
    FILE *f = fopen(tmp(3), "w");
    size_t n = 0;
    int rc;

    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs("x,y,z,w\n", f);
    fclose(f);
    write_inputs();
    in[0] = tmp(1);
    in[1] = tmp(3);
    in[2] = tmp(1);
    T_INTEQ(isl_prefetch_open(&p, in, 3, &opts, &err), 0);
    while (p && (rc = isl_prefetch_next(p, &row, &err)) != ISL_EOF) {
        T_CHECK(rc == ISL_OK);
        if (rc < 0)
            break;
        n++;
    }
    T_INTEQ(n, 1200);
    s = isl_prefetch_input(p, 2);
    T_CHECK(s != NULL);
    if (s) {
        T_STREQ(s->name, tmp(3));
        T_INTEQ(s->ncolumns, 4);
        T_STREQ(s->columns[3], "w");
    }
    s = isl_prefetch_input(p, 3);
    T_CHECK(s && s->ncolumns == 2 && s != isl_prefetch_input(p, 1));
    T_CHECK(isl_prefetch_input(p, 4) == NULL);
    isl_prefetch_close(p);
}

/* Stop after a few rows of a large file: the thread is waiting for room. */
static void test_close_early(void)
{
    const char *in[1];
    struct isl_reader_opts opts = {.format = ISL_FMT_CSV};
    struct isl_prefetch *p = NULL;
    struct isl_error err;
    const struct isl_row *row;

    write_inputs();
    in[0] = tmp(0);
    alarm(60);
    T_INTEQ(isl_prefetch_open(&p, in, 1, &opts, &err), 0);
    for (int i = 0; p && i < 10; i++)
        T_INTEQ(isl_prefetch_next(p, &row, &err), ISL_OK);
    usleep(20000);
    isl_prefetch_close(p);
    /* and without reading anything */
    T_INTEQ(isl_prefetch_open(&p, in, 1, &opts, &err), 0);
    isl_prefetch_close(p);
    alarm(0);
}

struct writer {
    const char *fifo;
    const char *data;
    size_t len;
    int fd;
    pthread_t th;
};

/* Open the FIFO, write data, and keep it open (the stuck producer). */
static void *write_and_wait(void *arg)
{
    struct writer *w = arg;
    size_t at = 0;

    w->fd = open(w->fifo, O_WRONLY);
    while (w->fd >= 0 && at < w->len) {
        ssize_t n = write(w->fd, w->data + at, w->len - at);

        if (n <= 0)
            break;
        at += (size_t)n;
    }
    return NULL;
}

static void close_on_stuck_pipe(const char *data, size_t len)
{
    const char *in[1];
    struct isl_reader_opts opts = {.format = ISL_FMT_CSV};
    struct isl_prefetch *p = NULL;
    struct isl_error err;
    struct writer w = {.fifo = tmp(3), .data = data, .len = len, .fd = -1};

    unlink(tmp(3));
    T_INTEQ(mkfifo(tmp(3), 0600), 0);
    in[0] = tmp(3);
    T_INTEQ(pthread_create(&w.th, NULL, write_and_wait, &w), 0);
    alarm(60);
    T_INTEQ(isl_prefetch_open(&p, in, 1, &opts, &err), 0);
    usleep(50000); /* the thread has read the rows and waits on the pipe */
    isl_prefetch_close(p);
    alarm(0);
    pthread_join(w.th, NULL);
    if (w.fd >= 0)
        close(w.fd);
    unlink(tmp(3));
}

static void test_close_on_stuck_pipe(void)
{
    static const char csv[] = "id,name\n1,a\n2,b\n3,c\n";
    unsigned char gz[256];
    z_stream zs;

    close_on_stuck_pipe(csv, sizeof(csv) - 1);

    /* the same rows gzip'd, without the end of the gzip stream */
    memset(&zs, 0, sizeof(zs));
    T_INTEQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
    zs.next_in = (unsigned char *)csv;
    zs.avail_in = sizeof(csv) - 1;
    zs.next_out = gz;
    zs.avail_out = sizeof(gz);
    T_INTEQ(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
    close_on_stuck_pipe((const char *)gz, sizeof(gz) - zs.avail_out);
    deflateEnd(&zs);
}

static void cleanup(void)
{
    for (int k = 0; k < 4; k++)
        unlink(tmp(k));
}

static void test_cleanup(void)
{
    cleanup();
    T_CHECK(access(tmp(0), F_OK) != 0);
}

TEST_LIST = {{"same_as_stream", test_same_as_stream},
             {"sources_and_names", test_sources_and_names},
             {"input_without_rows", test_input_without_rows},
             {"close_early", test_close_early},
             {"close_on_stuck_pipe", test_close_on_stuck_pipe},
             {"cleanup", test_cleanup},
             {NULL, NULL}};
