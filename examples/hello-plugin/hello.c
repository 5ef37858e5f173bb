/* hello: a complete out-of-tree mmscore scorer.
 *
 * Per structure: the number density (sites per Å³) and the shortest cell
 * length; per set: how many structures, their mean density, the shortest
 * cell length seen, and the fraction at least as dense as an option says.
 * Built against the installed mmscore with pkg-config (Makefile) or CMake's
 * find_package (CMakeLists.txt).  Plugin ABI v2 (major 1, revision 4): see
 * docs/plugins.md. */
#include <math.h>
#include <stdlib.h>

#include <mmscore/plugin.h>

typedef struct config {
    double min_density; /* atoms/Å³ for hello_dense */
} config;

typedef struct acc {
    long n, n_dense;
    double sum_density;
    double min_length;  /* INFINITY until a structure is seen */
} acc;

static int create(void **state, const cJSON *cfg, mms_error *err)
{
    /* The host guarantees every declared option is present and typed. */
    double d = cJSON_GetObjectItem(cfg, "hello_min_density")->valuedouble;
    if (d < 0)
        return mms_error_set(err, MMS_EINVAL, 0, "hello_min_density must be >= 0, got %g", d);
    config *c = malloc(sizeof *c);
    if (!c)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    c->min_density = d;
    *state = c;
    return MMS_OK;
}

static void destroy(void *state)
{
    free(state);
}

/* Runs on several threads at once: reads state, writes only `out`. */
static int score(void *state, const mms_record *rec, const mms_values *earlier, mms_values *out,
                 mms_error *err)
{
    (void)earlier;
    const config *c = state;
    const mms_structure *s = rec->structure;
    if (!(s->volume > 0))
        return mms_error_set(err, MMS_ECOMPUTE, rec->line, "cell volume is %g", s->volume);
    double density = (double)s->n_sites / s->volume;
    double shortest = fmin(s->abc[0], fmin(s->abc[1], s->abc[2]));
    int rc = mms_values_set_number(out, "hello_density", density);
    if (rc == MMS_OK)
        rc = mms_values_set_number(out, "hello_min_length", shortest);
    if (rc == MMS_OK)
        rc = mms_values_set_bool(out, "hello_dense", density >= c->min_density);
    return rc;
}

static int acc_new(void *state, void **a, mms_error *err)
{
    (void)state;
    acc *x = calloc(1, sizeof *x);
    if (!x)
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    x->min_length = INFINITY;
    *a = x;
    return MMS_OK;
}

/* One thread, input order; `v` holds this record's values of every plugin. */
static int acc_add(void *state, void *a, const mms_record *rec, const mms_values *v,
                   mms_error *err)
{
    (void)state;
    (void)rec;
    (void)err;
    acc *x = a;
    double d, len;
    int dense;
    if (mms_values_get_number(v, "hello_density", &d) != MMS_OK ||
        mms_values_get_number(v, "hello_min_length", &len) != MMS_OK ||
        mms_values_get_bool(v, "hello_dense", &dense) != MMS_OK)
        return MMS_OK; /* score failed for this record: nothing to add */
    x->n++;
    x->n_dense += dense;
    x->sum_density += d;
    x->min_length = fmin(x->min_length, len);
    return MMS_OK;
}

static int acc_save(void *state, const void *a, cJSON **out, mms_error *err)
{
    (void)state;
    const acc *x = a;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddNumberToObject(o, "n", (double)x->n) ||
        !cJSON_AddNumberToObject(o, "n_dense", (double)x->n_dense) ||
        !cJSON_AddNumberToObject(o, "sum_density", x->sum_density) ||
        !(isfinite(x->min_length) ? cJSON_AddNumberToObject(o, "min_length", x->min_length)
                                  : cJSON_AddNullToObject(o, "min_length"))) {
        cJSON_Delete(o);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    *out = o;
    return MMS_OK;
}

static int acc_merge(void *state, void *a, const cJSON *saved, mms_error *err)
{
    (void)state;
    acc *x = a;
    const cJSON *n = cJSON_GetObjectItem(saved, "n"), *nd = cJSON_GetObjectItem(saved, "n_dense"),
                *sd = cJSON_GetObjectItem(saved, "sum_density"),
                *ml = cJSON_GetObjectItem(saved, "min_length");
    if (!cJSON_IsNumber(n) || !cJSON_IsNumber(nd) || !cJSON_IsNumber(sd) ||
        !(cJSON_IsNumber(ml) || cJSON_IsNull(ml)))
        return mms_error_set(err, MMS_EPARSE, 0, "hello: saved state lacks n/n_dense/...");
    x->n += (long)n->valuedouble;
    x->n_dense += (long)nd->valuedouble;
    x->sum_density += sd->valuedouble;
    if (cJSON_IsNumber(ml))
        x->min_length = fmin(x->min_length, ml->valuedouble);
    return MMS_OK;
}

static int acc_finish(void *state, void *a, mms_values *summary, mms_error *err)
{
    (void)state;
    (void)err;
    const acc *x = a;
    mms_values_set_int(summary, "hello_n", x->n);
    mms_values_set_number(summary, "hello_mean_density", x->n ? x->sum_density / (double)x->n : NAN);
    mms_values_set_number(summary, "hello_min_length", x->min_length); /* inf -> null */
    mms_values_set_number(summary, "hello_dense_fraction",
                          x->n ? (double)x->n_dense / (double)x->n : NAN);
    return MMS_OK;
}

static void acc_free(void *state, void *a)
{
    (void)state;
    free(a);
}

static const mms_option_def options[] = {
    {"hello_min_density", MMS_OPT_NUMBER, "0.01", "atoms per cubic angstrom for hello_dense"},
    {NULL, 0, NULL, NULL}};

static const mms_metric_def metrics[] = {
    {"hello_density", "number", "sites per cubic angstrom (n_sites / volume)"},
    {"hello_min_length", "number", "shortest of a, b, c in angstrom"},
    {"hello_dense", "bool", "hello_density >= hello_min_density"},
    {NULL, NULL, NULL}};

static const mms_metric_def summary[] = {
    {"hello_n", "int", "structures scored"},
    {"hello_mean_density", "number", "mean of hello_density"},
    {"hello_min_length", "number", "shortest cell length in the set"},
    {"hello_dense_fraction", "number", "fraction with hello_dense true"},
    {NULL, NULL, NULL}};

static const mms_plugin hello = {
    .abi_version = MMS_PLUGIN_ABI_VERSION, /* these two first, always: */
    .struct_size = sizeof(mms_plugin),     /* the host reads them before the rest */
    .name = "hello",
    .version = "1.0.0",
    .description = "example: number density and shortest cell length",
    .kind = MMS_PLUGIN_SCORER,
    .accepts = MMS_ACCEPT_STRUCTURE,
    .commands = "validate",
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
    .license = "MIT", /* revision-2 fields; sizeof(mms_plugin) is revision 4: hosts of
                         revision 1 to 3 refuse this plugin */
    .url = "https://example.org/hello-plugin",
};

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return &hello;
}
