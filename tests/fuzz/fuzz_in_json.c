/*
 * fuzz_in_json.c: libFuzzer target for the JSON and NDJSON readers. The
 * bytes become a file that is read to the end (or to a fatal error) as a
 * JSON document and as NDJSON, with small size caps so that the window
 * growth, restart and skip paths are hit, with and without flatten, and
 * once with a records path so that the envelope walk is too.
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_reader.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const char *path, const struct isl_reader_opts *o)
{
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;
    size_t sum = 0;
    int rc;

    isl_error_clear(&err);
    if (isl_reader_open(&r, path, o, &err) < 0)
        return;
    do {
        rc = isl_reader_next(r, &row, &err);
        if (rc == ISL_OK || rc == ISL_EROW) {
            /* touch every byte the row points to */
            for (size_t i = 0; i < row->n; i++) {
                sum += strlen(row->fields[i].name);
                if (row->fields[i].value[row->fields[i].len] != '\0')
                    abort();
                for (size_t k = 0; k < row->fields[i].len; k++)
                    sum += (unsigned char)row->fields[i].value[k];
            }
        }
    } while (rc == ISL_OK || rc == ISL_EROW);
    if (sum == 1) /* keeps the reads */
        fputc(' ', stderr);
    isl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_in_json_XXXXXX";
    int fd = mkstemp(path);
    struct isl_reader_opts o = {
        .format = ISL_FMT_JSON, .max_field = 64, .max_record = 256};

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    read_all(path, &o);
    o.flatten = true;
    o.records_path = "a.b";
    read_all(path, &o);
    o.format = ISL_FMT_NDJSON;
    o.records_path = NULL;
    read_all(path, &o);
    o.flatten = false;
    o.max_field = 0;
    o.max_record = 0;
    read_all(path, &o);
    unlink(path);
    return 0;
}
