/* Shortest distance between two different sites of a periodic cell.
 *
 * Two answers are computed together:
 *  - `pymatgen`: what pymatgen 2022.11.7's Structure.distance_matrix gives
 *    (LLL-reduce the lattice, wrap LLL-fractional coordinates into [0, 1),
 *    try the 27 images -1..1 of that basis, keep the smallest);
 *  - `exact`: the true minimum-image distance (every lattice translation
 *    that can be shorter is tried, see mindist.c for the bound).
 * They differ only when pymatgen's 27 images miss the shortest image of the
 * closest pair; the plugin reports pymatgen's number (parity with the
 * reference) and says so in a diagnostic.
 *
 * Pure arithmetic on caller-owned arrays: no allocation escapes, thread-safe. */
#ifndef MMSC_MINDIST_H
#define MMSC_MINDIST_H

#include <stddef.h>

#include "mmscore/error.h"

typedef struct mmsc_mindist {
    int found;             /* 0 if fewer than two sites (no pair) */
    double pymatgen;       /* min over pairs of pymatgen's 27-image distance, Å */
    double exact;          /* true minimum-image distance, Å */
    int exact_complete;    /* 0 if a pair's search was cut short (a cell so thin
                              that thousands of translations qualify): exact is
                              then only an upper bound */
    size_t i, j;           /* closest pair (exact), i < j */
    int image[3];          /* translation of site j, in the input lattice basis,
                              so that |cart(frac_j + image) - cart(frac_i)| = exact */
} mmsc_mindist;

/* Fill out for n sites at fractional positions frac (rows) in a lattice
 * whose rows are a, b, c (Å).  Bounded time: a cell list keeps it near
 * linear in n for ordinary densities.  Returns MMS_OK, or (out->found then
 * 0) MMS_ECOMPUTE when the lattice is singular, MMS_ENOMEM; no message: the
 * caller says what failed. */
int mmsc_mindist_compute(const double lattice[3][3], size_t n, const double (*frac)[3],
                        mmsc_mindist *out);

/* pymatgen's Lattice._calculate_lll (delta = 0.75) on rows a, b, c: writes
 * the reduced rows and the integer mapping (reduced = mapping * lattice). */
void mmsc_lll_reduce(const double lattice[3][3], double reduced[3][3], double mapping[3][3]);

#endif
