/*
 * isl_reader.h: the one reader interface, and the stream of rows over
 * several inputs.
 *
 * A reader turns one input (file or stdin, see isl_input.h) into rows
 * (isl_row.h), one at a time, in constant memory. Every format implements
 * the same four calls (open, next, close, plus its option checks) through
 * struct isl_reader_type (isl_reader_int.h); callers only see this header.
 *
 * isl_reader_next returns:
 *   ISL_OK     *row is the next row
 *   ISL_EOF    no more rows
 *   ISL_EROW   this row is bad (err says where and why); *row holds its
 *              position and whatever fields could be read; call next again
 *   < 0        the input cannot be read further (err says where and why)
 */
#ifndef ISL_READER_H
#define ISL_READER_H

#include "isl_setup.h"

struct isl_error;
struct isl_row;
struct isl_reader;
struct isl_stream;

enum isl_format {
    ISL_FMT_AUTO = 0,
    ISL_FMT_CSV,
    ISL_FMT_XML,
    ISL_FMT_JSON,   /* a JSON document holding an array of records */
    ISL_FMT_NDJSON, /* one JSON object per line */
};

#define ISL_DEFAULT_MAX_FIELD ((size_t)16 * 1024 * 1024)
#define ISL_DEFAULT_MAX_RECORD ((size_t)64 * 1024 * 1024)

/* Reader options. Strings are borrowed; zero means "default/detect". */
struct isl_reader_opts {
    enum isl_format format;     /* ISL_FMT_AUTO: detect from content */
    char delimiter;             /* CSV: 0 sniffs , ; tab | */
    char quote;                 /* CSV: 0 means '"' */
    char escape;                /* CSV: 0 means quotes are doubled */
    bool no_header;             /* CSV: the first line is data */
    const char *const *columns; /* CSV: names to use (no_header) */
    size_t ncolumns;
    bool lenient;         /* CSV: pad short rows with empty values */
    const char *encoding; /* NULL/"utf-8" validates; else converts */
    const char
        *record_path; /* XML: "/unload/sys_user"; NULL = children of the root */
    const char *records_path; /* JSON: dotted path to the array of records */
    bool flatten;             /* JSON: nested objects become "a.b" fields */
    size_t max_field;         /* bytes; 0 = ISL_DEFAULT_MAX_FIELD */
    size_t max_record;        /* bytes; 0 = ISL_DEFAULT_MAX_RECORD */

    /* Internal, for tests only: no CLI option or feed key sets these. */
    bool csv_libcsv;   /* CSV: parse with libcsv (the reference) even
                          without an escape character */
    size_t read_chunk; /* CSV: bytes asked of the input per read, 1 up to
                          64 KiB (to test chunk boundaries); 0 = 64 KiB */
    int stop_fd;       /* > 0: readable when reading should stop (see
                          isl_input_open); set by isl_prefetch only */
};

/* "csv", "xml", ... or NULL. */
const char *isl_format_name(enum isl_format f);

/* Parse a format name; returns ISL_FMT_AUTO for "auto", -1 if unknown. */
int isl_format_parse(const char *name);

/*
 * Open one input. path "-" is stdin. *out belongs to the caller
 * (isl_reader_close). Returns 0 or < 0 with err filled.
 */
int isl_reader_open(struct isl_reader **out, const char *path,
                    const struct isl_reader_opts *opts, struct isl_error *err);

/* Next row; see the top of this file. *row is borrowed from r. */
int isl_reader_next(struct isl_reader *r, const struct isl_row **row,
                    struct isl_error *err);

/* The format this reader reads (after detection). */
enum isl_format isl_reader_format(const struct isl_reader *r);

/* The CSV delimiter in use (given or sniffed); 0 for other formats. */
char isl_reader_delimiter(const struct isl_reader *r);

/* Display name of the input ("<stdin>" for -). */
const char *isl_reader_name(const struct isl_reader *r);

/*
 * Column names known up front (the CSV header); 0 for formats whose
 * fields are only known row by row. *names is borrowed from r.
 */
size_t isl_reader_columns(const struct isl_reader *r,
                          const char *const **names);

/* Compressed bytes consumed and total size (0 if unknown), for progress. */
uint64_t isl_reader_bytes_read(const struct isl_reader *r);
uint64_t isl_reader_bytes_total(const struct isl_reader *r);

/* True when the input is gzip-compressed. */
bool isl_reader_is_gzip(const struct isl_reader *r);

/* Close and free; accepts NULL. */
void isl_reader_close(struct isl_reader *r);

/*
 * A stream reads several inputs one after another as one stream of rows.
 * paths and opts are borrowed and must outlive the stream. Each input is
 * opened when the previous one ends, so an unreadable second file is
 * reported when the stream reaches it.
 */
int isl_stream_open(struct isl_stream **out, const char *const *paths,
                    size_t npaths, const struct isl_reader_opts *opts,
                    struct isl_error *err);

/* Same contract as isl_reader_next, across all inputs. */
int isl_stream_next(struct isl_stream *s, const struct isl_row **row,
                    struct isl_error *err);

/* Call fn(arg) as each input ends (after its last row, while
 * isl_stream_reader still gives its reader). */
void isl_stream_on_end(struct isl_stream *s, void (*fn)(void *arg), void *arg);

/* The reader of the input being read now (NULL before the first row). */
struct isl_reader *isl_stream_reader(const struct isl_stream *s);

/* Which input that reader reads: 1 for the first path, 0 before any. */
size_t isl_stream_input(const struct isl_stream *s);

/* Total compressed bytes consumed across inputs so far, and total size. */
uint64_t isl_stream_bytes_read(const struct isl_stream *s);
uint64_t isl_stream_bytes_total(const struct isl_stream *s);

void isl_stream_close(struct isl_stream *s);

#endif
