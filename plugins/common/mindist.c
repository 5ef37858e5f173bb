/* Minimum-image distances, pymatgen's way and exactly (see mindist.h).
 *
 * No library offers pymatgen's particular answer (its LLL variant plus a
 * 27-image search), and parity is the point, so the few lines are written
 * here; spglib's own reductions (Niggli/Delaunay) pick other bases and so
 * other 27-image answers on skewed cells.
 *
 * Exactness bound: for a Cartesian vector x = (d + n) R (R the reduced
 * rows, d a fractional difference, n an integer translation),
 * |d_k + n_k| = |x . col_k(R^-1)| <= |x| |col_k(R^-1)|.  So every
 * translation that can give a distance <= r has n_k in
 * [ceil(-d_k - r h_k), floor(-d_k + r h_k)] with h_k = |col_k(R^-1)|:
 * searching that box is exact.  The same bound sizes the cell list: bins of
 * fractional width 1/m_k with m_k <= 1/(r h_k) put any two sites closer than
 * r in neighbouring bins (cyclically). */
#include "mindist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Python's float `x % 1.0`, which pymatgen's Cython applies before the
 * Cartesian conversion (fmod, then shifted into [0, 1)). */
static double py_mod1(double x)
{
    double r = fmod(x, 1.0);
    if (r != 0.0) {
        if (r < 0.0)
            r += 1.0;
    } else {
        r = 0.0;
    }
    return r;
}

static double dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Python's round() on a float: half to even, as nearbyint in the default
 * rounding mode. */
static double round_half_even(double x)
{
    double r = floor(x);
    double diff = x - r;
    if (diff > 0.5)
        r += 1.0;
    else if (diff == 0.5 && fmod(r, 2.0) != 0.0)
        r += 1.0;
    return r;
}

/* Gram-Schmidt of rows A[0..k] into B, coefficients u, squared norms m,
 * for row s only (rows below s already done). */
static void gs_row(double A[3][3], double B[3][3], double u[3][3], double m[3], int s)
{
    for (int j = 0; j < s; j++)
        u[s][j] = m[j] != 0.0 ? dot3(A[s], B[j]) / m[j] : 0.0;
    for (int c = 0; c < 3; c++) {
        double acc = 0.0;
        for (int j = 0; j < s; j++)
            acc += B[j][c] * u[s][j];
        B[s][c] = A[s][c] - acc;
    }
    m[s] = dot3(B[s], B[s]);
}

void mmsc_lll_reduce(const double lattice[3][3], double reduced[3][3], double mapping[3][3])
{
    const double delta = 0.75;
    double A[3][3], B[3][3], u[3][3] = {{0}}, m[3], T[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    memcpy(A, lattice, sizeof A);
    for (int s = 0; s < 3; s++)
        gs_row(A, B, u, m, s);

    /* k is pymatgen's 1-based index of the vector being reduced.  Floating
     * point on a near-singular cell could cycle: cap the passes. */
    int k = 2;
    for (int guard = 0; k <= 3 && guard < 10000; guard++) {
        for (int i = k - 1; i >= 1; i--) {
            double q = round_half_even(u[k - 1][i - 1]);
            if (q != 0.0) {
                for (int c = 0; c < 3; c++) {
                    A[k - 1][c] -= q * A[i - 1][c];
                    T[k - 1][c] -= q * T[i - 1][c];
                }
                for (int j = 0; j < i - 1; j++)
                    u[k - 1][j] -= q * u[i - 1][j];
                u[k - 1][i - 1] -= q;
            }
        }
        double mu = fabs(u[k - 1][k - 2]);
        if (dot3(B[k - 1], B[k - 1]) >= (delta - mu * mu) * dot3(B[k - 2], B[k - 2])) {
            k++;
            continue;
        }
        for (int c = 0; c < 3; c++) {
            double t = A[k - 1][c];
            A[k - 1][c] = A[k - 2][c];
            A[k - 2][c] = t;
            t = T[k - 1][c];
            T[k - 1][c] = T[k - 2][c];
            T[k - 2][c] = t;
        }
        gs_row(A, B, u, m, k - 2);
        gs_row(A, B, u, m, k - 1);
        if (k > 2) {
            k--;
        } else {
            /* pymatgen refreshes the coefficients of the vectors above */
            for (int r = k; r < 3; r++)
                for (int c = k - 2; c < k; c++)
                    u[r][c] = m[c] != 0.0 ? dot3(A[r], B[c]) / m[c] : 0.0;
        }
    }
    memcpy(reduced, A, sizeof A);
    memcpy(mapping, T, sizeof T);
}

static double det3(const double M[3][3])
{
    return M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
           M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
           M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
}

static int inverse3(const double M[3][3], double inv[3][3])
{
    double d = det3(M);
    if (d == 0.0 || !isfinite(d))
        return -1;
    inv[0][0] = (M[1][1] * M[2][2] - M[1][2] * M[2][1]) / d;
    inv[0][1] = (M[0][2] * M[2][1] - M[0][1] * M[2][2]) / d;
    inv[0][2] = (M[0][1] * M[1][2] - M[0][2] * M[1][1]) / d;
    inv[1][0] = (M[1][2] * M[2][0] - M[1][0] * M[2][2]) / d;
    inv[1][1] = (M[0][0] * M[2][2] - M[0][2] * M[2][0]) / d;
    inv[1][2] = (M[0][2] * M[1][0] - M[0][0] * M[1][2]) / d;
    inv[2][0] = (M[1][0] * M[2][1] - M[1][1] * M[2][0]) / d;
    inv[2][1] = (M[0][1] * M[2][0] - M[0][0] * M[2][1]) / d;
    inv[2][2] = (M[0][0] * M[1][1] - M[0][1] * M[1][0]) / d;
    return 0;
}

/* Everything the pair searches share, built once per structure. */
typedef struct ctx {
    size_t n;
    double R[3][3];          /* LLL-reduced rows */
    double h[3];             /* |col_k(R^-1)| */
    double (*w)[3];          /* wrapped LLL-fractional coordinates */
    double (*cart)[3];       /* w @ R, pymatgen's cart_f */
    double im[27][3];        /* the 27 images in Cartesian, pymatgen's order */
    int incomplete;          /* some pair's exact search was cut at MAX_BOX */
} ctx;

/* pymatgen's squared distance for a pair: best of the 27 images (first
 * best on ties, as its strict < keeps); *best_k gets that image. */
static double pair_pymatgen_d2(const ctx *c, size_t i, size_t j, int *best_k)
{
    double p0 = c->cart[j][0] - c->cart[i][0];
    double p1 = c->cart[j][1] - c->cart[i][1];
    double p2 = c->cart[j][2] - c->cart[i][2];
    double best = 1e100;
    int bk = 0;
    for (int k = 0; k < 27; k++) {
        double da = p0 + c->im[k][0], db = p1 + c->im[k][1], dc = p2 + c->im[k][2];
        double d = da * da + db * db + dc * dc;
        if (d < best) {
            best = d;
            bk = k;
        }
    }
    if (best_k)
        *best_k = bk;
    return best;
}

/* Most translations one pair may try: a hostile cell (huge lengths, a
 * volume just above the flat limit) could otherwise ask for billions. */
#define MAX_BOX 4096.0

/* Translation box that holds every image of the pair within sqrt(r2):
 * 1, or 0 when it is empty, or -1 when it is larger than MAX_BOX. */
static int image_box(const ctx *c, size_t i, size_t j, double r2, long lo[3], long hi[3])
{
    double r = sqrt(r2), count = 1.0;
    for (int k = 0; k < 3; k++) {
        double d = c->w[j][k] - c->w[i][k];
        /* padded: a pair exactly at the radius must stay in the box */
        double reach = r * c->h[k] * (1.0 + 1e-9) + 1e-9;
        double a = ceil(-d - reach), b = floor(-d + reach);
        if (a > b)
            return 0;
        count *= b - a + 1.0;
        if (!(count <= MAX_BOX))
            return -1;
        lo[k] = (long)a;
        hi[k] = (long)b;
    }
    return 1;
}

/* Exact squared distance of the pair if some image is within sqrt(r2):
 * returns it (and the LLL translation in n), or INFINITY if none is.  The
 * 27 pymatgen images use pymatgen's own sums so equal answers are equal
 * bit for bit. */
static double pair_exact_d2(const ctx *c, size_t i, size_t j, double r2, int n_out[3])
{
    long lo[3], hi[3];
    if (image_box(c, i, j, r2, lo, hi) != 1)
        return INFINITY;
    double p[3];
    for (int k = 0; k < 3; k++)
        p[k] = c->cart[j][k] - c->cart[i][k];
    double best = INFINITY;
    for (long a = lo[0]; a <= hi[0]; a++)
        for (long b = lo[1]; b <= hi[1]; b++)
            for (long g = lo[2]; g <= hi[2]; g++) {
                double v[3];
                if (labs(a) <= 1 && labs(b) <= 1 && labs(g) <= 1) {
                    const double *t = c->im[(a + 1) * 9 + (b + 1) * 3 + (g + 1)];
                    for (int q = 0; q < 3; q++)
                        v[q] = p[q] + t[q];
                } else {
                    for (int q = 0; q < 3; q++)
                        v[q] = p[q] + ((double)a * c->R[0][q] + (double)b * c->R[1][q] +
                                       (double)g * c->R[2][q]);
                }
                double d = dot3(v, v);
                if (d <= r2 && d < best) {
                    best = d;
                    n_out[0] = (int)a;
                    n_out[1] = (int)b;
                    n_out[2] = (int)g;
                }
            }
    return best;
}

typedef struct best_pair {
    double d2;
    size_t i, j;
    int n[3];
} best_pair;

static void keep(best_pair *bp, double d2, size_t i, size_t j, const int n[3])
{
    if (d2 < bp->d2 || (d2 == bp->d2 && (i < bp->i || (i == bp->i && j < bp->j)))) {
        bp->d2 = d2;
        bp->i = i;
        bp->j = j;
        memcpy(bp->n, n, 3 * sizeof *n);
    }
}

static void consider(ctx *c, size_t i, size_t j, double r2_cap, best_pair *bp)
{
    /* Lower bound from the lattice planes: a pair that cannot beat the best
     * so far needs neither of its distances. */
    double lb2 = 0.0;
    for (int k = 0; k < 3; k++) {
        double d = c->w[j][k] - c->w[i][k];
        double t = fabs(d - nearbyint(d)) / c->h[k];
        if (t * t > lb2)
            lb2 = t * t;
    }
    if (lb2 > bp->d2 || lb2 > r2_cap)
        return;
    int bk;
    double pm = pair_pymatgen_d2(c, i, j, &bk); /* >= exact: a valid radius */
    double r2 = pm < bp->d2 ? pm : bp->d2;
    if (r2 > r2_cap)
        r2 = r2_cap;
    long lo[3], hi[3];
    int box = image_box(c, i, j, r2, lo, hi);
    if (box == 0)
        return;
    if (box < 0) {
        /* too many candidates: keep pymatgen's answer for this pair */
        c->incomplete = 1;
        int n[3] = {bk / 9 - 1, (bk / 3) % 3 - 1, bk % 3 - 1};
        if (pm <= r2)
            keep(bp, pm, i, j, n);
        return;
    }
    if (lo[0] >= -1 && lo[1] >= -1 && lo[2] >= -1 && hi[0] <= 1 && hi[1] <= 1 && hi[2] <= 1) {
        /* every candidate is one of pymatgen's 27: its answer is exact */
        if (pm <= r2) {
            int n[3] = {bk / 9 - 1, (bk / 3) % 3 - 1, bk % 3 - 1};
            keep(bp, pm, i, j, n);
        }
        return;
    }
    int n[3];
    double d2 = pair_exact_d2(c, i, j, r2, n);
    keep(bp, d2, i, j, n);
}

/* Cell-list scan: every pair closer than sqrt(r2) is seen.  MMS_OK or
 * MMS_ENOMEM. */
static int scan_bins(ctx *c, double r, best_pair *bp)
{
    size_t m[3], total = 1;
    for (int k = 0; k < 3; k++) {
        double f = 1.0 / (r * c->h[k]);
        m[k] = (!isfinite(f) || f < 1.0) ? 1 : (f > 1e6 ? 1000000 : (size_t)f);
    }
    /* Bins wider than needed stay correct; keep their count near n. */
    for (;;) {
        total = m[0] * m[1] * m[2];
        if (total <= (c->n > 8 ? c->n : 8))
            break;
        int big = (m[0] >= m[1] && m[0] >= m[2]) ? 0 : (m[1] >= m[2] ? 1 : 2);
        m[big] = (m[big] + 1) / 2;
    }
    size_t *head = malloc(total * sizeof *head), *next = malloc(c->n * sizeof *next);
    size_t *bin_of = malloc(c->n * 3 * sizeof *bin_of);
    if (!head || !next || !bin_of) {
        free(head);
        free(next);
        free(bin_of);
        return MMS_ENOMEM;
    }
    for (size_t b = 0; b < total; b++)
        head[b] = (size_t)-1;
    for (size_t i = c->n; i-- > 0;) {
        size_t idx[3];
        for (int k = 0; k < 3; k++) {
            double x = c->w[i][k] * (double)m[k];
            idx[k] = x < 0 ? 0 : (size_t)x;
            if (idx[k] >= m[k])
                idx[k] = m[k] - 1;
            bin_of[3 * i + k] = idx[k];
        }
        size_t b = (idx[0] * m[1] + idx[1]) * m[2] + idx[2];
        next[i] = head[b];
        head[b] = i;
    }
    double r2 = r * r;
    for (size_t i = 0; i < c->n; i++) {
        long off_lo[3], off_hi[3];
        for (int k = 0; k < 3; k++) {
            /* few bins: visit each once instead of -1..1 */
            off_lo[k] = m[k] <= 2 ? 0 : -1;
            off_hi[k] = m[k] <= 2 ? (long)m[k] - 1 : 1;
        }
        for (long a = off_lo[0]; a <= off_hi[0]; a++)
            for (long b = off_lo[1]; b <= off_hi[1]; b++)
                for (long g = off_lo[2]; g <= off_hi[2]; g++) {
                    long o[3] = {a, b, g};
                    size_t t[3];
                    for (int k = 0; k < 3; k++)
                        t[k] = (size_t)(((long)bin_of[3 * i + k] + o[k] + (long)m[k]) %
                                        (long)m[k]);
                    for (size_t j = head[(t[0] * m[1] + t[1]) * m[2] + t[2]];
                         j != (size_t)-1; j = next[j])
                        if (j > i)
                            consider(c, i, j, r2, bp);
                }
    }
    free(head);
    free(next);
    free(bin_of);
    return MMS_OK;
}

int mmsc_mindist_compute(const double lattice[3][3], size_t n, const double (*frac)[3],
                        mmsc_mindist *out)
{
    memset(out, 0, sizeof *out);
    if (n < 2)
        return MMS_OK;
    ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    double T[3][3], Tinv[3][3], Rinv[3][3];
    mmsc_lll_reduce(lattice, c.R, T);
    if (inverse3(T, Tinv) != 0 || inverse3(c.R, Rinv) != 0)
        return MMS_ECOMPUTE;
    for (int k = 0; k < 3; k++)
        c.h[k] = sqrt(Rinv[0][k] * Rinv[0][k] + Rinv[1][k] * Rinv[1][k] +
                      Rinv[2][k] * Rinv[2][k]);
    for (int k = 0; k < 27; k++) {
        double img[3] = {(double)(k / 9 - 1), (double)((k / 3) % 3 - 1), (double)(k % 3 - 1)};
        for (int q = 0; q < 3; q++) {
            double acc = 0.0;
            for (int l = 0; l < 3; l++)
                acc += img[l] * c.R[l][q];
            c.im[k][q] = acc;
        }
    }
    c.w = malloc(n * sizeof *c.w);
    c.cart = malloc(n * sizeof *c.cart);
    if (!c.w || !c.cart) {
        free(c.w);
        free(c.cart);
        return MMS_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        for (int q = 0; q < 3; q++) {
            double f = 0.0;
            for (int l = 0; l < 3; l++)
                f += frac[i][l] * Tinv[l][q];
            c.w[i][q] = py_mod1(f);
        }
        for (int q = 0; q < 3; q++) {
            double acc = 0.0;
            for (int l = 0; l < 3; l++)
                acc += c.w[i][l] * c.R[l][q];
            c.cart[i][q] = acc;
        }
    }

    /* Start near the typical neighbour distance; widen until a pair is
     * seen within the radius (then it is the closest). */
    double vol = fabs(det3(c.R));
    double r = 1.2 * cbrt(vol / (double)n);
    if (!(r > 0) || !isfinite(r))
        r = 1.0;
    best_pair bp = {INFINITY, 0, 0, {0, 0, 0}};
    /* Small cells: every pair once, no radius (each pair's own pymatgen
     * distance bounds its search). */
    for (size_t i = 0; n <= 48 && i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            consider(&c, i, j, INFINITY, &bp);
    for (int round = 0; n > 48 && round < 64; round++) {
        int rc = scan_bins(&c, r, &bp);
        if (rc != MMS_OK) {
            free(c.w);
            free(c.cart);
            return rc;
        }
        if (bp.d2 <= r * r)
            break;
        r *= 2.0;
    }

    int rc = MMS_OK;
    if (!isfinite(bp.d2)) {
        rc = MMS_ECOMPUTE;
    } else {
        out->found = 1;
        out->exact_complete = !c.incomplete;
        out->exact = sqrt(bp.d2);
        out->i = bp.i;
        out->j = bp.j;
        /* pymatgen sees the same pair at the same distance when the best
         * translation is among its 27; otherwise scan every pair its way. */
        double pm2 = pair_pymatgen_d2(&c, bp.i, bp.j, NULL);
        if (pm2 != bp.d2) {
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                    double d = pair_pymatgen_d2(&c, i, j, NULL);
                    if (d < pm2)
                        pm2 = d;
                }
        }
        out->pymatgen = sqrt(pm2);
        /* translation in the input basis: f = f_lll @ T */
        for (int q = 0; q < 3; q++) {
            double lll = 0.0;
            for (int l = 0; l < 3; l++)
                lll += (c.w[bp.j][l] + bp.n[l] - c.w[bp.i][l]) * T[l][q];
            out->image[q] = (int)lround(lll - (frac[bp.j][q] - frac[bp.i][q]));
        }
    }
    free(c.w);
    free(c.cart);
    return rc;
}
