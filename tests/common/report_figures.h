/* Test helper, header only: a plugin's report figures rebuilt from a saved
 * state, as `mmscore report STATE` does: create the plugin with the host's
 * config, acc_new, acc_merge of the state's accumulator, acc_finish,
 * acc_report; and a test data file read whole.  Include after cmocka.h. */
#ifndef MMSCORE_TEST_REPORT_FIGURES_H
#define MMSCORE_TEST_REPORT_FIGURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/host.h>
#include <mmscore/plugin.h>

/* The whole file (caller frees); fails the test if it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* The figures (caller frees) of plugin `name` of host h from the state file
 * at path; *summary (if not NULL) gets the summary values finished from the
 * same accumulator (caller frees). */
static cJSON *figures_from_state(mms_host *h, const char *name, const char *path, cJSON **summary)
{
    mms_error err;
    const mms_plugin *d = mms_host_find(h, name);
    assert_non_null(d);
    assert_non_null(d->acc_report);
    cJSON *state = NULL;
    if (mms_state_read(path, &state, &err) != MMS_OK) fail_msg("state %s: %s", path, err.message);
    const cJSON *saved = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(state, "plugins"), name);
    assert_non_null(saved);
    void *st = NULL, *acc = NULL;
    if (d->create(&st, mms_host_config(h, name), &err) != MMS_OK) fail_msg("create: %s", err.message);
    assert_int_equal(d->acc_new(st, &acc, &err), MMS_OK);
    if (d->acc_merge(st, acc, saved, &err) != MMS_OK) fail_msg("acc_merge: %s", err.message);
    mms_values *v = mms_values_new();
    assert_non_null(v);
    if (d->acc_finish(st, acc, v, &err) != MMS_OK) fail_msg("acc_finish: %s", err.message);
    cJSON *figs = NULL;
    if (d->acc_report(st, acc, &figs, &err) != MMS_OK) fail_msg("acc_report: %s", err.message);
    assert_true(cJSON_IsArray(figs));
    if (summary) *summary = cJSON_Duplicate(mms_values_json(v), 1);
    mms_values_free(v);
    d->acc_free(st, acc);
    d->destroy(st);
    cJSON_Delete(state);
    return figs;
}

/* The figure with that id, checked against docs/plugins.md's schema for
 * its kind: every series has as many values as there are bins/categories. */
static const cJSON *figure_get(const cJSON *figs, const char *id)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, figs) {
        const cJSON *i = cJSON_GetObjectItemCaseSensitive(f, "id");
        if (!cJSON_IsString(i) || strcmp(i->valuestring, id) != 0) continue;
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "kind"));
        assert_non_null(kind);
        assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "section")));
        assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "title")));
        assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "x_label")));
        assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "y_label")));
        int n;
        if (strcmp(kind, "histogram") == 0) {
            n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "edges")) - 1;
        } else {
            assert_string_equal(kind, "bars");
            n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "categories"));
        }
        assert_true(n >= 1);
        const cJSON *series = cJSON_GetObjectItemCaseSensitive(f, "series"), *s;
        assert_true(cJSON_GetArraySize(series) >= 1);
        cJSON_ArrayForEach(s, series) {
            assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name")));
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "values"), *x;
            assert_int_equal(cJSON_GetArraySize(v), n);
            cJSON_ArrayForEach(x, v) assert_true(cJSON_IsNumber(x));
        }
        return f;
    }
    fail_msg("no figure %s", id);
    return NULL;
}

/* Value k of the series named `name` of figure f. */
static double series_value(const cJSON *f, const char *name, int k)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(f, "series"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "name")), name) == 0)
            return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "values"), k)->valuedouble;
    fail_msg("no series %s", name);
    return 0.0;
}

#endif
