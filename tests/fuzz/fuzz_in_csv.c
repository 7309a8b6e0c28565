/*
 * fuzz_in_csv.c: libFuzzer target for the CSV reader. The bytes become a
 * file that is read to the end with small size caps, with and without an
 * escape character, so the sniffing, quoting and cap paths are all hit.
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const char *path, const struct isl_reader_opts *o)
{
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;
    int rc;

    isl_error_clear(&err);
    if (isl_reader_open(&r, path, o, &err) < 0)
        return;
    do {
        rc = isl_reader_next(r, &row, &err);
    } while (rc == 0 || rc == ISL_EROW);
    isl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_in_csv_XXXXXX";
    int fd = mkstemp(path);
    struct isl_reader_opts o = {
        .format = ISL_FMT_CSV, .max_field = 64, .max_record = 256};

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    read_all(path, &o);
    o.escape = '\\';
    o.lenient = true;
    o.encoding = "windows-1252";
    read_all(path, &o);
    unlink(path);
    return 0;
}
