/* Internals of the structure matcher (not installed). */
#ifndef MMSM_INTERNAL_H
#define MMSM_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "mmscore/error.h"

/* numpy.pi, exactly (M_PI is not C17) */
#define MMSM_PI 3.141592653589793

/* Inline, exact replacements of libm's round (half away from zero),
 * nearbyint (half to even, the default rounding mode: numpy's round) and
 * x - floor(x) (Python's and numpy's x % 1: fmod(x, 1) + 1 for negative x
 * is the same correctly rounded number): the libm calls were a tenth of
 * the run time.  Beyond 2^62 the library functions are used. */
static inline double mmsm_trunc(double x) { return (double)(long long)x; }
static inline double mmsm_round(double x)
{
    if (!(x > -4e18 && x < 4e18)) return round(x);
    double t = mmsm_trunc(x), d = x - t;
    if (d >= 0.5) return t + 1;
    if (d <= -0.5) return t - 1;
    return t;
}
static inline double mmsm_rint(double x)
{
    if (!(x > -4e18 && x < 4e18)) return nearbyint(x);
    double t = mmsm_trunc(x), d = x - t;
    if (d > 0.5 || (d == 0.5 && fmod(t, 2.0) != 0)) return t + 1;
    if (d < -0.5 || (d == -0.5 && fmod(t, 2.0) != 0)) return t - 1;
    return t;
}
/* |x - round(x)| without branches: x - trunc(x) is exact, and shifting it
 * by one when it reaches a half is exact too (Sterbenz), so the value is
 * the same as with mmsm_round for every |x| < 2^62. */
static inline double mmsm_frac_dist(double x)
{
    /* for |x| < 2^51, (x + 1.5*2^52) - 1.5*2^52 is rint(x) in the default
     * rounding mode (the compiler may not fold it: no -ffast-math here),
     * and x - rint(x) is exact, so this is |x - nearest integer| exactly,
     * the same number as below, with two additions instead of two
     * int/double conversions (this is the innermost test of the matcher) */
    if (fabs(x) < 0x1p51) {
        double r = x - ((x + 0x1.8p52) - 0x1.8p52);
        return fabs(r);
    }
    if (!(x > -4e18 && x < 4e18)) return fabs(x - round(x));
    double r = x - mmsm_trunc(x);
    r -= (double)(r >= 0.5);
    r += (double)(r <= -0.5);
    return fabs(r);
}
static inline double mmsm_floor(double x)
{
    if (!(x > -4e18 && x < 4e18)) return floor(x);
    double t = mmsm_trunc(x);
    return t > x ? t - 1 : t;
}
static inline double mmsm_mod1(double x) { return x - mmsm_floor(x); }

/* The hot loops compiled twice, for x86-64-v3 (AVX2) and the baseline,
 * the CPU choosing at load time (GCC function multiversioning).  Same C
 * operations in the same order: no -ffast-math and -ffp-contract=off (set
 * for this library in CMakeLists.txt, so the FMA unit of v3 is never used
 * to contract), so every value is the same IEEE result on either path;
 * AVX2 only makes the vectorised 27-image scans and the wider moves
 * cheaper. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones) && !defined(MMSM_NO_CLONES)
#define MMSM_SIMD __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef MMSM_SIMD
#define MMSM_SIMD
#endif
/* The helpers of a cloned function: GCC inlines a function into a clone
 * of another target only when told to, and a call per row would cost
 * what the clone gains. */
#if defined(__GNUC__)
#define MMSM_INLINE static inline __attribute__((always_inline))
#else
#define MMSM_INLINE static inline
#endif

/* Jonker-Volgenant assignment on an n x n row-major cost matrix. */
int mmsm_lapjv(int n, const double *c, int *x, double *cost);

/* ---- lattice helpers (lattice.c), pymatgen's core/lattice.py ---- */
double mmsm_det(const double m[3][3]);
double mmsm_volume(const double m[3][3]);
int mmsm_inv(const double m[3][3], double out[3][3]);
void mmsm_params(const double m[3][3], double p[6]);
void mmsm_recip_abc(const double m[3][3], double abc[3]);
/* LLL reduction (delta 0.75): reduced matrix and the mapping with
 * reduced = mapping @ m. */
int mmsm_lll(const double m[3][3], double red[3][3], double mapping[3][3]);
/* Lattice.get_niggli_reduced_lattice(tol=1e-5). */
int mmsm_niggli(const double m[3][3], double out[3][3], mms_error *err);

/* Lattice.from_parameters(a, b, c, alpha, beta, gamma), p in that order. */
int mmsm_from_parameters(double out[3][3], const double p[6]);

/* Lattice.find_all_mappings: candidate lattice vectors of `self` for each of
 * other's lengths, in the order pymatgen's get_points_in_sphere yields them. */
typedef struct mmsm_vecs {
    size_t n[3];
    double (*cart[3])[3];
    double (*frac[3])[3];
    double *len[3];
} mmsm_vecs;
typedef int (*mmsm_mapping_cb)(void *ctx, const double aligned[3][3], const double scale[3][3]);
/* Calls cb for every mapping in pymatgen's order until cb returns nonzero;
 * returns that value, 0 when exhausted, or a negative MMS_E* code. */
int mmsm_find_mappings(const double self[3][3], const double other[3][3], double ltol,
                       double atol, mmsm_mapping_cb cb, void *ctx, mms_error *err);

#endif
