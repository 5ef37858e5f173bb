#include "npsum.h"

double mmsc_pairwise_sum(const double *x, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++)
            res += x[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (i = 0; i < 8; i++)
            r[i] = x[i];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++)
                r[k] += x[i + (size_t)k];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += x[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return mmsc_pairwise_sum(x, n2) + mmsc_pairwise_sum(x + n2, n - n2);
}

double mmsc_np_sum(const double *x, size_t n)
{
    double total = 0.0;
    for (size_t lo = 0; lo < n; lo += MMSC_NP_BUFSIZE)
        total += mmsc_pairwise_sum(x + lo, n - lo < MMSC_NP_BUFSIZE ? n - lo : MMSC_NP_BUFSIZE);
    return total;
}
