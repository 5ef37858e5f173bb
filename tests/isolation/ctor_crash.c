/* A plugin whose constructor crashes when it is loaded (dlopen): the host
 * must name this file and go on, even in `mmscore plugins`. */
#include "mmscore/plugin.h"

static volatile int sink;
static int *volatile nowhere; /* NULL the compiler cannot see through */

__attribute__((constructor)) static void crash_on_load(void)
{
    sink = *nowhere;
}

MMS_PLUGIN_EXPORT const mms_plugin *mmscore_plugin_entry(void)
{
    return 0;
}
