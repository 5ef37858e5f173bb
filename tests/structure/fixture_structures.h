/* Helpers of the structure/symmetry fixture tests and driver: structures
 * from JSONL records {"cif": text, ...} read by the core's CIF reader, and
 * the two plugins loaded as the host loads them. */
#ifndef MMS_TEST_FIXTURE_STRUCTURES_H
#define MMS_TEST_FIXTURE_STRUCTURES_H

#include <cjson/cJSON.h>

#include "mmscore/plugin.h"

/* The first data block of rec's "cif" text, as pymatgen's
 * Structure.from_str reads it.  *out is the caller's (mms_structure_free);
 * on failure err says why. */
int fixture_structure_from_json(const cJSON *rec, mms_structure **out, mms_error *err);

/* Every line of a JSONL file parsed; *n gets the count.  NULL if the file
 * cannot be read or a line is not JSON.  Free each item with cJSON_Delete,
 * then the array with free. */
cJSON **fixture_read_jsonl(const char *path, size_t *n);

/* The two plugins of this folder's tests, loaded with dlopen from dir as
 * the host does, created with their declared defaults overridden by
 * "option=value" strings. */
typedef struct fixture_plugin {
    const mms_plugin *p;
    void *state;
} fixture_plugin;

int fixture_plugins_load(const char *dir, int n_opts, char **opts, fixture_plugin out[2]);
void fixture_plugins_free(fixture_plugin pl[2]);

/* Score s with both plugins into v; a plugin error is stored as a string
 * value under the plugin's name.  Adds the seconds each took to secs. */
void fixture_score(fixture_plugin pl[2], const mms_structure *s, mms_values *v, double secs[2]);

#endif
