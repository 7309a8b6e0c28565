/*
 * tf_hash.h: a small open-addressing hash map from byte-string keys to a
 * number, a borrowed pointer and an owned string. Used by map (key ->
 * value), unique (key -> line or row id) and reference (set of keys).
 *
 * Keys are arbitrary bytes (NULs allowed) and are copied. Memory is one
 * slot array (load kept under 3/4, linear probing) plus one allocation
 * per key and per value, so it grows with the number of distinct keys.
 */
#ifndef TF_HASH_H
#define TF_HASH_H

#include "isl_setup.h"

struct tf_hash_entry {
    char *key;     /* owned copy, NUL-terminated; NULL marks a free slot */
    size_t len;    /* key length in bytes */
    uint64_t hash; /* FNV-1a of the key */
    uint64_t u;    /* caller's number (line, row id); 0 when inserted */
    uint64_t u2;   /* a second number for the caller */
    const void *p; /* caller's pointer, not owned; NULL when inserted */
    char *val;     /* owned string set by tf_hash_set_val, or NULL */
    size_t vlen;
};

struct tf_hash {
    struct tf_hash_entry *slots;
    size_t cap; /* number of slots, 0 or a power of two */
    size_t n;   /* keys stored */
};

/* An empty map (no allocation until the first put). */
void tf_hash_init(struct tf_hash *h);

/* Free every key, value and the slots; h is left empty and reusable. */
void tf_hash_free(struct tf_hash *h);

/*
 * Find or add key[0..len). *e points at the entry (valid until the next
 * put). Returns 1 when the key was added, 0 when it was there already, or
 * ISL_ENOMEM.
 */
int tf_hash_put(struct tf_hash *h, const char *key, size_t len,
                struct tf_hash_entry **e);

/* The entry for key[0..len), or NULL. */
struct tf_hash_entry *tf_hash_get(const struct tf_hash *h, const char *key,
                                  size_t len);

/* Replace e's value with a copy of val[0..vlen). 0 or ISL_ENOMEM. */
int tf_hash_set_val(struct tf_hash_entry *e, const char *val, size_t vlen);

#endif
