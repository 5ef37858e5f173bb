/* Test plugin with a revision-1 descriptor, as a plugin built against
 * mmscore 0.1 has: MMS_PLUGIN_SIZE_V1 bytes and not one more.  The entry
 * returns a heap block of exactly that size, so under ASan any host read
 * past the plugin's struct_size is an error, not a silent garbage value. */
#include <stdlib.h>
#include <string.h>

#include "mmscore/plugin.h"

static int score(void *s, const mms_record *r, const mms_values *e, mms_values *o, mms_error *err)
{
    (void)s, (void)e, (void)err;
    /* Only revision-1 record fields: this plugin's header had no others. */
    return mms_values_set_int(o, "tp_v1_sites", r->structure ? (long long)r->structure->n_sites : -1);
}

static const mms_metric_def metrics[] = {{"tp_v1_sites", "int", "sites, seen by a v1 plugin"},
                                         {NULL, NULL, NULL}};

static const mms_plugin full = {.abi_version = MMS_PLUGIN_ABI_VERSION,
                                .struct_size = MMS_PLUGIN_SIZE_V1,
                                .name = "tp_v1",
                                .version = "0.1",
                                .description = "test: a revision-1 descriptor",
                                .kind = MMS_PLUGIN_SCORER,
                                .accepts = MMS_ACCEPT_STRUCTURE,
                                .commands = "validate",
                                .metrics = metrics,
                                .score = score};

static void *v1;

static void release(void) __attribute__((destructor));
static void release(void)
{
    free(v1);
}

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    if (!v1 && (v1 = malloc(MMS_PLUGIN_SIZE_V1)))
        memcpy(v1, &full, MMS_PLUGIN_SIZE_V1);
    return v1;
}
