/*
 * isl_sha256.c: SHA-256 of a file (see isl_sha256.h).
 */
#include "isl_setup.h"
#include "isl_sha256.h"
#include "isl_error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int isl_sha256_file(const char *path, char hex[65], uint64_t *size,
                    struct isl_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t bufsize = (size_t)1 << 20;
    char *buf = malloc(bufsize);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint64_t total = 0;
    ssize_t got = 0;
    int rc = 0;

    if (fd < 0) {
        rc = isl_error_set(err, ISL_EIO, "sha256", "cannot open %s: %s", path,
                           strerror(errno));
        goto out;
    }
    if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = isl_error_set(err, ISL_ENOMEM, "sha256", "out of memory");
        goto out;
    }
    while ((got = read(fd, buf, bufsize)) > 0) {
        EVP_DigestUpdate(ctx, buf, (size_t)got);
        total += (uint64_t)got;
    }
    if (got < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
        rc = isl_error_set(err, ISL_EIO, "sha256", "cannot read %s: %s", path,
                           strerror(errno));
        goto out;
    }
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
    if (size)
        *size = total;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}
