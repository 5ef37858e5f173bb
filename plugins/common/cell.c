/* See cell.h.  The formula is pymatgen 2022.11.7 Lattice.from_parameters
 * (vesta=False), the core's mms_lattice_from_parameters_capped. */
#include "cell.h"

#include <math.h>

void mmsc_basic_eval_lattice(const mms_structure *s, double lattice[3][3])
{
    mms_lattice_from_parameters_capped(lattice, s->abc, s->angles);
}

double mmsc_cell_volume(const double m[3][3])
{
    return fabs(m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]));
}
