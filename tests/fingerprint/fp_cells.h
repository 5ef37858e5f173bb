/* Test helper: read the cells that make_cells.py writes. */
#ifndef FP_CELLS_H
#define FP_CELLS_H

#include <stddef.h>

#include "crystalnn.h"
#include "magpie.h"

typedef struct fp_cell_rec {
    char id[128];
    long row;
    mmsc_cell cell;          /* frac and z point into the arrays below */
    double (*frac)[3];
    int *z;
    int has_ref;           /* comp_fp and struct_fp present */
    double comp_fp[FP_MAGPIE_LEN];
    double struct_fp[MMSC_CNN_LEN];
} fp_cell_rec;

typedef struct fp_cells {
    size_t n;
    fp_cell_rec *recs;
} fp_cells;

int fp_cells_load(const char *path, fp_cells *out);
void fp_cells_free(fp_cells *c);
/* Magpie fingerprint of the cell's composition, elements in order of first
 * appearance with their atom counts (as basic_eval's Composition(Counter)). */
int fp_cells_magpie(const fp_cell_rec *c, double out[FP_MAGPIE_LEN]);

#endif
