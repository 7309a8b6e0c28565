/*
 * isl_hll.c: HyperLogLog distinct estimate (see isl_hll.h).
 */
#include "isl_setup.h"
#include "isl_hll.h"

#include <math.h>
#include <string.h>

/* The n <= 8 bytes at p as one word (n >= 4: two overlapping 4-byte
 * reads; fewer: three single bytes), never reading outside p[0..n). */
static inline uint64_t load_small(const unsigned char *p, size_t n)
{
    if (n >= 4) {
        uint32_t a, b;

        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return (uint64_t)a << 32 | b;
    }
    if (n == 0)
        return 0;
    return (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
}

uint64_t isl_hash64(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 0xcbf29ce484222325ULL ^ (n * 0xff51afd7ed558ccdULL);

    /* a word at a time; the last 1..8 bytes as one word (the length is in
     * the seed, so the overlapping reads keep values apart) */
    for (; n > 8; n -= 8, p += 8) {
        uint64_t w;

        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    h = (h ^ load_small(p, n)) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

void isl_hll_add(struct isl_hll *h, const void *s, size_t n)
{
    isl_hll_add_hash(h, isl_hash64(s, n));
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
