/*
 * tf_keyasc.h: the ascending key log of the key index: records of keys
 * that arrived in increasing order (memcmp, then length), which is every
 * key of an export sorted by its key. Adding one is an append to a
 * buffer: no hash table, no random memory access. Finding one is a binary
 * search of the first key of each block (in memory) and one read of that
 * block (8 KiB, from the page cache or the buffer).
 *
 * Blocks hold whole records (a record larger than a block gets a block of
 * its own). Memory: the block being filled, and one fence (the block's
 * file offset and first key) per block, about 0.3 bytes per key.
 */
#ifndef TF_KEYASC_H
#define TF_KEYASC_H

#include "isl_setup.h"
#include "tf_keyfile.h"

struct tf_keyasc {
    int fd;            /* -1 until the first block is written */
    char *buf;         /* the block being filled */
    size_t len, alloc; /* bytes in buf, allocated */
    uint64_t file;     /* bytes in the file (whole blocks) */
    uint64_t *start;   /* file offset of each block, nblocks + 1 entries */
    size_t *fence;     /* offset in keys of each block's first key */
    size_t nblocks;    /* blocks started (the last one is buf) */
    size_t ablocks;
    char *keys; /* first keys, each a u32 length and the bytes */
    size_t klen, kalloc;
    char *read; /* a block read back */
    size_t aread;
    uint64_t n; /* records */
};

/* An empty log (no file or allocation until the first add). */
void tf_keyasc_init(struct tf_keyasc *a);

/* Append key[0..len) (greater than every key added) with rec. 0 or < 0. */
int tf_keyasc_add(struct tf_keyasc *a, const char *key, size_t len,
                  const struct tf_keyrec *rec, struct isl_error *err);

/* The record of key[0..len) into *rec: 1 found, 0 absent, or < 0. */
int tf_keyasc_find(struct tf_keyasc *a, const char *key, size_t len,
                   struct tf_keyrec *rec, struct isl_error *err);

/* Close the file (removing it) and free everything; a is left empty. */
void tf_keyasc_free(struct tf_keyasc *a);

/* memcmp order, a shorter key first on a tie: <0, 0, >0. */
int tf_key_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
