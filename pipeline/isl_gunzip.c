/*
 * isl_gunzip.c: gzip decoding in a second thread (see isl_gunzip.h).
 *
 *     inflater thread:  read(fd) -> raw[] -> inflate -> slot[tail]
 *     reader thread:    isl_gunzip_read copies out of slot[head]
 *
 * NSLOTS slots of SLOT_SIZE bytes sit between the two, so memory is
 * bounded and the inflater works at most NSLOTS - 1 slots ahead. A slot
 * belongs to the inflater until it is counted as filled, then to the
 * reader until it is released; count and head change under mu only, and
 * each side sleeps on a condition variable when it has to wait (filled:
 * the reader waits for data; freed: the inflater waits for room). A slot
 * is handed over full, at the end, or when the next read of a pipe would
 * wait: so a regular file is cut into the same chunks whatever the
 * timing, and what a slow pipe delivered is not held back.
 *
 * The inflater stops at the end of the stream or at the first error; the
 * error, worded and located as before the thread existed (compressed byte
 * offset of the failure), reaches the reader after the bytes decoded
 * before it. isl_gunzip_close sets stop and writes a byte to a wake pipe:
 * the inflater polls that pipe with fd before every read, so it also
 * stops while waiting on a pipe that never delivers; then it is joined.
 */
#include "isl_setup.h"
#include "isl_gunzip.h"
#include "isl_error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define NSLOTS 4
#define SLOT_SIZE (128 * 1024)

struct slot {
    char *data;
    size_t len;
    uint64_t raw_off; /* compressed bytes consumed when it was filled */
};

struct isl_gunzip {
    /* the inflater's (set up before the thread starts) */
    int fd;
    const char *name;
    unsigned char *raw;
    size_t raw_len;
    uint64_t raw_off; /* bytes read from fd */
    bool raw_eof;
    z_stream zs;
    bool z_ready;
    bool z_in_member; /* inside a gzip member (EOF now = truncated) */
    int wake[2];      /* close writes to wake[1]; the inflater polls wake[0] */
    int stop_fd;      /* the caller's stop descriptor, or -1 */

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    struct slot slots[NSLOTS];
    unsigned head, count; /* filled slots: head .. head + count - 1 */
    bool done;            /* the inflater has finished */
    bool stop;            /* close asks it to */
    int rc;               /* how it finished: 0 (end of stream) or ISL_E* */
    struct isl_error err;

    /* the reader's */
    bool started;
    pthread_t thread;
    struct slot *cur; /* slot being read, or NULL */
    size_t cur_pos;
    uint64_t raw_off_read;
};

static int io_error(struct isl_gunzip *g, struct isl_error *err,
                    const char *what)
{
    isl_error_set(err, ISL_EIO, "input", "%s: %s", what, strerror(errno));
    isl_error_at(err, g->name, 0, g->raw_off);
    return ISL_EIO;
}

/* Refill raw[] from fd, waiting in poll() so that close can wake us.
 * Sets raw_eof at the end of the file. */
static int raw_fill(struct isl_gunzip *g, struct isl_error *err)
{
    struct pollfd p[3] = {{.fd = g->fd, .events = POLLIN},
                          {.fd = g->wake[0], .events = POLLIN},
                          {.fd = g->stop_fd, .events = POLLIN}};
    ssize_t n;

    while (poll(p, g->stop_fd >= 0 ? 3 : 2, -1) < 0)
        if (errno != EINTR)
            return io_error(g, err, "poll failed");
    if (p[1].revents || p[2].revents) {
        errno = ECANCELED;
        return io_error(g, err, "read stopped");
    }
    do {
        n = read(g->fd, g->raw, ISL_GUNZIP_RAW_SIZE);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return io_error(g, err, "read failed");
    g->raw_len = (size_t)n;
    g->raw_off += (uint64_t)n;
    if (n == 0)
        g->raw_eof = true;
    return 0;
}

/* Would a read of fd return at once? Always for a regular file. */
static bool readable_now(struct isl_gunzip *g)
{
    struct pollfd p = {.fd = g->fd, .events = POLLIN};

    return poll(&p, 1, 0) != 0;
}

static int gzip_error(struct isl_gunzip *g, struct isl_error *err,
                      const char *what)
{
    uint64_t at = g->raw_off - g->zs.avail_in;

    isl_error_set(err, ISL_EPARSE, "gzip", "%s at compressed byte %llu%s%s",
                  what, (unsigned long long)at, g->zs.msg ? ": " : "",
                  g->zs.msg ? g->zs.msg : "");
    isl_error_at(err, g->name, 0, UINT64_MAX); /* the message has it */
    return ISL_EPARSE;
}

/* Inflate into buf (inflater thread); *got is 0 at the end of the last
 * member. */
static int inflate_some(struct isl_gunzip *g, char *buf, size_t cap,
                        size_t *got, struct isl_error *err)
{
    *got = 0;
    while (*got == 0) {
        int zr;

        if (g->zs.avail_in == 0) {
            int rc;

            if (g->raw_eof)
                break;
            if ((rc = raw_fill(g, err)) < 0)
                return rc;
            if (g->raw_eof)
                break;
            g->zs.next_in = g->raw;
            g->zs.avail_in = (uInt)g->raw_len;
        }
        g->zs.next_out = (Bytef *)buf;
        g->zs.avail_out = (uInt)cap;
        zr = inflate(&g->zs, Z_NO_FLUSH);
        *got = cap - g->zs.avail_out;
        if (zr == Z_OK && (*got > 0 || g->zs.avail_in == 0))
            g->z_in_member = true;
        if (zr == Z_STREAM_END) {
            g->z_in_member = false;
            if (inflateReset(&g->zs) != Z_OK)
                return gzip_error(g, err, "cannot restart inflate");
            continue;
        }
        if (zr == Z_BUF_ERROR)
            continue; /* needs more input */
        if (zr == Z_MEM_ERROR)
            return isl_error_set(err, ISL_ENOMEM, "gzip", "out of memory");
        if (zr != Z_OK)
            return gzip_error(g, err, "corrupt gzip stream");
    }
    if (*got == 0 && g->z_in_member) {
        isl_error_set(err, ISL_EPARSE, "gzip",
                      "truncated gzip stream: input ends at compressed byte "
                      "%llu inside a gzip member",
                      (unsigned long long)g->raw_off);
        isl_error_at(err, g->name, 0, UINT64_MAX);
        return ISL_EPARSE;
    }
    return 0;
}

static void *inflater(void *arg)
{
    struct isl_gunzip *g = arg;
    struct isl_error err;
    bool end = false;
    int rc = 0;

    isl_error_clear(&err);
    while (!end) {
        struct slot *s;
        size_t len = 0;

        pthread_mutex_lock(&g->mu);
        while (g->count == NSLOTS && !g->stop)
            pthread_cond_wait(&g->freed, &g->mu);
        if (g->stop) { /* nobody reads any more */
            pthread_mutex_unlock(&g->mu);
            break;
        }
        s = &g->slots[(g->head + g->count) % NSLOTS];
        pthread_mutex_unlock(&g->mu);
        while (!end && len < SLOT_SIZE) {
            size_t got;

            if (len && !g->zs.avail_in && !g->raw_eof && !readable_now(g))
                break; /* hand over what there is, not wait on a pipe */
            rc = inflate_some(g, s->data + len, SLOT_SIZE - len, &got, &err);
            end = rc < 0 || got == 0;
            len += got;
        }
        pthread_mutex_lock(&g->mu);
        s->len = len;
        s->raw_off = g->raw_off - g->zs.avail_in;
        if (len)
            g->count++;
        if (end) {
            g->done = true;
            g->rc = rc;
            g->err = err;
        }
        pthread_cond_signal(&g->filled);
        pthread_mutex_unlock(&g->mu);
    }
    return NULL;
}

int isl_gunzip_open(struct isl_gunzip **out, int fd, const char *name,
                    unsigned char *raw, size_t raw_len, int stop_fd,
                    struct isl_error *err)
{
    struct isl_gunzip *g = calloc(1, sizeof(*g));
    int rc = ISL_ENOMEM;

    *out = NULL;
    if (!g) {
        free(raw);
        return isl_error_set(err, ISL_ENOMEM, "gzip", "out of memory");
    }
    g->fd = fd;
    g->name = name;
    g->raw = raw;
    g->raw_len = raw_len;
    g->raw_off = raw_len;
    g->wake[0] = g->wake[1] = -1;
    g->stop_fd = stop_fd;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->filled, NULL);
    pthread_cond_init(&g->freed, NULL);
    for (size_t i = 0; i < NSLOTS; i++)
        if (!(g->slots[i].data = malloc(SLOT_SIZE)))
            goto fail;
    if (inflateInit2(&g->zs, 15 + 16) != Z_OK)
        goto fail;
    g->z_ready = true;
    g->zs.next_in = g->raw;
    g->zs.avail_in = (uInt)raw_len;
    g->z_in_member = true;
    if (pipe(g->wake) < 0) {
        rc = ISL_EIO;
        goto fail;
    }
    fcntl(g->wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(g->wake[1], F_SETFD, FD_CLOEXEC);
    if ((errno = pthread_create(&g->thread, NULL, inflater, g)) != 0) {
        rc = ISL_EIO;
        goto fail;
    }
    g->started = true;
    *out = g;
    return 0;
fail:
    if (rc == ISL_ENOMEM)
        isl_error_set(err, ISL_ENOMEM, "gzip", "out of memory");
    else
        isl_error_set(err, ISL_EIO, "gzip", "cannot start the inflater: %s",
                      strerror(errno));
    isl_gunzip_close(g);
    return rc;
}

int isl_gunzip_read(struct isl_gunzip *g, char *buf, size_t cap, size_t *got,
                    struct isl_error *err)
{
    int rc = 0;
    size_t n;

    *got = 0;
    if (!g->cur || g->cur_pos == g->cur->len) {
        pthread_mutex_lock(&g->mu);
        if (g->cur) { /* release the slot just read */
            g->cur = NULL;
            g->head = (g->head + 1) % NSLOTS;
            g->count--;
            pthread_cond_signal(&g->freed);
        }
        while (!g->count && !g->done)
            pthread_cond_wait(&g->filled, &g->mu);
        if (g->count) {
            g->cur = &g->slots[g->head];
            g->cur_pos = 0;
            g->raw_off_read = g->cur->raw_off;
        } else if ((rc = g->rc) < 0) {
            *err = g->err;
        }
        pthread_mutex_unlock(&g->mu);
        if (!g->cur)
            return rc;
    }
    n = g->cur->len - g->cur_pos;
    if (n > cap)
        n = cap;
    memcpy(buf, g->cur->data + g->cur_pos, n);
    g->cur_pos += n;
    *got = n;
    return 0;
}

uint64_t isl_gunzip_raw_offset(const struct isl_gunzip *g)
{
    return g->raw_off_read;
}

void isl_gunzip_close(struct isl_gunzip *g)
{
    if (!g)
        return;
    if (g->started) {
        pthread_mutex_lock(&g->mu);
        g->stop = true;
        pthread_cond_signal(&g->freed);
        pthread_mutex_unlock(&g->mu);
        while (write(g->wake[1], "", 1) < 0 && errno == EINTR)
            ;
        pthread_join(g->thread, NULL);
    }
    if (g->z_ready)
        inflateEnd(&g->zs);
    for (int i = 0; i < 2; i++)
        if (g->wake[i] >= 0)
            close(g->wake[i]);
    for (size_t i = 0; i < NSLOTS; i++)
        free(g->slots[i].data);
    pthread_cond_destroy(&g->freed);
    pthread_cond_destroy(&g->filled);
    pthread_mutex_destroy(&g->mu);
    free(g->raw);
    free(g);
}
