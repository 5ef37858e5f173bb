/* Growable arrays of the core: one doubling rule for every list that grows
 * one entry at a time. */
#ifndef MMSCORE_GROW_INTERNAL_H
#define MMSCORE_GROW_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>

/* Makes room for `need` elements of `size` bytes in *p (capacity *cap):
 * the capacity starts at `first` and doubles.  Returns 1, or 0 (p and cap
 * unchanged) when the size overflows or memory runs out. */
static inline int mms_grow(void **p, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return 1;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    if (c > SIZE_MAX / size)
        return 0;
    void *np = realloc(*p, c * size);
    if (!np)
        return 0;
    *p = np;
    *cap = c;
    return 1;
}

#endif
