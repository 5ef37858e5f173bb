/* Internal interfaces of the fingerprint plugin: the CrystalNN 'ops' site
 * fingerprint and the local structure order parameters it is made of. */
#ifndef FP_INTERNAL_H
#define FP_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846 /* = Python math.pi as a double */
#endif

#define FP_CNN_LEN 61   /* CrystalNNFingerprint.from_preset("ops") length */
#define FP_CNN_MAX_CN 24

/* ---- Local structure order parameters (pymatgen LocalStructOrderParams) ---- */

typedef enum fp_op_type {
    FP_OP_SGL_BD, FP_OP_BENT, FP_OP_TRI_PLAN_MAX, FP_OP_TET_MAX, FP_OP_T,
    FP_OP_SQ_PLAN_MAX, FP_OP_SEE_SAW_RECT, FP_OP_TRI_BIPYR, FP_OP_TRI_PYR,
    FP_OP_PENT_PLAN_MAX, FP_OP_SQ_PYR, FP_OP_HEX_PLAN_MAX, FP_OP_OCT_MAX,
    FP_OP_PENT_PYR, FP_OP_HEX_PYR, FP_OP_PENT_BIPYR, FP_OP_BCC, FP_OP_HEX_BIPYR,
    FP_OP_Q2, FP_OP_Q4, FP_OP_Q6, FP_OP_CUBOCT_MAX
} fp_op_type;

/* The parameters an op reads; names as in pymatgen's op_params.yaml.
 * p2, p4, p5, p6 are cuboct's integer-keyed entries 2, 4, 5, 6. */
typedef struct fp_op {
    fp_op_type type;
    const char *label;   /* matminer feature label, e.g. "octahedral CN_6" */
    double TA, IGW_TA, IGW_EP, fac_AA, exp_cos_AA, min_SPP, IGW_SPP, w_SPP;
    double p2, p4, p5, p6;
} fp_op;

/* Order parameters of one centre with n neighbours at displacement vectors
 * r[i] (neighbour minus centre, Å): fp_op_prepare stores the geometry in
 * scratch (fp_op_scratch_size(n) doubles), then fp_op_value gives any op's
 * value on it.  *is_none is set when pymatgen returns None (too few
 * neighbours, zero norm); the value is then 0. */
size_t fp_op_scratch_size(size_t n);
void fp_op_prepare(double *scratch, const double (*r)[3], size_t n);
double fp_op_value(const fp_op *op, double *scratch, int *is_none);

/* fp_op_prepare for growing prefixes of one neighbour list (the CNs of one
 * site): with extend set, r's rows prepared by the previous call (same cap)
 * are taken as unchanged and only the new neighbours are computed; the
 * values are those fp_op_prepare gives.  n <= cap; scratch holds
 * fp_op_scratch_size(cap) doubles. */
void fp_op_prepare_more(double *scratch, const double (*r)[3], size_t n, size_t cap, int extend);

/* The preset: for CN 1..24, the ops in fingerprint order (the "wt" entry is
 * implicit and comes first for every CN). */
typedef struct fp_cn_ops {
    int n_ops;
    const fp_op *ops;
} fp_cn_ops;
extern const fp_cn_ops fp_ops_preset[FP_CNN_MAX_CN + 1]; /* index = CN */

/* ---- CrystalNN ---- */

/* CrystalNN settings (pymatgen CrystalNN defaults as matminer's preset uses
 * them) and VoronoiNN's search cutoff. */
typedef struct fp_cnn_options {
    double search_cutoff;      /* 7 Å */
    double distance_cutoff_lo; /* 0.5 Å */
    double distance_cutoff_hi; /* 1.0 Å */
    double x_diff_weight;      /* 3.0 */
    int porous_adjustment;     /* 1 */
    size_t max_points;         /* bound on points in one Voronoi run */
    int exact_delaunay;        /* 1: qhull Voronoi (scipy's options); 0: dual 3-d hull */
} fp_cnn_options;

void fp_cnn_options_default(fp_cnn_options *o);

/* A periodic cell: lattice rows a, b, c (Å), fractional positions, Z. */
typedef struct fp_cell {
    double lattice[3][3];
    size_t n;
    const double (*frac)[3];
    const int *z;
} fp_cell;

/* Site-averaged CrystalNN 'ops' fingerprint (61 values).  Returns 0, or -1
 * with a message in why (the reference would mark the crystal invalid: the
 * Voronoi or CrystalNN step raised).  qhull_err: where qhull writes its
 * diagnostics (e.g. /dev/null); may be NULL for stderr. */
int fp_crystalnn_fingerprint(const fp_cell *cell, const fp_cnn_options *opt, FILE *qhull_err,
                             double out[FP_CNN_LEN], char *why, size_t why_len);

/* One neighbour of a site as CrystalNN.get_nn_info gives it: the site
 * index, the lattice translation of its image (relative to cell->frac[site]
 * as given) and the distance from the centre (Å). */
typedef struct fp_nn {
    size_t site;
    int image[3];
    double dist;
} fp_nn;

/* CrystalNN.get_nn_info(structure, site) with weighted_cn False: the
 * neighbours of the most probable coordination number, highest weight
 * first (none for CN 0).  *out is malloc'ed, owned by the caller (NULL when
 * *n is 0).  Returns 0, or -1 with a message in why where the reference
 * raises or a work limit is hit. */
int fp_crystalnn_neighbors(const fp_cell *cell, const fp_cnn_options *opt, FILE *qhull_err,
                           size_t site, fp_nn **out, size_t *n, char *why, size_t why_len);

#endif
