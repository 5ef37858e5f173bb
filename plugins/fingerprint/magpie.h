/* Magpie composition fingerprint: matminer ElementProperty.from_preset("magpie").
 * Internal to the fingerprint plugin. */
#ifndef FP_MAGPIE_H
#define FP_MAGPIE_H

#include <stddef.h>

#include "mmscore/error.h"

#define FP_MAGPIE_N_FEATURES 22
#define FP_MAGPIE_N_STATS 6
#define FP_MAGPIE_LEN (FP_MAGPIE_N_FEATURES * FP_MAGPIE_N_STATS) /* 132 */
#define FP_MAGPIE_MAX_Z 118

extern const char *const fp_magpie_feature_names[FP_MAGPIE_N_FEATURES];
extern const char *const fp_magpie_stat_names[FP_MAGPIE_N_STATS];
/* fp_magpie_table[feature][Z]; index 0 unused; NAN where Magpie has no value. */
extern const double fp_magpie_table[FP_MAGPIE_N_FEATURES][FP_MAGPIE_MAX_Z + 1];

/* The 132 values for a composition of n elements z[i] with amounts amount[i]
 * (atoms in the cell), in the order pymatgen's Composition keeps them (first
 * occurrence in the site list): the order fixes the floating-point summation.
 * Returns MMS_OK, MMS_EINVAL if n is 0 or a Z is outside 1..118, or
 * MMS_ENOMEM (no message: the caller says what failed).  NaN values follow
 * matminer's PropertyStats (any missing property makes that feature's min, max,
 * range, mean and avg_dev NaN). */
int fp_magpie(const int *z, const double *amount, size_t n, double out[FP_MAGPIE_LEN]);

#endif
