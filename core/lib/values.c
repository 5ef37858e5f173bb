/* mms_values: a plugin's named results, a thin wrapper over one cJSON object.
 * Key order is insertion order (replacing a name keeps its place), which is
 * the order values are written to the records file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/plugin.h"
#include "pipeline_internal.h"

mms_values *mms_values_new(void)
{
    mms_values *v = malloc(sizeof *v);
    if (!v)
        return NULL;
    v->obj = cJSON_CreateObject();
    if (!v->obj) {
        free(v);
        return NULL;
    }
    return v;
}

void mms_values_free(mms_values *v)
{
    if (v) {
        cJSON_Delete(v->obj);
        free(v);
    }
}

cJSON *mms_values_detach(mms_values *v)
{
    cJSON *o = v->obj;
    v->obj = cJSON_CreateObject();
    return o;
}

int mms_values_set_json(mms_values *v, const char *name, cJSON *item)
{
    if (!v || !name || !*name || !item) {
        cJSON_Delete(item);
        return MMS_EINVAL;
    }
    if (cJSON_GetObjectItemCaseSensitive(v->obj, name)) {
        /* Replace in place so the value keeps its position. */
        if (!cJSON_ReplaceItemInObjectCaseSensitive(v->obj, name, item)) {
            cJSON_Delete(item);
            return MMS_ENOMEM;
        }
        return MMS_OK;
    }
    if (!cJSON_AddItemToObject(v->obj, name, item)) {
        cJSON_Delete(item);
        return MMS_ENOMEM;
    }
    return MMS_OK;
}

static int set_created(mms_values *v, const char *name, cJSON *item)
{
    if (!item)
        return MMS_ENOMEM;
    return mms_values_set_json(v, name, item);
}

/* JSON has no NaN or infinity: a non-finite number is written as null, so a
 * reader sees "no value" rather than a parse error. */
int mms_values_set_number(mms_values *v, const char *name, double x)
{
    return set_created(v, name, isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull());
}

int mms_values_set_int(mms_values *v, const char *name, long long x)
{
    return set_created(v, name, cJSON_CreateNumber((double)x));
}

int mms_values_set_bool(mms_values *v, const char *name, int b)
{
    return set_created(v, name, cJSON_CreateBool(b != 0));
}

int mms_values_set_string(mms_values *v, const char *name, const char *s)
{
    return set_created(v, name, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

int mms_values_set_null(mms_values *v, const char *name)
{
    return set_created(v, name, cJSON_CreateNull());
}

int mms_values_set_numbers(mms_values *v, const char *name, const double *x, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    if (!a)
        return MMS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        cJSON *e = isfinite(x[i]) ? cJSON_CreateNumber(x[i]) : cJSON_CreateNull();
        if (!e || !cJSON_AddItemToArray(a, e)) {
            cJSON_Delete(e);
            cJSON_Delete(a);
            return MMS_ENOMEM;
        }
    }
    return mms_values_set_json(v, name, a);
}

const cJSON *mms_values_get(const mms_values *v, const char *name)
{
    if (!v || !name)
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(v->obj, name);
}

int mms_values_get_number(const mms_values *v, const char *name, double *out)
{
    const cJSON *it = mms_values_get(v, name);
    if (!it)
        return MMS_ENOTFOUND;
    if (cJSON_IsNumber(it))
        *out = it->valuedouble;
    else if (cJSON_IsBool(it))
        *out = cJSON_IsTrue(it) ? 1.0 : 0.0;
    else
        return MMS_EINVAL;
    return MMS_OK;
}

int mms_values_get_bool(const mms_values *v, const char *name, int *out)
{
    const cJSON *it = mms_values_get(v, name);
    if (!it)
        return MMS_ENOTFOUND;
    if (!cJSON_IsBool(it))
        return MMS_EINVAL;
    *out = cJSON_IsTrue(it) ? 1 : 0;
    return MMS_OK;
}

int mms_values_get_numbers(const mms_values *v, const char *name, double *x, size_t cap,
                           size_t *n)
{
    const cJSON *it = mms_values_get(v, name);
    if (!it)
        return MMS_ENOTFOUND;
    if (!cJSON_IsArray(it))
        return MMS_EINVAL;
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, it) {
        if (!cJSON_IsNumber(e) && !cJSON_IsNull(e))
            return MMS_EINVAL;
        if (k < cap)
            x[k] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        k++;
    }
    if (n)
        *n = k;
    return MMS_OK;
}

const cJSON *mms_values_json(const mms_values *v)
{
    return v ? v->obj : NULL;
}
