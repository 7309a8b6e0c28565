/*
 * tf_keyfile.c: whole-buffer I/O for the key index's files (see
 * tf_keyfile.h).
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
