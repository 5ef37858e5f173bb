/* numpy's summation order, so sums and means of the same float64 values are
 * bit-identical to np.sum / np.mean. */
#ifndef MMSCORE_COVERAGE_NPSUM_H
#define MMSCORE_COVERAGE_NPSUM_H

#include <stddef.h>

/* Sum of x[0..n) as np.add.reduce sums a contiguous float64 array: pairwise,
 * blocks of at most 128 summed with 8 accumulators (numpy
 * loops_utils.h.src pairwise_sum).  Recursion depth is log2(n / 128). */
double cov_pairwise_sum(const double *x, size_t n);

#endif
