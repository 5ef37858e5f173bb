/* Linear assignment by Jonker & Volgenant's shortest augmenting path
 * (LAPJV, Computing 38, 1987), in the exact variant pymatgen's
 * optimization/linear_assignment.pyx runs: the column reduction scans
 * columns from last to first, two augmenting-row-reduction passes capped by
 * `nrr`, epsilon 1e-13 in every comparison.  Why not a library: GSL has no
 * assignment solver and Debian packages none in C; and the matcher's
 * verdicts on symmetric structures depend on which of several equal-cost
 * assignments is returned (its mean-translation shift and max distance
 * follow from it), so the search order itself has to be the reference's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

#define LAP_EPS 1e-13

typedef double lap_v4d __attribute__((vector_size(32)));
typedef long long lap_v4i __attribute__((vector_size(32)));

/* Each column's smallest cost and the first row holding it (the column
 * reduction's scan: start at row 0, keep a row only when strictly
 * smaller), four columns at a time along the rows (GCC vector types, AVX2
 * lanes in the x86-64-v3 clone): the same comparisons in the same row
 * order for each column, so the same value and row, NaN included.  They
 * depend on the costs alone, so computing them before the reduction's
 * last-to-first pass changes nothing. */
MMSM_INLINE void lap_col_min(int n, const double *c, double *h, int *arg)
{
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        lap_v4d m;
        memcpy(&m, c + j, sizeof m);
        lap_v4i a = {0, 0, 0, 0};
        for (int i = 1; i < n; i++) {
            lap_v4d x;
            memcpy(&x, c + (size_t)i * (size_t)n + (size_t)j, sizeof x);
            lap_v4i lt = x < m;
            m = (lap_v4d)((lt & (lap_v4i)x) | (~lt & (lap_v4i)m));
            a = (lt & (long long)i) | (~lt & a);
        }
        memcpy(h + j, &m, sizeof m);
        for (int l = 0; l < 4; l++) arg[j + l] = (int)a[l];
    }
    for (; j < n; j++) {
        double m = c[j];
        int a = 0;
        for (int i = 1; i < n; i++)
            if (c[(size_t)i * (size_t)n + (size_t)j] < m) m = c[(size_t)i * (size_t)n + (size_t)j], a = i;
        h[j] = m, arg[j] = a;
    }
}

/* c: n x n row-major; x[i] = column of row i.  Returns 0, or -1 when out of
 * memory.  Rectangular problems are padded with zero rows by the caller. */
MMSM_SIMD int mmsm_lapjv(int n, const double *c, int *x, double *cost_out)
{
    /* one work block (on the stack for the usual small cells: this runs
     * once per lattice and translation tried) */
    enum { SMALL = 64 };
    double small[SMALL * 4];
    size_t un = n > 0 ? (size_t)n : 1;
    double *blk = un <= SMALL ? small : malloc(un * 4 * sizeof(double));
    if (!blk) return -1;
    double *v = blk, *d = blk + un;
    int *y = (int *)(blk + 2 * un), *col = y + un, *fre = col + un, *pred = fre + un;
#define C(i, j) c[(size_t)(i) * (size_t)n + (size_t)(j)]
    for (int i = 0; i < n; i++) x[i] = -1;

    /* column reduction, last column first (the minima first: v and, as
     * row indices, pred, which the augmentation initialises again) */
    lap_col_min(n, c, v, pred);
    for (int j = n - 1; j >= 0; j--) {
        col[j] = j;
        int i1 = pred[j];
        if (x[i1] == -1) {
            x[i1] = j;
            y[j] = i1;
        } else {
            if (x[i1] > -1) x[i1] = -2 - x[i1];
            y[j] = -1;
        }
    }

    /* reduction transfer */
    int f = -1;
    for (int i = 0; i < n; i++) {
        if (x[i] == -1) {
            fre[++f] = i;
        } else if (x[i] < -1) {
            x[i] = -2 - x[i];
        } else {
            int j1 = x[i];
            double m = 1e300;
            for (int j = 0; j < n; j++)
                if (j != j1 && C(i, j) - v[j] < m) m = C(i, j) - v[j];
            v[j1] = v[j1] - m;
        }
    }

    /* augmenting row reduction, two passes */
    for (int cnt = 0; cnt < 2; cnt++) {
        int k = 0, f0 = f, nrr = 0;
        f = -1;
        while (k <= f0) {
            nrr++;
            int i = fre[k++];
            double u1 = C(i, 0) - v[0], u2 = 1e300;
            int j1 = 0, j2 = 0;
            for (int j = 1; j < n; j++) {
                double h = C(i, j) - v[j];
                if (h < u2) {
                    if (h >= u1) {
                        u2 = h, j2 = j;
                    } else {
                        u2 = u1, u1 = h, j2 = j1, j1 = j;
                    }
                }
            }
            int i1 = y[j1];
            int capped = nrr < n * k;
            if (u1 + LAP_EPS < u2 && capped) {
                v[j1] = v[j1] - u2 + u1;
            } else if (i1 > -1 && capped) {
                j1 = j2;
                i1 = y[j1];
            }
            if (i1 > -1) {
                if (u1 + LAP_EPS < u2 && capped)
                    fre[--k] = i1;
                else
                    fre[++f] = i1;
            }
            x[i] = j1;
            y[j1] = i;
        }
    }

    /* augmentation */
    int f0 = f;
    for (f = 0; f <= f0; f++) {
        int i1 = fre[f], low = 0, up = 0, last = 0;
        double m = 0;
        for (int j = 0; j < n; j++) d[j] = C(i1, j) - v[j], pred[j] = i1;
        int done = 0;
        while (!done) {
            int jend = -1;
            if (up == low) {
                last = low - 1;
                m = d[col[up]];
                up++;
                for (int k = up; k < n; k++) {
                    int j = col[k];
                    double h = d[j];
                    if (h <= m + LAP_EPS) {
                        if (h + LAP_EPS < m) up = low, m = h;
                        col[k] = col[up];
                        col[up] = j;
                        up++;
                    }
                }
                for (int z = low; z < up; z++)
                    if (y[col[z]] == -1) {
                        jend = col[z];
                        break;
                    }
            }
            if (jend < 0) {
                int j1 = col[low++];
                int i = y[j1];
                double u1 = C(i, j1) - v[j1] - m;
                for (int k = up; k < n; k++) {
                    int j = col[k];
                    double h = C(i, j) - v[j] - u1;
                    if (h + LAP_EPS < d[j]) {
                        d[j] = h;
                        pred[j] = i;
                        if (fabs(h - m) < LAP_EPS) {
                            if (y[j] == -1) {
                                jend = j;
                                break;
                            }
                            col[k] = col[up];
                            col[up] = j;
                            up++;
                        }
                    }
                }
            }
            if (jend >= 0) {
                /* update the prices of the scanned columns, then flip the path */
                for (int k = 0; k <= last; k++) {
                    int j1 = col[k];
                    v[j1] = v[j1] + d[j1] - m;
                }
                int j = jend;
                for (;;) {
                    int i = pred[j];
                    y[j] = i;
                    int kk = j;
                    j = x[i];
                    x[i] = kk;
                    if (i == i1) break;
                }
                done = 1;
            }
        }
    }
    double cost = 0;
    for (int i = 0; i < n; i++) cost += C(i, x[i]);
    if (cost_out) *cost_out = cost;
#undef C
    if (blk != small) free(blk);
    return 0;
}
