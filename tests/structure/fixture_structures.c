/* See fixture_structures.h. */
#include "fixture_structures.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmscore/reader.h"

typedef struct first_block {
    mms_structure *s;
    mms_error err;
    int seen;
} first_block;

/* Keep the first data block, as pymatgen's Structure.from_str does. */
static int keep_first(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    first_block *fb = ctx;
    (void)block;
    if (fb->seen++) {
        mms_structure_free(s);
        return MMS_OK;
    }
    if (s)
        fb->s = s;
    else if (err)
        fb->err = *err;
    return MMS_OK;
}

int fixture_structure_from_json(const cJSON *rec, mms_structure **out, mms_error *err)
{
    *out = NULL;
    const char *cif = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "cif"));
    if (!cif)
        return mms_error_set(err, MMS_EPARSE, 0, "record has no \"cif\" text");
    first_block fb;
    memset(&fb, 0, sizeof fb);
    mms_read_options opt;
    memset(&opt, 0, sizeof opt);
    int rc = mms_read_cif(cif, strlen(cif), &opt, keep_first, &fb, err);
    if (rc != MMS_OK)
        return rc;
    if (!fb.s) {
        if (err)
            *err = fb.err;
        return fb.err.code ? fb.err.code : MMS_EPARSE;
    }
    *out = fb.s;
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

cJSON **fixture_read_jsonl(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    cJSON **out = NULL;
    char *line = NULL;
    size_t cap = 0;
    int ok = 1;
    *n = 0;
    while (ok && getline(&line, &cap, f) > 0) {
        cJSON **grown = realloc(out, (*n + 1) * sizeof *out);
        ok = grown != NULL;
        if (ok) {
            out = grown;
            out[*n] = cJSON_Parse(line);
            ok = out[*n] != NULL;
            *n += ok;
        }
    }
    free(line);
    fclose(f);
    if (!ok) {
        for (size_t i = 0; i < *n; i++)
            cJSON_Delete(out[i]);
        free(out);
        return NULL;
    }
    return out;
}
