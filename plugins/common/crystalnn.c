/* CrystalNN 'ops' fingerprint of a periodic structure, as matminer v0.8.0
 * CrystalNNFingerprint.from_preset("ops").featurize computes it per site with
 * pymatgen 2022.11.7 CrystalNN (analysis/local_env.py), averaged over sites as
 * CDVAE / crystal-text-llm basic_eval do.
 *
 * Per site: the periodic images within the search cutoff, sorted by distance
 * (Structure.get_sites_in_sphere), go to qhull's Voronoi ("v Qbb Qc Qz", the
 * options scipy.spatial.Voronoi uses); the facets of the site's cell give
 * solid angles, areas and volumes (VoronoiNN._extract_cell_info); CrystalNN
 * turns them into weights (porous adjustment, electronegativity, smooth
 * distance cut-offs, rounding to 3 decimals) and coordination-number
 * probabilities (semicircle integrals); each CN's order parameters are
 * weighted by that probability. */
#include "crystalnn.h"

#include <libqhull_r/qhull_ra.h>

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/elements.h"

void mmsc_cnn_options_default(mmsc_cnn_options *o)
{
    o->search_cutoff = 7.0;
    o->distance_cutoff_lo = 0.5;
    o->distance_cutoff_hi = 1.0;
    o->x_diff_weight = 3.0;
    o->porous_adjustment = 1;
    o->max_points = 20000;
    o->exact_delaunay = 0;
}

/* Covalent radii (Å) by Z = 1..96: pymatgen 2022.11.7
 * analysis/molecule_structure_comparator.py CovalentRadius.radius (Cordero et
 * al., Dalton Trans. 2008).  CrystalNN falls back to pymatgen's atomic_radius,
 * which has no value beyond Cm either, so Z > 96 cannot be fingerprinted. */
static const double covalent_radius[97] = {
    NAN,  0.31, 0.28, 1.28, 0.96, 0.84, 0.73, 0.71, 0.66, 0.57, 0.58, 1.66, 1.41, 1.21, 1.11,
    1.07, 1.05, 1.02, 1.06, 2.03, 1.76, 1.7,  1.6,  1.53, 1.39, 1.5,  1.42, 1.38, 1.24, 1.32,
    1.22, 1.22, 1.2,  1.19, 1.2,  1.2,  1.16, 2.2,  1.95, 1.9,  1.75, 1.64, 1.54, 1.47, 1.46,
    1.42, 1.39, 1.45, 1.44, 1.42, 1.39, 1.39, 1.38, 1.39, 1.4,  2.44, 2.15, 2.07, 2.04, 2.03,
    2.01, 1.99, 1.98, 1.98, 1.96, 1.94, 1.92, 1.92, 1.89, 1.9,  1.87, 1.87, 1.75, 1.7,  1.62,
    1.51, 1.44, 1.41, 1.36, 1.36, 1.32, 1.45, 1.46, 1.48, 1.4,  1.5,  1.5,  2.6,  2.21, 2.15,
    2.06, 2.0,  1.96, 1.9,  1.87, 1.8,  1.69};

static double default_radius(int z)
{
    if (z >= 1 && z <= 96)
        return covalent_radius[z];
    return mms_element_atomic_radius(z);
}

/* The tessellation starts from the FIRST_SUBSET nearest images (fewer
 * means more qhull runs, measured slower); the list is sorted eagerly up to
 * the radius expected to hold SORT_ATOMS atoms (order_images). */
#define FIRST_SUBSET 40
#define SORT_ATOMS 50.0

/* ------------------------------------------------------------ geometry */

static void frac_to_cart(const double lat[3][3], const double f[3], double c[3])
{
    for (int d = 0; d < 3; d++)
        c[d] = f[0] * lat[0][d] + f[1] * lat[1][d] + f[2] * lat[2][d];
}

static double dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void cross3(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

static double norm3(const double *a)
{
    return sqrt(dot3(a, a));
}

/* A point of the tessellation: a periodic image of a site. */
typedef struct image {
    double cart[3];
    double dist;
    int site;
    int shift[3];
} image;

/* The order of the image list: by distance, equal distances by site, then
 * shift.  Any fixed tie order gives the same Voronoi cell, but the list
 * decides which images are tessellated first and their order in qhull's
 * input, so the order must stay exactly this one. */
static int cmp_image(const void *pa, const void *pb)
{
    const image *a = pa, *b = pb;
    if (a->dist != b->dist)
        return a->dist < b->dist ? -1 : 1;
    if (a->site != b->site)
        return a->site - b->site;
    for (int d = 0; d < 3; d++)
        if (a->shift[d] != b->shift[d])
            return a->shift[d] - b->shift[d];
    return 0;
}

/* sites_in_sphere lists images by site, then shift, ascending: so the
 * position in that list breaks distance ties exactly as cmp_image does, and
 * sorting (distance, position) pairs with an inline comparison gives
 * cmp_image's order without moving 48-byte images through qsort. */
typedef struct image_key {
    double dist;
    size_t idx;
} image_key;

static int key_before(const image_key *a, const image_key *b)
{
    return a->dist < b->dist || (a->dist == b->dist && a->idx < b->idx);
}

static void insertion_sort_keys(image_key *k, size_t lo, size_t hi)
{
    for (size_t i = lo + 1; i < hi; i++) {
        image_key t = k[i];
        size_t j = i;
        while (j > lo && key_before(&t, &k[j - 1])) {
            k[j] = k[j - 1];
            j--;
        }
        k[j] = t;
    }
}

/* Bucket sort for short lists (the usual case): keys go, in list order,
 * into n buckets by dist * (n / largest dist), an index that never
 * decreases with the distance, so the buckets are in key order and only
 * their contents (mostly one key, or a shell of equal distances already in
 * index order) need the insertion sort.  Returns 0 when not applicable. */
#define BUCKET_MAX 256
static int bucket_sort_keys(const image_key *k, image_key *out, size_t n)
{
    double dmax = 0;
    for (size_t i = 0; i < n; i++)
        dmax = k[i].dist > dmax ? k[i].dist : dmax;
    double scale = (double)n / dmax;
    if (n > BUCKET_MAX || !(dmax > 0) || !isfinite(scale))
        return 0;
    unsigned short start[BUCKET_MAX + 1] = {0};
    unsigned char bucket[BUCKET_MAX];
    for (size_t i = 0; i < n; i++) {
        double b = k[i].dist * scale; /* in [0, n], NaN excluded by the caller */
        bucket[i] = (unsigned char)(b < (double)(n - 1) ? (size_t)b : n - 1);
        start[bucket[i] + 1]++;
    }
    for (size_t b = 0; b < n; b++)
        start[b + 1] += start[b];
    unsigned short fill[BUCKET_MAX];
    memcpy(fill, start, n * sizeof fill[0]);
    for (size_t i = 0; i < n; i++)
        out[fill[bucket[i]]++] = k[i];
    for (size_t b = 0; b < n; b++)
        if (start[b + 1] - start[b] > 1)
            insertion_sort_keys(out, start[b], start[b + 1]);
    return 1;
}

static int cmp_key(const void *pa, const void *pb)
{
    return key_before(pa, pb) ? -1 : key_before(pb, pa);
}

/* Sorts k[0..n) (distinct keys, so any sort gives the one order) with
 * tmp[0..n) as scratch: the bucket sort above, else qsort.  Returns the
 * array holding the result (k or tmp). */
static image_key *sort_keys(image_key *k, image_key *tmp, size_t n)
{
    if (bucket_sort_keys(k, tmp, n))
        return tmp;
    qsort(k, n, sizeof *k, cmp_key);
    return k;
}

/* Puts pts[0..n) (images in listing order) into cmp_image order.  Returns
 * MMS_OK or MMS_ENOMEM (the caller says so). */
static int sort_images(image *pts, size_t n)
{
    if (n < 2)
        return 0;
    /* one block: 2 n keys, then n images */
    image_key *k = malloc(2 * n * sizeof *k + n * sizeof(image));
    if (!k)
        return MMS_ENOMEM;
    image *sorted = (image *)(void *)(k + 2 * n);
    int has_nan = 0;
    for (size_t i = 0; i < n; i++) {
        k[i].dist = pts[i].dist;
        k[i].idx = i;
        has_nan |= isnan(k[i].dist);
    }
    if (has_nan) { /* no order to rely on: let qsort do what it always did */
        free(k);
        qsort(pts, n, sizeof *pts, cmp_image);
        return 0;
    }
    const image_key *order = sort_keys(k, k + n, n);
    for (size_t i = 0; i < n; i++)
        sorted[i] = pts[order[i].idx];
    memcpy(pts, sorted, n * sizeof *pts);
    free(k);
    return 0;
}

/* The tessellation reads the list in order only as far as its first subset
 * and the images within twice the cell's reach, typically half of it.  So
 * the images within r_sort go first, sorted, and the rest keeps its listing
 * order behind them (*nsorted is where it starts) until site_polyhedron_by
 * asks for it (sort_tail).  As every later image is farther than every
 * sorted one, sorting the rest later gives exactly the full sort.  Falls
 * back to the full sort when fewer than min_sorted images are within
 * r_sort.  Returns MMS_OK or MMS_ENOMEM. */
static int order_images(image *pts, size_t n, double r_sort, size_t min_sorted, size_t *nsorted)
{
    size_t p = 0;
    int has_nan = 0;
    for (size_t i = 0; i < n; i++) {
        p += pts[i].dist <= r_sort;
        has_nan |= isnan(pts[i].dist);
    }
    if (has_nan || p < min_sorted || p == n) {
        *nsorted = n;
        return sort_images(pts, n);
    }
    image *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return MMS_ENOMEM;
    size_t a = 0, b = p; /* stable: both parts keep the listing order */
    for (size_t i = 0; i < n; i++)
        tmp[pts[i].dist <= r_sort ? a++ : b++] = pts[i];
    memcpy(pts, tmp, n * sizeof *pts);
    free(tmp);
    *nsorted = p;
    return sort_images(pts, p);
}

/* Completes order_images: after it pts[0..n) is in cmp_image order. */
static int sort_tail(image *pts, size_t n, size_t *nsorted)
{
    if (*nsorted >= n)
        return 0;
    int rc = sort_images(pts + *nsorted, n - *nsorted);
    *nsorted = n;
    return rc;
}

/* Everything computed once per structure. */
typedef struct cellinfo {
    const mmsc_cell *cell;
    double (*cart)[3];    /* n */
    double inv_d[3];      /* 1 / interplanar spacing of each lattice direction */
    double max_cutoff;    /* VoronoiNN: longest cell diagonal + 0.01 */
    double r_list;        /* first listing radius (see site_polyhedron) */
    double r_sort;        /* images sorted eagerly up to here (order_images) */
} cellinfo;

/* Images of all sites within r of centre (Structure.get_sites_in_sphere),
 * sorted by distance up to *nsorted, the rest behind them unsorted (see
 * order_images).  *out is malloc'ed.  Returns the count, or a negative MMS_E*
 * code with e filled. */
static long sites_in_sphere(const cellinfo *ci, const double centre_frac[3], const double centre[3],
                            double r, size_t max_points, image **out, size_t *nsorted, mms_error *e)
{
    const mmsc_cell *cell = ci->cell;
    size_t cap = 128, n = 0; /* the first listing holds ~80 images */
    image *pts = malloc(cap * sizeof *pts);
    if (!pts)
        return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < cell->n; i++) {
        int lo[3], hi[3];
        double dlo[3], dhi[3], span = 1.0;
        for (int d = 0; d < 3; d++) {
            double off = cell->frac[i][d] - centre_frac[d];
            /* |fractional offset along d| <= r / spacing is necessary */
            double reach = r * ci->inv_d[d] * (1 + 1e-9) + 1e-9;
            dlo[d] = ceil(-reach - off);
            dhi[d] = floor(reach - off);
            span *= dhi[d] - dlo[d] + 1;
        }
        /* a flat or needle cell would need more images than atoms allowed */
        if (!(span <= 4.0 * (double)max_points + 1e6)) {
            free(pts);
            return mms_error_set(e, MMS_ELIMIT, 0, "cell too thin for a %.3g A neighbour search", r);
        }
        for (int d = 0; d < 3; d++) {
            lo[d] = (int)dlo[d];
            hi[d] = (int)dhi[d];
        }
        const double (*L)[3] = cell->lattice;
        double base[3];
        frac_to_cart(L, cell->frac[i], base);
        /* Both sums below are evaluated left to right, so their partial
         * sums over a and b are hoisted out of the inner loops unchanged. */
        for (int a = lo[0]; a <= hi[0]; a++) {
            double fa = cell->frac[i][0] + a, pa[3], ta[3];
            for (int k = 0; k < 3; k++) {
                pa[k] = base[k] + a * L[0][k];
                ta[k] = fa * L[0][k];
            }
            for (int b = lo[1]; b <= hi[1]; b++) {
                double fb = cell->frac[i][1] + b, pb[3], tb[3];
                for (int k = 0; k < 3; k++) {
                    pb[k] = pa[k] + b * L[1][k];
                    tb[k] = ta[k] + fb * L[1][k];
                }
                for (int c = lo[2]; c <= hi[2]; c++) {
                    /* cheap pre-filter; the kept points are recomputed as
                     * pymatgen does, (f + shift) . lattice, whose rounding
                     * decides ties between symmetric neighbours */
                    double x[3];
                    for (int k = 0; k < 3; k++)
                        x[k] = pb[k] + c * L[2][k] - centre[k];
                    if (dot3(x, x) > r * r * (1 + 1e-9) + 1e-9)
                        continue;
                    double fc = cell->frac[i][2] + c;
                    for (int k = 0; k < 3; k++)
                        x[k] = tb[k] + fc * L[2][k];
                    double v[3] = {x[0] - centre[0], x[1] - centre[1], x[2] - centre[2]};
                    double dist = norm3(v);
                    if (dist > r)
                        continue;
                    if (n == cap) {
                        if (cap >= max_points) {
                            free(pts);
                            return mms_error_set(e, MMS_ELIMIT, 0,
                                                 "more than %zu atoms within %.3g A of a site",
                                                 max_points, r);
                        }
                        cap *= 2;
                        image *np = realloc(pts, cap * sizeof *np);
                        if (!np) {
                            free(pts);
                            return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
                        }
                        pts = np;
                    }
                    image *p = &pts[n++];
                    memcpy(p->cart, x, sizeof x);
                    p->dist = dist;
                    p->site = (int)i;
                    p->shift[0] = a;
                    p->shift[1] = b;
                    p->shift[2] = c;
                }
            }
        }
    }
    if (order_images(pts, n, ci->r_sort, FIRST_SUBSET, nsorted)) {
        free(pts);
        return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
    }
    *out = pts;
    return (long)n;
}

/* ------------------------------------------------------------ Voronoi */

/* One facet of the central cell (VoronoiNN's poly_info). */
typedef struct facet_info {
    int other;          /* index into the image list */
    double solid_angle;
    double area;
    double weight;      /* CrystalNN weight, evolving */
} facet_info;

typedef struct vcollect {
    qhT *qh;
    const image *pts;
    int npts;
    facet_info *facets;
    int nfacets, cap;
    int status;          /* 0 ok, 1 pathological (infinite vertex), 2 error */
    double (*centres)[3]; /* Voronoi vertex coordinates by visitid, cached */
    unsigned char *have;
    unsigned ncentres;
    double rmax;          /* largest distance from the centre to a cell vertex */
    double (*verts)[3];   /* after voronoi_cell: the cell's vertices (nverts) */
    int nverts;
} vcollect;

/* pymatgen solid_angle(center, coords): fan from the first vertex, the
 * Van Oosterom-Strackee formula per triangle, with its branch handling. */
static double solid_angle(const double *c, const double (*v)[3], int nv)
{
    double angle = 0.0;
    double r0[3] = {v[0][0] - c[0], v[0][1] - c[1], v[0][2] - c[2]};
    double n0 = norm3(r0);
    if (nv < 3)
        return angle;
    /* vertex i + 1 of one triangle is vertex i of the next: its vector,
     * norm and dot product with r0 are carried over (the same doubles) */
    double ri[3] = {v[1][0] - c[0], v[1][1] - c[1], v[1][2] - c[2]};
    double ni = norm3(ri), d0i = dot3(r0, ri);
    for (int i = 1; i < nv - 1; i++) {
        int j = i + 1;
        double rj[3] = {v[j][0] - c[0], v[j][1] - c[1], v[j][2] - c[2]};
        double nj = norm3(rj), d0j = dot3(r0, rj);
        double x[3];
        cross3(ri, rj, x);
        double tp = fabs(dot3(r0, x));
        double de = n0 * ni * nj + nj * d0i + ni * d0j + n0 * dot3(ri, rj);
        double a = de == 0 ? (tp > 0 ? 0.5 * M_PI : -0.5 * M_PI) : atan(tp / de);
        angle += (a > 0 ? a : a + M_PI) * 2;
        memcpy(ri, rj, sizeof ri);
        ni = nj;
        d0i = d0j;
    }
    return angle;
}

static double vol_tetra(const double *a, const double *b, const double *c, const double *d)
{
    double u[3], v[3], w[3], x[3];
    for (int k = 0; k < 3; k++) {
        u[k] = a[k] - d[k];
        v[k] = b[k] - d[k];
        w[k] = c[k] - d[k];
    }
    cross3(v, w, x);
    return fabs(dot3(u, x)) / 6;
}

/* Appends the facet between the centre and pts[other] whose polygon has the
 * nv vertices v (in order): VoronoiNN._extract_cell_info's solid angle, fan
 * volume, and area = 3 volume / distance to the facet. */
static void add_facet(vcollect *vc, int other, const double (*v)[3], int nv)
{
    const double *c = vc->pts[0].cart;
    double sa = solid_angle(c, v, nv);
    double volume = 0.0;
    for (int j = 1; j + 1 < nv; j++)
        volume += vol_tetra(c, v[0], v[j], v[j + 1]);
    double dv[3];
    for (int k = 0; k < 3; k++)
        dv[k] = c[k] - vc->pts[other].cart[k];
    double face_dist = norm3(dv) / 2;
    if (vc->nfacets == vc->cap) {
        int ncap = vc->cap ? 2 * vc->cap : 32;
        facet_info *nf = realloc(vc->facets, (size_t)ncap * sizeof *nf);
        if (!nf) {
            vc->status = 2;
            return;
        }
        vc->facets = nf;
        vc->cap = ncap;
    }
    facet_info *fi = &vc->facets[vc->nfacets++];
    fi->other = other;
    fi->solid_angle = sa;
    fi->area = 3 * volume / face_dist;
    fi->weight = 0;
}

/* qh_eachvoronoi callback: one ridge between the central point and another. */
static void visit_ridge(qhT *qh, FILE *fp, vertexT *vertex, vertexT *vertexA, setT *centers,
                        boolT unbounded)
{
    (void)unbounded;
    vcollect *vc = (vcollect *)(void *)fp;
    if (vc->status)
        return;
    int p1 = qh_pointid(qh, vertex->point), p2 = qh_pointid(qh, vertexA->point);
    int other = p1 == 0 ? p2 : p1;
    if ((p1 != 0 && p2 != 0) || other < 0 || other >= vc->npts) {
        vc->status = 2;
        return;
    }
    int nv = qh_setsize(qh, centers);
    double(*v)[3] = malloc((size_t)(nv > 0 ? nv : 1) * sizeof *v);
    if (!v) {
        vc->status = 2;
        return;
    }
    for (int i = 0; i < nv; i++) {
        facetT *f = (facetT *)centers->e[i].p;
        if (f->visitid == 0) { /* vertex at infinity: an unbounded cell */
            vc->status = 1;
            free(v);
            return;
        }
        if (f->visitid >= vc->ncentres) {
            vc->status = 2;
            free(v);
            return;
        }
        if (!vc->have[f->visitid]) {
            pointT *c = qh_facetcenter(qh, f->vertices);
            memcpy(vc->centres[f->visitid], c, 3 * sizeof(double));
            qh_memfree(qh, c, qh->center_size);
            vc->have[f->visitid] = 1;
            const double *x0 = vc->pts[0].cart, *cc = vc->centres[f->visitid];
            double dv[3] = {cc[0] - x0[0], cc[1] - x0[1], cc[2] - x0[2]};
            vc->rmax = fmax(vc->rmax, norm3(dv));
        }
        memcpy(v[i], vc->centres[f->visitid], sizeof v[i]);
    }
    add_facet(vc, other, (const double (*)[3])v, nv);
    free(v);
}

/* Voronoi cell of point 0 of pts.  Returns 0 and fills vc->facets, 1 when the
 * cell is unbounded or qhull fails (the reference retries with a larger
 * cutoff), a negative MMS_E* code (e filled) on a hard error. */
static int voronoi_cell(const image *pts, int npts, FILE *qerr, vcollect *vc, mms_error *e)
{
    memset(vc, 0, sizeof *vc);
    vc->pts = pts;
    vc->npts = npts;
    if (npts < 5)
        return 1;
    coordT *xyz = malloc((size_t)npts * 3 * sizeof *xyz);
    if (!xyz)
        return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
    for (int i = 0; i < npts; i++)
        memcpy(xyz + 3 * i, pts[i].cart, 3 * sizeof(double));

    qhT qh_storage, *qh = &qh_storage;
    char cmd[] = "qhull v Qbb Qc Qz";
    qh_zero(qh, qerr);
    int rc = qh_new_qhull(qh, 3, npts, xyz, False, cmd, NULL, qerr);
    volatile int result = 1;
    if (rc == 0) {
        vc->qh = qh;
        /* qhull reports later errors by longjmp to errexit; what must survive
         * the jump lives in *vc or is volatile */
        if (setjmp(qh->errexit) == 0) {
            qh->NOerrexit = False;
            /* the set-up of qh_eachvoronoi_all: number the Voronoi vertices
             * (lower-Delaunay facets) from 1, 0 = vertex at infinity */
            facetT *facet;
            vertexT *vertex, *v0 = NULL;
            unsigned numcenters = 1;
            boolT isUpper = qh->UPPERdelaunay;
            qh_clearcenters(qh, qh_ASvoronoi);
            qh_vertexneighbors(qh);
            maximize_(qh->visit_id, (unsigned int)qh->num_facets);
            FORALLfacets {
                facet->visitid = 0;
                facet->seen = False;
                facet->seen2 = True;
            }
            FORALLfacets {
                if (facet->upperdelaunay == isUpper)
                    facet->visitid = numcenters++;
            }
            FORALLvertices {
                vertex->seen = False;
                if (qh_pointid(qh, vertex->point) == 0)
                    v0 = vertex;
            }
            vc->ncentres = numcenters;
            vc->centres = malloc(numcenters * sizeof *vc->centres);
            vc->have = calloc(numcenters, 1);
            if (!v0 || !vc->centres || !vc->have) {
                result = v0 ? -1 : 1;
            } else {
                qh_eachvoronoi(qh, (FILE *)(void *)vc, visit_ridge, v0, qh_ALL, qh_RIDGEall, True);
                result = vc->status == 0 ? 0 : vc->status == 1 ? 1 : -1;
            }
        } else {
            result = 1;
        }
        qh->NOerrexit = True;
    }
    int curlong, totlong;
    qh_freeqhull(qh, !qh_ALL);
    qh_memfreeshort(qh, &curlong, &totlong);
    free(xyz);
    /* keep the vertices of the central cell (for the completeness check) */
    if (result == 0) {
        for (unsigned i = 0; i < vc->ncentres; i++)
            if (vc->have[i])
                memmove(vc->centres[vc->nverts++], vc->centres[i], sizeof vc->centres[i]);
        vc->verts = vc->centres;
    } else {
        free(vc->centres);
    }
    free(vc->have);
    vc->centres = NULL;
    vc->have = NULL;
    if (result < 0) {
        free(vc->facets);
        vc->facets = NULL;
        return mms_error_set(e, MMS_ECOMPUTE, 0, "Voronoi construction failed");
    }
    if (result > 0) {
        free(vc->facets);
        vc->facets = NULL;
    }
    return result;
}

/* The facets around hull vertex v in the order qh_order_vertexneighbors
 * gives them in 3-d, found on a copy instead of by rebuilding qhull's sets:
 * the last neighbour first, then again and again the first remaining one
 * (in set order, a removal moving the last element into its slot, as
 * qh_setdel does) that is adjacent to the previous one.  work and ring hold
 * at least as many pointers as v has neighbours.  Returns their number;
 * where qhull would stop with an internal error, so does this. */
static int ring_of(qhT *qh, vertexT *v, facetT **work, facetT **ring)
{
    int n = 0, k = 0;
    facetT *f, **fp;
    FOREACHsetelement_(facetT, v->neighbors, f)
        work[n++] = f;
    if (n == 0)
        return 0;
    facetT *cur = work[--n];
    ring[k++] = cur;
    while (n > 0) {
        int i = 0;
        while (i < n && !qh_setin(cur->neighbors, work[i]))
            i++;
        if (i == n)
            qh_errexit(qh, qh_ERRqhull, cur, NULL);
        cur = work[i];
        work[i] = work[--n];
        ring[k++] = cur;
    }
    return k;
}

/* The same cell by polar duality, a 3-d convex hull instead of a 4-d one
 * (about 3x cheaper in qhull).  With the centre at the origin, the facet
 * towards p is the plane q.y = 1 with q = 2 (p - x0) / |p - x0|^2; the cell
 * is bounded iff the origin lies inside conv{q}; each hull vertex q is a
 * facet of the cell, and each hull facet n.q + d = 0 is a cell vertex
 * y = -n / d.  Points that are not hull vertices cut nothing (a coplanar one
 * would touch the cell in a point or an edge: a zero-area facet, weight 0 in
 * the reference after rounding).  Same return convention as voronoi_cell. */
static int dual_cell(const image *pts, int npts, FILE *qerr, vcollect *vc, mms_error *e)
{
    memset(vc, 0, sizeof *vc);
    vc->pts = pts;
    vc->npts = npts;
    if (npts < 5)
        return 1;
    const double *x0 = pts[0].cart;
    coordT *q = malloc((size_t)(npts - 1) * 3 * sizeof *q);
    if (!q)
        return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
    for (int i = 1; i < npts; i++) {
        double n[3] = {pts[i].cart[0] - x0[0], pts[i].cart[1] - x0[1], pts[i].cart[2] - x0[2]};
        double n2 = dot3(n, n);
        for (int k = 0; k < 3; k++)
            q[3 * (i - 1) + k] = 2 * n[k] / n2;
    }
    qhT qh_storage, *qh = &qh_storage;
    /* only vertices, facet planes and incidences are read: no coplanar
     * point lists (no Qc), no final outer-plane check (Q5) */
    char cmd[] = "qhull Q5";
    qh_zero(qh, qerr);
    int rc = qh_new_qhull(qh, 3, npts - 1, q, False, cmd, NULL, qerr);
    volatile int result = 1;
    double (*volatile poly)[3] = NULL;
    facetT **volatile rings = NULL;
    if (rc == 0) {
        if (setjmp(qh->errexit) == 0) {
            qh->NOerrexit = False;
            facetT *facet;
            vertexT *vertex;
            int bounded = 1, nf = 0;
            FORALLfacets {
                if (!(facet->offset < 0))
                    bounded = 0;
                facet->visitid = (unsigned)nf++;
            }
            vc->centres = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *vc->centres);
            poly = malloc((size_t)(nf > 0 ? nf : 1) * sizeof *poly);
            rings = malloc(2 * (size_t)(nf > 0 ? nf : 1) * sizeof *rings);
            if (!vc->centres || !poly || !rings) {
                result = -1;
            } else if (bounded) {
                FORALLfacets {
                    double *y = vc->centres[facet->visitid];
                    for (int k = 0; k < 3; k++)
                        y[k] = -facet->normal[k] / facet->offset + x0[k];
                    double dv[3] = {y[0] - x0[0], y[1] - x0[1], y[2] - x0[2]};
                    vc->rmax = fmax(vc->rmax, norm3(dv));
                }
                qh_vertexneighbors(qh);
                FORALLvertices {
                    facetT **ring = rings + nf;
                    int nv = ring_of(qh, vertex, rings, ring);
                    for (int i = 0; i < nv; i++)
                        memcpy(poly[i], vc->centres[ring[i]->visitid], sizeof poly[0]);
                    add_facet(vc, qh_pointid(qh, vertex->point) + 1, (const double (*)[3])poly,
                              nv);
                }
                vc->verts = vc->centres;
                vc->nverts = nf;
                vc->centres = NULL;
                result = vc->status ? -1 : 0;
            }
        }
        qh->NOerrexit = True;
    }
    free(poly);
    free(rings);
    int curlong, totlong;
    qh_freeqhull(qh, !qh_ALL);
    qh_memfreeshort(qh, &curlong, &totlong);
    free(q);
    free(vc->centres);
    vc->centres = NULL;
    if (result != 0) {
        free(vc->verts);
        free(vc->facets);
        vc->verts = NULL;
        vc->facets = NULL;
    }
    if (result < 0)
        return mms_error_set(e, MMS_ECOMPUTE, 0, "Voronoi construction failed");
    return result;
}

/* ------------------------------------------------------------ CrystalNN */

/* Python's round(x, 3): the double nearest to the correctly rounded 3-decimal
 * value of x, ties to even.  k = nearbyint(1000 x) / 1000 gives that unless
 * 1000 x is within rounding error of a tie; those rare cases go through
 * glibc's exact %.3f, as Python's dtoa does. */
static double round3(double x)
{
    double y = x * 1000.0;
    double frac = y - floor(y);
    if (fabs(frac - 0.5) > 1e-6)
        return nearbyint(y) / 1000.0;
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", x);
    return strtod(buf, NULL);
}

static double semicircle_integral(const double *bins, int idx)
{
    double x1 = bins[idx], x2 = bins[idx + 1];
    double area1 = x1 == 1 ? 0.25 * M_PI
                           : 0.5 * ((x1 * sqrt(1 - x1 * x1)) + atan(x1 / sqrt(1 - x1 * x1)));
    double area2 = 0.5 * ((x2 * sqrt(1 - x2 * x2)) + atan(x2 / sqrt(1 - x2 * x2)));
    return (area1 - area2) / (0.25 * M_PI);
}

/* Stable sort by weight, highest first (Python's sorted(reverse=True) keeps
 * the order of equal keys). */
static void sort_by_weight(facet_info *f, int n)
{
    for (int i = 1; i < n; i++) {
        facet_info t = f[i];
        int j = i - 1;
        while (j >= 0 && f[j].weight < t.weight) {
            f[j + 1] = f[j];
            j--;
        }
        f[j + 1] = t;
    }
}

/* Marks (in[i] = 1) every image of pts not yet in the tessellation that lies
 * inside or on the circumsphere of a vertex of the central cell: only such
 * points can cut the cell (a Voronoi vertex is the centre of an empty sphere
 * through its sites).  Returns how many were added. */
static double cutting_reach(const vcollect *vc)
{
    return 2 * vc->rmax * (1 + 1e-9) + 1e-9;
}

static int add_cutting_points(const image *pts, long npts, unsigned char *in, const vcollect *vc)
{
    const double *x0 = pts[0].cart;
    double reach = cutting_reach(vc);
    int added = 0;
    for (long i = 1; i < npts && pts[i].dist <= reach; i++) {
        if (in[i])
            continue;
        for (int v = 0; v < vc->nverts; v++) {
            const double *c = vc->verts[v];
            double a[3] = {c[0] - x0[0], c[1] - x0[1], c[2] - x0[2]};
            double b[3] = {c[0] - pts[i].cart[0], c[1] - pts[i].cart[1], c[2] - pts[i].cart[2]};
            if (dot3(b, b) <= dot3(a, a) * (1 + 1e-9)) {
                in[i] = 1;
                added++;
                break;
            }
        }
    }
    return added;
}

/* The Voronoi facets of site `site`, as VoronoiNN.get_voronoi_polyhedra
 * finds them: a tessellation of all images within the search cutoff, the
 * cutoff doubled (up to the cell diagonal) while the cell is unbounded or
 * qhull fails.
 *
 * Same cell, less work: qhull's cost grows with the number of points, and
 * the central cell depends only on the points that cut it.  We tessellate the
 * nearest images first, then add every image inside the circumsphere of a
 * vertex of the resulting cell and repeat until none is left: the cell is
 * then exactly the one of the whole point set.  On success *pts_out holds
 * the images (facet `other` indices refer to it) and vc the facets; the
 * caller frees both. */
static int site_polyhedron_by(const cellinfo *ci, int site, const mmsc_cnn_options *opt,
                              int delaunay, FILE *qerr, image **pts_out, vcollect *vc, mms_error *e)
{
    const mmsc_cell *cell = ci->cell;
    double cutoff = opt->search_cutoff;
    /* images are listed within r (a sphere of ~80 atoms) first: enough for
     * the cell unless it reaches farther than r/2, then within the cutoff */
    double r = fmin(cutoff, ci->r_list);
    for (;;) {
        image *pts = NULL;
        size_t nsorted = 0;
        long npts = sites_in_sphere(ci, cell->frac[site], ci->cart[site], r, opt->max_points,
                                    &pts, &nsorted, e);
        if (npts < 0)
            return (int)npts;
        /* one block: the subset's images, their list indices, the flags */
        size_t nb = (size_t)npts + 1;
        image *sub = malloc(nb * (sizeof *sub + sizeof(int) + 1));
        int *map = sub ? (int *)(void *)(sub + nb) : NULL;
        unsigned char *in = sub ? (unsigned char *)(map + nb) : NULL;
        long first = npts < FIRST_SUBSET ? npts : FIRST_SUBSET;
        if (!sub || ((size_t)first > nsorted && sort_tail(pts, (size_t)npts, &nsorted))) {
            free(pts);
            free(sub);
            return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
        }
        memset(in, 0, nb);
        for (long i = 0; i < first; i++)
            in[i] = 1;
        int rc;
        for (;;) {
            int nsub = 0;
            for (long i = 0; i < npts; i++)
                if (in[i]) {
                    sub[nsub] = pts[i];
                    map[nsub++] = (int)i;
                }
            rc = delaunay ? voronoi_cell(sub, nsub, qerr, vc, e)
                          : dual_cell(sub, nsub, qerr, vc, e);
            if (rc < 0)
                break;
            if (rc > 0) {
                if (nsub == npts) {
                    rc = r < cutoff ? 2 : 1;
                    break;
                }
                /* unbounded with a subset: take twice as many of the nearest */
                if ((size_t)(2 * (long)nsub) > nsorted && sort_tail(pts, (size_t)npts, &nsorted)) {
                    rc = mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
                    break;
                }
                for (long i = 0; i < npts && i < 2 * (long)nsub; i++)
                    in[i] = 1;
                continue;
            }
            if (r < cutoff && 2 * vc->rmax * (1 + 1e-9) + 1e-9 >= r) {
                rc = 2; /* the list may miss images that cut the cell */
                free(vc->verts);
                free(vc->facets);
                break;
            }
            /* add_cutting_points reads the list in order up to the reach;
             * it stops within the sorted part if the reach is below r_sort */
            if (!(cutting_reach(vc) < ci->r_sort) && sort_tail(pts, (size_t)npts, &nsorted)) {
                rc = mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
                free(vc->verts);
                free(vc->facets);
                break;
            }
            int added = nsub == npts ? 0 : add_cutting_points(pts, npts, in, vc);
            free(vc->verts);
            vc->verts = NULL;
            if (added == 0) {
                for (int f = 0; f < vc->nfacets; f++)
                    vc->facets[f].other = map[vc->facets[f].other];
                break;
            }
            free(vc->facets);
            vc->facets = NULL;
        }
        free(sub);
        if (rc == 0) {
            *pts_out = pts;
            return 0;
        }
        free(pts);
        if (rc < 0)
            return rc;
        if (rc == 2) { /* list all images within the cutoff */
            r = cutoff;
            continue;
        }
        if (cutoff >= ci->max_cutoff)
            return mms_error_set(e, MMS_ECOMPUTE, 0,
                                 "Voronoi cell of site %d unbounded or degenerate up to the "
                                 "%.3g A maximum cutoff",
                                 site, cutoff);
        cutoff = fmin(cutoff * 2, ci->max_cutoff + 0.001);
        r = cutoff;
    }
}

/* The dual hull is exact for compact cells, but a cell reaching beyond half
 * the search cutoff (open, layered, or flat structures) has vertices far out
 * where the two constructions round differently; there, and whenever the
 * dual construction fails, the reference's own construction (qhull Voronoi
 * with scipy's options) decides. */
static int site_polyhedron(const cellinfo *ci, int site, const mmsc_cnn_options *opt, FILE *qerr,
                           image **pts_out, vcollect *vc, mms_error *e)
{
    if (!opt->exact_delaunay) {
        int rc = site_polyhedron_by(ci, site, opt, 0, qerr, pts_out, vc, e);
        if (rc == 0 && 2 * vc->rmax < opt->search_cutoff)
            return 0;
        if (rc == 0) {
            free(*pts_out);
            free(vc->facets);
            *pts_out = NULL;
            vc->facets = NULL;
        }
    }
    return site_polyhedron_by(ci, site, opt, 1, qerr, pts_out, vc, e);
}

/* CrystalNN.get_nn_data for one site up to the final neighbour list: the
 * Voronoi facets weighted, normalised, cut by distance, rounded to 3
 * decimals and without zero weights, highest first.  *n = 0 is CN 0 with
 * probability 1.  On success *pts_out and *nn_out are malloc'ed (the
 * caller frees both; nn[i].other indexes pts). */
static int site_nn_data(const cellinfo *ci, int site, const mmsc_cnn_options *opt, FILE *qerr,
                        image **pts_out, facet_info **nn_out, int *n_out, mms_error *e)
{
    const mmsc_cell *cell = ci->cell;
    image *pts = NULL;
    vcollect vc;
    int rc = site_polyhedron(ci, site, opt, qerr, &pts, &vc, e);
    if (rc != MMS_OK)
        return rc;
    facet_info *nn = vc.facets;
    int n = vc.nfacets;
    if (n == 0) {
        rc = mms_error_set(e, MMS_ECOMPUTE, 0, "no Voronoi neighbours for site %d", site);
        goto bad;
    }

    /* VoronoiNN._extract_nn_info: weight = solid angle / largest, keep > 0 */
    double max_sa = nn[0].solid_angle;
    for (int i = 1; i < n; i++)
        if (nn[i].solid_angle > max_sa)
            max_sa = nn[i].solid_angle;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (nn[i].solid_angle > 0 * max_sa) {
            nn[m] = nn[i];
            nn[m].weight = nn[i].solid_angle / max_sa;
            m++;
        }
    n = m;
    if (n == 0) {
        rc = mms_error_set(e, MMS_ECOMPUTE, 0,
                           "no Voronoi neighbours with a positive solid angle for site %d", site);
        goto bad;
    }

    int zc = cell->z[site];
    double x1 = mms_element_x(zc);
    for (int i = 0; i < n; i++) {
        if (opt->porous_adjustment)
            nn[i].weight *= nn[i].solid_angle / nn[i].area;
        if (opt->x_diff_weight > 0) {
            double x2 = mms_element_x(cell->z[pts[nn[i].other].site]);
            double chem = (isnan(x1) || isnan(x2))
                              ? 1
                              : 1 + opt->x_diff_weight * sqrt(fabs(x1 - x2) / 3.3);
            nn[i].weight = nn[i].weight * chem;
        }
    }
    sort_by_weight(nn, n);
    if (nn[0].weight == 0) { /* CN 0 with probability 1 */
        n = 0;
        goto good;
    }
    double highest = nn[0].weight;
    for (int i = 0; i < n; i++)
        nn[i].weight = nn[i].weight / highest;

    if (opt->distance_cutoff_lo >= 0) {
        double r1 = default_radius(zc);
        for (int i = 0; i < n; i++) {
            double r2 = default_radius(cell->z[pts[nn[i].other].site]);
            if (isnan(r1) || isnan(r2)) {
                rc = mms_error_set(e, MMS_ECOMPUTE, 0, "no covalent or atomic radius for Z=%d",
                                   isnan(r1) ? zc : cell->z[pts[nn[i].other].site]);
                goto bad;
            }
            double d = r1 + r2;
            const double *a = ci->cart[site], *b = pts[nn[i].other].cart;
            double dv[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
            double dist = norm3(dv);
            double lo = d + opt->distance_cutoff_lo, hi = d + opt->distance_cutoff_hi;
            double w = 0;
            if (dist <= lo)
                w = 1;
            else if (dist < hi)
                w = (cos((dist - lo) / (hi - lo) * M_PI) + 1) * 0.5;
            nn[i].weight = nn[i].weight * w;
        }
    }
    sort_by_weight(nn, n);
    if (nn[0].weight == 0) {
        n = 0;
        goto good;
    }
    m = 0;
    for (int i = 0; i < n; i++) {
        nn[i].weight = round3(nn[i].weight);
        if (nn[i].weight > 0)
            nn[m++] = nn[i];
    }
    n = m;
good:
    *pts_out = pts;
    *nn_out = nn;
    *n_out = n;
    return MMS_OK;
bad:
    free(nn);
    free(pts);
    return rc;
}

/* The distinct weights of nn (sorted, highest first) followed by 0:
 * CrystalNN's dist_bins.  bins has room for n + 1 values; returns how many
 * are non-zero. */
static int distance_bins(const facet_info *nn, int n, double *bins)
{
    int nb = 0;
    for (int i = 0; i < n; i++)
        if (nb == 0 || bins[nb - 1] != nn[i].weight)
            bins[nb++] = nn[i].weight;
    bins[nb] = 0;
    return nb;
}

/* Neighbours with weight >= w: a prefix of nn, its length the CN. */
static int cn_at(const facet_info *nn, int n, double w)
{
    int cn = 0;
    while (cn < n && nn[cn].weight >= w)
        cn++;
    return cn;
}

/* The fingerprint row (61 values) of one site: each CN's order parameters
 * weighted by that CN's probability. */
static int site_fingerprint(const cellinfo *ci, int site, const mmsc_cnn_options *opt, FILE *qerr,
                            double *scratch, size_t op_cap, double out[MMSC_CNN_LEN], mms_error *e)
{
    image *pts = NULL;
    facet_info *nn = NULL;
    int n;
    int rc = site_nn_data(ci, site, opt, qerr, &pts, &nn, &n, e);
    if (rc != MMS_OK)
        return rc;
    memset(out, 0, MMSC_CNN_LEN * sizeof(double));
    double r[MMSC_CNN_MAX_CN][3];
    double bins[MMSC_CNN_MAX_CN + 2];
    double *dist_bins = n + 1 <= MMSC_CNN_MAX_CN + 1 ? bins : malloc((size_t)(n + 1) * sizeof *dist_bins);
    if (!dist_bins) {
        rc = mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
        goto done;
    }
    int nb = distance_bins(nn, n, dist_bins);

    /* fingerprint layout: for CN 1..24, "wt" then that CN's ops */
    int offset[MMSC_CNN_MAX_CN + 1], pos = 0;
    for (int cn = 1; cn <= MMSC_CNN_MAX_CN; cn++) {
        offset[cn] = pos;
        pos += 1 + mmsc_ops_preset[cn].n_ops;
    }
    int extend = 0;
    for (int b = 0; b < nb; b++) {
        int cn = cn_at(nn, n, dist_bins[b]);
        if (cn < 1 || cn > MMSC_CNN_MAX_CN)
            continue;
        double wt = semicircle_integral(dist_bins, b);
        out[offset[cn]] = wt;
        if (wt == 0)
            continue;
        for (int i = 0; i < cn; i++)
            for (int k = 0; k < 3; k++)
                r[i][k] = pts[nn[i].other].cart[k] - ci->cart[site][k];
        /* the CNs grow (bins from the highest weight down), and each CN's
         * neighbours are the first of the list: only the new ones are
         * prepared */
        if (mmsc_ops_preset[cn].n_ops > 0) {
            mmsc_op_prepare_more(scratch, (const double (*)[3])r, (size_t)cn, op_cap, extend);
            extend = 1;
        }
        for (int o = 0; o < mmsc_ops_preset[cn].n_ops; o++) {
            int none;
            double v = mmsc_op_value(&mmsc_ops_preset[cn].ops[o], scratch, &none);
            out[offset[cn] + 1 + o] = none ? 0.0 : wt * v;
        }
    }
done:
    if (dist_bins != bins)
        free(dist_bins);
    free(nn);
    free(pts);
    return rc;
}

/* What every site's computation shares: Cartesian positions, interplanar
 * spacings, VoronoiNN's largest cutoff.  ci->cart is malloc'ed on success. */
static int cellinfo_init(cellinfo *ci, const mmsc_cell *cell, mms_error *e)
{
    memset(ci, 0, sizeof *ci);
    ci->cell = cell;
    if (cell->n == 0)
        return mms_error_set(e, MMS_ECOMPUTE, 0, "no sites");
    const double (*L)[3] = cell->lattice;
    double vol_vec[3];
    cross3(L[1], L[2], vol_vec);
    double vol = fabs(dot3(L[0], vol_vec));
    if (!(vol > 0) || !isfinite(vol))
        return mms_error_set(e, MMS_ECOMPUTE, 0, "degenerate lattice (volume %g)", vol);
    for (int d = 0; d < 3; d++) {
        double x[3];
        cross3(L[(d + 1) % 3], L[(d + 2) % 3], x);
        ci->inv_d[d] = norm3(x) / vol;
    }
    static const double corners[4][3] = {{1, 1, 1}, {-1, 1, 1}, {1, -1, 1}, {1, 1, -1}};
    ci->max_cutoff = 0;
    for (int k = 0; k < 4; k++) {
        double c[3];
        frac_to_cart(cell->lattice, corners[k], c);
        ci->max_cutoff = fmax(ci->max_cutoff, norm3(c));
    }
    ci->max_cutoff += 0.01;
    ci->r_list = cbrt(80.0 * vol / (double)cell->n / (4.0 / 3.0 * M_PI));
    ci->r_sort = cbrt(SORT_ATOMS * vol / (double)cell->n / (4.0 / 3.0 * M_PI));
    ci->cart = malloc(cell->n * sizeof *ci->cart);
    if (!ci->cart)
        return mms_error_set(e, MMS_ENOMEM, 0, "out of memory");
    for (size_t i = 0; i < cell->n; i++)
        frac_to_cart(cell->lattice, cell->frac[i], ci->cart[i]);
    return MMS_OK;
}

int mmsc_crystalnn_fingerprint(const mmsc_cell *cell, const mmsc_cnn_options *opt, FILE *qhull_err,
                               double out[MMSC_CNN_LEN], mms_error *err)
{
    mms_error_clear(err);
    cellinfo ci;
    int rc = cellinfo_init(&ci, cell, err);
    if (rc != MMS_OK)
        return rc;
    double *row = malloc(MMSC_CNN_LEN * sizeof *row);
    double *sum = calloc(MMSC_CNN_LEN, sizeof *sum);
    /* the order parameters' work area, shared by all sites, for the
     * largest CN that has any */
    size_t op_cap = 1;
    for (int cn = 1; cn <= MMSC_CNN_MAX_CN; cn++)
        if (mmsc_ops_preset[cn].n_ops > 0)
            op_cap = (size_t)cn;
    double *scratch = malloc(mmsc_op_scratch_size(op_cap) * sizeof *scratch);
    if (!row || !sum || !scratch) {
        rc = mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    } else {
        /* numpy's mean over axis 0: rows added in site order, then / n */
        for (size_t i = 0; i < cell->n && rc == 0; i++) {
            rc = site_fingerprint(&ci, (int)i, opt, qhull_err, scratch, op_cap, row, err);
            for (int k = 0; k < MMSC_CNN_LEN && rc == 0; k++)
                sum[k] += row[k];
        }
        for (int k = 0; k < MMSC_CNN_LEN && rc == 0; k++)
            out[k] = sum[k] / (double)cell->n;
    }
    free(ci.cart);
    free(row);
    free(sum);
    free(scratch);
    return rc;
}

int mmsc_crystalnn_neighbors(const mmsc_cell *cell, const mmsc_cnn_options *opt, FILE *qhull_err,
                             size_t site, mmsc_nn **out, size_t *n_out, mms_error *err)
{
    mms_error_clear(err);
    *out = NULL;
    *n_out = 0;
    if (site >= cell->n)
        return mms_error_set(err, MMS_EINVAL, 0, "site %zu out of range", site);
    cellinfo ci;
    int rc = cellinfo_init(&ci, cell, err);
    if (rc != MMS_OK)
        return rc;
    image *pts = NULL;
    facet_info *nn = NULL;
    int n;
    rc = site_nn_data(&ci, (int)site, opt, qhull_err, &pts, &nn, &n, err);
    free(ci.cart);
    if (rc != MMS_OK)
        return rc;
    double *bins = malloc((size_t)(n + 1) * sizeof *bins);
    if (!bins) {
        free(nn);
        free(pts);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    /* get_nn_info with weighted_cn False: the CN of highest probability,
     * the first one on a tie (Python's max over dict insertion order: CNs
     * in bin order, then CN 0 for the probability left) */
    int nb = distance_bins(nn, n, bins);
    int best_cn = 0;
    double best_w = -INFINITY, total = 0;
    for (int b = 0; b < nb; b++) {
        double w = semicircle_integral(bins, b);
        total += w;
        if (w > best_w) {
            best_w = w;
            best_cn = cn_at(nn, n, bins[b]);
        }
    }
    double w0 = 1.0 - total;
    if (w0 > 0 && w0 > best_w)
        best_cn = 0;
    if (nb == 0) /* CN 0 only */
        best_cn = 0;
    free(bins);
    mmsc_nn *list = best_cn ? malloc((size_t)best_cn * sizeof *list) : NULL;
    if (best_cn && !list) {
        free(nn);
        free(pts);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (int i = 0; i < best_cn; i++) {
        const image *p = &pts[nn[i].other];
        list[i].site = (size_t)p->site;
        memcpy(list[i].image, p->shift, sizeof list[i].image);
        list[i].dist = p->dist;
    }
    free(nn);
    free(pts);
    *out = list;
    *n_out = (size_t)best_cn;
    return MMS_OK;
}
