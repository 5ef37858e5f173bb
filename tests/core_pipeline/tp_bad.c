/* Test plugins the host must refuse: built once per TP_BAD_* variant. */
#include "mmscore/plugin.h"

#if defined(TP_BAD_ABI)
/* A future ABI: only the first two fields may be read. */
static const struct {
    uint32_t abi_version, struct_size;
} desc = {2, 16};
#elif defined(TP_BAD_SIZE)
/* Built against a newer plugin.h: a descriptor with one more field. */
static const struct {
    mms_plugin v2;
    void *newer_field;
} desc = {{.abi_version = MMS_PLUGIN_ABI_VERSION,
           .struct_size = sizeof(mms_plugin) + sizeof(void *),
           .name = "tp_bad_size",
           .kind = MMS_PLUGIN_SCORER}, NULL};
#elif defined(TP_DUP_NAME)
static int score(void *s, const mms_record *r, const mms_values *e, mms_values *o, mms_error *err)
{
    (void)s, (void)r, (void)e, (void)err;
    return mms_values_set_int(o, "tp_dup", 1);
}
static const mms_plugin desc = {.abi_version = MMS_PLUGIN_ABI_VERSION,
                                .struct_size = sizeof(mms_plugin),
                                .name = "tp_count",
                                .kind = MMS_PLUGIN_SCORER,
                                .accepts = MMS_ACCEPT_STRUCTURE,
                                .score = score};
#elif defined(TP_DUP_METRIC)
static int score(void *s, const mms_record *r, const mms_values *e, mms_values *o, mms_error *err)
{
    (void)s, (void)r, (void)e, (void)err;
    return mms_values_set_int(o, "tp_nsites", 1);
}
static const mms_metric_def metrics[] = {{"tp_nsites", "int", "clashes with tp_count"},
                                         {NULL, NULL, NULL}};
static const mms_plugin desc = {.abi_version = MMS_PLUGIN_ABI_VERSION,
                                .struct_size = sizeof(mms_plugin),
                                .name = "tp_dup_metric",
                                .kind = MMS_PLUGIN_SCORER,
                                .accepts = MMS_ACCEPT_STRUCTURE,
                                .metrics = metrics,
                                .score = score};
#elif defined(TP_UNSTORED)
/* Ignores a failed set and returns MMS_OK: the host must not let the value
 * go missing silently (mms_values_error). */
static int score(void *s, const mms_record *r, const mms_values *e, mms_values *o, mms_error *err)
{
    (void)s, (void)r, (void)e, (void)err;
    mms_values_set_int(o, "tp_stored", 1);
    mms_values_set_json(o, "", NULL); /* fails: no name */
    mms_values_set_int(o, "tp_later", 2);
    return MMS_OK;
}
static const mms_plugin desc = {.abi_version = MMS_PLUGIN_ABI_VERSION,
                                .struct_size = sizeof(mms_plugin),
                                .name = "tp_unstored",
                                .kind = MMS_PLUGIN_SCORER,
                                .accepts = MMS_ACCEPT_STRUCTURE,
                                .commands = "validate",
                                .score = score};
#endif

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return (const mms_plugin *)(const void *)&desc;
}
