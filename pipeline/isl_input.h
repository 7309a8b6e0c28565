/*
 * isl_input.h: a byte source for readers: a file or stdin, gzip'd or not,
 * in UTF-8 or converted to it.
 *
 *     fd --read()--> [inflate, when the first bytes are the gzip magic]
 *        --> [iconv to UTF-8, when an encoding other than UTF-8 is given]
 *        --> [UTF-8 byte order mark dropped] --> reader
 *
 * gzip is detected by its magic bytes, never by the name, so stdin works
 * too. Concatenated gzip members are read whole; a truncated or corrupt
 * stream is an error naming the compressed byte offset. The first bytes
 * can be looked at before reading (isl_input_peek) for format detection
 * and delimiter sniffing.
 */
#ifndef ISL_INPUT_H
#define ISL_INPUT_H

#include "isl_setup.h"

struct isl_error;
struct isl_input;

/* How many decoded bytes isl_input_peek can show. */
#define ISL_INPUT_PEEK_MAX (64 * 1024)

/*
 * Open path ("-" for stdin). encoding is NULL or "utf-8" for UTF-8 input
 * (no conversion; readers validate), or an iconv name such as
 * "windows-1252" or "iso-8859-1" to convert from. *out belongs to the
 * caller (isl_input_close). stop_fd is -1, or a descriptor that becomes
 * readable when reading should stop: a read that would wait on a pipe or
 * terminal then fails with "read stopped" instead (isl_prefetch.c closes
 * its reading thread this way). Returns 0, ISL_EIO or ISL_ECONFIG.
 */
int isl_input_open(struct isl_input **out, const char *path,
                   const char *encoding, int stop_fd, struct isl_error *err);

/*
 * Read up to cap decoded bytes into buf; *got is 0 at end of input.
 * Returns 0 or a negative ISL_E* code (err names file and byte offset).
 */
int isl_input_read(struct isl_input *in, char *buf, size_t cap, size_t *got,
                   struct isl_error *err);

/*
 * Show the first decoded bytes (up to ISL_INPUT_PEEK_MAX, fewer at end of
 * input) without consuming them. Valid only before the first read.
 */
int isl_input_peek(struct isl_input *in, const char **p, size_t *n,
                   struct isl_error *err);

/* Display name: the path, or "<stdin>". Borrowed from in. */
const char *isl_input_name(const struct isl_input *in);

/* True when the source is gzip-compressed. */
bool isl_input_is_gzip(const struct isl_input *in);

/* True when input is converted from another encoding. */
bool isl_input_is_converted(const struct isl_input *in);

/* Bytes consumed from the underlying file so far (compressed bytes). */
uint64_t isl_input_raw_offset(const struct isl_input *in);

/* Size of the underlying file, or 0 when unknown (pipes). */
uint64_t isl_input_raw_size(const struct isl_input *in);

/* Close and free; accepts NULL. */
void isl_input_close(struct isl_input *in);

#endif
