/* Euclidean distances between fingerprint sets, as scipy's cdist/pdist
 * compute them, without ever holding a distance matrix.
 *
 * Each distance is sqrt(sum_j (a_j - b_j)^2) with the sum taken in dimension
 * order, exactly scipy 1.10's C++ loop: the SIMD work runs across pairs, never
 * across dimensions, so every distance (and thus every "<= cutoff" test) is
 * bit-identical to scipy's.  Fingerprint sets are row-major n x dim arrays,
 * borrowed by every call. */
#ifndef MMSCORE_COVERAGE_FPDIST_H
#define MMSCORE_COVERAGE_FPDIST_H

#include <stddef.h>

#include <mmscore/error.h>

/* For each row i of a: a_min[i] = min over rows j of b of |a_i - b_j|; for
 * each row j of b: b_min[j] = min over i.  Either output may be NULL.  That is
 * cdist(a, b).min(axis=1) and .min(axis=0).  na and nb must be > 0.
 * threads: worker threads (1 = the calling thread only).  Pairs that provably
 * cannot be a row's minimum are not computed (fpdist.c, "nearest"); every
 * minimum is still the full scan's double, for any thread count. */
int cov_nearest(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                unsigned threads, double *a_min, double *b_min, mms_error *err);

/* Mean of all n(n-1)/2 pairwise distances of the rows of a (pdist(a).mean()).
 * n must be >= 2. */
int cov_pdist_mean(const double *a, size_t n, size_t dim, unsigned threads, double *mean,
                   mms_error *err);

#endif
