/*
 * isl_tmpfile.c: unlinked temporary files in $TMPDIR (see isl_tmpfile.h).
 */
#include "isl_setup.h"
#include "isl_tmpfile.h"
#include "isl_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int isl_tmpfile_fd(const char *who, struct isl_error *err)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    if (!dir || !dir[0])
        dir = "/tmp";
    if (snprintf(path, sizeof(path), "%s/isload-XXXXXX", dir) >=
        (int)sizeof(path))
        return isl_error_set(err, ISL_EIO, who, "TMPDIR is too long");
    fd = mkstemp(path);
    if (fd < 0)
        return isl_error_set(err, ISL_EIO, who,
                             "cannot create a temporary file in %s: %s", dir,
                             strerror(errno));
    unlink(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

FILE *isl_tmpfile(const char *who, struct isl_error *err)
{
    int fd = isl_tmpfile_fd(who, err);
    FILE *f;

    if (fd < 0)
        return NULL;
    if (!(f = fdopen(fd, "w+b"))) {
        isl_error_set(err, ISL_EIO, who, "cannot open a temporary file: %s",
                      strerror(errno));
        close(fd);
    }
    return f;
}
