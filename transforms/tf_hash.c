/*
 * tf_hash.c: open-addressing string hash map (see tf_hash.h). A
 * word-at-a-time hash with a murmur finaliser, power-of-two slot counts,
 * linear probing, no deletion (stages only ever add keys during one run).
 * Key copies are carved from large chunks (keys are never freed one by
 * one), so a put of a new key costs no malloc and tf_hash_free no per-key
 * free. Nothing depends on the slot order, so the hash is free to change.
 */
#include "isl_setup.h"
#include "tf_hash.h"
#include "isl_error.h"
#include "tf_util.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN ((size_t)64 << 10)

struct tf_hash_chunk {
    struct tf_hash_chunk *next;
    size_t used, size;
    char data[];
};

static uint64_t hash_bytes(const char *s, size_t len)
{
    return tf_hash64(s, len);
}

void tf_hash_init(struct tf_hash *h)
{
    h->slots = NULL;
    h->cap = 0;
    h->n = 0;
    h->ents = NULL;
    h->aents = 0;
    h->chunks = NULL;
}

void tf_hash_free(struct tf_hash *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->ents[i].val);
    free(h->slots);
    free(h->ents);
    while (h->chunks) {
        struct tf_hash_chunk *next = h->chunks->next;

        free(h->chunks);
        h->chunks = next;
    }
    tf_hash_init(h);
}

/* Room for a key copy of n bytes (plus its NUL), or NULL. */
static char *key_alloc(struct tf_hash *h, size_t n)
{
    struct tf_hash_chunk *c = h->chunks;

    if (n + 1 < n)
        return NULL;
    if (!c || c->size - c->used < n + 1) {
        size_t size = n + 1 > CHUNK_MIN / 4 ? n + 1 : CHUNK_MIN;

        if (size > SIZE_MAX - sizeof(*c))
            return NULL;
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        if (h->chunks && size != CHUNK_MIN) {
            /* a big key gets its own chunk behind the current one */
            c->next = h->chunks->next;
            h->chunks->next = c;
        } else {
            c->next = h->chunks;
            h->chunks = c;
        }
    }
    c->used += n + 1;
    return c->data + c->used - (n + 1);
}

/*
 * A slot is 0 (free) or the high 32 bits of the key's hash over the
 * entry's index + 1, so probing touches 8 bytes per slot and reads an
 * entry only when the tags agree. Returns the slot holding key or the free
 * slot where it belongs.
 */
static uint64_t *probe(const struct tf_hash *h, const char *key, size_t len,
                       uint64_t hv)
{
    size_t mask = h->cap - 1;
    uint32_t tag = (uint32_t)(hv >> 32);

    for (size_t i = (size_t)hv & mask;; i = (i + 1) & mask) {
        uint64_t *sl = &h->slots[i];
        const struct tf_hash_entry *e;

        if (!*sl)
            return sl;
        if ((uint32_t)(*sl >> 32) != tag)
            continue;
        e = &h->ents[(uint32_t)*sl - 1];
        if (e->hash == hv && e->len == len && memcmp(e->key, key, len) == 0)
            return sl;
    }
}

static int grow(struct tf_hash *h)
{
    size_t cap = h->cap ? h->cap * 2 : 16;
    uint64_t *slots = calloc(cap, sizeof(*slots));

    if (!slots)
        return ISL_ENOMEM;
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    for (size_t k = 0; k < h->n; k++) { /* keys are distinct: no compare */
        uint64_t hv = h->ents[k].hash;
        size_t mask = cap - 1, i = (size_t)hv & mask;

        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = ((hv >> 32) << 32) | (uint64_t)(k + 1);
    }
    return 0;
}

int tf_hash_put(struct tf_hash *h, const char *key, size_t len,
                struct tf_hash_entry **e)
{
    uint64_t hv = hash_bytes(key, len);
    struct tf_hash_entry *ent;
    uint64_t *slot;
    char *copy;

    if (h->cap) {
        slot = probe(h, key, len, hv);
        if (*slot) {
            *e = &h->ents[(uint32_t)*slot - 1];
            return 0;
        }
    }
    if (h->n >= UINT32_MAX - 1)
        return ISL_ENOMEM;
    if ((h->n + 1) * 4 > h->cap * 3 && grow(h) < 0)
        return ISL_ENOMEM;
    if (h->n == h->aents) {
        size_t a = h->aents ? h->aents * 2 : 16;
        struct tf_hash_entry *p = realloc(h->ents, a * sizeof(*p));

        if (!p)
            return ISL_ENOMEM;
        h->ents = p;
        h->aents = a;
    }
    copy = key_alloc(h, len);
    if (!copy)
        return ISL_ENOMEM;
    if (len)
        memcpy(copy, key, len);
    copy[len] = '\0';
    slot = probe(h, key, len, hv);
    ent = &h->ents[h->n];
    memset(ent, 0, sizeof(*ent));
    ent->key = copy;
    ent->len = len;
    ent->hash = hv;
    h->n++;
    *slot = ((hv >> 32) << 32) | (uint64_t)h->n;
    *e = ent;
    return 1;
}

struct tf_hash_entry *tf_hash_get(const struct tf_hash *h, const char *key,
                                  size_t len)
{
    uint64_t *slot;

    if (!h->cap)
        return NULL;
    slot = probe(h, key, len, hash_bytes(key, len));
    return *slot ? &h->ents[(uint32_t)*slot - 1] : NULL;
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
