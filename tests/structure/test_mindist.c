/* Minimum-image search (plugins/structure/mindist.c) against brute force:
 * the exact answer must equal the minimum over a wide box of translations,
 * pymatgen's answer must equal its 27-image search in the LLL basis, and
 * the cell list must give the same pair as all pairs on large cells. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mindist.h"

static uint64_t rng_state = 88172645463325252ull;

static double rnd(void) /* xorshift64: reproducible, no libc rand state */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double pair_d2(const double L[3][3], const double *fi, const double *fj, const int n[3])
{
    double v[3];
    for (int q = 0; q < 3; q++)
        v[q] = (fj[0] - fi[0] + n[0]) * L[0][q] + (fj[1] - fi[1] + n[1]) * L[1][q] +
               (fj[2] - fi[2] + n[2]) * L[2][q];
    return v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
}

/* A box of translations sure to hold every image closer than r: |n_k|
 * <= r |col_k(L^-1)| + 1 (see mindist.c), from the inverse by cofactors. */
static int box_for(const double L[3][3], double r)
{
    double det = L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) -
                 L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                 L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
    double h = 0;
    for (int k = 0; k < 3; k++) {
        /* column k of the inverse = (row_{k+1} x row_{k+2}) / det */
        const double *u = L[(k + 1) % 3], *v = L[(k + 2) % 3];
        double c[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                       u[0] * v[1] - u[1] * v[0]};
        double hk = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) / fabs(det);
        if (hk > h)
            h = hk;
    }
    return (int)ceil(r * h) + 3; /* + fractional differences up to 2 */
}

/* Smallest distance over translations -R..R in the input basis. */
static double brute_exact(const double L[3][3], size_t n, const double (*f)[3], int R)
{
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            for (int a = -R; a <= R; a++)
                for (int b = -R; b <= R; b++)
                    for (int c = -R; c <= R; c++) {
                        int t[3] = {a, b, c};
                        double d = pair_d2(L, f[i], f[j], t);
                        if (d < best)
                            best = d;
                    }
    return sqrt(best);
}

/* Skewed random cells: the exact search must match a wide brute force,
 * and pymatgen's number can only be larger or equal. */
static void test_exact_matches_brute_force(void **st)
{
    (void)st;
    int inexact = 0;
    for (int trial = 0; trial < 400; trial++) {
        double L[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                L[i][j] = (i == j ? 3.0 : 0.0) + 4.0 * (rnd() - 0.5) * (trial % 2 ? 3.0 : 1.0);
        double f[4][3];
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 3; k++)
                f[i][k] = 2.0 * rnd() - 0.5; /* also outside [0, 1) */
        double det = L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) -
                     L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                     L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]);
        if (fabs(det) < 0.5)
            continue;
        mmsc_mindist md;
        assert_int_equal(mmsc_mindist_compute(L, 4, (const double(*)[3])f, &md), MMS_OK);
        assert_true(md.found);
        double want = brute_exact(L, 4, (const double(*)[3])f, box_for(L, md.pymatgen));
        assert_true(fabs(md.exact - want) <= 1e-9 * want);
        assert_true(md.pymatgen >= md.exact - 1e-12);
        inexact += md.pymatgen > md.exact * (1 + 1e-12);
        /* the reported pair and translation reproduce the distance */
        double d = sqrt(pair_d2(L, f[md.i], f[md.j], md.image));
        assert_true(fabs(d - md.exact) <= 1e-9 * md.exact);
    }
    (void)inexact; /* how often pymatgen misses is data, not an assertion */
}

/* pymatgen's distance_matrix, literally: LLL-fractional coordinates
 * wrapped with Python's % 1, 27 images of the reduced basis, every pair. */
static double full_matrix_min(const double L[3][3], size_t n, const double (*f)[3])
{
    double R[3][3], T[3][3], Ti[3][3];
    mmsc_lll_reduce(L, R, T);
    double d = T[0][0] * (T[1][1] * T[2][2] - T[1][2] * T[2][1]) -
               T[0][1] * (T[1][0] * T[2][2] - T[1][2] * T[2][0]) +
               T[0][2] * (T[1][0] * T[2][1] - T[1][1] * T[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            const double *u = T[(j + 1) % 3], *v = T[(j + 2) % 3];
            double c[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                           u[0] * v[1] - u[1] * v[0]};
            Ti[i][j] = c[i] / d;
        }
    double (*cart)[3] = malloc(n * sizeof *cart);
    for (size_t i = 0; i < n; i++) {
        double w[3];
        for (int q = 0; q < 3; q++) {
            double x = f[i][0] * Ti[0][q] + f[i][1] * Ti[1][q] + f[i][2] * Ti[2][q];
            w[q] = x - floor(x);
        }
        for (int q = 0; q < 3; q++)
            cart[i][q] = w[0] * R[0][q] + w[1] * R[1][q] + w[2] * R[2][q];
    }
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j)
                continue;
            for (int k = 0; k < 27; k++) {
                double v[3];
                for (int q = 0; q < 3; q++)
                    v[q] = cart[j][q] - cart[i][q] + (k / 9 - 1) * R[0][q] +
                           ((k / 3) % 3 - 1) * R[1][q] + (k % 3 - 1) * R[2][q];
                double dd = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                if (dd < best)
                    best = dd;
            }
        }
    free(cart);
    return sqrt(best);
}

/* The cell list sees only nearby pairs; the number it reports as
 * pymatgen's must still be the minimum of pymatgen's whole matrix. */
static void test_pymatgen_number_is_full_matrix_min(void **st)
{
    (void)st;
    for (int trial = 0; trial < 60; trial++) {
        double L[3][3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                L[i][j] = (i == j ? 9.0 : 0.0) + 8.0 * (rnd() - 0.5);
        size_t n = 20 + (size_t)(rnd() * 200);
        double (*f)[3] = malloc(n * sizeof *f);
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
                f[i][k] = 3.0 * rnd() - 1.0;
        mmsc_mindist md;
        if (mmsc_mindist_compute(L, n, (const double(*)[3])f, &md) == MMS_OK) {
            double want = full_matrix_min(L, n, (const double(*)[3])f);
            assert_true(fabs(md.pymatgen - want) <= 1e-9 * want);
        }
        free(f);
    }
}

/* One site has no pair; two coincident sites are at distance 0. */
static void test_degenerate_inputs(void **st)
{
    (void)st;
    double L[3][3] = {{4, 0, 0}, {0, 4, 0}, {0, 0, 4}};
    double f[2][3] = {{0.1, 0.2, 0.3}, {1.1, -0.8, 0.3}};
    mmsc_mindist md;
    assert_int_equal(mmsc_mindist_compute(L, 1, (const double(*)[3])f, &md), MMS_OK);
    assert_false(md.found);
    assert_int_equal(mmsc_mindist_compute(L, 2, (const double(*)[3])f, &md), MMS_OK);
    assert_true(md.found);
    assert_true(md.exact < 1e-12 && md.pymatgen < 1e-12);
    assert_int_equal(md.image[0], -1);
    assert_int_equal(md.image[1], 1);
    double flat[3][3] = {{4, 0, 0}, {0, 4, 0}, {8, 4, 0}};
    assert_int_equal(mmsc_mindist_compute(flat, 2, (const double(*)[3])f, &md), MMS_ECOMPUTE);
}

/* 4,000 random sites in a skewed cell: the cell list must find the same
 * distance as every pair against every nearby translation. */
static void test_large_cell_agrees_with_all_pairs(void **st)
{
    (void)st;
    const size_t n = 4000;
    double L[3][3] = {{40, 0, 0}, {13, 38, 0}, {-9, 7, 41}};
    double (*f)[3] = malloc(n * sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            f[i][k] = rnd();
    mmsc_mindist md;
    assert_int_equal(mmsc_mindist_compute(L, n, (const double(*)[3])f, &md), MMS_OK);
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int t[3];
            for (int k = 0; k < 3; k++)
                t[k] = -(int)lround(f[j][k] - f[i][k]);
            for (int a = -1; a <= 1; a++)
                for (int b = -1; b <= 1; b++)
                    for (int c = -1; c <= 1; c++) {
                        int u[3] = {t[0] + a, t[1] + b, t[2] + c};
                        double d = pair_d2(L, f[i], f[j], u);
                        if (d < best)
                            best = d;
                    }
        }
    assert_true(fabs(md.exact - sqrt(best)) <= 1e-9 * md.exact);
    assert_true(fabs(md.pymatgen - md.exact) <= 1e-9 * md.exact);
    free(f);
}

/* pymatgen's LLL keeps an already reduced cubic basis and reduces a
 * sheared one back to it (up to sign/order). */
static void test_lll_reduces_sheared_cube(void **st)
{
    (void)st;
    double cube[3][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}}, R[3][3], T[3][3];
    mmsc_lll_reduce(cube, R, T);
    assert_memory_equal(R, cube, sizeof cube);
    double sheared[3][3] = {{3, 0, 0}, {9, 3, 0}, {-6, 3, 3}};
    mmsc_lll_reduce(sheared, R, T);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(sqrt(R[i][0] * R[i][0] + R[i][1] * R[i][1] + R[i][2] * R[i][2]) - 3.0) <
                    1e-12);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double v = T[i][0] * sheared[0][j] + T[i][1] * sheared[1][j] + T[i][2] * sheared[2][j];
            assert_true(fabs(v - R[i][j]) < 1e-12);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_matches_brute_force),
        cmocka_unit_test(test_pymatgen_number_is_full_matrix_min),
        cmocka_unit_test(test_degenerate_inputs),
        cmocka_unit_test(test_large_cell_agrees_with_all_pairs),
        cmocka_unit_test(test_lll_reduces_sheared_cube),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
