/*
 * fuzz_in_xml.c: libFuzzer target for the XML reader. The bytes become a
 * file that is read to the end (or to a fatal error) with small size caps,
 * once with the default record path (children of the root), once with a
 * wildcard path and a converting encoding, and once with the root as the
 * record, so that the path matching, cap, duplicate and error paths are
 * all hit.
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
    int rc;

    isl_error_clear(&err);
    if (isl_reader_open(&r, path, o, &err) < 0)
        return;
    do {
        rc = isl_reader_next(r, &row, &err);
        if (rc == ISL_OK || rc == ISL_EROW)
            for (size_t i = 0; i < row->n; i++)
                if (strlen(row->fields[i].value) > row->fields[i].len ||
                    row->fields[i].value[row->fields[i].len] != '\0')
                    abort(); /* values are NUL-terminated at len */
    } while (rc == ISL_OK || rc == ISL_EROW);
    isl_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_in_xml_XXXXXX";
    int fd = mkstemp(path);
    struct isl_reader_opts o = {
        .format = ISL_FMT_XML, .max_field = 64, .max_record = 256};

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    read_all(path, &o);
    o.record_path = "/*/*/*";
    o.encoding = "windows-1252";
    read_all(path, &o);
    o.record_path = "/*";
    o.encoding = NULL;
    o.max_field = 0;
    o.max_record = 0;
    read_all(path, &o);
    unlink(path);
    return 0;
}
