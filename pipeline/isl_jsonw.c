/*
 * isl_jsonw.c: escaping JSON writer (see isl_jsonw.h).
 *
 * Runs of bytes that need no escaping are copied with one memcpy; a table
 * marks the bytes that do (controls, quote, backslash). Bytes >= 0x80 are
 * copied as they are: values are valid UTF-8 by the time they get here.
 */
#include "isl_setup.h"
#include "isl_jsonw.h"
#include "isl_buf.h"
#include "isl_row.h"

#include <string.h>

static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
};

int isl_jsonw_string(struct isl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    int rc;

    /* worst case 6 bytes per input byte, plus quotes */
    if ((rc = isl_buf_reserve(b, n + 2)) < 0)
        return rc;
    b->data[b->len++] = '"';
    while (i < n) {
        run = i;
        while (i < n && !needs_escape[p[i]])
            i++;
        if (i > run && (rc = isl_buf_add(b, s + run, i - run)) < 0)
            return rc;
        if (i < n) {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t k = 2;

            switch (p[i]) {
            case '"':
                esc[1] = '"';
                break;
            case '\\':
                esc[1] = '\\';
                break;
            case '\n':
                esc[1] = 'n';
                break;
            case '\r':
                esc[1] = 'r';
                break;
            case '\t':
                esc[1] = 't';
                break;
            case '\b':
                esc[1] = 'b';
                break;
            case '\f':
                esc[1] = 'f';
                break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[p[i] >> 4];
                esc[5] = hex[p[i] & 15];
                k = 6;
            }
            if ((rc = isl_buf_add(b, esc, k)) < 0)
                return rc;
            i++;
        }
    }
    return isl_buf_addc(b, '"');
}

int isl_jsonw_row(struct isl_buf *b, const struct isl_row *row)
{
    int rc;

    if ((rc = isl_buf_addc(b, '{')) < 0)
        return rc;
    for (size_t i = 0; i < row->n; i++) {
        const struct isl_field *f = &row->fields[i];

        if (i && (rc = isl_buf_addc(b, ',')) < 0)
            return rc;
        if ((rc = isl_jsonw_string(b, f->name, strlen(f->name))) < 0 ||
            (rc = isl_buf_addc(b, ':')) < 0 ||
            (rc = isl_jsonw_string(b, f->value, f->len)) < 0)
            return rc;
    }
    return isl_buf_addc(b, '}');
}
