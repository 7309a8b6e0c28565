/*
 * isl_jsonl.c: crash-tolerant JSON Lines files, plain or gzip'd (see
 * isl_jsonl.h).
 *
 * Reading goes through zlib's gzread for both kinds (it passes plain
 * files through), so one loop splits lines. Writing keeps the file
 * descriptor so isl_jsonl_sync can fdatasync it; gzip'd files are one
 * stream, flushed with Z_SYNC_FLUSH so everything written so far can be
 * inflated even when the trailer never comes.
 */
#include "isl_setup.h"
#include "isl_jsonl.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define LINE_CAP ((size_t)256 << 20)

struct isl_jsonl {
    char *path;
    int fd;
    FILE *plain; /* one of these two */
    gzFile gz;
};

static bool is_gz(const char *path)
{
    size_t n = strlen(path);

    return n > 3 && strcmp(path + n - 3, ".gz") == 0;
}

int isl_jsonl_read(const char *path, isl_jsonl_line_fn fn, void *payload,
                   bool *torn, struct isl_error *err)
{
    gzFile f = gzopen(path, "rb");
    struct isl_buf line;
    char chunk[65536];
    uint64_t lineno = 0;
    int got, rc = 0, zerr = Z_OK;

    if (torn)
        *torn = false;
    if (!f)
        return isl_error_set(err, ISL_EIO, "jsonl", "cannot open %s: %s", path,
                             strerror(errno));
    isl_buf_init(&line, LINE_CAP);
    while (rc == 0 && (got = gzread(f, chunk, sizeof(chunk))) > 0) {
        const char *p = chunk, *end = chunk + got;

        while (rc == 0 && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

            if (isl_buf_add(&line, p, n) < 0) {
                rc = isl_error_set(err, ISL_EIO, "jsonl",
                                   "%s: line %llu is too long", path,
                                   (unsigned long long)lineno + 1);
                break;
            }
            p += n;
            if (!nl)
                break;
            p++;
            lineno++;
            if (line.len) /* blank lines are skipped */
                rc = fn(payload, line.data, line.len, lineno);
            isl_buf_reset(&line);
        }
    }
    if (rc == 0) {
        const char *msg = gzerror(f, &zerr);

        if (zerr == Z_BUF_ERROR || (zerr == Z_OK && line.len)) {
            /* a truncated gzip stream or a partial last line */
            if (torn)
                *torn = true;
        } else if (zerr != Z_OK && zerr != Z_STREAM_END) {
            rc = isl_error_set(err, ISL_EIO, "jsonl",
                               "%s is corrupt after line %llu: %s", path,
                               (unsigned long long)lineno, msg);
        }
    }
    isl_buf_free(&line);
    gzclose(f);
    return rc;
}

static int open_write(struct isl_jsonl **out, const char *path,
                      const char *tmp_of, struct isl_error *err)
{
    struct isl_jsonl *j = calloc(1, sizeof(*j));
    const char *name = tmp_of ? tmp_of : path;

    *out = NULL;
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return isl_error_set(err, ISL_ENOMEM, "jsonl", "out of memory");
    }
    j->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (j->fd >= 0) {
        if (is_gz(path))
            j->gz = gzdopen(j->fd, "wb6");
        else
            j->plain = fdopen(j->fd, "w");
    }
    if (j->fd < 0 || (!j->gz && !j->plain)) {
        int e = errno;

        if (j->fd >= 0)
            close(j->fd);
        free(j->path);
        free(j);
        return isl_error_set(err, ISL_EIO, "jsonl", "cannot write %s: %s", name,
                             strerror(e));
    }
    *out = j;
    return 0;
}

int isl_jsonl_create(struct isl_jsonl **out, const char *path,
                     struct isl_error *err)
{
    return open_write(out, path, NULL, err);
}

struct copy {
    struct isl_jsonl *to;
    isl_jsonl_line_fn fn;
    void *payload;
};

/* Copy a line to the new file, then show it to the caller (who may
 * parse it in place). */
static int copy_line(void *p, char *line, size_t len, uint64_t lineno)
{
    struct copy *c = p;

    if (isl_jsonl_write(c->to, line, len) < 0)
        return ISL_EIO;
    return c->fn ? c->fn(c->payload, line, len, lineno) : 0;
}

int isl_jsonl_reopen(struct isl_jsonl **out, const char *path,
                     isl_jsonl_line_fn fn, void *payload, struct isl_error *err)
{
    struct copy c = {NULL, fn, payload};
    char tmp[4096];
    int rc;

    *out = NULL;
    if (snprintf(tmp, sizeof(tmp), "%s.repair", path) >= (int)sizeof(tmp))
        return isl_error_set(err, ISL_EIO, "jsonl", "path too long: %s", path);
    rc = open_write(&c.to, path, tmp, err);
    if (rc == 0)
        rc = isl_jsonl_read(path, copy_line, &c, NULL, err);
    if (rc == 0 && (isl_jsonl_sync(c.to) < 0 || rename(tmp, path) != 0))
        rc = isl_error_set(err, ISL_EIO, "jsonl", "cannot replace %s: %s", path,
                           strerror(errno));
    if (rc < 0) {
        isl_jsonl_close(c.to, NULL);
        unlink(tmp);
        return rc;
    }
    *out = c.to;
    return 0;
}

int isl_jsonl_write(struct isl_jsonl *j, const char *line, size_t len)
{
    if (j->gz) {
        if ((len && gzwrite(j->gz, line, (unsigned)len) != (int)len) ||
            gzputc(j->gz, '\n') < 0)
            return ISL_EIO;
        return 0;
    }
    if (fwrite(line, 1, len, j->plain) != len || putc('\n', j->plain) == EOF)
        return ISL_EIO;
    return 0;
}

int isl_jsonl_flush(struct isl_jsonl *j)
{
    if (j->gz)
        return gzflush(j->gz, Z_SYNC_FLUSH) == Z_OK ? 0 : ISL_EIO;
    return fflush(j->plain) == 0 ? 0 : ISL_EIO;
}

int isl_jsonl_sync(struct isl_jsonl *j)
{
    if (isl_jsonl_flush(j) < 0 || fdatasync(j->fd) != 0)
        return ISL_EIO;
    return 0;
}

int isl_jsonl_close(struct isl_jsonl *j, struct isl_error *err)
{
    int rc = 0;

    if (!j)
        return 0;
    if (j->gz ? gzclose(j->gz) != Z_OK : fclose(j->plain) != 0)
        rc = ISL_EIO;
    if (rc < 0 && err)
        isl_error_set(err, rc, "jsonl", "cannot finish writing %s", j->path);
    free(j->path);
    free(j);
    return rc;
}

const char *isl_jsonl_path(const struct isl_jsonl *j)
{
    return j->path;
}
