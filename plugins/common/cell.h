/* The cell crystal-text-llm's basic_eval.py checks: the structure rebuilt
 * with pymatgen's Lattice.from_parameters from the (a, b, c, alpha, beta,
 * gamma) of the structure as read.  Shared by the structure and symmetry
 * plugins. */
#ifndef MMSC_CELL_H
#define MMSC_CELL_H

#include "mmscore/structure.h"

/* pymatgen's from_parameters including its abs_cap of cos(gamma*), so
 * impossible angle sets give the same flat cell pymatgen builds (the core's
 * public mms_lattice_from_parameters refuses those). */
void mmsc_basic_eval_lattice(const mms_structure *s, double lattice[3][3]);

/* |det| of rows a, b, c. */
double mmsc_cell_volume(const double lattice[3][3]);

#endif
