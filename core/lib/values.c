/* mms_values: a plugin's named results, a thin wrapper over one cJSON object.
 * Key order is insertion order (replacing a name keeps its place), which is
 * the order values are written to the records file.
 *
 * Number arrays are kept packed: set_numbers puts an empty array in the
 * object as the value's place holder and keeps the doubles beside it, and the
 * array's elements are made only when someone reads the JSON (get, json,
 * detach, the records writer).  A fingerprint record carries 193 numbers that
 * the eval reads back as doubles and never prints: as cJSON elements they
 * were a malloc, a free and a conversion each.  Filling a place holder from a
 * const getter changes no value and the pointer it returns stays valid; a
 * values object is used by one thread at a time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mmscore/plugin.h"
#include "grow_internal.h"
#include "values_internal.h"

mms_values *mms_values_new(void)
{
    mms_values *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->obj = cJSON_CreateObject();
    if (!v->obj) {
        free(v);
        return NULL;
    }
    return v;
}

static void packed_drop(mms_values *v, size_t i)
{
    free(v->packed[i].x);
    v->packed[i] = v->packed[--v->n_packed];
}

void mms_values_free(mms_values *v)
{
    if (v) {
        for (size_t i = 0; i < v->n_packed; i++)
            free(v->packed[i].x);
        free(v->packed);
        cJSON_Delete(v->obj);
        free(v);
    }
}

/* Room for one more packed value. */
static int packed_reserve(mms_values *v)
{
    return mms_grow((void **)&v->packed, &v->cap_packed, v->n_packed + 1, sizeof *v->packed, 4)
               ? MMS_OK
               : MMS_ENOMEM;
}

static long packed_find(const mms_values *v, const cJSON *slot)
{
    for (size_t i = 0; i < v->n_packed; i++)
        if (v->packed[i].slot == slot)
            return (long)i;
    return -1;
}

/* JSON has no NaN or infinity: a non-finite number is written as null, so a
 * reader sees "no value" rather than a parse error. */
static cJSON *number_item(double x)
{
    return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull();
}

/* A JSON array of the packed doubles (NULL if out of memory). */
static cJSON *packed_array(const mms_values_packed *pk)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t k = 0; a && k < pk->n; k++) {
        cJSON *e = number_item(pk->x[k]);
        if (!e || !cJSON_AddItemToArray(a, e)) {
            cJSON_Delete(e);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* Fills the place holder of packed value i and forgets the doubles; out of
 * memory, the value stays packed and the place holder empty. */
static int packed_fill(mms_values *v, size_t i)
{
    cJSON *a = packed_array(&v->packed[i]);
    if (!a)
        return MMS_ENOMEM;
    v->packed[i].slot->child = a->child; /* the elements move, the place holder stays */
    a->child = NULL;
    cJSON_Delete(a);
    packed_drop(v, i);
    return MMS_OK;
}

int mms_values_materialize(mms_values *v)
{
    int rc = MMS_OK;
    while (v && v->n_packed && rc == MMS_OK)
        rc = packed_fill(v, v->n_packed - 1);
    return rc;
}

cJSON *mms_values_item_copy(const mms_values *v, const cJSON *item)
{
    long i = packed_find(v, item);
    return i < 0 ? cJSON_Duplicate(item, 1) : packed_array(&v->packed[i]);
}

cJSON *mms_values_detach(mms_values *v)
{
    mms_values_materialize(v);
    cJSON *o = v->obj;
    v->obj = cJSON_CreateObject();
    return o;
}

/* The first failure of a set_* call sticks, so a writer of many values can
 * check once at the end (mms_values_error). */
static int sticky(mms_values *v, int rc)
{
    if (rc != MMS_OK && v && v->first_error == MMS_OK)
        v->first_error = rc;
    return rc;
}

int mms_values_error(const mms_values *v)
{
    return v ? v->first_error : MMS_EINVAL;
}

static int set_item(mms_values *v, const char *name, cJSON *item)
{
    if (!v || !name || !*name || !item) {
        cJSON_Delete(item);
        return MMS_EINVAL;
    }
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(v->obj, name);
    if (old) {
        long i = packed_find(v, old);
        if (i >= 0)
            packed_drop(v, (size_t)i);
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

int mms_values_set_json(mms_values *v, const char *name, cJSON *item)
{
    return sticky(v, set_item(v, name, item));
}

static int set_created(mms_values *v, const char *name, cJSON *item)
{
    return sticky(v, item ? set_item(v, name, item) : MMS_ENOMEM);
}

int mms_values_set_number(mms_values *v, const char *name, double x)
{
    return set_created(v, name, number_item(x));
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

static int set_numbers(mms_values *v, const char *name, const double *x, size_t n)
{
    if (!v || (n && !x))
        return MMS_EINVAL;
    if (packed_reserve(v) != MMS_OK)
        return MMS_ENOMEM;
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    cJSON *slot = copy ? cJSON_CreateArray() : NULL;
    if (!slot) {
        free(copy);
        return MMS_ENOMEM;
    }
    int rc = set_item(v, name, slot); /* drops a packed value it replaces */
    if (rc != MMS_OK) {
        free(copy);
        return rc;
    }
    if (n)
        memcpy(copy, x, n * sizeof *x);
    v->packed[v->n_packed++] = (mms_values_packed){copy, n, slot};
    return MMS_OK;
}

int mms_values_set_numbers(mms_values *v, const char *name, const double *x, size_t n)
{
    return sticky(v, set_numbers(v, name, x, n));
}

const cJSON *mms_values_get(const mms_values *v, const char *name)
{
    if (!v || !name)
        return NULL;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(v->obj, name);
    long i = it ? packed_find(v, it) : -1;
    if (i >= 0 && packed_fill((mms_values *)v, (size_t)i) != MMS_OK)
        return NULL;
    return it;
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
    const cJSON *it = v && name ? cJSON_GetObjectItemCaseSensitive(v->obj, name) : NULL;
    if (!it)
        return MMS_ENOTFOUND;
    long i = packed_find(v, it);
    if (i >= 0) { /* as from the JSON: a non-finite number reads as NaN */
        const mms_values_packed *pk = &v->packed[i];
        for (size_t k = 0; k < pk->n && k < cap; k++)
            x[k] = isfinite(pk->x[k]) ? pk->x[k] : NAN;
        if (n)
            *n = pk->n;
        return MMS_OK;
    }
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
    if (mms_values_materialize((mms_values *)v) != MMS_OK)
        return NULL;
    return v ? v->obj : NULL;
}

int mms_values_move(mms_values *dst, mms_values *src)
{
    cJSON *item;
    int rc = MMS_OK;
    while (rc == MMS_OK && (item = src->obj->child)) {
        long i = packed_find(src, item);
        if (i >= 0 && packed_reserve(dst) != MMS_OK)
            return MMS_ENOMEM;
        cJSON_DetachItemViaPointer(src->obj, item);
        char *name = item->string;
        item->string = NULL;
        rc = set_item(dst, name, item); /* owns item now */
        cJSON_free(name);
        if (i >= 0) {
            if (rc == MMS_OK) { /* the doubles go with their place holder */
                dst->packed[dst->n_packed++] = src->packed[i];
                src->packed[i] = src->packed[--src->n_packed];
            } else {
                packed_drop(src, (size_t)i);
            }
        }
    }
    return rc;
}
