/* Test plugin: reads tp_count's value (requires), fails on demand. */
#include <string.h>

#include "mmscore/plugin.h"

static int score(void *state, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)state;
    const cJSON *f = rec->fields ? cJSON_GetObjectItem(rec->fields, "fail") : NULL;
    if (f)
        return mms_error_set(err, MMS_ECOMPUTE, rec->line, "asked to fail on %s", rec->id);
    double n;
    if (mms_values_get_number(earlier, "tp_nsites", &n) != MMS_OK)
        return mms_values_set_null(out, "tp_double");
    return mms_values_set_number(out, "tp_double", 2 * n);
}

static const mms_metric_def metrics[] = {{"tp_double", "number", "twice tp_nsites"},
                                         {NULL, NULL, NULL}};

static const mms_plugin desc = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "tp_after",
    .version = "1.0",
    .description = "test: requires tp_count",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FIELDS,
    .commands = "validate",
    .requires = "tp_count",
    .metrics = metrics,
    .score = score,
};

/* Loaded before tp_count in name order: the host must still run it after. */
MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &desc;
}
