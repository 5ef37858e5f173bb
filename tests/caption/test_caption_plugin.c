/* caption plugin through the host and pipeline: per-record values, the
 * MMSci means (multi-reference quirk on) equal the mean of the reference's
 * per-pair mmsci_call values on the fixture subset within 1e-9, malformed
 * records fail with a message naming the record and field while the batch
 * goes on, two saved shards merged give the numbers of one run, and the
 * report's histograms (acc_report) count the records' values. */
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

#define DATA MMSCORE_TEST_DATA "/caption/"

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

static const char *const METRICS[] = {"bleu", "bleu_precision_1", "bleu_precision_2", "bleu_precision_3",
                                      "bleu_precision_4", "rouge1", "rouge2", "rougeL", "rougeLsum",
                                      "meteor", "sacrebleu"};
#define NMETRICS (sizeof METRICS / sizeof *METRICS)

/* The fixture lines with a "model" field added: line k gets "m<k % nmodels>". */
static char *with_models(const char *in, int nmodels)
{
    size_t len = strlen(in), lines = 0;
    for (const char *c = in; *c; c++)
        lines += *c == '\n';
    char *out = malloc(len + lines * 24 + 1), *o = out;
    int k = 0;
    for (const char *line = in; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        assert_true(line[0] == '{');
        o += sprintf(o, "{\"model\": \"m%d\", ", k++ % nmodels);
        memcpy(o, line + 1, n - 1);
        o += n - 1;
        line += n;
    }
    *o = '\0';
    return out;
}

/* Counts per bin of the records' values of one metric, binned here from the
 * figure's edges (bin i: edges[i] <= x < edges[i+1], the last closed), for
 * the records of `model` (NULL: all); pairs with an empty candidate or no
 * value are not counted.  Returns the values binned. */
static long bin_records(const run *r, const char *metric, const char *model, const cJSON *edges, double *bins)
{
    int nb = cJSON_GetArraySize(edges) - 1;
    for (int b = 0; b < nb; b++)
        bins[b] = 0;
    long n = 0;
    for (char *line = r->records; line && *line;) {
        char *nl = strchr(line, '\n');
        cJSON *j = cJSON_ParseWithLength(line, nl ? (size_t)(nl - line) : strlen(line));
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, metric);
        const char *m = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "fields"), "model"));
        if (cJSON_IsNumber(x) && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "empty_candidate")) &&
            (!model || (m && strcmp(m, model) == 0))) {
            int b = 0;
            while (b < nb - 1 && x->valuedouble >= cJSON_GetArrayItem(edges, b + 1)->valuedouble)
                b++;
            double top = cJSON_GetArrayItem(edges, nb)->valuedouble;
            assert_true(x->valuedouble >= cJSON_GetArrayItem(edges, 0)->valuedouble);
            /* the last bin holds a perfect score's rounding overshoot (sacreBLEU's 100.00000000000004) */
            assert_true(x->valuedouble <= top * (1.0 + 1e-9));
            bins[b]++;
            n++;
        }
        cJSON_Delete(j);
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

static const char *figure_id(const char *metric, char *buf)
{
    sprintf(buf, "hist_%s", metric);
    for (char *c = buf; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return buf;
}

/* The fixture subset, one run: every histogram holds the binning of the
 * records' per-pair values (20 bins over [0, 1], sacreBLEU [0, 100]), the
 * undefined BLEUs are named in the caption, and the accumulator rebuilt
 * from the state finishes to the run's summary. */
static void test_report_bins(void **unused)
{
    (void)unused;
    char *in = slurp(DATA "captions.jsonl");
    const char *inputs[] = {in, BAD, NULL};
    char path[] = "/tmp/mmscore_caption_repXXXXXX";
    assert_true(mkstemp(path) >= 0);
    run r = run_caption(0, inputs, NULL, path);
    mms_host *h = NULL;
    mms_error err;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    assert_int_equal(mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/caption.so", &err), MMS_OK);
    cJSON *summary = NULL, *figs = figures_from_state(h, "caption", path, &summary);
    assert_true(cJSON_Compare(summary, r.cap, 1));
    assert_int_equal(cJSON_GetArraySize(figs), (int)NMETRICS);
    long compared = 0;
    for (size_t k = 0; k < NMETRICS; k++) {
        char id[64];
        const cJSON *f = figure_get(figs, figure_id(METRICS[k], id));
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "kind")), "histogram");
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "section")), "Captions");
        const cJSON *edges = cJSON_GetObjectItemCaseSensitive(f, "edges");
        assert_int_equal(cJSON_GetArraySize(edges), 21);
        double top = strcmp(METRICS[k], "sacrebleu") == 0 ? 100.0 : 1.0;
        assert_true(cJSON_GetArrayItem(edges, 0)->valuedouble == 0.0);
        assert_true(cJSON_GetArrayItem(edges, 20)->valuedouble == top);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "series")), 1);
        double bins[20];
        long n = bin_records(&r, METRICS[k], NULL, edges, bins);
        double drawn = 0;
        for (int b = 0; b < 20; b++) {
            assert_true(series_value(f, "all pairs", b) == bins[b]);
            drawn += bins[b];
        }
        /* every scored pair is drawn or named as undefined */
        long undefined = (long)num(r.cap, "scored") - n;
        const char *caption = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "caption"));
        if (undefined) {
            char want[64];
            snprintf(want, sizeof want, " %ld pair%s with an undefined value", undefined, undefined == 1 ? "" : "s");
            assert_non_null(strstr(caption, want));
        } else {
            assert_null(strstr(caption, "undefined"));
        }
        assert_true(drawn == (double)n);
        compared += n;
    }
    assert_true(compared >= 11 * 50); /* a parity test compares many */
    assert_true(num(r.cap, "bleu_undefined") >= 1); /* the subset has undefined BLEUs: that branch ran */
    cJSON_Delete(figs);
    cJSON_Delete(summary);
    mms_host_free(h);
    run_free(&r);
    remove(path);
    free(in);
}

/* 20 models (16 with their own histograms in the accumulator, the rest as
 * "other models"; a figure draws 7 of them and sums the rest into "other
 * models", the report's limit of 8 series): a series counts its model's
 * records, and two halves merged give the figures of one run. */
static void test_report_models_merge(void **unused)
{
    (void)unused;
    char *raw = slurp(DATA "captions.jsonl");
    char *in = with_models(raw, 20);
    char *cut = in;
    for (int i = 0; i < 31; i++)
        cut = strchr(cut, '\n') + 1;
    char *second = strdup(cut);
    *cut = '\0';
    const char *all[] = {in, second, NULL}, *a[] = {in, NULL}, *b[] = {second, NULL};
    char pw[] = "/tmp/mmscore_caption_repwXXXXXX", pa[] = "/tmp/mmscore_caption_repaXXXXXX",
         pm[] = "/tmp/mmscore_caption_repmXXXXXX";
    assert_true(mkstemp(pw) >= 0 && mkstemp(pa) >= 0 && mkstemp(pm) >= 0);
    run one = run_caption(0, all, NULL, pw);
    run s1 = run_caption(0, a, NULL, pa);
    run merged = run_caption(0, b, pa, pm);
    mms_host *h = NULL;
    mms_error err;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    assert_int_equal(mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/caption.so", &err), MMS_OK);
    cJSON *figs = figures_from_state(h, "caption", pw, NULL);
    cJSON *mfigs = figures_from_state(h, "caption", pm, NULL);
    assert_true(cJSON_Compare(figs, mfigs, 1));
    const cJSON *f = figure_get(figs, "hist_rougel");
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(f, "series");
    assert_int_equal(cJSON_GetArraySize(series), 8);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 0), "name")), "m0");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 7), "name")),
                        "other models");
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(f, "edges");
    double bins[20], other[20] = {0};
    long n = 0;
    for (int m = 0; m < 20; m++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", m);
        n += bin_records(&one, "rougeL", name, edges, bins);
        for (int k = 0; k < 20; k++) {
            if (m < 7)
                assert_true(series_value(f, name, k) == bins[k]);
            else
                other[k] += bins[k];
        }
    }
    for (int k = 0; k < 20; k++)
        assert_true(series_value(f, "other models", k) == other[k]);
    assert_int_equal(n, (long)num(one.cap, "scored"));
    cJSON_Delete(figs);
    cJSON_Delete(mfigs);
    mms_host_free(h);
    run_free(&one);
    run_free(&s1);
    run_free(&merged);
    remove(pw), remove(pa), remove(pm);
    free(raw);
    free(in);
    free(second);
}

/* A saved state whose histograms do not count its scored pairs (one bin
 * changed) is refused with a message, not merged into wrong figures. */
static void test_report_state_checked(void **unused)
{
    (void)unused;
    char *in = slurp(DATA "captions.jsonl");
    const char *inputs[] = {in, NULL};
    char path[] = "/tmp/mmscore_caption_repcXXXXXX";
    assert_true(mkstemp(path) >= 0);
    run r = run_caption(0, inputs, NULL, path);
    cJSON *state = NULL;
    mms_error err;
    assert_int_equal(mms_state_read(path, &state, &err), MMS_OK);
    cJSON *hist = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(state, "plugins"), "caption"), "hist");
    cJSON *bins = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(hist, "models"), 0),
                                                   "bins");
    cJSON_SetNumberValue(cJSON_GetArrayItem(bins, 3), cJSON_GetArrayItem(bins, 3)->valuedouble + 1);
    char *text = cJSON_PrintUnformatted(state);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    cJSON_Delete(state);
    mms_host *h = NULL;
    assert_int_equal(mms_host_new(&h, &err), MMS_OK);
    assert_int_equal(mms_host_load_file(h, MMSCORE_PLUGIN_BUILD_DIR "/caption.so", &err), MMS_OK);
    mms_pipeline *p = NULL;
    assert_int_equal(mms_pipeline_new(&p, h, NULL, &err), MMS_OK);
    assert_int_equal(mms_pipeline_select_plugin(p, "caption", &err), MMS_OK);
    assert_int_equal(mms_pipeline_start(p, &err), MMS_OK);
    assert_int_not_equal(mms_pipeline_merge_state(p, path, &err), MMS_OK);
    assert_non_null(strstr(err.message, "hist"));
    mms_pipeline_free(p);
    mms_host_free(h);
    run_free(&r);
    remove(path);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmsci_means),
        cmocka_unit_test(test_proper_values),
        cmocka_unit_test(test_shards_merge),
        cmocka_unit_test(test_report_bins),
        cmocka_unit_test(test_report_models_merge),
        cmocka_unit_test(test_report_state_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
