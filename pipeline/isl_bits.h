/*
 * isl_bits.h: a growable set of row numbers, one bit each. The run record
 * keeps which rows of a resumed run already have their outcome (and which
 * of those were errors, or are in the manifest) in these: a million rows
 * cost 125 KB.
 */
#ifndef ISL_BITS_H
#define ISL_BITS_H

#include "isl_setup.h"

struct isl_bits {
    uint64_t *w; /* words, bit i of word i / 64 */
    size_t nw;
};

/* Add n to the set. Returns 0 or ISL_ENOMEM. */
int isl_bits_set(struct isl_bits *b, uint64_t n);

static inline bool isl_bits_has(const struct isl_bits *b, uint64_t n)
{
    return n / 64 < b->nw && (b->w[n / 64] >> (n % 64) & 1);
}

/* Number of members. */
uint64_t isl_bits_count(const struct isl_bits *b);

void isl_bits_free(struct isl_bits *b);

#endif
