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
#include <sys/wait.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#define DATA MMSCORE_TEST_DATA "/sun/"

typedef struct run {
    const char *definition;
    int threads, hull;
    const char *input, *buf; /* file, or CSV text */
    const char *save;
    const char *extra;       /* more flags */
    const char *command;     /* "eval" (default) or "merge" */
    int status;              /* the CLI's exit status */
    char *stderr_text;
    cJSON *records, *summary;
} run;

static cJSON *read_jsonl(const char *path);

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *t = calloc(1, 1 << 20);
    size_t n = fread(t, 1, (1 << 20) - 1, f);
    t[n] = 0;
    fclose(f);
    return t;
}

/* The whole path a user takes: `mmscore eval` in a child process (the
 * sanitizers then see each run whole, with its own plugin loads). */
static void do_run(run *r)
{
    char dir[] = "/tmp/mmscore_sun_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[128], rec[128], sum[128], errf[128], cmd[4096];
    snprintf(rec, sizeof rec, "%s/rec.jsonl", dir);
    snprintf(sum, sizeof sum, "%s/sum.json", dir);
    snprintf(errf, sizeof errf, "%s/err.txt", dir);
    snprintf(in, sizeof in, "%s/in.csv", dir);
    if (r->buf) {
        FILE *f = fopen(in, "w");
        fputs(r->buf, f);
        fclose(f);
    }
    char quoted[160];
    snprintf(quoted, sizeof quoted, "'%s'", in);
    char save[512] = "";
    if (r->save) snprintf(save, sizeof save, "--save-state '%s'", r->save);
    snprintf(cmd, sizeof cmd,
             "'%s' %s -q --novelty-ref '%s' %s%s%s --sun-definition %s -j %d %s %s --records '%s' --json "
             "%s > '%s' 2> '%s'",
             MMSCORE_CLI, r->command ? r->command : "eval", DATA "novelty_ref.csv", r->hull ? "--hull-ref '" : "",
             r->hull ? MMSCORE_TEST_DATA "/stability/hull_ref.csv" : "", r->hull ? "'" : "",
             r->definition ? r->definition : "mattergen", r->threads ? r->threads : 1, save,
             r->extra ? r->extra : "", rec, r->buf ? quoted : r->input, sum, errf);
    if (r->command && !strcmp(r->command, "merge"))
        snprintf(cmd, sizeof cmd, "'%s' merge -q %s --json %s > '%s' 2> '%s'", MMSCORE_CLI,
                 r->extra ? r->extra : "", r->input, sum, errf);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r->records = read_jsonl(rec);
    char *text = slurp(sum);
    cJSON *all = text ? cJSON_Parse(text) : NULL;
    free(text);
    r->summary = cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(all, "plugins"), "sun"), 1);
    cJSON_Delete(all);
    r->stderr_text = slurp(errf);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
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

static size_t check_rows(const cJSON *records, const cJSON *want, int cl);
static void check_summary(const cJSON *s, int cl);

static void parity(const char *definition, int threads)
{
    cJSON *want = read_jsonl(DATA "sun_public.ref.jsonl");
    assert_non_null(want);
    run r = {.definition = definition, .threads = threads, .hull = 1, .input = "'" DATA "sun_public.csv'"};
    do_run(&r);
    assert_int_equal(r.status, 0);
    int cl = !strcmp(definition, "crystallm");
    assert_int_equal(check_rows(r.records, want, cl), 400);
    check_summary(r.summary, cl);
    cJSON_Delete(want);
    free(r.stderr_text), cJSON_Delete(r.records), cJSON_Delete(r.summary);
}

/* every generated record against pymatgen's row of the same index */
static size_t check_rows(const cJSON *records, const cJSON *want, int cl)
{
    size_t compared = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records)
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
    return compared;
}

/* every rate and count of pymatgen's summary */
static void check_summary(const cJSON *s, int cl)
{
    FILE *f = fopen(DATA "sun_public.summary.json", "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *ws = cJSON_Parse(buf);
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
}

/* eval takes any subset of --ref, --novelty-ref, --hull-ref (every run
 * here has no --ref), but not none of them */
static void test_eval_needs_a_reference(void **st)
{
    (void)st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' eval -q '%s' > /dev/null 2>&1", MMSCORE_CLI, DATA "sun_public.csv");
    int status = system(cmd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
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
    assert_int_equal(r.status, 0);
    const cJSON *s = r.summary;
    assert_int_equal((long)get(s, "n_structures")->valuedouble, 3);
    assert_int_equal((long)get(s, "n_failed")->valuedouble, 2);
    assert_int_equal((long)get(get(s, "failed"), "unreadable")->valuedouble, 1);
    assert_int_equal((long)get(get(s, "failed"), "disordered")->valuedouble, 1);
    assert_int_equal((long)get(s, "n_unique")->valuedouble, 1);
    assert_true(get(s, "frac_unique_structures")->valuedouble == 1.0 / 3.0);
    const cJSON *dis = NULL, *ok = NULL, *it;
    cJSON_ArrayForEach(it, r.records)
    {
        if (strcmp(cJSON_GetStringValue(get(it, "set")), "generated")) continue;
        if (!strcmp(cJSON_GetStringValue(get(it, "id")), "dis")) dis = it;
        if (!strcmp(cJSON_GetStringValue(get(it, "id")), "ok")) ok = it;
    }
    assert_non_null(dis);
    assert_non_null(ok);
    assert_non_null(get(get(dis, "plugin_errors"), "sun"));
    assert_null(get(dis, "unique"));
    assert_true(cJSON_IsTrue(get(ok, "unique")));
    free(r.stderr_text), cJSON_Delete(r.records), cJSON_Delete(r.summary);
}

/* Uniqueness spans shards: each shard's state carries its records (they
 * keep their index in the whole set), and merge redoes uniqueness over all
 * of them in input order, so the merged summary is the single run's, in
 * both definitions and in any order on the command line.  Shards that
 * leave a gap (--allow-partial) cannot be put in one order: sun's summary
 * says so instead of giving wrong counts. */
static void shards(const char *definition, int n_shards, const char *const *merge_order, int expect_error)
{
    char dir[] = "/tmp/mmscore_sun_shXXXXXX", path[8][256], extra[64], in[2048] = "";
    assert_non_null(mkdtemp(dir));
    int cl = !strcmp(definition, "crystallm");
    for (int k = 0; k < n_shards; k++) {
        snprintf(path[k], sizeof path[k], "%s/s%d.json", dir, k);
        snprintf(extra, sizeof extra, "--shard %d/%d", k, n_shards);
        run r = {.definition = definition, .hull = 1, .input = "'" DATA "sun_public.csv'", .save = path[k],
                 .extra = extra};
        do_run(&r);
        assert_int_equal(r.status, 0);
        if (k == 0) {
            /* the first block sees every record before its own: final verdicts */
            cJSON *want = read_jsonl(DATA "sun_public.ref.jsonl");
            assert_true(check_rows(r.records, want, cl) >= 400 / (size_t)n_shards);
            cJSON_Delete(want);
        } else {
            /* later blocks cannot know the records before them: no verdict
             * on uniqueness rather than a wrong one (the merge decides) */
            size_t n_null = 0;
            const cJSON *rec;
            cJSON_ArrayForEach(rec, r.records)
            {
                if (strcmp(cJSON_GetStringValue(get(rec, "set")), "generated")) continue;
                if (!get(rec, "plugin_errors")) assert_true(cJSON_IsNull(get(rec, "unique")));
                n_null += cJSON_IsNull(get(rec, "unique"));
            }
            assert_true(n_null >= 400 / (size_t)n_shards - 10);
        }
        free(r.stderr_text), cJSON_Delete(r.records), cJSON_Delete(r.summary);
    }
    for (const char *const *m = merge_order; *m; m++) {
        size_t len = strlen(in);
        snprintf(in + len, sizeof in - len, " '%s'", path[atoi(*m)]);
    }
    run m = {.command = "merge", .input = in, .extra = expect_error ? "--allow-partial" : NULL};
    do_run(&m);
    assert_int_equal(m.status, 0);
    if (expect_error) {
        const cJSON *e = get(get(m.summary, "error"), "message");
        assert_non_null(e);
        assert_non_null(strstr(cJSON_GetStringValue(e), "consecutive"));
    } else {
        check_summary(m.summary, cl);
    }
    free(m.stderr_text), cJSON_Delete(m.records), cJSON_Delete(m.summary);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_shards(void **st)
{
    (void)st;
    const char *const two[] = {"1", "0", NULL}, *const three[] = {"0", "1", "2", NULL}, *const gap[] = {"0", "2", NULL};
    shards("mattergen", 2, two, 0);
    shards("crystallm", 3, three, 0);
    shards("mattergen", 3, gap, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mattergen), cmocka_unit_test(test_crystallm), cmocka_unit_test(test_threads),
        cmocka_unit_test(test_failures), cmocka_unit_test(test_shards), cmocka_unit_test(test_eval_needs_a_reference)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
