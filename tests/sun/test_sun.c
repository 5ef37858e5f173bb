/* sun plugin through the host: every generated row's verdicts and every
 * rate equal to pymatgen 2022.11.7's (MatterGen and CrystaLLM definitions),
 * a row that cannot be matched counted and said, the same answers with
 * several threads, and a state with generated records refusing to merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mmscore/host.h"
#include "mmscore/plugin.h"

#define DATA MMSCORE_TEST_DATA "/sun/"

typedef struct run {
    const char *definition;
    int threads, hull;
    const char *input, *buf; /* file, or CSV text */
    const char *save;
    int rc;
    mms_error err;
    cJSON *records, *summary;
} run;

static void do_run(run *r)
{
    mms_host *h;
    mms_error *err = &r->err;
    assert_int_equal(mms_host_new(&h, err), MMS_OK);
    assert_int_equal(mms_host_load_dir(h, MMSCORE_PLUGIN_BUILD_DIR, err), MMS_OK);
    assert_int_equal(mms_host_set_option(h, "novelty_ref", DATA "novelty_ref.csv", err), MMS_OK);
    if (r->hull)
        assert_int_equal(mms_host_set_option(h, "hull_ref", MMSCORE_TEST_DATA "/stability/hull_ref.csv",
                                             err), MMS_OK);
    if (r->definition)
        assert_int_equal(mms_host_set_option(h, "sun_definition", r->definition, err), MMS_OK);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = r->threads ? r->threads : 1;
    opt.records = f;
    mms_pipeline *p;
    assert_int_equal(mms_pipeline_new(&p, h, &opt, err), MMS_OK);
    int rc = mms_pipeline_select_command(p, "eval", err); /* eval:novelty_ref, eval:hull_ref */
    if (!rc) rc = mms_pipeline_start(p, err);
    if (!rc && r->input) rc = mms_pipeline_add_input(p, r->input, "generated", err);
    if (!rc && r->buf)
        rc = mms_pipeline_add_buffer(p, "mem", "csv", r->buf, strlen(r->buf), "generated", err);
    if (!rc && r->save) rc = mms_pipeline_save_state(p, r->save, err);
    cJSON *sum = NULL;
    if (!rc) rc = mms_pipeline_finish(p, &sum, err);
    r->rc = rc;
    mms_pipeline_free(p);
    mms_host_free(h);
    fclose(f);
    r->records = cJSON_CreateArray();
    for (char *line = strtok(mem, "\n"); line; line = strtok(NULL, "\n"))
        cJSON_AddItemToArray(r->records, cJSON_Parse(line));
    free(mem);
    r->summary = cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sum, "plugins"), "sun"), 1);
    cJSON_Delete(sum);
}

static cJSON *read_jsonl(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cJSON *a = cJSON_CreateArray();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) cJSON_AddItemToArray(a, cJSON_Parse(line));
    free(line);
    fclose(f);
    return a;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* bool or null, as JSON: equal */
static void same(const cJSON *want, const cJSON *got, const char *what, const char *id)
{
    int ok;
    if (cJSON_IsNull(want) || !want)
        ok = !got || cJSON_IsNull(got);
    else if (cJSON_IsBool(want))
        ok = cJSON_IsBool(got) && cJSON_IsTrue(want) == cJSON_IsTrue(got);
    else if (cJSON_IsNumber(want))
        ok = cJSON_IsNumber(got) && want->valuedouble == got->valuedouble;
    else
        ok = cJSON_IsString(got) && !strcmp(want->valuestring, got->valuestring);
    if (!ok) {
        char *a = want ? cJSON_PrintUnformatted(want) : NULL, *b = got ? cJSON_PrintUnformatted(got) : NULL;
        print_error("%s %s: pymatgen %s, mmscore %s\n", id, what, a ? a : "absent", b ? b : "absent");
        free(a), free(b);
    }
    assert_true(ok);
}

static void parity(const char *definition, int threads)
{
    cJSON *want = read_jsonl(DATA "sun_public.ref.jsonl");
    assert_non_null(want);
    run r = {.definition = definition, .threads = threads, .hull = 1, .input = DATA "sun_public.csv"};
    do_run(&r);
    assert_int_equal(r.rc, MMS_OK);
    int cl = !strcmp(definition, "crystallm");
    size_t compared = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, r.records)
    {
        if (strcmp(cJSON_GetStringValue(get(rec, "set")), "generated")) continue;
        const cJSON *w = cJSON_GetArrayItem(want, (int)get(rec, "index")->valuedouble);
        const char *id = cJSON_GetStringValue(get(w, "id"));
        assert_string_equal(id, cJSON_GetStringValue(get(rec, "id")));
        const cJSON *c = cl ? get(w, "crystallm") : w;
        same(get(c, "unique"), get(rec, "unique"), "unique", id);
        same(get(c, "dup_of"), get(rec, "dup_of"), "dup_of", id);
        same(get(c, "novel"), get(rec, "novel"), "novel", id);
        same(get(c, "match_ref_id"), get(rec, "match_ref_id"), "match_ref_id", id);
        if (cl) {
            same(get(c, "novel_by_composition"), get(rec, "novel_by_composition"), "novel_by_composition", id);
        } else {
            same(get(w, "dup_of_id"), get(rec, "dup_of_id"), "dup_of_id", id);
            same(get(w, "sun"), get(rec, "sun"), "sun", id);
            same(get(w, "stable"), get(rec, "stable"), "stable", id);
        }
        compared++;
    }
    assert_int_equal(compared, 400);
    FILE *f = fopen(DATA "sun_public.summary.json", "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *ws = cJSON_Parse(buf);
    const cJSON *s = r.summary;
    assert_int_equal((long)get(s, "n_failed")->valuedouble, 0);
    assert_int_equal((long)get(s, "n_structures")->valuedouble, 400);
    if (cl) {
        const cJSON *c = get(ws, "crystallm");
        same(get(c, "n_valid_cifs"), get(s, "n_valid_cifs"), "n_valid_cifs", "summary");
        same(get(c, "n_unique_materials"), get(s, "n_unique_materials"), "n_unique_materials", "summary");
        same(get(c, "n_novel_materials"), get(s, "n_novel_materials"), "n_novel_materials", "summary");
        same(get(c, "n_novel_by_composition"), get(s, "n_novel_by_composition"), "n_novel_by_composition",
             "summary");
    } else {
        const cJSON *m = get(ws, "mattergen"), *k = get(m, "counts");
        const char *fr[] = {"frac_unique_structures", "frac_novel_structures", "frac_novel_unique_structures",
                            "frac_stable_structures", "frac_novel_unique_stable_structures"};
        for (size_t i = 0; i < 5; i++) same(get(m, fr[i]), get(s, fr[i]), fr[i], "summary");
        same(get(k, "unique"), get(s, "n_unique"), "n_unique", "summary");
        same(get(k, "novel"), get(s, "n_novel"), "n_novel", "summary");
        same(get(k, "novel_unique"), get(s, "n_novel_unique"), "n_novel_unique", "summary");
        same(get(k, "stable"), get(s, "n_stable"), "n_stable", "summary");
        same(get(k, "sun"), get(s, "n_sun"), "n_sun", "summary");
    }
    cJSON_Delete(ws);
    cJSON_Delete(want);
    cJSON_Delete(r.records), cJSON_Delete(r.summary);
}

static void test_mattergen(void **st)
{
    (void)st;
    parity("mattergen", 1);
}

static void test_crystallm(void **st)
{
    (void)st;
    parity("crystallm", 1);
}

static void test_threads(void **st)
{
    (void)st;
    parity("mattergen", 3);
    parity("crystallm", 4);
}

/* an unreadable row and a disordered one: per-record errors, counted in the
 * denominators and by reason; the ordered row after them still unique */
static void test_failures(void **st)
{
    (void)st;
    const char *csv =
        "id,cif\n"
        "bad,\"data_x\n_cell_length_a 3\n\"\n"
        "dis,\"data_d\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n_cell_angle_alpha 90\n"
        "_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
        "Fe1 Fe 0 0 0 0.5\nCo1 Co 0 0 0 0.5\n\"\n"
        "ok,\"data_o\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n_cell_angle_alpha 90\n"
        "_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nFe1 Fe 0 0 0\n\"\n";
    run r = {.definition = "mattergen", .buf = csv};
    do_run(&r);
    assert_int_equal(r.rc, MMS_OK);
    const cJSON *s = r.summary;
    assert_int_equal((long)get(s, "n_structures")->valuedouble, 3);
    assert_int_equal((long)get(s, "n_failed")->valuedouble, 2);
    assert_int_equal((long)get(get(s, "failed"), "unreadable")->valuedouble, 1);
    assert_int_equal((long)get(get(s, "failed"), "disordered")->valuedouble, 1);
    assert_int_equal((long)get(s, "n_unique")->valuedouble, 1);
    assert_true(get(s, "frac_unique_structures")->valuedouble == 1.0 / 3.0);
    const cJSON *dis = cJSON_GetArrayItem(r.records, 1), *ok = cJSON_GetArrayItem(r.records, 2);
    assert_non_null(get(get(dis, "plugin_errors"), "sun"));
    assert_null(get(dis, "unique"));
    assert_true(cJSON_IsTrue(get(ok, "unique")));
    cJSON_Delete(r.records), cJSON_Delete(r.summary);
}

/* uniqueness spans shards: a state with generated records is refused */
static void test_no_merge(void **st)
{
    (void)st;
    char path[] = "/tmp/mmscore_sun_stateXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    run r = {.input = DATA "sun_public.csv", .save = path};
    do_run(&r);
    remove(path);
    assert_int_not_equal(r.rc, MMS_OK);
    assert_non_null(strstr(r.err.message, "input order"));
    cJSON_Delete(r.records), cJSON_Delete(r.summary);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mattergen), cmocka_unit_test(test_crystallm), cmocka_unit_test(test_threads),
        cmocka_unit_test(test_failures), cmocka_unit_test(test_no_merge)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
