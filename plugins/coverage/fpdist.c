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
 * Memory is the packed copy of one set plus O(threads * n) minima; no
 * matrix is stored. */
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

/* Pack rows of b into panels; the lanes past nb repeat row nb-1, so they
 * never lower a minimum (callers mask them where they sum). */
static double *pack_panels(const double *b, size_t nb, size_t dim, size_t *npanels)
{
    size_t np = (nb + PW - 1) / PW;
    double *p = malloc(np * PW * dim * sizeof *p);
    if (!p)
        return NULL;
    for (size_t q = 0; q < np; q++)
        for (size_t k = 0; k < PW; k++) {
            size_t row = q * PW + k < nb ? q * PW + k : nb - 1;
            for (size_t j = 0; j < dim; j++)
                p[(q * dim + j) * PW + k] = b[row * dim + j];
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

typedef struct nn_job {
    const double *a, *panels;
    size_t na, nb, dim, npanels;
    size_t block_first, block_step; /* blocks block_first, +step, ... */
    double *a_min;                  /* shared; each row written by one job */
    double *b_min;                  /* private to the job (squared) */
} nn_job;

static void *nn_work(void *arg)
{
    nn_job *J = arg;
    size_t nblocks = (J->na + RB - 1) / RB;
    double s[RB][PW];
    const double *rows[RB];
    for (size_t blk = J->block_first; blk < nblocks; blk += J->block_step) {
        size_t i0 = blk * RB;
        block_rows(J->a, J->na, J->dim, i0, rows);
        double rmin[RB];
        for (int r = 0; r < RB; r++)
            rmin[r] = INFINITY;
        for (size_t q = 0; q < J->npanels; q++) {
            block_sq(rows, J->panels + q * J->dim * PW, J->dim, s);
            for (int r = 0; r < RB; r++)
                for (int k = 0; k < PW; k++)
                    if (s[r][k] < rmin[r])
                        rmin[r] = s[r][k];
            if (J->b_min) {
                size_t j0 = q * PW;
                size_t kmax = J->nb - j0 < PW ? J->nb - j0 : PW;
                size_t rmax = J->na - i0 < RB ? J->na - i0 : RB;
                for (size_t r = 0; r < rmax; r++)
                    for (size_t k = 0; k < kmax; k++)
                        if (s[r][k] < J->b_min[j0 + k])
                            J->b_min[j0 + k] = s[r][k];
            }
        }
        if (J->a_min)
            for (size_t r = 0; r < RB && i0 + r < J->na; r++)
                J->a_min[i0 + r] = sqrt(rmin[r]);
    }
    return NULL;
}

int cov_nearest(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                unsigned threads, double *a_min, double *b_min, mms_error *err)
{
    if (!a || !b || na == 0 || nb == 0 || dim == 0)
        return mms_error_set(err, MMS_EINVAL, 0, "nearest distances need two non-empty sets");
    size_t npanels;
    double *panels = pack_panels(b, nb, dim, &npanels);
    threads = clamp_threads(threads, (na + RB - 1) / RB);
    nn_job jobs[MAX_THREADS];
    double *bmins = b_min ? malloc((size_t)threads * nb * sizeof *bmins) : NULL;
    if (!panels || (b_min && !bmins)) {
        free(panels);
        free(bmins);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory packing %zu fingerprints", nb);
    }
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (nn_job){a, panels, na, nb, dim, npanels, t, threads, a_min,
                           bmins ? bmins + (size_t)t * nb : NULL};
        if (bmins)
            for (size_t j = 0; j < nb; j++)
                jobs[t].b_min[j] = INFINITY;
    }
    run_threads(nn_work, jobs, sizeof jobs[0], threads);
    if (b_min) {
        /* min is exact, so the result does not depend on the thread count */
        for (size_t j = 0; j < nb; j++) {
            double m = bmins[j];
            for (unsigned t = 1; t < threads; t++)
                if (bmins[(size_t)t * nb + j] < m)
                    m = bmins[(size_t)t * nb + j];
            b_min[j] = sqrt(m);
        }
    }
    free(bmins);
    free(panels);
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
    double *panels = pack_panels(a, n, dim, &npanels);
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
