/*
 * isl_row.c: helpers on struct isl_row (see isl_row.h).
 */
#include "isl_setup.h"
#include "isl_row.h"
#include "isl_error.h"

#include <stdlib.h>
#include <string.h>

const struct isl_field *isl_row_find(const struct isl_row *row,
                                     const char *name)
{
    for (size_t i = 0; i < row->n; i++)
        if (strcmp(row->fields[i].name, name) == 0)
            return &row->fields[i];
    return NULL;
}

int isl_row_copy(struct isl_row **out, const struct isl_row *src)
{
    size_t size = sizeof(struct isl_row) + src->n * sizeof(struct isl_field);
    size_t flen = src->pos.file ? strlen(src->pos.file) + 1 : 0;
    struct isl_row *row;
    char *p;

    for (size_t i = 0; i < src->n; i++)
        size += strlen(src->fields[i].name) + 1 + src->fields[i].len + 1;
    size += flen;
    row = malloc(size);
    if (!row)
        return ISL_ENOMEM;
    *row = *src;
    row->fields = (struct isl_field *)(row + 1);
    p = (char *)(row->fields + src->n);
    for (size_t i = 0; i < src->n; i++) {
        size_t nl = strlen(src->fields[i].name) + 1;
        memcpy(p, src->fields[i].name, nl);
        row->fields[i].name = p;
        p += nl;
        memcpy(p, src->fields[i].value, src->fields[i].len);
        p[src->fields[i].len] = '\0';
        row->fields[i].value = p;
        row->fields[i].len = src->fields[i].len;
        p += src->fields[i].len + 1;
    }
    if (flen) {
        memcpy(p, src->pos.file, flen);
        row->pos.file = p;
    }
    *out = row;
    return 0;
}
