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
 * their distinct rows and cluster centres) and O(threads * n) scratch; no
 * matrix is stored.  cov_nearest evaluates only the pairs that can still be
 * a minimum (see "nearest" below), with the same result to the last bit. */
#include "fpdist.h"
#include "npsum.h"

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

/* The same sums for one row x against RB panels: s[q][k] is the pair (x,
 * lane k of panel q), each lane again s += (x_j - y_j)^2 in dimension order,
 * so a pair has the same value whichever kernel computes it. */
CLONES
static void row_sq(const double *x, const double *const panel[RB], size_t dim, double s[RB][PW])
{
    lanes acc[RB];
    for (int q = 0; q < RB; q++)
        acc[q] = (lanes){0};
    for (size_t j = 0; j < dim; j++)
        for (int q = 0; q < RB; q++) {
            lanes p;
            memcpy(&p, panel[q] + j * PW, sizeof p);
            lanes t = x[j] - p;
            acc[q] += t * t;
        }
    memcpy(s, acc, sizeof acc);
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
 * - Clusters.  The distinct rows of each set are ordered by recursive
 *   bisection (a ball-tree build), so that each run of PW rows (a panel) and
 *   each run of PW panels (a group) is a tight cluster with a centre c (the
 *   mean of its rows) and a radius r (the largest distance of its rows to
 *   c).  For a row x and any row y of a ball the triangle inequality gives
 *   |x - y| >= |x - c| - r.  A row computes its distances to the other set's
 *   group centres (1/64 of the full scan), takes the best panels of the best
 *   groups first, so that its minimum is small early, then opens every group
 *   whose bound allows a lower minimum (distances to its panels' centres)
 *   and computes every panel whose bound still allows one.  On the fixture
 *   fingerprints that leaves 7-10% of the pairs, and as much for the centres.
 *
 * Why the minima do not change: every evaluated pair goes through block_sq's
 * operations (row_sq performs the same per lane); a pair is skipped only
 * when its own computed value is provably above a value its row already
 * holds; and taking a minimum is exact, in any order.  So each minimum is
 * the same double for any visiting order and thread count.  b_min is a
 * second pass with the roles swapped: fl(y - x) = -fl(x - y) under
 * round-to-nearest, so every term, and every pair's value, is the one the
 * full scan computes.
 *
 * Rigour of the bound in floating point: a computed distance over dim terms
 * (each term rounded in the subtraction and the square, the sum once per
 * addition, all terms >= 0, then the square root) lies within a relative
 * (dim + 3) 2^-53 of the exact distance, plus an absolute sqrt(dim 2^-1074)
 * from underflow.  Applied to |x - c|, r and the pair itself, the exact
 * triangle inequality gives, for dim <= NN_MAX_DIM and with S = |x - c| + r
 * as computed,
 *   computed |x - y| >= computed (|x - c| - r) - 4e-11 S - 1e-157.
 * The bound used subtracts NN_REL S + NN_ABS instead, NN_REL = 1e-9 leaving
 * ample room for the few roundings of the bound's own arithmetic and of
 * squaring it for the comparison with squared minima, so a skipped pair is
 * strictly above its row's minimum.  Inputs outside these premises (a value
 * that is not finite or above NN_MAX_VALUE in magnitude, where sums could
 * overflow, or dim > NN_MAX_DIM) keep only the exact rules for duplicates
 * (not the zero: inf - inf is NaN) and for minima already 0.
 *
 * Hand-written rather than a k-d/ball-tree library: the pairs must go through
 * this file's kernel, and the bound must hold for computed, not exact,
 * distances. */

#define NN_REL 1e-9
#define NN_ABS 1e-150
#define NN_MAX_VALUE 1e150
#define NN_MAX_DIM 100000

/* One set cut down to its distinct rows, in cluster order. */
typedef struct nn_side {
    const double *x; /* the caller's rows (borrowed) */
    size_t n;        /* distinct rows */
    size_t *idx;     /* [n] caller row of each distinct row, in cluster order */
    double *best;    /* [n] squared minimum so far */
    size_t *of;      /* [caller rows] position of its distinct row */
    double *panels;  /* the distinct rows in cluster order, packed */
    size_t npanels;
    double *radius;  /* [npanels] ball of each panel */
    double *cpanels; /* [ngroups panels] the panels' centres, packed: panel g
                        holds the centres of group g, panels g*PW .. g*PW+PW-1 */
    size_t ngroups;  /* groups of PW panels */
    double *gradius; /* [ngroups] ball of each group */
    double *gpanels; /* the groups' centres, packed */
    size_t ngpanels;
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

/* A squared distance for the ordering and the balls, in four interleaved
 * sums for speed: any order of a sum of non-negative terms keeps the error
 * bound the margins rely on; the minima themselves never come from here. */
static double sq_to(const double *x, const double *c, size_t dim)
{
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    size_t j = 0;
    for (; j + 4 <= dim; j += 4)
        for (int k = 0; k < 4; k++)
            s[k] += (x[j + k] - c[j + k]) * (x[j + k] - c[j + k]);
    for (; j < dim; j++)
        s[0] += (x[j] - c[j]) * (x[j] - c[j]);
    return (s[0] + s[1]) + (s[2] + s[3]);
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

/* Orders rows ids[0..n) so that each aligned run of PW rows (a panel) and of
 * PW panels (a group) is a tight cluster: split across the line between two
 * far-apart rows, at a multiple of a group (of a panel within one group), and
 * recurse.  The order only changes the speed, never a minimum. */
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

/* Centre (mean) and radius (largest distance of a row to it) of rows
 * first..first+n-1 of S; the centre goes to c. */
static double ball(const nn_side *S, size_t first, size_t n, size_t dim, double *c)
{
    for (size_t j = 0; j < dim; j++)
        c[j] = 0.0;
    for (size_t k = first; k < first + n; k++)
        for (size_t j = 0; j < dim; j++)
            c[j] += S->x[S->idx[k] * dim + j];
    for (size_t j = 0; j < dim; j++)
        c[j] /= (double)n;
    double r = 0.0;
    for (size_t k = first; k < first + n; k++) {
        double d = sqrt(sq_to(S->x + S->idx[k] * dim, c, dim));
        r = d > r ? d : r;
    }
    return r;
}

/* The balls of S's panels and groups, centres packed. */
static int side_balls(nn_side *S, size_t dim)
{
    size_t span = PW * PW; /* rows per group */
    S->ngroups = (S->n + span - 1) / span;
    double *c = malloc((S->npanels + S->ngroups) * dim * sizeof *c);
    S->radius = malloc(S->npanels * sizeof *S->radius);
    S->gradius = malloc(S->ngroups * sizeof *S->gradius);
    int ok = c && S->radius && S->gradius;
    if (ok) {
        double *gc = c + S->npanels * dim;
        for (size_t q = 0; q < S->npanels; q++)
            S->radius[q] = ball(S, q * PW, q * PW + PW < S->n ? PW : S->n - q * PW, dim,
                                c + q * dim);
        for (size_t g = 0; g < S->ngroups; g++)
            S->gradius[g] = ball(S, g * span, g * span + span < S->n ? span : S->n - g * span,
                                 dim, gc + g * dim);
        size_t ncp;
        S->cpanels = pack_panels(c, NULL, S->npanels, dim, &ncp);
        S->gpanels = pack_panels(gc, NULL, S->ngroups, dim, &S->ngpanels);
        ok = S->cpanels && S->gpanels;
    }
    free(c);
    return ok ? 0 : -1;
}

static void side_free(nn_side *s)
{
    free(s->idx);
    free(s->best);
    free(s->of);
    free(s->panels);
    free(s->radius);
    free(s->cpanels);
    free(s->gradius);
    free(s->gpanels);
}

/* Fills both sides: distinct rows (twins across the sets get minimum 0 when
 * `bounded`), cluster order, packed panels, and their balls when `bounded`.
 * 0 on success. */
static int sides_build(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                       int bounded, nn_side side[2])
{
    const double *x[2] = {a, b};
    size_t n[2] = {na, nb};
    nn_key *keys = malloc((na + nb) * sizeof *keys);
    size_t *first = malloc((na + nb) * sizeof *first); /* distinct id -> caller row */
    int *twin = malloc((na + nb) * sizeof *twin);
    size_t *ids = malloc((na + nb) * sizeof *ids), *pos = malloc((na + nb) * sizeof *pos);
    nn_ord *tmp = malloc((na + nb) * sizeof *tmp);
    int ok = keys && first && twin && ids && pos && tmp;
    for (int s = 0; s < 2; s++) {
        side[s] = (nn_side){.x = x[s]};
        side[s].of = malloc(n[s] * sizeof *side[s].of);
        ok = ok && side[s].of;
    }
    if (ok) {
        size_t k = 0;
        for (unsigned s = 0; s < 2; s++)
            for (size_t i = 0; i < n[s]; i++)
                keys[k++] = (nn_key){x[s] + i * dim, dim * sizeof(double), s, i};
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
                    twin[base + S->n] = both && bounded;
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
        if (!ok)
            break;
        /* cluster order of the distinct rows' caller rows; then back to ids */
        for (size_t d = 0; d < S->n; d++)
            ids[d] = first[base + d];
        if (bounded)
            cluster_order(S->x, ids, S->n, dim, tmp);
        for (size_t q = 0; q < S->n; q++) {
            size_t d = S->of[ids[q]];
            S->idx[q] = ids[q];
            S->best[q] = twin[base + d] ? 0.0 : INFINITY;
            pos[d] = q;
        }
        for (size_t i = 0; i < n[s]; i++)
            S->of[i] = pos[S->of[i]];
        S->panels = pack_panels(S->x, S->idx, S->n, dim, &S->npanels);
        ok = S->panels && (!bounded || side_balls(S, dim) == 0);
    }
    free(keys);
    free(first);
    free(twin);
    free(ids);
    free(pos);
    free(tmp);
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
    int bounded;
    size_t first, step; /* S's panels first, first + step, ... */
    double *scratch;    /* (RB + 1) x T->ngroups */
} nn_job;

/* The lower bound on computed distances from x to a ball, from the squared
 * computed distance sq of x to its centre (see the top of this section). */
static double ball_bound(double sq, double radius)
{
    double c = sqrt(sq);
    return c - radius - (NN_REL * (c + radius) + NN_ABS);
}

/* Queues T's panel q for row x and, RB panels queued, lowers the squared
 * minimum *m over them. */
static void row_queue(const nn_job *J, const double *x, size_t q, size_t queue[RB], size_t *nq,
                      double *m)
{
    queue[(*nq)++] = q;
    if (*nq < RB)
        return;
    const double *panel[RB];
    double s[RB][PW];
    for (int k = 0; k < RB; k++)
        panel[k] = J->T->panels + queue[k] * J->dim * PW;
    row_sq(x, panel, J->dim, s);
    for (int k = 0; k < RB; k++)
        for (int l = 0; l < PW; l++)
            if (s[k][l] < *m)
                *m = s[k][l];
    *nq = 0;
}

/* Runs the panels still queued (the queue padded with repeats of its first,
 * which change no minimum). */
static void row_flush(const nn_job *J, const double *x, size_t queue[RB], size_t *nq, double *m)
{
    if (*nq == 0)
        return;
    size_t q0 = queue[0];
    while (*nq)
        row_queue(J, x, q0, queue, nq, m);
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

/* Bounds for row x on the panels of the np (<= RB) groups in grp[]:
 * b[k][l] for panel grp[k] * PW + l (+inf past T's last panel). */
static void panel_bounds(const nn_job *J, const double *x, const nn_ord *grp, size_t np,
                         double b[RB][PW])
{
    const nn_side *T = J->T;
    const double *cp[RB];
    for (size_t k = 0; k < RB; k++)
        cp[k] = T->cpanels + grp[k < np ? k : 0].id * J->dim * PW;
    row_sq(x, cp, J->dim, b);
    for (size_t k = 0; k < np; k++)
        for (size_t l = 0; l < PW; l++) {
            size_t q = grp[k].id * PW + l;
            b[k][l] = q < T->npanels ? ball_bound(b[k][l], T->radius[q]) : INFINITY;
        }
}

/* Queues the panels of grp[0..np) whose bound allows a minimum below *m. */
static void queue_groups(const nn_job *J, const double *x, const nn_ord *grp, size_t np,
                         double b[RB][PW], size_t queue[RB], size_t *nq, double *m)
{
    for (size_t k = 0; k < np; k++)
        for (size_t l = 0; l < PW; l++)
            if (b[k][l] != INFINITY && may_lower(b[k][l], *m))
                row_queue(J, x, grp[k].id * PW + l, queue, nq, m);
}

/* The squared minimum of row x over T, m the one it has so far; gd: the
 * squared distances of x to T's group centres.  First the RB panels of
 * lowest bound within the RB groups of lowest bound, for a small minimum
 * early; then, for every group whose bound allows a lower minimum, the
 * distances to its panels' centres (RB groups at a time), and the panels
 * whose bound still allows one. */
static double row_min(const nn_job *J, const double *x, const double *gd, double m)
{
    const nn_side *T = J->T;
    size_t queue[RB], nq = 0, np = 0, nt = 0;
    nn_ord grp[RB], top[RB];
    double *gb = J->scratch, b[RB][PW];
    for (size_t g = 0; g < T->ngroups; g++) {
        gb[g] = ball_bound(gd[g], T->gradius[g]);
        keep_lowest(grp, &np, gb[g], g);
    }
    if (!may_lower(grp[0].key, m))
        return m;
    panel_bounds(J, x, grp, np, b);
    for (size_t k = 0; k < np; k++)
        for (size_t l = 0; l < PW; l++)
            if (b[k][l] != INFINITY)
                keep_lowest(top, &nt, b[k][l], k * PW + l);
    for (size_t t = 0; t < nt; t++) {
        row_queue(J, x, grp[top[t].id / PW].id * PW + top[t].id % PW, queue, &nq, &m);
        b[top[t].id / PW][top[t].id % PW] = INFINITY; /* done */
    }
    row_flush(J, x, queue, &nq, &m);
    queue_groups(J, x, grp, np, b, queue, &nq, &m);
    for (size_t k = 0; k < np; k++)
        gb[grp[k].id] = INFINITY; /* done */
    np = 0;
    for (size_t g = 0; g <= T->ngroups; g++) {
        if (g < T->ngroups && gb[g] != INFINITY && may_lower(gb[g], m))
            grp[np++] = (nn_ord){gb[g], g};
        if (np == RB || (g == T->ngroups && np)) {
            panel_bounds(J, x, grp, np, b);
            queue_groups(J, x, grp, np, b, queue, &nq, &m);
            np = 0;
        }
    }
    row_flush(J, x, queue, &nq, &m);
    return m;
}

/* Without bounds: every panel, stopping only at a minimum of 0. */
static double row_scan(const nn_job *J, const double *x, double m)
{
    size_t queue[RB], nq = 0;
    for (size_t q = 0; q < J->T->npanels && m > 0.0; q++)
        row_queue(J, x, q, queue, &nq, &m);
    row_flush(J, x, queue, &nq, &m);
    return m;
}

static void *nn_work(void *arg)
{
    const nn_job *J = arg;
    const nn_side *S = J->S, *T = J->T;
    size_t ng = T->ngroups;
    double *gd = J->scratch + ng; /* RB x ng: squared distances of a panel's rows to T's groups */
    double s[RB][PW];
    for (size_t p = J->first; p < S->npanels; p += J->step) {
        const double *rows[RB];
        int open = 0; /* some row of the panel without minimum 0 yet */
        for (size_t r = 0; r < RB; r++) {
            size_t at = p * RB + r < S->n ? p * RB + r : S->n - 1;
            rows[r] = S->x + S->idx[at] * J->dim;
            open |= S->best[at] > 0.0;
        }
        if (!open)
            continue;
        if (J->bounded)
            for (size_t qg = 0; qg < T->ngpanels; qg++) {
                block_sq(rows, T->gpanels + qg * J->dim * PW, J->dim, s);
                for (size_t r = 0; r < RB; r++)
                    for (size_t k = 0; k < PW && qg * PW + k < ng; k++)
                        gd[r * ng + qg * PW + k] = s[r][k];
            }
        for (size_t r = 0; r < RB && p * RB + r < S->n; r++) {
            double *m = &S->best[p * RB + r];
            *m = J->bounded ? row_min(J, rows[r], gd + r * ng, *m) : row_scan(J, rows[r], *m);
        }
    }
    return NULL;
}

/* The minima of S's distinct rows over T's (S->best), on `threads` threads. */
static int nn_pass(const nn_side *S, const nn_side *T, size_t dim, int bounded, unsigned threads)
{
    threads = clamp_threads(threads, S->npanels);
    size_t per = (RB + 1) * (T->ngroups ? T->ngroups : 1); /* bounds, then distances */
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
    int bounded = bounds_apply(a, na, b, nb, dim);
    if (sides_build(a, na, b, nb, dim, bounded, side) != 0)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory packing %zu fingerprints",
                             na + nb);
    int rc = 0;
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
 * blocks of COV_NP_BUFSIZE, each by pairwise summation, the block sums added
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

/* cov_pairwise_sum over the next n values of the stream. */
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
    double *block_sum;     /* one per block of COV_NP_BUFSIZE pairs */
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
        size_t lo = b0 * COV_NP_BUFSIZE, i = 0;
        while ((i + 1) * (2 * S.n - i - 2) / 2 <= lo)
            i++;
        S.i = i;
        S.j = i + 1 + (lo - i * (2 * S.n - i - 1) / 2);
        S.blk_i0 = SIZE_MAX;
        for (size_t b = b0; b < b1; b++) {
            size_t len = J->pairs - b * COV_NP_BUFSIZE;
            J->block_sum[b] = pd_sum(&S, len < COV_NP_BUFSIZE ? len : COV_NP_BUFSIZE);
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
    size_t nblocks = (pairs + COV_NP_BUFSIZE - 1) / COV_NP_BUFSIZE;
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
