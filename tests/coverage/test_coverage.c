/* Tests of the `coverage` and `distribution` set scorers.
 *
 * Pure parts (distance kernels, numpy summation, Wasserstein, numpy-seeded
 * sampling, saved-state parsing) are linked in; the plugins themselves are
 * driven through the public host/pipeline API with a test plugin (refvalues)
 * that replays per-record reference values from JSONL, and compared with an
 * independent whole-matrix implementation (naive.c) on a fixture subset.
 *
 * With MMSCORE_COVERAGE_FULL=<fixtures/crystals dir> only the full
 * comparison against the reference aggregates.json runs (compare_full.sh). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <mmscore/host.h>

#include "evalset.h"
#include "fpdist.h"
#include "naive.h"
#include "npsum.h"
#include "wasserstein.h"

#define SUB_GEN MMSCORE_TEST_DATA "/coverage/perov_5_val.sub.jsonl"
#define SUB_REF MMSCORE_TEST_DATA "/coverage/perov_5_test.sub.jsonl"

/* ------------------------------------------------------------ helpers */

static double *random_rows(size_t n, size_t dim, unsigned seed)
{
    double *x = malloc(n * dim * sizeof *x);
    srand(seed);
    for (size_t i = 0; i < n * dim; i++)
        x[i] = (rand() % 1000) / 250.0 - 2.0; /* coarse grid: many exact ties */
    return x;
}

typedef struct run_spec {
    const char *gen, *ref, *train;
    const char *const *options; /* name, value, name, value..., NULL */
    const char *save;           /* save state here after the inputs */
    const char *const *merge;   /* merge these states before the inputs, NULL-ended */
} run_spec;

/* Runs refvalues + coverage + distribution; returns the summary. */
static cJSON *run(const run_spec *rs)
{
    mms_error err;
    mms_host *h;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    assert_int_equal(mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/coverage.so", &err), MMS_OK);
    assert_int_equal(mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/distribution.so", &err),
                     MMS_OK);
    assert_int_equal(mms_host_load_file(h, REFVALUES_PLUGIN, &err), MMS_OK);
    for (const char *const *o = rs->options; o && *o; o += 2)
        assert_int_equal(mms_host_set_option(h, o[0], o[1], &err), MMS_OK);
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = 2;
    mms_pipeline *p;
    assert_int_equal(mms_pipeline_new(&p, h, &opt, &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "refvalues", &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "coverage", &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "distribution", &err), MMS_OK);
    assert_int_equal(mms_pipeline_start(p, &err), MMS_OK);
    for (const char *const *m = rs->merge; m && *m; m++)
        assert_int_equal(mms_pipeline_merge_state(p, *m, &err), MMS_OK);
    if (rs->ref)
        assert_int_equal(mms_pipeline_add_input(p, rs->ref, "reference", &err), MMS_OK);
    if (rs->train)
        assert_int_equal(mms_pipeline_add_input(p, rs->train, "train", &err), MMS_OK);
    if (rs->gen)
        assert_int_equal(mms_pipeline_add_input(p, rs->gen, "generated", &err), MMS_OK);
    if (rs->save)
        assert_int_equal(mms_pipeline_save_state(p, rs->save, &err), MMS_OK);
    cJSON *summary = NULL;
    assert_int_equal(mms_pipeline_finish(p, &summary, &err), MMS_OK);
    mms_pipeline_free(p);
    mms_host_free(h);
    return summary;
}

static const cJSON *metric(const cJSON *summary, const char *plugin, const char *name)
{
    const cJSON *plugins = cJSON_GetObjectItemCaseSensitive(summary, "plugins");
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(plugins, plugin),
                                            name);
}

static const char *plugin_of(const char *key)
{
    return strncmp(key, "wdist", 5) == 0 ? "distribution" : "coverage";
}

/* Rates must be equal; distances within tol (absolute). */
static int is_rate(const char *key)
{
    return strstr(key, "valid") || strstr(key, "cov_") || strstr(key, "novelty");
}

static void expect(const cJSON *summary, const char *key, double want, double tol)
{
    const cJSON *got = metric(summary, plugin_of(key), key);
    if (isnan(want)) {
        if (!cJSON_IsNull(got))
            fail_msg("%s: expected null", key);
        return;
    }
    if (!cJSON_IsNumber(got))
        fail_msg("%s: expected a number", key);
    if (is_rate(key) ? got->valuedouble != want : !(fabs(got->valuedouble - want) <= tol))
        fail_msg("%s: got %.17g, expected %.17g", key, got->valuedouble, want);
}

#define TABLE_KEYS(X)                                                                         \
    X(comp_valid) X(struct_valid) X(valid) X(comp_div) X(struct_div) X(wdist_density)         \
    X(wdist_num_elems) X(cov_recall) X(cov_precision) X(amsd_recall) X(amsd_precision)       \
    X(amcd_recall) X(amcd_precision) X(struc_novelty) X(comp_novelty) X(novelty)

static void expect_table(const cJSON *summary, const nv_table *t, double tol)
{
#define EXPECT(k) expect(summary, #k, t->k, tol);
    TABLE_KEYS(EXPECT)
#undef EXPECT
}

/* ------------------------------------------------------- pure parts */

static void test_nearest_bit_identical(void **st)
{
    (void)st;
    const size_t dims[] = {61, 132, 3};
    for (size_t di = 0; di < 3; di++) {
        size_t d = dims[di], na = 37, nb = 21; /* not multiples of the block sizes */
        double *a = random_rows(na, d, 1 + (unsigned)di), *b = random_rows(nb, d, 7);
        memcpy(a + 5 * d, b + 3 * d, d * sizeof *a); /* a zero distance */
        for (unsigned threads = 1; threads <= 3; threads++) {
            double am[37], bm[21];
            assert_int_equal(cov_nearest(a, na, b, nb, d, threads, am, bm, NULL), MMS_OK);
            for (size_t i = 0; i < na; i++) {
                double m = INFINITY;
                for (size_t j = 0; j < nb; j++)
                    m = fmin(m, nv_dist(a + i * d, b + j * d, d));
                assert_true(am[i] == m); /* bit for bit: same operation order */
            }
            for (size_t j = 0; j < nb; j++) {
                double m = INFINITY;
                for (size_t i = 0; i < na; i++)
                    m = fmin(m, nv_dist(a + i * d, b + j * d, d));
                assert_true(bm[j] == m);
            }
            assert_true(am[5] == 0.0);
        }
        free(a);
        free(b);
    }
}

/* A deterministic generator independent of rand()'s state. */
static double unit_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (double)(*state >> 11) / 9007199254740992.0; /* [0, 1) */
}

/* Abuses rows x[0..n): exact copies of earlier rows, copies of rows of
 * `other` (zero minima across the sets), one-ulp neighbours (near-ties). */
static void abuse_rows(double *x, size_t n, size_t dim, const double *other, size_t nother,
                       uint64_t *state)
{
    uint64_t st = *state;
    for (size_t i = 0; i < n; i++) {
        double u = unit_rand(&st);
        if (i > 0 && u < 0.2) /* an earlier row again */
            memcpy(x + i * dim, x + (size_t)(unit_rand(&st) * (double)i) * dim, dim * sizeof *x);
        else if (other && u < 0.3) /* a row of the other set */
            memcpy(x + i * dim, other + (size_t)(unit_rand(&st) * (double)nother) * dim,
                   dim * sizeof *x);
        else if (i > 0 && u < 0.4) { /* an earlier row one ulp away in one value */
            memcpy(x + i * dim, x + (size_t)(unit_rand(&st) * (double)i) * dim, dim * sizeof *x);
            size_t j = (size_t)(unit_rand(&st) * (double)dim);
            x[i * dim + j] = nextafter(x[i * dim + j], INFINITY);
        }
    }
    *state = st;
}

/* n rows drawn from `clusters` random centres with spread `noise`, then
 * abused (abuse_rows) and, with `special`, given a NaN and infinities. */
static double *hard_rows(size_t n, size_t dim, size_t clusters, double noise, const double *other,
                         size_t nother, int special, uint64_t seed)
{
    double *x = malloc(n * dim * sizeof *x), *c = malloc(clusters * dim * sizeof *c);
    uint64_t st = seed;
    for (size_t i = 0; i < clusters * dim; i++)
        c[i] = 4.0 * unit_rand(&st) - 2.0;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(unit_rand(&st) * (double)clusters);
        for (size_t j = 0; j < dim; j++)
            x[i * dim + j] = c[k * dim + j] + noise * (unit_rand(&st) - 0.5);
    }
    abuse_rows(x, n, dim, other, nother, &st);
    if (special && n > 3) {
        x[0] = NAN;
        x[dim + 1] = INFINITY;
        memcpy(x + 2 * dim, x + dim, dim * sizeof *x); /* twin infinite rows: NaN apart */
        x[3 * dim] = -INFINITY;
    }
    free(c);
    return x;
}

/* The minima by a plain scalar scan of every pair. */
static void scan_minima(const double *a, size_t na, const double *b, size_t nb, size_t dim,
                        double *am, double *bm)
{
    for (size_t i = 0; i < na; i++)
        am[i] = INFINITY;
    for (size_t j = 0; j < nb; j++)
        bm[j] = INFINITY;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double d = nv_dist(a + i * dim, b + j * dim, dim);
            am[i] = fmin(am[i], d);
            bm[j] = fmin(bm[j], d);
        }
}

static int same_bits(const double *x, const double *y, size_t n)
{
    return memcmp(x, y, n * sizeof *x) == 0;
}

/* cov_nearest equals scan_minima bit for bit, both sides and one side with
 * the sets swapped, on 1 to 3 threads. */
static void expect_scan(const double *a, size_t na, const double *b, size_t nb, size_t d,
                        size_t label)
{
    double *am = malloc(na * sizeof *am), *bm = malloc(nb * sizeof *bm);
    double *wa = malloc(na * sizeof *wa), *wb = malloc(nb * sizeof *wb);
    scan_minima(a, na, b, nb, d, wa, wb);
    for (unsigned threads = 1; threads <= 3; threads++) {
        assert_int_equal(cov_nearest(a, na, b, nb, d, threads, am, bm, NULL), MMS_OK);
        if (!same_bits(am, wa, na) || !same_bits(bm, wb, nb))
            fail_msg("case %zu (%zu x %zu, dim %zu), %u threads: minima differ", label, na, nb,
                     d, threads);
        assert_int_equal(cov_nearest(b, nb, a, na, d, threads, NULL, am, NULL), MMS_OK);
        if (!same_bits(am, wa, na))
            fail_msg("case %zu swapped, %u threads: minima differ", label, threads);
    }
    free(am);
    free(bm);
    free(wa);
    free(wb);
}

/* The pruned search (duplicates, projection bounds) returns the full scan's
 * minima bit for bit on sets made to trip it: exact copies within and
 * across the sets, one-ulp near-ties, tight and loose clusters, sizes that
 * are not multiples of the panel width, 1 to 3 threads, and inputs with NaN
 * and infinities (where no bound applies). */
static void test_nearest_pruned_equals_scan(void **st)
{
    (void)st;
    const struct {
        size_t na, nb, dim, clusters;
        double noise;
        int special;
    } cases[] = {
        {1, 1, 61, 1, 0.1, 0},      {1, 50, 132, 3, 0.5, 0},    {9, 7, 61, 2, 0.0, 0},
        {300, 257, 61, 12, 0.05, 0}, {257, 300, 132, 5, 2.0, 0}, {420, 390, 61, 40, 1e-6, 0},
        {333, 129, 132, 300, 0.3, 0}, {150, 170, 61, 6, 0.2, 1},  {64, 64, 3, 4, 0.01, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t na = cases[c].na, nb = cases[c].nb, d = cases[c].dim;
        double *b = hard_rows(nb, d, cases[c].clusters, cases[c].noise, NULL, 0, 0, 11 + c);
        double *a = hard_rows(na, d, cases[c].clusters, cases[c].noise, b, nb, cases[c].special,
                              101 + c);
        if (cases[c].special) /* the same infinite row in both sets: NaN apart, not 0 */
            memcpy(b, a + d, d * sizeof *b);
        expect_scan(a, na, b, nb, d, c);
        free(a);
        free(b);
    }
}

/* n rows on a subspace of rank `rank` (the same for every seed_shared):
 * coefficients drawn around `clusters` centres with spread `noise`, on a
 * grid of 1/4 with `grid` (basis too: exact distances, exact ties), plus
 * `off` of noise off the subspace, times `scale`; then abused (abuse_rows)
 * and, with `mix`, a few rows scaled by 1e100 and 1e-100 and one row of
 * subnormal values. */
static double *subspace_rows(size_t n, size_t dim, size_t rank, size_t clusters, double noise,
                             int grid, double off, double scale, int mix, const double *other,
                             size_t nother, uint64_t seed_shared, uint64_t seed)
{
    double *x = malloc(n * dim * sizeof *x), *basis = malloc(rank * dim * sizeof *basis);
    double *c = malloc(clusters * rank * sizeof *c);
    uint64_t sh = seed_shared, st = seed;
    for (size_t i = 0; i < rank * dim; i++)
        basis[i] = grid ? floor(4.0 * unit_rand(&sh)) / 2.0 - 1.0 : 2.0 * unit_rand(&sh) - 1.0;
    for (size_t i = 0; i < clusters * rank; i++)
        c[i] = 4.0 * unit_rand(&sh) - 2.0;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(unit_rand(&st) * (double)clusters);
        for (size_t j = 0; j < dim; j++)
            x[i * dim + j] = off * (unit_rand(&st) - 0.5);
        for (size_t r = 0; r < rank; r++) {
            double w = c[k * rank + r] + noise * (unit_rand(&st) - 0.5);
            if (grid)
                w = floor(4.0 * w) / 4.0;
            for (size_t j = 0; j < dim; j++)
                x[i * dim + j] += w * basis[r * dim + j];
        }
        for (size_t j = 0; j < dim; j++)
            x[i * dim + j] *= scale;
    }
    abuse_rows(x, n, dim, other, nother, &st);
    for (size_t i = 0; mix && i < n; i += 17)
        for (size_t j = 0; j < dim; j++)
            x[i * dim + j] *= i % 2 ? 1e100 : 1e-100;
    if (mix && n > 5)
        for (size_t j = 0; j < dim; j++)
            x[5 * dim + j] = 1e-310 * (double)(j % 3);
    free(basis);
    free(c);
    return x;
}

/* The projection bounds where they are tight: both sets on the same
 * low-rank subspace (rank 1 to 12 in dims 3 to 132, the principal
 * directions then span it and projected distances equal the distances up
 * to rounding), exact ties on a grid, near-ties, clusters, duplicates,
 * huge, tiny and subnormal magnitudes, 1 to 3 threads. */
static void test_nearest_projection_tight(void **st)
{
    (void)st;
    const struct {
        size_t na, nb, dim, rank, clusters;
        double noise;
        int grid;
        double off, scale;
        int mix;
    } cases[] = {
        {300, 280, 61, 1, 5, 0.1, 0, 0.0, 1.0, 0},
        {257, 300, 132, 3, 8, 0.05, 0, 0.0, 1.0, 0},
        {400, 390, 61, 8, 20, 1e-3, 0, 0.0, 1.0, 0},
        {333, 129, 132, 8, 4, 0.3, 0, 1e-9, 1.0, 1},
        {200, 210, 61, 12, 6, 0.2, 0, 0.0, 1e120, 0},
        {200, 190, 132, 5, 3, 0.1, 0, 0.0, 1e-140, 0},
        {300, 310, 61, 3, 4, 1.0, 1, 0.0, 1.0, 0},
        {250, 260, 132, 2, 2, 0.5, 1, 0.0, 1.0, 1},
        {64, 70, 3, 2, 4, 0.01, 0, 0.0, 1.0, 0},
        {90, 100, 9, 9, 3, 0.5, 0, 1e-12, 1.0, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t na = cases[c].na, nb = cases[c].nb, d = cases[c].dim;
#define SUBSPACE(n, other, nother, seed)                                                         \
    subspace_rows(n, d, cases[c].rank, cases[c].clusters, cases[c].noise, cases[c].grid,         \
                  cases[c].off, cases[c].scale, cases[c].mix, other, nother, 7 + c, seed)
        double *b = SUBSPACE(nb, NULL, 0, 300 + c);
        double *a = SUBSPACE(na, b, nb, 500 + c);
#undef SUBSPACE
        expect_scan(a, na, b, nb, d, 100 + c);
        free(a);
        free(b);
    }
}

static void test_nearest_single_rows(void **st)
{
    (void)st;
    double a[2] = {0.0, 0.0}, b[4] = {3.0, 4.0, 6.0, 8.0}, am[1], bm[2];
    assert_int_equal(cov_nearest(a, 1, b, 2, 2, 1, am, bm, NULL), MMS_OK);
    assert_true(am[0] == 5.0 && bm[0] == 5.0 && bm[1] == 10.0);
    mms_error err;
    assert_int_equal(cov_nearest(a, 0, b, 2, 2, 1, am, bm, &err), MMS_EINVAL);
}

/* pdist(a).mean() is numpy's block-wise pairwise sum of the condensed array
 * over its length: the streamed version must give the same bits for any
 * thread count (150 rows: 11,175 pairs, two summation blocks). */
static void test_pdist_mean(void **st)
{
    (void)st;
    size_t n = 150, d = 61, pairs = n * (n - 1) / 2;
    double *a = random_rows(n, d, 3), *condensed = malloc(pairs * sizeof *condensed);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            condensed[k++] = nv_dist(a + i * d, a + j * d, d);
    double want = mmsc_np_sum(condensed, pairs) / (double)pairs;
    for (unsigned threads = 1; threads <= 3; threads++) {
        double m;
        assert_int_equal(cov_pdist_mean(a, n, d, threads, &m, NULL), MMS_OK);
        assert_true(m == want);
    }
    double two[4] = {0, 0, 3, 4}, m;
    assert_int_equal(cov_pdist_mean(two, 2, 2, 1, &m, NULL), MMS_OK);
    assert_true(m == 5.0);
    free(condensed);
    free(a);
}

static void test_np_sum(void **st)
{
    (void)st;
    const size_t ns[] = {0, 1, 7, 8, 9, 127, 128, 129, 1000, 8192, 8193, 100003};
    double *x = malloc(100003 * sizeof *x);
    for (size_t i = 0; i < 100003; i++)
        x[i] = 1.0 / (double)(i + 1);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        long double want = 0;
        for (size_t i = 0; i < ns[k]; i++)
            want += x[i];
        double got = mmsc_np_sum(x, ns[k]);
        assert_true(fabsl((long double)got - want) <= 1e-14L * (want + 1));
    }
    /* below 8 values numpy adds left to right */
    double small[3] = {1e16, 1.0, -1e16};
    assert_true(mmsc_pairwise_sum(small, 3) == (1e16 + 1.0) - 1e16);
    /* blocks of 8192 are summed separately, then added in order */
    assert_true(mmsc_np_sum(x, 10000) ==
                0.0 + mmsc_pairwise_sum(x, 8192) + mmsc_pairwise_sum(x + 8192, 10000 - 8192));
    free(x);
}

static void test_wasserstein(void **st)
{
    (void)st;
    double u[] = {0, 1, 3}, v[] = {5, 6, 8}, w;
    assert_int_equal(dist_wasserstein_1d(u, 3, v, 3, &w, NULL), MMS_OK);
    assert_true(w == 5.0); /* scipy's documented example */
    double a[] = {0, 1}, b[] = {1, 0};
    assert_int_equal(dist_wasserstein_1d(a, 2, b, 2, &w, NULL), MMS_OK);
    assert_true(w == 0.0);
    for (unsigned seed = 1; seed <= 5; seed++) {
        size_t nu = 50 + seed * 7, nv = 31 + seed;
        double *x = random_rows(nu, 1, seed), *y = random_rows(nv, 1, seed + 100);
        for (size_t i = 0; i < nv; i++)
            y[i] = y[i] * 1.5 + 0.25;
        double want = nv_wasserstein(x, nu, y, nv);
        assert_int_equal(dist_wasserstein_1d(x, nu, y, nv, &w, NULL), MMS_OK);
        assert_true(fabs(w - want) <= 1e-14);
        free(x);
        free(y);
    }
    mms_error err;
    double nan1[] = {NAN};
    assert_int_equal(dist_wasserstein_1d(u, 0, v, 3, &w, &err), MMS_EINVAL);
    assert_int_equal(dist_wasserstein_1d(nan1, 1, v, 3, &w, &err), MMS_EINVAL);
}

/* np.random.seed(s); np.random.choice(10, 5) — what basic_eval's subsampling
 * draws: seed 0 -> [5 0 3 3 7], seed 42 -> [6 3 7 4 6]. */
static void test_sampling_matches_numpy(void **st)
{
    (void)st;
    mmsc_ev_acc *a;
    assert_int_equal(mmsc_ev_acc_new(&a, 0, NULL), MMS_OK);
    for (int i = 0; i < 10; i++) {
        mmsc_ev_item it = {MMSC_EV_STRUCT_VALID, 1.0, 2.0, NULL, NULL};
        assert_int_equal(mmsc_ev_acc_add(a, MMSC_EV_GENERATED, 1, &it, NULL), MMS_OK);
    }
    const size_t want0[] = {5, 0, 3, 3, 7}, want42[] = {6, 3, 7, 4, 6};
    const long long seeds[] = {0, 42};
    for (int k = 0; k < 2; k++) {
        mmsc_ev_sampling smp = {seeds[k], 5};
        size_t *idx, n;
        const char *note;
        assert_int_equal(mmsc_ev_acc_generated(a, &smp, &idx, &n, &note, NULL), MMS_OK);
        assert_int_equal(n, 5);
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(idx[i], k ? want42[i] : want0[i]);
        free(idx);
    }
    mmsc_ev_sampling none = {-1, 5};
    size_t *idx, n;
    const char *note;
    assert_int_equal(mmsc_ev_acc_generated(a, &none, &idx, &n, &note, NULL), MMS_OK);
    assert_int_equal(n, 10);
    assert_int_equal(idx[9], 9);
    free(idx);
    mmsc_ev_acc_free(a);
}

static void test_bad_saved_state(void **st)
{
    (void)st;
    mmsc_ev_acc *a;
    assert_int_equal(mmsc_ev_acc_new(&a, 1, NULL), MMS_OK);
    const char *bad[] = {
        "{}",
        "{\"format\":\"mmscore-evalset-1\"}",
        "{\"format\":\"mmscore-evalset-1\",\"generated\":{\"records\":-1,\"read\":0,\"n\":0,"
        "\"nfp\":0}}",
        /* n > read */
        "{\"format\":\"mmscore-evalset-1\",\"generated\":{\"records\":1,\"read\":1,\"n\":2,"
        "\"nfp\":0,\"flags\":\"AAA=\"}}",
        /* base64 of the wrong length */
        "{\"format\":\"mmscore-evalset-1\",\"generated\":{\"records\":1,\"read\":1,\"n\":1,"
        "\"nfp\":0,\"flags\":\"AAAA\",\"density\":\"AA==\",\"nelems\":\"AA==\"},"
        "\"reference\":{\"records\":0,\"read\":0,\"n\":0,\"nfp\":0},"
        "\"train\":{\"records\":0,\"read\":0,\"n\":0,\"nfp\":0}}",
        /* a hostile count: refused before any allocation */
        "{\"format\":\"mmscore-evalset-1\",\"generated\":{\"records\":1e11,\"read\":1e11,"
        "\"n\":1e11,\"nfp\":0,\"flags\":\"AA==\"}}",
        /* a character outside base64 */
        "{\"format\":\"mmscore-evalset-1\",\"generated\":{\"records\":1,\"read\":1,\"n\":1,"
        "\"nfp\":0,\"flags\":\"A*==\",\"density\":\"AAAAAAAAAAA=\",\"nelems\":\"AAAAAAAAAAA=\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i]);
        assert_non_null(j);
        mms_error err;
        mms_error_clear(&err);
        assert_int_equal(mmsc_ev_acc_merge(a, j, &err), MMS_EPARSE);
        assert_non_null(strstr(err.message, "saved eval state"));
        cJSON_Delete(j);
    }
    mmsc_ev_acc_free(a);
}

/* ------------------------------------------- through the plugin API */

static void test_subset_matches_naive(void **st)
{
    (void)st;
    nv_set gen, ref;
    assert_int_equal(nv_load(SUB_GEN, &gen), 0);
    assert_int_equal(nv_load(SUB_REF, &ref), 0);
    assert_true(gen.n >= 100 && ref.n >= 100); /* the subsets hold 135 crystals each */
    nv_table t;
    nv_compute(&gen, &ref, &ref, 0.4, 10.0, 0.1, 2.0, &t); /* mp20, basic_eval's default */
    run_spec rs = {.gen = SUB_GEN, .ref = SUB_REF};
    cJSON *s = run(&rs);
    expect_table(s, &t, 1e-12);
    const cJSON *n = metric(s, "coverage", "n_crystals");
    assert_true(cJSON_IsNumber(n) && n->valuedouble == (double)gen.n);
    cJSON_Delete(s);

    /* perovskite: coverage cutoffs 0.2/4; basic_eval has no novelty cutoffs */
    const char *const perov[] = {"cutoffs", "perovskite", NULL};
    nv_compute(&gen, &ref, &ref, 0.2, 4.0, -1, -1, &t);
    rs.options = perov;
    s = run(&rs);
    expect_table(s, &t, 1e-12);
    assert_true(cJSON_IsString(metric(s, "coverage", "novelty_note")));
    cJSON_Delete(s);

    /* explicit cutoffs, and the novelty reference taken from a train set */
    const char *const expl[] = {"struc_cutoff", "0.05", "comp_cutoff", "1.5",
                                "novelty_struc_cutoff", "0.02", "novelty_comp_cutoff", "0.7",
                                "cutoffs", "carbon", NULL};
    nv_compute(&gen, &ref, &gen, 0.05, 1.5, 0.02, 0.7, &t);
    run_spec rs2 = {.gen = SUB_GEN, .ref = SUB_REF, .train = SUB_GEN, .options = expl};
    s = run(&rs2);
    expect_table(s, &t, 1e-12);
    assert_string_equal(metric(s, "coverage", "novelty_reference")->valuestring, "train");
    cJSON_Delete(s);
    nv_free(&gen);
    nv_free(&ref);
}

/* Without a fingerprint producer the table says "unknown" (null), it does
 * not count every crystal invalid. */
static void test_missing_producer_gives_null(void **st)
{
    (void)st;
    char dir[] = "/tmp/mmscore-coverage-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/nofp.jsonl", dir);
    FILE *out = fopen(path, "w"), *in = fopen(SUB_GEN, "r");
    assert_true(out && in);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        cJSON *o = cJSON_Parse(line);
        cJSON_DeleteItemFromObject(o, "fp_status");
        cJSON_DeleteItemFromObject(o, "comp_fp");
        cJSON_DeleteItemFromObject(o, "struct_fp");
        char *t = cJSON_PrintUnformatted(o);
        fprintf(out, "%s\n", t);
        cJSON_free(t);
        cJSON_Delete(o);
    }
    free(line);
    fclose(in);
    fclose(out);
    run_spec rs = {.gen = path, .ref = SUB_REF};
    cJSON *s = run(&rs);
    assert_true(cJSON_IsNumber(metric(s, "coverage", "comp_valid")));
    assert_true(cJSON_IsNumber(metric(s, "coverage", "struct_valid")));
    assert_true(cJSON_IsNull(metric(s, "coverage", "valid")));
    assert_true(cJSON_IsNull(metric(s, "coverage", "cov_recall")));
    assert_true(cJSON_IsNull(metric(s, "distribution", "wdist_density")));
    cJSON_Delete(s);
    unlink(path);
    rmdir(dir);
}

/* Shards saved and merged give the numbers of one run (the --ref-cache and
 * `mmscore merge` paths). */
static void test_save_merge_equals_single_run(void **st)
{
    (void)st;
    char dir[] = "/tmp/mmscore-coverage-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char g1[256], g2[256], sa[256], sb[256];
    snprintf(g1, sizeof g1, "%s/g1.jsonl", dir);
    snprintf(g2, sizeof g2, "%s/g2.jsonl", dir);
    snprintf(sa, sizeof sa, "%s/a.json", dir);
    snprintf(sb, sizeof sb, "%s/b.json", dir);
    FILE *in = fopen(SUB_GEN, "r"), *o1 = fopen(g1, "w"), *o2 = fopen(g2, "w");
    assert_true(in && o1 && o2);
    char *line = NULL;
    size_t cap = 0;
    for (int i = 0; getline(&line, &cap, in) > 0; i++)
        fputs(line, i < 50 ? o1 : o2);
    free(line);
    fclose(in);
    fclose(o1);
    fclose(o2);

    const char *const opts[] = {"seed", "7", "max_samples", "100", NULL};
    run_spec single = {.gen = SUB_GEN, .ref = SUB_REF, .options = opts};
    cJSON *want = run(&single);
    run_spec a = {.gen = g1, .ref = SUB_REF, .options = opts, .save = sa};
    cJSON_Delete(run(&a));
    run_spec b = {.gen = g2, .options = opts, .save = sb};
    cJSON_Delete(run(&b));
    const char *const states[] = {sa, sb, NULL};
    run_spec merged = {.options = opts, .merge = states};
    cJSON *got = run(&merged);

    const char *plugins[] = {"coverage", "distribution"};
    for (int k = 0; k < 2; k++) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(want, "plugins"), plugins[k]);
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(got, "plugins"), plugins[k]);
        assert_non_null(w);
        if (!cJSON_Compare(w, g, 1)) {
            char *tw = cJSON_Print(w), *tg = cJSON_Print(g);
            fail_msg("%s differs:\nsingle %s\nmerged %s", plugins[k], tw, tg);
        }
    }
    assert_int_equal(metric(want, "coverage", "n_samples")->valueint, 100);
    cJSON_Delete(want);
    cJSON_Delete(got);
    unlink(g1);
    unlink(g2);
    unlink(sa);
    unlink(sb);
    rmdir(dir);
}

/* -------------------------------------------- full fixture comparison */

static char *full_dir;

/* Every value of aggregates.json's perov_5 job, under its three cutoff sets:
 * rates exactly, distances within 1e-6.  Prints the agreement table. */
static void test_full_fixture(void **st)
{
    (void)st;
    char gen[1024], ref[1024], agg[1024];
    snprintf(gen, sizeof gen, "%s/perov_5_val.ref.jsonl", full_dir);
    snprintf(ref, sizeof ref, "%s/perov_5_test.ref.jsonl", full_dir);
    snprintf(agg, sizeof agg, "%s/aggregates.json", full_dir);
    FILE *f = fopen(agg, "r");
    assert_non_null(f); /* main() checked it exists */
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    cJSON *root = cJSON_Parse(text);
    const cJSON *job = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "jobs"), 0);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(job, "results");
    const cJSON *cut;
    int total = 0, agree = 0, identical = 0;
    printf("%-11s %-16s %-22s %-22s %-9s %s\n", "cutoffs", "metric", "reference", "mmscore",
           "|diff|", "ok");
    cJSON_ArrayForEach(cut, results) {
        const char *const opts[] = {"cutoffs", cut->string, NULL};
        run_spec rs = {.gen = gen, .ref = ref, .options = opts};
        cJSON *s = run(&rs);
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(cut, "metrics")) {
            const cJSON *got = metric(s, plugin_of(m->string), m->string);
            double g = cJSON_IsNumber(got) ? got->valuedouble : NAN;
            double d = fabs(g - m->valuedouble);
            int ok = is_rate(m->string) ? g == m->valuedouble : d <= 1e-6;
            total++;
            agree += ok;
            identical += g == m->valuedouble;
            printf("%-11s %-16s %-22.17g %-22.17g %-9.2g %s\n", cut->string, m->string,
                   m->valuedouble, g, d, ok ? "yes" : "NO");
        }
        /* the reference's KeyError for novelty outside mp20: null here */
        if (!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cut, "metrics"),
                                              "novelty"))
            assert_true(cJSON_IsNull(metric(s, "coverage", "novelty")));
        cJSON_Delete(s);
    }
    printf("agreement: %d/%d values (rates exact, distances within 1e-6); "
           "%d/%d bit-identical\n", agree, total, identical, total);
    cJSON_Delete(root);
    /* aggregates.json's perov_5 job: 14 values under each of 3 cutoff sets. */
    assert_true(total >= 42);
    assert_int_equal(agree, total);
}

/* Benchmark mode (tests/bench/eval.sh): time the set scorers on two
 * reference-layout JSONL files: reading them and replaying their values,
 * then the set metrics (acc_finish). */
static int bench(const char *gen, const char *ref)
{
    struct timespec t0, t1, t2;
    mms_error err;
    mms_host *h;
    mms_pipeline *p;
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    cJSON *summary = NULL;
    if (mms_host_new(&h, &err) ||
        mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/coverage.so", &err) ||
        mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/distribution.so", &err) ||
        mms_host_load_file(h, REFVALUES_PLUGIN, &err) || mms_pipeline_new(&p, h, &opt, &err) ||
        mms_pipeline_select_plugin(p, "refvalues", &err) ||
        mms_pipeline_select_plugin(p, "coverage", &err) ||
        mms_pipeline_select_plugin(p, "distribution", &err) || mms_pipeline_start(p, &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (mms_pipeline_add_input(p, ref, "reference", &err) ||
        mms_pipeline_add_input(p, gen, "generated", &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_t c1 = clock();
    if (mms_pipeline_finish(p, &summary, &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double cpu = (double)(clock() - c1) / CLOCKS_PER_SEC;
    const cJSON *g = metric(summary, "coverage", "n_samples_valid");
    const cJSON *r = metric(summary, "coverage", "n_reference_fingerprinted");
    printf("set part: %.0f generated x %.0f reference fingerprints: read+replay %.2f s, "
           "table (acc_finish) %.2f s wall, %.2f s cpu (all threads)\n",
           cJSON_IsNumber(g) ? g->valuedouble : -1, cJSON_IsNumber(r) ? r->valuedouble : -1,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec),
           (double)(t2.tv_sec - t1.tv_sec) + 1e-9 * (double)(t2.tv_nsec - t1.tv_nsec), cpu);
    cJSON_Delete(summary);
    mms_pipeline_free(p);
    mms_host_free(h);
    return 0;
}

/* Oracle mode (compare_full.sh): the plugins against naive.c on any two
 * reference-layout files, mp20 cutoffs. */
static const char *oracle_gen, *oracle_ref;

static void test_oracle(void **st)
{
    (void)st;
    nv_set gen, ref;
    assert_int_equal(nv_load(oracle_gen, &gen), 0);
    assert_int_equal(nv_load(oracle_ref, &ref), 0);
    nv_table t;
    nv_compute(&gen, &ref, &ref, 0.4, 10.0, 0.1, 2.0, &t);
    run_spec rs = {.gen = oracle_gen, .ref = oracle_ref};
    cJSON *s = run(&rs);
    printf("%s vs %s:\n", oracle_gen, oracle_ref);
#define SHOW(k)                                                                               \
    printf("  %-16s oracle %-22.17g mmscore %.17g\n", #k, t.k,                               \
           cJSON_IsNumber(metric(s, plugin_of(#k), #k))                                       \
               ? metric(s, plugin_of(#k), #k)->valuedouble                                    \
               : NAN);
    TABLE_KEYS(SHOW)
#undef SHOW
    expect_table(s, &t, 1e-9);
    cJSON_Delete(s);
    nv_free(&gen);
    nv_free(&ref);
}

int main(void)
{
    oracle_gen = getenv("MMSCORE_COVERAGE_ORACLE_GEN");
    oracle_ref = getenv("MMSCORE_COVERAGE_ORACLE_REF");
    if (oracle_gen && oracle_ref) {
        const struct CMUnitTest oracle[] = {cmocka_unit_test(test_oracle)};
        return cmocka_run_group_tests(oracle, NULL, NULL);
    }
    const char *bgen = getenv("MMSCORE_COVERAGE_BENCH_GEN");
    const char *bref = getenv("MMSCORE_COVERAGE_BENCH_REF");
    if (bgen && bref)
        return bench(bgen, bref);
    full_dir = getenv("MMSCORE_COVERAGE_FULL");
    if (full_dir && *full_dir) {
        /* Without the fixtures the comparison did not run: CTest's
         * SKIP_RETURN_CODE reports it skipped, never passed. */
        const char *const need[] = {"aggregates.json", "perov_5_val.ref.jsonl",
                                    "perov_5_test.ref.jsonl"};
        for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", full_dir, need[i]);
            if (access(path, R_OK) != 0) {
                printf("no %s: full comparison skipped\n", path);
                return MMSCORE_TEST_SKIPPED;
            }
        }
        const struct CMUnitTest full[] = {cmocka_unit_test(test_full_fixture)};
        return cmocka_run_group_tests(full, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest_bit_identical),
        cmocka_unit_test(test_nearest_pruned_equals_scan),
        cmocka_unit_test(test_nearest_projection_tight),
        cmocka_unit_test(test_nearest_single_rows),
        cmocka_unit_test(test_pdist_mean),
        cmocka_unit_test(test_np_sum),
        cmocka_unit_test(test_wasserstein),
        cmocka_unit_test(test_sampling_matches_numpy),
        cmocka_unit_test(test_bad_saved_state),
        cmocka_unit_test(test_subset_matches_naive),
        cmocka_unit_test(test_missing_producer_gives_null),
        cmocka_unit_test(test_save_merge_equals_single_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
