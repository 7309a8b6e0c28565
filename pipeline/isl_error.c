/*
 * isl_error.c: filling and formatting struct isl_error.
 */
#include "isl_setup.h"
#include "isl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void isl_error_clear(struct isl_error *err)
{
    memset(err, 0, sizeof(*err));
    err->offset = UINT64_MAX;
}

int isl_error_set(struct isl_error *err, int code, const char *where,
                  const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    snprintf(err->where, sizeof(err->where), "%s", where ? where : "");
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void isl_error_at(struct isl_error *err, const char *file, uint64_t line,
                  uint64_t offset)
{
    if (!err)
        return;
    if (file)
        snprintf(err->file, sizeof(err->file), "%s", file);
    err->line = line;
    err->offset = offset;
}

const char *isl_error_format(const struct isl_error *err, char *buf,
                             size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    if (err->file[0]) {
        if (err->line)
            n = (size_t)snprintf(buf, size, "%s:%llu: ", err->file,
                                 (unsigned long long)err->line);
        else if (err->record)
            n = (size_t)snprintf(buf, size, "%s: record %llu: ", err->file,
                                 (unsigned long long)err->record);
        else if (err->offset != UINT64_MAX)
            n = (size_t)snprintf(buf, size, "%s: byte %llu: ", err->file,
                                 (unsigned long long)err->offset);
        else
            n = (size_t)snprintf(buf, size, "%s: ", err->file);
    }
    if (n < size && err->field[0])
        n += (size_t)snprintf(buf + n, size - n, "field '%s': ", err->field);
    if (n < size)
        snprintf(buf + n, size - n, "%s", err->msg);
    return buf;
}
