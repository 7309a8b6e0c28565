/*
 * isl_gunzip.h: gzip decoding of a file descriptor in a second thread, for
 * isl_input. The inflater thread reads and inflates ahead into a small
 * ring of buffers while the reader parses, so the two add up to the
 * slower of them instead of their sum (see isl_gunzip.c).
 */
#ifndef ISL_GUNZIP_H
#define ISL_GUNZIP_H

#include "isl_setup.h"

struct isl_error;
struct isl_gunzip;

/*
 * Start decoding fd. raw[0..raw_len) are all the bytes read from fd so
 * far, the start of the stream (error offsets count from there); raw must
 * have ISL_GUNZIP_RAW_SIZE bytes and is taken over (freed by
 * isl_gunzip_close, or here on failure). name is
 * borrowed for error messages and must outlive the decoder; fd stays
 * the caller's but must stay open until isl_gunzip_close. stop_fd is -1
 * or a descriptor that becomes readable when reading should stop: the
 * inflater then ends with "read stopped" instead of waiting on fd (see
 * isl_prefetch.c). Returns 0 or ISL_ENOMEM / ISL_EIO.
 */
#define ISL_GUNZIP_RAW_SIZE (256 * 1024)
int isl_gunzip_open(struct isl_gunzip **out, int fd, const char *name,
                    unsigned char *raw, size_t raw_len, int stop_fd,
                    struct isl_error *err);

/*
 * Copy up to cap decompressed bytes into buf; *got is 0 at the end of the
 * stream. Concatenated members are read whole. A truncated or corrupt
 * stream, trailing garbage or a read error is returned (after all the
 * bytes decoded before it) as ISL_EPARSE / ISL_EIO with the compressed
 * byte offset in the message; it is returned again on later calls.
 */
int isl_gunzip_read(struct isl_gunzip *g, char *buf, size_t cap, size_t *got,
                    struct isl_error *err);

/* Compressed bytes behind the decompressed bytes handed out so far
 * (rounded up to the ring buffer being read), for progress. */
uint64_t isl_gunzip_raw_offset(const struct isl_gunzip *g);

/* Stop the thread (even one waiting on a pipe), join it and free g;
 * accepts NULL. */
void isl_gunzip_close(struct isl_gunzip *g);

#endif
