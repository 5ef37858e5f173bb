/* Magpie statistics as matminer v0.8.0 PropertyStats computes them
 * (matminer/featurizers/utils/stats.py), with numpy's summation order so that
 * the values agree to the last bits, not just to a tolerance. */
#include "magpie.h"
#include "npsum.h"

#include <math.h>
#include <stdlib.h>

const char *const fp_magpie_stat_names[FP_MAGPIE_N_STATS] = {
    "minimum", "maximum", "range", "mean", "avg_dev", "mode"};

/* np.average(x, weights=w) = sum(x*w) / sum(w). */
static double weighted_mean(const double *x, const double *w, size_t n, double *tmp)
{
    for (size_t i = 0; i < n; i++)
        tmp[i] = x[i] * w[i];
    return mmsc_pairwise_sum(tmp, n) / mmsc_pairwise_sum(w, n);
}

/* np.isclose(a, b) with its defaults rtol=1e-5, atol=1e-8. */
static int np_isclose(double a, double b)
{
    return fabs(a - b) <= 1e-8 + 1e-5 * fabs(b);
}

static void feature_stats(const double *x, const double *w, size_t n, double *tmp, double out[6])
{
    int any_nan = 0;
    double lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            any_nan = 1;
        /* Python's min()/max() keep the first of equal values; with no NaN
         * the order does not change the result. */
        if (x[i] < lo)
            lo = x[i];
        if (x[i] > hi)
            hi = x[i];
    }
    out[0] = any_nan ? NAN : lo;
    out[1] = any_nan ? NAN : hi;
    out[2] = any_nan ? NAN : hi - lo;

    double mean = weighted_mean(x, w, n, tmp);
    out[3] = mean;
    double *dev = tmp + n;
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(x[i] - mean);
    out[4] = weighted_mean(dev, w, n, tmp);

    /* mode: the smallest value among the entries whose weight is close to the
     * largest weight; numpy's min propagates NaN. */
    double wmax = w[0];
    for (size_t i = 1; i < n; i++)
        if (w[i] > wmax)
            wmax = w[i];
    double mode = INFINITY;
    int mode_nan = 0;
    for (size_t i = 0; i < n; i++) {
        if (!np_isclose(w[i], wmax))
            continue;
        if (isnan(x[i]))
            mode_nan = 1;
        else if (x[i] < mode)
            mode = x[i];
    }
    out[5] = mode_nan ? NAN : mode;
}

int fp_magpie(const int *z, const double *amount, size_t n, double out[FP_MAGPIE_LEN])
{
    if (n == 0)
        return MMS_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (z[i] < 1 || z[i] > FP_MAGPIE_MAX_Z)
            return MMS_EINVAL;
    double *buf = malloc(3 * n * sizeof *buf);
    if (!buf)
        return MMS_ENOMEM;
    double *x = buf, *tmp = buf + n;
    for (int f = 0; f < FP_MAGPIE_N_FEATURES; f++) {
        for (size_t i = 0; i < n; i++)
            x[i] = fp_magpie_table[f][z[i]];
        feature_stats(x, amount, n, tmp, out + f * FP_MAGPIE_N_STATS);
    }
    free(buf);
    return MMS_OK;
}
