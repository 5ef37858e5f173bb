/* pymatgen 2022.11.7 StructureMatcher (analysis/structure_matcher.py) with
 * the structure reductions it calls (core/structure.py
 * get_reduced_structure, get_primitive_structure) and the Cython kernels
 * (util/coord_cython.pyx is_coord_subset_pbc, pbc_shortest_vectors).
 * Each function names the pymatgen function it follows; iteration orders,
 * strict/non-strict comparisons and tolerances are the reference's because
 * the verdicts and the max distance depend on them (first mapping found,
 * first minimum kept). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"
#include "mmscore/match.h"
#include "mmscore/structure.h"
#include "match_internal.h"

/* Memory bounds: the primitive-cell search keeps an n x n table per
 * species, matching n x n costs and vectors (about 40 bytes a pair). */
#define MMSM_MAX_CELL_SITES 4000
#define MMSM_MAX_MATCH_SITES 2000

#define OOM(err) mms_error_set((err), MMS_ENOMEM, 0, "out of memory")

typedef struct species {
    int z;
    int has_ox;
    double ox;
    char label[24]; /* pymatgen's species_string: "Fe", "Fe2+", "O2-" */
} species;

/* a working structure: lattice, fractional positions, species ids */
typedef struct wstruct {
    double lat[3][3];
    size_t n;
    double (*f)[3];
    int *sp;
} wstruct;

struct mms_match_cell {
    wstruct s;
    size_t nsp;
    species *sps;
};

/* ------------------------------------------------------------- presets */
int mms_match_options_preset(mms_match_options *o, const char *name, mms_error *err)
{
    mms_match_options d = {0.2, 0.3, 5, 1, 1, 0, 0, MMS_MATCH_SPECIES};
    if (!o || !name) return mms_error_set(err, MMS_EINVAL, 0, "match preset: NULL argument");
    if (!strcmp(name, "default")) {
    } else if (!strcmp(name, "cdvae")) {
        d.ltol = 0.3, d.stol = 0.5, d.angle_tol = 10;
    } else if (!strcmp(name, "supercell")) {
        d.attempt_supercell = 1, d.comparator = MMS_MATCH_ELEMENT;
    } else {
        return mms_error_set(err, MMS_EINVAL, 0,
                             "unknown match preset '%s' (expected default, cdvae or supercell)", name);
    }
    *o = d;
    return MMS_OK;
}

/* ------------------------------------------------------------ wstruct */
static void ws_free(wstruct *w)
{
    free(w->f), free(w->sp);
    w->f = NULL, w->sp = NULL, w->n = 0;
}

static int ws_alloc(wstruct *w, size_t n)
{
    w->n = n;
    w->f = malloc((n ? n : 1) * sizeof *w->f);
    w->sp = malloc((n ? n : 1) * sizeof *w->sp);
    if (!w->f || !w->sp) {
        ws_free(w);
        return -1;
    }
    return 0;
}

static int ws_copy(wstruct *dst, const wstruct *src)
{
    if (ws_alloc(dst, src->n)) return -1;
    memcpy(dst->lat, src->lat, sizeof dst->lat);
    memcpy(dst->f, src->f, src->n * sizeof *src->f);
    memcpy(dst->sp, src->sp, src->n * sizeof *src->sp);
    return 0;
}

/* |x - rint(x)| equals |x - round(x)|: the two roundings differ only at
 * halves, where both distances are 0.5, so mmsm_frac_dist serves both */
#define mod1 mmsm_mod1

static void frac_to_cart(const double lat[3][3], const double f[3], double c[3])
{
    for (int m = 0; m < 3; m++) c[m] = f[0] * lat[0][m] + f[1] * lat[1][m] + f[2] * lat[2][m];
}

static void row_mul(const double v[3], const double M[3][3], double o[3])
{
    double t[3];
    for (int m = 0; m < 3; m++) t[m] = v[0] * M[0][m] + v[1] * M[1][m] + v[2] * M[2][m];
    memcpy(o, t, sizeof t);
}

/* np.allclose(a, b) */
static int allclose(const double a[3][3], const double b[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (!(fabs(a[i][j] - b[i][j]) <= 1e-8 + 1e-5 * fabs(b[i][j]))) return 0;
    return 1;
}

/* Structure.get_reduced_structure("niggli"): the Niggli lattice, sites
 * re-expressed in it and wrapped into [0, 1) (only if the lattice changed) */
static int ws_niggli(wstruct *w, mms_error *err)
{
    double nl[3][3], iv[3][3];
    int rc = mmsm_niggli((const double (*)[3])w->lat, nl, err);
    if (rc) return rc;
    if (allclose((const double (*)[3])nl, (const double (*)[3])w->lat)) return 0;
    if (mmsm_inv((const double (*)[3])nl, iv))
        return mms_error_set(err, MMS_ECOMPUTE, 0, "degenerate lattice");
    for (size_t i = 0; i < w->n; i++) {
        double c[3];
        frac_to_cart((const double (*)[3])w->lat, w->f[i], c);
        row_mul(c, (const double (*)[3])iv, w->f[i]);
        for (int m = 0; m < 3; m++) w->f[i][m] = mod1(w->f[i][m]);
    }
    memcpy(w->lat, nl, sizeof nl);
    return 0;
}

/* --------------------------------------------- get_primitive_structure */
static double round_half_even(double x) { return mmsm_rint(x); }

/* Index sorts with a context argument.  C17's qsort has none (qsort_r is
 * a GNU extension whose BSD namesake takes its arguments in another
 * order), and a comparator without one needs its keys in a global: a
 * thread-local one there made LeakSanitizer's tracer crash at exit reading
 * the dlopen'ed plugin's dynamic TLS.  So a small merge sort: stable,
 * splitting and merging as glibc's qsort (msort) does, so a comparator's
 * ties and its few non-transitive cases (compositions equal within 1e-8)
 * order the same way as before. */
typedef int (*idx_cmp)(const void *ctx, size_t a, size_t b);

static void sort_idx(size_t *idx, size_t n, size_t *tmp, idx_cmp cmp, const void *ctx)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_idx(idx, h, tmp, cmp, ctx);
    sort_idx(idx + h, n - h, tmp, cmp, ctx);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp(ctx, idx[i], idx[j]) <= 0 ? idx[i++] : idx[j++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

typedef struct label_keys {
    const species *sps;
    const int *sp;
} label_keys;

static int cmp_label(const void *ctx, size_t a, size_t b)
{
    const label_keys *k = ctx;
    return strcmp(k->sps[k->sp[a]].label, k->sps[k->sp[b]].label);
}

static size_t gcd_sz(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b, b = t;
    }
    return a;
}

/* all three components within tol, evaluated without a branch (the
 * outcome is data-dependent; NaN fails as before) */
static int close_frac(const double a[3], const double b[3], const double tol[3])
{
    return (mmsm_frac_dist(a[0] - b[0]) < tol[0]) & (mmsm_frac_dist(a[1] - b[1]) < tol[1]) &
           (mmsm_frac_dist(a[2] - b[2]) < tol[2]);
}

static int ws_primitive(const wstruct *in, const species *sps, wstruct *out, mms_error *err);

/* tries one supercell matrix; returns 1 and fills *res when it gives a
 * valid smaller cell, 0 when not, <0 on error */
static int try_hnf(const wstruct *in, const species *sps, const size_t *order, size_t ng,
                   const size_t *gstart, const size_t *gsize, unsigned char *const *non_nbrs,
                   const double m[3][3], const double inv_m[3][3], size_t size, wstruct *res,
                   mms_error *err)
{
    const double tolerance = 0.25;
    double new_m[3][3], ftol[3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            new_m[i][j] = inv_m[i][0] * in->lat[0][j] + inv_m[i][1] * in->lat[1][j] + inv_m[i][2] * in->lat[2][j];
    for (int i = 0; i < 3; i++)
        ftol[i] = tolerance / sqrt(new_m[i][0] * new_m[i][0] + new_m[i][1] * new_m[i][1] + new_m[i][2] * new_m[i][2]);
    size_t nmax = 0;
    for (size_t g = 0; g < ng; g++)
        if (gsize[g] > nmax) nmax = gsize[g];
    double (*all)[3] = malloc(nmax * sizeof *all);
    unsigned char *adj = malloc(nmax * nmax);
    unsigned char *added = malloc(nmax);
    size_t nout = 0;
    if (ws_alloc(res, in->n / size + 1) || !all || !adj || !added) {
        free(all), free(adj), free(added), ws_free(res);
        return OOM(err);
    }
    int valid = 1;
    for (size_t g = 0; g < ng && valid; g++) {
        size_t gn = gsize[g];
        for (size_t a = 0; a < gn; a++) {
            const double *f = in->f[order[gstart[g] + a]];
            for (int j = 0; j < 3; j++) all[a][j] = f[0] * m[0][j] + f[1] * m[1][j] + f[2] * m[2][j];
        }
        for (size_t i = 0; i < gn; i++)
            for (size_t j = 0; j < gn; j++) {
                int close = 1;
                for (int k = 0; k < 3 && close; k++) {
                    double d = all[j][k] - all[i][k];
                    if (!(mmsm_frac_dist(d) < ftol[k])) close = 0;
                }
                adj[i * gn + j] = (unsigned char)(close && non_nbrs[g][i * gn + j]);
            }
        for (size_t j = 0; j < gn && valid; j++) {
            size_t s = 0;
            for (size_t i = 0; i < gn; i++) s += adj[i * gn + j];
            if (s != size) valid = 0;
        }
        for (size_t r = 0; r < gn && valid; r++)
            for (size_t i = 0; i < gn && valid; i++)
                if (adj[r * gn + i])
                    for (size_t j = 0; j < gn; j++)
                        if (adj[r * gn + j] && !adj[i * gn + j]) {
                            valid = 0;
                            break;
                        }
        if (!valid) break;
        memset(added, 0, gn);
        for (size_t a = 0; a < gn; a++)
            for (int k = 0; k < 3; k++) all[a][k] = mod1(all[a][k]);
        for (size_t i = 0; i < gn; i++) {
            if (added[i]) continue;
            size_t first = (size_t)-1, cnt = 0;
            double c[3] = {0};
            for (size_t j = 0; j < gn; j++) {
                if (!adj[i * gn + j]) continue;
                added[j] = 1;
                if (first == (size_t)-1) {
                    first = j;
                    memcpy(c, all[j], sizeof c);
                } else {
                    for (int k = 0; k < 3; k++) {
                        double off = all[j][k] - c[k];
                        c[k] += (off - round_half_even(off)) / (double)(cnt + 1);
                    }
                }
                cnt++;
            }
            if (nout >= res->n) {
                valid = 0;
                break;
            }
            memcpy(res->f[nout], c, sizeof c);
            res->sp[nout++] = in->sp[order[gstart[g] + first]];
        }
    }
    free(all), free(adj), free(added);
    if (!valid) {
        ws_free(res);
        return 0;
    }
    res->n = nout;
    memcpy(res->lat, new_m, sizeof new_m);
    (void)sps;
    return 1;
}

/* grouped_non_nbrs: sites may not match their neighbours in the supercell
 * (made when the first candidate matrix needs it: same values) */
static int make_non_nbrs(const wstruct *in, const size_t *order, size_t ng, const size_t *gstart,
                         const size_t *gsize, const double super_ftol[3], unsigned char **non_nbrs)
{
    for (size_t g = 0; g < ng; g++) {
        size_t gn = gsize[g];
        non_nbrs[g] = malloc(gn * gn);
        if (!non_nbrs[g]) return -1;
        for (size_t i = 0; i < gn; i++)
            for (size_t j = 0; j < gn; j++) {
                const double *fi = in->f[order[gstart[g] + i]], *fj = in->f[order[gstart[g] + j]];
                int any = 0;
                for (int k = 0; k < 3; k++) {
                    double d = fj[k] - fi[k];
                    if (mmsm_frac_dist(d) > 2 * super_ftol[k]) any = 1;
                }
                non_nbrs[g][i * gn + j] = (unsigned char)(any || i == j);
            }
    }
    return 0;
}

/* Structure.get_primitive_structure(tolerance=0.25): out gets a new
 * structure (the primitive one, Niggli-reduced, or a copy of in). */
static int ws_primitive(const wstruct *in, const species *sps, wstruct *out, mms_error *err)
{
    const double tolerance = 0.25;
    size_t n = in->n;
    int rc = 0;
    size_t *order = malloc(n * sizeof *order), *tmp = malloc(n * sizeof *tmp);
    size_t *gstart = calloc(n, sizeof *gstart), *gsize = calloc(n, sizeof *gsize);
    unsigned char **non_nbrs = calloc(n, sizeof *non_nbrs);
    double (*min_vecs)[3] = NULL, (*gvs)[3] = NULL;
    if (!order || !tmp || !gstart || !gsize || !non_nbrs || n == 0) {
        rc = OOM(err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    label_keys lk = {sps, in->sp};
    sort_idx(order, n, tmp, cmp_label, &lk);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(sps[in->sp[order[i]]].label, sps[in->sp[order[i - 1]]].label)) {
            gstart[ng] = i, gsize[ng] = 0, ng++;
        }
        gsize[ng - 1]++;
    }
    /* no supercell matrix exists when the group sizes are coprime: the
     * searches below would find nothing (pymatgen returns a copy) */
    size_t num_fu = 0;
    for (size_t g = 0; g < ng; g++) num_fu = gcd_sz(num_fu, gsize[g]);
    if (num_fu < 2) goto copy;
    /* min_vecs from the first smallest group */
    size_t gmin = 0;
    for (size_t g = 1; g < ng; g++)
        if (gsize[g] < gsize[gmin]) gmin = g;
    size_t nv = gsize[gmin];
    min_vecs = malloc(nv * sizeof *min_vecs);
    gvs = malloc(n * sizeof *gvs);
    if (!min_vecs || !gvs) {
        rc = OOM(err);
        goto done;
    }
    const double *f0 = in->f[order[gstart[gmin]]];
    for (size_t a = 0; a < nv; a++)
        for (int k = 0; k < 3; k++) min_vecs[a][k] = in->f[order[gstart[gmin] + a]][k] - f0[k];
    double abc[3], super_ftol[3], super_ftol_2[3];
    for (int i = 0; i < 3; i++) {
        abc[i] = sqrt(in->lat[i][0] * in->lat[i][0] + in->lat[i][1] * in->lat[i][1] + in->lat[i][2] * in->lat[i][2]);
        super_ftol[i] = tolerance / abc[i];
        super_ftol_2[i] = super_ftol[i] * 2;
    }
    /* groups by size (stable), each site f: keep min_vecs v with v ~ g - f */
    {
        size_t *gord = malloc(ng * sizeof *gord);
        if (!gord) {
            rc = OOM(err);
            goto done;
        }
        for (size_t g = 0; g < ng; g++) gord[g] = g;
        for (size_t a = 1; a < ng; a++) /* stable insertion sort by size */
            for (size_t b = a; b > 0 && gsize[gord[b - 1]] > gsize[gord[b]]; b--) {
                size_t t = gord[b];
                gord[b] = gord[b - 1], gord[b - 1] = t;
            }
        /* the zero vector always survives (a site minus itself): once it is
         * alone, further intersections cannot change min_vecs */
        for (size_t gi = 0; gi < ng && nv > 1; gi++) {
            size_t g = gord[gi];
            for (size_t a = 0; a < gsize[g] && nv > 1; a++) {
                const double *f = in->f[order[gstart[g] + a]];
                /* g - f once for every candidate vector v */
                for (size_t b = 0; b < gsize[g]; b++) {
                    const double *fb = in->f[order[gstart[g] + b]];
                    for (int k = 0; k < 3; k++) gvs[b][k] = fb[k] - f[k];
                }
                size_t w = 0;
                for (size_t v = 0; v < nv; v++) {
                    int any = 0;
                    for (size_t b = 0; b < gsize[g] && !any; b++) any = close_frac(min_vecs[v], gvs[b], super_ftol_2);
                    if (any) memmove(min_vecs[w++], min_vecs[v], sizeof min_vecs[0]);
                }
                nv = w;
            }
        }
        free(gord);
    }
    /* get_hnf: det over the factors of num_fu (1 excluded), then a | det,
     * e | det/a, g = det/a/e; b, c < a and f < e */
    for (size_t det = 2; det <= num_fu && nv > 0; det++) {
        if (num_fu % det) continue;
        for (size_t a = 1; a <= det; a++) {
            if (det % a) continue;
            for (size_t e = 1; e <= det / a; e++) {
                if ((det / a) % e) continue;
                size_t gg = det / a / e;
                /* the rows of inv(m), as numpy's LAPACK inverse computes
                 * them for this upper-triangular m (no pivoting: the same
                 * bits as mmsm_inv); row 2 depends on g only and row 1 on
                 * e, f, g, so a failing row skips its whole block */
                double A = (double)a, E = (double)e, G = (double)gg;
                double r2[3] = {0, 0, 1 / G};
                int ok2 = 0;
                for (size_t v = 0; v < nv && !ok2; v++) ok2 = close_frac(r2, min_vecs[v], super_ftol);
                if (!ok2) continue;
                for (size_t b = 0; b < a; b++)
                    for (size_t c = 0; c < a; c++)
                        for (size_t f = 0; f < e; f++) {
                            double B = (double)b, Cc = (double)c, F = (double)f;
                            double r1[3] = {0, 1 / E, (0 - r2[2] * F) / E};
                            int ok = 0;
                            for (size_t v = 0; v < nv && !ok; v++) ok = close_frac(r1, min_vecs[v], super_ftol);
                            if (!ok) continue;
                            double r0[3] = {1 / A, (0 - r1[1] * B) / A, ((0 - r2[2] * Cc) - r1[2] * B) / A};
                            ok = 0;
                            for (size_t v = 0; v < nv && !ok; v++) ok = close_frac(r0, min_vecs[v], super_ftol);
                            if (!ok) continue;
                            double m[3][3] = {{A, B, Cc}, {0, E, F}, {0, 0, G}};
                            double iv[3][3] = {{r0[0], r0[1], r0[2]}, {r1[0], r1[1], r1[2]}, {r2[0], r2[1], r2[2]}};
                            if (!non_nbrs[0] &&
                                make_non_nbrs(in, order, ng, gstart, gsize, super_ftol, non_nbrs)) {
                                rc = OOM(err);
                                goto done;
                            }
                            wstruct s = {0};
                            int t = try_hnf(in, sps, order, ng, gstart, gsize, non_nbrs,
                                            (const double (*)[3])m, (const double (*)[3])iv, det, &s, err);
                            if (t < 0) {
                                rc = t;
                                goto done;
                            }
                            if (t == 1) {
                                /* s.get_primitive_structure().get_reduced_structure() */
                                rc = ws_primitive(&s, sps, out, err);
                                ws_free(&s);
                                if (!rc) rc = ws_niggli(out, err);
                                if (rc) ws_free(out);
                                goto done;
                            }
                        }
            }
        }
    }
copy:
    if (ws_copy(out, in)) rc = OOM(err);
done:
    if (non_nbrs)
        for (size_t g = 0; g < n; g++) free(non_nbrs[g]);
    free(non_nbrs), free(order), free(tmp), free(gstart), free(gsize), free(min_vecs), free(gvs);
    return rc;
}

/* ---------------------------------------------------------------- cells */
static void species_label(species *s)
{
    const char *sym = mms_element_symbol(s->z);
    if (!s->has_ox) {
        snprintf(s->label, sizeof s->label, "%s", sym);
        return;
    }
    /* formula_double_format: "" for 1, an integer within 1e-8 of its
     * truncation, else str(round(x, 8)) */
    double a = fabs(s->ox);
    char num[32];
    if (a == 1) {
        num[0] = 0;
    } else if (fabs(a - trunc(a)) < 1e-8 && a < 1e9) {
        snprintf(num, sizeof num, "%lld", (long long)trunc(a));
    } else {
        snprintf(num, sizeof num, "%.8f", a);
        size_t k = strlen(num);
        while (k > 0 && num[k - 1] == '0') num[--k] = 0;
        if (k > 0 && num[k - 1] == '.') num[k] = '0', num[k + 1] = 0;
    }
    snprintf(s->label, sizeof s->label, "%s%s%c", sym, num, s->ox >= 0 ? '+' : '-');
}

int mms_match_cell_new(mms_match_cell **out, const mms_match_options *o,
                       const double lattice[3][3], size_t n, const double positions[][3],
                       const int z[], const double oxidation[], const int has_oxidation[],
                       mms_error *err)
{
    if (!out || !o || !lattice || (n && (!positions || !z)))
        return mms_error_set(err, MMS_EINVAL, 0, "match: NULL argument");
    *out = NULL;
    if (n == 0) return mms_error_set(err, MMS_EINVAL, 0, "cannot match an empty cell (no sites)");
    if (n > MMSM_MAX_CELL_SITES)
        return mms_error_set(err, MMS_ELIMIT, 0, "too many sites to match (%zu; limit %d)", n,
                             MMSM_MAX_CELL_SITES);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (!isfinite(lattice[i][j])) return mms_error_set(err, MMS_EINVAL, 0, "lattice is not finite");
    double vol = mmsm_volume(lattice);
    double l0 = 0;
    for (int i = 0; i < 3; i++) l0 = fmax(l0, sqrt(lattice[i][0] * lattice[i][0] + lattice[i][1] * lattice[i][1] + lattice[i][2] * lattice[i][2]));
    if (!(vol > 1e-12 * l0 * l0 * l0) || !(vol > 0))
        return mms_error_set(err, MMS_ECOMPUTE, 0, "degenerate lattice (volume %.3g A^3)", vol);
    mms_match_cell *c = calloc(1, sizeof *c);
    if (!c) return OOM(err);
    c->sps = calloc(n, sizeof *c->sps);
    wstruct w = {0};
    if (!c->sps || ws_alloc(&w, n)) {
        mms_match_cell_free(c);
        return OOM(err);
    }
    memcpy(w.lat, lattice, sizeof w.lat);
    for (size_t i = 0; i < n; i++) {
        if (z[i] < 1 || z[i] > 118 || !mms_element_symbol(z[i])) {
            ws_free(&w), mms_match_cell_free(c);
            return mms_error_set(err, MMS_EINVAL, 0, "site %zu: bad atomic number %d", i, z[i]);
        }
        for (int k = 0; k < 3; k++) {
            if (!isfinite(positions[i][k])) {
                ws_free(&w), mms_match_cell_free(c);
                return mms_error_set(err, MMS_EINVAL, 0, "site %zu: position is not finite", i);
            }
            w.f[i][k] = positions[i][k];
        }
        species s = {.z = z[i]};
        if (oxidation && (!has_oxidation || has_oxidation[i])) s.has_ox = 1, s.ox = oxidation[i];
        size_t k;
        for (k = 0; k < c->nsp; k++)
            if (c->sps[k].z == s.z && c->sps[k].has_ox == s.has_ox && (!s.has_ox || c->sps[k].ox == s.ox)) break;
        if (k == c->nsp) {
            species_label(&s);
            c->sps[c->nsp++] = s;
        }
        w.sp[i] = (int)k;
    }
    /* StructureMatcher._get_reduced_structure: Niggli, then primitive */
    int rc = ws_niggli(&w, err);
    if (!rc && o->primitive_cell) {
        wstruct p = {0};
        rc = ws_primitive(&w, c->sps, &p, err);
        ws_free(&w);
        w = p;
    }
    if (rc) {
        ws_free(&w), mms_match_cell_free(c);
        return rc;
    }
    c->s = w;
    *out = c;
    return MMS_OK;
}

int mms_match_cell_from_structure(mms_match_cell **out, const mms_match_options *o,
                                  const mms_structure *s, mms_error *err)
{
    if (!out || !s) return mms_error_set(err, MMS_EINVAL, 0, "match: NULL argument");
    *out = NULL;
    size_t n = s->n_sites;
    if (n == 0) return mms_error_set(err, MMS_EINVAL, s->line, "cannot match an empty cell (no sites)");
    double (*pos)[3] = malloc(n * sizeof *pos), *ox = malloc(n * sizeof *ox);
    int *z = malloc(n * sizeof *z), *has = malloc(n * sizeof *has);
    int rc = MMS_OK;
    if (!pos || !ox || !z || !has) {
        rc = OOM(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const mms_site *st = &s->sites[i];
        if (st->n_species != 1 || st->species[0].occupancy != 1.0) {
            rc = mms_error_set(err, MMS_EUNSUPPORTED, st->line ? st->line : s->line,
                               "site %zu%s%s is disordered (%d species, occupancy %g): structure "
                               "matching needs ordered sites",
                               i + 1, st->label[0] ? " " : "", st->label, st->n_species,
                               st->species[0].occupancy);
            goto out;
        }
        memcpy(pos[i], st->frac, sizeof pos[i]);
        z[i] = st->species[0].z;
        has[i] = st->species[0].has_oxidation;
        ox[i] = st->species[0].oxidation;
    }
    rc = mms_match_cell_new(out, o, (const double (*)[3])s->lattice, n, (const double (*)[3])pos, z, ox,
                            has, err);
    if (rc && err && !err->line) err->line = s->line;
out:
    free(pos), free(ox), free(z), free(has);
    return rc;
}

void mms_match_cell_free(mms_match_cell *c)
{
    if (!c) return;
    ws_free(&c->s);
    free(c->sps);
    free(c);
}

size_t mms_match_cell_size(const mms_match_cell *c) { return c ? c->s.n : 0; }

void mms_match_cell_lattice(const mms_match_cell *c, double lattice[3][3])
{
    memcpy(lattice, c->s.lat, sizeof c->s.lat);
}

/* ------------------------------------------------------------- matching */
static int sp_equal(const mms_match_options *o, const species *a, const species *b)
{
    if (a->z != b->z) return 0;
    if (o->comparator == MMS_MATCH_ELEMENT) return 1;
    return a->has_ox == b->has_ox && (!a->has_ox || a->ox == b->ox);
}

/* comparator.get_hash(composition) equality: fractional compositions of
 * species (or elements) equal within Composition.amount_tolerance */
static int same_hash(const mms_match_options *o, const mms_match_cell *a, const mms_match_cell *b)
{
    const mms_match_cell *cs[2] = {a, b};
    for (int pass = 0; pass < 2; pass++) {
        const mms_match_cell *x = cs[pass], *y = cs[1 - pass];
        for (size_t i = 0; i < x->s.n; i++) {
            const species *s = &x->sps[x->s.sp[i]];
            size_t cx = 0, cy = 0;
            for (size_t j = 0; j < x->s.n; j++) cx += sp_equal(o, s, &x->sps[x->s.sp[j]]);
            for (size_t j = 0; j < y->s.n; j++) cy += sp_equal(o, s, &y->sps[y->s.sp[j]]);
            if (!(fabs((double)cx / (double)x->s.n - (double)cy / (double)y->s.n) <= 1e-8)) return 0;
        }
    }
    return 1;
}

typedef struct side {
    double lat[3][3];
    size_t n;
    const double (*f)[3];
    const species *const *sp; /* per site */
} side;

typedef struct best {
    int found;
    double val;
    double *dist; /* n2 */
    size_t nd;
} best;

#define MMSM_NOVEC 255u
typedef struct job {
    const mms_match_options *o;
    const side *s1, *s2; /* struct1 (superset), struct2 as _strict_match gets them */
    size_t fu;
    int s1_supercell, use_rms, break_on_match;
    const int *mask; /* rows x cols */
    size_t rows, cols;
    const size_t *t_inds;
    size_t n_t;
    size_t t2;
    /* scratch */
    double (*s1fc)[3], (*s2fc)[3], (*ts2)[3];
    double *d2, *cost, *dist;
    /* per entry, the image of the shortest vector (0-26), or MMSM_NOVEC
     * for the reference's 1e20 vector (forbidden or out of tolerance):
     * the vectors themselves are made for the assigned entries only */
    unsigned char *img;
    double (*vsol)[3]; /* n2: the vectors of the assignment */
    int *sol;
    size_t *wj; /* n1: the entries of a row within the tolerance */
    double *fx;     /* 3 n1: struct1's LLL fractional coordinates by component */
    long long *wf;  /* n1: a row's tolerance test of every column (-1 passes) */
    size_t *aoff, *aj; /* the columns the species mask allows, row by row */
    best b;
    int stop;
    int lat_ready; /* lll, linv, ftol, cim, struct1's LLL coordinates of this lattice */
    double lll[3][3], linv[3][3], ftol[3], cim[27][3];
    double cx[27], cy[27], cz[27]; /* cim by component, for the vectorised scan */
    /* the 8 images of each 2 x 2 x 2 block (low corner bits a, b, c), per
     * component, in increasing image index: blk[corner][component][i] */
    double blk[8][3][8];
    double hpl2[3], eta2;          /* squared plane spacings of the LLL cell, margin */
    double rabc_avg[3];            /* reciprocal lengths of the average lattice */
    int prune;
    mms_error *err;
    int rc;
} job;

/* lattice_points_in_supercell(sc_m) */
static size_t lattice_points(const double sc[3][3], double (**out)[3])
{
    double dmin[3], dmax[3];
    for (int k = 0; k < 3; k++) dmin[k] = INFINITY, dmax[k] = -INFINITY;
    for (int d = 0; d < 8; d++) {
        double dg[3] = {(double)((d >> 2) & 1), (double)((d >> 1) & 1), (double)(d & 1)};
        for (int k = 0; k < 3; k++) {
            double v = dg[0] * sc[0][k] + dg[1] * sc[1][k] + dg[2] * sc[2][k];
            dmin[k] = fmin(dmin[k], v), dmax[k] = fmax(dmax[k], v);
        }
    }
    double iv[3][3];
    if (mmsm_inv(sc, iv)) return 0;
    long span = (long)((dmax[0] + 1 - dmin[0]) * (dmax[1] + 1 - dmin[1]) * (dmax[2] + 1 - dmin[2]));
    if (span <= 0 || span > 10000000L) return 0;
    size_t cap = (size_t)fabs(nearbyint(mmsm_det(sc))) + 1, n = 0;
    double (*p)[3] = malloc(cap * sizeof *p);
    if (!p) return 0;
    for (double a = dmin[0]; a < dmax[0] + 1; a++)
        for (double b = dmin[1]; b < dmax[1] + 1; b++)
            for (double c = dmin[2]; c < dmax[2] + 1; c++) {
                double pt[3] = {a, b, c}, fr[3];
                row_mul(pt, (const double (*)[3])iv, fr);
                int in = 1;
                for (int k = 0; k < 3; k++)
                    if (!(fr[k] < 1 - 1e-10 && fr[k] >= -1e-10)) in = 0;
                if (!in) continue;
                if (n == cap) {
                    free(p);
                    return 0;
                }
                memcpy(p[n++], fr, sizeof fr);
            }
    *out = p;
    return n;
}

/* _cmp_fstruct -> is_coord_subset_pbc(t_s2fc, s1fc, frac_tol, mask) */
MMSM_INLINE int coord_subset(const job *J, const double (*sub)[3], size_t nsub, const double (*sup)[3],
                        size_t nsup, const double tol[3])
{
    /* the three component tests of a pair together, without a branch
     * (NaN passes them as before: `> tol` is false) */
    int ok = 0;
    (void)nsup;
    for (size_t i = 0; i < nsub; i++) {
        const double *a = sub[i];
        ok = 0;
        for (size_t q = J->aoff[i]; q < J->aoff[i + 1] && !ok; q++) {
            size_t j = J->aj[q];
            ok = !(mmsm_frac_dist(a[0] - sup[j][0]) > tol[0]) & !(mmsm_frac_dist(a[1] - sup[j][1]) > tol[1]) &
                 !(mmsm_frac_dist(a[2] - sup[j][2]) > tol[2]);
        }
        if (!ok) break;
    }
    return ok;
}

/* get_lll_frac_coords, then dot_2d_mod: Cartesian of the LLL fractional
 * coordinates taken modulo 1 (Python's %, as numpy's mod) */
MMSM_INLINE void lll_cart(const double (*s)[3], size_t n, const double linv[3][3], const double lll[3][3],
                     double (*fc)[3], double (*c)[3], double (*u)[3])
{
    for (size_t i = 0; i < n; i++) {
        row_mul(s[i], linv, fc[i]);
        for (int k = 0; k < 3; k++) u[i][k] = mod1(fc[i][k]);
        for (int m = 0; m < 3; m++) {
            double x = 0;
            for (int k = 0; k < 3; k++) x += u[i][k] * lll[k][m];
            c[i][m] = x;
        }
    }
}

/* image index (a * 9 + b * 3 + c, offsets a - 1 ...) of image i of the
 * 2 x 2 x 2 block whose low corner has bits lo (a, b, c), in increasing
 * index order: blk_k[lo][i] */
static const unsigned char blk_k[8][8] = {
    {0, 1, 3, 4, 9, 10, 12, 13},     {1, 2, 4, 5, 10, 11, 13, 14},    {3, 4, 6, 7, 12, 13, 15, 16},
    {4, 5, 7, 8, 13, 14, 16, 17},    {9, 10, 12, 13, 18, 19, 21, 22}, {10, 11, 13, 14, 19, 20, 22, 23},
    {12, 13, 15, 16, 21, 22, 24, 25}, {13, 14, 16, 17, 22, 23, 25, 26}};

/* squared lengths of pre + the 8 images of a block (GCC vector types: 4
 * lanes in the AVX2 clone, 2 x 2 otherwise; lane-wise IEEE operations) */
typedef double mmsm_v4d __attribute__((vector_size(32)));
typedef long long mmsm_v4i __attribute__((vector_size(32)));
/* the smallest squared length below 1e100 of pre + the 8 images of a
 * block (1e100 if none) and the first image i holding it */
MMSM_INLINE double block8(const double (*t)[8], const double pre[3], int *bi)
{
    mmsm_v4d d[2], m = {1e100, 1e100, 1e100, 1e100};
    for (int h = 0; h < 2; h++) {
        mmsm_v4d x, y, z;
        memcpy(&x, t[0] + 4 * h, sizeof x), memcpy(&y, t[1] + 4 * h, sizeof y), memcpy(&z, t[2] + 4 * h, sizeof z);
        x = pre[0] + x, y = pre[1] + y, z = pre[2] + z;
        d[h] = x * x + y * y + z * z;
        mmsm_v4i lt = d[h] < m; /* lane-wise d < m ? d : m (NaN d keeps m) */
        m = (mmsm_v4d)((lt & (mmsm_v4i)d[h]) | (~lt & (mmsm_v4i)m));
    }
    double bd = m[0];
    for (int l = 1; l < 4; l++) bd = m[l] < bd ? m[l] : bd;
    /* a bit per image equal to the minimum; the lowest is the first */
    const mmsm_v4d bv = {bd, bd, bd, bd};
    const mmsm_v4i w0 = {1, 2, 4, 8}, w1 = {16, 32, 64, 128};
    mmsm_v4i bits = ((d[0] == bv) & w0) | ((d[1] == bv) & w1);
    unsigned mask = (unsigned)(bits[0] | bits[1] | bits[2] | bits[3]);
    *bi = mask ? __builtin_ctz(mask) : 0;
    return bd;
}

/* The tolerance test of a row for every column, four at a time: in each
 * lane mmsm_frac_dist's fast path (x - ((x + 1.5 2^52) - 1.5 2^52), its
 * absolute value) and the same `!(. > ftol)` test, so the same verdict,
 * NaN passing.  Returns 0 when some |x| is beyond that path's range
 * (2^51): the caller then tests the row as before. */
MMSM_INLINE int row_within(size_t n1, const double *fx, const double f1[3], const double ftol[3],
                           long long *wf)
{
    const mmsm_v4d rnd = {0x1.8p52, 0x1.8p52, 0x1.8p52, 0x1.8p52}, lim = {0x1p51, 0x1p51, 0x1p51, 0x1p51};
    const mmsm_v4i nosign = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL,
                             0x7fffffffffffffffLL};
    mmsm_v4i far = {0, 0, 0, 0};
    size_t j = 0;
    for (; j + 4 <= n1; j += 4) {
        mmsm_v4i out = {0, 0, 0, 0};
        for (int l = 0; l < 3; l++) {
            mmsm_v4d x;
            memcpy(&x, fx + l * n1 + j, sizeof x);
            x = x - f1[l];
            mmsm_v4d ax = (mmsm_v4d)((mmsm_v4i)x & nosign);
            far |= ax >= lim;
            mmsm_v4d r = x - ((x + rnd) - rnd);
            r = (mmsm_v4d)((mmsm_v4i)r & nosign);
            out |= r > ftol[l];
        }
        mmsm_v4i w = ~out;
        memcpy(wf + j, &w, sizeof w);
    }
    if (far[0] | far[1] | far[2] | far[3]) return 0;
    for (; j < n1; j++) {
        int within = 1;
        for (int l = 0; l < 3; l++) within &= !(mmsm_frac_dist(fx[l * n1 + j] - f1[l]) > ftol[l]);
        wf[j] = within ? -1 : 0;
    }
    return 1;
}

/* One row i of pbc_shortest_vectors: the image vectors from site i of the
 * translated struct2 to every site j of struct1 and their squared lengths.
 * The per-lattice constants are read into locals and the outputs are
 * restrict: otherwise every store to cost or v makes the compiler reload
 * them (they are all doubles), once per entry. */
MMSM_INLINE void dist_row(const job *J, const size_t *restrict aj, size_t na, const double fci[3],
                     const double ci[3], const double ui[3], const double (*restrict fc2)[3],
                     const double (*restrict c2)[3], const double (*restrict u2)[3],
                     double *restrict cost, unsigned char *restrict irow, size_t *restrict wj)
{
    const double *restrict cx = J->cx, *restrict cy = J->cy, *restrict cz = J->cz;
    const double ftol[3] = {J->ftol[0], J->ftol[1], J->ftol[2]};
    const double hpl2[3] = {J->hpl2[0], J->hpl2[1], J->hpl2[2]}, eta2 = J->eta2;
    const double f1[3] = {fci[0], fci[1], fci[2]}, c1[3] = {ci[0], ci[1], ci[2]}, u1[3] = {ui[0], ui[1], ui[2]};
    const int prune = J->prune;
    /* Which entries are within the tolerance, without a branch: about a
     * third are, in no predictable pattern, and the mispredicted branch
     * was the largest cost of the row.  The same tests, all three
     * evaluated (NaN passes, as `> ftol` is false for it as before). */
    size_t nw = 0, n1 = J->cols;
    if (2 * na >= n1 && row_within(n1, J->fx, f1, ftol, J->wf)) {
        const long long *restrict wf = J->wf;
        for (size_t q = 0; q < na; q++) {
            size_t j = aj[q];
            cost[j] = 1e20;
            irow[j] = MMSM_NOVEC;
            wj[nw] = j;
            nw += (size_t)(wf[j] & 1);
        }
    } else {
        for (size_t q = 0; q < na; q++) {
            size_t j = aj[q];
            int within = 1;
            for (int l = 0; l < 3; l++) within &= !(mmsm_frac_dist(fc2[j][l] - f1[l]) > ftol[l]);
            cost[j] = 1e20;
            irow[j] = MMSM_NOVEC;
            wj[nw] = j;
            nw += (size_t)within;
        }
    }
    for (size_t q = 0; q < nw; q++) {
        size_t j = wj[q];
        double pre[3] = {c2[j][0] - c1[0], c2[j][1] - c1[1], c2[j][2] - c1[2]};
        /* The 2 x 2 x 2 block of images nearest in each LLL
         * fractional component first.  Image (a, b, c) has the
         * vector g.lll, g = u2 - u1 + (a, b, c), whose length is at
         * least |g_m| times the spacing h_m of the lattice planes m;
         * each image outside the block has some |g_m| >= 1 + |u2_m -
         * u1_m|.  When that bound squared exceeds the block's
         * minimum d (1 + 1e-8) + 1e-8 lmax^2, above (sqrt(d) + 1e-8
         * lmax)^2, a margin six orders above the rounding of these
         * sums, every image outside is strictly longer than the
         * block's minimum as computed: neither the minimum nor a
         * tie.  The block scanned in increasing k with the same
         * test and expression then gives the full scan's value and
         * first index; otherwise the full scan runs. */
        if (prune) {
            int lo3[3];
            double far = 1e300;
            for (int l = 0; l < 3; l++) {
                double gg = u2[j][l] - u1[l];
                lo3[l] = gg >= 0 ? 0 : 1;
                double o = 1 + fabs(gg), f = o * o * hpl2[l];
                far = f < far ? f : far; /* NaN gg gives NaN d: bd check */
            }
            /* The block's 8 images four at a time: each lane is the
             * scalar expression (pre + c, squares summed left to right,
             * no contraction), so each d is the same number; the
             * minimum below 1e100 skipping NaN (`d < m ? d : m`) is
             * order-independent, and the first image holding it is the
             * one the scan in increasing index keeps. */
            int lo = lo3[0] * 4 + lo3[1] * 2 + lo3[2];
            int bi;
            double bd = block8(J->blk[lo], pre, &bi);
            int bkk = blk_k[lo][bi];
            if (bd < 1e100 && far > bd * (1 + 1e-8) + eta2) {
                cost[j] = bd;
                irow[j] = (unsigned char)bkk;
                continue;
            }
        }
        /* all 27 distances first (a loop the compiler vectorises),
         * then the first smallest, as the reference's scan keeps it */
        double d27[27];
        for (int k = 0; k < 27; k++) {
            double da = pre[0] + cx[k], db = pre[1] + cy[k], dc = pre[2] + cz[k];
            d27[k] = da * da + db * db + dc * dc;
        }
        /* the reference's scan (first k with d < best, best from
         * 1e100) without branches: the minimum over three
         * independent chains, then the first index holding it.
         * Same value, same index (NaN entries are skipped by both,
         * as d < m is false; nothing below 1e100 gives k = 0). */
        double m0 = 1e100, m1 = 1e100, m2 = 1e100;
        for (int k = 0; k < 27; k += 3) {
            m0 = d27[k] < m0 ? d27[k] : m0;
            m1 = d27[k + 1] < m1 ? d27[k + 1] : m1;
            m2 = d27[k + 2] < m2 ? d27[k + 2] : m2;
        }
        double bestd = m1 < m0 ? m1 : m0;
        bestd = m2 < bestd ? m2 : bestd;
        int bk = 0;
        for (int k = 26; k >= 0; k--) bk = d27[k] == bestd ? k : bk;
        if (!(bestd < 1e100)) bestd = 1e100, bk = 0;
        cost[j] = bestd;
        irow[j] = (unsigned char)bk;
    }
}

/* _cart_dists with pbc_shortest_vectors(avg_l, s2, s1, mask, lll_frac_tol) */
MMSM_INLINE int cart_dists(job *J, const double (*s1)[3], size_t n1, const double (*s2)[3], size_t n2,
                      const double avg[3][3], double normalization, double *dist)
{
    /* the LLL cell of the average lattice and struct1's coordinates in it
     * are the same for every translation of one lattice: made once */
    double (*fc1)[3] = J->ts2 + n2, (*c1)[3] = J->ts2 + 2 * n2; /* scratch laid out by caller */
    double (*fc2)[3] = J->ts2 + 3 * n2, (*c2)[3] = J->ts2 + 3 * n2 + n1;
    double (*u1)[3] = J->ts2 + 3 * n2 + 2 * n1, (*u2)[3] = J->ts2 + 4 * n2 + 2 * n1;
    double(*lll)[3] = J->lll, (*cim)[3] = J->cim, *ftol = J->ftol;
    if (!J->lat_ready) {
        double map[3][3], rabc[3];
        /* The average of two close cells is nearly always LLL-reduced
         * already: the mapping is then the identity, whose inverse
         * mmsm_inv returns unchanged (no pivoting, pivots 1, zero
         * multipliers only add +0; compared bitwise, so a -0 entry takes
         * the general path), and when the LLL cell is the average cell bit
         * for bit its reciprocal lengths are the ones try_lattice has. */
        static const double eye[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        if (mmsm_lll(avg, lll, map))
            return mms_error_set(J->err, MMS_ECOMPUTE, 0, "degenerate average lattice");
        if (!memcmp(map, eye, sizeof eye))
            memcpy(J->linv, eye, sizeof eye);
        else if (mmsm_inv((const double (*)[3])map, J->linv))
            return mms_error_set(J->err, MMS_ECOMPUTE, 0, "degenerate average lattice");
        if (!memcmp(lll, avg, sizeof J->lll))
            memcpy(rabc, J->rabc_avg, sizeof rabc);
        else
            mmsm_recip_abc((const double (*)[3])lll, rabc);
        for (int k = 0; k < 3; k++) ftol[k] = rabc[k] * J->o->stol / (MMSM_PI * normalization);
        int q = 0;
        for (int a = -1; a <= 1; a++)
            for (int b = -1; b <= 1; b++)
                for (int c = -1; c <= 1; c++, q++)
                    for (int m = 0; m < 3; m++) cim[q][m] = a * lll[0][m] + b * lll[1][m] + c * lll[2][m];
        for (int k = 0; k < 27; k++) J->cx[k] = cim[k][0], J->cy[k] = cim[k][1], J->cz[k] = cim[k][2];
        for (int lo = 0; lo < 8; lo++)
            for (int i = 0; i < 8; i++) {
                int k = blk_k[lo][i];
                for (int m = 0; m < 3; m++) J->blk[lo][m][i] = cim[k][m];
            }
        double lmax = 0;
        for (int k = 0; k < 3; k++) {
            double h = 2 * MMSM_PI / rabc[k]; /* spacing of the lattice planes k */
            J->hpl2[k] = h * h;
            lmax = fmax(lmax, sqrt(lll[k][0] * lll[k][0] + lll[k][1] * lll[k][1] + lll[k][2] * lll[k][2]));
        }
        J->eta2 = 1e-8 * lmax * lmax * 1.0000001;
        J->prune = isfinite(J->eta2) && isfinite(J->hpl2[0]) && isfinite(J->hpl2[1]) && isfinite(J->hpl2[2]);
        lll_cart(s1, n1, (const double (*)[3])J->linv, (const double (*)[3])lll, fc2, c2, u2);
        for (size_t j = 0; j < n1; j++)
            for (int l = 0; l < 3; l++) J->fx[l * n1 + j] = fc2[j][l];
        J->lat_ready = 1;
    }
    lll_cart(s2, n2, (const double (*)[3])J->linv, (const double (*)[3])lll, fc1, c1, u1);
    size_t n = n1; /* square problem: rows beyond n2 are zero */
    for (size_t i = 0; i < n2; i++)
        dist_row(J, J->aj + J->aoff[i], J->aoff[i + 1] - J->aoff[i], fc1[i], c1[i], u1[i], (const double (*)[3])fc2,
                 (const double (*)[3])c2, (const double (*)[3])u2, J->cost + i * n, J->img + i * n1, J->wj);
    for (size_t i = n2; i < n; i++)
        for (size_t j = 0; j < n; j++) J->cost[i * n + j] = 0;
    if (mmsm_lapjv((int)n, J->cost, J->sol, NULL)) return OOM(J->err);
    /* the vectors of the assigned entries, by the expressions dist_row
     * would have used (c2[j] - c1[i], plus the image): the same numbers */
    double (*vs)[3] = J->vsol, tr[3] = {0, 0, 0};
    for (size_t i = 0; i < n2; i++) {
        size_t j = (size_t)J->sol[i];
        unsigned k = J->img[i * n1 + j];
        for (int l = 0; l < 3; l++) vs[i][l] = k == MMSM_NOVEC ? 1e20 : (c2[j][l] - c1[i][l]) + cim[k][l];
    }
    for (size_t i = 0; i < n2; i++)
        for (int l = 0; l < 3; l++) tr[l] += vs[i][l];
    for (int l = 0; l < 3; l++) tr[l] /= (double)n2;
    for (size_t i = 0; i < n2; i++) {
        const double *v = vs[i];
        double s = 0;
        for (int l = 0; l < 3; l++) s += (v[l] - tr[l]) * (v[l] - tr[l]);
        dist[i] = sqrt(s) * normalization;
    }
    return 0;
}

/* one lattice of _get_supercells: the translation loop of _strict_match */
MMSM_SIMD static int try_lattice(job *J, const double (*s1fc)[3], size_t n1, const double (*s2fc)[3], size_t n2,
                       const double avg[3][3])
{
    const mms_match_options *o = J->o;
    double normalization = pow((double)n1 / mmsm_volume(avg), 1.0 / 3);
    double *rabc = J->rabc_avg, ftol[3];
    mmsm_recip_abc(avg, rabc);
    for (int k = 0; k < 3; k++) ftol[k] = rabc[k] * o->stol / (MMSM_PI * normalization);
    double *dist = J->dist;
    J->lat_ready = 0;
    for (size_t q = 0; q < J->n_t; q++) {
        size_t s1i = J->t_inds[q];
        double t[3];
        for (int k = 0; k < 3; k++) t[k] = s1fc[s1i][k] - s2fc[J->t2][k];
        for (size_t i = 0; i < n2; i++)
            for (int k = 0; k < 3; k++) J->ts2[i][k] = s2fc[i][k] + t[k];
        if (!coord_subset(J, (const double (*)[3])J->ts2, n2, s1fc, n1, ftol)) continue;
        int rc = cart_dists(J, s1fc, n1, (const double (*)[3])J->ts2, n2, avg, normalization, dist);
        if (rc) return rc;
        double val;
        if (J->use_rms) {
            double s = 0;
            for (size_t i = 0; i < n2; i++) s += dist[i] * dist[i];
            val = sqrt(s) / sqrt((double)n2);
        } else {
            val = 0;
            for (size_t i = 0; i < n2; i++) val = fmax(val, dist[i]);
            for (size_t i = 0; i < n2; i++)
                if (isnan(dist[i])) val = NAN;
        }
        if (!J->b.found || val < J->b.val) {
            J->b.found = 1, J->b.val = val;
            memcpy(J->b.dist, dist, n2 * sizeof *dist);
            J->b.nd = n2;
            if ((J->break_on_match || val < 1e-5) && val < o->stol) {
                J->stop = 1;
                break;
            }
        }
    }
    return 0;
}

typedef struct gen_ctx {
    job *J;
    const side *A, *B; /* supercells of A are mapped onto B's lattice */
    int swap;          /* A is struct2 of _strict_match (s1_supercell False) */
    double (*fc)[3];   /* A's sites in the mapped lattice, n_A * fu rows */
    double pB[6];      /* B's lattice parameters: the same for every mapping */
} gen_ctx;

/* _get_lattices + sc_generator: called for every lattice mapping */
static int on_mapping(void *ctx, const double l[3][3], const double sc[3][3])
{
    gen_ctx *g = ctx;
    job *J = g->J;
    if (!(fabs(fabs(mmsm_det(sc)) - (double)J->fu) < 0.5)) return 0;
    const side *A = g->A, *B = g->B;
    size_t na;

    if (J->fu == 1) {
        double iv[3][3];
        if (mmsm_inv(l, iv)) return 0;
        for (size_t i = 0; i < A->n; i++) {
            double c[3];
            frac_to_cart((const double (*)[3])A->lat, A->f[i], c);
            row_mul(c, (const double (*)[3])iv, g->fc[i]);
            for (int k = 0; k < 3; k++) g->fc[i][k] -= mmsm_floor(g->fc[i][k]);
        }
        na = A->n;
    } else {
        double iv[3][3], (*lp)[3] = NULL;
        if (mmsm_inv(sc, iv)) return 0;
        size_t nlp = lattice_points(sc, &lp);
        if (nlp != J->fu) {
            free(lp);
            return mms_error_set(J->err, MMS_ECOMPUTE, 0, "supercell lattice points do not match its size");
        }
        for (size_t i = 0; i < A->n; i++) {
            double f[3];
            row_mul(A->f[i], (const double (*)[3])iv, f);
            for (size_t p = 0; p < nlp; p++)
                for (int k = 0; k < 3; k++) {
                    double x = f[k] + lp[p][k];
                    g->fc[i * nlp + p][k] = x - mmsm_floor(x);
                }
        }
        free(lp);
        na = A->n * nlp;
    }
    double p1[6], pa[6], avg[3][3];
    mmsm_params(l, p1);
    for (int k = 0; k < 6; k++) pa[k] = (p1[k] + g->pB[k]) / 2;
    mmsm_from_parameters(avg, pa);
    int rc = g->swap ? try_lattice(J, B->f, B->n, (const double (*)[3])g->fc, na, (const double (*)[3])avg)
                     : try_lattice(J, (const double (*)[3])g->fc, na, B->f, B->n, (const double (*)[3])avg);
    if (rc) return rc;
    return J->stop;
}

/* fit only asks whether SOME (lattice, translation) gives max distance <
 * stol: pymatgen stops at the first such one, and the answer is the same
 * whatever the order the candidates are tried in (the set tried is the
 * same, and a candidate's value does not depend on the others).  So fit
 * tries the lattices whose parameters are closest to the target's first
 * (stable order among equals), which finds a match of a true pair sooner;
 * get_rms_dist keeps pymatgen's order (its first minimum and its 1e-5 exit
 * depend on it). */
typedef struct mapping_list {
    size_t n, cap;
    double (*l)[3][3], (*sc)[3][3];
    double *score;
    const double *target; /* the target's six parameters */
} mapping_list;

static int collect_mapping(void *ctx, const double l[3][3], const double sc[3][3])
{
    mapping_list *m = ctx;
    if (m->n == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 64;
        void *a = realloc(m->l, nc * sizeof *m->l);
        if (a) m->l = a;
        void *b = realloc(m->sc, nc * sizeof *m->sc);
        if (b) m->sc = b;
        void *c = realloc(m->score, nc * sizeof *m->score);
        if (c) m->score = c;
        if (!a || !b || !c) return MMS_ENOMEM;
        m->cap = nc;
    }
    memcpy(m->l[m->n], l, sizeof m->l[0]);
    memcpy(m->sc[m->n], sc, sizeof m->sc[0]);
    double p[6], d = 0;
    mmsm_params(l, p);
    for (int k = 0; k < 3; k++) d += fabs(p[k] - m->target[k]) / m->target[k] + fabs(p[3 + k] - m->target[3 + k]) / 60;
    m->score[m->n++] = d;
    return 0;
}

static int cmp_score(const void *ctx, size_t i, size_t j)
{
    const double *score = ctx;
    if (score[i] != score[j]) return score[i] < score[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int fit_in_likely_order(gen_ctx *g, const mms_match_options *o, mms_error *err)
{
    double target[6];
    mmsm_params((const double (*)[3])g->B->lat, target);
    mapping_list m = {.target = target};
    int rc = mmsm_find_mappings((const double (*)[3])g->A->lat, (const double (*)[3])g->B->lat, o->ltol,
                                o->angle_tol, collect_mapping, &m, err);
    if (rc == MMS_ENOMEM) rc = OOM(err);
    size_t *ord = rc ? NULL : malloc((m.n ? m.n : 1) * 2 * sizeof *ord);
    if (!rc && !ord) rc = OOM(err);
    if (!rc) {
        for (size_t i = 0; i < m.n; i++) ord[i] = i;
        sort_idx(ord, m.n, ord + m.n, cmp_score, m.score);
        for (size_t q = 0; q < m.n && !rc; q++)
            rc = on_mapping(g, (const double (*)[3])m.l[ord[q]], (const double (*)[3])m.sc[ord[q]]);
    }
    free(ord), free(m.l), free(m.sc), free(m.score);
    return rc;
}

/* _strict_match(struct1, struct2, fu, s1_supercell): best (found or not) */
static int strict_match(const mms_match_options *o, const side *s1, const side *s2, size_t fu,
                        int s1_supercell, int use_rms, int break_on_match, best *out, mms_error *err)
{
    out->found = 0;
    size_t rows = s2->n * (s1_supercell ? 1 : fu), cols = s1->n * (s1_supercell ? fu : 1);
    if (rows > cols)
        return mms_error_set(err, MMS_ECOMPUTE, 0, "after supercell creation, struct1 must have more sites");
    if (!o->allow_subset && rows != cols) return 0;
    if (cols > MMSM_MAX_MATCH_SITES)
        return mms_error_set(err, MMS_ELIMIT, 0, "too many sites to match (%zu after supercell creation; "
                             "limit %d)", cols, MMSM_MAX_MATCH_SITES);
    job J = {.o = o, .s1 = s1, .s2 = s2, .fu = fu, .s1_supercell = s1_supercell, .use_rms = use_rms,
             .break_on_match = break_on_match, .rows = rows, .cols = cols, .err = err};
    int *mask = malloc(rows * cols * sizeof *mask);
    size_t *tinds = malloc(cols * sizeof *tinds);
    J.ts2 = malloc((5 * rows + 3 * cols) * sizeof *J.ts2);
    J.cost = malloc(cols * cols * sizeof *J.cost);
    J.img = malloc(rows * cols * sizeof *J.img);
    J.vsol = malloc(rows * sizeof *J.vsol);
    J.sol = malloc(cols * sizeof *J.sol);
    J.wj = malloc(cols * sizeof *J.wj);
    J.fx = malloc(3 * cols * sizeof *J.fx);
    J.wf = malloc(cols * sizeof *J.wf);
    J.aoff = malloc((rows + 1) * sizeof *J.aoff);
    J.aj = malloc(rows * cols * sizeof *J.aj);
    J.b.dist = malloc(rows * sizeof *J.b.dist);
    J.dist = malloc(rows * sizeof *J.dist);
    gen_ctx g = {.J = &J};
    g.fc = malloc((cols > rows ? cols : rows) * sizeof *g.fc);
    int rc = 0;
    if (!mask || !tinds || !J.ts2 || !J.cost || !J.img || !J.vsol || !J.sol || !J.wj || !J.fx || !J.wf || !J.aoff || !J.aj || !J.b.dist || !J.dist || !g.fc) {
        rc = OOM(err);
        goto done;
    }
    /* _get_mask: struct1 sites a b c with fu = 2 give supercell order aabbcc */
    for (size_t i = 0; i < s2->n; i++)
        for (size_t j = 0; j < s1->n; j++) {
            int neq = !sp_equal(o, s1->sp[j], s2->sp[i]);
            for (size_t t = 0; t < fu; t++) {
                if (s1_supercell)
                    mask[i * cols + j * fu + t] = neq;
                else
                    mask[(i * fu + t) * cols + j] = neq;
            }
        }
    size_t arg = 0, bestsum = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t s = 0;
        for (size_t j = 0; j < cols; j++) s += (size_t)mask[i * cols + j];
        if (i == 0 || s > bestsum) bestsum = s, arg = i;
    }
    size_t nt = 0, seen = 0;
    for (size_t j = 0; j < cols; j++)
        if (!mask[arg * cols + j]) {
            if (!s1_supercell || seen % fu == 0) tinds[nt++] = j;
            seen++;
        }
    J.mask = mask, J.t_inds = tinds, J.n_t = nt, J.t2 = arg;
    /* LinearAssignment(mask).min_cost > 0: no species-consistent assignment */
    for (size_t i = 0; i < cols; i++)
        for (size_t j = 0; j < cols; j++) J.cost[i * cols + j] = i < rows ? (double)mask[i * cols + j] : 0;
    double mc = 0;
    if (mmsm_lapjv((int)cols, J.cost, J.sol, &mc)) {
        rc = OOM(err);
        goto done;
    }
    if (mc > 0) goto done;
    /* The entries the mask forbids hold the reference's 1e20 cost and
     * vector for every lattice and translation: written once here, never
     * touched again (LAPJV only reads the costs), and the row scans visit
     * the allowed columns only, in increasing order as before. */
    J.aoff[0] = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t q = J.aoff[i];
        for (size_t j = 0; j < cols; j++) {
            J.aj[q] = j;
            q += !mask[i * cols + j];
            J.cost[i * cols + j] = 1e20;
            J.img[i * cols + j] = MMSM_NOVEC;
        }
        J.aoff[i + 1] = q;
    }
    g.A = s1_supercell ? s1 : s2;
    g.B = s1_supercell ? s2 : s1;
    g.swap = !s1_supercell;
    mmsm_params((const double (*)[3])g.B->lat, g.pB);
    if (break_on_match && !use_rms)
        rc = fit_in_likely_order(&g, o, err);
    else
        rc = mmsm_find_mappings((const double (*)[3])g.A->lat, (const double (*)[3])g.B->lat, o->ltol,
                                o->angle_tol, on_mapping, &g, err);
    if (rc > 0) rc = 0;
    if (rc) goto done;
    if (J.b.found && J.b.val < o->stol) {
        out->found = 1;
        out->val = J.b.val;
        out->nd = J.b.nd;
        out->dist = J.b.dist;
        J.b.dist = NULL;
    }
done:
    free(mask), free(tinds), free(J.ts2), free(J.cost), free(J.img), free(J.vsol), free(J.sol), free(J.wj), free(J.fx), free(J.wf), free(J.aoff), free(J.aj), free(J.b.dist), free(J.dist), free(g.fc);
    return rc;
}

/* _preprocess + _match on reduced cells (skip_structure_reduction) */
static int match_cells(const mms_match_options *o, const mms_match_cell *a, const mms_match_cell *b,
                       int use_rms, int break_on_match, best *out, mms_error *err)
{
    out->found = 0, out->dist = NULL;
    side S[2];
    const mms_match_cell *c[2] = {a, b};
    const species **sp[2] = {NULL, NULL};
    int rc = 0;
    for (int t = 0; t < 2; t++) {
        S[t].n = c[t]->s.n;
        S[t].f = (const double (*)[3])c[t]->s.f;
        memcpy(S[t].lat, c[t]->s.lat, sizeof S[t].lat);
        sp[t] = malloc(S[t].n * sizeof *sp[t]);
        if (!sp[t]) {
            free(sp[0]);
            return OOM(err);
        }
        for (size_t i = 0; i < S[t].n; i++) sp[t][i] = &c[t]->sps[c[t]->s.sp[i]];
        S[t].sp = sp[t];
    }
    /* _get_supercell_size (num_sites) */
    size_t fu = 1;
    int s1_supercell = 1;
    if (o->attempt_supercell) {
        double x = (double)S[1].n / (double)S[0].n;
        if (x < 2.0 / 3)
            fu = (size_t)nearbyint(1 / x), s1_supercell = 0;
        else
            fu = (size_t)nearbyint(x), s1_supercell = 1;
        if (fu < 1) {
            rc = mms_error_set(err, MMS_ECOMPUTE, 0, "fu cannot be less than 1");
            goto done;
        }
    }
    double mult = s1_supercell ? (double)fu : 1 / (double)fu;
    if (o->scale) {
        double ratio = pow(mmsm_volume((const double (*)[3])S[1].lat) /
                               (mmsm_volume((const double (*)[3])S[0].lat) * mult),
                           1.0 / 6);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) S[0].lat[i][j] *= ratio, S[1].lat[i][j] /= ratio;
    }
    double ratio = s1_supercell ? (double)fu : 1 / (double)fu;
    if ((double)S[0].n * ratio >= (double)S[1].n)
        rc = strict_match(o, &S[0], &S[1], fu, s1_supercell, use_rms, break_on_match, out, err);
    else
        rc = strict_match(o, &S[1], &S[0], fu, !s1_supercell, use_rms, break_on_match, out, err);
done:
    free(sp[0]), free(sp[1]);
    return rc;
}

int mms_match_fit(const mms_match_options *o, const mms_match_cell *a, const mms_match_cell *b,
                  int *fit, mms_error *err)
{
    if (!o || !a || !b || !fit) return mms_error_set(err, MMS_EINVAL, 0, "match fit: NULL argument");
    *fit = 0;
    if (!o->allow_subset && !same_hash(o, a, b)) return MMS_OK;
    best m;
    int rc = match_cells(o, a, b, 0, 1, &m, err);
    if (rc) return rc;
    *fit = m.found && m.val <= o->stol;
    free(m.dist);
    return MMS_OK;
}

int mms_match_rms(const mms_match_options *o, const mms_match_cell *a, const mms_match_cell *b,
                  int *found, double *rms, double *max_dist, mms_error *err)
{
    if (!o || !a || !b || !found) return mms_error_set(err, MMS_EINVAL, 0, "match rms: NULL argument");
    *found = 0;
    best m;
    int rc = match_cells(o, a, b, 1, 0, &m, err);
    if (rc) return rc;
    if (m.found) {
        double mx = m.dist[0];
        for (size_t i = 1; i < m.nd; i++) mx = fmax(mx, m.dist[i]);
        *found = 1;
        if (rms) *rms = m.val;
        if (max_dist) *max_dist = mx;
    }
    free(m.dist);
    return MMS_OK;
}

/* ------------------------------------------------------ group_structures */
typedef struct comp_el {
    int z, has_ox;
    double ox, frac;
} comp_el;
typedef struct comp {
    size_t n;
    comp_el *e;
} comp;

static int cmp_el(const void *a, const void *b)
{
    const comp_el *x = a, *y = b;
    if (x->z != y->z) return x->z < y->z ? -1 : 1;
    if (x->has_ox != y->has_ox) return x->has_ox < y->has_ox ? -1 : 1;
    if (x->ox != y->ox) return x->ox < y->ox ? -1 : 1;
    return 0;
}

/* the comparator's hash as a sorted (species, fraction) list */
static int comp_key(const mms_match_options *o, const mms_match_cell *c, comp *k)
{
    k->n = 0;
    k->e = malloc(c->nsp * sizeof *k->e);
    if (!k->e) return -1;
    for (size_t i = 0; i < c->s.n; i++) {
        const species *s = &c->sps[c->s.sp[i]];
        comp_el x = {s->z, o->comparator == MMS_MATCH_ELEMENT ? 0 : s->has_ox,
                     o->comparator == MMS_MATCH_ELEMENT ? 0 : s->ox, 0};
        size_t j;
        for (j = 0; j < k->n; j++)
            if (!cmp_el(&k->e[j], &x)) break;
        if (j == k->n) k->e[k->n++] = x;
        k->e[j].frac += 1;
    }
    for (size_t j = 0; j < k->n; j++) k->e[j].frac /= (double)c->s.n;
    qsort(k->e, k->n, sizeof *k->e, cmp_el);
    return 0;
}

static int cmp_ord(const void *ctx, size_t i, size_t j)
{
    const comp *keys = ctx, *x = &keys[i], *y = &keys[j];
    size_t n = x->n < y->n ? x->n : y->n;
    for (size_t q = 0; q < n; q++) {
        int c = cmp_el(&x->e[q], &y->e[q]);
        if (c) return c;
        if (fabs(x->e[q].frac - y->e[q].frac) > 1e-8) return x->e[q].frac < y->e[q].frac ? -1 : 1;
    }
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return i < j ? -1 : i > j;
}

typedef struct grp_task {
    const mms_match_options *o;
    const mms_match_cell *const *cells;
    size_t ref;
    const size_t *cand;
    size_t ncand;
    unsigned char *hit;
    int rc;
    mms_error err;
    size_t t, nt;
} grp_task;

static void *grp_worker(void *arg)
{
    grp_task *T = arg;
    for (size_t q = T->t; q < T->ncand && !T->rc; q += T->nt) {
        int f = 0;
        T->rc = mms_match_fit(T->o, T->cells[T->ref], T->cells[T->cand[q]], &f, &T->err);
        T->hit[q] = (unsigned char)f;
    }
    return NULL;
}

int mms_match_group(const mms_match_options *o, size_t n, const mms_match_cell *const *cells,
                    int n_threads, size_t *group_of, size_t *n_groups, mms_error *err)
{
    if (!o || (n && (!cells || !group_of)) || !n_groups)
        return mms_error_set(err, MMS_EINVAL, 0, "match group: NULL argument");
    if (o->allow_subset)
        return mms_error_set(err, MMS_EINVAL, 0, "allow_subset cannot be used with group_structures");
    *n_groups = 0;
    if (n_threads < 1) n_threads = 1;
    if (n_threads > 64) n_threads = 64;
    comp *keys = NULL;
    size_t *nxt = NULL;
    size_t *cls = malloc((n ? n : 1) * sizeof *cls); /* composition class per cell */
    size_t *open = malloc((n ? n : 1) * sizeof *open);
    unsigned char *hit = malloc(n ? n : 1);
    int rc = 0;
    if (!cls || !open || !hit) {
        rc = OOM(err);
        goto done;
    }
    /* pre-group by comparator hash as pymatgen does (sort by composition,
     * then runs of equal compositions); within a class, input order */
    keys = calloc(n ? n : 1, sizeof *keys);
    size_t *ord = malloc((n ? n : 1) * 2 * sizeof *ord);
    if (!keys || !ord) {
        free(ord);
        rc = OOM(err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (comp_key(o, cells[i], &keys[i])) {
            free(ord);
            rc = OOM(err);
            goto done;
        }
        ord[i] = i;
        group_of[i] = (size_t)-1;
    }
    sort_idx(ord, n, ord + n, cmp_ord, keys);
    for (size_t q = 0; q < n; q++) {
        size_t i = ord[q];
        if (q > 0 && same_hash(o, cells[ord[q - 1]], cells[i]))
            cls[i] = cls[ord[q - 1]];
        else
            cls[i] = i;
    }
    /* the class root is its first member in input order */
    {
        size_t q = 0;
        while (q < n) {
            size_t e = q + 1, mn = ord[q];
            while (e < n && cls[ord[e]] == cls[ord[q]]) {
                if (ord[e] < mn) mn = ord[e];
                e++;
            }
            for (size_t t = q; t < e; t++) cls[ord[t]] = mn;
            q = e;
        }
    }
    free(ord);
    /* members of each class in input order, as a linked list */
    nxt = malloc((n ? n : 1) * sizeof *nxt);
    if (!nxt) {
        rc = OOM(err);
        goto done;
    }
    {
        size_t *last = open; /* reused as scratch: last member seen per root */
        for (size_t i = 0; i < n; i++) nxt[i] = n;
        for (size_t i = 0; i < n; i++) {
            if (cls[i] != i) nxt[last[cls[i]]] = i;
            last[cls[i]] = i;
        }
    }
    for (size_t root = 0; root < n; root++) {
        if (cls[root] != root) continue;
        size_t nopen = 0;
        for (size_t i = root; i < n; i = nxt[i]) open[nopen++] = i;
        while (nopen > 0) {
            size_t ref = open[0];
            group_of[ref] = ref;
            size_t nc = nopen - 1;
            const size_t *cand = open + 1;
            int nt = n_threads;
            if ((size_t)nt > nc) nt = nc ? (int)nc : 1;
            grp_task T[64];
            pthread_t th[64];
            int started[64] = {0};
            for (int t = 0; t < nt; t++) {
                T[t] = (grp_task){o, cells, ref, cand, nc, hit, 0, {0}, (size_t)t, (size_t)nt};
                if (t > 0 && !pthread_create(&th[t], NULL, grp_worker, &T[t])) started[t] = 1;
            }
            grp_worker(&T[0]);
            for (int t = 1; t < nt; t++) {
                if (started[t])
                    pthread_join(th[t], NULL);
                else
                    grp_worker(&T[t]);
            }
            for (int t = 0; t < nt; t++)
                if (T[t].rc) {
                    rc = T[t].rc;
                    if (err) *err = T[t].err;
                    goto done;
                }
            size_t w = 0;
            for (size_t q = 0; q < nc; q++) {
                if (hit[q])
                    group_of[cand[q]] = ref;
                else
                    open[w++] = cand[q];
            }
            nopen = w;
        }
    }
    /* groups numbered by their first member's position */
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (group_of[i] == i) {
            open[i] = ng++;
        }
    }
    for (size_t i = 0; i < n; i++) group_of[i] = open[group_of[i]];
    *n_groups = ng;
done:
    if (keys)
        for (size_t i = 0; i < n; i++) free(keys[i].e);
    free(keys), free(cls), free(open), free(hit), free(nxt);
    return rc;
}
