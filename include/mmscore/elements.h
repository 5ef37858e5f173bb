/* mmscore — the core's element table.
 *
 * One table of element facts for every plugin.  Sources are named in
 * core/elements.c: symbols and atomic masses are pymatgen's
 * (periodic_table.json, as shipped with pymatgen 2022.11.7) so that densities
 * agree with the reference; Pauling electronegativities and atomic radii
 * likewise.  Metric-specific tables (SMACT's, Magpie's) live in their plugins. */
#ifndef MMSCORE_ELEMENTS_H
#define MMSCORE_ELEMENTS_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MMS_MAX_Z 118

/* Atomic number of a symbol, case-sensitive ("Fe", not "FE"); 0 if unknown.
 * Reads at most the first 3 characters. */
MMS_EXPORT int mms_element_z(const char *symbol);

/* Same, for a symbol given by pointer and length (not NUL-terminated). */
MMS_EXPORT int mms_element_z_n(const char *symbol, size_t len);

/* Symbol of Z (1..118); NULL otherwise.  Static storage. */
MMS_EXPORT const char *mms_element_symbol(int z);

/* Atomic mass in u as pymatgen gives it; NAN if z is out of range. */
MMS_EXPORT double mms_element_mass(int z);

/* Pauling electronegativity as pymatgen gives it; NAN where pymatgen has none
 * (noble gases He, Ne, Ar...).  pymatgen orders formulas by this. */
MMS_EXPORT double mms_element_x(int z);

/* Atomic radius in Å as pymatgen gives it (atomic_radius); NAN if none. */
MMS_EXPORT double mms_element_atomic_radius(int z);

/* 1 if pymatgen counts z as a metal (Element.is_metal), else 0. */
MMS_EXPORT int mms_element_is_metal(int z);

#ifdef __cplusplus
}
#endif
#endif
