/* Writers and `mmscore convert`: exact round trips on a fixture subset
 * (tests/data/core_writer, see SOURCE.md), our CIF against the CIFs
 * pymatgen's CifWriter wrote for the same structures, and the command end to
 * end (raw LLM text in, CIF out; disordered structures refused by POSCAR;
 * file naming). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "roundtrip.h"

#define DATA MMSCORE_TEST_DATA "/core_writer"

static void test_roundtrip_subset(void **unused)
{
    (void)unused;
    const char *inputs[] = {DATA "/structures.csv", DATA "/corpus"};
    rt_counts c;
    assert_int_equal(rt_run_inputs(inputs, 2, &c, 20), MMS_OK);
    /* P-00430 puts two atoms on one position (occupancies sum to 2): not
     * a structure, for pymatgen either; every other record reads. */
    assert_int_equal(c.unread, 1);
    assert_true(c.records >= 80);
    for (int f = 0; f < RT_NFMT; f++) {
        assert_int_equal(c.failed[f], 0);
        assert_int_equal(c.exact[f] + c.snapped[f] + c.flat[f] + c.reordered[f] + c.skipped[f],
                         c.records - c.unread);
    }
    /* CIF holds everything; the subset has disordered structures that the
     * other formats must refuse rather than write wrongly. */
    assert_int_equal(c.exact[RT_CIF] + c.snapped[RT_CIF] + c.flat[RT_CIF] + c.reordered[RT_CIF],
                     c.records - c.unread);
    assert_true(c.skipped[RT_POSCAR] > 0);
    assert_int_equal(c.skipped[RT_POSCAR], c.skipped[RT_XYZ]);
    /* The subset holds one of each reader-side exception (see roundtrip.h),
     * so their classification is exercised too. */
    assert_true(c.snapped[RT_CIF] > 0 && c.flat[RT_CIF] > 0 && c.reordered[RT_CIF] > 0);
}

static void test_layout_matches_pymatgen(void **unused)
{
    (void)unused;
    const char *names[] = {"llama2_0.cif", "llama2_1.cif", "perov_0.cif", "carbon_0.cif",
                           "oxi_0.cif"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[1024], why[512] = "";
        snprintf(path, sizeof path, "%s/pymatgen/%s", DATA, names[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        long exact = 0, close = 0;
        int r = rt_layout(buf, n, &exact, &close, why, sizeof why);
        if (r != 1)
            fail_msg("%s: %s", names[i], why);
        assert_true(exact > 0);
    }
}

/* Run the CLI with sh; returns its exit status. */
static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    if (buf && fread(buf, 1, (1 << 20) - 1, f) == 0) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int keep(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)block;
    (void)err;
    mms_structure **out = ctx;
    if (s && !*out)
        *out = s;
    else
        mms_structure_free(s);
    return MMS_OK;
}

static char tmp[256];

static int make_tmp(void **unused)
{
    (void)unused;
    snprintf(tmp, sizeof tmp, "/tmp/mmscore_writer_XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int remove_tmp(void **unused)
{
    (void)unused;
    return run("rm -rf '%s'", tmp) == 0 ? 0 : -1;
}

/* The everyday use: raw crystal-text-llm output in, CIF out, read back as
 * the same structure the text reader builds. */
static void test_convert_llm_text_to_cif(void **unused)
{
    (void)unused;
    const char *text = "4.1 4.1 4.1\n90 90 90\nSr\n0.00 0.00 0.00\nTi\n0.50 0.50 0.50\n"
                       "O\n0.50 0.50 0.00\nO\n0.50 0.00 0.50\nO\n0.00 0.50 0.50\n";
    char in[512], out[512], rec[512];
    snprintf(in, sizeof in, "%s/SrTiO3.txt", tmp);
    snprintf(out, sizeof out, "%s/cif", tmp);
    snprintf(rec, sizeof rec, "%s/records.jsonl", tmp);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(run("'%s' convert -q '%s' --to cif --out '%s' --records '%s'", MMSCORE_CLI,
                         in, out, rec), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/SrTiO3.cif", out);
    char *cif = slurp(path);
    assert_non_null(cif);
    assert_non_null(strstr(cif, "_chemical_formula_sum   'Sr1 Ti1 O3'"));
    mms_structure *a = NULL, *b = NULL;
    mms_error err;
    assert_int_equal(mms_read_text(text, strlen(text), NULL, keep, &a, &err), MMS_OK);
    assert_int_equal(mms_read_cif(cif, strlen(cif), NULL, keep, &b, &err), MMS_OK);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->n_sites, b->n_sites);
    for (size_t i = 0; i < a->n_sites; i++) {
        assert_int_equal(a->sites[i].species[0].z, b->sites[i].species[0].z);
        assert_memory_equal(a->sites[i].frac, b->sites[i].frac, sizeof a->sites[i].frac);
    }
    assert_true(fabs(a->volume - b->volume) <= 1e-12 * a->volume);
    mms_structure_free(a);
    mms_structure_free(b);
    free(cif);
    char *r = slurp(rec);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"written\":\""));
    assert_non_null(strstr(r, "/cif/SrTiO3.cif\""));
    free(r);
}

/* POSCAR cannot hold partial occupancy: the record is counted as not
 * written (reason "disordered"), with written = null; the run still exits 0
 * as validate does.  Ids that sanitise to the same name get the index; a
 * leading '-' becomes '_'. */
static void test_convert_refusals_and_names(void **unused)
{
    (void)unused;
    char in[512], out[512], rec[512], sum[512];
    snprintf(in, sizeof in, "%s/mixed.jsonl", tmp);
    snprintf(out, sizeof out, "%s/poscar", tmp);
    snprintf(rec, sizeof rec, "%s/records2.jsonl", tmp);
    snprintf(sum, sizeof sum, "%s/summary.json", tmp);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("{\"id\": \"a/b\", \"text\": \"3 3 3\\n90 90 90\\nNa\\n0 0 0\\n\"}\n"
          "{\"id\": \"a b\", \"text\": \"3 3 3\\n90 90 90\\nCl\\n0 0 0\\n\"}\n"
          "{\"id\": \"-k\", \"text\": \"3 3 3\\n90 90 90\\nK\\n0 0 0\\n\"}\n"
          "{\"id\": \"dis\", \"cif\": \"data_x\\n_cell_length_a 3\\n_cell_length_b 3\\n"
          "_cell_length_c 3\\n_cell_angle_alpha 90\\n_cell_angle_beta 90\\n"
          "_cell_angle_gamma 90\\nloop_\\n_atom_site_type_symbol\\n_atom_site_fract_x\\n"
          "_atom_site_fract_y\\n_atom_site_fract_z\\n_atom_site_occupancy\\n"
          "Fe 0 0 0 0.5\\nNi 0 0 0 0.5\\n\"}\n",
          f);
    fclose(f);
    assert_int_equal(run("'%s' convert '%s' --to poscar --out '%s' --records '%s' --json > '%s' "
                         "2>/dev/null",
                         MMSCORE_CLI, in, out, rec, sum),
                     0);
    char path[600];
    snprintf(path, sizeof path, "%s/a_b.poscar", out);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/a_b_1.poscar", out);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/_k.poscar", out); /* never a name like an option */
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/dis.poscar", out);
    assert_int_not_equal(access(path, R_OK), 0);
    char *r = slurp(rec);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"id\":\"dis\""));
    assert_non_null(strstr(strstr(r, "\"id\":\"dis\""), "\"written\":null"));
    free(r);
    char *s = slurp(sum);
    assert_non_null(s);
    cJSON *j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(j, "convert");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(conv, "written")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(conv, "not_written")->valueint, 1);
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(conv, "reasons");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(reasons, "disordered")->valueint, 1);
    cJSON_Delete(j);
    /* usage errors */
    assert_int_equal(run("'%s' convert -q '%s' --to docx --out '%s' 2>/dev/null", MMSCORE_CLI, in,
                         out), 2);
    assert_int_equal(run("'%s' convert -q '%s' --to cif 2>/dev/null", MMSCORE_CLI, in), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_subset),
        cmocka_unit_test(test_layout_matches_pymatgen),
        cmocka_unit_test(test_convert_llm_text_to_cif),
        cmocka_unit_test(test_convert_refusals_and_names),
    };
    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
