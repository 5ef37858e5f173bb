/* Internal interfaces of the fingerprint plugin: the CrystalNN 'ops' site
 * fingerprint and the local structure order parameters it is made of. */
#ifndef MMSC_CRYSTALNN_H
#define MMSC_CRYSTALNN_H

#include <stddef.h>
#include <stdio.h>

#include "mmscore/error.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846 /* = Python math.pi as a double */
#endif

#define MMSC_CNN_LEN 61   /* CrystalNNFingerprint.from_preset("ops") length */
#define MMSC_CNN_MAX_CN 24

/* ---- Local structure order parameters (pymatgen LocalStructOrderParams) ---- */

typedef enum mmsc_op_type {
    MMSC_OP_SGL_BD, MMSC_OP_BENT, MMSC_OP_TRI_PLAN_MAX, MMSC_OP_TET_MAX, MMSC_OP_T,
    MMSC_OP_SQ_PLAN_MAX, MMSC_OP_SEE_SAW_RECT, MMSC_OP_TRI_BIPYR, MMSC_OP_TRI_PYR,
    MMSC_OP_PENT_PLAN_MAX, MMSC_OP_SQ_PYR, MMSC_OP_HEX_PLAN_MAX, MMSC_OP_OCT_MAX,
    MMSC_OP_PENT_PYR, MMSC_OP_HEX_PYR, MMSC_OP_PENT_BIPYR, MMSC_OP_BCC, MMSC_OP_HEX_BIPYR,
    MMSC_OP_Q2, MMSC_OP_Q4, MMSC_OP_Q6, MMSC_OP_CUBOCT_MAX
} mmsc_op_type;

/* The parameters an op reads; names as in pymatgen's op_params.yaml.
 * p2, p4, p5, p6 are cuboct's integer-keyed entries 2, 4, 5, 6. */
typedef struct mmsc_op {
    mmsc_op_type type;
    const char *label;   /* matminer feature label, e.g. "octahedral CN_6" */
    double TA, IGW_TA, IGW_EP, fac_AA, exp_cos_AA, min_SPP, IGW_SPP, w_SPP;
    double p2, p4, p5, p6;
} mmsc_op;

/* Order parameters of one centre with n neighbours at displacement vectors
 * r[i] (neighbour minus centre, Å): mmsc_op_prepare stores the geometry in
 * scratch (mmsc_op_scratch_size(n) doubles), then mmsc_op_value gives any op's
 * value on it.  *is_none is set when pymatgen returns None (too few
 * neighbours, zero norm); the value is then 0. */
size_t mmsc_op_scratch_size(size_t n);
void mmsc_op_prepare(double *scratch, const double (*r)[3], size_t n);
double mmsc_op_value(const mmsc_op *op, double *scratch, int *is_none);

/* mmsc_op_prepare for growing prefixes of one neighbour list (the CNs of one
 * site): with extend set, r's rows prepared by the previous call (same cap)
 * are taken as unchanged and only the new neighbours are computed; the
 * values are those mmsc_op_prepare gives.  n <= cap; scratch holds
 * mmsc_op_scratch_size(cap) doubles. */
void mmsc_op_prepare_more(double *scratch, const double (*r)[3], size_t n, size_t cap, int extend);

/* The preset: for CN 1..24, the ops in fingerprint order (the "wt" entry is
 * implicit and comes first for every CN). */
typedef struct mmsc_cn_ops {
    int n_ops;
    const mmsc_op *ops;
} mmsc_cn_ops;
extern const mmsc_cn_ops mmsc_ops_preset[MMSC_CNN_MAX_CN + 1]; /* index = CN */

/* ---- CrystalNN ---- */

/* CrystalNN settings (pymatgen CrystalNN defaults as matminer's preset uses
 * them) and VoronoiNN's search cutoff. */
typedef struct mmsc_cnn_options {
    double search_cutoff;      /* 7 Å */
    double distance_cutoff_lo; /* 0.5 Å */
    double distance_cutoff_hi; /* 1.0 Å */
    double x_diff_weight;      /* 3.0 */
    int porous_adjustment;     /* 1 */
    size_t max_points;         /* bound on points in one Voronoi run */
    int exact_delaunay;        /* 1: qhull Voronoi (scipy's options); 0: dual 3-d hull */
} mmsc_cnn_options;

void mmsc_cnn_options_default(mmsc_cnn_options *o);

/* A periodic cell: lattice rows a, b, c (Å), fractional positions, Z. */
typedef struct mmsc_cell {
    double lattice[3][3];
    size_t n;
    const double (*frac)[3];
    const int *z;
} mmsc_cell;

/* Site-averaged CrystalNN 'ops' fingerprint (61 values).  Returns MMS_OK,
 * or with err filled MMS_ECOMPUTE where the reference would mark the crystal
 * invalid (the Voronoi or CrystalNN step raised), MMS_ELIMIT past a work
 * bound, MMS_ENOMEM.  qhull_err: where qhull writes its diagnostics (e.g.
 * /dev/null); may be NULL for stderr. */
int mmsc_crystalnn_fingerprint(const mmsc_cell *cell, const mmsc_cnn_options *opt, FILE *qhull_err,
                               double out[MMSC_CNN_LEN], mms_error *err);

/* One neighbour of a site as CrystalNN.get_nn_info gives it: the site
 * index, the lattice translation of its image (relative to cell->frac[site]
 * as given) and the distance from the centre (Å). */
typedef struct mmsc_nn {
    size_t site;
    int image[3];
    double dist;
} mmsc_nn;

/* CrystalNN.get_nn_info(structure, site) with weighted_cn False: the
 * neighbours of the most probable coordination number, highest weight
 * first (none for CN 0).  *out is malloc'ed, owned by the caller (NULL when
 * *n is 0).  Returns MMS_OK, or an MMS_E* code with err filled, as
 * mmsc_crystalnn_fingerprint (MMS_EINVAL for a site out of range). */
int mmsc_crystalnn_neighbors(const mmsc_cell *cell, const mmsc_cnn_options *opt, FILE *qhull_err,
                             size_t site, mmsc_nn **out, size_t *n, mms_error *err);

#endif
