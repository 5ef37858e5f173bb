/* Error reporting: one struct, a code and a bounded message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmscore/error.h"

int mms_error_set(mms_error *err, int code, long line, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        err->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void mms_error_clear(mms_error *err)
{
    if (err) {
        err->code = MMS_OK;
        err->line = 0;
        err->message[0] = '\0';
    }
}

const char *mms_error_code_name(int code)
{
    switch (code) {
    case MMS_OK: return "ok";
    case MMS_EIO: return "io";
    case MMS_EPARSE: return "parse";
    case MMS_ELIMIT: return "limit";
    case MMS_ENOMEM: return "nomem";
    case MMS_EINVAL: return "invalid";
    case MMS_EABI: return "abi";
    case MMS_EUNSUPPORTED: return "unsupported";
    case MMS_EPLUGIN: return "plugin";
    case MMS_ENOTFOUND: return "notfound";
    case MMS_ECOMPUTE: return "compute";
    default: return "unknown";
    }
}
