/* spglib_floor CSV...: how fast can space groups be at all with spglib?
 * Times spgat_get_dataset alone (at symprec 0.1 and 0.01, angle tolerance -1:
 * what the symmetry plugin and pymatgen's SpacegroupAnalyzer call) on the
 * cells basic_eval builds, with no reading, plugin or report around it.  The
 * texts are read first; only spglib is timed, in CPU time of this thread,
 * best of 2 passes.  Its rate bounds `mmscore validate` from above, and its
 * ratio to the reference (~330 structures/s for two symprecs, crystals
 * README) bounds the speed-up any spglib-based validator can reach. */
#include <math.h>
#include <spglib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core_cif/compare.h"
#include "mmscore/reader.h"
#include "mmscore/structure.h"

typedef struct cell {
    double lattice[3][3];
    double (*pos)[3];
    int *types;
    int n;
} cell;

typedef struct cells {
    cell *c;
    size_t count, cap;
    long cif_col;
} cells;

/* basic_eval's cell: lattice rebuilt from the parameters (columns for
 * spglib), one type per element in order of first appearance. */
static int keep_cell(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    cells *cs = ctx;
    (void)block;
    (void)err;
    double lat[3][3];
    if (!s || s->n_sites == 0) {
        mms_structure_free(s);
        return 0;
    }
    mms_lattice_from_parameters_capped(lat, s->abc, s->angles); /* the symmetry plugin's cell */
    if (cs->count == cs->cap) {
        cs->cap = cs->cap ? 2 * cs->cap : 1024;
        cs->c = realloc(cs->c, cs->cap * sizeof *cs->c);
    }
    cell *c = &cs->c[cs->count++];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c->lattice[i][j] = lat[j][i];
    c->n = (int)s->n_sites;
    c->pos = malloc(s->n_sites * sizeof *c->pos);
    c->types = malloc(s->n_sites * sizeof *c->types);
    int n_types = 0;
    for (size_t i = 0; i < s->n_sites; i++) {
        memcpy(c->pos[i], s->sites[i].frac, sizeof c->pos[i]);
        size_t j = 0;
        while (j < i && s->sites[j].species[0].z != s->sites[i].species[0].z)
            j++;
        c->types[i] = j < i ? c->types[j] : ++n_types;
    }
    mms_structure_free(s);
    return 0;
}

static void on_field(void *ctx, size_t row, size_t col, const char *p, size_t n)
{
    cells *cs = ctx;
    if (row == 0) {
        if (strcmp(p, "cif") == 0)
            cs->cif_col = (long)col;
        return;
    }
    if ((long)col == cs->cif_col) {
        mms_error e;
        mms_read_cif(p, n, NULL, keep_cell, cs, &e);
    }
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double time_spglib(cells *cs, const double *symprecs, int n_symprec)
{
    double best = 1e300;
    for (int pass = 0; pass < 2; pass++) {
        double t0 = cpu_now();
        for (size_t i = 0; i < cs->count; i++)
            for (int k = 0; k < n_symprec; k++) {
                cell *c = &cs->c[i]; /* spglib's prototypes are not const */
                SpglibDataset *d =
                    spgat_get_dataset(c->lattice, c->pos, c->types, c->n, symprecs[k], -1.0);
                if (d)
                    spg_free_dataset(d);
            }
        best = fmin(best, cpu_now() - t0);
    }
    return best;
}

int main(int argc, char **argv)
{
    const double both[2] = {0.1, 0.01};
    printf("spglib %d.%d.%d spgat_get_dataset alone, one thread, CPU time\n",
           spg_get_major_version(), spg_get_minor_version(), spg_get_micro_version());
    printf("%-26s %6s %16s %22s %s\n", "input", "cells", "symprec 0.1 /s", "0.1 and 0.01 /s",
           "vs reference ~330/s (two symprecs)");
    for (int a = 1; a < argc; a++) {
        size_t len;
        char *buf = cmp_slurp(argv[a], &len);
        if (!buf) {
            fprintf(stderr, "cannot read %s\n", argv[a]);
            continue;
        }
        cells cs = {.cif_col = -1};
        cmp_csv_split(buf, len, on_field, &cs);
        free(buf);
        double one = time_spglib(&cs, both, 1), two = time_spglib(&cs, both, 2);
        const char *name = strrchr(argv[a], '/');
        printf("%-26s %6zu %16.0f %22.0f %8.2fx\n", name ? name + 1 : argv[a], cs.count,
               (double)cs.count / one, (double)cs.count / two, (double)cs.count / two / 330.0);
        for (size_t i = 0; i < cs.count; i++) {
            free(cs.c[i].pos);
            free(cs.c[i].types);
        }
        free(cs.c);
    }
    return 0;
}
