/*
 * tf_hash.c: open-addressing string hash map (see tf_hash.h). FNV-1a
 * hashes, power-of-two slot counts, linear probing, no deletion (stages
 * only ever add keys during one run).
 */
#include "isl_setup.h"
#include "tf_hash.h"
#include "isl_error.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void tf_hash_init(struct tf_hash *h)
{
    h->slots = NULL;
    h->cap = 0;
    h->n = 0;
}

void tf_hash_free(struct tf_hash *h)
{
    for (size_t i = 0; i < h->cap; i++) {
        free(h->slots[i].key);
        free(h->slots[i].val);
    }
    free(h->slots);
    tf_hash_init(h);
}

static struct tf_hash_entry *probe(const struct tf_hash *h, const char *key,
                                   size_t len, uint64_t hv)
{
    size_t mask = h->cap - 1;

    for (size_t i = (size_t)hv & mask;; i = (i + 1) & mask) {
        struct tf_hash_entry *e = &h->slots[i];

        if (!e->key)
            return e;
        if (e->hash == hv && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
}

static int grow(struct tf_hash *h)
{
    size_t cap = h->cap ? h->cap * 2 : 16;
    struct tf_hash_entry *slots = calloc(cap, sizeof(*slots));
    struct tf_hash old = *h;

    if (!slots)
        return ISL_ENOMEM;
    h->slots = slots;
    h->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        struct tf_hash_entry *e = &old.slots[i];

        if (e->key)
            *probe(h, e->key, e->len, e->hash) = *e;
    }
    free(old.slots);
    return 0;
}

int tf_hash_put(struct tf_hash *h, const char *key, size_t len,
                struct tf_hash_entry **e)
{
    uint64_t hv = fnv1a(key, len);
    struct tf_hash_entry *slot;
    char *copy;

    if (h->cap) {
        slot = probe(h, key, len, hv);
        if (slot->key) {
            *e = slot;
            return 0;
        }
    }
    if ((h->n + 1) * 4 > h->cap * 3 && grow(h) < 0)
        return ISL_ENOMEM;
    copy = malloc(len + 1);
    if (!copy)
        return ISL_ENOMEM;
    if (len)
        memcpy(copy, key, len);
    copy[len] = '\0';
    slot = probe(h, key, len, hv);
    memset(slot, 0, sizeof(*slot));
    slot->key = copy;
    slot->len = len;
    slot->hash = hv;
    h->n++;
    *e = slot;
    return 1;
}

struct tf_hash_entry *tf_hash_get(const struct tf_hash *h, const char *key,
                                  size_t len)
{
    struct tf_hash_entry *e;

    if (!h->cap)
        return NULL;
    e = probe(h, key, len, fnv1a(key, len));
    return e->key ? e : NULL;
}

int tf_hash_set_val(struct tf_hash_entry *e, const char *val, size_t vlen)
{
    char *copy = malloc(vlen + 1);

    if (!copy)
        return ISL_ENOMEM;
    if (vlen)
        memcpy(copy, val, vlen);
    copy[vlen] = '\0';
    free(e->val);
    e->val = copy;
    e->vlen = vlen;
    return 0;
}
