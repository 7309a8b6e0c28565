/*
 * isl_hll.h: a small HyperLogLog for distinct-value estimates in reports
 * (2^12 one-byte registers, about 1.6% standard error, linear counting
 * for small sets so that small exact-ish counts stay exact-ish).
 */
#ifndef ISL_HLL_H
#define ISL_HLL_H

#include "isl_setup.h"

#define ISL_HLL_BITS 12
#define ISL_HLL_REGS (1u << ISL_HLL_BITS)

struct isl_hll {
    uint8_t reg[ISL_HLL_REGS];
};

/* 64-bit hash of s[0..n) (tf_hash64 of transforms/tf_util.h). */
uint64_t isl_hash64(const void *s, size_t n);

/* Add a value by its isl_hash64. */
static inline void isl_hll_add_hash(struct isl_hll *h, uint64_t x)
{
    uint32_t idx = (uint32_t)(x >> (64 - ISL_HLL_BITS));
    uint64_t rest = x << ISL_HLL_BITS;
    /* 1 + leading zeros of the remaining 64 - BITS bits, at most
     * 65 - BITS (all zero) */
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1)
                        : (uint8_t)(64 - ISL_HLL_BITS + 1);

    /* no branch: which values raise a register is unpredictable */
    h->reg[idx] = rank > h->reg[idx] ? rank : h->reg[idx];
}

void isl_hll_add(struct isl_hll *h, const void *s, size_t n);

uint64_t isl_hll_estimate(const struct isl_hll *h);

#endif
