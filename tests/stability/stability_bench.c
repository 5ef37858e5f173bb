/* Hull building and e_above_hull alone, for tests/bench/stability.sh: reads
 * a hull reference and queries ("formula<TAB>total energy" lines), builds
 * one diagram per chemical system (cached, as the plugin does) and times
 * that plus every query, single-threaded.  Prints one line per query
 * (e_above_hull) with --print, and the timing on stderr. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formula.h"
#include "hullref.h"
#include "mmscore/elements.h"
#include "phasediag.h"

typedef struct query {
    int z[32];
    double amt[32];
    size_t n;
    double energy;
    hull_mask m;
} query;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of the process: on a shared machine, what the work itself cost */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: stability_bench HULL_REF QUERIES.tsv [--print | --full | --repeat N]\n");
        return 2;
    }
    int print = argc > 3 && !strcmp(argv[3], "--print");
    int full = argc > 3 && !strcmp(argv[3], "--full"); /* one JSON line per query */
    int repeat = argc > 4 && !strcmp(argv[3], "--repeat") ? atoi(argv[4]) : 1;
    if (repeat < 1)
        repeat = 1;
    mms_error err;
    double t0 = now();
    hull_ref *ref;
    if (hull_ref_load(argv[1], &ref, &err) != MMS_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    double t_load = now() - t0;
    FILE *f = fopen(argv[2], "r");
    if (!f)
        return 1;
    size_t nq = 0, cap = 1024;
    query *q = malloc(cap * sizeof *q);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        mmsc_formula fo;
        if (mmsc_formula_parse(line, &fo, NULL) != MMS_OK)
            continue;
        if (nq == cap)
            q = realloc(q, (cap *= 2) * sizeof *q);
        query *x = &q[nq++];
        memset(x, 0, sizeof *x);
        for (size_t k = 0; k < fo.n; k++) {
            x->z[x->n] = mms_element_z(fo.symbol[k]);
            x->amt[x->n++] = fo.amount[k];
            hull_mask_add(&x->m, x->z[x->n - 1]);
        }
        x->energy = strtod(tab + 1, NULL);
    }
    fclose(f);
    /* the timed part: a diagram per system met (linear cache), then the
     * query; repeated from empty caches, the fastest run kept */
    double t_run = INFINITY, c_run = INFINITY;
    size_t nd = 0, ok = 0;
    double *eah = malloc((nq ? nq : 1) * sizeof *eah);
    for (int rep = 0; rep < repeat; rep++) {
        double t1 = now(), c1 = cpu_now();
        size_t capd = 256;
        hull_mask *keys = malloc(capd * sizeof *keys);
        phase_diagram **pds = malloc(capd * sizeof *pds);
        nd = ok = 0;
        for (size_t i = 0; i < nq; i++) {
            size_t d = 0;
            while (d < nd && !hull_mask_eq(&keys[d], &q[i].m))
                d++;
            if (d == nd) {
                if (nd == capd) {
                    keys = realloc(keys, (capd *= 2) * sizeof *keys);
                    pds = realloc(pds, capd * sizeof *pds);
                }
                keys[nd] = q[i].m;
                if (pd_build(ref, &q[i].m, &pds[nd], &err) != MMS_OK)
                    pds[nd] = NULL;
                nd++;
            }
            pd_result r;
            eah[i] = NAN;
            if (pds[d] && pd_query(pds[d], ref, q[i].z, q[i].amt, q[i].n, q[i].energy, &r,
                                   &err) == MMS_OK) {
                eah[i] = r.e_above_hull;
                ok++;
                if (full && rep == 0) {
                    printf("{\"e\": %.17g, \"f\": %.17g, \"h\": %.17g, \"ids\": {",
                           r.e_above_hull, r.formation_energy_per_atom, r.hull_energy_per_atom);
                    for (int k = 0; k < r.n; k++)
                        printf("%s\"%s\": %.17g", k ? ", " : "", ref->id[r.entry[k]],
                               r.amount[k]);
                    printf("}, \"formulas\": [");
                    for (int k = 0; k < r.n; k++)
                        printf("%s\"%s\"", k ? ", " : "", r.formula[k]);
                    printf("]}\n");
                }
            } else if (full && rep == 0) {
                printf("{\"error\": \"%s\"}\n", pds[d] ? "query" : "build");
            }
        }
        for (size_t d = 0; d < nd; d++)
            pd_free(pds[d]);
        free(pds);
        free(keys);
        double t = now() - t1, c = cpu_now() - c1;
        if (t < t_run)
            t_run = t;
        if (c < c_run)
            c_run = c;
    }
    if (print)
        for (size_t i = 0; i < nq; i++)
            printf("%.17g\n", eah[i]);
    fprintf(stderr,
            "mmscore: %zu queries (%zu scored), %zu systems, load %.4f s, hulls+queries %.4f s "
            "(fastest of %d)\n",
            nq, ok, nd, t_load, t_run, repeat);
    printf("TIME %.6f\nCPU %.6f\n", t_run, c_run);
    free(eah);
    free(q);
    hull_ref_free(ref);
    return 0;
}
