/*
 * tf_hash.h: a small open-addressing hash map from byte-string keys to a
 * number, a borrowed pointer and an owned string. Used by map (key ->
 * value), unique (key -> line or row id) and reference (set of keys).
 *
 * Keys are arbitrary bytes (NULs allowed) and are copied. Memory is one
 * array of 8-byte slots (load kept under 3/4, linear probing), one dense
 * array of entries in insertion order, the key copies packed
 * into large chunks, and one allocation per value, so it grows with the
 * number of distinct keys. Key copies stay put until tf_hash_free.
 */
#ifndef TF_HASH_H
#define TF_HASH_H

#include "isl_setup.h"

struct tf_hash_entry {
    char *key;     /* copy, NUL-terminated, stable until tf_hash_free */
    size_t len;    /* key length in bytes */
    uint64_t hash; /* hash of the key */
    uint64_t u;    /* caller's number (line, row id); 0 when inserted */
    uint64_t u2;   /* a second number for the caller */
    const void *p; /* caller's pointer, not owned; NULL when inserted */
    char *val;     /* owned string set by tf_hash_set_val, or NULL */
    size_t vlen;
};

struct tf_hash_chunk;

struct tf_hash {
    uint64_t *slots; /* 0 = free, else hash tag << 32 | entry index + 1 */
    size_t cap;      /* number of slots, 0 or a power of two */
    size_t n;        /* keys stored */
    struct tf_hash_entry *ents;   /* the entries, in insertion order */
    size_t aents;                 /* entries allocated */
    struct tf_hash_chunk *chunks; /* key copies */
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
