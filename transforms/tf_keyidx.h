/*
 * tf_keyidx.h: an exact index of byte-string keys whose resident memory
 * is bounded, whatever the number of keys (used by unique).
 *
 * Each key maps to the record of its newest occurrence (line, row id,
 * file number). Answers are exact: a 64-bit hash only finds candidates,
 * and every candidate is confirmed against the key bytes kept on disk.
 *
 * Layout (all temporary files are created in $TMPDIR, default /tmp, and
 * unlinked at once, so they go away on close, on error and on a crash):
 *   - a key log: an append-only file of (line, row id, file, key) records,
 *     written through a 256 KiB buffer;
 *   - a memory table of the newest keys: 16-byte (hash, log offset)
 *     entries, open addressing by the hash's top bits, 1 MiB;
 *   - sorted runs: when the table is full it is sorted (it is almost
 *     sorted already) and written to a file of its own; runs of equal
 *     size are merged, so there are at most log2(keys / 32768) + 1 of
 *     them. Each run keeps in memory the first hash of each 4 KiB page;
 *   - a filter over every hash added (4 MiB, four bits of a 64-bit word
 *     per key), so that a key never seen, the usual case, costs one
 *     memory read and no file access;
 *   - an ascending log (tf_keyasc.h) for keys greater than every key
 *     before them, which is every key of an export sorted by its key:
 *     such a key is new without a lookup and is appended there instead of
 *     the table; its filter bits are set in batches of 1024 whose cache
 *     misses overlap, so sorted input waits on no random memory access.
 * Files are read and written with pread/pwrite: the page cache holds
 * them, not the process. Resident memory is about 5.5 MiB plus the fences
 * (8 bytes per 256 keys in runs, a key per 8 KiB block of the ascending
 * log); a key that might be present costs one page read per run and one
 * block read of the ascending log.
 */
#ifndef TF_KEYIDX_H
#define TF_KEYIDX_H

#include "isl_setup.h"
#include "tf_keyfile.h"

struct isl_error;
struct tf_keyidx;

/* An empty index. 0, or ISL_ENOMEM / ISL_EIO with err filled. */
int tf_keyidx_open(struct tf_keyidx **out, struct isl_error *err);

/* The hash the index uses for key[0..len). */
uint64_t tf_keyidx_hash(const char *key, size_t len);

/*
 * Look key[0..len) up (hash from tf_keyidx_hash). When it is absent, add
 * rec as its record and return 1. When present, copy its newest record
 * to *old and return 0; with replace, rec then becomes the newest record.
 * ISL_EIO or ISL_ENOMEM (err filled) when a file or allocation fails.
 */
int tf_keyidx_put(struct tf_keyidx *ix, const char *key, size_t len,
                  uint64_t hash, const struct tf_keyrec *rec, bool replace,
                  struct tf_keyrec *old, struct isl_error *err);

/* The newest record of key into *rec: 1 found, 0 absent, or < 0. */
int tf_keyidx_find(struct tf_keyidx *ix, const char *key, size_t len,
                   uint64_t hash, struct tf_keyrec *rec, struct isl_error *err);

/* Number of distinct keys added. */
uint64_t tf_keyidx_count(const struct tf_keyidx *ix);

/* Close the files (which removes them) and free everything. NULL ok. */
void tf_keyidx_close(struct tf_keyidx *ix);

#endif
