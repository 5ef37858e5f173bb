/* The structure plugin's verdicts on structures built by hand (one site,
 * insensible cells, disordered sites, options) and its summary: counts,
 * the three denominators, and save/merge giving the unsharded numbers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin_test_util.h"

static void *make_state(double cutoff)
{
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddNumberToObject(cfg, "min_distance_cutoff", cutoff);
    cJSON_AddNumberToObject(cfg, "min_volume", 0.1);
    cJSON_AddNumberToObject(cfg, "cell_length_min", 0.5);
    cJSON_AddNumberToObject(cfg, "cell_length_max", 1000);
    cJSON_AddNumberToObject(cfg, "cell_angle_min", 10);
    cJSON_AddNumberToObject(cfg, "cell_angle_max", 170);
    void *st = NULL;
    mms_error err;
    assert_int_equal(mmscore_plugin_entry()->create(&st, cfg, &err), MMS_OK);
    cJSON_Delete(cfg);
    return st;
}

static mms_structure *cell(const double abc[3], const double ang[3], size_t n,
                           const double (*pos)[3], const int *z)
{
    double L[3][3];
    mms_error err;
    assert_int_equal(mms_lattice_from_parameters(L, abc, ang, &err), MMS_OK);
    mms_structure *s;
    assert_int_equal(mms_structure_new(&s, L, n, pos, z, &err), MMS_OK);
    return s;
}

/* basic_eval pads the diagonal: a one-site cell has no pair, so it is
 * valid on its volume alone and min_distance is null. */
static void test_one_site(void **unused)
{
    (void)unused;
    void *st = make_state(0.5);
    double abc[3] = {2.5, 2.5, 2.5}, ang[3] = {60, 60, 60}, pos[1][3] = {{0, 0, 0}};
    int z[1] = {29};
    mms_structure *s = cell(abc, ang, 1, (const double(*)[3])pos, z);
    mms_values *v = score(st, s);
    int b;
    assert_int_equal(mms_values_get_bool(v, "struct_valid", &b), MMS_OK);
    assert_true(b);
    assert_true(cJSON_IsNull(mms_values_get(v, "min_distance")));
    assert_true(has_diag(mms_values_get(v, "diagnostics"), "MMS106"));
    double d;
    assert_int_equal(mms_values_get_number(v, "density", &d), MMS_OK);
    assert_true(fabs(d - mms_structure_density(s)) == 0.0);
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

/* A needle cell with a 5° angle: valid by distance, not sensible; the
 * cutoff option moves the verdict. */
static void test_insensible_and_cutoff(void **unused)
{
    (void)unused;
    double abc[3] = {3, 3, 30}, ang[3] = {90, 90, 5};
    double pos[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    int z[2] = {6, 6};
    mms_structure *s = cell(abc, ang, 2, (const double(*)[3])pos, z);
    void *st = make_state(0.5);
    mms_values *v = score(st, s);
    int b;
    double md;
    assert_int_equal(mms_values_get_bool(v, "cell_sensible", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "diagnostics"), "MMS103"));
    assert_int_equal(mms_values_get_number(v, "min_distance", &md), MMS_OK);
    mms_values_get_bool(v, "struct_valid", &b);
    assert_int_equal(b, md >= 0.5);
    mms_values_free(v);
    mmscore_plugin_entry()->destroy(st);

    st = make_state(md + 0.01); /* just above: invalid, with the pair named */
    v = score(st, s);
    assert_int_equal(mms_values_get_bool(v, "struct_valid", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "diagnostics"), "MMS101"));
    mms_values_free(v);
    mmscore_plugin_entry()->destroy(st);
    mms_structure_free(s);
}

/* A disordered site: scored, but basic_eval would not count it. */
static void test_disordered_not_counted(void **unused)
{
    (void)unused;
    double L[3][3] = {{4, 0, 0}, {0, 4, 0}, {0, 0, 4}};
    mms_structure *s;
    mms_error err;
    assert_int_equal(mms_structure_create(&s, L, &err), MMS_OK);
    mms_site site;
    memset(&site, 0, sizeof site);
    site.n_species = 2;
    site.species[0].z = 26;
    site.species[0].occupancy = 0.5;
    site.species[1].z = 28;
    site.species[1].occupancy = 0.5;
    assert_int_equal(mms_structure_add_site(s, &site, 0, &err), MMS_OK);
    site.n_species = 1;
    site.species[0].z = 8;
    site.species[0].occupancy = 1;
    site.frac[0] = site.frac[1] = site.frac[2] = 0.5;
    assert_int_equal(mms_structure_add_site(s, &site, 0, &err), MMS_OK);
    assert_int_equal(mms_structure_finalize(s, &err), MMS_OK);
    void *st = make_state(0.5);
    mms_values *v = score(st, s);
    int b;
    assert_int_equal(mms_values_get_bool(v, "basic_eval_counted", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "diagnostics"), "MMS105"));
    double md;
    assert_int_equal(mms_values_get_number(v, "min_distance", &md), MMS_OK);
    assert_true(fabs(md - sqrt(12.0)) < 1e-12);
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

/* Summary: 3 records (1 failed read, 1 valid, 1 too close), in two shards
 * merged: the rates over each denominator. */
static void test_summary_merges(void **unused)
{
    (void)unused;
    const mms_plugin *p = mmscore_plugin_entry();
    void *st = make_state(0.5);
    double abc[3] = {4, 4, 4}, ang[3] = {90, 90, 90};
    double good[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}}, bad[2][3] = {{0, 0, 0}, {0.01, 0, 0}};
    int z[2] = {11, 17};
    mms_structure *s1 = cell(abc, ang, 2, (const double(*)[3])good, z);
    mms_structure *s2 = cell(abc, ang, 2, (const double(*)[3])bad, z);
    void *a1, *a2;
    mms_error err;
    assert_int_equal(p->acc_new(st, &a1, &err), MMS_OK);
    assert_int_equal(p->acc_new(st, &a2, &err), MMS_OK);
    mms_record rec;
    memset(&rec, 0, sizeof rec);
    mms_values *v = mms_values_new();
    assert_int_equal(p->acc_add(st, a1, &rec, v, &err), MMS_OK); /* failed read */
    rec.structure = s1;
    mms_values_free(v);
    v = score(st, s1);
    assert_int_equal(p->acc_add(st, a1, &rec, v, &err), MMS_OK);
    mms_values_free(v);
    rec.structure = s2;
    v = score(st, s2);
    assert_int_equal(p->acc_add(st, a2, &rec, v, &err), MMS_OK);
    mms_values_free(v);
    cJSON *saved;
    assert_int_equal(p->acc_save(st, a2, &saved, &err), MMS_OK);
    assert_int_equal(p->acc_merge(st, a1, saved, &err), MMS_OK);
    cJSON_Delete(saved);
    mms_values *sum = mms_values_new();
    assert_int_equal(p->acc_finish(st, a1, sum, &err), MMS_OK);
    double x;
    mms_values_get_number(sum, "n_records", &x);
    assert_true(x == 3);
    mms_values_get_number(sum, "n_read", &x);
    assert_true(x == 2);
    mms_values_get_number(sum, "struct_valid_count", &x);
    assert_true(x == 1);
    mms_values_get_number(sum, "struct_valid_rate_basic_eval", &x);
    assert_true(x == 0.5);
    mms_values_get_number(sum, "struct_valid_rate_all", &x);
    assert_true(fabs(x - 1.0 / 3.0) < 1e-15);
    cJSON *broken = cJSON_Parse("{\"n_records\": 1}");
    assert_int_equal(p->acc_merge(st, a1, broken, &err), MMS_EINVAL);
    cJSON_Delete(broken);
    mms_values_free(sum);
    p->acc_free(st, a1);
    p->acc_free(st, a2);
    mms_structure_free(s1);
    mms_structure_free(s2);
    p->destroy(st);
}

/* Hostile cell: 1000 Å edges around a 1e-7 Å gap, volume just at the
 * limit.  Millions of translations would qualify; the search stays
 * bounded and says so. */
static void test_thin_cell_is_bounded(void **unused)
{
    (void)unused;
    double L[3][3] = {{1000, 0, 0}, {0, 1000, 0}, {700, 300, 1.0e-7}};
    double pos[3][3] = {{0.1, 0.2, 0.3}, {0.6, 0.1, 0.9}, {0.35, 0.8, 0.45}};
    int z[3] = {6, 8, 8};
    mms_structure *s;
    mms_error err;
    assert_int_equal(mms_structure_new(&s, L, 3, (const double(*)[3])pos, z, &err), MMS_OK);
    void *st = make_state(0.5);
    mms_values *v = score(st, s);
    assert_non_null(mms_values_get(v, "struct_valid"));
    assert_true(has_diag(mms_values_get(v, "diagnostics"), "MMS107"));
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

static void test_bad_options_refused(void **unused)
{
    (void)unused;
    cJSON *cfg = cJSON_Parse("{\"cell_angle_min\": 100, \"cell_angle_max\": 10}");
    void *st = NULL;
    mms_error err;
    assert_int_equal(mmscore_plugin_entry()->create(&st, cfg, &err), MMS_EINVAL);
    cJSON_Delete(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_site),
        cmocka_unit_test(test_insensible_and_cutoff),
        cmocka_unit_test(test_disordered_not_counted),
        cmocka_unit_test(test_summary_merges),
        cmocka_unit_test(test_thin_cell_is_bounded),
        cmocka_unit_test(test_bad_options_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
