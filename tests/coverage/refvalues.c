/* Test-only scorer: replays the per-record values a reference file holds
 * (crystal-text-llm basic_eval verdicts and fingerprints in the fixtures'
 * *.ref.jsonl layout) as if the structure/validity/fingerprint plugins had
 * computed them, so the set scorers can be checked without those plugins. */
#include <mmscore/plugin.h>

static int copy_bool(mms_values *out, const cJSON *f, const char *from, const char *to)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(f, from);
    return cJSON_IsBool(it) ? mms_values_set_bool(out, to, cJSON_IsTrue(it)) : MMS_OK;
}

static int copy_item(mms_values *out, const cJSON *f, const char *from, const char *to)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(f, from);
    if (!it || cJSON_IsNull(it))
        return MMS_OK;
    return mms_values_set_json(out, to, cJSON_Duplicate(it, 1));
}

static int rv_score(void *state, const mms_record *rec, const mms_values *earlier,
                    mms_values *out, mms_error *err)
{
    (void)state;
    (void)earlier;
    const cJSON *f = rec->fields;
    int rc = copy_bool(out, f, "crystal_ok", "basic_eval_counted");
    rc |= copy_bool(out, f, "struct_valid", "struct_valid");
    rc |= copy_bool(out, f, "comp_valid", "comp_valid");
    rc |= copy_bool(out, f, "valid_pre_fp", "valid");
    rc |= copy_item(out, f, "fp_status", "fp_status");
    rc |= copy_item(out, f, "density", "density");
    rc |= copy_item(out, f, "n_unique_elements", "n_elements");
    rc |= copy_item(out, f, "comp_fp", "comp_fp");
    rc |= copy_item(out, f, "struct_fp", "struct_fp");
    return rc ? mms_error_set(err, MMS_ENOMEM, 0, "could not copy values") : MMS_OK;
}

static const mms_plugin DESCRIPTOR = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "refvalues",
    .version = "test",
    .description = "test only: replays reference per-record values from JSONL fields",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_FIELDS,
    .score = rv_score,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void) { return &DESCRIPTOR; }
