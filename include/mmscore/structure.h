/* mmscore — the structure model every plugin reads and no plugin re-parses.
 *
 * Plain arrays in the spglib spirit: lattice rows are the a, b, c vectors in
 * Å (pymatgen's convention), positions are fractional.  A structure is built
 * with mms_structure_create + mms_structure_add_site + mms_structure_finalize
 * (readers do this), or in one call with mms_structure_new.  After finalize
 * the derived fields (abc, angles, volume, composition, flags) are set and
 * the structure must be treated as read-only: plugins get `const` pointers and
 * may read it from several threads at once.
 *
 * ABI: mms_structure only grows at its end (a struct_size field tells a
 * plugin how far: MMS_HAS_FIELD in plugin.h).  mms_site and mms_species are
 * frozen, because plugins index arrays of them with their compiled size: a
 * new per-site property arrives as a parallel array (n_sites entries, NULL
 * when unknown) appended to mms_structure. */
#ifndef MMSCORE_STRUCTURE_H
#define MMSCORE_STRUCTURE_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MMS_MAX_SITE_SPECIES 8   /* species sharing one (disordered) site */
#define MMS_SITE_LABEL_MAX 32

typedef struct mms_species {
    int z;               /* atomic number 1..118 */
    double occupancy;    /* 1.0 for an ordered site */
    int has_oxidation;   /* 1 if `oxidation` was given (e.g. "Fe2+") */
    double oxidation;    /* oxidation state, valid when has_oxidation */
} mms_species;

typedef struct mms_site {
    double frac[3];                            /* fractional coordinates */
    int n_species;                             /* 1..MMS_MAX_SITE_SPECIES */
    mms_species species[MMS_MAX_SITE_SPECIES];
    char label[MMS_SITE_LABEL_MAX];            /* e.g. "Fe1"; may be empty */
    long line;                                 /* source line of the site, 0 if unknown */
} mms_site;

typedef struct mms_tags mms_tags; /* opaque: the source's tags (CIF data items) */

typedef struct mms_structure {
    double lattice[3][3];   /* rows: a, b, c in Å */
    double abc[3];          /* |a|, |b|, |c| in Å          (set by finalize) */
    double angles[3];       /* alpha, beta, gamma in degrees (set by finalize) */
    double volume;          /* |det(lattice)| in Å^3         (set by finalize) */

    size_t n_sites;
    mms_site *sites;        /* n_sites entries, owned by the structure */

    /* Composition (set by finalize): distinct elements sorted by Z, with the
     * summed occupancy of each over all sites. */
    size_t n_elements;
    int *element_z;         /* n_elements entries, owned */
    double *element_amount; /* n_elements entries, owned */

    int is_ordered;         /* 1 if every site holds one species at occupancy 1 */
    int has_oxidation;      /* 1 if any species carries an oxidation state */

    char *name;             /* data block name / title, may be NULL; owned */
    const char *format;     /* "cif", "text", "poscar"...: static string */
    long line;              /* first source line of this structure, 0 if unknown */
    mms_tags *tags;         /* source tags, may be NULL; owned (see below) */

    /* ---- plugin ABI revision 2 ---- */
    size_t struct_size;     /* sizeof(mms_structure) of the library that made it */
} mms_structure;

/* Start an empty structure with the given lattice.  *out is owned by the
 * caller and released with mms_structure_free. */
MMS_EXPORT int mms_structure_create(mms_structure **out, const double lattice[3][3],
                                    mms_error *err);

/* Append a copy of *site.  Fails with MMS_ELIMIT beyond max_sites (0 = no
 * limit), with MMS_EINVAL for an empty site or an unknown Z. */
MMS_EXPORT int mms_structure_add_site(mms_structure *s, const mms_site *site,
                                      size_t max_sites, mms_error *err);

/* Compute the derived fields.  Call once after the last add_site. */
MMS_EXPORT int mms_structure_finalize(mms_structure *s, mms_error *err);

/* One-call constructor for an ordered structure (spglib style):
 * n sites with fractional positions and atomic numbers. */
MMS_EXPORT int mms_structure_new(mms_structure **out, const double lattice[3][3],
                                 size_t n, const double positions[][3], const int z[],
                                 mms_error *err);

/* Deep copy; *out owned by the caller. */
MMS_EXPORT int mms_structure_copy(mms_structure **out, const mms_structure *s, mms_error *err);

/* Free s and everything it owns; NULL is fine. */
MMS_EXPORT void mms_structure_free(mms_structure *s);

/* Lattice from a, b, c (Å) and alpha, beta, gamma (degrees), in pymatgen's
 * Lattice.from_parameters orientation.
 * Fails with MMS_ECOMPUTE when the angles admit no cell. */
MMS_EXPORT int mms_lattice_from_parameters(double lattice[3][3], const double abc[3],
                                           const double angles[3], mms_error *err);

/* The same lattice without refusing anything, as pymatgen builds it: the
 * cosine of gamma* is capped to [-1, 1] (pymatgen's abs_cap), so angle sets
 * that admit no cell give pymatgen's flat cell.  Returns 1 when the cap had
 * to act beyond rounding noise (the angles admit no cell), else 0. */
MMS_EXPORT int mms_lattice_from_parameters_capped(double lattice[3][3], const double abc[3],
                                                  const double angles[3]);

/* Fractional -> Cartesian (Å) with this structure's lattice. */
MMS_EXPORT void mms_structure_cart(const mms_structure *s, const double frac[3], double cart[3]);

/* Total mass in u over all sites (occupancy-weighted) and density in g/cm^3
 * as pymatgen computes them. */
MMS_EXPORT double mms_structure_mass(const mms_structure *s);
MMS_EXPORT double mms_structure_density(const mms_structure *s);

/* pymatgen's Composition.reduced_formula (elements ordered by Pauling
 * electronegativity, amounts reduced by their gcd, "1" omitted), written to
 * buf.  MMS_ELIMIT if buf is too small. */
MMS_EXPORT int mms_structure_formula_reduced(const mms_structure *s, char *buf, size_t n,
                                             mms_error *err);

/* The same formula for a composition given as atomic numbers and amounts in
 * pymatgen's Composition order (order of first appearance; a repeated Z adds
 * up), e.g. a formula parsed from text.  Amounts below 1e-8 are dropped as
 * pymatgen drops them. */
MMS_EXPORT int mms_composition_formula_reduced(const int *z, const double *amount, size_t n_el,
                                               char *buf, size_t n, mms_error *err);

/* Reduced integer counts, one per element in s->element_z order, as CDVAE's
 * Crystal.get_composition makes them (amounts divided by their gcd).
 * counts must hold s->n_elements ints.  MMS_ECOMPUTE if an amount is not an
 * integer (disordered structure). */
MMS_EXPORT int mms_structure_counts_reduced(const mms_structure *s, int *counts, mms_error *err);

/* ---- Source tags (CIF data items), for consistency checks ----
 * Names are matched case-insensitively, with the leading underscore.
 * Returned pointers live as long as the structure. */

/* Value of a single-valued item ("_chemical_formula_sum"); NULL if absent.
 * Quotes are removed; "?" and "." are returned as they are. */
MMS_EXPORT const char *mms_structure_tag(const mms_structure *s, const char *name);

/* Values of a looped item ("_atom_site_symmetry_multiplicity"); returns the
 * count (0 if absent) and sets *values to an array of that many strings. */
MMS_EXPORT size_t mms_structure_loop(const mms_structure *s, const char *name,
                                     const char *const **values);

/* Readers record tags with these (copies are made). */
MMS_EXPORT int mms_structure_set_tag(mms_structure *s, const char *name, const char *value,
                                     mms_error *err);
MMS_EXPORT int mms_structure_set_loop(mms_structure *s, const char *name, size_t n,
                                      const char *const *values, mms_error *err);

#ifdef __cplusplus
}
#endif
#endif
