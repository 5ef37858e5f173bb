/* An independent, straightforward implementation of basic_eval's set metrics
 * (full distance matrices, double loops, scipy's Wasserstein algorithm
 * literally), used as the oracle for the streaming plugins on small sets. */
#ifndef TEST_COVERAGE_NAIVE_H
#define TEST_COVERAGE_NAIVE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* One crystal as a fixtures *.ref.jsonl row describes it. */
typedef struct nv_crystal {
    int counted, struct_valid, comp_valid, valid; /* valid: pre-fp ∧ fingerprints */
    double density, nelems;
    double sfp[61], cfp[132]; /* cfp scaled */
} nv_crystal;

typedef struct nv_set {
    size_t n;
    nv_crystal *c;
} nv_set;

/* Rows of a *.ref.jsonl file; returns 0 on success. */
int nv_load(const char *path, nv_set *out);
void nv_free(nv_set *s);

/* The table as basic_eval computes it; novelty cutoffs < 0: no novelty. */
typedef struct nv_table {
    double comp_valid, struct_valid, valid, comp_div, struct_div, wdist_density,
        wdist_num_elems, cov_recall, cov_precision, amsd_recall, amsd_precision, amcd_recall,
        amcd_precision, struc_novelty, comp_novelty, novelty;
} nv_table;

void nv_compute(const nv_set *gen, const nv_set *ref, const nv_set *novelty_ref,
                double cov_struc, double cov_comp, double nov_struc, double nov_comp,
                nv_table *t);

double nv_dist(const double *a, const double *b, size_t dim);
double nv_wasserstein(const double *u, size_t nu, const double *v, size_t nv);

#endif
