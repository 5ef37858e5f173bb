/* group_structures parity with pymatgen 2022.11.7 (and the grouping
 * benchmark's driver).
 *
 *   match_group_parity INPUT REF.json|- PRESET THREADS [MIN_STRUCTURES]
 *
 * Reads INPUT through the core (any input mmscore reads), reduces every
 * structure once, groups them and, with REF.json (the fixture format of
 * ../shared/fixtures/matching/groups_*.json), compares the partition
 * group by group.  Prints timings; exit 1 on any difference or when fewer
 * than MIN_STRUCTURES were grouped, 77 when INPUT does not exist. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmscore/host.h"
#include "mmscore/match.h"

typedef struct collect {
    mms_match_options o;
    mms_match_cell **cells;
    size_t n, cap, failed;
} collect;

static int on_record(void *ctx, const mms_record *rec, mms_values *values, mms_error *err)
{
    (void)values, (void)err;
    collect *c = ctx;
    mms_match_cell *cell = NULL;
    mms_error e;
    if (!rec->structure || mms_match_cell_from_structure(&cell, &c->o, rec->structure, &e)) {
        fprintf(stderr, "record %zu (%s): %s\n", rec->index, rec->id ? rec->id : "?",
                rec->structure ? e.message : "not read");
        c->failed++;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 1024;
        mms_match_cell **t = realloc(c->cells, nc * sizeof *t);
        if (!t) return MMS_ENOMEM;
        c->cells = t, c->cap = nc;
    }
    c->cells[c->n++] = cell;
    return MMS_OK;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: match_group_parity INPUT REF.json|- PRESET THREADS [MIN]\n");
        return 2;
    }
    if (access(argv[1], R_OK)) {
        printf("SKIPPED: %s not found\n", argv[1]);
        return 77;
    }
    collect c = {0};
    mms_error err;
    if (mms_match_options_preset(&c.o, argv[3], &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    int threads = atoi(argv[4]);
    size_t min_n = argc > 5 ? (size_t)atol(argv[5]) : 1;
    mms_host *h = NULL;
    mms_pipeline *p = NULL;
    mms_pipeline_options po = {.version = MMS_PIPELINE_OPTIONS_VERSION, .threads = 1, .on_record = on_record, .on_record_ctx = &c};
    double t0 = now();
    cJSON *summary = NULL;
    if (mms_host_new(&h, &err) || mms_pipeline_new(&p, h, &po, &err) || mms_pipeline_start(p, &err) ||
        mms_pipeline_add_input(p, argv[1], "input", &err) || mms_pipeline_finish(p, &summary, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    cJSON_Delete(summary);
    double t1 = now();
    size_t *g = malloc((c.n ? c.n : 1) * sizeof *g), ng = 0;
    /* records that could not be matched stand alone: compact the list */
    const mms_match_cell **ok = malloc((c.n ? c.n : 1) * sizeof *ok);
    size_t nok = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.cells[i]) ok[nok++] = c.cells[i];
    if (!g || !ok || mms_match_group(&c.o, nok, ok, threads, g, &ng, &err)) {
        fprintf(stderr, "group: %s\n", err.message);
        return 1;
    }
    double t2 = now();
    printf("%s: %zu structures (%zu could not be matched), %zu groups; read+reduce %.2f s, group %.2f s "
           "(%d threads)\n",
           argv[3], c.n, c.failed, ng, t1 - t0, t2 - t1, threads);
    int rc = nok < min_n;
    if (strcmp(argv[2], "-")) {
        FILE *f = fopen(argv[2], "r");
        static char buf[1 << 20];
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[len] = 0;
        cJSON *ref = cJSON_Parse(buf);
        const cJSON *pr = cJSON_GetObjectItem(cJSON_GetObjectItem(ref, "presets"), argv[3]);
        const cJSON *gr = cJSON_GetObjectItem(pr, "group_of_row");
        if (!cJSON_IsArray(gr) || (size_t)cJSON_GetArraySize(gr) != nok || c.failed) {
            printf("FAIL: reference has %d rows, %zu grouped here\n", cJSON_GetArraySize(gr), nok);
            rc = 1;
        } else {
            size_t diff = 0;
            for (size_t i = 0; i < nok; i++) {
                long r = (long)cJSON_GetArrayItem(gr, (int)i)->valuedouble;
                if ((size_t)r != g[i]) {
                    if (diff < 10) printf("row %zu: group %zu, pymatgen %ld\n", i, g[i], r);
                    diff++;
                }
            }
            long n_unique = (long)cJSON_GetObjectItem(pr, "n_unique")->valuedouble;
            printf("%s: %zu rows in another group than pymatgen's; %zu groups vs %ld\n", argv[3], diff, ng,
                   n_unique);
            rc |= diff != 0 || (long)ng != n_unique;
        }
        cJSON_Delete(ref);
    }
    for (size_t i = 0; i < c.n; i++) mms_match_cell_free(c.cells[i]);
    free(c.cells), free(g), free(ok);
    mms_pipeline_free(p);
    mms_host_free(h);
    if (nok < min_n) printf("FAIL: only %zu structures grouped, expected at least %zu\n", nok, min_n);
    return rc;
}
