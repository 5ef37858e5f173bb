/* mmscore — turning text into structures.
 *
 * The core reads CIF 1.1 and crystal-text-llm text itself (the hot path);
 * reader plugins (e.g. Open Babel) have the same calling convention.  A text
 * may hold several structures (CIF data blocks): each one, or the error that
 * stopped it, is handed to a callback, so one bad block never hides the
 * others. */
#ifndef MMSCORE_READER_H
#define MMSCORE_READER_H

#include "structure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mms_read_options {
    size_t max_sites;      /* limit after symmetry expansion; 0 = MMS_DEFAULT_MAX_SITES */
    size_t max_line_len;   /* longest accepted line; 0 = MMS_DEFAULT_MAX_LINE */
    double merge_tol;      /* fractional distance under which expanded positions
                              coincide; 0 = pymatgen's 1e-4 */
    long line_offset;      /* added to reported lines (text embedded in a CSV cell) */
    const char *source;    /* file name of the text; may be NULL.  Not for
                              messages: see mms_structure_cb */
} mms_read_options;

#define MMS_DEFAULT_MAX_SITES 10000
#define MMS_DEFAULT_MAX_LINE (1u << 20)
#define MMS_DEFAULT_MAX_RECORD (64u << 20)

/* Receives one structure (ownership passes to the callee, which must free
 * it) or, when s is NULL, the error of one block (err non-NULL, borrowed).
 * `block` is the 0-based index of the block in the text.  Return MMS_OK to
 * go on, anything else to stop reading.
 *
 * A reader's error sets err->line (1-based, line_offset added) and a message
 * saying what was expected and what was found, with no file name or line in
 * it: the pipeline writes "FILE:LINE: record ID: message" once. */
typedef int (*mms_structure_cb)(void *ctx, size_t block, mms_structure *s, const mms_error *err);

/* Read every data block of a CIF 1.1 text.  Returns MMS_OK if the text could
 * be split into blocks (per-block errors go to cb), an error code otherwise
 * (nothing usable, e.g. no data_ block at all). */
MMS_EXPORT int mms_read_cif(const char *text, size_t len, const mms_read_options *opt,
                            mms_structure_cb cb, void *ctx, mms_error *err);

/* Read crystal-text-llm text: a lengths line "a b c", an angles line
 * "alpha beta gamma", then element / "x y z" line pairs.  One structure. */
MMS_EXPORT int mms_read_text(const char *text, size_t len, const mms_read_options *opt,
                             mms_structure_cb cb, void *ctx, mms_error *err);

/* Dispatch on a format name ("cif", "text") to the core readers above;
 * MMS_EUNSUPPORTED for anything else (the host then asks reader plugins). */
MMS_EXPORT int mms_read_format(const char *format, const char *text, size_t len,
                               const mms_read_options *opt, mms_structure_cb cb, void *ctx,
                               mms_error *err);

#ifdef __cplusplus
}
#endif
#endif
