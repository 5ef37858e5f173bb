/* Streaming nearest-neighbour and mean pairwise distances between
 * fingerprint sets (see fpdist.h for the contract).
 *
 * Why hand-written: BLAS-style ‖a‖²+‖b‖²−2a·b is fast but differs from
 * scipy's direct difference in the last bits, and coverage/novelty compare
 * distances against cutoffs, so a different boolean on a tie would change a
 * rate.  Here the second set is packed in panels of PW rows stored dimension-
 * major; a block of RB rows of the first set runs down a panel, each lane
 * summing (a_j - b_j)^2 in dimension order: the compiler vectorises across
 * the PW lanes (pairs), never across dimensions, so each sum is the same
 * sequence of IEEE operations scipy performs.  Memory is the packed copy of
 * one set plus O(threads * n) minima; no matrix is stored. */
#include "fpdist.h"
#include "npsum.h"

#include <math.h>
#include <pthread.h>
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

typedef struct pd_job {
    const double *a, *panels;
    size_t n, dim, npanels;
    size_t block_first, block_step;
    double *row_sum; /* shared; each row written by one job */
} pd_job;

static void *pd_work(void *arg)
{
    pd_job *J = arg;
    size_t nblocks = (J->n + RB - 1) / RB;
    double s[RB][PW];
    const double *rows[RB];
    for (size_t blk = J->block_first; blk < nblocks; blk += J->block_step) {
        size_t i0 = blk * RB;
        block_rows(J->a, J->n, J->dim, i0, rows);
        double sum[RB] = {0};
        /* pairs (i, j > i) only: start at the panel holding column i0+1 */
        for (size_t q = (i0 + 1) / PW; q < J->npanels; q++) {
            block_sq(rows, J->panels + q * J->dim * PW, J->dim, s);
            size_t j0 = q * PW;
            for (int r = 0; r < RB; r++) {
                size_t i = i0 + (size_t)r;
                for (size_t k = 0; k < PW; k++) {
                    size_t j = j0 + k;
                    if (j > i && j < J->n)
                        sum[r] += sqrt(s[r][k]);
                }
            }
        }
        for (size_t r = 0; r < RB && i0 + r < J->n; r++)
            J->row_sum[i0 + r] = sum[r];
    }
    return NULL;
}

int cov_pdist_mean(const double *a, size_t n, size_t dim, unsigned threads, double *mean,
                   mms_error *err)
{
    if (!a || n < 2 || dim == 0)
        return mms_error_set(err, MMS_EINVAL, 0, "pairwise distances need at least 2 rows");
    size_t npanels;
    double *panels = pack_panels(a, n, dim, &npanels);
    double *row_sum = malloc(n * sizeof *row_sum);
    if (!panels || !row_sum) {
        free(panels);
        free(row_sum);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory packing %zu fingerprints", n);
    }
    threads = clamp_threads(threads, (n + RB - 1) / RB);
    pd_job jobs[MAX_THREADS];
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (pd_job){a, panels, n, dim, npanels, t, threads, row_sum};
    run_threads(pd_work, jobs, sizeof jobs[0], threads);
    /* Row sums combined in a fixed order: the mean is the same for any
     * thread count; it differs from numpy's one pairwise sum only in the
     * last bits (relative error ~1e-15). */
    double pairs = (double)n * (double)(n - 1) / 2.0;
    *mean = cov_pairwise_sum(row_sum, n) / pairs;
    free(row_sum);
    free(panels);
    return MMS_OK;
}
