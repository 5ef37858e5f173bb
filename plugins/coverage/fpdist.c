/* Streaming nearest-neighbour and mean pairwise distances between
 * fingerprint sets (see fpdist.h for the contract).
 *
 * Why hand-written: BLAS-style ‖a‖²+‖b‖²−2a·b is fast but differs from
 * scipy's direct difference in the last bits, and coverage/novelty compare
 * distances against cutoffs, so a different boolean on a tie would change a
 * rate.  Here the second set is packed in panels of PW rows stored dimension-
 * major; a block of RB rows of the first set runs down a panel, each SIMD
 * lane summing (a_j - b_j)^2 in dimension order: vectors span the PW lanes
 * (pairs), never dimensions, so each sum is the same sequence of IEEE
 * operations scipy performs.  (Left to itself GCC vectorised such loops
 * across dimensions with permutes, 6x slower, hence explicit vector types.)
 * Memory is O(n * dim): packed copies of the sets (for nearest distances,
 * their distinct rows, projections and boxes, plus a dim x dim covariance)
 * and O(threads * n) scratch; no distance matrix is stored.  cov_nearest
 * evaluates only the pairs that can still be a minimum (see "nearest"
 * below), with the same result to the last bit. */
#include "fpdist.h"
#include "npsum.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PW 8 /* panel width: rows of the packed set per panel (SIMD lanes) */
#define RB 8 /* rows of the streamed set per block (register reuse of a panel) */
#define MAX_THREADS 64

/* The hot loop, compiled for AVX-512/AVX2/baseline and picked at load time.
 * No FMA contraction (-ffp-contract=off on this file), so each lane is
 * exactly s += (x - y) * (x - y) in dimension order. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

/* One SIMD vector holds a panel row: the PW lanes are PW different pairs. */
typedef double lanes __attribute__((vector_size(PW * sizeof(double))));
typedef int64_t bits __attribute__((vector_size(PW * sizeof(double)))); /* lanes' bits */
#define SIGN INT64_MIN /* the sign bit of a double */

CLONES
static void block_sq(const double *const rows[RB], const double *panel, size_t dim,
                     double s[RB][PW])
{
    lanes acc[RB];
    for (int r = 0; r < RB; r++)
        acc[r] = (lanes){0};
    for (size_t j = 0; j < dim; j++) {
        lanes p;
        memcpy(&p, panel + j * PW, sizeof p);
        for (int r = 0; r < RB; r++) {
            lanes t = rows[r][j] - p; /* scalar broadcast to every lane */
            acc[r] += t * t;
        }
    }
    memcpy(s, acc, sizeof acc);
}

/* The same sums for one row x against one panel: s[k] is the pair (x, lane
 * k), each lane again s += (x_j - y_j)^2 in dimension order, so a pair has
 * the same value whichever kernel computes it. */
CLONES
static void row_sq(const double *x, const double *panel, size_t dim, double s[PW])
{
    lanes acc = {0};
    for (size_t j = 0; j < dim; j++) {
        lanes p;
        memcpy(&p, panel + j * PW, sizeof p);
        lanes t = x[j] - p;
        acc += t * t;
    }
    memcpy(s, &acc, sizeof acc);
}

/* Pack nb rows of b into panels: rows order[0..nb-1], or rows 0..nb-1 when
 * order is NULL.  The lanes past nb repeat the last row, so they never lower
 * a minimum (callers mask them where they sum). */
static double *pack_panels(const double *b, const size_t *order, size_t nb, size_t dim,
                           size_t *npanels)
{
    size_t np = (nb + PW - 1) / PW;
    double *p = malloc(np * PW * dim * sizeof *p);
    if (!p)
        return NULL;
    for (size_t q = 0; q < np; q++)
        for (size_t k = 0; k < PW; k++) {
            size_t at = q * PW + k < nb ? q * PW + k : nb - 1;
            const double *row = b + (order ? order[at] : at) * dim;
            for (size_t j = 0; j < dim; j++)
                p[(q * dim + j) * PW + k] = row[j];
        }
    *npanels = np;
    return p;
}

/* Rows i0..i0+RB-1 of a (clamped to na-1: a repeated row changes no minimum
 * and its results are not stored). */
static void block_rows(const double *a, size_t na, size_t dim, size_t i0,
                       const double *rows[RB])
{
    for (int r = 0; r < RB; r++)
        rows[r] = a + (i0 + (size_t)r < na ? i0 + (size_t)r : na - 1) * dim;
}

static unsigned clamp_threads(unsigned threads, size_t nblocks)
{
    if (threads < 1)
        threads = 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads > nblocks)
        threads = (unsigned)(nblocks ? nblocks : 1);
    return threads;
}

/* Runs fn on `threads` argument objects of `size` bytes each, one thread per
 * object; objects whose thread cannot be started run on the caller's thread,
 * so the result is complete (only slower) when threads are scarce. */
static void run_threads(void *(*fn)(void *), void *args, size_t size, unsigned threads)
{
    pthread_t tid[MAX_THREADS];
    unsigned started = 0;
    for (unsigned t = 0; t + 1 < threads; t++) {
        if (pthread_create(&tid[t], NULL, fn, (char *)args + t * size) != 0)
            break;
        started++;
    }
    for (unsigned t = started; t < threads; t++)
        fn((char *)args + t * size);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}

/* ------------------------------------------------------------ nearest */

/* cov_nearest skips the pairs that cannot be a row's minimum and still
 * returns, bit for bit, the minima of the full scan.
 *
 * - Duplicates.  Rows with the same bits have the same distance to every
 *   row, so each set is cut down to its distinct rows; a distinct row that
 *   also occurs in the other set has minimum exactly 0.
 * - Projection.  P holds NN_K orthonormal rows (the top principal directions
 *   of a sample of both sets, from GSL's symmetric eigensolver: fingerprints
 *   lie close to a low-dimensional subspace), and |x - y| >= |P x - P y| for
 *   any such P.  Every row is projected once (n dim NN_K operations).
 * - Boxes.  The distinct rows of each set are ordered by recursive bisection
 *   of their projections (a ball-tree build), so that each run of PW rows (a
 *   panel) and each run of PW panels (a group) is a tight cluster, and each
 *   keeps the box [lo, hi] of its rows' projected coordinates.  If t is the
 *   distance of P x to a box, every row y of it has |P x - P y| >= t, at
 *   2 NN_K operations per box instead of dim per pair.  A row bounds every
 *   group of the other set, takes the best panels of the best groups first,
 *   so that its minimum is small early, then opens every group whose bound
 *   allows a lower minimum and computes every panel whose bound still allows
 *   one.  On the fixture fingerprints that leaves ~1% of the pairs.
 *
 * Why the minima do not change: every evaluated pair goes through block_sq's
 * operations (row_sq performs the same per lane); a pair is skipped only
 * when its own computed value is provably above a value its row already
 * holds; and taking a minimum is exact, in any order.  So each minimum is
 * the same double for any visiting order, projection and thread count.
 * b_min is a second pass with the roles swapped: fl(y - x) = -fl(x - y)
 * under round-to-nearest, so every term, and every pair's value, is the one
 * the full scan computes.
 *
 * Rigour of the bound in floating point (u = 2^-53; dim <= NN_MAX_DIM =
 * 1024, k = min(dim, NN_K) <= 8 non-zero rows of P, the rest exactly 0; all
 * values finite and at most NN_MAX_VALUE in magnitude, so nothing overflows).
 * P as stored is not exactly orthonormal: let e >= the spectral norm of
 * P P^T - I (k times the largest entry of the computed Gram matrix minus I,
 * plus that matrix's own rounding), required <= NN_MAX_GRAM = 1e-9, else no
 * bound is used.
 *   (1) |x - y| >= |P (x - y)| / sqrt(1 + e).
 *   (2) Each computed coordinate fl(P_c . x) is within dim u |P_c| |x| /
 *       (1 - dim u), plus dim 2^-1074 from underflow, of the exact one, so
 *       over k coordinates |P (x - y)| >= |p(x) - p(y)| - 1e-12 (|x| + |y|)
 *       - 1e-300, p the computed projections; and |p(x) - p(y)| >= t
 *       exactly, t the exact distance of p(x) to a box holding p(y) (the
 *       boxes are built from the computed values).
 *   (3) The box distance t' as computed (k subtractions, squares, sum,
 *       sqrt) is at most (1 + (k + 3) u) t.
 *   (4) A pair's computed squared distance (dim terms, each rounded in the
 *       subtraction and the square, all >= 0, summed) is at least
 *       (1 - (dim + 2) u) |x - y|^2 - 2 dim 2^-1074 (underflow), so its
 *       square root is at least (1 - 1e-13) |x - y| - 1e-159.
 * Together: the square root of a pair's computed value is at least
 * G = (1 - 6e-10) t' - 1e-12 (|x| + |y|) - 1e-159.  The bound used,
 * B = t' - NN_REL (t' + |x| + max |y|) - NN_ABS with the norms as computed
 * (relative error 1e-13; max over the box's rows), is below G by 9e-9
 * (t' + |x| + |y|) or more, which leaves room for the few roundings of B's
 * own arithmetic; so when B > 0, G >= B (1 + 9e-9) as t' >= B, and
 * fl(B * B) > m (the test of may_lower) implies the pair's value > m: a
 * skipped pair is strictly above its row's minimum.  Inputs outside these
 * premises (a value that is not finite or above NN_MAX_VALUE in magnitude,
 * dim > NN_MAX_DIM, or an eigensolver result failing the orthonormality
 * check) keep only the exact rules for duplicates (not the zero: inf - inf
 * is NaN) and for minima already 0.
 *
 * Hand-written rather than a k-d/ball-tree library: the pairs must go through
 * this file's kernel, and the bound must hold for computed, not exact,
 * distances. */

#define NN_K PW        /* projected coordinates: one SIMD vector */
#define NN_SAMPLE 512  /* rows the principal directions are estimated from */
#define NN_REL 1e-8
#define NN_ABS 1e-150
#define NN_MAX_VALUE 1e150
#define NN_MAX_DIM 1024 /* the covariance is dim x dim */
#define NN_MAX_GRAM 1e-9

/* One set cut down to its distinct rows, in cluster order. */
typedef struct nn_side {
    const double *x; /* the caller's rows (borrowed) */
    size_t n;        /* distinct rows */
    size_t *idx;     /* [n] caller row of each distinct row, in cluster order */
    double *best;    /* [n] squared minimum so far */
    size_t *of;      /* [caller rows] position of its distinct row */
    double *panels;  /* the distinct rows in cluster order, packed */
    size_t npanels;
    double *px;      /* [n NN_K] projections of the distinct rows, cluster order */
    double *norm;    /* [n] their norms */
    size_t ngroups;  /* groups of PW panels */
    double *pbox;    /* the boxes of the panels, a block per group */
    double *gbox;    /* the boxes of the groups, a block per PW groups */
    double *ppx;     /* [npanels NN_K PW] the projections packed like the rows */
    double *lnorm;   /* [npanels PW] the norms of the panels' rows */
} nn_side;

/* A row of either set, for sorting identical rows together. */
typedef struct nn_key {
    const double *row;
    size_t bytes; /* of the row: qsort's comparator takes no context */
    unsigned set;
    size_t idx;
} nn_key;

static int key_cmp(const void *pa, const void *pb)
{
    const nn_key *a = pa, *b = pb;
    int c = memcmp(a->row, b->row, a->bytes);
    if (c)
        return c;
    if (a->set != b->set)
        return a->set < b->set ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Something ranked by a double, ties by id: orders do not depend on qsort. */
typedef struct nn_ord {
    double key;
    size_t id;
} nn_ord;

static int ord_cmp(const void *pa, const void *pb)
{
    const nn_ord *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Whether the rounding analysis above covers every value of both sets. */
static int bounds_apply(const double *a, size_t na, const double *b, size_t nb, size_t dim)
{
    if (dim > NN_MAX_DIM)
        return 0;
    for (size_t i = 0; i < na * dim; i++)
        if (!(fabs(a[i]) <= NN_MAX_VALUE)) /* NaN fails too */
            return 0;
    for (size_t i = 0; i < nb * dim; i++)
        if (!(fabs(b[i]) <= NN_MAX_VALUE))
            return 0;
    return 1;
}

/* Row i of a then b. */
static const double *row_of(const double *a, size_t na, const double *b, size_t i, size_t dim)
{
    return i < na ? a + i * dim : b + (i - na) * dim;
}

/* P transposed into Pt (dim x NN_K, zeroed by the caller): its k =
 * min(NN_K, dim) rows are the top principal directions of every step-th row
 * of both sets (scaled by their largest magnitude, so the
 * covariance cannot overflow), by GSL's symmetric eigensolver on a workspace
 * of ours (GSL's allocators would call its aborting error handler).  Any P
 * with orthonormal rows gives a valid bound, how well it fits only changes
 * the speed; so 0 only when the rows are orthonormal within NN_MAX_GRAM. */
static int nn_projection(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                         double *Pt)
{
    size_t k = dim < NN_K ? dim : NN_K;
    size_t n = na + nb, step = n > NN_SAMPLE ? n / NN_SAMPLE : 1, m = 0;
    double *c = calloc(dim * dim, sizeof *c), *vec = malloc(dim * dim * sizeof *vec);
    double *mu = calloc(dim, sizeof *mu), *v = malloc(dim * sizeof *v);
    double *eval = malloc(dim * sizeof *eval), *ws = malloc(4 * dim * sizeof *ws);
    int rc = c && vec && mu && v && eval && ws ? 0 : -1;
    double big = 0.0;
    for (size_t i = 0; rc == 0 && i < n; i += step, m++)
        for (size_t j = 0; j < dim; j++) {
            double y = row_of(a, na, b, i, dim)[j];
            mu[j] += y;
            big = fabs(y) > big ? fabs(y) : big;
        }
    double scale = big > 0.0 ? 1.0 / big : 1.0;
    for (size_t j = 0; rc == 0 && j < dim; j++)
        mu[j] = mu[j] / (double)m * scale;
    for (size_t i = 0; rc == 0 && i < n; i += step) {
        const double *y = row_of(a, na, b, i, dim);
        for (size_t j = 0; j < dim; j++)
            v[j] = y[j] * scale - mu[j];
        for (size_t j = 0; j < dim; j++)
            for (size_t l = 0; l < dim; l++)
                c[j * dim + l] += v[j] * v[l];
    }
    if (rc == 0) {
        gsl_matrix_view A = gsl_matrix_view_array(c, dim, dim);
        gsl_matrix_view V = gsl_matrix_view_array(vec, dim, dim);
        gsl_vector_view e = gsl_vector_view_array(eval, dim);
        gsl_eigen_symmv_workspace w = {dim, ws, ws + dim, ws + 2 * dim, ws + 3 * dim};
        if (gsl_eigen_symmv(&A.matrix, &e.vector, &V.matrix, &w) != GSL_SUCCESS ||
            gsl_eigen_symmv_sort(&e.vector, &V.matrix, GSL_EIGEN_SORT_VAL_DESC) != GSL_SUCCESS)
            rc = -1;
    }
    if (rc == 0) {
        for (size_t r = 0; r < k; r++)
            for (size_t j = 0; j < dim; j++)
                Pt[j * NN_K + r] = vec[j * dim + r];
        /* the computed Gram entries are within dim u (1 + dev) / (1 - dim u)
         * of the exact ones (dim u <= 1.2e-13 here), and a k x k matrix has
         * spectral norm at most k times its largest entry */
        double dev = 0.0;
        for (size_t r = 0; r < k; r++)
            for (size_t s = 0; s < k; s++) {
                double g = 0.0;
                for (size_t j = 0; j < dim; j++)
                    g += Pt[j * NN_K + r] * Pt[j * NN_K + s];
                g = fabs(g - (r == s ? 1.0 : 0.0));
                dev = g <= dev ? dev : g; /* a NaN sticks and fails below */
            }
        double e = (double)k * (dev + 1.2e-13 * (1.0 + dev));
        if (!(e <= NN_MAX_GRAM))
            rc = -1;
    }
    free(c);
    free(vec);
    free(mu);
    free(v);
    free(eval);
    free(ws);
    return rc;
}

/* p[0..NN_K) = the computed projection of row x (Pt: P transposed, dim x
 * NN_K); returns |x| as computed. */
CLONES
static double project(const double *Pt, const double *x, size_t dim, double *p)
{
    lanes acc = {0};
    double sq = 0.0;
    for (size_t j = 0; j < dim; j++) {
        lanes c;
        memcpy(&c, Pt + j * NN_K, sizeof c);
        acc += c * x[j];
        sq += x[j] * x[j];
    }
    memcpy(p, &acc, sizeof acc);
    return sqrt(sq);
}

/* A squared distance for the cluster order (which only changes the speed). */
static double sq_to(const double *x, const double *c, size_t dim)
{
    double s = 0.0;
    for (size_t j = 0; j < dim; j++)
        s += (x[j] - c[j]) * (x[j] - c[j]);
    return s;
}

/* The row of ids[0..n) farthest from c; with d, d[i] = squared distance of
 * row ids[i] to c. */
static size_t farthest(const double *x, const size_t *ids, size_t n, size_t dim, const double *c,
                       nn_ord *d)
{
    size_t far = ids[0];
    double dfar = -1.0;
    for (size_t i = 0; i < n; i++) {
        double s = sq_to(x + ids[i] * dim, c, dim);
        if (d)
            d[i] = (nn_ord){s, ids[i]};
        if (s > dfar) {
            dfar = s;
            far = ids[i];
        }
    }
    return far;
}

/* Orders rows ids[0..n) of x (here: projections) so that each aligned run
 * of PW rows (a panel) and of PW panels (a group) is a tight cluster: split
 * across the line between two far-apart rows, at a multiple of a group (of a
 * panel within one group), and recurse.  The order only changes the speed,
 * never a minimum. */
static void cluster_order(const double *x, size_t *ids, size_t n, size_t dim, nn_ord *tmp)
{
    if (n <= PW)
        return;
    const double *p1 = x + farthest(x, ids, n, dim, x + ids[0] * dim, NULL) * dim;
    const double *p2 = x + farthest(x, ids, n, dim, p1, tmp) * dim;
    for (size_t i = 0; i < n; i++)
        tmp[i].key -= sq_to(x + ids[i] * dim, p2, dim);
    qsort(tmp, n, sizeof *tmp, ord_cmp);
    for (size_t i = 0; i < n; i++)
        ids[i] = tmp[i].id;
    size_t unit = n > PW * PW ? PW * PW : PW;
    size_t half = unit * (((n + unit - 1) / unit + 1) / 2);
    cluster_order(x, ids, half, dim, tmp);
    cluster_order(x, ids + half, n - half, dim, tmp);
}

/* Boxes come in blocks of PW, laid out like panels for the SIMD loops:
 * lo[NN_K][PW], hi[NN_K][PW] (each coordinate's range over the box's rows), then
 * ny[PW] (their largest norm).  Box l of block blk gets S's rows
 * first..first+n-1 (n = 0: an empty slot, never read). */
static void box_put(const nn_side *S, size_t first, size_t n, double *blk, size_t l)
{
    double *ny = blk + 2 * NN_K * PW + l;
    *ny = 0.0;
    for (size_t c = 0; c < NN_K; c++) {
        blk[2 * c * PW + l] = n ? INFINITY : 0.0;
        blk[(2 * c + 1) * PW + l] = n ? -INFINITY : 0.0;
    }
    for (size_t q = first; q < first + n; q++) {
        const double *p = S->px + q * NN_K;
        for (size_t c = 0; c < NN_K; c++) {
            double *lo = blk + 2 * c * PW + l, *hi = lo + PW;
            *lo = p[c] < *lo ? p[c] : *lo;
            *hi = p[c] > *hi ? p[c] : *hi;
        }
        *ny = S->norm[q] > *ny ? S->norm[q] : *ny;
    }
}

/* The boxes of S's panels and groups, and the projections and norms
 * packed per panel. */
static int side_boxes(nn_side *S)
{
    size_t span = PW * PW, bs = (2 * NN_K + 1) * PW; /* rows per group, doubles per block */
    S->ngroups = (S->n + span - 1) / span;
    size_t ngb = (S->ngroups + PW - 1) / PW, np;
    S->pbox = malloc(S->ngroups * bs * sizeof *S->pbox);
    S->gbox = malloc(ngb * bs * sizeof *S->gbox);
    S->ppx = pack_panels(S->px, NULL, S->n, NN_K, &np);
    S->lnorm = pack_panels(S->norm, NULL, S->n, 1, &np);
    if (!S->pbox || !S->gbox || !S->ppx || !S->lnorm)
        return -1;
    for (size_t q = 0; q < S->ngroups * PW; q++) {
        size_t first = q * PW < S->n ? q * PW : S->n;
        size_t n = S->n - first < PW ? S->n - first : PW;
        box_put(S, first, n, S->pbox + q / PW * bs, q % PW);
    }
    for (size_t g = 0; g < ngb * PW; g++) {
        size_t first = g * span < S->n ? g * span : S->n;
        size_t n = S->n - first < span ? S->n - first : span;
        box_put(S, first, n, S->gbox + g / PW * bs, g % PW);
    }
    return 0;
}

static void side_free(nn_side *s)
{
    free(s->idx);
    free(s->best);
    free(s->of);
    free(s->panels);
    free(s->px);
    free(s->norm);
    free(s->pbox);
    free(s->gbox);
    free(s->ppx);
    free(s->lnorm);
}

/* Fills both sides: distinct rows (twins across the sets get minimum 0 when
 * bounded, i.e. P != NULL), cluster order, packed panels, and with P their
 * projections and boxes.  0 on success. */
static int sides_build(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                       const double *P, nn_side side[2])
{
    const double *x[2] = {a, b};
    size_t n[2] = {na, nb};
    nn_key *keys = malloc((na + nb) * sizeof *keys);
    size_t *first = malloc((na + nb) * sizeof *first); /* distinct id -> caller row */
    int *twin = malloc((na + nb) * sizeof *twin);
    size_t *ids = malloc((na + nb) * sizeof *ids), *pos = malloc((na + nb) * sizeof *pos);
    nn_ord *tmp = malloc((na + nb) * sizeof *tmp);
    /* projections and norms by caller row (cluster_order works on those) */
    double *proj = P ? malloc((na > nb ? na : nb) * NN_K * sizeof *proj) : NULL;
    double *nrm = P ? malloc((na > nb ? na : nb) * sizeof *nrm) : NULL;
    int ok = keys && first && twin && ids && pos && tmp && (!P || (proj && nrm));
    for (int s = 0; s < 2; s++) {
        side[s] = (nn_side){.x = x[s]};
        side[s].of = malloc(n[s] * sizeof *side[s].of);
        ok = ok && side[s].of;
    }
    if (ok) {
        size_t nk = 0;
        for (unsigned s = 0; s < 2; s++)
            for (size_t i = 0; i < n[s]; i++)
                keys[nk++] = (nn_key){x[s] + i * dim, dim * sizeof(double), s, i};
        qsort(keys, na + nb, sizeof *keys, key_cmp);
        /* distinct ids of side 0 count from 0, those of side 1 from na */
        for (size_t g = 0; g < na + nb;) {
            size_t h = g;
            while (h < na + nb && memcmp(keys[h].row, keys[g].row, keys[g].bytes) == 0)
                h++;
            int both = keys[g].set != keys[h - 1].set;
            for (size_t e = g; e < h; e++) {
                nn_side *S = &side[keys[e].set];
                size_t base = keys[e].set ? na : 0;
                if (e == g || keys[e].set != keys[e - 1].set) {
                    first[base + S->n] = keys[e].idx;
                    twin[base + S->n] = both && P;
                    S->n++;
                }
                S->of[keys[e].idx] = S->n - 1;
            }
            g = h;
        }
    }
    for (int s = 0; ok && s < 2; s++) {
        nn_side *S = &side[s];
        size_t base = s ? na : 0;
        S->idx = malloc(S->n * sizeof *S->idx);
        S->best = malloc(S->n * sizeof *S->best);
        ok = S->idx && S->best;
        if (P) {
            S->px = malloc(S->n * NN_K * sizeof *S->px);
            S->norm = malloc(S->n * sizeof *S->norm);
            ok = ok && S->px && S->norm;
        }
        if (!ok)
            break;
        /* cluster order of the distinct rows' projections; then back to
         * distinct ids */
        for (size_t d = 0; d < S->n; d++) {
            ids[d] = first[base + d];
            if (P)
                nrm[ids[d]] = project(P, S->x + ids[d] * dim, dim, proj + ids[d] * NN_K);
        }
        if (P)
            cluster_order(proj, ids, S->n, NN_K, tmp);
        for (size_t q = 0; q < S->n; q++) {
            size_t d = S->of[ids[q]];
            S->idx[q] = ids[q];
            S->best[q] = twin[base + d] ? 0.0 : INFINITY;
            pos[d] = q;
        }
        for (size_t q = 0; P && q < S->n; q++) {
            memcpy(S->px + q * NN_K, proj + S->idx[q] * NN_K, NN_K * sizeof *proj);
            S->norm[q] = nrm[S->idx[q]];
        }
        for (size_t i = 0; i < n[s]; i++)
            S->of[i] = pos[S->of[i]];
        S->panels = pack_panels(S->x, S->idx, S->n, dim, &S->npanels);
        ok = S->panels && (!P || side_boxes(S) == 0);
    }
    free(keys);
    free(first);
    free(twin);
    free(ids);
    free(pos);
    free(tmp);
    free(proj);
    free(nrm);
    if (!ok) {
        side_free(&side[0]);
        side_free(&side[1]);
        return -1;
    }
    return 0;
}

/* Whether a pair with that lower bound could still lower a squared minimum m. */
static int may_lower(double bound, double m)
{
    return m > 0.0 && !(bound > 0.0 && bound * bound > m);
}

typedef struct nn_job {
    const nn_side *S, *T; /* minima of S's rows over T's rows */
    size_t dim;
    int bounded;          /* projection bounds (else a plain scan) */
    size_t first, step;   /* S's rows first, first + step, ... */
    double *scratch;      /* T->ngroups */
} nn_job;

/* The lower bound on computed distances from a row of norm nx to rows of
 * norms up to ny whose projections are at distance t (as computed) from its
 * own (see the top of this section). */
static double bound_of(double t, double nx, double ny)
{
    return t - (NN_REL * (t + nx + ny) + NN_ABS);
}

/* out[l] = the bound from a row (projection px, norm nx) to the rows in box
 * l of block blk: t is the distance of px to the box, per coordinate the
 * positive one of lo - px and px - hi, or 0 (as lo <= hi, and rounding is
 * monotone, at most one is positive).  Without branches (GCC would not
 * vectorise them): (v + |v|) / 2 is exactly max(v, 0), and a sum with at
 * most one term non-zero is exact. */
CLONES
static void boxes_bound(const double *px, double nx, const double *blk, double out[PW])
{
    lanes t2 = {0};
    for (size_t c = 0; c < NN_K; c++) {
        lanes lo, hi;
        memcpy(&lo, blk + 2 * c * PW, sizeof lo);
        memcpy(&hi, blk + (2 * c + 1) * PW, sizeof hi);
        lanes below = lo - px[c], above = px[c] - hi;
        lanes pos_below = below + (lanes)((bits)below & ~SIGN); /* 2 max(below, 0) */
        lanes pos_above = above + (lanes)((bits)above & ~SIGN);
        lanes t = (pos_below + pos_above) * 0.5;
        t2 += t * t;
    }
    memcpy(out, &t2, sizeof t2);
    for (int l = 0; l < PW; l++)
        out[l] = bound_of(sqrt(out[l]), nx, blk[2 * NN_K * PW + l]);
}

/* The bound of boxes_bound for each row of T's panel q (a box of one point;
 * the projections are packed like the rows, so row_sq gives the squared
 * distances): whether one of them may lower m. */
static int lanes_may_lower(const nn_job *J, const double *px, double nx, size_t q, double m)
{
    const double *ny = J->T->lnorm + q * PW;
    double s[PW];
    row_sq(px, J->T->ppx + q * NN_K * PW, NN_K, s);
    for (int l = 0; l < PW; l++) {
        if (s[l] <= m) /* the bound is below sqrt(s[l]) */
            return 1;
        if (may_lower(bound_of(sqrt(s[l]), nx, ny[l]), m))
            return 1;
    }
    return 0;
}

/* Lowers the squared minimum *m of row x (projection px, norm nx) over T's
 * panel q (lanes past T's last row repeat it), unless no row of the panel
 * can lower it. */
static void panel_min(const nn_job *J, const double *x, const double *px, double nx, size_t q,
                      double *m)
{
    if (J->bounded && !lanes_may_lower(J, px, nx, q, *m))
        return;
    double s[PW];
    row_sq(x, J->T->panels + q * J->dim * PW, J->dim, s);
    for (int l = 0; l < PW; l++)
        if (s[l] < *m)
            *m = s[l];
}

/* Keeps in top[0..*n) the RB lowest keys offered so far, ascending. */
static void keep_lowest(nn_ord top[RB], size_t *n, double key, size_t id)
{
    if (*n == RB && !(key < top[RB - 1].key))
        return;
    size_t k = *n < RB ? (*n)++ : RB - 1;
    for (; k > 0 && top[k - 1].key > key; k--)
        top[k] = top[k - 1];
    top[k] = (nn_ord){key, id};
}

/* Bounds for row x (projection px, norm nx) on the panels of the np (<= RB)
 * groups in grp[]: b[k][l] for panel grp[k] * PW + l (+inf past T's last
 * panel). */
static void panel_bounds(const nn_job *J, const double *px, double nx, const nn_ord *grp,
                         size_t np, double b[RB][PW])
{
    const nn_side *T = J->T;
    for (size_t k = 0; k < np; k++) {
        boxes_bound(px, nx, T->pbox + grp[k].id * (2 * NN_K + 1) * PW, b[k]);
        for (size_t l = 0; l < PW; l++)
            if (grp[k].id * PW + l >= T->npanels)
                b[k][l] = INFINITY;
    }
}

/* Runs the panels of grp[0..np) whose bound allows a minimum below *m. */
static void run_groups(const nn_job *J, const double *x, const double *px, double nx,
                       const nn_ord *grp, size_t np, double b[RB][PW], double *m)
{
    for (size_t k = 0; k < np; k++)
        for (size_t l = 0; l < PW; l++)
            if (b[k][l] != INFINITY && may_lower(b[k][l], *m))
                panel_min(J, x, px, nx, grp[k].id * PW + l, m);
}

/* The squared minimum of S's row at (cluster position) i over T, m the one
 * it has so far.  First the RB panels of lowest bound within the RB groups
 * of lowest bound, for a small minimum early; then, for every group whose
 * bound allows a lower minimum, its panels whose bound still allows one. */
static double row_min(const nn_job *J, size_t i, double m)
{
    const nn_side *S = J->S, *T = J->T;
    const double *x = S->x + S->idx[i] * J->dim, *px = S->px + i * NN_K;
    double nx = S->norm[i];
    size_t np = 0, nt = 0;
    nn_ord grp[RB], top[RB];
    double *gb = J->scratch, b[RB][PW];
    for (size_t g = 0; g < T->ngroups; g += PW) {
        double o[PW];
        boxes_bound(px, nx, T->gbox + g / PW * (2 * NN_K + 1) * PW, o);
        for (size_t l = 0; l < PW && g + l < T->ngroups; l++) {
            gb[g + l] = o[l];
            keep_lowest(grp, &np, o[l], g + l);
        }
    }
    if (!may_lower(grp[0].key, m))
        return m;
    panel_bounds(J, px, nx, grp, np, b);
    for (size_t k = 0; k < np; k++)
        for (size_t l = 0; l < PW; l++)
            if (b[k][l] != INFINITY)
                keep_lowest(top, &nt, b[k][l], k * PW + l);
    for (size_t t = 0; t < nt; t++) {
        if (may_lower(top[t].key, m))
            panel_min(J, x, px, nx, grp[top[t].id / PW].id * PW + top[t].id % PW, &m);
        b[top[t].id / PW][top[t].id % PW] = INFINITY; /* done */
    }
    run_groups(J, x, px, nx, grp, np, b, &m);
    for (size_t k = 0; k < np; k++)
        gb[grp[k].id] = INFINITY; /* done */
    np = 0;
    for (size_t g = 0; g <= T->ngroups; g++) {
        if (g < T->ngroups && gb[g] != INFINITY && may_lower(gb[g], m))
            grp[np++] = (nn_ord){gb[g], g};
        if (np == RB || (g == T->ngroups && np)) {
            panel_bounds(J, px, nx, grp, np, b);
            run_groups(J, x, px, nx, grp, np, b, &m);
            np = 0;
        }
    }
    return m;
}

/* Without bounds: every panel, stopping only at a minimum of 0. */
static double row_scan(const nn_job *J, size_t i, double m)
{
    const double *x = J->S->x + J->S->idx[i] * J->dim;
    for (size_t q = 0; q < J->T->npanels && m > 0.0; q++)
        panel_min(J, x, NULL, 0.0, q, &m);
    return m;
}

static void *nn_work(void *arg)
{
    const nn_job *J = arg;
    const nn_side *S = J->S;
    for (size_t i = J->first; i < S->n; i += J->step)
        if (S->best[i] > 0.0)
            S->best[i] = J->bounded ? row_min(J, i, S->best[i]) : row_scan(J, i, S->best[i]);
    return NULL;
}

/* The minima of S's distinct rows over T's (S->best), on `threads` threads. */
static int nn_pass(const nn_side *S, const nn_side *T, size_t dim, int bounded,
                   unsigned threads)
{
    threads = clamp_threads(threads, S->n);
    size_t per = T->ngroups ? T->ngroups : 1;
    double *scratch = malloc((size_t)threads * per * sizeof *scratch);
    if (!scratch)
        return -1;
    nn_job jobs[MAX_THREADS];
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (nn_job){S, T, dim, bounded, t, threads, scratch + (size_t)t * per};
    run_threads(nn_work, jobs, sizeof jobs[0], threads);
    free(scratch);
    return 0;
}

int cov_nearest(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                unsigned threads, double *a_min, double *b_min, mms_error *err)
{
    if (!a || !b || na == 0 || nb == 0 || dim == 0)
        return mms_error_set(err, MMS_EINVAL, 0, "nearest distances need two non-empty sets");
    nn_side side[2];
    double *P = bounds_apply(a, na, b, nb, dim) ? calloc(dim * NN_K, sizeof *P) : NULL;
    if (P && nn_projection(a, na, b, nb, dim, P) != 0) {
        free(P);
        P = NULL;
    }
    int bounded = P != NULL;
    int rc = sides_build(a, na, b, nb, dim, P, side);
    free(P);
    if (rc != 0)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory packing %zu fingerprints",
                             na + nb);
    if (a_min && (rc = nn_pass(&side[0], &side[1], dim, bounded, threads)) == 0)
        for (size_t i = 0; i < na; i++)
            a_min[i] = sqrt(side[0].best[side[0].of[i]]);
    if (b_min && rc == 0 && (rc = nn_pass(&side[1], &side[0], dim, bounded, threads)) == 0)
        for (size_t j = 0; j < nb; j++)
            b_min[j] = sqrt(side[1].best[side[1].of[j]]);
    side_free(&side[0]);
    side_free(&side[1]);
    if (rc != 0)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for %zu rows", na + nb);
    return MMS_OK;
}

/* -------------------------------------------------------------- pdist */

/* numpy sums pdist's condensed array (pairs (0,1), (0,2), ... (n-2,n-1)) in
 * blocks of MMSC_NP_BUFSIZE, each by pairwise summation, the block sums added
 * left to right (npsum.h).  To give the same bits without storing the
 * n(n-1)/2 distances, a stream produces them in that order (RB rows at a time
 * through the panel kernel) and the pairwise recursion consumes it.  Runs of
 * blocks go to threads, each with its own stream; the block sums are added in
 * order at the end, so the result does not depend on the thread count. */

typedef struct pd_stream {
    const double *a, *panels;
    size_t n, dim, npanels;
    size_t i, j;   /* the next pair */
    size_t blk_i0; /* first row held in buf; SIZE_MAX = none */
    double *buf;   /* RB x n: distances of rows blk_i0.. to every column */
} pd_stream;

static void pd_fill(pd_stream *S, size_t i0)
{
    double s[RB][PW];
    const double *rows[RB];
    block_rows(S->a, S->n, S->dim, i0, rows);
    for (size_t q = (i0 + 1) / PW; q < S->npanels; q++) {
        block_sq(rows, S->panels + q * S->dim * PW, S->dim, s);
        for (size_t r = 0; r < RB; r++)
            for (size_t k = 0; k < PW && q * PW + k < S->n; k++)
                S->buf[r * S->n + q * PW + k] = sqrt(s[r][k]);
    }
    S->blk_i0 = i0;
}

static double pd_next(pd_stream *S)
{
    if (S->blk_i0 == SIZE_MAX || S->i - S->blk_i0 >= RB)
        pd_fill(S, S->i);
    double d = S->buf[(S->i - S->blk_i0) * S->n + S->j];
    if (++S->j == S->n) {
        S->i++;
        S->j = S->i + 1;
    }
    return d;
}

/* mmsc_pairwise_sum over the next n values of the stream. */
static double pd_sum(pd_stream *S, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++)
            res += pd_next(S);
        return res;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (i = 0; i < 8; i++)
            r[i] = pd_next(S);
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++)
                r[k] += pd_next(S);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += pd_next(S);
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    double left = pd_sum(S, n2); /* sequenced: the stream is consumed in order */
    double right = pd_sum(S, n - n2);
    return left + right;
}

typedef struct pd_job {
    pd_stream proto;       /* a, panels, n, dim, npanels */
    size_t pairs;          /* n(n-1)/2 */
    double *block_sum;     /* one per block of MMSC_NP_BUFSIZE pairs */
    size_t nblocks, ngroups, first, step; /* groups first, +step, ... */
    int failed;
} pd_job;

static void *pd_work(void *arg)
{
    pd_job *J = arg;
    pd_stream S = J->proto;
    S.buf = malloc(RB * S.n * sizeof *S.buf);
    if (!S.buf) {
        J->failed = 1;
        return NULL;
    }
    for (size_t g = J->first; g < J->ngroups; g += J->step) {
        size_t b0 = g * J->nblocks / J->ngroups, b1 = (g + 1) * J->nblocks / J->ngroups;
        if (b0 == b1)
            continue;
        /* row i holds pairs off(i) .. off(i+1)-1, off(i) = i(2n-i-1)/2 */
        size_t lo = b0 * MMSC_NP_BUFSIZE, i = 0;
        while ((i + 1) * (2 * S.n - i - 2) / 2 <= lo)
            i++;
        S.i = i;
        S.j = i + 1 + (lo - i * (2 * S.n - i - 1) / 2);
        S.blk_i0 = SIZE_MAX;
        for (size_t b = b0; b < b1; b++) {
            size_t len = J->pairs - b * MMSC_NP_BUFSIZE;
            J->block_sum[b] = pd_sum(&S, len < MMSC_NP_BUFSIZE ? len : MMSC_NP_BUFSIZE);
        }
    }
    free(S.buf);
    return NULL;
}

int cov_pdist_mean(const double *a, size_t n, size_t dim, unsigned threads, double *mean,
                   mms_error *err)
{
    if (!a || n < 2 || dim == 0)
        return mms_error_set(err, MMS_EINVAL, 0, "pairwise distances need at least 2 rows");
    size_t pairs = n * (n - 1) / 2, npanels;
    size_t nblocks = (pairs + MMSC_NP_BUFSIZE - 1) / MMSC_NP_BUFSIZE;
    double *panels = pack_panels(a, NULL, n, dim, &npanels);
    double *block_sum = malloc(nblocks * sizeof *block_sum);
    if (!panels || !block_sum) {
        free(panels);
        free(block_sum);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory packing %zu fingerprints", n);
    }
    /* 4 runs of blocks per thread, interleaved: early rows cost more per
     * pair (they start further left in the panels) */
    threads = clamp_threads(threads, nblocks);
    size_t ngroups = 4 * (size_t)threads < nblocks ? 4 * (size_t)threads : nblocks;
    pd_job jobs[MAX_THREADS];
    for (unsigned t = 0; t < threads; t++) {
        pd_stream proto = {a, panels, n, dim, npanels, 0, 0, SIZE_MAX, NULL};
        jobs[t] = (pd_job){proto, pairs, block_sum, nblocks, ngroups, t, threads, 0};
    }
    run_threads(pd_work, jobs, sizeof jobs[0], threads);
    int failed = 0;
    for (unsigned t = 0; t < threads; t++)
        failed |= jobs[t].failed;
    double total = 0.0;
    for (size_t b = 0; b < nblocks; b++)
        total += block_sum[b];
    free(block_sum);
    free(panels);
    if (failed)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory for %zu distances", n);
    *mean = total / (double)pairs;
    return MMS_OK;
}
