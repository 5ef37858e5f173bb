/* Shared by the structure and symmetry plugin tests (cmocka, plugin
 * sources linked in): score one structure, look for a diagnostic code. */
#ifndef MMS_TEST_PLUGIN_TEST_UTIL_H
#define MMS_TEST_PLUGIN_TEST_UTIL_H

#include <string.h>

#include "mmscore/plugin.h"
#include "pipeline_internal.h"

const mms_plugin *mmscore_plugin_entry(void);

/* The plugin's values for s (caller frees); the call must succeed. */
static inline mms_values *score(void *st, const mms_structure *s)
{
    mms_record rec;
    memset(&rec, 0, sizeof rec);
    rec.structure = s;
    mms_values *v = mms_values_new();
    mms_error err;
    assert_int_equal(mmscore_plugin_entry()->score(st, &rec, NULL, v, &err), MMS_OK);
    return v;
}

/* Does the diagnostics array under `key` hold `code`? */
static inline int has_diag(const cJSON *diags, const char *code)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, diags)
    {
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "code")), code))
            return 1;
    }
    return 0;
}

#endif
