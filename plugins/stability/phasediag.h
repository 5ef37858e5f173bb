/* pymatgen 2022.11.7's PhaseDiagram for one chemical system of the hull
 * reference, and get_decomp_and_e_above_hull(allow_negative=True) on it.
 * A built diagram is read-only. */
#ifndef MMS_STABILITY_PHASEDIAG_H
#define MMS_STABILITY_PHASEDIAG_H

#include <stddef.h>

#include "hullref.h"

#define PD_MAX_DIM 16 /* elements in one system: bounds qhull's work */

typedef struct phase_diagram {
    int dim;
    int el[PD_MAX_DIM];        /* Z, in pymatgen's Element order */
    double ref_epa[PD_MAX_DIM];/* elemental reference energy per atom */
    size_t n_entries;          /* reference entries in the system */
    size_t nq;                 /* qhull entries (+ the extra point, not stored) */
    size_t *qentry;            /* hull_ref index of each qhull entry */
    double *qepa;              /* energy per atom */
    char **qformula;           /* reduced formula */
    unsigned char *stable;     /* a vertex of some kept facet */
    size_t nf;                 /* kept facets */
    int *facet;                /* nf x dim qhull-entry indices, qhull's vertex order */
    double *inv;               /* nf x dim x dim: inverse of [coords | 1] */
    double *pts;               /* (nq + 1) x dim hull points, kept when the facets were
                                  built without qhull (NULL otherwise): their order is not
                                  qhull's, which a query near a shared edge asks for */
} phase_diagram;

typedef struct pd_result {
    double e_above_hull, formation_energy_per_atom, hull_energy_per_atom;
    int n;                       /* decomposition terms */
    size_t entry[PD_MAX_DIM];    /* hull_ref indices */
    const char *formula[PD_MAX_DIM];
    double amount[PD_MAX_DIM];
    int equal_stable;            /* 1: the query equals a stable entry (e_above_hull 0) */
} pd_result;

/* Build the diagram of the entries whose elements are a subset of m.
 * MMS_ENOTFOUND when an element of m has no elemental entry; MMS_ECOMPUTE
 * when qhull fails or the system is too large. */
int pd_build(const hull_ref *r, const hull_mask *m, phase_diagram **out, mms_error *err);
void pd_free(phase_diagram *p);

/* A query: composition z/amount (n elements, Composition order, amounts
 * >= 1e-8), total energy in eV.  Its elements must be those of the
 * diagram.  `formula` is the query's reduced formula (used when it equals
 * a stable entry). */
int pd_query(const phase_diagram *p, const hull_ref *r, const int *z, const double *amount,
             size_t n, double energy, pd_result *res, mms_error *err);

#endif
