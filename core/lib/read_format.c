/* mms_read_format: the core's readers by format name. */
#include <string.h>

#include "mmscore/reader.h"

int mms_read_format(const char *format, const char *text, size_t len,
                    const mms_read_options *opt, mms_structure_cb cb, void *ctx, mms_error *err)
{
    if (!format)
        return mms_error_set(err, MMS_EINVAL, 0, "read_format: NULL format name");
    if (strcmp(format, "cif") == 0 || strcmp(format, "mcif") == 0)
        return mms_read_cif(text, len, opt, cb, ctx, err);
    if (strcmp(format, "text") == 0)
        return mms_read_text(text, len, opt, cb, ctx, err);
    return mms_error_set(err, MMS_EUNSUPPORTED, 0,
                         "format '%s' is not read by the core (cif, text); a reader plugin may",
                         format);
}
