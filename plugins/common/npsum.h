/* numpy's summation order, so sums and means of the same float64 values are
 * bit-identical to np.sum / np.mean. */
#ifndef MMSC_NPSUM_H
#define MMSC_NPSUM_H

#include <stddef.h>

/* numpy's add.reduce hands its inner loop at most NPY_BUFSIZE elements at a
 * time and adds each block's pairwise sum to the running total (checked
 * against scipy/numpy output: a single pairwise sum over a 7-million-element
 * pdist array misses the reference by 7e-15, block-wise matches exactly). */
#define MMSC_NP_BUFSIZE 8192

/* numpy pairwise_sum (loops_utils.h.src): n < 8 left to right; n <= 128
 * with 8 accumulators; else split at n/2 rounded down to a multiple of 8. */
double mmsc_pairwise_sum(const double *x, size_t n);

/* np.add.reduce of a contiguous float64 array: 0 + pairwise sums of the
 * consecutive blocks of MMSC_NP_BUFSIZE, left to right. */
double mmsc_np_sum(const double *x, size_t n);

#endif
