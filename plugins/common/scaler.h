/* CDVAE's StandardScaler for the Magpie composition fingerprint
 * (CompScaler in crystal-text-llm basic_eval.py): fixed means and standard
 * deviations, NaN results replaced by 0 (replace_nan_token=0.). */
#ifndef MMSC_SCALER_H
#define MMSC_SCALER_H

#define MMSC_COMP_FP_LEN 132

extern const double mmsc_comp_scaler_means[MMSC_COMP_FP_LEN];
extern const double mmsc_comp_scaler_stds[MMSC_COMP_FP_LEN];

/* out[i] = (in[i] - mean[i]) / std[i], 0 where that is NaN (a Magpie
 * property the element table lacks).  in and out may alias. */
void mmsc_comp_scale(const double *in, double *out);

#endif
