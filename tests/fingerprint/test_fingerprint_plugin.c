/* fingerprint plugin through the ABI: loaded by the host from the build
 * tree, created with its declared defaults, score() on structures built with
 * mms_structure_new (values against the reference subset) and on the records
 * it must not fingerprint; and end to end through the CLI and its CIF reader
 * on perovskites whose fingerprint hangs on the lattice's last bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_cells.h"
#include "mmscore/host.h"
#include "mmscore/plugin.h"

typedef struct fixture {
    mms_host *host;
    const mms_plugin *plugin;
    void *state;
} fixture;

static int setup(void **st)
{
    fixture *f = calloc(1, sizeof *f);
    mms_error err;
    if (!f || mms_host_new(&f->host, &err) != MMS_OK)
        return -1;
    if (mms_host_load_file(f->host, MMSCORE_PLUGIN_BUILD_DIR "/fingerprint.so", &err) != MMS_OK) {
        fprintf(stderr, "load: %s\n", err.message);
        return -1;
    }
    f->plugin = mms_host_find(f->host, "fingerprint");
    if (!f->plugin || f->plugin->create(&f->state, mms_host_config(f->host, "fingerprint"), &err))
        return -1;
    *st = f;
    return 0;
}

static int teardown(void **st)
{
    fixture *f = *st;
    f->plugin->destroy(f->state);
    mms_host_free(f->host);
    free(f);
    return 0;
}

static mms_values *score(fixture *f, const mms_structure *s, const mms_values *earlier)
{
    mms_record rec = {.index = 0, .id = "t", .source = "test", .line = 1, .set = "generated",
                      .structure = s};
    mms_values *out = mms_values_new();
    mms_values *none = earlier ? NULL : mms_values_new();
    mms_error err;
    assert_non_null(out);
    assert_int_equal(f->plugin->score(f->state, &rec, earlier ? earlier : none, out, &err), MMS_OK);
    mms_values_free(none);
    return out;
}

static const char *status(const mms_values *v)
{
    const cJSON *s = mms_values_get(v, "fp_status");
    assert_true(cJSON_IsString(s));
    return s->valuestring;
}

/* Every llama2 subset structure, through the plugin, equals the reference. */
static void test_plugin_values(void **st)
{
    fixture *f = *st;
    fp_cells cells;
    assert_int_equal(fp_cells_load(MMSCORE_TEST_DATA "/fingerprint/llama2_7b_metastable.cells.jsonl",
                                   &cells), 0);
    for (size_t i = 0; i < cells.n; i++) {
        const mmsc_cell *c = &cells.recs[i].cell;
        mms_structure *s;
        mms_error err;
        assert_int_equal(mms_structure_new(&s, c->lattice, c->n, c->frac, c->z, &err), MMS_OK);
        mms_values *v = score(f, s, NULL);
        assert_string_equal(status(v), "ok");
        double fp[MMSC_CNN_LEN + 1], comp[FP_MAGPIE_LEN + 1];
        size_t n;
        assert_int_equal(mms_values_get_numbers(v, "struct_fp", fp, MMSC_CNN_LEN + 1, &n), MMS_OK);
        assert_int_equal(n, MMSC_CNN_LEN);
        for (int k = 0; k < MMSC_CNN_LEN; k++)
            assert_float_equal(fp[k], cells.recs[i].struct_fp[k], 1e-6);
        assert_int_equal(mms_values_get_numbers(v, "comp_fp", comp, FP_MAGPIE_LEN + 1, &n), MMS_OK);
        assert_int_equal(n, FP_MAGPIE_LEN);
        for (int k = 0; k < FP_MAGPIE_LEN; k++)
            assert_float_equal(comp[k], cells.recs[i].comp_fp[k],
                               1e-9 * fmax(1.0, fabs(cells.recs[i].comp_fp[k])));
        mms_values_free(v);
        mms_structure_free(s);
    }
    fp_cells_free(&cells);
}

/* Records the reference does not fingerprint get a status and no numbers. */
static void test_plugin_not_computed(void **st)
{
    fixture *f = *st;
    const double lat[3][3] = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}};
    const double pos[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
    const int z[2] = {26, 26};
    mms_structure *s;
    mms_error err;
    assert_int_equal(mms_structure_new(&s, lat, 2, pos, z, &err), MMS_OK);

    mms_values *earlier = mms_values_new();
    assert_int_equal(mms_values_set_bool(earlier, "valid", 0), MMS_OK);
    mms_values *v = score(f, s, earlier);
    assert_string_equal(status(v), "not_computed_invalid");
    assert_null(mms_values_get(v, "struct_fp"));
    mms_values_free(v);
    mms_values_free(earlier);
    mms_structure_free(s);

    /* a half-occupied site: basic_eval cannot build its Crystal */
    assert_int_equal(mms_structure_create(&s, lat, &err), MMS_OK);
    mms_site site = {.frac = {0, 0, 0}, .n_species = 2};
    site.species[0] = (mms_species){.z = 26, .occupancy = 0.5};
    site.species[1] = (mms_species){.z = 27, .occupancy = 0.5};
    assert_int_equal(mms_structure_add_site(s, &site, 0, &err), MMS_OK);
    assert_int_equal(mms_structure_finalize(s, &err), MMS_OK);
    v = score(f, s, NULL);
    assert_string_equal(status(v), "not_computed_disordered");
    mms_values_free(v);
    mms_structure_free(s);

    /* an element pymatgen has no radius for: CrystalNN fails, with why */
    const int fm[2] = {100, 100};
    assert_int_equal(mms_structure_new(&s, lat, 2, pos, fm, &err), MMS_OK);
    v = score(f, s, NULL);
    assert_string_equal(status(v), "crystalnn_failed");
    const cJSON *why = mms_values_get(v, "fp_error");
    assert_true(cJSON_IsString(why) && strstr(why->valuestring, "radius"));
    assert_non_null(mms_values_get(v, "comp_fp"));
    mms_values_free(v);
    mms_structure_free(s);
}

/* Perovskites with one off-centre site: 8 neighbours of equal CrystalNN
 * weight up to rounding noise, whose order (and so `bcc CN_8`) follows the
 * last bit of the lattice.  Read by mmscore's own CIF reader, the lattice
 * must be pymatgen's bit for bit (numpy's arccos at right angles, see
 * docs/metrics-fingerprint.md) for these rows to match the reference. */
static void test_cli_right_angle_ties(void **st)
{
    (void)st;
    char out[] = "/tmp/mmscore_fp_ties_XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' run -q -j 1 --plugin-dir '%s' --plugins fingerprint --skip-invalid false "
             "--records '%s' '%s' > /dev/null",
             MMSCORE_CLI, MMSCORE_PLUGIN_BUILD_DIR, out,
             MMSCORE_TEST_DATA "/fingerprint/perov_ties.csv");
    assert_int_equal(system(cmd), 0);
    FILE *rec = fopen(out, "r"), *ref = fopen(MMSCORE_TEST_DATA "/fingerprint/perov_ties.ref.jsonl", "r");
    assert_non_null(rec);
    assert_non_null(ref);
    char a[1 << 16], b[1 << 16];
    int rows = 0;
    while (fgets(b, sizeof b, ref)) {
        assert_non_null(fgets(a, sizeof a, rec));
        cJSON *r = cJSON_Parse(a), *x = cJSON_Parse(b);
        assert_non_null(r);
        assert_non_null(x);
        assert_string_equal(cJSON_GetObjectItem(r, "fp_status")->valuestring, "ok");
        const cJSON *got = cJSON_GetObjectItem(r, "struct_fp"), *want = cJSON_GetObjectItem(x, "struct_fp");
        assert_int_equal(cJSON_GetArraySize(got), MMSC_CNN_LEN);
        assert_int_equal(cJSON_GetArraySize(want), MMSC_CNN_LEN);
        for (int k = 0; k < MMSC_CNN_LEN; k++)
            assert_float_equal(cJSON_GetArrayItem(got, k)->valuedouble,
                               cJSON_GetArrayItem(want, k)->valuedouble, 1e-6);
        cJSON_Delete(r);
        cJSON_Delete(x);
        rows++;
    }
    assert_int_equal(rows, 10);
    assert_null(fgets(a, sizeof a, rec));
    fclose(rec);
    fclose(ref);
    remove(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_values),
        cmocka_unit_test(test_plugin_not_computed),
        cmocka_unit_test(test_cli_right_angle_ties),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
