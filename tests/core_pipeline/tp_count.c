/* Test plugin: per-record site/field counts and a saveable set accumulator. */
#include <stdlib.h>

#include "mmscore/plugin.h"

typedef struct cfg {
    double scale;
} cfg;

typedef struct acc {
    long n;
    double sum;
} acc;

static int create(void **state, const cJSON *config, mms_error *err)
{
    cfg *c = malloc(sizeof *c);
    if (!c)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    c->scale = cJSON_GetObjectItem(config, "scale")->valuedouble;
    if (cJSON_IsTrue(cJSON_GetObjectItem(config, "refuse"))) {
        free(c);
        return mms_error_set(err, MMS_EINVAL, 0, "refused by option");
    }
    *state = c;
    return MMS_OK;
}

static void destroy(void *state)
{
    free(state);
}

static int score(void *state, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)earlier;
    (void)err;
    const cfg *c = state;
    if (rec->structure)
        return mms_values_set_number(out, "tp_nsites", c->scale * (double)rec->structure->n_sites);
    if (rec->fields)
        return mms_values_set_int(out, "tp_nfields", cJSON_GetArraySize(rec->fields));
    return mms_values_set_bool(out, "tp_failed", 1);
}

static int acc_new(void *state, void **a, mms_error *err)
{
    (void)state;
    *a = calloc(1, sizeof(acc));
    return *a ? MMS_OK : mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
}

static int acc_add(void *state, void *a, const mms_record *rec, const mms_values *v,
                   mms_error *err)
{
    (void)state;
    (void)rec;
    (void)err;
    acc *x = a;
    double n;
    x->n++;
    if (mms_values_get_number(v, "tp_nsites", &n) == MMS_OK)
        x->sum += n;
    return MMS_OK;
}

static int acc_save(void *state, const void *a, cJSON **out, mms_error *err)
{
    (void)state;
    (void)err;
    const acc *x = a;
    *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(*out, "n", (double)x->n);
    cJSON_AddNumberToObject(*out, "sum", x->sum);
    return MMS_OK;
}

static int acc_merge(void *state, void *a, const cJSON *saved, mms_error *err)
{
    (void)state;
    acc *x = a;
    const cJSON *n = cJSON_GetObjectItem(saved, "n"), *s = cJSON_GetObjectItem(saved, "sum");
    if (!cJSON_IsNumber(n) || !cJSON_IsNumber(s))
        return mms_error_set(err, MMS_EPARSE, 0, "bad saved state");
    x->n += (long)n->valuedouble;
    x->sum += s->valuedouble;
    return MMS_OK;
}

static int acc_finish(void *state, void *a, mms_values *summary, mms_error *err)
{
    (void)state;
    (void)err;
    const acc *x = a;
    /* Set out of declared order on purpose: the host reorders. */
    mms_values_set_number(summary, "tp_sum", x->sum);
    mms_values_set_int(summary, "tp_total", x->n);
    return MMS_OK;
}

static void acc_free(void *state, void *a)
{
    (void)state;
    free(a);
}

static const mms_option_def options[] = {
    {"scale", MMS_OPT_NUMBER, "1", "multiplies the site count"},
    {"label", MMS_OPT_STRING, "x", "unused text option"},
    {"refuse", MMS_OPT_BOOL, "false", "make create() fail"},
    {"n_max", MMS_OPT_INT, "3", "unused integer option"},
    {NULL, 0, NULL, NULL}};
static const mms_metric_def metrics[] = {{"tp_nsites", "number", "sites times scale"},
                                         {"tp_nfields", "int", "fields of a non-structure record"},
                                         {"tp_failed", "bool", "record failed to read"},
                                         {NULL, NULL, NULL}};
static const mms_metric_def summary[] = {{"tp_total", "int", "records seen"},
                                         {"tp_sum", "number", "sum of tp_nsites"},
                                         {NULL, NULL, NULL}};

static const mms_plugin desc = {
    .abi_version = MMS_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(mms_plugin),
    .name = "tp_count",
    .version = "1.0",
    .description = "test: counts",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE | MMS_ACCEPT_FIELDS | MMS_ACCEPT_FAILED,
    .commands = "validate eval",
    .options = options,
    .metrics = metrics,
    .summary = summary,
    .create = create,
    .destroy = destroy,
    .score = score,
    .acc_new = acc_new,
    .acc_add = acc_add,
    .acc_save = acc_save,
    .acc_merge = acc_merge,
    .acc_finish = acc_finish,
    .acc_free = acc_free,
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &desc;
}
