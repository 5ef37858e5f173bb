/* Growable arrays of the plugins: the core's doubling rule (its own
 * mms_grow is internal to libmmscore), in this library's convention. */
#ifndef MMSC_GROW_H
#define MMSC_GROW_H

#include <stdint.h>
#include <stdlib.h>

#include "mmscore/error.h"

/* Makes room for `need` elements of `size` bytes in *p (capacity *cap): the
 * capacity starts at 64 and doubles.  MMS_OK, or MMS_ENOMEM (p and cap
 * unchanged) when the size overflows or memory runs out. */
static inline int mmsc_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return MMS_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    if (c > SIZE_MAX / size)
        return MMS_ENOMEM;
    void *np = realloc(*p, c * size);
    if (!np)
        return MMS_ENOMEM;
    *p = np;
    *cap = c;
    return MMS_OK;
}

#endif
