/*
 * tf_keyfile.c: temporary files and whole-buffer I/O for the key index
 * (see tf_keyfile.h).
 */
#include "isl_setup.h"
#include "tf_keyfile.h"
#include "isl_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tf_tmpfile_fd(struct isl_error *err)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    if (!dir || !dir[0])
        dir = "/tmp";
    if (snprintf(path, sizeof(path), "%s/isload-XXXXXX", dir) >=
        (int)sizeof(path))
        return isl_error_set(err, ISL_EIO, "unique", "TMPDIR is too long");
    fd = mkstemp(path);
    if (fd < 0)
        return isl_error_set(err, ISL_EIO, "unique",
                             "cannot create a temporary file in %s: %s", dir,
                             strerror(errno));
    unlink(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

long long tf_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (long long)got;
}

int tf_pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
    size_t put = 0;

    while (put < n) {
        ssize_t k =
            pwrite(fd, (const char *)buf + put, n - put, (off_t)(off + put));

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        put += (size_t)k;
    }
    return 0;
}
