/* composition and validity plugins through the real host and pipeline:
 * CIF text in, records and summary out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mmscore/host.h>

/* A cubic cell with the given atom_site rows (label, symbol, x, y, z, occupancy). */
#define CIF(name, a, rows)                                                                  \
    "data_" name "\n_cell_length_a " a "\n_cell_length_b " a "\n_cell_length_c " a           \
    "\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"                    \
    "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n" \
    "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n" rows

static const char *inputs =
    /* rock salt NaCl: charge-balanced */
    CIF("NaCl", "5.64", "Na1 Na 0 0 0 1\nCl1 Cl 0.5 0.5 0.5 1\n")
    /* Fe2O3 formula units in P1: charge-balanced with Fe3+ */
    CIF("Fe2O3", "6.0", "Fe1 Fe 0 0 0 1\nFe2 Fe 0.5 0.5 0.5 1\nO1 O 0.25 0.25 0 1\n"
                        "O2 O 0.75 0.25 0.5 1\nO3 O 0.25 0.75 0.5 1\n")
    /* argon oxide: Ar has no oxidation states in SMACT */
    CIF("ArO", "4.0", "Ar1 Ar 0 0 0 1\nO1 O 0.5 0.5 0.5 1\n")
    /* copper-gold: all metals */
    CIF("CuAu", "3.9", "Cu1 Cu 0 0 0 1\nAu1 Au 0.5 0.5 0.5 1\n")
    /* half-occupied site: non-integer amounts, no verdict */
    CIF("disordered", "4.2", "Fe1 Fe 0 0 0 0.5\nNi1 Ni 0 0 0 0.5\nO1 O 0.5 0.5 0.5 1\n")
    /* two atoms 0.1 A apart: structurally invalid, compositionally valid */
    CIF("tooclose", "5.0", "Na1 Na 0 0 0 1\nCl1 Cl 0.02 0 0 1\n")
    /* rutherfordium: beyond SMACT's element table, no verdict */
    CIF("RfO", "5.0", "Rf1 Rf 0 0 0 1\nO1 O 0.5 0.5 0.5 1\n")
    /* oxidation-state species (as pymatgen's CifWriter writes them): scored
     * from the element amounts */
    "data_NaCl_ox\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n"
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
    "loop_\n_atom_type_symbol\n_atom_type_oxidation_number\nNa+ 1.0\nCl- -1.0\n"
    "loop_\n_atom_site_type_symbol\n_atom_site_label\n_atom_site_fract_x\n"
    "_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
    "Na+ Na1 0 0 0 1\nCl- Cl1 0.5 0.5 0.5 1\n";

typedef struct expect {
    const char *id_part;
    int comp_valid; /* 1, 0, -1 = null */
    const char *reason;
} expect;

static const expect expected[] = {
    {"NaCl", 1, "charge-balanced"},   {"Fe2O3", 1, "charge-balanced"},
    {"ArO", 0, "no oxidation states"}, {"CuAu", 1, "alloy"},
    {"disordered", -1, "non-integer element amounts"}, {"tooclose", 1, "charge-balanced"},
    {"RfO", -1, "element without SMACT data"}, {"NaCl_ox", 1, "charge-balanced"}};
#define N_INPUTS ((int)(sizeof expected / sizeof expected[0]))

static int have_plugin(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", MMSCORE_PLUGIN_BUILD_DIR, name);
    return access(path, R_OK) == 0;
}

/* Runs `command`-less selection of `plugin` over inputs; returns the records
 * (a cJSON array, caller frees) and the summary. */
static cJSON *run(const char *plugin, const char *text, cJSON **summary)
{
    mms_error err;
    mms_host *h;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    const char *names[] = {"composition", "structure", "validity"};
    for (size_t i = 0; i < 3; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.so", MMSCORE_PLUGIN_BUILD_DIR, names[i]);
        if (access(path, R_OK) == 0)
            assert_int_equal(mms_host_load_file(h, path, &err), MMS_OK);
    }
    FILE *records = tmpfile();
    assert_non_null(records);
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = 2;
    opt.records = records;
    mms_pipeline *p;
    assert_int_equal(mms_pipeline_new(&p, h, &opt, &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, plugin, &err), MMS_OK);
    assert_int_equal(mms_pipeline_start(p, &err), MMS_OK);
    assert_int_equal(
        mms_pipeline_add_buffer(p, "test.cif", "cif", text, strlen(text), "input", &err), MMS_OK);
    assert_int_equal(mms_pipeline_finish(p, summary, &err), MMS_OK);
    mms_pipeline_free(p);
    mms_host_free(h);

    cJSON *all = cJSON_CreateArray();
    rewind(records);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, records) > 0) {
        cJSON *rec = cJSON_Parse(line);
        assert_non_null(rec);
        cJSON_AddItemToArray(all, rec);
    }
    free(line);
    fclose(records);
    return all;
}

static const cJSON *field(const cJSON *rec, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(rec, name);
}

/* The object, anywhere in the summary, that holds `name`. */
static const cJSON *holder_of(const cJSON *o, const char *name)
{
    if (cJSON_IsObject(o) && field(o, name))
        return o;
    const cJSON *child;
    cJSON_ArrayForEach(child, o)
    {
        const cJSON *found = holder_of(child, name);
        if (found)
            return found;
    }
    return NULL;
}

static void test_composition_records(void **state)
{
    (void)state;
    cJSON *summary = NULL;
    cJSON *recs = run("composition", inputs, &summary);
    assert_int_equal(cJSON_GetArraySize(recs), N_INPUTS);
    for (int i = 0; i < N_INPUTS; i++) {
        const cJSON *rec = cJSON_GetArrayItem(recs, i);
        const cJSON *cv = field(rec, "comp_valid");
        if (expected[i].comp_valid < 0)
            assert_true(cJSON_IsNull(cv));
        else
            assert_int_equal(cJSON_IsTrue(cv), expected[i].comp_valid);
        assert_string_equal(field(rec, "comp_valid_reason")->valuestring, expected[i].reason);
    }
    /* The example assignment of Fe2O3. */
    const cJSON *ox = field(cJSON_GetArrayItem(recs, 1), "comp_oxidation_states");
    assert_int_equal(field(ox, "Fe")->valueint, 3);
    assert_int_equal(field(ox, "O")->valueint, -2);
    cJSON_Delete(recs);
    cJSON_Delete(summary);
}

static void test_validity_records_and_summary(void **state)
{
    (void)state;
    if (!have_plugin("structure") || !have_plugin("validity"))
        skip(); /* built with MMSCORE_ONLY without them */
    /* One more record, that fails to read. */
    char *text = malloc(strlen(inputs) + 128);
    strcpy(text, inputs);
    strcat(text, "data_broken\n_cell_length_a 5.0\nloop_\n_atom_site_label\n");
    cJSON *summary = NULL;
    cJSON *recs = run("validity", text, &summary);
    free(text);
    int n = cJSON_GetArraySize(recs);
    assert_int_equal(n, N_INPUTS + 1);
    static const int valid[] = {1, 1, 0, 1, -1, 0, -1, 1, 0};
    static const int counted[] = {1, 1, 1, 1, 0, 1, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        const cJSON *rec = cJSON_GetArrayItem(recs, i);
        const cJSON *v = field(rec, "valid");
        if (valid[i] < 0)
            assert_true(cJSON_IsNull(v));
        else
            assert_int_equal(cJSON_IsTrue(v), valid[i]);
        assert_int_equal(cJSON_IsTrue(field(rec, "valid_counted")), counted[i]);
    }
    const cJSON *v = holder_of(summary, "n_counted");
    assert_non_null(v);
    assert_int_equal(field(v, "n_records")->valueint, 9);
    assert_int_equal(field(v, "n_read")->valueint, 8);
    assert_int_equal(field(v, "n_counted")->valueint, 5);
    assert_int_equal(field(v, "n_valid")->valueint, 3);
    assert_true(field(v, "valid_rate")->valuedouble == 3.0 / 5.0);
    assert_true(field(v, "valid_rate_all_records")->valuedouble == 4.0 / 9.0);
    cJSON_Delete(recs);
    cJSON_Delete(summary);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_composition_records),
        cmocka_unit_test(test_validity_records_and_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
