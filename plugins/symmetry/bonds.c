/* bond_length_reasonableness_score (CrystaLLM crystallm/_metrics.py) with
 * pymatgen 2022.11.7's MinimumDistanceNN(tol=0.1, cutoff=10) as the
 * neighbour finder in place of CrystalNN.
 *
 * For each site i, the neighbours are every site image within 10 Å (the
 * site itself excluded below 1e-8 Å, as get_neighbors does) closer than
 * 1.1 x the nearest of them.  A neighbour that is an image of i itself is
 * skipped (CrystaLLM's `if i == j`).  Each remaining bond is compared with
 * an expected length: the two atomic radii, or, when the Pauling
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

#include "ionic_radii.h"

#define CUTOFF 10.0
#define TOL 0.1

typedef struct cell {
    const mms_structure *s;
    double (*cart)[3];
    double h[3]; /* |col_k(L^-1)|: translations needed per Å of radius */
} cell;

static double reciprocal_norm(const double L[3][3], int k)
{
    const double *u = L[(k + 1) % 3], *v = L[(k + 2) % 3];
    double c[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    double det = L[k][0] * c[0] + L[k][1] * c[1] + L[k][2] * c[2];
    return sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) / fabs(det);
}

/* Calls f(i, j, d) for every image of every site j within r of site i
 * (d > 1e-8).  Fractional differences lie in (-1, 1) after wrapping, so
 * translations up to ceil(r h_k) + 1 cover the sphere. */
static void each_neighbour(const cell *c, size_t i, double r,
                           void (*f)(void *ctx, size_t j, double d), void *ctx)
{
    const mms_structure *s = c->s;
    long reach[3];
    for (int k = 0; k < 3; k++)
        reach[k] = (long)ceil(r * c->h[k]) + 1;
    for (size_t j = 0; j < s->n_sites; j++) {
        double p[3];
        for (int q = 0; q < 3; q++)
            p[q] = c->cart[j][q] - c->cart[i][q];
        for (long a = -reach[0]; a <= reach[0]; a++)
            for (long b = -reach[1]; b <= reach[1]; b++)
                for (long g = -reach[2]; g <= reach[2]; g++) {
                    double v[3];
                    for (int q = 0; q < 3; q++)
                        v[q] = p[q] + (double)a * s->lattice[0][q] + (double)b * s->lattice[1][q] +
                               (double)g * s->lattice[2][q];
                    double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
                    if (d > 1e-8 && d <= r)
                        f(ctx, j, d);
                }
    }
}

static void track_min(void *ctx, size_t j, double d)
{
    (void)j;
    double *m = ctx;
    if (d < *m)
        *m = d;
}

typedef struct tally {
    const mms_structure *s;
    size_t i;
    double limit;
    long good, count;
    int failed;
    char *why;
    size_t why_len;
} tally;

static void judge(void *ctx, size_t j, double d)
{
    tally *t = ctx;
    if (t->failed || !(d < t->limit) || j == t->i)
        return;
    int zi = t->s->sites[t->i].species[0].z, zj = t->s->sites[j].species[0].z;
    double xi = mms_element_x(zi), xj = mms_element_x(zj);
    double expected;
    if (fabs(xi - xj) >= 1.7) /* false when either is NaN, as in Python */
        expected = xi < xj ? mms_ionic_radii[zi][0] + mms_ionic_radii[zj][1]
                           : mms_ionic_radii[zi][1] + mms_ionic_radii[zj][0];
    else
        expected = mms_element_atomic_radius(zi) + mms_element_atomic_radius(zj);
    if (isnan(expected) || expected == 0.0) {
        snprintf(t->why, t->why_len, "no %s radius for a %s-%s bond",
                 isnan(expected) ? "atomic" : "non-zero expected", mms_element_symbol(zi),
                 mms_element_symbol(zj));
        t->failed = 1;
        return;
    }
    double ratio = d / expected;
    if (zi == 1 || zj == 1)
        t->good += ratio < 2.5;
    else
        t->good += 1.0 - 0.32 < ratio && ratio < 1.0 + 0.32;
    t->count++;
}

int mms_bond_length_score(const mms_structure *s, double *score, long *n_bonds, char *why,
                          size_t why_len)
{
    if (!s->is_ordered) {
        snprintf(why, why_len, "a disordered site has no single species");
        return -1;
    }
    if (s->n_sites > MMS_BONDS_MAX_SITES) {
        snprintf(why, why_len, "more than %d sites", MMS_BONDS_MAX_SITES);
        return -1;
    }
    cell c = {s, NULL, {0, 0, 0}};
    double images = 1.0;
    for (int k = 0; k < 3; k++) {
        c.h[k] = reciprocal_norm(s->lattice, k);
        images *= 2.0 * (ceil(CUTOFF * c.h[k]) + 1.0) + 1.0;
        if (!(images <= MMS_BONDS_MAX_IMAGES)) {
            snprintf(why, why_len, "cell too small or thin for a %g Å neighbour search", CUTOFF);
            return -1;
        }
    }
    c.cart = malloc(s->n_sites * sizeof *c.cart);
    if (!c.cart) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->n_sites; i++) {
        double f[3];
        for (int k = 0; k < 3; k++)
            f[k] = s->sites[i].frac[k] - floor(s->sites[i].frac[k]);
        mms_structure_cart(s, f, c.cart[i]);
    }
    tally t = {s, 0, 0, 0, 0, 0, why, why_len};
    int rc = 0;
    for (size_t i = 0; i < s->n_sites && !t.failed; i++) {
        /* the nearest neighbour is usually close: look near first */
        double nearest = INFINITY;
        each_neighbour(&c, i, 4.0, track_min, &nearest);
        if (!isfinite(nearest))
            each_neighbour(&c, i, CUTOFF, track_min, &nearest);
        if (!isfinite(nearest)) {
            snprintf(why, why_len, "site %zu has no neighbour within %g Å", i, CUTOFF);
            t.failed = 1;
            break;
        }
        t.i = i;
        t.limit = (1.0 + TOL) * nearest;
        each_neighbour(&c, i, t.limit < CUTOFF ? t.limit : CUTOFF, judge, &t);
    }
    free(c.cart);
    if (t.failed)
        rc = -1;
    else if (t.count == 0) {
        snprintf(why, why_len, "no bond between different sites");
        rc = -1;
    } else {
        *score = (double)t.good / (double)t.count;
        *n_bonds = t.count;
    }
    return rc;
}
