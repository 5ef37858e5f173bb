/* mmscore — error codes and the one error struct every call fills.
 *
 * Every fallible function returns an int: MMS_OK (0) on success, a negative
 * MMS_E* code otherwise, and, when given a non-NULL mms_error, writes a human
 * message there.  Library code never calls exit() or abort().  The same
 * holds between mmscore's own files and in plugins/common: no -1/0 or
 * "char *why" error returns beside these codes (docs/plugins.md, Errors). */
#ifndef MMSCORE_ERROR_H
#define MMSCORE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MMS_EXPORT __declspec(dllexport)
#else
#define MMS_EXPORT __attribute__((visibility("default")))
#endif

enum {
    MMS_OK = 0,
    MMS_EIO = -1,          /* a file or stream could not be read/written */
    MMS_EPARSE = -2,       /* malformed input: message says what was expected */
    MMS_ELIMIT = -3,       /* a configured limit (atoms, record size, line length) was hit */
    MMS_ENOMEM = -4,       /* allocation failed */
    MMS_EINVAL = -5,       /* bad argument or option value */
    MMS_EABI = -6,         /* plugin of another ABI version or descriptor size */
    MMS_EUNSUPPORTED = -7, /* format/feature not handled (e.g. no reader for it) */
    MMS_EPLUGIN = -8,      /* a plugin failed (load, create, score) */
    MMS_ENOTFOUND = -9,    /* a looked-up name (value, tag, element) does not exist */
    MMS_ECOMPUTE = -10     /* a computation could not be done for this input
                              (e.g. symmetry search failed, degenerate cell) */
};

#define MMS_ERROR_MESSAGE_MAX 512

typedef struct mms_error {
    int code;                            /* one of the MMS_E* codes, MMS_OK if none */
    long line;                           /* 1-based line in the record's source, 0 if unknown */
    char message[MMS_ERROR_MESSAGE_MAX]; /* NUL-terminated, never a dangling pointer */
} mms_error;

/* Fill err (may be NULL) and return code.  printf-style message. */
MMS_EXPORT int mms_error_set(mms_error *err, int code, long line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Reset err (may be NULL) to MMS_OK with an empty message. */
MMS_EXPORT void mms_error_clear(mms_error *err);

/* Stable short name of a code ("parse", "limit", ...); never NULL. */
MMS_EXPORT const char *mms_error_code_name(int code);

#ifdef __cplusplus
}
#endif
#endif
