/* bond_length_reasonableness_score (CrystaLLM crystallm/_metrics.py) with
 * the neighbours of pymatgen 2022.11.7's CrystalNN() at its defaults, as
 * CrystaLLM calls it (the neighbour search is the fingerprint plugin's
 * CrystalNN, mmsc_crystalnn_neighbors).
 *
 * For each site i, the neighbours are those of CrystalNN's most probable
 * coordination number.  The bond length is pymatgen's PeriodicSite.distance
 * between the two sites: the minimum-image distance (27 images of the
 * LLL-reduced cell), not the distance to the image CrystalNN found.  A neighbour that is an image of i itself is skipped
 * (CrystaLLM's `if i == j`).  Each remaining bond is compared with an
 * expected length: the two atomic radii, or, when the Pauling
 * electronegativities differ by 1.7 or more, the average cationic radius of
 * the less electronegative atom plus the average anionic radius of the
 * other.  A bond counts as reasonable when 0.68 < length/expected < 1.32,
 * or, if hydrogen takes part, when length/expected < 2.5.  The score is the
 * reasonable fraction.  Where CrystaLLM's Python would raise (no radius,
 * an expected length of 0, no bond at all) there is no score. */
#include "bonds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"

#include "crystalnn.h"
#include "ionic_radii.h"
#include "mindist.h"

/* pymatgen's pbc_shortest_vectors for one pair, in the LLL basis: both
 * positions wrapped into [0, 1), the 27 translations -1..1 tried. */
typedef struct lll_cell {
    double m[3][3];   /* reduced rows */
    double inv[3][3]; /* inverse of the integer mapping: frac -> LLL frac */
} lll_cell;

static int lll_cell_init(lll_cell *c, const double L[3][3])
{
    double map[3][3];
    mmsc_lll_reduce(L, c->m, map);
    double det = map[0][0] * (map[1][1] * map[2][2] - map[1][2] * map[2][1]) -
                 map[0][1] * (map[1][0] * map[2][2] - map[1][2] * map[2][0]) +
                 map[0][2] * (map[1][0] * map[2][1] - map[1][1] * map[2][0]);
    if (det == 0)
        return -1;
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) {
            /* cofactor (k, r) / det: the inverse's (r, k) entry */
            int r1 = (k + 1) % 3, r2 = (k + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
            c->inv[r][k] = (map[r1][c1] * map[r2][c2] - map[r1][c2] * map[r2][c1]) / det;
        }
    return 0;
}

static void lll_cart(const lll_cell *c, const double f[3], double out[3])
{
    double g[3];
    for (int k = 0; k < 3; k++) {
        g[k] = f[0] * c->inv[0][k] + f[1] * c->inv[1][k] + f[2] * c->inv[2][k];
        g[k] -= floor(g[k]);
    }
    for (int k = 0; k < 3; k++)
        out[k] = g[0] * c->m[0][k] + g[1] * c->m[1][k] + g[2] * c->m[2][k];
}

static double site_distance(const lll_cell *c, const double fi[3], const double fj[3])
{
    double a[3], b[3], best = INFINITY;
    lll_cart(c, fi, a);
    lll_cart(c, fj, b);
    for (int x = -1; x <= 1; x++)
        for (int y = -1; y <= 1; y++)
            for (int z = -1; z <= 1; z++) {
                double d2 = 0;
                for (int k = 0; k < 3; k++) {
                    double v = b[k] + x * c->m[0][k] + y * c->m[1][k] + z * c->m[2][k] - a[k];
                    d2 += v * v;
                }
                if (d2 < best)
                    best = d2;
            }
    return sqrt(best);
}

typedef struct tally {
    long good, count;
} tally;

/* One bond of length d between elements zi and zj; MMS_ECOMPUTE with err
 * filled where the Python raises. */
static int judge(tally *t, int zi, int zj, double d, mms_error *err)
{
    double xi = mms_element_x(zi), xj = mms_element_x(zj);
    double expected;
    if (fabs(xi - xj) >= 1.7) /* false when either is NaN, as in Python */
        expected = xi < xj ? sym_ionic_radii[zi][0] + sym_ionic_radii[zj][1]
                           : sym_ionic_radii[zi][1] + sym_ionic_radii[zj][0];
    else
        expected = mms_element_atomic_radius(zi) + mms_element_atomic_radius(zj);
    if (isnan(expected) || expected == 0.0)
        return mms_error_set(err, MMS_ECOMPUTE, 0, "no %s radius for a %s-%s bond",
                             isnan(expected) ? "atomic" : "non-zero expected",
                             mms_element_symbol(zi), mms_element_symbol(zj));
    double ratio = d / expected;
    if (zi == 1 || zj == 1)
        t->good += ratio < 2.5;
    else
        t->good += 1.0 - 0.32 < ratio && ratio < 1.0 + 0.32;
    t->count++;
    return MMS_OK;
}

int sym_bond_length_score(const mms_structure *s, double *score, long *n_bonds, mms_error *err)
{
    if (!s->is_ordered)
        return mms_error_set(err, MMS_ECOMPUTE, 0, "a disordered site has no single species");
    if (s->n_sites > SYM_BONDS_MAX_SITES)
        return mms_error_set(err, MMS_ELIMIT, 0, "more than %d sites", SYM_BONDS_MAX_SITES);
    /* pymatgen's CIF parser builds the lattice from its parameters and
     * wraps positions into the cell */
    mmsc_cell cell;
    mms_error lerr;
    if (mms_lattice_from_parameters(cell.lattice, s->abc, s->angles, &lerr) != MMS_OK)
        memcpy(cell.lattice, s->lattice, sizeof cell.lattice);
    double(*frac)[3] = malloc(s->n_sites * sizeof *frac);
    int *z = malloc(s->n_sites * sizeof *z);
    FILE *devnull = fopen("/dev/null", "w"); /* qhull's diagnostics */
    if (!frac || !z || !devnull) {
        free(frac);
        free(z);
        if (devnull)
            fclose(devnull);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0; i < s->n_sites; i++) {
        for (int k = 0; k < 3; k++)
            frac[i][k] = s->sites[i].frac[k] - floor(s->sites[i].frac[k]);
        z[i] = s->sites[i].species[0].z;
    }
    cell.n = s->n_sites;
    cell.frac = (const double (*)[3])frac;
    cell.z = z;
    mmsc_cnn_options opt;
    mmsc_cnn_options_default(&opt);
    lll_cell lc;
    if (lll_cell_init(&lc, cell.lattice)) {
        free(frac);
        free(z);
        fclose(devnull);
        return mms_error_set(err, MMS_ECOMPUTE, 0, "degenerate lattice");
    }

    tally t = {0, 0};
    int rc = MMS_OK;
    for (size_t i = 0; i < s->n_sites && rc == MMS_OK; i++) {
        mmsc_nn *nn = NULL;
        size_t n = 0;
        mms_error cnn;
        if ((rc = mmsc_crystalnn_neighbors(&cell, &opt, devnull, i, &nn, &n, &cnn)) != MMS_OK) {
            mms_error_set(err, rc, 0, "CrystalNN failed at site %zu: %s", i, cnn.message);
            break;
        }
        for (size_t k = 0; k < n && rc == MMS_OK; k++)
            if (nn[k].site != i)
                rc = judge(&t, z[i], z[nn[k].site], site_distance(&lc, frac[i], frac[nn[k].site]),
                           err);
        free(nn);
    }
    free(frac);
    free(z);
    fclose(devnull);
    if (rc == MMS_OK && t.count == 0)
        rc = mms_error_set(err, MMS_ECOMPUTE, 0, "no bond between different sites");
    if (rc == MMS_OK) {
        *score = (double)t.good / (double)t.count;
        *n_bonds = t.count;
    }
    return rc;
}
