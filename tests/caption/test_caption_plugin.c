/* caption plugin through the host and pipeline: per-record values, the
 * MMSci means (multi-reference quirk on) equal the mean of the reference's
 * per-pair mmsci_call values on the fixture subset within 1e-9, malformed
 * records fail with a message naming the record and field while the batch
 * goes on, and two saved shards merged give the numbers of one run. */
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

#define DATA MMSCORE_TEST_DATA "/caption/"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

typedef struct run {
    cJSON *summary;
    const cJSON *cap;
    char *records;
} run;

static run run_caption(int quirk, const char *const *inputs, const char *merge_path,
                       const char *save_path)
{
    mms_host *h = NULL;
    mms_error err;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    if (mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/caption.so", &err) != MMS_OK)
        fail_msg("load caption.so: %s", err.message);
    if (quirk)
        assert_int_equal(mms_host_set_option(h, "mmsci_multiref_quirk", "true", &err), MMS_OK);
    FILE *rec = tmpfile();
    assert_non_null(rec);
    mms_pipeline_options opt = MMS_PIPELINE_OPTIONS_INIT;
    opt.threads = 2;
    opt.records = rec;
    mms_pipeline *p = NULL;
    assert_int_equal(mms_pipeline_new(&p, h, &opt, &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "caption", &err), MMS_OK);
    if (mms_pipeline_start(p, &err) != MMS_OK)
        fail_msg("start: %s", err.message);
    if (merge_path)
        assert_int_equal(mms_pipeline_merge_state(p, merge_path, &err), MMS_OK);
    for (size_t i = 0; inputs[i]; i++)
        assert_int_equal(mms_pipeline_add_buffer(p, "mem.jsonl", "jsonl", inputs[i], strlen(inputs[i]),
                                                 "input", &err),
                         MMS_OK);
    if (save_path)
        assert_int_equal(mms_pipeline_save_state(p, save_path, &err), MMS_OK);
    run r = {0};
    if (mms_pipeline_finish(p, &r.summary, &err) != MMS_OK)
        fail_msg("finish: %s", err.message);
    mms_pipeline_free(p);
    mms_host_free(h);
    long len = ftell(rec);
    r.records = calloc((size_t)len + 1, 1);
    rewind(rec);
    assert_int_equal(fread(r.records, 1, (size_t)len, rec), (size_t)len);
    fclose(rec);
    r.cap = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.summary, "plugins"),
                                             "caption");
    assert_non_null(r.cap);
    return r;
}

static void run_free(run *r)
{
    cJSON_Delete(r->summary);
    free(r->records);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v))
        fail_msg("summary value %s missing or not a number", k);
    return v->valuedouble;
}

static cJSON *record(const run *r, const char *id)
{
    for (char *line = r->records; line && *line;) {
        char *nl = strchr(line, '\n');
        cJSON *j = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(j, "id");
        if (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0)
            return j;
        cJSON_Delete(j);
        line = nl ? nl + 1 : NULL;
    }
    fail_msg("no record %s in the records output", id);
    return NULL;
}

static const char *const BAD =
    "{\"id\": \"bad-no-candidate\", \"references\": [\"a\"]}\n"
    "{\"id\": \"bad-ref-type\", \"candidate\": \"a cat\", \"references\": [\"a cat\", 3]}\n";

static void test_mmsci_means(void **unused)
{
    (void)unused;
    char *in = slurp(DATA "captions.jsonl"), *ref = slurp(DATA "captions.ref.jsonl");
    const char *inputs[] = {in, BAD, NULL};
    run r = run_caption(1, inputs, NULL, NULL);
    /* the reference's means of MMSci's per-pair values, non-skipped pairs */
    const char *keys[] = {"bleu", "rouge1", "rouge2", "rougeL", "rougeLsum", "meteor"};
    double sum[6] = {0}, p1 = 0;
    long n = 0, skipped = 0;
    for (char *line = ref; line && *line;) {
        char *nl = strchr(line, '\n');
        cJSON *j = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
        const cJSON *mc = cJSON_GetObjectItemCaseSensitive(j, "mmsci_call");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "skipped_by_mmsci"))) {
            skipped++;
        } else {
            for (int k = 0; k < 6; k++)
                sum[k] += num(mc, keys[k]);
            p1 += cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(mc, "precisions"), 0)->valuedouble;
            n++;
        }
        cJSON_Delete(j);
        line = nl ? nl + 1 : NULL;
    }
    assert_true(n >= 50); /* the subset's pairs MMSci scores: a parity test compares some */
    assert_int_equal((long)num(r.cap, "scored"), n);
    assert_int_equal((long)num(r.cap, "skipped_empty"), skipped);
    assert_int_equal((long)num(r.cap, "failed"), 2);
    const char *means[] = {"mean_bleu", "mean_rouge1", "mean_rouge2", "mean_rougeL", "mean_rougeLsum",
                           "mean_meteor"};
    for (int k = 0; k < 6; k++)
        assert_true(fabs(num(r.cap, means[k]) - sum[k] / (double)n) <= 1e-9);
    assert_true(fabs(num(r.cap, "mean_bleu_precision_1") - p1 / (double)n) <= 1e-9);
    /* per-record values and errors */
    cJSON *e = record(&r, "edge-multiref-identical-second");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "bleu")));
    assert_true(cJSON_GetObjectItemCaseSensitive(e, "bleu")->valuedouble == 0.0); /* quirk */
    assert_int_equal((int)num(e, "n_references"), 2);
    cJSON_Delete(e);
    cJSON *bad = record(&r, "bad-no-candidate");
    char *text = cJSON_PrintUnformatted(bad);
    assert_non_null(strstr(text, "candidate"));
    assert_non_null(strstr(text, "line 1"));
    free(text);
    cJSON_Delete(bad);
    bad = record(&r, "bad-ref-type");
    text = cJSON_PrintUnformatted(bad);
    assert_non_null(strstr(text, "reference 2"));
    free(text);
    cJSON_Delete(bad);
    run_free(&r);
    free(in);
    free(ref);
}

static void test_proper_values(void **unused)
{
    (void)unused;
    char *in = slurp(DATA "captions.jsonl");
    const char *inputs[] = {in, NULL};
    run r = run_caption(0, inputs, NULL, NULL);
    cJSON *e = record(&r, "edge-multiref-identical-second");
    assert_true(num(e, "bleu") == 1.0); /* the second reference is the candidate */
    assert_true(num(e, "meteor") > 0.99);
    cJSON_Delete(e);
    e = record(&r, "edge-empty-candidate");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "bleu")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "empty_candidate")));
    cJSON_Delete(e);
    run_free(&r);
    free(in);
}

static void test_shards_merge(void **unused)
{
    (void)unused;
    char *in = slurp(DATA "captions.jsonl");
    /* split after the 30th line */
    char *cut = in;
    for (int i = 0; i < 30; i++)
        cut = strchr(cut, '\n') + 1;
    char *second = strdup(cut);
    *cut = '\0';
    const char *all[] = {in, second, NULL}, *a[] = {in, NULL}, *b[] = {second, NULL};
    char path[] = "/tmp/mmscore_caption_shardXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    run one = run_caption(0, all, NULL, NULL);
    run s1 = run_caption(0, a, NULL, path);
    run merged = run_caption(0, b, path, NULL);
    const char *keys[] = {"pairs", "scored", "skipped_empty", "bleu_undefined", "sacrebleu_corpus_sys_len",
                          "sacrebleu_corpus_ref_len"};
    for (int k = 0; k < 6; k++)
        assert_true(num(one.cap, keys[k]) == num(merged.cap, keys[k]));
    const char *means[] = {"mean_bleu", "mean_bleu_precision_4", "mean_rougeLsum", "mean_meteor",
                           "mean_sacrebleu", "sacrebleu_corpus"};
    for (int k = 0; k < 6; k++)
        assert_true(fabs(num(one.cap, means[k]) - num(merged.cap, means[k])) <= 1e-12);
    run_free(&one);
    run_free(&s1);
    run_free(&merged);
    remove(path);
    free(in);
    free(second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmsci_means),
        cmocka_unit_test(test_proper_values),
        cmocka_unit_test(test_shards_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
