/* fixture_driver: run the structure and symmetry plugins over structures
 * given as JSONL records {"cif": text} (read by the core's CIF reader) and
 * print one JSON line of values per structure; used to compare with the
 * reference where the CLI is not wanted.
 *
 *   fixture_driver PLUGIN_DIR FILE.jsonl [option=value ...]
 *
 * Timing covers the plugins' score calls only. */
#include <stdio.h>
#include <stdlib.h>

#include "pipeline_internal.h"

#include "fixture_structures.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fixture_driver PLUGIN_DIR FILE.jsonl [option=value...]\n");
        return 2;
    }
    fixture_plugin pl[2];
    if (fixture_plugins_load(argv[1], argc - 3, argv + 3, pl))
        return 1;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    double secs[2] = {0, 0};
    long n = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *in = cJSON_Parse(line);
        mms_structure *s = NULL;
        mms_error err;
        mms_error_clear(&err);
        int rc = in ? fixture_structure_from_json(in, &s, &err) : MMS_EPARSE;
        mms_values *v = mms_values_new();
        if (s)
            fixture_score(pl, s, v, secs);
        n++;
        cJSON *o = mms_values_detach(v);
        cJSON *row = in ? cJSON_GetObjectItem(in, "row") : NULL;
        cJSON_AddNumberToObject(o, "row", row ? row->valuedouble : -1);
        if (s)
            cJSON_AddNumberToObject(o, "volume", s->volume);
        else
            cJSON_AddStringToObject(o, "read_error", rc == MMS_OK ? "" : err.message);
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
    double total = secs[0] + secs[1];
    fprintf(stderr,
            "fixture_driver: %ld structures scored in %.3f s (%.0f structures/s; structure "
            "%.3f s = %.0f/s, symmetry %.3f s = %.0f/s)\n",
            n, total, total > 0 ? (double)n / total : 0.0, secs[0],
            secs[0] > 0 ? (double)n / secs[0] : 0.0, secs[1], secs[1] > 0 ? (double)n / secs[1] : 0.0);
    fixture_plugins_free(pl);
    return 0;
}
