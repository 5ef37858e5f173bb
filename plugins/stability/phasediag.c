/* pymatgen 2022.11.7's PhaseDiagram._compute and get_decomp_and_e_above_hull
 * (pymatgen/analysis/phase_diagram.py, pymatgen/util/coord.py Simplex),
 * step for step, so that the same entries, facets and decompositions come
 * out:
 *  - elements in Element order (electronegativity, NaN last, then symbol);
 *  - entries stably sorted by reduced composition (Composition.__ge__, a
 *    lexicographic order of amounts over the elements, tolerance 1e-8),
 *    grouped by equal reduced composition; the first entry of lowest energy
 *    per atom represents its group; elemental groups give the references;
 *  - hull points: the groups' representatives of formation energy below
 *    -1e-11, then the elemental references, as (fractions of all elements
 *    but the first, energy per atom), plus an extra point at fractions 1/dim
 *    and one above the largest coordinate, which makes the hull full-
 *    dimensional and lies on every upper facet;
 *  - qhull with scipy's ConvexHull options ("Qt", triangulated output);
 *    facets through the extra point and those whose [coords | 1] matrix has
 *    |det| <= 1e-14 are dropped (when the elements are the only hull points
 *    their simplex is the one facet, and a few points in general position
 *    get their lower facets by trying every subset: small_hull; both
 *    without qhull);
 *  - a composition lies in the first facet whose barycentric coordinates
 *    (row [coords, 1] times the inverse of [vertex coords | 1]) are all
 *    >= -1e-9; terms above 1e-8 form the decomposition;
 *  - an entry equal to a stable entry (same composition and energy, as
 *    Entry.__eq__ and __hash__ decide) is exactly on the hull. */
#include "phasediag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <libqhull_r/qhull_ra.h>

#include "mmscore/elements.h"
#include "mmscore/structure.h"

#define AMOUNT_TOL 1e-8
#define FORMATION_TOL 1e-11
#define NUMERICAL_TOL 1e-8
#define MAX_FACETS 1000000

/* Element.__lt__: NaN electronegativity sorts as +inf, ties by symbol. */
static int cmp_element(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    double xa = mms_element_x(a), xb = mms_element_x(b);
    if (isnan(xa))
        xa = INFINITY;
    if (isnan(xb))
        xb = INFINITY;
    if (xa != xb)
        return xa < xb ? -1 : 1;
    return strcmp(mms_element_symbol(a), mms_element_symbol(b));
}

typedef struct sort_ctx {
    const double *red; /* entries x dim reduced amounts, PD element order */
    int dim;
} sort_ctx;

/* a < b under Composition's total_ordering (from __ge__): at the first
 * element (in Element order) where the amounts differ by >= 1e-8, b has
 * more. */
static int comp_less(const sort_ctx *c, size_t a, size_t b)
{
    const double *x = c->red + a * (size_t)c->dim, *y = c->red + b * (size_t)c->dim;
    for (int k = 0; k < c->dim; k++) {
        if (y[k] - x[k] >= AMOUNT_TOL)
            return 1;
        if (x[k] - y[k] >= AMOUNT_TOL)
            return 0;
    }
    return 0;
}

/* Stable merge sort of positions 0..n-1 (Python's sorted is stable). */
static void merge_sort(size_t *v, size_t *tmp, size_t n, const sort_ctx *c)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(v, tmp, h, c);
    merge_sort(v + h, tmp, n - h, c);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = comp_less(c, v[j], v[i]) ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static int comp_equal(const sort_ctx *c, size_t a, size_t b)
{
    const double *x = c->red + a * (size_t)c->dim, *y = c->red + b * (size_t)c->dim;
    for (int k = 0; k < c->dim; k++)
        if (fabs(x[k] - y[k]) > AMOUNT_TOL)
            return 0;
    return 1;
}

/* LU of a dim x dim matrix (row-major, overwritten); returns det. */
static double lu_det(double *a, int dim, size_t *perm_data)
{
    gsl_matrix_view m = gsl_matrix_view_array(a, (size_t)dim, (size_t)dim);
    gsl_permutation perm = {(size_t)dim, perm_data};
    int sign = 1;
    gsl_linalg_LU_decomp(&m.matrix, &perm, &sign);
    return gsl_linalg_LU_det(&m.matrix, sign);
}

void pd_free(phase_diagram *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->qformula && i < p->nq; i++)
        free(p->qformula[i]);
    free(p->qformula);
    free(p->qentry);
    free(p->qepa);
    free(p->stable);
    free(p->facet);
    free(p->inv);
    free(p->pts);
    free(p);
}

/* Facets of the hull of npts points of dimension dim, as qhull lists them
 * after triangulation ("qhull i Qt", scipy's ConvexHull).  *facets is
 * malloc'd, nf x dim point indices. */
static int qhull_facets(double *pts, int npts, int dim, int **facets, size_t *nf,
                        mms_error *err)
{
    char *msg = NULL;
    size_t msg_len = 0;
    FILE *ferr = open_memstream(&msg, &msg_len);
    if (!ferr)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    qhT qh_storage, *qh = &qh_storage;
    char cmd[] = "qhull i Qt";
    qh_zero(qh, ferr);
    int rc = qh_new_qhull(qh, dim, npts, pts, False, cmd, NULL, ferr);
    volatile int out = MMS_OK; /* survives qhull's longjmp */
    *facets = NULL;
    *nf = 0;
    if (rc == 0) {
        if (setjmp(qh->errexit) == 0) {
            qh->NOerrexit = False;
            qh_triangulate(qh);
            facetT *facet;
            vertexT *vertex, **vertexp;
            size_t n = 0;
            FORALLfacets
                n++;
            /* a bound on the inverses kept per facet (dim^2 doubles each) */
            if (n > MAX_FACETS)
                out = mms_error_set(err, MMS_ELIMIT, 0,
                                    "the hull has %zu facets, more than the %d handled", n,
                                    MAX_FACETS);
            else if (!(*facets = malloc((n ? n : 1) * (size_t)dim * sizeof **facets)))
                out = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            FORALLfacets {
                if (out != MMS_OK)
                    break;
                if (qh_setsize(qh, facet->vertices) != dim) {
                    out = mms_error_set(err, MMS_ECOMPUTE, 0,
                                        "qhull left a non-simplicial facet");
                    break;
                }
                int k = 0;
                FOREACHvertex_(facet->vertices)
                    (*facets)[*nf * (size_t)dim + (size_t)k++] = qh_pointid(qh, vertex->point);
                (*nf)++;
            }
        } else {
            rc = 1;
        }
        qh->NOerrexit = True;
    }
    int curlong, totlong;
    qh_freeqhull(qh, !qh_ALL);
    qh_memfreeshort(qh, &curlong, &totlong);
    fclose(ferr);
    if (rc != 0 && out == MMS_OK) {
        const char *m = msg ? msg : "";
        while (*m == '\n')
            m++;
        size_t l = strcspn(m, "\n");
        out = mms_error_set(err, MMS_ECOMPUTE, 0, "qhull could not build the hull: %.*s",
                            (int)(l > 300 ? 300 : l), m);
    }
    free(msg);
    if (out != MMS_OK) {
        free(*facets);
        *facets = NULL;
        *nf = 0;
    }
    return out;
}

/* pymatgen's filter of qhull's facets: those through the extra point (index
 * nq) and those whose [coords | 1] has |det| <= 1e-14 are dropped; the others
 * get the inverse of that matrix, and their vertices are stable.  Appends to
 * facet/inv (room for nf), counting in *kept. */
static void keep_facets(const double *pts, size_t nq, int dim, const int *facets, size_t nf,
                        int *facet, double *inv_out, unsigned char *stable, size_t *kept)
{
    for (size_t f = 0; f < nf; f++) {
        const int *fc = facets + f * (size_t)dim;
        int extra = 0;
        for (int k = 0; k < dim; k++)
            extra |= fc[k] == (int)nq;
        if (extra)
            continue;
        double a[PD_MAX_DIM * PD_MAX_DIM], lu[PD_MAX_DIM * PD_MAX_DIM];
        size_t perm[PD_MAX_DIM];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim - 1; j++)
                a[i * dim + j] = pts[(size_t)fc[i] * (size_t)dim + (size_t)j];
            a[i * dim + dim - 1] = 1.0;
        }
        memcpy(lu, a, (size_t)(dim * dim) * sizeof *a);
        if (!(fabs(lu_det(lu, dim, perm)) > 1e-14))
            continue;
        double *inv = inv_out + *kept * (size_t)dim * (size_t)dim;
        gsl_matrix_view luv = gsl_matrix_view_array(lu, (size_t)dim, (size_t)dim);
        gsl_matrix_view iv = gsl_matrix_view_array(inv, (size_t)dim, (size_t)dim);
        gsl_permutation pm = {(size_t)dim, perm};
        gsl_linalg_LU_invert(&luv.matrix, &pm, &iv.matrix);
        memcpy(facet + *kept * (size_t)dim, fc, (size_t)dim * sizeof *fc);
        if (stable)
            for (int k = 0; k < dim; k++)
                stable[fc[k]] = 1;
        (*kept)++;
    }
}

/* Margins of the hull built without qhull (small_hull): every point at
 * least HULL_MARGIN x (1 + the largest |coordinate|) from every facet's plane
 * it is not on, facets far from vertical (|det| of [coords | 1] above
 * HULL_THIN), every fraction 0 or at least HULL_FRAC.  qhull's round-off
 * for such points is ~1e-14 (its "Error-roundoff"), so no point is near a
 * facet's plane and no facet near-degenerate: qhull neither merges facets
 * nor drops a vertex, and its hull is the exact one. */
#define HULL_MARGIN 1e-9
#define HULL_THIN 1e-8
#define HULL_FRAC 1e-6
#define HULL_SUBSETS 64 /* at most C(nq, dim) candidate facets tried */

/* The lower facets of a few points (nq hull points, then the extra point,
 * which is above every point at the simplex's centre), by trying every dim
 * of them: a facet when every other point is above its plane.  Those are the
 * facets qhull returns without the extra point and |det| > 1e-14 (the
 * others pass through the extra point, or are vertical with |det| ~ 0),
 * i.e. those pymatgen keeps, up to their order and their vertices' order.
 * The order of the vertices changes a barycentric coordinate only by
 * rounding; the facets' order matters only for a composition two facets
 * accept, which pd_query sends to qhull.  Returns 0 (qhull decides) when
 * there are too many subsets or a margin fails. */
static int small_hull(const double *pts, size_t nq, int dim, int *facets, size_t *nf)
{
    size_t subsets = 1;
    for (int k = 0; k < dim; k++) {
        subsets = subsets * (nq - (size_t)k) / (size_t)(k + 1);
        if (subsets > HULL_SUBSETS)
            return 0;
    }
    double maxabs = 0;
    for (size_t i = 0; i < (nq + 1) * (size_t)dim; i++)
        if (fabs(pts[i]) > maxabs)
            maxabs = fabs(pts[i]);
    double tol = HULL_MARGIN * (1 + maxabs);
    int idx[PD_MAX_DIM];
    for (int k = 0; k < dim; k++)
        idx[k] = k;
    *nf = 0;
    double vol = 0; /* of the facets' projections, times (dim - 1)! */
    for (;;) {
        double a[PD_MAX_DIM * PD_MAX_DIM], c[PD_MAX_DIM];
        size_t perm[PD_MAX_DIM];
        for (int i = 0; i < dim; i++) {
            const double *x = pts + (size_t)idx[i] * (size_t)dim;
            for (int j = 0; j < dim - 1; j++)
                a[i * dim + j] = x[j];
            a[i * dim + dim - 1] = 1.0;
            c[i] = x[dim - 1];
        }
        double det = lu_det(a, dim, perm);
        if (fabs(det) > 1e-15) {
            /* the plane energy = sum_j c_j x_j + c_{dim-1} through the subset */
            gsl_matrix_view av = gsl_matrix_view_array(a, (size_t)dim, (size_t)dim);
            gsl_vector_view cv = gsl_vector_view_array(c, (size_t)dim);
            gsl_permutation pm = {(size_t)dim, perm};
            gsl_linalg_LU_svx(&av.matrix, &pm, &cv.vector);
            double g2 = 1;
            for (int j = 0; j < dim - 1; j++)
                g2 += c[j] * c[j];
            double scale = sqrt(g2);
            int below = 0, near = 0;
            for (size_t u = 0, t = 0; u < nq && !below; u++) {
                if (t < (size_t)dim && (size_t)idx[t] == u) {
                    t++;
                    continue;
                }
                const double *x = pts + u * (size_t)dim;
                double plane = c[dim - 1];
                for (int j = 0; j < dim - 1; j++)
                    plane += c[j] * x[j];
                double d = (x[dim - 1] - plane) / scale;
                if (d < -tol)
                    below = 1;
                else if (!(d > tol))
                    near = 1;
            }
            if (!below) {
                if (near || !(fabs(det) > HULL_THIN))
                    return 0;
                for (int k = 0; k < dim; k++)
                    facets[*nf * (size_t)dim + (size_t)k] = idx[k];
                (*nf)++;
                vol += fabs(det);
            }
        }
        int k = dim - 1;
        while (k >= 0 && (size_t)idx[k] == nq - (size_t)(dim - k))
            k--;
        if (k < 0)
            break;
        idx[k]++;
        for (int j = k + 1; j < dim; j++)
            idx[j] = idx[j - 1] + 1;
    }
    /* The facets found are facets of the exact hull; they must tile the
     * elements' simplex (the last dim points), else a facet too thin to be
     * tried (|det| <= 1e-15) lies between them: qhull decides. */
    double a[PD_MAX_DIM * PD_MAX_DIM];
    size_t perm[PD_MAX_DIM];
    for (int i = 0; i < dim; i++) {
        for (int j = 0; j < dim - 1; j++)
            a[i * dim + j] = pts[(nq - (size_t)dim + (size_t)i) * (size_t)dim + (size_t)j];
        a[i * dim + dim - 1] = 1.0;
    }
    double whole = fabs(lu_det(a, dim, perm));
    return *nf > 0 && fabs(vol - whole) <= 1e-12 * whole;
}

int pd_build(const hull_ref *r, const hull_mask *m, phase_diagram **out, mms_error *err)
{
    *out = NULL;
    int el[119], dim = 0;
    for (int z = 1; z <= MMS_MAX_Z; z++)
        if (m->w[z >> 6] >> (z & 63) & 1) {
            if (!r->has_element[z])
                return mms_error_set(err, MMS_ENOTFOUND, 0,
                                     "element %s is not in the hull reference (no entry of %s "
                                     "alone in %s)",
                                     mms_element_symbol(z), mms_element_symbol(z), r->path);
            el[dim++] = z;
        }
    if (dim == 0)
        return mms_error_set(err, MMS_EINVAL, 0, "empty composition");
    if (dim > PD_MAX_DIM)
        return mms_error_set(err, MMS_ECOMPUTE, 0,
                             "%d elements: more than the %d a hull is built for", dim,
                             PD_MAX_DIM);
    qsort(el, (size_t)dim, sizeof *el, cmp_element);
    int pos[119];
    for (int k = 0; k < dim; k++)
        pos[el[k]] = k;

    size_t n = 0;
    int oom = 0;
    size_t *ent = hull_ref_subset(r, m, &n, &oom);
    phase_diagram *p = calloc(1, sizeof *p);
    double *red = malloc((n ? n : 1) * (size_t)dim * sizeof *red);
    double *frac = malloc((n ? n : 1) * (size_t)(dim + 1) * sizeof *frac);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *tmp = malloc((n + PD_MAX_DIM) * sizeof *tmp); /* later: hull point list */
    size_t *mins = malloc((n ? n : 1) * sizeof *mins);
    double *pts = NULL;
    int *facets = NULL;
    int rc = MMS_OK;
    if (oom || !ent || !p || !red || !frac || !order || !tmp || !mins) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        goto done;
    }
    p->dim = dim;
    memcpy(p->el, el, (size_t)dim * sizeof *el);
    p->n_entries = n;
    /* per entry: reduced amounts and (fractions, energy per atom) in PD order */
    for (size_t i = 0; i < n; i++) {
        size_t e = ent[i];
        double *rv = red + i * (size_t)dim, *fv = frac + i * (size_t)(dim + 1);
        memset(rv, 0, (size_t)dim * sizeof *rv);
        memset(fv, 0, (size_t)(dim + 1) * sizeof *fv);
        for (size_t k = r->off[e]; k < r->off[e + 1]; k++) {
            rv[pos[r->z[k]]] += r->red[k];
            fv[pos[r->z[k]]] += fabs(r->amt[k]) / r->natoms[e];
        }
        fv[dim] = r->energy[e] / r->natoms[e];
        order[i] = i;
    }
    sort_ctx sc = {red, dim};
    merge_sort(order, tmp, n, &sc);

    /* groups of equal reduced composition: first lowest energy per atom */
    size_t nmin = 0;
    int ref_min[PD_MAX_DIM]; /* el_refs: position in mins, per PD element */
    int ref_rank[PD_MAX_DIM]; /* insertion order of el_refs' keys */
    int n_refs = 0;
    for (int k = 0; k < dim; k++)
        ref_min[k] = -1;
    for (size_t g = 0; g < n;) {
        size_t h = g + 1;
        while (h < n && comp_equal(&sc, order[g], order[h]))
            h++;
        size_t best = order[g];
        for (size_t i = g + 1; i < h; i++)
            if (frac[order[i] * (size_t)(dim + 1) + (size_t)dim] <
                frac[best * (size_t)(dim + 1) + (size_t)dim])
                best = order[i];
        size_t e = ent[best];
        if (r->off[e + 1] - r->off[e] == 1) {
            int k = pos[r->z[r->off[e]]];
            if (ref_min[k] < 0)
                ref_rank[n_refs++] = k;
            ref_min[k] = (int)nmin;
        }
        mins[nmin++] = best;
        g = h;
    }
    if (n_refs < dim) { /* cannot happen: has_element was checked */
        rc = mms_error_set(err, MMS_ENOTFOUND, 0, "missing terminal entries in the reference");
        goto done;
    }
    for (int k = 0; k < dim; k++)
        p->ref_epa[k] = frac[mins[ref_min[k]] * (size_t)(dim + 1) + (size_t)dim];

    /* hull points: negative formation energy, then the elemental references */
    size_t *qidx = tmp; /* positions in mins */
    size_t nq = 0;
    for (size_t i = 0; i < nmin; i++) {
        const double *fv = frac + mins[i] * (size_t)(dim + 1);
        double dot = 0;
        for (int k = 0; k < dim; k++)
            dot += fv[k] * p->ref_epa[k];
        dot += fv[dim] * -1.0;
        if (-dot < -FORMATION_TOL)
            qidx[nq++] = i;
    }
    for (int t = 0; t < n_refs; t++)
        qidx[nq++] = (size_t)ref_min[ref_rank[t]];
    p->nq = nq;
    p->qentry = malloc(nq * sizeof *p->qentry);
    p->qepa = malloc(nq * sizeof *p->qepa);
    p->qformula = calloc(nq, sizeof *p->qformula);
    p->stable = calloc(nq, 1);
    pts = malloc((nq + 1) * (size_t)dim * sizeof *pts);
    if (!p->qentry || !p->qepa || !p->qformula || !p->stable || !pts) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        goto done;
    }
    double top = -INFINITY;
    int fracs_ok = 1; /* small_hull's margin: fractions 0 or >= HULL_FRAC */
    for (size_t q = 0; q < nq; q++) {
        const double *fv = frac + mins[qidx[q]] * (size_t)(dim + 1);
        p->qentry[q] = ent[mins[qidx[q]]];
        p->qepa[q] = fv[dim];
        for (int k = 0; k < dim; k++)
            fracs_ok &= fv[k] == 0 || fv[k] >= HULL_FRAC;
        for (int k = 1; k <= dim; k++) {
            pts[q * (size_t)dim + (size_t)(k - 1)] = fv[k];
            if (fv[k] > top)
                top = fv[k];
        }
        size_t e = p->qentry[q], ne = r->off[e + 1] - r->off[e];
        int zz[64];
        for (size_t k = 0; k < ne && k < 64; k++)
            zz[k] = r->z[r->off[e] + k];
        char buf[256];
        rc = mms_composition_formula_reduced(zz, r->amt + r->off[e], ne < 64 ? ne : 64, buf,
                                             sizeof buf, err);
        if (rc == MMS_OK && !(p->qformula[q] = strdup(buf)))
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        if (rc != MMS_OK)
            goto done;
    }
    for (int k = 0; k < dim - 1; k++)
        pts[nq * (size_t)dim + (size_t)k] = 1.0 / dim;
    pts[nq * (size_t)dim + (size_t)(dim - 1)] = top + 1;

    size_t nf = 0;
    int small = 0;
    if (dim > 1 && nq > (size_t)dim && fracs_ok) {
        /* a few compounds: their facets without qhull (small_hull) */
        if (!(facets = malloc(HULL_SUBSETS * (size_t)dim * sizeof *facets))) {
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            goto done;
        }
        small = small_hull(pts, nq, dim, facets, &nf);
        if (!small) {
            free(facets);
            facets = NULL;
            nf = 0;
        }
    }
    if (small) {
        /* kept for pd_query's recourse to qhull */
        p->pts = pts;
        pts = NULL;
    } else if (dim > 1 && nq == (size_t)dim) {
        /* Only the elements are hull points: with the extra point they span
         * a simplex whose one lower facet is theirs, what qhull would give
         * (its order of the vertices changes nothing beyond rounding).
         * Half of the fixture's systems are so, and qhull's fixed set-up
         * cost is most of a small hull's. */
        facets = malloc((size_t)dim * sizeof *facets);
        if (!facets) {
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            goto done;
        }
        for (int k = 0; k < dim; k++)
            facets[k] = k;
        nf = 1;
    } else if (dim == 1) {
        size_t best = 0;
        for (size_t q = 1; q <= nq; q++)
            if (pts[q] < pts[best])
                best = q;
        facets = malloc(sizeof *facets);
        if (!facets) {
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
            goto done;
        }
        facets[0] = (int)best;
        nf = 1;
    } else {
        rc = qhull_facets(pts, (int)nq + 1, dim, &facets, &nf, err);
        if (rc != MMS_OK)
            goto done;
    }
    p->facet = malloc((nf ? nf : 1) * (size_t)dim * sizeof *p->facet);
    p->inv = malloc((nf ? nf : 1) * (size_t)dim * (size_t)dim * sizeof *p->inv);
    if (!p->facet || !p->inv) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
        goto done;
    }
    keep_facets(small ? p->pts : pts, nq, dim, facets, nf, p->facet, p->inv, p->stable, &p->nf);
done:
    free(ent);
    free(red);
    free(frac);
    free(order);
    free(tmp);
    free(mins);
    free(pts);
    free(facets);
    if (rc != MMS_OK) {
        pd_free(p);
        return rc;
    }
    *out = p;
    return MMS_OK;
}

/* formula_double_format(x, ignore_ones=False) of pymatgen, as a key: the
 * integer when within 1e-8 of int(x), else x rounded to 8 decimals. */
static void amount_key(double x, char *buf, size_t n)
{
    double t = trunc(x);
    if (fabs(x - t) < AMOUNT_TOL)
        snprintf(buf, n, "%.0f", t);
    else
        snprintf(buf, n, "%.8f", x);
}

/* Entry.__eq__ behind `entry in stable_entries`: the same hash (the
 * Composition.formula and the energy to 8 decimals) and equal (energies
 * np.allclose, compositions equal within 1e-8 per element). */
static int equals_entry(const hull_ref *r, size_t e, const int *z, const double *amount,
                        size_t n, double energy)
{
    if (r->off[e + 1] - r->off[e] != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = r->off[e];
        while (k < r->off[e + 1] && r->z[k] != z[i])
            k++;
        if (k == r->off[e + 1] || fabs(r->amt[k] - amount[i]) > AMOUNT_TOL)
            return 0;
        char a[64], b[64];
        amount_key(r->amt[k], a, sizeof a);
        amount_key(amount[i], b, sizeof b);
        if (strcmp(a, b))
            return 0;
    }
    char ea[64], eb[64];
    snprintf(ea, sizeof ea, "%.8f", r->energy[e]);
    snprintf(eb, sizeof eb, "%.8f", energy);
    return !strcmp(ea, eb) && fabs(r->energy[e] - energy) <= 1e-8 + 1e-5 * fabs(energy);
}

/* Simplex.in_simplex over the facets from `from` on: the first whose
 * barycentric coordinates of v (row [fractions, 1] times the inverse) are all
 * >= -1e-9, its coordinates in bary; nf when none. */
static size_t find_facet(int dim, size_t nf, const double *invs, const double *v, size_t from,
                         double *bary)
{
    for (size_t f = from; f < nf; f++) {
        const double *inv = invs + f * (size_t)dim * (size_t)dim;
        int inside = 1;
        for (int j = 0; j < dim; j++) {
            double s = 0;
            for (int i = 0; i < dim; i++)
                s += v[i] * inv[i * dim + j];
            bary[j] = s;
            if (!(s >= -NUMERICAL_TOL / 10))
                inside = 0;
        }
        if (inside)
            return f;
    }
    return nf;
}

typedef struct decomp {
    int n;
    int q[PD_MAX_DIM]; /* hull points */
    double amount[PD_MAX_DIM], hull;
} decomp;

/* get_decomposition's terms above 1e-8 and the hull energy per atom */
static void facet_decomp(const phase_diagram *p, const int *facet, const double *bary,
                         decomp *d)
{
    d->n = 0;
    d->hull = 0;
    for (int j = 0; j < p->dim; j++) {
        if (!(fabs(bary[j]) > NUMERICAL_TOL))
            continue;
        d->q[d->n] = facet[j];
        d->amount[d->n++] = bary[j];
        d->hull += p->qepa[facet[j]] * bary[j];
    }
}

/* Two facets' answers equal to rounding (a composition at their shared
 * vertex or on their shared edge): the same phases, amounts within 1e-14,
 * hull energies within 1e-13. */
static int same_decomp(const decomp *a, const decomp *b)
{
    if (a->n != b->n || !(fabs(a->hull - b->hull) <= 1e-13))
        return 0;
    for (int i = 0; i < a->n; i++) {
        int j = 0;
        while (j < b->n && b->q[j] != a->q[i])
            j++;
        if (j == b->n || !(fabs(a->amount[i] - b->amount[j]) <= 1e-14))
            return 0;
    }
    return 1;
}

/* The decomposition from qhull's facets, in qhull's order: for a diagram
 * built without qhull, when two of its facets accept a composition and
 * disagree beyond rounding (within 1e-9 of a shared edge, not on it), the
 * first in qhull's order is pymatgen's answer. */
static int qhull_decomp(const phase_diagram *p, const double *v, decomp *d, mms_error *err)
{
    int dim = p->dim;
    size_t npts = p->nq + 1;
    double *pts = malloc(npts * (size_t)dim * sizeof *pts);
    if (!pts)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    memcpy(pts, p->pts, npts * (size_t)dim * sizeof *pts); /* qhull's input is not const */
    int *facets = NULL, *kept = NULL;
    double *inv = NULL;
    size_t nf = 0, nk = 0;
    int rc = qhull_facets(pts, (int)npts, dim, &facets, &nf, err);
    if (rc == MMS_OK) {
        kept = malloc((nf ? nf : 1) * (size_t)dim * sizeof *kept);
        inv = malloc((nf ? nf : 1) * (size_t)dim * (size_t)dim * sizeof *inv);
        if (!kept || !inv)
            rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    if (rc == MMS_OK) {
        keep_facets(pts, p->nq, dim, facets, nf, kept, inv, NULL, &nk);
        double bary[PD_MAX_DIM];
        size_t f = find_facet(dim, nk, inv, v, 0, bary);
        if (f == nk)
            rc = mms_error_set(err, MMS_ECOMPUTE, 0,
                               "no facet of the hull contains the composition");
        else
            facet_decomp(p, kept + f * (size_t)dim, bary, d);
    }
    free(pts);
    free(facets);
    free(kept);
    free(inv);
    return rc;
}

int pd_query(const phase_diagram *p, const hull_ref *r, const int *z, const double *amount,
             size_t n, double energy, pd_result *res, mms_error *err)
{
    int dim = p->dim;
    memset(res, 0, sizeof *res);
    double natoms = 0, frac[PD_MAX_DIM] = {0};
    for (size_t i = 0; i < n; i++)
        natoms += fabs(amount[i]);
    if (!(natoms > 0))
        return mms_error_set(err, MMS_EINVAL, 0, "empty composition");
    double form = energy;
    for (size_t i = 0; i < n; i++) {
        int k = -1;
        for (int j = 0; j < dim; j++)
            if (p->el[j] == z[i])
                k = j;
        if (k < 0)
            return mms_error_set(err, MMS_EINVAL, 0, "element %s is not in the diagram",
                                 mms_element_symbol(z[i]));
        frac[k] = fabs(amount[i]) / natoms;
        form -= amount[i] * p->ref_epa[k];
    }
    res->formation_energy_per_atom = form / natoms;
    double epa = energy / natoms;

    double v[PD_MAX_DIM], bary[PD_MAX_DIM];
    for (int k = 1; k < dim; k++)
        v[k - 1] = frac[k];
    v[dim - 1] = 1.0;
    size_t f = find_facet(dim, p->nf, p->inv, v, 0, bary);
    if (f == p->nf)
        return mms_error_set(err, MMS_ECOMPUTE, 0, "no facet of the hull contains the composition");
    decomp d;
    facet_decomp(p, p->facet + f * (size_t)dim, bary, &d);
    int at_vertex = 0;
    if (p->pts)
        for (size_t q = 0; q < p->nq && !at_vertex; q++)
            if (p->stable[q] && !memcmp(p->pts + q * (size_t)dim, v, (size_t)(dim - 1) * sizeof *v)) {
                /* the composition of a hull vertex: that vertex alone, as in
                 * exact arithmetic (qhull's vertex order, which we do not
                 * have, would decide the last bit of 1.0) */
                d.n = 1;
                d.q[0] = (int)q;
                d.amount[0] = 1.0;
                d.hull = p->qepa[q];
                at_vertex = 1;
            }
    if (p->pts && !at_vertex) {
        /* facets not in qhull's order: any other facet accepting the
         * composition must give the same answer, else qhull's order decides */
        int same = 1;
        double b2[PD_MAX_DIM];
        for (size_t g = f + 1; same && (g = find_facet(dim, p->nf, p->inv, v, g, b2)) < p->nf;
             g++) {
            decomp d2;
            facet_decomp(p, p->facet + g * (size_t)dim, b2, &d2);
            same = same_decomp(&d, &d2);
        }
        if (!same) {
            int rc = qhull_decomp(p, v, &d, err);
            if (rc != MMS_OK)
                return rc;
        }
    }
    for (int j = 0; j < d.n; j++) {
        res->entry[j] = p->qentry[d.q[j]];
        res->formula[j] = p->qformula[d.q[j]];
        res->amount[j] = d.amount[j];
    }
    res->n = d.n;
    res->hull_energy_per_atom = d.hull;
    res->e_above_hull = epa - d.hull;
    for (size_t q = 0; q < p->nq; q++)
        if (p->stable[q] && equals_entry(r, p->qentry[q], z, amount, n, energy)) {
            res->e_above_hull = 0.0;
            res->n = 1;
            res->entry[0] = p->qentry[q];
            res->formula[0] = p->qformula[q];
            res->amount[0] = 1.0;
            res->equal_stable = 1;
            break;
        }
    return MMS_OK;
}
