/* Diagnostics in the checkCIF spirit: a stable code, a severity, a message.
 * Shared by the structure and symmetry plugins; codes are documented in
 * docs/diagnostics.md.  A list is a cJSON array owned by the caller until it
 * is handed to mms_values_set_json. */
#ifndef MMSC_DIAG_H
#define MMSC_DIAG_H

#include <cjson/cJSON.h>

typedef enum mmsc_severity { MMSC_SEV_INFO, MMSC_SEV_WARNING, MMSC_SEV_ERROR } mmsc_severity;

/* Append {code, severity, message} to list (a cJSON array).  MMS_OK, or
 * MMS_ENOMEM (the list is then unchanged). */
int mmsc_diag_add(cJSON *list, const char *code, mmsc_severity sev, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* "Fe1 (site 3, line 27)" or "site 3" when the site has no label/line. */
void mmsc_diag_site_name(char *buf, size_t n, const char *label, size_t index, long line);

#endif
