/* CrystaLLM's bond-length reasonableness score over pymatgen's
 * MinimumDistanceNN neighbours (docs/metrics-symmetry.md says why not
 * CrystalNN's).  Thread-safe; allocates nothing that escapes. */
#ifndef MMS_SYMMETRY_BONDS_H
#define MMS_SYMMETRY_BONDS_H

#include <stddef.h>

#include "mmscore/structure.h"

/* Work limits: more sites, or a cell so small that the 10 Å neighbour
 * search needs more translations, and the score is not computed. */
#define MMS_BONDS_MAX_SITES 400
#define MMS_BONDS_MAX_IMAGES 20000

/* Score in [0, 1] into *score; *n_bonds gets the bonds counted.  Returns
 * 0, or -1 with the reason in why when CrystaLLM's function would raise
 * (disordered site, missing radius, zero expected length, no bond) or a
 * work limit is hit. */
int mms_bond_length_score(const mms_structure *s, double *score, long *n_bonds, char *why,
                          size_t why_len);

#endif
