/* fixture_driver: run the structure and symmetry plugins over structures
 * given as JSONL (see p1cif_to_jsonl.py) and print one JSON line of values
 * per structure; used by compare_full.sh and the CTest subset tests.
 *
 *   fixture_driver PLUGIN_DIR FILE.jsonl [option=value ...]
 *
 * Plugins are loaded with dlopen like the host does; options start from
 * each plugin's declared defaults. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmscore/mmscore.h"
#include "pipeline_internal.h"

#include "fixture_structures.h"

typedef struct loaded {
    const mms_plugin *p;
    void *state;
} loaded;

static int load(const char *dir, const char *name, int argc, char **argv, loaded *out)
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
        for (int i = 0; i < argc; i++) {
            size_t l = strlen(o->name);
            if (!strncmp(argv[i], o->name, l) && argv[i][l] == '=')
                v = argv[i] + l + 1;
        }
        if (o->type == MMS_OPT_NUMBER)
            cJSON_AddNumberToObject(cfg, o->name, atof(v));
    }
    mms_error err;
    int rc = out->p->create(&out->state, cfg, &err);
    cJSON_Delete(cfg);
    if (rc != MMS_OK)
        fprintf(stderr, "%s: %s\n", name, err.message);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fixture_driver PLUGIN_DIR FILE.jsonl [option=value...]\n");
        return 2;
    }
    loaded pl[2];
    if (load(argv[1], "structure", argc - 3, argv + 3, &pl[0]) ||
        load(argv[1], "symmetry", argc - 3, argv + 3, &pl[1]))
        return 1;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    double seconds = 0, per_plugin[2] = {0, 0};
    long n = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *in = cJSON_Parse(line);
        mms_structure *s = NULL;
        mms_error err;
        mms_error_clear(&err);
        int rc = in ? fixture_structure_from_json(in, &s, &err) : MMS_EPARSE;
        mms_values *v = mms_values_new();
        mms_record rec = {0};
        rec.structure = s;
        rec.id = "";
        for (int k = 0; k < 2 && s; k++) {
            struct timespec t0, t1;
            mms_error e2;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            if (pl[k].p->score(pl[k].state, &rec, v, v, &e2) != MMS_OK)
                mms_values_set_string(v, pl[k].p->name, e2.message);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
            per_plugin[k] += dt;
            seconds += dt;
        }
        n++;
        cJSON *o = mms_values_detach(v);
        cJSON *row = in ? cJSON_GetObjectItem(in, "row") : NULL;
        cJSON_AddNumberToObject(o, "row", row ? row->valuedouble : -1);
        if (s) {
            cJSON_AddNumberToObject(o, "volume", s->volume);
        } else {
            cJSON_AddStringToObject(o, "read_error", rc == MMS_OK ? "" : err.message);
        }
        char *txt = cJSON_PrintUnformatted(o);
        puts(txt);
        free(txt);
        cJSON_Delete(o);
        mms_values_free(v);
        mms_structure_free(s);
        cJSON_Delete(in);
    }
    free(line);
    fclose(f);
    fprintf(stderr,
            "fixture_driver: %ld structures scored in %.3f s (%.0f structures/s; structure "
            "%.3f s, symmetry %.3f s)\n",
            n, seconds, seconds > 0 ? (double)n / seconds : 0.0, per_plugin[0], per_plugin[1]);
    for (int k = 0; k < 2; k++)
        pl[k].p->destroy(pl[k].state);
    return 0;
}
