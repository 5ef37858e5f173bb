/* choice plugin through the host and pipeline: per-record values, summary
 * (accuracy, breakdowns, k samples with a tied vote), the MMSci denominator,
 * a malformed record, a bad option, and save/merge equal to one run. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
