/* read_bench CSV...: CIFs per second of mms_read_cif on the `cif` column of
 * each CSV (parse + symmetry expansion + structure model, one thread).  The
 * texts are loaded first; only reading is timed, in CPU time of this thread
 * (the machine is shared), best of 3 passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core_cif/compare.h"
#include "mmscore/reader.h"

typedef struct texts {
    char **p;
    size_t *n, count, cap;
    long cif_col;
} texts;

static void on_cell(void *ctx, size_t row, size_t col, const char *p, size_t n)
{
    texts *t = ctx;
    if (row == 0) {
        if (strcmp(p, "cif") == 0)
            t->cif_col = (long)col;
        return;
    }
    if ((long)col != t->cif_col)
        return;
    if (t->count == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->p = realloc(t->p, t->cap * sizeof *t->p);
        t->n = realloc(t->n, t->cap * sizeof *t->n);
    }
    t->p[t->count] = malloc(n + 1);
    memcpy(t->p[t->count], p, n + 1);
    t->n[t->count++] = n;
}

static size_t n_ok;

static int count_cb(void *ctx, size_t block, mms_structure *s, const mms_error *err)
{
    (void)ctx;
    (void)block;
    (void)err;
    if (s)
        n_ok++;
    mms_structure_free(s);
    return 0;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    printf("%-26s %7s %12s %9s %s\n", "input", "CIFs", "CIFs/s", "vs_ref", "(reference: pymatgen "
           "parse + basic_eval checks, ~1,000/s)");
    for (int a = 1; a < argc; a++) {
        size_t len;
        char *buf = cmp_slurp(argv[a], &len);
        if (!buf) {
            fprintf(stderr, "cannot read %s\n", argv[a]);
            continue;
        }
        texts t = {.cif_col = -1};
        cmp_csv_split(buf, len, on_cell, &t);
        free(buf);
        double best = 1e300;
        for (int pass = 0; pass < 3; pass++) {
            n_ok = 0;
            double t0 = cpu_now();
            for (size_t i = 0; i < t.count; i++) {
                mms_error e;
                mms_read_cif(t.p[i], t.n[i], NULL, count_cb, NULL, &e);
            }
            double dt = cpu_now() - t0;
            if (dt < best)
                best = dt;
        }
        const char *name = strrchr(argv[a], '/');
        double rate = (double)t.count / best;
        printf("%-26s %7zu %12.0f %8.0fx\n", name ? name + 1 : argv[a], t.count, rate,
               rate / 1000.0);
        for (size_t i = 0; i < t.count; i++)
            free(t.p[i]);
        free(t.p);
        free(t.n);
    }
    return 0;
}
