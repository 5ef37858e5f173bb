/* Internal to libmmscore: what the structure model, tag store and readers
 * share without making it public API. */
#ifndef MMSCORE_READERS_INTERNAL_H
#define MMSCORE_READERS_INTERNAL_H

#include <stddef.h>

#include "mmscore/reader.h"
#include "mmscore/structure.h"

/* ---- tag store (tags.c); names case-insensitive, last write wins ---- */
mms_tags *mms_tags_new(void);
void mms_tags_free(mms_tags *t);
int mms_tags_set(mms_tags *t, const char *name, const char *value);
int mms_tags_set_loop(mms_tags *t, const char *name, size_t n, const char *const *values);
/* Slice forms for readers: name/value need no NUL.  loop_begin returns the
 * column's n value slots (arena memory) for the caller to fill with strings
 * from mms_tags_strndup; NULL on allocation failure. */
int mms_tags_set_n(mms_tags *t, const char *name, size_t nlen, const char *value, size_t vlen);
const char **mms_tags_loop_begin(mms_tags *t, const char *name, size_t nlen, size_t n);
const char *mms_tags_strndup(mms_tags *t, const char *s, size_t n);
/* *out is NULL when src is NULL. */
int mms_tags_copy(mms_tags **out, const mms_tags *src);

/* ---- structure.c ---- */

/* mms_lattice_from_parameters_capped is public (structure.h). */

/* CPython 3.11's list.sort on int items with a "less than" callback,
 * reproduced comparison for comparison, so that pymatgen's sorts under
 * non-transitive orders (NaN electronegativities) come out the same.
 * MMS_ENOMEM if the merge buffer cannot be allocated. */
typedef ptrdiff_t Py_ssize;
typedef int (*py_less)(const void *ctx, int a, int b);
int mms_py_sort(int *v, size_t n, py_less lt, const void *ctx);

/* Put the sites in the order pymatgen's CifParser leaves them: grouped by
 * composition in Composition order, then Structure.get_sorted_structure
 * (average electronegativity, then species string, under CPython's sort).
 * Formula strings depend on it where electronegativities are NaN. */
int mms_structure_sort_sites_pymatgen(mms_structure *s, mms_error *err);

/* Python's repr() of a float (shortest round-trip digits, Python's switch
 * to exponent notation) into buf; returns the length. n >= 32 is enough. */
size_t mms_py_float_repr(double x, char *buf, size_t n);

#endif
