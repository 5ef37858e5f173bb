/* choice plugin through the host and pipeline: per-record values, summary
 * (accuracy, breakdowns, k samples with a tied vote), the MMSci denominator,
 * a malformed record, a bad option, save/merge equal to one run, and the
 * report figures (acc_report) against the summary and the records. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mmscore/host.h>
#include <mmscore/plugin.h>

#include "../common/report_figures.h"

/* Six samples of two questions (q1 three times, q2 three times) and one
 * unparsed reply.  strict: q1 answers B, B, (C) -> 2/3 right, majority B = gold.
 * q2 answers A(text "tiger"), C, unparsed -> gold A; votes A:1 C:1 tie.
 * "I saw A bird." is unparsed for strict; MMSci's " A " pattern reads A. */
static const char *const shard1 =
    "{\"id\": \"s1\", \"question_id\": \"q1\", \"subject\": \"bio\", \"options\": {\"A\": \"cat\", \"B\": \"dog\", \"C\": \"cow\"}, \"gold\": \"B\", \"raw_output\": \"The answer is B.\"}\n"
    "{\"id\": \"s2\", \"question_id\": \"q1\", \"subject\": \"bio\", \"options\": {\"A\": \"cat\", \"B\": \"dog\", \"C\": \"cow\"}, \"gold\": \"B\", \"raw_output\": \"**B**\"}\n"
    "{\"id\": \"s3\", \"question_id\": \"q1\", \"subject\": \"bio\", \"options\": {\"A\": \"cat\", \"B\": \"dog\", \"C\": \"cow\"}, \"gold\": \"B\", \"raw_output\": \"Looking again, (C) it is\"}\n";
static const char *const shard2 =
    "{\"id\": \"s4\", \"question_id\": \"q2\", \"subject\": \"chem\", \"question\": \"Which?\\nA. tiger\\nB. lion\\nC. puma\", \"gold\": \"A\", \"raw_output\": \"tiger\"}\n"
    "{\"id\": \"s5\", \"question_id\": \"q2\", \"subject\": \"chem\", \"question\": \"Which?\\nA. tiger\\nB. lion\\nC. puma\", \"gold\": \"A\", \"raw_output\": \"C: puma\"}\n"
    "{\"id\": \"s6\", \"question_id\": \"q2\", \"subject\": \"chem\", \"question\": \"Which?\\nA. tiger\\nB. lion\\nC. puma\", \"gold\": \"A\", \"raw_output\": \"I saw A bird.\"}\n"
    "{\"id\": \"bad\", \"question_id\": \"q3\", \"options\": {\"A\": \"x\"}, \"raw_output\": \"A\"}\n";

typedef struct run {
    cJSON *summary; /* whole report */
    const cJSON *choice;
    char *records;  /* the records file */
} run;

static mms_host *host_with_choice(const char *extractor)
{
    mms_host *h = NULL;
    mms_error err;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    if (mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/choice.so", &err) != MMS_OK)
        fail_msg("load choice.so: %s", err.message);
    if (extractor) assert_int_equal(mms_host_set_option(h, "extractor", extractor, &err), MMS_OK);
    return h;
}

/* Runs the inputs (NULL-terminated) through choice; merges `merge_path`
 * first and saves to `save_path` last when given. */
static run run_choice(const char *extractor, const char *const *inputs, const char *merge_path,
                      const char *save_path)
{
    mms_host *h = host_with_choice(extractor);
    mms_error err;
    FILE *rec = tmpfile();
    assert_non_null(rec);
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = 2;
    opt.records = rec;
    mms_pipeline *p = NULL;
    assert_int_equal(mms_pipeline_new(&p, h, &opt, &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "choice", &err), MMS_OK);
    if (mms_pipeline_start(p, &err) != MMS_OK) fail_msg("start: %s", err.message);
    if (merge_path) assert_int_equal(mms_pipeline_merge_state(p, merge_path, &err), MMS_OK);
    for (size_t i = 0; inputs[i]; i++)
        assert_int_equal(mms_pipeline_add_buffer(p, "mem.jsonl", "jsonl", inputs[i], strlen(inputs[i]), "input", &err),
                         MMS_OK);
    if (save_path) assert_int_equal(mms_pipeline_save_state(p, save_path, &err), MMS_OK);
    run r = {0};
    if (mms_pipeline_finish(p, &r.summary, &err) != MMS_OK) fail_msg("finish: %s", err.message);
    mms_pipeline_free(p);
    mms_host_free(h);
    long len = ftell(rec);
    r.records = calloc((size_t)len + 1, 1);
    rewind(rec);
    assert_int_equal(fread(r.records, 1, (size_t)len, rec), (size_t)len);
    fclose(rec);
    r.choice = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.summary, "plugins"), "choice");
    assert_non_null(r.choice);
    return r;
}

static void run_free(run *r)
{
    cJSON_Delete(r->summary);
    free(r->records);
}

static double num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *v = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = cJSON_GetObjectItemCaseSensitive(v, k);
    if (!cJSON_IsNumber(v)) fail_msg("summary value %s missing or not a number", path);
    return v->valuedouble;
}

/* The record line of id `id` (borrowed from r->records, parsed; caller frees). */
static cJSON *record(const run *r, const char *id)
{
    char key[64];
    snprintf(key, sizeof key, "\"id\":\"%s\"", id);
    for (char *line = r->records; line && *line;) {
        char *nl = strchr(line, '\n');
        cJSON *j = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(j, "id");
        if (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0) return j;
        cJSON_Delete(j);
        line = nl ? nl + 1 : NULL;
    }
    fail_msg("no record %s in the records output", id);
    return NULL;
}

static void test_strict_summary(void **unused)
{
    (void)unused;
    const char *in[] = {shard1, shard2, NULL};
    run r = run_choice(NULL, in, NULL, NULL);
    const cJSON *c = r.choice;
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "extractor")->valuestring, "strict");
    assert_int_equal((int)num(c, "n"), 6);
    assert_int_equal((int)num(c, "parsed"), 5);
    assert_int_equal((int)num(c, "correct"), 3);
    assert_float_equal(num(c, "accuracy"), 3.0 / 6.0, 1e-15);
    assert_int_equal((int)num(c, "invalid_records"), 1);
    assert_float_equal(num(c, "by_subject.bio.accuracy"), 2.0 / 3.0, 1e-15);
    assert_float_equal(num(c, "by_subject.chem.accuracy"), 1.0 / 3.0, 1e-15);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c, "unparsed_ids");
    assert_int_equal(cJSON_GetArraySize(ids), 1);
    assert_string_equal(cJSON_GetArrayItem(ids, 0)->valuestring, "s6");
    assert_int_equal((int)num(c, "k_groups"), 2);
    /* q1: 2/3, q2: 1/3 -> mean 1/2; majority q1 = 1, q2 tie A/C with gold A -> 1/2. */
    assert_float_equal(num(c, "k_mean_accuracy"), 0.5, 1e-15);
    assert_float_equal(num(c, "k_majority_accuracy"), 0.75, 1e-15);
    assert_int_equal((int)num(c, "k_majority_ties"), 1);
    cJSON *s3 = record(&r, "s3");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(s3, "pred")->valuestring, "C");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s3, "correct")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(s3, "extract_path")->valuestring, "single_parenthesised");
    cJSON_Delete(s3);
    cJSON *s6 = record(&r, "s6");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s6, "pred")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s6, "correct")));
    cJSON_Delete(s6);
    cJSON *bad = record(&r, "bad");
    char *text = cJSON_PrintUnformatted(bad);
    assert_non_null(strstr(text, "gold")); /* the error names the missing field */
    free(text);
    cJSON_Delete(bad);
    run_free(&r);
}

static void test_mmsci_denominator(void **unused)
{
    (void)unused;
    const char *in[] = {shard1, shard2, NULL};
    run r = run_choice("mmsci", in, NULL, NULL);
    const cJSON *c = r.choice;
    /* MMSci: B, B, -, - ("tiger", "(C) it is" need its LLM), C, A (" A " in
     * "I saw A bird.") -> 4 parsed, 3 right, unparsed out of the denominator. */
    assert_int_equal((int)num(c, "n"), 6);
    assert_int_equal((int)num(c, "parsed"), 4);
    assert_int_equal((int)num(c, "correct"), 3);
    assert_float_equal(num(c, "accuracy"), 3.0 / 4.0, 1e-15);
    cJSON *s4 = record(&r, "s4");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s4, "pred")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s4, "correct")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(s4, "extract_path")->valuestring, "needs_llm");
    cJSON_Delete(s4);
    run_free(&r);
}

static void test_save_merge(void **unused)
{
    (void)unused;
    char path[] = "/tmp/mmscore-choice-state-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *first[] = {shard1, NULL}, *second[] = {shard2, NULL}, *all[] = {shard1, shard2, NULL};
    run a = run_choice(NULL, first, NULL, path);
    run b = run_choice(NULL, second, path, NULL);
    run whole = run_choice(NULL, all, NULL, NULL);
    assert_true(cJSON_Compare(b.choice, whole.choice, 1));
    run_free(&a);
    run_free(&b);
    run_free(&whole);
    remove(path);
}

/* Per model from the records file: records and right answers. */
typedef struct model_count {
    char name[64];
    long n, parsed, correct;
} model_count;

static size_t count_records(const run *r, model_count *m, size_t cap)
{
    size_t nm = 0;
    for (char *line = r->records; line && *line;) {
        char *nl = strchr(line, '\n');
        cJSON *j = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
        const cJSON *fields = cJSON_GetObjectItemCaseSensitive(j, "fields");
        const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fields, "model"));
        const cJSON *pred = cJSON_GetObjectItemCaseSensitive(j, "pred");
        if (model && pred) { /* a record the plugin scored */
            size_t k = 0;
            while (k < nm && strcmp(m[k].name, model) != 0) k++;
            if (k == nm) {
                assert_true(nm < cap);
                snprintf(m[nm++].name, sizeof m->name, "%s", model);
            }
            m[k].n++;
            m[k].parsed += cJSON_IsString(pred);
            m[k].correct += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "correct"));
        }
        cJSON_Delete(j);
        line = nl ? nl + 1 : NULL;
    }
    return nm;
}

/* The fixture subset (7 models, 3 sources, no subject field) through one
 * run and through two halves merged: the figures rebuilt from the states
 * (as `mmscore report` does) are the same, their accuracy per model is the
 * summary's by_model accuracy and the records' correct/n (strict) or
 * correct/parsed (mmsci), and the answers figure counts the records. */
static void report_case(const char *extractor)
{
    char *in = slurp(MMSCORE_TEST_DATA "/choice/subset.jsonl");
    char *cut = in;
    for (int i = 0; i < 116; i++) cut = strchr(cut, '\n') + 1;
    char *second = strdup(cut);
    *cut = '\0';
    char pa[] = "/tmp/mmscore-choice-rep-a-XXXXXX", pm[] = "/tmp/mmscore-choice-rep-m-XXXXXX",
         pw[] = "/tmp/mmscore-choice-rep-w-XXXXXX";
    assert_true(mkstemp(pa) >= 0 && mkstemp(pm) >= 0 && mkstemp(pw) >= 0);
    const char *all[] = {in, second, NULL}, *first[] = {in, NULL}, *rest[] = {second, NULL};
    run whole = run_choice(extractor, all, NULL, pw);
    run a = run_choice(extractor, first, NULL, pa);
    run m = run_choice(extractor, rest, pa, pm);
    mms_host *h = host_with_choice(extractor);
    cJSON *summary = NULL;
    cJSON *figs = figures_from_state(h, "choice", pw, &summary);
    cJSON *merged = figures_from_state(h, "choice", pm, NULL);
    assert_true(cJSON_Compare(figs, merged, 1));
    /* the figures' accumulator is the summary's */
    assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(summary, "by_model"),
                              cJSON_GetObjectItemCaseSensitive(whole.choice, "by_model"), 1));

    const cJSON *f = figure_get(figs, "accuracy_by_model");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "section")), "Accuracy");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "y_label")), "accuracy (%)");
    model_count mc[16] = {0};
    size_t nm = count_records(&whole, mc, 16);
    const cJSON *by_model = cJSON_GetObjectItemCaseSensitive(whole.choice, "by_model");
    assert_int_equal(nm, cJSON_GetArraySize(by_model));
    int compared = 0, undefined = 0;
    for (size_t k = 0; k < nm; k++) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(by_model, mc[k].name);
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(e, "accuracy");
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(f, "categories")) {
            if (strcmp(c->valuestring, mc[k].name) == 0) break;
            i++;
        }
        if (cJSON_IsNull(acc)) { /* mmsci, nothing parsed: no bar */
            assert_null(c);
            undefined++;
            continue;
        }
        assert_non_null(c);
        double bar = series_value(f, "accuracy", i);
        long den = strcmp(extractor, "mmsci") == 0 ? mc[k].parsed : mc[k].n;
        assert_true(fabs(bar - 100.0 * acc->valuedouble) <= 1e-12);
        assert_true(fabs(bar - 100.0 * (double)mc[k].correct / (double)den) <= 1e-12);
        compared++;
    }
    assert_true(compared >= 6);
    assert_int_equal(compared + undefined, 7);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "categories")), compared);

    const cJSON *ans = figure_get(figs, "answers");
    long parsed = 0, unparsed = 0;
    for (size_t k = 0; k < nm; k++) {
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ans, "categories")) {
            if (strcmp(c->valuestring, mc[k].name) == 0) break;
            i++;
        }
        assert_non_null(c);
        assert_true(series_value(ans, "parsed", i) == (double)mc[k].parsed);
        assert_true(series_value(ans, "unparsed", i) == (double)(mc[k].n - mc[k].parsed));
        parsed += mc[k].parsed, unparsed += mc[k].n - mc[k].parsed;
    }
    assert_int_equal(parsed, (long)num(whole.choice, "parsed"));
    assert_int_equal(unparsed, (long)num(whole.choice, "unparsed"));
    assert_int_equal(parsed + unparsed, 232);
    figure_get(figs, "accuracy_by_source");
    const cJSON *g;
    cJSON_ArrayForEach(g, figs) /* no subject or category field in the subset: no such figure */
        assert_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "id")), "subject"));
    cJSON_Delete(figs);
    cJSON_Delete(merged);
    cJSON_Delete(summary);
    mms_host_free(h);
    run_free(&whole);
    run_free(&a);
    run_free(&m);
    remove(pa), remove(pm), remove(pw);
    free(in);
    free(second);
}

static void test_report_strict(void **unused)
{
    (void)unused;
    report_case("strict");
}

static void test_report_mmsci(void **unused)
{
    (void)unused;
    report_case("mmsci");
}

/* The hand-made shards: a subject figure with the exact shares, and
 * without a model field one "all records" group of answers. */
static void test_report_subjects(void **unused)
{
    (void)unused;
    char path[] = "/tmp/mmscore-choice-rep-s-XXXXXX";
    assert_true(mkstemp(path) >= 0);
    const char *in[] = {shard1, shard2, NULL};
    run r = run_choice(NULL, in, NULL, path);
    mms_host *h = host_with_choice(NULL);
    cJSON *figs = figures_from_state(h, "choice", path, NULL);
    const cJSON *f = figure_get(figs, "accuracy_by_subject");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f, "categories"), 0)->valuestring, "bio");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f, "categories"), 1)->valuestring, "chem");
    assert_true(series_value(f, "accuracy", 0) == 100.0 * (2.0 / 3.0));
    assert_true(series_value(f, "accuracy", 1) == 100.0 * (1.0 / 3.0));
    const cJSON *ans = figure_get(figs, "answers");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ans, "categories"), 0)->valuestring,
                        "all records");
    assert_true(series_value(ans, "parsed", 0) == 5.0);
    assert_true(series_value(ans, "unparsed", 0) == 1.0);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ans, "caption")), "1 record could not"));
    assert_int_equal(cJSON_GetArraySize(figs), 2); /* subject and answers only */
    cJSON_Delete(figs);
    mms_host_free(h);
    run_free(&r);
    remove(path);
}

/* 120 subjects, the first 20 with one record, the others with two: the
 * figure draws the 100 with most records and says so. */
static void test_report_bar_cap(void **unused)
{
    (void)unused;
    size_t cap = 220 * 160, len = 0;
    char *in = malloc(cap);
    for (int k = 0; k < 120; k++)
        for (int r = 0; r < (k < 20 ? 1 : 2); r++)
            len += (size_t)snprintf(in + len, cap - len,
                                    "{\"id\": \"q%d-%d\", \"subject\": \"s%03d\", \"options\": [\"x\", \"y\"], "
                                    "\"gold\": \"A\", \"raw_output\": \"%s\"}\n",
                                    k, r, k, r ? "B" : "A");
    assert_true(len < cap);
    char path[] = "/tmp/mmscore-choice-rep-c-XXXXXX";
    assert_true(mkstemp(path) >= 0);
    const char *inputs[] = {in, NULL};
    run r = run_choice(NULL, inputs, NULL, path);
    mms_host *h = host_with_choice(NULL);
    cJSON *figs = figures_from_state(h, "choice", path, NULL);
    const cJSON *f = figure_get(figs, "accuracy_by_subject");
    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(f, "categories");
    assert_int_equal(cJSON_GetArraySize(cats), 100);
    assert_string_equal(cJSON_GetArrayItem(cats, 0)->valuestring, "s020");
    assert_string_equal(cJSON_GetArrayItem(cats, 99)->valuestring, "s119");
    assert_true(series_value(f, "accuracy", 0) == 50.0);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "caption")),
                           "The 100 subjects with most records of 120 shown."));
    cJSON_Delete(figs);
    mms_host_free(h);
    run_free(&r);
    remove(path);
    free(in);
}

static void test_bad_option(void **unused)
{
    (void)unused;
    mms_host *h = host_with_choice("fuzzy");
    mms_error err;
    mms_pipeline *p = NULL;
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "choice", &err), MMS_OK);
    assert_int_not_equal(mms_pipeline_start(p, &err), MMS_OK);
    assert_non_null(strstr(err.message, "fuzzy"));
    mms_pipeline_free(p);
    mms_host_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_summary),
        cmocka_unit_test(test_mmsci_denominator),
        cmocka_unit_test(test_save_merge),
        cmocka_unit_test(test_bad_option),
        cmocka_unit_test(test_report_strict),
        cmocka_unit_test(test_report_mmsci),
        cmocka_unit_test(test_report_subjects),
        cmocka_unit_test(test_report_bar_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
