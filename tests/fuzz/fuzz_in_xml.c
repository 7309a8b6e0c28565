/*
 * fuzz_in_xml.c: libFuzzer target for the XML reader. The bytes become a
 * file that is read to the end (or to a fatal error) with small size caps,
 * once with the default record path (children of the root), once with a
 * wildcard path and a converting encoding, and once with the root as the
 * record, so that the path matching, cap, duplicate and error paths are
 * all hit. A row's byte offset, when known, must grow from row to row
 * and (when the input is not converted) point at a start tag whose lines
 * include the row's line.
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

/* How often s occurs in p[0..n). */
static size_t count(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s), c = 0;

    for (size_t i = 0; i + k <= n; i++)
        c += memcmp(p + i, s, k) == 0;
    return c;
}

/* Does the file start with a UTF-16 or UTF-32 byte order mark (which
 * the reader converts to UTF-8 from)? */
static bool utf_bom(const uint8_t *p, size_t n)
{
    return (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) ||
                       (p[0] == 0xFE && p[1] == 0xFF))) ||
           (n >= 4 && memcmp(p, "\0\0\xFE\xFF", 4) == 0);
}

/* Is there a start tag at off whose lines (from its '<' to its '>')
 * include line? */
static bool start_tag_at(const uint8_t *p, size_t n, uint64_t off,
                         uint64_t line)
{
    uint64_t first = 1, last;
    uint8_t quote = 0;
    size_t i;

    if (off + 1 >= n || p[off] != '<' || p[off + 1] == '/' ||
        p[off + 1] == '!' || p[off + 1] == '?')
        return false;
    for (i = 0; i < off; i++)
        first += p[i] == '\n';
    last = first;
    for (i = off; i < n; i++) {
        last += p[i] == '\n';
        if (quote)
            quote = p[i] == quote ? 0 : quote;
        else if (p[i] == '"' || p[i] == '\'')
            quote = p[i];
        else if (p[i] == '>')
            break;
    }
    return line >= first && line <= last;
}

static void read_all(const char *path, const struct isl_reader_opts *o,
                     const uint8_t *data, size_t size)
{
    struct isl_reader *r = NULL;
    const struct isl_row *row;
    struct isl_error err;
    /* offsets count the decoded stream: the file's bytes after a UTF-8
     * BOM, unless converted (asked for, or a UTF-16 or UTF-32 BOM) or
     * gzip'd */
    bool plain = !o->encoding &&
                 !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) &&
                 !utf_bom(data, size);
    size_t bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    /* and a whole ASCII document that declares no encoding but UTF-8 has
     * every offset */
    bool ascii = plain && count(data, size, "encoding") ==
                              count(data, size, "encoding=\"UTF-8\"");
    bool unknown = false;
    uint64_t prev = 0;
    bool first = true;
    int rc;

    for (size_t i = 0; ascii && i < size; i++)
        ascii = data[i] > 0 && data[i] < 0x80;
    isl_error_clear(&err);
    if (isl_reader_open(&r, path, o, &err) < 0)
        return;
    do {
        rc = isl_reader_next(r, &row, &err);
        if (rc != ISL_OK && rc != ISL_EROW)
            break;
        for (size_t i = 0; i < row->n; i++)
            if (strlen(row->fields[i].value) > row->fields[i].len ||
                row->fields[i].value[row->fields[i].len] != '\0')
                abort(); /* values are NUL-terminated at len */
        if (row->pos.offset == UINT64_MAX) {
            unknown = true;
            continue;
        }
        if (!first && row->pos.offset <= prev)
            abort(); /* offsets grow */
        if (plain && !start_tag_at(data + bom, size - bom, row->pos.offset,
                                   row->pos.line))
            abort(); /* an offset is the record's start tag */
        prev = row->pos.offset;
        first = false;
    } while (rc == ISL_OK || rc == ISL_EROW);
    if (rc == ISL_EOF && ascii && unknown)
        abort(); /* the offset lexer got lost in a well-formed document */
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
    read_all(path, &o, data, size);
    o.record_path = "/*/*/*";
    o.encoding = "windows-1252";
    read_all(path, &o, data, size);
    o.record_path = "/*";
    o.encoding = NULL;
    o.max_field = 0;
    o.max_record = 0;
    read_all(path, &o, data, size);
    unlink(path);
    return 0;
}
