/* Lattice operations of pymatgen 2022.11.7 (core/lattice.py and the cell
 * list of optimization/neighbors.pyx) that StructureMatcher's verdicts rest
 * on.  Written here rather than taken from spglib: spglib's Niggli reduction
 * (spg_niggli_reduce) is Krivy-Gruber on the cell itself, while pymatgen
 * LLL-reduces first, runs Grosse-Kunstleve's variant on the metric tensor
 * with tolerance 1e-5 V^(1/3), rebuilds the cell from the six parameters and
 * then picks the first matching lattice of the *original* cell in its
 * neighbour-list order: a different, equally valid reduced cell changes
 * which of several equivalent site orders and mappings are tried, hence ties
 * and max distances.  GSL's linear algebra is not needed for 3x3 problems. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

double mmsm_det(const double m[3][3])
{
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

/* abs(dot(cross(m0, m1), m2)), pymatgen's Lattice.volume */
double mmsm_volume(const double m[3][3])
{
    double c0 = m[0][1] * m[1][2] - m[0][2] * m[1][1];
    double c1 = m[0][2] * m[1][0] - m[0][0] * m[1][2];
    double c2 = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    return fabs(c0 * m[2][0] + c1 * m[2][1] + c2 * m[2][2]);
}

/* numpy.linalg.inv, bit for bit: numpy solves A X = I with the reference
 * LAPACK dgesv (Debian's numpy links netlib BLAS/LAPACK), i.e. LU with
 * partial pivoting as dgetrf2 orders it (column scaled by the reciprocal
 * of the pivot), then the two triangular solves of dgetrs.  Sites at
 * exactly half a lattice vector tie between two periodic images, and which
 * one wins follows the last bits of these inverses. */
int mmsm_inv(const double m[3][3], double o[3][3])
{
    double a[3][3], b[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    int piv[3];
    memcpy(a, m, sizeof a);
    for (int col = 0; col < 3; col++) {
        int p = col;
        double mx = fabs(a[col][col]);
        for (int i = col + 1; i < 3; i++)
            if (fabs(a[i][col]) > mx) mx = fabs(a[i][col]), p = i;
        piv[col] = p;
        if (!(a[p][col] != 0) || !isfinite(a[p][col])) return -1;
        if (p != col) {
            double t = a[p][col];
            a[p][col] = a[col][col], a[col][col] = t;
        }
        if (col < 2) {
            double r = 1.0 / a[col][col];
            for (int i = col + 1; i < 3; i++) a[i][col] *= r;
        }
        if (p != col)
            for (int j = col + 1; j < 3; j++) {
                double t = a[p][j];
                a[p][j] = a[col][j], a[col][j] = t;
            }
        for (int j = col + 1; j < 3; j++) {
            double temp = -a[col][j];
            for (int i = col + 1; i < 3; i++) a[i][j] = a[i][j] + temp * a[i][col];
        }
    }
    for (int col = 1; col < 3; col++) /* later swaps on the earlier columns */
        if (piv[col] != col)
            for (int j = 0; j < col; j++) {
                double t = a[piv[col]][j];
                a[piv[col]][j] = a[col][j], a[col][j] = t;
            }
    for (int k = 0; k < 3; k++)
        if (piv[k] != k)
            for (int j = 0; j < 3; j++) {
                double t = b[piv[k]][j];
                b[piv[k]][j] = b[k][j], b[k][j] = t;
            }
    for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 3; k++)
            if (b[k][j] != 0)
                for (int i = k + 1; i < 3; i++) b[i][j] = b[i][j] - b[k][j] * a[i][k];
        for (int k = 2; k >= 0; k--)
            if (b[k][j] != 0) {
                b[k][j] = b[k][j] / a[k][k];
                for (int i = 0; i < k; i++) b[i][j] = b[i][j] - b[k][j] * a[i][k];
            }
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (!isfinite(b[i][j])) return -1;
    memcpy(o, b, sizeof b);
    return 0;
}

static double abs_cap(double x) { return x > 1 ? 1 : x < -1 ? -1 : x; }

void mmsm_params(const double m[3][3], double p[6])
{
    for (int i = 0; i < 3; i++) p[i] = sqrt(m[i][0] * m[i][0] + m[i][1] * m[i][1] + m[i][2] * m[i][2]);
    for (int i = 0; i < 3; i++) {
        int j = (i + 1) % 3, k = (i + 2) % 3;
        double dot = m[j][0] * m[k][0] + m[j][1] * m[k][1] + m[j][2] * m[k][2];
        p[3 + i] = acos(abs_cap(dot / (p[j] * p[k]))) * 180.0 / MMSM_PI;
    }
}

/* lengths of Lattice.reciprocal_lattice (2 pi inv(m).T) */
void mmsm_recip_abc(const double m[3][3], double abc[3])
{
    double iv[3][3];
    if (mmsm_inv(m, iv)) {
        abc[0] = abc[1] = abc[2] = INFINITY;
        return;
    }
    for (int i = 0; i < 3; i++) {
        double s = 0;
        for (int k = 0; k < 3; k++) {
            double x = iv[k][i] * 2 * MMSM_PI;
            s += x * x;
        }
        abc[i] = sqrt(s);
    }
}

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* Lattice._calculate_lll(delta=0.75), on columns as pymatgen writes it. */
int mmsm_lll(const double m[3][3], double red[3][3], double mapping[3][3])
{
    const double delta = 0.75;
    double a[3][3], b[3][3], u[3][3] = {{0}}, mm[3], map[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    /* a[i] is column i of pymatgen's a (= lattice row i); same for b, map */
    memcpy(a, m, sizeof a);
    memcpy(b[0], a[0], sizeof b[0]);
    mm[0] = dot3(b[0], b[0]);
    for (int i = 1; i < 3; i++) {
        for (int t = 0; t < i; t++) u[i][t] = dot3(a[i], b[t]) / mm[t];
        for (int l = 0; l < 3; l++) {
            double s = 0;
            for (int t = 0; t < i; t++) s += b[t][l] * u[i][t];
            b[i][l] = a[i][l] - s;
        }
        mm[i] = dot3(b[i], b[i]);
    }
    int k = 2, guard = 0;
    while (k <= 3) {
        if (++guard > 10000) return -1; /* only reached on degenerate input */
        for (int i = k - 1; i >= 1; i--) {
            double q = nearbyint(u[k - 1][i - 1]);
            if (q != 0) {
                for (int l = 0; l < 3; l++) {
                    a[k - 1][l] -= q * a[i - 1][l];
                    map[k - 1][l] -= q * map[i - 1][l];
                }
                double uu[3];
                for (int t = 0; t < i - 1; t++) uu[t] = u[i - 1][t];
                uu[i - 1] = 1;
                for (int t = 0; t < i; t++) u[k - 1][t] -= q * uu[t];
            }
        }
        if (dot3(b[k - 1], b[k - 1]) >=
            (delta - fabs(u[k - 1][k - 2]) * fabs(u[k - 1][k - 2])) * dot3(b[k - 2], b[k - 2])) {
            k++;
        } else {
            double v[3];
            memcpy(v, a[k - 1], sizeof v);
            memcpy(a[k - 1], a[k - 2], sizeof v);
            memcpy(a[k - 2], v, sizeof v);
            memcpy(v, map[k - 1], sizeof v);
            memcpy(map[k - 1], map[k - 2], sizeof v);
            memcpy(map[k - 2], v, sizeof v);
            for (int s = k - 1; s <= k; s++) {
                for (int t = 0; t < s - 1; t++) u[s - 1][t] = dot3(a[s - 1], b[t]) / mm[t];
                for (int l = 0; l < 3; l++) {
                    double sum = 0;
                    for (int t = 0; t < s - 1; t++) sum += b[t][l] * u[s - 1][t];
                    b[s - 1][l] = a[s - 1][l] - sum;
                }
                mm[s - 1] = dot3(b[s - 1], b[s - 1]);
            }
            if (k > 2) {
                k--;
            } else {
                /* p / diag(m) (pymatgen solves it by least squares) */
                for (int r = k; r < 3; r++)
                    for (int t = k - 2; t < k; t++) u[r][t] = dot3(a[r], b[t]) / mm[t];
            }
        }
        for (int t = 0; t < 3; t++)
            if (!isfinite(mm[t]) || mm[t] == 0) return -1;
    }
    memcpy(red, a, sizeof a);
    memcpy(mapping, map, sizeof map);
    return 0;
}

/* ---- get_points_in_sphere([[0,0,0]], [0,0,0], r) ----
 * The lattice points within r of the origin in the order pymatgen's cell
 * list returns them: cubes of edge r around the origin's cube in offset
 * order (-1..1 lexicographic), each cube's points last-inserted first, the
 * points inserted image by image (i, j, k lexicographic).  r is a C float
 * there (the Cython signature), so it is here. */
typedef struct pts {
    size_t n, cap;
    double (*frac)[3];
    double *dist;
} pts;

#define MMSM_MAX_IMAGES 4000000L

static int points_in_sphere(const double L[3][3], float r, pts *out, mms_error *err)
{
    out->n = 0;
    if (r < 1.0f) {
        int rc = points_in_sphere(L, 1.0f, out, err);
        if (rc) return rc;
        size_t w = 0;
        for (size_t i = 0; i < out->n; i++)
            if (out->dist[i] <= (double)r) {
                memmove(out->frac[w], out->frac[i], sizeof out->frac[0]);
                out->dist[w++] = out->dist[i];
            }
        out->n = w;
        return 0;
    }
    const double tol = 1e-8;
    double ledge = r < 0.1f ? 0.1 : (double)r;
    double vmax[3], vmin[3], maxr[3];
    for (int i = 0; i < 3; i++) vmax[i] = 0.0 + r + tol, vmin[i] = 0.0 - r - tol;
    /* get_max_r: reciprocal vectors from cross products */
    double prod = 0;
    for (int i = 0; i < 3; i++) {
        const double *a2 = L[(i + 1) % 3], *a3 = L[(i + 2) % 3];
        double cr[3] = {a2[1] * a3[2] - a2[2] * a3[1], a2[2] * a3[0] - a2[0] * a3[2],
                        a2[0] * a3[1] - a2[1] * a3[0]};
        prod = dot3(L[i], cr);
        double s = 0;
        for (int l = 0; l < 3; l++) {
            double x = 2 * MMSM_PI * cr[l] / prod;
            s += x * x;
        }
        maxr[i] = ceil((r + 0.15) * sqrt(s) / (2 * MMSM_PI));
    }
    long lo[3], hi[3], total = 1;
    for (int i = 0; i < 3; i++) {
        if (!isfinite(maxr[i]) || maxr[i] > 1e6) goto degenerate;
        lo[i] = (long)floor(0.0 - maxr[i] - 1e-8);
        hi[i] = (long)ceil(0.0 + maxr[i] + 1e-8);
        total *= hi[i] - lo[i];
        if (total > MMSM_MAX_IMAGES) goto degenerate;
    }
    long nc[3];
    for (int i = 0; i < 3; i++) nc[i] = (long)ceil((vmax[i] - vmin[i]) / ledge);
    long cc[3];
    for (int i = 0; i < 3; i++) cc[i] = (long)floor((0.0 - vmin[i] + 1e-8) / ledge);
    /* candidates: inserted in image order; bucket them by neighbour slot */
    typedef struct cand { int slot; long order; double c[3]; int img[3]; } cand;
    size_t ncand = 0, capc = 64;
    cand *cs = malloc(capc * sizeof *cs);
    if (!cs) return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    long order = 0;
    for (long i = lo[0]; i < hi[0]; i++)
        for (long j = lo[1]; j < hi[1]; j++)
            for (long k = lo[2]; k < hi[2]; k++) {
                double c[3];
                for (int m = 0; m < 3; m++)
                    c[m] = (double)i * L[0][m] + (double)j * L[1][m] + (double)k * L[2][m] + 0.0;
                if (!(c[0] > vmin[0] && c[0] < vmax[0] && c[1] > vmin[1] && c[1] < vmax[1] &&
                      c[2] > vmin[2] && c[2] < vmax[2]))
                    continue;
                order++;
                long ci[3];
                int slot = 0, ok = 1;
                for (int m = 0; m < 3; m++) {
                    ci[m] = (long)mmsm_floor((c[m] - vmin[m] + 1e-8) / ledge);
                    long dlt = ci[m] - cc[m];
                    if (dlt < -1 || dlt > 1 || ci[m] < 0 || ci[m] >= nc[m]) ok = 0;
                    slot = slot * 3 + (int)(dlt + 1);
                }
                if (!ok) continue;
                double d2 = 0;
                for (int m = 0; m < 3; m++) d2 += (c[m] - 0.0) * (c[m] - 0.0);
                if (!(d2 < (double)(r * r) + tol)) continue;
                if (ncand == capc) {
                    cand *t = realloc(cs, 2 * capc * sizeof *cs);
                    if (!t) {
                        free(cs);
                        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
                    }
                    cs = t, capc *= 2;
                }
                cand *x = &cs[ncand++];
                x->slot = slot, x->order = order;
                memcpy(x->c, c, sizeof c);
                x->img[0] = (int)i, x->img[1] = (int)j, x->img[2] = (int)k;
            }
    /* emit: slot ascending, then latest insertion first */
    if (out->cap < ncand) {
        void *f = realloc(out->frac, ncand * sizeof *out->frac);
        if (f) out->frac = f;
        void *d = realloc(out->dist, ncand * sizeof *out->dist);
        if (d) out->dist = d;
        if (!f || !d) {
            free(cs);
            return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        }
        out->cap = ncand;
    }
    /* a counting sort by slot, each slot filled from the latest candidate
     * back: the order of the 27 scans of all candidates it replaces */
    size_t at[28] = {0};
    for (size_t q = 0; q < ncand; q++) at[cs[q].slot + 1]++;
    for (int slot = 0; slot < 27; slot++) at[slot + 1] += at[slot];
    for (size_t q = ncand; q-- > 0;) {
        size_t w = at[cs[q].slot]++;
        for (int m = 0; m < 3; m++) out->frac[w][m] = cs[q].img[m];
        double d2 = 0;
        for (int m = 0; m < 3; m++) d2 += cs[q].c[m] * cs[q].c[m];
        out->dist[w] = sqrt(d2);
    }
    out->n = ncand;
    free(cs);
    return 0;
degenerate:
    return mms_error_set(err, MMS_ECOMPUTE, 0,
                         "degenerate lattice: too many lattice points to search within %.3g A",
                         (double)r);
}

/* acos is monotone, so a cosine clearly outside [cos(target + atol),
 * cos(target - atol)] cannot pass the test: the margin 1e-6 on the cosine
 * is at least 5e-5 degrees on the angle (|d acos/dx| >= 1), far above the
 * rounding of the reference's expression, which decides every cosine
 * inside the margin as before.  Saves most acos calls. */
typedef struct angle_test {
    double target, atol, xmin, xmax;
} angle_test;

static angle_test angle_test_make(double target, double atol)
{
    double hi = target + atol, lo = target - atol;
    angle_test t = {target, atol, hi < 180 ? cos(hi * MMSM_PI / 180.0) - 1e-6 : -INFINITY,
                    lo > 0 ? cos(lo * MMSM_PI / 180.0) + 1e-6 : INFINITY};
    return t;
}

static unsigned char angle_ok(const angle_test *t, const double *v1, double l1, const double *v2, double l2)
{
    double x = dot3(v1, v2) / l1 / l2;
    if (x > 1) x = 1;
    if (x < -1) x = -1;
    if (x < t->xmin || x > t->xmax) return 0;
    return fabs(acos(x) * 180.0 / MMSM_PI - t->target) < t->atol;
}

static void angles_between(const double (*v1)[3], const double *l1, size_t n1, const double (*v2)[3],
                           const double *l2, size_t n2, double target, double atol, unsigned char *ok)
{
    angle_test t = angle_test_make(target, atol);
    for (size_t i = 0; i < n1; i++)
        for (size_t j = 0; j < n2; j++) ok[i * n2 + j] = angle_ok(&t, v1[i], l1[i], v2[j], l2[j]);
}

int mmsm_find_mappings(const double self[3][3], const double other[3][3], double ltol,
                       double atol, mmsm_mapping_cb cb, void *ctx, mms_error *err)
{
    double p[6];
    mmsm_params(other, p);
    double maxl = fmax(p[0], fmax(p[1], p[2]));
    pts P = {0};
    int rc = points_in_sphere(self, (float)(maxl * (1 + ltol)), &P, err);
    if (rc) {
        free(P.frac), free(P.dist);
        return rc;
    }
    size_t n = P.n, cnt[3] = {0};
    double (*cart)[3] = malloc((n ? n : 1) * sizeof *cart);
    size_t *idx[3];
    for (int t = 0; t < 3; t++) idx[t] = malloc((n ? n : 1) * sizeof(size_t));
    double *len[3];
    for (int t = 0; t < 3; t++) len[t] = malloc((n ? n : 1) * sizeof(double));
    double (*cv[3])[3];
    for (int t = 0; t < 3; t++) cv[t] = malloc((n ? n : 1) * sizeof *cv[t]);
    unsigned char *al = NULL, *be = NULL, *ga = NULL;
    if (!cart || !idx[0] || !idx[1] || !idx[2] || !len[0] || !len[1] || !len[2] || !cv[0] ||
        !cv[1] || !cv[2]) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (size_t q = 0; q < n; q++)
        for (int m = 0; m < 3; m++)
            cart[q][m] = P.frac[q][0] * self[0][m] + P.frac[q][1] * self[1][m] + P.frac[q][2] * self[2][m];
    for (int t = 0; t < 3; t++)
        for (size_t q = 0; q < n; q++) {
            double r = P.dist[q] / p[t];
            if (r < 1 + ltol && r > 1 / (1 + ltol)) {
                idx[t][cnt[t]] = q;
                memcpy(cv[t][cnt[t]], cart[q], sizeof cart[q]);
                len[t][cnt[t]] = sqrt(cart[q][0] * cart[q][0] + cart[q][1] * cart[q][1] +
                                      cart[q][2] * cart[q][2]);
                cnt[t]++;
            }
        }
    /* pymatgen passes Niggli's absolute tolerance 1e-5 V^(1/3) as a
     * fractional ltol, so cells of 10^4 A and more accept nearly every
     * vector: refuse rather than fill gigabytes of angle tables */
    if ((double)cnt[1] * cnt[2] > 2e7 || (double)cnt[0] * cnt[2] > 2e7 || (double)cnt[0] * cnt[1] > 2e7) {
        rc = mms_error_set(err, MMS_ELIMIT, 0,
                           "lattice search too large (%zu x %zu x %zu candidate vectors): degenerate or "
                           "huge cell", cnt[0], cnt[1], cnt[2]);
        goto out;
    }
    al = malloc(cnt[1] * cnt[2] + 1);
    be = malloc(cnt[0] * cnt[2] + 1);
    ga = malloc(cnt[0] * cnt[1] + 1);
    if (!al || !be || !ga) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        goto out;
    }
    /* gamma for every pair; alpha and beta only for the entries the loop
     * reaches (2 = not computed yet): each entry is the same pure test, so
     * the mappings and their order are unchanged */
    angles_between((const double (*)[3])cv[0], len[0], cnt[0], (const double (*)[3])cv[1], len[1], cnt[1], p[5], atol, ga);
    memset(al, 2, cnt[1] * cnt[2] + 1);
    memset(be, 2, cnt[0] * cnt[2] + 1);
    angle_test t_al = angle_test_make(p[3], atol), t_be = angle_test_make(p[4], atol);
    rc = 0;
    for (size_t i = 0; i < cnt[0] && !rc; i++)
        for (size_t j = 0; j < cnt[1] && !rc; j++) {
            if (!ga[i * cnt[1] + j]) continue;
            for (size_t k = 0; k < cnt[2] && !rc; k++) {
                unsigned char *a = &al[j * cnt[2] + k];
                if (*a == 2) *a = angle_ok(&t_al, cv[1][j], len[1][j], cv[2][k], len[2][k]);
                if (!*a) continue;
                unsigned char *b = &be[i * cnt[2] + k];
                if (*b == 2) *b = angle_ok(&t_be, cv[0][i], len[0][i], cv[2][k], len[2][k]);
                if (!*b) continue;
                double sc[3][3], am[3][3];
                memcpy(sc[0], P.frac[idx[0][i]], sizeof sc[0]);
                memcpy(sc[1], P.frac[idx[1][j]], sizeof sc[1]);
                memcpy(sc[2], P.frac[idx[2][k]], sizeof sc[2]);
                if (fabs(mmsm_det(sc)) < 1e-8) continue;
                memcpy(am[0], cv[0][i], sizeof am[0]);
                memcpy(am[1], cv[1][j], sizeof am[1]);
                memcpy(am[2], cv[2][k], sizeof am[2]);
                rc = cb(ctx, (const double (*)[3])am, (const double (*)[3])sc);
            }
        }
out:
    free(P.frac), free(P.dist), free(cart), free(al), free(be), free(ga);
    for (int t = 0; t < 3; t++) free(idx[t]), free(len[t]), free(cv[t]);
    return rc;
}

/* ---- Niggli ---- */
static void transform(double G[3][3], const double M[3][3])
{
    double t[3][3], r[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t[i][j] = G[i][0] * M[0][j] + G[i][1] * M[1][j] + G[i][2] * M[2][j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i][j] = M[0][i] * t[0][j] + M[1][i] * t[1][j] + M[2][i] * t[2][j];
    memcpy(G, r, sizeof r);
}

static double sgn(double x) { return x / fabs(x); }

typedef struct first_map { double m[3][3]; int found; } first_map;
static int take_first(void *ctx, const double aligned[3][3], const double scale[3][3])
{
    (void)scale;
    first_map *f = ctx;
    memcpy(f->m, aligned, sizeof f->m);
    f->found = 1;
    return 1;
}

int mmsm_niggli(const double m[3][3], double out[3][3], mms_error *err)
{
    const double tol = 1e-5;
    double lll[3][3], map[3][3];
    double vol = mmsm_volume(m);
    if (!(vol > 0) || !isfinite(vol) || mmsm_lll(m, lll, map))
        return mms_error_set(err, MMS_ECOMPUTE, 0, "degenerate lattice (volume %g A^3)", vol);
    double e = tol * pow(vol, 1.0 / 3);
    double G[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) G[i][j] = dot3(lll[i], lll[j]);
    for (int it = 0; it < 100; it++) {
        double A = G[0][0], B = G[1][1], C = G[2][2], E = 2 * G[1][2], N = 2 * G[0][2], Y = 2 * G[0][1];
        if (A > B + e || (fabs(A - B) < e && fabs(E) > fabs(N) + e)) {
            const double M[3][3] = {{0, -1, 0}, {-1, 0, 0}, {0, 0, -1}};
            transform(G, M);
        }
        /* pymatgen tests A2, and computes the signs of A3/A4, with the values
         * read before A1 swapped a and b: kept, it decides which of several
         * near-Niggli cells comes out (and so the primitive-cell search) */
        if (B > C + e || (fabs(B - C) < e && fabs(N) > fabs(Y) + e)) {
            const double M[3][3] = {{-1, 0, 0}, {0, 0, -1}, {0, -1, 0}};
            transform(G, M);
            continue;
        }
        double l = fabs(E) < e ? 0 : E / fabs(E), mm = fabs(N) < e ? 0 : N / fabs(N),
               n = fabs(Y) < e ? 0 : Y / fabs(Y);
        if (l * mm * n == 1) {
            const double M[3][3] = {{l == -1 ? -1 : 1, 0, 0}, {0, mm == -1 ? -1 : 1, 0}, {0, 0, n == -1 ? -1 : 1}};
            transform(G, M);
        } else if (l * mm * n == 0 || l * mm * n == -1) {
            double i = l == 1 ? -1 : 1, j = mm == 1 ? -1 : 1, k = n == 1 ? -1 : 1;
            if (i * j * k == -1) {
                if (n == 0)
                    k = -1;
                else if (mm == 0)
                    j = -1;
                else if (l == 0)
                    i = -1;
            }
            const double M[3][3] = {{i, 0, 0}, {0, j, 0}, {0, 0, k}};
            transform(G, M);
        }
        A = G[0][0], B = G[1][1], C = G[2][2], E = 2 * G[1][2], N = 2 * G[0][2], Y = 2 * G[0][1];
        if (fabs(E) > B + e || (fabs(E - B) < e && 2 * N < Y - e) || (fabs(E + B) < e && Y < -e)) {
            const double M[3][3] = {{1, 0, 0}, {0, 1, -sgn(E)}, {0, 0, 1}};
            transform(G, M);
            continue;
        }
        if (fabs(N) > A + e || (fabs(A - N) < e && 2 * E < Y - e) || (fabs(A + N) < e && Y < -e)) {
            const double M[3][3] = {{1, 0, -sgn(N)}, {0, 1, 0}, {0, 0, 1}};
            transform(G, M);
            continue;
        }
        if (fabs(Y) > A + e || (fabs(A - Y) < e && 2 * E < N - e) || (fabs(A + Y) < e && N < -e)) {
            const double M[3][3] = {{1, -sgn(Y), 0}, {0, 1, 0}, {0, 0, 1}};
            transform(G, M);
            continue;
        }
        double s = E + N + Y + A + B;
        if (s < -e || (fabs(s) < e && e < Y + (A + N) * 2)) {
            const double M[3][3] = {{1, 0, 1}, {0, 1, 1}, {0, 0, 1}};
            transform(G, M);
            continue;
        }
        (void)C;
        break;
    }
    double A = G[0][0], B = G[1][1], C = G[2][2], E = 2 * G[1][2], N = 2 * G[0][2], Y = 2 * G[0][1];
    double abc[3] = {sqrt(A), sqrt(B), sqrt(C)};
    double ang[3] = {acos(E / 2 / abc[1] / abc[2]) / MMSM_PI * 180, acos(N / 2 / abc[0] / abc[2]) / MMSM_PI * 180,
                     acos(Y / 2 / abc[0] / abc[1]) / MMSM_PI * 180};
    for (int i = 0; i < 3; i++)
        if (!isfinite(abc[i]) || !isfinite(ang[i]))
            return mms_error_set(err, MMS_ECOMPUTE, 0, "degenerate lattice: Niggli reduction failed");
    double latt[3][3];
    double par[6] = {abc[0], abc[1], abc[2], ang[0], ang[1], ang[2]};
    mmsm_from_parameters(latt, par);
    first_map f = {.found = 0};
    int rc = mmsm_find_mappings(m, (const double (*)[3])latt, e, 1.0, take_first, &f, err);
    if (rc < 0) return rc;
    if (!f.found) return mms_error_set(err, MMS_ECOMPUTE, 0, "can't find niggli (as pymatgen)");
    double sign = mmsm_det(f.m) > 0 ? 1 : -1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) out[i][j] = sign * f.m[i][j];
    return 0;
}

/* Lattice.from_parameters (vesta=False), gamma* cosine capped to [-1, 1] */
int mmsm_from_parameters(double out[3][3], const double p[6])
{
    const double rad = MMSM_PI / 180.0; /* np.radians */
    double ar = p[3] * rad, br = p[4] * rad, gr = p[5] * rad;
    double ca = cos(ar), cb = cos(br), cg = cos(gr), sa = sin(ar), sb = sin(br);
    double val = abs_cap((ca * cb - cg) / (sa * sb));
    double gs = acos(val);
    double o[3][3] = {{p[0] * sb, 0.0, p[0] * cb}, {-p[1] * sa * cos(gs), p[1] * sa * sin(gs), p[1] * ca},
                      {0.0, 0.0, p[2]}};
    memcpy(out, o, sizeof o);
    return 0;
}
