/* Structures from the JSONL that p1cif_to_jsonl.py writes (lattice rows,
 * sites with element, oxidation, occupancy, fractional position, label;
 * selected CIF tags and loops), for the structure/symmetry tests. */
#ifndef MMS_TEST_FIXTURE_STRUCTURES_H
#define MMS_TEST_FIXTURE_STRUCTURES_H

#include <cjson/cJSON.h>

#include "mmscore/plugin.h"

/* *out is the caller's (mms_structure_free).  MMS_EPARSE on a record the
 * tool could not convert (its "error" is in err). */
int fixture_structure_from_json(const cJSON *rec, mms_structure **out, mms_error *err);

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
