/* fp_compare: fingerprint cells (make_cells.py output) and compare with the
 * reference fingerprints they carry.
 *
 *   fp_compare [-v] CELLS.jsonl...
 *
 * Prints one table row per file: structures compared, Magpie agreement
 * (1e-9 relative), CrystalNN agreement (1e-6 absolute per component), and
 * CrystalNN throughput; -v lists every disagreeing structure with its worst
 * component.  Exit status 1 if any structure disagrees. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_cells.h"
#include "crystalnn.h"
#include "magpie.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int verbose = 0, first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
        first = 2;
    }
    FILE *devnull = fopen("/dev/null", "w");
    mmsc_cnn_options opt;
    mmsc_cnn_options_default(&opt);
    printf("%-28s %7s %12s %12s %10s %12s\n", "file", "n", "magpie_ok", "cnn_ok", "cnn_fail",
           "structs/s");
    int bad_total = 0;
    for (int a = first; a < argc; a++) {
        fp_cells cells;
        if (fp_cells_load(argv[a], &cells) != 0) {
            fprintf(stderr, "%s: cannot read\n", argv[a]);
            return 2;
        }
        size_t n = 0, mag_ok = 0, cnn_ok = 0, cnn_fail = 0;
        double t_cnn = 0;
        for (size_t i = 0; i < cells.n; i++) {
            fp_cell_rec *c = &cells.recs[i];
            if (!c->has_ref)
                continue;
            n++;
            double mag[FP_MAGPIE_LEN];
            double worst_m = 0;
            int mi = -1;
            if (fp_cells_magpie(c, mag) == 0) {
                for (int k = 0; k < FP_MAGPIE_LEN; k++) {
                    double x = mag[k], y = c->comp_fp[k];
                    double d = (isnan(x) && isnan(y)) ? 0 : fabs(x - y) / fmax(fmax(fabs(y), fabs(x)), 1e-300);
                    if (x == y)
                        d = 0;
                    if (!(d <= worst_m)) {
                        worst_m = d;
                        mi = k;
                    }
                }
            } else {
                worst_m = INFINITY;
            }
            if (worst_m <= 1e-9)
                mag_ok++;
            else if (verbose)
                printf("  magpie %s row %ld: component %d rel diff %.3g\n", c->id, c->row, mi, worst_m);
            double fp[MMSC_CNN_LEN];
            mms_error why;
            double t0 = now();
            int rc = mmsc_crystalnn_fingerprint(&c->cell, &opt, devnull, fp, &why);
            t_cnn += now() - t0;
            if (rc) {
                cnn_fail++;
                if (verbose)
                    printf("  cnn %s row %ld: failed: %s\n", c->id, c->row, why.message);
                continue;
            }
            double worst = 0;
            int wi = -1;
            for (int k = 0; k < MMSC_CNN_LEN; k++) {
                double d = fabs(fp[k] - c->struct_fp[k]);
                if (!(d <= worst)) {
                    worst = d;
                    wi = k;
                }
            }
            if (worst <= 1e-6)
                cnn_ok++;
            else if (verbose)
                printf("  cnn %s row %ld (n=%zu): component %d ours %.9g ref %.9g\n", c->id, c->row,
                       c->cell.n, wi, fp[wi], c->struct_fp[wi]);
        }
        bad_total += (int)(n - cnn_ok) + (int)(n - mag_ok);
        const char *base = strrchr(argv[a], '/');
        printf("%-28s %7zu %5zu %5.1f%% %5zu %5.2f%% %10zu %12.1f\n", base ? base + 1 : argv[a], n,
               mag_ok, n ? 100.0 * (double)mag_ok / (double)n : 0, cnn_ok,
               n ? 100.0 * (double)cnn_ok / (double)n : 0, cnn_fail, (double)n / t_cnn);
        fp_cells_free(&cells);
    }
    fclose(devnull);
    return bad_total ? 1 : 0;
}
