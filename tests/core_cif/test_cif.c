/* CIF 1.1 and crystal-text-llm readers: agreement with pymatgen 2022.11.7 on
 * the fixture subsets in tests/data/readers, the CIF features one by one,
 * and malformed inputs (clear errors, no crash, processing goes on). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"
#include "mmscore/elements.h"
#include "mmscore/reader.h"

#define DATA MMSCORE_TEST_DATA "/readers"

/* ---- agreement on the fixture subsets ---- */

static void expect_full_agreement(const cmp_stats *st, size_t rows)
{
    assert_int_equal(st->rows, rows);
    assert_int_equal(st->parse_agree, st->rows);
    assert_int_equal(st->sites_agree, st->both_ok);
    assert_int_equal(st->formula_agree, st->both_ok);
    assert_int_equal(st->comp_agree, st->comp_checked);
    assert_int_equal(st->volume_agree, st->volume_checked);
    assert_int_equal(st->density_agree, st->density_checked);
}

static void test_fixture_csvs(void **state)
{
    (void)state;
    static const struct { const char *name; size_t rows; } sets[] = {
        {"perov_5_test", 20}, {"perov_5_val", 20}, {"carbon_24_test", 20},
        {"llama2_7b_metastable", 20}, {"perturbed", 44}};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        char csv[512], ref[512];
        snprintf(csv, sizeof csv, DATA "/%s.csv", sets[i].name);
        snprintf(ref, sizeof ref, DATA "/%s.ref.jsonl", sets[i].name);
        cmp_stats st = {0};
        assert_int_equal(cmp_csv(csv, ref, &st, stderr, 50), 0);
        cmp_print(stderr, sets[i].name, &st);
        expect_full_agreement(&st, sets[i].rows);
        assert_true(st.comp_checked > 0 && st.volume_checked > 0);
    }
}

static void test_cif_corpus(void **state)
{
    (void)state;
    cmp_stats st = {0};
    assert_int_equal(cmp_folder(DATA "/cif_corpus", DATA "/cif_corpus.ref.jsonl", &st, stderr, 50),
                     0);
    cmp_print(stderr, "cif_corpus", &st);
    expect_full_agreement(&st, 48);
    assert_int_equal(st.ref_ok, 46); /* bad_occu.cif and the disordered magnetic CIF fail */
}

/* ---- reading helpers ---- */

typedef struct got {
    mms_structure *s[4];
    mms_error err[4];
    int n, n_err;
} got;

static int collect(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    got *g = ctx;
    assert_int_equal(block, (size_t)(g->n + g->n_err));
    if (s) {
        if (g->n < 4)
            g->s[g->n] = s;
        else
            mms_structure_free(s);
        g->n++;
    } else {
        assert_non_null(err);
        assert_true(err->code < 0);
        assert_true(err->message[0] != '\0');
        if (g->n_err < 4)
            g->err[g->n_err] = *err;
        g->n_err++;
    }
    return 0;
}

static void got_free(got *g)
{
    for (int i = 0; i < g->n && i < 4; i++)
        mms_structure_free(g->s[i]);
}

static int read_str(const char *text, got *g, const mms_read_options *opt)
{
    memset(g, 0, sizeof *g);
    mms_error e;
    return mms_read_cif(text, strlen(text), opt, collect, g, &e);
}

static const char *CELL = "_cell_length_a 5.64(2)\n_cell_length_b 5.64\n_cell_length_c 5.64\n"
                          "_cell_angle_alpha 90\n_cell_angle_beta 90.0(1)\n_cell_angle_gamma 90\n";

static void test_symbol_only_expansion(void **state)
{
    (void)state;
    char text[2048];
    /* NaCl: two atoms, space group only by its H-M symbol -> spglib database */
    snprintf(text, sizeof text,
             "data_NaCl\n%s_symmetry_space_group_name_H-M 'F m -3 m'\n"
             "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
             "_atom_site_fract_y\n_atom_site_fract_z\nNa1 Na+ 0 0 0\nCl1 Cl- 0.5 0.5 0.5\n",
             CELL);
    got g;
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.s[0]->n_sites, 8);
    assert_true(fabs(g.s[0]->abc[0] - 5.64) < 1e-12);
    assert_true(fabs(g.s[0]->angles[1] - 90.0) < 1e-12);
    assert_int_equal(g.s[0]->has_oxidation, 0); /* no _atom_type table: elements */
    assert_string_equal(g.s[0]->name, "NaCl");
    assert_string_equal(g.s[0]->format, "cif");
    /* pymatgen's site order: Na (lower electronegativity) first */
    assert_int_equal(g.s[0]->sites[0].species[0].z, 11);
    assert_int_equal(g.s[0]->sites[7].species[0].z, 17);
    got_free(&g);

    /* "P 21/c" is a symbol pymatgen 2022.11.7 does not resolve: with no
     * number either, its P1 default puts the atom's 3 images on the a axis */
    snprintf(text, sizeof text,
             "data_m\n%s_symmetry_space_group_name_H-M 'P 21/c'\nloop_\n_atom_site_label\n"
             "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nC1 0.1 0.2 0.3\n",
             CELL);
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    assert_int_equal(g.s[0]->n_sites, 3);
    got_free(&g);

    /* the same by Hall symbol, and by number (new tag names) */
    const char *alts[] = {"_space_group_name_Hall '-F 4 2 3'\n", "_space_group_IT_number 225\n",
                          "_symmetry_Int_Tables_number 225\n",
                          "_space_group_name_H-M_alt 'F m -3 m'\n"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(text, sizeof text,
                 "data_x\n%s%sloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
                 "_atom_site_fract_z\nNa1 0 0 0\nCl1 0.5 0.5 0.5\n",
                 CELL, alts[i]);
        assert_int_equal(read_str(text, &g, NULL), MMS_OK);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.s[0]->n_sites, 8);
        got_free(&g);
    }
}

static void test_listed_ops_and_merging(void **state)
{
    (void)state;
    char text[2048];
    /* new-style op tag, upper-case tag names, su's, 2/3 rounding, two half
     * occupancies on one position (disordered) */
    snprintf(text, sizeof text,
             "data_y\n%sloop_\n_SPACE_GROUP_SYMOP_OPERATION_XYZ\n'x, y, z'\n'-x, -y, z+1/2'\n"
             "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
             "_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
             "Fe1 Fe 0.66668(3) 0.3333 0.1 0.5\nCo1 Co 0.66667 0.33333 0.1 0.5\n"
             "O1 O 0 0 0 1.0\n",
             CELL);
    got g;
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    assert_int_equal(g.n, 1);
    const mms_structure *s = g.s[0];
    assert_int_equal(s->n_sites, 4); /* (Fe,Co) x 2 images, O x 2: as pymatgen */
    assert_int_equal(s->is_ordered, 0);
    int found = 0, exact = 0;
    for (size_t i = 0; i < s->n_sites; i++)
        if (s->sites[i].n_species == 2) {
            found++;
            /* the identity image keeps the coordinate rounded to 2/3, 1/3 */
            exact += s->sites[i].frac[0] == 2 / 3.0 && s->sites[i].frac[1] == 1 / 3.0;
        }
    assert_int_equal(found, 2);
    assert_int_equal(exact, 1);
    char f[64];
    assert_int_equal(mms_structure_formula_reduced(s, f, sizeof f, NULL), MMS_OK);
    assert_string_equal(f, "FeCoO2");
    /* tags: quotes removed, loops kept, case-insensitive */
    const char *const *vals;
    assert_int_equal(mms_structure_loop(s, "_space_group_symop_operation_xyz", &vals), 2);
    assert_string_equal(vals[1], "-x, -y, z+1/2");
    assert_string_equal(mms_structure_tag(s, "_cell_length_a"), "5.64(2)");
    got_free(&g);
}

/* More than 32 positions (the grid path): pairs 3e-5 apart straddling grid
 * cell walls and the periodic boundary merge into one site each.  Without
 * any symmetry information pymatgen's broken "P1" (three one-part
 * operations x / y / z) applies: 88 sites, the number pymatgen gives. */
static void test_merging_on_grid(void **state)
{
    (void)state;
    for (int with_ops = 1; with_ops >= 0; with_ops--) {
    size_t cap = 16384, k = 0;
    char *text = malloc(cap);
    k += (size_t)snprintf(text + k, cap - k,
                          "data_g\n%s%sloop_\n_atom_site_label\n_atom_site_type_symbol\n"
                          "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
                          "_atom_site_occupancy\n",
                          CELL, with_ops ? "loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\n" : "");
    for (int i = 0; i < 40; i++) {
        double x = 0.0004 * (100 + 53 * i); /* on a wall of the 1/2500 grid */
        k += (size_t)snprintf(text + k, cap - k,
                              "A%d Fe %.6f 0.3 0.7 0.5\nB%d Co %.6f 0.3 0.7 0.5\n", i, x, i,
                              x - 0.00003);
    }
    k += (size_t)snprintf(text + k, cap - k,
                          "N Ni 0.99998 0.5 0.5 0.5\nC Cu 0.00001 0.5 1.5 0.5\n");
    got g;
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    assert_int_equal(g.n, 1);
    if (with_ops) {
        assert_int_equal(g.s[0]->n_sites, 41);
        for (size_t i = 0; i < g.s[0]->n_sites; i++)
            assert_int_equal(g.s[0]->sites[i].n_species, 2);
    } else {
        assert_int_equal(g.s[0]->n_sites, 88);
        for (size_t i = 0; i < g.s[0]->n_sites; i++)
            assert_true(g.s[0]->sites[i].frac[1] == 0 && g.s[0]->sites[i].frac[2] == 0);
    }
    got_free(&g);
    free(text);
    }
}

/* Without symmetry information, pymatgen's broken P1 default and its
 * coordinate-keyed dict: Ge and Sb given at the same coordinates do not
 * merge (no identity operation maps one onto the other), the later one
 * replaces the earlier; the Te atom at (0.2, 0.6, 0.9) becomes three atoms
 * on the a axis.  pymatgen 2022.11.7 reads this as Sb0.4 Te3. */
static void test_pymatgen_p1_default(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "data_q\n%sloop_\n_atom_site_label\n_atom_site_type_symbol\n"
             "_atom_site_occupancy\n_atom_site_fract_x\n_atom_site_fract_y\n"
             "_atom_site_fract_z\nGe Ge 0.4 0.5 0.5 0.5\nSb Sb 0.4 0.5 0.5 0.5\n"
             "Te Te 1 0.2 0.6 0.9\n",
             CELL);
    got g;
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    assert_int_equal(g.n, 1);
    char f[64];
    assert_int_equal(mms_structure_formula_reduced(g.s[0], f, sizeof f, NULL), MMS_OK);
    assert_string_equal(f, "Sb0.4Te3");
    assert_int_equal(g.s[0]->n_sites, 4);
    got_free(&g);
}

static void test_oxidation_table_and_labels(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "data_z\n%sloop_\n_atom_type_symbol\n_atom_type_oxidation_number\nFe3+ 3\nO2- -2\n"
             "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n"
             "_atom_site_fract_z\nFe1 0 0 0\nOW2 0.5 0.5 0.5\nCA3 0.25 0.25 0.25\n"
             "OH4 0.1 0.1 0.1\n",
             CELL);
    got g;
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    const mms_structure *s = g.s[0];
    assert_int_equal(s->n_sites, 3); /* "OH4" is no atom for pymatgen */
    assert_int_equal(s->has_oxidation, 1);
    int fe = 0, o = 0, ca = 0;
    for (size_t i = 0; i < s->n_sites; i++) {
        const mms_species *sp = &s->sites[i].species[0];
        assert_int_equal(sp->has_oxidation, 1);
        if (sp->z == 26)
            fe++, assert_true(sp->oxidation == 3.0);
        if (sp->z == 8)
            o++, assert_true(sp->oxidation == -2.0);
        if (sp->z == 20) /* "CA3": first two letters title-cased, as pymatgen */
            ca++, assert_true(sp->oxidation == 0.0);
    }
    assert_int_equal(fe + o + ca, 3);
    got_free(&g);
}

static void test_cartesian_and_text_fields(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "# comment\ndata_c\n_publ_section_title\n;\nA multi-line\n title; with 'quotes'\n;\n"
             "%s_chemical_formula_sum \"Si2\"\n_space_group_IT_number 1\n"
             "loop_\n_atom_site_label\n_atom_site_Cartn_x\n"
             "_atom_site_Cartn_y\n_atom_site_Cartn_z\nSi1 0 0 0 # first\nSi2 1.41 1.41 1.41\n"
             "data_second\n%sloop_\n_atom_site_type_symbol\n_atom_site_fract_x\n"
             "_atom_site_fract_y\n_atom_site_fract_z\nC 0 0 0\n",
             CELL, CELL);
    got g;
    assert_int_equal(read_str(text, &g, NULL), MMS_OK);
    assert_int_equal(g.n, 2);
    const mms_structure *s = g.s[0];
    assert_int_equal(s->n_sites, 2);
    double frac = 1.41 / 5.64;
    assert_true(fabs(s->sites[1].frac[2] - frac) < 1e-12 ||
                fabs(s->sites[0].frac[2] - frac) < 1e-12);
    assert_string_equal(mms_structure_tag(s, "_chemical_formula_sum"), "Si2");
    assert_non_null(strstr(mms_structure_tag(s, "_publ_section_title"), "title; with 'quotes'"));
    assert_string_equal(g.s[1]->name, "second");
    assert_int_equal(g.s[1]->line, 23);
    got_free(&g);
}

static void test_limits(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "data_big\n%s_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n"
             "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nC1 0.1 0.2 0.3\n",
             CELL);
    got g;
    mms_read_options opt = {.max_sites = 50};
    assert_int_equal(read_str(text, &g, &opt), MMS_OK);
    assert_int_equal(g.n, 0); /* 96 images (as pymatgen) > 50 */
    assert_int_equal(g.err[0].code, MMS_ELIMIT);
    assert_non_null(strstr(g.err[0].message, "max_sites"));
    opt.max_sites = 2; /* 1 atom x 192 operations > 64 x 2: refused before expanding */
    assert_int_equal(read_str(text, &g, &opt), MMS_OK);
    assert_int_equal(g.err[0].code, MMS_ELIMIT);
    assert_non_null(strstr(g.err[0].message, "could give more sites"));

    /* a line over the limit fails its block, the next block still reads */
    size_t n = 3 << 20;
    char *big = malloc(n + 4096);
    int k = snprintf(big, 4096, "data_a\n_title ");
    memset(big + k, 'x', n);
    snprintf(big + k + n, 4096,
             "\ndata_b\n%sloop_\n_atom_site_type_symbol\n_atom_site_fract_x\n"
             "_atom_site_fract_y\n_atom_site_fract_z\nC 0 0 0\n",
             CELL);
    assert_int_equal(read_str(big, &g, NULL), MMS_OK);
    assert_int_equal(g.n_err, 1);
    assert_int_equal(g.err[0].code, MMS_ELIMIT);
    assert_int_equal(g.err[0].line, 2);
    assert_int_equal(g.n, 1);
    got_free(&g);
    free(big);
}

/* ---- malformed files: each gives its error, none crashes ---- */

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int rc;          /* mms_read_cif's return */
        int n_ok, n_err; /* structures / block errors */
        int code;        /* first block error */
        long line;       /* its line, 0 = any */
        const char *msg; /* substring of its message */
    } cases[] = {
        {"empty.cif", MMS_EPARSE, 0, 0, 0, 0, "data_"},
        {"whitespace_only.cif", MMS_EPARSE, 0, 0, 0, 0, "data_"},
        {"data_nothing.cif", MMS_OK, 0, 1, MMS_EPARSE, 1, "_cell_length_a"},
        {"no_atoms.cif", MMS_OK, 0, 1, MMS_EPARSE, 1, "no atoms"},
        {"truncated_loop.cif", MMS_OK, 0, 1, MMS_EPARSE, 19, "expected 6 values"},
        {"unterminated_text_field.cif", MMS_OK, 0, 1, MMS_EPARSE, 12, "never closed"},
        {"unterminated_quote.cif", MMS_OK, 1, 0, 0, 0, NULL}, /* read as pymatgen does */
        {"huge_numbers.cif", MMS_OK, 0, 1, MMS_EPARSE, 2, "finite number"},
        {"nan_inf.cif", MMS_OK, 0, 1, MMS_EPARSE, 19, "atom Cl1"},
        {"zero_cell.cif", MMS_OK, 1, 0, 0, 0, NULL},       /* flat: read, volume 0 */
        {"negative_cell.cif", MMS_OK, 1, 0, 0, 0, NULL},
        {"impossible_angles.cif", MMS_OK, 1, 0, 0, 0, NULL}, /* pymatgen's flat cell */
        {"duplicate_tags.cif", MMS_OK, 1, 0, 0, 0, NULL},    /* last value wins */
        {"tag_without_value.cif", MMS_OK, 0, 1, MMS_EPARSE, 8, "expected a value after"},
        {"loop_without_values.cif", MMS_OK, 0, 1, MMS_EPARSE, 11, "loop_ has no values"},
        {"unknown_element.cif", MMS_OK, 0, 1, MMS_EPARSE, 18, "element symbol"},
        {"question_coords.cif", MMS_OK, 0, 1, MMS_EPARSE, 19, "expected a number"},
        {"bad_symop.cif", MMS_OK, 1, 0, 0, 0, NULL}, /* "x, y": zero z row, as pymatgen */
        {"overfull_site.cif", MMS_OK, 0, 1, MMS_EPARSE, 18, "sum to 2"},
        {"second_block_bad.cif", MMS_OK, 1, 1, MMS_EPARSE, 20, "_cell_length_b"},
        {"symmetry_blowup.cif", MMS_OK, 0, 1, MMS_ELIMIT, 0, "max_sites"},
        {"many_symops.cif", MMS_OK, 0, 1, MMS_ELIMIT, 10, "symmetry operations"},
        {"save_frame.cif", MMS_OK, 0, 1, MMS_EPARSE, 2, "save frames"},
        {"binary_junk.cif", MMS_OK, 0, 1, MMS_EPARSE, 0, "binary byte"},
        {"nul_in_value.cif", MMS_OK, 0, 1, MMS_EPARSE, 18, "binary byte 0x00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[512];
        snprintf(path, sizeof path, DATA "/malformed/%s", cases[i].file);
        size_t len;
        char *text = cmp_slurp(path, &len);
        assert_non_null(text);
        got g;
        memset(&g, 0, sizeof g);
        mms_error e;
        int rc = mms_read_cif(text, len, NULL, collect, &g, &e);
        fprintf(stderr, "%-28s rc=%d ok=%d err=%d %s\n", cases[i].file, rc, g.n, g.n_err,
                g.n_err ? g.err[0].message : (rc ? e.message : ""));
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(g.n, cases[i].n_ok);
        assert_int_equal(g.n_err, cases[i].n_err);
        if (rc != MMS_OK)
            assert_non_null(strstr(e.message, cases[i].msg));
        if (g.n_err) {
            assert_int_equal(g.err[0].code, cases[i].code);
            if (cases[i].line)
                assert_int_equal(g.err[0].line, cases[i].line);
            assert_non_null(strstr(g.err[0].message, cases[i].msg));
        }
        got_free(&g);
        free(text);
    }
}

/* Every byte-prefix of a real CIF: truncation anywhere must give an error
 * or a structure, never a crash (the ASan build runs this too): a call that
 * fails says why and hands over nothing; one that succeeds hands over the
 * one block, as a structure of at most the whole file's sites or as an error
 * with a message; the whole file reads completely. */
static void test_truncations(void **state)
{
    (void)state;
    size_t len;
    char *text = cmp_slurp(DATA "/cif_corpus/Fe3O4.cif", &len);
    assert_non_null(text);
    got whole;
    memset(&whole, 0, sizeof whole);
    mms_error e;
    assert_int_equal(mms_read_cif(text, len, NULL, collect, &whole, &e), MMS_OK);
    assert_int_equal(whole.n, 1);
    assert_int_equal(whole.n_err, 0);
    const size_t sites = whole.s[0]->n_sites;
    assert_true(sites > 0);
    got_free(&whole);
    size_t n_fail = 0, n_struct = 0, n_block_err = 0;
    for (size_t n = 0; n <= len; n += (n < 200 ? 1 : 7)) {
        char *cut = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(cut, text, n);
        got g;
        memset(&g, 0, sizeof g);
        mms_error_clear(&e);
        int rc = mms_read_cif(cut, n, NULL, collect, &g, &e);
        if (rc != MMS_OK) {
            assert_true(rc < 0);
            assert_true(e.message[0] != '\0');
            assert_int_equal(g.n, 0);
            n_fail++;
        } else {
            assert_int_equal(g.n + g.n_err, 1);
            if (g.n) {
                assert_true(g.s[0]->n_sites >= 1 && g.s[0]->n_sites <= sites);
                n_struct++;
            } else {
                n_block_err++; /* collect() checked its code and message */
            }
        }
        got_free(&g);
        free(cut);
    }
    /* Prefixes before data_ fail, prefixes cut inside the block are block
     * errors, the last ones (after the atom loop) read. */
    assert_true(n_fail > 0 && n_block_err > 0 && n_struct > 0);
    free(text);
}

/* Random mutations of real CIFs (byte changes, inserted CIF syntax,
 * deletions, truncation), read by both readers: nothing may crash or leak
 * (the ASan/UBSan build runs this); each text gives structures or errors. */
static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

static void test_mutations(void **state)
{
    (void)state;
    static const char *const files[] = {"Fe3O4.cif", "CsI3Pb.cif", "magnetic.example.NiO.mcif",
                                        "Cod_2100513.cif", "srycoo.cif"};
    static const char *const junk[] = {"'",  "\"", "\n;", ";", "#", "loop_\n", "data_x\n",
                                       "?",  ".",  "(",    "1e999", "nan", "\n", " -x,y,z ",
                                       "_atom_site_fract_x ",
                                       "_symmetry_space_group_name_H-M 'F m -3 m'\n"};
    uint64_t seed = 42;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[512];
        snprintf(path, sizeof path, DATA "/cif_corpus/%s", files[f]);
        size_t n;
        char *text = cmp_slurp(path, &n);
        assert_non_null(text);
        for (int it = 0; it < 200; it++) {
            size_t cap = n + 2048, len = n;
            char *b = malloc(cap);
            memcpy(b, text, n);
            for (int m = 1 + (int)(lcg(&seed) % 6); m > 0; m--) {
                size_t pos = len ? lcg(&seed) % len : 0;
                switch (lcg(&seed) % 4) {
                case 0:
                    if (len)
                        b[pos] = (char)(lcg(&seed) % 256);
                    break;
                case 1: {
                    const char *j = junk[lcg(&seed) % (sizeof junk / sizeof *junk)];
                    size_t jl = strlen(j);
                    if (len + jl < cap) {
                        memmove(b + pos + jl, b + pos, len - pos);
                        memcpy(b + pos, j, jl);
                        len += jl;
                    }
                    break;
                }
                case 2: {
                    size_t dl = 1 + lcg(&seed) % 40;
                    if (pos + dl > len)
                        dl = len - pos;
                    memmove(b + pos, b + pos + dl, len - pos - dl);
                    len -= dl;
                    break;
                }
                default:
                    len = pos;
                }
            }
            char *exact = malloc(len ? len : 1); /* exact size: ASan sees overreads */
            memcpy(exact, b, len);
            free(b);
            got g;
            memset(&g, 0, sizeof g);
            mms_error e;
            int rc = mms_read_cif(exact, len, NULL, collect, &g, &e);
            assert_true(rc == MMS_OK || rc == MMS_EPARSE || rc == MMS_ELIMIT);
            assert_true(rc != MMS_OK || g.n + g.n_err > 0);
            got_free(&g);
            memset(&g, 0, sizeof g);
            assert_int_equal(mms_read_text(exact, len, NULL, collect, &g, &e), MMS_OK);
            assert_int_equal(g.n + g.n_err, 1);
            got_free(&g);
            free(exact);
        }
        free(text);
    }
}

/* ---- crystal-text-llm text ---- */

static int text_rc(const char *text, got *g)
{
    memset(g, 0, sizeof *g);
    mms_error e;
    int rc = mms_read_format("text", text, strlen(text), NULL, collect, g, &e);
    assert_int_equal(rc, MMS_OK);
    return g->n ? MMS_OK : g->err[0].code;
}

static void test_text_reader(void **state)
{
    (void)state;
    got g;
    assert_int_equal(text_rc("4.1 4.1 4.1\n90 90 90\nO\n0.50 0.50 0.00\nBa\n0.00 0.00 0.00\n"
                             "\nTi\n0.50 0.50 0.50\r\nO\n0.50 0.00 0.50\nO\n0.00 0.50 0.50\n",
                             &g),
                     MMS_OK);
    const mms_structure *s = g.s[0];
    assert_int_equal(s->n_sites, 5);
    assert_string_equal(s->format, "text");
    assert_true(fabs(s->volume - 4.1 * 4.1 * 4.1) < 1e-9);
    char f[64];
    mms_structure_formula_reduced(s, f, sizeof f, NULL);
    assert_string_equal(f, "BaTiO3");
    assert_int_equal(s->sites[0].species[0].z, 56); /* sorted as after the CIF round trip */
    got_free(&g);

    assert_int_equal(text_rc("4 4 4\n90 90 90\nFe2+\n0 0 0.3333\n", &g), MMS_OK);
    assert_int_equal(g.s[0]->has_oxidation, 1);
    assert_true(g.s[0]->sites[0].species[0].oxidation == 2.0);
    assert_true(g.s[0]->sites[0].frac[2] == 1 / 3.0);
    got_free(&g);

    static const struct { const char *text; long line; const char *msg; } bad[] = {
        {"4 4\n90 90 90\nFe\n0 0 0\n", 1, "expected 3 numbers"},
        {"4 4 4\n90 90 90\nFe\n0 0 0\nO\n", 5, "no coordinate line"},
        {"4 4 4\n90 90 x\nFe\n0 0 0\n", 2, "lattice angles"},
        {"4 4 4\n90 90 90\nXq\n0 0 0\n", 3, "element symbol"},
        {"4 4 4\n90 90 90\nFe\n0 0\n", 4, "fractional coordinates"},
        {"4 4 4\n90 90 90\nFe\n0 0 0\nO\n0.00001 0 0\n", 5, "same position"},
        {"4 4 4\n", 1, "angles line"},
        {"", 0, "angles line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(text_rc(bad[i].text, &g), MMS_EPARSE);
        if (bad[i].line)
            assert_int_equal(g.err[0].line, bad[i].line);
        assert_non_null(strstr(g.err[0].message, bad[i].msg));
    }
    mms_error e;
    assert_int_equal(mms_read_format("poscar", "x", 1, NULL, collect, &g, &e), MMS_EUNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_csvs),
        cmocka_unit_test(test_cif_corpus),
        cmocka_unit_test(test_symbol_only_expansion),
        cmocka_unit_test(test_listed_ops_and_merging),
        cmocka_unit_test(test_merging_on_grid),
        cmocka_unit_test(test_pymatgen_p1_default),
        cmocka_unit_test(test_oxidation_table_and_labels),
        cmocka_unit_test(test_cartesian_and_text_fields),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_text_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
