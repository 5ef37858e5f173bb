/* Structure model and element table against values printed by pymatgen
 * 2022.11.7 (Debian python3-pymatgen) and the fixture reference rows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mmscore/elements.h"
#include "mmscore/structure.h"

static void test_elements(void **state)
{
    (void)state;
    assert_int_equal(mms_element_z("Fe"), 26);
    assert_int_equal(mms_element_z("Og"), 118);
    assert_int_equal(mms_element_z("FE"), 0);
    assert_int_equal(mms_element_z("Fe2+"), 0);
    assert_int_equal(mms_element_z_n("Fe2+", 2), 26);
    assert_int_equal(mms_element_z(""), 0);
    assert_string_equal(mms_element_symbol(1), "H");
    assert_null(mms_element_symbol(0));
    assert_null(mms_element_symbol(119));
    /* pymatgen's values, including its quirks */
    assert_true(mms_element_mass(1) == 1.00794);
    assert_true(mms_element_mass(118) == 2949.0);
    assert_true(mms_element_x(8) == 3.44);
    assert_true(isnan(mms_element_x(2)));
    assert_true(isnan(mms_element_x(104)));
    assert_true(mms_element_x(54) == 2.6);
    assert_true(mms_element_atomic_radius(26) == 1.4);
    assert_true(isnan(mms_element_atomic_radius(10)));
    assert_int_equal(mms_element_is_metal(13), 1);  /* Al: post-transition */
    assert_int_equal(mms_element_is_metal(14), 0);  /* Si */
    assert_int_equal(mms_element_is_metal(104), 1); /* Rf: transition */
    assert_int_equal(mms_element_is_metal(114), 0); /* Fl: in no group */
    assert_int_equal(mms_element_is_metal(92), 1);
}

/* perov_5_test.csv row 0 (TiOsNOF) and its reference volume/density */
static void test_lattice_volume_density(void **state)
{
    (void)state;
    double m[3][3];
    const double abc[3] = {4.0563216, 4.0563216, 4.0563216}, ang[3] = {90, 90, 90};
    assert_int_equal(mms_lattice_from_parameters(m, abc, ang, NULL), MMS_OK);
    const double pos[5][3] = {{-0.39078906, 0, 0}, {0.77619935, 0.5, 0.5}, {0.415284, 0, 0.5},
                              {0.7420008, 0.5, 0}, {0.23143281, 0.5, 0.5}};
    const int z[5] = {22, 76, 9, 7, 8};
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_new(&s, m, 5, pos, z, NULL), MMS_OK);
    assert_true(fabs(s->volume / 66.74168093054045 - 1) < 1e-12);
    assert_true(fabs(mms_structure_density(s) / 7.1431114034922505 - 1) < 1e-12);
    assert_true(fabs(s->angles[0] - 90.0) < 1e-12 && fabs(s->abc[2] - 4.0563216) < 1e-12);
    assert_int_equal(s->n_elements, 5);
    assert_int_equal(s->element_z[0], 7);
    assert_int_equal(s->element_z[4], 76);
    assert_int_equal(s->is_ordered, 1);
    char f[64];
    assert_int_equal(mms_structure_formula_reduced(s, f, sizeof f, NULL), MMS_OK);
    assert_string_equal(f, "TiOsNOF");
    int counts[5];
    assert_int_equal(mms_structure_counts_reduced(s, counts, NULL), MMS_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(counts[i], 1);

    mms_structure *c = NULL;
    assert_int_equal(mms_structure_set_tag(s, "_Chemical_Formula_Sum", "'Ti1 Os1'", NULL), MMS_OK);
    assert_int_equal(mms_structure_copy(&c, s, NULL), MMS_OK);
    mms_structure_free(s);
    assert_string_equal(mms_structure_tag(c, "_chemical_formula_SUM"), "'Ti1 Os1'");
    assert_true(fabs(c->volume / 66.74168093054045 - 1) < 1e-12);
    mms_structure_free(c);
}

/* Co8.cif row of cif_corpus.ref.jsonl: a triclinic cell */
static void test_triclinic_parameters(void **state)
{
    (void)state;
    double m[3][3];
    const double abc[3] = {3.70701825, 3.70701825, 7.98790154};
    const double ang[3] = {103.3885232, 103.3885232, 89.96878549};
    assert_int_equal(mms_lattice_from_parameters(m, abc, ang, NULL), MMS_OK);
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_create(&s, m, NULL), MMS_OK);
    assert_int_equal(mms_structure_finalize(s, NULL), MMS_OK);
    assert_true(fabs(s->volume / 103.72064305730257 - 1) < 1e-9);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(s->abc[i] - abc[i]) < 1e-9);
        assert_true(fabs(s->angles[i] - ang[i]) < 1e-9);
    }
    mms_structure_free(s);
}

static void test_impossible_angles(void **state)
{
    (void)state;
    double m[3][3];
    const double abc[3] = {3, 3, 3}, ang[3] = {30, 30, 120};
    mms_error e;
    assert_int_equal(mms_lattice_from_parameters(m, abc, ang, &e), MMS_ECOMPUTE);
    assert_non_null(strstr(e.message, "no cell"));
    const double bad[3] = {3, 3, 180};
    assert_int_equal(mms_lattice_from_parameters(m, abc, bad, NULL), MMS_ECOMPUTE);
    const double zero[3] = {0, 3, 3}, ok[3] = {90, 90, 90};
    assert_int_equal(mms_lattice_from_parameters(m, zero, ok, NULL), MMS_ECOMPUTE);
}

/* Build a structure from (symbol, amount) pairs, one site per pair, in the
 * given order (pymatgen keeps first-appearance order). */
static mms_structure *from_amounts(size_t n, const char *const *sym, const double *amt)
{
    const double m[3][3] = {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}};
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_create(&s, m, NULL), MMS_OK);
    for (size_t i = 0; i < n; i++) {
        mms_site site = {.n_species = 1};
        site.species[0].z = mms_element_z(sym[i]);
        site.species[0].occupancy = amt[i];
        assert_int_equal(mms_structure_add_site(s, &site, 0, NULL), MMS_OK);
    }
    assert_int_equal(mms_structure_finalize(s, NULL), MMS_OK);
    return s;
}

#define FORMULA(expect, ...)                                                                  \
    do {                                                                                      \
        struct { const char *s; double a; } in_[] = {__VA_ARGS__};                           \
        size_t n_ = sizeof in_ / sizeof *in_;                                                 \
        const char *sy_[16];                                                                  \
        double am_[16];                                                                       \
        for (size_t i_ = 0; i_ < n_; i_++) {                                                  \
            sy_[i_] = in_[i_].s;                                                              \
            am_[i_] = in_[i_].a;                                                              \
        }                                                                                     \
        mms_structure *s_ = from_amounts(n_, sy_, am_);                                       \
        char f_[128];                                                                         \
        assert_int_equal(mms_structure_formula_reduced(s_, f_, sizeof f_, NULL), MMS_OK);     \
        assert_string_equal(f_, expect);                                                      \
        mms_structure_free(s_);                                                               \
    } while (0)

/* Expected strings printed by pymatgen 2022.11.7 Composition(...).reduced_formula
 * for dicts in this insertion order. */
static void test_formula_reduced(void **state)
{
    (void)state;
    FORMULA("Fe2O3", {"Fe", 2}, {"O", 3});
    FORMULA("LiFePO4", {"Li", 4}, {"Fe", 4}, {"P", 4}, {"O", 16});
    FORMULA("O2", {"O", 2});
    FORMULA("HeNe2Ar", {"He", 1}, {"Ne", 2}, {"Ar", 1});
    FORMULA("ArNeHeO2", {"Ar", 1}, {"Ne", 1}, {"He", 1}, {"O", 2});
    FORMULA("Li2O2", {"Li", 2}, {"O", 2});
    FORMULA("C", {"C", 4});
    FORMULA("NaCl", {"Na", 1}, {"Cl", 1});
    FORMULA("Fe0.5Co0.5O1", {"Fe", 0.5}, {"Co", 0.5}, {"O", 1});
    FORMULA("BaTiO3", {"Ba", 1}, {"Ti", 1}, {"O", 3});
    FORMULA("XeF4", {"Xe", 1}, {"F", 4});
    FORMULA("Kr2He2Cs", {"Kr", 2}, {"He", 2}, {"Cs", 1});
    FORMULA("RfDb2O3", {"Rf", 1}, {"Db", 2}, {"O", 3});
    FORMULA("H2O", {"H", 2}, {"O", 1});
    FORMULA("H4CNO", {"C", 1}, {"N", 1}, {"O", 1}, {"H", 4});
    FORMULA("CuH10SO4", {"S", 1}, {"O", 4}, {"Cu", 1}, {"H", 10});
    FORMULA("CaCO3", {"Ca", 1}, {"C", 1}, {"O", 3});
    FORMULA("H8S(NO2)2", {"N", 2}, {"H", 8}, {"S", 1}, {"O", 4});
    FORMULA("Fe0.33333333O0.66666667", {"Fe", 1.0 / 3}, {"O", 2.0 / 3});
}

/* Fe2+ and Fe3+ are distinct species: amounts of 0.5 each are not all
 * integers, so pymatgen writes the unreduced formula "Fe1O1". */
static void test_formula_species(void **state)
{
    (void)state;
    const double m[3][3] = {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}};
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_create(&s, m, NULL), MMS_OK);
    mms_site a = {.n_species = 2};
    a.species[0] = (mms_species){26, 0.5, 1, 2.0};
    a.species[1] = (mms_species){26, 0.5, 1, 3.0};
    mms_site b = {.n_species = 1};
    b.species[0] = (mms_species){8, 1.0, 1, -2.0};
    assert_int_equal(mms_structure_add_site(s, &a, 0, NULL), MMS_OK);
    assert_int_equal(mms_structure_add_site(s, &b, 0, NULL), MMS_OK);
    assert_int_equal(mms_structure_finalize(s, NULL), MMS_OK);
    assert_int_equal(s->is_ordered, 0);
    assert_int_equal(s->has_oxidation, 1);
    assert_int_equal(s->n_elements, 2);
    assert_true(s->element_amount[0] == 1.0);
    char f[64];
    assert_int_equal(mms_structure_formula_reduced(s, f, sizeof f, NULL), MMS_OK);
    assert_string_equal(f, "Fe1O1");
    assert_int_equal(mms_structure_formula_reduced(s, f, 3, NULL), MMS_ELIMIT);
    int counts[2];
    assert_int_equal(mms_structure_counts_reduced(s, counts, NULL), MMS_OK);
    assert_int_equal(counts[0], 1);
    mms_structure_free(s);
}

static void test_add_site_limits(void **state)
{
    (void)state;
    const double m[3][3] = {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}};
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_create(&s, m, NULL), MMS_OK);
    mms_site site = {.n_species = 1};
    site.species[0] = (mms_species){.z = 6, .occupancy = 1.0};
    for (int i = 0; i < 100; i++)
        assert_int_equal(mms_structure_add_site(s, &site, 100, NULL), MMS_OK);
    mms_error e;
    assert_int_equal(mms_structure_add_site(s, &site, 100, &e), MMS_ELIMIT);
    site.species[0].z = 0;
    assert_int_equal(mms_structure_add_site(s, &site, 0, NULL), MMS_EINVAL);
    site.n_species = 0;
    assert_int_equal(mms_structure_add_site(s, &site, 0, NULL), MMS_EINVAL);
    assert_int_equal(mms_structure_finalize(s, NULL), MMS_OK);
    assert_int_equal(s->n_sites, 100);
    assert_true(s->element_amount[0] == 100.0);
    int counts[1];
    assert_int_equal(mms_structure_counts_reduced(s, counts, NULL), MMS_OK);
    assert_int_equal(counts[0], 1);
    mms_structure_free(s);
}

static void test_tags(void **state)
{
    (void)state;
    const double m[3][3] = {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}};
    mms_structure *s = NULL;
    assert_int_equal(mms_structure_create(&s, m, NULL), MMS_OK);
    assert_null(mms_structure_tag(s, "_cell_length_a"));
    const char *vals[3] = {"4", "4", "8"};
    assert_int_equal(mms_structure_set_loop(s, "_atom_site_symmetry_multiplicity", 3, vals, NULL),
                     MMS_OK);
    char name[32];
    for (int i = 0; i < 500; i++) { /* forces rehashing */
        snprintf(name, sizeof name, "_tag_%d", i);
        assert_int_equal(mms_structure_set_tag(s, name, name, NULL), MMS_OK);
    }
    assert_int_equal(mms_structure_set_tag(s, "_TAG_7", "last", NULL), MMS_OK);
    assert_string_equal(mms_structure_tag(s, "_tag_7"), "last");
    assert_string_equal(mms_structure_tag(s, "_tag_499"), "_tag_499");
    const char *const *got = NULL;
    assert_int_equal(mms_structure_loop(s, "_ATOM_SITE_symmetry_multiplicity", &got), 3);
    assert_string_equal(got[2], "8");
    assert_null(mms_structure_tag(s, "_atom_site_symmetry_multiplicity"));
    assert_int_equal(mms_structure_loop(s, "_tag_1", &got), 0);
    mms_structure_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elements),
        cmocka_unit_test(test_lattice_volume_density),
        cmocka_unit_test(test_triclinic_parameters),
        cmocka_unit_test(test_impossible_angles),
        cmocka_unit_test(test_formula_reduced),
        cmocka_unit_test(test_formula_species),
        cmocka_unit_test(test_add_site_limits),
        cmocka_unit_test(test_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
