/* 1-D Wasserstein distance of two samples, as scipy.stats.wasserstein_distance
 * (scipy 1.10, no weights). */
#ifndef MMSCORE_DISTRIBUTION_WASSERSTEIN_H
#define MMSCORE_DISTRIBUTION_WASSERSTEIN_H

#include <stddef.h>

#include <mmscore/error.h>

/* W1(u, v) = integral of |F_u - F_v| over the merged sorted support, summed
 * as scipy does: over successive merged values x_k, |U(x_k)/nu - V(x_k)/nv| *
 * (x_{k+1} - x_k), U/V counting sample values <= x_k, in numpy's pairwise
 * order (np.sum).  u and v are sorted in place.  nu, nv > 0 and no NaN (the caller
 * drops them); MMS_EINVAL otherwise. */
int dist_wasserstein_1d(double *u, size_t nu, double *v, size_t nv, double *out, mms_error *err);

#endif
