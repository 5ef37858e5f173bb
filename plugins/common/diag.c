/* Diagnostics list helpers (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

#include "mmscore/error.h"

static const char *severity_name(mmsc_severity s)
{
    switch (s) {
    case MMSC_SEV_ERROR:
        return "error";
    case MMSC_SEV_WARNING:
        return "warning";
    default:
        return "info";
    }
}

int mmsc_diag_add(cJSON *list, const char *code, mmsc_severity sev, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *d = cJSON_CreateObject();
    if (!d || !cJSON_AddStringToObject(d, "code", code) ||
        !cJSON_AddStringToObject(d, "severity", severity_name(sev)) ||
        !cJSON_AddStringToObject(d, "message", msg) || !cJSON_AddItemToArray(list, d)) {
        cJSON_Delete(d);
        return MMS_ENOMEM;
    }
    return MMS_OK;
}

void mmsc_diag_site_name(char *buf, size_t n, const char *label, size_t index, long line)
{
    if (label && *label && line > 0)
        snprintf(buf, n, "%s (site %zu, line %ld)", label, index, line);
    else if (label && *label)
        snprintf(buf, n, "%s (site %zu)", label, index);
    else
        snprintf(buf, n, "site %zu", index);
}
