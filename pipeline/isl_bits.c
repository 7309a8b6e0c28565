/*
 * isl_bits.c: a growable set of row numbers (see isl_bits.h).
 */
#include "isl_setup.h"
#include "isl_bits.h"
#include "isl_error.h"

#include <stdlib.h>
#include <string.h>

int isl_bits_set(struct isl_bits *b, uint64_t n)
{
    size_t need = (size_t)(n / 64) + 1;

    if (need > b->nw) {
        size_t nw = b->nw ? b->nw : 16;
        uint64_t *w;

        while (nw < need)
            nw *= 2;
        w = realloc(b->w, nw * sizeof(*w));
        if (!w)
            return ISL_ENOMEM;
        memset(w + b->nw, 0, (nw - b->nw) * sizeof(*w));
        b->w = w;
        b->nw = nw;
    }
    b->w[n / 64] |= (uint64_t)1 << (n % 64);
    return 0;
}

uint64_t isl_bits_count(const struct isl_bits *b)
{
    uint64_t c = 0;

    for (size_t i = 0; i < b->nw; i++)
        c += (uint64_t)__builtin_popcountll(b->w[i]);
    return c;
}

void isl_bits_free(struct isl_bits *b)
{
    free(b->w);
    b->w = NULL;
    b->nw = 0;
}
