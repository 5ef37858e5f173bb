/* composition plugin: SMACT charge-balance validity of each structure, as
 * crystal-text-llm's basic_eval.py judges it (docs/metrics-composition.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "smact.h"

static const mms_option_def options[] = {
    {"smact_zr_eneg", MMS_OPT_NUMBER, "1.33",
     "Pauling electronegativity of Zr: 1.33 as SMACT 2.5.5; 0.33 reproduces SMACT before "
     "its 2023 fix"},
    {"use_pauling_test", MMS_OPT_BOOL, "true",
     "require cations less electronegative than anions (basic_eval: true)"},
    {"include_alloys", MMS_OPT_BOOL, "true",
     "count all-metal compositions as valid (basic_eval: true)"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"comp_valid", "bool",
     "SMACT validity as basic_eval's smact_validity; null when the composition has "
     "non-integer amounts or an element SMACT 2.5.5 has no data for"},
    {"comp_valid_reason", "string",
     "single element, alloy, charge-balanced, no oxidation states, no charge-neutral "
     "combination, pauling test failed, or why comp_valid is null"},
    {"comp_oxidation_states", "object",
     "one oxidation-state assignment that is neutral and passes the Pauling test "
     "(element symbol -> state), when charge-balanced"},
    {NULL, NULL, NULL}};

static int create(void **state, const cJSON *config, mms_error *err)
{
    smact_options *opt = malloc(sizeof *opt);
    if (!opt)
        return mms_error_set(err, MMS_ENOMEM, 0, "composition: out of memory");
    smact_options_default(opt);
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "smact_zr_eneg")) && cJSON_IsNumber(v))
        opt->zr_eneg = v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "use_pauling_test")) && cJSON_IsBool(v))
        opt->use_pauling_test = cJSON_IsTrue(v);
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "include_alloys")) && cJSON_IsBool(v))
        opt->include_alloys = cJSON_IsTrue(v);
    if (!isfinite(opt->zr_eneg)) {
        free(opt);
        return mms_error_set(err, MMS_EINVAL, 0, "composition: smact_zr_eneg must be finite");
    }
    *state = opt;
    return MMS_OK;
}

static void destroy(void *state)
{
    free(state);
}

/* comp_valid is null, with the reason why. */
static int set_unknown(mms_values *out, const char *reason)
{
    int rc = mms_values_set_null(out, "comp_valid");
    return rc ? rc : mms_values_set_string(out, "comp_valid_reason", reason);
}

static int set_example(mms_values *out, const mms_structure *s, const smact_result *r)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return MMS_ENOMEM;
    for (size_t i = 0; i < s->n_elements; i++)
        if (!cJSON_AddNumberToObject(obj, smact_elements[s->element_z[i]].symbol,
                                     r->example_ox[i])) {
            cJSON_Delete(obj);
            return MMS_ENOMEM;
        }
    return mms_values_set_json(out, "comp_oxidation_states", obj);
}

static int score(void *state, const mms_record *rec, const mms_values *earlier,
                 mms_values *out, mms_error *err)
{
    (void)earlier;
    const smact_options *opt = state;
    const mms_structure *s = rec->structure;
    if (!s)
        return mms_error_set(err, MMS_EINVAL, rec->line, "composition: record %s has no structure",
                             rec->id ? rec->id : "?");
    if (s->n_elements == 0)
        return set_unknown(out, "empty composition");
    if (s->n_elements > SMACT_MAX_Z)
        return set_unknown(out, "element without SMACT data");

    int icounts[SMACT_MAX_Z];
    long counts[SMACT_MAX_Z];
    mms_error cerr;
    mms_error_clear(&cerr);
    /* basic_eval counts atoms per element and divides by their gcd; amounts
     * of a disordered structure that are not integers have no such counts. */
    if (mms_structure_counts_reduced(s, icounts, &cerr) != MMS_OK)
        return set_unknown(out, "non-integer element amounts");
    for (size_t i = 0; i < s->n_elements; i++)
        counts[i] = icounts[i];

    smact_result r;
    mms_error serr;
    mms_error_clear(&serr);
    int rc = smact_validity(s->element_z, counts, s->n_elements, opt, &r, &serr);
    if (rc == MMS_ENOTFOUND)
        return set_unknown(out, "element without SMACT data");
    if (rc != MMS_OK)
        return mms_error_set(err, rc, rec->line, "composition: %s, record %s: %s",
                             rec->source ? rec->source : "?", rec->id ? rec->id : "?",
                             serr.message);

    if ((rc = mms_values_set_bool(out, "comp_valid", r.valid)) ||
        (rc = mms_values_set_string(out, "comp_valid_reason", smact_verdict_name(r.verdict))))
        return mms_error_set(err, rc, rec->line, "composition: cannot store values");
    if (r.has_example && (rc = set_example(out, s, &r)))
        return mms_error_set(err, rc, rec->line, "composition: cannot store values");
    return MMS_OK;
}

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "composition",
    .version = "1.0.0",
    .description = "SMACT charge-balance validity (crystal-text-llm basic_eval, SMACT 2.5.5)",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE,
    .commands = "validate eval",
    .requires = "",
    .options = options,
    .metrics = metrics,
    .summary = NULL,
    .create = create,
    .destroy = destroy,
    .score = score,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
