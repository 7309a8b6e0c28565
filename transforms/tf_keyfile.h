/*
 * tf_keyfile.h: what the key index's files share: whole-buffer
 * pread/pwrite and the record format of the key logs (the files
 * themselves come from isl_tmpfile_fd).
 *
 * A record is a 24-byte head (line u64, row id u64, file u32, key length
 * u32, native byte order: the files never outlive the process) followed
 * by the key bytes.
 */
#ifndef TF_KEYFILE_H
#define TF_KEYFILE_H

#include "isl_setup.h"

#include <string.h>

struct isl_error;

/* What the index keeps per occurrence of a key. */
struct tf_keyrec {
    uint64_t line;   /* the row's line */
    uint64_t row_id; /* the caller's row number */
    uint32_t file;   /* the caller's file number */
};

#define TF_KEYREC_HEAD 24

static inline void tf_keyrec_put(char *p, const struct tf_keyrec *rec,
                                 uint32_t len)
{
    memcpy(p, &rec->line, 8);
    memcpy(p + 8, &rec->row_id, 8);
    memcpy(p + 16, &rec->file, 4);
    memcpy(p + 20, &len, 4);
}

/* The key length of the record at p; *rec its fields. */
static inline uint32_t tf_keyrec_get(const char *p, struct tf_keyrec *rec)
{
    uint32_t len;

    memcpy(&rec->line, p, 8);
    memcpy(&rec->row_id, p + 8, 8);
    memcpy(&rec->file, p + 16, 4);
    memcpy(&len, p + 20, 4);
    return len;
}

/* pread/pwrite of exactly n bytes (retrying short transfers and EINTR).
 * pread: returns the bytes read (< n only at end of file) or -1. */
long long tf_pread_full(int fd, void *buf, size_t n, uint64_t off);
int tf_pwrite_full(int fd, const void *buf, size_t n, uint64_t off);

#endif
