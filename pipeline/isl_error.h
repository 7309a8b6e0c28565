/*
 * isl_error.h: the error object every isload function reports through.
 *
 * Functions return 0 (or a positive "more" value) on success and a negative
 * ISL_E* code on failure; the detail goes into a caller-owned struct
 * isl_error passed explicitly (never a global "last error"). The error is
 * filled where the problem is detected and upper layers pass the code up
 * unchanged. Formatting follows libgit2: "where: what (file:line, field)".
 */
#ifndef ISL_ERROR_H
#define ISL_ERROR_H

#include "isl_setup.h"

enum isl_code {
    ISL_OK = 0,
    ISL_EOF = 1,       /* reader: no more rows (not an error) */
    ISL_EROW = -1,     /* one row is bad; the stream can go on */
    ISL_EPARSE = -2,   /* malformed input; the stream cannot go on */
    ISL_EIO = -3,      /* cannot open, read or write */
    ISL_ENOMEM = -4,   /* allocation failed */
    ISL_ECONFIG = -5,  /* bad option, feed definition or usage */
    ISL_ELIMIT = -6,   /* a configured size limit was exceeded */
    ISL_EENCODING = -7 /* invalid or unconvertible text encoding */
};

struct isl_error {
    int code;        /* one of enum isl_code */
    char where[32];  /* module that detected it: "in_csv", "gzip", ... */
    char file[256];  /* input name, "-" shown as "<stdin>" */
    uint64_t line;   /* 1-based line, 0 when not known */
    uint64_t record; /* 1-based record number (JSON arrays), 0 if none */
    uint64_t offset; /* byte offset in the file, UINT64_MAX if not known */
    char field[128]; /* field name or "" */
    char rule[32];   /* short machine name of the rule broken, or "" */
    char msg[512];   /* one line, lower case, no full stop */
};

/* Reset err to "no error". */
void isl_error_clear(struct isl_error *err);

/*
 * Fill err with code, module and a printf-style message; location fields
 * are left as they are (set them before or after). Returns code, so that
 * callers can write `return isl_error_set(err, ISL_EPARSE, "in_csv", ...)`.
 */
int isl_error_set(struct isl_error *err, int code, const char *where,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Set the location part of err. file may be NULL (left unchanged). */
void isl_error_at(struct isl_error *err, const char *file, uint64_t line,
                  uint64_t offset);

/*
 * Format err as one line: "file:line: field 'f': msg" into buf.
 * Returns buf.
 */
const char *isl_error_format(const struct isl_error *err, char *buf,
                             size_t size);

#endif
