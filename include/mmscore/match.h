/* mmscore — structure matching: pymatgen 2022.11.7's StructureMatcher in C.
 *
 * A static, position-independent library (libmmscore_match.a, symbol prefix
 * mms_match_) that scorer plugins link, in-tree and out-of-tree.  Flat C API
 * in the spglib style: lattice rows are a, b, c in Å, positions fractional,
 * one species entry per site.  docs/metrics-match.md states every step, the
 * pymatgen code it reproduces and the measured agreement.
 *
 * Use: reduce each structure once (mms_match_cell_new: Niggli reduction and
 * primitive-cell search, as the matcher does before every comparison), then
 * compare as many pairs as needed with mms_match_fit / mms_match_rms, or
 * partition a list with mms_match_group.  Cells are read-only after creation
 * and may be shared by several threads; the options struct too.  Argument
 * order matters as in pymatgen: fit(a, b) and fit(b, a) can differ. */
#ifndef MMSCORE_MATCH_H
#define MMSCORE_MATCH_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mms_match_comparator {
    MMS_MATCH_SPECIES = 0, /* SpeciesComparator: Fe2+ matches only Fe2+ */
    MMS_MATCH_ELEMENT = 1  /* ElementComparator: oxidation states ignored */
} mms_match_comparator;

typedef struct mms_match_options {
    double ltol;          /* fractional length tolerance (0.2) */
    double stol;          /* site tolerance, in (V / n_sites)^(1/3) units (0.3) */
    double angle_tol;     /* degrees (5) */
    int primitive_cell;   /* reduce to the primitive cell first (1) */
    int scale;            /* scale both cells to the same volume (1) */
    int attempt_supercell;/* match a supercell of the smaller cell (0) */
    int allow_subset;     /* match one structure onto a subset of the other (0) */
    mms_match_comparator comparator;
} mms_match_options;

/* Fill *o with a named preset: "default" (StructureMatcher()), "cdvae"
 * (ltol 0.3, stol 0.5, angle_tol 10), "supercell" (attempt_supercell,
 * ElementComparator).  MMS_EINVAL for another name. */
int mms_match_options_preset(mms_match_options *o, const char *name, mms_error *err);

/* A structure reduced as the matcher reduces it (opaque, immutable). */
typedef struct mms_match_cell mms_match_cell;

/* Reduce one ordered structure: n sites at frac positions with atomic
 * numbers z[]; oxidation may be NULL (no oxidation states) or give one per
 * site, with has_oxidation[] (NULL = all given) saying which are set.
 * Fails with MMS_EINVAL for n == 0 or a bad Z, MMS_ECOMPUTE for a
 * degenerate lattice (no volume, or too skewed to search).  *out is owned by
 * the caller (mms_match_cell_free).  Only the primitive_cell option of o
 * matters here: a cell made with one preset serves any preset with the same
 * primitive_cell. */
int mms_match_cell_new(mms_match_cell **out, const mms_match_options *o,
                       const double lattice[3][3], size_t n, const double positions[][3],
                       const int z[], const double oxidation[], const int has_oxidation[],
                       mms_error *err);
/* The same from a finalized mms_structure (oxidation states kept).  A
 * disordered site (several species or occupancy < 1) is refused with
 * MMS_EUNSUPPORTED naming the site: the matcher compares ordered sites. */
struct mms_structure;
int mms_match_cell_from_structure(mms_match_cell **out, const mms_match_options *o,
                                  const struct mms_structure *s, mms_error *err);
void mms_match_cell_free(mms_match_cell *c);
/* Sites and lattice of the reduced cell (borrowed, valid while c lives). */
size_t mms_match_cell_size(const mms_match_cell *c);
void mms_match_cell_lattice(const mms_match_cell *c, double lattice[3][3]);

/* StructureMatcher.fit(a, b): *fit = 1 when b maps onto a within the
 * tolerances.  Nonzero return only for invalid arguments/out of memory. */
int mms_match_fit(const mms_match_options *o, const mms_match_cell *a, const mms_match_cell *b,
                  int *fit, mms_error *err);

/* StructureMatcher.get_rms_dist(a, b): *found = 0 when pymatgen returns
 * None; else *rms and *max_dist (normalised by (V / n_sites)^(1/3)). */
int mms_match_rms(const mms_match_options *o, const mms_match_cell *a, const mms_match_cell *b,
                  int *found, double *rms, double *max_dist, mms_error *err);

/* StructureMatcher.group_structures(cells): group_of[i] gets the group of
 * cells[i], groups numbered 0, 1, ... by the position of their first member;
 * *n_groups the count.  n_threads > 1 compares the candidates of one
 * reference in parallel (same groups).  MMS_EINVAL with allow_subset. */
int mms_match_group(const mms_match_options *o, size_t n, const mms_match_cell *const *cells,
                    int n_threads, size_t *group_of, size_t *n_groups, mms_error *err);

#ifdef __cplusplus
}
#endif

#endif
