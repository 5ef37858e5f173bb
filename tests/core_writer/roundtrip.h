/* Writer checks shared by the CTest test and the full-fixture tool:
 * read -> write -> read round trips, and token-by-token comparison of our
 * CIF with a CIF that pymatgen's CifWriter wrote for the same structure. */
#ifndef MMSCORE_TEST_ROUNDTRIP_H
#define MMSCORE_TEST_ROUNDTRIP_H

#include <stddef.h>

#include "mmscore/mmscore.h"
#include "mmscore/host.h"
#include "mmscore/writer.h"

enum { RT_CIF, RT_TEXT, RT_POSCAR, RT_XYZ, RT_NFMT };
extern const char *const rt_format_names[RT_NFMT];

/* Write s in format fmt, read it back, compare.  Returns 1 if exact, 0 if
 * the format cannot hold s (disordered -> POSCAR/XYZ/text), 2 if exact but
 * for coordinates the reader snapped to 1/3 or 2/3 (pymatgen's CifParser
 * rule, see roundtrip.c), 3 if exact but for the volume of a flat cell
 * (volume below 1e-6 a*b*c, not a function of the parameters to 1e-12), 4 if
 * the sites came back exact but permuted (pymatgen's site sort, see
 * roundtrip.c), -1 with `why` filled if the structure changed. */
int rt_check(const mms_structure *s, int fmt, char *why, size_t n);

/* Counts per format over a run. */
typedef struct rt_counts {
    long records, unread;
    long exact[RT_NFMT], snapped[RT_NFMT], flat[RT_NFMT], reordered[RT_NFMT], skipped[RT_NFMT], failed[RT_NFMT];
} rt_counts;

/* Round-trip every record of the inputs (files, folders, CSV...) through
 * every format; failures are printed to stderr (at most max_report). */
int rt_run_inputs(const char *const *inputs, size_t n, rt_counts *c, long max_report);

/* Layout against pymatgen: read `text` (a CIF pymatgen wrote), write it
 * with mms_write_cif and compare token by token (comments skipped).  Words
 * must be identical; numbers equal when ours is rounded to pymatgen's 8
 * decimals (*exact) or within 1e-6 (*close: the reader moved the value, e.g.
 * pymatgen's 1/3 and 2/3 snapping).  Returns 1 if every token matched one of
 * the two ways, 0 if the text does not read, -1 with `why` on a mismatch. */
int rt_layout(const char *text, size_t len, long *exact, long *close, char *why, size_t n);

/* Whole file, NUL-terminated, length in *len; NULL if unreadable.  The
 * caller frees it. */
char *rt_slurp(const char *path, size_t *len);

#endif
