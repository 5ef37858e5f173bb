/* Test plugins for the report's fault handling: acc_report failing
 * (BADFIG_ERROR), or giving one figure the core must refuse to draw next to
 * one it must draw (otherwise).  Built into their own folder, never found
 * by ordinary runs. */
#include <stdlib.h>

#include <mmscore/plugin.h>

static int acc_new(void *state, void **acc, mms_error *err)
{
    (void)state, (void)err;
    *acc = calloc(1, sizeof(long));
    return *acc ? MMS_OK : MMS_ENOMEM;
}

static int acc_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
                   mms_error *err)
{
    (void)state, (void)rec, (void)values, (void)err;
    ++*(long *)acc;
    return MMS_OK;
}

static int acc_finish(void *state, void *acc, mms_values *out, mms_error *err)
{
    (void)state, (void)err;
    return mms_values_set_int(out, "n", *(long *)acc);
}

static void acc_free(void *state, void *acc)
{
    (void)state;
    free(acc);
}

static int acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
#ifdef BADFIG_ERROR
    (void)acc, (void)out;
    return mms_error_set(err, MMS_ECOMPUTE, 0, "badfig: deliberately no figures");
#else
    (void)err;
    cJSON *figs = cJSON_Parse(
        "[{\"id\":\"bad_edges\",\"kind\":\"histogram\",\"section\":\"Test\",\"title\":\"bad\","
        "\"edges\":[0,2,1],\"series\":[{\"name\":\"generated\",\"values\":[1,2]}]},"
        "{\"id\":\"records\",\"kind\":\"table\",\"section\":\"Test\",\"title\":\"Records seen\","
        "\"columns\":[\"records\"],\"rows\":[]}]");
    cJSON *row = cJSON_CreateArray();
    cJSON_AddItemToArray(row, cJSON_CreateNumber((double)*(const long *)acc));
    cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetArrayItem(figs, 1), "rows"), row);
    *out = figs;
    return MMS_OK;
#endif
}

static const mms_metric_def summary[] = {{"n", "int", "records seen"}, {NULL, NULL, NULL}};

static const mms_plugin desc = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
#ifdef BADFIG_ERROR
    .name = "badfig_error",
#else
    .name = "badfig_shape",
#endif
    .version = "1.0.0",
    .description = "report fault test",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FAILED,
    .commands = "validate",
    .summary = summary,
    .acc_new = acc_new,
    .acc_add = acc_add,
    .acc_finish = acc_finish,
    .acc_free = acc_free,
    .acc_report = acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &desc; }
