/* See fixture_structures.h. */
#include "fixture_structures.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int load_one(const char *dir, const char *name, int n_opts, char **opts,
                    fixture_plugin *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        fprintf(stderr, "%s\n", dlerror());
        return -1;
    }
    mms_plugin_entry_fn entry = (mms_plugin_entry_fn)(size_t)dlsym(dl, MMS_PLUGIN_ENTRY_SYMBOL);
    if (!entry)
        return -1;
    out->p = entry();
    cJSON *cfg = cJSON_CreateObject();
    for (const mms_option_def *o = out->p->options; o && o->name; o++) {
        const char *v = o->default_value;
        size_t l = strlen(o->name);
        for (int i = 0; i < n_opts; i++)
            if (!strncmp(opts[i], o->name, l) && opts[i][l] == '=')
                v = opts[i] + l + 1;
        if (o->type == MMS_OPT_NUMBER && v)
            cJSON_AddNumberToObject(cfg, o->name, atof(v));
    }
    mms_error err;
    int rc = out->p->create(&out->state, cfg, &err);
    cJSON_Delete(cfg);
    if (rc != MMS_OK)
        fprintf(stderr, "%s: %s\n", name, err.message);
    return rc;
}

int fixture_plugins_load(const char *dir, int n_opts, char **opts, fixture_plugin out[2])
{
    return load_one(dir, "structure", n_opts, opts, &out[0]) ||
           load_one(dir, "symmetry", n_opts, opts, &out[1]);
}

void fixture_plugins_free(fixture_plugin pl[2])
{
    for (int k = 0; k < 2; k++)
        pl[k].p->destroy(pl[k].state);
}

void fixture_score(fixture_plugin pl[2], const mms_structure *s, mms_values *v, double secs[2])
{
    mms_record rec;
    memset(&rec, 0, sizeof rec);
    rec.structure = s;
    rec.id = "";
    rec.set = "input";
    for (int k = 0; k < 2; k++) {
        struct timespec t0, t1;
        mms_error err;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (pl[k].p->score(pl[k].state, &rec, v, v, &err) != MMS_OK)
            mms_values_set_string(v, pl[k].p->name, err.message);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs[k] += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
}
