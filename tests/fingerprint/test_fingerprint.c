/* fingerprint tests: the Magpie and CrystalNN fingerprints against the
 * reference values (matminer 0.8.0 / pymatgen 2022.11.7 via crystal-text-llm
 * basic_eval) on fixture subsets in tests/data/fingerprint/ (see SOURCE.md),
 * order parameters on ideal polyhedra, and hostile cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_cells.h"
#include "crystalnn.h"
#include "magpie.h"

static FILE *devnull;

static const char *subsets[] = {"carbon_24_test", "perov_5_test", "llama2_7b_metastable",
                                "cif_corpus"};

static void load_subset(const char *name, fp_cells *cells)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fingerprint/%s.cells.jsonl", MMSCORE_TEST_DATA, name);
    assert_int_equal(fp_cells_load(path, cells), 0);
    assert_true(cells->n >= 10);
}

/* Magpie: every component within 1e-9 relative (missing values are NaN on
 * both sides). */
static void test_magpie_matches_reference(void **st)
{
    (void)st;
    size_t checked = 0;
    for (size_t s = 0; s < sizeof subsets / sizeof *subsets; s++) {
        fp_cells cells;
        load_subset(subsets[s], &cells);
        for (size_t i = 0; i < cells.n; i++) {
            double fp[FP_MAGPIE_LEN];
            assert_int_equal(fp_cells_magpie(&cells.recs[i], fp), 0);
            for (int k = 0; k < FP_MAGPIE_LEN; k++) {
                double x = fp[k], y = cells.recs[i].comp_fp[k];
                if (isnan(x) || isnan(y)) {
                    assert_true(isnan(x) && isnan(y));
                    continue;
                }
                if (fabs(x - y) > 1e-9 * fmax(fabs(x), fabs(y)))
                    fail_msg("%s %s component %d: %.17g vs reference %.17g", subsets[s],
                             cells.recs[i].id, k, x, y);
            }
            checked++;
        }
        fp_cells_free(&cells);
    }
    assert_true(checked >= 60);
}

/* CrystalNN: every component within 1e-6 absolute. */
static void test_crystalnn_matches_reference(void **st)
{
    (void)st;
    mmsc_cnn_options opt;
    mmsc_cnn_options_default(&opt);
    size_t checked = 0;
    for (size_t s = 0; s < sizeof subsets / sizeof *subsets; s++) {
        fp_cells cells;
        load_subset(subsets[s], &cells);
        for (size_t i = 0; i < cells.n; i++) {
            double fp[MMSC_CNN_LEN];
            mms_error why;
            int rc = mmsc_crystalnn_fingerprint(&cells.recs[i].cell, &opt, devnull, fp, &why);
            if (rc)
                fail_msg("%s %s: %s", subsets[s], cells.recs[i].id, why.message);
            for (int k = 0; k < MMSC_CNN_LEN; k++)
                if (!(fabs(fp[k] - cells.recs[i].struct_fp[k]) <= 1e-6))
                    fail_msg("%s %s component %d: %.12g vs reference %.12g", subsets[s],
                             cells.recs[i].id, k, fp[k], cells.recs[i].struct_fp[k]);
            checked++;
        }
        fp_cells_free(&cells);
    }
    assert_true(checked >= 60);
}

static const mmsc_op *find_op(int cn, mmsc_op_type t)
{
    for (int i = 0; i < mmsc_ops_preset[cn].n_ops; i++)
        if (mmsc_ops_preset[cn].ops[i].type == t)
            return &mmsc_ops_preset[cn].ops[i];
    return NULL;
}

static double op_on(int cn, mmsc_op_type t, const double (*r)[3], size_t n)
{
    const mmsc_op *op = find_op(cn, t);
    assert_non_null(op);
    double *scratch = malloc(mmsc_op_scratch_size(n) * sizeof *scratch);
    assert_non_null(scratch);
    int none = 0;
    mmsc_op_prepare(scratch, r, n);
    double v = mmsc_op_value(op, scratch, &none);
    free(scratch);
    assert_false(none);
    return v;
}

/* Each motif's order parameter is 1 on its ideal polyhedron (pymatgen's
 * design), and the Steinhardt q's of the fcc shell have their known values. */
static void test_ideal_polyhedra(void **st)
{
    (void)st;
    const double oct[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    assert_float_equal(op_on(6, MMSC_OP_OCT_MAX, oct, 6), 1.0, 1e-12);
    const double tet[4][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
    assert_float_equal(op_on(4, MMSC_OP_TET_MAX, tet, 4), 1.0, 1e-12);
    const double sq[4][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}};
    assert_float_equal(op_on(4, MMSC_OP_SQ_PLAN_MAX, sq, 4), 1.0, 1e-12);
    /* CN 2: "linear" (5th op, target angle 180 deg) is 1 on a straight line;
     * "L-shaped" (1st, 90 deg) is a Gaussian 7.6 widths away, i.e. ~0 */
    const double lin[2][3] = {{0, 0, 2}, {0, 0, -2}};
    double scratch[128];
    int none;
    assert_true(mmsc_op_scratch_size(2) <= 128);
    mmsc_op_prepare(scratch, lin, 2);
    assert_float_equal(mmsc_op_value(&mmsc_ops_preset[2].ops[4], scratch, &none), 1.0, 1e-12);
    assert_float_equal(mmsc_op_value(&mmsc_ops_preset[2].ops[0], scratch, &none), 0.0, 1e-12);
    double fcc[12][3];
    int k = 0;
    for (int a = -1; a <= 1; a += 2)
        for (int b = -1; b <= 1; b += 2) {
            double v[3][3] = {{a, b, 0}, {a, 0, b}, {0, a, b}};
            for (int i = 0; i < 3; i++)
                memcpy(fcc[k++], v[i], sizeof v[i]);
        }
    assert_float_equal(op_on(12, MMSC_OP_CUBOCT_MAX, fcc, 12), 1.0, 1e-9);
    assert_float_equal(op_on(12, MMSC_OP_Q4, fcc, 12), 0.190941, 1e-6);
    assert_float_equal(op_on(12, MMSC_OP_Q6, fcc, 12), 0.574524, 1e-6);
}

/* The CNs of one site read growing prefixes of one neighbour list:
 * mmsc_op_prepare_more, extending the previous prefix, must give every op the
 * bits mmsc_op_prepare gives on that prefix from scratch. */
static void test_prepare_more_equals_prepare(void **st)
{
    (void)st;
    enum { CAP = MMSC_CNN_MAX_CN };
    double r[CAP][3];
    unsigned x = 12345u;
    for (int i = 0; i < CAP; i++)
        for (int k = 0; k < 3; k++) {
            x = x * 1103515245u + 12345u;
            r[i][k] = ((double)(x >> 8) / (double)(1u << 24) - 0.5) * 6.0;
        }
    r[CAP - 1][0] = r[CAP - 1][1] = r[CAP - 1][2] = 0.0; /* last prefix: a zero vector (None) */
    double *more = malloc(mmsc_op_scratch_size(CAP) * sizeof *more);
    double *fresh = malloc(mmsc_op_scratch_size(CAP) * sizeof *fresh);
    assert_non_null(more);
    assert_non_null(fresh);
    for (int n = 1; n <= CAP; n++) {
        mmsc_op_prepare_more(more, (const double (*)[3])r, (size_t)n, CAP, n > 1);
        mmsc_op_prepare(fresh, (const double (*)[3])r, (size_t)n);
        for (int o = 0; o < mmsc_ops_preset[n].n_ops; o++) {
            int none_a = 0, none_b = 0;
            double a = mmsc_op_value(&mmsc_ops_preset[n].ops[o], more, &none_a);
            double b = mmsc_op_value(&mmsc_ops_preset[n].ops[o], fresh, &none_b);
            assert_int_equal(none_a, none_b);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
    free(more);
    free(fresh);
}

/* The layout is matminer's: 61 values, "wt" first for each CN 1..24. */
static void test_preset_layout(void **st)
{
    (void)st;
    int total = 0;
    for (int cn = 1; cn <= MMSC_CNN_MAX_CN; cn++)
        total += 1 + mmsc_ops_preset[cn].n_ops;
    assert_int_equal(total, MMSC_CNN_LEN);
    assert_int_equal(mmsc_ops_preset[2].n_ops, 5);
    assert_int_equal(mmsc_ops_preset[12].n_ops, 4);
    assert_int_equal(mmsc_ops_preset[13].n_ops, 0);
}

/* Simple cubic: CN 6 with weight 1, octahedral order parameter 1. */
static void test_simple_cubic(void **st)
{
    (void)st;
    const double frac[1][3] = {{0, 0, 0}};
    const int z[1] = {29};
    mmsc_cell cell = {{{2.5, 0, 0}, {0, 2.5, 0}, {0, 0, 2.5}}, 1, frac, z};
    mmsc_cnn_options opt;
    mmsc_cnn_options_default(&opt);
    double fp[MMSC_CNN_LEN];
    mms_error why;
    assert_int_equal(mmsc_crystalnn_fingerprint(&cell, &opt, devnull, fp, &why), MMS_OK);
    /* CN_6 block starts after CN 1..5: (1+1)+(1+5)+(1+3)+(1+5)+(1+3) = 22 */
    assert_float_equal(fp[22], 1.0, 1e-12);  /* wt CN_6 */
    assert_float_equal(fp[24], 1.0, 1e-9);   /* octahedral CN_6 */
    double others = 0;
    for (int k = 0; k < MMSC_CNN_LEN; k++)
        if (k < 22 || k > 25)
            others += fabs(fp[k]);
    assert_float_equal(others, 0.0, 1e-12);
}

/* Hostile cells end in an error message, not a crash or a hang. */
static void test_hostile_cells(void **st)
{
    (void)st;
    mmsc_cnn_options opt;
    mmsc_cnn_options_default(&opt);
    double fp[MMSC_CNN_LEN];
    mms_error why;
    const double frac[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    const int z[2] = {6, 6};
    mmsc_cell flat = {{{3, 0, 0}, {0, 3, 0}, {3, 3, 0}}, 2, frac, z}; /* volume 0 */
    assert_int_equal(mmsc_crystalnn_fingerprint(&flat, &opt, devnull, fp, &why), MMS_ECOMPUTE);
    assert_non_null(strstr(why.message, "degenerate"));
    mmsc_cell thin = {{{3, 0, 0}, {0, 3, 0}, {0, 0, 1e-4}}, 2, frac, z}; /* atoms piled up */
    assert_int_equal(mmsc_crystalnn_fingerprint(&thin, &opt, devnull, fp, &why), MMS_ELIMIT);
    assert_non_null(strstr(why.message, "thin"));
    const int heavy[2] = {100, 100}; /* no radius for Fm in pymatgen */
    mmsc_cell fm = {{{3, 0, 0}, {0, 3, 0}, {0, 0, 3}}, 2, frac, heavy};
    assert_int_equal(mmsc_crystalnn_fingerprint(&fm, &opt, devnull, fp, &why), MMS_ECOMPUTE);
    assert_non_null(strstr(why.message, "radius"));
    double mag[FP_MAGPIE_LEN];
    assert_int_equal(fp_magpie((const int[]){119}, (const double[]){1}, 1, mag), MMS_EINVAL);
    assert_int_equal(fp_magpie(NULL, NULL, 0, mag), MMS_EINVAL);
}

int main(void)
{
    devnull = fopen("/dev/null", "w");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preset_layout),
        cmocka_unit_test(test_ideal_polyhedra),
        cmocka_unit_test(test_prepare_more_equals_prepare),
        cmocka_unit_test(test_simple_cubic),
        cmocka_unit_test(test_hostile_cells),
        cmocka_unit_test(test_magpie_matches_reference),
        cmocka_unit_test(test_crystalnn_matches_reference),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    fclose(devnull);
    return rc;
}
