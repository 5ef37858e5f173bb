/* CrystaLLM's bond-length reasonableness score over pymatgen's CrystalNN
 * neighbours.  Thread-safe; allocates nothing that escapes. */
#ifndef SYM_BONDS_H
#define SYM_BONDS_H

#include <stddef.h>

#include "mmscore/error.h"
#include "mmscore/structure.h"

/* Work limit: with more sites the score is not computed (one Voronoi
 * tessellation per site). */
#define SYM_BONDS_MAX_SITES 400

/* Score in [0, 1] into *score; *n_bonds gets the bonds counted.  Returns
 * MMS_OK, or an MMS_E* code with the reason in err where CrystaLLM's function
 * would raise (disordered site, missing radius, zero expected length, no
 * bond, CrystalNN failing) or the work limit is hit (MMS_ELIMIT). */
int sym_bond_length_score(const mms_structure *s, double *score, long *n_bonds, mms_error *err);

#endif
