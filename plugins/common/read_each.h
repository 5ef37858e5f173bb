/* Records of a file read by the core's own input layer, for plugins that
 * read a reference file of their own (match, csp, sun: structures; stability:
 * its hull reference, fields-only rows), so they get the core's readers, its
 * limits and its error texts instead of a parser each. */
#ifndef MMSC_READ_EACH_H
#define MMSC_READ_EACH_H

#include "mmscore/plugin.h"

/* Every record of `path` (as input set `set`; format NULL: by its name and
 * content, else as `--format` takes it, e.g. "csv", "jsonl") to cb, in input
 * order, on this thread.  Rows without a structure are fields-only records.
 * The first error cb returns stops the reading and is returned. */
int mmsc_read_each(const char *path, const char *set, const char *format,
                   int (*cb)(void *ctx, const mms_record *rec, mms_values *values, mms_error *err),
                   void *ctx, mms_error *err);

#endif
