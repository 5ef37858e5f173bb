/* See fixture_structures.h. */
#include "fixture_structures.h"

#include <stdio.h>
#include <string.h>

#include "mmscore/elements.h"

static int add_tags(mms_structure *s, const cJSON *rec, mms_error *err)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(rec, "tags"))
    {
        if (cJSON_IsString(t) && mms_structure_set_tag(s, t->string, t->valuestring, err))
            return err->code;
    }
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(rec, "loops"))
    {
        int n = cJSON_GetArraySize(t);
        const char *vals[4096];
        if (n > 4096)
            return mms_error_set(err, MMS_ELIMIT, 0, "loop too long");
        for (int i = 0; i < n; i++)
            vals[i] = cJSON_GetStringValue(cJSON_GetArrayItem(t, i));
        if (mms_structure_set_loop(s, t->string, (size_t)n, vals, err))
            return err->code;
    }
    return MMS_OK;
}

int fixture_structure_from_json(const cJSON *rec, mms_structure **out, mms_error *err)
{
    *out = NULL;
    const cJSON *e = cJSON_GetObjectItem(rec, "error");
    if (e)
        return mms_error_set(err, MMS_EPARSE, 0, "%s", cJSON_GetStringValue(e));
    double lat[3][3];
    const cJSON *L = cJSON_GetObjectItem(rec, "lattice");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            lat[i][j] = cJSON_GetArrayItem(cJSON_GetArrayItem(L, i), j)->valuedouble;
    mms_structure *s;
    if (mms_structure_create(&s, lat, err))
        return err->code;
    const cJSON *site;
    cJSON_ArrayForEach(site, cJSON_GetObjectItem(rec, "sites"))
    {
        mms_site st;
        memset(&st, 0, sizeof st);
        st.n_species = 1;
        st.species[0].z = mms_element_z(cJSON_GetStringValue(cJSON_GetObjectItem(site, "el")));
        st.species[0].occupancy = cJSON_GetObjectItem(site, "occ")->valuedouble;
        const cJSON *ox = cJSON_GetObjectItem(site, "ox");
        if (cJSON_IsNumber(ox)) {
            st.species[0].has_oxidation = 1;
            st.species[0].oxidation = ox->valuedouble;
        }
        for (int k = 0; k < 3; k++)
            st.frac[k] = cJSON_GetArrayItem(cJSON_GetObjectItem(site, "frac"), k)->valuedouble;
        snprintf(st.label, sizeof st.label, "%s",
                 cJSON_GetStringValue(cJSON_GetObjectItem(site, "label")));
        if (mms_structure_add_site(s, &st, 0, err)) {
            mms_structure_free(s);
            return err->code;
        }
    }
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "name"));
    if (name && !(s->name = strdup(name))) {
        mms_structure_free(s);
        return mms_error_set(err, MMS_ENOMEM, 0, "out of memory");
    }
    s->format = "cif";
    if (add_tags(s, rec, err) || mms_structure_finalize(s, err)) {
        mms_structure_free(s);
        return err->code;
    }
    *out = s;
    return MMS_OK;
}
