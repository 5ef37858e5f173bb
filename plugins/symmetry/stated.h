/* What a CIF's symmetry and site tags claim, read with the conventions of
 * crystallography, to tell a file's notation from a fault of its structure.
 * They set the severities of the consistency diagnostics only (MMS202 vs
 * MMS210/MMS211, MMS205 vs MMS212; docs/diagnostics.md): the values
 * CrystaLLM defines (sg_consistent, multiplicity_consistent) are computed
 * in symmetry.c exactly as CrystaLLM does and never from these. */
#ifndef SYM_STATED_H
#define SYM_STATED_H

#include <spglib.h>

#include "mmscore/structure.h"

#include "formula.h"

#define SYM_MAX_HALLS 32

/* The spglib Hall settings (1..530) a Hermann-Mauguin symbol names,
 * compared with blanks, '_' and ':' removed: each setting's short, full
 * and extended symbols from spglib's database, bare or followed by its
 * choice ("R -3 H", "F d -3 m :2", "P 1 21/c 1", "Pm-3m").  A symbol
 * without a choice names every setting that spells it so (both origins of
 * Fd-3m).  Returns how many were written to halls (at most max); 0 when
 * the symbol is none spglib knows.  Thread-safe. */
int sym_halls_of_symbol(const char *stated, int *halls, int max);

/* How many operations of Hall setting `hall` are not symmetries of the
 * structure, given spglib's dataset of it (operations in the input cell's
 * basis) and that cell's lattice (vectors as columns, as passed to
 * spglib): same rotation, translation equal up to a lattice vector within
 * symprec (Cartesian).  *n_ops gets the setting's number of operations. */
int sym_missing_operations(int hall, const SpglibDataset *d, const double lattice[3][3],
                           double symprec, int *n_ops);

/* Do the _atom_site rows account for `expected` (the parsed
 * _chemical_formula_sum) when read as a crystallographer does: per element
 * (the type symbol without its charge, "Fe2+" -> Fe), the sum of
 * multiplicity x _atom_site_occupancy (1 when absent) equals the formula
 * (pymatgen's convention: the formula is the cell content) or
 * _cell_formula_units_Z times it (the CIF convention: per formula unit),
 * within 1%?  Returns the factor that fits (1 or Z), or 0. */
int sym_multiplicity_fits_formula(const mms_structure *s, const mmsc_formula *expected);

#endif
