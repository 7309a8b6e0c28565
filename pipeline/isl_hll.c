/*
 * isl_hll.c: HyperLogLog distinct estimate (see isl_hll.h).
 */
#include "isl_setup.h"
#include "isl_hll.h"
#include "tf_util.h"

#include <math.h>
#include <string.h>

uint64_t isl_hash64(const void *s, size_t n)
{
    return tf_hash64(s, n);
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
