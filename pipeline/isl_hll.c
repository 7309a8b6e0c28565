/*
 * isl_hll.c: HyperLogLog distinct estimate (see isl_hll.h).
 */
#include "isl_setup.h"
#include "isl_hll.h"

#include <math.h>
#include <string.h>

uint64_t isl_hash64(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) { /* a word at a time, then the tail */
        uint64_t w;

        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

void isl_hll_add(struct isl_hll *h, const void *s, size_t n)
{
    uint64_t x = isl_hash64(s, n);
    uint32_t idx = (uint32_t)(x >> (64 - ISL_HLL_BITS));
    uint64_t rest = x << ISL_HLL_BITS;
    /* 1 + leading zeros of the remaining 64 - BITS bits, at most
     * 65 - BITS (all zero) */
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1)
                        : (uint8_t)(64 - ISL_HLL_BITS + 1);

    if (rank > h->reg[idx])
        h->reg[idx] = rank;
}

uint64_t isl_hll_estimate(const struct isl_hll *h)
{
    double m = ISL_HLL_REGS, sum = 0, est;
    unsigned zeros = 0;

    for (unsigned i = 0; i < ISL_HLL_REGS; i++) {
        sum += ldexp(1.0, -h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    est = (0.7213 / (1 + 1.079 / m)) * m * m / sum;
    if (est <= 2.5 * m && zeros)
        est = m * log(m / zeros);
    return (uint64_t)(est + 0.5);
}
