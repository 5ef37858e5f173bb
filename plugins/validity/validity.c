/* validity plugin: valid = struct_valid AND comp_valid per record, and the
 * rates basic_eval.py reports, over its own denominator and over every input
 * record (docs/metrics-validity.md). */
#include <stdlib.h>
#include <string.h>

#include <mmscore/plugin.h>

#include "figs.h"

static const mms_metric_def metrics[] = {
    {"valid", "bool",
     "struct_valid AND comp_valid (basic_eval's valid before fingerprints); false for a record "
     "that failed to read; null when one is unknown and the other not false"},
    {"valid_counted", "bool",
     "basic_eval would build a Crystal and count it: read, ordered, no oxidation states, every "
     "element known to SMACT 2.5.5"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary[] = {
    {"n_records", "int", "input records, including those that failed to read"},
    {"n_read", "int", "records whose structure was read"},
    {"n_counted", "int", "records basic_eval counts (valid_counted): its denominator"},
    {"n_struct_valid", "int", "struct_valid among the counted records"},
    {"n_comp_valid", "int", "comp_valid among the counted records"},
    {"n_valid", "int", "valid among the counted records"},
    {"struct_valid_rate", "number", "n_struct_valid / n_counted: basic_eval's struct_valid"},
    {"comp_valid_rate", "number", "n_comp_valid / n_counted: basic_eval's comp_valid"},
    {"valid_rate", "number", "n_valid / n_counted: basic_eval's valid before fingerprints"},
    {"n_struct_valid_all_records", "int", "struct_valid among all records"},
    {"n_comp_valid_all_records", "int", "comp_valid among all records"},
    {"n_valid_all_records", "int", "valid among all records"},
    {"struct_valid_rate_all_records", "number",
     "n_struct_valid_all_records / n_records (failed reads and unknowns count as invalid)"},
    {"comp_valid_rate_all_records", "number", "n_comp_valid_all_records / n_records"},
    {"valid_rate_all_records", "number", "n_valid_all_records / n_records"},
    {NULL, NULL, NULL}};

enum { UNKNOWN = -1 };

/* One record's verdicts. */
typedef struct judged {
    int read;
    int counted;
    int struct_valid, comp_valid, valid; /* 1, 0 or UNKNOWN */
} judged;

static int tri(const mms_values *v, const char *name)
{
    const cJSON *item = v ? mms_values_get(v, name) : NULL;
    return cJSON_IsBool(item) ? cJSON_IsTrue(item) : UNKNOWN;
}

static int tri_and(int a, int b)
{
    if (a == 0 || b == 0)
        return 0;
    return a == 1 && b == 1 ? 1 : UNKNOWN;
}

/* basic_eval builds a Crystal only from ordered species without oxidation
 * states (pymatgen's .species and chemical_symbols.index fail otherwise) and
 * only when SMACT knows every element (smact.Element raises NameError).  The
 * last is the composition plugin's to say, through its values: its
 * comp_valid_reason names an element without SMACT data
 * (docs/metrics-composition.md). */
static int basic_eval_counts(const mms_structure *s, const mms_values *values)
{
    if (!s->is_ordered || s->has_oxidation || s->n_elements == 0)
        return 0;
    const cJSON *why = values ? mms_values_get(values, "comp_valid_reason") : NULL;
    return !(cJSON_IsString(why) && !strcmp(why->valuestring, "element without SMACT data"));
}

static judged judge(const mms_record *rec, const mms_values *values)
{
    judged j = {0, 0, 0, 0, 0};
    if (!rec->structure || rec->error)
        return j; /* a failed read is invalid on every count */
    j.read = 1;
    j.counted = basic_eval_counts(rec->structure, values);
    j.struct_valid = tri(values, "struct_valid");
    j.comp_valid = tri(values, "comp_valid");
    j.valid = tri_and(j.struct_valid, j.comp_valid);
    return j;
}

static int create(void **state, const cJSON *config, mms_error *err)
{
    (void)config;
    (void)err;
    *state = NULL;
    return MMS_OK;
}

static void destroy(void *state)
{
    (void)state;
}

static int score(void *state, const mms_record *rec, const mms_values *earlier,
                 mms_values *out, mms_error *err)
{
    (void)state;
    judged j = judge(rec, earlier);
    int rc = j.valid == UNKNOWN ? mms_values_set_null(out, "valid")
                                : mms_values_set_bool(out, "valid", j.valid);
    if (rc == MMS_OK)
        rc = mms_values_set_bool(out, "valid_counted", j.counted);
    return rc ? mms_error_set(err, rc, rec->line, "validity: cannot store values") : MMS_OK;
}

/* ------------------------------------------------------------ accumulator */

/* Counters, in the order of the names below (saved and merged by name). */
enum {
    N_RECORDS, N_READ, N_COUNTED, N_STRUCT, N_COMP, N_VALID, N_STRUCT_ALL, N_COMP_ALL,
    N_VALID_ALL, N_COUNTERS
};
static const char *const counter_names[N_COUNTERS] = {
    "n_records", "n_read", "n_counted", "n_struct_valid", "n_comp_valid", "n_valid",
    "n_struct_valid_all_records", "n_comp_valid_all_records", "n_valid_all_records"};

typedef struct tally {
    long long n[N_COUNTERS];
} tally;

static int acc_new(void *state, void **acc, mms_error *err)
{
    (void)state;
    *acc = calloc(1, sizeof(tally));
    return *acc ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "validity: out of memory");
}

static void acc_free(void *state, void *acc)
{
    (void)state;
    free(acc);
}

static int acc_add(void *state, void *acc, const mms_record *rec, const mms_values *values,
                   mms_error *err)
{
    (void)state;
    (void)err;
    tally *t = acc;
    /* In `mmscore eval` the rates describe the generated crystals, as
     * basic_eval's do: reference and training records are not counted. */
    if (rec->set && (!strcmp(rec->set, "reference") || !strcmp(rec->set, "train")))
        return MMS_OK;
    judged j = judge(rec, values);
    t->n[N_RECORDS]++;
    t->n[N_READ] += j.read;
    t->n[N_STRUCT_ALL] += j.struct_valid == 1;
    t->n[N_COMP_ALL] += j.comp_valid == 1;
    t->n[N_VALID_ALL] += j.valid == 1;
    if (j.counted) {
        t->n[N_COUNTED]++;
        t->n[N_STRUCT] += j.struct_valid == 1;
        t->n[N_COMP] += j.comp_valid == 1;
        t->n[N_VALID] += j.valid == 1;
    }
    return MMS_OK;
}

static int acc_save(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const tally *t = acc;
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; o && k < N_COUNTERS; k++)
        if (!cJSON_AddNumberToObject(o, counter_names[k], (double)t->n[k])) {
            cJSON_Delete(o);
            o = NULL;
        }
    *out = o;
    return o ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "validity: out of memory");
}

static int acc_merge(void *state, void *acc, const cJSON *saved, mms_error *err)
{
    (void)state;
    tally *t = acc, add;
    for (int k = 0; k < N_COUNTERS; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(saved, counter_names[k]);
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15 ||
            v->valuedouble != (double)(long long)v->valuedouble)
            return mms_error_set(err, MMS_EINVAL, 0,
                                 "validity: saved state lacks a count \"%s\" (a whole number)",
                                 counter_names[k]);
        add.n[k] = (long long)v->valuedouble;
    }
    for (int k = 0; k < N_COUNTERS; k++)
        t->n[k] += add.n[k];
    return MMS_OK;
}

/* part / whole, or null for an empty whole (numpy's mean of nothing is nan). */
static int set_rate(mms_values *summary, const char *name, long long part, long long whole)
{
    return whole ? mms_values_set_number(summary, name, (double)part / (double)whole)
                 : mms_values_set_null(summary, name);
}

static int acc_finish(void *state, void *acc, mms_values *out, mms_error *err)
{
    (void)state;
    const tally *t = acc;
    int rc = MMS_OK;
    for (int k = 0; rc == MMS_OK && k < N_COUNTERS; k++)
        rc = mms_values_set_int(out, counter_names[k], t->n[k]);
    static const struct {
        const char *name;
        int part, whole;
    } rates[] = {
        {"struct_valid_rate", N_STRUCT, N_COUNTED},
        {"comp_valid_rate", N_COMP, N_COUNTED},
        {"valid_rate", N_VALID, N_COUNTED},
        {"struct_valid_rate_all_records", N_STRUCT_ALL, N_RECORDS},
        {"comp_valid_rate_all_records", N_COMP_ALL, N_RECORDS},
        {"valid_rate_all_records", N_VALID_ALL, N_RECORDS},
    };
    for (size_t k = 0; rc == MMS_OK && k < sizeof rates / sizeof rates[0]; k++)
        rc = set_rate(out, rates[k].name, t->n[rates[k].part], t->n[rates[k].whole]);
    return rc ? mms_error_set(err, rc, 0, "validity: cannot store the summary") : MMS_OK;
}

/* What papers report of this plugin's summary (mmscore table, the summary's top). */
static const mms_headline_def headline[] = {
    {"struct_valid_rate", "Struct. valid", "%", 100, MMS_ROUND_DECIMALS, 2, "CDVAE / crystal-text-llm validity, %"},
    {"comp_valid_rate", "Comp. valid", "%", 100, MMS_ROUND_DECIMALS, 2, "CDVAE / crystal-text-llm validity, %"},
    {"valid_rate", "Valid", "%", 100, MMS_ROUND_DECIMALS, 2, "crystal-text-llm validity, %"},
    {NULL, NULL, NULL, 0, MMS_ROUND_DECIMALS, 0, NULL}};

/* The report's overview of validity: the counts behind the rates. */
static int acc_report(void *state, const void *acc, cJSON **out, mms_error *err)
{
    (void)state;
    const tally *t = acc;
    static const char *const cats[6] = {"records", "read", "counted", "struct valid",
                                        "comp valid", "valid"};
    const long long v[6] = {t->n[N_RECORDS], t->n[N_READ],   t->n[N_COUNTED],
                            t->n[N_STRUCT],  t->n[N_COMP], t->n[N_VALID]};
    const long long *per[1] = {v};
    static const char *const names[1] = {"generated"};
    static const mmsc_fig_text text = {
        "validity", "Validity", "Validity of the generated records",
        "Generated records, those read, those basic_eval counts (ordered, no oxidation states, "
        "elements SMACT knows: the rates' denominator) and, among the counted, the "
        "structurally, compositionally and both valid: the counts behind the headline rates.",
        NULL, "records"};
    cJSON *figs = cJSON_CreateArray();
    int rc = figs ? mmsc_fig_bars(figs, &text, cats, 6, names, per, 1, 0) : MMS_ENOMEM;
    if (rc != MMS_OK) {
        cJSON_Delete(figs);
        return mms_error_set(err, rc, 0, "validity: out of memory");
    }
    *out = figs;
    return MMS_OK;
}

static const mms_plugin descriptor = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "validity",
    .version = "1.0.0",
    .description = "valid = struct_valid and comp_valid, with basic_eval's rates",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FAILED,
    .commands = "validate eval",
    .requires = "structure composition",
    .options = NULL,
    .metrics = metrics,
    .summary = summary,
    .headline = headline,
    .create = create,
    .destroy = destroy,
    .score = score,
    .acc_new = acc_new,
    .acc_add = acc_add,
    .acc_save = acc_save,
    .acc_merge = acc_merge,
    .acc_finish = acc_finish,
    .acc_free = acc_free,
    .acc_report = acc_report,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &descriptor;
}
