/* Shared by the match, csp and sun plugins: matcher options from a plugin
 * config, and structures read from a file as reduced cells. */
#ifndef MMSC_MATCH_CELLS_H
#define MMSC_MATCH_CELLS_H

#include <cjson/cJSON.h>

#include "mmscore/match.h"
#include "mmscore/plugin.h"

/* preset named by config[preset_key], then the explicit overrides
 * (ltol, stol, angle_tol >= 0; comparator ""; flags >= 0). */
int mmsc_match_options_from_config(mms_match_options *o, const cJSON *config, const char *preset_key,
                              mms_error *err);

/* One structure of `path` (any input mmscore reads), in input order. */
typedef struct mmsc_match_ref {
    char *id;            /* record id (owned) */
    mms_match_cell *cell;/* NULL when the record could not be matched */
    char *error;         /* why (owned), when cell is NULL */
} mmsc_match_ref;

typedef struct mmsc_match_refs {
    mmsc_match_ref *r;
    size_t n, cap;
    const mms_match_options *o;
    int rebuild;         /* rebuild the lattice from its parameters (CDVAE Crystal) */
} mmsc_match_refs;

int mmsc_match_refs_read(mmsc_match_refs *refs, const char *path, mms_error *err);
/* Every record of `path` (as input set `set`) to cb, in input order. */
int mmsc_match_read_each(const char *path, const char *set,
                    int (*cb)(void *ctx, const mms_record *rec, mms_values *values, mms_error *err),
                    void *ctx, mms_error *err);
void mmsc_match_refs_free(mmsc_match_refs *refs);

/* The cell of a structure, optionally rebuilt as CDVAE's Crystal does:
 * Lattice.from_parameters(a, b, c, alpha, beta, gamma), fractional
 * coordinates and atomic numbers (oxidation states dropped). */
int mmsc_match_cell_of(mms_match_cell **out, const mms_match_options *o, const mms_structure *s,
                  int rebuild, mms_error *err);

#endif
