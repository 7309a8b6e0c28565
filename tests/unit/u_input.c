/*
 * u_input.c: the byte source (isl_input) with gzip inflated in a second
 * thread: the bytes are the file's whatever the read size, concatenated
 * members are read whole, truncated and corrupt streams and trailing
 * garbage are errors naming the compressed byte offset (after the bytes
 * before them), stdin works (a pipe), peeking, the BOM and iconv work on
 * gzip'd input, a UTF-16 or UTF-32 byte order mark converts from what it
 * says, and closing early (after a few bytes, after a peek, while
 * the inflater waits on a pipe that delivers nothing) neither hangs nor
 * leaks (alarm() is the watchdog, ASan checks leaks).
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_error.h"
#include "isl_input.h"

#include <iconv.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* Pseudo-random text, compressible about 2:1 (so several raw reads). */
static char *make_text(size_t n)
{
    char *p = malloc(n);
    uint32_t x = 12345;

    for (size_t i = 0; p && i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (x >> 16) % 17 == 0 ? '\n' : (char)('a' + (x >> 20) % 26);
    }
    return p;
}

static char paths[4][64];

/* A temporary path (slot k), not yet created. */
static const char *tmp(int k)
{
    snprintf(paths[k], sizeof(paths[k]), "/tmp/u_input_%d_%d", (int)getpid(),
             k);
    return paths[k];
}

/* Write p[0..n) as nmembers gzip members to path. */
static void write_gz(const char *path, const char *p, size_t n, int nmembers)
{
    size_t per = n / (size_t)nmembers, at = 0;

    unlink(path);
    for (int m = 0; m < nmembers; m++) {
        gzFile gz = gzopen(path, "ab1");
        size_t len = m == nmembers - 1 ? n - at : per;

        T_CHECK(gz != NULL);
        if (!gz)
            return;
        T_CHECK(gzwrite(gz, p + at, (unsigned)len) == (int)len);
        gzclose(gz);
        at += len;
    }
}

/* The whole file (n bytes) into a new buffer. */
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
    if (p && fread(p, 1, (size_t)len, f) == (size_t)len)
        *n = (size_t)len;
    fclose(f);
    return p;
}

static void spit(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    T_CHECK(f != NULL);
    if (!f)
        return;
    T_CHECK(fwrite(p, 1, n, f) == n);
    fclose(f);
}

/* Read path to the end (or an error) cap bytes at a time into *out;
 * returns the last return code, err filled on error. */
static int read_all(const char *path, const char *enc, size_t cap, char **out,
                    size_t *n, struct isl_error *err)
{
    struct isl_input *in = NULL;
    size_t alloc = 1 << 16, got;
    char *buf = malloc(cap);
    int rc;

    *out = malloc(alloc);
    *n = 0;
    isl_error_clear(err);
    rc = isl_input_open(&in, path, enc, -1, err);
    while (rc == 0) {
        rc = isl_input_read(in, buf, cap, &got, err);
        if (rc < 0 || got == 0)
            break;
        if (*n + got > alloc) {
            alloc = 2 * (*n + got);
            *out = realloc(*out, alloc);
        }
        memcpy(*out + *n, buf, got);
        *n += got;
    }
    isl_input_close(in);
    free(buf);
    return rc;
}

static void test_gzip_equals_plain(void)
{
    static const size_t caps[] = {1, 7, 4096, 65536, 1 << 20};
    size_t n = 3u << 20, len;
    char *text = make_text(n), *out;
    struct isl_error err;

    T_CHECK(text != NULL);
    if (!text)
        return;
    for (int members = 1; members <= 3; members += 2) {
        write_gz(tmp(0), text, n, members);
        for (size_t i = 0; i < ISL_ARRAY_LEN(caps); i++) {
            T_INTEQ(read_all(tmp(0), NULL, caps[i], &out, &len, &err), 0);
            T_INTEQ(len, n);
            T_CHECK(len == n && memcmp(out, text, n) == 0);
            free(out);
        }
    }
    unlink(tmp(0));
    free(text);
}

static void test_truncated(void)
{
    size_t n = 1u << 20, zlen, len;
    char *text = make_text(n), *gz, *out;
    struct isl_error err;
    char want[128];

    write_gz(tmp(0), text, n, 1);
    gz = slurp(tmp(0), &zlen);
    T_CHECK(gz != NULL && zlen > 1000);
    if (!gz || zlen <= 1000)
        return;
    for (size_t cut = zlen / 3; cut < zlen; cut += zlen / 3 + 1) {
        spit(tmp(1), gz, cut);
        T_INTEQ(read_all(tmp(1), NULL, 65536, &out, &len, &err), ISL_EPARSE);
        snprintf(want, sizeof(want),
                 "truncated gzip stream: input ends at compressed byte %zu "
                 "inside a gzip member",
                 cut);
        T_STREQ(err.msg, want);
        T_STREQ(err.file, tmp(1));
        /* what came before the error is the start of the text */
        T_CHECK(len < n && memcmp(out, text, len) == 0);
        T_CHECK(len > 0);
        free(out);
    }
    spit(tmp(1), gz, zlen - 4); /* only the size field missing */
    T_INTEQ(read_all(tmp(1), NULL, 65536, &out, &len, &err), ISL_EPARSE);
    T_CHECK(strstr(err.msg, "truncated gzip stream") != NULL);
    free(out);
    unlink(tmp(0));
    unlink(tmp(1));
    free(gz);
    free(text);
}

/* A bad second member header and trailing garbage: the offsets are where
 * zlib stops, after the two header bytes it reads for each. */
static void test_corrupt_and_garbage(void)
{
    size_t n = 1u << 19, zlen, len;
    char *text = make_text(n), *gz, *out, want[160];
    struct isl_error err;

    write_gz(tmp(0), text, n, 1);
    gz = slurp(tmp(0), &zlen);
    if (!gz)
        return;
    gz = realloc(gz, 2 * zlen + 16);
    memcpy(gz + zlen, gz, zlen); /* a second member */
    gz[zlen + 2] = 7;            /* compression method 7 */
    spit(tmp(1), gz, 2 * zlen);
    T_INTEQ(read_all(tmp(1), NULL, 65536, &out, &len, &err), ISL_EPARSE);
    snprintf(want, sizeof(want),
             "corrupt gzip stream at compressed byte %zu: unknown compression "
             "method",
             zlen + 4);
    T_STREQ(err.msg, want);
    T_INTEQ(len, n); /* the first member, whole */
    T_CHECK(len == n && memcmp(out, text, n) == 0);
    free(out);

    memcpy(gz + zlen, "garbage!", 8);
    spit(tmp(1), gz, zlen + 8);
    T_INTEQ(read_all(tmp(1), NULL, 65536, &out, &len, &err), ISL_EPARSE);
    snprintf(want, sizeof(want),
             "corrupt gzip stream at compressed byte %zu: incorrect header "
             "check",
             zlen + 2);
    T_STREQ(err.msg, want);
    T_INTEQ(len, n);
    free(out);
    unlink(tmp(0));
    unlink(tmp(1));
    free(gz);
    free(text);
}

static void test_peek_bom_iconv(void)
{
    static const char latin[] = "\xEF\xBB\xBFid;name\n1;Ren\xE9\n";
    static const char utf8[] = "id;name\n1;Ren\xC3\xA9\n";
    struct isl_input *in = NULL;
    struct isl_error err;
    const char *p;
    char buf[64];
    size_t n, got;

    /* a UTF-8 BOM is dropped, for peek and read */
    write_gz(tmp(0), "\xEF\xBB\xBFid;name\n1;Ann\n", 17, 1);
    isl_error_clear(&err);
    T_INTEQ(isl_input_open(&in, tmp(0), NULL, -1, &err), 0);
    if (in) {
        T_CHECK(isl_input_is_gzip(in));
        T_INTEQ(isl_input_peek(in, &p, &n, &err), 0);
        T_INTEQ(n, 14);
        T_CHECK(n == 14 && memcmp(p, "id;name\n1;Ann\n", 14) == 0);
        T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
        T_INTEQ(got, 14);
        T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
        T_INTEQ(got, 0);
        isl_input_close(in);
    }
    /* ISO-8859-1 converted after inflating */
    write_gz(tmp(0), latin + 3, sizeof(latin) - 4, 1);
    in = NULL;
    T_INTEQ(isl_input_open(&in, tmp(0), "iso-8859-1", -1, &err), 0);
    if (in) {
        T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
        T_INTEQ(got, sizeof(utf8) - 1);
        T_CHECK(got == sizeof(utf8) - 1 && memcmp(buf, utf8, got) == 0);
        isl_input_close(in);
    }
    unlink(tmp(0));
}

/* Text in enc (an iconv name), with the byte order mark iconv writes. */
static char *encode(const char *text, const char *enc, size_t *n)
{
    size_t len = strlen(text), outleft = 4 * len + 8;
    char *buf = malloc(outleft), *in = (char *)text, *out = buf;
    iconv_t cd = iconv_open(enc, "UTF-8");

    *n = 0;
    T_CHECK(buf && cd != (iconv_t)-1);
    if (buf && cd != (iconv_t)-1 &&
        iconv(cd, &in, &len, &out, &outleft) != (size_t)-1)
        *n = (size_t)(out - buf);
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    return buf;
}

/* UTF-8 asked for (the default), a UTF-16 or UTF-32 byte order mark
 * found: converted from what it says, plain or gzip'd, for peek and
 * read, and across the peek window; an explicit encoding is left alone. */
static void test_utf16_32_bom(void)
{
    static const char text[] = "id;name\n1;Ren\xC3\xA9 \xE2\x82\xAC\n";
    static const struct {
        const char *iconv_name, *bom;
        size_t bom_len;
    } encs[] = {
        {"UTF-16LE", "\xFF\xFE", 2},
        {"UTF-16BE", "\xFE\xFF", 2},
        {"UTF-32LE", "\xFF\xFE\0\0", 4},
        {"UTF-32BE", "\0\0\xFE\xFF", 4},
    };
    size_t big_n = 300 * 1024, n, enc_n, got;
    char *big = make_text(big_n), *out = NULL, *body, *file;
    struct isl_input *in = NULL;
    struct isl_error err;
    const char *p;
    char buf[64];

    isl_error_clear(&err);
    for (size_t e = 0; e < ISL_ARRAY_LEN(encs); e++) {
        body = encode(text, encs[e].iconv_name, &enc_n);
        file = malloc(enc_n + 4);
        if (!body || !file || !enc_n) {
            T_CHECK(0);
            free(body);
            free(file);
            continue;
        }
        memcpy(file, encs[e].bom, encs[e].bom_len);
        memcpy(file + encs[e].bom_len, body, enc_n);
        n = encs[e].bom_len + enc_n;
        for (int gz = 0; gz < 2; gz++) {
            if (gz)
                write_gz(tmp(0), file, n, 1);
            else
                spit(tmp(0), file, n);
            in = NULL;
            T_INTEQ(isl_input_open(&in, tmp(0), NULL, -1, &err), 0);
            if (!in)
                continue;
            T_CHECK(isl_input_is_converted(in));
            T_INTEQ(isl_input_peek(in, &p, &got, &err), 0);
            T_INTEQ(got, sizeof(text) - 1);
            T_CHECK(got == sizeof(text) - 1 && memcmp(p, text, got) == 0);
            T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
            T_CHECK(got == sizeof(text) - 1 && memcmp(buf, text, got) == 0);
            T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
            T_INTEQ(got, 0);
            isl_input_close(in);
        }
        /* an encoding given is what the bytes are read as */
        spit(tmp(0), file, n);
        in = NULL;
        T_INTEQ(isl_input_open(&in, tmp(0), "iso-8859-1", -1, &err), 0);
        if (in) {
            char want[8];
            size_t k = 0;

            for (size_t i = 0; i < encs[e].bom_len; i++) {
                unsigned char c = (unsigned char)encs[e].bom[i];

                if (c < 0x80) {
                    want[k++] = (char)c;
                } else {
                    want[k++] = (char)(0xC0 | c >> 6);
                    want[k++] = (char)(0x80 | (c & 0x3F));
                }
            }
            T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
            T_CHECK(got > k && memcmp(buf, want, k) == 0);
            isl_input_close(in);
        }
        free(body);
        free(file);
    }
    /* more than the peek window and the conversion buffer, gzip'd */
    if (big) {
        char *z = malloc(big_n + 1);

        memcpy(z, big, big_n);
        z[big_n] = '\0';
        body = encode(z, "UTF-16", &enc_n); /* with a mark, as iconv writes */
        free(z);
        T_CHECK(enc_n > 2 * big_n);
        write_gz(tmp(1), body, enc_n, 3);
        T_INTEQ(read_all(tmp(1), NULL, 7000, &out, &n, &err), 0);
        T_CHECK(n == big_n && out && memcmp(out, big, n) == 0);
        free(out);
        out = NULL;
        /* an odd byte at the end is an incomplete sequence */
        body = realloc(body, enc_n + 1);
        body[enc_n] = 'x';
        spit(tmp(1), body, enc_n + 1);
        T_CHECK(read_all(tmp(1), NULL, 7000, &out, &n, &err) == ISL_EENCODING);
        T_CHECK(strstr(err.msg, "UTF-16") != NULL);
        free(out);
        free(body);
    }
    unlink(tmp(0));
    unlink(tmp(1));
    free(big);
}

/* Close after a few bytes, right after open, after a peek: the inflater
 * is stopped while it is ahead (its ring is full). */
static void test_close_early(void)
{
    size_t n = 64u << 20;
    char *zeros = calloc(1, n);
    struct isl_input *in = NULL;
    struct isl_error err;
    const char *p;
    char buf[100];
    size_t got, len;

    if (!zeros)
        return;
    alarm(60); /* a hang fails the test (SIGALRM) instead of blocking */
    write_gz(tmp(0), zeros, n, 1);
    free(zeros);
    for (int k = 0; k < 3; k++) {
        isl_error_clear(&err);
        T_INTEQ(isl_input_open(&in, tmp(0), NULL, -1, &err), 0);
        if (!in)
            continue;
        if (k == 1)
            T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
        if (k == 2)
            T_INTEQ(isl_input_peek(in, &p, &len, &err), 0);
        usleep(20000); /* let it fill the ring */
        isl_input_close(in);
        in = NULL;
    }
    alarm(0);
    unlink(tmp(0));
}

struct writer {
    int fd;
    const char *p;
    size_t n;
    bool hold; /* write n bytes, then wait for release before closing */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool released;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    size_t at = 0;

    while (at < w->n) {
        size_t k = w->n - at < 3000 ? w->n - at : 3000;
        ssize_t m = write(w->fd, w->p + at, k);

        if (m <= 0)
            break;
        at += (size_t)m;
    }
    if (w->hold) {
        pthread_mutex_lock(&w->mu);
        while (!w->released)
            pthread_cond_wait(&w->cv, &w->mu);
        pthread_mutex_unlock(&w->mu);
    }
    close(w->fd);
    return NULL;
}

/* Make a pipe fd 0 with a writer thread feeding p[0..n); returns the old
 * stdin, to restore with end_stdin. */
static int start_stdin(struct writer *w, pthread_t *th, const char *p, size_t n,
                       bool hold)
{
    int fds[2], saved = dup(0);

    signal(SIGPIPE, SIG_IGN);
    T_CHECK(pipe(fds) == 0);
    dup2(fds[0], 0);
    close(fds[0]);
    w->fd = fds[1];
    w->p = p;
    w->n = n;
    w->hold = hold;
    w->released = false;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_create(th, NULL, writer_main, w);
    return saved;
}

/* Restore stdin (closing the pipe: a writer still writing gets EPIPE) and
 * let the writer finish. */
static void end_stdin(struct writer *w, pthread_t th, int saved)
{
    dup2(saved, 0);
    close(saved);
    pthread_mutex_lock(&w->mu);
    w->released = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static void test_stdin(void)
{
    size_t n = 2u << 20, zlen, len;
    char *text = make_text(n), *gz, *out;
    struct isl_input *in = NULL;
    struct isl_error err;
    struct writer w;
    pthread_t th;
    char buf[4096];
    size_t got;
    int saved;

    write_gz(tmp(0), text, n, 2);
    gz = slurp(tmp(0), &zlen);
    if (!gz)
        return;
    alarm(60); /* a hang fails the test (SIGALRM) instead of blocking */
    /* all of it, through a pipe written 3000 bytes at a time */
    saved = start_stdin(&w, &th, gz, zlen, false);
    T_INTEQ(read_all("-", NULL, 65536, &out, &len, &err), 0);
    T_CHECK(len == n && memcmp(out, text, n) == 0);
    free(out);
    end_stdin(&w, th, saved);

    /* less than the ring holds, then the writer waits without closing:
     * the inflater waits on the pipe, and close must not wait for it */
    saved = start_stdin(&w, &th, gz, zlen / 12, true);
    isl_error_clear(&err);
    T_INTEQ(isl_input_open(&in, "-", NULL, -1, &err), 0);
    if (in) {
        T_STREQ(isl_input_name(in), "<stdin>");
        T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
        T_INTEQ(got, sizeof(buf));
        T_CHECK(memcmp(buf, text, got) == 0);
        usleep(50000); /* the inflater is now waiting on the pipe */
        isl_input_close(in);
    }
    end_stdin(&w, th, saved);

    /* a first member of 300 KB, then the writer waits: all of it can be
     * read before the pipe delivers more (nothing is held back waiting
     * for a full buffer) */
    write_gz(tmp(1), text, 300000, 1);
    free(gz);
    gz = slurp(tmp(1), &zlen);
    if (!gz)
        return;
    saved = start_stdin(&w, &th, gz, zlen, true);
    isl_error_clear(&err);
    T_INTEQ(isl_input_open(&in, "-", NULL, -1, &err), 0);
    for (len = 0; in && len < 300000; len += got) {
        T_INTEQ(isl_input_read(in, buf, sizeof(buf), &got, &err), 0);
        T_CHECK(got > 0 && memcmp(buf, text + len, got) == 0);
        if (got == 0)
            break;
    }
    T_INTEQ(len, 300000);
    isl_input_close(in);
    end_stdin(&w, th, saved);
    alarm(0);
    unlink(tmp(0));
    unlink(tmp(1));
    free(gz);
    free(text);
}

/* Plain files are untouched by all this: same bytes, any read size. */
static void test_plain(void)
{
    size_t n = 1u << 20, len;
    char *text = make_text(n), *out;
    struct isl_error err;

    spit(tmp(0), text, n);
    T_INTEQ(read_all(tmp(0), NULL, 5000, &out, &len, &err), 0);
    T_CHECK(len == n && memcmp(out, text, n) == 0);
    free(out);
    unlink(tmp(0));
    free(text);
}

TEST_LIST = {
    {"gzip_equals_plain", test_gzip_equals_plain},
    {"truncated", test_truncated},
    {"corrupt_and_garbage", test_corrupt_and_garbage},
    {"peek_bom_iconv", test_peek_bom_iconv},
    {"utf16_32_bom", test_utf16_32_bom},
    {"close_early", test_close_early},
    {"stdin", test_stdin},
    {"plain", test_plain},
    {NULL, NULL},
};
