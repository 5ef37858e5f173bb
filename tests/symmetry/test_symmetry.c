/* The symmetry plugin on structures whose answers are known by
 * construction: rock salt (Fm-3m, Wyckoff 4a/4b), CrystaLLM's consistency
 * checks against stated tags, spglib's two failure messages, and the same
 * answers from two threads at once. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin_test_util.h"

#include "bonds.h"
#include "fixture_structures.h"
#include "formula.h"
#include "stated.h"

static void *make_state(double symprec_extra)
{
    const mms_plugin *p = mmscore_plugin_entry();
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddNumberToObject(cfg, "symprec", 0.1);
    cJSON_AddNumberToObject(cfg, "symprec_extra", symprec_extra);
    cJSON_AddNumberToObject(cfg, "angle_tolerance", 5.0);
    void *st = NULL;
    mms_error err;
    assert_int_equal(p->create(&st, cfg, &err), MMS_OK);
    cJSON_Delete(cfg);
    return st;
}

/* Conventional rock salt, a = 5.64 Å, as a CIF would give it. */
static mms_structure *rock_salt(const char *stated_hm, const char *sum, const char *mult_na)
{
    double L[3][3] = {{5.64, 0, 0}, {0, 5.64, 0}, {0, 0, 5.64}};
    double pos[8][3] = {{0, 0, 0},     {0, .5, .5},   {.5, 0, .5},  {.5, .5, 0},
                        {.5, .5, .5},  {.5, 0, 0},    {0, .5, 0},   {0, 0, .5}};
    int z[8] = {11, 11, 11, 11, 17, 17, 17, 17};
    mms_structure *s;
    mms_error err;
    assert_int_equal(mms_structure_new(&s, L, 8, (const double(*)[3])pos, z, &err), MMS_OK);
    s->format = "cif";
    s->name = strdup("NaCl");
    if (stated_hm)
        mms_structure_set_tag(s, "_symmetry_space_group_name_H-M", stated_hm, &err);
    mms_structure_set_tag(s, "_chemical_formula_sum", sum, &err);
    mms_structure_set_tag(s, "_chemical_formula_structural", "NaCl", &err);
    const char *types[2] = {"Na", "Cl"}, *mults[2] = {mult_na, "4"};
    mms_structure_set_loop(s, "_atom_site_type_symbol", 2, types, &err);
    mms_structure_set_loop(s, "_atom_site_symmetry_multiplicity", 2, mults, &err);
    return s;
}

static void test_rock_salt(void **unused)
{
    (void)unused;
    void *st = make_state(0.01);
    mms_structure *s = rock_salt("Fm-3m", "Na4 Cl4", "4");
    mms_values *v = score(st, s);
    double x;
    assert_int_equal(mms_values_get_number(v, "sg_number", &x), MMS_OK);
    assert_true(x == 225);
    assert_int_equal(mms_values_get_number(v, "sg_number_extra", &x), MMS_OK);
    assert_true(x == 225);
    assert_string_equal(cJSON_GetStringValue(mms_values_get(v, "sg_symbol")), "Fm-3m");
    assert_string_equal(cJSON_GetStringValue(mms_values_get(v, "crystal_system")), "cubic");
    assert_int_equal(mms_values_get_number(v, "hall_number", &x), MMS_OK);
    assert_true(x == 523);
    const cJSON *w = mms_values_get(v, "wyckoffs"), *m = mms_values_get(v, "site_multiplicities");
    assert_int_equal(cJSON_GetArraySize(w), 8);
    /* Na (first four sites) on one of 4a/4b, Cl on the other (spglib picks
     * the origin), reported in the structure's site order */
    const char *na = cJSON_GetStringValue(cJSON_GetArrayItem(w, 0));
    const char *cl = cJSON_GetStringValue(cJSON_GetArrayItem(w, 4));
    assert_true((!strcmp(na, "a") && !strcmp(cl, "b")) || (!strcmp(na, "b") && !strcmp(cl, "a")));
    for (int i = 0; i < 8; i++) {
        assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(w, i)), i < 4 ? na : cl);
        assert_true(cJSON_GetArrayItem(m, i)->valuedouble == 4);
    }
    int b;
    assert_int_equal(mms_values_get_bool(v, "sg_consistent", &b), MMS_OK);
    assert_true(b);
    assert_int_equal(mms_values_get_bool(v, "formula_consistent", &b), MMS_OK);
    assert_true(b);
    assert_int_equal(mms_values_get_bool(v, "multiplicity_consistent", &b), MMS_OK);
    assert_true(b);
    assert_int_equal(cJSON_GetArraySize(mms_values_get(v, "symmetry_diagnostics")), 0);
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

/* CrystaLLM compares the stated symbol as written: 'F m -3 m' is not
 * 'Fm-3m' (an info diagnostic says they are the same group); a file in P1
 * of a structure with more symmetry is info too (MMS210); formula and
 * multiplicity mismatches are warnings. */
static void test_inconsistent_tags(void **unused)
{
    (void)unused;
    void *st = make_state(0);
    mms_structure *s = rock_salt("F m -3 m", "Na4 Cl4", "4");
    mms_values *v = score(st, s);
    int b;
    assert_int_equal(mms_values_get_bool(v, "sg_consistent", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS203"));
    assert_false(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS202"));
    assert_null(mms_values_get(v, "sg_number_extra"));
    mms_values_free(v);
    mms_structure_free(s);

    s = rock_salt("P 1", "Na3 Cl4", "2");
    v = score(st, s);
    assert_int_equal(mms_values_get_bool(v, "sg_consistent", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS210"));
    assert_false(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS202"));
    assert_int_equal(mms_values_get_bool(v, "formula_consistent", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS204"));
    assert_int_equal(mms_values_get_bool(v, "multiplicity_consistent", &b), MMS_OK);
    assert_false(b);
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS205"));
    mms_values_free(v);
    mms_structure_free(s);

    s = rock_salt(NULL, "Na4 Cl4", "4"); /* no stated group: not checked */
    v = score(st, s);
    assert_true(cJSON_IsNull(mms_values_get(v, "sg_consistent")));
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS206"));
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

/* Which stated groups rock salt (Na at the origin) has: its subgroups
 * Pm-3m and P4/mmm in the stated cell are info, Fd-3m (whose operations
 * move Na onto empty places) and a symbol no one knows are warnings; the
 * value is CrystaLLM's in every case. */
static void test_stated_group_severity(void **unused)
{
    (void)unused;
    void *st = make_state(0);
    static const struct {
        const char *stated, *code, *other;
    } cases[] = {
        {"P m -3 m", "MMS210", "MMS202"}, {"P4/mmm", "MMS210", "MMS202"},
        {"F d -3 m :2", "MMS202", "MMS210"}, {"F m 3 m", "MMS202", "MMS210"},
        {"F 4/m -3 2/m", "MMS211", "MMS202"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mms_structure *s = rock_salt(cases[i].stated, "Na4 Cl4", "4");
        mms_values *v = score(st, s);
        int b;
        assert_int_equal(mms_values_get_bool(v, "sg_consistent", &b), MMS_OK);
        assert_false(b);
        const cJSON *d = mms_values_get(v, "symmetry_diagnostics");
        if (!has_diag(d, cases[i].code) || has_diag(d, cases[i].other))
            fail_msg("stated '%s': want %s, not %s", cases[i].stated, cases[i].code,
                     cases[i].other);
        mms_values_free(v);
        mms_structure_free(s);
    }
    mmscore_plugin_entry()->destroy(st);
}

/* Spellings of one setting, from spglib's database. */
static void test_symbol_spellings(void **unused)
{
    (void)unused;
    int h[SYM_MAX_HALLS];
    assert_int_equal(sym_halls_of_symbol("P 1 21/c 1", h, SYM_MAX_HALLS), 1);
    assert_int_equal(h[0], 81);
    assert_int_equal(sym_halls_of_symbol("P 1 1 21/b", h, SYM_MAX_HALLS), 1);
    assert_int_equal(h[0], 86);
    assert_int_equal(sym_halls_of_symbol("R -3 :H", h, SYM_MAX_HALLS), 1);
    assert_int_equal(h[0], 436);
    assert_int_equal(sym_halls_of_symbol("Fd-3m:2", h, SYM_MAX_HALLS), 1);
    assert_int_equal(h[0], 526);
    assert_int_equal(sym_halls_of_symbol("F d -3 m", h, SYM_MAX_HALLS), 2); /* both origins */
    assert_int_equal(sym_halls_of_symbol("Pm-3m", h, SYM_MAX_HALLS), 1);
    assert_int_equal(h[0], 517);
    assert_int_equal(sym_halls_of_symbol("P 1", h, SYM_MAX_HALLS), 1);
    assert_int_equal(h[0], 1);
    assert_int_equal(sym_halls_of_symbol("Fm3m", h, SYM_MAX_HALLS), 0);
    assert_int_equal(sym_halls_of_symbol("", h, SYM_MAX_HALLS), 0);
}

/* Real CIFs read by the core's reader (tests/data/symmetry/SOURCE.md):
 * pymatgen's P1 files of structures with more symmetry carry no warning,
 * a file stating a group its atoms do not have does, and settings,
 * spacing and the per-unit formula are info.  Every code a record expects
 * is there, and no warning it does not expect. */
static void test_stated_groups_of_real_cifs(void **unused)
{
    (void)unused;
    size_t n;
    cJSON **in = fixture_read_jsonl(MMSCORE_TEST_DATA "/symmetry/stated_groups.jsonl", &n);
    assert_non_null(in);
    void *st = make_state(0);
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(in[i], "source"));
        mms_structure *s = NULL;
        mms_error err;
        if (fixture_structure_from_json(in[i], &s, &err) != MMS_OK)
            fail_msg("%s: not read: %s", src, err.message);
        mms_values *v = score(st, s);
        const cJSON *d = mms_values_get(v, "symmetry_diagnostics");
        const cJSON *want = cJSON_GetObjectItem(in[i], "codes"), *c;
        cJSON_ArrayForEach(c, want)
        {
            if (!has_diag(d, cJSON_GetStringValue(c)))
                fail_msg("%s: no %s", src, cJSON_GetStringValue(c));
        }
        cJSON_ArrayForEach(c, d)
        {
            const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(c, "code"));
            const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(c, "severity"));
            int expected = 0;
            const cJSON *w;
            cJSON_ArrayForEach(w, want)
            {
                expected |= !strcmp(cJSON_GetStringValue(w), code);
            }
            if (strcmp(sev, "info") && !expected)
                fail_msg("%s: unexpected %s %s", src, sev, code);
        }
        mms_values_free(v);
        mms_structure_free(s);
        checked++;
    }
    assert_true(checked >= 9);
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(in[i]);
    free(in);
    mmscore_plugin_entry()->destroy(st);
}

static mms_structure *close_pair(int same_type)
{
    double L[3][3] = {{4, 0, 0}, {0, 4, 0}, {0, 0, 4}};
    double pos[2][3] = {{0.1, 0.1, 0.1}, {0.11, 0.1, 0.1}}; /* 0.04 Å apart */
    int z[2] = {26, same_type ? 26 : 8};
    mms_structure *s;
    mms_error err;
    assert_int_equal(mms_structure_new(&s, L, 2, (const double(*)[3])pos, z, &err), MMS_OK);
    return s;
}

/* spglib refuses two same-type atoms closer than symprec with its own
 * message; the plugin reports it and a warning. */
static void test_spglib_failure_message(void **unused)
{
    (void)unused;
    void *st = make_state(0);
    mms_structure *s = close_pair(1);
    mms_values *v = score(st, s);
    assert_true(cJSON_IsNull(mms_values_get(v, "sg_number")));
    assert_string_equal(cJSON_GetStringValue(mms_values_get(v, "sg_error")),
                        "too close distance between atoms");
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS201"));
    /* not a CIF: no consistency values at all */
    assert_null(mms_values_get(v, "sg_consistent"));
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

/* A cell of 1e300 Å overflows to infinities, on which spglib 2.0.2 crashes:
 * it is not called, and the record says why. */
static void test_overflowing_cell_not_passed(void **unused)
{
    (void)unused;
    void *st = make_state(0);
    double L[3][3] = {{1e300, 0, 0}, {0, 1e300, 0}, {0, 0, 1e300}};
    double pos[2][3] = {{0.1, 0.1, 0.1}, {0.5, 0.5, 0.5}};
    int z[2] = {6, 8};
    mms_structure *s;
    mms_error err;
    assert_int_equal(mms_structure_new(&s, L, 2, (const double(*)[3])pos, z, &err), MMS_OK);
    mms_values *v = score(st, s);
    assert_true(cJSON_IsNull(mms_values_get(v, "sg_number")));
    assert_non_null(strstr(cJSON_GetStringValue(mms_values_get(v, "sg_error")), "not passed"));
    assert_true(has_diag(mms_values_get(v, "symmetry_diagnostics"), "MMS201"));
    mms_values_free(v);
    mms_structure_free(s);
    mmscore_plugin_entry()->destroy(st);
}

typedef struct job {
    void *st;
    int same_type;
    int mismatches;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    mms_structure *s = close_pair(j->same_type);
    for (int i = 0; i < 200; i++) {
        mms_record rec;
        memset(&rec, 0, sizeof rec);
        rec.structure = s;
        mms_values *v = mms_values_new();
        mms_error err;
        mmscore_plugin_entry()->score(j->st, &rec, NULL, v, &err);
        const cJSON *e = mms_values_get(v, "sg_error");
        if (j->same_type != (e != NULL))
            j->mismatches++;
        mms_values_free(v);
    }
    mms_structure_free(s);
    return NULL;
}

/* Failures and successes interleaved on two threads keep their own
 * answers (spglib's shared error variable is never read). */
static void test_threads_keep_their_answers(void **unused)
{
    (void)unused;
    void *st = make_state(0);
    job a = {st, 1, 0}, b = {st, 0, 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, worker, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, worker, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.mismatches, 0);
    assert_int_equal(b.mismatches, 0);
    mmscore_plugin_entry()->destroy(st);
}

static void test_formula_parser(void **unused)
{
    (void)unused;
    mmsc_formula f, g;
    mms_error why;
    assert_int_equal(mmsc_formula_parse("Ba(OH)2", &f, &why), MMS_OK);
    assert_int_equal(f.n, 3);
    assert_int_equal(mmsc_formula_parse("Ba1 O2 H2", &g, &why), MMS_OK);
    assert_true(mmsc_formula_same_reduced(&f, &g));
    assert_int_equal(mmsc_formula_parse("Ca2 Ti2 O6", &f, &why), MMS_OK);
    assert_int_equal(mmsc_formula_parse("CaTiO3", &g, &why), MMS_OK);
    assert_true(mmsc_formula_same_reduced(&f, &g));
    assert_int_equal(mmsc_formula_parse("RbCe(InIr)31", &f, &why), MMS_OK);
    assert_int_equal(mmsc_formula_parse("Rb1 Ce1 In31 Ir31", &g, &why), MMS_OK);
    assert_true(mmsc_formula_same_reduced(&f, &g));
    assert_int_equal(mmsc_formula_parse("Y3N@C80", &f, &why), MMS_OK);
    assert_int_equal(f.n, 3);
    assert_int_equal(mmsc_formula_parse("Fe0.5Ni0.5", &f, &why), MMS_OK);
    assert_int_equal(mmsc_formula_parse("FeNi", &g, &why), MMS_OK);
    assert_false(mmsc_formula_same_reduced(&f, &g)); /* pymatgen: "Fe0.5Ni0.5" != "FeNi" */
    assert_int_equal(mmsc_formula_parse("NaCl", &f, &why), MMS_OK);
    assert_int_equal(mmsc_formula_parse("Na2Cl", &g, &why), MMS_OK);
    assert_false(mmsc_formula_same_reduced(&f, &g));
    assert_int_equal(mmsc_formula_parse("Xy2O", &f, &why), MMS_EPARSE);
    assert_string_equal(why.message, "'Xy' is not an element");
    assert_int_equal(mmsc_formula_parse("image0", &f, &why), MMS_EPARSE);
    assert_int_equal(mmsc_formula_parse("", &f, &why), MMS_EPARSE);
    assert_int_equal(mmsc_formula_parse("((((", &f, &why), MMS_EPARSE);
    static char huge[5000];
    memset(huge, 'H', sizeof huge - 1);
    assert_int_equal(mmsc_formula_parse(huge, &f, &why), MMS_ELIMIT);
    assert_string_equal(why.message, "formula too long");
}

static cJSON **read_jsonl(const char *path, size_t *n)
{
    cJSON **out = fixture_read_jsonl(path, n);
    assert_non_null(out);
    return out;
}

/* bond_length_score against CrystaLLM's function on pymatgen 2022.11.7's
 * CrystalNN (tests/symmetry/bond_reference_cnn.py): equal within 1e-9
 * where the reference answers, no score where it raises. */
static void test_bond_score_matches_crystalnn(void **unused)
{
    (void)unused;
    size_t n, nb;
    cJSON **in = read_jsonl(MMSCORE_TEST_DATA "/structure/subset.jsonl", &n);
    cJSON **ref = read_jsonl(MMSCORE_TEST_DATA "/symmetry/bonds.ref.jsonl", &nb);
    assert_int_equal(n, nb);
    size_t scored = 0, raised = 0;
    for (size_t i = 0; i < n; i++) {
        const cJSON *want = cJSON_GetObjectItem(ref[i], "crystalnn");
        assert_int_equal(cJSON_GetObjectItem(ref[i], "row")->valueint,
                         cJSON_GetObjectItem(in[i], "row")->valueint);
        if (!want)
            continue; /* unreadable or skipped by the reference script */
        mms_structure *s = NULL;
        mms_error err;
        assert_int_equal(fixture_structure_from_json(in[i], &s, &err), MMS_OK);
        double score = NAN;
        long bonds = 0;
        mms_error why;
        int rc = sym_bond_length_score(s, &score, &bonds, &why);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(in[i], "source"));
        int row = cJSON_GetObjectItem(in[i], "row")->valueint;
        if (cJSON_IsNull(want)) {
            if (rc == 0)
                fail_msg("%s row %d: score %.17g, reference raises", id, row, score);
            raised++;
        } else {
            if (rc != 0)
                fail_msg("%s row %d: no score (%s), reference %.17g", id, row, why.message,
                         want->valuedouble);
            if (fabs(score - want->valuedouble) > 1e-9)
                fail_msg("%s row %d: score %.17g, reference %.17g", id, row, score,
                         want->valuedouble);
            scored++;
        }
        mms_structure_free(s);
    }
    print_message("bond_length_score: %zu scores equal, %zu raise in both\n", scored, raised);
    assert_true(scored >= 50);
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
        cmocka_unit_test(test_rock_salt),
        cmocka_unit_test(test_inconsistent_tags),
        cmocka_unit_test(test_stated_group_severity),
        cmocka_unit_test(test_symbol_spellings),
        cmocka_unit_test(test_stated_groups_of_real_cifs),
        cmocka_unit_test(test_spglib_failure_message),
        cmocka_unit_test(test_overflowing_cell_not_passed),
        cmocka_unit_test(test_threads_keep_their_answers),
        cmocka_unit_test(test_formula_parser),
        cmocka_unit_test(test_bond_score_matches_crystalnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
