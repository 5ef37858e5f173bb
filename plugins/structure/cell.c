/* See cell.h.  The formula is pymatgen 2022.11.7 Lattice.from_parameters
 * (vesta=False); the core keeps its own copy private. */
#include "cell.h"

#include <math.h>

static double abs_cap(double x)
{
    return x > 1.0 ? 1.0 : (x < -1.0 ? -1.0 : x);
}

/* np.arccos of numpy 1.24's AVX-512 kernel for tiny x, as the core's
 * lattice builder does (see mms_lattice_from_parameters_capped). */
static double np_arccos(double x)
{
    return fabs(x) < 1e-6 ? 3.14159265358979323846 / 2.0 - x : acos(x);
}

void mms_basic_eval_lattice(const mms_structure *s, double lattice[3][3])
{
    const double deg = 3.14159265358979323846 / 180.0; /* np.radians */
    double ca = cos(s->angles[0] * deg), cb = cos(s->angles[1] * deg);
    double cg = cos(s->angles[2] * deg);
    double sa = sin(s->angles[0] * deg), sb = sin(s->angles[1] * deg);
    double gamma_star = np_arccos(abs_cap((ca * cb - cg) / (sa * sb)));
    double a = s->abc[0], b = s->abc[1], c = s->abc[2];
    double m[3][3] = {{a * sb, 0.0, a * cb},
                      {-b * sa * cos(gamma_star), b * sa * sin(gamma_star), b * ca},
                      {0.0, 0.0, c}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            lattice[i][j] = m[i][j];
}

double mms_cell_volume(const double m[3][3])
{
    return fabs(m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]));
}
