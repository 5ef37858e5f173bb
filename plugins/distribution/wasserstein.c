/* scipy.stats.wasserstein_distance without weights (see wasserstein.h).
 * scipy builds the same terms with sort + searchsorted; after sorting both
 * samples, one merge walk yields them in O(nu + nv). */
#include "wasserstein.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_sort.h>

#include "npsum.h"

int dist_wasserstein_1d(double *u, size_t nu, double *v, size_t nv, double *out, mms_error *err)
{
    if (nu == 0 || nv == 0)
        return mms_error_set(err, MMS_EINVAL, 0,
                             "a Wasserstein distance needs two non-empty samples "
                             "(scipy: \"Distribution can't be empty\")");
    for (size_t i = 0; i < nu; i++)
        if (isnan(u[i]))
            return mms_error_set(err, MMS_EINVAL, 0, "NaN in a Wasserstein sample");
    for (size_t i = 0; i < nv; i++)
        if (isnan(v[i]))
            return mms_error_set(err, MMS_EINVAL, 0, "NaN in a Wasserstein sample");
    gsl_sort(u, 1, nu);
    gsl_sort(v, 1, nv);
    size_t n = nu + nv;
    double *all = malloc(n * sizeof *all);
    double *term = malloc((n - 1 ? n - 1 : 1) * sizeof *term);
    if (!all || !term) {
        free(all);
        free(term);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    for (size_t i = 0, j = 0, k = 0; k < n; k++)
        all[k] = j >= nv || (i < nu && u[i] <= v[j]) ? u[i++] : v[j++];
    /* iu/iv: how many values of u/v are <= all[k] (searchsorted 'right') */
    size_t iu = 0, iv = 0;
    for (size_t k = 0; k + 1 < n; k++) {
        while (iu < nu && u[iu] <= all[k])
            iu++;
        while (iv < nv && v[iv] <= all[k])
            iv++;
        double cdf_gap = (double)iu / (double)nu - (double)iv / (double)nv;
        term[k] = fabs(cdf_gap) * (all[k + 1] - all[k]);
    }
    *out = mmsc_np_sum(term, n - 1);
    free(all);
    free(term);
    return MMS_OK;
}
